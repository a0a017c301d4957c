"""Reading a plan's goal progress ratings and reviews: ordered by date, access-checked."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_app.errors import AccessDenied, EmergencyAccessRequired, NotFound
from clinic_app.models.enums import Phase, PlanStatus
from clinic_app.services import plans

PLAN = plans.PlanInput(
    status=PlanStatus.ACTIVE,
    phase=Phase.INTERVENTION,
    goals=(
        plans.GoalInput("Reduce rumination.", "Manage unhelpful thoughts"),
        plans.GoalInput("Find work.", "Build a routine"),
    ),
)


@pytest.fixture
def plan(db, psychologist, client_id) -> plans.RevisionRow:
    with db.transaction() as session:
        return plans.create_plan(session, psychologist, client_id, PLAN)


def test_goal_progress_lists_every_rating_oldest_first(db, psychologist, plan):
    first, second = (g.goal_key for g in plan.goals)
    with db.transaction() as session:
        # Recorded out of date order: the read orders them by the date rated.
        plans.rate_goal(
            session, psychologist, plan.plan_id, first, rating=6, rated_on=date(2026, 3, 15)
        )
        plans.rate_goal(
            session,
            psychologist,
            plan.plan_id,
            first,
            rating=4,
            rated_on=date(2026, 3, 1),
            comment="Some days better.",
        )
        plans.rate_goal(
            session, psychologist, plan.plan_id, second, rating=2, rated_on=date(2026, 3, 8)
        )
    with db.session() as session:
        rows = plans.goal_progress(session, psychologist, plan.plan_id)
    assert [(r.goal_key, r.rating, r.rated_on) for r in rows] == [
        (first, 4, date(2026, 3, 1)),
        (second, 2, date(2026, 3, 8)),
        (first, 6, date(2026, 3, 15)),
    ]
    assert rows[0].comment == "Some days better."
    assert rows[0].rated_by == psychologist.id
    assert all(r.plan_id == plan.plan_id for r in rows)


def test_ratings_on_the_same_day_keep_the_order_they_were_recorded(db, psychologist, plan):
    key = plan.goals[0].goal_key
    with db.transaction() as session:
        for rating in (3, 5, 4):
            plans.rate_goal(
                session, psychologist, plan.plan_id, key, rating=rating, rated_on=date(2026, 3, 1)
            )
    with db.session() as session:
        rows = plans.goal_progress(session, psychologist, plan.plan_id)
    assert [r.rating for r in rows] == [3, 5, 4]


def test_a_plan_without_ratings_or_reviews_reads_empty(db, psychologist, plan):
    with db.session() as session:
        assert plans.goal_progress(session, psychologist, plan.plan_id) == []
        assert plans.plan_reviews(session, psychologist, plan.plan_id) == []


def test_ratings_of_another_plan_are_not_included(db, psychologist, client_id, plan):
    with db.transaction() as session:
        other = plans.create_plan(session, psychologist, client_id, PLAN)
        plans.rate_goal(
            session,
            psychologist,
            other.plan_id,
            other.goals[0].goal_key,
            rating=7,
            rated_on=date(2026, 3, 1),
        )
    with db.session() as session:
        assert plans.goal_progress(session, psychologist, plan.plan_id) == []
        assert len(plans.goal_progress(session, psychologist, other.plan_id)) == 1


def test_plan_reviews_are_listed_earliest_due_first(db, psychologist, plan):
    with db.transaction() as session:
        plans.record_review(
            session,
            psychologist,
            plan.plan_id,
            due_on=date(2026, 6, 1),
            held_on=None,
            outcome="",
        )
        plans.record_review(
            session,
            psychologist,
            plan.plan_id,
            due_on=date(2026, 3, 1),
            held_on=date(2026, 3, 3),
            outcome="Goals still fit; continue.",
        )
    with db.session() as session:
        rows = plans.plan_reviews(session, psychologist, plan.plan_id)
    assert [(r.due_on, r.held_on) for r in rows] == [
        (date(2026, 3, 1), date(2026, 3, 3)),
        (date(2026, 6, 1), None),
    ]
    assert rows[0].outcome == "Goals still fit; continue."
    assert rows[0].reviewed_by == psychologist.id
    assert rows[1].reviewed_by is None  # not held yet, so nobody reviewed it


def test_reads_need_clinical_access_to_the_client(db, admin, clinician, plan):
    with db.session() as session:
        for read in (plans.goal_progress, plans.plan_reviews):
            with pytest.raises(AccessDenied):
                read(session, admin, plan.plan_id)
            # A clinician not assigned to the client needs emergency access first.
            with pytest.raises(EmergencyAccessRequired):
                read(session, clinician, plan.plan_id)


def test_reads_of_a_missing_plan_say_it_was_not_found(db, psychologist, plan):
    with db.session() as session:
        for read in (plans.goal_progress, plans.plan_reviews):
            with pytest.raises(NotFound):
                read(session, psychologist, plan.plan_id + 100)
