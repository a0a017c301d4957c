"""An administrator keeps the wording of letters in the window."""

from __future__ import annotations

import threading

import pytest

from clinic_app.models.enums import LetterKind
from clinic_app.services.sharing import letter_templates
from clinic_app.views.admin.view import AdministrationView
from tests.conftest import ADMIN_PASSWORD
from tests.gui.conftest import settle
from tests.gui.stall import no_stalls


@pytest.fixture
def page(qtbot, start, seeded):
    app = start(seeded, [("admin", ADMIN_PASSWORD)])
    app.workspace.gui_thread = threading.main_thread()
    app.workspace.strict = True
    home = app.window.home
    assert isinstance(home, AdministrationView) and home.letters is not None
    settle(qtbot, app)
    return app, home.letters


def _stored(app, kind: LetterKind) -> letter_templates.TemplateRow:
    app.workspace.strict = False  # the test itself reads the database
    try:
        rows = app.workspace.call(letter_templates.list_templates)
    finally:
        app.workspace.strict = True
    return next(row for row in rows if row.kind is kind)


def _choose(letters, kind: LetterKind) -> None:
    letters.kinds.setCurrentRow(list(LetterKind).index(kind))


def test_the_administrator_changes_and_restores_a_letters_wording(qtbot, page):
    app, letters = page
    assert letters.kinds.count() == len(LetterKind)
    _choose(letters, LetterKind.DID_NOT_ATTEND)
    assert letters.salutation.text() == "Dear {client_name},"
    letters.sign_off.setText("With best wishes,")
    with no_stalls():
        letters.save_button.click()
        settle(qtbot, app)
    assert "Saved the wording" in letters.status.text()
    assert _stored(app, LetterKind.DID_NOT_ATTEND).sign_off == "With best wishes,"
    assert "(changed)" in letters.kinds.currentItem().text()
    letters.restore_button.click()
    settle(qtbot, app)
    assert letters.sign_off.text() == "Yours sincerely,"


def test_an_unknown_placeholder_is_shown_under_the_body_and_nothing_is_saved(qtbot, page):
    app, letters = page
    _choose(letters, LetterKind.GP_UPDATE)
    letters.body.setPlainText("Dear Dr {gp_name}, about {client_name}.")
    letters.save_button.click()
    settle(qtbot, app)
    message = letters.body.accessibleDescription()
    assert "{gp_name}, which a letter cannot fill" in message
    assert "{client_name}" in message  # the placeholders that exist are listed
    assert letters.body.toPlainText() == "Dear Dr {gp_name}, about {client_name}."
    assert not _stored(app, LetterKind.GP_UPDATE).changed
    # The message goes as soon as the body is changed.
    letters.body.setPlainText("About {client_name}.")
    assert letters.body.accessibleDescription() == ""


def test_the_signature_block_of_a_clinicians_letters_is_kept_in_the_window(
    qtbot, page, monkeypatch
):
    from PySide6.QtWidgets import QInputDialog

    from clinic_app.services import staff
    from clinic_app.views.admin.view import AdministrationView

    app, _letters = page
    home = app.window.home
    assert isinstance(home, AdministrationView)
    accounts = home.accounts
    row = next(i for i, r in enumerate(accounts.model.items()) if r.username == "dr.jones")
    accounts.table.selectRow(row)
    answers = iter(["Clinical Psychologist", "01632 960 123"])
    monkeypatch.setattr(
        QInputDialog, "getText", staticmethod(lambda *_args, **_kw: (next(answers), True))
    )
    accounts.details_button.click()
    settle(qtbot, app)
    assert "Saved the signature block" in accounts.status.text()
    app.workspace.strict = False
    try:
        users = app.workspace.call(staff.list_users)
    finally:
        app.workspace.strict = True
    [jones] = [u for u in users if u.username == "dr.jones"]
    assert (jones.job_title, jones.contact) == ("Clinical Psychologist", "01632 960 123")
