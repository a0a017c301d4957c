"""Kill the application while a note is being written: the next start offers the text back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from clinic_app.app import ClinicApp
from clinic_app.services import demo, notes, staff
from clinic_app.storage import engine
from clinic_app.storage.keys import KeyFile
from clinic_app.views.sessions import dialogs as notes_dialogs
from clinic_app.views.sessions.tab import SessionsTab
from tests.conftest import STAFF_PASSWORD

CANARY = "Canary-91c2 words typed just before the crash"

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from clinic_app.app import ClinicApp
    from clinic_app.services import clients
    from clinic_app.services.workspace import Workspace

    class Scripted(ClinicApp):
        def _ask_sign_in(self, locked_user):
            return self._sign_in("dr.jones", sys.argv[3])

    controller = Scripted(Path(sys.argv[1]), key_file=Path(sys.argv[2]))
    controller.start()
    # The script's own read (the app refuses use cases on the GUI thread from its views).
    me = controller.workspace.me
    client = Workspace(controller.database, me).call(clients.caseload)[0].client.id
    steps = []

    def when_idle(step):
        # The record opens and its parts read on the runner: act once all is in.
        def poll():
            if controller.runner.idle:
                timer.stop()
                step()
        timer = QTimer()
        timer.timeout.connect(poll)
        timer.start(20)
        steps.append(timer)

    def write():
        sessions = controller.window.record_views()[0].show_tab("Sessions")
        when_idle(lambda: type_in(sessions))

    def type_in(sessions):
        editor = sessions.new_note()
        editor.sections["intervention_content"].setPlainText(sys.argv[4])
        editor.autosaved.connect(lambda draft: print("autosaved", flush=True))

    controller.window.open_client(client)
    when_idle(write)
    app.exec()
    """
)


@pytest.fixture
def crashed(tmp_path: Path, db, db_key, psychologist):
    """A real app process killed (SIGKILL) after autosaving a note it was writing."""
    with db.transaction() as session:
        demo.load_demo_caseload(session, psychologist, 2)
    key_file = tmp_path / "clinic.key"
    KeyFile(key_file).put(db.path, db_key)
    db.close()
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db.path), str(key_file), STAFF_PASSWORD, CANARY],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    line = b""
    while time.monotonic() < deadline and b"autosaved" not in line:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    assert b"autosaved" in line, "the app never autosaved the note"
    return db.path, key_file


def test_the_autosaved_text_survives_the_kill(crashed, db_key):
    path, _ = crashed
    database = engine.open_database(path, db_key)
    try:
        with database.session() as session:
            me = staff.sign_in(session, "dr.jones", STAFF_PASSWORD)
            drafts = notes.drafts_to_recover(session, me)
    finally:
        database.close()
    assert [d.fields["intervention_content"] for d in drafts] == [CANARY]


def test_the_next_start_offers_the_draft_and_opens_it(qtbot, crashed, monkeypatch):
    path, key_file = crashed
    offered = []

    def choose_first(dialog):
        offered.append(list(dialog.drafts))
        dialog.chosen = dialog.drafts[0]
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(notes_dialogs.RecoverDraftsDialog, "exec", choose_first)

    class Scripted(ClinicApp):
        def _ask_sign_in(self, locked_user):
            return self._sign_in("dr.jones", STAFF_PASSWORD)

    app = Scripted(path, key_file=key_file)
    try:
        assert app.start()
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: app.runner.idle, timeout=10_000)  # the offer comes from the runner
        assert offered, "no recovery was offered"
        # The record opens on the runner, and the draft once the notes are read.
        qtbot.waitUntil(lambda: app.runner.idle, timeout=20_000)
        view = app.window.record_views()[0]
        sessions = view.tab("Sessions")
        assert isinstance(sessions, SessionsTab)
        assert sessions.editor is not None
        assert sessions.editor.sections["intervention_content"].toPlainText() == CANARY
    finally:
        app.idle.pause()
        app.runner.stop()
        assert app.database is not None
        app.database.close()
