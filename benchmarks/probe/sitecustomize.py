"""Start probe for a real ``clinic-app`` process (benchmarks only; never shipped).

The start benchmark puts this directory first on ``PYTHONPATH`` and sets
``CLINIC_BENCH_PROBE=1``. Python then imports this module at start-up, before the
application's own code. It changes nothing until ``clinic_app.app`` has been imported in
the normal course of events; then it replaces the sign-in window class there with a
subclass that, once its first frame is painted, prints
``painted <CLOCK_MONOTONIC seconds>`` (when the last widget of that frame began painting)
on stdout, and it wraps ``ClinicApp._database_opened`` (called on the GUI thread once the
runner has opened the database, while the user types) to print ``prepared <seconds>``.
Once both are printed the process ends at once (``os._exit``), without touching the
database. Nothing runs and nothing is imported early, so the process does exactly what
``clinic-app`` does up to its first paint.

If the application gains a marker of its own (see benchmarks/README.md), this goes.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import time
from typing import Any

APP_MODULE = "clinic_app.app"  # keep in step with benchmarks/appview.py
SIGN_IN_DIALOG_NAME = "SignInDialog"

_seen: set[str] = set()


def _mark(what: str, when: float | None = None) -> None:
    if what in _seen:
        return
    _seen.add(what)
    print(f"{what} {time.monotonic() if when is None else when:.6f}", flush=True)
    if {"painted", "prepared"} <= _seen:
        os._exit(0)


def _patch(module: Any) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    base = getattr(module, SIGN_IN_DIALOG_NAME)

    class PaintClock(QObject):
        """The time each paint of a widget in the sign-in window ends (the frame's last)."""

        def __init__(self, window: QWidget) -> None:
            super().__init__(window)
            self.window = window
            self.last = 0.0

        def eventFilter(self, watched: Any, event: Any) -> bool:
            if (
                event.type() == QEvent.Type.Paint
                and isinstance(watched, QWidget)
                and watched.window() is self.window
            ):
                first = self.last == 0.0
                self.last = time.monotonic()
                if first:
                    # Runs once the paint event (the whole frame) has been handled.
                    QTimer.singleShot(0, lambda: _mark("painted", self.last))
            return False

    class ProbedSignIn(base):  # type: ignore[misc, valid-type]
        def showEvent(self, event: Any) -> None:
            if not hasattr(self, "_paint_clock"):
                self._paint_clock = PaintClock(self)
                QApplication.instance().installEventFilter(self._paint_clock)
            super().showEvent(event)

    setattr(module, SIGN_IN_DIALOG_NAME, ProbedSignIn)
    opened = module.ClinicApp._database_opened

    def probed_opened(self: Any) -> None:
        opened(self)
        _mark("prepared")

    module.ClinicApp._database_opened = probed_opened


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != APP_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if os.environ.get("CLINIC_BENCH_PROBE") == "1":
    sys.meta_path.insert(0, _Finder())
