"""The signed-in clinician's dashboard: what is happening and what needs doing, in one call.

The dashboard covers the user's **caseload**: the clients currently assigned to them.
Each section is one query over the whole caseload (no query per client), so it stays
quick on a database of 10,000 clients. Items name the client and what needs doing in
words, never clinical text, and say where it can be dealt with: the record tab ("Sessions",
"Plan", "Referrals", "Measures", "Risk") and the item there.

Sections and their rules (dates are calendar days; ``today`` is the user's date):

- **Today's sessions**: session notes dated today on caseload clients, drafts included,
  by any author; notes marked entered in error are left out.
- **Earlier this week**: the same, dated from Monday of this week to yesterday.
- **Notes not signed**: the user's own draft notes (only the author can sign) for a
  session more than a day ago: a note of a session on the 1st is listed from the 3rd.
- **Plan reviews**: the latest revision of each plan that is draft, active or under
  review, whose next review date has passed (overdue) or falls within the next
  ``REVIEW_NOTICE_DAYS`` days (due), unless a review held for that date is recorded.
- **Referrals**: open referrals that are overdue or awaiting action under the rules in
  :mod:`clinic_app.services.referrals`.
- **Measures due**: from :func:`clinic_app.services.measure_schedules.measures_due_for_caseload`.
- **Urgent risk events without a share decision**, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from clinic_app.errors import AccessDenied
from clinic_app.models import (
    Client,
    ClientAssignment,
    InterventionPlan,
    PlanReview,
    PlanRevision,
    Referral,
    ReferralStatusChange,
    RiskEvent,
    RiskShareDecision,
    SessionNote,
    SpecialistService,
    StaffUser,
)
from clinic_app.models.enums import PlanStatus, ReferralStatus, Urgency
from clinic_app.services import critical_items, measure_schedules, referrals
from clinic_app.services.common import StaffRef
from clinic_app.wording import (
    ATTENDANCE_WORDS,
    MODALITY_WORDS,
    REFERRAL_STATUS_WORDS,
    RISK_EVENT_WORDS,
)

REVIEW_NOTICE_DAYS = 14
"""A plan review shows as due this many days ahead."""
UNSIGNED_AFTER_DAYS = 1
"""A draft note is listed once its session is more than this many days ago."""

SESSIONS = "Sessions"
PLAN = "Plan"
REFERRALS = "Referrals"
MEASURES = "Measures"
RISK = "Risk"


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


@dataclass(frozen=True)
class Dashboard:
    """The user's dashboard on ``today``: one tuple of items per section."""

    today: date
    week_start: date
    sessions_today: tuple[DashboardItem, ...] = ()
    sessions_this_week: tuple[DashboardItem, ...] = ()
    unsigned_notes: tuple[DashboardItem, ...] = ()
    plan_reviews: tuple[DashboardItem, ...] = ()
    referrals: tuple[DashboardItem, ...] = ()
    measures_due: tuple[DashboardItem, ...] = ()
    urgent_risk: tuple[DashboardItem, ...] = ()
    critical_answers: tuple[DashboardItem, ...] = ()
    caseload_size: int = 0

    @property
    def needing_attention(self) -> int:
        """How many items ask the user to do something (sessions are for information)."""
        return sum(
            len(s)
            for s in (
                self.unsigned_notes,
                self.plan_reviews,
                self.referrals,
                self.measures_due,
                self.urgent_risk,
                self.critical_answers,
            )
        )


def _name(given: str, family: str) -> str:
    return f"{family.upper()}, {given}"


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def _caseload(by: StaffRef) -> Select[Any]:
    return select(ClientAssignment.client_id).where(
        ClientAssignment.staff_id == by.id, ClientAssignment.ended_at.is_(None)
    )


def _sessions(session: Session, by: StaffRef, start: date, end: date) -> tuple[DashboardItem, ...]:
    rows = session.execute(
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
            (SessionNote.client_id + 0).in_(_caseload(by)),
            SessionNote.session_date >= start,
            SessionNote.session_date <= end,
            SessionNote.entered_in_error_at.is_(None),
        )
        .order_by(SessionNote.session_date, Client.family_name, Client.given_name, SessionNote.id)
    ).all()
    items = []
    for note_id, client_id, day, modality, attendance, signed_at, author, author_name, *who in rows:
        given, family, ref = who
        signed = signed_at is not None
        by_whom = "" if author == by.id else f" (by {author_name})"
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
    return tuple(items)


def _unsigned(session: Session, by: StaffRef, today: date) -> tuple[DashboardItem, ...]:
    latest_session = today - timedelta(days=UNSIGNED_AFTER_DAYS + 1)
    rows = session.execute(
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
            SessionNote.author_id == by.id,
            SessionNote.signed_at.is_(None),
            SessionNote.entered_in_error_at.is_(None),
            SessionNote.session_date <= latest_session,
            SessionNote.client_id.in_(_caseload(by)),
        )
        .order_by(SessionNote.session_date, SessionNote.id)
    ).all()
    return tuple(
        DashboardItem(
            client_id,
            _name(given, family),
            ref,
            SESSIONS,
            note_id,
            f"Note not signed, {_days((today - day).days)} after the session",
            day,
            "Not signed",
            f"The note of the session on {_long(day)} is still a draft: read it and sign it.",
        )
        for note_id, client_id, day, given, family, ref in rows
    )


def _plan_reviews(session: Session, by: StaffRef, today: date) -> tuple[DashboardItem, ...]:
    latest = (
        select(PlanRevision.plan_id, func.max(PlanRevision.number).label("number"))
        .join(InterventionPlan, InterventionPlan.id == PlanRevision.plan_id)
        .where(InterventionPlan.client_id.in_(_caseload(by)))
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
    horizon = today + timedelta(days=REVIEW_NOTICE_DAYS)
    due_dates: dict[tuple[int, date], tuple[int, str, str, str]] = {}
    for plan_id, client_id, due, given, family, ref in session.execute(
        select(
            PlanRevision.plan_id,
            InterventionPlan.client_id,
            PlanRevision.next_review_on,
            Client.given_name,
            Client.family_name,
            Client.local_ref,
        )
        .join(
            latest,
            and_(latest.c.plan_id == PlanRevision.plan_id, latest.c.number == PlanRevision.number),
        )
        .join(InterventionPlan, InterventionPlan.id == PlanRevision.plan_id)
        .join(Client, Client.id == InterventionPlan.client_id)
        .where(
            PlanRevision.status.in_((PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)),
            PlanRevision.next_review_on.is_not(None),
            PlanRevision.next_review_on <= horizon,
            ~held,
        )
    ):
        assert due is not None  # the query keeps only plans with a review date
        due_dates[(plan_id, due)] = (client_id, given, family, ref)
    # Reviews recorded as due and not (yet) recorded as held count as well.
    pending = aliased(PlanReview)
    held_later = exists(
        select(PlanReview.id).where(
            PlanReview.plan_id == pending.plan_id,
            PlanReview.due_on == pending.due_on,
            PlanReview.held_on.is_not(None),
        )
    )
    for plan_id, client_id, due, given, family, ref in session.execute(
        select(
            pending.plan_id,
            InterventionPlan.client_id,
            pending.due_on,
            Client.given_name,
            Client.family_name,
            Client.local_ref,
        )
        .join(InterventionPlan, InterventionPlan.id == pending.plan_id)
        .join(Client, Client.id == InterventionPlan.client_id)
        .where(
            InterventionPlan.client_id.in_(_caseload(by)),
            pending.held_on.is_(None),
            pending.due_on <= horizon,
            ~held_later,
        )
    ):
        due_dates.setdefault((plan_id, due), (client_id, given, family, ref))
    items = []
    for (plan_id, due), (client_id, given, family, ref) in sorted(due_dates.items()):
        if due < today:
            what, flag = f"Plan review overdue by {_days((today - due).days)}", "Overdue"
            detail = f"The plan's review was due on {_long(due)}."
        elif due == today:
            what, flag = "Plan review due today", "Due today"
            detail = "The plan is due for review today."
        else:
            what, flag = f"Plan review due in {_days((due - today).days)}", "Due"
            detail = f"The plan is due for review on {_long(due)}."
        items.append(
            DashboardItem(
                client_id, _name(given, family), ref, PLAN, plan_id, what, due, flag, detail
            )
        )
    items.sort(key=lambda i: (i.when or today, i.client_name, i.item_id or 0))
    return tuple(items)


def _referrals(session: Session, by: StaffRef, today: date) -> tuple[DashboardItem, ...]:
    last_change = (
        select(
            ReferralStatusChange.referral_id,
            func.max(ReferralStatusChange.id).label("last_id"),
        )
        .join(Referral, Referral.id == ReferralStatusChange.referral_id)
        .where(Referral.client_id.in_(_caseload(by)), Referral.status != ReferralStatus.CLOSED)
        .group_by(ReferralStatusChange.referral_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Referral.id,
            Referral.client_id,
            Referral.status,
            Referral.created_on,
            Referral.sent_on,
            SpecialistService.name,
            SpecialistService.expected_response_days,
            ReferralStatusChange.changed_on,
            Client.given_name,
            Client.family_name,
            Client.local_ref,
        )
        .join(SpecialistService, SpecialistService.id == Referral.service_id)
        .join(Client, Client.id == Referral.client_id)
        .outerjoin(last_change, last_change.c.referral_id == Referral.id)
        .outerjoin(ReferralStatusChange, ReferralStatusChange.id == last_change.c.last_id)
        .where(Referral.client_id.in_(_caseload(by)), Referral.status != ReferralStatus.CLOSED)
        .order_by(Referral.id)
    ).all()
    found: list[tuple[bool, date, DashboardItem]] = []
    for (
        referral_id,
        client_id,
        status,
        created_on,
        sent_on,
        service,
        days,
        status_on,
        given,
        family,
        ref,
    ) in rows:
        follow = referrals.follow_up(
            status,
            created_on=created_on,
            sent_on=sent_on,
            status_on=status_on or created_on,
            expected_response_days=days,
            today=today,
        )
        if not follow.needs_attention or follow.due_on is None:
            continue
        item = DashboardItem(
            client_id,
            _name(given, family),
            ref,
            REFERRALS,
            referral_id,
            f"{service}: {follow.summary}",
            follow.due_on,
            follow.flag,
            f"Referral to {service} ({REFERRAL_STATUS_WORDS[status].lower()}). " + follow.message,
        )
        found.append((not follow.overdue, follow.due_on, item))
    found.sort(key=lambda t: (t[0], t[1], t[2].item_id or 0))  # overdue first, oldest first
    return tuple(item for _, _, item in found)


def _urgent_risk(session: Session, by: StaffRef) -> tuple[DashboardItem, ...]:
    decided = exists(
        select(RiskShareDecision.id).where(RiskShareDecision.risk_event_id == RiskEvent.id)
    )
    rows = session.execute(
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
            RiskEvent.client_id.in_(_caseload(by)),
            RiskEvent.urgency == Urgency.URGENT,
            ~decided,
        )
        .order_by(RiskEvent.occurred_on, RiskEvent.id)
    ).all()
    return tuple(
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
        for event_id, client_id, kind, day, given, family, ref in rows
    )


def _critical_answers(session: Session, by: StaffRef, today: date) -> tuple[DashboardItem, ...]:
    found = critical_items.critical_answers_for_caseload(session, by, today)
    if not found:
        return ()
    people = {
        client_id: (_name(given, family), ref)
        for client_id, given, family, ref in session.execute(
            select(Client.id, Client.given_name, Client.family_name, Client.local_ref).where(
                Client.id.in_(sorted({a.client_id for a in found}))
            )
        )
    }
    return tuple(
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
        for a in found
    )


def _measures_due(session: Session, by: StaffRef, today: date) -> tuple[DashboardItem, ...]:
    due = measure_schedules.measures_due_for_caseload(session, by, today)
    if not due:
        return ()
    names = {
        client_id: _name(given, family)
        for client_id, given, family in session.execute(
            select(Client.id, Client.given_name, Client.family_name).where(
                Client.id.in_(sorted({d.client_id for d in due}))
            )
        )
    }
    items = [
        DashboardItem(
            d.client_id,
            names.get(d.client_id, ""),
            d.local_ref,
            MEASURES,
            d.schedule_id,
            f"{d.short_title} due: {d.reasons[0]}" if d.reasons else f"{d.short_title} due",
            d.due_since or today,  # never given: due from today
            "Due",
            f"{d.short_title} is due. " + " ".join(d.reasons),
        )
        for d in due
    ]
    items.sort(key=lambda i: (i.when or today, i.client_name, i.what))
    return tuple(items)


def dashboard(session: Session, by: StaffRef, *, today: date | None = None) -> Dashboard:
    """The signed-in clinician's dashboard for ``today`` (default: the current date)."""
    if not by.is_clinical:
        raise AccessDenied(
            "The dashboard lists a clinician's own caseload. Administrators have no "
            "caseload: use the caseload tab and the administration tools."
        )
    today = today or date.today()
    week_start = today - timedelta(days=today.weekday())
    size = session.scalar(select(func.count()).select_from(_caseload(by).subquery())) or 0
    return Dashboard(
        today=today,
        week_start=week_start,
        sessions_today=_sessions(session, by, today, today),
        sessions_this_week=(
            _sessions(session, by, week_start, today - timedelta(days=1))
            if week_start < today
            else ()
        ),
        unsigned_notes=_unsigned(session, by, today),
        plan_reviews=_plan_reviews(session, by, today),
        referrals=_referrals(session, by, today),
        measures_due=_measures_due(session, by, today),
        urgent_risk=_urgent_risk(session, by),
        critical_answers=_critical_answers(session, by, today),
        caseload_size=size,
    )
