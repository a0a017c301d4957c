"""Opening a record in the whole application, whose runner works off the GUI thread.

The record's tab appears at once and fills in when the runner has read it; these helpers
wait (running the event loop) until what a test is about to look at has arrived.
"""

from __future__ import annotations

from typing import Any

from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.record.window import ClientRecordView
from tests.gui.conftest import settle

TIMEOUT_MS = 20_000

__all__ = ["open_record", "settle", "show_part"]


def open_record(qtbot: Any, app: Any, client_id: int) -> ClientRecordView:
    """Open a client's record in the app's window and wait until it is shown."""
    view = app.window.open_client(client_id)
    assert view is not None, "the record was refused"
    qtbot.waitUntil(lambda: view.is_open, timeout=TIMEOUT_MS)
    settle(qtbot, app)
    return view


def show_part(qtbot: Any, app: Any, view: ClientRecordView, title: str) -> RecordPart:
    """Make one part of the record current and wait until it has read what it shows."""
    part = view.show_tab(title)
    assert part is not None, f"no part titled {title}"
    settle(qtbot, app)
    return part
