"""Two people, one record: a save over a change the user had not seen overwrites nothing.

Every editable row carries a ``version`` (an edit counter). The screen keeps the version
the user started editing from and gives it back with the save. When the row has moved on
meanwhile, the save is refused with an :class:`~clinic_app.errors.EditConflict` carrying
both texts, part by part, and who saved the newer one and when; the conflict dialog
shows them side by side. Saving again with the newer version puts the user's text over
it: that is their explicit choice, audited like any save.

The row is read *locked* (``SELECT ... FOR UPDATE`` at a site; a workstation has one
writer at a time), so two saves from the same version cannot both pass the check: the
second waits for the first to commit and then sees its version. The ORM's own version
check (``version_id_col``) stays underneath as the last guard.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import ConflictField, EditConflict, NotFound
from clinic_app.models import AuditEvent, Base, StaffUser
from clinic_app.wording import long_date, words

T = TypeVar("T", bound=Base)
D = TypeVar("D")

_ITEM = re.compile(r"^(?P<list>[a-z_]+)\[(?P<index>[0-9]+)\]\.(?P<field>[a-z_]+)$")


def for_update(session: Session, model: type[T], ident: int, what: str) -> T:
    """The row with this id, read fresh and locked until the unit of work ends."""
    row = session.get(model, ident, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound(f"That {what} could not be found. It may have been removed or moved.")
    return row


def last_saved(session: Session, entity: str, entity_id: int) -> tuple[str, datetime | None]:
    """Who last created or changed this record, by name, and when (from the audit trail)."""
    found = session.execute(
        select(AuditEvent.actor_id, AuditEvent.occurred_at)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if found is None:
        return "", None
    actor, when = found
    name = session.scalar(select(StaffUser.display_name).where(StaffUser.id == actor))
    return name or "", when


def shown(value: object) -> str:
    """A stored value as the conflict dialog shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, enum.Enum):
        try:
            return words(value)
        except KeyError:
            return str(value.value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return long_date(value)
    if isinstance(value, tuple):
        return "\n".join(shown(item) for item in value)
    return str(value)


def parts(data: object) -> dict[str, object]:
    """A dataclass's fields by name, with the items of its lists as ``name[n].field``."""
    found: dict[str, object] = {}
    for f in dataclasses.fields(data):  # type: ignore[arg-type]
        value = getattr(data, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for n, item in enumerate(value, start=1):
                for name, inner in parts(item).items():
                    found[f"{f.name}[{n}].{name}"] = inner
        else:
            found[f.name] = value
    return found


def conflict(
    session: Session,
    what: str,
    *,
    entity: str,
    entity_id: int,
    theirs: Mapping[str, object],
    saved: Mapping[str, object],
    labels: Mapping[str, str],
    version: int,
    saved_record: object = None,
) -> EditConflict:
    """The refusal of a save: every labelled part where ``theirs`` and ``saved`` differ."""
    fields = []
    for name, label in labels.items():
        if name not in theirs and name not in saved:
            continue
        mine, now = theirs.get(name), saved.get(name)
        if mine == now:
            continue
        editable = _is_text(mine) and (now is None or _is_text(now))
        fields.append(ConflictField(name, label, shown(mine), shown(now), editable))
    who, when = last_saved(session, entity, entity_id)
    return EditConflict(
        what,
        fields=fields,
        saved_by=who,
        saved_at=when,
        version=version,
        saved_record=saved_record,
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str) and not isinstance(value, enum.Enum)


def item_labels(items: Mapping[str, str], count: int, *, name: str, title: str) -> dict[str, str]:
    """Labels for ``name[1].field`` ... ``name[count].field``: "Goal 1's detail"."""
    return {
        f"{name}[{n}].{field}": f"{title} {n}'s {label}"
        for n in range(1, count + 1)
        for field, label in items.items()
    }


def changed(base: object, mine: object) -> set[str]:
    """The parts (names as in :func:`parts`) the user changed from the version they opened."""
    before, after = parts(base), parts(mine)
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def merge(base: D, mine: D, saved: object) -> D:
    """``mine`` with every top-level field the user left as it was taken from ``saved``.

    So saving the user's text over a colleague's keeps what the colleague changed where
    the user changed nothing. ``saved`` of another type (or None) changes nothing.
    """
    if type(saved) is not type(mine):
        return mine
    kept = {
        f.name: getattr(saved, f.name)
        for f in dataclasses.fields(mine)  # type: ignore[arg-type]
        if getattr(mine, f.name) == getattr(base, f.name)
    }
    return dataclasses.replace(mine, **kept)  # type: ignore[type-var]


def reapply(data: D, edits: Mapping[str, str]) -> D:
    """``data`` (a frozen dataclass) with the user's edited texts put back into its fields.

    Names are those of :func:`parts`; a name that ``data`` does not have is ignored (the
    saved version had a goal that the user's had not).
    """
    changes: dict[str, Any] = {}
    lists: dict[str, dict[int, dict[str, str]]] = {}
    names = {f.name for f in dataclasses.fields(data)}  # type: ignore[arg-type]
    for name, text in edits.items():
        item = _ITEM.match(name)
        if item is not None:
            index = int(item["index"]) - 1
            lists.setdefault(item["list"], {}).setdefault(index, {})[item["field"]] = text
        elif name in names and _is_text(getattr(data, name)):
            changes[name] = text
    for list_name, by_index in lists.items():
        if list_name not in names:
            continue
        items = list(getattr(data, list_name))
        for index, fields in by_index.items():
            if 0 <= index < len(items):
                texts = {
                    k: v for k, v in fields.items() if _is_text(getattr(items[index], k, None))
                }
                items[index] = dataclasses.replace(items[index], **texts)
        changes[list_name] = tuple(items)
    return dataclasses.replace(data, **changes)  # type: ignore[type-var]
