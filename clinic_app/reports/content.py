"""What a renderer is given: a document frame and plain content dataclasses.

The content dataclasses are defined in :mod:`clinic_app.services.summaries` (the layer
contract puts ``reports`` above ``services``, so the builder cannot import from here) and
re-exported below, so a renderer imports everything it may see from this one module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from clinic_app.services.settings import DOCUMENT_HANDLING, DOCUMENT_MARKING
from clinic_app.services.summaries import (
    AttendanceCounts,
    AttendanceEntry,
    AttendanceSection,
    Author,
    ClinicalGoal,
    ClinicalIdentity,
    ClinicalMeasure,
    ClinicalReferral,
    ClinicalRiskEvent,
    ClinicalSession,
    ClinicalSummary,
    EngagementSection,
    GoalLine,
    MeasureDirection,
    PartnerSummary,
    PhaseSection,
    ReferralFact,
    ReportingPeriod,
    RiskAssessmentSummary,
    RiskNotice,
    RiskSection,
    RiskStatement,
    SessionUpdate,
    Subject,
    long_date,
    words,
)

DEFAULT_MARKING: Final = DOCUMENT_MARKING.default
DEFAULT_HANDLING: Final = DOCUMENT_HANDLING.default
CLINICAL_MARKING: Final = "CLINICAL \u2014 NOT FOR PARTNER AGENCIES"
CLINICAL_HANDLING: Final = (
    "Clinical information for the health record or a clinical referral only: never for "
    "police, probation, victim services or a multi-agency panel."
)


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


__all__ = [
    "CLINICAL_HANDLING",
    "CLINICAL_MARKING",
    "DEFAULT_HANDLING",
    "DEFAULT_MARKING",
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
    "DocumentFrame",
    "EngagementSection",
    "GoalLine",
    "MeasureDirection",
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
    "long_date",
    "words",
]
