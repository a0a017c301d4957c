"""Appointments: booking rules, series, clashes, what became of each, diaries, notes from
appointments, attendance in partner summaries and the calendar export."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest

from clinic_app.errors import (
    AccessDenied,
    EmergencyAccessRequired,
    InvalidTransition,
    ValidationError,
)
from clinic_app.models.enums import (
    AppointmentStatus,
    Attendance,
    CancelledBy,
    Modality,
    Repeat,
    ThirdPartyRelation,
)
from clinic_app.services import appointments, clients, notes, third_parties
from clinic_app.services.appointments import AppointmentClash
from clinic_app.services.sharing.partner_summary import build_partner_summary
from tests.conftest import client_details

TODAY = date(2026, 12, 7)  # a Monday
TEN = time(10, 0)


def book(session, by, client_id, **overrides):
    values = {
        "day": TODAY + timedelta(days=1),
        "start_time": TEN,
        "duration_minutes": 50,
        "modality": Modality.IN_PERSON,
        "place": "Room 2, Harbour House",
        "today": TODAY,
    }
    values.update(overrides)
    return appointments.book(session, by, client_id, **values)


def problems(error: ValidationError) -> dict[str, str]:
    return {p.where: p.message for p in error.problems}


def test_a_one_off_booking_is_listed_in_the_clinicians_diary(db, psychologist, client_id):
    with db.transaction() as s:
        [row] = book(s, psychologist, client_id)
    assert row.status is AppointmentStatus.BOOKED
    assert row.series_id is None and row.repeat is Repeat.NONE
    assert [a.staff_id for a in row.clinicians] == [psychologist.id]  # the user, by default
    assert row.ends == datetime(2026, 12, 8, 10, 50)
    with db.session() as s:
        week = appointments.week_diary(s, psychologist, psychologist.id, TODAY)
    assert (week.start, week.end) == (date(2026, 12, 7), date(2026, 12, 13))
    assert [r.id for r in week.rows] == [row.id]
    assert week.rows[0].client_name == "EXAMPLE, Alex" and week.rows[0].local_ref == "MASIP-0001"


def test_bad_bookings_are_refused_in_plain_words_and_change_nothing(db, psychologist, client_id):
    with db.session() as s, pytest.raises(ValidationError) as refused:
        book(
            s,
            psychologist,
            client_id,
            day=TODAY - timedelta(days=1),
            duration_minutes=0,
            video_link="http://example.org/x",
        )
    found = problems(refused.value)
    assert found["day"] == "An appointment cannot be booked for a day that has passed."
    assert "from 5 minutes to 8 hours" in found["duration_minutes"]
    assert "https://" in found["video_link"]
    with db.session() as s:
        assert appointments.appointments_for_client(s, psychologist, client_id) == ()


def test_today_may_be_booked_to_record_a_contact_already_held(db, psychologist, client_id):
    with db.transaction() as s:
        [row] = book(s, psychologist, client_id, day=TODAY, start_time=time(8, 0))
    assert row.day == TODAY


def test_a_weekly_series_is_one_row_per_occurrence_and_one_moves_alone(db, psychologist, client_id):
    with db.transaction() as s:
        series = book(s, psychologist, client_id, repeat=Repeat.WEEKLY, occurrences=4)
    assert [r.day for r in series] == [TODAY + timedelta(days=1 + 7 * n) for n in range(4)]
    assert len({r.series_id for r in series}) == 1 and series[0].series_id is not None
    assert [r.occurrence for r in series] == [1, 2, 3, 4]
    with db.transaction() as s:
        moved = appointments.move(
            s, psychologist, series[1].id, day=series[1].day, start_time=time(14, 30), today=TODAY
        )
    assert moved.start_time == time(14, 30)
    with db.session() as s:
        rows = appointments.appointments_for_client(s, psychologist, client_id)
    assert [r.start_time for r in rows] == [TEN, time(14, 30), TEN, TEN]


def test_a_monthly_series_keeps_to_the_last_day_of_short_months(db, psychologist, client_id):
    with db.transaction() as s:
        series = book(
            s, psychologist, client_id, day=date(2027, 1, 31), repeat=Repeat.MONTHLY, occurrences=3
        )
    assert [r.day for r in series] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]


def test_a_series_needs_a_sensible_number_of_occurrences(db, psychologist, client_id):
    with db.session() as s, pytest.raises(ValidationError) as refused:
        book(s, psychologist, client_id, repeat=Repeat.FORTNIGHTLY, occurrences=1)
    assert "from 2 to 52 times" in problems(refused.value)["occurrences"]


def test_a_clash_names_the_time_not_the_other_client_and_can_be_confirmed(
    db, psychologist, client_id
):
    with db.transaction() as s:
        other = clients.register_client(
            s, psychologist, client_details(local_ref="MASIP-0002", nhs_number="")
        ).id
        book(s, psychologist, other)
    with db.session() as s, pytest.raises(AppointmentClash) as clash:
        book(s, psychologist, client_id, start_time=time(10, 30))
    [message] = [p.message for p in clash.value.problems]
    assert message == (
        "Dr Jones already has an appointment from 10:00 to 10:50 on Tuesday 8 December 2026."
    )
    assert "MASIP-0002" not in message and "Example" not in message
    with db.transaction() as s:
        [row] = book(s, psychologist, client_id, start_time=time(10, 30), allow_overlap=True)
    assert row.start_time == time(10, 30)
    with db.transaction() as s:  # back to back is no clash
        book(s, psychologist, client_id, start_time=time(11, 20))


def test_a_cancelled_appointment_frees_its_time(db, psychologist, client_id):
    with db.transaction() as s:
        [first] = book(s, psychologist, client_id)
        appointments.cancel(
            s, psychologist, first.id, cancelled_by=CancelledBy.SERVICE, reason="Clinician ill"
        )
        book(s, psychologist, client_id)


def test_cancelling_needs_a_reason_and_says_who_cancelled(db, psychologist, client_id):
    with db.transaction() as s:
        [row] = book(s, psychologist, client_id)
    with db.session() as s, pytest.raises(ValidationError) as refused:
        appointments.cancel(s, psychologist, row.id, cancelled_by=CancelledBy.CLIENT, reason=" ")
    assert problems(refused.value) == {"reason": "The reason is required."}
    with db.transaction() as s:
        cancelled = appointments.cancel(
            s, psychologist, row.id, cancelled_by=CancelledBy.CLIENT, reason="Work shift"
        )
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.cancelled_by is CancelledBy.CLIENT and cancelled.cancel_reason == "Work shift"
    with db.session() as s, pytest.raises(InvalidTransition):
        appointments.mark_attended(s, psychologist, row.id, today=row.day)


def test_attendance_is_marked_on_or_after_the_day_only(db, psychologist, client_id):
    with db.transaction() as s:
        [row] = book(s, psychologist, client_id)
    with db.session() as s, pytest.raises(ValidationError):
        appointments.mark_did_not_attend(s, psychologist, row.id, today=TODAY)
    with db.transaction() as s:
        dna = appointments.mark_did_not_attend(s, psychologist, row.id, today=row.day)
    assert dna.status is AppointmentStatus.DID_NOT_ATTEND
    with db.session() as s, pytest.raises(InvalidTransition):
        appointments.mark_attended(s, psychologist, row.id, today=row.day)


def test_a_victims_address_is_never_a_place(db, psychologist, client_id):
    with db.transaction() as s:
        third_parties.add_third_party(
            s,
            psychologist,
            client_id,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM,
                name="Sam Victim",
                addresses=("14 Linden Road, Leeds LS6 2AB",),
            ),
        )
    with db.session() as s, pytest.raises(ValidationError) as refused:
        book(s, psychologist, client_id, place="Home visit: 14 linden road, Leeds")
    assert "recorded for a victim" in problems(refused.value)["place"]


def test_only_the_clients_team_books_and_administrators_keep_no_diary(
    db, admin, clinician, psychologist, client_id
):
    with db.session() as s, pytest.raises(EmergencyAccessRequired):
        book(s, clinician, client_id)
    with db.session() as s, pytest.raises(AccessDenied):
        appointments.day_diary(s, admin, psychologist.id, TODAY)
    with db.session() as s:
        assert appointments.todays_appointments(s, admin, TODAY) == ()


def test_a_colleagues_diary_shows_other_clients_as_busy_time_only(
    db, psychologist, clinician, client_id
):
    with db.transaction() as s:
        [row] = book(s, psychologist, client_id, clinician_ids=[psychologist.id, clinician.id])
    with db.session() as s:
        theirs = appointments.day_diary(s, clinician, psychologist.id, row.day)
        mine = appointments.day_diary(s, clinician, clinician.id, row.day)
    for diary in (theirs, mine):
        [busy] = diary.rows
        assert busy.is_busy_only
        assert (busy.client_name, busy.local_ref, busy.place, busy.cancel_reason) == ("",) * 4
        assert busy.start_time == TEN


def test_todays_appointments_for_home(db, psychologist, client_id):
    with db.transaction() as s:
        [kept] = book(s, psychologist, client_id, day=TODAY, start_time=time(15, 0))
        [gone] = book(s, psychologist, client_id, day=TODAY, start_time=time(16, 0))
        appointments.cancel(
            s, psychologist, gone.id, cancelled_by=CancelledBy.CLIENT, reason="Unwell"
        )
        book(s, psychologist, client_id)  # tomorrow
    with db.session() as s:
        today = appointments.todays_appointments(s, psychologist, TODAY)
    assert [r.id for r in today] == [kept.id]


def test_a_note_started_from_an_appointment_is_prefilled_and_linked(db, psychologist, client_id):
    with db.transaction() as s:
        [row] = book(s, psychologist, client_id, day=TODAY, start_time=time(9, 15))
    with db.session() as s:
        prefill = appointments.note_prefill(s, psychologist, row.id)
    content = appointments.note_content_from(prefill)
    assert (content.session_date, content.start_time, content.duration_minutes) == (
        TODAY,
        time(9, 15),
        50,
    )
    assert content.modality is Modality.IN_PERSON and content.attendance is Attendance.ATTENDED
    with db.transaction() as s:
        note = appointments.start_note(s, psychologist, row.id, content, today=TODAY)
    assert note.content.start_time == time(9, 15)
    with db.session() as s:
        linked = appointments.appointment(s, psychologist, row.id)
        [stored] = notes.notes_for_client(s, psychologist, client_id)
    assert linked.note_id == note.id and linked.note_signed is False
    assert linked.status is AppointmentStatus.ATTENDED
    assert stored.content.start_time == time(9, 15)
    with db.session() as s, pytest.raises(InvalidTransition):
        appointments.note_prefill(s, psychologist, row.id)
    # The note editor does not show the start time yet: saving from it keeps the time.
    edited = notes.NoteContent(TODAY, 50, Modality.IN_PERSON, Attendance.ATTENDED, agenda="x")
    with db.transaction() as s:
        notes.edit_draft(s, psychologist, note.id, edited, expected_version=1, today=TODAY)
    with db.session() as s:
        [stored] = notes.notes_for_client(s, psychologist, client_id)
    assert stored.content.start_time == time(9, 15) and stored.content.agenda == "x"


def _attendance(db, by, client_id):
    with db.session() as s:
        summary = build_partner_summary(
            s,
            by,
            client_id,
            audience="police",
            period_from=TODAY,
            period_to=TODAY + timedelta(days=10),
            today=TODAY + timedelta(days=10),
        )
    assert summary.attendance is not None
    return summary.attendance


def test_partner_attendance_counts_each_contact_once(db, psychologist, client_id):
    days = [TODAY + timedelta(days=n) for n in range(5)]
    with db.transaction() as s:
        rows = [book(s, psychologist, client_id, day=d)[0] for d in days]
        later = TODAY + timedelta(days=9)
        # 0: attended, with a note started from it (counted through the note)
        content = appointments.note_content_from(
            appointments.note_prefill(s, psychologist, rows[0].id)
        )
        appointments.start_note(s, psychologist, rows[0].id, content, today=later)
        # 1: did not attend, no note
        appointments.mark_did_not_attend(s, psychologist, rows[1].id, today=later)
        # 2: cancelled by the client
        appointments.cancel(
            s, psychologist, rows[2].id, cancelled_by=CancelledBy.CLIENT, reason="Qz-reason"
        )
        # 3: attended, and a note written separately on the same day (counted once)
        appointments.mark_attended(s, psychologist, rows[3].id, today=later)
        notes.create_draft(
            s,
            psychologist,
            client_id,
            notes.NoteContent(days[3], 50, Modality.IN_PERSON, Attendance.ATTENDED),
            today=later,
        )
        # 4: still booked: says nothing yet
    section = _attendance(db, psychologist, client_id)
    counts = section.counts
    assert (counts.attended, counts.did_not_attend, counts.cancelled_by_client) == (2, 1, 1)
    assert [e.session_date for e in section.entries] == days[:4]


def test_the_calendar_carries_the_case_reference_and_time_only(db, psychologist, client_id):
    canaries = ("Alex", "Example", "Harbour House", "Qz-video-room", "Qz-cancel-reason")
    with db.transaction() as s:
        [kept] = book(s, psychologist, client_id, start_time=time(9, 0))
        [video] = book(
            s,
            psychologist,
            client_id,
            start_time=time(13, 0),
            modality=Modality.VIDEO,
            place="",
            video_link="https://meet.example.org/Qz-video-room",
        )
        [gone] = book(s, psychologist, client_id, start_time=time(15, 0))
        appointments.cancel(
            s, psychologist, gone.id, cancelled_by=CancelledBy.CLIENT, reason="Qz-cancel-reason"
        )
        content = appointments.note_content_from(
            appointments.note_prefill(s, psychologist, kept.id)
        )
        appointments.start_note(s, psychologist, kept.id, content, today=TODAY + timedelta(days=1))
    stamp = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with db.session() as s:
        data = appointments.diary_ics(
            s, psychologist, psychologist.id, TODAY, TODAY + timedelta(days=6), now=stamp
        )
        again = appointments.diary_ics(
            s, psychologist, psychologist.id, TODAY, TODAY + timedelta(days=6), now=stamp
        )
    text = data.decode()
    for canary in canaries:
        assert canary.lower() not in text.lower()
    for word in ("video", "in person", "attended", "cancelled by"):
        assert word not in text.lower()
    assert data == again  # stable: the same diary gives the same file
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["Appointment: MASIP-0001"] * 3
    assert [str(e["uid"]) for e in events] == [
        f"appointment-{kept.id}@clinic-app",
        f"appointment-{video.id}@clinic-app",
        f"appointment-{gone.id}@clinic-app",
    ]
    assert all("DTSTAMP" in e for e in events)
    start = events[0].decoded("dtstart")
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/London"
    assert start.replace(tzinfo=None) == datetime(2026, 12, 8, 9, 0)
    assert "TZID=Europe/London" in text and "BEGIN:VTIMEZONE" in text
    assert str(events[2]["status"]) == "CANCELLED"
    assert set(events[0].keys()) <= {
        "UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE", "CLASS", "TRANSP", "STATUS",
    }  # fmt: skip
