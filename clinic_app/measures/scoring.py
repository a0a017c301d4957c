"""Scoring a measure from its item answers, and judging change between two scores.

Pure functions: a definition and the answers in, frozen dataclasses out. Every number comes
with the arithmetic behind it (``Score.method_text``, ``Change.parameters_text``) so a
clinician can check it by hand from what the screen shows.

Scoring rules, in the order applied:

1. every answer must be one of its item's answer values, and every item number must be part
   of the measure (a ``ValidationError`` names the item otherwise);
2. reverse-scored items count ``(lowest + highest) - answer``;
3. if fewer items are answered than the definition's ``minimum_answered``, the measure
   cannot be scored (each unanswered item is named);
4. the total is the sum, the mean, or the mean x 10 of the scored values; a sum with items
   missing is prorated: ``sum x items / answered``; the total is rounded half up to the
   definition's decimals;
5. subscales are scored the same way over their own items;
6. the severity band is the one containing the total; the cut-off is the definition's, or an
   administrator's override within the range the definition allows;
7. critical items answered at or above their threshold raise their alert text; a critical
   item left unanswered raises an alert too, saying it was not answered (never that the
   client reported the worst answer), because the risk cannot be assumed absent. Alerts come
   from ``critical_alerts``, which needs no score: a form too incomplete to score still
   raises them.

Reliable change (Jacobson and Truax 1991): ``S_diff = SD x sqrt(2) x sqrt(1 - r)``,
``RC = (later - earlier) / S_diff``, reliable when ``|RC| > 1.96``; or, when the definition
gives a published threshold instead, reliable when ``|later - earlier| >= threshold``; where
the source names a smaller response step (PCL-5: 5 points a response to treatment, 10 points
clinically meaningful), a change from that step up to the threshold is labelled a response.
Clinically significant change is reported only when the definition gives a sourced cut-off:
the change is reliable and the score crossed the cut-off in the same direction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from clinic_app.errors import Problem, ValidationError
from clinic_app.measures.definitions import (
    Item,
    MeasureDefinition,
    ReliableChangeMethod,
    ScoringMethod,
    values_words,
)

RC_CRITERION: Final = 1.96
"""|RC| above this is a reliable change (95% confidence, two-tailed)."""


@dataclass(frozen=True)
class ItemScore:
    """One item as answered: the answer given and the value it scored after any reversal."""

    number: int
    text: str
    answer: int | None
    answer_label: str | None
    scored: int | None
    reversed: bool


@dataclass(frozen=True)
class SubscaleScore:
    """A subscale's total, or None with ``problem`` when too few of its items were answered."""

    id: str
    title: str
    total: float | None
    total_text: str
    answered: int
    item_count: int
    prorated: bool
    problem: str = ""


@dataclass(frozen=True)
class CutoffUsed:
    """The cut-off a score was judged against, and whether an administrator chose it."""

    value: float
    label: str
    source: str
    default_value: float
    overridden: bool

    @property
    def name(self) -> str:
        """What the cut-off is called: 'Caseness cut-off', 'Clinical cut-off'."""
        return cutoff_name(self.label)

    @property
    def text(self) -> str:
        """E.g. 'Probable PTSD cut-off: 31 (set by an administrator; ...). Source: ...'."""
        chosen = (
            f" (set by an administrator; the definition gives {_num(self.default_value)})"
            if self.overridden
            else ""
        )
        return f"{self.name}: {_num(self.value)}{chosen}. Source: {self.source}"


@dataclass(frozen=True)
class CriticalAlert:
    """A critical item needing a risk review: answered at or above its threshold, or blank."""

    item: int
    item_text: str
    answer: int | None
    answer_label: str | None
    alert: str


@dataclass(frozen=True)
class Score:
    """A scored administration, with everything needed to verify it by hand.

    ``total`` is rounded to the definition's decimals and ``total_text`` is how to show it.
    ``in_clinical_range`` is None when the definition has no cut-off; otherwise it says
    whether the total is at or beyond the cut-off in the worse direction.
    """

    measure_id: str
    version: str
    total: float
    total_text: str
    minimum: float
    maximum: float
    prorated: bool
    answered: int
    item_count: int
    subscales: tuple[SubscaleScore, ...]
    band: str | None
    cutoff: CutoffUsed | None
    in_clinical_range: bool | None
    alerts: tuple[CriticalAlert, ...]
    items: tuple[ItemScore, ...]
    method_text: str


class Verdict(StrEnum):
    """Whether a change is reliable, and in which direction (direction-aware)."""

    RELIABLE_IMPROVEMENT = "reliable_improvement"
    RELIABLE_DETERIORATION = "reliable_deterioration"
    NO_RELIABLE_CHANGE = "no_reliable_change"
    NOT_ASSESSED = "not_assessed"

    @property
    def words(self) -> str:
        return {
            Verdict.RELIABLE_IMPROVEMENT: "Reliable improvement",
            Verdict.RELIABLE_DETERIORATION: "Reliable deterioration",
            Verdict.NO_RELIABLE_CHANGE: "No reliable change",
            Verdict.NOT_ASSESSED: "Reliability of change not assessed",
        }[self]


@dataclass(frozen=True)
class ItemChange:
    """The change on one item (e.g. one goal of the Goal-Based Outcomes)."""

    item: int
    text: str
    earlier: int | None
    later: int | None
    difference: int | None


@dataclass(frozen=True)
class Change:
    """The change between two administrations of one measure, and how it was judged.

    ``difference`` is later minus earlier. With the Jacobson and Truax method ``s_diff`` and
    ``rc_index`` are set and ``threshold`` is the smallest reliable change in points
    (1.96 x S_diff); with a published threshold only ``threshold`` is set.
    ``clinically_significant`` is None when it cannot be judged (no cut-off, or no reliable
    change parameters); the app never calls anyone "recovered".
    """

    measure_id: str
    earlier_total: float
    later_total: float
    difference: float
    method: ReliableChangeMethod | None
    s_diff: float | None
    rc_index: float | None
    threshold: float | None
    verdict: Verdict
    clinically_significant: bool | None
    clinically_significant_text: str
    parameters_text: str
    source: str
    summary: str
    item_changes: tuple[ItemChange, ...]
    response: bool = False
    """True for a change at or above the rule's response step but below its threshold."""
    label: str = ""
    """The verdict in the source's words (e.g. "Clinically meaningful improvement")."""


# -- helpers -----------------------------------------------------------------------------------


def _round(value: float | Decimal, decimals: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _num(value: float | Decimal) -> str:
    """A number as people write it: 10, 10.5, -3 (no trailing zeros)."""
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def _plural(count: float | Decimal, one: str, many: str | None = None) -> str:
    """'1 point', '2 points', '0.5 points': the count with the right form of the noun."""
    word = one if Decimal(str(count)) == 1 else (many or f"{one}s")
    return f"{_num(count)} {word}"


def cutoff_name(label: str) -> str:
    """What a cut-off with this label is called in words, without saying 'cut-off' twice.

    'Caseness' gives 'Caseness cut-off'; 'Clinical cut-off' stays as it is.
    """
    lowered = label.lower()
    if "cut-off" in lowered or "cutoff" in lowered or "cut off" in lowered:
        return label
    return f"{label} cut-off"


def _two(value: float) -> str:
    """A working figure to two decimals, as shown in the arithmetic."""
    return f"{value:.2f}"


def _item_label(item: Item) -> str:
    return f"Item {item.number} ('{item.short_text}')"


def _items_words(numbers: Sequence[int]) -> str:
    if len(numbers) == 1:
        return f"item {numbers[0]}"
    return "items " + ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"


def effective_cutoff(definition: MeasureDefinition, override: float | None) -> CutoffUsed | None:
    """The cut-off to judge by: an administrator's override (checked), else the definition's.

    An override is allowed only when the definition says its cut-off is configurable, and
    only within the range it states; otherwise ``ValidationError``.
    """
    cutoff = definition.cutoff
    if cutoff is None:
        if override is not None:
            raise ValidationError(
                f"The {definition.short_title} has no clinical cut-off to change.", where="cutoff"
            )
        return None
    if override is None or override == cutoff.value:
        return CutoffUsed(cutoff.value, cutoff.label, cutoff.source, cutoff.value, False)
    allowed = cutoff.configurable
    if allowed is None:
        raise ValidationError(
            f"The cut-off of the {definition.short_title} is fixed by its definition "
            f"({_num(cutoff.value)}) and cannot be changed.",
            where="cutoff",
        )
    if not allowed.minimum <= override <= allowed.maximum:
        raise ValidationError(
            f"The cut-off of the {definition.short_title} can be set from "
            f"{_num(allowed.minimum)} to {_num(allowed.maximum)}; {_num(override)} is outside "
            "that range.",
            where="cutoff",
        )
    decimals = definition.scoring.decimals
    if _round(override, decimals) != Decimal(str(override)):
        raise ValidationError(
            f"The cut-off of the {definition.short_title} can have at most "
            f"{_plural(decimals, 'decimal place')}.",
            where="cutoff",
        )
    source = cutoff.source + (f" {allowed.note}" if allowed.note else "")
    return CutoffUsed(override, cutoff.label, source, cutoff.value, True)


def check_answers(definition: MeasureDefinition, answers: Mapping[int, int | None]) -> None:
    """Refuse answers the definition does not allow, naming each item (ValidationError).

    Checks that every item number belongs to the measure and every answer is one of the
    item's answer values. Unanswered items (None or absent) are allowed here; ``score``
    decides whether enough were answered.
    """
    problems: list[Problem] = []
    count = definition.item_count
    for number, value in answers.items():
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= count:
            problems.append(
                Problem(
                    f"answers.{number}",
                    f"Item {number!r} is not part of the {definition.short_title} (it has items "
                    f"1 to {count}).",
                )
            )
            continue
        if value is None:
            continue
        item = definition.item(number)
        if isinstance(value, bool) or not isinstance(value, int) or value not in item.values:
            shown = value if isinstance(value, int) and not isinstance(value, bool) else repr(value)
            problems.append(
                Problem(
                    f"answers.{number}",
                    f"{_item_label(item)}: {shown} is not one of the answers "
                    f"({values_words(item)}).",
                )
            )
    if problems:
        raise ValidationError(problems)


def _aggregate(
    scored: Sequence[int],
    item_count: int,
    method: ScoringMethod,
    decimals: int,
) -> tuple[Decimal, str]:
    """The rounded total of these scored values and the arithmetic, in words."""
    answered = len(scored)
    raw = sum(scored)
    if method is ScoringMethod.SUM:
        if answered == item_count:
            return _round(raw, decimals), f"sum {raw}"
        exact = Decimal(raw) * item_count / answered
        rounded = _round(exact, decimals)
        return rounded, (
            f"sum of the {_plural(answered, 'answered item')} {raw}, prorated to "
            f"{_plural(item_count, 'item')}: "
            f"{raw} x {item_count} / {answered} = {_two(float(exact))}, rounded to "
            f"{_num(rounded)}"
        )
    mean = Decimal(raw) / answered
    if method is ScoringMethod.MEAN:
        rounded = _round(mean, decimals)
        return rounded, (
            f"mean of the {_plural(answered, 'answered item')}: {raw} / {answered} = "
            f"{_two(float(mean))}, rounded to {_num(rounded)}"
        )
    exact = mean * 10
    rounded = _round(exact, decimals)
    return rounded, (
        f"mean of the {_plural(answered, 'answered item')} times 10: {raw} / {answered} x 10 = "
        f"{_two(float(exact))}, rounded to {_num(rounded)}"
    )


def critical_alerts(
    definition: MeasureDefinition, answers: Mapping[int, int | None]
) -> tuple[CriticalAlert, ...]:
    """Every critical item answered at or above its threshold, or left blank.

    Needs no score, so a form that cannot be scored still raises its alerts. A blank
    critical item's alert says only that it was not answered: nothing was reported.
    """
    alerts: list[CriticalAlert] = []
    for critical in definition.critical_items:
        item = definition.item(critical.item)
        value = answers.get(critical.item)
        if value is None:
            alerts.append(
                CriticalAlert(
                    item.number,
                    item.text,
                    None,
                    None,
                    f"{_item_label(item)} was not answered, so the risk it asks about is "
                    "unknown. Ask the client about it directly and review their risk.",
                )
            )
        elif value >= critical.minimum_value:
            alerts.append(
                CriticalAlert(item.number, item.text, value, item.label_for(value), critical.alert)
            )
    return tuple(alerts)


def score(
    definition: MeasureDefinition,
    answers: Mapping[int, int | None],
    *,
    cutoff: float | None = None,
) -> Score:
    """Score one administration; ``answers`` maps item number (from 1) to value or None.

    ``cutoff`` is an administrator's override of a configurable cut-off (see
    ``effective_cutoff``). Raises ``ValidationError`` naming each offending item when an
    answer is not allowed, an item number is unknown, or too many items are unanswered.
    """
    check_answers(definition, answers)
    rule = definition.scoring
    item_scores: list[ItemScore] = []
    scored_by_item: dict[int, int] = {}
    for item in definition.items:
        value = answers.get(item.number)
        if value is None:
            item_scores.append(ItemScore(item.number, item.text, None, None, None, item.reverse))
            continue
        points = item.scored(value)
        scored_by_item[item.number] = points
        item_scores.append(
            ItemScore(item.number, item.text, value, item.label_for(value), points, item.reverse)
        )
    answered = len(scored_by_item)
    count = definition.item_count
    if answered < rule.minimum_answered:
        missing = [i for i in definition.items if i.number not in scored_by_item]
        allowed = count - rule.minimum_answered
        rule_words = (
            "every item must be answered"
            if allowed == 0
            else f"at most {allowed} item{'s' if allowed != 1 else ''} may be left unanswered"
        )
        raise ValidationError(
            [
                Problem(
                    f"answers.{item.number}",
                    f"{_item_label(item)} has no answer. To score the "
                    f"{definition.short_title}, {rule_words}; {len(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} unanswered.",
                )
                for item in missing
            ]
        )

    total, arithmetic = _aggregate(list(scored_by_item.values()), count, rule.method, rule.decimals)
    prorated = rule.method is ScoringMethod.SUM and answered < count
    reversed_items = [i.number for i in definition.items if i.reverse]
    steps = [f"{definition.short_title} total: {rule.method.words}"]
    if reversed_items:
        steps.append(f"{_items_words(reversed_items)} reverse scored")
    steps.append(f"{answered} of {count} answered")
    steps.append(arithmetic)
    method_text = "; ".join(steps) + "."

    subscales: list[SubscaleScore] = []
    for subscale in definition.subscales:
        values = [scored_by_item[n] for n in subscale.items if n in scored_by_item]
        size = len(subscale.items)
        if len(values) < subscale.minimum_answered:
            subscales.append(
                SubscaleScore(
                    subscale.id,
                    subscale.title,
                    None,
                    "not scored",
                    len(values),
                    size,
                    False,
                    f"Not scored: {len(values)} of its {_plural(size, 'item')} answered; at "
                    f"least {subscale.minimum_answered} needed.",
                )
            )
            continue
        sub_total, _ = _aggregate(values, size, rule.method, rule.decimals)
        subscales.append(
            SubscaleScore(
                subscale.id,
                subscale.title,
                float(sub_total),
                _num(sub_total),
                len(values),
                size,
                rule.method is ScoringMethod.SUM and len(values) < size,
            )
        )

    band = next((b.label for b in definition.bands if b.contains(float(total))), None)
    used = effective_cutoff(definition, cutoff)
    in_range: bool | None = None
    if used is not None:
        in_range = (
            float(total) >= used.value if definition.higher_is_worse else float(total) <= used.value
        )

    low, high = definition.score_range
    return Score(
        measure_id=definition.id,
        version=definition.version,
        total=float(total),
        total_text=f"{total:.{rule.decimals}f}",  # to the definition's decimals: 23.0
        minimum=low,
        maximum=high,
        prorated=prorated,
        answered=answered,
        item_count=count,
        subscales=tuple(subscales),
        band=band,
        cutoff=used,
        in_clinical_range=in_range,
        alerts=critical_alerts(definition, answers),
        items=tuple(item_scores),
        method_text=method_text,
    )


# -- change --------------------------------------------------------------------------------


def _item_changes(earlier: Score, later: Score) -> tuple[ItemChange, ...]:
    out: list[ItemChange] = []
    for before, after in zip(earlier.items, later.items, strict=False):
        difference = (
            None if before.scored is None or after.scored is None else after.scored - before.scored
        )
        out.append(ItemChange(after.number, after.text, before.answer, after.answer, difference))
    return tuple(out)


def reliable_change(definition: MeasureDefinition, earlier: Score, later: Score) -> Change:
    """Judge the change from ``earlier`` to ``later`` (both scored by ``definition``).

    The verdict is direction-aware: on a scale where higher is worse, a reliable fall is an
    improvement. Clinically significant change needs a cut-off and a reliable change rule.
    Scores from another measure or version are refused (``ValidationError``), because their
    totals are not on the same scale; an earlier score of a version the definition names in
    ``comparable_with`` (same items and answers) is on the same scale and is judged.
    """
    for which, s in (("earlier", earlier), ("later", later)):
        same_scale = s.version == definition.version or (
            which == "earlier" and s.version in definition.comparable_with
        )
        if s.measure_id != definition.id or not same_scale:
            raise ValidationError(
                f"The {which} score is of {s.measure_id} version {s.version}, not of "
                f"{definition.id} version {definition.version}; change can only be judged "
                "between scores of the same measure and version.",
                where=which,
            )
    difference = float(Decimal(later.total_text) - Decimal(earlier.total_text))
    direction = "higher is worse" if definition.higher_is_worse else "higher is better"
    rule = definition.reliable_change
    s_diff: float | None = None
    rc_index: float | None = None
    threshold: float | None = None
    method: ReliableChangeMethod | None = None
    source = ""
    reliable = False
    response = False
    label = ""
    if rule is None:
        verdict = Verdict.NOT_ASSESSED
        parameters = (
            f"The {definition.short_title} definition gives no reliable change parameters, so "
            "whether this change is reliable cannot be judged."
        )
    else:
        method = rule.method
        source = rule.source
        if rule.method is ReliableChangeMethod.JACOBSON_TRUAX:
            sd = rule.reference_sd or 0.0
            r = rule.reliability or 0.0
            s_diff = sd * math.sqrt(2) * math.sqrt(1 - r)
            rc_index = difference / s_diff if s_diff > 0 else 0.0
            threshold = RC_CRITERION * s_diff
            reliable = abs(rc_index) > RC_CRITERION
            parameters = (
                f"Jacobson and Truax reliable change index: S_diff = SD x sqrt(2) x "
                f"sqrt(1 - r) = {_num(sd)} x 1.414 x sqrt(1 - {_num(r)}) = {_two(s_diff)}; "
                f"RC = change / S_diff = {_num(difference)} / {_two(s_diff)} = "
                f"{_two(rc_index)}; reliable when |RC| > 1.96 (a change of more than "
                f"{_two(threshold)} points). Source: {rule.source}"
            )
        else:
            threshold = rule.threshold or 0.0
            reliable = abs(difference) >= threshold
            parameters = (
                f"Published reliable change threshold: a change of "
                f"{_plural(threshold, 'point')} or more is reliable; this change is "
                f"{_plural(abs(difference), 'point')}. Source: {rule.source}"
            )
        if rule.note:
            parameters += f" Note: {rule.note}"
        better = difference < 0 if definition.higher_is_worse else difference > 0
        if not reliable:
            verdict = Verdict.NO_RELIABLE_CHANGE
            step = rule.response_threshold
            if step is not None and threshold is not None and abs(difference) >= step:
                response = True
                label = (
                    f"{'Response to treatment' if better else 'Worsening'} "
                    f"({_num(step)} to {_num(threshold - 1)} points; not yet "
                    f"{rule.threshold_label})"
                )
        else:
            verdict = Verdict.RELIABLE_IMPROVEMENT if better else Verdict.RELIABLE_DETERIORATION
            if rule.threshold_label != "reliable":
                kind = "improvement" if better else "deterioration"
                label = f"{rule.threshold_label.capitalize()} {kind}"

    clinically_significant: bool | None = None
    cs_text = ""
    cutoff = later.cutoff
    if cutoff is None or definition.cutoff is None:
        cs_text = (
            f"The {definition.short_title} definition gives no sourced clinical cut-off, so "
            "clinically significant change is not judged."
        )
    elif rule is None:
        cs_text = "Clinically significant change needs reliable change parameters; not judged."
    else:
        before = earlier.in_clinical_range
        after = later.in_clinical_range
        side = "at or above" if definition.higher_is_worse else "at or below"
        other = "below" if definition.higher_is_worse else "above"
        if verdict is Verdict.RELIABLE_IMPROVEMENT and before and not after:
            clinically_significant = True
            cs_text = (
                f"Clinically significant improvement: reliable, and moved from {side} the "
                f"{cutoff.name} ({_num(cutoff.value)}) to {other} it."
            )
        elif verdict is Verdict.RELIABLE_DETERIORATION and not before and after:
            clinically_significant = True
            cs_text = (
                f"Clinically significant deterioration: reliable, and moved to {side} the "
                f"{cutoff.name} ({_num(cutoff.value)})."
            )
        else:
            clinically_significant = False
            cs_text = (
                "Not a clinically significant change: that needs a reliable change that also "
                f"crosses the {cutoff.name} ({_num(cutoff.value)})."
            )

    sign = "+" if difference > 0 else ""
    label = label or verdict.words
    summary = (
        f"{definition.short_title} from {earlier.total_text} to {later.total_text} "
        f"({sign}{_num(difference)}; {direction}): {label[0].lower()}{label[1:]}."
    )
    return Change(
        measure_id=definition.id,
        earlier_total=earlier.total,
        later_total=later.total,
        difference=difference,
        method=method,
        s_diff=s_diff,
        rc_index=rc_index,
        threshold=threshold,
        verdict=verdict,
        clinically_significant=clinically_significant,
        clinically_significant_text=cs_text,
        parameters_text=parameters,
        source=source,
        summary=summary,
        item_changes=_item_changes(earlier, later),
        response=response,
        label=label,
    )
