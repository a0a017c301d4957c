"""Specialist services and referrals to them, with a status history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
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
from clinic_app.models.enums import (
    Gateway,
    ReferralStatus,
    ReferralUrgency,
    ServiceKind,
)


class SpecialistService(Base):
    """A service clients are referred to (directory kept by administrators)."""

    __tablename__ = "specialist_service"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    name: Mapped[str] = mapped_column(String(200), unique=True, info=SHAREABLE)
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind), info=SHAREABLE)
    contact: Mapped[str] = mapped_column(Text, default="", info=OPERATIONAL)
    expected_response_days: Mapped[int] = mapped_column(Integer, default=28, info=OPERATIONAL)
    snomed_concept_id: Mapped[str | None] = mapped_column(String(18), info=OPERATIONAL)
    active: Mapped[bool] = mapped_column(default=True, info=OPERATIONAL)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Referral(Base):
    """A referral of the client to a specialist service."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    service_id: Mapped[int] = mapped_column(ForeignKey("specialist_service.id"), info=OPERATIONAL)
    reason: Mapped[str] = mapped_column(Text, info=CLINICAL)
    clinical_detail: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    urgency: Mapped[ReferralUrgency] = mapped_column(str_enum(ReferralUrgency), info=OPERATIONAL)
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus), info=SHAREABLE)
    created_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    sent_on: Mapped[date | None] = mapped_column(Date, info=SHAREABLE)
    fact_shareable: Mapped[bool] = mapped_column(default=False, info=OPERATIONAL)
    share_gateway: Mapped[Gateway | None] = mapped_column(str_enum(Gateway), info=OPERATIONAL)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ReferralStatusChange(Base):
    """One step in a referral's history (append-only)."""

    __tablename__ = "referral_status_change"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id"), index=True, info=OPERATIONAL
    )
    from_status: Mapped[ReferralStatus | None] = mapped_column(
        str_enum(ReferralStatus), info=OPERATIONAL
    )
    to_status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus), info=OPERATIONAL)
    changed_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    note: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    changed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
