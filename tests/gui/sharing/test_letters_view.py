"""Writing a letter on screen: filled from the template, edited, checked, issued."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from clinic_app.models.enums import DisclosureKind, LetterKind, ThirdPartyRelation
from clinic_app.services import third_parties
from clinic_app.services.sharing import disclosures, template_letters
from clinic_app.views.sharing import letters as letters_view
from clinic_app.views.sharing.letters import LetterActions, WriteLetterDialog

TODAY = date(2026, 3, 20)


def _actions(db, by):
    def draft(client_id, kind):
        with db.session() as session:
            return template_letters.draft_letter(session, by, client_id, kind, today=TODAY)

    def preview(client_id, text):
        with db.session() as session:
            return template_letters.preview_letter(session, by, client_id, text, issued_on=TODAY)

    def issue(client_id, text, out, **kwargs):
        with db.transaction() as session:
            return template_letters.issue_letter(session, by, client_id, text, out, **kwargs)

    return LetterActions(draft=draft, preview=preview, issue=issue)


@pytest.fixture
def dialog(qtbot, db, psychologist, client_id):
    with db.transaction() as session:
        third_parties.add_third_party(
            session,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM, name="Jane Victimson"
            ),
        )
    view = WriteLetterDialog(client_id, _actions(db, psychologist), kind=LetterKind.GP_UPDATE)
    qtbot.addWidget(view)
    return view


def test_the_letter_opens_filled_from_the_template(dialog):
    assert dialog.salutation.text() == "Dear colleague,"
    assert "Alex Example" in dialog.body.toPlainText()
    assert "Dr Jones" in dialog.signature.text()
    assert dialog.gateway.isVisibleTo(dialog)
    dialog.kind.setCurrentIndex(list(LetterKind).index(LetterKind.DID_NOT_ATTEND))
    assert dialog.recipient.text() == "Alex Example"
    assert not dialog.gateway.isVisibleTo(dialog)  # a letter to the client needs no gateway


def test_a_victims_name_is_refused_beside_the_body_and_the_text_is_kept(dialog, qtbot):
    dialog.recipient.setText("Dr Smith, Demo Surgery")
    dialog.body.setPlainText("Alex has not contacted Jane this month.")
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    assert dialog.current_preview is None
    assert not dialog.issue_button.isEnabled()
    shown = dialog.body.accessibleDescription()
    assert "never leave the service" in shown and "Jane" not in shown
    assert dialog.body.toPlainText() == "Alex has not contacted Jane this month."
    # The message goes as soon as the body is changed.
    dialog.body.setPlainText("Alex attends every week.")
    assert dialog.body.accessibleDescription() == ""


def test_an_edited_letter_is_previewed_and_issued_into_the_register(
    dialog, qtbot, db, psychologist, client_id, tmp_path, monkeypatch
):
    out = tmp_path / "letter.pdf"
    monkeypatch.setattr(letters_view, "ask_save_path", lambda _parent, _suggested: out)
    dialog.recipient.setText("Dr Smith, Demo Surgery")
    dialog.body.setPlainText("Alex attends every week and is engaging well.")
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    assert dialog.current_preview is not None and dialog.issue_button.isEnabled()
    qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    assert dialog.issued is not None
    assert out.read_bytes() == dialog.current_preview.data
    with db.session() as session:
        (entry,) = disclosures.register_for_client(session, psychologist, client_id)
    assert (entry.kind, entry.recipient_agency) == (DisclosureKind.LETTER, "Dr Smith, Demo Surgery")


def test_editing_after_the_preview_asks_for_a_new_preview(dialog, qtbot):
    dialog.recipient.setText("Dr Smith, Demo Surgery")
    dialog.body.setPlainText("Alex attends every week.")
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    assert dialog.issue_button.isEnabled()
    dialog.body.setPlainText("Alex attends every week, on Tuesdays.")
    assert not dialog.issue_button.isEnabled()
