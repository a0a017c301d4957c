"""Full-text search over session notes and their addenda, within what the user may see.

``search_notes`` finds the notes of clients the user works with (an active assignment, or
emergency access that has not expired) in which every word typed appears, in any section,
in the partner update or in a signed addendum. A note whose words are split between its
text and an addendum is found too. Matching ignores case and accents ("cafe" finds
"café"); the last word is a prefix while it is still being typed (no space after it, at
least two letters), so results narrow as the user types. Administrators are refused: they
manage the system and do not read clinical content.

What the user types is never handed to SQLite as query syntax. It is cut into words (runs
of letters, digits and combining marks); each run of non-space text becomes one quoted
FTS5 phrase, so ``e-mail`` or ``client's`` match as written, and quotes, ``AND``, ``OR``,
``NEAR``, ``*``, ``-``, ``^`` and ``column:`` are ordinary characters or plain words.

Results are ranked by FTS5's bm25 (best first), then newest session first. A note found
through an addendum is ranked by how well the addendum matches, and its excerpt comes from
the addendum. Excerpts are plain text with each match between « and »; nothing in them is
markup, so a view shows them as plain text and no note can inject anything.

**Searches are not audited.** The app searches as the user types, so an audit event per
search would be one per keystroke, drowning the events that matter; and the audit trail
would have to hold the search words, which are clinical text (a name, a disclosure) and do
not belong there. A search only shows short excerpts from records the user may already
open: assigned clients, or clients opened in an emergency, which was itself audited with
its reason. Opening a note from the results goes through the record, which is audited.

The budget (ARCHITECTURE.md) is 100 ms p95 over 100,000 notes, within 1.5x of raw FTS5 on
the same file; ``benchmarks/note_search.py`` measures it. A search is two statements run on
the session's own connection, one over each index: FTS5 ranks and sorts, the visible
clients are checked per note inside SQLite, and the rows are read best first only for as
long as one could still make the page, so excerpts are built for little more than the
page, however many notes or addenda match. A run of equal ranks going on far past the
end of the page costs one more statement.
"""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from operator import attrgetter
from typing import NamedTuple, TypeVar

from sqlalchemy import Connection, Dialect
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models.base import UtcDateTime, utcnow
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef
from clinic_app.storage.engine import classify

DEFAULT_LIMIT = 100
MAX_RESULTS = 500
MAX_WORDS = 16  # more than any real search; words beyond it are ignored
MAX_QUERY_CHARS = 1000
MIN_PREFIX_CHARS = 2  # one letter as a prefix would match nearly every note
EXCERPT_TOKENS = 14
TIE_READ_AHEAD = 100  # notes read past the page while their rank equals the last one's

MARK_OPEN = "«"
MARK_CLOSE = "»"
ADDENDUM_LABEL = "Addendum: "

# Markers FTS5 puts around matches. Control characters cannot be stored in a note (the
# services refuse them), so they cannot be confused with what a clinician wrote.
_START, _END = "\x02", "\x03"
_BLANKS = dict.fromkeys((*range(32), 127), " ")


@dataclass(frozen=True)
class NoteHit:
    """One note found by a search, with a short plain-text excerpt around the match."""

    note_id: int
    client_id: int
    client_ref: str
    client_name: str
    session_date: date
    snippet: str
    is_signed: bool
    entered_in_error: bool


@dataclass(frozen=True)
class NoteQuery:
    """A search turned into safe FTS5 queries: the whole, and one per word for addenda."""

    phrases: tuple[str, ...]

    @property
    def all_words(self) -> str:
        return " AND ".join(self.phrases)

    @property
    def any_word(self) -> str:
        return " OR ".join(self.phrases)


def _is_word_char(ch: str) -> bool:
    # What FTS5's unicode61 tokenizer keeps in a token: letters, numbers, private use;
    # combining marks stay attached so words in scripts that use them are not cut up.
    return unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Co"


def _runs(chunk: str) -> list[str]:
    runs: list[str] = []
    current: list[str] = []
    for ch in chunk:
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def parse_query(typed: str) -> NoteQuery | None:
    """The user's words as FTS5 phrases, or None when there is nothing to search for.

    Each whitespace-separated chunk becomes a phrase of its word runs, double-quoted, so
    FTS5 reads it as text and never as an operator. Every phrase must match (AND). The
    last phrase is a prefix unless the text ends with a space or its last word is
    shorter than ``MIN_PREFIX_CHARS``.
    """
    typed = unicodedata.normalize("NFC", typed[:MAX_QUERY_CHARS])
    chunks = [runs for runs in (_runs(chunk) for chunk in typed.split()) if runs]
    if not chunks:
        return None
    finished = typed[-1:].isspace() or len(chunks) > MAX_WORDS
    chunks = chunks[:MAX_WORDS]
    phrases = []
    for n, runs in enumerate(chunks):
        # The runs hold no quote characters, so quoting them cannot be escaped from.
        phrase = '"' + " ".join(runs) + '"'
        is_last = n == len(chunks) - 1
        if is_last and not finished and len(runs[-1]) >= MIN_PREFIX_CHARS:
            phrase += "*"
        phrases.append(phrase)
    return NoteQuery(tuple(phrases))


def excerpt(marked: str) -> str:
    """An FTS5 snippet as one line of plain text, each match between « and »."""
    cleaned = marked.replace(_START, MARK_OPEN).replace(_END, MARK_CLOSE)
    if not cleaned.isprintable():  # newlines and tabs; other controls cannot be stored
        cleaned = cleaned.translate(_BLANKS)
    return " ".join(cleaned.split())


# -- SQL ---------------------------------------------------------------------------------------
#
# A search is two statements: the notes whose own text has every word, then the notes
# found through an addendum. Equal ranks running far past the page's end cost a third.
# Both main statements let FTS5 hand its matches over best first and build each excerpt
# as its row is read, and search_notes stops reading once no further row could make the
# page, so excerpts are built for little more than the page however many notes match.

# Whether the user may see note ``n``'s client: asked per note, by the client's id, so
# its cost follows the rows looked at, not the size of the user's caseload. The unary
# plus keeps SQLite on the client_id indexes (a client has a handful of assignments,
# while a member of staff may have hundreds).
_VISIBLE = """(
    EXISTS (SELECT 1 FROM client_assignment AS a
             WHERE a.client_id = n.client_id AND +a.staff_id = :me AND a.ended_at IS NULL)
    OR EXISTS (SELECT 1 FROM emergency_access AS e
                WHERE e.client_id = n.client_id AND +e.staff_id = :me AND e.expires_at > :now))"""
_ONE_CLIENT = "n.client_id = :client_id"

# The notes whose own text has every word: raw FTS5 plus a filter. ``ORDER BY rank``
# alone lets FTS5 sort the matches itself and hand them over best first, building each
# excerpt as its row is read, from the positions FTS5 kept. CROSS JOIN keeps the
# full-text match as the outer loop. search_notes reads a page and then only as far as
# equal ranks run on past it. The last column (no addendum) says the excerpt is the
# note's own.
_NOTES_SQL = """
SELECT session_note_fts.rowid, n.client_id, c.local_ref, c.given_name, c.family_name,
       n.session_date, n.signed_at IS NOT NULL, n.entered_in_error_at IS NOT NULL,
       session_note_fts.rank,
       snippet(session_note_fts, -1, :start, :end, '…', :tokens), NULL
  FROM session_note_fts
  CROSS JOIN session_note AS n ON n.id = session_note_fts.rowid
  CROSS JOIN client AS c ON c.id = n.client_id
 WHERE session_note_fts MATCH :all_words AND {visible}
 ORDER BY session_note_fts.rank
 LIMIT :limit + :read_ahead"""

# The notes found through their addenda, one row per addendum, best first: addenda
# holding any of the words, of notes the user may see that have every word in their own
# text or in one of their addenda (with one word, an addendum that holds it is a match).
# The excerpt is the addendum's. search_notes keeps each note's best addendum and stops
# reading once no further addendum could make the page, so the checks below run for
# the rows read and no more.
_ADDENDA_SQL = """
WITH with_addenda AS MATERIALIZED (
    SELECT ad.note_id FROM note_addendum_fts
      CROSS JOIN note_addendum AS ad ON ad.id = note_addendum_fts.rowid
     WHERE note_addendum_fts MATCH :any_word
)
SELECT ad.note_id, n.client_id, c.local_ref, c.given_name, c.family_name,
       n.session_date, n.signed_at IS NOT NULL, n.entered_in_error_at IS NOT NULL,
       note_addendum_fts.rank,
       snippet(note_addendum_fts, 0, :start, :end, '…', :tokens), ad.id
  FROM note_addendum_fts
  CROSS JOIN note_addendum AS ad ON ad.id = note_addendum_fts.rowid
  CROSS JOIN session_note AS n ON n.id = ad.note_id
  CROSS JOIN client AS c ON c.id = n.client_id
 WHERE note_addendum_fts MATCH :any_word AND {visible} AND {every_word}
 ORDER BY note_addendum_fts.rank"""

# Whether word n is in the note's own text or in one of its addenda. Each side is a set
# made once per statement, on first use: the notes whose addenda hold the word (the
# addenda index is small), and the notes whose own text holds it, read once from the
# word's list in the notes index and kept only for notes with a matching addendum. That
# read costs at most what one pass over the word's matches costs. Asking the notes index
# once per note instead costs a lookup in every index segment each time: with a few
# thousand addenda holding a common word, that was seconds per search.
_WORD_CHECK = """(
    ad.note_id IN (
        SELECT note_id FROM note_addendum WHERE id IN (
            SELECT rowid FROM note_addendum_fts WHERE note_addendum_fts MATCH :word_{n}))
    OR ad.note_id IN (
        SELECT rowid FROM session_note_fts
         WHERE session_note_fts MATCH :word_{n} AND +rowid IN with_addenda))"""

# Equal ranks running on far past the end of the page: of the notes tied at the
# boundary rank, the newest ones, with their excerpts. The tie is found over all the
# matches, and FTS5's sorted stream is read again only up to the last of them, so
# excerpts are built for the chosen notes alone.
_TIED_SQL = """
WITH tied AS MATERIALIZED (
    SELECT session_note_fts.rowid AS note_id
      FROM session_note_fts CROSS JOIN session_note AS n ON n.id = session_note_fts.rowid
     WHERE session_note_fts MATCH :all_words AND +session_note_fts.rank = :boundary
       AND {visible}
     ORDER BY n.session_date DESC, n.id DESC
     LIMIT :needed
),
note_page AS (
    SELECT session_note_fts.rowid AS note_id, session_note_fts.rank AS score,
           snippet(session_note_fts, -1, :start, :end, '…', :tokens) AS excerpt
      FROM session_note_fts
     WHERE session_note_fts MATCH :all_words AND +session_note_fts.rowid IN tied
     ORDER BY session_note_fts.rank
     LIMIT :needed
)
SELECT note_page.note_id, n.client_id, c.local_ref, c.given_name, c.family_name,
       n.session_date, n.signed_at IS NOT NULL, n.entered_in_error_at IS NOT NULL,
       note_page.score, note_page.excerpt, NULL
  FROM note_page
  JOIN session_note AS n ON n.id = note_page.note_id
  JOIN client AS c ON c.id = n.client_id"""


@cache
def _statement(template: str, words: int = 0, *, one_client: bool = False) -> str:
    # With one word, an addendum holding any of the words holds all of them.
    checks = [_WORD_CHECK.format(n=n) for n in range(words)] if words > 1 else ["1"]
    return template.format(
        visible=_ONE_CLIENT if one_client else _VISIBLE, every_word=" AND ".join(checks)
    )


class _Row(NamedTuple):
    """A result row as the statements return it."""

    note_id: int
    client_id: int
    client_ref: str
    given_name: str
    family_name: str
    session_date: str  # ISO 8601, as SQLite stores dates: it sorts as the date does
    is_signed: int
    entered_in_error: int
    score: float
    excerpt: str | None
    addendum_id: int | None  # the addendum the excerpt is from; None for the note's own


_T = TypeVar("_T")


def _read(
    connection: Connection,
    sql: str,
    params: dict[str, object],
    take: Callable[[Iterator[_Row]], _T],
) -> _T:
    """Run one of the statements above within the session's transaction.

    ``take`` reads the rows it needs and returns what it makes of them; rows it does not
    read are never computed.

    Straight to the driver: the statements are fixed strings with named parameters that
    the driver keeps prepared, and the rows are plain tuples, so SQLAlchemy's statement
    cache and result objects would only add their bookkeeping to every keystroke.
    Driver errors are translated as the engine translates them.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        cursor = driver.execute(sql, params)
        try:
            return take(map(_Row._make, cursor))
        finally:
            cursor.close()  # ends the statement, read to the end or not
    except Exception as error:
        translated = classify(error)
        if translated is not None:
            raise translated from error
        raise


def _page_of_notes(page: int, rows: Iterator[_Row]) -> list[_Row]:
    """The first ``page`` rows, and then those ranking equal with the last of them."""
    taken: list[_Row] = []
    for row in rows:
        if len(taken) >= page and row.score != taken[-1].score:
            break
        taken.append(row)
    return taken


def _through_addenda(page: list[_Row], limit: int, rows: Iterator[_Row]) -> list[_Row]:
    """Each note's best addendum, for notes not on ``page``, while one could make it.

    ``page`` is the notes found in their own text, best first; ``rows`` the addenda,
    best first. Reading stops at the first addendum that ``limit`` notes already found
    score better than: every row after it scores no better. (On a full page that
    includes any addendum scoring worse than the page's last note.)
    """
    on_page = {row.note_id for row in page}
    page_scores = [row.score for row in page]  # best (lowest) first
    best: dict[int, _Row] = {}
    better = tied = 0  # notes kept that score better than the current row, and as well
    current = -math.inf
    for row in rows:
        if row.score > current:
            better, tied, current = better + tied, 0, row.score
            if bisect_left(page_scores, row.score) + better >= limit:
                break
        if row.note_id in on_page:
            continue  # its own text comes first
        kept = best.get(row.note_id)
        if kept is None:
            best[row.note_id] = row
            tied += 1
        elif row.score == kept.score and (row.addendum_id or 0) < (kept.addendum_id or 0):
            best[row.note_id] = row  # equally good addenda: the first written
    return list(best.values())


_NEWEST = attrgetter("session_date", "note_id")
_SCORE = attrgetter("score")


def _best_first(rows: list[_Row]) -> list[_Row]:
    """Best match first (bm25 is lower for a better match), then the newest session."""
    ordered = sorted(rows, key=_NEWEST, reverse=True)
    ordered.sort(key=_SCORE)  # stable: equal scores stay newest first
    return ordered


def _hit(row: _Row) -> NoteHit:
    return NoteHit(
        note_id=row.note_id,
        client_id=row.client_id,
        client_ref=row.client_ref,
        client_name=f"{row.family_name.upper()}, {row.given_name}",
        session_date=date.fromisoformat(row.session_date),
        snippet=("" if row.addendum_id is None else ADDENDUM_LABEL) + excerpt(row.excerpt or ""),
        is_signed=bool(row.is_signed),
        entered_in_error=bool(row.entered_in_error),
    )


@cache
def _timestamp_processor(dialect: Dialect) -> Callable[[object], object] | None:
    return UtcDateTime().dialect_impl(dialect).bind_processor(dialect)


def _stored_form_of_now(connection: Connection) -> object:
    """The current time as the models store timestamps, for comparing in raw SQL."""
    process = _timestamp_processor(connection.dialect)
    now = utcnow()
    return process(now) if process is not None else now


def search_notes(
    session: Session,
    by: StaffRef,
    text: str,
    *,
    client_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[NoteHit]:
    """The notes the user may see that contain every word of ``text``, best match first.

    With ``client_id``, only that client's notes (the user must have access to them).
    An empty search finds nothing. Nothing is audited (see the module docstring).
    """
    if not by.is_clinical:
        raise AccessDenied(
            "Administrators manage the system but do not read or write clinical records."
        )
    if not 1 <= limit <= MAX_RESULTS:
        raise ValidationError(f"Ask for between 1 and {MAX_RESULTS} results.")
    if client_id is not None:
        require_clinical_access(session, by, client_id)
    query = parse_query(text)
    if query is None:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # a site: PostgreSQL's own text search
        from clinic_app.services import site_search  # noqa: PLC0415 - site mode only

        rows = site_search.find_notes(
            session,
            by,
            query.phrases,
            client_id=client_id,
            limit=limit,
            now=_stored_form_of_now(connection),
        )
        return [_hit(_Row(*row[:5], row[5].isoformat(), *row[6:])) for row in rows]
    one_client = client_id is not None
    params: dict[str, object] = {
        "limit": limit,
        "start": _START,
        "end": _END,
        "tokens": EXCERPT_TOKENS,
        "all_words": query.all_words,
        "any_word": query.any_word,
    }
    if one_client:
        params["client_id"] = client_id
    else:
        params.update(me=by.id, now=_stored_form_of_now(connection))

    notes = _statement(_NOTES_SQL, one_client=one_client)
    direct = _read(
        connection,
        notes,
        {**params, "read_ahead": TIE_READ_AHEAD},
        partial(_page_of_notes, limit),
    )
    if len(direct) == limit + TIE_READ_AHEAD and direct[-1].score == direct[limit - 1].score:
        # Equal ranks run on past all that was read: which of the tied notes are the
        # newest is decided over all of them, not only those FTS5 happened to hand over.
        boundary = direct[limit - 1].score
        direct = [row for row in direct if row.score < boundary]
        tied = {**params, "boundary": boundary, "needed": limit - len(direct)}
        direct += _read(connection, _statement(_TIED_SQL, one_client=one_client), tied, list)
    direct = _best_first(direct)[:limit]

    words = len(query.phrases)
    addenda = _statement(_ADDENDA_SQL, words, one_client=one_client)
    if words > 1:
        params.update({f"word_{n}": phrase for n, phrase in enumerate(query.phrases)})
    found = _read(connection, addenda, params, partial(_through_addenda, direct, limit))
    return [_hit(row) for row in _best_first(direct + found)[:limit]]
