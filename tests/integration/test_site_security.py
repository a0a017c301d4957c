"""A site enforces need-to-know in PostgreSQL itself, whatever program connects.

Every test here connects as a member of staff's own role, either through the application
(``open_site``) or raw (``psycopg``, as psql would): row-level security hides clients not
assigned to them in every table with client data, column privileges refuse administrators
every CLINICAL and THIRD_PARTY column, and the audit trail takes only new events at its
end, in the name of whoever is signed in.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import func, inspect, select, text

from clinic_app.errors import EmergencyAccessRequired
from clinic_app.models import Base, Client
from clinic_app.services import audit, clients
from clinic_app.services.site import signed_in_staff
from clinic_app.services.site_security import client_tables, private_columns
from clinic_app.storage import migrations

CLIENT_TABLES = [entry.name for entry in client_tables()]
PRIVATE = private_columns()


def test_every_table_with_client_data_is_covered():
    # Found from the models; these are the ones a reader expects, and then some.
    for name in ("client", "session_note", "note_addendum", "third_party", "measure_response"):
        assert name in CLIENT_TABLES
    assert "audit_event" not in CLIENT_TABLES  # ids only; read whole to check the chain
    assert len(CLIENT_TABLES) >= 25


def test_the_migrations_reach_the_newest_revision_on_postgresql(populated):
    with populated.site.owner.connect() as conn:
        assert migrations.current_revision(conn) == migrations.scripts_head()
        tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables
        rls = dict(
            conn.execute(
                text(
                    "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
                    "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
                )
            ).all()
        )
        indexes = set(
            conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'session_note'"))
            .scalars()
            .all()
        )
    assert all(rls[name] for name in CLIENT_TABLES), "row-level security not forced"
    assert "ix_session_note_search" in indexes


def test_the_record_fills_every_table_with_client_data(populated):
    # Without a row in each table, "sees no rows" below would prove nothing.
    with populated.site.owner.connect() as conn:
        empty = [
            name
            for name in CLIENT_TABLES
            if not conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
        ]
    assert not empty


@pytest.mark.parametrize("table", CLIENT_TABLES)
def test_staff_not_on_the_case_see_no_row_of_the_client(populated, table):
    site = populated.site
    # Lee's own (expired) emergency grant stays visible to lee: it is their own request.
    others = f" WHERE staff_id <> {site.staff['lee'].id}" if table == "emergency_access" else ""
    with site.raw(site.staff["lee"]) as lee, site.raw(site.staff["jones"]) as jones:
        assert lee.execute(f'SELECT count(*) FROM "{table}"{others}').fetchone()[0] == 0
        # The lead clinician sees the record: the rows exist.
        assert jones.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] > 0


@pytest.mark.parametrize("table", CLIENT_TABLES)
def test_through_the_application_staff_not_on_the_case_see_no_row(populated, table):
    site = populated.site
    model = Base.metadata.tables[table]
    database = site.open_as(site.staff["lee"])
    query = select(func.count()).select_from(model)
    if table == "emergency_access":
        query = query.where(model.c.staff_id != site.staff["lee"].id)
    with database.session() as session:
        assert session.scalar(query) == 0
    with site.owner_db().session() as session:
        assert session.scalar(select(func.count()).select_from(model)) > 0


def test_emergency_access_is_limited_in_time_and_to_oneself(populated):
    site = populated.site
    lee, patel = site.staff["lee"], site.staff["patel"]
    grant = (
        "INSERT INTO emergency_access (client_id, staff_id, reason, granted_at, expires_at) "
        "VALUES (%s, %s, 'A reason given', now(), now() + %s::interval)"
    )
    with site.raw(lee) as raw:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute(grant, (populated.client_id, lee.id, "30 days"))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute(grant, (populated.client_id, patel.id, "1 hour"))
        assert raw.execute("SELECT count(*) FROM client").fetchone()[0] == 0


@pytest.mark.parametrize("table", ["session_note", "third_party", "risk_event", "client"])
def test_emergency_access_opens_the_record_while_it_lasts(populated, table):
    site = populated.site
    with site.raw(site.staff["patel"]) as patel:
        assert patel.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] > 0


def test_staff_not_on_the_case_cannot_write_into_it(populated):
    site = populated.site
    with site.raw(site.staff["lee"]) as lee, pytest.raises(psycopg.errors.InsufficientPrivilege):
        lee.execute(
            "INSERT INTO risk_event (client_id, kind, urgency, occurred_on, detail, "
            "shareable_statement, recorded_by, recorded_at) VALUES (%s, 'new_victim', "
            "'routine', current_date, 'x', '', %s, now())",
            (populated.client_id, site.staff["lee"].id),
        )


def test_a_row_reaching_its_client_through_a_parent_is_written_only_by_the_team(populated):
    # An addendum reaches its client through its note: the policy's check on the new row
    # looks the note up under the note's own policy.
    site = populated.site
    add = (
        "INSERT INTO note_addendum (note_id, reason, text, author_id, signed_at, "
        "content_sha256) VALUES (%s, 'x', 'x', %s, now(), repeat('0', 64))"
    )
    with site.raw(site.staff["jones"]) as jones:
        note = jones.execute(
            "SELECT id FROM session_note WHERE client_id = %s LIMIT 1", (populated.client_id,)
        ).fetchone()[0]
        with jones.transaction():
            jones.execute(add, (note, site.staff["jones"].id))  # the lead may
            raise psycopg.Rollback()
    with site.raw(site.staff["lee"]) as lee, pytest.raises(psycopg.errors.InsufficientPrivilege):
        lee.execute(add, (note, site.staff["lee"].id))


def test_through_the_application_the_client_is_not_there(populated):
    site = populated.site
    lee = site.staff["lee"]
    database = site.open_as(lee)
    with database.session() as session:
        assert signed_in_staff(session).id == lee.id
        assert clients.caseload(session, lee) == []
        assert session.get(Client, populated.client_id) is None
        assert session.scalar(select(func.count()).select_from(Client)) == 0
        with pytest.raises(EmergencyAccessRequired):
            clients.client_summary(session, lee, populated.client_id)


@pytest.mark.parametrize(("table", "column"), PRIVATE, ids=[f"{t}.{c}" for t, c in PRIVATE])
def test_administrators_cannot_select_clinical_or_third_party_columns(populated, table, column):
    site = populated.site
    with site.raw(site.admin.username, "admin password 1") as admin:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute(f'SELECT "{column}" FROM "{table}" LIMIT 1')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute(f'SELECT * FROM "{table}" LIMIT 1')


def test_administrators_read_what_they_administer(populated):
    site = populated.site
    with site.raw(site.admin.username, "admin password 1") as admin:
        # Who the client is and where the case stands, but nothing clinical.
        row = admin.execute("SELECT local_ref, status FROM client").fetchone()
        assert row[0] == "LR1"
        assert admin.execute("SELECT count(*) FROM session_note").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute("SELECT search_vector FROM session_note")  # words of the notes
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            admin.execute("SELECT password_hash FROM staff_user")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'view'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ],
)
def test_the_audit_trail_takes_no_change_from_anyone(populated, statement):
    site = populated.site
    refused = pytest.raises(psycopg.errors.InsufficientPrivilege)
    with site.raw(site.staff["jones"]) as jones, refused:
        jones.execute(statement)
    # The owner holds every privilege on its tables; the triggers refuse all the same.
    with site.owner.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text(statement))


def test_an_audit_event_names_whoever_is_signed_in(populated):
    site = populated.site
    jones, patel = site.staff["jones"], site.staff["patel"]
    database = site.open_as(jones)
    with database.transaction() as session, pytest.raises(Exception, match="signed in"):
        audit.record(session, audit.Action.VIEW, actor_id=patel.id)
    with database.transaction() as session:
        audit.record(session, audit.Action.VIEW, actor_id=jones.id)
    with site.owner_db().session() as session:
        assert audit.verify(session).ok


def test_an_event_out_of_its_place_in_the_chain_is_refused(populated):
    site = populated.site
    jones = site.staff["jones"]
    with site.raw(jones) as raw, pytest.raises(psycopg.errors.RestrictViolation):
        raw.execute(
            "INSERT INTO audit_event (seq, occurred_at, actor_id, action, entity, detail, "
            "prev_hash, hash) VALUES (1, now(), %s, 'view', '', '{}', %s, %s)",
            (jones.id, "0" * 64, "1" * 64),
        )


@pytest.mark.parametrize(
    "change", ["agenda = 'changed'", "contact_type = 'assessment'", "start_time = '09:00'"]
)
def test_a_signed_note_cannot_be_changed_even_by_the_owner(populated, change):
    with (
        populated.site.owner.connect() as conn,
        pytest.raises(Exception, match="signed session notes cannot be changed"),
    ):
        conn.execute(text(f"UPDATE session_note SET {change} WHERE signed_at IS NOT NULL"))
