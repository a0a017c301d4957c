"""An administrator's Home: staff accounts and caseloads, settings, backups, the audit check.

The same services as the command line (``user``, ``settings``, ``backup``, ``audit
verify``) do the work, on the background runner. An administrator never sees clinical
detail here: accounts, case references and names, settings, and the audit trail's shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.models.enums import Role
from clinic_app.services.assignments import AssignmentRow
from clinic_app.services.audit import AuditReport
from clinic_app.services.safekeeping import BackupRow
from clinic_app.services.settings import SettingRow, TextSettingRow
from clinic_app.services.staff import StaffRow
from clinic_app.views.admin.dialogs import AddAccountDialog, AssignClientDialog, ResetPasswordDialog
from clinic_app.views.admin.letters import LetterTemplateActions, LetterTemplatesPage
from clinic_app.views.common.home_screen import HomeScreen
from clinic_app.views.common.list_tab import empty_state_label, last_action_label, rows_table
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import ListTableModel
from clinic_app.views.common.widgets import exec_dialog
from clinic_app.wording import ROLE_WORDS


@dataclass(frozen=True)
class AdminActions:
    """The use cases the administration screen runs (bound to the signed-in administrator)."""

    list_users: Callable[[], list[StaffRow]]
    add_user: Callable[..., StaffRow]
    change_role: Callable[[str, Role], StaffRow]
    reset_password: Callable[[str, str], StaffRow]
    unlock_user: Callable[[str], StaffRow]
    disable_user: Callable[[str], StaffRow]
    enable_user: Callable[[str], StaffRow]
    assignments_of: Callable[[int], list[AssignmentRow]]
    assign_client: Callable[..., AssignmentRow]
    end_assignment: Callable[[int, int], None]
    list_settings: Callable[[], list[SettingRow]]
    list_text_settings: Callable[[], list[TextSettingRow]]
    change_setting: Callable[[str, str], object]
    last_backup: Callable[[], BackupRow | None]
    backup_now: Callable[[Path], BackupRow]
    check_audit_trail: Callable[[], AuditReport]
    suggested_backup: Callable[[], Path]
    letters: LetterTemplateActions | None = None
    """The letter templates (absent: no Letters page)."""
    set_letter_details: Callable[..., StaffRow] | None = None
    """``staff.set_letter_details``: job title and contact details for letters."""


NO_CLIENTS = "No clients are assigned."
CHOOSE_CLINICIAN = "Choose a member of clinical staff above to see and change their caseload."


def _when(moment: datetime) -> str:
    return f"{moment.astimezone():%d/%m/%Y %H:%M}"


def account_state(row: StaffRow, now: datetime | None = None) -> str:
    """How an account stands, in words: active, disabled or locked (and until when)."""
    if row.disabled:
        return "Disabled"
    moment = now or datetime.now().astimezone()
    if row.locked_until is not None and row.locked_until > moment:
        return f"Locked until {row.locked_until.astimezone():%H:%M}"
    return "Active"


class AccountColumn(IntEnum):
    USERNAME = 0
    NAME = 1
    ROLE = 2
    JOB = 3
    STATE = 4


class AccountsModel(ListTableModel[StaffRow]):
    def __init__(self) -> None:
        super().__init__(
            AccountColumn,
            {
                AccountColumn.USERNAME: "Username",
                AccountColumn.NAME: "Name",
                AccountColumn.ROLE: "Role",
                AccountColumn.JOB: "Job title",
                AccountColumn.STATE: "Account",
            },
        )

    def cell(self, item: StaffRow, column: int, role: int) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        match AccountColumn(column):
            case AccountColumn.USERNAME:
                return item.username
            case AccountColumn.NAME:
                return item.display_name
            case AccountColumn.ROLE:
                return ROLE_WORDS[item.role]
            case AccountColumn.JOB:
                return item.job_title
            case AccountColumn.STATE:
                return account_state(item)


class CaseloadColumn(IntEnum):
    REFERENCE = 0
    NAME = 1
    LEAD = 2
    SINCE = 3


class AssignmentsModel(ListTableModel[AssignmentRow]):
    def __init__(self) -> None:
        super().__init__(
            CaseloadColumn,
            {
                CaseloadColumn.REFERENCE: "Case reference",
                CaseloadColumn.NAME: "Name",
                CaseloadColumn.LEAD: "Leads care",
                CaseloadColumn.SINCE: "Assigned since",
            },
        )

    def cell(self, item: AssignmentRow, column: int, role: int) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        match CaseloadColumn(column):
            case CaseloadColumn.REFERENCE:
                return item.local_ref
            case CaseloadColumn.NAME:
                return item.name
            case CaseloadColumn.LEAD:
                return "Yes" if item.is_lead else ""
            case CaseloadColumn.SINCE:
                return f"{item.since.astimezone():%d/%m/%Y}"


def _table(name: str, model: ListTableModel[Any]) -> QTableView:
    table = rows_table(QTableView(), name=name)
    table.setModel(model)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _button(text: str, slot: Callable[[], None], tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(text.replace("&", "").replace("…", ""))
    if tip:
        button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


class AccountsPage(QWidget):
    """Staff accounts, and the caseload of the one selected."""

    def __init__(self, actions: AdminActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        layout = QVBoxLayout(self)
        self.model = AccountsModel()
        self.table = _table("Staff accounts", self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        layout.addWidget(self.table, 3)
        row = QHBoxLayout()
        self.add_button = _button("&Add account…", self._on_add)
        self.role_button = _button("Change &role…", self._on_role)
        self.reset_button = _button(
            "Reset &password…", self._on_reset, "A temporary password they replace at sign-in"
        )
        self.unlock_button = _button(
            "&Unlock", self._on_unlock, "End a lockout after wrong passwords"
        )
        self.disable_button = _button("&Disable", self._on_disable, "Stop the account signing in")
        self.enable_button = _button("&Enable", self._on_enable, "Let the account sign in again")
        self.details_button = _button(
            "Signature &block…",
            self._on_letter_details,
            "The job title, phone and email printed under the member of staff's letters",
        )
        if actions.set_letter_details is None:
            self.details_button.hide()  # never shown here: it has no parent yet
        for button in (
            self.add_button,
            self.role_button,
            self.reset_button,
            self.unlock_button,
            self.disable_button,
            self.enable_button,
            self.details_button,
        ):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = last_action_label()
        layout.addWidget(self.status)

        self.caseload_box = QGroupBox("Caseload")
        box = QVBoxLayout(self.caseload_box)
        self.caseload_model = AssignmentsModel()
        self.caseload = _table("Clients assigned", self.caseload_model)
        box.addWidget(self.caseload)
        self.caseload_empty = empty_state_label(NO_CLIENTS)
        box.addWidget(self.caseload_empty)
        buttons = QHBoxLayout()
        self.assign_button = _button("Assi&gn client…", self._on_assign)
        self.end_button = _button(
            "E&nd assignment", self._on_end, "Take the selected client off this caseload"
        )
        buttons.addWidget(self.assign_button)
        buttons.addWidget(self.end_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        layout.addWidget(self.caseload_box, 2)
        self._selected()

    # -- reading ---------------------------------------------------------------------------

    def refresh(self, select_username: str | None = None) -> None:
        current = self.current()
        chosen = select_username or (current.username if current is not None else None)
        runner().run(
            self._actions.list_users,
            lambda rows: self._show(rows, chosen),
            key="admin:accounts",
            parent=self,
        )

    def _show(self, rows: list[StaffRow], chosen: str | None) -> None:
        self.model.reset_items(rows)
        for index, row in enumerate(rows):
            if row.username == chosen:
                self.table.selectRow(index)
                break
        self._selected()

    def current(self) -> StaffRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().hasSelection():
            return None
        return self.model.item(index.row())

    def _selected(self) -> None:
        row = self.current()
        now = datetime.now().astimezone()
        self.role_button.setEnabled(row is not None)
        self.reset_button.setEnabled(row is not None)
        self.unlock_button.setEnabled(
            row is not None and row.locked_until is not None and row.locked_until > now
        )
        self.disable_button.setEnabled(row is not None and not row.disabled)
        self.enable_button.setEnabled(row is not None and row.disabled)
        clinical = row is not None and row.role.is_clinical
        self.caseload_box.setEnabled(clinical)
        self.caseload_box.setTitle(
            f"Caseload of {row.display_name}" if clinical and row else "Caseload (clinical staff)"
        )
        self.caseload_model.reset_items([])
        self.caseload_empty.setText(NO_CLIENTS if clinical else CHOOSE_CLINICIAN)
        self.caseload_empty.setVisible(True)
        self.caseload.setVisible(False)
        self.end_button.setEnabled(False)
        if clinical and row is not None:
            runner().run(
                partial(self._actions.assignments_of, row.id),
                self._show_caseload,
                key="admin:caseload",
                parent=self,
            )

    def _show_caseload(self, rows: list[AssignmentRow]) -> None:
        self.caseload_model.reset_items(rows)
        self.caseload_empty.setVisible(not rows)
        self.caseload.setVisible(bool(rows))
        self.end_button.setEnabled(bool(rows))
        if rows:
            self.caseload.selectRow(0)

    def _done(self, message: str, select_username: str | None = None) -> None:
        self.status.setText(message)
        self.refresh(select_username)

    # -- changing --------------------------------------------------------------------------

    def _on_add(self) -> None:
        dialog = AddAccountDialog(self._actions.add_user, self)
        if exec_dialog(dialog) and isinstance(dialog.result_value, StaffRow):
            row = dialog.result_value
            self._done(
                f"Added {ROLE_WORDS[row.role].lower()} account '{row.username}'. They choose "
                "their own password at their first sign-in.",
                row.username,
            )

    def _on_role(self) -> None:
        row = self.current()
        if row is None:
            return
        roles = list(ROLE_WORDS)
        choice, ok = QInputDialog.getItem(
            self,
            "Change role",
            f"Role of {row.display_name} ({row.username}):",
            [ROLE_WORDS[r] for r in roles],
            roles.index(row.role),
            False,
        )
        if not ok:
            return
        role = roles[[ROLE_WORDS[r] for r in roles].index(choice)]
        runner().run(
            partial(self._actions.change_role, row.username, role),
            lambda changed: self._done(
                f"{changed.username} is now {ROLE_WORDS[changed.role].lower()}.", changed.username
            ),
            parent=self,
        )

    def _on_letter_details(self) -> None:
        row = self.current()
        if row is None or self._actions.set_letter_details is None:
            return
        who = f"{row.display_name} ({row.username})"
        title, ok = QInputDialog.getText(
            self, "Signature block", f"Job title of {who}:", text=row.job_title
        )
        if not ok:
            return
        contact, ok = QInputDialog.getText(
            self,
            "Signature block",
            f"Phone and email of {who}, as letters print them:",
            text=row.contact,
        )
        if not ok:
            return
        runner().run(
            partial(
                self._actions.set_letter_details, row.username, job_title=title, contact=contact
            ),
            lambda changed: self._done(
                f"Saved the signature block of '{changed.username}'.", changed.username
            ),
            parent=self,
        )

    def _on_reset(self) -> None:
        row = self.current()
        if row is None:
            return
        dialog = ResetPasswordDialog(row.username, self._actions.reset_password, self)
        if exec_dialog(dialog) and dialog.result_value is not None:
            self._done(
                f"Reset the password of '{row.username}'; they choose their own at sign-in.",
                row.username,
            )

    def _simple(self, action: Callable[[str], StaffRow], done: str) -> None:
        row = self.current()
        if row is None:
            return
        runner().run(
            partial(action, row.username),
            lambda changed: self._done(done.format(name=changed.username), changed.username),
            parent=self,
        )

    def _on_unlock(self) -> None:
        self._simple(self._actions.unlock_user, "Unlocked '{name}'.")

    def _on_disable(self) -> None:
        row = self.current()
        if row is None:
            return
        answer = QMessageBox.question(
            self,
            "Disable account",
            f"Stop {row.display_name} ({row.username}) signing in? Their work stays in the "
            "record under their name, and the account can be enabled again.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._simple(self._actions.disable_user, "Disabled '{name}'.")

    def _on_enable(self) -> None:
        self._simple(self._actions.enable_user, "Enabled '{name}': they can sign in again.")

    def _on_assign(self) -> None:
        row = self.current()
        if row is None or not row.role.is_clinical:
            return
        dialog = AssignClientDialog(row.display_name, row.id, self._actions.assign_client, self)
        if exec_dialog(dialog) and isinstance(dialog.result_value, AssignmentRow):
            self.status.setText(f"Assigned {dialog.result_value.local_ref} to {row.display_name}.")
            self._selected()

    def _on_end(self) -> None:
        row = self.current()
        index = self.caseload.currentIndex()
        if row is None or not index.isValid():
            return
        client = self.caseload_model.item(index.row())
        answer = QMessageBox.question(
            self,
            "End assignment",
            f"Take {client.local_ref} off {row.display_name}'s caseload? They will no longer "
            "open the record unless it is assigned again.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return

        def ended(_none: None) -> None:
            self.status.setText(f"Took {client.local_ref} off {row.display_name}'s caseload.")
            self._selected()

        runner().run(
            partial(self._actions.end_assignment, row.id, client.client_id), ended, parent=self
        )


class SettingColumn(IntEnum):
    TITLE = 0
    VALUE = 1
    ALLOWED = 2


SettingLine = SettingRow | TextSettingRow


class SettingsModel(ListTableModel[SettingLine]):
    def __init__(self) -> None:
        super().__init__(
            SettingColumn,
            {
                SettingColumn.TITLE: "Setting",
                SettingColumn.VALUE: "Value",
                SettingColumn.ALLOWED: "Allowed (default)",
            },
        )

    def cell(self, item: SettingLine, column: int, role: int) -> Any:
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
            Qt.ItemDataRole.ToolTipRole,  # long texts are cut short in the column
        ):
            return None
        match SettingColumn(column):
            case SettingColumn.TITLE:
                return item.title
            case SettingColumn.VALUE:
                return str(item.value)
            case SettingColumn.ALLOWED:
                if isinstance(item, SettingRow):
                    return f"{item.minimum} to {item.maximum} ({item.default})"
                return f"any text (default: {item.default or 'none'})"


class SettingsPage(QWidget):
    """The service's settings, each within the limits the command line also enforces."""

    def __init__(self, actions: AdminActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        layout = QVBoxLayout(self)
        self.model = SettingsModel()
        self.table = _table("Settings", self.model)
        self.table.doubleClicked.connect(lambda _index: self._on_change())
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.change_button = _button("&Change…", self._on_change)
        row.addWidget(self.change_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = last_action_label()
        layout.addWidget(self.status)

    def refresh(self) -> None:
        def both() -> list[SettingLine]:
            return [*self._actions.list_settings(), *self._actions.list_text_settings()]

        runner().run(both, self.model.reset_items, key="admin:settings", parent=self)

    def _on_change(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            self.status.setText("Choose a setting to change.")
            return
        item = self.model.item(index.row())
        if isinstance(item, SettingRow):
            number, ok = QInputDialog.getInt(
                self, "Change setting", item.title, item.value, item.minimum, item.maximum
            )
            value = str(number)
        else:
            value, ok = QInputDialog.getText(self, "Change setting", item.title, text=item.value)
        if not ok:
            return

        def changed(_row: object) -> None:
            self.status.setText(f"Changed: {item.title}.")
            self.refresh()

        runner().run(partial(self._actions.change_setting, item.key, value), changed, parent=self)


class SafekeepingPage(QWidget):
    """Backups (now, and when the last was taken) and the audit trail's check."""

    def __init__(self, actions: AdminActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        layout = QVBoxLayout(self)
        backups = QGroupBox("Backups")
        column = QVBoxLayout(backups)
        self.last_backup = QLabel("Last backup: reading…")
        self.last_backup.setAccessibleName("Last backup")
        self.last_backup.setWordWrap(True)
        column.addWidget(self.last_backup)
        explain = QLabel(
            "A backup is encrypted with the database's own key and checked before it is "
            "kept. Store backups away from this computer, as the trust's policy says."
        )
        explain.setWordWrap(True)
        column.addWidget(explain)
        self.backup_button = _button("&Back up now…", self._on_backup)
        column.addWidget(self.backup_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(backups)

        trail = QGroupBox("Audit trail")
        column = QVBoxLayout(trail)
        explain = QLabel(
            "Every action is recorded in a chain in which each entry seals the one before. "
            "The check reads the whole chain and lists any entry that was changed, removed, "
            "inserted or reordered."
        )
        explain.setWordWrap(True)
        column.addWidget(explain)
        self.check_button = _button("Check the audit &trail", self._on_check)
        column.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.verdict = QLabel()
        self.verdict.setAccessibleName("Audit check result")
        self.verdict.setWordWrap(True)
        column.addWidget(self.verdict)
        self.findings = QListWidget()
        self.findings.setAccessibleName("Audit check findings")
        self.findings.hide()
        column.addWidget(self.findings)
        layout.addWidget(trail)
        layout.addStretch(1)

    def refresh(self) -> None:
        runner().run(self._actions.last_backup, self._show_last, key="admin:backup", parent=self)

    def _show_last(self, row: BackupRow | None) -> None:
        if row is None:
            self.last_backup.setText("Last backup: none has been taken from this database.")
        else:
            where = f" ({row.path})" if row.path else ""
            self.last_backup.setText(f"Last backup: {_when(row.taken_at)}{where}.")

    def _on_backup(self) -> None:
        suggested = self._actions.suggested_backup()
        name, _filter = QFileDialog.getSaveFileName(
            self, "Back up the database", str(suggested), "clinic-app backups (*.db)"
        )
        if not name:
            return
        out = Path(name)
        self.backup_button.setEnabled(False)
        self.last_backup.setText(f"Backing up to {out}…")

        def finished(row: BackupRow) -> None:
            self.backup_button.setEnabled(True)
            self._show_last(row)

        runner().run(
            partial(self._actions.backup_now, out),
            finished,
            failed=self._backup_failed,
            parent=self,
        )

    def _backup_failed(self, error: Any) -> None:
        self.backup_button.setEnabled(True)
        self.last_backup.setText(f"The backup was not made: {error.message}")

    def _on_check(self) -> None:
        self.check_button.setEnabled(False)
        self.verdict.setText("Checking the audit trail…")
        self.findings.hide()

        def shown(report: AuditReport) -> None:
            self.check_button.setEnabled(True)
            self.findings.clear()
            if report.ok:
                self.verdict.setText(
                    f"The audit trail verifies: {report.events:,} events, unbroken."
                )
                return
            self.verdict.setText(
                f"The audit trail does not verify: {len(report.findings)} "
                f"problem{'s' if len(report.findings) != 1 else ''} in {report.events:,} "
                "events. Keep this database as it is and tell the information governance lead."
            )
            self.findings.addItems([str(finding) for finding in report.findings])
            self.findings.show()

        def failed(error: Any) -> None:
            self.check_button.setEnabled(True)
            self.verdict.setText(f"The check could not run: {error.message}")

        runner().run(self._actions.check_audit_trail, shown, failed=failed, parent=self)


class AdministrationView(HomeScreen):
    """An administrator's Home: Staff accounts, Settings, Backups and audit (it never asks
    to open a client record)."""

    def __init__(self, actions: AdminActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Administration")
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.accounts = AccountsPage(actions)
        self.settings = SettingsPage(actions)
        self.safekeeping = SafekeepingPage(actions)
        self.tabs.addTab(self.accounts, "Staff &accounts")
        self.tabs.addTab(self.settings, "Se&ttings")
        self.tabs.addTab(self.safekeeping, "Backups and au&dit")
        self.letters: LetterTemplatesPage | None = None
        if actions.letters is not None:
            self.letters = LetterTemplatesPage(actions.letters)
            self.tabs.addTab(self.letters, "&Letters")
        layout.addWidget(self.tabs)
        self.refresh()

    def refresh(self) -> None:
        self.accounts.refresh()
        self.settings.refresh()
        self.safekeeping.refresh()
        if self.letters is not None:
            self.letters.refresh()
