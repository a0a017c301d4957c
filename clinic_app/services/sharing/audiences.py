"""Audience profiles: what each partner agency may receive, as a declarative policy.

A policy names the *sections* of a partner summary an audience receives (attendance,
engagement, phase of the work, goals, risk statements, referral facts, measure direction,
next review) and the *identifying fields* it needs to know who the summary is about (for
example the police get name, date of birth and police reference; a GP gets name, date
of birth and NHS number). Built-in policies live in :data:`BUILT_IN`; an administrator may
replace one (stored as an ``AudienceProfile`` row), within one hard rule:

    No policy can ever reach a CLINICAL or THIRD_PARTY column.

Every column a policy implies is checked against the privacy class on the model
(:func:`clinic_app.models.privacy_of`) when the policy is saved and again every time it is
used, so a stored policy, or a model whose column was reclassified since, cannot leak.
A refused policy lists every offending field in plain English.

:class:`PartnerReader` is the one gate through which the summary builder reads the
database: it builds ``SELECT`` statements of named columns only (never whole ORM objects)
and refuses, at run time, any column that is CLINICAL or THIRD_PARTY or that the policy
does not allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinic_app.errors import ClinicError, NotFound, Problem, ValidationError
from clinic_app.models import (
    AudienceProfile,
    Base,
    Privacy,
    ProtectiveMeasure,
    ThirdParty,
    privacy_of,
    utcnow,
)
from clinic_app.models.enums import Role, Section
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef
from clinic_app.services.validation import text_problem
from clinic_app.wording import SECTION_TITLES

NEVER_SHARED: Final = frozenset({Privacy.CLINICAL, Privacy.THIRD_PARTY})
"""Privacy classes no partner-facing document may ever contain."""


class PartnerLeakRefused(ClinicError):
    """A partner document tried to read a column it must never read.

    This is a safety stop, not a user mistake: the message says so and nothing is produced.
    """


# The columns each section reads (besides OPERATIONAL keys and dates used to select rows).
# Written as "table.column" so that they can be checked against the models' privacy
# classes; a column here that is (or becomes) CLINICAL or THIRD_PARTY refuses the section.
SECTION_COLUMNS: Final[Mapping[Section, tuple[str, ...]]] = {
    Section.ATTENDANCE: (
        "session_note.session_date",
        "session_note.modality",
        "session_note.attendance",
        "session_note.duration_minutes",
        # Appointments marked attended, not attended or cancelled that have no note.
        "appointment.day",
        "appointment.modality",
        "appointment.status",
        "appointment.cancelled_by",
        "appointment.duration_minutes",
    ),
    Section.ENGAGEMENT: ("session_note.session_date", "session_note.engagement"),
    Section.SESSION_UPDATES: ("session_note.session_date", "session_note.partner_update"),
    Section.PHASE: (
        "plan_revision.phase",
        "plan_revision.status",
        "plan_revision.planned_sessions",
        "plan_revision.planned_weeks",
    ),
    Section.GOALS: (
        "plan_goal.partner_wording",
        "goal_progress.rating",
    ),
    Section.RISK: (
        "risk_event.kind",
        "risk_event.urgency",
        "risk_event.occurred_on",
        "risk_event.shareable_statement",
        "risk_share_decision.decision",
        "risk_assessment.shareable_summary",
    ),
    Section.REFERRALS: (
        "specialist_service.name",
        "specialist_service.kind",
        "referral.status",
        "referral.sent_on",
    ),
    # The direction words are derived from item answers inside the measures scoring
    # engine; no answer, score or band ever enters the summary (see partner_summary.py).
    Section.MEASURE_DIRECTION: (),
    Section.NEXT_REVIEW: ("plan_revision.next_review_on",),
}

AUTHOR_COLUMNS: Final = (
    "staff_user.display_name",
    "staff_user.job_title",
    "staff_user.contact",
)
"""Every partner document names its author and how to contact them."""

IDENTIFYING_FIELDS: Final[Mapping[str, str]] = {
    "client.given_name": "given name",
    "client.family_name": "family name",
    "client.date_of_birth": "date of birth",
    "client.nhs_number": "NHS number",
    "client.local_ref": "local case reference",
    "client.police_ref": "police or partner reference",
    "client.address": "address",
}
"""The client's identifying details a policy may name, in words."""

FIELD_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "name": ("client.given_name", "client.family_name"),
    "dob": ("client.date_of_birth",),
    "date_of_birth": ("client.date_of_birth",),
    "nhs_number": ("client.nhs_number",),
    "local_ref": ("client.local_ref",),
    "police_ref": ("client.police_ref",),
    "partner_ref": ("client.police_ref",),
    "address": ("client.address",),
}
"""Short names an administrator may type for identifying fields."""


@dataclass(frozen=True)
class AudiencePolicy:
    """What one partner audience may receive.

    ``sections`` and ``identifying`` are all a policy says; every column they imply is
    listed by :meth:`columns` and checked against the privacy classes.
    """

    name: str
    """The audience's command-line name: police, probation, victim-advocate, panel, gp."""
    title: str
    """How documents and screens name the audience, e.g. "Police"."""
    sections: tuple[Section, ...]
    identifying: tuple[str, ...]
    """Identifying columns of the client, as "client.column"."""
    built_in: bool = True
    """False when an administrator has replaced the built-in policy."""
    updated_by: int | None = None
    updated_at: datetime | None = None

    def includes(self, section: Section) -> bool:
        return section in self.sections

    def columns(self) -> tuple[str, ...]:
        """Every column this policy lets a summary read, as "table.column"."""
        found: list[str] = [*self.identifying, *AUTHOR_COLUMNS]
        for section in self.sections:
            found.extend(SECTION_COLUMNS[section])
        return tuple(dict.fromkeys(found))

    def describe_identifying(self) -> str:
        """The identifying fields in words, e.g. "given name, family name, date of birth"."""
        return ", ".join(IDENTIFYING_FIELDS.get(f, f) for f in self.identifying) or "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "sections": [s.value for s in self.sections],
            "fields": list(self.identifying),
        }


def _policy(name: str, title: str, sections: Iterable[Section], *fields: str) -> AudiencePolicy:
    expanded: list[str] = []
    for f in fields:
        expanded.extend(FIELD_ALIASES.get(f, (f,)))
    return AudiencePolicy(name, title, tuple(sections), tuple(dict.fromkeys(expanded)))


_S = Section
BUILT_IN: Final[Mapping[str, AudiencePolicy]] = {
    p.name: p
    for p in (
        _policy(
            "police",
            "Police",
            (
                _S.ATTENDANCE,
                _S.ENGAGEMENT,
                _S.SESSION_UPDATES,
                _S.PHASE,
                _S.GOALS,
                _S.RISK,
                _S.REFERRALS,
                _S.NEXT_REVIEW,
            ),
            "name",
            "dob",
            "police_ref",
        ),
        _policy(
            "probation",
            "Probation",
            (
                _S.ATTENDANCE,
                _S.ENGAGEMENT,
                _S.SESSION_UPDATES,
                _S.PHASE,
                _S.GOALS,
                _S.RISK,
                _S.REFERRALS,
                _S.NEXT_REVIEW,
            ),
            "name",
            "dob",
            "police_ref",
        ),
        _policy(
            "victim-advocate",
            "Victim advocate",
            (_S.ATTENDANCE, _S.ENGAGEMENT, _S.PHASE, _S.RISK, _S.NEXT_REVIEW),
            "name",
            "partner_ref",
        ),
        _policy(
            "panel",
            "Multi-agency panel",
            (
                _S.ATTENDANCE,
                _S.ENGAGEMENT,
                _S.SESSION_UPDATES,
                _S.PHASE,
                _S.GOALS,
                _S.RISK,
                _S.REFERRALS,
                _S.MEASURE_DIRECTION,
                _S.NEXT_REVIEW,
            ),
            "name",
            "dob",
            "police_ref",
            "local_ref",
        ),
        _policy(
            "gp",
            "GP or referrer",
            (
                _S.ATTENDANCE,
                _S.ENGAGEMENT,
                _S.PHASE,
                _S.GOALS,
                _S.REFERRALS,
                _S.MEASURE_DIRECTION,
                _S.NEXT_REVIEW,
            ),
            "name",
            "dob",
            "nhs_number",
        ),
    )
}
"""The built-in policies, used unless an administrator has replaced one."""

AUDIENCE_NAMES: Final = tuple(BUILT_IN)
"""The partner audiences, in the order screens list them."""


# -- columns and their privacy classes --------------------------------------------------------


def _columns_by_name() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        for column in table.columns:
            found[f"{getattr(table, 'name', '')}.{column.name}"] = column
    return found


def column_privacy(name: str) -> Privacy | None:
    """The privacy class of "table.column", or None when no such column exists."""
    column = _columns_by_name().get(name)
    return None if column is None else privacy_of(column)


def _field_words(name: str) -> str:
    table, _, column = name.partition(".")
    return f"{column.replace('_', ' ')} of {table.replace('_', ' ')} records"


def policy_problems(policy: AudiencePolicy) -> list[Problem]:
    """Everything wrong with a policy, in plain English (empty when it may be used).

    Checks every column the policy implies against the models' privacy classes: a
    CLINICAL or THIRD_PARTY column is refused outright, whatever section or field names it.
    """
    problems: list[Problem] = []
    columns = _columns_by_name()
    if policy.name not in BUILT_IN:
        known = ", ".join(AUDIENCE_NAMES)
        problems.append(
            Problem("name", f"There is no audience called '{policy.name}'. They are: {known}.")
        )
    title_problem = text_problem(
        policy.title, label="The audience's title", required=True, max_length=60
    )
    if title_problem is not None:
        problems.append(Problem("title", title_problem))
    for name in policy.identifying:
        column = columns.get(name)
        if column is None:
            problems.append(Problem("fields", f"There is no field called '{name}'."))
            continue
        privacy = privacy_of(column)
        if privacy in NEVER_SHARED:
            problems.append(Problem("fields", _never_message(name, privacy)))
        elif name not in IDENTIFYING_FIELDS:
            problems.append(
                Problem(
                    "fields",
                    f"'{name}' ({_field_words(name)}) is not one of the client's identifying "
                    "details; what else an audience receives is chosen by sections.",
                )
            )
    if not any(f in policy.identifying for f in ("client.family_name", "client.police_ref")):
        problems.append(
            Problem(
                "fields",
                "The audience needs the family name or the police or partner reference, "
                "or it cannot tell who the document is about.",
            )
        )
    for section in policy.sections:
        for name in SECTION_COLUMNS[section]:
            column = columns.get(name)
            privacy = None if column is None else privacy_of(column)
            if column is None:
                problems.append(
                    Problem(
                        "sections",
                        f"The {SECTION_TITLES[section].lower()} section reads a missing field.",
                    )
                )
            elif privacy in NEVER_SHARED:
                problems.append(
                    Problem(
                        "sections",
                        f"The {SECTION_TITLES[section].lower()} section would include "
                        + _never_message(name, privacy),
                    )
                )
    for name in AUTHOR_COLUMNS:
        column = columns.get(name)
        if column is None or privacy_of(column) in NEVER_SHARED:
            problems.append(Problem("author", f"'{name}' can no longer be shown to partners."))
    return problems


def _never_message(name: str, privacy: Privacy | None) -> str:
    what = "clinical" if privacy is Privacy.CLINICAL else "about a third party (such as a victim)"
    return f"'{name}' ({_field_words(name)}) is {what} and can never be given to a partner agency."


def check_policy(policy: AudiencePolicy) -> AudiencePolicy:
    """The policy, or a ValidationError listing every problem with it."""
    problems = policy_problems(policy)
    if problems:
        raise ValidationError(problems)
    return policy


def parse_fields(fields: Iterable[str]) -> tuple[str, ...]:
    """Identifying fields as typed ("name", "dob", "client.nhs_number") to column names."""
    out: list[str] = []
    for raw in fields:
        name = raw.strip()
        if not name:
            continue
        out.extend(FIELD_ALIASES.get(name.lower(), (name,)))
    return tuple(dict.fromkeys(out))


def parse_sections(sections: Iterable[str]) -> tuple[tuple[Section, ...], list[Problem]]:
    """Section names as typed, and a problem for each that does not exist."""
    found: list[Section] = []
    problems: list[Problem] = []
    for raw in sections:
        name = raw.strip().lower().replace("-", "_")
        if not name:
            continue
        try:
            found.append(Section(name))
        except ValueError:
            known = ", ".join(s.value for s in Section)
            problems.append(
                Problem("sections", f"There is no section called '{raw}'. They are: {known}.")
            )
    return tuple(dict.fromkeys(found)), problems


def _from_row(row: AudienceProfile) -> AudiencePolicy:
    data = row.policy if isinstance(row.policy, dict) else {}
    base = BUILT_IN.get(row.name)
    stored_sections, stored_fields = data.get("sections", []), data.get("fields", [])
    if not isinstance(stored_sections, list) or not isinstance(stored_fields, list):
        raise ValidationError(
            f"The stored policy for {row.name} is damaged. An administrator should set it "
            "again or reset it."
        )
    sections, problems = parse_sections(str(s) for s in stored_sections)
    if problems:
        raise ValidationError(
            [Problem(p.where, f"The stored policy for {row.name}: {p.message}") for p in problems]
        )
    return AudiencePolicy(
        name=row.name,
        title=str(data.get("title") or (base.title if base else row.name)),
        sections=sections,
        identifying=parse_fields(str(f) for f in stored_fields),
        built_in=False,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


# -- use cases ---------------------------------------------------------------------------------


def policy_for(session: Session, audience: str) -> AudiencePolicy:
    """The policy in force for an audience, re-checked against the privacy classes now.

    Used by every partner document; raises ValidationError (listing every problem) when a
    stored policy would reach a field it must not, and NotFound for an unknown audience.
    """
    name = audience.strip().lower()
    if name not in BUILT_IN:
        known = ", ".join(AUDIENCE_NAMES)
        raise NotFound(f"There is no audience called '{audience}'. They are: {known}.")
    row = session.get(AudienceProfile, name)
    policy = BUILT_IN[name] if row is None else _from_row(row)
    problems = policy_problems(policy)
    if problems:
        raise ValidationError(
            [
                Problem(p.where, f"The {policy.title} policy cannot be used: {p.message}")
                for p in problems
            ]
        )
    return policy


def list_audiences(session: Session, by: StaffRef) -> list[AudiencePolicy]:
    """Every partner audience with the policy in force (any signed-in user may read them)."""
    del by
    return [policy_for(session, name) for name in AUDIENCE_NAMES]


def audience_policy(session: Session, by: StaffRef, audience: str) -> AudiencePolicy:
    """The policy in force for one audience."""
    del by
    return policy_for(session, audience)


def set_audience_policy(
    session: Session,
    by: StaffRef,
    audience: str,
    *,
    sections: Sequence[str],
    fields: Sequence[str],
    title: str | None = None,
) -> AudiencePolicy:
    """Replace an audience's policy (administrators only), refusing any clinical field.

    ``sections`` are :class:`Section` values; ``fields`` are identifying fields as
    "client.column" or the short names in :data:`FIELD_ALIASES`. Every problem is listed.
    """
    require_role(by, Role.ADMINISTRATOR, action="change what partner agencies receive")
    name = audience.strip().lower()
    parsed, problems = parse_sections(sections)
    base = BUILT_IN.get(name)
    policy = AudiencePolicy(
        name=name,
        title=(title if title is not None else (base.title if base else name)).strip(),
        sections=parsed,
        identifying=parse_fields(fields),
        built_in=False,
        updated_by=by.id,
    )
    problems.extend(policy_problems(policy))
    if problems:
        raise ValidationError(problems)
    row = session.get(AudienceProfile, name)
    if row is None:
        row = AudienceProfile(name=name, policy=policy.to_json(), updated_by=by.id)
        session.add(row)
    else:
        row.policy = policy.to_json()
        row.updated_by = by.id
        row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="audience_profile",
        detail={"audience": name},
    )
    return policy_for(session, name)


def reset_audience_policy(session: Session, by: StaffRef, audience: str) -> AudiencePolicy:
    """Go back to the built-in policy for an audience (administrators only)."""
    require_role(by, Role.ADMINISTRATOR, action="change what partner agencies receive")
    name = audience.strip().lower()
    if name not in BUILT_IN:
        known = ", ".join(AUDIENCE_NAMES)
        raise NotFound(f"There is no audience called '{audience}'. They are: {known}.")
    row = session.get(AudienceProfile, name)
    if row is not None:
        session.delete(row)
        session.flush()
        audit.record(
            session,
            audit.Action.UPDATE,
            actor_id=by.id,
            entity="audience_profile",
            detail={"audience": name, "reset": True},
        )
    return BUILT_IN[name]


# -- the guarded reader -------------------------------------------------------------------------


def _qualified(attribute: InstrumentedAttribute[Any]) -> tuple[str, Any]:
    columns = getattr(attribute.property, "columns", None)
    if not columns:
        raise PartnerLeakRefused(
            "A partner document tried to read something that is not a plain field; "
            "nothing was produced. Please report this."
        )
    column = columns[0]
    return f"{column.table.name}.{column.name}", column


def assert_partner_safe(*attributes: InstrumentedAttribute[Any]) -> None:
    """Refuse (PartnerLeakRefused) if any column is CLINICAL, THIRD_PARTY or unclassified."""
    for attribute in attributes:
        name, column = _qualified(attribute)
        privacy = privacy_of(column)
        if privacy is None or privacy in NEVER_SHARED:
            raise PartnerLeakRefused(
                f"A partner document tried to read '{name}', which is "
                f"{'unclassified' if privacy is None else privacy.value.replace('_', ' ')} "
                "and can never be shared; nothing was produced. Please report this."
            )


class PartnerReader:
    """Builds SELECTs of named columns for one audience, refusing anything it may not read.

    OPERATIONAL columns (keys, dates, status codes used to choose rows) are always
    allowed; any other column must be one the policy implies. CLINICAL and THIRD_PARTY
    columns are refused whatever the policy says.
    """

    def __init__(self, policy: AudiencePolicy) -> None:
        self.policy = policy
        self._allowed = frozenset(policy.columns())

    def allows(self, attribute: InstrumentedAttribute[Any]) -> bool:
        name, column = _qualified(attribute)
        privacy = privacy_of(column)
        if privacy is None or privacy in NEVER_SHARED:
            return False
        return privacy is Privacy.OPERATIONAL or name in self._allowed

    def select(self, *attributes: InstrumentedAttribute[Any]) -> Select[Any]:
        """``select(*attributes)`` after checking every one of them."""
        assert_partner_safe(*attributes)
        for attribute in attributes:
            if not self.allows(attribute):
                name, _ = _qualified(attribute)
                raise PartnerLeakRefused(
                    f"The {self.policy.title} policy does not include '{name}'; "
                    "nothing was produced. Please report this."
                )
        return select(*attributes)


# -- the subject access policy and its reader ----------------------------------------------------
#
# A client asking for their records (UK GDPR Art. 15) is the one audience that may receive
# CLINICAL columns: it is their own health record. THIRD_PARTY columns stay out as for
# every other audience, except that a third party who agreed may be named (their name,
# other names and relationship, never where they live or how to reach them). The policy is
# declared here, as the partner policies are, and read only through
# :class:`SubjectAccessReader`; the pack builder never chooses a column of its own.

SUBJECT_ACCESS_AUDIENCE: Final = "subject-access"
"""The audience recorded in the register for a subject access pack."""

SUBJECT_ACCESS_TABLES: Final[Mapping[str, tuple[str, str | None]]] = {
    "client": ("id", None),
    "client_assignment": ("client_id", "client"),
    "typology_assessment": ("client_id", "client"),
    "risk_assessment": ("client_id", "client"),
    "intervention_plan": ("client_id", "client"),
    "plan_revision": ("plan_id", "intervention_plan"),
    "plan_goal": ("revision_id", "plan_revision"),
    "planned_intervention": ("revision_id", "plan_revision"),
    "goal_progress": ("plan_id", "intervention_plan"),
    "plan_review": ("plan_id", "intervention_plan"),
    "session_note": ("client_id", "client"),
    "note_addendum": ("note_id", "session_note"),
    "appointment": ("client_id", "client"),
    "appointment_clinician": ("appointment_id", "appointment"),
    "measure_schedule": ("client_id", "client"),
    "measure_administration": ("client_id", "client"),
    "measure_response": ("administration_id", "measure_administration"),
    "critical_item_review": ("client_id", "client"),
    "risk_event": ("client_id", "client"),
    "risk_share_decision": ("risk_event_id", "risk_event"),
    "referral": ("client_id", "client"),
    "referral_status_change": ("referral_id", "referral"),
    "disclosure": ("client_id", "client"),
}
"""Every table a subject access pack reads, with how its rows belong to the client: the
column holding the parent's id and the parent table (None for the client row itself)."""

SUBJECT_ACCESS_NOT_INCLUDED: Final[Mapping[str, str]] = {
    "third_party": "Third parties: named only with their recorded consent; otherwise withheld "
    "and listed in the redaction log.",
    "protective_measure": "Orders protecting a third party: third-party data, withheld and "
    "listed in the redaction log.",
    "note_draft": "A working copy of a note being typed; the note itself is included.",
    "form_draft": "A working copy of a form left open when the screen locked.",
    "emergency_access": "The record of staff opening the record in an emergency is part of the "
    "audit trail, not of the clinical record.",
    "audit_event": "The audit trail holds ids and actions only.",
    "subject_access_request": "The request being answered.",
    "subject_access_review": "The serious-harm review of this very pack.",
    "staff_user": "Staff accounts; staff are named where they acted.",
    "specialist_service": "The service directory; services are named where referred to.",
    "measure_definition": "Questionnaire definitions, not about the client.",
    "app_setting": "Settings, not about the client.",
    "audience_profile": "Partner audience policies, not about the client.",
    "evaluation_project": "A service evaluation's pseudonym key, not about the client.",
    "received_document": "Documents received from other services (police reports, panel "
    "minutes, letters) are their senders' records, often about other people: they are "
    "never given out by this service; the client may ask the sender for them.",
}
"""Every other table, with why it is not in the pack (a test keeps this list whole)."""

SUBJECT_ACCESS_OMITTED: Final[Mapping[str, str]] = {
    "client.version": "an edit counter",
    "client.is_demo": "a flag for invented demonstration records",
    "session_note.version": "an edit counter",
    "session_note.content_sha256": "the note's signature seal",
    "note_addendum.content_sha256": "the addendum's signature seal",
    "referral.version": "an edit counter",
    "appointment.version": "an edit counter",
    "appointment.series_id": "an internal link between the repeats of a booking",
    "plan_goal.goal_key": "an internal link between revisions",
    "goal_progress.goal_key": "an internal link between revisions",
    "session_note.plan_goal_key": "an internal link between revisions",
}
"""Columns of included tables left out as internal bookkeeping, with why."""

SUBJECT_ACCESS_REFERENCE_COLUMNS: Final = (
    "staff_user.id",
    "staff_user.display_name",
    "staff_user.job_title",
    "specialist_service.id",
    "specialist_service.name",
    "specialist_service.kind",
)
"""Reference data the pack names things by (who acted, which service)."""

SUBJECT_ACCESS_CONSENTED: Final = (
    "third_party.label",
    "third_party.relation",
    "third_party.name",
    "third_party.aliases",
)
"""What a pack may say about a third party who agreed to be named: never their places,
phones, emails, vehicles, advocate, wishes or anything else recorded about them."""


@dataclass(frozen=True)
class SubjectAccessPolicy:
    """What a subject access pack may contain, as columns "table.column"."""

    title: str
    columns: tuple[str, ...]
    consented: tuple[str, ...]

    def columns_of(self, table: str) -> tuple[str, ...]:
        """The columns of ``table`` in the pack, in the model's order."""
        prefix = f"{table}."
        return tuple(c.partition(".")[2] for c in self.columns if c.startswith(prefix))


def _subject_access_columns() -> tuple[str, ...]:
    columns = _columns_by_name()
    found: list[str] = []
    for table in SUBJECT_ACCESS_TABLES:
        for name, column in columns.items():
            if name.partition(".")[0] != table or name in SUBJECT_ACCESS_OMITTED:
                continue
            if privacy_of(column) is not Privacy.THIRD_PARTY:
                found.append(name)
    found.extend(SUBJECT_ACCESS_REFERENCE_COLUMNS)
    return tuple(found)


def subject_access_problems(policy: SubjectAccessPolicy) -> list[Problem]:
    """Why the subject access policy cannot be used (empty when it may): it names a column
    that does not exist or is unclassified, or a THIRD_PARTY column, or its consented
    columns reach beyond a third party's name and relationship."""
    columns = _columns_by_name()
    problems: list[Problem] = []
    for name in policy.columns:
        column = columns.get(name)
        privacy = None if column is None else privacy_of(column)
        if column is None or privacy is None:
            problems.append(Problem("columns", f"'{name}' is not a classified field."))
        elif privacy is Privacy.THIRD_PARTY:
            problems.append(
                Problem(
                    "columns",
                    f"'{name}' ({_field_words(name)}) is about a third party and can never be "
                    "given in a subject access pack.",
                )
            )
    for name in policy.consented:
        if name not in SUBJECT_ACCESS_CONSENTED:
            problems.append(
                Problem(
                    "consented",
                    f"'{name}' ({_field_words(name)}) may not be given even with the third "
                    "party's consent.",
                )
            )
    return problems


def subject_access_policy() -> SubjectAccessPolicy:
    """The subject access policy, checked against the privacy classes now."""
    policy = SubjectAccessPolicy(
        "Subject access", _subject_access_columns(), SUBJECT_ACCESS_CONSENTED
    )
    problems = subject_access_problems(policy)
    if problems:
        raise ValidationError(problems)
    return policy


class SubjectAccessReader:
    """The gate a subject access pack reads through: SELECTs of named columns only.

    A column must be one the policy names; a THIRD_PARTY column is refused whatever the
    policy says, except the consented ones through :meth:`consented_third_parties`, which
    itself keeps to the people whose consent is recorded.
    """

    def __init__(self, policy: SubjectAccessPolicy) -> None:
        self.policy = policy
        self._allowed = frozenset(policy.columns)

    def allows(self, attribute: InstrumentedAttribute[Any]) -> bool:
        name, column = _qualified(attribute)
        privacy = privacy_of(column)
        if privacy is None or privacy is Privacy.THIRD_PARTY:
            return False
        return name in self._allowed

    def select(self, *attributes: InstrumentedAttribute[Any]) -> Select[Any]:
        """``select(*attributes)`` after checking every one of them."""
        for attribute in attributes:
            if not self.allows(attribute):
                name, _ = _qualified(attribute)
                raise PartnerLeakRefused(
                    f"A subject access pack tried to read '{name}', which it may not contain; "
                    "nothing was produced. Please report this."
                )
        return select(*attributes)

    def table(self, table: str) -> Select[Any]:
        """Every column of ``table`` the policy names, as one checked SELECT."""
        mapper = next(
            (m for m in Base.registry.mappers if getattr(m.local_table, "name", "") == table),
            None,
        )
        if mapper is None or table not in SUBJECT_ACCESS_TABLES:
            raise PartnerLeakRefused(
                f"A subject access pack tried to read '{table}'; nothing was produced. "
                "Please report this."
            )
        cls = mapper.class_
        attributes = [
            getattr(cls, mapper.get_property_by_column(mapper.local_table.columns[name]).key)
            for name in self.policy.columns_of(table)
        ]
        return self.select(*attributes)

    def consented_third_parties(self, client_id: int) -> Select[Any]:
        """The consented columns of the client's third parties whose consent is recorded."""
        attributes = [getattr(ThirdParty, c.partition(".")[2]) for c in self.policy.consented]
        return (
            select(ThirdParty.id, *attributes)
            .where(
                ThirdParty.client_id == client_id,
                ThirdParty.disclosure_consent_on.is_not(None),
            )
            .order_by(ThirdParty.id)
        )

    def withheld_third_parties(self, client_id: int) -> Select[int, str, date | None]:
        """The labels (never anything else) of the client's third parties and whether each
        consented, so that every one withheld can be listed in the redaction log."""
        return (
            select(ThirdParty.id, ThirdParty.label, ThirdParty.disclosure_consent_on)
            .where(ThirdParty.client_id == client_id)
            .order_by(ThirdParty.id)
        )

    def protective_measures(self, client_id: int) -> Select[int, int]:
        """The ids of the orders protecting the client's third parties (nothing else)."""
        return (
            select(ProtectiveMeasure.id, ProtectiveMeasure.third_party_id)
            .where(ProtectiveMeasure.client_id == client_id)
            .order_by(ProtectiveMeasure.third_party_id, ProtectiveMeasure.id)
        )
