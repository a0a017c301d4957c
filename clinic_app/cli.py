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
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from clinic_app import __version__, config
from clinic_app.errors import (
    AuthError,
    ClinicError,
    CorruptDatabase,
    DatabaseMissing,
    NotADatabase,
    ValidationError,
    WrongKey,
)
from clinic_app.models import StaffUser
from clinic_app.models.enums import Role
from clinic_app.reports.wording import counted
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


def cmd_user_unlock(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        row = staff.unlock_user(session, me, ctx.args.name)
        ctx.say(f"Unlocked the account '{row.username}'; it can sign in again now.")

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
                f"The audit trail does not verify: {counted(len(report.findings), 'problem')} "
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
        for text_row in settings.list_text_settings(session, me):
            ctx.say(
                f"{text_row.key}\t{text_row.value}\t(text, default "
                f"{text_row.default!r})\t{text_row.title}"
            )

    _acting(ctx, work)


def cmd_setting_set(ctx: _Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        row = settings.change_setting(session, me, ctx.args.key, ctx.args.value)
        ctx.say(f"{row.title}: now {row.value}.")

    _acting(ctx, work)


def cmd_measure_list(ctx: _Context) -> None:
    from clinic_app.services import measures  # noqa: PLC0415 - loads the definitions

    def work(session: Session, me: StaffRef) -> None:
        for row in measures.list_definitions(session, me):
            state = "offered" if row.active else "no longer offered"
            ctx.say(
                f"{row.measure_id}\tversion {row.version}\t{row.origin.value}\t{state}\t"
                f"{row.title}\t{row.licence}"
            )

    _acting(ctx, work)


def cmd_measure_import(ctx: _Context) -> None:
    from clinic_app.services import measures  # noqa: PLC0415

    source: Path = ctx.args.file
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"There is no file at {source}.") from None
    except (OSError, UnicodeDecodeError):
        raise CommandError(f"{source} cannot be read as a UTF-8 text file.") from None

    def work(session: Session, me: StaffRef) -> None:
        row = measures.import_definition(session, me, text)
        ctx.say(
            f"Imported version {row.version} of '{row.measure_id}' ({row.title}, "
            f"{row.item_count} items); its SHA-256 is {row.content_sha256}."
        )

    _acting(ctx, work)


def cmd_measure_cutoff(ctx: _Context) -> None:
    from clinic_app.services import measures  # noqa: PLC0415

    def show(row: measures.CutoffSetting) -> str:
        chosen = "set by an administrator" if row.overridden else "the definition's"
        return (
            f"{row.measure_id}\t{row.label}: {row.value:g} ({chosen}; allowed "
            f"{row.minimum:g} to {row.maximum:g}, default {row.default_value:g})"
        )

    def work(session: Session, me: StaffRef) -> None:
        if ctx.args.measure is None:
            for row in measures.cutoff_settings(session, me):
                ctx.say(show(row))
            return
        value: float | None = None
        if not ctx.args.default:
            if ctx.args.value is None:
                raise CommandError(
                    "Give the new cut-off, or --default to restore the definition's."
                )
            try:
                value = float(ctx.args.value)
            except ValueError:
                raise ValidationError(
                    f"'{ctx.args.value}' is not a number.", where="cutoff"
                ) from None
        ctx.say(show(measures.set_cutoff(session, me, ctx.args.measure, value)))

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
    key = ctx.key_store().get(ctx.db_path)
    try:
        with ctx.database() as database:
            me = ctx.sign_in(database)
    except (CorruptDatabase, NotADatabase, DatabaseMissing, WrongKey):
        # The database to be replaced cannot be read (the usual reason to restore; damage
        # to its first page looks like a wrong key): the administrator signs in with their
        # account as the backup holds it, once the backup is shown to open with this key.
        me = _sign_in_to_backup(ctx, source, key)
    if me.role is not Role.ADMINISTRATOR:
        raise CommandError("Only an administrator may restore a backup.")
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


def _sign_in_to_backup(ctx: _Context, source: Path, key: bytes) -> StaffRef:
    """Check the password against a scratch copy of the backup (the backup is not touched)."""
    engine.verify_file(source, key)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "backup.db"
        shutil.copyfile(source, copy)
        database = engine.open_database(copy, key, migrate=False)
        try:
            return ctx.sign_in(database)
        finally:
            database.close()


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


def cmd_self_test(ctx: _Context) -> None:
    from clinic_app import selftest  # noqa: PLC0415 - Qt is loaded only in its child process

    report = selftest.run()
    for line in report.lines():
        ctx.say(line)
    if not report.ok:
        names = ", ".join(check.name for check in report.failed)
        raise ClinicError(f"this installation is not complete: {names} (see the report above).")


# -- partner summaries, risk notices, the disclosure register, audiences (S1) ------------------

CALDICOTT_QUESTIONS = ("necessary", "minimum", "relevant", "accurate")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date; write it as YYYY-MM-DD (e.g. 2026-03-31)"
        ) from None


def _sharing_decision(ctx: _Context) -> Any:
    """The sharing decision from the flags; every Caldicott question must be named."""
    from clinic_app.models.enums import Gateway  # noqa: PLC0415
    from clinic_app.services.sharing.disclosures import (  # noqa: PLC0415
        CaldicottConfirmation,
        SharingDecision,
    )

    confirmed = {
        part.strip().lower()
        for value in (ctx.args.caldicott or [])
        for part in value.split(",")
        if part.strip()
    }
    unknown = sorted(confirmed - set(CALDICOTT_QUESTIONS))
    if unknown:
        raise CommandError(
            f"--caldicott takes {', '.join(CALDICOTT_QUESTIONS)}; not {', '.join(unknown)}."
        )
    missing = [q for q in CALDICOTT_QUESTIONS if q not in confirmed]
    if missing:
        raise CommandError(
            "Confirm every Caldicott question before sharing (necessary, minimum, relevant, "
            f"accurate) with --caldicott; not yet confirmed: {', '.join(missing)}. Nothing "
            "was written or logged."
        )
    if ctx.args.client_informed == (ctx.args.client_not_informed_reason is not None):
        raise CommandError(
            "Say whether the client was told: --client-informed, or "
            "--client-not-informed-reason TEXT. Nothing was written or logged."
        )
    return SharingDecision(
        recipient_agency=ctx.args.recipient,
        recipient_person=ctx.args.recipient_person,
        purpose=ctx.args.purpose,
        gateway=Gateway(ctx.args.gateway),
        client_informed=bool(ctx.args.client_informed),
        client_not_informed_reason=ctx.args.client_not_informed_reason or "",
        caldicott=CaldicottConfirmation(True, True, True, True),
    )


def _refuse_existing(out: Path) -> None:
    if out.exists():
        raise CommandError(f"{out} already exists; choose a new file name. Nothing was written.")
    if not out.parent.is_dir():
        raise CommandError(f"There is no folder {out.parent}. Nothing was written.")


def _show_hits(ctx: _Context, draft: Any) -> None:
    for hit in draft.unresolved:
        ctx.say(
            f"warning: {hit.explanation} ...{hit.before}[{hit.term}]{hit.after}"
            if hit.before or hit.after
            else f"warning: {hit.explanation}"
        )
    for note in draft.notes:
        ctx.say(f"note: {note}")


def _unresolved_error(draft: Any) -> CommandError:
    count = len(draft.unresolved)
    return CommandError(
        f"The wording check found {counted(count, 'term')} that may be clinical or name a third "
        "party (listed above). Edit the wording in the record, or give --accept-warnings "
        "if each is needed and fine to share. Nothing was written or logged."
    )


def cmd_summary(ctx: _Context) -> None:
    from clinic_app.services.sharing import documents, drafts  # noqa: PLC0415

    out: Path = ctx.args.out
    _refuse_existing(out)
    decision = _sharing_decision(ctx)

    def work(session: Session, me: StaffRef) -> None:
        client = client_by_ref(session, ctx.args.client)
        draft = drafts.prepare_partner_summary(
            session,
            me,
            client.id,
            audience=ctx.args.audience,
            period_from=ctx.args.period_from,
            period_to=ctx.args.period_to,
        )
        _show_hits(ctx, draft)
        if draft.unresolved and not ctx.args.accept_warnings:
            raise _unresolved_error(draft)
        result = documents.export_partner_summary(
            session, me, draft, decision, out, accept_warnings=ctx.args.accept_warnings
        )
        accepted = (
            f" Accepted as they were: {counted(result.warnings_accepted, 'wording warning')};"
            " this is recorded."
            if result.warnings_accepted
            else ""
        )
        ctx.say(
            f"Wrote the {draft.content.audience_title} summary for {client.local_ref} to {out} "
            f"(document {result.disclosure.document_id}, SHA-256 {result.sha256}); it is in "
            f"the disclosure register.{accepted}"
        )

    _acting(ctx, work)


def cmd_risk_notice(ctx: _Context) -> None:
    from clinic_app.services.sharing import documents, drafts  # noqa: PLC0415

    out: Path = ctx.args.out
    _refuse_existing(out)
    decision = _sharing_decision(ctx)

    def work(session: Session, me: StaffRef) -> None:
        draft = drafts.prepare_risk_notice(session, me, ctx.args.event, audience=ctx.args.audience)
        _show_hits(ctx, draft)
        if draft.unresolved and not ctx.args.accept_warnings:
            raise _unresolved_error(draft)
        result = documents.export_risk_notice(
            session, me, draft, decision, out, accept_warnings=ctx.args.accept_warnings
        )
        accepted = (
            f" Accepted as they were: {counted(result.warnings_accepted, 'wording warning')};"
            " this is recorded."
            if result.warnings_accepted
            else ""
        )
        ctx.say(
            f"Wrote the urgent risk notification to {out} (document "
            f"{result.disclosure.document_id}, SHA-256 {result.sha256}); it is in the "
            f"disclosure register.{accepted}"
        )

    _acting(ctx, work)


def cmd_register_list(ctx: _Context) -> None:
    from clinic_app.services.sharing import disclosures  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        if ctx.args.client:
            rows = disclosures.register_for_client(
                session, me, client_by_ref(session, ctx.args.client).id
            )
        else:
            rows = disclosures.register_for_service(session, me)
        if not rows:
            ctx.say("The register has no entries yet.")
        for r in rows:
            recipient = r.recipient_agency + (
                f" ({r.recipient_person})" if r.recipient_person else ""
            )
            ctx.say(
                f"{r.recorded_at:%Y-%m-%d %H:%M}\t{r.client_ref or '-'}\t{r.kind_words}\t"
                f"{r.audience}\t{recipient}\t{r.gateway.value if r.gateway else '-'}\t"
                f"{r.decided_by_name}\t{r.document_id}\t{r.document_sha256 or '-'}"
            )

    _acting(ctx, work)


def cmd_register_export(ctx: _Context) -> None:
    from clinic_app.services.sharing import disclosures  # noqa: PLC0415
    from clinic_app.services.sharing.files import write_atomically  # noqa: PLC0415

    out: Path = ctx.args.out
    _refuse_existing(out)

    def work(session: Session, me: StaffRef) -> None:
        client_id = client_by_ref(session, ctx.args.client).id if ctx.args.client else None
        text = disclosures.register_csv(session, me, client_id=client_id)
        write_atomically(out, text.encode("utf-8-sig"))
        rows = text.count("\r\n") - 1
        ctx.say(f"Wrote {rows} register entr{'y' if rows == 1 else 'ies'} to {out}.")

    _acting(ctx, work)


def _say_policy(ctx: _Context, policy: Any) -> None:
    source = "built in" if policy.built_in else "changed by an administrator"
    ctx.say(f"{policy.name}\t{policy.title}\t({source})")
    ctx.say(f"  sections: {', '.join(s.value for s in policy.sections) or 'none'}")
    ctx.say(f"  identifying fields: {', '.join(policy.identifying) or 'none'}")


def cmd_audience_list(ctx: _Context) -> None:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        for policy in audiences.list_audiences(session, me):
            _say_policy(ctx, policy)

    _acting(ctx, work)


def cmd_audience_show(ctx: _Context) -> None:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        _say_policy(ctx, audiences.audience_policy(session, me, ctx.args.name))

    _acting(ctx, work)


def cmd_audience_set(ctx: _Context) -> None:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        policy = audiences.set_audience_policy(
            session,
            me,
            ctx.args.name,
            sections=ctx.args.sections.split(","),
            fields=ctx.args.fields.split(","),
            title=ctx.args.title,
        )
        ctx.say(f"The {policy.title} audience now receives:")
        _say_policy(ctx, policy)

    _acting(ctx, work)


def cmd_audience_reset(ctx: _Context) -> None:
    from clinic_app.services.sharing import audiences  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        policy = audiences.reset_audience_policy(session, me, ctx.args.name)
        ctx.say(f"The {policy.title} audience is back to its built-in policy.")

    _acting(ctx, work)


def _sharing_arguments(parser: argparse.ArgumentParser) -> None:
    from clinic_app.models.enums import Gateway  # noqa: PLC0415
    from clinic_app.services.sharing.audiences import AUDIENCE_NAMES  # noqa: PLC0415

    parser.add_argument(
        "--audience",
        required=parser.prog.endswith("summary"),
        default="police",
        choices=AUDIENCE_NAMES,
        help="who receives it: " + ", ".join(AUDIENCE_NAMES),
    )
    parser.add_argument("--recipient", required=True, help="the recipient agency")
    parser.add_argument("--recipient-person", default="", help="the person it is addressed to")
    parser.add_argument("--purpose", required=True, help="why it is shared")
    parser.add_argument(
        "--gateway",
        required=True,
        choices=[g.value for g in Gateway],
        help="the legal gateway: " + ", ".join(g.value for g in Gateway),
    )
    told = parser.add_mutually_exclusive_group()
    told.add_argument("--client-informed", action="store_true", help="the client was told")
    told.add_argument(
        "--client-not-informed-reason", metavar="TEXT", help="why the client was not told"
    )
    parser.add_argument(
        "--caldicott",
        action="append",
        metavar="QUESTIONS",
        help="confirm the Caldicott questions, all four: necessary,minimum,relevant,accurate",
    )
    parser.add_argument(
        "--accept-warnings",
        action="store_true",
        help="share even though the wording check flagged terms (recorded in the register)",
    )
    parser.add_argument("--out", type=Path, required=True, help="the PDF file to write")


def _add_sharing_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    from clinic_app.models.enums import Gateway  # noqa: PLC0415
    from clinic_app.reports.content import Section  # noqa: PLC0415
    from clinic_app.services.sharing.audiences import AUDIENCE_NAMES  # noqa: PLC0415
    from clinic_app.services.sharing.disclosures import GATEWAY_WORDS  # noqa: PLC0415

    gateways = "\n".join(f"  {g.value:<16} {GATEWAY_WORDS[g]}" for g in Gateway)
    epilog = f"audiences: {', '.join(AUDIENCE_NAMES)}\n\ngateways:\n{gateways}"
    summary = commands.add_parser(
        "summary",
        help="write a partner-safe progress summary (PDF) and log the disclosure",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(summary)
    summary.add_argument("--client", required=True, help="the client's local case reference")
    summary.add_argument("--from", dest="period_from", type=_iso_date, required=True)
    summary.add_argument("--to", dest="period_to", type=_iso_date, required=True)
    _sharing_arguments(summary)
    summary.set_defaults(run=cmd_summary)

    notice = commands.add_parser(
        "risk-notice",
        help="write an urgent risk notification (PDF) for one risk event and log it",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(notice)
    notice.add_argument("--event", type=int, required=True, help="the risk event's number")
    _sharing_arguments(notice)
    notice.set_defaults(run=cmd_risk_notice)

    register = commands.add_parser("register", help="the disclosure register")
    register_actions = register.add_subparsers(
        dest="register_command", metavar="ACTION", required=True
    )
    reg_list = register_actions.add_parser(
        "list", help="list entries (one client's, or the service's without clinical columns)"
    )
    _common(reg_list)
    reg_list.add_argument("--client", help="the client's local case reference")
    reg_list.set_defaults(run=cmd_register_list)
    reg_export = register_actions.add_parser("export", help="write the register as CSV")
    _common(reg_export)
    reg_export.add_argument("--client", help="the client's local case reference")
    reg_export.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    reg_export.set_defaults(run=cmd_register_export)

    audience = commands.add_parser(
        "audience",
        help="what each partner audience receives (administrators change it)",
        epilog="sections: " + ", ".join(s.value for s in Section),
    )
    audience_actions = audience.add_subparsers(
        dest="audience_command", metavar="ACTION", required=True
    )
    aud_list = audience_actions.add_parser("list", help="every audience and what it receives")
    _common(aud_list)
    aud_list.set_defaults(run=cmd_audience_list)
    aud_show = audience_actions.add_parser("show", help="one audience's policy")
    _common(aud_show)
    aud_show.add_argument("name", choices=AUDIENCE_NAMES)
    aud_show.set_defaults(run=cmd_audience_show)
    aud_set = audience_actions.add_parser(
        "set",
        help="replace an audience's policy (never clinical or third-party fields)",
        epilog="sections: "
        + ", ".join(s.value for s in Section)
        + "\nfields: name, dob, nhs_number, local_ref, police_ref, address (or client.COLUMN)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(aud_set)
    aud_set.add_argument("name", choices=AUDIENCE_NAMES)
    aud_set.add_argument("--sections", required=True, help="comma-separated section names")
    aud_set.add_argument("--fields", required=True, help="comma-separated identifying fields")
    aud_set.add_argument("--title", help="how documents name the audience")
    aud_set.set_defaults(run=cmd_audience_set)
    aud_reset = audience_actions.add_parser("reset", help="go back to the built-in policy")
    _common(aud_reset)
    aud_reset.add_argument("name", choices=AUDIENCE_NAMES)
    aud_reset.set_defaults(run=cmd_audience_reset)


# -- the specialist service directory (administrators) ---------------------------------------


def _service_named(session: Session, me: StaffRef, name: str) -> Any:
    from clinic_app.services import referrals  # noqa: PLC0415

    wanted = name.strip().casefold()
    for row in referrals.service_directory(session, me):
        if row.name.casefold() == wanted:
            return row
    raise CommandError(f"There is no service called '{name.strip()}' in the directory.")


def cmd_service_list(ctx: _Context) -> None:
    from clinic_app.services import referrals  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        rows = referrals.service_directory(session, me)
        if not rows:
            ctx.say("The service directory is empty.")
        for row in rows:
            state = "in use" if row.active else "out of use"
            kind = referrals.SERVICE_KIND_WORDS[row.kind]
            days = f"{row.expected_response_days} days"
            ctx.say(f"{row.name}\t{kind}\t{days}\t{state}\t{row.snomed_concept_id or '-'}")

    _acting(ctx, work)


def cmd_service_add(ctx: _Context) -> None:
    from clinic_app.models.enums import ServiceKind  # noqa: PLC0415
    from clinic_app.services import referrals  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        row = referrals.add_service(
            session,
            me,
            name=ctx.args.name,
            kind=ServiceKind(ctx.args.kind),
            contact=ctx.args.contact or "",
            expected_response_days=ctx.args.response_days,
            snomed_concept_id=ctx.args.snomed,
        )
        ctx.say(f"Added '{row.name}' to the service directory.")

    _acting(ctx, work)


def cmd_service_update(ctx: _Context) -> None:
    from clinic_app.models.enums import ServiceKind  # noqa: PLC0415
    from clinic_app.services import referrals  # noqa: PLC0415

    def work(session: Session, me: StaffRef) -> None:
        old = _service_named(session, me, ctx.args.name)
        args = ctx.args
        row = referrals.update_service(
            session,
            me,
            old.id,
            name=old.name if args.new_name is None else args.new_name,
            kind=old.kind if args.kind is None else ServiceKind(args.kind),
            contact=old.contact if args.contact is None else args.contact,
            expected_response_days=(
                old.expected_response_days if args.response_days is None else args.response_days
            ),
            snomed_concept_id=old.snomed_concept_id if args.snomed is None else args.snomed,
        )
        if args.in_use is not None:
            row = referrals.set_service_active(session, me, row.id, active=args.in_use == "yes")
        state = "in use" if row.active else "out of use (its past referrals are kept)"
        ctx.say(f"Updated '{row.name}' in the service directory; it is {state}.")

    _acting(ctx, work)


def _add_service_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    from clinic_app.models.enums import ServiceKind  # noqa: PLC0415

    kinds = [k.value for k in ServiceKind]
    service = commands.add_parser(
        "service", help="the specialist service directory (administrators keep it)"
    )
    service_actions = service.add_subparsers(
        dest="service_command", metavar="ACTION", required=True
    )
    service_list = service_actions.add_parser("list", help="list the services")
    _common(service_list)
    service_list.set_defaults(run=cmd_service_list)
    service_add = service_actions.add_parser("add", help="add a service")
    _common(service_add)
    service_add.add_argument("name", help="the service's name")
    service_add.add_argument("--kind", required=True, choices=kinds)
    service_add.add_argument("--contact", help="address, telephone, secure email")
    service_add.add_argument(
        "--response-days", type=int, default=28, help="how long it usually takes to respond"
    )
    service_add.add_argument("--snomed", help="SNOMED CT concept id for the referral type")
    service_add.set_defaults(run=cmd_service_add)
    service_update = service_actions.add_parser(
        "update", help="change a service, or take it out of (or back into) use"
    )
    _common(service_update)
    service_update.add_argument("name", help="the service's current name")
    service_update.add_argument("--new-name")
    service_update.add_argument("--kind", choices=kinds)
    service_update.add_argument("--contact")
    service_update.add_argument("--response-days", type=int)
    service_update.add_argument("--snomed", help="the concept id ('' to remove it)")
    service_update.add_argument(
        "--in-use", choices=("yes", "no"), help="no: no new referrals (nothing is deleted)"
    )
    service_update.set_defaults(run=cmd_service_update)


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
    unlock = users.add_parser("unlock", help="end a lockout after too many wrong passwords")
    _common(unlock)
    unlock.add_argument("name")
    unlock.set_defaults(run=cmd_user_unlock)

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

    measure = commands.add_parser("measure", help="self-report measure definitions and cut-offs")
    measure_actions = measure.add_subparsers(
        dest="measure_command", metavar="ACTION", required=True
    )
    measure_list = measure_actions.add_parser("list", help="list every measure definition version")
    _common(measure_list)
    measure_list.set_defaults(run=cmd_measure_list)
    measure_import = measure_actions.add_parser(
        "import", help="add a clinic-supplied measure definition file (administrators)"
    )
    _common(measure_import)
    measure_import.add_argument("file", type=Path)
    measure_import.set_defaults(run=cmd_measure_import)
    measure_cutoff = measure_actions.add_parser(
        "cutoff", help="show, or choose within its allowed range, a measure's cut-off"
    )
    _common(measure_cutoff)
    measure_cutoff.add_argument("measure", nargs="?", help="e.g. pcl-5 (omit to list them)")
    measure_cutoff.add_argument("value", nargs="?", help="the new cut-off")
    measure_cutoff.add_argument(
        "--default", action="store_true", help="restore the definition's own cut-off"
    )
    measure_cutoff.set_defaults(run=cmd_measure_cutoff)

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

    self_test = commands.add_parser(
        "self-test", help="check that this installation has everything it needs"
    )
    self_test.set_defaults(run=cmd_self_test)
    _add_sharing_commands(commands)
    _add_service_commands(commands)
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
    except BrokenPipeError:
        # The program reading the output (e.g. `| head`) stopped early. The command did
        # its work; only what it printed was cut short.
        print(
            "clinic-app: the output was cut short because the program reading it stopped; "
            "the command itself ran to its end (its output may be incomplete).",
            file=stderr,
        )
        _quiet_stdout()
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


def _quiet_stdout() -> None:
    """Send what is still buffered for a closed pipe nowhere, so exiting does not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file descriptor (tests pass a StringIO): nothing to quiet


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
