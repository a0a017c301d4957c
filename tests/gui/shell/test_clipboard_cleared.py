"""Text copied from a record does not outlive the session on the screen: the clipboard is
emptied when the screen locks (idle or Ctrl+L), when the user signs out and when the app
quits."""

from __future__ import annotations

from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QApplication

from tests.conftest import STAFF_PASSWORD

COPIED = "Copied from a session note: disclosed contact with the victim on Friday."


def copy_from_a_note() -> QClipboard:
    clipboard = QGuiApplication.clipboard()
    clipboard.setText(COPIED)
    if clipboard.supportsSelection():
        clipboard.setText(COPIED, QClipboard.Mode.Selection)
    assert clipboard.text() == COPIED
    return clipboard


def assert_empty(clipboard: QClipboard) -> None:
    assert clipboard.text() == ""
    if clipboard.supportsSelection():
        assert clipboard.text(QClipboard.Mode.Selection) == ""


def test_locking_the_screen_empties_the_clipboard(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    clipboard = copy_from_a_note()
    emptied_before_sign_in: list[str] = []
    original = app._ask_sign_in

    def ask(locked_user):
        emptied_before_sign_in.append(clipboard.text())
        return original(locked_user)

    app._ask_sign_in = ask
    app.window.lock_requested.emit()  # Ctrl+L
    qtbot.waitUntil(lambda: not app.locked and app.window is not None, timeout=5000)
    qtbot.addWidget(app.window)
    assert emptied_before_sign_in == [""]  # empty while the lock screen was up
    assert_empty(clipboard)


def test_the_idle_lock_empties_the_clipboard(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    clipboard = copy_from_a_note()
    app.idle.idle.emit()
    qtbot.waitUntil(lambda: not app.locked and app.window is not None, timeout=5000)
    qtbot.addWidget(app.window)
    assert_empty(clipboard)


def test_signing_out_empties_the_clipboard(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    clipboard = copy_from_a_note()
    app.window.sign_out_requested.emit()
    qtbot.waitUntil(lambda: not app.locked and app.window is not None, timeout=5000)
    qtbot.addWidget(app.window)
    assert_empty(clipboard)


def test_quitting_empties_the_clipboard(qtbot, start, seeded, monkeypatch):
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    clipboard = copy_from_a_note()
    app.window.close()
    assert quits == [True]
    assert_empty(clipboard)
