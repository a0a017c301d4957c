"""Referrals in the running application: read and saved off the GUI thread."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QDialog

from clinic_app.models.enums import ReferralStatus
from clinic_app.views.referrals.dialogs import ChangeStatusDialog, NewReferralDialog
from clinic_app.views.referrals.tab import ReferralsTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly, open_part, when_modal


def test_a_referral_is_written_and_sent_off_the_gui_thread(qtbot, start, seeded, monkeypatch):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    _view, tab = open_part(qtbot, app, "Referrals")
    assert isinstance(tab, ReferralsTab)
    before = {r.id for r in tab.referrals()}
    refused: list[str] = []

    def write(dialog: NewReferralDialog) -> None:
        # Building the form is the GUI's own work; saving must not stall the window.
        with no_stalls():
            dialog.service.setCurrentIndex(0)
            dialog.clinical_detail.setPlainText("Low mood for six months.")
            dialog.save_button.click()  # no reason: the service refuses
            qtbot.waitUntil(dialog.save_button.isEnabled)
            refused.append(dialog.errors._fields["reason"][1].text())
            assert dialog.clinical_detail.toPlainText() == "Low mood for six months."
            dialog.reason.setPlainText("Assessment of low mood.")
            dialog.save_button.click()
            qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)

    def send(dialog: ChangeStatusDialog) -> None:
        with no_stalls():
            dialog.choose(ReferralStatus.SENT)
            dialog.save_button.click()
            qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)

    # The form opens once the service directory has been read on the runner.
    asked = when_modal(NewReferralDialog, write)
    tab.open_new_referral()
    qtbot.waitUntil(lambda: bool(refused) and not asked.isActive())
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)
    with no_stalls():  # the list is read again
        qtbot.waitUntil(lambda: len({r.id for r in tab.referrals()} - before) == 1)
        qtbot.waitUntil(lambda: app.runner.idle)
    [new_id] = {r.id for r in tab.referrals()} - before
    selected = tab.selected_referral()
    assert selected is not None and selected.id == new_id
    assert selected.status is ReferralStatus.DRAFT
    asked_too = when_modal(ChangeStatusDialog, send)
    updated = tab.open_change_status(selected)
    assert updated is not None and updated.status is ReferralStatus.SENT
    with no_stalls():
        qtbot.waitUntil(lambda: app.runner.idle)
    assert not asked.isActive() and not asked_too.isActive()
    assert refused and refused[0]
    shown = tab.selected_referral()
    assert shown is not None and shown.id == new_id and shown.status is ReferralStatus.SENT
