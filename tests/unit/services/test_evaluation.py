"""The pseudonymised service evaluation: keyed pseudonyms, months, coded values, suppressed
aggregates, a dictionary for every column, the outcome report, access and plain refusals."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from clinic_app import cli
from clinic_app.errors import AccessDenied, NotFound, ValidationError
from clinic_app.models import AuditEvent, EvaluationProject
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    Modality,
    Phase,
    PlanStatus,
    ProtectiveMeasureKind,
    RiskEventKind,
    RiskTool,
    ThirdPartyRelation,
    Typology,
    Urgency,
)
from clinic_app.services import (
    clients,
    evaluation,
    measures,
    notes,
    plans,
    risk,
    third_parties,
)
from clinic_app.services.evaluation import tables
from clinic_app.services.validation import nhs_check_digit
from clinic_app.storage.keys import CredentialStore
from tests.conftest import ADMIN_PASSWORD, client_details

TODAY = date.today()
START = date(TODAY.year - 1, TODAY.month, 1)
PHQ_HIGH: dict[int, int | None] = dict.fromkeys(range(1, 10), 2)  # 18: moderately severe
PHQ_LOW: dict[int, int | None] = dict.fromkeys(
    range(1, 10), 0
)  # 0: an 18-point fall, reliable (>= 6)


def nhs_number(seed: int) -> str:
    """A valid (check digit) NHS number that is not a 999 test number."""
    n = 400_000_000 + seed * 7919
    while True:
        digit = nhs_check_digit(f"{n:09d}")
        if digit is not None:
            return f"{n:09d}{digit}"
        n += 1


def add_client(
    s, me, i: int, *, site: str = "North", closed: bool = False, start: date = START, **extra
) -> int:
    details = client_details(
        local_ref=f"EV-{i:03d}",
        given_name=f"Given{i}",
        family_name=f"Family{i}",
        date_of_birth=date(1970 + i, 3, 1 + i),
        nhs_number=nhs_number(i),
        site=site,
        referral_date=start + timedelta(days=3 * i),
        referral_source="Metropolitan Police Service" if i % 2 else "Probation (PC Smith)",
        address=f"{i} Acacia Avenue, London SW1A {i}AA",
        status=ClientStatus.CLOSED if closed else ClientStatus.ACTIVE,
        **extra,
    )
    return clients.register_client(s, me, details).id


def fill_client(s, me, cid: int, i: int, start: date = START) -> None:
    """Sessions, a typology, two risk assessments, risk events, PHQ-9 twice, a plan."""
    clients.set_typology(
        s, me, cid, Typology.REJECTED, rationale="Rationale text", assessed_on=start
    )
    for n, attendance in enumerate(
        [Attendance.ATTENDED, Attendance.LATE, Attendance.DID_NOT_ATTEND, Attendance.ATTENDED]
    ):
        notes.create_draft(
            s,
            me,
            cid,
            notes.NoteContent(
                session_date=start + timedelta(days=10 * (n + 2) + i),
                duration_minutes=50,
                modality=Modality.IN_PERSON,
                attendance=attendance,
                agenda="Private agenda",
            ),
        )
    for on, level in ((start + timedelta(days=20), "high"), (start + timedelta(days=90), "low")):
        clients.record_risk_assessment(
            s,
            me,
            cid,
            tool=RiskTool.SRP,
            tool_version="2",
            assessed_on=on,
            judgements={"Risk of persistence": level, "Named person's view": "moderate"},
            rationale="Private rationale",
        )
    for n in range(2):
        risk.record_risk_event(
            s,
            me,
            cid,
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.SOON,
            occurred_on=start + timedelta(days=40 + 10 * n),
            detail="Private detail",
        )
    for on, answers in ((start + timedelta(days=31), PHQ_HIGH), (TODAY, PHQ_LOW)):
        measures.record_administration(
            s,
            me,
            cid,
            measure_id="phq-9",
            measure_version="2",
            administered_on=on,
            answers=answers,
        )
    plans.create_plan(
        s,
        me,
        cid,
        plans.PlanInput(
            status=PlanStatus.COMPLETED,
            phase=Phase.ENDING,
            planned_sessions=12,
        ),
    )


@pytest.fixture
def caseload(db, psychologist):
    """Six clients at North, each with the same history; one closed, one victim recorded."""
    ids = []
    with db.transaction() as s:
        for i in range(1, 7):
            cid = add_client(s, psychologist, i)
            fill_client(s, psychologist, cid, i)
            ids.append(cid)
        victim = third_parties.add_third_party(
            s,
            psychologist,
            ids[0],
            third_parties.ThirdPartyInput(relation=ThirdPartyRelation.VICTIM, name="Vic Tim"),
        )
        third_parties.add_protective_measure(
            s,
            psychologist,
            victim.id,
            third_parties.ProtectiveMeasureInput(
                kind=ProtectiveMeasureKind.STALKING_PROTECTION_ORDER,
                starts_on=START,
                forbids="Contact",
            ),
        )
    return ids


def project(db, me, name="Outcomes 2026"):
    with db.transaction() as s:
        return evaluation.create_project(s, me, name, "Does the intervention work?")


def export(db, me, name="Outcomes 2026", start=START, end=TODAY, **kw):
    with db.transaction() as s:
        return evaluation.export_evaluation(s, me, project=name, start=start, end=end, **kw)


def rows(made, name) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(dict(made.files)[name].decode("utf-8"))))


def test_one_row_per_client_keyed_by_the_projects_hmac(db, psychologist, admin, caseload):
    project(db, admin)
    made = export(db, admin)
    clients_rows = rows(made, "clients.csv")
    assert len(clients_rows) == 6 == made.clients
    with db.session() as s:
        secret = bytes.fromhex(s.scalar(select(EvaluationProject.secret)))
    expected = {
        hmac.new(secret, f"client:{cid}".encode(), hashlib.sha256).hexdigest() for cid in caseload
    }
    assert {r["pseudonym"] for r in clients_rows} == expected
    row = clients_rows[0]
    assert row["site"] == "North" and row["typology_latest"] == "rejected"
    assert row["referral_month"] == f"{START:%Y-%m}"
    assert row["sessions_offered"] == "4" and row["sessions_attended"] == "3"
    assert row["sessions_did_not_attend"] == "1" and row["sessions_attended_late"] == "1"
    assert row["risk_judgement_direction"] == "lower"
    assert row["risk_judgement_first_highest"] == "high"
    assert row["risk_events"] == "2" and row["planned_sessions"] == "12"
    # Six clients, two referral source categories of three each: both too small, merged.
    assert {r["referral_source"] for r in clients_rows} == {"other"}
    victims = {r["victims_recorded"] for r in clients_rows}
    assert victims == {"0", "1"}
    assert {r["legal_status"] for r in clients_rows} == {"", "stalking_protection_order"}


def test_pseudonyms_are_stable_within_a_project_and_differ_between_projects(db, admin, caseload):
    project(db, admin, "A")
    project(db, admin, "B")
    first = {r["pseudonym"] for r in rows(export(db, admin, "A"), "clients.csv")}
    again = {r["pseudonym"] for r in rows(export(db, admin, "A"), "clients.csv")}
    other = {r["pseudonym"] for r in rows(export(db, admin, "B"), "clients.csv")}
    assert first == again and not first & other


def test_measure_totals_and_reliable_change_are_the_applications(db, psychologist, admin, caseload):
    project(db, admin)
    made = export(db, admin)
    [outcome, *_] = rows(made, "measure_outcomes.csv")
    with db.session() as s:
        [phq] = measures.results_for_client(s, psychologist, caseload[0])
    assert phq.overall is not None and phq.overall.change is not None
    assert outcome["measure"] == "phq-9"
    assert outcome["first_total"] == "18" and outcome["last_total"] == "0"
    assert outcome["change"] == "-18"
    assert outcome["reliable_change_category"] == phq.overall.change.verdict.value
    assert outcome["reliable_change_category"] == "reliable_improvement"
    events = [r for r in rows(made, "events.csv") if r["event_type"] == "measure"]
    assert [e["reliable_change_from_previous"] for e in events[:2]] == [
        "first_in_period",
        "reliable_improvement",
    ]
    [summary] = rows(made, "summary_reliable_change_by_measure.csv")
    assert summary["clients_with_two_or_more"] == "6"
    assert summary["reliable_improvement"] == "6"
    # The other three categories are 0: each hidden.
    assert summary["reliable_deterioration"] == tables.SUPPRESSED


def test_only_months_and_codes_leave(db, admin, caseload):
    project(db, admin)
    made = export(db, admin)
    events = rows(made, "events.csv")
    assert {e["event_type"] for e in events} >= {
        "referral",
        "session",
        "risk_event",
        "risk_judgement",
        "typology",
        "measure",
    }
    assert {e["detail"] for e in events if e["event_type"] == "risk_judgement"} == {
        "persistence",
        "other_domain",  # "Named person's view" is not a known domain: its name stays
    }
    for name, data in made.files:
        if name.endswith(".csv"):
            body = data.decode("utf-8")
            assert not __import__("re").search(r"\d{4}-\d{2}-\d{2}", body), name
            assert "Private" not in body and "Named person" not in body


def test_every_column_of_every_file_is_in_the_dictionary(db, admin, caseload):
    project(db, admin)
    made = export(db, admin)
    described = {(r["file"], r["column"]) for r in rows(made, "data_dictionary.csv")}
    for name, data in made.files:
        if name.endswith(".csv"):
            header = next(csv.reader(io.StringIO(data.decode("utf-8"))))
            assert {(name, c) for c in header} <= described, name
    assert all(r["description"] for r in rows(made, "data_dictionary.csv"))


def test_small_numbers_are_suppressed_including_by_subtraction():
    assert tables.suppressed(4) == "<5" and tables.suppressed(0) == "<5"
    assert tables.suppressed(5) == "5"
    # 20 = 12 + 5 + 3: the 3 is hidden, and so is the 5, or 3 = 20 - 12 - 5.
    assert tables.suppressed_parts([12, 5, 3]) == ["12", "<5", "<5"]
    assert tables.suppressed_parts([12, 6, 7]) == ["12", "6", "7"]
    assert tables.rate(4, 100) == "suppressed" and tables.rate(10, 100) == "0.100"


def test_a_rate_is_hidden_with_a_count_hidden_by_subtraction(db, admin, caseload):
    project(db, admin)
    [north, _all] = rows(export(db, admin), "summary_engagement_by_site.csv")
    # 24 sessions: 18 attended, 6 not attended; none cancelled (0, hidden), so the 6 is
    # hidden too, and the rate that would give it away with it.
    assert north["sessions_offered"] == "24" and north["sessions_attended"] == "18"
    assert north["sessions_did_not_attend"] == north["sessions_cancelled"] == "<5"
    assert north["did_not_attend_rate"] == "suppressed"


def test_the_outcome_report_is_a_pdf_with_small_numbers_hidden(db, admin, caseload):
    project(db, admin)
    made = export(db, admin)
    pdf = PdfReader(io.BytesIO(dict(made.files)["outcome_report.pdf"]))
    words = " ".join(page.extract_text() for page in pdf.pages)
    assert "Reliable improvement and deterioration by measure" in words
    assert "<5" in words and "Given1" not in words


def test_a_clinician_may_not_export_but_an_administrator_and_a_psychologist_may(
    db, admin, psychologist, clinician, caseload
):
    project(db, psychologist)
    export(db, psychologist)
    export(db, admin)
    with pytest.raises(AccessDenied):
        export(db, clinician)


def test_bad_input_is_refused_plainly_and_nothing_is_audited(db, admin, caseload):
    project(db, admin)
    with db.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(ValidationError, match="start must be on or before"):
        export(db, admin, start=TODAY, end=START)
    with pytest.raises(NotFound, match="no evaluation project called 'Nope'"):
        export(db, admin, name="Nope")
    with pytest.raises(evaluation.NothingToEvaluate):
        export(db, admin, start=date(2000, 1, 1), end=date(2000, 12, 31))
    with pytest.raises(ValidationError, match="already an evaluation project"):
        project(db, admin)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_projects_secret_can_never_be_changed_or_deleted(db, admin):
    project(db, admin)
    for statement in (
        "UPDATE evaluation_project SET secret = 'x'",
        "DELETE FROM evaluation_project",
    ):
        with pytest.raises(Exception, match="append-only"), db.transaction() as s:
            s.execute(text(statement))


def test_demo_clients_are_left_out_unless_asked_for(db, psychologist, admin):
    with db.transaction() as s:
        clients.register_client(
            s,
            psychologist,
            client_details(local_ref="DEMO-1", nhs_number="9990000018", is_demo=True),
        )
    project(db, admin)
    with pytest.raises(evaluation.NothingToEvaluate):
        export(db, admin, start=date(2026, 1, 1))
    assert export(db, admin, start=date(2026, 1, 1), include_demo=True).clients == 1


# -- the command line ---------------------------------------------------------------------------


def _cli(db, *args):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        [*args, "--db", str(db.path), "--user", "admin", "--password-stdin"],
        stdin=io.StringIO(ADMIN_PASSWORD + "\n"),
        stdout=out,
        stderr=err,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def keyed(db, db_key):
    CredentialStore().put(db.path, db_key)
    return db


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_the_commands_set_up_a_project_and_write_the_export_folder(
    keyed, admin, caseload, tmp_path
):
    code, said, err = _cli(keyed, "evaluation", "project", "add", "Outcomes", "--purpose", "P")
    assert code == 0, err
    out = tmp_path / "exports" / "one"
    code, said, err = _cli(
        keyed,
        "evaluation",
        "export",
        "--project",
        "Outcomes",
        "--from",
        START.isoformat(),
        "--to",
        TODAY.isoformat(),
        "--out",
        str(out),
    )
    assert code == 0, err
    assert "Exported 6 clients" in said
    names = sorted(p.name for p in out.iterdir())
    assert {"clients.csv", "events.csv", "data_dictionary.csv", "README.txt"} <= set(names)
    assert "outcome_report.pdf" in names
    assert [p.name for p in out.parent.iterdir()] == ["one"]  # no partial folder left


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--project", "Nope"), "no evaluation project called 'Nope'"),
        (("--project", "Outcomes", "--from", "2000-01-01", "--to", "2000-02-01"), "nothing to"),
        (("--project", "Outcomes", "--from", "2026-05-01", "--to", "2026-01-01"), "start must"),
    ],
)
def test_the_export_command_refuses_plainly_and_writes_nothing(
    keyed, admin, caseload, tmp_path, args, message
):
    _cli(keyed, "evaluation", "project", "add", "Outcomes")
    full = list(args)
    if "--from" not in full:
        full += ["--from", START.isoformat(), "--to", TODAY.isoformat()]
    out = tmp_path / "exports" / "one"
    code, _said, err = _cli(keyed, "evaluation", "export", *full, "--out", str(out))
    assert code == 1 and message in err and "Traceback" not in err
    assert not out.exists()
    assert not (tmp_path / "exports").exists() or not any((tmp_path / "exports").iterdir())


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_the_export_command_will_not_write_into_a_folder_in_use(keyed, admin, caseload, tmp_path):
    _cli(keyed, "evaluation", "project", "add", "Outcomes")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    code, _said, err = _cli(
        keyed,
        "evaluation",
        "export",
        "--project",
        "Outcomes",
        "--from",
        START.isoformat(),
        "--to",
        TODAY.isoformat(),
        "--out",
        str(tmp_path / "used"),
    )
    assert code == 1 and "not an empty folder" in err
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["keep.txt"]


def test_a_discharge_is_a_month_and_a_coded_reason(db, psychologist, admin):
    with db.transaction() as s:
        for i in range(1, 6):
            cid = add_client(s, psychologist, i, closed=i == 1)
            fill_client(s, psychologist, cid, i)
    project(db, admin)
    made = export(db, admin)
    closed = [r for r in rows(made, "clients.csv") if r["discharged"] == "yes"]
    assert [(r["discharge_month"], r["discharge_reason"]) for r in closed] == [
        (f"{TODAY:%Y-%m}", "completed_intervention")  # the plan was completed
    ]
    discharges = [r for r in rows(made, "events.csv") if r["event_type"] == "discharge"]
    assert [r["category"] for r in discharges] == ["completed_intervention"]


def test_each_session_leaves_as_its_month_attendance_modality_and_engagement(db, admin, caseload):
    project(db, admin)
    sessions = [r for r in rows(export(db, admin), "events.csv") if r["event_type"] == "session"]
    assert len(sessions) == 24
    assert {(r["detail"], r["value"]) for r in sessions} == {("in_person", "not_assessed")}
    assert {r["category"] for r in sessions} == {"attended", "late", "did_not_attend"}


def test_a_group_of_fewer_than_five_clients_shows_no_figures(db, psychologist, admin, caseload):
    with db.transaction() as s:  # one of the six becomes predatory: a group of one
        clients.set_typology(
            s, psychologist, caseload[0], Typology.PREDATORY, rationale="r", assessed_on=TODAY
        )
    project(db, admin)
    table = rows(export(db, admin), "summary_risk_events_by_site_and_typology.csv")
    by_group = {(r["grouped_by"], r["group"]): r for r in table}
    assert by_group["typology", "predatory"]["client_months"] == "<5"
    assert by_group["typology", "predatory"]["risk_events_per_client_month"] == "suppressed"
    assert by_group["typology", "rejected"]["clients"] == "5"


def test_a_site_of_fewer_than_five_clients_is_not_described(db, psychologist, admin, caseload):
    with db.transaction() as s:
        cid = add_client(s, psychologist, 7, site="Island")
        fill_client(s, psychologist, cid, 7)
    project(db, admin)
    made = export(db, admin)
    assert "Island" not in b"".join(data for _name, data in made.files).decode("latin-1")
    by_site = {r["site"]: r for r in rows(made, "summary_engagement_by_site.csv")}
    assert set(by_site) == {"North", "other", "all sites"}
    assert set(by_site["other"].values()) == {"other", "<5", "suppressed"}
