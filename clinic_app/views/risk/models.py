"""The Risk tab's words and its table of risk events."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
)

from clinic_app.models.enums import ShareDecisionKind, Urgency
from clinic_app.services.risk import RiskEventRow, ShareDecisionRow
from clinic_app.views.common.table import SORT_ROLE, ListTableModel
from clinic_app.wording import (
    GATEWAY_WORDS,
    RISK_EVENT_DESCRIBED,
    RISK_EVENT_SHORT,
    RISK_URGENCY_EXPLAINED,
    RISK_URGENCY_WORDS,
)

Index = QModelIndex | QPersistentModelIndex

# -- words -------------------------------------------------------------------------------------

URGENCY_MNEMONICS: dict[Urgency, str] = {
    Urgency.ROUTINE: "&Routine",
    Urgency.SOON: "S&oon",
    Urgency.URGENT: "&Urgent",
}
# Sorting by urgency follows the risk, not the alphabet.
URGENCY_ORDER: dict[Urgency, int] = {Urgency.ROUTINE: 0, Urgency.SOON: 1, Urgency.URGENT: 2}
AWAITING_DECISION = "AWAITING DECISION"
NOT_SHARED = "Not shared"
NO_EVENTS = "No risk events recorded."
NO_STATEMENT = "None written"
UNKNOWN_STAFF = "Unknown member of staff"
PRIVATE_LABEL = "&Private: never shared"
SHAREABLE_LABEL = "&May be shared with partner agencies: write only what partners need"

# The banner: white on dark red, 10:1 (WCAG 2.2 AA asks for 4.5:1); the icon and the
# word URGENT say it as well, so colour is never the only signal.
BANNER_TEXT = "#ffffff"
BANNER_BACKGROUND = "#8b0000"
BANNER_FOCUS = "#ffd400"


def decision_words(decision: ShareDecisionRow | None) -> str:
    """What was decided, in the words the Decision column shows."""
    if decision is None:
        return AWAITING_DECISION
    if decision.decision is ShareDecisionKind.NOT_SHARED:
        return NOT_SHARED
    gateway = GATEWAY_WORDS[decision.gateway] if decision.gateway else "no gateway recorded"
    return f"Shared with {decision.shared_with} under {gateway}"


def event_title(event: RiskEventRow) -> str:
    """A risk event named in a line: kind and date, never its detail."""
    return f"{RISK_EVENT_SHORT[event.kind]} on {event.occurred_on:%d/%m/%Y}"


def when_text(moment: datetime) -> str:
    """A stored (UTC) time in the workstation's local time, as people say it."""
    local = moment.astimezone()
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG contrast ratio between two ``#rrggbb`` colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def html_text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


# -- the table ---------------------------------------------------------------------------------


class RiskColumn(IntEnum):
    """The columns of the risk events table, in order."""

    DATE = 0
    KIND = 1
    URGENCY = 2
    STATEMENT = 3
    DECISION = 4
    RECORDED_BY = 5


RISK_HEADERS: dict[RiskColumn, str] = {
    RiskColumn.DATE: "Date",
    RiskColumn.KIND: "Kind",
    RiskColumn.URGENCY: "Urgency",
    RiskColumn.STATEMENT: "Shareable statement",
    RiskColumn.DECISION: "Decision",
    RiskColumn.RECORDED_BY: "Recorded by",
}


class RiskEventModel(ListTableModel[RiskEventRow]):
    """A client's risk events, one row each, with the latest share decision in words."""

    def __init__(self) -> None:
        super().__init__(RiskColumn, RISK_HEADERS)
        self._staff: dict[int, str] = {}

    def set_rows(self, rows: Sequence[RiskEventRow], staff: dict[int, str]) -> None:
        self._staff = dict(staff)
        self.reset_items(rows)

    def row_of_event(self, event_id: int) -> int | None:
        return self.row_with_id(event_id)

    def staff_name(self, staff_id: int) -> str:
        return self._staff.get(staff_id, UNKNOWN_STAFF)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        event = self._items[index.row()]
        column = RiskColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(event, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(event, column)
        if role == SORT_ROLE:
            return self.sort_key(event, column)
        if role == Qt.ItemDataRole.FontRole and self._stands_out(event, column):
            font = QFont()
            font.setBold(True)
            return font
        if (
            role == Qt.ItemDataRole.DecorationRole
            and column == RiskColumn.DECISION
            and event.urgency is Urgency.URGENT
            and event.decision is None
        ):
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return None

    def display(self, event: RiskEventRow, column: RiskColumn) -> str:
        match column:
            case RiskColumn.DATE:
                return f"{event.occurred_on:%d/%m/%Y}"
            case RiskColumn.KIND:
                return RISK_EVENT_SHORT[event.kind]
            case RiskColumn.URGENCY:
                return RISK_URGENCY_WORDS[event.urgency]
            case RiskColumn.STATEMENT:
                statement = " ".join(event.shareable_statement.split())
                return statement or NO_STATEMENT
            case RiskColumn.DECISION:
                return decision_words(event.decision)
            case RiskColumn.RECORDED_BY:
                return self.staff_name(event.recorded_by)

    def _tooltip(self, event: RiskEventRow, column: RiskColumn) -> str | None:
        if column == RiskColumn.KIND:
            return RISK_EVENT_DESCRIBED[event.kind]
        if column == RiskColumn.URGENCY:
            return RISK_URGENCY_EXPLAINED[event.urgency]
        if column == RiskColumn.STATEMENT and event.shareable_statement:
            return event.shareable_statement
        if column == RiskColumn.DECISION:
            if event.decision is None:
                return "No decision about sharing this event has been recorded yet."
            return f"{decision_words(event.decision)}. Reason: {event.decision.reason}"
        return None

    def _stands_out(self, event: RiskEventRow, column: RiskColumn) -> bool:
        if column == RiskColumn.URGENCY:
            return event.urgency is Urgency.URGENT
        if column == RiskColumn.DECISION:
            return event.decision is None
        return False

    def sort_key(self, event: RiskEventRow, column: RiskColumn) -> Any:
        if column == RiskColumn.DATE:
            # Same day: the one recorded later counts as newer.
            return (
                f"{event.occurred_on.isoformat()} {event.recorded_at.isoformat()} {event.id:012d}"
            )
        if column == RiskColumn.URGENCY:
            return URGENCY_ORDER[event.urgency]
        return self.display(event, column).casefold()
