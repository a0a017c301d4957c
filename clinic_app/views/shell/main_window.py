"""The main window: the caseload, note search and open client records as tabs."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, EmergencyAccessRequired
from clinic_app.services.common import StaffRef
from clinic_app.views.caseload.view import CaseloadView
from clinic_app.views.common import feedback
from clinic_app.views.common.home_screen import HomeScreen
from clinic_app.views.common.live import UNREACHABLE_TEXT, LiveRefresh
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import fit_to_screen
from clinic_app.views.record.window import OPENING_TEXT, ClientRecordView
from clinic_app.views.search.panel import NoteSearchPanel


@dataclass(frozen=True)
class MainWindowParts:
    """What the main window is built from (the app supplies these; tests supply fakes).

    ``make_caseload`` builds the caseload (its ``client_activated(int)`` opens a record);
    ``make_search`` the note search (its ``note_activated(int, int)`` opens a note);
    ``make_record`` builds a client's record without reading it (the view reads the client
    on the runner when the window calls its ``start_opening``; the reading may fail with
    ``EmergencyAccessRequired``, and so may ``make_record`` itself);
    ``ask_emergency_access`` asks for a reason and returns True once access is granted;
    ``new_client`` runs the registration dialog and hands the new client's id on;
    ``find_client`` turns an exact case reference or NHS number into a client id.
    ``make_home`` (optional) builds the home screen shown first; its
    ``open_requested(object)`` carries something with ``client_id``, ``tab`` and
    ``item_id``, and the record part named by ``tab`` is asked to select the item.
    ``menus`` adds menus after View: each a title and its entries, each entry a title, a
    shortcut (or "") and what to run, given the window as parent.
    """

    me: StaffRef
    database: str
    make_caseload: Callable[[], CaseloadView]
    make_search: Callable[[], NoteSearchPanel] | None
    make_record: Callable[[int], ClientRecordView]
    ask_emergency_access: Callable[[QWidget, int], bool]
    new_client: Callable[[QWidget, Callable[[int], object]], None]
    find_client: Callable[[str], int]
    make_home: Callable[[], HomeScreen] | None = None
    menus: Sequence[MenuEntries] = ()


DEFAULT_SIZE = QSize(1280, 800)
"""The main window's size where the screen has room (smaller on a 1366x768 laptop)."""

MenuEntries = tuple[str, Sequence[tuple[str, str, Callable[[QWidget], object]]]]


class MainWindow(QMainWindow):
    """Caseload and search tabs, then one closable tab per open client record.

    Signals:
        lock_requested(): the user asked to lock the screen (Ctrl+L).
        sign_out_requested(): the user asked to sign out.
        closed_by_user(): the user closed the window (to quit), drafts already autosaved.
    """

    lock_requested = Signal()
    sign_out_requested = Signal()
    closed_by_user = Signal()

    def __init__(self, parts: MainWindowParts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parts = parts
        self._closing_for_lock = False
        self.setWindowTitle(f"clinic-app: {parts.me.display_name}")
        self.setAccessibleName("clinic-app main window")
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Caseload, search and open records")
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self._on_close_tab)
        # One plain sentence above the tabs while a site's server cannot be reached.
        self.connection_notice = QLabel(UNREACHABLE_TEXT)
        self.connection_notice.setObjectName("connectionNotice")
        self.connection_notice.setAccessibleName("Team database connection")
        self.connection_notice.setWordWrap(True)
        self.connection_notice.setStyleSheet(
            "QLabel#connectionNotice { background: #fff4ce; color: #3b2f00; padding: 6px; "
            "border-bottom: 1px solid #c8a600; }"
        )
        self.connection_notice.hide()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.connection_notice)
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)

        self.home: HomeScreen | None = None
        if parts.make_home is not None:
            self.home = parts.make_home()
            self.home.open_requested.connect(self._on_open_target)
            self.tabs.addTab(self.home, "Home")
            self.tabs.setTabToolTip(0, "Home: what needs doing (Ctrl+0)")
        self.caseload = parts.make_caseload()
        self.caseload.client_activated.connect(self.open_client)
        index = self.tabs.addTab(self.caseload, "Caseload")
        self.tabs.setTabToolTip(index, "Caseload (Ctrl+1)")
        # Administrators have no note search: they do not read clinical records.
        self.search: NoteSearchPanel | None = None
        if parts.make_search is not None:
            self.search = parts.make_search()
            self.search.note_activated.connect(self.open_note)
            index = self.tabs.addTab(self.search, "Search notes")
            self.tabs.setTabToolTip(index, "Search notes (Ctrl+Shift+F)")
        self._fixed_tabs = self.tabs.count()
        for fixed in range(self._fixed_tabs):
            self.tabs.tabBar().setTabButton(
                fixed, self.tabs.tabBar().ButtonPosition.RightSide, None
            )

        self._build_menus()
        who = QLabel(f"Signed in as {parts.me.display_name} ({parts.me.role.value})")
        who.setAccessibleName("Signed-in user")
        where = QLabel(f"Database: {parts.database}")
        where.setAccessibleName("Database in use")
        self.statusBar().addWidget(who)
        self.statusBar().addPermanentWidget(where)
        fit_to_screen(self, DEFAULT_SIZE)

    # -- menus -------------------------------------------------------------------------------

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey, slot: Callable[[], object]
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self._action("&New client…", "Ctrl+Shift+N", self._on_new_client))
        file_menu.addAction(
            self._action("&Open client by reference…", "Ctrl+O", self._on_find_client)
        )
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Lock screen", "Ctrl+L", self.lock_requested.emit))
        file_menu.addAction(self._action("Sign &out", "Ctrl+Shift+Q", self.sign_out_requested.emit))
        file_menu.addAction(self._action("&Quit", QKeySequence.StandardKey.Quit, self.close))
        view = bar.addMenu("&View")
        if self.home is not None:
            view.addAction(self._action("&Home", "Ctrl+0", self._on_show_home))
        view.addAction(
            self._action("&Caseload", "Ctrl+1", lambda: self.tabs.setCurrentWidget(self.caseload))
        )
        if self.search is not None:
            view.addAction(self._action("&Search notes", "Ctrl+Shift+F", self._on_show_search))
        view.addAction(self._action("Close &record", "Ctrl+W", self._on_close_current))
        view.addAction(self._action("&Refresh", "F5", self._on_refresh))
        for title, entries in self.parts.menus:
            menu = bar.addMenu(title)
            for text, shortcut, run in entries:
                menu.addAction(self._action(text, shortcut, functools.partial(run, self)))

    # -- records -----------------------------------------------------------------------------

    def record_views(self) -> list[ClientRecordView]:
        return [
            w
            for i in range(self.tabs.count())
            if isinstance(w := self.tabs.widget(i), ClientRecordView)
        ]

    def open_client_ids(self) -> list[int]:
        return [view.client_id for view in self.record_views()]

    def current_client_id(self) -> int | None:
        widget = self.tabs.currentWidget()
        return widget.client_id if isinstance(widget, ClientRecordView) else None

    def open_client(
        self, client_id: int, then: Callable[[ClientRecordView], object] | None = None
    ) -> ClientRecordView | None:
        """Show the client's record, opening it if needed (asking for emergency access).

        The record's tab appears at once, "Opening the record…", and the client is read on
        the background runner. ``then`` runs with the view once it is open (at once if it
        already was); it never runs if the record cannot be opened. Returns the view,
        which may still be opening, or None when it was refused at once.
        """
        for view in self.record_views():
            if view.client_id == client_id:
                self.tabs.setCurrentWidget(view)
                if then is not None:
                    view.when_open(then)
                return view
        with feedback.showing_errors(self) as attempt:
            try:
                view = self.parts.make_record(client_id)
            except EmergencyAccessRequired:
                if not self.parts.ask_emergency_access(self, client_id):
                    return None
                view = self.parts.make_record(client_id)
        if attempt.failed:
            return None
        view.record_changed.connect(self._on_record_changed)
        view.opened.connect(lambda: self._on_record_opened(view))
        view.open_failed.connect(lambda error: self._on_open_failed(view, error, then))
        if then is not None:
            view.when_open(then)
        index = self.tabs.addTab(view, OPENING_TEXT)
        self.tabs.setCurrentIndex(index)
        if view.is_open:
            self._on_record_opened(view)
        else:
            view.start_opening()
        # The opening may already have been refused (a runner that runs work at once).
        return view if self.tabs.indexOf(view) >= 0 else None

    def open_at(self, client_id: int, tab: str, item_id: int | None = None) -> None:
        """Open a client's record at one of its parts, with an item there selected."""

        def show(view: ClientRecordView) -> None:
            part = view.show_tab(tab)
            if part is not None and item_id is not None:
                part.select_item(item_id)

        self.open_client(client_id, show)

    def open_note(self, client_id: int, note_id: int) -> None:
        self.open_at(client_id, "Sessions", note_id)

    def prepare_to_lock(self) -> None:
        for view in self.record_views():
            view.prepare_to_lock()

    def close_for_lock(self) -> None:
        """Close and empty every text widget at once: the screen is locking.

        The window itself is deleted later by the event loop; until then no widget in it
        may still hold clinical text, so each is cleared now (with its signals blocked,
        so clearing an editor does not autosave an empty draft over the real one).
        """
        self._closing_for_lock = True
        for widget in self.findChildren(QWidget):
            if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit | QLabel):
                blocked = widget.blockSignals(True)
                widget.clear()
                widget.blockSignals(blocked)
        self.close()

    # -- slots -------------------------------------------------------------------------------

    def _on_close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, ClientRecordView):
            widget.prepare_to_lock()  # keep any unsaved text as an autosaved draft
            self.tabs.removeTab(index)
            widget.deleteLater()

    def _on_close_current(self) -> None:
        index = self.tabs.currentIndex()
        if isinstance(self.tabs.widget(index), ClientRecordView):
            self._on_close_tab(index)

    def _on_show_search(self) -> None:
        if self.search is None:
            return
        self.tabs.setCurrentWidget(self.search)
        self.search.setFocus()

    def _on_refresh(self) -> None:
        if self.home is not None:
            self.home.refresh()
        self.caseload.refresh()

    def _on_show_home(self) -> None:
        if self.home is not None:
            self.tabs.setCurrentWidget(self.home)

    def _on_open_target(self, target: object) -> None:
        client_id = getattr(target, "client_id", None)
        tab = getattr(target, "tab", None)
        if isinstance(client_id, int) and isinstance(tab, str):
            item_id = getattr(target, "item_id", None)
            self.open_at(client_id, tab, item_id if isinstance(item_id, int) else None)

    def _on_new_client(self) -> None:
        self.parts.new_client(self, self._client_registered)

    def _client_registered(self, client_id: int) -> None:
        self._on_refresh()
        self.open_client(client_id)

    def _on_find_client(self) -> None:
        text, ok = QInputDialog.getText(
            self,
            "Open a client",
            "Case reference or NHS number (exactly). Clients not assigned to you need "
            "emergency access, which is recorded:",
        )
        if not ok or not text.strip():
            return
        # Looked up on the background runner (never on the GUI thread); a reference not
        # found is told in a message, as before.
        runner().run(functools.partial(self.parts.find_client, text), self._open_found, parent=self)

    def _open_found(self, client_id: int) -> None:
        # The keyboard goes to the record's parts (arrows move between them; Alt+1...).
        self.open_client(client_id, lambda view: view.tabs.setFocus())

    def _on_record_opened(self, view: ClientRecordView) -> None:
        self._name_tab(view)

    def _name_tab(self, view: ClientRecordView) -> None:
        index = self.tabs.indexOf(view)
        if index < 0 or view.client is None:
            return
        self.tabs.setTabText(index, view.client.display_name)
        self.tabs.setTabToolTip(index, f"{view.client.display_name} ({view.client.local_ref})")

    def _on_open_failed(
        self,
        view: ClientRecordView,
        error: object,
        then: Callable[[ClientRecordView], object] | None,
    ) -> None:
        """The record could not be opened: close its tab; ask for emergency access if
        that is what it needs, then open it again."""
        index = self.tabs.indexOf(view)
        if index >= 0:
            self.tabs.removeTab(index)
        view.deleteLater()
        if isinstance(error, EmergencyAccessRequired):
            if self.parts.ask_emergency_access(self, view.client_id):
                self.open_client(view.client_id, then)
        elif isinstance(error, ClinicError):
            feedback.show_error(self, error)

    def _on_record_changed(self, client_id: int) -> None:
        for view in self.record_views():
            if view.client_id == client_id:  # the name may have changed
                self._name_tab(view)
        self._on_refresh()

    # -- a site's live refresh -----------------------------------------------------------

    def follow_site(self, live: LiveRefresh) -> None:
        """Show a site's changes as they are committed elsewhere, and whether it answers."""
        live.clients_changed.connect(self.show_changes)
        live.reachable_changed.connect(self.show_reachable)

    def show_changes(self, client_ids: Sequence[int]) -> None:
        """Reload what shows these clients (each one the signed-in person can see)."""
        wanted = set(client_ids)
        for view in self.record_views():
            if view.client_id in wanted:
                # A record still opening may have read before the change: it reloads once
                # it is open (at once if it already is).
                view.when_open(lambda opened: opened.refresh_all())
        if self.home is not None and self.home.isVisible():
            self.home.refresh_changed()  # hidden, it reloads when next shown

    def show_reachable(self, reachable: bool) -> None:
        """Say so while the server cannot be reached; when it is back, keep what is being
        typed (autosaves that failed meanwhile) and reload every screen once."""
        self.connection_notice.setVisible(not reachable)
        if not reachable:
            return
        for view in self.record_views():
            view.prepare_to_lock()  # autosave whatever is being typed, now
            if view.is_open:
                view.refresh_all()
        self._on_refresh()

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if not self._closing_for_lock:
            self.prepare_to_lock()  # keep unsaved text as autosaved drafts
            self.closed_by_user.emit()
