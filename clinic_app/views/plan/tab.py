"""The Plan tab: a client's intervention plan, its editor, revision history and goal progress.

Every save of the plan is a new revision (the service keeps them all); goals keep their
identity (``goal_key``) across revisions so progress ratings follow them. Goals that would
involve the victim must be challenged: the editor will not save such a goal until the
clinician has written a review note (DOMAIN.md section 3).

The tab talks to the services only through the callables in :class:`PlanActions`, so tests
hand it fakes. Dialogs are opened with ``open()`` (never a blocking ``exec()``) and kept on
the tab as attributes, so tests can drive them.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, ConflictError, Problem, ValidationError
from clinic_app.models.enums import InterventionKind, Phase, PlanStatus
from clinic_app.services.plans import (
    GoalInput,
    GoalRow,
    InterventionInput,
    PlanInput,
    ProgressRow,
    RevisionRow,
)
from clinic_app.views.common.feedback import run_guarded
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.forms import FieldErrors

# -- words for the controlled vocabularies -----------------------------------------------------

STATUS_LABELS: dict[PlanStatus, str] = {
    PlanStatus.DRAFT: "Draft",
    PlanStatus.ACTIVE: "Active",
    PlanStatus.UNDER_REVIEW: "Under review",
    PlanStatus.COMPLETED: "Completed",
    PlanStatus.WITHDRAWN: "Withdrawn",
}

PHASE_LABELS: dict[Phase, str] = {
    Phase.ASSESSMENT: "Assessment",
    Phase.ENGAGEMENT: "Engagement",
    Phase.INTERVENTION: "Intervention",
    Phase.CONSOLIDATION: "Consolidation",
    Phase.ENDING: "Ending",
}

INTERVENTION_LABELS: dict[InterventionKind, str] = {
    InterventionKind.CBT: "CBT",
    InterventionKind.MOTIVATIONAL_INTERVIEWING: "Motivational interviewing",
    InterventionKind.COMPASSION_FOCUSED: "Compassion-focused work",
    InterventionKind.DBT_SKILLS: "DBT skills",
    InterventionKind.SOCIAL_SKILLS: "Social-skills training",
    InterventionKind.VICTIM_EMPATHY: "Victim empathy work",
    InterventionKind.PRACTICAL_SUPPORT: "Practical support",
    InterventionKind.OTHER: "Other",
}

VICTIM_REVIEWED = "Yes — reviewed"
VICTIM_NEEDS_REVIEW = "Yes — NEEDS REVIEW"
VICTIM_NO = "No"

NOT_RATED = "Not rated yet"
RATING_SCALE = "0 = no progress, 10 = achieved"

VICTIM_PROMPT_TEXT = (
    "Goals that would involve the victim must be challenged before they go into the plan. "
    "Contact with the victim, apology letters and restorative work can frighten or "
    "re-traumatise the victim and can become a way to continue the stalking. They need the "
    "victim advocate's view and the victim's own wishes.\n\n"
    "Write a review note for each such goal: how the goal was challenged, who was consulted "
    "and what was decided. Or change the goal so that it does not involve the victim."
)

PRIVATE_NEVER_SHARED = "Private: never shared"

WARNING_STYLE = "color: #a4000f; font-weight: bold;"  # dark red, 7:1 on white; text says it too
_NEEDS_REVIEW_COLOUR = QColor("#a4000f")

_LONG_TEXT = 80  # longer text is compared sentence by sentence rather than old → new


def format_date(day: date) -> str:
    """A date as clinicians write it: 5 March 2026."""
    return f"{day.day} {day:%B %Y}"


def format_saved(when: datetime) -> str:
    """A saved time in the workstation's local time: 5 March 2026 at 14:05."""
    local = when.astimezone() if when.tzinfo is not None else when
    return f"{format_date(local.date())} at {local:%H:%M}"


def planned_length(sessions: int | None, weeks: int | None) -> str:
    """The planned length in words; work without a set length is 'case by case'."""
    parts = []
    if sessions:
        parts.append(f"{sessions} session{'' if sessions == 1 else 's'}")
    if weeks:
        parts.append(f"{weeks} week{'' if weeks == 1 else 's'}")
    if not parts:
        return "Case by case (no set length)"
    return " over ".join(parts)


def review_due(next_review_on: date | None, today: date) -> tuple[str, bool]:
    """The next review date in words, and whether it is overdue."""
    if next_review_on is None:
        return "No review date set", False
    days = (next_review_on - today).days
    when = format_date(next_review_on)
    if days < 0:
        late = -days
        return f"{when} — overdue by {late} day{'' if late == 1 else 's'}", True
    if days == 0:
        return f"{when} — due today", False
    return f"{when} (in {days} day{'' if days == 1 else 's'})", False


def victim_words(goal: GoalRow | GoalInput) -> str:
    """Whether a goal would involve the victim, and if so whether it has been reviewed."""
    if not goal.involves_victim:
        return VICTIM_NO
    return VICTIM_REVIEWED if goal.victim_review_note.strip() else VICTIM_NEEDS_REVIEW


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _shorten(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _quote(text: str) -> str:
    return f"“{text}”" if text.strip() else "(blank)"


# -- comparing revisions -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSnapshot:
    """What a comparison needs of a plan: a saved revision or the editor's unsaved values."""

    status: PlanStatus
    phase: Phase
    formulation: str
    planned_sessions: int | None
    planned_weeks: int | None
    next_review_on: date | None
    change_note: str
    goals: tuple[GoalRow, ...]
    interventions: tuple[tuple[InterventionKind, str], ...]

    @classmethod
    def of_revision(cls, row: RevisionRow) -> PlanSnapshot:
        return cls(
            row.status,
            row.phase,
            row.formulation,
            row.planned_sessions,
            row.planned_weeks,
            row.next_review_on,
            row.change_note,
            row.goals,
            row.interventions,
        )

    @classmethod
    def of_input(cls, data: PlanInput) -> PlanSnapshot:
        goals = tuple(
            GoalRow(
                g.goal_key or f"new-{i}",
                g.private_detail,
                g.partner_wording,
                g.involves_victim,
                g.victim_review_note,
            )
            for i, g in enumerate(data.goals, start=1)
        )
        return cls(
            data.status,
            data.phase,
            data.formulation,
            data.planned_sessions,
            data.planned_weeks,
            data.next_review_on,
            data.change_note,
            goals,
            tuple((i.kind, i.detail) for i in data.interventions),
        )


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p.strip() for p in parts if p.strip()]


def text_change(label: str, old: str, new: str, *, indent: str = "  ") -> list[str]:
    """Lines saying how a piece of text changed: old → new, or sentence by sentence.

    Long text is compared with difflib, sentence by sentence; each difference is written
    out with the words "Removed:" and "Added:" so it never depends on colour.
    """
    before, after = old.strip(), new.strip()
    if before == after:
        return []
    short = all(len(t) <= _LONG_TEXT and "\n" not in t for t in (before, after))
    if short:
        return [f"{indent}{label}: {_quote(before)} → {_quote(after)}"]
    lines = [f"{indent}{label} changed:"]
    a, b = _sentences(before), _sentences(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines += [f"{indent}  Removed: {_quote(s)}" for s in a[i1:i2]]
        lines += [f"{indent}  Added: {_quote(s)}" for s in b[j1:j2]]
    return lines


def _value_change(label: str, old: str, new: str) -> list[str]:
    return [] if old == new else [f"  {label}: {old} → {new}"]


def _review_words(day: date | None) -> str:
    return format_date(day) if day else "not set"


def _intervention_words(kind: InterventionKind, detail: str) -> str:
    label = INTERVENTION_LABELS[kind]
    return f"{label}: {detail.strip()}" if detail.strip() else label


def compare_plans(old: PlanSnapshot, new: PlanSnapshot) -> list[str]:
    """Plain-text lines of what changed from ``old`` to ``new``; empty when nothing did."""
    details = [
        *_value_change("Status", STATUS_LABELS[old.status], STATUS_LABELS[new.status]),
        *_value_change("Phase", PHASE_LABELS[old.phase], PHASE_LABELS[new.phase]),
        *_value_change(
            "Planned length",
            planned_length(old.planned_sessions, old.planned_weeks),
            planned_length(new.planned_sessions, new.planned_weeks),
        ),
        *_value_change(
            "Next review", _review_words(old.next_review_on), _review_words(new.next_review_on)
        ),
        *text_change(
            f"Formulation ({PRIVATE_NEVER_SHARED.lower()})", old.formulation, new.formulation
        ),
    ]
    goals = _compare_goals(old.goals, new.goals)
    old_items = [_intervention_words(k, d) for k, d in old.interventions]
    new_items = [_intervention_words(k, d) for k, d in new.interventions]
    interventions: list[str] = []
    matcher = difflib.SequenceMatcher(None, old_items, new_items, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            interventions += [f"  Removed: {item}" for item in old_items[i1:i2]]
            interventions += [f"  Added: {item}" for item in new_items[j1:j2]]
    lines: list[str] = []
    for heading, section in (
        ("Plan details", details),
        ("Goals", goals),
        ("Planned interventions", interventions),
    ):
        if section:
            if lines:
                lines.append("")
            lines += [heading, *section]
    return lines


def _compare_goals(old: Sequence[GoalRow], new: Sequence[GoalRow]) -> list[str]:
    lines: list[str] = []
    before = {g.goal_key: g for g in old}
    after = {g.goal_key: g for g in new}
    for position, goal in enumerate(new, start=1):
        previous = before.get(goal.goal_key)
        name = _quote(_shorten(goal.partner_wording))
        if previous is None:
            lines.append(f"  Added goal {position}: {name}")
            lines.append(f"    Private detail: {_quote(goal.private_detail.strip())}")
            lines.append(f"    Involves the victim: {victim_words(goal)}")
            if goal.victim_review_note.strip():
                lines.append(f"    Review note: {_quote(goal.victim_review_note.strip())}")
            continue
        changes = [
            *text_change(
                "Partner wording", previous.partner_wording, goal.partner_wording, indent="    "
            ),
            *text_change(
                "Private detail", previous.private_detail, goal.private_detail, indent="    "
            ),
        ]
        if victim_words(previous) != victim_words(goal):
            changes.append(
                f"    Involves the victim: {victim_words(previous)} → {victim_words(goal)}"
            )
        changes += text_change(
            "Review note", previous.victim_review_note, goal.victim_review_note, indent="    "
        )
        if changes:
            lines.append(f"  Changed goal {position}: {name}")
            lines += changes
    for goal in old:
        if goal.goal_key not in after:
            lines.append(f"  Removed goal: {_quote(_shorten(goal.partner_wording))}")
            lines.append(f"    Private detail was: {_quote(goal.private_detail.strip())}")
    kept_before = [g.goal_key for g in old if g.goal_key in after]
    kept_after = [g.goal_key for g in new if g.goal_key in before]
    if kept_before != kept_after:
        lines.append("  The order of the goals changed. Now:")
        lines += [
            f"    {i}. {_quote(_shorten(g.partner_wording))}" for i, g in enumerate(new, start=1)
        ]
    return lines


def describe_plan(plan: PlanSnapshot) -> list[str]:
    """The whole of a plan revision as plain text, for reading in the history."""
    lines = [
        f"Status: {STATUS_LABELS[plan.status]}",
        f"Phase: {PHASE_LABELS[plan.phase]}",
        f"Planned length: {planned_length(plan.planned_sessions, plan.planned_weeks)}",
        f"Next review: {_review_words(plan.next_review_on)}",
    ]
    if plan.change_note.strip():
        lines += ["", "What changed and why:", *_indented(plan.change_note)]
    lines += ["", f"Formulation ({PRIVATE_NEVER_SHARED.lower()}):"]
    lines += _indented(plan.formulation) if plan.formulation.strip() else ["  (none written)"]
    lines += ["", "Goals:"]
    if not plan.goals:
        lines.append("  (no goals)")
    for i, goal in enumerate(plan.goals, start=1):
        lines.append(f"  {i}. Partner wording: {goal.partner_wording.strip()}")
        lines.append("     Private detail:")
        lines += _indented(goal.private_detail, "       ")
        lines.append(f"     Involves the victim: {victim_words(goal)}")
        if goal.victim_review_note.strip():
            lines.append("     Review note:")
            lines += _indented(goal.victim_review_note, "       ")
    lines += ["", "Planned interventions:"]
    if not plan.interventions:
        lines.append("  (none planned)")
    lines += [f"  - {_intervention_words(k, d)}" for k, d in plan.interventions]
    return lines


def _indented(text: str, prefix: str = "  ") -> list[str]:
    return [f"{prefix}{line}" for line in text.strip().splitlines()]


# -- table models --------------------------------------------------------------------------------

RowT = TypeVar("RowT")
SORT_ROLE = Qt.ItemDataRole.UserRole


class _RowsModel(QAbstractTableModel, Generic[RowT]):
    """A read-only table over a list of frozen rows; subclasses say what each cell shows."""

    headers: ClassVar[dict[int, str]] = {}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []

    def set_rows(self, rows: Sequence[RowT]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> RowT:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers.get(section)
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1) if 0 <= section < len(self._rows) else None
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self.headers):
            return None
        return self._cell(self._rows[index.row()], index.column(), role)

    def _cell(self, row: RowT, column: int, role: int) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class GoalLine:
    """A goal of the current revision with its latest progress rating, if any."""

    goal: GoalRow
    latest: ProgressRow | None = None


class GoalColumn(IntEnum):
    PARTNER_WORDING = 0
    PRIVATE_DETAIL = 1
    INVOLVES_VICTIM = 2
    PROGRESS = 3
    RATED_ON = 4


class GoalTableModel(_RowsModel[GoalLine]):
    """The goals of a plan revision, in plan order, with their latest progress."""

    headers: ClassVar[dict[int, str]] = {
        GoalColumn.PARTNER_WORDING: "Goal (partner wording)",
        GoalColumn.PRIVATE_DETAIL: "Private detail",
        GoalColumn.INVOLVES_VICTIM: "Involves the victim",
        GoalColumn.PROGRESS: "Latest progress",
        GoalColumn.RATED_ON: "Rated on",
    }

    def _cell(self, row: GoalLine, column: int, role: int) -> Any:
        goal, latest = row.goal, row.latest
        needs_review = victim_words(goal) == VICTIM_NEEDS_REVIEW
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            match column:
                case GoalColumn.PARTNER_WORDING:
                    return goal.partner_wording
                case GoalColumn.PRIVATE_DETAIL:
                    return goal.private_detail
                case GoalColumn.INVOLVES_VICTIM:
                    return victim_words(goal)
                case GoalColumn.PROGRESS:
                    return f"{latest.rating} / 10" if latest else NOT_RATED
                case GoalColumn.RATED_ON:
                    return format_date(latest.rated_on) if latest else ""
        if role == Qt.ItemDataRole.AccessibleTextRole and column == GoalColumn.PROGRESS:
            return f"{latest.rating} out of 10" if latest else NOT_RATED
        if role == SORT_ROLE:
            match column:
                case GoalColumn.PROGRESS:
                    return latest.rating if latest else -1
                case GoalColumn.RATED_ON:
                    return latest.rated_on.isoformat() if latest else ""
                case GoalColumn.INVOLVES_VICTIM:
                    return victim_words(goal)
                case GoalColumn.PRIVATE_DETAIL:
                    return goal.private_detail.casefold()
                case _:
                    return goal.partner_wording.casefold()
        if column == GoalColumn.INVOLVES_VICTIM and needs_review:
            # The words say it; colour and weight only reinforce them.
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(_NEEDS_REVIEW_COLOUR)
            if role == Qt.ItemDataRole.FontRole:
                bold = QFont()
                bold.setBold(True)
                return bold
        return None


class InterventionColumn(IntEnum):
    KIND = 0
    DETAIL = 1


class InterventionTableModel(_RowsModel[tuple[InterventionKind, str]]):
    """The interventions planned in a revision, in the plan's order."""

    headers: ClassVar[dict[int, str]] = {
        InterventionColumn.KIND: "Intervention",
        InterventionColumn.DETAIL: "Detail",
    }

    def _cell(self, row: tuple[InterventionKind, str], column: int, role: int) -> Any:
        kind, detail = row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SORT_ROLE):
            if column == InterventionColumn.KIND:
                return INTERVENTION_LABELS[kind]
            return detail
        return None


class RevisionColumn(IntEnum):
    NUMBER = 0
    SAVED = 1
    SAVED_BY = 2
    STATUS = 3
    CHANGE_NOTE = 4


class RevisionTableModel(_RowsModel[RevisionRow]):
    """A plan's saved revisions, with when, by whom and what changed."""

    headers: ClassVar[dict[int, str]] = {
        RevisionColumn.NUMBER: "Revision",
        RevisionColumn.SAVED: "Saved",
        RevisionColumn.SAVED_BY: "Saved by",
        RevisionColumn.STATUS: "Status",
        RevisionColumn.CHANGE_NOTE: "What changed and why",
    }

    def __init__(self, describe_staff: Callable[[int], str], parent: QWidget | None = None):
        super().__init__(parent)
        self._describe_staff = describe_staff

    def _cell(self, row: RevisionRow, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            match column:
                case RevisionColumn.NUMBER:
                    return str(row.number)
                case RevisionColumn.SAVED:
                    return format_saved(row.saved_at)
                case RevisionColumn.SAVED_BY:
                    return self._describe_staff(row.saved_by)
                case RevisionColumn.STATUS:
                    return STATUS_LABELS[row.status]
                case RevisionColumn.CHANGE_NOTE:
                    note = " ".join(row.change_note.split())
                    if role == Qt.ItemDataRole.ToolTipRole:
                        return row.change_note or None
                    return note or ("First revision" if row.number == 1 else "(no note)")
        if role == SORT_ROLE:
            match column:
                case RevisionColumn.NUMBER:
                    return row.number
                case RevisionColumn.SAVED:
                    return row.saved_at.isoformat()
                case RevisionColumn.SAVED_BY:
                    return self._describe_staff(row.saved_by).casefold()
                case RevisionColumn.STATUS:
                    return STATUS_LABELS[row.status]
                case _:
                    return row.change_note.casefold()
        return None


def _sorting_proxy(model: QAbstractTableModel, parent: QWidget) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy


def _table(name: str, proxy: QSortFilterProxyModel) -> QTableView:
    view = QTableView()
    view.setModel(proxy)
    view.setAccessibleName(name)
    view.setSortingEnabled(True)
    view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # plan order until a header is clicked
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.setTabKeyNavigation(False)  # Tab moves on to the next control
    return view


# -- small widgets -------------------------------------------------------------------------------


def _text_box(name: str, text: str = "", *, lines: int = 4) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setAccessibleName(name)
    box.setTabChangesFocus(True)  # Tab leaves the box, as a keyboard user expects
    height = box.fontMetrics().lineSpacing() * lines + 14
    box.setFixedHeight(height)  # long text scrolls inside the box, the form stays compact
    return box


def _buddy_label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setWordWrap(True)
    label.setAccessibleName(text.replace("&", ""))
    return label


def _button(text: str, name: str | None = None) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(False)  # Enter in a text field must not press Remove or Move
    button.setAccessibleName(name or text.replace("&", "").rstrip("…"))
    return button


def _message(name: str, style: str = "") -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if style:
        label.setStyleSheet(style)
    return label


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

        self.partner_wording = _text_box(
            f"Goal {position}: partner wording", goal.partner_wording, lines=2
        )
        layout.addWidget(
            _buddy_label("Partner wording (what partners may read)", self.partner_wording)
        )
        layout.addWidget(self.partner_wording)
        layout.addWidget(errors.label_for(f"{where}.partner_wording", self.partner_wording))

        self.private_detail = _text_box(
            f"Goal {position}: private detail", goal.private_detail, lines=3
        )
        layout.addWidget(
            _buddy_label(f"Private detail ({PRIVATE_NEVER_SHARED.lower()})", self.private_detail)
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
        self.victim_review_note = _text_box(
            f"Goal {position}: victim review note", goal.victim_review_note, lines=3
        )
        review_layout.addWidget(
            _buddy_label(
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
            up = _button("Move up", f"Move goal {position} up")
            up.clicked.connect(self.move_up)
            self._buttons.append(up)
        if position < count:
            down = _button("Move down", f"Move goal {position} down")
            down.clicked.connect(self.move_down)
            self._buttons.append(down)
        remove = _button("Remove goal", f"Remove goal {position}")
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
        for kind, label in INTERVENTION_LABELS.items():
            self.kind.addItem(label, kind)
        self.kind.setCurrentIndex(self.kind.findData(item.kind))
        self.detail = QLineEdit(item.detail)
        self.detail.setAccessibleName(f"Intervention {position}: detail")
        self.detail.setPlaceholderText("Detail, e.g. weekly, 12 sessions")
        self.remove_button = _button("Remove", f"Remove intervention {position}")
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
        self.victim_prompt: QMessageBox | None = None
        self.comparison: _TextDialog | None = None
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
        self.banner = _message("Problem saving the plan", WARNING_STYLE)
        self.banner.hide()
        outer.addWidget(self.banner)
        self.compare_button = _button("Co&mpare with the latest revision…")
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

        self.change_note = _text_box("What changed and why", lines=3)
        self._body.addWidget(_buddy_label("What &changed and why", self.change_note))
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
        for status, label in STATUS_LABELS.items():
            self.status.addItem(label, status)
        self.phase = QComboBox()
        self.phase.setAccessibleName("Phase")
        for phase, label in PHASE_LABELS.items():
            self.phase.addItem(label, phase)
        self.planned_sessions = self._length_box("Planned sessions", "sessions")
        self.planned_weeks = self._length_box("Planned weeks", "weeks")
        self.review_set = QCheckBox("Set a &next review date")
        self.review_set.setAccessibleName("Set a next review date")
        self.next_review_on = QDateEdit()
        self.next_review_on.setAccessibleName("Next review date")
        self.next_review_on.setCalendarPopup(True)
        self.next_review_on.setDisplayFormat("d MMMM yyyy")
        self.next_review_on.setDate(_qdate(self._today).addDays(28))
        self.next_review_on.setEnabled(False)
        self.review_set.toggled.connect(self.next_review_on.setEnabled)
        review = QHBoxLayout()
        review.addWidget(self.review_set)
        review.addWidget(self.next_review_on)
        review.addStretch()

        form.addRow(_buddy_label("S&tatus", self.status), self.status)
        form.addRow("", self._form_problem("status", self.status))
        form.addRow(_buddy_label("P&hase", self.phase), self.phase)
        form.addRow("", self._form_problem("phase", self.phase))
        form.addRow(_buddy_label("Planned sessi&ons", self.planned_sessions), self.planned_sessions)
        form.addRow("", self._form_problem("planned_sessions", self.planned_sessions))
        form.addRow(_buddy_label("Planned &weeks", self.planned_weeks), self.planned_weeks)
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

        self.formulation = _text_box(f"Formulation ({PRIVATE_NEVER_SHARED.lower()})", lines=6)
        self._body.addWidget(
            _buddy_label(f"&Formulation — {PRIVATE_NEVER_SHARED}", self.formulation)
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
                self.next_review_on.setDate(_qdate(current.next_review_on))
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
        self.add_goal_button = _button("Add &goal")
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
        self.add_intervention_button = _button("Add &intervention")
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
                _to_date(self.next_review_on.date()) if self.review_set.isChecked() else None
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
            self.next_review_on.setDate(_qdate(data.next_review_on))
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

    def save_plan(self) -> bool:
        """Save unless a goal involving the victim is unreviewed; True when saved."""
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
            return False
        try:
            row = self._save(data, self._based_on)
        except ValidationError as error:
            self.show_problems(error.problems)
            return False
        except ConflictError as error:
            self._show_banner(error.message)
            self.compare_button.setVisible(self._latest is not None)
            return False
        except ClinicError as error:
            self._show_banner(error.message)
            return False
        self._errors.clear()
        self._item_errors.clear()
        self.saved.emit(row)
        self.accept()
        return True

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
        latest = run_guarded(self, self._latest)
        if latest is None:
            return
        self._based_on = latest.number
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
        self.comparison = _TextDialog(
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


class _TextDialog(QDialog):
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
            self.goal.addItem(f"{i}. {_shorten(goal.partner_wording, 80)}", goal.goal_key)
        if goal_key is not None and self.goal.findData(goal_key) >= 0:
            self.goal.setCurrentIndex(self.goal.findData(goal_key))
        self.earlier = _message("Earlier ratings of this goal")
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

        self.rated_on = QDateEdit(_qdate(today))
        self.rated_on.setAccessibleName("Rated on")
        self.rated_on.setCalendarPopup(True)
        self.rated_on.setDisplayFormat("d MMMM yyyy")
        self.rated_on.setMaximumDate(_qdate(today))  # a rating cannot be in the future

        self.comment = _text_box(f"Comment ({PRIVATE_NEVER_SHARED.lower()})", lines=4)

        form.addRow(_buddy_label("&Goal", self.goal), self.goal)
        form.addRow("", self._errors.label_for("goal", self.goal))
        form.addRow("", self.earlier)
        form.addRow(_buddy_label("&Rating", self.rating), rating_row)
        form.addRow("", scale)
        form.addRow("", self._errors.label_for("rating", self.rating))
        form.addRow(_buddy_label("Rated &on", self.rated_on), self.rated_on)
        form.addRow("", self._errors.label_for("rated_on", self.rated_on))
        form.addRow(_buddy_label(f"&Comment ({PRIVATE_NEVER_SHARED.lower()})", self.comment))
        form.addRow(self.comment)
        form.addRow(self._errors.label_for("comment", self.comment))
        layout.addLayout(form)
        layout.addStretch()
        self.banner = _message("Problem recording the rating", WARNING_STYLE)
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

    def save_rating(self) -> bool:
        """Record the rating; True when recorded."""
        key: str = self.goal.currentData()
        try:
            self._rate(
                key,
                self.rating.value(),
                _to_date(self.rated_on.date()),
                self.comment.toPlainText(),
            )
        except ValidationError as error:
            unplaced = self._errors.show(error.problems)
            self._show_banner("\n".join(p.message for p in unplaced))
            return False
        except ClinicError as error:
            self._errors.clear()
            self._show_banner(error.message)
            return False
        self.rated.emit()
        self.accept()
        return True

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
        self.model.set_rows(revisions)
        self.proxy = _sorting_proxy(self.model, self)
        self.table = _table("Revisions of the plan", self.proxy)
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
        layout.addWidget(_buddy_label("&Revisions (newest first)", self.table))
        layout.addWidget(self.table, stretch=1)

        compare_row = QHBoxLayout()
        self.compare_with = QComboBox()
        self.compare_with.setAccessibleName("Compare with")
        self.compare_label = _buddy_label("Compare &with", self.compare_with)
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
        return self.model.row_at(self.proxy.mapToSource(index).row())

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
            heading += ["What changed and why, as noted:", *_indented(chosen.change_note), ""]
        body = lines or ["Nothing in the plan changed between these revisions."]
        self.changes_text.setPlainText("\n".join([*heading, *body]))


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


class PlanTab(QWidget):
    """The client's intervention plan: its current revision, goals and their progress.

    With no plan it says so and offers to create one. With a plan it shows the current
    revision and offers to revise it, rate progress on a goal, and read its history.

    Signals:
        changed(): the plan or a progress rating was saved; other tabs should refresh.
    """

    changed = Signal()

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
        self.setAccessibleName("Intervention plan")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages)
        self.pages.addWidget(self._build_empty_page())
        self.pages.addWidget(self._build_plan_page())
        self.pages.addWidget(self._build_error_page())
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
        self.create_button = _button("&Create plan…", "Create plan")
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
        self.error_message = _message("The plan could not be shown")
        retry = _button("Try &again")
        retry.clicked.connect(self.refresh)
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
        self.plan_choice_label = _buddy_label("P&lan", self.plan_choice)
        self.plan_choice.currentIndexChanged.connect(self._on_plan_chosen)
        top.addWidget(self.plan_choice_label)
        top.addWidget(self.plan_choice)
        layout.addLayout(top)

        buttons = QHBoxLayout()
        self.revise_button = _button("&Revise plan…", "Revise plan")
        self.revise_button.clicked.connect(self._on_revise)
        self.rate_button = _button("Rate &progress…", "Rate progress")
        self.rate_button.clicked.connect(self._on_rate)
        self.history_button = _button("&History…", "History")
        self.history_button.clicked.connect(self._on_history)
        self.new_plan_button = _button("Start a &new plan…", "Start a new plan")
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

        self.review_warning = _message("Goals needing review", WARNING_STYLE)
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
            form.addRow(_buddy_label(title, value), value)
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
        self.goal_proxy = _sorting_proxy(self.goal_model, self)
        self.goal_table = _table("Goals", self.goal_proxy)
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
        self.intervention_proxy = _sorting_proxy(self.intervention_model, self)
        self.intervention_table = _table("Planned interventions", self.intervention_proxy)
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
        """Reload the client's plans and the shown plan's progress ratings."""
        keep = self.current.plan_id if self.current else None
        try:
            self._plans = self._actions.plans_for_client(self.client_id)
            if not self._plans:
                self.current = None
                self._progress = []
                self.pages.setCurrentIndex(0)
                return
            chosen = next((p for p in self._plans if p.plan_id == keep), self._plans[-1])
            self._show_plan_choice(chosen)
            self._show(chosen)
        except ClinicError as error:
            self.error_message.setText(f"The plan could not be shown. {error.message}")
            self.pages.setCurrentIndex(2)

    def _show_plan_choice(self, chosen: RevisionRow) -> None:
        self.plan_choice.blockSignals(True)
        self.plan_choice.clear()
        for i, plan in enumerate(self._plans, start=1):
            self.plan_choice.addItem(f"Plan {i} ({STATUS_LABELS[plan.status]})", plan.plan_id)
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
        try:
            self._show(chosen)
        except ClinicError as error:
            self.error_message.setText(f"The plan could not be shown. {error.message}")
            self.pages.setCurrentIndex(2)

    def _show(self, plan: RevisionRow) -> None:
        self._progress = self._actions.goal_progress(plan.plan_id)
        self.current = plan
        today = self._actions.today()
        self.heading.setText(
            f"<b>Intervention plan</b> — revision {plan.number}, saved "
            f"{format_saved(plan.saved_at)} by {self._actions.describe_staff(plan.saved_by)}"
        )
        self.status_value.setText(STATUS_LABELS[plan.status])
        self.phase_value.setText(PHASE_LABELS[plan.phase])
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
        self.goal_model.set_rows([GoalLine(g, latest.get(g.goal_key)) for g in plan.goals])
        self.goal_table.setVisible(bool(plan.goals))
        self.no_goals.setVisible(not plan.goals)
        self.intervention_model.set_rows(plan.interventions)
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
        """Open a form again as it was when the screen locked; False if it cannot be."""
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
            self.goal_model.row_at(self.goal_proxy.mapToSource(selected).row()).goal.goal_key
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
        plan_id = current.plan_id
        rows = run_guarded(self, lambda: self._actions.revisions(plan_id))
        if rows is None:
            return
        if self.history is not None:
            self.history.deleteLater()
        self.history = PlanHistoryDialog(rows, self._actions.describe_staff, parent=self)
        self.history.show()
