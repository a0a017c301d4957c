"""What every use case needs: who is acting, lookups and content hashes.

Who may open or change a record is decided in :mod:`clinic_app.services.access`; the
administrators' settings are read through :mod:`clinic_app.services.settings`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import NotFound
from clinic_app.models import Base, Client
from clinic_app.models.enums import Role

T = TypeVar("T", bound=Base)


@dataclass(frozen=True)
class StaffRef:
    """The signed-in member of staff, as services need to know them."""

    id: int
    username: str
    display_name: str
    role: Role
    must_change_password: bool = False

    @property
    def is_clinical(self) -> bool:
        return self.role.is_clinical


def get_or_raise(session: Session, model: type[T], ident: int, what: str) -> T:
    """The row with this id, or a NotFound naming the kind of record in plain words."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(f"That {what} could not be found. It may have been removed or moved.")
    return row


def client_by_ref(session: Session, local_ref: str) -> Client:
    client = session.scalar(select(Client).where(Client.local_ref == local_ref.strip()))
    if client is None:
        raise NotFound(f"There is no client with the case reference '{local_ref.strip()}'.")
    return client


def content_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over a canonical JSON form, for signatures and documents."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=_jsonable)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _jsonable(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value.total_seconds())
    return str(value)
