"""Documents in the running application: attached, listed and opened off the GUI thread, and
the temporary copy gone when the user signs out."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from clinic_app.models import DocumentClass
from clinic_app.views.documents import tab as view
from clinic_app.views.documents.dialogs import AttachDocumentDialog
from clinic_app.views.documents.tab import DocumentsTab
from tests.conftest import STAFF_PASSWORD
from tests.gui.stall import no_stalls
from tests.gui.strict import guard_strictly, open_part, when_modal

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def test_a_document_is_attached_opened_and_its_copy_removed_at_sign_out(
    qtbot, start, seeded, monkeypatch, tmp_path
):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    guard_strictly(app, monkeypatch)
    _view, tab = open_part(qtbot, app, "Documents")  # building widgets is the GUI's work
    assert isinstance(tab, DocumentsTab)
    source = tmp_path / "minutes.pdf"
    source.write_bytes(PDF)
    refusals: list[str] = []

    def attach(dialog: AttachDocumentDialog) -> None:
        with no_stalls():
            dialog.path.setText(str(tmp_path / "setup.exe"))
            dialog.title.setText("MAPPA minutes")
            dialog.received_from.setText("MAPPA panel")
            dialog.class_buttons[DocumentClass.THIRD_PARTY].setChecked(True)
            dialog.save_button.click()  # not a kind that can be attached
            qtbot.waitUntil(dialog.save_button.isEnabled)
            refusals.append(dialog.errors._fields["file"][1].text())
            assert dialog.title.text() == "MAPPA minutes"  # the input is untouched
            dialog.path.setText(str(source))
            dialog.save_button.click()
            qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)

    asked = when_modal(AttachDocumentDialog, attach)
    attached = tab.open_attach()
    assert attached is not None and attached.title == "MAPPA minutes"
    assert refusals and "not a kind of file that can be attached" in refusals[0]
    with no_stalls():
        qtbot.waitUntil(lambda: [d.id for d in tab.documents()] == [attached.id])
        qtbot.waitUntil(lambda: app.runner.idle)
    assert not asked.isActive()
    assert tab.model.display(tab.documents()[0], view.DocumentColumn.ADDED_BY) == "Dr Jones"

    shown = []
    monkeypatch.setattr(view, "open_in_viewer", lambda path: shown.append(path) or True)
    with no_stalls():
        tab.open_document()
        qtbot.waitUntil(lambda: bool(shown))
    [copy] = shown
    assert copy.read_bytes() == PDF
    app.sign_out()
    assert not copy.exists()


def test_locking_the_screen_removes_the_copies(qtbot, start, seeded, monkeypatch, tmp_path):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD), ("dr.jones", STAFF_PASSWORD)])
    _view, tab = open_part(qtbot, app, "Documents")
    source = tmp_path / "letter.txt"
    source.write_text("A letter from the probation service.", encoding="utf-8")

    def attach(dialog: AttachDocumentDialog) -> None:
        dialog.path.setText(str(source))
        dialog.title.setText("Probation letter")
        dialog.received_from.setText("Probation service")
        dialog.class_buttons[DocumentClass.CLINICAL].setChecked(True)
        dialog.save_button.click()
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted)

    when_modal(AttachDocumentDialog, attach)
    assert tab.open_attach() is not None
    qtbot.waitUntil(lambda: len(tab.documents()) == 1)
    shown = []
    monkeypatch.setattr(view, "open_in_viewer", lambda path: shown.append(path) or True)
    tab.open_document()
    qtbot.waitUntil(lambda: bool(shown))
    assert shown[0].suffix == ".txt" and shown[0].exists()
    app.lock()
    assert not shown[0].exists()
