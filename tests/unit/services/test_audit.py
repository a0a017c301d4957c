"""The audit trail: hash chain, append-only protection, and tamper detection that says where."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from clinic_app.services import audit


@pytest.fixture
def chain(db, admin):
    """A database with ten events after the two the first administrator makes."""
    with db.transaction() as session:
        for i in range(10):
            audit.record(
                session,
                audit.Action.VIEW,
                actor_id=admin.id,
                entity="client",
                entity_id=i,
                client_id=i,
            )
    with db.session() as session:
        report = audit.verify(session)
    assert report.ok and report.events == 12
    return db


def _raw(db, *statements):
    """Tamper as an attacker with the key would: drop the protection, then edit."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")
        for statement in statements:
            conn.exec_driver_sql(statement)


def _findings(db):
    with db.session() as session:
        return [str(f) for f in audit.verify(session).findings]


def test_the_database_refuses_to_change_or_delete_audit_events(chain):
    for sql in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with chain.session() as session, pytest.raises(Exception, match="append-only"):
            session.execute(text(sql))


def test_events_hold_ids_and_actions_only(chain):
    with chain.session() as session:
        columns = session.execute(text("SELECT * FROM audit_event LIMIT 1")).keys()
    assert set(columns) == {
        "id",
        "seq",
        "occurred_at",
        "actor_id",
        "action",
        "entity",
        "entity_id",
        "client_id",
        "detail",
        "prev_hash",
        "hash",
    }


@pytest.mark.workstation_engine(
    "tampers past the workstation's SQLite triggers; a site's tampering test is "
    "tests/integration/test_site_audit.py"
)
def test_an_edited_event_is_named(chain):
    _raw(chain, "UPDATE audit_event SET entity_id = 99 WHERE seq = 5")
    assert _findings(chain) == ["event 5: its contents were changed after writing"]


@pytest.mark.workstation_engine(
    "tampers past the workstation's SQLite triggers; a site's tampering test is "
    "tests/integration/test_site_audit.py"
)
def test_a_deleted_event_is_named(chain):
    _raw(chain, "DELETE FROM audit_event WHERE seq = 7")
    assert _findings(chain) == ["event 8: 1 event before it is missing (deleted)"]


@pytest.mark.workstation_engine(
    "tampers past the workstation's SQLite triggers; a site's tampering test is "
    "tests/integration/test_site_audit.py"
)
def test_deleted_events_at_the_end_are_caught(chain):
    _raw(chain, "DELETE FROM audit_event WHERE seq >= 11")
    assert _findings(chain) == ["event 11: the last 2 events are missing"]


@pytest.mark.workstation_engine(
    "tampers past the workstation's SQLite triggers; a site's tampering test is "
    "tests/integration/test_site_audit.py"
)
def test_an_inserted_event_is_named(chain):
    # Make room by shifting later events, then insert a forged one with a fresh hash:
    # the forged event is self-consistent, but the chain breaks after it.
    _raw(
        chain,
        "UPDATE audit_event SET seq = seq + 100 WHERE seq > 6",
        "UPDATE audit_event SET seq = seq - 99 WHERE seq > 106",
    )
    with chain.engine.begin() as conn:
        prev = conn.exec_driver_sql("SELECT hash FROM audit_event WHERE seq = 6").scalar()
        forged = audit._event_hash(
            seq=7,
            occurred_at="2026-01-01T00:00:00+00:00",
            actor_id=1,
            action="view",
            entity="client",
            entity_id=1,
            client_id=1,
            detail={},
            prev_hash=prev,
        )
        conn.exec_driver_sql(
            "INSERT INTO audit_event (seq, occurred_at, actor_id, action, entity, entity_id, "
            "client_id, detail, prev_hash, hash) VALUES (7, '2026-01-01 00:00:00.000000', 1, "
            f"'view', 'client', 1, 1, '{{}}', '{prev}', '{forged}')"
        )
    findings = _findings(chain)
    assert any(f.startswith("event 8:") and "does not follow" in f for f in findings)
    assert any(
        "events were added after the recorded end" in f or "written before" in f for f in findings
    )


@pytest.mark.workstation_engine(
    "tampers past the workstation's SQLite triggers; a site's tampering test is "
    "tests/integration/test_site_audit.py"
)
def test_reordered_events_are_named(chain):
    _raw(
        chain,
        "UPDATE audit_event SET seq = 1000 WHERE seq = 4",
        "UPDATE audit_event SET seq = 4 WHERE seq = 5",
        "UPDATE audit_event SET seq = 5 WHERE seq = 1000",
    )
    findings = _findings(chain)
    assert "event 4: its contents were changed after writing" in findings
    assert "event 5: its contents were changed after writing" in findings


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_the_cli_says_which_events(chain, db_key):
    """`clinic-app audit verify` prints each finding and exits non-zero."""
    import io

    from clinic_app import cli
    from clinic_app.storage.keys import CredentialStore
    from tests.conftest import ADMIN_PASSWORD

    _raw(chain, "UPDATE audit_event SET action = 'login' WHERE seq = 3")
    chain.close()
    CredentialStore().put(chain.path, db_key)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["audit", "verify", "--db", str(chain.path), "--user", "admin", "--password-stdin"],
        stdin=io.StringIO(ADMIN_PASSWORD + "\n"),
        stdout=out,
        stderr=err,
    )
    assert code == 1
    assert "event 3: its contents were changed after writing" in out.getvalue()
    assert "does not verify" in err.getvalue()


def test_a_damaged_chain_end_record_is_reported_not_a_crash(chain):
    with chain.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE app_setting SET value = 'garbage' WHERE key = 'audit_chain_head'"
        )
    assert _findings(chain) == ["event 0: the record of the chain's end has been altered"]


# -- the check as it stood before the checking user signed in ----------------------------------


def _delete_newest(db, count):  # type: ignore[no-untyped-def]
    """What anyone holding the key can do: drop the triggers, delete, put them back."""
    with db.engine.begin() as conn:
        triggers = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'audit_event'"
        ).all()
        for name, _ in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        conn.exec_driver_sql(
            "DELETE FROM audit_event WHERE seq > (SELECT max(seq) FROM audit_event) - ?",
            (count,),
        )
        for _, sql in triggers:
            conn.exec_driver_sql(sql)


@pytest.mark.workstation_engine(
    "tampers past the workstation's SQLite triggers; a site's tampering test is "
    "tests/integration/test_site_audit.py"
)
def test_a_cut_end_is_found_although_signing_in_to_check_appends_an_event(chain, db):
    from clinic_app.services import staff
    from tests.conftest import ADMIN_PASSWORD

    _delete_newest(db, 3)
    with db.transaction() as session:
        before = audit.chain_end(session)
        staff.sign_in(session, "admin", ADMIN_PASSWORD)  # appends, and moves the head
        as_it_stood = audit.verify(session, as_of=before)
        as_it_is_now = audit.verify(session)
    assert not as_it_stood.ok
    assert any("missing" in str(f) for f in as_it_stood.findings), as_it_stood.findings
    # Judged after the sign-in, the cut no longer shows: why the check reads the end first.
    assert as_it_is_now.ok


def test_an_unbroken_chain_verifies_as_it_stood(chain, db):
    from clinic_app.services import staff
    from tests.conftest import ADMIN_PASSWORD

    with db.transaction() as session:
        before = audit.chain_end(session)
        staff.sign_in(session, "admin", ADMIN_PASSWORD)
        report = audit.verify(session, as_of=before)
    assert report.ok
    assert report.events == before.last_seq
