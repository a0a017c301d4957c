"""A bare PySide6 window process, probed the same way as ``clinic-app`` (baseline).

Prints ``painted <CLOCK_MONOTONIC seconds>`` after its first paint, then its peak
resident memory as ``peak_kb <n>``, and ends.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget


def peak_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Bare(QWidget):
    painted = 0.0

    def paintEvent(self, event: object) -> None:
        # Timed as the probe times clinic-app's sign-in window: when the paint begins.
        if not Bare.painted:
            Bare.painted = time.monotonic()
            QTimer.singleShot(0, done)
        super().paintEvent(event)  # type: ignore[arg-type]


def done() -> None:
    print(f"painted {Bare.painted:.6f}", flush=True)
    print(f"peak_kb {peak_kb()}", flush=True)
    os._exit(0)


app = QApplication(sys.argv)
window = Bare()
window.resize(400, 300)
window.show()
app.exec()
