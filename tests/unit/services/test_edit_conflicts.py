"""Two people, one record: a save over a change the user had not seen overwrites nothing.

Each editable record is opened by two members of staff; the second to save gets an
``EditConflict`` with both texts, who saved the newer one and when, and the newer version;
saving again with that version (their explicit choice) puts their text over it, audited.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from clinic_app.errors import EditConflict, ValidationError
from clinic_app.models import AuditEvent
from clinic_app.models.enums import (
    Attendance,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    ServiceKind,
    ThirdPartyRelation,
)
from clinic_app.services import (
    clients,
    conflicts,
    notes,
    plans,
    referrals,
    service_directory,
    third_parties,
)

TODAY = date(2026, 3, 20)

CONTENT = notes.NoteContent(
    session_date=date(2026, 3, 2),
    duration_minutes=50,
    modality=Modality.IN_PERSON,
    attendance=Attendance.ATTENDED,
    agenda="Review the week.",
    intervention_content="Worked on rumination.",
)

PLAN = plans.PlanInput(
    status=PlanStatus.ACTIVE,
    phase=Phase.ENGAGEMENT,
    formulation="Rejection-based stalking.",
    goals=(plans.GoalInput("Reduce checking of her profiles.", "Fewer breaches."),),
)


@pytest.fixture
def colleague(db, admin, clinician, psychologist, client_id):
    """A second clinician on the same case."""
    with db.transaction() as session:
        clients.assign_staff(session, psychologist, client_id, clinician.id)
    return clinician


def _updates(db, entity: str, entity_id: int) -> int:
    with db.session() as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.entity == entity,
                AuditEvent.entity_id == entity_id,
                AuditEvent.action == "update",
            )
        )


# -- notes -------------------------------------------------------------------------------------


def test_a_note_saved_over_a_change_not_seen_is_refused_with_both_texts(
    db, psychologist, colleague, client_id
):
    with db.transaction() as session:
        note = notes.create_draft(session, psychologist, client_id, CONTENT, today=TODAY)
    theirs = replace(CONTENT, homework="Thought record, twice daily.")
    with db.transaction() as session:  # the colleague saves first
        notes.edit_draft(
            session, colleague, note.id, theirs, expected_version=note.version, today=TODAY
        )
    mine = replace(CONTENT, agenda="Plan for the anniversary.")
    with db.transaction() as session, pytest.raises(EditConflict) as refused:
        notes.edit_draft(
            session, psychologist, note.id, mine, expected_version=note.version, today=TODAY
        )
    conflict = refused.value
    assert conflict.saved_by == "Nurse Patel"
    assert conflict.saved_at is not None
    assert conflict.version == 2
    by_name = {f.name: f for f in conflict.fields}
    assert set(by_name) == {"agenda", "homework"}  # only the parts that differ
    assert by_name["agenda"].theirs == "Plan for the anniversary."
    assert by_name["agenda"].saved == "Review the week."
    assert by_name["homework"].theirs == ""
    assert by_name["homework"].saved == "Thought record, twice daily."
    assert "Plan for the anniversary." in conflict.theirs_text
    assert "Thought record, twice daily." in conflict.saved_text
    assert "Nurse Patel saved this note" in conflict.message
    # Nothing was overwritten.
    with db.session() as session:
        (row,) = notes.notes_for_client(session, psychologist, client_id)
    assert row.content == theirs
    assert row.version == 2

    # "Save mine over it": the same save, with the newer version and the text as edited.
    edited = conflicts.reapply(mine, {"agenda": "Plan for the anniversary (edited)."})
    with db.transaction() as session:
        saved = notes.edit_draft(
            session, psychologist, note.id, edited, expected_version=conflict.version, today=TODAY
        )
    assert saved.content.agenda == "Plan for the anniversary (edited)."
    assert saved.version == 3
    assert _updates(db, "session_note", note.id) == 2  # both saves audited


def test_bad_input_on_a_stale_note_changes_nothing(db, psychologist, colleague, client_id):
    with db.transaction() as session:
        note = notes.create_draft(session, psychologist, client_id, CONTENT, today=TODAY)
    with db.transaction() as session:
        notes.edit_draft(session, colleague, note.id, CONTENT, expected_version=1, today=TODAY)
    bad = replace(CONTENT, duration_minutes=-5)
    for version in (1, 2):
        with db.session() as session, pytest.raises(ValidationError):
            notes.edit_draft(
                session, psychologist, note.id, bad, expected_version=version, today=TODAY
            )
    with db.session() as session:
        (row,) = notes.notes_for_client(session, psychologist, client_id)
    assert row.content == CONTENT and row.version == 2
    assert _updates(db, "session_note", note.id) == 1


# -- client details ----------------------------------------------------------------------------


def test_client_details_saved_over_a_change_not_seen_are_refused(
    db, psychologist, colleague, client_id
):
    with db.session() as session:
        details, version = clients.client_details(session, psychologist, client_id)
    with db.transaction() as session:
        clients.update_client(
            session,
            colleague,
            client_id,
            replace(details, address="2 New Street"),
            expected_version=version,
            today=TODAY,
        )
    mine = replace(details, sharing_notes="Agreed to police updates only.")
    with db.session() as session, pytest.raises(EditConflict) as refused:
        clients.update_client(
            session, psychologist, client_id, mine, expected_version=version, today=TODAY
        )
    by_name = {f.name: f for f in refused.value.fields}
    assert set(by_name) == {"address", "sharing_notes"}
    assert by_name["address"].saved == "2 New Street"
    assert by_name["sharing_notes"].theirs == "Agreed to police updates only."
    with db.session() as session:
        now, _ = clients.client_details(session, psychologist, client_id)
    assert now.address == "2 New Street" and now.sharing_notes == ""


# -- plans -------------------------------------------------------------------------------------


def test_a_plan_revised_meanwhile_is_not_saved_over(db, psychologist, colleague, client_id):
    with db.transaction() as session:
        first = plans.create_plan(session, psychologist, client_id, PLAN)
    goal = replace(PLAN.goals[0], goal_key=first.goals[0].goal_key)
    theirs = replace(PLAN, goals=(replace(goal, partner_wording="No breaches this month."),))
    with db.transaction() as session:
        plans.save_revision(session, colleague, first.plan_id, theirs, based_on=1)
    mine = replace(PLAN, formulation="Rejection-based; jealousy.", goals=(goal,))
    with db.session() as session, pytest.raises(EditConflict) as refused:
        plans.save_revision(session, psychologist, first.plan_id, mine, based_on=1)
    conflict = refused.value
    by_name = {f.name: f for f in conflict.fields}
    assert set(by_name) == {"formulation", "goals[1].partner_wording"}
    assert by_name["goals[1].partner_wording"].label == "Goal 1's partner wording"
    assert by_name["goals[1].partner_wording"].saved == "No breaches this month."
    assert conflict.saved_by == "Nurse Patel" and conflict.version == 2

    again = conflicts.reapply(mine, {"goals[1].partner_wording": "No breaches; fewer checks."})
    with db.transaction() as session:
        saved = plans.save_revision(
            session, psychologist, first.plan_id, again, based_on=conflict.version
        )
    assert saved.number == 3
    assert saved.formulation == "Rejection-based; jealousy."
    assert saved.goals[0].partner_wording == "No breaches; fewer checks."
    assert saved.goals[0].goal_key == goal.goal_key


# -- referrals, third parties, the service directory -------------------------------------------


def test_a_referral_changed_meanwhile_is_not_moved_on(
    db, admin, psychologist, colleague, client_id
):
    with db.transaction() as session:
        service = service_directory.add_service(
            session,
            admin,
            name="Demo PD Service",
            kind=ServiceKind.PERSONALITY_DISORDER,
            contact="1 Hospital Road",
            expected_response_days=28,
            snomed_concept_id=None,
        )
        referral = referrals.create_referral(
            session,
            psychologist,
            client_id,
            service_id=service.id,
            reason="Longstanding instability.",
            urgency=ReferralUrgency.ROUTINE,
            created_on=date(2026, 3, 1),
            today=TODAY,
        )
    with db.transaction() as session:
        referrals.change_status(
            session,
            colleague,
            referral.id,
            ReferralStatus.SENT,
            on=TODAY,
            expected_version=referral.version,
            today=TODAY,
        )
    with db.session() as session, pytest.raises(EditConflict) as refused:
        referrals.change_status(
            session,
            psychologist,
            referral.id,
            ReferralStatus.CLOSED,
            on=TODAY,
            note="No longer needed.",
            expected_version=referral.version,
            today=TODAY,
        )
    by_name = {f.name: f for f in refused.value.fields}
    assert by_name["status"].saved == "Sent" and not by_name["status"].editable
    with db.session() as session:
        assert referrals.get_referral(session, psychologist, referral.id).status is (
            ReferralStatus.SENT
        )


def test_a_third_party_changed_meanwhile_is_not_saved_over(db, psychologist, colleague, client_id):
    data = third_parties.ThirdPartyInput(
        relation=ThirdPartyRelation.VICTIM, name="Sarah Jones", phones=("07700 900123",)
    )
    with db.transaction() as session:
        person = third_parties.add_third_party(session, psychologist, client_id, data)
    with db.transaction() as session:
        third_parties.update_third_party(
            session,
            colleague,
            person.id,
            replace(data, phones=("07700 900999",)),
            expected_version=person.version,
        )
    mine = replace(data, wishes_and_concerns="No contact at work.")
    with db.session() as session, pytest.raises(EditConflict) as refused:
        third_parties.update_third_party(
            session, psychologist, person.id, mine, expected_version=person.version
        )
    by_name = {f.name: f for f in refused.value.fields}
    assert set(by_name) == {"phones", "wishes_and_concerns"}
    assert by_name["phones"].saved == "07700 900999" and not by_name["phones"].editable
    with db.session() as session:
        (now,) = third_parties.third_parties_for_client(session, psychologist, client_id)
    assert now.phones == ("07700 900999",) and now.wishes_and_concerns == ""


def test_a_service_changed_meanwhile_is_not_saved_over(db, admin):
    with db.transaction() as session:
        service = service_directory.add_service(
            session,
            admin,
            name="Demo PD Service",
            kind=ServiceKind.PERSONALITY_DISORDER,
            contact="1 Hospital Road",
            expected_response_days=28,
            snomed_concept_id=None,
        )
    fields = {
        "name": "Demo PD Service",
        "kind": ServiceKind.PERSONALITY_DISORDER,
        "snomed_concept_id": None,
    }
    with db.transaction() as session:
        service_directory.update_service(
            session,
            admin,
            service.id,
            **fields,
            contact="2 Hospital Road",
            expected_response_days=28,
            expected_version=service.version,
        )
    with db.session() as session, pytest.raises(EditConflict) as refused:
        service_directory.update_service(
            session,
            admin,
            service.id,
            **fields,
            contact="1 Hospital Road",
            expected_response_days=14,
            expected_version=service.version,
        )
    by_name = {f.name: f for f in refused.value.fields}
    assert set(by_name) == {"contact", "expected_response_days"}
    assert by_name["contact"].saved == "2 Hospital Road"


def test_reapply_puts_edited_text_back_and_ignores_what_does_not_fit():
    edited = conflicts.reapply(
        PLAN,
        {
            "formulation": "Changed.",
            "goals[1].private_detail": "Goal changed.",
            "goals[2].private_detail": "A goal the user did not have.",
            "no_such_field": "ignored",
            "status": "not a text field: ignored",
        },
    )
    assert edited.formulation == "Changed."
    assert edited.goals[0].private_detail == "Goal changed."
    assert len(edited.goals) == 1 and edited.status is PlanStatus.ACTIVE


def test_merge_keeps_the_colleagues_change_wherever_the_user_changed_nothing():
    opened = CONTENT
    mine = replace(CONTENT, agenda="Mine.")
    saved = replace(CONTENT, homework="Theirs.", agenda="Their agenda.")
    assert conflicts.changed(opened, mine) == {"agenda"}
    merged = conflicts.merge(opened, mine, saved)
    assert (merged.agenda, merged.homework) == ("Mine.", "Theirs.")
    assert conflicts.merge(opened, mine, None) == mine  # nothing known of the saved one
    dropped = conflicts.changed(PLAN, replace(PLAN, goals=()))
    assert "goals[1].private_detail" in dropped and "formulation" not in dropped


def test_a_protective_measure_changed_meanwhile_is_not_saved_over(
    db, psychologist, colleague, client_id
):
    from clinic_app.models.enums import ProtectiveMeasureKind

    person = third_parties.ThirdPartyInput(relation=ThirdPartyRelation.VICTIM, name="Sarah Jones")
    order = third_parties.ProtectiveMeasureInput(
        kind=ProtectiveMeasureKind.STALKING_PROTECTION_ORDER,
        starts_on=date(2026, 1, 10),
        forbids="Contacting Sarah.",
    )
    with db.transaction() as session:
        added = third_parties.add_third_party(session, psychologist, client_id, person)
        measure = third_parties.add_protective_measure(session, psychologist, added.id, order)
    with db.transaction() as session:
        third_parties.update_protective_measure(
            session,
            colleague,
            measure.id,
            replace(order, ends_on=date(2028, 1, 9)),
            expected_version=measure.version,
        )
    mine = replace(order, forbids="Contacting Sarah; entering Elm Road.")
    with db.session() as session, pytest.raises(EditConflict) as refused:
        third_parties.update_protective_measure(
            session, psychologist, measure.id, mine, expected_version=measure.version
        )
    conflict = refused.value
    assert {f.name for f in conflict.fields} == {"forbids", "ends_on"}
    merged = conflicts.merge(order, mine, conflict.saved_record)
    assert merged.ends_on == date(2028, 1, 9) and merged.forbids == mine.forbids
    with db.transaction() as session:
        saved = third_parties.update_protective_measure(
            session, psychologist, measure.id, merged, expected_version=conflict.version
        )
    assert (saved.ends_on, saved.forbids, saved.version) == (date(2028, 1, 9), mine.forbids, 3)
