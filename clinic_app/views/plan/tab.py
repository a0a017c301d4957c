"""The Plan tab: a client's intervention plan, its editor, revision history and goal progress.

Every save of the plan is a new revision (the service keeps them all); goals keep their
identity (``goal_key``) across revisions so progress ratings follow them. Goals that would
involve the victim must be challenged: the editor will not save such a goal until the
clinician has written a review note (DOMAIN.md section 3).

The tab talks to the services only through the callables in :class:`PlanActions`, so tests
hand it fakes. Dialogs are opened with ``open()`` (never a blocking ``exec()``) and kept on
the tab as attributes, so tests can drive them. The editor is in :mod:`.editor`, the
progress and history dialogs in :mod:`.dialogs`, the table models in :mod:`.models`, and
the words for comparing revisions in :mod:`clinic_app.services.plan_comparison`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from PySide6.QtCore import (
    Qt,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.models.enums import PlanStatus
from clinic_app.services.plan_comparison import (
    PRIVATE_NEVER_SHARED,
    format_saved,
    planned_length,
    review_due,
)
from clinic_app.services.plans import (
    PlanInput,
    ProgressRow,
    RevisionRow,
)
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import fit_to_screen
from clinic_app.views.plan.dialogs import (
    WARNING_STYLE,
    PlanHistoryDialog,
    ProgressDialog,
    action_button,
    buddy_label,
    message_label,
)
from clinic_app.views.plan.editor import PlanEditor
from clinic_app.views.plan.models import (
    GoalColumn,
    GoalLine,
    GoalTableModel,
    InterventionColumn,
    InterventionTableModel,
    read_only_table,
    sorting_proxy,
)
from clinic_app.wording import PHASE_WORDS, PLAN_STATUS_WORDS

LOADING = "Loading the plan…"
FORM_GONE = (
    "A form that was open when the screen locked could not be opened again: what it was "
    "about has changed since."
)

# -- the tab -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanActions:
    """What the Plan tab needs from the services (bind them with ``workspace.bind``).

    ``save_revision(plan_id, data, *, based_on)`` and
    ``rate_goal(plan_id, goal_key, *, rating, rated_on, comment)`` take keyword arguments as
    the services do.
    """

    plans_for_client: Callable[[int], list[RevisionRow]]
    revisions: Callable[[int], list[RevisionRow]]
    goal_progress: Callable[[int], list[ProgressRow]]
    create_plan: Callable[[int, PlanInput], RevisionRow]
    save_revision: Callable[..., RevisionRow]
    rate_goal: Callable[..., None]
    describe_staff: Callable[[int], str]
    today: Callable[[], date] = field(default=date.today)


class PlanTab(RecordPart):
    """The client's intervention plan: its current revision, goals and their progress.

    With no plan it says so and offers to create one. With a plan it shows the current
    revision and offers to revise it, rate progress on a goal, and read its history.

    Signals:
        changed(): the plan or a progress rating was saved; other tabs should refresh.
    """

    def __init__(self, client_id: int, actions: PlanActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self._plans: list[RevisionRow] = []
        self._progress: list[ProgressRow] = []
        self.current: RevisionRow | None = None
        self.editor: PlanEditor | None = None
        self.progress_dialog: ProgressDialog | None = None
        self.history: PlanHistoryDialog | None = None
        self._loading = False
        self._after_load: list[Callable[[], object]] = []
        self.setAccessibleName("Intervention plan")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages)
        self.pages.addWidget(self._build_empty_page())
        self.pages.addWidget(self._build_plan_page())
        self.pages.addWidget(self._build_error_page())
        self.error_message.setText(LOADING)
        self.retry_button.hide()
        self.pages.setCurrentIndex(2)
        self.refresh()

    # -- pages -----------------------------------------------------------------------------------

    def _build_empty_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.empty_message = QLabel("No intervention plan yet.")
        self.empty_message.setAccessibleName("No intervention plan yet.")
        font = self.empty_message.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.empty_message.setFont(font)
        hint = QLabel(
            "The plan holds the formulation, the goals (each with wording partners may read), "
            "the planned interventions and their length, and the review date. Every saved "
            "change is kept as a revision."
        )
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        hint.setAccessibleName("What a plan holds")
        self.create_button = action_button("&Create plan…", "Create plan")
        self.create_button.clicked.connect(self._on_create)
        card = QWidget()
        card.setMaximumWidth(600)
        card_layout = QVBoxLayout(card)
        card_layout.addWidget(self.empty_message, alignment=Qt.AlignmentFlag.AlignHCenter)
        card_layout.addWidget(hint)
        card_layout.addWidget(self.create_button, alignment=Qt.AlignmentFlag.AlignHCenter)
        row = QHBoxLayout()  # centred, up to 600 pixels wide, so the hint wraps readably
        row.addStretch(1)
        row.addWidget(card, stretch=10)
        row.addStretch(1)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

    def _build_error_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.error_message = message_label("The plan could not be shown")
        retry = action_button("Try &again")
        retry.clicked.connect(self.refresh)
        self.retry_button = retry
        layout.addStretch()
        self.error_message.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.error_message)
        layout.addWidget(retry, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        return page

    def _build_plan_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)

        top = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setAccessibleName("Plan revision")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.heading, stretch=1)
        self.plan_choice = QComboBox()
        self.plan_choice.setAccessibleName("Which plan")
        self.plan_choice_label = buddy_label("P&lan", self.plan_choice)
        self.plan_choice.currentIndexChanged.connect(self._on_plan_chosen)
        top.addWidget(self.plan_choice_label)
        top.addWidget(self.plan_choice)
        layout.addLayout(top)

        buttons = QHBoxLayout()
        self.revise_button = action_button("&Revise plan…", "Revise plan")
        self.revise_button.clicked.connect(self._on_revise)
        self.rate_button = action_button("Rate &progress…", "Rate progress")
        self.rate_button.clicked.connect(self._on_rate)
        self.history_button = action_button("&History…", "History")
        self.history_button.clicked.connect(self._on_history)
        self.new_plan_button = action_button("Start a &new plan…", "Start a new plan")
        self.new_plan_button.clicked.connect(self._on_create)
        for button in (
            self.revise_button,
            self.rate_button,
            self.history_button,
            self.new_plan_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch()
        layout.addLayout(buttons)

        self.review_warning = message_label("Goals needing review", WARNING_STYLE)
        self.review_warning.setFrameShape(QFrame.Shape.Box)
        self.review_warning.setMargin(6)
        layout.addWidget(self.review_warning)

        summary = QHBoxLayout()
        form = QFormLayout()
        self.status_value = self._value_label("Status")
        self.phase_value = self._value_label("Phase")
        self.length_value = self._value_label("Planned length")
        self.review_value = self._value_label("Next review")
        self.change_value = self._value_label("What changed in this revision")
        for title, value in (
            ("Status", self.status_value),
            ("Phase", self.phase_value),
            ("Planned length", self.length_value),
            ("Next review", self.review_value),
            ("What changed", self.change_value),
        ):
            form.addRow(buddy_label(title, value), value)
        summary.addLayout(form, stretch=2)
        formulation_box = QGroupBox(f"Formulation — {PRIVATE_NEVER_SHARED}")
        formulation_box.setAccessibleName(f"Formulation ({PRIVATE_NEVER_SHARED.lower()})")
        box_layout = QVBoxLayout(formulation_box)
        self.formulation = QPlainTextEdit()
        self.formulation.setReadOnly(True)
        self.formulation.setTabChangesFocus(True)
        self.formulation.setAccessibleName(f"Formulation ({PRIVATE_NEVER_SHARED.lower()})")
        box_layout.addWidget(self.formulation)
        summary.addWidget(formulation_box, stretch=3)
        lines = self.formulation.fontMetrics().lineSpacing()
        self.formulation.setMaximumHeight(lines * 7 + 12)
        layout.addLayout(summary)

        goals_box = QGroupBox("Goals")
        goals_box.setAccessibleName("Goals")
        goals_layout = QVBoxLayout(goals_box)
        self.goal_model = GoalTableModel(self)
        self.goal_proxy = sorting_proxy(self.goal_model, self)
        self.goal_table = read_only_table("Goals", self.goal_proxy)
        header = self.goal_table.horizontalHeader()
        header.setSectionResizeMode(GoalColumn.PARTNER_WORDING, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(GoalColumn.PRIVATE_DETAIL, QHeaderView.ResizeMode.Stretch)
        for column in (GoalColumn.INVOLVES_VICTIM, GoalColumn.PROGRESS, GoalColumn.RATED_ON):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.goal_table.doubleClicked.connect(self._on_rate)
        # Wrapped text needs rows as tall as their content at the columns' final widths.
        self.goal_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.no_goals = QLabel("No goals yet. Revise the plan to add them.")
        self.no_goals.setAccessibleName("No goals yet")
        goals_layout.addWidget(self.goal_table)
        goals_layout.addWidget(self.no_goals)
        layout.addWidget(goals_box, stretch=4)

        interventions_box = QGroupBox("Planned interventions")
        interventions_box.setAccessibleName("Planned interventions")
        interventions_layout = QVBoxLayout(interventions_box)
        self.intervention_model = InterventionTableModel(self)
        self.intervention_proxy = sorting_proxy(self.intervention_model, self)
        self.intervention_table = read_only_table("Planned interventions", self.intervention_proxy)
        self.intervention_table.horizontalHeader().setSectionResizeMode(
            InterventionColumn.KIND, QHeaderView.ResizeMode.ResizeToContents
        )
        self.intervention_table.horizontalHeader().setStretchLastSection(True)
        self.intervention_table.setWordWrap(False)
        self.no_interventions = QLabel("No interventions planned yet.")
        self.no_interventions.setAccessibleName("No interventions planned yet")
        interventions_layout.addWidget(self.intervention_table)
        interventions_layout.addWidget(self.no_interventions)
        layout.addWidget(interventions_box)
        return page

    def _fit_interventions(self) -> None:
        """Make the interventions table as tall as its rows (up to six), not a fixed box."""
        view = self.intervention_table
        rows = min(max(self.intervention_model.rowCount(), 1), 6)
        height = (
            view.horizontalHeader().sizeHint().height()
            + rows * view.verticalHeader().defaultSectionSize()
            + 2 * view.frameWidth()
        )
        view.setFixedHeight(height)

    @staticmethod
    def _value_label(name: str) -> QLabel:
        label = QLabel()
        label.setAccessibleName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    # -- loading ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the client's plans and the shown plan's progress ratings (on the runner)."""
        keep = self.current.plan_id if self.current else None
        plans_for_client = self._actions.plans_for_client
        goal_progress = self._actions.goal_progress
        client_id = self.client_id

        def read() -> tuple[list[RevisionRow], RevisionRow | None, list[ProgressRow]]:
            plans = plans_for_client(client_id)
            if not plans:
                return plans, None, []
            chosen = next((p for p in plans if p.plan_id == keep), plans[-1])
            return plans, chosen, goal_progress(chosen.plan_id)

        self._loading = True
        runner().run(
            read, self._on_loaded, key=f"plan:{client_id}", parent=self, failed=self._on_failed
        )

    def when_loaded(self, then: Callable[[], object]) -> None:
        """Run ``then`` once the plans asked for last have arrived (at once if they have)."""
        if self._loading:
            self._after_load.append(then)
        else:
            then()

    def _on_loaded(
        self, loaded: tuple[list[RevisionRow], RevisionRow | None, list[ProgressRow]]
    ) -> None:
        self._loading = False
        self._plans, chosen, progress = loaded
        if chosen is None:
            self.current = None
            self._progress = []
            self.pages.setCurrentIndex(0)
        else:
            self._show_plan_choice(chosen)
            self._show(chosen, progress)
        waiting, self._after_load = self._after_load, []
        for then in waiting:
            then()

    def _on_failed(self, error: ClinicError) -> None:
        self._loading = False
        self._after_load.clear()
        self.error_message.setText(f"The plan could not be shown. {error.message}")
        self.retry_button.show()
        self.pages.setCurrentIndex(2)

    def _show_plan_choice(self, chosen: RevisionRow) -> None:
        self.plan_choice.blockSignals(True)
        self.plan_choice.clear()
        for i, plan in enumerate(self._plans, start=1):
            self.plan_choice.addItem(f"Plan {i} ({PLAN_STATUS_WORDS[plan.status]})", plan.plan_id)
        self.plan_choice.setCurrentIndex(self.plan_choice.findData(chosen.plan_id))
        self.plan_choice.blockSignals(False)
        several = len(self._plans) > 1
        self.plan_choice.setVisible(several)
        self.plan_choice_label.setVisible(several)

    def _on_plan_chosen(self) -> None:
        plan_id = self.plan_choice.currentData()
        chosen = next((p for p in self._plans if p.plan_id == plan_id), None)
        if chosen is None:
            return
        goal_progress = self._actions.goal_progress
        runner().run(
            lambda: goal_progress(chosen.plan_id),
            lambda progress: self._show(chosen, progress),
            key=f"plan-progress:{self.client_id}",
            parent=self,
            failed=self._on_failed,
        )

    def _show(self, plan: RevisionRow, progress: list[ProgressRow]) -> None:
        self._progress = progress
        self.current = plan
        today = self._actions.today()
        self.heading.setText(
            f"<b>Intervention plan</b> — revision {plan.number}, saved "
            f"{format_saved(plan.saved_at)} by {self._actions.describe_staff(plan.saved_by)}"
        )
        self.status_value.setText(PLAN_STATUS_WORDS[plan.status])
        self.phase_value.setText(PHASE_WORDS[plan.phase])
        self.length_value.setText(planned_length(plan.planned_sessions, plan.planned_weeks))
        review, overdue = review_due(plan.next_review_on, today)
        self.review_value.setText(review)
        self.review_value.setStyleSheet(WARNING_STYLE if overdue else "")
        self.review_value.setAccessibleDescription("Overdue" if overdue else "")
        note = plan.change_note.strip()
        self.change_value.setText(
            note or ("First revision of the plan." if plan.number == 1 else "(no note)")
        )
        self.formulation.setPlainText(plan.formulation or "No formulation written yet.")

        latest: dict[str, ProgressRow] = {}
        for rating in self._progress:  # oldest first, so the last one seen is the latest
            latest[rating.goal_key] = rating
        self.goal_model.reset_items([GoalLine(g, latest.get(g.goal_key)) for g in plan.goals])
        self.goal_table.setVisible(bool(plan.goals))
        self.no_goals.setVisible(not plan.goals)
        self.intervention_model.reset_items(plan.interventions)
        self._fit_interventions()
        self.intervention_table.setVisible(bool(plan.interventions))
        self.no_interventions.setVisible(not plan.interventions)

        waiting = len(plan.goals_needing_review)
        if waiting:
            positions = [
                str(i)
                for i, g in enumerate(plan.goals, start=1)
                if g.goal_key in plan.goals_needing_review
            ]
            which = (
                f"Goal {positions[0]} would"
                if waiting == 1
                else f"Goals {', '.join(positions)} would each"
            )
            self.review_warning.setText(
                f"NEEDS REVIEW: {which} involve the victim and "
                f"{'has' if waiting == 1 else 'have'} no review note. Goals involving the "
                "victim must be challenged with the victim advocate's view and the victim's "
                "wishes. Use “Revise plan” to write the review note."
            )
        self.review_warning.setVisible(bool(waiting))
        self.rate_button.setVisible(bool(plan.goals))
        self.new_plan_button.setVisible(plan.status in (PlanStatus.COMPLETED, PlanStatus.WITHDRAWN))
        self.pages.setCurrentIndex(1)

    # -- actions ---------------------------------------------------------------------------------

    def _on_create(self) -> None:
        client_id = self.client_id
        create = self._actions.create_plan
        self._open_editor(
            PlanEditor(
                lambda data, _based_on: create(client_id, data),
                current=None,
                today=self._actions.today(),
                describe_staff=self._actions.describe_staff,
                parent=self,
            ),
            "create",
            {},
        )

    def _on_revise(self) -> None:
        current = self.current
        if current is None:
            return
        plan_id = current.plan_id
        save = self._actions.save_revision
        revisions = self._actions.revisions
        self._open_editor(
            PlanEditor(
                lambda data, based_on: save(plan_id, data, based_on=based_on),
                current=current,
                today=self._actions.today(),
                latest=lambda: revisions(plan_id)[-1],
                describe_staff=self._actions.describe_staff,
                parent=self,
            ),
            "revise",
            {"plan_id": plan_id},
        )

    def _open_editor(self, editor: PlanEditor, form: str, params: dict[str, Any]) -> None:
        if self.editor is not None:
            self.editor.deleteLater()
        self.editor = editor
        remember_form(
            editor,
            client_id=self.client_id,
            tab="Plan",
            form=form,
            params=params,
            state=editor.draft_state,
        )
        editor.saved.connect(self._on_saved)
        editor.setWindowModality(Qt.WindowModality.WindowModal)
        editor.open()

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be.

        While the plan is loading the form opens when it arrives (or the user is told that
        it cannot be opened again)."""
        if form not in ("create", "revise", "rate"):
            return False
        if self._loading:

            def reopen() -> None:
                if not self._reopen_form(form, params, state):
                    feedback.show_error(self, ClinicError(FORM_GONE))

            self.when_loaded(reopen)
            return True
        return self._reopen_form(form, params, state)

    def _reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        if form == "create":
            self._on_create()
        elif form == "revise":
            if self.current is None or self.current.plan_id != params.get("plan_id"):
                return False
            self._on_revise()
        elif form == "rate":
            self._on_rate()
            if self.progress_dialog is None:
                return False
            restore_input_state(self.progress_dialog, state)
            return True
        else:
            return False
        if self.editor is None:
            return False
        self.editor.restore_draft_state(state)
        return True

    def _on_saved(self, row: RevisionRow) -> None:
        self.current = row
        self.refresh()
        self.changed.emit()

    def _on_rate(self) -> None:
        current = self.current
        if current is None or not current.goals:
            return
        plan_id = current.plan_id
        rate_goal = self._actions.rate_goal
        selected = self.goal_table.selectionModel().currentIndex()
        goal_key = (
            self.goal_model.item(self.goal_proxy.mapToSource(selected).row()).goal.goal_key
            if selected.isValid()
            else None
        )
        if self.progress_dialog is not None:
            self.progress_dialog.deleteLater()
        dialog = ProgressDialog(
            current.goals,
            self._progress,
            lambda key, rating, on, comment: rate_goal(
                plan_id, key, rating=rating, rated_on=on, comment=comment
            ),
            today=self._actions.today(),
            goal_key=goal_key,
            parent=self,
        )
        self.progress_dialog = dialog
        remember_form(dialog, client_id=self.client_id, tab="Plan", form="rate")
        dialog.rated.connect(self._on_rated)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()

    def _on_rated(self) -> None:
        self.refresh()
        self.changed.emit()

    def _on_history(self) -> None:
        current = self.current
        if current is None:
            return
        plan_id, revisions = current.plan_id, self._actions.revisions
        runner().run(lambda: revisions(plan_id), self._show_history, parent=self)

    def _show_history(self, rows: list[RevisionRow]) -> None:
        if self.history is not None:
            self.history.deleteLater()
        self.history = PlanHistoryDialog(rows, self._actions.describe_staff, parent=self)
        fit_to_screen(self.history)
        self.history.show()
