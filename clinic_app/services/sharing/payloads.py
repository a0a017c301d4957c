"""Document content as JSON and back, as the disclosure register keeps it.

A past document is drawn again from exactly the content it was rendered from, so the
round trip must give equal dataclasses.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from clinic_app.errors import ValidationError
from clinic_app.reports.content import ClinicalSummary, PartnerSummary, RiskNotice

PAYLOAD_FORMAT = 1


_TYPES: dict[str, type[Any]] = {
    "partner_summary": PartnerSummary,
    "risk_notice": RiskNotice,
    "clinical_summary": ClinicalSummary,
}


def content_kind(content: PartnerSummary | RiskNotice | ClinicalSummary) -> str:
    for name, cls in _TYPES.items():
        if isinstance(content, cls):
            return name
    raise TypeError(type(content).__name__)  # pragma: no cover


def to_payload(value: Any) -> Any:
    """Content dataclasses as plain JSON (dates as ISO text, coded values as their codes)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_payload(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_payload(v) for v in value]
    return value


def content_to_payload(content: PartnerSummary | RiskNotice | ClinicalSummary) -> dict[str, Any]:
    return {"format": PAYLOAD_FORMAT, "kind": content_kind(content), "data": to_payload(content)}


def content_from_payload(
    payload: Mapping[str, Any],
) -> PartnerSummary | RiskNotice | ClinicalSummary:
    """The content a document was rendered from, exactly as stored."""
    if payload.get("format") != PAYLOAD_FORMAT or payload.get("kind") not in _TYPES:
        raise ValidationError("The stored document is in a form this version cannot read.")
    value = _from(_TYPES[payload["kind"]], payload["data"])
    assert isinstance(value, PartnerSummary | RiskNotice | ClinicalSummary)
    return value


def _from(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if data is None:
            return None
        return _from(args[0], data)
    if origin is tuple:
        members = typing.get_args(kind)
        if len(members) == 2 and members[1] is Ellipsis:
            return tuple(_from(members[0], v) for v in data)
        return tuple(_from(a, v) for a, v in zip(members, data, strict=True))
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        return kind(
            **{f.name: _from(hints[f.name], data[f.name]) for f in dataclasses.fields(kind)}
        )
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    return data
