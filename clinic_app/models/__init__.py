"""SQLAlchemy typed models of the whole clinical record; every column has a privacy class."""

from clinic_app.models.appointment import Appointment, AppointmentClinician
from clinic_app.models.audit import AppSetting, AuditEvent
from clinic_app.models.base import Base, Privacy, privacy_of, utcnow
from clinic_app.models.client import (
    Client,
    ClientAssignment,
    EmergencyAccess,
    ProtectiveMeasure,
    RiskAssessment,
    ThirdParty,
    TypologyAssessment,
)
from clinic_app.models.disclosure import AudienceProfile, Disclosure
from clinic_app.models.document import DocumentClass, ReceivedDocument
from clinic_app.models.evaluation import EvaluationProject
from clinic_app.models.measure import (
    CriticalItemReview,
    MeasureAdministration,
    MeasureDefinition,
    MeasureResponse,
    MeasureSchedule,
)
from clinic_app.models.plan import (
    GoalProgress,
    InterventionPlan,
    PlanGoal,
    PlannedIntervention,
    PlanReview,
    PlanRevision,
)
from clinic_app.models.referral import Referral, ReferralStatusChange, SpecialistService
from clinic_app.models.risk import RiskEvent, RiskShareDecision
from clinic_app.models.session_note import (
    NOTE_SECTIONS,
    FormDraft,
    NoteAddendum,
    NoteDraft,
    SessionNote,
)
from clinic_app.models.staff import StaffUser
from clinic_app.models.subject_access import SubjectAccessRequest, SubjectAccessReview

__all__ = [
    "NOTE_SECTIONS",
    "AppSetting",
    "Appointment",
    "AppointmentClinician",
    "AudienceProfile",
    "AuditEvent",
    "Base",
    "Client",
    "ClientAssignment",
    "CriticalItemReview",
    "Disclosure",
    "DocumentClass",
    "EmergencyAccess",
    "EvaluationProject",
    "FormDraft",
    "GoalProgress",
    "InterventionPlan",
    "MeasureAdministration",
    "MeasureDefinition",
    "MeasureResponse",
    "MeasureSchedule",
    "NoteAddendum",
    "NoteDraft",
    "PlanGoal",
    "PlanReview",
    "PlanRevision",
    "PlannedIntervention",
    "Privacy",
    "ProtectiveMeasure",
    "ReceivedDocument",
    "Referral",
    "ReferralStatusChange",
    "RiskAssessment",
    "RiskEvent",
    "RiskShareDecision",
    "SessionNote",
    "SpecialistService",
    "StaffUser",
    "SubjectAccessRequest",
    "SubjectAccessReview",
    "ThirdParty",
    "TypologyAssessment",
    "privacy_of",
    "utcnow",
]
