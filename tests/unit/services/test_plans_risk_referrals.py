"""Plans and revisions, risk events and share decisions, referrals, measure answers."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from clinic_app.errors import ConflictError, InvalidTransition, ValidationError
from clinic_app.models.enums import (
    Gateway,
    InterventionKind,
    MeasureMode,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    ServiceKind,
    ShareDecisionKind,
    Urgency,
)
from clinic_app.services import measures, plans, referrals, risk, service_directory

GOAL = plans.GoalInput(private_detail="Reduce rumination.", partner_wording="Manage thoughts")
PLAN = plans.PlanInput(
    status=PlanStatus.ACTIVE,
    phase=Phase.INTERVENTION,
    formulation="Private formulation.",
    planned_sessions=12,
    goals=(GOAL,),
    interventions=(plans.InterventionInput(InterventionKind.CBT, "Weekly"),),
)


def test_each_save_is_a_new_revision_and_old_ones_are_kept(db, psychologist, client_id):
    with db.transaction() as session:
        first = plans.create_plan(session, psychologist, client_id, PLAN)
    key = first.goals[0].goal_key
    revised = plans.PlanInput(
        **{
            **PLAN.__dict__,
            "goals": (
                plans.GoalInput("Reduce rumination (revised).", "Manage thoughts", goal_key=key),
                plans.GoalInput(
                    "Write to the victim to apologise.",
                    "Explore responsibility",
                    involves_victim=True,
                    victim_review_note="Discussed with the victim advocate: no letter; "
                    "responsibility explored in sessions only.",
                ),
            ),
        }
    )
    with db.transaction() as session:
        second = plans.save_revision(session, psychologist, first.plan_id, revised, based_on=1)
    assert second.number == 2
    assert second.goals[0].goal_key == key  # the goal keeps its identity
    assert second.goals_needing_review == ()  # the victim-involving goal was reviewed
    with db.session() as session:
        history = plans.revisions(session, psychologist, first.plan_id)
    assert [r.number for r in history] == [1, 2]
    assert history[0].goals[0].private_detail == "Reduce rumination."
    with db.session() as session, pytest.raises(Exception, match="append-only"):
        session.execute(text("UPDATE plan_revision SET formulation = 'x'"))


def test_the_service_refuses_an_unreviewed_goal_that_would_involve_the_victim(
    db, psychologist, client_id
):
    """The challenge is the service's rule, so no screen, command or file can skip it."""
    unreviewed = plans.PlanInput(
        **{
            **PLAN.__dict__,
            "goals": (
                GOAL,
                plans.GoalInput("Apology letter to her.", "Responsibility", involves_victim=True),
            ),
        }
    )
    with db.transaction() as session:
        first = plans.create_plan(session, psychologist, client_id, PLAN)
    for attempt in (
        lambda s: plans.create_plan(s, psychologist, client_id, unreviewed),
        lambda s: plans.save_revision(s, psychologist, first.plan_id, unreviewed, based_on=1),
    ):
        with db.transaction() as session, pytest.raises(ValidationError) as caught:
            attempt(session)
        [problem] = caught.value.problems
        assert problem.where == "goals[2].victim_review_note"
        assert "would involve the victim" in problem.message
    with db.session() as session:
        assert [r.number for r in plans.revisions(session, psychologist, first.plan_id)] == [1]


def test_a_save_based_on_an_old_revision_is_refused(db, psychologist, client_id):
    with db.transaction() as session:
        first = plans.create_plan(session, psychologist, client_id, PLAN)
        plans.save_revision(session, psychologist, first.plan_id, PLAN, based_on=1)
    with db.session() as session, pytest.raises(ConflictError):
        plans.save_revision(session, psychologist, first.plan_id, PLAN, based_on=1)


def test_goal_progress_is_rated_0_to_10(db, psychologist, client_id):
    with db.transaction() as session:
        first = plans.create_plan(session, psychologist, client_id, PLAN)
        key = first.goals[0].goal_key
        plans.rate_goal(
            session, psychologist, first.plan_id, key, rating=4, rated_on=date(2026, 3, 1)
        )
    with db.session() as session:
        for bad in (-1, 11):
            with pytest.raises(ValidationError):
                plans.rate_goal(
                    session, psychologist, first.plan_id, key, rating=bad, rated_on=date(2026, 3, 1)
                )
        with pytest.raises(ValidationError):
            plans.rate_goal(
                session,
                psychologist,
                first.plan_id,
                "not-a-goal",
                rating=3,
                rated_on=date(2026, 3, 1),
            )


def test_an_active_plan_needs_goals_with_partner_wording(db, psychologist, client_id):
    empty = plans.PlanInput(status=PlanStatus.ACTIVE, phase=Phase.ASSESSMENT)
    no_wording = plans.PlanInput(
        status=PlanStatus.DRAFT, phase=Phase.ASSESSMENT, goals=(plans.GoalInput("detail", " "),)
    )
    with db.session() as session:
        with pytest.raises(ValidationError):
            plans.create_plan(session, psychologist, client_id, empty)
        with pytest.raises(ValidationError) as caught:
            plans.create_plan(session, psychologist, client_id, no_wording)
    assert caught.value.problems[0].where == "goals[1].partner_wording"


def test_urgent_risk_event_stays_flagged_until_a_decision(db, psychologist, client_id):
    with db.transaction() as session:
        event = risk.record_risk_event(
            session,
            psychologist,
            client_id,
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.URGENT,
            occurred_on=date(2026, 3, 3),
            detail="Private detail.",
            shareable_statement="Indirect contact disclosed.",
        )
        assert [e.id for e in risk.urgent_without_decision(session, psychologist, client_id)] == [
            event.id
        ]
    with db.session() as session:
        with pytest.raises(ValidationError) as caught:
            risk.record_share_decision(
                session,
                psychologist,
                event.id,
                decision=ShareDecisionKind.SHARED,
                reason="Risk.",
                client_informed=True,
            )
        assert {p.where for p in caught.value.problems} == {"gateway", "shared_with"}
    with db.transaction() as session:
        risk.record_share_decision(
            session,
            psychologist,
            event.id,
            decision=ShareDecisionKind.SHARED,
            reason="Risk to victim.",
            gateway=Gateway.CDA_S115,
            shared_with="Police SPOC",
            client_informed=True,
        )
        assert risk.urgent_without_decision(session, psychologist, client_id) == []


def test_an_urgent_event_needs_a_shareable_statement(db, psychologist, client_id):
    with db.session() as session, pytest.raises(ValidationError) as caught:
        risk.record_risk_event(
            session,
            psychologist,
            client_id,
            kind=RiskEventKind.ESCALATION,
            urgency=Urgency.URGENT,
            occurred_on=date(2026, 3, 3),
            detail="Detail.",
        )
    assert caught.value.problems[0].where == "shareable_statement"


@pytest.fixture
def service_id(db, admin):
    with db.transaction() as session:
        return service_directory.add_service(
            session,
            admin,
            name="PD Service",
            kind=ServiceKind.PERSONALITY_DISORDER,
            expected_response_days=28,
        ).id


@pytest.fixture
def referral(db, psychologist, client_id, service_id):
    with db.transaction() as session:
        return referrals.create_referral(
            session,
            psychologist,
            client_id,
            service_id=service_id,
            reason="Private reason.",
            urgency=ReferralUrgency.ROUTINE,
            created_on=date(2026, 3, 1),
        )


ALL = list(ReferralStatus)


@pytest.mark.parametrize("start", ALL)
@pytest.mark.parametrize("to", ALL)
def test_every_referral_transition_is_allowed_or_refused_as_the_table_says(
    db, psychologist, referral, start, to
):
    # Walk the referral to `start` by a shortest allowed path, then try `to`.
    path = _path(ReferralStatus.DRAFT, start)
    assert path is not None, f"{start} cannot be reached from draft"
    with db.transaction() as session:
        for step in path:
            referrals.change_status(
                session, psychologist, referral.id, step, on=date(2026, 3, 2), note="reason"
            )
    with db.session() as session:
        if to in referrals.TRANSITIONS[start]:
            row = referrals.change_status(
                session, psychologist, referral.id, to, on=date(2026, 3, 3), note="reason"
            )
            assert row.status is to
        else:
            with pytest.raises(InvalidTransition):
                referrals.change_status(
                    session, psychologist, referral.id, to, on=date(2026, 3, 3), note="reason"
                )


def _path(start, goal):
    frontier = [(start, [])]
    seen = {start}
    while frontier:
        status, path = frontier.pop(0)
        if status is goal:
            return path
        for nxt in sorted(referrals.TRANSITIONS[status]):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append((nxt, [*path, nxt]))
    return None


def test_declining_needs_a_reason_and_history_is_kept(db, psychologist, referral):
    with db.transaction() as session:
        referrals.change_status(
            session, psychologist, referral.id, ReferralStatus.SENT, on=date(2026, 3, 2)
        )
    with db.session() as session, pytest.raises(ValidationError):
        referrals.change_status(
            session, psychologist, referral.id, ReferralStatus.DECLINED, on=date(2026, 3, 3)
        )
    with db.session() as session:
        rows = session.execute(
            text("SELECT from_status, to_status FROM referral_status_change ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [(None, "draft"), ("draft", "sent")]


def test_a_shareable_referral_needs_its_gateway(db, psychologist, client_id, service_id):
    with db.session() as session, pytest.raises(ValidationError) as caught:
        referrals.create_referral(
            session,
            psychologist,
            client_id,
            service_id=service_id,
            reason="r",
            urgency=ReferralUrgency.URGENT,
            fact_shareable=True,
        )
    assert caught.value.problems[0].where == "share_gateway"


def test_measure_answers_are_stored_exactly_including_unanswered(db, psychologist, client_id):
    answers = {1: 0, 2: 3, 3: None, 4: 1}
    with db.transaction() as session:
        measures.record_administration(
            session,
            psychologist,
            client_id,
            measure_id="phq-9",
            measure_version="1",
            administered_on=date(2026, 3, 1),
            answers=answers,
            mode=MeasureMode.SELF_COMPLETION,
        )
    with db.session() as session:
        [row] = measures.administrations_for_client(session, psychologist, client_id)
    assert dict(row.answers) == answers


@pytest.mark.parametrize(
    "answers",
    [{}, {0: 1}, {1: -1}, {1: 101}, {1: "3"}, {1: True}, {1: 2.5}],
)
def test_bad_measure_answers_are_refused(db, psychologist, client_id, answers):
    with db.session() as session, pytest.raises(ValidationError):
        measures.record_administration(
            session,
            psychologist,
            client_id,
            measure_id="phq-9",
            measure_version="1",
            administered_on=date(2026, 3, 1),
            answers=answers,
        )
