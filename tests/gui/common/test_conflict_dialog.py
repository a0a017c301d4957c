"""The conflict dialog: both texts side by side; save mine over it, keep the saved one, copy.

Driven through the note editor and the saving helper with fake use cases: the first save
is refused with an ``EditConflict`` (a colleague saved meanwhile), as the services do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QVBoxLayout

from clinic_app.errors import ConflictField, EditConflict, Problem, ValidationError
from clinic_app.services.conflicts import reapply
from clinic_app.services.notes import NoteContent, NoteRow
from clinic_app.views.common.conflict import ConflictDialog, offer_conflict
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.sessions.editor import NoteEditor
from tests.gui.sessions.test_notes_view import CLIENT, GOALS, TODAY, Fake, content

SAVED_AT = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)


def conflict_over(mine: NoteContent, saved: NoteContent, version: int) -> EditConflict:
    fields = [
        ConflictField("attendance", "Attendance", "Attended", "Did not attend", editable=False)
    ]
    for name in ("agenda", "homework"):
        if getattr(mine, name) != getattr(saved, name):
            fields.append(
                ConflictField(name, f"The {name}", getattr(mine, name), getattr(saved, name))
            )
    return EditConflict(
        "this note",
        fields=fields,
        saved_by="Nurse Patel",
        saved_at=SAVED_AT,
        version=version,
        saved_record=saved,
    )


class Colleague(Fake):
    """A colleague saved the note (version 2) before the user's first save reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.saved = content(agenda="Their agenda.", homework="Their homework.")

    def edit_draft(self, note_id: int, body: NoteContent, *, expected_version: int) -> NoteRow:
        if expected_version == 1:
            self.calls.append(("refused", (note_id, body, expected_version)))
            raise conflict_over(body, self.saved, version=2)
        return super().edit_draft(note_id, body, expected_version=expected_version)


@pytest.fixture
def colleague() -> Colleague:
    return Colleague()


def open_editor(qtbot, fake: Fake) -> NoteEditor:  # type: ignore[no-untyped-def]
    note = fake.create_draft(CLIENT, content(agenda="Mine at first."))
    editor = NoteEditor(
        CLIENT, fake.actions().for_editor(), note=note, goals=GOALS, today=lambda: TODAY
    )
    qtbot.addWidget(editor)
    editor.show()
    editor.sections["agenda"].setPlainText("My agenda.")
    return editor


def the_dialog(editor) -> ConflictDialog:  # type: ignore[no-untyped-def]
    dialogs = editor.findChildren(ConflictDialog)
    assert len(dialogs) == 1
    return dialogs[0]


def test_the_dialog_shows_both_texts_side_by_side(qtbot, colleague):
    editor = open_editor(qtbot, colleague)
    editor.save()
    dialog = the_dialog(editor)
    assert dialog.isVisible()
    assert "Nurse Patel saved this note" in dialog.message.text()
    # The newer saved text is read-only; mine can still be edited. Only what I changed
    # is shown: the colleague's homework is not mine to weigh up.
    assert dialog.saved["agenda"].toPlainText() == "Their agenda."
    assert dialog.saved["agenda"].isReadOnly()
    assert dialog.mine["agenda"].toPlainText() == "My agenda."
    assert not dialog.mine["agenda"].isReadOnly()
    assert set(dialog.mine) == {"agenda"}
    for widget in (*dialog.saved.values(), *dialog.mine.values()):
        assert widget.accessibleName()
    assert dialog.saved["agenda"].accessibleName().startswith("The agenda, saved by nurse patel")
    # Nothing was saved over the colleague's note, and the editor still holds my text.
    assert colleague.named("edit_draft") == []
    assert editor.sections["agenda"].toPlainText() == "My agenda."
    assert "someone else saved" in editor.status.text()


def test_save_mine_over_it_saves_my_text_as_edited_with_the_newer_version(qtbot, colleague):
    editor = open_editor(qtbot, colleague)
    editor.save()
    dialog = the_dialog(editor)
    dialog.mine["agenda"].setPlainText("My agenda, after reading theirs.")
    with qtbot.waitSignal(editor.saved):
        dialog.save_mine_button.click()
    ((_note_id, body, version),) = colleague.named("edit_draft")
    assert version == 2  # saved over the version the user has now seen
    assert body.agenda == "My agenda, after reading theirs."
    assert body.homework == "Their homework."  # the colleague's, where I changed nothing
    assert editor.sections["agenda"].toPlainText() == "My agenda, after reading theirs."
    assert editor.note == colleague.notes[-1]  # the row the save returned
    assert not editor.has_unsaved_text


def test_keep_the_saved_one_discards_mine_and_shows_theirs(qtbot, colleague):
    editor = open_editor(qtbot, colleague)
    editor.save()
    the_dialog(editor).keep_saved_button.click()
    assert colleague.named("edit_draft") == []  # nothing saved
    assert editor.sections["agenda"].toPlainText() == "Their agenda."
    assert editor.sections["homework"].toPlainText() == "Their homework."
    assert editor.note is not None and editor.note.version == 2
    assert not editor.has_unsaved_text
    assert editor.findChildren(ConflictDialog) == [] or not the_dialog(editor).isVisible()


def test_copy_mine_puts_my_text_on_the_clipboard_and_keeps_the_dialog_open(qtbot, colleague):
    editor = open_editor(qtbot, colleague)
    editor.save()
    dialog = the_dialog(editor)
    dialog.copy_button.click()
    assert "My agenda." in QGuiApplication.clipboard().text()
    assert "Their agenda." not in QGuiApplication.clipboard().text()
    assert dialog.isVisible() and "clipboard" in dialog.status.text()


# -- through the saving helper ------------------------------------------------------------------


class Form(QDialog):
    def __init__(self) -> None:
        super().__init__()
        QVBoxLayout(self).addWidget(buttons := QDialogButtonBox(QDialogButtonBox.StandardButton.Ok))
        self.buttons = buttons
        self.problems: list[tuple[Problem, ...]] = []
        self.stored: list[tuple[NoteContent, int]] = []
        self.kept = 0


def test_the_saving_helper_offers_the_dialog_and_saves_again_with_the_newer_version(qtbot):
    form = Form()
    qtbot.addWidget(form)
    mine = content(agenda="Mine.")
    saved = content(agenda="Theirs.")

    def update(data: NoteContent, *, expected_version: int) -> str:
        if expected_version == 1:
            raise conflict_over(data, saved, version=5)
        if not data.agenda.strip():
            raise ValidationError([Problem("agenda", "Write an agenda.")])
        form.stored.append((data, expected_version))
        return "stored"

    def save(data: NoteContent, version: int) -> None:
        save_through_runner(
            form,
            partial(update, data, expected_version=version),
            lambda _row: form.accept(),
            busy=[form.buttons],
            title="Not saved",
            problems=lambda found: form.problems.append(tuple(found)),
            again=lambda conflict, edits: partial(
                update, reapply(data, edits), expected_version=conflict.version
            ),
            keep_saved=lambda: setattr(form, "kept", form.kept + 1),
        )

    form.show()
    save(mine, 1)
    dialog = the_dialog(form)
    assert form.buttons.isEnabled()  # the form can be used again meanwhile
    assert dialog.mine["attendance"].isReadOnly()  # not text: shown, not edited here
    assert not dialog.mine["agenda"].isReadOnly()
    # Bad input in the dialog changes nothing: the save is refused beside the fields.
    dialog.mine["agenda"].setPlainText("  ")
    dialog.save_mine_button.click()
    assert form.stored == [] and form.problems == [(Problem("agenda", "Write an agenda."),)]
    assert form.result() != QDialog.DialogCode.Accepted

    save(mine, 1)
    dialog = next(d for d in form.findChildren(ConflictDialog) if d.isVisible())
    dialog.mine["agenda"].setPlainText("Mine, reapplied.")
    dialog.save_mine_button.click()
    assert form.stored == [(replace(mine, agenda="Mine, reapplied."), 5)]
    assert form.result() == QDialog.DialogCode.Accepted


def test_keep_the_saved_one_through_the_helper_saves_nothing(qtbot):
    form = Form()
    qtbot.addWidget(form)
    mine, saved = content(agenda="Mine."), content(agenda="Theirs.")

    def refuse() -> str:
        raise conflict_over(mine, saved, version=5)

    save_through_runner(
        form,
        refuse,
        lambda _row: form.accept(),
        busy=[form.buttons],
        title="Not saved",
        again=lambda conflict, edits: lambda: "stored",
        keep_saved=lambda: setattr(form, "kept", form.kept + 1),
    )
    the_dialog(form).keep_saved_button.click()
    assert form.kept == 1 and form.result() != QDialog.DialogCode.Accepted


def test_without_a_way_to_save_again_only_keeping_and_copying_are_offered(qtbot):
    form = Form()
    qtbot.addWidget(form)
    dialog = offer_conflict(
        form, conflict_over(content(agenda="a"), content(agenda="b"), 2), save_mine=None
    )
    assert dialog.save_mine_button.isHidden()
    assert dialog.keep_saved_button.isDefault()  # Enter keeps the colleague's text
    dialog.reject()
    QApplication.processEvents()
