"""Reading and selecting rows of a sorted table by record id (shared by the record tabs)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QTableView

from clinic_app.views.common.table import ListTableModel, ProxyRows


class Column(IntEnum):
    NAME = 0


@dataclass(frozen=True)
class Thing:
    id: int
    name: str


class ThingModel(ListTableModel[Thing]):
    def __init__(self) -> None:
        super().__init__(Column, {Column.NAME: "Name"})

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.in_range(index) and role == Qt.ItemDataRole.DisplayRole:
            return self.item(index.row()).name
        return None


def test_rows_are_read_and_selected_in_the_order_shown(qtbot, qtmodeltester):
    model = ThingModel()
    model.reset_items([Thing(1, "alpha"), Thing(2, "bravo"), Thing(3, "charlie")])
    qtmodeltester.check(model)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(proxy)
    proxy.sort(Column.NAME, Qt.SortOrder.DescendingOrder)
    rows = ProxyRows(table, proxy, model)

    assert [t.id for t in rows.in_view()] == [3, 2, 1]
    assert rows.selected() is None
    assert rows.select_id(1)
    assert rows.selected() == Thing(1, "alpha")
    assert table.currentIndex().row() == 2  # shown last when sorted descending
    assert not rows.select_id(99)
    assert rows.select_view_row(0) and rows.selected() == Thing(3, "charlie")
    assert not rows.select_view_row(5)
    assert not table.selectionModel().hasSelection()
