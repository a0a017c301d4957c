"""The Documents tab with fakes: attach (a refusal keeps the form as typed), list with who
and when, open through a private temporary copy that is removed afterwards, mark in error;
and once in the running application, with the real services, off the GUI thread."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog

from clinic_app.errors import Problem, ValidationError
from clinic_app.models import DocumentClass
from clinic_app.services.documents import DocumentDetails, DocumentFile, DocumentRow
from clinic_app.views.documents import copies as copies_module
from clinic_app.views.documents import dialogs
from clinic_app.views.documents import tab as view
from clinic_app.views.documents.actions import DocumentsActions
from clinic_app.views.documents.copies import TemporaryCopies
from clinic_app.views.documents.dialogs import AttachDocumentDialog, MarkInErrorDialog
from clinic_app.views.documents.models import ENTERED_IN_ERROR, NO_DOCUMENTS, DocumentColumn
from clinic_app.views.documents.tab import DocumentsTab

CLIENT_ID = 7
TODAY = date(2026, 3, 18)
PDF = b"%PDF-1.4\n%%EOF\n"


def row(ident: int, **changes: Any) -> DocumentRow:
    values: dict[str, Any] = {
        "id": ident,
        "client_id": CLIENT_ID,
        "title": f"Police report {ident}",
        "received_from": "Metropolitan Police",
        "received_on": date(2026, 3, ident),
        "document_class": DocumentClass.THIRD_PARTY,
        "file_name": f"report-{ident}.pdf",
        "media_type": "application/pdf",
        "size_bytes": 820 * 1024,
        "content_sha256": "ab" * 32,
        "added_by": 2,
        "added_at": datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
        "entered_in_error_at": None,
        "entered_in_error_by": None,
        "entered_in_error_reason": "",
    }
    return DocumentRow(**(values | changes))


class Fakes:
    """In-memory documents: attach refuses a missing title as the service would."""

    def __init__(self, rows: list[DocumentRow] | None = None) -> None:
        self.rows = list(rows or [])
        self.attached: list[tuple[int, DocumentDetails, Path]] = []
        self.opened: list[int] = []

    def actions(self) -> DocumentsActions:
        return DocumentsActions(
            documents_for_client=lambda client_id: list(self.rows),
            attach_file=self.attach,
            open_document=self.open,
            mark_entered_in_error=self.mark,
            describe_staff=lambda staff_id: {2: "Dr Jones"}.get(staff_id, "someone"),
            today=lambda: TODAY,
        )

    def attach(self, client_id: int, details: DocumentDetails, path: Path) -> DocumentRow:
        problems = []
        if not details.title.strip():
            problems.append(Problem("title", "The title is required."))
        if details.document_class is None:
            problems.append(Problem("document_class", "Say whether it is clinical."))
        if problems:
            raise ValidationError(problems)
        self.attached.append((client_id, details, path))
        new = row(
            len(self.rows) + 1,
            title=details.title,
            received_from=details.received_from,
            received_on=details.received_on,
            document_class=details.document_class,
            file_name=path.name,
        )
        self.rows.append(new)
        return new

    def open(self, document_id: int) -> DocumentFile:
        self.opened.append(document_id)
        return DocumentFile(document_id, "Police report", ".pdf", PDF)

    def mark(self, document_id: int, *, reason: str) -> DocumentRow:
        if not reason.strip():
            raise ValidationError("The reason is required.", where="reason")
        i = next(i for i, r in enumerate(self.rows) if r.id == document_id)
        self.rows[i] = replace(
            self.rows[i],
            entered_in_error_at=datetime(2026, 3, 18, 10, 0, tzinfo=UTC),
            entered_in_error_by=2,
            entered_in_error_reason=reason.strip(),
        )
        return self.rows[i]


def make(qtbot, fakes: Fakes, tmp_path: Path) -> DocumentsTab:  # type: ignore[no-untyped-def]
    tab = DocumentsTab(CLIENT_ID, fakes.actions(), copies=TemporaryCopies(tmp_path / "copies"))
    qtbot.addWidget(tab)
    return tab


def answer(monkeypatch, kind: type, script) -> list[QDialog]:  # type: ignore[no-untyped-def]
    shown: list[QDialog] = []

    def run(dialog: QDialog) -> int:
        assert isinstance(dialog, kind)
        shown.append(dialog)
        script(dialog)
        return dialog.result()

    monkeypatch.setattr(view, "exec_dialog", run)
    return shown


def test_an_empty_record_says_what_the_tab_is_for(qtbot, tmp_path):
    tab = make(qtbot, Fakes(), tmp_path)
    assert tab.empty.text() == NO_DOCUMENTS and "20 MB" in NO_DOCUMENTS
    assert tab.open_button.isHidden() and not tab.attach_button.isHidden()


def test_the_list_says_who_added_each_and_when(qtbot, tmp_path):
    tab = make(qtbot, Fakes([row(1), row(2, document_class=DocumentClass.CLINICAL)]), tmp_path)
    assert [d.id for d in tab.documents()] == [2, 1]  # newest received first
    model = tab.model
    line = {c: model.display(tab.documents()[0], c) for c in DocumentColumn}
    assert line[DocumentColumn.ADDED_BY] == "Dr Jones"
    assert line[DocumentColumn.ADDED].startswith("10/03/2026")
    assert line[DocumentColumn.CLASS] == "Clinical"
    assert line[DocumentColumn.KIND] == "PDF, 820 KB"
    text = tab.details.toPlainText()
    assert "Added by: Dr Jones, 10/03/2026" in text and "never leaves" in text


def test_attaching_keeps_the_form_when_refused_then_lists_the_document(
    qtbot, tmp_path, monkeypatch
):
    fakes = Fakes()
    tab = make(qtbot, fakes, tmp_path)
    chosen = tmp_path / "Police report 3 March.pdf"
    monkeypatch.setattr(dialogs, "choose_file", lambda parent, start: str(chosen))
    seen: dict[str, str] = {}

    def fill(dialog: AttachDocumentDialog) -> None:
        dialog.browse_button.click()
        assert dialog.path.text() == str(chosen)
        assert dialog.title.text() == "Police report 3 March"  # from the file's name
        dialog.title.clear()
        dialog.received_from.setText("Metropolitan Police")
        dialog.save_button.click()  # no title, no class: refused, the form as typed
        seen["title"] = dialog.errors._fields["title"][1].text()
        seen["class"] = dialog.errors._fields["document_class"][1].text()
        assert dialog.received_from.text() == "Metropolitan Police"
        assert dialog.result() != QDialog.DialogCode.Accepted
        dialog.title.setText("Police report")
        dialog.class_buttons[DocumentClass.THIRD_PARTY].setChecked(True)
        dialog.save_button.click()

    answer(monkeypatch, AttachDocumentDialog, fill)
    attached = tab.open_attach()
    assert seen == {"title": "The title is required.", "class": "Say whether it is clinical."}
    assert attached is not None and attached.title == "Police report"
    [(client_id, details, path)] = fakes.attached
    assert (client_id, path) == (CLIENT_ID, chosen)
    assert details.document_class is DocumentClass.THIRD_PARTY
    assert details.received_on == TODAY
    assert [d.id for d in tab.documents()] == [attached.id]
    assert "attached" in tab.message.text()


def test_opening_writes_a_private_copy_for_the_viewer_and_it_is_removed(
    qtbot, tmp_path, monkeypatch
):
    fakes = Fakes([row(1)])
    tab = make(qtbot, fakes, tmp_path)
    shown: list[Path] = []
    monkeypatch.setattr(view, "open_in_viewer", lambda path: shown.append(path) or True)
    tab.open_button.click()
    [path] = shown
    assert fakes.opened == [1]
    assert path.read_bytes() == PDF
    assert path.name == "received-document-1.pdf"  # a neutral name: no title, no client
    assert path.is_relative_to(tmp_path / "copies")
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o400  # its owner's, read-only
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "copies").stat().st_mode) == 0o700
    assert "opened" in tab.message.text()
    assert tab._copies.remove_all() == []
    assert not path.exists() and not path.parent.exists()


def test_a_computer_without_a_viewer_says_so(qtbot, tmp_path, monkeypatch):
    tab = make(qtbot, Fakes([row(1)]), tmp_path)
    errors: list[str] = []
    monkeypatch.setattr(view, "open_in_viewer", lambda path: False)
    monkeypatch.setattr(
        view.feedback, "show_error", lambda parent, error, title="": errors.append(error.message)
    )
    tab.open_document()
    assert errors and "no program to show a PDF" in errors[0]


def test_copies_left_behind_are_removed_at_the_next_start(tmp_path):
    earlier = TemporaryCopies(tmp_path / "copies")
    left = earlier.write(DocumentFile(3, "x", ".txt", b"left behind"))
    later = TemporaryCopies(tmp_path / "copies")  # the application started again
    assert later.remove_leftovers() == 0
    assert not left.exists() and list((tmp_path / "copies").iterdir()) == []


def test_the_application_removes_its_copies_on_sign_out_and_quitting(tmp_path):
    # The module's own copies live in the user's data folder (a test's own folder here).
    path = copies_module.temporary_copies().write(DocumentFile(4, "x", ".pdf", PDF))
    assert path.is_relative_to(copies_module.copies_folder())
    copies_module.remove_temporary_copies()
    assert not path.exists()


def test_marking_in_error_keeps_the_document_and_says_so(qtbot, tmp_path, monkeypatch):
    fakes = Fakes([row(1)])
    tab = make(qtbot, fakes, tmp_path)

    def mark(dialog: MarkInErrorDialog) -> None:
        dialog.save_button.click()  # no reason
        assert dialog.errors._fields["reason"][1].text() == "The reason is required."
        dialog.reason.setPlainText("Attached to the wrong client")
        dialog.save_button.click()

    answer(monkeypatch, MarkInErrorDialog, mark)
    marked = tab.open_mark()
    assert marked is not None
    [shown] = tab.documents()
    assert tab.model.display(shown, DocumentColumn.STATUS) == ENTERED_IN_ERROR
    assert "Attached to the wrong client" in tab.details.toPlainText()
    assert not tab.mark_button.isEnabled()


@pytest.mark.parametrize("widget", ["attach", "open", "mark"])
def test_every_button_has_an_accessible_name(qtbot, tmp_path, widget):
    tab = make(qtbot, Fakes([row(1)]), tmp_path)
    assert getattr(tab, f"{widget}_button").accessibleName()
