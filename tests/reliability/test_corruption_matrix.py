"""Damaged, cut-short and older copies of a database: each refused plainly, none read wrongly.

One database is built through the services (accounts, clients, signed notes, the audit
trail) with its key in a key file, so it has an integrity anchor as on a real computer.
Each case then puts a damaged copy where the database lives and

- opens it as the application does and reads every row of every table: the outcome must
  be one ``StorageError`` (one line, not "wrong key", nothing on stderr) or exactly the
  rows that were committed; never anything else;
- checks it fully (``verify_file``, as a backup and a restore do): it must be refused.

The cases: a byte flipped in the salt, in the rest of page 1, in a middle and in the
last page; the file cut by a page, by half and by a ragged amount; a zeroed page; an
older copy of single pages and of the whole file; and, for a database left by a crash
with its newest commits only in the write-ahead log, that log deleted, cut, flipped and
zeroed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from clinic_app.errors import StorageError, WrongKey
from clinic_app.models.enums import Attendance, Modality, Role
from clinic_app.services import clients, notes, staff
from clinic_app.storage import engine
from clinic_app.storage.integrity import PAGE_SIZE
from clinic_app.storage.keys import KeyFile, generate_key
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, client_details

Rows = dict[str, list[tuple[object, ...]]]


def _content(day: int, text: str) -> notes.NoteContent:
    return notes.NoteContent(
        session_date=date(2026, 3, day),
        duration_minutes=50,
        modality=Modality.IN_PERSON,
        attendance=Attendance.ATTENDED,
        intervention_content=text,
        partner_update="Attended.",
    )


def _work(database: engine.Database, ref: str, nhs: str, sessions: int) -> None:
    """A client with signed notes (long enough to fill pages), as a clinician does it."""
    with database.transaction() as session:
        me = staff.sign_in(session, "dr.jones", STAFF_PASSWORD)
        client = clients.register_client(session, me, client_details(local_ref=ref, nhs_number=nhs))
    for day in range(1, sessions + 1):
        with database.transaction() as session:
            note = notes.create_draft(
                session, me, client.id, _content(day, f"{ref} session {day}. " * 150)
            )
        with database.transaction() as session:
            notes.sign_note(session, me, note.id, password=STAFF_PASSWORD)


def snapshot(database: engine.Database) -> Rows:
    """Every row of every table, in storage order."""
    with database.engine.connect() as conn:
        names = [
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        return {
            name: [tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{name}"')]
            for name in names
        }


@dataclass
class Versions:
    """The database files at three moments, and where the live database and key live."""

    path: Path
    key: bytes
    store: KeyFile
    older: bytes  # an earlier state, closed cleanly
    current: bytes  # the state the anchor knows, closed cleanly
    current_rows: Rows
    crashed_main: bytes  # a later state left by a crash: main file ...
    crashed_wal: bytes  # ... and the write-ahead log holding the newest commits
    crashed_rows: Rows
    anchor_current: bytes
    anchor_crashed: bytes


def _put(path: Path, main: bytes, wal: bytes | None = None) -> None:
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(main)
    if wal is not None:
        path.with_name(path.name + "-wal").write_bytes(wal)


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Versions:
    folder = tmp_path_factory.mktemp("matrix")
    path, key = folder / "clinic.db", generate_key()
    store = KeyFile(folder / "clinic.key")
    store.put(path, key)
    engine.create_database(path, key).close()
    database = engine.open_database(path, key, key_store=store)
    with database.transaction() as session:
        admin = staff.create_first_admin(session, "admin", ADMIN_PASSWORD)
        staff.add_user(session, admin, "dr.jones", role=Role.PSYCHOLOGIST, password=STAFF_PASSWORD)
    _work(database, "MASIP-0001", "943 476 5919", 4)
    database.close()
    older = path.read_bytes()

    database = engine.open_database(path, key, key_store=store)
    _work(database, "MASIP-0002", "", 4)
    database.close()
    current = path.read_bytes()
    anchor_current = store.anchor_path.read_bytes()
    database = engine.open_database(path, key)
    current_rows = snapshot(database)
    database.close()

    # A crash: commits that reached only the write-ahead log (drafts are not folded in
    # at once, signatures are), with the process gone before it could close.
    database = engine.open_database(path, key, key_store=store)
    with database.transaction() as session:
        me = staff.sign_in(session, "dr.jones", STAFF_PASSWORD)
        client = clients.register_client(
            session, me, client_details(local_ref="MASIP-0003", nhs_number="")
        )
    with database.transaction() as session:
        notes.create_draft(session, me, client.id, _content(9, "Written just before a crash."))
    wal = path.with_name(path.name + "-wal")
    crashed_main, crashed_wal = path.read_bytes(), wal.read_bytes()
    assert len(crashed_wal) > 0, "the newest commits should be in the write-ahead log"
    crashed_rows = snapshot(database)
    anchor_crashed = store.anchor_path.read_bytes()
    database.engine.dispose()  # as a crash: no clean close
    return Versions(
        path,
        key,
        store,
        older,
        current,
        current_rows,
        crashed_main,
        crashed_wal,
        crashed_rows,
        anchor_current,
        anchor_crashed,
    )


def _flip(data: bytes, at: int) -> bytes:
    damaged = bytearray(data)
    damaged[at] ^= 0x10
    return bytes(damaged)


def _pages(data: bytes) -> int:
    return len(data) // PAGE_SIZE


def _page(data: bytes, number: int) -> bytes:
    return data[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]


def _with_page(data: bytes, number: int, page: bytes) -> bytes:
    return data[: (number - 1) * PAGE_SIZE] + page + data[number * PAGE_SIZE :]


@dataclass(frozen=True)
class Case:
    """One damaged copy: the main file, the log (if any), and the state it came from."""

    name: str
    main: Callable[[Versions], bytes]
    wal: Callable[[Versions], bytes | None] = lambda v: None
    crashed: bool = False  # from the crash state (anchor and expected rows of that state)


def _older_pages(v: Versions) -> list[int]:
    """Pages that hold something different in the older copy (a sample of them)."""
    count = min(_pages(v.older), _pages(v.current))
    changed = [n for n in range(1, count + 1) if _page(v.older, n) != _page(v.current, n)]
    step = max(1, len(changed) // 12)
    return changed[::step]


def _frame_offset(frame: int) -> int:
    # A WAL file: a 32-byte header, then frames of a 24-byte header and one page.
    return 32 + frame * (24 + PAGE_SIZE) + 24 + 100


FILE_CASES = [
    Case("byte flipped in the salt", lambda v: _flip(v.current, 5)),
    Case("byte flipped in page 1", lambda v: _flip(v.current, 200)),
    Case("byte flipped in page 2", lambda v: _flip(v.current, PAGE_SIZE + 300)),
    Case(
        "byte flipped in a middle page",
        lambda v: _flip(v.current, (_pages(v.current) // 2) * PAGE_SIZE + 1000),
    ),
    Case("byte flipped in the last page", lambda v: _flip(v.current, len(v.current) - 2000)),
    Case("byte flipped in the last page's HMAC", lambda v: _flip(v.current, len(v.current) - 1)),
    Case("cut by the last page", lambda v: v.current[:-PAGE_SIZE]),
    Case("cut in half", lambda v: v.current[: (_pages(v.current) // 2) * PAGE_SIZE]),
    Case("cut raggedly", lambda v: v.current[:-1000]),
    Case("cut to one page", lambda v: v.current[:PAGE_SIZE]),
    Case(
        "middle page zeroed",
        lambda v: _with_page(v.current, _pages(v.current) // 2, bytes(PAGE_SIZE)),
    ),
    Case("page 1 zeroed", lambda v: _with_page(v.current, 1, bytes(PAGE_SIZE))),
    Case("last page zeroed", lambda v: _with_page(v.current, _pages(v.current), bytes(PAGE_SIZE))),
    Case("an older copy of the whole file", lambda v: v.older),
]
WAL_CASES = [
    Case("write-ahead log deleted", lambda v: v.crashed_main, crashed=True),
    Case(
        "write-ahead log cut in half",
        lambda v: v.crashed_main,
        lambda v: v.crashed_wal[: len(v.crashed_wal) // 2],
        crashed=True,
    ),
    Case(
        "write-ahead log cut by its last frame",
        lambda v: v.crashed_main,
        lambda v: v.crashed_wal[: -(24 + PAGE_SIZE)],
        crashed=True,
    ),
    Case(
        "byte flipped in the write-ahead log's first frame",
        lambda v: v.crashed_main,
        lambda v: _flip(v.crashed_wal, _frame_offset(0)),
        crashed=True,
    ),
    Case(
        "byte flipped in the write-ahead log's last frame",
        lambda v: v.crashed_main,
        lambda v: _flip(v.crashed_wal, len(v.crashed_wal) - 500),
        crashed=True,
    ),
    Case(
        "write-ahead log zeroed",
        lambda v: v.crashed_main,
        lambda v: bytes(len(v.crashed_wal)),
        crashed=True,
    ),
]


def _older_page_cases(v: Versions) -> list[Case]:
    return [
        Case(
            f"an older copy of page {n}",
            lambda v, n=n: _with_page(v.current, n, _page(v.older, n)),  # type: ignore[misc]
        )
        for n in _older_pages(v)
    ]


@dataclass(frozen=True)
class Outcome:
    read: str  # "refused", "same" or "DIFFERENT"
    checked: str  # "refused" or "MISSED"
    message: str


def _place(v: Versions, case: Case) -> None:
    _put(v.path, case.main(v), case.wal(v))
    v.store.anchor_path.write_bytes(v.anchor_crashed if case.crashed else v.anchor_current)


def _plain(error: StorageError) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message, message
    assert not isinstance(error, WrongKey), f"damage reported as a wrong key: {message}"
    return message


def run_case(v: Versions, case: Case) -> Outcome:
    expected = v.crashed_rows if case.crashed else v.current_rows
    _place(v, case)
    message = ""
    try:
        database = engine.open_database(v.path, v.key, key_store=v.store, migrate=False)
        try:
            rows = snapshot(database)
        finally:
            database.close()
        read = "same" if rows == expected else "DIFFERENT"
    except StorageError as error:
        message = _plain(error)
        read = "refused"
    _place(v, case)
    try:
        engine.verify_file(v.path, v.key, key_store=v.store)
        checked = "MISSED"  # every case is a damaged copy
    except StorageError as error:
        message = message or _plain(error)
        checked = "refused"
    return Outcome(read, checked, message)


def all_cases(v: Versions) -> list[Case]:
    return FILE_CASES + _older_page_cases(v) + WAL_CASES


@pytest.fixture
def restore_current(versions: Versions) -> Iterator[None]:
    yield
    _put(versions.path, versions.current)
    versions.store.anchor_path.write_bytes(versions.anchor_current)


@pytest.mark.usefixtures("restore_current")
def test_every_damaged_copy_is_refused_plainly_and_none_reads_wrongly(
    versions: Versions, capfd: pytest.CaptureFixture[str]
) -> None:
    outcomes = {case.name: run_case(versions, case) for case in all_cases(versions)}
    captured = capfd.readouterr()
    width = max(len(name) for name in outcomes)
    print(f"\n{'case':<{width}}  read      full check  message")
    for name, outcome in outcomes.items():
        print(f"{name:<{width}}  {outcome.read:<9} {outcome.checked:<10}  {outcome.message[:60]}")
    different = [name for name, o in outcomes.items() if o.read == "DIFFERENT"]
    missed = [name for name, o in outcomes.items() if o.checked == "MISSED"]
    detected = sum(o.read == "refused" or o.checked == "refused" for o in outcomes.values())
    print(
        f"corruption matrix: {len(outcomes)} damaged copies, {detected} detected "
        f"({100 * detected / len(outcomes):.0f}%), {len(different)} read differently"
    )
    assert not different, f"read differently from what was committed: {different}"
    assert not missed, f"not refused by the full check: {missed}"
    # Neither SQLCipher nor our logging wrote anything to the terminal.
    assert captured.err == ""


@pytest.mark.usefixtures("restore_current")
def test_the_undamaged_copies_read_back_exactly(versions: Versions) -> None:
    """Controls: the states the cases start from read back as committed."""
    _put(versions.path, versions.current)
    versions.store.anchor_path.write_bytes(versions.anchor_current)
    database = engine.open_database(versions.path, versions.key, key_store=versions.store)
    try:
        assert snapshot(database) == versions.current_rows
    finally:
        database.close()
    engine.verify_file(versions.path, versions.key, key_store=versions.store)
    _put(versions.path, versions.crashed_main, versions.crashed_wal)
    versions.store.anchor_path.write_bytes(versions.anchor_crashed)
    database = engine.open_database(versions.path, versions.key, key_store=versions.store)
    try:
        assert snapshot(database) == versions.crashed_rows
    finally:
        database.close()


def test_an_older_copy_is_refused_on_opening_and_names_what_to_do(versions: Versions) -> None:
    _put(versions.path, versions.older)
    versions.store.anchor_path.write_bytes(versions.anchor_current)
    try:
        with pytest.raises(StorageError) as refused:
            engine.open_database(versions.path, versions.key, key_store=versions.store)
        assert "older than the copy this computer last used" in str(refused.value)
        assert "restore the most recent backup" in str(refused.value)
    finally:
        _put(versions.path, versions.current)
