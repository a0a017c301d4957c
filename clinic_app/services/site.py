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
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef
from clinic_app.services.site_security import GROUP_ROLES, apply_security
from clinic_app.storage import migrations
from clinic_app.storage import site as site_storage
from clinic_app.storage.site import SiteSettings

log = logging.getLogger(__name__)


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
    """Add a member of staff and their own login role, in their group (owner connection).

    The staff account keeps its password hash too, which no staff role can read: the
    services still check it when a note is signed, until re-authentication at a site is
    done by the server.
    """
    row = staff.add_user(
        session, by, username, role=role, password=password, display_name=display_name
    )
    create_login_role(session.connection(), row.username, password, role)
    return StaffRef(row.id, row.username, row.display_name, row.role)


def disable_site_account(session: Session, by: StaffRef, username: str) -> None:
    """Disable an account and its login role: it can no longer connect to the site."""
    row = staff.disable_user(session, by, username)
    session.execute(text("SELECT clinic_set_login_enabled(:name, false)"), {"name": row.username})


def reset_site_password(session: Session, by: StaffRef, username: str, password: str) -> None:
    """An administrator sets a new password on a member of staff's login role."""
    require_role(by, Role.ADMINISTRATOR, action="reset passwords")
    name = staff.normalise_username(username)
    problem = staff.password_problem(password, username=name)
    if problem:
        raise ValidationError(problem)
    conn = session.connection()
    session.execute(
        text("SELECT clinic_set_login_password(:name, :verifier)"),
        {"name": name, "verifier": _scram_verifier(conn, name, password)},
    )
    account = session.scalar(select(StaffUser.id).where(StaffUser.username == name))
    audit.record(
        session,
        audit.Action.PASSWORD_CHANGED,
        actor_id=by.id,
        entity="staff_user",
        entity_id=account,
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
