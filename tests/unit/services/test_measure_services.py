"""Measures in the record: administrations checked against their definition, clinic imports,
versions, cut-offs, results with change, schedules and the export of computed results."""

from __future__ import annotations

import copy
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from clinic_app import cli
from clinic_app.errors import AccessDenied, NotFound, ValidationError
from clinic_app.measures.definitions import Origin
from clinic_app.measures.scoring import Verdict
from clinic_app.models import (
    AppSetting,
    AuditEvent,
    Client,
    InterventionPlan,
    MeasureAdministration,
    MeasureResponse,
    PlanReview,
    PlanRevision,
    SessionNote,
)
from clinic_app.models import MeasureDefinition as StoredDefinition
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    MeasureMode,
    Modality,
    Phase,
    PlanStatus,
)
from clinic_app.services import (
    clients,
    interchange,
    measure_definitions,
    measure_schedules,
    measures,
)
from clinic_app.storage.engine import Database
from tests.conftest import client_details

DOCS = Path(__file__).resolve().parents[3] / "docs" / "measures.md"
TODAY = date(2026, 5, 1)


def example_text(**changes: Any) -> str:
    """The worked example of docs/measures.md as file text, with ``changes`` applied."""
    [block] = re.findall(r"```json\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    doc = json.loads(block)
    doc.update(changes)
    return json.dumps(doc, indent=2)


def record(
    db: Database, by: Any, client_id: int, measure_id: str, answers: dict[int, Any], **kw: Any
):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return measures.record_administration(
            session,
            by,
            client_id,
            measure_id=measure_id,
            measure_version=kw.pop("version", "1"),
            administered_on=kw.pop("on", TODAY),
            answers=answers,
            today=TODAY,
            **kw,
        )


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


PHQ_11 = {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 1, 7: 2, 8: 0, 9: 1}  # 1+2+0+3+1+1+2+0+1 = 11


# -- administrations ---------------------------------------------------------------------------


def test_an_administration_is_stored_as_answers_and_returned_with_its_score(
    db, psychologist, client_id
):
    row = record(db, psychologist, client_id, "phq-9", PHQ_11)
    assert row.score is not None and row.score.total == 11 and row.score.band == "Moderate"
    assert [a.item for a in row.score.alerts] == [9]
    with db.session() as session:
        [stored] = measures.administrations_for_client(session, psychologist, client_id)
        assert dict(stored.answers) == PHQ_11
        # Only answers are stored: no column anywhere holds the total.
        columns = set(MeasureAdministration.__table__.columns.keys())
        assert not {"total", "score", "band"} & columns


def test_an_answer_the_definition_does_not_allow_is_refused_naming_the_item(
    db, psychologist, client_id
):
    answers = {**PHQ_11, 3: 5}
    with pytest.raises(ValidationError) as caught:
        record(db, psychologist, client_id, "phq-9", answers)
    assert [(p.where, p.message) for p in caught.value.problems] == [
        (
            "answers.3",
            "Item 3 ('Trouble falling or staying asleep...'): 5 is not one of the answers "
            "(0 to 3).",
        )
    ]
    assert count(db, MeasureAdministration) == count(db, MeasureResponse) == 0


def test_unknown_item_measure_or_version_is_refused(db, psychologist, client_id):
    with pytest.raises(ValidationError, match="Item 10 is not part of the PHQ-9"):
        record(db, psychologist, client_id, "phq-9", {**PHQ_11, 10: 0})
    with pytest.raises(ValidationError, match="measure 'phq9' is not known here"):
        record(db, psychologist, client_id, "phq9", PHQ_11)
    with pytest.raises(ValidationError, match="Version 7 of the measure 'phq-9' is not known"):
        record(db, psychologist, client_id, "phq-9", PHQ_11, version="7")
    assert count(db, MeasureAdministration) == 0


def test_unanswered_items_are_kept_as_given_but_can_be_required(db, psychologist, client_id):
    partial = {**PHQ_11, 4: None}
    row = record(db, psychologist, client_id, "phq-9", partial)
    assert row.score is None
    assert "Item 4 ('Feeling tired or having little energy') has no answer" in row.score_problem
    with pytest.raises(ValidationError) as caught:
        record(db, psychologist, client_id, "phq-9", partial, require_score=True)
    assert [p.where for p in caught.value.problems] == ["answers.4"]
    assert count(db, MeasureAdministration) == 1  # only the first


def test_only_clinical_staff_with_access_record_measures(db, admin, clinician, client_id):
    with pytest.raises(AccessDenied):
        record(db, admin, client_id, "phq-9", PHQ_11)
    with pytest.raises(AccessDenied):  # not assigned (emergency access required)
        record(db, clinician, client_id, "phq-9", PHQ_11)


# -- clinic-supplied definitions -------------------------------------------------------------


def test_an_administrator_imports_a_definition_exactly_as_given(db, admin, psychologist):
    text = example_text()
    with db.transaction() as session:
        row = measure_definitions.import_definition(session, admin, text)
    assert (row.measure_id, row.version, row.origin, row.item_count) == (
        "northclinic.example-check",
        "1",
        Origin.CLINIC,
        4,
    )
    assert row.imported_by == "admin"
    with db.session() as session:
        [stored] = session.scalars(select(StoredDefinition))
        assert stored.content == text
        assert stored.content_sha256 == row.content_sha256
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.entity == "measure_definition"
        assert "Feeling on edge" not in json.dumps(event.detail)
        offered = {d.id for d in measure_definitions.available_measures(session, psychologist)}
    assert {"phq-9", "core-10", "northclinic.example-check"} <= offered


def test_only_administrators_import_definitions(db, psychologist):
    with pytest.raises(AccessDenied), db.transaction() as session:
        measure_definitions.import_definition(session, psychologist, example_text())
    assert count(db, StoredDefinition) == 0


def test_an_invalid_file_is_refused_with_every_problem_and_nothing_stored(db, admin):
    doc = json.loads(example_text())
    doc["items"][2]["number"] = 4
    doc["bands"][1]["minimum"] = 5
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        measure_definitions.import_definition(session, admin, json.dumps(doc))
    assert [p.where for p in caught.value.problems] == ["$.bands[1].minimum", "$.items[2].number"]
    assert count(db, StoredDefinition) == 0


def test_a_shipped_id_cannot_be_reused(db, admin):
    with (
        pytest.raises(ValidationError, match="shipped with clinic-app") as caught,
        db.transaction() as session,
    ):
        measure_definitions.import_definition(session, admin, example_text(id="core-10"))
    assert caught.value.problems[0].where == "$.id"


def test_the_same_version_with_other_content_is_refused_a_new_version_is_added(db, admin):
    with db.transaction() as session:
        first = measure_definitions.import_definition(session, admin, example_text())
    with db.transaction() as session:  # the very same file again: nothing changes
        again = measure_definitions.import_definition(session, admin, example_text())
    assert again.content_sha256 == first.content_sha256
    with (
        pytest.raises(ValidationError, match="already imported with different content"),
        db.transaction() as session,
    ):
        measure_definitions.import_definition(session, admin, example_text(title="Changed"))
    with db.transaction() as session:
        measure_definitions.import_definition(
            session, admin, example_text(version="2", title="Changed")
        )
        rows = [
            r
            for r in measure_definitions.list_definitions(session, admin)
            if r.measure_id == "northclinic.example-check"
        ]
    assert [(r.version, r.title) for r in rows] == [
        ("1", "North Clinic example check (illustration only)"),
        ("2", "Changed"),
    ]
    assert count(db, StoredDefinition) == 2


def test_old_administrations_keep_scoring_by_the_version_they_were_given_with(
    db, admin, psychologist, client_id
):
    with db.transaction() as session:
        measure_definitions.import_definition(session, admin, example_text())
    # Version 1: item 2 reverse scored. Answers 1, 3, 1, 1 score 1 + (3 - 3) + 1 + 1 = 3.
    answers = {1: 1, 2: 3, 3: 1, 4: 1}
    record(
        db, psychologist, client_id, "northclinic.example-check", answers, on=TODAY.replace(day=1)
    )
    doc = json.loads(example_text(version="2"))
    doc["items"][1]["reverse"] = False  # version 2 stops reversing item 2
    doc["subscales"] = []
    with db.transaction() as session:
        measure_definitions.import_definition(session, admin, json.dumps(doc))
        assert [
            d.version
            for d in measure_definitions.available_measures(session, psychologist)
            if d.id == doc["id"]
        ] == ["2"]
    record(
        db, psychologist, client_id, "northclinic.example-check", answers, version="2"
    )  # 1 + 3 + 1 + 1 = 6
    with db.session() as session:
        [result] = measures.results_for_client(session, psychologist, client_id)
    v1, v2 = result.administrations
    assert (v1.definition.version, v1.score.total) == ("1", 3)  # type: ignore[union-attr]
    assert (v2.definition.version, v2.score.total) == ("2", 6)  # type: ignore[union-attr]
    assert result.definition is not None and result.definition.version == "2"
    [between] = result.changes
    assert between.change is None
    assert "different versions of the definition (1 and 2)" in between.problem


def test_a_version_no_longer_offered_is_refused_for_new_administrations(
    db, admin, psychologist, client_id
):
    with db.transaction() as session:
        measure_definitions.import_definition(session, admin, example_text())
        session.execute(
            StoredDefinition.__table__.update().values(active=False)  # the only change allowed
        )
    with pytest.raises(ValidationError, match="no longer offered"):
        record(db, psychologist, client_id, "northclinic.example-check", {1: 0, 2: 0, 3: 0, 4: 0})
    with db.session() as session:
        assert "northclinic.example-check" not in {
            d.id for d in measure_definitions.available_measures(session, psychologist)
        }
        # ...but it can still be read, to score what was given with it.
        assert measure_definitions.definition(
            session, psychologist, "northclinic.example-check", "1"
        )


def test_an_unknown_definition_is_not_found(db, psychologist):
    with pytest.raises(NotFound), db.session() as session:
        measure_definitions.definition(session, psychologist, "phq-9", "99")


# -- cut-offs --------------------------------------------------------------------------------


def test_an_administrator_sets_a_configurable_cutoff_and_scores_show_it(
    db, admin, psychologist, client_id
):
    pcl = dict.fromkeys(range(1, 21), 0) | {1: 4, 2: 4, 3: 4, 4: 4, 5: 4, 6: 4, 7: 4, 8: 4}  # 32
    with db.transaction() as session:
        setting = measure_definitions.set_cutoff(session, admin, "pcl-5", 31)
    assert (setting.value, setting.default_value, setting.overridden) == (31, 33, True)
    row = record(db, psychologist, client_id, "pcl-5", pcl)
    assert row.score is not None and row.score.total == 32  # 8 x 4
    assert row.score.in_clinical_range is True  # 32 >= 31
    assert row.score.cutoff is not None and row.score.cutoff.overridden
    with db.transaction() as session:
        back = measure_definitions.set_cutoff(session, admin, "pcl-5", None)
        assert session.get(AppSetting, "measure_cutoff.pcl-5") is None
    assert (back.value, back.overridden) == (33, False)
    with db.session() as session:
        [result] = measures.results_for_client(session, psychologist, client_id)
    score = result.administrations[0].score
    assert score is not None and score.in_clinical_range is False  # 32 < 33 again


def test_cutoffs_are_changed_only_within_the_definitions_range_by_administrators(
    db, admin, psychologist
):
    with pytest.raises(ValidationError, match="from 3 to 5; 8 is outside"), db.transaction() as s:
        measure_definitions.set_cutoff(s, admin, "audit-c", 8)
    with pytest.raises(ValidationError, match="fixed by its definition"), db.transaction() as s:
        measure_definitions.set_cutoff(s, admin, "phq-9", 12)
    with pytest.raises(AccessDenied), db.transaction() as s:
        measure_definitions.set_cutoff(s, psychologist, "audit-c", 4)
    with db.session() as s:
        listed = {
            (c.measure_id, c.minimum, c.maximum)
            for c in measure_definitions.cutoff_settings(s, admin)
        }
    assert listed == {("pcl-5", 31, 33), ("audit-c", 3, 5)}
    with db.session() as s:
        assert s.get(AppSetting, "measure_cutoff.audit-c") is None


# -- results ---------------------------------------------------------------------------------


def test_results_give_scores_item_answers_and_reliable_change(db, psychologist, client_id):
    record(
        db, psychologist, client_id, "phq-9", dict.fromkeys(range(1, 10), 2), on=date(2026, 3, 1)
    )
    record(db, psychologist, client_id, "phq-9", PHQ_11, on=date(2026, 4, 1))
    record(db, psychologist, client_id, "phq-9", dict.fromkeys(range(1, 10), 0), on=TODAY)
    record(db, psychologist, client_id, "gad-7", dict.fromkeys(range(1, 8), 1))
    with db.session() as session:
        gad, phq = measures.results_for_client(session, psychologist, client_id)
    assert (gad.short_title, phq.short_title) == ("GAD-7", "PHQ-9")
    assert [a.score.total for a in phq.administrations] == [18, 11, 0]  # type: ignore[union-attr]
    first, second = phq.changes
    # 18 -> 11 is -7: at least 6, a reliable improvement; 11 is still a case (>= 10).
    assert first.change is not None and first.change.verdict is Verdict.RELIABLE_IMPROVEMENT
    assert first.change.clinically_significant is False
    # 11 -> 0 is -11: reliable, and from caseness to below 10.
    assert second.change is not None and second.change.clinically_significant is True
    assert phq.overall is not None and phq.overall.change is not None
    assert phq.overall.change.difference == -18  # 0 - 18
    assert gad.overall is None


def test_results_report_what_cannot_be_scored_without_failing(db, psychologist, client_id):
    with db.transaction() as session:  # as the demo loader writes them, by an unknown id
        a = MeasureAdministration(
            client_id=client_id,
            measure_id="phq9",
            measure_version="1",
            administered_on=TODAY,
            mode=MeasureMode.CLINICIAN_ENTRY,
            entered_by=psychologist.id,
        )
        session.add(a)
        session.flush()
        session.add(MeasureResponse(administration_id=a.id, item=1, value=2))
    record(db, psychologist, client_id, "core-10", {1: 1})  # stored, but 9 items unanswered
    with db.session() as session:
        results = {
            r.measure_id: r for r in measures.results_for_client(session, psychologist, client_id)
        }
    [unknown] = results["phq9"].administrations
    assert unknown.score is None and "is not known here" in unknown.problem
    [partial] = results["core-10"].administrations
    assert partial.score is None and "cannot be scored" in partial.problem


# -- schedules -------------------------------------------------------------------------------


def add_session(
    db: Database, by: Any, client_id: int, on: date, attendance=Attendance.ATTENDED, *, error=False
):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        note = SessionNote(
            client_id=client_id,
            author_id=by.id,
            session_date=on,
            duration_minutes=50,
            modality=Modality.IN_PERSON,
            attendance=attendance,
        )
        if error:
            from datetime import UTC, datetime

            note.entered_in_error_at = datetime.now(UTC)
            note.entered_in_error_by = by.id
            note.entered_in_error_reason = "wrong client"
        session.add(note)


def due(db: Database, by: Any, client_id: int, today: date = TODAY):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return measure_schedules.measures_due(session, by, client_id, today=today)


def test_schedule_choices_are_checked_and_a_new_one_replaces_the_old(db, psychologist, client_id):
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        measure_schedules.set_schedule(
            session, psychologist, client_id, measure_id="k10", every_n_sessions=0
        )
    assert {p.where for p in caught.value.problems} == {"measure_id", "every_n_sessions"}
    with (
        pytest.raises(ValidationError, match="Say when the measure is due"),
        db.transaction() as session,
    ):
        measure_schedules.set_schedule(session, psychologist, client_id, measure_id="phq-9")
    with db.transaction() as session:
        first = measure_schedules.set_schedule(
            session, psychologist, client_id, measure_id="phq-9", every_n_sessions=4
        )
        second = measure_schedules.set_schedule(
            session,
            psychologist,
            client_id,
            measure_id="phq-9",
            every_n_sessions=2,
            at_plan_review=True,
        )
        assert second.description == "every 2 sessions and before each plan review"
        assert [
            s.id for s in measure_schedules.schedules_for_client(session, psychologist, client_id)
        ] == [second.id]
        stopped = measure_schedules.stop_schedule(session, psychologist, second.id)
        assert not stopped.active
        assert measure_schedules.schedules_for_client(session, psychologist, client_id) == ()
    assert first.id != second.id


def test_a_scheduled_measure_never_given_is_due_as_a_baseline(db, psychologist, client_id):
    with db.transaction() as session:
        measure_schedules.set_schedule(
            session, psychologist, client_id, measure_id="core-10", every_n_sessions=4
        )
    [reminder] = due(db, psychologist, client_id)
    assert reminder.short_title == "CORE-10" and reminder.local_ref == "MASIP-0001"
    assert reminder.reasons == ("No CORE-10 recorded yet: a first (baseline) one is due.",)


def test_due_every_n_attended_sessions_since_the_last_one(db, psychologist, client_id):
    with db.transaction() as session:
        measure_schedules.set_schedule(
            session, psychologist, client_id, measure_id="phq-9", every_n_sessions=4
        )
    last = date(2026, 3, 2)
    record(db, psychologist, client_id, "phq-9", PHQ_11, on=last)
    add_session(db, psychologist, client_id, last)  # the same day: not after it
    for week in (1, 2, 3):
        add_session(db, psychologist, client_id, last + timedelta(weeks=week))
    add_session(db, psychologist, client_id, last + timedelta(days=22), Attendance.DID_NOT_ATTEND)
    add_session(db, psychologist, client_id, last + timedelta(days=23), error=True)
    assert due(db, psychologist, client_id) == ()  # 3 attended sessions since: not yet
    fourth = last + timedelta(weeks=4)
    add_session(db, psychologist, client_id, fourth, Attendance.LATE)  # late still attended
    [reminder] = due(db, psychologist, client_id)
    assert reminder.reasons == (
        "4 sessions attended since the last PHQ-9 on 2 March 2026 (due every 4 sessions).",
    )
    assert reminder.due_since == fourth
    record(db, psychologist, client_id, "phq-9", PHQ_11, on=fourth)
    assert due(db, psychologist, client_id) == ()


def add_plan(
    db: Database, by: Any, client_id: int, review_on: date, status=PlanStatus.ACTIVE
) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        plan = InterventionPlan(client_id=client_id, created_by=by.id)
        session.add(plan)
        session.flush()
        session.add(
            PlanRevision(
                plan_id=plan.id,
                number=1,
                status=status,
                phase=Phase.INTERVENTION,
                next_review_on=review_on,
                saved_by=by.id,
            )
        )
        return plan.id


@pytest.mark.parametrize(
    ("days_to_review", "is_due"),
    [(15, False), (14, True), (0, True), (-30, True)],  # due 14 days before, until given
)
def test_due_in_the_fortnight_before_a_plan_review(
    db, psychologist, client_id, days_to_review, is_due
):
    with db.transaction() as session:
        measure_schedules.set_schedule(
            session, psychologist, client_id, measure_id="gad-7", at_plan_review=True
        )
    review = TODAY + timedelta(days=days_to_review)
    add_plan(db, psychologist, client_id, review)
    found = due(db, psychologist, client_id)
    assert bool(found) is is_due
    if is_due:
        assert found[0].due_since == review - timedelta(days=14)
        assert f"{review.day} {review:%B %Y}" in found[0].reasons[0]


@pytest.mark.parametrize(("given_days_before", "is_due"), [(14, False), (15, True)])
def test_a_measure_given_in_the_review_window_is_not_due_again(
    db, psychologist, client_id, given_days_before, is_due
):
    with db.transaction() as session:
        measure_schedules.set_schedule(
            session, psychologist, client_id, measure_id="gad-7", at_plan_review=True
        )
    review = TODAY + timedelta(days=3)
    add_plan(db, psychologist, client_id, review)
    record(
        db,
        psychologist,
        client_id,
        "gad-7",
        dict.fromkeys(range(1, 8), 0),
        on=review - timedelta(days=given_days_before),
    )
    assert bool(due(db, psychologist, client_id)) is is_due


def test_closed_plans_and_held_reviews_do_not_make_a_measure_due(db, psychologist, client_id):
    with db.transaction() as session:
        measure_schedules.set_schedule(
            session, psychologist, client_id, measure_id="gad-7", at_plan_review=True
        )
    add_plan(db, psychologist, client_id, TODAY, PlanStatus.COMPLETED)
    plan_id = add_plan(db, psychologist, client_id, TODAY + timedelta(days=2))
    with db.transaction() as session:
        session.add(
            PlanReview(
                plan_id=plan_id,
                due_on=TODAY + timedelta(days=2),
                held_on=TODAY,
                reviewed_by=psychologist.id,
            )
        )
    assert due(db, psychologist, client_id) == ()
    with db.transaction() as session:  # a review recorded as due and not yet held
        session.add(PlanReview(plan_id=plan_id, due_on=TODAY + timedelta(days=5)))
    assert len(due(db, psychologist, client_id)) == 1


def test_caseload_reminders_cover_open_clients_assigned_to_me(
    db, admin, psychologist, clinician, client_id
):
    with db.transaction() as session:
        other = clients.register_client(
            session, psychologist, client_details(local_ref="MASIP-0002", nhs_number="")
        ).id
        closed = clients.register_client(
            session, psychologist, client_details(local_ref="MASIP-0003", nhs_number="")
        ).id
        for cid in (client_id, other, closed):
            measure_schedules.set_schedule(
                session, psychologist, cid, measure_id="phq-9", every_n_sessions=4
            )
        session.execute(
            Client.__table__.update().where(Client.id == closed).values(status=ClientStatus.CLOSED)
        )
    with db.session() as session:
        mine = measure_schedules.measures_due_for_caseload(session, psychologist, TODAY)
        assert [d.local_ref for d in mine] == ["MASIP-0001", "MASIP-0002"]
        assert measure_schedules.measures_due_for_caseload(session, clinician, TODAY) == ()
        with pytest.raises(AccessDenied):
            measure_schedules.measures_due_for_caseload(session, admin, TODAY)


# -- export ----------------------------------------------------------------------------------


def test_export_carries_scores_that_can_be_checked_by_hand(db, psychologist, client_id):
    core_before = {1: 3, 2: 1, 3: 1, 4: 2, 5: 2, 6: 0, 7: 3, 8: 2, 9: 3, 10: 2}
    core_after = {1: 1, 2: 3, 3: 3, 4: 1, 5: 0, 6: 0, 7: 1, 8: 1, 9: 1, 10: None}
    record(db, psychologist, client_id, "core-10", core_before, on=date(2026, 3, 1))
    record(db, psychologist, client_id, "core-10", core_after, on=date(2026, 4, 1))
    with db.transaction() as session:
        document = interchange.export_client(session, psychologist, client_id)
    assert interchange.check_schema(document) == []
    before, after = (a["computed"] for a in document["measure_administrations"])
    # Before: 3 + (4-1) + (4-1) + 2 + 2 + 0 + 3 + 2 + 3 + 2 = 23, Moderate-to-severe.
    assert sum(i["scored"] for i in before["item_scores"]) == before["total"] == 23
    assert before["band"] == "Moderate-to-severe" and before["in_clinical_range"] is True
    assert [i["scored"] for i in before["item_scores"] if i["reversed"]] == [3, 3]
    # After: 1 + (4-3) + (4-3) + 1 + 0 + 0 + 1 + 1 + 1 = 7 over 9 items; 7 x 10 / 9 = 7.78 -> 8.
    assert after["prorated"] and after["answered"] == 9 and after["total"] == 8
    assert "7 x 10 / 9 = 7.78, rounded to 8" in after["method"]
    change = after["change_from_previous"]
    assert change["from_index"] == 0
    assert change["difference"] == -15  # 8 - 23
    assert change["method"] == "published_threshold" and change["threshold"] == 6
    assert change["verdict"] == "reliable_improvement"
    assert change["clinically_significant"] is True  # from >= 11 to below, reliably
    assert "Barkham" in change["parameters"]
    assert after["change_from_first"] is None  # the first is also the previous here
    assert after["scored_by"]["definition_sha256"] == before["scored_by"]["definition_sha256"]


def test_import_never_trusts_computed_results(db, psychologist, client_id):
    record(db, psychologist, client_id, "phq-9", PHQ_11)
    with db.transaction() as session:
        document = interchange.export_client(session, psychologist, client_id)
    forged = copy.deepcopy(document)
    forged["client"]["local_ref"] = "MASIP-0099"
    forged["client"]["nhs_number"] = None
    forged["measure_administrations"][0]["computed"]["total"] = 0
    forged["measure_administrations"][0]["computed"]["band"] = "Minimal"
    with db.transaction() as session:
        summary = interchange.import_client(session, psychologist, forged, today=TODAY)
    with db.transaction() as session:
        again = interchange.export_client(session, psychologist, summary.id)
    recomputed = again["measure_administrations"][0]["computed"]
    assert (recomputed["total"], recomputed["band"]) == (11, "Moderate")


# -- the command line ------------------------------------------------------------------------


def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_measure_commands(tmp_path: Path):
    dbfile = str(tmp_path / "clinic.db")
    pw = "admin password 1\n"
    assert run("init", "--db", dbfile, "--admin", "admin", "--password-stdin", stdin=pw)[0] == 0
    as_admin = ("--db", dbfile, "--user", "admin", "--password-stdin")
    good = tmp_path / "check.json"
    good.write_text(example_text(), encoding="utf-8")
    code, out, err = run("measure", "import", str(good), *as_admin, stdin=pw)
    assert code == 0, err
    assert out.startswith("Imported version 1 of 'northclinic.example-check'")
    bad = tmp_path / "bad.json"
    bad.write_text(example_text(version="2", direction="sideways"), encoding="utf-8")
    code, out, err = run("measure", "import", str(bad), *as_admin, stdin=pw)
    assert code == 1 and "$.direction" in err and out == ""
    code, out, _ = run("measure", "list", *as_admin, stdin=pw)
    assert code == 0
    assert "northclinic.example-check\tversion 1\tclinic\toffered" in out
    assert "core-10\tversion 1\tshipped\toffered" in out
    code, out, err = run("measure", "cutoff", "pcl-5", "32", *as_admin, stdin=pw)
    assert code == 0, err
    assert "pcl-5\tProbable PTSD: 32 (set by an administrator" in out
    code, out, err = run("measure", "cutoff", "pcl-5", "40", *as_admin, stdin=pw)
    assert code == 1 and "from 31 to 33" in err
    code, out, _ = run("measure", "cutoff", *as_admin, stdin=pw)
    assert "audit-c\tPositive screen: 5 (the definition's" in out
