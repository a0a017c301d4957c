"""Full-text search over session notes: words anywhere, accents, prefixes, hostile input,
the index kept in step with edits, who may see what, and nothing readable on disk."""

from __future__ import annotations

import dataclasses
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
from clinic_app.services.search import NoteHit, NotePage, Order, parse_query, search_notes
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
    return list(find_page(db, by, words, **kwargs).hits)


def find_page(db, by, words: str, **kwargs) -> NotePage:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return search_notes(session, by, words, **kwargs)


def best(db, by, words: str, **kwargs) -> list[NoteHit]:  # type: ignore[no-untyped-def]
    """Best match first."""
    return find(db, by, words, order=Order.RELEVANCE, **kwargs)


def ids(hits: list[NoteHit]) -> list[int]:
    return [hit.note_id for hit in hits]


@pytest.fixture(params=["sorted", "sorted within the caseload", "walked", "walked, large caseload"])
def plan(request, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    """Each way the newest-first page can be found, which must all give the same page:
    the matches sorted (few of them, or few that the user may see among many, for a
    small caseload), or the session-date index walked, checking access against the
    caseload's notes (a small caseload) or note by note (a large one)."""
    if request.param == "sorted within the caseload":
        monkeypatch.setattr(search, "FEW_MATCHES", 2)
    elif request.param != "sorted":
        monkeypatch.setattr(search, "FEW_MATCHES", 0)
    if request.param == "walked, large caseload":
        monkeypatch.setattr(search, "SMALL_CASELOAD", 0)
    return str(request.param)


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
    # One or two letters are not a prefix (they would match most notes): a short last
    # word is searched whole, and the page says so.
    assert find(db, psychologist, "r") == []
    assert find(db, psychologist, "ru") == []
    assert find_page(db, psychologist, "ru").short_word == "ru"
    assert find_page(db, psychologist, "worksheet ru").short_word == "ru"
    assert ids(find(db, psychologist, "rum")) == [note.id]
    assert find_page(db, psychologist, "rum").short_word is None
    assert find_page(db, psychologist, "ru ").short_word is None  # finished: a word


def test_a_short_word_is_searched_whole_so_abbreviations_are_found(db, psychologist, client_id):
    gp = write_note(db, psychologist, client_id, actions="Letter to the GP about sleep.")
    write_note(db, psychologist, client_id, actions="Gperiod and GPS are other words.")

    page = find_page(db, psychologist, "gp")

    assert ids(list(page.hits)) == [gp.id]
    assert page.short_word == "gp"
    assert ids(find(db, psychologist, "sleep G")) == []  # "G" whole: no such word
    # An accent typed apart does not count as a letter towards the three.
    assert parse_query("cafe\u0301") is not None
    assert parse_query("cafe\u0301").phrases == ('"café"*',)  # type: ignore[union-attr]
    assert parse_query("ca\u0301").short_word == "cá"  # type: ignore[union-attr]


def test_a_hyphenated_or_possessive_word_matches_as_written(db, psychologist, client_id):
    note = write_note(db, psychologist, client_id, actions="Check the client's e-mail plan.")
    write_note(db, psychologist, client_id, actions="The client sent mail to e, then s.")

    assert ids(find(db, psychologist, "e-mail")) == [note.id]
    assert ids(find(db, psychologist, "client's")) == [note.id]


def test_an_empty_search_finds_nothing(db, psychologist, client_id):
    write_note(db, psychologist, client_id, agenda="Anything at all.")
    for blank in ("", "   ", "\n\t", "…", "!!! ???"):
        assert find(db, psychologist, blank) == []


def test_results_are_newest_first_by_session_date_then_the_later_written(
    db, psychologist, client_id, plan
):
    day = date(2026, 1, 5)
    older = write_note(db, psychologist, client_id, day=day, agenda="Fence seen.")
    newest = write_note(
        db, psychologist, client_id, day=day + timedelta(days=14), agenda="Fence seen."
    )
    strong = write_note(
        db, psychologist, client_id, day=day - timedelta(days=30), agenda="Fence, fence, fence."
    )
    # Written last, for the same day as the first: the later written comes first.
    same_day = write_note(db, psychologist, client_id, day=day, agenda="A fence again.")

    expected = [newest.id, same_day.id, older.id, strong.id]
    assert ids(find(db, psychologist, "fence")) == expected
    assert ids(find(db, psychologist, "fen")) == expected
    assert ids(find(db, psychologist, "fence", limit=2)) == expected[:2]
    assert ids(find(db, psychologist, "fence", client_id=client_id)) == expected
    assert find_page(db, psychologist, "fence").order is Order.NEWEST


def test_results_are_best_match_first_on_request_then_newest(db, psychologist, client_id):
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

    assert ids(best(db, psychologist, "fence")) == [strong.id, newer.id, older.id]
    assert ids(best(db, psychologist, "fence", limit=2)) == [strong.id, newer.id]
    assert ids(best(db, psychologist, "fence", client_id=client_id)) == [
        strong.id,
        newer.id,
        older.id,
    ]
    assert find_page(db, psychologist, "fence", order="relevance").order is Order.RELEVANCE


def test_results_come_a_page_at_a_time_and_say_when_more_match(db, psychologist, client_id, plan):
    first = date(2025, 1, 6)
    written = [
        write_note(db, psychologist, client_id, day=first + timedelta(days=7 * n), agenda="Plum.")
        for n in range(7)
    ]
    newest_first = [note.id for note in reversed(written)]

    for order in Order:
        pages = []
        offset = 0
        while True:
            page = find_page(db, psychologist, "plum", order=order, offset=offset, limit=3)
            pages.append(ids(list(page.hits)))
            assert page.offset == offset
            if not page.more:
                break
            assert page.can_show_more
            offset = page.next_offset
        assert pages == [newest_first[:3], newest_first[3:6], newest_first[6:]], order
    assert not find_page(db, psychologist, "plum", limit=7).more
    assert find_page(db, psychologist, "plum", limit=6).more


def test_no_page_reaches_past_the_cap(db, psychologist, client_id):
    write_note(db, psychologist, client_id, agenda="Plum.")
    last = search.MAX_RESULTS - search.PAGE_SIZE
    assert find_page(db, psychologist, "plum", offset=last).hits == ()
    with pytest.raises(ValidationError):
        find(db, psychologist, "plum", offset=last + 1)
    page = search.NotePage((), offset=last, more=True, order=Order.NEWEST)
    assert page.more and page.can_show_more
    page = dataclasses.replace(page, hits=tuple(find(db, psychologist, "plum")) * 50)
    assert page.more and not page.can_show_more  # at the cap: narrow the search instead


@pytest.mark.parametrize("read_ahead", [100, 1], ids=["tie read ahead", "tie looked up"])
def test_equal_ranks_past_the_end_of_the_page_give_the_newest(
    db, psychologist, client_id, monkeypatch, read_ahead
):
    # Identical notes rank equally. FTS5 hands ties over oldest-written first, so the
    # notes are written oldest first and only the tie-break can put the newest on top.
    # A tie longer than the read-ahead is settled over all the matches, in the same
    # statement.
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

    assert ids(best(db, psychologist, "attend", limit=3)) == [better.id, *newest_first[:2]]
    assert ids(best(db, psychologist, "attend", limit=4)) == [better.id, *newest_first[:3]]
    assert ids(best(db, psychologist, "attend", limit=7)) == [better.id, *newest_first]
    assert ids(best(db, psychologist, "did not", limit=2)) == newest_first[:2]
    assert (
        ids(best(db, psychologist, "did not", limit=2, client_id=client_id)) == (newest_first[:2])
    )
    hits = best(db, psychologist, "attend", limit=3)
    assert all("«attend»" in hit.snippet.casefold() for hit in hits)


@pytest.mark.workstation_engine(
    "the workstation's excerpt; a site's may begin at the match (docs/site-mode.md)"
)
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

    assert ids(best(db, psychologist, "quokka", limit=1)) == [strong.id]
    assert ids(best(db, psychologist, "quokka", limit=2)) == [strong.id, weak.id]


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
    top = write_note(db, psychologist, client_id, day=first, sign=True)
    add_addendum(db, psychologist, top.id, "Quince, quince.")
    expected = [top.id, *reversed(equal)]

    assert ids(best(db, psychologist, "quince")) == expected
    for limit in (1, 2, 5, 8):
        assert ids(best(db, psychologist, "quince", limit=limit)) == expected[:limit]
    assert all(hit.snippet.startswith("Addendum: ") for hit in best(db, psychologist, "quince"))


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
    hits = best(db, psychologist, "correction damson")
    assert hits[0].note_id == own.id  # its own text holds both: it ranks on that
    assert not hits[0].snippet.startswith("Addendum")
    assert all("«Correction»" in hit.snippet for hit in hits[1:])
    whole = ids(hits)
    for limit in range(1, len(whole)):
        assert ids(best(db, psychologist, "correction damson", limit=limit)) == whole[:limit]
    assert ids(find(db, psychologist, "correction damson")) == ids(
        sorted(hits, key=lambda h: (h.session_date, h.note_id), reverse=True)
    )


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


def test_a_note_found_through_addenda_is_listed_newest_first_with_the_rest(
    db, psychologist, client_id, plan
):
    first = date(2026, 1, 5)
    through = write_note(db, psychologist, client_id, day=first + timedelta(days=7), sign=True)
    add_addendum(db, psychologist, through.id, "Sloe gin mentioned.")
    older = write_note(db, psychologist, client_id, day=first, agenda="Sloe berries.")
    newer = write_note(
        db, psychologist, client_id, day=first + timedelta(days=14), agenda="Sloe again."
    )

    hits = find(db, psychologist, "sloe")

    assert ids(hits) == [newer.id, through.id, older.id]
    assert hits[1].snippet == "Addendum: «Sloe» gin mentioned."
    assert ids(find(db, psychologist, "sloe", client_id=client_id)) == ids(hits)


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
    best(db, psychologist, typed)
    find(db, psychologist, typed, client_id=client_id)

    assert isinstance(hits, list)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM session_note").scalar() == before
        if conn.dialect.name == "sqlite":  # the workstation file and its FTS5 index
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


@pytest.mark.workstation_engine(
    "feeds the workstation's FTS5 engine a query it refuses; a site's search is tsquery"
)
def test_a_query_the_index_refuses_is_told_in_plain_words(db, psychologist, client_id, monkeypatch):
    write_note(db, psychologist, client_id, agenda="Anything.")
    # Never expected (every word is quoted), so the quoting is bypassed to prove it.
    monkeypatch.setattr(search, "parse_query", lambda typed: search.NoteQuery(('"unbalanced',)))

    with pytest.raises(search.SearchNotUnderstood) as refused:
        find(db, psychologist, "anything")

    assert "fts5" not in refused.value.message.lower()
    assert "syntax" not in refused.value.message.lower()
    assert refused.value.message.startswith("The search could not be read.")


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
        conn.execute(text("DELETE FROM session_note WHERE id = :id"), {"id": note.id})
    assert find(db, psychologist, "tamarind") == []
    if db.engine.dialect.name == "sqlite":  # a site's index is a generated column
        with db.engine.connect() as conn:
            check = "INSERT INTO session_note_fts (session_note_fts) VALUES ('integrity-check')"
            conn.exec_driver_sql(check)  # raises if the index and the notes disagree


def test_a_rolled_back_note_is_not_indexed(db, psychologist, client_id):
    with db.session() as session:
        notes.create_draft(session, psychologist, client_id, replace(BASE, agenda="Lychee."))
        assert len(search_notes(session, psychologist, "lychee").hits) == 1  # own transaction
        session.rollback()
    assert find(db, psychologist, "lychee") == []


@pytest.mark.workstation_engine("checks the workstation's FTS5 index table")
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
    db, psychologist, clinician, client_id, second_client, plan
):
    mine = write_note(db, psychologist, client_id, agenda="Gooseberry.")
    theirs = write_note(db, clinician, second_client, agenda="Gooseberry.")

    assert ids(find(db, psychologist, "gooseberry")) == [mine.id]
    assert ids(best(db, psychologist, "gooseberry")) == [mine.id]
    assert ids(find(db, clinician, "gooseberry")) == [theirs.id]
    with pytest.raises(EmergencyAccessRequired):
        find(db, psychologist, "gooseberry", client_id=second_client)

    with db.transaction() as session:
        clients.grant_emergency_access(
            session, psychologist, second_client, "Police report of an urgent risk tonight."
        )

    assert set(ids(find(db, psychologist, "gooseberry"))) == {mine.id, theirs.id}
    assert set(ids(best(db, psychologist, "gooseberry"))) == {mine.id, theirs.id}
    assert ids(find(db, psychologist, "gooseberry", client_id=second_client)) == [theirs.id]


def test_addenda_of_other_clinicians_clients_stay_hidden(
    db, psychologist, clinician, client_id, second_client, plan
):
    theirs = write_note(db, clinician, second_client, sign=True, agenda="Session.")
    add_addendum(db, clinician, theirs.id, "Lingonberry jam mentioned.")
    mine = write_note(db, psychologist, client_id, sign=True, agenda="Lingonberry jam.")

    assert ids(find(db, psychologist, "lingonberry")) == [mine.id]
    assert ids(find(db, psychologist, "lingonberry", limit=1)) == [mine.id]
    assert ids(best(db, psychologist, "lingonberry", limit=1)) == [mine.id]
    assert ids(find(db, psychologist, "session lingonberry")) == []
    assert ids(best(db, psychologist, "session lingonberry")) == []
    assert ids(find(db, clinician, "lingonberry")) == [theirs.id]


def test_expired_emergency_access_hides_the_client_again(
    db, psychologist, clinician, second_client, monkeypatch, plan
):
    write_note(db, clinician, second_client, agenda="Damson.")
    with db.transaction() as session:
        expires = clients.grant_emergency_access(
            session, psychologist, second_client, "Police report of an urgent risk tonight."
        )
    assert len(find(db, psychologist, "damson")) == 1

    monkeypatch.setattr(search, "utcnow", lambda: expires + timedelta(seconds=1))

    assert find(db, psychologist, "damson") == []
    assert best(db, psychologist, "damson") == []


def test_an_ended_assignment_hides_the_client(db, psychologist, client_id, plan):
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


@pytest.mark.workstation_engine("the workstation's database file on disk")
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


@pytest.mark.workstation_engine("the workstation's FTS5 migration")
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
