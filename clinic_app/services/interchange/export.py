"""Export: one client's whole record as a JSON-ready document in the format."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinic_app.errors import Problem, ValidationError
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
    PlanReview,
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
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.interchange.fields import (
    ADDENDUM,
    ADMINISTRATION,
    ASSIGNMENT,
    CLIENT,
    CRITICAL_REVIEW,
    DECISION,
    DISCLOSURE,
    FORMAT,
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
    json_path,
    timestamp_text,
    to_json,
)
from clinic_app.services.measures import computed_results
from clinic_app.services.notes import addendum_seal_version, content_of, note_seal_version

M = TypeVar("M", bound=Base)


def _ordered(
    session: Session,
    model: type[M],
    where: ColumnElement[bool],
    *order: InstrumentedAttribute[Any],
) -> list[M]:
    return list(session.scalars(select(model).where(where).order_by(*order)))


def _grouped(
    session: Session,
    model: type[M],
    parent: InstrumentedAttribute[int],
    parent_ids: Sequence[int],
    *order: InstrumentedAttribute[Any],
) -> dict[int, list[M]]:
    """Child rows by their parent's id, each list in the given order."""
    groups: dict[int, list[M]] = {}
    if parent_ids:
        for row in _ordered(session, model, parent.in_(parent_ids), *order):
            groups.setdefault(getattr(row, parent.key), []).append(row)
    return groups


_ALTERED: Final = (
    "no longer matches its signature, so the record may have been altered. Nothing has "
    "been exported; ask an administrator to look into it."
)


def export_client(session: Session, by: StaffRef, client_id: int) -> dict[str, Any]:
    """The whole record of one client as a JSON-ready dict in the documented format.

    Only a clinical user with access to the client may export. Autosaved editor drafts,
    emergency access grants and the audit trail are not part of the record. The export
    is audited (ids only). A signed note or addendum whose content no longer matches
    its signature is not exported: the record may have been altered and must be looked
    into first (``ValidationError`` naming where).
    """
    require_clinical_access(session, by, client_id)
    client = get_or_raise(session, Client, client_id, "client")
    names: dict[int, str] = dict(session.execute(select(StaffUser.id, StaffUser.username)).all())

    def rows(
        model: type[M], owner: InstrumentedAttribute[Any], *order: InstrumentedAttribute[Any]
    ) -> list[M]:
        return _ordered(session, model, owner == client_id, *order)

    def out(row: Base, fields: Sequence[Field], **extra: Any) -> dict[str, Any]:
        return {**to_json(row, fields, names), **extra}

    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": timestamp_text(datetime.now(UTC)),
        "client": out(client, CLIENT),
    }
    document["assignments"] = [
        out(a, ASSIGNMENT)
        for a in rows(
            ClientAssignment,
            ClientAssignment.client_id,
            ClientAssignment.assigned_at,
            ClientAssignment.id,
        )
    ]
    document["typology_assessments"] = [
        out(t, TYPOLOGY)
        for t in rows(
            TypologyAssessment,
            TypologyAssessment.client_id,
            TypologyAssessment.assessed_on,
            TypologyAssessment.id,
        )
    ]
    document["risk_assessments"] = [
        out(r, RISK_ASSESSMENT)
        for r in rows(
            RiskAssessment, RiskAssessment.client_id, RiskAssessment.assessed_on, RiskAssessment.id
        )
    ]
    people = rows(ThirdParty, ThirdParty.client_id, ThirdParty.recorded_at, ThirdParty.id)
    protection = _grouped(
        session,
        ProtectiveMeasure,
        ProtectiveMeasure.third_party_id,
        [p.id for p in people],
        ProtectiveMeasure.starts_on,
        ProtectiveMeasure.id,
    )
    document["third_parties"] = [
        out(
            p,
            THIRD_PARTY,
            protective_measures=[out(m, PROTECTIVE_MEASURE) for m in protection.get(p.id, [])],
        )
        for p in people
    ]

    plans = rows(
        InterventionPlan,
        InterventionPlan.client_id,
        InterventionPlan.created_at,
        InterventionPlan.id,
    )
    plan_ids = [p.id for p in plans]
    progress = _grouped(
        session,
        GoalProgress,
        GoalProgress.plan_id,
        plan_ids,
        GoalProgress.rated_on,
        GoalProgress.id,
    )
    reviews = _grouped(
        session, PlanReview, PlanReview.plan_id, plan_ids, PlanReview.due_on, PlanReview.id
    )
    document["plans"] = [
        out(
            plan,
            PLAN,
            revisions=[
                out(
                    r,
                    REVISION,
                    goals=[out(g, GOAL) for g in r.goals],
                    interventions=[out(i, INTERVENTION) for i in r.interventions],
                )
                for r in plan.revisions
            ],
            goal_progress=[out(g, PROGRESS) for g in progress.get(plan.id, [])],
            reviews=[out(v, REVIEW) for v in reviews.get(plan.id, [])],
        )
        for plan in plans
    ]

    notes = rows(SessionNote, SessionNote.client_id, SessionNote.session_date, SessionNote.id)
    note_index = {n.id: i for i, n in enumerate(notes)}
    addenda = _grouped(
        session,
        NoteAddendum,
        NoteAddendum.note_id,
        list(note_index),
        NoteAddendum.signed_at,
        NoteAddendum.id,
    )
    altered: list[Problem] = []
    document["sessions"] = []
    for i, note in enumerate(notes):
        where = json_path("$", "sessions", i)
        if note.signed_at is not None and (
            note.signed_by is None
            or note_seal_version(
                note.content_sha256,
                content_of(note),
                names[note.author_id],
                signer=names[note.signed_by],
                signed_at=note.signed_at,
            )
            is None
        ):
            altered.append(Problem(where, f"This signed note {_ALTERED}"))
        addenda_out = []
        for j, a in enumerate(addenda.get(note.id, [])):
            if (
                addendum_seal_version(
                    a.content_sha256,
                    note.content_sha256,
                    a.reason,
                    a.text,
                    names[a.author_id],
                    signed_at=a.signed_at,
                )
                is None
            ):
                altered.append(Problem(json_path(where, "addenda", j), f"This addendum {_ALTERED}"))
            addenda_out.append(out(a, ADDENDUM, content_sha256=a.content_sha256))
        document["sessions"].append(
            out(note, NOTE, content_sha256=note.content_sha256, addenda=addenda_out)
        )
    if altered:
        raise ValidationError(altered)

    events = rows(RiskEvent, RiskEvent.client_id, RiskEvent.occurred_on, RiskEvent.id)
    event_index = {e.id: i for i, e in enumerate(events)}
    decisions = _grouped(
        session,
        RiskShareDecision,
        RiskShareDecision.risk_event_id,
        list(event_index),
        RiskShareDecision.decided_at,
        RiskShareDecision.id,
    )
    document["risk_events"] = [
        out(
            e,
            RISK_EVENT,
            session_index=_index_of(note_index, e.session_note_id),
            share_decisions=[out(d, DECISION) for d in decisions.get(e.id, [])],
        )
        for e in events
    ]

    referrals = rows(Referral, Referral.client_id, Referral.created_on, Referral.id)
    referral_index = {r.id: i for i, r in enumerate(referrals)}
    services = {s.id: s for s in session.scalars(select(SpecialistService))}
    history = _grouped(
        session,
        ReferralStatusChange,
        ReferralStatusChange.referral_id,
        list(referral_index),
        ReferralStatusChange.recorded_at,
        ReferralStatusChange.id,
    )
    document["referrals"] = [
        out(
            r,
            REFERRAL,
            service={
                "name": services[r.service_id].name,
                "kind": services[r.service_id].kind.value,
            },
            status_history=[out(c, STATUS_CHANGE) for c in history.get(r.id, [])],
        )
        for r in referrals
    ]

    administrations = rows(
        MeasureAdministration,
        MeasureAdministration.client_id,
        MeasureAdministration.administered_on,
        MeasureAdministration.id,
    )
    responses = _grouped(
        session,
        MeasureResponse,
        MeasureResponse.administration_id,
        [a.id for a in administrations],
        MeasureResponse.item,
        MeasureResponse.id,
    )
    # Scores, bands and reliable change are derived here for people checking the results;
    # an import never trusts them (see "computed" in docs/record-format.md).
    computed = computed_results(session, by, client_id)
    document["measure_administrations"] = [
        out(
            a,
            ADMINISTRATION,
            session_index=_index_of(note_index, a.session_note_id),
            responses=[out(x, RESPONSE) for x in responses.get(a.id, [])],
            computed=computed.get(a.id),
        )
        for a in administrations
    ]
    administration_index = {a.id: i for i, a in enumerate(administrations)}
    document["critical_item_reviews"] = [
        out(
            r,
            CRITICAL_REVIEW,
            administration_index=administration_index[r.administration_id],
            risk_event_index=_index_of(event_index, r.risk_event_id),
        )
        for r in rows(
            CriticalItemReview,
            CriticalItemReview.client_id,
            CriticalItemReview.reviewed_at,
            CriticalItemReview.id,
        )
    ]
    document["measure_schedules"] = [
        out(s, SCHEDULE)
        for s in rows(MeasureSchedule, MeasureSchedule.client_id, MeasureSchedule.id)
    ]
    document["disclosures"] = [
        out(
            d,
            DISCLOSURE,
            risk_event_index=_index_of(event_index, d.risk_event_id),
            referral_index=_index_of(referral_index, d.referral_id),
        )
        for d in rows(Disclosure, Disclosure.client_id, Disclosure.recorded_at, Disclosure.id)
    ]
    audit.record(
        session,
        audit.Action.EXPORT,
        actor_id=by.id,
        entity="client",
        entity_id=client_id,
        client_id=client_id,
        detail={"format_version": FORMAT_VERSION},
    )
    return document


def _index_of(index: dict[int, int], ident: int | None) -> int | None:
    return None if ident is None else index[ident]
