"""The clinic's controlled vocabularies, in the words clinicians use (DOMAIN.md)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PSYCHOLOGIST = "psychologist"
    CLINICIAN = "clinician"
    ADMINISTRATOR = "administrator"

    @property
    def is_clinical(self) -> bool:
        return self is not Role.ADMINISTRATOR


class ClientStatus(StrEnum):
    REFERRED = "referred"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class Typology(StrEnum):
    """Mullen et al.'s typology of people who stalk."""

    REJECTED = "rejected"
    RESENTFUL = "resentful"
    INTIMACY_SEEKING = "intimacy_seeking"
    INCOMPETENT_SUITOR = "incompetent_suitor"
    PREDATORY = "predatory"
    NOT_YET_DETERMINED = "not_yet_determined"


class ConsentToShare(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_ASKED = "not_asked"
    NOT_REQUIRED = "not_required"  # a statutory gateway applies


class Gateway(StrEnum):
    """Legal bases a disclosure is recorded under (DOMAIN.md section 4)."""

    CONSENT = "consent"
    CDA_S115 = "cda-s115"
    DPA_SCH1_PARA2 = "dpa-sch1-para2"
    DPA_SCH1_PARA10 = "dpa-sch1-para10"
    DPA_SCH1_PARA18 = "dpa-sch1-para18"
    GDPR_ART10 = "gdpr-art10"
    PUBLIC_INTEREST = "public-interest"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    UNDER_REVIEW = "under_review"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class InterventionKind(StrEnum):
    CBT = "cbt"
    MOTIVATIONAL_INTERVIEWING = "motivational_interviewing"
    COMPASSION_FOCUSED = "compassion_focused"
    DBT_SKILLS = "dbt_skills"
    SOCIAL_SKILLS = "social_skills"
    VICTIM_EMPATHY = "victim_empathy"
    PRACTICAL_SUPPORT = "practical_support"
    OTHER = "other"


class Phase(StrEnum):
    """The phase of the work, as partners are told it."""

    ASSESSMENT = "assessment"
    ENGAGEMENT = "engagement"
    INTERVENTION = "intervention"
    CONSOLIDATION = "consolidation"
    ENDING = "ending"


class Modality(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"


class ContactType(StrEnum):
    """What kind of contact a session note records; its template follows from it."""

    ASSESSMENT = "assessment"
    INTERVENTION_SESSION = "intervention_session"
    TELEPHONE_CONTACT = "telephone_contact"
    PROFESSIONALS_MEETING = "professionals_meeting"
    DID_NOT_ATTEND = "did_not_attend"


class Attendance(StrEnum):
    ATTENDED = "attended"
    LATE = "late"
    DID_NOT_ATTEND = "did_not_attend"
    CANCELLED_BY_CLIENT = "cancelled_by_client"
    CANCELLED_BY_SERVICE = "cancelled_by_service"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    ATTENDED = "attended"
    DID_NOT_ATTEND = "did_not_attend"
    CANCELLED = "cancelled"


class CancelledBy(StrEnum):
    CLIENT = "client"
    SERVICE = "service"


class Repeat(StrEnum):
    """How a booking repeats; each occurrence is stored as its own appointment."""

    NONE = "none"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class Engagement(StrEnum):
    GOOD = "good"
    PARTIAL = "partial"
    POOR = "poor"
    NOT_ASSESSED = "not_assessed"


class RiskEventKind(StrEnum):
    DISCLOSED_INTENT = "disclosed_intent"
    CONTACT_WITH_VICTIM = "contact_with_victim"
    ORDER_BREACH = "order_breach"
    NEW_VICTIM = "new_victim"
    ESCALATION = "escalation"
    MENTAL_STATE_DETERIORATION = "mental_state_deterioration"
    DISENGAGEMENT = "disengagement"


class Urgency(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


class ShareDecisionKind(StrEnum):
    SHARED = "shared"
    NOT_SHARED = "not_shared"


class RiskTool(StrEnum):
    SRP = "srp"  # Stalking Risk Profile
    SAM = "sam"  # Stalking Assessment and Management
    S_DASH = "s-dash"
    OTHER = "other"


class ServiceKind(StrEnum):
    PERSONALITY_DISORDER = "personality_disorder"
    PSYCHIATRY = "psychiatry"
    TALKING_THERAPIES = "talking_therapies"
    SUBSTANCE_MISUSE = "substance_misuse"
    FORENSIC = "forensic"
    GP = "gp"
    OTHER = "other"


class ReferralUrgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class ReferralStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITING_LIST = "waiting_list"
    SEEN = "seen"
    CLOSED = "closed"


class MeasureMode(StrEnum):
    CLINICIAN_ENTRY = "clinician_entry"
    SELF_COMPLETION = "self_completion"


class DisclosureKind(StrEnum):
    PARTNER_SUMMARY = "partner_summary"
    RISK_NOTICE = "risk_notice"
    REFERRAL_LETTER = "referral_letter"
    CLINICAL_SUMMARY = "clinical_summary"
    RECORD_EXPORT = "record_export"
    DECISION_NOT_TO_SHARE = "decision_not_to_share"
    RISK_EVENT_SHARED = "risk_event_shared"
    SUBJECT_ACCESS = "subject_access"
    LETTER = "letter"


class LetterKind(StrEnum):
    """A letter written from a template the administrator keeps."""

    REFERRAL = "referral"
    GP_UPDATE = "gp_update"
    DID_NOT_ATTEND = "did_not_attend"


class ProtectiveMeasureKind(StrEnum):
    """An order or condition in force to protect a third party from the client."""

    STALKING_PROTECTION_ORDER = "stalking_protection_order"
    INTERIM_STALKING_PROTECTION_ORDER = "interim_stalking_protection_order"
    RESTRAINING_ORDER = "restraining_order"
    NON_MOLESTATION_ORDER = "non_molestation_order"
    BAIL_CONDITIONS = "bail_conditions"
    LICENCE_CONDITIONS = "licence_conditions"
    OTHER = "other"


class CriticalReviewOutcome(StrEnum):
    """How a clinician dealt with a critical questionnaire answer."""

    RISK_EVENT_RECORDED = "risk_event_recorded"
    NO_FURTHER_ACTION = "no_further_action"


class ThirdPartyRelation(StrEnum):
    VICTIM = "victim"
    VICTIM_FAMILY = "victim_family"
    VICTIM_ASSOCIATE = "victim_associate"
    NEW_PARTNER = "new_partner"
    OTHER = "other"


class Section(StrEnum):
    """A part of a partner summary an audience may receive."""

    ATTENDANCE = "attendance"
    ENGAGEMENT = "engagement"
    SESSION_UPDATES = "session_updates"
    PHASE = "phase"
    GOALS = "goals"
    RISK = "risk"
    REFERRALS = "referrals"
    MEASURE_DIRECTION = "measure_direction"
    NEXT_REVIEW = "next_review"
