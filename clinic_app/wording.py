"""The words for coded values, dates and counts: one place for every word the clinic uses.

Plain functions with no database and no Qt, so documents, the services that build their
content, exports, the command line and the screens all say a thing the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import Final

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


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``3 warnings``, ``1 warning``: a number with its noun in the right number."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


SECTION_TITLES: Final[Mapping[Section, str]] = {
    Section.ATTENDANCE: "Attendance",
    Section.ENGAGEMENT: "Engagement",
    Section.SESSION_UPDATES: "Updates written for partners",
    Section.PHASE: "Phase of the work",
    Section.GOALS: "Goals and progress",
    Section.RISK: "Risk-relevant events",
    Section.REFERRALS: "Referrals to other services",
    Section.MEASURE_DIRECTION: "Direction of change on questionnaires",
    Section.NEXT_REVIEW: "Next review",
}
