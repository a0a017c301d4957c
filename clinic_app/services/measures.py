"""Self-report measures given to a client: administrations, results and schedules.

Which measures can be given, and their cut-offs, are in
:mod:`clinic_app.services.measure_definitions`.

- **Administrations.** The client's item answers, exactly as given and checked against the
  definition. Scores are never typed in or stored: they are derived from the answers by
  ``clinic_app.measures.scoring`` whenever they are shown or exported.
- **Schedules.** A measure falls due every N attended sessions since it was last completed,
  and/or in the fortnight before a plan review; ``measures_due`` and
  ``measures_due_for_caseload`` give the reminders.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import ValidationError
from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.measures.scoring import (
    Change,
    CriticalAlert,
    Score,
    check_answers,
    critical_alerts,
    reliable_change,
)
from clinic_app.models import (
    MeasureAdministration,
    MeasureResponse,
    SessionNote,
)
from clinic_app.models.enums import MeasureMode
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef
from clinic_app.services.measure_definitions import (
    MAX_ITEMS,
    MAX_VALUE,
    MEASURE_ID,
    find_definition,
    score_with_cutoff,
)
from clinic_app.services.validation import Checker, date_problem

# -- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdministrationRow:
    """One completed measure: the answers as given (item number, value or None).

    ``score`` is filled in by ``record_administration`` (so the caller can show the total
    and any critical-item alert at once), or None with ``score_problem`` saying why the
    answers cannot be scored (too many items left unanswered). Lists of stored
    administrations leave both empty; ``results_for_client`` gives them with their scores.
    """

    id: int
    client_id: int
    measure_id: str
    measure_version: str
    administered_on: date
    mode: MeasureMode
    answers: tuple[tuple[int, int | None], ...]
    score: Score | None = None
    score_problem: str = ""
    entered_by: int | None = None
    """The member of staff who entered the answers (or saved the client's own)."""
    alerts: tuple[CriticalAlert, ...] = ()
    """Filled in by ``record_administration``: critical answers, scored or not."""


@dataclass(frozen=True)
class AdministrationResult:
    """One administration with its score, or the reason it cannot be scored.

    ``definition`` is the version it was given with (None when that version is unknown
    here, e.g. a record imported from a clinic with its own measures).
    """

    administration: AdministrationRow
    definition: MeasureDefinition | None
    score: Score | None
    problem: str = ""
    alerts: tuple[CriticalAlert, ...] = ()
    """Critical items answered at or above their threshold, or blank: with or without a
    score (a form too incomplete to score still raises them)."""


@dataclass(frozen=True)
class ChangeBetween:
    """The change between two administrations, or why it cannot be judged."""

    earlier_id: int
    later_id: int
    earlier_on: date
    later_on: date
    change: Change | None
    problem: str = ""


@dataclass(frozen=True)
class MeasureResults:
    """Everything about one measure for one client, oldest administration first.

    ``changes`` holds the change from each administration to the next; ``overall`` the
    change from the first to the latest (None with fewer than two administrations).
    ``definition`` is the version the latest administration was given with.
    """

    measure_id: str
    title: str
    short_title: str
    definition: MeasureDefinition | None
    administrations: tuple[AdministrationResult, ...]
    changes: tuple[ChangeBetween, ...]
    overall: ChangeBetween | None


# -- administrations ----------------------------------------------------------------------------


def record_administration(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    measure_id: str,
    measure_version: str,
    administered_on: date,
    answers: dict[int, int | None],
    mode: MeasureMode = MeasureMode.CLINICIAN_ENTRY,
    session_note_id: int | None = None,
    today: date | None = None,
    require_score: bool = False,
) -> AdministrationRow:
    """Store one completed measure; ``answers`` maps item number (from 1) to value or None.

    The answers are checked against the definition of that measure version: every item
    number must belong to it and every answer must be one of the item's answers
    (``ValidationError`` naming each item otherwise; nothing is stored). Items may be left
    unanswered (None or absent), as the client gave them; with ``require_score`` the
    answers are refused unless enough items are answered to score the measure (each
    unanswered item named). Only the answers are stored; the returned row carries the
    score, or ``score_problem`` when the answers cannot be scored.
    """
    require_clinical_access(session, by, client_id)
    check = Checker()
    found: tuple[MeasureDefinition, bool] | None = None
    if not MEASURE_ID.match(measure_id):
        check.add("measure_id", "That is not a known measure.")
    check.text(
        "measure_version",
        measure_version,
        label="The measure version",
        required=True,
        max_length=40,
    )
    check.add(
        "administered_on",
        date_problem(administered_on, label="The date completed", today=today or date.today()),
    )
    if not answers:
        check.add("answers", "No answers were given.")
    for item, value in answers.items():
        if not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= MAX_ITEMS:
            check.add("answers", f"Item {item!r} is not an item number.")
        elif value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_VALUE
        ):
            check.add(f"answers.{item}", f"The answer to item {item} is not a valid answer.")
    if session_note_id is not None:
        note = session.get(SessionNote, session_note_id)
        if note is None or note.client_id != client_id:
            check.add("session_note_id", "That session is not part of this client's record.")
    if MEASURE_ID.match(measure_id) and measure_version.strip():
        found = find_definition(session, measure_id, measure_version.strip())
        if found is None:
            check.add(
                "measure_id",
                f"Version {measure_version.strip()} of the measure '{measure_id}' is not known "
                "here.",
            )
        elif not found[1]:
            check.add(
                "measure_version",
                f"Version {measure_version.strip()} of the {found[0].short_title} is no longer "
                "offered; use the current version.",
            )
    check.raise_if_any()
    assert found is not None
    check_answers(found[0], answers)  # names each item whose answer is not allowed
    scored: Score | None = None
    score_problem = ""
    try:
        scored = score_with_cutoff(session, found[0], answers)
    except ValidationError as exc:
        if require_score:
            raise
        score_problem = _cannot_score(exc)
    administration = MeasureAdministration(
        client_id=client_id,
        measure_id=measure_id,
        measure_version=measure_version.strip(),
        administered_on=administered_on,
        mode=mode,
        session_note_id=session_note_id,
        entered_by=by.id,
    )
    session.add(administration)
    session.flush()
    session.add_all(
        MeasureResponse(administration_id=administration.id, item=item, value=value)
        for item, value in sorted(answers.items())
    )
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="measure_administration",
        entity_id=administration.id,
        client_id=client_id,
    )
    return AdministrationRow(
        administration.id,
        client_id,
        measure_id,
        measure_version.strip(),
        administered_on,
        mode,
        tuple(sorted(answers.items())),
        scored,
        score_problem,
        by.id,
        critical_alerts(found[0], answers),
    )


def administrations_for_client(
    session: Session, by: StaffRef, client_id: int
) -> list[AdministrationRow]:
    """Every administration of the client, oldest first, with the answers as given."""
    require_clinical_access(session, by, client_id)
    return administrations_read(session, client_id)


def administrations_read(session: Session, client_id: int) -> list[AdministrationRow]:
    """:func:`administrations_for_client` for a use case that has checked the user's
    access itself."""
    administrations = list(
        session.scalars(
            select(MeasureAdministration)
            .where(MeasureAdministration.client_id == client_id)
            .order_by(MeasureAdministration.administered_on, MeasureAdministration.id)
        )
    )
    answers: dict[int, list[tuple[int, int | None]]] = {}
    if administrations:
        for admin_id, item, value in session.execute(
            select(MeasureResponse.administration_id, MeasureResponse.item, MeasureResponse.value)
            .join(MeasureAdministration)
            .where(MeasureAdministration.client_id == client_id)
            .order_by(MeasureResponse.administration_id, MeasureResponse.item)
        ):
            answers.setdefault(admin_id, []).append((item, value))
    return [
        AdministrationRow(
            a.id,
            a.client_id,
            a.measure_id,
            a.measure_version,
            a.administered_on,
            a.mode,
            tuple(answers.get(a.id, [])),
            entered_by=a.entered_by,
        )
        for a in administrations
    ]


# -- results ------------------------------------------------------------------------------------


def _result(
    session: Session, row: AdministrationRow, cache: dict[tuple[str, str], Any]
) -> AdministrationResult:
    key = (row.measure_id, row.measure_version)
    if key not in cache:
        cache[key] = find_definition(session, *key)
    found: tuple[MeasureDefinition, bool] | None = cache[key]
    if found is None:
        return AdministrationResult(
            row,
            None,
            None,
            f"Version {row.measure_version} of the measure '{row.measure_id}' is not known "
            "here, so these answers cannot be scored.",
        )
    answers = dict(row.answers)
    alerts = critical_alerts(found[0], answers)
    try:
        return AdministrationResult(
            row, found[0], score_with_cutoff(session, found[0], answers), alerts=alerts
        )
    except ValidationError as exc:
        return AdministrationResult(row, found[0], None, _cannot_score(exc), alerts=alerts)


def _cannot_score(error: ValidationError) -> str:
    return "These answers cannot be scored: " + " ".join(p.message for p in error.problems)


def _change(earlier: AdministrationResult, later: AdministrationResult) -> ChangeBetween:
    a, b = earlier.administration, later.administration
    problem = ""
    change: Change | None = None
    if earlier.score is None or later.score is None or later.definition is None:
        problem = "Change cannot be judged: one of the two administrations cannot be scored."
    elif (
        a.measure_version != b.measure_version
        and a.measure_version not in later.definition.comparable_with
    ):
        problem = (
            f"Change cannot be judged: the two were given with different versions of the "
            f"definition ({a.measure_version} and {b.measure_version})."
        )
    else:
        change = reliable_change(later.definition, earlier.score, later.score)
    return ChangeBetween(a.id, b.id, a.administered_on, b.administered_on, change, problem)


def results_for_client(
    session: Session, by: StaffRef, client_id: int
) -> tuple[MeasureResults, ...]:
    """Every measure the client has completed, each with its scores and changes.

    Measures are ordered by short title; administrations oldest first.
    """
    require_clinical_access(session, by, client_id)
    return _results(session, administrations_read(session, client_id))


def results_between(
    session: Session, client_id: int, start: date, end: date
) -> tuple[MeasureResults, ...]:
    """The client's results from administrations given between two dates (both included).

    No access check: for a caller that has made its own (the pseudonymised service
    evaluation, which an administrator may run and which carries no answers out).
    """
    rows = [
        r for r in administrations_read(session, client_id) if start <= r.administered_on <= end
    ]
    return _results(session, rows)


def _results(session: Session, rows: Sequence[AdministrationRow]) -> tuple[MeasureResults, ...]:
    cache: dict[tuple[str, str], Any] = {}
    by_measure: dict[str, list[AdministrationResult]] = {}
    for row in rows:
        by_measure.setdefault(row.measure_id, []).append(_result(session, row, cache))
    out: list[MeasureResults] = []
    for measure_id, results in by_measure.items():
        latest = results[-1].definition
        known = next((r.definition for r in reversed(results) if r.definition), None)
        changes = tuple(_change(x, y) for x, y in itertools.pairwise(results))
        overall = _change(results[0], results[-1]) if len(results) > 1 else None
        out.append(
            MeasureResults(
                measure_id,
                known.title if known else measure_id,
                known.short_title if known else measure_id.upper(),
                latest,
                tuple(results),
                changes,
                overall,
            )
        )
    return tuple(sorted(out, key=lambda m: (m.short_title.lower(), m.measure_id)))


# -- export ---------------------------------------------------------------------------------------


def _jnum(value: float | None) -> int | float | None:
    """A JSON number: whole numbers without a trailing .0."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _change_json(c: ChangeBetween, index: dict[int, int]) -> dict[str, Any]:
    change = c.change
    out: dict[str, Any] = {"from_index": index[c.earlier_id]}
    if change is None:
        return {**out, "problem": c.problem}
    return {
        **out,
        "difference": _jnum(change.difference),
        "method": None if change.method is None else change.method.value,
        "s_diff": None if change.s_diff is None else round(change.s_diff, 4),
        "rc_index": None if change.rc_index is None else round(change.rc_index, 4),
        "threshold": None if change.threshold is None else round(change.threshold, 4),
        "verdict": change.verdict.value,
        "clinically_significant": change.clinically_significant,
        "parameters": change.parameters_text,
        "clinically_significant_text": change.clinically_significant_text,
    }


def _score_json(result: AdministrationResult) -> dict[str, Any]:
    d = result.definition
    out: dict[str, Any] = {
        "scored_by": None
        if d is None
        else {
            "measure_id": d.id,
            "version": d.version,
            "origin": d.origin.value,
            "definition_sha256": d.content_sha256,
        },
    }
    s = result.score
    if s is None:
        return {**out, "problem": result.problem}
    return {
        **out,
        "total": _jnum(s.total),
        "total_text": s.total_text,
        "minimum": _jnum(s.minimum),
        "maximum": _jnum(s.maximum),
        "prorated": s.prorated,
        "answered": s.answered,
        "item_count": s.item_count,
        "band": s.band,
        "cutoff": None
        if s.cutoff is None
        else {
            "value": _jnum(s.cutoff.value),
            "label": s.cutoff.label,
            "default_value": _jnum(s.cutoff.default_value),
            "overridden": s.cutoff.overridden,
            "source": s.cutoff.source,
        },
        "in_clinical_range": s.in_clinical_range,
        "subscales": [
            {
                "subscale": x.id,
                "title": x.title,
                "total": _jnum(x.total),
                "answered": x.answered,
            }
            for x in s.subscales
        ],
        "critical_alerts": [{"item": a.item, "alert": a.alert} for a in s.alerts],
        "item_scores": [
            {"item": i.number, "answer": i.answer, "scored": i.scored, "reversed": i.reversed}
            for i in s.items
        ],
        "method": s.method_text,
    }


def computed_results(session: Session, by: StaffRef, client_id: int) -> dict[int, dict[str, Any]]:
    """For the record export: the computed results of each administration, by its id.

    Each value is JSON-ready (see ``docs/record-format.md``, ``computed``): the definition
    version and its SHA-256, the total and the arithmetic, band, cut-off used, critical
    alerts, item scores after reversal, and the change from the previous and from the first
    administration of the same measure with the reliable change parameters. An import never
    trusts these: scores are always recomputed from the answers.
    """
    require_clinical_access(session, by, client_id)
    rows = administrations_read(session, client_id)
    index = {row.id: i for i, row in enumerate(rows)}
    out: dict[int, dict[str, Any]] = {}
    for measure in _results(session, rows):
        first = measure.administrations[0]
        for position, result in enumerate(measure.administrations):
            entry = _score_json(result)
            previous = measure.changes[position - 1] if position > 0 else None
            entry["change_from_previous"] = (
                None if previous is None else _change_json(previous, index)
            )
            entry["change_from_first"] = (
                None if position < 2 else _change_json(_change(first, result), index)
            )
            out[result.administration.id] = entry
    return out


__all__ = [
    "AdministrationResult",
    "AdministrationRow",
    "ChangeBetween",
    "MeasureResults",
    "administrations_for_client",
    "administrations_read",
    "computed_results",
    "record_administration",
    "results_between",
    "results_for_client",
]
