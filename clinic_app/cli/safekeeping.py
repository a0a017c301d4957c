"""Keeping the database safe: a verified backup, a restore from one, and the recovery key.

``backup`` and ``restore`` are for administrators; ``recover`` takes the recovery key shown
by ``init`` and keeps the database key in the credential store again.
"""

from __future__ import annotations

import getpass
import shutil
import sys
import tempfile
from pathlib import Path

from clinic_app.cli.common import CommandError, Commands, Context, add_command, add_common_options
from clinic_app.errors import (
    CorruptDatabase,
    DatabaseMissing,
    DatabaseRolledBack,
    NotADatabase,
    WrongKey,
)
from clinic_app.models import StaffUser
from clinic_app.models.enums import Role
from clinic_app.services import audit, safekeeping
from clinic_app.services.common import StaffRef
from clinic_app.storage import engine
from clinic_app.storage.keys import key_from_recovery


def _not_at_a_site(ctx: Context) -> None:
    """At a site backups are the trust's PostgreSQL backups: say so, plainly."""
    if ctx.site() is not None:
        from clinic_app.services.site import BACKUP_MESSAGE  # noqa: PLC0415

        raise CommandError(BACKUP_MESSAGE)


def cmd_backup(ctx: Context) -> None:
    _not_at_a_site(ctx)
    out: Path = ctx.args.out
    if out.exists():
        raise CommandError(f"{out} already exists; choose a new file name for the backup.")
    with ctx.database() as database, database.writing() as session:
        # Signed in within the unit of work that records the backup: a refused or failed
        # backup writes nothing, its sign-in event included.
        me = ctx.acting(session)
        if me.role is not Role.ADMINISTRATOR:
            raise CommandError("Only an administrator may make backups.")
        key = ctx.key_store().get(ctx.db_path)
        safekeeping.make_backup(session, me, database.engine, key, out)
        session.commit()
    ctx.say(f"Backed up the database to {out} (encrypted with the same key, and verified).")


def cmd_restore(ctx: Context) -> None:
    _not_at_a_site(ctx)
    source: Path = ctx.args.file
    store = ctx.key_store()
    key = store.get(ctx.db_path)
    try:
        with ctx.database() as database, database.writing() as session:
            # Not committed: the database is about to be replaced, and a refused restore
            # must leave it exactly as it was (a wrong password still counts, in sign_in).
            me = ctx.acting(session)
    except (CorruptDatabase, NotADatabase, DatabaseMissing, WrongKey, DatabaseRolledBack):
        # The database to be replaced cannot be read, or is not the one this computer last
        # saw (the usual reasons to restore; damage to its first page looks like a wrong
        # key): the administrator signs in with their account as the backup holds it, once
        # the backup is shown to open with this key.
        me = _sign_in_to_backup(ctx, source, key)
    if me.role is not Role.ADMINISTRATOR:
        raise CommandError("Only an administrator may restore a backup.")
    kept = engine.restore_database(
        source, ctx.db_path, key, keep_dir=ctx.backups_dir(), key_store=store
    )
    restored = engine.open_database(ctx.db_path, key, backup_dir=ctx.backups_dir(), key_store=store)
    try:
        with restored.transaction() as session:
            # The restored database may predate the account that restored it.
            same = session.get(StaffUser, me.id)
            actor = me.id if same is not None and same.username == me.username else None
            audit.record(session, audit.Action.RESTORE, actor_id=actor)
    finally:
        restored.close()
    ctx.say(f"Restored the database from {source}; the database it replaced was kept at {kept}.")


def _sign_in_to_backup(ctx: Context, source: Path, key: bytes) -> StaffRef:
    """Check the password against a scratch copy of the backup (the backup is not touched)."""
    engine.verify_file(source, key)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "backup.db"
        shutil.copyfile(source, copy)
        # A scratch copy, thrown away afterwards: it has no integrity anchor to keep.
        database = engine.open_database(copy, key, migrate=False)
        try:
            with database.writing() as session:
                return ctx.acting(session)
        finally:
            database.close()


def cmd_recover(ctx: Context) -> None:
    path = ctx.db_path
    text = (
        ctx.input.line("the recovery key")
        if ctx.args.recovery_key_stdin or not sys.stdin.isatty()
        else getpass.getpass("Recovery key: ")
    )
    key = key_from_recovery(text)
    store = ctx.key_store()
    # The administrator who holds the recovery key decides that this database, as it now
    # is, is the one to carry on with: it becomes this computer's reference.
    engine.accept_database(path, key, store)
    database = engine.open_database(path, key, backup_dir=ctx.backups_dir(), key_store=store)
    try:
        with database.transaction() as session:
            audit.record(session, audit.Action.RECOVER, actor_id=None)
        store.put(path, key)
    finally:
        database.close()
    ctx.say(f"The recovery key opens {path}; its key is now kept in {store.describe()}.")


def register(commands: Commands) -> None:
    """Add ``backup``, ``restore`` and ``recover``."""
    backup = add_command(commands, "backup")
    add_common_options(backup)
    backup.add_argument("--out", type=Path, required=True)
    backup.set_defaults(run=cmd_backup)

    restore = add_command(commands, "restore")
    add_common_options(restore)
    restore.add_argument("file", type=Path)
    restore.set_defaults(run=cmd_restore)

    recover = add_command(commands, "recover")
    add_common_options(recover, acting=False)
    recover.add_argument("--recovery-key-stdin", action="store_true")
    recover.set_defaults(run=cmd_recover)
