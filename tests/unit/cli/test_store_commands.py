"""The command line on a store that cannot lose or alter a record silently.

Every command opens the database with this computer's key store (so the integrity anchor
moves on and records the file at a clean close), signs in and works in one unit of work
(a refused command writes nothing, its sign-in included), and a password an
administrator set is changed before anything else.
"""

# ruff: noqa: F811 - the fixtures dbfile and initialised come from test_cli, by name

from __future__ import annotations

import logging
import logging.handlers
import os
import shutil
from pathlib import Path

from sqlalchemy import func, select

from clinic_app.models import AuditEvent
from clinic_app.storage import engine
from clinic_app.storage.keys import (
    ANCHOR_SERVICE_NAME,
    SERVICE_NAME,
    CredentialStore,
    IntegrityAnchor,
    database_identity,
)
from tests.unit.cli.test_cli import (  # noqa: F401 - dbfile and initialised: fixtures
    ADMIN_PW,
    FIRST_PW,
    PSY_PW,
    as_user,
    change_password,
    dbfile,
    initialised,
    run,
)


def _events(dbfile: Path) -> int:
    database = engine.open_database(
        dbfile, CredentialStore().get(dbfile), key_store=CredentialStore()
    )
    try:
        with database.session() as session:
            return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    finally:
        database.close()


def _delete_newest(dbfile: Path, count: int) -> None:
    """What anyone holding the key can do: drop the triggers, delete, put them back."""
    store = CredentialStore()
    database = engine.open_database(dbfile, store.get(dbfile), key_store=store)
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


# -- (b) the key store at every opening ---------------------------------------------------------


def test_each_database_keeps_its_key_and_anchor_and_opens_again_after_a_clean_close(
    initialised, memory_keyring
):
    dbfile, _ = initialised
    services = sorted(service for service, _ in memory_keyring.secrets)
    assert services == sorted([SERVICE_NAME, ANCHOR_SERVICE_NAME])
    anchor = IntegrityAnchor.from_text(
        memory_keyring.secrets[(ANCHOR_SERVICE_NAME, database_identity(dbfile))]
    )
    assert anchor is not None and anchor.page_digest  # recorded at the clean close
    for _ in range(3):  # never refused as "changed since this computer last closed it"
        result = as_user(dbfile, "admin", ADMIN_PW, "user", "list")
        assert result.code == 0, result.err


def test_a_file_changed_behind_clinic_apps_back_is_refused(initialised, tmp_path):
    dbfile, _ = initialised
    older = tmp_path / "older.db"
    shutil.copyfile(dbfile, older)
    assert as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1").code == 0
    shutil.copyfile(older, dbfile)  # put back from an older copy
    result = as_user(dbfile, "admin", ADMIN_PW, "user", "list")
    assert result.code == 1
    assert "older" in result.err or "changed since" in result.err
    assert "Traceback" not in result.err


# -- (c) one unit of work ---------------------------------------------------------------------


def test_a_refused_command_writes_nothing_not_even_its_sign_in(initialised):
    dbfile, _ = initialised
    before = _events(dbfile)
    refused = as_user(dbfile, "dr.jones", PSY_PW, "user", "list")  # not an administrator
    assert refused.code == 1
    assert _events(dbfile) == before


def test_a_command_that_works_keeps_its_sign_in_with_its_work(initialised):
    dbfile, _ = initialised
    before = _events(dbfile)
    assert as_user(dbfile, "admin", ADMIN_PW, "setting", "set", "idle_lock_minutes", "5").code == 0
    assert _events(dbfile) >= before + 2  # the sign-in and the change, together


def test_a_wrong_password_still_counts_and_locks_the_account(initialised):
    dbfile, _ = initialised
    before = _events(dbfile)
    assert as_user(dbfile, "dr.jones", "wrong guess", "user", "list").code == 1
    assert _events(dbfile) == before + 1  # the failed attempt is kept
    for _ in range(4):
        as_user(dbfile, "dr.jones", "wrong guess", "user", "list")
    locked = as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1")
    assert locked.code == 1 and "locked until" in locked.err


# -- (d) audit verify judges the trail as it stood ----------------------------------------------


def test_audit_verify_finds_the_newest_events_deleted(initialised):
    dbfile, _ = initialised
    assert as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1").code == 0
    _delete_newest(dbfile, 3)
    result = as_user(dbfile, "admin", ADMIN_PW, "audit", "verify")
    assert result.code == 1
    assert "missing" in result.out
    assert "does not verify" in result.err


# -- (e) restore, (f) backup ------------------------------------------------------------------


def test_a_refused_restore_leaves_the_live_database_as_it_was(initialised, tmp_path):
    dbfile, _ = initialised
    backup = tmp_path / "monday.db"
    assert as_user(dbfile, "admin", ADMIN_PW, "backup", "--out", str(backup)).code == 0
    before = _events(dbfile)
    refused = as_user(dbfile, "dr.jones", PSY_PW, "restore", str(backup))
    assert refused.code == 1 and "Only an administrator" in refused.err
    assert _events(dbfile) == before


def test_a_restored_database_opens_afterwards(initialised, tmp_path):
    dbfile, _ = initialised
    backup = tmp_path / "monday.db"
    assert as_user(dbfile, "admin", ADMIN_PW, "backup", "--out", str(backup)).code == 0
    assert as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1").code == 0
    assert as_user(dbfile, "admin", ADMIN_PW, "restore", str(backup)).code == 0
    # Older than the database it replaced, by the administrator's decision: not refused.
    result = as_user(dbfile, "admin", ADMIN_PW, "audit", "verify")
    assert result.code == 0, result.err


def test_a_refused_backup_writes_nothing(initialised, tmp_path):
    dbfile, _ = initialised
    before = _events(dbfile)
    refused = as_user(dbfile, "dr.jones", PSY_PW, "backup", "--out", str(tmp_path / "b.db"))
    assert refused.code == 1
    assert _events(dbfile) == before
    assert not (tmp_path / "b.db").exists()
    assert as_user(dbfile, "admin", ADMIN_PW, "backup", "--out", str(tmp_path / "b.db")).code == 0
    assert _events(dbfile) == before + 2  # the sign-in and the backup, committed together


# -- (g) recover --------------------------------------------------------------------------------


def test_recover_accepts_a_database_older_than_this_computer_last_saw(initialised, tmp_path):
    dbfile, recovery = initialised
    older = tmp_path / "older.db"
    assert as_user(dbfile, "admin", ADMIN_PW, "backup", "--out", str(older)).code == 0
    assert as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1").code == 0
    shutil.copyfile(older, dbfile)  # put back by hand, outside clinic-app
    assert as_user(dbfile, "admin", ADMIN_PW, "user", "list").code == 1
    result = run("recover", "--db", str(dbfile), "--recovery-key-stdin", stdin=recovery + "\n")
    assert result.code == 0, result.err
    listing = as_user(dbfile, "admin", ADMIN_PW, "user", "list")
    assert listing.code == 0, listing.err


# -- (h) import, (i) export ---------------------------------------------------------------------


def test_import_refuses_a_field_given_twice_in_one_line(initialised, tmp_path):
    dbfile, _ = initialised
    doc = tmp_path / "record.json"
    doc.write_text('{"format": 1, "format": 2}', encoding="utf-8")
    before = _events(dbfile)
    result = as_user(dbfile, "dr.jones", PSY_PW, "import", str(doc))
    assert result.code == 1
    assert "given twice" in result.err and result.err.count("\n") == 1
    assert _events(dbfile) == before


def test_export_puts_the_file_in_place_whole_and_for_its_owner_only(initialised, tmp_path):
    dbfile, _ = initialised
    assert as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1").code == 0
    out = tmp_path / "exports" / "record.json"
    result = as_user(
        dbfile, "dr.jones", PSY_PW, "export", "--client", "DEMO-00001", "--out", str(out)
    )
    assert result.code == 0, result.err
    assert [p.name for p in out.parent.iterdir()] == ["record.json"]
    if os.name == "posix":
        assert out.stat().st_mode & 0o077 == 0


# -- the first sign-in's password change --------------------------------------------------------


def test_a_password_an_administrator_set_must_be_changed_first(initialised):
    dbfile, _ = initialised
    added = as_user(
        dbfile, "admin", ADMIN_PW, "user", "add", "dr.smith", "--role", "clinician",
        extra=f"{FIRST_PW}\n",
    )  # fmt: skip
    assert added.code == 0, added.err
    before = _events(dbfile)
    refused = as_user(dbfile, "dr.smith", FIRST_PW, "demo", "--clients", "1")
    assert refused.code == 1
    assert "clinic-app password change --user dr.smith" in refused.err
    assert refused.err.count("\n") == 1
    assert _events(dbfile) == before
    weak = as_user(dbfile, "dr.smith", FIRST_PW, "password", "change", extra="short\n")
    assert weak.code == 1 and "at least 10 characters" in weak.err
    assert _events(dbfile) == before
    wrong = as_user(dbfile, "dr.smith", "not it at all", "password", "change", extra="x\n")
    assert wrong.code == 1 and "not right" in wrong.err
    assert _events(dbfile) == before + 1  # the failed attempt counts
    done = change_password(dbfile, "dr.smith", FIRST_PW, "smith's own password 3")
    assert "Changed the password of 'dr.smith'" in done.out
    assert as_user(dbfile, "dr.smith", FIRST_PW, "demo", "--clients", "1").code == 1
    works = as_user(dbfile, "dr.smith", "smith's own password 3", "demo", "--clients", "1")
    assert works.code == 0, works.err


# -- logging --------------------------------------------------------------------------------------


def test_the_command_line_sends_its_log_lines_to_the_log_file(initialised, tmp_path):
    dbfile, _ = initialised
    assert as_user(dbfile, "admin", ADMIN_PW, "user", "list").code == 0
    handlers = logging.getLogger("clinic_app").handlers
    files = [h for h in handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert [Path(h.baseFilename).parent for h in files] == [tmp_path / "data" / "logs"]
