"""The Plan tab, its editor, progress rating and history, driven with fake actions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QSpinBox,
    QTableView,
    QWidget,
)

from clinic_app.errors import AccessDenied, ConflictError, Problem, ValidationError
from clinic_app.models.enums import InterventionKind, Phase, PlanStatus
from clinic_app.services.plan_comparison import (
    VICTIM_NEEDS_REVIEW,
    VICTIM_NO,
    VICTIM_REVIEWED,
)
from clinic_app.services.plans import (
    GoalInput,
    GoalRow,
    PlanInput,
    ProgressRow,
    RevisionRow,
)
from clinic_app.views.plan.dialogs import PlanHistoryDialog
from clinic_app.views.plan.editor import PlanEditor
from clinic_app.views.plan.models import (
    GoalColumn,
    GoalLine,
    GoalTableModel,
    InterventionTableModel,
    RevisionTableModel,
)
from clinic_app.views.plan.tab import PlanActions, PlanTab

CLIENT = 41
PLAN_ID = 7
TODAY = date(2026, 3, 12)
STAFF = {2: "Dr Amira Jones", 3: "Sam Patel"}

ROUTINE = GoalRow("g2", "Weekly routine: job centre, football.", "Build a routine", False, "")
THOUGHTS = GoalRow(
    "g1", "Reduce rumination with thought records.", "Manage unhelpful thoughts", False, ""
)
APOLOGY = GoalRow(
    "g3", "Write a letter of apology to the victim.", "Explore responsibility", True, ""
)
CONTACT = GoalRow(
    "g4",
    "No contact; discuss the wish to explain himself.",
    "Keep to the conditions",
    True,
    "Reviewed with the victim advocate: the victim wants no contact of any kind.",
)

REVISION_1 = RevisionRow(
    plan_id=PLAN_ID,
    client_id=CLIENT,
    number=1,
    status=PlanStatus.DRAFT,
    phase=Phase.ASSESSMENT,
    formulation="Rejected after a long relationship. Entitlement and shame.",
    planned_sessions=None,
    planned_weeks=None,
    next_review_on=None,
    change_note="",
    saved_at=datetime(2026, 1, 20, 10, 5, tzinfo=UTC),
    saved_by=2,
    goals=(THOUGHTS, ROUTINE),
    interventions=((InterventionKind.MOTIVATIONAL_INTERVIEWING, "Engagement"),),
)
REVISION_2 = RevisionRow(
    plan_id=PLAN_ID,
    client_id=CLIENT,
    number=2,
    status=PlanStatus.ACTIVE,
    phase=Phase.INTERVENTION,
    formulation=(
        "Rejected after a long relationship. Entitlement and shame underpin the pursuit. "
        "Alcohol lowers restraint."
    ),
    planned_sessions=12,
    planned_weeks=16,
    next_review_on=date(2026, 3, 2),
    change_note="Active after the panel meeting.",
    saved_at=datetime(2026, 2, 12, 14, 5, tzinfo=UTC),
    saved_by=3,
    goals=(THOUGHTS, APOLOGY, CONTACT),
    interventions=(
        (InterventionKind.CBT, "Weekly"),
        (InterventionKind.VICTIM_EMPATHY, ""),
    ),
    goals_needing_review=("g3",),
)
PROGRESS = [
    ProgressRow(PLAN_ID, "g1", date(2026, 2, 16), 3, "", 3, datetime(2026, 2, 16, tzinfo=UTC)),
    ProgressRow(PLAN_ID, "g1", date(2026, 3, 9), 5, "Better.", 3, datetime(2026, 3, 9, tzinfo=UTC)),
]


def revision_from(data: PlanInput, *, plan_id: int, number: int) -> RevisionRow:
    goals = tuple(
        GoalRow(
            g.goal_key or f"new{i}",
            g.private_detail,
            g.partner_wording,
            g.involves_victim,
            g.victim_review_note,
        )
        for i, g in enumerate(data.goals)
    )
    return RevisionRow(
        plan_id=plan_id,
        client_id=CLIENT,
        number=number,
        status=data.status,
        phase=data.phase,
        formulation=data.formulation,
        planned_sessions=data.planned_sessions,
        planned_weeks=data.planned_weeks,
        next_review_on=data.next_review_on,
        change_note=data.change_note,
        saved_at=datetime(2026, 3, 12, 9, 0, tzinfo=UTC),
        saved_by=2,
        goals=goals,
        interventions=tuple((i.kind, i.detail) for i in data.interventions),
        goals_needing_review=tuple(
            g.goal_key for g in goals if g.involves_victim and not g.victim_review_note.strip()
        ),
    )


class FakePlans:
    """Stands in for the plan services; records every call the tab makes."""

    def __init__(
        self,
        plans: list[RevisionRow] | None = None,
        history: list[RevisionRow] | None = None,
        progress: list[ProgressRow] | None = None,
    ) -> None:
        self.plans = list(plans or [])
        self.history = list(history or self.plans)
        self.progress = list(progress or [])
        self.created: list[tuple[int, PlanInput]] = []
        self.saved: list[tuple[int, PlanInput, int]] = []
        self.rated: list[dict[str, object]] = []
        self.save_errors: list[Exception] = []
        self.rate_errors: list[Exception] = []
        self.load_error: Exception | None = None

    def plans_for_client(self, client_id: int) -> list[RevisionRow]:
        assert client_id == CLIENT
        if self.load_error is not None:
            raise self.load_error
        return list(self.plans)

    def revisions(self, plan_id: int) -> list[RevisionRow]:
        return [r for r in self.history if r.plan_id == plan_id]

    def goal_progress(self, plan_id: int) -> list[ProgressRow]:
        return [p for p in self.progress if p.plan_id == plan_id]

    def create_plan(self, client_id: int, data: PlanInput) -> RevisionRow:
        self.created.append((client_id, data))
        row = revision_from(data, plan_id=PLAN_ID, number=1)
        self.plans, self.history = [row], [row]
        return row

    def save_revision(self, plan_id: int, data: PlanInput, *, based_on: int) -> RevisionRow:
        if self.save_errors:
            raise self.save_errors.pop(0)
        self.saved.append((plan_id, data, based_on))
        row = revision_from(data, plan_id=plan_id, number=based_on + 1)
        self.plans = [row]
        self.history.append(row)
        return row

    def rate_goal(
        self, plan_id: int, goal_key: str, *, rating: int, rated_on: date, comment: str = ""
    ) -> None:
        if self.rate_errors:
            raise self.rate_errors.pop(0)
        self.rated.append(
            {
                "plan_id": plan_id,
                "goal_key": goal_key,
                "rating": rating,
                "rated_on": rated_on,
                "comment": comment,
            }
        )
        self.progress.append(
            ProgressRow(plan_id, goal_key, rated_on, rating, comment, 2, datetime.now(UTC))
        )

    def actions(self) -> PlanActions:
        return PlanActions(
            plans_for_client=self.plans_for_client,
            revisions=self.revisions,
            goal_progress=self.goal_progress,
            create_plan=self.create_plan,
            save_revision=self.save_revision,
            rate_goal=self.rate_goal,
            describe_staff=lambda staff_id: STAFF.get(staff_id, "a former member of staff"),
            today=lambda: TODAY,
        )


@pytest.fixture
def fake() -> FakePlans:
    return FakePlans([REVISION_2], [REVISION_1, REVISION_2], PROGRESS)


@pytest.fixture
def tab(qtbot, fake: FakePlans) -> PlanTab:
    widget = PlanTab(CLIENT, fake.actions())
    qtbot.addWidget(widget)
    widget.show()
    return widget


def goal_cells(tab: PlanTab, column: GoalColumn) -> list[str]:
    model = tab.goal_proxy
    return [model.index(row, column).data() for row in range(model.rowCount())]


def button(widget: QWidget, name: str) -> QAbstractButton:
    (found,) = [b for b in widget.findChildren(QAbstractButton) if b.accessibleName() == name]
    return found


def open_editor(tab: PlanTab) -> PlanEditor:
    tab.revise_button.click()
    assert tab.editor is not None
    assert tab.editor.isVisible()
    return tab.editor


# -- the empty state and creating a plan --------------------------------------------------------


def test_without_a_plan_it_says_so_and_offers_to_create_one(qtbot):
    fake = FakePlans()
    tab = PlanTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    tab.show()
    assert tab.pages.currentIndex() == 0
    assert tab.empty_message.text() == "No intervention plan yet."
    assert tab.create_button.isVisible()
    assert tab.create_button.text() == "&Create plan…"
    assert not tab.revise_button.isVisible()  # no dead buttons on a page not shown


def test_creating_a_plan_saves_the_editor_values_and_shows_the_plan(qtbot):
    fake = FakePlans()
    tab = PlanTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    tab.show()
    tab.create_button.click()
    editor = tab.editor
    assert editor is not None and editor.isVisible()
    assert not editor.goal_cards  # starts empty, saying so
    assert editor.no_goals.isVisible()
    editor.status.setCurrentIndex(editor.status.findData(PlanStatus.ACTIVE))
    editor.phase.setCurrentIndex(editor.phase.findData(Phase.ENGAGEMENT))
    editor.formulation.setPlainText("Private formulation.")
    editor.planned_sessions.setValue(10)
    card = editor.add_goal()
    card.partner_wording.setPlainText("Manage unhelpful thoughts")
    card.private_detail.setPlainText("Thought records for rumination.")
    line = editor.add_intervention()
    line.kind.setCurrentIndex(line.kind.findData(InterventionKind.DBT_SKILLS))
    line.detail.setText("Distress tolerance")

    with qtbot.waitSignal(tab.changed):
        editor.save_button.click()

    assert len(fake.created) == 1
    client_id, data = fake.created[0]
    assert client_id == CLIENT
    assert data.status is PlanStatus.ACTIVE
    assert data.phase is Phase.ENGAGEMENT
    assert data.formulation == "Private formulation."
    assert (data.planned_sessions, data.planned_weeks, data.next_review_on) == (10, None, None)
    assert data.goals == (
        GoalInput("Thought records for rumination.", "Manage unhelpful thoughts", False, ""),
    )
    assert [(i.kind, i.detail) for i in data.interventions] == [
        (InterventionKind.DBT_SKILLS, "Distress tolerance")
    ]
    assert not editor.isVisible()
    assert tab.pages.currentIndex() == 1
    assert "revision 1" in tab.heading.text()


# -- showing the plan ----------------------------------------------------------------------------


def test_the_current_revision_is_shown_in_words(tab: PlanTab):
    assert tab.pages.currentIndex() == 1
    heading = tab.heading.text()
    assert "revision 2" in heading
    assert "12 February 2026" in heading
    assert "Sam Patel" in heading  # the staff id is described, never shown
    assert tab.status_value.text() == "Active"
    assert tab.phase_value.text() == "Intervention"
    assert tab.length_value.text() == "12 sessions over 16 weeks"
    assert tab.review_value.text() == "2 March 2026 — overdue by 10 days"
    box = tab.formulation.parentWidget()
    assert isinstance(box, QGroupBox)
    assert "Private: never shared" in box.title()
    assert "Alcohol lowers restraint." in tab.formulation.toPlainText()
    assert tab.change_value.text() == "Active after the panel meeting."


def test_goals_table_shows_wording_detail_victim_review_and_latest_progress(tab: PlanTab):
    assert goal_cells(tab, GoalColumn.PARTNER_WORDING) == [
        "Manage unhelpful thoughts",
        "Explore responsibility",
        "Keep to the conditions",
    ]
    assert goal_cells(tab, GoalColumn.PRIVATE_DETAIL)[1] == APOLOGY.private_detail
    assert goal_cells(tab, GoalColumn.INVOLVES_VICTIM) == [
        VICTIM_NO,
        VICTIM_NEEDS_REVIEW,
        VICTIM_REVIEWED,
    ]
    assert goal_cells(tab, GoalColumn.PROGRESS) == ["5 / 10", "Not rated yet", "Not rated yet"]
    assert goal_cells(tab, GoalColumn.RATED_ON) == ["9 March 2026", "", ""]


def test_a_goal_involving_the_victim_without_review_is_flagged_in_words(tab: PlanTab):
    assert tab.review_warning.isVisible()
    assert "NEEDS REVIEW" in tab.review_warning.text()
    assert "Goal 2" in tab.review_warning.text()
    # Colour reinforces the words but never replaces them.
    index = tab.goal_proxy.index(1, GoalColumn.INVOLVES_VICTIM)
    assert index.data() == "Yes — NEEDS REVIEW"
    assert index.data(Qt.ItemDataRole.FontRole).bold()


def test_planned_interventions_are_in_plain_words(tab: PlanTab):
    model = tab.intervention_proxy
    kinds = [model.index(row, 0).data() for row in range(model.rowCount())]
    assert kinds == ["Cognitive behavioural therapy", "Victim empathy work"]
    assert not tab.no_interventions.isVisible()


def test_a_plan_without_goals_or_interventions_says_so(qtbot):
    bare = replace(REVISION_1, goals=(), interventions=())
    tab = PlanTab(CLIENT, FakePlans([bare]).actions())
    qtbot.addWidget(tab)
    tab.show()
    assert tab.no_goals.isVisible()
    assert not tab.goal_table.isVisible()
    assert tab.no_interventions.isVisible()
    assert not tab.rate_button.isVisible()  # nothing to rate: the button is not there
    assert tab.length_value.text() == "Case by case (no set length)"
    assert tab.review_value.text() == "No review date set"
    assert not tab.review_warning.isVisible()


def test_a_finished_plan_offers_a_new_plan(qtbot):
    done = replace(REVISION_2, status=PlanStatus.COMPLETED)
    fake = FakePlans([done])
    tab = PlanTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    tab.show()
    assert tab.new_plan_button.isVisible()
    tab.new_plan_button.click()
    assert tab.editor is not None and tab.editor.based_on == 0
    assert "Create" in tab.editor.windowTitle()


def test_an_active_plan_offers_no_new_plan(tab: PlanTab):
    assert not tab.new_plan_button.isVisible()


def test_with_several_plans_the_latest_is_shown_and_others_can_be_chosen(qtbot):
    old = replace(REVISION_1, plan_id=3, status=PlanStatus.WITHDRAWN)
    fake = FakePlans([old, REVISION_2], [old, REVISION_1, REVISION_2])
    tab = PlanTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    tab.show()
    assert tab.plan_choice.isVisible()
    assert tab.current is not None and tab.current.plan_id == PLAN_ID
    tab.plan_choice.setCurrentIndex(0)
    assert tab.current.plan_id == 3
    assert tab.status_value.text() == "Withdrawn"
    tab.refresh()
    assert tab.current.plan_id == 3  # a refresh keeps the plan being read


def test_a_plan_that_cannot_be_loaded_shows_the_reason_and_a_retry(qtbot):
    fake = FakePlans([REVISION_2])
    fake.load_error = AccessDenied("Administrators do not read clinical records.")
    tab = PlanTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    tab.show()
    assert tab.pages.currentIndex() == 2
    assert "Administrators do not read clinical records." in tab.error_message.text()
    fake.load_error = None
    tab.refresh()
    assert tab.pages.currentIndex() == 1


# -- revising ------------------------------------------------------------------------------------


def test_the_editor_opens_prefilled_with_the_current_revision(tab: PlanTab):
    editor = open_editor(tab)
    assert editor.based_on == 2
    assert editor.status.currentData() == PlanStatus.ACTIVE
    assert editor.phase.currentData() == Phase.INTERVENTION
    assert editor.formulation.toPlainText() == REVISION_2.formulation
    assert editor.planned_sessions.value() == 12
    assert editor.planned_weeks.value() == 16
    assert editor.review_set.isChecked()
    assert editor.next_review_on.date() == QDate(2026, 3, 2)
    assert [c.partner_wording.toPlainText() for c in editor.goal_cards] == [
        "Manage unhelpful thoughts",
        "Explore responsibility",
        "Keep to the conditions",
    ]
    assert editor.goal_cards[2].victim_review_note.toPlainText() == CONTACT.victim_review_note
    assert [line.kind.currentData() for line in editor.intervention_lines] == [
        InterventionKind.CBT,
        InterventionKind.VICTIM_EMPATHY,
    ]
    assert editor.change_note.toPlainText() == ""  # a new note for the new revision


def test_revising_saves_a_new_revision_based_on_the_current_one(qtbot, tab, fake):
    editor = open_editor(tab)
    editor.status.setCurrentIndex(editor.status.findData(PlanStatus.UNDER_REVIEW))
    editor.formulation.setPlainText("Revised formulation.")
    editor.planned_weeks.setValue(0)  # back to "Not set"
    editor.review_set.setChecked(False)
    editor.change_note.setPlainText("Reviewed at the panel.")
    editor.goal_cards[1].victim_review_note.setPlainText("Advocate says no letters.")
    with qtbot.waitSignal(tab.changed):
        editor.save_button.click()
    (plan_id, data, based_on) = fake.saved[0]
    assert (plan_id, based_on) == (PLAN_ID, 2)
    assert data.status is PlanStatus.UNDER_REVIEW
    assert data.formulation == "Revised formulation."
    assert (data.planned_sessions, data.planned_weeks, data.next_review_on) == (12, None, None)
    assert data.change_note == "Reviewed at the panel."
    assert data.goals[1].victim_review_note == "Advocate says no letters."
    assert "revision 3" in tab.heading.text()
    assert not tab.review_warning.isVisible()


def test_goals_keep_their_identity_new_ones_have_none(qtbot, tab, fake):
    editor = open_editor(tab)
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    new = editor.add_goal()
    new.partner_wording.setPlainText("Find work")
    new.private_detail.setPlainText("Job centre weekly.")
    button(editor, "Move goal 1 down").click()  # reorder: goal 1 becomes goal 2
    button(editor, "Remove goal 3").click()  # drop "Keep to the conditions"
    with qtbot.waitSignal(tab.changed):
        editor.save_button.click()
    data = fake.saved[0][1]
    assert [g.goal_key for g in data.goals] == ["g3", "g1", None]
    assert [g.partner_wording for g in data.goals] == [
        "Explore responsibility",
        "Manage unhelpful thoughts",
        "Find work",
    ]


def test_reordering_keeps_the_text_typed_so_far(tab: PlanTab):
    editor = open_editor(tab)
    editor.goal_cards[0].private_detail.setPlainText("Typed but not saved.")
    button(editor, "Move goal 1 down").click()
    assert editor.goal_cards[1].private_detail.toPlainText() == "Typed but not saved."
    assert editor.goal_cards[1].title() == "Goal 2"
    button(editor, "Move goal 2 up").click()
    assert editor.goal_cards[0].private_detail.toPlainText() == "Typed but not saved."


def test_interventions_can_be_added_and_removed(qtbot, tab, fake):
    editor = open_editor(tab)
    button(editor, "Remove intervention 1").click()
    line = editor.add_intervention()
    line.kind.setCurrentIndex(line.kind.findData(InterventionKind.PRACTICAL_SUPPORT))
    line.detail.setText("Housing")
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    editor.save_button.click()
    data = fake.saved[0][1]
    assert [(i.kind, i.detail) for i in data.interventions] == [
        (InterventionKind.VICTIM_EMPATHY, ""),
        (InterventionKind.PRACTICAL_SUPPORT, "Housing"),
    ]


# -- the victim prompt ---------------------------------------------------------------------------


def test_victim_prompt_blocks_saving_until_a_review_note_is_given(qtbot, tab, fake):
    editor = open_editor(tab)
    card = editor.goal_cards[1]  # "Explore responsibility": involves the victim, no note
    assert card.involves_victim.isChecked()
    assert card.review_state.isVisible()  # flagged in the editor before saving, in words

    editor.save_plan()  # refused: the form stays open
    assert editor.result() != QDialog.DialogCode.Accepted
    assert fake.saved == []
    prompt = editor.victim_prompt
    assert prompt is not None and prompt.isVisible()
    words = f"{prompt.text()} {prompt.informativeText()}"
    assert "Goal 2" in words
    assert "victim advocate" in words
    assert "apology letters" in words
    assert "review note" in words
    assert editor.isVisible()

    prompt.buttons()[0].click()  # "Review the goal"
    assert not prompt.isVisible()
    labels = [
        label
        for label in editor.findChildren(QLabel)
        if label.accessibleName() == "Problem with Goal 2: victim review note"
    ]
    assert labels and labels[0].isVisible()
    assert "review note" in labels[0].text()

    card = editor.goal_cards[1]
    card.victim_review_note.setPlainText(
        "Challenged: the victim advocate says the victim wants no letter. Goal reworded."
    )
    assert not card.review_state.isVisible()
    with qtbot.waitSignal(tab.changed):
        editor.save_plan()
    assert editor.result() == QDialog.DialogCode.Accepted
    assert fake.saved[0][1].goals[1].victim_review_note.startswith("Challenged")


def test_a_newly_ticked_victim_goal_is_also_challenged(tab: PlanTab, fake: FakePlans):
    editor = open_editor(tab)
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    editor.goal_cards[0].involves_victim.setChecked(True)
    assert editor.goal_cards[0].review_box.isVisibleTo(editor)
    editor.save_button.click()
    assert fake.saved == []
    assert editor.victim_prompt is not None
    assert "Goal 1 " in editor.victim_prompt.text()
    editor.victim_prompt.buttons()[0].click()


# -- validation and conflicts --------------------------------------------------------------------


def test_validation_problems_appear_beside_their_fields(tab: PlanTab, fake: FakePlans):
    fake.save_errors.append(
        ValidationError(
            [
                Problem("goals[1].partner_wording", "Goal 1's partner wording is required."),
                Problem("planned_sessions", "The planned length is a number from 1 to 520."),
                Problem("interventions[2].detail", "The intervention detail is too long."),
                Problem("goals", "The same goal appears twice."),
            ]
        )
    )
    editor = open_editor(tab)
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    editor.goal_cards[0].partner_wording.setPlainText("")
    editor.save_plan()  # refused: the form stays open
    assert editor.result() != QDialog.DialogCode.Accepted
    assert editor.isVisible()

    def problem_under(name: str) -> QLabel:
        (label,) = [
            label
            for label in editor.findChildren(QLabel)
            if label.accessibleName() == f"Problem with {name}"
        ]
        return label

    assert problem_under("Goal 1: partner wording").text() == (
        "Goal 1's partner wording is required."
    )
    assert problem_under("Goal 1: partner wording").isVisible()
    assert problem_under("Planned sessions").isVisible()
    assert problem_under("Intervention 2: detail").isVisible()
    assert problem_under("Add goal").text() == "The same goal appears twice."
    assert (
        editor.goal_cards[0].partner_wording.accessibleDescription()
        == "Goal 1's partner wording is required."
    )
    assert not editor.banner.isVisible()  # every problem had a field to sit under


def test_problems_without_a_field_are_listed_at_the_top(tab: PlanTab, fake: FakePlans):
    fake.save_errors.append(ValidationError("A goal does not belong to this plan.", where="x"))
    editor = open_editor(tab)
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    editor.save_plan()
    assert editor.banner.isVisible()
    assert "A goal does not belong to this plan." in editor.banner.text()


def test_a_conflict_is_shown_and_the_clinicians_text_is_kept(qtbot, tab, fake):
    fake.save_errors.append(
        ConflictError("The plan was revised by someone else (revision 3) while you edited.")
    )
    newer = replace(REVISION_2, number=3, formulation="Their formulation.", saved_by=2)
    fake.history.append(newer)
    editor = open_editor(tab)
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    editor.formulation.setPlainText("My careful formulation.")
    editor.save_plan()  # refused: the form stays open
    assert editor.result() != QDialog.DialogCode.Accepted
    assert editor.isVisible()
    assert "revised by someone else" in editor.banner.text()
    assert editor.banner.isVisible()
    assert editor.formulation.toPlainText() == "My careful formulation."
    assert editor.goal_cards[1].victim_review_note.toPlainText() == "Reviewed."

    assert editor.compare_button.isVisible()
    editor.compare_button.click()
    assert editor.comparison is not None and editor.comparison.isVisible()
    shown = editor.comparison.text.toPlainText()
    assert "From revision 3" in shown
    assert "Removed: “Their formulation.”" in shown or "“Their formulation.” →" in shown
    assert editor.based_on == 3
    editor.comparison.reject()

    with qtbot.waitSignal(tab.changed):
        editor.save_plan()
    assert editor.result() == QDialog.DialogCode.Accepted
    assert fake.saved[-1][2] == 3  # saved on top of the revision the clinician compared
    assert fake.saved[-1][1].formulation == "My careful formulation."


def test_a_save_over_a_newer_revision_opens_the_conflict_dialog(qtbot, tab, fake):
    from clinic_app.errors import ConflictField, EditConflict
    from clinic_app.services.plans import input_of
    from clinic_app.views.common.conflict import ConflictDialog

    newer = replace(REVISION_2, number=3, formulation="Their formulation.", saved_by=2)
    fake.save_errors.append(
        EditConflict(
            "this plan",
            fields=[
                ConflictField(
                    "formulation", "The formulation", "My formulation.", "Their formulation."
                )
            ],
            saved_by="Nurse Patel",
            saved_at=None,
            version=3,
            saved_record=input_of(newer),
        )
    )
    editor = open_editor(tab)
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    editor.formulation.setPlainText("My formulation.")
    editor.save_plan()
    (dialog,) = editor.findChildren(ConflictDialog)
    assert dialog.saved["formulation"].toPlainText() == "Their formulation."
    assert editor.formulation.toPlainText() == "My formulation."  # kept while deciding
    dialog.mine["formulation"].setPlainText("My formulation, having read theirs.")
    with qtbot.waitSignal(tab.changed):
        dialog.save_mine_button.click()
    assert editor.result() == QDialog.DialogCode.Accepted
    data, based_on = fake.saved[-1][1], fake.saved[-1][2]
    assert based_on == 3  # saved over the newer revision, which the clinician has seen
    assert data.formulation == "My formulation, having read theirs."
    assert data.goals[1].victim_review_note == "Reviewed."


def test_other_errors_on_save_are_shown_in_the_editor(tab: PlanTab, fake: FakePlans):
    fake.save_errors.append(AccessDenied("Only an assigned clinician may change the plan."))
    editor = open_editor(tab)
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    editor.save_plan()  # refused: the form stays open
    assert editor.result() != QDialog.DialogCode.Accepted
    assert editor.isVisible()
    assert editor.banner.text() == "Only an assigned clinician may change the plan."
    assert not editor.compare_button.isVisible()


def test_cancel_closes_the_editor_without_saving(tab: PlanTab, fake: FakePlans):
    editor = open_editor(tab)
    editor.formulation.setPlainText("Abandoned.")
    editor.buttons.rejected.emit()
    assert not editor.isVisible()
    assert fake.saved == []


# -- progress ------------------------------------------------------------------------------------


def test_rating_progress_records_the_goal_rating_date_and_comment(qtbot, tab, fake):
    tab.goal_table.selectRow(2)
    tab.goal_table.setCurrentIndex(tab.goal_proxy.index(2, 0))
    tab.rate_button.click()
    dialog = tab.progress_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.goal.currentData() == "g4"  # the goal selected in the table
    assert "not been rated yet" in dialog.earlier.text()
    assert any(
        "0 = no progress, 10 = achieved" in label.text() for label in dialog.findChildren(QLabel)
    )
    dialog.goal.setCurrentIndex(dialog.goal.findData("g1"))
    assert "5 / 10 on 9 March 2026" in dialog.earlier.text()
    dialog.slider.setValue(7)
    assert dialog.rating.value() == 7  # the slider and the number move together
    dialog.rated_on.setDate(QDate(2026, 3, 10))
    dialog.comment.setPlainText("Fewer hours ruminating.")
    with qtbot.waitSignal(tab.changed):
        dialog.save_button.click()
    assert fake.rated == [
        {
            "plan_id": PLAN_ID,
            "goal_key": "g1",
            "rating": 7,
            "rated_on": date(2026, 3, 10),
            "comment": "Fewer hours ruminating.",
        }
    ]
    assert not dialog.isVisible()
    assert goal_cells(tab, GoalColumn.PROGRESS)[0] == "7 / 10"
    assert goal_cells(tab, GoalColumn.RATED_ON)[0] == "10 March 2026"


def test_a_rating_cannot_be_dated_in_the_future(tab: PlanTab):
    tab.rate_button.click()
    dialog = tab.progress_dialog
    assert dialog is not None
    assert dialog.rated_on.maximumDate() == QDate(TODAY.year, TODAY.month, TODAY.day)
    assert dialog.rating.maximum() == 10 and dialog.rating.minimum() == 0


def test_a_refused_rating_is_shown_and_the_dialog_stays_open(tab: PlanTab, fake: FakePlans):
    fake.rate_errors.append(
        ValidationError([Problem("rated_on", "The rating date cannot be in the future.")])
    )
    tab.rate_button.click()
    dialog = tab.progress_dialog
    assert dialog is not None
    dialog.comment.setPlainText("Kept.")
    dialog.save_rating()  # refused: the dialog stays open
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.isVisible()
    problems = [
        label.text()
        for label in dialog.findChildren(QLabel)
        if label.accessibleName() == "Problem with Rated on"
    ]
    assert problems == ["The rating date cannot be in the future."]
    assert dialog.comment.toPlainText() == "Kept."
    dialog.reject()


# -- history and comparison ----------------------------------------------------------------------


def test_history_lists_revisions_and_shows_the_changes_of_the_newest(tab: PlanTab):
    tab.history_button.click()
    history = tab.history
    assert history is not None and history.isVisible()
    assert history.proxy.rowCount() == 2
    assert history.chosen is not None and history.chosen.number == 2
    changes = history.changes_text.toPlainText()
    assert "Changes from revision 1 to revision 2" in changes
    assert "Active after the panel meeting." in changes
    assert "Status: Draft → Active" in changes
    assert "Phase: Assessment → Intervention" in changes
    assert "Planned length: Case by case (no set length) → 12 sessions over 16 weeks" in changes
    assert "Next review: not set → 2 March 2026" in changes
    # The formulation is long, so it is compared sentence by sentence, in words.
    assert "Removed: “Entitlement and shame.”" in changes
    assert "Added: “Entitlement and shame underpin the pursuit.”" in changes
    assert "Added: “Alcohol lowers restraint.”" in changes
    assert "Added goal 2: “Explore responsibility”" in changes
    assert "Involves the victim: Yes — NEEDS REVIEW" in changes
    assert "Removed goal: “Build a routine”" in changes
    assert "Removed: Motivational interviewing: Engagement" in changes
    assert "Added: Cognitive behavioural therapy: Weekly" in changes
    history.close()


def test_history_shows_any_revision_in_full_and_the_first_has_nothing_to_compare(tab: PlanTab):
    tab.history_button.click()
    history = tab.history
    assert history is not None
    history.select_revision(1)
    assert history.chosen is not None and history.chosen.number == 1
    assert "first revision" in history.changes_text.toPlainText()
    assert not history.compare_with.isVisibleTo(history)
    full = history.revision_text.toPlainText()
    assert "Revision 1, saved 20 January 2026" in full
    assert "Dr Amira Jones" in full
    assert "Rejected after a long relationship. Entitlement and shame." in full
    assert "Build a routine" in full
    history.close()


def test_history_compares_with_any_earlier_revision(qtbot, fake: FakePlans):
    third = replace(
        REVISION_2,
        number=3,
        goals=(replace(THOUGHTS, partner_wording="Manage thoughts and urges"), APOLOGY, CONTACT),
        change_note="Wording.",
    )
    history = PlanHistoryDialog([REVISION_1, REVISION_2, third], lambda i: STAFF[i])
    qtbot.addWidget(history)
    history.show()
    text = history.changes_text.toPlainText()
    assert "Changes from revision 2 to revision 3" in text
    assert "Partner wording: “Manage unhelpful thoughts” → “Manage thoughts and urges”" in text
    assert "Status" not in text  # only what changed is listed
    history.compare_with_revision(1)
    text = history.changes_text.toPlainText()
    assert "Changes from revision 1 to revision 3" in text
    assert "Status: Draft → Active" in text


# -- models and accessibility --------------------------------------------------------------------


def test_goal_table_model_passes_the_model_tester(qtmodeltester):
    model = GoalTableModel()
    model.reset_items([GoalLine(THOUGHTS, PROGRESS[-1]), GoalLine(APOLOGY), GoalLine(CONTACT)])
    qtmodeltester.check(model)


def test_intervention_table_model_passes_the_model_tester(qtmodeltester):
    model = InterventionTableModel()
    model.reset_items(list(REVISION_2.interventions))
    qtmodeltester.check(model)


def test_revision_table_model_passes_the_model_tester(qtmodeltester):
    model = RevisionTableModel(lambda i: STAFF[i])
    model.reset_items([REVISION_1, REVISION_2])
    qtmodeltester.check(model)


def test_empty_models_pass_the_model_tester(qtmodeltester):
    for model in (GoalTableModel(), InterventionTableModel(), RevisionTableModel(str)):
        qtmodeltester.check(model)


def test_the_tab_models_pass_the_model_tester_through_their_proxies(qtmodeltester, tab):
    qtmodeltester.check(tab.goal_proxy)
    qtmodeltester.check(tab.intervention_proxy)


CONTROLS = (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QDateEdit,
    QGroupBox,
    QSlider,
    QTableView,
    QCheckBox,
    QDialog,
)


def unnamed(widget: QWidget) -> list[str]:
    return [
        f"{type(child).__name__} {getattr(child, 'text', lambda: '')()}"
        for kind in CONTROLS
        for child in widget.findChildren(kind)
        if not child.accessibleName()
        # Qt's own pieces inside a composite control (spin-box editors, calendar popups).
        and type(child.parent()).__name__ not in {"QSpinBox", "QDateEdit", "QCalendarWidget"}
        and child.objectName() not in {"qt_spinbox_lineedit", "qt_calendar_navigationbar"}
        and not child.objectName().startswith("qt_")
    ]


def test_every_control_has_an_accessible_name(tab: PlanTab):
    assert unnamed(tab) == []
    editor = open_editor(tab)
    assert unnamed(editor) == []
    editor.reject()
    tab.rate_button.click()
    assert tab.progress_dialog is not None
    assert unnamed(tab.progress_dialog) == []
    tab.progress_dialog.reject()
    tab.history_button.click()
    assert tab.history is not None
    assert unnamed(tab.history) == []
    tab.history.close()


def test_actions_have_keyboard_mnemonics(tab: PlanTab):
    for button in (tab.revise_button, tab.rate_button, tab.history_button):
        assert "&" in button.text()
    editor = open_editor(tab)
    assert "&" in editor.save_button.text()
    assert "&" in editor.add_goal_button.text()
    editor.reject()


def test_tab_order_follows_the_form_after_goals_are_added(tab: PlanTab):
    editor = open_editor(tab)
    card = editor.add_goal()
    order: list[QWidget] = []
    widget: QWidget = editor.status
    for _ in range(400):
        order.append(widget)
        following = widget.nextInFocusChain()
        assert following is not None
        widget = following
        if widget is editor.status:
            break
    position = {id(w): i for i, w in enumerate(order)}
    assert (
        position[id(editor.formulation)]
        < position[id(editor.goal_cards[0].partner_wording)]
        < position[id(card.partner_wording)]
        < position[id(editor.add_goal_button)]
        < position[id(editor.change_note)]
        < position[id(editor.save_button)]
    )
    editor.reject()


def test_ctrl_s_saves_the_plan(qtbot, tab, fake):
    editor = open_editor(tab)
    editor.goal_cards[1].victim_review_note.setPlainText("Reviewed.")
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.formulation.setFocus()
    with qtbot.waitSignal(tab.changed):
        qtbot.keyClick(editor.formulation, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert fake.saved
