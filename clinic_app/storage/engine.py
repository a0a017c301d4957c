"""Open, create and back up the encrypted SQLCipher database.

Every connection is keyed with the raw 256-bit key before anything else, then set to
foreign keys on, WAL and ``synchronous=FULL`` (a clinical commit must survive power loss).
Failures are sorted into distinct, plainly worded errors: missing file, not a database,
wrong key, damaged database, locked by another program.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from clinic_app.errors import (
    CorruptDatabase,
    DatabaseExists,
    DatabaseLocked,
    DatabaseMissing,
    NotADatabase,
    StorageError,
    WrongKey,
)
from clinic_app.storage import migrations
from clinic_app.storage.keys import KEY_BYTES

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_SECONDS = 3.0

LOCKED_MESSAGE = (
    "The database is in use by another program (perhaps clinic-app is already open in "
    "another window, or a backup is running). Close it and try again."
)
CORRUPT_MESSAGE = (
    "The database is damaged and cannot be read safely. Nothing has been changed. Ask an "
    "administrator to restore the most recent backup."
)
WRONG_KEY_MESSAGE = (
    "The key does not open this database. Check that this is the right database for this "
    "computer; an administrator can enter the recovery key with 'clinic-app recover'."
)


def _pragma_key(key: bytes) -> str:
    if len(key) != KEY_BYTES:
        raise ValueError("a database key is 32 bytes")
    # A raw key: SQLCipher uses it directly, skipping the slow passphrase derivation.
    return f"PRAGMA key = \"x'{key.hex()}'\""


def _connect(path: Path, key: bytes) -> Any:
    conn = sqlcipher3.connect(
        str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(_pragma_key(key))
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
    except BaseException:
        conn.close()
        raise
    return conn


def classify(exc: BaseException) -> StorageError | None:
    """Translate a driver error into the error a user should see, or None if it is a bug."""
    message = str(exc).lower()
    if "database is locked" in message or "database is busy" in message:
        return DatabaseLocked(LOCKED_MESSAGE)
    if "malformed" in message or "corrupt" in message:
        return CorruptDatabase(CORRUPT_MESSAGE)
    if "file is not a database" in message or "hmac" in message:
        return CorruptDatabase(CORRUPT_MESSAGE)
    if "unable to open database" in message or "disk i/o error" in message:
        return StorageError(
            "The database file cannot be opened or written. Check that its folder exists, "
            "that you may write to it and that the disk is not full."
        )
    if "database or disk is full" in message:
        return StorageError("The disk is full. Free some space and try again.")
    return None


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DatabaseMissing(f"There is no database at {path}.")
    if not path.is_file():
        raise NotADatabase(f"{path} is a folder, not a database file.")
    size = path.stat().st_size
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header == SQLITE_HEADER:
        raise NotADatabase(
            f"{path} is an ordinary, unencrypted database file, not a clinic-app database."
        )
    if size == 0 or size % 512 != 0 or _looks_like_text(path):
        raise NotADatabase(f"{path} is not a clinic-app database.")


def _looks_like_text(path: Path) -> bool:
    """True for a file that starts with readable text: an encrypted page looks random.

    The chance that 512 random bytes are all printable is far below one in a billion.
    """
    with path.open("rb") as handle:
        start = handle.read(512)
    return all(32 <= b < 127 or b in b"\t\r\n" for b in start)


@dataclass
class Database:
    """An open clinic-app database: its file, engine and a factory of units of work."""

    path: Path
    engine: Engine
    _sessions: sessionmaker[Session]

    def session(self) -> Session:
        """A new unit of work. The caller commits or rolls back; services never do."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work committed on success and rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _make_engine(path: Path, key: bytes) -> Engine:
    engine = create_engine(
        "sqlite+pysqlite://",
        module=sqlcipher3,
        creator=lambda: _connect(path, key),
        # Statement values are clinical text: never copy them into error messages (and
        # from there into logs).
        hide_parameters=True,
        # The URL names no file, so SQLAlchemy would assume an in-memory database and share
        # one connection per thread; a file needs a real pool, one connection per unit of work.
        poolclass=QueuePool,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # The driver is in autocommit mode; we open transactions ourselves so that a
        # unit of work reads one consistent snapshot and commits or rolls back whole.
        conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> StorageError | None:
        original = context.original_exception
        if isinstance(original, sqlcipher3.Error | sqlite3.Error):
            translated = classify(original)
            if translated is not None:
                log.warning("database error: %s", type(translated).__name__)
                return translated
        return None

    return engine


def _probe(path: Path, key: bytes) -> None:
    """Open the file with the key, outside SQLAlchemy, to tell the failures apart."""
    try:
        conn = _connect(path, key)
    except sqlcipher3.Error as exc:
        raise _open_error(exc) from exc
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlcipher3.Error as exc:
        raise _open_error(exc) from exc
    finally:
        conn.close()
    if "alembic_version" not in names:
        raise NotADatabase(f"{path} is an encrypted database, but not a clinic-app database.")


def _open_error(exc: BaseException) -> StorageError:
    message = str(exc).lower()
    if "file is not a database" in message:
        # Page 1 failed its authentication: with SQLCipher that is a wrong key (or a
        # first page so damaged it cannot be told from one).
        return WrongKey(WRONG_KEY_MESSAGE)
    return classify(exc) or StorageError(f"The database cannot be opened ({type(exc).__name__}).")


def open_database(
    path: Path, key: bytes, *, backup_dir: Path | None = None, migrate: bool = True
) -> Database:
    """Open an existing database, backing it up and migrating it if its schema is older."""
    path = Path(path)
    _check_file(path)
    _probe(path, key)
    engine = _make_engine(path, key)
    try:
        if migrate:
            with engine.connect() as conn:
                current = migrations.current_revision(conn)
            if current != migrations.head_revision():
                migrations.check_known(current)
                target = backup_dir or path.parent / "backups"
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                backup_database(engine, key, target / f"pre-upgrade-{stamp}.db")
                migrations.upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return Database(path, engine, sessionmaker(engine, expire_on_commit=False))


def create_database(path: Path, key: bytes) -> Database:
    """Create a new, empty database at ``path`` with the schema at its latest revision."""
    path = Path(path)
    if path.exists():
        raise DatabaseExists(f"A database already exists at {path}; it has not been touched.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Build under a temporary name and move into place, so a failure leaves nothing behind.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.creating")
    engine = _make_engine(tmp, key)
    try:
        migrations.upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        engine.dispose()
        _remove_with_sidecars(tmp)
        raise
    engine.dispose()
    _remove_sidecars(tmp)
    os.replace(tmp, path)
    return open_database(path, key)


def discard_database(path: Path) -> None:
    """Remove a database that was just created and could not be completed."""
    _remove_with_sidecars(path)


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _remove_sidecars(path: Path) -> None:
    for sidecar in _sidecars(path):
        sidecar.unlink(missing_ok=True)


def _remove_with_sidecars(path: Path) -> None:
    path.unlink(missing_ok=True)
    _remove_sidecars(path)


def backup_database(engine: Engine, key: bytes, out: Path) -> Path:
    """Write an encrypted copy (same key) with ``sqlcipher_export``, verify it, then move it in.

    The copy is written beside its destination under a temporary name and only renamed
    once it opens with the key and passes an integrity check, so a failed backup never
    leaves a half-written file where a good one is expected.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.partial")
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute(f"ATTACH DATABASE ? AS backup KEY \"x'{key.hex()}'\"", (str(tmp),))
            try:
                raw.execute("SELECT sqlcipher_export('backup')").fetchall()
            finally:
                raw.execute("DETACH DATABASE backup")
        verify_file(tmp, key)
        os.replace(tmp, out)
    except BaseException:
        _remove_with_sidecars(tmp)
        raise
    return out


def verify_file(path: Path, key: bytes) -> None:
    """Check that a file is a clinic-app database this key opens, and that it is undamaged."""
    _check_file(path)
    _probe(path, key)
    conn = _connect(path, key)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA cipher_integrity_check")]
        problems += [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    except sqlcipher3.Error as exc:
        raise CorruptDatabase(CORRUPT_MESSAGE) from exc
    finally:
        conn.close()
    if problems:
        raise CorruptDatabase(CORRUPT_MESSAGE)


def restore_database(backup: Path, target: Path, key: bytes, *, keep_dir: Path) -> Path | None:
    """Replace ``target`` with a verified backup; the database replaced is kept in ``keep_dir``.

    Returns where the replaced database was kept (None when there was none). Refused with
    ``DatabaseLocked`` while the target is open anywhere (clinic-app running on it). A
    damaged target, the usual reason to restore, is kept as a plain copy of its files,
    since it cannot be backed up through SQLCipher.
    """
    backup, target = Path(backup), Path(target)
    verify_file(backup, key)
    kept: Path | None = None
    staged = target.with_name(f".{target.name}.{uuid.uuid4().hex}.restoring")
    try:
        shutil.copyfile(backup, staged)
        verify_file(staged, key)
        if target.exists():
            _refuse_if_open_elsewhere(target, key)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = keep_dir / f"replaced-by-restore-{stamp}.db"
            try:
                current = open_database(target, key, migrate=False)
            except (CorruptDatabase, NotADatabase, WrongKey):
                # Unreadable with the key that opens the backup: damaged (a damaged first
                # page looks like a wrong key).
                kept = _copy_files(target, keep_dir / f"replaced-by-restore-{stamp}-damaged.db")
            else:
                try:
                    backup_database(current.engine, key, kept)
                except (CorruptDatabase, sqlcipher3.Error):
                    # Opens, but damaged further in.
                    kept = _copy_files(target, keep_dir / f"replaced-by-restore-{stamp}-damaged.db")
                finally:
                    current.close()
        _remove_sidecars(target)
        os.replace(staged, target)
    except BaseException:
        _remove_with_sidecars(staged)
        raise
    return kept


IN_USE_MESSAGE = (
    "The database is open in clinic-app (or another program) on this computer. Close "
    "clinic-app everywhere it is using this database, then restore again."
)


def _refuse_if_open_elsewhere(path: Path, key: bytes) -> None:
    """Raise ``DatabaseLocked`` if any other connection has the database open.

    An exclusive-mode connection needs the file to itself: every connection of a running
    app holds a shared lock on it, even when idle. A file too damaged to tell is not
    refused here (it cannot be in use by the app either).
    """
    try:
        conn = sqlcipher3.connect(str(path), timeout=0.2, isolation_level=None)
    except sqlcipher3.Error:
        return
    try:
        conn.execute(_pragma_key(key))
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        conn.execute("ROLLBACK")
    except sqlcipher3.Error as exc:
        if isinstance(classify(exc), DatabaseLocked):
            raise DatabaseLocked(IN_USE_MESSAGE) from exc
    finally:
        conn.close()


def _copy_files(path: Path, out: Path) -> Path:
    """Copy a database file and its sidecars as they are (for a file that cannot be read)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, out)
    for sidecar in _sidecars(path):
        if sidecar.exists():
            shutil.copyfile(sidecar, out.with_name(out.name + sidecar.name[len(path.name) :]))
    return out
