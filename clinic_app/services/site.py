"""Setting up a site (a team's shared record on PostgreSQL) and pointing workstations at it.

``init_site`` is run once by an administrator with an *owner* connection: the role that
owns the schema and runs migrations, which the application never signs in with
afterwards. In one transaction (PostgreSQL's DDL is transactional: all of it or nothing)
it brings the schema to the newest migration, creates the group roles, row-level
security and column privileges (``services.site_security``), and the first
administrator: their staff account and their own login role, whose password is sent to
the server only as a SCRAM-SHA-256 verifier computed on this computer.

``connect_workstation`` writes the site setting (host, port, database, TLS mode, CA file;
never a password) for this user or for the whole machine.

``signed_in_staff`` names the member of staff the server knows is connected: in site mode
the database, not the client, says who is acting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, ClinicError, ValidationError
from clinic_app.models import StaffUser
from clinic_app.models.enums import Role
from clinic_app.services import audit, staff
from clinic_app.services.common import StaffRef
from clinic_app.services.site_security import GROUP_ROLES, apply_security
from clinic_app.storage import migrations
from clinic_app.storage import site as site_storage
from clinic_app.storage.site import SiteSettings

log = logging.getLogger(__name__)


BACKUP_MESSAGE = (
    "This computer uses a site: the record lives on the trust's PostgreSQL server, so its "
    "backups are the trust's own PostgreSQL backups (pg_dump, or base backups with the "
    "write-ahead log archived), encrypted, kept away from the server and restored as a "
    "test on a schedule by the trust's IT service. clinic-app makes no backup file of a "
    "site and restores none; a workstation's 'backup' and 'restore' do not apply. The IT "
    "guide (docs/site-mode.md, 'Backups') says how."
)


class SiteError(ClinicError):
    """A site could not be set up or used as asked."""


@dataclass(frozen=True)
class SiteCreated:
    """What ``init_site`` made."""

    database: str
    revision: str
    administrator: str
    groups: tuple[str, ...]


def _scram_verifier(conn: Connection, username: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of a password, computed here by libpq."""
    raw = conn.connection.dbapi_connection
    pgconn = getattr(raw, "pgconn", None)
    if pgconn is None:
        raise SiteError("A site needs the PostgreSQL driver (psycopg).")
    verifier = pgconn.encrypt_password(password.encode(), username.encode(), b"scram-sha-256")
    return bytes(verifier).decode("ascii")


def create_login_role(conn: Connection, username: str, password: str, role: Role) -> None:
    """Create a member of staff's own login role in their group (administrator or owner).

    Through ``clinic_create_login`` (``services.site_security``), which creates staff roles
    and nothing else; the password travels only as a SCRAM-SHA-256 verifier.
    """
    conn.execute(
        text("SELECT clinic_create_login(:name, :verifier, :grp)"),
        {
            "name": username,
            "verifier": _scram_verifier(conn, username, password),
            "grp": GROUP_ROLES[role],
        },
    )


def init_site(
    owner: Engine,
    username: str,
    password: str,
    *,
    display_name: str = "",
) -> SiteCreated:
    """Create a site's schema, roles and security, and its first administrator.

    Refused (nothing changed) when the database already has accounts.
    """
    if owner.dialect.name != "postgresql":
        raise SiteError("A site is a PostgreSQL database; this connection is not one.")
    with owner.begin() as conn:
        migrations.upgrade_on(conn)
        apply_security(conn)
        session = Session(bind=conn)
        if session.scalar(select(func.count()).select_from(StaffUser)):
            raise AccessDenied("This site already has accounts; nothing has been changed.")
        first = staff.create_first_admin(session, username, password, display_name=display_name)
        create_login_role(conn, first.username, password, Role.ADMINISTRATOR)
        revision = migrations.current_revision(conn) or ""
        database = str(conn.execute(text("SELECT current_database()")).scalar())
    log.info("site created at revision %s", revision)
    return SiteCreated(database, revision, first.username, tuple(GROUP_ROLES.values()))


def upgrade_site(owner: Engine) -> str:
    """Bring an existing site to the newest migration and re-apply its security.

    Owner connection, one transaction. The security is generated from the models of this
    version, so a table or column added by the upgrade is covered at once. Returns the
    schema revision reached.
    """
    if owner.dialect.name != "postgresql":
        raise SiteError("A site is a PostgreSQL database; this connection is not one.")
    with owner.begin() as conn:
        if migrations.current_revision(conn) is None:
            raise SiteError(
                "This database has not been set up as a site; run 'clinic-app site init'."
            )
        migrations.check_known(migrations.current_revision(conn))
        migrations.upgrade_on(conn)
        apply_security(conn)
        revision = migrations.current_revision(conn) or ""
    log.info("site upgraded to revision %s", revision)
    return revision


def add_site_account(
    session: Session,
    by: StaffRef,
    username: str,
    *,
    role: Role,
    password: str,
    display_name: str = "",
) -> StaffRef:
    """Add a member of staff and their own login role, in their group."""
    row = add_user(session, by, username, role=role, password=password, display_name=display_name)
    return StaffRef(row.id, row.username, row.display_name, row.role)


# Accounts at a site: the same rules, checks and audit events as ``services.staff`` (each
# function below calls its namesake there first), and the login role follows: created in
# its group, re-passworded, disabled or enabled, moved to another group. Each takes the
# same arguments as its namesake, so the command line and the administration screen pick
# one set or the other by the store's kind and nothing else.


def add_user(
    session: Session,
    by: StaffRef,
    username: str,
    *,
    role: Role,
    password: str,
    display_name: str = "",
    job_title: str = "",
    contact: str = "",
) -> staff.StaffRow:
    """Add a member of staff and their own login role (they choose their own password at
    their first sign-in). The staff account keeps an Argon2 hash too, which no staff role
    can read."""
    row = staff.add_user(
        session,
        by,
        username,
        role=role,
        password=password,
        display_name=display_name,
        job_title=job_title,
        contact=contact,
    )
    create_login_role(session.connection(), row.username, password, role)
    return row


def disable_user(session: Session, by: StaffRef, username: str) -> staff.StaffRow:
    """Disable an account and its login role: it can no longer connect to the site."""
    row = staff.disable_user(session, by, username)
    session.execute(text("SELECT clinic_set_login_enabled(:name, false)"), {"name": row.username})
    return row


def enable_user(session: Session, by: StaffRef, username: str) -> staff.StaffRow:
    """Let a disabled account's login role connect again."""
    row = staff.enable_user(session, by, username)
    session.execute(text("SELECT clinic_set_login_enabled(:name, true)"), {"name": row.username})
    return row


def unlock_user(session: Session, by: StaffRef, username: str) -> staff.StaffRow:
    """End a lockout: the sign-in gate reads the account's own lock, which this clears."""
    return staff.unlock_user(session, by, username)


def reset_password(
    session: Session, by: StaffRef, username: str, new_password: str
) -> staff.StaffRow:
    """Set a temporary password on a member of staff's login role (they choose their own
    at their next sign-in; a lockout ends)."""
    row = staff.reset_password(session, by, username, new_password)
    conn = session.connection()
    session.execute(
        text("SELECT clinic_set_login_password(:name, :verifier)"),
        {"name": row.username, "verifier": _scram_verifier(conn, row.username, new_password)},
    )
    return row


def change_role(session: Session, by: StaffRef, username: str, role: Role) -> staff.StaffRow:
    """Change what an account may do: its login role moves to that group alone."""
    row = staff.change_role(session, by, username, role)
    session.execute(
        text("SELECT clinic_set_login_group(:name, :grp)"),
        {"name": row.username, "grp": GROUP_ROLES[role]},
    )
    return row


def disable_site_account(session: Session, by: StaffRef, username: str) -> None:
    """Disable an account and its login role (as :func:`disable_user`)."""
    disable_user(session, by, username)


def reset_site_password(session: Session, by: StaffRef, username: str, password: str) -> None:
    """An administrator sets a new password on a member of staff's login role."""
    reset_password(session, by, username, password)


def change_own_password(
    session: Session,
    me: StaffRef,
    settings: SiteSettings,
    current: str,
    new: str,
) -> None:
    """A member of staff changes their own login role's password.

    The current password is checked by the server (a second connection through the
    sign-in gate, so a wrong one counts towards lockout); the new one reaches the server
    only as a SCRAM-SHA-256 verifier, and the account no longer has to change it.
    """
    site_storage.check_password(settings, me.username, current)
    if problem := staff.password_problem(new, username=me.username):
        raise ValidationError(problem, where="new password")
    if new == current:
        raise ValidationError("The new password must differ from the current one.")
    conn = session.connection()
    session.execute(
        text("SELECT clinic_set_own_password(:verifier)"),
        {"verifier": _scram_verifier(conn, me.username, new)},
    )
    audit.record(
        session,
        audit.Action.PASSWORD_CHANGED,
        actor_id=me.id,
        entity="staff_user",
        entity_id=me.id,
    )


def connect_workstation(settings: SiteSettings, *, machine: bool = False) -> Path:
    """Point this user (or, with ``machine``, every user of this computer) at a site.

    The setting is checked first (a weaker TLS mode needs ``allow_weaker_tls``, and is
    logged); nothing is written when it is refused.
    """
    path = site_storage.machine_settings_path() if machine else site_storage.user_settings_path()
    if settings.sslmode != site_storage.STRONG_TLS and settings.allow_weaker_tls:
        log.warning(
            "an administrator chose the weaker TLS mode %s for a site connection",
            settings.sslmode,
        )
    return site_storage.write_settings(settings, path)


def signed_in_staff(session: Session) -> StaffRef:
    """The member of staff whose own PostgreSQL role this connection is signed in as."""
    row = session.execute(
        select(
            StaffUser.id,
            StaffUser.username,
            StaffUser.display_name,
            StaffUser.role,
            StaffUser.must_change_password,
        ).where(StaffUser.id == func.clinic_staff_id())
    ).first()
    if row is None:
        raise AccessDenied(
            "This database account is not a member of staff of this site, or the account "
            "has been disabled. Ask an administrator."
        )
    return StaffRef(row.id, row.username, row.display_name, row.role, row.must_change_password)


def record_sign_in(session: Session, me: StaffRef) -> None:
    """Audit a sign-in at a site (the server has already checked the password)."""
    audit.record(session, audit.Action.LOGIN, actor_id=me.id)
