"""Victims and others in the running application: read and saved off the GUI thread."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from clinic_app.views.third_parties.dialogs import PersonDialog
from clinic_app.views.third_parties.tab import ThirdPartiesTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly, open_part, when_modal


def test_a_person_is_recorded_off_the_gui_thread_and_a_refusal_keeps_the_form(
    qtbot, start, seeded, monkeypatch
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    _view, tab = open_part(qtbot, app, "Victims and others")
    assert isinstance(tab, ThirdPartiesTab)
    before = {p.id for p in tab.people()}
    refusals: list[str] = []

    def record(dialog: PersonDialog) -> None:
        # Building the form is the GUI's own work; saving must not stall the window.
        with no_stalls():
            dialog.relation.setCurrentIndex(0)
            dialog.phones.setPlainText("07700 900123")
            dialog.save_button.click()  # no name: the service refuses
            qtbot.waitUntil(dialog.save_button.isEnabled)
            refusals.append(dialog.errors._fields["name"][1].text())
            assert dialog.phones.toPlainText() == "07700 900123"  # the input is untouched
            dialog.name.setText("Sam Example")
            dialog.save_button.click()
            qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)

    asked = when_modal(PersonDialog, record)
    person = tab.open_add_person()
    assert person is not None and person.label
    with no_stalls():  # the list is read again
        qtbot.waitUntil(lambda: {p.id for p in tab.people()} - before == {person.id})
        qtbot.waitUntil(lambda: app.runner.idle)
    assert not asked.isActive()
    assert refusals and refusals[0]
    selected = tab.selected_person()
    assert selected is not None and selected.id == person.id
