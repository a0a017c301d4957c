"""The Measures tab of a client's record, and the dialogs for giving and scheduling measures.

The tab shows, from the top: which measures are due (from the client's schedules), any
critical item answered on the latest administration of a measure (with a way to record a
risk event), and the results of one measure at a time: a table of administrations (date,
how it was completed, total, band, change from the one before with its reliable-change
verdict), the trend chart, and the item answers behind the selected score with the sum
written out and the reliable-change parameters used, so every number can be checked by
hand. Scores are never typed in: they are computed from the answers by the services.

Measures are given by clinician entry (:class:`AdministerDialog`, a form generated from the
definition) or by client self-completion (:mod:`clinic_app.views.measures.self_completion`).
:class:`SchedulesDialog` sets when a measure falls due and :class:`ImportDefinitionDialog`
lets an administrator add a clinic's own licensed measure.

Dialogs are run through :func:`exec_dialog` and files chosen through :func:`choose_file`,
so tests can drive them without a modal loop.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStyle,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.measures.definitions import MAX_DEFINITION_BYTES, MeasureDefinition
from clinic_app.measures.scoring import CriticalAlert, Score
from clinic_app.models.enums import Attendance, MeasureMode
from clinic_app.services.measures import (
    AdministrationResult,
    AdministrationRow,
    ChangeBetween,
    DefinitionRow,
    DueMeasure,
    MeasureResults,
    ScheduleRow,
)
from clinic_app.services.notes import NoteRow
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors
from clinic_app.views.common.table import ListTableModel
from clinic_app.views.measures.chart import TrendChart, TrendPoint
from clinic_app.views.measures.self_completion import SelfCompletionWindow

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

NO_RESULTS = (
    "No measures recorded yet. Use Give a measure to enter the client's answers, or Client "
    "self-completion to let the client answer on this device."
)
NO_MEASURES_AVAILABLE = "No measures are available to give: an administrator can add them."
NO_SCHEDULES = "No measures are scheduled for this client."
MODE_WORDS: dict[MeasureMode, str] = {
    MeasureMode.CLINICIAN_ENTRY: "Clinician entry",
    MeasureMode.SELF_COMPLETION: "Self-completion",
}
ATTENDANCE_WORDS: dict[Attendance, str] = {
    Attendance.ATTENDED: "attended",
    Attendance.LATE: "attended late",
    Attendance.DID_NOT_ATTEND: "did not attend",
    Attendance.CANCELLED_BY_CLIENT: "cancelled by the client",
    Attendance.CANCELLED_BY_SERVICE: "cancelled by the service",
}

# The alert frame: dark red border and text on a pale background (9:1); the warning icon
# and the words "Critical item" say it as well, so colour is never the only signal.
ALERT_STYLE = (
    "QFrame#criticalAlert { background: #fff1f0; border: 3px solid #8b0000; }"
    " QFrame#criticalAlert QLabel { color: #5c0000; background: transparent; }"
)
DUE_STYLE = (
    "QFrame#dueReminders { background: #fff8e1; border: 2px solid #7a5b00; }"
    " QFrame#dueReminders QLabel { color: #3d2e00; background: transparent; }"
)


def exec_dialog(dialog: QDialog) -> int:
    """Run a dialog modally. Tests replace this to drive dialogs without blocking."""
    return dialog.exec()


def choose_file(parent: QWidget | None) -> str | None:
    """Ask for a measure definition file to import; None if the user cancelled."""
    path, _filter = QFileDialog.getOpenFileName(
        parent,
        "Choose a measure definition file",
        "",
        "Measure definitions (*.json);;All files (*)",
    )
    return path or None


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _h(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _number(value)


def _mnemonic_safe(text: str) -> str:
    return text.replace("&", "&&")


# -- what the views need -------------------------------------------------------------------------


class RecordAdministration(Protocol):
    """``measures.record_administration`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        measure_id: str,
        measure_version: str,
        administered_on: date,
        answers: dict[int, int | None],
        mode: MeasureMode = MeasureMode.CLINICIAN_ENTRY,
        session_note_id: int | None = None,
        require_score: bool = False,
    ) -> AdministrationRow: ...


class SetSchedule(Protocol):
    """``measures.set_schedule`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        measure_id: str,
        every_n_sessions: int | None = None,
        at_plan_review: bool = False,
    ) -> ScheduleRow: ...


@dataclass(frozen=True)
class MeasuresActions:
    """The use cases the Measures tab and its dialogs call, bound to the signed-in user.

    ``record_risk_event`` opens the Risk tab's dialog for recording a risk event;
    ``verify_staff`` checks the signed-in user's password (True when right) to end client
    self-completion; ``describe_staff`` names a member of staff from their id (who entered
    an administration), or is None when names are not available.
    """

    results_for_client: Callable[[int], Sequence[MeasureResults]]
    measures_due: Callable[[int], Sequence[DueMeasure]]
    available_measures: Callable[[], Sequence[MeasureDefinition]]
    record_administration: RecordAdministration
    sessions_for_client: Callable[[int], Sequence[NoteRow]]
    schedules_for_client: Callable[[int], Sequence[ScheduleRow]]
    set_schedule: SetSchedule
    stop_schedule: Callable[[int], ScheduleRow]
    verify_staff: Callable[[str], bool]
    record_risk_event: Callable[[], object]
    describe_staff: Callable[[int], str] | None = None
    # The client's administrations with no risk event recorded since (critical alerts on
    # others have had their risk review). Without it every latest alert shows.
    awaiting_risk_review: Callable[[int], frozenset[int]] | None = None


def _licence_text(definition: MeasureDefinition) -> str:
    licence = definition.licence
    parts = [p for p in (licence.copyright_line, licence.attribution) if p]
    if licence.licence:
        parts.append(f"Licence: {licence.licence}.")
    return " ".join(parts)


def _licence_label(definition: MeasureDefinition) -> QLabel:
    text = _licence_text(definition)
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName("Copyright and licence")
    label.setAccessibleDescription(text)
    label.setVisible(bool(text))
    return label


def _general_error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setAccessibleName("Problems with this form")
    label.hide()
    return label


def _show_unplaced(label: QLabel, problems: Sequence[Problem]) -> None:
    label.setText("\n".join(p.message for p in problems))
    label.setAccessibleDescription(label.text())
    label.setVisible(bool(problems))


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _warning_icon(widget: QWidget, size: int) -> QLabel:
    icon = QLabel()
    style = widget.style() or QApplication.style()
    icon.setPixmap(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size))
    icon.setAccessibleName("Warning")
    return icon


# -- choosing a measure --------------------------------------------------------------------------


class ChooseMeasureDialog(QDialog):
    """Choose which measure to give, either by clinician entry or by client self-completion.

    Measures that are due are listed first and marked "due". ``chosen`` holds the chosen
    definition once accepted.

    Signals: none.
    """

    def __init__(
        self,
        measures: Sequence[MeasureDefinition],
        *,
        due: Sequence[str] = (),
        self_completion: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.chosen: MeasureDefinition | None = None
        due_ids = set(due)
        self.measures = sorted(measures, key=lambda d: (d.id not in due_ids, d.short_title.lower()))
        title = "Client self-completion" if self_completion else "Give a measure"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Choose the measure the client will answer on this device. It opens full screen "
            "and shows only the questions; to end it you will need your password."
            if self_completion
            else "Choose the measure to give. You will enter the client's answers in a form."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("What happens next")
        layout.addWidget(intro)
        label = QLabel("&Measure")
        self.list = QListWidget()
        self.list.setAccessibleName("Measures that can be given")
        label.setBuddy(self.list)
        for definition in self.measures:
            marker = "  (due)" if definition.id in due_ids else ""
            text = (
                f"{definition.short_title}: {definition.title}{marker}\n"
                f"    {definition.item_count} questions, version {definition.version}"
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text.replace("\n", ", "))
            self.list.addItem(item)
        if self.measures:
            self.list.setCurrentRow(0)
        self.list.itemActivated.connect(self._on_activated)
        layout.addWidget(label)
        layout.addWidget(self.list, stretch=1)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(
            "&Start" if self_completion else "&Enter the answers\u2026",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.ok_button.setAccessibleName(
            "Start self-completion" if self_completion else "Enter the answers"
        )
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._on_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.list.setFocus()

    def choose(self, measure_id: str) -> None:
        """Select the measure with this id (for callers that know which is wanted)."""
        for row, definition in enumerate(self.measures):
            if definition.id == measure_id:
                self.list.setCurrentRow(row)

    def _on_activated(self, _item: QListWidgetItem) -> None:
        self._on_accept()

    def _on_accept(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.measures):
            return
        self.chosen = self.measures[row]
        self.accept()


# -- clinician entry -----------------------------------------------------------------------------


class ItemAnswer(QFrame):
    """One question of a measure with its answers as radio buttons (arrow keys move within)."""

    def __init__(self, number: int, definition: MeasureDefinition, parent: QWidget | None = None):
        super().__init__(parent)
        item = definition.item(number)
        self.item = item
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"Item {number}: {item.text}")
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 6, 8, 6)
        self.text = QLabel(f"{number}. {item.text}")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.text.font())
        font.setBold(True)
        self.text.setFont(font)
        self.text.setAccessibleName(f"Item {number}")
        self.text.setAccessibleDescription(item.text)
        column.addWidget(self.text)
        row_widget = QWidget()
        long_labels = sum(len(o.label) for o in item.options) > 90
        row: QVBoxLayout | QHBoxLayout = (
            QVBoxLayout(row_widget) if long_labels else QHBoxLayout(row_widget)
        )
        row.setContentsMargins(12, 0, 0, 0)
        self.group = QButtonGroup(self)
        self.buttons: list[QRadioButton] = []
        for position, option in enumerate(item.options):
            button = QRadioButton(_mnemonic_safe(option.label))
            button.setAccessibleName(f"{option.label} ({option.value}), item {number}: {item.text}")
            button.setToolTip(f"Value {option.value}")
            self.group.addButton(button, position)
            self.buttons.append(button)
            row.addWidget(button)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setAccessibleName(f"Clear the answer to item {number}")
        self.clear_button.setToolTip("Leave this item unanswered")
        self.clear_button.clicked.connect(self._on_clear)
        self.clear_button.hide()
        row.addWidget(self.clear_button)
        if isinstance(row, QHBoxLayout):
            row.addStretch()
        column.addWidget(row_widget)
        if self.buttons:
            self.setFocusProxy(self.buttons[0])
        self.group.idToggled.connect(self._on_toggled)

    def value(self) -> int | None:
        position = self.group.checkedId()
        return None if position < 0 else self.item.options[position].value

    def set_value(self, value: int | None) -> None:
        if value is None:
            self._on_clear()
            return
        for position, option in enumerate(self.item.options):
            if option.value == value:
                self.buttons[position].setChecked(True)

    def _on_toggled(self, _position: int, _checked: bool) -> None:
        self.clear_button.setVisible(self.group.checkedId() >= 0)

    def _on_clear(self) -> None:
        # An exclusive group keeps one button checked; let go of it to clear.
        self.group.setExclusive(False)
        for button in self.buttons:
            button.setChecked(False)
        self.group.setExclusive(True)
        self.clear_button.hide()


class AdministerDialog(QDialog):
    """Enter a client's answers to one measure, in a form generated from its definition.

    Shows the instructions, every item with its answers, the date given, an optional link
    to one of the client's sessions and the licence line. Saving calls
    ``record_administration``; problems are shown under the item (or field) they are about
    and every answer chosen stays. Whether unanswered items are allowed is the definition's
    prorating rule, applied by the service. ``saved_row`` holds the stored administration.

    Signals:
        saved(object): the stored :class:`AdministrationRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        client_id: int,
        definition: MeasureDefinition,
        record_administration: RecordAdministration,
        *,
        sessions: Sequence[NoteRow] = (),
        today: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self.definition = definition
        self._record = record_administration
        self.saved_row: AdministrationRow | None = None
        self.errors = FieldErrors()
        title = f"Give the {definition.short_title}"
        self.setWindowTitle(title)
        self.setAccessibleName(f"{title}: clinician entry")
        self.setMinimumSize(760, 560)
        layout = QVBoxLayout(self)

        heading = QLabel(definition.title)
        heading.setWordWrap(True)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(heading.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        heading.setFont(font)
        heading.setAccessibleName("Measure")
        layout.addWidget(heading)
        instructions = QLabel(definition.instructions)
        instructions.setWordWrap(True)
        instructions.setTextFormat(Qt.TextFormat.PlainText)
        instructions.setAccessibleName("Instructions")
        instructions.setAccessibleDescription(definition.instructions)
        layout.addWidget(instructions)

        form = QFormLayout()
        self.given_on = QDateEdit()
        self.given_on.setCalendarPopup(True)
        self.given_on.setDisplayFormat("dd/MM/yyyy")
        self.given_on.setAccessibleName("Date given")
        day = _qdate(today or date.today())
        self.given_on.setMaximumDate(day)  # a measure cannot have been given in the future
        self.given_on.setDate(day)
        given_label = QLabel("&Date given")
        given_label.setBuddy(self.given_on)
        form.addRow(given_label, self.errors.with_field("administered_on", self.given_on))
        self.session = QComboBox()
        self.session.setAccessibleName("Session it was given in")
        self.session.addItem("Not linked to a session", None)
        for note in sorted(
            (n for n in sessions if n.entered_in_error_at is None),
            key=lambda n: (n.content.session_date, n.id),
            reverse=True,
        ):
            attendance = ATTENDANCE_WORDS.get(note.content.attendance, "")
            self.session.addItem(
                f"Session on {long_date(note.content.session_date)} ({attendance})", note.id
            )
        session_label = QLabel("&Session (optional)")
        session_label.setBuddy(self.session)
        form.addRow(session_label, self.errors.with_field("session_note_id", self.session))
        layout.addLayout(form)

        self.items: dict[int, ItemAnswer] = {}
        self.item_errors: dict[int, QLabel] = {}
        items_box = QWidget()
        items_column = QVBoxLayout(items_box)
        items_column.setContentsMargins(0, 0, 0, 0)
        for item in definition.items:
            widget = ItemAnswer(item.number, definition)
            widget.group.idToggled.connect(self._on_answer_changed)
            widget.clear_button.clicked.connect(self._on_answer_cleared)
            self.items[item.number] = widget
            items_column.addWidget(widget)
            error = self.errors.label_for(f"answers.{item.number}", widget)
            self.item_errors[item.number] = error
            items_column.addWidget(error)
        items_column.addStretch()
        self.items_scroll = QScrollArea()
        self.items_scroll.setWidgetResizable(True)
        self.items_scroll.setWidget(items_box)
        self.items_scroll.setAccessibleName("Questions")
        layout.addWidget(self.items_scroll, stretch=1)

        self.answered = QLabel()
        self.answered.setAccessibleName("Items answered")
        layout.addWidget(self.answered)
        layout.addWidget(_licence_label(definition))
        self.general_errors = _general_error_label()
        layout.addWidget(self.general_errors)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setAccessibleName("Save the answers")
        self.save_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel without saving")
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._count_answered()
        self.given_on.setFocus()

    # -- reading the form ----------------------------------------------------------------------

    def answers(self) -> dict[int, int | None]:
        """Every item number with its chosen value, or None when left unanswered."""
        return {number: widget.value() for number, widget in self.items.items()}

    def set_answers(self, answers: dict[int, int | None]) -> None:
        for number, value in answers.items():
            self.items[number].set_value(value)
        self._count_answered()

    def chosen_session(self) -> int | None:
        value = self.session.currentData()
        return value if isinstance(value, int) else None

    def chosen_date(self) -> date:
        return _pydate(self.given_on.date())

    def _count_answered(self) -> None:
        answered = sum(1 for v in self.answers().values() if v is not None)
        text = f"{answered} of {self.definition.item_count} items answered."
        self.answered.setText(text)
        self.answered.setAccessibleDescription(text)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show each problem under its item (or at the foot) and scroll to the first.

        The first item with a problem is scrolled into view together with the message
        under it, so the clinician sees what is wrong without scrolling.
        """
        _show_unplaced(self.general_errors, self.errors.show(problems))
        for problem in problems:
            number = _item_of(problem.where) or 0
            widget = self.items.get(number)
            if widget is not None:
                self.scroll_to_item(number)
                break

    def scroll_to_item(self, number: int) -> None:
        """Scroll so item ``number`` and its error message (if shown) are both in view."""
        widget = self.items[number]
        error = self.item_errors[number]
        # The message was only just shown: let the questions be laid out again first, so
        # the positions scrolled to are where the item and its message now are.
        for _ in range(3):  # the questions, then the scroll area around them
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self.items_scroll.ensureWidgetVisible(widget, 0, 8)
        if error.isVisibleTo(self):
            self.items_scroll.ensureWidgetVisible(error, 0, 8)

    # -- slots ---------------------------------------------------------------------------------

    def _on_answer_changed(self, _position: int, _checked: bool) -> None:
        self._count_answered()

    def _on_answer_cleared(self) -> None:
        self._count_answered()

    def _on_save(self) -> None:
        try:
            row = self._record(
                self.client_id,
                measure_id=self.definition.id,
                measure_version=self.definition.version,
                administered_on=self.chosen_date(),
                answers=self.answers(),
                mode=MeasureMode.CLINICIAN_ENTRY,
                session_note_id=self.chosen_session(),
                # Unanswered items only as far as the measure's prorating rule allows.
                require_score=True,
            )
        except ValidationError as error:
            self.show_problems(error.problems)
            return
        except ClinicError as error:
            feedback.show_error(self, error, title="The answers were not saved")
            return
        self.errors.clear()
        _show_unplaced(self.general_errors, [])
        self.saved_row = row
        self.saved.emit(row)
        self.accept()


def _problem_words(problem: Problem) -> str:
    """A problem in a definition file: what is wrong, then where in the file it is."""
    if not problem.where:
        return problem.message
    return f"{problem.message} (in the file at {problem.where})"


def _item_of(where: str) -> int | None:
    """The item number of a problem at ``answers.N``, or None."""
    prefix, _, number = where.partition(".")
    return int(number) if prefix == "answers" and number.isdigit() else None


# -- results table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultLine:
    """One administration in the results table, with the change from the one before."""

    result: AdministrationResult
    change: ChangeBetween | None

    @property
    def id(self) -> int:
        return self.result.administration.id


class ResultColumn(IntEnum):
    """The columns of the results table, in order."""

    DATE = 0
    MODE = 1
    TOTAL = 2
    BAND = 3
    CHANGE = 4
    ALERTS = 5


RESULT_HEADERS: dict[ResultColumn, str] = {
    ResultColumn.DATE: "Date given",
    ResultColumn.MODE: "How given",
    ResultColumn.TOTAL: "Total",
    ResultColumn.BAND: "Band",
    ResultColumn.CHANGE: "Change",
    ResultColumn.ALERTS: "Critical items",
}
RESULT_TIPS: dict[ResultColumn, str] = {
    ResultColumn.MODE: "Entered by a clinician, or completed by the client on this device.",
    ResultColumn.TOTAL: "Computed from the answers; 'prorated' when items were left unanswered.",
    ResultColumn.CHANGE: "The change from the administration before, and whether it is reliable.",
    ResultColumn.ALERTS: "Critical items answered (for example about self-harm): review risk.",
}


def total_words(score: Score | None) -> str:
    if score is None:
        return "Not scored"
    return f"{score.total_text} (prorated)" if score.prorated else score.total_text


def change_words(change: ChangeBetween | None) -> str:
    if change is None:
        return "First time given"
    if change.change is None:
        return "Not judged"
    return f"{_signed(change.change.difference)}: {change.change.verdict.words}"


def alert_words(alerts: Sequence[CriticalAlert]) -> str:
    """The critical items in short, for the table: 'Item 9', 'Items 2 and 9'."""
    if not alerts:
        return ""
    numbers = [str(a.item) for a in alerts]
    if len(numbers) == 1:
        return f"Item {numbers[0]}"
    return f"Items {', '.join(numbers[:-1])} and {numbers[-1]}"


def alert_text(alert: CriticalAlert) -> str:
    """One critical item in full: what was answered and what to do."""
    answer = (
        "was left unanswered"
        if alert.answer is None
        else f"was answered '{alert.answer_label}' ({alert.answer})"
    )
    return f"Item {alert.item} {answer}. {alert.alert}"


def entered_by(row: AdministrationRow) -> int | None:
    """The id of the member of staff who entered (or saved) an administration, if known."""
    return row.entered_by


def who_words(row: AdministrationRow, describe_staff: Callable[[int], str] | None) -> str:
    """How it was given and, when known, who entered it: 'Entered by Dr Jones (clinician...'."""
    staff = entered_by(row)
    name = describe_staff(staff) if staff is not None and describe_staff is not None else ""
    if row.mode is MeasureMode.SELF_COMPLETION:
        done = "Completed by the client on this device (self-completion)"
        return f"{done}; saved by {name}" if name else done
    return f"Entered by {name} (clinician entry)" if name else "Clinician entry"


class ResultModel(ListTableModel[ResultLine]):
    """The administrations of one measure, oldest first, with totals, bands and changes.

    Cells are kept short so the table fits beside the details; the tooltip of a cell says
    it in full (who entered it, the critical items' answers, how a change was judged).
    """

    def __init__(self, describe_staff: Callable[[int], str] | None = None) -> None:
        super().__init__(ResultColumn, RESULT_HEADERS, header_tips=RESULT_TIPS)
        self._describe_staff = describe_staff

    def set_lines(self, lines: Sequence[ResultLine]) -> None:
        self.reset_items(lines)

    def line_at(self, row: int) -> ResultLine:
        return self.item(row)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        line = self._items[index.row()]
        column = ResultColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(line, column)
        if role == SORT_ROLE:
            return self.sort_key(line, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(line, column)
        score = line.result.score
        alerting = column == ResultColumn.ALERTS and score is not None and bool(score.alerts)
        if role == Qt.ItemDataRole.DecorationRole and alerting:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.FontRole and alerting:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def display(self, line: ResultLine, column: ResultColumn) -> str:
        result = line.result
        match column:
            case ResultColumn.DATE:
                return f"{result.administration.administered_on:%d/%m/%Y}"
            case ResultColumn.MODE:
                return MODE_WORDS.get(result.administration.mode, "")
            case ResultColumn.TOTAL:
                return total_words(result.score)
            case ResultColumn.BAND:
                if result.score is None:
                    return "Not scored"
                return result.score.band or "No bands defined"
            case ResultColumn.CHANGE:
                return change_words(line.change)
            case ResultColumn.ALERTS:
                return alert_words(result.score.alerts) if result.score is not None else ""

    def _tooltip(self, line: ResultLine, column: ResultColumn) -> str | None:
        score = line.result.score
        match column:
            case ResultColumn.MODE:
                return who_words(line.result.administration, self._describe_staff) + "."
            case ResultColumn.TOTAL:
                return line.result.problem if score is None else score.method_text
            case ResultColumn.BAND:
                if score is None or score.cutoff is None or score.in_clinical_range is None:
                    return None
                side = "in" if score.in_clinical_range else "not in"
                return (
                    f"{score.band or 'No band'}: {side} the clinical range "
                    f"({score.cutoff.name} {_number(score.cutoff.value)})."
                )
            case ResultColumn.CHANGE:
                if line.change is None:
                    return None
                change = line.change.change
                if change is None:
                    return line.change.problem
                return f"{change_words(line.change)}. {change.parameters_text}"
            case ResultColumn.ALERTS:
                if score is None or not score.alerts:
                    return None
                return "\n".join(alert_text(a) for a in score.alerts)
        return None

    def sort_key(self, line: ResultLine, column: ResultColumn) -> Any:
        if column == ResultColumn.DATE:
            return f"{line.result.administration.administered_on.isoformat()} {line.id:012d}"
        if column == ResultColumn.TOTAL:
            score = line.result.score
            return -1.0 if score is None else score.total
        return self.display(line, column).casefold()


# -- describing a score --------------------------------------------------------------------------


def sum_written_out(score: Score) -> str:
    """The scored values added up: '1 + 0 + 3 + 2 = 6' (answered items only)."""
    values = [i.scored for i in score.items if i.scored is not None]
    if not values:
        return "No items answered."
    return " + ".join(str(v) for v in values) + f" = {sum(values)}"


def _scored_cell(definition: MeasureDefinition | None, number: int, score: Score) -> str:
    item = next(i for i in score.items if i.number == number)
    if item.scored is None:
        return "not counted"
    if not item.reversed or definition is None:
        return str(item.scored)
    question = definition.item(number)
    return f"{item.scored} (reversed: {question.lowest + question.highest} - {item.answer})"


def describe_change(change: ChangeBetween, heading: str) -> str:
    """A change and how it was judged, as HTML: verdict with its parameters beside it."""
    if change.change is None:
        return f"<p><b>{_h(heading)}:</b> {_h(change.problem)}</p>"
    c = change.change
    significant = (
        f"<br>{_h(c.clinically_significant_text)}" if c.clinically_significant_text else ""
    )
    return (
        f"<p><b>{_h(heading)}</b> ({long_date(change.earlier_on)} to "
        f"{long_date(change.later_on)}): {_h(_number(c.earlier_total))} to "
        f"{_h(_number(c.later_total))}, {_h(_signed(c.difference))} "
        f"{'point' if abs(c.difference) == 1 else 'points'}. "
        f"<b>{_h(c.verdict.words)}.</b><br>"
        f"<i>How this was judged:</i> {_h(c.parameters_text)}{significant}</p>"
    )


def describe_result(
    measure: MeasureResults,
    line: ResultLine,
    *,
    overall: ChangeBetween | None = None,
    describe_staff: Callable[[int], str] | None = None,
) -> str:
    """Everything behind one score, as HTML, so a clinician can check it by hand."""
    result = line.result
    row = result.administration
    definition = result.definition
    title = definition.short_title if definition else measure.short_title
    parts = [
        f"<h3>{_h(title)} given on {long_date(row.administered_on)}</h3>",
        f"<p>{_h(who_words(row, describe_staff))}; definition version "
        f"{_h(row.measure_version)}.</p>",
    ]
    score = result.score
    if score is None:
        parts.append(f"<p><b>Not scored.</b> {_h(result.problem)}</p>")
        answers = ", ".join(f"item {n}: {'no answer' if v is None else v}" for n, v in row.answers)
        parts.append(f"<p>Answers as given: {_h(answers)}</p>")
    else:
        band = f", band <b>{_h(score.band)}</b>" if score.band else ""
        prorated = " (prorated)" if score.prorated else ""
        parts.append(
            f"<p><b>Total {_h(score.total_text)}{prorated}</b> out of a possible "
            f"{_h(_number(score.minimum))} to {_h(_number(score.maximum))}{band}.</p>"
        )
        if score.cutoff is not None:
            side = (
                "in the clinical range" if score.in_clinical_range else "not in the clinical range"
            )
            parts.append(f"<p>{_h(score.cutoff.text)} This score is {side}.</p>")
        for alert in score.alerts:
            answer = (
                "left unanswered"
                if alert.answer is None
                else f"answered '{alert.answer_label}' ({alert.answer})"
            )
            parts.append(
                f"<p><b>Critical item {alert.item}</b> {_h(answer)}: {_h(alert.alert)}</p>"
            )
        parts.append(_item_table(definition, score))
        parts.append(f"<p><b>Sum of the scored values:</b> {_h(sum_written_out(score))}<br>")
        parts.append(f"<b>How the total was worked out:</b> {_h(score.method_text)}</p>")
        if score.subscales:
            lines = []
            for sub in score.subscales:
                prorated = ", prorated" if sub.prorated else ""
                detail = sub.problem or f"{sub.answered} of {sub.item_count} answered{prorated}"
                lines.append(f"{_h(sub.title)}: <b>{_h(sub.total_text)}</b> ({_h(detail)})")
            parts.append("<p><b>Subscales</b><br>" + "<br>".join(lines) + "</p>")
    if line.change is not None:
        parts.append(describe_change(line.change, "Change from the previous time"))
        change = line.change.change
        per_item = definition is not None and definition.scoring.per_item_change
        if change is not None and per_item:
            items = "<br>".join(
                f"{_h(i.text)}: {_h(str(i.earlier))} to {_h(str(i.later))}"
                f" ({_h(_signed(i.difference))})"
                for i in change.item_changes
                if i.difference is not None
            )
            if items:
                parts.append(f"<p><b>Change item by item</b><br>{items}</p>")
    if overall is not None:
        parts.append(describe_change(overall, "Change since the first time"))
    if definition is not None:
        licence = _licence_text(definition)
        if licence:
            parts.append(f"<p><small>{_h(licence)}</small></p>")
    return "".join(parts)


def _item_table(definition: MeasureDefinition | None, score: Score) -> str:
    rows = [
        "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
        "<tr><th>Item</th><th width='38%'>Question</th><th>Answer</th><th>Value</th>"
        "<th>Scored</th></tr>"
    ]
    for item in score.items:
        answer = "no answer" if item.answer is None else (item.answer_label or "")
        value = "" if item.answer is None else str(item.answer)
        rows.append(
            f"<tr><td>{item.number}</td><td>{_h(item.text)}</td><td>{_h(answer)}</td>"
            f"<td align='right'>{value}</td>"
            f"<td>{_h(_scored_cell(definition, item.number, score))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


# -- the tab -------------------------------------------------------------------------------------


class CriticalAlertFrame(QFrame):
    """Critical items answered on the latest administration of a measure: review risk now.

    Says "Critical item" in words, with a warning icon, dark red on pale (colour is never
    the only signal), and offers to record a risk event.

    Signals:
        record_risk_event(): the clinician asked to record a risk event.
    """

    record_risk_event = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("criticalAlert")
        self.setStyleSheet(ALERT_STYLE)
        self.setAccessibleName("Critical item alert")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 10, 8)
        row.addWidget(_warning_icon(self, 36), alignment=Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.title.setAccessibleName("Critical items")
        words.addWidget(self.title)
        self.listing = QLabel()
        self.listing.setTextFormat(Qt.TextFormat.PlainText)
        self.listing.setWordWrap(True)
        self.listing.setAccessibleName("Critical items that need a risk review")
        words.addWidget(self.listing)
        row.addLayout(words, stretch=1)
        self.risk_button = QPushButton("Record a risk &event\u2026")
        self.risk_button.setAccessibleName("Record a risk event")
        self.risk_button.setToolTip("Open the risk event form (Alt+E)")
        self.risk_button.clicked.connect(self.record_risk_event)
        row.addWidget(self.risk_button, alignment=Qt.AlignmentFlag.AlignVCenter)
        self.lines: list[str] = []

    def show_alerts(self, alerts: Sequence[tuple[str, date, CriticalAlert]]) -> None:
        """Show (measure, date given, alert) triples; hide when there are none."""
        self.lines = []
        for title, day, alert in alerts:
            answer = (
                "was left unanswered"
                if alert.answer is None
                else f"was answered '{alert.answer_label}'"
            )
            self.lines.append(
                f"\u2022  {title} on {long_date(day)}: item {alert.item} {answer}. {alert.alert}"
            )
        count = len(alerts)
        title = (
            f"Critical item{'s' if count != 1 else ''}: review the client's risk now, and "
            "record a risk event if it has changed"
        )
        self.title.setText(title)
        listing = "\n".join(self.lines)
        self.listing.setText(listing)
        self.setAccessibleDescription(f"{title}. {listing}".replace("\n", " "))
        self.setVisible(bool(alerts))


class MeasuresTab(QWidget):
    """The Measures tab of a client's record: due reminders, alerts, results and the chart.

    Signals:
        changed(): emitted after the tab recorded an administration or changed a schedule.
    """

    changed = Signal()

    def __init__(
        self, client_id: int, actions: MeasuresActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.results: list[MeasureResults] = []
        self.available: list[MeasureDefinition] = []
        self.due: list[DueMeasure] = []
        self.self_completion: SelfCompletionWindow | None = None
        self.setAccessibleName("Measures")
        layout = QVBoxLayout(self)

        heading = QLabel(
            "Self-report measures. Every total is computed from the client's answers, which "
            "are shown beside it so it can be checked by hand. Answers and scores are "
            "clinical and are never shared with partners."
        )
        heading.setWordWrap(True)
        heading.setAccessibleName("About this tab")
        layout.addWidget(heading)

        buttons = QHBoxLayout()
        self.give_button = QPushButton("&Give a measure\u2026")
        self.give_button.setAccessibleName("Give a measure by clinician entry")
        self.give_button.clicked.connect(self._on_give)
        buttons.addWidget(self.give_button)
        self.self_button = QPushButton("Client self-&completion\u2026")
        self.self_button.setAccessibleName("Client self-completion on this device")
        self.self_button.clicked.connect(self._on_self_completion)
        buttons.addWidget(self.self_button)
        self.schedules_button = QPushButton("Sche&dules\u2026")
        self.schedules_button.setAccessibleName("Measure schedules for this client")
        self.schedules_button.clicked.connect(self._on_schedules)
        buttons.addWidget(self.schedules_button)
        buttons.addStretch()
        layout.addLayout(buttons)
        self.no_measures = QLabel(NO_MEASURES_AVAILABLE)
        self.no_measures.setAccessibleName(NO_MEASURES_AVAILABLE)
        self.no_measures.hide()
        layout.addWidget(self.no_measures)

        self.due_frame = QFrame()
        self.due_frame.setObjectName("dueReminders")
        self.due_frame.setStyleSheet(DUE_STYLE)
        self.due_frame.setAccessibleName("Measures due")
        due_row = QHBoxLayout(self.due_frame)
        due_row.setContentsMargins(10, 6, 10, 6)
        due_icon = QLabel()
        style = self.style() or QApplication.style()
        due_icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(24)
        )
        due_icon.setAccessibleName("Reminder")
        due_row.addWidget(due_icon, alignment=Qt.AlignmentFlag.AlignTop)
        self.due_text = QLabel()
        self.due_text.setWordWrap(True)
        self.due_text.setTextFormat(Qt.TextFormat.PlainText)
        self.due_text.setAccessibleName("Measures due")
        due_row.addWidget(self.due_text, stretch=1)
        layout.addWidget(self.due_frame)

        self.alert = CriticalAlertFrame()
        self.alert.record_risk_event.connect(self._on_record_risk_event)
        layout.addWidget(self.alert)

        self.empty = QLabel(NO_RESULTS)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName(NO_RESULTS)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setContentsMargins(0, 24, 0, 0)
        layout.addWidget(self.empty, stretch=1)

        self.results_area = QWidget()
        results_column = QVBoxLayout(self.results_area)
        results_column.setContentsMargins(0, 0, 0, 0)
        chooser_row = QHBoxLayout()
        chooser_label = QLabel("Measure &to show:")
        self.chooser = QComboBox()
        self.chooser.setAccessibleName("Measure to show")
        chooser_label.setBuddy(self.chooser)
        self.chooser.currentIndexChanged.connect(self._on_measure_chosen)
        chooser_row.addWidget(chooser_label)
        chooser_row.addWidget(self.chooser, stretch=1)
        results_column.addLayout(chooser_row)

        self.model = ResultModel(actions.describe_staff)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ResultColumn.DATE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        # At least the header and four rows, even with the alert and reminders showing.
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 5 + 8)
        # Short cells sized to their contents; the change takes what room is left (and is
        # shortened with "..." when there is too little: its tooltip says it in full).
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ResultColumn.CHANGE, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        self.table.setAccessibleName("Times this measure was given, oldest first")
        self.chart = TrendChart()
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setAccessibleName("The answers behind the selected score")

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(self.chart)
        left.setStretchFactor(0, 2)
        left.setStretchFactor(1, 3)
        left.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 11)
        self.splitter.setStretchFactor(1, 9)
        self.splitter.setChildrenCollapsible(False)
        # Table and chart a little wider than the details: both readable at 1280 wide.
        self.splitter.setSizes([1100, 900])
        results_column.addWidget(self.splitter, stretch=1)
        layout.addWidget(self.results_area, stretch=1)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)

        self.setTabOrder(self.give_button, self.self_button)
        self.setTabOrder(self.self_button, self.schedules_button)
        self.setTabOrder(self.schedules_button, self.alert.risk_button)
        self.setTabOrder(self.alert.risk_button, self.chooser)
        self.setTabOrder(self.chooser, self.table)
        self.setTabOrder(self.table, self.details)
        self.refresh()

    # -- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload results, reminders and the measures that can be given."""
        keep_measure = self.current_measure_id()
        keep_row = self.selected_line()
        failure = ""
        try:
            self.results = list(self._actions.results_for_client(self.client_id))
        except ClinicError as error:
            self.results = []
            failure = f"Measures could not be loaded. {error.message}"
        try:
            self.due = list(self._actions.measures_due(self.client_id))
        except ClinicError:
            self.due = []
        try:
            self.available = list(self._actions.available_measures())
        except ClinicError:
            self.available = []
        self._show_due()
        self._show_alerts()
        can_give = bool(self.available)
        self.give_button.setVisible(can_give)
        self.self_button.setVisible(can_give)
        self.no_measures.setVisible(not can_give)
        self.empty.setText(failure or NO_RESULTS)
        self.empty.setAccessibleName(self.empty.text())
        has_results = bool(self.results)
        self.empty.setVisible(not has_results)
        self.results_area.setVisible(has_results)
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for measure in self.results:
            count = len(measure.administrations)
            times = f"{count} time{'s' if count != 1 else ''}"
            self.chooser.addItem(
                f"{measure.short_title}: {measure.title} ({times})",
                measure.measure_id,
            )
        self.chooser.blockSignals(False)
        if has_results:
            self.show_measure(keep_measure or self._most_recent_measure())
            if keep_row is not None:
                self.select_administration(keep_row.id)
        else:
            self.model.set_lines([])
            self.details.clear()

    def _most_recent_measure(self) -> str:
        """The measure given most recently (the one a clinician most likely wants)."""

        def latest(measure: MeasureResults) -> tuple[date, int]:
            row = measure.administrations[-1].administration
            return (row.administered_on, row.id)

        return max(self.results, key=latest).measure_id

    def _last_given(self, measure_id: str) -> date | None:
        measure = next((m for m in self.results if m.measure_id == measure_id), None)
        if measure is None or not measure.administrations:
            return None
        return max(r.administration.administered_on for r in measure.administrations)

    def due_words(self, due: DueMeasure) -> str:
        """One reminder: when the measure fell due, when it was last given, and why."""
        last = self._last_given(due.measure_id)
        if last is None:
            # Never given: due now, whatever date a schedule's rule would give.
            heading = f"{due.short_title} is due now (never given)"
        elif due.due_since is not None and due.due_since > last:
            heading = (
                f"{due.short_title} is due (since {long_date(due.due_since)}; last given "
                f"{long_date(last)})"
            )
        else:
            heading = f"{due.short_title} is due (last given {long_date(last)})"
        if not due.reasons:
            return heading + "."
        if len(due.reasons) == 1:
            return f"{heading}. {due.reasons[0]}"
        return heading + ":\n" + "\n".join(f"\u2022  {reason}" for reason in due.reasons)

    def _show_due(self) -> None:
        lines = [self.due_words(due) for due in self.due]
        text = "\n".join(lines)
        self.due_text.setText(text)
        self.due_text.setAccessibleDescription(text)
        self.due_frame.setVisible(bool(lines))

    def latest_alerts(self) -> list[tuple[str, date, CriticalAlert]]:
        """The critical alerts of the latest administration of each measure."""
        found: list[tuple[str, date, CriticalAlert]] = []
        waiting: frozenset[int] | None = None
        if self._actions.awaiting_risk_review is not None:
            try:
                waiting = self._actions.awaiting_risk_review(self.client_id)
            except ClinicError:
                waiting = None  # cannot tell: show every alert rather than hide one
        for measure in self.results:
            if not measure.administrations:
                continue
            latest = measure.administrations[-1]
            if latest.score is None:
                continue
            if waiting is not None and latest.administration.id not in waiting:
                continue  # a risk event has been recorded since these answers
            for alert in latest.score.alerts:
                found.append((measure.short_title, latest.administration.administered_on, alert))
        return found

    def _show_alerts(self) -> None:
        self.alert.show_alerts(self.latest_alerts())

    # -- one measure -------------------------------------------------------------------------

    def current_measure(self) -> MeasureResults | None:
        measure_id = self.current_measure_id()
        return next((m for m in self.results if m.measure_id == measure_id), None)

    def current_measure_id(self) -> str | None:
        value = self.chooser.currentData()
        return value if isinstance(value, str) else None

    def show_measure(self, measure_id: str) -> bool:
        """Show the results of one measure (False if the client has none of it)."""
        index = self.chooser.findData(measure_id)
        if index < 0:
            index = 0 if self.chooser.count() else -1
        if index < 0:
            return False
        if self.chooser.currentIndex() != index:
            self.chooser.setCurrentIndex(index)  # shows it through the signal
        else:
            self._load_measure()
        return bool(self.chooser.currentData() == measure_id)

    def _load_measure(self) -> None:
        measure = self.current_measure()
        if measure is None:
            self.model.set_lines([])
            self.details.clear()
            return
        changes = {c.later_id: c for c in measure.changes}
        lines = [
            ResultLine(result, changes.get(result.administration.id))
            for result in measure.administrations
        ]
        self.model.set_lines(lines)
        self._draw_chart(measure, lines)
        self._select_proxy_row(self.proxy.rowCount() - 1)  # the latest
        self._show_details()

    def _draw_chart(self, measure: MeasureResults, lines: Sequence[ResultLine]) -> None:
        points = [
            TrendPoint(
                line.result.administration.administered_on,
                line.result.score.total,
                line.result.score.total_text,
                line.result.score.prorated,
                None
                if line.change is None or line.change.change is None
                else line.change.change.verdict,
            )
            for line in lines
            if line.result.score is not None
        ]
        definition = measure.definition or next(
            (r.definition for r in reversed(measure.administrations) if r.definition), None
        )
        if definition is None:
            self.chart.clear()
            self.chart.summary.setText(
                f"{measure.short_title}: no chart, because this measure's definition is not "
                "known here."
            )
            self.chart.view.hide()
            return
        latest = next((line.result.score for line in reversed(lines) if line.result.score), None)
        cutoff = (
            latest.cutoff.value
            if latest is not None and latest.cutoff is not None
            else (definition.cutoff.value if definition.cutoff is not None else None)
        )
        self.chart.show_measure(definition, points, cutoff=cutoff)

    def lines(self) -> list[ResultLine]:
        """The rows as the table shows them, top to bottom."""
        return [
            self.model.line_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            for r in range(self.proxy.rowCount())
        ]

    def selected_line(self) -> ResultLine | None:
        current = self.table.currentIndex()
        if not current.isValid():
            return None
        return self.model.line_at(self.proxy.mapToSource(current).row())

    def select_administration(self, administration_id: int) -> bool:
        """Show and select an administration (of whichever measure it is)."""
        for measure in self.results:
            if any(r.administration.id == administration_id for r in measure.administrations):
                if self.current_measure_id() != measure.measure_id:
                    self.show_measure(measure.measure_id)
                break
        row = self.model.row_with_id(administration_id)
        if row is None:
            return False
        return self._select_proxy_row(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    def _select_proxy_row(self, row: int) -> bool:
        if not 0 <= row < self.proxy.rowCount():
            self.table.clearSelection()
            return False
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.proxy.index(row, 0))
        return True

    def _show_details(self) -> None:
        measure = self.current_measure()
        line = self.selected_line()
        if measure is None or line is None:
            self.details.clear()
            return
        latest = measure.administrations[-1].administration.id if measure.administrations else None
        overall = (
            measure.overall
            if line.id == latest and measure.overall is not None and len(measure.changes) > 1
            else None
        )
        self.details.setHtml(
            describe_result(
                measure, line, overall=overall, describe_staff=self._actions.describe_staff
            )
        )

    # -- giving a measure ----------------------------------------------------------------------

    def _due_ids(self) -> list[str]:
        return [d.measure_id for d in self.due]

    def choose_measure(self, *, self_completion: bool) -> MeasureDefinition | None:
        """Ask which measure to give; None if cancelled or none can be given."""
        if not self.available:
            return None
        dialog = ChooseMeasureDialog(
            self.available, due=self._due_ids(), self_completion=self_completion, parent=self
        )
        exec_dialog(dialog)
        chosen = dialog.chosen
        dialog.deleteLater()
        return chosen

    def _sessions(self) -> list[NoteRow]:
        try:
            return list(self._actions.sessions_for_client(self.client_id))
        except ClinicError:
            return []  # the link to a session is optional; the measure can still be given

    def give_measure(
        self, definition: MeasureDefinition, *, restore: dict[str, Any] | None = None
    ) -> AdministrationRow | None:
        """Enter the client's answers to ``definition``; returns the stored row, or None.

        ``restore`` puts back the answers chosen when the screen locked.
        """
        dialog = AdministerDialog(
            self.client_id,
            definition,
            self._actions.record_administration,
            sessions=self._sessions(),
            parent=self,
        )
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Measures",
            form="give",
            params={"measure_id": definition.id, "version": definition.version},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        row = dialog.saved_row
        dialog.deleteLater()
        if row is None:
            return None
        self._after_saving(row)
        return row

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be."""
        if form != "give":
            return False
        try:
            available = list(self._actions.available_measures())
        except ClinicError:
            return False
        definition = next(
            (
                d
                for d in available
                if d.id == params.get("measure_id") and d.version == params.get("version")
            ),
            None,
        )
        if definition is None:
            return False
        self.give_measure(definition, restore=state)
        return True

    def start_self_completion(self, definition: MeasureDefinition) -> SelfCompletionWindow:
        """Open the full-screen self-completion window for ``definition`` on this device."""
        given_on = date.today()

        def save(answers: dict[int, int | None]) -> AdministrationRow:
            return self._actions.record_administration(
                self.client_id,
                measure_id=definition.id,
                measure_version=definition.version,
                administered_on=given_on,
                answers=answers,
                mode=MeasureMode.SELF_COMPLETION,
                require_score=True,  # partial answers only if the measure can be scored
            )

        window = SelfCompletionWindow(
            definition, verify_staff=self._actions.verify_staff, save_answers=save, parent=self
        )
        window.saved.connect(self._on_self_completion_saved)
        window.ended.connect(self._on_self_completion_ended)
        self.self_completion = window
        window.start()
        return window

    def _after_saving(self, row: AdministrationRow) -> None:
        self.refresh()
        self.select_administration(row.id)
        self.changed.emit()

    # -- slots ---------------------------------------------------------------------------------

    def _on_give(self) -> None:
        definition = self.choose_measure(self_completion=False)
        if definition is not None:
            self.give_measure(definition)

    def _on_self_completion(self) -> None:
        definition = self.choose_measure(self_completion=True)
        if definition is not None:
            self.start_self_completion(definition)

    def _on_self_completion_saved(self, row: object) -> None:
        if isinstance(row, AdministrationRow):
            self._after_saving(row)

    def _on_self_completion_ended(self) -> None:
        window = self.self_completion
        self.self_completion = None
        if window is not None:
            window.deleteLater()

    def _on_schedules(self) -> None:
        dialog = SchedulesDialog(self.client_id, self._actions, self.available, parent=self)
        dialog.changed.connect(self._on_schedules_changed)
        exec_dialog(dialog)
        dialog.deleteLater()

    def _on_schedules_changed(self) -> None:
        self.refresh()
        self.changed.emit()

    def _on_record_risk_event(self) -> None:
        self._actions.record_risk_event()

    def _on_measure_chosen(self, _index: int) -> None:
        self._load_measure()

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details()


# -- schedules -----------------------------------------------------------------------------------


class ScheduleColumn(IntEnum):
    """The columns of the schedules table, in order."""

    MEASURE = 0
    WHEN = 1


class ScheduleModel(ListTableModel[ScheduleRow]):
    """The client's schedules in use: which measure, and when it falls due."""

    def __init__(self) -> None:
        super().__init__(
            ScheduleColumn, {ScheduleColumn.MEASURE: "Measure", ScheduleColumn.WHEN: "Due"}
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
            SORT_ROLE,
        ):
            if index.column() == ScheduleColumn.MEASURE:
                return row.short_title
            return row.description.capitalize()
        return None


class SchedulesDialog(QDialog):
    """List a client's measure schedules, add one, or stop one.

    A measure can be due every so many attended sessions, before each plan review, or
    both. A client has one schedule per measure: adding one for a measure already scheduled
    replaces it.

    Signals:
        changed(): a schedule was added or stopped.
    """

    changed = Signal()

    def __init__(
        self,
        client_id: int,
        actions: MeasuresActions,
        measures: Sequence[MeasureDefinition],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.measures = list(measures)
        self.errors = FieldErrors()
        self.setWindowTitle("Measure schedules")
        self.setAccessibleName("Measure schedules")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "A measure can fall due every so many attended sessions, before each plan review, "
            "or both; the reminder shows on the Measures tab. Adding a schedule for a measure "
            "that already has one replaces it."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About schedules")
        layout.addWidget(intro)

        self.empty = QLabel(NO_SCHEDULES)
        self.empty.setAccessibleName(NO_SCHEDULES)
        layout.addWidget(self.empty)
        self.model = ScheduleModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ScheduleColumn.MEASURE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Schedules in use")
        layout.addWidget(self.table)
        self.stop_button = QPushButton("&Stop the selected schedule")
        self.stop_button.setAccessibleName("Stop the selected schedule")
        self.stop_button.clicked.connect(self._on_stop)
        stop_row = QHBoxLayout()
        stop_row.addWidget(self.stop_button)
        stop_row.addStretch()
        layout.addLayout(stop_row)

        self.add_box = QGroupBox("Add a schedule")
        self.add_box.setAccessibleName("Add a schedule")
        form = QFormLayout(self.add_box)
        self.measure = QComboBox()
        self.measure.setAccessibleName("Measure to schedule")
        for definition in self.measures:
            self.measure.addItem(f"{definition.short_title}: {definition.title}", definition.id)
        measure_label = QLabel("&Measure")
        measure_label.setBuddy(self.measure)
        form.addRow(measure_label, self.errors.with_field("measure_id", self.measure))
        every_row = QWidget()
        every_layout = QHBoxLayout(every_row)
        every_layout.setContentsMargins(0, 0, 0, 0)
        self.every = QCheckBox("&Every")
        self.every.setAccessibleName("Due every so many sessions")
        self.every.setChecked(True)
        self.sessions = QSpinBox()
        self.sessions.setRange(1, 520)
        self.sessions.setValue(4)
        self.sessions.setAccessibleName("Number of attended sessions between")
        every_layout.addWidget(self.every)
        every_layout.addWidget(self.sessions)
        every_layout.addWidget(QLabel("attended sessions"))
        every_layout.addStretch()
        self.every.toggled.connect(self.sessions.setEnabled)
        form.addRow("When due:", self.errors.with_field("every_n_sessions", every_row))
        self.at_review = QCheckBox("Before each &plan review")
        self.at_review.setAccessibleName("Due before each plan review")
        form.addRow("", self.at_review)
        self.add_button = QPushButton("&Add schedule")
        self.add_button.setAccessibleName("Add the schedule")
        self.add_button.clicked.connect(self._on_add)
        form.addRow("", self.add_button)
        layout.addWidget(self.add_box)
        self.add_box.setVisible(bool(self.measures))
        self.general_errors = _general_error_label()
        layout.addWidget(self.general_errors)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        try:
            rows = list(self._actions.schedules_for_client(self.client_id))
        except ClinicError as error:
            rows = []
            self.empty.setText(f"Schedules could not be loaded. {error.message}")
        else:
            self.empty.setText(NO_SCHEDULES)
        self.empty.setAccessibleName(self.empty.text())
        self.model.reset_items(rows)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        self.stop_button.setVisible(bool(rows))
        if rows:
            self.table.selectRow(0)
            self.table.setCurrentIndex(self.proxy.index(0, 0))

    def selected_schedule(self) -> ScheduleRow | None:
        current = self.table.currentIndex()
        if not current.isValid():
            return None
        return self.model.item(self.proxy.mapToSource(current).row())

    def _on_stop(self) -> None:
        schedule = self.selected_schedule()
        if schedule is None:
            return
        try:
            self._actions.stop_schedule(schedule.id)
        except ClinicError as error:
            feedback.show_error(self, error, title="The schedule was not stopped")
            return
        self.refresh()
        self.changed.emit()

    def _on_add(self) -> None:
        measure_id = self.measure.currentData()
        try:
            self._actions.set_schedule(
                self.client_id,
                measure_id=measure_id if isinstance(measure_id, str) else "",
                every_n_sessions=self.sessions.value() if self.every.isChecked() else None,
                at_plan_review=self.at_review.isChecked(),
            )
        except ValidationError as error:
            _show_unplaced(self.general_errors, self.errors.show(error.problems))
            return
        except ClinicError as error:
            feedback.show_error(self, error, title="The schedule was not added")
            return
        self.errors.clear()
        _show_unplaced(self.general_errors, [])
        self.refresh()
        self.changed.emit()


# -- importing a definition ----------------------------------------------------------------------


class ImportDefinitionDialog(QDialog):
    """An administrator imports a clinic's own licensed measure from a definition file.

    Choose a file, then Import: a refused file lists every problem found (with where in
    the file it is) in a list tall enough to read several at once; an accepted one shows
    the measure's title, version and licence. Importing a file that is already imported,
    byte for byte, changes nothing and says so. ``imported`` holds the stored definition's
    row and ``already_imported`` whether it was there before.

    Signals:
        imported_definition(object): the :class:`DefinitionRow` of the imported measure.
    """

    imported_definition = Signal(object)

    def __init__(
        self,
        import_definition: Callable[[str], DefinitionRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._import = import_definition
        self.path: Path | None = None
        self.imported: DefinitionRow | None = None
        self.already_imported = False
        self.setWindowTitle("Import a measure definition")
        self.setAccessibleName("Import a measure definition")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Add a measure your clinic is licensed to use, from a measure definition file "
            "(JSON). The file is checked in full before anything is stored. Once imported, a "
            "definition is never changed: a revised file must have a new version."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About importing")
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.file = QLineEdit()
        self.file.setReadOnly(True)
        self.file.setPlaceholderText("No file chosen")
        self.file.setAccessibleName("File chosen")
        file_label = QLabel("File:")
        file_label.setBuddy(self.file)
        row.addWidget(file_label)
        row.addWidget(self.file, stretch=1)
        self.choose_button = QPushButton("&Choose file\u2026")
        self.choose_button.setAccessibleName("Choose a definition file")
        self.choose_button.clicked.connect(self._on_choose)
        row.addWidget(self.choose_button)
        layout.addLayout(row)

        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.PlainText)
        self.outcome.setAccessibleName("Result of the import")
        self.outcome.hide()
        layout.addWidget(self.outcome)
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setAccessibleName("Problems found in the file")
        self.problems.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Room for several problems at once; more scroll, and the dialog can be enlarged.
        self.problems.setMinimumHeight(self.problems.fontMetrics().lineSpacing() * 12)
        self.problems.hide()
        layout.addWidget(self.problems, stretch=1)
        layout.addStretch(0)  # with no problems listed, the words stay at the top

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "&Import", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.import_button.setAccessibleName("Import the chosen file")
        self.import_button.hide()  # there until a file is chosen
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        self.import_button.clicked.connect(self._on_import)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.choose_button.setFocus()

    def set_file(self, path: Path) -> None:
        self.path = path
        self.file.setText(str(path))
        self.import_button.show()
        self.import_button.setDefault(True)
        self.outcome.hide()
        self.problems.hide()

    def _on_choose(self) -> None:
        chosen = choose_file(self)
        if chosen:
            self.set_file(Path(chosen))

    def _read(self, path: Path) -> str | None:
        try:
            if path.stat().st_size > MAX_DEFINITION_BYTES:
                self._refused(
                    "This file is too large to be a measure definition "
                    f"(at most {MAX_DEFINITION_BYTES // 1000:,} KB)."
                )
                return None
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self._refused("This file is not a text file in UTF-8, so it cannot be a definition.")
        except OSError:
            self._refused("The file could not be read. Check that it exists and you may open it.")
        return None

    def _on_import(self) -> None:
        if self.path is None:
            return
        text = self._read(self.path)
        if text is None:
            return
        started = datetime.now(UTC)
        try:
            row = self._import(text)
        except ValidationError as error:
            count = len(error.problems)
            self._refused(
                f"The file was not imported: {count} problem{'s were' if count != 1 else ' was'} "
                "found. Nothing was stored.",
                [_problem_words(p) for p in error.problems],
            )
            return
        except ClinicError as error:
            self._refused(f"The file was not imported. {error.message}")
            return
        self.imported = row
        # The service hands back the stored row, unchanged, for a file imported before.
        self.already_imported = row.imported_at is not None and row.imported_at < started
        if self.already_imported and row.imported_at is not None:
            by = f" by {row.imported_by}" if row.imported_by else ""
            when = long_date(row.imported_at.astimezone().date())
            offered = (
                "It can be given to clients."
                if row.active
                else "It is not offered to clients at the moment."
            )
            text = (
                f"This exact file is already imported: {row.title} ({row.short_title}), "
                f"version {row.version}, imported on {when}{by}. "
                f"Nothing was changed. {offered}"
            )
        else:
            text = (
                f"Imported {row.title} ({row.short_title}), version {row.version}: "
                f"{row.item_count} items. Licence: {row.licence}. It can now be given to "
                "clients."
            )
        self.outcome.setStyleSheet("font-weight: bold;")
        self.outcome.setText(text)
        self.outcome.setAccessibleDescription(text)
        self.outcome.show()
        self.problems.hide()
        self.imported_definition.emit(row)

    def _refused(self, message: str, problems: Sequence[str] = ()) -> None:
        self.outcome.setStyleSheet(ERROR_STYLE)
        self.outcome.setText(message)
        self.outcome.setAccessibleDescription(message)
        self.outcome.show()
        self.problems.setPlainText("\n".join(f"\u2022 {p}" for p in problems))
        self.problems.setVisible(bool(problems))
