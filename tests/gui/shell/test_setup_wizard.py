"""The first-run setup wizard, with fake setup actions and once end to end with the real ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWizard,
)

from clinic_app.errors import DatabaseExists, NoCredentialStore, Problem, ValidationError
from clinic_app.models.enums import Role
from clinic_app.services import clients, setup, staff
from clinic_app.services.common import StaffRef
from clinic_app.services.setup import KeyStoreStatus, NewAccount, SetupResult
from clinic_app.storage.engine import open_database
from clinic_app.storage.keys import CredentialStore, key_from_recovery
from clinic_app.storage.site import SiteSettings
from clinic_app.views.shell.setup_pages import Page, SetupActions, grouped_key
from clinic_app.views.shell.setup_wizard import SetupWizard

DATABASE = Path("/data/clinic-app/clinic.db")
RECOVERY = "4DQ8Z-ABCDE-FGHJK-MNPQR-STVWX-YZ012-34567-89ABC-DEFGH-JKMNP-QRSTV-WXY"
ADMIN_PW = "admin password 1"
PSY_PW = "psych password 1"
ADMIN_REF = StaffRef(1, "site.admin", "Sam Admin", Role.ADMINISTRATOR)
PSY_REF = StaffRef(2, "a.khan", "Dr Aisha Khan", Role.PSYCHOLOGIST)
READY = KeyStoreStatus(True, "the credential store (WinVaultKeyring)")
NO_STORE = KeyStoreStatus(False, "", "No credential store is available on this computer.")

NEXT = QWizard.WizardButton.NextButton
BACK = QWizard.WizardButton.BackButton
COMMIT = QWizard.WizardButton.CommitButton
FINISH = QWizard.WizardButton.FinishButton
CANCEL = QWizard.WizardButton.CancelButton


class FakeSetup:
    """Setup actions that record their calls and answer as told."""

    def __init__(
        self,
        statuses: list[KeyStoreStatus] | None = None,
        *,
        clinician: StaffRef | None = PSY_REF,
        initialise_errors: list[Exception] | None = None,
        demo_errors: list[Exception] | None = None,
    ) -> None:
        self.statuses = list(statuses or [READY])
        self.checks = 0
        self.clinician = clinician
        self.initialise_errors = list(initialise_errors or [])
        self.initialised: list[tuple[NewAccount, NewAccount | None]] = []
        self.demo_errors = list(demo_errors or [])
        self.demos: list[tuple[StaffRef, int]] = []
        self.checked_accounts: list[tuple[NewAccount, bool]] = []

    def check_key_store(self) -> KeyStoreStatus:
        self.checks += 1
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def initialise(self, admin: NewAccount, clinician: NewAccount | None) -> SetupResult:
        self.initialised.append((admin, clinician))
        if self.initialise_errors:
            raise self.initialise_errors.pop(0)
        made = self.clinician if clinician is not None else None
        return SetupResult(DATABASE, RECOVERY, ADMIN_REF, made)

    def load_demo(self, clinician: StaffRef, count: int) -> str:
        self.demos.append((clinician, count))
        if self.demo_errors:
            raise self.demo_errors.pop(0)
        return f"Loaded {count} demo clients, assigned to {clinician.display_name}."

    def account_problems(self, account, *, clinical, password_again=None, taken_usernames=()):
        self.checked_accounts.append((account, clinical))
        return setup.account_problems(
            account,
            clinical=clinical,
            password_again=password_again,
            taken_usernames=taken_usernames,
        )

    def check_site(self, settings: SiteSettings) -> None:
        raise AssertionError("no site was chosen")

    def keep_site(self, settings: SiteSettings, machine: bool) -> Path:
        raise AssertionError("no site was chosen")

    def actions(self) -> SetupActions:
        return SetupActions(
            database=DATABASE,
            check_key_store=self.check_key_store,
            initialise=self.initialise,
            load_demo=self.load_demo,
            account_problems=self.account_problems,
            check_site=self.check_site,
            keep_site=self.keep_site,
        )


@pytest.fixture
def fake() -> FakeSetup:
    return FakeSetup()


def make_wizard(qtbot, fake: FakeSetup) -> SetupWizard:
    wizard = SetupWizard(fake.actions())
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    return wizard


def fill_admin(wizard: SetupWizard, *, username: str = "Site.Admin", password: str = ADMIN_PW):
    page = wizard.admin_page
    page.username.setText(username)
    page.display_name.setText("Sam Admin")
    page.password.setText(password)
    page.password_again.setText(password)


def fill_clinician(wizard: SetupWizard, *, role: Role = Role.PSYCHOLOGIST):
    page = wizard.clinical_page
    page.username.setText("a.khan")
    page.display_name.setText("Dr Aisha Khan")
    assert page.role is not None
    page.role.setCurrentIndex(page.role.findData(role))
    page.password.setText(PSY_PW)
    page.password_again.setText(PSY_PW)


def to_page(wizard: SetupWizard, target: Page, *, clinician: bool = True) -> None:
    """Go forward with good details until ``target`` is showing."""
    while wizard.currentId() != target:
        here = wizard.currentId()
        if here == Page.ADMINISTRATOR and not wizard.admin_page.username.text():
            fill_admin(wizard)
        if here == Page.CLINICAL:
            if clinician and not wizard.clinical_page.username.text():
                fill_clinician(wizard)
            assert wizard.clinical_page.create_account is not None
            wizard.clinical_page.create_account.setChecked(clinician)
        if here == Page.RECOVERY_KEY:
            wizard.recovery_page.confirmed.setChecked(True)
        wizard.next()
        assert wizard.currentId() != here, f"stuck on {Page(here).name}"


def problem_under(page, field_name: str) -> QLabel:
    [label] = [
        label
        for label in page.findChildren(QLabel)
        if label.accessibleName() == f"Problem with {field_name}"
    ]
    return label


def shown(label: QLabel) -> str:
    return label.text() if label.isVisible() else ""


# -- welcome and credential store ---------------------------------------------------------------


def test_the_welcome_page_says_where_the_database_will_be_kept(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    assert wizard.currentId() == Page.WELCOME
    assert wizard.welcome_page.database.text() == str(DATABASE)
    assert fake.checks == 0  # nothing is checked or written before the user moves on
    assert not wizard.button(BACK).isVisible()


def test_a_usable_credential_store_says_where_the_key_will_be_kept(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    wizard.next()
    page = wizard.key_store_page
    assert wizard.currentId() == Page.KEY_STORE
    assert "the credential store (WinVaultKeyring)" in page.outcome.text()
    assert "never kept in plain text" in page.outcome.text()
    assert not page.check_again.isVisible()  # no dead button
    assert not page.blocked_reason.isVisible()
    assert wizard.button(NEXT).isEnabled()


def test_no_credential_store_blocks_progress_with_the_reason_until_check_again_finds_one(
    qtbot,
):
    fake = FakeSetup([NO_STORE, NO_STORE, READY])
    wizard = make_wizard(qtbot, fake)
    wizard.next()
    page = wizard.key_store_page
    assert fake.checks == 1
    assert not wizard.button(NEXT).isEnabled()
    assert "cannot go on" in shown(page.blocked_reason)
    guidance = shown(page.guidance)
    assert "Windows Credential Manager" in guidance
    assert "Secret Service" in guidance
    assert "IT service desk" in guidance
    assert "never keeps the key in plain text" in guidance
    assert "No credential store is available" in shown(page.details)
    assert page.check_again.isVisible()

    wizard.next()  # refused while the page is not complete
    assert wizard.currentId() == Page.KEY_STORE

    qtbot.mouseClick(page.check_again, Qt.MouseButton.LeftButton)
    assert fake.checks == 2
    assert not wizard.button(NEXT).isEnabled()

    qtbot.mouseClick(page.check_again, Qt.MouseButton.LeftButton)
    assert fake.checks == 3
    assert wizard.button(NEXT).isEnabled()
    assert not page.blocked_reason.isVisible()
    assert not page.check_again.isVisible()
    wizard.next()
    assert wizard.currentId() == Page.ADMINISTRATOR


# -- the account pages --------------------------------------------------------------------------


def test_the_administrator_page_explains_the_role(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.ADMINISTRATOR)
    texts = " ".join(label.text() for label in wizard.admin_page.findChildren(QLabel))
    assert "do not read clinical records" in texts
    assert "backups" in texts


def test_problems_with_the_administrator_show_under_their_fields_and_block_next(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.ADMINISTRATOR)
    page = wizard.admin_page
    page.username.setText("9 lives")
    page.password.setText("short")
    page.password_again.setText("different")
    wizard.next()
    assert wizard.currentId() == Page.ADMINISTRATOR
    assert fake.initialised == []
    [(checked, clinical)] = fake.checked_accounts
    assert checked == NewAccount("9 lives", "", "short", Role.ADMINISTRATOR)
    assert clinical is False
    assert "starting with a letter" in shown(problem_under(page, "Username"))
    assert "at least 10 characters" in shown(problem_under(page, "Password"))
    assert "not the same" in shown(problem_under(page, "Password again"))
    assert not problem_under(page, "Full name").isVisible()
    assert "not the same" in page.password_again.accessibleDescription()
    assert page.username.hasFocus()  # the first field with a problem

    # Editing a field takes its message away; a good account lets the user go on.
    qtbot.keyClicks(page.username, "x")
    assert not problem_under(page, "Username").isVisible()
    assert page.username.accessibleDescription() == ""
    assert problem_under(page, "Password").isVisible()
    fill_admin(wizard)
    wizard.next()
    assert wizard.currentId() == Page.CLINICAL


def test_the_clinical_account_is_checked_against_the_administrators_username(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.CLINICAL)
    page = wizard.clinical_page
    fill_clinician(wizard)
    page.username.setText("SITE.ADMIN")
    page.display_name.setText("")
    wizard.next()
    assert wizard.currentId() == Page.CLINICAL
    visible = " ".join(label.text() for label in page.findChildren(QLabel) if label.isVisible())
    assert "already taken" in visible
    assert "full name is required" in visible


def test_the_clinical_account_may_be_skipped(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.CLINICAL)
    page = wizard.clinical_page
    assert page.create_account is not None and page.create_account.isChecked()
    page.create_account.setChecked(False)
    assert not page.username.isEnabled()
    assert page.skipped.isVisible()
    wizard.next()
    assert wizard.currentId() == Page.CREATE
    assert "none for now" in wizard.create_page.summary.text()


# -- creating the database ----------------------------------------------------------------------


def test_create_calls_initialise_once_with_the_typed_accounts(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.CREATE)
    summary = wizard.create_page.summary.text()
    assert str(DATABASE) in summary
    assert "site.admin (Sam Admin)" in summary
    assert "a.khan (Dr Aisha Khan), Psychologist" in summary
    assert "WinVaultKeyring" in summary
    assert wizard.button(COMMIT).isVisible()
    assert wizard.button(COMMIT).text() == "&Create the database"

    wizard.next()
    assert fake.initialised == [
        (
            NewAccount("Site.Admin", "Sam Admin", ADMIN_PW, Role.ADMINISTRATOR),
            NewAccount("a.khan", "Dr Aisha Khan", PSY_PW, Role.PSYCHOLOGIST),
        )
    ]
    assert wizard.currentId() == Page.RECOVERY_KEY
    assert wizard.setup_result == SetupResult(DATABASE, RECOVERY, ADMIN_REF, PSY_REF)


def test_a_clinician_role_is_passed_on(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.CLINICAL)
    fill_clinician(wizard, role=Role.CLINICIAN)
    to_page(wizard, Page.RECOVERY_KEY)
    [(_, clinician)] = fake.initialised
    assert clinician is not None and clinician.role is Role.CLINICIAN


def test_a_failure_to_create_is_shown_plainly_and_keeps_the_input(qtbot):
    fake = FakeSetup(initialise_errors=[NoCredentialStore("The credential store is locked.")])
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.CREATE)
    wizard.next()
    assert wizard.currentId() == Page.CREATE
    error = shown(wizard.create_page.error)
    assert "The database was not created. The credential store is locked." in error
    assert "try again" in error
    assert wizard.setup_result is None
    # Everything typed is still there, and going back works.
    wizard.back()
    wizard.back()
    assert wizard.currentId() == Page.ADMINISTRATOR
    assert wizard.admin_page.username.text() == "Site.Admin"
    assert wizard.admin_page.password.text() == ADMIN_PW
    assert wizard.clinical_page.username.text() == "a.khan"
    assert wizard.clinical_page.password_again.text() == PSY_PW
    # A second try succeeds.
    to_page(wizard, Page.RECOVERY_KEY)
    assert len(fake.initialised) == 2


def test_problems_found_when_creating_are_put_back_on_their_fields(qtbot):
    problems = [
        Problem("admin.password", "That password is too easy to guess; choose another."),
        Problem("clinician.username", "There is already an account called 'a.khan'."),
    ]
    fake = FakeSetup(initialise_errors=[ValidationError(problems)])
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.CREATE)
    wizard.next()
    error = shown(wizard.create_page.error)
    assert "Administrator account, password: That password is too easy" in error
    assert "Your clinical account, username: There is already" in error
    assert "admin.password" not in error  # no internal names
    assert "too easy" in wizard.admin_page.password.accessibleDescription()
    assert "already an account" in wizard.clinical_page.username.accessibleDescription()


def test_an_existing_database_is_reported(qtbot):
    fake = FakeSetup(initialise_errors=[DatabaseExists("A database already exists at X.")])
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.CREATE)
    wizard.next()
    assert "A database already exists at X." in shown(wizard.create_page.error)


def test_cancelling_before_creation_creates_nothing(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.CREATE)
    qtbot.mouseClick(wizard.button(CANCEL), Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()
    assert fake.initialised == []
    assert wizard.setup_result is None


# -- the recovery key ---------------------------------------------------------------------------


def test_the_recovery_key_is_shown_exactly_and_must_be_acknowledged(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.RECOVERY_KEY)
    page = wizard.recovery_page
    shown_key = page.key.text()
    assert shown_key == grouped_key(RECOVERY)
    assert shown_key.split() == RECOVERY.split("-")  # every group, in order, nothing else
    assert page.key.font().styleHint() == QFont.StyleHint.Monospace
    assert page.key.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert page.key.font().pointSizeF() > QApplication.font().pointSizeF()
    texts = " ".join(label.text() for label in page.findChildren(QLabel))
    assert "only this once" in wizard.recovery_page.subTitle()
    assert "another computer" in texts
    # No way to put the key on the shared clipboard.
    assert not any("copy" in b.text().lower() for b in wizard.findChildren(QAbstractButton))

    assert not wizard.button(NEXT).isEnabled()
    assert "tick the box" in shown(page.reminder)
    assert not wizard.button(BACK).isEnabled() or not wizard.button(BACK).isVisible()
    assert not wizard.button(CANCEL).isVisible()
    wizard.reject()  # Escape or closing the window: refused until the key is written down
    assert wizard.isVisible()

    page.confirmed.setChecked(True)
    assert wizard.button(NEXT).isEnabled()
    assert not page.reminder.isVisible()


def test_without_a_clinical_account_the_recovery_key_is_the_last_page(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.RECOVERY_KEY, clinician=False)
    assert fake.initialised[0][1] is None
    assert wizard.button(FINISH).isVisible()
    assert not wizard.button(FINISH).isEnabled()
    wizard.recovery_page.confirmed.setChecked(True)
    assert wizard.button(FINISH).isEnabled()
    with qtbot.waitSignal(wizard.setup_completed) as signal:
        qtbot.mouseClick(wizard.button(FINISH), Qt.MouseButton.LeftButton)
    assert signal.args == [SetupResult(DATABASE, RECOVERY, ADMIN_REF, None)]
    assert fake.demos == []
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert wizard.recovery_page.key.text() == ""  # not left on screen


# -- the demo caseload --------------------------------------------------------------------------


def test_the_demo_caseload_is_loaded_only_when_chosen(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.DEMO)
    page = wizard.demo_page
    assert "Dr Aisha Khan" in page.about.text()
    assert "999" in page.about.text() and "DEMO" in page.about.text()
    assert not page.load.isChecked()
    assert page.clients.value() == 25
    assert not page.clients.isEnabled()
    with qtbot.waitSignal(wizard.setup_completed):
        wizard.button(FINISH).click()
    assert fake.demos == []
    assert wizard.demo_summary is None


def test_the_demo_caseload_is_loaded_for_the_clinician(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.DEMO)
    page = wizard.demo_page
    page.load.setChecked(True)
    assert page.clients.isEnabled()
    page.clients.setValue(40)
    wizard.button(FINISH).click()
    assert fake.demos == [(PSY_REF, 40)]
    assert wizard.demo_summary == "Loaded 40 demo clients, assigned to Dr Aisha Khan."
    assert not wizard.isVisible()


def test_a_demo_failure_is_shown_and_the_wizard_can_still_finish(qtbot):
    fake = FakeSetup(demo_errors=[ValidationError("The disk is full.")])
    wizard = make_wizard(qtbot, fake)
    completed = []
    wizard.setup_completed.connect(completed.append)
    to_page(wizard, Page.DEMO)
    wizard.demo_page.load.setChecked(True)
    wizard.button(FINISH).click()
    assert wizard.isVisible()
    assert "The disk is full." in shown(wizard.demo_page.error)
    assert completed == []
    assert wizard.recovery_page.key.text()  # still there, should they go back to it
    wizard.demo_page.load.setChecked(False)
    wizard.button(FINISH).click()
    assert not wizard.isVisible()
    assert completed == [wizard.setup_result]
    assert fake.demos == [(PSY_REF, 25)]


def test_closing_after_the_key_is_written_down_finishes_without_a_demo(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.DEMO)
    wizard.demo_page.load.setChecked(True)
    with qtbot.waitSignal(wizard.setup_completed):
        wizard.reject()
    assert fake.demos == []
    assert wizard.result() == QWizard.DialogCode.Accepted


# -- keyboard and accessibility -----------------------------------------------------------------


def alt(qtbot, key: Qt.Key) -> None:
    """Press Alt and a letter in the focused widget, as a person uses a mnemonic."""
    qtbot.keyClick(QApplication.focusWidget(), key, Qt.KeyboardModifier.AltModifier)


def alt_button(qtbot, wizard: SetupWizard, key: Qt.Key, *, to: Page) -> None:
    """A button's mnemonic: the button animates its click, so wait for the page to change."""
    alt(qtbot, key)
    qtbot.waitUntil(lambda: wizard.currentId() == to)


def test_the_whole_wizard_works_from_the_keyboard(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    alt_button(qtbot, wizard, Qt.Key.Key_N, to=Page.KEY_STORE)  # &Next
    alt_button(qtbot, wizard, Qt.Key.Key_B, to=Page.WELCOME)  # &Back
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # the default button
    assert wizard.currentId() == Page.KEY_STORE
    alt_button(qtbot, wizard, Qt.Key.Key_N, to=Page.ADMINISTRATOR)

    # The first field has the focus, Tab moves through the fields in order, and Return
    # in a field means Next.
    admin = wizard.admin_page
    assert admin.username.hasFocus()
    qtbot.keyClicks(admin.username, "site.admin")
    for field, text in (
        (admin.display_name, "Sam Admin"),
        (admin.password, ADMIN_PW),
        (admin.password_again, ADMIN_PW),
    ):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert field.hasFocus()
        qtbot.keyClicks(field, text)
    qtbot.keyClick(admin.password_again, Qt.Key.Key_Return)
    assert wizard.currentId() == Page.CLINICAL

    # Each field's label takes the user to it with Alt and its underlined letter.
    clinical = wizard.clinical_page
    assert clinical.create_account is not None and clinical.create_account.hasFocus()
    assert clinical.role is not None
    for key, field, text in (
        (Qt.Key.Key_U, clinical.username, "a.khan"),  # &Username
        (Qt.Key.Key_U, clinical.display_name, "Dr Aisha Khan"),  # F&ull name
        (Qt.Key.Key_P, clinical.password, PSY_PW),  # &Password
        (Qt.Key.Key_A, clinical.password_again, PSY_PW),  # Password &again
    ):
        alt(qtbot, key)
        assert field.hasFocus()
        qtbot.keyClicks(field, text)
    alt(qtbot, Qt.Key.Key_R)  # &Role
    assert clinical.role.hasFocus()
    qtbot.keyClick(clinical.role, Qt.Key.Key_Down)
    assert clinical.role.currentData() == Role.CLINICIAN
    qtbot.keyClick(clinical.role, Qt.Key.Key_Return)
    assert wizard.currentId() == Page.CREATE

    alt_button(qtbot, wizard, Qt.Key.Key_C, to=Page.RECOVERY_KEY)  # &Create the database
    admin_typed, clinician_typed = fake.initialised[0]
    assert admin_typed.username == "site.admin"
    assert clinician_typed == NewAccount("a.khan", "Dr Aisha Khan", PSY_PW, Role.CLINICIAN)
    assert wizard.recovery_page.key.hasFocus()
    alt(qtbot, Qt.Key.Key_N)
    qtbot.wait(300)
    assert wizard.currentId() == Page.RECOVERY_KEY  # not until the box is ticked
    qtbot.keyClick(wizard.recovery_page.key, Qt.Key.Key_Tab)
    assert wizard.recovery_page.confirmed.hasFocus()
    qtbot.keyClick(wizard.recovery_page.confirmed, Qt.Key.Key_Space)
    assert wizard.recovery_page.confirmed.isChecked()
    alt_button(qtbot, wizard, Qt.Key.Key_N, to=Page.DEMO)

    alt(qtbot, Qt.Key.Key_L)  # &Load a demo caseload
    qtbot.waitUntil(wizard.demo_page.load.isChecked)
    alt(qtbot, Qt.Key.Key_D)  # Number of &demo clients
    assert wizard.demo_page.clients.hasFocus()
    wizard.demo_page.clients.selectAll()
    qtbot.keyClicks(wizard.demo_page.clients, "5")
    with qtbot.waitSignal(wizard.setup_completed):
        alt(qtbot, Qt.Key.Key_F)  # &Finish
    assert fake.demos == [(PSY_REF, 5)]


def test_escape_cancels_before_anything_is_created(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.ADMINISTRATOR)
    qtbot.keyClick(wizard.admin_page.username, Qt.Key.Key_Escape)
    assert not wizard.isVisible()
    assert fake.initialised == []


def test_every_control_has_an_accessible_name_and_every_field_a_mnemonic(qtbot, fake):
    wizard = make_wizard(qtbot, fake)
    to_page(wizard, Page.DEMO)
    kinds = (QLineEdit, QCheckBox, QComboBox, QSpinBox, QAbstractButton)
    for kind in kinds:
        for control in wizard.findChildren(kind):
            if isinstance(control, QLineEdit) and isinstance(control.parent(), QSpinBox):
                continue
            assert control.accessibleName(), f"{kind.__name__} {control.objectName()!r}"
    for label in wizard.findChildren(QLabel):
        if label.buddy() is not None:
            assert "&" in label.text(), label.text()
    for button in (NEXT, BACK, COMMIT, FINISH):
        assert "&" in wizard.buttonText(button)


# -- end to end with the real setup service -----------------------------------------------------


def test_the_wizard_sets_up_a_real_database(qtbot, tmp_path: Path, memory_keyring):
    path = tmp_path / "data" / "clinic.db"
    wizard = SetupWizard(SetupActions.for_database(path))
    qtbot.addWidget(wizard)
    wizard.show()
    to_page(wizard, Page.KEY_STORE)
    assert "credential store" in wizard.key_store_page.outcome.text()
    to_page(wizard, Page.ADMINISTRATOR)
    # A weak password is caught by the real checks before anything is written.
    fill_admin(wizard, password="password")
    wizard.next()
    assert wizard.currentId() == Page.ADMINISTRATOR
    assert not path.exists()
    fill_admin(wizard)
    to_page(wizard, Page.RECOVERY_KEY)
    assert path.exists()
    recovery = "-".join(wizard.recovery_page.key.text().split())
    wizard.recovery_page.confirmed.setChecked(True)
    wizard.next()
    wizard.demo_page.load.setChecked(True)
    wizard.demo_page.clients.setValue(2)
    with qtbot.waitSignal(wizard.setup_completed) as signal:
        wizard.button(FINISH).click()
    result = signal.args[0]
    assert result == wizard.setup_result
    assert result.recovery_key == recovery
    assert wizard.demo_summary is not None and wizard.demo_summary.startswith("Loaded 2 demo")

    key = CredentialStore().get(path)
    assert key_from_recovery(recovery) == key
    database = open_database(path, key)
    try:
        with database.transaction() as session:
            admin = staff.sign_in(session, "site.admin", ADMIN_PW)
            psychologist = staff.sign_in(session, "a.khan", PSY_PW)
            assert admin.role is Role.ADMINISTRATOR
            assert psychologist == result.clinician
            caseload = clients.caseload(session, psychologist)
    finally:
        database.close()
    assert len(caseload) == 2
    assert all(row.client.is_demo for row in caseload)
