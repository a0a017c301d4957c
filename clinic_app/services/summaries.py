"""Partner-safe progress summaries, urgent risk notices and clinical summaries: the content.

This module is the *one* place partner-facing content is read from the database. The
builder asks the audience's policy (:mod:`clinic_app.services.sharing.audiences`) what it may
read, and reads it through :class:`~clinic_app.services.sharing.audiences.PartnerReader`, which
selects named columns only and refuses any CLINICAL or THIRD_PARTY column at run time.
What it reads goes into the plain frozen dataclasses below; the PDF renderer
(:mod:`clinic_app.reports.pdf`) sees only those.

The flow for a partner document:

1. :func:`prepare_partner_summary` (or :func:`prepare_risk_notice`) builds the content
   and runs the lexicon check, giving a :class:`Draft` with its hits.
2. The author resolves every hit: :func:`revise` keeps hits (by key) or replaces the
   text of a field (re-checked at once). :func:`accept_all_warnings` keeps every hit
   (the command line's ``--accept-warnings``; the register records it).
3. :mod:`clinic_app.reports.documents` previews and exports the draft; at export it
   rebuilds the content from the database and refuses a draft that differs from what the
   builder gives (other than the author's edits) or has any unresolved hit.

The content dataclasses live here rather than in ``reports/`` because the layer contract
puts ``reports`` above ``services``; ``clinic_app.reports.content`` re-exports them.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import NotFound, ValidationError
from clinic_app.measures.definitions import shipped_definitions
from clinic_app.measures.scoring import Verdict, reliable_change
from clinic_app.models import (
    Client,
    GoalProgress,
    InterventionPlan,
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
    StaffUser,
    TypologyAssessment,
)
from clinic_app.models.enums import (
    Attendance,
    ConsentToShare,
    Engagement,
    Gateway,
    InterventionKind,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    ServiceKind,
    ShareDecisionKind,
    Typology,
    Urgency,
)
from clinic_app.services import measures
from clinic_app.services.common import StaffRef, counted, get_or_raise, require_clinical_access
from clinic_app.services.sharing import lexicon
from clinic_app.services.sharing.audiences import AudiencePolicy, PartnerReader, Section, policy_for
from clinic_app.services.sharing.lexicon import LexiconHit, TextField
from clinic_app.services.validation import Checker, date_problem

PAYLOAD_FORMAT = 1
EARLIEST_PERIOD = date(2000, 1, 1)
NOTE_EXCERPT_CHARS = 400


# -- words ------------------------------------------------------------------------------------

WORDS: dict[enum.Enum, str] = {
    Attendance.ATTENDED: "Attended",
    Attendance.LATE: "Attended late",
    Attendance.DID_NOT_ATTEND: "Did not attend",
    Attendance.CANCELLED_BY_CLIENT: "Cancelled by the client",
    Attendance.CANCELLED_BY_SERVICE: "Cancelled by the service",
    Engagement.GOOD: "Good",
    Engagement.PARTIAL: "Partial",
    Engagement.POOR: "Poor",
    Engagement.NOT_ASSESSED: "Not assessed",
    Modality.IN_PERSON: "In person",
    Modality.VIDEO: "Video",
    Modality.PHONE: "Telephone",
    Phase.ASSESSMENT: "Assessment",
    Phase.ENGAGEMENT: "Engagement",
    Phase.INTERVENTION: "Intervention",
    Phase.CONSOLIDATION: "Consolidation",
    Phase.ENDING: "Ending",
    PlanStatus.DRAFT: "Draft",
    PlanStatus.ACTIVE: "Active",
    PlanStatus.UNDER_REVIEW: "Under review",
    PlanStatus.COMPLETED: "Completed",
    PlanStatus.WITHDRAWN: "Withdrawn",
    RiskEventKind.DISCLOSED_INTENT: "Disclosed intent or threats",
    RiskEventKind.CONTACT_WITH_VICTIM: "Contact or attempted contact with the victim",
    RiskEventKind.ORDER_BREACH: "Breach of an order or condition",
    RiskEventKind.NEW_VICTIM: "A new victim",
    RiskEventKind.ESCALATION: "Escalation",
    RiskEventKind.MENTAL_STATE_DETERIORATION: "Deterioration in mental state raising risk",
    RiskEventKind.DISENGAGEMENT: "Disengagement where attendance is required",
    Urgency.ROUTINE: "Routine",
    Urgency.SOON: "Soon",
    Urgency.URGENT: "Urgent",
    ShareDecisionKind.SHARED: "Shared",
    ShareDecisionKind.NOT_SHARED: "Not shared",
    ServiceKind.PERSONALITY_DISORDER: "Personality disorder service",
    ServiceKind.PSYCHIATRY: "Psychiatry",
    ServiceKind.TALKING_THERAPIES: "NHS Talking Therapies",
    ServiceKind.SUBSTANCE_MISUSE: "Substance misuse service",
    ServiceKind.FORENSIC: "Forensic service",
    ServiceKind.GP: "GP",
    ServiceKind.OTHER: "Other service",
    ReferralStatus.DRAFT: "Draft",
    ReferralStatus.SENT: "Sent",
    ReferralStatus.ACKNOWLEDGED: "Acknowledged",
    ReferralStatus.ACCEPTED: "Accepted",
    ReferralStatus.DECLINED: "Declined",
    ReferralStatus.WAITING_LIST: "On the waiting list",
    ReferralStatus.SEEN: "Seen",
    ReferralStatus.CLOSED: "Closed",
    ReferralUrgency.ROUTINE: "Routine",
    ReferralUrgency.URGENT: "Urgent",
    ReferralUrgency.EMERGENCY: "Emergency",
    InterventionKind.CBT: "Cognitive behavioural therapy",
    InterventionKind.MOTIVATIONAL_INTERVIEWING: "Motivational interviewing",
    InterventionKind.COMPASSION_FOCUSED: "Compassion-focused work",
    InterventionKind.DBT_SKILLS: "DBT skills",
    InterventionKind.SOCIAL_SKILLS: "Social-skills training",
    InterventionKind.VICTIM_EMPATHY: "Victim empathy work",
    InterventionKind.PRACTICAL_SUPPORT: "Practical support",
    InterventionKind.OTHER: "Other",
    Typology.REJECTED: "Rejected",
    Typology.RESENTFUL: "Resentful",
    Typology.INTIMACY_SEEKING: "Intimacy seeking",
    Typology.INCOMPETENT_SUITOR: "Incompetent suitor",
    Typology.PREDATORY: "Predatory",
    Typology.NOT_YET_DETERMINED: "Not yet determined",
}


def words(value: enum.Enum) -> str:
    """A coded value as a clinician would say it ("Did not attend")."""
    return WORDS.get(value) or str(value.value).replace("_", " ").capitalize()


def long_date(value: date) -> str:
    """E.g. "3 March 2026"."""
    return f"{value.day} {value:%B %Y}"


# -- partner summary content ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportingPeriod:
    """The dates a summary covers, both included."""

    start: date
    end: date

    @property
    def words(self) -> str:
        return f"{long_date(self.start)} to {long_date(self.end)}"


@dataclass(frozen=True)
class Subject:
    """Who a document is about: only the identifying details its audience may receive.

    A detail the audience does not receive is None (and is never read from the database).
    """

    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    nhs_number: str | None = None
    local_ref: str | None = None
    police_ref: str | None = None
    address: str | None = None

    def lines(self) -> tuple[tuple[str, str], ...]:
        """(label, value) pairs of the details present, in the order documents show them."""
        out: list[tuple[str, str]] = []
        name = " ".join(p for p in (self.given_name, self.family_name) if p)
        if name:
            out.append(("Name", name))
        if self.date_of_birth is not None:
            out.append(("Date of birth", long_date(self.date_of_birth)))
        if self.nhs_number:
            digits = self.nhs_number
            shown = f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits
            out.append(("NHS number", shown))
        if self.local_ref:
            out.append(("Health team reference", self.local_ref))
        if self.police_ref:
            out.append(("Police or partner reference", self.police_ref))
        if self.address:
            out.append(("Address", self.address))
        return tuple(out)


@dataclass(frozen=True)
class Author:
    """The member of staff who wrote the document, and how to reach them."""

    name: str
    role: str
    contact: str


@dataclass(frozen=True)
class AttendanceEntry:
    session_date: date
    modality: Modality
    attendance: Attendance
    duration_minutes: int


@dataclass(frozen=True)
class AttendanceCounts:
    attended: int = 0
    late: int = 0
    did_not_attend: int = 0
    cancelled_by_client: int = 0
    cancelled_by_service: int = 0

    @property
    def offered(self) -> int:
        """Every session offered in the period."""
        return (
            self.attended
            + self.late
            + self.did_not_attend
            + self.cancelled_by_client
            + self.cancelled_by_service
        )

    @property
    def attended_including_late(self) -> int:
        return self.attended + self.late


@dataclass(frozen=True)
class AttendanceSection:
    entries: tuple[AttendanceEntry, ...]
    counts: AttendanceCounts


@dataclass(frozen=True)
class EngagementSection:
    """Engagement as rated at sessions in the period (sessions not rated are not counted)."""

    good: int
    partial: int
    poor: int
    latest: Engagement | None
    latest_on: date | None

    @property
    def rated(self) -> int:
        return self.good + self.partial + self.poor


@dataclass(frozen=True)
class SessionUpdate:
    """A partner update written at a signed session."""

    session_date: date
    text: str


@dataclass(frozen=True)
class PhaseSection:
    phase: Phase
    plan_status: PlanStatus
    planned_sessions: int | None
    planned_weeks: int | None


@dataclass(frozen=True)
class GoalLine:
    """A plan goal in its partner wording, with its progress (0 none to 10 achieved)."""

    number: int
    partner_wording: str
    rating: int | None
    rated_on: date | None
    rating_at_start: int | None
    """The latest rating on or before the period began, for comparison."""


@dataclass(frozen=True)
class RiskStatement:
    """A risk event as partners may be told it: its shareable statement and share decision."""

    occurred_on: date
    kind: RiskEventKind
    urgency: Urgency
    statement: str
    decision: ShareDecisionKind | None
    decided_on: date | None


@dataclass(frozen=True)
class RiskAssessmentSummary:
    """The shareable summary of the latest structured risk assessment."""

    tool_name: str
    assessed_on: date
    summary: str


@dataclass(frozen=True)
class RiskSection:
    statements: tuple[RiskStatement, ...]
    assessment: RiskAssessmentSummary | None


@dataclass(frozen=True)
class ReferralFact:
    """The bare fact of a referral: only where consent or a gateway is recorded, and only
    once it was sent (a draft, or one withdrawn before sending, is no referral to report).
    ``status`` is as it stood at the end of the period."""

    service_name: str
    service_kind: ServiceKind
    status: ReferralStatus
    sent_on: date | None


@dataclass(frozen=True)
class MeasureDirection:
    """Which way a questionnaire moved, in words only: never answers, scores or bands."""

    measure: str
    first_on: date
    last_on: date
    direction: str
    """E.g. "improving", "no reliable change", "worsening"."""


@dataclass(frozen=True)
class PartnerSummary:
    """Everything a partner progress summary shows, and nothing else.

    A section the audience does not receive is None; a section it receives with nothing
    to report in the period is an empty tuple (or counts of zero). ``sections`` lists the
    sections received, in the order the document shows them.
    """

    audience: str
    audience_title: str
    period: ReportingPeriod
    prepared_on: date
    subject: Subject
    author: Author
    sections: tuple[Section, ...]
    attendance: AttendanceSection | None = None
    engagement: EngagementSection | None = None
    session_updates: tuple[SessionUpdate, ...] | None = None
    phase: PhaseSection | None = None
    goals: tuple[GoalLine, ...] | None = None
    risk: RiskSection | None = None
    referrals: tuple[ReferralFact, ...] | None = None
    measure_directions: tuple[MeasureDirection, ...] | None = None
    next_review: date | None = None


@dataclass(frozen=True)
class RiskNotice:
    """An urgent risk notification about one risk event (one page)."""

    audience: str
    audience_title: str
    prepared_on: date
    subject: Subject
    author: Author
    occurred_on: date
    kind: RiskEventKind
    urgency: Urgency
    statement: str


# -- clinical summary content -----------------------------------------------------------------


@dataclass(frozen=True)
class ClinicalIdentity:
    name: str
    date_of_birth: date
    nhs_number: str | None
    local_ref: str
    police_ref: str
    site: str


@dataclass(frozen=True)
class ClinicalGoal:
    number: int
    private_detail: str
    partner_wording: str
    rating: int | None
    rated_on: date | None


@dataclass(frozen=True)
class ClinicalSession:
    session_date: date
    attendance: Attendance
    modality: Modality
    engagement: Engagement
    signed: bool
    excerpt: str
    """The start of the intervention content (or agenda) of the note."""


@dataclass(frozen=True)
class ClinicalRiskEvent:
    occurred_on: date
    kind: RiskEventKind
    urgency: Urgency
    detail: str
    statement: str
    decision: ShareDecisionKind | None
    decision_reason: str


@dataclass(frozen=True)
class ClinicalMeasure:
    """One administration with its score in words, e.g. "14 of 27, moderate"."""

    measure: str
    administered_on: date
    score: str
    change: str


@dataclass(frozen=True)
class ClinicalReferral:
    service_name: str
    status: ReferralStatus
    urgency: ReferralUrgency
    created_on: date
    reason: str


@dataclass(frozen=True)
class ClinicalSummary:
    """Full clinical content for the clinical record or a referral letter.

    Never for partner agencies: nothing builds it for an audience, and it is marked
    "CLINICAL — NOT FOR PARTNER AGENCIES". Third-party records are never included.
    """

    prepared_on: date
    period: ReportingPeriod | None
    identity: ClinicalIdentity
    author: Author
    typology: Typology | None
    phase: Phase | None
    plan_status: PlanStatus | None
    formulation: str
    goals: tuple[ClinicalGoal, ...]
    interventions: tuple[tuple[InterventionKind, str], ...]
    attendance: AttendanceCounts
    sessions: tuple[ClinicalSession, ...]
    risk_events: tuple[ClinicalRiskEvent, ...]
    measures: tuple[ClinicalMeasure, ...]
    referrals: tuple[ClinicalReferral, ...]
    next_review: date | None


# -- drafts: content with its lexicon check ----------------------------------------------------


@dataclass(frozen=True)
class SummaryRequest:
    """What a partner summary was asked for (so export can rebuild and compare it)."""

    client_id: int
    audience: str
    period_from: date
    period_to: date
    prepared_on: date


@dataclass(frozen=True)
class NoticeRequest:
    """What an urgent risk notice was asked for."""

    client_id: int
    risk_event_id: int
    audience: str
    prepared_on: date


ContentT = TypeVar("ContentT", PartnerSummary, RiskNotice)


@dataclass(frozen=True)
class Draft(Generic[ContentT]):
    """Content on its way out, with the lexicon's hits and how the author resolved them.

    ``kept`` holds the keys of hits the author chose to keep; ``edits`` the fields whose
    text the author replaced (path, new text). A hit in an edited field must be kept
    again if it is still there. ``notes`` are messages for the author (never printed),
    e.g. risk events left out because they have no shareable statement.
    """

    request: SummaryRequest | NoticeRequest
    content: ContentT
    hits: tuple[LexiconHit, ...]
    kept: frozenset[str] = frozenset()
    edits: tuple[tuple[str, str], ...] = ()
    warnings_accepted: bool = False
    notes: tuple[str, ...] = ()

    @property
    def unresolved(self) -> tuple[LexiconHit, ...]:
        return tuple(h for h in self.hits if h.key not in self.kept)

    @property
    def ready(self) -> bool:
        """True when every hit has been kept or edited away."""
        return not self.unresolved

    def text_fields(self) -> tuple[TextField, ...]:
        return text_fields(self.content)


SummaryDraft = Draft[PartnerSummary]
NoticeDraft = Draft[RiskNotice]


# -- free text: what the lexicon scans and the author may edit --------------------------------


def text_fields(content: PartnerSummary | RiskNotice) -> tuple[TextField, ...]:
    """Every shareable free-text field of the content, with a path and a label."""
    if isinstance(content, RiskNotice):
        return (TextField("statement", "The shareable statement", content.statement),)
    out: list[TextField] = []
    for i, update in enumerate(content.session_updates or ()):
        out.append(
            TextField(
                f"session_updates[{i}].text",
                f"The partner update of {long_date(update.session_date)}",
                update.text,
            )
        )
    for i, goal in enumerate(content.goals or ()):
        out.append(
            TextField(
                f"goals[{i}].partner_wording",
                f"Goal {goal.number} (partner wording)",
                goal.partner_wording,
            )
        )
    if content.risk is not None:
        for i, statement in enumerate(content.risk.statements):
            out.append(
                TextField(
                    f"risk.statements[{i}].statement",
                    f"The statement on the risk event of {long_date(statement.occurred_on)}",
                    statement.statement,
                )
            )
        assessment = content.risk.assessment
        if assessment is not None:
            if assessment.tool_name not in TOOL_WORDS.values():
                # Typed by the assessor (a tool of their own, or a fuller name).
                out.append(
                    TextField(
                        "risk.assessment.tool_name",
                        "The name of the risk assessment tool",
                        assessment.tool_name,
                    )
                )
            out.append(
                TextField(
                    "risk.assessment.summary", "The risk assessment summary", assessment.summary
                )
            )
    for i, referral in enumerate(content.referrals or ()):
        out.append(
            TextField(
                f"referrals[{i}].service_name",
                f"Referral {i + 1} (service name)",
                referral.service_name,
            )
        )
    shipped = shipped_titles()
    for i, direction in enumerate(content.measure_directions or ()):
        if direction.measure not in shipped:
            # A measure the clinic imported: its title was written by the clinic.
            out.append(
                TextField(
                    f"measure_directions[{i}].measure",
                    f"Questionnaire {i + 1} (its name)",
                    direction.measure,
                )
            )
    return tuple(out)


TOOL_WORDS: dict[RiskTool, str] = {
    tool: str(tool.value).upper() for tool in RiskTool if tool is not RiskTool.OTHER
}
"""How a structured risk assessment tool is named when the assessor typed no name."""


def shipped_titles() -> frozenset[str]:
    """The short titles of the measures shipped with the app (fixed, vetted text)."""
    return frozenset(d.short_title for d in shipped_definitions())


_STEP = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?$")


def replace_text(content: ContentT, path: str, text: str) -> ContentT:
    """The content with the text at ``path`` (one of :func:`text_fields`) replaced."""
    if path not in {f.path for f in text_fields(content)}:
        raise ValidationError("That part of the document cannot be edited here.", where=path)
    return typing.cast(ContentT, _replace(content, path.split("."), text))


def _replace(obj: Any, steps: list[str], text: str) -> Any:
    match = _STEP.match(steps[0])
    if match is None:  # pragma: no cover - paths come from text_fields
        raise ValueError(steps[0])
    name, index = match.group(1), match.group(2)
    current = getattr(obj, name)
    if index is None:
        new = text if len(steps) == 1 else _replace(current, steps[1:], text)
    else:
        items = list(current)
        i = int(index)
        items[i] = text if len(steps) == 1 else _replace(items[i], steps[1:], text)
        new = tuple(items)
    return dataclasses.replace(obj, **{name: new})


# -- period and access --------------------------------------------------------------------------


def _check_period(period_from: date, period_to: date, today: date) -> None:
    check = Checker()
    check.add("period_to", date_problem(period_to, label="The end of the period", today=today))
    check.add(
        "period_from",
        date_problem(
            period_from, label="The start of the period", today=today, not_before=EARLIEST_PERIOD
        ),
    )
    if period_from > period_to:
        check.add("period_from", "The start of the period must not be after its end.")
    check.raise_if_any()


def _day_after(value: date) -> datetime:
    return datetime.combine(value + timedelta(days=1), time.min, tzinfo=UTC)


# -- the builder ---------------------------------------------------------------------------------


def _subject(session: Session, reader: PartnerReader, client_id: int) -> Subject:
    names = [f.partition(".")[2] for f in reader.policy.identifying]
    columns = [getattr(Client, name) for name in names]
    row = session.execute(reader.select(*columns).where(Client.id == client_id)).one()
    return Subject(**dict(zip(names, row, strict=True)))


def _author(session: Session, reader: PartnerReader, staff_id: int) -> Author:
    row = session.execute(
        reader.select(StaffUser.display_name, StaffUser.job_title, StaffUser.contact).where(
            StaffUser.id == staff_id
        )
    ).one()
    return Author(row[0], row[1] or "", row[2] or "")


def _attendance(
    session: Session, reader: PartnerReader, client_id: int, period: ReportingPeriod
) -> AttendanceSection:
    rows = session.execute(
        reader.select(
            SessionNote.session_date,
            SessionNote.modality,
            SessionNote.attendance,
            SessionNote.duration_minutes,
        )
        .where(
            SessionNote.client_id == client_id,
            SessionNote.session_date >= period.start,
            SessionNote.session_date <= period.end,
            SessionNote.entered_in_error_at.is_(None),
        )
        .order_by(SessionNote.session_date, SessionNote.id)
    ).all()
    entries = tuple(AttendanceEntry(r[0], r[1], r[2], r[3]) for r in rows)
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
            PlanRevision.saved_at < _day_after(period.end),
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
    summary, _notes = _build(
        session,
        by,
        client_id,
        audience=audience,
        period_from=period_from,
        period_to=period_to,
        today=today,
    )
    return summary


def _build(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    audience: str,
    period_from: date,
    period_to: date,
    today: date | None,
) -> tuple[PartnerSummary, list[str]]:
    require_clinical_access(session, by, client_id)
    today = today or date.today()
    _check_period(period_from, period_to, today)
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
        subject=_subject(session, reader, client_id),
        author=_author(session, reader, by.id),
        sections=sections,
        **parts,
    )
    return summary, notes


def _checked(
    session: Session,
    by: StaffRef,
    client_id: int,
    content: ContentT,
    *,
    kept: frozenset[str] = frozenset(),
) -> tuple[tuple[LexiconHit, ...], frozenset[str]]:
    hits = lexicon.check_fields(
        text_fields(content), names=lexicon.third_party_names(session, by, client_id)
    )
    keys = {h.key for h in hits}
    return hits, frozenset(k for k in kept if k in keys)


def prepare_partner_summary(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    audience: str,
    period_from: date,
    period_to: date,
    today: date | None = None,
) -> SummaryDraft:
    """Build a partner summary and run the lexicon check on its free text."""
    summary, notes = _build(
        session,
        by,
        client_id,
        audience=audience,
        period_from=period_from,
        period_to=period_to,
        today=today,
    )
    hits, _ = _checked(session, by, client_id, summary)
    request = SummaryRequest(
        client_id, summary.audience, period_from, period_to, summary.prepared_on
    )
    return Draft(request=request, content=summary, hits=hits, notes=tuple(notes))


def build_risk_notice(
    session: Session,
    by: StaffRef,
    risk_event_id: int,
    *,
    audience: str = "police",
    today: date | None = None,
) -> RiskNotice:
    """The content of an urgent risk notification for one event (no lexicon check).

    Refuses an event with no shareable statement, one decided not to be shared, and an
    audience whose policy does not include risk information.
    """
    client_id = session.execute(
        select(RiskEvent.client_id).where(RiskEvent.id == risk_event_id)
    ).scalar_one_or_none()
    if client_id is None:
        raise NotFound("That risk event could not be found. It may have been removed.")
    require_clinical_access(session, by, client_id)
    policy = policy_for(session, audience)
    if not policy.includes(Section.RISK):
        raise ValidationError(
            f"The {policy.title} audience does not receive risk information. Choose another "
            "audience, or ask an administrator to change what it receives.",
            where="audience",
        )
    reader = PartnerReader(policy)
    row = session.execute(
        reader.select(
            RiskEvent.occurred_on, RiskEvent.kind, RiskEvent.urgency, RiskEvent.shareable_statement
        ).where(RiskEvent.id == risk_event_id)
    ).one()
    latest = session.execute(
        reader.select(RiskShareDecision.decision)
        .where(RiskShareDecision.risk_event_id == risk_event_id)
        .order_by(RiskShareDecision.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    check = Checker()
    if not row[3].strip():
        check.add(
            "statement",
            "This risk event has no shareable statement. Write one on the Risk tab first.",
        )
    if latest is ShareDecisionKind.NOT_SHARED:
        check.add(
            "decision",
            "This risk event was decided not to be shared. Record a new decision to share it "
            "first.",
        )
    check.raise_if_any()
    return RiskNotice(
        audience=policy.name,
        audience_title=policy.title,
        prepared_on=today or date.today(),
        subject=_subject(session, reader, client_id),
        author=_author(session, reader, by.id),
        occurred_on=row[0],
        kind=row[1],
        urgency=row[2],
        statement=row[3].strip(),
    )


def prepare_risk_notice(
    session: Session,
    by: StaffRef,
    risk_event_id: int,
    *,
    audience: str = "police",
    today: date | None = None,
) -> NoticeDraft:
    """Build an urgent risk notification and run the lexicon check on its statement."""
    notice = build_risk_notice(session, by, risk_event_id, audience=audience, today=today)
    client_id = session.execute(
        select(RiskEvent.client_id).where(RiskEvent.id == risk_event_id)
    ).scalar_one()
    hits, _ = _checked(session, by, client_id, notice)
    request = NoticeRequest(client_id, risk_event_id, notice.audience, notice.prepared_on)
    return Draft(request=request, content=notice, hits=hits)


def revise(
    session: Session,
    by: StaffRef,
    draft: Draft[ContentT],
    *,
    keep: Iterable[str] = (),
    edits: Mapping[str, str] | None = None,
) -> Draft[ContentT]:
    """Resolve hits: keep some (by :attr:`LexiconHit.key`) and/or replace fields' text.

    Edited text replaces the field and is checked again at once; hits still in an edited
    field must be kept again. Unknown keys and fields are refused (ValidationError).
    """
    edits = dict(edits or {})
    client_id = draft.request.client_id
    require_clinical_access(session, by, client_id)
    check = Checker()
    known_keys = {h.key for h in draft.hits}
    for key in keep:
        if key not in known_keys:
            check.add("keep", "A warning to keep is not one of this document's warnings.")
    paths = {f.path: f for f in text_fields(draft.content)}
    for path, text in edits.items():
        if path not in paths:
            check.add(path, "That part of the document cannot be edited here.")
        else:
            check.text(path, text, label=paths[path].label, required=True, max_length=5000)
    check.raise_if_any()
    content = draft.content
    for path, text in edits.items():
        content = replace_text(content, path, text.strip())
    kept = {k for k in draft.kept if k.partition("#")[0] not in edits}
    kept.update(k for k in keep if k.partition("#")[0] not in edits)
    hits, still_kept = _checked(session, by, client_id, content, kept=frozenset(kept))
    all_edits = dict(draft.edits)
    all_edits.update({p: t.strip() for p, t in edits.items()})
    return dataclasses.replace(
        draft,
        content=content,
        hits=hits,
        kept=still_kept,
        edits=tuple(sorted(all_edits.items())),
    )


def accept_all_warnings(draft: Draft[ContentT]) -> Draft[ContentT]:
    """Keep every hit at once (recorded in the register as warnings accepted)."""
    return dataclasses.replace(
        draft, kept=frozenset(h.key for h in draft.hits), warnings_accepted=bool(draft.hits)
    )


def rebuild(session: Session, by: StaffRef, draft: Draft[ContentT]) -> Draft[ContentT]:
    """The draft rebuilt from the database with the author's edits and keeps re-applied.

    Export uses this so that what leaves is exactly what the builder gives (plus the
    author's checked edits), whatever object the caller handed in.
    """
    request = draft.request
    fresh: PartnerSummary | RiskNotice
    if isinstance(request, SummaryRequest):
        fresh, notes = _build(
            session,
            by,
            request.client_id,
            audience=request.audience,
            period_from=request.period_from,
            period_to=request.period_to,
            today=request.prepared_on,
        )
    else:
        fresh = build_risk_notice(
            session,
            by,
            request.risk_event_id,
            audience=request.audience,
            today=request.prepared_on,
        )
        notes = []
    content = typing.cast(ContentT, fresh)
    for path, text in draft.edits:
        content = replace_text(content, path, text)
    hits, kept = _checked(session, by, request.client_id, content, kept=draft.kept)
    return Draft(
        request=request,
        content=content,
        hits=hits,
        kept=kept,
        edits=draft.edits,
        warnings_accepted=draft.warnings_accepted,
        notes=tuple(notes),
    )


# -- the clinical summary -----------------------------------------------------------------------


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
        _check_period(start, end, today)
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


# -- payloads: content as JSON, and back ----------------------------------------------------------

_TYPES: dict[str, type[Any]] = {
    "partner_summary": PartnerSummary,
    "risk_notice": RiskNotice,
    "clinical_summary": ClinicalSummary,
}


def content_kind(content: PartnerSummary | RiskNotice | ClinicalSummary) -> str:
    for name, cls in _TYPES.items():
        if isinstance(content, cls):
            return name
    raise TypeError(type(content).__name__)  # pragma: no cover


def to_payload(value: Any) -> Any:
    """Content dataclasses as plain JSON (dates as ISO text, coded values as their codes)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_payload(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_payload(v) for v in value]
    return value


def content_to_payload(content: PartnerSummary | RiskNotice | ClinicalSummary) -> dict[str, Any]:
    return {"format": PAYLOAD_FORMAT, "kind": content_kind(content), "data": to_payload(content)}


def content_from_payload(
    payload: Mapping[str, Any],
) -> PartnerSummary | RiskNotice | ClinicalSummary:
    """The content a document was rendered from, exactly as stored."""
    if payload.get("format") != PAYLOAD_FORMAT or payload.get("kind") not in _TYPES:
        raise ValidationError("The stored document is in a form this version cannot read.")
    value = _from(_TYPES[payload["kind"]], payload["data"])
    assert isinstance(value, PartnerSummary | RiskNotice | ClinicalSummary)
    return value


def _from(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if data is None:
            return None
        return _from(args[0], data)
    if origin is tuple:
        members = typing.get_args(kind)
        if len(members) == 2 and members[1] is Ellipsis:
            return tuple(_from(members[0], v) for v in data)
        return tuple(_from(a, v) for a, v in zip(members, data, strict=True))
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        return kind(
            **{f.name: _from(hints[f.name], data[f.name]) for f in dataclasses.fields(kind)}
        )
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    return data


__all__ = [
    "AttendanceCounts",
    "AttendanceEntry",
    "AttendanceSection",
    "Author",
    "ClinicalGoal",
    "ClinicalIdentity",
    "ClinicalMeasure",
    "ClinicalReferral",
    "ClinicalRiskEvent",
    "ClinicalSession",
    "ClinicalSummary",
    "Draft",
    "EngagementSection",
    "GoalLine",
    "MeasureDirection",
    "NoticeDraft",
    "NoticeRequest",
    "PartnerSummary",
    "PhaseSection",
    "ReferralFact",
    "ReportingPeriod",
    "RiskAssessmentSummary",
    "RiskNotice",
    "RiskSection",
    "RiskStatement",
    "SessionUpdate",
    "Subject",
    "SummaryDraft",
    "SummaryRequest",
    "accept_all_warnings",
    "build_clinical_summary",
    "build_partner_summary",
    "build_risk_notice",
    "content_from_payload",
    "content_to_payload",
    "long_date",
    "prepare_partner_summary",
    "prepare_risk_notice",
    "rebuild",
    "replace_text",
    "revise",
    "text_fields",
    "words",
]
