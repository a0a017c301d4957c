"""The audit trail: append-only, hash-chained events carrying ids and actions only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.models.base import OPERATIONAL, Base, UtcDateTime, utcnow


class AuditEvent(Base):
    """One audited action. ``seq`` orders the chain; ``hash`` covers this event and the last."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    seq: Mapped[int] = mapped_column(Integer, unique=True, info=OPERATIONAL)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    action: Mapped[str] = mapped_column(String(40), info=OPERATIONAL)
    entity: Mapped[str] = mapped_column(String(40), default="", info=OPERATIONAL)
    entity_id: Mapped[int | None] = mapped_column(Integer, info=OPERATIONAL)
    client_id: Mapped[int | None] = mapped_column(Integer, info=OPERATIONAL)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, info=OPERATIONAL)
    prev_hash: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    hash: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)


class AppSetting(Base):
    """An administrator's setting stored with the database (e.g. the idle-lock period)."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True, info=OPERATIONAL)
    value: Mapped[str] = mapped_column(String(2000), info=OPERATIONAL)
