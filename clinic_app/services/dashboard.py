"""The signed-in clinician's dashboard: what needs doing, most urgent first, a page at a time.

The dashboard covers the user's **caseload**: the clients currently assigned to them,
found through the user's own assignments (the assignment table's staff index), never by
looking at every client. Each section is read with a few queries over the whole caseload
(no query per client) as plain rows (SQLAlchemy Core, no ORM objects), and gives its
**first items** (:data:`FIRST_ITEMS`, in the order a clinician should act on them) with
**the number there are in all**, so a caseload of 10,000 clients costs a count, not
10,000 lines; :func:`whole_section` gives one section in full ("show all"). Items name the
client and what needs doing in words, never clinical text, and say where it can be dealt
with: the record tab ("Sessions", "Plan", "Referrals", "Measures", "Risk") and the item.

Sections and their rules (dates are calendar days; ``today`` is the user's date), each in
the order it is listed:

- **Today's appointments**: the user's own appointments today with clients they may open,
  cancelled ones left out (:func:`clinic_app.services.appointments.todays_appointments`).
  By start time. Each opens the Sessions tab at the appointment's note, if it has one.
- **Other contacts recorded today** (the key ``sessions_today``): session notes dated today
  on caseload clients, drafts included, by any author, that were not started from an
  appointment (those show with their appointment); notes marked entered in error are left
  out. By client name.
- **Earlier this week**: the same, dated from Monday of this week to yesterday. By date,
  then client name.
- **Notes not signed**: the user's own draft notes (only the author can sign) for a
  session more than a day ago: a note of a session on the 1st is listed from the 3rd.
  Oldest session first.
- **Plan reviews**: the latest revision of each plan that is draft, active or under
  review, whose next review date has passed (overdue) or falls within the next
  ``REVIEW_NOTICE_DAYS`` days (due), unless a review held for that date is recorded;
  and reviews recorded as due and not held. Earliest due date first.
- **Referrals**: open referrals that are overdue or awaiting action under the rules in
  :mod:`clinic_app.services.referrals`. Overdue first, then by the date it fell due.
- **Measures due**: from :func:`clinic_app.services.measure_schedules.measures_due_for_caseload`.
  Due longest first.
- **Urgent risk events without a share decision**: oldest first.
- **Critical items not reviewed**: from
  :func:`clinic_app.services.critical_items.critical_answers_for_caseload`, oldest first.
- **Subject access requests**: open requests about caseload clients
  (:func:`clinic_app.services.subject_access.open_subject_access_requests`), overdue first,
  then by the deadline in force. Each opens the record's "Subject access" tab at the request.

Each section reads the tables named in :data:`SECTION_TABLES`; :func:`generations` counts
the committed changes to them (:mod:`clinic_app.services.changes`), so a screen can reload
a section only when something it shows may have changed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, exists, func, select, union
from sqlalchemy.orm import Session, aliased

from clinic_app.errors import AccessDenied, NotFound
from clinic_app.models import (
    Appointment,
    AppointmentClinician,
    Client,
    ClientAssignment,
    CriticalItemReview,
    EmergencyAccess,
    InterventionPlan,
    MeasureAdministration,
    MeasureDefinition,
    MeasureResponse,
    MeasureSchedule,
    PlanReview,
    PlanRevision,
    Referral,
    ReferralStatusChange,
    RiskEvent,
    RiskShareDecision,
    SessionNote,
    SpecialistService,
    StaffUser,
    SubjectAccessRequest,
    SubjectAccessReview,
)
from clinic_app.models.enums import PlanStatus, ReferralStatus, Role, Urgency
from clinic_app.services import (
    appointments,
    changes,
    critical_items,
    measure_schedules,
    referrals,
    subject_access,
)
from clinic_app.services.common import StaffRef
from clinic_app.wording import (
    APPOINTMENT_STATUS_WORDS,
    ATTENDANCE_WORDS,
    MODALITY_WORDS,
    REFERRAL_STATUS_WORDS,
    RISK_EVENT_WORDS,
)

REVIEW_NOTICE_DAYS = 14
"""A plan review shows as due this many days ahead."""
UNSIGNED_AFTER_DAYS = 1
"""A draft note is listed once its session is more than this many days ago."""
_Select = Select[*tuple[Any, ...]]
FIRST_ITEMS = 20
"""How many items of each section the dashboard gives at first; the rest on request."""

SESSIONS = "Sessions"
PLAN = "Plan"
REFERRALS = "Referrals"
MEASURES = "Measures"
RISK = "Risk"
SUBJECT_ACCESS = "Subject access"


class SectionKey(StrEnum):
    """The dashboard's sections."""

    URGENT_RISK = "urgent_risk"
    CRITICAL_ANSWERS = "critical_answers"
    APPOINTMENTS_TODAY = "appointments_today"
    SUBJECT_ACCESS = "subject_access"
    SESSIONS_TODAY = "sessions_today"
    UNSIGNED_NOTES = "unsigned_notes"
    REFERRALS = "referrals"
    PLAN_REVIEWS = "plan_reviews"
    MEASURES_DUE = "measures_due"
    SESSIONS_THIS_WEEK = "sessions_this_week"


TO_DO = frozenset(
    {
        SectionKey.URGENT_RISK,
        SectionKey.CRITICAL_ANSWERS,
        SectionKey.SUBJECT_ACCESS,
        SectionKey.UNSIGNED_NOTES,
        SectionKey.REFERRALS,
        SectionKey.PLAN_REVIEWS,
        SectionKey.MEASURES_DUE,
    }
)
"""The sections that ask the user to do something (sessions and appointments are for
information)."""


def _tables(*models: type[Any]) -> frozenset[str]:
    # Every section reads the caseload (assignments) and the clients' names.
    every: tuple[Any, ...] = (Client, ClientAssignment, *models)
    return frozenset(str(m.__tablename__) for m in every)


_NOTES = (SessionNote, StaffUser)
_PLANS = (InterventionPlan, PlanRevision, PlanReview)
_MEASURES_DUE = (
    *_PLANS,
    MeasureDefinition,
    MeasureSchedule,
    MeasureAdministration,
    SessionNote,
)
SECTION_TABLES: Mapping[SectionKey, frozenset[str]] = {
    # An appointment line says whether its note is written and signed, and which
    # measures are due; the clients listed are those the user may open now.
    SectionKey.APPOINTMENTS_TODAY: _tables(
        Appointment, AppointmentClinician, EmergencyAccess, *_NOTES, *_MEASURES_DUE
    ),
    SectionKey.SUBJECT_ACCESS: _tables(SubjectAccessRequest, SubjectAccessReview),
    SectionKey.SESSIONS_TODAY: _tables(*_NOTES, Appointment),
    SectionKey.SESSIONS_THIS_WEEK: _tables(*_NOTES),
    SectionKey.UNSIGNED_NOTES: _tables(*_NOTES),
    SectionKey.PLAN_REVIEWS: _tables(*_PLANS),
    SectionKey.REFERRALS: _tables(Referral, ReferralStatusChange, SpecialistService),
    SectionKey.MEASURES_DUE: _tables(*_MEASURES_DUE),
    SectionKey.URGENT_RISK: _tables(RiskEvent, RiskShareDecision),
    SectionKey.CRITICAL_ANSWERS: _tables(
        MeasureDefinition, MeasureAdministration, MeasureResponse, CriticalItemReview
    ),
}
"""The tables each section reads: a committed change to one may change the section."""


@dataclass(frozen=True)
class DashboardItem:
    """One line of the dashboard and where to deal with it.

    ``tab`` is the record tab to open and ``item_id`` the note, plan, referral, schedule
    or risk event there (None when the tab itself is the place). ``what`` says what needs
    doing in a few words, ``flag`` in one or two ("Overdue", "Draft"); ``when`` is the
    date that matters (the session, the due date, the event).
    """

    client_id: int
    client_name: str
    local_ref: str
    tab: str
    item_id: int | None
    what: str
    when: date | None
    flag: str = ""
    detail: str = ""
    """The whole story in a sentence or two (for a tooltip); ``what`` is the short form."""
    at: time | None = None
    """The time of day that matters (an appointment's start), when there is one."""


@dataclass(frozen=True)
class DashboardSection:
    """One section's most urgent items, in the order to act on them, and how many in all.

    ``items`` holds the first ones (all of them when ``complete``); ``total`` counts every
    item the section has on ``today``.
    """

    key: SectionKey
    items: tuple[DashboardItem, ...]
    total: int

    @property
    def complete(self) -> bool:
        """True when every item of the section is in ``items``."""
        return len(self.items) >= self.total


@dataclass(frozen=True)
class Dashboard:
    """The user's dashboard on ``today``: the sections asked for, each its first items."""

    today: date
    week_start: date
    caseload_size: int
    sections: tuple[DashboardSection, ...] = ()

    def section(self, key: str) -> DashboardSection:
        """The section named ``key`` (an empty one if it was not asked for)."""
        for found in self.sections:
            if found.key == key:
                return found
        return DashboardSection(SectionKey(key), (), 0)

    def items(self, key: str) -> tuple[DashboardItem, ...]:
        """The items given for section ``key``, most urgent first."""
        return self.section(key).items

    @property
    def needing_attention(self) -> int:
        """How many items in all ask the user to do something."""
        return sum(s.total for s in self.sections if s.key in TO_DO)


def generations() -> dict[str, int]:
    """For each section, a number that moves on whenever a table it reads has changed.

    No database is read: the counts are kept in this process as units of work commit.
    """
    return {str(key): changes.generation(tables) for key, tables in SECTION_TABLES.items()}


# -- reading ------------------------------------------------------------------------------------


def _rows(session: Session, statement: _Select) -> list[Any]:
    """Plain rows, straight from the connection: no ORM objects, no identity map."""
    return list(session.connection().execute(statement).all())


def _count(session: Session, statement: _Select) -> int:
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int(session.connection().execute(counted).scalar_one())


def _name(given: str, family: str) -> str:
    return f"{family.upper()}, {given}"


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def _caseload(by: StaffRef) -> _Select:
    """The user's clients, from the user's own open assignments only."""
    return select(ClientAssignment.client_id).where(
        ClientAssignment.staff_id == by.id, ClientAssignment.ended_at.is_(None)
    )


def _by_name(family: Any, given: Any) -> tuple[Any, Any]:
    # As the names are shown: "FAMILY, Given".
    return func.upper(family), given


@dataclass(frozen=True)
class _Ask:
    """What a section reader is asked: whose, which day, and how many items (None: all)."""

    by: StaffRef
    today: date
    limit: int | None

    @property
    def week_start(self) -> date:
        return self.today - timedelta(days=self.today.weekday())


def _sessions(
    session: Session,
    ask: _Ask,
    key: SectionKey,
    start: date,
    end: date,
    *,
    without_appointment: bool = False,
) -> DashboardSection:
    if start > end:
        return DashboardSection(key, (), 0)
    query = (
        select(
            SessionNote.id,
            SessionNote.client_id,
            SessionNote.session_date,
            SessionNote.modality,
            SessionNote.attendance,
            SessionNote.signed_at,
            SessionNote.author_id,
            StaffUser.display_name,
            Client.given_name,
            Client.family_name,
            Client.local_ref,
        )
        .join(Client, Client.id == SessionNote.client_id)
        .join(StaffUser, StaffUser.id == SessionNote.author_id)
        .where(
            # "+ 0" keeps the planner on the session date index: a week of notes is few,
            # while a caseload can hold most of the database's clients.
            (SessionNote.client_id + 0).in_(_caseload(ask.by)),
            SessionNote.session_date >= start,
            SessionNote.session_date <= end,
            SessionNote.entered_in_error_at.is_(None),
        )
        .order_by(
            SessionNote.session_date,
            *_by_name(Client.family_name, Client.given_name),
            SessionNote.id,
        )
    )
    if without_appointment:
        query = query.where(
            ~exists(select(Appointment.id).where(Appointment.note_id == SessionNote.id))
        )
    rows = _rows(session, query.limit(ask.limit))
    items = []
    for note_id, client_id, day, modality, attendance, signed_at, author, author_name, *who in rows:
        given, family, ref = who
        signed = signed_at is not None
        by_whom = "" if author == ask.by.id else f" (by {author_name})"
        items.append(
            DashboardItem(
                client_id,
                _name(given, family),
                ref,
                SESSIONS,
                note_id,
                f"{MODALITY_WORDS[modality]} session, {ATTENDANCE_WORDS[attendance].lower()}: "
                f"note {'signed' if signed else 'not signed yet'}{by_whom}",
                day,
                "Signed" if signed else "Draft",
                f"Session on {_long(day)}.",
            )
        )
    return _section(session, key, items, query, ask)


def _section(
    session: Session, key: SectionKey, items: list[DashboardItem], query: _Select, ask: _Ask
) -> DashboardSection:
    """The section, counting the rows in all only when the first page was full."""
    full = ask.limit is not None and len(items) >= ask.limit
    total = _count(session, query) if full else len(items)
    return DashboardSection(key, tuple(items), total)


def _sessions_today(session: Session, ask: _Ask) -> DashboardSection:
    return _sessions(
        session, ask, SectionKey.SESSIONS_TODAY, ask.today, ask.today, without_appointment=True
    )


def _clock(at: time) -> str:
    return f"{at:%H:%M}"


def _appointments_today(session: Session, ask: _Ask) -> DashboardSection:
    try:
        found = appointments.todays_appointments(session, ask.by, ask.today)
    except NotFound:  # no such member of staff (see warm_up): no diary
        found = ()
    first = found[: ask.limit] if ask.limit is not None else found
    items = []
    for row in first:
        if row.client_id is None:  # busy time only (never listed for Home, but be sure)
            continue
        ends = row.ends.time()
        status = APPOINTMENT_STATUS_WORDS[row.status]
        if row.note_id is None:
            note = "no note yet"
        elif row.note_signed:
            note = "note signed"
        else:
            note = "note not signed yet"
        due = f"; due: {', '.join(row.measures_due)}" if row.measures_due else ""
        with_whom = [a.name for a in row.clinicians if a.staff_id != ask.by.id]
        joint = f" with {', '.join(with_whom)}" if with_whom else ""
        items.append(
            DashboardItem(
                row.client_id,
                row.client_name,
                row.local_ref,
                SESSIONS,
                row.note_id,
                f"{MODALITY_WORDS[row.modality]}, {row.duration_minutes} minutes"
                f" to {_clock(ends)}{joint}: {note}{due}",
                row.day,
                status,
                f"Appointment today from {_clock(row.start_time)} to {_clock(ends)} "
                f"({row.duration_minutes} minutes, {MODALITY_WORDS[row.modality].lower()}): "
                f"{status.lower()}, {note}."
                + (f" Measures due: {', '.join(row.measures_due)}." if row.measures_due else ""),
                row.start_time,
            )
        )
    return DashboardSection(SectionKey.APPOINTMENTS_TODAY, tuple(items), len(found))


def _subject_access(session: Session, ask: _Ask) -> DashboardSection:
    found = sorted(
        subject_access.open_subject_access_requests(session, ask.by, today=ask.today),
        key=lambda r: (not r.overdue, r.due_on, r.request_id),  # overdue first
    )
    first = found[: ask.limit] if ask.limit is not None else found
    people = _people(session, (r.client_id for r in first))
    items = []
    for r in first:
        name, ref = people.get(r.client_id, (r.client_name, r.local_ref))
        days = (r.due_on - ask.today).days
        if r.overdue:
            flag, when = "Overdue", f"overdue by {_days(-days)}"
        elif days == 0:
            flag, when = "Due today", "due today"
        else:
            flag, when = "Due", f"due in {_days(days)}"
        extended = " (extended)" if r.extended else ""
        items.append(
            DashboardItem(
                r.client_id,
                name,
                ref,
                SUBJECT_ACCESS,
                r.request_id,
                f"{r.what}; {when}{extended}",
                r.due_on,
                flag,
                f"A request for their records received on {_long(r.received_on)} must be "
                f"answered by {_long(r.due_on)}{extended}. {r.what}.",
            )
        )
    return DashboardSection(SectionKey.SUBJECT_ACCESS, tuple(items), len(found))


def _sessions_this_week(session: Session, ask: _Ask) -> DashboardSection:
    return _sessions(
        session,
        ask,
        SectionKey.SESSIONS_THIS_WEEK,
        ask.week_start,
        ask.today - timedelta(days=1),
    )


def _unsigned(session: Session, ask: _Ask) -> DashboardSection:
    latest_session = ask.today - timedelta(days=UNSIGNED_AFTER_DAYS + 1)
    query = (
        select(
            SessionNote.id,
            SessionNote.client_id,
            SessionNote.session_date,
            Client.given_name,
            Client.family_name,
            Client.local_ref,
        )
        .join(Client, Client.id == SessionNote.client_id)
        .where(
            SessionNote.author_id == ask.by.id,
            SessionNote.signed_at.is_(None),
            SessionNote.entered_in_error_at.is_(None),
            SessionNote.session_date <= latest_session,
            SessionNote.client_id.in_(_caseload(ask.by)),
        )
        .order_by(SessionNote.session_date, SessionNote.id)
    )
    items = [
        DashboardItem(
            client_id,
            _name(given, family),
            ref,
            SESSIONS,
            note_id,
            f"Note not signed, {_days((ask.today - day).days)} after the session",
            day,
            "Not signed",
            f"The note of the session on {_long(day)} is still a draft: read it and sign it.",
        )
        for note_id, client_id, day, given, family, ref in _rows(session, query.limit(ask.limit))
    ]
    return _section(session, SectionKey.UNSIGNED_NOTES, items, query, ask)


def _plan_reviews(session: Session, ask: _Ask) -> DashboardSection:
    caseload = _caseload(ask.by)
    horizon = ask.today + timedelta(days=REVIEW_NOTICE_DAYS)
    latest = (
        select(PlanRevision.plan_id, func.max(PlanRevision.number).label("number"))
        .join(InterventionPlan, InterventionPlan.id == PlanRevision.plan_id)
        .where(InterventionPlan.client_id.in_(caseload))
        .group_by(PlanRevision.plan_id)
        .subquery()
    )
    held = exists(
        select(PlanReview.id).where(
            PlanReview.plan_id == PlanRevision.plan_id,
            PlanReview.due_on == PlanRevision.next_review_on,
            PlanReview.held_on.is_not(None),
        )
    )
    next_reviews = (
        select(PlanRevision.plan_id.label("plan_id"), PlanRevision.next_review_on.label("due"))
        .join(
            latest,
            and_(latest.c.plan_id == PlanRevision.plan_id, latest.c.number == PlanRevision.number),
        )
        .where(
            PlanRevision.status.in_((PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)),
            PlanRevision.next_review_on.is_not(None),
            PlanRevision.next_review_on <= horizon,
            ~held,
        )
    )
    # Reviews recorded as due and not (yet) recorded as held count as well.
    pending = aliased(PlanReview)
    held_later = exists(
        select(PlanReview.id).where(
            PlanReview.plan_id == pending.plan_id,
            PlanReview.due_on == pending.due_on,
            PlanReview.held_on.is_not(None),
        )
    )
    recorded = (
        select(pending.plan_id.label("plan_id"), pending.due_on.label("due"))
        .join(InterventionPlan, InterventionPlan.id == pending.plan_id)
        .where(
            InterventionPlan.client_id.in_(caseload),
            pending.held_on.is_(None),
            pending.due_on <= horizon,
            ~held_later,
        )
    )
    due = union(next_reviews, recorded).subquery()  # one line per plan and date
    query = (
        select(
            due.c.plan_id,
            InterventionPlan.client_id,
            due.c.due,
            Client.given_name,
            Client.family_name,
            Client.local_ref,
        )
        .join(InterventionPlan, InterventionPlan.id == due.c.plan_id)
        .join(Client, Client.id == InterventionPlan.client_id)
        .order_by(due.c.due, *_by_name(Client.family_name, Client.given_name), due.c.plan_id)
    )
    today = ask.today
    items = []
    for plan_id, client_id, day, given, family, ref in _rows(session, query.limit(ask.limit)):
        if day < today:
            what, flag = f"Plan review overdue by {_days((today - day).days)}", "Overdue"
            detail = f"The plan's review was due on {_long(day)}."
        elif day == today:
            what, flag = "Plan review due today", "Due today"
            detail = "The plan is due for review today."
        else:
            what, flag = f"Plan review due in {_days((day - today).days)}", "Due"
            detail = f"The plan is due for review on {_long(day)}."
        items.append(
            DashboardItem(
                client_id, _name(given, family), ref, PLAN, plan_id, what, day, flag, detail
            )
        )
    return _section(session, SectionKey.PLAN_REVIEWS, items, query, ask)


def _referrals(session: Session, ask: _Ask) -> DashboardSection:
    # Whether a referral needs attention is worked out in Python (the rules of
    # services.referrals); the lines are made for the first ones only.
    caseload = _caseload(ask.by)
    last_change = (
        select(
            ReferralStatusChange.referral_id,
            func.max(ReferralStatusChange.id).label("last_id"),
        )
        .join(Referral, Referral.id == ReferralStatusChange.referral_id)
        .where(Referral.client_id.in_(caseload), Referral.status != ReferralStatus.CLOSED)
        .group_by(ReferralStatusChange.referral_id)
        .subquery()
    )
    rows = _rows(
        session,
        select(
            Referral.id,
            Referral.client_id,
            Referral.status,
            Referral.created_on,
            Referral.sent_on,
            Referral.service_id,
            SpecialistService.expected_response_days,
            ReferralStatusChange.changed_on,
        )
        .join(SpecialistService, SpecialistService.id == Referral.service_id)
        .outerjoin(last_change, last_change.c.referral_id == Referral.id)
        .outerjoin(ReferralStatusChange, ReferralStatusChange.id == last_change.c.last_id)
        .where(Referral.client_id.in_(caseload), Referral.status != ReferralStatus.CLOSED),
    )
    found: list[tuple[bool, date, int, int, int, ReferralStatus, referrals.FollowUp]] = []
    for referral_id, client_id, status, created_on, sent_on, service_id, days, status_on in rows:
        follow = referrals.follow_up(
            status,
            created_on=created_on,
            sent_on=sent_on,
            status_on=status_on or created_on,
            expected_response_days=days,
            today=ask.today,
        )
        if not follow.needs_attention or follow.due_on is None:
            continue
        # Overdue first, then the one that fell due longest ago.
        found.append(
            (not follow.overdue, follow.due_on, referral_id, client_id, service_id, status, follow)
        )
    found.sort(key=lambda t: (t[0], t[1], t[2]))
    first = found[: ask.limit] if ask.limit is not None else found
    people = _people(session, {t[3] for t in first})
    services = dict(
        _rows(
            session,
            select(SpecialistService.id, SpecialistService.name).where(
                SpecialistService.id.in_(sorted({t[4] for t in first}))
            ),
        )
    )
    items = []
    for _, due_on, referral_id, client_id, service_id, status, follow in first:
        name, ref = people.get(client_id, ("", ""))
        service = services.get(service_id, "")
        items.append(
            DashboardItem(
                client_id,
                name,
                ref,
                REFERRALS,
                referral_id,
                f"{service}: {follow.summary}",
                due_on,
                follow.flag,
                f"Referral to {service} ({REFERRAL_STATUS_WORDS[status].lower()}). "
                + follow.message,
            )
        )
    return DashboardSection(SectionKey.REFERRALS, tuple(items), len(found))


def _people(session: Session, client_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Name (as shown) and case reference of these clients."""
    wanted = sorted(set(client_ids))
    if not wanted:
        return {}
    return {
        client_id: (_name(given, family), ref)
        for client_id, given, family, ref in _rows(
            session,
            select(Client.id, Client.given_name, Client.family_name, Client.local_ref).where(
                Client.id.in_(wanted)
            ),
        )
    }


def _urgent_risk(session: Session, ask: _Ask) -> DashboardSection:
    decided = exists(
        select(RiskShareDecision.id).where(RiskShareDecision.risk_event_id == RiskEvent.id)
    )
    query = (
        select(
            RiskEvent.id,
            RiskEvent.client_id,
            RiskEvent.kind,
            RiskEvent.occurred_on,
            Client.given_name,
            Client.family_name,
            Client.local_ref,
        )
        .join(Client, Client.id == RiskEvent.client_id)
        .where(
            RiskEvent.client_id.in_(_caseload(ask.by)),
            RiskEvent.urgency == Urgency.URGENT,
            ~decided,
        )
        .order_by(RiskEvent.occurred_on, RiskEvent.id)
    )
    items = [
        DashboardItem(
            client_id,
            _name(given, family),
            ref,
            RISK,
            event_id,
            f"{RISK_EVENT_WORDS[kind]}: no share decision yet",
            day,
            "URGENT",
            f"An urgent risk event on {_long(day)} ({RISK_EVENT_WORDS[kind].lower()}) has "
            "no decision yet about sharing it with partner agencies.",
        )
        for event_id, client_id, kind, day, given, family, ref in _rows(
            session, query.limit(ask.limit)
        )
    ]
    return _section(session, SectionKey.URGENT_RISK, items, query, ask)


def _critical_answers(session: Session, ask: _Ask) -> DashboardSection:
    found = critical_items.critical_answers_for_caseload(session, ask.by, ask.today)
    first = found[: ask.limit] if ask.limit is not None else found
    people = _people(session, (a.client_id for a in first))
    items = tuple(
        DashboardItem(
            a.client_id,
            people.get(a.client_id, ("", ""))[0],
            people.get(a.client_id, ("", ""))[1],
            MEASURES,
            a.administration_id,
            f"{a.short_title} item {a.item}: "
            f"{'review risk' if a.answered else 'not answered, ask and review risk'}",
            a.administered_on,
            "CRITICAL",
            f"{a.short_title} given on {_long(a.administered_on)}: {a.alert} No clinician "
            "has reviewed these answers yet.",
        )
        for a in first
    )
    return DashboardSection(SectionKey.CRITICAL_ANSWERS, items, len(found))


def _measures_due(session: Session, ask: _Ask) -> DashboardSection:
    due = measure_schedules.measures_due_for_caseload(session, ask.by, ask.today)
    names = _people(session, (d.client_id for d in due))
    ordered = sorted(
        due,
        key=lambda d: (
            d.due_since or ask.today,  # never given: due from today
            names.get(d.client_id, ("", ""))[0],
            d.short_title,
            d.schedule_id,
        ),
    )
    first = ordered[: ask.limit] if ask.limit is not None else ordered
    items = tuple(
        DashboardItem(
            d.client_id,
            names.get(d.client_id, ("", ""))[0],
            d.local_ref,
            MEASURES,
            d.schedule_id,
            f"{d.short_title} due: {d.reasons[0]}" if d.reasons else f"{d.short_title} due",
            d.due_since or ask.today,
            "Due",
            f"{d.short_title} is due. " + " ".join(d.reasons),
        )
        for d in first
    )
    return DashboardSection(SectionKey.MEASURES_DUE, items, len(due))


_READERS: Mapping[SectionKey, Callable[[Session, _Ask], DashboardSection]] = {
    SectionKey.URGENT_RISK: _urgent_risk,
    SectionKey.CRITICAL_ANSWERS: _critical_answers,
    SectionKey.APPOINTMENTS_TODAY: _appointments_today,
    SectionKey.SUBJECT_ACCESS: _subject_access,
    SectionKey.SESSIONS_TODAY: _sessions_today,
    SectionKey.UNSIGNED_NOTES: _unsigned,
    SectionKey.REFERRALS: _referrals,
    SectionKey.PLAN_REVIEWS: _plan_reviews,
    SectionKey.MEASURES_DUE: _measures_due,
    SectionKey.SESSIONS_THIS_WEEK: _sessions_this_week,
}


def _require_caseload(by: StaffRef) -> None:
    if not by.is_clinical:
        raise AccessDenied(
            "The dashboard lists a clinician's own caseload. Administrators have no "
            "caseload: use the caseload tab and the administration tools."
        )


def _key(name: str) -> SectionKey:
    try:
        return SectionKey(name)
    except ValueError:
        raise NotFound("That part of the dashboard does not exist.") from None


def dashboard(
    session: Session,
    by: StaffRef,
    sections: Collection[str] | None = None,
    *,
    today: date | None = None,
    limit: int = FIRST_ITEMS,
) -> Dashboard:
    """The signed-in clinician's dashboard for ``today`` (default: the current date).

    Every section, or only those named in ``sections``; each with its first ``limit``
    items and the number in all.
    """
    _require_caseload(by)
    today = today or date.today()
    keys = list(SectionKey) if sections is None else [_key(name) for name in sections]
    ask = _Ask(by, today, max(limit, 0))
    size = _count(session, _caseload(by))
    return Dashboard(
        today=today,
        week_start=ask.week_start,
        caseload_size=size,
        sections=tuple(_READERS[key](session, ask) for key in keys),
    )


NOBODY = StaffRef(0, "", "", Role.PSYCHOLOGIST)
"""A clinician with no caseload (no member of staff has id 0): see :func:`warm_up`."""


def warm_up(session: Session) -> None:
    """Read every section once for a clinician with no caseload: nothing is found and
    nothing is written, but SQLAlchemy compiles the statements (about 0.1 s, once per
    process), so the first real dashboard, which a clinician waits for at sign-in, does
    not. Run while the user types their password."""
    dashboard(session, NOBODY)


def whole_section(
    session: Session, by: StaffRef, section: str, *, today: date | None = None
) -> DashboardSection:
    """Every item of one section ("show all"), most urgent first."""
    _require_caseload(by)
    ask = _Ask(by, today or date.today(), None)
    return _READERS[_key(section)](session, ask)
