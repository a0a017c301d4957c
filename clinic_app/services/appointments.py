"""Appointments: booking sessions with a client, the clinicians' diaries, and what became of each.

Rules kept here (each refusal in words a clinician understands; a refused input changes
nothing):

- **Booking.** A client the user may open (:mod:`clinic_app.services.access`); a day no
  earlier than today (a contact already held today may still be booked, to record it);
  a length from :data:`MIN_DURATION` to :data:`MAX_DURATION` minutes; at least one
  attending member of clinical staff. A repeating booking (weekly, fortnightly, monthly,
  2 to :data:`MAX_OCCURRENCES` times) is one row per occurrence, sharing a series id, so
  that one occurrence can be moved or cancelled alone; it is booked whole or not at all.
- **Clashes.** An attending clinician who already has an appointment overlapping the new
  time makes the booking (or move) fail with :class:`AppointmentClash`, naming the time
  but never the other client; booking again with ``allow_overlap=True`` confirms it.
- **Place.** Where the appointment is can locate the client, so it is IDENTIFYING and never
  leaves (not in the calendar export either). It must never be a victim's address: a place
  that matches an address recorded for one of the client's third parties is refused.
- **What became of it.** Booked, then attended or did not attend (only once its day has
  come), or cancelled by the client or the service with a reason. A cancelled or attended
  appointment is not changed again; a wrong mark is corrected by booking anew.
- **Notes.** A note started from an appointment is prefilled with its day, start time,
  length and modality and linked to it; the link is what partner summaries use to count
  the contact once (:mod:`clinic_app.services.sharing.partner_summary`).
- **Diaries** list one clinician's appointments over days. Appointments with clients the
  user may not open show only as busy time, without the client or the place.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, cast

from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, InvalidTransition, NotFound, Problem, ValidationError
from clinic_app.models import (
    Appointment,
    AppointmentClinician,
    Client,
    ClientAssignment,
    EmergencyAccess,
    SessionNote,
    StaffUser,
)
from clinic_app.models.base import utcnow
from clinic_app.models.enums import (
    AppointmentStatus,
    Attendance,
    CancelledBy,
    Modality,
    Repeat,
    Role,
)
from clinic_app.services import audit, note_templates, notes, third_parties
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import Checker

MIN_DURATION: Final = 5
MAX_DURATION: Final = 480
MAX_OCCURRENCES: Final = 52
MAX_PLACE: Final = 300
MAX_LINK: Final = 500
MAX_REASON: Final = 2000
MAX_DIARY_DAYS: Final = 62
TIME_ZONE: Final = "Europe/London"
"""Appointment times are wall-clock times where the service is (Europe/London)."""

_STEP_DAYS: Final = {Repeat.WEEKLY: 7, Repeat.FORTNIGHTLY: 14}


class AppointmentClash(ValidationError):
    """An attending clinician already has an appointment at that time (confirm to book)."""


@dataclass(frozen=True)
class Attendee:
    staff_id: int
    name: str


@dataclass(frozen=True)
class AppointmentRow:
    """One appointment as a diary or a record shows it.

    ``client_id`` is None (and the client, place and reason are blank) for an appointment
    with a client the user may not open: it shows only as busy time.
    """

    id: int
    client_id: int | None
    client_name: str
    local_ref: str
    day: date
    start_time: time
    duration_minutes: int
    modality: Modality
    place: str
    video_link: str
    status: AppointmentStatus
    cancelled_by: CancelledBy | None
    cancel_reason: str
    clinicians: tuple[Attendee, ...]
    series_id: str | None
    occurrence: int
    repeat: Repeat
    note_id: int | None
    note_signed: bool | None
    version: int
    measures_due: tuple[str, ...] = ()

    @property
    def starts(self) -> datetime:
        """The start as a naive local (Europe/London) date and time."""
        return datetime.combine(self.day, self.start_time)

    @property
    def ends(self) -> datetime:
        return self.starts + timedelta(minutes=self.duration_minutes)

    @property
    def is_busy_only(self) -> bool:
        return self.client_id is None


@dataclass(frozen=True)
class Diary:
    """One clinician's appointments from ``start`` to ``end`` (inclusive), in time order."""

    staff_id: int
    staff_name: str
    start: date
    end: date
    rows: tuple[AppointmentRow, ...] = field(default_factory=tuple)

    def on(self, day: date) -> tuple[AppointmentRow, ...]:
        return tuple(r for r in self.rows if r.day == day)


@dataclass(frozen=True)
class NotePrefill:
    """What a session note started from an appointment begins with."""

    appointment_id: int
    client_id: int
    session_date: date
    start_time: time
    duration_minutes: int
    modality: Modality
    attendance: Attendance


# -- reading ---------------------------------------------------------------------------------


def openable_clients(by: StaffRef) -> Select[Any]:
    """The ids of the clients ``by`` may open now: assigned, or unexpired emergency access."""
    return union(
        select(ClientAssignment.client_id).where(
            ClientAssignment.staff_id == by.id, ClientAssignment.ended_at.is_(None)
        ),
        select(EmergencyAccess.client_id).where(
            EmergencyAccess.staff_id == by.id, EmergencyAccess.expires_at > utcnow()
        ),
    )  # type: ignore[return-value]


def _attendees(session: Session, ids: Sequence[int]) -> dict[int, tuple[Attendee, ...]]:
    found: dict[int, list[Attendee]] = {}
    if not ids:
        return {}
    for appointment_id, staff_id, name in session.execute(
        select(AppointmentClinician.appointment_id, StaffUser.id, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == AppointmentClinician.staff_id)
        .where(AppointmentClinician.appointment_id.in_(ids))
        .order_by(AppointmentClinician.appointment_id, StaffUser.display_name)
    ):
        found.setdefault(appointment_id, []).append(Attendee(staff_id, name))
    return {k: tuple(v) for k, v in found.items()}


_COLUMNS: Final = (
    Appointment.id,
    Appointment.client_id,
    Client.given_name,
    Client.family_name,
    Client.local_ref,
    Appointment.day,
    Appointment.start_time,
    Appointment.duration_minutes,
    Appointment.modality,
    Appointment.place,
    Appointment.video_link,
    Appointment.status,
    Appointment.cancelled_by,
    Appointment.cancel_reason,
    Appointment.series_id,
    Appointment.occurrence,
    Appointment.repeat,
    Appointment.note_id,
    SessionNote.signed_at,
    Appointment.version,
)


def _query() -> Select[Any]:
    query = (
        select(*_COLUMNS)
        .join(Client, Client.id == Appointment.client_id)
        .outerjoin(SessionNote, SessionNote.id == Appointment.note_id)
    )
    return cast("Select[Any]", query)


def _rows(
    session: Session,
    query: Select[Any],
    *,
    openable: set[int] | None,
    measures_due: dict[int, tuple[str, ...]] | None = None,
) -> tuple[AppointmentRow, ...]:
    """Rows from ``_query``; clients outside ``openable`` (when given) show as busy only."""
    result = session.execute(
        query.order_by(Appointment.day, Appointment.start_time, Appointment.id)
    ).all()
    people = _attendees(session, [r[0] for r in result])
    rows = []
    for r in result:
        (ident, client_id, given, family, ref, day, start, minutes, modality, place, link) = r[:11]
        status, cancelled_by, reason, series, occurrence, repeat, note_id, signed, version = r[11:]
        visible = openable is None or client_id in openable
        rows.append(
            AppointmentRow(
                id=ident,
                client_id=client_id if visible else None,
                client_name=f"{family.upper()}, {given}" if visible else "",
                local_ref=ref if visible else "",
                day=day,
                start_time=start,
                duration_minutes=minutes,
                modality=modality,
                place=place if visible else "",
                video_link=link if visible else "",
                status=status,
                cancelled_by=cancelled_by,
                cancel_reason=reason if visible else "",
                clinicians=people.get(ident, ()),
                series_id=series,
                occurrence=occurrence,
                repeat=repeat,
                note_id=note_id if visible else None,
                note_signed=(signed is not None if note_id is not None else None)
                if visible
                else None,
                version=version,
                measures_due=(measures_due or {}).get(client_id, ()) if visible else (),
            )
        )
    return tuple(rows)


def _openable_ids(session: Session, by: StaffRef) -> set[int]:
    return set(session.scalars(select(openable_clients(by).subquery().c[0])))


def _row(session: Session, by: StaffRef, appointment_id: int) -> AppointmentRow:
    [row] = _rows(session, _query().where(Appointment.id == appointment_id), openable=None)
    return row


def appointment(session: Session, by: StaffRef, appointment_id: int) -> AppointmentRow:
    """One appointment of a client the user may open."""
    found = get_or_raise(session, Appointment, appointment_id, "appointment")
    require_clinical_access(session, by, found.client_id)
    return _row(session, by, appointment_id)


def appointments_for_client(
    session: Session, by: StaffRef, client_id: int
) -> tuple[AppointmentRow, ...]:
    """Every appointment of one client, earliest first."""
    require_clinical_access(session, by, client_id)
    return _rows(session, _query().where(Appointment.client_id == client_id), openable=None)


def _require_clinical(by: StaffRef) -> None:
    if not by.is_clinical:
        raise AccessDenied("Administrators manage the system but do not keep clinical diaries.")


def diary(
    session: Session,
    by: StaffRef,
    staff_id: int,
    start: date,
    end: date,
    *,
    today: date | None = None,
) -> Diary:
    """``staff_id``'s appointments from ``start`` to ``end``, cancelled ones included.

    Appointments with clients ``by`` may not open show as busy time only. Each row of a
    client ``by`` may open carries the measures due for that client (as of ``today``).
    """
    from clinic_app.services import measure_schedules  # noqa: PLC0415 - only for diaries

    _require_clinical(by)
    if end < start:
        raise ValidationError("The diary's last day is before its first.")
    if (end - start).days >= MAX_DIARY_DAYS:
        raise ValidationError(f"A diary shows at most {MAX_DIARY_DAYS} days at a time.")
    person = session.get(StaffUser, staff_id)
    if person is None or person.role is Role.ADMINISTRATOR:
        raise NotFound("That member of clinical staff could not be found.")
    attending = select(AppointmentClinician.appointment_id).where(
        AppointmentClinician.staff_id == staff_id
    )
    query = _query().where(
        Appointment.id.in_(attending), Appointment.day >= start, Appointment.day <= end
    )
    openable = _openable_ids(session, by)
    due: dict[int, list[str]] = {}
    if staff_id == by.id:
        for measure in measure_schedules.measures_due_for_caseload(
            session, by, today or date.today()
        ):
            due.setdefault(measure.client_id, []).append(measure.short_title)
    rows = _rows(
        session,
        query,
        openable=openable,
        measures_due={k: tuple(dict.fromkeys(v)) for k, v in due.items()},
    )
    return Diary(staff_id, person.display_name, start, end, rows)


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday of the week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def day_diary(session: Session, by: StaffRef, staff_id: int, day: date) -> Diary:
    return diary(session, by, staff_id, day, day)


def week_diary(session: Session, by: StaffRef, staff_id: int, day: date) -> Diary:
    start, end = week_of(day)
    return diary(session, by, staff_id, start, end)


def todays_appointments(
    session: Session, me: StaffRef, day: date | None = None
) -> tuple[AppointmentRow, ...]:
    """The signed-in clinician's appointments on ``day`` (default today), for Home.

    Only clients the clinician may open are listed; cancelled appointments are left out.
    """
    if not me.is_clinical:
        return ()
    day = day or date.today()
    found = diary(session, me, me.id, day, day, today=day)
    return tuple(
        r for r in found.rows if not r.is_busy_only and r.status is not AppointmentStatus.CANCELLED
    )


# -- booking ---------------------------------------------------------------------------------


def _occurrence_days(first: date, repeat: Repeat, count: int) -> list[date]:
    if repeat is Repeat.NONE:
        return [first]
    if repeat is Repeat.MONTHLY:
        days = []
        for n in range(count):
            month_index = first.month - 1 + n
            year, month = first.year + month_index // 12, month_index % 12 + 1
            last = calendar.monthrange(year, month)[1]
            days.append(date(year, month, min(first.day, last)))
        return days
    step = _STEP_DAYS[repeat]
    return [first + timedelta(days=step * n) for n in range(count)]


def _overlaps(a_start: datetime, a_minutes: int, b_start: datetime, b_minutes: int) -> bool:
    return a_start < b_start + timedelta(minutes=b_minutes) and b_start < a_start + timedelta(
        minutes=a_minutes
    )


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _clashes(
    session: Session,
    slots: Iterable[tuple[date, time, int]],
    staff_ids: Sequence[int],
    *,
    ignoring: Sequence[int] = (),
) -> list[Problem]:
    """Problems naming each attending clinician already booked at an overlapping time."""
    problems: list[Problem] = []
    wanted = list(slots)
    days = {d for d, _t, _m in wanted}
    if not days or not staff_ids:
        return problems
    names = dict(
        session.execute(
            select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(staff_ids))
        ).all()
    )
    taken = session.execute(
        select(
            AppointmentClinician.staff_id,
            Appointment.day,
            Appointment.start_time,
            Appointment.duration_minutes,
        )
        .join(Appointment, Appointment.id == AppointmentClinician.appointment_id)
        .where(
            AppointmentClinician.staff_id.in_(staff_ids),
            Appointment.day.in_(days),
            Appointment.status != AppointmentStatus.CANCELLED,
            *((Appointment.id.not_in(ignoring),) if ignoring else ()),
        )
    ).all()
    for day, start, minutes in wanted:
        begins = datetime.combine(day, start)
        for staff_id, other_day, other_start, other_minutes in taken:
            if other_day == day and _overlaps(
                begins, minutes, datetime.combine(other_day, other_start), other_minutes
            ):
                until = datetime.combine(day, other_start) + timedelta(minutes=other_minutes)
                problems.append(
                    Problem(
                        "start_time",
                        f"{names.get(staff_id, 'A clinician')} already has an appointment "
                        f"from {other_start:%H:%M} to {until:%H:%M} on {_long(day)}.",
                    )
                )
    return list(dict.fromkeys(problems))


def _check_place(
    session: Session, by: StaffRef, client_id: int, place: str, check: Checker
) -> None:
    """Refuse a place that is an address recorded for one of the client's third parties."""
    if not place.strip():
        return
    wanted = f" {_plain(place)} "
    for address in third_parties.identifiers(session, by, client_id).addresses:
        # The whole address, or a line of it with a number in it (the house and street,
        # the postcode), found in the place as whole words.
        lines = [address, *address.split(",")]
        for line in lines:
            recorded = _plain(line)
            worth = line is address or (len(recorded) >= 5 and any(c.isdigit() for c in recorded))
            if worth and recorded and f" {recorded} " in wanted:
                check.add(
                    "place",
                    "This place is an address recorded for a victim or another person in "
                    "this record. An appointment is never held there: choose another place.",
                )
                return


def _plain(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


def _check_booking(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    days: Sequence[date],
    duration_minutes: int,
    modality: Modality,
    place: str,
    video_link: str,
    clinician_ids: Sequence[int],
    today: date,
    check: Checker,
) -> None:
    if days and days[0] < today:
        check.add("day", "An appointment cannot be booked for a day that has passed.")
    if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        check.add(
            "duration_minutes",
            f"An appointment lasts from {MIN_DURATION} minutes to {MAX_DURATION // 60} hours "
            f"({MAX_DURATION} minutes).",
        )
    check.text("place", place, label="The place", max_length=MAX_PLACE)
    check.text("video_link", video_link, label="The video link", max_length=MAX_LINK)
    if video_link.strip() and not video_link.strip().lower().startswith("https://"):
        check.add("video_link", "A video link starts with https://.")
    elif video_link.strip() and modality is not Modality.VIDEO:
        check.add("video_link", "Only a video appointment has a video link.")
    _check_place(session, by, client_id, place, check)
    if not clinician_ids:
        check.add("clinicians", "Choose at least one clinician to attend.")
    else:
        staff = session.execute(
            select(StaffUser.id, StaffUser.role, StaffUser.disabled_at).where(
                StaffUser.id.in_(clinician_ids)
            )
        ).all()
        fit = {s for s, role, disabled in staff if role is not Role.ADMINISTRATOR and not disabled}
        if fit != set(clinician_ids):
            check.add(
                "clinicians",
                "Only active clinical staff can attend an appointment; choose again.",
            )


def book(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    day: date,
    start_time: time,
    duration_minutes: int,
    modality: Modality,
    clinician_ids: Sequence[int] = (),
    place: str = "",
    video_link: str = "",
    repeat: Repeat = Repeat.NONE,
    occurrences: int = 1,
    allow_overlap: bool = False,
    today: date | None = None,
) -> tuple[AppointmentRow, ...]:
    """Book one appointment, or a repeating series (each occurrence its own row).

    ``clinician_ids`` defaults to the user alone. Raises :class:`AppointmentClash` when an
    attending clinician is already booked at an overlapping time, unless ``allow_overlap``.
    """
    require_clinical_access(session, by, client_id)
    today = today or date.today()
    attending = list(dict.fromkeys(clinician_ids or (by.id,)))
    start_time = start_time.replace(second=0, microsecond=0)
    check = Checker()
    if repeat is Repeat.NONE and occurrences != 1:
        check.add("occurrences", "Choose how the appointment repeats, or book it once.")
    if repeat is not Repeat.NONE and not 2 <= occurrences <= MAX_OCCURRENCES:
        check.add(
            "occurrences",
            f"A repeating appointment is booked from 2 to {MAX_OCCURRENCES} times.",
        )
    count = occurrences if 1 <= occurrences <= MAX_OCCURRENCES else 1
    days = _occurrence_days(day, repeat, count)
    _check_booking(
        session,
        by,
        client_id,
        days=days,
        duration_minutes=duration_minutes,
        modality=modality,
        place=place,
        video_link=video_link,
        clinician_ids=attending,
        today=today,
        check=check,
    )
    check.raise_if_any()
    if not allow_overlap:
        clashes = _clashes(session, [(d, start_time, duration_minutes) for d in days], attending)
        if clashes:
            raise AppointmentClash(clashes)
    series = str(uuid.uuid4()) if repeat is not Repeat.NONE else None
    made: list[Appointment] = []
    for number, when in enumerate(days, start=1):
        row = Appointment(
            client_id=client_id,
            series_id=series,
            repeat=repeat,
            occurrence=number,
            day=when,
            start_time=start_time,
            duration_minutes=duration_minutes,
            modality=modality,
            place=place.strip(),
            video_link=video_link.strip(),
            status=AppointmentStatus.BOOKED,
            cancel_reason="",
            booked_by=by.id,
        )
        session.add(row)
        session.flush()
        for staff_id in attending:
            session.add(AppointmentClinician(appointment_id=row.id, staff_id=staff_id))
        made.append(row)
    session.flush()
    for row in made:
        audit.record(
            session,
            audit.Action.CREATE,
            actor_id=by.id,
            entity="appointment",
            entity_id=row.id,
            client_id=client_id,
        )
    return _rows(session, _query().where(Appointment.id.in_([r.id for r in made])), openable=None)


def _for_change(
    session: Session, by: StaffRef, appointment_id: int, expected_version: int | None
) -> Appointment:
    found = get_or_raise(session, Appointment, appointment_id, "appointment")
    require_clinical_access(session, by, found.client_id)
    if expected_version is not None and found.version != expected_version:
        raise ValidationError(
            "This appointment was changed elsewhere since you opened the diary. "
            "Look at it again, then try once more."
        )
    return found


def _audit(session: Session, by: StaffRef, found: Appointment, what: str) -> None:
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="appointment",
        entity_id=found.id,
        client_id=found.client_id,
        detail={"change": what},
    )


def move(
    session: Session,
    by: StaffRef,
    appointment_id: int,
    *,
    day: date,
    start_time: time,
    duration_minutes: int | None = None,
    allow_overlap: bool = False,
    expected_version: int | None = None,
    today: date | None = None,
) -> AppointmentRow:
    """Move one booked appointment (one occurrence of a series moves alone)."""
    found = _for_change(session, by, appointment_id, expected_version)
    if found.status is not AppointmentStatus.BOOKED:
        raise InvalidTransition(
            "Only a booked appointment can be moved; this one is already "
            f"{found.status.value.replace('_', ' ')}."
        )
    today = today or date.today()
    minutes = found.duration_minutes if duration_minutes is None else duration_minutes
    start_time = start_time.replace(second=0, microsecond=0)
    attending = list(
        session.scalars(
            select(AppointmentClinician.staff_id).where(
                AppointmentClinician.appointment_id == found.id
            )
        )
    )
    check = Checker()
    _check_booking(
        session,
        by,
        found.client_id,
        days=[day],
        duration_minutes=minutes,
        modality=found.modality,
        place="",
        video_link=found.video_link,
        clinician_ids=attending,
        today=today,
        check=check,
    )
    check.raise_if_any()
    if not allow_overlap:
        clashes = _clashes(session, [(day, start_time, minutes)], attending, ignoring=[found.id])
        if clashes:
            raise AppointmentClash(clashes)
    found.day, found.start_time, found.duration_minutes = day, start_time, minutes
    found.updated_at = utcnow()
    session.flush()
    _audit(session, by, found, "moved")
    return _row(session, by, found.id)


def cancel(
    session: Session,
    by: StaffRef,
    appointment_id: int,
    *,
    cancelled_by: CancelledBy,
    reason: str,
    expected_version: int | None = None,
) -> AppointmentRow:
    """Cancel one appointment, saying who cancelled it and why (the reason is required)."""
    found = _for_change(session, by, appointment_id, expected_version)
    check = Checker()
    check.text("reason", reason, label="The reason", required=True, max_length=MAX_REASON)
    check.raise_if_any()
    if found.status is not AppointmentStatus.BOOKED:
        raise InvalidTransition(
            "Only a booked appointment can be cancelled; this one is already "
            f"{found.status.value.replace('_', ' ')}."
        )
    found.status = AppointmentStatus.CANCELLED
    found.cancelled_by = cancelled_by
    found.cancel_reason = reason.strip()
    found.status_changed_by = by.id
    found.updated_at = utcnow()
    session.flush()
    _audit(session, by, found, "cancelled")
    return _row(session, by, found.id)


def _mark(
    session: Session,
    by: StaffRef,
    appointment_id: int,
    status: AppointmentStatus,
    *,
    expected_version: int | None,
    today: date | None,
) -> AppointmentRow:
    found = _for_change(session, by, appointment_id, expected_version)
    if found.status is not AppointmentStatus.BOOKED:
        raise InvalidTransition(
            "This appointment is already "
            f"{found.status.value.replace('_', ' ')}; it is not marked again."
        )
    if found.day > (today or date.today()):
        raise ValidationError(
            "An appointment is marked attended or not attended on or after its day."
        )
    found.status = status
    found.status_changed_by = by.id
    found.updated_at = utcnow()
    session.flush()
    _audit(session, by, found, status.value)
    return _row(session, by, found.id)


def mark_attended(
    session: Session,
    by: StaffRef,
    appointment_id: int,
    *,
    expected_version: int | None = None,
    today: date | None = None,
) -> AppointmentRow:
    """The client came."""
    return _mark(
        session,
        by,
        appointment_id,
        AppointmentStatus.ATTENDED,
        expected_version=expected_version,
        today=today,
    )


def mark_did_not_attend(
    session: Session,
    by: StaffRef,
    appointment_id: int,
    *,
    expected_version: int | None = None,
    today: date | None = None,
) -> AppointmentRow:
    """The client did not come and did not cancel (a DNA)."""
    return _mark(
        session,
        by,
        appointment_id,
        AppointmentStatus.DID_NOT_ATTEND,
        expected_version=expected_version,
        today=today,
    )


# -- notes from appointments -----------------------------------------------------------------

_ATTENDANCE_OF: Final = {
    AppointmentStatus.BOOKED: Attendance.ATTENDED,
    AppointmentStatus.ATTENDED: Attendance.ATTENDED,
    AppointmentStatus.DID_NOT_ATTEND: Attendance.DID_NOT_ATTEND,
}
_STATUS_OF: Final = {
    Attendance.ATTENDED: AppointmentStatus.ATTENDED,
    Attendance.LATE: AppointmentStatus.ATTENDED,
    Attendance.DID_NOT_ATTEND: AppointmentStatus.DID_NOT_ATTEND,
}


def note_prefill(session: Session, by: StaffRef, appointment_id: int) -> NotePrefill:
    """What a note started from this appointment begins with."""
    found = get_or_raise(session, Appointment, appointment_id, "appointment")
    require_clinical_access(session, by, found.client_id)
    if found.status is AppointmentStatus.CANCELLED:
        raise InvalidTransition("This appointment was cancelled: there is no session to write up.")
    if found.note_id is not None:
        raise InvalidTransition("A note has already been started from this appointment.")
    return NotePrefill(
        appointment_id=found.id,
        client_id=found.client_id,
        session_date=found.day,
        start_time=found.start_time,
        duration_minutes=found.duration_minutes,
        modality=found.modality,
        attendance=_ATTENDANCE_OF[found.status],
    )


def link_note(session: Session, by: StaffRef, appointment_id: int, note_id: int) -> AppointmentRow:
    """Record that ``note_id`` is the note of this appointment.

    A booked appointment takes the note's attendance (attended or did not attend).
    """
    found = get_or_raise(session, Appointment, appointment_id, "appointment")
    require_clinical_access(session, by, found.client_id)
    note = get_or_raise(session, SessionNote, note_id, "session note")
    if note.client_id != found.client_id:
        raise ValidationError("That note belongs to another client's record.")
    if found.note_id is not None and found.note_id != note_id:
        raise InvalidTransition("A note has already been started from this appointment.")
    if found.status is AppointmentStatus.CANCELLED:
        raise InvalidTransition("This appointment was cancelled: there is no session to write up.")
    found.note_id = note_id
    if found.status is AppointmentStatus.BOOKED and note.attendance in _STATUS_OF:
        found.status = _STATUS_OF[note.attendance]
        found.status_changed_by = by.id
    found.updated_at = utcnow()
    session.flush()
    _audit(session, by, found, "note linked")
    return _row(session, by, found.id)


def start_note(
    session: Session,
    by: StaffRef,
    appointment_id: int,
    content: notes.NoteContent,
    *,
    today: date | None = None,
) -> notes.NoteRow:
    """Create the draft note of this appointment and link it, in one unit of work."""
    prefill = note_prefill(session, by, appointment_id)
    row = notes.create_draft(session, by, prefill.client_id, content, today=today)
    link_note(session, by, appointment_id, row.id)
    return row


def note_content_from(prefill: NotePrefill, *, first: bool = False) -> notes.NoteContent:
    """A note's starting content from an appointment: day, start time, length, modality,
    and the kind of contact (did not attend when the client did not; an assessment for a
    client's ``first`` note; else an intervention session)."""
    contact_type = note_templates.contact_type_for(prefill.attendance, first=first)
    return notes.NoteContent(
        session_date=prefill.session_date,
        start_time=prefill.start_time,
        duration_minutes=(
            0 if prefill.attendance is Attendance.DID_NOT_ATTEND else prefill.duration_minutes
        ),
        modality=prefill.modality,
        attendance=prefill.attendance,
        contact_type=contact_type,
    )


# -- calendar export -------------------------------------------------------------------------


def diary_ics(
    session: Session,
    by: StaffRef,
    staff_id: int,
    start: date,
    end: date,
    *,
    site: str = "clinic-app",
    now: datetime | None = None,
) -> bytes:
    """A clinician's diary as iCalendar (``.ics``) for Outlook: case reference and time only.

    Each event says "Appointment: <case reference>" (or "Busy" for a client the user may
    not open) and when; no name, modality, place, link, status reason or clinical text.
    UIDs are stable (the appointment's id and the site), so importing again updates events
    rather than doubling them. Cancelled appointments are exported as cancelled.
    """
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    import icalendar  # noqa: PLC0415 - only for the export

    found = diary(session, by, staff_id, start, end)
    zone = ZoneInfo(TIME_ZONE)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//clinic-app//diary//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-timezone", TIME_ZONE)
    for row in found.rows:
        event = icalendar.Event()
        event.add("uid", f"appointment-{row.id}@{_plain(site).replace(' ', '-') or 'clinic-app'}")
        event.add("dtstamp", stamp)
        event.add("dtstart", row.starts.replace(tzinfo=zone))
        event.add("dtend", row.ends.replace(tzinfo=zone))
        event.add("summary", f"Appointment: {row.local_ref}" if row.local_ref else "Busy")
        event.add("sequence", row.version)
        event.add("class", "PRIVATE")
        event.add("transp", "OPAQUE")
        if row.status is AppointmentStatus.CANCELLED:
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    audit.record(
        session,
        audit.Action.EXPORT,
        actor_id=by.id,
        entity="diary",
        entity_id=staff_id,
        detail={"format": "ics", "appointments": len(found.rows)},
    )
    return data


def clinician_id(session: Session, by: StaffRef, username: str) -> int:
    """The id of the clinician with this username (for the command line)."""
    _require_clinical(by)
    person = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if person is None or person.role is Role.ADMINISTRATOR:
        raise NotFound(f"There is no member of clinical staff with the username '{username}'.")
    return person.id


@dataclass(frozen=True)
class BookingChoices:
    """What a booking form offers: the user's clients and the clinical staff who can attend."""

    clients: tuple[tuple[int, str], ...]
    clinicians: tuple[Attendee, ...]


def booking_choices(session: Session, by: StaffRef) -> BookingChoices:
    """The clients the user may open (by name, with their case reference), and clinicians."""
    _require_clinical(by)
    clients = session.execute(
        select(Client.id, Client.family_name, Client.given_name, Client.local_ref)
        .where(Client.id.in_(openable_clients(by)))
        .order_by(Client.family_name, Client.given_name, Client.id)
    ).all()
    staff = session.execute(
        select(StaffUser.id, StaffUser.display_name)
        .where(StaffUser.role != Role.ADMINISTRATOR, StaffUser.disabled_at.is_(None))
        .order_by(StaffUser.display_name)
    ).all()
    return BookingChoices(
        tuple((c[0], f"{c[1].upper()}, {c[2]} ({c[3]})") for c in clients),
        tuple(Attendee(s[0], s[1]) for s in staff),
    )


def start_note_from(
    session: Session, by: StaffRef, appointment_id: int, *, today: date | None = None
) -> notes.NoteRow:
    """Start the appointment's note with its day, start time, length and modality filled
    in, linked to it (the diary's "Write the note"); the clinician writes the rest."""
    prefill = note_prefill(session, by, appointment_id)
    first = (
        session.scalar(
            select(SessionNote.id)
            .where(
                SessionNote.client_id == prefill.client_id,
                SessionNote.entered_in_error_at.is_(None),
            )
            .limit(1)
        )
        is None
    )
    content = note_content_from(prefill, first=first)
    return start_note(session, by, appointment_id, content, today=today)
