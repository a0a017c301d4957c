"""A critical questionnaire answer in the whole application, over the real services: its
alert stands until that administration is reviewed, the dashboard opens it, and a risk
event recorded from the Measures tab is recorded as its review."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialog

from clinic_app.models.enums import RiskEventKind, Urgency
from clinic_app.services import clients, critical_items, measures, risk
from clinic_app.views.measures.tab import MeasuresTab
from clinic_app.views.risk import tab as risk_view
from clinic_app.views.risk.dialogs import RiskEventDialog
from clinic_app.wording import RISK_EVENT_DESCRIBED
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import outside
from tests.gui.record.opening import open_record, settle, show_part

# PHQ-9 version 2, item 9 answered "More than half the days" (2); demo clients answer 0.
ANSWERS: dict[int, int | None] = {item: 2 if item == 9 else 1 for item in range(1, 10)}


def _give_phq9_with_item_9(app) -> tuple[int, int]:
    """A client of the signed-in user, and a PHQ-9 given to them today with item 9 at 2."""
    client_id = outside(app).call(clients.caseload)[0].client.id
    row = outside(app).call(
        measures.record_administration,
        client_id,
        measure_id="phq-9",
        measure_version="2",
        administered_on=date.today(),
        answers=ANSWERS,
    )
    return client_id, row.id


def _measures_tab(qtbot, app, client_id: int) -> MeasuresTab:
    view = open_record(qtbot, app, client_id)
    tab = show_part(qtbot, app, view, "Measures")
    assert isinstance(tab, MeasuresTab)
    return tab


def test_a_later_unrelated_risk_event_does_not_end_the_alert(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    client_id, administration_id = _give_phq9_with_item_9(app)
    # Recorded after the answers, about something else: it is not their review.
    outside(app).call(
        risk.record_risk_event,
        client_id,
        kind=RiskEventKind.CONTACT_WITH_VICTIM,
        urgency=Urgency.ROUTINE,
        occurred_on=date.today(),
        detail="Sent a birthday card to the victim's workplace.",
    )
    tab = _measures_tab(qtbot, app, client_id)
    assert tab.alert.isVisible()
    assert [b.administration_id for b in tab.alert.blocks] == [administration_id]
    assert "More than half the days" in tab.alert.lines[0]

    # The dashboard lists it, and its line opens the Measures tab on that administration.
    home = app.window.home
    assert home is not None
    app.window.tabs.setCurrentWidget(home)  # back to Home: it reads what changed
    settle(qtbot, app)
    [line] = [i for i in home.items("critical_answers") if i.item_id == administration_id]
    tab.show_measure("gad-7")  # elsewhere first, so opening has to find it
    home.open_item(line)
    settle(qtbot, app)
    assert app.window.record_views()[0].tab("Measures") is tab
    assert tab.isVisible() and tab.current_measure_id() == "phq-9"
    assert tab.selected_line() is not None and tab.selected_line().id == administration_id


def test_a_risk_event_recorded_from_the_alert_is_its_review(qtbot, start, seeded, monkeypatch):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    client_id, administration_id = _give_phq9_with_item_9(app)
    tab = _measures_tab(qtbot, app, client_id)
    saved: list[int] = []

    def fill_and_save(dialog: QDialog) -> int:
        assert isinstance(dialog, RiskEventDialog)
        kinds = list(RISK_EVENT_DESCRIBED)
        dialog.kind.setCurrentIndex(kinds.index(RiskEventKind.MENTAL_STATE_DETERIORATION))
        dialog.urgency_buttons[Urgency.SOON].setChecked(True)
        dialog.occurred_on.setDate(QDate.currentDate())
        dialog.detail.setPlainText("Item 9 answered: thoughts of self-harm; safety plan reviewed.")
        dialog.save_button.click()
        # Saved on the background runner: the dialog is accepted when the event is stored.
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)
        saved.append(dialog.result())
        return dialog.result()

    def event_ids() -> set[int]:
        return {e.id for e in outside(app).call(risk.events_for_client, client_id)}

    before = event_ids()
    monkeypatch.setattr(risk_view, "exec_dialog", fill_and_save)
    tab.alert.blocks[0].risk_button.click()
    settle(qtbot, app)
    assert saved == [QDialog.DialogCode.Accepted]
    [new_event] = event_ids() - before
    reviews = outside(app).call(critical_items.critical_reviews, client_id)
    assert reviews[administration_id].risk_event_id == new_event
    assert not tab.alert.isVisible()
    tab = _measures_tab(qtbot, app, client_id)  # the record may have been rebuilt around it
    tab.select_administration(administration_id)
    assert "Risk event recorded by Dr" in tab.details.toPlainText()
    assert administration_id not in outside(app).call(
        critical_items.awaiting_risk_review, client_id
    )
