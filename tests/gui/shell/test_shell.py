"""Sign-in and lock dialog, idle watcher, record host, main window and the list tabs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from clinic_app.errors import AccountLocked, AuthError, EmergencyAccessRequired, NotFound
from clinic_app.models.enums import (
    ClientStatus,
    Role,
)
from clinic_app.services.clients import ClientSummary
from clinic_app.services.common import StaffRef
from clinic_app.views.common.record_part import RecordBanner, RecordPart
from clinic_app.views.record.window import ClientRecordView
from clinic_app.views.shell.idle import IdleWatcher, InputWatch, LockKey
from clinic_app.views.shell.main_window import MainWindow, MainWindowParts
from clinic_app.views.shell.signin import SignInDialog

ME = StaffRef(2, "dr.jones", "Dr Jones", Role.PSYCHOLOGIST)


def summary(client_id: int = 7, *, demo: bool = False) -> ClientSummary:
    return ClientSummary(
        client_id,
        f"MASIP-{client_id:04d}",
        "Alex",
        "Example",
        date(1985, 4, 12),
        "9434765919",
        "North",
        ClientStatus.ACTIVE,
        demo,
        1,
    )


# -- sign-in -----------------------------------------------------------------------------------


def test_sign_in_succeeds_and_emits_the_staff(qtbot):
    calls = []

    def sign_in(username, password):
        calls.append((username, password))
        return ME

    dialog = SignInDialog(sign_in, database="/data/clinic.db")
    qtbot.addWidget(dialog)
    dialog.username.setText("dr.jones")
    dialog.password.setText("secret password")
    with qtbot.waitSignal(dialog.signed_in) as signal:
        dialog.ok_button.click()
    assert signal.args == [ME]
    assert calls == [("dr.jones", "secret password")]
    assert dialog.password.text() == ""  # the password does not linger in the widget


@pytest.mark.parametrize(
    "error",
    [
        AuthError("The username or password is not right."),
        AccountLocked("Too many failed sign-in attempts: locked"),
    ],
)
def test_a_failed_sign_in_says_why_and_keeps_the_dialog(qtbot, error):
    def sign_in(username, password):
        raise error

    dialog = SignInDialog(sign_in, database="x")
    qtbot.addWidget(dialog)
    dialog.username.setText("dr.jones")
    dialog.password.setText("wrong password")
    dialog.ok_button.click()
    assert not dialog.message.isHidden()
    assert dialog.message.text() == error.message
    assert dialog.staff is None
    assert dialog.password.text() == ""


def test_empty_fields_are_explained_without_calling_the_service(qtbot):
    dialog = SignInDialog(lambda u, p: pytest.fail("should not sign in"), database="x")
    qtbot.addWidget(dialog)
    dialog.ok_button.click()
    assert "Enter your username and password" in dialog.message.text()


def test_the_lock_screen_names_who_was_signed_in(qtbot):
    dialog = SignInDialog(lambda u, p: ME, database="x", locked_user=ME)
    qtbot.addWidget(dialog)
    assert "locked" in dialog.windowTitle()
    assert dialog.username.text() == "dr.jones"
    assert all(w.accessibleName() for w in dialog.findChildren(QLabel))


# -- idle --------------------------------------------------------------------------------------


def test_idle_fires_after_the_period_and_input_postpones_it(qtbot):
    watcher = IdleWatcher(minutes=0.005)  # 300 ms
    app = QApplication.instance()
    app.installEventFilter(watcher)
    try:
        target = QWidget()
        qtbot.addWidget(target)
        fired = []
        watcher.idle.connect(lambda: fired.append(True))
        for _ in range(4):  # keep moving the mouse for ~400 ms: no lock
            qtbot.wait(100)
            move = QMouseEvent(
                QEvent.Type.MouseMove,
                QPointF(1, 1),
                QPointF(1, 1),
                Qt.MouseButton.NoButton,
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
            )
            QApplication.sendEvent(target, move)
        assert fired == []
        qtbot.waitUntil(lambda: fired == [True], timeout=2000)
    finally:
        app.removeEventFilter(watcher)


class CountingWatch(InputWatch):
    """The application's input watch, noting what each call was about."""

    def __init__(self, idle: IdleWatcher, lock_key: LockKey) -> None:
        super().__init__(idle, lock_key)
        self.watched: list[QObject] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.watched.append(watched)
        return super().eventFilter(watched, event)

    def saw_widgets(self) -> bool:
        return any(isinstance(w, QWidget) for w in self.watched)


def test_the_input_watch_looks_at_the_main_window_and_everywhere_only_while_a_dialog_is_up(
    qtbot,
):
    idle = IdleWatcher(minutes=0.005)  # 300 ms
    lock_key = LockKey()
    locked: list[bool] = []
    lock_key.pressed.connect(lambda: locked.append(True))
    watch = CountingWatch(idle, lock_key)
    main = QWidget()
    qtbot.addWidget(main)
    column = QVBoxLayout(main)
    main.show()
    main.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is main.windowHandle(), timeout=5000)
    watch.watch(main)
    watch.watched.clear()
    for n in range(40):  # widgets built, laid out and painted: none of it is input
        column.addWidget(QLabel(f"Line {n}"))
    main.repaint()
    QApplication.processEvents()
    assert not watch.saw_widgets()
    fired: list[bool] = []
    idle.idle.connect(lambda: fired.append(True))
    for step in range(4):  # the mouse moving over the main window for ~400 ms: not idle
        qtbot.wait(100)
        QTest.mouseMove(main.windowHandle(), QPoint(5 + step, 5))
    assert fired == [] and watch.watched
    # A dialog has the keyboard: its input is watched, and Ctrl+L there asks for the lock.
    dialog = QDialog(main)
    field = QLineEdit(dialog)
    QVBoxLayout(dialog).addWidget(field)
    dialog.setModal(True)
    dialog.open()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is dialog.windowHandle(), timeout=5000)
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert locked == [True]
    # The main window has the keyboard again: widgets' events are no longer looked at.
    dialog.reject()
    main.activateWindow()  # as the window manager does (the offscreen platform does not)
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is main.windowHandle(), timeout=5000)
    watch.watched.clear()
    column.addWidget(QLabel("One more"))
    main.repaint()
    QApplication.processEvents()
    assert not watch.saw_widgets()


# -- record host -------------------------------------------------------------------------------


class FakeTab(RecordPart):
    def __init__(self):
        super().__init__()
        self.refreshed = 0
        self.saved = 0

    def refresh(self):
        self.refreshed += 1

    def save_drafts_now(self):
        self.saved += 1


class FakeBanner(RecordBanner):
    def __init__(self):
        super().__init__()
        self.refreshed = 0

    def refresh(self):
        self.refreshed += 1


def test_a_change_in_one_tab_refreshes_the_others_and_the_banner(qtbot):
    tabs = [FakeTab(), FakeTab()]
    banner = FakeBanner()
    view = ClientRecordView(
        summary(demo=True), [("&Overview", tabs[0]), ("&Risk", tabs[1])], banner=banner
    )
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.record_changed) as signal:
        tabs[0].changed.emit()
    assert signal.args == [7]
    assert (tabs[0].refreshed, tabs[1].refreshed, banner.refreshed) == (0, 1, 1)
    assert "DEMO RECORD" in view.header.text()
    assert view.show_tab("Risk") is tabs[1]
    view.prepare_to_lock()
    assert [t.saved for t in tabs] == [1, 1]


# -- main window -------------------------------------------------------------------------------


class FakeCaseload(QWidget):
    client_activated = Signal(int)

    def __init__(self):
        super().__init__()
        self.refreshed = 0

    def refresh(self):
        self.refreshed += 1


class FakeSearch(QWidget):
    note_activated = Signal(int, int)


class SessionsWithSelect(FakeTab):
    def __init__(self):
        super().__init__()
        self.selected = []

    def select_item(self, item_id):
        self.selected.append(item_id)


def make_window(qtbot, *, assigned=(7,), grant=True, home=None, menus=()):
    made = []

    def find_client(text):
        if text.strip() != "MASIP-0008":
            raise NotFound("No client has that case reference or NHS number.")
        return 8

    def make_record(client_id):
        if client_id not in assigned and client_id not in granted:
            raise EmergencyAccessRequired("not assigned")
        sessions = SessionsWithSelect()
        view = ClientRecordView(
            summary(client_id), [("&Overview", FakeTab()), ("&Sessions", sessions)]
        )
        made.append(view)
        return view

    granted: set[int] = set()

    def ask(parent, client_id):
        if grant:
            granted.add(client_id)
        return grant

    parts = MainWindowParts(
        me=ME,
        database="/data/clinic.db",
        make_caseload=FakeCaseload,
        make_search=FakeSearch,
        make_record=make_record,
        ask_emergency_access=ask,
        new_client=lambda parent, then: then(9),
        find_client=find_client,
        make_home=home,
        menus=menus,
    )
    window = MainWindow(parts)
    qtbot.addWidget(window)
    return window, made


def test_activating_a_client_opens_one_tab_per_client(qtbot):
    window, made = make_window(qtbot)
    window.caseload.client_activated.emit(7)
    window.caseload.client_activated.emit(7)
    assert window.open_client_ids() == [7]
    assert window.current_client_id() == 7
    assert len(made) == 1


def test_unassigned_clients_need_emergency_access(qtbot):
    window, _ = make_window(qtbot, grant=False)
    assert window.open_client(8) is None
    assert window.open_client_ids() == []
    window, _ = make_window(qtbot, grant=True)
    assert window.open_client(8) is not None


def test_a_search_result_opens_the_note_in_its_record(qtbot):
    window, made = make_window(qtbot)
    window.search.note_activated.emit(7, 42)
    sessions = made[0].tab("Sessions")
    assert sessions.selected == [42]
    assert made[0].current_part() is sessions


def test_closing_a_record_keeps_its_drafts(qtbot):
    window, made = make_window(qtbot)
    window.open_client(7)
    window._on_close_current()
    assert window.open_client_ids() == []
    assert made[0].tab("Sessions").saved == 1


def test_new_client_refreshes_the_caseload_and_opens_the_record(qtbot):
    window, _ = make_window(qtbot, assigned=(7, 9))
    window._on_new_client()
    assert window.open_client_ids() == [9]
    assert window.caseload.refreshed == 1


def test_status_bar_names_the_user_and_database(qtbot):
    window, _ = make_window(qtbot)
    texts = [w.text() for w in window.statusBar().findChildren(QLabel)]
    assert "Signed in as Dr Jones (psychologist)" in texts
    assert "Database: /data/clinic.db" in texts


def test_ctrl_l_requests_a_lock(qtbot):
    window, _ = make_window(qtbot)
    lock = next(a for a in window.actions() if a.shortcut().toString() == "Ctrl+L")
    with qtbot.waitSignal(window.lock_requested):
        lock.trigger()


# -- list tabs ---------------------------------------------------------------------------------


def test_open_by_reference_finds_the_client_then_asks_for_emergency_access(qtbot, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from clinic_app.views.common import feedback

    window, _ = make_window(qtbot, grant=True)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("MASIP-0008", True))
    window._on_find_client()
    assert window.open_client_ids() == [8]

    shown = []
    monkeypatch.setattr(feedback, "show_error", lambda parent, error, **_: shown.append(error))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("NOPE", True))
    window._on_find_client()
    assert [e.message for e in shown] == ["No client has that case reference or NHS number."]


class FakeHome(FakeCaseload):
    open_requested = Signal(object)


@dataclass(frozen=True)
class Target:
    client_id: int
    tab: str
    item_id: int | None


def test_the_home_screen_comes_first_and_its_items_open_where_they_are_dealt_with(qtbot):
    window, made = make_window(qtbot, home=FakeHome)
    assert [window.tabs.tabText(i) for i in range(3)] == ["Home", "Caseload", "Search notes"]
    assert window.tabs.currentWidget() is window.home
    window.home.open_requested.emit(Target(7, "Sessions", 42))
    assert window.current_client_id() == 7
    assert made[0].current_part() is made[0].tab("Sessions")
    assert made[0].tab("Sessions").selected == [42]
    # F5 and any change to a record refresh the home screen as well as the caseload.
    before = window.home.refreshed
    window._on_refresh()
    assert window.home.refreshed == before + 1


def test_menus_from_the_app_run_with_the_window_as_parent(qtbot):
    ran = []
    window, _ = make_window(
        qtbot, menus=[("&Records", [("&Disclosure register…", "Ctrl+Shift+D", ran.append)])]
    )
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&View", "&Records"]
    [entry] = window.menuBar().actions()[2].menu().actions()
    assert entry.shortcut().toString() == "Ctrl+Shift+D"
    entry.trigger()
    assert ran == [window]
    assert window.home is None  # no home screen was given: the caseload comes first
    assert window.tabs.tabText(0) == "Caseload"


def test_administrators_get_no_note_search(qtbot):
    parts = MainWindowParts(
        me=StaffRef(1, "admin", "Admin", Role.ADMINISTRATOR),
        database="/data/clinic.db",
        make_caseload=FakeCaseload,
        make_search=None,
        make_record=lambda client_id: None,
        ask_emergency_access=lambda parent, client_id: False,
        new_client=lambda parent, then: None,
        find_client=lambda text: 1,
    )
    window = MainWindow(parts)
    qtbot.addWidget(window)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Caseload"]
    view_menu = window.menuBar().actions()[1].menu()
    assert "&Search notes" not in [a.text() for a in view_menu.actions()]
    window._on_show_search()  # the shortcut does nothing rather than fail


def test_a_renamed_client_s_record_tab_shows_the_new_name(qtbot):
    import dataclasses

    window, made = make_window(qtbot)
    window.open_client(7)
    view = made[0]
    view.client = dataclasses.replace(view.client, given_name="Chris")
    view.record_changed.emit(7)
    index = window.tabs.indexOf(view)
    assert window.tabs.tabText(index) == view.client.display_name
    assert "Chris" in window.tabs.tabText(index)


def test_a_site_out_of_reach_is_said_in_one_sentence_and_everything_reloads_when_back(qtbot):
    from clinic_app.views.common.live import UNREACHABLE_TEXT

    window, made = make_window(qtbot)
    window.open_client(7)
    window.show()
    [view] = made
    parts = view.parts()
    assert parts  # the first tab is built
    notice = window.connection_notice
    assert not notice.isVisible()
    window.show_reachable(False)
    assert notice.isVisible() and notice.text() == UNREACHABLE_TEXT
    saved = [part.saved for part in parts]
    refreshed = [part.refreshed for part in parts]
    window.show_reachable(True)
    assert not notice.isVisible()
    # What is being typed is kept again (autosaves that failed meanwhile), and every
    # screen reloads once: changes made while it was away were not heard.
    assert [part.saved for part in parts] == [n + 1 for n in saved]
    assert [part.refreshed for part in parts] == [n + 1 for n in refreshed]
    assert window.caseload.refreshed >= 1


def test_a_change_elsewhere_reloads_the_open_record_of_that_client_only(qtbot):
    window, made = make_window(qtbot, assigned=(7, 8))
    window.open_client(7)
    window.open_client(8)
    seven, eight = made
    assert seven.parts() and eight.parts()
    before = ([p.refreshed for p in seven.parts()], [p.refreshed for p in eight.parts()])
    window.show_changes([8])
    assert [p.refreshed for p in seven.parts()] == before[0]
    assert [p.refreshed for p in eight.parts()] == [n + 1 for n in before[1]]


class HeldRunner:
    """A runner that keeps each unit of work until the test lets them all run, in order."""

    idle = True
    busy = False

    def __init__(self):
        self.held = []

    def run(self, work, done, *, key=None, parent=None, failed=None):
        self.held.append((work, done))

    def cancel(self, key):
        pass

    def let_go(self):
        while self.held:
            work, done = self.held.pop(0)
            done(work())


def test_a_change_heard_while_a_record_is_opening_reloads_it_once_open(qtbot):
    """The opening may have read the record before the change: it must not be missed."""
    from clinic_app.views.common.runner import use_runner

    tab = FakeTab()
    held = HeldRunner()
    previous = use_runner(held)
    try:
        window, _ = make_window(qtbot)
        opening = ClientRecordView.opening(7, lambda: summary(7), [("&Overview", tab)])
        window.parts = replace(window.parts, make_record=lambda client_id: opening)
        window.open_client(7)
        assert not opening.is_open
        window.show_changes([7])
        assert tab.refreshed == 0  # nothing to reload yet
        held.let_go()
        assert opening.is_open
        assert tab.refreshed == 1
        window.show_changes([8])  # another client's change: nothing
        assert tab.refreshed == 1
    finally:
        use_runner(previous)
