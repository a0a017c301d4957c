"""What a renderer is given: a document frame and plain content dataclasses.

Everything here is plain data: frozen dataclasses of dates, coded values and text, with
no database session and nothing that could read more. The services in
:mod:`clinic_app.services.sharing` fill them (a partner document only with what its
audience's policy allows, read through the gate); the renderers in this package turn them
into PDF bytes, and the disclosure register keeps them as JSON so a past document can be
drawn again exactly.

- :class:`DocumentFrame`: what every page carries (marking, handling, recipient, ID).
- :class:`Section`: the parts of a partner summary an audience may receive.
- :class:`PartnerSummary` and its parts; :class:`RiskNotice` (urgent risk notification).
- :class:`ClinicalSummary` and its parts (never for partner agencies).
- :class:`LetterFacts` and its parts (a referral letter to a specialist service).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from clinic_app.models.enums import (
    Attendance,
    Engagement,
    InterventionKind,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    Section,
    ServiceKind,
    ShareDecisionKind,
    Typology,
    Urgency,
)
from clinic_app.wording import long_date

CLINICAL_MARKING: Final = "CLINICAL \u2014 NOT FOR PARTNER AGENCIES"
CLINICAL_HANDLING: Final = (
    "Clinical information for the health record or a clinical referral only: never for "
    "police, probation, victim services or a multi-agency panel."
)


# -- the frame ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFrame:
    """What every page of a document carries, apart from its content.

    Nothing here names the client or holds clinical content: the frame also fills the
    PDF's metadata.
    """

    title: str
    """E.g. "Progress summary"."""
    marking: str
    """Printed at the top and bottom of every page, e.g. OFFICIAL-SENSITIVE."""
    handling: str
    document_id: str
    issued_on: date
    recipient_agency: str
    recipient_person: str
    purpose: str
    audience_title: str
    gateway: str = ""
    """The legal gateway in words ("Crime and Disorder Act 1998 s115"), or empty."""

    @property
    def recipient(self) -> str:
        if self.recipient_person.strip():
            return f"{self.recipient_person.strip()}, {self.recipient_agency.strip()}"
        return self.recipient_agency.strip()

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "marking": self.marking,
            "handling": self.handling,
            "document_id": self.document_id,
            "issued_on": self.issued_on.isoformat(),
            "recipient_agency": self.recipient_agency,
            "recipient_person": self.recipient_person,
            "purpose": self.purpose,
            "audience_title": self.audience_title,
            "gateway": self.gateway,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentFrame:
        return cls(
            title=str(data["title"]),
            marking=str(data["marking"]),
            handling=str(data["handling"]),
            document_id=str(data["document_id"]),
            issued_on=date.fromisoformat(str(data["issued_on"])),
            recipient_agency=str(data["recipient_agency"]),
            recipient_person=str(data["recipient_person"]),
            purpose=str(data["purpose"]),
            audience_title=str(data["audience_title"]),
            gateway=str(data.get("gateway", "")),
        )


# -- the sections of a partner summary ----------------------------------------------------------


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


# -- referral letter content -------------------------------------------------------------------


@dataclass(frozen=True)
class LetterRiskAssessment:
    """The latest structured risk assessment, as the assessor summarised it."""

    tool: str
    version: str
    assessed_on: date
    judgements: tuple[tuple[str, str], ...]
    summary: str


@dataclass(frozen=True)
class LetterRiskEvent:
    """A recent risk event, by its kind, date and the statement written for sharing.

    The private detail of an event is left out: it often names the victim or other
    people, and information about other people never leaves the record.
    """

    occurred_on: date
    kind: str
    urgency: str
    statement: str


@dataclass(frozen=True)
class LetterFacts:
    """Everything a referral letter says, read from the referral and the client's record."""

    referral_id: int
    client_id: int
    letter_date: date
    service_name: str
    service_kind: str
    service_contact: str
    snomed_concept_id: str | None
    client_name: str
    date_of_birth: date
    nhs_number: str | None
    address: str
    local_ref: str
    is_demo: bool
    urgency: str
    status: str
    created_on: date
    sent_on: date | None
    reason: str
    clinical_detail: str
    fact_shareable: bool
    risk_assessment: LetterRiskAssessment | None
    risk_events: tuple[LetterRiskEvent, ...]
    referrer_name: str
    referrer_title: str
    referrer_contact: str
    salutation: str = ""
    """The letter's salutation, from the service's referral template (empty in letters
    issued before templates: they are drawn again without one)."""
    opening: str = ""
    """The covering paragraphs before the referral's facts, as the clinician approved them."""
    sign_off: str = ""

    def as_payload(self) -> dict[str, Any]:
        """The facts as JSON-ready values (kept with the disclosure so it can be reproduced)."""

        def plain(value: Any) -> Any:
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, tuple | list):
                return [plain(v) for v in value]
            if isinstance(value, LetterRiskAssessment | LetterRiskEvent):
                return {k: plain(getattr(value, k)) for k in value.__dataclass_fields__}
            return value

        return {k: plain(getattr(self, k)) for k in self.__dataclass_fields__}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> LetterFacts:
        """The facts back from :meth:`as_payload` (to draw a past letter again)."""

        def day(value: Any) -> date:
            return date.fromisoformat(str(value))

        assessment = data.get("risk_assessment")
        return cls(
            **{
                **data,
                "letter_date": day(data["letter_date"]),
                "date_of_birth": day(data["date_of_birth"]),
                "created_on": day(data["created_on"]),
                "sent_on": day(data["sent_on"]) if data.get("sent_on") else None,
                "risk_assessment": None
                if assessment is None
                else LetterRiskAssessment(
                    str(assessment["tool"]),
                    str(assessment["version"]),
                    day(assessment["assessed_on"]),
                    tuple((str(k), str(v)) for k, v in assessment["judgements"]),
                    str(assessment["summary"]),
                ),
                "risk_events": tuple(
                    LetterRiskEvent(
                        day(e["occurred_on"]),
                        str(e["kind"]),
                        str(e["urgency"]),
                        str(e["statement"]),
                    )
                    for e in data["risk_events"]
                ),
            }
        )


def sha256_hex(data: bytes) -> str:
    """A document's fingerprint, as the disclosure register records it."""
    return hashlib.sha256(data).hexdigest()
