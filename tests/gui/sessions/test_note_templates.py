"""The note editor laid out by the kind of contact, signing from the editor, one save status."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from clinic_app.models.enums import Attendance, ContactType, Modality
from clinic_app.services.note_templates import TEMPLATES
from clinic_app.views.sessions import tab as notes_view
from clinic_app.views.sessions.editor import NoteEditor
from clinic_app.views.sessions.models import NOT_SAVED_YET, UNSAVED_CHANGES
from tests.gui.sessions.test_notes_view import CLIENT, GOALS, TODAY, Fake, content, make_tab, note


def editor_for(qtbot, fake: Fake, **kw) -> NoteEditor:
    editor = NoteEditor(CLIENT, fake.actions().for_editor(), goals=GOALS, today=lambda: TODAY, **kw)
    qtbot.addWidget(editor)
    return editor


def choose(editor: NoteEditor, kind: ContactType) -> None:
    editor.contact_type.setCurrentIndex(editor.contact_type.findData(kind.value))


def shown_sections(editor: NoteEditor) -> list[str]:
    return [
        name
        for name in editor.sections
        if name != "partner_update" and editor._section_cells[name].isVisibleTo(editor)
    ]


def test_each_kind_of_contact_shows_its_own_sections_and_headings(qtbot):
    editor = editor_for(qtbot, Fake())
    for kind, template in TEMPLATES.items():
        choose(editor, kind)
        assert shown_sections(editor) == list(template.fields), kind
        for section in template.sections:
            assert editor.section_labels[section.field].text().replace("&", "") == section.heading
            assert editor.sections[section.field].placeholderText() == section.prompt
            assert editor.sections[section.field].accessibleName() == section.heading
        assert editor.partner_box.isVisibleTo(editor) == template.partner_update
        assert editor.content().contact_type is kind


def test_a_did_not_attend_note_needs_almost_nothing(qtbot):
    editor = editor_for(qtbot, Fake())
    choose(editor, ContactType.DID_NOT_ATTEND)
    assert shown_sections(editor) == ["actions"]
    assert not editor.attendance.isVisibleTo(editor)
    assert not editor.engagement.isVisibleTo(editor)
    assert not editor.plan_goal.isVisibleTo(editor)
    body = editor.content()
    assert body.attendance is Attendance.DID_NOT_ATTEND
    assert body.duration_minutes == 0
    # Back to a session: attendance and the usual length come back.
    choose(editor, ContactType.INTERVENTION_SESSION)
    assert editor.content().attendance is Attendance.ATTENDED
    assert editor.duration.value() == 60


def test_a_new_note_starts_at_the_usual_length_of_its_kind_never_zero(qtbot):
    editor = editor_for(qtbot, Fake())
    assert editor.duration.value() == 60
    choose(editor, ContactType.TELEPHONE_CONTACT)
    assert editor.duration.value() == 15
    assert editor.modality.currentData() == Modality.PHONE.value
    choose(editor, ContactType.ASSESSMENT)
    assert editor.duration.value() == 90
    # A length the clinician set is theirs: changing the kind keeps it.
    editor.duration.setValue(75)
    choose(editor, ContactType.INTERVENTION_SESSION)
    assert editor.duration.value() == 75
    # A missed contact has no length; a contact that did take place is never left at 0.
    choose(editor, ContactType.DID_NOT_ATTEND)
    assert editor.duration.value() == 0
    choose(editor, ContactType.TELEPHONE_CONTACT)
    assert editor.duration.value() == 15


def test_a_note_from_an_appointment_keeps_its_length_unless_the_client_did_not_come(qtbot):
    fake = Fake([note(9, TODAY, signed=False, duration_minutes=50, contact_type=None)])
    tab = make_tab(qtbot, fake)
    tab.select_note(9)
    editor = tab.editor
    assert editor is not None and editor.duration.value() == 50
    choose(editor, ContactType.ASSESSMENT)
    assert editor.duration.value() == 50
    choose(editor, ContactType.DID_NOT_ATTEND)
    assert editor.duration.value() == 0
    assert editor.content().attendance is Attendance.DID_NOT_ATTEND


def test_text_written_is_never_hidden_by_a_change_of_kind(qtbot):
    editor = editor_for(qtbot, Fake())
    editor.sections["homework"].setPlainText("Keep the diary.")
    choose(editor, ContactType.TELEPHONE_CONTACT)
    assert "homework" in shown_sections(editor)
    assert editor.content().homework == "Keep the diary."
    editor.sections["homework"].clear()
    choose(editor, ContactType.ASSESSMENT)
    assert "homework" not in shown_sections(editor)


def test_a_draft_opens_in_its_own_template_with_its_start_time(qtbot):
    fake = Fake(
        [
            note(
                9,
                TODAY,
                signed=False,
                contact_type=ContactType.TELEPHONE_CONTACT,
                start_time=time(9, 15),
                homework="",
            )
        ]
    )
    tab = make_tab(qtbot, fake)
    tab.select_note(9)
    editor = tab.editor
    assert editor is not None
    assert editor.template.contact_type is ContactType.TELEPHONE_CONTACT
    assert editor.start_time.time().toString("HH:mm") == "09:15"
    assert editor.content().start_time == time(9, 15)
    assert editor.status.text() == "No unsaved changes"


def test_a_clients_first_note_starts_as_an_assessment(qtbot):
    tab = make_tab(qtbot, Fake([]))
    editor = tab.new_note()
    assert editor.template.contact_type is ContactType.ASSESSMENT
    assert editor.duration.value() == 90
    other = make_tab(qtbot, Fake())
    assert other.new_note().template.contact_type is ContactType.INTERVENTION_SESSION


def test_the_start_time_is_not_recorded_until_given(qtbot):
    editor = editor_for(qtbot, Fake())
    assert editor.start_time.text() == "Not recorded"
    assert editor.content().start_time is None
    editor.start_time.setTime(editor.start_time.time().fromString("14:30", "HH:mm"))
    assert editor.content().start_time == time(14, 30)
    assert editor.fields()["start_time"] == "14:30"
    assert editor.fields()["contact_type"] == "intervention_session"


def test_an_autosaved_draft_comes_back_in_its_template(qtbot):
    editor = editor_for(qtbot, Fake())
    editor.load_fields(
        {"contact_type": "did_not_attend", "attendance": "did_not_attend", "actions": "Letter"}
    )
    assert editor.template.contact_type is ContactType.DID_NOT_ATTEND
    assert shown_sections(editor) == ["actions"]
    assert editor.content().actions == "Letter"


# -- one save status, and signing from the editor ----------------------------------------------


def test_one_status_line_says_where_the_text_stands(qtbot):
    fake = Fake()
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    assert editor.status.text() == NOT_SAVED_YET
    assert "saved" not in tab.editor_state.text().lower()  # never a second, other status
    editor.sections["risk_checkin"].setPlainText("No contact.")
    assert editor.status.text() == UNSAVED_CHANGES
    editor.save()
    assert editor.status.text().startswith("Draft saved ")
    assert "saved" not in tab.editor_state.text().lower()


def test_sign_on_a_new_note_saves_it_then_asks_for_the_password(qtbot, monkeypatch):
    fake = Fake()
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    assert editor.sign_button.isVisibleTo(editor)
    editor.sections["risk_checkin"].setPlainText("No contact reported.")
    seen = []

    def run(dialog):
        seen.append((dialog, list(fake.calls)))
        dialog.password.setText("secret password")
        dialog.ok_button.click()
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(notes_view, "run_dialog", run)
    editor.sign_button.click()
    [(_dialog, calls_before)] = seen
    assert [name for name, _ in calls_before] == ["create_draft"]  # saved first
    assert fake.named("sign_note") == [(101, "secret password")]
    assert fake.signed_versions == [1]
    assert tab.pane.currentWidget() is tab.reader


def test_a_note_that_cannot_be_saved_is_not_signed(qtbot, monkeypatch):
    from clinic_app.errors import Problem, ValidationError

    fake = Fake()
    fake.create_error = ValidationError([Problem("duration_minutes", "Give the length.")])
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    monkeypatch.setattr(notes_view, "run_dialog", lambda dialog: pytest_fail())
    editor.sign_button.click()
    assert fake.named("sign_note") == []
    assert editor.status.text() == "Not saved: see the problems shown with the fields"
    assert editor.sign_button.isEnabled()


def pytest_fail():
    raise AssertionError("the sign dialog must not open for a note that was not saved")


def test_ctrl_shift_s_signs_from_the_editor(qtbot, monkeypatch):
    fake = Fake()
    tab = make_tab(qtbot, fake)
    tab.show()
    editor = tab.new_note()
    qtbot.waitExposed(tab)
    asked = []
    monkeypatch.setattr(notes_view, "run_dialog", lambda dialog: asked.append(dialog) or False)
    editor.focus_writing()
    qtbot.waitUntil(editor.sections["risk_checkin"].hasFocus)
    qtbot.keyClick(
        editor.sections["risk_checkin"],
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(asked) == 1
    assert fake.named("create_draft")


def test_a_new_note_opens_with_the_caret_in_its_first_section(qtbot):
    tab = make_tab(qtbot, Fake())
    tab.show()
    editor = tab.new_note()
    qtbot.waitExposed(tab)
    qtbot.waitUntil(editor.sections["risk_checkin"].hasFocus)


def test_the_note_is_shown_with_its_kind_and_headings(qtbot):
    fake = Fake(
        [
            note(
                3,
                TODAY,
                contact_type=ContactType.DID_NOT_ATTEND,
                attendance=Attendance.DID_NOT_ATTEND,
                duration_minutes=0,
                risk_checkin="",
                agenda="",
                intervention_content="",
                homework="",
                risk_rerating="",
                partner_update="",
                actions="Letter sent.",
            )
        ]
    )
    tab = make_tab(qtbot, fake)
    tab.select_note(3)
    text = tab.reader_text.toPlainText()
    assert text.startswith("Did not attend on Tuesday 01 April 2025")
    assert "Actions taken" in text and "Letter sent." in text
    assert "Risk check-in" not in text and "Partner update" not in text


def test_old_notes_without_a_kind_still_show_every_section(qtbot):
    tab = make_tab(qtbot, Fake([note(1, TODAY, contact_type=None)]))
    tab.select_note(1)
    text = tab.reader_text.toPlainText()
    assert text.startswith("Session on")
    for heading in ("Risk check-in", "Homework", "Risk re-rating", "Partner update"):
        assert heading in text
    assert content().contact_type is None


def test_each_alt_letter_of_the_editor_reaches_one_control_whatever_the_kind(qtbot):
    tab = make_tab(qtbot, Fake())
    tab.show()
    editor = tab.new_note()
    for kind in TEMPLATES:
        choose(editor, kind)
        seen: dict[str, list[str]] = {}
        for widget in tab.findChildren(QLabel) + tab.findChildren(QAbstractButton):
            if not widget.isVisibleTo(tab) or "&" not in widget.text():
                continue
            text = widget.text().replace("&&", "")
            if "&" in text:
                seen.setdefault(text[text.index("&") + 1].lower(), []).append(text)
        assert all(len(texts) == 1 for texts in seen.values()), (kind, seen)
    choose(editor, ContactType.INTERVENTION_SESSION)
    assert editor.section_labels["risk_rerating"].text() == "Ris&k re-rating"
    assert editor.section_labels["risk_checkin"].text() == "Risk &check-in"
