"""Staff login roles at a site, managed by administrators through the owner's functions."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from clinic_app.models.enums import Role
from clinic_app.services import site
from tests.conftest import ADMIN_PASSWORD, SITE_OWNER, STAFF_PASSWORD

NEW_PASSWORD = "a new password 7"


def test_an_administrator_adds_resets_and_disables_a_login(fresh_site):
    admin_db = fresh_site.open_as(fresh_site.admin, ADMIN_PASSWORD)
    name = f"{fresh_site.prefix}.newbie"
    with admin_db.transaction() as session:
        me = site.signed_in_staff(session)
        added = site.add_site_account(
            session, me, name, role=Role.CLINICIAN, password=STAFF_PASSWORD
        )
    with fresh_site.raw(added) as conn:
        assert conn.execute("SELECT pg_has_role('clinician', 'MEMBER')").fetchone()[0]
        assert conn.execute("SELECT clinic_staff_id()").fetchone()[0] == added.id
    with admin_db.transaction() as session:
        site.reset_site_password(session, me, name, NEW_PASSWORD)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        fresh_site.raw(added)
    fresh_site.raw(added, NEW_PASSWORD).close()
    with admin_db.transaction() as session:
        site.disable_site_account(session, me, name)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        fresh_site.raw(added, NEW_PASSWORD)


def test_only_staff_logins_can_be_touched(fresh_site):
    nurse = fresh_site.add("nurse", Role.CLINICIAN)
    verifier = "SCRAM-SHA-256$4096:c2FsdA==$YQ==:YQ=="
    with fresh_site.raw(fresh_site.admin.username, ADMIN_PASSWORD) as admin:
        # Not the owner, nor any role that is not a member of staff's login.
        for call, args in (
            ("clinic_set_login_password(%s, %s)", (SITE_OWNER, verifier)),
            ("clinic_set_login_enabled(%s, false)", (SITE_OWNER,)),
            ("clinic_create_login(%s, %s, 'administrator')", ("intruder", verifier)),
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                admin.execute(f"SELECT {call}", args)
        with pytest.raises(psycopg.errors.InvalidPassword):
            admin.execute("SELECT clinic_set_login_password(%s, 'plain text')", (nurse.username,))
    with fresh_site.raw(nurse) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT clinic_set_login_enabled(%s, true)", (nurse.username,))


def test_no_staff_role_reads_password_hashes_yet_administrators_load_accounts(fresh_site):
    fresh_site.add("reader", Role.PSYCHOLOGIST)
    admin_db = fresh_site.open_as(fresh_site.admin, ADMIN_PASSWORD)
    with admin_db.session() as session:
        from clinic_app.services import staff

        me = site.signed_in_staff(session)
        names = [row.username for row in staff.list_users(session, me)]
        assert f"{fresh_site.prefix}.reader" in names
        with pytest.raises(Exception, match="permission denied"):
            session.execute(text("SELECT password_hash FROM staff_user"))


def test_emergency_access_from_psql_without_its_audit_event_is_refused(fresh_site):
    from datetime import timedelta

    from clinic_app.models import EmergencyAccess
    from clinic_app.models.base import utcnow
    from clinic_app.services import audit, clients
    from tests.conftest import client_details

    lead = fresh_site.add("lead", Role.PSYCHOLOGIST)
    other = fresh_site.add("other", Role.CLINICIAN)
    with fresh_site.open_as(lead).transaction() as session:
        client_id = clients.register_client(session, lead, client_details()).id
    with fresh_site.raw(other) as raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw.execute(
            "INSERT INTO emergency_access (client_id, staff_id, reason, granted_at, expires_at)"
            " VALUES (%s, %s, 'Looking without saying', now(), now() + interval '1 hour')",
            (client_id, other.id),
        )
    # What grant_emergency_access writes, in one unit of work as the grantee. (The service
    # itself first looks the client up, which row-level security hides from someone not
    # yet on the case: at a site that lookup has still to go through the server.)
    database = fresh_site.open_as(other)
    with database.transaction() as session:
        grant = EmergencyAccess(
            client_id=client_id,
            staff_id=other.id,
            reason="Police asked for an update",
            expires_at=utcnow() + timedelta(hours=1),
        )
        session.add(grant)
        session.flush()
        audit.record(
            session,
            audit.Action.EMERGENCY_ACCESS,
            actor_id=other.id,
            entity="emergency_access",
            entity_id=grant.id,
            client_id=client_id,
        )
    with database.session() as session:
        assert clients.client_summary(session, other, client_id).id == client_id


def test_signed_in_staff_can_tell_which_schema_the_site_has(fresh_site):
    from clinic_app.storage import migrations

    nurse = fresh_site.add("nurse", Role.CLINICIAN)
    with fresh_site.open_as(nurse).session() as session:
        assert migrations.current_revision(session.connection()) == migrations.scripts_head()
    with fresh_site.raw(nurse) as raw:
        assert (
            raw.execute(
                "SELECT has_function_privilege('clinic_create_login(text, text, text)', 'EXECUTE')"
            ).fetchone()[0]
            is False
        )
