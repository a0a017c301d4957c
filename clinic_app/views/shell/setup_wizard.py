"""The first-run setup wizard: credential store, accounts, the database and its recovery key.

Or, for a team that shares one record on a server, where that site is (``setup_site``).

It walks whoever installs clinic-app through what ``clinic-app init`` does, in words: check
that the database key can be kept safely, choose the administrator account and (optionally)
the clinical account its owner will use with clients, create the encrypted database, show
the recovery key once, and offer a clearly marked demo caseload. The wizard does no work of
its own: it is handed :class:`~.setup_pages.SetupActions`, so tests give it fakes.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QWidget,
    QWizard,
)

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.services.setup import SetupResult
from clinic_app.storage.site import SiteSettings
from clinic_app.views.shell.setup_pages import (
    AccountPage,
    CreatePage,
    DemoPage,
    KeyStorePage,
    Page,
    RecoveryKeyPage,
    SetupActions,
    WelcomePage,
    busy,
    problem_in_words,
    show_problem,
)
from clinic_app.views.shell.setup_site import SitePage

# -- the wizard --------------------------------------------------------------------------------


class SetupWizard(QWizard):
    """First-run setup, from the welcome to the recovery key and an optional demo caseload.

    After it finishes, ``setup_result`` holds what was created (None if the wizard was
    cancelled before the database was created), so the application can go to sign-in.
    Or, when the records are kept on a team site, ``site_result`` holds the site this
    workstation now uses.

    Signals:
        setup_completed(SetupResult): emitted once when the wizard closes after creating
            the database.
    """

    setup_completed = Signal(object)

    @property
    def site_result(self) -> SiteSettings | None:
        """The team site this workstation now uses, when the wizard finished there."""
        return self.site_page.connected if self.currentId() == Page.SITE else None

    def __init__(self, actions: SetupActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self.setup_result: SetupResult | None = None
        self.demo_summary: str | None = None
        self._closing_after_setup = False
        self.setWindowTitle("Set up clinic-app")
        self.setAccessibleName("Set up clinic-app")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)

        self.welcome_page = WelcomePage(actions.database)
        self.key_store_page = KeyStorePage(actions.check_key_store)
        self.admin_page = AccountPage(actions.account_problems, clinical=False)
        self.clinical_page = AccountPage(
            actions.account_problems,
            clinical=True,
            taken_usernames=lambda: [self.admin_page.username.text()],
        )
        self.create_page = CreatePage()
        self.recovery_page = RecoveryKeyPage()
        self.demo_page = DemoPage()
        self.site_page = SitePage(actions.check_site, actions.keep_site)
        for page_id, page in (
            (Page.WELCOME, self.welcome_page),
            (Page.KEY_STORE, self.key_store_page),
            (Page.ADMINISTRATOR, self.admin_page),
            (Page.CLINICAL, self.clinical_page),
            (Page.CREATE, self.create_page),
            (Page.RECOVERY_KEY, self.recovery_page),
            (Page.DEMO, self.demo_page),
            (Page.SITE, self.site_page),
        ):
            self.setPage(page_id, page)
        self.setStartId(Page.WELCOME)

        buttons = (
            (QWizard.WizardButton.BackButton, "< &Back", "Back"),
            (QWizard.WizardButton.NextButton, "&Next >", "Next"),
            (QWizard.WizardButton.CommitButton, "&Create the database", "Create the database"),
            (QWizard.WizardButton.FinishButton, "&Finish", "Finish"),
            (QWizard.WizardButton.CancelButton, "Cancel", "Cancel setup"),
        )
        for which, text, name in buttons:
            self.setButtonText(which, text)
            self.button(which).setAccessibleName(name)
        self.currentIdChanged.connect(self._on_page_changed)
        self.finished.connect(self._on_finished)
        self.resize(760, 620)

    # what the pages ask of the wizard

    def validateCurrentPage(self) -> bool:
        current = self.currentPage()
        # QWizard.next() does not ask whether the page is complete; only the button does.
        if current is not None and not current.isComplete():
            return False
        if not super().validateCurrentPage():
            return False
        page = self.currentId()
        if page == Page.CREATE:
            return self._create()
        if page == Page.DEMO and not self._closing_after_setup:
            return self._load_demo()
        return True

    def _create(self) -> bool:
        admin = self.admin_page.account()
        clinician = self.clinical_page.account()
        if admin is None:  # pragma: no cover - the administrator page always gives one
            return False
        self.create_page.show_error("")
        try:
            with busy():
                result = self._actions.initialise(admin, clinician)
        except ValidationError as error:
            self.admin_page.show_problems(error.problems)
            self.clinical_page.show_problems(error.problems)
            listed = "\n".join(f"• {problem_in_words(p)}" for p in error.problems)
            self.create_page.show_error(
                "The database was not created, because some details need changing:\n"
                f"{listed}\nGo back to correct them; nothing has been written."
            )
            return False
        except ClinicError as error:
            self.create_page.show_error(
                f"The database was not created. {error.message}\n"
                "Your details are still here: you can try again, or go back to change them."
            )
            return False
        self.setup_result = result
        self.recovery_page.show_key(result.recovery_key, has_clinician=result.clinician is not None)
        if result.clinician is not None:
            self.demo_page.describe(result.clinician)
        # The database exists now: there is nothing left to cancel.
        self.setOption(QWizard.WizardOption.NoCancelButton, True)
        return True

    def _load_demo(self) -> bool:
        result = self.setup_result
        if not self.demo_page.load.isChecked() or result is None or result.clinician is None:
            return True
        try:
            with busy():
                self.demo_summary = self._actions.load_demo(
                    result.clinician, self.demo_page.clients.value()
                )
        except ClinicError as error:
            show_problem(
                self.demo_page.error,
                f"The demo caseload was not loaded. {error.message}\n"
                "Your database and accounts are ready: untick the box to finish without it.",
            )
            return False
        return True

    # closing

    def reject(self) -> None:
        if self.setup_result is None:
            super().reject()
            return
        if not self.recovery_page.confirmed.isChecked():
            # The key is shown only now; leaving before it is written down would lose it.
            self.recovery_page.confirmed.setFocus()
            return
        # The database exists: closing the wizard now finishes it (without a demo caseload).
        self._closing_after_setup = True
        self.done(int(QWizard.DialogCode.Accepted))

    def _on_finished(self, _result: int) -> None:
        created = self.setup_result
        if created is not None:
            self.recovery_page.forget_key()
            self.setup_completed.emit(created)

    def _on_page_changed(self, page_id: int) -> None:
        if page_id == Page.CREATE:
            self.create_page.show_error("")
            self.create_page.show_summary(
                self._actions.database,
                self.key_store_page.status,
                self.admin_page.account(),
                self.clinical_page.account(),
            )
