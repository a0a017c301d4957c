"""Two programs writing to one database at once (the app and the command line)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from clinic_app.errors import DatabaseLocked
from clinic_app.models import AuditEvent
from clinic_app.services import audit, workspace
from clinic_app.services.workspace import Workspace
from clinic_app.storage.engine import open_database


def test_a_write_that_races_another_program_is_retried_and_the_chain_stays_whole(
    db, db_key, psychologist
):
    other = open_database(db.path, db_key)
    attempts = []

    def rename_myself(session, by, name):
        attempts.append(name)
        # Read first, as use cases do: this unit of work now sees one snapshot.
        session.execute(select(AuditEvent.seq)).all()
        if len(attempts) == 1:
            # Meanwhile the command line appends to the audit chain and commits.
            with other.transaction() as elsewhere:
                audit.record(elsewhere, audit.Action.UPDATE, actor_id=by.id, entity="test")
        audit.record(session, audit.Action.UPDATE, actor_id=by.id, entity="test", detail={})
        return name

    try:
        assert Workspace(db, psychologist).call(rename_myself, "x") == "x"
    finally:
        other.close()
    assert len(attempts) == 2  # the first attempt lost the race and was run again
    with db.session() as session:
        report = audit.verify(session)
    assert report.ok


def test_a_database_held_by_another_program_is_reported_after_a_while(db, db_key, psychologist):
    other = open_database(db.path, db_key)
    attempts = []

    def write_something(session, by):
        attempts.append(1)
        audit.record(session, audit.Action.UPDATE, actor_id=by.id, entity="test")

    holder = other.engine.raw_connection()
    try:
        holder.cursor().execute("BEGIN IMMEDIATE")  # e.g. a long import holding the lock
        started = time.monotonic()
        with pytest.raises(DatabaseLocked) as caught:
            Workspace(db, psychologist).call(write_something)
        waited = time.monotonic() - started
        holder.cursor().execute("ROLLBACK")
    finally:
        holder.close()
        other.close()
    # Tried again with pauses for a while (not forever, and not just once), then said so.
    assert 1 < len(attempts) < 30
    assert waited > workspace.LOCK_PATIENCE - 0.5  # it kept trying (never faster than this)
    assert "in use by another program" in str(caught.value)
    with db.session() as session:
        assert audit.verify(session).ok
