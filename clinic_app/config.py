"""Where things live, and the settings an administrator may change.

Each setting is declared once with its type, default, limits and a title fit to show.
Paths follow the platform's conventions (platformdirs); ``CLINIC_APP_DATA_DIR`` moves
them all, for a managed profile or for tests.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Final

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


def strict_threads() -> bool:
    """Refuse, rather than log, a use case run on the GUI thread (``CLINIC_APP_STRICT_THREADS=1``,
    set by the test runs so that a view bypassing the background runner fails a test)."""
    return os.environ.get("CLINIC_APP_STRICT_THREADS") == "1"


def backups_dir() -> Path:
    return data_dir() / "backups"


def log_dir() -> Path:
    override = os.environ.get("CLINIC_APP_DATA_DIR")
    if override:
        return Path(override) / "logs"
    return user_log_path(APP_NAME, appauthor=False)


LOG_FILENAME = "clinic-app.log"
_LOG_BYTES = 1_000_000
_LOG_FILES_KEPT = 3


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file, and its folder, made only when there is a first line to write.

    A command that logs nothing (``self-test``, ``--help``) leaves nothing behind; a log
    folder that cannot be written loses the line rather than printing to the terminal.
    """

    def _open(self) -> io.TextIOWrapper:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        del record  # logging must never put anything on the terminal or stop the program


def configure_logging(level: int = logging.INFO) -> Path | None:
    """Send the application's log lines to its log file, and never to the terminal.

    Called once by the window and by the command line at start. Log lines hold ids and
    actions only (never clinical text or names). Returns the log file, or None when the
    log folder cannot be written (logging then goes nowhere rather than to stderr).
    """
    logger = logging.getLogger("clinic_app")
    logger.setLevel(level)
    logger.propagate = False  # whatever a host program sets up on the root stays apart
    for handler in [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]:
        logger.removeHandler(handler)
        handler.close()
    path = log_dir() / LOG_FILENAME
    try:
        handler = _LogFile(
            path, maxBytes=_LOG_BYTES, backupCount=_LOG_FILES_KEPT, encoding="utf-8", delay=True
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    return path


def resources_dir() -> Path:
    """The shipped resources (schemas, measures, lexicon, fonts) as a folder on disk.

    They travel as the package data ``clinic_app/resources`` and are found through
    importlib.resources, in an installed wheel and in the PyInstaller bundle alike. A source
    checkout (an editable install, or the tree on PYTHONPATH) has no such folder inside the
    package: there the top-level ``resources/`` folder the wheel is built from is used,
    always the one beside the ``clinic_app`` actually imported.
    """
    # Callers need real files (reportlab opens fonts by name; folders are globbed), and
    # every form the app is installed in keeps its package data on disk.
    shipped = Path(str(files("clinic_app") / "resources"))
    if shipped.is_dir():
        return shipped
    checkout = shipped.parent.parent / "resources"
    # Elsewhere the folder is simply missing, and the self-test names where it should be.
    return checkout if checkout.is_dir() else shipped


# -- the administrators' settings: every one declared here, once -------------------------------


@dataclass(frozen=True)
class IntSetting:
    """An administrator's whole-number setting, stored with the database."""

    key: str
    title: str
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


IDLE_LOCK_MINUTES: Final = IntSetting(
    "idle_lock_minutes", "Lock the screen after this many idle minutes", 10, 1, 15
)
FAILED_SIGN_INS_BEFORE_LOCKOUT: Final = IntSetting(
    "failed_sign_ins_before_lockout", "Failed sign-ins before an account is locked", 5, 3, 10
)
LOCKOUT_MINUTES: Final = IntSetting(
    "lockout_minutes", "Minutes an account stays locked after too many failures", 15, 1, 1440
)
EMERGENCY_ACCESS_HOURS: Final = IntSetting(
    "emergency_access_hours", "Hours emergency access to a client lasts", 12, 1, 72
)
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
SERVICE_NAME: Final = TextSetting(
    "service_name",
    "The service's name, as letters print it in the signature block",
    "Stalking Clinic",
    120,
)

SETTINGS: Final[tuple[IntSetting | TextSetting, ...]] = (
    IDLE_LOCK_MINUTES,
    FAILED_SIGN_INS_BEFORE_LOCKOUT,
    LOCKOUT_MINUTES,
    EMERGENCY_ACCESS_HOURS,
    DOCUMENT_MARKING,
    DOCUMENT_HANDLING,
    SERVICE_NAME,
)
"""Every administrator's setting, in the order ``setting list`` shows them.

:mod:`clinic_app.services.settings` reads, checks and changes them; nothing else declares one.
(A measure's configurable cut-off is declared by its definition, not here.)
"""
NUMBER_SETTINGS: Final = tuple(s for s in SETTINGS if isinstance(s, IntSetting))
TEXT_SETTINGS: Final = tuple(s for s in SETTINGS if isinstance(s, TextSetting))
