"""Choosing a new password: mismatches and refusals are explained; success closes."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from clinic_app.errors import AuthError
from clinic_app.views.shell.password import ChangePasswordDialog


def _fill(dialog, current, new, again):
    dialog.current.setText(current)
    dialog.new.setText(new)
    dialog.again.setText(again)
    dialog.ok_button.click()


def test_mismatched_new_passwords_are_caught_before_asking(qtbot):
    calls = []
    dialog = ChangePasswordDialog(lambda c, n: calls.append((c, n)), required=True)
    qtbot.addWidget(dialog)
    _fill(dialog, "old password 1", "new password 22", "new password 23")
    assert calls == []
    assert "not the same" in dialog.message.text()
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_a_refusal_is_shown_and_the_dialog_stays(qtbot):
    def change(current, new):
        raise AuthError("Your current password is not right.")

    dialog = ChangePasswordDialog(change, required=True)
    qtbot.addWidget(dialog)
    _fill(dialog, "wrong", "new password 22", "new password 22")
    assert dialog.message.text() == "Your current password is not right."
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_success_changes_and_clears_the_fields(qtbot):
    calls = []
    dialog = ChangePasswordDialog(lambda c, n: calls.append((c, n)), required=True)
    qtbot.addWidget(dialog)
    _fill(dialog, "old password 1", "new password 22", "new password 22")
    assert calls == [("old password 1", "new password 22")]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.current.text() == dialog.new.text() == dialog.again.text() == ""
