"""The pieces every list-with-details tab is built from.

A record tab or list (referrals, risk events, services, session notes, measure results,
third parties ...) shows the same furniture: a line saying what was last done, a centred
message in place of an empty table, a sortable single-row-selection table over a
:class:`~clinic_app.views.common.table.ListTableModel`, and a read-only pane with the
selected row in full. Building them here keeps them alike across the tabs.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel, QObject, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableView, QTextBrowser

from clinic_app.views.common.table import SORT_ROLE

TableT = TypeVar("TableT", bound=QTableView)


def last_action_label(*, plain: bool = True) -> QLabel:
    """The hidden line that says what the tab last did (shown after an action)."""
    label = QLabel()
    label.setWordWrap(True)
    if plain:
        label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName("Last action")
    label.hide()
    return label


def empty_state_label(text: str, *, plain: bool = True) -> QLabel:
    """The message shown, centred near the top, while there are no rows."""
    label = QLabel(text)
    label.setAccessibleName(text)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
    label.setContentsMargins(0, 24, 0, 0)
    if plain:
        label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def rows_table(table: TableT, *, name: str = "", word_wrap: bool | None = False) -> TableT:
    """``table`` set to select whole rows one at a time, never edit, and hide row numbers.

    ``word_wrap`` None leaves Qt's default (wrapping) alone.
    """
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setTabKeyNavigation(False)  # Tab moves on to the next control; arrows move in rows
    if word_wrap is not None:
        table.setWordWrap(word_wrap)
    table.verticalHeader().hide()
    if name:
        table.setAccessibleName(name)
    return table


def sorted_by(
    owner: QObject,
    table: QTableView,
    model: QAbstractItemModel,
    column: int,
    order: Qt.SortOrder,
) -> QSortFilterProxyModel:
    """Show ``model`` in ``table`` through a proxy sorting on :data:`SORT_ROLE`.

    The table starts sorted by ``column`` in ``order``; the clinician may click a header.
    """
    proxy = QSortFilterProxyModel(owner)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.sortByColumn(column, order)
    return proxy


def details_pane(name: str) -> QTextBrowser:
    """The read-only pane that shows the selected row in full (links are not followed)."""
    details = QTextBrowser()
    details.setAccessibleName(name)
    details.setOpenLinks(False)
    return details
