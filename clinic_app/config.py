"""Where things live, and the settings an administrator may change.

Each setting is declared once with its type, default, limits and a title fit to show.
Paths follow the platform's conventions (platformdirs); ``CLINIC_APP_DATA_DIR`` moves
them all, for a managed profile or for tests.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_path, user_log_path

APP_NAME = "clinic-app"
DATABASE_FILENAME = "clinic.db"


def data_dir() -> Path:
    """The per-user folder holding the database and its backups."""
    override = os.environ.get("CLINIC_APP_DATA_DIR")
    if override:
        return Path(override)
    return user_data_path(APP_NAME, appauthor=False, roaming=False)


def default_database_path() -> Path:
    return data_dir() / DATABASE_FILENAME


def backups_dir() -> Path:
    return data_dir() / "backups"


def log_dir() -> Path:
    override = os.environ.get("CLINIC_APP_DATA_DIR")
    if override:
        return Path(override) / "logs"
    return user_log_path(APP_NAME, appauthor=False)


def resources_dir() -> Path:
    """The bundled ``resources/`` folder, in a source checkout or a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


@dataclass(frozen=True)
class IntSetting:
    """An administrator's whole-number setting, stored with the database."""

    key: str
    title: str
    default: int
    minimum: int
    maximum: int


IDLE_LOCK_MINUTES = IntSetting(
    "idle_lock_minutes", "Lock the screen after this many idle minutes", 10, 1, 15
)
FAILED_SIGN_INS_BEFORE_LOCKOUT = IntSetting(
    "failed_sign_ins_before_lockout", "Failed sign-ins before an account is locked", 5, 3, 10
)
LOCKOUT_MINUTES = IntSetting(
    "lockout_minutes", "Minutes an account stays locked after too many failures", 15, 1, 1440
)
EMERGENCY_ACCESS_HOURS = IntSetting(
    "emergency_access_hours", "Hours emergency access to a client lasts", 12, 1, 72
)

SETTINGS = (
    IDLE_LOCK_MINUTES,
    FAILED_SIGN_INS_BEFORE_LOCKOUT,
    LOCKOUT_MINUTES,
    EMERGENCY_ACCESS_HOURS,
)
