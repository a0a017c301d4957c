"""Issue 16: the two common jobs done from the keyboard alone, their actions counted.

Each test runs the whole application over a real database with the GUI-thread guard
strict, starts at Home and presses keys only: every key press goes to the widget that has
the focus (``QApplication.focusWidget()``), as a person's keyboard would. No click, and
no widget method called to act. A key press or a shortcut is one action; typing the
password (or a reference) is one; the note's own text is not counted, nor Tab between its
sections (as Return between its lines would not be).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget

from clinic_app.models.enums import ContactType, Modality
from clinic_app.services import appointments, notes
from clinic_app.views.appointments.view import DiaryView
from clinic_app.views.sessions.dialogs import SignNoteDialog
from clinic_app.views.sessions.tab import SessionsTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import outside, settle
from tests.gui.strict import guard_strictly, when_modal

NOTE_MOST_ACTIONS = 8
SUMMARY_MOST_ACTIONS = 12

Ctrl = Qt.KeyboardModifier.ControlModifier
Alt = Qt.KeyboardModifier.AltModifier
Shift = Qt.KeyboardModifier.ShiftModifier
NoModifier = Qt.KeyboardModifier.NoModifier


class Keyboard:
    """Key presses as a person makes them, to whatever has the focus, counted."""

    def __init__(self, qtbot: Any) -> None:
        self.qtbot = qtbot
        self.actions: list[str] = []

    def focused(self) -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "no widget has the keyboard focus"
        return widget

    def press(self, what: str, key: Qt.Key, modifiers: Qt.KeyboardModifier = NoModifier) -> None:
        self.actions.append(what)
        self.qtbot.keyClick(self.focused(), key, modifiers)

    def type_in(self, what: str, text: str) -> None:
        """A short text typed in one go (a password, a reference): one action."""
        self.actions.append(what)
        self.qtbot.keyClicks(self.focused(), text)

    def write(self, text: str) -> None:
        """The note's text, typed where the caret is (not counted)."""
        focused = self.focused()
        assert isinstance(focused, QPlainTextEdit), f"typing went to {focused!r}"
        for character in text:
            self.qtbot.keyClicks(focused, character)
            QApplication.processEvents()

    def next_section(self) -> None:
        """Tab to the next section of the note (part of typing the text: not counted)."""
        self.qtbot.keyClick(self.focused(), Qt.Key.Key_Tab)


def _sessions_of(window: Any, client_id: int) -> list[SessionsTab]:
    return [t for t in window.findChildren(SessionsTab) if t.client_id == client_id]


@pytest.fixture
def clinician_app(qtbot, start, seeded, monkeypatch):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    window = app.window
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return app


def test_from_home_a_note_is_written_and_signed_by_keyboard_alone(qtbot, clinician_app):
    app = clinician_app
    window = app.window
    me = app.workspace.me
    soon = (datetime.now() + timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    start_at = min(soon, time(23, 0))
    with app.database.transaction() as s:
        client_id = appointments.booking_choices(s, me).clients[0][0]
        appointments.book(
            s, me, client_id, day=date.today(), start_time=start_at, duration_minutes=50,
            modality=Modality.VIDEO,
        )  # fmt: skip
    assert window.tabs.currentWidget() is window.home
    keys = Keyboard(qtbot)

    # 1. Ctrl+2: the diary, today, with the keyboard on today's appointment.
    keys.press("Ctrl+2", Qt.Key.Key_2, Ctrl)
    [diary] = window.findChildren(DiaryView)
    assert window.tabs.currentWidget() is diary
    settle(qtbot, app)
    qtbot.waitUntil(lambda: diary.model.rowCount() == 1)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is diary.table)
    assert diary.note_button.isEnabled()

    # 2. Alt+W, "Write the note": the record opens at the note, with the day, time, length
    # and modality filled in, and the caret in its first section.
    keys.press("Alt+W", Qt.Key.Key_W, Alt)
    qtbot.waitUntil(lambda: bool(_sessions_of(window, client_id)), timeout=20_000)
    [sessions] = _sessions_of(window, client_id)
    qtbot.waitUntil(lambda: sessions.editor is not None and sessions.editor.note is not None)
    editor = sessions.editor
    assert editor is not None
    body = editor.content()
    assert (body.session_date, body.start_time, body.duration_minutes) == (
        date.today(),
        start_at,
        50,
    )
    assert body.modality is Modality.VIDEO
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.first_section())

    # The note itself (typing: not counted).
    keys.write("No contact with the victim reported; no breaches.")
    keys.next_section()
    keys.write("Review of the week's diary; goal: fewer checks of her social media.")
    keys.next_section()
    keys.write("Worked on the urge to check: delay and distraction plan.")

    # 3. Ctrl+Shift+S signs (saving first); 4. the password, where the focus is; 5. Return.
    answered: list[bool] = []

    def sign(dialog: SignNoteDialog) -> None:
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.password)
        keys.type_in("the password", STAFF_PASSWORD)
        keys.press("Return", Qt.Key.Key_Return)
        answered.append(True)

    asked = when_modal(SignNoteDialog, sign)
    keys.press("Ctrl+Shift+S", Qt.Key.Key_S, Ctrl | Shift)
    qtbot.waitUntil(lambda: bool(answered) and not asked.isActive(), timeout=20_000)
    settle(qtbot, app)
    qtbot.waitUntil(lambda: sessions.pane.currentWidget() is sessions.reader, timeout=20_000)

    assert keys.actions == ["Ctrl+2", "Alt+W", "Ctrl+Shift+S", "the password", "Return"]
    assert len(keys.actions) <= NOTE_MOST_ACTIONS, keys.actions
    written = outside(app).bind(notes.notes_for_client)(client_id)
    [note] = [n for n in written if n.content.start_time == start_at]
    assert note.is_signed
    assert note.content.contact_type in (ContactType.ASSESSMENT, ContactType.INTERVENTION_SESSION)
    assert note.content.risk_checkin.startswith("No contact with the victim")
    assert note.content.intervention_content.startswith("Worked on the urge")
