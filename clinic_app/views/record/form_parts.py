"""The pieces the client record's forms are built from: words, date and text fields, and
the dialog that saves through a service and shows its problems field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QFocusEvent, QIcon, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, EditConflict, Problem, ValidationError
from clinic_app.models.enums import RiskTool, Typology
from clinic_app.services.clients import (
    JUDGEMENT_LEVELS,
    ClientDetails,
    ClientSummary,
)
from clinic_app.services.validation import nhs_number_problem
from clinic_app.views.common import feedback
from clinic_app.views.common.conflict import offer_conflict
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import problems_label, to_qdate

R = TypeVar("R")

AnyIndex = QModelIndex | QPersistentModelIndex

# -- the clinic's words for stored values ------------------------------------------------------

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


def nhs_number_feedback(text: str, *, is_demo: bool) -> tuple[bool | None, str]:
    """What to say under the NHS number as it is typed: (valid or None if empty, words)."""
    if not text.strip():
        return None, NHS_NUMBER_HINT
    problem = nhs_number_problem(text, is_demo=is_demo)
    if problem is None:
        return True, VALID_NHS_NUMBER
    return False, problem


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
        self._seed = to_qdate(seed)
        self._seeded = False
        self.setCalendarPopup(True)  # creates the calendar connected to below
        self.setMinimumDate(to_qdate(EARLIEST_DATE).addDays(-1))
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
    edit.setMaximumDate(to_qdate(maximum))
    if value is not None:
        edit.setMinimumDate(to_qdate(EARLIEST_DATE))
        edit.setDate(to_qdate(value))
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


class FormRows:
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


def fill_group(group: QGroupBox, form: FormRows, *, stretch: bool) -> None:
    column = QVBoxLayout(group)
    column.addLayout(form.layout)
    if stretch:
        column.addStretch()


class SavingDialog(QDialog):
    """A dialog with a general problem line, Save and Cancel, and error handling on Save."""

    def __init__(self, title: str, save_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.errors = FieldErrors()
        self.problem = problems_label()
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
        if not self.save_button.isEnabled():
            return  # the last save is still on its way
        try:
            self.save()
        except ValidationError as error:
            self.show_problems(error.problems)
        except ClinicError as error:
            self.show_problems(())
            feedback.show_error(self, error, title=self.windowTitle())

    def save(self) -> None:
        """Check what can be checked here (raise ``ClinicError`` to keep the dialog open),
        then hand the use case to :meth:`run_save`."""
        raise NotImplementedError

    def run_save(
        self,
        work: Callable[[], R],
        done: Callable[[R], None],
        *,
        again: Callable[[EditConflict, Mapping[str, str]], Callable[[], R]] | None = None,
        mine_changed: Collection[str] | None = None,
    ) -> None:
        """Run the use case on the runner, Save disabled meanwhile; ``done`` gets its result
        (and usually accepts). If it is refused the problems are shown beside the fields
        (or in a message box) and everything typed stays as it was.

        ``work`` holds every value it needs, read from the fields already. When someone
        else saved the record meanwhile, the conflict dialog shows both versions; "Save
        mine over it" runs ``again(conflict, edits)``, "Keep the saved one" closes the form;
        ``mine_changed`` names the parts the user changed (the only ones shown)."""
        self.save_button.setEnabled(False)

        def finished(result: R) -> None:
            self.save_button.setEnabled(True)
            done(result)

        def refused(error: ClinicError) -> None:
            self.save_button.setEnabled(True)
            if isinstance(error, ValidationError):
                self.show_problems(error.problems)
            elif isinstance(error, EditConflict):
                self.show_problems(())
                offer_conflict(
                    self,
                    error if mine_changed is None else error.only(mine_changed),
                    save_mine=None
                    if again is None
                    else lambda conflict, edits: self.run_save(
                        again(conflict, edits), done, again=again, mine_changed=mine_changed
                    ),
                    keep_saved=self.reject,
                )
            else:
                self.show_problems(())
                feedback.show_error(self, error, title=self.windowTitle())

        runner().run(work, finished, parent=self, failed=refused)
