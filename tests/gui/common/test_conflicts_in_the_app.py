"""Two people, one record, in the running application: a save over a change saved meanwhile
opens the conflict dialog, off the GUI thread, and no one's text is lost."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from clinic_app.models.enums import ThirdPartyRelation
from clinic_app.services import third_parties
from clinic_app.views.common.conflict import ConflictDialog
from clinic_app.views.third_parties.dialogs import PersonDialog
from clinic_app.views.third_parties.tab import ThirdPartiesTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import outside
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly, open_part, when_modal

SAM = third_parties.ThirdPartyInput(relation=ThirdPartyRelation.VICTIM, name="Sam Example")


def test_a_simultaneous_edit_opens_the_conflict_dialog_and_loses_no_text(
    qtbot, start, seeded, monkeypatch
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    caseload = app.window.caseload
    qtbot.waitUntil(lambda: caseload.model.rowCount() > 0)
    client_id = caseload.model.line(0).row.client.id
    elsewhere = outside(app)  # the same record open on another workstation
    person = elsewhere.call(third_parties.add_third_party, client_id, SAM)
    _view, tab = open_part(qtbot, app, "Victims and others")
    assert isinstance(tab, ThirdPartiesTab)
    shown: dict[str, object] = {}

    def edit(dialog: PersonDialog) -> None:
        # Saved on the other workstation while this form is open.
        elsewhere.call(
            third_parties.update_third_party,
            person.id,
            third_parties.ThirdPartyInput(
                relation=SAM.relation, name=SAM.name, advocate_service="Paladin"
            ),
            expected_version=person.version,
        )
        dialog.wishes.setPlainText("No contact at her workplace.")
        with no_stalls():
            dialog.save_button.click()
            qtbot.waitUntil(lambda: any(d.isVisible() for d in dialog.findChildren(ConflictDialog)))
        (conflict,) = dialog.findChildren(ConflictDialog)
        shown["saved"] = conflict.saved["wishes_and_concerns"].toPlainText()
        shown["mine"] = conflict.mine["wishes_and_concerns"].toPlainText()
        assert dialog.wishes.toPlainText() == "No contact at her workplace."  # kept meanwhile
        with no_stalls():
            conflict.save_mine_button.click()
            qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)

    asked = when_modal(PersonDialog, edit)
    row = tab.open_edit_person(person)
    qtbot.waitUntil(lambda: app.runner.idle)
    assert not asked.isActive()
    assert row is not None
    assert shown == {"saved": "", "mine": "No contact at her workplace."}
    (now,) = [
        p
        for p in elsewhere.call(third_parties.third_parties_for_client, client_id)
        if p.id == person.id
    ]
    assert now.wishes_and_concerns == "No contact at her workplace."  # mine
    assert now.advocate_service == "Paladin"  # and the other workstation's, both kept
    assert now.version == 3
