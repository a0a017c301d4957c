"""The background runner: work off the GUI thread, results back on it, newer wins."""

from __future__ import annotations

import gc
import sys
import threading
import time

import pytest
from PySide6.QtWidgets import QWidget

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.services import clients
from clinic_app.services.workspace import CalledOnGuiThread, Workspace
from clinic_app.views.common import feedback
from clinic_app.views.common import runner as runner_module
from clinic_app.views.common.runner import InlineRunner, Runner
from tests.gui.stall import no_stalls


@pytest.fixture
def work_runner(qtbot):
    made = Runner()
    yield made
    made.stop()


def settle(qtbot, made: Runner) -> None:
    qtbot.waitUntil(lambda: made.idle, timeout=5000)


def test_work_runs_off_the_gui_thread_and_the_result_comes_back_on_it(qtbot, work_runner):
    seen: dict[str, object] = {}

    def work() -> int:
        seen["work"] = threading.current_thread()
        return 42

    def done(result: int) -> None:
        seen["done"] = threading.current_thread()
        seen["result"] = result

    work_runner.run(work, done)
    settle(qtbot, work_runner)
    assert seen["result"] == 42
    assert seen["work"] is not threading.main_thread()
    assert seen["done"] is threading.main_thread()


def test_units_of_work_run_in_the_order_they_were_asked_for(qtbot, work_runner):
    order: list[int] = []
    for n in range(20):
        work_runner.run(lambda n=n: order.append(n) or n, lambda _r: None)
    settle(qtbot, work_runner)
    assert order == list(range(20))


def test_a_newer_request_with_the_same_key_supersedes_the_older(qtbot, work_runner):
    release = threading.Event()
    ran: list[str] = []
    delivered: list[str] = []

    def slow(name: str) -> str:
        ran.append(name)
        release.wait(5)
        return name

    work_runner.run(lambda: slow("first"), delivered.append, key="search")
    qtbot.waitUntil(lambda: ran == ["first"])  # running now: its result will be dropped
    work_runner.run(lambda: slow("second"), delivered.append, key="search")  # waits, superseded
    work_runner.run(lambda: slow("third"), delivered.append, key="search")
    work_runner.run(lambda: "other", delivered.append, key="other")
    release.set()
    settle(qtbot, work_runner)
    assert ran == ["first", "third"]  # the second never started
    assert delivered == ["third", "other"]


def test_cancel_drops_the_result(qtbot, work_runner):
    delivered: list[int] = []
    release = threading.Event()
    work_runner.run(lambda: release.wait(5) and 1, delivered.append, key="k")
    work_runner.cancel("k")
    release.set()
    settle(qtbot, work_runner)
    assert delivered == []


def test_a_known_error_goes_to_failed_or_is_shown(qtbot, work_runner, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(feedback, "show_error", lambda _p, e, **_k: shown.append(e.message))
    failed: list[ClinicError] = []

    def refuse() -> None:
        raise ValidationError("The date is in the future.")

    work_runner.run(refuse, lambda _r: pytest.fail("done must not be called"), failed=failed.append)
    work_runner.run(refuse, lambda _r: pytest.fail("done must not be called"))
    settle(qtbot, work_runner)
    assert [type(e) for e in failed] == [ValidationError]
    assert shown == [failed[0].message]


def test_a_bug_in_the_work_reaches_the_excepthook(qtbot, work_runner, monkeypatch):
    hooked: list[type[BaseException]] = []
    monkeypatch.setattr("sys.excepthook", lambda kind, _v, _tb: hooked.append(kind))
    work_runner.run(lambda: 1 / 0, lambda _r: None)
    settle(qtbot, work_runner)
    assert hooked == [ZeroDivisionError]


def test_nothing_is_delivered_to_a_widget_that_is_gone(qtbot, work_runner):
    widget = QWidget()
    delivered: list[int] = []
    release = threading.Event()
    work_runner.run(lambda: release.wait(5) and 1, delivered.append, parent=widget)
    widget.deleteLater()
    qtbot.waitUntil(lambda: not runner_module.shiboken6.isValid(widget))
    release.set()
    settle(qtbot, work_runner)
    assert delivered == []


class Mortal:
    """Records the thread it is freed on (a stand-in for a widget, which must die on the GUI
    thread)."""

    freed_on: list[str]

    def __init__(self, freed_on: list[str]) -> None:
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


def ask_holding(work_runner: Runner, held: Mortal, got: list[int]) -> None:
    """A request whose unit of work and callback both hold ``held``."""
    work_runner.run(lambda: 1 if held else 0, lambda result: got.append(result) if held else None)


def test_what_a_request_holds_is_let_go_on_the_gui_thread(qtbot, work_runner):
    freed_on: list[str] = []
    got: list[int] = []
    ask_holding(work_runner, Mortal(freed_on), got)  # nothing else holds it
    settle(qtbot, work_runner)
    assert got == [1]
    # The worker moves on to another request: it must not be the one to let go.
    work_runner.run(lambda: 2, got.append)
    settle(qtbot, work_runner)
    assert got == [1, 2]
    assert freed_on == [threading.main_thread().name]


def test_cycles_made_by_the_work_are_collected_on_the_gui_thread_only(qtbot, work_runner):
    assert not gc.isenabled()  # automatic collection would run on whichever thread allocates
    freed_on: list[str] = []

    def make_cycles() -> list[list[int]]:
        litter: list[list[int]] = []
        for _ in range(5):
            first: list[object] = [Mortal(freed_on)]
            second: list[object] = [Mortal(freed_on)]
            first.append(second)
            second.append(first)
            del first, second
            # Enough new objects to pass the youngest generation's threshold several times.
            litter += [[n] for n in range(gc.get_threshold()[0] * 3)]
        return litter

    kept: list[list[list[int]]] = []  # the new objects stay: the collector is due
    work_runner.run(make_cycles, kept.append)
    settle(qtbot, work_runner)
    qtbot.waitUntil(lambda: len(freed_on) == 10, timeout=5000)
    assert set(freed_on) == {threading.main_thread().name}


def test_automatic_collection_is_back_when_the_last_runner_stops(qtbot):
    was_enabled = gc.isenabled()
    first, second = Runner(), Runner()
    try:
        assert not gc.isenabled()
        first.stop()
        assert not gc.isenabled()  # the second still runs
    finally:
        first.stop()
        second.stop()
    assert gc.isenabled() == was_enabled


def test_while_runners_run_the_gui_thread_waits_less_for_the_interpreter(qtbot):
    before = sys.getswitchinterval()
    first, second = Runner(), Runner()
    try:
        assert sys.getswitchinterval() == min(before, runner_module.SWITCH_INTERVAL_S)
        assert sys.getswitchinterval() < 0.005  # Python's default
        first.stop()
        first.stop()  # stopping twice lets go once
        assert sys.getswitchinterval() == min(before, runner_module.SWITCH_INTERVAL_S)
    finally:
        first.stop()
        second.stop()
    assert sys.getswitchinterval() == before


def test_the_window_says_it_is_busy_only_when_work_takes_longer_than_a_moment(qtbot, work_runner):
    changes: list[bool] = []
    work_runner.busy_changed.connect(changes.append)
    work_runner.run(lambda: 1, lambda _r: None)
    settle(qtbot, work_runner)
    assert changes == []
    release = threading.Event()
    work_runner.run(lambda: release.wait(5), lambda _r: None)
    qtbot.waitUntil(lambda: changes == [True], timeout=2000)
    release.set()
    settle(qtbot, work_runner)
    assert changes == [True, False]


def test_the_stall_helper_fails_on_work_done_on_the_gui_thread(qtbot, work_runner):
    with pytest.raises(AssertionError, match="stalled"), no_stalls():
        qtbot.wait(20)
        time.sleep(0.25)  # the GUI thread is away from its event loop
    with no_stalls():  # the same wait on the runner's thread leaves the window responsive
        work_runner.run(lambda: time.sleep(0.25), lambda _r: None)
        settle(qtbot, work_runner)


def test_a_use_case_called_on_the_gui_thread_is_refused(qtbot, db, psychologist, work_runner):
    workspace = Workspace(db, psychologist, gui_thread=threading.main_thread(), strict=True)
    with pytest.raises(CalledOnGuiThread):
        workspace.call(clients.caseload)
    got: list[object] = []
    work_runner.run(lambda: workspace.call(clients.caseload), got.append)
    settle(qtbot, work_runner)
    assert got == [[]]


def test_the_inline_runner_has_the_same_contract(qtbot, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(feedback, "show_error", lambda _p, e, **_k: shown.append(e.message))
    inline = InlineRunner()
    got: list[int] = []
    inline.run(lambda: 3, got.append)

    def refuse() -> None:
        raise ClinicError("No.")

    inline.run(refuse, lambda _r: None)
    assert got == [3]
    assert shown == ["No."]


def test_a_stopped_runner_says_so_and_takes_no_more_work(qtbot):
    made = Runner()
    assert made.running
    made.stop()
    assert not made.running
    with pytest.raises(RuntimeError):
        made.run(lambda: 1, lambda _result: None)
