"""Row-level security reads what a statement asks for, not the whole site.

A row that reaches its client through a parent row (an addendum through its note) is
visible when its parent is. The policy once said so as "note_id IN (SELECT id FROM
session_note)", which the server answers by reading every note the person may see, for
every statement that reads addenda: opening a record got slower as the whole site's notes
grew. These tests count the rows PostgreSQL itself reports reading.
"""

from __future__ import annotations

from datetime import date

from benchmarks.site import more_notes
from clinic_app.models.enums import Role
from tests.privacy.canary_record import Canaries, Identity, build

EVERYONE = 2_000  # notes of the psychologist's other clients


def _notes_read(conn, query: str, params: tuple[object, ...]) -> tuple[int, int]:
    """Run ``query`` in a transaction of its own; the rows it returned, and the rows of
    session_note the server read for it, by sequential and index scans. (An index-only
    scan, which these counts would miss, cannot serve here: the note's own policy needs
    its client, which no index holds together with the note's id.)"""
    with conn.transaction():
        returned = len(conn.execute(query, params).fetchall())
        row = conn.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = 'session_note'"
        ).fetchone()
    return returned, int(row[0]) if row else 0


def test_a_records_addenda_are_read_without_reading_the_rest_of_the_sites_notes(fresh_site):
    site = fresh_site
    jones = site.add("jones", Role.PSYCHOLOGIST)
    patel = site.add("patel", Role.CLINICIAN)
    lee = site.add("lee", Role.CLINICIAN)
    record = build(
        site.owner_db(),  # type: ignore[arg-type]
        jones,
        patel,
        site.admin,
        Identity("Cofirst", "Colast", date(1979, 3, 2), "9434765919", "LR9", "PR9", "9 Co Road"),
        Canaries("cost0001"),
        ["Shareable text"] * 4,
        3,
    )
    with site.owner_db().transaction() as session:
        more_notes(session, jones, EVERYONE)  # on 40 other clients of jones's caseload
    with site.owner.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    addenda = (
        "SELECT a.id, a.text FROM note_addendum a JOIN session_note n ON a.note_id = n.id "
        "WHERE n.client_id = %s"
    )
    with site.raw(jones) as conn:
        returned, read = _notes_read(conn, addenda, (record.client_id,))
        assert returned > 0  # the record has addenda, and jones sees them
        assert read < EVERYONE / 4, f"{read} notes read to find the addenda of one record"
    # Still need-to-know: someone not on the case sees none of them.
    with site.raw(lee) as conn:
        assert _notes_read(conn, addenda, (record.client_id,))[0] == 0
