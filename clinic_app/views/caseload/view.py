"""The caseload: the clients a clinician works with, searchable and filterable.

A clinician finds a client by typing part of a name (either order), a case reference or an
NHS number, and narrows the list by site, status or a clinician on the team. Enter or a
double-click opens the client. Beside identity and status, a clinician scans when each
client was last seen, their next appointment, the current risk judgement (the highest
level in the latest structured assessment), how many notes are unsigned and whether
protective measures are in force (a count only: their details, which are about third
parties, stay in the record's Victims tab); administrators see identity and status only.
No clinical text is ever shown.

Filtering has to stay quick with 10,000 clients (ARCHITECTURE.md: <= 50 ms), so every row's
display text, sort keys and a lowercase search key are computed once when the caseload is
loaded, and the filter decides all rows in one pass and hands the view the rows to show:
Qt never asks Python about each of the 10,000 rows, only about those on screen. The
caseload itself is read on the background runner.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractProxyModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.models.enums import ClientStatus
from clinic_app.services.clients import CaseloadRow
from clinic_app.views.common import feedback
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import ListTableModel, OpenableTable
from clinic_app.wording import (
    CLIENT_STATUS_WORDS,
    TYPOLOGY_WORDS,
    age_on,
    digits_of,
    format_nhs_number,
)

AnyIndex = QModelIndex | QPersistentModelIndex

# Sorting by status follows the work, not the alphabet.
STATUS_ORDER: dict[ClientStatus, int] = {status: n for n, status in enumerate(CLIENT_STATUS_WORDS)}

NOT_RECORDED = "Not recorded"
NOT_SEEN = "Not yet"
NONE_BOOKED = "None booked"
NOT_ASSESSED = "Not assessed"
RISK_WORDS = {"high": "High", "moderate": "Moderate", "low": "Low", "not rated": "Not rated"}
RISK_RANK = {"": -1, "not rated": 0, "low": 1, "moderate": 2, "high": 3}
NOT_ASSIGNED = "Not assigned"
DEMO_MARKER = "(demo)"

NO_CLIENTS = "No clients are assigned to you yet."
NO_CLIENTS_HINT = "Clients appear here once they are registered or assigned to you."
NO_MATCHES = "No clients match your search."
NO_MATCHES_HINT = "Try fewer words, or choose All sites, All statuses and All clinicians."
LOAD_FAILED = "Your caseload could not be loaded."
LOADING = "Reading your caseload…"
SEARCH_PLACEHOLDER = "Search by name, case reference or NHS number"


class CaseloadColumn(IntEnum):
    """The caseload's columns, in order: who, then what a clinician scans, then the rest of
    the identity (which a narrow screen reaches by scrolling)."""

    NAME = 0
    REFERENCE = 1
    STATUS = 2
    LAST_SEEN = 3
    NEXT_APPOINTMENT = 4
    RISK = 5
    UNSIGNED_NOTES = 6
    PROTECTIVE_MEASURES = 7
    TYPOLOGY = 8
    LEAD_CLINICIAN = 9
    NHS_NUMBER = 10
    DATE_OF_BIRTH = 11
    AGE = 12
    SITE = 13


CLINICAL_COLUMNS = (
    CaseloadColumn.LAST_SEEN,
    CaseloadColumn.NEXT_APPOINTMENT,
    CaseloadColumn.RISK,
    CaseloadColumn.UNSIGNED_NOTES,
    CaseloadColumn.PROTECTIVE_MEASURES,
    CaseloadColumn.TYPOLOGY,
)
"""A clinician's columns: hidden from administrators, who see identity and status only."""


HEADERS: dict[CaseloadColumn, str] = {
    CaseloadColumn.NAME: "Name",
    CaseloadColumn.REFERENCE: "Case reference",
    CaseloadColumn.STATUS: "Status",
    CaseloadColumn.LAST_SEEN: "Last seen",
    CaseloadColumn.NEXT_APPOINTMENT: "Next appointment",
    CaseloadColumn.RISK: "Risk",
    CaseloadColumn.UNSIGNED_NOTES: "Unsigned",
    CaseloadColumn.PROTECTIVE_MEASURES: "Protection",
    CaseloadColumn.TYPOLOGY: "Typology",
    CaseloadColumn.LEAD_CLINICIAN: "Lead clinician",
    CaseloadColumn.NHS_NUMBER: "NHS number",
    CaseloadColumn.DATE_OF_BIRTH: "Date of birth",
    CaseloadColumn.AGE: "Age",
    CaseloadColumn.SITE: "Site",
}
HEADER_TIPS: dict[CaseloadColumn, str] = {
    CaseloadColumn.REFERENCE: "The programme's local case reference",
    CaseloadColumn.AGE: "Age in years today",
    CaseloadColumn.LAST_SEEN: "The last session the client attended",
    CaseloadColumn.NEXT_APPOINTMENT: "The next appointment booked, from today",
    CaseloadColumn.RISK: "Current risk: the highest judgement in the latest risk assessment",
    CaseloadColumn.UNSIGNED_NOTES: "Session notes on the record not signed yet",
    CaseloadColumn.PROTECTIVE_MEASURES: (
        "Protective measures in force today (their details are in the Victims and others tab)"
    ),
    CaseloadColumn.TYPOLOGY: "Typology (Mullen et al.) as last recorded",
    CaseloadColumn.LEAD_CLINICIAN: "The lead clinician; hover over a name to see the whole team",
}


class CaseloadRole(IntEnum):
    """Item data roles beyond Qt's own."""

    SORT = Qt.ItemDataRole.UserRole + 1  # values that sort properly: dates, ages, order
    CLIENT_ID = Qt.ItemDataRole.UserRole + 2  # the client's id, on every column
    SEARCH_KEY = Qt.ItemDataRole.UserRole + 3  # the row's lowercase search key


_ANSWERED_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.FontRole,
        *CaseloadRole,
    }
)


@dataclass(frozen=True, slots=True)
class CaseloadLine:
    """One caseload row prepared once for display, sorting and filtering."""

    row: CaseloadRow
    texts: tuple[str, ...]
    sort_keys: tuple[Any, ...]
    search_key: str
    team: frozenset[str]


def prepare_line(row: CaseloadRow, today: date) -> CaseloadLine:
    """Everything the view needs from a row, computed once."""
    client = row.client
    given, family = client.given_name.casefold(), client.family_name.casefold()
    nhs_digits = digits_of(client.nhs_number)
    # Name in both orders, reference and NHS number digits; "|" keeps one field's end
    # from running into the next field's start.
    search_key = f"{family}, {given}|{given} {family}|{client.local_ref.casefold()}|{nhs_digits}"
    name = client.display_name + (f" {DEMO_MARKER}" if client.is_demo else "")
    born = client.date_of_birth
    age = age_on(born, today)
    typology = TYPOLOGY_WORDS[row.typology] if row.typology is not None else NOT_RECORDED
    lead = row.lead_clinician or NOT_ASSIGNED
    seen, booked = row.last_seen, row.next_appointment
    measures = row.protective_measures
    texts = (
        name,
        client.local_ref,
        CLIENT_STATUS_WORDS[client.status],
        f"{seen:%d/%m/%Y}" if seen is not None else NOT_SEEN,
        f"{booked:%a %d/%m/%Y %H:%M}" if booked is not None else NONE_BOOKED,
        RISK_WORDS.get(row.risk_judgement, NOT_ASSESSED),
        str(row.unsigned_notes) if row.unsigned_notes else "None",
        f"Yes ({measures})" if measures else "None",
        typology,
        lead,
        format_nhs_number(client.nhs_number) or NOT_RECORDED,
        f"{born.day:02d}/{born.month:02d}/{born.year:04d}",
        str(age),
        client.site,
    )
    sort_keys = (
        f"{family}\t{given}",
        client.local_ref.casefold(),
        STATUS_ORDER[client.status],
        seen or date.min,  # never seen sorts first: the longest since seen
        booked or datetime.max,  # none booked sorts last: the soonest first
        RISK_RANK.get(row.risk_judgement, -1),
        row.unsigned_notes,
        measures,
        typology.casefold(),
        row.lead_clinician.casefold(),
        nhs_digits,
        client.date_of_birth,
        age,
        client.site.casefold(),
    )
    team = frozenset(row.assigned) | ({row.lead_clinician} if row.lead_clinician else set())
    return CaseloadLine(row, texts, sort_keys, search_key, team)


@dataclass(frozen=True)
class PreparedLines:
    """Caseload lines prepared off the GUI thread, and the sort they are in."""

    lines: list[CaseloadLine]
    column: int | None
    order: Qt.SortOrder


def _sorted(
    lines: list[CaseloadLine], column: int | None, order: Qt.SortOrder
) -> list[CaseloadLine]:
    if column is None:
        return lines
    # Python's sort is stable in both directions, so ties keep the caseload's order.
    return sorted(
        lines,
        key=lambda line: line.sort_keys[column],
        reverse=order == Qt.SortOrder.DescendingOrder,
    )


class CaseloadModel(ListTableModel[CaseloadLine]):
    """The caseload as a table: one row per client, columns as in :class:`CaseloadColumn`.

    ``CaseloadRole.SORT`` gives values that sort as values (dates chronologically, ages as
    numbers, statuses in workflow order); ``CaseloadRole.CLIENT_ID`` gives the client's id.
    """

    def __init__(
        self, parent: QObject | None = None, *, today: Callable[[], date] = date.today
    ) -> None:
        super().__init__(CaseloadColumn, HEADERS, parent, header_tips=HEADER_TIPS)
        self._today = today
        self._generation = 0
        self._sort_column: int | None = None
        self._sort_order = Qt.SortOrder.AscendingOrder
        # One font for every demo cell: data() runs for each cell on every repaint, so it
        # must stay cheap.
        self._demo_font = QFont()
        self._demo_font.setItalic(True)

    # -- loading ---------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[CaseloadRow]) -> None:
        """Replace the caseload (kept in the order last sorted by, if any)."""
        self.set_lines(self.preparing()(rows))

    def preparing(self) -> Callable[[Sequence[CaseloadRow]], PreparedLines]:
        """Work that prepares lines from rows, sorted as this model is sorted now.

        It touches no widget and no model, so the background runner can run it with the
        read: the GUI thread then only swaps the lines in (:meth:`set_lines`).
        """
        today = self._today()
        column, order = self._sort_column, self._sort_order

        def prepare(rows: Sequence[CaseloadRow]) -> PreparedLines:
            lines = [prepare_line(row, today) for row in rows]
            return PreparedLines(_sorted(lines, column, order), column, order)

        return prepare

    def set_lines(self, prepared: PreparedLines) -> None:
        """Show lines made by :meth:`preparing` (sorted again if the sort changed since)."""
        lines = prepared.lines
        if (prepared.column, prepared.order) != (self._sort_column, self._sort_order):
            lines = _sorted(lines, self._sort_column, self._sort_order)
        self.beginResetModel()
        self._items = lines
        self._generation += 1
        self.endResetModel()

    def _sorted(self, lines: list[CaseloadLine]) -> list[CaseloadLine]:
        return _sorted(lines, self._sort_column, self._sort_order)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column's ``CaseloadRole.SORT`` values (dates as dates, ages as numbers).

        Sorting here, once, in Python, keeps the filter from comparing rows one pair at a
        time whenever rows reappear (which took 350 ms for 10,000 clients).
        """
        if not 0 <= column < len(CaseloadColumn):
            return
        self._sort_column, self._sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_lines = [self._items[index.row()] for index in old]
        self._items = self._sorted(self._items)
        position = {id(line): row for row, line in enumerate(self._items)}
        new = [
            self.index(position[id(line)], index.column())
            for line, index in zip(old_lines, old, strict=True)
        ]
        self.changePersistentIndexList(old, new)
        self._generation += 1
        self.layoutChanged.emit()

    @property
    def generation(self) -> int:
        """Changes whenever the rows are replaced, so caches built from them can tell."""
        return self._generation

    def lines(self) -> Sequence[CaseloadLine]:
        return self._items

    def line(self, row: int) -> CaseloadLine:
        return self._items[row]

    def row_of_client(self, client_id: int) -> int | None:
        for n, line in enumerate(self._items):
            if line.row.client.id == client_id:
                return n
        return None

    # -- Qt model --------------------------------------------------------------------------

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Asked for every visible cell and many roles on each repaint: leave early.
        if role not in _ANSWERED_ROLES or not index.isValid():
            return None
        return self.value_at(index.row(), index.column(), role)

    def value_at(self, row: int, column: int, role: int) -> Any:
        """What :meth:`data` answers for one cell (the filter asks here directly)."""
        if role not in _ANSWERED_ROLES:
            return None
        line = self._items[row]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return line.texts[column]
        if role == CaseloadRole.SORT:
            return line.sort_keys[column]
        if role == CaseloadRole.CLIENT_ID:
            return line.row.client.id
        if role == CaseloadRole.SEARCH_KEY:
            return line.search_key
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(line, column)
        if role == Qt.ItemDataRole.FontRole and line.row.client.is_demo:
            return self._demo_font
        return None

    def _tooltip(self, line: CaseloadLine, column: int) -> str | None:
        client = line.row.client
        if column == CaseloadColumn.NAME and client.is_demo:
            return f"{client.display_name}: a demonstration record, not a real person"
        if column == CaseloadColumn.DATE_OF_BIRTH:
            return f"Born {client.date_of_birth.strftime('%d %B %Y')}"
        if column == CaseloadColumn.RISK and line.row.risk_assessed_on is not None:
            return f"From the risk assessment of {line.row.risk_assessed_on:%d %B %Y}"
        if column == CaseloadColumn.PROTECTIVE_MEASURES and line.row.protective_measures:
            return "Protective measures in force: see the Victims and others tab"
        if column == CaseloadColumn.LEAD_CLINICIAN and line.row.assigned:
            return "Team: " + ", ".join(line.row.assigned)
        return None


def search_terms(text: str) -> tuple[str, ...]:
    """What to look for: each word must appear; a number may be typed with spaces or dashes.

    "jones al" finds "JONES, Alex"; "943 476" and "943-476" find 943 476 5919.
    """
    folded = text.casefold().strip()
    if not folded:
        return ()
    digits = folded.replace(" ", "").replace("-", "")
    if digits.isdigit():  # a number typed in groups: match it as one run of digits
        return (digits,)
    return tuple(folded.split())


_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_COLUMNS = len(CaseloadColumn)


class CaseloadFilter(QAbstractProxyModel):
    """Sorts the caseload and filters it by search text, site, status and clinician.

    A keystroke must stay quick with 10,000 clients, so the filter never answers Qt row by
    row: it decides every row in one pass over the prepared search keys (a few list
    comprehensions), keeps the list of source rows shown, and tells the view the rows were
    replaced. Qt then asks only about the rows on screen. Sorting is passed to the model,
    which orders its rows by their ``CaseloadRole.SORT`` values; the filter keeps the
    model's order.
    """

    def __init__(self, model: CaseloadModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._terms: tuple[str, ...] = ()
        self._text = ""
        self._site: str | None = None
        self._status: ClientStatus | None = None
        self._clinician: str | None = None
        self._rows: list[int] = []  # the source rows shown, in the model's order
        self._position_of: list[int] | None = None
        self.setSourceModel(model)
        model.modelAboutToBeReset.connect(self.beginResetModel)
        model.modelReset.connect(self._on_source_reset)
        model.layoutAboutToBeChanged.connect(self._on_source_layout_about_to_change)
        model.layoutChanged.connect(self._on_source_sorted)
        model.dataChanged.connect(self._on_source_data_changed)
        self._kept: list[QModelIndex] = []
        self._source_kept: list[QPersistentModelIndex] = []
        self._decide()

    # -- criteria --------------------------------------------------------------------------

    @property
    def search_text(self) -> str:
        return self._text

    @property
    def site(self) -> str | None:
        return self._site

    @property
    def status(self) -> ClientStatus | None:
        return self._status

    @property
    def clinician(self) -> str | None:
        return self._clinician

    def is_filtering(self) -> bool:
        return bool(self._terms) or any(
            value is not None for value in (self._site, self._status, self._clinician)
        )

    def set_search_text(self, text: str) -> None:
        terms = search_terms(text)
        self._text = text
        if terms != self._terms:
            self._change(lambda: setattr(self, "_terms", terms))

    def set_site(self, site: str | None) -> None:
        if site != self._site:
            self._change(lambda: setattr(self, "_site", site))

    def set_status(self, status: ClientStatus | None) -> None:
        if status != self._status:
            self._change(lambda: setattr(self, "_status", status))

    def set_clinician(self, clinician: str | None) -> None:
        if clinician != self._clinician:
            self._change(lambda: setattr(self, "_clinician", clinician))

    def clear_filters(self) -> None:
        """Show every client again."""

        def clear() -> None:
            self._text, self._terms = "", ()
            self._site = self._status = self._clinician = None

        if self.is_filtering() or self._text:
            self._change(clear)

    def _change(self, apply: Callable[[], None]) -> None:
        # The rows shown change in one go, as a new layout: the view asks again about what
        # is on screen only, and the selection follows its client (or goes, if hidden).
        # When the same rows are shown (the next letter of a name), nothing is redrawn.
        apply()
        rows = self._accepted_rows()
        if rows == self._rows:
            return
        self._on_source_layout_about_to_change()
        self._on_source_layout_changed(rows)

    # -- filtering -------------------------------------------------------------------------

    def _decide_all(self) -> list[bool]:
        # Every word of the search must appear in the row's search key, and the row must
        # match each filter chosen. One comprehension per criterion is several times
        # quicker than a function call per row, and this runs on every keystroke.
        lines = self._model.lines()
        accepted = [True] * len(lines)
        if self._terms:
            keys = [line.search_key for line in lines]
            if len(self._terms) == 1:
                term = self._terms[0]
                accepted = [term in key for key in keys]
            else:
                terms = self._terms
                accepted = [all(term in key for term in terms) for key in keys]
        site, status, clinician = self._site, self._status, self._clinician
        if site is not None:
            accepted = [
                ok and line.row.client.site == site
                for ok, line in zip(accepted, lines, strict=True)
            ]
        if status is not None:
            accepted = [
                ok and line.row.client.status is status
                for ok, line in zip(accepted, lines, strict=True)
            ]
        if clinician is not None:
            accepted = [
                ok and clinician in line.team for ok, line in zip(accepted, lines, strict=True)
            ]
        return accepted

    def _accepted_rows(self) -> list[int]:
        accepted = self._decide_all()
        return list(itertools.compress(range(len(accepted)), accepted))

    def _decide(self, rows: list[int] | None = None) -> None:
        self._rows = self._accepted_rows() if rows is None else rows
        self._position_of = None  # worked out when first asked for

    @property
    def _position(self) -> list[int]:
        """Source row -> row shown here, or -1 (only selecting a client asks)."""
        if self._position_of is None:
            position = [-1] * self._model.rowCount()
            for shown, source in enumerate(self._rows):
                position[source] = shown
            self._position_of = position
        return self._position_of

    # -- following the model ---------------------------------------------------------------

    def _on_source_reset(self) -> None:
        self._decide()
        self.endResetModel()

    def _on_source_layout_about_to_change(self) -> None:
        # The model is about to reorder its rows (a sort): remember the model row behind
        # each persistent index of ours (the selection), to point it there afterwards.
        self.layoutAboutToBeChanged.emit()
        self._kept = [i for i in self.persistentIndexList() if 0 <= i.row() < len(self._rows)]
        self._source_kept = [
            QPersistentModelIndex(self._model.index(self._rows[i.row()], i.column()))
            for i in self._kept
        ]

    def _on_source_sorted(self) -> None:
        self._on_source_layout_changed()

    def _on_source_layout_changed(self, rows: list[int] | None = None) -> None:
        self._decide(rows)
        new = []
        for source in self._source_kept:
            row = self._position[source.row()] if source.isValid() else -1
            new.append(self.index(row, source.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(self._kept, new)
        self._kept, self._source_kept = [], []
        self.layoutChanged.emit()

    def _on_source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        rows = [self._position[r] for r in range(top_left.row(), bottom_right.row() + 1)]
        shown = [r for r in rows if r >= 0]
        if shown:
            self.dataChanged.emit(
                self.index(min(shown), top_left.column()),
                self.index(max(shown), bottom_right.column()),
            )

    # -- the proxy -------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else _COLUMNS

    def index(self, row: int, column: int, parent: AnyIndex | None = None) -> QModelIndex:
        if (parent is not None and parent.isValid()) or not (
            0 <= row < len(self._rows) and 0 <= column < _COLUMNS
        ):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, _index: AnyIndex | None = None) -> QModelIndex:  # type: ignore[override]
        return QModelIndex()

    def mapToSource(self, proxy_index: AnyIndex) -> QModelIndex:
        if not proxy_index.isValid() or not 0 <= proxy_index.row() < len(self._rows):
            return QModelIndex()
        return self._model.index(self._rows[proxy_index.row()], proxy_index.column())

    def mapFromSource(self, source_index: AnyIndex) -> QModelIndex:
        if not source_index.isValid() or not 0 <= source_index.row() < len(self._position):
            return QModelIndex()
        row = self._position[source_index.row()]
        return self.createIndex(row, source_index.column()) if row >= 0 else QModelIndex()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Every visible cell, several roles, each repaint: straight to the prepared line.
        if role not in _ANSWERED_ROLES or not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        return self._model.value_at(self._rows[row], index.column(), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return None
        return self._model.headerData(section, orientation, role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is the model's job (see :meth:`CaseloadModel.sort`); rows shown here keep
        the model's order."""
        self._model.sort(column, order)

    def client_id_at(self, row: int) -> int:
        return int(self.index(row, 0).data(CaseloadRole.CLIENT_ID))


def _sized(text: str, widget: QWidget, padding: int = 28) -> int:
    return widget.fontMetrics().horizontalAdvance(text) + padding


class CaseloadView(QWidget):
    """The signed-in clinician's caseload: search, filters, a sortable table and a count.

    ``load_caseload`` returns the rows to show (``workspace.bind(clients.caseload)`` in the
    app, a fake in tests); :meth:`refresh` calls it again and keeps the search, filters
    and selection.

    Signals:
        client_activated(int): the user chose a client (Enter or double-click); the
            client's id.
    """

    client_activated = Signal(int)

    def __init__(
        self,
        load_caseload: Callable[[], list[CaseloadRow]],
        parent: QWidget | None = None,
        *,
        today: Callable[[], date] = date.today,
        show_typology: bool = True,
    ) -> None:
        super().__init__(parent)
        self._load_caseload = load_caseload
        self._load_failed = False
        self._loading = False
        self.setAccessibleName("Caseload")

        self.model = CaseloadModel(self, today=today)
        self.proxy = CaseloadFilter(self.model, self)

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName("Search clients")
        self.search_box.setAccessibleDescription(
            "Type part of a name, a case reference or an NHS number. "
            "Press Down to move to the list."
        )
        self.search_box.setToolTip(f"{SEARCH_PLACEHOLDER} (Ctrl+F)")
        self.search_box.installEventFilter(self)
        search_label = QLabel("&Search:")
        search_label.setAccessibleName("Search")
        search_label.setBuddy(self.search_box)

        self.site_filter = self._combo("Filter by site")
        self.status_filter = self._combo("Filter by status")
        self.clinician_filter = self._combo("Filter by clinician on the team")

        self.table = OpenableTable()
        self.table.setModel(self.proxy)
        # Administrators see who is on the caseload, not clinicians' judgements about them.
        for column in CLINICAL_COLUMNS:
            self.table.setColumnHidden(column, not show_typology)
        self.table.setAccessibleName("Caseload")
        self.table.setAccessibleDescription("Press Enter to open the selected client's record.")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move in it
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(True)
        header.setSortIndicator(CaseloadColumn.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self._set_column_widths()

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_label.setAccessibleName("Caseload message")
        larger = self.empty_label.font()
        larger.setPointSizeF(larger.pointSizeF() * 1.2)
        self.empty_label.setFont(larger)
        self.empty_action = QPushButton("Show &all clients")
        self.empty_action.setAccessibleName("Show all clients")
        self.empty_action.clicked.connect(self._on_empty_action)
        empty_page = QWidget()
        empty_layout = QVBoxLayout(empty_page)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.empty_action, alignment=Qt.AlignmentFlag.AlignCenter)
        empty_layout.addStretch(2)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(empty_page)

        self.count_label = QLabel()
        self.count_label.setAccessibleName("Number of clients shown")

        self.filter_bar = QWidget()
        filters = QHBoxLayout(self.filter_bar)
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(search_label)
        filters.addWidget(self.search_box, 3)
        for text, combo in (
            ("S&ite:", self.site_filter),
            ("Sta&tus:", self.status_filter),
            ("&Clinician:", self.clinician_filter),
        ):
            label = QLabel(text)
            label.setAccessibleName(text.replace("&", "").rstrip(":"))
            label.setBuddy(combo)
            filters.addSpacing(8)
            filters.addWidget(label)
            filters.addWidget(combo, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.count_label)

        self.setTabOrder(self.search_box, self.site_filter)
        self.setTabOrder(self.site_filter, self.status_filter)
        self.setTabOrder(self.status_filter, self.clinician_filter)
        self.setTabOrder(self.clinician_filter, self.table)
        self.setTabOrder(self.table, self.empty_action)

        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self._on_find)

        self.search_box.textChanged.connect(self._on_search_changed)
        self.search_box.returnPressed.connect(self._on_search_done)
        self.site_filter.currentIndexChanged.connect(self._on_site_chosen)
        self.status_filter.currentIndexChanged.connect(self._on_status_chosen)
        self.clinician_filter.currentIndexChanged.connect(self._on_clinician_chosen)
        self.table.open_requested.connect(self._on_row_chosen)
        self.table.doubleClicked.connect(self._on_row_chosen)

        self.refresh()

    def _combo(self, accessible_name: str) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(accessible_name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    def _set_column_widths(self) -> None:
        t = self.table
        widths = {
            CaseloadColumn.NAME: _sized("WWWWWWWWWW, Alexandra (demo)", t),
            CaseloadColumn.REFERENCE: _sized("Case reference", t),
            CaseloadColumn.NHS_NUMBER: _sized("000 000 0000", t),
            CaseloadColumn.DATE_OF_BIRTH: _sized("Date of birth", t),
            CaseloadColumn.AGE: _sized("Age", t, 36),
            CaseloadColumn.SITE: _sized("North London", t),
            CaseloadColumn.STATUS: _sized("Referred", t, 36),
            CaseloadColumn.LAST_SEEN: _sized("00/00/0000", t),
            CaseloadColumn.NEXT_APPOINTMENT: _sized("Wed 00/00/0000 00:00", t),
            CaseloadColumn.RISK: _sized("Not assessed", t),
            CaseloadColumn.UNSIGNED_NOTES: _sized("Unsigned", t),
            CaseloadColumn.PROTECTIVE_MEASURES: _sized("Protection", t),
            CaseloadColumn.TYPOLOGY: _sized("Incompetent suitor", t),
            CaseloadColumn.LEAD_CLINICIAN: _sized("Dr Alexandra Jones", t),
        }
        for column, width in widths.items():
            t.setColumnWidth(column, width)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the caseload (off the GUI thread), keeping the search, the filters and
        the selected client."""
        self._loading = True
        if self.model.rowCount() == 0:
            self._update_state()  # say it is on its way rather than that there is none
        load, prepare = self._load_caseload, self.model.preparing()

        def work() -> tuple[list[CaseloadRow], PreparedLines]:
            rows = list(load())
            return rows, prepare(rows)  # the lines too, so the GUI thread only shows them

        runner().run(
            work,
            self._show_caseload,
            key=f"caseload:{id(self)}",
            parent=self,
            failed=self._show_load_failure,
        )

    def _show_load_failure(self, error: ClinicError) -> None:
        self._loading = False
        feedback.show_error(self, error)
        # Keep what was shown; say so only when there was nothing to keep.
        self._load_failed = self.model.rowCount() == 0
        self._update_state()

    def _show_caseload(self, loaded: tuple[list[CaseloadRow], PreparedLines]) -> None:
        rows, lines = loaded
        self._loading = False
        self._load_failed = False
        selected = self.selected_client_id()
        self.model.set_lines(lines)
        self._fill_filters(rows)
        if selected is not None:
            self.select_client(selected)
        self._update_state()

    def _fill_filters(self, rows: Sequence[CaseloadRow]) -> None:
        sites = sorted({row.client.site for row in rows}, key=str.casefold)
        present = {row.client.status for row in rows}
        statuses = [status for status in CLIENT_STATUS_WORDS if status in present]
        clinicians = sorted(
            {name for row in rows for name in (*row.assigned, row.lead_clinician) if name},
            key=str.casefold,
        )
        _refill(self.site_filter, "All sites", [(s, s) for s in sites], self.proxy.site)
        _refill(
            self.status_filter,
            "All statuses",
            [(CLIENT_STATUS_WORDS[s], s.value) for s in statuses],
            None if self.proxy.status is None else self.proxy.status.value,
            keep_label=None
            if self.proxy.status is None
            else CLIENT_STATUS_WORDS[self.proxy.status],
        )
        _refill(
            self.clinician_filter,
            "All clinicians",
            [(c, c) for c in clinicians],
            self.proxy.clinician,
        )

    # -- selection -------------------------------------------------------------------------

    def selected_client_id(self) -> int | None:
        index = self.table.currentIndex()
        rows = self.table.selectionModel().selectedRows()
        if rows:
            index = rows[0]
        if not index.isValid():
            return None
        return int(index.data(CaseloadRole.CLIENT_ID))

    def select_client(self, client_id: int) -> bool:
        """Select and show a client if they are in the (filtered) list."""
        source_row = self.model.row_of_client(client_id)
        if source_row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    # -- state -----------------------------------------------------------------------------

    def _update_state(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        noun = "client" if total == 1 else "clients"
        self.count_label.setText(f"Showing {shown:,} of {total:,} {noun}")
        self.count_label.setAccessibleDescription(self.count_label.text())
        # With no clients at all there is nothing to search or filter.
        self.count_label.setVisible(total > 0)
        self.filter_bar.setVisible(total > 0)
        if shown:
            self.pages.setCurrentIndex(0)
            return
        if self._load_failed:
            message, action = LOAD_FAILED, "&Try again"
        elif self._loading and total == 0:
            message, action = LOADING, ""
        elif total == 0:
            message, action = f"{NO_CLIENTS}\n{NO_CLIENTS_HINT}", ""
        else:
            message, action = f"{NO_MATCHES}\n{NO_MATCHES_HINT}", "Show &all clients"
        self.empty_label.setText(message)
        first, _, rest = message.partition("\n")
        self.empty_label.setAccessibleName(first)
        self.empty_label.setAccessibleDescription(rest)
        if action:  # a hidden button keeps its name
            self.empty_action.setText(action)
            self.empty_action.setAccessibleName(action.replace("&", ""))
        self.empty_action.setVisible(bool(action))
        self.pages.setCurrentIndex(1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.search_box
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
        ):
            self._focus_table()
            return True
        return super().eventFilter(watched, event)

    def _focus_table(self) -> None:
        if self.proxy.rowCount() == 0:
            return
        if not self.table.selectionModel().selectedRows():
            self.table.selectionModel().setCurrentIndex(
                self.proxy.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- slots -----------------------------------------------------------------------------

    def _on_find(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def _filtering(self, change: Callable[[], None]) -> None:
        """Change the filter (the selected client stays selected while shown)."""
        change()
        self._update_state()

    def _on_search_changed(self, text: str) -> None:
        self._filtering(lambda: self.proxy.set_search_text(text))

    def _on_search_done(self) -> None:
        self._focus_table()

    def _on_site_chosen(self, _index: int) -> None:
        site = self.site_filter.currentData()
        self._filtering(lambda: self.proxy.set_site(site))

    def _on_status_chosen(self, _index: int) -> None:
        value = self.status_filter.currentData()
        self._filtering(
            lambda: self.proxy.set_status(None if value is None else ClientStatus(value))
        )

    def _on_clinician_chosen(self, _index: int) -> None:
        clinician = self.clinician_filter.currentData()
        self._filtering(lambda: self.proxy.set_clinician(clinician))

    def _on_row_chosen(self, index: QModelIndex) -> None:
        if index.isValid():
            self.client_activated.emit(int(index.data(CaseloadRole.CLIENT_ID)))

    def _on_empty_action(self) -> None:
        if self._load_failed:
            self.refresh()
            return
        for combo in (self.site_filter, self.status_filter, self.clinician_filter):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.search_box.blockSignals(True)
        self.search_box.clear()
        self.search_box.blockSignals(False)
        self._filtering(self.proxy.clear_filters)
        self.search_box.setFocus(Qt.FocusReason.OtherFocusReason)


def _refill(
    combo: QComboBox,
    everything: str,
    items: Sequence[tuple[str, str]],
    current: str | None,
    *,
    keep_label: str | None = None,
) -> None:
    """Rebuild a filter's choices from the data, keeping the current choice even if it
    no longer matches anyone (so a refresh never quietly widens the filter)."""
    combo.blockSignals(True)
    try:
        combo.clear()
        combo.addItem(everything, None)
        values = [value for _, value in items]
        if current is not None and current not in values:
            items = [*items, (keep_label or current, current)]
        for text, value in items:
            combo.addItem(text, value)
        combo.setCurrentIndex(0 if current is None else combo.findData(current))
    finally:
        combo.blockSignals(False)
