"""No clinical or third-party canary reaches a partner document saved through the screens.

A real encrypted database is filled with a client whose every CLINICAL and THIRD_PARTY
text field holds a unique canary (through the services where a table is append-only,
directly elsewhere), and whose identifying details are canaries too. The partner summary
wizard and the urgent risk notification dialog are then driven to the end for every
audience with the real services, the author keeping every lexicon warning (the worst
case); the written PDF's text and metadata are read back with pypdf and searched.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import JSON, Enum, String, Text, select, update
from sqlalchemy.exc import DatabaseError

from clinic_app.models import Base, Privacy, privacy_of
from clinic_app.models.enums import (
    Attendance,
    ConsentToShare,
    Engagement,
    Gateway,
    InterventionKind,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    Section,
    ServiceKind,
    ShareDecisionKind,
    ThirdPartyRelation,
    Typology,
    Urgency,
)
from clinic_app.services import clients, notes, plans, referrals, risk, third_parties
from clinic_app.services.sharing import audiences, documents, drafts
from clinic_app.services.sharing.audiences import AUDIENCE_NAMES, BUILT_IN
from clinic_app.services.workspace import Workspace
from clinic_app.views.sharing import register as register_view
from clinic_app.views.sharing.actions import PartnerSummaryActions, RiskNoticeActions
from clinic_app.views.sharing.document_wizards import PartnerSummaryWizard, RiskNoticeDialog
from clinic_app.views.sharing.wizard import Step
from tests.conftest import STAFF_PASSWORD

TODAY = date.today()
START = TODAY - timedelta(days=60)
NEVER = frozenset({Privacy.CLINICAL, Privacy.THIRD_PARTY})
MARK = re.compile(r"ZQ\d{3}QZ")

# Identifying details as canaries too: an audience that may not have one must not get it.
IDENTIFYING = {
    "client.given_name": ("Zqgivenx",),
    "client.family_name": ("Zqfamilyx",),
    "client.date_of_birth": ("12 April 1985",),
    "client.nhs_number": ("9434765919", "943 476 5919"),
    "client.local_ref": ("ZQLOCALREF",),
    "client.police_ref": ("ZQPOLICEREF",),
    "client.address": ("ZQADDRESSLINE",),
}


class Canaries:
    """Unique marker strings, remembered so a document can be searched for every one."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def __call__(self) -> str:
        value = f"ZQ{len(self.made):03d}QZ"
        self.made.append(value)
        return value


def seed(db: Any, me: Any, admin: Any, canary: Canaries) -> tuple[int, int]:
    """A client with a record in every part, every private text a canary."""
    with db.transaction() as s:
        cid = clients.register_client(
            s,
            me,
            clients.ClientDetails(
                local_ref="ZQLOCALREF",
                given_name="Zqgivenx",
                family_name="Zqfamilyx",
                date_of_birth=date(1985, 4, 12),
                site="North",
                referral_date=START - timedelta(days=30),
                nhs_number="943 476 5919",
                police_ref="ZQPOLICEREF",
                address="ZQADDRESSLINE",
                sharing_notes=canary(),
                consent_to_share=ConsentToShare.GIVEN,
            ),
        ).id
        # The third party's name is a canary: the lexicon looks for it in shareable text
        # (it is not there), and it must never reach a document whatever the author keeps.
        third_parties.add_third_party(
            s,
            me,
            cid,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM,
                name=canary(),
                aliases=(canary(),),
                addresses=(canary(),),
                advocate_service=canary(),
                advocate_contact=canary(),
                wishes_and_concerns=canary(),
                details=canary(),
            ),
        )
        clients.set_typology(s, me, cid, Typology.REJECTED, rationale=canary(), assessed_on=START)
        clients.record_risk_assessment(
            s,
            me,
            cid,
            tool=RiskTool.SRP,
            tool_version="2",
            assessed_on=START,
            judgements={canary(): "high"},
            rationale=canary(),
            shareable_summary="Risk reviewed with partners.",
        )
        plan = plans.create_plan(
            s,
            me,
            cid,
            plans.PlanInput(
                status=PlanStatus.ACTIVE,
                phase=Phase.INTERVENTION,
                formulation=canary(),
                change_note=canary(),
                planned_sessions=12,
                next_review_on=TODAY + timedelta(days=20),
                goals=(
                    # The partner wording names a diagnosis so there is a hit to keep.
                    plans.GoalInput(canary(), "Manage his depression and keep to bail"),
                    plans.GoalInput(canary(), "Build a routine", True, canary()),
                ),
                interventions=(plans.InterventionInput(InterventionKind.CBT, canary()),),
            ),
        )
        plans.rate_goal(
            s,
            me,
            plan.plan_id,
            plan.goals[0].goal_key,
            rating=5,
            rated_on=START + timedelta(days=5),
            comment=canary(),
        )
        note_ids = []
        for i in range(4):
            note = notes.create_draft(
                s,
                me,
                cid,
                notes.NoteContent(
                    session_date=START + timedelta(days=7 * i + 1),
                    duration_minutes=50,
                    modality=Modality.IN_PERSON,
                    attendance=[Attendance.ATTENDED, Attendance.LATE][i % 2],
                    engagement=Engagement.GOOD,
                    risk_checkin=canary(),
                    agenda=canary(),
                    intervention_content=canary(),
                    homework=canary(),
                    risk_rerating=canary(),
                    actions=canary(),
                    partner_update="Attended and took part." if i == 0 else "",
                ),
            )
            note_ids.append(note.id)
        notes.sign_note(s, me, note_ids[0], password=STAFF_PASSWORD)
        notes.add_addendum(
            s, me, note_ids[0], reason=canary(), text=canary(), password=STAFF_PASSWORD
        )
        notes.mark_entered_in_error(s, me, note_ids[3], reason=canary())
        event = risk.record_risk_event(
            s,
            me,
            cid,
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.URGENT,
            occurred_on=TODAY - timedelta(days=3),
            detail=canary(),
            shareable_statement="Reported contact with the victim on Monday. Police told.",
        )
        risk.record_share_decision(
            s,
            me,
            event.id,
            decision=ShareDecisionKind.SHARED,
            reason=canary(),
            gateway=Gateway.CDA_S115,
            shared_with="Metropolitan Police",
            client_informed=True,
        )
        service = referrals.add_service(
            s, admin, name="Northside Wellbeing Service", kind=ServiceKind.OTHER
        )
        referral = referrals.create_referral(
            s,
            me,
            cid,
            service_id=service.id,
            reason=canary(),
            clinical_detail=canary(),
            urgency=ReferralUrgency.ROUTINE,
            fact_shareable=True,
            share_gateway=Gateway.CONSENT,
            created_on=START,
        )
        referrals.change_status(s, me, referral.id, ReferralStatus.SENT, on=START, note=canary())
    return cid, event.id


def _text_columns() -> list[tuple[Any, Any]]:
    found = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        for column in table.columns:
            if privacy_of(column) in NEVER:
                found.append((table, column))
    return found


def fill_the_rest(db: Any, canary: Canaries) -> None:
    """Put a canary in every CLINICAL or THIRD_PARTY text column the triggers allow."""
    with db.transaction() as s:
        for table, column in _text_columns():
            if isinstance(column.type, Enum) or not isinstance(column.type, String | Text):
                continue
            savepoint = s.begin_nested()
            try:
                s.execute(update(table).values({column.name: canary()}))
            except DatabaseError:
                savepoint.rollback()  # append-only or signed: filled through the services
            else:
                savepoint.commit()


def assert_every_private_text_is_a_canary(db: Any) -> None:
    """Proof that the seeding reached every private field that holds anything."""
    missed = []
    with db.session() as s:
        for table, column in _text_columns():
            if not isinstance(column.type, String | Text | JSON) or isinstance(column.type, Enum):
                continue
            for value in s.execute(select(column)).scalars():
                if value in (None, "", {}) or table.name == "disclosure":
                    continue
                if not MARK.search(str(value)):
                    missed.append(f"{table.name}.{column.name}")
    assert sorted(set(missed)) == []


def pdf_words(path: Path) -> tuple[str, str]:
    """All the text of a PDF and all its metadata, each also without any whitespace."""
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    everything = f"{text}\n{meta}"
    return everything, re.sub(r"\s+", "", everything)


def assert_clean(path: Path, canaries: list[str], forbidden: list[str]) -> None:
    text, squeezed = pdf_words(path)
    assert "Progress summary" in text or "Urgent risk notification" in text  # it read
    leaked = [c for c in canaries if c in text or c in squeezed]
    assert leaked == []
    assert not MARK.search(squeezed)
    wrong = [value for value in forbidden if value in text or re.sub(r"\s+", "", value) in squeezed]
    assert wrong == []


def forbidden_identifying(audience: str) -> list[str]:
    allowed = set(BUILT_IN[audience].identifying)
    return [v for field, values in IDENTIFYING.items() if field not in allowed for v in values]


@pytest.fixture
def record(db, psychologist, admin):  # type: ignore[no-untyped-def]
    canary = Canaries()
    client_id, event_id = seed(db, psychologist, admin, canary)
    fill_the_rest(db, canary)
    assert_every_private_text_is_a_canary(db)
    return client_id, event_id, canary.made


@pytest.fixture
def save_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(
        register_view,
        "ask_save_path",
        lambda parent, title, suggested, filters: str(folder / Path(suggested).name),
    )
    return folder


def drive(wizard: Any, qtbot: Any, audience: str) -> Path:
    """Fill in, keep every warning, confirm, preview and save; the saved file's path."""
    details = wizard.details
    details.audience.setCurrentIndex(details.audience.findData(audience))
    details.recipient_agency.setText("Metropolitan Police")
    details.purpose.setPlainText("Quarterly review")
    details.gateway.setCurrentIndex(details.gateway.findData(Gateway.CDA_S115))
    details.told_yes.setChecked(True)
    wizard.next_button.click()
    assert wizard.current_step is Step.WORDING, wizard.page_errors.text()
    for row in list(wizard.review.rows):
        row.keep_button.click()
    wizard.next_button.click()
    assert wizard.current_step is Step.PREVIEW and wizard.rendered is not None
    wizard.next_button.click()
    assert wizard.current_step is Step.CALDICOTT
    for box in wizard.caldicott.boxes.values():
        box.setChecked(True)
    wizard.next_button.click()
    assert wizard.current_step is Step.SAVE
    with qtbot.waitSignal(wizard.exported) as exported:
        wizard.next_button.click()
    result = exported.args[0]
    assert result.path.read_bytes() == wizard.rendered.data  # what was previewed, exactly
    return Path(result.path)


@pytest.mark.parametrize("audience", AUDIENCE_NAMES)
def test_partner_summary_saved_through_the_wizard_holds_no_canary(
    qtbot, db, psychologist, record, save_in, audience
):
    client_id, _event_id, canaries = record
    workspace = Workspace(db, psychologist)
    actions = PartnerSummaryActions(
        list_audiences=workspace.bind(audiences.list_audiences),
        prepare=workspace.bind(drafts.prepare_partner_summary),
        revise=workspace.bind(drafts.revise),
        preview=workspace.bind(documents.preview_partner_summary),
        export=workspace.bind(documents.export_partner_summary),
    )
    wizard = PartnerSummaryWizard(client_id, actions)
    qtbot.addWidget(wizard)

    path = drive(wizard, qtbot, audience)

    assert "Zqgivenx" not in path.name and "Zqfamilyx" not in path.name
    assert_clean(path, canaries, forbidden_identifying(audience))
    # The one hit was the diagnosis in the goal, where the audience receives goals.
    assert wizard.draft is not None
    terms = {h.term for h in wizard.draft.hits}
    assert terms <= {"depression"}


@pytest.mark.parametrize(
    "audience", [n for n in AUDIENCE_NAMES if Section.RISK in BUILT_IN[n].sections]
)
def test_urgent_risk_notification_saved_through_the_dialog_holds_no_canary(
    qtbot, db, psychologist, record, save_in, audience
):
    _client_id, event_id, canaries = record
    workspace = Workspace(db, psychologist)
    actions = RiskNoticeActions(
        list_audiences=workspace.bind(audiences.list_audiences),
        prepare=workspace.bind(drafts.prepare_risk_notice),
        revise=workspace.bind(drafts.revise),
        preview=workspace.bind(documents.preview_risk_notice),
        export=workspace.bind(documents.export_risk_notice),
    )
    dialog = RiskNoticeDialog(event_id, actions)
    qtbot.addWidget(dialog)

    path = drive(dialog, qtbot, audience)

    assert path.name.startswith("urgent-risk-notification-")
    assert_clean(path, canaries, forbidden_identifying(audience))
