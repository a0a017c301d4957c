"""Staff accounts: who may sign in, in what role, and the state of their sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.models.base import OPERATIONAL, SHAREABLE, Base, UtcDateTime, str_enum, utcnow
from clinic_app.models.enums import Role


class StaffUser(Base):
    """A member of staff who signs in. Names are SHAREABLE: a summary names its author."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    username: Mapped[str] = mapped_column(String(64), unique=True, info=OPERATIONAL)
    display_name: Mapped[str] = mapped_column(String(200), info=SHAREABLE)
    job_title: Mapped[str] = mapped_column(String(200), default="", info=SHAREABLE)
    contact: Mapped[str] = mapped_column(String(300), default="", info=SHAREABLE)
    role: Mapped[Role] = mapped_column(str_enum(Role), info=OPERATIONAL)
    # Deferred: loading an account does not read it. At a site no staff role may read it
    # (column privileges), and an account must still load for its administrator.
    password_hash: Mapped[str] = mapped_column(String(200), deferred=True, info=OPERATIONAL)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, info=OPERATIONAL)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)
    must_change_password: Mapped[bool] = mapped_column(default=False, info=OPERATIONAL)
    password_changed_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, info=OPERATIONAL
    )
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
