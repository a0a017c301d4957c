"""The referral letter: a clinical PDF addressed to a specialist service.

The letter is drawn from :class:`~clinic_app.reports.content.LetterFacts` (the referral
and what a clinical service needs from the client's record: identity, reason, clinical
detail, urgency, a risk summary without anything about other people, and the referrer)
on the shared page template of :mod:`clinic_app.reports.page`, marked as clinical on every
page. The same facts and frame give the same bytes. The facts are read, and the letter
previewed and issued, by :mod:`clinic_app.services.sharing.letters`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final

from clinic_app.errors import ValidationError
from clinic_app.reports.content import (
    CLINICAL_HANDLING,
    CLINICAL_MARKING,
    DocumentFrame,
    LetterFacts,
)
from clinic_app.wording import long_date

if TYPE_CHECKING:
    from reportlab.platypus import Flowable  # type: ignore[import-untyped]

# reportlab and the page are imported where a letter is drawn, not with this module: the
# record's screens import it for the letter's words and frame, and reportlab is about
# 15 MB of a process that may never draw a letter.

TITLE: Final = "Referral letter"
PURPOSE: Final = "Referral for specialist assessment and care"
PAYLOAD_KIND: Final = "referral_letter"
NO_OTHER_PEOPLE: Final = (
    "Information about the victim and other people is not included in this letter."
)


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
    from clinic_app.reports import page  # noqa: PLC0415

    story: list[Flowable] = [page.heading("Risk summary")]
    assessment = facts.risk_assessment
    if assessment is None:
        story.append(page.para("No structured risk assessment is recorded."))
    else:
        judged = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in assessment.judgements)
        story.append(
            page.markup(
                f"<b>Latest structured risk assessment</b>: {page.text(assessment.tool)} "
                f"(version {page.text(assessment.version)}), {long_date(assessment.assessed_on)}."
                + (f" Judgements: {page.text(judged)}." if judged else "")
            )
        )
        if assessment.summary.strip():
            story.append(page.para(assessment.summary))
    if facts.risk_events:
        rows = [("Date", "Event", "Urgency", "Statement")]
        rows.extend(
            (long_date(e.occurred_on), e.kind, e.urgency, e.statement or "-")
            for e in facts.risk_events
        )
        w = page.CONTENT_WIDTH
        story.append(page.markup("<b>Risk events in the last year</b>"))
        story.append(page.table(rows, (w * 0.18, w * 0.3, w * 0.12, w * 0.4)))
    else:
        story.append(page.para("No risk events were recorded in the last year."))
    story.append(page.para(NO_OTHER_PEOPLE, page.SMALL))
    return story


def render_referral_letter(facts: LetterFacts, frame: DocumentFrame) -> bytes:
    """The letter as PDF bytes (deterministic: the same facts and frame, the same bytes)."""
    from reportlab.lib.units import mm  # type: ignore[import-untyped]  # noqa: PLC0415
    from reportlab.platypus import Spacer  # noqa: PLC0415

    from clinic_app.reports import page  # noqa: PLC0415

    subtitle = f"Confidential clinical referral to {facts.service_name} ({facts.service_kind})"
    story: list[Flowable] = page.document_head(frame, subtitle)
    if facts.is_demo:
        story.append(page.warning_box("DEMO RECORD: this person is invented, not a real patient."))
    if facts.urgency.casefold() != "routine":
        story.append(
            page.warning_box(
                f"{page.text(facts.urgency.upper())} REFERRAL: please respond promptly"
            )
        )
    if facts.salutation:
        story.append(Spacer(1, 6))
        story.append(page.para(facts.salutation))
        for block in facts.opening.replace("\r\n", "\n").split("\n\n"):
            if block.strip():
                lines = (page.text(line) for line in block.strip().split("\n"))
                story.append(page.markup("<br/>".join(lines)))
    w = page.CONTENT_WIDTH
    service_rows = [("Urgency", facts.urgency)]
    if facts.service_contact.strip():
        service_rows.append(("Contact", facts.service_contact))
    if facts.snomed_concept_id:
        service_rows.append(("Referral type (SNOMED CT)", facts.snomed_concept_id))
    story.append(Spacer(1, 4))
    story.append(page.table(service_rows, (55 * mm, w - 55 * mm), header=False, label_column=True))
    patient = [
        ("Name", facts.client_name),
        ("Date of birth", long_date(facts.date_of_birth)),
        ("NHS number", nhs_number(facts.nhs_number)),
    ]
    if facts.address.strip():
        patient.append(("Address", facts.address))
    patient.append(("Our reference", facts.local_ref))
    story.append(page.heading("Patient"))
    story.append(page.table(patient, (55 * mm, w - 55 * mm), header=False, label_column=True))
    story.append(page.heading("Reason for referral"))
    story.append(page.para(facts.reason))
    story.append(page.heading("Clinical detail"))
    story.append(page.para(facts.clinical_detail or "No further detail beyond the reason above."))
    story.extend(_risk_story(facts))
    if not facts.opening.strip():
        story.append(
            page.para(
                "Please reply to the referrer below, acknowledging this referral and telling "
                "us your decision."
            )
        )
    if facts.sign_off:
        story.append(page.para(facts.sign_off))
    story.extend(
        page.author_block(facts.referrer_name, facts.referrer_title, facts.referrer_contact)
    )
    return page.build_pdf(frame, story)


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
