"""Record interchange: export a whole client record, and import it all or nothing.

A rich record is built once through the services (signed notes with addenda, a note
entered in error, plan revisions, risk events with decisions, referrals moved through
their statuses, measures with an unanswered item, third parties, unicode text) and
exported; each test imports that document, or a damaged copy of it, into a fresh
database that has the same staff usernames and specialist services.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, EmergencyAccessRequired, ValidationError
from clinic_app.models import (
    AuditEvent,
    Base,
    ClientAssignment,
    Disclosure,
    MeasureSchedule,
    NoteAddendum,
    SessionNote,
    SpecialistService,
)
from clinic_app.models import enums as E
from clinic_app.services import (
    audit,
    clients,
    critical_items,
    interchange,
    measures,
    notes,
    plans,
    referrals,
    risk,
    service_directory,
    staff,
    third_parties,
)
from clinic_app.services.common import StaffRef
from clinic_app.storage.engine import Database, create_database
from clinic_app.storage.keys import generate_key

PASSWORD = "correct horse battery staple"
DOCS_FILE = Path(__file__).resolve().parents[4] / "docs" / "record-format.md"

PD_SERVICE = "Complex Emotional Needs Service — Ealing"
GP_SERVICE = "Practice of Dr Ní Bhriain"

RTL_TEXT = "שלום עליכם"  # right-to-left text

# Canary values that must never appear in an export.
DRAFT_CANARY = "AUTOSAVED-DRAFT-CANARY-7f3a"
EMERGENCY_CANARY = "EMERGENCY-REASON-CANARY-91bc"

# -- building databases and records ------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    admin: StaffRef
    psychologist: StaffRef
    clinician: StaffRef
    locum: StaffRef


def _ref(row: staff.StaffRow) -> StaffRef:
    return StaffRef(row.id, row.username, row.display_name, row.role)


def make_team(session: Session, *, extra_first: bool = False) -> Team:
    """Staff and services; ``extra_first`` shifts every id, so nothing can rely on ids."""
    admin = staff.create_first_admin(session, "admin", PASSWORD, display_name="Ada Admin")
    if extra_first:
        staff.add_user(session, admin, "someone.else", role=E.Role.CLINICIAN, password=PASSWORD)
        service_directory.add_service(
            session, admin, name="Unrelated service", kind=E.ServiceKind.OTHER
        )
    psychologist = _ref(
        staff.add_user(
            session,
            admin,
            "psy.one",
            role=E.Role.PSYCHOLOGIST,
            password=PASSWORD,
            display_name="Dr Ö",
        )
    )
    clinician = _ref(
        staff.add_user(session, admin, "nurse.two", role=E.Role.CLINICIAN, password=PASSWORD)
    )
    locum = _ref(staff.add_user(session, admin, "locum", role=E.Role.CLINICIAN, password=PASSWORD))
    service_directory.add_service(
        session, admin, name=PD_SERVICE, kind=E.ServiceKind.PERSONALITY_DISORDER
    )
    service_directory.add_service(session, admin, name=GP_SERVICE, kind=E.ServiceKind.GP)
    return Team(admin, psychologist, clinician, locum)


def _service_id(session: Session, name: str) -> int:
    ident = session.scalar(select(SpecialistService.id).where(SpecialistService.name == name))
    assert ident is not None
    return ident


def build_rich_record(session: Session, team: Team) -> int:
    """A client with something in every part of the record; returns the client's id."""
    psy, nurse = team.psychologist, team.clinician
    client = clients.register_client(
        session,
        psy,
        clients.ClientDetails(
            local_ref="STAC-0042",
            given_name="Zoë",
            family_name="Ó'Brien — café",
            date_of_birth=date(1985, 7, 14),
            site="North London 🏥",
            referral_date=date(2024, 1, 10),
            nhs_number="943 476 5919",
            police_ref="MPS/2024/ש-17",
            address=f"12 Rue de l'Église\n{RTL_TEXT}, London",
            referral_source="Probation",
            status=E.ClientStatus.ACTIVE,
            consent_to_share=E.ConsentToShare.GIVEN,
            sharing_notes="Agreed sharing with STAC panel 🙂",
        ),
    )
    cid = client.id
    clients.assign_staff(session, psy, cid, nurse.id)
    clients.set_typology(
        session,
        psy,
        cid,
        E.Typology.NOT_YET_DETERMINED,
        rationale="",
        assessed_on=date(2024, 1, 20),
    )
    clients.set_typology(
        session,
        psy,
        cid,
        E.Typology.REJECTED,
        rationale="Pursuit began when the relationship ended — مرحبا",
        assessed_on=date(2024, 2, 2),
    )
    clients.record_risk_assessment(
        session,
        psy,
        cid,
        tool=E.RiskTool.SAM,
        tool_version="1.0",
        assessed_on=date(2024, 2, 3),
        judgements={"risk of persistence": "high", "risk of recurrence": "moderate"},
        rationale="Rationale with café and 😟",
        shareable_summary="Overall risk remains significant.",
    )
    victim = third_parties.add_third_party(
        session,
        psy,
        cid,
        third_parties.ThirdPartyInput(
            relation=E.ThirdPartyRelation.VICTIM,
            name="Siobhán Ní Dhuibhir",
            aliases=("Shiv", "@shiv_nd"),
            addresses=("12 Harbour Row, Cobh", "St Brigid's School"),
            phones=("+44 7700 900123", "020 7946-0018"),
            emails=("siobhan@example.org",),
            vehicles=("ab12 cde",),
            advocate_service="Paladin — advocacy",
            advocate_contact="Aoife, 020 7946 0999",
            wishes_and_concerns="Does not want the client told where she works 😟",
        ),
    )
    third_parties.add_protective_measure(
        session,
        psy,
        victim.id,
        third_parties.ProtectiveMeasureInput(
            kind=E.ProtectiveMeasureKind.INTERIM_STALKING_PROTECTION_ORDER,
            starts_on=date(2024, 1, 10),
            ends_on=date(2024, 3, 10),
            forbids="Contact of any kind",
            reference="ISPO/24/001",
        ),
    )
    revoked = third_parties.add_protective_measure(
        session,
        psy,
        victim.id,
        third_parties.ProtectiveMeasureInput(
            kind=E.ProtectiveMeasureKind.BAIL_CONDITIONS,
            starts_on=date(2024, 1, 2),
            forbids="Entering Cobh",
        ),
    )
    third_parties.revoke_protective_measure(session, psy, revoked.id, revoked_on=date(2024, 2, 1))
    brother = third_parties.add_third_party(
        session,
        psy,
        cid,
        third_parties.ThirdPartyInput(
            relation=E.ThirdPartyRelation.VICTIM_FAMILY,
            name="יוסף כהן",
            details="Brother; lives nearby 🏠",
        ),
    )
    third_parties.end_third_party(
        session,
        psy,
        brother.id,
        ended_on=date(2024, 3, 2),
        reason="Moved abroad; no longer at risk",
    )

    first = plans.create_plan(
        session,
        psy,
        cid,
        plans.PlanInput(
            status=E.PlanStatus.ACTIVE,
            phase=E.Phase.ENGAGEMENT,
            formulation="Entitlement after rejection; shame — private",
            planned_sessions=20,
            next_review_on=date(2024, 6, 1),
            goals=(
                plans.GoalInput("Reduce rumination about ex-partner", "Manage difficult thoughts"),
                plans.GoalInput(
                    "Write apology letter to victim",
                    "Work on understanding impact",
                    involves_victim=True,
                    victim_review_note="Reviewed with the advocate: no letter to be sent",
                ),
            ),
            interventions=(
                plans.InterventionInput(E.InterventionKind.CBT, "Thought records"),
                plans.InterventionInput(E.InterventionKind.MOTIVATIONAL_INTERVIEWING),
            ),
        ),
    )
    keep = first.goals[0].goal_key
    second = plans.save_revision(
        session,
        psy,
        first.plan_id,
        plans.PlanInput(
            status=E.PlanStatus.ACTIVE,
            phase=E.Phase.INTERVENTION,
            formulation="Revised formulation",
            planned_weeks=26,
            change_note="Removed victim-involving goal after review",
            goals=(
                plans.GoalInput("Reduce rumination (revised)", "Manage thoughts", goal_key=keep),
                plans.GoalInput("Build social contacts", "Broaden support"),
            ),
            interventions=(plans.InterventionInput(E.InterventionKind.SOCIAL_SKILLS, "Groups"),),
        ),
        based_on=1,
    )
    plans.rate_goal(session, psy, first.plan_id, keep, rating=3, rated_on=date(2024, 3, 1))
    plans.rate_goal(
        session,
        nurse,
        first.plan_id,
        second.goals[1].goal_key,
        rating=6,
        rated_on=date(2024, 4, 1),
        comment="Joined a choir 🎶",
    )
    plans.record_review(
        session, psy, first.plan_id, due_on=date(2024, 4, 1), held_on=date(2024, 4, 2), outcome="Ok"
    )
    plans.record_review(
        session, psy, first.plan_id, due_on=date(2024, 9, 1), held_on=None, outcome=""
    )

    def note(day: date, **kw: Any) -> notes.NoteRow:
        content = notes.NoteContent(
            session_date=day,
            duration_minutes=kw.pop("duration", 60),
            modality=kw.pop("modality", E.Modality.IN_PERSON),
            attendance=kw.pop("attendance", E.Attendance.ATTENDED),
            **kw,
        )
        return notes.create_draft(session, psy, cid, content)

    n1 = note(
        date(2024, 3, 1),
        engagement=E.Engagement.GOOD,
        plan_goal_key=keep,
        risk_checkin="Denies contact; café meeting — ok",
        agenda="Goal 1",
        intervention_content="Thought record on jealousy 😠",
        homework="Diary",
        risk_rerating="Unchanged",
        actions="Liaise with probation",
        partner_update="Attended and engaged well.",
    )
    notes.sign_note(session, psy, n1.id, password=PASSWORD)
    notes.add_addendum(
        session,
        psy,
        n1.id,
        reason="Correction",
        text="Diary was for two weeks, not one.",
        password=PASSWORD,
    )
    notes.add_addendum(
        session,
        psy,
        n1.id,
        reason="Addition",
        text="Client phoned later — calm.",
        password=PASSWORD,
    )
    n2 = note(date(2024, 3, 8), modality=E.Modality.VIDEO, agenda="Wrong client's note")
    notes.sign_note(session, psy, n2.id, password=PASSWORD)
    notes.mark_entered_in_error(session, psy, n2.id, reason="Written on the wrong record")
    # Written out of date order, so the export's order by session date shows.
    n4 = note(date(2024, 3, 22), duration=0, attendance=E.Attendance.DID_NOT_ATTEND)
    notes.sign_note(session, psy, n4.id, password=PASSWORD)
    note(
        date(2024, 3, 15),
        modality=E.Modality.PHONE,
        plan_goal_key=second.goals[1].goal_key,
        agenda="Draft still being written",
    )

    urgent = risk.record_risk_event(
        session,
        psy,
        cid,
        kind=E.RiskEventKind.CONTACT_WITH_VICTIM,
        urgency=E.Urgency.URGENT,
        occurred_on=date(2024, 3, 1),
        detail="Sent flowers to victim's workplace 💐",
        shareable_statement="Reported contact with the victim.",
        session_note_id=n1.id,
    )
    risk.record_share_decision(
        session,
        psy,
        urgent.id,
        decision=E.ShareDecisionKind.NOT_SHARED,
        reason="Checking first",
        client_informed=True,
    )
    risk.record_share_decision(
        session,
        psy,
        urgent.id,
        decision=E.ShareDecisionKind.SHARED,
        reason="Risk to victim",
        gateway=E.Gateway.CDA_S115,
        shared_with="DC Smith, MPS",
        client_informed=True,
    )
    risk.record_risk_event(
        session,
        nurse,
        cid,
        kind=E.RiskEventKind.MENTAL_STATE_DETERIORATION,
        urgency=E.Urgency.ROUTINE,
        occurred_on=date(2024, 2, 20),
        detail="Low mood",
    )

    pd = referrals.create_referral(
        session,
        psy,
        cid,
        service_id=_service_id(session, PD_SERVICE),
        reason="Emotional dysregulation — assessment",
        urgency=E.ReferralUrgency.ROUTINE,
        clinical_detail="History of self-harm",
        fact_shareable=True,
        share_gateway=E.Gateway.CONSENT,
        created_on=date(2024, 2, 10),
    )
    referrals.change_status(session, psy, pd.id, E.ReferralStatus.SENT, on=date(2024, 2, 11))
    referrals.change_status(
        session, psy, pd.id, E.ReferralStatus.ACKNOWLEDGED, on=date(2024, 2, 20)
    )
    referrals.change_status(
        session, psy, pd.id, E.ReferralStatus.DECLINED, on=date(2024, 3, 5), note="Not eligible"
    )
    referrals.create_referral(
        session,
        nurse,
        cid,
        service_id=_service_id(session, GP_SERVICE),
        reason="Physical health check",
        urgency=E.ReferralUrgency.URGENT,
        created_on=date(2024, 2, 12),
    )

    answers: dict[int, int | None] = dict.fromkeys(range(1, 9), 1)
    answers[9] = None
    phq = measures.record_administration(
        session,
        psy,
        cid,
        measure_id="phq-9",
        measure_version="1",
        administered_on=date(2024, 3, 1),
        answers=answers,
        session_note_id=n1.id,
    )
    measures.record_administration(
        session,
        nurse,
        cid,
        measure_id="gad-7",
        measure_version="1",
        administered_on=date(2024, 2, 1),
        answers=dict.fromkeys(range(1, 8), 2),
        mode=E.MeasureMode.SELF_COMPLETION,
    )
    critical_items.review_critical_answers(
        session,
        psy,
        phq.id,
        outcome=E.CriticalReviewOutcome.RISK_EVENT_RECORDED,
        risk_event_id=urgent.id,
    )
    session.add(MeasureSchedule(client_id=cid, measure_id="phq-9", every_n_sessions=4))
    session.add(MeasureSchedule(client_id=cid, measure_id="core-10", at_plan_review=True))
    session.add(
        Disclosure(
            document_id="6f1c2c9e-3a43-4a55-9a7e-2b1f7f0c5d11",
            client_id=cid,
            risk_event_id=urgent.id,
            kind=E.DisclosureKind.RISK_NOTICE,
            audience="police",
            recipient_agency="Metropolitan Police",
            recipient_person="DC Smith",
            purpose="Safeguarding the victim",
            gateway=E.Gateway.CDA_S115,
            decided_by=psy.id,
            client_informed=False,
            client_not_informed_reason="Would raise risk",
            period_from=date(2024, 3, 1),
            period_to=date(2024, 3, 1),
            document_sha256="a" * 64,
            payload={"statement": "Reported contact with the victim.", "ünï": [1, None]},
        )
    )
    session.add(
        Disclosure(
            document_id="0d5b8f55-2f4e-4c1e-8a86-7f0f1c9a2e22",
            client_id=cid,
            referral_id=pd.id,
            kind=E.DisclosureKind.PARTNER_SUMMARY,
            audience="probation",
            recipient_agency="Probation Service",
            purpose="Progress",
            gateway=E.Gateway.CONSENT,
            decided_by=nurse.id,
            client_informed=True,
        )
    )
    session.flush()
    return cid


@dataclass
class Source:
    """The database the rich record was built in, and its export."""

    db: Database
    team: Team
    client_id: int
    document: dict[str, Any]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    database = create_database(tmp_path_factory.mktemp("source") / "source.db", generate_key())
    with database.transaction() as session:
        team = make_team(session)
        client_id = build_rich_record(session, team)
    with database.transaction() as session:
        document = interchange.export_client(session, team.psychologist, client_id)
    yield Source(database, team, client_id, document)
    database.close()


@pytest.fixture
def doc(source: Source) -> dict[str, Any]:
    """A private copy of the exported document, free to damage."""
    return copy.deepcopy(source.document)


@pytest.fixture
def target(db: Database) -> Team:
    """The fresh database (``db``) with the same usernames and services, at other ids."""
    with db.transaction() as session:
        return make_team(session, extra_first=True)


def import_into(db: Database, by: StaffRef, document: object) -> clients.ClientSummary:
    with db.transaction() as session:
        return interchange.import_client(session, by, document)


@dataclass
class Checker:
    """A database to try bad documents against; every attempt is rolled back."""

    db: Database
    team: Team

    def problems(self, document: object) -> list[tuple[str, str]]:
        return [(p.where, p.message) for p in self.error(document).problems]

    def error(self, document: object) -> ValidationError:
        with self.db.session() as session:
            try:
                with pytest.raises(ValidationError) as caught:
                    interchange.import_client(session, self.team.psychologist, document)
            finally:
                session.rollback()
        return caught.value


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checker]:
    """A database like ``target``, shared by the tests whose imports must fail."""
    database = create_database(tmp_path_factory.mktemp("checker") / "checker.db", generate_key())
    with database.transaction() as session:
        team = make_team(session, extra_first=True)
    yield Checker(database, team)
    database.close()


def problems_of(db: Database, by: StaffRef, document: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        interchange.import_client(session, by, document)
    return [(p.where, p.message) for p in caught.value.problems]


def has_problem(problems: list[tuple[str, str]], where: str, fragment: str) -> bool:
    return any(w == where and fragment.lower() in m.lower() for w, m in problems)


def without_exported_at(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "exported_at"}


def row_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


# -- the schema --------------------------------------------------------------------------------


def test_schema_file_is_a_valid_draft_2020_12_schema() -> None:
    schema = interchange.load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["format"]["const"] == "clinic-app/client-record"
    assert schema["properties"]["format_version"]["const"] == 2


def test_every_schema_field_is_described() -> None:
    def walk(node: Any, where: str) -> Iterator[str]:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    yield f"{where}.{name}"
            for key, sub in node.items():
                yield from walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                yield from walk(sub, f"{where}[{i}]")

    assert list(walk(interchange.load_schema(), "$")) == []


@pytest.mark.parametrize(
    ("definition", "enum"),
    [
        ("client_status", E.ClientStatus),
        ("consent_to_share", E.ConsentToShare),
        ("typology", E.Typology),
        ("risk_tool", E.RiskTool),
        ("third_party_relation", E.ThirdPartyRelation),
        ("plan_status", E.PlanStatus),
        ("phase", E.Phase),
        ("intervention_kind", E.InterventionKind),
        ("modality", E.Modality),
        ("attendance", E.Attendance),
        ("engagement", E.Engagement),
        ("risk_event_kind", E.RiskEventKind),
        ("urgency", E.Urgency),
        ("share_decision_kind", E.ShareDecisionKind),
        ("gateway_or_null", E.Gateway),
        ("service_kind", E.ServiceKind),
        ("referral_urgency", E.ReferralUrgency),
        ("referral_status", E.ReferralStatus),
        ("referral_status_or_null", E.ReferralStatus),
        ("measure_mode", E.MeasureMode),
        ("disclosure_kind", E.DisclosureKind),
    ],
)
def test_schema_enums_match_the_apps_vocabularies(definition: str, enum: type[StrEnum]) -> None:
    values = interchange.load_schema()["$defs"][definition]["enum"]
    expected: list[str | None] = [m.value for m in enum]
    if definition.endswith("_or_null"):
        expected.append(None)
    assert values == expected


def test_judgement_levels_match_the_services() -> None:
    levels = interchange.load_schema()["$defs"]["judgement_level"]["enum"]
    assert tuple(levels) == clients.JUDGEMENT_LEVELS == interchange.JUDGEMENT_LEVELS


def test_every_pattern_in_the_schema_has_a_plain_english_explanation() -> None:
    found = set(
        re.findall(r'"pattern": "((?:[^"\\]|\\.)*)"', interchange.schema_path().read_text())
    )
    patterns = {json.loads(f'"{p}"') for p in found}
    assert patterns == {
        interchange.DATE_PATTERN,
        interchange.TIMESTAMP_PATTERN,
        interchange.SHA256_PATTERN,
    }


# -- export ------------------------------------------------------------------------------------


def test_export_matches_the_schema_and_is_plain_json(source: Source) -> None:
    assert interchange.check_schema(source.document) == []
    assert json.loads(json.dumps(source.document)) == source.document


def test_export_holds_the_whole_record(source: Source) -> None:
    d = source.document
    assert d["client"]["given_name"] == "Zoë"
    assert d["client"]["family_name"] == "Ó'Brien — café"
    assert d["client"]["nhs_number"] == "9434765919"
    assert "id" not in d["client"] and "version" not in d["client"]
    assert [a["staff"] for a in d["assignments"]] == ["psy.one", "nurse.two"]
    assert [t["typology"] for t in d["typology_assessments"]] == ["not_yet_determined", "rejected"]
    assert d["risk_assessments"][0]["judgements"] == {
        "risk of persistence": "high",
        "risk of recurrence": "moderate",
    }
    assert [p["name"] for p in d["third_parties"]] == ["Siobhán Ní Dhuibhir", "יוסף כהן"]
    plan = d["plans"][0]
    assert [r["number"] for r in plan["revisions"]] == [1, 2]
    assert (
        plan["revisions"][1]["goals"][0]["goal_key"] == plan["revisions"][0]["goals"][0]["goal_key"]
    )
    assert [g["rating"] for g in plan["goal_progress"]] == [3, 6]
    assert [v["held_on"] for v in plan["reviews"]] == ["2024-04-02", None]
    sessions = d["sessions"]
    assert [s["session_date"] for s in sessions] == [
        "2024-03-01",
        "2024-03-08",
        "2024-03-15",
        "2024-03-22",
    ]
    assert [len(s["addenda"]) for s in sessions] == [2, 0, 0, 0]
    assert sessions[1]["entered_in_error_by"] == "psy.one"
    assert sessions[1]["entered_in_error_reason"] == "Written on the wrong record"
    assert sessions[2]["signed_at"] is None and sessions[2]["content_sha256"] is None
    assert all(s["signed_by"] == "psy.one" for s in (sessions[0], sessions[1], sessions[3]))
    # Risk events by date: the routine one (20 Feb) comes before the urgent one (1 Mar).
    assert [e["urgency"] for e in d["risk_events"]] == ["routine", "urgent"]
    urgent = d["risk_events"][1]
    assert [x["decision"] for x in urgent["share_decisions"]] == ["not_shared", "shared"]
    referral = d["referrals"][0]
    assert referral["service"] == {"name": PD_SERVICE, "kind": "personality_disorder"}
    assert [(c["from_status"], c["to_status"]) for c in referral["status_history"]] == [
        (None, "draft"),
        ("draft", "sent"),
        ("sent", "acknowledged"),
        ("acknowledged", "declined"),
    ]
    assert [m["measure_id"] for m in d["measure_administrations"]] == ["gad-7", "phq-9"]
    assert d["measure_administrations"][1]["responses"][-1] == {"item": 9, "value": None}
    assert [s["measure_id"] for s in d["measure_schedules"]] == ["phq-9", "core-10"]
    documents = [
        x
        for x in d["disclosures"]
        if x["kind"] not in {"risk_event_shared", "decision_not_to_share"}
    ]
    assert {x["document_id"] for x in documents} == {
        "6f1c2c9e-3a43-4a55-9a7e-2b1f7f0c5d11",
        "0d5b8f55-2f4e-4c1e-8a86-7f0f1c9a2e22",
    }
    # The record's two share decisions on the urgent event are in the register too.
    decisions = [x for x in d["disclosures"] if x not in documents]
    assert sorted(x["kind"] for x in decisions) == ["decision_not_to_share", "risk_event_shared"]


def test_export_cross_references_are_indices_into_the_document(source: Source) -> None:
    d = source.document
    urgent = d["risk_events"][1]
    assert d["sessions"][urgent["session_index"]]["risk_checkin"].startswith("Denies contact")
    assert d["risk_events"][0]["session_index"] is None
    phq = d["measure_administrations"][1]
    assert d["sessions"][phq["session_index"]]["session_date"] == "2024-03-01"
    by_id = {x["document_id"]: x for x in d["disclosures"]}
    notice = by_id["6f1c2c9e-3a43-4a55-9a7e-2b1f7f0c5d11"]
    assert d["risk_events"][notice["risk_event_index"]] is urgent
    summary = by_id["0d5b8f55-2f4e-4c1e-8a86-7f0f1c9a2e22"]
    assert d["referrals"][summary["referral_index"]]["service"]["name"] == PD_SERVICE
    assert summary["risk_event_index"] is None


def test_export_uses_iso_dates_and_utc_timestamps(source: Source) -> None:
    d = source.document
    assert d["client"]["date_of_birth"] == "1985-07-14"
    for stamp in (d["exported_at"], d["client"]["created_at"], d["sessions"][0]["signed_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0)
        assert stamp.endswith("+00:00")


def test_exporting_twice_gives_the_same_document_apart_from_exported_at(source: Source) -> None:
    with source.db.transaction() as session:
        again = interchange.export_client(session, source.team.psychologist, source.client_id)
    assert again["exported_at"] >= source.document["exported_at"]
    assert without_exported_at(again) == without_exported_at(source.document)
    assert json.dumps(without_exported_at(again)) == json.dumps(
        without_exported_at(source.document)
    )


def test_export_leaves_out_autosaved_drafts_emergency_access_and_audit(db: Database) -> None:
    with db.transaction() as session:
        team = make_team(session)
        cid = build_rich_record(session, team)
        notes.autosave(session, team.psychologist, cid, {"agenda": DRAFT_CANARY})
        clients.grant_emergency_access(session, team.locum, cid, EMERGENCY_CANARY)
        document = interchange.export_client(session, team.psychologist, cid)
    dumped = json.dumps(document, ensure_ascii=False)
    assert DRAFT_CANARY not in dumped
    assert EMERGENCY_CANARY not in dumped
    assert set(document) == {
        "format",
        "format_version",
        "exported_at",
        "client",
        "assignments",
        "typology_assessments",
        "risk_assessments",
        "third_parties",
        "plans",
        "sessions",
        "risk_events",
        "referrals",
        "measure_administrations",
        "critical_item_reviews",
        "measure_schedules",
        "disclosures",
    }
    assert "audit" not in dumped
    assert "locum" not in dumped  # emergency access does not make an assignment


def test_export_contains_no_database_ids(source: Source) -> None:
    def keys(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)
        elif isinstance(node, list):
            for value in node:
                yield from keys(value)

    names = set(keys(source.document))
    assert not {n for n in names if n == "id" or n.endswith("_id")} - {
        "measure_id",
        "document_id",
    }


def test_export_is_audited_with_ids_only(db: Database) -> None:
    with db.transaction() as session:
        team = make_team(session)
        cid = build_rich_record(session, team)
        interchange.export_client(session, team.psychologist, cid)
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None
        assert event.action == audit.Action.EXPORT.value
        assert (event.entity, event.entity_id, event.client_id) == ("client", cid, cid)
        assert event.actor_id == team.psychologist.id
        assert "Zoë" not in json.dumps(event.detail, ensure_ascii=False)
        assert audit.verify(session).ok


def test_administrators_may_not_export(source: Source) -> None:
    with pytest.raises(AccessDenied), source.db.transaction() as session:
        interchange.export_client(session, source.team.admin, source.client_id)


def test_unassigned_clinicians_may_not_export_without_emergency_access(source: Source) -> None:
    with pytest.raises(EmergencyAccessRequired), source.db.transaction() as session:
        interchange.export_client(session, source.team.locum, source.client_id)


@pytest.mark.workstation_engine(
    "alters a note past the workstation's SQLite triggers; at a site the server's "
    "triggers refuse it (tests/integration)"
)
def test_export_refuses_a_signed_note_altered_behind_the_apps_back(db: Database) -> None:
    with db.transaction() as session:
        team = make_team(session)
        cid = build_rich_record(session, team)
    with db.transaction() as session:
        session.execute(text("DROP TRIGGER session_note_signed_immutable"))
        session.execute(
            text("UPDATE session_note SET agenda = 'rewritten' WHERE session_date = '2024-03-01'")
        )
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        interchange.export_client(session, team.psychologist, cid)
    assert [p.where for p in caught.value.problems] == ["$.sessions[0]"]
    assert "no longer matches its signature" in caught.value.problems[0].message


# -- import: the round trip ---------------------------------------------------------------------


def test_round_trip_into_a_fresh_database_gives_the_same_record(
    source: Source, db: Database, target: Team
) -> None:
    summary = import_into(db, target.psychologist, source.document)
    assert (summary.local_ref, summary.given_name, summary.family_name) == (
        "STAC-0042",
        "Zoë",
        "Ó'Brien — café",
    )
    assert summary.version == 1
    with db.transaction() as session:
        again = interchange.export_client(session, target.psychologist, summary.id)
    assert without_exported_at(again) == without_exported_at(source.document)


def test_imported_signatures_verify_in_the_new_database(
    source: Source, db: Database, target: Team
) -> None:
    summary = import_into(db, target.psychologist, source.document)
    with db.session() as session:
        signed = list(
            session.scalars(
                select(SessionNote).where(
                    SessionNote.client_id == summary.id, SessionNote.signed_at.is_not(None)
                )
            )
        )
        assert len(signed) == 3
        for note in signed:
            username = target.psychologist.username
            assert note.signed_at is not None
            assert note.content_sha256 == notes.note_seal(
                notes.content_of(note), username, signer=username, signed_at=note.signed_at
            )
            assert note.author_id == target.psychologist.id
        first = next(n for n in signed if n.session_date == date(2024, 3, 1))
        addenda = list(
            session.scalars(select(NoteAddendum).where(NoteAddendum.note_id == first.id))
        )
        assert [a.text for a in addenda] == [
            "Diary was for two weeks, not one.",
            "Client phoned later — calm.",
        ]
        for a in addenda:
            assert a.content_sha256 == notes.addendum_seal(
                first.content_sha256,
                a.reason,
                a.text,
                target.psychologist.username,
                signed_at=a.signed_at,
            )
        # The signature still protects the note: the database refuses any change to it.
        first.agenda = "changed after import"
        with pytest.raises(Exception, match="signed session notes cannot be changed"):
            session.flush()
        session.rollback()


def test_imported_record_keeps_its_timestamps(source: Source, db: Database, target: Team) -> None:
    summary = import_into(db, target.psychologist, source.document)
    with db.session() as session:
        note = session.scalars(
            select(SessionNote).where(SessionNote.client_id == summary.id).order_by(SessionNote.id)
        ).first()
        assert note is not None
        assert note.signed_at == datetime.fromisoformat(source.document["sessions"][0]["signed_at"])
        assert note.created_at == datetime.fromisoformat(
            source.document["sessions"][0]["created_at"]
        )


def test_import_accepts_other_utc_offsets(doc: dict[str, Any], db: Database, target: Team) -> None:
    moment = datetime.fromisoformat(doc["client"]["created_at"])
    doc["client"]["created_at"] = moment.astimezone(timezone(timedelta(hours=2))).isoformat()
    summary = import_into(db, target.psychologist, doc)
    with db.transaction() as session:
        again = interchange.export_client(session, target.psychologist, summary.id)
    assert again["client"]["created_at"] == moment.astimezone(UTC).isoformat()


def test_import_assigns_the_importing_clinician(
    doc: dict[str, Any], db: Database, target: Team
) -> None:
    summary = import_into(db, target.locum, doc)
    with db.session() as session:
        assigned = dict(
            session.execute(
                select(ClientAssignment.staff_id, ClientAssignment.ended_at).where(
                    ClientAssignment.client_id == summary.id
                )
            ).all()
        )
    assert set(assigned) == {target.psychologist.id, target.clinician.id, target.locum.id}
    assert assigned[target.locum.id] is None
    with db.transaction() as session:
        again = interchange.export_client(session, target.locum, summary.id)
    assert [a["staff"] for a in again["assignments"]][-1] == "locum"
    assert len(again["assignments"]) == 3


def test_import_is_audited_with_ids_only(doc: dict[str, Any], db: Database, target: Team) -> None:
    summary = import_into(db, target.psychologist, doc)
    with db.session() as session:
        events = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == audit.Action.IMPORT.value)
            )
        )
        assert len(events) == 1
        assert (events[0].entity, events[0].entity_id, events[0].client_id) == (
            "client",
            summary.id,
            summary.id,
        )
        assert events[0].actor_id == target.psychologist.id
        assert "STAC" not in json.dumps(events[0].detail)
        assert audit.verify(session).ok


def test_import_leaves_committing_to_the_caller(
    doc: dict[str, Any], db: Database, target: Team
) -> None:
    before = row_counts(db)
    with db.session() as session:
        interchange.import_client(session, target.psychologist, doc)
        session.rollback()
    assert row_counts(db) == before


def test_administrators_may_not_import(doc: dict[str, Any], db: Database, target: Team) -> None:
    before = row_counts(db)
    with pytest.raises(AccessDenied), db.transaction() as session:
        interchange.import_client(session, target.admin, doc)
    assert row_counts(db) == before


# -- import: refusing bad documents -------------------------------------------------------------


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _drop(document: dict[str, Any], path: tuple[str | int, ...]) -> None:
    node: Any = document
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


SIGNED = 0  # sessions[0]: signed, with two addenda
DRAFT = 2  # sessions[2]: an unsigned draft


@pytest.mark.parametrize(
    ("path", "value", "where", "fragment"),
    [
        # the schema, in plain English
        (("client", "is_demo"), "yes", "$.client.is_demo", "should be true or false, not text"),
        (
            ("sessions", DRAFT, "duration_minutes"),
            "60",
            "$.sessions[2].duration_minutes",
            "whole number",
        ),
        (
            ("sessions", DRAFT, "modality"),
            "carrier pigeon",
            "$.sessions[2].modality",
            "one of: in_person",
        ),
        (
            ("sessions", DRAFT, "session_date"),
            "15/03/2024",
            "$.sessions[2].session_date",
            "YYYY-MM-DD",
        ),
        (("client", "created_at"), "2024-01-10T09:00:00", "$.client.created_at", "UTC offset"),
        (
            ("sessions", DRAFT, "duration_minutes"),
            601,
            "$.sessions[2].duration_minutes",
            "at most 600",
        ),
        (
            ("plans", 0, "goal_progress", 0, "rating"),
            11,
            "$.plans[0].goal_progress[0].rating",
            "at most 10",
        ),
        (("risk_events", 0, "session_index"), -1, "$.risk_events[0].session_index", "at least 0"),
        (("plans", 0, "revisions"), [], "$.plans[0].revisions", "at least 1 entry"),
        (("sessions", DRAFT, "colour"), "blue", "$.sessions[2].colour", "not part of the format"),
        (
            ("risk_assessments", 0, "judgements", "risk of persistence"),
            "very high",
            '$.risk_assessments[0].judgements["risk of persistence"]',
            "one of: low, moderate, high",
        ),
        (("referrals", 0, "share_gateway"), "because", "$.referrals[0].share_gateway", "or null"),
        # dates
        (
            ("sessions", DRAFT, "session_date"),
            "2024-02-30",
            "$.sessions[2].session_date",
            "not a real date",
        ),
        (
            ("sessions", DRAFT, "session_date"),
            "2999-01-01",
            "$.sessions[2].session_date",
            "cannot be in the future",
        ),
        (
            ("client", "date_of_birth"),
            "2999-01-01",
            "$.client.date_of_birth",
            "cannot be in the future",
        ),
        (
            ("client", "created_at"),
            "2024-13-40T09:00:00+00:00",
            "$.client.created_at",
            "not a real date and time",
        ),
        # identity
        (("client", "nhs_number"), "943 476 5918", "$.client.nhs_number", "check digit"),
        (("client", "nhs_number"), "999 000 0018", "$.client.nhs_number", "demo"),
        (("client", "local_ref"), "", "$.client.local_ref", "required"),
        # people and services known here
        (
            ("sessions", DRAFT, "author"),
            "ghost",
            "$.sessions[2].author",
            "no account named 'ghost' on this database",
        ),
        (("assignments", 1, "staff"), "admin", "$.assignments[1].staff", "administrator"),
        (
            ("referrals", 1, "service", "name"),
            "Nowhere Clinic",
            "$.referrals[1].service.name",
            "'Nowhere Clinic'",
        ),
        (
            ("referrals", 1, "service", "kind"),
            "psychiatry",
            "$.referrals[1].service.kind",
            "listed here as gp",
        ),
        # cross references
        (
            ("risk_events", 0, "session_index"),
            4,
            "$.risk_events[0].session_index",
            "only 4 sessions",
        ),
        (
            ("measure_administrations", 0, "session_index"),
            99,
            "$.measure_administrations[0].session_index",
            "session 99",
        ),
        (
            ("disclosures", 0, "referral_index"),
            2,
            "$.disclosures[0].referral_index",
            "only 2 referrals",
        ),
        (
            ("disclosures", 0, "risk_event_index"),
            7,
            "$.disclosures[0].risk_event_index",
            "risk event 7",
        ),
        (
            ("plans", 0, "goal_progress", 0, "goal_key"),
            "no-such-goal",
            "$.plans[0].goal_progress[0].goal_key",
            "not part of this plan",
        ),
        (
            ("sessions", DRAFT, "plan_goal_key"),
            "no-such-goal",
            "$.sessions[2].plan_goal_key",
            "not part of any plan",
        ),
        # text
        (
            ("sessions", DRAFT, "agenda"),
            "bell \x07 here",
            "$.sessions[2].agenda",
            "control characters",
        ),
        (("third_parties", 0, "name"), "x" * 201, "$.third_parties[0].name", "too long"),
        (("third_parties", 1, "label"), "Person 1", "$.third_parties[1].label", "used twice"),
        # third parties and their protection: the checks of services.third_parties
        (
            ("third_parties", 0, "phones"),
            ["+44 7700 900123", "call me"],
            "$.third_parties[0].phones",
            "does not look like one of the phone numbers",
        ),
        (
            ("third_parties", 0, "emails"),
            ["not an address"],
            "$.third_parties[0].emails",
            "email addresses",
        ),
        (
            ("third_parties", 0, "vehicles"),
            ["far too long a plate"],
            "$.third_parties[0].vehicles",
            "vehicle registrations",
        ),
        (
            ("third_parties", 0, "aliases"),
            ["x"] * 51,
            "$.third_parties[0].aliases",
            "At most 50",
        ),
        (
            ("third_parties", 0, "addresses"),
            ["1 Road\n2 Road"],
            "$.third_parties[0].addresses",
            "without line breaks",
        ),
        (
            ("third_parties", 0, "advocate_contact"),
            "x" * 1001,
            "$.third_parties[0].advocate_contact",
            "too long",
        ),
        (("third_parties", 1, "ended_reason"), " ", "$.third_parties[1].ended_reason", "required"),
        (
            ("third_parties", 1, "ended_on"),
            "2999-01-01",
            "$.third_parties[1].ended_on",
            "future",
        ),
        (
            ("third_parties", 0, "protective_measures", 1, "ends_on"),
            "2023-12-31",
            "$.third_parties[0].protective_measures[1].ends_on",
            "cannot be before the start date",
        ),
        (
            ("third_parties", 0, "protective_measures", 0, "revoked_on"),
            "2023-01-01",
            "$.third_parties[0].protective_measures[0].revoked_on",
            "revoked before it started",
        ),
        (
            ("third_parties", 0, "protective_measures", 0, "forbids"),
            "",
            "$.third_parties[0].protective_measures[0].forbids",
            "required",
        ),
        (
            ("third_parties", 0, "protective_measures", 0, "recorded_by"),
            "ghost",
            "$.third_parties[0].protective_measures[0].recorded_by",
            "no account named 'ghost'",
        ),
        # critical-item reviews
        (
            ("critical_item_reviews", 0, "administration_index"),
            5,
            "$.critical_item_reviews[0].administration_index",
            "only 2 measure administrations",
        ),
        (
            ("critical_item_reviews", 0, "risk_event_index"),
            None,
            "$.critical_item_reviews[0].risk_event_index",
            "Give the risk event",
        ),
        (
            ("critical_item_reviews", 0, "outcome"),
            "no_further_action",
            "$.critical_item_reviews[0].risk_event_index",
            "names no risk event",
        ),
        (
            ("critical_item_reviews", 0, "outcome"),
            "no_further_action",
            "$.critical_item_reviews[0].reason",
            "required",
        ),
        (("risk_events", 1, "detail"), "   ", "$.risk_events[1].detail", "required"),
        # signatures
        (
            ("sessions", SIGNED, "agenda"),
            "Goal 1 (edited)",
            "$.sessions[0].content_sha256",
            "does not match its signature",
        ),
        (
            ("sessions", SIGNED, "author"),
            "nurse.two",
            "$.sessions[0].content_sha256",
            "does not match its signature",
        ),
        (
            ("sessions", SIGNED, "content_sha256"),
            None,
            "$.sessions[0].content_sha256",
            "must carry its content hash",
        ),
        (
            ("sessions", SIGNED, "addenda", 1, "text"),
            "Client was angry.",
            "$.sessions[0].addenda[1].content_sha256",
            "does not match",
        ),
        (("sessions", DRAFT, "signed_by"), "psy.one", "$.sessions[2].signed_at", "go together"),
        (
            ("sessions", 1, "entered_in_error_reason"),
            "",
            "$.sessions[1].entered_in_error_reason",
            "required",
        ),
        # referral history
        (
            ("referrals", 0, "status_history", 2, "to_status"),
            "seen",
            "$.referrals[0].status_history[2].to_status",
            "cannot become seen",
        ),
        (("referrals", 0, "status"), "closed", "$.referrals[0].status", "history ends at declined"),
        (
            ("referrals", 0, "share_gateway"),
            None,
            "$.referrals[0].share_gateway",
            "consent or gateway",
        ),
        # risk decisions
        (
            ("risk_events", 1, "share_decisions", 1, "gateway"),
            None,
            "$.risk_events[1].share_decisions[1].gateway",
            "gateway",
        ),
        # measures
        (
            ("measure_administrations", 0, "measure_id"),
            "PHQ 9!",
            "$.measure_administrations[0].measure_id",
            "not a valid measure",
        ),
        (
            ("measure_administrations", 0, "responses", 1, "item"),
            1,
            "$.measure_administrations[0].responses[1].item",
            "answered twice",
        ),
    ],
)
def test_import_names_the_json_path_of_each_problem(
    doc: dict[str, Any],
    checker: Checker,
    path: tuple[str | int, ...],
    value: Any,
    where: str,
    fragment: str,
) -> None:
    _set(doc, path, value)
    problems = checker.problems(doc)
    assert has_problem(problems, where, fragment), problems


def test_a_missing_field_is_named_by_its_path(doc: dict[str, Any], checker: Checker) -> None:
    _drop(doc, ("client", "given_name"))
    _drop(doc, ("sessions", 3, "attendance"))
    problems = checker.problems(doc)
    assert has_problem(problems, "$.client.given_name", "missing")
    assert has_problem(problems, "$.sessions[3].attendance", "missing")
    assert len(problems) == 2
    # Plain English, not the validator's own wording.
    assert not any("required property" in m or "is not of type" in m for _, m in problems)


def test_a_file_of_another_kind_is_refused_in_one_sentence(checker: Checker) -> None:
    assert checker.problems({"format": "something/else"}) == [
        (
            "$.format",
            "This file is not a clinic-app client record (its 'format' should be "
            "'clinic-app/client-record').",
        )
    ]
    problems = checker.problems({"format": "clinic-app/client-record", "format_version": 3})
    assert problems == [
        (
            "$.format_version",
            "This file is in version 3 of the client record format; this "
            "version of clinic-app reads version 2.",
        )
    ]
    assert checker.problems(["not", "an", "object"]) == [
        ("$", "A client record file holds one JSON object; this is not one.")
    ]


def test_every_problem_is_reported_together(doc: dict[str, Any], checker: Checker) -> None:
    _set(doc, ("client", "nhs_number"), "943 476 5918")
    _set(doc, ("sessions", DRAFT, "author"), "ghost")
    _set(doc, ("sessions", SIGNED, "homework"), "Diary (changed)")
    _set(doc, ("risk_events", 0, "session_index"), 12)
    _set(doc, ("referrals", 1, "service", "name"), "Nowhere Clinic")
    _set(doc, ("third_parties", 0, "details"), "tab\tok but escape \x1b is not")
    error = checker.error(doc)
    wheres = [p.where for p in error.problems]
    assert wheres == [
        "$.client.nhs_number",
        "$.third_parties[0].details",
        "$.sessions[0].content_sha256",
        "$.sessions[2].author",
        "$.risk_events[0].session_index",
        "$.referrals[1].service.name",
    ]
    message = str(error)
    assert message.startswith("6 problems were found:")
    assert "$.sessions[2].author: There is no account named 'ghost' on this database." in message


def test_schema_problems_are_reported_together(doc: dict[str, Any], checker: Checker) -> None:
    _set(doc, ("sessions", 3, "modality"), "telepathy")
    _set(doc, ("sessions", 1, "duration_minutes"), "long")
    _set(doc, ("client", "is_demo"), None)
    problems = checker.problems(doc)
    assert [w for w, _ in problems] == [
        "$.client.is_demo",
        "$.sessions[1].duration_minutes",
        "$.sessions[3].modality",
    ]


def test_importing_the_same_record_twice_is_refused(
    doc: dict[str, Any], db: Database, target: Team
) -> None:
    import_into(db, target.psychologist, doc)
    problems = problems_of(db, target.psychologist, doc)
    assert has_problem(problems, "$.client.local_ref", "already in use")
    assert has_problem(problems, "$.client.nhs_number", "another client already has")
    assert has_problem(problems, "$.disclosures[0].document_id", "already recorded")
    assert has_problem(problems, "$.disclosures[1].document_id", "already recorded")


def test_nothing_is_written_when_import_fails(
    doc: dict[str, Any], db: Database, target: Team
) -> None:
    # Everything is right except the very last item, so a partial write would show.
    _set(doc, ("disclosures", 1, "decided_by"), "ghost")
    before = row_counts(db)
    assert before["staff_user"] > 0 and before["audit_event"] > 0
    with db.session() as session:
        with pytest.raises(ValidationError):
            interchange.import_client(session, target.psychologist, doc)
        assert not session.new and not session.dirty
        session.commit()  # even a caller who commits afterwards finds nothing added
    assert row_counts(db) == before


def test_nothing_is_written_when_the_schema_fails(db: Database, target: Team) -> None:
    before = row_counts(db)
    with db.session() as session:
        with pytest.raises(ValidationError):
            interchange.import_client(session, target.psychologist, {"format": 3})
        session.commit()
    assert row_counts(db) == before


def test_a_demo_record_may_carry_a_test_nhs_number(
    doc: dict[str, Any], db: Database, target: Team
) -> None:
    _set(doc, ("client", "nhs_number"), "999 000 0018")
    _set(doc, ("client", "is_demo"), True)
    summary = import_into(db, target.psychologist, doc)
    assert summary.nhs_number == "9990000018" and summary.is_demo


# -- the documentation ---------------------------------------------------------------------------


def _docs_example() -> dict[str, Any]:
    blocks = re.findall(r"```json\n(.*?)\n```", DOCS_FILE.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1, "docs/record-format.md should hold one JSON example"
    example: dict[str, Any] = json.loads(blocks[0])
    return example


def test_the_example_in_the_docs_matches_the_schema() -> None:
    assert interchange.check_schema(_docs_example()) == []


def test_the_example_in_the_docs_imports(db: Database, target: Team) -> None:
    summary = import_into(db, target.psychologist, _docs_example())
    with db.transaction() as session:
        again = interchange.export_client(session, target.psychologist, summary.id)
    assert without_exported_at(again) == without_exported_at(_docs_example())


# -- third parties, their protection and critical-item reviews ----------------------------------


def test_the_export_holds_what_is_recorded_about_third_parties(source: Source) -> None:
    victim, brother = source.document["third_parties"]
    assert victim["phones"] == ["+44 7700 900123", "020 7946-0018"]
    assert victim["vehicles"] == ["AB12 CDE"]
    assert victim["aliases"] == ["Shiv", "@shiv_nd"]
    assert victim["wishes_and_concerns"].endswith("😟")
    assert [m["kind"] for m in victim["protective_measures"]] == [
        "bail_conditions",
        "interim_stalking_protection_order",
    ]
    assert victim["protective_measures"][0]["revoked_on"] == "2024-02-01"
    assert victim["protective_measures"][0]["recorded_by"] == "psy.one"
    assert (brother["ended_on"], brother["ended_reason"]) == (
        "2024-03-02",
        "Moved abroad; no longer at risk",
    )
    assert brother["protective_measures"] == []
    [review] = source.document["critical_item_reviews"]
    phq = source.document["measure_administrations"][review["administration_index"]]
    assert phq["measure_id"] == "phq-9"
    assert review["outcome"] == "risk_event_recorded"
    assert source.document["risk_events"][review["risk_event_index"]]["urgency"] == "urgent"


def as_version_1(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a version 1 file held it: without what version 2 added."""
    old = copy.deepcopy(document)
    old["format_version"] = 1
    del old["critical_item_reviews"]
    added = {
        "aliases",
        "addresses",
        "phones",
        "emails",
        "vehicles",
        "advocate_service",
        "advocate_contact",
        "wishes_and_concerns",
        "ended_on",
        "ended_reason",
        "protective_measures",
    }
    old["third_parties"] = [
        {k: v for k, v in p.items() if k not in added} for p in old["third_parties"]
    ]
    return old


def test_a_version_1_file_still_imports(source: Source, db: Database, target: Team) -> None:
    old = as_version_1(source.document)
    summary = import_into(db, target.psychologist, old)
    with db.transaction() as session:
        again = interchange.export_client(session, target.psychologist, summary.id)
    assert again["format_version"] == 2
    assert again["critical_item_reviews"] == []
    for person in again["third_parties"]:
        assert person["phones"] == [] and person["protective_measures"] == []
        assert person["ended_on"] is None
    assert as_version_1(without_exported_at(again)) == as_version_1(
        without_exported_at(source.document)
    )
    assert old["format_version"] == 1 and "critical_item_reviews" not in old  # not changed


def test_a_version_1_file_reports_problems_at_its_own_paths(
    source: Source, checker: Checker
) -> None:
    old = as_version_1(source.document)
    old["third_parties"][0]["name"] = ""
    assert has_problem(checker.problems(old), "$.third_parties[0].name", "required")


def test_a_hand_written_third_party_is_stored_as_if_typed_in(
    doc: dict[str, Any], db: Database, target: Team
) -> None:
    victim = doc["third_parties"][0]
    victim["vehicles"] = ["xy34  zzz"]
    victim["protective_measures"][0]["forbids"] = "  Entering Cobh  "
    summary = import_into(db, target.psychologist, doc)
    with db.transaction() as session:
        again = interchange.export_client(session, target.psychologist, summary.id)
    assert again["third_parties"][0]["vehicles"] == ["XY34 ZZZ"]
    assert again["third_parties"][0]["protective_measures"][0]["forbids"] == "Entering Cobh"
