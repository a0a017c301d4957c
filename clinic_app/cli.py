"""The command line for administrators and automation.

Each subcommand takes ``--db PATH`` (default: the per-user database) and, where it acts
as a member of staff, ``--user NAME --password-stdin`` (the password is the first line of
standard input; without the flag, it is asked for when there is a terminal). A command
prints one clear line, exits non-zero on error and writes nothing when it fails.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from clinic_app import __version__, config
from clinic_app.errors import AuthError, ClinicError, ValidationError
from clinic_app.models import StaffUser
from clinic_app.models.enums import Role
from clinic_app.services import audit, demo, settings, staff
from clinic_app.services.common import StaffRef, client_by_ref
from clinic_app.storage import engine
from clinic_app.storage.keys import (
    KeyStore,
    default_key_store,
    generate_key,
    key_from_recovery,
    recovery_key_from,
)

log = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 70


class CommandError(ClinicError):
    """A problem with how a command was called."""


class _Input:
    """Lines of standard input, read in order (password first, then whatever follows)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def line(self, what: str) -> str:
        text = self.stream.readline()
        if not text:
            raise CommandError(f"Expected {what} on standard input, but there was none.")
        return text.rstrip("\r\n")


class _Context:
    def __init__(self, args: argparse.Namespace, stdin: IO[str], stdout: IO[str]) -> None:
        self.args = args
        self.input = _Input(stdin)
        self.stdout = stdout

    @property
    def db_path(self) -> Path:
        path: Path | None = self.args.db
        return path if path is not None else config.default_database_path()

    def key_store(self) -> KeyStore:
        return default_key_store(self.args.key_file)

    def secret(self, what: str, *, prompt: str) -> str:
        """A password: the next stdin line with --password-stdin, else a hidden prompt."""
        if self.args.password_stdin:
            return self.input.line(what)
        if sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(prompt)
        raise CommandError(f"Give {what} on standard input with --password-stdin.")

    def say(self, line: str) -> None:
        print(line, file=self.stdout)

    @contextmanager
    def database(self) -> Iterator[engine.Database]:
        key = self.key_store().get(self.db_path) if self.db_path.exists() else b""
        database = engine.open_database(self.db_path, key, backup_dir=self.backups_dir())
        try:
            yield database
        finally:
            database.close()

    def backups_dir(self) -> Path:
        return self.db_path.parent / "backups"

    def sign_in(self, database: engine.Database) -> StaffRef:
        if not self.args.user:
            raise CommandError("Say which account is acting with --user NAME.")
        password = self.secret("the password", prompt=f"Password for {self.args.user}: ")
        with database.session() as session:
            try:
                me = staff.sign_in(session, self.args.user, password)
            except AuthError:
                session.commit()  # keep the failed attempt: it counts towards lockout
                raise
            session.commit()
        return me


# -- commands ----------------------------------------------------------------------------------


def cmd_init(ctx: _Context) -> None:
    path = ctx.db_path
    if path.exists():
        raise CommandError(f"A database already exists at {path}; it has not been touched.")
    store = ctx.key_store()  # fails now, before anything is written, if there is no store
    admin = staff.normalise_username(ctx.args.admin)
    password = ctx.secret("the new administrator's password", prompt=f"New password for {admin}: ")
    if problem := staff.password_problem(password, username=admin):
        raise ValidationError(problem, where="password")
    key = generate_key()
    database = engine.create_database(path, key)
    try:
        with database.transaction() as session:
            staff.create_first_admin(session, admin, password, display_name=ctx.args.display_name)
        store.put(path, key)
    except BaseException:
        database.close()
        engine.discard_database(path)
        raise
    database.close()
    ctx.say(f"Created the encrypted database at {path.resolve()}.")
    ctx.say(f"Its key is kept in {store.describe()}.")
    ctx.say("RECOVERY KEY (shown only now; write it down and store it safely, apart from this")
    ctx.say("computer. With it an administrator can reopen the database if the key is lost):")
    ctx.say(f"    {recovery_key_from(key)}")


def _acting(ctx: _Context, work: Callable[[Session, StaffRef], None]) -> None:
    with ctx.database() as database:
        me = ctx.sign_in(database)
        with database.transaction() as session:
            work(session, me)


def cmd_user_add(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        password = ctx.secret("the new account's password", prompt="New account's password: ")
        row = staff.add_user(
            session,
            me,
            ctx.args.name,
            role=Role(ctx.args.role),
            password=password,
            display_name=ctx.args.display_name,
            job_title=ctx.args.job_title,
            contact=ctx.args.contact,
        )
        ctx.say(f"Added the {row.role.value} account '{row.username}'.")

    _acting(ctx, work)


def cmd_user_list(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        rows = staff.list_users(session, me)
        for row in rows:
            state = "disabled" if row.disabled else "active"
            ctx.say(f"{row.username}\t{row.role.value}\t{state}\t{row.display_name}")

    _acting(ctx, work)


def cmd_user_disable(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        row = staff.disable_user(session, me, ctx.args.name)
        ctx.say(f"Disabled the account '{row.username}'; its records stay attributed to it.")

    _acting(ctx, work)


def cmd_demo(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        result = demo.load_demo_caseload(session, me, ctx.args.clients)
        whose = "assigned to you" if me.is_clinical else "not assigned to anyone yet"
        ctx.say(
            f"Loaded {result.clients:,} demo clients ({result.first_ref} to {result.last_ref}, "
            f"{result.sessions:,} sessions), {whose}."
        )

    _acting(ctx, work)


def cmd_import(ctx: _Context) -> None:
    from clinic_app.services import interchange  # noqa: PLC0415 - loads the JSON Schema

    source: Path = ctx.args.file
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(f"There is no file at {source}.") from None
    except (OSError, UnicodeDecodeError):
        raise CommandError(f"{source} cannot be read as a text file.") from None
    except json.JSONDecodeError as exc:
        raise CommandError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}); "
            "nothing was imported."
        ) from None

    def work(session: Session, me: StaffRef) -> None:
        summary = interchange.import_client(session, me, document)
        ctx.say(f"Imported the record of client {summary.local_ref}.")

    _acting(ctx, work)


def cmd_export(ctx: _Context) -> None:
    from clinic_app.services import interchange  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        client = client_by_ref(session, ctx.args.client)
        document = interchange.export_client(session, me, client.id)
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        out: Path | None = ctx.args.out
        if out is None:
            ctx.stdout.write(text)
        else:
            _write_atomically(out, text.encode("utf-8"))
            ctx.say(f"Exported the record of client {client.local_ref} to {out}.")

    _acting(ctx, work)


def cmd_audit_verify(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        report = audit.verify(session)
        if not report.ok:
            for finding in report.findings:
                ctx.say(f"  {finding}")
            raise ClinicError(
                f"The audit trail does not verify: {len(report.findings)} problem(s) "
                f"in {report.events:,} events (listed above)."
            )
        ctx.say(f"The audit trail verifies: {report.events:,} events, unbroken.")

    _acting(ctx, work)


def cmd_setting_list(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        for row in settings.list_settings(session, me):
            ctx.say(
                f"{row.key}\t{row.value}\t({row.minimum}-{row.maximum}, default "
                f"{row.default})\t{row.title}"
            )

    _acting(ctx, work)


def cmd_setting_set(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        row = settings.change_setting(session, me, ctx.args.key, ctx.args.value)
        ctx.say(f"{row.title}: now {row.value}.")

    _acting(ctx, work)


def cmd_backup(ctx: _Context) -> None:
    out: Path = ctx.args.out
    if out.exists():
        raise CommandError(f"{out} already exists; choose a new file name for the backup.")
    with ctx.database() as database:
        me = ctx.sign_in(database)
        if me.role is not Role.ADMINISTRATOR:
            raise CommandError("Only an administrator may make backups.")
        key = ctx.key_store().get(ctx.db_path)
        engine.backup_database(database.engine, key, out)
        with database.transaction() as session:
            audit.record(session, audit.Action.BACKUP, actor_id=me.id)
    ctx.say(f"Backed up the database to {out} (encrypted with the same key, and verified).")


def cmd_restore(ctx: _Context) -> None:
    source: Path = ctx.args.file
    with ctx.database() as database:
        me = ctx.sign_in(database)
        if me.role is not Role.ADMINISTRATOR:
            raise CommandError("Only an administrator may restore a backup.")
    key = ctx.key_store().get(ctx.db_path)
    kept = engine.restore_database(source, ctx.db_path, key, keep_dir=ctx.backups_dir())
    restored = engine.open_database(ctx.db_path, key, backup_dir=ctx.backups_dir())
    try:
        with restored.transaction() as session:
            # The restored database may predate the account that restored it.
            same = session.get(StaffUser, me.id)
            actor = me.id if same is not None and same.username == me.username else None
            audit.record(session, audit.Action.RESTORE, actor_id=actor)
    finally:
        restored.close()
    ctx.say(f"Restored the database from {source}; the database it replaced was kept at {kept}.")


def cmd_recover(ctx: _Context) -> None:
    path = ctx.db_path
    text = (
        ctx.input.line("the recovery key")
        if ctx.args.recovery_key_stdin or not sys.stdin.isatty()
        else getpass.getpass("Recovery key: ")
    )
    key = key_from_recovery(text)
    database = engine.open_database(path, key, backup_dir=ctx.backups_dir())
    try:
        store = ctx.key_store()
        with database.transaction() as session:
            audit.record(session, audit.Action.RECOVER, actor_id=None)
        store.put(path, key)
    finally:
        database.close()
    ctx.say(f"The recovery key opens {path}; its key is now kept in {store.describe()}.")


# -- parsing -----------------------------------------------------------------------------------


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_bytes(data)
    tmp.replace(path)


def _common(parser: argparse.ArgumentParser, *, acting: bool = True) -> None:
    parser.add_argument("--db", type=Path, help="database file (default: the per-user database)")
    parser.add_argument(
        "--key-file",
        type=Path,
        help="keep the database key in this file instead of the credential store",
    )
    if acting:
        parser.add_argument("--user", help="the staff account acting")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password(s) from standard input, one per line",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinic-app",
        description="Clinical records and partner-safe summaries for stalking intervention "
        "programmes. With no command, opens the application.",
    )
    parser.add_argument("--version", action="version", version=f"clinic-app {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser("init", help="create a new encrypted database")
    _common(init, acting=False)
    init.add_argument("--admin", required=True, help="username of the first administrator")
    init.add_argument("--display-name", default="", help="the administrator's full name")
    init.set_defaults(run=cmd_init)

    user = commands.add_parser("user", help="manage staff accounts")
    users = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = users.add_parser("add", help="add an account (its password follows yours on stdin)")
    _common(add)
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--display-name", default="")
    add.add_argument("--job-title", default="")
    add.add_argument("--contact", default="")
    add.set_defaults(run=cmd_user_add)
    listing = users.add_parser("list", help="list accounts")
    _common(listing)
    listing.set_defaults(run=cmd_user_list)
    disable = users.add_parser("disable", help="stop an account signing in")
    _common(disable)
    disable.add_argument("name")
    disable.set_defaults(run=cmd_user_disable)

    demo_cmd = commands.add_parser("demo", help="load a synthetic, clearly marked demo caseload")
    _common(demo_cmd)
    demo_cmd.add_argument("--clients", type=int, default=25)
    demo_cmd.set_defaults(run=cmd_demo)

    imp = commands.add_parser("import", help="import a client record (all or nothing)")
    _common(imp)
    imp.add_argument("file", type=Path)
    imp.set_defaults(run=cmd_import)

    exp = commands.add_parser("export", help="export a client record as JSON")
    _common(exp)
    exp.add_argument("--client", required=True, help="the client's local case reference")
    exp.add_argument("--out", type=Path, help="file to write (default: standard output)")
    exp.set_defaults(run=cmd_export)

    aud = commands.add_parser("audit", help="check the audit trail")
    auds = aud.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = auds.add_parser("verify", help="verify the hash chain of the audit trail")
    _common(verify)
    verify.set_defaults(run=cmd_audit_verify)

    setting = commands.add_parser("setting", help="administrators' settings (e.g. idle lock)")
    setting_actions = setting.add_subparsers(
        dest="setting_command", metavar="ACTION", required=True
    )
    setting_list = setting_actions.add_parser("list", help="show every setting and its limits")
    _common(setting_list)
    setting_list.set_defaults(run=cmd_setting_list)
    setting_set = setting_actions.add_parser("set", help="change a setting within its limits")
    _common(setting_set)
    setting_set.add_argument("key", help="e.g. idle_lock_minutes")
    setting_set.add_argument("value")
    setting_set.set_defaults(run=cmd_setting_set)

    backup = commands.add_parser("backup", help="write a verified, encrypted backup")
    _common(backup)
    backup.add_argument("--out", type=Path, required=True)
    backup.set_defaults(run=cmd_backup)

    restore = commands.add_parser("restore", help="replace the database with a backup")
    _common(restore)
    restore.add_argument("file", type=Path)
    restore.set_defaults(run=cmd_restore)

    recover = commands.add_parser(
        "recover", help="enter the recovery key and keep it in the credential store"
    )
    _common(recover, acting=False)
    recover.add_argument("--recovery-key-stdin", action="store_true")
    recover.set_defaults(run=cmd_recover)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run one command; returns the exit status."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(stdout)
        return EXIT_USAGE
    ctx = _Context(args, stdin, stdout)
    try:
        args.run(ctx)
    except ValidationError as exc:
        print(f"clinic-app: {exc.message}", file=stderr)
        return EXIT_ERROR
    except ClinicError as exc:
        print(f"clinic-app: {exc.message}", file=stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("clinic-app: stopped; nothing was changed.", file=stderr)
        return EXIT_ERROR
    except Exception:
        where = _log_crash()
        print(
            "clinic-app: something unexpected went wrong and nothing was changed. "
            f"Details for support are in {where}.",
            file=stderr,
        )
        return EXIT_BUG
    return 0


def _log_crash() -> Path:
    """Log the traceback (which holds no patient data: messages carry ids only)."""
    directory = config.log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "clinic-app.log"
    kind, _value, tb = sys.exc_info()
    frames = traceback.extract_tb(tb)
    where = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in frames)
    name = "unknown" if kind is None else f"{kind.__module__}.{kind.__qualname__}"
    # The message itself is left out: it may quote clinical text.
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{datetime.now(UTC).isoformat()} unexpected error {name}\n{where}\n")
    return path
