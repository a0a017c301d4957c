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
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinic_app.errors import ClinicError, NotFound, Problem, ValidationError
from clinic_app.models import AudienceProfile, Base, Privacy, privacy_of, utcnow
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
