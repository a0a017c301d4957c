"""A synthetic, clearly marked demo caseload for training, testing and benchmarks.

Every demo client carries the demo flag and a 999 test NHS number (never issued), and
every name is invented. Rows are written in bulk so a caseload of 10,000 clients loads in
reasonable time, but they follow the same rules as records made through the services:
signed notes carry their content hash, statuses follow the referral workflow, scores are
never stored.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models import (
    Client,
    ClientAssignment,
    GoalProgress,
    InterventionPlan,
    MeasureAdministration,
    MeasureResponse,
    NoteAddendum,
    PlanGoal,
    PlannedIntervention,
    PlanRevision,
    Referral,
    ReferralStatusChange,
    RiskAssessment,
    RiskEvent,
    RiskShareDecision,
    SessionNote,
    SpecialistService,
    ThirdParty,
    TypologyAssessment,
)
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    ConsentToShare,
    ContactType,
    Engagement,
    Gateway,
    InterventionKind,
    MeasureMode,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    ServiceKind,
    ShareDecisionKind,
    ThirdPartyRelation,
    Typology,
    Urgency,
)
from clinic_app.services import audit
from clinic_app.services.common import StaffRef
from clinic_app.services.notes import NoteContent, addendum_seal, note_seal
from clinic_app.services.validation import nhs_check_digit
from clinic_app.storage import site as site_storage

MAX_DEMO_CLIENTS = 100_000
DEMO_PREFIX = "DEMO-"

GIVEN = (
    "Alex",
    "Sam",
    "Jordan",
    "Chris",
    "Daniel",
    "Mark",
    "Paul",
    "Lee",
    "Ryan",
    "Gareth",
    "Simon",
    "Karen",
    "Tom",
    "Nathan",
    "Owen",
    "Joanne",
    "Dylan",
    "Stuart",
    "Craig",
    "Wayne",
)
FAMILY = (
    "Example",
    "Testcase",
    "Sample",
    "Demoson",
    "Mockford",
    "Fictional",
    "Placeholder",
    "Trialby",
    "Specimen",
    "Madeup",
    "Notreal",
    "Pretendham",
)
SITES = ("North", "Central", "South")
SOURCES = ("Police", "Probation", "GP", "Self-referral", "Victim advocacy service")

SERVICES = (
    ("Demo Personality Disorder Service", ServiceKind.PERSONALITY_DISORDER, 42),
    ("Demo Community Psychiatry Team", ServiceKind.PSYCHIATRY, 28),
    ("Demo NHS Talking Therapies", ServiceKind.TALKING_THERAPIES, 21),
    ("Demo Substance Misuse Service", ServiceKind.SUBSTANCE_MISUSE, 14),
    ("Demo Forensic Mental Health Service", ServiceKind.FORENSIC, 56),
)
CHECKINS = (
    "Reports no contact with the victim since last session; no new intent disclosed.",
    "Describes urges to check the victim's social media; managing them with the plan.",
    "Acknowledges thoughts about the former partner most evenings; no behaviour reported.",
)
AGENDAS = (
    "Reviewed homework; worked on the entitlement beliefs goal.",
    "Agenda set jointly: coping with rejection; link to goal on rumination.",
    "Focus on relapse prevention and the warning-signs list.",
)
CONTENT = (
    "Cognitive work on beliefs about being owed a relationship. Explored alternative views.",
    "Motivational interviewing around the costs of continued pursuit. Ambivalence noted.",
    "Practised a distraction and delay plan for urges to make contact.",
    "Compassion-focused exercise addressing shame after the court hearing.",
)
HOMEWORK = ("Thought record twice this week.", "Practise the delay plan daily.", "")
RERATING = ("Risk unchanged.", "Risk slightly reduced.", "Risk raised: see risk event.")
ACTIONS = ("None.", "Liaise with probation about appointment times.", "Review at next session.")
PARTNER_UPDATES = (
    "Attended and engaged well with the session.",
    "Attended; engagement was partial.",
    "",
)
GOALS = (
    (
        "Reduce rumination about the former relationship using the agreed coping plan.",
        "Develop strategies to manage unwanted thoughts",
    ),
    (
        "Challenge beliefs of entitlement and grievance; build alternative explanations.",
        "Work on attitudes linked to the behaviour",
    ),
    (
        "Build a life beyond the fixation: work, contacts and routine.",
        "Build a stable routine and support network",
    ),
)
VICTIM_GOAL = (
    "Client wants to write an apology letter to the victim.",
    "Explore responsibility for the harm caused",
)
RISK_DETAILS = {
    RiskEventKind.CONTACT_WITH_VICTIM: "Disclosed sending a message through a mutual friend.",
    RiskEventKind.DISENGAGEMENT: "Missed two required appointments without explanation.",
    RiskEventKind.MENTAL_STATE_DETERIORATION: "Low mood, poor sleep and increased rumination.",
    RiskEventKind.ORDER_BREACH: "Reports driving past the victim's street, contrary to the order.",
}
RISK_STATEMENTS = {
    RiskEventKind.CONTACT_WITH_VICTIM: "The client disclosed indirect contact with the victim.",
    RiskEventKind.DISENGAGEMENT: "The client has missed required appointments.",
    RiskEventKind.MENTAL_STATE_DETERIORATION: "A change in the client's presentation has "
    "been noted and is being managed by the health team.",
    RiskEventKind.ORDER_BREACH: "The client reported behaviour that may breach a condition.",
}


@dataclass(frozen=True)
class DemoResult:
    clients: int
    sessions: int
    first_ref: str
    last_ref: str


def demo_nhs_number(rng: random.Random, used: set[str]) -> str:
    """A valid Modulus 11 test number starting 999 (never issued to a real person)."""
    while True:
        first_nine = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = nhs_check_digit(first_nine)
        if check is None:
            continue
        number = first_nine + str(check)
        if number not in used:
            used.add(number)
            return number


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _ensure_services(session: Session) -> list[int]:
    ids = []
    for name, kind, days in SERVICES:
        found = session.scalar(select(SpecialistService.id).where(SpecialistService.name == name))
        if found is None:
            service = SpecialistService(
                name=name,
                kind=kind,
                expected_response_days=days,
                contact="Demo contact: 01632 960000",
            )
            session.add(service)
            session.flush()
            found = service.id
        ids.append(found)
    return ids


class _Ids:
    """Row ids for rows written with their ids (so children can name their parents).

    On a workstation, counting on from the largest id in each table. At a site, drawn
    from the table's own sequence in blocks: the largest id a member of staff can see is
    not the largest there is (row-level security), and rows added later by anyone take
    their ids from the same sequence.
    """

    BLOCK = 500

    def __init__(self, session: Session) -> None:
        self.session = session
        self.on_site = site_storage.is_site(session)
        self.next: dict[type[Any], int] = {}
        self.pool: dict[type[Any], list[int]] = {}

    def take(self, model: type[Any]) -> int:
        if self.on_site:
            pool = self.pool.setdefault(model, [])
            if not pool:
                pool.extend(
                    self.session.scalars(
                        text(
                            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                            "FROM generate_series(1, :n)"
                        ),
                        {"table": model.__tablename__, "n": self.BLOCK},
                    )
                )
                pool.reverse()
            return pool.pop()
        if model not in self.next:
            self.next[model] = (self.session.scalar(select(func.max(model.id))) or 0) + 1
        ident = self.next[model]
        self.next[model] = ident + 1
        return ident


class _Builder:
    """Collects rows per table, then inserts each table in one executemany."""

    def __init__(self, session: Session, ids: _Ids) -> None:
        self.session = session
        self.ids = ids
        self.rows: dict[type[Any], list[dict[str, Any]]] = {}

    def add(self, model: type[Any], **values: Any) -> int:
        ident = self.ids.take(model)
        self.rows.setdefault(model, []).append({"id": ident, **values})
        return ident

    def flush(self) -> None:
        for model in ORDER:
            rows = self.rows.pop(model, None)
            if rows:
                self.session.execute(insert(model), rows)
        self.rows.clear()


ORDER: tuple[type[Any], ...] = (
    Client,
    ClientAssignment,
    TypologyAssessment,
    RiskAssessment,
    ThirdParty,
    InterventionPlan,
    PlanRevision,
    PlanGoal,
    PlannedIntervention,
    GoalProgress,
    SessionNote,
    NoteAddendum,
    RiskEvent,
    RiskShareDecision,
    Referral,
    ReferralStatusChange,
    MeasureAdministration,
    MeasureResponse,
)


def load_demo_caseload(
    session: Session, by: StaffRef, clients: int, *, seed: int = 2026, today: date | None = None
) -> DemoResult:
    """Add ``clients`` demo clients, assigned to ``by`` when ``by`` has a clinical role."""
    if not 1 <= clients <= MAX_DEMO_CLIENTS:
        raise ValidationError(f"The number of demo clients is 1 to {MAX_DEMO_CLIENTS:,}.")
    if not by.is_clinical and by.role.value != "administrator":
        raise AccessDenied("You may not load demo data.")
    today = today or date.today()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    service_ids = _ensure_services(session)
    existing = (
        session.scalar(
            select(func.count()).select_from(Client).where(Client.local_ref.like(f"{DEMO_PREFIX}%"))
        )
        or 0
    )
    used_numbers = set(
        session.scalars(select(Client.nhs_number).where(Client.nhs_number.is_not(None))).all()
    ) - {None}
    used: set[str] = {n for n in used_numbers if n}
    builder = _Builder(session, _Ids(session))
    total_sessions = 0
    refs = []
    for n in range(clients):
        ref = f"{DEMO_PREFIX}{existing + n + 1:05d}"
        refs.append(ref)
        total_sessions += _one_client(builder, rng, by, ref, used, service_ids, today)
        if n % 500 == 499:
            builder.flush()
    builder.flush()
    audit.record(
        session,
        audit.Action.IMPORT,
        actor_id=by.id,
        entity="demo_caseload",
        detail={"clients": clients},
    )
    return DemoResult(clients, total_sessions, refs[0], refs[-1])


def _one_client(  # noqa: PLR0917 - a private step of the generator
    b: _Builder,
    rng: random.Random,
    by: StaffRef,
    ref: str,
    used: set[str],
    service_ids: list[int],
    today: date,
) -> int:
    referral_date = today - timedelta(days=rng.randrange(30, 720))
    born = date(rng.randrange(1960, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
    status = rng.choice(
        (ClientStatus.ACTIVE,) * 6
        + (ClientStatus.REFERRED, ClientStatus.ON_HOLD, ClientStatus.CLOSED)
    )
    consent = rng.choice(list(ConsentToShare))
    client_id = b.add(
        Client,
        local_ref=ref,
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        date_of_birth=born,
        nhs_number=demo_nhs_number(rng, used),
        police_ref=f"DEMO/{rng.randrange(10**5, 10**6)}",
        address="1 Demo Street, Demotown",
        site=rng.choice(SITES),
        referral_source=rng.choice(SOURCES),
        referral_date=referral_date,
        status=status,
        consent_to_share=consent,
        sharing_notes="Demo record: sharing basis discussed at first appointment.",
        is_demo=True,
        created_at=_at(referral_date),
        closed_at=_at(today) if status is ClientStatus.CLOSED else None,
        version=1,
    )
    if by.is_clinical:
        b.add(
            ClientAssignment,
            client_id=client_id,
            staff_id=by.id,
            is_lead=True,
            assigned_at=_at(referral_date),
            ended_at=None,
        )
    start = referral_date + timedelta(days=14)
    b.add(
        TypologyAssessment,
        client_id=client_id,
        typology=rng.choice(list(Typology)),
        rationale="Demo rationale: pattern of pursuit after the end of a relationship.",
        assessed_on=start,
        assessed_by=by.id,
        recorded_at=_at(start),
    )
    b.add(
        RiskAssessment,
        client_id=client_id,
        tool=RiskTool.SRP,
        tool_name="",
        tool_version="2",
        assessor_id=by.id,
        assessed_on=start,
        judgements={
            "persistence": rng.choice(("low", "moderate", "high")),
            "recurrence": rng.choice(("low", "moderate", "high")),
            "violence": rng.choice(("low", "moderate")),
        },
        rationale="Demo rationale for the structured judgement.",
        shareable_summary="Risk of persistence is being actively managed.",
        recorded_at=_at(start),
    )
    b.add(
        ThirdParty,
        client_id=client_id,
        label="Person 1",
        relation=ThirdPartyRelation.VICTIM,
        name="Vera Demovictim",
        details="Former partner (demo).",
        recorded_at=_at(start),
    )
    plan_id = b.add(InterventionPlan, client_id=client_id, created_at=_at(start), created_by=by.id)
    keys = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(4)]
    for number in (1, 2):
        saved = start + timedelta(days=(number - 1) * 60)
        revision_id = b.add(
            PlanRevision,
            plan_id=plan_id,
            number=number,
            status=PlanStatus.DRAFT if number == 1 else PlanStatus.ACTIVE,
            phase=Phase.ASSESSMENT if number == 1 else Phase.INTERVENTION,
            formulation="Demo formulation: grievance and entitlement maintain the pursuit.",
            planned_sessions=rng.choice((12, 16, 20)),
            planned_weeks=None,
            next_review_on=saved + timedelta(days=90),
            change_note="" if number == 1 else "Goals refined after assessment.",
            saved_at=_at(saved),
            saved_by=by.id,
        )
        for position, (detail, wording) in enumerate(GOALS[: 1 + number]):
            b.add(
                PlanGoal,
                revision_id=revision_id,
                goal_key=keys[position],
                position=position,
                private_detail=detail,
                partner_wording=wording,
                involves_victim=False,
                victim_review_note="",
            )
        if number == 2:
            b.add(
                PlanGoal,
                revision_id=revision_id,
                goal_key=keys[3],
                position=3,
                private_detail=VICTIM_GOAL[0],
                partner_wording=VICTIM_GOAL[1],
                involves_victim=True,
                victim_review_note="Reviewed: no contact with the victim; letter not sent.",
            )
        b.add(
            PlannedIntervention,
            revision_id=revision_id,
            position=0,
            kind=InterventionKind.CBT,
            detail="Weekly CBT sessions.",
        )
        b.add(
            PlannedIntervention,
            revision_id=revision_id,
            position=1,
            kind=InterventionKind.MOTIVATIONAL_INTERVIEWING,
            detail="",
        )
    for goal_key in keys[:3]:
        rating = rng.randrange(1, 4)
        for month in range(1, 4):
            rated_on = start + timedelta(days=30 * month)
            if rated_on > today:
                break
            rating = min(10, rating + rng.randrange(0, 3))
            b.add(
                GoalProgress,
                plan_id=plan_id,
                goal_key=goal_key,
                rated_on=rated_on,
                rating=rating,
                comment="",
                rated_by=by.id,
                recorded_at=_at(rated_on),
            )
    sessions = rng.randrange(4, 16)
    note_ids: list[int] = []
    for i in range(sessions):
        day = start + timedelta(days=7 * i + 3)
        if day > today:
            break
        attendance = rng.choice(
            (Attendance.ATTENDED,) * 7
            + (Attendance.LATE, Attendance.DID_NOT_ATTEND, Attendance.CANCELLED_BY_CLIENT)
        )
        attended = attendance in (Attendance.ATTENDED, Attendance.LATE)
        content: dict[str, Any] = {
            "session_date": day,
            "duration_minutes": 50 if attended else 0,
            "modality": rng.choice(list(Modality)),
            "attendance": attendance,
            "engagement": rng.choice((Engagement.GOOD, Engagement.PARTIAL))
            if attended
            else Engagement.NOT_ASSESSED,
            "plan_goal_key": keys[0],
            "risk_checkin": rng.choice(CHECKINS) if attended else "",
            "agenda": rng.choice(AGENDAS) if attended else "",
            "intervention_content": rng.choice(CONTENT) if attended else "",
            "homework": rng.choice(HOMEWORK) if attended else "",
            "risk_rerating": rng.choice(RERATING) if attended else "",
            "actions": rng.choice(ACTIONS),
            "partner_update": rng.choice(PARTNER_UPDATES) if attended else "Did not attend.",
            "contact_type": (
                ContactType.DID_NOT_ATTEND
                if attendance is Attendance.DID_NOT_ATTEND
                else ContactType.ASSESSMENT
                if i == 0
                else ContactType.INTERVENTION_SESSION
            ),
        }
        is_last = i == sessions - 1
        written = _at(day, 16)
        signed = not is_last
        values = dict(
            content,
            client_id=client_id,
            author_id=by.id,
            created_at=written,
            updated_at=written,
            signed_at=written if signed else None,
            signed_by=by.id if signed else None,
            version=1,
            entered_in_error_at=None,
            entered_in_error_by=None,
            entered_in_error_reason="",
        )
        values["content_sha256"] = (
            note_seal(NoteContent(**content), by.username, signer=by.username, signed_at=written)
            if signed
            else None
        )
        note_id = b.add(SessionNote, **values)
        note_ids.append(note_id)
        if signed and rng.random() < 0.1:
            reason, text = "Correction", "The homework agreed was a thought record, not a diary."
            b.add(
                NoteAddendum,
                note_id=note_id,
                reason=reason,
                text=text,
                author_id=by.id,
                signed_at=written + timedelta(days=1),
                content_sha256=addendum_seal(
                    values["content_sha256"],
                    reason,
                    text,
                    by.username,
                    signed_at=written + timedelta(days=1),
                ),
            )
    for kind in rng.sample(list(RISK_DETAILS), k=rng.randrange(0, 3)):
        day = min(today, start + timedelta(days=rng.randrange(0, 120)))
        urgency = rng.choice((Urgency.ROUTINE, Urgency.SOON, Urgency.URGENT))
        event_id = b.add(
            RiskEvent,
            client_id=client_id,
            session_note_id=None,
            kind=kind,
            urgency=urgency,
            occurred_on=day,
            detail=RISK_DETAILS[kind],
            shareable_statement=RISK_STATEMENTS[kind],
            recorded_by=by.id,
            recorded_at=_at(day, 17),
        )
        if urgency is not Urgency.URGENT or rng.random() < 0.7:
            shared = rng.random() < 0.6
            b.add(
                RiskShareDecision,
                risk_event_id=event_id,
                decision=ShareDecisionKind.SHARED if shared else ShareDecisionKind.NOT_SHARED,
                reason="Relevant to risk management."
                if shared
                else "Below the threshold for sharing; monitored.",
                gateway=Gateway.CDA_S115 if shared else None,
                shared_with="Police (demo)" if shared else "",
                decided_by=by.id,
                decided_at=_at(day, 18),
            )
    if rng.random() < 0.5:
        created = start + timedelta(days=10)
        path = rng.choice(
            (
                (ReferralStatus.SENT,),
                (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED),
                (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED),
                (ReferralStatus.SENT, ReferralStatus.DECLINED),
            )
        )
        referral_id = b.add(
            Referral,
            client_id=client_id,
            service_id=rng.choice(service_ids),
            reason="Demo reason: assessment of longstanding mood difficulties.",
            clinical_detail="",
            urgency=ReferralUrgency.ROUTINE,
            status=path[-1],
            created_on=created,
            sent_on=created + timedelta(days=7),  # as the history below: sent a week later
            # The bare fact may be shared on consent only where the client gave it.
            fact_shareable=consent is ConsentToShare.GIVEN,
            share_gateway=Gateway.CONSENT if consent is ConsentToShare.GIVEN else None,
            created_by=by.id,
            version=1,
        )
        previous = None
        for step, status in enumerate((ReferralStatus.DRAFT, *path)):
            on = created + timedelta(days=step * 7)
            b.add(
                ReferralStatusChange,
                referral_id=referral_id,
                from_status=previous,
                to_status=status,
                changed_on=min(on, today),
                note="Declined: does not meet criteria (demo)."
                if status is ReferralStatus.DECLINED
                else "",
                changed_by=by.id,
                recorded_at=_at(min(on, today)),
            )
            previous = status
    # Shipped measures (resources/measures), so the demo's scores, bands and changes show.
    for measure, items in (("phq-9", 9), ("gad-7", 7)):
        level = rng.randrange(1, 3)
        for k, note_id in enumerate(note_ids[::4]):
            day = start + timedelta(days=7 * 4 * k + 3)
            admin_id = b.add(
                MeasureAdministration,
                client_id=client_id,
                measure_id=measure,
                measure_version="1",
                administered_on=day,
                mode=MeasureMode.CLINICIAN_ENTRY,
                session_note_id=note_id,
                entered_by=by.id,
                recorded_at=_at(day, 12),
            )
            for item in range(1, items + 1):
                value = max(0, min(3, level - (k // 2) + rng.choice((-1, 0, 0, 1))))
                if measure == "phq-9" and item == 9:
                    value = 0  # no demo client reports thoughts of self-harm
                b.add(MeasureResponse, administration_id=admin_id, item=item, value=value)
    return len(note_ids)
