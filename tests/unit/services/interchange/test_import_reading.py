"""Reading a client record file: anything odd is refused whole, in one line, before checking.

Also the seal on imported notes (who signed and when) and case references that differ
only in letter case or spacing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clinic_app import schema_words
from clinic_app.errors import ValidationError
from clinic_app.services import interchange, notes
from clinic_app.services.interchange import checks, fields, reading
from clinic_app.storage.engine import create_database
from clinic_app.storage.keys import generate_key
from tests.unit.services.interchange.test_interchange import (
    Checker,
    Source,
    build_rich_record,
    make_team,
)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    database = create_database(tmp_path_factory.mktemp("source") / "source.db", generate_key())
    with database.transaction() as session:
        team = make_team(session)
        client_id = build_rich_record(session, team)
    with database.transaction() as session:
        document = interchange.export_client(session, team.psychologist, client_id)
    yield Source(database, team, client_id, document)
    database.close()


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checker]:
    database = create_database(tmp_path_factory.mktemp("checker") / "checker.db", generate_key())
    with database.transaction() as session:
        team = make_team(session, extra_first=True)
    yield Checker(database, team)
    database.close()


@pytest.fixture
def doc(source: Source) -> dict[str, Any]:
    return copy.deepcopy(source.document)


def _refused(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "record.json"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(text)
    with pytest.raises(ValidationError) as refused:
        interchange.read_document(path)
    message = str(refused.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_file_over_the_limit_is_refused_without_being_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(reading, "MAX_DOCUMENT_BYTES", 1_000_000)
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(1 << 30)  # a 1 GiB file (sparse: it takes no room)
    read: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, *args, **kwargs)
        real_read = handle.read

        def read_some(size: int = -1) -> bytes:
            data = real_read(size)
            read.append(len(data))
            return data

        handle.read = read_some
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    with pytest.raises(ValidationError) as refused:
        interchange.read_document(path)
    assert "larger than 1 MB" in str(refused.value)
    assert sum(read) <= 1_000_001


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested more than"),
        ('{"a":' * 40 + "1" + "}" * 40, "nested more than"),
        ('{"format": 1, "format": 2}', '"format" is given twice'),
        ('{"n": 123456789012345678901234567890}', "too large"),
        ('{"n": ' + "9" * 5000 + "}", "too large"),
        ('{"n": -9223372036854775809}', "too large"),
        ('{"n": NaN}', "NaN is not a number"),
        ('{"n": Infinity}', "Infinity is not a number"),
        ('{"n": 1e999}', "too large"),
        ('{"t": "a\\u0000b"}', "cannot be stored"),
        ('{"t": "\\ud800"}', "cannot be stored"),
        ('{"\\udc00": 1}', "field name"),
        ("{not json", "not valid JSON"),
    ],
)
def test_odd_files_are_refused_in_one_line(tmp_path: Path, text: str, fragment: str):
    assert fragment in _refused(tmp_path, text)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path):
    assert "not UTF-8" in _refused(tmp_path, b'{"a": "\xff"}')


def test_a_missing_file_is_refused(tmp_path: Path):
    with pytest.raises(ValidationError, match="There is no file"):
        interchange.read_document(tmp_path / "nowhere.json")


def test_the_largest_whole_number_a_database_holds_is_accepted():
    value = schema_words.parse_json('{"n": 9223372036854775807, "m": -9223372036854775808}')
    assert value == {"n": 2**63 - 1, "m": -(2**63)}


def test_an_exported_record_reads_back_as_it_was_written(source: Source, tmp_path: Path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(source.document, ensure_ascii=False), encoding="utf-8")
    assert interchange.read_document(path) == source.document


@pytest.mark.parametrize(
    ("where", "value", "fragment"),
    [
        (("client", "local_ref"), "MASIP-\ud800", "cannot be stored"),
        (("client", "given_name"), "A\x00B", "cannot be stored"),
        (("sessions", 0, "duration_minutes"), 2**64, "too large"),
        (("client", "created_at"), "9999-12-31T23:59:59-05:00", "not a real date and time"),
        (("client", "created_at"), "0001-01-01T00:00:00+01:00", "not a real date and time"),
    ],
)
def test_a_document_holding_what_no_record_may_hold_is_refused_whole(
    checker: Checker, doc: dict[str, Any], where: tuple[Any, ...], value: Any, fragment: str
):
    target = doc
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    problems = checker.problems(doc)
    assert any(fragment in message for _, message in problems), problems


def test_a_note_reattributed_to_another_signer_is_refused(checker: Checker, doc: dict[str, Any]):
    signed = next(n for n in doc["sessions"] if n["signed_by"] is not None)
    signed["signed_by"] = "nurse.two"
    problems = checker.problems(doc)
    assert any("content_sha256" in where for where, _ in problems), problems


def test_a_note_with_its_signing_time_moved_is_refused(checker: Checker, doc: dict[str, Any]):
    signed = next(n for n in doc["sessions"] if n["signed_by"] is not None)
    signed["signed_at"] = "2020-01-01T00:00:00+00:00"
    problems = checker.problems(doc)
    assert any("does not match its signature" in message for _, message in problems), problems


def test_a_version_1_seal_still_verifies_but_only_for_the_author(
    checker: Checker, doc: dict[str, Any]
):
    signed = next(n for n in doc["sessions"] if n["signed_by"] is not None)
    content = notes.content_of(checks._note_content(signed))
    signed["content_sha256"] = notes.note_seal_v1(content, signed["author"])
    for addendum in signed["addenda"]:
        addendum["content_sha256"] = notes.addendum_seal(
            signed["content_sha256"],
            addendum["reason"],
            addendum["text"],
            addendum["author"],
            signed_at=fields.parse_timestamp(addendum["signed_at"]),
        )
    with checker.db.session() as session:
        assert interchange.check_document(session, doc) == []
    signed["signed_by"] = "nurse.two"  # a version 1 seal does not cover the signer ...
    problems = checker.problems(doc)
    # ... but a note is signed by its author.
    assert any(where.endswith("signed_by") for where, _ in problems), problems


def test_a_case_reference_differing_only_in_case_and_spaces_is_the_same_client(
    source: Source, tmp_path: Path
):
    database = create_database(tmp_path / "target.db", generate_key())
    try:
        with database.transaction() as session:
            team = make_team(session, extra_first=True)
        first = copy.deepcopy(source.document)
        with database.transaction() as session:
            interchange.import_client(session, team.psychologist, first)
        again = copy.deepcopy(source.document)
        again["client"]["local_ref"] = " ".join(first["client"]["local_ref"].lower())
        again["client"]["nhs_number"] = None
        for disclosure in again["disclosures"]:
            disclosure["document_id"] = disclosure["document_id"][::-1]
        with pytest.raises(ValidationError) as refused, database.transaction() as session:
            interchange.import_client(session, team.psychologist, again)
        assert any(
            p.where == "$.client.local_ref" and "already in use" in p.message
            for p in refused.value.problems
        ), refused.value.problems
    finally:
        database.close()
