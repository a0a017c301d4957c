"""Self-report measures: definitions, administrations, results, cut-offs and schedules.

- **Definitions.** The measures shipped with the app (``resources/measures/``) and those a
  clinic imports (table ``measure_definition``, one immutable row per measure and version,
  exactly as imported with its SHA-256). An administration is scored by the version it was
  given with, so old results never change when a definition is revised. There is no way to
  edit a definition's text in the app: a change is a new version.
- **Administrations.** The client's item answers, exactly as given and checked against the
  definition. Scores are never typed in or stored: they are derived from the answers by
  ``clinic_app.measures.scoring`` whenever they are shown or exported.
- **Cut-offs.** Where a definition allows it (PCL-5, AUDIT-C), an administrator may choose
  the cut-off within the stated range; it is kept as an app setting per measure, and every
  score says which cut-off it was judged against.
- **Schedules.** A measure falls due every N attended sessions since it was last completed,
  and/or in the fortnight before a plan review; ``measures_due`` and
  ``measures_due_for_caseload`` give the reminders.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, NotFound, ValidationError
from clinic_app.measures.definitions import (
    MeasureDefinition,
    Origin,
    parse_definition,
    shipped_definitions,
)
from clinic_app.measures.scoring import (
    Change,
    CriticalAlert,
    Score,
    check_answers,
    critical_alerts,
    effective_cutoff,
    reliable_change,
    score,
)
from clinic_app.models import (
    AppSetting,
    Client,
    ClientAssignment,
    InterventionPlan,
    MeasureAdministration,
    MeasureResponse,
    MeasureSchedule,
    PlanReview,
    PlanRevision,
    SessionNote,
    StaffUser,
)
from clinic_app.models import MeasureDefinition as StoredDefinition
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    MeasureMode,
    PlanStatus,
    Role,
)
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access, require_role
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import Checker, date_problem

MEASURE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")
MAX_ITEMS = 200
MAX_VALUE = 100

CUTOFF_SETTING_PREFIX: Final = "measure_cutoff."
"""App setting key of an administrator's cut-off for a measure: prefix + measure id."""

REVIEW_WINDOW_DAYS: Final = 14
"""A measure scheduled 'at plan review' falls due this many days before the review."""

MAX_EVERY_N_SESSIONS: Final = 520

ATTENDED: Final = (Attendance.ATTENDED, Attendance.LATE)
_OPEN_PLAN: Final = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)


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
class DefinitionRow:
    """One version of one measure definition, as listed for administrators."""

    measure_id: str
    version: str
    title: str
    short_title: str
    origin: Origin
    active: bool
    item_count: int
    licence: str
    content_sha256: str
    imported_at: datetime | None
    imported_by: str | None


@dataclass(frozen=True)
class CutoffSetting:
    """A measure whose cut-off an administrator may choose, and the value in force."""

    measure_id: str
    short_title: str
    label: str
    value: float
    default_value: float
    minimum: float
    maximum: float
    overridden: bool
    source: str


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


@dataclass(frozen=True)
class ScheduleRow:
    """When a measure falls due for a client."""

    id: int
    client_id: int
    measure_id: str
    short_title: str
    every_n_sessions: int | None
    at_plan_review: bool
    active: bool

    @property
    def description(self) -> str:
        parts = []
        if self.every_n_sessions is not None:
            n = self.every_n_sessions
            parts.append("every session" if n == 1 else f"every {n} sessions")
        if self.at_plan_review:
            parts.append("before each plan review")
        return " and ".join(parts)


@dataclass(frozen=True)
class DueMeasure:
    """A reminder: this client is due to complete this measure, and why."""

    client_id: int
    local_ref: str
    measure_id: str
    short_title: str
    schedule_id: int
    reasons: tuple[str, ...]
    due_since: date | None


# -- definitions --------------------------------------------------------------------------------


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order of versions: 2 < 10, 2024.1 < 2024.2."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"[._-]", version)
        if part
    )


@lru_cache(maxsize=256)
def _parse_stored(content: str) -> MeasureDefinition:
    return parse_definition(content, origin=Origin.CLINIC)


def _shipped_ids() -> set[str]:
    return {d.id for d in shipped_definitions()}


def all_definitions(
    session: Session,
) -> list[tuple[MeasureDefinition, bool, StoredDefinition | None]]:
    """Every definition version here: (definition, active, stored row or None if shipped)."""
    out: list[tuple[MeasureDefinition, bool, StoredDefinition | None]] = [
        (d, True, None) for d in shipped_definitions()
    ]
    shipped = _shipped_ids()
    for row in session.scalars(select(StoredDefinition).order_by(StoredDefinition.id)):
        if row.measure_id in shipped:
            continue  # a shipped id always means the shipped measure
        try:
            out.append((_parse_stored(row.content), row.active, row))
        except ValidationError:
            continue  # stored before a stricter check; cannot be offered or scored
    return out


def _find(session: Session, measure_id: str, version: str) -> tuple[MeasureDefinition, bool] | None:
    for shipped in shipped_definitions():
        if shipped.id == measure_id and shipped.version == version:
            return shipped, True
    if measure_id in _shipped_ids():
        return None
    row = session.scalar(
        select(StoredDefinition).where(
            StoredDefinition.measure_id == measure_id, StoredDefinition.version == version
        )
    )
    if row is None:
        return None
    try:
        return _parse_stored(row.content), row.active
    except ValidationError:
        return None


def known_definition(session: Session, measure_id: str, version: str) -> MeasureDefinition | None:
    """The definition of this version of a measure, if it is known here (shipped or stored)."""
    found = _find(session, measure_id, version)
    return None if found is None else found[0]


def available_measures(session: Session, by: StaffRef) -> tuple[MeasureDefinition, ...]:
    """The latest active version of every measure that can be given, by short title."""
    del by  # any signed-in member of staff may see which measures exist
    latest: dict[str, MeasureDefinition] = {}
    for definition, active, _row in all_definitions(session):
        if not active:
            continue
        current = latest.get(definition.id)
        if current is None or _version_key(definition.version) > _version_key(current.version):
            latest[definition.id] = definition
    return tuple(sorted(latest.values(), key=lambda d: (d.short_title.lower(), d.id)))


def list_definitions(session: Session, by: StaffRef) -> tuple[DefinitionRow, ...]:
    """Every version of every definition (shipped and imported), by measure then version."""
    del by
    names: dict[int, str] = dict(session.execute(select(StaffUser.id, StaffUser.username)).all())
    rows = [
        DefinitionRow(
            d.id,
            d.version,
            d.title,
            d.short_title,
            d.origin,
            active,
            d.item_count,
            d.licence.licence,
            d.content_sha256,
            None if stored is None else stored.imported_at,
            None if stored is None else names.get(stored.imported_by),
        )
        for d, active, stored in all_definitions(session)
    ]
    return tuple(sorted(rows, key=lambda r: (r.measure_id, _version_key(r.version))))


def definition(session: Session, by: StaffRef, measure_id: str, version: str) -> MeasureDefinition:
    """One version of one measure (shipped or imported), even if no longer offered."""
    del by
    found = _find(session, measure_id, version)
    if found is None:
        raise NotFound(f"Version {version} of the measure '{measure_id}' is not known here.")
    return found[0]


def import_definition(session: Session, by: StaffRef, text: str) -> DefinitionRow:
    """Add a clinic-supplied definition (administrators only); all or nothing.

    The file is checked in full (``ValidationError`` listing every problem with where it
    is) and stored exactly as given, with its SHA-256. A shipped measure's id cannot be
    reused; importing the same id and version again is refused unless the file is
    byte-for-byte the same one (then nothing changes). A new version is a new row; earlier
    versions stay, so administrations keep scoring by the version they were given with.
    """
    require_role(by, Role.ADMINISTRATOR, action="import measure definitions")
    parsed = parse_definition(text, origin=Origin.CLINIC)
    if parsed.id in _shipped_ids():
        raise ValidationError(
            f"'{parsed.id}' is the id of a measure shipped with clinic-app. Give your "
            "definition its own id (for example with your clinic's name in it).",
            where="$.id",
        )
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = session.scalar(
        select(StoredDefinition).where(
            StoredDefinition.measure_id == parsed.id, StoredDefinition.version == parsed.version
        )
    )
    if existing is not None:
        if existing.content_sha256 != sha256:
            raise ValidationError(
                f"Version {parsed.version} of '{parsed.id}' is already imported with different "
                "content. Definitions are never changed once imported, so that results stay "
                "comparable: give the new file a new version.",
                where="$.version",
            )
        return _definition_row(session, existing, parsed)
    row = StoredDefinition(
        measure_id=parsed.id,
        version=parsed.version,
        content=text,
        content_sha256=sha256,
        imported_by=by.id,
        active=True,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.IMPORT,
        actor_id=by.id,
        entity="measure_definition",
        entity_id=row.id,
        detail={"measure_id": parsed.id, "version": parsed.version, "sha256": sha256},
    )
    return _definition_row(session, row, parsed)


def _definition_row(
    session: Session, row: StoredDefinition, parsed: MeasureDefinition
) -> DefinitionRow:
    who = session.get(StaffUser, row.imported_by)
    return DefinitionRow(
        parsed.id,
        parsed.version,
        parsed.title,
        parsed.short_title,
        Origin.CLINIC,
        row.active,
        parsed.item_count,
        parsed.licence.licence,
        row.content_sha256,
        row.imported_at,
        None if who is None else who.username,
    )


# -- cut-offs -----------------------------------------------------------------------------------


def _cutoff_key(measure_id: str) -> str:
    return CUTOFF_SETTING_PREFIX + measure_id


def _override(session: Session, measure_id: str) -> float | None:
    row = session.get(AppSetting, _cutoff_key(measure_id))
    if row is None:
        return None
    try:
        return float(row.value)
    except ValueError:
        return None


def _cutoff_for(session: Session, d: MeasureDefinition) -> float | None:
    """The administrator's override for this definition, if it is one it allows."""
    value = _override(session, d.id)
    if value is None or d.cutoff is None or d.cutoff.configurable is None:
        return None
    allowed = d.cutoff.configurable
    return value if allowed.minimum <= value <= allowed.maximum else None


def _score(session: Session, d: MeasureDefinition, answers: dict[int, int | None]) -> Score:
    return score(d, answers, cutoff=_cutoff_for(session, d))


def _cutoff_setting(session: Session, d: MeasureDefinition) -> CutoffSetting:
    assert d.cutoff is not None and d.cutoff.configurable is not None
    value = _cutoff_for(session, d)
    return CutoffSetting(
        d.id,
        d.short_title,
        d.cutoff.label,
        d.cutoff.value if value is None else value,
        d.cutoff.value,
        d.cutoff.configurable.minimum,
        d.cutoff.configurable.maximum,
        value is not None and value != d.cutoff.value,
        d.cutoff.source,
    )


def cutoff_settings(session: Session, by: StaffRef) -> tuple[CutoffSetting, ...]:
    """The measures whose cut-off an administrator may choose, with the value in force."""
    return tuple(
        _cutoff_setting(session, d)
        for d in available_measures(session, by)
        if d.cutoff is not None and d.cutoff.configurable is not None
    )


def set_cutoff(
    session: Session, by: StaffRef, measure_id: str, value: float | None
) -> CutoffSetting:
    """Choose a measure's cut-off within its definition's range; None restores the default."""
    require_role(by, Role.ADMINISTRATOR, action="change a measure's cut-off")
    current = {d.id: d for d in available_measures(session, by)}.get(measure_id)
    if current is None:
        raise NotFound(f"There is no measure '{measure_id}' here.")
    cutoff = current.cutoff
    if cutoff is None or cutoff.configurable is None:
        raise ValidationError(
            f"The cut-off of the {current.short_title} is fixed by its definition and cannot "
            "be changed.",
            where="cutoff",
        )
    row = session.get(AppSetting, _cutoff_key(measure_id))
    if value is None:
        if row is not None:
            session.delete(row)
    else:
        effective_cutoff(current, value)  # refuses a value outside the allowed range
        if row is None:
            session.add(AppSetting(key=_cutoff_key(measure_id), value=repr(float(value))))
        else:
            row.value = repr(float(value))
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="app_setting",
        detail={"setting": _cutoff_key(measure_id), "value": value},
    )
    return _cutoff_setting(session, current)


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
        found = _find(session, measure_id, measure_version.strip())
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
        scored = _score(session, found[0], answers)
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
    return _administrations(session, client_id)


def _administrations(session: Session, client_id: int) -> list[AdministrationRow]:
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
        cache[key] = _find(session, *key)
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
            row, found[0], _score(session, found[0], answers), alerts=alerts
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
    return _results(session, _administrations(session, client_id))


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
    rows = _administrations(session, client_id)
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


# -- schedules ------------------------------------------------------------------------------------


def _schedule_row(s: MeasureSchedule, titles: dict[str, str]) -> ScheduleRow:
    return ScheduleRow(
        s.id,
        s.client_id,
        s.measure_id,
        titles.get(s.measure_id, s.measure_id.upper()),
        s.every_n_sessions,
        s.at_plan_review,
        s.active,
    )


def _titles(session: Session, by: StaffRef) -> dict[str, str]:
    return {d.id: d.short_title for d in available_measures(session, by)}


def set_schedule(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    measure_id: str,
    every_n_sessions: int | None = None,
    at_plan_review: bool = False,
) -> ScheduleRow:
    """Schedule a measure for a client (every N attended sessions, and/or at plan review).

    A client has at most one schedule per measure: a new one replaces the one in use (which
    is stopped, not deleted, so the history shows what was asked for).
    """
    require_clinical_access(session, by, client_id)
    titles = _titles(session, by)
    check = Checker()
    if measure_id not in titles:
        check.add("measure_id", "That is not a measure that can be given here.")
    if every_n_sessions is not None and (
        isinstance(every_n_sessions, bool)
        or not isinstance(every_n_sessions, int)
        or not 1 <= every_n_sessions <= MAX_EVERY_N_SESSIONS
    ):
        check.add(
            "every_n_sessions",
            f"Give how many sessions apart, from 1 to {MAX_EVERY_N_SESSIONS}.",
        )
    if every_n_sessions is None and not at_plan_review:
        check.add(
            "every_n_sessions",
            "Say when the measure is due: every so many sessions, at plan review, or both.",
        )
    check.raise_if_any()
    for old in session.scalars(
        select(MeasureSchedule).where(
            MeasureSchedule.client_id == client_id,
            MeasureSchedule.measure_id == measure_id,
            MeasureSchedule.active.is_(True),
        )
    ):
        old.active = False
    row = MeasureSchedule(
        client_id=client_id,
        measure_id=measure_id,
        every_n_sessions=every_n_sessions,
        at_plan_review=at_plan_review,
        active=True,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="measure_schedule",
        entity_id=row.id,
        client_id=client_id,
    )
    return _schedule_row(row, titles)


def stop_schedule(session: Session, by: StaffRef, schedule_id: int) -> ScheduleRow:
    """Stop a schedule (it is kept, marked not in use)."""
    row = get_or_raise(session, MeasureSchedule, schedule_id, "measure schedule")
    require_clinical_access(session, by, row.client_id)
    if row.active:
        row.active = False
        session.flush()
        audit.record(
            session,
            audit.Action.UPDATE,
            actor_id=by.id,
            entity="measure_schedule",
            entity_id=row.id,
            client_id=row.client_id,
            detail={"active": False},
        )
    return _schedule_row(row, _titles(session, by))


def schedules_for_client(session: Session, by: StaffRef, client_id: int) -> tuple[ScheduleRow, ...]:
    """The client's schedules in use, by measure."""
    require_clinical_access(session, by, client_id)
    titles = _titles(session, by)
    rows = session.scalars(
        select(MeasureSchedule)
        .where(MeasureSchedule.client_id == client_id, MeasureSchedule.active.is_(True))
        .order_by(MeasureSchedule.measure_id, MeasureSchedule.id)
    )
    return tuple(_schedule_row(r, titles) for r in rows)


def measures_due(
    session: Session, by: StaffRef, client_id: int, *, today: date | None = None
) -> tuple[DueMeasure, ...]:
    """The client's measures that are due now, each with the reasons in words."""
    require_clinical_access(session, by, client_id)
    return _due(session, by, [client_id], today or date.today())


def measures_due_for_caseload(
    session: Session, by: StaffRef, today: date | None = None
) -> tuple[DueMeasure, ...]:
    """Measures due for every open client currently assigned to ``by``, by case reference."""
    if not by.is_clinical:
        raise AccessDenied(
            "Administrators manage the system but do not read or write clinical records."
        )
    client_ids = list(
        session.scalars(
            select(ClientAssignment.client_id)
            .join(Client, Client.id == ClientAssignment.client_id)
            .where(
                ClientAssignment.staff_id == by.id,
                ClientAssignment.ended_at.is_(None),
                Client.status != ClientStatus.CLOSED,
            )
            .distinct()
        )
    )
    return _due(session, by, client_ids, today or date.today())


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _due(
    session: Session, by: StaffRef, client_ids: Iterable[int], today: date
) -> tuple[DueMeasure, ...]:
    ids = list(client_ids)
    if not ids:
        return ()
    schedules = list(
        session.scalars(
            select(MeasureSchedule)
            .where(MeasureSchedule.client_id.in_(ids), MeasureSchedule.active.is_(True))
            .order_by(MeasureSchedule.client_id, MeasureSchedule.measure_id, MeasureSchedule.id)
        )
    )
    if not schedules:
        return ()
    scheduled_clients = sorted({s.client_id for s in schedules})
    refs: dict[int, str] = dict(
        session.execute(
            select(Client.id, Client.local_ref).where(Client.id.in_(scheduled_clients))
        ).all()
    )
    last_given: dict[tuple[int, str], date] = {}
    for cid, mid, on in session.execute(
        select(
            MeasureAdministration.client_id,
            MeasureAdministration.measure_id,
            MeasureAdministration.administered_on,
        ).where(MeasureAdministration.client_id.in_(scheduled_clients))
    ):
        key = (cid, mid)
        if key not in last_given or on > last_given[key]:
            last_given[key] = on
    sessions: dict[int, list[date]] = {}
    for cid, on in session.execute(
        select(SessionNote.client_id, SessionNote.session_date)
        .where(
            SessionNote.client_id.in_(scheduled_clients),
            SessionNote.attendance.in_(ATTENDED),
            SessionNote.entered_in_error_at.is_(None),
            SessionNote.session_date <= today,
        )
        .order_by(SessionNote.session_date, SessionNote.id)
    ):
        sessions.setdefault(cid, []).append(on)
    reviews = _review_dates(session, scheduled_clients)
    titles = _titles(session, by)

    due: list[DueMeasure] = []
    for s in schedules:
        short = titles.get(s.measure_id, s.measure_id.upper())
        last = last_given.get((s.client_id, s.measure_id))
        reasons: list[str] = []
        since: list[date] = []
        if s.every_n_sessions is not None:
            n = s.every_n_sessions
            if last is None:
                reasons.append(f"No {short} recorded yet: a first (baseline) one is due.")
            else:
                after = [d for d in sessions.get(s.client_id, []) if d > last]
                if len(after) >= n:
                    since.append(after[n - 1])
                    reasons.append(
                        f"{len(after)} session{'s' if len(after) != 1 else ''} attended since "
                        f"the last {short} on {_long(last)} (due every "
                        f"{'session' if n == 1 else f'{n} sessions'})."
                    )
        if s.at_plan_review:
            for review in reviews.get(s.client_id, []):
                opens = review - timedelta(days=REVIEW_WINDOW_DAYS)
                if today >= opens and (last is None or last < opens):
                    since.append(opens)
                    reasons.append(
                        f"Plan review overdue since {_long(review)}: give the {short} before "
                        "the review is held."
                        if review < today
                        else f"Plan review on {_long(review)}: give the {short} in the "
                        f"{REVIEW_WINDOW_DAYS} days before it (from {_long(opens)})."
                    )
                    break
        if reasons:
            due.append(
                DueMeasure(
                    s.client_id,
                    refs.get(s.client_id, ""),
                    s.measure_id,
                    short,
                    s.id,
                    tuple(reasons),
                    min(since) if since else None,
                )
            )
    return tuple(sorted(due, key=lambda d: (d.local_ref, d.short_title.lower())))


def _review_dates(session: Session, client_ids: Sequence[int]) -> dict[int, list[date]]:
    """Upcoming or missed plan reviews per client, earliest first.

    A review is the next review date of each open plan (its latest revision draft, active
    or under review) and every review recorded as due but not yet held.
    """
    out: dict[int, set[date]] = {}
    latest: dict[int, tuple[int, int, date | None, PlanStatus]] = {}
    for plan_id, cid, number, next_on, status in session.execute(
        select(
            PlanRevision.plan_id,
            InterventionPlan.client_id,
            PlanRevision.number,
            PlanRevision.next_review_on,
            PlanRevision.status,
        )
        .join(InterventionPlan, InterventionPlan.id == PlanRevision.plan_id)
        .where(InterventionPlan.client_id.in_(client_ids))
    ):
        if plan_id not in latest or number > latest[plan_id][1]:
            latest[plan_id] = (cid, number, next_on, status)
    held: set[tuple[int, date]] = set()
    for cid, due_on, held_on in session.execute(
        select(InterventionPlan.client_id, PlanReview.due_on, PlanReview.held_on)
        .join(InterventionPlan, InterventionPlan.id == PlanReview.plan_id)
        .where(InterventionPlan.client_id.in_(client_ids))
    ):
        if held_on is None:
            out.setdefault(cid, set()).add(due_on)
        else:
            held.add((cid, due_on))
    for cid, _number, next_on, status in latest.values():
        if next_on is not None and status in _OPEN_PLAN and (cid, next_on) not in held:
            out.setdefault(cid, set()).add(next_on)
    return {cid: sorted(days) for cid, days in out.items()}


__all__ = [
    "ATTENDED",
    "CUTOFF_SETTING_PREFIX",
    "MEASURE_ID",
    "REVIEW_WINDOW_DAYS",
    "AdministrationResult",
    "AdministrationRow",
    "ChangeBetween",
    "CutoffSetting",
    "DefinitionRow",
    "DueMeasure",
    "MeasureResults",
    "ScheduleRow",
    "administrations_for_client",
    "available_measures",
    "computed_results",
    "cutoff_settings",
    "definition",
    "import_definition",
    "list_definitions",
    "measures_due",
    "measures_due_for_caseload",
    "record_administration",
    "results_for_client",
    "schedules_for_client",
    "set_cutoff",
    "set_schedule",
    "stop_schedule",
]
