"""Previewing, exporting and regenerating documents: the use cases screens and the CLI call.

Each export, in the caller's unit of work:

1. rebuilds the content from the database (:func:`~clinic_app.services.sharing.drafts.rebuild`)
   and refuses a draft that differs from it other than by the author's checked edits,
   so only what the builder gives can ever be rendered;
2. refuses while any lexicon hit is neither kept nor edited away (unless the caller
   accepts every warning, which the register records), or while the sharing decision
   is incomplete: recipient, purpose, gateway, whether the client was told (or why not)
   and all four Caldicott confirmations;
3. refuses while the purpose or the recipient's name (printed on every page) holds a
   term the lexicon flags, unless the caller accepts every warning (recorded too);
4. renders the PDF, records the disclosure (with the document's SHA-256 and the content
   and frame it was rendered from; of the lexicon's hits, only where and of what kind,
   never the words), and for an urgent risk notification the decision to share the
   event;
5. writes the file beside its target, flushed to disk, and moves it into place only
   when the caller's unit of work commits
   (:func:`~clinic_app.services.sharing.files.write_when_committed`).

If anything fails, or the commit itself fails, no file is left and, as the caller rolls
back, nothing is logged. :func:`regenerate` renders a past disclosure again from its
register entry (same bytes), and audits that a copy was made.

Functions here take ``(session, by, ...)`` like every use case (bind them with
``Workspace.bind``). They render through :mod:`clinic_app.reports.pdf`, which is given
content dataclasses and a frame and returns bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.config import DOCUMENT_HANDLING, DOCUMENT_MARKING
from clinic_app.errors import Problem, ValidationError
from clinic_app.measures.definitions import shipped_definitions
from clinic_app.models import Client, SpecialistService
from clinic_app.models.enums import ConsentToShare, DisclosureKind, Gateway, ShareDecisionKind
from clinic_app.reports import letter, referral_letter, subject_access
from clinic_app.reports.content import (
    CLINICAL_HANDLING,
    CLINICAL_MARKING,
    ClinicalSummary,
    DocumentFrame,
    PartnerSummary,
    RiskNotice,
    sha256_hex,
)
from clinic_app.services import audit, risk, settings
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef
from clinic_app.services.sharing import clinical_summary, disclosures, drafts, lexicon, payloads
from clinic_app.services.sharing.disclosures import (
    CLINICAL_AUDIENCE,
    DisclosureRow,
    SharingDecision,
)
from clinic_app.services.sharing.drafts import (
    ContentT,
    Draft,
    NoticeDraft,
    NoticeRequest,
    SummaryDraft,
    SummaryRequest,
)
from clinic_app.services.sharing.files import write_when_committed
from clinic_app.services.sharing.lexicon import LexiconHit, TextField
from clinic_app.services.sharing.redaction import redact_third_parties
from clinic_app.services.third_parties import identifiers
from clinic_app.wording import CONSENT_PHRASES, DISCLOSURE_KIND_WORDS, GATEWAY_WORDS, counted


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
    """A document entered in the register, and where it is written.

    The file appears at ``path`` when the caller's unit of work commits (the workspace
    commits as the use case returns); until then it waits beside it, hidden.
    """

    disclosure: DisclosureRow
    path: Path
    sha256: str
    warnings_accepted: int
    """How many lexicon warnings were accepted wholesale (0 when each was resolved),
    those on the purpose and the recipient's name included."""


def load_for_export() -> None:
    """Load now what the first partner document of this process needs, each once per
    process: the renderer's fonts, the wording check's word lists and the shipped
    measure definitions (a summary names its questionnaires).

    The command line calls this on a second thread while the password is checked. Call
    it only while nothing is being rendered: it registers the fonts with the renderer.
    """
    from clinic_app.reports.page import ensure_fonts  # noqa: PLC0415

    ensure_fonts()
    lexicon.load_lexicon()
    shipped_definitions()


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
        title=DISCLOSURE_KIND_WORDS[kind],
        marking=CLINICAL_MARKING
        if clinical
        else settings.get_text_setting(session, DOCUMENT_MARKING),
        handling=CLINICAL_HANDLING
        if clinical
        else settings.get_text_setting(session, DOCUMENT_HANDLING),
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


def _rendered(
    content: PartnerSummary | RiskNotice | ClinicalSummary, frame: DocumentFrame
) -> RenderedDocument:
    # reportlab is imported when a document is first drawn, not with the record's screens.
    from clinic_app.reports import pdf  # noqa: PLC0415

    data = pdf.render(content, frame)
    return RenderedDocument(frame, data, sha256_hex(data))


# -- checks before anything leaves --------------------------------------------------------------


def _fresh(session: Session, by: StaffRef, draft: Draft[ContentT]) -> Draft[ContentT]:
    """The draft rebuilt from the database; refuses one whose content does not match."""
    fresh = drafts.rebuild(session, by, draft)
    if fresh.content != draft.content:
        raise ValidationError(
            "The record has changed since this document was prepared, or the document was "
            "altered outside the checks. Prepare it again.",
            where="content",
        )
    return fresh


# The parts of a sharing decision printed on every page of a partner document, with the
# words a refusal uses for each. The recipient agency is not checked: it names who the
# document is for and must stay exactly as the author gives it.
_PRINTED_DECISION: Final = (
    ("purpose", "the purpose", "The purpose"),
    ("recipient_person", "the recipient's name", "The recipient's name"),
)


def decision_hits(
    session: Session, by: StaffRef, client_id: int, decision: SharingDecision
) -> tuple[LexiconHit, ...]:
    """The lexicon's hits in the purpose and the recipient's name of a sharing decision.

    Both are printed in the header box and the footer of every page, so they are checked
    like the document's own text (third-party names of this client included).
    """
    fields = [
        TextField(path, words, getattr(decision, path))
        for path, words, _ in _PRINTED_DECISION
        if getattr(decision, path).strip()
    ]
    if not fields:
        return ()
    return lexicon.check_fields(
        fields, third_parties=lexicon.third_party_details(session, by, client_id)
    )


def _decision_problem(hit: LexiconHit) -> Problem:
    title = next(t for path, _, t in _PRINTED_DECISION if path == hit.field)
    return Problem(
        hit.field,
        f"{hit.explanation[:-1]}. {title} is printed on every page of the document: reword it.",
    )


def _shared_with(decision: SharingDecision) -> str:
    agency, person = decision.recipient_agency.strip(), decision.recipient_person.strip()
    return f"{agency} ({person})" if person else agency


SHARED_WITH_MAX: Final = 300
"""The longest "shared with" a risk event's share decision holds."""


def _refusals(
    draft: Draft[Any],
    decision: SharingDecision,
    printed_hits: tuple[LexiconHit, ...],
    *,
    kind: DisclosureKind,
    accept_warnings: bool,
) -> list[Problem]:
    problems = disclosures.sharing_problems(decision)
    # A third party's detail is never accepted wholesale: it is edited away, or kept with
    # a reason of its own (and never kept at all where it would be printed on every page).
    details = [h for h in draft.unresolved if h.category.is_third_party]
    clinical = [h for h in draft.unresolved if not h.category.is_third_party]
    if details:
        listed = "; ".join(h.explanation.rstrip(".") for h in details)
        problems.append(
            Problem(
                "lexicon",
                f"Not resolved: {counted(len(details), 'detail')} of a third party recorded "
                f"on this client. Edit each one out, or keep it with a reason: {listed}.",
            )
        )
    unexplained = [
        h
        for h in draft.hits
        if h.category.is_third_party and h.key in draft.kept and not draft.reason_for(h.key)
    ]
    if unexplained:
        problems.append(
            Problem(
                "lexicon",
                f"{counted(len(unexplained), 'detail')} of a third party kept without a "
                "reason. Give the reason for keeping each one, or edit it out.",
            )
        )
    if not accept_warnings and clinical:
        listed = "; ".join(h.explanation.rstrip(".") for h in clinical)
        problems.append(
            Problem(
                "lexicon",
                f"Not resolved: {counted(len(clinical), 'warning')} from the "
                f"wording check. Keep or edit each one: {listed}.",
            )
        )
    problems.extend(
        _decision_problem(h)
        for h in printed_hits
        if h.category.is_third_party or not accept_warnings
    )
    if kind is DisclosureKind.RISK_NOTICE and len(_shared_with(decision)) > SHARED_WITH_MAX:
        problems.append(
            Problem(
                "recipient_person",
                "The recipient agency and the recipient's name are too long together to "
                f"record against the risk event (at most {SHARED_WITH_MAX} characters). "
                "Shorten one of them.",
            )
        )
    return problems


def _raise_if_any(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def _consent_problems(session: Session, client_id: int, decision: SharingDecision) -> list[Problem]:
    """Consent is a gateway only when the client's record shows it was given."""
    if decision.gateway is not Gateway.CONSENT:
        return []
    consent = session.scalar(select(Client.consent_to_share).where(Client.id == client_id))
    if consent is ConsentToShare.GIVEN:
        return []
    recorded = CONSENT_PHRASES[consent] if consent is not None else "nothing"
    return [
        Problem(
            "gateway",
            "Consent cannot be the gateway: the client's record does not show consent to "
            f"share ({recorded}). Record the client's consent on the Overview first, or "
            "choose the gateway that applies.",
        )
    ]


def _lexicon_record(
    draft: Draft[Any],
    accepted_keys: frozenset[str],
    printed_hits: tuple[LexiconHit, ...],
) -> dict[str, Any]:
    """How each lexicon hit was resolved, for the register: where and what kind, never
    the words (a term may be a victim's name)."""
    return {
        "hits": [
            {
                "key": h.key,
                "field": h.field,
                "category": h.category.value,
                "resolution": "accepted" if h.key in accepted_keys else "kept",
                **({"reason": draft.reason_for(h.key)} if h.category.is_third_party else {}),
            }
            for h in draft.hits
        ],
        "third_party_details_kept": sum(h.category.is_third_party for h in draft.hits),
        "edited_fields": [path for path, _ in draft.edits],
        "decision_hits": [
            {"field": h.field, "category": h.category.value, "resolution": "accepted"}
            for h in printed_hits
        ],
        "warnings_accepted": len(accepted_keys) + len(printed_hits),
    }


def _payload(
    content: PartnerSummary | RiskNotice | ClinicalSummary,
    frame: DocumentFrame,
    lexicon_record: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "content": payloads.content_to_payload(content),
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
    printed_hits = decision_hits(session, by, draft.request.client_id, decision)
    problems = _refusals(fresh, decision, printed_hits, kind=kind, accept_warnings=accept_warnings)
    problems += _consent_problems(session, draft.request.client_id, decision)
    if problems:
        raise ValidationError(problems)
    accepted_keys = frozenset(h.key for h in fresh.unresolved) if accept_warnings else frozenset()
    if accepted_keys:
        fresh = drafts.accept_all_warnings(fresh)  # clinical terms only: see _refusals
    record = _lexicon_record(fresh, accepted_keys, printed_hits)
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
        payload=_payload(content, frame, record),
        risk_event_id=request.risk_event_id if isinstance(request, NoticeRequest) else None,
        period_from=request.period_from if isinstance(request, SummaryRequest) else None,
        period_to=request.period_to if isinstance(request, SummaryRequest) else None,
        document_id=frame.document_id,
    )
    if isinstance(request, NoticeRequest):
        # Sending the notification is the decision to share the event: record it, so
        # the event stops showing as awaiting a decision and summaries say "Shared".
        risk.record_share_decision(
            session,
            by,
            request.risk_event_id,
            decision=ShareDecisionKind.SHARED,
            reason=(
                f"{DISCLOSURE_KIND_WORDS[kind]} {frame.document_id} sent to "
                f"{_shared_with(decision)} "
                f"for: {decision.purpose.strip()}"
            ),
            gateway=decision.gateway,
            shared_with=_shared_with(decision),
            client_informed=decision.client_informed,
            client_not_informed_reason=decision.client_not_informed_reason,
            register=False,  # the notification's own entry above names the event
        )
    write_when_committed(session, out, rendered.data)
    return ExportResult(row, Path(out), rendered.sha256, record["warnings_accepted"])


# -- partner summary ------------------------------------------------------------------------------


def _preview(
    session: Session,
    by: StaffRef,
    draft: Draft[Any],
    decision: SharingDecision | None,
    *,
    kind: DisclosureKind,
    document_id: str | None,
    issued_on: date | None,
) -> RenderedDocument:
    require_clinical_access(session, by, draft.request.client_id)
    if decision is not None:  # a gateway that cannot apply is said before the preview
        _raise_if_any(_consent_problems(session, draft.request.client_id, decision))
    frame = document_frame(
        session,
        kind=kind,
        decision=decision,
        audience_title=draft.content.audience_title,
        document_id=document_id,
        issued_on=issued_on,
    )
    return _rendered(draft.content, frame)


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
    return _preview(
        session,
        by,
        draft,
        decision,
        kind=DisclosureKind.PARTNER_SUMMARY,
        document_id=document_id,
        issued_on=issued_on,
    )


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
    return _preview(
        session,
        by,
        draft,
        decision,
        kind=DisclosureKind.RISK_NOTICE,
        document_id=document_id,
        issued_on=issued_on,
    )


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


CLINICAL_RECORD: Final = "Clinical record"
"""The recipient of a clinical summary filed in the client's own record."""

CLINICAL_GATEWAYS: Final = frozenset({Gateway.DPA_SCH1_PARA2, Gateway.CONSENT})
"""The gateways a clinical summary may go to another health service under."""


def clinical_recipient_problems(
    session: Session, client_id: int, decision: SharingDecision
) -> list[Problem]:
    """Why this recipient may not have a clinical summary (the gate for clinical content).

    The clinical record itself, or a health service in use in the specialist service
    directory (a GP practice included), under DPA 2018 Schedule 1 para 2 or the client's
    recorded consent. Never a partner agency typed in by hand.
    """
    recipient = " ".join(decision.recipient_agency.split())
    if recipient.casefold() == CLINICAL_RECORD.casefold():
        return []
    services = {
        name.casefold()
        for name in session.scalars(
            select(SpecialistService.name).where(SpecialistService.active.is_(True))
        )
    }
    problems: list[Problem] = []
    if recipient and recipient.casefold() not in services:
        problems.append(
            Problem(
                "recipient_agency",
                f"A clinical summary goes only to the {CLINICAL_RECORD.lower()} or to a health "
                "service in the specialist service directory, and this recipient is not one. "
                "For police, probation, a victim advocate or a panel, use a partner summary.",
            )
        )
    if decision.gateway not in CLINICAL_GATEWAYS:
        problems.append(
            Problem(
                "gateway",
                "A clinical summary goes to another health service only under DPA 2018 "
                "Schedule 1 para 2 (health or social care) or the client's consent.",
            )
        )
    elif decision.gateway is Gateway.CONSENT:
        problems += _consent_problems(session, client_id, decision)
    return problems


def _clinical_content(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    period_from: date | None,
    period_to: date | None,
    today: date | None,
) -> tuple[ClinicalSummary, int]:
    content = clinical_summary.build_clinical_summary(
        session, by, client_id, period_from=period_from, period_to=period_to, today=today
    )
    return redact_third_parties(
        content, identifiers(session, by, client_id), keep=("identity", "author")
    )


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
    content, _removed = _clinical_content(
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

    There is no audience: a clinical summary is never offered to partner agencies. It goes
    to the clinical record (no gateway: it does not leave the service) or to a health
    service in the specialist service directory, under a health and care gateway
    (:func:`clinical_recipient_problems`). Every recorded detail of a third party is taken
    out of its text, and the register records how many.
    """
    content, removed = _clinical_content(
        session, by, client_id, period_from=period_from, period_to=period_to, today=issued_on
    )
    problems = disclosures.sharing_problems(decision, gateway_required=False)
    problems += clinical_recipient_problems(session, client_id, decision)
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
        payload=_payload(content, frame, {"third_party_details_removed": removed}),
        referral_id=referral_id,
        period_from=content.period.start if content.period else None,
        period_to=content.period.end if content.period else None,
        document_id=frame.document_id,
    )
    write_when_committed(session, out, rendered.data)
    return ExportResult(row, Path(out), rendered.sha256, 0)


# -- regenerate -----------------------------------------------------------------------------------


def regenerate(session: Session, by: StaffRef, disclosure_id: int) -> bytes:
    """A past document rendered again from its register entry: the very same bytes.

    The copy is audited (an export of the entry, ids only): whoever regenerates a
    document can read or save it. Raises ValidationError when the entry has no document
    or the bytes no longer match its recorded SHA-256 (which would mean the renderer
    changed since); then nothing is audited, as the caller rolls back.
    """
    stored = disclosures.stored_document(session, by, disclosure_id)
    payload = stored.payload
    if stored.disclosure.kind is DisclosureKind.REFERRAL_LETTER:
        data = referral_letter.render_from_payload(payload)
    elif stored.disclosure.kind is DisclosureKind.LETTER:
        data = letter.render_from_payload(payload)
    elif stored.disclosure.kind is DisclosureKind.SUBJECT_ACCESS:
        data = subject_access.render_from_payload(payload)
    else:
        from clinic_app.reports import pdf  # noqa: PLC0415

        content = payloads.content_from_payload(payload["content"])
        frame = DocumentFrame.from_json(payload["frame"])
        data = pdf.render(content, frame)
    if sha256_hex(data) != stored.disclosure.document_sha256:
        raise ValidationError(
            "This document can no longer be reproduced exactly (the program that drew it "
            "has changed); its recorded content is unchanged."
        )
    audit.record(
        session,
        audit.Action.EXPORT,
        actor_id=by.id,
        entity="disclosure",
        entity_id=stored.disclosure.id,
        client_id=stored.disclosure.client_id,
        detail={"regenerated": True},
    )
    return data
