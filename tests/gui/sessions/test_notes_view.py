"""The Sessions tab: the list of notes, the editor and its autosave, signing and its dialogs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from clinic_app.errors import AuthError, ClinicError, Problem, StorageError, ValidationError
from clinic_app.models.enums import Attendance, Engagement, Modality, Phase, PlanStatus, Role
from clinic_app.services.notes import AddendumRow, DraftRow, NoteContent, NoteRow
from clinic_app.services.plans import GoalRow, RevisionRow
from clinic_app.services.staff import StaffRow
from clinic_app.views.common import feedback
from clinic_app.views.sessions import dialogs as notes_dialogs
from clinic_app.views.sessions import tab as notes_view
from clinic_app.views.sessions.actions import SessionsActions
from clinic_app.views.sessions.dialogs import (
    AddendumDialog,
    EnteredInErrorDialog,
    RecoverDraftsDialog,
    SignNoteDialog,
)
from clinic_app.views.sessions.editor import NoteEditor
from clinic_app.views.sessions.models import (
    AUTOSAVE_FAILED,
    EMPTY_LIST,
    PARTNER_UPDATE_TITLE,
    SessionColumn,
    SessionModel,
)
from clinic_app.views.sessions.tab import SessionsTab

TODAY = date(2025, 4, 1)
CLIENT = 7
ME = 2
SIGNED_AT = datetime(2025, 3, 4, 16, 10, tzinfo=UTC)
GOALS = (
    GoalRow("g1", "detail", "Reduce rumination about the former partner", False, ""),
    GoalRow("g2", "detail", "Build a weekly routine", False, ""),
)
PLAN = RevisionRow(
    1,
    CLIENT,
    2,
    PlanStatus.ACTIVE,
    Phase.INTERVENTION,
    "",
    12,
    None,
    None,
    "",
    SIGNED_AT,
    ME,
    GOALS,
    (),
)
STAFF = [
    StaffRow(ME, "dr.jones", "Dr Sam Jones", Role.PSYCHOLOGIST, "Psychologist", False, None),
    StaffRow(3, "n.patel", "Nia Patel", Role.CLINICIAN, "Nurse", False, None),
]


def content(day: date = date(2025, 3, 4), **changes: Any) -> NoteContent:
    base = NoteContent(
        session_date=day,
        duration_minutes=50,
        modality=Modality.IN_PERSON,
        attendance=Attendance.ATTENDED,
        engagement=Engagement.GOOD,
        plan_goal_key="g1",
        risk_checkin="No contact reported.",
        agenda="Review the diary.",
        intervention_content="Worked on rumination.",
        homework="Keep the diary.",
        risk_rerating="Unchanged.",
        actions="Update probation.",
        partner_update="Attended and engaged.",
    )
    return replace(base, **changes)


def note(
    note_id: int,
    day: date,
    *,
    signed: bool = True,
    addenda: tuple[AddendumRow, ...] = (),
    in_error: str = "",
    author: int = ME,
    version: int = 1,
    **changes: Any,
) -> NoteRow:
    return NoteRow(
        id=note_id,
        client_id=CLIENT,
        author_id=author,
        content=content(day, **changes),
        signed_at=SIGNED_AT if signed else None,
        signed_by=author if signed else None,
        content_sha256="a" * 64 if signed else None,
        entered_in_error_at=SIGNED_AT + timedelta(hours=2) if in_error else None,
        entered_in_error_reason=in_error,
        version=version,
        addenda=addenda,
    )


ADDENDA = (
    AddendumRow(40, "Correction of the homework", "Two delays a week, not daily.", ME, SIGNED_AT),
    AddendumRow(41, "Later information", "Probation confirmed attendance.", 3, SIGNED_AT),
)


def caseload_of_notes() -> list[NoteRow]:
    return [
        note(1, date(2025, 1, 7)),
        note(2, date(2025, 1, 14), attendance=Attendance.DID_NOT_ATTEND, duration_minutes=0),
        note(3, date(2025, 1, 21), addenda=ADDENDA),
        note(4, date(2025, 1, 28), in_error="Written on the wrong client's record."),
        note(5, date(2025, 2, 4), author=99),
        note(6, date(2025, 2, 11), signed=False, version=3),
    ]


class Fake:
    """Fake use cases: each records its calls and returns hand-built rows."""

    def __init__(self, notes: list[NoteRow] | None = None) -> None:
        self.notes = list(notes if notes is not None else caseload_of_notes())
        self.calls: list[tuple[str, Any]] = []
        self.signed_versions: list[int | None] = []
        self.kept: list[DraftRow] = []
        self.autosave_error: Exception | None = None
        self.create_error: Exception | None = None
        self.sign_error: Exception | None = None
        self.next_id = 100

    def named(self, name: str) -> list[Any]:
        return [args for call, args in self.calls if call == name]

    def actions(self) -> SessionsActions:
        return SessionsActions(
            notes_for_client=self.notes_for_client,
            create_draft=self.create_draft,
            edit_draft=self.edit_draft,
            sign_note=self.sign_note,
            add_addendum=self.add_addendum,
            mark_entered_in_error=self.mark_entered_in_error,
            autosave=self.autosave,
            drafts_to_recover=lambda: list(self.kept),
            discard_draft=self.discard_draft,
            plans_for_client=lambda client_id: [PLAN],
            clinical_staff=lambda: STAFF,
            open_risk_event=lambda note_id: self.calls.append(("open_risk_event", note_id)),
        )

    def notes_for_client(self, client_id: int) -> list[NoteRow]:
        assert client_id == CLIENT
        return list(self.notes)

    def create_draft(self, client_id: int, body: NoteContent) -> NoteRow:
        self.calls.append(("create_draft", (client_id, body)))
        if self.create_error is not None:
            raise self.create_error
        self.next_id += 1
        row = NoteRow(self.next_id, client_id, ME, body, None, None, None, None, "", 1)
        self.notes.append(row)
        return row

    def edit_draft(self, note_id: int, body: NoteContent, *, expected_version: int) -> NoteRow:
        self.calls.append(("edit_draft", (note_id, body, expected_version)))
        old = next(n for n in self.notes if n.id == note_id)
        row = replace(old, content=body, version=old.version + 1)
        self.notes = [row if n.id == note_id else n for n in self.notes]
        return row

    def sign_note(
        self, note_id: int, *, password: str, expected_version: int | None = None
    ) -> NoteRow:
        self.calls.append(("sign_note", (note_id, password)))
        self.signed_versions.append(expected_version)
        if self.sign_error is not None:
            raise self.sign_error
        old = next(n for n in self.notes if n.id == note_id)
        row = replace(old, signed_at=SIGNED_AT, signed_by=ME, content_sha256="b" * 64)
        self.notes = [row if n.id == note_id else n for n in self.notes]
        return row

    def add_addendum(self, note_id: int, *, reason: str, text: str, password: str) -> AddendumRow:
        self.calls.append(("add_addendum", (note_id, reason, text, password)))
        row = AddendumRow(50, reason, text, ME, SIGNED_AT)
        self.notes = [
            replace(n, addenda=(*n.addenda, row)) if n.id == note_id else n for n in self.notes
        ]
        return row

    def mark_entered_in_error(self, note_id: int, *, reason: str) -> NoteRow:
        self.calls.append(("mark_entered_in_error", (note_id, reason)))
        old = next(n for n in self.notes if n.id == note_id)
        row = replace(old, entered_in_error_at=SIGNED_AT, entered_in_error_reason=reason)
        self.notes = [row if n.id == note_id else n for n in self.notes]
        return row

    def autosave(
        self, client_id: int, fields: dict[str, Any], *, note_id: int | None = None
    ) -> DraftRow:
        self.calls.append(("autosave", (client_id, dict(fields), note_id)))
        if self.autosave_error is not None:
            raise self.autosave_error
        return DraftRow(70 + len(self.named("autosave")), client_id, note_id, dict(fields), NOW)

    def discard_draft(self, draft_id: int) -> None:
        self.calls.append(("discard_draft", draft_id))


NOW = datetime(2025, 4, 1, 13, 2, tzinfo=UTC)


@pytest.fixture
def fake() -> Fake:
    return Fake()


def make_tab(qtbot, fake: Fake, *, autosave_ms: int = 60_000) -> SessionsTab:
    tab = SessionsTab(CLIENT, fake.actions(), autosave_ms=autosave_ms, today=lambda: TODAY)
    qtbot.addWidget(tab)
    return tab


def cell(tab: SessionsTab, row: int, column: SessionColumn) -> str:
    return tab.proxy.index(row, column).data()


def editable_widgets(root: QWidget) -> list[QWidget]:
    found: list[QWidget] = []
    found += [w for w in root.findChildren(QLineEdit) if not w.isReadOnly()]
    found += [w for w in root.findChildren(QPlainTextEdit) if not w.isReadOnly()]
    found += [w for w in root.findChildren(QTextEdit) if not w.isReadOnly()]
    found += [w for w in root.findChildren(QComboBox) if w.isVisible()]
    found += [w for w in root.findChildren(QAbstractSpinBox) if w.isVisible()]
    return found


# -- the list ----------------------------------------------------------------------------------


def test_the_session_model_passes_the_model_tester(qtmodeltester):
    model = SessionModel()
    model.set_notes(caseload_of_notes(), {ME: "Dr Sam Jones"})
    qtmodeltester.check(model)


def test_the_list_is_newest_first_with_status_and_author_in_words(qtbot, fake):
    tab = make_tab(qtbot, fake)
    assert tab.proxy.rowCount() == 6
    dates = [cell(tab, r, SessionColumn.DATE) for r in range(6)]
    assert dates == [
        "11/02/2025",
        "04/02/2025",
        "28/01/2025",
        "21/01/2025",
        "14/01/2025",
        "07/01/2025",
    ]
    statuses = [cell(tab, r, SessionColumn.STATUS) for r in range(6)]
    assert statuses == [
        "Draft",
        "Signed",
        "Entered in error",
        "Signed with 2 addenda",
        "Signed",
        "Signed",
    ]
    assert cell(tab, 4, SessionColumn.ATTENDANCE) == "Did not attend"
    assert cell(tab, 0, SessionColumn.MODALITY) == "In person"
    assert cell(tab, 0, SessionColumn.DURATION) == "50 min"
    assert cell(tab, 0, SessionColumn.AUTHOR) == "Dr Sam Jones"
    assert cell(tab, 1, SessionColumn.AUTHOR) == "Former member of staff"
    assert tab.empty.isHidden()


def test_one_addendum_is_singular(qtbot):
    fake = Fake([note(1, date(2025, 1, 7), addenda=ADDENDA[:1])])
    tab = make_tab(qtbot, fake)
    assert cell(tab, 0, SessionColumn.STATUS) == "Signed with 1 addendum"


def test_no_notes_shows_the_empty_state_in_words(qtbot):
    tab = make_tab(qtbot, Fake([]))
    assert not tab.empty.isHidden()
    assert tab.empty.text() == EMPTY_LIST == "No sessions recorded yet."
    assert tab.table.isHidden()
    assert "New session note" in tab.placeholder.text()


def test_a_load_failure_is_said_in_words(qtbot, fake):
    def broken(client_id: int) -> list[NoteRow]:
        raise StorageError("The database could not be read.")

    tab = SessionsTab(CLIENT, replace(fake.actions(), notes_for_client=broken))
    qtbot.addWidget(tab)
    assert "could not be loaded" in tab.empty.text()
    assert "The database could not be read." in tab.empty.text()


# -- a new note --------------------------------------------------------------------------------


def test_a_new_note_is_saved_with_what_was_typed(qtbot, fake):
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    assert tab.pane.currentWidget() is tab.editor_page
    editor.duration.setValue(45)
    editor.modality.setCurrentIndex(editor.modality.findData(Modality.VIDEO.value))
    editor.plan_goal.setCurrentIndex(editor.plan_goal.findData("g2"))
    for name, edit in editor.sections.items():
        edit.setPlainText(f"typed {name}")
    with qtbot.waitSignal(tab.changed):
        editor.save_button.click()
    [(client_id, body)] = fake.named("create_draft")
    assert client_id == CLIENT
    assert body.session_date == TODAY
    assert body.duration_minutes == 45
    assert body.modality is Modality.VIDEO
    assert body.attendance is Attendance.ATTENDED
    assert body.plan_goal_key == "g2"
    assert body.risk_checkin == "typed risk_checkin"
    assert body.partner_update == "typed partner_update"
    assert editor.note is not None and editor.note.id == 101
    assert cell(tab, 0, SessionColumn.STATUS) == "Draft"  # the new note is in the list
    assert tab.sign_button is not None and tab.sign_button.isVisibleTo(tab)


def test_the_plan_goal_offers_partner_wordings_or_no_goal(qtbot, fake):
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    items = [editor.plan_goal.itemText(i) for i in range(editor.plan_goal.count())]
    assert items == ["No plan goal", *(g.partner_wording for g in GOALS)]


def test_the_session_date_cannot_be_in_the_future(qtbot, fake):
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    assert editor.session_date.maximumDate().toPython() == TODAY
    assert editor.session_date.displayFormat() == "dd/MM/yyyy"
    assert editor.session_date.calendarPopup()


def test_saving_a_draft_sends_its_version_and_drops_the_autosaved_copy(qtbot, fake):
    tab = make_tab(qtbot, fake)
    tab.select_note(6)
    editor = tab.editor
    assert editor is not None
    editor.sections["homework"].setPlainText("New homework.")
    tab.save_drafts_now()
    [(_client, _fields, note_id)] = fake.named("autosave")
    assert note_id == 6
    editor.save()
    assert not editor.has_unsaved_text
    [(edited_id, body, version)] = fake.named("edit_draft")
    assert (edited_id, body.homework, version) == (6, "New homework.", 3)
    assert fake.named("discard_draft") == [71]


def test_validation_problems_show_beside_fields_and_keep_the_text(qtbot, fake):
    fake.create_error = ValidationError(
        [
            Problem("duration_minutes", "Give the length of a session the client attended."),
            Problem("risk_checkin", "The risk check-in contains invisible control characters."),
            Problem("", "Something the form cannot place."),
        ]
    )
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    editor.sections["risk_checkin"].setPlainText("No contact\x07 reported.")
    editor.sections["agenda"].setPlainText("Review the week.")
    changed = []
    tab.changed.connect(lambda: changed.append(True))
    editor.save_button.click()
    shown = {w: label for w, (field, label) in editor.errors._fields.items()}
    assert shown["duration_minutes"].text() == "Give the length of a session the client attended."
    assert not shown["duration_minutes"].isHidden()
    assert "invisible control characters" in shown["risk_checkin"].text()
    assert shown["agenda"].isHidden()
    assert "cannot place" in editor.problems.text()
    assert editor.sections["risk_checkin"].toPlainText() == "No contact\x07 reported."
    assert editor.sections["agenda"].toPlainText() == "Review the week."
    assert editor.note is None
    assert changed == []


# -- autosave ----------------------------------------------------------------------------------


def test_autosave_runs_once_typing_stops(qtbot, fake):
    tab = make_tab(qtbot, fake, autosave_ms=600)
    editor = tab.new_note()
    for text in ("N", "No", "No contact"):
        editor.sections["risk_checkin"].setPlainText(text)
        qtbot.wait(20)  # typing much faster than the autosave interval (even on a busy machine)
    assert fake.named("autosave") == []
    qtbot.waitUntil(lambda: len(fake.named("autosave")) == 1, timeout=2000)
    qtbot.wait(200)
    [(client_id, fields, note_id)] = fake.named("autosave")
    assert (client_id, note_id) == (CLIENT, None)
    assert fields["risk_checkin"] == "No contact"
    assert fields["session_date"] == "2025-04-01"
    assert fields["attendance"] == "attended"
    assert set(fields) == set(NoteContent.__dataclass_fields__)
    assert editor.status.text().startswith("Unsaved changes, kept safe at ")


def test_save_drafts_now_autosaves_at_once_and_only_when_needed(qtbot, fake):
    tab = make_tab(qtbot, fake)  # a long interval: only save_drafts_now can save
    tab.save_drafts_now()
    editor = tab.new_note()
    tab.save_drafts_now()
    assert fake.named("autosave") == []  # nothing typed yet
    editor.sections["homework"].setPlainText("Diary.")
    tab.save_drafts_now()
    assert [f["homework"] for _c, f, _n in fake.named("autosave")] == ["Diary."]
    assert not editor.timer.isActive()
    tab.save_drafts_now()
    assert len(fake.named("autosave")) == 1


@pytest.mark.parametrize("error", [StorageError("The database is locked."), RuntimeError("bug")])
def test_a_failed_autosave_keeps_the_text_and_says_so(qtbot, fake, error):
    fake.autosave_error = error
    tab = make_tab(qtbot, fake, autosave_ms=30)
    editor = tab.new_note()
    editor.sections["intervention_content"].setPlainText("Worked on the urge to check.")
    qtbot.waitUntil(lambda: editor.status.text() == AUTOSAVE_FAILED, timeout=2000)
    assert editor.status.text() == "Autosave failed — your text is still here"
    assert editor.sections["intervention_content"].toPlainText() == "Worked on the urge to check."
    assert editor.needs_autosave  # tried again later, e.g. before the screen locks
    fake.autosave_error = None
    tab.save_drafts_now()
    assert editor.status.text().startswith("Unsaved changes, kept safe at ")


def test_choosing_another_note_autosaves_the_text_being_typed(qtbot, fake):
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    editor.sections["agenda"].setPlainText("Half-written agenda")
    tab.table.selectRow(1)
    assert [f["agenda"] for _c, f, _n in fake.named("autosave")] == ["Half-written agenda"]
    assert tab.pane.currentWidget() is tab.reader


def test_a_kept_autosave_is_restored_when_its_note_is_opened(qtbot, fake):
    fake.kept = [DraftRow(80, CLIENT, 6, {"homework": "Unsaved work"}, NOW)]
    tab = make_tab(qtbot, fake)
    tab.select_note(6)
    editor = tab.editor
    assert editor is not None
    assert editor.sections["homework"].toPlainText() == "Unsaved work"
    assert editor.sections["risk_checkin"].toPlainText() == "No contact reported."
    assert not editor.notice.isHidden()
    assert editor.has_unsaved_text
    editor.save()
    assert fake.named("discard_draft") == [80]


# -- signing -----------------------------------------------------------------------------------


def drive(monkeypatch, fill):
    """Replace run_dialog: fill the dialog in, press its button, report whether it closed."""
    seen: list[Any] = []

    def run(dialog):
        seen.append(dialog)
        fill(dialog)
        dialog.ok_button.click()
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(notes_view, "run_dialog", run)
    return seen


def test_signing_with_a_wrong_password_keeps_the_dialog_and_signs_nothing(qtbot, fake, monkeypatch):
    fake.sign_error = AuthError("That password is not right; nothing was done.")
    tab = make_tab(qtbot, fake)
    tab.select_note(6)
    seen = drive(monkeypatch, lambda d: d.password.setText("wrong password"))
    changed = []
    tab.changed.connect(lambda: changed.append(True))
    tab.sign_button.click()
    [dialog] = seen
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.message.text() == "That password is not right; nothing was done."
    assert not dialog.message.isHidden()
    assert dialog.password.text() == ""
    assert dialog.signed is None
    assert fake.named("sign_note") == [(6, "wrong password")]
    assert changed == []
    assert cell(tab, 0, SessionColumn.STATUS) == "Draft"
    assert tab.pane.currentWidget() is tab.editor_page


def test_signing_saves_unsaved_text_first_then_shows_the_note_read_only(qtbot, fake, monkeypatch):
    tab = make_tab(qtbot, fake)
    tab.select_note(6)
    assert tab.editor is not None
    tab.editor.sections["actions"].setPlainText("Write to probation.")
    drive(monkeypatch, lambda d: d.password.setText("right password"))
    with qtbot.waitSignal(tab.changed):
        tab.sign_button.click()
    assert [c for c, _ in fake.calls if c != "autosave"][-2:] == ["edit_draft", "sign_note"]
    assert fake.named("sign_note") == [(6, "right password")]
    # The signature covers the version the author has just saved and read, no other.
    assert fake.signed_versions == [next(n.version for n in fake.notes if n.id == 6)]
    assert cell(tab, 0, SessionColumn.STATUS) == "Signed"
    assert tab.pane.currentWidget() is tab.reader
    assert "Write to probation." in tab.reader_text.toPlainText()


def test_the_sign_dialog_explains_and_hides_the_password(qtbot):
    dialog = SignNoteDialog("Session on Tuesday 4 March 2025", lambda p: pytest.fail("no"))
    qtbot.addWidget(dialog)
    assert "cannot be changed" in dialog.about.text()
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
    dialog.ok_button.click()  # no password: says so without calling the service
    assert "Enter your password" in dialog.message.text()


# -- signed notes, addenda, entered in error ---------------------------------------------------


def test_a_signed_note_is_read_only_and_shows_its_addenda_in_order(qtbot, fake):
    tab = make_tab(qtbot, fake)
    tab.show()
    tab.select_note(3)
    assert tab.pane.currentWidget() is tab.reader
    assert editable_widgets(tab.pane.currentWidget()) == []
    text = tab.reader_text.toPlainText()
    for section in (
        "Risk check-in",
        "Agenda and plan goal",
        "Intervention content",
        "Homework",
        "Risk re-rating",
        "Actions",
        PARTNER_UPDATE_TITLE,
    ):
        assert section in text
    assert "Reduce rumination about the former partner" in text  # the plan goal, in words
    first = text.index("Correction of the homework")
    second = text.index("Later information")
    assert first < second
    assert "Addendum 2 — signed by Nia Patel" in text
    assert tab.addendum_button.isVisibleTo(tab)
    assert tab.reader_error_button.isVisibleTo(tab)
    assert "Signed with 2 addenda" in tab.reader_state.text()


def test_an_entered_in_error_note_says_so_and_offers_no_changes(qtbot, fake):
    tab = make_tab(qtbot, fake)
    tab.select_note(4)
    assert "ENTERED IN ERROR" in tab.reader_text.toPlainText()
    assert "Written on the wrong client's record." in tab.reader_text.toPlainText()
    assert "ENTERED IN ERROR" in tab.reader_state.text()
    assert not tab.addendum_button.isVisibleTo(tab)
    assert not tab.reader_error_button.isVisibleTo(tab)


def test_adding_an_addendum(qtbot, fake, monkeypatch):
    tab = make_tab(qtbot, fake)
    tab.select_note(1)

    def fill(dialog: AddendumDialog) -> None:
        dialog.reason.setText("Correction")
        dialog.text.setPlainText("The homework was weekly.")
        dialog.password.setText("pw")

    drive(monkeypatch, fill)
    with qtbot.waitSignal(tab.changed):
        tab.addendum_button.click()
    assert fake.named("add_addendum") == [(1, "Correction", "The homework was weekly.", "pw")]
    assert "The homework was weekly." in tab.reader_text.toPlainText()


def test_the_addendum_dialog_asks_for_reason_and_text_before_calling(qtbot):
    dialog = AddendumDialog("A session", lambda r, t, p: pytest.fail("not yet"))
    qtbot.addWidget(dialog)
    dialog.ok_button.click()
    labels = {w: label for w, (_f, label) in dialog.errors._fields.items()}
    assert "reason" in labels["reason"].text()
    assert "Write the addendum" in labels["text"].text()
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password


def test_marking_a_signed_note_entered_in_error(qtbot, fake, monkeypatch):
    tab = make_tab(qtbot, fake)
    tab.select_note(1)
    drive(monkeypatch, lambda d: d.reason.setPlainText("Wrong client."))
    with qtbot.waitSignal(tab.changed):
        tab.reader_error_button.click()
    assert fake.named("mark_entered_in_error") == [(1, "Wrong client.")]
    row = tab.proxy.mapFromSource(tab.model.index(tab.model.row_of(1), SessionColumn.STATUS))
    assert row.data() == "Entered in error"
    assert "ENTERED IN ERROR" in tab.reader_text.toPlainText()


def test_the_entered_in_error_dialog_needs_a_reason(qtbot):
    dialog = EnteredInErrorDialog("A session", lambda reason: pytest.fail("not yet"))
    qtbot.addWidget(dialog)
    dialog.ok_button.click()
    assert "reason" in dialog.errors._fields["reason"][1].text()
    assert "never deleted" in dialog.about.text()


def test_a_draft_marked_in_error_drops_its_unsaved_text(qtbot, fake, monkeypatch):
    tab = make_tab(qtbot, fake)
    tab.select_note(6)
    assert tab.editor is not None
    tab.editor.sections["homework"].setPlainText("typed")
    tab.save_drafts_now()
    drive(monkeypatch, lambda d: d.reason.setPlainText("Duplicate of another note."))
    tab.draft_error_button.click()
    assert fake.named("discard_draft") == [71]
    assert tab.pane.currentWidget() is tab.reader
    assert len(fake.named("autosave")) == 1


# -- recovering drafts -------------------------------------------------------------------------


def test_the_recover_dialog_opens_a_draft_into_the_editor(qtbot, fake):
    drafts = [
        DraftRow(
            81,
            CLIENT,
            None,
            {
                "session_date": "2025-03-30",
                "risk_checkin": "Recovered text",
                "duration_minutes": 40,
            },
            NOW,
        ),
        DraftRow(82, 9, 6, {"agenda": "Other client"}, NOW),
    ]
    dialog = RecoverDraftsDialog(drafts, lambda cid: f"Client {cid}", fake.discard_draft)
    qtbot.addWidget(dialog)
    description = dialog.rows[81].findChild(QLabel).accessibleName()
    assert description.startswith("Client 7: A new session note for the session on 30/03/2025")
    with qtbot.waitSignal(dialog.draft_opened) as signal:
        dialog.open_buttons[81].click()
    assert dialog.chosen == drafts[0] == signal.args[0]
    assert dialog.result() == dialog.DialogCode.Accepted

    tab = make_tab(qtbot, fake)
    editor = tab.open_draft(signal.args[0])
    assert editor is not None and editor is tab.editor
    assert editor.sections["risk_checkin"].toPlainText() == "Recovered text"
    assert editor.duration.value() == 40
    assert editor.session_date.date().toPython() == date(2025, 3, 30)
    assert editor.note is None
    editor.save()
    assert fake.named("discard_draft") == [81]


def test_the_recover_dialog_discards_after_asking(qtbot, fake, monkeypatch):
    drafts = [DraftRow(81, CLIENT, None, {"homework": "x"}, NOW)]
    dialog = RecoverDraftsDialog(drafts, lambda cid: "Client", fake.discard_draft)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(notes_dialogs, "confirm", lambda *a: False)
    dialog.discard_buttons[81].click()
    assert fake.named("discard_draft") == []
    monkeypatch.setattr(notes_dialogs, "confirm", lambda *a: True)
    dialog.discard_buttons[81].click()
    assert fake.named("discard_draft") == [81]
    assert dialog.drafts == []
    assert not dialog.empty.isHidden()


def test_a_recovered_draft_for_a_signed_note_opens_as_a_new_draft(qtbot, fake):
    tab = make_tab(qtbot, fake)
    editor = tab.open_draft(DraftRow(83, CLIENT, 1, {"homework": "Late thought"}, NOW))
    assert editor is not None
    assert editor.note is None
    assert "now signed" in editor.notice.text()
    assert editor.sections["homework"].toPlainText() == "Late thought"


def test_load_fields_skips_what_it_cannot_read(qtbot, fake):
    editor = NoteEditor(CLIENT, fake.actions().for_editor(), goals=GOALS, today=lambda: TODAY)
    qtbot.addWidget(editor)
    editor.load_fields(
        {
            "session_date": "not a date",
            "duration_minutes": "fifty",
            "modality": "telepathy",
            "attendance": "late",
            "plan_goal_key": "gone",
            "homework": "Kept",
        }
    )
    assert editor.session_date.date().toPython() == TODAY
    assert editor.duration.value() == 60  # an intervention session's usual length
    assert editor.modality.currentData() == "in_person"
    assert editor.attendance.currentData() == "late"
    assert editor.plan_goal.currentText() == "A goal from an earlier plan"
    assert editor.sections["homework"].toPlainText() == "Kept"


# -- risk events, selection, accessibility -----------------------------------------------------


def test_the_risk_event_action_passes_the_note_shown(qtbot, fake):
    tab = make_tab(qtbot, fake)
    tab.select_note(3)
    with qtbot.waitSignal(tab.changed):
        tab.risk_button.click()
    tab.new_note()
    tab.risk_button.click()
    assert fake.named("open_risk_event") == [3, None]


def test_selecting_rows_opens_drafts_in_the_editor_and_signed_notes_in_the_reader(qtbot, fake):
    tab = make_tab(qtbot, fake)
    tab.table.selectRow(0)  # newest: the draft
    assert tab.pane.currentWidget() is tab.editor_page
    assert tab.editor is not None and tab.editor.note is not None
    assert tab.editor.sections["homework"].toPlainText() == "Keep the diary."
    tab.table.selectRow(1)
    assert tab.pane.currentWidget() is tab.reader
    assert tab.current_note() is not None and tab.current_note().id == 5


def test_every_control_has_an_accessible_name(qtbot, fake):
    tab = make_tab(qtbot, fake)
    tab.new_note()
    for kind in (
        QAbstractButton,
        QLineEdit,
        QPlainTextEdit,
        QTextEdit,
        QComboBox,
        QAbstractSpinBox,
    ):
        for widget in tab.findChildren(kind):
            if widget.parent() is not None and type(widget.parent()).__name__ == "QCalendarWidget":
                continue
            if widget.objectName().startswith("qt_"):
                continue
            assert widget.accessibleName(), widget


def test_keyboard_shortcuts_exist(qtbot, fake):
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    assert tab.new_shortcut.key().toString() == "Ctrl+N"
    assert editor.save_shortcut.key().toString() == "Ctrl+S"
    assert tab.new_button.text() == "&New session note"
    assert editor.save_button.text() == "&Save draft"


def test_a_clinic_error_on_save_is_shown_and_the_text_kept(qtbot, fake, monkeypatch):
    shown: list[ClinicError] = []
    monkeypatch.setattr(feedback, "show_error", lambda parent, error, title="": shown.append(error))
    fake.create_error = ClinicError("Someone else changed this first.")
    tab = make_tab(qtbot, fake)
    editor = tab.new_note()
    editor.sections["homework"].setPlainText("Kept")
    editor.save()
    assert editor.note is None  # not saved
    assert [e.message for e in shown] == ["Someone else changed this first."]
    assert editor.sections["homework"].toPlainText() == "Kept"


def test_the_model_returns_nothing_for_bad_indexes():
    model = SessionModel()
    assert model.data(QModelIndex()) is None
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Date"
    assert model.headerData(9, Qt.Orientation.Horizontal) is None


def test_the_unsaved_notes_dialog_with_none_left_leaves_the_keyboard_where_it_is(qtbot):
    """Its empty line was shown before it had a parent, as a window of its own."""
    from tests.gui.conftest import keyboard_kept

    with keyboard_kept(qtbot):
        dialog = RecoverDraftsDialog([], lambda cid: "Client", lambda draft_id: None)
    qtbot.addWidget(dialog)
    assert dialog.empty.isVisibleTo(dialog)
