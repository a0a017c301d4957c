"""The caseload's rows, prepared once, and the filter that decides them in one pass.

Filtering has to stay quick with 10,000 clients (ARCHITECTURE.md: <= 50 ms), so every row's
display text, sort keys and a lowercase search key are computed once when the caseload is
loaded (:class:`CaseloadModel`), and :class:`CaseloadFilter` decides all rows in one pass
and hands the view the rows to show: Qt never asks Python about each of the 10,000 rows,
only about those on screen. The screen itself is ``caseload.view``.
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
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from clinic_app.models.enums import ClientStatus
from clinic_app.services.clients import CaseloadRow
from clinic_app.views.common.table import ListTableModel
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
