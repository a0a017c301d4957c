"""One background runner for units of work: the GUI thread never waits on the database.

Views never call a service on the GUI thread. They hand the runner a *unit of work* (a
callable without arguments: a use case bound to the signed-in user, with every value it
needs already read from the widgets) and what to do with its result::

    runner().run(
        partial(self._actions.notes_for_client, self._client_id),
        self._show_notes,
        key=f"notes:{self._client_id}",
        parent=self,
    )

- **Off the GUI thread, in order.** Units of work run one after another on one worker
  thread, each in its own session (``Workspace.call`` opens one per call). Running them in
  the order they were asked for means that a read asked for after a save sees the save.
- **Back on the GUI thread.** The result (frozen dataclasses, never ORM objects) is handed
  to ``done`` on the GUI thread. A :class:`ClinicError` goes to ``failed`` instead, which
  shows it in a message box at ``parent`` unless the view passes its own handler (a form
  showing validation problems beside its fields, say). Any other exception is a bug and
  goes to the excepthook (logged, a calm dialog).
- **Superseded requests.** With a ``key``, a newer request with the same key supersedes
  the older: if the older has not started it never runs, and if it is running its result
  is dropped. A search box uses one key, so each keystroke cancels the previous search.
- **Gone widgets.** If ``parent`` has been deleted meanwhile (the record was closed, the
  screen locked), the result is dropped.
- **Busy.** When work has been waiting for longer than a moment (:data:`BUSY_AFTER_MS`),
  :attr:`Runner.busy_changed` says so; the main window shows a busy cursor and a line in
  its status bar until the work is done.
- **Qt objects die on the GUI thread.** A Qt object deleted on another thread can crash
  the process. Two ways lead there, and the runner closes both. The worker never holds the
  last reference to a request (its callbacks, widget and unit of work stay with the GUI
  thread until the result is delivered, and an error comes back without its frames'
  variables). And while a runner runs, Python's cycle collector runs only on the GUI
  thread (:class:`_GuiThreadCollector`): left automatic, it runs on whichever thread
  happens to allocate, and a cycle it frees may hold a widget.

Callbacks run on the GUI thread and must not block; a callback may ask the runner for
more work (a save's ``done`` asks for the refreshed list, which then runs after it).

:class:`InlineRunner` has the same interface and runs each unit of work at once on the
calling thread. Tests of a single view driven with in-memory fakes use it (it is installed
for them by the GUI tests' fixtures); the application itself always runs a :class:`Runner`.
"""

from __future__ import annotations

import gc
import itertools
import logging
import queue
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from clinic_app.errors import ClinicError
from clinic_app.views.common import feedback

log = logging.getLogger(__name__)

R = TypeVar("R")

# Work that ends sooner than this shows nothing; longer, and the window says it is busy.
BUSY_AFTER_MS = 250

# How often the GUI thread looks whether the cycle collector is due (while a runner runs).
COLLECT_EVERY_MS = 500

# While a runner runs: how long a thread that needs the interpreter waits for the thread
# holding it before asking it to let go (Python's own default is 5 ms).
SWITCH_INTERVAL_S = 0.001


@dataclass(eq=False)
class _Task:
    ticket: int
    key: str | None
    work: Callable[[], Any]
    done: Callable[[Any], None]
    failed: Callable[[ClinicError], None] | None
    parent: QWidget | None
    has_parent: bool


@dataclass(frozen=True)
class _Outcome:
    """What the worker hands back: the request's ticket, never the request itself."""

    ticket: int
    result: Any = None
    error: ClinicError | None = None
    bug: BaseException | None = None
    skipped: bool = False


class WorkRunner(Protocol):
    """What a view needs of a runner (both :class:`Runner` and :class:`InlineRunner`)."""

    def run(
        self,
        work: Callable[[], R],
        done: Callable[[R], None],
        *,
        key: str | None = None,
        parent: QWidget | None = None,
        failed: Callable[[ClinicError], None] | None = None,
    ) -> None: ...

    def cancel(self, key: str) -> None: ...


def _hand_over(task: _Task, outcome: _Outcome) -> None:
    """Give an outcome to the callbacks of the task it answers (on the GUI thread)."""
    if task.has_parent and (task.parent is None or not shiboken6.isValid(task.parent)):
        return  # the widget that asked is gone: nobody is waiting for this
    if outcome.bug is not None:
        bug = outcome.bug
        sys.excepthook(type(bug), bug, bug.__traceback__)
    elif outcome.error is not None:
        if task.failed is not None:
            task.failed(outcome.error)
        else:
            feedback.show_error(task.parent, outcome.error)
    else:
        task.done(outcome.result)


class _Bridge(QObject):
    """Carries outcomes from the worker thread to the GUI thread (a queued signal)."""

    finished_one = Signal(object)


def _work_through(
    tasks: queue.SimpleQueue[_Task | None], latest: dict[str, int], bridge: _Bridge
) -> None:
    """The worker thread: run queued units of work one at a time; None stops it.

    The GUI thread keeps every task until its outcome is delivered, and the worker lets go
    of a task before handing its outcome over: the last reference to a task (to its
    callbacks, its widget and whatever its unit of work holds) is always dropped on the GUI
    thread, where deleting a Qt object is safe.
    """
    while True:
        task = tasks.get()
        if task is None:
            return
        ticket = task.ticket
        if task.key is not None and latest.get(task.key) != ticket:
            del task
            bridge.finished_one.emit(_Outcome(ticket, skipped=True))
            continue
        work = task.work
        del task
        try:
            outcome = _Outcome(ticket, result=work())
        except ClinicError as error:
            outcome = _Outcome(ticket, error=error.with_traceback(None))
        except BaseException as bug:  # a bug: handed to the excepthook on the GUI thread
            # Its traceback is kept for the log, without the frames' local variables: an
            # outcome holds nothing of the work's, whichever thread lets go of it last.
            traceback.clear_frames(bug.__traceback__)
            outcome = _Outcome(ticket, bug=bug)
        del work
        bridge.finished_one.emit(outcome)
        del outcome


class _GuiThreadCollector(QObject):
    """Runs Python's cycle collector on the GUI thread only, while runners run.

    Left automatic, the collector runs on whichever thread allocates when it is due, the
    worker's included; a cycle it frees there may hold a widget, and Qt objects deleted off
    the GUI thread crash the process. So while at least one runner runs, automatic
    collection is off and a timer on the GUI thread collects each generation when it is
    due, by the same thresholds Python uses (checked every :data:`COLLECT_EVERY_MS`).
    Automatic collection is back on (if it was on) when the last runner stops.
    """

    def __init__(self) -> None:
        super().__init__()
        self._holders = 0
        self._was_enabled = True
        self._long_lived = 0  # objects in the oldest generation after its last collection
        self._timer = QTimer(self)
        self._timer.setInterval(COLLECT_EVERY_MS)
        self._timer.timeout.connect(self.collect_due)

    def hold(self) -> None:
        self._holders += 1
        if self._holders == 1:
            self._was_enabled = gc.isenabled()
            gc.disable()
            gc.callbacks.append(self._after_collection)
            self._long_lived = len(gc.get_objects(generation=2))
            self._timer.start()

    def release(self) -> None:
        if self._holders == 0:
            return
        self._holders -= 1
        if self._holders == 0:
            self._timer.stop()
            self.collect_due()
            gc.callbacks.remove(self._after_collection)
            if self._was_enabled:
                gc.enable()

    def _after_collection(self, phase: str, info: dict[str, int]) -> None:
        """After any full collection (this one's, or an explicit ``gc.collect()``), what
        survived is the oldest generation's new measure."""
        if phase == "stop" and info.get("generation") == 2:
            self._long_lived = len(gc.get_objects(generation=2))

    def collect_due(self) -> None:
        """Collect the oldest generation that is due, as Python's own collector would.

        The oldest generation is collected only once it has grown by a quarter since its
        last collection (Python's rule for long-lived objects): a full walk of a large heap
        is what would make the window stutter.
        """
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        due = -1
        for generation in range(3):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                due = generation
            else:
                break
        if due == 2:
            long_lived = len(gc.get_objects(generation=2))
            if long_lived - self._long_lived <= self._long_lived // 4:
                due = 1
        if due >= 0:
            gc.collect(due)  # after a full one, _after_collection takes the new measure


class _QuickHandover:
    """While runners run, a thread that needs the interpreter waits at most 1 ms for it.

    The GUI thread calls into Python for each event a Python object handles (a filter, a
    list's model, a paint) and each call needs the interpreter. When the worker holds it
    for work of its own, Python's default makes each of those calls wait up to 5 ms: Home,
    painted while the record's screens were imported on the worker, took about 680 ms
    instead of 375; with 1 ms, about 450 ms. The worker's own work is barely slower.
    The interval in force before is restored when the last runner stops.
    """

    def __init__(self) -> None:
        self._holders = 0
        self._before = sys.getswitchinterval()

    def hold(self) -> None:
        self._holders += 1
        if self._holders == 1:
            self._before = sys.getswitchinterval()
            sys.setswitchinterval(min(self._before, SWITCH_INTERVAL_S))

    def release(self) -> None:
        if self._holders == 0:
            return
        self._holders -= 1
        if self._holders == 0:
            sys.setswitchinterval(self._before)


_collectors: list[_GuiThreadCollector] = []  # the one collector, made with the first runner
_HANDOVER = _QuickHandover()


def _gui_thread_collector() -> _GuiThreadCollector:
    if not _collectors:
        _collectors.append(_GuiThreadCollector())
    return _collectors[0]


class Runner(QObject):
    """Runs units of work on one worker thread; results come back on the GUI thread.

    Signals:
        busy_changed(bool): work has been waiting longer than a moment (True), or all
            of it is done (False).
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tickets = itertools.count(1)
        self._latest: dict[str, int] = {}
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._pending = 0
        self._busy = False
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        self._bridge = _Bridge(self)
        self._bridge.finished_one.connect(self._finished)
        # Each task, from the request until its outcome is delivered (see _work_through).
        self._waiting: dict[int, _Task] = {}
        self._collector = _gui_thread_collector()
        self._collector.hold()
        _HANDOVER.hold()
        self._stopped = False
        # A daemon thread: a process that quits without stopping the runner is not held
        # up (the database is closed by then, and a unit of work commits or rolls back).
        self._worker = threading.Thread(
            target=_work_through,
            args=(self._tasks, self._latest, self._bridge),
            name="clinic-app worker",
            daemon=True,
        )
        self._worker.start()

    @property
    def idle(self) -> bool:
        """No unit of work is waiting, running or undelivered."""
        return self._pending == 0

    @property
    def busy(self) -> bool:
        return self._busy

    def run(
        self,
        work: Callable[[], R],
        done: Callable[[R], None],
        *,
        key: str | None = None,
        parent: QWidget | None = None,
        failed: Callable[[ClinicError], None] | None = None,
    ) -> None:
        """Run ``work`` off the GUI thread; hand its result to ``done`` on the GUI thread."""
        if not self._worker.is_alive():
            raise RuntimeError("the runner has been stopped")
        ticket = next(self._tickets)
        if key is not None:
            self._latest[key] = ticket
        task = _Task(ticket, key, work, done, failed, parent, parent is not None)
        self._waiting[ticket] = task
        self._pending += 1
        if self._pending == 1:
            self._busy_timer.start()
        self._tasks.put(task)

    def cancel(self, key: str) -> None:
        """Drop the result of any request with ``key`` (and skip it if not yet started)."""
        self._latest[key] = next(self._tickets)

    @property
    def running(self) -> bool:
        """Whether work may still be asked for (false once :meth:`stop` has run)."""
        return self._worker.is_alive() and not self._stopped

    def stop(self) -> None:
        """Finish the work already asked for, then stop the worker thread (at quit)."""
        if self._worker.is_alive():
            self._tasks.put(None)
            self._worker.join()
        if not self._stopped:
            self._stopped = True
            self._collector.release()
            _HANDOVER.release()

    def _finished(self, outcome: _Outcome) -> None:
        self._pending -= 1
        if self._pending == 0:
            self._busy_timer.stop()
            if self._busy:
                self._busy = False
                self.busy_changed.emit(False)
        task = self._waiting.pop(outcome.ticket)
        if outcome.skipped or (task.key is not None and self._latest.get(task.key) != task.ticket):
            return  # superseded by a newer request with the same key
        _hand_over(task, outcome)

    def _show_busy(self) -> None:
        if self._pending and not self._busy:
            self._busy = True
            self.busy_changed.emit(True)


class InlineRunner:
    """Runs each unit of work at once, on the calling thread (for views driven by fakes)."""

    idle = True
    busy = False

    def run(
        self,
        work: Callable[[], R],
        done: Callable[[R], None],
        *,
        key: str | None = None,
        parent: QWidget | None = None,
        failed: Callable[[ClinicError], None] | None = None,
    ) -> None:
        task = _Task(0, key, work, done, failed, parent, parent is not None)
        try:
            result = work()
        except ClinicError as error:
            _hand_over(task, _Outcome(0, error=error))
        else:
            _hand_over(task, _Outcome(0, result=result))

    def cancel(self, key: str) -> None:
        """Nothing is ever waiting."""


_current: WorkRunner | None = None
_lock = threading.Lock()


def use_runner(new: WorkRunner | None) -> WorkRunner | None:
    """Make ``new`` the runner every view uses; returns the one it replaces."""
    global _current
    with _lock:
        old, _current = _current, new
    return old


def runner() -> WorkRunner:
    """The runner of this process (the application installs one when it starts)."""
    if _current is None:
        raise RuntimeError("no runner installed: the application installs one at start")
    return _current
