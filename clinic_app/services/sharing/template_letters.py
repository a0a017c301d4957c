"""Letters written from the administrator's templates: drafted, edited, checked, issued.

A clinician writes a letter of one kind (:class:`~clinic_app.models.enums.LetterKind`)
for a client in three steps, each one use case:

- :func:`draft_letter` fills the kind's template (:mod:`letter_templates`) from the record:
  the client's name, case reference, date of birth and NHS number, the next or missed
  appointment, and the writer's name, job title and contact details. Nothing clinical
  and nothing about a third party is read into it.
- The clinician edits the filled text; :func:`preview_letter` checks the edited letter
  through the one gate (:func:`letter_problems`) and draws the exact pages; nothing is
  recorded.
- :func:`issue_letter` checks and draws it again, refuses a letter that is not the one
  reviewed (same SHA-256), records it in the disclosure register with its SHA-256 and
  its content, and writes the file only when the unit of work commits.

The gate: a letter never carries a detail recorded about a victim or any other third
party (names, places, phones, emails, vehicles), whoever it goes to; a letter to the
client carries no clinical wording either (diagnoses, medications, therapy and clinical
terms), while a letter to a health professional (a GP, a specialist service) may, under
a health and care gateway or the client's recorded consent. A placeholder left unfilled
(``[appointment date]``) or a bracketed instruction left in the text is refused too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.config import SERVICE_NAME
from clinic_app.errors import ValidationError
from clinic_app.models import Appointment, Client, StaffUser
from clinic_app.models.enums import (
    AppointmentStatus,
    DisclosureKind,
    Gateway,
    LetterKind,
)
from clinic_app.reports.content import (
    CLINICAL_HANDLING,
    CLINICAL_MARKING,
    DocumentFrame,
    sha256_hex,
)
from clinic_app.reports.letter import LetterContent, Signature, payload_of, render_letter
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.referrals import client_consent
from clinic_app.services.settings import get_text_setting
from clinic_app.services.sharing import disclosures, files, lexicon
from clinic_app.services.sharing.disclosures import DisclosureRow
from clinic_app.services.sharing.letter_templates import fill, wording_for
from clinic_app.services.sharing.letters import check_letter_choices
from clinic_app.services.validation import Checker
from clinic_app.wording import LETTER_KIND_WORDS, long_date

CLIENT_AUDIENCE: Final = disclosures.CLIENT_AUDIENCE

AUDIENCES: Final[dict[LetterKind, str]] = {
    LetterKind.REFERRAL: disclosures.CLINICAL_AUDIENCE,
    LetterKind.GP_UPDATE: disclosures.CLINICAL_AUDIENCE,
    LetterKind.DID_NOT_ATTEND: CLIENT_AUDIENCE,
}
"""Who each kind of letter goes to: a health professional, or the client."""

PURPOSES: Final[dict[LetterKind, str]] = {
    LetterKind.REFERRAL: "Referral for specialist assessment and care",
    LetterKind.GP_UPDATE: "Update to the client's GP",
    LetterKind.DID_NOT_ATTEND: "Letter to the client about a missed appointment",
}

CLIENT_MARKING: Final = "PRIVATE AND CONFIDENTIAL"
CLIENT_HANDLING: Final = "For the addressee only."
CLIENT_RECIPIENT: Final = "The client"
"""How the register names the recipient of a letter to the client (not by name)."""

UNFILLED: Final = re.compile(r"\[[^\]\n]{1,120}\]")
MAX_RECIPIENT: Final = 200
MAX_ADDRESS: Final = 1000


def may_carry_clinical_wording(kind: LetterKind) -> bool:
    """A letter to a health professional may carry clinical wording; one to the client not."""
    return AUDIENCES[kind] == disclosures.CLINICAL_AUDIENCE


def needs_gateway(kind: LetterKind) -> bool:
    """A letter to someone other than the client is a disclosure under a gateway."""
    return AUDIENCES[kind] != CLIENT_AUDIENCE


@dataclass(frozen=True)
class LetterText:
    """What the clinician may edit before a letter is issued."""

    kind: LetterKind
    recipient_name: str
    recipient_address: str
    salutation: str
    body: str
    sign_off: str


@dataclass(frozen=True)
class LetterDraft:
    """A letter filled from its template, ready for the clinician to edit."""

    client_id: int
    text: LetterText
    signature: Signature
    needs_gateway: bool
    suggested_gateway: Gateway | None


@dataclass(frozen=True)
class TemplateLetterPreview:
    """A checked letter drawn for review: its bytes, fingerprint and how to issue it."""

    client_id: int
    text: LetterText
    document_id: str
    issued_on: date
    data: bytes
    sha256: str
    suggested_filename: str


@dataclass(frozen=True)
class IssuedTemplateLetter:
    """A letter entered in the disclosure register and written to disk."""

    disclosure: DisclosureRow
    path: Path
    sha256: str


def _appointment(
    session: Session, client_id: int, kind: LetterKind, today: date
) -> Appointment | None:
    if kind is LetterKind.DID_NOT_ATTEND:
        missed = session.scalar(
            select(Appointment)
            .where(
                Appointment.client_id == client_id,
                Appointment.status == AppointmentStatus.DID_NOT_ATTEND,
                Appointment.day <= today,
            )
            .order_by(Appointment.day.desc(), Appointment.start_time.desc())
            .limit(1)
        )
        if missed is not None:
            return missed
    return session.scalar(
        select(Appointment)
        .where(
            Appointment.client_id == client_id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.day >= today,
        )
        .order_by(Appointment.day, Appointment.start_time)
        .limit(1)
    )


def _signature(session: Session, by: StaffRef) -> Signature:
    me = get_or_raise(session, StaffUser, by.id, "member of staff")
    return Signature(
        name=me.display_name,
        job_title=me.job_title,
        contact=me.contact,
        service_name=get_text_setting(session, SERVICE_NAME),
    )


def _values(
    session: Session, client: Client, kind: LetterKind, signature: Signature, today: date
) -> dict[str, str]:
    """What fills each placeholder: identity and appointments only, never clinical text."""
    booked = _appointment(session, client.id, kind, today)
    nhs = client.nhs_number or ""
    return {
        "client_name": f"{client.given_name} {client.family_name}",
        "client_first_name": client.given_name,
        "case_reference": client.local_ref,
        "date_of_birth": long_date(client.date_of_birth),
        "nhs_number": f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}" if len(nhs) == 10 else "[NHS number]",
        "clinician_name": signature.name,
        "clinician_job_title": signature.job_title or "[job title]",
        "clinician_contact": signature.contact or "[your phone or email]",
        "service_name": signature.service_name,
        "appointment_date": long_date(booked.day) if booked else "[appointment date]",
        "appointment_time": f"{booked.start_time:%H:%M}" if booked else "[appointment time]",
        "today": long_date(today),
    }


def draft_letter(
    session: Session,
    by: StaffRef,
    client_id: int,
    kind: LetterKind,
    *,
    today: date | None = None,
) -> LetterDraft:
    """The kind's template filled from the record, for the clinician to edit."""
    require_clinical_access(session, by, client_id)
    client = get_or_raise(session, Client, client_id, "client")
    today = today or date.today()
    signature = _signature(session, by)
    values = _values(session, client, kind, signature, today)
    wording = wording_for(session, kind)
    to_client = AUDIENCES[kind] == CLIENT_AUDIENCE
    text = LetterText(
        kind=kind,
        recipient_name=values["client_name"] if to_client else "",
        recipient_address=client.address if to_client else "",
        salutation=fill(wording.salutation, values),
        body=fill(wording.body, values),
        sign_off=fill(wording.sign_off, values),
    )
    return LetterDraft(
        client_id,
        text,
        signature,
        needs_gateway(kind),
        Gateway.DPA_SCH1_PARA2 if needs_gateway(kind) else None,
    )


_FIELDS: Final = (
    ("recipient_name", "the recipient"),
    ("recipient_address", "the address"),
    ("salutation", "the salutation"),
    ("body", "the body of the letter"),
    ("sign_off", "the sign-off"),
)


def letter_problems(session: Session, by: StaffRef, client_id: int, text: LetterText) -> Checker:
    """Everything that stops this letter leaving: the one gate every letter goes through."""
    check = Checker()
    check.text(
        "recipient_name",
        text.recipient_name,
        label="The recipient",
        required=True,
        max_length=MAX_RECIPIENT,
    )
    check.text(
        "recipient_address", text.recipient_address, label="The address", max_length=MAX_ADDRESS
    )
    check.text("salutation", text.salutation, label="The salutation", required=True, max_length=200)
    check.text("body", text.body, label="The body of the letter", required=True, max_length=20_000)
    check.text("sign_off", text.sign_off, label="The sign-off", required=True, max_length=200)
    fields = [lexicon.TextField(where, label, getattr(text, where)) for where, label in _FIELDS]
    for field in fields:
        left = UNFILLED.search(field.text)
        if left is not None:
            check.add(
                field.path,
                f"{field.label[:1].upper()}{field.label[1:]} still has {left.group(0)} to "
                "fill in or take out.",
            )
    hits = lexicon.check_fields(
        fields, third_parties=lexicon.third_party_details(session, by, client_id)
    )
    clinical_allowed = may_carry_clinical_wording(text.kind)
    for hit in hits:
        if hit.category.is_third_party:
            check.add(
                hit.field,
                f"{hit.explanation} Details of the victim and other people never leave the "
                "service: take it out.",
            )
        elif not clinical_allowed:
            check.add(
                hit.field,
                f"{hit.explanation} A letter to the client carries no clinical wording: "
                "take it out or say it another way.",
            )
    return check


def _frame(text: LetterText, *, document_id: str, issued_on: date) -> DocumentFrame:
    clinical = may_carry_clinical_wording(text.kind)
    return DocumentFrame(
        title=LETTER_KIND_WORDS[text.kind],
        marking=CLINICAL_MARKING if clinical else CLIENT_MARKING,
        handling=CLINICAL_HANDLING if clinical else CLIENT_HANDLING,
        document_id=document_id,
        issued_on=issued_on,
        recipient_agency=text.recipient_name.strip(),
        recipient_person="",
        purpose=PURPOSES[text.kind],
        audience_title="",
    )


def _clean(text: LetterText) -> LetterText:
    return replace(
        text,
        recipient_name=text.recipient_name.strip(),
        recipient_address=text.recipient_address.strip(),
        salutation=text.salutation.strip(),
        body=text.body.strip(),
        sign_off=text.sign_off.strip(),
    )


def _draw(
    session: Session,
    by: StaffRef,
    client_id: int,
    text: LetterText,
    *,
    document_id: str,
    issued_on: date,
) -> tuple[LetterContent, DocumentFrame, bytes]:
    require_clinical_access(session, by, client_id)
    get_or_raise(session, Client, client_id, "client")
    letter_problems(session, by, client_id, text).raise_if_any()
    text = _clean(text)
    content = LetterContent(
        kind=text.kind,
        recipient_name=text.recipient_name,
        recipient_address=text.recipient_address,
        salutation=text.salutation,
        body=text.body,
        sign_off=text.sign_off,
        signature=_signature(session, by),
    )
    frame = _frame(text, document_id=document_id, issued_on=issued_on)
    return content, frame, render_letter(content, frame)


def suggested_filename(session: Session, client_id: int, kind: LetterKind, issued_on: date) -> str:
    """What the file is: the kind, the case reference and the date."""
    client = get_or_raise(session, Client, client_id, "client")
    ref = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in client.local_ref)
    return f"{LETTER_KIND_WORDS[kind]} {ref} {issued_on.isoformat()}.pdf"


def preview_letter(
    session: Session,
    by: StaffRef,
    client_id: int,
    text: LetterText,
    *,
    document_id: str | None = None,
    issued_on: date | None = None,
) -> TemplateLetterPreview:
    """The exact pages of the edited letter, once it passes the gate (nothing is recorded)."""
    issued_on = issued_on or date.today()
    document_id = document_id or disclosures.new_document_id()
    *_drawn, data = _draw(
        session, by, client_id, text, document_id=document_id, issued_on=issued_on
    )
    return TemplateLetterPreview(
        client_id,
        text,
        document_id,
        issued_on,
        data,
        sha256_hex(data),
        suggested_filename(session, client_id, text.kind, issued_on),
    )


def issue_letter(
    session: Session,
    by: StaffRef,
    client_id: int,
    text: LetterText,
    out: Path,
    *,
    document_id: str,
    issued_on: date,
    expected_sha256: str,
    gateway: Gateway | None,
    client_informed: bool = True,
    client_not_informed_reason: str = "",
) -> IssuedTemplateLetter:
    """Record the letter reviewed in the preview in the register, then write it.

    A letter to the client needs no gateway (it is the client's own correspondence); any
    other needs one, and consent only if the record shows it was given.
    """
    if needs_gateway(text.kind):
        check_letter_choices(
            gateway=gateway,
            client_informed=client_informed,
            client_not_informed_reason=client_not_informed_reason,
            consent=client_consent(session, client_id),
        )
    else:
        gateway, client_informed, client_not_informed_reason = None, True, ""
    content, frame, data = _draw(
        session, by, client_id, text, document_id=document_id, issued_on=issued_on
    )
    sha256 = sha256_hex(data)
    if sha256 != expected_sha256:
        raise ValidationError(
            "The letter or the record has changed since you reviewed it. Review the letter "
            "again before it is issued.",
            where="letter",
        )
    to_client = AUDIENCES[text.kind] == CLIENT_AUDIENCE
    row = disclosures.record_disclosure(
        session,
        by,
        kind=DisclosureKind.LETTER,
        client_id=client_id,
        audience=AUDIENCES[text.kind],
        recipient_agency=CLIENT_RECIPIENT if to_client else content.recipient_name,
        purpose=PURPOSES[text.kind],
        gateway=gateway,
        client_informed=client_informed,
        client_not_informed_reason=client_not_informed_reason,
        document_sha256=sha256,
        payload=payload_of(content, frame),
        document_id=document_id,
    )
    files.write_when_committed(session, Path(out), data)
    return IssuedTemplateLetter(row, Path(out), sha256)
