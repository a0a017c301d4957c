"""The three documents made with the sharing wizard, each a :class:`ShareWizard`.

A partner progress summary (:class:`PartnerSummaryWizard`), an urgent risk notification
(:class:`RiskNoticeDialog`) and a clinical summary (:class:`ClinicalSummaryDialog`): what
each asks, previews and exports. The steps themselves, and :func:`run_dialog` through
which their dialogs run, are in :mod:`clinic_app.views.sharing.wizard`.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QWidget,
)

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.models.enums import Section
from clinic_app.services.sharing.audiences import AudiencePolicy
from clinic_app.services.sharing.disclosures import PreviousSharing, SharingDecision
from clinic_app.services.sharing.documents import ExportResult, RenderedDocument
from clinic_app.services.sharing.drafts import Draft, NoticeDraft, SummaryDraft
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import show_messages
from clinic_app.views.sharing.actions import (
    ClinicalSummaryActions,
    PartnerSummaryActions,
    RiskNoticeActions,
)
from clinic_app.views.sharing.wizard import (
    CLINICAL_STEPS,
    EVENT_REFUSALS,
    PARTNER_STEPS,
    ShareWizard,
)
from clinic_app.views.sharing.wizard_parts import (
    SharingDetails,
)
from clinic_app.views.sharing.words import describe_notice_audience
from clinic_app.wording import long_date

# -- the partner summary -----------------------------------------------------------------------


class PartnerSummaryWizard(ShareWizard):
    """A progress summary for a partner agency, from choosing the audience to the register.

    Signals:
        exported(object): the :class:`ExportResult` of the saved summary.
    """

    TITLE = "Partner progress summary"
    INTRO = (
        "A progress summary for a partner agency holds only what this record marks as "
        "shareable and the audience may receive: <b>never</b> clinical notes, diagnoses, "
        "the formulation, questionnaire answers or scores, referral reasons, or anything "
        "about the victim or other people."
    )
    FILE_STEM = "partner-summary"
    KIND_WORDS = "progress summary"

    def __init__(
        self,
        client_id: int,
        actions: PartnerSummaryActions,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
        default_audience: str | None = None,
    ) -> None:
        self.client_id = client_id
        self._actions = actions
        day = today or date.today()
        details = SharingDetails(audiences=[], period="required", gateway_required=True, today=day)
        super().__init__(
            PARTNER_STEPS,
            details,
            parent,
            today=day,
        )
        self._today = day
        self._case_reference = ""
        runner().run(
            actions.list_audiences,
            partial(self._take_audiences, default_audience),
            parent=self,
            failed=self._audiences_not_loaded,
        )
        if self.details.audience is not None:
            self.details.audience.currentIndexChanged.connect(self._on_audience_chosen)

    def _take_audiences(
        self, default_audience: str | None, audiences: Sequence[AudiencePolicy]
    ) -> None:
        self.details.set_audiences(audiences, default_audience)
        if default_audience is not None:
            self._on_audience_chosen(-1)  # offer what was chosen last time for it

    def _on_audience_chosen(self, _index: int) -> None:
        """Offer what was chosen last time this client's summary went to this audience."""
        policy = self.details.chosen_audience()
        if policy is None or self._actions.previous is None:
            return
        runner().run(
            partial(self._actions.previous, self.client_id, policy.name),
            partial(self._offer_previous, policy),
            key=f"previous-sharing:{self.client_id}",
            parent=self,
            failed=lambda _error: None,  # only a starting point: the author types it instead
        )

    def _offer_previous(self, policy: AudiencePolicy, previous: PreviousSharing) -> None:
        self._case_reference = previous.case_reference
        if self.details.chosen_audience() is policy:
            self.details.offer_previous(previous, audience_title=policy.title, today=self._today)

    def suggested_file_name(self) -> str:
        """What the document is: progress summary, case reference, audience and period."""
        policy = self.details.chosen_audience()
        period = self.details.period()
        parts = ["Progress summary", self._case_reference, policy.title if policy else ""]
        if period is not None:
            parts.append(f"{period[0].isoformat()} to {period[1].isoformat()}")
        name = " ".join(p for p in parts if p)
        safe = "".join(ch if ch.isalnum() or ch in " -_()," else "-" for ch in name)
        return f"{safe}.pdf"

    def _audiences_not_loaded(self, error: ClinicError) -> None:
        show_messages(self.page_errors, [f"The audiences could not be loaded. {error.message}"])

    def _prepare_key(self) -> tuple[Any, ...]:
        policy = self.details.chosen_audience()
        return (policy.name if policy else None, self.details.period())

    def _prepare_work(self) -> Callable[[], SummaryDraft]:
        policy = self.details.chosen_audience()
        period = self.details.period()
        assert policy is not None and period is not None
        return partial(
            self._actions.prepare,
            self.client_id,
            audience=policy.name,
            period_from=period[0],
            period_to=period[1],
        )

    def _revise_work(
        self,
        draft: Draft[Any],
        *,
        keep: Iterable[str] = (),
        edits: Mapping[str, str] | None,
        reasons: Mapping[str, str] | None = None,
    ) -> Callable[[], Draft[Any]]:
        return partial(self._actions.revise, draft, keep=list(keep), edits=edits, reasons=reasons)

    def _render_work(self, decision: SharingDecision) -> Callable[[], RenderedDocument]:
        assert self.draft is not None
        return partial(
            self._actions.preview,
            self.draft,
            decision,
            document_id=self._document_id,
            issued_on=self._issued_on,
        )

    def _export_work(self, decision: SharingDecision, path: Path) -> Callable[[], ExportResult]:
        assert self.draft is not None
        return partial(
            self._actions.export,
            self.draft,
            decision,
            path,
            document_id=self._document_id,
            issued_on=self._issued_on,
        )

    def _save_facts(self) -> list[tuple[str, str]]:
        policy = self.details.chosen_audience()
        period = self.details.period()
        facts = [("Audience", policy.title if policy else "")]
        if period is not None:
            facts.append(("Period", f"{long_date(period[0])} to {long_date(period[1])}"))
        return facts


# -- the urgent risk notification --------------------------------------------------------------


class RiskNoticeDialog(ShareWizard):
    """A one-page urgent risk notification about one risk event, logged like any disclosure.

    Only the event's shareable statement, date, kind and urgency and the author's contact
    go on the page. Open it from the risk event screen with the event's id. The draft is
    prepared as the dialog opens: if the service refuses the event itself (decided not to
    be shared, no shareable statement, not found), that is said at once in place of the
    form (:attr:`refusal`), and the only way on is Close.

    Signals:
        exported(object): the :class:`ExportResult` of the saved notification.
    """

    TITLE = "Urgent risk notification"
    INTRO = (
        "A one-page notification of a risk event for a partner agency: the event's "
        "<b>shareable statement</b>, its date and urgency, and how to contact you. The "
        "private detail of the event is never included."
    )
    FILE_STEM = "urgent-risk-notification"
    KIND_WORDS = "urgent risk notification"

    def __init__(
        self,
        risk_event_id: int,
        actions: RiskNoticeActions,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
    ) -> None:
        self.risk_event_id = risk_event_id
        self._actions = actions
        day = today or date.today()
        details = SharingDetails(
            audiences=[],
            period="none",
            gateway_required=True,
            today=day,
            default_audience="police",
            describe_audience=describe_notice_audience,
        )
        super().__init__(
            PARTNER_STEPS,
            details,
            parent,
            today=day,
        )
        self.working = True  # until the event has been checked
        self._update_buttons()
        list_audiences = actions.list_audiences
        runner().run(
            lambda: [p for p in list_audiences() if p.includes(Section.RISK)],
            self._audiences_loaded,
            parent=self,
            failed=self._audiences_not_loaded,
        )

    def _audiences_not_loaded(self, error: ClinicError) -> None:
        self.working = False
        show_messages(self.page_errors, [f"The audiences could not be loaded. {error.message}"])
        self._update_buttons()

    def _audiences_loaded(self, audiences: list[AudiencePolicy]) -> None:
        self.details.set_audiences(audiences, "police")
        self._check_event(audiences)

    def _check_event(self, audiences: Sequence[AudiencePolicy]) -> None:
        """Prepare at once, so an event that cannot be notified is said so before any typing.

        An event decided not to be shared, one with no shareable statement, or one that
        cannot be found is refused whatever the audience: the refusal replaces the form.
        Otherwise the draft is kept for the audience it was prepared for, so Next does not
        prepare it again; a problem with the audience itself is shown when the author goes
        on, as before.
        """
        policy = self.details.chosen_audience() or (audiences[0] if audiences else None)
        if policy is None:
            self.working = False
            self._update_buttons()
            return
        self.working = False
        self._run_step(
            partial(self._actions.prepare, self.risk_event_id, audience=policy.name),
            lambda draft: self._event_checked(draft, policy.name),
            self._event_refused,
        )

    def _event_checked(self, draft: NoticeDraft, audience: str) -> None:
        if self.draft is not None:
            return  # the author went on meanwhile, and a draft was prepared for that
        self.draft = draft
        self._prepared_for = (audience,)
        self.review.show_draft(draft)

    def _event_refused(self, error: ClinicError) -> None:
        if isinstance(error, ValidationError):
            refused = [p.message for p in error.problems if p.where in EVENT_REFUSALS]
            if refused:
                self.refuse(refused)
            return
        self.refuse([error.message])

    def _prepare_key(self) -> tuple[Any, ...]:
        policy = self.details.chosen_audience()
        return (policy.name if policy else None,)

    def _prepare_work(self) -> Callable[[], NoticeDraft]:
        policy = self.details.chosen_audience()
        assert policy is not None
        return partial(self._actions.prepare, self.risk_event_id, audience=policy.name)

    def _revise_work(
        self,
        draft: Draft[Any],
        *,
        keep: Iterable[str] = (),
        edits: Mapping[str, str] | None,
        reasons: Mapping[str, str] | None = None,
    ) -> Callable[[], Draft[Any]]:
        return partial(self._actions.revise, draft, keep=list(keep), edits=edits, reasons=reasons)

    def _render_work(self, decision: SharingDecision) -> Callable[[], RenderedDocument]:
        assert self.draft is not None
        return partial(
            self._actions.preview,
            self.draft,
            decision,
            document_id=self._document_id,
            issued_on=self._issued_on,
        )

    def _export_work(self, decision: SharingDecision, path: Path) -> Callable[[], ExportResult]:
        assert self.draft is not None
        return partial(
            self._actions.export,
            self.draft,
            decision,
            path,
            document_id=self._document_id,
            issued_on=self._issued_on,
        )

    def _save_facts(self) -> list[tuple[str, str]]:
        policy = self.details.chosen_audience()
        return [("Audience", policy.title if policy else "")]


# -- the clinical summary ----------------------------------------------------------------------


class ClinicalSummaryDialog(ShareWizard):
    """A clinical summary for the clinical record or a referral letter: never for partners.

    It holds clinical content, so it is marked "CLINICAL — NOT FOR PARTNER AGENCIES" and
    offers no partner audience. It is still entered in the disclosure register.

    Signals:
        exported(object): the :class:`ExportResult` of the saved summary.
    """

    TITLE = "Clinical summary (not for partner agencies)"
    INTRO = (
        "<b>CLINICAL: NOT FOR PARTNER AGENCIES.</b> A full clinical summary for the "
        "clinical record or a referral letter to a health service. It includes clinical "
        "content (the formulation, notes, risk detail, referral reasons), so it is never "
        "offered to police, probation, victim advocates or the multi-agency panel. For "
        "those, use a partner summary."
    )
    FILE_STEM = "clinical-summary"
    KIND_WORDS = "clinical summary"

    def __init__(
        self,
        client_id: int,
        actions: ClinicalSummaryActions,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
        default_audience: str | None = None,
    ) -> None:
        self.client_id = client_id
        self._actions = actions
        day = today or date.today()
        details = SharingDetails(
            audiences=None, period="optional", gateway_required=False, today=day
        )
        details.recipient_agency.setPlaceholderText(
            "e.g. Clinical record, or the service referred to (Community Psychiatry, North)"
        )
        details.recipient_person.setPlaceholderText(
            "e.g. Dr Ahmed, consultant psychiatrist (optional)"
        )
        details.purpose.setPlaceholderText(
            "e.g. Referral for a psychiatric assessment, or a summary for the clinical record."
        )
        super().__init__(CLINICAL_STEPS, details, parent, today=day)

    def _render_work(self, decision: SharingDecision) -> Callable[[], RenderedDocument]:
        period = self.details.period()
        return partial(
            self._actions.preview,
            self.client_id,
            decision,
            period_from=period[0] if period else None,
            period_to=period[1] if period else None,
            document_id=self._document_id,
            issued_on=self._issued_on,
        )

    def _export_work(self, decision: SharingDecision, path: Path) -> Callable[[], ExportResult]:
        period = self.details.period()
        return partial(
            self._actions.export,
            self.client_id,
            decision,
            path,
            period_from=period[0] if period else None,
            period_to=period[1] if period else None,
            document_id=self._document_id,
            issued_on=self._issued_on,
        )

    def _save_facts(self) -> list[tuple[str, str]]:
        period = self.details.period()
        return [
            ("Marked", "CLINICAL: NOT FOR PARTNER AGENCIES"),
            (
                "Period",
                f"{long_date(period[0])} to {long_date(period[1])}"
                if period
                else "The whole record",
            ),
        ]
