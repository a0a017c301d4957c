"""Home in the whole application, over the real services: read on the background runner."""

from __future__ import annotations

from clinic_app.services import notes
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
