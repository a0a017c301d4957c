"""The quarterly police summary, counted: what was chosen last quarter is offered again.

Issue 16's figure: a quarterly police summary for a client who had one last quarter takes
at most 12 actions. The test performs them in the running application and counts each
click, choice and key press from the Summaries tab to the saved file (typing nothing:
the recipient, purpose, gateway and "client told" come from last quarter's register
entry, and the period starts the day after last quarter's ended).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from clinic_app.models.enums import DisclosureKind, Gateway
from clinic_app.services.sharing import disclosures
from clinic_app.services.sharing.lexicon import load_lexicon
from clinic_app.views.sharing import register as register_view
from clinic_app.views.sharing.document_wizards import PartnerSummaryWizard
from clinic_app.views.sharing.tab import SummariesTab
from clinic_app.views.sharing.wizard import Step
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import outside
from tests.gui.strict import guard_strictly, open_part, when_modal

MOST_ACTIONS = 12


def step_of(wizard: PartnerSummaryWizard) -> Step:
    """The step shown now (read afresh: a click moves the wizard on)."""
    step: Step = wizard.current_step
    return step


def test_a_quarterly_police_summary_takes_at_most_12_actions(
    qtbot, start, seeded, monkeypatch, tmp_path
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    view, tab = open_part(qtbot, app, "Summaries")
    assert isinstance(tab, SummariesTab)
    today = date.today()
    last_quarter_ended = today - timedelta(days=1)
    outside(app).call(
        disclosures.record_disclosure,
        kind=DisclosureKind.PARTNER_SUMMARY,
        client_id=view.client_id,
        audience="police",
        recipient_agency="Metropolitan Police, Stalking Unit",
        recipient_person="DC Priya Patel",
        purpose="Quarterly review of the client's engagement for the stalking protection order.",
        gateway=Gateway.CDA_S115,
        client_informed=True,
        document_sha256="a" * 64,
        payload={},
        period_from=last_quarter_ended - timedelta(days=90),
        period_to=last_quarter_ended,
    )
    saved_as: list[str] = []

    actions = 0

    def act(do) -> None:  # one click, choice or key press of the clinician's
        nonlocal actions
        actions += 1
        do()
        qtbot.waitUntil(lambda: app.runner.idle)

    def save_dialog(_parent, _title, suggested, _filters) -> str:
        nonlocal actions
        actions += 1  # Enter: the suggested name is what the document is
        saved_as.append(Path(suggested).name)
        return str(tmp_path / Path(suggested).name)

    monkeypatch.setattr(register_view, "ask_save_path", save_dialog)
    monkeypatch.setattr(register_view, "show_message", lambda parent, title, text: None)
    exported: list[object] = []

    def make(wizard: PartnerSummaryWizard) -> None:
        details = wizard.details
        assert details.audience is not None
        qtbot.waitUntil(lambda: details.audience.findData("police") >= 0)
        act(lambda: details.audience.setCurrentIndex(details.audience.findData("police")))
        # Last quarter's choices are offered, and the new period follows on from it.
        assert details.recipient_agency.text() == "Metropolitan Police, Stalking Unit"
        assert details.recipient_person.text() == "DC Priya Patel"
        assert details.purpose.toPlainText().startswith("Quarterly review")
        assert details.chosen_gateway() is Gateway.CDA_S115
        assert details.client_informed() is True
        assert details.period() == (today, today)  # from the day after last quarter's end
        assert "Filled in from the summary sent to Police" in details.remembered.text()
        act(wizard.next_button.click)
        if step_of(wizard) is Step.WORDING:
            for row in list(wizard.review.rows):
                act(row.keep_button.click)
            act(wizard.next_button.click)
        assert step_of(wizard) is Step.PREVIEW, wizard.page_errors.text()
        act(wizard.next_button.click)
        for box in wizard.caldicott.boxes.values():
            act(lambda box=box: box.setChecked(True))
        act(wizard.next_button.click)
        assert step_of(wizard) is Step.SAVE
        wizard.exported.connect(exported.append)
        act(wizard.next_button.click)
        qtbot.waitUntil(lambda: bool(exported))
        wizard.cancel_button.click()  # Close: the work is done, not counted

    app.runner.run(load_lexicon, lambda _lexicon: None)
    qtbot.waitUntil(lambda: app.runner.idle)
    asked = when_modal(PartnerSummaryWizard, make)
    act(tab.partner_button.click)
    qtbot.waitUntil(lambda: bool(exported) and not asked.isActive())
    assert actions <= MOST_ACTIONS, f"{actions} actions"
    [name] = saved_as
    assert name.startswith("Progress summary ") and " Police " in name
    assert f"{today.isoformat()} to {today.isoformat()}" in name


@pytest.fixture(autouse=True)
def _no_keep_reason(monkeypatch):
    from clinic_app.views.sharing import wizard as summary_wizard

    monkeypatch.setattr(summary_wizard, "ask_keep_reason", lambda parent, why: "Needed for safety")
