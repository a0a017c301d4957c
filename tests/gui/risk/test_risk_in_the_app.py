"""The Risk tab in the running application: events are read and saved off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog

from clinic_app.models.enums import RiskEventKind, ShareDecisionKind, Urgency
from clinic_app.views.risk.dialogs import RiskEventDialog, ShareDecisionDialog
from clinic_app.views.risk.tab import RiskTab
from clinic_app.wording import RISK_EVENT_DESCRIBED
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly, open_part, when_modal


def test_a_risk_event_and_its_share_decision_are_saved_off_the_gui_thread(
    qtbot, start, seeded, monkeypatch
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    _view, risk = open_part(qtbot, app, "Risk")
    assert isinstance(risk, RiskTab)
    before = len(risk.events())
    typed = "Said he would wait outside her work."

    # Building a form is the GUI's own work; saving must not stall the window.
    def record_event(dialog: RiskEventDialog) -> None:
        dialog.kind.setCurrentIndex(
            list(RISK_EVENT_DESCRIBED).index(RiskEventKind.DISCLOSED_INTENT)
        )
        dialog.occurred_on.setDate(QDate.currentDate())
        dialog.detail.setPlainText(typed)
        dialog.urgency_buttons[Urgency.URGENT].setChecked(True)
        dialog.shareable_statement.setPlainText("Disclosed intent to approach the victim.")
        with no_stalls():
            dialog.save_button.click()
            assert not dialog.save_button.isEnabled()  # until the service has answered
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # a save on its way is not cancelled
            assert dialog.isVisible() and dialog.saved_event is None
            qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)

    def decide(dialog: ShareDecisionDialog) -> None:
        assert dialog.prompt.isVisible()  # urgent: the decision is asked for at once
        dialog.do_not_share.setChecked(True)
        dialog.reason.setPlainText("Police already informed by the victim.")
        dialog.client_told.setChecked(True)
        with no_stalls():
            dialog.save_button.click()
            qtbot.waitUntil(dialog.recorded.isVisible)
        assert "Dr" in dialog.recorded.text()  # who decided, read with the decision
        dialog.close_button.click()

    asked = [when_modal(RiskEventDialog, record_event), when_modal(ShareDecisionDialog, decide)]
    event = risk.open_new_event()
    assert event is not None and event.detail == typed
    with no_stalls():  # the events are read again
        qtbot.waitUntil(lambda: len(risk.events()) == before + 1)
        qtbot.waitUntil(lambda: app.runner.idle)
    assert not any(timer.isActive() for timer in asked)
    shown = risk.selected_event()
    assert shown is not None and shown.id == event.id
    assert shown.decision is not None and shown.decision.decision is ShareDecisionKind.NOT_SHARED
