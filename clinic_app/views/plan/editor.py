"""The plan editor: formulation, goals with their victim review, planned interventions."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, ConflictError, EditConflict, Problem, ValidationError
from clinic_app.models.enums import InterventionKind, Phase, PlanStatus
from clinic_app.services.conflicts import changed, merge, reapply
from clinic_app.services.plan_comparison import (
    PRIVATE_NEVER_SHARED,
    PlanSnapshot,
    compare_plans,
    format_saved,
)
from clinic_app.services.plans import (
    GoalInput,
    InterventionInput,
    PlanInput,
    RevisionRow,
    input_of,
)
from clinic_app.views.common.conflict import offer_conflict
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import to_date, to_qdate
from clinic_app.views.plan.dialogs import (
    VICTIM_PROMPT_TEXT,
    WARNING_STYLE,
    TextDialog,
    action_button,
    buddy_label,
    message_label,
    text_box,
)
from clinic_app.wording import INTERVENTION_WORDS, PHASE_WORDS, PLAN_STATUS_WORDS

# -- the editor ----------------------------------------------------------------------------------


class _GoalCard(QGroupBox):
    """One goal in the editor: partner wording, private detail, and the victim question.

    Signals:
        move_up(): the clinician asked to move this goal up the list.
        move_down(): ... down the list.
        remove(): the clinician asked to take this goal out of the plan.
    """

    move_up = Signal()
    move_down = Signal()
    remove = Signal()

    def __init__(self, position: int, count: int, goal: GoalInput, errors: FieldErrors) -> None:
        super().__init__(f"Goal {position}")
        self.goal_key = goal.goal_key
        self.setAccessibleName(f"Goal {position}")
        where = f"goals[{position}]"
        layout = QVBoxLayout(self)

        self.partner_wording = text_box(
            f"Goal {position}: partner wording", goal.partner_wording, lines=2
        )
        layout.addWidget(
            buddy_label("Partner wording (what partners may read)", self.partner_wording)
        )
        layout.addWidget(self.partner_wording)
        layout.addWidget(errors.label_for(f"{where}.partner_wording", self.partner_wording))

        self.private_detail = text_box(
            f"Goal {position}: private detail", goal.private_detail, lines=3
        )
        layout.addWidget(
            buddy_label(f"Private detail ({PRIVATE_NEVER_SHARED.lower()})", self.private_detail)
        )
        layout.addWidget(self.private_detail)
        layout.addWidget(errors.label_for(f"{where}.private_detail", self.private_detail))

        self.involves_victim = QCheckBox("This goal would involve the &victim")
        self.involves_victim.setAccessibleName(f"Goal {position} would involve the victim")
        self.involves_victim.setChecked(goal.involves_victim)
        self.review_state = QLabel("NEEDS REVIEW")
        self.review_state.setAccessibleName(f"Goal {position} needs a review note")
        self.review_state.setStyleSheet(WARNING_STYLE)
        victim_row = QHBoxLayout()
        victim_row.addWidget(self.involves_victim)
        victim_row.addWidget(self.review_state)
        victim_row.addStretch()
        layout.addLayout(victim_row)

        self.review_box = QWidget()
        review_layout = QVBoxLayout(self.review_box)
        review_layout.setContentsMargins(24, 0, 0, 0)
        self.victim_review_note = text_box(
            f"Goal {position}: victim review note", goal.victim_review_note, lines=3
        )
        review_layout.addWidget(
            buddy_label(
                "Review note (required): how was this goal challenged? What does the victim "
                "advocate advise, and what are the victim's wishes?",
                self.victim_review_note,
            )
        )
        review_layout.addWidget(self.victim_review_note)
        review_layout.addWidget(
            errors.label_for(f"{where}.victim_review_note", self.victim_review_note)
        )
        layout.addWidget(self.review_box)

        buttons = QHBoxLayout()
        buttons.addStretch()
        self._buttons: list[QPushButton] = []
        if position > 1:
            up = action_button("Move up", f"Move goal {position} up")
            up.clicked.connect(self.move_up)
            self._buttons.append(up)
        if position < count:
            down = action_button("Move down", f"Move goal {position} down")
            down.clicked.connect(self.move_down)
            self._buttons.append(down)
        remove = action_button("Remove goal", f"Remove goal {position}")
        remove.clicked.connect(self.remove)
        self._buttons.append(remove)
        for button in self._buttons:
            buttons.addWidget(button)
        layout.addLayout(buttons)

        self.involves_victim.toggled.connect(self._on_victim_changed)
        self.victim_review_note.textChanged.connect(self._on_victim_changed)
        self._on_victim_changed()

    def focus_chain(self) -> list[QWidget]:
        """The card's controls in the order Tab should visit them."""
        return [
            self.partner_wording,
            self.private_detail,
            self.involves_victim,
            self.victim_review_note,
            *self._buttons,
        ]

    def _on_victim_changed(self) -> None:
        involved = self.involves_victim.isChecked()
        self.review_box.setVisible(involved)
        self.review_state.setVisible(involved and not self.victim_review_note.toPlainText().strip())

    def value(self) -> GoalInput:
        return GoalInput(
            private_detail=self.private_detail.toPlainText(),
            partner_wording=self.partner_wording.toPlainText(),
            involves_victim=self.involves_victim.isChecked(),
            victim_review_note=self.victim_review_note.toPlainText(),
            goal_key=self.goal_key,
        )


class _InterventionLine(QWidget):
    """One planned intervention in the editor: its kind and a private detail.

    Signals:
        remove(): the clinician asked to take this intervention out of the plan.
    """

    remove = Signal()

    def __init__(self, position: int, item: InterventionInput, errors: FieldErrors) -> None:
        super().__init__()
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.kind = QComboBox()
        self.kind.setAccessibleName(f"Intervention {position}: kind")
        for kind, label in INTERVENTION_WORDS.items():
            self.kind.addItem(label, kind)
        self.kind.setCurrentIndex(self.kind.findData(item.kind))
        self.detail = QLineEdit(item.detail)
        self.detail.setAccessibleName(f"Intervention {position}: detail")
        self.detail.setPlaceholderText("Detail, e.g. weekly, 12 sessions")
        self.remove_button = action_button("Remove", f"Remove intervention {position}")
        self.remove_button.clicked.connect(self.remove)
        layout.addWidget(self.kind, 0, 0)
        layout.addWidget(self.detail, 0, 1)
        layout.addWidget(self.remove_button, 0, 2)
        layout.addWidget(errors.label_for(f"interventions[{position}].detail", self.detail), 1, 1)
        layout.setColumnStretch(1, 1)

    def value(self) -> InterventionInput:
        # Qt hands enum item data back as plain text, so it is turned back into the enum.
        return InterventionInput(InterventionKind(self.kind.currentData()), self.detail.text())


class PlanEditor(QDialog):
    """Create a plan or revise one; each save is a new revision based on the one edited.

    ``save(data, based_on)`` stores the plan and returns the saved revision; it may raise
    a ``ValidationError`` (shown beside the fields) or a ``ConflictError`` (shown at the
    top; the clinician's text stays). Goals that would involve the victim cannot be saved
    without a review note: :attr:`victim_prompt` explains why.

    Signals:
        saved(RevisionRow): the plan was saved; the dialog then closes.
    """

    saved = Signal(object)

    def __init__(
        self,
        save: Callable[[PlanInput, int], RevisionRow],
        *,
        current: RevisionRow | None,
        today: date,
        latest: Callable[[], RevisionRow] | None = None,
        describe_staff: Callable[[int], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._save = save
        self._latest = latest
        self._describe_staff = describe_staff
        self._today = today
        self._based_on = current.number if current else 0
        self._opened = input_of(current) if current else None
        self.victim_prompt: QMessageBox | None = None
        self.comparison: TextDialog | None = None
        self._goal_cards: list[_GoalCard] = []
        self._intervention_lines: list[_InterventionLine] = []
        self._built = False  # until every control exists, the tab order is not fixed
        self._errors = FieldErrors()
        self._item_errors = FieldErrors()
        title = (
            f"Revise the intervention plan (revision {current.number})"
            if current
            else "Create an intervention plan"
        )
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.resize(860, 760)

        outer = QVBoxLayout(self)
        intro = QLabel(
            f"Saving creates revision {current.number + 1}. Earlier revisions are kept."
            if current
            else "Saving creates the first revision of the plan. Every later change is kept "
            "as a new revision."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About saving")
        outer.addWidget(intro)
        self.banner = message_label("Problem saving the plan", WARNING_STYLE)
        self.banner.hide()
        outer.addWidget(self.banner)
        self.compare_button = action_button("Co&mpare with the latest revision…")
        self.compare_button.clicked.connect(self._on_compare_latest)
        self.compare_button.hide()
        outer.addWidget(self.compare_button, alignment=Qt.AlignmentFlag.AlignLeft)

        body = QWidget()
        self._body = QVBoxLayout(body)
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setWidget(body)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(self._scroll, stretch=1)

        self._build_details(current)
        self._build_goals()
        self._build_interventions()
        self._show_items(
            [
                GoalInput(
                    g.private_detail,
                    g.partner_wording,
                    g.involves_victim,
                    g.victim_review_note,
                    goal_key=g.goal_key,
                )
                for g in (current.goals if current else ())
            ],
            [InterventionInput(k, d) for k, d in (current.interventions if current else ())],
        )

        self.change_note = text_box("What changed and why", lines=3)
        self._body.addWidget(buddy_label("What &changed and why", self.change_note))
        self._body.addWidget(self.change_note)
        self._body.addWidget(self._errors.label_for("change_note", self.change_note))
        self._body.addStretch()

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            "&Save plan", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setAccessibleName("Save plan")
        self.save_button.setDefault(False)
        self.save_button.setAutoDefault(False)  # Enter in a field must not save half a plan
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        save_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        save_shortcut.activated.connect(self._on_save)
        self._built = True
        self._fix_tab_order()

    # -- building ------------------------------------------------------------------------------

    def _build_details(self, current: RevisionRow | None) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.status = QComboBox()
        self.status.setAccessibleName("Status")
        for status, label in PLAN_STATUS_WORDS.items():
            self.status.addItem(label, status)
        self.phase = QComboBox()
        self.phase.setAccessibleName("Phase")
        for phase, label in PHASE_WORDS.items():
            self.phase.addItem(label, phase)
        self.planned_sessions = self._length_box("Planned sessions", "sessions")
        self.planned_weeks = self._length_box("Planned weeks", "weeks")
        self.review_set = QCheckBox("Set a &next review date")
        self.review_set.setAccessibleName("Set a next review date")
        self.next_review_on = QDateEdit()
        self.next_review_on.setAccessibleName("Next review date")
        self.next_review_on.setCalendarPopup(True)
        self.next_review_on.setDisplayFormat("d MMMM yyyy")
        self.next_review_on.setDate(to_qdate(self._today).addDays(28))
        self.next_review_on.setEnabled(False)
        self.review_set.toggled.connect(self.next_review_on.setEnabled)
        review = QHBoxLayout()
        review.addWidget(self.review_set)
        review.addWidget(self.next_review_on)
        review.addStretch()

        form.addRow(buddy_label("S&tatus", self.status), self.status)
        form.addRow("", self._form_problem("status", self.status))
        form.addRow(buddy_label("P&hase", self.phase), self.phase)
        form.addRow("", self._form_problem("phase", self.phase))
        form.addRow(buddy_label("Planned sessi&ons", self.planned_sessions), self.planned_sessions)
        form.addRow("", self._form_problem("planned_sessions", self.planned_sessions))
        form.addRow(buddy_label("Planned &weeks", self.planned_weeks), self.planned_weeks)
        form.addRow("", self._form_problem("planned_weeks", self.planned_weeks))
        review_label = QLabel("Next review")
        review_label.setAccessibleName("Next review")
        form.addRow(review_label, review)
        form.addRow("", self._form_problem("next_review_on", self.next_review_on))
        self._body.addLayout(form)
        length_hint = QLabel(
            "Leave sessions and weeks as “Not set” when the length is decided case by case."
        )
        length_hint.setWordWrap(True)
        length_hint.setAccessibleName("About the planned length")
        self._body.addWidget(length_hint)

        self.formulation = text_box(f"Formulation ({PRIVATE_NEVER_SHARED.lower()})", lines=6)
        self._body.addWidget(
            buddy_label(f"&Formulation — {PRIVATE_NEVER_SHARED}", self.formulation)
        )
        self._body.addWidget(self.formulation)
        self._body.addWidget(self._errors.label_for("formulation", self.formulation))

        if current is not None:
            self.status.setCurrentIndex(self.status.findData(current.status))
            self.phase.setCurrentIndex(self.phase.findData(current.phase))
            self.planned_sessions.setValue(current.planned_sessions or 0)
            self.planned_weeks.setValue(current.planned_weeks or 0)
            if current.next_review_on is not None:
                self.review_set.setChecked(True)
                self.next_review_on.setDate(to_qdate(current.next_review_on))
            self.formulation.setPlainText(current.formulation)

    def _form_problem(self, where: str, field: QWidget) -> QLabel:
        # Fields here keep their natural width; their problem text may be wider.
        label = self._errors.label_for(where, field)
        label.setMinimumWidth(420)
        return label

    @staticmethod
    def _length_box(name: str, unit: str) -> QSpinBox:
        box = QSpinBox()
        box.setAccessibleName(name)
        box.setRange(0, 520)
        box.setSpecialValueText("Not set")  # 0 means no set length
        box.setSuffix(f" {unit}")
        return box

    def _build_goals(self) -> None:
        heading = QLabel("<b>Goals</b>")
        heading.setAccessibleName("Goals")
        self._body.addWidget(heading)
        self._goals_box = QVBoxLayout()
        self._body.addLayout(self._goals_box)
        self.no_goals = QLabel("No goals yet. Add the first with “Add goal”.")
        self.no_goals.setAccessibleName("No goals yet")
        self._body.addWidget(self.no_goals)
        self.add_goal_button = action_button("Add &goal")
        self.add_goal_button.clicked.connect(self._on_add_goal)
        self._body.addWidget(self.add_goal_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self._body.addWidget(self._errors.label_for("goals", self.add_goal_button))

    def _build_interventions(self) -> None:
        heading = QLabel("<b>Planned interventions</b>")
        heading.setAccessibleName("Planned interventions")
        self._body.addWidget(heading)
        self._interventions_box = QVBoxLayout()
        self._body.addLayout(self._interventions_box)
        self.no_interventions = QLabel("No interventions planned yet.")
        self.no_interventions.setAccessibleName("No interventions planned yet")
        self._body.addWidget(self.no_interventions)
        self.add_intervention_button = action_button("Add &intervention")
        self.add_intervention_button.clicked.connect(self._on_add_intervention)
        self._body.addWidget(self.add_intervention_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self._body.addWidget(self._errors.label_for("interventions", self.add_intervention_button))

    # -- goals and interventions: rebuilt whole when the list changes, so positions
    #    (and the problem locations goals[i]... that the service reports) stay right.

    @property
    def goal_cards(self) -> list[_GoalCard]:
        return list(self._goal_cards)

    @property
    def intervention_lines(self) -> list[_InterventionLine]:
        return list(self._intervention_lines)

    def _goal_values(self) -> list[GoalInput]:
        return [card.value() for card in self._goal_cards]

    def _intervention_values(self) -> list[InterventionInput]:
        return [line.value() for line in self._intervention_lines]

    def _show_goals(self, goals: list[GoalInput]) -> None:
        self._show_items(goals, self._intervention_values())

    def _show_items(self, goals: list[GoalInput], interventions: list[InterventionInput]) -> None:
        self._item_errors.clear()
        self._item_errors = FieldErrors()
        for widget in [*self._goal_cards, *self._intervention_lines]:
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()
        self._goal_cards = []
        self._intervention_lines = []
        for position, goal in enumerate(goals, start=1):
            card = _GoalCard(position, len(goals), goal, self._item_errors)
            index = position - 1
            card.move_up.connect(lambda i=index: self._on_move_goal(i, -1))
            card.move_down.connect(lambda i=index: self._on_move_goal(i, +1))
            card.remove.connect(lambda i=index: self._on_remove_goal(i))
            self._goals_box.addWidget(card)
            self._goal_cards.append(card)
        self.no_goals.setVisible(not goals)
        for position, item in enumerate(interventions, start=1):
            line = _InterventionLine(position, item, self._item_errors)
            line.remove.connect(lambda i=position - 1: self._on_remove_intervention(i))
            self._interventions_box.addWidget(line)
            self._intervention_lines.append(line)
        self.no_interventions.setVisible(not interventions)
        if self._built:
            self._fix_tab_order()

    def _fix_tab_order(self) -> None:
        # Rebuilt goal cards would otherwise join the end of the focus chain, after Save.
        chain: list[QWidget] = [
            self.status,
            self.phase,
            self.planned_sessions,
            self.planned_weeks,
            self.review_set,
            self.next_review_on,
            self.formulation,
        ]
        for card in self._goal_cards:
            chain += card.focus_chain()
        chain.append(self.add_goal_button)
        for line in self._intervention_lines:
            chain += [line.kind, line.detail, line.remove_button]
        chain += [self.add_intervention_button, self.change_note, self.save_button]
        chain.append(self.cancel_button)
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def add_goal(self, goal: GoalInput | None = None) -> _GoalCard:
        """Add a goal at the end of the list and return its card."""
        goals = self._goal_values()
        goals.append(goal or GoalInput(private_detail="", partner_wording=""))
        self._show_goals(goals)
        return self._goal_cards[-1]

    def _on_add_goal(self) -> None:
        card = self.add_goal()
        card.partner_wording.setFocus()
        self._scroll.ensureWidgetVisible(card)

    def _on_move_goal(self, index: int, step: int) -> None:
        goals = self._goal_values()
        target = index + step
        if not 0 <= target < len(goals):
            return
        goals[index], goals[target] = goals[target], goals[index]
        self._show_goals(goals)
        self._goal_cards[target].partner_wording.setFocus()
        self._scroll.ensureWidgetVisible(self._goal_cards[target])

    def _on_remove_goal(self, index: int) -> None:
        goals = self._goal_values()
        del goals[index]
        self._show_goals(goals)
        self.add_goal_button.setFocus()

    def add_intervention(self, item: InterventionInput | None = None) -> _InterventionLine:
        """Add a planned intervention at the end of the list and return its line."""
        items = self._intervention_values()
        items.append(item or InterventionInput(InterventionKind.CBT))
        self._show_items(self._goal_values(), items)
        return self._intervention_lines[-1]

    def _on_add_intervention(self) -> None:
        line = self.add_intervention()
        line.kind.setFocus()
        self._scroll.ensureWidgetVisible(line)

    def _on_remove_intervention(self, index: int) -> None:
        items = self._intervention_values()
        del items[index]
        self._show_items(self._goal_values(), items)
        self.add_intervention_button.setFocus()

    # -- saving --------------------------------------------------------------------------------

    def values(self) -> PlanInput:
        """The plan as the editor holds it now."""
        return PlanInput(
            status=PlanStatus(self.status.currentData()),
            phase=Phase(self.phase.currentData()),
            formulation=self.formulation.toPlainText(),
            planned_sessions=self.planned_sessions.value() or None,
            planned_weeks=self.planned_weeks.value() or None,
            next_review_on=(
                to_date(self.next_review_on.date()) if self.review_set.isChecked() else None
            ),
            change_note=self.change_note.toPlainText(),
            goals=tuple(self._goal_values()),
            interventions=tuple(self._intervention_values()),
        )

    def set_values(self, data: PlanInput) -> None:
        """Show ``data`` in the editor (a plan put back after the screen was locked)."""
        self.status.setCurrentIndex(max(0, self.status.findData(data.status)))
        self.phase.setCurrentIndex(max(0, self.phase.findData(data.phase)))
        self.planned_sessions.setValue(data.planned_sessions or 0)
        self.planned_weeks.setValue(data.planned_weeks or 0)
        self.review_set.setChecked(data.next_review_on is not None)
        if data.next_review_on is not None:
            self.next_review_on.setDate(to_qdate(data.next_review_on))
        self.formulation.setPlainText(data.formulation)
        self.change_note.setPlainText(data.change_note)
        self._show_items(list(data.goals), list(data.interventions))

    def draft_state(self) -> dict[str, Any]:
        """What the editor holds, as plain values, to be kept while the screen is locked."""
        data = self.values()
        return {
            "based_on": self._based_on,
            "status": data.status.value,
            "phase": data.phase.value,
            "formulation": data.formulation,
            "planned_sessions": data.planned_sessions,
            "planned_weeks": data.planned_weeks,
            "next_review_on": data.next_review_on.isoformat() if data.next_review_on else None,
            "change_note": data.change_note,
            "goals": [
                {
                    "private_detail": g.private_detail,
                    "partner_wording": g.partner_wording,
                    "involves_victim": g.involves_victim,
                    "victim_review_note": g.victim_review_note,
                    "goal_key": g.goal_key,
                }
                for g in data.goals
            ],
            "interventions": [
                {"kind": i.kind.value, "detail": i.detail} for i in data.interventions
            ],
        }

    def restore_draft_state(self, state: dict[str, Any]) -> None:
        """Put back what :meth:`draft_state` kept, saving against the same revision."""
        self._based_on = int(state.get("based_on", self._based_on))
        review = state.get("next_review_on")
        self.set_values(
            PlanInput(
                status=PlanStatus(state["status"]),
                phase=Phase(state["phase"]),
                formulation=str(state.get("formulation", "")),
                planned_sessions=state.get("planned_sessions"),
                planned_weeks=state.get("planned_weeks"),
                next_review_on=date.fromisoformat(review) if review else None,
                change_note=str(state.get("change_note", "")),
                goals=tuple(
                    GoalInput(
                        str(g.get("private_detail", "")),
                        str(g.get("partner_wording", "")),
                        bool(g.get("involves_victim", False)),
                        str(g.get("victim_review_note", "")),
                        goal_key=g.get("goal_key"),
                    )
                    for g in state.get("goals", [])
                ),
                interventions=tuple(
                    InterventionInput(InterventionKind(i["kind"]), str(i.get("detail", "")))
                    for i in state.get("interventions", [])
                ),
            )
        )

    @property
    def based_on(self) -> int:
        """The revision this edit starts from (0 for a new plan)."""
        return self._based_on

    def _on_save(self) -> None:
        self.save_plan()

    def save_plan(self) -> None:
        """Save (on the runner) unless a goal involving the victim is unreviewed.

        The form closes (accepted) once it is saved; otherwise the problems are shown and
        everything typed stays as it was."""
        data = self.values()
        self.banner.hide()
        unreviewed = [
            i
            for i, goal in enumerate(data.goals, start=1)
            if goal.involves_victim and not goal.victim_review_note.strip()
        ]
        if unreviewed:
            self.show_problems(
                [
                    Problem(
                        f"goals[{i}].victim_review_note",
                        "This goal would involve the victim: write a review note before saving.",
                    )
                    for i in unreviewed
                ]
            )
            self._prompt_victim_review(unreviewed)
            return
        save, based_on, opened = self._save, self._based_on, self._opened

        def refused(error: ClinicError) -> None:
            self.save_button.setEnabled(True)
            if isinstance(error, ValidationError):
                self.show_problems(error.problems)
            elif isinstance(error, EditConflict):
                shown = error if opened is None else error.only(changed(opened, data))
                offer_conflict(self, shown, save_mine=save_mine, keep_saved=self.reject)
            elif isinstance(error, ConflictError):
                self._show_banner(error.message)
                self.compare_button.setVisible(self._latest is not None)
            else:
                self._show_banner(error.message)

        def save_mine(conflict: EditConflict, edits: Mapping[str, str]) -> None:
            """Save the plan, as edited in the conflict dialog (and the colleague's where
            the user changed nothing), over the newer revision."""
            self._based_on = version = conflict.version
            merged = data if opened is None else merge(opened, data, conflict.saved_record)
            again = reapply(merged, edits)
            self.save_button.setEnabled(False)
            runner().run(lambda: save(again, version), self._on_saved, parent=self, failed=refused)

        self.save_button.setEnabled(False)
        runner().run(lambda: save(data, based_on), self._on_saved, parent=self, failed=refused)

    def _on_saved(self, row: RevisionRow) -> None:
        self.save_button.setEnabled(True)
        self._errors.clear()
        self._item_errors.clear()
        self.saved.emit(row)
        self.accept()

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show each problem under its field; any the form cannot place go at the top."""
        items = [p for p in problems if p.where.startswith(("goals[", "interventions["))]
        rest = [p for p in problems if p not in items]
        unplaced = self._item_errors.show(items)
        unplaced += self._errors.show(rest)
        focused = self.focusWidget()
        body = self._scroll.widget()
        if focused is not None and body is not None and body.isAncestorOf(focused):
            self._scroll.ensureWidgetVisible(focused)
        if unplaced:
            self._show_banner(
                "Please check the plan:\n" + "\n".join(f"• {p.message}" for p in unplaced)
            )

    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setAccessibleDescription(text)
        self.banner.show()

    def _prompt_victim_review(self, positions: Sequence[int]) -> None:
        which = ", ".join(str(i) for i in positions)
        goals = "Goal" if len(positions) == 1 else "Goals"
        verb = "would" if len(positions) == 1 else "would each"
        prompt = QMessageBox(self)
        prompt.setIcon(QMessageBox.Icon.Warning)
        prompt.setWindowTitle("Review goals that would involve the victim")
        prompt.setText(
            f"{goals} {which} {verb} involve the victim and need a review note before the "
            "plan can be saved."
        )
        prompt.setInformativeText(VICTIM_PROMPT_TEXT)
        prompt.setAccessibleName("Review goals that would involve the victim")
        prompt.setAccessibleDescription(f"{prompt.text()} {VICTIM_PROMPT_TEXT}")
        review = prompt.addButton("&Review the goal", QMessageBox.ButtonRole.AcceptRole)
        review.setAccessibleName("Review the goal")
        prompt.setDefaultButton(review)
        prompt.setEscapeButton(review)
        first = positions[0] - 1
        prompt.finished.connect(lambda _result: self._on_victim_prompt_closed(first))
        if self.victim_prompt is not None:
            self.victim_prompt.deleteLater()
        self.victim_prompt = prompt
        prompt.setWindowModality(Qt.WindowModality.WindowModal)
        prompt.open()

    def _on_victim_prompt_closed(self, index: int) -> None:
        if 0 <= index < len(self._goal_cards):
            note = self._goal_cards[index].victim_review_note
            note.setFocus()
            self._scroll.ensureWidgetVisible(note)

    def _on_compare_latest(self) -> None:
        if self._latest is None:
            return
        runner().run(self._latest, self._compare_with, parent=self)

    def _compare_with(self, latest: RevisionRow) -> None:
        self._based_on = latest.number
        self._opened = input_of(latest)
        who = f" by {self._describe_staff(latest.saved_by)}" if self._describe_staff else ""
        lines = compare_plans(
            PlanSnapshot.of_revision(latest), PlanSnapshot.of_input(self.values())
        )
        text = "\n".join(
            [
                f"From revision {latest.number} (saved {format_saved(latest.saved_at)}{who}) "
                "to your unsaved changes",
                "",
                *(lines or ["Your changes and the latest revision are the same."]),
            ]
        )
        if self.comparison is not None:
            self.comparison.deleteLater()
        self.comparison = TextDialog(
            "Your changes compared with the latest revision", text, parent=self
        )
        self.comparison.open()
        self._show_banner(
            f"Revision {latest.number} was saved{who} while you were editing. The comparison "
            "shows what your version would change in it. Save again to keep your version as "
            f"revision {latest.number + 1} (theirs stays in the history), or Cancel to leave "
            "the plan as they saved it."
        )
        self.compare_button.hide()
