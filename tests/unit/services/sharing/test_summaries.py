"""Partner summaries: what the builder reads for each audience, policies, notices, the CLI."""

from __future__ import annotations

import io
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from clinic_app import cli
from clinic_app.errors import AccessDenied, EmergencyAccessRequired, NotFound, ValidationError
from clinic_app.models import AudienceProfile, Disclosure, RiskEvent, SessionNote
from clinic_app.models.enums import (
    Attendance,
    ConsentToShare,
    Engagement,
    Gateway,
    MeasureMode,
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
    Urgency,
)
from clinic_app.reports.content import (
    EngagementSection,
    MeasureDirection,
    PhaseSection,
    ReferralFact,
    SessionUpdate,
    Subject,
)
from clinic_app.services import (
    clients,
    measure_definitions,
    measures,
    notes,
    plans,
    referrals,
    risk,
    service_directory,
    third_parties,
)
from clinic_app.services.sharing import audiences, clinical_summary, disclosures, documents, drafts
from clinic_app.services.sharing.audiences import PartnerLeakRefused, PartnerReader
from clinic_app.services.sharing.lexicon import TermCategory
from clinic_app.storage.keys import CredentialStore
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, own_password

TODAY = date.today()
START = TODAY - timedelta(days=90)
BEFORE = START - timedelta(days=30)

CALDICOTT = disclosures.CaldicottConfirmation(True, True, True, True)
DECISION = disclosures.SharingDecision(
    recipient_agency="Metropolitan Police",
    recipient_person="DS Rivers",
    purpose="Quarterly MASIP review",
    gateway=Gateway.CDA_S115,
    client_informed=True,
    caldicott=CALDICOTT,
)


@dataclass
class Built:
    client_id: int
    plan_id: int
    goal_keys: list[str]
    shared_event: int
    unshared_event: int
    silent_event: int


def build_record(db, me, admin, *, goal_wording: str = "Stop all contact with the former partner"):  # type: ignore[no-untyped-def]
    """A client with sessions, a plan, risk events, referrals and a third party.

    Sessions in the period: 6, attendance cycling attended, late, did not attend,
    cancelled by client, cancelled by service, attended -> attended 2, late 1, DNA 1,
    cancelled by client 1, by service 1 (6 offered). One more session before the period.
    """
    with db.transaction() as s:
        cid = clients.register_client(
            s,
            me,
            clients.ClientDetails(
                local_ref="MASIP-0101",
                given_name="Robin",
                family_name="Sample",
                date_of_birth=date(1980, 2, 29),
                site="North",
                referral_date=BEFORE - timedelta(days=10),
                nhs_number="943 476 5919",
                police_ref="PR/777",
                address="1 Hidden Lane",
                consent_to_share=ConsentToShare.GIVEN,
            ),
        ).id
        third_parties.add_third_party(
            s,
            me,
            cid,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM, name="Morgan Quill", details="x"
            ),
        )
        plan = plans.create_plan(
            s,
            me,
            cid,
            plans.PlanInput(
                status=PlanStatus.ACTIVE,
                phase=Phase.INTERVENTION,
                formulation="FORMULATION-PRIVATE",
                planned_sessions=20,
                next_review_on=TODAY + timedelta(days=30),
                goals=(
                    plans.GoalInput("GOAL-PRIVATE-1", goal_wording),
                    plans.GoalInput("GOAL-PRIVATE-2", "Build a weekly routine"),
                ),
            ),
        )
        keys = [g.goal_key for g in plan.goals]
        plans.rate_goal(s, me, plan.plan_id, keys[0], rating=2, rated_on=BEFORE, comment="C1")
        plans.rate_goal(s, me, plan.plan_id, keys[0], rating=6, rated_on=START + timedelta(days=10))
        cycle = [
            Attendance.ATTENDED,
            Attendance.LATE,
            Attendance.DID_NOT_ATTEND,
            Attendance.CANCELLED_BY_CLIENT,
            Attendance.CANCELLED_BY_SERVICE,
            Attendance.ATTENDED,
        ]
        engagement = [Engagement.GOOD, Engagement.PARTIAL, Engagement.NOT_ASSESSED] * 2
        for i, attendance in enumerate(cycle):
            note = notes.create_draft(
                s,
                me,
                cid,
                notes.NoteContent(
                    session_date=START + timedelta(days=7 * i),
                    duration_minutes=50,
                    modality=Modality.VIDEO if i % 2 else Modality.IN_PERSON,
                    attendance=attendance,
                    engagement=engagement[i],
                    intervention_content="NOTE-PRIVATE",
                    partner_update=f"Update {i}" if i in (0, 1) else "",
                ),
            )
            if i == 0:
                notes.sign_note(s, me, note.id, password=STAFF_PASSWORD)
        notes.create_draft(
            s,
            me,
            cid,
            notes.NoteContent(
                session_date=BEFORE,
                duration_minutes=50,
                modality=Modality.PHONE,
                attendance=Attendance.DID_NOT_ATTEND,
            ),
        )
        shared = risk.record_risk_event(
            s,
            me,
            cid,
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.URGENT,
            occurred_on=START + timedelta(days=20),
            detail="RISK-DETAIL-PRIVATE",
            shareable_statement="Sent two messages to the victim.",
        )
        risk.record_share_decision(
            s,
            me,
            shared.id,
            decision=ShareDecisionKind.SHARED,
            reason="DECISION-REASON-PRIVATE",
            gateway=Gateway.CDA_S115,
            shared_with="DS Rivers",
            client_informed=True,
        )
        unshared = risk.record_risk_event(
            s,
            me,
            cid,
            kind=RiskEventKind.ESCALATION,
            urgency=Urgency.SOON,
            occurred_on=START + timedelta(days=25),
            detail="d",
            shareable_statement="WITHHELD-STATEMENT",
        )
        risk.record_share_decision(
            s,
            me,
            unshared.id,
            decision=ShareDecisionKind.NOT_SHARED,
            reason="not needed",
            client_informed=True,
        )
        silent = risk.record_risk_event(
            s,
            me,
            cid,
            kind=RiskEventKind.DISENGAGEMENT,
            urgency=Urgency.ROUTINE,
            occurred_on=START + timedelta(days=26),
            detail="d",
        )
        service = service_directory.add_service(
            s, admin, name="Northside Substance Service", kind=ServiceKind.SUBSTANCE_MISUSE
        )
        other = service_directory.add_service(s, admin, name="Eastside GP", kind=ServiceKind.GP)
        shareable = referrals.create_referral(
            s,
            me,
            cid,
            service_id=service.id,
            reason="REFERRAL-REASON-PRIVATE",
            urgency=ReferralUrgency.ROUTINE,
            fact_shareable=True,
            share_gateway=Gateway.CONSENT,
            created_on=START,
        )
        referrals.change_status(s, me, shareable.id, ReferralStatus.SENT, on=START)
        private = referrals.create_referral(
            s,
            me,
            cid,
            service_id=other.id,
            reason="r",
            urgency=ReferralUrgency.ROUTINE,
            created_on=START,
        )
        referrals.change_status(s, me, private.id, ReferralStatus.SENT, on=START)
    return Built(cid, plan.plan_id, keys, shared.id, unshared.id, silent.id)


@pytest.fixture
def built(db, psychologist, admin):  # type: ignore[no-untyped-def]
    return build_record(db, psychologist, admin)


def prepare(db, me, client_id, audience="police", **kw):  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return drafts.prepare_partner_summary(
            s,
            me,
            client_id,
            audience=audience,
            period_from=kw.get("period_from", START),
            period_to=kw.get("period_to", TODAY),
        )


# -- the builder -------------------------------------------------------------------------------


def test_police_summary_holds_the_shareable_content_of_the_period(db, psychologist, built):
    summary = prepare(db, psychologist, built.client_id).content
    assert summary.audience_title == "Police"
    # Identifying: name, date of birth and police reference only.
    assert summary.subject == Subject(
        given_name="Robin",
        family_name="Sample",
        date_of_birth=date(1980, 2, 29),
        police_ref="PR/777",
    )
    assert summary.attendance is not None
    counts = summary.attendance.counts
    # 6 sessions in the period (the one before it is not counted):
    # attended 2, late 1, did not attend 1, cancelled by client 1, by service 1.
    assert (counts.attended, counts.late, counts.did_not_attend) == (2, 1, 1)
    assert (counts.cancelled_by_client, counts.cancelled_by_service) == (1, 1)
    assert counts.offered == 6
    assert len(summary.attendance.entries) == 6
    # Engagement rated good, partial, (not assessed), good, partial, (not assessed).
    assert summary.engagement == EngagementSection(
        good=2,
        partial=2,
        poor=0,
        latest=Engagement.PARTIAL,
        latest_on=START + timedelta(days=28),
    )
    # Only the signed note's partner update is shared; the draft's is not final.
    assert summary.session_updates == (SessionUpdate(START, "Update 0"),)
    assert summary.phase == PhaseSection(Phase.INTERVENTION, PlanStatus.ACTIVE, 20, None)
    assert summary.goals is not None
    first, second = summary.goals
    assert first.partner_wording == "Stop all contact with the former partner"
    assert (first.rating, first.rating_at_start) == (6, 2)
    assert second.rating is None
    assert summary.risk is not None
    # The shared event is in; the one decided not to be shared and the one without a
    # statement are left out.
    assert [s.statement for s in summary.risk.statements] == ["Sent two messages to the victim."]
    assert summary.risk.statements[0].decision is ShareDecisionKind.SHARED
    # Only the referral whose fact may be shared, with its status as it stands.
    assert summary.referrals == (
        ReferralFact(
            "Northside Substance Service", ServiceKind.SUBSTANCE_MISUSE, ReferralStatus.SENT, START
        ),
    )
    assert summary.measure_directions is None  # not in the police policy
    assert summary.next_review == TODAY + timedelta(days=30)
    assert summary.author.name == "Dr Jones"


def test_the_author_is_told_what_was_left_out(db, psychologist, built):
    draft = prepare(db, psychologist, built.client_id)
    assert any("no shareable statement" in n for n in draft.notes)
    assert any("decided not to be shared" in n for n in draft.notes)


def test_each_audience_gets_only_its_identifying_fields_and_sections(db, psychologist, built):
    advocate = prepare(db, psychologist, built.client_id, "victim-advocate").content
    assert advocate.subject == Subject(
        given_name="Robin", family_name="Sample", police_ref="PR/777"
    )
    assert advocate.goals is None and advocate.referrals is None
    assert advocate.session_updates is None
    gp = prepare(db, psychologist, built.client_id, "gp").content
    assert gp.subject.nhs_number == "9434765919"
    assert gp.subject.police_ref is None and gp.subject.address is None
    assert gp.risk is None
    assert gp.measure_directions == ()  # received, but nothing was repeated
    panel = prepare(db, psychologist, built.client_id, "panel").content
    assert panel.subject.local_ref == "MASIP-0101"
    assert set(panel.sections) == set(Section)


def test_referral_status_is_the_one_at_the_end_of_the_period(db, psychologist, built):
    with db.transaction() as s:
        rid = referrals.referrals_for_client(s, psychologist, built.client_id)[0].id
        referrals.change_status(s, psychologist, rid, ReferralStatus.ACKNOWLEDGED, on=TODAY)
    earlier = prepare(db, psychologist, built.client_id, period_to=TODAY - timedelta(days=1))
    now = prepare(db, psychologist, built.client_id)
    assert earlier.content.referrals is not None and now.content.referrals is not None
    assert earlier.content.referrals[0].status is ReferralStatus.SENT
    assert now.content.referrals[0].status is ReferralStatus.ACKNOWLEDGED


def _shareable_referral(s, me, client_id: int, service_id: int, created_on: date) -> int:  # type: ignore[no-untyped-def]
    return referrals.create_referral(
        s,
        me,
        client_id,
        service_id=service_id,
        reason="REFERRAL-REASON-PRIVATE",
        urgency=ReferralUrgency.ROUTINE,
        fact_shareable=True,
        share_gateway=Gateway.CONSENT,
        created_on=created_on,
    ).id


def test_only_referrals_sent_by_the_end_of_the_period_are_reported(db, psychologist, admin, built):
    with db.transaction() as s:
        forensic = service_directory.add_service(
            s, admin, name="Westway Forensic Team", kind=ServiceKind.FORENSIC
        ).id
        psychiatry = service_directory.add_service(
            s, admin, name="Southbank Psychiatry", kind=ServiceKind.PSYCHIATRY
        ).id
        talking = service_directory.add_service(
            s, admin, name="Hillside Talking Therapies", kind=ServiceKind.TALKING_THERAPIES
        ).id
        # Withdrawn: a draft closed without ever being sent.
        withdrawn = _shareable_referral(s, psychologist, built.client_id, forensic, START)
        referrals.change_status(
            s, psychologist, withdrawn, ReferralStatus.CLOSED, on=START + timedelta(days=3)
        )
        # Still a draft.
        _shareable_referral(s, psychologist, built.client_id, psychiatry, START)
        # Written in the period but sent only on its last day (TODAY).
        late = _shareable_referral(s, psychologist, built.client_id, talking, START)
        referrals.change_status(s, psychologist, late, ReferralStatus.SENT, on=TODAY)
    yesterday = TODAY - timedelta(days=1)
    earlier = prepare(db, psychologist, built.client_id, period_to=yesterday).content
    now = prepare(db, psychologist, built.client_id).content
    # Before: only the referral sent at the start of the period (from build_record). The
    # withdrawn one would have read "Closed", though nothing was ever sent.
    assert earlier.referrals == (
        ReferralFact(
            "Northside Substance Service", ServiceKind.SUBSTANCE_MISUSE, ReferralStatus.SENT, START
        ),
    )
    # To today: the one sent today is reported too; the withdrawn one and the draft never.
    assert now.referrals is not None
    assert [(f.service_name, f.status, f.sent_on) for f in now.referrals] == [
        ("Northside Substance Service", ReferralStatus.SENT, START),
        ("Hillside Talking Therapies", ReferralStatus.SENT, TODAY),
    ]
    names = {f.service_name for f in now.referrals}
    assert not names & {"Westway Forensic Team", "Southbank Psychiatry"}


def test_a_referral_sent_then_closed_is_reported_with_its_status_then(
    db, psychologist, admin, built
):
    with db.transaction() as s:
        service = service_directory.add_service(
            s, admin, name="Westway Forensic Team", kind=ServiceKind.FORENSIC
        ).id
        rid = _shareable_referral(s, psychologist, built.client_id, service, START)
        referrals.change_status(
            s, psychologist, rid, ReferralStatus.SENT, on=START + timedelta(days=1)
        )
        referrals.change_status(s, psychologist, rid, ReferralStatus.CLOSED, on=TODAY)
    yesterday = TODAY - timedelta(days=1)
    earlier = prepare(db, psychologist, built.client_id, period_to=yesterday).content
    now = prepare(db, psychologist, built.client_id).content
    assert earlier.referrals is not None and now.referrals is not None
    assert earlier.referrals[-1].status is ReferralStatus.SENT
    assert now.referrals[-1].status is ReferralStatus.CLOSED  # sent, then closed: both true
    assert now.referrals[-1].sent_on == START + timedelta(days=1)


def test_a_bad_period_is_refused_with_every_problem(db, psychologist, built):
    with pytest.raises(ValidationError) as caught:
        prepare(
            db,
            psychologist,
            built.client_id,
            period_from=TODAY + timedelta(days=5),
            period_to=TODAY + timedelta(days=1),
        )
    messages = " ".join(p.message for p in caught.value.problems)
    assert "cannot be in the future" in messages
    assert "must not be after its end" in messages


def test_unknown_audience_and_no_access_are_refused(db, psychologist, clinician, admin, built):
    with pytest.raises(NotFound, match="no audience called 'press'"):
        prepare(db, psychologist, built.client_id, "press")
    with pytest.raises(EmergencyAccessRequired):
        prepare(db, clinician, built.client_id)
    with pytest.raises(AccessDenied):
        prepare(db, admin, built.client_id)


def test_measure_direction_is_words_only(db, psychologist, built):
    # PHQ-9 totals 20 then 5: a fall of 15 points, beyond the reliable change of 6,
    # so the direction is improving; no total or band reaches the content.
    with db.transaction() as s:
        for day, value in (
            (START, [3, 3, 2, 2, 2, 2, 2, 2, 2]),
            (TODAY, [1, 1, 1, 1, 1, 0, 0, 0, 0]),
        ):
            measures.record_administration(
                s,
                psychologist,
                built.client_id,
                measure_id="phq-9",
                measure_version=_phq9_version(s, psychologist),
                administered_on=day,
                answers=dict(enumerate(value, start=1)),
                mode=MeasureMode.CLINICIAN_ENTRY,
            )
    summary = prepare(db, psychologist, built.client_id, "panel").content
    assert summary.measure_directions is not None
    (direction,) = summary.measure_directions
    assert direction.direction == "improving"
    assert (direction.first_on, direction.last_on) == (START, TODAY)
    assert direction.measure == "PHQ-9"
    # The content type has no room for a score: only these four fields exist.
    assert [f.name for f in fields(MeasureDirection)] == [
        "measure",
        "first_on",
        "last_on",
        "direction",
    ]


def test_a_typed_tool_name_is_checked_and_a_coded_one_is_not(db, psychologist, built):
    with db.transaction() as s:
        clients.record_risk_assessment(
            s,
            psychologist,
            built.client_id,
            tool=RiskTool.SAM,
            tool_version="1",
            assessed_on=START,
            judgements={"nature": "moderate"},
            rationale="RATIONALE-PRIVATE",
            shareable_summary="Risk is moderate and stable.",
        )
    coded = prepare(db, psychologist, built.client_id)
    assert coded.content.risk is not None and coded.content.risk.assessment is not None
    assert coded.content.risk.assessment.tool_name == "SAM"
    # The tool's own code is fixed text, not the author's words: not offered for checking.
    assert "risk.assessment.tool_name" not in {f.path for f in coded.text_fields()}
    with db.transaction() as s:
        clients.record_risk_assessment(
            s,
            psychologist,
            built.client_id,
            tool=RiskTool.OTHER,
            tool_name="Psychosis risk screen",
            tool_version="2",
            assessed_on=START + timedelta(days=1),
            judgements={"overall": "moderate"},
            rationale="RATIONALE-PRIVATE",
            shareable_summary="Risk is moderate and stable.",
        )
    typed = prepare(db, psychologist, built.client_id)
    hits = [(h.field, h.term, h.category) for h in typed.hits]
    assert ("risk.assessment.tool_name", "Psychosis", TermCategory.DIAGNOSIS) in hits
    # It is resolved like any other: here reworded.
    with db.transaction() as s:
        reworded = drafts.revise(
            s, psychologist, typed, edits={"risk.assessment.tool_name": "Local risk screen"}
        )
    assert reworded.ready
    assert reworded.content.risk is not None and reworded.content.risk.assessment is not None
    assert reworded.content.risk.assessment.tool_name == "Local risk screen"


def test_an_imported_measure_title_is_checked_and_a_shipped_one_is_not(
    db, psychologist, admin, built
):
    from tests.unit.services.test_measure_services import example_text

    with db.transaction() as s:
        measure_definitions.import_definition(
            s, admin, example_text(id="northclinic.psychosis", short_title="Psychosis screen")
        )
        # Totals 3+3+3+1 = 10, then 0: a fall of 10 against S_diff = 2.5 * sqrt(2) *
        # sqrt(1 - 0.8) = 1.58, RC = -6.3, beyond 1.96: improving (item 4 stays below
        # its critical value of 2).
        for day, answers in (
            (START, {1: 3, 2: 3, 3: 3, 4: 1}),
            (TODAY, dict.fromkeys(range(1, 5), 0)),
        ):
            measures.record_administration(
                s,
                psychologist,
                built.client_id,
                measure_id="northclinic.psychosis",
                measure_version="1",
                administered_on=day,
                answers=answers,
            )
        # PHQ-9 totals 18 then 0 (reliable improvement of 6 or more).
        for day, value in ((START, 2), (TODAY, 0)):
            measures.record_administration(
                s,
                psychologist,
                built.client_id,
                measure_id="phq-9",
                measure_version=_phq9_version(s, psychologist),
                administered_on=day,
                answers=dict.fromkeys(range(1, 10), value),
            )
    draft = prepare(db, psychologist, built.client_id, "panel")
    directions = draft.content.measure_directions
    assert directions is not None
    assert [(d.measure, d.direction) for d in directions] == [
        ("PHQ-9", "improving"),
        ("Psychosis screen", "improving"),
    ]
    measure_fields = {f.path: f.text for f in draft.text_fields() if f.path.startswith("measure")}
    # Only the clinic's own title is the clinic's words; PHQ-9 is the shipped, fixed title.
    assert measure_fields == {"measure_directions[1].measure": "Psychosis screen"}
    hits = [(h.field, h.term, h.category) for h in draft.hits]
    assert ("measure_directions[1].measure", "Psychosis", TermCategory.DIAGNOSIS) in hits
    assert not any(h.term == "PHQ-9" for h in draft.hits)


def _phq9_version(session, me) -> str:  # type: ignore[no-untyped-def]
    found = [d for d in measure_definitions.available_measures(session, me) if d.id == "phq-9"]
    assert found, "the shipped PHQ-9 definition is needed for this test"
    return found[0].version


# -- audience policies -------------------------------------------------------------------------


def test_an_administrator_may_narrow_a_policy(db, admin, psychologist, built):
    with db.transaction() as s:
        policy = audiences.set_audience_policy(
            s, admin, "police", sections=["attendance", "risk"], fields=["name", "police_ref"]
        )
    assert policy.sections == (Section.ATTENDANCE, Section.RISK)
    assert not policy.built_in
    summary = prepare(db, psychologist, built.client_id).content
    assert summary.goals is None and summary.subject.date_of_birth is None
    with db.transaction() as s:
        audiences.reset_audience_policy(s, admin, "police")
    assert prepare(db, psychologist, built.client_id).content.goals is not None


def test_a_policy_naming_clinical_or_third_party_fields_lists_every_one(db, admin):
    with db.transaction() as s, pytest.raises(ValidationError) as caught:
        audiences.set_audience_policy(
            s,
            admin,
            "police",
            sections=["attendance", "diagnoses"],
            fields=["name", "client.sharing_notes", "third_party.name", "referral.reason"],
        )
    messages = [p.message for p in caught.value.problems]
    assert any("no section called 'diagnoses'" in m for m in messages)
    assert any("'client.sharing_notes'" in m and "clinical" in m for m in messages)
    assert any("'referral.reason'" in m and "clinical" in m for m in messages)
    assert any("'third_party.name'" in m and "third party" in m for m in messages)
    with db.session() as s:
        assert s.get(AudienceProfile, "police") is None  # nothing saved


def test_only_administrators_change_policies(db, psychologist):
    with db.transaction() as s, pytest.raises(AccessDenied):
        audiences.set_audience_policy(s, psychologist, "gp", sections=[], fields=["name"])


def test_a_stored_policy_is_checked_again_when_used(db, admin, psychologist, built):
    # A policy written into the table behind the service's back cannot be used.
    with db.transaction() as s:
        s.add(
            AudienceProfile(
                name="police",
                policy={
                    "sections": ["attendance"],
                    "fields": ["client.given_name", "risk_event.detail"],
                },
                updated_by=admin.id,
            )
        )
    with pytest.raises(ValidationError, match=r"risk_event\.detail"):
        prepare(db, psychologist, built.client_id)


def test_a_section_whose_column_became_clinical_is_refused(monkeypatch, db, psychologist, built):
    monkeypatch.setitem(
        audiences.SECTION_COLUMNS,
        Section.RISK,
        ("risk_event.shareable_statement", "risk_event.detail"),
    )
    with pytest.raises(ValidationError, match="risk-relevant events section"):
        prepare(db, psychologist, built.client_id)


def test_the_guarded_reader_refuses_clinical_and_unlisted_columns():
    reader = PartnerReader(audiences.BUILT_IN["victim-advocate"])
    with pytest.raises(PartnerLeakRefused, match=r"risk_event\.detail"):
        reader.select(RiskEvent.detail)
    with pytest.raises(
        PartnerLeakRefused, match=r"does not include 'session_note\.partner_update'"
    ):
        reader.select(SessionNote.partner_update)  # shareable, but not for this audience
    assert reader.select(SessionNote.attendance, SessionNote.client_id) is not None


def test_every_built_in_policy_passes_its_own_check():
    for policy in audiences.BUILT_IN.values():
        assert audiences.policy_problems(policy) == [], policy.name


# -- urgent risk notification ------------------------------------------------------------------


def test_risk_notice_content_and_refusals(db, psychologist, built):
    with db.transaction() as s:
        draft = drafts.prepare_risk_notice(s, psychologist, built.shared_event)
    assert draft.content.statement == "Sent two messages to the victim."
    assert draft.content.urgency is Urgency.URGENT
    assert draft.content.subject.police_ref == "PR/777"
    with db.transaction() as s, pytest.raises(ValidationError, match="no shareable statement"):
        drafts.prepare_risk_notice(s, psychologist, built.silent_event)
    with db.transaction() as s, pytest.raises(ValidationError, match="decided not to be shared"):
        drafts.prepare_risk_notice(s, psychologist, built.unshared_event)
    with db.transaction() as s, pytest.raises(ValidationError, match="does not receive risk"):
        drafts.prepare_risk_notice(s, psychologist, built.shared_event, audience="gp")


# -- clinical summary --------------------------------------------------------------------------


def test_clinical_summary_has_full_content_and_clinical_marking(db, psychologist, built, tmp_path):
    with db.transaction() as s:
        content = clinical_summary.build_clinical_summary(s, psychologist, built.client_id)
        result = documents.export_clinical_summary(
            s,
            psychologist,
            built.client_id,
            replace(DECISION, recipient_agency="Clinical record", gateway=None),
            tmp_path / "clinical.pdf",
        )
    assert content.formulation == "FORMULATION-PRIVATE"
    assert content.goals[0].private_detail == "GOAL-PRIVATE-1"
    assert {r.reason for r in content.referrals} == {"REFERRAL-REASON-PRIVATE", "r"}
    assert content.risk_events[0].detail == "RISK-DETAIL-PRIVATE"
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "clinical.pdf").pages)
    assert "CLINICAL \u2014 NOT FOR PARTNER AGENCIES" in text
    assert "OFFICIAL-SENSITIVE" not in text
    assert "Morgan Quill" not in text  # third parties never leave, even here
    assert result.disclosure.kind.value == "clinical_summary"
    assert result.disclosure.audience == disclosures.CLINICAL_AUDIENCE


# -- the command line --------------------------------------------------------------------------


def _cli(db, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    own_password(db, "dr.jones")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        [*args, "--db", str(db.path), "--user", "dr.jones", "--password-stdin"],
        stdin=io.StringIO(STAFF_PASSWORD + "\n"),
        stdout=out,
        stderr=err,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def keyed(db, db_key):  # type: ignore[no-untyped-def]
    CredentialStore().put(db.path, db_key)
    return db


def _summary_args(client: str, out: Path, *extra: str) -> list[str]:
    return [
        "summary",
        "--client",
        client,
        "--audience",
        "police",
        "--from",
        START.isoformat(),
        "--to",
        TODAY.isoformat(),
        "--recipient",
        "Metropolitan Police",
        "--purpose",
        "Quarterly MASIP review",
        "--gateway",
        "cda-s115",
        "--out",
        str(out),
        *extra,
    ]


def _register_size(db) -> int:  # type: ignore[no-untyped-def]
    """Documents in the register (the record's own share decisions are entries too)."""
    with db.session() as s:
        documents_only = Disclosure.kind.not_in(disclosures.WITHOUT_DOCUMENT)
        return s.scalar(select(func.count()).select_from(Disclosure).where(documents_only)) or 0


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_cli_summary_writes_and_logs(keyed, psychologist, admin, tmp_path):
    build_record(keyed, psychologist, admin)
    out = tmp_path / "police.pdf"
    code, stdout, err = _cli(
        keyed,
        *_summary_args(
            "MASIP-0101",
            out,
            "--client-informed",
            "--caldicott",
            "necessary,minimum,relevant,accurate",
        ),
    )
    assert code == 0, err
    assert "in the disclosure register" in stdout
    with keyed.session() as s:
        (row,) = s.scalars(
            select(Disclosure).where(Disclosure.kind.not_in(disclosures.WITHOUT_DOCUMENT))
        ).all()
        assert row.document_sha256 == disclosures.sha256_hex(out.read_bytes())
        assert (row.period_from, row.period_to) == (START, TODAY)


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_cli_refuses_without_every_caldicott_answer_and_writes_nothing(
    keyed, psychologist, admin, tmp_path
):
    build_record(keyed, psychologist, admin)
    out = tmp_path / "police.pdf"
    code, _, err = _cli(
        keyed,
        *_summary_args("MASIP-0101", out, "--client-informed", "--caldicott", "necessary,minimum"),
    )
    assert code == 1
    assert "not yet confirmed: relevant, accurate" in err
    code, _, err = _cli(keyed, *_summary_args("MASIP-0101", out, "--client-informed"))
    assert code == 1 and "Caldicott" in err
    assert not out.exists() and _register_size(keyed) == 0


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_cli_refuses_on_lexicon_hits_unless_accepted(keyed, psychologist, admin, tmp_path):
    build_record(keyed, psychologist, admin, goal_wording="Manage paranoid thoughts about Morgan")
    out = tmp_path / "police.pdf"
    args = _summary_args(
        "MASIP-0101",
        out,
        "--client-not-informed-reason",
        "Telling him would raise the risk to the victim",
        "--caldicott",
        "necessary",
        "--caldicott",
        "minimum,relevant,accurate",
    )
    code, stdout, err = _cli(keyed, *args)
    assert code == 1
    assert "'paranoid' in Goal 1 (partner wording) looks like a clinical term" in stdout
    assert "Goal 1 (partner wording) holds the name of a third party" in stdout
    assert "Morgan" not in stdout + err  # a victim's name is never printed
    assert "Nothing was written or logged" in err
    assert not out.exists() and _register_size(keyed) == 0
    # Accepting the clinical warnings does not keep the victim's name.
    code, stdout, err = _cli(keyed, *args, "--accept-warnings")
    assert code == 1 and "--keep-third-party-details" in err
    assert not out.exists() and _register_size(keyed) == 0
    reason = "The order police enforce names her"
    code, stdout, err = _cli(
        keyed, *args, "--accept-warnings", "--keep-third-party-details", reason
    )
    assert code == 0, err
    assert "Accepted as they were: 1 wording warning; this is recorded." in stdout
    with keyed.session() as s:
        row = s.scalars(
            select(Disclosure).where(Disclosure.kind.not_in(disclosures.WITHOUT_DOCUMENT))
        ).one()
        assert row.payload is not None and row.payload["lexicon"]["warnings_accepted"] == 1
        kept = [h for h in row.payload["lexicon"]["hits"] if h["category"] == "third_party_name"]
        assert [h["reason"] for h in kept] == [reason]
        assert not row.client_informed


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_cli_risk_notice_and_register(keyed, psychologist, admin, tmp_path):
    record = build_record(keyed, psychologist, admin)
    out = tmp_path / "notice.pdf"
    code, stdout, err = _cli(
        keyed,
        "risk-notice",
        "--event",
        str(record.shared_event),
        "--recipient",
        "Metropolitan Police",
        "--purpose",
        "Urgent: contact with the victim",
        "--gateway",
        "public-interest",
        "--client-informed",
        "--caldicott",
        "necessary,minimum,relevant,accurate",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert len(PdfReader(out).pages) == 1
    code, stdout, _ = _cli(keyed, "register", "list", "--client", "MASIP-0101")
    assert code == 0 and "Urgent risk notification" in stdout
    csv_out = tmp_path / "register.csv"
    code, stdout, err = _cli(keyed, "register", "export", "--out", str(csv_out))
    assert code == 0, err
    # The notification, and the record's two share decisions (shared, not shared).
    assert "Wrote 3 register entries" in stdout
    exported = csv_out.read_text(encoding="utf-8-sig")
    assert "MASIP-0101" in exported
    assert "Risk event shared" in exported and "Decision not to share" in exported


@pytest.mark.workstation_engine("runs the command line on a workstation database file")
def test_cli_audience_commands(keyed, admin, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        [
            "audience",
            "set",
            "gp",
            "--sections",
            "attendance,referrals",
            "--fields",
            "name,nhs_number,client.formulation",
            "--db",
            str(keyed.path),
            "--user",
            "admin",
            "--password-stdin",
        ],
        stdin=io.StringIO(ADMIN_PASSWORD + "\n"),
        stdout=out,
        stderr=err,
    )
    assert code == 1
    assert "no field called 'client.formulation'" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["audience", "list", "--db", str(keyed.path), "--user", "admin", "--password-stdin"],
        stdin=io.StringIO(ADMIN_PASSWORD + "\n"),
        stdout=out,
        stderr=err,
    )
    assert code == 0
    assert "victim-advocate\tVictim advocate\t(built in)" in out.getvalue()
