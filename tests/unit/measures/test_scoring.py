"""Scoring vectors for every shipped measure, and reliable change against hand calculations.

Every expected number has its arithmetic written beside it, so a clinician can check the
test as well as the code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from clinic_app.errors import ValidationError
from clinic_app.measures.definitions import (
    MeasureDefinition,
    ReliableChangeMethod,
    parse_definition,
    shipped_definitions,
)
from clinic_app.measures.scoring import (
    Verdict,
    critical_alerts,
    cutoff_name,
    effective_cutoff,
    reliable_change,
    score,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "measures.md"


def shipped(measure_id: str, version: str = "1") -> MeasureDefinition:
    return next(d for d in shipped_definitions() if d.id == measure_id and d.version == version)


def example(**changes: Any) -> MeasureDefinition:
    """The worked example of docs/measures.md: 4 items of 0-3, item 2 reversed, SD 2.5, r 0.8."""
    [block] = re.findall(r"```json\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    doc = json.loads(block)
    doc.update(changes)
    return parse_definition(json.dumps(doc))


def summing(total: int, count: int, top: int) -> dict[int, int | None]:
    """Answers to ``count`` items of 0..top adding up to ``total``: items filled with ``top``
    from item 1 on, the remainder on the next item, the rest 0 (e.g. 14 on PHQ-9 is
    3+3+3+3+2+0+0+0+0)."""
    answers: dict[int, int | None] = {}
    left = total
    for item in range(1, count + 1):
        answers[item] = min(top, left)
        left -= answers[item] or 0
    assert left == 0
    return answers


def problems(definition: MeasureDefinition, answers: dict[Any, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        score(definition, answers)
    return [(p.where, p.message) for p in caught.value.problems]


# -- PHQ-9 ---------------------------------------------------------------------------------------


def test_phq9_worked_example_with_its_critical_item() -> None:
    answers = {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 1, 7: 2, 8: 0, 9: 1}
    s = score(shipped("phq-9"), answers)
    assert s.total == 11  # 1+2+0+3+1+1+2+0+1
    assert s.total_text == "11"
    assert s.band == "Moderate"  # 10-14
    assert s.in_clinical_range is True  # caseness at 10 or more
    assert not s.prorated and s.answered == 9 and s.item_count == 9
    [alert] = s.alerts
    assert (alert.item, alert.answer, alert.answer_label) == (9, 1, "Several days")
    assert "Review their risk now" in alert.alert
    assert [(i.number, i.answer, i.scored) for i in s.items][:2] == [(1, 1, 1), (2, 2, 2)]
    assert s.items[3].answer_label == "Nearly every day"
    assert s.method_text == "PHQ-9 total: the sum of the item scores; 9 of 9 answered; sum 11."


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),  # 9 x 3
    ],
)
def test_phq9_band_edges(total: int, band: str) -> None:
    s = score(shipped("phq-9"), summing(total, 9, 3))
    assert (s.total, s.band) == (total, band)
    assert s.in_clinical_range is (total >= 10)
    # Item 9 is answered only when the total reaches it (3 x 8 = 24 first).
    assert bool(s.alerts) is (total > 24)


def test_phq9_needs_every_item_and_names_the_missing_one() -> None:
    answers = summing(12, 9, 3)
    answers[4] = None
    assert problems(shipped("phq-9"), answers) == [
        (
            "answers.4",
            "Item 4 ('Feeling tired or having little energy') has no answer. To score the "
            "PHQ-9, every item must be answered; 1 is unanswered.",
        )
    ]


# -- GAD-7 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (7, "Mild"),
        (8, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),  # 7 x 3
    ],
)
def test_gad7_band_edges_and_caseness(total: int, band: str) -> None:
    s = score(shipped("gad-7"), summing(total, 7, 3))
    assert (s.total, s.band) == (total, band)
    assert s.in_clinical_range is (total >= 8)  # caseness 8 (NHS Talking Therapies)
    assert s.alerts == ()


# -- PCL-5 ---------------------------------------------------------------------------------------


def test_pcl5_total_and_cluster_scores() -> None:
    answers: dict[int, int | None] = {i: i % 5 for i in range(1, 21)}  # 1,2,3,4,0,1,2,...
    s = score(shipped("pcl-5"), answers)
    assert s.total == 40  # four rounds of 1+2+3+4+0 = 4 x 10
    assert [(x.id, x.total) for x in s.subscales] == [
        ("B", 10),  # items 1-5: 1+2+3+4+0
        ("C", 3),  # items 6-7: 1+2
        ("D", 17),  # items 8-14: 3+4+0+1+2+3+4
        ("E", 10),  # items 15-20: 0+1+2+3+4+0
    ]
    assert s.band is None
    assert s.in_clinical_range is True  # 40 >= 33
    assert s.cutoff is not None and not s.cutoff.overridden


@pytest.mark.parametrize(
    ("total", "override", "probable"),
    [
        (32, None, False),  # default cut-off 33
        (33, None, True),
        (31, 31, True),  # an administrator chose 31 (allowed 31 to 33)
        (30, 31, False),
        (32, 32, True),
    ],
)
def test_pcl5_configurable_cutoff(total: int, override: int | None, probable: bool) -> None:
    s = score(shipped("pcl-5"), summing(total, 20, 4), cutoff=override)
    assert s.in_clinical_range is probable
    assert s.cutoff is not None
    assert s.cutoff.value == (33 if override is None else override)
    assert s.cutoff.default_value == 33
    assert s.cutoff.overridden is (override not in (None, 33))
    if override not in (None, 33):
        assert "set by an administrator; the definition gives 33" in s.cutoff.text


def test_pcl5_cutoff_outside_its_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="can be set from 31 to 33; 30 is outside"):
        score(shipped("pcl-5"), summing(20, 20, 4), cutoff=30)


# -- AUDIT-C -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total", "positive"),
    [
        ({1: 0, 2: 0, 3: 0}, 0, False),
        ({1: 2, 2: 1, 3: 1}, 4, False),  # 2+1+1
        ({1: 2, 2: 2, 3: 1}, 5, True),  # 2+2+1: the UK positive screen is 5 or more
        ({1: 4, 2: 4, 3: 4}, 12, True),  # 3 x 4
    ],
)
def test_audit_c_scores_and_positive_screen(
    answers: dict[int, int | None], total: int, positive: bool
) -> None:
    s = score(shipped("audit-c"), answers)
    assert (s.total, s.in_clinical_range) == (total, positive)


def test_audit_c_items_have_their_own_answers() -> None:
    s = score(shipped("audit-c"), {1: 3, 2: 4, 3: 0})
    assert [i.answer_label for i in s.items] == ["2-3 times per week", "10+", "Never"]
    assert s.total == 7  # 3+4+0


def test_audit_c_cutoff_override_and_its_limits() -> None:
    audit_c = shipped("audit-c")
    four = {1: 2, 2: 1, 3: 1}  # 2+1+1 = 4
    assert score(audit_c, four, cutoff=4).in_clinical_range is True
    with pytest.raises(ValidationError, match="can be set from 3 to 5; 6 is outside"):
        score(audit_c, four, cutoff=6)
    with pytest.raises(ValidationError, match="at most 0 decimal places"):
        score(audit_c, four, cutoff=4.5)


# -- CORE-10 -------------------------------------------------------------------------------------


def core_answers(total: int) -> dict[int, int | None]:
    """CORE-10 answers scoring ``total``: items 2 and 3 answered 4 (reversed: score 0), the
    other eight items 0 to 4 filled in order (so at most 8 x 4 = 32 this way)."""
    rest = iter(summing(total, 8, 4).values())
    return {i: 4 if i in (2, 3) else next(rest) for i in range(1, 11)}


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Healthy"),
        (5, "Healthy"),
        (6, "Low level"),
        (10, "Low level"),
        (11, "Mild"),
        (14, "Mild"),
        (15, "Moderate"),
        (19, "Moderate"),
        (20, "Moderate-to-severe"),
        (24, "Moderate-to-severe"),
        (25, "Severe"),
        (32, "Severe"),
    ],
)
def test_core10_band_edges_and_cutoff(total: int, band: str) -> None:
    s = score(shipped("core-10"), core_answers(total))
    assert (s.total, s.band) == (total, band)
    assert s.in_clinical_range is (total >= 11)  # clinical cut-off 11


def test_core10_maximum_needs_the_reversed_items_answered_not_at_all() -> None:
    answers: dict[int, int | None] = dict.fromkeys(range(1, 11), 4)
    answers[2] = answers[3] = 0  # "Not at all" on the positively worded items scores 4
    s = score(shipped("core-10"), answers)
    assert s.total == 40 and s.band == "Severe"  # 10 x 4


def test_core10_reverse_scores_the_positively_worded_items() -> None:
    answers: dict[int, int | None] = dict.fromkeys(range(1, 11), 0)
    answers[2] = 1  # "Only occasionally" has someone to turn to: scores 4 - 1 = 3
    s = score(shipped("core-10"), answers)
    item2, item3 = s.items[1], s.items[2]
    assert (item2.answer, item2.answer_label, item2.scored, item2.reversed) == (
        1,
        "Only occasionally",
        3,
        True,
    )
    assert (item3.answer, item3.scored) == (0, 4)  # "Not at all" able to cope: 4 - 0
    assert s.total == 7  # 0 + 3 + 4 + 0 x 7
    assert s.band == "Low level"
    assert "items 2 and 3 reverse scored" in s.method_text


@pytest.mark.parametrize(
    ("answered_sum", "expected"),
    [
        (20, 22),  # 20 x 10 / 9 = 22.22, rounded to 22
        (10, 11),  # 10 x 10 / 9 = 11.11, rounded to 11: now in the clinical range
        (14, 16),  # 14 x 10 / 9 = 15.56, rounded up to 16
        (0, 0),
    ],
)
def test_core10_one_missing_item_is_prorated(answered_sum: int, expected: int) -> None:
    answers = core_answers(answered_sum)
    answers[10] = None  # core_answers leaves item 10 at 0 for totals up to 28
    s = score(shipped("core-10"), answers)
    assert s.total == expected
    assert s.prorated and s.answered == 9
    assert (
        f"sum of the 9 answered items {answered_sum}, prorated to 10 items: "
        f"{answered_sum} x 10 / 9 = {answered_sum * 10 / 9:.2f}, rounded to {expected}"
    ) in s.method_text


def test_core10_two_missing_items_are_refused_naming_both() -> None:
    answers = core_answers(12)
    answers[4] = None
    del answers[10]  # an absent item counts as unanswered too
    assert problems(shipped("core-10"), answers) == [
        (
            "answers.4",
            "Item 4 ('Talking to people has felt too much...') has no answer. To score the "
            "CORE-10, at most 1 item may be left unanswered; 2 are unanswered.",
        ),
        (
            "answers.10",
            "Item 10 ('Unwanted images or memories have...') has no answer. To score the "
            "CORE-10, at most 1 item may be left unanswered; 2 are unanswered.",
        ),
    ]


def test_core10_risk_item_raises_its_alert_answered_or_not() -> None:
    answers = core_answers(12)
    answers[6] = 2  # "Sometimes" made plans to end my life
    [alert] = score(shipped("core-10"), answers).alerts
    assert (alert.item, alert.answer_label) == (6, "Sometimes")
    assert "plans to end their life" in alert.alert
    answers[6] = None  # left blank: prorated, and the risk is unknown
    [alert] = score(shipped("core-10"), answers).alerts
    assert alert.answer is None
    assert "was not answered, so the risk it asks about is unknown" in alert.alert
    assert "reported" not in alert.alert  # nothing was reported: the item is blank


# -- version 2 of PHQ-9, GAD-7, CORE-10 and PCL-5: the published missing-item rules ------------


@pytest.mark.parametrize(
    ("blank", "expected", "band"),
    [
        # Answers 3,3,3,2,2,1,1,0,0 (sum 15); item 4 blank leaves 13 over 8 items:
        # mean 13 / 8 = 1.625, x 9 = 14.625, rounded to 15.
        ((4,), 15, "Moderately severe"),
        # Items 4 and 5 blank leave 11 over 7 items: 11 / 7 x 9 = 14.14, rounded to 14.
        ((4, 5), 14, "Moderate"),
    ],
)
def test_phq9_v2_prorates_one_or_two_blank_items(
    blank: tuple[int, ...], expected: int, band: str
) -> None:
    answers: dict[int, int | None] = dict(enumerate([3, 3, 3, 2, 2, 1, 1, 0, 0], start=1))
    for item in blank:
        answers[item] = None
    result = score(shipped("phq-9", "2"), answers)
    assert (result.total, result.band, result.prorated) == (expected, band, True)
    assert f"{9 - len(blank)} of 9 answered" in result.method_text


def test_phq9_v2_with_three_blank_items_is_not_scored_but_still_alerts() -> None:
    phq = shipped("phq-9", "2")
    answers: dict[int, int | None] = dict.fromkeys(range(1, 10), 1)
    answers |= {2: None, 3: None, 4: None, 9: 2}  # item 9 "More than half the days"
    with pytest.raises(ValidationError, match="at most 2 items may be left unanswered"):
        score(phq, answers)
    [alert] = critical_alerts(phq, answers)  # no score needed for the alert
    assert (alert.item, alert.answer, alert.answer_label) == (9, 2, "More than half the days")
    assert "better off dead" in alert.alert


def test_phq9_v2_blank_item_9_says_it_was_not_answered() -> None:
    answers: dict[int, int | None] = dict.fromkeys(range(1, 10), 0)
    answers[9] = None
    [alert] = critical_alerts(shipped("phq-9", "2"), answers)
    assert alert.answer is None and "was not answered" in alert.alert
    assert "reported" not in alert.alert


def test_core10_v2_clinical_score_to_one_decimal() -> None:
    core = shipped("core-10", "2")
    full = score(core, core_answers(23))
    assert full.total_text == "23.0" and full.band == "Moderate-to-severe"  # mean 2.3 x 10
    answers = core_answers(13)
    answers[8] = None
    # 13 over 9 answered items: 13 / 9 = 1.444, x 10 = 14.44, shown as 14.4 (Mild: 11-14.9).
    prorated = score(core, answers)
    assert (prorated.total_text, prorated.band, prorated.in_clinical_range) == (
        "14.4",
        "Mild",
        True,
    )
    answers = core_answers(10)
    answers[8] = None
    # 10 / 9 x 10 = 11.11 -> 11.1: at or above the clinical cut-off of 11.
    assert score(core, answers).total_text == "11.1"
    assert score(core, answers).in_clinical_range is True
    answers = core_answers(9)
    answers[8] = None
    # 9 / 9 x 10 = 10.0: Low level, below the cut-off.
    assert (score(core, answers).total_text, score(core, answers).band) == ("10.0", "Low level")


@pytest.mark.parametrize(
    ("before", "after", "response", "label"),
    [
        (40, 33, True, "Response to treatment (5 to 9 points; not yet clinically meaningful)"),
        (40, 35, True, "Response to treatment (5 to 9 points; not yet clinically meaningful)"),
        (40, 36, False, "No reliable change"),  # 4 points
        (40, 30, False, "Clinically meaningful improvement"),  # 10 points
        (30, 39, True, "Worsening (5 to 9 points; not yet clinically meaningful)"),
        (30, 41, False, "Clinically meaningful deterioration"),
    ],
)
def test_pcl5_v2_labels_a_response_and_a_clinically_meaningful_change(
    before: int, after: int, response: bool, label: str
) -> None:
    pcl = shipped("pcl-5", "2")
    change = reliable_change(
        pcl, score(pcl, summing(before, 20, 4)), score(pcl, summing(after, 20, 4))
    )
    assert (change.response, change.label) == (response, label)
    assert label[0].lower() + label[1:] in change.summary


@pytest.mark.parametrize("measure_id", ["phq-9", "gad-7"])
def test_pfizer_measures_are_labelled_free_to_use_not_public_domain(measure_id: str) -> None:
    licence = shipped(measure_id, "2").licence.licence
    assert licence.startswith("(c) Pfizer, free to use without permission")
    assert "not public domain" in licence


def test_change_from_version_1_to_version_2_is_judged_on_the_same_scale() -> None:
    v1, v2 = shipped("phq-9", "1"), shipped("phq-9", "2")
    change = reliable_change(v2, score(v1, summing(18, 9, 3)), score(v2, summing(11, 9, 3)))
    assert change.difference == -7  # 11 - 18
    assert change.verdict is Verdict.RELIABLE_IMPROVEMENT
    with pytest.raises(ValidationError, match="same measure and version"):
        reliable_change(v1, score(v2, summing(18, 9, 3)), score(v1, summing(11, 9, 3)))


# -- Goal-Based Outcomes -------------------------------------------------------------------------


def test_gbo_mean_of_the_goals_rated_and_change_per_goal() -> None:
    gbo = shipped("gbo")
    before = score(gbo, {1: 2, 2: 5})  # two goals
    assert before.total == 3.5  # (2 + 5) / 2
    assert before.total_text == "3.5"
    assert not before.prorated  # a mean over the goals set, not a prorated sum
    after = score(gbo, {1: 6, 2: 5, 3: 1})
    assert after.total == 4.0  # (6 + 5 + 1) / 3
    change = reliable_change(gbo, before, after)
    assert [(c.item, c.earlier, c.later, c.difference) for c in change.item_changes] == [
        (1, 2, 6, 4),  # goal 1: 6 - 2
        (2, 5, 5, 0),
        (3, None, 1, None),  # goal 3 was not set before
    ]
    assert change.verdict is Verdict.NOT_ASSESSED
    assert change.clinically_significant is None
    assert "no sourced clinical cut-off" in change.clinically_significant_text


def test_gbo_needs_at_least_one_goal_rated_0_to_10() -> None:
    gbo = shipped("gbo")
    assert len(problems(gbo, {})) == 3  # every goal named
    assert problems(gbo, {1: 11}) == [
        ("answers.1", "Item 1 ('Goal 1'): 11 is not one of the answers (0 to 10).")
    ]


# -- invalid answers -------------------------------------------------------------------------


def test_out_of_range_answer_names_the_item_and_the_answers_allowed() -> None:
    answers = summing(9, 9, 3)
    answers[3] = 5
    assert problems(shipped("phq-9"), answers) == [
        (
            "answers.3",
            "Item 3 ('Trouble falling or staying asleep...'): 5 is not one of the answers "
            "(0 to 3).",
        )
    ]


def test_every_bad_answer_is_listed_at_once() -> None:
    answers: dict[Any, Any] = summing(9, 9, 3)
    answers.update({2: -1, 5: True, 6: "2", 10: 1, 0: 1})
    found = problems(shipped("phq-9"), answers)
    assert [where for where, _ in found] == [
        "answers.2",
        "answers.5",
        "answers.6",
        "answers.10",
        "answers.0",
    ]
    assert found[1][1].endswith("True is not one of the answers (0 to 3).")
    assert found[2][1].endswith("'2' is not one of the answers (0 to 3).")
    assert found[3][1] == "Item 10 is not part of the PHQ-9 (it has items 1 to 9)."


def test_answers_between_allowed_values_are_refused() -> None:
    definition = example(
        items=[
            {"number": 1, "text": "A"},
            {
                "number": 2,
                "text": "B",
                "options": [{"value": 0, "label": "No"}, {"value": 2, "label": "Yes"}],
            },
            {"number": 3, "text": "C"},
            {"number": 4, "text": "D"},
        ],
        bands=[],
        cutoff=None,
        critical_items=[],
    )
    assert problems(definition, {1: 0, 2: 1, 3: 0, 4: 0}) == [
        ("answers.2", "Item 2 ('B'): 1 is not one of the answers (0 or 2).")
    ]


# -- reliable change (Jacobson and Truax) ---------------------------------------------------------


def example_score(definition: MeasureDefinition, total: int) -> Any:
    """A score of ``total`` on the worked example (item 2 reversed, so answered 3 = 0)."""
    rest = summing(total, 3, 3)
    return score(definition, {1: rest[1], 2: 3, 3: rest[2], 4: rest[3]})


def test_jacobson_truax_against_a_hand_calculation() -> None:
    definition = example()  # SD 2.5, r 0.8, cut-off 8 (higher is worse)
    earlier, later = example_score(definition, 9), example_score(definition, 5)
    change = reliable_change(definition, earlier, later)
    # S_diff = 2.5 x sqrt(2) x sqrt(1 - 0.8) = 2.5 x 1.41421 x 0.44721 = 1.58114
    assert change.s_diff == pytest.approx(1.58114, abs=1e-5)
    # RC = (5 - 9) / 1.58114 = -2.52982: |RC| > 1.96, a reliable fall = improvement
    assert change.rc_index == pytest.approx(-2.52982, abs=1e-5)
    assert change.threshold == pytest.approx(3.09903, abs=1e-5)  # 1.96 x 1.58114
    assert change.difference == -4
    assert change.method is ReliableChangeMethod.JACOBSON_TRUAX
    assert change.verdict is Verdict.RELIABLE_IMPROVEMENT
    # 9 was in the clinical range (8 or more), 5 is below it, and the change is reliable.
    assert change.clinically_significant is True
    assert change.clinically_significant_text.startswith("Clinically significant improvement")
    assert "S_diff = SD x sqrt(2) x sqrt(1 - r) = 2.5 x 1.414 x sqrt(1 - 0.8) = 1.58" in (
        change.parameters_text
    )
    assert "RC = change / S_diff = -4 / 1.58 = -2.53" in change.parameters_text
    assert "Source: Invented for the illustration." in change.parameters_text
    assert change.summary == (
        "Example check from 9 to 5 (-4; higher is worse): reliable improvement."
    )
    assert "recovered" not in json.dumps(change.__dict__, default=str).lower()


def test_a_change_inside_the_threshold_is_not_reliable() -> None:
    definition = example()
    change = reliable_change(definition, example_score(definition, 9), example_score(definition, 6))
    # RC = (6 - 9) / 1.58114 = -1.89737: |RC| <= 1.96
    assert change.rc_index == pytest.approx(-1.89737, abs=1e-5)
    assert change.verdict is Verdict.NO_RELIABLE_CHANGE
    # 9 to 6 crosses the cut-off of 8 but is not reliable: not clinically significant.
    assert change.clinically_significant is False


def test_reliable_deterioration_into_the_clinical_range() -> None:
    definition = example()
    change = reliable_change(definition, example_score(definition, 4), example_score(definition, 8))
    # RC = (8 - 4) / 1.58114 = +2.52982: a reliable rise = deterioration on this scale
    assert change.verdict is Verdict.RELIABLE_DETERIORATION
    assert change.clinically_significant is True
    assert change.clinically_significant_text.startswith("Clinically significant deterioration")


def test_the_verdict_follows_the_direction_of_the_scale() -> None:
    definition = example(direction="higher_is_better")
    change = reliable_change(definition, example_score(definition, 4), example_score(definition, 8))
    # Same +4 (RC +2.53), but higher is better here: a reliable improvement.
    assert change.verdict is Verdict.RELIABLE_IMPROVEMENT
    # Clinical range is 8 or below when higher is better: 4 and 8 are both in it.
    assert change.clinically_significant is False
    assert "higher is better" in change.summary


# -- published thresholds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "verdict", "significant"),
    [
        (18, 12, Verdict.RELIABLE_IMPROVEMENT, False),  # -6: reliable; 12 still >= 10
        (18, 13, Verdict.NO_RELIABLE_CHANGE, False),  # -5 is under the threshold of 6
        (15, 9, Verdict.RELIABLE_IMPROVEMENT, True),  # -6 and from >= 10 to below 10
        (12, 9, Verdict.NO_RELIABLE_CHANGE, False),  # crosses 10 but only -3
        (8, 14, Verdict.RELIABLE_DETERIORATION, True),  # +6 and into caseness
        (10, 16, Verdict.RELIABLE_DETERIORATION, False),  # +6, already a case
    ],
)
def test_phq9_reliable_change_uses_the_published_threshold_of_6(
    before: int, after: int, verdict: Verdict, significant: bool
) -> None:
    phq = shipped("phq-9")
    change = reliable_change(
        phq, score(phq, summing(before, 9, 3)), score(phq, summing(after, 9, 3))
    )
    assert change.difference == after - before
    assert change.method is ReliableChangeMethod.PUBLISHED_THRESHOLD
    assert change.threshold == 6 and change.s_diff is None and change.rc_index is None
    assert change.verdict is verdict
    assert change.clinically_significant is significant
    assert "NHS Talking Therapies" in change.parameters_text


def test_core10_reliable_change_of_6_with_a_prorated_score() -> None:
    core = shipped("core-10")
    earlier = score(core, core_answers(20))  # 20, Moderate-to-severe
    answers = core_answers(13)
    answers[8] = None  # 13 x 10 / 9 = 14.44, rounded to 14
    later = score(core, answers)
    change = reliable_change(core, earlier, later)
    assert later.total == 14 and later.prorated
    assert change.difference == -6  # 14 - 20, at the threshold of 6
    assert change.verdict is Verdict.RELIABLE_IMPROVEMENT
    assert change.clinically_significant is False  # 14 is still at or above 11


def test_change_between_versions_or_measures_is_refused() -> None:
    phq, gad = shipped("phq-9"), shipped("gad-7")
    with pytest.raises(ValidationError, match="same measure and version"):
        reliable_change(phq, score(gad, summing(5, 7, 3)), score(phq, summing(5, 9, 3)))


def test_without_reliable_change_parameters_nothing_is_judged_reliable() -> None:
    audit_c = shipped("audit-c")  # a cut-off but no reliable change parameters
    change = reliable_change(
        audit_c, score(audit_c, {1: 4, 2: 4, 3: 4}), score(audit_c, {1: 0, 2: 0, 3: 0})
    )
    assert change.verdict is Verdict.NOT_ASSESSED
    assert change.clinically_significant is None
    assert "gives no reliable change parameters" in change.parameters_text


def test_a_fixed_cutoff_cannot_be_overridden() -> None:
    with pytest.raises(ValidationError, match="fixed by its definition"):
        effective_cutoff(shipped("phq-9"), 12)
    with pytest.raises(ValidationError, match="no clinical cut-off"):
        effective_cutoff(shipped("gbo"), 5)
    used = effective_cutoff(shipped("phq-9"), 10)  # the same value is not an override
    assert used is not None and not used.overridden


def test_s_diff_matches_a_hand_calculation() -> None:
    definition = example(
        reliable_change={
            "method": "jacobson_truax",
            "reference_sd": 7.2,
            "reliability": 0.93,
            "source": "x",
        }
    )
    change = reliable_change(definition, example_score(definition, 1), example_score(definition, 2))
    # By hand: S_diff = 7.2 x sqrt(2) x sqrt(1 - 0.93) = 7.2 x sqrt(0.14)
    #                 = 7.2 x 0.374166 = 2.69399
    assert change.s_diff == pytest.approx(2.69399, abs=1e-5)


# -- wording: one point, one item; the cut-off named once -------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "words"),
    [
        (10, 11, "this change is 1 point."),  # +1: one point, not "1 points"
        (10, 12, "this change is 2 points."),
        (10, 10, "this change is 0 points."),
    ],
)
def test_the_points_of_a_change_are_counted_in_good_english(
    before: int, after: int, words: str
) -> None:
    phq = shipped("phq-9")
    change = reliable_change(
        phq, score(phq, summing(before, 9, 3)), score(phq, summing(after, 9, 3))
    )
    assert words in change.parameters_text
    assert "a change of 6 points or more is reliable" in change.parameters_text


def test_a_mean_of_one_answered_item_is_in_the_singular() -> None:
    definition = example(
        scoring={"method": "mean", "minimum_answered": 1, "decimals": 1},
        bands=[],
        cutoff=None,
    )
    result = score(definition, {1: 2, 2: None, 3: None, 4: None})
    assert "mean of the 1 answered item: 2 / 1 = 2.00" in result.method_text


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Caseness", "Caseness cut-off"),
        ("Clinical cut-off", "Clinical cut-off"),  # not "Clinical cut-off cut-off"
        ("Probable PTSD", "Probable PTSD cut-off"),
    ],
)
def test_a_cutoff_is_named_without_saying_cut_off_twice(label: str, name: str) -> None:
    assert cutoff_name(label) == name


def test_the_cutoff_text_names_it_once() -> None:
    core = shipped("core-10")  # cut-off labelled "Clinical cut-off", at 11
    used = score(core, core_answers(13)).cutoff
    assert used is not None
    assert used.text.startswith("Clinical cut-off: 11. Source: ")
    phq = shipped("phq-9")  # labelled "Caseness", at 10
    used = score(phq, summing(12, 9, 3)).cutoff
    assert used is not None and used.text.startswith("Caseness cut-off: 10. Source: ")
    change = reliable_change(phq, score(phq, summing(15, 9, 3)), score(phq, summing(9, 9, 3)))
    assert change.clinically_significant_text == (
        "Clinically significant improvement: reliable, and moved from at or above the "
        "Caseness cut-off (10) to below it."
    )
