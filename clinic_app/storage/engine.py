"""Open, create and back up the encrypted SQLCipher database.

Every connection is keyed with the raw 256-bit key before anything else, then set to
foreign keys on, WAL and ``synchronous=FULL`` (a clinical commit must survive power loss).
SQLCipher's own logging is switched off: a damaged page is reported once, as our error.
Failures are sorted into distinct, plainly worded errors: missing file, not a database,
wrong key, damaged database, older than last seen, locked by another program.

Units of work that write begin with ``BEGIN IMMEDIATE`` and wait their turn (up to
``BUSY_TIMEOUT_SECONDS``) while another program writes; units of work that only read
begin deferred and never wait for a writer (WAL lets them read alongside it).

Opened with its key store, a database is checked against the integrity anchor kept
beside its key (see ``storage.integrity``) and moves the anchor on after every commit
that extended its audit trail. The write-ahead log is folded into the database file
(``wal_checkpoint(TRUNCATE)``) at a clean close and after each signature.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from clinic_app.errors import (
    CorruptDatabase,
    DatabaseExists,
    DatabaseLocked,
    DatabaseMissing,
    DatabaseRolledBack,
    KeyStoreError,
    NotADatabase,
    StorageError,
    WrongKey,
)
from clinic_app.storage import files, integrity, migrations
from clinic_app.storage.keys import KEY_BYTES, IntegrityAnchor, KeyStore, key_check

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
# How long a unit of work that writes waits for another program's write to finish.
BUSY_TIMEOUT_SECONDS = 5.0
# How long a checkpoint waits for readers in other programs before leaving the log for
# the next one (the commit itself is already durable; this only shortens the log).
CHECKPOINT_PATIENCE_MS = 250
_BEGIN = "clinic_app_begin"

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
CUT_SHORT_MESSAGE = (
    "The database file is damaged (cut short) and cannot be read safely. Nothing has been "
    "changed. Ask an administrator to restore the most recent backup."
)
RESTORE_ADVICE = (
    "Nothing has been changed. Ask an administrator to restore the most recent backup "
    "(clinic-app restore), or to follow the recovery procedure in the administrator's guide."
)


def _older_message(path: Path, seen: int, last: int) -> str:
    return (
        f"This database is older than the copy this computer last used: its audit trail ends "
        f"at event {last:,}, but event {seen:,} was seen here. It may have been replaced by "
        f"an older copy, or the file beside it ({path.name}-wal) lost or damaged. " + RESTORE_ADVICE
    )


def _diverged_message(seen: int) -> str:
    return (
        f"This database does not continue the audit trail this computer last saw (event "
        f"{seen:,} differs): it has been replaced or altered. " + RESTORE_ADVICE
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
        # SQLCipher writes "ERROR CORE ..." lines to stderr by itself; a damaged page is
        # reported to the user once, as a CorruptDatabase, and never by the library.
        conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
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


def _check_file(path: Path, key: bytes, anchor: IntegrityAnchor | None = None) -> None:
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
    if size == 0 or _looks_like_text(path):
        raise NotADatabase(f"{path} is not a clinic-app database.")
    if size % 512 != 0:
        # Whole pages are always written; a ragged end is a file cut short, when the key
        # shows it to be this database, and otherwise some other kind of file.
        if _is_ours(path, key, anchor):
            raise CorruptDatabase(CUT_SHORT_MESSAGE)
        raise NotADatabase(f"{path} is not a clinic-app database.")


def _is_ours(path: Path, key: bytes, anchor: IntegrityAnchor | None) -> bool:
    if len(key) != KEY_BYTES:
        return False
    if anchor is not None and anchor.salt == integrity.file_salt(path).hex():
        return True
    return integrity.key_is_this_files(path, key, None, key_check(key))


def _looks_like_text(path: Path) -> bool:
    """True for a file that starts with readable text: an encrypted page looks random.

    The chance that 512 random bytes are all printable is far below one in a billion.
    """
    with path.open("rb") as handle:
        start = handle.read(512)
    return all(32 <= b < 127 or b in b"\t\r\n" for b in start)


class _AnchorKeeper:
    """Moves a database's integrity anchor on as its audit trail grows.

    Only ever forwards: a write that would name an older position than this process last
    wrote is skipped (two programs committing at once may finish in either order).
    """

    def __init__(self, store: KeyStore, path: Path, anchor: IntegrityAnchor) -> None:
        self.store = store
        self.path = path
        self.anchor = anchor

    def advance(self, seq: int, chain_hash: str) -> None:
        if seq <= self.anchor.seq:
            return
        self._put(IntegrityAnchor(self.anchor.key_check, self.anchor.salt, seq, chain_hash))

    def writing(self) -> None:
        """The file is about to change: the digest taken at the last close no longer holds."""
        if self.anchor.page_digest:
            self._put(replace(self.anchor, page_digest=""))

    def _put(self, anchor: IntegrityAnchor) -> None:
        try:
            self.store.put_anchor(self.path, anchor)
        except (KeyStoreError, OSError):
            # The commit stands; an anchor left behind only protects a little less.
            log.warning("the integrity anchor could not be moved on")
            return
        self.anchor = anchor


@dataclass
class Database:
    """An open clinic-app database: its file, engine and a factory of units of work.

    ``session()`` is a unit of work that begins deferred: it reads, and may write when
    the caller can run it again on ``DatabaseLocked`` (a writer elsewhere got in first).
    ``writing()`` and ``transaction()`` begin immediately, taking the write lock first
    and waiting their turn while another program writes.
    """

    path: Path
    engine: Engine
    _sessions: sessionmaker[Session]
    _writers: sessionmaker[Session]
    _keeper: _AnchorKeeper | None = None
    _key: bytes = field(default=b"", repr=False)
    _closed: bool = field(default=False, repr=False)

    def session(self) -> Session:
        """A new unit of work. The caller commits or rolls back; services never do."""
        return self._sessions()

    def writing(self) -> Session:
        """A new unit of work that writes: it takes the write lock at its first statement."""
        return self._writers()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A writing unit of work committed on success and rolled back on any error."""
        with self._writers() as session, session.begin():
            yield session

    def checkpoint(self) -> bool:
        """Fold the write-ahead log into the database file and empty it; True if done.

        Afterwards no committed data depends on the ``-wal`` file. Gives up quietly
        (False) when another program is still reading an older state.
        """
        try:
            raw = self.engine.raw_connection()
        except StorageError:
            return False
        try:
            raw.execute(f"PRAGMA busy_timeout = {CHECKPOINT_PATIENCE_MS}")
            try:
                row = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                raw.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        except (sqlcipher3.Error, sqlite3.Error):
            log.info("checkpoint not possible now")
            return False
        finally:
            raw.close()
        done = row is not None and row[0] == 0
        if not done:
            log.info("checkpoint left for later: another program is reading")
        return done

    def _after_commit(self, session: Session) -> None:
        end = session.info.pop(integrity.CHAIN_END, None)
        if end is not None and self._keeper is not None:
            self._keeper.advance(*end)
        if session.info.pop(integrity.CHECKPOINT, False):
            self.checkpoint()

    def _on_flush(self, session: Session, *_: Any) -> None:
        if self._keeper is not None:
            self._keeper.writing()

    def close(self) -> None:
        """Close cleanly: every commit folded into the database file, then disconnect.

        Opened with its key store, and when no other program has the file open, the
        anchor then records a digest of the file as it is left.
        """
        first = not self._closed
        if first:
            self._closed = True
            self.checkpoint()
        self.engine.dispose()
        if first and self._keeper is not None:
            _seal(self.path, self._key, self._keeper.store)


def _forget_marks(session: Session, *_: Any) -> None:
    session.info.pop(integrity.CHAIN_END, None)
    session.info.pop(integrity.CHECKPOINT, None)


def _make_database(
    path: Path, engine: Engine, keeper: _AnchorKeeper | None, key: bytes
) -> Database:
    readers = sessionmaker(engine, expire_on_commit=False)
    writers = sessionmaker(
        engine.execution_options(**{_BEGIN: "BEGIN IMMEDIATE"}), expire_on_commit=False
    )
    database = Database(path, engine, readers, writers, keeper, key)
    for factory in (readers, writers):
        event.listen(factory, "after_commit", database._after_commit)
        event.listen(factory, "after_rollback", _forget_marks)
        event.listen(factory, "after_flush", database._on_flush)
    return database


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
        # unit of work reads one consistent snapshot and commits or rolls back whole. A
        # writer takes the write lock at once (waiting for it up to the busy timeout):
        # a deferred transaction that has read cannot wait for a writer, and would fail.
        # Straight to the driver: every unit of work begins here, and SQLAlchemy's
        # statement machinery cost a search for a rare word a tenth of its time. An error
        # (another program holds the write lock) is translated as "handle_error" does.
        try:
            conn.connection.driver_connection.execute(
                conn.get_execution_options().get(_BEGIN, "BEGIN")
            )
        except sqlcipher3.Error as error:
            translated = classify(error)
            if translated is None:  # a bug: wrapped as SQLAlchemy wraps a statement's
                raise sa_exc.DBAPIError.instance(
                    "BEGIN", None, error, sqlcipher3.Error, hide_parameters=True
                ) from error
            log.info("database error: %s", type(translated).__name__)
            raise translated from error

    @event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> StorageError | None:
        original = context.original_exception
        if isinstance(original, sqlcipher3.Error | sqlite3.Error):
            translated = classify(original)
            if translated is not None:
                log.info("database error: %s", type(translated).__name__)
                return translated
        return None

    return engine


def _probe(
    path: Path, key: bytes, anchor: IntegrityAnchor | None = None
) -> tuple[int, str, str | None]:
    """Open the file with the key, outside SQLAlchemy, to tell the failures apart.

    Returns the audit chain's end, and the hash at the anchor's position (if any).
    """
    try:
        conn = _connect(path, key)
    except sqlcipher3.Error as exc:
        raise _open_error(exc, path, key, anchor) from exc
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "alembic_version" not in names:
            raise NotADatabase(f"{path} is an encrypted database, but not a clinic-app database.")
        seq, chain_hash, at_anchor = 0, "", None
        if "audit_event" in names:  # absent only before the first migration
            seq, chain_hash = integrity.chain_end(conn)
            if anchor is not None and anchor.seq:
                at_anchor = integrity.chain_hash_at(conn, anchor.seq)
    except sqlcipher3.Error as exc:
        raise _open_error(exc, path, key, anchor) from exc
    finally:
        conn.close()
    return seq, chain_hash, at_anchor


def _open_error(
    exc: BaseException, path: Path, key: bytes, anchor: IntegrityAnchor | None
) -> StorageError:
    message = str(exc).lower()
    if "file is not a database" in message:
        # Page 1 failed its authentication: a wrong key, or a damaged first page or
        # salt. If the key is known to be this file's, it is damage.
        if integrity.key_is_this_files(path, key, anchor, key_check(key)):
            return CorruptDatabase(CORRUPT_MESSAGE)
        return WrongKey(WRONG_KEY_MESSAGE)
    return classify(exc) or CorruptDatabase(CORRUPT_MESSAGE)


def _anchor_of(key_store: KeyStore | None, path: Path) -> IntegrityAnchor | None:
    """The integrity anchor kept for this database path, if any."""
    if key_store is None:
        return None
    return key_store.get_anchor(path)


def _changed_since_close(path: Path, key: bytes, anchor: IntegrityAnchor | None) -> bool:
    """True if the file differs from the one this computer closed, with no write since.

    Checked before anything else opens the file. A difference is damage
    (``CorruptDatabase``) when a page fails its authentication. Otherwise some page, or
    the whole file, was put back from an older copy: the caller says which once the
    audit trail has been read. A ``-wal`` file that should not be there is refused at
    once, before opening the database could fold it in.
    """
    if anchor is None or not anchor.page_digest or anchor.key_check != key_check(key):
        return False
    extra_log = integrity.log_has_frames(path)
    if not extra_log and integrity.page_digest(path) == anchor.page_digest:
        return False
    salt = integrity.file_salt(path)
    if salt.hex() != anchor.salt or integrity.first_bad_page(path, key, salt) is not None:
        raise CorruptDatabase(CORRUPT_MESSAGE)
    if extra_log:
        raise DatabaseRolledBack(ALTERED_MESSAGE)
    return True


ALTERED_MESSAGE = (
    "This database has been changed since this computer last closed it, by something "
    "other than clinic-app (part of it was put back from an older copy). " + RESTORE_ADVICE
)


def _check_anchor(
    path: Path, anchor: IntegrityAnchor, key: bytes, seq: int, at_anchor: str | None
) -> None:
    if anchor.key_check != key_check(key) or anchor.seq == 0:
        return  # another database's anchor (a new key), or nothing seen yet
    if at_anchor is None:
        raise DatabaseRolledBack(_older_message(path, anchor.seq, seq))
    if at_anchor != anchor.chain_hash:
        raise DatabaseRolledBack(_diverged_message(anchor.seq))


def open_database(
    path: Path,
    key: bytes,
    *,
    backup_dir: Path | None = None,
    migrate: bool = True,
    key_store: KeyStore | None = None,
) -> Database:
    """Open an existing database, backing it up and migrating it if its schema is older.

    With ``key_store`` the database is checked against the integrity anchor kept there
    (``DatabaseRolledBack`` when older than last seen here, or not continuing it), and
    the anchor moves on with every commit that extends the audit trail.
    """
    path = Path(path)
    anchor = _anchor_of(key_store, path)
    _check_file(path, key, anchor)
    changed = _changed_since_close(path, key, anchor)
    seq, chain_hash, at_anchor = _probe(path, key, anchor)
    if anchor is not None:
        _check_anchor(path, anchor, key, seq, at_anchor)
    if changed:
        raise DatabaseRolledBack(ALTERED_MESSAGE)
    engine = _make_engine(path, key)
    migrated = False
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
                migrated = True
        keeper = None
        if key_store is not None:
            keeper = _keep_anchor(
                key_store,
                path,
                key,
                anchor=anchor,
                seq=seq,
                chain_hash=chain_hash,
                unchanged=not migrated,
            )
    except BaseException:
        engine.dispose()
        raise
    return _make_database(path, engine, keeper, key)


def _keep_anchor(
    key_store: KeyStore,
    path: Path,
    key: bytes,
    *,
    anchor: IntegrityAnchor | None,
    seq: int,
    chain_hash: str,
    unchanged: bool,
) -> _AnchorKeeper:
    """Record what was just opened (when it is news), and keep the anchor moving.

    The digest of the last clean close stays while the file is ``unchanged`` since
    (no migration ran), until the first write.
    """
    current = IntegrityAnchor(key_check(key), integrity.file_salt(path).hex(), seq, chain_hash)
    if unchanged and anchor is not None and replace(anchor, page_digest="") == current:
        current = anchor
    if anchor != current:
        try:
            key_store.put_anchor(path, current)
        except (KeyStoreError, OSError):
            log.warning("the integrity anchor could not be recorded")
    return _AnchorKeeper(key_store, path, current)


def accept_database(path: Path, key: bytes, key_store: KeyStore) -> None:
    """Take the database as it now is as this computer's reference (recovery procedure).

    For an administrator who has decided that the database in place, although older than
    last seen here, is the one to carry on with (for example after restoring a backup by
    hand). It must open with the key and be undamaged.
    """
    path = Path(path)
    verify_file(path, key)
    seq, chain_hash, _ = _probe(path, key)
    anchor = IntegrityAnchor(key_check(key), integrity.file_salt(path).hex(), seq, chain_hash)
    key_store.put_anchor(path, anchor)
    _seal(path, key, key_store)


def _seal(path: Path, key: bytes, key_store: KeyStore) -> bool:
    """Record the file's digest in its anchor, if no other program has it open; True if so.

    The file is held exclusively while its end and digest are taken and the anchor is
    written, so no other program can write in between; one that opens it afterwards
    clears the digest before its first write.
    """
    try:
        conn = sqlcipher3.connect(str(path), timeout=0, isolation_level=None)
    except sqlcipher3.Error:
        return False
    try:
        conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
        conn.execute(_pragma_key(key))
        conn.execute("PRAGMA locking_mode = EXCLUSIVE").fetchall()
        conn.execute("BEGIN EXCLUSIVE")
        try:
            if integrity.log_has_frames(path):
                return False
            seq, chain_hash = integrity.chain_end(conn)
            anchor = IntegrityAnchor(
                key_check(key),
                integrity.file_salt(path).hex(),
                seq,
                chain_hash,
                integrity.page_digest(path),
            )
            key_store.put_anchor(path, anchor)
        finally:
            conn.execute("ROLLBACK")
    except (sqlcipher3.Error, KeyStoreError, OSError):
        log.info("the database was not sealed at closing: another program has it open")
        return False
    finally:
        conn.close()
    return True


def create_database(path: Path, key: bytes) -> Database:
    """Create a new, empty database at ``path`` with the schema at its latest revision."""
    path = Path(path)
    if path.exists():
        raise DatabaseExists(f"A database already exists at {path}; it has not been touched.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Build under a temporary name and move into place, so a failure leaves nothing behind.
    tmp = files.temporary_name(path, "creating")
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
    files.fsync_file(tmp)
    if path.exists():
        _remove_with_sidecars(tmp)
        raise DatabaseExists(f"A database already exists at {path}; it has not been touched.")
    files.rename_durably(tmp, path)
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
    with files.replacing(out) as tmp:
        try:
            with engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                raw.execute(f"ATTACH DATABASE ? AS backup KEY \"x'{key.hex()}'\"", (str(tmp),))
                try:
                    raw.execute("SELECT sqlcipher_export('backup')").fetchall()
                finally:
                    raw.execute("DETACH DATABASE backup")
        except (sqlcipher3.Error, sqlite3.Error) as exc:
            # Reading every page of a damaged database fails here: say so, plainly.
            raise classify(exc) or CorruptDatabase(CORRUPT_MESSAGE) from exc
        verify_file(tmp, key)
    return out


def verify_file(path: Path, key: bytes, *, key_store: KeyStore | None = None) -> None:
    """Check that a file is a clinic-app database this key opens, and that it is undamaged.

    Every page is read and authenticated, and SQLite's own structure checks are run. With
    ``key_store`` the database is also checked against its integrity anchor.
    """
    path = Path(path)
    anchor = _anchor_of(key_store, path)
    _check_file(path, key, anchor)
    changed = _changed_since_close(path, key, anchor)
    seq, _, at_anchor = _probe(path, key, anchor)
    if anchor is not None:
        _check_anchor(path, anchor, key, seq, at_anchor)
    if changed:
        raise DatabaseRolledBack(ALTERED_MESSAGE)
    try:
        conn = _connect(path, key)
    except sqlcipher3.Error as exc:
        raise _open_error(exc, path, key, anchor) from exc
    try:
        problems = [row[0] for row in conn.execute("PRAGMA cipher_integrity_check")]
        problems += [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    except sqlcipher3.Error as exc:
        raise classify(exc) or CorruptDatabase(CORRUPT_MESSAGE) from exc
    finally:
        conn.close()
    if problems:
        raise CorruptDatabase(CORRUPT_MESSAGE)


def restore_database(
    backup: Path,
    target: Path,
    key: bytes,
    *,
    keep_dir: Path,
    key_store: KeyStore | None = None,
) -> Path | None:
    """Replace ``target`` with a verified backup; the database replaced is kept in ``keep_dir``.

    Returns where the replaced database was kept (None when there was none). Refused with
    ``DatabaseLocked`` while the target is open anywhere (clinic-app running on it). A
    damaged target, the usual reason to restore, is kept as a plain copy of its files,
    since it cannot be backed up through SQLCipher. With ``key_store``, the integrity
    anchor is set to the restored database: it is older than the one it replaces, by
    the administrator's decision.
    """
    backup, target = Path(backup), Path(target)
    try:
        verify_file(backup, key)
    except CorruptDatabase as damaged:
        raise CorruptDatabase(
            f"The backup {backup} is damaged and cannot be restored. Nothing has been "
            "changed; choose another backup."
        ) from damaged
    kept: Path | None = None
    staged = files.temporary_name(target, "restoring")
    try:
        files.copy_atomically(backup, staged)
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
        files.rename_durably(staged, target)
    except BaseException:
        _remove_with_sidecars(staged)
        raise
    if key_store is not None:
        seq, chain_hash, _ = _probe(target, key)
        restored = IntegrityAnchor(
            key_check(key), integrity.file_salt(target).hex(), seq, chain_hash
        )
        key_store.put_anchor(target, restored)
        _seal(target, key, key_store)
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
        conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
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
    files.copy_atomically(path, out)
    for sidecar in _sidecars(path):
        if sidecar.exists():
            files.copy_atomically(sidecar, out.with_name(out.name + sidecar.name[len(path.name) :]))
    return out
