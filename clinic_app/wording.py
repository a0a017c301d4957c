"""The words for coded values, dates and counts: one place for every word the clinic uses.

Plain functions and tables with no database and no Qt, so documents, the services that
build their content, exports, the command line and the screens all say a thing the same
way. Each coded value has one long form (``<KIND>_WORDS``, all gathered in :data:`WORDS`);
where a narrow table column needs fewer words there is a ``<KIND>_SHORT`` beside it, and a
few values also have an explanation or a phrase for the middle of a sentence, named so.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Final

from clinic_app.models.enums import (
    AppointmentStatus,
    Attendance,
    CancelledBy,
    ClientStatus,
    ConsentToShare,
    ContactType,
    CriticalReviewOutcome,
    DisclosureKind,
    Engagement,
    Gateway,
    InterventionKind,
    LetterKind,
    MeasureMode,
    Modality,
    Phase,
    PlanStatus,
    ProtectiveMeasureKind,
    ReferralStatus,
    ReferralUrgency,
    Repeat,
    RiskEventKind,
    RiskTool,
    Role,
    Section,
    ServiceKind,
    ShareDecisionKind,
    ThirdPartyRelation,
    Typology,
    Urgency,
)

# -- the client -----------------------------------------------------------------------------

ROLE_WORDS: dict[Role, str] = {
    Role.PSYCHOLOGIST: "Psychologist",
    Role.CLINICIAN: "Clinician",
    Role.ADMINISTRATOR: "Administrator",
}

CLIENT_STATUS_WORDS: dict[ClientStatus, str] = {
    ClientStatus.REFERRED: "Referred",
    ClientStatus.ACTIVE: "Active",
    ClientStatus.ON_HOLD: "On hold",
    ClientStatus.CLOSED: "Closed",
}

TYPOLOGY_WORDS: dict[Typology, str] = {
    Typology.REJECTED: "Rejected",
    Typology.RESENTFUL: "Resentful",
    Typology.INTIMACY_SEEKING: "Intimacy seeking",
    Typology.INCOMPETENT_SUITOR: "Incompetent suitor",
    Typology.PREDATORY: "Predatory",
    Typology.NOT_YET_DETERMINED: "Not yet determined",
}

CONSENT_WORDS: dict[ConsentToShare, str] = {
    ConsentToShare.GIVEN: "Given",
    ConsentToShare.REFUSED: "Refused",
    ConsentToShare.NOT_ASKED: "Not asked",
    ConsentToShare.NOT_REQUIRED: "Not required (a statutory gateway applies)",
}

CONSENT_PHRASES: dict[ConsentToShare, str] = {
    ConsentToShare.GIVEN: "consent was given",
    ConsentToShare.REFUSED: "consent was refused",
    ConsentToShare.NOT_ASKED: "consent has not been asked",
    ConsentToShare.NOT_REQUIRED: "a statutory gateway applies instead",
}
"""What the record says about consent, for the middle of a sentence ("... because ...")."""

RISK_TOOL_WORDS: dict[RiskTool, str] = {
    RiskTool.SRP: "Stalking Risk Profile (SRP)",
    RiskTool.SAM: "Stalking Assessment and Management (SAM)",
    RiskTool.S_DASH: "S-DASH",
    RiskTool.OTHER: "Other tool",
}

# -- sessions --------------------------------------------------------------------------------

ATTENDANCE_WORDS: dict[Attendance, str] = {
    Attendance.ATTENDED: "Attended",
    Attendance.LATE: "Attended late",
    Attendance.DID_NOT_ATTEND: "Did not attend",
    Attendance.CANCELLED_BY_CLIENT: "Cancelled by the client",
    Attendance.CANCELLED_BY_SERVICE: "Cancelled by the service",
}

ATTENDANCE_SHORT: dict[Attendance, str] = {
    Attendance.ATTENDED: "Attended",
    Attendance.LATE: "Late",
    Attendance.DID_NOT_ATTEND: "Did not attend",
    Attendance.CANCELLED_BY_CLIENT: "Cancelled by client",
    Attendance.CANCELLED_BY_SERVICE: "Cancelled by service",
}
"""Attendance as the sessions table's narrow column names it."""

MODALITY_WORDS: dict[Modality, str] = {
    Modality.IN_PERSON: "In person",
    Modality.VIDEO: "Video",
    Modality.PHONE: "Telephone",
}

CONTACT_TYPE_WORDS: dict[ContactType, str] = {
    ContactType.ASSESSMENT: "Assessment",
    ContactType.INTERVENTION_SESSION: "Intervention session",
    ContactType.TELEPHONE_CONTACT: "Telephone contact",
    ContactType.PROFESSIONALS_MEETING: "Professionals' meeting",
    ContactType.DID_NOT_ATTEND: "Did not attend",
}

ENGAGEMENT_WORDS: dict[Engagement, str] = {
    # "Not assessed" first: it is what a new note starts with.
    Engagement.NOT_ASSESSED: "Not assessed",
    Engagement.GOOD: "Good",
    Engagement.PARTIAL: "Partial",
    Engagement.POOR: "Poor",
}

# -- the intervention plan --------------------------------------------------------------------

PHASE_WORDS: dict[Phase, str] = {
    Phase.ASSESSMENT: "Assessment",
    Phase.ENGAGEMENT: "Engagement",
    Phase.INTERVENTION: "Intervention",
    Phase.CONSOLIDATION: "Consolidation",
    Phase.ENDING: "Ending",
}

PLAN_STATUS_WORDS: dict[PlanStatus, str] = {
    PlanStatus.DRAFT: "Draft",
    PlanStatus.ACTIVE: "Active",
    PlanStatus.UNDER_REVIEW: "Under review",
    PlanStatus.COMPLETED: "Completed",
    PlanStatus.WITHDRAWN: "Withdrawn",
}

INTERVENTION_WORDS: dict[InterventionKind, str] = {
    InterventionKind.CBT: "Cognitive behavioural therapy",
    InterventionKind.MOTIVATIONAL_INTERVIEWING: "Motivational interviewing",
    InterventionKind.COMPASSION_FOCUSED: "Compassion-focused work",
    InterventionKind.DBT_SKILLS: "DBT skills",
    InterventionKind.SOCIAL_SKILLS: "Social-skills training",
    InterventionKind.VICTIM_EMPATHY: "Victim empathy work",
    InterventionKind.PRACTICAL_SUPPORT: "Practical support",
    InterventionKind.OTHER: "Other",
}

# -- risk -------------------------------------------------------------------------------------

RISK_EVENT_WORDS: dict[RiskEventKind, str] = {
    RiskEventKind.DISCLOSED_INTENT: "Disclosed intent or threats",
    RiskEventKind.CONTACT_WITH_VICTIM: "Contact or attempted contact with the victim",
    RiskEventKind.ORDER_BREACH: "Breach of an order or condition",
    RiskEventKind.NEW_VICTIM: "A new victim",
    RiskEventKind.ESCALATION: "Escalation",
    RiskEventKind.MENTAL_STATE_DETERIORATION: "Deterioration in mental state raising risk",
    RiskEventKind.DISENGAGEMENT: "Disengagement where attendance is required",
}

RISK_EVENT_SHORT: dict[RiskEventKind, str] = {
    RiskEventKind.DISCLOSED_INTENT: "Disclosed intent or threats",
    RiskEventKind.CONTACT_WITH_VICTIM: "Contact with the victim or their associates",
    RiskEventKind.ORDER_BREACH: "Breach of an order or condition",
    RiskEventKind.NEW_VICTIM: "A new victim",
    RiskEventKind.ESCALATION: "Escalation",
    RiskEventKind.MENTAL_STATE_DETERIORATION: "Deterioration in mental state",
    RiskEventKind.DISENGAGEMENT: "Disengagement where attendance is required",
}
"""The kind of a risk event as the risk table and banner name it; the full words are in tooltips
and details."""

RISK_EVENT_DESCRIBED: dict[RiskEventKind, str] = {
    RiskEventKind.DISCLOSED_INTENT: "Disclosed intent or threats",
    RiskEventKind.CONTACT_WITH_VICTIM: (
        "Contact or attempted contact with the victim or their associates "
        "(including by proxy or online)"
    ),
    RiskEventKind.ORDER_BREACH: (
        "Breach of an order or condition (Stalking Protection Order, restraining order, "
        "bail or licence)"
    ),
    RiskEventKind.NEW_VICTIM: "A new victim",
    RiskEventKind.ESCALATION: "Escalation (weapons, violence, surveillance)",
    RiskEventKind.MENTAL_STATE_DETERIORATION: "Deterioration in mental state that raises risk",
    RiskEventKind.DISENGAGEMENT: "Disengagement where attendance is required",
}
"""The kind of a risk event with what it covers, as the risk form offers and shows it."""

RISK_URGENCY_WORDS: dict[Urgency, str] = {
    Urgency.ROUTINE: "Routine",
    Urgency.SOON: "Soon",
    Urgency.URGENT: "Urgent",
}

RISK_URGENCY_EXPLAINED: dict[Urgency, str] = {
    Urgency.ROUTINE: "No immediate change in risk: review it at the next planned review.",
    Urgency.SOON: "Risk has changed: decide about sharing and tell partners within days.",
    Urgency.URGENT: (
        "Someone may be at risk of serious harm now: decide about sharing today "
        "(a shareable statement is required)."
    ),
}
"""What each urgency of a risk event means for the clinician."""

SHARE_DECISION_WORDS: dict[ShareDecisionKind, str] = {
    ShareDecisionKind.SHARED: "Shared",
    ShareDecisionKind.NOT_SHARED: "Not shared",
}

# -- referrals to other services ------------------------------------------------------------

SERVICE_KIND_WORDS: dict[ServiceKind, str] = {
    ServiceKind.PERSONALITY_DISORDER: "Personality disorder service",
    ServiceKind.PSYCHIATRY: "Psychiatry",
    ServiceKind.TALKING_THERAPIES: "NHS Talking Therapies",
    ServiceKind.SUBSTANCE_MISUSE: "Substance misuse service",
    ServiceKind.FORENSIC: "Forensic service",
    ServiceKind.GP: "GP",
    ServiceKind.OTHER: "Other service",
}

REFERRAL_STATUS_WORDS: dict[ReferralStatus, str] = {
    # In the order a referral normally moves through them.
    ReferralStatus.DRAFT: "Draft",
    ReferralStatus.SENT: "Sent",
    ReferralStatus.ACKNOWLEDGED: "Acknowledged",
    ReferralStatus.ACCEPTED: "Accepted",
    ReferralStatus.DECLINED: "Declined",
    ReferralStatus.WAITING_LIST: "On the waiting list",
    ReferralStatus.SEEN: "Seen",
    ReferralStatus.CLOSED: "Closed",
}

REFERRAL_NEXT_STEP_WORDS: dict[ReferralStatus, str] = {
    ReferralStatus.SENT: "Sent to the service",
    ReferralStatus.ACKNOWLEDGED: "Acknowledged by the service",
    ReferralStatus.ACCEPTED: "Accepted by the service",
    ReferralStatus.DECLINED: "Declined by the service (give the reason)",
    ReferralStatus.WAITING_LIST: "Put on the service's waiting list",
    ReferralStatus.SEEN: "Client seen by the service",
    ReferralStatus.CLOSED: "Closed",
}
"""A referral's next status as the step the clinician is recording."""

REFERRAL_URGENCY_WORDS: dict[ReferralUrgency, str] = {
    ReferralUrgency.ROUTINE: "Routine",
    ReferralUrgency.URGENT: "Urgent",
    ReferralUrgency.EMERGENCY: "Emergency",
}

# -- sharing with partners --------------------------------------------------------------------

GATEWAY_WORDS: dict[Gateway, str] = {
    Gateway.CONSENT: "Consent of the client",
    Gateway.CDA_S115: "Crime and Disorder Act 1998 s115",
    Gateway.DPA_SCH1_PARA2: "DPA 2018 Schedule 1 para 2 (health or social care)",
    Gateway.DPA_SCH1_PARA10: "DPA 2018 Schedule 1 para 10 (preventing or detecting unlawful acts)",
    Gateway.DPA_SCH1_PARA18: "DPA 2018 Schedule 1 para 18 (safeguarding)",
    Gateway.GDPR_ART10: "UK GDPR Article 10 (criminal-offence data)",
    Gateway.PUBLIC_INTEREST: "Common-law public-interest disclosure (serious harm)",
}

GATEWAY_BASIS: dict[Gateway, str] = {
    Gateway.CONSENT: "The client has agreed to this information being shared.",
    Gateway.CDA_S115: (
        "A power to share with the police, probation, health and local authorities to "
        "prevent crime and disorder."
    ),
    Gateway.DPA_SCH1_PARA2: (
        "UK GDPR Article 6(1)(e) public task and Article 9, with the Data Protection Act "
        "2018, Schedule 1, paragraph 2 (health or social care)."
    ),
    Gateway.DPA_SCH1_PARA10: (
        "UK GDPR Article 6(1)(e) public task and Article 9, with the Data Protection Act "
        "2018, Schedule 1, paragraph 10 (preventing or detecting unlawful acts)."
    ),
    Gateway.DPA_SCH1_PARA18: (
        "UK GDPR Article 6(1)(e) public task and Article 9, with the Data Protection Act "
        "2018, Schedule 1, paragraph 18 (safeguarding children and people at risk)."
    ),
    Gateway.GDPR_ART10: (
        "UK GDPR Article 10 (criminal offence data), with the Data Protection Act 2018, Schedule 1."
    ),
    Gateway.PUBLIC_INTEREST: (
        "Common-law disclosure in the public interest, to prevent a risk of serious harm."
    ),
}
"""The legal basis behind each gateway, as the register and the forms explain it."""

DISCLOSURE_KIND_WORDS: dict[DisclosureKind, str] = {
    DisclosureKind.PARTNER_SUMMARY: "Progress summary",
    DisclosureKind.RISK_NOTICE: "Urgent risk notification",
    DisclosureKind.REFERRAL_LETTER: "Referral letter",
    DisclosureKind.CLINICAL_SUMMARY: "Clinical summary",
    DisclosureKind.RECORD_EXPORT: "Record export",
    DisclosureKind.DECISION_NOT_TO_SHARE: "Decision not to share",
    DisclosureKind.RISK_EVENT_SHARED: "Risk event shared",
    DisclosureKind.SUBJECT_ACCESS: "Subject access disclosure",
    DisclosureKind.LETTER: "Letter",
}

DISCLOSURE_KIND_SHORT: dict[DisclosureKind, str] = {
    **DISCLOSURE_KIND_WORDS,
    DisclosureKind.RISK_NOTICE: "Risk notification",
}
"""What each register entry is, as the register's table names it; the full words are in its
tooltip."""

LETTER_KIND_WORDS: dict[LetterKind, str] = {
    LetterKind.REFERRAL: "Referral letter",
    LetterKind.GP_UPDATE: "GP update letter",
    LetterKind.DID_NOT_ATTEND: "Did-not-attend letter",
}
"""Each kind of letter a template is kept for."""

NO_GATEWAY_WORDS: Final = "None needed (our own clinical record)"
"""A document that does not leave the service needs no gateway: said the same everywhere."""

GATEWAY_LABEL: Final = "Legal gateway"
"""What every form and document calls the basis a disclosure is made under."""


def gateway_words(gateway: Gateway | None) -> str:
    """A gateway in the one wording every screen and document uses."""
    if gateway is None:
        return NO_GATEWAY_WORDS
    return GATEWAY_WORDS[gateway]


# -- other people and measures ----------------------------------------------------------------

RELATION_WORDS: dict[ThirdPartyRelation, str] = {
    ThirdPartyRelation.VICTIM: "Victim",
    ThirdPartyRelation.VICTIM_FAMILY: "Victim's family",
    ThirdPartyRelation.VICTIM_ASSOCIATE: "Victim's friend or colleague",
    ThirdPartyRelation.NEW_PARTNER: "Victim's new partner",
    ThirdPartyRelation.OTHER: "Other person",
}

PROTECTIVE_MEASURE_WORDS: dict[ProtectiveMeasureKind, str] = {
    ProtectiveMeasureKind.STALKING_PROTECTION_ORDER: "Stalking protection order",
    ProtectiveMeasureKind.INTERIM_STALKING_PROTECTION_ORDER: "Interim stalking protection order",
    ProtectiveMeasureKind.RESTRAINING_ORDER: "Restraining order",
    ProtectiveMeasureKind.NON_MOLESTATION_ORDER: "Non-molestation order",
    ProtectiveMeasureKind.BAIL_CONDITIONS: "Bail conditions",
    ProtectiveMeasureKind.LICENCE_CONDITIONS: "Licence conditions",
    ProtectiveMeasureKind.OTHER: "Other protective measure",
}

CRITICAL_REVIEW_OUTCOME_WORDS: dict[CriticalReviewOutcome, str] = {
    CriticalReviewOutcome.RISK_EVENT_RECORDED: "Risk event recorded",
    CriticalReviewOutcome.NO_FURTHER_ACTION: "Reviewed: no further action",
}

MEASURE_MODE_WORDS: dict[MeasureMode, str] = {
    MeasureMode.CLINICIAN_ENTRY: "Clinician entry",
    MeasureMode.SELF_COMPLETION: "Self-completion",
}

APPOINTMENT_STATUS_WORDS: dict[AppointmentStatus, str] = {
    AppointmentStatus.BOOKED: "Booked",
    AppointmentStatus.ATTENDED: "Attended",
    AppointmentStatus.DID_NOT_ATTEND: "Did not attend",
    AppointmentStatus.CANCELLED: "Cancelled",
}

CANCELLED_BY_WORDS: dict[CancelledBy, str] = {
    CancelledBy.CLIENT: "Cancelled by the client",
    CancelledBy.SERVICE: "Cancelled by the service",
}

REPEAT_WORDS: dict[Repeat, str] = {
    Repeat.NONE: "Does not repeat",
    Repeat.WEEKLY: "Weekly",
    Repeat.FORTNIGHTLY: "Fortnightly",
    Repeat.MONTHLY: "Monthly",
}


def words(value: enum.Enum) -> str:
    """A coded value as a clinician would say it ("Did not attend")."""
    return WORDS.get((type(value), value.value)) or str(value.value).replace("_", " ").capitalize()


def long_date(value: date) -> str:
    """E.g. "3 March 2026"."""
    return f"{value.day} {value:%B %Y}"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``3 warnings``, ``1 warning``: a number with its noun in the right number."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def digits_of(text: str | None) -> str:
    """Only the digits of ``text`` (NHS numbers are stored as digits, so usually all of it)."""
    if not text:
        return ""
    if text.isdigit():
        return text
    return "".join(ch for ch in text if ch.isdigit())


def format_nhs_number(number: str | None) -> str:
    """An NHS number as people read it (943 476 5919); anything else as stored."""
    if not number:
        return ""
    digits = digits_of(number)
    if len(digits) != 10:
        return number
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def age_on(born: date, today: date) -> int:
    """Whole years of age on ``today``."""
    return today.year - born.year - int((today.month, today.day) < (born.month, born.day))


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


# -- every coded value's long form --------------------------------------------------------------

_LONG_FORMS: Final[tuple[Iterable[tuple[enum.Enum, str]], ...]] = (
    ROLE_WORDS.items(),
    CLIENT_STATUS_WORDS.items(),
    TYPOLOGY_WORDS.items(),
    CONSENT_WORDS.items(),
    RISK_TOOL_WORDS.items(),
    ATTENDANCE_WORDS.items(),
    MODALITY_WORDS.items(),
    CONTACT_TYPE_WORDS.items(),
    ENGAGEMENT_WORDS.items(),
    PHASE_WORDS.items(),
    PLAN_STATUS_WORDS.items(),
    INTERVENTION_WORDS.items(),
    RISK_EVENT_WORDS.items(),
    RISK_URGENCY_WORDS.items(),
    SHARE_DECISION_WORDS.items(),
    SERVICE_KIND_WORDS.items(),
    REFERRAL_STATUS_WORDS.items(),
    REFERRAL_URGENCY_WORDS.items(),
    GATEWAY_WORDS.items(),
    DISCLOSURE_KIND_WORDS.items(),
    LETTER_KIND_WORDS.items(),
    RELATION_WORDS.items(),
    PROTECTIVE_MEASURE_WORDS.items(),
    CRITICAL_REVIEW_OUTCOME_WORDS.items(),
    MEASURE_MODE_WORDS.items(),
    APPOINTMENT_STATUS_WORDS.items(),
    CANCELLED_BY_WORDS.items(),
    REPEAT_WORDS.items(),
    SECTION_TITLES.items(),
)

WORDS: Final[dict[tuple[type[enum.Enum], str], str]] = {
    (type(value), value.value): text for form in _LONG_FORMS for value, text in form
}
"""The one long form of each coded value, by its kind and value, that :func:`words` names
(by kind: an appointment's "attended" and a note's "attended" are different values)."""
