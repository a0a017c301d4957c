"""The diary: in the whole application over a real database, with the GUI-thread guard on
and the stall watch running; and the booking form's clash confirmation, driven by fakes."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date, time

import pytest
from PySide6.QtCore import QTime
from PySide6.QtWidgets import QFileDialog

from clinic_app.errors import Problem
from clinic_app.models.enums import AppointmentStatus, CancelledBy, Modality, Repeat
from clinic_app.services import appointments
from clinic_app.services.appointments import (
    AppointmentClash,
    AppointmentRow,
    Attendee,
    BookingChoices,
    Diary,
)
from clinic_app.views.appointments import view as diary_view
from clinic_app.views.appointments.actions import DiaryActions
from clinic_app.views.appointments.dialogs import BookingDialog, CancelDialog, MoveDialog
from clinic_app.views.appointments.view import DiaryView
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import settle
from tests.gui.stall import no_stalls


@pytest.fixture
def clinician_app(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    app.workspace.gui_thread = threading.main_thread()
    app.workspace.strict = True  # any use case run on the GUI thread fails the test
    return app


def diary_of(app) -> DiaryView:
    [diary] = app.window.findChildren(DiaryView)
    return diary


def fill_and_run(qtbot, monkeypatch, dialog_type, fill):
    """Replace the dialog's modal run with filling it in and waiting for it to close."""

    def run(dialog):
        # Building a dialog is left out of the stall watch; saving from it is watched.
        if isinstance(dialog, dialog_type):
            fill(dialog)
            with no_stalls():
                dialog.ok_button.click()
                qtbot.waitUntil(lambda: dialog.result() != 0 or not dialog.problems.isHidden())
        return dialog.result()

    monkeypatch.setattr(diary_view, "exec_dialog", run)


def test_a_clinician_books_marks_cancels_and_writes_the_note_without_freezing(
    qtbot, clinician_app, monkeypatch, tmp_path
):
    app = clinician_app
    diary = diary_of(app)
    assert app.window.tabs.tabText(1) == "Diary"
    with no_stalls():
        app.window.tabs.setCurrentWidget(diary)
        settle(qtbot, app)
    assert diary.model.rowCount() == 0 and not diary.empty.isHidden()
    assert "no appointments" in diary.empty.text()

    def today_at(hour: int, repeat: bool = False):
        def fill(dialog: BookingDialog) -> None:
            dialog.client.setCurrentIndex(0)
            dialog.start.setTime(QTime(hour, 0))
            dialog.place.setText("Room 4")
            if repeat:
                dialog.repeat.setCurrentIndex(dialog.repeats.index(Repeat.WEEKLY))
                dialog.times.setValue(3)

        return fill

    for hour, repeat in ((9, False), (11, True), (14, False)):
        fill_and_run(qtbot, monkeypatch, BookingDialog, today_at(hour, repeat))
        diary.book_button.click()
        with no_stalls():
            settle(qtbot, app)
    assert [r.start_time for r in diary.model.items()] == [time(9), time(11), time(14)]
    assert diary.last_action.text().startswith("Booked ")

    with no_stalls():
        diary.table.selectRow(0)
        diary.attended_button.click()
        settle(qtbot, app)
        diary.table.selectRow(1)
        diary.dna_button.click()
        settle(qtbot, app)
    statuses = [r.status for r in diary.model.items()]
    assert statuses[:2] == [AppointmentStatus.ATTENDED, AppointmentStatus.DID_NOT_ATTEND]

    def cancel(dialog: CancelDialog) -> None:
        dialog.by_whom.setCurrentIndex(dialog.whom.index(CancelledBy.SERVICE))
        dialog.reason.setPlainText("Clinician unwell")

    fill_and_run(qtbot, monkeypatch, CancelDialog, cancel)
    diary.table.selectRow(2)
    diary.cancel_button.click()
    with no_stalls():
        settle(qtbot, app)
    assert diary.model.item(2).cancelled_by is CancelledBy.SERVICE
    assert diary.model.data(diary.model.index(2, 7)) == "Cancelled by the service"

    # Opening the record itself is the record window's business: the request is recorded.
    opened: list[tuple[int, str, int | None]] = []
    diary._actions = dataclasses.replace(
        diary._actions, open_client=lambda *target: opened.append(target)
    )
    with no_stalls():
        diary.table.selectRow(0)
        diary.note_button.click()
        settle(qtbot, app)
    first = diary.model.item(0)
    assert first.note_id is not None and first.note_signed is False
    assert opened == [(first.client_id, "Sessions", first.note_id)]

    with no_stalls():  # the week view, and the next week, on the runner
        app.window.tabs.setCurrentWidget(diary)
        diary.span.setCurrentIndex(1)
        settle(qtbot, app)
        diary.next_button.click()
        settle(qtbot, app)
    assert [r.occurrence for r in diary.model.items()] == [2]

    def later(dialog: MoveDialog) -> None:
        dialog.start.setTime(QTime(15, 30))

    fill_and_run(qtbot, monkeypatch, MoveDialog, later)
    diary.table.selectRow(0)
    diary.move_button.click()
    with no_stalls():
        settle(qtbot, app)
    assert diary.model.item(0).start_time == time(15, 30)

    out = tmp_path / "diary.ics"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with no_stalls():
        diary.export_button.click()
        settle(qtbot, app)
    text = out.read_text()
    assert text.count("BEGIN:VEVENT") == 1 and "Room 4" not in text
    assert "Exported 1 appointment(s)" in diary.last_action.text()


def test_home_can_ask_for_todays_appointments(qtbot, clinician_app):
    app = clinician_app
    me = app.workspace.me
    with app.database.transaction() as s:
        first = appointments.booking_choices(s, me).clients[0][0]
        appointments.book(
            s, me, first, day=date.today(), start_time=time(23, 0), duration_minutes=30,
            modality=Modality.PHONE,
        )  # fmt: skip
    with app.database.session() as s:
        [row] = appointments.todays_appointments(s, me, date.today())
    assert row.client_id == first and row.modality is Modality.PHONE


# -- the booking form, driven by fakes -------------------------------------------------------

ROW = AppointmentRow(
    id=7, client_id=1, client_name="EXAMPLE, Alex", local_ref="MASIP-0001",
    day=date(2026, 12, 8), start_time=time(10), duration_minutes=50,
    modality=Modality.IN_PERSON, place="Room 2", video_link="",
    status=AppointmentStatus.BOOKED, cancelled_by=None, cancel_reason="",
    clinicians=(Attendee(2, "Dr Jones"),), series_id=None, occurrence=1, repeat=Repeat.NONE,
    note_id=None, note_signed=None, version=1,
)  # fmt: skip


class Fakes:
    def __init__(self) -> None:
        self.booked: list[dict] = []
        self.rows: tuple[AppointmentRow, ...] = ()

    def book(self, client_id, **kw):
        if not kw["allow_overlap"]:
            raise AppointmentClash(
                [Problem("start_time", "Dr Jones already has an appointment from 10:00.")]
            )
        self.booked.append({"client_id": client_id, **kw})
        self.rows = (ROW,)
        return (ROW,)

    def actions(self) -> DiaryActions:
        return DiaryActions(
            me_id=2,
            diary=lambda staff_id, start, end: Diary(staff_id, "Dr Jones", start, end, self.rows),
            booking_choices=lambda: BookingChoices(
                ((1, "EXAMPLE, Alex (MASIP-0001)"),), (Attendee(2, "Dr Jones"),)
            ),
            book=self.book,
            move=lambda *a, **k: ROW,
            cancel=lambda *a, **k: ROW,
            mark_attended=lambda ident: ROW,
            mark_did_not_attend=lambda ident: ROW,
            diary_ics=lambda *a: b"",
            start_note=lambda ident: None,  # type: ignore[arg-type,return-value]
        )


def test_a_clash_is_shown_and_booking_anyway_confirms_it(qtbot, monkeypatch):
    fakes = Fakes()
    view = DiaryView(fakes.actions(), today=date(2026, 12, 7))
    qtbot.addWidget(view)
    seen: list[BookingDialog] = []

    def run(dialog):
        seen.append(dialog)
        dialog.place.setText("Room 2")
        dialog.ok_button.click()
        assert "already has an appointment" in dialog.problems.text()
        assert dialog.ok_button.text() == "Book &anyway"
        assert dialog.place.text() == "Room 2"  # what was typed stays
        dialog.ok_button.click()
        return dialog.result()

    monkeypatch.setattr(diary_view, "exec_dialog", run)
    view.book_button.click()
    assert len(fakes.booked) == 1 and fakes.booked[0]["allow_overlap"] is True
    assert fakes.booked[0]["clinician_ids"] == [2]
    assert view.model.rowCount() == 1


def test_a_colleagues_client_shows_as_busy_without_a_name(qtbot):
    fakes = Fakes()
    busy = AppointmentRow(**{**ROW.__dict__, "client_id": None, "client_name": "", "local_ref": "",
                             "place": ""})  # fmt: skip
    fakes.rows = (busy,)
    view = DiaryView(fakes.actions(), today=date(2026, 12, 8))
    qtbot.addWidget(view)
    assert view.model.data(view.model.index(0, 2)) == diary_view.BUSY
    view.table.selectRow(0)
    assert not view.attended_button.isEnabled() and not view.open_button.isEnabled()


def test_the_diary_model_is_sound_and_each_alt_letter_reaches_one_control(qtbot, qtmodeltester):
    fakes = Fakes()
    fakes.rows = (ROW,)
    view = DiaryView(fakes.actions(), today=date(2026, 12, 8))
    qtbot.addWidget(view)
    qtmodeltester.check(view.model)
    from PySide6.QtWidgets import QAbstractButton, QLabel

    letters = []
    for widget in view.findChildren(QAbstractButton) + view.findChildren(QLabel):
        text = widget.text()
        if "&" in text.replace("&&", ""):
            letters.append(text[text.index("&") + 1].lower())
    assert letters and len(letters) == len(set(letters))


def test_ctrl_2_puts_the_keyboard_on_the_first_appointment_still_to_write(qtbot):
    fakes = Fakes()
    written = dataclasses.replace(ROW, id=5, start_time=time(9), note_id=11, note_signed=True)
    fakes.rows = (written, ROW)
    view = DiaryView(fakes.actions(), today=date(2026, 12, 8))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    assert view.current() is None
    view.focus_appointments()  # what Ctrl+2 does after showing the diary
    qtbot.waitUntil(view.table.hasFocus)
    current = view.current()
    assert current is not None and current.id == ROW.id  # the 9:00 note is written
    assert view.note_button.isEnabled()  # Alt+W writes its note
