"""Subject access requests: a client's request for their records, and its review.

A request is registered when it is received (UK GDPR Art. 15): who asked, how their
identity was checked and by whom, and when it is due (one calendar month later, which may
be extended by up to two further months with a reason, Art. 12(3)). Before anything is
released a health professional records a serious-harm review (DPA 2018 Schedule 3 Part 2
paragraphs 5 and 6): their decision and any further items withheld, each with the
exemption relied on. The release itself is an entry in the disclosure register.
Reviews are append-only (a database trigger refuses changes); requests are never deleted.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.models.base import (
    CLINICAL,
    IDENTIFYING,
    OPERATIONAL,
    Base,
    UtcDateTime,
    str_enum,
    utcnow,
)


class RequesterKind(enum.StrEnum):
    """Who made the request: the client, or someone acting for them with their authority."""

    CLIENT = "client"
    REPRESENTATIVE = "representative"


class HarmDecision(enum.StrEnum):
    """A health professional's opinion on whether releasing the pack risks serious harm."""

    RELEASE_IN_FULL = "release_in_full"
    RELEASE_WITH_ITEMS_WITHHELD = "release_with_items_withheld"
    DO_NOT_RELEASE = "do_not_release"


class Exemption(enum.StrEnum):
    """The exemptions from the right of access a removal may rely on (DPA 2018)."""

    THIRD_PARTY = "dpa-sch2-pt3-para16"
    SERIOUS_HARM = "dpa-sch3-pt2-para5"
    CRIME = "dpa-sch2-pt1-para2"
    LEGAL_PRIVILEGE = "dpa-sch2-pt4-para19"


class SubjectAccessRequest(Base):
    """One request for a client's records, from receipt to completion (never deleted)."""

    __tablename__ = "subject_access_request"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    received_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    requester_kind: Mapped[RequesterKind] = mapped_column(str_enum(RequesterKind), info=OPERATIONAL)
    # The client, or their representative (a solicitor, an advocate): who the pack is for.
    requester_name: Mapped[str] = mapped_column(String(200), info=IDENTIFYING)
    identity_checked_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    identity_checked_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    # How identity (and a representative's authority) was checked: may name documents.
    identity_method: Mapped[str] = mapped_column(Text, info=IDENTIFYING)
    due_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    extended_to: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    extension_reason: Mapped[str] = mapped_column(Text, default="", info=OPERATIONAL)
    extended_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    extended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)
    registered_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    disclosure_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure.id"), info=OPERATIONAL)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class SubjectAccessReview(Base):
    """A health professional's serious-harm review of one request's pack (append-only).

    ``content_sha256`` is the fingerprint of the pack as reviewed (third parties already
    taken out): a pack that differs at release needs a new review. ``withheld`` lists the
    further items withheld as ``{"item": key, "exemption": code}``: keys and codes only.
    """

    __tablename__ = "subject_access_review"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("subject_access_request.id"), index=True, info=OPERATIONAL
    )
    reviewed_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    decision: Mapped[HarmDecision] = mapped_column(str_enum(HarmDecision), info=OPERATIONAL)
    rationale: Mapped[str] = mapped_column(Text, info=CLINICAL)
    withheld: Mapped[list[dict[str, Any]]] = mapped_column(JSON, info=OPERATIONAL)
    content_sha256: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
