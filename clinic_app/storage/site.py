"""Site mode: the record on a PostgreSQL server (15 or newer) shared by a clinical team.

A workstation either opens its own encrypted file (``storage.engine``, the default) or
connects to a site. A site is named by :class:`SiteSettings`: host, port, database, the
TLS mode and the certificate authority's file. No password is ever part of a setting:
every member of staff signs in as their own PostgreSQL role with their own password
(SCRAM-SHA-256), so the server itself knows who is acting and enforces who may see what
(row-level security and column privileges, set up by ``services.site_security``).

TLS: ``verify-full`` (the server's certificate is checked against the CA file and must
name the host) is the default. A weaker mode is accepted only when explicitly allowed
(``allow_weaker_tls``), and every connection made with one logs a warning.

Settings are read from a machine-wide file (written by the installer or ``clinic-app site
connect --machine``) and from the user's own file, the user's winning. Both are small
JSON files; see :func:`machine_settings_path` and :func:`user_settings_path`.
"""

from __future__ import annotations

import json
import logging
import os
import select
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_app import config
from clinic_app.errors import AccountLocked, SchemaTooNew, StorageError
from clinic_app.storage import files

if TYPE_CHECKING:
    # The database layer loads when a site is opened, not when its setting is read (the
    # application reads it before its sign-in window shows).
    from sqlalchemy import Engine
    from sqlalchemy.engine import ExceptionContext
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

DEFAULT_PORT = 5432
STRONG_TLS = "verify-full"
# Weaker modes, weakest last; each needs an explicit administrator's choice.
WEAKER_TLS = ("verify-ca", "require")
# How long a connection attempt may take before the user is told the site is unreachable.
CONNECT_TIMEOUT_SECONDS = 5
# A connection whose server has gone (network down, server switched off) is noticed by
# TCP keepalives after KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT seconds of
# silence (7 s), and data sent but not acknowledged fails after TCP_USER_TIMEOUT_MS: the
# window says the site cannot be reached within 10 seconds, and no unit of work hangs.
KEEPALIVE_IDLE = 3
KEEPALIVE_INTERVAL = 2
KEEPALIVE_COUNT = 2
# A pooled connection used within this many seconds is handed out without asking the
# server whether it is still there (a round trip); one idle longer is asked first.
PING_AFTER_IDLE_SECONDS = 1.0
USED_AT = "clinic_app.used_at"
TCP_USER_TIMEOUT_MS = 7000
# Appends to the audit chain take this transaction-scoped advisory lock (one per database).
AUDIT_CHAIN_LOCK = 0x636C696E6963  # "clinic"
SETTINGS_FILENAME = "site.json"

UNREACHABLE_MESSAGE = (
    "The site's database server cannot be reached. Check the network connection; if it "
    "continues, ask your IT service whether the server is running."
)
SIGN_IN_MESSAGE = "The username or password is not right, or the account cannot sign in."
# The sign-in gate (``services.site_security``): a public role that may only open a member
# of staff's login for a few seconds, counting each opening as an attempt until they sign in.
GATE_ROLE = "clinic_gate"
GATE_PASSWORD = "clinic-gate"  # noqa: S105 - public by design: the role can only knock
GATE_MISSING_MESSAGE = (
    "this site's sign-in gate is not set up (not a site, or made by an older clinic-app): "
    "an administrator must run 'clinic-app site upgrade'"
)


class SiteSettingsError(StorageError):
    """The site settings are missing, unreadable or not acceptable."""


@dataclass(frozen=True)
class SiteSettings:
    """Where a site is and how its server is checked. Never a password."""

    host: str
    database: str
    port: int = DEFAULT_PORT
    sslmode: str = STRONG_TLS
    ca_file: Path | None = None
    # An administrator's explicit, logged choice to accept a weaker TLS mode.
    allow_weaker_tls: bool = False

    def problems(self) -> list[str]:
        """What is wrong with these settings, in plain words (empty when they are usable)."""
        found = []
        if not self.host.strip():
            found.append("The server's host name is missing.")
        if not self.database.strip():
            found.append("The database name is missing.")
        if not 0 < self.port < 65536:
            found.append("The port must be a number from 1 to 65535.")
        if self.sslmode != STRONG_TLS:
            if self.sslmode not in WEAKER_TLS:
                found.append(
                    f"The TLS mode '{self.sslmode}' is not allowed: use {STRONG_TLS} "
                    f"(or, with an administrator's explicit choice, {' or '.join(WEAKER_TLS)})."
                )
            elif not self.allow_weaker_tls:
                found.append(
                    f"The TLS mode '{self.sslmode}' does not check the server's identity as "
                    f"fully as {STRONG_TLS}; an administrator must allow it explicitly."
                )
        if self.sslmode in (STRONG_TLS, "verify-ca") and self.ca_file is None:
            found.append(
                "The certificate authority's file (CA file) is needed to check the server."
            )
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            found.append(f"The certificate authority's file {self.ca_file} does not exist.")
        return found

    def check(self) -> None:
        found = self.problems()
        if found:
            raise SiteSettingsError(" ".join(found))

    def conninfo(self, user: str, password: str, *, application_name: str = "clinic-app") -> str:
        """The libpq connection string for one member of staff (password never stored)."""
        from psycopg.conninfo import make_conninfo  # noqa: PLC0415 - site mode only

        params: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "user": user,
            "password": password,
            "sslmode": self.sslmode,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE_IDLE,
            "keepalives_interval": KEEPALIVE_INTERVAL,
            "keepalives_count": KEEPALIVE_COUNT,
            "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
            "application_name": application_name,
        }
        if self.ca_file is not None:
            params["sslrootcert"] = str(self.ca_file)
        return str(make_conninfo(**params))

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["ca_file"] = None if self.ca_file is None else str(self.ca_file)
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> SiteSettings:
        if "password" in values:
            raise SiteSettingsError(
                "The site settings hold a password, which is never allowed. Remove it; each "
                "member of staff signs in with their own."
            )
        try:
            ca = values.get("ca_file")
            return cls(
                host=str(values["host"]),
                database=str(values["database"]),
                port=int(values.get("port", DEFAULT_PORT)),
                sslmode=str(values.get("sslmode", STRONG_TLS)),
                ca_file=None if ca in (None, "") else Path(str(ca)),
                allow_weaker_tls=bool(values.get("allow_weaker_tls", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SiteSettingsError(
                "The site settings are incomplete or damaged: they need at least the host "
                "and the database."
            ) from exc


def machine_settings_path() -> Path:
    """The machine-wide site setting (written by the installer for silent deployment)."""
    override = os.environ.get("CLINIC_APP_MACHINE_DIR")
    if override:
        return Path(override) / SETTINGS_FILENAME
    if sys.platform == "win32":
        base = Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData"))
        return base / "clinic-app" / SETTINGS_FILENAME
    return Path("/etc/clinic-app") / SETTINGS_FILENAME


def user_settings_path() -> Path:
    """This user's own site setting (overrides the machine's)."""
    return config.data_dir() / SETTINGS_FILENAME


def read_settings(path: Path) -> SiteSettings | None:
    """The settings in one file, or None when there is no file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SiteSettingsError(f"The site settings in {path} cannot be read.") from exc
    try:
        values = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SiteSettingsError(f"The site settings in {path} are damaged.") from exc
    if not isinstance(values, dict):
        raise SiteSettingsError(f"The site settings in {path} are damaged.")
    return SiteSettings.from_json(values)


def configured_site() -> SiteSettings | None:
    """The site this workstation uses (the user's setting, else the machine's), or None."""
    for path in (user_settings_path(), machine_settings_path()):
        settings = read_settings(path)
        if settings is not None:
            return settings
    return None


def write_settings(settings: SiteSettings, path: Path) -> Path:
    """Check and write the settings (atomically); a weaker TLS choice is logged."""
    settings.check()
    if settings.sslmode != STRONG_TLS:
        log.warning("site setting written with weaker TLS mode %s", settings.sslmode)
    data = (json.dumps(settings.to_json(), indent=2, sort_keys=True) + "\n").encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomically(path, data)
    except PermissionError:
        raise SiteSettingsError(
            f"The site setting could not be written to {path}: this account may not "
            "write there. A setting for everyone who uses this computer needs an "
            "administrator of the computer (or the installer)."
        ) from None
    except OSError as exc:
        raise SiteSettingsError(
            f"The site setting could not be written to {path} ({exc.strerror or exc})."
        ) from None
    return path


def classify(exc: BaseException) -> StorageError | None:
    """Translate a driver error into the error a user should see, or None if it is a bug."""
    import psycopg  # noqa: PLC0415 - site mode only

    if isinstance(exc, psycopg.OperationalError):
        return classify_message(str(exc).lower()) or SiteUnreachable(UNREACHABLE_MESSAGE)
    return None


def classify_message(message: str) -> StorageError | None:
    """:func:`classify` for the driver's message (lower case) of a refused connection."""
    if "password authentication failed" in message or "role" in message:
        return SiteSignInError(SIGN_IN_MESSAGE)
    if "certificate" in message or "ssl" in message:
        return SiteSettingsError(
            "The site's server could not be checked as the right server (its "
            "certificate does not match the settings). Nothing was sent to it; tell your "
            "IT service."
        )
    return None


class SiteSignInError(StorageError):
    """The server refused the member of staff's name or password."""


class SiteUnreachable(StorageError):
    """The site's server cannot be reached now (network down, server restarting).

    Nothing of the unit of work was written; the same work may succeed once the server is
    back, so a view keeps what was typed and tries again then.
    """


def make_engine(connect: Any, *, sslmode: str = STRONG_TLS) -> Engine:
    """A SQLAlchemy engine whose connections come from ``connect()`` (a psycopg connection)."""
    import psycopg  # noqa: PLC0415 - site mode only
    from sqlalchemy import create_engine, event  # noqa: PLC0415
    from sqlalchemy import exc as sa_exc  # noqa: PLC0415
    from sqlalchemy.pool import QueuePool  # noqa: PLC0415

    engine = create_engine(
        "postgresql+psycopg://",
        creator=connect,
        # Statement values are clinical text: never copy them into error messages.
        hide_parameters=True,
        poolclass=QueuePool,
    )
    if sslmode != STRONG_TLS:

        @event.listens_for(engine, "connect")
        def _weaker(*_: Any) -> None:
            log.warning("connected to the site with weaker TLS mode %s", sslmode)

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection: Any, record: Any) -> None:
        record.info[USED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # A pooled connection may be one the server has closed (it restarted): ask it
        # first, and have the pool connect again if it does not answer. A connection just
        # made, or used a moment ago with nothing arrived from the server since (a server
        # closing it says so first), is handed out as it is: a burst of work pays no
        # round trip for asking.
        used = record.info.get(USED_AT)
        if used is None or (
            time.monotonic() - used < PING_AFTER_IDLE_SECONDS
            and not _server_has_spoken(dbapi_connection)
        ):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except psycopg.Error as exc:
            raise sa_exc.DisconnectionError("the site did not answer") from exc

    @event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> StorageError | None:
        original = context.original_exception
        if isinstance(original, psycopg.OperationalError):
            translated = classify(original)
            if translated is not None:
                log.info("site database error: %s", type(translated).__name__)
                return translated
        return None

    return engine


def _server_has_spoken(connection: Any) -> bool:
    """Whether anything has arrived on an idle connection (at once, without waiting).

    Between units of work the server sends nothing unless it is closing the connection
    (it shuts down, restarts or ends the session); an unreadable socket counts as spoken.
    """
    import psycopg  # noqa: PLC0415 - site mode only

    try:
        socket = connection.pgconn.socket
        if hasattr(select, "poll"):  # not Windows; select() refuses numbers over 1023
            poller = select.poll()
            poller.register(socket, select.POLLIN)  # a hang-up or an error counts too
            return bool(poller.poll(0))
        ready, _, _ = select.select([socket], [], [], 0)
    except (OSError, ValueError, psycopg.Error):  # a connection already gone
        return True
    return bool(ready)


@dataclass
class SiteDatabase:
    """An open connection to a site as one member of staff: units of work, as ``Database``.

    Every connection is that person's own PostgreSQL role; the server applies row-level
    security and column privileges to everything they do.
    """

    settings: SiteSettings
    user: str
    engine: Engine
    _sessions: sessionmaker[Session] = field(repr=False)
    # A new psycopg connection as the same member of staff (for the live-refresh listener,
    # which holds a connection of its own); None for a database opened without one.
    connect: Callable[[], Any] | None = field(default=None, repr=False)
    # The server processes of this database's own connections: the listener does not
    # announce back to this workstation the changes it committed itself.
    backend_pids: set[int] = field(default_factory=set, repr=False)

    def session(self) -> Session:
        return self._sessions()

    def writing(self) -> Session:
        # PostgreSQL takes row locks as it writes; no write lock up front is needed.
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def checkpoint(self) -> bool:
        return True  # the server keeps its own write-ahead log

    def close(self) -> None:
        self.engine.dispose()


def open_site(settings: SiteSettings, user: str, password: str) -> SiteDatabase:
    """Connect to the site as ``user`` (their own PostgreSQL role), checking the TLS setting.

    Every connection passes the sign-in gate first (:func:`open_gate`), so the server
    counts the attempt and refuses a locked account. The first connection is made at once,
    so a wrong password, a locked account, an unreachable server or a certificate that
    does not match is reported here, in plain words.
    """
    from sqlalchemy.orm import sessionmaker  # noqa: PLC0415

    connect = connector(settings, user, password, gate=True)
    pids: set[int] = set()

    def remembered() -> Any:
        conn = connect()
        pids.add(int(conn.info.backend_pid))
        return conn

    engine = connect_engine(settings, user, password, connect=remembered)
    try:
        check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    _STAFF_ENGINES[engine] = settings
    return SiteDatabase(
        settings, user, engine, sessionmaker(engine, expire_on_commit=False), connect, pids
    )


SITE_BEHIND_MESSAGE = (
    "The site's database was prepared by an older clinic-app than this one. An "
    "administrator must run 'clinic-app site upgrade' before this version can be used "
    "with it; nothing has been changed."
)
SITE_AHEAD_MESSAGE = (
    "The site's database has been upgraded by a newer clinic-app than this one. Install "
    "that version (or newer) on this computer to sign in; nothing has been changed."
)


def check_schema(engine: Engine) -> None:
    """Refuse a site whose schema is not the one this clinic-app was made for.

    Migrations are numbered in order ("0001", "0002"...), so the site's revision tells
    whether the site or this program is the older. A site left behind would fail at the
    first use of what the newer schema adds (the audit trail's server functions among
    them), in words no one could act on.
    """
    from sqlalchemy import text  # noqa: PLC0415

    from clinic_app.storage.migrations import HEAD_REVISION  # noqa: PLC0415

    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision == HEAD_REVISION:
        return
    if revision is not None and revision.isdigit() and int(revision) > int(HEAD_REVISION):
        raise SchemaTooNew(SITE_AHEAD_MESSAGE)
    raise SiteSettingsError(SITE_BEHIND_MESSAGE)


# The engines opened as a member of staff (not the owner's), and the site each reaches: a
# password asked for again (to sign a note) is then checked by the server, as at sign-in.
_STAFF_ENGINES: weakref.WeakKeyDictionary[Any, SiteSettings] = weakref.WeakKeyDictionary()


def staff_site_of(session: Session) -> SiteSettings | None:
    """The site this unit of work reaches as a member of staff, or None (a workstation
    file, or the owner's connection, which reads the accounts' own password hashes)."""
    return _STAFF_ENGINES.get(session.get_bind())


def _locked_message(until: datetime) -> str:
    local = until.replace(tzinfo=UTC).astimezone()
    return (
        "Too many failed sign-in attempts: this account is locked until "
        f"{local:%H:%M}. Try again then, or ask an administrator to unlock it."
    )


def open_gate(settings: SiteSettings, user: str) -> None:
    """Ask the server's sign-in gate to let ``user``'s password be tried for a moment.

    The server counts this as a failed attempt until the person signs in (then
    ``clinic_gate_passed`` clears it); a locked account is refused here with the time it
    unlocks.
    """
    import psycopg  # noqa: PLC0415 - site mode only

    conninfo = settings.conninfo(GATE_ROLE, GATE_PASSWORD, application_name="clinic-app gate")
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT clinic_open_gate(%s)", (user,)).fetchone()
    except psycopg.OperationalError as exc:
        translated = classify(exc)
        if not isinstance(translated, SiteSignInError):
            raise (translated or StorageError(UNREACHABLE_MESSAGE)) from None
        # No gate role: not a site, or one not yet upgraded. The server checks the
        # password as it always does; its answer is the one the user sees.
        log.warning("the site has no sign-in gate role: %s", GATE_MISSING_MESSAGE)
        return
    except psycopg.Error:
        log.warning("the site has no sign-in gate function: %s", GATE_MISSING_MESSAGE)
        return
    if row is not None and row[0] is not None:
        raise AccountLocked(_locked_message(row[0]))


def not_a_site_message(settings: SiteSettings) -> str:
    return (
        f"The server answered, but its database '{settings.database}' is not a clinic-app "
        "site: it has not been prepared with 'clinic-app site init', or was prepared by an "
        "older clinic-app and needs 'clinic-app site upgrade'. Ask whoever runs the server."
    )


def check_site(settings: SiteSettings) -> None:
    """Check, without anyone's password, that a site can be reached and is a clinic-app site.

    The connection is the sign-in gate's (a public role that can do nothing else), so it
    proves what can be proved before anyone signs in: the server answers, its certificate
    matches the settings (checked before anything is sent), the database exists and was
    prepared by ``clinic-app site init``. Raises :class:`SiteSettingsError` or
    :class:`SiteUnreachable` with what is wrong, in plain words.
    """
    import psycopg  # noqa: PLC0415 - site mode only

    settings.check()
    conninfo = settings.conninfo(GATE_ROLE, GATE_PASSWORD, application_name="clinic-app check")
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT to_regproc('clinic_open_gate') IS NOT NULL").fetchone()
    except psycopg.OperationalError as exc:
        raise _check_failure(settings, str(exc)) from None
    except psycopg.Error:  # it answered, but not as a clinic-app site answers
        raise SiteSettingsError(not_a_site_message(settings)) from None
    if row is None or not row[0]:
        raise SiteSettingsError(not_a_site_message(settings))


def _check_failure(settings: SiteSettings, said: str) -> StorageError:
    """What the server's refusal of the gate's connection means, in plain words."""
    message = said.lower()
    if f'database "{settings.database.lower()}" does not exist' in message:
        return SiteSettingsError(
            f"The server answered, but it has no database called '{settings.database}'. "
            "Check the database name with whoever runs the server."
        )
    if "pg_hba.conf" in message:
        return SiteSettingsError(
            "The server answered, but refuses connections from this computer (its "
            "pg_hba.conf has no entry for it). Ask whoever runs the server."
        )
    if "permission denied for database" in message:
        return SiteSettingsError(not_a_site_message(settings))
    translated = classify_message(message)
    if isinstance(translated, SiteSignInError):  # no gate role on this server
        return SiteSettingsError(not_a_site_message(settings))
    return translated or SiteUnreachable(UNREACHABLE_MESSAGE)


def check_password(settings: SiteSettings, user: str, password: str) -> None:
    """Check a member of staff's password with the server (through the gate, counted).

    Raises ``SiteSignInError`` when it is wrong, ``AccountLocked`` when locked.
    """
    import psycopg  # noqa: PLC0415 - site mode only

    open_gate(settings, user)
    try:
        with psycopg.connect(settings.conninfo(user, password), autocommit=True) as conn:
            conn.execute("SELECT clinic_gate_passed()")
    except psycopg.OperationalError as exc:
        raise (classify(exc) or StorageError(UNREACHABLE_MESSAGE)) from None


def connector(
    settings: SiteSettings, user: str, password: str, *, gate: bool = False
) -> Callable[[], Any]:
    """A function making a new psycopg connection as ``user`` (settings checked first).

    ``gate``: pass the sign-in gate before each connection (a member of staff; the
    owner's role has no gate).
    """
    import psycopg  # noqa: PLC0415 - site mode only

    settings.check()
    conninfo = settings.conninfo(user, password)

    def connect() -> Any:
        if not gate:
            return psycopg.connect(conninfo)
        open_gate(settings, user)
        conn = psycopg.connect(conninfo)
        try:
            conn.execute("SELECT clinic_gate_passed()")
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    return connect


def connect_engine(
    settings: SiteSettings,
    user: str,
    password: str,
    *,
    connect: Callable[[], Any] | None = None,
    gate: bool = False,
) -> Engine:
    """An engine whose every connection signs in as ``user``; the first is made at once."""
    from sqlalchemy import text  # noqa: PLC0415

    if connect is None:
        connect = connector(settings, user, password, gate=gate)
    engine = make_engine(connect, sslmode=settings.sslmode)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except BaseException:
        engine.dispose()
        raise
    return engine


def is_site(session: Session) -> bool:
    """Whether this unit of work is on a site (PostgreSQL) rather than a workstation file."""
    return session.get_bind().dialect.name == "postgresql"
