"""Run the whole application with the Workspace guard strict: no use case on the GUI thread.

``guard_strictly(app, monkeypatch)`` switches the guard on as the application will once
every view is converted (``workspace.gui_thread`` and ``workspace.strict``). Use cases of
screens that are converted separately, and still called on the GUI thread here, are named
in :data:`CONVERTED_ELSEWHERE` and let through, so a test of one part of the record can be
strict about that part; empty the set as those screens move to the background runner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from clinic_app.services.workspace import Workspace

CONVERTED_ELSEWHERE = frozenset(
    {
        # opening a record (app.py) and its Overview
        "open_client",
        "display_names",
        "read_record",
        "client_details",
        "client_team",
        "client_summary",
        "known_sites",
        "clinical_staff",
        "protection",
        # Sessions, Plan, Measures, Home, search
        "notes_for_client",
        "drafts_to_recover",
        "plans_for_client",
        "revisions",
        "goal_progress",
        "results_for_client",
        "measures_due",
        "available_measures",
        "schedules_for_client",
        "critical_reviews",
        "awaiting_risk_review",
        "dashboard",
        "search_notes",
        "waiting_forms",
        "take_open_forms",
    }
)


def guard_strictly(app: Any, monkeypatch: Any) -> Workspace:
    """Refuse every use case on the GUI thread, but those of :data:`CONVERTED_ELSEWHERE`."""
    workspace: Workspace = app.workspace
    gui = threading.main_thread()
    workspace.gui_thread = gui
    workspace.strict = True
    real_call = workspace.call

    def call(use_case: Any, /, *args: Any, **kwargs: Any) -> Any:
        name = getattr(use_case, "__name__", "")
        if name in CONVERTED_ELSEWHERE and threading.current_thread() is gui:
            # Only the GUI thread ever compares itself with the guard's thread, so lifting
            # it here for one call leaves the worker's calls as they were.
            workspace.gui_thread = None
            try:
                return real_call(use_case, *args, **kwargs)
            finally:
                workspace.gui_thread = gui
        return real_call(use_case, *args, **kwargs)

    monkeypatch.setattr(workspace, "call", call)
    return workspace


def open_part(qtbot: Any, app: Any, title: str) -> tuple[Any, Any]:
    """Open the first client of the caseload at one part of the record, everything loaded.

    The part's ``changed`` no longer reloads the other parts: those reloads belong to
    screens converted separately (:data:`CONVERTED_ELSEWHERE`), whose work on the GUI
    thread would be counted against this part by ``no_stalls``.
    """
    caseload = app.window.caseload
    qtbot.waitUntil(lambda: caseload.model.rowCount() > 0)
    client_id = caseload.model.line(0).row.client.id
    view = app.window.open_client(client_id)
    part = view.show_tab(title)
    qtbot.waitUntil(lambda: app.runner.idle)
    part.changed.disconnect(view._on_tab_changed)
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
