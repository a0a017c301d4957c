"""Every dialog that asks for a password opens with the focus where typing should go.

A typed password must never land on a button (or nowhere): the sign and addendum dialogs
open with the caret in the field to fill, the password as soon as it is the next one.
"""

from __future__ import annotations

from clinic_app.views.admin.dialogs import ResetPasswordDialog
from clinic_app.views.sessions.dialogs import AddendumDialog, SignNoteDialog
from clinic_app.views.shell.password import ChangePasswordDialog


def shown(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    return dialog


def test_the_sign_dialog_opens_in_the_password_field(qtbot):
    dialog = shown(qtbot, SignNoteDialog("Session on 4 March", lambda password: None))
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.password)
    qtbot.keyClicks(dialog.focusWidget(), "secret")
    assert dialog.password.text() == "secret"


def test_return_in_the_password_field_signs(qtbot):
    asked: list[str] = []
    dialog = shown(qtbot, SignNoteDialog("Session on 4 March", asked.append))
    qtbot.keyClicks(dialog.password, "secret")
    qtbot.keyClick(dialog.password, "\r")
    assert asked == ["secret"]


def test_the_addendum_dialog_opens_in_the_first_field_to_fill(qtbot):
    dialog = shown(qtbot, AddendumDialog("Session on 4 March", lambda *args: None))
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.reason)


def test_the_addendum_dialog_written_already_opens_in_the_password_field(qtbot):
    dialog = AddendumDialog("Session on 4 March", lambda *args: None)
    dialog.reason.setText("Correction")
    dialog.text.setPlainText("Two delays a week, not daily.")
    dialog.focus_first_empty()
    shown(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.password)


def test_the_other_password_dialogs_open_in_a_password_field(qtbot):
    reset = shown(qtbot, ResetPasswordDialog("dr.jones", lambda *args: None))
    qtbot.waitUntil(lambda: reset.focusWidget() is reset.password)
    change = shown(qtbot, ChangePasswordDialog(lambda *args: None, required=True))
    qtbot.waitUntil(lambda: change.focusWidget() is change.current)
