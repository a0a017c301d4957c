"""The whole application over a real encrypted database: sign in, records, lock, unlock."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from clinic_app.app import ClinicApp
from clinic_app.services import clients, notes, staff
from clinic_app.views.caseload.view import CaseloadView
from clinic_app.views.record.window import ClientRecordView
from clinic_app.views.sessions.tab import SessionsTab
from clinic_app.views.shell.signin import SignInDialog
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import ScriptedApp, outside, visible_texts
from tests.gui.record.opening import open_record, settle, show_part
from tests.gui.stall import no_stalls

CANARY = "Canary-7f3a unsaved clinical words"


def _type_in_new_note(qtbot, app) -> SessionsTab:
    client_id = outside(app).call(clients.caseload)[0].client.id
    view = open_record(qtbot, app, client_id)
    assert isinstance(view, ClientRecordView)
    sessions = show_part(qtbot, app, view, "Sessions")
    assert isinstance(sessions, SessionsTab)
    editor = sessions.new_note()
    editor.sections["intervention_content"].setPlainText(CANARY)
    return sessions


def test_sign_in_shows_the_users_caseload(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    caseload = app.window.caseload
    assert isinstance(caseload, CaseloadView)
    qtbot.waitUntil(lambda: caseload.model.rowCount() == 3)  # read on the background runner
    assert "Dr Jones" in app.window.windowTitle()


def test_lock_leaves_no_clinical_text_in_any_widget_and_unlock_restores_it(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    sessions = _type_in_new_note(qtbot, app)
    client_id = sessions.client_id
    assert CANARY in visible_texts()

    seen_while_locked = []
    original = app._ask_sign_in

    def ask_while_checking(locked_user):
        seen_while_locked.append(CANARY in visible_texts())
        return original(locked_user)

    app._ask_sign_in = ask_while_checking
    app.lock()
    qtbot.waitUntil(lambda: not app.locked, timeout=5000)
    assert seen_while_locked == [False]
    assert app.asked[-1].username == "dr.jones"  # the lock screen names who was signed in
    # Unlocked as the same user: the record is open again with the unsaved text back.
    qtbot.addWidget(app.window)
    assert app.window.open_client_ids() == [client_id]
    settle(qtbot, app)  # the record opens, its notes and the autosaved text come back
    view = app.window.record_views()[0]
    restored = view.tab("Sessions")
    assert isinstance(restored, SessionsTab)
    assert restored.editor is not None
    assert restored.editor.sections["intervention_content"].toPlainText() == CANARY


def test_another_user_unlocking_gets_a_fresh_session(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("nurse.patel", STAFF_PASSWORD)])
    _type_in_new_note(qtbot, app)
    app.lock()
    qtbot.waitUntil(lambda: not app.locked, timeout=5000)
    qtbot.addWidget(app.window)
    assert app.workspace.me.username == "nurse.patel"
    assert app.window.open_client_ids() == []
    QApplication.sendPostedEvents(None, 0)
    assert CANARY not in visible_texts()
    # The first user's words were kept for them as an autosaved draft.
    with app.database.session() as session:
        jones = staff.sign_in(session, "dr.jones", STAFF_PASSWORD)
        drafts = notes.drafts_to_recover(session, jones)
    assert [d.fields.get("intervention_content") for d in drafts] == [CANARY]


def test_cancelling_sign_in_at_start_opens_nothing(seeded):
    app = ScriptedApp(seeded, [None])
    assert not app.start()
    assert app.window is None
    assert app.database is None  # nobody signed in, so the database was never opened


def test_the_sign_in_window_says_why_when_the_database_cannot_open(qtbot, seeded, memory_keyring):
    """A database whose key is not in the store (and no recovery key given) is explained."""
    app = ClinicApp(seeded)
    memory_keyring.secrets.clear()  # as if the credential store had been lost
    app._ask_recovery_key = lambda why: None
    dialog = SignInDialog(app._sign_in, database=str(seeded))
    qtbot.addWidget(dialog)
    app._prepare(dialog)
    qtbot.waitUntil(lambda: not dialog.ok_button.isEnabled())
    assert "recovery key" in dialog.message.text()
    assert app.database is None
    app.runner.stop()


def test_the_sign_in_window_answers_while_the_database_opens_and_the_password_is_checked(
    qtbot, seeded
):
    """Paint first: the database opens and the (deliberately slow) password check runs off
    the GUI thread, so the window never freezes; a wrong password is said plainly."""
    app = ClinicApp(seeded)
    dialog = SignInDialog(app._sign_in, database=str(seeded))
    qtbot.addWidget(dialog)
    signed_in = []
    dialog.signed_in.connect(signed_in.append)
    with no_stalls():
        dialog.show()
        app._prepare(dialog)
        assert app.database is None  # not opened on the GUI thread
        qtbot.waitUntil(lambda: app.database is not None, timeout=10_000)
        dialog.username.setText("dr.jones")
        dialog.password.setText("not the password")
        dialog.ok_button.click()
        assert not dialog.ok_button.isEnabled()  # checking, on the runner's thread
        qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=10_000)
        assert "password" in dialog.message.text().lower()
        assert dialog.password.text() == ""
        dialog.password.setText(STAFF_PASSWORD)
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: bool(signed_in), timeout=10_000)
    assert signed_in[0].username == "dr.jones"
    assert dialog.result() == dialog.DialogCode.Accepted
    app.runner.stop()
    app.close_database()


def test_a_records_own_search_finds_only_its_notes_and_opens_them(qtbot, start, seeded):
    from clinic_app.views.search.panel import NoteSearchPanel

    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    client_id = outside(app).call(clients.caseload)[0].client.id
    written = [
        n
        for n in outside(app).call(notes.notes_for_client, client_id)
        if n.content.intervention_content
    ]
    word = written[0].content.intervention_content.split()[0]
    view = open_record(qtbot, app, client_id)
    view.show_tab("Search notes")
    finder = view.widget_of("Search notes")
    assert isinstance(finder, NoteSearchPanel)
    finder.search_for(word)  # on the application's background runner
    qtbot.waitUntil(lambda: finder.model.rowCount() > 0, timeout=10000)
    hits = finder.model.items()
    assert hits
    assert {h.client_id for h in hits} == {client_id}  # other clients' notes never appear
    finder.note_activated.emit(client_id, hits[0].note_id)
    settle(qtbot, app)
    sessions = view.current_part()
    assert isinstance(sessions, SessionsTab)
    assert sessions.current_note() is not None
    assert sessions.current_note().id == hits[0].note_id


def test_the_idle_lock_follows_the_administrators_setting(start, seeded, db_key):
    from clinic_app.services import settings
    from clinic_app.storage import engine

    database = engine.open_database(seeded, db_key)
    with database.transaction() as session:
        admin = staff.sign_in(session, "admin", "admin password 1")
        settings.change_setting(session, admin, "idle_lock_minutes", "3")
    database.close()
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    assert app.idle.interval_ms == 3 * 60_000


def test_an_unexpected_error_is_logged_and_explained_calmly(tmp_path, monkeypatch):
    import sys

    from clinic_app.views.common import feedback

    shown = []
    monkeypatch.setattr(feedback.QMessageBox, "exec", lambda box: shown.append(box.text()))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    log_file = tmp_path / "logs" / "clinic-app.log"
    feedback.install_excepthook(log_file)
    try:
        raise KeyError("internal detail")
    except KeyError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    assert "KeyError" in log_file.read_text()
    assert len(shown) == 1
    assert "Something unexpected went wrong" in shown[0]
    assert "internal detail" not in shown[0] and "Traceback" not in shown[0]


def test_locking_dismisses_an_open_dialog_first(qtbot, start, seeded):
    from PySide6.QtWidgets import QDialog

    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    dialog = QDialog(app.window)
    dialog.setModal(True)
    dialog.open()
    assert QApplication.activeModalWidget() is dialog
    app.lock()
    qtbot.waitUntil(lambda: not app.locked and app.window is not None, timeout=5000)
    qtbot.addWidget(app.window)
    assert app.asked[-1] is not None  # the lock screen was shown
    assert QApplication.activeModalWidget() is None


def test_ctrl_l_locks_the_screen_while_a_dialog_is_open(qtbot, start, seeded):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QDialog, QLineEdit, QVBoxLayout

    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    dialog = QDialog(app.window)
    field = QLineEdit(dialog)
    QVBoxLayout(dialog).addWidget(field)
    dialog.setModal(True)
    dialog.open()
    qtbot.waitExposed(dialog)
    # The keys are pressed once the dialog has the keyboard, as a person's would be.
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is dialog.windowHandle(), timeout=5000)
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(app.asked) == 2, timeout=5000)
    assert app.asked[-1] is not None and app.asked[-1].username == "dr.jones"


def test_escape_never_ends_a_locked_session(qtbot, seeded):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    from clinic_app.services.common import StaffRef

    app = ClinicApp(seeded)
    try:
        me = app._sign_in("dr.jones", STAFF_PASSWORD)
        assert isinstance(me, StaffRef)
        locked = SignInDialog(app._sign_in, database=str(seeded), locked_user=me)
        qtbot.addWidget(locked)
        locked.show()
        qtbot.waitExposed(locked)
        heading = next(
            label
            for label in locked.findChildren(QLabel)
            if label.accessibleName() == "Sign-in instructions"
        )
        assert heading.height() >= heading.heightForWidth(heading.width())  # nothing clipped
        qtbot.keyClick(locked.password, Qt.Key.Key_Escape)
        locked.close()
        assert locked.isVisible() and locked.result() == 0  # still asking
        assert locked.quit_button is not None
        locked.quit_button.click()  # quitting is an explicit choice
        assert not locked.isVisible()
        at_start = SignInDialog(app._sign_in, database=str(seeded))
        qtbot.addWidget(at_start)
        assert at_start.quit_button is None
    finally:
        app.runner.stop()
        app.close_database()


def test_closing_the_window_quits_after_keeping_drafts(qtbot, start, seeded, monkeypatch):
    quits = []
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    sessions = _type_in_new_note(qtbot, app)
    app.window.close()
    assert quits == [True]
    settle(qtbot, app)  # the autosave asked for as the window closed completes
    drafts = outside(app).call(notes.drafts_to_recover)
    assert [d.fields.get("intervention_content") for d in drafts] == [CANARY]
    assert sessions.client_id == drafts[0].client_id


def test_a_user_with_an_administrator_set_password_must_choose_their_own(
    qtbot, seeded, monkeypatch
):
    from clinic_app.views.shell.password import ChangePasswordDialog

    def answered(dialog) -> int:
        """Wait, as the dialog's own loop would, until the runner has answered."""
        qtbot.waitUntil(lambda: dialog.result() != 0 or dialog.message.isVisible())
        return dialog.result()

    def choose(dialog):
        dialog.current.setText(STAFF_PASSWORD)
        dialog.new.setText("my own password 9")
        dialog.again.setText("my own password 9")
        dialog.ok_button.click()
        return answered(dialog)

    def sign_in(dialog):
        dialog.username.setText("dr.jones")
        dialog.password.setText(STAFF_PASSWORD)
        dialog.ok_button.click()
        return answered(dialog)

    monkeypatch.setattr(ChangePasswordDialog, "exec", choose)
    monkeypatch.setattr(SignInDialog, "exec", sign_in)
    app = ClinicApp(seeded)
    try:
        me = app._ask_sign_in(None)
        assert me is not None and me.username == "dr.jones"
        assert app._sign_in("dr.jones", "my own password 9").must_change_password is False
    finally:
        app.runner.stop()
        if app.database is not None:
            app.database.close()


def test_the_administration_menu_opens_each_window(qtbot, start, seeded, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from tests.conftest import ADMIN_PASSWORD

    opened: list[str] = []

    def record(dialog):
        opened.append(type(dialog).__name__)
        return 0

    monkeypatch.setattr(QDialog, "exec", record)
    app = start(seeded, [("admin", ADMIN_PASSWORD)])
    menus = {a.text(): a.menu() for a in app.window.menuBar().actions() if a.menu()}
    assert "&Administration" in menus and "Reg&isters" in menus
    for title in ("Reg&isters", "&Administration"):
        for entry in menus[title].actions():
            entry.trigger()
    # The audience policies open once the staff names are read (on the background runner).
    qtbot.waitUntil(lambda: len(opened) == 4)
    assert sorted(opened) == [
        "AudiencePolicyDialog",
        "ImportDefinitionDialog",
        "ServiceRegisterWindow",
        "ServicesDirectoryDialog",
    ]


def test_the_window_says_it_is_busy_while_work_takes_longer_than_a_moment(qtbot, start, seeded):
    import threading

    from clinic_app.app import BUSY_MESSAGE

    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    release = threading.Event()
    app.runner.run(lambda: release.wait(5), lambda _r: None)
    qtbot.waitUntil(lambda: app.window.statusBar().currentMessage() == BUSY_MESSAGE)
    assert QApplication.overrideCursor() is not None
    release.set()
    qtbot.waitUntil(lambda: app.runner.idle)
    assert app.window.statusBar().currentMessage() == ""
    assert QApplication.overrideCursor() is None


def test_registering_a_client_reads_the_sites_off_the_gui_thread(qtbot, start, seeded, monkeypatch):
    from clinic_app.views.record import client_form

    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    existing = outside(app).call(clients.caseload)[0].client
    offered: list[tuple[str, ...]] = []

    def register(parent, register_client, *, sites=(), restore=None):
        offered.append(tuple(sites))
        return existing  # as if the form had registered this client

    monkeypatch.setattr(client_form, "register_new_client", register)
    with no_stalls():
        app.window._on_new_client()
        settle(qtbot, app)
    assert offered and existing.site in offered[0]
    assert app.window.open_client_ids() == [existing.id]
