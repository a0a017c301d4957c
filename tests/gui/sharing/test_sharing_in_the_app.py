"""The Summaries tab in the running application: a partner summary prepared, previewed and
exported off the GUI thread, and the register exported as CSV.

The file saved must be exactly the pages previewed and checked: the preview's bytes never
leave memory, and the export writes the document the service checked again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from clinic_app.models.enums import Gateway
from clinic_app.services.sharing.lexicon import load_lexicon
from clinic_app.views.sharing import register as register_view
from clinic_app.views.sharing import wizard as summary_wizard
from clinic_app.views.sharing.document_wizards import PartnerSummaryWizard
from clinic_app.views.sharing.tab import SummariesTab
from clinic_app.views.sharing.wizard import Step
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly, open_part, when_modal


def step_of(wizard: PartnerSummaryWizard) -> Step:
    """The step shown now (read afresh: a click moves the wizard on)."""
    step: Step = wizard.current_step
    return step


@pytest.fixture
def save_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(
        register_view,
        "ask_save_path",
        lambda parent, title, suggested, filters: str(folder / Path(suggested).name),
    )
    monkeypatch.setattr(summary_wizard, "ask_keep_reason", lambda parent, why: "Needed for safety")
    monkeypatch.setattr(register_view, "show_message", lambda parent, title, text: None)
    return folder


def test_a_partner_summary_is_made_off_the_gui_thread_and_saved_as_previewed(
    qtbot, start, seeded, monkeypatch, save_in
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    _view, tab = open_part(qtbot, app, "Summaries")
    assert isinstance(tab, SummariesTab)
    before = {e.id for e in tab.entries()}
    previewed: list[bytes] = []
    exported: list[object] = []

    def idle() -> None:
        qtbot.waitUntil(lambda: app.runner.idle)

    def make(wizard: PartnerSummaryWizard) -> None:
        details = wizard.details
        assert details.audience is not None
        qtbot.waitUntil(lambda: details.audience.findData("police") >= 0)  # audiences read
        details.audience.setCurrentIndex(details.audience.findData("police"))
        details.recipient_agency.setText("Metropolitan Police")
        details.purpose.setPlainText("Quarterly review")
        details.gateway.setCurrentIndex(details.gateway.findData(Gateway.CDA_S115))
        details.told_yes.setChecked(True)
        # Building the wizard is the GUI's own work; preparing, checking, drawing and
        # saving the document must not stall the window.
        with no_stalls():
            wizard.next_button.click()
            idle()
            assert step_of(wizard) is Step.WORDING, wizard.page_errors.text()
            for row in list(wizard.review.rows):
                row.keep_button.click()
                idle()
            wizard.next_button.click()
            idle()
        assert step_of(wizard) is Step.PREVIEW and wizard.rendered is not None
        previewed.append(wizard.rendered.data)
        wizard.next_button.click()
        for box in wizard.caldicott.boxes.values():
            box.setChecked(True)
        wizard.next_button.click()
        assert step_of(wizard) is Step.SAVE
        wizard.exported.connect(exported.append)
        with no_stalls():
            wizard.next_button.click()
            assert not wizard.next_button.isEnabled()  # while the service checks and saves
            qtbot.waitUntil(lambda: bool(exported))
        wizard.cancel_button.click()  # Close

    # The wording lists are compiled once per process, in C, holding the interpreter lock
    # for about 100 ms: the worker would stall the window once. Compile them beforehand.
    app.runner.run(load_lexicon, lambda _lexicon: None)
    idle()
    asked = when_modal(PartnerSummaryWizard, make)
    tab.partner_button.click()
    qtbot.waitUntil(lambda: len({e.id for e in tab.entries()} - before) == 1)
    idle()
    assert not asked.isActive()
    [result] = exported
    saved = Path(result.path).read_bytes()  # type: ignore[attr-defined]
    assert previewed == [saved]  # exactly the pages read and checked
    entry = tab.selected_entry()
    assert entry is not None and entry.document_sha256 == hashlib.sha256(saved).hexdigest()

    with no_stalls():
        tab.export_button.click()
        assert not tab.export_button.isEnabled()
        qtbot.waitUntil(tab.export_button.isEnabled)
    csv = (save_in / "disclosure-register-client.csv").read_text(encoding="utf-8")
    assert entry.document_id in csv


def test_a_partner_summary_reopened_after_a_lock_gets_its_audience_back(
    qtbot, start, seeded, monkeypatch
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    _view, tab = open_part(qtbot, app, "Summaries")
    assert isinstance(tab, SummariesTab)
    kept: list[tuple[str, str]] = []

    def look(wizard: PartnerSummaryWizard) -> None:
        details = wizard.details
        assert details.audience is not None
        qtbot.waitUntil(lambda: details.audience.count() > 0)  # the audiences arrived
        kept.append((details.audience.currentText(), details.purpose.toPlainText()))
        wizard.reject()

    asked = when_modal(PartnerSummaryWizard, look)
    state = {"Audience: who the document is for": {"index": 1, "text": "Probation"}}
    state |= {"Purpose of sharing": "Quarterly review"}
    assert tab.reopen_form("partner_summary", {}, state)
    qtbot.waitUntil(lambda: app.runner.idle)
    assert not asked.isActive()
    assert kept and kept[0][0] == "Probation"
