"""Session-note templates: for each kind of contact, the sections a clinician writes.

A template decides which of the note's sections the editor shows, with the heading and the
prompt each has for that kind of contact, whether attendance, engagement and a plan goal
are asked for, the usual length of the contact, and whether a partner update is offered.
The sections are the same stored fields for every template (``NOTE_SECTIONS``), so partner
summaries, search and exports read every note alike; a section a template does not show is
simply left empty (the editor still shows it while it holds text, so nothing is hidden).

A did-not-attend note needs almost nothing: the attendance (did not attend) and what was
done about it. A professionals' meeting is not a contact with the client: partner
summaries leave it out of attendance and engagement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from clinic_app.models.enums import Attendance, ContactType, Modality


@dataclass(frozen=True)
class TemplateSection:
    """One section of a template: the stored field, its heading and its prompt."""

    field: str
    heading: str
    prompt: str
    lines: int = 4
    """How many lines tall the box starts (it scrolls beyond)."""


@dataclass(frozen=True)
class NoteTemplate:
    """What the editor shows for one kind of contact."""

    contact_type: ContactType
    sections: tuple[TemplateSection, ...]
    default_minutes: int
    """The length a note starts with when no appointment gives one."""
    asks_attendance: bool = True
    asks_engagement: bool = True
    asks_plan_goal: bool = True
    partner_update: bool = True
    attendance: Attendance | None = None
    """The attendance this kind of contact always records (None: the clinician says)."""
    modality: Modality | None = None
    """The modality a new note of this kind starts with (None: in person)."""

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(s.field for s in self.sections)


_RISK_CHECKIN: Final = TemplateSection(
    "risk_checkin",
    "Risk check-in",
    "Contact or attempted contact, intent, breaches, mental state since last time",
)
_RISK_RERATING: Final = TemplateSection(
    "risk_rerating",
    "Risk re-rating",
    "Whether risk has changed since the check-in, and why",
)

TEMPLATES: Final[dict[ContactType, NoteTemplate]] = {
    ContactType.ASSESSMENT: NoteTemplate(
        ContactType.ASSESSMENT,
        (
            _RISK_CHECKIN,
            TemplateSection(
                "agenda",
                "Purpose of the assessment",
                "What the assessment set out to find out, and the sources used",
            ),
            TemplateSection(
                "intervention_content",
                "Assessment findings",
                "History, presentation, the client's account of the stalking, motivation, "
                "needs and any referral indicated",
                lines=10,
            ),
            TemplateSection(
                "risk_rerating",
                "Risk judgement",
                "The risk judgement reached and what it rests on",
            ),
            TemplateSection(
                "actions",
                "Plan and actions",
                "What happens next: formulation, plan, referrals, who does what",
            ),
        ),
        default_minutes=90,
        asks_plan_goal=False,
    ),
    ContactType.INTERVENTION_SESSION: NoteTemplate(
        ContactType.INTERVENTION_SESSION,
        (
            _RISK_CHECKIN,
            TemplateSection(
                "agenda",
                "Agenda and plan goal",
                "What the session set out to do, and which plan goal it served",
            ),
            TemplateSection(
                "intervention_content",
                "Intervention content",
                "What was worked on and how the client responded",
                lines=8,
            ),
            TemplateSection(
                "homework", "Homework", "What the client agreed to do before the next session"
            ),
            _RISK_RERATING,
            TemplateSection("actions", "Actions", "What you or the team will do next"),
        ),
        default_minutes=60,
    ),
    ContactType.TELEPHONE_CONTACT: NoteTemplate(
        ContactType.TELEPHONE_CONTACT,
        (
            _RISK_CHECKIN,
            TemplateSection(
                "intervention_content",
                "Summary of the call",
                "Why the call was made or taken, and what was said",
                lines=6,
            ),
            TemplateSection("actions", "Actions", "What you or the team will do next"),
        ),
        default_minutes=15,
        asks_plan_goal=False,
        modality=Modality.PHONE,
    ),
    ContactType.PROFESSIONALS_MEETING: NoteTemplate(
        ContactType.PROFESSIONALS_MEETING,
        (
            TemplateSection(
                "agenda",
                "Meeting and who attended",
                "Which meeting (for example MAPPA, the stalking panel, a strategy meeting), "
                "its purpose, and the agencies present",
            ),
            TemplateSection(
                "intervention_content",
                "Discussion",
                "What was shared and discussed about the client",
                lines=8,
            ),
            TemplateSection(
                "risk_rerating",
                "Risk view",
                "The view of risk agreed or reported, and any change",
            ),
            TemplateSection(
                "actions",
                "Actions agreed",
                "Who does what, and by when",
            ),
        ),
        default_minutes=60,
        asks_attendance=False,
        asks_engagement=False,
        asks_plan_goal=False,
        partner_update=False,
        attendance=Attendance.ATTENDED,
    ),
    ContactType.DID_NOT_ATTEND: NoteTemplate(
        ContactType.DID_NOT_ATTEND,
        (
            TemplateSection(
                "actions",
                "Actions taken",
                "Contact attempted, letter sent, partners told, next appointment offered",
                lines=3,
            ),
        ),
        default_minutes=0,
        asks_attendance=False,
        asks_engagement=False,
        asks_plan_goal=False,
        partner_update=False,
        attendance=Attendance.DID_NOT_ATTEND,
    ),
}

DEFAULT_CONTACT_TYPE: Final = ContactType.INTERVENTION_SESSION
FIRST_CONTACT_TYPE: Final = ContactType.ASSESSMENT
"""The kind a client's first note starts as."""


def template_for(contact_type: ContactType | None) -> NoteTemplate:
    """The template of a kind of contact; a note written before contact types were
    recorded shows as an intervention session (every section)."""
    return TEMPLATES[contact_type or DEFAULT_CONTACT_TYPE]


def contact_type_for(attendance: Attendance, *, first: bool = False) -> ContactType:
    """The kind a new note starts as: did not attend when the client did not, else an
    assessment for the client's first note and an intervention session after it."""
    if attendance is Attendance.DID_NOT_ATTEND:
        return ContactType.DID_NOT_ATTEND
    return FIRST_CONTACT_TYPE if first else DEFAULT_CONTACT_TYPE
