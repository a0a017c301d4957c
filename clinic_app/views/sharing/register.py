"""The disclosure register on screen: one client's, and the whole service's.

Every document that left the service, and every recorded decision not to share, is one
entry: when, what, to whom, why, under which gateway, who decided, whether the client
was told, and the SHA-256 fingerprint of the exact document. :class:`DisclosureModel`
holds the entries for a table; :class:`ServiceRegisterWindow` shows the service-wide
register with filters and a CSV export. The client's register is part of the Summaries
tab (:mod:`clinic_app.views.sharing.tab`).

Files are chosen with :func:`ask_save_path`, which tests replace.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.models.enums import DisclosureKind
from clinic_app.services.sharing.audiences import BUILT_IN
from clinic_app.services.sharing.disclosures import CLINICAL_AUDIENCE, DisclosureRow
from clinic_app.storage.files import write_atomically
from clinic_app.views.common.runner import runner
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.common.table import SORT_ROLE, ListTableModel
from clinic_app.views.common.widgets import to_date, to_qdate
from clinic_app.wording import (
    DISCLOSURE_KIND_SHORT,
    DISCLOSURE_KIND_WORDS,
    GATEWAY_BASIS,
    GATEWAY_WORDS,
)

Index = QModelIndex | QPersistentModelIndex

# -- words -------------------------------------------------------------------------------------

AUDIENCE_WORDS: dict[str, str] = {
    **{name: policy.title for name, policy in BUILT_IN.items()},
    CLINICAL_AUDIENCE: "Clinical (not a partner)",
}


NOT_SHARED_GATEWAY = "None (not shared)"
NO_GATEWAY = "None recorded"
NO_ENTRIES_CLIENT = (
    "Nothing has been shared about this client yet, and no decision not to share has been recorded."
)
NO_ENTRIES_SERVICE = "The register has no entries yet."
NO_MATCHES = "No entries match the filters. Widen the dates or choose All."
SHORT_HASH_CHARS = 12


def gateway_words(row: DisclosureRow, *, short: bool = False) -> str:
    """The entry's gateway in words; a decision not to share has none."""
    if row.gateway is None:
        return (
            NOT_SHARED_GATEWAY if row.kind is DisclosureKind.DECISION_NOT_TO_SHARE else NO_GATEWAY
        )
    # One wording per gateway, on every screen and document (the table elides a long one
    # and its tooltip adds the basis in law).
    del short
    return GATEWAY_WORDS[row.gateway]


def audience_words(audience: str, *, short: bool = False) -> str:
    """An audience in words; ``short`` for the register's table (its tooltip has the rest)."""
    if short and audience == CLINICAL_AUDIENCE:
        return "Clinical"
    return AUDIENCE_WORDS.get(audience, audience.replace("-", " ").capitalize())


def short_hash(sha256: str | None) -> str:
    """The start of a SHA-256 in groups of four, enough to compare by eye."""
    if not sha256:
        return "No document"
    head = sha256[:SHORT_HASH_CHARS]
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4)) + "…"


def recorded_text(moment: datetime) -> str:
    """When an entry was recorded, in the workstation's local time."""
    local = moment.astimezone()
    return f"{local:%d/%m/%Y %H:%M}"


def period_text(row: DisclosureRow) -> str:
    if row.period_from is None and row.period_to is None:
        return ""
    start = f"{row.period_from:%d/%m/%Y}" if row.period_from else "the start"
    end = f"{row.period_to:%d/%m/%Y}" if row.period_to else "now"
    return f"{start} to {end}"


def recipient_text(row: DisclosureRow) -> str:
    if row.recipient_person.strip():
        return f"{row.recipient_person}, {row.recipient_agency}"
    return row.recipient_agency


def told_text(row: DisclosureRow) -> str:
    if row.client_informed:
        return "Yes"
    return "No"


def ask_save_path(parent: QWidget | None, title: str, suggested: str, filters: str) -> str:
    """Ask where to save a file; empty when the user cancels. Tests replace this."""
    path, _chosen = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path


def show_message(parent: QWidget | None, title: str, text: str) -> None:
    """Tell the user something went well. Tests replace this."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(title)
    box.setText(text)
    box.setAccessibleName(title)
    box.setAccessibleDescription(text)
    box.exec()


def write_text_file(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 with a byte-order mark, which spreadsheets on Windows expect.

    Written beside the target first and moved into place, so a failure never leaves half
    a file.
    """
    write_atomically(path, ("\ufeff" + text).encode("utf-8"))


# -- the model ---------------------------------------------------------------------------------


class RegisterColumn(IntEnum):
    """The columns of the register, in order."""

    RECORDED = 0
    CLIENT = 1
    KIND = 2
    AUDIENCE = 3
    RECIPIENT = 4
    PURPOSE = 5
    GATEWAY = 6
    DECIDED_BY = 7
    CLIENT_TOLD = 8
    SHA256 = 9


REGISTER_HEADERS: dict[RegisterColumn, str] = {
    RegisterColumn.RECORDED: "Date",
    RegisterColumn.CLIENT: "Client ref.",
    RegisterColumn.KIND: "What",
    RegisterColumn.AUDIENCE: "Audience",
    RegisterColumn.RECIPIENT: "Recipient",
    RegisterColumn.PURPOSE: "Purpose",
    RegisterColumn.GATEWAY: "Gateway",
    RegisterColumn.DECIDED_BY: "Decided by",
    RegisterColumn.CLIENT_TOLD: "Client told",
    RegisterColumn.SHA256: "SHA-256",
}

REGISTER_TIPS: dict[RegisterColumn, str] = {
    RegisterColumn.CLIENT: "The client's reference in this service.",
    RegisterColumn.KIND: "What was shared, or a decision not to share.",
    RegisterColumn.SHA256: (
        "The fingerprint of the exact document. Point at a cell or choose the row to see "
        "all 64 characters."
    ),
    RegisterColumn.CLIENT_TOLD: "Whether the client was told about this, and if not, why not.",
}


ELIDED_COLUMNS = frozenset(
    {
        RegisterColumn.CLIENT,
        RegisterColumn.KIND,
        RegisterColumn.AUDIENCE,
        RegisterColumn.RECIPIENT,
        RegisterColumn.DECIDED_BY,
    }
)
"""Columns whose text may be cut short to fit: the tooltip holds all of it."""


class DisclosureModel(ListTableModel[DisclosureRow]):
    """Register entries, one a row; the SHA-256 shortened with the full value in tooltips.

    Text that may be cut short to fit the window (recipient, audience and the like) is
    in full in the cell's tooltip and in the entry's details.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(RegisterColumn, REGISTER_HEADERS, parent, header_tips=REGISTER_TIPS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        column = RegisterColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if column == RegisterColumn.SHA256 and row.document_sha256:
                return f"SHA-256 starting {short_hash(row.document_sha256)}"
            return self.display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        if role == SORT_ROLE:
            return self.sort_key(row, column)
        if (
            role == Qt.ItemDataRole.FontRole
            and column == RegisterColumn.SHA256
            and (row.document_sha256)
        ):
            font = QFont("monospace")
            font.setStyleHint(QFont.StyleHint.Monospace)
            return font
        return None

    def display(self, row: DisclosureRow, column: RegisterColumn) -> str:
        match column:
            case RegisterColumn.RECORDED:
                return recorded_text(row.recorded_at)
            case RegisterColumn.CLIENT:
                return row.client_ref or ""
            case RegisterColumn.KIND:
                return DISCLOSURE_KIND_SHORT[row.kind]
            case RegisterColumn.AUDIENCE:
                return audience_words(row.audience, short=True)
            case RegisterColumn.RECIPIENT:
                return recipient_text(row)
            case RegisterColumn.PURPOSE:
                return " ".join(row.purpose.split())
            case RegisterColumn.GATEWAY:
                return gateway_words(row, short=True)
            case RegisterColumn.DECIDED_BY:
                return row.decided_by_name or "A former member of staff"
            case RegisterColumn.CLIENT_TOLD:
                return told_text(row)
            case RegisterColumn.SHA256:
                return short_hash(row.document_sha256)

    def tooltip(self, row: DisclosureRow, column: RegisterColumn) -> str | None:
        match column:
            case RegisterColumn.SHA256:
                return row.document_sha256 or "A decision not to share has no document."
            case RegisterColumn.GATEWAY:
                if row.gateway is None:
                    return gateway_words(row)
                return f"{GATEWAY_WORDS[row.gateway]}. {GATEWAY_BASIS[row.gateway]}"
            case RegisterColumn.PURPOSE:
                return row.purpose
            case RegisterColumn.CLIENT_TOLD:
                if row.client_informed:
                    return "The client was told."
                if row.client_not_informed_reason:
                    return f"Not told: {row.client_not_informed_reason}"
                return "The client was not told."
            case RegisterColumn.RECORDED:
                return f"Recorded {recorded_text(row.recorded_at)}; document {row.document_id}"
            case RegisterColumn.KIND:
                return DISCLOSURE_KIND_WORDS[row.kind]
            case RegisterColumn.AUDIENCE:
                return audience_words(row.audience)
            case _ if column in ELIDED_COLUMNS:
                return self.display(row, column) or None
            case _:
                return None

    def sort_key(self, row: DisclosureRow, column: RegisterColumn) -> Any:
        if column == RegisterColumn.RECORDED:
            return f"{row.recorded_at.isoformat()} {row.id:012d}"
        return self.display(row, column).casefold()


# How wide each column may be, in digit widths: (narrowest, widest), in the order they
# give way when the window is narrow (the free text first, short fixed words last).
# Columns not named here are always as wide as their text (the date, whether the client
# was told, the shortened SHA-256); the purpose takes what is left, and no less than
# PURPOSE_MIN_CHARS.
COLUMN_CHARS: dict[RegisterColumn, tuple[int, int]] = {
    RegisterColumn.RECIPIENT: (10, 26),
    RegisterColumn.DECIDED_BY: (8, 16),
    RegisterColumn.AUDIENCE: (8, 18),
    RegisterColumn.KIND: (10, 22),
    RegisterColumn.GATEWAY: (9, 18),
    RegisterColumn.CLIENT: (8, 14),
}
PURPOSE_MIN_CHARS = 20


class RegisterTable(QTableView):
    """The register's table: its columns fit the width it has, without scrolling sideways.

    Each column is as wide as its text up to a limit; when the window is too narrow for
    that, the columns of names and words give way (down to a floor) before the purpose
    does, their cut text whole in the tooltips. The date, the shortened SHA-256 and
    whether the client was told always show in full.

    Signals: none beyond QTableView's.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._natural: dict[RegisterColumn, int] = {}

    def _char(self) -> int:
        return max(1, self.fontMetrics().horizontalAdvance("0"))

    def fit_columns(self) -> None:
        """Measure the text of every column again (after loading), then fit the width."""
        chars = self._char()
        header = self.horizontalHeader()
        self._natural = {}
        for column in RegisterColumn:
            if column == RegisterColumn.PURPOSE or self.isColumnHidden(column):
                continue
            wanted = max(self.sizeHintForColumn(column), header.sectionSizeHint(column))
            if column in COLUMN_CHARS:
                wanted = min(wanted, COLUMN_CHARS[column][1] * chars)
            self._natural[column] = wanted
        self._share_width()

    def _share_width(self) -> None:
        if not self._natural:
            return
        chars = self._char()
        widths = dict(self._natural)
        room = self.viewport().width() - PURPOSE_MIN_CHARS * chars
        excess = sum(widths.values()) - room
        for column, (narrowest, _widest) in COLUMN_CHARS.items():
            if excess <= 0:
                break
            if column not in widths:
                continue  # hidden
            give = min(excess, max(0, widths[column] - narrowest * chars))
            widths[column] -= give
            excess -= give
        for column, width in widths.items():
            self.setColumnWidth(column, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._share_width()


def make_register_table(
    model: DisclosureModel, name: str
) -> tuple[QTableView, QSortFilterProxyModel]:
    """A sortable, read-only table over ``model``, newest entries first."""
    proxy = RegisterFilter()
    proxy.setSourceModel(model)
    table = RegisterTable()
    table.setModel(proxy)
    table.setSortingEnabled(True)
    table.sortByColumn(RegisterColumn.RECORDED, Qt.SortOrder.DescendingOrder)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(RegisterColumn.PURPOSE, QHeaderView.ResizeMode.Stretch)
    table.setAccessibleName(name)
    return table, proxy


def fit_columns(table: QTableView) -> None:
    """Fit a register table's columns to its text and width (call after loading)."""
    if isinstance(table, RegisterTable):
        table.fit_columns()
        return
    for column in RegisterColumn:
        if column != RegisterColumn.PURPOSE:
            table.resizeColumnToContents(column)
            table.setColumnWidth(column, min(table.columnWidth(column), 200))


class RegisterFilter(QSortFilterProxyModel):
    """Sorts by the model's sort keys and keeps rows of one kind and audience (or all)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._kind: DisclosureKind | None = None
        self._audience: str | None = None

    def set_filters(self, *, kind: DisclosureKind | None, audience: str | None) -> None:
        # Qt 6.10+ wants filter changes bracketed (invalidateFilter is deprecated).
        self.beginFilterChange()
        self._kind = kind
        self._audience = audience
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, DisclosureModel):
            return True
        row = model.item(source_row)
        if self._kind is not None and row.kind is not self._kind:
            return False
        return self._audience is None or row.audience == self._audience


def describe_entry(row: DisclosureRow) -> str:
    """One register entry in full, as HTML (everything escaped)."""

    def line(label: str, value: str) -> str:
        return f"<b>{html.escape(label)}:</b> {html.escape(value)}<br>"

    told = "Yes" if row.client_informed else "No"
    if not row.client_informed and row.client_not_informed_reason:
        told = f"No. Why not: {row.client_not_informed_reason}"
    parts = [
        f"<h3>{html.escape(DISCLOSURE_KIND_WORDS[row.kind])}</h3><p>",
        line("Recorded", recorded_text(row.recorded_at)),
        line("Client reference", row.client_ref or "None"),
        line("Audience", audience_words(row.audience)),
        line("Recipient", recipient_text(row)),
        line("Purpose", row.purpose),
        line(
            "Gateway",
            gateway_words(row)
            + (f". {GATEWAY_BASIS[row.gateway]}" if row.gateway is not None else ""),
        ),
        line("Decided by", row.decided_by_name or "A former member of staff"),
        line("Client told", told),
    ]
    if period_text(row):
        parts.append(line("Reporting period", period_text(row)))
    if row.decision_reason:
        title = (
            "Reason not to share"
            if row.kind is DisclosureKind.DECISION_NOT_TO_SHARE
            else "Reason for the decision"
        )
        parts.append(line(title, row.decision_reason))
    parts.append(line("Document ID", row.document_id))
    parts.append("</p>")
    if row.document_sha256:
        parts.append(
            f"<p><b>SHA-256 of the document:</b><br><tt>{html.escape(row.document_sha256)}</tt></p>"
        )
    else:
        parts.append("<p>No document: this records a decision not to share.</p>")
    return "".join(parts)


# -- the service register window ---------------------------------------------------------------


class ServiceRegisterLoader(Protocol):
    """``disclosures.register_for_service`` bound to the signed-in user."""

    def __call__(
        self, *, recorded_from: date | None = None, recorded_to: date | None = None
    ) -> list[DisclosureRow]: ...


class RegisterCsv(Protocol):
    """``disclosures.register_csv`` bound to the signed-in user."""

    def __call__(self, *, client_id: int | None = None) -> str: ...


@dataclass(frozen=True)
class ServiceRegisterActions:
    """What the service register window calls, bound to the signed-in user."""

    register_for_service: ServiceRegisterLoader
    register_csv: RegisterCsv


def _window_size() -> tuple[int, int]:
    """Nearly the whole screen on a small one (1280 x 800), at most 1400 x 800."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return 1200, 700
    room = screen.availableGeometry()
    return min(1400, room.width() - 40), min(800, room.height() - 40)


class ServiceRegisterWindow(QDialog):
    """The whole service's disclosure register, filtered by dates, audience and kind.

    Dates are applied by the service (entries recorded on those days, both included);
    audience and kind filter the rows shown. Export as CSV writes the whole register as
    the service gives it (it leaves out clinical columns and is itself audited).

    Signals: none.
    """

    def __init__(
        self,
        actions: ServiceRegisterActions,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._today = today or date.today()
        self.setWindowTitle("Disclosure register for the service")
        self.setAccessibleName("Disclosure register for the service")
        self.resize(*_window_size())
        layout = QVBoxLayout(self)
        about = QLabel(
            "Documents shared by the service and decisions not to share, with the "
            "fingerprint (SHA-256) of each document. Clinical staff see those about the "
            "clients they may open, and those about no client; administrators see every "
            "entry, with the recipient and purpose of referral letters and clinical "
            "summaries in general terms. Clinical details are not shown here."
        )
        about.setWordWrap(True)
        about.setAccessibleName("About the register")
        layout.addWidget(about)

        filters = QHBoxLayout()
        self.limit_dates = QCheckBox("Only entries recorded &from")
        self.limit_dates.setAccessibleName("Only entries recorded between two dates")
        self.date_from = QDateEdit()
        self.date_from.setAccessibleName("Recorded from")
        self.date_from.setCalendarPopup(True)
        self.date_from.setDisplayFormat("dd/MM/yyyy")
        self.date_from.setDate(to_qdate(self._today).addMonths(-1))
        to_label = QLabel("&to")
        self.date_to = QDateEdit()
        self.date_to.setAccessibleName("Recorded to")
        self.date_to.setCalendarPopup(True)
        self.date_to.setDisplayFormat("dd/MM/yyyy")
        self.date_to.setDate(to_qdate(self._today))
        to_label.setBuddy(self.date_to)
        filters.addWidget(self.limit_dates)
        filters.addWidget(self.date_from)
        filters.addWidget(to_label)
        filters.addWidget(self.date_to)
        filters.addSpacing(16)

        audience_label = QLabel("&Audience")
        self.audience = QComboBox()
        self.audience.setAccessibleName("Audience")
        self.audience.addItem("All audiences", None)
        for name, words in AUDIENCE_WORDS.items():
            self.audience.addItem(words, name)
        audience_label.setBuddy(self.audience)
        filters.addWidget(audience_label)
        filters.addWidget(self.audience)
        kind_label = QLabel("&What")
        self.kind = QComboBox()
        self.kind.setAccessibleName("What was shared or decided")
        self.kind.addItem("Everything", None)
        for kind, words in DISCLOSURE_KIND_WORDS.items():
            self.kind.addItem(words, kind)
        kind_label.setBuddy(self.kind)
        filters.addWidget(kind_label)
        filters.addWidget(self.kind)
        filters.addStretch()
        layout.addLayout(filters)

        self.count = QLabel()
        self.count.setAccessibleName("How many entries are shown")
        layout.addWidget(self.count)
        self.empty = QLabel(NO_ENTRIES_SERVICE)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setContentsMargins(0, 24, 0, 0)
        self.empty.setAccessibleName(NO_ENTRIES_SERVICE)
        layout.addWidget(self.empty, stretch=1)

        self.model = DisclosureModel(self)
        self.table, proxy = make_register_table(self.model, "Register entries, newest first")
        assert isinstance(proxy, RegisterFilter)
        self.proxy = proxy
        layout.addWidget(self.table, stretch=3)
        self.details = QTextBrowser()
        self.details.setAccessibleName("The selected entry in full")
        self.details.setOpenLinks(False)
        layout.addWidget(self.details, stretch=1)

        buttons = QHBoxLayout()
        self.export_button = QPushButton("&Export the whole register as CSV…")
        self.export_button.setAccessibleName("Export the whole register as a CSV file")
        self.export_button.clicked.connect(self._on_export)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setAccessibleName("Load the register again")
        self.refresh_button.setToolTip("Load the register again (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        close = QPushButton("&Close")
        close.setAccessibleName("Close the register")
        close.clicked.connect(self.accept)
        buttons.addWidget(self.export_button)
        buttons.addStretch()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        refresh_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        refresh_key.activated.connect(self.refresh)

        self.limit_dates.toggled.connect(self._on_dates_changed)
        self.date_from.dateChanged.connect(self._on_dates_changed)
        self.date_to.dateChanged.connect(self._on_dates_changed)
        self.audience.currentIndexChanged.connect(self._on_filter_changed)
        self.kind.currentIndexChanged.connect(self._on_filter_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self._on_dates_toggled()
        self.refresh()

    # -- loading ---------------------------------------------------------------------------

    def date_range(self) -> tuple[date | None, date | None]:
        if not self.limit_dates.isChecked():
            return None, None
        return to_date(self.date_from.date()), to_date(self.date_to.date())

    def refresh(self) -> None:
        """Reload the register for the dates chosen (off the GUI thread)."""
        recorded_from, recorded_to = self.date_range()
        runner().run(
            partial(
                self._actions.register_for_service,
                recorded_from=recorded_from,
                recorded_to=recorded_to,
            ),
            self._show_rows,
            key=f"service-register:{id(self)}",
            parent=self,
            failed=self._show_load_failure,
        )

    def _show_load_failure(self, error: ClinicError) -> None:
        self._show_rows([], problem=f"The register could not be loaded. {error.message}")

    def _show_rows(self, rows: list[DisclosureRow], *, problem: str = "") -> None:
        self.empty.setText(problem or NO_ENTRIES_SERVICE)
        self.model.reset_items(list(rows))
        fit_columns(self.table)
        self._show_state()

    def shown_rows(self) -> list[DisclosureRow]:
        """The entries as the table shows them, top to bottom."""
        return [
            self.model.item(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            for r in range(self.proxy.rowCount())
        ]

    def _show_state(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        if total and not shown:
            self.empty.setText(NO_MATCHES)
        elif not total and self.date_range() != (None, None):
            self.empty.setText("No entries were recorded between those dates.")
        self.empty.setAccessibleName(self.empty.text())
        self.empty.setVisible(shown == 0)
        self.table.setVisible(shown > 0)
        self.details.setVisible(shown > 0)
        noun = "entry" if shown == 1 else "entries"
        self.count.setText(f"{shown} {noun} shown" + (f" of {total}" if shown != total else ""))
        if shown:
            self.table.selectRow(0)
            self.table.setCurrentIndex(self.proxy.index(0, 0))
        self._show_details()

    def _show_details(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            self.details.clear()
            return
        self.details.setHtml(describe_entry(self.model.item(self.proxy.mapToSource(index).row())))

    # -- slots -----------------------------------------------------------------------------

    def _on_dates_toggled(self) -> None:
        for widget in (self.date_from, self.date_to):
            widget.setEnabled(self.limit_dates.isChecked())

    def _on_dates_changed(self, *_args: object) -> None:
        self._on_dates_toggled()
        self.refresh()

    def _on_filter_changed(self, _index: int) -> None:
        kind = self.kind.currentData()
        audience = self.audience.currentData()
        # Qt hands a StrEnum back as plain text: turn it back into the kind.
        self.proxy.set_filters(
            kind=DisclosureKind(kind) if isinstance(kind, str) and kind else None,
            audience=audience if isinstance(audience, str) else None,
        )
        self._show_state()

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details()

    def _on_export(self) -> None:
        export_register_csv(
            self, self._actions.register_csv, "disclosure-register.csv", busy=[self.export_button]
        )


def export_register_csv(
    parent: QWidget,
    make_csv: Callable[[], str],
    suggested: str,
    *,
    busy: Sequence[QWidget] = (),
) -> None:
    """Ask where to save, then (off the GUI thread) write the CSV the service gives.

    ``busy`` (the export button) is disabled until the file is written or refused; the
    user is told where it was saved.
    """
    chosen = ask_save_path(parent, "Export the register as CSV", suggested, "CSV files (*.csv)")
    if not chosen:
        return
    path = Path(chosen)
    if path.suffix.lower() != ".csv":
        path = path.with_suffix(path.suffix + ".csv") if path.suffix else path.with_suffix(".csv")
    write = write_text_file  # looked up now, on the GUI thread (tests replace it)

    def work() -> Path:
        try:
            write(path, make_csv())
        except OSError as error:
            raise ClinicError(
                f"The file could not be written ({error.strerror or 'unknown reason'}). "
                "Choose another folder and try again."
            ) from None
        return path

    save_through_runner(
        parent,
        work,
        lambda saved: show_message(
            parent, "Register exported", f"The register was saved to {saved}."
        ),
        busy=busy,
        title="The register was not exported",
    )
