"""What the sharing wizards ask of the services: callables given to them, so tests hand
them fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from clinic_app.services.sharing.audiences import AudiencePolicy
from clinic_app.services.sharing.disclosures import PreviousSharing, SharingDecision
from clinic_app.services.sharing.documents import ExportResult, RenderedDocument
from clinic_app.services.sharing.drafts import NoticeDraft, SummaryDraft

# -- what the dialogs call ---------------------------------------------------------------------


class PreparePartnerSummary(Protocol):
    """``summaries.prepare_partner_summary`` bound to the signed-in user."""

    def __call__(
        self, client_id: int, *, audience: str, period_from: date, period_to: date
    ) -> SummaryDraft: ...


class ReviseSummary(Protocol):
    """``summaries.revise`` bound to the signed-in user, for a partner summary."""

    def __call__(
        self,
        draft: SummaryDraft,
        *,
        keep: Iterable[str] = (),
        edits: Mapping[str, str] | None = None,
        reasons: Mapping[str, str] | None = None,
    ) -> SummaryDraft: ...


class PreviewSummary(Protocol):
    """``documents.preview_partner_summary`` bound to the signed-in user."""

    def __call__(
        self,
        draft: SummaryDraft,
        decision: SharingDecision | None = None,
        *,
        document_id: str | None = None,
        issued_on: date | None = None,
    ) -> RenderedDocument: ...


class ExportSummary(Protocol):
    """``documents.export_partner_summary`` bound to the signed-in user."""

    def __call__(
        self,
        draft: SummaryDraft,
        decision: SharingDecision,
        out: Path,
        *,
        document_id: str | None = None,
        issued_on: date | None = None,
        accept_warnings: bool = False,
    ) -> ExportResult: ...


class PrepareRiskNotice(Protocol):
    """``summaries.prepare_risk_notice`` bound to the signed-in user."""

    def __call__(self, risk_event_id: int, *, audience: str = "police") -> NoticeDraft: ...


class ReviseNotice(Protocol):
    """``summaries.revise`` bound to the signed-in user, for an urgent risk notification."""

    def __call__(
        self,
        draft: NoticeDraft,
        *,
        keep: Iterable[str] = (),
        edits: Mapping[str, str] | None = None,
        reasons: Mapping[str, str] | None = None,
    ) -> NoticeDraft: ...


class PreviewNotice(Protocol):
    """``documents.preview_risk_notice`` bound to the signed-in user."""

    def __call__(
        self,
        draft: NoticeDraft,
        decision: SharingDecision | None = None,
        *,
        document_id: str | None = None,
        issued_on: date | None = None,
    ) -> RenderedDocument: ...


class ExportNotice(Protocol):
    """``documents.export_risk_notice`` bound to the signed-in user."""

    def __call__(
        self,
        draft: NoticeDraft,
        decision: SharingDecision,
        out: Path,
        *,
        document_id: str | None = None,
        issued_on: date | None = None,
        accept_warnings: bool = False,
    ) -> ExportResult: ...


class PreviewClinical(Protocol):
    """``documents.preview_clinical_summary`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        decision: SharingDecision | None = None,
        *,
        period_from: date | None = None,
        period_to: date | None = None,
        document_id: str | None = None,
        issued_on: date | None = None,
    ) -> RenderedDocument: ...


class ExportClinical(Protocol):
    """``documents.export_clinical_summary`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        decision: SharingDecision,
        out: Path,
        *,
        period_from: date | None = None,
        period_to: date | None = None,
        referral_id: int | None = None,
        document_id: str | None = None,
        issued_on: date | None = None,
    ) -> ExportResult: ...


@dataclass(frozen=True)
class PartnerSummaryActions:
    """The use cases the partner summary wizard calls, bound to the signed-in user."""

    list_audiences: Callable[[], list[AudiencePolicy]]
    prepare: PreparePartnerSummary
    revise: ReviseSummary
    preview: PreviewSummary
    export: ExportSummary
    previous: Callable[[int, str], PreviousSharing] | None = None
    """What was chosen when the client's last summary went to an audience (client id,
    audience name), offered as the starting point."""


@dataclass(frozen=True)
class RiskNoticeActions:
    """The use cases the urgent risk notification dialog calls."""

    list_audiences: Callable[[], list[AudiencePolicy]]
    prepare: PrepareRiskNotice
    revise: ReviseNotice
    preview: PreviewNotice
    export: ExportNotice


@dataclass(frozen=True)
class ClinicalSummaryActions:
    """The use cases the clinical summary dialog calls."""

    preview: PreviewClinical
    export: ExportClinical
