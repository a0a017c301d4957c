"""Signing in, and unlocking a locked screen.

The same dialog serves both: at start it asks for any account; when the screen is
locked it names who was signed in, but anyone may sign in (another user gets their own
fresh session, and the locked user's drafts stay autosaved for them).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import AccountLocked, ClinicError
from clinic_app.views.common.runner import runner

if TYPE_CHECKING:  # the sign-in window must appear before the database layer is loaded
    from clinic_app.services.common import StaffRef

ERROR_STYLE = "color: #a4000f; font-weight: bold;"
DIALOG_WIDTH = 460


class SignInDialog(QDialog):
    """Asks for a username and password and signs in through the given callable.

    The password check (deliberately slow, and waiting for the database to open) runs on
    the background runner; the window stays responsive and says it is checking.

    Signals:
        signed_in(StaffRef): emitted with the member of staff once the password is right.
    """

    signed_in = Signal(object)

    def __init__(
        self,
        sign_in: Callable[[str, str], StaffRef],
        *,
        database: str,
        locked_user: StaffRef | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._sign_in = sign_in
        self._unavailable = False
        self.staff: StaffRef | None = None
        self.setWindowTitle("clinic-app: screen locked" if locked_user else "clinic-app: sign in")
        self.setAccessibleName(self.windowTitle())
        layout = QVBoxLayout(self)
        if locked_user is not None:
            intro = (
                f"<b>The screen is locked.</b><br>{locked_user.display_name} was signed in. "
                "Sign in again to carry on where you left off. Anyone else who signs in "
                "gets their own session."
            )
        else:
            intro = "<b>Sign in to clinic-app</b>"
        heading = QLabel(intro)
        heading.setWordWrap(True)
        heading.setAccessibleName("Sign-in instructions")
        layout.addWidget(heading)

        form = QFormLayout()
        self.username = QLineEdit(locked_user.username if locked_user else "")
        self.username.setAccessibleName("Username")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        user_label = QLabel("&Username")
        user_label.setBuddy(self.username)
        user_label.setAccessibleName("Username")
        password_label = QLabel("&Password")
        password_label.setBuddy(self.password)
        password_label.setAccessibleName("Password")
        form.addRow(user_label, self.username)
        form.addRow(password_label, self.password)
        layout.addLayout(form)

        self.message = QLabel()
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Sign-in problem")
        self.message.hide()
        layout.addWidget(self.message)

        where = QLabel(f"Database: {database}")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setStyleSheet("color: palette(placeholder-text);")
        where.setWordWrap(True)
        where.setAccessibleName("Database in use")
        layout.addWidget(where)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Sign in")
        self.ok_button.setAccessibleName("Sign in")
        buttons.accepted.connect(self._on_sign_in)
        self._locked = locked_user is not None
        self.quit_button: QPushButton | None = None
        if self._locked:
            # Escape must not end a locked session by accident: quitting is a choice.
            self.quit_button = buttons.addButton(
                "&Quit clinic-app", QDialogButtonBox.ButtonRole.RejectRole
            )
            self.quit_button.setAccessibleName("Quit clinic-app")
            self.quit_button.setToolTip(
                "Close the application. What was being typed was kept when the screen locked."
            )
            self.quit_button.clicked.connect(self._quit)
        layout.addWidget(buttons)
        self.setTabOrder(self.username, self.password)
        (self.password if locked_user else self.username).setFocus()
        # A wrapped label does not ask for its height at a given width by itself: give the
        # heading the lines it needs at the dialog's width, so none is clipped.
        self.setMinimumWidth(DIALOG_WIDTH)
        margins = layout.contentsMargins()
        heading.setMinimumHeight(
            heading.heightForWidth(DIALOG_WIDTH - margins.left() - margins.right())
        )
        self.resize(DIALOG_WIDTH, 0)

    def _on_sign_in(self) -> None:
        if not self.ok_button.isEnabled():
            return  # checking already, or the database cannot be used
        username = self.username.text().strip()
        password = self.password.text()
        if not username or not password:
            self._show("Enter your username and password.")
            return
        self.ok_button.setEnabled(False)
        self.ok_button.setText("Checking…")
        self.message.hide()
        runner().run(
            partial(self._sign_in, username, password),
            self._signed_in,
            failed=self._refused,
            parent=self,
        )

    def _signed_in(self, staff: StaffRef) -> None:
        self.staff = staff
        self.password.clear()
        self.signed_in.emit(staff)
        self.accept()

    def _refused(self, error: ClinicError) -> None:
        self.ok_button.setText("&Sign in")
        if not self._unavailable:
            self.ok_button.setEnabled(True)
        self._show(error.message)
        self.password.clear()
        if not isinstance(error, AccountLocked):
            self.password.setFocus()

    def show_unavailable(self, text: str) -> None:
        """The database cannot be used: say why, and stop signing in."""
        self._unavailable = True
        self._show(text)
        self.ok_button.setEnabled(False)

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.setAccessibleDescription(text)
        self.message.show()

    def reject(self) -> None:
        # Escape (or closing the window) at a lock screen does nothing: the Quit button
        # says what it does. At start, it closes the window and the application.
        if self._locked:
            return
        self.password.clear()
        super().reject()

    def _quit(self) -> None:
        QDialog.reject(self)

    def done(self, result: int) -> None:
        self.password.clear()
        super().done(result)
