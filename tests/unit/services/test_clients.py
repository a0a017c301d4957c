"""Client registration, NHS numbers, access rules, typology and risk assessments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from clinic_app.errors import (
    AccessDenied,
    ConflictError,
    EmergencyAccessRequired,
    ValidationError,
)
from clinic_app.models import AuditEvent, Client, EmergencyAccess
from clinic_app.models.enums import RiskTool, Typology
from clinic_app.services import clients, record
from clinic_app.services.validation import nhs_check_digit, nhs_number_problem
from tests.conftest import client_details


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", " 9434765919 "])
def test_valid_nhs_numbers_in_the_forms_people_type(number):
    assert nhs_number_problem(number, is_demo=False) is None


@pytest.mark.parametrize(
    "number",
    ["9434765918", "943476591", "94347659190", "943476591X", "", "٩٤٣٤٧٦٥٩١٩"],
)
def test_invalid_nhs_numbers(number):
    assert nhs_number_problem(number, is_demo=False) is not None


def test_check_digit_arithmetic():
    # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 % 11 = 2; 11 - 2 = 9
    assert nhs_check_digit("943476591") == 9
    # A remainder of 0 gives 11, which means a check digit of 0:
    # 0*10+0*9+0*8+0*7+0*6+0*5+0*4+0*3+0*2 = 0 -> 11 -> 0
    assert nhs_check_digit("000000000") == 0
    # A remainder of 1 gives 10: no valid number can start with these nine digits.
    # 1*10 = 10; 10 % 11 = 10 -> 1; try 0000000 10 -> digits "000000010": 1*3 = 3...
    first_nine = next(
        f"{n:09d}"
        for n in range(1000)
        if sum(int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1), strict=True)) % 11 == 1
    )
    assert nhs_check_digit(first_nine) is None


def test_999_numbers_only_on_demo_records():
    test_number = "9990000018"
    assert nhs_check_digit(test_number[:9]) == int(test_number[9])
    assert "test numbers" in nhs_number_problem(test_number, is_demo=False)
    assert nhs_number_problem(test_number, is_demo=True) is None


def test_register_assigns_the_clinician_as_lead_and_audits(db, psychologist, client_id):
    with db.session() as session:
        rows = clients.caseload(session, psychologist)
        assert [r.client.id for r in rows] == [client_id]
        assert rows[0].lead_clinician == "Dr Jones"
        assert rows[0].client.nhs_number == "9434765919"  # stored without spaces
        events = session.scalars(select(AuditEvent).where(AuditEvent.client_id == client_id))
        assert [e.action for e in events] == ["create"]


def test_every_problem_is_reported_at_once_and_nothing_is_stored(db, psychologist):
    bad = client_details(
        local_ref="",
        given_name="",
        nhs_number="1234567890",
        date_of_birth=date.today() + timedelta(days=1),
    )
    with db.session() as session:
        with pytest.raises(ValidationError) as caught:
            clients.register_client(session, psychologist, bad)
        fields = {p.where for p in caught.value.problems}
        assert {"local_ref", "given_name", "nhs_number", "date_of_birth"} <= fields
        assert session.scalar(select(func.count()).select_from(Client)) == 0


def test_duplicate_reference_and_nhs_number_are_refused(db, psychologist, client_id):
    with db.session() as session, pytest.raises(ValidationError) as caught:
        clients.register_client(session, psychologist, client_details())
    assert {p.where for p in caught.value.problems} == {"local_ref", "nhs_number"}


def test_administrators_cannot_register_or_read_records(db, admin, client_id):
    with db.session() as session:
        with pytest.raises(AccessDenied):
            clients.register_client(session, admin, client_details(local_ref="X-2"))
        with pytest.raises(AccessDenied):
            record.open_record(session, admin, client_id)


def test_unassigned_staff_need_emergency_access_with_a_reason(db, clinician, client_id):
    with db.session() as session:
        assert clients.caseload(session, clinician) == []
        with pytest.raises(EmergencyAccessRequired):
            record.open_record(session, clinician, client_id)
        with pytest.raises(ValidationError):
            clients.grant_emergency_access(session, clinician, client_id, "   ")
        clients.grant_emergency_access(
            session, clinician, client_id, "Police report an incident tonight; lead is away."
        )
        opened = record.open_record(session, clinician, client_id)
        assert opened.client.id == client_id
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == clinician.id)
        ).all()
        assert actions == ["emergency_access", "view"]
        # The reason is kept with the access, never in the audit trail.
        detail = session.scalars(select(AuditEvent.detail)).all()
        assert all("Police" not in str(d) for d in detail)
        assert session.scalar(select(EmergencyAccess.reason)).startswith("Police")


def test_emergency_access_expires(db, clinician, client_id, monkeypatch):
    from clinic_app.services import access

    with db.transaction() as session:
        clients.grant_emergency_access(session, clinician, client_id, "Urgent call from police.")
    later = access.utcnow() + timedelta(hours=13)
    monkeypatch.setattr(access, "utcnow", lambda: later)
    with db.session() as session, pytest.raises(EmergencyAccessRequired):
        record.open_record(session, clinician, client_id)


def test_update_detects_a_concurrent_change(db, psychologist, client_id):
    with db.transaction() as session:
        current = clients.update_client(
            session, psychologist, client_id, client_details(police_ref="NEW"), expected_version=1
        )
    assert current.version == 2
    with db.session() as session, pytest.raises(ConflictError):
        clients.update_client(
            session, psychologist, client_id, client_details(police_ref="OLD"), expected_version=1
        )


def test_typology_keeps_its_history(db, psychologist, client_id):
    with db.transaction() as session:
        clients.set_typology(
            session,
            psychologist,
            client_id,
            Typology.NOT_YET_DETERMINED,
            rationale="",
            assessed_on=date(2026, 2, 1),
        )
        clients.set_typology(
            session,
            psychologist,
            client_id,
            Typology.REJECTED,
            rationale="Pursuit began after the relationship ended.",
            assessed_on=date(2026, 3, 1),
        )
    with db.session() as session:
        opened = record.open_record(session, psychologist, client_id)
    assert [t.typology for t in opened.typologies] == [
        Typology.NOT_YET_DETERMINED,
        Typology.REJECTED,
    ]
    assert opened.current_typology is Typology.REJECTED
    with db.session() as session, pytest.raises(ValidationError):
        clients.set_typology(
            session,
            psychologist,
            client_id,
            Typology.RESENTFUL,
            rationale=" ",
            assessed_on=date(2026, 3, 1),
        )


def test_risk_assessment_stores_judgements_as_entered(db, psychologist, client_id):
    with db.transaction() as session:
        clients.record_risk_assessment(
            session,
            psychologist,
            client_id,
            tool=RiskTool.SRP,
            tool_version="2",
            assessed_on=date(2026, 2, 1),
            judgements={"persistence": "high", "violence": "low"},
            rationale="Clinical rationale.",
        )
    with db.session() as session:
        [assessment] = record.open_record(session, psychologist, client_id).risk_assessments
    assert assessment.judgements == (("persistence", "high"), ("violence", "low"))
    with db.session() as session, pytest.raises(ValidationError) as caught:
        clients.record_risk_assessment(
            session,
            psychologist,
            client_id,
            tool=RiskTool.SRP,
            tool_version="2",
            assessed_on=date(2026, 2, 1),
            judgements={"persistence": "extreme"},
            rationale="x",
        )
    assert caught.value.problems[0].where == "judgements.persistence"


def test_details_read_back_for_editing(db, psychologist, client_id):
    with db.session() as session:
        details, version = clients.client_details(session, psychologist, client_id)
    assert details == client_details(nhs_number="9434765919")
    assert version == 1


def test_clinical_staff_lists_active_clinicians_only(db, admin, psychologist, clinician):
    from clinic_app.services import staff

    with db.transaction() as session:
        staff.disable_user(session, admin, "nurse.patel")
    with db.session() as session:
        names = [r.username for r in staff.clinical_staff(session, psychologist)]
        assert names == ["dr.jones"]
        with pytest.raises(AccessDenied):
            staff.clinical_staff(session, admin)


def test_team_lists_the_lead_first(db, psychologist, clinician, client_id):
    with db.transaction() as session:
        clients.assign_staff(session, psychologist, client_id, clinician.id)
    with db.session() as session:
        team = clients.client_team(session, psychologist, client_id)
    assert [(t.name, t.is_lead) for t in team] == [("Dr Jones", True), ("Nurse Patel", False)]


def test_known_sites_are_distinct_and_sorted(db, psychologist, client_id):
    with db.transaction() as session:
        clients.register_client(
            session, psychologist, client_details(local_ref="X-2", nhs_number="", site="Central")
        )
    with db.session() as session:
        assert clients.known_sites(session, psychologist) == ["Central", "North"]


def test_opening_a_record_is_audited_once_and_refreshes_are_not(db, psychologist, client_id):
    with db.transaction() as session:
        record.open_record(session, psychologist, client_id)
        record.read_record(session, psychologist, client_id)
        record.read_record(session, psychologist, client_id)
        views = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.client_id == client_id)
        ).all()
    assert len(views) == 1


def test_find_client_by_exact_reference_or_nhs_number(db, psychologist, clinician, client_id):
    from clinic_app.errors import NotFound

    with db.session() as session:
        assert clients.find_client(session, clinician, " MASIP-0001 ") == client_id
        assert clients.find_client(session, clinician, "943-476-5919") == client_id
        for text in ("MASIP", "943 476", "", "x' OR '1'='1"):
            with pytest.raises(NotFound):
                clients.find_client(session, clinician, text)
        # Finding a client grants nothing: the record still needs emergency access.
        with pytest.raises(EmergencyAccessRequired):
            record.open_record(session, clinician, client_id)


def test_opening_a_client_is_the_audited_view_and_gives_its_header(db, psychologist, client_id):
    with db.transaction() as session:
        header = record.open_client(session, psychologist, client_id)
        views = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.client_id == client_id)
        ).all()
    assert header.local_ref == "MASIP-0001"
    assert len(views) == 1


def test_administrators_see_the_caseload_without_clinicians_judgements(
    db, admin, psychologist, client_id
):
    from clinic_app.models.enums import Typology

    with db.transaction() as session:
        clients.set_typology(
            session,
            psychologist,
            client_id,
            Typology.REJECTED,
            rationale="Pursuit began when the relationship ended.",
            assessed_on=date(2026, 3, 1),
        )
    with db.session() as session:
        [mine] = clients.caseload(session, psychologist)
        [theirs] = clients.caseload(session, admin)
    assert mine.typology is Typology.REJECTED
    assert theirs.client.id == client_id and theirs.typology is None


@pytest.mark.parametrize("ref", ["masip-0001", "MASIP -0001", " Masip-0001 ", "M A S I P-0001"])
def test_a_reference_differing_only_in_case_or_spaces_is_taken(db, psychologist, client_id, ref):
    with db.session() as session, pytest.raises(ValidationError) as refused:
        clients.register_client(session, psychologist, client_details(local_ref=ref, nhs_number=""))
    [problem] = refused.value.problems
    assert problem.where == "local_ref"
    assert "already in use" in problem.message


def test_a_client_may_change_the_case_of_its_own_reference(db, psychologist, client_id):
    with db.transaction() as session:
        details, version = clients.client_details(session, psychologist, client_id)
        changed = clients.ClientDetails(**{**details.__dict__, "local_ref": "masip-0001"})
        clients.update_client(session, psychologist, client_id, changed, expected_version=version)


def test_the_database_itself_refuses_a_reference_differing_only_in_case(db, client_id):
    from sqlalchemy.exc import DataError, IntegrityError

    row = {
        "given_name": "B",
        "family_name": "C",
        "date_of_birth": date(1980, 1, 1),
        "site": "North",
        "referral_date": date(2026, 1, 1),
    }
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(Client.__table__.insert().values(local_ref="masip -0001", **row))
    # The same NHS number with spaces: a workstation's unique index folds them away and
    # refuses it; a site's column (10 characters) cannot hold the spaces at all.
    with pytest.raises((IntegrityError, DataError)), db.transaction() as session:
        session.execute(
            Client.__table__.insert().values(local_ref="OTHER-1", nhs_number="943 476 5919", **row)
        )
    with db.transaction() as session:  # a different reference is fine
        session.execute(Client.__table__.insert().values(local_ref="MASIP-0002", **row))


def _caseload_scan_fixture(db, psychologist, clinician, client_id):
    """A client with notes, appointments, two risk assessments and protective measures."""
    from clinic_app.models.enums import (
        Attendance,
        Modality,
        ProtectiveMeasureKind,
        ThirdPartyRelation,
    )
    from clinic_app.services import appointments, notes
    from clinic_app.services import third_parties as tp

    today = date(2026, 3, 18)

    def note(day, attendance=Attendance.ATTENDED):
        content = notes.NoteContent(
            session_date=day,
            duration_minutes=50,
            modality=Modality.VIDEO,
            attendance=attendance,
            intervention_content="NOTE-CANARY content",
        )
        return notes.create_draft(session, psychologist, client_id, content, today=today).id

    def book(day, at):
        (row,) = appointments.book(
            session,
            psychologist,
            client_id,
            day=day,
            start_time=at,
            duration_minutes=50,
            modality=Modality.IN_PERSON,
            today=min(day, today),
        )
        return row.id

    with db.transaction() as session:
        clients.assign_staff(session, psychologist, client_id, clinician.id)
        note(date(2026, 3, 2))
        note(date(2026, 3, 9), Attendance.DID_NOT_ATTEND)  # not seen that day
        wrong = note(date(2026, 3, 12))
        notes.mark_entered_in_error(session, psychologist, wrong, reason="Wrong client")
        attended = book(today, time(9, 0))
        appointments.mark_attended(session, psychologist, attended, today=today)
        book(date(2026, 3, 25), time(15, 0))
        book(date(2026, 3, 25), time(10, 30))  # the earlier the same day is next
        book(date(2026, 4, 1), time(9, 0))
        for on, levels in (
            (date(2026, 1, 5), {"persistence": "high"}),
            (date(2026, 3, 1), {"persistence": "moderate", "recurrence": "low"}),
        ):
            clients.record_risk_assessment(
                session,
                psychologist,
                client_id,
                tool=RiskTool.SRP,
                tool_version="2",
                assessed_on=on,
                judgements=levels,
                rationale="Judged with the tool.",
                today=today,
            )
        victim = tp.add_third_party(
            session,
            psychologist,
            client_id,
            tp.ThirdPartyInput(relation=ThirdPartyRelation.VICTIM, name="VICTIM-CANARY Name"),
        )
        for starts, ends in (
            (date(2026, 1, 1), None),  # in force
            (date(2026, 1, 1), date(2026, 2, 1)),  # expired
            (date(2026, 4, 1), None),  # not yet
        ):
            tp.add_protective_measure(
                session,
                psychologist,
                victim.id,
                tp.ProtectiveMeasureInput(
                    kind=ProtectiveMeasureKind.RESTRAINING_ORDER,
                    starts_on=starts,
                    ends_on=ends,
                    forbids="FORBIDS-CANARY no contact",
                ),
            )
    return today


def test_the_caseload_shows_what_a_clinician_scans(db, admin, psychologist, clinician, client_id):
    from datetime import datetime

    today = _caseload_scan_fixture(db, psychologist, clinician, client_id)
    with db.session() as session:
        [mine] = clients.caseload(session, psychologist, today=today)
        [theirs] = clients.caseload(session, admin, today=today)
        [colleague] = clients.caseload(session, clinician, today=today)
    assert mine.last_seen == today  # the appointment marked attended today
    assert mine.next_appointment == datetime(2026, 3, 25, 10, 30)
    assert (mine.risk_judgement, mine.risk_assessed_on) == ("moderate", date(2026, 3, 1))
    assert mine.unsigned_notes == 2  # drafts on the record; entered in error left out
    assert mine.protective_measures == 1  # a count only: no detail of a third party
    assert colleague == replace(mine, lead_clinician=colleague.lead_clinician)
    # Administrators see identity and status only.
    assert (theirs.last_seen, theirs.next_appointment, theirs.risk_judgement) == (None, None, "")
    assert (theirs.unsigned_notes, theirs.protective_measures) == (0, 0)
    text = repr(mine)
    assert "CANARY" not in text


def test_the_caseload_is_seen_from_notes_when_no_appointment_was_attended(
    db, psychologist, client_id
):
    from clinic_app.models.enums import Attendance, Modality
    from clinic_app.services import notes

    with db.transaction() as session:
        for day, attendance in (
            (date(2026, 3, 2), Attendance.LATE),
            (date(2026, 3, 9), Attendance.CANCELLED_BY_CLIENT),
        ):
            content = notes.NoteContent(
                session_date=day,
                duration_minutes=50,
                modality=Modality.VIDEO,
                attendance=attendance,
                intervention_content="x",
            )
            notes.create_draft(session, psychologist, client_id, content, today=date(2026, 3, 18))
    with db.session() as session:
        [row] = clients.caseload(session, psychologist, today=date(2026, 3, 18))
    assert row.last_seen == date(2026, 3, 2)  # late is seen; cancelled is not
    assert row.next_appointment is None and row.risk_judgement == ""


def test_the_caseload_reads_the_same_few_statements_whatever_its_size(db, psychologist):
    from sqlalchemy import event

    from clinic_app.services import demo

    def statements(n_clients: int) -> int:
        with db.transaction() as session:
            demo.load_demo_caseload(session, psychologist, n_clients)
        counted = 0

        def count(*_args):  # type: ignore[no-untyped-def]
            nonlocal counted
            counted += 1

        with db.session() as session:
            event.listen(session.connection(), "before_cursor_execute", count)
            rows = clients.caseload(session, psychologist)
            event.remove(session.connection(), "before_cursor_execute", count)
        assert rows
        return counted

    assert statements(2) == statements(6)


def test_records_added_after_a_demo_caseload_take_new_ids(db, psychologist) -> None:
    """The demo loader writes rows with their ids; what anyone adds afterwards (here a
    client and a note, through the services) must not collide with them."""
    from datetime import timedelta

    from clinic_app.models.enums import Attendance, Modality
    from clinic_app.services import demo, notes

    with db.transaction() as session:
        loaded = demo.load_demo_caseload(session, psychologist, 3)
    with db.transaction() as session:
        made = clients.register_client(
            session,
            psychologist,
            clients.ClientDetails(
                local_ref="AFTER-1",
                given_name="Ola",
                family_name="Berg",
                date_of_birth=date(1990, 6, 1),
                site="North",
                referral_date=date.today() - timedelta(days=2),
            ),
        )
        notes.create_draft(
            session,
            psychologist,
            made.id,
            notes.NoteContent(
                session_date=date.today() - timedelta(days=1),
                duration_minutes=50,
                modality=Modality.IN_PERSON,
                attendance=Attendance.ATTENDED,
            ),
        )
    with db.session() as session:
        refs = {row.client.local_ref for row in clients.caseload(session, psychologist)}
    assert {loaded.first_ref, loaded.last_ref, "AFTER-1"} <= refs
