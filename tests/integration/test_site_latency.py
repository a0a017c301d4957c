"""A site 20 ms away: the window never stalls while opening a record, searching or saving.

The real application signs in to a site through a proxy that holds every reply from the
server 20 ms (a round trip across a trust's network, see ``benchmarks/site.py``), and the
event loop is watched (``no_stalls``: no gap over 100 ms) while a record opens, a note
search runs and a note is saved.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from benchmarks.site import DelayProxy
from clinic_app.models.enums import Attendance, Modality, Role
from clinic_app.services import notes
from clinic_app.views.sessions.tab import SessionsTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.integration.test_site_sign_in import _client
from tests.integration.test_site_window import WAIT_MS, SiteApp

LATENCY_S = 0.020


@pytest.fixture
def far_site(fresh_site):  # type: ignore[no-untyped-def]
    """A psychologist with a client of 30 notes, and the site seen through the proxy."""
    from clinic_app.services import clients

    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    with fresh_site.owner.begin() as conn:
        conn.execute(
            text("UPDATE staff_user SET must_change_password = false WHERE id = :i"),
            {"i": jones.id},
        )
    with fresh_site.owner_db().transaction() as session:
        made = clients.register_client(session, jones, _client("FAR-1", "Farclient"))
        for day in range(30):
            notes.create_draft(
                session,
                jones,
                made.id,
                notes.NoteContent(
                    session_date=date.today() - timedelta(days=60 - 2 * day),
                    duration_minutes=50,
                    modality=Modality.IN_PERSON,
                    attendance=Attendance.ATTENDED,
                    agenda=f"Session {day}: rumination and the garage again.",
                ),
            )
    gc.collect()
    gc.freeze()  # see test_site_window.small_heap: the test run's own heap is not the app's
    with DelayProxy(fresh_site.settings.port, LATENCY_S) as proxy:
        yield replace(fresh_site.settings, port=proxy.port), jones, made.id
    gc.unfreeze()


def test_twenty_ms_away_the_window_never_stalls_opening_searching_or_saving(qtbot, far_site):
    settings, jones, client_id = far_site
    app = SiteApp(settings, [(jones.username, STAFF_PASSWORD)])
    try:
        assert app.start()
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: app.runner.idle, timeout=WAIT_MS)
        window = app.window
        with no_stalls() as opening:
            view = window.open_client(client_id)
            qtbot.waitUntil(lambda: app.runner.idle, timeout=WAIT_MS)
            assert view is not None and window.current_client_id() == client_id
            sessions = view.show_tab("Sessions")
            qtbot.waitUntil(lambda: app.runner.idle, timeout=WAIT_MS)
        assert opening.ticks > 0 and isinstance(sessions, SessionsTab)
        assert sessions.model.rowCount() == 30
        search = window.search
        assert search is not None
        window.tabs.setCurrentWidget(search)
        with no_stalls():
            qtbot.keyClicks(search.search_box, "garage")
            qtbot.waitUntil(lambda: search.model.rowCount() > 0, timeout=WAIT_MS)
            qtbot.waitUntil(lambda: app.runner.idle, timeout=WAIT_MS)
        assert search.model.rowCount() == 30
        window.tabs.setCurrentWidget(view)
        # Building the editor's widgets is the GUI's own work; what is watched is the save,
        # which goes to the server.
        editor = sessions.new_note()
        qtbot.keyClicks(editor.focusWidget() or editor, "Talked about the week.")
        with no_stalls():
            saved: list[object] = []
            editor.save(saved.append)
            qtbot.waitUntil(lambda: bool(saved), timeout=WAIT_MS)
            qtbot.waitUntil(lambda: app.runner.idle, timeout=WAIT_MS)
        with app.workspace.database.session() as session:  # type: ignore[union-attr]
            assert len(notes.notes_for_client(session, jones, client_id)) == 31
    finally:
        app.idle.pause()
        app.runner.stop()
        app.close_database()
        # The listener is told to stop without the window waiting for it; the test waits,
        # so that no thread of this test is left running into the next.
        for thread in threading.enumerate():
            if thread.name.startswith("clinic-app listener"):
                thread.join(10)
