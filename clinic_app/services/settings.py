"""Administrators' settings kept with the database: reading, checking and changing them.

Every setting (whole-number ones such as the idle lock, and text ones such as the marking
printed on every shared document) is declared once, with its type, default, limits and
title, in the table :data:`clinic_app.config.SETTINGS`; this module and ``setting
list``/``setting set`` read that table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from clinic_app.config import (
    NUMBER_SETTINGS,
    SETTINGS,
    TEXT_SETTINGS,
    IntSetting,
    TextSetting,
)
from clinic_app.errors import ValidationError
from clinic_app.models import AppSetting
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef
from clinic_app.services.validation import text_problem


@dataclass(frozen=True)
class SettingRow:
    key: str
    title: str
    value: int
    default: int
    minimum: int
    maximum: int


@dataclass(frozen=True)
class TextSettingRow:
    key: str
    title: str
    value: str
    default: str


def get_setting(session: Session, setting: IntSetting) -> int:
    """The stored value within the setting's limits, or its default when none is usable."""
    row = session.get(AppSetting, setting.key)
    if row is None:
        return setting.default
    try:
        value = int(row.value)
    except ValueError:
        return setting.default
    return min(max(value, setting.minimum), setting.maximum)


def _find(key: str) -> IntSetting:
    for setting in NUMBER_SETTINGS:
        if setting.key == key:
            return setting
    known = ", ".join(s.key for s in SETTINGS)
    raise ValidationError(f"There is no setting called '{key}'. The settings are: {known}.")


def _find_text(key: str) -> TextSetting | None:
    return next((s for s in TEXT_SETTINGS if s.key == key), None)


def get_text_setting(session: Session, setting: TextSetting) -> str:
    """The stored value, or the default when none is stored (or the stored one is unusable)."""
    row = session.get(AppSetting, setting.key)
    if row is None or text_setting_problem(setting, row.value) is not None:
        return setting.default
    return row.value


def text_setting_problem(setting: TextSetting, value: str) -> str | None:
    """Why a value cannot be used for a text setting, or None."""
    problem = text_problem(value, label=setting.title, required=True, max_length=setting.max_length)
    if problem is not None:
        return problem
    if "\n" in value or "\t" in value:
        return f"{setting.title} must be on one line."
    if setting.pattern is not None and not re.fullmatch(setting.pattern, value):
        return f"{setting.title} may contain only {setting.pattern_words}."
    return None


def list_text_settings(session: Session, by: StaffRef) -> list[TextSettingRow]:
    require_role(by, Role.ADMINISTRATOR, action="manage settings")
    return [
        TextSettingRow(s.key, s.title, get_text_setting(session, s), s.default)
        for s in TEXT_SETTINGS
    ]


def change_text_setting(session: Session, by: StaffRef, key: str, value: str) -> TextSettingRow:
    """Set a text setting (e.g. the document marking), after checking it."""
    require_role(by, Role.ADMINISTRATOR, action="manage settings")
    setting = _find_text(key)
    if setting is None:
        _find(key)  # raises, listing every setting
        raise ValidationError(f"'{key}' is a number setting, not a text setting.", where=key)
    value = value.strip()
    problem = text_setting_problem(setting, value)
    if problem is not None:
        raise ValidationError(problem, where=key)
    row = session.get(AppSetting, setting.key)
    if row is None:
        session.add(AppSetting(key=setting.key, value=value))
    else:
        row.value = value
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="app_setting",
        detail={"setting": setting.key},
    )
    return TextSettingRow(setting.key, setting.title, value, setting.default)


def list_settings(session: Session, by: StaffRef) -> list[SettingRow]:
    require_role(by, Role.ADMINISTRATOR, action="manage settings")
    return [
        SettingRow(s.key, s.title, get_setting(session, s), s.default, s.minimum, s.maximum)
        for s in NUMBER_SETTINGS
    ]


def change_setting(
    session: Session, by: StaffRef, key: str, value: str
) -> SettingRow | TextSettingRow:
    """Set one setting, within its limits (the idle lock can never exceed 15 minutes).

    Text settings (see :data:`TEXT_SETTINGS`) are set through :func:`change_text_setting`.
    """
    require_role(by, Role.ADMINISTRATOR, action="manage settings")
    if _find_text(key) is not None:
        return change_text_setting(session, by, key, value)
    setting = _find(key)
    try:
        number = int(value.strip())
    except ValueError:
        raise ValidationError(f"'{value}' is not a whole number.", where=key) from None
    if not setting.minimum <= number <= setting.maximum:
        raise ValidationError(
            f"{setting.title} must be from {setting.minimum} to {setting.maximum}.", where=key
        )
    row = session.get(AppSetting, setting.key)
    if row is None:
        session.add(AppSetting(key=setting.key, value=str(number)))
    else:
        row.value = str(number)
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="app_setting",
        detail={"setting": setting.key, "value": number},
    )
    return SettingRow(
        setting.key, setting.title, number, setting.default, setting.minimum, setting.maximum
    )
