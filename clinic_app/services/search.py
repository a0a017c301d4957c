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
the same file; ``benchmarks/note_search.py`` measures it. A search is one statement in
the common case, run on the session's own connection: FTS5 ranks and sorts, the visible
clients are checked per note inside SQLite, and excerpts are built only for the page.
With several words, notes that may match through an addendum cost one more statement;
so does a run of equal ranks going on far past the end of the page.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import NamedTuple

from sqlalchemy import Connection, Dialect
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models.base import UtcDateTime, utcnow
from clinic_app.services.common import StaffRef, require_clinical_access
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
# A search is one statement in the common case. With several words, notes that may match
# through an addendum cost one more; so do equal ranks running far past the page's end.

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

# What a result row holds, for the notes of a page CTE (note_id, score, excerpt); the
# source says whether the excerpt is from the note (0) or from an addendum (1).
_PAGE_COLUMNS = """
    SELECT {source}, {page}.note_id, n.client_id, c.local_ref, c.given_name, c.family_name,
           n.session_date, n.signed_at IS NOT NULL, n.entered_in_error_at IS NOT NULL,
           {page}.score, {page}.excerpt
      FROM {page}
      JOIN session_note AS n ON n.id = {page}.note_id
      JOIN client AS c ON c.id = n.client_id"""

# First the notes with an addendum holding the words, then the notes whose own text has
# every word.
#
# With several words, the first part gives candidates only (source 2): notes with an
# addendum holding at least one of the words, by id and score, so whether the user may
# see them and whether they hold every word is asked later, for the few that could make
# the page. With one word, an addendum that holds it is a match, and the first part gives
# the finished rows (source 1), excerpt and all, sparing a statement.
#
# The notes are raw FTS5 plus a filter: ``ORDER BY rank`` alone lets FTS5 sort the
# matches itself and hand them over best first, building each excerpt as its row is
# read, from the positions FTS5 kept. CROSS JOIN keeps the full-text match as the outer
# loop. search_notes reads a page and then only as far as equal ranks run on past it,
# so excerpts are built for little more than the page.
_SEARCH_SQL = """
{addenda_part}
UNION ALL
SELECT * FROM (
    SELECT 0, session_note_fts.rowid, n.client_id, c.local_ref, c.given_name, c.family_name,
           n.session_date, n.signed_at IS NOT NULL, n.entered_in_error_at IS NOT NULL,
           session_note_fts.rank,
           snippet(session_note_fts, -1, :start, :end, '…', :tokens)
      FROM session_note_fts
      CROSS JOIN session_note AS n ON n.id = session_note_fts.rowid
      CROSS JOIN client AS c ON c.id = n.client_id
     WHERE session_note_fts MATCH :all_words AND {visible}
     ORDER BY session_note_fts.rank
     LIMIT :limit + :read_ahead
)"""

_CANDIDATES = """
SELECT 2, a.note_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, note_addendum_fts.rank, NULL
  FROM note_addendum_fts CROSS JOIN note_addendum AS a ON a.id = note_addendum_fts.rowid
 WHERE note_addendum_fts MATCH :any_word"""

_ONE_WORD_ADDENDA = """
SELECT 1, a.note_id, n.client_id, c.local_ref, c.given_name, c.family_name,
       n.session_date, n.signed_at IS NOT NULL, n.entered_in_error_at IS NOT NULL,
       note_addendum_fts.rank,
       snippet(note_addendum_fts, 0, :start, :end, '…', :tokens)
  FROM note_addendum_fts
  CROSS JOIN note_addendum AS a ON a.id = note_addendum_fts.rowid
  CROSS JOIN session_note AS n ON n.id = a.note_id
  CROSS JOIN client AS c ON c.id = n.client_id
 WHERE note_addendum_fts MATCH :any_word AND {visible}"""

# Candidates found through their addenda (their ids in :candidates, as JSON), of clients
# the user may see, that have every word in their own text or in one of their addenda.
# The addenda side is tested first (each word's set made once); the note's own index
# only after, by id. The excerpt comes from the note's best-matching addendum.
_ADDENDA_SQL = """
WITH candidates AS MATERIALIZED (
    SELECT a.note_id AS note_id, min(note_addendum_fts.rank) AS score,
           note_addendum_fts.rowid AS addendum_id
      FROM note_addendum_fts
      CROSS JOIN note_addendum AS a ON a.id = note_addendum_fts.rowid
      CROSS JOIN session_note AS n ON n.id = a.note_id
     WHERE note_addendum_fts MATCH :any_word
       AND a.note_id IN (SELECT value FROM json_each(:candidates)) AND {visible}
     GROUP BY a.note_id
),
found AS MATERIALIZED (
    SELECT candidates.* FROM candidates WHERE {every_word}
),
addendum_page AS (
    SELECT found.note_id, found.score,
           snippet(note_addendum_fts, 0, :start, :end, '…', :tokens) AS excerpt
      FROM found CROSS JOIN note_addendum_fts ON note_addendum_fts.rowid = found.addendum_id
     WHERE note_addendum_fts MATCH :any_word
)
{addendum_page_columns}"""

_WORD_CHECK = """(
    candidates.note_id IN (
        SELECT note_id FROM note_addendum WHERE id IN (
            SELECT rowid FROM note_addendum_fts WHERE note_addendum_fts MATCH :word_{n}))
    OR EXISTS (
        SELECT 1 FROM session_note_fts
         WHERE session_note_fts MATCH :word_{n} AND rowid = candidates.note_id))"""

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
{note_page_columns}"""


@cache
def _statement(template: str, words: int = 0, *, one_client: bool = False) -> str:
    visible = _ONE_CLIENT if one_client else _VISIBLE
    # With one word, an addendum holding any of the words holds all of them.
    checks = [_WORD_CHECK.format(n=n) for n in range(words)] if words > 1 else ["1"]
    addenda_part = _ONE_WORD_ADDENDA.format(visible=visible) if words == 1 else _CANDIDATES
    return template.format(
        visible=visible,
        every_word=" AND ".join(checks),
        addenda_part=addenda_part,
        note_page_columns=_PAGE_COLUMNS.format(page="note_page", source=0),
        addendum_page_columns=_PAGE_COLUMNS.format(page="addendum_page", source=1),
    )


class _Row(NamedTuple):
    """A result row as the statements return it."""

    source: int  # 0: the note's own text; 1: through an addendum; 2: a candidate
    note_id: int
    client_id: int
    client_ref: str
    given_name: str
    family_name: str
    session_date: str
    is_signed: int
    entered_in_error: int
    score: float
    excerpt: str | None


def _rows(
    connection: Connection, sql: str, params: dict[str, object], *, page: int | None = None
) -> list[_Row]:
    """Run one of the statements above within the session's transaction.

    With ``page``, stop reading notes (source 0) once ``page`` of them are in and the
    next one ranks lower than the last: rows not read are never computed.

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
            if page is None:
                return list(map(_Row._make, cursor.fetchall()))
            rows: list[_Row] = []
            notes = 0
            for row in map(_Row._make, cursor):
                if row.source == 0:
                    if notes >= page and row.score != rows[-1].score:
                        break
                    notes += 1
                rows.append(row)
            return rows
        finally:
            cursor.close()  # ends the statement, read to the end or not
    except Exception as error:
        translated = classify(error)
        if translated is not None:
            raise translated from error
        raise


def _score(row: _Row) -> float:
    return row.score


def _order(row: _Row) -> tuple[float, int, int]:
    # Best match first (bm25 is lower for a better match), then the newest session.
    return (row.score, -date.fromisoformat(row.session_date).toordinal(), -row.note_id)


def _hit(row: _Row) -> NoteHit:
    return NoteHit(
        note_id=row.note_id,
        client_id=row.client_id,
        client_ref=row.client_ref,
        client_name=f"{row.family_name.upper()}, {row.given_name}",
        session_date=date.fromisoformat(row.session_date),
        snippet=(ADDENDUM_LABEL if row.source else "") + excerpt(row.excerpt or ""),
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

    words = len(query.phrases)
    search = _statement(_SEARCH_SQL, words, one_client=one_client)
    rows = _rows(connection, search, {**params, "read_ahead": TIE_READ_AHEAD}, page=limit)
    direct = [row for row in rows if row.source == 0]  # best first
    if len(direct) == limit + TIE_READ_AHEAD and direct[-1].score == direct[limit - 1].score:
        # Equal ranks run on past all that was read: which of the tied notes are the
        # newest is decided over all of them, not only those FTS5 happened to hand over.
        boundary = direct[limit - 1].score
        direct = [row for row in direct if row.score < boundary]
        tied = {**params, "boundary": boundary, "needed": limit - len(direct)}
        direct += _rows(connection, _statement(_TIED_SQL, one_client=one_client), tied)
    direct = sorted(direct, key=_order)[:limit]

    # Notes found through an addendum that are not on the page already; with one word
    # they are found, with more they are candidates, looked at further only if they could
    # still make the page (a full page ends with its worst score).
    found = {row.note_id for row in direct}
    worst = direct[-1].score if len(direct) == limit else float("inf")
    through_addenda: dict[int, _Row] = {}
    for row in rows:
        if row.source in (1, 2) and row.note_id not in found and row.score <= worst:
            best = through_addenda.get(row.note_id)
            if best is None or row.score < best.score:
                through_addenda[row.note_id] = row  # the note's best-matching addendum
    if words > 1 and through_addenda:
        addenda = {
            **params,
            "candidates": json.dumps(sorted(through_addenda)),
            **{f"word_{n}": phrase for n, phrase in enumerate(query.phrases)},
        }
        checked = _statement(_ADDENDA_SQL, words, one_client=one_client)
        through_addenda = {row.note_id: row for row in _rows(connection, checked, addenda)}
    direct += through_addenda.values()
    return [_hit(row) for row in sorted(direct, key=_order)[:limit]]
