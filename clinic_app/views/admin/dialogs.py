"""The administrator's small forms: a new account, a password reset, a client to assign.

Each reads its fields, hands the change to the background runner and closes only once it
is saved; a refusal is shown beside the form and what was typed stays.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import problems_label, show_messages
from clinic_app.wording import ROLE_WORDS

MISMATCH = "The two passwords are not the same."


class SavingDialog(QDialog):
    """A form whose OK button saves through the runner and closes when the save is done."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.problems = problems_label()
        self.layout_.addWidget(self.problems)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert isinstance(ok, QPushButton)
        self.ok_button = ok
        self.ok_button.setText(ok_text)
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        self.layout_.addWidget(buttons)
        self.result_value: Any = None

    def field(self, label: str, widget: QWidget) -> QWidget:
        caption = QLabel(label)
        caption.setBuddy(widget)
        widget.setAccessibleName(label.replace("&", ""))
        self.form.addRow(caption, widget)
        return widget

    def password_field(self, label: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.field(label, edit)
        return edit

    def work(self) -> Callable[[], Any] | None:
        """The change to save, with every value read now; None when the form says no."""
        raise NotImplementedError

    def _on_ok(self) -> None:
        if not self.ok_button.isEnabled():
            return
        show_messages(self.problems, [])
        work = self.work()
        if work is None:
            return
        self.ok_button.setEnabled(False)
        runner().run(work, self._saved, failed=self._refused, parent=self)

    def _saved(self, value: Any) -> None:
        self.result_value = value
        self.accept()

    def _refused(self, error: ClinicError) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(error, ValidationError):
            show_messages(self.problems, [p.message for p in error.problems])
        else:
            show_messages(self.problems, [error.message])

    def refuse(self, message: str) -> None:
        show_messages(self.problems, [message])


class AddAccountDialog(SavingDialog):
    """A new account: who, their role, and a temporary password they replace at sign-in."""

    def __init__(self, add: Callable[..., Any], parent: QWidget | None = None) -> None:
        super().__init__("Add a staff account", "&Add account", parent)
        self._add = add
        intro = QLabel(
            "The new member of staff signs in with the temporary password and must then "
            "choose their own."
        )
        intro.setWordWrap(True)
        self.layout_.insertWidget(0, intro)
        self.username = QLineEdit()
        self.field("&Username", self.username)
        self.display_name = QLineEdit()
        self.field("&Name shown to others", self.display_name)
        self.job_title = QLineEdit()
        self.field("&Job title", self.job_title)
        self.roles = list(ROLE_WORDS)
        self.role = QComboBox()
        self.role.addItems([ROLE_WORDS[role] for role in self.roles])
        self.field("&Role", self.role)
        self.password = self.password_field("&Temporary password (at least 10 characters)")
        self.again = self.password_field("Temporary password &again")
        self.username.setFocus()

    def work(self) -> Callable[[], Any] | None:
        if self.password.text() != self.again.text():
            self.refuse(MISMATCH)
            return None
        return partial(
            self._add,
            self.username.text(),
            role=self.roles[self.role.currentIndex()],
            password=self.password.text(),
            display_name=self.display_name.text(),
            job_title=self.job_title.text(),
        )


class ResetPasswordDialog(SavingDialog):
    """A temporary password for someone who forgot theirs (they replace it at sign-in)."""

    def __init__(
        self, username: str, reset: Callable[[str, str], Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Reset the password of {username}", "&Reset password", parent)
        self._username = username
        self._reset = reset
        intro = QLabel(
            f"{username} signs in with this temporary password and must then choose their "
            "own. A lockout after wrong passwords ends now."
        )
        intro.setWordWrap(True)
        self.layout_.insertWidget(0, intro)
        self.password = self.password_field("&Temporary password (at least 10 characters)")
        self.again = self.password_field("Temporary password &again")
        self.password.setFocus()

    def work(self) -> Callable[[], Any] | None:
        if self.password.text() != self.again.text():
            self.refuse(MISMATCH)
            return None
        return partial(self._reset, self._username, self.password.text())


class AssignClientDialog(SavingDialog):
    """Put a client on a clinician's caseload by case reference or NHS number."""

    def __init__(
        self,
        staff_name: str,
        staff_id: int,
        assign: Callable[..., Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Assign a client to {staff_name}", "&Assign", parent)
        self._staff_id = staff_id
        self._assign = assign
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("for example MASIP-0042, or the NHS number")
        self.field("Case &reference or NHS number", self.reference)
        self.lead = QCheckBox(f"{staff_name} &leads this client's care")
        self.form.addRow(self.lead)
        self.lead.setAccessibleName("Leads this client's care")
        self.reference.setFocus()

    def work(self) -> Callable[[], Any] | None:
        return partial(
            self._assign, self._staff_id, self.reference.text(), is_lead=self.lead.isChecked()
        )
