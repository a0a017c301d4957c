"""The Plan tab's smaller dialogs: goal progress, plan history, and the widgets they share
with the editor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import (
    QItemSelectionModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.services.plan_comparison import (
    PRIVATE_NEVER_SHARED,
    PlanSnapshot,
    compare_plans,
    describe_plan,
    format_date,
    format_saved,
    indented,
    shorten,
)
from clinic_app.services.plans import (
    GoalRow,
    ProgressRow,
    RevisionRow,
)
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import SORT_ROLE
from clinic_app.views.common.widgets import to_date, to_qdate
from clinic_app.views.plan.models import (
    RevisionColumn,
    RevisionTableModel,
    read_only_table,
    sorting_proxy,
)

RATING_SCALE = "0 = no progress, 10 = achieved"

VICTIM_PROMPT_TEXT = (
    "Goals that would involve the victim must be challenged before they go into the plan. "
    "Contact with the victim, apology letters and restorative work can frighten or "
    "re-traumatise the victim and can become a way to continue the stalking. They need the "
    "victim advocate's view and the victim's own wishes.\n\n"
    "Write a review note for each such goal: how the goal was challenged, who was consulted "
    "and what was decided. Or change the goal so that it does not involve the victim."
)

WARNING_STYLE = "color: #a4000f; font-weight: bold;"  # dark red, 7:1 on white; text says it too


# -- small widgets -------------------------------------------------------------------------------


def text_box(name: str, text: str = "", *, lines: int = 4) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setAccessibleName(name)
    box.setTabChangesFocus(True)  # Tab leaves the box, as a keyboard user expects
    height = box.fontMetrics().lineSpacing() * lines + 14
    box.setFixedHeight(height)  # long text scrolls inside the box, the form stays compact
    return box


def buddy_label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setWordWrap(True)
    label.setAccessibleName(text.replace("&", ""))
    return label


def action_button(text: str, name: str | None = None) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(False)  # Enter in a text field must not press Remove or Move
    button.setAccessibleName(name or text.replace("&", "").rstrip("…"))
    return button


def message_label(name: str, style: str = "") -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if style:
        label.setStyleSheet(style)
    return label


class TextDialog(QDialog):
    """A read-only page of plain text with a Close button."""

    def __init__(self, title: str, text: str, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.resize(720, 560)
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        self.text.setAccessibleName(title)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


# -- progress ------------------------------------------------------------------------------------


class ProgressDialog(QDialog):
    """Rate progress on one goal, 0 (no progress) to 10 (achieved), with a private comment.

    ``rate(goal_key, rating, rated_on, comment)`` records the rating; a ``ValidationError``
    is shown beside the fields and the dialog stays open.

    Signals:
        rated(): the rating was recorded; the dialog then closes.
    """

    rated = Signal()

    def __init__(
        self,
        goals: Sequence[GoalRow],
        history: Sequence[ProgressRow],
        rate: Callable[[str, int, date, str], None],
        *,
        today: date,
        goal_key: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._rate = rate
        self._history = list(history)
        self._errors = FieldErrors()
        self.setWindowTitle("Rate progress on a goal")
        self.setAccessibleName("Rate progress on a goal")
        self.resize(600, 380)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.goal = QComboBox()
        self.goal.setAccessibleName("Goal")
        for i, goal in enumerate(goals, start=1):
            self.goal.addItem(f"{i}. {shorten(goal.partner_wording, 80)}", goal.goal_key)
        if goal_key is not None and self.goal.findData(goal_key) >= 0:
            self.goal.setCurrentIndex(self.goal.findData(goal_key))
        self.earlier = message_label("Earlier ratings of this goal")
        self.goal.currentIndexChanged.connect(self._on_goal_changed)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("Progress rating slider, 0 to 10")
        self.slider.setRange(0, 10)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(1)
        self.rating = QSpinBox()
        self.rating.setAccessibleName("Progress rating, 0 to 10")
        self.rating.setRange(0, 10)
        self.rating.setSuffix(" out of 10")
        self.slider.valueChanged.connect(self.rating.setValue)
        self.rating.valueChanged.connect(self.slider.setValue)
        latest = self._latest(self.goal.currentData())
        self.rating.setValue(latest.rating if latest else 0)
        rating_row = QHBoxLayout()
        rating_row.addWidget(self.slider, stretch=1)
        rating_row.addWidget(self.rating)
        scale = QLabel(RATING_SCALE)
        scale.setAccessibleName("Rating scale: " + RATING_SCALE)

        self.rated_on = QDateEdit(to_qdate(today))
        self.rated_on.setAccessibleName("Rated on")
        self.rated_on.setCalendarPopup(True)
        self.rated_on.setDisplayFormat("d MMMM yyyy")
        self.rated_on.setMaximumDate(to_qdate(today))  # a rating cannot be in the future

        self.comment = text_box(f"Comment ({PRIVATE_NEVER_SHARED.lower()})", lines=4)

        form.addRow(buddy_label("&Goal", self.goal), self.goal)
        form.addRow("", self._errors.label_for("goal", self.goal))
        form.addRow("", self.earlier)
        form.addRow(buddy_label("&Rating", self.rating), rating_row)
        form.addRow("", scale)
        form.addRow("", self._errors.label_for("rating", self.rating))
        form.addRow(buddy_label("Rated &on", self.rated_on), self.rated_on)
        form.addRow("", self._errors.label_for("rated_on", self.rated_on))
        form.addRow(buddy_label(f"&Comment ({PRIVATE_NEVER_SHARED.lower()})", self.comment))
        form.addRow(self.comment)
        form.addRow(self._errors.label_for("comment", self.comment))
        layout.addLayout(form)
        layout.addStretch()
        self.banner = message_label("Problem recording the rating", WARNING_STYLE)
        self.banner.hide()
        layout.addWidget(self.banner)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("&Save rating", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setAccessibleName("Save rating")
        self.save_button.setDefault(True)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._on_goal_changed()

    def _latest(self, goal_key: str | None) -> ProgressRow | None:
        ratings = [r for r in self._history if r.goal_key == goal_key]
        return ratings[-1] if ratings else None

    def _on_goal_changed(self) -> None:
        key = self.goal.currentData()
        ratings = [r for r in self._history if r.goal_key == key]
        if not ratings:
            self.earlier.setText("This goal has not been rated yet.")
            return
        shown = ratings[-4:]
        words = "; ".join(f"{r.rating} / 10 on {format_date(r.rated_on)}" for r in shown)
        more = f" (latest {len(shown)} of {len(ratings)})" if len(ratings) > len(shown) else ""
        self.earlier.setText(f"Earlier ratings{more}: {words}.")

    def _on_save(self) -> None:
        self.save_rating()

    def save_rating(self) -> None:
        """Record the rating on the runner; the dialog closes once it is recorded."""
        key: str = self.goal.currentData()
        rate, rating = self._rate, self.rating.value()
        rated_on, comment = to_date(self.rated_on.date()), self.comment.toPlainText()

        def refused(error: ClinicError) -> None:
            self.save_button.setEnabled(True)
            if isinstance(error, ValidationError):
                unplaced = self._errors.show(error.problems)
                self._show_banner("\n".join(p.message for p in unplaced))
            else:
                self._errors.clear()
                self._show_banner(error.message)

        self.save_button.setEnabled(False)
        runner().run(
            lambda: rate(key, rating, rated_on, comment),
            lambda _none: self._on_rated(),
            parent=self,
            failed=refused,
        )

    def _on_rated(self) -> None:
        self.save_button.setEnabled(True)
        self.rated.emit()
        self.accept()

    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setAccessibleDescription(text)
        self.banner.setVisible(bool(text))


# -- history -------------------------------------------------------------------------------------


class PlanHistoryDialog(QDialog):
    """Every saved revision of a plan: read any of them, and see what it changed.

    The comparison is with the revision before it by default, or with any earlier one
    chosen in "Compare with". Differences are written out in words ("Removed:", "Added:",
    old → new), never shown by colour alone.
    """

    def __init__(
        self,
        revisions: Sequence[RevisionRow],
        describe_staff: Callable[[int], str],
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._revisions = {r.number: r for r in revisions}
        self._describe_staff = describe_staff
        self.setWindowTitle("Plan history")
        self.setAccessibleName("Plan history")
        self.resize(980, 720)
        layout = QVBoxLayout(self)

        self.model = RevisionTableModel(describe_staff, self)
        self.model.reset_items(revisions)
        self.proxy = sorting_proxy(self.model, self)
        self.table = read_only_table("Revisions of the plan", self.proxy)
        self.table.sortByColumn(RevisionColumn.NUMBER, Qt.SortOrder.DescendingOrder)
        header = self.table.horizontalHeader()
        for column in RevisionColumn:
            mode = (
                QHeaderView.ResizeMode.Stretch
                if column is RevisionColumn.CHANGE_NOTE
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(column, mode)
        self.table.setWordWrap(False)
        layout.addWidget(buddy_label("&Revisions (newest first)", self.table))
        layout.addWidget(self.table, stretch=1)

        compare_row = QHBoxLayout()
        self.compare_with = QComboBox()
        self.compare_with.setAccessibleName("Compare with")
        self.compare_label = buddy_label("Compare &with", self.compare_with)
        compare_row.addWidget(self.compare_label)
        compare_row.addWidget(self.compare_with)
        compare_row.addStretch()
        layout.addLayout(compare_row)

        self.pages = QTabWidget()
        self.pages.setAccessibleName("The chosen revision")
        self.changes_text = QPlainTextEdit()
        self.changes_text.setReadOnly(True)
        self.changes_text.setAccessibleName("What changed in this revision")
        self.revision_text = QPlainTextEdit()
        self.revision_text.setReadOnly(True)
        self.revision_text.setAccessibleName("This revision in full")
        self.pages.addTab(self.changes_text, "What c&hanged")
        self.pages.addTab(self.revision_text, "This re&vision in full")
        layout.addWidget(self.pages, stretch=4)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._on_revision_chosen)
        self.compare_with.currentIndexChanged.connect(self._on_compare_changed)
        if revisions:
            self.select_revision(max(self._revisions))

    def select_revision(self, number: int) -> None:
        """Show revision ``number`` and what it changed from the one before it."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, RevisionColumn.NUMBER)
            if index.data(SORT_ROLE) == number:
                self.table.selectionModel().setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                return

    def compare_with_revision(self, number: int) -> None:
        """Compare the chosen revision with an earlier one instead of the one before it."""
        index = self.compare_with.findData(number)
        if index >= 0:
            self.compare_with.setCurrentIndex(index)

    @property
    def chosen(self) -> RevisionRow | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid():
            return None
        return self.model.item(self.proxy.mapToSource(index).row())

    def _on_revision_chosen(self) -> None:
        chosen = self.chosen
        if chosen is None:
            return
        self.revision_text.setPlainText(
            "\n".join(
                [
                    f"Revision {chosen.number}, saved {format_saved(chosen.saved_at)} by "
                    f"{self._describe_staff(chosen.saved_by)}",
                    "",
                    *describe_plan(PlanSnapshot.of_revision(chosen)),
                ]
            )
        )
        earlier = sorted((n for n in self._revisions if n < chosen.number), reverse=True)
        self.compare_with.blockSignals(True)
        self.compare_with.clear()
        for n in earlier:
            note = " (the one before)" if n == earlier[0] else ""
            self.compare_with.addItem(f"Revision {n}{note}", n)
        self.compare_with.blockSignals(False)
        self.compare_with.setVisible(bool(earlier))
        self.compare_label.setVisible(bool(earlier))
        self._on_compare_changed()

    def _on_compare_changed(self) -> None:
        chosen = self.chosen
        if chosen is None:
            return
        number = self.compare_with.currentData()
        if number is None:
            self.changes_text.setPlainText(
                f"Revision {chosen.number} is the first revision: there is nothing earlier to "
                "compare it with. “This revision in full” shows everything in it."
            )
            return
        older = self._revisions[number]
        lines = compare_plans(PlanSnapshot.of_revision(older), PlanSnapshot.of_revision(chosen))
        heading = [
            f"Changes from revision {older.number} to revision {chosen.number} "
            f"(saved {format_saved(chosen.saved_at)} by {self._describe_staff(chosen.saved_by)})",
            "",
        ]
        if chosen.change_note.strip():
            heading += ["What changed and why, as noted:", *indented(chosen.change_note), ""]
        body = lines or ["Nothing in the plan changed between these revisions."]
        self.changes_text.setPlainText("\n".join([*heading, *body]))
