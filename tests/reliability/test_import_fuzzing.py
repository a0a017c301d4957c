"""Client record files damaged at random: imported whole and exported back the same, or refused.

A real export (every part of a record) is changed by Hypothesis in one to three places:
a value replaced by anything JSON can hold (deep nesting, huge numbers, lone surrogates,
NUL, odd timestamps), a field removed or added, or the file's text itself cut, doubled
or given a field twice. Each changed file then goes the way a file does at the command
line (``interchange.read_document``'s strict reading, then ``import_client``), and:

- either it is refused with a ``ValidationError`` (one or more located problems) and
  every table holds as many rows as before;
- or it is imported whole, and exporting the new client gives the same record back;
- and nothing else ever happens (no other exception).

The normal run tries a few dozen files; ``-m slow`` (or ``CLINIC_APP_SLOW_TESTS=1``)
tries at least a thousand and prints the figures.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic_app import schema_words
from clinic_app.errors import ValidationError
from clinic_app.services import interchange
from clinic_app.services.interchange import fields
from clinic_app.storage.engine import Database, create_database
from clinic_app.storage.keys import generate_key
from tests.unit.services.interchange.test_interchange import (
    Team,
    build_rich_record,
    make_team,
    row_counts,
)

NORMAL_EXAMPLES = 40
SLOW_EXAMPLES = 1_000

hostile_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["\x00", "a\x00b", "\ud800", "x\udfff", "", " ", "\u202e", "9999-12-31T23:59:59-05:00"]
    ),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "2024-02-30",
            "2024-05-01T25:00:00+00:00",
            "1900-01-01",
            "9999-12-31",
        ]
    ),
)
hostile_number = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=-(2**63) + 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), hostile_number, hostile_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


any_value = st.one_of(
    json_values, st.integers(min_value=20, max_value=800).map(_deep), scalars, scalars
)


def _places(document: Any) -> list[tuple[Any, ...]]:
    """Every place in the record (to the depth a record has): fields and list items."""
    places: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while stack:
        value, where = stack.pop()
        if len(where) > 8 or not isinstance(value, dict | list):
            continue
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            places.append((*where, key))
            stack.append((item, (*where, key)))
    return sorted(places, key=str)


def _parent(document: Any, place: tuple[Any, ...]) -> Any:
    for part in place[:-1]:
        document = document[part]
    return document


mutation = st.one_of(
    st.tuples(
        st.sampled_from(["replace", "replace", "remove", "add"]),
        st.integers(min_value=0),
        any_value,
    ),
    # Text changed for other text, the change a record most often survives.
    st.tuples(st.just("retext"), st.integers(min_value=0), st.text(max_size=80)),
)
text_damage = st.one_of(
    st.none(),
    st.none(),
    st.tuples(st.just("cut"), st.floats(min_value=0, max_value=1)),
    st.tuples(st.just("duplicate"), st.floats(min_value=0, max_value=1)),
    st.tuples(st.just("double"), st.floats(min_value=0, max_value=1)),
)


def _mutate(document: dict[str, Any], changes: list[tuple[str, int, Any]]) -> None:
    for kind, pick, value in changes:
        places = _places(document)
        if not places:
            return
        if kind == "retext":
            places = [p for p in places if isinstance(_parent(document, p)[p[-1]], str)]
            if not places:
                continue
        place = places[pick % len(places)]
        parent = _parent(document, place)
        if kind in ("replace", "retext"):
            parent[place[-1]] = value
        elif kind == "remove" and isinstance(parent, dict):
            del parent[place[-1]]
        elif kind == "remove":
            parent.pop(place[-1])
        elif isinstance(parent, dict):
            parent[f"extra_{pick % 97}"] = value
        else:
            parent.append(value)


def _damage_text(text: str, damage: tuple[str, float] | None) -> str:
    if damage is None:
        return text
    kind, where = damage
    at = int(len(text) * where)
    if kind == "cut":
        return text[:at]
    if kind == "double":
        return text[:at] + text[at : at + 40] + text[at:]
    # A field given twice: repeat the first field name after the next opening brace.
    brace = text.find("{", at)
    if brace < 0:
        return text
    field_end = text.find(",", brace)
    return (
        text
        if field_end < 0
        else text[: brace + 1] + text[brace + 1 : field_end + 1] + text[brace + 1 :]
    )


def _moment(text: object) -> object:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except (ValueError, OverflowError):
        return text


def _normalised(document: Any, importer: str) -> Any:
    """What exporting an imported record gives back: the record, written the export's way."""
    out = copy.deepcopy(document)
    out.pop("exported_at", None)
    for name in fields.CLIENT_TEXT_STRIPPED:
        out["client"][name] = out["client"][name].strip()
    out["assignments"] = [a for a in out["assignments"] if a["staff"] != importer or a["ended_at"]]
    for person in out["third_parties"]:
        # Stored as the app stores what is typed in (record-format.md): text trimmed, one
        # entry a line with blank entries dropped, vehicle registrations in capitals.
        texts = ("name", "details", "advocate_service", "advocate_contact", "wishes_and_concerns")
        for name in (*texts, "ended_reason"):
            person[name] = person[name].strip()
        for name in fields.ENTRY_LISTS:
            person[name] = [e.strip() for e in person[name] if e.strip()]
        person["vehicles"] = [" ".join(v.upper().split()) for v in person["vehicles"]]
        for measure in person["protective_measures"]:
            measure["forbids"] = measure["forbids"].strip()
            measure["reference"] = measure["reference"].strip()
    for administration in out["measure_administrations"]:
        # Never trusted on import: worked out again from the responses (record-format.md).
        administration.pop("computed", None)
        administration["responses"] = sorted(administration["responses"], key=lambda r: r["item"])

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and len(value) >= 20 and "T" in value:
            return _moment(value)
        return value

    return walk(out)


class Fuzzer:
    """The base record, a database to import into, and the figures."""

    def __init__(self, base: dict[str, Any], db: Database, team: Team) -> None:
        self.base = base
        self.db = db
        self.team = team
        self.figures: Counter[str] = Counter()
        self.serial = 0

    def fresh(self) -> dict[str, Any]:
        """The base record under a new case reference and document ids (importable again)."""
        self.serial += 1
        document = copy.deepcopy(self.base)
        document["client"]["local_ref"] = f"FUZZ-{self.serial}"
        document["client"]["nhs_number"] = None
        for disclosure in document["disclosures"]:
            disclosure["document_id"] = str(uuid.uuid4())
        return document

    def attempt(self, text: str, folder: Path) -> None:
        before = row_counts(self.db)
        source = folder / f"record-{self.serial}.json"
        source.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            document = interchange.read_document(source)
        except ValidationError as refused:
            assert refused.problems and all(str(p) for p in refused.problems)
            assert "\n" not in str(refused)  # a file-level refusal is one line
            self.figures["refused on reading"] += 1
            return
        me = self.team.psychologist
        try:
            with self.db.transaction() as session:
                summary = interchange.import_client(session, me, document)
        except ValidationError as refused:
            assert refused.problems
            assert row_counts(self.db) == before, "a refused import wrote something"
            self.figures["refused on checking"] += 1
            return
        with self.db.transaction() as session:
            again = interchange.export_client(session, me, summary.id)
        assert _normalised(again, me.username) == _normalised(document, me.username)
        self.figures["imported and exported back the same"] += 1


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzer]:
    source = create_database(tmp_path_factory.mktemp("source") / "source.db", generate_key())
    target = create_database(tmp_path_factory.mktemp("target") / "target.db", generate_key())
    try:
        with source.transaction() as session:
            team = make_team(session)
            client_id = build_rich_record(session, team)
        with source.transaction() as session:
            base = interchange.export_client(session, team.psychologist, client_id)
        with target.transaction() as session:
            target_team = make_team(session, extra_first=True)
        yield Fuzzer(base, target, target_team)
    finally:
        source.close()
        target.close()


def _fuzz(fuzzer: Fuzzer, folder: Path, examples: int) -> Counter[str]:
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(changes=st.lists(mutation, min_size=1, max_size=3), damage=text_damage)
    def one_file(changes: list[tuple[str, int, Any]], damage: tuple[str, float] | None) -> None:
        document = fuzzer.fresh()
        _mutate(document, changes)
        try:
            text = json.dumps(document, ensure_ascii=True)
        except (ValueError, RecursionError):
            fuzzer.figures["not writable as JSON (skipped)"] += 1
            return
        fuzzer.attempt(_damage_text(text, damage), folder)

    one_file()
    return fuzzer.figures


def test_a_damaged_record_is_imported_whole_or_refused_whole(
    fuzzer: Fuzzer, tmp_path: Path
) -> None:
    figures = _fuzz(fuzzer, tmp_path, NORMAL_EXAMPLES)
    assert sum(figures.values()) >= NORMAL_EXAMPLES // 2


@pytest.mark.slow
def test_a_thousand_damaged_records_are_imported_whole_or_refused_whole(
    fuzzer: Fuzzer, tmp_path: Path
) -> None:
    figures = _fuzz(fuzzer, tmp_path, SLOW_EXAMPLES)
    total = sum(n for outcome, n in figures.items() if "skipped" not in outcome)
    print(f"\nimport fuzzing: {total} files")
    for outcome, count in figures.most_common():
        print(f"  {outcome}: {count} ({100 * count / total:.1f}%)")
    assert total >= SLOW_EXAMPLES


def test_the_base_record_itself_imports_and_exports_back_the_same(
    fuzzer: Fuzzer, tmp_path: Path
) -> None:
    """Control: unchanged, the record goes in and comes back out the same."""
    before = fuzzer.figures["imported and exported back the same"]
    fuzzer.attempt(json.dumps(fuzzer.fresh()), tmp_path)
    assert fuzzer.figures["imported and exported back the same"] == before + 1


@pytest.mark.parametrize("typed", ["", "  ", " ab12  cde "])
def test_a_third_party_written_by_hand_reads_back_as_if_typed_in(
    fuzzer: Fuzzer, tmp_path: Path, typed: str
) -> None:
    """Blank and padded text in every third-party field: refused, or stored as typed in."""
    document = fuzzer.fresh()
    people = document["third_parties"]
    places = [p for p in _places(people) if isinstance(_parent(people, p)[p[-1]], str)]
    assert any(p[1] == "addresses" for p in places)
    before = fuzzer.figures["imported and exported back the same"]
    for place in places:
        document = fuzzer.fresh()
        _parent(document["third_parties"], place)[place[-1]] = typed
        fuzzer.attempt(json.dumps(document), tmp_path)
    assert fuzzer.figures["imported and exported back the same"] > before


def test_the_depth_limit_is_below_where_parsing_would_fail() -> None:
    assert schema_words.odd_value(_deep(schema_words.MAX_DEPTH - 1)) is None
    assert schema_words.odd_value(_deep(schema_words.MAX_DEPTH + 1)) is not None
