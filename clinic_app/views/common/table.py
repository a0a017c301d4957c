"""A read-only table over a list of rows: the part every list in the views shares.

Subclasses say what a cell shows (override ``cell``, or ``data`` for the whole index);
this base keeps the rows, counts them, names the columns from an IntEnum and a header
mapping (also as the header's accessible text), optionally numbers the rows down the
side, and makes rows selectable but never editable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QTableView

R = TypeVar("R")
# The role a list's model answers with the value its column sorts by.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex


class ListTableModel(QAbstractTableModel, Generic[R]):
    """Rows of one kind, one per line; columns from ``columns``, titles from ``headers``."""

    def __init__(
        self,
        columns: type[IntEnum],
        headers: Mapping[Any, str],
        parent: QObject | None = None,
        *,
        header_tips: Mapping[Any, str] | None = None,
        row_numbers: bool = False,
    ) -> None:
        super().__init__(parent)
        self._columns = columns
        self._headers = headers
        self._header_tips = header_tips or {}
        # Numbers down the side (1, 2, ...) for tables whose vertical header is shown.
        self._row_numbers = row_numbers
        self._items: list[R] = []

    def reset_items(self, items: Sequence[R]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> R:
        return self._items[row]

    def row_with_id(self, ident: int) -> int | None:
        """The row of the item whose ``id`` is ``ident`` (rows that are records have one)."""
        for row, item in enumerate(self._items):
            if getattr(item, "id", None) == ident:
                return row
        return None

    def items(self) -> list[R]:
        return list(self._items)

    def rowCount(self, parent: AnyIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self._items)

    def columnCount(self, parent: AnyIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self._columns)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if self._row_numbers and role == Qt.ItemDataRole.DisplayRole:
                return str(section + 1) if 0 <= section < len(self._items) else None
            return None
        if not 0 <= section < len(self._columns):
            return None
        column = self._columns(section)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._headers[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tips.get(column)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        return self.cell(self._items[index.row()], index.column(), role)

    def cell(self, item: R, column: int, role: int) -> Any:
        """What ``item`` shows in ``column`` for ``role``; None for nothing."""
        raise NotImplementedError

    def in_range(self, index: AnyIndex) -> bool:
        """True for an index of an existing row and column."""
        return (
            index.isValid()
            and 0 <= index.row() < len(self._items)
            and 0 <= index.column() < len(self._columns)
        )


class OpenableTable(QTableView):
    """A table where Enter or Return asks to open the current row, on every platform.

    Signals:
        open_requested(QModelIndex): Enter or Return was pressed on a row.
    """

    open_requested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class ProxyRows(Generic[R]):
    """Reading and selecting the rows of a table shown through a sort/filter proxy.

    The record tabs and lists all need the same four things: the rows in the order the
    table shows them, the selected row, selecting a row by its record's id (when opened
    from elsewhere) and selecting a row by its place in the view.
    """

    def __init__(
        self, table: QTableView, proxy: QSortFilterProxyModel, model: ListTableModel[R]
    ) -> None:
        self._table = table
        self._proxy = proxy
        self._model = model

    def in_view(self) -> list[R]:
        """The rows as the table shows them, top to bottom."""
        return [
            self._model.item(self._proxy.mapToSource(self._proxy.index(r, 0)).row())
            for r in range(self._proxy.rowCount())
        ]

    def selected(self) -> R | None:
        current = self._table.currentIndex()
        if not current.isValid():
            return None
        return self._model.item(self._proxy.mapToSource(current).row())

    def select_id(self, ident: int) -> bool:
        """Select the row of the record with this id; False if it is not in the table."""
        row = self._model.row_with_id(ident)
        if row is None:
            return False
        return self.select_view_row(self._proxy.mapFromSource(self._model.index(row, 0)).row())

    def select_view_row(self, row: int) -> bool:
        """Select the ``row``-th row as shown; clear the selection when there is none."""
        if not 0 <= row < self._proxy.rowCount():
            self._table.clearSelection()
            return False
        self._table.selectRow(row)
        self._table.setCurrentIndex(self._proxy.index(row, 0))
        return True
