"""Import: a checked document's rows added to the database, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.models import (
    Base,
    Client,
    ClientAssignment,
    CriticalItemReview,
    Disclosure,
    GoalProgress,
    InterventionPlan,
    MeasureAdministration,
    MeasureResponse,
    MeasureSchedule,
    NoteAddendum,
    PlanGoal,
    PlannedIntervention,
    PlanReview,
    PlanRevision,
    ProtectiveMeasure,
    Referral,
    ReferralStatusChange,
    RiskAssessment,
    RiskEvent,
    RiskShareDecision,
    SessionNote,
    SpecialistService,
    StaffUser,
    ThirdParty,
    TypologyAssessment,
)
from clinic_app.services import audit, third_parties
from clinic_app.services.clients import ClientSummary, summary_of
from clinic_app.services.common import StaffRef
from clinic_app.services.interchange.checks import check_document
from clinic_app.services.interchange.fields import (
    ADDENDUM,
    ADMINISTRATION,
    ASSIGNMENT,
    CLIENT,
    CLIENT_TEXT_STRIPPED,
    CRITICAL_REVIEW,
    DECISION,
    DISCLOSURE,
    FORMAT_VERSION,
    GOAL,
    INTERVENTION,
    NOTE,
    PLAN,
    PROGRESS,
    PROTECTIVE_MEASURE,
    REFERRAL,
    RESPONSE,
    REVIEW,
    REVISION,
    RISK_ASSESSMENT,
    RISK_EVENT,
    SCHEDULE,
    STATUS_CHANGE,
    THIRD_PARTY,
    TYPOLOGY,
    Field,
    from_json,
    third_party_input,
)
from clinic_app.services.interchange.versions import upgraded
from clinic_app.services.validation import normalise_nhs_number

M = TypeVar("M", bound=Base)


def import_client(
    session: Session, by: StaffRef, document: object, *, today: date | None = None
) -> ClientSummary:
    """Add a client's whole record from a document in the format; all or nothing.

    Every problem is reported together in one ``ValidationError`` (each with the JSON path
    where it was found) and nothing is written. Only clinical staff may import; the
    importing user is assigned to the client unless already currently assigned. Rows are
    added to the caller's unit of work, which the caller commits.
    """
    if not by.is_clinical:
        raise AccessDenied(
            "Administrators manage the system but do not read or write clinical records."
        )
    problems = check_document(session, document, today=today)
    if problems:
        raise ValidationError(problems)
    # A schema-valid document is a JSON object (an older version's, brought up to date).
    doc = cast(dict[str, Any], upgraded(document))
    client = _write(session, doc)
    if not any(a["staff"] == by.username and a["ended_at"] is None for a in doc["assignments"]):
        session.add(ClientAssignment(client_id=client.id, staff_id=by.id, is_lead=False))
        session.flush()
    audit.record(
        session,
        audit.Action.IMPORT,
        actor_id=by.id,
        entity="client",
        entity_id=client.id,
        client_id=client.id,
        detail={"format_version": FORMAT_VERSION},
    )
    return summary_of(client)


def _write(session: Session, doc: dict[str, Any]) -> Client:
    """Add a checked document's rows, each with its final values (history is never updated).

    Rows are added in document order, so re-exporting gives the same order back.
    """
    staff_ids: dict[str, int] = dict(
        session.execute(select(StaffUser.username, StaffUser.id)).all()
    )
    service_ids: dict[str, int] = dict(
        session.execute(select(SpecialistService.name, SpecialistService.id)).all()
    )

    def new(model: type[M], item: dict[str, Any], fields: Sequence[Field], **extra: Any) -> M:
        return model(**from_json(item, fields, staff_ids), **extra)

    def added(rows: list[M]) -> list[M]:
        session.add_all(rows)
        session.flush()
        return rows

    client = new(Client, doc["client"], CLIENT)
    for name in CLIENT_TEXT_STRIPPED:
        setattr(client, name, getattr(client, name).strip())
    client.nhs_number = normalise_nhs_number(client.nhs_number or "") or None
    cid = added([client])[0].id

    added([new(ClientAssignment, a, ASSIGNMENT, client_id=cid) for a in doc["assignments"]])
    added(
        [new(TypologyAssessment, t, TYPOLOGY, client_id=cid) for t in doc["typology_assessments"]]
    )
    added([new(RiskAssessment, r, RISK_ASSESSMENT, client_id=cid) for r in doc["risk_assessments"]])
    people = [new(ThirdParty, p, THIRD_PARTY, client_id=cid) for p in doc["third_parties"]]
    for person, p in zip(people, doc["third_parties"], strict=True):
        # Stored as the app stores what is entered (one entry a line, registrations in
        # capitals), so a file written by hand reads back as if typed in.
        third_parties.apply_input(person, third_party_input(p))
        person.ended_reason = person.ended_reason.strip()
    added(people)
    measures = [
        new(ProtectiveMeasure, m, PROTECTIVE_MEASURE, third_party_id=person.id, client_id=cid)
        for person, p in zip(people, doc["third_parties"], strict=True)
        for m in p["protective_measures"]
    ]
    for measure in measures:
        measure.forbids = measure.forbids.strip()
        measure.reference = measure.reference.strip()
    added(measures)

    for p in doc["plans"]:
        plan = added([new(InterventionPlan, p, PLAN, client_id=cid)])[0]
        revisions = added([new(PlanRevision, r, REVISION, plan_id=plan.id) for r in p["revisions"]])
        children: list[Base] = []
        for revision, r in zip(revisions, p["revisions"], strict=True):
            children += [
                new(PlanGoal, g, GOAL, revision_id=revision.id, position=i)
                for i, g in enumerate(r["goals"])
            ]
            children += [
                new(PlannedIntervention, x, INTERVENTION, revision_id=revision.id, position=i)
                for i, x in enumerate(r["interventions"])
            ]
        children += [new(GoalProgress, g, PROGRESS, plan_id=plan.id) for g in p["goal_progress"]]
        children += [new(PlanReview, v, REVIEW, plan_id=plan.id) for v in p["reviews"]]
        added(children)

    notes = [
        new(SessionNote, n, NOTE, client_id=cid, content_sha256=n["content_sha256"])
        for n in doc["sessions"]
    ]
    note_ids = [n.id for n in added(notes)]
    added(
        [
            new(NoteAddendum, a, ADDENDUM, note_id=note.id, content_sha256=a["content_sha256"])
            for note, n in zip(notes, doc["sessions"], strict=True)
            for a in n["addenda"]
        ]
    )

    events = added(
        [
            new(
                RiskEvent,
                e,
                RISK_EVENT,
                client_id=cid,
                session_note_id=_pick(note_ids, e["session_index"]),
            )
            for e in doc["risk_events"]
        ]
    )
    added(
        [
            new(RiskShareDecision, d, DECISION, risk_event_id=event.id)
            for event, e in zip(events, doc["risk_events"], strict=True)
            for d in e["share_decisions"]
        ]
    )

    referrals = added(
        [
            new(
                Referral,
                r,
                REFERRAL,
                client_id=cid,
                service_id=service_ids[r["service"]["name"]],
            )
            for r in doc["referrals"]
        ]
    )
    added(
        [
            new(ReferralStatusChange, c, STATUS_CHANGE, referral_id=referral.id)
            for referral, r in zip(referrals, doc["referrals"], strict=True)
            for c in r["status_history"]
        ]
    )

    administrations = added(
        [
            new(
                MeasureAdministration,
                a,
                ADMINISTRATION,
                client_id=cid,
                session_note_id=_pick(note_ids, a["session_index"]),
            )
            for a in doc["measure_administrations"]
        ]
    )
    added(
        [
            new(MeasureResponse, x, RESPONSE, administration_id=administration.id)
            for administration, a in zip(
                administrations, doc["measure_administrations"], strict=True
            )
            for x in a["responses"]
        ]
    )
    added(
        [
            new(
                CriticalItemReview,
                r,
                CRITICAL_REVIEW,
                client_id=cid,
                administration_id=administrations[r["administration_index"]].id,
                risk_event_id=_pick([e.id for e in events], r["risk_event_index"]),
            )
            for r in doc["critical_item_reviews"]
        ]
    )
    added([new(MeasureSchedule, s, SCHEDULE, client_id=cid) for s in doc["measure_schedules"]])
    added(
        [
            new(
                Disclosure,
                d,
                DISCLOSURE,
                client_id=cid,
                risk_event_id=_pick([e.id for e in events], d["risk_event_index"]),
                referral_id=_pick([r.id for r in referrals], d["referral_index"]),
            )
            for d in doc["disclosures"]
        ]
    )
    return client


def _pick(ids: Sequence[int], index: int | None) -> int | None:
    return None if index is None else ids[int(index)]
