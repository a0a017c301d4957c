"""Choosing a team site in the setup wizard: the server is checked before the setting is kept.

Against the real test server: a prepared site is checked and kept without any password; a
wrong name, a database that is not a site, a server that does not answer and another
authority's certificate are each said plainly with nothing kept; and the whole application,
set up that way, signs in to the site.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard

from clinic_app.app import ClinicApp
from clinic_app.models.enums import Role
from clinic_app.storage import site as site_storage
from clinic_app.storage.site import SiteDatabase, SiteSettingsError, SiteUnreachable
from clinic_app.views.shell import setup_wizard
from clinic_app.views.shell.setup_pages import Page, SetupActions
from tests.conftest import STAFF_PASSWORD
from tests.pg_server import make_certificates

WAIT_MS = 20_000
_plain = itertools.count(1)


@pytest.fixture(autouse=True)
def machine_dir(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """This computer's setting is the test's own (no setting there to begin with)."""
    monkeypatch.setenv("CLINIC_APP_MACHINE_DIR", str(tmp_path / "machine"))


ACTIONS = SetupActions.for_database(Path("not-created.db"))  # what the wizard is given


def test_a_prepared_site_is_checked_and_kept_without_any_password(fresh_site, tmp_path):
    ACTIONS.check_site(fresh_site.settings)
    path = ACTIONS.keep_site(fresh_site.settings, False)
    assert path == tmp_path / "data" / "site.json"
    assert site_storage.configured_site() == fresh_site.settings
    assert "password" not in path.read_text().lower()
    machine = ACTIONS.keep_site(fresh_site.settings, True)
    assert machine == tmp_path / "machine" / "site.json"


def test_a_wrong_database_name_is_said_and_nothing_is_kept(fresh_site):
    wrong = replace(fresh_site.settings, database="no_such_site")
    with pytest.raises(SiteSettingsError, match="has no database called 'no_such_site'"):
        ACTIONS.check_site(wrong)


def test_a_database_that_is_not_a_clinic_app_site_is_refused(pg_server, fresh_site):
    name = f"plain{next(_plain)}"
    with pg_server.superuser() as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        with pytest.raises(SiteSettingsError, match="is not a clinic-app site"):
            ACTIONS.check_site(replace(fresh_site.settings, database=name))
    finally:
        with pg_server.superuser() as conn:
            conn.execute(f"DROP DATABASE {name}")


def test_a_server_that_does_not_answer_is_said_plainly(fresh_site):
    away = replace(fresh_site.settings, host="127.0.0.1", port=1)  # nothing listens there
    with pytest.raises(SiteUnreachable) as raised:
        ACTIONS.check_site(away)
    assert raised.value.message == site_storage.UNREACHABLE_MESSAGE


def test_a_server_with_another_authoritys_certificate_is_not_trusted(fresh_site, tmp_path):
    other_ca, _, _ = make_certificates(tmp_path / "other")
    with pytest.raises(SiteSettingsError, match="certificate does not match"):
        ACTIONS.check_site(replace(fresh_site.settings, ca_file=other_ca))


def test_the_application_set_up_for_a_site_signs_in_to_it(qtbot, fresh_site, tmp_path, monkeypatch):
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    settings = fresh_site.settings

    def choose_the_site(wizard: setup_wizard.SetupWizard) -> int:
        """The person at the keyboard: a team site, its details, Finish."""
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.welcome_page.site.setChecked(True)
        wizard.next()
        assert wizard.currentId() == Page.SITE
        page = wizard.site_page
        page.host.setText(settings.host)
        page.port.setValue(settings.port)
        page.database.setText(settings.database)
        page.ca_file.setText(str(settings.ca_file))
        page.completeChanged.emit()
        wizard.button(QWizard.WizardButton.FinishButton).click()
        qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT_MS)  # checked off-thread
        return wizard.result()

    monkeypatch.setattr(setup_wizard.SetupWizard, "exec", choose_the_site)
    database_file = tmp_path / "data" / "clinic.db"
    app = ClinicApp(database_file)
    try:
        assert app._run_setup()
        assert app.site == settings
        assert site_storage.configured_site() == settings
        assert not database_file.exists()  # no database on this computer
        assert jones.id == app._sign_in(jones.username, STAFF_PASSWORD).id
        assert isinstance(app.database, SiteDatabase)
        assert app.database.user == jones.username
    finally:
        app.runner.stop()
        app.close_database()


def test_a_setting_this_account_may_not_write_is_said_plainly(fresh_site, monkeypatch):
    def refused(path: Path, data: bytes) -> None:
        # What writing into ProgramData does for an account that is not an administrator
        # of the computer (the tests run as a user who may write anywhere).
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(site_storage.files, "write_atomically", refused)
    with pytest.raises(SiteSettingsError, match="needs an administrator of the computer"):
        ACTIONS.keep_site(fresh_site.settings, True)
    assert site_storage.configured_site() is None


def test_a_setting_that_cannot_be_written_is_said_plainly(fresh_site, tmp_path, monkeypatch):
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("CLINIC_APP_MACHINE_DIR", str(tmp_path / "not-a-folder" / "clinic-app"))
    with pytest.raises(SiteSettingsError, match="could not be written to"):
        ACTIONS.keep_site(fresh_site.settings, True)
    assert site_storage.read_settings(site_storage.user_settings_path()) is None
