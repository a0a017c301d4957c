"""The audit chain at a site: many writers at once, and tampering by the schema's owner."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import text

from clinic_app.models.enums import ConsentToShare, Role
from clinic_app.services import audit, clients
from clinic_app.services.common import StaffRef
from tests.statements import statements_sent

WRITERS = 10
EVENTS_EACH = 15
CLIENTS_EACH = 2


def _details(writer: int, number: int) -> clients.ClientDetails:
    return clients.ClientDetails(
        local_ref=f"W{writer:02d}-{number}",
        given_name="Alex",
        family_name="Example",
        date_of_birth=date(1985, 4, 12),
        site="North",
        referral_date=date(2026, 1, 5),
        consent_to_share=ConsentToShare.GIVEN,
    )


def test_ten_parallel_writers_leave_a_chain_that_verifies(fresh_site):
    staff = [
        fresh_site.add(f"writer{i}", Role.CLINICIAN if i % 2 else Role.PSYCHOLOGIST)
        for i in range(WRITERS)
    ]
    databases = [fresh_site.open_as(me) for me in staff]
    with fresh_site.owner_db().session() as session:
        before = audit.verify(session).events
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(number: int, me: StaffRef) -> None:
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                with databases[number].transaction() as session:
                    if i < CLIENTS_EACH:
                        # A real use case through the application, as the writer's own role.
                        clients.register_client(session, me, _details(number, i))
                    else:
                        audit.record(session, audit.Action.VIEW, actor_id=me.id)
        except BaseException as exc:  # reported below, from the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n, me)) for n, me in enumerate(staff)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    with fresh_site.owner_db().session() as session:
        report = audit.verify(session)
        actors = session.execute(
            text("SELECT actor_id, count(*) FROM audit_event WHERE seq > :s GROUP BY actor_id"),
            {"s": before},
        ).all()
    assert report.ok, report.findings
    assert report.events == before + WRITERS * EVENTS_EACH
    assert sorted(count for _, count in actors) == [EVENTS_EACH] * WRITERS
    # Each writer registered clients and sees exactly their own.
    for number, me in enumerate(staff):
        with databases[number].session() as session:
            refs = sorted(row.client.local_ref for row in clients.caseload(session, me))
        assert refs == [f"W{number:02d}-{i}" for i in range(CLIENTS_EACH)]


def _tamper(site, statement: str) -> None:  # type: ignore[no-untyped-def]
    """What a database owner could do by hand: switch the guards off, edit, switch back."""
    with site.owner.begin() as conn:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        conn.execute(text(statement))
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


def _with_events(site) -> StaffRef:  # type: ignore[no-untyped-def]
    me = site.add("author", Role.PSYCHOLOGIST)
    database = site.open_as(me)
    for _ in range(4):
        with database.transaction() as session:
            audit.record(session, audit.Action.VIEW, actor_id=me.id)
    with site.owner_db().session() as session:
        assert audit.verify(session).ok
    return me


def test_an_audit_row_edited_by_the_owner_is_detected(fresh_site):
    _with_events(fresh_site)
    _tamper(fresh_site, "UPDATE audit_event SET entity_id = 999 WHERE seq = 3")
    with fresh_site.owner_db().session() as session:
        report = audit.verify(session)
    assert not report.ok
    assert [(f.seq, f.problem) for f in report.findings] == [
        (3, "its contents were changed after writing")
    ]


def test_an_audit_row_deleted_by_the_owner_is_detected(fresh_site):
    _with_events(fresh_site)
    _tamper(fresh_site, "DELETE FROM audit_event WHERE seq = 4")
    with fresh_site.owner_db().session() as session:
        report = audit.verify(session)
    assert any(f.seq == 5 and "missing" in f.problem for f in report.findings)


# Details that JSON writes with escapes, nesting and every kind of value: the server must
# hash exactly the text the application's verifier computes from the stored event.
AWKWARD_DETAILS = [
    {},
    {"reason": 'Zoë\'s "urgent" review\\', "line": "one\ntwo\ttab"},
    {"b": [1, 2.5, None, True, False], "a": {"z": "é", "y": [{"k": "√"}]}, "n": -7},
    {"emoji": "\U0001f4dd note", "empty": "", "zero": 0},
]


def test_events_appended_at_a_site_verify_whatever_their_detail(fresh_site):
    me = fresh_site.add("detailer", Role.PSYCHOLOGIST)
    database = fresh_site.open_as(me)
    with fresh_site.owner_db().session() as session:
        before = audit.verify(session).events
    for detail in AWKWARD_DETAILS:
        with database.transaction() as session:
            audit.record(session, audit.Action.VIEW, actor_id=me.id, detail=detail)
    with fresh_site.owner_db().session() as session:
        report = audit.verify(session)
        stored = session.execute(
            text("SELECT detail FROM audit_event WHERE seq > :s ORDER BY seq"),
            {"s": before},
        ).all()
        head = session.execute(
            text("SELECT value FROM app_setting WHERE key = 'audit_chain_head'")
        ).scalar_one()
        last_hash = session.execute(
            text("SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1")
        ).scalar_one()
    assert report.ok, report.findings
    assert report.events == before + len(AWKWARD_DETAILS)
    assert [row.detail for row in stored] == AWKWARD_DETAILS
    assert head == f"{before + len(AWKWARD_DETAILS)}:{last_hash}"


def test_an_audited_action_at_a_site_appends_in_one_round_trip(fresh_site):
    """The lock, the chain's end, the event and the recorded end: one statement."""
    me = fresh_site.add("counted", Role.PSYCHOLOGIST)
    database = fresh_site.open_as(me)
    with statements_sent(database.engine) as sent, database.transaction() as session:
        audit.record(session, audit.Action.VIEW, actor_id=me.id, entity="client")
    assert len(sent) == 1, sent
    with fresh_site.owner_db().session() as session:
        assert audit.verify(session).ok


def test_a_site_that_hashes_differently_from_this_version_is_refused_and_nothing_written(
    fresh_site,
):
    """The application checks the hash the server gives back against its own: a server
    function out of step with this version (here, one that hashes an extra space) is
    refused in plain words, and the unit of work writes nothing."""
    import importlib

    import pytest

    from clinic_app.errors import StorageError

    migration = importlib.import_module("clinic_app.storage.schema.versions.0021_site_audit_append")
    out_of_step = migration.APPEND.replace(
        "canonical_middle || ',\"'", "canonical_middle || ' ,\"'"
    )
    assert out_of_step != migration.APPEND
    me = fresh_site.add("checked", Role.PSYCHOLOGIST)
    database = fresh_site.open_as(me)
    with fresh_site.owner_db().session() as session:
        before = audit.verify(session).events
    with fresh_site.owner.begin() as conn:
        conn.execute(text(out_of_step))
    try:
        with pytest.raises(StorageError) as refused, database.transaction() as session:
            clients.register_client(session, me, _details(99, 0))
        assert "Nothing was saved" in str(refused.value)
    finally:
        with fresh_site.owner.begin() as conn:
            conn.execute(text(migration.APPEND))
    with fresh_site.owner_db().session() as session:
        assert audit.verify(session).events == before
        assert (
            session.execute(
                text("SELECT count(*) FROM client WHERE local_ref = 'W99-0'")
            ).scalar_one()
            == 0
        )
