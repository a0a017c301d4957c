"""The caseload: the clients a clinician works with, searchable and filterable.

A clinician finds a client by typing part of a name (either order), a case reference or an
NHS number, and narrows the list by site, status or a clinician on the team. Enter or a
double-click opens the client. Beside identity and status, a clinician scans when each
client was last seen, their next appointment, the current risk judgement (the highest
level in the latest structured assessment), how many notes are unsigned and whether
protective measures are in force (a count only: their details, which are about third
parties, stay in the record's Victims tab); administrators see identity and status only.
No clinical text is ever shown.

The rows and the filter that keeps a keystroke quick with 10,000 clients are in
``caseload.model``; the caseload itself is read on the background runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
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
from clinic_app.views.caseload.model import (
    CLINICAL_COLUMNS,
    CaseloadColumn,
    CaseloadFilter,
    CaseloadModel,
    CaseloadRole,
    PreparedLines,
)
from clinic_app.views.common import feedback
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import OpenableTable
from clinic_app.wording import (
    CLIENT_STATUS_WORDS,
)

NO_CLIENTS = "No clients are assigned to you yet."
NO_CLIENTS_HINT = "Clients appear here once they are registered or assigned to you."
NO_MATCHES = "No clients match your search."
NO_MATCHES_HINT = "Try fewer words, or choose All sites, All statuses and All clinicians."
LOAD_FAILED = "Your caseload could not be loaded."
LOADING = "Reading your caseload…"
SEARCH_PLACEHOLDER = "Search by name, case reference or NHS number"


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
