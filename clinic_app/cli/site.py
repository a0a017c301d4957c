"""``site``: set up a team's shared record on PostgreSQL, and point workstations at it.

``site init`` is run once, by an administrator, with an owner connection (the role that
owns the schema; the application never signs in with it afterwards). The owner's
password is the first line of standard input with ``--password-stdin``, the first
administrator's new password the second.

``site upgrade`` (owner connection again) runs the migrations of a newer clinic-app and
re-applies the generated security, so new tables and columns are covered at once.

``site import`` copies a whole workstation database (``--from``, opened with its key as
any command opens one, and signed into by one of its administrators with ``--user``) into
a site, on the owner's connection, all or nothing: standard input gives the owner's
password first, then the administrator's.

``site connect`` writes this user's (or, with ``--machine``, this computer's) site
setting: host, port, database, TLS mode and CA file. Never a password. ``verify-full`` is
the default; anything weaker needs ``--allow-weaker-tls``, and the choice is logged.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy.orm import Session

from clinic_app.cli.common import CommandError, Commands, Context, add_command
from clinic_app.services import site
from clinic_app.storage import site as site_storage
from clinic_app.storage.site import SiteSettings
from clinic_app.wording import counted


def _settings(ctx: Context) -> SiteSettings:
    args = ctx.args
    return SiteSettings(
        host=args.host,
        database=args.database,
        port=args.port,
        sslmode=args.sslmode,
        ca_file=args.ca_file,
        allow_weaker_tls=args.allow_weaker_tls,
    )


def cmd_site_init(ctx: Context) -> None:
    settings = _settings(ctx)
    settings.check()
    if not ctx.args.admin:
        raise CommandError("Name the first administrator's account with --admin NAME.")
    owner_password = ctx.secret("the owner's password", prompt=f"Password of {ctx.args.owner}: ")
    admin_password = ctx.secret(
        "the new administrator's password", prompt=f"New password for {ctx.args.admin}: "
    )
    engine = site_storage.connect_engine(settings, ctx.args.owner, owner_password)
    try:
        made = site.init_site(
            engine, ctx.args.admin, admin_password, display_name=ctx.args.admin_name or ""
        )
    finally:
        engine.dispose()
    ctx.say(
        f"Site '{made.database}' is ready (schema {made.revision}); administrator "
        f"'{made.administrator}' can sign in; staff groups: {', '.join(made.groups)}."
    )


def cmd_site_upgrade(ctx: Context) -> None:
    settings = _settings(ctx)
    settings.check()
    owner_password = ctx.secret("the owner's password", prompt=f"Password of {ctx.args.owner}: ")
    engine = site_storage.connect_engine(settings, ctx.args.owner, owner_password)
    try:
        revision = site.upgrade_site(engine)
    finally:
        engine.dispose()
    ctx.say(f"Site '{settings.database}' is at schema {revision}; its security is up to date.")


def cmd_site_import(ctx: Context) -> None:
    from clinic_app.services import site_import  # noqa: PLC0415

    settings = _settings(ctx)
    settings.check()
    source: Path = ctx.args.db
    if not source.is_file():
        raise CommandError(f"There is no workstation database at {source}.")
    owner_password = ctx.secret("the owner's password", prompt=f"Password of {ctx.args.owner}: ")
    with ctx.database() as database, database.transaction() as work:
        me = ctx.acting(work)
        engine = site_storage.connect_engine(settings, ctx.args.owner, owner_password)
        try:
            with engine.begin() as conn:
                done = site_import.import_workstation(
                    work, me, Session(bind=conn), source_name=source.name
                )
        finally:
            engine.dispose()
        site_import.record_moved(work, me, database=settings.database, host=settings.host)
    ctx.say(
        f"Copied {counted(done.clients, 'client')} ({counted(done.rows, 'row')}) and "
        f"{counted(done.audit_events, 'audit event')} from {source.name} into the site "
        f"'{settings.database}'; the workstation's trail now starts at event "
        f"{done.first_event} of the site's."
    )
    if done.staff_added:
        ctx.say(
            "Accounts added so that what they recorded keeps their name, disabled (they "
            "cannot sign in to the site; add a sign-in with 'clinic-app user add'): "
            + ", ".join(done.staff_added)
            + "."
        )
    ctx.say(
        f"Keep {source.name} unchanged as the record of what was moved, and record new "
        "work at the site only."
    )


def cmd_site_connect(ctx: Context) -> None:
    settings = _settings(ctx)
    path = site.connect_workstation(settings, machine=ctx.args.machine)
    tls = settings.sslmode
    if tls != site_storage.STRONG_TLS:
        tls += " (weaker than verify-full, by explicit choice)"
    ctx.say(
        f"This {'computer' if ctx.args.machine else 'account'} now uses the site "
        f"'{settings.database}' on {settings.host}:{settings.port}, TLS {tls}; "
        f"setting written to {path}."
    )


def _add_site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", required=True, help="the PostgreSQL server's host name")
    parser.add_argument("--port", type=int, default=site_storage.DEFAULT_PORT)
    parser.add_argument("--database", required=True, help="the site's database name")
    parser.add_argument(
        "--sslmode",
        default=site_storage.STRONG_TLS,
        choices=(site_storage.STRONG_TLS, *site_storage.WEAKER_TLS),
        help="how the server is checked (default verify-full)",
    )
    parser.add_argument("--ca-file", type=Path, help="the certificate authority's file (PEM)")
    parser.add_argument(
        "--allow-weaker-tls",
        action="store_true",
        help="accept a TLS mode weaker than verify-full (recorded in the log)",
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password(s) from standard input, one per line",
    )


def register(commands: Commands) -> None:
    """Add ``site init``, ``site upgrade``, ``site import`` and ``site connect``."""
    group = add_command(commands, "site")
    actions = group.add_subparsers(dest="site_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init", help="prepare a site's database once, with the owner's connection"
    )
    _add_site_options(init)
    init.add_argument("--owner", required=True, help="the role that owns the site's schema")
    init.add_argument("--admin", help="the first administrator's account name")
    init.add_argument("--admin-name", help="the first administrator's full name")
    init.set_defaults(run=cmd_site_init)
    upgrade = actions.add_parser(
        "upgrade", help="bring a site to this version's schema and security (owner)"
    )
    _add_site_options(upgrade)
    upgrade.add_argument("--owner", required=True, help="the role that owns the site's schema")
    upgrade.set_defaults(run=cmd_site_upgrade)
    moving = actions.add_parser(
        "import", help="copy a whole workstation database into a site, all or nothing (owner)"
    )
    _add_site_options(moving)
    moving.add_argument("--owner", required=True, help="the role that owns the site's schema")
    moving.add_argument(
        "--from", dest="db", type=Path, required=True, help="the workstation database file"
    )
    moving.add_argument(
        "--key-file", type=Path, help="the workstation database's key file, if it has one"
    )
    moving.add_argument("--user", required=True, help="an administrator of that database")
    moving.set_defaults(run=cmd_site_import)
    connect = actions.add_parser("connect", help="point this workstation at a site")
    _add_site_options(connect)
    connect.add_argument(
        "--machine",
        action="store_true",
        help="for every user of this computer (the machine-wide setting)",
    )
    connect.set_defaults(run=cmd_site_connect)
