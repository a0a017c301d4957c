"""Service-evaluation projects: the keyed pseudonym's secret, kept by the service.

An evaluation export names each client only by a pseudonym, HMAC-SHA-256 of the client's
internal id under the project's secret. The secret stays here, inside the encrypted
database (so it is in every encrypted backup, survives a restore and is shared by a team
on one record store), and never leaves in any export: with it, and only with it, the
service can link a later export to an earlier one, or answer an evaluator's question about
one pseudonym. A row is never changed or deleted (database triggers), so a project's
pseudonyms stay the same for its whole life.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.models.base import OPERATIONAL, Base, UtcDateTime, utcnow


class EvaluationProject(Base):
    """A named evaluation whose exports share one pseudonym key (append-only)."""

    __tablename__ = "evaluation_project"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    name: Mapped[str] = mapped_column(String(80), unique=True, info=OPERATIONAL)
    purpose: Mapped[str] = mapped_column(Text, default="", info=OPERATIONAL)
    # 32 random bytes as hex. OPERATIONAL because it says nothing about any client; it is
    # read only by services/evaluation/pseudonyms.py and written into no export or log.
    secret: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
