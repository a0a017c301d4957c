"""The Referrals tab: referrals to specialist services, their history, and the letter.

The tab lists the client's referrals with their status and whether each is overdue or
awaiting action (in words, with an icon: never colour alone), and shows the selected one
in full with its whole status history. From it a clinician writes a new referral, moves
one on (only the next steps the referral allows are offered; declining asks for the
reason) and produces the referral letter: the exact pages are shown for review, the
basis for sharing is recorded, and only then is the letter saved and entered in the
disclosure register.

Dialogs are run through :func:`exec_dialog` and the save location is asked through
:func:`ask_save_path`, so tests can drive both without a modal loop.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.models.enums import Gateway, ReferralStatus, ReferralUrgency
from clinic_app.reports.referral_letter import IssuedLetter, LetterPreview
from clinic_app.services.disclosures import GATEWAY_WORDS
from clinic_app.services.referrals import (
    SERVICE_KIND_WORDS,
    STATUS_ORDER,
    STATUS_WORDS,
    URGENCY_WORDS,
    ReferralRow,
    ServiceRow,
    allowed_next,
)
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors
from clinic_app.views.common.pdf_preview import PdfPreview
from clinic_app.views.common.table import ListTableModel, OpenableTable, ProxyRows

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

NO_REFERRALS = "No referrals recorded yet. Use New referral to refer the client to a service."
NO_SERVICES = (
    "There are no specialist services in the directory to refer to yet. An administrator "
    "adds them in the service directory."
)
CLOSED_CANNOT_CHANGE = (
    "This referral is closed, so its status cannot change. To refer again, write a new referral."
)
CHOOSE_REFERRAL = "Choose a referral in the list first."
NOTHING_DUE = "On track"
# Letter sharing bases, most usual first: a referral for care goes under the health and
# social care condition or with the client's consent.
LETTER_GATEWAYS: tuple[Gateway, ...] = (
    Gateway.DPA_SCH1_PARA2,
    Gateway.CONSENT,
    Gateway.DPA_SCH1_PARA18,
    Gateway.DPA_SCH1_PARA10,
    Gateway.CDA_S115,
    Gateway.GDPR_ART10,
    Gateway.PUBLIC_INTEREST,
)


def exec_dialog(dialog: QDialog) -> int:
    """Run a dialog modally. Tests replace this to drive dialogs without blocking."""
    return dialog.exec()


def ask_save_path(parent: QWidget, suggested: str) -> Path | None:
    """Ask where to save a letter; None if the user cancelled. Tests replace this."""
    name, _ = QFileDialog.getSaveFileName(
        parent, "Save the referral letter", suggested, "PDF documents (*.pdf)"
    )
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")


def short_date(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def when_text(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def service_title(row: ServiceRow) -> str:
    """A service as a chooser lists it: name, kind and expected response time."""
    days = row.expected_response_days
    return (
        f"{row.name} ({SERVICE_KIND_WORDS[row.kind]}; usually responds within "
        f"{days} day{'' if days == 1 else 's'})"
    )


def sharing_words(row: ReferralRow) -> str:
    if row.fact_shareable and row.share_gateway is not None:
        return f"Yes ({GATEWAY_WORDS[row.share_gateway]})"
    return "No"


# -- what the tab needs ---------------------------------------------------------------------------


class CreateReferral(Protocol):
    """``referrals.create_referral`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        service_id: int,
        reason: str,
        urgency: ReferralUrgency,
        clinical_detail: str = "",
        fact_shareable: bool = False,
        share_gateway: Gateway | None = None,
    ) -> ReferralRow: ...


class ChangeStatus(Protocol):
    """``referrals.change_status`` bound to the signed-in user."""

    def __call__(
        self,
        referral_id: int,
        to: ReferralStatus,
        *,
        on: date | None = None,
        note: str = "",
        expected_version: int | None = None,
    ) -> ReferralRow: ...


class PreviewLetter(Protocol):
    """``referral_letter.preview_referral_letter`` bound to the signed-in user."""

    def __call__(self, referral_id: int) -> LetterPreview: ...


class IssueLetter(Protocol):
    """``referral_letter.issue_referral_letter`` bound to the signed-in user."""

    def __call__(
        self,
        referral_id: int,
        out: Path,
        *,
        document_id: str,
        issued_on: date,
        expected_sha256: str,
        gateway: Gateway | None,
        client_informed: bool,
        client_not_informed_reason: str = "",
    ) -> IssuedLetter: ...


@dataclass(frozen=True)
class ReferralsActions:
    """The use cases the Referrals tab and its dialogs call, bound to the signed-in user."""

    referrals_for_client: Callable[[int], list[ReferralRow]]
    service_directory: Callable[[], list[ServiceRow]]
    create_referral: CreateReferral
    change_status: ChangeStatus
    preview_referral_letter: PreviewLetter
    issue_referral_letter: IssueLetter
    today: Callable[[], date] = field(default=date.today)


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


def _general_errors() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setAccessibleName("Problems with this form")
    label.hide()
    return label


def _show_general(label: QLabel, problems: Sequence[Problem]) -> None:
    label.setText("\n".join(p.message for p in problems))
    label.setAccessibleDescription(label.text())
    label.setVisible(bool(problems))


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
            button.setAccessibleName(URGENCY_WORDS[urgency])
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
            "Consent or gateway allowing the fact to be shared",
            "Choose the consent or gateway",
        )
        self.gateway_label = _buddy("Consent or &gateway", self.gateway)
        gateway_row.addRow(
            self.gateway_label, self.errors.with_field("share_gateway", self.gateway)
        )
        share_layout.addLayout(gateway_row)
        layout.addWidget(self.share_box)

        self.general_errors = _general_errors()
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
        _show_general(self.general_errors, self.errors.show(problems))

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
        try:
            row = self._create(
                self.client_id,
                service_id=service.id,
                reason=self.reason.toPlainText(),
                urgency=self.chosen_urgency(),
                clinical_detail=self.clinical_detail.toPlainText(),
                fact_shareable=sharing,
                share_gateway=self.chosen_gateway() if sharing else None,
            )
        except ValidationError as error:
            self.show_problems(error.problems)
            return
        except ClinicError as error:
            feedback.show_error(self, error, title="The referral was not saved")
            return
        self.errors.clear()
        self.saved_referral = row
        self.saved.emit(row)
        self.accept()


# -- the change of status dialog ------------------------------------------------------------------

NEXT_STEP_WORDS: dict[ReferralStatus, str] = {
    ReferralStatus.SENT: "Sent to the service",
    ReferralStatus.ACKNOWLEDGED: "Acknowledged by the service",
    ReferralStatus.ACCEPTED: "Accepted by the service",
    ReferralStatus.DECLINED: "Declined by the service (give the reason)",
    ReferralStatus.WAITING_LIST: "Put on the service's waiting list",
    ReferralStatus.SEEN: "Client seen by the service",
    ReferralStatus.CLOSED: "Closed",
}


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
            f"<b>Referral to {_html(referral.service_name)}</b><br>"
            f"Now: {STATUS_WORDS[referral.status]} since {long_date(referral.status_on)}."
        )
        current.setTextFormat(Qt.TextFormat.RichText)
        current.setWordWrap(True)
        current.setAccessibleName(
            f"Referral to {referral.service_name}, now {STATUS_WORDS[referral.status].lower()}"
        )
        layout.addWidget(current)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.status = QComboBox()
        self.status.setAccessibleName("New status")
        for status in self.options:
            self.status.addItem(NEXT_STEP_WORDS[status])
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

        self.general_errors = _general_errors()
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
        _show_general(self.general_errors, self.errors.show(problems))

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
        try:
            row = self._change(
                self.referral.id,
                to,
                on=self.chosen_date(),
                note=self.note.toPlainText(),
                expected_version=self.referral.version,
            )
        except ValidationError as error:
            self.show_problems(error.problems)
            return
        except ClinicError as error:
            feedback.show_error(self, error, title="The status was not changed")
            return
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
    ) -> None:
        super().__init__(parent)
        self.referral = referral
        self.preview_data = preview
        self._issue = issue
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
            f"<b>Letter to {_html(preview.service_name)}</b><br><br>"
            "Read every page: this is exactly what will be saved. It holds the client's "
            "identity and clinical information for the service, and is marked clinical on "
            "every page. Saving records it in the disclosure register."
        )
        about.setTextFormat(Qt.TextFormat.RichText)
        about.setWordWrap(True)
        about.setAccessibleName("About this letter")
        side.addWidget(about)

        self.gateway, self._gateways = _gateway_box(
            "Basis for sharing the letter with the service", "Choose the basis for sharing"
        )
        side.addWidget(_buddy("&Basis for sharing with the service", self.gateway, bold=True))
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

        self.general_errors = _general_errors()
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
        self.setTabOrder(self.gateway, self.told_yes)
        self.setTabOrder(self.told_yes, self.not_told_reason)
        self.setTabOrder(self.not_told_reason, self.save_button)
        self.gateway.setFocus()

    def chosen_gateway(self) -> Gateway | None:
        index = self.gateway.currentIndex()
        return self._gateways[index] if 0 <= index < len(self._gateways) else None

    def show_problems(self, problems: Sequence[Problem]) -> None:
        _show_general(self.general_errors, self.errors.show(problems))

    def _on_told_changed(self, _checked: bool = False) -> None:
        not_told = self.told_no.isChecked()
        self.not_told_reason.setVisible(not_told)
        self.not_told_label.setVisible(not_told)

    def _on_save(self) -> None:
        problems = []
        if not (self.told_yes.isChecked() or self.told_no.isChecked()):
            problems.append(
                Problem("client_informed", "Say whether the client has been told about it.")
            )
        if self.chosen_gateway() is None:
            problems.append(
                Problem(
                    "gateway", "Choose the basis on which the letter is shared with the service."
                )
            )
        if problems:
            self.show_problems(problems)
            return
        path = ask_save_path(self, self.preview_data.suggested_filename)
        if path is None:
            return
        informed = self.told_yes.isChecked()
        try:
            issued = self._issue(
                self.referral.id,
                path,
                document_id=self.preview_data.document_id,
                issued_on=self.preview_data.issued_on,
                expected_sha256=self.preview_data.sha256,
                gateway=self.chosen_gateway(),
                client_informed=informed,
                client_not_informed_reason="" if informed else self.not_told_reason.toPlainText(),
            )
        except ValidationError as error:
            self.show_problems(error.problems)
            return
        except ClinicError as error:
            feedback.show_error(self, error, title="The letter was not produced")
            return
        except OSError:
            feedback.show_error(
                self,
                ClinicError(
                    "The letter could not be saved there (the folder may not exist or may be "
                    "read-only). Nothing was saved or recorded. Choose another place."
                ),
                title="The letter was not produced",
            )
            return
        self.issued = issued
        self.issued_letter.emit(issued)
        self.accept()


# -- the table ------------------------------------------------------------------------------------


class ReferralColumn(IntEnum):
    """The columns of the referrals table, in order."""

    SERVICE = 0
    URGENCY = 1
    STATUS = 2
    FOLLOW_UP = 3
    CREATED = 4
    SENT = 5
    SHARED = 6


REFERRAL_HEADERS: dict[ReferralColumn, str] = {
    ReferralColumn.SERVICE: "Service",
    ReferralColumn.URGENCY: "Urgency",
    ReferralColumn.STATUS: "Status",
    ReferralColumn.FOLLOW_UP: "Follow-up",
    ReferralColumn.CREATED: "Written",
    ReferralColumn.SENT: "Sent",
    ReferralColumn.SHARED: "Fact may be shared",
}
URGENCY_ORDER = {
    ReferralUrgency.ROUTINE: 0,
    ReferralUrgency.URGENT: 1,
    ReferralUrgency.EMERGENCY: 2,
}


class ReferralTableModel(ListTableModel[ReferralRow]):
    """The client's referrals with their status and follow-up flag, as of ``today``."""

    def __init__(self) -> None:
        super().__init__(
            ReferralColumn,
            REFERRAL_HEADERS,
            header_tips={
                ReferralColumn.FOLLOW_UP: "Overdue: the service has not responded in its "
                "usual time. Awaiting action: the next step is yours."
            },
        )
        self.today = date.today()

    def set_rows(self, rows: Sequence[ReferralRow], today: date) -> None:
        self.today = today
        self.reset_items(rows)

    def row_at(self, row: int) -> ReferralRow:
        return self.item(row)

    def follow_up_words(self, row: ReferralRow) -> str:
        flag = row.follow_up(self.today).flag
        return flag.upper() if flag == "Overdue" else (flag or NOTHING_DUE)

    def display(self, row: ReferralRow, column: ReferralColumn) -> str:
        match column:
            case ReferralColumn.SERVICE:
                return row.service_name
            case ReferralColumn.URGENCY:
                return URGENCY_WORDS[row.urgency]
            case ReferralColumn.STATUS:
                return STATUS_WORDS[row.status]
            case ReferralColumn.FOLLOW_UP:
                return self.follow_up_words(row)
            case ReferralColumn.CREATED:
                return short_date(row.created_on)
            case ReferralColumn.SENT:
                return short_date(row.sent_on) or "Not sent"
            case ReferralColumn.SHARED:
                return sharing_words(row)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        column = ReferralColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(row, column)
        if role == SORT_ROLE:
            return self.sort_key(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == ReferralColumn.FOLLOW_UP:
            return row.follow_up(self.today).message
        follow = row.follow_up(self.today) if column == ReferralColumn.FOLLOW_UP else None
        if role == Qt.ItemDataRole.FontRole and follow is not None and follow.needs_attention:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and follow is not None and follow.needs_attention:
            return QApplication.style().standardIcon(
                QStyle.StandardPixmap.SP_MessageBoxWarning
                if follow.overdue
                else QStyle.StandardPixmap.SP_MessageBoxInformation
            )
        return None

    def sort_key(self, row: ReferralRow, column: ReferralColumn) -> Any:
        if column == ReferralColumn.CREATED:
            return f"{row.created_on.isoformat()} {row.id:012d}"
        if column == ReferralColumn.SENT:
            return row.sent_on.isoformat() if row.sent_on else ""
        if column == ReferralColumn.STATUS:
            return STATUS_ORDER[row.status]
        if column == ReferralColumn.URGENCY:
            return URGENCY_ORDER[row.urgency]
        if column == ReferralColumn.FOLLOW_UP:
            follow = row.follow_up(self.today)
            return 2 if follow.overdue else 1 if follow.awaiting_action else 0
        return self.display(row, column).casefold()


# -- the tab --------------------------------------------------------------------------------------


class ReferralsTab(QWidget):
    """The Referrals tab of a client's record.

    Lists the referrals (newest first) with status and follow-up, shows the selected one
    with its full status history, and offers New referral (Ctrl+N within the tab),
    Change status (Enter or double-click on a row) and Referral letter.

    Signals:
        changed(): emitted after the tab created a referral, changed a status or
            produced a letter.
    """

    changed = Signal()

    def __init__(
        self, client_id: int, actions: ReferralsActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.setAccessibleName("Referrals")
        layout = QVBoxLayout(self)

        heading = QLabel(
            "Referrals to specialist services. The reason and clinical detail are private; "
            "only the bare fact of a referral may be shared, and only with consent or a "
            "gateway recorded."
        )
        heading.setWordWrap(True)
        heading.setAccessibleName("About this tab")
        layout.addWidget(heading)

        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New referral…")
        self.new_button.setAccessibleName("Write a new referral")
        self.new_button.clicked.connect(self._on_new)
        self.status_button = QPushButton("Change &status…")
        self.status_button.setAccessibleName("Change the status of the selected referral")
        self.status_button.setToolTip("Change the status of the selected referral (Enter)")
        self.status_button.clicked.connect(self._on_change_status)
        self.letter_button = QPushButton("Referral &letter…")
        self.letter_button.setAccessibleName(
            "Review and produce the letter for the selected referral"
        )
        self.letter_button.clicked.connect(self._on_letter)
        self.new_button.setToolTip("Write a new referral (Ctrl+N)")
        self.new_shortcut = QShortcut(QKeySequence("Ctrl+N"), self)
        self.new_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_shortcut.activated.connect(self._on_new)
        for button in (self.new_button, self.status_button, self.letter_button):
            buttons.addWidget(button)
        buttons.addStretch()
        layout.addLayout(buttons)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAccessibleName("Last action")
        self.message.hide()
        layout.addWidget(self.message)

        self.empty = QLabel(NO_REFERRALS)
        self.empty.setAccessibleName(NO_REFERRALS)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setContentsMargins(0, 24, 0, 0)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.empty, stretch=1)

        self.model = ReferralTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = OpenableTable()
        self.table.setModel(self.proxy)
        self.rows = ProxyRows(self.table, self.proxy, self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ReferralColumn.CREATED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ReferralColumn.SERVICE, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Referrals, newest first")
        self.table.open_requested.connect(self._on_row_opened)
        self.table.doubleClicked.connect(self._on_row_opened)

        self.details = QTextBrowser()
        self.details.setAccessibleName("The selected referral in full, with its history")
        self.details.setOpenLinks(False)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, stretch=4)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)

        self.setTabOrder(self.new_button, self.status_button)
        self.setTabOrder(self.status_button, self.letter_button)
        self.setTabOrder(self.letter_button, self.table)
        self.setTabOrder(self.table, self.details)
        self.refresh()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the referrals, keeping the selected one selected."""
        keep = self.selected_referral()
        try:
            rows = list(self._actions.referrals_for_client(self.client_id))
        except ClinicError as error:
            rows = []
            self.empty.setText(f"Referrals could not be loaded. {error.message}")
        else:
            self.empty.setText(NO_REFERRALS)
        self.empty.setAccessibleName(self.empty.text())
        self.model.set_rows(rows, self._actions.today())
        has_rows = bool(rows)
        self.empty.setVisible(not has_rows)
        self.splitter.setVisible(has_rows)
        self.status_button.setVisible(has_rows)
        self.letter_button.setVisible(has_rows)
        if not has_rows or keep is None or not self.select_referral(keep.id):
            self._select_proxy_row(0)
        self._show_details()

    # -- selection -------------------------------------------------------------------------

    def referrals(self) -> list[ReferralRow]:
        """The referrals as the table shows them, top to bottom."""
        return self.rows.in_view()

    def selected_referral(self) -> ReferralRow | None:
        return self.rows.selected()

    def select_referral(self, referral_id: int) -> bool:
        """Select the referral with this id (e.g. when opened from the dashboard)."""
        return self.rows.select_id(referral_id)

    def _select_proxy_row(self, row: int) -> bool:
        return self.rows.select_view_row(row)

    def _show_details(self) -> None:
        row = self.selected_referral()
        if row is None:
            self.details.clear()
            return
        self.details.setHtml(self.describe(row))

    def describe(self, row: ReferralRow) -> str:
        """The referral in full, as HTML (everything escaped)."""
        follow = row.follow_up(self._actions.today())
        if follow.overdue:
            follow_text = f"<b>OVERDUE.</b> {_html(follow.message)}"
        elif follow.awaiting_action:
            follow_text = f"<b>Awaiting action.</b> {_html(follow.message)}"
        else:
            follow_text = _html(follow.message)
        parts = [
            f"<h3>Referral to {_html(row.service_name)}</h3>",
            f"<p>Status: <b>{STATUS_WORDS[row.status]}</b> since {long_date(row.status_on)}. "
            f"Urgency: <b>{URGENCY_WORDS[row.urgency]}</b>. Written on "
            f"{long_date(row.created_on)}"
            + (f"; sent on {long_date(row.sent_on)}" if row.sent_on else "; not sent yet")
            + ".</p>",
            f"<p>Follow-up: {follow_text}</p>",
            "<p><b>Reason for referral (private)</b><br>" + _html(row.reason) + "</p>",
            "<p><b>Clinical detail (private)</b><br>"
            + (_html(row.clinical_detail) or "<i>None written.</i>")
            + "</p>",
        ]
        if row.status is ReferralStatus.DECLINED or row.decline_reason:
            parts.append(
                "<p><b>Reason given for declining</b><br>"
                + (_html(row.decline_reason) or "<i>None recorded.</i>")
                + "</p>"
            )
        if row.fact_shareable and row.share_gateway is not None:
            sharing = (
                "The bare fact of this referral may be shared with partner agencies, under: "
                f"{_html(GATEWAY_WORDS[row.share_gateway])}."
            )
        else:
            sharing = "The fact of this referral is not shared with partner agencies."
        parts.append(f"<p><b>Sharing</b><br>{sharing}</p>")
        parts.append("<h4>Status history</h4>")
        if row.history:
            lines = [
                "<table cellpadding='3' border='0'>"
                "<tr><th align='left'>Date</th><th align='left'>Change</th>"
                "<th align='left'>By</th><th align='left'>Note</th></tr>"
            ]
            for change in row.history:
                step = (
                    "Written as a draft"
                    if change.from_status is None
                    else f"{STATUS_WORDS[change.from_status]} → {STATUS_WORDS[change.to_status]}"
                )
                lines.append(
                    f"<tr><td>{long_date(change.changed_on)}</td><td>{_html(step)}</td>"
                    f"<td>{_html(change.changed_by_name)}<br><small>recorded "
                    f"{when_text(change.recorded_at)}</small></td>"
                    f"<td>{_html(change.note)}</td></tr>"
                )
            lines.append("</table>")
            parts.append("".join(lines))
        else:
            parts.append("<p><i>No history recorded.</i></p>")
        return "".join(parts)

    # -- actions ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setAccessibleDescription(text)
        self.message.setVisible(bool(text))

    def open_new_referral(self, *, restore: dict[str, Any] | None = None) -> ReferralRow | None:
        """Write a new referral; returns it, or None if none was saved.

        ``restore`` puts back what the form held when the screen locked.
        """
        try:
            services = [s for s in self._actions.service_directory() if s.active]
        except ClinicError as error:
            feedback.show_error(self, error, title="The service directory could not be read")
            return None
        if not services:
            feedback.show_error(self, ClinicError(NO_SERVICES), title="No services to refer to")
            return None
        dialog = NewReferralDialog(self.client_id, services, self._actions.create_referral, self)
        remember_form(dialog, client_id=self.client_id, tab="Referrals", form="new")
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        row = dialog.saved_referral
        dialog.deleteLater()
        if row is None:
            return None
        self.refresh()
        self.select_referral(row.id)
        self._say(f"Draft referral to {row.service_name} saved.")
        self.changed.emit()
        return row

    def open_change_status(
        self, referral: ReferralRow | None = None, *, restore: dict[str, Any] | None = None
    ) -> ReferralRow | None:
        """Change the status of ``referral`` (default: the selected one)."""
        referral = referral or self.selected_referral()
        if referral is None:
            feedback.show_error(self, ClinicError(CHOOSE_REFERRAL), title="Change status")
            return None
        if not allowed_next(referral.status):
            feedback.show_error(self, ClinicError(CLOSED_CANNOT_CHANGE), title="Change status")
            return None
        dialog = ChangeStatusDialog(
            referral, self._actions.change_status, today=self._actions.today(), parent=self
        )
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Referrals",
            form="change_status",
            params={"referral_id": referral.id},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        row = dialog.updated
        dialog.deleteLater()
        if row is None:
            return None
        self.refresh()
        self.select_referral(row.id)
        self._say(f"Referral to {row.service_name} is now {STATUS_WORDS[row.status].lower()}.")
        self.changed.emit()
        return row

    def open_letter(self, referral: ReferralRow | None = None) -> IssuedLetter | None:
        """Review and produce the letter for ``referral`` (default: the selected one)."""
        referral = referral or self.selected_referral()
        if referral is None:
            feedback.show_error(self, ClinicError(CHOOSE_REFERRAL), title="Referral letter")
            return None
        try:
            preview = self._actions.preview_referral_letter(referral.id)
        except ClinicError as error:
            feedback.show_error(self, error, title="The letter could not be prepared")
            return None
        dialog = LetterDialog(referral, preview, self._actions.issue_referral_letter, self)
        exec_dialog(dialog)
        issued = dialog.issued
        dialog.deleteLater()
        if issued is None:
            return None
        self._say(
            f"Referral letter saved to {issued.path} and recorded in the disclosure register "
            f"as shared with {referral.service_name}."
        )
        self.changed.emit()
        return issued

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be."""
        if form == "new":
            self.open_new_referral(restore=state)
            return True
        if form == "change_status":
            referral = next(
                (r for r in self.referrals() if r.id == params.get("referral_id")), None
            )
            if referral is None or not allowed_next(referral.status):
                return False
            self.open_change_status(referral, restore=state)
            return True
        return False

    # -- slots -----------------------------------------------------------------------------

    def _on_new(self) -> None:
        self.open_new_referral()

    def _on_change_status(self) -> None:
        self.open_change_status()

    def _on_letter(self) -> None:
        self.open_letter()

    def _on_row_opened(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_change_status(self.model.row_at(self.proxy.mapToSource(index).row()))

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details()
