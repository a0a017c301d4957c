"""The dashboard: each section's rules at their boundaries, and the demo caseload."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import event

from clinic_app.errors import AccessDenied, NotFound
from clinic_app.models.enums import (
    Attendance,
    CancelledBy,
    CriticalReviewOutcome,
    Gateway,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    ServiceKind,
    ShareDecisionKind,
    Urgency,
)
from clinic_app.models.subject_access import RequesterKind
from clinic_app.services import (
    appointments,
    clients,
    critical_items,
    dashboard,
    demo,
    measure_definitions,
    measure_schedules,
    measures,
    notes,
    plans,
    record,
    referrals,
    risk,
    service_directory,
    subject_access,
)
from clinic_app.services.dashboard import Dashboard, DashboardItem
from clinic_app.services.sharing import disclosures, letters
from tests.conftest import STAFF_PASSWORD, client_details

TODAY = date(2026, 3, 18)  # a Wednesday
MONDAY = date(2026, 3, 16)
GOAL = plans.GoalInput(private_detail="PLAN-CANARY detail", partner_wording="Manage thoughts")


def _dash(db, by, today=TODAY, limit=1000) -> Dashboard:
    with db.session() as session:
        return dashboard.dashboard(session, by, today=today, limit=limit)


def _note(session, by, client_id, day, *, sign=False, text="NOTE-CANARY content"):
    content = notes.NoteContent(
        session_date=day,
        duration_minutes=50,
        modality=Modality.VIDEO,
        attendance=Attendance.ATTENDED,
        intervention_content=text,
    )
    row = notes.create_draft(session, by, client_id, content, today=TODAY)
    if sign:
        notes.sign_note(session, by, row.id, password=STAFF_PASSWORD)
    return row.id


def _plan(session, by, client_id, review_on, status=PlanStatus.ACTIVE):
    return plans.create_plan(
        session,
        by,
        client_id,
        plans.PlanInput(
            status=status,
            phase=Phase.INTERVENTION,
            formulation="PLAN-CANARY formulation",
            goals=(GOAL,),
            next_review_on=review_on,
        ),
    ).plan_id


def _service(session, admin, name="PD Service", days=28):
    return service_directory.add_service(
        session,
        admin,
        name=name,
        kind=ServiceKind.PERSONALITY_DISORDER,
        expected_response_days=days,
    ).id


def _ids(items: tuple[DashboardItem, ...]) -> list[int | None]:
    return [i.item_id for i in items]


@pytest.fixture
def other_client(db, clinician):
    """A client on someone else's caseload."""
    with db.transaction() as session:
        return clients.register_client(
            session,
            clinician,
            client_details(local_ref="MASIP-0099", nhs_number="", family_name="Elsewhere"),
            today=TODAY,
        ).id


# -- sessions ----------------------------------------------------------------------------------


def test_sessions_today_and_earlier_this_week_include_drafts(
    db, psychologist, clinician, client_id, other_client
):
    with db.transaction() as session:
        clients.assign_staff(session, psychologist, client_id, clinician.id)
        today_draft = _note(session, psychologist, client_id, TODAY)
        today_signed = _note(session, psychologist, client_id, TODAY, sign=True)
        monday = _note(session, clinician, client_id, MONDAY)  # a colleague's draft
        _note(session, psychologist, client_id, MONDAY - timedelta(days=1))  # last Sunday
        wrong = _note(session, psychologist, client_id, TODAY - timedelta(days=1))
        notes.mark_entered_in_error(session, psychologist, wrong, reason="Wrong client")
        _note(session, clinician, other_client, TODAY)  # not on my caseload
    board = _dash(db, psychologist)
    assert board.week_start == MONDAY
    assert sorted(_ids(board.items("sessions_today"))) == sorted([today_draft, today_signed])
    assert _ids(board.items("sessions_this_week")) == [monday]
    flags = {i.item_id: i.flag for i in board.items("sessions_today")}
    assert flags == {today_draft: "Draft", today_signed: "Signed"}
    (colleague,) = board.items("sessions_this_week")
    assert colleague.what == (
        f"Video session, attended: note not signed yet (by {clinician.display_name})"
    )
    assert (colleague.tab, colleague.client_id, colleague.local_ref) == (
        "Sessions",
        client_id,
        "MASIP-0001",
    )
    assert colleague.client_name == "EXAMPLE, Alex"


def test_on_a_monday_there_is_no_earlier_this_week(db, psychologist, client_id):
    with db.transaction() as session:
        _note(session, psychologist, client_id, MONDAY - timedelta(days=1))
    board = _dash(db, psychologist, today=MONDAY)
    assert board.week_start == MONDAY
    assert board.items("sessions_this_week") == ()


# -- unsigned notes ----------------------------------------------------------------------------


def test_a_draft_is_listed_once_its_session_is_more_than_a_day_ago(
    db, psychologist, clinician, client_id
):
    with db.transaction() as session:
        clients.assign_staff(session, psychologist, client_id, clinician.id)
        yesterday = _note(session, psychologist, client_id, TODAY - timedelta(days=1))
        two_days = _note(session, psychologist, client_id, TODAY - timedelta(days=2))
        _note(session, psychologist, client_id, TODAY - timedelta(days=9), sign=True)
        _note(session, clinician, client_id, TODAY - timedelta(days=5))  # only its author signs
        wrong = _note(session, psychologist, client_id, TODAY - timedelta(days=5))
        notes.mark_entered_in_error(session, psychologist, wrong, reason="Wrong client")
    board = _dash(db, psychologist)
    assert _ids(board.items("unsigned_notes")) == [two_days]
    (item,) = board.items("unsigned_notes")
    # 18 March - 16 March = 2 days.
    assert item.what == "Note not signed, 2 days after the session"
    assert item.detail == (
        "The note of the session on 16 March 2026 is still a draft: read it and sign it."
    )
    assert (item.tab, item.flag, item.when) == ("Sessions", "Not signed", TODAY - timedelta(days=2))
    assert yesterday not in _ids(board.items("unsigned_notes"))
    # Tomorrow yesterday's note is two days old too.
    tomorrow = _dash(db, psychologist, today=TODAY + timedelta(days=1))
    assert sorted(_ids(tomorrow.items("unsigned_notes"))) == sorted([two_days, yesterday])


def test_signing_clears_the_note_from_the_dashboard(db, psychologist, client_id):
    with db.transaction() as session:
        note_id = _note(session, psychologist, client_id, TODAY - timedelta(days=3))
    assert _ids(_dash(db, psychologist).items("unsigned_notes")) == [note_id]
    with db.transaction() as session:
        notes.sign_note(session, psychologist, note_id, password=STAFF_PASSWORD)
    assert _dash(db, psychologist).items("unsigned_notes") == ()


# -- plan reviews ------------------------------------------------------------------------------


def test_plan_reviews_due_within_two_weeks_or_overdue(db, psychologist, client_id):
    with db.transaction() as session:
        overdue = _plan(session, psychologist, client_id, TODAY - timedelta(days=1))
        today = _plan(session, psychologist, client_id, TODAY)
        edge = _plan(session, psychologist, client_id, TODAY + timedelta(days=14))
        _plan(session, psychologist, client_id, TODAY + timedelta(days=15))  # too far ahead
        _plan(session, psychologist, client_id, None)  # no review date
        _plan(session, psychologist, client_id, TODAY, status=PlanStatus.COMPLETED)
    board = _dash(db, psychologist)
    assert _ids(board.items("plan_reviews")) == [overdue, today, edge]
    assert [(i.what, i.flag, i.when) for i in board.items("plan_reviews")] == [
        ("Plan review overdue by 1 day", "Overdue", TODAY - timedelta(days=1)),
        ("Plan review due today", "Due today", TODAY),
        ("Plan review due in 14 days", "Due", date(2026, 4, 1)),
    ]
    assert {i.tab for i in board.items("plan_reviews")} == {"Plan"}


def test_a_new_revision_or_a_held_review_clears_the_plan_review(db, psychologist, client_id):
    with db.transaction() as session:
        revised = _plan(session, psychologist, client_id, TODAY - timedelta(days=3))
        held = _plan(session, psychologist, client_id, TODAY - timedelta(days=3))
    with db.transaction() as session:
        latest = plans.plans_for_client(session, psychologist, client_id)[0]
        plans.save_revision(
            session,
            psychologist,
            revised,
            plans.PlanInput(
                status=PlanStatus.ACTIVE,
                phase=Phase.INTERVENTION,
                goals=tuple(
                    plans.GoalInput(g.private_detail, g.partner_wording, goal_key=g.goal_key)
                    for g in latest.goals
                ),
                next_review_on=TODAY + timedelta(days=60),
            ),
            based_on=1,
        )
        plans.record_review(
            session,
            psychologist,
            held,
            due_on=TODAY - timedelta(days=3),
            held_on=TODAY - timedelta(days=1),
            outcome="Reviewed.",
            today=TODAY,
        )
    assert _dash(db, psychologist).items("plan_reviews") == ()


def test_a_review_recorded_as_due_is_listed_until_held(db, psychologist, client_id):
    with db.transaction() as session:
        plan_id = _plan(session, psychologist, client_id, None)
        plans.record_review(
            session,
            psychologist,
            plan_id,
            due_on=TODAY - timedelta(days=2),
            held_on=None,
            outcome="",
            today=TODAY,
        )
    (item,) = _dash(db, psychologist).items("plan_reviews")
    assert (item.item_id, item.flag) == (plan_id, "Overdue")
    with db.transaction() as session:
        plans.record_review(
            session,
            psychologist,
            plan_id,
            due_on=TODAY - timedelta(days=2),
            held_on=TODAY,
            outcome="Held.",
            today=TODAY,
        )
    assert _dash(db, psychologist).items("plan_reviews") == ()


# -- referrals ---------------------------------------------------------------------------------


def test_referrals_overdue_first_then_awaiting_action(db, admin, psychologist, client_id):
    with db.transaction() as session:
        service = _service(session, admin, days=28)

        def referral(written, *steps):
            row = referrals.create_referral(
                session,
                psychologist,
                client_id,
                service_id=service,
                reason="REFERRAL-CANARY reason",
                urgency=ReferralUrgency.ROUTINE,
                created_on=written,
                today=TODAY,
            )
            for status, on in steps:
                referrals.change_status(
                    session,
                    psychologist,
                    row.id,
                    status,
                    on=on,
                    note="Not suitable" if status is ReferralStatus.DECLINED else "",
                    today=TODAY,
                )
            return row.id

        # Sent 18 Feb + 28 days = due 18 March (today): not yet overdue.
        on_time = referral(date(2026, 2, 18), (ReferralStatus.SENT, date(2026, 2, 18)))
        # Sent 17 Feb: due 17 March, overdue today by one day.
        overdue = referral(date(2026, 2, 17), (ReferralStatus.SENT, date(2026, 2, 17)))
        # Written 10 March, a draft for 8 days (> 7): awaiting action.
        stale_draft = referral(date(2026, 3, 10))
        referral(date(2026, 3, 11))  # a draft for 7 days: not yet
        declined = referral(
            date(2026, 3, 1),
            (ReferralStatus.SENT, date(2026, 3, 2)),
            (ReferralStatus.DECLINED, date(2026, 3, 10)),
        )
        referral(
            date(2026, 1, 1),
            (ReferralStatus.SENT, date(2026, 1, 2)),
            (ReferralStatus.CLOSED, date(2026, 1, 3)),
        )
    board = _dash(db, psychologist)
    # Overdue first; then by due date: declined on 10 March, the draft due on 17 March.
    assert _ids(board.items("referrals")) == [overdue, declined, stale_draft]
    assert on_time not in _ids(board.items("referrals"))
    first = board.items("referrals")[0]
    assert (first.flag, first.tab, first.when) == ("Overdue", "Referrals", date(2026, 3, 17))
    assert first.what == "PD Service: no response, 1 day overdue"
    assert first.detail.startswith("Referral to PD Service (sent). Overdue by 1 day")
    assert [i.flag for i in board.items("referrals")[1:]] == ["Awaiting action", "Awaiting action"]


def test_acknowledging_clears_an_overdue_referral(db, admin, psychologist, client_id):
    with db.transaction() as session:
        service = _service(session, admin, days=14)
        row = referrals.create_referral(
            session,
            psychologist,
            client_id,
            service_id=service,
            reason="r",
            urgency=ReferralUrgency.URGENT,
            fact_shareable=True,
            share_gateway=Gateway.CONSENT,
            created_on=date(2026, 2, 1),
            today=TODAY,
        )
        referrals.change_status(
            session, psychologist, row.id, ReferralStatus.SENT, on=date(2026, 2, 1), today=TODAY
        )
    assert [i.flag for i in _dash(db, psychologist).items("referrals")] == ["Overdue"]
    with db.transaction() as session:
        referrals.change_status(
            session, psychologist, row.id, ReferralStatus.ACKNOWLEDGED, on=TODAY, today=TODAY
        )
    assert _dash(db, psychologist).items("referrals") == ()


# -- risk and measures -------------------------------------------------------------------------


def test_urgent_risk_events_without_a_decision(
    db, psychologist, client_id, other_client, clinician
):
    with db.transaction() as session:

        def event(client, by, urgency, on):
            return risk.record_risk_event(
                session,
                by,
                client,
                kind=RiskEventKind.ORDER_BREACH,
                urgency=urgency,
                occurred_on=on,
                detail="RISK-CANARY detail",
                shareable_statement="A possible breach was reported.",
                today=TODAY,
            ).id

        waiting = event(client_id, psychologist, Urgency.URGENT, date(2026, 3, 5))
        decided = event(client_id, psychologist, Urgency.URGENT, date(2026, 3, 1))
        risk.record_share_decision(
            session,
            psychologist,
            decided,
            decision=ShareDecisionKind.NOT_SHARED,
            reason="Below",
            client_informed=True,
        )
        event(client_id, psychologist, Urgency.SOON, date(2026, 3, 2))
        event(other_client, clinician, Urgency.URGENT, date(2026, 3, 2))
    (item,) = _dash(db, psychologist).items("urgent_risk")
    assert (item.item_id, item.tab, item.flag) == (waiting, "Risk", "URGENT")
    assert item.what == "Breach of an order or condition: no share decision yet"
    assert item.when == date(2026, 3, 5)


def test_measures_due_come_from_the_measures_service(db, psychologist, client_id):
    with db.transaction() as session:
        measure_id = measure_definitions.available_measures(session, psychologist)[0].id
        schedule = measure_schedules.set_schedule(
            session, psychologist, client_id, measure_id=measure_id, every_n_sessions=1
        )
    board = _dash(db, psychologist)
    (item,) = board.items("measures_due")
    assert (item.item_id, item.tab, item.client_name, item.flag) == (
        schedule.id,
        "Measures",
        "EXAMPLE, Alex",
        "Due",
    )
    assert item.what.startswith(f"{schedule.short_title} due: ")
    assert item.detail.startswith(f"{schedule.short_title} is due. ")


# -- the whole dashboard -----------------------------------------------------------------------


def test_administrators_have_no_dashboard(db, admin):
    with db.session() as session, pytest.raises(AccessDenied) as refused:
        dashboard.dashboard(session, admin, today=TODAY)
    assert "Administrators have no caseload" in refused.value.message


def test_no_clinical_text_reaches_the_dashboard(db, admin, psychologist, client_id):
    with db.transaction() as session:
        _note(session, psychologist, client_id, TODAY - timedelta(days=4))
        _plan(session, psychologist, client_id, TODAY)
        service = _service(session, admin)
        referrals.create_referral(
            session,
            psychologist,
            client_id,
            service_id=service,
            reason="REFERRAL-CANARY",
            clinical_detail="REFERRAL-CANARY detail",
            urgency=ReferralUrgency.ROUTINE,
            created_on=date(2026, 1, 1),
            today=TODAY,
        )
        risk.record_risk_event(
            session,
            psychologist,
            client_id,
            kind=RiskEventKind.ESCALATION,
            urgency=Urgency.URGENT,
            occurred_on=TODAY,
            detail="RISK-CANARY",
            shareable_statement="Escalation reported.",
            today=TODAY,
        )
    board = _dash(db, psychologist)
    assert board.needing_attention == 4  # one note, one plan, one referral, one risk event
    text = repr(board)
    for canary in ("NOTE-CANARY", "PLAN-CANARY", "REFERRAL-CANARY", "RISK-CANARY"):
        assert canary not in text


def _demo(db, by, n, seed=2026):
    with db.transaction() as session:
        demo.load_demo_caseload(session, by, n, seed=seed, today=TODAY)


def test_the_demo_caseload_matches_the_per_client_services(db, psychologist):
    """Each section, worked out client by client with the record's own services."""
    _demo(db, psychologist, 40)
    board = _dash(db, psychologist)
    today_notes, week_notes, unsigned, reviews, follow, urgent = [], [], [], [], [], []
    with db.session() as session:
        for row in clients.caseload(session, psychologist):
            cid = row.client.id
            for note in notes.notes_for_client(session, psychologist, cid):
                if note.entered_in_error_at is not None:
                    continue
                day = note.content.session_date
                if day == TODAY:
                    today_notes.append(note.id)
                elif MONDAY <= day < TODAY:
                    week_notes.append(note.id)
                if (
                    not note.is_signed
                    and note.author_id == psychologist.id
                    and (TODAY - day).days > 1
                ):
                    unsigned.append(note.id)
            for plan in plans.plans_for_client(session, psychologist, cid):
                if (
                    plan.status in (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)
                    and plan.next_review_on is not None
                    and plan.next_review_on <= TODAY + timedelta(days=14)
                ):
                    reviews.append(plan.plan_id)
            for ref in referrals.referrals_for_client(session, psychologist, cid):
                if ref.follow_up(TODAY).needs_attention:
                    follow.append(ref.id)
            urgent += [e.id for e in risk.urgent_without_decision(session, psychologist, cid)]
    assert sorted(_ids(board.items("sessions_today"))) == sorted(today_notes)
    assert sorted(_ids(board.items("sessions_this_week"))) == sorted(week_notes)
    assert sorted(_ids(board.items("unsigned_notes"))) == sorted(unsigned)
    assert sorted(_ids(board.items("plan_reviews"))) == sorted(reviews)
    assert sorted(_ids(board.items("referrals"))) == sorted(follow)
    assert sorted(_ids(board.items("urgent_risk"))) == sorted(urgent)
    # The demo caseload gives the dashboard something in every "to do" section but measures
    # (the demo schedules none).
    assert board.caseload_size == 40
    for key in ("unsigned_notes", "plan_reviews", "referrals", "urgent_risk"):
        assert board.items(key), key
    overdue = [i for i in board.items("referrals") if i.flag == "Overdue"]
    assert overdue, "the demo caseload should show an overdue referral"


def test_the_number_of_queries_does_not_grow_with_the_caseload(db, psychologist):
    def queries() -> int:
        count = 0

        def seen(*_args: object) -> None:
            nonlocal count
            count += 1

        with db.session() as session:
            connection = session.connection()
            event.listen(connection, "before_cursor_execute", seen)
            dashboard.dashboard(session, psychologist, today=TODAY)
            event.remove(connection, "before_cursor_execute", seen)
        return count

    _demo(db, psychologist, 3, seed=1)
    small = queries()
    _demo(db, psychologist, 60, seed=2)
    # At most one count more per section, for the sections whose first page is now full.
    assert small <= queries() <= small + len(dashboard.SectionKey)


def test_the_issue_done_when_on_the_demo_caseload(db, psychologist, tmp_path):
    """Refer a demo client to a personality disorder service, move it through acknowledged
    and accepted, produce the letter; then see an overdue referral and an unsigned note on
    the dashboard and clear both from there."""
    _demo(db, psychologist, 30)
    with db.transaction() as session:
        client = clients.caseload(session, psychologist)[0].client
        (service,) = [
            s
            for s in service_directory.service_directory(session, psychologist)
            if s.kind is ServiceKind.PERSONALITY_DISORDER
        ]
        row = referrals.create_referral(
            session,
            psychologist,
            client.id,
            service_id=service.id,
            reason="Assessment for personality disorder.",
            urgency=ReferralUrgency.ROUTINE,
            today=TODAY,
        )
        for status in (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED):
            row = referrals.change_status(session, psychologist, row.id, status, today=TODAY)
        preview = letters.preview_referral_letter(session, psychologist, row.id, issued_on=TODAY)
        letters.issue_referral_letter(
            session,
            psychologist,
            row.id,
            tmp_path / preview.suggested_filename,
            document_id=preview.document_id,
            issued_on=TODAY,
            expected_sha256=preview.sha256,
            gateway=Gateway.DPA_SCH1_PARA2,
            client_informed=True,
        )
        (entry,) = disclosures.register_for_client(session, psychologist, client.id)
    assert (entry.referral_id, entry.recipient_agency) == (row.id, service.name)
    assert [h.to_status for h in row.history][-1] is ReferralStatus.ACCEPTED

    board = _dash(db, psychologist)
    assert row.id not in _ids(board.items("referrals"))  # accepted today: nothing to chase
    overdue = next(i for i in board.items("referrals") if i.flag == "Overdue")
    unsigned = board.items("unsigned_notes")[0]
    assert (overdue.tab, unsigned.tab) == ("Referrals", "Sessions")
    with db.transaction() as session:
        referrals.change_status(
            session,
            psychologist,
            overdue.item_id,
            ReferralStatus.ACKNOWLEDGED,
            today=TODAY,
        )
        notes.sign_note(session, psychologist, unsigned.item_id, password=STAFF_PASSWORD)
    after = _dash(db, psychologist)
    assert overdue.item_id not in _ids(after.items("referrals"))
    assert unsigned.item_id not in _ids(after.items("unsigned_notes"))


def test_critical_items_wait_on_the_dashboard_until_that_administration_is_reviewed(
    db, psychologist, client_id, other_client, clinician
):
    def phq9(session, by, client, item9, on):
        answers = dict.fromkeys(range(1, 10), 0) | {9: item9}
        return measures.record_administration(
            session,
            by,
            client,
            measure_id="phq-9",
            measure_version="2",
            administered_on=on,
            answers=answers,
            today=TODAY,
        )

    with db.transaction() as session:
        flagged = phq9(session, psychologist, client_id, 1, TODAY - timedelta(days=2))
        phq9(session, psychologist, client_id, 0, TODAY - timedelta(days=1))  # item 9 is 0
        old = phq9(session, psychologist, client_id, 2, TODAY - timedelta(days=90))
        phq9(session, clinician, other_client, 3, TODAY)  # not this user's caseload
    with db.session() as session:
        waiting = critical_items.awaiting_risk_review(session, psychologist, client_id)
    assert waiting == {flagged.id, old.id}  # time does not end an alert
    board = _dash(db, psychologist)
    assert [(i.item_id, i.tab, i.flag) for i in board.items("critical_answers")] == [
        (old.id, "Measures", "CRITICAL"),
        (flagged.id, "Measures", "CRITICAL"),
    ]
    assert board.items("critical_answers")[1].what == "PHQ-9 item 9: review risk"
    assert board.needing_attention >= 2
    with db.transaction() as session:
        unrelated = risk.record_risk_event(
            session,
            psychologist,
            client_id,
            kind=RiskEventKind.DISENGAGEMENT,
            urgency=Urgency.ROUTINE,
            occurred_on=TODAY,
            detail="Arrived late.",
            today=TODAY,
        )
    # A later, unrelated risk event does not end either alert.
    assert len(_dash(db, psychologist).items("critical_answers")) == 2
    with db.transaction() as session:
        event = risk.record_risk_event(
            session,
            psychologist,
            client_id,
            kind=RiskEventKind.MENTAL_STATE_DETERIORATION,
            urgency=Urgency.SOON,
            occurred_on=TODAY,
            detail="Risk review after PHQ-9 item 9.",
            today=TODAY,
        )
        critical_items.review_critical_answers(
            session,
            psychologist,
            flagged.id,
            outcome=CriticalReviewOutcome.RISK_EVENT_RECORDED,
            risk_event_id=event.id,
        )
    (left,) = _dash(db, psychologist).items("critical_answers")
    assert left.item_id == old.id
    assert unrelated.id != event.id
    with db.transaction() as session:
        critical_items.review_critical_answers(
            session,
            psychologist,
            old.id,
            outcome=CriticalReviewOutcome.NO_FURTHER_ACTION,
            reason="Asked at the next session: passive thoughts, now gone; safety plan in place.",
        )
    assert _dash(db, psychologist).items("critical_answers") == ()
    with db.session() as session:  # the Measures tab applies the same rule
        assert critical_items.awaiting_risk_review(session, psychologist, client_id) == frozenset()


# -- the first items, the count, and "show all" ------------------------------------------------


def test_a_section_gives_its_most_urgent_items_first_and_counts_them_all(
    db, psychologist, client_id
):
    with db.transaction() as session:
        drafts = [
            _note(session, psychologist, client_id, TODAY - timedelta(days=days))
            for days in range(2, 27)  # 25 drafts, the oldest session 26 days ago
        ]
    oldest_first = list(reversed(drafts))
    board = _dash(db, psychologist, limit=dashboard.FIRST_ITEMS)
    section = board.section("unsigned_notes")
    assert dashboard.FIRST_ITEMS == 20
    assert _ids(section.items) == oldest_first[:20]  # the longest waiting first
    assert (section.total, section.complete) == (25, False)
    assert board.needing_attention == 25  # every one counts, shown or not
    with db.session() as session:
        whole = dashboard.whole_section(session, psychologist, "unsigned_notes", today=TODAY)
    assert _ids(whole.items) == oldest_first
    assert (whole.total, whole.complete) == (25, True)


def test_the_first_items_are_the_head_of_the_whole_section(db, psychologist):
    _demo(db, psychologist, 60)
    with db.session() as session:
        board = dashboard.dashboard(session, psychologist, today=TODAY, limit=3)
        for key in dashboard.SectionKey:
            whole = dashboard.whole_section(session, psychologist, key, today=TODAY)
            first = board.section(key)
            assert first.items == whole.items[:3], key
            assert first.total == whole.total == len(whole.items), key


def test_only_the_sections_asked_for_are_read(db, admin, psychologist, client_id):
    with db.transaction() as session:
        _note(session, psychologist, client_id, TODAY - timedelta(days=3))
        _plan(session, psychologist, client_id, TODAY)
    with db.session() as session:
        board = dashboard.dashboard(session, psychologist, ["plan_reviews"], today=TODAY)
        assert [s.key for s in board.sections] == ["plan_reviews"]
        assert board.items("unsigned_notes") == ()  # not asked for
        assert board.caseload_size == 1
        with pytest.raises(NotFound):
            dashboard.dashboard(session, psychologist, ["gossip"], today=TODAY)
        with pytest.raises(NotFound):
            dashboard.whole_section(session, psychologist, "gossip", today=TODAY)
        with pytest.raises(AccessDenied):
            dashboard.whole_section(session, admin, "referrals", today=TODAY)


def test_generations_move_on_with_committed_changes_to_what_a_section_reads(
    db, psychologist, client_id
):
    before = dashboard.generations()
    with db.transaction() as session:
        note_id = _note(session, psychologist, client_id, TODAY - timedelta(days=3))
    after_note = dashboard.generations()
    assert after_note["unsigned_notes"] > before["unsigned_notes"]
    assert after_note["sessions_today"] > before["sessions_today"]
    assert after_note["referrals"] == before["referrals"]  # no referral table was touched
    assert after_note["urgent_risk"] == before["urgent_risk"]
    # Undone work counts nothing.
    with pytest.raises(RuntimeError), db.transaction() as session:
        _note(session, psychologist, client_id, TODAY - timedelta(days=4))
        raise RuntimeError("changed my mind")
    assert dashboard.generations() == after_note
    # Reading a record writes only to the audit trail: nothing a section shows.
    with db.transaction() as session:
        notes.notes_for_client(session, psychologist, client_id)
        record.open_record(session, psychologist, client_id)
    assert dashboard.generations() == after_note
    with db.transaction() as session:
        notes.sign_note(session, psychologist, note_id, password=STAFF_PASSWORD)
    assert dashboard.generations()["unsigned_notes"] > after_note["unsigned_notes"]


def test_warming_up_finds_nothing_and_writes_nothing(db, psychologist, client_id):
    with db.transaction() as session:
        _note(session, psychologist, client_id, TODAY - timedelta(days=3))
    before = dashboard.generations()
    with db.session() as session:
        dashboard.warm_up(session)  # a clinician with no caseload: every section empty
        board = dashboard.dashboard(session, dashboard.NOBODY, today=TODAY)
        assert board.caseload_size == 0 and board.needing_attention == 0
        assert not (session.new or session.dirty or session.deleted)
        session.commit()
    assert dashboard.generations() == before


def _book(session, by, client_id, at, *, day=TODAY, **more):
    (row,) = appointments.book(
        session,
        by,
        client_id,
        day=day,
        start_time=at,
        duration_minutes=50,
        modality=Modality.VIDEO,
        today=TODAY,
        **more,
    )
    return row.id


def test_today_comes_from_the_appointments_in_time_order(
    db, psychologist, clinician, client_id, other_client
):
    with db.transaction() as session:
        clients.assign_staff(session, clinician, other_client, psychologist.id)
        _book(session, psychologist, client_id, time(14, 0))
        early = _book(session, psychologist, other_client, time(9, 30))
        called_off = _book(session, psychologist, client_id, time(11, 0))
        appointments.cancel(
            session, psychologist, called_off, cancelled_by=CancelledBy.CLIENT, reason="Unwell"
        )
        _book(session, psychologist, client_id, time(9, 0), day=TODAY + timedelta(days=1))
        # A colleague's appointment with my client is in their diary, not mine.
        clients.assign_staff(session, psychologist, client_id, clinician.id)
        _book(session, clinician, client_id, time(16, 0))
        appointments.mark_attended(session, psychologist, early, today=TODAY)
        from_appointment = appointments.start_note_from(session, psychologist, early, today=TODAY)
        unbooked = _note(session, psychologist, client_id, TODAY)  # a contact not booked
    board = _dash(db, psychologist)
    first, second = board.items("appointments_today")
    assert board.section("appointments_today").total == 2
    assert (first.client_id, first.at, first.flag) == (other_client, time(9, 30), "Attended")
    assert (first.tab, first.item_id) == ("Sessions", from_appointment.id)  # opens its note
    assert first.what == "Video, 50 minutes to 10:20: note not signed yet"
    assert first.local_ref and first.client_name
    assert (second.client_id, second.at, second.flag) == (client_id, time(14, 0), "Booked")
    assert (second.tab, second.item_id) == ("Sessions", None)
    assert "no note yet" in second.what
    # The note written from the appointment shows with it; the unbooked contact on its own.
    assert _ids(board.items("sessions_today")) == [unbooked]
    # Appointments are for information: nothing "needs attention" because of them.
    assert "appointments_today" not in dashboard.TO_DO
    with db.session() as session:
        whole = dashboard.whole_section(session, psychologist, "appointments_today", today=TODAY)
    assert whole.items == board.items("appointments_today")


def test_today_lists_the_first_appointments_and_counts_them_all(db, psychologist, client_id):
    with db.transaction() as session:
        for hour in range(8, 13):
            _book(session, psychologist, client_id, time(hour, 0))
    board = _dash(db, psychologist, limit=3)
    section = board.section("appointments_today")
    assert [i.at for i in section.items] == [time(8, 0), time(9, 0), time(10, 0)]
    assert section.total == 5 and not section.complete


def _request(session, by, client_id, received_on):
    return subject_access.register_request(
        session,
        by,
        client_id,
        received_on=received_on,
        requester_kind=RequesterKind.CLIENT,
        requester_name="Alex Example",
        identity_method="Passport seen at the clinic",
        identity_checked_on=received_on,
        today=received_on,
    ).id


def test_subject_access_requests_overdue_first_and_open_the_subject_access_tab(
    db, psychologist, clinician, client_id, other_client
):
    with db.transaction() as session:
        clients.assign_staff(session, clinician, other_client, psychologist.id)
        later = _request(session, psychologist, client_id, date(2026, 3, 10))  # due 10 April
        overdue = _request(session, psychologist, other_client, date(2026, 2, 1))  # 1 March
        due_today = _request(session, psychologist, client_id, date(2026, 2, 18))
    board = _dash(db, psychologist)
    items = board.items("subject_access")
    assert _ids(items) == [overdue, due_today, later]
    assert [i.flag for i in items] == ["Overdue", "Due today", "Due"]
    assert [i.when for i in items] == [date(2026, 3, 1), date(2026, 3, 18), date(2026, 4, 10)]
    assert {i.tab for i in items} == {"Subject access"}
    assert items[0].what == (
        "Subject access request: serious-harm review needed; overdue by 17 days"
    )
    assert items[2].what.endswith("due in 23 days")
    assert board.needing_attention >= 3  # they ask the user to act
    assert items[0].client_name == "ELSEWHERE, Alex"  # as every dashboard line names them
    # Only requests about the user's own caseload.
    assert _ids(_dash(db, clinician).items("subject_access")) == [overdue]
    with db.session() as session:
        first = dashboard.dashboard(session, psychologist, ["subject_access"], today=TODAY, limit=1)
    assert _ids(first.items("subject_access")) == [overdue]
    assert first.section("subject_access").total == 3


def test_new_sections_move_on_only_with_their_own_tables(db, psychologist, client_id):
    before = dashboard.generations()
    with db.transaction() as session:
        _book(session, psychologist, client_id, time(10, 0))
    booked = dashboard.generations()
    assert booked["appointments_today"] > before["appointments_today"]
    assert booked["subject_access"] == before["subject_access"]
    with db.transaction() as session:
        _request(session, psychologist, client_id, date(2026, 3, 10))
    registered = dashboard.generations()
    assert registered["subject_access"] > booked["subject_access"]
    assert registered["appointments_today"] == booked["appointments_today"]
