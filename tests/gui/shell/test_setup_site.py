"""The setup wizard's team-site choice: the details, their problems, the check, the keyboard."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard

from clinic_app.errors import ClinicError
from clinic_app.storage.site import SiteSettings, SiteUnreachable
from clinic_app.views.common.runner import Runner, use_runner
from clinic_app.views.shell.setup_pages import Page
from clinic_app.views.shell.setup_wizard import SetupWizard
from tests.gui.shell.test_setup_wizard import FakeSetup, make_wizard

FINISH = QWizard.WizardButton.FinishButton


class FakeSites(FakeSetup):
    """Setup actions whose site check answers as told (and can be held back)."""

    def __init__(self, errors: list[ClinicError] | None = None) -> None:
        super().__init__()
        self.errors = list(errors or [])
        self.checked: list[SiteSettings] = []
        self.connected: list[tuple[SiteSettings, bool]] = []
        self.hold: threading.Event | None = None

    def check_site(self, settings: SiteSettings) -> None:
        if self.hold is not None:
            self.hold.wait(5)
        self.checked.append(settings)
        if self.errors:
            raise self.errors.pop(0)

    def keep_site(self, settings: SiteSettings, machine: bool) -> Path:
        self.connected.append((settings, machine))
        return Path("/home/someone/.local/share/clinic-app/site.json")


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    path = tmp_path / "trust-ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return path


def site_wizard(qtbot, fake: FakeSites) -> SetupWizard:
    wizard = make_wizard(qtbot, fake)
    wizard.welcome_page.site.setChecked(True)
    wizard.next()
    assert wizard.currentId() == Page.SITE
    return wizard


def fill(wizard: SetupWizard, ca_file: Path | None, *, host: str = "clinic-db.trust.nhs.uk"):
    page = wizard.site_page
    page.host.setText(host)
    page.database.setText("masip")
    page.port.setValue(5433)
    page.ca_file.setText("" if ca_file is None else str(ca_file))
    page.completeChanged.emit()


def test_the_welcome_page_offers_this_computer_or_a_team_site(qtbot):
    fake = FakeSites()
    wizard = SetupWizard(fake.actions())
    qtbot.addWidget(wizard)
    welcome = wizard.welcome_page
    assert welcome.here.isChecked() and not welcome.site.isChecked()
    assert welcome.nextId() == Page.KEY_STORE
    assert "Create the database" in welcome.how_to_begin.text()
    welcome.site.setChecked(True)
    assert welcome.nextId() == Page.SITE
    assert "checked" in welcome.how_to_begin.text()


def test_finish_waits_for_the_host_and_the_database(qtbot, ca_file):
    fake = FakeSites()
    wizard = site_wizard(qtbot, fake)
    page = wizard.site_page
    assert page.host.hasFocus()
    assert wizard.button(FINISH).isVisible() and not wizard.button(FINISH).isEnabled()
    page.host.setText("clinic-db")
    page.completeChanged.emit()
    assert not wizard.button(FINISH).isEnabled()
    fill(wizard, ca_file)
    assert wizard.button(FINISH).isEnabled()
    assert page.tls.currentData() == "verify-full"  # the strong check is the default
    assert not page.weaker_allowed.isEnabled()


def test_a_full_check_needs_the_certificate_authority_and_nothing_is_kept_without_it(qtbot):
    fake = FakeSites()
    wizard = site_wizard(qtbot, fake)
    fill(wizard, None)
    wizard.button(FINISH).click()
    assert wizard.isVisible() and wizard.currentId() == Page.SITE
    assert "certificate authority's file" in wizard.site_page.problems.text()
    assert wizard.site_page.problems.isVisible()
    assert fake.checked == [] and fake.connected == []
    assert wizard.site_result is None
    wizard.site_page.ca_file.setText("/no/such/ca.pem")
    wizard.site_page.ca_file.textEdited.emit("/no/such/ca.pem")
    assert not wizard.site_page.problems.isVisible()  # the message goes as the field changes
    wizard.button(FINISH).click()
    assert "/no/such/ca.pem does not exist" in wizard.site_page.problems.text()
    assert fake.checked == [] and fake.connected == []


def test_a_weaker_check_needs_an_administrators_explicit_choice(qtbot, ca_file):
    fake = FakeSites()
    wizard = site_wizard(qtbot, fake)
    page = wizard.site_page
    fill(wizard, ca_file)
    page.tls.setCurrentIndex(page.tls.findData("require"))
    assert page.weaker_allowed.isEnabled() and not page.weaker_allowed.isChecked()
    wizard.button(FINISH).click()
    assert "administrator must allow it explicitly" in page.problems.text()
    assert fake.checked == [] and fake.connected == []
    page.weaker_allowed.setChecked(True)
    wizard.button(FINISH).click()
    [(settings, machine)] = fake.connected
    assert (settings.sslmode, settings.allow_weaker_tls, machine) == ("require", True, False)
    assert not wizard.isVisible() and wizard.result() == QWizard.DialogCode.Accepted
    # Back to the full check, the administrator's choice is dropped with it.
    page.tls.setCurrentIndex(page.tls.findData("verify-full"))
    assert not page.weaker_allowed.isChecked() and not page.weaker_allowed.isEnabled()


def test_the_check_runs_off_the_gui_thread_and_finishes_the_wizard(qtbot, ca_file):
    fake = FakeSites()
    fake.hold = threading.Event()
    made = Runner()
    previous = use_runner(made)
    try:
        wizard = site_wizard(qtbot, fake)
        page = wizard.site_page
        fill(wizard, ca_file)
        page.everyone.setChecked(True)
        wizard.button(FINISH).click()
        # While the server is asked, the window answers and the details cannot change.
        assert wizard.isVisible() and page.status.isVisible()
        assert not page.host.isEnabled() and not wizard.button(FINISH).isEnabled()
        fake.hold.set()
        qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=5000)
    finally:
        use_runner(previous)
        made.stop()
    assert wizard.result() == QWizard.DialogCode.Accepted
    expected = SiteSettings(
        host="clinic-db.trust.nhs.uk", database="masip", port=5433, ca_file=ca_file
    )
    assert fake.connected == [(expected, True)]
    assert wizard.site_result == expected
    assert wizard.setup_result is None and fake.initialised == []  # no local database


@pytest.fixture
def held(qtbot):  # type: ignore[no-untyped-def]
    """The application's runner, and a site check that waits until released."""
    fake = FakeSites()
    fake.hold = threading.Event()
    made = Runner()
    previous = use_runner(made)
    yield fake, made
    fake.hold.set()
    use_runner(previous)
    made.stop()


def test_going_back_while_the_server_is_asked_keeps_nothing(qtbot, ca_file, held):
    fake, made = held
    wizard = site_wizard(qtbot, fake)
    fill(wizard, ca_file)
    wizard.button(FINISH).click()
    wizard.back()  # the person changes their mind: this computer after all
    assert wizard.currentId() == Page.WELCOME
    fake.hold.set()
    qtbot.waitUntil(lambda: made.idle, timeout=5000)
    assert len(fake.checked) == 1 and fake.connected == []  # checked, not kept
    assert wizard.site_result is None
    assert wizard.site_page.host.isEnabled()  # the page is usable again


def test_cancelling_while_the_server_is_asked_keeps_nothing(qtbot, ca_file, held):
    fake, made = held
    wizard = site_wizard(qtbot, fake)
    fill(wizard, ca_file)
    wizard.button(FINISH).click()
    wizard.reject()
    assert not wizard.isVisible()
    fake.hold.set()
    qtbot.waitUntil(lambda: made.idle, timeout=5000)
    assert len(fake.checked) == 1 and fake.connected == []
    assert wizard.site_result is None


def test_a_server_that_does_not_answer_is_said_plainly_and_the_details_stay(qtbot, ca_file):
    fake = FakeSites([SiteUnreachable("The site's database server cannot be reached.")])
    wizard = site_wizard(qtbot, fake)
    page = wizard.site_page
    fill(wizard, ca_file)
    wizard.button(FINISH).click()
    assert wizard.isVisible() and wizard.site_result is None
    assert page.problems.text() == (
        "The site's database server cannot be reached. Nothing has been kept."
    )
    assert page.host.text() == "clinic-db.trust.nhs.uk" and page.host.isEnabled()
    assert wizard.button(FINISH).isEnabled()
    assert fake.connected == []  # nothing kept
    wizard.button(FINISH).click()  # tried again, the server answers
    assert len(fake.checked) == 2 and len(fake.connected) == 1
    assert wizard.site_result is not None
    assert not wizard.isVisible()


def test_the_site_page_works_from_the_keyboard(qtbot, ca_file):
    fake = FakeSites()
    wizard = make_wizard(qtbot, fake)

    def alt(key: Qt.Key) -> None:
        qtbot.keyClick(QApplication.focusWidget(), key, Qt.KeyboardModifier.AltModifier)

    alt(Qt.Key.Key_S)  # On our team's &site
    qtbot.waitUntil(wizard.welcome_page.site.isChecked)  # a mnemonic clicks after a moment
    alt(Qt.Key.Key_N)
    qtbot.waitUntil(lambda: wizard.currentId() == Page.SITE)
    page = wizard.site_page
    assert page.host.hasFocus()
    qtbot.keyClicks(page.host, "clinic-db.trust.nhs.uk")
    qtbot.keyClick(page.host, Qt.Key.Key_Tab)
    assert page.port.hasFocus()
    qtbot.keyClick(page.port, Qt.Key.Key_Tab)
    assert page.database.hasFocus()
    qtbot.keyClicks(page.database, "masip")
    alt(Qt.Key.Key_U)  # Certificate a&uthority
    assert page.ca_file.hasFocus()
    qtbot.keyClicks(page.ca_file, str(ca_file))
    alt(Qt.Key.Key_E)  # for &everyone
    qtbot.waitUntil(page.everyone.isChecked)
    alt(Qt.Key.Key_F)  # &Finish
    qtbot.waitUntil(lambda: not wizard.isVisible())
    [(settings, machine)] = fake.connected
    assert (settings.host, settings.database, settings.ca_file, machine) == (
        "clinic-db.trust.nhs.uk",
        "masip",
        ca_file,
        True,
    )
