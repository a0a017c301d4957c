"""The caseload in the running application: read off the GUI thread, filtered in memory."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from clinic_app.views.caseload import model as caseload_model
from clinic_app.views.caseload.view import LOADING, CaseloadView
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly


def test_the_caseload_is_read_off_the_gui_thread_and_filtered_as_typed(
    qtbot, start, seeded, monkeypatch
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    caseload = app.window.caseload
    assert isinstance(caseload, CaseloadView)
    if caseload.model.rowCount() == 0:  # still on its way: it says so, not "no clients"
        assert caseload.empty_label.text() in (LOADING, "")
    app.window.tabs.setCurrentWidget(caseload)
    qtbot.waitUntil(lambda: app.runner.idle)
    first = caseload.model.line(0).row.client
    threads: set[threading.Thread] = set()
    real_prepare = caseload_model.prepare_line

    def prepare(row, today):
        threads.add(threading.current_thread())
        return real_prepare(row, today)

    monkeypatch.setattr(caseload_model, "prepare_line", prepare)
    with no_stalls():
        caseload.refresh()  # as after any change: read again on the runner
        qtbot.waitUntil(lambda: app.runner.idle)
        assert caseload.model.rowCount() == 3
        assert threads and threading.main_thread() not in threads  # lines made off it too
        caseload.select_client(first.id)
        for key in first.family_name[:3]:
            qtbot.keyClick(caseload.search_box, key)
        assert first.id in [
            caseload.proxy.client_id_at(r) for r in range(caseload.proxy.rowCount())
        ]
        assert caseload.selected_client_id() == first.id  # still selected while shown
        qtbot.keyClick(caseload.search_box, "q")
        qtbot.keyClick(caseload.search_box, "z")
        assert caseload.proxy.rowCount() == 0
        assert caseload.pages.currentIndex() == 1  # "No clients match your search."
        caseload.search_box.clear()
        assert caseload.proxy.rowCount() == 3
    with qtbot.waitSignal(caseload.client_activated) as activated:
        caseload.select_client(first.id)
        qtbot.keyClick(caseload.table, Qt.Key.Key_Return)
    assert activated.args == [first.id]
