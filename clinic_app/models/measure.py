"""Self-report measure administrations and their item answers. Scores are always derived."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.models.base import CLINICAL, OPERATIONAL, Base, UtcDateTime, str_enum, utcnow
from clinic_app.models.enums import CriticalReviewOutcome, MeasureMode


class MeasureAdministration(Base):
    """One completion of a measure by the client, scored by the definition version given."""

    __tablename__ = "measure_administration"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    measure_id: Mapped[str] = mapped_column(String(60), info=OPERATIONAL)
    measure_version: Mapped[str] = mapped_column(String(40), info=OPERATIONAL)
    administered_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    mode: Mapped[MeasureMode] = mapped_column(str_enum(MeasureMode), info=OPERATIONAL)
    session_note_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_note.id"), info=OPERATIONAL
    )
    entered_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)

    responses: Mapped[list[MeasureResponse]] = relationship(order_by="MeasureResponse.item")


class MeasureResponse(Base):
    """The client's answer to one item; ``value`` None means the item was left unanswered."""

    __tablename__ = "measure_response"
    __table_args__ = (UniqueConstraint("administration_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("measure_administration.id"), index=True, info=OPERATIONAL
    )
    item: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    value: Mapped[int | None] = mapped_column(Integer, info=CLINICAL)


class MeasureSchedule(Base):
    """When a measure falls due for a client (every N sessions, or at plan review)."""

    __tablename__ = "measure_schedule"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    measure_id: Mapped[str] = mapped_column(String(60), info=OPERATIONAL)
    every_n_sessions: Mapped[int | None] = mapped_column(Integer, info=OPERATIONAL)
    at_plan_review: Mapped[bool] = mapped_column(default=False, info=OPERATIONAL)
    active: Mapped[bool] = mapped_column(default=True, info=OPERATIONAL)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class MeasureDefinition(Base):
    """A clinic-supplied instrument definition, exactly as imported (one row per version).

    The content is the definition file itself (item wording, options, scoring rules), not
    anything about a client. Rows are never changed or deleted, so an administration keeps
    scoring by the version it was given with; ``active`` only stops a version being offered.
    """

    __tablename__ = "measure_definition"
    __table_args__ = (UniqueConstraint("measure_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    measure_id: Mapped[str] = mapped_column(String(60), index=True, info=OPERATIONAL)
    version: Mapped[str] = mapped_column(String(40), info=OPERATIONAL)
    content: Mapped[str] = mapped_column(Text, info=OPERATIONAL)
    content_sha256: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    imported_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    active: Mapped[bool] = mapped_column(default=True, info=OPERATIONAL)


class CriticalItemReview(Base):
    """A clinician's review of one administration's critical answers (append-only).

    The dashboard's alert for a critical item ends only with this row: the outcome (a risk
    event recorded, or reviewed with no further action and why), who and when.
    """

    __tablename__ = "critical_item_review"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("measure_administration.id"), unique=True, info=OPERATIONAL
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    outcome: Mapped[CriticalReviewOutcome] = mapped_column(
        str_enum(CriticalReviewOutcome), info=OPERATIONAL
    )
    risk_event_id: Mapped[int | None] = mapped_column(ForeignKey("risk_event.id"), info=OPERATIONAL)
    reason: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    reviewed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
