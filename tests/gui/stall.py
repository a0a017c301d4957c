"""Fail a GUI test when the event loop stalls: the window would freeze for the user.

``no_stalls`` starts a timer that should fire every few milliseconds on the GUI thread and
records the longest gap between two firings while the block runs. Work done on the GUI
thread (a query, a sleep, a slow slot) shows as a gap; work handed to the background
runner does not. The test drives the screen inside the block and waits with ``qtbot``
(which runs the event loop) for what it expects to appear.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

STALL_LIMIT_MS = 100.0
TICK_MS = 5


@dataclass
class StallWatch:
    """The longest time the GUI thread was away from its event loop, and when."""

    limit_ms: float
    worst_ms: float = 0.0
    ticks: int = 0
    gaps: list[float] = field(default_factory=list)


@contextmanager
def no_stalls(limit_ms: float = STALL_LIMIT_MS) -> Iterator[StallWatch]:
    """Fail (AssertionError) if the event loop stalls longer than ``limit_ms`` in the block."""
    watch = StallWatch(limit_ms)
    # The test run's own heap (every earlier test's leftovers: over a million objects late
    # in a run) is collected before the watch, not during it. A full pass over it holds
    # the GUI thread for some hundreds of milliseconds, a measure of the test process and
    # not of the application; and after a full pass, Python makes no other until the
    # oldest generation has grown by a quarter, which no block here comes near.
    gc.collect()
    timer = QTimer()
    timer.setInterval(TICK_MS)
    last = time.perf_counter()

    def tick() -> None:
        nonlocal last
        now = time.perf_counter()
        gap = (now - last) * 1000
        watch.ticks += 1
        watch.gaps.append(gap)
        watch.worst_ms = max(watch.worst_ms, gap)
        last = now

    timer.timeout.connect(tick)
    timer.start()
    try:
        yield watch
        # The block's last statement may itself have stalled the loop: let one more tick
        # measure it.
        until = time.perf_counter() + 0.05
        ticks = watch.ticks
        while watch.ticks == ticks or time.perf_counter() < until:
            QApplication.processEvents()
            time.sleep(0.001)
    finally:
        timer.stop()
    assert watch.worst_ms <= limit_ms, (
        f"the event loop stalled for {watch.worst_ms:.0f} ms (limit {limit_ms:.0f} ms): "
        "work ran on the GUI thread"
    )
