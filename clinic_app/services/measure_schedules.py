"""When a client is due to complete a measure: schedules and the reminders they give.

A measure falls due every N attended sessions since it was last completed, and/or in the
fortnight before a plan review; ``measures_due`` and ``measures_due_for_caseload`` give the
reminders. Administrations and results are in :mod:`clinic_app.services.measures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied
from clinic_app.models import (
    Client,
    ClientAssignment,
    InterventionPlan,
    MeasureAdministration,
    MeasureSchedule,
    PlanReview,
    PlanRevision,
    SessionNote,
)
from clinic_app.models.enums import Attendance, ClientStatus, PlanStatus
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.measure_definitions import available_measures
from clinic_app.services.validation import Checker

REVIEW_WINDOW_DAYS: Final = 14
"""A measure scheduled 'at plan review' falls due this many days before the review."""

MAX_EVERY_N_SESSIONS: Final = 520

ATTENDED: Final = (Attendance.ATTENDED, Attendance.LATE)
_OPEN_PLAN: Final = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)


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
    "REVIEW_WINDOW_DAYS",
    "DueMeasure",
    "ScheduleRow",
    "measures_due",
    "measures_due_for_caseload",
    "schedules_for_client",
    "set_schedule",
    "stop_schedule",
]
