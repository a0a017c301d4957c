"""The specialist service directory, kept by administrators.

Lists every service clinicians can refer to (active first) with its kind, usual response
time, SNOMED CT concept id for the referral type and contact details, and lets an
administrator add a service, change one, or take one out of use (services are never
deleted: past referrals keep pointing at them). A SNOMED CT id is checked as it is typed
(digits, check digit, concept partition) and again when saved.

Dialogs are run through :func:`exec_dialog` so tests can drive them without a modal loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from typing import Any, Protocol

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, EditConflict, Problem
from clinic_app.models.enums import ServiceKind
from clinic_app.services.service_directory import (
    DEFAULT_RESPONSE_DAYS,
    MAX_RESPONSE_DAYS,
    ServiceRow,
    snomed_concept_id_problem,
)
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors
from clinic_app.views.common.list_tab import (
    empty_state_label,
    last_action_label,
    rows_table,
    sorted_by,
)
from clinic_app.views.common.runner import runner
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.common.table import SORT_ROLE, ListTableModel, OpenableTable, ProxyRows
from clinic_app.views.common.widgets import exec_dialog, problems_label
from clinic_app.wording import SERVICE_KIND_WORDS

Index = QModelIndex | QPersistentModelIndex
NO_SERVICES = (
    "No specialist services in the directory yet. Add the services your team refers "
    "clients to: personality disorder services, psychiatry, NHS Talking Therapies, "
    "substance misuse, forensic services, GPs."
)
SNOMED_OK = "A valid SNOMED CT concept id."
SNOMED_HINT = "Optional. The concept id of the referral type, e.g. 3457005 (patient referral)."


class AddService(Protocol):
    """``service_directory.add_service`` bound to the signed-in administrator."""

    def __call__(
        self,
        *,
        name: str,
        kind: ServiceKind,
        contact: str = "",
        expected_response_days: int = DEFAULT_RESPONSE_DAYS,
        snomed_concept_id: str | None = None,
    ) -> ServiceRow: ...


class UpdateService(Protocol):
    """``service_directory.update_service`` bound to the signed-in administrator."""

    def __call__(
        self,
        service_id: int,
        *,
        name: str,
        kind: ServiceKind,
        contact: str,
        expected_response_days: int,
        snomed_concept_id: str | None,
        expected_version: int | None = None,
    ) -> ServiceRow: ...


class SetServiceActive(Protocol):
    """``service_directory.set_service_active`` bound to the signed-in administrator."""

    def __call__(self, service_id: int, *, active: bool) -> ServiceRow: ...


@dataclass(frozen=True)
class ServicesActions:
    """The use cases the directory calls, bound to the signed-in administrator."""

    service_directory: Callable[[], list[ServiceRow]]
    add_service: AddService
    update_service: UpdateService
    set_service_active: SetServiceActive


# -- the service dialog ---------------------------------------------------------------------------


class ServiceDialog(QDialog):
    """Add a service to the directory, or change one (when ``service`` is given).

    On success ``saved_service`` holds the stored row and the dialog is accepted;
    problems are shown beside their fields and what was typed stays.

    Signals:
        saved(object): the stored :class:`ServiceRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        actions: ServicesActions,
        service: ServiceRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self.service = service
        self.saved_service: ServiceRow | None = None
        self.errors = FieldErrors()
        title = "Add a specialist service" if service is None else "Change a specialist service"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.name = QLineEdit()
        self.name.setAccessibleName("Service name")
        self.name.setPlaceholderText("e.g. North Personality Disorder Service")
        form.addRow(self._label("&Name", self.name), self.errors.with_field("name", self.name))

        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of service")
        self._kinds = list(ServiceKind)
        for kind in self._kinds:
            self.kind.addItem(SERVICE_KIND_WORDS[kind])
        form.addRow(self._label("&Kind", self.kind), self.errors.with_field("kind", self.kind))

        self.response_days = QSpinBox()
        self.response_days.setAccessibleName("Expected response time in days")
        self.response_days.setRange(1, MAX_RESPONSE_DAYS)
        self.response_days.setSuffix(" days")
        self.response_days.setValue(DEFAULT_RESPONSE_DAYS)
        self.response_days.setToolTip(
            "How long the service usually takes to respond to a referral. A sent referral "
            "with no response after this is shown as overdue."
        )
        form.addRow(
            self._label("Usual &response time", self.response_days),
            self.errors.with_field("expected_response_days", self.response_days),
        )

        self.snomed = QLineEdit()
        self.snomed.setAccessibleName("SNOMED CT concept id for the referral type")
        self.snomed.setPlaceholderText("e.g. 3457005")
        self.snomed.setMaxLength(30)
        snomed_box = QWidget()
        snomed_column = QVBoxLayout(snomed_box)
        snomed_column.setContentsMargins(0, 0, 0, 0)
        snomed_column.addWidget(self.snomed)
        self.snomed_check = QLabel(SNOMED_HINT)
        self.snomed_check.setWordWrap(True)
        self.snomed_check.setAccessibleName("Check of the SNOMED CT id")
        snomed_column.addWidget(self.snomed_check)
        snomed_column.addWidget(self.errors.label_for("snomed_concept_id", self.snomed))
        form.addRow(self._label("&SNOMED CT concept", self.snomed), snomed_box)

        self.contact = QPlainTextEdit()
        self.contact.setAccessibleName("Contact details")
        self.contact.setPlaceholderText("Address, telephone, secure email for referrals")
        self.contact.setTabChangesFocus(True)
        self.contact.setMaximumHeight(90)
        form.addRow(
            self._label("&Contact details", self.contact),
            self.errors.with_field("contact", self.contact),
        )
        layout.addLayout(form)

        self.general_errors = problems_label()
        layout.addWidget(self.general_errors)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("S&ave", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setAccessibleName("Save the service")
        self.save_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel without saving")
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        if service is not None:
            self.name.setText(service.name)
            self.kind.setCurrentIndex(self._kinds.index(service.kind))
            self.response_days.setValue(service.expected_response_days)
            self.snomed.setText(service.snomed_concept_id or "")
            self.contact.setPlainText(service.contact)
        self.snomed.textChanged.connect(self._on_snomed_changed)
        self._on_snomed_changed(self.snomed.text())
        self.setTabOrder(self.name, self.kind)
        self.setTabOrder(self.kind, self.response_days)
        self.setTabOrder(self.response_days, self.snomed)
        self.setTabOrder(self.snomed, self.contact)
        self.setTabOrder(self.contact, self.save_button)
        self.name.setFocus()

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def chosen_kind(self) -> ServiceKind:
        return self._kinds[max(0, self.kind.currentIndex())]

    def show_problems(self, problems: Sequence[Problem]) -> None:
        unplaced = self.errors.show(problems)
        self.general_errors.setText("\n".join(p.message for p in unplaced))
        self.general_errors.setVisible(bool(unplaced))

    def _on_snomed_changed(self, text: str) -> None:
        if not text.strip():
            message, problem = SNOMED_HINT, False
        else:
            found = snomed_concept_id_problem(text)
            message, problem = (found, True) if found else (SNOMED_OK, False)
        # The words say whether it is valid; the colour only repeats them.
        self.snomed_check.setText(message)
        self.snomed_check.setStyleSheet(ERROR_STYLE if problem else "")
        self.snomed.setAccessibleDescription(message)

    def _on_save(self) -> None:
        values: dict[str, Any] = {
            "name": self.name.text(),
            "kind": self.chosen_kind(),
            "contact": self.contact.toPlainText(),
            "expected_response_days": self.response_days.value(),
            "snomed_concept_id": self.snomed.text().strip() or None,
        }
        over: Callable[[EditConflict, Mapping[str, str]], Callable[[], ServiceRow]] | None = None
        if self.service is None:
            work: Callable[[], ServiceRow] = partial(self._actions.add_service, **values)
        else:
            update, service_id = self._actions.update_service, self.service.id
            work = partial(update, service_id, **values, expected_version=self.service.version)

            def over(conflict: EditConflict, edits: Mapping[str, str]) -> Callable[[], ServiceRow]:
                again = {**values, **{k: v for k, v in edits.items() if k in values}}
                return partial(update, service_id, **again, expected_version=conflict.version)

        save_through_runner(
            self,
            work,
            self._on_saved,
            busy=[self.buttons],
            title="The service was not saved",
            problems=self.show_problems,
            again=over,
            keep_saved=self.reject,
        )

    def _on_saved(self, row: ServiceRow) -> None:
        self.errors.clear()
        self.saved_service = row
        self.saved.emit(row)
        self.accept()


# -- the table ------------------------------------------------------------------------------------


class ServiceColumn(IntEnum):
    """The columns of the directory, in order."""

    NAME = 0
    KIND = 1
    RESPONSE = 2
    SNOMED = 3
    IN_USE = 4
    CONTACT = 5


SERVICE_HEADERS: dict[ServiceColumn, str] = {
    ServiceColumn.NAME: "Service",
    ServiceColumn.KIND: "Kind",
    ServiceColumn.RESPONSE: "Usual response",
    ServiceColumn.SNOMED: "SNOMED CT concept",
    ServiceColumn.IN_USE: "In use",
    ServiceColumn.CONTACT: "Contact details",
}


class ServiceTableModel(ListTableModel[ServiceRow]):
    """The directory: one row per service, in words."""

    def __init__(self) -> None:
        super().__init__(ServiceColumn, SERVICE_HEADERS)

    def display(self, row: ServiceRow, column: ServiceColumn) -> str:
        match column:
            case ServiceColumn.NAME:
                return row.name
            case ServiceColumn.KIND:
                return SERVICE_KIND_WORDS[row.kind]
            case ServiceColumn.RESPONSE:
                days = row.expected_response_days
                return f"{days} day{'' if days == 1 else 's'}"
            case ServiceColumn.SNOMED:
                return row.snomed_concept_id or "None"
            case ServiceColumn.IN_USE:
                return "Yes" if row.active else "No: taken out of use"
            case ServiceColumn.CONTACT:
                return " ".join(row.contact.split()) or "None recorded"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        column = ServiceColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == ServiceColumn.CONTACT:
            return row.contact or None
        if role == SORT_ROLE:
            if column == ServiceColumn.RESPONSE:
                return row.expected_response_days
            if column == ServiceColumn.NAME:  # services in use first, then by name
                return f"{0 if row.active else 1} {row.name.casefold()}"
            return self.display(row, column).casefold()
        return None


# -- the directory view ---------------------------------------------------------------------------


class ServicesDirectoryView(QWidget):
    """The administrators' view of the specialist service directory.

    Signals:
        changed(): emitted after a service was added, changed, or taken out of (or put
            back into) use.
    """

    changed = Signal()

    def __init__(self, actions: ServicesActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self.setAccessibleName("Specialist service directory")
        layout = QVBoxLayout(self)
        heading = QLabel(
            "<b>Specialist service directory</b><br>The services clinicians refer clients "
            "to. A service taken out of use keeps its past referrals but takes no new ones; "
            "services are never deleted."
        )
        heading.setWordWrap(True)
        heading.setTextFormat(Qt.TextFormat.RichText)
        heading.setAccessibleName("About the service directory")
        layout.addWidget(heading)

        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add service…")
        self.add_button.setAccessibleName("Add a service to the directory")
        self.add_button.clicked.connect(self._on_add)
        self.edit_button = QPushButton("&Change…")
        self.edit_button.setAccessibleName("Change the selected service")
        self.edit_button.setToolTip("Change the selected service (Enter)")
        self.edit_button.clicked.connect(self._on_edit)
        self.active_button = QPushButton("Take out of &use")
        self.active_button.setAccessibleName("Take the selected service out of use")
        self.active_button.clicked.connect(self._on_toggle_active)
        for button in (self.add_button, self.edit_button, self.active_button):
            buttons.addWidget(button)
        buttons.addStretch()
        layout.addLayout(buttons)

        self.message = last_action_label(plain=False)
        layout.addWidget(self.message)

        self.empty = empty_state_label(NO_SERVICES, plain=False)
        layout.addWidget(self.empty, stretch=1)

        self.model = ServiceTableModel()
        self.table = rows_table(OpenableTable(), name="Specialist services", word_wrap=None)
        self.proxy = sorted_by(
            self, self.table, self.model, ServiceColumn.NAME, Qt.SortOrder.AscendingOrder
        )
        self.rows = ProxyRows(self.table, self.proxy, self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ServiceColumn.CONTACT, QHeaderView.ResizeMode.Stretch)
        self.table.open_requested.connect(self._on_row_opened)
        self.table.doubleClicked.connect(self._on_row_opened)
        layout.addWidget(self.table, stretch=1)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.setTabOrder(self.add_button, self.edit_button)
        self.setTabOrder(self.edit_button, self.active_button)
        self.setTabOrder(self.active_button, self.table)
        self._select_after_load: int | None = None
        self.refresh()

    def refresh(self, *, select: int | None = None) -> None:
        """Reload the directory (off the GUI thread), keeping the selected service selected,
        or selecting service ``select`` once it is shown."""
        if select is not None:
            self._select_after_load = select
        runner().run(
            self._actions.service_directory,
            self._show_services,
            key=f"service-directory:{id(self)}",
            parent=self,
            failed=self._show_load_failure,
        )

    def _show_load_failure(self, error: ClinicError) -> None:
        self._show_services([], problem=f"The directory could not be loaded. {error.message}")

    def _show_services(self, rows: list[ServiceRow], *, problem: str = "") -> None:
        kept = self.selected_service()
        keep = self._select_after_load or (kept.id if kept is not None else None)
        self._select_after_load = None
        self.empty.setText(problem or NO_SERVICES)
        self.empty.setAccessibleName(self.empty.text())
        self.model.reset_items(list(rows))
        has_rows = bool(rows)
        self.empty.setVisible(not has_rows)
        self.table.setVisible(has_rows)
        self.edit_button.setVisible(has_rows)
        self.active_button.setVisible(has_rows)
        if not (keep is not None and self.select_service(keep)):
            self._select_proxy_row(0)
        self._update_active_button()

    def services(self) -> list[ServiceRow]:
        """The services as the table shows them, top to bottom."""
        return self.rows.in_view()

    def selected_service(self) -> ServiceRow | None:
        return self.rows.selected()

    def select_service(self, service_id: int) -> bool:
        return self.rows.select_id(service_id)

    def _select_proxy_row(self, row: int) -> bool:
        return self.rows.select_view_row(row)

    def _update_active_button(self) -> None:
        service = self.selected_service()
        if service is not None and not service.active:
            self.active_button.setText("Put back into &use")
            self.active_button.setAccessibleName("Put the selected service back into use")
        else:
            self.active_button.setText("Take out of &use")
            self.active_button.setAccessibleName("Take the selected service out of use")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def open_service_dialog(self, service: ServiceRow | None = None) -> ServiceRow | None:
        """Add a service (or change ``service``); returns the stored row, or None."""
        dialog = ServiceDialog(self._actions, service, self)
        exec_dialog(dialog)
        row = dialog.saved_service
        dialog.deleteLater()
        if row is None:
            return None
        self.refresh(select=row.id)
        self._say(f"{row.name} {'added to' if service is None else 'changed in'} the directory.")
        self.changed.emit()
        return row

    def toggle_active(self, service: ServiceRow | None = None) -> ServiceRow | None:
        """Take ``service`` (default: the selected one) out of use, or put it back."""
        service = service or self.selected_service()
        if service is None:
            return None
        changed: list[ServiceRow] = []

        def show(row: ServiceRow) -> None:
            changed.append(row)
            self.refresh(select=row.id)
            self._say(
                f"{row.name} is in use again: clinicians can refer to it."
                if row.active
                else f"{row.name} is out of use: no new referrals; its past referrals are kept."
            )
            self.changed.emit()

        save_through_runner(
            self,
            partial(self._actions.set_service_active, service.id, active=not service.active),
            show,
            busy=[self.active_button],
            title="The service was not changed",
        )
        return changed[0] if changed else None

    def _on_add(self) -> None:
        self.open_service_dialog()

    def _on_edit(self) -> None:
        service = self.selected_service()
        if service is not None:
            self.open_service_dialog(service)

    def _on_toggle_active(self) -> None:
        self.toggle_active()

    def _on_row_opened(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_service_dialog(self.model.item(self.proxy.mapToSource(index).row()))

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_active_button()


class ServicesDirectoryDialog(QDialog):
    """The directory in a window of its own, for the administrators' menu."""

    def __init__(self, actions: ServicesActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Specialist service directory")
        self.setAccessibleName("Specialist service directory")
        self.resize(1000, 560)
        layout = QVBoxLayout(self)
        self.view = ServicesDirectoryView(actions, self)
        layout.addWidget(self.view)
        buttons = QDialogButtonBox()
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close the directory")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
