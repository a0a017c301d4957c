"""A site's pooled connections: asked whether they are alive only when they may not be.

Asking the server before every unit of work (SQLAlchemy's pre-ping) cost a round trip
each time, 20 ms and more across a trust's network. A connection used a moment ago, with
nothing from the server since, is handed out as it is; one the server has closed (it says
so before closing) or one idle for a while is asked first, and replaced if it is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from clinic_app.models.enums import Role
from clinic_app.services import clients
from clinic_app.services.workspace import Workspace
from clinic_app.storage import site as site_storage


@contextmanager
def pings(database: Any) -> Iterator[list[int]]:
    dialect = database.engine.dialect
    real = dialect.do_ping
    counted = [0]

    def counting(dbapi_connection: Any) -> bool:
        counted[0] += 1
        return real(dbapi_connection)

    dialect.do_ping = counting
    try:
        yield counted
    finally:
        dialect.do_ping = real


def test_a_burst_of_work_asks_nothing_before_each_unit(fresh_site):
    me = fresh_site.add("burst", Role.PSYCHOLOGIST)
    work = Workspace(fresh_site.open_as(me), me)
    work.call(clients.caseload)
    with pings(work.database) as asked:
        for _ in range(5):
            work.call(clients.caseload)
    assert asked == [0]


def test_a_connection_idle_for_a_while_is_asked_first(fresh_site, monkeypatch):
    me = fresh_site.add("idle", Role.PSYCHOLOGIST)
    work = Workspace(fresh_site.open_as(me), me)
    work.call(clients.caseload)
    monkeypatch.setattr(site_storage, "PING_AFTER_IDLE_SECONDS", 0.0)
    with pings(work.database) as asked:
        work.call(clients.caseload)
    assert asked == [1]


def test_a_connection_the_server_closed_a_moment_ago_is_replaced_not_used(fresh_site, pg_server):
    me = fresh_site.add("closed", Role.PSYCHOLOGIST)
    database = fresh_site.open_as(me)
    work = Workspace(database, me)
    work.call(clients.caseload)
    with pg_server.superuser() as conn:  # as a restart or a database administrator does
        ended = conn.execute(
            # Waiting (up to 5 s) until each has ended, and so has said it is closing.
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = %s",
            (me.username,),
        ).fetchall()
    assert ended and all(row[0] for row in ended)
    with pings(database) as asked:
        # Within the idle allowance: only what the server sent on closing gives it away.
        assert work.call(clients.caseload) == []
    assert asked == [1]
