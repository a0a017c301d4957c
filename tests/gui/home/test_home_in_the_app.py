"""Home in the whole application, over the real services: read on the background runner."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

from clinic_app.models.enums import Modality
from clinic_app.models.subject_access import RequesterKind
from clinic_app.services import appointments, clients, notes, subject_access
from clinic_app.views.sar.tab import SubjectAccessTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import settle
from tests.gui.stall import no_stalls


def _on_gui_thread(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "called on the GUI thread" in r.getMessage()]


def test_home_reads_off_the_gui_thread_and_after_a_save_only_what_changed(
    qtbot, start, seeded, caplog
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    home = app.window.home
    assert home is not None and app.window.tabs.currentWidget() is home
    assert not home.loading and home.current is not None  # the first load has arrived
    assert home.lists_area.isVisible()
    with no_stalls():
        with qtbot.waitSignal(home.loaded, timeout=10_000):
            home.refresh()  # F5: on the runner; the window keeps answering
        assert home.summary.text().startswith("3 clients on your caseload.")
    # A note signed elsewhere (here straight through the services) changes what reads
    # notes only: going back to Home reads those sections and nothing else.
    unsigned = home.items("unsigned_notes")
    assert unsigned, "the demo caseload has notes left unsigned"
    with app.database.transaction() as session:
        notes.sign_note(session, app.workspace.me, unsigned[0].item_id, password=STAFF_PASSWORD)
    assert set(home.stale_sections()) == {
        "appointments_today",  # an appointment's line says whether its note is signed
        "sessions_today",
        "sessions_this_week",
        "unsigned_notes",
        "measures_due",  # sessions attended count towards measures due
    }
    app.window.tabs.setCurrentWidget(app.window.caseload)
    app.window.tabs.setCurrentWidget(home)
    settle(qtbot, app)
    assert unsigned[0].item_id not in [i.item_id for i in home.items("unsigned_notes")]
    assert home.stale_sections() == []
    home.sections["unsigned_notes"].show_all_button.click()  # (shown or not: on the runner)
    settle(qtbot, app)
    called = _on_gui_thread(caplog)
    assert not [m for m in called if m.split()[0] in ("dashboard", "whole_section")], called


def test_todays_appointments_and_subject_access_requests_open_the_record_where_they_are_dealt_with(
    qtbot, start, seeded
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    app.workspace.gui_thread = threading.main_thread()
    app.workspace.strict = True  # any use case run on the GUI thread fails the test
    me = app.workspace.me
    today = date.today()
    with app.database.transaction() as session:
        first, second, *_ = clients.caseload(session, me, today=today)
        for client, at in ((second, time(16, 0)), (first, time(9, 0))):
            appointments.book(
                session,
                me,
                client.client.id,
                day=today,
                start_time=at,
                duration_minutes=50,
                modality=Modality.VIDEO,
                allow_overlap=True,
                today=today,
            )
        request = subject_access.register_request(
            session,
            me,
            second.client.id,
            received_on=today - timedelta(days=40),
            requester_kind=RequesterKind.CLIENT,
            requester_name="The client",
            identity_method="Passport seen",
            identity_checked_on=today - timedelta(days=40),
            today=today,
        )
    home = app.window.home
    assert home is not None
    with no_stalls():
        # Coming back to Home reads the sections whose tables changed, on the runner.
        assert {"appointments_today", "subject_access"} <= set(home.stale_sections())
        app.window.tabs.setCurrentWidget(app.window.caseload)
        app.window.tabs.setCurrentWidget(home)
        settle(qtbot, app)
        booked = home.items("appointments_today")
        assert [(i.client_id, i.at) for i in booked] == [
            (first.client.id, time(9, 0)),
            (second.client.id, time(16, 0)),
        ]
        [asked] = home.items("subject_access")
        assert (asked.item_id, asked.flag) == (request.id, "Overdue")
        assert home.sections["subject_access"].table.isVisible()
    # The first record opened in a process imports the record's screens (timed apart by
    # the benchmarks): open another client's record at these parts once, outside the watch.
    app.window.open_at(first.client.id, "Subject access")
    qtbot.waitUntil(lambda: app.window.current_client_id() == first.client.id)
    [warm] = app.window.record_views()
    qtbot.waitUntil(lambda: _current_tab(warm) == "Subject access", timeout=10_000)
    warm.show_tab("Sessions")
    settle(qtbot, app)
    app.window._on_close_current()
    settle(qtbot, app)
    app.window.tabs.setCurrentWidget(home)
    with no_stalls():
        # Opening the request goes to the record's Subject access tab.
        home.open_item(asked)
        qtbot.waitUntil(lambda: app.window.current_client_id() == second.client.id)
        [record] = app.window.record_views()
        qtbot.waitUntil(lambda: _current_tab(record) == "Subject access", timeout=10_000)
        settle(qtbot, app)
        part = record.current_part()
        assert isinstance(part, SubjectAccessTab)
        assert part.table.currentIndex().row() == part.model.row_with_id(request.id)
    with no_stalls():
        # And an appointment opens the record's Sessions tab.
        app.window.tabs.setCurrentWidget(home)
        home.open_item(booked[1])
        qtbot.waitUntil(lambda: _current_tab(record) == "Sessions", timeout=10_000)
        settle(qtbot, app)
    # The caseload shows the appointment booked today as the next one.
    app.window.caseload.refresh()
    settle(qtbot, app)
    lines = {line.row.client.id: line.row for line in app.window.caseload.model.lines()}
    assert lines[first.client.id].next_appointment == datetime.combine(today, time(9, 0))


def _current_tab(record) -> str:
    holder = record.tabs.currentWidget()
    return getattr(holder, "title", "")
