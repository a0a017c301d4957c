"""Previewing, exporting and regenerating documents: the use cases screens and the CLI call.

Each export, in the caller's unit of work:

1. rebuilds the content from the database (:func:`clinic_app.services.summaries.rebuild`)
   and refuses a draft that differs from it other than by the author's checked edits,
   so only what the builder gives can ever be rendered;
2. refuses while any lexicon hit is neither kept nor edited away (unless the caller
   accepts every warning, which the register records), or while the sharing decision
   is incomplete: recipient, purpose, gateway, whether the client was told (or why not)
   and all four Caldicott confirmations;
3. renders the PDF, records the disclosure (with the document's SHA-256 and the content
   and frame it was rendered from) and only then writes the file atomically.

If anything fails nothing is written and, as the caller rolls back, nothing is logged.
:func:`regenerate` renders a past disclosure again from its register entry: same bytes.

Functions here take ``(session, by, ...)`` like services (bind them with
``Workspace.bind``); they read the database only through the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from clinic_app.errors import Problem, ValidationError
from clinic_app.models.enums import DisclosureKind
from clinic_app.reports import pdf, referral_letter
from clinic_app.reports.content import (
    CLINICAL_HANDLING,
    CLINICAL_MARKING,
    ClinicalSummary,
    DocumentFrame,
    PartnerSummary,
    RiskNotice,
)
from clinic_app.services import disclosures, settings, summaries
from clinic_app.services.common import StaffRef, require_clinical_access
from clinic_app.services.disclosures import (
    CLINICAL_AUDIENCE,
    GATEWAY_WORDS,
    DisclosureRow,
    SharingDecision,
)
from clinic_app.services.summaries import (
    ContentT,
    Draft,
    NoticeDraft,
    NoticeRequest,
    SummaryDraft,
    SummaryRequest,
)

TITLES = {
    DisclosureKind.PARTNER_SUMMARY: "Progress summary",
    DisclosureKind.RISK_NOTICE: "Urgent risk notification",
    DisclosureKind.CLINICAL_SUMMARY: "Clinical summary",
}


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered document: its pages as PDF bytes, with the frame it was drawn in."""

    frame: DocumentFrame
    data: bytes
    sha256: str

    @property
    def document_id(self) -> str:
        return self.frame.document_id


@dataclass(frozen=True)
class ExportResult:
    """A document written to disk and entered in the register."""

    disclosure: DisclosureRow
    path: Path
    sha256: str
    warnings_accepted: int
    """How many lexicon warnings were accepted wholesale (0 when each was resolved)."""


# -- frames ---------------------------------------------------------------------------------------


def document_frame(
    session: Session,
    *,
    kind: DisclosureKind,
    decision: SharingDecision | None,
    audience_title: str,
    document_id: str | None = None,
    issued_on: date | None = None,
) -> DocumentFrame:
    """The frame a document is printed in: marking and handling from the settings."""
    clinical = kind is DisclosureKind.CLINICAL_SUMMARY
    return DocumentFrame(
        title=TITLES[kind],
        marking=CLINICAL_MARKING
        if clinical
        else settings.get_text_setting(session, settings.DOCUMENT_MARKING),
        handling=CLINICAL_HANDLING
        if clinical
        else settings.get_text_setting(session, settings.DOCUMENT_HANDLING),
        document_id=document_id or disclosures.new_document_id(),
        issued_on=issued_on or date.today(),
        recipient_agency=decision.recipient_agency.strip()
        if decision
        else "(recipient not yet given)",
        recipient_person=decision.recipient_person.strip() if decision else "",
        purpose=decision.purpose.strip() if decision else "(purpose not yet given)",
        audience_title="" if clinical else audience_title,
        gateway=GATEWAY_WORDS[decision.gateway] if decision and decision.gateway else "",
    )


def _rendered(content: pdf.Renderable, frame: DocumentFrame) -> RenderedDocument:
    data = pdf.render(content, frame)
    return RenderedDocument(frame, data, pdf.sha256_hex(data))


# -- checks before anything leaves --------------------------------------------------------------


def _fresh(session: Session, by: StaffRef, draft: Draft[ContentT]) -> Draft[ContentT]:
    """The draft rebuilt from the database; refuses one whose content does not match."""
    fresh = summaries.rebuild(session, by, draft)
    if fresh.content != draft.content:
        raise ValidationError(
            "The record has changed since this document was prepared, or the document was "
            "altered outside the checks. Prepare it again.",
            where="content",
        )
    return fresh


def _refusals(
    draft: Draft[Any], decision: SharingDecision, *, accept_warnings: bool
) -> list[Problem]:
    problems = disclosures.sharing_problems(decision)
    if not accept_warnings and draft.unresolved:
        listed = "; ".join(h.explanation for h in draft.unresolved)
        problems.append(
            Problem(
                "lexicon",
                f"{len(draft.unresolved)} warning(s) from the wording check are not resolved. "
                f"Keep or edit each one: {listed}",
            )
        )
    return problems


def _lexicon_record(draft: Draft[Any], accepted: int) -> dict[str, Any]:
    return {
        "kept": [
            {"field": h.field, "term": h.term, "category": h.category.value} for h in draft.hits
        ],
        "edited_fields": [path for path, _ in draft.edits],
        "warnings_accepted": accepted,
    }


def _payload(
    content: PartnerSummary | RiskNotice | ClinicalSummary,
    frame: DocumentFrame,
    lexicon_record: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "content": summaries.content_to_payload(content),
        "frame": frame.to_json(),
        "lexicon": lexicon_record,
    }


def _export(
    session: Session,
    by: StaffRef,
    draft: Draft[ContentT],
    decision: SharingDecision,
    out: Path,
    *,
    kind: DisclosureKind,
    document_id: str | None,
    issued_on: date | None,
    accept_warnings: bool,
) -> ExportResult:
    require_clinical_access(session, by, draft.request.client_id)
    fresh = _fresh(session, by, draft)
    accepted = len(fresh.unresolved) if accept_warnings else 0
    problems = _refusals(fresh, decision, accept_warnings=accept_warnings)
    if problems:
        raise ValidationError(problems)
    if accepted:
        fresh = summaries.accept_all_warnings(fresh)
    content = fresh.content
    frame = document_frame(
        session,
        kind=kind,
        decision=decision,
        audience_title=content.audience_title,
        document_id=document_id,
        issued_on=issued_on,
    )
    rendered = _rendered(content, frame)
    request = fresh.request
    row = disclosures.record_disclosure(
        session,
        by,
        kind=kind,
        client_id=request.client_id,
        audience=content.audience,
        recipient_agency=decision.recipient_agency,
        recipient_person=decision.recipient_person,
        purpose=decision.purpose,
        gateway=decision.gateway,
        client_informed=decision.client_informed,
        client_not_informed_reason=decision.client_not_informed_reason,
        document_sha256=rendered.sha256,
        payload=_payload(content, frame, _lexicon_record(fresh, accepted)),
        risk_event_id=request.risk_event_id if isinstance(request, NoticeRequest) else None,
        period_from=request.period_from if isinstance(request, SummaryRequest) else None,
        period_to=request.period_to if isinstance(request, SummaryRequest) else None,
        document_id=frame.document_id,
    )
    pdf.write_atomically(out, rendered.data)
    return ExportResult(row, Path(out), rendered.sha256, accepted)


# -- partner summary ------------------------------------------------------------------------------


def preview_partner_summary(
    session: Session,
    by: StaffRef,
    draft: SummaryDraft,
    decision: SharingDecision | None = None,
    *,
    document_id: str | None = None,
    issued_on: date | None = None,
) -> RenderedDocument:
    """The exact pages of the summary as it stands (nothing is recorded).

    Export with the same ``document_id`` and ``issued_on`` (and the same decision and
    draft) gives these very bytes.
    """
    require_clinical_access(session, by, draft.request.client_id)
    frame = document_frame(
        session,
        kind=DisclosureKind.PARTNER_SUMMARY,
        decision=decision,
        audience_title=draft.content.audience_title,
        document_id=document_id,
        issued_on=issued_on,
    )
    return _rendered(draft.content, frame)


def export_partner_summary(
    session: Session,
    by: StaffRef,
    draft: SummaryDraft,
    decision: SharingDecision,
    out: Path,
    *,
    document_id: str | None = None,
    issued_on: date | None = None,
    accept_warnings: bool = False,
) -> ExportResult:
    """Check, render, record in the register and write the summary to ``out``."""
    return _export(
        session,
        by,
        draft,
        decision,
        out,
        kind=DisclosureKind.PARTNER_SUMMARY,
        document_id=document_id,
        issued_on=issued_on,
        accept_warnings=accept_warnings,
    )


# -- urgent risk notification ---------------------------------------------------------------------


def preview_risk_notice(
    session: Session,
    by: StaffRef,
    draft: NoticeDraft,
    decision: SharingDecision | None = None,
    *,
    document_id: str | None = None,
    issued_on: date | None = None,
) -> RenderedDocument:
    """The exact page of the urgent risk notification (nothing is recorded)."""
    require_clinical_access(session, by, draft.request.client_id)
    frame = document_frame(
        session,
        kind=DisclosureKind.RISK_NOTICE,
        decision=decision,
        audience_title=draft.content.audience_title,
        document_id=document_id,
        issued_on=issued_on,
    )
    return _rendered(draft.content, frame)


def export_risk_notice(
    session: Session,
    by: StaffRef,
    draft: NoticeDraft,
    decision: SharingDecision,
    out: Path,
    *,
    document_id: str | None = None,
    issued_on: date | None = None,
    accept_warnings: bool = False,
) -> ExportResult:
    """Check, render, record in the register and write the notification to ``out``."""
    return _export(
        session,
        by,
        draft,
        decision,
        out,
        kind=DisclosureKind.RISK_NOTICE,
        document_id=document_id,
        issued_on=issued_on,
        accept_warnings=accept_warnings,
    )


# -- clinical summary -----------------------------------------------------------------------------


def preview_clinical_summary(
    session: Session,
    by: StaffRef,
    client_id: int,
    decision: SharingDecision | None = None,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    document_id: str | None = None,
    issued_on: date | None = None,
) -> RenderedDocument:
    """The exact pages of the clinical summary (nothing is recorded)."""
    content = summaries.build_clinical_summary(
        session, by, client_id, period_from=period_from, period_to=period_to, today=issued_on
    )
    frame = document_frame(
        session,
        kind=DisclosureKind.CLINICAL_SUMMARY,
        decision=decision,
        audience_title="",
        document_id=document_id,
        issued_on=issued_on,
    )
    return _rendered(content, frame)


def export_clinical_summary(
    session: Session,
    by: StaffRef,
    client_id: int,
    decision: SharingDecision,
    out: Path,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    referral_id: int | None = None,
    document_id: str | None = None,
    issued_on: date | None = None,
) -> ExportResult:
    """Render the clinical summary, record it (kind clinical_summary) and write it.

    There is no audience: a clinical summary is never offered to partner agencies. The
    gateway may be left empty (e.g. for the clinical record itself).
    """
    content = summaries.build_clinical_summary(
        session, by, client_id, period_from=period_from, period_to=period_to, today=issued_on
    )
    problems = disclosures.sharing_problems(decision, gateway_required=False)
    if problems:
        raise ValidationError(problems)
    frame = document_frame(
        session,
        kind=DisclosureKind.CLINICAL_SUMMARY,
        decision=decision,
        audience_title="",
        document_id=document_id,
        issued_on=issued_on,
    )
    rendered = _rendered(content, frame)
    row = disclosures.record_disclosure(
        session,
        by,
        kind=DisclosureKind.CLINICAL_SUMMARY,
        client_id=client_id,
        audience=CLINICAL_AUDIENCE,
        recipient_agency=decision.recipient_agency,
        recipient_person=decision.recipient_person,
        purpose=decision.purpose,
        gateway=decision.gateway,
        client_informed=decision.client_informed,
        client_not_informed_reason=decision.client_not_informed_reason,
        document_sha256=rendered.sha256,
        payload=_payload(content, frame, None),
        referral_id=referral_id,
        period_from=content.period.start if content.period else None,
        period_to=content.period.end if content.period else None,
        document_id=frame.document_id,
    )
    pdf.write_atomically(out, rendered.data)
    return ExportResult(row, Path(out), rendered.sha256, 0)


# -- regenerate -----------------------------------------------------------------------------------


def regenerate(session: Session, by: StaffRef, disclosure_id: int) -> bytes:
    """A past document rendered again from its register entry: the very same bytes.

    Raises ValidationError when the entry has no document or the bytes no longer match
    its recorded SHA-256 (which would mean the renderer changed since).
    """
    stored = disclosures.stored_document(session, by, disclosure_id)
    payload = stored.payload
    if stored.disclosure.kind is DisclosureKind.REFERRAL_LETTER:
        data = referral_letter.render_from_payload(payload)
    else:
        content = summaries.content_from_payload(payload["content"])
        frame = DocumentFrame.from_json(payload["frame"])
        data = pdf.render(content, frame)
    if pdf.sha256_hex(data) != stored.disclosure.document_sha256:
        raise ValidationError(
            "This document can no longer be reproduced exactly (the program that drew it "
            "has changed); its recorded content is unchanged."
        )
    return data
