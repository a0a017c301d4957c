"""Emergency access through the application at a site, where the server hides the record.

Row-level security hides a client who is not on the user's caseload, so finding them by
case reference and granting oneself emergency access go through two server functions that
answer nothing but an id or yes/no, to clinical staff only.
"""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest
from sqlalchemy import func, select

from clinic_app.errors import AccessDenied, EmergencyAccessRequired, NotFound
from clinic_app.models import AuditEvent, Client
from clinic_app.models.enums import Role
from clinic_app.services import audit, clients
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def case(fresh_site):  # type: ignore[no-untyped-def]
    jones = fresh_site.add("jones", Role.PSYCHOLOGIST)
    fresh_site.add("lee", Role.CLINICIAN)
    with fresh_site.owner_db().transaction() as s:
        made = clients.register_client(
            s,
            jones,
            clients.ClientDetails(
                local_ref="EA-0001",
                given_name="Alex",
                family_name="Jones",
                date_of_birth=date(1985, 2, 3),
                site="North",
                referral_date=date.today() - timedelta(days=10),
                nhs_number="9434765919",
            ),
        )
    return fresh_site, made.id


def test_a_clinician_finds_a_client_not_theirs_and_opens_it_in_an_emergency(case):
    site, client_id = case
    lee = site.staff["lee"]
    database = site.open_as(lee)
    with database.session() as s, pytest.raises(EmergencyAccessRequired):
        clients.client_summary(s, lee, client_id)
    with database.transaction() as s:
        assert clients.find_client(s, lee, "EA-0001") == client_id
        assert clients.find_client(s, lee, "943 476 5919") == client_id
        clients.grant_emergency_access(s, lee, client_id, "Covering Dr Jones on leave today")
    with database.session() as s:
        assert clients.client_summary(s, lee, client_id).local_ref == "EA-0001"
        assert audit.verify(s).ok
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == lee.id).order_by(AuditEvent.seq)
        ).all()
    assert actions[-2:] == ["view", "emergency_access"]


def test_an_unknown_reference_or_client_says_so_and_grants_nothing(case):
    site, client_id = case
    lee = site.staff["lee"]
    database = site.open_as(lee)
    with database.transaction() as s:
        with pytest.raises(NotFound):
            clients.find_client(s, lee, "EA-9999")
        with pytest.raises(NotFound):
            clients.grant_emergency_access(s, lee, client_id + 1000, "Covering a colleague today")
    with site.owner_db().session() as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 1
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "emergency_access")
            )
            == 0
        )


def test_only_clinical_staff_may_ask_the_server_whether_a_client_exists(case):
    site, _ = case
    with site.raw(site.admin.username, ADMIN_PASSWORD) as admin:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute("SELECT clinic_find_client('EA-0001', '')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute("SELECT clinic_client_exists(1)")
    database = site.open_as(site.admin, ADMIN_PASSWORD)
    with database.session() as s, pytest.raises(AccessDenied):
        clients.find_client(s, site.admin, "EA-0001")
