"""The clinical summary: full clinical content for the health record or a clinical referral.

Never for partner agencies: there is deliberately no audience, and it is read directly
from the clinical record (not through the partner gate), without third-party records.
It is printed marked "CLINICAL \u2014 NOT FOR PARTNER AGENCIES".
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.models import (
    Client,
    GoalProgress,
    InterventionPlan,
    NoteAddendum,
    PlanGoal,
    PlannedIntervention,
    PlanRevision,
    Referral,
    RiskEvent,
    RiskShareDecision,
    SessionNote,
    SpecialistService,
    StaffUser,
    TypologyAssessment,
)
from clinic_app.models.enums import Attendance, InterventionKind
from clinic_app.reports.content import (
    AttendanceCounts,
    Author,
    ClinicalGoal,
    ClinicalIdentity,
    ClinicalMeasure,
    ClinicalReferral,
    ClinicalRiskEvent,
    ClinicalSession,
    ClinicalSummary,
    ReportingPeriod,
)
from clinic_app.services import measures
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.sharing.periods import EARLIEST_PERIOD, check_period

NOTE_EXCERPT_CHARS = 400


def build_clinical_summary(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    today: date | None = None,
) -> ClinicalSummary:
    """Full clinical content for the clinical record or a referral letter.

    There is deliberately no audience parameter: this content is never offered to a
    partner agency. Third-party records are not read.
    """
    require_clinical_access(session, by, client_id)
    today = today or date.today()
    period: ReportingPeriod | None = None
    if period_from is not None or period_to is not None:
        start = period_from or EARLIEST_PERIOD
        end = period_to or today
        check_period(start, end, today)
        period = ReportingPeriod(start, end)
    client = get_or_raise(session, Client, client_id, "client")
    me = get_or_raise(session, StaffUser, by.id, "member of staff")

    def in_period(day: date) -> bool:
        return period is None or period.start <= day <= period.end

    typology = session.scalars(
        select(TypologyAssessment.typology)
        .where(TypologyAssessment.client_id == client_id)
        .order_by(TypologyAssessment.assessed_on.desc(), TypologyAssessment.id.desc())
        .limit(1)
    ).first()
    revision = session.scalars(
        select(PlanRevision)
        .join(InterventionPlan, InterventionPlan.id == PlanRevision.plan_id)
        .where(InterventionPlan.client_id == client_id)
        .order_by(PlanRevision.saved_at.desc(), PlanRevision.id.desc())
        .limit(1)
    ).first()
    goals: tuple[ClinicalGoal, ...] = ()
    interventions: tuple[tuple[InterventionKind, str], ...] = ()
    if revision is not None:
        latest: dict[str, tuple[date, int]] = {}
        for progress in session.scalars(
            select(GoalProgress)
            .where(GoalProgress.plan_id == revision.plan_id)
            .order_by(GoalProgress.rated_on, GoalProgress.recorded_at, GoalProgress.id)
        ):
            latest[progress.goal_key] = (progress.rated_on, progress.rating)
        goals = tuple(
            ClinicalGoal(
                number=i,
                private_detail=g.private_detail,
                partner_wording=g.partner_wording,
                rating=latest[g.goal_key][1] if g.goal_key in latest else None,
                rated_on=latest[g.goal_key][0] if g.goal_key in latest else None,
            )
            for i, g in enumerate(
                session.scalars(
                    select(PlanGoal)
                    .where(PlanGoal.revision_id == revision.id)
                    .order_by(PlanGoal.position)
                ),
                start=1,
            )
        )
        interventions = tuple(
            (p.kind, p.detail)
            for p in session.scalars(
                select(PlannedIntervention)
                .where(PlannedIntervention.revision_id == revision.id)
                .order_by(PlannedIntervention.position)
            )
        )
    notes = [
        n
        for n in session.scalars(
            select(SessionNote)
            .where(SessionNote.client_id == client_id, SessionNote.entered_in_error_at.is_(None))
            .order_by(SessionNote.session_date, SessionNote.id)
        )
        if in_period(n.session_date)
    ]
    tally = dict.fromkeys(Attendance, 0)
    for n in notes:
        tally[n.attendance] += 1
    counts = AttendanceCounts(
        tally[Attendance.ATTENDED],
        tally[Attendance.LATE],
        tally[Attendance.DID_NOT_ATTEND],
        tally[Attendance.CANCELLED_BY_CLIENT],
        tally[Attendance.CANCELLED_BY_SERVICE],
    )
    addenda_count = dict.fromkeys((n.id for n in notes), 0)
    if notes:
        for note_id in session.scalars(
            select(NoteAddendum.note_id).where(NoteAddendum.note_id.in_(list(addenda_count)))
        ):
            addenda_count[note_id] += 1
    sessions = tuple(
        ClinicalSession(
            session_date=n.session_date,
            attendance=n.attendance,
            modality=n.modality,
            engagement=n.engagement,
            signed=n.signed_at is not None,
            excerpt=_excerpt(n.intervention_content or n.agenda)
            + (f" (with {addenda_count[n.id]} addendum/addenda)" if addenda_count[n.id] else ""),
        )
        for n in notes
    )
    events = [
        e
        for e in session.scalars(
            select(RiskEvent)
            .where(RiskEvent.client_id == client_id)
            .order_by(RiskEvent.occurred_on, RiskEvent.id)
        )
        if in_period(e.occurred_on)
    ]
    decisions: dict[int, RiskShareDecision] = {}
    if events:
        for d in session.scalars(
            select(RiskShareDecision)
            .where(RiskShareDecision.risk_event_id.in_([e.id for e in events]))
            .order_by(RiskShareDecision.id)
        ):
            decisions[d.risk_event_id] = d
    risk_events = tuple(
        ClinicalRiskEvent(
            occurred_on=e.occurred_on,
            kind=e.kind,
            urgency=e.urgency,
            detail=e.detail,
            statement=e.shareable_statement,
            decision=decisions[e.id].decision if e.id in decisions else None,
            decision_reason=decisions[e.id].reason if e.id in decisions else "",
        )
        for e in events
    )
    referrals = tuple(
        ClinicalReferral(
            service_name=name,
            status=r.status,
            urgency=r.urgency,
            created_on=r.created_on,
            reason=r.reason,
        )
        for r, name in session.execute(
            select(Referral, SpecialistService.name)
            .join(SpecialistService, SpecialistService.id == Referral.service_id)
            .where(Referral.client_id == client_id)
            .order_by(Referral.created_on, Referral.id)
        ).all()
        if period is None or r.created_on <= period.end
    )
    return ClinicalSummary(
        prepared_on=today,
        period=period,
        identity=ClinicalIdentity(
            name=f"{client.given_name} {client.family_name}",
            date_of_birth=client.date_of_birth,
            nhs_number=client.nhs_number,
            local_ref=client.local_ref,
            police_ref=client.police_ref,
            site=client.site,
        ),
        author=Author(me.display_name, me.job_title, me.contact),
        typology=typology,
        phase=None if revision is None else revision.phase,
        plan_status=None if revision is None else revision.status,
        formulation="" if revision is None else revision.formulation,
        goals=goals,
        interventions=interventions,
        attendance=counts,
        sessions=sessions,
        risk_events=risk_events,
        measures=_clinical_measures(session, by, client_id, period),
        referrals=referrals,
        next_review=None if revision is None else revision.next_review_on,
    )


def _excerpt(text: str) -> str:
    clean = " ".join(text.split())
    if len(clean) <= NOTE_EXCERPT_CHARS:
        return clean
    return clean[:NOTE_EXCERPT_CHARS].rsplit(" ", 1)[0] + " ..."


def _clinical_measures(
    session: Session, by: StaffRef, client_id: int, period: ReportingPeriod | None
) -> tuple[ClinicalMeasure, ...]:
    """Every administration with its score and band, and its change from the one before."""
    out: list[ClinicalMeasure] = []
    for results in measures.results_for_client(session, by, client_id):
        changes = {c.later_id: c for c in results.changes}
        for r in results.administrations:
            row = r.administration
            if period is not None and not period.start <= row.administered_on <= period.end:
                continue
            if r.score is None:
                score = r.problem or "Not scored"
            else:
                score = f"{r.score.total_text} (range {r.score.minimum:g} to {r.score.maximum:g})"
                if r.score.band:
                    score += f", {r.score.band}"
            between = changes.get(row.id)
            change = ""
            if between is not None:
                change = between.change.summary if between.change else between.problem
            out.append(ClinicalMeasure(results.short_title, row.administered_on, score, change))
    return tuple(out)
