"""The command line, run as an administrator would: one clear line, non-zero on error."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from clinic_app import __version__, cli
from clinic_app.cli import catalogue
from clinic_app.cli.common import EXIT_ERROR
from clinic_app.storage.keys import SERVICE_NAME, KeyFile, key_from_recovery
from tests.conftest import STAFF_PASSWORD, own_password

ADMIN_PW = "admin password 1"
PSY_PW = "psych password 1"
FIRST_PW = "first password 1"  # set by the administrator; changed at the first sign-in


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def run(*args: str, stdin: str = "") -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    return tmp_path / "site" / "clinic.db"


@pytest.fixture
def initialised(dbfile: Path) -> tuple[Path, str]:
    result = run(
        "init", "--db", str(dbfile), "--admin", "Admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert result.code == 0, result.err
    recovery = result.out.splitlines()[-1].strip()
    result = run(
        "user",
        "add",
        "dr.jones",
        "--role",
        "psychologist",
        "--display-name",
        "Dr Jones",
        "--db",
        str(dbfile),
        "--user",
        "admin",
        "--password-stdin",
        stdin=f"{ADMIN_PW}\n{FIRST_PW}\n",
    )
    assert result.code == 0, result.err
    change_password(dbfile, "dr.jones", FIRST_PW, PSY_PW)
    return dbfile, recovery


def change_password(dbfile: Path, user: str, current: str, new: str) -> Run:
    """``password change``: the current password on the first line, the new one next."""
    result = as_user(dbfile, user, current, "password", "change", extra=f"{new}\n")
    assert result.code == 0, result.err
    return result


def as_user(dbfile: Path, user: str, password: str, *args: str, extra: str = "") -> Run:
    return run(
        *args, "--db", str(dbfile), "--user", user, "--password-stdin", stdin=f"{password}\n{extra}"
    )


def test_init_creates_the_database_and_shows_a_working_recovery_key(initialised, memory_keyring):
    dbfile, recovery = initialised
    assert dbfile.exists()
    # The key, and beside it (under its own service name) the integrity anchor.
    [stored] = [v for (service, _), v in memory_keyring.secrets.items() if service == SERVICE_NAME]
    assert key_from_recovery(recovery) == bytes.fromhex(stored)


def test_init_refuses_an_existing_database(initialised):
    dbfile, _ = initialised
    before = dbfile.read_bytes()
    result = run(
        "init", "--db", str(dbfile), "--admin", "other", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert result.code == 1
    assert "already exists" in result.err
    assert dbfile.read_bytes() == before


def test_init_with_a_weak_password_writes_nothing(dbfile, memory_keyring):
    result = run(
        "init", "--db", str(dbfile), "--admin", "admin", "--password-stdin", stdin="short\n"
    )
    assert result.code == 1
    assert "at least 10 characters" in result.err
    assert not dbfile.exists()
    assert memory_keyring.secrets == {}


def test_init_without_a_credential_store_names_the_alternatives(dbfile, tmp_path):
    keyring.set_keyring(fail.Keyring())
    result = run(
        "init", "--db", str(dbfile), "--admin", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert result.code == 1
    assert "No credential store" in result.err and "--key-file" in result.err
    assert not dbfile.exists()
    # The explicit alternative works, and the key file is the owner's alone.
    key_file = tmp_path / "keys" / "clinic.key"
    result = run(
        "init",
        "--db",
        str(dbfile),
        "--key-file",
        str(key_file),
        "--admin",
        "admin",
        "--password-stdin",
        stdin=ADMIN_PW + "\n",
    )
    assert result.code == 0, result.err
    if os.name == "posix":
        assert key_file.stat().st_mode & 0o077 == 0


def test_user_list_and_disable(initialised):
    dbfile, _ = initialised
    listing = as_user(dbfile, "admin", ADMIN_PW, "user", "list")
    assert listing.code == 0
    assert "dr.jones\tpsychologist\tactive\tDr Jones" in listing.out
    result = as_user(dbfile, "admin", ADMIN_PW, "user", "disable", "dr.jones")
    assert result.code == 0 and "Disabled" in result.out
    result = as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1")
    assert result.code == 1 and "disabled" in result.err


def test_a_clinician_cannot_manage_accounts(initialised):
    dbfile, _ = initialised
    result = as_user(dbfile, "dr.jones", PSY_PW, "user", "list")
    assert result.code == 1
    assert "administrator" in result.err


def test_wrong_password_is_one_clear_line(initialised):
    dbfile, _ = initialised
    result = as_user(dbfile, "admin", "wrong password", "user", "list")
    assert result.code == 1
    assert result.err.strip().count("\n") == 0
    assert "username or password is not right" in result.err


def test_no_password_on_stdin_is_explained(initialised):
    dbfile, _ = initialised
    result = run("user", "list", "--db", str(dbfile), "--user", "admin", "--password-stdin")
    assert result.code == 1
    assert "standard input" in result.err


def test_missing_database_is_explained(tmp_path):
    result = as_user(tmp_path / "nowhere.db", "admin", ADMIN_PW, "user", "list")
    assert result.code == 1
    assert "There is no database" in result.err


def test_demo_loads_a_marked_caseload_assigned_to_a_clinician(initialised):
    dbfile, _ = initialised
    result = as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "5")
    assert result.code == 0, result.err
    assert "Loaded 5 demo clients (DEMO-00001 to DEMO-00005" in result.out
    assert "assigned to you" in result.out
    again = as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "2")
    assert "DEMO-00006 to DEMO-00007" in again.out
    bad = as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "0")
    assert bad.code == 1


def test_audit_verify_passes_on_an_untouched_database(initialised):
    dbfile, _ = initialised
    as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "3")
    result = as_user(dbfile, "admin", ADMIN_PW, "audit", "verify")
    assert result.code == 0
    assert "verifies" in result.out


def test_backup_and_restore_round_trip(initialised, tmp_path):
    dbfile, _ = initialised
    backup = tmp_path / "backups" / "monday.db"
    result = as_user(dbfile, "admin", ADMIN_PW, "backup", "--out", str(backup))
    assert result.code == 0, result.err
    as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "2")  # a change after the backup
    exists = as_user(dbfile, "admin", ADMIN_PW, "backup", "--out", str(backup))
    assert exists.code == 1 and "already exists" in exists.err
    result = as_user(dbfile, "admin", ADMIN_PW, "restore", str(backup))
    assert result.code == 0, result.err
    assert "kept at" in result.out
    # The demo clients made after the backup are gone; the accounts are still there.
    listing = as_user(dbfile, "admin", ADMIN_PW, "user", "list")
    assert "dr.jones" in listing.out
    demo = as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1")
    assert "DEMO-00001 to DEMO-00001" in demo.out
    verify = as_user(dbfile, "admin", ADMIN_PW, "audit", "verify")
    assert verify.code == 0, verify.out + verify.err


def test_only_administrators_back_up(initialised, tmp_path):
    dbfile, _ = initialised
    result = as_user(dbfile, "dr.jones", PSY_PW, "backup", "--out", str(tmp_path / "b.db"))
    assert result.code == 1
    assert not (tmp_path / "b.db").exists()


def test_recover_puts_the_key_back_after_the_credential_store_is_lost(initialised, memory_keyring):
    dbfile, recovery = initialised
    memory_keyring.secrets.clear()
    lost = as_user(dbfile, "admin", ADMIN_PW, "user", "list")
    assert lost.code == 1 and "recover" in lost.err
    typo = run(
        "recover",
        "--db",
        str(dbfile),
        "--recovery-key-stdin",
        stdin=recovery[:-1] + ("0" if recovery[-1] != "0" else "1") + "\n",
    )
    assert typo.code == 1 and "mistyped" in typo.err
    result = run(
        "recover", "--db", str(dbfile), "--recovery-key-stdin", stdin=recovery.lower() + "\n"
    )
    assert result.code == 0, result.err
    assert as_user(dbfile, "admin", ADMIN_PW, "user", "list").code == 0


def test_version_and_help():
    with pytest.raises(SystemExit) as caught:
        cli.main(["--version"], stdout=io.StringIO())
    assert caught.value.code == 0
    result = run()
    assert result.code == 2 and "init" in result.out


def test_help_lists_every_command_group_in_its_usual_order():
    """Each group module adds its own commands; together they keep the order people know."""
    usage = run().out.splitlines()[0]
    assert usage.startswith("usage: clinic-app [-h] [--version] COMMAND")
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(commands.choices) == [
        "init",
        "user",
        "password",
        "demo",
        "import",
        "export",
        "audit",
        "setting",
        "measure",
        "backup",
        "restore",
        "recover",
        "self-test",
        "summary",
        "risk-notice",
        "register",
        "audience",
        "letter-template",
        "service",
        "third-party",
        "protective-measure",
        "fhir",
        "evaluation",
        "sar",
        "site",
        "appointments",
    ]


def test_every_group_module_adds_the_commands_the_catalogue_lists():
    """--help is answered from the catalogue; each group, when its command runs, adds the
    same commands in the same order, each with the catalogue's help."""
    everything = [name for group in catalogue.GROUPS for name in group.names]
    for group in catalogue.GROUPS:
        parser = cli.build_parser(group.names[0])
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        assert list(commands.choices) == everything
        shown = {a.dest: a.help for a in commands._choices_actions}
        for name, text in group.commands:
            assert shown[name] == text
            assert _in_full(commands.choices[name]), name
        others = set(everything) - set(group.names)
        assert not any(_in_full(commands.choices[name]) for name in others)


def _in_full(parser: argparse.ArgumentParser) -> bool:
    """True for a command added by its group (options, actions or what it runs), not
    listed by name alone."""
    return bool(parser._actions[1:] or parser._defaults)


def test_starting_the_command_line_loads_no_renderer_measures_or_qt():
    """Heavy modules load inside the command that needs them, so every command starts fast."""
    probe = (
        "import sys; from clinic_app import cli; cli.build_parser(); "
        "print(' '.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    for heavy in (
        "PySide6",
        "reportlab",
        "jsonschema",
        "sqlalchemy",
        "clinic_app.models",
        "clinic_app.services",
        "clinic_app.reports",
        "clinic_app.measures",
        "clinic_app.services.interchange",
        "clinic_app.services.demo",
    ):
        assert heavy not in loaded, heavy


# What a whole `clinic-app` process imported, written out as it exits.
MODULES_PROBE = """\
import atexit, os, sys

def _write_modules():
    with open(os.environ["CLINIC_TEST_MODULES"], "w", encoding="utf-8") as out:
        out.write("\\n".join(sorted(sys.modules)))

atexit.register(_write_modules)
sys.argv[0] = "clinic-app"
from clinic_app.__main__ import main
sys.exit(main())
"""
QT = ("PySide6", "shiboken6", "clinic_app.views", "clinic_app.app")
COMMAND_GROUPS = {f"clinic_app.cli.{group.module}" for group in catalogue.GROUPS}


def modules_of_a_process(tmp_path: Path, *args: str, stdin: str = "") -> tuple[int, set[str]]:
    """(exit status, every module imported) of ``clinic-app ARGS`` run as its own process."""
    listing = tmp_path / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", MODULES_PROBE, *args],
        input=stdin,
        env=dict(os.environ, CLINIC_TEST_MODULES=str(listing)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listing.exists(), done.stderr
    return done.returncode, set(listing.read_text(encoding="utf-8").split())


def _under(loaded: set[str], package: str) -> set[str]:
    return {m for m in loaded if m == package or m.startswith(package + ".")}


def test_help_imports_no_command_group_database_service_renderer_or_qt(tmp_path):
    code, loaded = modules_of_a_process(tmp_path, "--help")
    assert code == 0
    for heavy in (
        *QT,
        *COMMAND_GROUPS,
        "sqlalchemy",
        "sqlcipher3",
        "argon2",
        "reportlab",
        "jsonschema",
        "alembic",
        "clinic_app.models",
        "clinic_app.storage",
        "clinic_app.services",
        "clinic_app.measures",
        "clinic_app.reports",
    ):
        assert not _under(loaded, heavy), heavy


@pytest.fixture
def summary_store(db, db_key, psychologist, admin, tmp_path):  # type: ignore[no-untyped-def]
    """A database (its key in a key file) holding a client with a record to summarise."""
    from tests.unit.services.sharing.test_summaries import build_record

    build_record(db, psychologist, admin)
    own_password(db, "dr.jones")
    key_file = tmp_path / "clinic.key"
    KeyFile(key_file).put(db.path, db_key)
    return ["--db", str(db.path), "--key-file", str(key_file), "--user", "dr.jones"]


def summary_command(store: list[str], audience: str, recipient: str, out: Path) -> list[str]:
    """`clinic-app summary` for MASIP-0101's last 90 days, every check answered."""
    today = date.today()
    return [
        "summary",
        *store,
        "--password-stdin",
        "--client",
        "MASIP-0101",
        "--audience",
        audience,
        "--from",
        (today - timedelta(days=90)).isoformat(),
        "--to",
        today.isoformat(),
        "--recipient",
        recipient,
        "--purpose",
        "Quarterly review",
        "--gateway",
        "cda-s115",
        "--client-informed",
        "--caldicott",
        "necessary,minimum,relevant,accurate",
        "--out",
        str(out),
    ]


def test_a_summary_imports_its_own_group_and_the_renderer_but_never_qt(summary_store, tmp_path):
    out = tmp_path / "police.pdf"
    code, loaded = modules_of_a_process(
        tmp_path,
        *summary_command(summary_store, "police", "Metropolitan Police", out),
        stdin=STAFF_PASSWORD + "\n",
    )
    assert code == 0 and out.exists()
    assert "reportlab" in loaded and "clinic_app.reports.pdf" in loaded
    assert _under(loaded, "clinic_app.cli") & COMMAND_GROUPS == {"clinic_app.cli.sharing"}
    for never in (*QT, "clinic_app.services.interchange", "clinic_app.services.demo"):
        assert not _under(loaded, never), never


# How many times the cycle collector ran in a whole `clinic-app` process, written at exit.
COLLECTIONS_PROBE = """\
import atexit, gc, os, sys

ran = []
gc.callbacks.append(lambda phase, info: ran.append(info) if phase == "stop" else None)

def _write_count():
    with open(os.environ["CLINIC_TEST_COLLECTIONS"], "w", encoding="utf-8") as out:
        out.write(str(len(ran)))

atexit.register(_write_count)
sys.argv[0] = "clinic-app"
from clinic_app.__main__ import main
ran.clear()  # what the interpreter's own start did is not the command's
sys.exit(main())
"""


def test_a_summary_process_does_its_work_without_the_cycle_collector(summary_store, tmp_path):
    """A command's objects live until it ends or are freed when dropped: walking them to
    find cycles cost a partner summary about 65 ms and freed almost nothing."""
    out = tmp_path / "probation.pdf"
    count = tmp_path / "collections.txt"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            COLLECTIONS_PROBE,
            *summary_command(summary_store, "probation", "National Probation Service", out),
        ],
        input=STAFF_PASSWORD + "\n",
        env=dict(os.environ, CLINIC_TEST_COLLECTIONS=str(count)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.exists()
    assert count.read_text(encoding="utf-8") == "0"


@pytest.mark.parametrize(
    ("command", "group", "status"),
    [
        (("user", "list"), "accounts", EXIT_ERROR),  # a psychologist may not list accounts
        (("export", "--client", "MASIP-0101", "--out", "{tmp}/record.json"), "records", 0),
        (("audit", "verify"), "audit_trail", 0),
        (("setting", "list"), "settings", EXIT_ERROR),  # administrators only
        (("measure", "list"), "measures", 0),
        (("register", "list"), "sharing", 0),
        (("audience", "list"), "sharing", 0),
        (("service", "list"), "service_directory", 0),
        (("third-party", "list", "--client", "MASIP-0101"), "third_parties", 0),
    ],
)
def test_a_command_that_writes_no_pdf_never_imports_the_renderer_or_qt(
    summary_store, tmp_path, command, group, status
):
    # The process ends without tearing its modules down, but with its own exit status and
    # after the exit handlers (the probe's listing is written by one).
    code, loaded = modules_of_a_process(
        tmp_path,
        *(word.format(tmp=tmp_path) for word in command),
        *summary_store,
        "--password-stdin",
        stdin=STAFF_PASSWORD + "\n",
    )
    assert code == status
    assert _under(loaded, "clinic_app.cli") & COMMAND_GROUPS == {f"clinic_app.cli.{group}"}
    for never in (*QT, "reportlab", "clinic_app.reports.pdf", "clinic_app.reports.page"):
        assert not _under(loaded, never), never


def test_the_installed_entry_point_runs_a_command():
    """`python -m clinic_app --version` goes to the command line, not the window."""
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"clinic-app {__version__}"


def test_database_file_holds_no_plaintext_after_a_demo_load(initialised):
    dbfile, _ = initialised
    as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "20")
    data = dbfile.read_bytes()
    for sidecar in (dbfile.with_name(dbfile.name + "-wal"),):
        if sidecar.exists():
            data += sidecar.read_bytes()
    for canary in (
        "Vera Demovictim",
        "Reduce rumination",
        "dr.jones",
        "DEMO-00001",
        "SQLite format 3",
    ):
        assert canary.encode() not in data
        assert canary.encode("utf-16-le") not in data


def test_an_administrator_sets_the_idle_lock_within_its_limit(initialised):
    from clinic_app.config import IDLE_LOCK_MINUTES
    from clinic_app.services.settings import get_setting
    from clinic_app.storage import engine
    from clinic_app.storage.keys import CredentialStore

    dbfile, _ = initialised
    listing = as_user(dbfile, "admin", ADMIN_PW, "setting", "list")
    assert "idle_lock_minutes\t10\t(1-15, default 10)" in listing.out
    assert "document_marking\tOFFICIAL-SENSITIVE\t(text, default 'OFFICIAL-SENSITIVE')" in (
        listing.out
    )
    assert as_user(dbfile, "admin", ADMIN_PW, "setting", "set", "idle_lock_minutes", "5").code == 0
    too_long = as_user(dbfile, "admin", ADMIN_PW, "setting", "set", "idle_lock_minutes", "30")
    assert too_long.code == 1 and "from 1 to 15" in too_long.err
    not_number = as_user(dbfile, "admin", ADMIN_PW, "setting", "set", "idle_lock_minutes", "ten")
    assert not_number.code == 1 and "not a whole number" in not_number.err
    unknown = as_user(dbfile, "admin", ADMIN_PW, "setting", "set", "colour", "1")
    assert unknown.code == 1 and "idle_lock_minutes" in unknown.err
    clinician = as_user(dbfile, "dr.jones", PSY_PW, "setting", "set", "idle_lock_minutes", "2")
    assert clinician.code == 1
    database = engine.open_database(dbfile, CredentialStore().get(dbfile))
    try:
        with database.session() as session:
            assert get_setting(session, IDLE_LOCK_MINUTES) == 5
    finally:
        database.close()


def test_demo_records_are_complete_enough_to_try_every_screen(initialised):
    from sqlalchemy import func, select

    from clinic_app.models import Client, GoalProgress, PlanRevision, RiskEvent, SessionNote
    from clinic_app.storage import engine
    from clinic_app.storage.keys import CredentialStore

    dbfile, _ = initialised
    as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "10")
    database = engine.open_database(dbfile, CredentialStore().get(dbfile))
    try:
        with database.session() as session:

            def count(model):
                return session.scalar(select(func.count()).select_from(model))

            assert count(Client) == 10
            assert session.scalar(select(func.count()).where(Client.is_demo.is_(False))) == 0
            for model in (SessionNote, PlanRevision, GoalProgress, RiskEvent):
                assert count(model) > 0, model.__name__
            numbers = session.scalars(select(Client.nhs_number)).all()
            assert all(n.startswith("999") for n in numbers)
    finally:
        database.close()


def test_a_damaged_database_can_be_restored_signing_in_with_the_backups_account(
    initialised, tmp_path
):
    dbfile, _ = initialised
    backup = tmp_path / "backups" / "monday.db"
    assert as_user(dbfile, "admin", ADMIN_PW, "backup", "--out", str(backup)).code == 0
    dbfile.write_bytes(b"\x00" * 8192)  # the database file is ruined
    wrong = as_user(dbfile, "admin", "not the password", "restore", str(backup))
    assert wrong.code == 1 and "Traceback" not in wrong.err
    not_admin = as_user(dbfile, "dr.jones", PSY_PW, "restore", str(backup))
    assert not_admin.code == 1 and "Only an administrator" in not_admin.err
    result = as_user(dbfile, "admin", ADMIN_PW, "restore", str(backup))
    assert result.code == 0, result.err
    listing = as_user(dbfile, "admin", ADMIN_PW, "user", "list")
    assert listing.code == 0 and "dr.jones" in listing.out
    assert as_user(dbfile, "admin", ADMIN_PW, "audit", "verify").code == 0


def test_an_administrator_unlocks_an_account_from_the_command_line(initialised):
    dbfile, _ = initialised
    for _ in range(5):
        as_user(dbfile, "dr.jones", "wrong guess", "user", "list")
    locked = as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1")
    assert locked.code == 1 and "locked until" in locked.err
    result = as_user(dbfile, "admin", ADMIN_PW, "user", "unlock", "dr.jones")
    assert result.code == 0 and "Unlocked the account 'dr.jones'" in result.out
    assert as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1").code == 0
    again = as_user(dbfile, "admin", ADMIN_PW, "user", "unlock", "dr.jones")
    assert again.code == 1 and "is not locked" in again.err


def test_an_administrator_resets_a_password_changes_a_role_and_enables_an_account(initialised):
    dbfile, _ = initialised
    reset = as_user(dbfile, "admin", ADMIN_PW, "user", "reset", "dr.jones", extra="short\n")
    assert reset.code == 1 and "Traceback" not in reset.err  # too short: nothing changed
    assert as_user(dbfile, "dr.jones", PSY_PW, "user", "list").code == 1  # (not an admin)
    temporary = "temporary pass 77"
    reset = as_user(dbfile, "admin", ADMIN_PW, "user", "reset", "dr.jones", extra=temporary + "\n")
    assert reset.code == 0 and "choose their own" in reset.out
    # The old password no longer works; the temporary one must be replaced first.
    assert as_user(dbfile, "dr.jones", PSY_PW, "demo", "--clients", "1").code == 1
    must_change = as_user(dbfile, "dr.jones", temporary, "demo", "--clients", "1")
    assert must_change.code == 1 and "password" in must_change.err.lower()
    role = as_user(dbfile, "admin", ADMIN_PW, "user", "role", "dr.jones", "clinician")
    assert role.code == 0 and "now clinician" in role.out
    own = as_user(dbfile, "admin", ADMIN_PW, "user", "role", "admin", "clinician")
    assert own.code == 1 and "your own role" in own.err
    assert as_user(dbfile, "admin", ADMIN_PW, "user", "disable", "dr.jones").code == 0
    enabled = as_user(dbfile, "admin", ADMIN_PW, "user", "enable", "dr.jones")
    assert enabled.code == 0 and "can sign in again" in enabled.out
    listing = as_user(dbfile, "admin", ADMIN_PW, "user", "list")
    assert "dr.jones\tclinician\tactive" in listing.out


def test_output_cut_short_by_a_closed_pipe_is_said_plainly(initialised):
    dbfile, _ = initialised

    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    err = io.StringIO()
    code = cli.main(
        ["user", "list", "--db", str(dbfile), "--user", "admin", "--password-stdin"],
        stdin=io.StringIO(ADMIN_PW + "\n"),
        stdout=ClosedPipe(),
        stderr=err,
    )
    assert code == EXIT_ERROR
    assert "output was cut short" in err.getvalue()
    assert "something unexpected" not in err.getvalue()


def _summary(store_args: list[str], out: Path, password: str) -> Run:
    today = date.today()
    return run(
        "summary",
        *store_args,
        "--password-stdin",
        "--client",
        "MASIP-0101",
        "--audience",
        "police",
        "--from",
        (today - timedelta(days=90)).isoformat(),
        "--to",
        today.isoformat(),
        "--recipient",
        "Metropolitan Police",
        "--purpose",
        "Quarterly review",
        "--gateway",
        "cda-s115",
        "--client-informed",
        "--caldicott",
        "necessary,minimum,relevant,accurate",
        "--out",
        str(out),
        stdin=password + "\n",
    )


def test_what_loads_while_the_password_is_checked_ends_with_the_command(summary_store, tmp_path):
    before = threading.active_count()
    refused = _summary(summary_store, tmp_path / "no.pdf", "not the password")
    assert refused.code == EXIT_ERROR and "password is not right" in refused.err
    assert not (tmp_path / "no.pdf").exists()
    written = _summary(summary_store, tmp_path / "yes.pdf", STAFF_PASSWORD)
    assert written.code == 0, written.err
    assert threading.active_count() == before


def test_a_step_that_fails_while_loading_is_left_to_the_command(
    summary_store, tmp_path, monkeypatch
):
    from clinic_app.services.sharing import documents

    def broken() -> None:
        raise OSError("the fonts could not be read")

    monkeypatch.setattr(documents, "load_for_export", broken)
    result = _summary(summary_store, tmp_path / "police.pdf", STAFF_PASSWORD)
    assert result.code == 0, result.err  # the command loads what it needs itself
    assert (tmp_path / "police.pdf").exists()


def test_what_loads_while_the_password_is_checked_starts_once_the_database_is_open(
    summary_store, tmp_path, monkeypatch
):
    # Opening checks the whole file against its integrity anchor, in a loop that a loading
    # thread running beside it slowed about fivefold; the loading is meant to overlap the
    # password check, which comes after.
    from clinic_app.services.sharing import documents
    from clinic_app.storage import engine

    opened: list[bool] = []
    seen_when_loading: list[bool] = []
    real_open, real_load = engine.open_database, documents.load_for_export

    def slow_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.05)  # long enough for a thread started before it to get going
        database = real_open(*args, **kwargs)
        opened.append(True)
        return database

    def load() -> None:
        seen_when_loading.append(bool(opened))
        real_load()

    monkeypatch.setattr(engine, "open_database", slow_open)
    monkeypatch.setattr(documents, "load_for_export", load)
    result = _summary(summary_store, tmp_path / "panel.pdf", STAFF_PASSWORD)
    assert result.code == 0, result.err
    assert seen_when_loading == [True]


@pytest.mark.parametrize("at_site", [False, True])
def test_the_loading_overlaps_the_password_check_in_either_mode(at_site):
    # On a workstation the password is checked after the database opens (whose integrity
    # check the loading would slow); at a site the server checks it as the connection
    # opens, so the loading starts before that.
    from contextlib import contextmanager

    from clinic_app.cli.common import act_as_user

    order: list[str] = []
    started_before_opening: list[bool] = []
    loaded = threading.Event()

    class Session:
        def commit(self) -> None:
            order.append("commit")

    class Database:
        @contextmanager
        def writing(self):  # type: ignore[no-untyped-def]
            yield Session()

    class Ctx:
        def site(self):  # type: ignore[no-untyped-def]
            return object() if at_site else None

        @contextmanager
        def database(self):  # type: ignore[no-untyped-def]
            under_way = loaded.is_set() or any(
                thread.name == "clinic-app-loading" for thread in threading.enumerate()
            )
            started_before_opening.append(under_way)
            yield Database()

        def acting(self, _session):  # type: ignore[no-untyped-def]
            return "me"

    def load() -> None:
        order.append("loading")
        loaded.set()

    def work(_session, _me) -> None:  # type: ignore[no-untyped-def]
        assert loaded.is_set()  # the loading ends before the work starts
        order.append("work")

    act_as_user(Ctx(), work, loading=load)  # type: ignore[arg-type]
    assert started_before_opening == [at_site]
    assert order == ["loading", "work", "commit"]
    assert not any(thread.name == "clinic-app-loading" for thread in threading.enumerate())
