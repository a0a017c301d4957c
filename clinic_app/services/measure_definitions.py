"""Measure definitions and their cut-offs: which questionnaires can be given here.

- **Definitions.** The measures shipped with the app (``resources/measures/``) and those a
  clinic imports (table ``measure_definition``, one immutable row per measure and version,
  exactly as imported with its SHA-256). An administration is scored by the version it was
  given with, so old results never change when a definition is revised. There is no way to
  edit a definition's text in the app: a change is a new version.
- **Cut-offs.** Where a definition allows it (PCL-5, AUDIT-C), an administrator may choose
  the cut-off within the stated range; it is kept as an app setting per measure, and every
  score says which cut-off it was judged against.

Administrations, results and schedules are in :mod:`clinic_app.services.measures`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import NotFound, ValidationError
from clinic_app.measures.definitions import (
    MeasureDefinition,
    Origin,
    parse_definition,
    shipped_definitions,
)
from clinic_app.measures.scoring import Score, effective_cutoff, score
from clinic_app.models import AppSetting, StaffUser
from clinic_app.models import MeasureDefinition as StoredDefinition
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef

MEASURE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")
MAX_ITEMS = 200
MAX_VALUE = 100

CUTOFF_SETTING_PREFIX: Final = "measure_cutoff."
"""App setting key of an administrator's cut-off for a measure: prefix + measure id."""


@dataclass(frozen=True)
class DefinitionRow:
    """One version of one measure definition, as listed for administrators."""

    measure_id: str
    version: str
    title: str
    short_title: str
    origin: Origin
    active: bool
    item_count: int
    licence: str
    content_sha256: str
    imported_at: datetime | None
    imported_by: str | None


@dataclass(frozen=True)
class CutoffSetting:
    """A measure whose cut-off an administrator may choose, and the value in force."""

    measure_id: str
    short_title: str
    label: str
    value: float
    default_value: float
    minimum: float
    maximum: float
    overridden: bool
    source: str


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order of versions: 2 < 10, 2024.1 < 2024.2."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"[._-]", version)
        if part
    )


@lru_cache(maxsize=256)
def _parse_stored(content: str) -> MeasureDefinition:
    return parse_definition(content, origin=Origin.CLINIC)


def _shipped_ids() -> set[str]:
    return {d.id for d in shipped_definitions()}


def all_definitions(
    session: Session,
) -> list[tuple[MeasureDefinition, bool, StoredDefinition | None]]:
    """Every definition version here: (definition, active, stored row or None if shipped)."""
    out: list[tuple[MeasureDefinition, bool, StoredDefinition | None]] = [
        (d, True, None) for d in shipped_definitions()
    ]
    shipped = _shipped_ids()
    for row in session.scalars(select(StoredDefinition).order_by(StoredDefinition.id)):
        if row.measure_id in shipped:
            continue  # a shipped id always means the shipped measure
        try:
            out.append((_parse_stored(row.content), row.active, row))
        except ValidationError:
            continue  # stored before a stricter check; cannot be offered or scored
    return out


def find_definition(
    session: Session, measure_id: str, version: str
) -> tuple[MeasureDefinition, bool] | None:
    """This version of a measure and whether it is active, if it is known here."""
    for shipped in shipped_definitions():
        if shipped.id == measure_id and shipped.version == version:
            return shipped, True
    if measure_id in _shipped_ids():
        return None
    row = session.scalar(
        select(StoredDefinition).where(
            StoredDefinition.measure_id == measure_id, StoredDefinition.version == version
        )
    )
    if row is None:
        return None
    try:
        return _parse_stored(row.content), row.active
    except ValidationError:
        return None


def known_definition(session: Session, measure_id: str, version: str) -> MeasureDefinition | None:
    """The definition of this version of a measure, if it is known here (shipped or stored)."""
    found = find_definition(session, measure_id, version)
    return None if found is None else found[0]


def available_measures(session: Session, by: StaffRef) -> tuple[MeasureDefinition, ...]:
    """The latest active version of every measure that can be given, by short title."""
    del by  # any signed-in member of staff may see which measures exist
    latest: dict[str, MeasureDefinition] = {}
    for definition, active, _row in all_definitions(session):
        if not active:
            continue
        current = latest.get(definition.id)
        if current is None or _version_key(definition.version) > _version_key(current.version):
            latest[definition.id] = definition
    return tuple(sorted(latest.values(), key=lambda d: (d.short_title.lower(), d.id)))


def list_definitions(session: Session, by: StaffRef) -> tuple[DefinitionRow, ...]:
    """Every version of every definition (shipped and imported), by measure then version."""
    del by
    names: dict[int, str] = dict(session.execute(select(StaffUser.id, StaffUser.username)).all())
    rows = [
        DefinitionRow(
            d.id,
            d.version,
            d.title,
            d.short_title,
            d.origin,
            active,
            d.item_count,
            d.licence.licence,
            d.content_sha256,
            None if stored is None else stored.imported_at,
            None if stored is None else names.get(stored.imported_by),
        )
        for d, active, stored in all_definitions(session)
    ]
    return tuple(sorted(rows, key=lambda r: (r.measure_id, _version_key(r.version))))


def definition(session: Session, by: StaffRef, measure_id: str, version: str) -> MeasureDefinition:
    """One version of one measure (shipped or imported), even if no longer offered."""
    del by
    found = find_definition(session, measure_id, version)
    if found is None:
        raise NotFound(f"Version {version} of the measure '{measure_id}' is not known here.")
    return found[0]


def import_definition(session: Session, by: StaffRef, text: str) -> DefinitionRow:
    """Add a clinic-supplied definition (administrators only); all or nothing.

    The file is checked in full (``ValidationError`` listing every problem with where it
    is) and stored exactly as given, with its SHA-256. A shipped measure's id cannot be
    reused; importing the same id and version again is refused unless the file is
    byte-for-byte the same one (then nothing changes). A new version is a new row; earlier
    versions stay, so administrations keep scoring by the version they were given with.
    """
    require_role(by, Role.ADMINISTRATOR, action="import measure definitions")
    parsed = parse_definition(text, origin=Origin.CLINIC)
    if parsed.id in _shipped_ids():
        raise ValidationError(
            f"'{parsed.id}' is the id of a measure shipped with clinic-app. Give your "
            "definition its own id (for example with your clinic's name in it).",
            where="$.id",
        )
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = session.scalar(
        select(StoredDefinition).where(
            StoredDefinition.measure_id == parsed.id, StoredDefinition.version == parsed.version
        )
    )
    if existing is not None:
        if existing.content_sha256 != sha256:
            raise ValidationError(
                f"Version {parsed.version} of '{parsed.id}' is already imported with different "
                "content. Definitions are never changed once imported, so that results stay "
                "comparable: give the new file a new version.",
                where="$.version",
            )
        return _definition_row(session, existing, parsed)
    row = StoredDefinition(
        measure_id=parsed.id,
        version=parsed.version,
        content=text,
        content_sha256=sha256,
        imported_by=by.id,
        active=True,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.IMPORT,
        actor_id=by.id,
        entity="measure_definition",
        entity_id=row.id,
        detail={"measure_id": parsed.id, "version": parsed.version, "sha256": sha256},
    )
    return _definition_row(session, row, parsed)


def _definition_row(
    session: Session, row: StoredDefinition, parsed: MeasureDefinition
) -> DefinitionRow:
    who = session.get(StaffUser, row.imported_by)
    return DefinitionRow(
        parsed.id,
        parsed.version,
        parsed.title,
        parsed.short_title,
        Origin.CLINIC,
        row.active,
        parsed.item_count,
        parsed.licence.licence,
        row.content_sha256,
        row.imported_at,
        None if who is None else who.username,
    )


# -- cut-offs -----------------------------------------------------------------------------------


def _cutoff_key(measure_id: str) -> str:
    return CUTOFF_SETTING_PREFIX + measure_id


def _override(session: Session, measure_id: str) -> float | None:
    row = session.get(AppSetting, _cutoff_key(measure_id))
    if row is None:
        return None
    try:
        return float(row.value)
    except ValueError:
        return None


def _cutoff_for(session: Session, d: MeasureDefinition) -> float | None:
    """The administrator's override for this definition, if it is one it allows."""
    value = _override(session, d.id)
    if value is None or d.cutoff is None or d.cutoff.configurable is None:
        return None
    allowed = d.cutoff.configurable
    return value if allowed.minimum <= value <= allowed.maximum else None


def score_with_cutoff(
    session: Session, d: MeasureDefinition, answers: dict[int, int | None]
) -> Score:
    """Score answers against the cut-off in force here (the administrator's, if allowed)."""
    return score(d, answers, cutoff=_cutoff_for(session, d))


def _cutoff_setting(session: Session, d: MeasureDefinition) -> CutoffSetting:
    assert d.cutoff is not None and d.cutoff.configurable is not None
    value = _cutoff_for(session, d)
    return CutoffSetting(
        d.id,
        d.short_title,
        d.cutoff.label,
        d.cutoff.value if value is None else value,
        d.cutoff.value,
        d.cutoff.configurable.minimum,
        d.cutoff.configurable.maximum,
        value is not None and value != d.cutoff.value,
        d.cutoff.source,
    )


def cutoff_settings(session: Session, by: StaffRef) -> tuple[CutoffSetting, ...]:
    """The measures whose cut-off an administrator may choose, with the value in force."""
    return tuple(
        _cutoff_setting(session, d)
        for d in available_measures(session, by)
        if d.cutoff is not None and d.cutoff.configurable is not None
    )


def set_cutoff(
    session: Session, by: StaffRef, measure_id: str, value: float | None
) -> CutoffSetting:
    """Choose a measure's cut-off within its definition's range; None restores the default."""
    require_role(by, Role.ADMINISTRATOR, action="change a measure's cut-off")
    current = {d.id: d for d in available_measures(session, by)}.get(measure_id)
    if current is None:
        raise NotFound(f"There is no measure '{measure_id}' here.")
    cutoff = current.cutoff
    if cutoff is None or cutoff.configurable is None:
        raise ValidationError(
            f"The cut-off of the {current.short_title} is fixed by its definition and cannot "
            "be changed.",
            where="cutoff",
        )
    row = session.get(AppSetting, _cutoff_key(measure_id))
    if value is None:
        if row is not None:
            session.delete(row)
    else:
        effective_cutoff(current, value)  # refuses a value outside the allowed range
        if row is None:
            session.add(AppSetting(key=_cutoff_key(measure_id), value=repr(float(value))))
        else:
            row.value = repr(float(value))
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="app_setting",
        detail={"setting": _cutoff_key(measure_id), "value": value},
    )
    return _cutoff_setting(session, current)
