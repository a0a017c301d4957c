"""An administrator runs the service from the window: accounts, caseloads, settings,
backups and the audit check, through the real services on the background runner."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from clinic_app.models.enums import Role
from clinic_app.services import assignments, clients, staff
from clinic_app.storage import engine
from clinic_app.views.admin import view as admin_view
from clinic_app.views.admin.dialogs import AddAccountDialog, AssignClientDialog, ResetPasswordDialog
from clinic_app.views.admin.view import AdministrationView, account_state
from tests.conftest import ADMIN_PASSWORD
from tests.gui.conftest import settle
from tests.gui.stall import no_stalls


@pytest.fixture
def admin_app(qtbot, start, seeded):
    app = start(seeded, [("admin", ADMIN_PASSWORD)])
    app.workspace.gui_thread = threading.main_thread()
    app.workspace.strict = True  # any use case run on the GUI thread fails the test
    return app


def home(app) -> AdministrationView:
    assert isinstance(app.window.home, AdministrationView)
    return app.window.home


def fill_and_run(qtbot, monkeypatch, dialog_type, fill):
    """Replace the dialog's modal run with filling it in and waiting for it to close."""

    def run(dialog):
        if isinstance(dialog, dialog_type):
            fill(dialog)
            dialog.ok_button.click()
            qtbot.waitUntil(lambda: dialog.result() != 0 or not dialog.problems.isHidden())
        return dialog.result()

    monkeypatch.setattr(admin_view, "exec_dialog", run)


def select(page, username: str) -> None:
    for row in range(page.model.rowCount()):
        if page.model.item(row).username == username:
            page.table.selectRow(row)
            return
    raise AssertionError(f"{username} is not listed")


def test_an_administrators_home_is_administration(qtbot, admin_app):
    page = home(admin_app).accounts
    assert [r.username for r in page.model.items()] == ["admin", "dr.jones", "nurse.patel"]
    assert [account_state(r) for r in page.model.items()] == ["Active"] * 3
    settings = home(admin_app).settings
    assert any(row.key == "idle_lock_minutes" for row in settings.model.items())
    assert "none has been taken" in home(admin_app).safekeeping.last_backup.text()


def test_accounts_are_added_reset_disabled_and_enabled_without_freezing(
    qtbot, admin_app, monkeypatch
):
    page = home(admin_app).accounts

    def new_account(dialog: AddAccountDialog) -> None:
        dialog.username.setText("sam.okafor")
        dialog.display_name.setText("Sam Okafor")
        dialog.role.setCurrentIndex(dialog.roles.index(Role.CLINICIAN))
        dialog.password.setText("temporary pass 42")
        dialog.again.setText("temporary pass 42")

    fill_and_run(qtbot, monkeypatch, AddAccountDialog, new_account)
    with no_stalls():
        page.add_button.click()
        settle(qtbot, admin_app)
    assert "sam.okafor" in [r.username for r in page.model.items()]
    assert page.current() is not None and page.current().username == "sam.okafor"

    def reset(dialog: ResetPasswordDialog) -> None:
        dialog.password.setText("another temp 43")
        dialog.again.setText("another temp 43")

    fill_and_run(qtbot, monkeypatch, ResetPasswordDialog, reset)
    with no_stalls():
        page.reset_button.click()
        settle(qtbot, admin_app)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with no_stalls():
        page.disable_button.click()
        settle(qtbot, admin_app)
    assert page.current().disabled and page.enable_button.isEnabled()
    page.enable_button.click()
    settle(qtbot, admin_app)
    assert not page.current().disabled
    with admin_app.database.session() as session:
        me = staff.sign_in(session, "sam.okafor", "another temp 43")
    assert me.must_change_password and me.role is Role.CLINICIAN


def test_a_refused_account_keeps_what_was_typed(qtbot, admin_app, monkeypatch):
    page = home(admin_app).accounts
    seen = {}

    def duplicate(dialog: AddAccountDialog) -> None:
        dialog.username.setText("dr.jones")  # taken
        dialog.password.setText("temporary pass 42")
        dialog.again.setText("temporary pass 42")
        seen["dialog"] = dialog

    fill_and_run(qtbot, monkeypatch, AddAccountDialog, duplicate)
    page.add_button.click()
    settle(qtbot, admin_app)
    dialog = seen["dialog"]
    assert not dialog.problems.isHidden() and "dr.jones" in dialog.problems.text()
    assert dialog.username.text() == "dr.jones" and dialog.ok_button.isEnabled()
    assert [r.username for r in page.model.items()].count("dr.jones") == 1


def test_caseloads_are_kept_by_case_reference(qtbot, admin_app, monkeypatch):
    page = home(admin_app).accounts
    with admin_app.database.session() as session:
        jones = staff.sign_in(session, "dr.jones", "staff password 1")
        reference = clients.caseload(session, jones)[0].client.local_ref
    select(page, "nurse.patel")
    settle(qtbot, admin_app)
    assert page.caseload_box.isEnabled() and page.caseload_model.rowCount() == 0
    fill_and_run(qtbot, monkeypatch, AssignClientDialog, lambda d: d.reference.setText(reference))
    with no_stalls():
        page.assign_button.click()
        settle(qtbot, admin_app)
    assert [r.local_ref for r in page.caseload_model.items()] == [reference]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.end_button.click()
    settle(qtbot, admin_app)
    assert page.caseload_model.rowCount() == 0
    with admin_app.database.session() as session:
        admin = staff.sign_in(session, "admin", ADMIN_PASSWORD)
        patel = next(u for u in staff.list_users(session, admin) if u.username == "nurse.patel")
        assert assignments.assignments_of(session, admin, patel.id) == []
    select(page, "admin")
    settle(qtbot, admin_app)
    assert not page.caseload_box.isEnabled()  # administrators hold no caseload


def test_a_setting_changes_within_its_limits(qtbot, admin_app, monkeypatch):
    page = home(admin_app).settings
    row = next(i for i, r in enumerate(page.model.items()) if r.key == "idle_lock_minutes")
    page.table.selectRow(row)
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (5, True))
    with no_stalls():
        page.change_button.click()
        settle(qtbot, admin_app)
    assert next(r for r in page.model.items() if r.key == "idle_lock_minutes").value == 5


def test_backup_now_and_the_audit_check(qtbot, admin_app, monkeypatch, tmp_path, db_key):
    page = home(admin_app).safekeeping
    out = tmp_path / "kept" / "backup.db"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with no_stalls():
        page.backup_button.click()
        settle(qtbot, admin_app)
    engine.verify_file(out, db_key)
    assert "Last backup:" in page.last_backup.text() and "backup.db" in page.last_backup.text()
    # The same file again is refused plainly, and the good backup is untouched.
    before = out.read_bytes()
    page.backup_button.click()
    settle(qtbot, admin_app)
    assert "already exists" in page.last_backup.text()
    assert out.read_bytes() == before
    with no_stalls():
        page.check_button.click()
        settle(qtbot, admin_app)
    assert page.verdict.text().startswith("The audit trail verifies:")
    assert page.findings.isHidden()
