"""The record's Overview, read in one unit of work: the counts the database counts are the
counts of the whole record, as the Overview used to work them out from every row."""

from __future__ import annotations

from clinic_app.models.enums import Attendance, ReferralStatus, Urgency
from clinic_app.services import clients, demo, record
from clinic_app.services.record import ClientRecord, RecordCounts
from tests.statements import statements_sent


def counted_from_every_row(whole: ClientRecord) -> RecordCounts:
    """How the Overview counted before, from the whole record read row by row."""
    notes = [n for n in whole.notes if n.entered_in_error_at is None]
    return RecordCounts(
        attended=sum(n.content.attendance in (Attendance.ATTENDED, Attendance.LATE) for n in notes),
        did_not_attend=sum(n.content.attendance is Attendance.DID_NOT_ATTEND for n in notes),
        open_referrals=sum(
            r.status not in (ReferralStatus.CLOSED, ReferralStatus.DECLINED)
            for r in whole.referrals
        ),
        urgent_awaiting_decision=sum(
            e.urgency is Urgency.URGENT and e.needs_decision for e in whole.risk_events
        ),
    )


def test_the_overview_counts_what_the_whole_record_holds(db, psychologist):
    with db.transaction() as session:
        demo.load_demo_caseload(session, psychologist, 12)
    with db.session() as session:
        caseload = clients.caseload(session, psychologist)
        counted = []
        for row in caseload:
            client_id = row.client.id
            shown = record.overview(session, psychologist, client_id)
            whole = record.read_record(session, psychologist, client_id)
            assert shown.counts == counted_from_every_row(whole)
            assert shown.typologies == whole.typologies
            assert shown.risk_assessments == whole.risk_assessments
            assert shown.details.local_ref == whole.client.local_ref
            assert [t.name for t in shown.team] == [
                t.name for t in clients.client_team(session, psychologist, client_id)
            ]
            counted.append(shown.counts)
    # The demo caseload has something to count in every column.
    assert all(any(getattr(c, f) for c in counted) for f in RecordCounts.__dataclass_fields__)


def test_reading_the_overview_is_not_an_audited_opening(db, psychologist, client_id):
    from sqlalchemy import func, select

    from clinic_app.models import AuditEvent

    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
        record.overview(session, psychologist, client_id)
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_overview_is_read_in_few_statements_and_still_checks_access(
    db, psychologist, clinician, client_id
):
    """The first thing a user waits for when a record opens: at a site each statement is
    a round trip across the trust's network (benchmarks/site.py times it 20 ms away)."""
    import pytest

    from clinic_app.errors import EmergencyAccessRequired

    with statements_sent(db.engine) as sent, db.session() as session:
        record.overview(session, psychologist, client_id)
        read = len(sent)
        with pytest.raises(EmergencyAccessRequired):
            record.overview(session, clinician, client_id)  # not on their caseload
    reads = [s for s in sent[:read] if s.upper().startswith("SELECT")]
    # The access check, the client, the team, typologies, risk assessments, the counts.
    assert len(reads) <= 6, "\n\n".join(reads)


# -- the opening: the audited view with what the first tab and the banner show -------------


def _audit_count(session):  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from clinic_app.models import AuditEvent

    return session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_opening_reads_what_each_part_would_read_on_its_own(db, psychologist):
    from datetime import date

    from clinic_app.services import risk, staff, third_parties

    with db.transaction() as session:
        demo.load_demo_caseload(session, psychologist, 12)
    today = date.today()
    with db.session() as session:
        caseload = clients.caseload(session, psychologist)
        urgent_seen = protected_seen = False
        for row in caseload:
            client_id = row.client.id
            opened = record.opening(session, psychologist, client_id, today)
            assert opened.client == clients.client_summary(session, psychologist, client_id)
            assert opened.overview == record.overview(session, psychologist, client_id)
            assert opened.protection == third_parties.protection(
                session, psychologist, client_id, today
            )
            # The banner's events, as worked out from every event of the record.
            assert list(opened.urgent) == [
                e
                for e in risk.events_for_client(session, psychologist, client_id)
                if e.urgency is Urgency.URGENT and e.needs_decision
            ]
            assert opened.staff_names == staff.display_names(session, psychologist)
            urgent_seen |= bool(opened.urgent)
            protected_seen |= opened.protection.people > 0
        session.rollback()
    # The demo caseload has urgent events to decide and third parties to count.
    assert urgent_seen
    assert protected_seen


def test_the_opening_is_audited_once_and_refused_without_access(
    db, psychologist, clinician, client_id
):
    from datetime import date

    import pytest

    from clinic_app.errors import EmergencyAccessRequired

    with db.session() as session:
        before = _audit_count(session)
        record.opening(session, psychologist, client_id, date.today())
        assert _audit_count(session) == before + 1
        session.commit()
    with db.session() as session:
        with pytest.raises(EmergencyAccessRequired):
            record.opening(session, clinician, client_id, date.today())  # not on their caseload
        assert _audit_count(session) == before + 1


def test_the_opening_checks_access_once_in_one_unit_of_work(db, psychologist, client_id):
    """At a site each statement is a round trip (benchmarks/site.py counts them 20 ms
    away): the opening asks who may see the client once, with the client's row, not
    once for each part."""
    from datetime import date

    from sqlalchemy import event

    sent: list[str] = []

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.session() as session:
            record.opening(session, psychologist, client_id, date.today())
            session.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    # On the client's team: the access is asked with the client's row, in one statement.
    assert not [s for s in sent if s.startswith("SELECT client_assignment.id FROM")], sent
    client_reads = [s for s in sent if s.startswith("SELECT client.id,")]
    assert len(client_reads) == 1, "\n\n".join(sent)
    assert "EXISTS (SELECT client_assignment.id" in client_reads[0]
    # The view is audited last: at a site the audit trail's lock is held from the append
    # to the end of the unit of work, and every other audited action waits for it.
    first_audit = next(i for i, s in enumerate(sent) if "audit" in s)
    assert all("audit" in s or "app_setting" in s for s in sent[first_audit:]), sent


def test_the_whole_record_is_audited_after_it_is_read_and_refused_without_access(
    db, psychologist, clinician, client_id
):
    """As the opening: at a site the audit trail's lock is held from the append to the end
    of the unit of work, so the append comes after the record's two dozen reads."""
    import pytest

    from clinic_app.errors import EmergencyAccessRequired

    with db.session() as session:
        before = _audit_count(session)
    with statements_sent(db.engine) as sent, db.transaction() as session:
        whole = record.open_record(session, psychologist, client_id)
    assert whole.client.id == client_id
    # The access is checked once for every part (at a site each check is a round trip).
    assert sum("FROM client_assignment" in s for s in sent) == 1, sent
    first_audit = next(i for i, s in enumerate(sent) if "audit" in s)
    read_first = ("FROM session_note", "FROM intervention_plan", "FROM referral", "FROM risk_event")
    assert all(any(part in s for s in sent[:first_audit]) for part in read_first), sent
    assert all("audit" in s or "app_setting" in s for s in sent[first_audit:]), sent
    with db.session() as session:
        assert _audit_count(session) == before + 1
        with pytest.raises(EmergencyAccessRequired):
            record.open_record(session, clinician, client_id)
        session.rollback()
        assert _audit_count(session) == before + 1


def test_the_opening_with_emergency_access_shows_what_the_team_sees(db, psychologist, clinician):
    """Off the team, the access is checked apart and the counts read apart: the same."""
    from datetime import date

    with db.transaction() as session:
        demo.load_demo_caseload(session, psychologist, 4)
    with db.session() as session:
        client_id = max(
            clients.caseload(session, psychologist),
            key=lambda row: record.overview(session, psychologist, row.client.id).counts.attended,
        ).client.id
        session.rollback()
    with db.transaction() as session:
        clients.grant_emergency_access(session, clinician, client_id, "Police call tonight.")
    with db.session() as session:
        by_team = record.opening(session, psychologist, client_id, date.today())
        by_emergency = record.opening(session, clinician, client_id, date.today())
        session.rollback()
    assert by_emergency.overview == by_team.overview
    assert by_emergency.overview.counts.attended > 0
    assert by_emergency.urgent == by_team.urgent
