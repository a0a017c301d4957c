"""The integrity anchor kept beside the key, damage told from a wrong key, writers in turn.

The corruption matrix (tests/reliability) tries every kind of damage; these tests pin
the pieces: what the anchor holds and when it moves, what opening an older database
says, that restore and the recovery procedure move the anchor back on purpose, that
the write-ahead log is folded in, and that a writer waits its turn.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from clinic_app import config
from clinic_app.errors import CorruptDatabase, DatabaseRolledBack, StorageError, WrongKey
from clinic_app.models import AppSetting
from clinic_app.services import audit, staff
from clinic_app.storage import engine, integrity
from clinic_app.storage.keys import CredentialStore, IntegrityAnchor, KeyFile, generate_key
from tests.conftest import ADMIN_PASSWORD

PAGE = integrity.PAGE_SIZE


@pytest.fixture
def store(tmp_path: Path) -> KeyFile:
    return KeyFile(tmp_path / "clinic.key")


@pytest.fixture
def anchored(tmp_path: Path, db_key: bytes, store: KeyFile) -> Path:
    """A closed database with an administrator, opened once with its key store."""
    path = tmp_path / "clinic.db"
    store.put(path, db_key)
    engine.create_database(path, db_key).close()
    database = engine.open_database(path, db_key, key_store=store)
    with database.transaction() as session:
        staff.create_first_admin(session, "admin", ADMIN_PASSWORD)
    database.close()
    return path


def _sign_in(path: Path, key: bytes, store: KeyFile) -> None:
    database = engine.open_database(path, key, key_store=store)
    try:
        with database.transaction() as session:
            staff.sign_in(session, "admin", ADMIN_PASSWORD)
    finally:
        database.close()


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


# -- SQLCipher's page layout, as integrity.py assumes it -------------------------------------


def test_every_page_of_a_real_file_authenticates_under_its_key(anchored: Path, db_key: bytes):
    salt = integrity.file_salt(anchored)
    assert integrity.first_bad_page(anchored, db_key, salt) is None
    assert integrity.pages_authenticate(anchored, db_key, salt)
    assert not integrity.pages_authenticate(anchored, generate_key(), salt)
    assert integrity.first_bad_page(anchored, generate_key(), salt) == 1


# -- the anchor --------------------------------------------------------------------------------


def test_opening_records_the_anchor_and_each_commit_moves_it(
    anchored: Path, db_key: bytes, store: KeyFile
):
    first = store.get_anchor(anchored)
    assert first is not None and first.seq >= 2 and len(first.chain_hash) == 64
    assert first.page_digest, "a clean close leaves a digest of the file"
    database = engine.open_database(anchored, db_key, key_store=store)
    try:
        with database.transaction() as session:
            staff.sign_in(session, "admin", ADMIN_PASSWORD)
            end = audit.chain_end(session)
        moved = store.get_anchor(anchored)
        assert moved is not None
        assert (moved.seq, moved.chain_hash) == (end.last_seq, end.last_hash)
        assert moved.page_digest == "", "the digest no longer holds once the file is written"
    finally:
        database.close()


def test_a_commit_that_fails_does_not_move_the_anchor(
    anchored: Path, db_key: bytes, store: KeyFile
):
    database = engine.open_database(anchored, db_key, key_store=store)
    before = store.get_anchor(anchored)
    try:
        with pytest.raises(RuntimeError), database.transaction() as session:
            audit.record(session, audit.Action.VIEW, actor_id=None)
            raise RuntimeError("the unit of work fails after appending")
        after = store.get_anchor(anchored)
        assert after is not None and before is not None
        assert after.seq == before.seq
    finally:
        database.close()


def test_an_older_copy_of_the_database_is_refused(anchored: Path, db_key: bytes, store: KeyFile):
    older = anchored.read_bytes()
    _sign_in(anchored, db_key, store)
    anchored.write_bytes(older)
    with pytest.raises(DatabaseRolledBack) as refused:
        engine.open_database(anchored, db_key, key_store=store)
    message = str(refused.value)
    assert "older than the copy this computer last used" in message
    assert "restore the most recent backup" in message and "\n" not in message
    with pytest.raises(DatabaseRolledBack):
        engine.verify_file(anchored, db_key, key_store=store)


def test_deleting_the_newest_events_is_refused_on_opening(
    anchored: Path, db_key: bytes, store: KeyFile
):
    _sign_in(anchored, db_key, store)
    _sign_in(anchored, db_key, store)
    _delete_last_events(anchored, db_key, 3)
    with pytest.raises(DatabaseRolledBack):
        engine.open_database(anchored, db_key, key_store=store)


def _delete_last_events(path: Path, key: bytes, count: int) -> None:
    """What anyone holding the key can do: drop the triggers, delete, put them back."""
    database = engine.open_database(path, key)
    try:
        with database.engine.begin() as conn:
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'audit_event'"
            ).all()
            for name, _ in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            conn.exec_driver_sql(
                "DELETE FROM audit_event WHERE seq > (SELECT max(seq) FROM audit_event) - ?",
                (count,),
            )
            for _, sql in triggers:
                conn.exec_driver_sql(sql)
    finally:
        database.close()


def test_a_database_with_another_key_replaces_the_anchor(
    anchored: Path, store: KeyFile, tmp_path: Path
):
    """A new database at the same path (a new key): the old anchor is not its."""
    anchored.unlink()
    key = generate_key()
    engine.create_database(anchored, key).close()
    engine.open_database(anchored, key, key_store=store).close()
    anchor = store.get_anchor(anchored)
    assert anchor is not None and anchor.seq == 0


def test_restore_moves_the_anchor_back_on_purpose(
    anchored: Path, db_key: bytes, store: KeyFile, tmp_path: Path
):
    database = engine.open_database(anchored, db_key, key_store=store)
    backup = engine.backup_database(database.engine, db_key, tmp_path / "backup.db")
    database.close()
    _sign_in(anchored, db_key, store)
    engine.restore_database(backup, anchored, db_key, keep_dir=tmp_path / "kept", key_store=store)
    engine.open_database(anchored, db_key, key_store=store).close()


def test_the_recovery_procedure_accepts_the_database_in_place(
    anchored: Path, db_key: bytes, store: KeyFile
):
    older = anchored.read_bytes()
    _sign_in(anchored, db_key, store)
    anchored.write_bytes(older)
    with pytest.raises(DatabaseRolledBack):
        engine.open_database(anchored, db_key, key_store=store)
    engine.accept_database(anchored, db_key, store)
    engine.open_database(anchored, db_key, key_store=store).close()


def test_the_credential_store_keeps_the_anchor_apart_from_the_key(memory_keyring, tmp_path: Path):
    store = CredentialStore()
    path, key = tmp_path / "clinic.db", generate_key()
    store.put(path, key)
    anchor = IntegrityAnchor("c" * 64, "s" * 32, 7, "h" * 64, "d" * 64)
    store.put_anchor(path, anchor)
    assert store.get_anchor(path) == anchor
    assert store.get(path) == key
    assert len(memory_keyring.secrets) == 2


@pytest.mark.parametrize("text_", ["", "not json", '{"format": 99}', '{"format": 1, "seq": -1}'])
def test_an_unreadable_anchor_counts_as_none(text_: str):
    assert IntegrityAnchor.from_text(text_) is None


# -- damage or wrong key -------------------------------------------------------------------------


@pytest.mark.parametrize("at", [3, 100, 4000])
def test_a_damaged_first_page_is_damage_not_a_wrong_key(
    anchored: Path, db_key: bytes, store: KeyFile, at: int
):
    _flip(anchored, at)
    with pytest.raises(CorruptDatabase):
        engine.open_database(anchored, db_key, key_store=store)
    if at >= 16:
        # Without the anchor too: the other pages still authenticate under the key.
        with pytest.raises(CorruptDatabase):
            engine.open_database(anchored, db_key)


def test_a_damaged_salt_without_an_anchor_cannot_be_told_from_a_wrong_key(
    anchored: Path, db_key: bytes
):
    """Every page's authentication depends on the salt: only the anchor can tell."""
    _flip(anchored, 3)
    with pytest.raises(WrongKey):
        engine.open_database(anchored, db_key)


def test_another_key_is_still_a_wrong_key_with_an_anchor(anchored: Path, store: KeyFile):
    with pytest.raises(WrongKey) as refused:
        engine.open_database(anchored, generate_key(), key_store=store)
    assert "recovery key" in str(refused.value)


def test_a_damaged_backup_given_to_restore_is_named_as_such(
    anchored: Path, db_key: bytes, tmp_path: Path
):
    database = engine.open_database(anchored, db_key)
    backup = engine.backup_database(database.engine, db_key, tmp_path / "backup.db")
    database.close()
    _flip(backup, 100)
    with pytest.raises(CorruptDatabase) as refused:
        engine.restore_database(backup, anchored, db_key, keep_dir=tmp_path / "kept")
    assert "The backup" in str(refused.value) and "recovery key" not in str(refused.value)


def test_backing_up_a_damaged_database_says_it_is_damaged(
    anchored: Path, db_key: bytes, tmp_path: Path
):
    database = engine.open_database(anchored, db_key)
    with database.engine.connect() as conn:
        root = conn.exec_driver_sql(
            "SELECT rootpage FROM sqlite_master WHERE name = 'staff_user'"
        ).scalar_one()
    database.close()
    _flip(anchored, (root - 1) * PAGE + 300)  # a page in use
    database = engine.open_database(anchored, db_key)
    try:
        with pytest.raises(CorruptDatabase):
            engine.backup_database(database.engine, db_key, tmp_path / "backup.db")
    finally:
        database.close()
    assert list(tmp_path.glob("*backup*")) == []


# -- the write-ahead log ---------------------------------------------------------------------


def test_a_clean_close_leaves_nothing_in_the_write_ahead_log(
    anchored: Path, db_key: bytes, store: KeyFile
):
    database = engine.open_database(anchored, db_key, key_store=store)
    other = engine.open_database(anchored, db_key)  # keeps the log from being removed
    try:
        with database.transaction() as session:
            session.add(AppSetting(key="x", value="1"))
        assert integrity.log_has_frames(anchored)
        database.close()
        assert not integrity.log_has_frames(anchored)
    finally:
        other.close()


def test_a_signature_is_folded_into_the_database_file(db, db_key, psychologist, client_id):
    from datetime import date

    from clinic_app.models.enums import Attendance, Modality
    from clinic_app.services import notes
    from tests.conftest import STAFF_PASSWORD

    content = notes.NoteContent(
        session_date=date(2026, 3, 2),
        duration_minutes=50,
        modality=Modality.IN_PERSON,
        attendance=Attendance.ATTENDED,
    )
    with db.transaction() as session:
        note = notes.create_draft(session, psychologist, client_id, content)
    assert integrity.log_has_frames(db.path)
    with db.transaction() as session:
        notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD)
    assert not integrity.log_has_frames(db.path)


# -- writers wait their turn -----------------------------------------------------------------


def test_a_writer_waits_for_another_programs_write_to_finish(db, db_key):
    other = engine.open_database(db.path, db_key)
    holder = other.engine.raw_connection()
    holder.cursor().execute("BEGIN IMMEDIATE")

    def let_go() -> None:
        time.sleep(0.5)
        holder.cursor().execute("COMMIT")

    thread = threading.Thread(target=let_go)
    thread.start()
    started = time.monotonic()
    try:
        with db.transaction() as session:
            session.add(AppSetting(key="mine", value="1"))
    finally:
        thread.join()
        holder.close()
        other.close()
    assert time.monotonic() - started >= 0.4  # it waited instead of failing


def test_a_reading_unit_of_work_begins_deferred_and_a_writing_one_immediately(
    db, db_key, monkeypatch
):
    """A reader leaves the write lock free; a writer holds it from its first statement
    (a deferred writer that has read cannot wait for another writer, and would fail)."""
    import sqlcipher3

    from clinic_app.errors import DatabaseLocked

    def other_writer_waits() -> bool:
        other = sqlcipher3.connect(str(db.path), timeout=0, isolation_level=None)
        try:
            other.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return False
        except sqlcipher3.OperationalError as error:
            assert "locked" in str(error)
            return True
        finally:
            other.close()

    with db.session() as session:
        session.execute(text("SELECT 1"))
        assert not other_writer_waits()
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
        assert other_writer_waits()
    # The write lock, taken as the unit of work begins, is translated when another
    # program holds it.
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_SECONDS", 0.1)
    db.engine.dispose()
    holder = sqlcipher3.connect(str(db.path), isolation_level=None)
    try:
        holder.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseLocked), db.transaction() as session:
            session.execute(text("SELECT 1"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- nothing on the terminal -------------------------------------------------------------------

QUIET = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from clinic_app.errors import StorageError
    from clinic_app.storage import engine
    try:
        database = engine.open_database(Path(sys.argv[1]), bytes.fromhex(sys.argv[2]))
        try:
            with database.engine.connect() as conn:
                conn.exec_driver_sql("SELECT * FROM audit_event").all()
                conn.exec_driver_sql("SELECT * FROM staff_user").all()
        finally:
            database.close()
    except StorageError as error:
        print(type(error).__name__)
    """
)


def test_damage_puts_nothing_on_the_terminal(anchored: Path, db_key: bytes):
    data = bytearray(anchored.read_bytes())
    for page in range(2, len(data) // PAGE):
        data[(page - 1) * PAGE + 200] ^= 0x01
    anchored.write_bytes(bytes(data))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    done = subprocess.run(
        [sys.executable, "-c", QUIET, str(anchored), db_key.hex()],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.stderr == ""
    assert done.stdout.strip() == "CorruptDatabase"


def test_logging_goes_to_the_log_file_and_not_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
):
    import logging

    path = config.configure_logging()
    try:
        assert path is not None
        logging.getLogger("clinic_app.storage.engine").warning("database error: test")
        for handler in logging.getLogger("clinic_app").handlers:
            handler.flush()
        assert "database error: test" in path.read_text(encoding="utf-8")
        assert capfd.readouterr().err == ""
    finally:
        logger = logging.getLogger("clinic_app")
        for handler in [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]:
            logger.removeHandler(handler)
            handler.close()
        logger.propagate = True


def test_a_storage_error_is_one_line(anchored: Path, db_key: bytes, store: KeyFile):
    _flip(anchored, 5000)
    with pytest.raises(StorageError) as refused:
        engine.verify_file(anchored, db_key, key_store=store)
    assert "\n" not in str(refused.value)
