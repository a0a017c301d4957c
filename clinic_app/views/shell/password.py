"""Choosing a new password (required after an administrator has set one)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.views.common.forms import ERROR_STYLE
from clinic_app.views.common.runner import runner


class ChangePasswordDialog(QDialog):
    """Asks for the current password and a new one twice, and changes it."""

    def __init__(
        self,
        change: Callable[[str, str], None],
        *,
        required: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._change = change
        self.setWindowTitle("clinic-app: choose a new password")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Your password was set by an administrator. Choose your own before you carry on."
            if required
            else "Choose a new password."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("Why a new password is needed")
        layout.addWidget(intro)
        form = QFormLayout()
        self.current = self._field("&Current password", form)
        self.new = self._field("&New password (at least 10 characters)", form)
        self.again = self._field("New password &again", form)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Password problem")
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("C&hange password")
        buttons.accepted.connect(self._on_change)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.current.setFocus()  # typing starts in the password, not on a button

    def _field(self, label: str, form: QFormLayout) -> QLineEdit:
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setAccessibleName(label.replace("&", ""))
        caption = QLabel(label)
        caption.setBuddy(edit)
        caption.setAccessibleName(label.replace("&", ""))
        form.addRow(caption, edit)
        return edit

    def _on_change(self) -> None:
        if not self.ok_button.isEnabled():
            return  # the change is being made
        if self.new.text() != self.again.text():
            self._show("The two new passwords are not the same.")
            return
        self.ok_button.setEnabled(False)
        runner().run(
            partial(self._change, self.current.text(), self.new.text()),
            self._changed,
            failed=self._refused,
            parent=self,
        )

    def _changed(self, _result: object) -> None:
        for edit in (self.current, self.new, self.again):
            edit.clear()
        self.accept()

    def _refused(self, error: ClinicError) -> None:
        self.ok_button.setEnabled(True)
        self._show(error.message)

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
