"""At a site: what is typed while the server is away, kept on this computer.

The note editor's autosave keeps its text in the encrypted local store when the site
cannot be reached (``services.offline``). The other forms are kept here too: what every
open form holds, at once when the server goes, every few seconds after, and once more when
the application closes; forms closed meanwhile (the screen locked) wait until the site can
take them. All of it is written on the runner's thread; this object only decides when.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from clinic_app.errors import ClinicError
from clinic_app.services import offline
from clinic_app.services.form_drafts import OpenForm
from clinic_app.services.workspace import Workspace
from clinic_app.storage.local_drafts import LocalDraftStore, default_path
from clinic_app.views.common.form_drafts import open_forms
from clinic_app.views.common.runner import WorkRunner

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from clinic_app.views.common.live import LiveRefresh

log = logging.getLogger(__name__)

# While the site is away, how often what the open forms hold is kept on this computer.
KEEP_FORMS_EVERY_MS = 5_000


class KeptHere:
    """One signed-in person's text kept on this computer while their site is away."""

    def __init__(self, workspace: Workspace, runner: WorkRunner, site: str) -> None:
        from clinic_app.storage.keys import CredentialStore  # noqa: PLC0415

        self.workspace = workspace
        self.runner = runner
        self.site = site
        # Always the operating system's credential store (a key file holds the workstation
        # database's own key, which this must never replace).
        self.store = LocalDraftStore(default_path(), CredentialStore)
        self._window: QWidget | None = None
        self._keeping: QTimer | None = None
        self._away = False

    @classmethod
    def for_workspace(cls, workspace: Workspace, runner: WorkRunner) -> KeptHere | None:
        """The keeping for a workspace signed in to a site; None on a workstation."""
        site = offline.site_name(workspace)
        return None if site is None else cls(workspace, runner, site)

    # -- units of work on the runner ------------------------------------------------------

    def _run(self, work: Callable[[], object], what: str) -> None:
        """Run ``work`` on the runner; a failure is logged (the text stays where it is)."""
        self.runner.run(
            work,
            lambda _result: None,
            failed=lambda error: log.warning("%s (%s)", what, type(error).__name__),
        )

    def send_kept(self, *, after_closing: bool = False) -> None:
        """Hand what is kept here to the site: note drafts, and the forms waiting (with
        ``after_closing``, at sign-in, those open when the application last closed too)."""
        workspace, store, site = self.workspace, self.store, self.site
        self._run(partial(offline.send_kept_drafts, workspace, store, site), "kept drafts not sent")
        self._run(
            partial(offline.send_kept_forms, workspace, store, site, after_closing=after_closing),
            "kept forms not sent",
        )

    def keep_closed_forms(
        self, forms: list[OpenForm], failed: Callable[[ClinicError], None]
    ) -> None:
        """Keep forms closed while the site is away (at a lock) until it can take them."""
        me = self.workspace.me
        self.runner.run(
            partial(offline.keep_closed_forms_here, self.store, self.site, me.id, forms),
            lambda _none: None,
            failed=failed,
        )

    def forget_open_forms(self) -> None:
        """The site has the open forms (or they are open with the site back)."""
        forget = partial(self.store.forget_open_forms, self.site, self.workspace.me.id)
        self._run(forget, "open forms kept here not forgotten")

    # -- while the site is away -----------------------------------------------------------

    def follow(self, window: QWidget, live: LiveRefresh) -> None:
        """Keep the open forms of ``window`` while ``live`` says the site is away."""
        self._window = window
        self._keeping = QTimer(window)
        self._keeping.setInterval(KEEP_FORMS_EVERY_MS)
        self._keeping.timeout.connect(self.keep_open_forms)
        live.reachable_changed.connect(self._reachable)

    def _reachable(self, back: bool) -> None:
        self._away = not back
        if self._keeping is None:
            return
        if back:
            self._keeping.stop()
            self.forget_open_forms()
            self.send_kept()  # those still waiting from earlier
        else:
            self.keep_open_forms()
            self._keeping.start()

    def keep_open_forms(self) -> None:
        """Keep what the window's open forms hold now (replacing what was kept of them)."""
        if self._window is None:
            return
        forms = [form for _dialog, form in open_forms([self._window])]
        keep = partial(offline.keep_forms_here, self.store, self.site, self.workspace.me.id)
        self._run(partial(keep, forms), "open forms not kept here")

    def keep_at_close(self) -> None:
        """The application is closing: while the site is away, keep the open forms once
        more (the runner finishes it before the application ends)."""
        if self._away:
            self.keep_open_forms()

    def let_go_of_window(self) -> None:
        """The window is going (lock, sign-out): nothing more is read from it."""
        if self._keeping is not None:
            self._keeping.stop()
        self._window = None
        self._keeping = None
        self._away = False
