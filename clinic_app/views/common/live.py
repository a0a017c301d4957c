"""Live refresh and the site's reachability, delivered on the GUI thread.

At a site a listener (``storage.live.ChangeListener``) hears, on a thread of its own, every
committed change to a risk event, share decision, signed note or referral, and notices
when the server cannot be reached. :class:`LiveRefresh` carries both to the GUI thread
(queued signals) and then:

- **Changes**: gathers the notices that arrive together (:data:`GATHER_MS`), asks the
  runner which of them are about clients the signed-in person can see
  (``services.live.visible_changes``, which also counts them for Home) and emits
  :attr:`LiveRefresh.clients_changed` with those client ids only. A notice about any other
  client leads to nothing on the screen.
- **Reachability**: emits :attr:`LiveRefresh.reachable_changed`. When the server is back
  every screen reloads once (notices sent while it was away were not heard).

:func:`connect_main_window` wires it to the main window: Home reloads the sections that
changed, each open record of a changed client reloads its parts and its urgent-risk
banner, a line above the tabs says in one sentence that the team database cannot be
reached, and when it is back open editors keep their text again (autosaved drafts that
could not be saved meanwhile are saved then).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from clinic_app.views.common.runner import runner

if TYPE_CHECKING:
    from clinic_app.services.workspace import Workspace

log = logging.getLogger(__name__)

GATHER_MS = 50
UNREACHABLE_TEXT = (
    "The team database cannot be reached. What you type is kept on this computer and saved "
    "when it is back."
)


class Notice(Protocol):
    @property
    def client_id(self) -> int: ...

    @property
    def kind(self) -> str: ...


class Listening(Protocol):
    """What is needed of a listener: it can be stopped."""

    def stop(self, timeout: float = ...) -> None: ...


# Starts a listener that calls (on its own thread) the first callable with each notice and
# the second with each change of reachability.
StartListening = Callable[[Callable[[Notice], None], Callable[[bool], None]], Listening]
VisibleChanges = Callable[[Sequence[Notice]], Sequence[Notice]]


class LiveRefresh(QObject):
    """The GUI thread's side of a site's change listener.

    Signals:
        clients_changed(object): a list of client ids, each one the signed-in person can
            see, whose risk events, share decisions, signed notes or referrals changed.
        reachable_changed(bool): the site's server became unreachable (False) or is back.
    """

    clients_changed = Signal(object)
    reachable_changed = Signal(bool)
    _heard = Signal(object)
    _reachability = Signal(bool)

    def __init__(
        self,
        start_listening: StartListening,
        visible_changes: VisibleChanges,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._visible_changes = visible_changes
        self._waiting: list[Notice] = []
        self.reachable = True
        self._gather = QTimer(self)
        self._gather.setSingleShot(True)
        self._gather.setInterval(GATHER_MS)
        self._gather.timeout.connect(self._sort_out)
        # Emitted on the listener's thread, delivered on this object's (the GUI) thread.
        self._heard.connect(self._on_heard)
        self._reachability.connect(self._on_reachability)
        self._listener: Listening | None = start_listening(
            self._heard.emit, self._reachability.emit
        )

    def stop(self) -> None:
        """Stop listening (sign-out, lock, quit)."""
        if self._listener is not None:
            # Without waiting: the GUI thread must not wait for a listener that may itself
            # be waiting for a server that does not answer. It ends at its next look.
            self._listener.stop(0)
            self._listener = None
        self._gather.stop()
        self._waiting.clear()

    def _on_heard(self, notice: Notice) -> None:
        self._waiting.append(notice)
        if not self._gather.isActive():
            self._gather.start()

    def _sort_out(self) -> None:
        notices, self._waiting = self._waiting, []
        if not notices:
            return
        runner().run(
            lambda: self._visible_changes(notices),
            self._show_changes,
            # A failure (the server went away meanwhile) is shown by the reachability line.
            failed=lambda error: log.info("live refresh read failed (%s)", type(error).__name__),
        )

    def _show_changes(self, notices: Sequence[Notice]) -> None:
        client_ids = sorted({notice.client_id for notice in notices})
        if client_ids:
            self.clients_changed.emit(client_ids)

    def _on_reachability(self, reachable: bool) -> None:
        if reachable == self.reachable:
            return
        self.reachable = reachable
        self.reachable_changed.emit(reachable)


def for_workspace(workspace: Workspace, parent: QObject | None = None) -> LiveRefresh | None:
    """Listen for a site's changes as the signed-in member of staff; None for a
    workstation database (its own commits are counted in this process already)."""
    from clinic_app.services import live  # noqa: PLC0415 - site mode only
    from clinic_app.storage.live import ChangeListener  # noqa: PLC0415 - site mode only

    connect = getattr(workspace.database, "connect", None)
    if connect is None:
        return None

    def start(
        on_notice: Callable[[Notice], None], on_reachable: Callable[[bool], None]
    ) -> Listening:
        own = getattr(workspace.database, "backend_pids", ())
        return ChangeListener(connect, on_notice, on_reachable, own_pids=own).start()

    def visible(notices: Sequence[Notice]) -> Sequence[Notice]:
        wanted = [live.ChangeNotice(n.client_id, n.kind) for n in notices]
        return workspace.call(live.visible_changes, wanted)

    return LiveRefresh(start, visible, parent)
