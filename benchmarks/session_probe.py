"""One signed-in session of the real application, timed until widgets are painted.

Run by ``benchmarks.waits`` in a new process for every sample (so each sign-in is the
first in its process, as the user's is)::

    python -m benchmarks.session_probe STORE_DIR USERNAME [--record ID --reps N]
        [--keystrokes] [--profile]      (the password is the first line of stdin)
    python -m benchmarks.session_probe --site HOST,PORT,DATABASE,CA_FILE - USERNAME ...

It builds the real ``ClinicApp`` on Qt's offscreen platform with the store's key file,
opens the database as the sign-in window does while the user types (untimed), then
times from "OK pressed" (``ClinicApp._sign_in``) until the Home tab is painted. With
``--record`` it then opens that client in the real window ``N + 1`` times (the first is
the first in the process) and visits every tab of the record once each time, with the raw
SQL of the same rows timed in between; with ``--keystrokes`` it types into the caseload
search box. It prints one JSON object on stdout. With ``--site`` the application signs in
to that site as USERNAME (its own PostgreSQL role, as the window does) instead of opening
a store; the raw SQL baseline, written for the workstation engine, is left out.

"Painted" is measured with an event filter on the application for ``QEvent.Paint``:
the time when the last widget inside the target (the Home tab, the record, a tab, the
caseload) began painting, in the first frame after the action. This was chosen over
``QWidget.grab()`` because grab renders the widget again on request, whether or not the
event loop would have painted it, so it would time a paint the user never waits for and
hide a paint that is held up behind queued work (a refresh on show, a timer).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from benchmarks import appview

TIMEOUT_S = 60.0
# What a clinician types into the caseload search: names, a case reference, a number.
TYPED = ("fictional", "sam example", "demo-004", "999 1")


def memory_kb() -> dict[str, int]:
    """Peak and current resident memory of this process (Linux /proc)."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return {"peak_kb": out.get("VmHWM", 0), "rss_kb": out.get("VmRSS", 0)}


class PaintClock(QObject):
    """Notes when widgets inside a target begin painting."""

    def __init__(self) -> None:
        super().__init__()
        self.target: QWidget | None = None
        self.last = 0.0
        self.paints = 0
        self.untargeted = 0  # paints while no target is watched (none are expected)

    def watch(self, target: QWidget) -> None:
        self.target, self.last, self.paints = target, 0.0, 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Every event in the process passes here: the class is checked first, in C, rather
        # than asking each event its type (a Python enum member made each time), so that
        # the clock adds as little as it can to what it times.
        if not isinstance(event, QPaintEvent):
            return False
        target = self.target
        if target is None:
            self.untargeted += 1
        elif isinstance(watched, QWidget) and (watched is target or target.isAncestorOf(watched)):
            self.last = time.perf_counter()
            self.paints += 1
        return False

    def wait(
        self, app: QApplication, started: float, loading: Callable[[], bool] | None = None
    ) -> float:
        """Run the event loop until the target's frame is painted; ms since ``started``.

        With ``loading``, the frame that counts is the first one painted after it turns
        False (the content has arrived from the background runner): until then the event
        loop waits for events instead of spinning, so the worker thread is not slowed.
        """
        deadline = time.perf_counter() + TIMEOUT_S
        if loading is not None:
            wake = QTimer()
            wake.start(5)  # a bounded wait for events
            while loading():
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
                if time.perf_counter() > deadline:
                    raise TimeoutError("the content never arrived")
            wake.stop()
        while self.paints == 0:
            app.processEvents()
            if time.perf_counter() > deadline:
                raise TimeoutError("the target was never painted")
        # The rest of that frame (and anything it queued at once) before stopping.
        seen = -1
        while seen != self.paints:
            seen = self.paints
            app.processEvents()
        self.target = None  # it may be deleted next
        return (self.last - started) * 1000

    def wait_for_work(
        self, app: QApplication, started: float, idle: Callable[[], bool], delivered: list[float]
    ) -> float:
        """As :meth:`wait`, for a target that shows what the background runner reads: run
        the event loop until the runner is idle and the target has painted after the last
        result was delivered (ms since ``started``)."""
        deadline = time.perf_counter() + TIMEOUT_S
        while not (idle() and self.paints and self.last >= delivered[0]):
            app.processEvents()
            if time.perf_counter() > deadline:
                raise TimeoutError("the target was never painted with what it read")
        seen = -1
        while seen != self.paints:
            seen = self.paints
            app.processEvents()
        self.target = None
        return (self.last - started) * 1000


def _settle(app: QApplication, controller: Any, started: float) -> float:
    """Run the event loop until the runner has nothing left to do; ms since ``started``."""
    deadline = time.perf_counter() + TIMEOUT_S
    wake = QTimer()
    wake.start(5)  # a bounded wait for events
    while not appview.runner_idle(controller):
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        if time.perf_counter() > deadline:
            raise TimeoutError("the work signing in started never finished")
    wake.stop()
    return (time.perf_counter() - started) * 1000


def _profile_text(profiler: cProfile.Profile, lines: int = 30) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats("clinic_app", lines)
    stats.sort_stats("tottime").print_stats(lines)
    return stream.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.session_probe")
    parser.add_argument("store", type=Path)
    parser.add_argument("username")
    parser.add_argument("--record", type=int)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--keystrokes", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--site", help="HOST,PORT,DATABASE,CA_FILE of a site to sign in to")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n")

    app = QApplication.instance() or QApplication(["clinic-app-benchmark"])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    clock = PaintClock()
    app.installEventFilter(clock)

    from clinic_app import config
    from clinic_app.app import ClinicApp

    figures: dict[str, Any] = {"memory_before_sign_in": memory_kb()}
    profiler = cProfile.Profile() if args.profile else None

    class SignedIn(ClinicApp):
        """The real application; the sign-in window is answered as soon as it is ready."""

        pressed = 0.0
        signed_in = 0.0

        def _ask_sign_in(self, locked_user: Any) -> Any:
            if self.database is None and self.site is None:
                self._open_with_stored_key()  # while the user types: untimed
            app.processEvents()
            gc.collect()
            if profiler is not None:
                profiler.enable()
            SignedIn.pressed = time.perf_counter()
            clock.untargeted = 0
            me = self._sign_in(args.username, password)
            SignedIn.signed_in = time.perf_counter()
            return me

    if args.site:
        from clinic_app.storage.site import SiteSettings

        host, port, database, ca_file = args.site.split(",")
        site = SiteSettings(host=host, port=int(port), database=database, ca_file=ca_file)
        controller = SignedIn(Path("not-used.db"), site=site)
    else:
        controller = SignedIn(
            args.store / config.DATABASE_FILENAME, key_file=args.store / "clinic.key"
        )
    if not controller.start():
        raise SystemExit("sign-in failed")
    built = time.perf_counter()
    # A paint before the target is known would be missed; say so if one happened.
    paints_during_start = clock.untargeted
    window = controller.window
    assert window is not None and controller.database is not None
    target = window.home or window.caseload
    clock.watch(target)
    # Home's sections arrive from the background runner: the frame that counts is the one
    # painted after they are shown (each arrival starts the count of paints again).
    measuring = [True]
    appview.when_loaded(target, lambda: clock.watch(target) if measuring[0] else None)
    painted_ms = clock.wait(app, SignedIn.pressed, lambda: appview.content_loading(target))
    measuring[0] = False
    if profiler is not None:
        profiler.disable()
        figures["home_profile"] = _profile_text(profiler)
    figures["home"] = {
        "painted_ms": painted_ms,
        "sign_in_check_ms": (SignedIn.signed_in - SignedIn.pressed) * 1000,
        "window_built_ms": (built - SignedIn.pressed) * 1000,
        "target": "Home" if window.home is not None else "Caseload",
        "caseload_rows": appview.caseload_row_count(window.caseload)[1],
        "paints_before_the_window_was_known": paints_during_start,
    }
    # What signing in started after Home (the record's screens imported ahead) finishes
    # while the user looks at Home: memory is read once it has, and a record is opened
    # only then (a person takes longer than that to choose one).
    figures["home"]["settled_ms"] = _settle(app, controller, SignedIn.pressed)
    figures["memory_home_shown"] = memory_kb()

    if args.record is not None:
        figures["record"] = _records(
            app,
            clock,
            controller,
            args.record,
            reps=args.reps,
            profile=args.profile,
            raw_sql=not args.site,
        )
    if args.keystrokes:
        figures["keystrokes"] = _keystrokes(app, clock, window, profile=args.profile)
    figures["memory_end"] = memory_kb()
    print(json.dumps(figures))
    sys.stdout.flush()
    os._exit(0)  # no teardown: nothing more is measured


def _records(
    app: QApplication,
    clock: PaintClock,
    controller: Any,
    client_id: int,
    *,
    reps: int,
    profile: bool,
    raw_sql: bool = True,
) -> dict[str, Any]:
    from benchmarks.run import _raw_record

    window, database = controller.window, controller.database
    # When the last unit of work's result reached the view that asked for it: the record
    # is read on the runner, so "painted" means painted after that.
    delivered = [0.0]

    def note_delivery() -> None:
        delivered[0] = time.perf_counter()

    appview.after_each_delivery(controller, note_delivery)

    def idle() -> bool:
        return appview.runner_idle(controller)

    opens: list[float] = []
    visits: list[float] = []
    per_tab: dict[str, list[float]] = {}
    raw: list[float] = []
    rows = 0
    profiler = cProfile.Profile() if profile else None
    for rep in range(reps + 1):
        gc.collect()
        if profiler is not None and rep > 0:
            profiler.enable()
        started = time.perf_counter()
        delivered[0] = started
        view = window.open_client(client_id)
        assert view is not None, "the record did not open"
        clock.watch(view)
        opened = clock.wait_for_work(app, started, idle, delivered)
        tabs = appview.record_tabs(view)
        total = 0.0
        for index in range(tabs.count()):
            if index == tabs.currentIndex():
                continue
            widget = tabs.widget(index)
            assert widget is not None
            clock.watch(widget)
            started = time.perf_counter()
            delivered[0] = started
            tabs.setCurrentIndex(index)
            ms = clock.wait_for_work(app, started, idle, delivered)
            total += ms
            per_tab.setdefault(tabs.tabText(index), []).append(ms)
        if profiler is not None:
            profiler.disable()
        if rep == 0:
            first = {"open_ms": opened, "tabs_ms": total}
        else:
            opens.append(opened)
            visits.append(total)
        # Close the record as the user does (its tab's close button), then let Qt delete it.
        window.tabs.tabCloseRequested.emit(window.tabs.indexOf(view))
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        gc.collect()
        if not raw_sql:
            continue
        raw_ms, rows = _raw_record(database, client_id)  # interleaved: same load as the open
        if rep > 0:
            raw.append(raw_ms)
    out: dict[str, Any] = {
        "first_in_process": first,
        "open_ms": opens,
        "tabs_total_ms": visits,
        "per_tab_ms": per_tab,
        "raw_sql_ms": raw,
        "raw_rows": rows,
    }
    if profiler is not None:
        out["profile"] = _profile_text(profiler)
    return out


def _keystrokes(
    app: QApplication, clock: PaintClock, window: Any, *, profile: bool
) -> dict[str, Any]:
    caseload = window.caseload
    started = time.perf_counter()
    window.tabs.setCurrentWidget(caseload)
    clock.watch(caseload)
    shown_ms = clock.wait(app, started)
    # The caseload is read on the background runner: type once it is there.
    deadline = time.perf_counter() + 60
    while appview.caseload_row_count(caseload)[1] == 0 and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    box = appview.caseload_search_box(caseload)
    box.setFocus()
    samples: list[float] = []
    clearing: list[float] = []
    shown: dict[str, int] = {}

    def key(action: Callable[[], object]) -> float:
        clock.watch(caseload)
        began = time.perf_counter()
        action()
        return clock.wait(app, began)

    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    for _ in range(3):
        for text in TYPED:
            for char in text:
                samples.append(key(partial(QTest.keyClick, box, char)))
            shown[text] = appview.caseload_row_count(caseload)[0]
            clearing.append(
                key(lambda: QTest.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier))
            )
            clearing.append(key(lambda: QTest.keyClick(box, Qt.Key.Key_Backspace)))
    if profiler is not None:
        profiler.disable()
    return {
        **({"profile": _profile_text(profiler)} if profiler is not None else {}),
        "caseload_shown_ms": shown_ms,
        "keystroke_ms": samples,
        "select_all_and_delete_ms": clearing,
        "rows_shown_per_text": shown,
        "rows": appview.caseload_row_count(caseload)[1],
    }


if __name__ == "__main__":
    sys.exit(main())
