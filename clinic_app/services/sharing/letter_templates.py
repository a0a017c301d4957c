"""Letter templates: the wording of each kind of letter, kept by the administrator.

Each kind of letter (:class:`~clinic_app.models.enums.LetterKind`: referral, GP update,
did-not-attend) has a salutation, a body and a sign-off. The built-in wording is in
:data:`BUILT_IN`; an administrator's saved wording (a ``letter_template`` row) replaces
it. A template may hold placeholders such as ``{client_name}``, filled from the record
when a letter is written (:func:`fill`); only the names in :data:`PLACEHOLDERS` are
accepted, so a template with an unknown one is refused when it is saved, with the
placeholders that exist. None of them reads a clinical or third-party column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from clinic_app.errors import ValidationError
from clinic_app.models import LetterTemplate, StaffUser
from clinic_app.models.enums import LetterKind, Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef
from clinic_app.services.validation import Checker
from clinic_app.wording import LETTER_KIND_WORDS

PLACEHOLDERS: Final[dict[str, str]] = {
    "client_name": "the client's full name",
    "client_first_name": "the client's first name",
    "case_reference": "the client's case reference",
    "date_of_birth": "the client's date of birth",
    "nhs_number": "the client's NHS number",
    "clinician_name": "the name of the clinician writing the letter",
    "clinician_job_title": "the clinician's job title",
    "clinician_contact": "the clinician's phone and email",
    "service_name": "the service's name",
    "appointment_date": "the date of the missed appointment, or else the next one booked",
    "appointment_time": "the time of that appointment",
    "today": "the date the letter is written",
}
"""Every placeholder a template may hold, with what fills it."""

MAX_SALUTATION: Final = 200
MAX_BODY: Final = 20_000
MAX_SIGN_OFF: Final = 200

_PLACEHOLDER: Final = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class TemplateWording:
    """The three parts of a letter's wording."""

    salutation: str
    body: str
    sign_off: str


BUILT_IN: Final[dict[LetterKind, TemplateWording]] = {
    LetterKind.REFERRAL: TemplateWording(
        "Dear colleague,",
        "Re: {client_name}, born {date_of_birth}, our reference {case_reference}\n\n"
        "I am writing to refer {client_first_name} to your service for assessment. The "
        "reasons for the referral and what we know of the risks follow.\n\n"
        "Please reply to me at {clinician_contact}, acknowledging the referral and telling "
        "me your decision.",
        "Yours sincerely,",
    ),
    LetterKind.GP_UPDATE: TemplateWording(
        "Dear colleague,",
        "Re: {client_name}, born {date_of_birth}, NHS number {nhs_number}\n\n"
        "I am writing to update you on {client_first_name}'s contact with {service_name}.\n\n"
        "[Write the update here.]\n\n"
        "Please contact me at {clinician_contact} if you have any questions.",
        "Yours sincerely,",
    ),
    LetterKind.DID_NOT_ATTEND: TemplateWording(
        "Dear {client_name},",
        "You were due to see me at {service_name} on {appointment_date} at "
        "{appointment_time}, but we did not see you.\n\n"
        "Please contact me at {clinician_contact} to arrange another appointment. If we do "
        "not hear from you within two weeks, I will write to you again.",
        "Yours sincerely,",
    ),
}
"""The wording each kind has until an administrator changes it."""


@dataclass(frozen=True)
class TemplateRow:
    """One kind's wording as the administrator sees it."""

    kind: LetterKind
    title: str
    salutation: str
    body: str
    sign_off: str
    changed: bool
    """True when an administrator's wording replaces the built-in one."""
    updated_by_name: str = ""
    updated_at: datetime | None = None


def placeholder_problem(text: str, *, label: str) -> str | None:
    """Why ``text`` cannot be a template part (an unknown placeholder, a stray brace)."""
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        named = ", ".join("{" + name + "}" for name in dict.fromkeys(unknown))
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        return f"{label} uses {named}, which a letter cannot fill. The placeholders are: {known}."
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        return (
            f"{label} has a curly bracket that is not part of a placeholder. Use curly "
            "brackets only around a placeholder's name, e.g. {client_name}."
        )
    return None


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (unknown ones are left as typed)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def wording_for(session: Session, kind: LetterKind) -> TemplateWording:
    """The wording a new letter of ``kind`` starts from."""
    row = session.get(LetterTemplate, kind)
    if row is None:
        return BUILT_IN[kind]
    return TemplateWording(row.salutation, row.body, row.sign_off)


def _row(session: Session, kind: LetterKind) -> TemplateRow:
    row = session.get(LetterTemplate, kind)
    if row is None:
        built = BUILT_IN[kind]
        return TemplateRow(
            kind, LETTER_KIND_WORDS[kind], built.salutation, built.body, built.sign_off, False
        )
    who = session.get(StaffUser, row.updated_by)
    return TemplateRow(
        kind,
        LETTER_KIND_WORDS[kind],
        row.salutation,
        row.body,
        row.sign_off,
        True,
        who.display_name if who else "",
        row.updated_at,
    )


def list_templates(session: Session, by: StaffRef) -> list[TemplateRow]:
    """Every kind of letter with its wording (anyone signed in may read them)."""
    del by  # templates hold no client data
    return [_row(session, kind) for kind in LetterKind]


def set_template(
    session: Session,
    by: StaffRef,
    kind: LetterKind,
    *,
    salutation: str,
    body: str,
    sign_off: str,
) -> TemplateRow:
    """Save an administrator's wording of one kind of letter (checked first; bad input
    changes nothing)."""
    require_role(by, Role.ADMINISTRATOR, action="change letter templates")
    check = Checker()
    parts = (
        ("salutation", salutation, "The salutation", MAX_SALUTATION),
        ("body", body, "The body", MAX_BODY),
        ("sign_off", sign_off, "The sign-off", MAX_SIGN_OFF),
    )
    for where, value, label, limit in parts:
        check.text(where, value, label=label, required=True, max_length=limit)
        if value.strip():
            check.add(where, placeholder_problem(value, label=label))
    for where, value, label, _limit in (parts[0], parts[2]):
        if "\n" in value.strip():
            check.add(where, f"{label} must be on one line.")
    check.raise_if_any()
    row = session.get(LetterTemplate, kind)
    if row is None:
        row = LetterTemplate(kind=kind, updated_by=by.id)
        session.add(row)
    row.salutation = salutation.strip()
    row.body = body.strip()
    row.sign_off = sign_off.strip()
    row.updated_by = by.id
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="letter_template",
        entity_id=None,
        detail={"kind": kind.value},
    )
    return _row(session, kind)


def restore_built_in(session: Session, by: StaffRef, kind: LetterKind) -> TemplateRow:
    """Go back to the built-in wording of one kind of letter."""
    require_role(by, Role.ADMINISTRATOR, action="change letter templates")
    row = session.get(LetterTemplate, kind)
    if row is None:
        raise ValidationError(
            f"The {LETTER_KIND_WORDS[kind].lower()} already has the built-in wording."
        )
    session.delete(row)
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="letter_template",
        entity_id=None,
        detail={"kind": kind.value, "restored": True},
    )
    return _row(session, kind)
