"""The administration menu in the running application: its windows read and save off the GUI
thread (the audience policies, the specialist services)."""

from __future__ import annotations

from clinic_app.views.referrals.services_directory import ServiceDialog, ServicesDirectoryDialog
from clinic_app.views.sharing.audiences import AudiencePolicyDialog
from tests.conftest import ADMIN_PASSWORD
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly, when_modal


def _entry(app, menu: str, title: str):
    menus = {a.text(): a.menu() for a in app.window.menuBar().actions() if a.menu()}
    return next(a for a in menus[menu].actions() if a.text() == title)


def test_an_audience_policy_is_changed_off_the_gui_thread(qtbot, start, seeded, monkeypatch):
    app = start(seeded, [("admin", ADMIN_PASSWORD)])
    guard_strictly(app, monkeypatch)
    saved: list[str] = []

    def change(dialog: AudiencePolicyDialog) -> None:
        # Building the window is the GUI's own work; reading and saving must not stall it.
        with no_stalls():
            qtbot.waitUntil(lambda: app.runner.idle)  # the policy in force has been read
            dialog.title.setText("Police (changed)")
            dialog.save_button.click()
            qtbot.waitUntil(lambda: "changed by" in dialog.status.text())
        saved.append(dialog.status.text())
        dialog.reject()

    asked = when_modal(AudiencePolicyDialog, change)
    _entry(app, "&Administration", "&Partner audiences…").trigger()
    qtbot.waitUntil(lambda: bool(saved))
    qtbot.waitUntil(lambda: app.runner.idle)
    assert not asked.isActive()
    assert saved[0].startswith("Police (changed): changed by")


def test_a_specialist_service_is_added_off_the_gui_thread(qtbot, start, seeded, monkeypatch):
    app = start(seeded, [("admin", ADMIN_PASSWORD)])
    guard_strictly(app, monkeypatch)
    added: list[str] = []

    def add(dialog: ServiceDialog) -> None:
        dialog.name.setText("Community Psychiatry, East")
        dialog.save_button.click()

    def directory(dialog: ServicesDirectoryDialog) -> None:
        with no_stalls():
            qtbot.waitUntil(lambda: app.runner.idle)
            before = len(dialog.view.services())
            asked = when_modal(ServiceDialog, add)
            row = dialog.view.open_service_dialog()
            assert row is not None and not asked.isActive()
            qtbot.waitUntil(lambda: len(dialog.view.services()) == before + 1)
        selected = dialog.view.selected_service()
        assert selected is not None and selected.id == row.id
        added.append(row.name)
        dialog.reject()

    asked = when_modal(ServicesDirectoryDialog, directory)
    _entry(app, "&Administration", "&Specialist services…").trigger()
    qtbot.waitUntil(lambda: app.runner.idle)
    assert not asked.isActive()
    assert added == ["Community Psychiatry, East"]
