"""Declarative base, privacy classes and column types shared by every model.

Every mapped column states its privacy class (DOMAIN.md section 5) in ``info``; a test
walks all mappers and fails on any column without one. Partner-facing outputs select
columns by these classes, so a column's class is a promise about where it may appear.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import DateTime, Dialect, Enum, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase


class Privacy(enum.StrEnum):
    """Where a stored value may travel."""

    OPERATIONAL = "operational"  # ids, timestamps, status codes, foreign keys, counts
    IDENTIFYING = "identifying"  # who the client is
    SHAREABLE = "shareable"  # written or chosen for partners
    CLINICAL = "clinical"  # clinically private: never in a partner document
    THIRD_PARTY = "third_party"  # about victims or other people: never leaves the app


OPERATIONAL: Final = {"privacy": Privacy.OPERATIONAL}
IDENTIFYING: Final = {"privacy": Privacy.IDENTIFYING}
SHAREABLE: Final = {"privacy": Privacy.SHAREABLE}
CLINICAL: Final = {"privacy": Privacy.CLINICAL}
THIRD_PARTY: Final = {"privacy": Privacy.THIRD_PARTY}

NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC; every stored timestamp is UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def str_enum(enum_class: type[enum.StrEnum]) -> Enum:
    """Store a StrEnum by its value, as portable text with a check constraint."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=enum_class.__name__.lower(),
    )


class Base(DeclarativeBase):
    """Base class of every clinic-app model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        # Ids only: a repr can reach a log, and logs never carry names or clinical text.
        ident = getattr(self, "id", None)
        return f"<{type(self).__name__} id={ident}>"


def privacy_of(column: Any) -> Privacy | None:
    """The privacy class recorded on a column, or None when it has none."""
    value = column.info.get("privacy")
    return value if isinstance(value, Privacy) else None
