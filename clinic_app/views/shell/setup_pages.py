"""The pages of the first-run setup wizard, and what they ask of the setup service."""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from clinic_app.errors import Problem
from clinic_app.models.enums import Role
from clinic_app.services import setup
from clinic_app.services.common import StaffRef
from clinic_app.services.setup import KeyStoreStatus, NewAccount, SetupResult
from clinic_app.storage.keys import default_key_store
from clinic_app.storage.site import SiteSettings
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors

MAX_WIZARD_DEMO_CLIENTS = 1000
KEY_GROUPS_PER_LINE = 4

FIELD_WORDS = {
    "username": "username",
    "display_name": "full name",
    "password": "password",
    "password_again": "password (typed again)",
    "role": "role",
}
ACCOUNT_WORDS = {setup.ADMIN: "Administrator account", setup.CLINICIAN: "Your clinical account"}


class AccountProblems(Protocol):
    """Checks a new account before anything is written (see ``setup.account_problems``)."""

    def __call__(
        self,
        account: NewAccount,
        *,
        clinical: bool,
        password_again: str | None = None,
        taken_usernames: Collection[str] = (),
    ) -> list[Problem]: ...


@dataclass(frozen=True)
class SetupActions:
    """What the setup wizard needs: the database's place and the setup use cases."""

    database: Path
    check_key_store: Callable[[], KeyStoreStatus]
    initialise: Callable[[NewAccount, NewAccount | None], SetupResult]
    load_demo: Callable[[StaffRef, int], str]
    account_problems: AccountProblems
    # Check that a team site answers as one; point this workstation (True: every user of
    # this computer) at it.
    check_site: Callable[[SiteSettings], None]
    keep_site: Callable[[SiteSettings, bool], Path]

    @classmethod
    def for_database(cls, database: Path, key_file: Path | None = None) -> SetupActions:
        """The real setup service for a database (and an explicitly chosen key file)."""

        def initialise(admin: NewAccount, clinician: NewAccount | None) -> SetupResult:
            return setup.initialise(database, default_key_store(key_file), admin, clinician)

        def load_demo(clinician: StaffRef, clients: int) -> str:
            return setup.load_demo(database, default_key_store(key_file), clinician, clients)

        return cls(
            database=database,
            check_key_store=lambda: setup.check_key_store(key_file),
            initialise=initialise,
            load_demo=load_demo,
            account_problems=setup.account_problems,
            check_site=_check_site,
            keep_site=_keep_site,
        )


def _check_site(settings: SiteSettings) -> None:
    from clinic_app.storage.site import check_site  # noqa: PLC0415 - only for a site

    check_site(settings)


def _keep_site(settings: SiteSettings, machine: bool) -> Path:
    from clinic_app.services import site  # noqa: PLC0415 - only when a site is chosen

    return site.connect_workstation(settings, machine=machine)


class Page(IntEnum):
    """The wizard's pages, in order."""

    WELCOME = 0
    KEY_STORE = 1
    ADMINISTRATOR = 2
    CLINICAL = 3
    CREATE = 4
    RECOVERY_KEY = 5
    DEMO = 6
    SITE = 7  # instead of all the above: a team site on a server


def problem_in_words(problem: Problem) -> str:
    """``admin.password: ...`` as a person would say it."""
    account, _, field = problem.where.partition(".")
    if account in ACCOUNT_WORDS and field in FIELD_WORDS:
        return f"{ACCOUNT_WORDS[account]}, {FIELD_WORDS[field]}: {problem.message}"
    return problem.message


def grouped_key(recovery_key: str) -> str:
    """The recovery key in lines of four groups, with spaces between groups to copy by hand."""
    groups = recovery_key.split("-")
    lines = [
        "  ".join(groups[i : i + KEY_GROUPS_PER_LINE])
        for i in range(0, len(groups), KEY_GROUPS_PER_LINE)
    ]
    # Pad the shorter last line so that the columns line up when the block is centred.
    width = max(len(line) for line in lines)
    return "\n".join(line.ljust(width) for line in lines)


def _text(text: str, *, name: str, selectable: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setAccessibleName(name)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _page_layout(page: QWizardPage) -> QVBoxLayout:
    layout = QVBoxLayout(page)
    layout.setSpacing(10)
    return layout


def _problem_label(name: str) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName(name)
    label.hide()
    return label


def show_problem(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setAccessibleDescription(text)
    label.setVisible(bool(text))


@contextmanager
def busy() -> Iterator[None]:
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


# -- pages -------------------------------------------------------------------------------------


class WelcomePage(QWizardPage):
    """What clinic-app is and where its encrypted database will be kept."""

    def __init__(self, database: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Welcome to clinic-app")
        self.setSubTitle("Setting up clinic-app on this computer takes a few minutes.")
        layout = _page_layout(self)
        layout.addWidget(
            _text(
                "clinic-app keeps the health team's records for a stalking intervention "
                "programme: assessments, plans, sessions, risk events, referrals and measures, "
                "and the partner-safe progress summaries shared with police, probation and "
                "victim advocates.",
                name="About clinic-app",
            )
        )
        layout.addWidget(
            _text("<b>Where will the records be kept?</b>", name="Where the records are kept")
        )
        self.here = QRadioButton("On &this computer, in one encrypted database file:")
        self.here.setAccessibleName("On this computer, in one encrypted database file")
        self.here.setChecked(True)
        layout.addWidget(self.here)
        self.database = QLabel(str(database))
        self.database.setTextFormat(Qt.TextFormat.PlainText)
        self.database.setWordWrap(True)
        self.database.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.database.setAccessibleName("Database file")
        self.database.setStyleSheet("font-weight: bold; margin-left: 24px;")
        layout.addWidget(self.database)
        layout.addWidget(
            _indented(
                "For one clinician, a pilot or a laptop. This wizard checks that this computer "
                "can keep the database key safely, creates an administrator account and your "
                "own clinical account, then creates the database and shows you its recovery "
                "key, once.",
                name="About keeping the records on this computer",
            )
        )
        self.site = QRadioButton("On our team's &site, a database server our IT service runs")
        self.site.setAccessibleName("On our team's site, a database server our IT service runs")
        layout.addWidget(self.site)
        layout.addWidget(
            _indented(
                "For a team that shares its cases. The server must have been prepared once "
                "with 'clinic-app site init'; everyone signs in with their own account on it. "
                "This wizard asks where the server is and checks it.",
                name="About a team site",
            )
        )
        self.how_to_begin = _text("", name="How to begin")
        layout.addWidget(self.how_to_begin)
        layout.addStretch()
        self.here.toggled.connect(self._describe_next)
        self._describe_next()

    def nextId(self) -> int:
        return int(Page.SITE if self.site.isChecked() else Page.KEY_STORE)

    def _describe_next(self) -> None:
        if self.site.isChecked():
            self.how_to_begin.setText(
                "Choose <b>Next</b> to say where the site is. Nothing is kept until it has "
                "been checked."
            )
        else:
            self.how_to_begin.setText(
                "Choose <b>Next</b> to begin. Nothing is created until the step called "
                "“Create the database”."
            )


def _indented(text: str, *, name: str) -> QLabel:
    label = _text(text, name=name)
    label.setStyleSheet("margin-left: 24px;")
    return label


class KeyStorePage(QWizardPage):
    """Checks the credential store; blocks progress, with the reason, until it is usable."""

    def __init__(self, check: Callable[[], KeyStoreStatus], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self.status: KeyStoreStatus | None = None
        self.setTitle("Where the database key will be kept")
        self.setSubTitle(
            "The database is locked with a key. clinic-app keeps that key in this computer's "
            "credential store, so you never have to type it."
        )
        layout = _page_layout(self)
        self.outcome = _text("", name="Credential store check")
        layout.addWidget(self.outcome)
        self.guidance = _text(
            "<b>What to do</b><ul>"
            "<li>On Windows, make sure Windows Credential Manager is running for your "
            "account (it normally is), then choose <b>Check again</b>.</li>"
            "<li>On Linux, start or unlock a Secret Service such as GNOME Keyring or "
            "KWallet, then choose <b>Check again</b>.</li>"
            "<li>If you cannot do this yourself, ask your IT service desk to make the "
            "credential store available to your account on this computer.</li></ul>"
            "clinic-app never keeps the key in plain text. An administrator who instead "
            "chooses a key file they protect themselves sets the CLINIC_APP_KEY_FILE "
            "setting before starting clinic-app.",
            name="What to do",
        )
        layout.addWidget(self.guidance)
        self.details = _text("", name="What the check found", selectable=True)
        layout.addWidget(self.details)
        row = QHBoxLayout()
        self.check_again = QPushButton("&Check again")
        self.check_again.setAccessibleName("Check the credential store again")
        self.check_again.clicked.connect(self._on_check_again)
        row.addWidget(self.check_again)
        row.addStretch()
        layout.addLayout(row)
        self.blocked_reason = _problem_label("Why you cannot go on yet")
        layout.addWidget(self.blocked_reason)
        layout.addStretch()

    def initializePage(self) -> None:
        self.check()

    def check(self) -> None:
        """Ask whether the key can be kept, and show the answer."""
        with busy():
            status = self._check()
        self.status = status
        if status.usable:
            where = html.escape(status.description)
            self.outcome.setText(
                f"<b>Ready.</b> The database key will be kept in {where}, protected by your "
                "sign-in to this computer. It is never kept in plain text."
            )
            self.details.clear()
            show_problem(self.blocked_reason, "")
        else:
            self.outcome.setText(
                "<b>Not ready: the database key cannot be kept safely on this computer yet.</b>"
            )
            self.details.setText(f"What the check found: {html.escape(status.problem or '')}")
            show_problem(
                self.blocked_reason,
                "You cannot go on until the credential store is available. Follow the steps "
                "above, then choose Check again.",
            )
        self.guidance.setVisible(not status.usable)
        self.details.setVisible(not status.usable)
        self.check_again.setVisible(not status.usable)
        self.outcome.setAccessibleDescription(self.outcome.text())
        self.completeChanged.emit()
        if not status.usable:
            self.check_again.setFocus()

    def isComplete(self) -> bool:
        return self.status is not None and self.status.usable

    def _on_check_again(self) -> None:
        self.check()


class AccountPage(QWizardPage):
    """A new account: username, full name, (role,) password twice, with inline problems.

    The same page serves the administrator and the clinical account; the clinical one
    has a role and may be skipped.
    """

    def __init__(
        self,
        problems_of: AccountProblems,
        *,
        clinical: bool,
        taken_usernames: Callable[[], list[str]] = list,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._problems_of = problems_of
        self._clinical = clinical
        self._taken = taken_usernames
        self.prefix = setup.CLINICIAN if clinical else setup.ADMIN
        self.errors = FieldErrors()
        self._problem_labels: dict[QWidget, QLabel] = {}
        layout = _page_layout(self)

        if clinical:
            self.setTitle("Your clinical account")
            self.setSubTitle("Recommended: the account you will use to work with clients.")
            layout.addWidget(
                _text(
                    "Sign in with this account to see your caseload, record sessions, plans, "
                    "risk events and measures, and write partner summaries. Your full name "
                    "appears on the notes and summaries you sign. Keeping it apart from the "
                    "administrator account means clinical records are read only by clinical "
                    "staff.",
                    name="About the clinical account",
                )
            )
            self.create_account: QCheckBox | None = QCheckBox(
                "Create &my clinical account now (recommended)"
            )
            self.create_account.setChecked(True)
            self.create_account.setAccessibleName("Create my clinical account now")
            self.create_account.toggled.connect(self._on_create_toggled)
            layout.addWidget(self.create_account)
        else:
            self.setTitle("Administrator account")
            self.setSubTitle("The account that manages clinic-app on this computer.")
            layout.addWidget(
                _text(
                    "Administrators add and disable staff accounts, make and restore backups "
                    "and change settings. They do not read clinical records: if you also "
                    "work with clients, you will make your own clinical account next.",
                    name="About the administrator account",
                )
            )
            self.create_account = None

        self.form_area = QWidget()
        form = QFormLayout(self.form_area)
        form.setContentsMargins(0, 6, 0, 0)
        self.username = self._line(
            "&Username",
            "Username",
            "username",
            form,
            hint="What you type to sign in: 2 to 64 letters, digits, dots, dashes or "
            "underscores, starting with a letter.",
        )
        self.username.setPlaceholderText("for example a.khan")
        self.display_name = self._line(
            "F&ull name",
            "Full name",
            "display_name",
            form,
            hint="As it should appear on notes and summaries, for example Dr Aisha Khan."
            if clinical
            else "Optional: the username is used if you leave it empty.",
        )
        self.role: QComboBox | None = None
        if clinical:
            self.role = QComboBox()
            self.role.addItem("Psychologist", Role.PSYCHOLOGIST)
            self.role.addItem("Clinician (any registered health professional)", Role.CLINICIAN)
            self.role.setAccessibleName("Role")
            self._row(
                "&Role",
                self.role,
                "role",
                form,
                hint="Psychologists record assessments, formulations and plans; clinicians "
                "record sessions and measures and write partner summaries.",
            )
        self.password = self._line(
            "&Password",
            "Password",
            "password",
            form,
            secret=True,
            hint="At least 10 characters. A short sentence you will remember is a good choice.",
        )
        self.password_again = self._line(
            "Password &again", "Password again", "password_again", form, secret=True
        )
        layout.addWidget(self.form_area)

        self.general = _problem_label("Other problems")
        layout.addWidget(self.general)
        self.skipped = _text(
            "No clinical account will be created now. An administrator can add clinical "
            "accounts later.",
            name="Clinical account skipped",
        )
        self.skipped.hide()
        layout.addWidget(self.skipped)
        layout.addStretch()

        order: list[QWidget] = [self.username, self.display_name]
        if self.role is not None:
            order.append(self.role)
        order += [self.password, self.password_again]
        if self.create_account is not None:
            order.insert(0, self.create_account)
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)

    # building

    def _row(
        self, text: str, field: QWidget, where: str, form: QFormLayout, *, hint: str = ""
    ) -> None:
        label = QLabel(text)
        label.setBuddy(field)
        label.setAccessibleName(field.accessibleName())
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 8)
        column.setSpacing(2)
        column.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        column.addWidget(field)
        problem = self.errors.label_for(f"{self.prefix}.{where}", field)
        column.addWidget(problem)
        if hint:
            note = QLabel(hint)
            note.setWordWrap(True)
            note.setAccessibleName(f"About the {field.accessibleName().lower()}")
            font = note.font()
            font.setPointSizeF(font.pointSizeF() * 0.9)
            note.setFont(font)
            column.addWidget(note)
        form.addRow(label, box)
        self._problem_labels[field] = problem

    def _line(
        self,
        text: str,
        name: str,
        where: str,
        form: QFormLayout,
        *,
        secret: bool = False,
        hint: str = "",
    ) -> QLineEdit:
        field = QLineEdit()
        field.setAccessibleName(name)
        if secret:
            field.setEchoMode(QLineEdit.EchoMode.Password)
        field.textEdited.connect(lambda _text: self._on_edited(field))
        self._row(text, field, where, form, hint=hint)
        return field

    # state

    @property
    def creating(self) -> bool:
        """False only when the clinical account is skipped."""
        return self.create_account is None or self.create_account.isChecked()

    def account(self) -> NewAccount | None:
        """The account as typed, or None when the clinical account is skipped."""
        if not self.creating:
            return None
        role = Role.ADMINISTRATOR if self.role is None else Role(self.role.currentData())
        return NewAccount(
            self.username.text(), self.display_name.text(), self.password.text(), role
        )

    def show_problems(self, problems: Collection[Problem]) -> None:
        """Put each problem under its field; any others in words below the form."""
        mine = [p for p in problems if p.where.startswith(f"{self.prefix}.")]
        unplaced = self.errors.show(mine)
        show_problem(self.general, "\n".join(problem_in_words(p) for p in unplaced))

    def clear_problems(self) -> None:
        self.errors.clear()
        show_problem(self.general, "")

    def initializePage(self) -> None:
        first = self.create_account if self.create_account is not None else self.username
        first.setFocus()

    def validatePage(self) -> bool:
        account = self.account()
        if account is None:
            self.clear_problems()
            return True
        problems = self._problems_of(
            account,
            clinical=self._clinical,
            password_again=self.password_again.text(),
            taken_usernames=self._taken(),
        )
        if problems:
            self.show_problems(problems)
            return False
        self.clear_problems()
        return True

    # slots

    def _on_edited(self, field: QWidget) -> None:
        # A problem shown under a field goes once that field is changed; Next checks again.
        label = self._problem_labels.get(field)
        if label is not None and label.isVisible():
            label.clear()
            label.hide()
            field.setAccessibleDescription("")

    def _on_create_toggled(self, checked: bool) -> None:
        self.form_area.setEnabled(checked)
        self.skipped.setVisible(not checked)
        if not checked:
            self.clear_problems()


class CreatePage(QWizardPage):
    """Sums up what will be created; its button creates the database."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Create the database")
        self.setSubTitle("Check the details, then create the encrypted database and accounts.")
        self.setCommitPage(True)
        layout = _page_layout(self)
        self.summary = _text("", name="What will be created", selectable=True)
        layout.addWidget(self.summary)
        layout.addWidget(
            _text(
                "When you choose <b>Create the database</b>, clinic-app creates the "
                "encrypted database and the accounts, then shows the database's recovery "
                "key. You cannot come back to change these details afterwards, but an "
                "administrator can change accounts later.",
                name="What happens next",
            )
        )
        self.error = _problem_label("Why the database was not created")
        layout.addWidget(self.error)
        layout.addStretch()

    def show_summary(
        self,
        database: Path,
        key_store: KeyStoreStatus | None,
        admin: NewAccount | None,
        clinician: NewAccount | None,
    ) -> None:
        def who(account: NewAccount) -> str:
            name = account.username.strip().lower()
            full = account.display_name.strip()
            return f"{name} ({full})" if full else name

        rows = [("Database", str(database))]
        if key_store is not None:
            rows.append(("Key kept in", key_store.description))
        if admin is not None:
            rows.append(("Administrator", who(admin)))
        if clinician is not None:
            rows.append(
                ("Your clinical account", f"{who(clinician)}, {clinician.role.value.capitalize()}")
            )
        else:
            rows.append(("Your clinical account", "none for now (can be added later)"))
        cells = "".join(
            f"<tr><td style='padding-right:12px'><b>{label}</b></td>"
            f"<td>{html.escape(value)}</td></tr>"
            for label, value in rows
        )
        self.summary.setText(f"<table>{cells}</table>")
        self.summary.setAccessibleDescription(
            "; ".join(f"{label}: {value}" for label, value in rows)
        )

    def show_error(self, text: str) -> None:
        show_problem(self.error, text)


class RecoveryKeyPage(QWizardPage):
    """Shows the recovery key, once, and asks for it to be written down before going on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.has_clinician = False
        self.setTitle("The recovery key: write it down now")
        self.setSubTitle("The database has been created. This key is shown only this once.")
        layout = _page_layout(self)
        layout.addWidget(
            _text(
                "With the recovery key, an administrator can open the database on another "
                "computer, or on this one if its credential store is lost or reset. "
                "Without it, nobody can recover the records in that case: not IT, and "
                "not the makers of clinic-app.",
                name="What the recovery key is for",
            )
        )
        self.key = QLabel()
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(max(fixed.pointSizeF(), 10.0) * 1.8)
        fixed.setWeight(QFont.Weight.DemiBold)
        fixed.setStyleHint(QFont.StyleHint.Monospace)
        self.key.setFont(fixed)
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key.setTextFormat(Qt.TextFormat.PlainText)
        self.key.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.key.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.key.setFrameShape(QFrame.Shape.Box)
        self.key.setMargin(12)
        self.key.setAccessibleName("Recovery key")
        layout.addWidget(self.key)
        layout.addWidget(
            _text(
                "Write it on paper, exactly as shown, and keep it somewhere safe away from "
                "this computer, as your organisation keeps other keys and passwords (for "
                "example, a locked cabinet). Do not email it, photograph it or save it in a "
                "file on this computer. Letters and digits matter; spaces do not.",
                name="How to keep the recovery key",
            )
        )
        self.confirmed = QCheckBox(
            "I have &written down the recovery key and stored it safely, away from this computer"
        )
        self.confirmed.setAccessibleName(
            "I have written down the recovery key and stored it safely, away from this computer"
        )
        self.confirmed.toggled.connect(self._on_confirmed)
        layout.addWidget(self.confirmed)
        self.reminder = _problem_label("Why you cannot go on yet")
        layout.addWidget(self.reminder)
        layout.addStretch()
        self.setTabOrder(self.key, self.confirmed)

    def show_key(self, recovery_key: str, *, has_clinician: bool) -> None:
        self.has_clinician = has_clinician
        self.key.setText(grouped_key(recovery_key))
        groups = recovery_key.split("-")
        self.key.setAccessibleDescription(
            f"{len(groups)} groups: " + ", ".join(" ".join(group) for group in groups)
        )
        self.confirmed.setChecked(False)
        self._on_confirmed(False)

    def forget_key(self) -> None:
        """Clear the key from the screen once setup is over."""
        self.key.clear()
        self.key.setAccessibleDescription("")

    def isComplete(self) -> bool:
        return self.confirmed.isChecked()

    def nextId(self) -> int:
        return int(Page.DEMO) if self.has_clinician else -1

    def initializePage(self) -> None:
        self.key.setFocus()

    def _on_confirmed(self, checked: bool) -> None:
        show_problem(
            self.reminder,
            "" if checked else "To go on, write the recovery key down, then tick the box above.",
        )
        self.completeChanged.emit()


class DemoPage(QWizardPage):
    """Offers a clearly marked demo caseload for the clinical account."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("A demo caseload (optional)")
        self.setSubTitle("Practice records to try clinic-app out or to train colleagues.")
        layout = _page_layout(self)
        self.about = _text("", name="About demo records")
        layout.addWidget(self.about)
        self.load = QCheckBox("&Load a demo caseload")
        self.load.setAccessibleName("Load a demo caseload")
        self.load.toggled.connect(self._on_load_toggled)
        layout.addWidget(self.load)
        form = QFormLayout()
        self.clients = QSpinBox()
        self.clients.setRange(1, MAX_WIZARD_DEMO_CLIENTS)
        self.clients.setValue(setup.DEFAULT_DEMO_CLIENTS)
        self.clients.setAccessibleName("Number of demo clients")
        self.clients.setEnabled(False)
        self.clients.setMaximumWidth(self.clients.fontMetrics().horizontalAdvance("0") * 12)
        label = QLabel("Number of &demo clients")
        label.setBuddy(self.clients)
        label.setAccessibleName("Number of demo clients")
        form.addRow(label, self.clients)
        layout.addLayout(form)
        self.error = _problem_label("Why the demo caseload was not loaded")
        layout.addWidget(self.error)
        layout.addStretch()
        self.setTabOrder(self.load, self.clients)

    def describe(self, clinician: StaffRef) -> None:
        self.about.setText(
            "Demo clients are invented people with made-up histories. Their NHS numbers "
            "are test numbers starting 999, which are never issued to anyone, and every "
            "demo record is marked <b>DEMO</b> wherever it appears. They will be assigned "
            f"to your clinical account, <b>{html.escape(clinician.display_name)}</b>.<br><br>"
            "Load them only on a computer used for training or trying clinic-app out: "
            "they stay in the database, clearly marked, alongside any real records."
        )

    def nextId(self) -> int:
        return -1  # the last page of a database on this computer

    def initializePage(self) -> None:
        self.load.setFocus()

    def _on_load_toggled(self, checked: bool) -> None:
        self.clients.setEnabled(checked)
        show_problem(self.error, "")
