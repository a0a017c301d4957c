"""Composition root of the desktop application.

Starts the first-run setup when there is no database; otherwise shows the sign-in window
at once and opens the encrypted database (key from the credential store, or the recovery
key) while the user types. After sign-in it builds the main window from the views, each
handed callables bound to the signed-in user. The database layer and the record screens
are imported only when needed, so the sign-in window appears quickly.

Locking destroys the main window and every widget holding clinical data; whatever was
being typed is autosaved (encrypted) first. Unlocking as the same user rebuilds the
window, reopens the same records and puts the autosaved text back in its editors;
another user who signs in gets a fresh window of their own.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, Qt, QThread, QTimer
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from clinic_app import config
from clinic_app.config import IDLE_LOCK_MINUTES
from clinic_app.errors import AccountLocked, AuthError, ClinicError, KeyNotFound
from clinic_app.views.common import live as live_refresh
from clinic_app.views.common.feedback import install_excepthook, show_error
from clinic_app.views.common.palette import apply_accessible_palette
from clinic_app.views.common.runner import Runner, use_runner
from clinic_app.views.documents.copies import remove_temporary_copies
from clinic_app.views.shell import preload
from clinic_app.views.shell.idle import IdleWatcher, InputWatch, LockKey
from clinic_app.views.shell.signin import SignInDialog

if TYPE_CHECKING:
    from clinic_app.services.common import StaffRef
    from clinic_app.services.form_drafts import OpenForm, SavedForm
    from clinic_app.services.notes import DraftRow
    from clinic_app.services.workspace import Workspace
    from clinic_app.storage.engine import Database
    from clinic_app.storage.local_drafts import LocalDraftStore
    from clinic_app.storage.site import SiteSettings
    from clinic_app.views.admin.view import AdministrationView
    from clinic_app.views.common.live import LiveRefresh
    from clinic_app.views.home.dashboard import DashboardView
    from clinic_app.views.record.window import ClientRecordView
    from clinic_app.views.shell.kept_here import KeptHere
    from clinic_app.views.shell.main_window import MainWindow

log = logging.getLogger(__name__)

BUSY_MESSAGE = "Working…"
# How long after the first record has opened its other tabs' screens are imported.
OTHER_SCREENS_AFTER_MS = 300


def clear_clipboard() -> None:
    """Empty the clipboard (and the X11 selection and macOS find buffer where there are
    such), so that text copied from a record is not left there for whoever comes next.

    Called when the screen locks, when the user signs out and when the app quits. A
    clipboard history kept by the operating system (Windows' Win+V) is out of its reach.
    """
    clipboard = QGuiApplication.clipboard()
    if clipboard is None:
        return
    clipboard.clear(QClipboard.Mode.Clipboard)
    if clipboard.supportsSelection():
        clipboard.clear(QClipboard.Mode.Selection)
    if clipboard.supportsFindBuffer():
        clipboard.clear(QClipboard.Mode.FindBuffer)


@dataclass
class _Resume:
    """What to put back when the same user unlocks: open records and the current one."""

    me: StaffRef
    open_clients: list[int] = field(default_factory=list)
    current: int | None = None


class ClinicApp(QObject):
    """Owns the database, the signed-in workspace, the main window and the screen lock."""

    def __init__(
        self,
        database_path: Path,
        *,
        key_file: Path | None = None,
        site: SiteSettings | None = None,
    ) -> None:
        super().__init__()
        self.database_path = database_path
        self.key_file = key_file
        # A site (``clinic-app site connect``): each person signs in as their own database
        # role, so the connection opens with their password, at sign-in.
        self.site = site
        self.database: Database | None = None
        self.workspace: Workspace | None = None
        self.window: MainWindow | None = None
        self.live: LiveRefresh | None = None  # a site's live refresh, while signed in
        # At a site: what is typed while the server is away, kept on this computer.
        # At a site: what is typed while the server is away, kept on this computer.
        self.kept_here: KeptHere | None = None
        # The one runner of units of work: every view hands it what would wait on the
        # database, so that the window never freezes.
        self.runner = Runner(self)
        self.runner.busy_changed.connect(self._show_busy)
        use_runner(self.runner)
        self.idle = IdleWatcher(IDLE_LOCK_MINUTES.default, self)
        self.idle.idle.connect(self.lock)
        self.idle.pause()  # counting starts when a main window is shown
        self.lock_key = LockKey(self)
        self.lock_key.pressed.connect(self.lock)
        self._input_watch = InputWatch(self.idle, self.lock_key, self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_accessible_palette(app)  # text readable on its background (WCAG AA)
        self.locked = False
        self._other_screens_asked = False  # the record's other tabs (see _after_first_record)
        self._forms_to_reopen: list[OpenForm] = []
        self._forms_not_kept = 0  # forms whose text could not be kept at the last lock

    def _show_busy(self, busy: bool) -> None:
        """Work has been waiting longer than a moment: a busy cursor and a plain line."""
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
            if self.window is not None:
                self.window.statusBar().showMessage(BUSY_MESSAGE)
        else:
            while QApplication.overrideCursor() is not None:
                QApplication.restoreOverrideCursor()
            if self.window is not None:
                self.window.statusBar().clearMessage()

    # -- start -------------------------------------------------------------------------------

    def start(self) -> bool:
        """Set up (first run), then sign in; False if the user gave up."""
        if self.site is None and not self.database_path.exists() and not self._run_setup():
            return False
        me = self._ask_sign_in(None)
        if me is None:
            return False
        self._show_main(me)
        self._offer_draft_recovery()
        self._offer_open_forms()
        return True

    def _run_setup(self) -> bool:
        from clinic_app.views.shell.setup_pages import SetupActions  # noqa: PLC0415
        from clinic_app.views.shell.setup_wizard import SetupWizard  # noqa: PLC0415

        wizard = SetupWizard(SetupActions.for_database(self.database_path, self.key_file))
        if wizard.exec() != QDialog.DialogCode.Accepted:
            return False
        if wizard.site_result is not None:
            self.site = wizard.site_result  # the team's site: sign in to it now
            return True
        return wizard.setup_result is not None

    def _open_with_stored_key(self) -> None:
        """Open the database with the key from the credential store (on the runner's thread).

        Raises ``KeyNotFound`` when this computer does not hold the key: the window then
        asks for the recovery key.
        """
        from clinic_app.storage import engine  # noqa: PLC0415 - loaded after the window shows
        from clinic_app.storage.keys import default_key_store  # noqa: PLC0415

        if self.database is not None:
            return
        store = default_key_store(self.key_file)
        key = store.get(self.database_path)
        # With the key store, so the integrity anchor kept beside the key moves on with
        # every commit (an opening without it would leave the anchor's digest stale).
        self.database = engine.open_database(self.database_path, key, key_store=store)
        preload.load_what_sign_in_needs(self.database)

    def _open_with_recovery_key(self, recovered: bytes) -> None:
        """Open the database with a recovery key the user typed, and keep that key."""
        from clinic_app.storage import engine  # noqa: PLC0415
        from clinic_app.storage.keys import default_key_store  # noqa: PLC0415

        store = default_key_store(self.key_file)
        database = engine.open_database(self.database_path, recovered, key_store=store)
        store.put(self.database_path, recovered)
        self.database = database
        preload.load_what_sign_in_needs(database)

    def close_database(self) -> None:
        """Close the database cleanly (at quit); safe to call more than once."""
        self._stop_live()
        self.runner.stop()  # work already asked for (a save) finishes first
        database, self.database = self.database, None
        if database is not None:
            database.close()

    def _ask_recovery_key(self, why: str) -> bytes | None:
        from clinic_app.storage.keys import key_from_recovery  # noqa: PLC0415

        while True:
            text, ok = QInputDialog.getText(
                None,
                "clinic-app: recovery key",
                f"{why}\n\nEnter the recovery key to open the database on this computer:",
                QLineEdit.EchoMode.Normal,
            )
            if not ok:
                return None
            try:
                return key_from_recovery(text)
            except ClinicError as error:
                show_error(None, error)

    def _prepare(self, dialog: SignInDialog) -> None:
        """Open the database on the runner's thread while the sign-in window waits.

        The window is painted first: the database layer is imported and the file opened
        off the GUI thread. A sign-in asked for meanwhile queues behind the opening.
        """
        if self.site is not None:
            self.runner.run(preload.load_what_site_sign_in_needs, lambda _none: None, parent=dialog)
            return
        if self.database is not None:
            return
        self.runner.run(
            self._open_with_stored_key,
            lambda _none: self._database_opened(),
            failed=lambda error: self._database_not_opened(dialog, error),
            parent=dialog,
        )

    def _database_opened(self) -> None:
        """The database is open (the sign-in window may still be waiting for the user)."""

    def _database_not_opened(self, dialog: SignInDialog, error: ClinicError) -> None:
        if not isinstance(error, KeyNotFound):
            dialog.show_unavailable(error.message)
            return
        recovered = self._ask_recovery_key(error.message)
        if recovered is None:
            dialog.show_unavailable(error.message)
            return
        self.runner.run(
            partial(self._open_with_recovery_key, recovered),
            lambda _none: self._database_opened(),
            failed=lambda again: self._database_not_opened(dialog, again),
            parent=dialog,
        )

    # -- sign-in and lock ------------------------------------------------------------------------

    def _sign_in(self, username: str, password: str) -> StaffRef:
        from clinic_app.services import staff  # noqa: PLC0415

        if self.site is not None:
            return self._sign_in_to_site(self.site, username, password)
        if self.database is None:
            self._open_with_stored_key()
        assert self.database is not None
        with self.database.writing() as session:
            try:
                me = staff.sign_in(session, username, password)
            except AuthError:
                session.commit()  # the failed attempt counts towards lockout
                raise
            session.commit()
        return me

    def _sign_in_to_site(self, site: SiteSettings, username: str, password: str) -> StaffRef:
        """Connect to the site as this person (on the runner's thread): the server checks
        the password, through its sign-in gate that counts failures and locks, and says
        who is signed in. The connection of whoever was signed in before is closed."""
        from clinic_app.services import site as site_service  # noqa: PLC0415
        from clinic_app.services.staff import normalise_username  # noqa: PLC0415
        from clinic_app.storage.site import open_site  # noqa: PLC0415

        database = open_site(site, normalise_username(username), password)
        try:
            with database.transaction() as session:
                me = site_service.signed_in_staff(session)
                site_service.record_sign_in(session, me)
        except BaseException:
            database.close()
            raise
        # The same units of work as a workstation's database, on the person's connection.
        previous, self.database = self.database, cast("Database", database)
        if previous is not None:
            previous.close()
        return me

    def where(self) -> str:
        """What the windows say the record is: the file, or the site and how it is reached."""
        if self.site is not None:
            site = self.site
            return (
                f"the site '{site.database}' on {site.host}:{site.port} "
                f"(TLS {site.sslmode}; each person signs in as themselves)"
            )
        return str(self.database_path)

    def _ask_sign_in(self, locked_user: StaffRef | None) -> StaffRef | None:
        dialog = SignInDialog(self._sign_in, database=self.where(), locked_user=locked_user)
        QTimer.singleShot(0, lambda: self._prepare(dialog))
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.staff is None:
            return None
        me = dialog.staff
        if me.must_change_password and not self._ask_new_password(me):
            return None
        return me

    def _ask_new_password(self, me: StaffRef) -> bool:
        """A password an administrator set must be replaced before anything else."""
        from clinic_app.services import staff  # noqa: PLC0415
        from clinic_app.views.shell.password import ChangePasswordDialog  # noqa: PLC0415

        assert self.database is not None
        database = self.database
        site = self.site

        def change(current: str, new: str) -> None:
            if site is not None:
                self._change_site_password(site, me, current, new)
                return
            with database.transaction() as session:
                staff.change_password(session, me, current, new)

        dialog = ChangePasswordDialog(change, required=True)
        return dialog.exec() == QDialog.DialogCode.Accepted

    def _change_site_password(
        self, site: SiteSettings, me: StaffRef, current: str, new: str
    ) -> None:
        """At a site the login role's password changes (checked by the server); the
        connection then opens again with the new one, for the pool's next connections."""
        from clinic_app.services import site as site_service  # noqa: PLC0415
        from clinic_app.storage.site import open_site  # noqa: PLC0415

        assert self.database is not None
        with self.database.transaction() as session:
            site_service.change_own_password(session, me, site, current, new)
        reopened = open_site(site, me.username, new)
        previous, self.database = self.database, cast("Database", reopened)
        previous.close()

    def lock(self) -> None:
        """Lock the screen: autosave, destroy every clinical widget, ask for a sign-in."""
        if self.locked or self.window is None or self.workspace is None:
            return
        if self._client_is_answering():
            # The client's questionnaire covers the screen and only a member of staff's
            # password ends it: it is a lock already, and locking would lose the answers.
            self.idle.resume()
            return
        self._keep_open_forms()
        if self._close_modal_dialogs():
            # A dialog's own event loop is running: lock once it has unwound, or the
            # window would be destroyed underneath the code waiting for that dialog.
            QTimer.singleShot(0, self.lock)
            return
        self.locked = True
        self.idle.pause()
        clear_clipboard()
        remove_temporary_copies()  # copies a viewer no longer holds open
        window = self.window
        window.prepare_to_lock()
        resume = _Resume(self.workspace.me, window.open_client_ids(), window.current_client_id())
        self._close_window()
        # Ask only once control is back in the event loop, which first deletes the window:
        # a dialog's own loop would keep it (and what its widgets held) alive meanwhile.
        QTimer.singleShot(0, lambda: self._unlock(resume))

    def _client_is_answering(self) -> bool:
        from clinic_app.views.measures.self_completion import SelfCompletionWindow  # noqa: PLC0415

        return self.window is not None and any(
            window.isVisible() for window in self.window.findChildren(SelfCompletionWindow)
        )

    def _keep_open_forms(self) -> None:
        """Keep every open form's text (encrypted, in the database) before it is closed.

        Forms still waiting to be reopened after the last unlock are kept too. If they
        cannot be kept the screen locks all the same: the lock matters more.
        """
        from clinic_app.services import form_drafts  # noqa: PLC0415
        from clinic_app.views.common.form_drafts import open_forms  # noqa: PLC0415

        if self.window is None or self.workspace is None:
            return
        found = open_forms([self.window])  # every form is opened from within the window
        forms = [form for _dialog, form in found] + self._forms_to_reopen
        self._forms_to_reopen = []
        if forms:
            # Kept on the runner's thread; the screen locks meanwhile. The runner works in
            # order, so whoever signs in next finds the forms kept before anything else.
            me = self.workspace.me
            self.runner.run(
                partial(self.workspace.call, form_drafts.keep_open_forms, forms),
                lambda _none: self._forms_kept_at_the_site(),
                failed=lambda error: self._forms_could_not_be_kept(error, me, forms),
            )
        for dialog, _form in found:
            # Closed now, so that a second pass of the lock cannot keep them twice.
            if isinstance(dialog, QDialog):
                dialog.reject()
            dialog.hide()

    def _forms_kept_at_the_site(self) -> None:
        """The site has the forms: what was kept of them here meanwhile (the site seemed
        away a moment ago) must not come back a second time."""
        if self.kept_here is not None:
            self.kept_here.forget_open_forms()

    def _forms_could_not_be_kept(
        self, error: ClinicError, me: StaffRef, forms: list[OpenForm]
    ) -> None:
        from clinic_app.storage.site import SiteUnreachable  # noqa: PLC0415

        kept_here = self.kept_here
        if isinstance(error, SiteUnreachable) and kept_here is not None:
            # The site is away: kept on this computer, with any others waiting, and handed
            # to the site when this person next signs in (which needs the site).
            kept_here.keep_closed_forms(
                forms, lambda again: self._forms_could_not_be_kept(again, me, forms)
            )
            return
        log.warning("Open forms could not be kept at lock: %s", type(error).__name__)
        self._forms_not_kept += len(forms)

    def _reopen_forms(self, forms: list[OpenForm]) -> None:
        """Open the forms kept at lock again, one at a time (each may run its own loop)."""
        self._forms_to_reopen = list(forms)
        QTimer.singleShot(0, self._reopen_next_form)

    def _reopen_next_form(self) -> None:
        if self.locked or self.window is None or self.workspace is None:
            return  # the lock keeps what is still waiting
        if not self._forms_to_reopen:
            return
        form = self._forms_to_reopen.pop(0)
        window = self.window
        try:
            if form.client_id is None:
                if form.form == "register":
                    self._new_client(
                        self.workspace,
                        window,
                        window.open_client,
                        restore=form.state,
                    )
            else:

                def reopen(view: ClientRecordView) -> None:
                    if not view.reopen_form(form.tab, form.form, form.params, form.state):
                        show_error(
                            window,
                            ClinicError(
                                "A form that was open when the screen locked could not be "
                                "opened again: what it was about has changed since."
                            ),
                        )
                    QTimer.singleShot(0, self._reopen_next_form)

                # The record opens on the runner: the next form is taken up once this one
                # is open again (or once the record could not be opened).
                view = window.open_client(form.client_id, reopen)
                if view is not None:
                    if not view.is_open:
                        view.open_failed.connect(
                            lambda _error: QTimer.singleShot(0, self._reopen_next_form)
                        )
                    return
        except ClinicError as error:
            show_error(window, error)
        QTimer.singleShot(0, self._reopen_next_form)

    def _close_modal_dialogs(self) -> bool:
        """Dismiss open dialogs (what they held is not kept); True while any event loop of
        theirs is still running."""
        modal = QApplication.activeModalWidget()
        while modal is not None:
            if isinstance(modal, QDialog):
                modal.reject()
            else:
                modal.close()
            if QApplication.activeModalWidget() is modal:
                break
            modal = QApplication.activeModalWidget()
        return QThread.currentThread().loopLevel() > 1

    def _unlock(self, resume: _Resume | None) -> None:
        me = self._ask_sign_in(resume.me if resume else None)
        self.locked = False
        if me is None:
            QApplication.quit()
            return
        try:
            if resume is not None and me.id == resume.me.id:
                self._show_main(me, resume)
                self._take_back_open_forms()
            else:
                self._show_main(me)
                self._offer_draft_recovery()
                self._offer_open_forms()
        except ClinicError as error:
            # Never leave a process with no window: say what happened and stop.
            show_error(None, error)
            QApplication.quit()

    def sign_out(self) -> None:
        if self.locked or self.window is None:
            return
        self._keep_open_forms()
        self.locked = True
        self.idle.pause()
        clear_clipboard()
        remove_temporary_copies()  # the next person to sign in finds none of them
        self.window.prepare_to_lock()
        self._close_window()
        QTimer.singleShot(0, lambda: self._unlock(None))

    def _quit(self) -> None:
        """The user closed the window: nothing of the record stays on the clipboard, and
        while the site is away what the open forms hold is kept here one last time (the
        runner finishes it before the application ends)."""
        if self.kept_here is not None:
            self.kept_here.keep_at_close()
        clear_clipboard()
        QApplication.quit()

    def _stop_live(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _close_window(self) -> None:
        self._stop_live()
        if self.kept_here is not None:
            self.kept_here.let_go_of_window()  # its window is going
        if self.window is not None:
            self.window.close_for_lock()
            self.window.deleteLater()
        self.window = None
        self.workspace = None

    # -- the main window ---------------------------------------------------------------------

    def _watch_input(self, window: MainWindow) -> None:
        """Watch the input for the idle lock and Ctrl+L, from the main window's showing.

        Not before: both only act once a main window is shown, and a filter in Python
        (each event's class wrapped for Python the first time it passes) would hold up the
        sign-in window's first paint by about 20 ms.
        """
        self._input_watch.watch(window)

    def _show_main(self, me: StaffRef, resume: _Resume | None = None) -> None:
        from clinic_app.services import clients, search  # noqa: PLC0415
        from clinic_app.services.settings import get_setting  # noqa: PLC0415
        from clinic_app.services.workspace import Workspace  # noqa: PLC0415
        from clinic_app.views.caseload.view import CaseloadView  # noqa: PLC0415
        from clinic_app.views.record.client_form import ask_emergency_access  # noqa: PLC0415
        from clinic_app.views.search.panel import NoteSearchPanel  # noqa: PLC0415
        from clinic_app.views.shell.main_window import MainWindow, MainWindowParts  # noqa: PLC0415
        from clinic_app.views.shell.menus import app_menus  # noqa: PLC0415

        assert self.database is not None
        workspace = Workspace(
            self.database, me, gui_thread=threading.main_thread(), strict=config.strict_threads()
        )
        self.workspace = workspace
        parts = MainWindowParts(
            me=me,
            database=self.where(),
            make_caseload=lambda: CaseloadView(
                workspace.bind(clients.caseload), show_typology=me.is_clinical
            ),
            make_search=(lambda: NoteSearchPanel(workspace.bind(search.search_notes)))
            if me.is_clinical
            else None,
            make_record=lambda client_id: self._make_record(workspace, client_id),
            ask_emergency_access=lambda parent, client_id: ask_emergency_access(
                parent, client_id, workspace.bind(clients.grant_emergency_access)
            ),
            new_client=lambda parent, then: self._new_client(workspace, parent, then),
            find_client=workspace.bind(clients.find_client),
            make_home=(lambda: self._make_home(workspace))
            if me.is_clinical
            else (lambda: self._make_administration(workspace)),
            menus=app_menus(workspace),
        )
        window = MainWindow(parts)
        if me.is_clinical:
            from clinic_app.views.appointments.wiring import add_diary_tab  # noqa: PLC0415

            add_diary_tab(window, workspace)
        window.lock_requested.connect(self.lock)
        window.sign_out_requested.connect(self.sign_out)
        window.closed_by_user.connect(self._quit)
        self.window = window
        # At a site: other workstations' changes, and whether the server answers.
        self.live = live_refresh.for_workspace(workspace, window)
        if self.live is not None:
            window.follow_site(self.live)
        self._keep_here(workspace, window)
        database = self.database

        def lock_minutes() -> int:
            with database.session() as session:
                return get_setting(session, IDLE_LOCK_MINUTES)

        self.runner.run(lock_minutes, self.idle.set_minutes, parent=window)
        window.show()
        self._watch_input(window)
        self.idle.resume()
        if me.is_clinical:
            # The first record opened would otherwise import its screens on the GUI thread.
            self.runner.run(preload.import_record_screens, lambda _none: None)
        if resume is not None:
            self._resume(window, workspace, resume)

    def _keep_here(self, workspace: Workspace, window: MainWindow) -> None:
        """At a site: keep what is typed while the server is away on this computer, and
        save at the site what was kept (now, and whenever the server is back)."""
        from clinic_app.views.shell.kept_here import KeptHere  # noqa: PLC0415

        self.kept_here = KeptHere.for_workspace(workspace, self.runner)
        if self.kept_here is None:
            return
        # Kept here when the application closed (or the screen locked) while the site was
        # away: the site keeps it now (forms as forms left open, offered after sign-in).
        self.kept_here.send_kept(after_closing=True)
        if self.live is not None:
            self.kept_here.follow(window, self.live)

    @property
    def kept_drafts(self) -> tuple[LocalDraftStore, str] | None:
        """The local store and the site's name, while signed in to a site."""
        kept = self.kept_here
        return None if kept is None else (kept.store, kept.site)

    def _resume(self, window: MainWindow, workspace: Workspace, resume: _Resume) -> None:
        """Open the records that were open again, and put autosaved text back in their
        editors (all on the runner: each record opens when its client has been read)."""
        from clinic_app.services import notes  # noqa: PLC0415
        from clinic_app.views.sessions.tab import SessionsTab  # noqa: PLC0415

        for client_id in resume.open_clients:
            window.open_client(client_id)
        if resume.current is not None:
            window.open_client(resume.current)

        def open_draft(view: ClientRecordView, draft: DraftRow) -> None:
            sessions = view.tab("Sessions")
            if isinstance(sessions, SessionsTab):
                sessions.open_draft(draft)  # done once its notes are in

        def put_back(drafts: list[DraftRow]) -> None:
            for draft in drafts:
                if draft.client_id in resume.open_clients:
                    window.open_client(draft.client_id, partial(open_draft, draft=draft))
            if resume.current is not None:
                window.open_client(resume.current)

        self.runner.run(lambda: workspace.call(notes.drafts_to_recover), put_back, parent=window)

    def _take_back_open_forms(self) -> None:
        """Reopen the forms kept at the lock (after the runner has finished keeping them)."""
        from clinic_app.services import form_drafts  # noqa: PLC0415

        if self.workspace is not None and self.window is not None:
            self.runner.run(
                partial(self.workspace.call, form_drafts.take_open_forms),
                self._forms_taken_back,
                parent=self.window,
            )

    def _forms_taken_back(self, forms: list[OpenForm]) -> None:
        # The runner works in order: whether keeping the forms at the lock failed is known.
        if self._forms_not_kept and self.window is not None:
            lost, self._forms_not_kept = self._forms_not_kept, 0
            show_error(
                self.window,
                ClinicError(
                    f"{lost} form{'s' if lost != 1 else ''} open when the screen locked could "
                    "not be kept (the database could not be written), so what was typed in "
                    f"{'them' if lost != 1 else 'it'} is lost. Session notes are not affected: "
                    "they are autosaved as you type."
                ),
                title="Unsaved text was lost",
            )
        self._reopen_forms(forms)

    def _offer_open_forms(self) -> None:
        """After a crash, or when another user had the screen: offer the user's kept forms."""
        from clinic_app.services import form_drafts  # noqa: PLC0415

        window, workspace = self.window, self.workspace
        if window is None or workspace is None:
            return
        self.runner.run(
            partial(workspace.call, form_drafts.waiting_forms),
            lambda waiting: self._ask_about_open_forms(window, workspace, waiting),
            parent=window,
        )

    def _ask_about_open_forms(
        self, window: MainWindow, workspace: Workspace, waiting: list[SavedForm]
    ) -> None:
        from clinic_app.services import form_drafts  # noqa: PLC0415

        if not waiting or window is not self.window:
            return
        count = len(waiting)
        answer = QMessageBox.question(
            window,
            "Forms left open",
            f"{count} form{'s were' if count != 1 else ' was'} open with unsaved text when "
            f"you last left {'them' if count != 1 else 'it'} "
            f"({waiting[0].saved_at.astimezone():%d/%m/%Y %H:%M})."
            " Open them again now? If you choose No, that text is discarded.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._take_back_open_forms()
        else:
            self.runner.run(
                partial(workspace.call, form_drafts.discard_open_forms),
                lambda _none: None,
                parent=window,
            )

    def _offer_draft_recovery(self) -> None:
        from clinic_app.services import clients, notes  # noqa: PLC0415

        window, workspace = self.window, self.workspace
        if window is None or workspace is None:
            return

        def drafts_and_names() -> tuple[list[DraftRow], dict[int, str]]:
            drafts = workspace.call(notes.drafts_to_recover)
            names = {}
            for client_id in {d.client_id for d in drafts}:
                client = workspace.call(clients.client_summary, client_id)
                names[client_id] = f"{client.display_name} ({client.local_ref})"
            return drafts, names

        self.runner.run(
            drafts_and_names,
            lambda found: self._ask_about_drafts(window, workspace, *found),
            parent=window,
        )

    def _ask_about_drafts(
        self,
        window: MainWindow,
        workspace: Workspace,
        drafts: list[DraftRow],
        names: dict[int, str],
    ) -> None:
        from clinic_app.services import notes  # noqa: PLC0415
        from clinic_app.views.sessions.dialogs import RecoverDraftsDialog  # noqa: PLC0415
        from clinic_app.views.sessions.tab import SessionsTab  # noqa: PLC0415

        if not drafts or window is not self.window:
            return
        dialog = RecoverDraftsDialog(
            drafts,
            lambda client_id: names.get(client_id, "a client"),
            workspace.bind(notes.discard_draft),
            parent=window,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen is None:
            return
        chosen = dialog.chosen

        def open_draft(view: ClientRecordView) -> None:
            sessions = view.show_tab("Sessions")
            if isinstance(sessions, SessionsTab):
                sessions.open_draft(chosen)  # done once its notes are in

        window.open_client(chosen.client_id, open_draft)

    def _new_client(
        self,
        workspace: Workspace,
        parent: QWidget,
        then: Callable[[int], object],
        *,
        restore: dict[str, Any] | None = None,
    ) -> None:
        """Register a client (the sites offered are read first, on the runner); ``then``
        gets the new client's id."""
        from clinic_app.services import clients  # noqa: PLC0415
        from clinic_app.views.record.client_form import register_new_client  # noqa: PLC0415

        def ask(sites: list[str]) -> None:
            summary = register_new_client(
                parent, workspace.bind(clients.register_client), sites=sites, restore=restore
            )
            if summary is not None:
                then(summary.id)

        self.runner.run(partial(workspace.call, clients.known_sites), ask, parent=parent)

    @staticmethod
    def _make_home(workspace: Workspace) -> DashboardView:
        from clinic_app.services import dashboard  # noqa: PLC0415
        from clinic_app.views.home.dashboard import DashboardActions, DashboardView  # noqa: PLC0415

        home = DashboardView(
            DashboardActions(
                dashboard=workspace.bind(dashboard.dashboard),
                whole_section=workspace.bind(dashboard.whole_section),
                generations=dashboard.generations,
            )
        )
        home.refresh()  # Home is shown first: read it while the rest of the window is built
        return home

    def _make_administration(self, workspace: Workspace) -> AdministrationView:
        """An administrator's Home: the command line's administration, in the window."""
        from clinic_app.services import assignments, safekeeping, settings, staff  # noqa: PLC0415
        from clinic_app.services import site as site_service  # noqa: PLC0415
        from clinic_app.services.sharing import letter_templates  # noqa: PLC0415
        from clinic_app.storage.keys import default_key_store  # noqa: PLC0415
        from clinic_app.views.admin.letters import LetterTemplateActions  # noqa: PLC0415
        from clinic_app.views.admin.view import AdminActions, AdministrationView  # noqa: PLC0415

        database = workspace.database
        path = self.database_path
        key_file = self.key_file
        at_site = self.site is not None
        # At a site, accounts are login roles too (``services.site``: the same rules).
        accounts: Any = site_service if at_site else staff

        def backup_now(out: Path) -> safekeeping.BackupRow:
            if at_site:
                raise site_service.SiteError(site_service.BACKUP_MESSAGE)
            key = default_key_store(key_file).get(path)
            return workspace.call(safekeeping.make_backup, database.engine, key, out)

        def suggested_backup() -> Path:
            from datetime import datetime  # noqa: PLC0415

            return config.backups_dir() / f"clinic-{datetime.now():%Y-%m-%d-%H%M}.db"

        return AdministrationView(
            AdminActions(
                list_users=workspace.bind(staff.list_users),
                add_user=workspace.bind(accounts.add_user),
                change_role=workspace.bind(accounts.change_role),
                reset_password=workspace.bind(accounts.reset_password),
                unlock_user=workspace.bind(accounts.unlock_user),
                disable_user=workspace.bind(accounts.disable_user),
                enable_user=workspace.bind(accounts.enable_user),
                assignments_of=workspace.bind(assignments.assignments_of),
                assign_client=workspace.bind(assignments.assign_client),
                end_assignment=workspace.bind(assignments.end_assignment),
                list_settings=workspace.bind(settings.list_settings),
                list_text_settings=workspace.bind(settings.list_text_settings),
                change_setting=workspace.bind(settings.change_setting),
                last_backup=workspace.bind(safekeeping.last_backup),
                backup_now=backup_now,
                check_audit_trail=workspace.bind(safekeeping.check_audit_trail),
                suggested_backup=suggested_backup,
                set_letter_details=workspace.bind(staff.set_letter_details),
                letters=LetterTemplateActions(
                    list_templates=workspace.bind(letter_templates.list_templates),
                    set_template=workspace.bind(letter_templates.set_template),
                    restore_built_in=workspace.bind(letter_templates.restore_built_in),
                ),
            )
        )

    def _verify_staff(self, workspace: Workspace, password: str) -> bool:
        """True when ``password`` is the signed-in user's (ends client self-completion).

        At a site the server checks it (a connection through its sign-in gate, so a wrong
        one counts towards lockout there)."""
        from clinic_app.services import staff  # noqa: PLC0415

        if self.site is not None:
            from clinic_app.storage.site import SiteSignInError, check_password  # noqa: PLC0415

            try:
                check_password(self.site, workspace.me.username, password)
            except SiteSignInError:
                return False
            return True
        try:
            workspace.call(staff.verify_password, password)
        except AccountLocked:
            raise  # shown as it is: the window stays open
        except AuthError:
            return False
        return True

    def _autosave(self, workspace: Workspace) -> Callable[..., DraftRow]:
        """The note editor's autosave: at a site, kept on this computer while it is away."""
        from clinic_app.services import notes, offline  # noqa: PLC0415

        if self.kept_here is None:
            return workspace.bind(notes.autosave)
        return offline.autosave_keeping_locally(
            workspace, self.kept_here.store, self.kept_here.site
        )

    def _make_record(self, workspace: Workspace, client_id: int) -> ClientRecordView:
        """A client's record, built without reading the database (``views.record.assembly``)."""
        from clinic_app.views.record.assembly import make_record  # noqa: PLC0415

        view = make_record(
            workspace,
            client_id,
            autosave=self._autosave(workspace),
            verify_staff=partial(self._verify_staff, workspace),
        )
        if not self._other_screens_asked:
            view.when_open(self._after_first_record)
        return view

    def _after_first_record(self, _view: ClientRecordView) -> None:
        """Import the record's other tabs on the runner once a first record is open: not
        before, so that Home alone does not hold them (about 10 MB), and a moment after its
        first frame, so that they do not compete with painting it."""
        if self._other_screens_asked:
            return
        self._other_screens_asked = True
        QTimer.singleShot(OTHER_SCREENS_AFTER_MS, self, self._import_other_screens)

    def _import_other_screens(self) -> None:
        if self.runner.running:  # not if the application has closed meanwhile
            self.runner.run(preload.import_other_record_screens, lambda _none: None)


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(config.APP_NAME)
    app.setApplicationDisplayName("clinic-app")
    app.setQuitOnLastWindowClosed(False)
    config.configure_logging()
    install_excepthook(config.log_dir() / "clinic-app.log")
    key_file = os.environ.get("CLINIC_APP_KEY_FILE")
    from clinic_app.storage.site import configured_site  # noqa: PLC0415 - reads one small file

    try:
        site = configured_site()
    except ClinicError as error:  # a damaged setting, or one that holds a password
        show_error(None, error)
        return 1
    controller = ClinicApp(
        config.default_database_path(), key_file=Path(key_file) if key_file else None, site=site
    )
    remove_temporary_copies()  # any left behind when the application last stopped
    try:
        if not controller.start():
            return 0
        return int(app.exec())
    finally:
        remove_temporary_copies()
        # However the program quits, the database is closed cleanly: the write-ahead log
        # is folded into the file and the integrity anchor records the file as left.
        controller.close_database()
