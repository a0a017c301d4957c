"""Live refresh at a site: listen for committed changes, and notice when the server is away.

Migration ``0014`` makes the server send a notice on channel :data:`CHANNEL` whenever a
transaction that recorded a risk event, a share decision, a signed note (or addendum) or a
referral change commits. :class:`ChangeListener` holds one connection of its own, signed
in as the same member of staff as the application, on a background thread, and hands each
notice (:class:`ChangeNotice`: a client id and a kind, never clinical text) to a callback.
The callbacks run on the listener's thread: the views wrap them in a Qt signal so that
they arrive on the GUI thread.

**Privacy.** Every role that can connect may LISTEN on the channel and hears every notice,
also about clients it may not read. A notice is ids only ("client 42: risk_event"); what
changed is read afterwards through row-level security, as the signed-in person, and a
notice about a client they cannot see leads to nothing (``services.live``).

**The server away.** The listener is also the application's detector of a site that cannot
be reached: a server that stops closes the connection at once; a network that goes down is
noticed by TCP keepalives and ``tcp_user_timeout`` (``storage.site``) and by a small query
the listener sends every :data:`PROBE_SECONDS`; a server that stops answering without
closing anything (frozen, or packets silently dropped) is noticed by a watchdog after
:data:`SILENT_SECONDS` without an answer. Either way ``on_reachable(False)`` is called
within 10 seconds; the listener then tries to connect again, with growing pauses up to
:data:`LONGEST_RETRY_SECONDS`, and calls ``on_reachable(True)`` once it is listening again
(notices sent meanwhile are lost: the application reloads what it shows at that moment).
No Qt here.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "clinic_change"
KINDS = frozenset({"risk_event", "share_decision", "signed_note", "referral"})
# How often an idle listener checks that its server still answers.
PROBE_SECONDS = 3.0
# A server that has not answered for this long (frozen, or a network that swallows
# packets without a word) is said to be unreachable, even while the probe still waits.
SILENT_SECONDS = 7.0
# How long the listener waits for notices before looking at its stop flag.
WAIT_SECONDS = 0.25
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 3.0


@dataclass(frozen=True)
class ChangeNotice:
    """Something about one client changed at the site (ids only)."""

    client_id: int
    kind: str


def parse(payload: str) -> ChangeNotice | None:
    """The notice in a payload, or None for one this version does not understand."""
    try:
        values = json.loads(payload)
        client_id, kind = values["client_id"], values["kind"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(client_id, int) or isinstance(client_id, bool) or kind not in KINDS:
        return None
    return ChangeNotice(client_id, str(kind))


class ChangeListener:
    """Listens on one connection of its own, on a daemon thread, until :meth:`stop`.

    ``connect`` makes a new psycopg connection as the signed-in member of staff (the same
    role as the application's: :attr:`storage.site.SiteDatabase.connect`). ``on_notice``
    gets each notice, ``on_reachable`` each change between reachable and not (starting
    from reachable: the first call is False, when the server cannot be reached). Both are
    called on the listener's thread and must not block.
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        on_notice: Callable[[ChangeNotice], None],
        on_reachable: Callable[[bool], None],
        *,
        own_pids: Collection[int] = (),
    ) -> None:
        """``own_pids``: the server processes of this workstation's own connections (kept
        up to date by the caller); what they commit is not announced back here."""
        self._own_pids = own_pids
        self._connect = connect
        self._on_notice = on_notice
        self._on_reachable = on_reachable
        self._stopping = threading.Event()
        self._listening = threading.Event()
        self._reachable = True
        self._reachable_lock = threading.Lock()
        self._last_answer = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="clinic-app listener", daemon=True)
        self._watchdog = threading.Thread(
            target=self._watch, name="clinic-app listener watchdog", daemon=True
        )

    def start(self) -> ChangeListener:
        self._thread.start()
        self._watchdog.start()
        return self

    @property
    def reachable(self) -> bool:
        return self._reachable

    def wait_listening(self, timeout: float) -> bool:
        """Wait until the listener is listening (for tests and the first start)."""
        return self._listening.wait(timeout)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop listening (at sign-out, lock or quit); the connection is closed. Waits up
        to ``timeout`` seconds for the listener's thread to end (0: not at all; it ends
        at its next look, within :data:`WAIT_SECONDS` unless the server keeps it waiting)."""
        self._stopping.set()
        alive = self._thread.is_alive()
        if timeout > 0 and alive and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # -- the listener's thread ---------------------------------------------------------------

    def _run(self) -> None:
        pause = FIRST_RETRY_SECONDS
        while not self._stopping.is_set():
            try:
                conn = self._connect()
            except Exception as error:
                log.info("site listener cannot connect (%s)", type(error).__name__)
                self._set_reachable(False)
                self._stopping.wait(pause)
                pause = min(pause * 2, LONGEST_RETRY_SECONDS)
                continue
            pause = FIRST_RETRY_SECONDS
            try:
                self._listen(conn)
            except Exception as error:
                log.info("site listener lost its connection (%s)", type(error).__name__)
                self._listening.clear()
                if not self._stopping.is_set():
                    self._set_reachable(False)
            finally:
                try:
                    conn.close()
                except Exception:
                    log.debug("closing the listener's broken connection failed")

    def _listen(self, conn: Any) -> None:
        conn.autocommit = True
        conn.execute(f"LISTEN {CHANNEL}")
        self._last_answer = time.monotonic()
        self._listening.set()
        self._set_reachable(True)
        while not self._stopping.is_set():
            for notify in conn.notifies(timeout=WAIT_SECONDS):
                if notify.pid in self._own_pids:
                    continue  # committed here: the screens that made it have refreshed
                notice = parse(notify.payload)
                if notice is not None:
                    self._on_notice(notice)
            if time.monotonic() - self._last_answer >= PROBE_SECONDS:
                conn.execute("SELECT 1")  # a broken network fails here, within seconds
                self._last_answer = time.monotonic()
                self._set_reachable(True)  # answering again after a silence

    def _watch(self) -> None:
        """Say the server is unreachable when it has been silent too long, even while the
        listener's thread still waits for its answer."""
        while not self._stopping.wait(WAIT_SECONDS):
            silent = time.monotonic() - self._last_answer
            if self._listening.is_set() and silent > SILENT_SECONDS:
                self._set_reachable(False)

    def _set_reachable(self, reachable: bool) -> None:
        with self._reachable_lock:
            if reachable == self._reachable:
                return
            self._reachable = reachable
        log.info("site %s", "reachable again" if reachable else "cannot be reached")
        self._on_reachable(reachable)
