"""Administrators' settings kept with the database.

Whole-number settings (idle lock, lockout, emergency access) are declared in
:mod:`clinic_app.config`; text settings (the marking and handling text printed on
every shared document) are declared here with their default and checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from clinic_app.config import SETTINGS, IntSetting
from clinic_app.errors import ValidationError
from clinic_app.models import AppSetting
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef, get_setting
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
class TextSetting:
    """An administrator's text setting, stored with the database."""

    key: str
    title: str
    default: str
    max_length: int
    pattern: str | None = None
    """A regular expression the whole value must match, if any."""
    pattern_words: str = ""
    """What the pattern allows, in words."""


@dataclass(frozen=True)
class TextSettingRow:
    key: str
    title: str
    value: str
    default: str


DOCUMENT_MARKING: Final = TextSetting(
    "document_marking",
    "Marking printed at the top and bottom of every page shared with partners",
    "OFFICIAL-SENSITIVE",
    60,
    pattern=r"[A-Z0-9][A-Z0-9 /:()-]*",
    pattern_words="capital letters, digits, spaces and - / : ( )",
)
DOCUMENT_HANDLING: Final = TextSetting(
    "document_handling",
    "Handling instruction printed on every page shared with partners",
    "Do not forward or disclose to the subject without consulting the author.",
    300,
)
TEXT_SETTINGS: Final = (DOCUMENT_MARKING, DOCUMENT_HANDLING)


def _find(key: str) -> IntSetting:
    for setting in SETTINGS:
        if setting.key == key:
            return setting
    known = ", ".join([*(s.key for s in SETTINGS), *(s.key for s in TEXT_SETTINGS)])
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
        for s in SETTINGS
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
