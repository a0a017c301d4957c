"""Risk events and the decisions whether to share them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
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
from clinic_app.models.enums import Gateway, RiskEventKind, ShareDecisionKind, Urgency


class RiskEvent(Base):
    """A risk-relevant event: private detail, and a statement written for partners."""

    __tablename__ = "risk_event"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    session_note_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_note.id"), info=OPERATIONAL
    )
    kind: Mapped[RiskEventKind] = mapped_column(str_enum(RiskEventKind), info=SHAREABLE)
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency), info=SHAREABLE)
    occurred_on: Mapped[date] = mapped_column(Date, info=SHAREABLE)
    detail: Mapped[str] = mapped_column(Text, info=CLINICAL)
    shareable_statement: Mapped[str] = mapped_column(Text, default="", info=SHAREABLE)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)


class RiskShareDecision(Base):
    """A decision to share a risk event or not (append-only; the latest stands)."""

    __tablename__ = "risk_share_decision"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    risk_event_id: Mapped[int] = mapped_column(
        ForeignKey("risk_event.id"), index=True, info=OPERATIONAL
    )
    decision: Mapped[ShareDecisionKind] = mapped_column(str_enum(ShareDecisionKind), info=SHAREABLE)
    reason: Mapped[str] = mapped_column(Text, info=CLINICAL)
    gateway: Mapped[Gateway | None] = mapped_column(str_enum(Gateway), info=OPERATIONAL)
    shared_with: Mapped[str] = mapped_column(String(300), default="", info=OPERATIONAL)
    decided_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
