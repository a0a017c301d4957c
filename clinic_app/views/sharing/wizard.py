"""Producing a document that leaves the service, step by step, with every check on screen.

A partner progress summary, an urgent risk notification and a clinical summary (the
dialogs in :mod:`clinic_app.views.sharing.document_wizards`) are made in the same steps,
which :class:`ShareWizard` here runs:

1. **Who and why**: the audience and reporting period, the recipient agency and person,
   the purpose, the legal gateway (with its basis in law) and whether the client was told
   (or why not). An urgent risk notification asks the service at once whether the event
   can be notified at all (an event decided not to be shared cannot), and says so before
   anything is typed.
2. **Check the wording** (partner documents only): every word in the shareable text that
   suggests clinical or third-party content is shown in its context, the word marked in
   bold and [brackets] so it never depends on colour. Each needs an explicit choice: keep
   it, or edit the text (which is checked again). Next stays disabled, with the reason
   beside it, until every one is resolved.
3. **Preview**: the exact pages (the very bytes that will be written), every page.
4. **Caldicott**: necessary, minimum, relevant, accurate, answered about the pages just
   read: all four must be ticked. If the pages change afterwards (the author went back
   and changed something), the ticks are cleared and asked for again.
5. **Save**: a file name without the client's name; the service checks everything again,
   enters the document in the disclosure register, then writes the file atomically.

Problems the service finds are shown at the step and field they are about; nothing typed
is lost. Dialogs and file choices go through :func:`run_dialog` and
:func:`clinic_app.views.sharing.register.ask_save_path`, which tests replace.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.services.sharing.disclosures import SharingDecision
from clinic_app.services.sharing.documents import ExportResult, RenderedDocument
from clinic_app.services.sharing.drafts import Draft
from clinic_app.views.common import feedback
from clinic_app.views.common.pdf_preview import PdfPreview
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import exec_dialog, problems_label, show_messages
from clinic_app.views.sharing import register as register_view
from clinic_app.views.sharing.wizard_parts import (
    CaldicottBox,
    FieldEditDialog,
    LexiconReview,
    SharingDetails,
)
from clinic_app.wording import GATEWAY_LABEL, gateway_words, long_date

R = TypeVar("R")

KEEP_REASON_TITLE = "Why keep a third party's detail?"


def ask_keep_reason(parent: QWidget, explanation: str) -> str:
    """The author's reason for keeping a third party's detail, or "" when they cancel."""
    text, accepted = QInputDialog.getMultiLineText(
        parent,
        KEEP_REASON_TITLE,
        f"{explanation}\n\nA victim's or other person's details never leave the service "
        "without a reason. Say why the recipient needs this one (it is recorded in the "
        "disclosure register with the document):",
    )
    return text.strip() if accepted else ""


DETAILS_STEP = "Who and why"
WORDING_STEP = "Check the wording"
CALDICOTT_STEP = "Caldicott questions"
PREVIEW_STEP = "Preview"
SAVE_STEP = "Save"

EVENT_REFUSALS = ("statement", "decision")
"""Problems with the risk event itself: no audience or wording can make it shareable."""

# Where each problem the services may report is shown: fields of step 1, or a step.
DETAILS_FIELDS = (
    "audience",
    "period_from",
    "period_to",
    "recipient_agency",
    "recipient_person",
    "purpose",
    "gateway",
    "client_informed",
    "client_not_informed_reason",
)


run_dialog = exec_dialog
"""Runs the wizards' dialogs; the Summaries tab runs its own through it too, and tests
replace it to drive them without blocking."""


def _documents_folder() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder) if folder else Path.home()


# -- the steps ---------------------------------------------------------------------------------


class Step(Enum):
    """The steps of producing a document, named as the step list shows them."""

    DETAILS = DETAILS_STEP
    WORDING = WORDING_STEP
    PREVIEW = PREVIEW_STEP
    CALDICOTT = CALDICOTT_STEP
    SAVE = SAVE_STEP


PARTNER_STEPS = (Step.DETAILS, Step.WORDING, Step.PREVIEW, Step.CALDICOTT, Step.SAVE)
"""A partner document: the wording is checked, the pages read, then Caldicott answered."""
CLINICAL_STEPS = (Step.DETAILS, Step.PREVIEW, Step.CALDICOTT, Step.SAVE)
"""A clinical summary has no wording check (it is clinical by design)."""


class ShareWizard(QDialog):
    """The steps every outgoing document goes through; subclasses say what they call.

    Signals:
        exported(object): the :class:`ExportResult` of the saved document.
    """

    exported = Signal(object)

    TITLE = ""
    INTRO = ""
    FILE_STEM = "document"
    KIND_WORDS = "document"

    def __init__(
        self,
        steps: Sequence[Step],
        details: SharingDetails,
        parent: QWidget | None,
        *,
        today: date,
    ) -> None:
        super().__init__(parent)
        self.steps = list(steps)
        self.today = today
        self.draft: Draft[Any] | None = None
        self._prepared_for: tuple[Any, ...] | None = None
        self.rendered: RenderedDocument | None = None
        self.editor: FieldEditDialog | None = None
        self.result_row: ExportResult | None = None
        self._document_id: str | None = None
        self._issued_on: date | None = None
        self._previewed_sha: str | None = None  # the pages last previewed, by SHA-256
        self.refusal = ""  # why nothing can be made at all (said at once, on step 1)
        self._previewing = False  # the pages are being drawn
        self.working = False  # a unit of work of this wizard is running on the runner
        self._preview_key = f"share-preview:{id(self)}"
        self.setWindowTitle(self.TITLE)
        self.setAccessibleName(self.TITLE)
        self.resize(1000, 760)

        outer = QHBoxLayout(self)
        self.step_list = QLabel()
        self.step_list.setTextFormat(Qt.TextFormat.RichText)
        self.step_list.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.step_list.setMinimumWidth(170)
        self.step_list.setAccessibleName("Steps")
        outer.addWidget(self.step_list)
        right = QVBoxLayout()
        outer.addLayout(right, stretch=1)
        self.heading = QLabel()
        heading_font = self.heading.font()
        heading_font.setBold(True)
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.2)
        self.heading.setFont(heading_font)
        self.heading.setAccessibleName("Step")
        right.addWidget(self.heading)
        self.stack = QStackedWidget()
        right.addWidget(self.stack, stretch=1)
        self.page_errors = problems_label("Problems on this step", plain_text=True)
        right.addWidget(self.page_errors)

        # Who and why
        self.details = details
        details_page = QWidget()
        details_column = QVBoxLayout(details_page)
        self.refusal_label = QLabel()
        self.refusal_label.setTextFormat(Qt.TextFormat.RichText)
        self.refusal_label.setWordWrap(True)
        self.refusal_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.refusal_label.setMargin(8)
        self.refusal_label.setAccessibleName(f"This {self.KIND_WORDS} cannot be made")
        self.refusal_label.hide()
        details_column.addWidget(self.refusal_label)
        intro = QLabel(self.INTRO)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setAccessibleName("What this document is")
        details_column.addWidget(intro)
        details_column.addWidget(details)
        details_column.addStretch(1)
        details_scroll = QScrollArea()
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        details_scroll.setWidget(details_page)
        self.pages: dict[Step, QWidget] = {Step.DETAILS: details_scroll}
        details.edited.connect(self._on_details_edited)

        # Check the wording
        self.review = LexiconReview()
        self.review.keep_toggled.connect(self._on_keep_toggled)
        self.review.edit_requested.connect(self._on_edit_requested)
        self.pages[Step.WORDING] = self.review

        # The preview
        preview_page = QWidget()
        preview_column = QVBoxLayout(preview_page)
        preview_column.setContentsMargins(0, 0, 0, 0)
        self.preview_about = QLabel()
        self.preview_about.setWordWrap(True)
        self.preview_about.setAccessibleName("About the preview")
        preview_column.addWidget(self.preview_about)
        self.preview = PdfPreview()
        preview_column.addWidget(self.preview, stretch=1)
        self.pages[Step.PREVIEW] = preview_page

        # Caldicott, about the pages just read
        caldicott_page = QWidget()
        caldicott_column = QVBoxLayout(caldicott_page)
        caldicott_intro = QLabel(
            "You have read the pages that will be shared. The Caldicott principles: share "
            "what is needed for care and safety, and no more. Your answers are part of the "
            "record of this decision."
        )
        caldicott_intro.setWordWrap(True)
        caldicott_intro.setAccessibleName("About the Caldicott questions")
        caldicott_column.addWidget(caldicott_intro)
        self.caldicott_note = QLabel()
        self.caldicott_note.setWordWrap(True)
        self.caldicott_note.setAccessibleName("Why the questions are asked again")
        note_font = self.caldicott_note.font()
        note_font.setBold(True)
        self.caldicott_note.setFont(note_font)
        self.caldicott_note.hide()
        caldicott_column.addWidget(self.caldicott_note)
        self.caldicott = CaldicottBox()
        self.caldicott.changed.connect(self._update_buttons)
        caldicott_column.addWidget(self.caldicott)
        caldicott_column.addStretch(1)
        self.pages[Step.CALDICOTT] = caldicott_page

        # Save
        save_page = QWidget()
        save_column = QVBoxLayout(save_page)
        self.save_summary = QLabel()
        self.save_summary.setTextFormat(Qt.TextFormat.RichText)
        self.save_summary.setWordWrap(True)
        self.save_summary.setAccessibleName("What will be saved and recorded")
        save_column.addWidget(self.save_summary)
        self.saved_label = QLabel()
        self.saved_label.setTextFormat(Qt.TextFormat.RichText)
        self.saved_label.setWordWrap(True)
        self.saved_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.saved_label.setAccessibleName("Saved and recorded")
        self.saved_label.hide()
        save_column.addWidget(self.saved_label)
        save_column.addStretch()
        self.pages[Step.SAVE] = save_page

        for step in self.steps:
            self.stack.addWidget(self.pages[step])

        buttons = QHBoxLayout()
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setAccessibleName("Why you cannot go on yet")
        buttons.addWidget(self.reason, stretch=1)
        self.back_button = QPushButton("< &Back")
        self.back_button.setAccessibleName("Back to the previous step")
        self.back_button.clicked.connect(self._on_back)
        self.next_button = QPushButton("&Next >")
        self.next_button.setAccessibleName("Next step")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self._on_next)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel: nothing is saved or shared")
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.cancel_button)
        right.addLayout(buttons)
        self._go(0)

    # -- what subclasses provide -----------------------------------------------------------

    # Each ``*_work`` reads what it needs from the form now, on the GUI thread, and returns
    # the unit of work that calls the service; the runner runs it off the GUI thread.

    def _prepare_key(self) -> tuple[Any, ...]:
        """What the draft depends on: a new draft is prepared when it changes."""
        return ()

    def _prepare_work(self) -> Callable[[], Draft[Any]] | None:
        """The work preparing a fresh draft with its lexicon hits (partner documents), or
        None when there is no draft to prepare."""
        return None

    def _revise_work(
        self,
        draft: Draft[Any],
        *,
        keep: Iterable[str] = (),
        edits: Mapping[str, str] | None,
        reasons: Mapping[str, str] | None = None,
    ) -> Callable[[], Draft[Any]]:
        raise NotImplementedError

    def _render_work(self, decision: SharingDecision) -> Callable[[], RenderedDocument]:
        raise NotImplementedError

    def _export_work(self, decision: SharingDecision, path: Path) -> Callable[[], ExportResult]:
        raise NotImplementedError

    def _save_facts(self) -> list[tuple[str, str]]:
        """Extra (label, value) lines for the last step's summary."""
        return []

    def _run_step(
        self,
        work: Callable[[], R],
        done: Callable[[R], None],
        failed: Callable[[ClinicError], None],
    ) -> None:
        """Run one of the wizard's units of work; the steps wait (buttons off) meanwhile."""
        self.working = True
        self.review.setEnabled(False)
        self._update_buttons()

        def finish() -> None:
            self.working = False
            self.review.setEnabled(True)

        def on_done(result: R) -> None:
            finish()
            done(result)
            self._update_buttons()

        def on_failed(error: ClinicError) -> None:
            finish()
            failed(error)
            self._update_buttons()

        runner().run(work, on_done, parent=self, failed=on_failed)

    # -- navigation ------------------------------------------------------------------------

    @property
    def current_step(self) -> Step:
        return self.steps[self.stack.currentIndex()]

    def _go(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        step = self.steps[index]
        self.heading.setText(f"Step {index + 1} of {len(self.steps)}: {step.value}")
        self.heading.setAccessibleDescription(self.heading.text())
        lines = []
        for number, each in enumerate(self.steps, start=1):
            if each is step:
                lines.append(f"<b>\u25b6 {number}. {html.escape(each.value)}</b>")
            else:
                lines.append(f"&nbsp;&nbsp;&nbsp;{number}. {html.escape(each.value)}")
        self.step_list.setText("<br><br>".join(lines))
        self.step_list.setAccessibleDescription(
            f"Step {index + 1} of {len(self.steps)}: {step.value}"
        )
        show_messages(self.page_errors, [])
        self._update_buttons()

    def go_to(self, step: Step) -> None:
        self._go(self.steps.index(step))

    def refuse(self, messages: Sequence[str]) -> None:
        """Say at once why nothing can be made: the message takes the form's place."""
        self.refusal = " ".join(messages)
        self.refusal_label.setText(
            f"<p><b>\u26a0 This {html.escape(self.KIND_WORDS)} cannot be made.</b></p>"
            + "".join(f"<p>{html.escape(m)}</p>" for m in messages)
            + "<p>Close this window; nothing has been saved or shared.</p>"
        )
        self.refusal_label.setAccessibleDescription(self.refusal)
        self.refusal_label.show()
        self.details.setEnabled(False)
        self.details.hide()
        self._update_buttons()
        self.cancel_button.setFocus()

    def next_blocked_reason(self) -> str:
        """Why Next is disabled on this step, in words (empty when it is enabled)."""
        if self.refusal:
            return f"The {self.KIND_WORDS} cannot be made: see the message at the top."
        if self.working:
            return "Please wait a moment: the service is checking."
        step = self.current_step
        if step is Step.WORDING and self.draft is not None:
            left = len(self.draft.unresolved)
            if left:
                return (
                    f"{left} warning{'s' if left != 1 else ''} still need{'s' if left == 1 else ''}"
                    " your choice: keep the wording or edit the text."
                )
        if step is Step.CALDICOTT:
            missing = self.caldicott.confirmation().missing()
            if missing:
                return f"Tick all four questions to go on ({len(missing)} not yet ticked)."
        if step is Step.PREVIEW and self.rendered is None:
            if self._previewing:
                return "The pages are being drawn; please wait a moment."
            return "The preview could not be made; see the message above."
        return ""

    def _update_buttons(self) -> None:
        index = self.stack.currentIndex()
        # Saved, or refused outright: there is nowhere to go but out.
        finished = self.result_row is not None or bool(self.refusal)
        reason = "" if finished else self.next_blocked_reason()
        self.reason.setText(reason)
        self.reason.setAccessibleDescription(reason)
        last = self.current_step is Step.SAVE
        self.next_button.setText("&Save the PDF…" if last else "&Next >")
        self.next_button.setAccessibleName(
            f"Save the {self.KIND_WORDS} as a PDF file and record it" if last else "Next step"
        )
        self.next_button.setEnabled(not reason)
        self.next_button.setAccessibleDescription(reason)
        self.next_button.setVisible(not finished)
        self.back_button.setVisible(index > 0 and not finished)
        self.back_button.setEnabled(not self.working)
        self.cancel_button.setEnabled(not self.working)
        self.cancel_button.setText("&Close" if finished else "Cancel")
        self.cancel_button.setAccessibleName(
            "Close" if finished else "Cancel: nothing is saved or shared"
        )

    def _on_back(self) -> None:
        index = self.stack.currentIndex()
        if index > 0:
            self._go(index - 1)

    def _on_next(self) -> None:
        if self.next_blocked_reason():
            return
        step = self.current_step
        if step is Step.DETAILS:
            self._leave_details()
            return
        if step is Step.SAVE:
            self.save()
            return
        self._advance()

    def _advance(self) -> None:
        index = self.stack.currentIndex() + 1
        following = self.steps[index]
        if following is Step.PREVIEW:
            self._make_preview()
        if following is Step.SAVE:
            self._show_save_summary()
        self._go(index)

    # -- who and why -----------------------------------------------------------------------

    def _leave_details(self) -> None:
        """Check the first step; prepare the draft (off the GUI thread) if it is out of
        date; then go on."""
        problems = self.details.problems()
        if problems:
            self.show_problems(problems)
            return
        self.details.errors.clear()
        key = self._prepare_key()
        if Step.WORDING in self.steps and (self.draft is None or key != self._prepared_for):
            work = self._prepare_work()
            if work is not None:
                self._run_step(
                    work, lambda draft: self._prepared(draft, key), self._prepare_refused
                )
                return
            self.draft = None
            self._prepared_for = key
            self._invalidate_preview()
        self._advance()

    def _prepared(self, draft: Draft[Any], key: tuple[Any, ...]) -> None:
        self.draft = draft
        self._prepared_for = key
        self._invalidate_preview()
        self.review.show_draft(draft)
        if self.current_step is Step.DETAILS:
            self._advance()

    def _prepare_refused(self, error: ClinicError) -> None:
        if isinstance(error, ValidationError):
            self.show_problems(error.problems)
        else:
            show_messages(self.page_errors, [error.message])

    def _on_details_edited(self) -> None:
        # Anything on the first page may appear on the pages: the preview is out of date.
        self._invalidate_preview()

    def _invalidate_preview(self) -> None:
        """The pages shown (or being drawn) no longer match the draft and the form."""
        self.rendered = None
        if self._previewing:
            runner().cancel(self._preview_key)
            self._previewing = False

    # -- the wording -----------------------------------------------------------------------

    def _on_keep_toggled(self, key: str, keep: bool) -> None:
        draft = self.draft
        if draft is None:
            return
        if keep:
            hit = next((h for h in draft.hits if h.key == key), None)
            reasons: dict[str, str] = {}
            if hit is not None and hit.category.is_third_party:
                # A victim's or other person's detail is kept only for a reason of its own,
                # which goes into the register with the document.
                reason = ask_keep_reason(self, hit.explanation)
                if not reason:
                    self._undo_keep(key)
                    self._update_buttons()
                    return
                reasons[key] = reason
            work = self._revise_work(draft, keep=[key], edits=None, reasons=reasons)

            def kept(revised: Draft[Any]) -> None:
                self.draft = revised
                self._invalidate_preview()

            def refused(error: ClinicError) -> None:
                show_messages(self.page_errors, [error.message])
                self._undo_keep(key)
                self._invalidate_preview()

            self._run_step(work, kept, refused)
            return
        # Taking a keep back only makes the draft stricter; no service call is needed.
        self.draft = dataclasses.replace(draft, kept=draft.kept - {key})
        self._invalidate_preview()
        self._update_buttons()

    def _undo_keep(self, key: str) -> None:
        row = self.review.row_for(key)
        if row is not None:
            blocked = row.keep_button.blockSignals(True)
            row.keep_button.setChecked(False)
            row.show_state(False)
            row.keep_button.blockSignals(blocked)

    def _on_edit_requested(self, path: str) -> None:
        self.edit_field(path)

    def edit_field(self, path: str) -> bool:
        """Open the text at ``path`` for editing; True when an edit was used."""
        draft = self.draft
        if draft is None:
            return False
        field = next((f for f in draft.text_fields() if f.path == path), None)
        if field is None:
            return False
        hits = [h for h in draft.hits if h.field == path]

        def save(text: str) -> Callable[[], Draft[Any]]:
            current = self.draft
            assert current is not None
            return self._revise_work(current, keep=(), edits={path: text})

        def use(revised: Draft[Any]) -> None:
            self.draft = revised

        dialog = FieldEditDialog(field, hits, save, use, self)
        self.editor = dialog
        run_dialog(dialog)
        used = dialog.result() == QDialog.DialogCode.Accepted
        self.editor = None
        dialog.deleteLater()
        if used and self.draft is not None:
            self._invalidate_preview()
            self.review.show_draft(self.draft)
            self._update_buttons()
        return used

    # -- preview ---------------------------------------------------------------------------

    def _make_preview(self) -> None:
        """Draw the pages off the GUI thread; they are shown when they arrive."""
        decision = self.details.decision(self.caldicott.confirmation())
        work = self._render_work(decision)
        self.rendered = None
        self._previewing = True
        self.preview.clear()
        self.preview_about.setText("Drawing the pages…")
        self.preview_about.setAccessibleDescription("Drawing the pages")
        runner().run(
            work,
            self._show_preview,
            key=self._preview_key,
            parent=self,
            failed=self._preview_refused,
        )

    def _preview_refused(self, error: ClinicError) -> None:
        self._previewing = False
        self.rendered = None
        self.preview.clear()
        self.preview_about.setText(
            f"The preview could not be made. {error.message} Nothing has been saved."
        )
        self._update_buttons()

    def _show_preview(self, rendered: RenderedDocument) -> None:
        self._previewing = False
        self.rendered = rendered
        self._document_id = rendered.document_id
        self._issued_on = rendered.frame.issued_on
        pages = self.preview.show_pdf(rendered.data)
        if pages == 1:
            text = (
                "This is the exact page that will be saved (1 page, document ID "
                f"{rendered.document_id}). Read it through: next you confirm it is accurate."
            )
        else:
            text = (
                f"These are the exact pages that will be saved ({pages} pages, document ID "
                f"{rendered.document_id}). Read them through: next you confirm they are "
                "accurate."
            )
        self.preview_about.setText(text)
        self.preview_about.setAccessibleDescription(text)
        self._ask_again_if_changed(rendered.sha256)
        self._update_buttons()

    def _ask_again_if_changed(self, sha256: str) -> None:
        """The Caldicott answers are about the pages read: new pages need new answers."""
        previous, self._previewed_sha = self._previewed_sha, sha256
        if previous is not None and previous != sha256 and self.caldicott.clear():
            note = (
                "The pages changed after you answered these questions, so they are asked "
                "again about the pages you have just read."
            )
        else:
            note = ""
        self.caldicott_note.setText(note)
        self.caldicott_note.setAccessibleDescription(note)
        self.caldicott_note.setVisible(bool(note))

    # -- save ------------------------------------------------------------------------------

    def _show_save_summary(self) -> None:
        details = self.details
        gateway = details.chosen_gateway()
        told = details.client_informed()
        facts = [
            *self._save_facts(),
            ("To", self._recipient_words()),
            ("Purpose", " ".join(details.purpose.toPlainText().split())),
            (GATEWAY_LABEL, gateway_words(gateway)),
            (
                "Client told",
                "Yes" if told else "No: " + " ".join(details.not_told_reason.toPlainText().split()),
            ),
        ]
        if self.rendered is not None:
            facts.append(("Document ID", self.rendered.document_id))
        rows = "".join(
            f"<tr><td><b>{html.escape(k)}:</b>&nbsp;</td><td>{html.escape(v)}</td></tr>"
            for k, v in facts
        )
        intro = (
            "<p>Saving writes the PDF you previewed to a file you choose and enters it in "
            "the disclosure register with its SHA-256 fingerprint. Share the file only with "
            "the recipient named.</p>"
            if self.result_row is None
            else "<p><b>What was shared</b></p>"
        )
        self.save_summary.setText(f"{intro}<table>{rows}</table>")

    def _recipient_words(self) -> str:
        person = self.details.recipient_person.text().strip()
        agency = self.details.recipient_agency.text().strip()
        return f"{person}, {agency}" if person else agency

    def suggested_file_name(self) -> str:
        """No name of the client: the kind of document and its ID."""
        return f"{self.FILE_STEM}-{self._document_id or 'new'}.pdf"

    def save(self) -> ExportResult | None:
        """Ask where to save, then export: checked again, recorded, written atomically."""
        chosen = register_view.ask_save_path(
            self,
            f"Save the {self.KIND_WORDS}",
            str(_documents_folder() / self.suggested_file_name()),
            "PDF documents (*.pdf)",
        )
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        decision = self.details.decision(self.caldicott.confirmation())
        export = self._export_work(decision, path)

        def work() -> ExportResult:
            try:
                return export()
            except OSError as error:
                reason = error.strerror or "the folder could not be written to"
                raise ClinicError(
                    f"The file could not be written ({reason}). Nothing was recorded in the "
                    "register. Choose another folder and try again."
                ) from None

        saved: list[ExportResult] = []

        def done(result: ExportResult) -> None:
            saved.append(result)
            self._saved(result, path)

        def failed(error: ClinicError) -> None:
            if isinstance(error, ValidationError):
                self.show_problems(error.problems)
            else:
                feedback.show_error(self, error, title=f"The {self.KIND_WORDS} was not saved")

        self._run_step(work, done, failed)
        return saved[0] if saved else None

    def _saved(self, result: ExportResult, path: Path) -> None:
        self.result_row = result
        self._show_save_summary()
        same = self.rendered is not None and self.rendered.sha256 == result.sha256
        sameness = (
            "The saved file is exactly the document you previewed."
            if same
            else "The saved file was drawn again from the record as it is now."
        )
        self.saved_label.setText(
            f"<p><b>\u2714 Saved and recorded.</b></p><p>Saved to: {html.escape(str(path))}<br>"
            f"Entered in the disclosure register on {html.escape(long_date(self.today))}.<br>"
            f"SHA-256: <tt>{html.escape(result.sha256)}</tt><br>{sameness}</p>"
        )
        self.saved_label.setAccessibleDescription(
            f"Saved to {path}. Entered in the disclosure register. {sameness}"
        )
        self.saved_label.show()
        self._update_buttons()
        self.cancel_button.setFocus()
        self.exported.emit(result)

    def reject(self) -> None:
        # While the service is checking or saving, the wizard stays open: a save on its
        # way is never mistaken for one that was cancelled.
        if not self.working:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.working:
            event.ignore()
            return
        super().closeEvent(event)

    # -- problems --------------------------------------------------------------------------

    def _step_for(self, where: str) -> Step:
        if where in DETAILS_FIELDS or where in ("statement", "decision", "fields", "sections"):
            return Step.DETAILS
        if where == "caldicott" and Step.CALDICOTT in self.steps:
            return Step.CALDICOTT
        if (where == "lexicon" or "[" in where or "." in where) and Step.WORDING in self.steps:
            return Step.WORDING
        if where == "content":
            return Step.DETAILS
        return self.steps[-1]

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Go to the first step with a problem and show each problem where it belongs."""
        if not problems:
            return
        if any(p.where == "content" for p in problems):
            # The record changed since the draft was made: prepare it again from step 1.
            self.draft = None
            self._invalidate_preview()
        steps = [self._step_for(p.where) for p in problems]
        first = min(steps, key=self.steps.index)
        self._go(self.steps.index(first))
        here = [p for p, s in zip(problems, steps, strict=True) if s is first]
        unplaced = self.details.errors.show(here) if first is Step.DETAILS else list(here)
        show_messages(self.page_errors, [p.message for p in unplaced])
