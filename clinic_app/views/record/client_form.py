"""Registering and editing a client, and the small dialogs of the client's Overview.

Every dialog here takes the use case it calls (bound to the signed-in user by
``Workspace.bind``) so tests can hand it a fake. Dialogs never block on their own: the
caller shows them with ``open()`` (the Overview tab does) or ``exec()`` (the helpers
:func:`register_new_client` and :func:`ask_emergency_access` at the bottom, for the main
window). On Save a dialog calls its use case; a ``ValidationError`` puts each problem
under its field and keeps what was typed; any other known error (for instance someone
else changed the record first) is shown in a message box, and the dialog stays open.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFocusEvent, QIcon, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.models.enums import ClientStatus, ConsentToShare, RiskTool, Typology
from clinic_app.services.clients import (
    EARLIEST_BIRTH,
    JUDGEMENT_LEVELS,
    ClientDetails,
    ClientSummary,
    detail_problems,
)
from clinic_app.services.staff import StaffRow
from clinic_app.services.validation import nhs_number_problem
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors
from clinic_app.views.common.wording import STATUS_WORDS, TYPOLOGY_WORDS, format_nhs_number

AnyIndex = QModelIndex | QPersistentModelIndex

# -- the clinic's words for stored values ------------------------------------------------------

CONSENT_WORDS: dict[ConsentToShare, str] = {
    ConsentToShare.GIVEN: "Given",
    ConsentToShare.REFUSED: "Refused",
    ConsentToShare.NOT_ASKED: "Not asked",
    ConsentToShare.NOT_REQUIRED: "Not required (a statutory gateway applies)",
}
RISK_TOOL_WORDS: dict[RiskTool, str] = {
    RiskTool.SRP: "Stalking Risk Profile (SRP)",
    RiskTool.SAM: "Stalking Assessment and Management (SAM)",
    RiskTool.S_DASH: "S-DASH",
    RiskTool.OTHER: "Other tool",
}
LEVEL_WORDS: dict[str, str] = {level: level.capitalize() for level in JUDGEMENT_LEVELS}
NOT_RATED = "not rated"

# Names of the summary judgements each tool asks for, to save typing. Names only: the
# tools are licensed and their item text is never part of the app.
JUDGEMENT_NAMES: dict[RiskTool, tuple[str, ...]] = {
    RiskTool.SRP: (
        "Risk of persistence",
        "Risk of recurrence",
        "Risk of psychological damage to the victim",
        "Risk of violence",
        "Risk of psychosocial damage to the client",
    ),
    RiskTool.SAM: (
        "Case prioritisation",
        "Risk of continued stalking",
        "Risk of serious physical harm",
        "Need for immediate action",
    ),
    RiskTool.S_DASH: ("Overall risk",),
    RiskTool.OTHER: ("Overall risk",),
}
REFERRAL_SOURCES = (
    "Police",
    "Probation",
    "Victim advocate",
    "Multi-agency panel",
    "GP",
    "Mental health service",
)

HINT_STYLE = "color: #4a4a4a;"  # 8.9:1 on white
VALID_STYLE = "color: #1b5e20;"  # dark green, 7.9:1 on white; the words say it too
EARLIEST_DATE = date(1900, 1, 1)
VALID_NHS_NUMBER = "Valid NHS number"
NHS_NUMBER_HINT = "Optional. 10 digits; spaces and dashes are fine."


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def nhs_number_feedback(text: str, *, is_demo: bool) -> tuple[bool | None, str]:
    """What to say under the NHS number as it is typed: (valid or None if empty, words)."""
    if not text.strip():
        return None, NHS_NUMBER_HINT
    problem = nhs_number_problem(text, is_demo=is_demo)
    if problem is None:
        return True, VALID_NHS_NUMBER
    return False, problem


def to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


# -- the use cases the dialogs call (bound: no session or user arguments) -----------------------


class UpdateClient(Protocol):
    """``clients.update_client`` bound to the signed-in user."""

    def __call__(
        self, client_id: int, details: ClientDetails, *, expected_version: int
    ) -> ClientSummary: ...


class SetTypology(Protocol):
    """``clients.set_typology`` bound to the signed-in user."""

    def __call__(
        self, client_id: int, typology: Typology, *, rationale: str, assessed_on: date
    ) -> None: ...


class RecordRiskAssessment(Protocol):
    """``clients.record_risk_assessment`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        tool: RiskTool,
        tool_version: str,
        assessed_on: date,
        judgements: dict[str, str],
        rationale: str,
        shareable_summary: str,
        tool_name: str,
    ) -> object: ...


class AssignStaff(Protocol):
    """``clients.assign_staff`` bound to the signed-in user."""

    def __call__(self, client_id: int, staff_id: int, *, is_lead: bool) -> None: ...


# -- small building blocks -----------------------------------------------------------------------


class BlankableDateEdit(QDateEdit):
    """A date field that can start empty ("Not entered") so no date is ever guessed.

    Qt's date editor cannot type over its empty text, so when the user comes to an empty
    field it shows ``seed`` with the day selected, ready to type over; if they leave
    without typing or picking a date, it goes back to empty.
    """

    def __init__(self, seed: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._seed = _qdate(seed)
        self._seeded = False
        self.setCalendarPopup(True)  # creates the calendar connected to below
        self.setMinimumDate(_qdate(EARLIEST_DATE).addDays(-1))
        self.setSpecialValueText("Not entered")
        self.setDate(self.minimumDate())
        self.calendarWidget().clicked.connect(self._on_picked)
        self.calendarWidget().activated.connect(self._on_picked)

    def is_blank(self) -> bool:
        return self.date() == self.minimumDate()

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self.is_blank():
            self._seeded = True
            self.setDate(self._seed)
        super().focusInEvent(event)
        if self._seeded:
            self.setSelectedSection(QDateEdit.Section.DaySection)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() not in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Escape):
            self._seeded = False  # the user is entering a date
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if self._seeded and event.reason() != Qt.FocusReason.PopupFocusReason:
            self._seeded = False
            self.setDate(self.minimumDate())

    def _on_picked(self) -> None:
        self._seeded = False


def date_edit(value: date | None, *, maximum: date, name: str) -> QDateEdit:
    """A day/month/year field with a calendar; no dates after ``maximum``."""
    edit = QDateEdit() if value is not None else BlankableDateEdit(date(maximum.year - 35, 1, 1))
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setCalendarPopup(True)
    edit.setMaximumDate(_qdate(maximum))
    if value is not None:
        edit.setMinimumDate(_qdate(EARLIEST_DATE))
        edit.setDate(_qdate(value))
    edit.setAccessibleName(name)
    return edit


class TextBox(QPlainTextEdit):
    """A multi-line text box sized in lines, where Tab moves on (a keyboard path out of it)."""

    def __init__(self, text: str, *, lines: int, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTabChangesFocus(True)
        self._height = self.fontMetrics().lineSpacing() * lines + 14
        self.setMinimumHeight(self._height)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._height)


def multi_line(text: str, *, name: str, lines: int) -> TextBox:
    edit = TextBox(text, lines=lines)
    edit.setAccessibleName(name)
    return edit


def enum_combo(words: dict[Any, str], current: Any, *, name: str) -> QComboBox:
    combo = QComboBox()
    for value, text in words.items():
        combo.addItem(text, value)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.setAccessibleName(name)
    return combo


def hint(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    label.setAccessibleName(name)
    return label


class _Form:
    """Rows of label, field, an optional hint and the field's error line (FieldErrors)."""

    def __init__(self, errors: FieldErrors) -> None:
        self.layout = QFormLayout()
        self.layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.layout.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._errors = errors
        self.labels: dict[str, QLabel] = {}

    def add(
        self,
        where: str,
        text: str,
        field: QWidget,
        *,
        required: bool = False,
        note: QLabel | None = None,
    ) -> QLabel:
        shown = f"{text} (required)" if required else text
        label = QLabel(shown)
        label.setBuddy(field)
        label.setAccessibleName(shown.replace("&", ""))
        # Labels sit level with their field's first line, above any hint or problem.
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        if isinstance(field, QComboBox | QLineEdit | QDateEdit):
            margin = max(0, (field.sizeHint().height() - label.sizeHint().height()) // 2)
            label.setContentsMargins(0, margin, 0, 0)
        if not field.accessibleName():
            field.setAccessibleName(shown.replace("&", ""))
        elif required and "(required)" not in field.accessibleName():
            field.setAccessibleName(f"{field.accessibleName()} (required)")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        if note is not None:
            column.addWidget(note)
        column.addWidget(self._errors.label_for(where, field))
        self.layout.addRow(label, box)
        self.labels[where] = label
        return label


def _fill(group: QGroupBox, form: _Form, *, stretch: bool) -> None:
    column = QVBoxLayout(group)
    column.addLayout(form.layout)
    if stretch:
        column.addStretch()


class _SavingDialog(QDialog):
    """A dialog with a general problem line, Save and Cancel, and error handling on Save."""

    def __init__(self, title: str, save_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.errors = FieldErrors()
        self.problem = QLabel()
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problems with this form")
        self.problem.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(save_text)
        self.save_button.setIcon(QIcon())  # the words differ from dialog to dialog
        self.save_button.setAccessibleName(save_text.replace("&", ""))
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Cancel")
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)

    def main_layout(self) -> QVBoxLayout:
        layout = QVBoxLayout(self)
        # Grow the dialog when problems appear under fields, rather than squeezing them.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        return layout

    def show_problems(self, problems: Sequence[Problem]) -> None:
        unplaced = self.errors.show(problems)
        if unplaced:
            text = "\n".join(p.message for p in unplaced)
            self.problem.setText(text)
            self.problem.setAccessibleDescription(text)
            self.problem.show()
        else:
            self.problem.clear()
            self.problem.hide()
        self.fit()

    def fit(self, width: int = 0) -> None:
        """Grow to show every field, hint and problem (Qt's minimum does not count wrapped
        text), within the screen."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        hint = self.sizeHint()
        room = self.screen().availableGeometry()
        # Before the first show a widget's size is a placeholder, not a choice to keep.
        shown = self.size() if self.isVisible() else QSize(0, 0)
        new_width = min(max(shown.width(), hint.width(), width), room.width())
        needed = hint.height()
        if layout.hasHeightForWidth():  # wrapped text needs more height when narrower
            needed = max(needed, layout.totalHeightForWidth(new_width))
        self.resize(new_width, min(max(shown.height(), needed), room.height()))

    def _on_save(self) -> None:
        try:
            self.save()
        except ValidationError as error:
            self.show_problems(error.problems)
        except ClinicError as error:
            self.show_problems(())
            feedback.show_error(self, error, title=self.windowTitle())

    def save(self) -> None:
        """Call the use case and accept; raise ``ClinicError`` to keep the dialog open."""
        raise NotImplementedError


# -- registering and editing a client ----------------------------------------------------------


class ClientDialog(_SavingDialog):
    """Register a client (no ``existing`` details) or edit one (``existing`` = details, version).

    ``save`` is the use case to call with the typed details: for registration
    ``clients.register_client`` bound to the user; for editing, a callable that calls
    ``clients.update_client(client_id, details, expected_version=version)`` (see
    :meth:`for_editing`). On success the dialog emits ``saved`` with the
    ``ClientSummary`` the use case returned, keeps it in ``summary`` and closes accepted.

    Signals:
        saved(ClientSummary): the client as registered or updated.
    """

    saved = Signal(object)

    def __init__(
        self,
        save: Callable[[ClientDetails], ClientSummary],
        existing: tuple[ClientDetails, int] | None = None,
        *,
        sites: Sequence[str] = (),
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        details = existing[0] if existing is not None else None
        if details is None:
            title, save_text = "Register a client", "&Register client"
        else:
            title = f"Edit details of {details.family_name.upper()}, {details.given_name}"
            save_text = "&Save changes"
        super().__init__(title, save_text, parent)
        self._save = save
        self._today = today
        self.version = existing[1] if existing is not None else None
        self.summary: ClientSummary | None = None
        now = today()

        intro = hint(
            "Fields marked (required) must be filled in. Only what a partner agency "
            "needs to identify the client is ever shared.",
            "About this form",
        )

        # Identity
        self.local_ref = QLineEdit(details.local_ref if details else "")
        self.local_ref.setPlaceholderText("e.g. MASIP-0042")
        self.given_name = QLineEdit(details.given_name if details else "")
        self.family_name = QLineEdit(details.family_name if details else "")
        self.date_of_birth = date_edit(
            details.date_of_birth if details else None, maximum=now, name="Date of birth"
        )
        self.nhs_number = QLineEdit(format_nhs_number(details.nhs_number) if details else "")
        self.nhs_number.setPlaceholderText("e.g. 943 476 5919")
        self.nhs_feedback = QLabel()
        self.nhs_feedback.setWordWrap(True)
        self.is_demo = QCheckBox("&Demo record (test data; allows 999 test NHS numbers)")
        self.is_demo.setChecked(details.is_demo if details else False)
        self.is_demo.setAccessibleName("Demo record")
        self.address = multi_line(details.address if details else "", name="Address", lines=3)

        identity = QGroupBox("Identity")
        identity.setAccessibleName("Identity")
        form = _Form(self.errors)
        form.add("local_ref", "&Case reference", self.local_ref, required=True)
        form.add("given_name", "&Given name", self.given_name, required=True)
        form.add("family_name", "&Family name", self.family_name, required=True)
        form.add("date_of_birth", "Date of &birth", self.date_of_birth, required=True)
        form.add("nhs_number", "&NHS number", self.nhs_number, note=self.nhs_feedback)
        form.layout.addRow("", self.is_demo)
        form.add("address", "&Address", self.address)
        _fill(identity, form, stretch=True)

        # Programme
        self.police_ref = QLineEdit(details.police_ref if details else "")
        self.site = QComboBox()
        self.site.setEditable(True)
        self.site.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        known = sorted(
            {s.strip() for s in sites if s.strip()} | ({details.site} if details else set())
        )
        self.site.addItems(known)
        self.site.setCurrentIndex(-1)
        self.site.setEditText(details.site if details else (known[0] if len(known) == 1 else ""))
        self.referral_source = QComboBox()
        self.referral_source.setEditable(True)
        self.referral_source.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.referral_source.addItems(REFERRAL_SOURCES)
        self.referral_source.setCurrentIndex(-1)
        self.referral_source.setEditText(details.referral_source if details else "")
        self.referral_date = date_edit(
            details.referral_date if details else now, maximum=now, name="Referral date"
        )
        self.status = enum_combo(
            STATUS_WORDS, details.status if details else ClientStatus.REFERRED, name="Status"
        )
        programme = QGroupBox("Programme")
        programme.setAccessibleName("Programme")
        form = _Form(self.errors)
        form.add("police_ref", "&Police or partner reference", self.police_ref)
        form.add("site", "Programme s&ite", self.site, required=True)
        form.add("referral_source", "Referral s&ource", self.referral_source)
        form.add("referral_date", "Referral da&te", self.referral_date, required=True)
        form.add("status", "Stat&us", self.status)
        _fill(programme, form, stretch=True)

        # Sharing
        self.consent_to_share = enum_combo(
            CONSENT_WORDS,
            details.consent_to_share if details else ConsentToShare.NOT_ASKED,
            name="Consent to share",
        )
        self.sharing_notes = multi_line(
            details.sharing_notes if details else "",
            name="Sharing and gateway notes. Private: never shared",
            lines=5,
        )
        self.sharing_notes.setPlaceholderText(
            "e.g. what the client was told about sharing, and the gateway relied on"
        )
        sharing = QGroupBox("Information sharing")
        sharing.setAccessibleName("Information sharing")
        form = _Form(self.errors)
        form.add("consent_to_share", "Cons&ent to share", self.consent_to_share)
        form.add(
            "sharing_notes",
            "Sharing and gate&way notes",
            self.sharing_notes,
            note=hint("Private: never shared.", "Private: never shared"),
        )
        _fill(sharing, form, stretch=False)

        right = QVBoxLayout()
        right.addWidget(programme)
        right.addWidget(sharing, stretch=1)
        columns = QHBoxLayout()
        columns.addWidget(identity, stretch=1)
        columns.addLayout(right, stretch=1)
        layout = self.main_layout()
        layout.addWidget(intro)
        layout.addLayout(columns, stretch=1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self.nhs_number.textChanged.connect(self._on_nhs_number_changed)
        self.is_demo.toggled.connect(self._on_nhs_number_changed)
        self._on_nhs_number_changed()
        order: list[QWidget] = [
            self.local_ref,
            self.given_name,
            self.family_name,
            self.date_of_birth,
            self.nhs_number,
            self.is_demo,
            self.address,
            self.police_ref,
            self.site,
            self.referral_source,
            self.referral_date,
            self.status,
            self.consent_to_share,
            self.sharing_notes,
            self.save_button,
        ]
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)
        self.local_ref.setFocus()
        self.fit(960)

    @classmethod
    def for_editing(
        cls,
        update_client: UpdateClient,
        client_id: int,
        existing: tuple[ClientDetails, int],
        *,
        sites: Sequence[str] = (),
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> ClientDialog:
        """The dialog editing ``existing`` (details and the version they were read at)."""
        version = existing[1]

        def save(details: ClientDetails) -> ClientSummary:
            return update_client(client_id, details, expected_version=version)

        return cls(save, existing, sites=sites, today=today, parent=parent)

    def details(self) -> ClientDetails:
        """The details as typed (the use case trims and checks them)."""
        return ClientDetails(
            local_ref=self.local_ref.text(),
            given_name=self.given_name.text(),
            family_name=self.family_name.text(),
            date_of_birth=to_date(self.date_of_birth.date()),
            site=self.site.currentText(),
            referral_date=to_date(self.referral_date.date()),
            nhs_number=self.nhs_number.text(),
            police_ref=self.police_ref.text(),
            address=self.address.toPlainText(),
            referral_source=self.referral_source.currentText(),
            status=ClientStatus(self.status.currentData()),
            consent_to_share=ConsentToShare(self.consent_to_share.currentData()),
            sharing_notes=self.sharing_notes.toPlainText(),
            is_demo=self.is_demo.isChecked(),
        )

    def save(self) -> None:
        edit = self.date_of_birth
        if isinstance(edit, BlankableDateEdit) and edit.is_blank():
            # Say everything else that is wrong too, by the service's own rules, with a
            # date of birth that raises no problem of its own standing in for the blank.
            stand_in = replace(self.details(), date_of_birth=EARLIEST_BIRTH)
            others = [
                p
                for p in detail_problems(stand_in, today=self._today())
                if p.where not in ("date_of_birth", "referral_date")
            ]
            raise ValidationError(
                [Problem("date_of_birth", "The date of birth is required."), *others]
            )
        summary = self._save(self.details())
        self.summary = summary
        self.saved.emit(summary)
        self.accept()

    def show_problems(self, problems: Sequence[Problem]) -> None:
        # The live check under the NHS number already says what is wrong with the number
        # itself; say it once. Other problems with it (already in use) still show.
        live = self.nhs_feedback.text()
        super().show_problems(
            [p for p in problems if not (p.where == "nhs_number" and p.message == live)]
        )

    def _on_nhs_number_changed(self) -> None:
        valid, text = nhs_number_feedback(self.nhs_number.text(), is_demo=self.is_demo.isChecked())
        self.nhs_feedback.setText(text)
        self.nhs_feedback.setAccessibleName(f"NHS number check: {text}")
        if valid is None:
            self.nhs_feedback.setStyleSheet(HINT_STYLE)
        else:
            self.nhs_feedback.setStyleSheet(VALID_STYLE if valid else ERROR_STYLE)


# -- typology ------------------------------------------------------------------------------------


class TypologyDialog(_SavingDialog):
    """Record the clinician's current judgement of typology; earlier ones are kept.

    Signals:
        saved(): the typology was recorded.
    """

    saved = Signal()

    def __init__(
        self,
        client_id: int,
        set_typology: SetTypology,
        *,
        current: Typology | None = None,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Set typology", "&Save typology", parent)
        self.client_id = client_id
        self._set_typology = set_typology
        self.typology = enum_combo(
            TYPOLOGY_WORDS, current or Typology.NOT_YET_DETERMINED, name="Typology"
        )
        self.rationale = multi_line("", name="Rationale", lines=6)
        self.assessed_on = date_edit(today(), maximum=today(), name="Date of this judgement")
        form = _Form(self.errors)
        form.add("typology", "&Typology", self.typology)
        self._rationale_label = form.add("rationale", "&Rationale", self.rationale)
        form.add("assessed_on", "&Date", self.assessed_on, required=True)
        layout = self.main_layout()
        layout.addWidget(
            hint(
                "Typology (Mullen et al.) is your clinical judgement. It can change; "
                "earlier judgements stay in the record.",
                "About typology",
            )
        )
        layout.addLayout(form.layout)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.typology.currentIndexChanged.connect(self._on_typology_changed)
        self._on_typology_changed()
        self.typology.setFocus()
        self.fit(560)

    def chosen(self) -> Typology:
        return Typology(self.typology.currentData())

    def _on_typology_changed(self) -> None:
        required = self.chosen() is not Typology.NOT_YET_DETERMINED
        text = "&Rationale (required)" if required else "&Rationale (optional)"
        self._rationale_label.setText(text)
        self._rationale_label.setAccessibleName(text.replace("&", ""))
        self.rationale.setAccessibleName(text.replace("&", ""))

    def save(self) -> None:
        self._set_typology(
            self.client_id,
            self.chosen(),
            rationale=self.rationale.toPlainText(),
            assessed_on=to_date(self.assessed_on.date()),
        )
        self.saved.emit()
        self.accept()


# -- risk assessment -----------------------------------------------------------------------------


class JudgementColumn(IntEnum):
    """The judgement table's columns."""

    NAME = 0
    LEVEL = 1


JUDGEMENT_HEADERS = {JudgementColumn.NAME: "Judgement", JudgementColumn.LEVEL: "Level"}


class JudgementsModel(QAbstractTableModel):
    """Editable rows of judgement name and level (one of ``JUDGEMENT_LEVELS``).

    The rows are entered in the order the tool reports them, so there is no sorting proxy.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[list[str]] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(JudgementColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(JudgementColumn)
        ):
            return JUDGEMENT_HEADERS[JudgementColumn(section)]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        name, level = self._rows[index.row()]
        column = JudgementColumn(index.column())
        if role == Qt.ItemDataRole.EditRole:
            return name if column is JudgementColumn.NAME else level
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column is JudgementColumn.NAME:
                return name
            return LEVEL_WORDS.get(level, level)
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row = self._rows[index.row()]
        if index.column() == JudgementColumn.NAME:
            row[0] = str(value)
        elif value in JUDGEMENT_LEVELS:
            row[1] = str(value)
        else:
            return False
        self.dataChanged.emit(index, index)
        return True

    def set_judgements(self, rows: Sequence[tuple[str, str]]) -> None:
        self.beginResetModel()
        self._rows = [[name, level] for name, level in rows]
        self.endResetModel()

    def judgements(self) -> list[tuple[str, str]]:
        return [(name, level) for name, level in self._rows]

    def add_row(self, name: str = "", level: str = NOT_RATED) -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append([name, level])
        self.endInsertRows()
        return row

    def remove_row(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()


class JudgementDelegate(QStyledItemDelegate):
    """A named text box for a judgement's name, a list of levels for its level."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex
    ) -> QWidget:
        if index.column() == JudgementColumn.LEVEL:
            combo = QComboBox(parent)
            for level in JUDGEMENT_LEVELS:
                combo.addItem(LEVEL_WORDS[level], level)
            combo.setAccessibleName("Level")
            return combo
        edit = QLineEdit(parent)
        edit.setAccessibleName("Judgement name")
        return edit

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findData(value), 0))
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value or ""))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class RiskAssessmentDialog(_SavingDialog):
    """Record a structured professional judgement's results as the assessor gives them.

    The app stores the tool, its version, the date, each summary judgement and the
    rationale; it never computes a level and never shows a tool's items.

    Signals:
        saved(object): what the use case returned (the new assessment's id).
    """

    saved = Signal(object)

    def __init__(
        self,
        client_id: int,
        record_risk_assessment: RecordRiskAssessment,
        *,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Record a risk assessment", "&Save assessment", parent)
        self.client_id = client_id
        self._record = record_risk_assessment
        self.tool = enum_combo(RISK_TOOL_WORDS, RiskTool.SRP, name="Tool")
        self.tool_name = QLineEdit()
        self.tool_name.setAccessibleName("Tool name (required for another tool)")
        self.tool_version = QLineEdit()
        self.tool_version.setPlaceholderText("e.g. 2nd edition")
        self.assessed_on = date_edit(today(), maximum=today(), name="Assessment date")

        self.model = JudgementsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(JudgementDelegate(self.table))
        self.table.setAccessibleName("Judgements: name and level")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(JudgementColumn.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(JudgementColumn.LEVEL, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(JudgementColumn.LEVEL, 140)
        self.table.setMinimumHeight(180)
        self.add_button = QPushButton("&Add judgement")
        self.add_button.setAccessibleName("Add judgement")
        self.remove_button = QPushButton("Re&move judgement")
        self.remove_button.setAccessibleName("Remove the selected judgement")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        table_box = QWidget()
        table_column = QVBoxLayout(table_box)
        table_column.setContentsMargins(0, 0, 0, 0)
        table_column.addWidget(self.table)
        table_column.addLayout(buttons)
        table_column.addWidget(
            hint(
                "Type each judgement as the tool reports it (F2 or typing edits a cell). "
                "Levels are your judgement; nothing is calculated.",
                "How to enter judgements",
            )
        )

        self.rationale = multi_line("", name="Rationale (required). Private: never shared", lines=5)
        self.shareable_summary = multi_line(
            "", name="Shareable summary. May be shared with partner agencies", lines=3
        )

        form = _Form(self.errors)
        form.add("tool", "&Tool", self.tool)
        self._tool_name_label = form.add("tool_name", "Tool &name", self.tool_name, required=True)
        form.add("tool_version", "&Version", self.tool_version, required=True)
        form.add("assessed_on", "&Date of assessment", self.assessed_on, required=True)
        form.add("judgements", "&Judgements", table_box, required=True)
        form.add(
            "rationale",
            "&Rationale",
            self.rationale,
            required=True,
            note=hint("Private: never shared.", "Private: never shared"),
        )
        form.add(
            "shareable_summary",
            "S&hareable summary",
            self.shareable_summary,
            note=hint(
                "May be shared with partner agencies: write it for them.",
                "May be shared with partner agencies",
            ),
        )
        layout = self.main_layout()
        layout.addLayout(form.layout)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self._prefilled: list[tuple[str, str]] = []
        self.tool.currentIndexChanged.connect(self._on_tool_changed)
        self.add_button.clicked.connect(self._on_add)
        self.remove_button.clicked.connect(self._on_remove)
        self._on_tool_changed()
        self.tool.setFocus()
        self.fit(720)

    def chosen_tool(self) -> RiskTool:
        return RiskTool(self.tool.currentData())

    def _on_tool_changed(self) -> None:
        tool = self.chosen_tool()
        other = tool is RiskTool.OTHER
        self.tool_name.setVisible(other)
        self._tool_name_label.setVisible(other)
        if self.isVisible():
            self.fit()
        # Prefill names for the tool unless the user has already changed the table.
        if self.model.judgements() in (self._prefilled, []):
            self._prefilled = [(name, NOT_RATED) for name in JUDGEMENT_NAMES[tool]]
            self.model.set_judgements(self._prefilled)

    def _on_add(self) -> None:
        row = self.model.add_row()
        index = self.model.index(row, JudgementColumn.NAME)
        self.table.setCurrentIndex(index)
        self.table.setFocus()
        self.table.edit(index)

    def _on_remove(self) -> None:
        current = self.table.currentIndex()
        if current.isValid():
            self.model.remove_row(current.row())

    def judgements(self) -> dict[str, str]:
        """Name -> level, after checking every row has a name and no name is repeated."""
        result: dict[str, str] = {}
        for name, level in self.model.judgements():
            clean = name.strip()
            if not clean:
                raise ValidationError(
                    "Give every judgement a name, or remove the empty row.", where="judgements"
                )
            if clean in result:
                raise ValidationError(
                    f"'{clean}' is entered twice; keep one of them.", where="judgements"
                )
            result[clean] = level
        return result

    def show_problems(self, problems: Sequence[Problem]) -> None:
        # The use case names a judgement's problems "judgements.<name>"; all go under the table.
        placed = [
            Problem("judgements", p.message) if p.where.startswith("judgements.") else p
            for p in problems
        ]
        super().show_problems(placed)

    def save(self) -> None:
        tool = self.chosen_tool()
        result = self._record(
            self.client_id,
            tool=tool,
            tool_version=self.tool_version.text(),
            assessed_on=to_date(self.assessed_on.date()),
            judgements=self.judgements(),
            rationale=self.rationale.toPlainText(),
            shareable_summary=self.shareable_summary.toPlainText(),
            tool_name=self.tool_name.text() if tool is RiskTool.OTHER else "",
        )
        self.saved.emit(result)
        self.accept()


# -- team ----------------------------------------------------------------------------------------


class AssignStaffDialog(_SavingDialog):
    """Add a member of the clinical staff to the client's team.

    Signals:
        saved(): the member of staff was assigned.
    """

    saved = Signal()

    def __init__(
        self,
        client_id: int,
        staff: Sequence[StaffRow],
        assign_staff: AssignStaff,
        *,
        already_assigned: Collection[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Assign staff", "&Assign", parent)
        self.client_id = client_id
        self._assign = assign_staff
        self.person = QComboBox()
        self.person.setAccessibleName("Member of staff")
        for row in staff:
            if row.disabled or row.display_name in already_assigned:
                continue
            role = row.job_title or row.role.value.capitalize()
            self.person.addItem(f"{row.display_name} ({role})", row.id)
        self.is_lead = QCheckBox("Make them the &lead clinician")
        self.is_lead.setAccessibleName("Make them the lead clinician")
        form = _Form(self.errors)
        layout = self.main_layout()
        if self.person.count():
            form.add("staff_id", "&Member of staff", self.person, required=True)
            form.layout.addRow("", self.is_lead)
            layout.addLayout(form.layout)
        else:
            # Nothing to choose: say so, and offer no button that cannot work.
            self.person.hide()
            self.is_lead.hide()
            self.save_button.hide()
            close = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
            close.setText("Close")
            close.setAccessibleName("Close")
            layout.addWidget(
                hint(
                    "Everyone on the clinical staff is already on this client's team.",
                    "Nobody left to assign",
                )
            )
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.fit(460)

    def save(self) -> None:
        staff_id = self.person.currentData()
        if staff_id is None:
            raise ValidationError("Choose a member of staff.", where="staff_id")
        self._assign(self.client_id, int(staff_id), is_lead=self.is_lead.isChecked())
        self.saved.emit()
        self.accept()


# -- emergency access ----------------------------------------------------------------------------


class EmergencyAccessDialog(_SavingDialog):
    """Break-glass access to a client who is not assigned to the user.

    It explains what happens, asks for the reason and calls ``grant_emergency_access``.
    Once granted it shows until when, and ``Continue`` closes it accepted.

    Signals:
        granted(datetime): when the emergency access ends.
    """

    granted = Signal(object)

    def __init__(
        self,
        client_id: int,
        grant_emergency_access: Callable[[int, str], datetime],
        *,
        client_label: str = "this client",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Emergency access", "&Open with emergency access", parent)
        self.client_id = client_id
        self._grant = grant_emergency_access
        self.expires_at: datetime | None = None
        explanation = QLabel(
            f"<b>{_escape(client_label)} is not assigned to you.</b><br><br>"
            "You can still open the record if you need to, for example to respond to a "
            "risk. Your access and the reason you give are recorded in the audit trail and "
            "may be reviewed. Access lasts a limited time, then ends by itself."
        )
        explanation.setWordWrap(True)
        explanation.setTextFormat(Qt.TextFormat.RichText)
        explanation.setAccessibleName(
            f"{client_label} is not assigned to you. Your access and reason are recorded, "
            "and access lasts a limited time."
        )
        self.reason = multi_line("", name="Reason for emergency access (required)", lines=4)
        self.reason.setPlaceholderText("e.g. urgent risk call from the police out of hours")
        form = _Form(self.errors)
        form.add("reason", "&Reason", self.reason, required=True)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setAccessibleName("Emergency access granted")
        self.outcome.hide()
        layout = self.main_layout()
        layout.addWidget(explanation)
        layout.addLayout(form.layout)
        layout.addWidget(self.outcome)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.reason.setFocus()
        self.fit(520)

    def save(self) -> None:
        if self.expires_at is not None:
            self.accept()  # already granted: this is Continue
            return
        reason = self.reason.toPlainText()
        if not reason.strip():
            raise ValidationError("Give your reason for opening this record.", where="reason")
        expires = self._grant(self.client_id, reason)
        self.expires_at = expires
        local = expires.astimezone() if expires.tzinfo is not None else expires
        text = (
            f"Emergency access granted until {local:%H:%M} on {local:%A %d %B %Y}. "
            "Your reason has been recorded."
        )
        self.outcome.setText(text)
        self.outcome.setAccessibleDescription(text)
        self.outcome.show()
        self.reason.setReadOnly(True)
        self.save_button.setText("&Continue to the record")
        self.save_button.setAccessibleName("Continue to the record")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).hide()
        self.granted.emit(expires)
        self.save_button.setFocus()
        self.fit()

    def reject(self) -> None:
        if self.expires_at is not None:
            self.accept()  # access is granted either way; say so to the caller
            return
        super().reject()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- for the main window: run a dialog to its end ----------------------------------------------


def register_new_client(
    parent: QWidget | None,
    register_client: Callable[[ClientDetails], ClientSummary],
    *,
    sites: Sequence[str] = (),
    restore: dict[str, Any] | None = None,
) -> ClientSummary | None:
    """Run the registration dialog (blocking); the new client, or None if cancelled.

    ``restore`` puts back what the form held when the screen locked.
    """
    dialog = ClientDialog(register_client, sites=sites, parent=parent)
    remember_form(dialog, client_id=None, tab="", form="register")
    if restore:
        restore_input_state(dialog, restore)
    try:
        dialog.exec()
        return dialog.summary
    finally:
        dialog.deleteLater()


def ask_emergency_access(
    parent: QWidget | None,
    client_id: int,
    grant_emergency_access: Callable[[int, str], datetime],
    *,
    client_label: str = "This client",
) -> bool:
    """Run the emergency access dialog (blocking); True once access has been granted."""
    dialog = EmergencyAccessDialog(
        client_id, grant_emergency_access, client_label=client_label, parent=parent
    )
    try:
        dialog.exec()
        return dialog.expires_at is not None
    finally:
        dialog.deleteLater()
