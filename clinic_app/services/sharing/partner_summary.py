"""The partner progress summary: read through the gate for one audience and period.

This is where partner-facing content is read from the database. The builder asks the
audience's policy (:mod:`clinic_app.services.sharing.audiences`) which sections and
identifying details it may receive, and reads them through
:class:`~clinic_app.services.sharing.audiences.PartnerReader`, which selects named columns
only and refuses any CLINICAL or THIRD_PARTY column at run time. What it reads goes into
the plain frozen dataclasses of :mod:`clinic_app.reports.content`; the renderer sees only
those. The lexicon check and the author's edits are applied by
:mod:`clinic_app.services.sharing.drafts`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.measures.scoring import Verdict, reliable_change
from clinic_app.models import (
    Appointment,
    Client,
    GoalProgress,
    InterventionPlan,
    PlanGoal,
    PlanRevision,
    Referral,
    ReferralStatusChange,
    RiskAssessment,
    RiskEvent,
    RiskShareDecision,
    SessionNote,
    SpecialistService,
    StaffUser,
)
from clinic_app.models.enums import (
    AppointmentStatus,
    Attendance,
    CancelledBy,
    ConsentToShare,
    ContactType,
    Engagement,
    Gateway,
    ReferralStatus,
    Section,
    ShareDecisionKind,
)
from clinic_app.reports.content import (
    AttendanceCounts,
    AttendanceEntry,
    AttendanceSection,
    Author,
    EngagementSection,
    GoalLine,
    MeasureDirection,
    PartnerSummary,
    PhaseSection,
    ReferralFact,
    ReportingPeriod,
    RiskAssessmentSummary,
    RiskSection,
    RiskStatement,
    SessionUpdate,
    Subject,
)
from clinic_app.services import measures
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.sharing.audiences import AudiencePolicy, PartnerReader, policy_for
from clinic_app.services.sharing.periods import check_period, day_after
from clinic_app.wording import counted


def read_subject(session: Session, reader: PartnerReader, client_id: int) -> Subject:
    """Who the document is about: only the identifying details the policy names."""
    names = [f.partition(".")[2] for f in reader.policy.identifying]
    columns = [getattr(Client, name) for name in names]
    row = session.execute(reader.select(*columns).where(Client.id == client_id)).one()
    return Subject(**dict(zip(names, row, strict=True)))


def read_author(session: Session, reader: PartnerReader, staff_id: int) -> Author:
    """The author and how to reach them, read through the gate."""
    row = session.execute(
        reader.select(StaffUser.display_name, StaffUser.job_title, StaffUser.contact).where(
            StaffUser.id == staff_id
        )
    ).one()
    return Author(row[0], row[1] or "", row[2] or "")


_APPOINTMENT_ATTENDANCE: dict[tuple[AppointmentStatus, CancelledBy | None], Attendance] = {
    (AppointmentStatus.ATTENDED, None): Attendance.ATTENDED,
    (AppointmentStatus.DID_NOT_ATTEND, None): Attendance.DID_NOT_ATTEND,
    (AppointmentStatus.CANCELLED, CancelledBy.CLIENT): Attendance.CANCELLED_BY_CLIENT,
    (AppointmentStatus.CANCELLED, CancelledBy.SERVICE): Attendance.CANCELLED_BY_SERVICE,
}


def _appointment_entries(
    session: Session,
    reader: PartnerReader,
    client_id: int,
    period: ReportingPeriod,
    noted_days: list[date],
) -> list[tuple[AttendanceEntry, int]]:
    """Attendance from appointments that have no note (a note, when there is one, counts).

    A contact is counted once. An appointment linked to a note is counted through the note;
    one without a link is taken as recorded by an unlinked note of the same day, one for one
    (``noted_days``: the days of the period's notes not linked to an appointment). Booked
    appointments say nothing yet and are left out.
    """
    rows = session.execute(
        reader.select(
            Appointment.day,
            Appointment.modality,
            Appointment.status,
            Appointment.cancelled_by,
            Appointment.duration_minutes,
            Appointment.id,
        )
        .where(
            Appointment.client_id == client_id,
            Appointment.day >= period.start,
            Appointment.day <= period.end,
            Appointment.note_id.is_(None),
            Appointment.status != AppointmentStatus.BOOKED,
        )
        .order_by(Appointment.day, Appointment.start_time, Appointment.id)
    ).all()
    unmatched = list(noted_days)
    entries = []
    for day, modality, status, cancelled_by, minutes, ident in rows:
        attendance = _APPOINTMENT_ATTENDANCE.get(
            (status, cancelled_by if status is AppointmentStatus.CANCELLED else None)
        )
        if attendance is None:
            continue
        if day in unmatched:
            unmatched.remove(day)
            continue
        held = attendance is Attendance.ATTENDED
        entries.append((AttendanceEntry(day, modality, attendance, minutes if held else 0), ident))
    return entries


# A professionals' meeting is about the client, not with them: not attendance or engagement.
_WITH_THE_CLIENT = SessionNote.contact_type.is_distinct_from(ContactType.PROFESSIONALS_MEETING)


def _attendance(
    session: Session, reader: PartnerReader, client_id: int, period: ReportingPeriod
) -> AttendanceSection:
    rows = session.execute(
        reader.select(
            SessionNote.session_date,
            SessionNote.modality,
            SessionNote.attendance,
            SessionNote.duration_minutes,
            SessionNote.id,
        )
        .where(
            SessionNote.client_id == client_id,
            SessionNote.session_date >= period.start,
            SessionNote.session_date <= period.end,
            SessionNote.entered_in_error_at.is_(None),
            _WITH_THE_CLIENT,
        )
        .order_by(SessionNote.session_date, SessionNote.id)
    ).all()
    linked = set(
        session.scalars(
            reader.select(Appointment.note_id).where(
                Appointment.client_id == client_id, Appointment.note_id.is_not(None)
            )
        )
    )
    from_notes = [(AttendanceEntry(r[0], r[1], r[2], r[3]), 0) for r in rows]
    noted_days = [r[0] for r in rows if r[4] not in linked]
    from_appointments = _appointment_entries(session, reader, client_id, period, noted_days)
    entries = tuple(
        entry
        for entry, _ in sorted(
            [*from_notes, *from_appointments], key=lambda pair: pair[0].session_date
        )
    )
    tally = dict.fromkeys(Attendance, 0)
    for entry in entries:
        tally[entry.attendance] += 1
    counts = AttendanceCounts(
        attended=tally[Attendance.ATTENDED],
        late=tally[Attendance.LATE],
        did_not_attend=tally[Attendance.DID_NOT_ATTEND],
        cancelled_by_client=tally[Attendance.CANCELLED_BY_CLIENT],
        cancelled_by_service=tally[Attendance.CANCELLED_BY_SERVICE],
    )
    return AttendanceSection(entries, counts)


def _engagement(
    session: Session, reader: PartnerReader, client_id: int, period: ReportingPeriod
) -> EngagementSection:
    rows = session.execute(
        reader.select(SessionNote.session_date, SessionNote.engagement)
        .where(
            SessionNote.client_id == client_id,
            SessionNote.session_date >= period.start,
            SessionNote.session_date <= period.end,
            SessionNote.entered_in_error_at.is_(None),
            SessionNote.engagement != Engagement.NOT_ASSESSED,
            _WITH_THE_CLIENT,
        )
        .order_by(SessionNote.session_date, SessionNote.id)
    ).all()
    tally = dict.fromkeys(Engagement, 0)
    for row in rows:
        tally[row[1]] += 1
    latest = rows[-1] if rows else None
    return EngagementSection(
        good=tally[Engagement.GOOD],
        partial=tally[Engagement.PARTIAL],
        poor=tally[Engagement.POOR],
        latest=None if latest is None else latest[1],
        latest_on=None if latest is None else latest[0],
    )


def _session_updates(
    session: Session, reader: PartnerReader, client_id: int, period: ReportingPeriod
) -> tuple[SessionUpdate, ...]:
    rows = session.execute(
        reader.select(SessionNote.session_date, SessionNote.partner_update)
        .where(
            SessionNote.client_id == client_id,
            SessionNote.session_date >= period.start,
            SessionNote.session_date <= period.end,
            SessionNote.entered_in_error_at.is_(None),
            SessionNote.signed_at.is_not(None),
            SessionNote.partner_update != "",
        )
        .order_by(SessionNote.session_date, SessionNote.id)
    ).all()
    return tuple(SessionUpdate(r[0], r[1].strip()) for r in rows if r[1].strip())


def _latest_revision(
    session: Session, reader: PartnerReader, client_id: int, period: ReportingPeriod
) -> tuple[int, int] | None:
    """(plan id, revision id) of the plan as it stood at the end of the period."""
    row = session.execute(
        reader.select(PlanRevision.plan_id, PlanRevision.id)
        .join(InterventionPlan, InterventionPlan.id == PlanRevision.plan_id)
        .where(
            InterventionPlan.client_id == client_id,
            PlanRevision.saved_at < day_after(period.end),
        )
        .order_by(PlanRevision.saved_at.desc(), PlanRevision.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def _phase(session: Session, reader: PartnerReader, revision_id: int) -> PhaseSection:
    row = session.execute(
        reader.select(
            PlanRevision.phase,
            PlanRevision.status,
            PlanRevision.planned_sessions,
            PlanRevision.planned_weeks,
        ).where(PlanRevision.id == revision_id)
    ).one()
    return PhaseSection(row[0], row[1], row[2], row[3])


def _next_review(session: Session, reader: PartnerReader, revision_id: int) -> date | None:
    value: date | None = session.execute(
        reader.select(PlanRevision.next_review_on).where(PlanRevision.id == revision_id)
    ).scalar_one()
    return value


def _goals(
    session: Session,
    reader: PartnerReader,
    plan_id: int,
    revision_id: int,
    period: ReportingPeriod,
) -> tuple[GoalLine, ...]:
    goals = session.execute(
        reader.select(PlanGoal.goal_key, PlanGoal.partner_wording)
        .where(PlanGoal.revision_id == revision_id)
        .order_by(PlanGoal.position, PlanGoal.id)
    ).all()
    ratings = session.execute(
        reader.select(GoalProgress.goal_key, GoalProgress.rated_on, GoalProgress.rating)
        .where(GoalProgress.plan_id == plan_id, GoalProgress.rated_on <= period.end)
        .order_by(GoalProgress.rated_on, GoalProgress.recorded_at, GoalProgress.id)
    ).all()
    latest: dict[str, tuple[date, int]] = {}
    at_start: dict[str, int] = {}
    for key, rated_on, rating in ratings:
        latest[key] = (rated_on, rating)
        if rated_on < period.start:
            at_start[key] = rating
    lines = []
    for number, (key, wording) in enumerate(goals, start=1):
        rated = latest.get(key)
        lines.append(
            GoalLine(
                number=number,
                partner_wording=wording.strip(),
                rating=None if rated is None else rated[1],
                rated_on=None if rated is None else rated[0],
                rating_at_start=at_start.get(key),
            )
        )
    return tuple(lines)


def _risk(
    session: Session, reader: PartnerReader, client_id: int, period: ReportingPeriod
) -> tuple[RiskSection, list[str]]:
    notes: list[str] = []
    events = session.execute(
        reader.select(
            RiskEvent.id,
            RiskEvent.occurred_on,
            RiskEvent.kind,
            RiskEvent.urgency,
            RiskEvent.shareable_statement,
        )
        .where(
            RiskEvent.client_id == client_id,
            RiskEvent.occurred_on >= period.start,
            RiskEvent.occurred_on <= period.end,
        )
        .order_by(RiskEvent.occurred_on, RiskEvent.id)
    ).all()
    decisions: dict[int, tuple[ShareDecisionKind, datetime]] = {}
    if events:
        for event_id, decision, decided_at in session.execute(
            reader.select(
                RiskShareDecision.risk_event_id,
                RiskShareDecision.decision,
                RiskShareDecision.decided_at,
            )
            .where(RiskShareDecision.risk_event_id.in_([e[0] for e in events]))
            .order_by(RiskShareDecision.id)
        ):
            decisions[event_id] = (decision, decided_at)
    statements = []
    no_statement = withheld = 0
    for event_id, occurred_on, kind, urgency, statement in events:
        decided = decisions.get(event_id)
        if decided is not None and decided[0] is ShareDecisionKind.NOT_SHARED:
            withheld += 1
            continue
        if not statement.strip():
            no_statement += 1
            continue
        statements.append(
            RiskStatement(
                occurred_on=occurred_on,
                kind=kind,
                urgency=urgency,
                statement=statement.strip(),
                decision=None if decided is None else decided[0],
                decided_on=None if decided is None else decided[1].date(),
            )
        )
    if no_statement:
        notes.append(
            f"Not included: {counted(no_statement, 'risk event')} in the period with no "
            "shareable statement. Write a statement on the Risk tab to include it."
        )
    if withheld:
        notes.append(
            f"Not included: {counted(withheld, 'risk event')} in the period decided not to "
            "be shared."
        )
    assessment_row = session.execute(
        reader.select(
            RiskAssessment.tool_name,
            RiskAssessment.tool,
            RiskAssessment.assessed_on,
            RiskAssessment.shareable_summary,
        )
        .where(
            RiskAssessment.client_id == client_id,
            RiskAssessment.assessed_on <= period.end,
            RiskAssessment.shareable_summary != "",
        )
        .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc())
        .limit(1)
    ).first()
    assessment = None
    if assessment_row is not None and assessment_row[3].strip():
        tool_name = assessment_row[0] or str(assessment_row[1].value).upper()
        assessment = RiskAssessmentSummary(tool_name, assessment_row[2], assessment_row[3].strip())
    return RiskSection(tuple(statements), assessment), notes


def _referrals(
    session: Session, reader: PartnerReader, client_id: int, period: ReportingPeriod
) -> tuple[ReferralFact, ...]:
    # A referral whose fact may be shared on consent is left out once the record no
    # longer shows consent (refused since, or never asked).
    consent = session.scalar(select(Client.consent_to_share).where(Client.id == client_id))
    on_consent_only = consent is not ConsentToShare.GIVEN
    rows = session.execute(
        reader.select(
            Referral.id,
            Referral.sent_on,
            SpecialistService.name,
            SpecialistService.kind,
        )
        .join(SpecialistService, SpecialistService.id == Referral.service_id)
        .where(
            Referral.client_id == client_id,
            Referral.fact_shareable.is_(True),
            Referral.share_gateway.is_not(None),
            Referral.created_on <= period.end,
            *((Referral.share_gateway != Gateway.CONSENT,) if on_consent_only else ()),
        )
        .order_by(Referral.created_on, Referral.id)
    ).all()
    if not rows:
        return ()
    # The status as it stood at the end of the period, and when it was first sent, from
    # the status history.
    as_at: dict[int, ReferralStatus] = {}
    sent_in_history: dict[int, date] = {}
    for referral_id, to_status, changed_on in session.execute(
        reader.select(
            ReferralStatusChange.referral_id,
            ReferralStatusChange.to_status,
            ReferralStatusChange.changed_on,
        )
        .where(
            ReferralStatusChange.referral_id.in_([r[0] for r in rows]),
            ReferralStatusChange.changed_on <= period.end,
        )
        .order_by(ReferralStatusChange.changed_on, ReferralStatusChange.id)
    ):
        as_at[referral_id] = to_status
        if to_status is ReferralStatus.SENT:
            sent_in_history.setdefault(referral_id, changed_on)
    facts = []
    for referral_id, sent_on, name, kind in rows:
        recorded_sent = sent_on if sent_on is not None and sent_on <= period.end else None
        sent_then = recorded_sent or sent_in_history.get(referral_id)
        if sent_then is None:
            # Not sent by the end of the period (a draft, or closed without being sent,
            # i.e. withdrawn): there is no referral to speak of.
            continue
        status_then = as_at.get(referral_id, ReferralStatus.SENT)
        if status_then is ReferralStatus.DRAFT:
            status_then = ReferralStatus.SENT  # sent, though the history lacks that step
        facts.append(
            ReferralFact(
                service_name=name, service_kind=kind, status=status_then, sent_on=sent_then
            )
        )
    return tuple(facts)


DIRECTION_WORDS: dict[Verdict, str] = {
    Verdict.RELIABLE_IMPROVEMENT: "improving",
    Verdict.NO_RELIABLE_CHANGE: "no reliable change",
    Verdict.RELIABLE_DETERIORATION: "worsening",
}
"""The only words about a questionnaire a partner document may carry."""


def _measure_directions(
    session: Session, by: StaffRef, client_id: int, period: ReportingPeriod
) -> tuple[MeasureDirection, ...]:
    """The direction of change on each measure over the period, in words only.

    The item answers are CLINICAL. They are scored here by the measures engine and reduced
    to a verdict between the first and the last administration in the period (Jacobson
    and Truax reliable change, or the measure's published threshold); no answer, total,
    band or cut-off leaves this function. Measures whose change cannot be judged reliably
    are left out.
    """
    out: list[MeasureDirection] = []
    for results in measures.results_for_client(session, by, client_id):
        scored = [
            r
            for r in results.administrations
            if period.start <= r.administration.administered_on <= period.end
            and r.score is not None
            and r.definition is not None
        ]
        if len(scored) < 2:
            continue
        first, last = scored[0], scored[-1]
        if first.administration.measure_version != last.administration.measure_version:
            continue
        assert first.score is not None and last.score is not None and last.definition
        verdict = reliable_change(last.definition, first.score, last.score).verdict
        if verdict not in DIRECTION_WORDS:
            continue
        out.append(
            MeasureDirection(
                measure=results.short_title,
                first_on=first.administration.administered_on,
                last_on=last.administration.administered_on,
                direction=DIRECTION_WORDS[verdict],
            )
        )
    return tuple(out)


def build_partner_summary(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    audience: str,
    period_from: date,
    period_to: date,
    today: date | None = None,
) -> PartnerSummary:
    """The partner summary content for one audience and period (no lexicon check).

    Reads only the columns the audience's policy allows, through the guarded reader.
    Raises ValidationError for a bad period or a policy that would reach clinical data.
    """
    summary, _notes = build_partner_summary_and_notes(
        session,
        by,
        client_id,
        audience=audience,
        period_from=period_from,
        period_to=period_to,
        today=today,
    )
    return summary


def build_partner_summary_and_notes(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    audience: str,
    period_from: date,
    period_to: date,
    today: date | None,
) -> tuple[PartnerSummary, list[str]]:
    """The summary, with notes for the author (never printed): e.g. risk events left out
    because they have no shareable statement."""
    require_clinical_access(session, by, client_id)
    today = today or date.today()
    check_period(period_from, period_to, today)
    get_or_raise(session, Client, client_id, "client")
    policy: AudiencePolicy = policy_for(session, audience)
    reader = PartnerReader(policy)
    period = ReportingPeriod(period_from, period_to)
    notes: list[str] = []
    sections = tuple(s for s in Section if policy.includes(s))
    parts: dict[str, Any] = {}
    if Section.ATTENDANCE in sections:
        parts["attendance"] = _attendance(session, reader, client_id, period)
    if Section.ENGAGEMENT in sections:
        parts["engagement"] = _engagement(session, reader, client_id, period)
    if Section.SESSION_UPDATES in sections:
        parts["session_updates"] = _session_updates(session, reader, client_id, period)
    revision = (
        _latest_revision(session, reader, client_id, period)
        if {Section.PHASE, Section.GOALS, Section.NEXT_REVIEW} & set(sections)
        else None
    )
    if revision is not None:
        plan_id, revision_id = revision
        if Section.PHASE in sections:
            parts["phase"] = _phase(session, reader, revision_id)
        if Section.GOALS in sections:
            parts["goals"] = _goals(session, reader, plan_id, revision_id, period)
        if Section.NEXT_REVIEW in sections:
            parts["next_review"] = _next_review(session, reader, revision_id)
    elif Section.GOALS in sections:
        parts["goals"] = ()
    if Section.RISK in sections:
        parts["risk"], risk_notes = _risk(session, reader, client_id, period)
        notes.extend(risk_notes)
    if Section.REFERRALS in sections:
        parts["referrals"] = _referrals(session, reader, client_id, period)
    if Section.MEASURE_DIRECTION in sections:
        parts["measure_directions"] = _measure_directions(session, by, client_id, period)
    summary = PartnerSummary(
        audience=policy.name,
        audience_title=policy.title,
        period=period,
        prepared_on=today,
        subject=read_subject(session, reader, client_id),
        author=read_author(session, reader, by.id),
        sections=sections,
        **parts,
    )
    return summary, notes
