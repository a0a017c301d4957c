"""The setup wizard's way to a team site: where the server is, checked before it is kept.

A team that shares one record keeps it on a PostgreSQL server its trust runs, prepared
once with ``clinic-app site init``. Whoever sets up a workstation types what the IT
service gave them (host, port, database, how the server is checked, the certificate
authority's file); the page checks that the server answers as a clinic-app site, without
anyone's password, and only then writes the setting, as ``clinic-app site connect`` does.
No password is ever kept: everyone signs in with their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from clinic_app.errors import ClinicError
from clinic_app.storage.site import DEFAULT_PORT, STRONG_TLS, WEAKER_TLS, SiteSettings
from clinic_app.views.common.forms import ERROR_STYLE
from clinic_app.views.common.runner import runner

# How the server is checked, strongest first, in words.
TLS_CHOICES = {
    STRONG_TLS: "Its certificate and its name (recommended)",
    "verify-ca": "Its certificate only, not its name",
    "require": "Not checked: the connection is encrypted only",
}
assert set(TLS_CHOICES) == {STRONG_TLS, *WEAKER_TLS}

CheckSite = Callable[[SiteSettings], None]
"""Check that a site answers as a clinic-app site (raises a ClinicError saying why not)."""
KeepSite = Callable[[SiteSettings, bool], Path]
"""Point this workstation (or, True, every user of this computer) at a site."""


def _label(text: str, *, name: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName(name)
    return label


class SitePage(QWizardPage):
    """Where the team's site is; Finish checks the server, then keeps the setting.

    ``connected`` holds the settings once they are checked and written. The setting is
    written only if the person is still on this page when the server has answered: going
    Back or cancelling while the server is asked leaves nothing behind.
    """

    def __init__(
        self, check_site: CheckSite, keep_site: KeepSite, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._check_site = check_site
        self._keep_site = keep_site
        self.connected: SiteSettings | None = None
        self._checking = False
        self._validating = False
        self.setTitle("Connect to your team's site")
        self.setSubTitle(
            "Your IT service gives you these details. No password is kept on this computer: "
            "everyone signs in with their own."
        )
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        form = QFormLayout()

        self.host = QLineEdit()
        self.host.setAccessibleName("Server host name")
        self.host.setPlaceholderText("for example clinic-db.trust.nhs.uk")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setMaximumWidth(self.port.fontMetrics().horizontalAdvance("0") * 12)
        self.port.setAccessibleName("Port")
        self.database = QLineEdit()
        self.database.setAccessibleName("Database name")
        self.database.setPlaceholderText("for example masip")
        self.tls = QComboBox()
        for mode, words in TLS_CHOICES.items():
            self.tls.addItem(words, mode)
        self.tls.setAccessibleName("How the server is checked")
        self.weaker_allowed = QCheckBox(
            "An &administrator has chosen this weaker check (it is recorded in the log)"
        )
        self.weaker_allowed.setAccessibleName("An administrator has chosen this weaker check")
        self.ca_file = QLineEdit()
        self.ca_file.setAccessibleName("Certificate authority's file")
        self.ca_file.setPlaceholderText("the .pem or .crt file from your IT service")
        self.browse = QPushButton("Bro&wse…")
        self.browse.setAccessibleName("Choose the certificate authority's file")
        self.browse.clicked.connect(self._choose_ca_file)
        ca_row = QWidget()
        ca_layout = QHBoxLayout(ca_row)
        ca_layout.setContentsMargins(0, 0, 0, 0)
        ca_layout.addWidget(self.ca_file, 1)
        ca_layout.addWidget(self.browse)
        self.everyone = QCheckBox("Use this site for &everyone who signs in to this computer")
        self.everyone.setAccessibleName("Use this site for everyone who signs in to this computer")

        for text, field in (
            ("Server &host name", self.host),
            ("&Port", self.port),
            ("&Database name", self.database),
            ("Check the &server by", self.tls),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)
        form.addRow("", self.weaker_allowed)
        ca_label = QLabel("Certificate a&uthority")
        ca_label.setBuddy(self.ca_file)
        form.addRow(ca_label, ca_row)
        form.addRow("", self.everyone)
        layout.addLayout(form)

        self.status = _label("", name="Checking the server")
        self.status.hide()
        layout.addWidget(self.status)
        self.problems = _label("", name="Problems with the site's details")
        self.problems.setStyleSheet(ERROR_STYLE)
        self.problems.hide()
        layout.addWidget(self.problems)
        layout.addWidget(
            _label(
                "Finish checks that the server answers as a clinic-app site, then keeps "
                "these details. Nothing is kept if the check fails.",
                name="What Finish does",
            )
        )
        layout.addStretch()

        # The page's controls, in keyboard order (disabled together while checking).
        self._controls: tuple[QWidget, ...] = (
            self.host,
            self.port,
            self.database,
            self.tls,
            self.weaker_allowed,
            self.ca_file,
            self.browse,
            self.everyone,
        )
        for first, second in itertools.pairwise(self._controls):
            self.setTabOrder(first, second)
        for line in (self.host, self.database, self.ca_file):
            line.textEdited.connect(self._edited)
        self.port.valueChanged.connect(self._edited)
        self.weaker_allowed.toggled.connect(self._edited)
        self.everyone.toggled.connect(self._edited)
        self.tls.currentIndexChanged.connect(self._on_tls_changed)
        self._on_tls_changed()

    # what the wizard asks of a page

    def initializePage(self) -> None:
        self.host.setFocus()

    def nextId(self) -> int:
        return -1  # the last page: Finish

    def isComplete(self) -> bool:
        return (
            not self._checking
            and bool(self.host.text().strip())
            and bool(self.database.text().strip())
        )

    def validatePage(self) -> bool:
        """Finish: check the server (on the runner's thread) and keep the setting."""
        if self.connected is not None:
            return True
        settings = self.settings()
        found = settings.problems()
        if found:
            self._show_problems(found)
            return False
        self._show_problems([])
        self._set_checking(True)
        machine = self.everyone.isChecked()
        self._validating = True
        try:
            runner().run(
                partial(self._check_site, settings),
                lambda _none: self._checked(settings, machine),
                parent=self,
                failed=self._not_connected,
            )
        finally:
            self._validating = False
        # The check is under way (the page finishes when it answers), or a runner that
        # works at once has already answered.
        return self.connected is not None

    # the details

    def settings(self) -> SiteSettings:
        """The site as typed (checked by ``SiteSettings.problems``)."""
        ca_file = self.ca_file.text().strip()
        mode = str(self.tls.currentData())
        return SiteSettings(
            host=self.host.text().strip(),
            database=self.database.text().strip(),
            port=self.port.value(),
            sslmode=mode,
            ca_file=Path(ca_file) if ca_file else None,
            allow_weaker_tls=mode != STRONG_TLS and self.weaker_allowed.isChecked(),
        )

    def _choose_ca_file(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self,
            "The certificate authority's file",
            self.ca_file.text(),
            "Certificates (*.pem *.crt *.cer);;All files (*)",
        )
        if chosen:
            self.ca_file.setText(chosen)
            self._edited()

    def _on_tls_changed(self) -> None:
        weaker = self._weaker()
        self.weaker_allowed.setEnabled(weaker)
        if not weaker:
            self.weaker_allowed.setChecked(False)
        self._edited()

    def _edited(self) -> None:
        self.connected = None
        self._show_problems([])
        self.completeChanged.emit()

    # the check

    def _set_checking(self, checking: bool) -> None:
        self._checking = checking
        for field in self._controls:
            field.setEnabled(not checking)
        if not checking:
            self.weaker_allowed.setEnabled(self._weaker())
        self.status.setText("Checking the server…" if checking else "")
        self.status.setVisible(checking)
        self.completeChanged.emit()

    def _weaker(self) -> bool:
        return bool(self.tls.currentData() != STRONG_TLS)

    def _still_wanted(self) -> bool:
        """The person is still on this page (not gone Back, not cancelled the wizard)."""
        wizard = self.wizard()
        return wizard is not None and wizard.isVisible() and wizard.currentPage() is self

    def _checked(self, settings: SiteSettings, machine: bool) -> None:
        """The server answered as a site: keep the setting, if it is still wanted."""
        if not self._still_wanted():
            self._set_checking(False)  # an answer nobody waits for: nothing is kept
            return
        runner().run(
            partial(self._keep_site, settings, machine),
            lambda _path: self._connected(settings),
            parent=self,
            failed=self._not_connected,
        )

    def _connected(self, settings: SiteSettings) -> None:
        self._set_checking(False)
        self.connected = settings
        wizard = self.wizard()
        if not self._validating and wizard is not None and wizard.currentPage() is self:
            # Finish again: the page is valid now, and the wizard closes as it would have.
            wizard.button(QWizard.WizardButton.FinishButton).click()

    def _not_connected(self, error: ClinicError) -> None:
        self._set_checking(False)
        self._show_problems([f"{error.message} Nothing has been kept."])

    def _show_problems(self, found: list[str]) -> None:
        text = "\n".join(f"• {problem}" for problem in found) if len(found) > 1 else "".join(found)
        self.problems.setText(text)
        self.problems.setAccessibleDescription(text)
        self.problems.setVisible(bool(text))
