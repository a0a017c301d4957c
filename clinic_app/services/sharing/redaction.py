"""Third parties' details taken out of clinical documents before they leave.

Partner documents are built only from what an audience may receive and their free text is
checked word by word (drafts.py). Clinical documents (a clinical summary, a referral
letter) carry clinical text by design, written in the clinician's words, which may name
the victim or say where she lives. DOMAIN rule: THIRD_PARTY data never leaves the app. So
every piece of text in such a document passes through here: each recorded detail of a
third party (names and other names in any form, places, phones, emails, vehicles, as the
wording check finds them) is replaced by a neutral marker, and the document says how many
were taken out. The register records the count, never the details.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final, TypeVar

from clinic_app.services.sharing.lexicon import Lexicon, TermCategory, TextField, check_fields
from clinic_app.services.third_parties import Identifiers

MARKER: Final = "[a third party's detail, removed]"

T = TypeVar("T")

_NO_TERMS: Final = Lexicon({})


def _redacted_text(text: str, found: Identifiers) -> tuple[str, int]:
    redacted, removed = redact_text(text, found)
    return redacted, len(removed)


def redact_text(text: str, found: Identifiers) -> tuple[str, tuple[TermCategory, ...]]:
    """``text`` with every recorded third-party detail replaced by :data:`MARKER`, and the
    kind of each detail taken out, in text order (never the detail itself), so that a
    subject access pack can list each removal."""
    if not found or not text:
        return text, ()
    hits = [
        h
        for h in check_fields(
            [TextField("text", "text", text)], lexicon=_NO_TERMS, third_parties=found
        )
        if h.category.is_third_party
    ]
    if not hits:
        return text, ()
    out: list[str] = []
    position = 0
    for hit in hits:  # in text order, never overlapping
        out.append(text[position : hit.start])
        out.append(MARKER)
        position = hit.end
    out.append(text[position:])
    return "".join(out), tuple(h.category for h in hits)


def _walk(value: Any, found: Identifiers) -> tuple[Any, int]:
    if isinstance(value, str):
        return _redacted_text(value, found)
    if isinstance(value, tuple):
        items = [_walk(item, found) for item in value]
        return tuple(v for v, _ in items), sum(n for _, n in items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        total = 0
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            new, count = _walk(getattr(value, field.name), found)
            if count:
                changes[field.name] = new
                total += count
        return (dataclasses.replace(value, **changes) if changes else value), total
    return value, 0


def redact_third_parties(
    content: T, found: Identifiers, *, keep: tuple[str, ...] = ()
) -> tuple[T, int]:
    """``content`` with every recorded third-party detail in its text replaced by
    :data:`MARKER`, and how many were replaced. Only text is touched: dates, numbers and
    coded values stay as they are. Fields named in ``keep`` (the client's own identity,
    the author) are left whole: the client's address may be one a victim once shared."""
    if not found:
        return content, 0
    if not keep:
        redacted, count = _walk(content, found)
        return redacted, count
    assert dataclasses.is_dataclass(content) and not isinstance(content, type)
    changes: dict[str, Any] = {}
    total = 0
    for field in dataclasses.fields(content):
        if field.name in keep or not field.init:
            continue
        new, count = _walk(getattr(content, field.name), found)
        if count:
            changes[field.name] = new
            total += count
    return (dataclasses.replace(content, **changes) if changes else content), total
