"""Sessions and their notes, addenda and autosaved drafts.

A note is a draft until signed; a signed note never changes except to be marked
entered in error. Corrections are signed addenda. Both rules are enforced by the
services and by database triggers.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, Time, text
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.models.base import (
    CLINICAL,
    OPERATIONAL,
    SHAREABLE,
    Base,
    UtcDateTime,
    str_enum,
    utcnow,
)
from clinic_app.models.enums import Attendance, ContactType, Engagement, Modality

NOTE_SECTIONS = (
    "risk_checkin",
    "agenda",
    "intervention_content",
    "homework",
    "risk_rerating",
    "actions",
)
"""The structured note's sections, in the order a clinician writes them."""


class SessionNote(Base):
    """One session with the client and its structured note."""

    __tablename__ = "session_note"
    __table_args__ = (
        # The dashboard's "notes left unsigned": a user's drafts, found without a scan.
        Index(
            "ix_session_note_unsigned_by_author",
            "author_id",
            "session_date",
            sqlite_where=text("signed_at IS NULL"),
            postgresql_where=text("signed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    session_date: Mapped[date] = mapped_column(Date, index=True, info=SHAREABLE)
    duration_minutes: Mapped[int] = mapped_column(Integer, info=SHAREABLE)
    start_time: Mapped[time | None] = mapped_column(Time, info=SHAREABLE)
    modality: Mapped[Modality] = mapped_column(str_enum(Modality), info=SHAREABLE)
    # What kind of contact the note records (its template); null on notes written before
    # contact types were recorded.
    contact_type: Mapped[ContactType | None] = mapped_column(str_enum(ContactType), info=SHAREABLE)
    attendance: Mapped[Attendance] = mapped_column(str_enum(Attendance), info=SHAREABLE)
    engagement: Mapped[Engagement] = mapped_column(
        str_enum(Engagement), default=Engagement.NOT_ASSESSED, info=SHAREABLE
    )
    plan_goal_key: Mapped[str | None] = mapped_column(String(36), info=OPERATIONAL)
    risk_checkin: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    agenda: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    intervention_content: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    homework: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    risk_rerating: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    actions: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    partner_update: Mapped[str] = mapped_column(Text, default="", info=SHAREABLE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    content_sha256: Mapped[str | None] = mapped_column(String(64), info=OPERATIONAL)
    entered_in_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)
    entered_in_error_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id"), info=OPERATIONAL
    )
    entered_in_error_reason: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class NoteAddendum(Base):
    """A signed correction or addition to a signed note (append-only)."""

    __tablename__ = "note_addendum"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    note_id: Mapped[int] = mapped_column(
        ForeignKey("session_note.id"), index=True, info=OPERATIONAL
    )
    reason: Mapped[str] = mapped_column(Text, info=CLINICAL)
    text: Mapped[str] = mapped_column(Text, info=CLINICAL)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    content_sha256: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)


class NoteDraft(Base):
    """Autosaved editor content, kept until the note is saved, so a crash loses nothing."""

    __tablename__ = "note_draft"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), info=OPERATIONAL)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("session_note.id"), info=OPERATIONAL)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, info=CLINICAL)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)


class FormDraft(Base):
    """A form that was open, with what was typed in it, when the screen locked.

    Kept encrypted with the record so that the same user finds the form open again, with
    their text in it, when they unlock (or after a crash, when they next sign in). Read
    back once and then deleted.
    """

    __tablename__ = "form_draft"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True, info=OPERATIONAL)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), info=OPERATIONAL)
    tab: Mapped[str] = mapped_column(String(40), info=OPERATIONAL)
    form: Mapped[str] = mapped_column(String(60), info=OPERATIONAL)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, info=OPERATIONAL)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, info=CLINICAL)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
