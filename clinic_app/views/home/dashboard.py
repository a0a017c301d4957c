"""The dashboard: the signed-in clinician's home screen.

It shows, for the user's caseload, today's appointments (time, client, modality, what
became of it and whether its note is written), what needs doing (urgent risk events
without a share decision, critical answers not reviewed, subject access requests, notes
not signed, referrals overdue or awaiting action, plan reviews and measures due) and the
contacts recorded this week without an appointment. Each section lists its
most urgent lines first (the first :data:`~clinic_app.services.dashboard.FIRST_ITEMS`)
and says how many there are in all ("20 of 143"); "Show all" lists the whole section.
Every line names the client and what needs doing, never clinical text; Enter or a
double-click on a line asks for the place where it can be dealt with:
:attr:`DashboardView.open_requested` carries an :class:`OpenTarget` (client, record tab,
item), and the main window opens it.

Every read runs on the background runner, never on the GUI thread. The dashboard loads
when it is first shown (or asked to before), reloads everything on F5 (the Refresh button
too) and when :meth:`DashboardView.refresh` is called (the main window does after a
record changed; while Home is not on screen that waits for its next showing), and, when
shown again, reloads only the sections whose tables changed since (the services count
committed changes) or all of them on a new day. Each list says in words when it is
empty, and flags are words ("OVERDUE", "URGENT"), not colours.

Column widths are fixed from the font (the "What" column takes the rest), never measured
from the rows: a list of thousands of lines costs only the lines on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from functools import partial
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QShowEvent
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
from clinic_app.services.dashboard import (
    TO_DO,
    Dashboard,
    DashboardItem,
    DashboardSection,
    SectionKey,
)
from clinic_app.views.common.home_screen import HomeScreen
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import ListTableModel, OpenableTable

Index = QModelIndex | QPersistentModelIndex
MAX_VISIBLE_ROWS = 6
"""A list taller than this scrolls inside itself."""


@dataclass(frozen=True)
class OpenTarget:
    """Where a dashboard line is dealt with: a client's record, one of its tabs
    ("Sessions", "Plan", "Referrals", "Measures", "Risk", "Subject access") and the item
    there (a note, plan, referral, measure schedule, risk event or subject access request
    id; None for the tab itself)."""

    client_id: int
    tab: str
    item_id: int | None


def _no_changes() -> Mapping[str, int]:
    return {}


@dataclass(frozen=True)
class DashboardActions:
    """What the dashboard calls, bound to the signed-in user.

    ``dashboard`` gives the named sections, each its first items and its count
    (``services.dashboard.dashboard``); ``whole_section`` one section in full
    (``services.dashboard.whole_section``); ``generations`` a number per section that
    moves on when something it shows may have changed (``services.dashboard.generations``:
    no database is read). Without ``generations`` a visit reloads nothing; F5 does.
    """

    dashboard: Callable[[Collection[str]], Dashboard]
    whole_section: Callable[[str], DashboardSection]
    generations: Callable[[], Mapping[str, int]] = field(default=_no_changes)


@dataclass(frozen=True)
class Section:
    """One list on the dashboard: which section of the service, its title, the words it
    shows when it is empty, and what its date column holds."""

    key: SectionKey
    title: str
    empty: str
    date_header: str


SECTIONS: tuple[Section, ...] = (
    Section(
        SectionKey.URGENT_RISK,
        "&Urgent risk events without a share decision",
        "None: no urgent risk event is waiting for a share decision.",
        "Happened",
    ),
    Section(
        SectionKey.CRITICAL_ANSWERS,
        "&Critical items not reviewed: review risk",
        "None: no critical item answered (or left blank) is waiting for a clinician's review.",
        "Given",
    ),
    Section(
        SectionKey.APPOINTMENTS_TODAY,
        "&Today's appointments",
        "No appointment in your diary today.",
        "Time",
    ),
    Section(
        SectionKey.SESSIONS_TODAY,
        "&Other contacts recorded today (no appointment)",
        "No other contact recorded today.",
        "Session",
    ),
    Section(
        SectionKey.SUBJECT_ACCESS,
        "Subject access re&quests",
        "None: no request for records is open.",
        "Due by",
    ),
    Section(
        SectionKey.UNSIGNED_NOTES,
        "Notes not &signed (sessions more than a day ago)",
        "None: your notes of past sessions are all signed.",
        "Session",
    ),
    Section(
        SectionKey.REFERRALS,
        "&Referrals overdue or awaiting action",
        "None: no referral is overdue or waiting for you.",
        "Due",
    ),
    Section(
        SectionKey.PLAN_REVIEWS,
        "&Plan reviews due in the next two weeks or overdue",
        "None: no plan review is due in the next two weeks.",
        "Review due",
    ),
    Section(SectionKey.MEASURES_DUE, "&Measures due", "None: no measure is due.", "Due since"),
    Section(
        SectionKey.SESSIONS_THIS_WEEK,
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
STANDING_OUT = frozenset(
    {"URGENT", "Overdue", "Not signed", "Awaiting action", "Due today", "Did not attend"}
)
WARNED = frozenset({"URGENT", "Overdue"})
"""Flags shown with a warning icon as well as in bold."""
FLAG_WORDS = (
    *("Signed", "Draft", "Not signed", "OVERDUE", "Due today", "Due", "Awaiting action"),
    *("URGENT", "CRITICAL", "Booked", "Attended", "Did not attend"),
)
"""Every flag as shown: the status column is as wide as the widest."""
CLIENT_SAMPLE = "MACKENZIE-ROBERTSON, Alexandra (MASIP-00000)"
"""A long client line: the client column starts this wide (the user may widen it)."""


class DashboardItemModel(ListTableModel[DashboardItem]):
    """One dashboard list: a line per item, in the order the service gives them."""

    def __init__(self, date_header: str = "Date") -> None:
        super().__init__(DashboardColumn, {**DASHBOARD_HEADERS, DashboardColumn.DATE: date_header})

    def display(self, item: DashboardItem, column: int) -> str:
        if column == DashboardColumn.CLIENT:
            return f"{item.client_name} ({item.local_ref})" if item.local_ref else item.client_name
        if column == DashboardColumn.WHAT:
            return item.what
        if column == DashboardColumn.DATE:
            if item.at is not None:  # today's appointments: the time is what matters
                return f"{item.at:%H:%M}"
            return f"{item.when:%d/%m/%Y}" if item.when else ""
        return item.flag.upper() if item.flag == "Overdue" else item.flag

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            where = f"the {item.tab} tab of this client's record"
            return f"{item.detail or item.what}\nPress Enter or double-click to open {where}."
        if column != DashboardColumn.FLAG or item.flag not in STANDING_OUT:
            return None
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and item.flag in WARNED:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return None


class SectionList(QWidget):
    """A titled list of one section with its count, or the words saying it is empty.

    The title says how many lines there are ("(3)", or "(20 of 143)" when only the first
    are listed); the "Show all" button asks for the rest and then offers to list the first
    ones only again.

    Signals:
        open_requested(object): the :class:`DashboardItem` to open.
        show_all_requested(str): the key of this section, to be listed whole.
    """

    open_requested = Signal(object)
    show_all_requested = Signal(str)

    def __init__(self, section: Section, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = section
        self.plain_title = section.title.replace("&", "")
        self.setAccessibleName(self.plain_title)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._first: DashboardSection | None = None  # the first lines, as last loaded
        self._whole = False  # every line is listed
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        top = QHBoxLayout()
        self.title = QLabel(section.title)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        top.addWidget(self.title)
        top.addStretch()
        self.show_all_button = QPushButton("Show all")
        self.show_all_button.setAccessibleName(f"Show all: {self.plain_title}")
        self.show_all_button.clicked.connect(self._on_show_all)
        self.show_all_button.hide()
        top.addWidget(self.show_all_button)
        layout.addLayout(top)
        self.empty = QLabel(section.empty)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName(f"{self.plain_title}: {section.empty}")
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
        self.table.setTabKeyNavigation(False)  # Tab leaves the list; arrows move in it
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._size_columns()
        self.table.setAccessibleName(self.plain_title)
        self.table.setAccessibleDescription("Press Enter on a line to open it.")
        self.table.open_requested.connect(self._on_open)
        self.table.doubleClicked.connect(self._on_open)
        layout.addWidget(self.table)
        self.title.setBuddy(self.table)
        self.set_section(DashboardSection(section.key, (), 0))

    def _size_columns(self) -> None:
        # Widths from the font, never from the rows (resizing to contents visits every
        # line of every column: the cost of thousands of lines at each load).
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        bold = QFont(self.table.font())
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        padding = 3 * metrics.averageCharWidth()
        icon = self.table.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize) + 6
        date_header = self.model.headerData(DashboardColumn.DATE, Qt.Orientation.Horizontal)
        widths = {
            DashboardColumn.CLIENT: metrics.horizontalAdvance(CLIENT_SAMPLE) + padding,
            DashboardColumn.DATE: max(
                metrics.horizontalAdvance("00/00/0000"), metrics.horizontalAdvance(date_header)
            )
            + padding,
            DashboardColumn.FLAG: max(bold_metrics.horizontalAdvance(w) for w in FLAG_WORDS)
            + icon
            + padding,
        }
        header.setMinimumSectionSize(metrics.averageCharWidth() * 6)
        header.setStretchLastSection(False)
        for column, width in widths.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(DashboardColumn.CLIENT, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(DashboardColumn.WHAT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(DashboardColumn.DATE, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(DashboardColumn.FLAG, QHeaderView.ResizeMode.Fixed)

    # -- contents ------------------------------------------------------------------------------

    def set_section(self, loaded: DashboardSection) -> None:
        """Show a section as loaded (its first lines and its count)."""
        self._first = loaded
        self._whole = False
        self._show(loaded)

    def _show(self, shown: DashboardSection) -> None:
        items = shown.items
        self.model.reset_items(items)
        count = len(items)
        total = max(shown.total, count)
        counted = f"{total:,}" if count >= total else f"{count:,} of {total:,}"
        self.title.setText(f"{self.section.title} ({counted})")
        self.title.setAccessibleName(f"{self.plain_title}: {counted}")
        more = self._first is not None and not self._first.complete
        self.show_all_button.setVisible(more)
        if more and self._first is not None:
            first = len(self._first.items)
            self.show_all_button.setText(
                f"Show the first {first:,}" if self._whole else f"Show all {total:,}"
            )
            self.show_all_button.setAccessibleName(
                f"{self.plain_title}: "
                + (f"list the first {first:,} only" if self._whole else f"show all {total:,}")
            )
        self.table.setVisible(bool(items))
        self.empty.setVisible(not items)
        if items:
            rows = min(count, MAX_VISIBLE_ROWS)
            height = (
                self.table.horizontalHeader().sizeHint().height()
                + rows * self.table.verticalHeader().defaultSectionSize()
                + 2 * self.table.frameWidth()
                + 2
            )
            self.table.setFixedHeight(height)
            if not self.table.currentIndex().isValid():
                # A current line for Enter, without highlighting every list's first line.
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
                )

    def show_whole(self, whole: DashboardSection) -> None:
        """List every line of the section (what "Show all" asked for)."""
        self._whole = True
        self._show(whole)

    @property
    def is_whole(self) -> bool:
        """True while every line of the section is listed."""
        return self._whole

    def items(self) -> list[DashboardItem]:
        return self.model.items()

    # -- slots ---------------------------------------------------------------------------------

    def _on_show_all(self) -> None:
        if self._whole and self._first is not None:
            self._whole = False
            self._show(self._first)
            return
        self.show_all_requested.emit(str(self.section.key))

    def _on_open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(self.model.item(index.row()))


class DashboardView(HomeScreen):
    """The clinician's home screen: what needs doing and this week's sessions.

    ``refresh()`` reloads every section (also on F5 and the Refresh button), at once when
    on screen, else at the next showing. Shown again, it reloads only the sections that
    may have changed since they were loaded, or all of them when ``today()`` is no longer
    the day they were loaded for.

    Sections are read on the background runner (:mod:`clinic_app.views.common.runner`);
    until the first load arrives the lists are hidden and the summary says it is loading.

    Signals:
        open_requested(object): an :class:`OpenTarget`: open this client's record at
            this tab and item.
        loaded(): the sections asked for are shown (or the problem that stopped them).
    """

    loaded = Signal()

    def __init__(
        self,
        actions: DashboardActions,
        parent: QWidget | None = None,
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._today = today
        self._runner_key = f"dashboard:{id(self)}"
        self._asked: set[SectionKey] = set()  # sections on their way from the runner
        self._everything_stale = False  # a refresh was asked while hidden
        self.current: Dashboard | None = None
        self._loaded: dict[SectionKey, DashboardSection] = {}
        self._generations: dict[SectionKey, int] = {}
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
            widget.show_all_requested.connect(self._on_show_all)
            self.sections[section.key] = widget
            column.addWidget(widget)
        column.addStretch()
        self.lists_area = QScrollArea()
        self.lists_area.setWidgetResizable(True)
        self.lists_area.setFrameShape(QFrame.Shape.NoFrame)
        self.lists_area.setWidget(self.body)
        self.lists_area.setAccessibleName("Dashboard lists")
        self.lists_area.hide()  # until the first load arrives
        outer.addWidget(self.lists_area, stretch=1)

        # Keyboard order: Refresh, then each list followed by its "Show all".
        previous: QWidget = self.refresh_button
        for section in SECTIONS:
            widget = self.sections[section.key]
            for control in (widget.table, widget.show_all_button):
                self.setTabOrder(previous, control)
                previous = control

    # -- loading ---------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """True while sections asked for are on their way from the runner."""
        return bool(self._asked)

    def refresh(self) -> None:
        """Reload every section (on the background runner): now if the dashboard is on
        screen or has never loaded, otherwise when it is next shown, so that work in a
        record (whose saves ask for this) does not wait behind a dashboard nobody sees."""
        if self.current is not None and not self.isVisible():
            self._everything_stale = True
            return
        self._everything_stale = False
        self._load([s.key for s in SECTIONS])

    def refresh_changed(self) -> None:
        """Reload the sections that may have changed since they were loaded (all of them
        on a new day, before the first load or after a refresh asked while hidden);
        nothing when none has."""
        if self.loading:
            return  # on its way already; a change made meanwhile shows at the next visit
        stale = self.stale_sections()
        self._everything_stale = False
        if stale:
            self._load(stale)

    def stale_sections(self) -> list[SectionKey]:
        """The sections to load again: changed since loaded, or all on a new day."""
        everything = [s.key for s in SECTIONS]
        if self._everything_stale or self.current is None or self.current.today != self._today():
            return everything
        now = self._actions.generations()
        return [key for key in everything if now.get(key, 0) != self._generations.get(key, 0)]

    def _load(self, keys: list[SectionKey]) -> None:
        # A newer request supersedes the one on its way: it asks for what that one asked
        # for as well, so no section is left behind.
        self._asked |= set(keys)
        wanted = [s.key for s in SECTIONS if s.key in self._asked]
        # Counted before reading: a change committed while the sections are read shows as
        # a change at the next visit, never as none.
        marks = dict(self._actions.generations())
        if self.current is None:
            self.summary.setText("Loading your dashboard…")
            self.summary.show()
        runner().run(
            partial(self._actions.dashboard, wanted),
            partial(self._show_board, keys=wanted, marks=marks),
            key=self._runner_key,
            parent=self,
            failed=self._show_problem,
        )

    def _show_board(
        self, board: Dashboard, *, keys: list[SectionKey], marks: Mapping[str, int]
    ) -> None:
        self._asked.clear()
        if self.current is not None and self.current.today != board.today:
            self._loaded.clear()  # another day: what was loaded before no longer holds
        self.current = board
        self.problem.hide()
        self.lists_area.show()
        for key in keys:
            loaded = board.section(key)
            self._loaded[key] = loaded
            self._generations[key] = marks.get(key, 0)
            self.sections[key].set_section(loaded)
        self.heading.setText(
            f"Dashboard for {board.today:%A} {board.today.day} {board.today:%B %Y}"
        )
        need = sum(s.total for key, s in self._loaded.items() if key in TO_DO)
        clients = board.caseload_size
        self.summary.setText(
            f"{clients:,} client{'' if clients == 1 else 's'} on your caseload. "
            + (
                f"{need:,} thing{'' if need == 1 else 's'} need{'s' if need == 1 else ''} "
                "your attention: press Enter or double-click a line to open it."
                if need
                else "Nothing needs your attention now."
            )
        )
        self.summary.show()
        self.loaded.emit()

    def _show_problem(self, error: ClinicError) -> None:
        self._asked.clear()
        self.current = None
        self._loaded.clear()
        self._generations.clear()
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
        self.loaded.emit()

    def show_all(self, key: str) -> None:
        """List every line of one section (on the background runner)."""
        section = self.sections[key]
        runner().run(
            partial(self._actions.whole_section, key),
            section.show_whole,
            key=f"{self._runner_key}:{key}",
            parent=section,
            failed=self._show_problem,
        )

    def items(self, key: str) -> list[DashboardItem]:
        """The lines of one section (e.g. ``"referrals"``), top to bottom."""
        return self.sections[key].items()

    def open_item(self, item: DashboardItem) -> None:
        """Ask for the place where ``item`` is dealt with."""
        self.open_requested.emit(OpenTarget(item.client_id, item.tab, item.item_id))

    # -- events and slots ------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_changed()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F5:
            self.refresh()
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_refresh(self) -> None:
        self.refresh()

    def _on_show_all(self, key: str) -> None:
        self.show_all(key)

    def _on_item_open(self, item: DashboardItem) -> None:
        self.open_item(item)
