"""Run the whole application with the Workspace guard strict: no use case on the GUI thread.

``guard_strictly(app, monkeypatch)`` makes sure the guard is on (``workspace.gui_thread``
and ``workspace.strict``); ``open_part`` opens a record at one part with everything loaded;
``when_modal`` answers a dialog that opens after a read on the runner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from clinic_app.services.workspace import Workspace


def guard_strictly(app: Any, monkeypatch: Any) -> Workspace:
    """Refuse every use case run on the GUI thread (as the test runs already do; kept so
    that a test says it depends on it)."""
    workspace: Workspace = app.workspace
    workspace.gui_thread = threading.main_thread()
    workspace.strict = True
    return workspace


def open_part(qtbot: Any, app: Any, title: str) -> tuple[Any, Any]:
    """Open the first client of the caseload at one part of the record, everything loaded."""
    caseload = app.window.caseload
    qtbot.waitUntil(lambda: caseload.model.rowCount() > 0)
    client_id = caseload.model.line(0).row.client.id
    view = app.window.open_client(client_id)
    part = view.show_tab(title)
    qtbot.waitUntil(lambda: app.runner.idle)
    return view, part


def when_modal(kind: type, answer: Callable[[Any], None]) -> QTimer:
    """Call ``answer`` with the modal dialog of ``kind`` as soon as one is open.

    Dialogs that open after a read on the background runner appear a moment later than
    the click that asked for them; this looks every few milliseconds. If ``answer`` fails,
    the dialog is closed so the test ends (with the failure) rather than waiting on it.
    """
    timer = QTimer()
    timer.setInterval(5)

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None and isinstance(dialog, kind):
            timer.stop()
            try:
                answer(dialog)
            except BaseException:
                dialog.close()  # a failed check must not leave the test waiting on a dialog
                raise

    timer.timeout.connect(look)
    timer.start()
    return timer
