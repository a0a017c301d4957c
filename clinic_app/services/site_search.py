"""Note search at a site: PostgreSQL full-text search behind ``services.search``.

``services.search.search_notes`` checks who is asking and parses what they typed exactly
as on a workstation, then hands the parsed words here when the database is PostgreSQL.
The rules are the workstation's: every word must appear (in any section, the partner
update, or a signed addendum; a note whose words are split between its text and an
addendum is found too), the last word is a prefix while it is being typed, results are
best match first then newest session (ranks are normalised by length, so a short
note or addendum that matches ranks above a long one, as with bm25), and a note found
through an addendum shows an excerpt of the addendum, labelled so.

The engine differs: the ``tsvector`` columns of migration ``0010_site`` (configuration
``simple``: every word as written, lower-cased) with their GIN indexes, ``ts_rank`` for
the order and ``ts_headline`` for excerpts. Accents are folded on both sides
(``clinic_fold``) where the server has the ``unaccent`` extension, though a match on an
accented word is then not marked in its excerpt; and rank values differ from FTS5's bm25,
so notes may be ordered differently within equal rank.

What the user typed never becomes query syntax: the parsed words hold only letters,
digits and combining marks, and each is passed quoted as one lexeme.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from clinic_app.services.common import StaffRef

# The note's text as one document, in the order a clinician writes it (0010_site indexes
# the same columns).
_NOTE_TEXT = (
    "concat_ws(' ', n.risk_checkin, n.agenda, n.intervention_content, n.homework, "
    "n.risk_rerating, n.actions, n.partner_update)"
)
_HEADLINE_OPTIONS = "'StartSel=\x02, StopSel=\x03, MaxWords=14, MinWords=4, ShortWord=0'"


def _headline(document: str, query: str) -> str:
    """An excerpt around the match. ts_headline drops what looks like markup, so angle
    brackets are swapped for control characters (never stored in a note) and back."""
    hidden = f"translate({document}, '<>', chr(4) || chr(5))"
    marked = f"ts_headline('simple', {hidden}, {query}, {_HEADLINE_OPTIONS})"
    return f"translate({marked}, chr(4) || chr(5), '<>')"


_VISIBLE = """(
    EXISTS (SELECT 1 FROM client_assignment AS a
             WHERE a.client_id = n.client_id AND a.staff_id = :me AND a.ended_at IS NULL)
    OR EXISTS (SELECT 1 FROM emergency_access AS e
                WHERE e.client_id = n.client_id AND e.staff_id = :me
                  AND e.expires_at > :now))"""
_ONE_CLIENT = "n.client_id = :client_id"

# Notes whose own text has every word, and notes that have every word only with their
# addenda (then the best-matching addendum gives the excerpt). Scores are negated ranks,
# so that lower is better, as bm25 is on a workstation.
_CANDIDATES = """
WITH q AS (SELECT to_tsquery('simple', clinic_fold(:all_words)) AS every,
                  to_tsquery('simple', clinic_fold(:any_word)) AS some),
candidates AS (
    SELECT n.id, n.client_id, n.session_date, n.signed_at, n.entered_in_error_at,
           n.search_vector AS own,
           (SELECT tsvector_agg_all FROM (
                SELECT to_tsvector('simple', string_agg(ad.text, ' ' ORDER BY ad.id))
                    AS tsvector_agg_all
                  FROM note_addendum AS ad WHERE ad.note_id = n.id) AS x) AS added
      FROM session_note AS n, q
     WHERE {visible}
       AND (n.search_vector @@ q.every
            OR EXISTS (SELECT 1 FROM note_addendum AS ad
                        WHERE ad.note_id = n.id AND ad.search_vector @@ q.some))
),
found AS (
    SELECT c.* FROM candidates AS c, q
     WHERE c.own @@ q.every OR (c.own || coalesce(c.added, ''::tsvector)) @@ q.every
)"""

# What each note found shows: its client, its score, its excerpt (from the note, or from
# its best-matching addendum when the note's own text lacks a word).
_SHOWN = """
SELECT c0.id, c0.client_id, cl.local_ref, cl.given_name, cl.family_name, c0.session_date,
       c0.signed_at IS NOT NULL, c0.entered_in_error_at IS NOT NULL,
       CASE WHEN c0.own @@ q.every THEN -ts_rank(c0.own, q.every, 1)
            ELSE -best.score END,
       CASE WHEN c0.own @@ q.every
            THEN {note_headline}
            ELSE {addendum_headline} END,
       CASE WHEN c0.own @@ q.every THEN NULL ELSE best.id END
  FROM {source} AS c0
  CROSS JOIN q
  JOIN session_note AS n ON n.id = c0.id
  JOIN client AS cl ON cl.id = c0.client_id
  LEFT JOIN LATERAL (
      SELECT ad.id, ad.text, ts_rank(ad.search_vector, q.some, 1) AS score
        FROM note_addendum AS ad
       WHERE ad.note_id = c0.id AND ad.search_vector @@ q.some
       ORDER BY score DESC, ad.id
       LIMIT 1) AS best ON true
 ORDER BY {order}"""

# Best match first: an addendum's score may decide a note's place, so every note found
# is scored before the page is taken.
_SQL_BEST = _CANDIDATES + _SHOWN.replace("{source}", "found") + "\n LIMIT :limit OFFSET :offset"

# Newest first: the page is taken by date alone, and only its notes are scored and given
# excerpts (a common word matches most notes; scoring them all was most of the time).
_SQL_NEWEST = (
    _CANDIDATES  # noqa: S608 - constants only; what is typed is passed as parameters
    + """,
page AS (
    SELECT * FROM found AS f
     ORDER BY f.session_date DESC, f.id DESC
     LIMIT :limit OFFSET :offset
)"""
    + _SHOWN.replace("{source}", "page")
)

# Newest session first (the default), or best match first with ties newest first.
NEWEST_FIRST = "c0.session_date DESC, c0.id DESC"
BEST_FIRST = "9, c0.session_date DESC, c0.id DESC"


def tsquery_terms(phrases: tuple[str, ...]) -> list[str]:
    """The parsed phrases (``"word word"``, the last maybe ending ``*``) as tsquery terms."""
    terms = []
    for phrase in phrases:
        prefix = phrase.endswith("*")
        words = phrase.rstrip("*").strip('"').lower().split()
        # Words hold only letters, digits and combining marks: quoting cannot be escaped.
        lexemes = [f"'{word}'" for word in words]
        if prefix:
            lexemes[-1] += ":*"
        terms.append("(" + " <-> ".join(lexemes) + ")")
    return terms


def find_notes(
    session: Session,
    by: StaffRef,
    phrases: tuple[str, ...],
    *,
    client_id: int | None,
    limit: int,
    now: object,
    best_first: bool = False,
    offset: int = 0,
) -> list[tuple[int, int, str, str, str, date, bool, bool, float, str, int | None]]:
    """The matching notes, newest first (or best first), as rows for ``services.search``
    to turn into hits: ``limit`` of them from ``offset``.

    ``now`` is the current time as timestamps are stored (emergency access ends then).
    """
    terms = tsquery_terms(phrases)
    sql = (_SQL_BEST if best_first else _SQL_NEWEST).format(
        visible=_ONE_CLIENT if client_id is not None else _VISIBLE,
        note_headline=_headline(_NOTE_TEXT, "q.every"),
        addendum_headline=_headline("best.text", "q.some"),
        order=BEST_FIRST if best_first else NEWEST_FIRST,
    )
    params: dict[str, object] = {
        "all_words": " & ".join(terms),
        "any_word": " | ".join(terms),
        "limit": limit,
        "offset": offset,
    }
    if client_id is not None:
        params["client_id"] = client_id
    else:
        params.update(me=by.id, now=now)
    return [tuple(row) for row in session.execute(text(sql), params)]
