"""Measure definition files: the schema, the checks it cannot express, and the shipped files."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from clinic_app.errors import ValidationError
from clinic_app.measures import checking
from clinic_app.measures import definitions as D
from clinic_app.measures.definitions import (
    Origin,
    ReliableChangeMethod,
    ScoringMethod,
    parse_definition,
    shipped_definitions,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "measures.md"

# A shipped version file never changes once released: a revision is a new file with a new
# version, so administrations keep scoring by the version they were given with. If one of
# these fails, add a new version file instead of editing the old one.
RELEASED = {
    "audit-c.v1.json": "b71049ae48f5707abe3982b6dfddcc7c734be0e2d67b0c5fd99252ffb4df64fd",
    "core-10.v1.json": "56f6de573cc6a2a6808f351dc184afc4d3096a15e71e87c03335da78ee82e840",
    "gad-7.v1.json": "1d117d2f21a55c511977c8274ba096962a234d009492ba0453f4757e8fd1dc29",
    "gbo.v1.json": "365b8fb96615aaa63778ac16f00292183eb76bb4f62bb5ac161b44c0f18333cc",
    "pcl-5.v1.json": "d3d678afd1d94759315e04a04afcc2413fb304ad7e8529fbda2e99c2a0cbe571",
    "phq-9.v1.json": "bc9964870e11e0838b122ca26dbbdec50eb3bb4b2c6d6e4e74bec0c2bbda87a6",
    "core-10.v2.json": "dc7ffb25150815de171352f6640244a20fc9910d855de1ff90e8738515611daf",
    "gad-7.v2.json": "e7b2397c3687ac5fdc0d97a88b8c3b228a978bc3b2e5daddd9ac7031bc0a4f6a",
    "pcl-5.v2.json": "160754aff76355cba1f1a0ec88cfbf68b126302a06194ea87e85bfd6faa81663",
    "phq-9.v2.json": "b20ed0f19ca8b75cb31303eb16669c3a0ca304acd057e97365df40bcc2fe0711",
}


def docs_example() -> dict[str, Any]:
    [block] = re.findall(r"```json\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    example: dict[str, Any] = json.loads(block)
    return example


def problems_of(document: object) -> list[tuple[str, str]]:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(ValidationError) as caught:
        parse_definition(text)
    return [(p.where, p.message) for p in caught.value.problems]


def shipped(measure_id: str) -> D.MeasureDefinition:
    return next(d for d in shipped_definitions() if d.id == measure_id)


# -- the schema ------------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = checking.load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["format"]["const"] == D.FORMAT
    assert schema["properties"]["id"]["pattern"] == D.MEASURE_ID_PATTERN
    assert schema["properties"]["version"]["pattern"] == D.VERSION_PATTERN


def test_every_schema_field_is_described() -> None:
    missing = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub and "$ref" not in sub:
                    missing.append(f"{where}.{name}")
            for key, sub in node.items():
                walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for sub in node:
                walk(sub, where)

    walk(checking.load_schema(), "$")
    assert missing == []


def test_the_worked_example_in_the_docs_is_a_valid_definition() -> None:
    definition = parse_definition(json.dumps(docs_example()))
    assert definition.id == "northclinic.example-check"
    assert definition.origin is Origin.CLINIC
    assert definition.item(2).reverse
    assert definition.score_range == (0, 12)  # four items of 0 to 3
    assert definition.reliable_change is not None
    assert definition.reliable_change.method is ReliableChangeMethod.JACOBSON_TRUAX


# -- refused files list every problem ----------------------------------------------------------


def test_the_refusal_shown_in_the_docs_is_what_the_app_says() -> None:
    doc = docs_example()
    doc["items"][2]["number"] = 4
    doc["bands"][1]["minimum"] = 5
    doc["critical_items"][0]["minimum_value"] = 5
    with pytest.raises(ValidationError) as caught:
        parse_definition(json.dumps(doc))
    shown = DOCS.read_text(encoding="utf-8").split("    3 problems were found:\n")[1]
    lines = ["3 problems were found:", *shown.split("\n\n")[0].split("\n")]
    assert caught.value.message.split("\n") == [line.removeprefix("    ") for line in lines]


def test_schema_problems_are_all_listed_in_plain_english_with_their_paths() -> None:
    doc = docs_example()
    del doc["title"]
    doc["id"] = "North Clinic!"
    doc["items"][1]["text"] = 7
    doc["items"][2]["colour"] = "red"
    doc["scoring"]["method"] = "median"
    doc["direction"] = "up"
    problems = problems_of(doc)
    assert problems == [
        ("$.direction", '"up" is not allowed here. Use one of: higher_is_worse, higher_is_better.'),
        ("$.id", problems[1][1]),
        ("$.items[1].text", "This should be text, not a whole number."),
        (
            "$.items[2].colour",
            "This field is not part of a measure definition; check its spelling.",
        ),
        ("$.scoring.method", '"median" is not allowed here. Use one of: sum, mean, mean_x10.'),
        ("$.title", "This field is missing."),
    ]
    assert "not a valid measure id" in problems[1][1]


def test_semantic_problems_are_all_listed_at_once_with_where_they_are() -> None:
    doc = docs_example()
    doc["items"][2]["number"] = 4  # items numbered 1, 2, 4, 4
    doc["items"][0]["options"] = [
        {"value": 0, "label": "No"},
        {"value": 3, "label": "Yes"},
        {"value": 3, "label": "Maybe"},
    ]
    doc["subscales"] = [
        {"id": "T", "title": "Tension", "items": [1, 9, 1]},
        {"id": "T", "title": "Again", "items": [2], "minimum_answered": 2},
    ]
    doc["scoring"]["minimum_answered"] = 5
    problems = problems_of(doc)
    assert problems == [
        (
            "$.items[0].options[2].value",
            "The answer value 3 is used twice for item 1; each answer needs its own value.",
        ),
        (
            "$.items[2].number",
            "Items must be numbered 1, 2, 3... in order; this is entry 3 of the list but is "
            "numbered 4.",
        ),
        (
            "$.scoring.minimum_answered",
            "At least 5 items must be answered, but the measure has only 4 items.",
        ),
        (
            "$.subscales[0].items[1]",
            "Subscale 'T' lists item 9, but the measure has items 1 to 4 only.",
        ),
        ("$.subscales[0].items[2]", "Subscale 'T' lists item 1 twice."),
        ("$.subscales[1].id", "The subscale id 'T' is used twice."),
        ("$.subscales[1].minimum_answered", "Subscale 'T' needs 2 answered items but has only 1."),
    ]


def test_bands_must_be_contiguous_and_cover_every_possible_total() -> None:
    doc = docs_example()  # totals 0 to 12
    doc["bands"] = [
        {"minimum": 1, "maximum": 3, "label": "Low"},  # does not start at 0
        {"minimum": 5, "maximum": 7, "label": "Raised"},  # gap: 4 is in no band
        {"minimum": 7, "maximum": 11, "label": "High"},  # overlaps 7; and 12 is in no band
    ]
    problems = problems_of(doc)
    assert problems == [
        (
            "$.bands[0].minimum",
            "The first band must start at the lowest possible total, 0; it starts at 1.",
        ),
        (
            "$.bands[1].minimum",
            "Band 'Raised' starts at 5 and so leaves a gap after 'Low' (which ends at 3); it "
            "should start at 4.",
        ),
        (
            "$.bands[2].maximum",
            "The last band must end at the highest possible total, 12; it ends at 11.",
        ),
        (
            "$.bands[2].minimum",
            "Band 'High' starts at 7 and so overlaps the band before 'Raised' (which ends at 7); "
            "it should start at 8.",
        ),
    ]


def test_bands_with_one_decimal_step_by_a_tenth() -> None:
    doc = docs_example()
    doc["scoring"] = {"method": "mean_x10", "minimum_answered": 3, "decimals": 1}  # 0 to 30
    doc["bands"] = [
        {"minimum": 0, "maximum": 9.9, "label": "Low"},
        {"minimum": 10, "maximum": 30, "label": "High"},
    ]
    del doc["cutoff"]["configurable"]
    assert parse_definition(json.dumps(doc)).bands[1].minimum == 10
    doc["bands"][1]["minimum"] = 10.1
    assert problems_of(doc)[0][0] == "$.bands[1].minimum"


def test_cutoff_critical_items_reliable_change_and_licence_are_checked() -> None:
    doc = docs_example()
    doc["cutoff"] = {
        "value": 13,
        "label": "Clinical range",
        "source": "x",
        "configurable": {"minimum": 9, "maximum": 7},
    }
    doc["critical_items"] = [
        {"item": 4, "minimum_value": 5, "alert": "Review risk."},
        {"item": 6, "minimum_value": 1, "alert": "Review risk."},
    ]
    doc["reliable_change"] = {"method": "jacobson_truax", "threshold": 3, "source": "x"}
    doc["licence"]["text_may_change"] = False
    problems = dict(problems_of(doc))
    assert problems == {
        "$.cutoff.value": "The cut-off 13 is outside the range of totals (0 to 12).",
        "$.cutoff.configurable.maximum": "The highest allowed cut-off (7) is below the lowest (9).",
        "$.reliable_change.reference_sd": "The Jacobson and Truax method needs the reference "
        "standard deviation ('reference_sd').",
        "$.reliable_change.reliability": "The Jacobson and Truax method needs the test-retest "
        "reliability ('reliability').",
        "$.reliable_change.threshold": "A threshold belongs to the 'published_threshold' method; "
        "the Jacobson and Truax method computes its own from the standard deviation and "
        "reliability.",
        "$.critical_items[0].minimum_value": "5 is not one of the answers to item 4 (0 to 3).",
        "$.critical_items[1].item": "Item 6 is not part of the measure (it has items 1 to 4).",
        "$.licence.copyright_line": "A measure whose text may not be changed must carry the "
        "copyright line to show with it.",
    }


def test_a_published_threshold_needs_its_threshold() -> None:
    doc = docs_example()
    doc["reliable_change"] = {"method": "published_threshold", "reliability": 0.8, "source": "x"}
    assert dict(problems_of(doc)) == {
        "$.reliable_change.threshold": "The published-threshold method needs the threshold "
        "('threshold'): the smallest change, in points, that counts as reliable.",
        "$.reliable_change.reliability": "'reliability' belongs to the 'jacobson_truax' method, "
        "not to a published threshold.",
    }


@pytest.mark.parametrize(
    ("text", "where", "start"),
    [
        ("{not json", "$", "This file is not valid JSON (line 1, column 2"),
        ('{"id": "a", "id": "b"}', "$", "The field 'id' appears twice"),
        ('{"x": NaN}', "$", "This file holds a number JSON does not allow"),
        ("[]", "$", "A measure definition file holds one JSON object"),
        ('{"format": "clinic-app/client-record"}', "$.format", "This file is not a clinic-app "),
        (
            '{"format": "clinic-app/measure-definition", "format_version": 2}',
            "$.format_version",
            "This file is in version 2 of the measure definition format",
        ),
    ],
)
def test_files_that_are_not_definitions_get_one_clear_problem(
    text: str, where: str, start: str
) -> None:
    [(at, message)] = problems_of(text)
    assert at == where
    assert message.startswith(start)


def test_a_huge_file_is_refused_before_it_is_parsed() -> None:
    [(_, message)] = problems_of(" " * (D.MAX_DEFINITION_BYTES + 1))
    assert message.startswith("This file is too large")


def test_parsing_records_the_exact_files_hash_and_origin() -> None:
    text = json.dumps(docs_example(), indent=1)
    definition = parse_definition(text)
    assert definition.content_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert parse_definition(text, origin=Origin.SHIPPED).origin is Origin.SHIPPED


def test_answer_options_default_to_the_measures_and_items_may_have_their_own() -> None:
    doc = docs_example()
    doc["items"][3]["options"] = [{"value": 0, "label": "No"}, {"value": 5, "label": "Yes"}]
    doc["bands"][2]["maximum"] = 14
    doc["critical_items"][0]["minimum_value"] = 5
    definition = parse_definition(json.dumps(doc))
    assert definition.item(1).values == (0, 1, 2, 3)
    assert definition.item(4).values == (0, 5)
    assert definition.score_range == (0, 14)  # 3 + 3 + 3 + 5


# -- the shipped measures ------------------------------------------------------------------------


def test_every_shipped_file_parses_and_is_named_by_id_and_version() -> None:
    found = {(d.id, d.version): d for d in shipped_definitions()}
    assert set(found) == {
        ("phq-9", "1"),
        ("gad-7", "1"),
        ("pcl-5", "1"),
        ("audit-c", "1"),
        ("core-10", "1"),
        ("gbo", "1"),
        ("phq-9", "2"),
        ("gad-7", "2"),
        ("pcl-5", "2"),
        ("core-10", "2"),
    }
    assert all(d.origin is Origin.SHIPPED for d in found.values())


def test_released_shipped_files_are_never_changed() -> None:
    files = {p.name: p for p in D.shipped_dir().glob("*.json")}
    for name, sha256 in RELEASED.items():
        assert hashlib.sha256(files[name].read_bytes()).hexdigest() == sha256, name


def test_every_shipped_measure_names_its_source_and_licence() -> None:
    for d in shipped_definitions():
        assert d.source and d.licence.licence and d.licence.attribution, d.id
        assert d.instructions
        if d.cutoff is not None:
            assert d.cutoff.source, d.id
        if d.reliable_change is not None:
            assert d.reliable_change.source, d.id


@pytest.mark.parametrize(
    ("measure_id", "items", "low", "high", "bands"),
    [
        (
            "phq-9",
            9,
            0,
            27,
            [
                (0, 4, "Minimal"),
                (5, 9, "Mild"),
                (10, 14, "Moderate"),
                (15, 19, "Moderately severe"),
                (20, 27, "Severe"),
            ],
        ),
        (
            "gad-7",
            7,
            0,
            21,
            [(0, 4, "Minimal"), (5, 9, "Mild"), (10, 14, "Moderate"), (15, 21, "Severe")],
        ),
        ("pcl-5", 20, 0, 80, []),
        ("audit-c", 3, 0, 12, []),
        (
            "core-10",
            10,
            0,
            40,
            [
                (0, 5, "Healthy"),
                (6, 10, "Low level"),
                (11, 14, "Mild"),
                (15, 19, "Moderate"),
                (20, 24, "Moderate-to-severe"),
                (25, 40, "Severe"),
            ],
        ),
        ("gbo", 3, 0, 10, []),
    ],
)
def test_shipped_scales_and_bands_are_as_published(
    measure_id: str, items: int, low: int, high: int, bands: list[tuple[int, int, str]]
) -> None:
    d = shipped(measure_id)
    assert d.item_count == items
    assert d.score_range == (low, high)
    assert [(b.minimum, b.maximum, b.label) for b in d.bands] == bands


def test_shipped_verbatim_spot_checks() -> None:
    phq = shipped("phq-9")
    assert phq.instructions == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert phq.item(1).text == "Little interest or pleasure in doing things"
    assert phq.item(9).text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert [o.label for o in phq.item(1).options] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    pcl = shipped("pcl-5")
    assert pcl.item(20).text == "Trouble falling or staying asleep?"
    assert [(s.id, s.items) for s in pcl.subscales] == [
        ("B", (1, 2, 3, 4, 5)),
        ("C", (6, 7)),
        ("D", (8, 9, 10, 11, 12, 13, 14)),
        ("E", (15, 16, 17, 18, 19, 20)),
    ]
    core = shipped("core-10")
    assert core.item(6).text == "I made plans to end my life"
    assert [i.number for i in core.items if i.reverse] == [2, 3]


def test_core_10_is_shipped_under_its_licence_terms() -> None:
    core = shipped("core-10")
    assert core.licence.licence == "CC BY-NC-ND 4.0"
    assert not core.licence.text_may_change
    assert not core.licence.commercial_use
    assert core.licence.copyright_line == (
        "\u00a9 CORE System Trust: https://www.coresystemtrust.org.uk/copyright.pdf"
    )
    gbo = shipped("gbo")
    assert gbo.licence.licence == "CC BY-NC-SA 4.0" and not gbo.licence.commercial_use


def test_shipped_rules_match_the_domain_notes() -> None:
    phq, gad, pcl, audit_c, core = (
        shipped(x) for x in ("phq-9", "gad-7", "pcl-5", "audit-c", "core-10")
    )
    assert phq.cutoff is not None and phq.cutoff.value == 10
    assert phq.reliable_change is not None and phq.reliable_change.threshold == 6
    assert [(c.item, c.minimum_value) for c in phq.critical_items] == [(9, 1)]
    assert gad.cutoff is not None and gad.cutoff.value == 8
    assert gad.reliable_change is not None and gad.reliable_change.threshold == 4
    assert pcl.cutoff is not None and pcl.cutoff.configurable is not None
    assert (pcl.cutoff.configurable.minimum, pcl.cutoff.configurable.maximum) == (31, 33)
    assert audit_c.cutoff is not None and audit_c.cutoff.value == 5
    assert audit_c.cutoff.configurable is not None
    assert core.cutoff is not None and core.cutoff.value == 11
    assert core.scoring.minimum_answered == 9  # prorated with at most one item missing
    assert core.reliable_change is not None and core.reliable_change.threshold == 6
    assert [(c.item, c.minimum_value) for c in core.critical_items] == [(6, 1)]
    assert shipped("gbo").scoring.method is ScoringMethod.MEAN
    assert shipped("gbo").scoring.per_item_change
    assert not shipped("gbo").higher_is_worse


def test_a_faulty_shipped_file_stops_the_app_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "measures").mkdir()
    good = json.loads((D.shipped_dir() / "gad-7.v1.json").read_text(encoding="utf-8"))
    (tmp_path / "measures" / "gad-7.v2.json").write_text(json.dumps(good), encoding="utf-8")
    monkeypatch.setattr(D, "shipped_dir", lambda: tmp_path / "measures")
    D.shipped_definitions.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=r"gad-7\.v2\.json should be named gad-7\.v1\.json"):
            D.shipped_definitions()
        bad = copy.deepcopy(good)
        bad["bands"][0]["maximum"] = 3
        (tmp_path / "measures" / "gad-7.v2.json").write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(RuntimeError, match=r"gad-7\.v2\.json is faulty"):
            D.shipped_definitions()
    finally:
        D.shipped_definitions.cache_clear()


def test_the_checked_list_is_every_shipped_file_as_it_is_each_passing_every_check() -> None:
    """The list lets the app skip checks at each start: it must name exactly the files
    as they are, and only files that pass every check."""
    listed = {}
    for line in (D.shipped_dir() / D.CHECKED_LIST).read_text(encoding="ascii").splitlines():
        digest, name = line.split()
        listed[name] = digest
    expected = {}
    for path in sorted(D.shipped_dir().glob("*.json")):
        text = path.read_text(encoding="utf-8")
        parse_definition(text, origin=Origin.SHIPPED)  # every check: nothing is skipped
        expected[path.name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    lines = "\n".join(f"{digest}  {name}" for name, digest in expected.items())
    assert listed == expected, f"after checking the files, {D.CHECKED_LIST} should read:\n{lines}"


def test_a_shipped_file_not_as_listed_is_checked_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "measures"
    folder.mkdir()
    text = (D.shipped_dir() / "gad-7.v1.json").read_text(encoding="utf-8")
    (folder / "gad-7.v1.json").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (folder / D.CHECKED_LIST).write_text(f"{digest}  gad-7.v1.json\n", encoding="ascii")
    monkeypatch.setattr(D, "shipped_dir", lambda: folder)
    checks: list[object] = []
    real = checking.definition_problems

    def counted(document: Any) -> list[Any]:
        checks.append(document)
        return real(document)

    monkeypatch.setattr(checking, "definition_problems", counted)
    D.shipped_definitions.cache_clear()
    try:
        [as_listed] = D.shipped_definitions()
        assert as_listed.id == "gad-7" and checks == []  # as released: not checked again
        bad = json.loads(text)
        bad["bands"][0]["maximum"] = 3
        (folder / "gad-7.v1.json").write_text(json.dumps(bad), encoding="utf-8")
        D.shipped_definitions.cache_clear()
        with pytest.raises(RuntimeError, match=r"gad-7\.v1\.json is faulty"):
            D.shipped_definitions()
        assert len(checks) == 1
    finally:
        D.shipped_definitions.cache_clear()


def test_reading_the_shipped_measures_loads_no_schema_checker() -> None:
    """The checks and their schema library are about 0.1 s and 4 MB in every process."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from clinic_app.measures.definitions import shipped_definitions\n"
        "assert len(shipped_definitions()) >= 10\n"
        "loaded = ('jsonschema', 'clinic_app.measures.checking')\n"
        "print(sorted(m for m in loaded if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_shorten_cuts_long_item_text_at_a_word() -> None:
    assert D.shorten("Trouble falling or staying asleep, or sleeping too much") == (
        "Trouble falling or staying asleep..."
    )
    assert D.shorten("Trouble relaxing") == "Trouble relaxing"
