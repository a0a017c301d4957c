"""Administrators' settings kept with the database (idle lock, lockout, emergency access)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from clinic_app.config import SETTINGS, IntSetting
from clinic_app.errors import ValidationError
from clinic_app.models import AppSetting
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.common import StaffRef, get_setting, require_role


@dataclass(frozen=True)
class SettingRow:
    key: str
    title: str
    value: int
    default: int
    minimum: int
    maximum: int


def _find(key: str) -> IntSetting:
    for setting in SETTINGS:
        if setting.key == key:
            return setting
    known = ", ".join(s.key for s in SETTINGS)
    raise ValidationError(f"There is no setting called '{key}'. The settings are: {known}.")


def list_settings(session: Session, by: StaffRef) -> list[SettingRow]:
    require_role(by, Role.ADMINISTRATOR, action="manage settings")
    return [
        SettingRow(s.key, s.title, get_setting(session, s), s.default, s.minimum, s.maximum)
        for s in SETTINGS
    ]


def change_setting(session: Session, by: StaffRef, key: str, value: str) -> SettingRow:
    """Set one setting, within its limits (the idle lock can never exceed 15 minutes)."""
    require_role(by, Role.ADMINISTRATOR, action="manage settings")
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
