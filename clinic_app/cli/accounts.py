"""A new database with its first administrator, and the staff accounts that use it.

``init`` creates the encrypted database and shows its recovery key once; ``user`` adds,
lists, disables and unlocks staff accounts (administrators). At a site (``site connect``)
the same commands sign in as ``--user``'s own login role and manage login roles and their
groups too (``services.site``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinic_app.cli.common import (
    CommandError,
    Commands,
    Context,
    act_as_user,
    add_command,
    add_common_options,
)
from clinic_app.errors import ValidationError
from clinic_app.models.enums import Role
from clinic_app.services import site, staff
from clinic_app.services.common import StaffRef
from clinic_app.storage import engine
from clinic_app.storage.keys import generate_key, recovery_key_from

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def cmd_init(ctx: Context) -> None:
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


def cmd_user_add(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        password = ctx.secret("the new account's password", prompt="New account's password: ")
        add = site.add_user if ctx.at_site else staff.add_user
        row = add(
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

    act_as_user(ctx, work)


def cmd_user_list(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        rows = staff.list_users(session, me)
        for row in rows:
            state = "disabled" if row.disabled else "active"
            ctx.say(f"{row.username}\t{row.role.value}\t{state}\t{row.display_name}")

    act_as_user(ctx, work)


def cmd_user_disable(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        disable = site.disable_user if ctx.at_site else staff.disable_user
        row = disable(session, me, ctx.args.name)
        ctx.say(f"Disabled the account '{row.username}'; its records stay attributed to it.")

    act_as_user(ctx, work)


def cmd_user_unlock(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        unlock = site.unlock_user if ctx.at_site else staff.unlock_user
        row = unlock(session, me, ctx.args.name)
        ctx.say(f"Unlocked the account '{row.username}'; it can sign in again now.")

    act_as_user(ctx, work)


def cmd_user_enable(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        enable = site.enable_user if ctx.at_site else staff.enable_user
        row = enable(session, me, ctx.args.name)
        ctx.say(f"Enabled the account '{row.username}'; it can sign in again.")

    act_as_user(ctx, work)


def cmd_user_reset(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        password = ctx.secret("the temporary password", prompt="Temporary password: ")
        reset = site.reset_password if ctx.at_site else staff.reset_password
        row = reset(session, me, ctx.args.name, password)
        ctx.say(
            f"Reset the password of '{row.username}'; they choose their own at their next sign-in."
        )

    act_as_user(ctx, work)


def cmd_user_role(ctx: Context) -> None:
    def work(session: Session, me: StaffRef) -> None:
        change = site.change_role if ctx.at_site else staff.change_role
        row = change(session, me, ctx.args.name, Role(ctx.args.role))
        ctx.say(f"The account '{row.username}' is now {row.role.value}.")

    act_as_user(ctx, work)


def cmd_password_change(ctx: Context) -> None:
    """Change one's own password: the current one first, then the new one.

    The one command an account whose password an administrator set may run; the sign-in
    and the change are kept together, or neither is.
    """
    if not ctx.args.user:
        raise CommandError("Say whose password is changing with --user NAME.")
    current = ctx.password()
    with ctx.database() as database, database.writing() as session:
        me = ctx.sign_in(session, current)
        new = ctx.secret("the new password", prompt="New password: ")
        if not ctx.args.password_stdin and new != ctx.secret(
            "the new password again", prompt="New password again: "
        ):
            raise ValidationError("The two new passwords differ; nothing was changed.")
        where = ctx.site()
        if ctx.at_site and where is not None:
            site.change_own_password(session, me, where, current, new)
        else:
            staff.change_password(session, me, current, new)
        session.commit()
    ctx.say(f"Changed the password of '{me.username}'.")


def register(commands: Commands) -> None:
    """Add ``init``, ``user`` (add, list, disable, unlock, enable, reset, role) and
    ``password change``."""
    init = add_command(commands, "init")
    add_common_options(init, acting=False)
    init.add_argument("--admin", required=True, help="username of the first administrator")
    init.add_argument("--display-name", default="", help="the administrator's full name")
    init.set_defaults(run=cmd_init)

    user = add_command(commands, "user")
    users = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = users.add_parser("add", help="add an account (its password follows yours on stdin)")
    add_common_options(add)
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--display-name", default="")
    add.add_argument("--job-title", default="")
    add.add_argument("--contact", default="")
    add.set_defaults(run=cmd_user_add)
    listing = users.add_parser("list", help="list accounts")
    add_common_options(listing)
    listing.set_defaults(run=cmd_user_list)
    disable = users.add_parser("disable", help="stop an account signing in")
    add_common_options(disable)
    disable.add_argument("name")
    disable.set_defaults(run=cmd_user_disable)
    unlock = users.add_parser("unlock", help="end a lockout after too many wrong passwords")
    add_common_options(unlock)
    unlock.add_argument("name")
    unlock.set_defaults(run=cmd_user_unlock)
    enable = users.add_parser("enable", help="let a disabled account sign in again")
    add_common_options(enable)
    enable.add_argument("name")
    enable.set_defaults(run=cmd_user_enable)
    reset = users.add_parser(
        "reset",
        help="set a temporary password (it follows yours on stdin); they choose their own next",
    )
    add_common_options(reset)
    reset.add_argument("name")
    reset.set_defaults(run=cmd_user_reset)
    role = users.add_parser("role", help="change what an account may do")
    add_common_options(role)
    role.add_argument("name")
    role.add_argument("role", choices=[r.value for r in Role])
    role.set_defaults(run=cmd_user_role)

    password = add_command(commands, "password")
    passwords = password.add_subparsers(dest="password_command", metavar="ACTION", required=True)
    change = passwords.add_parser(
        "change",
        help="change your password (with --password-stdin: the current one, then the new one)",
    )
    add_common_options(change)
    change.set_defaults(run=cmd_password_change)
