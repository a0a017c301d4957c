"""The Plan tab's table models: goals, planned interventions and saved revisions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QTableView,
    QWidget,
)

from clinic_app.models.enums import InterventionKind
from clinic_app.services.plan_comparison import (
    VICTIM_NEEDS_REVIEW,
    format_date,
    format_saved,
    victim_words,
)
from clinic_app.services.plans import (
    GoalRow,
    ProgressRow,
    RevisionRow,
)
from clinic_app.views.common.table import SORT_ROLE, ListTableModel
from clinic_app.wording import INTERVENTION_WORDS, PLAN_STATUS_WORDS

NOT_RATED = "Not rated yet"
_NEEDS_REVIEW_COLOUR = QColor("#a4000f")


# -- table models --------------------------------------------------------------------------------


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


GOAL_HEADERS: dict[GoalColumn, str] = {
    GoalColumn.PARTNER_WORDING: "Goal (partner wording)",
    GoalColumn.PRIVATE_DETAIL: "Private detail",
    GoalColumn.INVOLVES_VICTIM: "Involves the victim",
    GoalColumn.PROGRESS: "Latest progress",
    GoalColumn.RATED_ON: "Rated on",
}


class GoalTableModel(ListTableModel[GoalLine]):
    """The goals of a plan revision, in plan order, with their latest progress."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(GoalColumn, GOAL_HEADERS, parent, row_numbers=True)

    def cell(self, row: GoalLine, column: int, role: int) -> Any:
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


INTERVENTION_HEADERS: dict[InterventionColumn, str] = {
    InterventionColumn.KIND: "Intervention",
    InterventionColumn.DETAIL: "Detail",
}


class InterventionTableModel(ListTableModel[tuple[InterventionKind, str]]):
    """The interventions planned in a revision, in the plan's order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(InterventionColumn, INTERVENTION_HEADERS, parent, row_numbers=True)

    def cell(self, row: tuple[InterventionKind, str], column: int, role: int) -> Any:
        kind, detail = row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SORT_ROLE):
            if column == InterventionColumn.KIND:
                return INTERVENTION_WORDS[kind]
            return detail
        return None


class RevisionColumn(IntEnum):
    NUMBER = 0
    SAVED = 1
    SAVED_BY = 2
    STATUS = 3
    CHANGE_NOTE = 4


REVISION_HEADERS: dict[RevisionColumn, str] = {
    RevisionColumn.NUMBER: "Revision",
    RevisionColumn.SAVED: "Saved",
    RevisionColumn.SAVED_BY: "Saved by",
    RevisionColumn.STATUS: "Status",
    RevisionColumn.CHANGE_NOTE: "What changed and why",
}


class RevisionTableModel(ListTableModel[RevisionRow]):
    """A plan's saved revisions, with when, by whom and what changed."""

    def __init__(self, describe_staff: Callable[[int], str], parent: QWidget | None = None):
        super().__init__(RevisionColumn, REVISION_HEADERS, parent, row_numbers=True)
        self._describe_staff = describe_staff

    def cell(self, row: RevisionRow, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            match column:
                case RevisionColumn.NUMBER:
                    return str(row.number)
                case RevisionColumn.SAVED:
                    return format_saved(row.saved_at)
                case RevisionColumn.SAVED_BY:
                    return self._describe_staff(row.saved_by)
                case RevisionColumn.STATUS:
                    return PLAN_STATUS_WORDS[row.status]
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
                    return PLAN_STATUS_WORDS[row.status]
                case _:
                    return row.change_note.casefold()
        return None


def sorting_proxy(model: QAbstractTableModel, parent: QWidget) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy


def read_only_table(name: str, proxy: QSortFilterProxyModel) -> QTableView:
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
