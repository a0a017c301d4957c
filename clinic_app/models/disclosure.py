"""The disclosure register: every document shared and every decision not to share."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.models.base import CLINICAL, OPERATIONAL, Base, UtcDateTime, str_enum, utcnow
from clinic_app.models.enums import DisclosureKind, Gateway, LetterKind


class Disclosure(Base):
    """One entry in the register (append-only)."""

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    document_id: Mapped[str] = mapped_column(String(36), unique=True, info=OPERATIONAL)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("client.id"), index=True, info=OPERATIONAL
    )
    risk_event_id: Mapped[int | None] = mapped_column(ForeignKey("risk_event.id"), info=OPERATIONAL)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), info=OPERATIONAL)
    kind: Mapped[DisclosureKind] = mapped_column(str_enum(DisclosureKind), info=OPERATIONAL)
    audience: Mapped[str] = mapped_column(String(40), info=OPERATIONAL)
    recipient_agency: Mapped[str] = mapped_column(String(200), info=OPERATIONAL)
    recipient_person: Mapped[str] = mapped_column(String(200), default="", info=OPERATIONAL)
    purpose: Mapped[str] = mapped_column(Text, info=OPERATIONAL)
    gateway: Mapped[Gateway | None] = mapped_column(str_enum(Gateway), info=OPERATIONAL)
    decided_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    client_informed: Mapped[bool] = mapped_column(info=OPERATIONAL)
    client_not_informed_reason: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    period_from: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    period_to: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    document_sha256: Mapped[str | None] = mapped_column(String(64), info=OPERATIONAL)
    # The exact content the document was rendered from, so it can be regenerated. It may
    # hold clinical text (referral letters), so it is classed CLINICAL and never re-read
    # into a partner document.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, info=CLINICAL)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)


class AudienceProfile(Base):
    """An administrator's change to what one partner audience may receive.

    The built-in policies live in code; a row here replaces one audience's policy. The
    policy is checked against the privacy classes when it is saved and again when it is
    used, so no stored policy can ever reach CLINICAL or THIRD_PARTY data.
    """

    __tablename__ = "audience_profile"

    name: Mapped[str] = mapped_column(String(40), primary_key=True, info=OPERATIONAL)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, info=OPERATIONAL)
    updated_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)


class LetterTemplate(Base):
    """The administrator's wording of one kind of letter (salutation, body, sign-off).

    The built-in wording lives in code; a row here replaces one kind's. A template holds
    placeholders such as ``{client_name}``, filled from the record when a letter is
    written, and never any client's data itself.
    """

    __tablename__ = "letter_template"

    kind: Mapped[LetterKind] = mapped_column(
        str_enum(LetterKind), primary_key=True, info=OPERATIONAL
    )
    salutation: Mapped[str] = mapped_column(String(200), info=OPERATIONAL)
    body: Mapped[str] = mapped_column(Text, info=OPERATIONAL)
    sign_off: Mapped[str] = mapped_column(String(200), info=OPERATIONAL)
    updated_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
