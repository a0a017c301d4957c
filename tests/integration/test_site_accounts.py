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
