"""The lifecycle of a critical-answer alert: raised whether or not the form can be scored,
ended only by a clinician's review of that administration, never by time or an unrelated
risk event."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from clinic_app.errors import ValidationError
from clinic_app.models import AuditEvent, CriticalItemReview
from clinic_app.models.enums import CriticalReviewOutcome, RiskEventKind, Urgency
from clinic_app.services import clients, critical_items, measures, risk
from tests.conftest import client_details

TODAY = date(2026, 3, 18)


def give(db, by, client, measure_id, version, answers):
    with db.transaction() as session:
        return measures.record_administration(
            session,
            by,
            client,
            measure_id=measure_id,
            measure_version=version,
            administered_on=TODAY,
            answers=answers,
            today=TODAY,
        )


def waiting(db, by, client):
    with db.session() as session:
        return critical_items.awaiting_risk_review(session, by, client)


def event(db, by, client, detail="Risk review"):
    with db.transaction() as session:
        return risk.record_risk_event(
            session,
            by,
            client,
            kind=RiskEventKind.MENTAL_STATE_DETERIORATION,
            urgency=Urgency.SOON,
            occurred_on=TODAY,
            detail=detail,
            today=TODAY,
        )


def review(db, by, admin_id, **kwargs):
    with db.transaction() as session:
        return critical_items.review_critical_answers(session, by, admin_id, **kwargs)


def test_an_unscoreable_phq9_with_item_9_answered_still_raises_its_alert(
    db, psychologist, client_id
):
    # Item 9 "More than half the days" with three other items blank: too many blanks to
    # score (version 2 allows two), but the risk answer is there.
    answers = dict.fromkeys(range(1, 10), 1) | {2: None, 3: None, 4: None, 9: 2}
    row = give(db, psychologist, client_id, "phq-9", "2", answers)
    assert row.score is None and "unanswered" in row.score_problem
    [alert] = row.alerts
    assert (alert.item, alert.answer) == (9, 2)
    assert waiting(db, psychologist, client_id) == {row.id}
    with db.session() as session:
        [result] = measures.results_for_client(session, psychologist, client_id)
    [administration] = result.administrations
    assert administration.score is None and administration.problem
    assert [a.item for a in administration.alerts] == [9]


def test_a_blank_critical_item_raises_an_alert_that_says_it_was_not_answered(
    db, psychologist, client_id
):
    # CORE-10 item 6 blank; every other item answered 1.
    answers = dict.fromkeys(range(1, 11), 1) | {6: None}
    row = give(db, psychologist, client_id, "core-10", "2", answers)
    [alert] = row.alerts
    assert alert.answer is None
    assert "was not answered" in alert.alert and "reported" not in alert.alert
    with db.session() as session:
        [answer] = critical_items.critical_answers_for_caseload(session, psychologist)
    assert (answer.administration_id, answer.answered) == (row.id, False)
    # An item missing from the answers altogether counts as blank too.
    absent = {i: 0 for i in range(1, 11) if i != 6}
    other = give(db, psychologist, client_id, "core-10", "2", absent)
    assert waiting(db, psychologist, client_id) == {row.id, other.id}


def test_no_alert_below_the_threshold(db, psychologist, client_id):
    give(db, psychologist, client_id, "phq-9", "2", dict.fromkeys(range(1, 10), 2) | {9: 0})
    assert waiting(db, psychologist, client_id) == frozenset()


def test_only_a_review_of_that_administration_ends_its_alert(db, psychologist, client_id):
    answers = dict.fromkeys(range(1, 10), 0) | {9: 1}
    first = give(db, psychologist, client_id, "phq-9", "2", answers)
    second = give(db, psychologist, client_id, "phq-9", "2", answers)
    unrelated = event(db, psychologist, client_id, "Late arrival")
    assert waiting(db, psychologist, client_id) == {first.id, second.id}
    done = review(
        db,
        psychologist,
        first.id,
        outcome=CriticalReviewOutcome.RISK_EVENT_RECORDED,
        risk_event_id=unrelated.id,
    )
    assert waiting(db, psychologist, client_id) == {second.id}
    assert done.words.startswith("Risk event recorded by ")
    with db.session() as session:
        reviews = critical_items.critical_reviews(session, psychologist, client_id)
        assert set(reviews) == {first.id}
        audit_rows = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "critical_item_review")
        ).all()
    assert [(a.entity_id, a.client_id) for a in audit_rows] == [(done.id, client_id)]


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"outcome": CriticalReviewOutcome.NO_FURTHER_ACTION}, "reason"),
        ({"outcome": CriticalReviewOutcome.NO_FURTHER_ACTION, "reason": "   "}, "reason"),
        ({"outcome": CriticalReviewOutcome.RISK_EVENT_RECORDED}, "risk_event_id"),
        (
            {"outcome": CriticalReviewOutcome.RISK_EVENT_RECORDED, "risk_event_id": 999},
            "risk_event_id",
        ),
    ],
)
def test_a_review_needs_its_reason_or_its_risk_event(db, psychologist, client_id, kwargs, where):
    row = give(db, psychologist, client_id, "phq-9", "2", dict.fromkeys(range(1, 10), 3))
    with pytest.raises(ValidationError) as caught:
        review(db, psychologist, row.id, **kwargs)
    assert [p.where for p in caught.value.problems] == [where]
    assert waiting(db, psychologist, client_id) == {row.id}  # nothing was written


def test_a_risk_event_of_another_client_does_not_review_this_one(db, psychologist, client_id):
    with db.transaction() as session:
        other = clients.register_client(
            session, psychologist, client_details(local_ref="MASIP-0500", nhs_number="")
        ).id
    elsewhere = event(db, psychologist, other)
    row = give(db, psychologist, client_id, "phq-9", "2", dict.fromkeys(range(1, 10), 3))
    with pytest.raises(ValidationError, match="one of this client's"):
        review(
            db,
            psychologist,
            row.id,
            outcome=CriticalReviewOutcome.RISK_EVENT_RECORDED,
            risk_event_id=elsewhere.id,
        )


def test_a_review_is_final(db, psychologist, client_id):
    row = give(db, psychologist, client_id, "phq-9", "2", dict.fromkeys(range(1, 10), 3))
    review(
        db,
        psychologist,
        row.id,
        outcome=CriticalReviewOutcome.NO_FURTHER_ACTION,
        reason="Discussed at the session; no current intent.",
    )
    with pytest.raises(ValidationError, match="already been reviewed"):
        review(
            db, psychologist, row.id, outcome=CriticalReviewOutcome.NO_FURTHER_ACTION, reason="x"
        )
    with pytest.raises(IntegrityError), db.transaction() as session:  # and the database agrees
        session.execute(text("UPDATE critical_item_review SET reason = 'changed'"))
    with db.session() as session:
        assert session.scalar(select(CriticalItemReview.reason)) == (
            "Discussed at the session; no current intent."
        )


def test_a_form_with_no_critical_answer_cannot_be_reviewed(db, psychologist, client_id):
    row = give(db, psychologist, client_id, "gad-7", "2", dict.fromkeys(range(1, 8), 3))
    with pytest.raises(ValidationError, match="no critical answer"):
        review(
            db, psychologist, row.id, outcome=CriticalReviewOutcome.NO_FURTHER_ACTION, reason="x"
        )
