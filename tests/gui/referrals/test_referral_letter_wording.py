"""The referral letter's own words, edited before it is issued, through the real services."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from clinic_app.models.enums import Gateway, ReferralStatus, ReferralUrgency, ServiceKind
from clinic_app.services import referrals, service_directory
from clinic_app.services.sharing import letters
from clinic_app.views.referrals import dialogs as referral_dialogs
from clinic_app.views.referrals.dialogs import LetterDialog


@pytest.fixture
def dialog(qtbot, db, admin, psychologist, client_id):
    with db.transaction() as session:
        service = service_directory.add_service(
            session, admin, name="Demo Forensic Service", kind=ServiceKind.FORENSIC
        ).id
        row = referrals.create_referral(
            session,
            psychologist,
            client_id,
            service_id=service,
            reason="Assessment requested.",
            urgency=ReferralUrgency.ROUTINE,
            created_on=date.today(),
        )

    def preview(referral_id, **kwargs):
        with db.session() as session:
            return letters.preview_referral_letter(session, psychologist, referral_id, **kwargs)

    def issue(referral_id, out, **kwargs):
        with db.transaction() as session:
            return letters.issue_referral_letter(session, psychologist, referral_id, out, **kwargs)

    view = LetterDialog(row, preview(row.id), issue, redraw=preview)
    qtbot.addWidget(view)
    view.referral_db = (db, psychologist)  # type: ignore[attr-defined]
    return view


def test_the_edited_opening_is_drawn_and_issued_and_the_referral_is_sent(
    dialog, qtbot, tmp_path, monkeypatch
):
    assert dialog.salutation.text() == "Dear colleague,"
    dialog.opening.setPlainText("Thank you for speaking with me about Alex on Monday.")
    assert not dialog.save_button.isEnabled()  # the pages shown are no longer the letter
    qtbot.mouseClick(dialog.redraw_button, Qt.MouseButton.LeftButton)
    assert dialog.save_button.isEnabled()
    assert dialog.preview_data.wording is not None
    assert dialog.preview_data.wording.opening.startswith("Thank you for speaking")
    out = tmp_path / "letter.pdf"
    monkeypatch.setattr(referral_dialogs, "ask_save_path", lambda _parent, _suggested: out)
    dialog.gateway.setCurrentIndex(dialog._gateways.index(Gateway.DPA_SCH1_PARA2))
    dialog.told_yes.setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.issued is not None and out.read_bytes() == dialog.preview_data.data
    db, psychologist = dialog.referral_db
    with db.session() as session:
        row = referrals.get_referral(session, psychologist, dialog.referral.id)
    assert row.status is ReferralStatus.SENT  # no longer "Draft / Not sent"


def test_a_victims_name_in_the_opening_is_shown_beside_it(dialog, qtbot, db, psychologist):
    from clinic_app.models.enums import ThirdPartyRelation
    from clinic_app.services import third_parties

    with db.transaction() as session:
        third_parties.add_third_party(
            session,
            psychologist,
            dialog.referral.client_id,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM, name="Jane Victimson"
            ),
        )
    dialog.opening.setPlainText("He still writes to Jane.")
    qtbot.mouseClick(dialog.redraw_button, Qt.MouseButton.LeftButton)
    assert "never leave the service" in dialog.opening.accessibleDescription()
    assert not dialog.save_button.isEnabled()
    assert dialog.opening.toPlainText() == "He still writes to Jane."
