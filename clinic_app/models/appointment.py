"""Appointments: sessions and other contacts booked with a client, and who attends them.

Each occurrence of a repeating booking is its own row sharing a ``series_id``, so one can
be moved or cancelled alone. The day, time, length, modality and what became of the
appointment are SHAREABLE (they are attendance, which partners normally get). Where it
happens (a room, the client's home for a visit, a video link) is IDENTIFYING: it can
locate the client, so it never travels; it must never be a victim's address, and a
booking that names one recorded for the client is refused. Why an appointment was
cancelled is free text and may hold anything, so it is CLINICAL.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.models.base import (
    CLINICAL,
    IDENTIFYING,
    OPERATIONAL,
    SHAREABLE,
    Base,
    UtcDateTime,
    str_enum,
    utcnow,
)
from clinic_app.models.enums import AppointmentStatus, CancelledBy, Modality, Repeat


class Appointment(Base):
    """One booked contact with a client (one occurrence of a series, or a one-off)."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_day_start", "day", "start_time"),)

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    series_id: Mapped[str | None] = mapped_column(String(36), index=True, info=OPERATIONAL)
    repeat: Mapped[Repeat] = mapped_column(str_enum(Repeat), default=Repeat.NONE, info=OPERATIONAL)
    occurrence: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)
    day: Mapped[date] = mapped_column(Date, info=SHAREABLE)
    start_time: Mapped[time] = mapped_column(Time, info=SHAREABLE)
    duration_minutes: Mapped[int] = mapped_column(Integer, info=SHAREABLE)
    modality: Mapped[Modality] = mapped_column(str_enum(Modality), info=SHAREABLE)
    place: Mapped[str] = mapped_column(String(300), default="", info=IDENTIFYING)
    video_link: Mapped[str] = mapped_column(String(500), default="", info=IDENTIFYING)
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus), default=AppointmentStatus.BOOKED, info=SHAREABLE
    )
    cancelled_by: Mapped[CancelledBy | None] = mapped_column(str_enum(CancelledBy), info=SHAREABLE)
    cancel_reason: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    note_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_note.id"), index=True, info=OPERATIONAL
    )
    booked_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    status_changed_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id"), info=OPERATIONAL
    )
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AppointmentClinician(Base):
    """A member of staff attending an appointment (each appointment has at least one)."""

    __tablename__ = "appointment_clinician"
    __table_args__ = (UniqueConstraint("appointment_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id"), index=True, info=OPERATIONAL
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True, info=OPERATIONAL)
