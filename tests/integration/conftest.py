"""Sites on the test PostgreSQL server: an owner role, a database per site, staff roles.

``pg_server`` (tests/conftest.py) is one real server for the run. Here a site is a
database on it owned by ``clinic_owner`` (a role that may create roles, and nothing
more: not a superuser), initialised by ``services.site.init_site`` exactly as ``clinic-app
site init`` does. Roles are shared by the whole server, so each site's staff names carry
the site's own prefix.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from clinic_app.models.enums import Role
from clinic_app.services import measure_schedules, site
from clinic_app.services.common import StaffRef
from clinic_app.storage.site import (
    SiteDatabase,
    SiteSettings,
    connect_engine,
    open_gate,
    open_site,
)
from tests.conftest import ADMIN_PASSWORD, SITE_OWNER, SITE_OWNER_PASSWORD, STAFF_PASSWORD
from tests.privacy.canary_record import Canaries, Identity, build

OWNER = SITE_OWNER
OWNER_PASSWORD = SITE_OWNER_PASSWORD
_numbers = itertools.count(1)


@dataclass
class Site:
    """One initialised site: its settings, the owner's engine and its staff."""

    server: object
    settings: SiteSettings
    owner: Engine
    prefix: str
    admin: StaffRef
    staff: dict[str, StaffRef] = field(default_factory=dict)
    _open: list[SiteDatabase] = field(default_factory=list)

    def owner_db(self) -> SiteDatabase:
        """Units of work on the owner's connection (bound by forced RLS, allowed all)."""
        return SiteDatabase(
            self.settings, OWNER, self.owner, sessionmaker(self.owner, expire_on_commit=False)
        )

    def add(self, name: str, role: Role) -> StaffRef:
        with self.owner_db().transaction() as session:
            ref = site.add_site_account(
                session,
                self.admin,
                f"{self.prefix}.{name}",
                role=role,
                password=STAFF_PASSWORD,
                display_name=name.title(),
            )
        self.staff[name] = ref
        return ref

    def open_as(self, who: StaffRef, password: str = STAFF_PASSWORD) -> SiteDatabase:
        """The application's own connection as this member of staff."""
        database = open_site(self.settings, who.username, password)
        self._open.append(database)
        return database

    def raw(self, who: StaffRef | str, password: str = STAFF_PASSWORD) -> psycopg.Connection:
        """A plain psycopg connection as this person's role, as psql would make.

        Through the sign-in gate first, as every staff connection must.
        """
        name = who if isinstance(who, str) else who.username
        open_gate(self.settings, name)
        conn = psycopg.connect(self.settings.conninfo(name, password), autocommit=True)
        conn.execute("SELECT clinic_gate_passed()")
        return conn

    def close(self) -> None:
        for database in self._open:
            database.close()
        self.owner.dispose()


def make_site(pg_server, owner: str) -> Site:  # type: ignore[no-untyped-def]
    number = next(_numbers)
    name = f"site{number}"
    with pg_server.superuser() as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {owner}")
    settings = SiteSettings(
        host=pg_server.host, port=pg_server.port, database=name, ca_file=pg_server.ca_file
    )
    engine = connect_engine(settings, owner, OWNER_PASSWORD)
    prefix = f"s{number}"
    made = site.init_site(engine, f"{prefix}.admin", ADMIN_PASSWORD, display_name="Admin")
    with engine.connect() as conn:
        from sqlalchemy import select

        from clinic_app.models import StaffUser

        admin_id = conn.execute(
            select(StaffUser.id).where(StaffUser.username == made.administrator)
        ).scalar_one()
    admin = StaffRef(admin_id, made.administrator, "Admin", Role.ADMINISTRATOR)
    return Site(pg_server, settings, engine, prefix, admin)


@pytest.fixture
def fresh_site(pg_server, pg_owner) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    """A site of its own, for a test that changes it in ways others must not see."""
    made = make_site(pg_server, pg_owner)
    yield made
    made.close()


@dataclass
class Populated:
    site: Site
    client_id: int
    canaries: Canaries


@pytest.fixture(scope="module")
def populated(pg_server, pg_owner) -> Iterator[Populated]:  # type: ignore[no-untyped-def]
    """A site with one client whose record has a row in every table with client data.

    ``jones`` (psychologist) leads the client; ``patel`` (clinician) opened it in an
    emergency; ``lee`` (clinician) has no part in it but an emergency grant that expired.
    Built through the services on the owner's connection, as an import would be.
    """
    made = make_site(pg_server, pg_owner)
    jones = made.add("jones", Role.PSYCHOLOGIST)
    patel = made.add("patel", Role.CLINICIAN)
    made.add("lee", Role.CLINICIAN)
    canaries = Canaries("site0001")
    identity = Identity(
        "Zyfirst", "Zylast", date(1981, 5, 17), "9434765919", "LR1", "PR1", "1 Zy Road"
    )
    record = build(
        made.owner_db(),  # type: ignore[arg-type]
        jones,
        patel,
        made.admin,
        identity,
        canaries,
        ["Shareable text"] * 4,
        3,
    )
    with made.owner_db().transaction() as session:
        # The one table with client data but no sensitive column, so not in the record.
        measure_schedules.set_schedule(
            session, jones, record.client_id, measure_id="phq-9", every_n_sessions=4
        )
    with made.owner.begin() as conn:
        # An emergency grant of lee's that has run out: it opens nothing.
        conn.execute(
            text(
                "INSERT INTO emergency_access (client_id, staff_id, reason, granted_at, "
                "expires_at) VALUES (:c, :s, 'Covering a colleague on leave', "
                "now() - interval '2 days', now() - interval '1 day')"
            ),
            {"c": record.client_id, "s": made.staff["lee"].id},
        )
    yield Populated(made, record.client_id, canaries)
    made.close()
