"""The Referrals, Measures and Summaries tabs of a client's record.

They show what the record holds. Making and moving referrals, scoring measures and
producing partner summaries are separate features; until they are present these tabs
show the stored facts and say plainly what is not available, with no dead buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.services.measures import AdministrationRow
from clinic_app.services.referrals import ReferralRow, ServiceRow
from clinic_app.views.table import ListTableModel

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def words(value: str) -> str:
    """An enum value as words: ``waiting_list`` -> ``Waiting list``."""
    return value.replace("_", " ").replace("-", " ").capitalize()


class _RowsModel(ListTableModel[Any]):
    """A read-only table whose cells come from ``display`` and sort by ``sort_key``."""

    def set_rows(self, rows: list[Any]) -> None:
        self.reset_items(rows)

    def row_at(self, row: int) -> Any:
        return self.item(row)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(row, index.column())
        if role == SORT_ROLE:
            return self.sort_key(row, index.column())
        return None

    def display(self, row: Any, column: int) -> str:
        raise NotImplementedError

    def sort_key(self, row: Any, column: int) -> Any:
        return self.display(row, column)


def _table(model: QAbstractTableModel, name: str) -> tuple[QTableView, QSortFilterProxyModel]:
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.setAccessibleName(name)
    return view, proxy


class ReferralColumn(IntEnum):
    SERVICE = 0
    URGENCY = 1
    STATUS = 2
    CREATED = 3
    SENT = 4
    SHAREABLE = 5


class ReferralModel(_RowsModel):
    """The client's referrals; the service named from the directory."""

    def __init__(self) -> None:
        super().__init__(
            ReferralColumn,
            dict(
                zip(
                    ReferralColumn,
                    ("Service", "Urgency", "Status", "Created", "Sent", "Fact may be shared"),
                    strict=True,
                )
            ),
        )
        self.services: dict[int, str] = {}

    def display(self, row: ReferralRow, column: int) -> str:
        match ReferralColumn(column):
            case ReferralColumn.SERVICE:
                return self.services.get(row.service_id, "Unknown service")
            case ReferralColumn.URGENCY:
                return words(row.urgency.value)
            case ReferralColumn.STATUS:
                return words(row.status.value)
            case ReferralColumn.CREATED:
                return f"{row.created_on:%d/%m/%Y}"
            case ReferralColumn.SENT:
                return f"{row.sent_on:%d/%m/%Y}" if row.sent_on else "Not sent"
            case ReferralColumn.SHAREABLE:
                if row.fact_shareable and row.share_gateway is not None:
                    return f"Yes ({row.share_gateway.value})"
                return "No"

    def sort_key(self, row: ReferralRow, column: int) -> Any:
        if column == ReferralColumn.CREATED:
            return row.created_on.isoformat()
        if column == ReferralColumn.SENT:
            return row.sent_on.isoformat() if row.sent_on else ""
        return self.display(row, column)


@dataclass(frozen=True)
class ReferralsActions:
    referrals_for_client: Callable[[int], list[ReferralRow]]
    service_directory: Callable[[], list[ServiceRow]]


class _ListTab(QWidget):
    """A tab with a heading, an empty-state line, a table and a detail pane."""

    changed = Signal()

    def __init__(self, heading: str, empty: str, model: _RowsModel, parent: QWidget | None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.heading = QLabel(heading)
        self.heading.setWordWrap(True)
        self.heading.setAccessibleName("About this tab")
        layout.addWidget(self.heading)
        self.empty = QLabel(empty)
        self.empty.setAccessibleName(empty)
        layout.addWidget(self.empty)
        self.model = model
        self.table, self.proxy = _table(model, heading.split(".", 1)[0])
        layout.addWidget(self.table, stretch=3)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Details of the selected row")
        self.detail.setPlaceholderText("Choose a row above to see it in full here.")
        layout.addWidget(self.detail, stretch=1)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.error: ClinicError | None = None

    def _show_rows(self, rows: list[Any]) -> None:
        self.model.set_rows(rows)
        has_rows = bool(rows)
        self.empty.setVisible(not has_rows)
        self.table.setVisible(has_rows)
        self.detail.setVisible(has_rows)
        self.detail.clear()

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.clear()
            return
        row = self.model.row_at(self.proxy.mapToSource(current).row())
        self.detail.setPlainText(self.describe(row))

    def describe(self, row: Any) -> str:
        raise NotImplementedError


class ReferralsTab(_ListTab):
    """The client's referrals to specialist services and where each has got to."""

    def __init__(
        self, client_id: int, actions: ReferralsActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Referrals to specialist services. The reason for a referral is private; "
            "only the bare fact may be shared, and only with consent or a gateway.",
            "No referrals recorded.",
            ReferralModel(),
            parent,
        )
        self.client_id = client_id
        self._actions = actions
        self.refresh()

    def refresh(self) -> None:
        model = self.model
        assert isinstance(model, ReferralModel)
        model.services = {s.id: s.name for s in self._actions.service_directory()}
        self._show_rows(self._actions.referrals_for_client(self.client_id))

    def describe(self, row: ReferralRow) -> str:
        assert isinstance(self.model, ReferralModel)
        service = self.model.services.get(row.service_id, "Unknown service")
        return f"{service}: {words(row.status.value)}\n\nReason (private):\n{row.reason}"


class MeasureColumn(IntEnum):
    DATE = 0
    MEASURE = 1
    MODE = 2
    ANSWERS = 3


class MeasureModel(_RowsModel):
    """Completed self-report measures with the item answers as given."""

    def __init__(self) -> None:
        headers = ("Date", "Measure", "Completed by", "Answers (item: value)")
        super().__init__(MeasureColumn, dict(zip(MeasureColumn, headers, strict=True)))

    def display(self, row: AdministrationRow, column: int) -> str:
        match MeasureColumn(column):
            case MeasureColumn.DATE:
                return f"{row.administered_on:%d/%m/%Y}"
            case MeasureColumn.MEASURE:
                return f"{row.measure_id.upper()} (version {row.measure_version})"
            case MeasureColumn.MODE:
                return (
                    "Client (self-completion)"
                    if row.mode.value == "self_completion"
                    else ("Clinician entry")
                )
            case MeasureColumn.ANSWERS:
                return answers_text(row)

    def sort_key(self, row: AdministrationRow, column: int) -> Any:
        if column == MeasureColumn.DATE:
            return row.administered_on.isoformat()
        return self.display(row, column)


def answers_text(row: AdministrationRow) -> str:
    return "  ".join(f"{item}: {'no answer' if v is None else v}" for item, v in row.answers)


@dataclass(frozen=True)
class MeasuresActions:
    administrations_for_client: Callable[[int], list[AdministrationRow]]


class MeasuresTab(_ListTab):
    """Self-report measures the client has completed, with every answer behind them."""

    def __init__(
        self, client_id: int, actions: MeasuresActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Self-report measures completed by the client, with the answer to every item. "
            "Answers and scores are clinical and are never shared with partners.",
            "No measures recorded.",
            MeasureModel(),
            parent,
        )
        self.client_id = client_id
        self._actions = actions
        self.refresh()

    def refresh(self) -> None:
        self._show_rows(self._actions.administrations_for_client(self.client_id))

    def describe(self, row: AdministrationRow) -> str:
        lines = [f"Item {item}: {'no answer' if v is None else v}" for item, v in row.answers]
        return f"{row.measure_id.upper()} on {row.administered_on:%d %B %Y}\n" + "\n".join(lines)


class SummariesTab(QWidget):
    """Where partner-safe progress summaries will be produced from; says so plainly now."""

    changed = Signal()

    def __init__(self, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client_id = client_id
        layout = QVBoxLayout(self)
        text = QLabel(
            "<b>Partner summaries</b><br><br>"
            "Progress summaries for police, probation, victim advocates and the "
            "multi-agency panel are built only from what this record marks as shareable: "
            "attendance, engagement, partner wordings of goals, shareable risk statements "
            "and the bare fact of referrals. Nothing clinical and nothing about other "
            "people is ever included.<br><br>"
            "Producing summaries is not available in this version of clinic-app."
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setAccessibleName("Partner summaries")
        layout.addWidget(text)
        layout.addStretch()

    def refresh(self) -> None:
        """Nothing to reload yet."""
