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
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QPlainTextEdit, QWidget

from clinic_app.models.enums import ContactType, DisclosureKind, Gateway, Modality
from clinic_app.services import appointments, clients, notes
from clinic_app.services.sharing import disclosures
from clinic_app.services.sharing.lexicon import load_lexicon
from clinic_app.views.appointments.view import DiaryView
from clinic_app.views.sessions.dialogs import SignNoteDialog
from clinic_app.views.sessions.tab import SessionsTab
from clinic_app.views.sharing import register as register_view
from clinic_app.views.sharing.document_wizards import PartnerSummaryWizard
from clinic_app.views.sharing.wizard import Step
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

    def __init__(self, qtbot: Any, window: QWidget) -> None:
        self.qtbot = qtbot
        self.window = window
        self.actions: list[str] = []

    def focused(self) -> QWidget:
        back_to(self.qtbot, QApplication.activeModalWidget() or self.window)
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


def step_of(wizard: PartnerSummaryWizard) -> Step:
    """The step shown now (read afresh: a key press moves the wizard on)."""
    step: Step = wizard.current_step
    return step


def back_to(qtbot: Any, window: QWidget) -> None:
    """The main window active again after a dialog closed, as a desktop's window manager
    does it (the offscreen test platform does not): not an action of the user."""
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)


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
    keys = Keyboard(qtbot, window)

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


def test_a_quarterly_police_summary_is_issued_by_keyboard_alone(
    qtbot, clinician_app, monkeypatch, tmp_path
):
    app = clinician_app
    window = app.window
    today = date.today()
    [first, *_] = outside(app).call(clients.caseload)
    client_id, reference = first.client.id, first.client.local_ref
    last_quarter_ended = today - timedelta(days=1)
    outside(app).call(
        disclosures.record_disclosure,
        kind=DisclosureKind.PARTNER_SUMMARY,
        client_id=client_id,
        audience="police",
        recipient_agency="Metropolitan Police, Stalking Unit",
        recipient_person="DC Priya Patel",
        purpose="Quarterly review of the client's engagement for the stalking protection order.",
        gateway=Gateway.CDA_S115,
        client_informed=True,
        document_sha256="a" * 64,
        payload={},
        period_from=last_quarter_ended - timedelta(days=90),
        period_to=last_quarter_ended,
    )
    app.runner.run(load_lexicon, lambda _lexicon: None)  # (read once per process)
    settle(qtbot, app)
    keys = Keyboard(qtbot, window)
    saved_as: list[Path] = []

    def save_dialog(_parent, _title, suggested, _filters) -> str:
        keys.actions.append("Return in the file dialog")  # the suggested name says what it is
        saved_as.append(tmp_path / Path(suggested).name)
        return str(saved_as[-1])

    monkeypatch.setattr(register_view, "ask_save_path", save_dialog)
    told: list[str] = []
    monkeypatch.setattr(register_view, "show_message", lambda _p, _t, text: told.append(text))

    # Ctrl+O, the reference, Return: the record opens.
    def give_reference(dialog: QInputDialog) -> None:
        keys.type_in("the reference", reference)
        keys.press("Return", Qt.Key.Key_Return)

    asked = when_modal(QInputDialog, give_reference)
    keys.press("Ctrl+O", Qt.Key.Key_O, Ctrl)
    qtbot.waitUntil(lambda: not asked.isActive())
    qtbot.waitUntil(lambda: window.current_client_id() == client_id)
    [record] = window.record_views()
    qtbot.waitUntil(lambda: record.is_open)
    settle(qtbot, app)
    back_to(qtbot, window)
    assert record.tabs.tabBar().hasFocus()
    keys.press("Alt+7", Qt.Key.Key_7, Alt)
    settle(qtbot, app)
    exported: list[object] = []
    closed: list[bool] = []

    def make(wizard: PartnerSummaryWizard) -> None:
        details = wizard.details
        # The audience of last quarter's summary, and what was chosen for it, are offered.
        qtbot.waitUntil(lambda: details.recipient_agency.text() != "")
        policy = details.chosen_audience()
        assert policy is not None and policy.name == "police"
        assert details.recipient_person.text() == "DC Priya Patel"
        assert details.purpose.toPlainText().startswith("Quarterly review")
        assert details.chosen_gateway() is Gateway.CDA_S115
        assert details.client_informed() is True
        assert details.period() == (today, today)
        keys.press("Return (Next)", Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: app.runner.idle and step_of(wizard) is not Step.DETAILS)
        if step_of(wizard) is Step.WORDING:
            assert not wizard.review.rows  # no clinical word nor third party to check
            keys.press("Return (Next)", Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: step_of(wizard) is Step.PREVIEW)
        qtbot.waitUntil(lambda: wizard.rendered is not None, timeout=20_000)
        keys.press("Return (Next)", Qt.Key.Key_Return)
        assert step_of(wizard) is Step.CALDICOTT
        for letter, key in (
            ("C", Qt.Key.Key_C),
            ("M", Qt.Key.Key_M),
            ("R", Qt.Key.Key_R),
            ("A", Qt.Key.Key_A),
        ):
            keys.press(f"Alt+{letter}", key, Alt)
        boxes = wizard.caldicott.boxes.values()
        qtbot.waitUntil(lambda: not any(box.isDown() for box in boxes))  # (animated clicks)
        assert all(box.isChecked() for box in boxes)
        keys.press("Return (Next)", Qt.Key.Key_Return)
        assert step_of(wizard) is Step.SAVE
        wizard.exported.connect(exported.append)
        keys.press("Return (Save the PDF)", Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(exported), timeout=20_000)
        qtbot.keyClick(keys.focused(), Qt.Key.Key_Escape)  # Close: the work is done
        closed.append(True)

    asked = when_modal(PartnerSummaryWizard, make)
    keys.press("Alt+P", Qt.Key.Key_P, Alt)
    qtbot.waitUntil(lambda: bool(closed) and not asked.isActive(), timeout=60_000)
    assert keys.actions == [
        *("Ctrl+O", "the reference", "Return", "Alt+7", "Alt+P"),
        "Return (Next)",  # the details, as last quarter's, confirmed
        "Return (Next)",  # the wording: nothing to check
        "Return (Next)",  # the preview, read
        *("Alt+C", "Alt+M", "Alt+R", "Alt+A"),  # the four Caldicott questions
        "Return (Next)",
        "Return (Save the PDF)",
        "Return in the file dialog",
    ]
    # The PDF was written where chosen, named for what it is, and registered with its hash.
    [path] = saved_as
    assert path.name.startswith("Progress summary ") and " Police " in path.name
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    register = outside(app).call(disclosures.register_for_client, client_id)
    issued = [r for r in register if r.document_sha256 == disclosures.sha256_hex(data)]
    assert [(r.kind, r.audience, r.period_to) for r in issued] == [
        (DisclosureKind.PARTNER_SUMMARY, "police", today)
    ]
    # Issue 16's figure, counted as the clicking test counts it (tests/gui/sharing/
    # test_quarterly_summary.py): from the Summaries tab to the saved file. Reaching the
    # tab from Home takes four more (Ctrl+O, the reference, Return, Alt+7).
    from_the_tab = keys.actions[keys.actions.index("Alt+7") + 1 :]
    assert len(from_the_tab) <= SUMMARY_MOST_ACTIONS, from_the_tab
    assert len(keys.actions) == len(from_the_tab) + 4
