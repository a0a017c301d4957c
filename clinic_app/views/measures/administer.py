"""Giving a measure: choosing it, then answering its items in a clinician-entered form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import (
    QEvent,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.models.enums import MeasureMode
from clinic_app.services.measures import (
    AdministrationRow,
)
from clinic_app.services.notes import NoteRow
from clinic_app.views.common import feedback
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import problems_label, show_problems, to_date, to_qdate
from clinic_app.views.measures.actions import RecordAdministration
from clinic_app.views.measures.dialogs import (
    licence_label,
    mnemonic_safe,
)
from clinic_app.views.measures.models import long_date
from clinic_app.wording import ATTENDANCE_WORDS

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
            button = QRadioButton(mnemonic_safe(option.label))
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
        day = to_qdate(today or date.today())
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
            attendance = ATTENDANCE_WORDS.get(note.content.attendance, "").lower()
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
        layout.addWidget(licence_label(definition))
        self.general_errors = problems_label()
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
        return to_date(self.given_on.date())

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
        show_problems(self.general_errors, self.errors.show(problems))
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
        record, client_id, definition = self._record, self.client_id, self.definition
        administered_on, answers = self.chosen_date(), self.answers()
        session_note_id = self.chosen_session()

        def save() -> AdministrationRow:
            return record(
                client_id,
                measure_id=definition.id,
                measure_version=definition.version,
                administered_on=administered_on,
                answers=answers,
                mode=MeasureMode.CLINICIAN_ENTRY,
                session_note_id=session_note_id,
                # Unanswered items only as far as the measure's prorating rule allows.
                require_score=True,
            )

        def refused(error: ClinicError) -> None:
            self.save_button.setEnabled(True)
            if isinstance(error, ValidationError):
                self.show_problems(error.problems)
            else:
                feedback.show_error(self, error, title="The answers were not saved")

        self.save_button.setEnabled(False)
        runner().run(save, self._on_saved, parent=self, failed=refused)

    def _on_saved(self, row: AdministrationRow) -> None:
        self.save_button.setEnabled(True)
        self.errors.clear()
        show_problems(self.general_errors, [])
        self.saved_row = row
        self.saved.emit(row)
        self.accept()


def _item_of(where: str) -> int | None:
    """The item number of a problem at ``answers.N``, or None."""
    prefix, _, number = where.partition(".")
    return int(number) if prefix == "answers" and number.isdigit() else None
