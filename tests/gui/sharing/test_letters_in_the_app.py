"""A letter written from the Summaries tab of the running application, off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from clinic_app.models.enums import DisclosureKind, LetterKind
from clinic_app.services.sharing.lexicon import load_lexicon
from clinic_app.views.sharing import letters as letters_view
from clinic_app.views.sharing.letters import WriteLetterDialog
from clinic_app.views.sharing.tab import SummariesTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly, open_part, when_modal


def test_a_gp_letter_is_written_checked_and_issued_into_the_register(
    qtbot, start, seeded, monkeypatch, tmp_path: Path
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    _view, tab = open_part(qtbot, app, "Summaries")
    assert isinstance(tab, SummariesTab) and tab.letter_button.isVisibleTo(tab)
    before = {e.id for e in tab.entries()}
    out = tmp_path / "letter.pdf"
    monkeypatch.setattr(letters_view, "ask_save_path", lambda _parent, _suggested: out)

    def idle() -> None:
        qtbot.waitUntil(lambda: app.runner.idle)

    def write(dialog: WriteLetterDialog) -> None:
        idle()  # the template, filled from the record, has arrived
        assert dialog.chosen_kind() is LetterKind.GP_UPDATE
        assert dialog.salutation.text() == "Dear colleague,"
        dialog.recipient.setText("Dr N Okonkwo, Riverside Practice")
        dialog.body.setPlainText("Attending weekly and engaging well.")
        with no_stalls():
            dialog.preview_button.click()
            idle()
            assert dialog.current_preview is not None, dialog.recipient.accessibleDescription()
            dialog.issue_button.click()
            qtbot.waitUntil(lambda: dialog.issued is not None)

    app.runner.run(load_lexicon, lambda _lexicon: None)
    idle()
    asked = when_modal(WriteLetterDialog, write)
    tab.letter_button.click()
    qtbot.waitUntil(lambda: len({e.id for e in tab.entries()} - before) == 1)
    assert not asked.isActive()
    entry = tab.selected_entry()
    assert entry is not None and entry.kind is DisclosureKind.LETTER
    assert out.exists()
