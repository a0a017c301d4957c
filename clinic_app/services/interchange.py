"""Record interchange: one client's whole record as a documented JSON file, out and back in.

The format is ``resources/schemas/client-record.schema.json`` (JSON Schema draft 2020-12),
described for people in ``docs/record-format.md``. In short:

- staff are named by username and specialist services by name and kind, never by
  database id; items inside the document refer to each other by their 0-based position
  in their array (``risk_events[i].session_index`` and so on);
- every array is in a fixed order (by date, then in the order recorded), so exporting
  an unchanged record twice gives the same document apart from ``exported_at``;
- signed notes and addenda carry a *portable seal*: the hash the app signs
  (``notes._signed_fields`` through ``content_hash``) with database ids replaced by the
  author's username, so the seal can be checked in another database.

Import is all or nothing. Every problem with the document is collected, with the JSON
path where it was found (``$.sessions[3].session_date``), and reported together as one
``ValidationError`` before anything is written. The file must first match the schema;
the record's own rules (NHS number, dates, staff and services known here, cross
references, text limits, seals) are checked once it does. Rows are then written with
their final values, because history tables and signed notes cannot be updated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, TypeVar, cast

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaError
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinic_app.config import resources_dir
from clinic_app.errors import AccessDenied, Problem, ValidationError
from clinic_app.models import (
    Base,
    Client,
    ClientAssignment,
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
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    ConsentToShare,
    DisclosureKind,
    Engagement,
    Gateway,
    InterventionKind,
    MeasureMode,
    Modality,
    Phase,
    PlanStatus,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    Role,
    ServiceKind,
    ShareDecisionKind,
    ThirdPartyRelation,
    Typology,
    Urgency,
)
from clinic_app.services import audit
from clinic_app.services.clients import (
    ClientDetails,
    ClientSummary,
    check_details,
    summary_of,
)
from clinic_app.services.common import (
    StaffRef,
    content_hash,
    get_or_raise,
    require_clinical_access,
)
from clinic_app.services.measures import MEASURE_ID
from clinic_app.services.notes import _signed_fields
from clinic_app.services.referrals import TRANSITIONS
from clinic_app.services.validation import date_problem, normalise_nhs_number, text_problem

FORMAT: Final = "clinic-app/client-record"
FORMAT_VERSION: Final = 1
SCHEMA_FILENAME: Final = "client-record.schema.json"

# Patterns the schema uses, so a mismatch can be explained in words (kept equal to the
# schema's by a test).
DATE_PATTERN: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIMESTAMP_PATTERN: Final = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    "(\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
SHA256_PATTERN: Final = "^[0-9a-f]{64}$"

JUDGEMENT_LEVELS: Final = ("low", "moderate", "high", "not rated")

# Text limits, as the services that write each field apply them.
_NOTE_SECTION_LIMIT: Final = 100_000
_PLAN_TEXT_LIMIT: Final = 50_000
_NOTE_SECTIONS: Final = (
    ("risk_checkin", "The risk check-in"),
    ("agenda", "The agenda and plan goal"),
    ("intervention_content", "The intervention content"),
    ("homework", "The homework"),
    ("risk_rerating", "The risk re-rating"),
    ("actions", "The actions"),
    ("partner_update", "The partner update"),
)

M = TypeVar("M", bound=Base)


# -- the schema ------------------------------------------------------------------------------


def schema_path() -> Path:
    """Where the bundled JSON Schema of the format lives."""
    return resources_dir() / "schemas" / SCHEMA_FILENAME


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The JSON Schema of the client record format (read once)."""
    with schema_path().open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema())


# -- small conversions -----------------------------------------------------------------------


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else _ts(value)


def _day(value: date) -> str:
    return value.isoformat()


def _day_or_none(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_ts(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:  # the schema's pattern requires an offset; be safe anyway
        raise ValueError("no offset")
    return value.astimezone(UTC)


def _parse_ts_or_none(text: str | None) -> datetime | None:
    return None if text is None else _parse_ts(text)


def _parse_day(text: str) -> date:
    return date.fromisoformat(text)


def _parse_day_or_none(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _path(base: str, *parts: str | int) -> str:
    out = base
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


# -- export ------------------------------------------------------------------------------------


def _portable_note_seal(note: SessionNote, author: str) -> str:
    """The note's signed fields hashed with database ids replaced by portable values.

    The client is left out (``client_id`` is null) so that a case reference can be
    changed on import; the author is named by username.
    """
    fields = _signed_fields(note)
    fields["client_id"] = None
    fields["author_id"] = author
    return content_hash(fields)


def _addendum_seal(note_seal: str | None, reason: str, text: str, author: object) -> str:
    # The same fields notes.add_addendum hashes; ``author`` is the id in the database and
    # the username in a file.
    return content_hash({"note": note_seal, "reason": reason, "text": text, "author": author})


def _ordered(
    session: Session, model: type[M], where: ColumnElement[bool], *order: InstrumentedAttribute[Any]
) -> list[M]:
    return list(session.scalars(select(model).where(where).order_by(*order)))


def export_client(session: Session, by: StaffRef, client_id: int) -> dict[str, Any]:
    """The whole record of one client as a JSON-ready dict in the documented format.

    Only a clinical user with access to the client may export. Autosaved editor drafts,
    emergency access grants and the audit trail are not part of the record. The export
    is audited (ids only). A signed note whose content no longer matches its signature
    is not exported: the record may have been altered and must be looked into first.
    """
    require_clinical_access(session, by, client_id)
    client = get_or_raise(session, Client, client_id, "client")
    usernames: dict[int, str] = dict(
        session.execute(select(StaffUser.id, StaffUser.username)).tuples().all()
    )

    def who(staff_id: int) -> str:
        return usernames[staff_id]

    def who_or_none(staff_id: int | None) -> str | None:
        return None if staff_id is None else usernames[staff_id]

    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _ts(datetime.now(UTC)),
        "client": {
            "local_ref": client.local_ref,
            "given_name": client.given_name,
            "family_name": client.family_name,
            "date_of_birth": _day(client.date_of_birth),
            "nhs_number": client.nhs_number,
            "police_ref": client.police_ref,
            "address": client.address,
            "site": client.site,
            "referral_source": client.referral_source,
            "referral_date": _day(client.referral_date),
            "status": client.status.value,
            "consent_to_share": client.consent_to_share.value,
            "sharing_notes": client.sharing_notes,
            "is_demo": client.is_demo,
            "created_at": _ts(client.created_at),
            "closed_at": _ts_or_none(client.closed_at),
        },
    }
    document["assignments"] = [
        {
            "staff": who(a.staff_id),
            "is_lead": a.is_lead,
            "assigned_at": _ts(a.assigned_at),
            "ended_at": _ts_or_none(a.ended_at),
        }
        for a in _ordered(
            session,
            ClientAssignment,
            ClientAssignment.client_id == client_id,
            ClientAssignment.assigned_at,
            ClientAssignment.id,
        )
    ]
    document["typology_assessments"] = [
        {
            "typology": t.typology.value,
            "rationale": t.rationale,
            "assessed_on": _day(t.assessed_on),
            "assessed_by": who(t.assessed_by),
            "recorded_at": _ts(t.recorded_at),
        }
        for t in _ordered(
            session,
            TypologyAssessment,
            TypologyAssessment.client_id == client_id,
            TypologyAssessment.assessed_on,
            TypologyAssessment.id,
        )
    ]
    document["risk_assessments"] = [
        {
            "tool": r.tool.value,
            "tool_name": r.tool_name,
            "tool_version": r.tool_version,
            "assessor": who(r.assessor_id),
            "assessed_on": _day(r.assessed_on),
            "judgements": dict(sorted(r.judgements.items())),
            "rationale": r.rationale,
            "shareable_summary": r.shareable_summary,
            "recorded_at": _ts(r.recorded_at),
        }
        for r in _ordered(
            session,
            RiskAssessment,
            RiskAssessment.client_id == client_id,
            RiskAssessment.assessed_on,
            RiskAssessment.id,
        )
    ]
    document["third_parties"] = [
        {
            "label": p.label,
            "relation": p.relation.value,
            "name": p.name,
            "details": p.details,
            "recorded_at": _ts(p.recorded_at),
        }
        for p in _ordered(
            session,
            ThirdParty,
            ThirdParty.client_id == client_id,
            ThirdParty.recorded_at,
            ThirdParty.id,
        )
    ]
    document["plans"] = [
        _export_plan(session, plan, who)
        for plan in _ordered(
            session,
            InterventionPlan,
            InterventionPlan.client_id == client_id,
            InterventionPlan.created_at,
            InterventionPlan.id,
        )
    ]

    notes = _ordered(
        session,
        SessionNote,
        SessionNote.client_id == client_id,
        SessionNote.session_date,
        SessionNote.id,
    )
    note_index = {n.id: i for i, n in enumerate(notes)}
    addenda: dict[int, list[NoteAddendum]] = {}
    if notes:
        for addendum in session.scalars(
            select(NoteAddendum)
            .where(NoteAddendum.note_id.in_(note_index))
            .order_by(NoteAddendum.signed_at, NoteAddendum.id)
        ):
            addenda.setdefault(addendum.note_id, []).append(addendum)
    altered: list[Problem] = []
    sessions_out = []
    for i, note in enumerate(notes):
        out, problems = _export_note(note, addenda.get(note.id, []), who, who_or_none, i)
        sessions_out.append(out)
        altered.extend(problems)
    if altered:
        raise ValidationError(altered)
    document["sessions"] = sessions_out

    events = _ordered(
        session,
        RiskEvent,
        RiskEvent.client_id == client_id,
        RiskEvent.occurred_on,
        RiskEvent.id,
    )
    event_index = {e.id: i for i, e in enumerate(events)}
    decisions: dict[int, list[RiskShareDecision]] = {}
    if events:
        for decision in session.scalars(
            select(RiskShareDecision)
            .where(RiskShareDecision.risk_event_id.in_(event_index))
            .order_by(RiskShareDecision.decided_at, RiskShareDecision.id)
        ):
            decisions.setdefault(decision.risk_event_id, []).append(decision)
    document["risk_events"] = [
        {
            "session_index": None if e.session_note_id is None else note_index[e.session_note_id],
            "kind": e.kind.value,
            "urgency": e.urgency.value,
            "occurred_on": _day(e.occurred_on),
            "detail": e.detail,
            "shareable_statement": e.shareable_statement,
            "recorded_by": who(e.recorded_by),
            "recorded_at": _ts(e.recorded_at),
            "share_decisions": [
                {
                    "decision": d.decision.value,
                    "reason": d.reason,
                    "gateway": None if d.gateway is None else d.gateway.value,
                    "shared_with": d.shared_with,
                    "decided_by": who(d.decided_by),
                    "decided_at": _ts(d.decided_at),
                }
                for d in decisions.get(e.id, [])
            ],
        }
        for e in events
    ]

    referrals = _ordered(
        session,
        Referral,
        Referral.client_id == client_id,
        Referral.created_on,
        Referral.id,
    )
    referral_index = {r.id: i for i, r in enumerate(referrals)}
    services = {s.id: s for s in session.scalars(select(SpecialistService))}
    history: dict[int, list[ReferralStatusChange]] = {}
    if referrals:
        for change in session.scalars(
            select(ReferralStatusChange)
            .where(ReferralStatusChange.referral_id.in_(referral_index))
            .order_by(ReferralStatusChange.recorded_at, ReferralStatusChange.id)
        ):
            history.setdefault(change.referral_id, []).append(change)
    document["referrals"] = [
        {
            "service": {
                "name": services[r.service_id].name,
                "kind": services[r.service_id].kind.value,
            },
            "reason": r.reason,
            "clinical_detail": r.clinical_detail,
            "urgency": r.urgency.value,
            "status": r.status.value,
            "created_on": _day(r.created_on),
            "sent_on": _day_or_none(r.sent_on),
            "fact_shareable": r.fact_shareable,
            "share_gateway": None if r.share_gateway is None else r.share_gateway.value,
            "created_by": who(r.created_by),
            "status_history": [
                {
                    "from_status": None if c.from_status is None else c.from_status.value,
                    "to_status": c.to_status.value,
                    "changed_on": _day(c.changed_on),
                    "note": c.note,
                    "changed_by": who(c.changed_by),
                    "recorded_at": _ts(c.recorded_at),
                }
                for c in history.get(r.id, [])
            ],
        }
        for r in referrals
    ]

    administrations = _ordered(
        session,
        MeasureAdministration,
        MeasureAdministration.client_id == client_id,
        MeasureAdministration.administered_on,
        MeasureAdministration.id,
    )
    responses: dict[int, list[MeasureResponse]] = {}
    if administrations:
        for response in session.scalars(
            select(MeasureResponse)
            .where(MeasureResponse.administration_id.in_([a.id for a in administrations]))
            .order_by(MeasureResponse.item, MeasureResponse.id)
        ):
            responses.setdefault(response.administration_id, []).append(response)
    document["measure_administrations"] = [
        {
            "measure_id": a.measure_id,
            "measure_version": a.measure_version,
            "administered_on": _day(a.administered_on),
            "mode": a.mode.value,
            "session_index": None if a.session_note_id is None else note_index[a.session_note_id],
            "entered_by": who(a.entered_by),
            "recorded_at": _ts(a.recorded_at),
            "responses": [{"item": x.item, "value": x.value} for x in responses.get(a.id, [])],
        }
        for a in administrations
    ]
    document["measure_schedules"] = [
        {
            "measure_id": s.measure_id,
            "every_n_sessions": s.every_n_sessions,
            "at_plan_review": s.at_plan_review,
            "active": s.active,
        }
        for s in _ordered(
            session, MeasureSchedule, MeasureSchedule.client_id == client_id, MeasureSchedule.id
        )
    ]
    document["disclosures"] = [
        {
            "document_id": d.document_id,
            "risk_event_index": None if d.risk_event_id is None else event_index[d.risk_event_id],
            "referral_index": None if d.referral_id is None else referral_index[d.referral_id],
            "kind": d.kind.value,
            "audience": d.audience,
            "recipient_agency": d.recipient_agency,
            "recipient_person": d.recipient_person,
            "purpose": d.purpose,
            "gateway": None if d.gateway is None else d.gateway.value,
            "decided_by": who(d.decided_by),
            "client_informed": d.client_informed,
            "client_not_informed_reason": d.client_not_informed_reason,
            "period_from": _day_or_none(d.period_from),
            "period_to": _day_or_none(d.period_to),
            "document_sha256": d.document_sha256,
            "payload": None if d.payload is None else json.loads(json.dumps(d.payload)),
            "recorded_at": _ts(d.recorded_at),
        }
        for d in _ordered(
            session,
            Disclosure,
            Disclosure.client_id == client_id,
            Disclosure.recorded_at,
            Disclosure.id,
        )
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


def _export_plan(
    session: Session, plan: InterventionPlan, who: Callable[[int], str]
) -> dict[str, Any]:
    progress = _ordered(
        session,
        GoalProgress,
        GoalProgress.plan_id == plan.id,
        GoalProgress.rated_on,
        GoalProgress.id,
    )
    reviews = _ordered(
        session, PlanReview, PlanReview.plan_id == plan.id, PlanReview.due_on, PlanReview.id
    )
    return {
        "created_at": _ts(plan.created_at),
        "created_by": who(plan.created_by),
        "revisions": [
            {
                "number": r.number,
                "status": r.status.value,
                "phase": r.phase.value,
                "formulation": r.formulation,
                "planned_sessions": r.planned_sessions,
                "planned_weeks": r.planned_weeks,
                "next_review_on": _day_or_none(r.next_review_on),
                "change_note": r.change_note,
                "saved_at": _ts(r.saved_at),
                "saved_by": who(r.saved_by),
                "goals": [
                    {
                        "goal_key": g.goal_key,
                        "private_detail": g.private_detail,
                        "partner_wording": g.partner_wording,
                        "involves_victim": g.involves_victim,
                        "victim_review_note": g.victim_review_note,
                    }
                    for g in r.goals
                ],
                "interventions": [
                    {"kind": i.kind.value, "detail": i.detail} for i in r.interventions
                ],
            }
            for r in plan.revisions
        ],
        "goal_progress": [
            {
                "goal_key": p.goal_key,
                "rated_on": _day(p.rated_on),
                "rating": p.rating,
                "comment": p.comment,
                "rated_by": who(p.rated_by),
                "recorded_at": _ts(p.recorded_at),
            }
            for p in progress
        ],
        "reviews": [
            {
                "due_on": _day(v.due_on),
                "held_on": _day_or_none(v.held_on),
                "outcome": v.outcome,
                "reviewed_by": None if v.reviewed_by is None else who(v.reviewed_by),
            }
            for v in reviews
        ],
    }


_ALTERED = (
    "This signed note no longer matches its signature, so the record may have been "
    "altered. It has not been exported; ask an administrator to look into it."
)


def _export_note(
    note: SessionNote,
    addenda: list[NoteAddendum],
    who: Callable[[int], str],
    who_or_none: Callable[[int | None], str | None],
    index: int,
) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    where = _path("$", "sessions", index)
    author = who(note.author_id)
    seal: str | None = None
    if note.signed_at is not None:
        if note.content_sha256 != content_hash(_signed_fields(note)):
            problems.append(Problem(where, _ALTERED))
        seal = _portable_note_seal(note, author)
    addenda_out = []
    for j, a in enumerate(addenda):
        if a.content_sha256 != _addendum_seal(note.content_sha256, a.reason, a.text, a.author_id):
            problems.append(
                Problem(
                    _path(where, "addenda", j),
                    "This addendum no longer matches its signature, so the record may have "
                    "been altered. It has not been exported; ask an administrator to look "
                    "into it.",
                )
            )
        addenda_out.append(
            {
                "reason": a.reason,
                "text": a.text,
                "author": who(a.author_id),
                "signed_at": _ts(a.signed_at),
                "content_sha256": _addendum_seal(seal, a.reason, a.text, who(a.author_id)),
            }
        )
    out: dict[str, Any] = {
        "author": author,
        "session_date": _day(note.session_date),
        "duration_minutes": note.duration_minutes,
        "modality": note.modality.value,
        "attendance": note.attendance.value,
        "engagement": note.engagement.value,
        "plan_goal_key": note.plan_goal_key,
        **{name: getattr(note, name) for name, _ in _NOTE_SECTIONS},
        "created_at": _ts(note.created_at),
        "updated_at": _ts(note.updated_at),
        "signed_at": _ts_or_none(note.signed_at),
        "signed_by": who_or_none(note.signed_by),
        "content_sha256": seal,
        "entered_in_error_at": _ts_or_none(note.entered_in_error_at),
        "entered_in_error_by": who_or_none(note.entered_in_error_by),
        "entered_in_error_reason": note.entered_in_error_reason,
        "addenda": addenda_out,
    }
    return out, problems


# -- schema problems in plain English ---------------------------------------------------------


_TYPE_WORDS: Final = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a group of named fields",
    "null": "null",
}

_PATTERN_WORDS: Final = {
    DATE_PATTERN: "should be a date written YYYY-MM-DD, for example 2024-05-01.",
    TIMESTAMP_PATTERN: (
        "should be a date and time with seconds and a UTC offset, for example "
        "2024-05-01T14:30:00+00:00."
    ),
    SHA256_PATTERN: "should be a SHA-256 hash: 64 characters 0-9 and a-f.",
}


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a group of named fields"
    return "a value that is not JSON"


def _show(value: object) -> str:
    text = (
        json.dumps(value, ensure_ascii=False)
        if _kind_of(value) != "a value that is not JSON"
        else "?"
    )
    return text if len(text) <= 40 else text[:37] + "..."


def _schema_problems(error: SchemaError) -> list[Problem]:
    """One jsonschema error as plain-English problems, each at its JSON path."""
    where = _path("$", *error.absolute_path)
    keyword = error.validator
    expected: Any = error.validator_value
    value = error.instance
    if keyword == "required" and isinstance(value, dict):
        return [
            Problem(
                _path(where, name),
                "This field is missing. Every field of the format must be present "
                "(null or empty text where there is no value).",
            )
            for name in expected
            if name not in value
        ]
    if keyword == "additionalProperties" and isinstance(value, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return [
            Problem(_path(where, name), "This field is not part of the format; check its spelling.")
            for name in value
            if name not in known
        ]
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
        if where == "$":
            return [Problem(where, "A client record file holds one JSON object; this is not one.")]
        return [Problem(where, f"This should be {wanted}, not {_kind_of(value)}.")]
    if keyword == "enum":
        choices = ", ".join("null" if c is None else str(c) for c in expected)
        return [Problem(where, f"{_show(value)} is not allowed here. Use one of: {choices}.")]
    if keyword == "const":
        return [Problem(where, f"This should be {_show(expected)}, not {_show(value)}.")]
    if keyword == "pattern":
        return [
            Problem(
                where,
                f"{_show(value)} {_PATTERN_WORDS.get(expected, 'is not in the expected form.')}",
            )
        ]
    if keyword == "minimum":
        return [Problem(where, f"This should be at least {expected}; it is {_show(value)}.")]
    if keyword == "maximum":
        return [Problem(where, f"This should be at most {expected}; it is {_show(value)}.")]
    if keyword == "minItems":
        return [
            Problem(
                where, f"This list needs at least {expected} entr{'y' if expected == 1 else 'ies'}."
            )
        ]
    if keyword == "minProperties":
        return [
            Problem(where, f"This needs at least {expected} entr{'y' if expected == 1 else 'ies'}.")
        ]
    if keyword == "minLength":
        return [Problem(where, "This cannot be empty.")]
    if keyword == "maxLength":
        return [Problem(where, f"This is too long (at most {expected} characters).")]
    return [Problem(where, f"This does not fit the format: {error.message}")]


def _path_key(error: SchemaError) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def check_schema(document: object) -> list[Problem]:
    """Every way the document fails to match the format's JSON Schema, in plain English."""
    if isinstance(document, dict):
        if document.get("format") != FORMAT:
            return [
                Problem(
                    "$.format",
                    "This file is not a clinic-app client record (its 'format' should be "
                    f"'{FORMAT}').",
                )
            ]
        version = document.get("format_version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            return [
                Problem(
                    "$.format_version",
                    f"This file is in version {_show(version)} of the client record format; "
                    f"this version of clinic-app reads version {FORMAT_VERSION}.",
                )
            ]
    problems: list[Problem] = []
    for error in sorted(_validator().iter_errors(document), key=_path_key):
        problems.extend(_schema_problems(error))
    return problems


# -- the record's own rules ---------------------------------------------------------------------


class _Checks:
    """Collects the problems of a schema-valid document against the record's rules."""

    def __init__(self, session: Session, doc: dict[str, Any], today: date) -> None:
        self.session = session
        self.doc = doc
        self.today = today
        self.problems: list[Problem] = []
        self.staff: dict[str, tuple[int, Role]] = {
            name: (ident, role)
            for ident, name, role in session.execute(
                select(StaffUser.id, StaffUser.username, StaffUser.role)
            ).tuples()
        }
        self.services: dict[str, tuple[int, ServiceKind]] = {
            name: (ident, kind)
            for ident, name, kind in session.execute(
                select(SpecialistService.id, SpecialistService.name, SpecialistService.kind)
            ).tuples()
        }

    # helpers

    def add(self, where: str, message: str | None) -> None:
        if message is not None:
            self.problems.append(Problem(where, message))

    def text(
        self,
        where: str,
        value: str,
        *,
        label: str,
        max_length: int,
        required: bool = False,
    ) -> None:
        self.add(where, text_problem(value, label=label, required=required, max_length=max_length))

    def who(self, where: str, username: str | None) -> None:
        if username is not None and username not in self.staff:
            self.add(where, f"There is no account named '{username}' on this database.")

    def day(
        self,
        where: str,
        value: str | None,
        *,
        label: str,
        not_future: bool = True,
        parse_only: bool = False,
    ) -> date | None:
        if value is None:
            return None
        try:
            parsed = _parse_day(value)
        except ValueError:
            self.add(where, f"{label} is not a real date.")
            return None
        if not parse_only:
            self.add(
                where, date_problem(parsed, label=label, today=self.today, not_future=not_future)
            )
        return parsed

    def moment(self, where: str, value: str | None, *, label: str) -> datetime | None:
        if value is None:
            return None
        try:
            return _parse_ts(value)
        except ValueError:
            self.add(where, f"{label} is not a real date and time.")
            return None

    def index(self, where: str, value: int | None, array: str, what: str) -> None:
        if value is None:
            return
        size = len(self.doc[array])
        if value >= size:
            self.add(
                where,
                f"This refers to {what} {value} (counting from 0), but the record has "
                f"{'no' if size == 0 else 'only ' + str(size)} {array.replace('_', ' ')}.",
            )

    # sections

    def run(self) -> list[Problem]:
        self.client()
        self.assignments()
        for i, item in enumerate(self.doc["typology_assessments"]):
            self.typology(_path("$", "typology_assessments", i), item)
        for i, item in enumerate(self.doc["risk_assessments"]):
            self.risk_assessment(_path("$", "risk_assessments", i), item)
        self.third_parties()
        goal_keys: set[str] = set()
        for i, item in enumerate(self.doc["plans"]):
            goal_keys |= self.plan(_path("$", "plans", i), item)
        for i, item in enumerate(self.doc["sessions"]):
            self.note(_path("$", "sessions", i), item, goal_keys)
        for i, item in enumerate(self.doc["risk_events"]):
            self.risk_event(_path("$", "risk_events", i), item)
        for i, item in enumerate(self.doc["referrals"]):
            self.referral(_path("$", "referrals", i), item)
        for i, item in enumerate(self.doc["measure_administrations"]):
            self.administration(_path("$", "measure_administrations", i), item)
        for i, item in enumerate(self.doc["measure_schedules"]):
            where = _path("$", "measure_schedules", i)
            if not MEASURE_ID.match(item["measure_id"]):
                self.add(_path(where, "measure_id"), "That is not a valid measure identifier.")
        self.disclosures()
        return self.problems

    def client(self) -> None:
        c = self.doc["client"]
        where = "$.client"
        # check_details judges these dates; here they need only be real dates.
        born = self.day(
            _path(where, "date_of_birth"),
            c["date_of_birth"],
            label="The date of birth",
            parse_only=True,
        )
        referred = self.day(
            _path(where, "referral_date"),
            c["referral_date"],
            label="The referral date",
            parse_only=True,
        )
        self.moment(_path(where, "created_at"), c["created_at"], label="The creation time")
        self.moment(_path(where, "closed_at"), c["closed_at"], label="The closing time")
        if born is None or referred is None:
            return  # check_details needs real dates; the problem is already reported
        for problem in check_details(self.session, _details(c), today=self.today):
            self.add(_path(where, problem.where), problem.message)

    def assignments(self) -> None:
        current: set[str] = set()
        for i, a in enumerate(self.doc["assignments"]):
            where = _path("$", "assignments", i)
            self.who(_path(where, "staff"), a["staff"])
            start = self.moment(_path(where, "assigned_at"), a["assigned_at"], label="The start")
            end = self.moment(_path(where, "ended_at"), a["ended_at"], label="The end")
            if start is not None and end is not None and end < start:
                self.add(_path(where, "ended_at"), "An assignment cannot end before it began.")
            if a["ended_at"] is None:
                if a["staff"] in current:
                    self.add(_path(where, "staff"), "This person is assigned twice.")
                current.add(a["staff"])
                known = self.staff.get(a["staff"])
                if known is not None and not known[1].is_clinical:
                    self.add(
                        _path(where, "staff"),
                        f"'{a['staff']}' is an administrator's account here; clients can only "
                        "be assigned to clinical staff.",
                    )

    def typology(self, where: str, t: dict[str, Any]) -> None:
        self.text(
            _path(where, "rationale"),
            t["rationale"],
            label="The rationale",
            max_length=20_000,
            required=t["typology"] != Typology.NOT_YET_DETERMINED.value,
        )
        self.day(_path(where, "assessed_on"), t["assessed_on"], label="The date")
        self.who(_path(where, "assessed_by"), t["assessed_by"])
        self.moment(_path(where, "recorded_at"), t["recorded_at"], label="The time recorded")

    def risk_assessment(self, where: str, r: dict[str, Any]) -> None:
        self.text(
            _path(where, "tool_name"),
            r["tool_name"],
            label="The tool name",
            max_length=120,
            required=r["tool"] == RiskTool.OTHER.value,
        )
        self.text(
            _path(where, "tool_version"),
            r["tool_version"],
            label="The tool version",
            max_length=40,
            required=True,
        )
        self.who(_path(where, "assessor"), r["assessor"])
        self.day(_path(where, "assessed_on"), r["assessed_on"], label="The assessment date")
        for domain in r["judgements"]:
            self.text(
                _path(where, "judgements", domain),
                domain,
                label="A judgement's name",
                max_length=120,
                required=True,
            )
        self.text(
            _path(where, "rationale"),
            r["rationale"],
            label="The rationale",
            max_length=20_000,
            required=True,
        )
        self.text(
            _path(where, "shareable_summary"),
            r["shareable_summary"],
            label="The shareable summary",
            max_length=5000,
        )
        self.moment(_path(where, "recorded_at"), r["recorded_at"], label="The time recorded")

    def third_parties(self) -> None:
        labels: set[str] = set()
        for i, p in enumerate(self.doc["third_parties"]):
            where = _path("$", "third_parties", i)
            self.text(
                _path(where, "label"), p["label"], label="The label", max_length=40, required=True
            )
            if p["label"] in labels:
                self.add(_path(where, "label"), f"The label '{p['label']}' is used twice.")
            labels.add(p["label"])
            self.text(
                _path(where, "name"), p["name"], label="The name", max_length=200, required=True
            )
            self.text(_path(where, "details"), p["details"], label="The details", max_length=20_000)
            self.moment(_path(where, "recorded_at"), p["recorded_at"], label="The time recorded")

    def plan(self, where: str, plan: dict[str, Any]) -> set[str]:
        self.moment(_path(where, "created_at"), plan["created_at"], label="The creation time")
        self.who(_path(where, "created_by"), plan["created_by"])
        keys: set[str] = set()
        numbers: set[int] = set()
        for i, r in enumerate(plan["revisions"]):
            at = _path(where, "revisions", i)
            if r["number"] in numbers:
                self.add(_path(at, "number"), f"Revision {r['number']} appears twice.")
            numbers.add(r["number"])
            self.text(
                _path(at, "formulation"),
                r["formulation"],
                label="The formulation",
                max_length=_PLAN_TEXT_LIMIT,
            )
            self.text(
                _path(at, "change_note"),
                r["change_note"],
                label="The note of what changed",
                max_length=5000,
            )
            self.day(
                _path(at, "next_review_on"),
                r["next_review_on"],
                label="The review date",
                not_future=False,
            )
            self.moment(_path(at, "saved_at"), r["saved_at"], label="The time saved")
            self.who(_path(at, "saved_by"), r["saved_by"])
            if r["status"] == PlanStatus.ACTIVE.value and not r["goals"]:
                self.add(_path(at, "goals"), "An active plan needs at least one goal.")
            in_revision: set[str] = set()
            for j, g in enumerate(r["goals"]):
                gat = _path(at, "goals", j)
                if g["goal_key"] in in_revision:
                    self.add(
                        _path(gat, "goal_key"), "The same goal appears twice in this revision."
                    )
                in_revision.add(g["goal_key"])
                self.text(
                    _path(gat, "private_detail"),
                    g["private_detail"],
                    label="The goal's detail",
                    max_length=_PLAN_TEXT_LIMIT,
                    required=True,
                )
                self.text(
                    _path(gat, "partner_wording"),
                    g["partner_wording"],
                    label="The goal's partner wording",
                    max_length=5000,
                    required=True,
                )
                self.text(
                    _path(gat, "victim_review_note"),
                    g["victim_review_note"],
                    label="The goal's review note",
                    max_length=_PLAN_TEXT_LIMIT,
                )
            keys |= in_revision
            for j, item in enumerate(r["interventions"]):
                self.text(
                    _path(at, "interventions", j, "detail"),
                    item["detail"],
                    label="The intervention detail",
                    max_length=_PLAN_TEXT_LIMIT,
                )
        for i, p in enumerate(plan["goal_progress"]):
            at = _path(where, "goal_progress", i)
            if p["goal_key"] not in keys:
                self.add(_path(at, "goal_key"), "This goal is not part of this plan.")
            self.day(_path(at, "rated_on"), p["rated_on"], label="The rating date")
            self.text(
                _path(at, "comment"), p["comment"], label="The comment", max_length=_PLAN_TEXT_LIMIT
            )
            self.who(_path(at, "rated_by"), p["rated_by"])
            self.moment(_path(at, "recorded_at"), p["recorded_at"], label="The time recorded")
        for i, v in enumerate(plan["reviews"]):
            at = _path(where, "reviews", i)
            self.day(_path(at, "due_on"), v["due_on"], label="The due date", not_future=False)
            self.day(_path(at, "held_on"), v["held_on"], label="The review date")
            self.text(
                _path(at, "outcome"), v["outcome"], label="The outcome", max_length=_PLAN_TEXT_LIMIT
            )
            self.who(_path(at, "reviewed_by"), v["reviewed_by"])
        return keys

    def note(self, where: str, n: dict[str, Any], goal_keys: set[str]) -> None:
        self.who(_path(where, "author"), n["author"])
        self.day(_path(where, "session_date"), n["session_date"], label="The session date")
        if (
            n["attendance"] in (Attendance.ATTENDED.value, Attendance.LATE.value)
            and not (n["duration_minutes"])
        ):
            self.add(
                _path(where, "duration_minutes"),
                "Give the length of a session the client attended.",
            )
        if n["plan_goal_key"] is not None and n["plan_goal_key"] not in goal_keys:
            self.add(
                _path(where, "plan_goal_key"), "This goal is not part of any plan in this record."
            )
        for name, label in _NOTE_SECTIONS:
            self.text(_path(where, name), n[name], label=label, max_length=_NOTE_SECTION_LIMIT)
        self.moment(_path(where, "created_at"), n["created_at"], label="The creation time")
        self.moment(_path(where, "updated_at"), n["updated_at"], label="The time last changed")
        signed = [n["signed_at"], n["signed_by"], n["content_sha256"]]
        self.moment(_path(where, "signed_at"), n["signed_at"], label="The signing time")
        self.who(_path(where, "signed_by"), n["signed_by"])
        if n["signed_at"] is not None and n["content_sha256"] is None:
            self.add(
                _path(where, "content_sha256"),
                "A signed note must carry its content hash, so its signature can be checked.",
            )
        elif any(v is None for v in signed) and any(v is not None for v in signed):
            self.add(
                _path(where, "signed_at"),
                "signed_at, signed_by and content_sha256 go together: give all three for a "
                "signed note, or none for a draft.",
            )
        elif n["content_sha256"] is not None and not self._seal_matches(n):
            self.add(
                _path(where, "content_sha256"),
                "The note's content does not match its signature: it was changed after "
                "signing. Import the record as it was exported.",
            )
        marked = [n["entered_in_error_at"], n["entered_in_error_by"]]
        self.moment(
            _path(where, "entered_in_error_at"), n["entered_in_error_at"], label="The time marked"
        )
        self.who(_path(where, "entered_in_error_by"), n["entered_in_error_by"])
        if any(v is None for v in marked) and any(v is not None for v in marked):
            self.add(
                _path(where, "entered_in_error_at"),
                "entered_in_error_at and entered_in_error_by go together: give both for a note "
                "marked as entered in error, or neither.",
            )
        self.text(
            _path(where, "entered_in_error_reason"),
            n["entered_in_error_reason"],
            label="The reason the note was entered in error",
            max_length=2000,
            required=n["entered_in_error_at"] is not None,
        )
        if n["signed_at"] is None and n["addenda"]:
            self.add(_path(where, "addenda"), "Only a signed note can have addenda.")
        for j, a in enumerate(n["addenda"]):
            at = _path(where, "addenda", j)
            self.text(
                _path(at, "reason"), a["reason"], label="The reason", max_length=2000, required=True
            )
            self.text(
                _path(at, "text"),
                a["text"],
                label="The addendum",
                max_length=_NOTE_SECTION_LIMIT,
                required=True,
            )
            self.who(_path(at, "author"), a["author"])
            self.moment(_path(at, "signed_at"), a["signed_at"], label="The signing time")
            expected = _addendum_seal(n["content_sha256"], a["reason"], a["text"], a["author"])
            if n["content_sha256"] is not None and a["content_sha256"] != expected:
                self.add(
                    _path(at, "content_sha256"),
                    "The addendum does not match its signature: it was changed after signing. "
                    "Import the record as it was exported.",
                )

    def _seal_matches(self, n: dict[str, Any]) -> bool:
        try:
            note = _note_row(n)
        except ValueError:
            return True  # the bad date is reported where it is
        return bool(n["content_sha256"] == _portable_note_seal(note, n["author"]))

    def risk_event(self, where: str, e: dict[str, Any]) -> None:
        self.index(_path(where, "session_index"), e["session_index"], "sessions", "session")
        self.day(_path(where, "occurred_on"), e["occurred_on"], label="The date of the event")
        self.text(
            _path(where, "detail"),
            e["detail"],
            label="The description",
            max_length=50_000,
            required=True,
        )
        self.text(
            _path(where, "shareable_statement"),
            e["shareable_statement"],
            label="The shareable statement",
            max_length=5000,
            required=e["urgency"] == Urgency.URGENT.value,
        )
        self.who(_path(where, "recorded_by"), e["recorded_by"])
        self.moment(_path(where, "recorded_at"), e["recorded_at"], label="The time recorded")
        for j, d in enumerate(e["share_decisions"]):
            at = _path(where, "share_decisions", j)
            shared = d["decision"] == ShareDecisionKind.SHARED.value
            self.text(
                _path(at, "reason"), d["reason"], label="The reason", max_length=5000, required=True
            )
            self.text(
                _path(at, "shared_with"),
                d["shared_with"],
                label="Who it was shared with",
                max_length=300,
                required=shared,
            )
            if shared and d["gateway"] is None:
                self.add(_path(at, "gateway"), "A decision to share needs the legal gateway.")
            if shared and not e["shareable_statement"].strip():
                self.add(
                    _path(where, "shareable_statement"),
                    "An event that was shared needs its shareable statement.",
                )
            self.who(_path(at, "decided_by"), d["decided_by"])
            self.moment(_path(at, "decided_at"), d["decided_at"], label="The time decided")

    def referral(self, where: str, r: dict[str, Any]) -> None:
        name, kind = r["service"]["name"], r["service"]["kind"]
        found = self.services.get(name)
        if found is None:
            self.add(
                _path(where, "service", "name"),
                f"There is no specialist service named '{name}' in this database's directory. "
                "Ask an administrator or psychologist to add it, then import again.",
            )
        elif found[1].value != kind:
            self.add(
                _path(where, "service", "kind"),
                f"The service '{name}' is listed here as {found[1].value.replace('_', ' ')}, "
                f"not {kind.replace('_', ' ')}.",
            )
        self.text(
            _path(where, "reason"),
            r["reason"],
            label="The reason for referral",
            max_length=20_000,
            required=True,
        )
        self.text(
            _path(where, "clinical_detail"),
            r["clinical_detail"],
            label="The clinical detail",
            max_length=50_000,
        )
        created = self.day(_path(where, "created_on"), r["created_on"], label="The referral date")
        self.day(_path(where, "sent_on"), r["sent_on"], label="The date sent")
        if r["fact_shareable"] and r["share_gateway"] is None:
            self.add(
                _path(where, "share_gateway"),
                "Record the consent or gateway that allows the referral to be mentioned.",
            )
        self.who(_path(where, "created_by"), r["created_by"])
        previous: str | None = None
        for j, c in enumerate(r["status_history"]):
            at = _path(where, "status_history", j)
            if c["from_status"] != previous:
                self.add(
                    _path(at, "from_status"),
                    "Each step must start from the status the one before reached "
                    f"({'null, for the first step' if previous is None else previous}).",
                )
            elif (
                previous is not None
                and ReferralStatus(c["to_status"]) not in TRANSITIONS[ReferralStatus(previous)]
            ):
                self.add(
                    _path(at, "to_status"),
                    f"A referral that is {previous.replace('_', ' ')} cannot become "
                    f"{c['to_status'].replace('_', ' ')}.",
                )
            previous = c["to_status"]
            changed = self.day(_path(at, "changed_on"), c["changed_on"], label="The date")
            if created is not None and changed is not None and changed < created:
                self.add(
                    _path(at, "changed_on"), "A status cannot change before the referral was made."
                )
            self.text(
                _path(at, "note"),
                c["note"],
                label="The note",
                max_length=20_000,
                required=c["to_status"] == ReferralStatus.DECLINED.value,
            )
            self.who(_path(at, "changed_by"), c["changed_by"])
            self.moment(_path(at, "recorded_at"), c["recorded_at"], label="The time recorded")
        if previous is not None and previous != r["status"]:
            self.add(
                _path(where, "status"),
                f"The status is {r['status'].replace('_', ' ')}, but the history ends at "
                f"{previous.replace('_', ' ')}.",
            )

    def administration(self, where: str, a: dict[str, Any]) -> None:
        if not MEASURE_ID.match(a["measure_id"]):
            self.add(_path(where, "measure_id"), "That is not a valid measure identifier.")
        self.text(
            _path(where, "measure_version"),
            a["measure_version"],
            label="The measure version",
            max_length=40,
            required=True,
        )
        self.day(_path(where, "administered_on"), a["administered_on"], label="The date completed")
        self.index(_path(where, "session_index"), a["session_index"], "sessions", "session")
        self.who(_path(where, "entered_by"), a["entered_by"])
        self.moment(_path(where, "recorded_at"), a["recorded_at"], label="The time recorded")
        items: set[int] = set()
        for j, response in enumerate(a["responses"]):
            if response["item"] in items:
                self.add(
                    _path(where, "responses", j, "item"),
                    f"Item {response['item']} is answered twice.",
                )
            items.add(response["item"])

    def disclosures(self) -> None:
        ids: set[str] = set()
        for i, d in enumerate(self.doc["disclosures"]):
            where = _path("$", "disclosures", i)
            if d["document_id"] in ids:
                self.add(_path(where, "document_id"), "This document ID appears twice.")
            ids.add(d["document_id"])
            if self.session.scalar(
                select(Disclosure.id).where(Disclosure.document_id == d["document_id"])
            ):
                self.add(
                    _path(where, "document_id"),
                    "A disclosure with this document ID is already recorded in this database.",
                )
            self.index(
                _path(where, "risk_event_index"), d["risk_event_index"], "risk_events", "risk event"
            )
            self.index(_path(where, "referral_index"), d["referral_index"], "referrals", "referral")
            self.text(
                _path(where, "audience"),
                d["audience"],
                label="The audience",
                max_length=40,
                required=True,
            )
            self.text(
                _path(where, "recipient_agency"),
                d["recipient_agency"],
                label="The receiving agency",
                max_length=200,
                required=True,
            )
            self.text(
                _path(where, "recipient_person"),
                d["recipient_person"],
                label="The receiving person",
                max_length=200,
            )
            self.text(
                _path(where, "purpose"),
                d["purpose"],
                label="The purpose",
                max_length=20_000,
                required=True,
            )
            self.who(_path(where, "decided_by"), d["decided_by"])
            self.text(
                _path(where, "client_not_informed_reason"),
                d["client_not_informed_reason"],
                label="The reason the client was not told",
                max_length=20_000,
            )
            start = self.day(
                _path(where, "period_from"), d["period_from"], label="The start", not_future=False
            )
            end = self.day(
                _path(where, "period_to"), d["period_to"], label="The end", not_future=False
            )
            if start is not None and end is not None and end < start:
                self.add(_path(where, "period_to"), "The period cannot end before it starts.")
            self.moment(_path(where, "recorded_at"), d["recorded_at"], label="The time recorded")


def _details(c: dict[str, Any]) -> ClientDetails:
    return ClientDetails(
        local_ref=c["local_ref"],
        given_name=c["given_name"],
        family_name=c["family_name"],
        date_of_birth=_parse_day(c["date_of_birth"]),
        site=c["site"],
        referral_date=_parse_day(c["referral_date"]),
        nhs_number=c["nhs_number"] or "",
        police_ref=c["police_ref"],
        address=c["address"],
        referral_source=c["referral_source"],
        status=ClientStatus(c["status"]),
        consent_to_share=ConsentToShare(c["consent_to_share"]),
        sharing_notes=c["sharing_notes"],
        is_demo=c["is_demo"],
    )


def _note_row(n: dict[str, Any]) -> SessionNote:
    """A session note (not yet in any session) holding a document note's content."""
    return SessionNote(
        session_date=_parse_day(n["session_date"]),
        duration_minutes=int(n["duration_minutes"]),
        modality=Modality(n["modality"]),
        attendance=Attendance(n["attendance"]),
        engagement=Engagement(n["engagement"]),
        plan_goal_key=n["plan_goal_key"],
        **{name: n[name] for name, _ in _NOTE_SECTIONS},
    )


# -- import -----------------------------------------------------------------------------------


def check_document(
    session: Session, document: object, *, today: date | None = None
) -> list[Problem]:
    """Every problem that would stop ``document`` being imported here; empty when none."""
    problems = check_schema(document)
    if problems or not isinstance(document, dict):
        return problems
    return _Checks(session, document, today or date.today()).run()


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
    document = cast(dict[str, Any], document)  # a schema-valid document is a JSON object
    client = _Writer(session, document).write()
    if not any(
        a["staff"] == by.username and a["ended_at"] is None for a in document["assignments"]
    ):
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


class _Writer:
    """Adds a checked document's rows, each with its final values (history is never updated)."""

    def __init__(self, session: Session, doc: dict[str, Any]) -> None:
        self.session = session
        self.doc = doc
        self.staff = dict(session.execute(select(StaffUser.username, StaffUser.id)).tuples().all())
        self.services = dict(
            session.execute(select(SpecialistService.name, SpecialistService.id)).tuples().all()
        )

    def who(self, username: str) -> int:
        return self.staff[username]

    def who_or_none(self, username: str | None) -> int | None:
        return None if username is None else self.staff[username]

    def add_all(self, rows: Iterable[Base]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def write(self) -> Client:
        c = self.doc["client"]
        client = Client(
            local_ref=c["local_ref"].strip(),
            given_name=c["given_name"].strip(),
            family_name=c["family_name"].strip(),
            date_of_birth=_parse_day(c["date_of_birth"]),
            nhs_number=normalise_nhs_number(c["nhs_number"] or "") or None,
            police_ref=c["police_ref"].strip(),
            address=c["address"].strip(),
            site=c["site"].strip(),
            referral_source=c["referral_source"].strip(),
            referral_date=_parse_day(c["referral_date"]),
            status=ClientStatus(c["status"]),
            consent_to_share=ConsentToShare(c["consent_to_share"]),
            sharing_notes=c["sharing_notes"],
            is_demo=c["is_demo"],
            created_at=_parse_ts(c["created_at"]),
            closed_at=_parse_ts_or_none(c["closed_at"]),
        )
        self.add_all([client])
        cid = client.id
        self.add_all(
            ClientAssignment(
                client_id=cid,
                staff_id=self.who(a["staff"]),
                is_lead=a["is_lead"],
                assigned_at=_parse_ts(a["assigned_at"]),
                ended_at=_parse_ts_or_none(a["ended_at"]),
            )
            for a in self.doc["assignments"]
        )
        self.add_all(
            TypologyAssessment(
                client_id=cid,
                typology=Typology(t["typology"]),
                rationale=t["rationale"],
                assessed_on=_parse_day(t["assessed_on"]),
                assessed_by=self.who(t["assessed_by"]),
                recorded_at=_parse_ts(t["recorded_at"]),
            )
            for t in self.doc["typology_assessments"]
        )
        self.add_all(
            RiskAssessment(
                client_id=cid,
                tool=RiskTool(r["tool"]),
                tool_name=r["tool_name"],
                tool_version=r["tool_version"],
                assessor_id=self.who(r["assessor"]),
                assessed_on=_parse_day(r["assessed_on"]),
                judgements=dict(r["judgements"]),
                rationale=r["rationale"],
                shareable_summary=r["shareable_summary"],
                recorded_at=_parse_ts(r["recorded_at"]),
            )
            for r in self.doc["risk_assessments"]
        )
        self.add_all(
            ThirdParty(
                client_id=cid,
                label=p["label"],
                relation=ThirdPartyRelation(p["relation"]),
                name=p["name"],
                details=p["details"],
                recorded_at=_parse_ts(p["recorded_at"]),
            )
            for p in self.doc["third_parties"]
        )
        for plan in self.doc["plans"]:
            self.plan(cid, plan)
        note_ids = self.notes(cid)
        event_ids = self.risk_events(cid, note_ids)
        referral_ids = self.referrals(cid)
        self.measures(cid, note_ids)
        self.add_all(
            MeasureSchedule(
                client_id=cid,
                measure_id=s["measure_id"],
                every_n_sessions=_int_or_none(s["every_n_sessions"]),
                at_plan_review=s["at_plan_review"],
                active=s["active"],
            )
            for s in self.doc["measure_schedules"]
        )
        self.add_all(
            Disclosure(
                document_id=d["document_id"],
                client_id=cid,
                risk_event_id=_pick(event_ids, d["risk_event_index"]),
                referral_id=_pick(referral_ids, d["referral_index"]),
                kind=DisclosureKind(d["kind"]),
                audience=d["audience"],
                recipient_agency=d["recipient_agency"],
                recipient_person=d["recipient_person"],
                purpose=d["purpose"],
                gateway=_gateway(d["gateway"]),
                decided_by=self.who(d["decided_by"]),
                client_informed=d["client_informed"],
                client_not_informed_reason=d["client_not_informed_reason"],
                period_from=_parse_day_or_none(d["period_from"]),
                period_to=_parse_day_or_none(d["period_to"]),
                document_sha256=d["document_sha256"],
                payload=d["payload"],
                recorded_at=_parse_ts(d["recorded_at"]),
            )
            for d in self.doc["disclosures"]
        )
        return client

    def plan(self, client_id: int, p: dict[str, Any]) -> None:
        plan = InterventionPlan(
            client_id=client_id,
            created_at=_parse_ts(p["created_at"]),
            created_by=self.who(p["created_by"]),
        )
        self.add_all([plan])
        revisions = [
            PlanRevision(
                plan_id=plan.id,
                number=int(r["number"]),
                status=PlanStatus(r["status"]),
                phase=Phase(r["phase"]),
                formulation=r["formulation"],
                planned_sessions=_int_or_none(r["planned_sessions"]),
                planned_weeks=_int_or_none(r["planned_weeks"]),
                next_review_on=_parse_day_or_none(r["next_review_on"]),
                change_note=r["change_note"],
                saved_at=_parse_ts(r["saved_at"]),
                saved_by=self.who(r["saved_by"]),
            )
            for r in sorted(p["revisions"], key=lambda r: int(r["number"]))
        ]
        self.add_all(revisions)
        by_number = {r.number: r.id for r in revisions}
        rows: list[Base] = []
        for r in p["revisions"]:
            revision_id = by_number[int(r["number"])]
            rows.extend(
                PlanGoal(
                    revision_id=revision_id,
                    goal_key=g["goal_key"],
                    position=position,
                    private_detail=g["private_detail"],
                    partner_wording=g["partner_wording"],
                    involves_victim=g["involves_victim"],
                    victim_review_note=g["victim_review_note"],
                )
                for position, g in enumerate(r["goals"])
            )
            rows.extend(
                PlannedIntervention(
                    revision_id=revision_id,
                    position=position,
                    kind=InterventionKind(i["kind"]),
                    detail=i["detail"],
                )
                for position, i in enumerate(r["interventions"])
            )
        rows.extend(
            GoalProgress(
                plan_id=plan.id,
                goal_key=g["goal_key"],
                rated_on=_parse_day(g["rated_on"]),
                rating=int(g["rating"]),
                comment=g["comment"],
                rated_by=self.who(g["rated_by"]),
                recorded_at=_parse_ts(g["recorded_at"]),
            )
            for g in p["goal_progress"]
        )
        rows.extend(
            PlanReview(
                plan_id=plan.id,
                due_on=_parse_day(v["due_on"]),
                held_on=_parse_day_or_none(v["held_on"]),
                outcome=v["outcome"],
                reviewed_by=self.who_or_none(v["reviewed_by"]),
            )
            for v in p["reviews"]
        )
        self.add_all(rows)

    def notes(self, client_id: int) -> list[int]:
        notes: list[SessionNote] = []
        for n in self.doc["sessions"]:
            note = _note_row(n)
            note.client_id = client_id
            note.author_id = self.who(n["author"])
            note.created_at = _parse_ts(n["created_at"])
            note.updated_at = _parse_ts(n["updated_at"])
            note.entered_in_error_at = _parse_ts_or_none(n["entered_in_error_at"])
            note.entered_in_error_by = self.who_or_none(n["entered_in_error_by"])
            note.entered_in_error_reason = n["entered_in_error_reason"]
            if n["signed_at"] is not None:
                # Sealed here with this database's ids, as notes.sign_note seals it.
                note.signed_at = _parse_ts(n["signed_at"])
                note.signed_by = self.who(n["signed_by"])
                note.content_sha256 = content_hash(_signed_fields(note))
            notes.append(note)
        self.add_all(notes)
        self.add_all(
            NoteAddendum(
                note_id=note.id,
                reason=a["reason"],
                text=a["text"],
                author_id=self.who(a["author"]),
                signed_at=_parse_ts(a["signed_at"]),
                content_sha256=_addendum_seal(
                    note.content_sha256, a["reason"], a["text"], self.who(a["author"])
                ),
            )
            for note, n in zip(notes, self.doc["sessions"], strict=True)
            for a in n["addenda"]
        )
        return [n.id for n in notes]

    def risk_events(self, client_id: int, note_ids: Sequence[int]) -> list[int]:
        events = [
            RiskEvent(
                client_id=client_id,
                session_note_id=_pick(note_ids, e["session_index"]),
                kind=RiskEventKind(e["kind"]),
                urgency=Urgency(e["urgency"]),
                occurred_on=_parse_day(e["occurred_on"]),
                detail=e["detail"],
                shareable_statement=e["shareable_statement"],
                recorded_by=self.who(e["recorded_by"]),
                recorded_at=_parse_ts(e["recorded_at"]),
            )
            for e in self.doc["risk_events"]
        ]
        self.add_all(events)
        self.add_all(
            RiskShareDecision(
                risk_event_id=event.id,
                decision=ShareDecisionKind(d["decision"]),
                reason=d["reason"],
                gateway=_gateway(d["gateway"]),
                shared_with=d["shared_with"],
                decided_by=self.who(d["decided_by"]),
                decided_at=_parse_ts(d["decided_at"]),
            )
            for event, e in zip(events, self.doc["risk_events"], strict=True)
            for d in e["share_decisions"]
        )
        return [e.id for e in events]

    def referrals(self, client_id: int) -> list[int]:
        referrals = [
            Referral(
                client_id=client_id,
                service_id=self.services[r["service"]["name"]],
                reason=r["reason"],
                clinical_detail=r["clinical_detail"],
                urgency=ReferralUrgency(r["urgency"]),
                status=ReferralStatus(r["status"]),
                created_on=_parse_day(r["created_on"]),
                sent_on=_parse_day_or_none(r["sent_on"]),
                fact_shareable=r["fact_shareable"],
                share_gateway=_gateway(r["share_gateway"]),
                created_by=self.who(r["created_by"]),
            )
            for r in self.doc["referrals"]
        ]
        self.add_all(referrals)
        self.add_all(
            ReferralStatusChange(
                referral_id=referral.id,
                from_status=None if c["from_status"] is None else ReferralStatus(c["from_status"]),
                to_status=ReferralStatus(c["to_status"]),
                changed_on=_parse_day(c["changed_on"]),
                note=c["note"],
                changed_by=self.who(c["changed_by"]),
                recorded_at=_parse_ts(c["recorded_at"]),
            )
            for referral, r in zip(referrals, self.doc["referrals"], strict=True)
            for c in r["status_history"]
        )
        return [r.id for r in referrals]

    def measures(self, client_id: int, note_ids: Sequence[int]) -> None:
        administrations = [
            MeasureAdministration(
                client_id=client_id,
                measure_id=a["measure_id"],
                measure_version=a["measure_version"],
                administered_on=_parse_day(a["administered_on"]),
                mode=MeasureMode(a["mode"]),
                session_note_id=_pick(note_ids, a["session_index"]),
                entered_by=self.who(a["entered_by"]),
                recorded_at=_parse_ts(a["recorded_at"]),
            )
            for a in self.doc["measure_administrations"]
        ]
        self.add_all(administrations)
        self.add_all(
            MeasureResponse(
                administration_id=administration.id,
                item=int(x["item"]),
                value=_int_or_none(x["value"]),
            )
            for administration, a in zip(
                administrations, self.doc["measure_administrations"], strict=True
            )
            for x in sorted(a["responses"], key=lambda x: int(x["item"]))
        )


def _pick(ids: Sequence[int], index: int | None) -> int | None:
    return None if index is None else ids[int(index)]


def _int_or_none(value: int | float | None) -> int | None:
    return None if value is None else int(value)


def _gateway(value: str | None) -> Gateway | None:
    return None if value is None else Gateway(value)
