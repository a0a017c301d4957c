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
the same file; ``benchmarks/note_search.py`` measures it. Each search is two statements:
the notes themselves (ranked, filtered to visible clients and cut to the limit inside
SQLite before any excerpt is built) and the addenda (a small table).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models.base import UtcDateTime, utcnow
from clinic_app.services.common import StaffRef, require_clinical_access

MAX_RESULTS = 500
MAX_WORDS = 16  # more than any real search; words beyond it are ignored
MAX_QUERY_CHARS = 1000
MIN_PREFIX_CHARS = 2  # one letter as a prefix would match nearly every note
EXCERPT_TOKENS = 14

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
    chunks = chunks[:MAX_WORDS]
    finished = typed[-1:].isspace() or len(chunks) == MAX_WORDS
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
    cleaned = marked.replace(_START, MARK_OPEN).replace(_END, MARK_CLOSE).translate(_BLANKS)
    return " ".join(cleaned.split())


# -- SQL ---------------------------------------------------------------------------------------

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

_PAGE_COLUMNS = """
    SELECT page.note_id, n.client_id, c.local_ref, c.given_name, c.family_name,
           n.session_date, n.signed_at IS NOT NULL, n.entered_in_error_at IS NOT NULL,
           page.score, page.excerpt
      FROM page
      JOIN session_note AS n ON n.id = page.note_id
      JOIN client AS c ON c.id = n.client_id"""

# The fast path, which is raw FTS5 plus a filter. ``ORDER BY rank`` alone lets FTS5 sort
# the matches itself and hand them over best first, so SQLite stops at the limit and
# builds excerpts for the page only, from the positions FTS5 kept. CROSS JOIN keeps the
# full-text match as the outer loop. One row more than asked for tells whether a tie
# in rank straddles the end of the page (see search_notes).
_NOTES_SQL = """
WITH page AS (
    SELECT session_note_fts.rowid AS note_id, session_note_fts.rank AS score,
           snippet(session_note_fts, -1, :start, :end, '…', :tokens) AS excerpt
      FROM session_note_fts CROSS JOIN session_note AS n ON n.id = session_note_fts.rowid
     WHERE session_note_fts MATCH :all_words AND {visible}
     ORDER BY session_note_fts.rank
     LIMIT :limit + 1
)
{page_columns}"""

# The exact path, for a tie at the end of the page: rank, then newest first, decided by
# SQLite over all the matches; excerpts are then made for the page, one note at a time.
_NOTES_EXACT_SQL = """
WITH ranked AS MATERIALIZED (
    SELECT session_note_fts.rowid AS note_id, session_note_fts.rank AS score
      FROM session_note_fts CROSS JOIN session_note AS n ON n.id = session_note_fts.rowid
     WHERE session_note_fts MATCH :all_words AND {visible}
     ORDER BY session_note_fts.rank, n.session_date DESC, n.id DESC
     LIMIT :limit
),
page AS (
    SELECT ranked.note_id, ranked.score,
           snippet(session_note_fts, -1, :start, :end, '…', :tokens) AS excerpt
      FROM ranked CROSS JOIN session_note_fts ON session_note_fts.rowid = ranked.note_id
     WHERE session_note_fts MATCH :all_words
)
{page_columns}"""

# Notes found through an addendum: an addendum holds at least one of the words, and every
# word is in the note's own text or in one of its addenda. The addenda side is tested
# first (a small table, each word's set made once); the note's own index only after, by
# id. The excerpt comes from the note's best-matching addendum.
_ADDENDA_SQL = """
WITH candidates AS MATERIALIZED (
    SELECT a.note_id AS note_id, min(note_addendum_fts.rank) AS score,
           note_addendum_fts.rowid AS addendum_id
      FROM note_addendum_fts
      CROSS JOIN note_addendum AS a ON a.id = note_addendum_fts.rowid
      CROSS JOIN session_note AS n ON n.id = a.note_id
     WHERE note_addendum_fts MATCH :any_word AND {visible}
     GROUP BY a.note_id
),
found AS MATERIALIZED (
    SELECT candidates.* FROM candidates
      JOIN session_note AS n ON n.id = candidates.note_id
     WHERE {every_word}
     ORDER BY candidates.score, n.session_date DESC, n.id DESC
     LIMIT :limit
),
page AS (
    SELECT found.note_id, found.score,
           snippet(note_addendum_fts, 0, :start, :end, '…', :tokens) AS excerpt
      FROM found CROSS JOIN note_addendum_fts ON note_addendum_fts.rowid = found.addendum_id
     WHERE note_addendum_fts MATCH :any_word
)
{page_columns}"""

_WORD_CHECK = """(
    candidates.note_id IN (
        SELECT note_id FROM note_addendum WHERE id IN (
            SELECT rowid FROM note_addendum_fts WHERE note_addendum_fts MATCH :word_{n}))
    OR EXISTS (
        SELECT 1 FROM session_note_fts
         WHERE session_note_fts MATCH :word_{n} AND rowid = candidates.note_id))"""


@cache
def _statement(template: str, words: int, *, one_client: bool) -> str:
    every_word = " AND ".join(_WORD_CHECK.format(n=n) for n in range(words))
    visible = _ONE_CLIENT if one_client else _VISIBLE
    return template.format(visible=visible, every_word=every_word, page_columns=_PAGE_COLUMNS)


Scored = tuple[float, NoteHit]


def _run(connection: Connection, sql: str, params: dict[str, object]) -> list[Scored]:
    # Straight to the driver: the statements are fixed strings with named parameters, so
    # SQLAlchemy's statement cache would only add its own bookkeeping to every keystroke.
    hits = []
    for row in connection.exec_driver_sql(sql, params):
        note_id, client_id, ref, given, family, day, signed, in_error, score, marked = row
        hit = NoteHit(
            note_id=note_id,
            client_id=client_id,
            client_ref=ref,
            client_name=f"{family.upper()}, {given}",
            session_date=date.fromisoformat(day),
            snippet=excerpt(marked or ""),
            is_signed=bool(signed),
            entered_in_error=bool(in_error),
        )
        hits.append((float(score), hit))
    return hits


def _stored_form_of_now(connection: Connection) -> object:
    """The current time as the models store timestamps, for comparing in raw SQL."""
    dialect = connection.dialect
    process = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    now = utcnow()
    return process(now) if process is not None else now


def _order(hit: Scored) -> tuple[float, int, int]:
    # Best match first (bm25 is lower for a better match), then the newest session.
    score, note = hit
    return (score, -note.session_date.toordinal(), -note.note_id)


def search_notes(
    session: Session,
    by: StaffRef,
    text: str,
    *,
    client_id: int | None = None,
    limit: int = 100,
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
        **{f"word_{n}": phrase for n, phrase in enumerate(query.phrases)},
    }
    if one_client:
        params["client_id"] = client_id
    else:
        params.update(me=by.id, now=_stored_form_of_now(connection))

    direct = _run(connection, _statement(_NOTES_SQL, 0, one_client=one_client), params)
    direct.sort(key=lambda pair: pair[0])
    if len(direct) > limit and direct[limit][0] == direct[limit - 1][0]:
        # Equal ranks run past the end of the page: which of them are the newest is
        # decided over all the matches, not only the ones FTS5 happened to hand over.
        direct = _run(connection, _statement(_NOTES_EXACT_SQL, 0, one_client=one_client), params)
    direct = sorted(direct, key=_order)[:limit]

    found = {hit.note_id for _, hit in direct}
    addenda = _run(
        connection, _statement(_ADDENDA_SQL, len(query.phrases), one_client=one_client), params
    )
    merged = direct + [
        (score, replace(hit, snippet=ADDENDUM_LABEL + hit.snippet))
        for score, hit in addenda
        if hit.note_id not in found
    ]
    return [hit for _, hit in sorted(merged, key=_order)[:limit]]
