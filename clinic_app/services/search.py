"""Full-text search over session notes and their addenda, within what the user may see.

``search_notes`` finds the notes of clients the user works with (an active assignment, or
emergency access that has not expired) in which every word typed appears, in any section,
in the partner update or in a signed addendum. A note whose words are split between its
text and an addendum is found too. Matching ignores case and accents ("cafe" finds
"café"). Administrators are refused: they manage the system and do not read clinical
content.

**Words and prefixes.** The last word is a prefix while it is still being typed (no space
after it) once it has at least ``MIN_PREFIX_CHARS`` (3) letters, so results narrow as the
user types. A shorter last word is searched as a whole word, because clinicians write
short words that matter ("GP", "DV", "A&E"); the result says so (``short_word``), so the
panel can explain that three letters are needed to match the start of longer words.

**Hostile input.** What the user types is never handed to SQLite as query syntax. It is
cut into words (runs of letters, digits and combining marks); each run of non-space text
becomes one quoted FTS5 phrase, so ``e-mail`` or ``client's`` match as written, and
quotes, ``AND``, ``OR``, ``NEAR``, ``*``, ``-``, ``^`` and ``column:`` are ordinary
characters or plain words. Should the index still refuse a query, the user is told in
plain English (:class:`SearchNotUnderstood`), never shown an FTS5 message.

**Order and pages.** Newest session first by default (the session date, then the note's
id: the later written first), or best match first on request (``Order.RELEVANCE``: FTS5's
bm25, then newest first among equal matches). Either way the page is decided in SQL,
ties included (newest first tries the page for few matches first, and asks for the page
for many only when that gives no rows). Results come a page at a time (``limit``, 50 by
default) from ``offset``; the page says whether more notes match (``more``), up to
``MAX_RESULTS``.

Excerpts are plain text with each match between « and »; nothing in them is markup, so a
view shows them as plain text and no note can inject anything. A note found through an
addendum shows the best-matching addendum's excerpt, labelled as such.

**Searches are not audited.** The app searches as the user types, so an audit event per
search would be one per keystroke, drowning the events that matter; and the audit trail
would have to hold the search words, which are clinical text (a name, a disclosure) and do
not belong there. A search only shows short excerpts from records the user may already
open: assigned clients, or clients opened in an emergency, which was itself audited with
its reason. Opening a note from the results goes through the record, which is audited.

**Speed.** The budget (ARCHITECTURE.md) is 100 ms p95 over 100,000 notes, within 1.5x of
raw FTS5 returning the same page; ``benchmarks/note_search.py`` measures it. Ranking every
match by bm25 is what made common words slow, so newest first never ranks: the matching
note ids are read from the index (a plain read of each word's list, no scoring). When
few notes match (fewer than ``FEW_MATCHES``) they are sorted by date; when many do, the
session-date index is walked from the newest, each note looked up in those ids, until
the page is full, so a word in a third of all notes stops after a few pages' worth of
the index. For a small caseload the notes of the user's clients are listed from the
client index, so that the matches the user may see are counted (and sorted, when few)
and the walk never reads a note the user may not see. Excerpts are built for the page's
notes alone. Best first lets FTS5 rank and sort, and reads a little past the page so
that a tie running over its end is settled in the same statement.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import NamedTuple

from sqlalchemy import Connection, Dialect
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, ClinicError, ValidationError
from clinic_app.models.base import UtcDateTime, utcnow
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef
from clinic_app.storage.engine import classify

PAGE_SIZE = 50
DEFAULT_LIMIT = PAGE_SIZE
MAX_RESULTS = 500  # no page reaches past this many notes: add a word to narrow the search
MAX_WORDS = 16  # more than any real search; words beyond it are ignored
MAX_QUERY_CHARS = 1000
MIN_PREFIX_CHARS = 3  # fewer letters as a prefix would match most notes
EXCERPT_TOKENS = 14
FEW_MATCHES = 500  # fewer matching notes than this are sorted rather than walked
SMALL_CASELOAD = 5000  # notes; a caseload with no more is listed before the walk
TIE_READ_AHEAD = 100  # ranked notes read past the page, to see whether a tie runs on

MARK_OPEN = "«"
MARK_CLOSE = "»"
ADDENDUM_LABEL = "Addendum: "

# Markers FTS5 puts around matches. Control characters cannot be stored in a note (the
# services refuse them), so they cannot be confused with what a clinician wrote.
_START, _END = "\x02", "\x03"
_BLANKS = dict.fromkeys((*range(32), 127), " ")


class Order(StrEnum):
    """How the notes found are ordered."""

    NEWEST = "newest"  # the latest session first (the default)
    RELEVANCE = "relevance"  # the best match first, then the latest session


class SearchNotUnderstood(ClinicError):
    """The index could not read a search (never expected: every word is quoted)."""


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
class NotePage:
    """One page of the notes a search found.

    ``more``: more notes match after this page. ``can_show_more``: and the next page is
    within ``MAX_RESULTS``. ``short_word``: the last word, searched as a whole word
    because it has fewer than ``MIN_PREFIX_CHARS`` letters (None otherwise).
    """

    hits: tuple[NoteHit, ...]
    offset: int
    more: bool
    order: Order
    short_word: str | None = None

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.hits)

    @property
    def can_show_more(self) -> bool:
        return self.more and self.next_offset < MAX_RESULTS


@dataclass(frozen=True)
class NoteQuery:
    """A search turned into safe FTS5 queries: the whole, and one per word for addenda.

    ``short_word``: the last word as typed when it was too short to be a prefix.
    """

    phrases: tuple[str, ...]
    short_word: str | None = None

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


def _letters(word: str) -> int:
    """Characters of a word, accents typed apart not counted ("e" + accent is one)."""
    return sum(1 for ch in word if unicodedata.category(ch)[0] != "M")


def parse_query(typed: str) -> NoteQuery | None:
    """The user's words as FTS5 phrases, or None when there is nothing to search for.

    Each whitespace-separated chunk becomes a phrase of its word runs, double-quoted, so
    FTS5 reads it as text and never as an operator. Every phrase must match (AND). The
    last phrase is a prefix unless the text ends with a space; a last word shorter than
    ``MIN_PREFIX_CHARS`` is searched whole, and ``short_word`` says so.
    """
    typed = unicodedata.normalize("NFC", typed[:MAX_QUERY_CHARS])
    chunks = [runs for runs in (_runs(chunk) for chunk in typed.split()) if runs]
    if not chunks:
        return None
    finished = typed[-1:].isspace() or len(chunks) > MAX_WORDS
    chunks = chunks[:MAX_WORDS]
    phrases = []
    short_word = None
    for n, runs in enumerate(chunks):
        # The runs hold no quote characters, so quoting them cannot be escaped from.
        phrase = '"' + " ".join(runs) + '"'
        if n == len(chunks) - 1 and not finished:
            if _letters(runs[-1]) >= MIN_PREFIX_CHARS:
                phrase += "*"
            else:
                short_word = runs[-1]
        phrases.append(phrase)
    return NoteQuery(tuple(phrases), short_word)


def excerpt(marked: str) -> str:
    """An FTS5 snippet as one line of plain text, each match between « and »."""
    cleaned = marked.replace(_START, MARK_OPEN).replace(_END, MARK_CLOSE)
    if not cleaned.isprintable():  # newlines and tabs; other controls cannot be stored
        cleaned = cleaned.translate(_BLANKS)
    return " ".join(cleaned.split())


# -- SQL ---------------------------------------------------------------------------------------
#
# A search is one statement, built from the parts below: the notes that match (as sets of
# ids), the notes the user may see, the page (newest first, or best first), and the
# page's rows with their excerpts.

# The notes whose own text holds every word: ids read from the index's lists in rowid
# order. No bm25 is computed, which is what keeps a common word cheap. Not materialized:
# each use reads the lists itself, straight into the set it needs.
_OWN = """
own AS NOT MATERIALIZED (
    SELECT rowid AS id FROM session_note_fts WHERE session_note_fts MATCH :all_words
)"""

# The notes found through their addenda: notes with an addendum holding any of the words
# that have every word in their own text or in one of their addenda. (With one word, an
# addendum that holds it is a match.) The addenda index is small.
_THROUGH = """
with_addenda AS MATERIALIZED (
    SELECT ad.note_id FROM note_addendum_fts
      CROSS JOIN note_addendum AS ad ON ad.id = note_addendum_fts.rowid
     WHERE note_addendum_fts MATCH :any_word
),
through AS MATERIALIZED (
    SELECT DISTINCT w.note_id AS id FROM with_addenda AS w WHERE {every_word}
)"""
# With one word, an addendum that holds it is a match: the same set, made in one step.
_THROUGH_ONE_WORD = """
through AS MATERIALIZED (
    SELECT DISTINCT ad.note_id AS id FROM note_addendum_fts
      CROSS JOIN note_addendum AS ad ON ad.id = note_addendum_fts.rowid
     WHERE note_addendum_fts MATCH :any_word
)"""

# Whether word n is in note w's own text or in one of its addenda. Each side is a set made
# once per statement, on first use: the notes whose addenda hold the word, and the notes
# whose own text holds it, read once from the word's list and kept only for notes with a
# matching addendum. Asking the notes index once per note instead costs a lookup in every
# index segment each time.
_WORD_CHECK = """(
    w.note_id IN (
        SELECT note_id FROM note_addendum WHERE id IN (
            SELECT rowid FROM note_addendum_fts WHERE note_addendum_fts MATCH :word_{n}))
    OR w.note_id IN (
        SELECT rowid FROM session_note_fts
         WHERE session_note_fts MATCH :word_{n} AND +rowid IN with_addenda))"""

# Who may see what: the rules of services/access.py (an active assignment, or emergency
# access that has not expired), in SQL. ``mine`` is the clients the user may see. For a
# small caseload (``small``: no more than ``SMALL_CASELOAD`` notes, counted from the
# client_id index alone) those clients' notes are listed (``mine_notes``, no note read)
# and a note is visible when it is in that list. For a large caseload, where that list
# would be much of the store, each note is asked about by its client's id instead, so
# the cost follows the notes looked at. Both are used only when many notes match, and
# ``small`` is decided once.
_MINE = """
mine AS MATERIALIZED (
    SELECT client_id FROM client_assignment WHERE staff_id = :me AND ended_at IS NULL
    UNION
    SELECT client_id FROM emergency_access WHERE staff_id = :me AND expires_at > :now
),
small AS MATERIALIZED (
    SELECT count(*) <= :small_caseload AS yes FROM (
        SELECT 1 FROM session_note AS n WHERE n.client_id IN mine
         LIMIT :small_caseload + 1)
),
mine_notes AS MATERIALIZED (
    SELECT n.id FROM session_note AS n WHERE n.client_id IN mine
)"""
# Inside a client's record: that client's notes.
_ONE_CLIENT = """
mine_notes AS MATERIALIZED (
    SELECT n.id FROM session_note AS n WHERE n.client_id = :client_id
)"""

# Whether note {note} may be seen, for a statement that has read the note as ``n`` (its
# client's id at hand), and for one that has only the note's id. The unary plus keeps
# SQLite on the client_id indexes (a client has a handful of assignments, while a member
# of staff may have hundreds).
_CLIENT_VISIBLE = """(
    EXISTS (SELECT 1 FROM client_assignment AS a
             WHERE a.client_id = {client} AND +a.staff_id = :me AND a.ended_at IS NULL)
    OR EXISTS (SELECT 1 FROM emergency_access AS e
                WHERE e.client_id = {client} AND +e.staff_id = :me AND e.expires_at > :now))"""
_NOTE_VISIBLE = """(
    CASE WHEN (SELECT yes FROM small) THEN +{note} IN mine_notes
    ELSE EXISTS (SELECT 1 FROM client_assignment AS a
                  WHERE a.client_id = {client} AND +a.staff_id = :me AND a.ended_at IS NULL)
      OR EXISTS (SELECT 1 FROM emergency_access AS e
                  WHERE e.client_id = {client} AND +e.staff_id = :me AND e.expires_at > :now)
    END)"""
_CLIENT_OF = "(SELECT s.client_id FROM session_note AS s WHERE s.id = {note})"


def _visible(note: str, *, one_client: bool, client: str | None = None) -> str:
    """SQL saying whether ``note`` (an id) may be seen; ``client``: its client's id, if read."""
    if one_client:
        return f"+{note} IN mine_notes"
    return _NOTE_VISIBLE.format(note=note, client=client or _CLIENT_OF.format(note=note))


# Newest first. With few matches, read them and sort; with many, walk the session-date
# index from the newest (it holds the date and the note's id, in that order), look each
# note up in the sets above, and stop once the page is full: for a word in a third of
# the notes, that is after about three pages' worth of the index. With many matches and
# a small caseload, the matches the user may see are counted first, and sorted when they
# are few. Each branch runs only when its condition, decided once, holds (the conditions
# are the outer loops), so a search that matches few notes never asks about the caseload.
#
# A search is tried with the few-matches page alone first (``_NEWEST_FEW``), and only
# when that gives no rows with the page for many matches (``_NEWEST_MANY``): a branch
# that gives no rows still costs its setting up in every statement it is part of (about
# 0.3 ms for the two, on every search), and most searches as typed find few notes. The
# conditions are the same in both, so the two together give what one statement with all
# three branches would.
_FOUND = """
found AS MATERIALIZED (
    SELECT o.id FROM own AS o
    UNION ALL
    SELECT t.id FROM through AS t
     LIMIT :few
),
few AS MATERIALIZED (
    SELECT count(*) < :few AS yes FROM found
)"""

_NEWEST_FEW = """
page AS MATERIALIZED (
    SELECT n.id, n.session_date AS day, NULL AS score
      FROM (SELECT DISTINCT id FROM found WHERE (SELECT yes FROM few)) AS f
      CROSS JOIN session_note AS n ON n.id = f.id
     WHERE {client_visible}
     ORDER BY n.session_date DESC, n.id DESC
     LIMIT :take OFFSET :offset
)"""

_NEWEST_MANY = """
found_mine AS MATERIALIZED (
    SELECT o.id FROM own AS o WHERE +o.id IN mine_notes
    UNION ALL
    SELECT t.id FROM through AS t WHERE +t.id IN mine_notes
     LIMIT :few
),
few_mine AS MATERIALIZED (
    SELECT CASE WHEN (SELECT yes FROM few) THEN 0
                WHEN NOT (SELECT yes FROM small) THEN 0
                ELSE (SELECT count(*) FROM found_mine) < :few END AS yes
),
page AS MATERIALIZED (
    SELECT * FROM (
        SELECT n.id, n.session_date AS day, NULL AS score
          FROM few_mine CROSS JOIN (SELECT DISTINCT id FROM found_mine) AS f
          CROSS JOIN session_note AS n ON n.id = f.id
         WHERE few_mine.yes
         ORDER BY n.session_date DESC, n.id DESC
         LIMIT :take OFFSET :offset)
    UNION ALL
    SELECT * FROM (
        SELECT n.id, n.session_date AS day, NULL AS score
          FROM few CROSS JOIN few_mine
          CROSS JOIN session_note AS n INDEXED BY ix_session_note_session_date
         WHERE NOT few.yes AND NOT few_mine.yes AND (+n.id IN own OR +n.id IN through)
           AND {visible}
         ORDER BY n.session_date DESC, n.id DESC
         LIMIT :take OFFSET :offset)
)"""

# Newest first inside a client's record: the client's notes, a few hundred at most.
_NEWEST_PAGE_ONE_CLIENT = """
page AS MATERIALIZED (
    SELECT n.id, n.session_date AS day, NULL AS score
      FROM session_note AS n
     WHERE n.client_id = :client_id AND (+n.id IN own OR +n.id IN through)
     ORDER BY n.session_date DESC, n.id DESC
     LIMIT :take OFFSET :offset
)"""

# Best match first. FTS5 ranks the notes' own matches and hands them over best first; the
# visible ones are read up to ``window`` (the page's end and ``TIE_READ_AHEAD`` more).
# If the notes tied with the one ending the page run on to the end of what was read,
# every note tied at that rank is fetched too (``tied``, which runs only then), so that
# the newest of them make the page. Notes found through addenda rank by their best
# addendum; there are few addenda, so they are all ranked.
_RELEVANCE_PAGE = """
ranked AS MATERIALIZED (
    SELECT session_note_fts.rowid AS id, session_note_fts.rank AS score
      FROM session_note_fts
     WHERE session_note_fts MATCH :all_words AND {visible}
     ORDER BY session_note_fts.rank
     LIMIT :window
),
edge AS MATERIALIZED (
    SELECT boundary, boundary IS NOT NULL AND boundary = last AND full AS long_tie
      FROM (SELECT (SELECT score FROM ranked ORDER BY score LIMIT 1 OFFSET :needed - 1)
                       AS boundary,
                   (SELECT max(score) FROM ranked) AS last,
                   (SELECT count(*) FROM ranked) = :window AS full)
),
tied AS MATERIALIZED (
    SELECT session_note_fts.rowid AS id, session_note_fts.rank AS score
      FROM edge CROSS JOIN session_note_fts
     WHERE edge.long_tie AND session_note_fts MATCH :all_words
       AND +session_note_fts.rank = edge.boundary AND {visible}
),
through_ranked AS MATERIALIZED (
    SELECT ad.note_id AS id, min(note_addendum_fts.rank) AS score
      FROM note_addendum_fts
      CROSS JOIN note_addendum AS ad ON ad.id = note_addendum_fts.rowid
     WHERE note_addendum_fts MATCH :any_word AND +ad.note_id IN through
       AND +ad.note_id NOT IN own
     GROUP BY ad.note_id
),
candidates AS (
    SELECT id, score FROM ranked
     WHERE NOT (SELECT long_tie FROM edge) OR score < (SELECT boundary FROM edge)
    UNION ALL
    SELECT id, score FROM tied
    UNION ALL
    SELECT t.id, t.score FROM through_ranked AS t WHERE {through_visible}
),
page AS MATERIALIZED (
    SELECT c.id, n.session_date AS day, c.score
      FROM candidates AS c CROSS JOIN session_note AS n ON n.id = c.id
     ORDER BY c.score, n.session_date DESC, n.id DESC
     LIMIT :take OFFSET :offset
)"""

# The page's notes as the user sees them, each with its excerpt: from the note's own text
# when it holds every word, or else from its best addendum (the first written of
# equals). Both are looked up for the page's notes alone, so excerpts are built for the
# page's rows and no more.
_ROWS = """,
own_excerpts AS MATERIALIZED (
    SELECT page.id, page.day, page.score, (
        SELECT snippet(session_note_fts, -1, :start, :end, '…', :tokens)
          FROM session_note_fts
         WHERE session_note_fts MATCH :all_words AND rowid = page.id) AS excerpt
      FROM page
)
SELECT page.id, n.client_id, c.local_ref, c.given_name, c.family_name, n.session_date,
       n.signed_at IS NOT NULL, n.entered_in_error_at IS NOT NULL, page.excerpt,
       CASE WHEN page.excerpt IS NULL THEN (
           SELECT snippet(note_addendum_fts, 0, :start, :end, '…', :tokens)
             FROM note_addendum_fts
            WHERE note_addendum_fts MATCH :any_word
              AND rowid IN (SELECT id FROM note_addendum WHERE note_id = page.id)
            ORDER BY rank, rowid LIMIT 1) END
  FROM own_excerpts AS page
  CROSS JOIN session_note AS n ON n.id = page.id
  CROSS JOIN client AS c ON c.id = n.client_id
 ORDER BY {page_order}"""


class _Part(StrEnum):
    """Which page a newest-first search over the caseload asks for (see ``_NEWEST_FEW``)."""

    FEW = "few"  # the matches sorted, when fewer than FEW_MATCHES notes match
    MANY = "many"  # the other two branches, when that gave no rows


@cache
def _statement(order: Order, words: int, *, one_client: bool, part: _Part = _Part.FEW) -> str:
    """The statement of a search: ``words`` phrases, ordered by ``order``; for newest
    first over the caseload, the ``part`` of the page to try."""
    if words > 1:
        checks = " AND ".join(_WORD_CHECK.format(n=n) for n in range(words))
        parts = [_OWN, _THROUGH.format(every_word=checks)]
    else:
        parts = [_OWN, _THROUGH_ONE_WORD]
    parts.append(_ONE_CLIENT if one_client else _MINE)
    if order is Order.RELEVANCE:
        page = _RELEVANCE_PAGE.format(
            visible=_visible("session_note_fts.rowid", one_client=one_client),
            through_visible=_visible("t.id", one_client=one_client),
        )
        page_order = "page.score, page.day DESC, page.id DESC"
    elif one_client:
        page = _NEWEST_PAGE_ONE_CLIENT
        page_order = "page.day DESC, page.id DESC"
    else:
        page = (
            _FOUND
            + ","
            + (
                _NEWEST_FEW.format(client_visible=_CLIENT_VISIBLE.format(client="n.client_id"))
                if part is _Part.FEW
                else _NEWEST_MANY.format(
                    visible=_visible("n.id", one_client=False, client="n.client_id")
                )
            )
        )
        page_order = "page.day DESC, page.id DESC"
    parts.append(page)
    return "WITH" + ",".join(parts) + _ROWS.format(page_order=page_order)


class _Row(NamedTuple):
    """A result row as the statement returns it."""

    note_id: int
    client_id: int
    client_ref: str
    given_name: str
    family_name: str
    session_date: str  # ISO 8601, as SQLite stores dates
    is_signed: int
    entered_in_error: int
    own_excerpt: str | None  # None: the note holds the words with its addenda
    addendum_excerpt: str | None


# How FTS5 refuses a query it cannot parse ("fts5: syntax error near ...", "unterminated
# string", "no such column: x" for a column filter, "unknown special query").
_FTS5_REFUSALS = ("fts5", "unterminated string", "no such column", "unknown special query")


def _read(connection: Connection, sql: str, params: dict[str, object]) -> list[_Row]:
    """Run the statement within the session's transaction.

    Straight to the driver: the statement is a fixed string with named parameters that the
    driver keeps prepared, and the rows are plain tuples, so SQLAlchemy's statement cache
    and result objects would only add their bookkeeping to every keystroke. Driver errors
    are translated as the engine translates them.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        cursor = driver.execute(sql, params)
        try:
            return [_Row._make(row) for row in cursor]
        finally:
            cursor.close()
    except Exception as error:
        translated = classify(error)
        if translated is not None:
            raise translated from error
        if any(sign in str(error).lower() for sign in _FTS5_REFUSALS):
            raise SearchNotUnderstood(
                "The search could not be read. Try plain words, without symbols."
            ) from error
        raise


def _hit(row: _Row) -> NoteHit:
    if row.own_excerpt is not None:
        snippet = excerpt(row.own_excerpt)
    else:
        snippet = ADDENDUM_LABEL + excerpt(row.addendum_excerpt or "")
    return NoteHit(
        note_id=row.note_id,
        client_id=row.client_id,
        client_ref=row.client_ref,
        client_name=f"{row.family_name.upper()}, {row.given_name}",
        session_date=date.fromisoformat(row.session_date),
        snippet=snippet,
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
    order: Order = Order.NEWEST,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> NotePage:
    """A page of the notes the user may see that contain every word of ``text``.

    Newest session first, or best match first with ``order=Order.RELEVANCE``; ``limit``
    notes from ``offset`` (both within ``MAX_RESULTS``). With ``client_id``, only that
    client's notes (the user must have access to them). An empty search finds nothing.
    Nothing is audited (see the module docstring).
    """
    if not by.is_clinical:
        raise AccessDenied(
            "Administrators manage the system but do not read or write clinical records."
        )
    if not 1 <= limit <= MAX_RESULTS or not 0 <= offset <= MAX_RESULTS - limit:
        raise ValidationError(f"Ask for results among the first {MAX_RESULTS}.")
    order = Order(order)
    if client_id is not None:
        require_clinical_access(session, by, client_id)
    query = parse_query(text)
    if query is None:
        return NotePage((), offset, more=False, order=order)
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # a site: PostgreSQL's own text search
        from clinic_app.services import site_search  # noqa: PLC0415 - site mode only

        found = site_search.find_notes(
            session,
            by,
            query.phrases,
            client_id=client_id,
            limit=limit + 1,  # one more than the page says whether more notes match
            now=_stored_form_of_now(connection),
            best_first=order is Order.RELEVANCE,
            offset=offset,
        )
        site_rows = [
            _Row(
                *row[:5],
                row[5].isoformat(),
                int(row[6]),
                int(row[7]),
                row[9] if row[10] is None else None,
                row[9] if row[10] is not None else None,
            )
            for row in found
        ]
        return NotePage(
            tuple(_hit(row) for row in site_rows[:limit]),
            offset,
            more=len(site_rows) > limit,
            order=order,
            short_word=query.short_word,
        )
    one_client = client_id is not None
    take = limit + 1  # one more than the page says whether more notes match
    params: dict[str, object] = {
        "all_words": query.all_words,
        "any_word": query.any_word,
        "start": _START,
        "end": _END,
        "tokens": EXCERPT_TOKENS,
        "take": take,
        "offset": offset,
    }
    words = len(query.phrases)
    if words > 1:
        params.update({f"word_{n}": phrase for n, phrase in enumerate(query.phrases)})
    if one_client:
        params["client_id"] = client_id
    else:
        params.update(me=by.id, now=_stored_form_of_now(connection))
    if not one_client:
        params["small_caseload"] = SMALL_CASELOAD
    if order is Order.RELEVANCE:
        params.update(needed=offset + take, window=offset + take + TIE_READ_AHEAD)
    elif not one_client:
        params["few"] = FEW_MATCHES
    rows = _read(connection, _statement(order, words, one_client=one_client), params)
    if not rows and order is Order.NEWEST and not one_client:
        rows = _read(
            connection, _statement(order, words, one_client=False, part=_Part.MANY), params
        )
    return NotePage(
        tuple(_hit(row) for row in rows[:limit]),
        offset,
        more=len(rows) > limit,
        order=order,
        short_word=query.short_word,
    )
