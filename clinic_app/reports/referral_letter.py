"""The referral letter: a clinical PDF addressed to a specialist service.

The letter is drawn from :class:`~clinic_app.services.referrals.LetterFacts` (the referral
and what a clinical service needs from the client's record: identity, reason, clinical
detail, urgency, a risk summary without anything about other people, and the referrer)
on the shared page template of :mod:`clinic_app.reports.pdf`, marked as clinical on every
page. The same facts and frame give the same bytes.

The use cases, in the caller's unit of work (bind them with ``Workspace.bind``):

- :func:`preview_referral_letter` draws the letter for review; nothing is recorded.
- :func:`issue_referral_letter` draws it again, refuses if it is not the letter that was
  reviewed (same SHA-256), records the disclosure to the service in the register with
  the letter's SHA-256 and the facts it was drawn from, and only then writes the file
  atomically. If anything fails nothing is written and, as the caller rolls back,
  nothing is recorded.
- :func:`render_from_payload` draws a past letter again from its register entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import Flowable, Spacer  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from clinic_app.errors import ValidationError
from clinic_app.models.enums import DisclosureKind, Gateway
from clinic_app.reports import pdf
from clinic_app.reports.content import CLINICAL_HANDLING, CLINICAL_MARKING, DocumentFrame
from clinic_app.services import referrals
from clinic_app.services.common import StaffRef
from clinic_app.services.referrals import LetterFacts
from clinic_app.services.sharing import disclosures
from clinic_app.services.sharing.disclosures import CLINICAL_AUDIENCE, DisclosureRow

TITLE: Final = "Referral letter"
PURPOSE: Final = "Referral for specialist assessment and care"
PAYLOAD_KIND: Final = "referral_letter"
NO_OTHER_PEOPLE: Final = (
    "Information about the victim and other people is not included in this letter."
)


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def nhs_number(number: str | None) -> str:
    if number and len(number) == 10 and number.isdigit():
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    return number or "Not recorded"


def letter_frame(facts: LetterFacts, *, document_id: str, issued_on: date) -> DocumentFrame:
    """The page frame: clinical marking and handling, addressed to the service."""
    return DocumentFrame(
        title=TITLE,
        marking=CLINICAL_MARKING,
        handling=CLINICAL_HANDLING,
        document_id=document_id,
        issued_on=issued_on,
        recipient_agency=facts.service_name,
        recipient_person="",
        purpose=PURPOSE,
        audience_title="",
    )


def _risk_story(facts: LetterFacts) -> list[Flowable]:
    story: list[Flowable] = [pdf.heading("Risk summary")]
    assessment = facts.risk_assessment
    if assessment is None:
        story.append(pdf.para("No structured risk assessment is recorded."))
    else:
        judged = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in assessment.judgements)
        story.append(
            pdf.markup(
                f"<b>Latest structured risk assessment</b>: {pdf.text(assessment.tool)} "
                f"(version {pdf.text(assessment.version)}), {long_date(assessment.assessed_on)}."
                + (f" Judgements: {pdf.text(judged)}." if judged else "")
            )
        )
        if assessment.summary.strip():
            story.append(pdf.para(assessment.summary))
    if facts.risk_events:
        rows = [("Date", "Event", "Urgency", "Statement")]
        rows.extend(
            (long_date(e.occurred_on), e.kind, e.urgency, e.statement or "-")
            for e in facts.risk_events
        )
        w = pdf.CONTENT_WIDTH
        story.append(pdf.markup("<b>Risk events in the last year</b>"))
        story.append(pdf.table(rows, (w * 0.18, w * 0.3, w * 0.12, w * 0.4)))
    else:
        story.append(pdf.para("No risk events were recorded in the last year."))
    story.append(pdf.para(NO_OTHER_PEOPLE, pdf.SMALL))
    return story


def render_referral_letter(facts: LetterFacts, frame: DocumentFrame) -> bytes:
    """The letter as PDF bytes (deterministic: the same facts and frame, the same bytes)."""
    subtitle = f"Confidential clinical referral to {facts.service_name} ({facts.service_kind})"
    story: list[Flowable] = pdf.document_head(frame, subtitle)
    if facts.is_demo:
        story.append(pdf.warning_box("DEMO RECORD: this person is invented, not a real patient."))
    if facts.urgency.casefold() != "routine":
        story.append(
            pdf.warning_box(f"{pdf.text(facts.urgency.upper())} REFERRAL: please respond promptly")
        )
    w = pdf.CONTENT_WIDTH
    service_rows = [("Urgency", facts.urgency)]
    if facts.service_contact.strip():
        service_rows.append(("Contact", facts.service_contact))
    if facts.snomed_concept_id:
        service_rows.append(("Referral type (SNOMED CT)", facts.snomed_concept_id))
    story.append(Spacer(1, 4))
    story.append(pdf.table(service_rows, (55 * mm, w - 55 * mm), header=False, label_column=True))
    patient = [
        ("Name", facts.client_name),
        ("Date of birth", long_date(facts.date_of_birth)),
        ("NHS number", nhs_number(facts.nhs_number)),
    ]
    if facts.address.strip():
        patient.append(("Address", facts.address))
    patient.append(("Our reference", facts.local_ref))
    story.append(pdf.heading("Patient"))
    story.append(pdf.table(patient, (55 * mm, w - 55 * mm), header=False, label_column=True))
    story.append(pdf.heading("Reason for referral"))
    story.append(pdf.para(facts.reason))
    story.append(pdf.heading("Clinical detail"))
    story.append(pdf.para(facts.clinical_detail or "No further detail beyond the reason above."))
    story.extend(_risk_story(facts))
    story.append(
        pdf.para(
            "Please reply to the referrer below, acknowledging this referral and telling us "
            "your decision."
        )
    )
    story.extend(
        pdf.author_block(facts.referrer_name, facts.referrer_title, facts.referrer_contact)
    )
    return pdf.build_pdf(frame, story)


def payload_of(facts: LetterFacts, frame: DocumentFrame) -> dict[str, Any]:
    """What the register keeps to draw the letter again."""
    return {"kind": PAYLOAD_KIND, "content": facts.as_payload(), "frame": frame.to_json()}


def render_from_payload(payload: dict[str, Any]) -> bytes:
    """A past letter drawn again from its register entry's payload: the same bytes."""
    if payload.get("kind") != PAYLOAD_KIND:
        raise ValidationError("This register entry is not a referral letter.")
    return render_referral_letter(
        LetterFacts.from_payload(payload["content"]), DocumentFrame.from_json(payload["frame"])
    )


# -- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterPreview:
    """A letter drawn for review: its bytes, fingerprint, and what to issue it with."""

    referral_id: int
    document_id: str
    issued_on: date
    data: bytes
    sha256: str
    service_name: str
    suggested_filename: str


@dataclass(frozen=True)
class IssuedLetter:
    """A letter written to disk and entered in the disclosure register."""

    disclosure: DisclosureRow
    path: Path
    sha256: str


def _filename(facts: LetterFacts, issued_on: date) -> str:
    ref = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in facts.local_ref)
    return f"Referral letter {ref} {issued_on.isoformat()}.pdf"


def preview_referral_letter(
    session: Session,
    by: StaffRef,
    referral_id: int,
    *,
    document_id: str | None = None,
    issued_on: date | None = None,
) -> LetterPreview:
    """The exact pages of the letter (nothing is recorded).

    Issue it with the same ``document_id`` and ``issued_on`` to get these very bytes.
    """
    issued_on = issued_on or date.today()
    facts = referrals.letter_facts(session, by, referral_id, today=issued_on)
    frame = letter_frame(
        facts, document_id=document_id or disclosures.new_document_id(), issued_on=issued_on
    )
    data = render_referral_letter(facts, frame)
    return LetterPreview(
        referral_id,
        frame.document_id,
        issued_on,
        data,
        pdf.sha256_hex(data),
        facts.service_name,
        _filename(facts, issued_on),
    )


def issue_referral_letter(
    session: Session,
    by: StaffRef,
    referral_id: int,
    out: Path,
    *,
    document_id: str,
    issued_on: date,
    expected_sha256: str,
    gateway: Gateway | None,
    client_informed: bool,
    client_not_informed_reason: str = "",
) -> IssuedLetter:
    """Record the letter reviewed in the preview as disclosed to the service, then write it.

    ``document_id``, ``issued_on`` and ``expected_sha256`` come from the preview: if the
    referral or the record changed since, the letter would differ from what was reviewed
    and nothing is issued.
    """
    facts = referrals.letter_facts(session, by, referral_id, today=issued_on)
    referrals.check_letter_choices(
        gateway=gateway,
        client_informed=client_informed,
        client_not_informed_reason=client_not_informed_reason,
        consent=referrals.client_consent(session, facts.client_id),
    )
    frame = letter_frame(facts, document_id=document_id, issued_on=issued_on)
    data = render_referral_letter(facts, frame)
    sha256 = pdf.sha256_hex(data)
    if sha256 != expected_sha256:
        raise ValidationError(
            "The referral or the client's record has changed since you reviewed this letter. "
            "Review the letter again before it is produced.",
            where="letter",
        )
    row = disclosures.record_disclosure(
        session,
        by,
        kind=DisclosureKind.REFERRAL_LETTER,
        client_id=facts.client_id,
        audience=CLINICAL_AUDIENCE,
        recipient_agency=facts.service_name,
        purpose=PURPOSE,
        gateway=gateway,
        client_informed=client_informed,
        client_not_informed_reason=client_not_informed_reason,
        document_sha256=sha256,
        payload=payload_of(facts, frame),
        referral_id=referral_id,
        document_id=document_id,
    )
    pdf.write_atomically(out, data)
    return IssuedLetter(row, Path(out), sha256)
