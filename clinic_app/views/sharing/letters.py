"""Writing a letter from a template: choose the kind, edit the filled text, preview, issue.

:class:`WriteLetterDialog` asks for the kind's template filled from the record
(:func:`~clinic_app.services.sharing.template_letters.draft_letter`), lets the clinician
edit every word, shows the exact pages once the letter passes the sharing gate, and
issues it: the file is saved where :func:`ask_save_path` says (tests replace it) and the
letter is entered in the disclosure register. Every service call runs on the background
runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem
from clinic_app.models.enums import Gateway, LetterKind
from clinic_app.services.sharing.template_letters import (
    IssuedTemplateLetter,
    LetterDraft,
    LetterText,
    TemplateLetterPreview,
)
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.pdf_preview import PdfPreview
from clinic_app.views.common.runner import runner
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.common.widgets import problems_label, show_problems
from clinic_app.wording import GATEWAY_LABEL, LETTER_KIND_WORDS, gateway_words

HEALTH_GATEWAYS: tuple[Gateway, ...] = (Gateway.DPA_SCH1_PARA2, Gateway.CONSENT)
"""The gateways a letter to a health professional goes under, most usual first."""


class IssueTemplateLetter(Protocol):
    """``template_letters.issue_letter`` bound to the signed-in user."""

    def __call__(
        self,
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
    ) -> IssuedTemplateLetter: ...


@dataclass(frozen=True)
class LetterActions:
    """The use cases the letter dialog calls, bound to the signed-in user."""

    draft: Callable[[int, LetterKind], LetterDraft]
    preview: Callable[[int, LetterText], TemplateLetterPreview]
    issue: IssueTemplateLetter


def ask_save_path(parent: QWidget, suggested: str) -> Path | None:
    """Ask where to save the letter; None if the user cancelled. Tests replace this."""
    name, _ = QFileDialog.getSaveFileName(
        parent, "Save the letter", suggested, "PDF documents (*.pdf)"
    )
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class WriteLetterDialog(QDialog):
    """Write, check, preview and issue one letter for a client.

    Signals:
        issued_letter(object): the :class:`IssuedTemplateLetter`, once it is recorded.
    """

    issued_letter = Signal(object)

    def __init__(
        self,
        client_id: int,
        actions: LetterActions,
        parent: QWidget | None = None,
        *,
        kind: LetterKind = LetterKind.GP_UPDATE,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.issued: IssuedTemplateLetter | None = None
        self.current_preview: TemplateLetterPreview | None = None
        self._draft: LetterDraft | None = None
        self._filling = False
        self.errors = FieldErrors()
        self.setWindowTitle("Write a letter")
        self.setAccessibleName("Write a letter")
        self.resize(1180, 760)
        layout = QHBoxLayout(self)

        form_box = QWidget()
        column = QVBoxLayout(form_box)
        form = QFormLayout()
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of letter")
        for each in LetterKind:
            self.kind.addItem(LETTER_KIND_WORDS[each], each)
        self.kind.setCurrentIndex(list(LetterKind).index(kind))
        form.addRow(_label("&Letter", self.kind), self.kind)
        self.recipient = QLineEdit()
        self.recipient.setAccessibleName("Recipient")
        self.recipient.setPlaceholderText("e.g. Dr A Smith, Demo Surgery")
        form.addRow(
            _label("&To", self.recipient), self.errors.with_field("recipient_name", self.recipient)
        )
        self.address = QPlainTextEdit()
        self.address.setAccessibleName("Recipient's address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(70)
        address_box = self.errors.with_field("recipient_address", self.address)
        # The body, not the address, takes the room the dialog has to spare.
        address_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        form.addRow(_label("&Address", self.address), address_box)
        self.salutation = QLineEdit()
        self.salutation.setAccessibleName("Salutation")
        form.addRow(
            _label("&Salutation", self.salutation),
            self.errors.with_field("salutation", self.salutation),
        )
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Body of the letter")
        self.body.setTabChangesFocus(True)
        self.body.setMinimumHeight(220)
        form.addRow(_label("&Body", self.body), self.errors.with_field("body", self.body))
        self.sign_off = QLineEdit()
        self.sign_off.setAccessibleName("Sign-off")
        form.addRow(
            _label("Sig&n-off", self.sign_off), self.errors.with_field("sign_off", self.sign_off)
        )
        self.signature = QLabel()
        self.signature.setWordWrap(True)
        self.signature.setAccessibleName("Signature block")
        form.addRow("Signed", self.signature)

        self.gateway = QComboBox()
        self.gateway.setAccessibleName(GATEWAY_LABEL)
        for gateway in HEALTH_GATEWAYS:
            self.gateway.addItem(gateway_words(gateway), gateway)
        self.gateway_label = _label("Legal &gateway", self.gateway)
        form.addRow(self.gateway_label, self.errors.with_field("gateway", self.gateway))
        column.addLayout(form)

        self.told_box = QGroupBox("Has the client been told about this letter?")
        self.told_box.setAccessibleName("Has the client been told about this letter?")
        told = QVBoxLayout(self.told_box)
        self.told_yes = QRadioButton("&Yes")
        self.told_yes.setAccessibleName("Yes, the client has been told")
        self.told_yes.setChecked(True)
        self.told_no = QRadioButton("N&o")
        self.told_no.setAccessibleName("No, the client has not been told")
        group = QButtonGroup(self)
        group.addButton(self.told_yes)
        group.addButton(self.told_no)
        self.not_told_reason = QPlainTextEdit()
        self.not_told_reason.setAccessibleName("Why the client has not been told")
        self.not_told_reason.setTabChangesFocus(True)
        self.not_told_reason.setFixedHeight(54)
        told.addWidget(self.told_yes)
        told.addWidget(self.told_no)
        told.addWidget(self.not_told_reason)
        told.addWidget(self.errors.label_for("client_not_informed_reason", self.not_told_reason))
        column.addWidget(self.told_box)

        self.general_errors = problems_label()
        column.addWidget(self.general_errors)
        self.buttons = QDialogButtonBox()
        self.preview_button = self.buttons.addButton(
            "&Check and preview", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.preview_button.setAccessibleName("Check the letter and show its pages")
        self.issue_button = self.buttons.addButton(
            "&Issue letter…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.issue_button.setAccessibleName("Save the letter and record it in the register")
        self.issue_button.setEnabled(False)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel: nothing is saved or recorded")
        self.buttons.rejected.connect(self.reject)
        self.preview_button.clicked.connect(self._on_preview)
        self.issue_button.clicked.connect(self._on_issue)
        column.addWidget(self.buttons)
        layout.addWidget(form_box, stretch=2)

        self.pages = PdfPreview(self)
        layout.addWidget(self.pages, stretch=3)

        for line in (self.recipient, self.salutation, self.sign_off):
            line.textChanged.connect(self._on_edited)
        for box in (self.address, self.body, self.not_told_reason):
            box.textChanged.connect(self._on_edited)
        self.told_no.toggled.connect(self._on_told_changed)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self._on_told_changed()
        self._load_draft()

    # -- reading the form -----------------------------------------------------------------

    def chosen_kind(self) -> LetterKind:
        return LetterKind(self.kind.currentData())

    def letter_text(self) -> LetterText:
        return LetterText(
            kind=self.chosen_kind(),
            recipient_name=self.recipient.text(),
            recipient_address=self.address.toPlainText(),
            salutation=self.salutation.text(),
            body=self.body.toPlainText(),
            sign_off=self.sign_off.text(),
        )

    def chosen_gateway(self) -> Gateway | None:
        data = self.gateway.currentData()
        return Gateway(data) if data is not None else None

    def show_problems(self, problems: Sequence[Problem]) -> None:
        show_problems(self.general_errors, self.errors.show(problems))

    # -- loading and previewing -----------------------------------------------------------

    def _load_draft(self) -> None:
        runner().run(
            partial(self._actions.draft, self.client_id, self.chosen_kind()),
            self._show_draft,
            key=f"letter-draft:{self.client_id}",
            parent=self,
            failed=lambda error: self.show_problems([Problem("", error.message)]),
        )

    def _show_draft(self, draft: LetterDraft) -> None:
        self._draft = draft
        self._filling = True
        try:
            self.recipient.setText(draft.text.recipient_name)
            self.address.setPlainText(draft.text.recipient_address)
            self.salutation.setText(draft.text.salutation)
            self.body.setPlainText(draft.text.body)
            self.sign_off.setText(draft.text.sign_off)
        finally:
            self._filling = False
        sig = draft.signature
        self.signature.setText(
            "\n".join(x for x in (sig.name, sig.job_title, sig.service_name, sig.contact) if x)
        )
        for widget in (self.gateway, self.gateway_label, self.told_box):
            widget.setVisible(draft.needs_gateway)
        self.errors.clear()
        self.general_errors.hide()
        self._forget_preview()
        self.recipient.setFocus()

    def _forget_preview(self) -> None:
        self.current_preview = None
        self.issue_button.setEnabled(False)
        self.pages.clear()

    def _on_preview(self) -> None:
        work = partial(self._actions.preview, self.client_id, self.letter_text())
        save_through_runner(
            self,
            work,
            self._show_preview,
            busy=[self.buttons],
            title="The letter could not be checked",
            problems=self.show_problems,
        )

    def _show_preview(self, preview: TemplateLetterPreview) -> None:
        self.errors.clear()
        self.general_errors.hide()
        self.current_preview = preview
        self.pages.show_pdf(preview.data)
        self.issue_button.setEnabled(True)
        self.issue_button.setFocus()

    # -- issuing --------------------------------------------------------------------------

    def _on_issue(self) -> None:
        preview = self.current_preview
        if preview is None:
            return
        needs_gateway = self._draft is not None and self._draft.needs_gateway
        informed = self.told_yes.isChecked() or not needs_gateway
        path = ask_save_path(self, preview.suggested_filename)
        if path is None:
            return
        issue = partial(
            self._actions.issue,
            self.client_id,
            preview.text,
            path,
            document_id=preview.document_id,
            issued_on=preview.issued_on,
            expected_sha256=preview.sha256,
            gateway=self.chosen_gateway() if needs_gateway else None,
            client_informed=informed,
            client_not_informed_reason="" if informed else self.not_told_reason.toPlainText(),
        )

        def work() -> IssuedTemplateLetter:
            try:
                return issue()
            except OSError:
                raise ClinicError(
                    "The letter could not be saved there (the folder may not exist or may be "
                    "read-only). Nothing was saved or recorded. Choose another place."
                ) from None

        save_through_runner(
            self,
            work,
            self._on_issued,
            busy=[self.buttons],
            title="The letter was not issued",
            problems=self.show_problems,
        )

    def _on_issued(self, issued: IssuedTemplateLetter) -> None:
        self.issued = issued
        self.issued_letter.emit(issued)
        self.accept()

    # -- slots ----------------------------------------------------------------------------

    def _on_kind_changed(self, _index: int) -> None:
        self._load_draft()

    def _on_edited(self) -> None:
        if self._filling:
            return
        # What was previewed is no longer what would be issued.
        if self.current_preview is not None:
            self._forget_preview()
        sender = self.sender()
        where = {
            self.recipient: "recipient_name",
            self.address: "recipient_address",
            self.salutation: "salutation",
            self.body: "body",
            self.sign_off: "sign_off",
            self.not_told_reason: "client_not_informed_reason",
        }.get(sender)  # type: ignore[call-overload]
        if where is not None:
            self.errors.clear_field(where)

    def _on_told_changed(self, _checked: bool = False) -> None:
        self.not_told_reason.setVisible(self.told_no.isChecked())
