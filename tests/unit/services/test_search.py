"""Full-text search over session notes: words anywhere, accents, prefixes, hostile input,
the index kept in step with edits, who may see what, and nothing readable on disk."""

from __future__ import annotations

import importlib
import secrets
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from clinic_app.errors import AccessDenied, EmergencyAccessRequired, ValidationError
from clinic_app.models import NOTE_SECTIONS
from clinic_app.models.enums import Attendance, Modality
from clinic_app.services import clients, notes, search
from clinic_app.services.search import NoteHit, parse_query, search_notes
from tests.conftest import STAFF_PASSWORD, client_details

BASE = notes.NoteContent(
    session_date=date(2026, 3, 2),
    duration_minutes=50,
    modality=Modality.IN_PERSON,
    attendance=Attendance.ATTENDED,
)


def write_note(db, by, client_id, *, day: date = BASE.session_date, sign=False, **sections):  # type: ignore[no-untyped-def]
    content = replace(BASE, session_date=day, **sections)
    with db.transaction() as session:
        row = notes.create_draft(session, by, client_id, content)
        if sign:
            row = notes.sign_note(session, by, row.id, password=STAFF_PASSWORD)
    return row


def find(db, by, words: str, **kwargs) -> list[NoteHit]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return search_notes(session, by, words, **kwargs)


def ids(hits: list[NoteHit]) -> list[int]:
    return [hit.note_id for hit in hits]


@pytest.fixture
def second_client(db, clinician) -> int:  # type: ignore[no-untyped-def]
    """A client registered by (so assigned to) the clinician, not the psychologist."""
    with db.transaction() as session:
        details = client_details(
            local_ref="MASIP-0002", nhs_number="", given_name="Robin", family_name="Other"
        )
        return clients.register_client(session, clinician, details).id


# -- what a search finds -------------------------------------------------------------------


SECTIONS = (*NOTE_SECTIONS, "partner_update")


@pytest.mark.parametrize("section", SECTIONS)
def test_a_word_in_any_section_is_found(db, psychologist, client_id, section):
    note = write_note(db, psychologist, client_id, **{section: "Discussed the marmalade plan."})
    write_note(db, psychologist, client_id, agenda="Something else entirely.")

    [hit] = find(db, psychologist, "marmalade")

    assert hit.note_id == note.id
    assert hit.client_id == client_id
    assert hit.client_ref == "MASIP-0001"
    assert hit.client_name == "EXAMPLE, Alex"
    assert hit.session_date == BASE.session_date
    assert "«marmalade»" in hit.snippet
    assert not hit.is_signed
    assert not hit.entered_in_error


def test_the_search_indexes_exactly_the_note_sections_and_the_partner_update():
    migration = importlib.import_module("clinic_app.storage.schema.versions.0002_note_search")
    assert migration.NOTE_TEXT_COLUMNS == SECTIONS


def test_every_word_must_match_in_any_order_and_any_section(db, psychologist, client_id):
    both = write_note(
        db, psychologist, client_id, risk_checkin="No contact.", homework="Thought record."
    )
    write_note(db, psychologist, client_id, risk_checkin="No contact.")
    write_note(db, psychologist, client_id, homework="Thought record.")

    assert ids(find(db, psychologist, "record contact")) == [both.id]
    assert ids(find(db, psychologist, "CONTACT   Thought")) == [both.id]
    assert len(find(db, psychologist, "contact")) == 2


def test_accents_and_case_do_not_matter(db, psychologist, client_id):
    cafe = write_note(db, psychologist, client_id, agenda="Met at the Café on the high street.")
    naive = write_note(db, psychologist, client_id, agenda="A naive plan to find her.")

    assert ids(find(db, psychologist, "cafe")) == [cafe.id]
    assert ids(find(db, psychologist, "CAFÉ")) == [cafe.id]
    assert ids(find(db, psychologist, "cafe\u0301")) == [cafe.id]  # typed as e + accent
    assert ids(find(db, psychologist, "naïve")) == [naive.id]


def test_text_stored_with_combining_accents_is_found_without_them(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, agenda="Talked about the cre\u0300che.")
    assert ids(find(db, psychologist, "creche")) == [note.id]
    assert ids(find(db, psychologist, "crèche")) == [note.id]


def test_the_last_word_is_a_prefix_while_it_is_being_typed(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, intervention_content="Rumination worksheet.")

    assert ids(find(db, psychologist, "rumin")) == [note.id]
    assert ids(find(db, psychologist, "worksheet rum")) == [note.id]
    # Only the last word: an earlier one must be whole.
    assert find(db, psychologist, "rum worksheet") == []
    # A space after it says the word is finished.
    assert find(db, psychologist, "rumin ") == []
    # One letter is not a prefix (it would match nearly everything).
    assert find(db, psychologist, "r") == []


def test_a_hyphenated_or_possessive_word_matches_as_written(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, actions="Check the client's e-mail plan.")
    write_note(db, psychologist, client_id, actions="The client sent mail to e, then s.")

    assert ids(find(db, psychologist, "e-mail")) == [note.id]
    assert ids(find(db, psychologist, "client's")) == [note.id]


def test_an_empty_search_finds_nothing(db, psychologist, client_id):
    write_note(db, psychologist, client_id, agenda="Anything at all.")
    for blank in ("", "   ", "\n\t", "…", "!!! ???"):
        assert find(db, psychologist, blank) == []


def test_results_are_ranked_best_match_first_then_newest(db, psychologist, client_id):
    day = date(2026, 1, 5)
    older = write_note(db, psychologist, client_id, day=day, agenda="Fence seen.")
    newer = write_note(
        db, psychologist, client_id, day=day + timedelta(days=7), agenda="Fence seen."
    )
    strong = write_note(
        db,
        psychologist,
        client_id,
        day=day - timedelta(days=30),
        agenda="Fence, fence, fence.",
    )

    assert ids(find(db, psychologist, "fence")) == [strong.id, newer.id, older.id]
    assert ids(find(db, psychologist, "fence", limit=2)) == [strong.id, newer.id]


@pytest.mark.parametrize("read_ahead", [100, 1], ids=["tie read ahead", "tie looked up"])
def test_equal_ranks_past_the_end_of_the_page_give_the_newest(
    db, psychologist, client_id, monkeypatch, read_ahead
):
    # Identical notes rank equally. FTS5 hands ties over oldest-written first, so the
    # notes are written oldest first and only the tie-break can put the newest on top.
    # A tie longer than the read-ahead is looked up over all the matches.
    monkeypatch.setattr(search, "TIE_READ_AHEAD", read_ahead)
    first = date(2026, 1, 5)
    written = [
        write_note(
            db, psychologist, client_id, day=first + timedelta(days=7 * n), agenda="Did not attend."
        )
        for n in range(6)
    ]
    better = write_note(db, psychologist, client_id, day=first, agenda="Attend, attend, attend.")
    newest_first = [note.id for note in reversed(written)]

    assert ids(find(db, psychologist, "attend", limit=3)) == [better.id, *newest_first[:2]]
    assert ids(find(db, psychologist, "attend", limit=4)) == [better.id, *newest_first[:3]]
    assert ids(find(db, psychologist, "attend", limit=7)) == [better.id, *newest_first]
    assert ids(find(db, psychologist, "did not", limit=2)) == newest_first[:2]
    assert (
        ids(find(db, psychologist, "did not", limit=2, client_id=client_id)) == (newest_first[:2])
    )
    hits = find(db, psychologist, "attend", limit=3)
    assert all("«attend»" in hit.snippet.casefold() for hit in hits)


def test_the_excerpt_is_short_plain_text_with_the_match_marked(db, psychologist, client_id):
    long_text = " ".join(["Filler words about the session."] * 40)
    write_note(
        db,
        psychologist,
        client_id,
        intervention_content=f"{long_text}\nThe <b>kumquat</b> & co.\n{long_text}",
    )

    [hit] = find(db, psychologist, "kumquat")

    assert "«kumquat»" in hit.snippet
    assert "\n" not in hit.snippet
    assert len(hit.snippet) < 200
    assert "<b>«kumquat»</b>" in hit.snippet  # kept as the clinician typed it: plain text


def test_signed_and_entered_in_error_notes_say_so(db, psychologist, client_id):
    signed = write_note(db, psychologist, client_id, sign=True, agenda="Quince review.")
    wrong = write_note(db, psychologist, client_id, agenda="Quince on the wrong record.")
    with db.transaction() as session:
        notes.mark_entered_in_error(session, psychologist, wrong.id, reason="Wrong client.")

    hits = {hit.note_id: hit for hit in find(db, psychologist, "quince")}

    assert hits[signed.id].is_signed and not hits[signed.id].entered_in_error
    assert hits[wrong.id].entered_in_error and not hits[wrong.id].is_signed


# -- addenda -------------------------------------------------------------------------------


def add_addendum(db, by, note_id: int, addendum: str) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        notes.add_addendum(
            session, by, note_id, reason="Correction", text=addendum, password=STAFF_PASSWORD
        )


def test_a_note_is_found_through_its_addenda(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, sign=True, homework="Keep a diary.")
    add_addendum(db, psychologist, note.id, "The homework agreed was a thought record.")

    [hit] = find(db, psychologist, "thought record")

    assert hit.note_id == note.id
    assert hit.snippet.startswith("Addendum: ")
    assert "«thought» «record»" in hit.snippet


def test_words_split_between_a_note_and_its_addendum_find_it(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, sign=True, agenda="Entitlement beliefs.")
    add_addendum(db, psychologist, note.id, "Also discussed the courgette allotment.")
    other = write_note(db, psychologist, client_id, sign=True, agenda="Entitlement again.")
    add_addendum(db, psychologist, other.id, "Nothing about vegetables.")

    assert ids(find(db, psychologist, "entitlement courgette")) == [note.id]
    assert ids(find(db, psychologist, "courgette entitle")) == [note.id]
    assert find(db, psychologist, "entitlement marrow") == []


def test_a_note_matching_itself_and_its_addendum_is_listed_once(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, sign=True, homework="Walnut exercise.")
    add_addendum(db, psychologist, note.id, "Walnut exercise repeated.")

    [hit] = find(db, psychologist, "walnut")

    assert hit.note_id == note.id
    assert not hit.snippet.startswith("Addendum")  # the note's own text comes first


def test_a_note_found_through_an_addendum_competes_for_a_full_page(db, psychologist, client_id):
    long_text = "A long account of the week, " * 20
    weak = write_note(db, psychologist, client_id, agenda=f"{long_text} quokka.")
    strong = write_note(db, psychologist, client_id, sign=True, agenda="Unrelated.")
    add_addendum(db, psychologist, strong.id, "Quokka.")

    assert ids(find(db, psychologist, "quokka", limit=1)) == [strong.id]
    assert ids(find(db, psychologist, "quokka", limit=2)) == [strong.id, weak.id]


def test_notes_found_through_addenda_fill_a_page_best_first_then_newest(
    db, psychologist, client_id
):
    # Eight notes whose addenda say the same thing rank equally; a ninth, whose addendum
    # says the word twice in as many words, ranks first. Whatever the page size, the
    # page is the start of the full list: the best, then the newest of the equals.
    first = date(2026, 1, 5)
    equal = []
    for n in range(8):
        note = write_note(db, psychologist, client_id, day=first + timedelta(days=7 * n), sign=True)
        add_addendum(db, psychologist, note.id, "Quince discussed.")
        equal.append(note.id)
    best = write_note(db, psychologist, client_id, day=first, sign=True)
    add_addendum(db, psychologist, best.id, "Quince, quince.")
    expected = [best.id, *reversed(equal)]

    assert ids(find(db, psychologist, "quince")) == expected
    for limit in (1, 2, 5, 8):
        assert ids(find(db, psychologist, "quince", limit=limit)) == expected[:limit]
    assert all(hit.snippet.startswith("Addendum: ") for hit in find(db, psychologist, "quince"))


def test_words_split_with_addenda_are_found_however_many_addenda_hold_one_word(
    db, psychologist, client_id
):
    # Every addendum holds "correction", as every real addendum holds some common word;
    # only the notes that have "damson" in their own text have both words.
    first = date(2026, 2, 2)
    split = []
    for n in range(6):
        text = "Damson jam made." if n % 2 else "Plain session."
        day = first + timedelta(days=7 * n)
        note = write_note(db, psychologist, client_id, day=day, sign=True, agenda=text)
        add_addendum(db, psychologist, note.id, "Correction: the date.")
        if n % 2:
            split.append(note.id)
    own = write_note(db, psychologist, client_id, agenda="Damson, correction made.")
    everything = {own.id, *split}

    for typed in ("correction damson", "damson correction ", "correction dams", "damson corr"):
        assert set(ids(find(db, psychologist, typed))) == everything, typed
    assert find(db, psychologist, "correction greengage") == []
    hits = find(db, psychologist, "correction damson")
    assert hits[0].note_id == own.id  # its own text holds both: it ranks on that
    assert not hits[0].snippet.startswith("Addendum")
    assert all("«Correction»" in hit.snippet for hit in hits[1:])
    whole = ids(hits)
    for limit in range(1, len(whole)):
        assert ids(find(db, psychologist, "correction damson", limit=limit)) == whole[:limit]


def test_a_note_with_several_matching_addenda_is_listed_once_with_the_best(
    db, psychologist, client_id
):
    note = write_note(db, psychologist, client_id, sign=True, agenda="Session held.")
    add_addendum(
        db,
        psychologist,
        note.id,
        "A long account of the week that mentions a greengage once among a great many "
        "other words about other things.",
    )
    add_addendum(db, psychologist, note.id, "Greengage.")  # shorter: a better match

    [hit] = find(db, psychologist, "greengage")
    assert hit.snippet == "Addendum: «Greengage»."
    [hit] = find(db, psychologist, "greengage session")  # split between note and addenda
    assert hit.snippet == "Addendum: «Greengage»."


def test_a_search_in_one_record_finds_only_that_clients_addenda(
    db, psychologist, client_id, clinician, second_client
):
    with db.transaction() as session:
        clients.assign_staff(session, clinician, second_client, psychologist.id)
    mine = write_note(db, psychologist, client_id, sign=True, agenda="Session held.")
    add_addendum(db, psychologist, mine.id, "Medlar.")
    theirs = write_note(db, psychologist, second_client, sign=True, agenda="Session held.")
    add_addendum(db, psychologist, theirs.id, "Medlar.")

    assert set(ids(find(db, psychologist, "medlar"))) == {mine.id, theirs.id}
    for typed in ("medlar", "medlar session"):
        assert ids(find(db, psychologist, typed, client_id=client_id)) == [mine.id]
        assert ids(find(db, psychologist, typed, client_id=second_client)) == [theirs.id]


def _row(note_id: int, score: float, addendum_id: int | None = None) -> search._Row:
    return search._Row(
        note_id, 1, "MASIP-0001", "Alex", "Example", "2026-03-02", 1, 0, score, "", addendum_id
    )


def test_addenda_are_read_only_while_one_could_still_make_the_page():
    # Scores are bm25: lower is better. Notes 1 and 2 matched in their own text.
    page = [_row(1, -9.0), _row(2, -5.0)]
    addenda = [
        _row(3, -8.0, 30),
        _row(1, -7.0, 31),  # note 1 is on the page already, by its own text
        _row(4, -6.0, 33),
        _row(4, -6.0, 32),  # as good as 33 and written first: its excerpt is used
        _row(5, -6.0, 34),  # ties with note 4 at the end of the page: still read
        _row(6, -4.0, 35),  # 1, 2, 3, 4 and 5 all score better: no later row can make it
        _row(7, -3.0, 36),
    ]
    read: list[search._Row] = []

    def stream():  # type: ignore[no-untyped-def]
        for row in addenda:
            read.append(row)
            yield row

    found = search._through_addenda(page, 3, stream())

    assert [(row.note_id, row.addendum_id) for row in found] == [(3, 30), (4, 32), (5, 34)]
    assert read == addenda[:6]

    # A page of two: notes 1 and 3 score better than -7, so note 1's addendum is the
    # last row read, and nothing scoring worse than the page's last note can join it.
    read.clear()
    assert search._through_addenda(page, 2, stream()) == [addenda[0]]
    assert read == addenda[:2]
    read.clear()
    assert search._through_addenda([_row(1, -9.0), _row(2, -8.5)], 2, stream()) == []
    assert read == addenda[:1]


# -- hostile input -------------------------------------------------------------------------

HOSTILE = [
    '"',
    '""',
    '"unbalanced',
    "AND",
    "OR",
    "NOT",
    "a OR b",
    "NEAR(",
    "NEAR(a b, 2)",
    "*",
    "a*",
    "-",
    "-plan",
    "^plan",
    "col:x",
    "agenda:plan",
    "{agenda homework}: plan",
    "'; DROP TABLE session_note; --",
    "Robert'); DELETE FROM session_note WHERE ('1'='1",
    "plan AND",
    "(plan",
    "plan)",
    "+",
    "\\",
    "\x00plan",
    "plan\x02\x03",
    "名前 検索",
    "حديقة",
    "🙂 plan",
    "ⓟⓛⓐⓝ",
    "\uff30\uff4c\uff41\uff4e",  # full-width "Plan"
    "plan " * 100,
    "x" * 5000,
]


@pytest.mark.parametrize("typed", HOSTILE)
def test_hostile_searches_never_raise_and_never_change_the_database(
    db, psychologist, client_id, typed
):
    write_note(db, psychologist, client_id, agenda="The plan AND the OR NEAR col x.")
    with db.engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT count(*) FROM session_note").scalar()

    hits = find(db, psychologist, typed)

    assert isinstance(hits, list)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM session_note").scalar() == before
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_operators_are_searched_as_words(db, psychologist, client_id):
    plain = write_note(db, psychologist, client_id, agenda="Apples and pears.")
    ors = write_note(db, psychologist, client_id, agenda="Apples or pears near shops.")

    # "or" is a word that must appear, not FTS5's OR.
    assert ids(find(db, psychologist, "apples OR pears")) == [ors.id]
    assert ids(find(db, psychologist, "apples AND pears")) == [plain.id]
    assert ids(find(db, psychologist, "NEAR(shop")) == [ors.id]
    # A minus is not NOT, and a column filter is not a filter.
    assert set(ids(find(db, psychologist, "-apples"))) == {plain.id, ors.id}
    assert set(ids(find(db, psychologist, "agenda:pears"))) == set()
    assert set(ids(find(db, psychologist, "pears:apples"))) == set()
    assert set(ids(find(db, psychologist, '"apples'))) == {plain.id, ors.id}


def test_parse_query_quotes_every_word():
    query = parse_query('say "NEAR(x)" OR col:yes*')
    assert query is not None
    assert query.phrases == ('"say"', '"NEAR x"', '"OR"', '"col yes"*')
    assert query.all_words == '"say" AND "NEAR x" AND "OR" AND "col yes"*'
    assert parse_query(" \t ") is None
    assert parse_query("***") is None


def test_a_very_long_search_uses_its_first_words(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, agenda="Alpha beta.")
    words = "alpha beta " + " ".join(f"w{n}" for n in range(30))
    assert parse_query(words) is not None
    assert len(parse_query(words).phrases) == search.MAX_WORDS  # type: ignore[union-attr]
    assert find(db, psychologist, words) == []  # w0... are words that must match
    assert ids(find(db, psychologist, "alpha beta")) == [note.id]


# -- the index follows the notes -----------------------------------------------------------


def test_editing_a_draft_updates_the_index(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, homework="Practise the pomegranate plan.")
    assert ids(find(db, psychologist, "pomegranate")) == [note.id]

    changed = replace(BASE, homework="Practise the apricot plan.")
    with db.transaction() as session:
        notes.edit_draft(session, psychologist, note.id, changed, expected_version=1)

    assert find(db, psychologist, "pomegranate") == []
    assert ids(find(db, psychologist, "apricot")) == [note.id]
    assert ids(find(db, psychologist, "practise plan")) == [note.id]


def test_signing_and_marking_in_error_keep_the_note_findable(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, agenda="Persimmon.")
    with db.transaction() as session:
        notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD)
        notes.mark_entered_in_error(session, psychologist, note.id, reason="Wrong client.")
    [hit] = find(db, psychologist, "persimmon")
    assert hit.is_signed and hit.entered_in_error


def test_a_deleted_draft_leaves_the_index(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, agenda="Tamarind.")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM session_note WHERE id = ?", (note.id,))
    assert find(db, psychologist, "tamarind") == []
    with db.engine.connect() as conn:
        check = "INSERT INTO session_note_fts (session_note_fts) VALUES ('integrity-check')"
        conn.exec_driver_sql(check)  # raises if the index and the notes disagree


def test_a_rolled_back_note_is_not_indexed(db, psychologist, client_id):
    with db.session() as session:
        notes.create_draft(session, psychologist, client_id, replace(BASE, agenda="Lychee."))
        assert len(search_notes(session, psychologist, "lychee")) == 1  # own transaction
        session.rollback()
    assert find(db, psychologist, "lychee") == []


def test_notes_written_in_bulk_are_indexed(db, psychologist):
    from clinic_app.services import demo

    with db.transaction() as session:
        demo.load_demo_caseload(session, psychologist, 3, seed=7)

    hits = find(db, psychologist, "rumination")
    assert hits
    assert all(hit.client_ref.startswith("DEMO-") for hit in hits)
    with db.engine.connect() as conn:
        for table in ("session_note_fts", "note_addendum_fts"):
            conn.exec_driver_sql(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")


# -- who may see what ----------------------------------------------------------------------


def test_other_clinicians_clients_stay_hidden_until_emergency_access(
    db, psychologist, clinician, client_id, second_client
):
    mine = write_note(db, psychologist, client_id, agenda="Gooseberry.")
    theirs = write_note(db, clinician, second_client, agenda="Gooseberry.")

    assert ids(find(db, psychologist, "gooseberry")) == [mine.id]
    assert ids(find(db, clinician, "gooseberry")) == [theirs.id]
    with pytest.raises(EmergencyAccessRequired):
        find(db, psychologist, "gooseberry", client_id=second_client)

    with db.transaction() as session:
        clients.grant_emergency_access(
            session, psychologist, second_client, "Police report of an urgent risk tonight."
        )

    assert set(ids(find(db, psychologist, "gooseberry"))) == {mine.id, theirs.id}
    assert ids(find(db, psychologist, "gooseberry", client_id=second_client)) == [theirs.id]


def test_addenda_of_other_clinicians_clients_stay_hidden(
    db, psychologist, clinician, client_id, second_client
):
    theirs = write_note(db, clinician, second_client, sign=True, agenda="Session.")
    add_addendum(db, clinician, theirs.id, "Lingonberry jam mentioned.")
    mine = write_note(db, psychologist, client_id, sign=True, agenda="Lingonberry jam.")

    assert ids(find(db, psychologist, "lingonberry")) == [mine.id]
    assert ids(find(db, psychologist, "lingonberry", limit=1)) == [mine.id]
    assert ids(find(db, psychologist, "session lingonberry")) == []
    assert ids(find(db, clinician, "lingonberry")) == [theirs.id]


def test_expired_emergency_access_hides_the_client_again(
    db, psychologist, clinician, second_client, monkeypatch
):
    write_note(db, clinician, second_client, agenda="Damson.")
    with db.transaction() as session:
        expires = clients.grant_emergency_access(
            session, psychologist, second_client, "Police report of an urgent risk tonight."
        )
    assert len(find(db, psychologist, "damson")) == 1

    monkeypatch.setattr(search, "utcnow", lambda: expires + timedelta(seconds=1))

    assert find(db, psychologist, "damson") == []


def test_an_ended_assignment_hides_the_client(db, psychologist, client_id):
    write_note(db, psychologist, client_id, agenda="Elderflower.")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE client_assignment SET ended_at = '2026-01-01 00:00:00'")
    assert find(db, psychologist, "elderflower") == []


def test_a_search_in_one_record_finds_only_that_clients_notes(
    db, psychologist, client_id, clinician, second_client
):
    with db.transaction() as session:
        clients.assign_staff(session, clinician, second_client, psychologist.id)
    mine = write_note(db, psychologist, client_id, agenda="Mulberry.")
    write_note(db, psychologist, second_client, agenda="Mulberry.")

    assert len(find(db, psychologist, "mulberry")) == 2
    assert ids(find(db, psychologist, "mulberry", client_id=client_id)) == [mine.id]


def test_administrators_are_refused(db, admin, psychologist, client_id):
    write_note(db, psychologist, client_id, agenda="Rhubarb.")
    with pytest.raises(AccessDenied):
        find(db, admin, "rhubarb")
    with pytest.raises(AccessDenied):
        find(db, admin, "rhubarb", client_id=client_id)
    with pytest.raises(AccessDenied):
        find(db, admin, "")


def test_the_number_of_results_is_bounded(db, psychologist):
    for bad in (0, -1, search.MAX_RESULTS + 1):
        with pytest.raises(ValidationError):
            find(db, psychologist, "anything", limit=bad)


def test_searches_are_not_audited(db, psychologist, client_id):
    write_note(db, psychologist, client_id, agenda="Cloudberry.")
    with db.engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT count(*) FROM audit_event").scalar()
    for typed in ("c", "cl", "clo", "cloud", "cloudberry"):
        find(db, psychologist, typed)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_event").scalar() == before


# -- the index is encrypted like everything else -------------------------------------------


def checkpoint(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    assert busy == 0


def test_the_search_index_is_not_readable_on_disk(tmp_path: Path, db, psychologist, client_id):
    canary = f"zanzibarcanary{secrets.token_hex(5)}"
    write_note(db, psychologist, client_id, sign=True, agenda=f"Discussed {canary} today.")
    note = write_note(db, psychologist, client_id, sign=True, agenda="Plain note.")
    add_addendum(db, psychologist, note.id, f"Also {canary.upper()} in an addendum.")
    assert len(find(db, psychologist, canary)) == 2  # the index holds it
    with db.engine.connect() as conn:
        terms = conn.exec_driver_sql(
            "SELECT count(*) FROM session_note_fts_data WHERE instr(block, ?) > 0",
            (canary.encode(),),
        ).scalar()
    assert terms, "control: the index really stores the word"
    checkpoint(db)

    files = [db.path, *(db.path.with_name(db.path.name + s) for s in ("-wal", "-shm"))]
    needles = [
        variant.encode(encoding)
        for variant in (canary, canary.upper(), canary[:12])
        for encoding in ("utf-8", "utf-16-le", "utf-16-be")
    ]
    for path in files:
        if path.exists():
            data = path.read_bytes()
            assert [n for n in needles if n in data] == []


# -- the schema ----------------------------------------------------------------------------


def test_the_index_can_be_dropped_and_rebuilt_by_the_migration(db, psychologist, client_id):
    from alembic import command

    from clinic_app.storage import migrations

    note = write_note(db, psychologist, client_id, agenda="Bilberry.")
    config = migrations._config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    with db.engine.connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    assert not {n for n in names if "fts" in n}

    migrations.upgrade(db.engine)  # 'rebuild' indexes the notes already there

    assert ids(find(db, psychologist, "bilberry")) == [note.id]
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM session_note_fts")).scalar()
    assert rows == 1
