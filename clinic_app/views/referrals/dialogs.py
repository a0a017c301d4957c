"""The Referrals tab's dialogs: a new referral, a change of status, and the referral letter.

The letter is saved where :func:`ask_save_path` says, which tests replace.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import partial
from pathlib import Path

from PySide6.QtCore import (
    QDate,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem
from clinic_app.models.enums import Gateway, ReferralStatus, ReferralUrgency
from clinic_app.services.referrals import ReferralRow, allowed_next
from clinic_app.services.service_directory import ServiceRow
from clinic_app.services.sharing.letters import IssuedLetter, LetterPreview, ReferralWording
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.pdf_preview import PdfPreview
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.common.widgets import problems_label, show_problems
from clinic_app.views.referrals.actions import (
    ChangeStatus,
    CreateReferral,
    IssueLetter,
    PreviewLetter,
)
from clinic_app.views.referrals.models import LETTER_GATEWAYS, html_text, long_date, service_title
from clinic_app.wording import (
    GATEWAY_LABEL,
    GATEWAY_WORDS,
    REFERRAL_NEXT_STEP_WORDS,
    REFERRAL_STATUS_WORDS,
    REFERRAL_URGENCY_WORDS,
)


def ask_save_path(parent: QWidget, suggested: str) -> Path | None:
    """Ask where to save a letter; None if the user cancelled. Tests replace this."""
    name, _ = QFileDialog.getSaveFileName(
        parent, "Save the referral letter", suggested, "PDF documents (*.pdf)"
    )
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")


# -- small form helpers ---------------------------------------------------------------------------


def _buddy(text: str, field_widget: QWidget, *, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setBuddy(field_widget)
    label.setWordWrap(True)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


def _text_box(accessible_name: str, placeholder: str, *, height: int = 80) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(accessible_name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # Tab moves on, so the form works from the keyboard
    box.setMinimumHeight(height)
    return box


def _gateway_box(name: str, placeholder: str) -> tuple[QComboBox, list[Gateway]]:
    box = QComboBox()
    box.setAccessibleName(name)
    gateways = list(LETTER_GATEWAYS)
    for gateway in gateways:
        box.addItem(GATEWAY_WORDS[gateway])
    box.setPlaceholderText(placeholder)
    box.setCurrentIndex(-1)
    return box, gateways


# -- the new referral dialog ----------------------------------------------------------------------


class NewReferralDialog(QDialog):
    """Write a new (draft) referral: service, urgency, private reason and detail, and
    whether the bare fact of the referral may be shared with partners (and on what basis).

    On a successful save ``saved_referral`` holds the stored row and the dialog is accepted;
    problems are shown beside their fields and the text typed stays.

    Signals:
        saved(object): the stored :class:`ReferralRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        client_id: int,
        services: Sequence[ServiceRow],
        create_referral: CreateReferral,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._create = create_referral
        self.services = [s for s in services if s.active]
        self.saved_referral: ReferralRow | None = None
        self.errors = FieldErrors()
        self.setWindowTitle("New referral")
        self.setAccessibleName("New referral to a specialist service")
        self.setMinimumWidth(680)
        layout = QVBoxLayout(self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.service = QComboBox()
        self.service.setAccessibleName("Service to refer to")
        for service in self.services:
            self.service.addItem(service_title(service))
        self.service.setPlaceholderText("Choose the service")
        self.service.setCurrentIndex(-1)
        form.addRow(
            _buddy("Ser&vice", self.service), self.errors.with_field("service", self.service)
        )
        layout.addLayout(form)

        self.urgency_box = QGroupBox("Urgency")
        self.urgency_box.setAccessibleName("Urgency")
        urgency_row = QHBoxLayout(self.urgency_box)
        self.urgency_group = QButtonGroup(self)
        self.urgency_buttons: dict[ReferralUrgency, QRadioButton] = {}
        for urgency, text in (
            (ReferralUrgency.ROUTINE, "&Routine"),
            (ReferralUrgency.URGENT, "&Urgent"),
            (ReferralUrgency.EMERGENCY, "&Emergency"),
        ):
            button = QRadioButton(text)
            button.setAccessibleName(REFERRAL_URGENCY_WORDS[urgency])
            self.urgency_group.addButton(button)
            self.urgency_buttons[urgency] = button
            urgency_row.addWidget(button)
        urgency_row.addStretch()
        self.urgency_buttons[ReferralUrgency.ROUTINE].setChecked(True)
        layout.addWidget(self.urgency_box)

        self.reason = _text_box(
            "Reason for referral, private",
            "Why the client is being referred. This is clinical and never shared with "
            "partner agencies.",
        )
        layout.addWidget(_buddy("Reason for referral (&private)", self.reason, bold=True))
        layout.addWidget(self.reason, stretch=2)
        layout.addWidget(self.errors.label_for("reason", self.reason))

        self.clinical_detail = _text_box(
            "Clinical detail for the service, private",
            "Anything else the service needs to know: history, diagnosis, medication, "
            "current presentation. Do not name the victim or other people.",
        )
        layout.addWidget(
            _buddy("&Clinical detail for the service (private)", self.clinical_detail, bold=True)
        )
        layout.addWidget(self.clinical_detail, stretch=2)
        layout.addWidget(self.errors.label_for("clinical_detail", self.clinical_detail))

        self.share_box = QGroupBox(
            "May partner agencies be told that this referral was made? (The reason never is.)"
        )
        self.share_box.setAccessibleName("Whether the fact of the referral may be shared")
        share_layout = QVBoxLayout(self.share_box)
        choice_row = QHBoxLayout()
        self.share_no = QRadioButton("&No")
        self.share_no.setAccessibleName("No, the fact of the referral is not shared")
        self.share_yes = QRadioButton("&Yes, on the basis below")
        self.share_yes.setAccessibleName("Yes, the fact of the referral may be shared")
        self.share_group = QButtonGroup(self)
        self.share_group.addButton(self.share_no)
        self.share_group.addButton(self.share_yes)
        self.share_no.setChecked(True)
        choice_row.addWidget(self.share_no)
        choice_row.addWidget(self.share_yes)
        choice_row.addStretch()
        share_layout.addLayout(choice_row)
        gateway_row = QFormLayout()
        self.gateway, self._gateways = _gateway_box(
            "Legal gateway allowing the fact to be shared",
            "Choose the legal gateway (consent is one)",
        )
        self.gateway_label = _buddy("Legal &gateway", self.gateway)
        gateway_row.addRow(
            self.gateway_label, self.errors.with_field("share_gateway", self.gateway)
        )
        share_layout.addLayout(gateway_row)
        layout.addWidget(self.share_box)

        self.general_errors = problems_label()
        layout.addWidget(self.general_errors)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            "&Save as draft", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_button.setAccessibleName("Save the referral as a draft")
        self.save_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel without saving")
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.share_yes.toggled.connect(self._on_share_changed)
        self._on_share_changed()
        self.setTabOrder(self.service, self.urgency_buttons[ReferralUrgency.ROUTINE])
        self.setTabOrder(self.urgency_buttons[ReferralUrgency.ROUTINE], self.reason)
        self.setTabOrder(self.reason, self.clinical_detail)
        self.setTabOrder(self.clinical_detail, self.share_no)
        self.setTabOrder(self.share_no, self.gateway)
        self.setTabOrder(self.gateway, self.save_button)
        self.service.setFocus()

    def chosen_service(self) -> ServiceRow | None:
        index = self.service.currentIndex()
        return self.services[index] if 0 <= index < len(self.services) else None

    def chosen_urgency(self) -> ReferralUrgency:
        for urgency, button in self.urgency_buttons.items():
            if button.isChecked():
                return urgency
        return ReferralUrgency.ROUTINE

    def chosen_gateway(self) -> Gateway | None:
        index = self.gateway.currentIndex()
        return self._gateways[index] if 0 <= index < len(self._gateways) else None

    def show_problems(self, problems: Sequence[Problem]) -> None:
        show_problems(self.general_errors, self.errors.show(problems))

    def _on_share_changed(self, _checked: bool = False) -> None:
        sharing = self.share_yes.isChecked()
        self.gateway.setEnabled(sharing)
        self.gateway_label.setEnabled(sharing)

    def _on_save(self) -> None:
        service = self.chosen_service()
        if service is None:
            self.show_problems([Problem("service", "Choose the service to refer to.")])
            return
        sharing = self.share_yes.isChecked()
        work = partial(
            self._create,
            self.client_id,
            service_id=service.id,
            reason=self.reason.toPlainText(),
            urgency=self.chosen_urgency(),
            clinical_detail=self.clinical_detail.toPlainText(),
            fact_shareable=sharing,
            share_gateway=self.chosen_gateway() if sharing else None,
        )
        save_through_runner(
            self,
            work,
            self._on_saved,
            busy=[self.buttons],
            title="The referral was not saved",
            problems=self.show_problems,
        )

    def _on_saved(self, row: ReferralRow) -> None:
        self.errors.clear()
        self.saved_referral = row
        self.saved.emit(row)
        self.accept()


# -- the change of status dialog ------------------------------------------------------------------


class ChangeStatusDialog(QDialog):
    """Move a referral on: only the statuses it may move to next are offered.

    Declining needs the service's reason; any other step may carry a note. On success
    ``updated`` holds the stored row and the dialog is accepted.

    Signals:
        saved(object): the updated :class:`ReferralRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        referral: ReferralRow,
        change_status: ChangeStatus,
        *,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.referral = referral
        self._change = change_status
        self.updated: ReferralRow | None = None
        self.errors = FieldErrors()
        self.options = list(allowed_next(referral.status))
        self.setWindowTitle("Change the status of a referral")
        self.setAccessibleName("Change the status of a referral")
        self.setMinimumWidth(600)
        layout = QVBoxLayout(self)

        current = QLabel(
            f"<b>Referral to {html_text(referral.service_name)}</b><br>"
            f"Now: {REFERRAL_STATUS_WORDS[referral.status]} since {long_date(referral.status_on)}."
        )
        current.setTextFormat(Qt.TextFormat.RichText)
        current.setWordWrap(True)
        current.setAccessibleName(
            f"Referral to {referral.service_name}, "
            f"now {REFERRAL_STATUS_WORDS[referral.status].lower()}"
        )
        layout.addWidget(current)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.status = QComboBox()
        self.status.setAccessibleName("New status")
        for status in self.options:
            self.status.addItem(REFERRAL_NEXT_STEP_WORDS[status])
        self.status.setPlaceholderText("Choose what has happened")
        self.status.setCurrentIndex(-1)
        form.addRow(_buddy("&New status", self.status), self.errors.with_field("to", self.status))

        self.on = QDateEdit()
        self.on.setAccessibleName("Date it happened")
        self.on.setCalendarPopup(True)
        self.on.setDisplayFormat("dd/MM/yyyy")
        qtoday = QDate(today.year, today.month, today.day)
        earliest = referral.status_on
        self.on.setMinimumDate(QDate(earliest.year, earliest.month, earliest.day))
        self.on.setMaximumDate(qtoday)
        self.on.setDate(qtoday)
        form.addRow(_buddy("&Date it happened", self.on), self.errors.with_field("on", self.on))
        layout.addLayout(form)

        self.note_label = QLabel("N&ote (optional, private)")
        self.note = _text_box("Note, private", "Anything to keep with this step.", height=70)
        self.note_label.setBuddy(self.note)
        layout.addWidget(self.note_label)
        layout.addWidget(self.note, stretch=1)
        layout.addWidget(self.errors.label_for("note", self.note))

        self.general_errors = problems_label()
        layout.addWidget(self.general_errors)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setAccessibleName("Save the new status")
        self.save_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel without saving")
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.status.currentIndexChanged.connect(self._on_status_changed)
        self.setTabOrder(self.status, self.on)
        self.setTabOrder(self.on, self.note)
        self.setTabOrder(self.note, self.save_button)
        self.status.setFocus()

    def chosen_status(self) -> ReferralStatus | None:
        index = self.status.currentIndex()
        return self.options[index] if 0 <= index < len(self.options) else None

    def choose(self, status: ReferralStatus) -> None:
        """Select ``status`` (it must be one of the options offered)."""
        self.status.setCurrentIndex(self.options.index(status))

    def chosen_date(self) -> date:
        day = self.on.date()
        return date(day.year(), day.month(), day.day())

    def show_problems(self, problems: Sequence[Problem]) -> None:
        show_problems(self.general_errors, self.errors.show(problems))

    def _on_status_changed(self, _index: int) -> None:
        declining = self.chosen_status() is ReferralStatus.DECLINED
        self.note_label.setText(
            "Reason the service gave for declining (&required)"
            if declining
            else "N&ote (optional, private)"
        )
        self.note.setAccessibleName(
            "Reason for declining, required" if declining else "Note, private"
        )
        self.note.setPlaceholderText(
            "What the service said, e.g. does not meet the criteria for the service."
            if declining
            else "Anything to keep with this step."
        )

    def _on_save(self) -> None:
        to = self.chosen_status()
        if to is None:
            self.show_problems([Problem("to", "Choose the new status.")])
            return
        work = partial(
            self._change,
            self.referral.id,
            to,
            on=self.chosen_date(),
            note=self.note.toPlainText(),
            expected_version=self.referral.version,
        )
        save_through_runner(
            self,
            work,
            self._on_saved,
            busy=[self.buttons],
            title="The status was not changed",
            problems=self.show_problems,
            again=lambda conflict, edits: partial(
                work,
                note=edits.get("note", work.keywords["note"]),
                expected_version=conflict.version,
            ),
            keep_saved=self.reject,
        )

    def _on_saved(self, row: ReferralRow) -> None:
        self.errors.clear()
        self.updated = row
        self.saved.emit(row)
        self.accept()


# -- the letter dialog ----------------------------------------------------------------------------


class LetterDialog(QDialog):
    """Review the referral letter's exact pages, record the basis for sharing, then save.

    Saving asks where to put the file, then records the letter in the disclosure register
    (with its SHA-256) and writes it. On success ``issued`` holds the result and the
    dialog is accepted; on any refusal nothing is saved and the reason is shown.

    Signals:
        issued_letter(object): the :class:`IssuedLetter`.
    """

    issued_letter = Signal(object)

    def __init__(
        self,
        referral: ReferralRow,
        preview: LetterPreview,
        issue: IssueLetter,
        parent: QWidget | None = None,
        *,
        redraw: PreviewLetter | None = None,
    ) -> None:
        super().__init__(parent)
        self.referral = referral
        self.preview_data = preview
        self._issue = issue
        self._redraw = redraw
        self.issued: IssuedLetter | None = None
        self.errors = FieldErrors()
        self.setWindowTitle("Referral letter: review before it is produced")
        self.setAccessibleName("Review the referral letter")
        self.resize(1100, 760)
        layout = QHBoxLayout(self)

        self.pages = PdfPreview(self)
        layout.addWidget(self.pages, stretch=3)

        side = QVBoxLayout()
        about = QLabel(
            f"<b>Letter to {html_text(preview.service_name)}</b><br><br>"
            "Read every page: this is exactly what will be saved. It holds the client's "
            "identity and clinical information for the service, and is marked clinical on "
            "every page. Saving records it in the disclosure register."
        )
        about.setTextFormat(Qt.TextFormat.RichText)
        about.setWordWrap(True)
        about.setAccessibleName("About this letter")
        side.addWidget(about)

        # The letter's own words (from the service's referral template), editable.
        self.wording_box = QGroupBox("The letter's own words")
        self.wording_box.setAccessibleName("The letter's own words")
        words = QFormLayout(self.wording_box)
        self.salutation = QLineEdit()
        self.salutation.setAccessibleName("Salutation")
        self.opening = _text_box("Opening of the letter", "", height=90)
        self.sign_off = QLineEdit()
        self.sign_off.setAccessibleName("Sign-off")
        words.addRow(_buddy("Sal&utation", self.salutation), self.salutation)
        words.addRow(
            _buddy("&Opening", self.opening), self.errors.with_field("opening", self.opening)
        )
        words.addRow(_buddy("Sign-o&ff", self.sign_off), self.sign_off)
        self.redraw_button = QPushButton("Dra&w again with these words")
        self.redraw_button.setAccessibleName("Draw the letter again with these words")
        self.redraw_button.clicked.connect(self._on_redraw)
        words.addRow(self.redraw_button)
        side.addWidget(self.wording_box)
        self.wording_box.setVisible(preview.wording is not None and redraw is not None)
        if preview.wording is not None:
            self.salutation.setText(preview.wording.salutation)
            self.opening.setPlainText(preview.wording.opening)
            self.sign_off.setText(preview.wording.sign_off)
        for line in (self.salutation, self.sign_off):
            line.textChanged.connect(self._on_wording_edited)
        self.opening.textChanged.connect(self._on_wording_edited)

        self.gateway, self._gateways = _gateway_box(GATEWAY_LABEL, "Choose the legal gateway")
        side.addWidget(_buddy("Legal &gateway", self.gateway, bold=True))
        side.addWidget(self.gateway)
        side.addWidget(self.errors.label_for("gateway", self.gateway))

        self.told_box = QGroupBox("Has the client been told about this letter?")
        self.told_box.setAccessibleName("Has the client been told about this letter?")
        told = QVBoxLayout(self.told_box)
        self.told_yes = QRadioButton("&Yes")
        self.told_yes.setAccessibleName("Yes, the client has been told")
        self.told_no = QRadioButton("&No")
        self.told_no.setAccessibleName("No, the client has not been told")
        self.told_group = QButtonGroup(self)
        self.told_group.addButton(self.told_yes)
        self.told_group.addButton(self.told_no)
        told.addWidget(self.told_yes)
        told.addWidget(self.told_no)
        self.not_told_reason = _text_box(
            "Why the client has not been told", "Why not, and when they will be.", height=60
        )
        self.not_told_reason.setMaximumHeight(110)
        self.not_told_label = _buddy("&Why not", self.not_told_reason)
        told.addWidget(self.not_told_label)
        told.addWidget(self.not_told_reason)
        told.addWidget(self.errors.label_for("client_not_informed_reason", self.not_told_reason))
        side.addWidget(self.told_box)
        side.addWidget(self.errors.label_for("client_informed", self.told_box))

        self.general_errors = problems_label()
        side.addWidget(self.general_errors)
        side.addStretch()

        self.buttons = QDialogButtonBox(Qt.Orientation.Vertical)
        self.save_button = self.buttons.addButton(
            "&Save letter and record it…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_button.setAccessibleName("Save the letter and record it in the register")
        self.save_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel: nothing is saved or recorded")
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        side.addWidget(self.buttons)
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.setFixedWidth(380)
        layout.addWidget(side_box, stretch=1)

        self.told_no.toggled.connect(self._on_told_changed)
        self._on_told_changed()
        self.pages.show_pdf(preview.data)
        self.setTabOrder(self.sign_off, self.redraw_button)
        self.setTabOrder(self.redraw_button, self.gateway)
        self.setTabOrder(self.gateway, self.told_yes)
        self.setTabOrder(self.told_yes, self.not_told_reason)
        self.setTabOrder(self.not_told_reason, self.save_button)
        self.gateway.setFocus()

    def chosen_gateway(self) -> Gateway | None:
        index = self.gateway.currentIndex()
        return self._gateways[index] if 0 <= index < len(self._gateways) else None

    def show_problems(self, problems: Sequence[Problem]) -> None:
        show_problems(self.general_errors, self.errors.show(problems))

    def _on_told_changed(self, _checked: bool = False) -> None:
        not_told = self.told_no.isChecked()
        self.not_told_reason.setVisible(not_told)
        self.not_told_label.setVisible(not_told)

    def wording(self) -> ReferralWording:
        return ReferralWording(
            self.salutation.text(), self.opening.toPlainText(), self.sign_off.text()
        )

    def _on_wording_edited(self) -> None:
        # What is on screen is no longer what would be saved: draw it again first.
        self.errors.clear_field("opening")
        self.save_button.setEnabled(False)
        self.redraw_button.setDefault(True)

    def _on_redraw(self) -> None:
        if self._redraw is None:
            return
        work = partial(self._redraw, self.referral.id, wording=self.wording())
        save_through_runner(
            self,
            work,
            self._on_redrawn,
            busy=[self.buttons, self.redraw_button],
            title="The letter could not be drawn",
            problems=self.show_problems,
        )

    def _on_redrawn(self, preview: LetterPreview) -> None:
        self.preview_data = preview
        self.pages.show_pdf(preview.data)
        self.save_button.setEnabled(True)
        self.save_button.setDefault(True)
        self.errors.clear()

    def _on_save(self) -> None:
        problems = []
        if not (self.told_yes.isChecked() or self.told_no.isChecked()):
            problems.append(
                Problem("client_informed", "Say whether the client has been told about it.")
            )
        if self.chosen_gateway() is None:
            problems.append(
                Problem("gateway", "Choose the legal gateway the letter is shared under.")
            )
        if problems:
            self.show_problems(problems)
            return
        path = ask_save_path(self, self.preview_data.suggested_filename)
        if path is None:
            return
        informed = self.told_yes.isChecked()
        issue = partial(
            self._issue,
            self.referral.id,
            path,
            document_id=self.preview_data.document_id,
            issued_on=self.preview_data.issued_on,
            expected_sha256=self.preview_data.sha256,
            gateway=self.chosen_gateway(),
            client_informed=informed,
            client_not_informed_reason=("" if informed else self.not_told_reason.toPlainText()),
        )
        if self.preview_data.wording is not None:  # the words drawn, for the same bytes
            issue = partial(issue, wording=self.preview_data.wording)

        def work() -> IssuedLetter:
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
            title="The letter was not produced",
            problems=self.show_problems,
        )

    def _on_issued(self, issued: IssuedLetter) -> None:
        self.issued = issued
        self.issued_letter.emit(issued)
        self.accept()
