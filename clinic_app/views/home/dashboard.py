"""The dashboard: the signed-in clinician's home screen.

It shows, for the user's caseload, what needs doing (urgent risk events without a share
decision, notes not signed, referrals overdue or awaiting action, plan reviews and
measures due) and this week's sessions, each as a short list. Every line names the
client and what needs doing, never clinical text; Enter or a double-click on a line asks
for the place where it can be dealt with: :attr:`DashboardView.open_requested` carries
an :class:`OpenTarget` (client, record tab, item), and the main window opens it.

The dashboard reloads when it is shown and on F5 (the Refresh button too). Each list
says in words when it is empty, and flags are words ("OVERDUE", "URGENT"), not colours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import AccessDenied, ClinicError
from clinic_app.services.dashboard import Dashboard, DashboardItem
from clinic_app.views.common.home_screen import HomeScreen
from clinic_app.views.common.table import ListTableModel, OpenableTable

Index = QModelIndex | QPersistentModelIndex
MAX_VISIBLE_ROWS = 6
"""A list taller than this scrolls inside itself."""


@dataclass(frozen=True)
class OpenTarget:
    """Where a dashboard line is dealt with: a client's record, one of its tabs
    ("Sessions", "Plan", "Referrals", "Measures", "Risk") and the item there (a note,
    plan, referral, measure schedule or risk event id; None for the tab itself)."""

    client_id: int
    tab: str
    item_id: int | None


@dataclass(frozen=True)
class DashboardActions:
    """What the dashboard calls: ``dashboard.dashboard`` bound to the signed-in user."""

    dashboard: Callable[[], Dashboard]


@dataclass(frozen=True)
class Section:
    """One list on the dashboard: which part of :class:`Dashboard`, its title, the words
    it shows when it is empty, and what its date column holds."""

    key: str
    title: str
    empty: str
    date_header: str


SECTIONS: tuple[Section, ...] = (
    Section(
        "urgent_risk",
        "&Urgent risk events without a share decision",
        "None: no urgent risk event is waiting for a share decision.",
        "Happened",
    ),
    Section(
        "critical_answers",
        "&Critical items not reviewed: review risk",
        "None: no critical item answered (or left blank) is waiting for a clinician's review.",
        "Given",
    ),
    Section("sessions_today", "&Today's sessions", "No session recorded today.", "Session"),
    Section(
        "unsigned_notes",
        "Notes not &signed (sessions more than a day ago)",
        "None: your notes of past sessions are all signed.",
        "Session",
    ),
    Section(
        "referrals",
        "&Referrals overdue or awaiting action",
        "None: no referral is overdue or waiting for you.",
        "Due",
    ),
    Section(
        "plan_reviews",
        "&Plan reviews due in the next two weeks or overdue",
        "None: no plan review is due in the next two weeks.",
        "Review due",
    ),
    Section("measures_due", "&Measures due", "None: no measure is due.", "Due since"),
    Section(
        "sessions_this_week",
        "Earlier this &week",
        "No other session recorded this week.",
        "Session",
    ),
)
"""The lists, most pressing first."""


class DashboardColumn(IntEnum):
    """The columns of every dashboard list, in order."""

    CLIENT = 0
    WHAT = 1
    DATE = 2
    FLAG = 3


DASHBOARD_HEADERS: dict[DashboardColumn, str] = {
    DashboardColumn.CLIENT: "Client",
    DashboardColumn.WHAT: "What",
    DashboardColumn.DATE: "Date",
    DashboardColumn.FLAG: "Status",
}
STANDING_OUT = frozenset({"URGENT", "Overdue", "Not signed", "Awaiting action", "Due today"})


class DashboardItemModel(ListTableModel[DashboardItem]):
    """One dashboard list: a line per item, in the order the service gives them."""

    def __init__(self, date_header: str = "Date") -> None:
        super().__init__(DashboardColumn, {**DASHBOARD_HEADERS, DashboardColumn.DATE: date_header})

    def display(self, item: DashboardItem, column: DashboardColumn) -> str:
        match column:
            case DashboardColumn.CLIENT:
                return (
                    f"{item.client_name} ({item.local_ref})"
                    if item.local_ref
                    else (item.client_name)
                )
            case DashboardColumn.WHAT:
                return item.what
            case DashboardColumn.DATE:
                return f"{item.when:%d/%m/%Y}" if item.when else ""
            case DashboardColumn.FLAG:
                return item.flag.upper() if item.flag == "Overdue" else item.flag

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        item = self._items[index.row()]
        column = DashboardColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            where = f"the {item.tab} tab of this client's record"
            return f"{item.detail or item.what}\nPress Enter or double-click to open {where}."
        stands_out = column == DashboardColumn.FLAG and item.flag in STANDING_OUT
        if role == Qt.ItemDataRole.FontRole and stands_out:
            font = QFont()
            font.setBold(True)
            return font
        if (
            role == Qt.ItemDataRole.DecorationRole
            and stands_out
            and item.flag
            in (
                "URGENT",
                "Overdue",
            )
        ):
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return None


class SectionList(QWidget):
    """A titled list of one section, or the words saying it is empty.

    Signals:
        open_requested(object): the :class:`DashboardItem` to open.
    """

    open_requested = Signal(object)

    def __init__(self, section: Section, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = section
        plain = section.title.replace("&", "")
        self.setAccessibleName(plain)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        self.title = QLabel(section.title)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        layout.addWidget(self.title)
        self.empty = QLabel(section.empty)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName(f"{plain}: {section.empty}")
        self.empty.setContentsMargins(6, 0, 0, 0)
        layout.addWidget(self.empty)
        self.model = DashboardItemModel(section.date_header)
        self.table = OpenableTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DashboardColumn.WHAT, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName(plain)
        self.table.setAccessibleDescription("Press Enter on a line to open it.")
        self.table.open_requested.connect(self._on_open)
        self.table.doubleClicked.connect(self._on_open)
        layout.addWidget(self.table)
        self.title.setBuddy(self.table)
        self.set_items(())

    def set_items(self, items: tuple[DashboardItem, ...]) -> None:
        self.model.reset_items(items)
        count = len(items)
        self.title.setText(f"{self.section.title} ({count})")
        self.table.setVisible(bool(items))
        self.empty.setVisible(not items)
        if items:
            self.table.resizeColumnsToContents()
            self.table.horizontalHeader().setSectionResizeMode(
                DashboardColumn.WHAT, QHeaderView.ResizeMode.Stretch
            )
            rows = min(count, MAX_VISIBLE_ROWS)
            height = (
                self.table.horizontalHeader().sizeHint().height()
                + sum(self.table.rowHeight(r) for r in range(rows))
                + 2 * self.table.frameWidth()
                + 2
            )
            self.table.setFixedHeight(height)
            if not self.table.currentIndex().isValid():
                # A current line for Enter, without highlighting every list's first line.
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
                )

    def items(self) -> list[DashboardItem]:
        return self.model.items()

    def _on_open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(self.model.item(index.row()))


class DashboardView(HomeScreen):
    """The clinician's home screen: what needs doing and this week's sessions.

    ``refresh()`` reloads it (also on F5, the Refresh button, and whenever it is shown).

    Signals:
        open_requested(object): an :class:`OpenTarget`: open this client's record at
            this tab and item.
    """

    def __init__(self, actions: DashboardActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self.current: Dashboard | None = None
        self.setAccessibleName("Dashboard")
        outer = QVBoxLayout(self)

        top = QHBoxLayout()
        self.heading = QLabel("Dashboard")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self.heading.setFont(font)
        self.heading.setAccessibleName("Dashboard date")
        top.addWidget(self.heading)
        top.addStretch()
        self.refresh_button = QPushButton("Refresh (F5)")
        self.refresh_button.setAccessibleName("Refresh the dashboard")
        self.refresh_button.setToolTip("Refresh the dashboard (F5)")
        self.refresh_button.clicked.connect(self._on_refresh)
        top.addWidget(self.refresh_button)
        outer.addLayout(top)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setAccessibleName("Summary")
        outer.addWidget(self.summary)

        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setAccessibleName("The dashboard could not be loaded")
        self.problem.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.problem.hide()
        outer.addWidget(self.problem, stretch=1)

        self.body = QWidget()
        column = QVBoxLayout(self.body)
        column.setContentsMargins(0, 0, 8, 0)
        self.sections: dict[str, SectionList] = {}
        for section in SECTIONS:
            widget = SectionList(section)
            widget.open_requested.connect(self._on_item_open)
            self.sections[section.key] = widget
            column.addWidget(widget)
        column.addStretch()
        self.lists_area = QScrollArea()
        self.lists_area.setWidgetResizable(True)
        self.lists_area.setFrameShape(QFrame.Shape.NoFrame)
        self.lists_area.setWidget(self.body)
        self.lists_area.setAccessibleName("Dashboard lists")
        outer.addWidget(self.lists_area, stretch=1)

        previous: QWidget = self.refresh_button
        for section in SECTIONS:
            table = self.sections[section.key].table
            self.setTabOrder(previous, table)
            previous = table

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload every list."""
        try:
            board = self._actions.dashboard()
        except ClinicError as error:
            self.current = None
            self.heading.setText("Dashboard")
            self.summary.clear()
            self.summary.hide()
            self.problem.setText(
                error.message
                if isinstance(error, AccessDenied)
                else f"The dashboard could not be loaded. {error.message}"
            )
            self.problem.setAccessibleDescription(self.problem.text())
            self.problem.show()
            self.lists_area.hide()
            return
        self.current = board
        self.problem.hide()
        self.lists_area.show()
        for key, widget in self.sections.items():
            widget.set_items(getattr(board, key))
        self.heading.setText(
            f"Dashboard for {board.today:%A} {board.today.day} {board.today:%B %Y}"
        )
        need = board.needing_attention
        clients = board.caseload_size
        self.summary.setText(
            f"{clients} client{'' if clients == 1 else 's'} on your caseload. "
            + (
                f"{need} thing{'' if need == 1 else 's'} need{'s' if need == 1 else ''} "
                "your attention: press Enter or double-click a line to open it."
                if need
                else "Nothing needs your attention now."
            )
        )
        self.summary.show()

    def items(self, key: str) -> list[DashboardItem]:
        """The lines of one section (e.g. ``"referrals"``), top to bottom."""
        return self.sections[key].items()

    def open_item(self, item: DashboardItem) -> None:
        """Ask for the place where ``item`` is dealt with."""
        self.open_requested.emit(OpenTarget(item.client_id, item.tab, item.item_id))

    # -- events and slots ------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F5:
            self.refresh()
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_refresh(self) -> None:
        self.refresh()

    def _on_item_open(self, item: DashboardItem) -> None:
        self.open_item(item)
