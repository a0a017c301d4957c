"""The client record: identity, assignment, typology, risk assessment results, third parties."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.models.base import (
    CLINICAL,
    IDENTIFYING,
    OPERATIONAL,
    SHAREABLE,
    THIRD_PARTY,
    Base,
    UtcDateTime,
    str_enum,
    utcnow,
)
from clinic_app.models.enums import (
    ClientStatus,
    ConsentToShare,
    ProtectiveMeasureKind,
    RiskTool,
    ThirdPartyRelation,
    Typology,
)


class Client(Base):
    """A person who stalks, referred to the programme's health team."""

    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    local_ref: Mapped[str] = mapped_column(String(40), unique=True, info=IDENTIFYING)
    given_name: Mapped[str] = mapped_column(String(200), info=IDENTIFYING)
    family_name: Mapped[str] = mapped_column(String(200), info=IDENTIFYING)
    date_of_birth: Mapped[date] = mapped_column(Date, info=IDENTIFYING)
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True, info=IDENTIFYING)
    police_ref: Mapped[str] = mapped_column(String(60), default="", info=IDENTIFYING)
    address: Mapped[str] = mapped_column(Text, default="", info=IDENTIFYING)
    site: Mapped[str] = mapped_column(String(120), info=OPERATIONAL)
    referral_source: Mapped[str] = mapped_column(String(200), default="", info=OPERATIONAL)
    referral_date: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    status: Mapped[ClientStatus] = mapped_column(
        str_enum(ClientStatus), default=ClientStatus.REFERRED, info=OPERATIONAL
    )
    consent_to_share: Mapped[ConsentToShare] = mapped_column(
        str_enum(ConsentToShare), default=ConsentToShare.NOT_ASKED, info=OPERATIONAL
    )
    sharing_notes: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    is_demo: Mapped[bool] = mapped_column(default=False, info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ClientAssignment(Base):
    """A member of staff assigned to a client; ended assignments are kept."""

    __tablename__ = "client_assignment"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True, info=OPERATIONAL)
    is_lead: Mapped[bool] = mapped_column(default=False, info=OPERATIONAL)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)


class TypologyAssessment(Base):
    """A clinician's judgement of typology, with rationale and date; the latest is current."""

    __tablename__ = "typology_assessment"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    typology: Mapped[Typology] = mapped_column(str_enum(Typology), info=SHAREABLE)
    rationale: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    assessed_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    assessed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)


class RiskAssessment(Base):
    """Results of a licensed structured professional judgement tool, as the assessor entered them.

    Never the tool's item text and never a computed level: only the summary judgements.
    """

    __tablename__ = "risk_assessment"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    tool: Mapped[RiskTool] = mapped_column(str_enum(RiskTool), info=OPERATIONAL)
    tool_name: Mapped[str] = mapped_column(String(120), default="", info=OPERATIONAL)
    tool_version: Mapped[str] = mapped_column(String(40), info=OPERATIONAL)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    assessed_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    judgements: Mapped[dict[str, Any]] = mapped_column(JSON, info=CLINICAL)
    rationale: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    shareable_summary: Mapped[str] = mapped_column(Text, default="", info=SHAREABLE)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)


class ThirdParty(Base):
    """A victim or other person named in the record. Nothing here ever leaves the app."""

    __tablename__ = "third_party"
    __table_args__ = (UniqueConstraint("client_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    label: Mapped[str] = mapped_column(String(40), info=OPERATIONAL)  # e.g. "Victim 1"
    relation: Mapped[ThirdPartyRelation] = mapped_column(
        str_enum(ThirdPartyRelation), info=THIRD_PARTY
    )
    name: Mapped[str] = mapped_column(String(200), info=THIRD_PARTY)
    details: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    # One entry a line: other names the person is known by (maiden name, nickname, online
    # handle), addresses (home, work, school), phone numbers, email addresses and vehicle
    # registrations. The wording check looks for each in everything that leaves the service.
    aliases: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    addresses: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    phones: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    emails: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    vehicles: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    advocate_service: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    advocate_contact: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    wishes_and_concerns: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    ended_on: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    ended_reason: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    # The person agreed that their name may be given to the client in answer to a subject
    # access request (DPA 2018 Schedule 2 Part 3 paragraph 16(1)(a)): when, and who recorded
    # it. Their places, numbers and vehicles are never given, whatever they agreed.
    disclosure_consent_on: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    disclosure_consent_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id"), info=OPERATIONAL
    )
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProtectiveMeasure(Base):
    """An order or condition protecting a third party: what it forbids, and from when to when."""

    __tablename__ = "protective_measure"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    third_party_id: Mapped[int] = mapped_column(
        ForeignKey("third_party.id"), index=True, info=OPERATIONAL
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    kind: Mapped[ProtectiveMeasureKind] = mapped_column(
        str_enum(ProtectiveMeasureKind), info=THIRD_PARTY
    )
    starts_on: Mapped[date] = mapped_column(Date, info=THIRD_PARTY)
    ends_on: Mapped[date | None] = mapped_column(Date, info=THIRD_PARTY)
    forbids: Mapped[str] = mapped_column(Text, info=THIRD_PARTY)
    reference: Mapped[str] = mapped_column(Text, default="", info=THIRD_PARTY)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    revoked_on: Mapped[date | None] = mapped_column(Date, info=THIRD_PARTY)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class EmergencyAccess(Base):
    """A user's break-glass access to a client not assigned to them, with their reason."""

    __tablename__ = "emergency_access"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    reason: Mapped[str] = mapped_column(Text, info=CLINICAL)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, info=OPERATIONAL)
