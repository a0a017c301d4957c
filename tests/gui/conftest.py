"""Fixtures for tests of the whole application: a seeded database and a scripted start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPlainTextEdit, QTextEdit, QWidget
from shiboken6 import isValid

from clinic_app.app import ClinicApp
from clinic_app.services import demo
from clinic_app.services.common import StaffRef
from clinic_app.services.workspace import Workspace
from clinic_app.storage.keys import CredentialStore
from clinic_app.views.common.runner import InlineRunner, use_runner


class ScriptedApp(ClinicApp):
    """The real application, with the sign-in dialog answered by a script."""

    def __init__(self, path: Path, sign_ins: list[tuple[str, str] | None]) -> None:
        super().__init__(path)
        self.sign_ins = sign_ins
        self.asked: list[StaffRef | None] = []

    def _ask_sign_in(self, locked_user):
        self.asked.append(locked_user)
        answer = self.sign_ins.pop(0)
        return None if answer is None else self._sign_in(*answer)

    def _offer_draft_recovery(self):
        """Tested through the Sessions tab; the modal prompt is not driven here."""


@contextmanager
def keyboard_kept(qtbot) -> Iterator[QWidget]:  # type: ignore[no-untyped-def]
    """Fail unless the window the user is in keeps the keyboard while the block runs.

    Showing a widget before it has a parent makes it a window of its own: it flashes up on
    the desktop and takes the keyboard before it joins its form (on Qt's offscreen
    platform, no window has the keyboard afterwards). Checked through the focus window, not
    with an event filter on the whole application: a Python filter called for every event
    of every widget can be called while a widget of an earlier test is being destroyed.
    """
    anchor = QWidget()
    anchor.setWindowTitle("The window the user is in")
    qtbot.addWidget(anchor)
    anchor.show()
    anchor.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is anchor.windowHandle())
    yield anchor
    QApplication.processEvents()
    assert QGuiApplication.focusWindow() is anchor.windowHandle(), (
        "a widget was shown as a window of its own and took the keyboard"
    )


@pytest.fixture(autouse=True)
def inline_runner():
    """A view driven by in-memory fakes runs its units of work at once; the whole
    application (``start``) installs its own background runner instead."""
    previous = use_runner(InlineRunner())
    yield
    use_runner(previous)


@pytest.fixture
def seeded(db, db_key, psychologist, clinician):
    """A database with a small demo caseload for the psychologist, key in the store."""
    with db.transaction() as session:
        demo.load_demo_caseload(session, psychologist, 3)
    CredentialStore().put(db.path, db_key)
    path = db.path
    db.close()
    return path


def visible_texts() -> str:
    texts = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QPlainTextEdit | QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QLineEdit | QLabel):
            texts.append(widget.text())
    return "\n".join(texts)


def outside(app: ClinicApp) -> Workspace:
    """The signed-in user's workspace for a test's own reads and writes.

    The application refuses a use case on the GUI thread (the test runs there, but it is
    not a view: it may wait on the database to check what the screens did).
    """
    assert app.database is not None and app.workspace is not None
    return Workspace(app.database, app.workspace.me)


def settle(qtbot, app: ClinicApp, timeout: int = 10_000) -> None:
    """Wait until the application's runner has done all it was asked (results delivered)."""
    qtbot.waitUntil(lambda: app.runner.idle, timeout=timeout)


@pytest.fixture
def start(qtbot):
    started = []
    first_windows = {}

    def run(path, sign_ins):
        app = ScriptedApp(path, sign_ins)
        started.append(app)
        assert app.start()
        qtbot.addWidget(app.window)
        first_windows[id(app)] = id(app.window)  # not the window: qtbot's weak hold ends
        settle(qtbot, app)
        return app

    yield run
    for app in started:
        app.idle.pause()
        app.runner.stop()
        # A window shown after a second sign-in (sign out, lock) is not the one qtbot
        # was given: close it, or, still shown, its shortcuts would answer in the next
        # test. (qtbot closes and deletes the first one itself; deleting this one here
        # would also carry out the first one's deletion the application asked for, under
        # qtbot's feet.)
        window = app.window
        if window is not None and id(window) != first_windows.get(id(app)) and isValid(window):
            window.close()
        if app.database is not None:
            app.database.close()
