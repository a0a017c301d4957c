"""The storage layer: the encrypted database file, its errors, triggers, backups and schema.

Everything here goes through ``clinic_app.storage`` and then looks at the result from the
outside (raw bytes on disk, a separate sqlcipher3 connection, the stdlib sqlite3 module),
so that a test fails when the behaviour is wrong rather than when an implementation detail
changes.
"""

from __future__ import annotations

import importlib.util
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy.exc
import sqlcipher3
from sqlalchemy import select

from clinic_app.errors import (
    ClinicError,
    CorruptDatabase,
    DatabaseExists,
    DatabaseLocked,
    DatabaseMissing,
    NotADatabase,
    SchemaTooNew,
    StorageError,
    WrongKey,
)
from clinic_app.models import AppSetting, AuditEvent, Client, SessionNote, StaffUser
from clinic_app.models.enums import Attendance, Modality, Role
from clinic_app.storage import engine as storage_engine
from clinic_app.storage import migrations
from clinic_app.storage.engine import (
    Database,
    backup_database,
    classify,
    create_database,
    open_database,
    restore_database,
    verify_file,
)
from clinic_app.storage.keys import generate_key

SQLITE_HEADER = b"SQLite format 3\x00"
PAGE_SIZE = 4096  # SQLCipher 4's default page size
SIDECAR_SUFFIXES = ("-wal", "-shm", "-journal")

# Words and shapes that must never reach a person reading an error message.
NOT_PLAIN = re.compile(
    r"sqlite|sqlcipher|pragma|alembic|hmac|errno|traceback|sqlite_master"
    r"|\bselect\b|\binsert\s+into\b|\bupdate\s+\w+\s+set\b|\bdelete\s+from\b"
    r"|\b[A-Z][A-Za-z]*(Error|Exception)\b|File \"|\bline \d+",
    re.IGNORECASE,
)


# -- helpers ---------------------------------------------------------------------------------


def assert_plain(error: BaseException, *paths: Path) -> None:
    """The error is one we show people, and its message reads as plain English."""
    assert isinstance(error, ClinicError), f"{type(error).__name__} is not a ClinicError"
    message = str(error)
    for path in paths:
        message = message.replace(str(path), "<file>")
    assert message.strip(), "the message is empty"
    assert "\n" not in message.strip(), f"multi-line message: {message!r}"
    found = NOT_PLAIN.search(message)
    assert found is None, f"{found.group(0)!r} in message {message!r}"


def raw_key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


@contextmanager
def raw_connection(path: Path, key: bytes) -> Iterator[Any]:
    """A sqlcipher3 connection of our own, as another program would open the file."""
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    try:
        conn.execute(raw_key_pragma(key))
        yield conn
    finally:
        conn.close()


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (recursively) with its contents."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in SIDECAR_SUFFIXES]


def checkpoint(database: Database) -> None:
    """Move everything from the WAL into the main file and empty the WAL."""
    with database.engine.connect() as conn:
        busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    assert busy == 0, "the checkpoint could not complete"


def add_staff(database: Database, username: str = "dr.jones", **fields: Any) -> int:
    values: dict[str, Any] = {
        "display_name": "Dr Jones",
        "role": Role.PSYCHOLOGIST,
        "password_hash": "not-a-real-hash",
    }
    values.update(fields)
    with database.transaction() as session:
        row = StaffUser(username=username, **values)
        session.add(row)
        session.flush()
        return row.id


def add_client(database: Database, local_ref: str = "MASIP-0001", **fields: Any) -> int:
    values: dict[str, Any] = {
        "given_name": "Alex",
        "family_name": "Example",
        "date_of_birth": date(1985, 4, 12),
        "site": "North",
        "referral_date": date(2026, 1, 5),
    }
    values.update(fields)
    with database.transaction() as session:
        row = Client(local_ref=local_ref, **values)
        session.add(row)
        session.flush()
        return row.id


def dump(database: Database, tables: tuple[str, ...] = ("client", "staff_user", "app_setting")):  # type: ignore[no-untyped-def]
    """Every row of the given tables, in id order, as plain tuples."""
    out = {}
    with database.engine.connect() as conn:
        for table in tables:
            rows = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1").all()
            out[table] = [tuple(row) for row in rows]
    return out


def fill(database: Database, rows: int = 3000) -> list[tuple[str, str]]:
    """Enough rows of random text to spread over hundreds of pages."""
    values = [(f"filler-{i:05d}", secrets.token_hex(300)) for i in range(rows)]
    with database.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO app_setting (key, value) VALUES (?, ?)", values)
    return values


def read_settings(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        rows = session.execute(select(AppSetting.key, AppSetting.value).order_by(AppSetting.key))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def corrupt_a_late_page(path: Path) -> int:
    """Flip 64 bytes in the middle of a page three quarters of the way into the file."""
    data = bytearray(path.read_bytes())
    pages = len(data) // PAGE_SIZE
    assert pages >= 100, f"only {pages} pages: too small to damage a later page"
    page = pages * 3 // 4
    start = page * PAGE_SIZE + PAGE_SIZE // 2
    for i in range(start, start + 64):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return page


def make_filled_database(path: Path, key: bytes) -> list[tuple[str, str]]:
    """A closed database at ``path``, fully checkpointed, with thousands of rows."""
    database = create_database(path, key)
    try:
        values = fill(database)
        checkpoint(database)
    finally:
        database.close()
    for sidecar in sidecars(path):
        assert not sidecar.exists(), f"{sidecar.name} left after closing"
    return values


def load_initial_migration() -> ModuleType:
    location = migrations.SCRIPT_LOCATION / "versions" / "0001_initial_schema.py"
    spec = importlib.util.spec_from_file_location("clinic_app_test_initial_schema", location)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- create and open -------------------------------------------------------------------------


def test_create_then_open_round_trip(tmp_path: Path, db_key: bytes) -> None:
    path = tmp_path / "sub" / "clinic.db"
    created = create_database(path, db_key)
    try:
        assert created.path == path
        staff_id = add_staff(created, "nurse.patel", display_name="Nurse Patel")
        client_id = add_client(created, "MASIP-0042", given_name="Robin", family_name="Doe")
        before = dump(created)
    finally:
        created.close()

    assert path.is_file()
    # Built under a temporary name and moved into place: nothing else is left in the folder.
    leftovers = {p.name for p in path.parent.iterdir()} - {path.name}
    assert not {name for name in leftovers if name.endswith(".creating")}
    assert not (path.parent / "backups").exists(), "an up-to-date database was backed up"

    reopened = open_database(path, db_key)
    try:
        assert reopened.path == path
        with reopened.session() as session:
            staff = session.get(StaffUser, staff_id)
            client = session.get(Client, client_id)
            assert staff is not None and staff.username == "nurse.patel"
            assert staff.display_name == "Nurse Patel"
            assert client is not None and (client.given_name, client.family_name) == (
                "Robin",
                "Doe",
            )
            assert client.date_of_birth == date(1985, 4, 12)
        assert dump(reopened) == before
    finally:
        reopened.close()
    assert not (path.parent / "backups").exists(), "an up-to-date database was backed up"


def test_transaction_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    with db.transaction() as session:
        session.add(AppSetting(key="kept", value="1"))
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(AppSetting(key="discarded", value="1"))
        session.flush()
        raise RuntimeError("boom")
    assert [key for key, _ in read_settings(db)] == ["kept"]


def test_two_units_of_work_in_one_thread_have_their_own_connections(db: Database) -> None:
    """A screen holding a session open must not share a transaction with another one."""
    with db.session() as first, db.session() as second:
        first.add(AppSetting(key="uncommitted", value="1"))
        first.flush()  # now inside a write transaction on its own connection
        assert second.execute(select(AppSetting)).scalars().all() == []
        assert first.connection().connection.dbapi_connection is not (
            second.connection().connection.dbapi_connection
        )
        first.rollback()
        second.rollback()
    assert read_settings(db) == []


def test_create_refuses_an_existing_database_and_leaves_it_untouched(
    tmp_path: Path, db_key: bytes
) -> None:
    path = tmp_path / "clinic.db"
    first = create_database(path, db_key)
    try:
        add_client(first, given_name="Original")
        checkpoint(first)
    finally:
        first.close()
    before = files_in(tmp_path)

    with pytest.raises(DatabaseExists) as info:
        create_database(path, generate_key())
    assert_plain(info.value, path)
    assert files_in(tmp_path) == before

    with pytest.raises(DatabaseExists):
        create_database(path, db_key)
    assert files_in(tmp_path) == before

    again = open_database(path, db_key)
    try:
        assert [row[2] for row in dump(again)["client"]] == ["Original"]
    finally:
        again.close()


@pytest.mark.parametrize("kind", ["text file", "empty file", "folder"])
def test_create_refuses_any_existing_path(tmp_path: Path, db_key: bytes, kind: str) -> None:
    path = tmp_path / "clinic.db"
    if kind == "text file":
        path.write_text("somebody's notes\n")
    elif kind == "empty file":
        path.touch()
    else:
        path.mkdir()
        (path / "inside.txt").write_text("keep me")
    before = files_in(tmp_path)
    with pytest.raises(DatabaseExists) as info:
        create_database(path, db_key)
    assert_plain(info.value, path)
    assert files_in(tmp_path) == before


def test_a_failed_create_leaves_no_file_behind(
    tmp_path: Path, db_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clinic.db"
    seen_while_building: list[str] = []
    real_upgrade = migrations.upgrade

    def upgrade_then_fail(engine: Any, target: str = "head") -> None:
        real_upgrade(engine, target)
        seen_while_building.extend(p.name for p in tmp_path.iterdir())
        raise RuntimeError("simulated failure half way through creating the database")

    monkeypatch.setattr(migrations, "upgrade", upgrade_then_fail)
    with pytest.raises(RuntimeError, match="simulated failure"):
        create_database(path, db_key)

    # The schema really was being written somewhere, and all of it has been removed.
    assert any(name.endswith(".creating") for name in seen_while_building), seen_while_building
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_create_with_a_bad_key_leaves_no_file_behind(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    with pytest.raises(ValueError, match="32 bytes"):
        create_database(path, b"too short")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


# -- encryption at rest ----------------------------------------------------------------------


def canaries() -> dict[str, str]:
    token = secrets.token_hex(6).upper()
    return {
        "given": f"Zephyrine{token}",
        "family": f"Quillfeather{token}",
        "address": f"17 Canary Wharf Lane {token}",
        "notes": f"shares with probation only {token}",
        "staff": f"Dr Marigold {token}",
        "title": f"Forensic psychologist {token}",
    }


def encodings_of(words: dict[str, str]) -> list[bytes]:
    return [
        word.encode(encoding)
        for word in words.values()
        for encoding in ("utf-8", "utf-16-le", "utf-16-be")
    ]


def plaintext_found(blob: bytes, words: dict[str, str]) -> list[bytes]:
    return [needle for needle in encodings_of(words) if needle in blob]


def write_canaries(database: Database, words: dict[str, str]) -> None:
    add_staff(database, "m.gold", display_name=words["staff"], job_title=words["title"])
    add_client(
        database,
        given_name=words["given"],
        family_name=words["family"],
        address=words["address"] * 20,  # long enough to spill into an overflow page
        sharing_notes=words["notes"],
    )


def test_the_scan_finds_plaintext_in_an_unencrypted_database(tmp_path: Path) -> None:
    """Control: the same search does find the canaries when a file is not encrypted."""
    words = canaries()
    path = tmp_path / "plain.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (a TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [(w,) for w in words.values()])
        conn.commit()
    found = plaintext_found(path.read_bytes(), words)
    assert len(found) >= len(words)


def test_no_plaintext_reaches_the_disk(tmp_path: Path, db_key: bytes) -> None:
    words = canaries()
    path = tmp_path / "clinic.db"
    database = create_database(path, db_key)
    try:
        write_canaries(database, words)
        # Committed but not yet checkpointed: the rows are in the WAL, which must be
        # encrypted as well.
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "the commit did not reach the WAL"
        assert plaintext_found(wal.read_bytes(), words) == []
        checkpoint(database)
    finally:
        database.close()

    data = path.read_bytes()
    assert not data.startswith(SQLITE_HEADER)
    assert not data.startswith(b"SQLite format 3")
    assert plaintext_found(data, words) == []
    for sidecar in sidecars(path):
        if sidecar.exists():
            assert plaintext_found(sidecar.read_bytes(), words) == []

    # The canaries were really written: they read back with the key.
    reopened = open_database(path, db_key)
    try:
        with reopened.session() as session:
            client = session.execute(select(Client)).scalar_one()
            staff = session.execute(select(StaffUser)).scalar_one()
        assert client.given_name == words["given"]
        assert client.address == words["address"] * 20
        assert staff.display_name == words["staff"]
    finally:
        reopened.close()


def test_a_stdlib_sqlite_connection_cannot_read_the_file(db: Database) -> None:
    db.close()
    with closing(sqlite3.connect(db.path)) as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT name FROM sqlite_master").fetchall()


# -- pragmas ---------------------------------------------------------------------------------


def pragmas_of(conn: Any) -> tuple[int, str, int]:
    return (
        conn.exec_driver_sql("PRAGMA foreign_keys").scalar(),
        conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
        conn.exec_driver_sql("PRAGMA synchronous").scalar(),
    )


def test_every_connection_has_the_pragmas(db: Database) -> None:
    expected = (1, "wal", 2)  # foreign keys on, WAL, synchronous=FULL
    # Several connections at once, so the pool has to make more than one.
    with db.engine.connect() as a, db.engine.connect() as b, db.engine.connect() as c:
        raw = {id(conn.connection.dbapi_connection) for conn in (a, b, c)}
        assert len(raw) == 3
        for conn in (a, b, c):
            assert pragmas_of(conn) == expected
    # New connections after the pool is emptied, and one reached through a session.
    db.engine.dispose()
    with db.engine.connect() as conn:
        assert pragmas_of(conn) == expected
    with db.session() as session:
        assert pragmas_of(session.connection()) == expected


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="FOREIGN KEY"):  # noqa: SIM117
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO client_assignment (client_id, staff_id, is_lead, assigned_at) "
                "VALUES (9999, 9999, 0, '2026-01-01 00:00:00.000000')"
            )


# -- distinct, plainly worded errors ----------------------------------------------------------


def test_a_missing_file_is_database_missing_and_is_not_created(
    tmp_path: Path, db_key: bytes
) -> None:
    path = tmp_path / "nowhere" / "clinic.db"
    with pytest.raises(DatabaseMissing) as info:
        open_database(path, db_key)
    assert_plain(info.value, path)
    assert not path.exists()
    assert not path.parent.exists()
    with pytest.raises(DatabaseMissing):
        verify_file(path, db_key)
    assert not path.exists()


def make_not_a_database(path: Path, kind: str, key: bytes) -> None:
    if kind == "text file":
        path.write_text("Referral notes\nThese are somebody's notes, not a database.\n" * 7)
    elif kind == "empty file":
        path.touch()
    elif kind == "folder":
        path.mkdir()
    elif kind == "unencrypted database":
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
            conn.execute("INSERT INTO alembic_version VALUES (?)", (migrations.head_revision(),))
            conn.commit()
    elif kind == "encrypted, not clinic-app":
        with raw_connection(path, key) as conn:
            conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
            conn.execute("INSERT INTO contacts (name) VALUES ('someone')")
    else:  # pragma: no cover - a typo in the parametrisation
        raise AssertionError(kind)


NOT_DATABASES = [
    "text file",
    "empty file",
    "folder",
    "unencrypted database",
    "encrypted, not clinic-app",
]


@pytest.mark.parametrize("kind", NOT_DATABASES)
def test_not_a_database(tmp_path: Path, db_key: bytes, kind: str) -> None:
    path = tmp_path / "clinic.db"
    make_not_a_database(path, kind, db_key)
    before = files_in(tmp_path)
    with pytest.raises(NotADatabase) as info:
        open_database(path, db_key)
    assert type(info.value) is NotADatabase
    assert_plain(info.value, path)
    with pytest.raises(NotADatabase):
        verify_file(path, db_key)
    if kind == "encrypted, not clinic-app":
        # Opening it with the right key sets it to WAL (a header change), so its bytes may
        # differ; its contents must not.
        assert set(files_in(tmp_path)) == set(before)
        with raw_connection(path, db_key) as conn:
            assert conn.execute("SELECT name FROM contacts").fetchall() == [("someone",)]
            assert [row[0] for row in conn.execute("SELECT name FROM sqlite_master")] == [
                "contacts"
            ]
    else:
        assert files_in(tmp_path) == before, "looking at the file changed it"


def test_the_encrypted_foreign_database_really_opens_with_that_key(
    tmp_path: Path, db_key: bytes
) -> None:
    """Control for the case above: the key is right, only the schema is foreign."""
    path = tmp_path / "other.db"
    make_not_a_database(path, "encrypted, not clinic-app", db_key)
    assert not path.read_bytes().startswith(SQLITE_HEADER)
    with raw_connection(path, db_key) as conn:
        assert conn.execute("SELECT name FROM contacts").fetchall() == [("someone",)]


def test_a_text_file_of_a_whole_number_of_pages_is_not_a_database(
    tmp_path: Path, db_key: bytes
) -> None:
    path = tmp_path / "clinic.db"
    path.write_bytes((b"plain text notes, not a database\n" * 200)[:PAGE_SIZE])
    with pytest.raises(NotADatabase):
        open_database(path, db_key)


def test_another_key_is_wrong_key(db: Database, db_key: bytes) -> None:
    add_client(db)
    checkpoint(db)
    db.close()
    folder = db.path.parent
    before = files_in(folder)
    other = generate_key()
    assert other != db_key
    with pytest.raises(WrongKey) as info:
        open_database(db.path, other)
    assert_plain(info.value, db.path)
    with pytest.raises(WrongKey):
        verify_file(db.path, other)
    assert files_in(folder) == before
    # And the right key still opens it.
    again = open_database(db.path, db_key)
    again.close()


def test_a_damaged_page_is_corrupt_database(tmp_path: Path, db_key: bytes) -> None:
    path = tmp_path / "clinic.db"
    values = make_filled_database(path, db_key)

    # Control: undamaged, every row reads back and the file verifies.
    database = open_database(path, db_key)
    try:
        assert read_settings(database) == sorted(values)
    finally:
        database.close()
    verify_file(path, db_key)

    corrupt_a_late_page(path)
    damaged = path.read_bytes()

    with pytest.raises(StorageError) as info:
        database = open_database(path, db_key)
        try:
            read_settings(database)
        finally:
            database.close()
    assert type(info.value) is CorruptDatabase
    assert not isinstance(info.value, sqlalchemy.exc.SQLAlchemyError | sqlcipher3.Error)
    assert_plain(info.value, path)

    with pytest.raises(StorageError) as verified:
        verify_file(path, db_key)
    assert type(verified.value) is CorruptDatabase
    assert_plain(verified.value, path)

    # "Nothing has been changed", as the message says.
    assert path.read_bytes() == damaged


def test_a_damaged_page_is_corrupt_database_through_the_orm_too(
    tmp_path: Path, db_key: bytes
) -> None:
    path = tmp_path / "clinic.db"
    make_filled_database(path, db_key)
    corrupt_a_late_page(path)
    database = open_database(path, db_key)
    try:
        with pytest.raises(CorruptDatabase), database.session() as session:
            session.execute(select(AppSetting)).scalars().all()
    finally:
        database.close()


@contextmanager
def exclusive_holder(path: Path, key: bytes) -> Iterator[Any]:
    """Another program holding the file: exclusive locking mode, after a write."""
    with raw_connection(path, key) as conn:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE").fetchall()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO app_setting (key, value) VALUES ('held', 'by another program')")
        conn.execute("COMMIT")
        yield conn


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage_engine, "BUSY_TIMEOUT_SECONDS", 0.1)


@pytest.mark.usefixtures("short_busy_timeout")
def test_a_database_held_by_another_program_is_locked_on_open(db: Database, db_key: bytes) -> None:
    db.close()
    with exclusive_holder(db.path, db_key), pytest.raises(DatabaseLocked) as info:
        open_database(db.path, db_key)
    assert_plain(info.value, db.path)

    # Once the other program lets go, the database opens and shows what it wrote.
    again = open_database(db.path, db_key)
    try:
        assert ("held", "by another program") in read_settings(again)
    finally:
        again.close()


@pytest.mark.usefixtures("short_busy_timeout")
def test_a_write_while_another_program_holds_the_file_is_locked(
    db: Database, db_key: bytes
) -> None:
    db.engine.dispose()  # our pool holds no connection when the other program takes the file
    with exclusive_holder(db.path, db_key), pytest.raises(DatabaseLocked) as info:  # noqa: SIM117
        with db.transaction() as session:
            session.add(AppSetting(key="mine", value="1"))
    assert_plain(info.value)
    with db.transaction() as session:
        session.add(AppSetting(key="mine", value="1"))
    assert [key for key, _ in read_settings(db)] == ["held", "mine"]


@pytest.mark.usefixtures("short_busy_timeout")
def test_a_write_while_another_program_is_writing_is_locked(db: Database, db_key: bytes) -> None:
    assert read_settings(db) == []  # our pool now holds an open connection
    with raw_connection(db.path, db_key) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO app_setting (key, value) VALUES ('theirs', '1')")
        with pytest.raises(DatabaseLocked) as info:  # noqa: SIM117
            with db.transaction() as session:
                session.add(AppSetting(key="mine", value="1"))
        assert_plain(info.value)
        # WAL: readers are not blocked by a writer, and do not see its uncommitted row.
        assert read_settings(db) == []
        other.execute("COMMIT")
    with db.transaction() as session:
        session.add(AppSetting(key="mine", value="1"))
    assert [key for key, _ in read_settings(db)] == ["mine", "theirs"]


@pytest.mark.parametrize(
    ("driver_message", "expected"),
    [
        ("database is locked", DatabaseLocked),
        ("database table is locked", None),
        ("database disk image is malformed", CorruptDatabase),
        ("file is not a database", CorruptDatabase),
        ("unable to open database file", StorageError),
        ("disk I/O error", StorageError),
        ("database or disk is full", StorageError),
        ("no such table: client", None),
        ('near "SELEC": syntax error', None),
    ],
)
def test_classify_sorts_driver_errors(driver_message: str, expected: type | None) -> None:
    translated = classify(sqlcipher3.OperationalError(driver_message))
    if expected is None:
        assert translated is None, "a programming error must not be disguised as a user error"
    else:
        assert type(translated) is expected
        assert_plain(translated)  # type: ignore[arg-type]


# -- triggers --------------------------------------------------------------------------------


def test_every_protective_trigger_of_the_migration_exists(db: Database) -> None:
    schema = load_initial_migration()
    expected = {f"{t}_no_update" for t in schema.APPEND_ONLY}
    expected |= {f"{t}_no_delete" for t in schema.APPEND_ONLY + schema.NEVER_DELETED}
    expected |= {
        "session_note_signed_immutable",
        "session_note_error_mark_final",
        "session_note_signed_no_delete",
    }
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).all()
    triggers = {name: (table, sql) for name, table, sql in rows}
    assert expected <= set(triggers), sorted(expected - set(triggers))
    for name in expected:
        table, sql = triggers[name]
        assert name.startswith(table)
        assert "RAISE(ABORT" in sql


def insert_audit_event(db: Database) -> int:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_event (seq, occurred_at, actor_id, action, entity, entity_id, "
            "client_id, detail, prev_hash, hash) VALUES "
            "(1, '2026-01-01 09:00:00.000000', NULL, 'view', 'client', 7, 7, '{}', ?, ?)",
            ("0" * 64, "a" * 64),
        )
        return conn.exec_driver_sql("SELECT max(id) FROM audit_event").scalar_one()


def audit_rows(db: Database) -> list[tuple[Any, ...]]:
    return dump(db, ("audit_event",))["audit_event"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'edit' WHERE id = ?",
        "UPDATE audit_event SET hash = prev_hash WHERE id = ?",
        "DELETE FROM audit_event WHERE id = ?",
    ],
)
def test_audit_events_cannot_be_changed_or_deleted(db: Database, statement: str) -> None:
    event_id = insert_audit_event(db)
    before = audit_rows(db)
    assert len(before) == 1
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="append-only"):  # noqa: SIM117
        with db.engine.begin() as conn:
            conn.exec_driver_sql(statement, (event_id,))
    assert audit_rows(db) == before


def test_audit_events_cannot_be_changed_through_the_orm(db: Database) -> None:
    insert_audit_event(db)
    before = audit_rows(db)
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="append-only"):  # noqa: SIM117
        with db.transaction() as session:
            session.execute(select(AuditEvent)).scalar_one().action = "edit"
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="append-only"):  # noqa: SIM117
        with db.transaction() as session:
            session.delete(session.execute(select(AuditEvent)).scalar_one())
    assert audit_rows(db) == before


@pytest.mark.parametrize("table", ["client", "staff_user"])
def test_clients_and_staff_are_never_deleted(db: Database, table: str) -> None:
    add_staff(db)
    add_client(db)
    before = dump(db)
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="never deleted"):  # noqa: SIM117
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM {table}")
    assert dump(db) == before


@pytest.fixture
def note_parties(db: Database) -> tuple[int, int]:
    return add_staff(db), add_client(db)


def add_note(db: Database, parties: tuple[int, int], *, signed: bool) -> int:
    staff_id, client_id = parties
    with db.transaction() as session:
        note = SessionNote(
            client_id=client_id,
            author_id=staff_id,
            session_date=date(2026, 2, 3),
            duration_minutes=50,
            modality=Modality.IN_PERSON,
            attendance=Attendance.ATTENDED,
            agenda="original agenda",
            intervention_content="original content",
            partner_update="original update",
        )
        if signed:
            note.signed_at = datetime(2026, 2, 3, 16, 0, tzinfo=UTC)
            note.signed_by = staff_id
            note.content_sha256 = "c" * 64
        session.add(note)
        session.flush()
        return note.id


def note_row(db: Database, note_id: int) -> tuple[Any, ...]:
    with db.engine.connect() as conn:
        return tuple(
            conn.exec_driver_sql("SELECT * FROM session_note WHERE id = ?", (note_id,)).one()
        )


def run(db: Database, statement: str, *params: Any) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(statement, params)


SIGNED_CHANGES = [
    "agenda = 'rewritten'",
    "intervention_content = 'rewritten'",
    "partner_update = 'rewritten'",
    "risk_checkin = 'rewritten'",
    "session_date = '2026-02-04'",
    "duration_minutes = 10",
    "attendance = 'did_not_attend'",
    "signed_at = NULL",
    "signed_at = '2027-01-01 00:00:00.000000'",
    "signed_by = NULL",
    "content_sha256 = NULL",
    "content_sha256 = 'dddd'",
]


@pytest.mark.parametrize("change", SIGNED_CHANGES)
def test_a_signed_note_cannot_be_changed(
    db: Database, note_parties: tuple[int, int], change: str
) -> None:
    note_id = add_note(db, note_parties, signed=True)
    before = note_row(db, note_id)
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="signed session notes"):
        run(db, f"UPDATE session_note SET {change} WHERE id = ?", note_id)
    assert note_row(db, note_id) == before


def test_a_signed_note_cannot_be_deleted(db: Database, note_parties: tuple[int, int]) -> None:
    note_id = add_note(db, note_parties, signed=True)
    before = note_row(db, note_id)
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="never deleted"):
        run(db, "DELETE FROM session_note WHERE id = ?", note_id)
    assert note_row(db, note_id) == before


def test_a_signed_note_is_protected_through_the_orm(
    db: Database, note_parties: tuple[int, int]
) -> None:
    note_id = add_note(db, note_parties, signed=True)
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="signed session notes"):  # noqa: SIM117
        with db.transaction() as session:
            note = session.get(SessionNote, note_id)
            assert note is not None
            note.agenda = "rewritten"
    with db.session() as session:
        note = session.get(SessionNote, note_id)
        assert note is not None and note.agenda == "original agenda"


ERROR_MARK = (
    "UPDATE session_note SET entered_in_error_at = '2026-03-01 10:00:00.000000', "
    "entered_in_error_by = ?, entered_in_error_reason = 'wrong client' WHERE id = ?"
)


@pytest.mark.parametrize(
    "change",
    [
        "entered_in_error_reason = 'another reason'",
        "entered_in_error_reason = ''",
        "entered_in_error_at = NULL",
        "entered_in_error_at = '2026-03-02 10:00:00.000000'",
        "entered_in_error_by = NULL",
    ],
)
def test_a_signed_note_can_be_marked_in_error_once_and_never_again(
    db: Database, note_parties: tuple[int, int], change: str
) -> None:
    staff_id, _ = note_parties
    note_id = add_note(db, note_parties, signed=True)
    signed = note_row(db, note_id)

    run(db, ERROR_MARK, staff_id, note_id)
    with db.session() as session:
        note = session.get(SessionNote, note_id)
        assert note is not None
        assert note.entered_in_error_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
        assert note.entered_in_error_by == staff_id
        assert note.entered_in_error_reason == "wrong client"
        assert note.agenda == "original agenda"
    marked = note_row(db, note_id)
    assert marked != signed

    with pytest.raises(sqlalchemy.exc.IntegrityError, match="entered-in-error mark"):
        run(db, f"UPDATE session_note SET {change} WHERE id = ?", note_id)
    assert note_row(db, note_id) == marked


def test_marking_in_error_does_not_open_the_content(
    db: Database, note_parties: tuple[int, int]
) -> None:
    staff_id, _ = note_parties
    note_id = add_note(db, note_parties, signed=True)
    run(db, ERROR_MARK, staff_id, note_id)
    marked = note_row(db, note_id)
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="signed session notes"):
        run(db, "UPDATE session_note SET agenda = 'rewritten' WHERE id = ?", note_id)
    assert note_row(db, note_id) == marked


def test_an_unsigned_note_can_be_changed_until_it_is_signed(
    db: Database, note_parties: tuple[int, int]
) -> None:
    staff_id, _ = note_parties
    note_id = add_note(db, note_parties, signed=False)
    run(
        db,
        "UPDATE session_note SET agenda = 'revised agenda', duration_minutes = 45 WHERE id = ?",
        note_id,
    )
    with db.session() as session:
        note = session.get(SessionNote, note_id)
        assert note is not None
        assert (note.agenda, note.duration_minutes) == ("revised agenda", 45)

    run(
        db,
        "UPDATE session_note SET signed_at = '2026-02-03 17:00:00.000000', signed_by = ?, "
        "content_sha256 = 'eeee' WHERE id = ?",
        staff_id,
        note_id,
    )
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="signed session notes"):
        run(db, "UPDATE session_note SET agenda = 'too late' WHERE id = ?", note_id)


# -- backup and restore ----------------------------------------------------------------------


def populated(path: Path, key: bytes, **client: Any) -> Database:
    database = create_database(path, key)
    add_staff(database)
    add_client(database, **client)
    with database.transaction() as session:
        session.add(AppSetting(key="idle_lock_minutes", value="10"))
    return database


def test_backup_is_an_encrypted_copy_that_opens_with_the_same_key(
    tmp_path: Path, db_key: bytes
) -> None:
    words = canaries()
    database = create_database(tmp_path / "clinic.db", db_key)
    try:
        write_canaries(database, words)
        expected = dump(database)
        out = tmp_path / "backups" / "nightly.db"
        assert backup_database(database.engine, db_key, out) == out
    finally:
        database.close()

    assert sorted(p.name for p in out.parent.iterdir()) == ["nightly.db"]
    data = out.read_bytes()
    assert not data.startswith(SQLITE_HEADER)
    assert plaintext_found(data, words) == []
    verify_file(out, db_key)

    copy = open_database(out, db_key)
    try:
        assert dump(copy) == expected
        assert dump(copy)["client"], "the backup is empty"
        with copy.engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head_revision()
    finally:
        copy.close()
    with pytest.raises(WrongKey):
        open_database(out, generate_key())


def test_a_backup_to_a_folder_that_is_a_file_fails_and_writes_nothing(
    db: Database, db_key: bytes, tmp_path: Path
) -> None:
    add_client(db)
    checkpoint(db)
    db.close()  # the engine still works; its pool starts empty
    blocker = tmp_path / "backups"
    blocker.write_text("a file where the backup folder should be")
    before = files_in(tmp_path)
    with pytest.raises((OSError, StorageError)):  # today a raw OSError
        backup_database(db.engine, db_key, blocker / "nightly.db")
    db.close()
    assert files_in(tmp_path) == before


def test_a_backup_that_fails_verification_leaves_no_partial_file(
    db: Database, db_key: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_client(db)
    folder = tmp_path / "backups"
    folder.mkdir()
    out = folder / "nightly.db"
    out.write_bytes(b"an earlier file the failed backup must not replace")
    partials: list[Path] = []

    def failing_verify(path: Path, key: bytes) -> None:
        partials.append(path)
        assert path.is_file() and path.stat().st_size > 0  # the copy really was written
        raise CorruptDatabase(storage_engine.CORRUPT_MESSAGE)

    monkeypatch.setattr(storage_engine, "verify_file", failing_verify)
    with pytest.raises(CorruptDatabase):
        backup_database(db.engine, db_key, out)

    assert len(partials) == 1 and partials[0].parent == folder
    assert files_in(folder) == {"nightly.db": b"an earlier file the failed backup must not replace"}


def test_restore_replaces_the_database_and_keeps_the_one_it_replaced(
    tmp_path: Path, db_key: bytes
) -> None:
    target = tmp_path / "clinic.db"
    database = populated(target, db_key, given_name="Before")
    try:
        backup = backup_database(database.engine, db_key, tmp_path / "b" / "backup.db")
        at_backup = dump(database)
        add_client(database, "MASIP-0002", given_name="After")
        add_staff(database, "late.joiner")
        latest = dump(database)
    finally:
        database.close()
    assert latest != at_backup
    keep_dir = tmp_path / "kept"

    kept = restore_database(backup, target, db_key, keep_dir=keep_dir)

    assert kept is not None and kept.parent == keep_dir and kept.is_file()
    assert sorted(p.name for p in keep_dir.iterdir()) == [kept.name]
    restored = open_database(target, db_key)
    try:
        assert dump(restored) == at_backup
    finally:
        restored.close()
    previous = open_database(kept, db_key)
    try:
        assert dump(previous) == latest
    finally:
        previous.close()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".restoring")]
    # The backup itself is left as it was, still usable.
    verify_file(backup, db_key)


def test_restore_to_where_there_is_no_database(tmp_path: Path, db_key: bytes) -> None:
    source = populated(tmp_path / "source.db", db_key)
    try:
        backup = backup_database(source.engine, db_key, tmp_path / "backup.db")
        expected = dump(source)
    finally:
        source.close()
    target = tmp_path / "new" / "clinic.db"
    target.parent.mkdir()
    assert restore_database(backup, target, db_key, keep_dir=tmp_path / "kept") is None
    restored = open_database(target, db_key)
    try:
        assert dump(restored) == expected
    finally:
        restored.close()


def restore_refused(
    tmp_path: Path, backup: Path, key: bytes, target: Path, error: type[StorageError]
) -> None:
    keep_dir = tmp_path / "kept"
    before = files_in(tmp_path)
    with pytest.raises(StorageError) as info:
        restore_database(backup, target, key, keep_dir=keep_dir)
    assert type(info.value) is error
    assert_plain(info.value, backup, target)
    assert files_in(tmp_path) == before, "a refused restore changed files"
    assert not keep_dir.exists()


def test_restore_refuses_a_corrupt_backup(tmp_path: Path, db_key: bytes) -> None:
    target = tmp_path / "clinic.db"
    make_filled_database(target, db_key)
    database = open_database(target, db_key)
    try:
        backup = backup_database(database.engine, db_key, tmp_path / "backup.db")
    finally:
        database.close()
    corrupt_a_late_page(backup)
    restore_refused(tmp_path, backup, db_key, target, CorruptDatabase)
    verify_file(target, db_key)


def test_restore_refuses_a_backup_the_key_does_not_open(tmp_path: Path, db_key: bytes) -> None:
    target = tmp_path / "clinic.db"
    populated(target, db_key, given_name="Ours").close()
    other_key = generate_key()
    other = populated(tmp_path / "other.db", other_key, given_name="Theirs")
    try:
        backup = backup_database(other.engine, other_key, tmp_path / "their-backup.db")
    finally:
        other.close()

    restore_refused(tmp_path, backup, db_key, target, WrongKey)
    # ...and a backup of our own database, offered with the wrong key, is refused too.
    ours = open_database(target, db_key)
    try:
        own_backup = backup_database(ours.engine, db_key, tmp_path / "our-backup.db")
    finally:
        ours.close()
    restore_refused(tmp_path, own_backup, other_key, target, WrongKey)

    still = open_database(target, db_key)
    try:
        assert [row[2] for row in dump(still)["client"]] == ["Ours"]
    finally:
        still.close()


def test_restore_refuses_a_file_that_is_not_a_database(tmp_path: Path, db_key: bytes) -> None:
    target = tmp_path / "clinic.db"
    populated(target, db_key).close()
    bogus = tmp_path / "backup.db"
    bogus.write_text("not a backup at all")
    restore_refused(tmp_path, bogus, db_key, target, NotADatabase)


# -- migrations ------------------------------------------------------------------------------


def test_a_new_database_is_at_the_head_revision(db: Database) -> None:
    head = migrations.head_revision()
    assert head
    with db.engine.connect() as conn:
        assert migrations.current_revision(conn) == head
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [
            head
        ]


def test_a_database_from_a_newer_version_is_refused_and_left_alone(
    db: Database, db_key: bytes
) -> None:
    newer = "f" * 12
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = ?", (newer,))
    checkpoint(db)
    db.close()
    folder = db.path.parent
    before = files_in(folder)

    with pytest.raises(SchemaTooNew) as info:
        open_database(db.path, db_key)
    assert_plain(info.value, db.path)
    with pytest.raises(SchemaTooNew):
        open_database(db.path, db_key, backup_dir=folder / "elsewhere")

    assert files_in(folder) == before, "refusing the database changed files"
    assert not (folder / "backups").exists()
    with raw_connection(db.path, db_key) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(newer,)]


def test_restore_is_refused_while_the_database_is_open_elsewhere(
    tmp_path: Path, db_key: bytes
) -> None:
    target = tmp_path / "clinic.db"
    database = populated(target, db_key, given_name="Open")
    backup = backup_database(database.engine, db_key, tmp_path / "b" / "backup.db")
    add_client(database, "MASIP-0002", given_name="Typed today")
    before = dump(database)
    try:
        # The running app: its idle pooled connection is enough to refuse.
        with pytest.raises(DatabaseLocked) as caught:
            restore_database(backup, target, db_key, keep_dir=tmp_path / "kept")
        assert "Close clinic-app" in str(caught.value)
        assert dump(database) == before  # nothing replaced underneath it
    finally:
        database.close()
    assert not (tmp_path / "kept").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".restoring")]


def test_a_damaged_database_is_replaced_and_kept_as_it_was(tmp_path: Path, db_key: bytes) -> None:
    target = tmp_path / "clinic.db"
    database = populated(target, db_key)
    try:
        backup = backup_database(database.engine, db_key, tmp_path / "b" / "backup.db")
        at_backup = dump(database)
    finally:
        database.close()
    damaged = bytearray(target.read_bytes())
    damaged[4096:8192] = b"\xff" * 4096  # a page of the file overwritten
    target.write_bytes(bytes(damaged))
    kept = restore_database(backup, target, db_key, keep_dir=tmp_path / "kept")
    assert kept is not None and kept.name.endswith("-damaged.db")
    assert kept.read_bytes() == bytes(damaged)  # kept exactly, for whoever investigates
    restored = open_database(target, db_key)
    try:
        assert dump(restored) == at_backup
    finally:
        restored.close()
