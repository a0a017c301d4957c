"""An administrator's jobs through the application at a site, where the server refuses
every CLINICAL and THIRD_PARTY column to administrators: each screen reads only what an
administrator may read."""

from __future__ import annotations

from datetime import date, timedelta

from clinic_app.models.enums import Role
from clinic_app.services import assignments, audit, clients, staff
from tests.conftest import ADMIN_PASSWORD


def test_an_administrator_runs_caseloads_and_accounts_at_a_site(fresh_site):
    site = fresh_site
    jones = site.add("jones", Role.PSYCHOLOGIST)
    lee = site.add("lee", Role.CLINICIAN)
    with site.owner_db().transaction() as s:
        made = clients.register_client(
            s,
            jones,
            clients.ClientDetails(
                local_ref="AD-0001",
                given_name="Sam",
                family_name="Reed",
                date_of_birth=date(1979, 8, 9),
                site="North",
                referral_date=date.today() - timedelta(days=4),
                sharing_notes="Clinical text an administrator never reads",
            ),
        )
    database = site.open_as(site.admin, ADMIN_PASSWORD)
    with database.session() as s:
        [row] = clients.caseload(s, site.admin)
        assert (row.client.local_ref, row.lead_clinician) == ("AD-0001", "Jones")
        assert row.typology is None  # a clinician's judgement
        names = {u.username for u in staff.list_users(s, site.admin)}
        assert {jones.username, lee.username} <= names
    with database.transaction() as s:
        assignments.assign_client(s, site.admin, lee.id, "AD-0001")
    with database.session() as s:
        assert [a.local_ref for a in assignments.assignments_of(s, site.admin, lee.id)] == [
            "AD-0001"
        ]
    with database.transaction() as s:
        assignments.end_assignment(s, site.admin, lee.id, made.id)
    with database.session() as s:
        assert assignments.assignments_of(s, site.admin, lee.id) == []
        assert audit.verify(s).ok
    # The clinician the client was given to, and taken from, no longer sees them.
    with site.open_as(lee).session() as s:
        assert clients.caseload(s, lee) == []


def test_an_administrator_changes_nothing_in_an_assignment_but_its_end(fresh_site):
    import psycopg
    import pytest

    site = fresh_site
    jones = site.add("jones", Role.PSYCHOLOGIST)
    lee = site.add("lee", Role.CLINICIAN)
    with site.owner_db().transaction() as s:
        clients.register_client(
            s,
            jones,
            clients.ClientDetails(
                local_ref="AD-0002",
                given_name="Kim",
                family_name="Hale",
                date_of_birth=date(1988, 3, 4),
                site="North",
                referral_date=date.today() - timedelta(days=4),
            ),
        )
    with site.raw(site.admin.username, ADMIN_PASSWORD) as admin:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute("UPDATE client_assignment SET staff_id = %s", (lee.id,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute("DELETE FROM client_assignment")
