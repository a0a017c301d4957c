"""Record interchange: one client's whole record as a documented JSON file, out and back in.

The format is ``resources/schemas/client-record.schema.json`` (JSON Schema draft 2020-12),
described for people in ``docs/record-format.md``. In short:

- staff are named by username and specialist services by name and kind, never by
  database id; items inside the document refer to each other by their 0-based position
  in their array (``risk_events[i].session_index`` and so on);
- every array is in a fixed order (by date, then in the order recorded), so exporting
  an unchanged record twice gives the same document apart from ``exported_at``;
- signed notes and addenda carry their seals (``notes.note_seal`` and
  ``notes.addendum_seal``), which hold no database ids, so they are checked on import and
  stored unchanged. A seal covers the content, the author, who signed and when (older,
  version 1 seals cover the content and the author, and are accepted as such); a note is
  signed by its author.

A file is read with :func:`read_document`, which refuses anything odd before the record
is looked at: a file over ``MAX_DOCUMENT_BYTES`` (read with that bound, never whole),
nesting deeper than ``MAX_DEPTH``, a field named twice, NUL characters and lone
surrogates, numbers outside what the database holds (64-bit integers, finite numbers).
Each refusal is one line naming the place in the file; nothing is written.

Import is all or nothing. Every problem with the document is collected, with the JSON
path where it was found (``$.sessions[3].session_date``), and reported together as one
``ValidationError`` before anything is written. The file must first match the schema;
the record's own rules (NHS number, dates, staff and services known here, cross
references, text limits, seals) are checked once it does. Rows are then written with
their final values, because history tables and signed notes cannot be updated.

Each part of the record is described once, as a tuple of ``_Field``: export, the checks
and import all read the same description, so the two directions cannot drift apart.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from clinic_app import schema_words
from clinic_app.config import resources_dir
from clinic_app.errors import AccessDenied, Problem, ValidationError
from clinic_app.measures.scoring import check_answers
from clinic_app.models import (
    NOTE_SECTIONS,
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
from clinic_app.services.access import require_clinical_access
from clinic_app.services.clients import ClientDetails, ClientSummary, check_details, summary_of
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.measure_definitions import MEASURE_ID, known_definition
from clinic_app.services.measures import computed_results
from clinic_app.services.notes import addendum_seal_version, content_of, note_seal_version
from clinic_app.services.referrals import TRANSITIONS
from clinic_app.services.validation import date_problem, normalise_nhs_number, text_problem

FORMAT: Final = "clinic-app/client-record"
FORMAT_VERSION: Final = 1
SCHEMA_FILENAME: Final = "client-record.schema.json"
# The largest client record file read. A record of 500 sessions with long notes is a
# few megabytes; this leaves room for the largest real caseloads, and no more.
MAX_DOCUMENT_BYTES: Final = 200_000_000

# The patterns the schema uses, so a mismatch can be explained in words (a test keeps
# these equal to the schema's).
DATE_PATTERN: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIMESTAMP_PATTERN: Final = (
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    "(\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
SHA256_PATTERN: Final = "^[0-9a-f]{64}$"

JUDGEMENT_LEVELS: Final = ("low", "moderate", "high", "not rated")

M = TypeVar("M", bound=Base)


# -- the schema ------------------------------------------------------------------------------


def schema_path() -> Path:
    """Where the bundled JSON Schema of the format lives."""
    return resources_dir() / "schemas" / SCHEMA_FILENAME


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the client record format (read once)."""
    return schema_words.load_schema(SCHEMA_FILENAME)


# -- how each part of the record maps to JSON ------------------------------------------------

_Kind = Literal["value", "int", "text", "date", "time", "staff", "enum", "mapping", "json"]


@dataclass(frozen=True)
class _Field:
    """One field of one part of the record: its JSON name, model attribute and kind.

    ``value`` and ``int`` are JSON values as they are; ``text`` is free text checked
    against ``label``, ``limit`` and ``required`` (a rule on the item when it depends on
    other fields); ``date`` is YYYY-MM-DD (``past`` refuses a future date); ``time`` is
    an ISO 8601 timestamp; ``staff`` a username; ``enum`` a value of ``enum``; ``mapping``
    a JSON object of text, written with sorted keys; ``json`` any JSON, copied.
    """

    key: str
    kind: _Kind
    attr: str = ""
    enum: type[StrEnum] | None = None
    label: str = ""
    limit: int = 0
    required: bool | Callable[[dict[str, Any]], bool] = False
    past: bool = False

    @property
    def attribute(self) -> str:
        return self.attr or self.key


def _value(key: str, attr: str = "") -> _Field:
    return _Field(key, "value", attr)


def _int(key: str) -> _Field:
    return _Field(key, "int")


def _text(
    key: str, label: str, limit: int, required: bool | Callable[[dict[str, Any]], bool] = False
) -> _Field:
    return _Field(key, "text", label=label, limit=limit, required=required)


def _date(key: str, label: str, *, past: bool = True) -> _Field:
    return _Field(key, "date", label=label, past=past)


def _time(key: str) -> _Field:
    return _Field(key, "time")


def _staff(key: str, attr: str = "") -> _Field:
    return _Field(key, "staff", attr)


def _enum(key: str, enum: type[StrEnum]) -> _Field:
    return _Field(key, "enum", enum=enum)


_NOTE_LIMIT: Final = 100_000
_PLAN_LIMIT: Final = 50_000

# Client text is checked by clients.check_details, so it is mapped as plain values here.
_CLIENT: Final = (
    _value("local_ref"),
    _value("given_name"),
    _value("family_name"),
    _date("date_of_birth", "The date of birth", past=False),
    _value("nhs_number"),
    _value("police_ref"),
    _value("address"),
    _value("site"),
    _value("referral_source"),
    _date("referral_date", "The referral date", past=False),
    _enum("status", ClientStatus),
    _enum("consent_to_share", ConsentToShare),
    _value("sharing_notes"),
    _value("is_demo"),
    _time("created_at"),
    _time("closed_at"),
)
_CLIENT_TEXT_STRIPPED: Final = (
    "local_ref",
    "given_name",
    "family_name",
    "police_ref",
    "address",
    "site",
    "referral_source",
)
_ASSIGNMENT: Final = (
    _staff("staff", "staff_id"),
    _value("is_lead"),
    _time("assigned_at"),
    _time("ended_at"),
)
_TYPOLOGY: Final = (
    _enum("typology", Typology),
    _text(
        "rationale",
        "The rationale",
        20_000,
        lambda t: t["typology"] != Typology.NOT_YET_DETERMINED.value,
    ),
    _date("assessed_on", "The date"),
    _staff("assessed_by"),
    _time("recorded_at"),
)
_RISK_ASSESSMENT: Final = (
    _enum("tool", RiskTool),
    _text("tool_name", "The tool name", 120, lambda r: r["tool"] == RiskTool.OTHER.value),
    _text("tool_version", "The tool version", 40, required=True),
    _staff("assessor", "assessor_id"),
    _date("assessed_on", "The assessment date"),
    _Field("judgements", "mapping"),
    _text("rationale", "The rationale", 20_000, required=True),
    _text("shareable_summary", "The shareable summary", 5000),
    _time("recorded_at"),
)
_THIRD_PARTY: Final = (
    _text("label", "The label", 40, required=True),
    _enum("relation", ThirdPartyRelation),
    _text("name", "The name", 200, required=True),
    _text("details", "The details", 20_000),
    _time("recorded_at"),
)
_PLAN: Final = (_time("created_at"), _staff("created_by"))
_REVISION: Final = (
    _int("number"),
    _enum("status", PlanStatus),
    _enum("phase", Phase),
    _text("formulation", "The formulation", _PLAN_LIMIT),
    _int("planned_sessions"),
    _int("planned_weeks"),
    _date("next_review_on", "The review date", past=False),
    _text("change_note", "The note of what changed", 5000),
    _time("saved_at"),
    _staff("saved_by"),
)
_GOAL: Final = (
    _value("goal_key"),
    _text("private_detail", "The goal's detail", _PLAN_LIMIT, required=True),
    _text("partner_wording", "The goal's partner wording", 5000, required=True),
    _value("involves_victim"),
    _text("victim_review_note", "The goal's review note", _PLAN_LIMIT),
)
_INTERVENTION: Final = (
    _enum("kind", InterventionKind),
    _text("detail", "The intervention detail", _PLAN_LIMIT),
)
_PROGRESS: Final = (
    _value("goal_key"),
    _date("rated_on", "The rating date"),
    _int("rating"),
    _text("comment", "The comment", _PLAN_LIMIT),
    _staff("rated_by"),
    _time("recorded_at"),
)
_REVIEW: Final = (
    _date("due_on", "The due date", past=False),
    _date("held_on", "The review date"),
    _text("outcome", "The outcome", _PLAN_LIMIT),
    _staff("reviewed_by"),
)
_SECTION_LABELS: Final = {
    "risk_checkin": "The risk check-in",
    "agenda": "The agenda and plan goal",
    "intervention_content": "The intervention content",
    "homework": "The homework",
    "risk_rerating": "The risk re-rating",
    "actions": "The actions",
    "partner_update": "The partner update",
}
# What a signature covers, apart from the author (see notes.note_seal).
_NOTE_CONTENT: Final = (
    _date("session_date", "The session date"),
    _int("duration_minutes"),
    _enum("modality", Modality),
    _enum("attendance", Attendance),
    _enum("engagement", Engagement),
    _value("plan_goal_key"),
    *(
        _text(name, _SECTION_LABELS[name], _NOTE_LIMIT)
        for name in (*NOTE_SECTIONS, "partner_update")
    ),
)
_NOTE: Final = (
    _staff("author", "author_id"),
    *_NOTE_CONTENT,
    _time("created_at"),
    _time("updated_at"),
    _time("signed_at"),
    _staff("signed_by"),
    _time("entered_in_error_at"),
    _staff("entered_in_error_by"),
    _text(
        "entered_in_error_reason",
        "The reason the note was entered in error",
        2000,
        lambda n: n["entered_in_error_at"] is not None,
    ),
)
_ADDENDUM: Final = (
    _text("reason", "The reason", 2000, required=True),
    _text("text", "The addendum", _NOTE_LIMIT, required=True),
    _staff("author", "author_id"),
    _time("signed_at"),
)
_RISK_EVENT: Final = (
    _enum("kind", RiskEventKind),
    _enum("urgency", Urgency),
    _date("occurred_on", "The date of the event"),
    _text("detail", "The description", 50_000, required=True),
    _text(
        "shareable_statement",
        "The shareable statement",
        5000,
        lambda e: e["urgency"] == Urgency.URGENT.value,
    ),
    _staff("recorded_by"),
    _time("recorded_at"),
)
_DECISION: Final = (
    _enum("decision", ShareDecisionKind),
    _text("reason", "The reason", 5000, required=True),
    _enum("gateway", Gateway),
    _text(
        "shared_with",
        "Who it was shared with",
        300,
        lambda d: d["decision"] == ShareDecisionKind.SHARED.value,
    ),
    _staff("decided_by"),
    _time("decided_at"),
)
_REFERRAL: Final = (
    _text("reason", "The reason for referral", 20_000, required=True),
    _text("clinical_detail", "The clinical detail", 50_000),
    _enum("urgency", ReferralUrgency),
    _enum("status", ReferralStatus),
    _date("created_on", "The referral date"),
    _date("sent_on", "The date sent"),
    _value("fact_shareable"),
    _enum("share_gateway", Gateway),
    _staff("created_by"),
)
_STATUS_CHANGE: Final = (
    _enum("from_status", ReferralStatus),
    _enum("to_status", ReferralStatus),
    _date("changed_on", "The date"),
    _text("note", "The note", 20_000, lambda c: c["to_status"] == ReferralStatus.DECLINED.value),
    _staff("changed_by"),
    _time("recorded_at"),
)
_ADMINISTRATION: Final = (
    _value("measure_id"),
    _text("measure_version", "The measure version", 40, required=True),
    _date("administered_on", "The date completed"),
    _enum("mode", MeasureMode),
    _staff("entered_by"),
    _time("recorded_at"),
)
_RESPONSE: Final = (_int("item"), _int("value"))
_SCHEDULE: Final = (
    _value("measure_id"),
    _int("every_n_sessions"),
    _value("at_plan_review"),
    _value("active"),
)
_DISCLOSURE: Final = (
    _value("document_id"),
    _enum("kind", DisclosureKind),
    _text("audience", "The audience", 40, required=True),
    _text("recipient_agency", "The receiving agency", 200, required=True),
    _text("recipient_person", "The receiving person", 200),
    _text("purpose", "The purpose", 20_000, required=True),
    _enum("gateway", Gateway),
    _staff("decided_by"),
    _value("client_informed"),
    _text("client_not_informed_reason", "The reason the client was not told", 20_000),
    _date("period_from", "The start of the period", past=False),
    _date("period_to", "The end of the period", past=False),
    _value("document_sha256"),
    _Field("payload", "json"),
    _time("recorded_at"),
)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _parse_ts(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:  # the schema requires an offset; this is a second guard
        raise ValueError("a timestamp needs a UTC offset")
    try:
        # 9999-12-31T23:00:00-05:00 is a moment after the last one a database holds.
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("a timestamp beyond the years 1 to 9999 in UTC") from None


def _to_json(row: Base, fields: Sequence[_Field], usernames: dict[int, str]) -> dict[str, Any]:
    """One row's fields as JSON values, in the field map's order."""
    out: dict[str, Any] = {}
    for f in fields:
        value = getattr(row, f.attribute)
        if value is None:
            out[f.key] = None
        elif f.kind == "date":
            out[f.key] = value.isoformat()
        elif f.kind == "time":
            out[f.key] = _ts(value)
        elif f.kind == "staff":
            out[f.key] = usernames[value]
        elif f.kind == "enum":
            out[f.key] = value.value
        elif f.kind == "mapping":
            out[f.key] = dict(sorted(value.items()))
        elif f.kind == "json":
            out[f.key] = json.loads(json.dumps(value))
        else:
            out[f.key] = value
    return out


def _from_json(
    item: dict[str, Any], fields: Sequence[_Field], staff_ids: dict[str, int]
) -> dict[str, Any]:
    """A checked item's fields as model attributes, ready for the model's constructor."""
    out: dict[str, Any] = {}
    for f in fields:
        value = item[f.key]
        if value is None:
            out[f.attribute] = None
        elif f.kind == "date":
            out[f.attribute] = date.fromisoformat(value)
        elif f.kind == "time":
            out[f.attribute] = _parse_ts(value)
        elif f.kind == "staff":
            out[f.attribute] = staff_ids[value]
        elif f.kind == "enum" and f.enum is not None:
            out[f.attribute] = f.enum(value)
        elif f.kind == "int":
            out[f.attribute] = int(value)
        elif f.kind in ("mapping", "json"):
            out[f.attribute] = copy.deepcopy(value)
        else:
            out[f.attribute] = value
    return out


def _path(base: str, *parts: str | int) -> str:
    """A JSON path such as ``$.sessions[3].session_date``."""
    return schema_words.json_path(*parts, base=base)


# -- seals -----------------------------------------------------------------------------------


# -- export ------------------------------------------------------------------------------------


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

    def out(row: Base, fields: Sequence[_Field], **extra: Any) -> dict[str, Any]:
        return {**_to_json(row, fields, names), **extra}

    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _ts(datetime.now(UTC)),
        "client": out(client, _CLIENT),
    }
    document["assignments"] = [
        out(a, _ASSIGNMENT)
        for a in rows(
            ClientAssignment,
            ClientAssignment.client_id,
            ClientAssignment.assigned_at,
            ClientAssignment.id,
        )
    ]
    document["typology_assessments"] = [
        out(t, _TYPOLOGY)
        for t in rows(
            TypologyAssessment,
            TypologyAssessment.client_id,
            TypologyAssessment.assessed_on,
            TypologyAssessment.id,
        )
    ]
    document["risk_assessments"] = [
        out(r, _RISK_ASSESSMENT)
        for r in rows(
            RiskAssessment, RiskAssessment.client_id, RiskAssessment.assessed_on, RiskAssessment.id
        )
    ]
    document["third_parties"] = [
        out(p, _THIRD_PARTY)
        for p in rows(ThirdParty, ThirdParty.client_id, ThirdParty.recorded_at, ThirdParty.id)
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
            _PLAN,
            revisions=[
                out(
                    r,
                    _REVISION,
                    goals=[out(g, _GOAL) for g in r.goals],
                    interventions=[out(i, _INTERVENTION) for i in r.interventions],
                )
                for r in plan.revisions
            ],
            goal_progress=[out(g, _PROGRESS) for g in progress.get(plan.id, [])],
            reviews=[out(v, _REVIEW) for v in reviews.get(plan.id, [])],
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
        where = _path("$", "sessions", i)
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
                altered.append(Problem(_path(where, "addenda", j), f"This addendum {_ALTERED}"))
            addenda_out.append(out(a, _ADDENDUM, content_sha256=a.content_sha256))
        document["sessions"].append(
            out(note, _NOTE, content_sha256=note.content_sha256, addenda=addenda_out)
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
            _RISK_EVENT,
            session_index=_index_of(note_index, e.session_note_id),
            share_decisions=[out(d, _DECISION) for d in decisions.get(e.id, [])],
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
            _REFERRAL,
            service={
                "name": services[r.service_id].name,
                "kind": services[r.service_id].kind.value,
            },
            status_history=[out(c, _STATUS_CHANGE) for c in history.get(r.id, [])],
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
            _ADMINISTRATION,
            session_index=_index_of(note_index, a.session_note_id),
            responses=[out(x, _RESPONSE) for x in responses.get(a.id, [])],
            computed=computed.get(a.id),
        )
        for a in administrations
    ]
    document["measure_schedules"] = [
        out(s, _SCHEDULE)
        for s in rows(MeasureSchedule, MeasureSchedule.client_id, MeasureSchedule.id)
    ]
    document["disclosures"] = [
        out(
            d,
            _DISCLOSURE,
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


# -- schema problems in plain English ---------------------------------------------------------

FILE_FORMAT: Final = schema_words.FileFormat(
    name=FORMAT,
    version=FORMAT_VERSION,
    schema_file=SCHEMA_FILENAME,
    noun="client record",
    missing_field=(
        "This field is missing. Every field of the format must be present "
        "(null or empty text where there is no value)."
    ),
    unknown_field="This field is not part of the format; check its spelling.",
    pattern_words={
        DATE_PATTERN: "should be a date written YYYY-MM-DD, for example 2024-05-01.",
        TIMESTAMP_PATTERN: (
            "should be a date and time with seconds and a UTC offset, for example "
            "2024-05-01T14:30:00+00:00."
        ),
        SHA256_PATTERN: "should be a SHA-256 hash: 64 characters 0-9 and a-f.",
    },
)


def check_schema(document: object) -> list[Problem]:
    """Every way the document fails to match the format's JSON Schema, in plain English.

    A file of another kind, or of another version of the format, gets one problem that
    says so rather than a list of everything that differs.
    """
    return schema_words.check(FILE_FORMAT, document)


# -- the record's own rules ---------------------------------------------------------------------


def _real_date(value: str | None) -> date | None:
    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        return None


def _real_time(value: str | None) -> datetime | None:
    try:
        return None if value is None else _parse_ts(value)
    except ValueError:
        return None


def _note_content(n: dict[str, Any]) -> SessionNote:
    """A note outside any session holding a document note's signed content."""
    return SessionNote(**_from_json(n, _NOTE_CONTENT, {}))


def _note_seal_matches(n: dict[str, Any]) -> bool:
    signed_at = _real_time(n["signed_at"])
    if _real_date(n["session_date"]) is None or signed_at is None:
        return True  # the impossible date is reported where it is
    version = note_seal_version(
        n["content_sha256"],
        content_of(_note_content(n)),
        n["author"],
        signer=n["signed_by"],
        signed_at=signed_at,
    )
    return version is not None


def _addendum_seal_matches(note_seal: str, a: dict[str, Any]) -> bool:
    signed_at = _real_time(a["signed_at"])
    if signed_at is None:
        return True  # reported where it is
    version = addendum_seal_version(
        a["content_sha256"], note_seal, a["reason"], a["text"], a["author"], signed_at=signed_at
    )
    return version is not None


class _Checks:
    """Collects every problem of a schema-valid document against the record's rules."""

    def __init__(self, session: Session, doc: dict[str, Any], today: date) -> None:
        self.session = session
        self.doc = doc
        self.today = today
        self.problems: list[Problem] = []
        self.roles: dict[str, Role] = dict(
            session.execute(select(StaffUser.username, StaffUser.role)).all()
        )
        self.services: dict[str, ServiceKind] = dict(
            session.execute(select(SpecialistService.name, SpecialistService.kind)).all()
        )

    def add(self, where: str, message: str | None) -> None:
        if message is not None:
            self.problems.append(Problem(where, message))

    def each(self, array: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for i, item in enumerate(self.doc[array]):
            yield _path("$", array, i), item

    def fields(self, where: str, item: dict[str, Any], fields: Sequence[_Field]) -> None:
        """The checks every field of its kind gets: text, dates, timestamps, usernames."""
        for f in fields:
            value = item[f.key]
            at = _path(where, f.key)
            if f.kind == "text":
                required = f.required(item) if callable(f.required) else f.required
                self.add(
                    at, text_problem(value, label=f.label, required=required, max_length=f.limit)
                )
            elif value is None:
                continue
            elif f.kind == "date":
                day = _real_date(value)
                if day is None:
                    self.add(at, f"{f.label} is not a real date.")
                elif f.past:
                    self.add(at, date_problem(day, label=f.label, today=self.today))
            elif f.kind == "time" and _real_time(value) is None:
                self.add(at, "This is not a real date and time.")
            elif f.kind == "staff" and value not in self.roles:
                self.add(at, f"There is no account named '{value}' on this database.")

    def index(self, where: str, value: int | None, array: str, what: str) -> None:
        size = len(self.doc[array])
        if value is not None and value >= size:
            self.add(
                where,
                f"This refers to {what} {value} (counting from 0), but the record has "
                f"{'no' if size == 0 else 'only ' + str(size)} {array.replace('_', ' ')}.",
            )

    def run(self) -> list[Problem]:
        self.client()
        self.assignments()
        for where, t in self.each("typology_assessments"):
            self.fields(where, t, _TYPOLOGY)
        for where, r in self.each("risk_assessments"):
            self.fields(where, r, _RISK_ASSESSMENT)
            for domain in r["judgements"]:
                self.add(
                    _path(where, "judgements", domain),
                    text_problem(domain, label="A judgement's name", required=True, max_length=120),
                )
        labels: set[str] = set()
        for where, p in self.each("third_parties"):
            self.fields(where, p, _THIRD_PARTY)
            if p["label"] in labels:
                self.add(_path(where, "label"), f"The label '{p['label']}' is used twice.")
            labels.add(p["label"])
        goal_keys: set[str] = set()
        for where, plan in self.each("plans"):
            goal_keys |= self.plan(where, plan)
        for where, n in self.each("sessions"):
            self.note(where, n, goal_keys)
        for where, e in self.each("risk_events"):
            self.risk_event(where, e)
        for where, r in self.each("referrals"):
            self.referral(where, r)
        for where, a in self.each("measure_administrations"):
            self.administration(where, a)
        for where, s in self.each("measure_schedules"):
            if not MEASURE_ID.match(s["measure_id"]):
                self.add(_path(where, "measure_id"), "That is not a valid measure identifier.")
        self.disclosures()
        return self.problems

    def client(self) -> None:
        c = self.doc["client"]
        self.fields("$.client", c, _CLIENT)
        born, referred = _real_date(c["date_of_birth"]), _real_date(c["referral_date"])
        if born is None or referred is None:
            return  # check_details needs real dates; the problem is reported already
        values = _from_json(c, [f for f in _CLIENT if f.kind != "time"], {})
        values["nhs_number"] = c["nhs_number"] or ""
        for problem in check_details(self.session, ClientDetails(**values), today=self.today):
            self.add(_path("$.client", problem.where), problem.message)

    def assignments(self) -> None:
        current: set[str] = set()
        for where, a in self.each("assignments"):
            self.fields(where, a, _ASSIGNMENT)
            start, end = _real_time(a["assigned_at"]), _real_time(a["ended_at"])
            if start is not None and end is not None and end < start:
                self.add(_path(where, "ended_at"), "An assignment cannot end before it began.")
            if a["ended_at"] is not None:
                continue
            if a["staff"] in current:
                self.add(_path(where, "staff"), "This person is assigned twice.")
            current.add(a["staff"])
            role = self.roles.get(a["staff"])
            if role is not None and not role.is_clinical:
                self.add(
                    _path(where, "staff"),
                    f"'{a['staff']}' is an administrator's account here; clients can only be "
                    "assigned to clinical staff.",
                )

    def plan(self, where: str, plan: dict[str, Any]) -> set[str]:
        """Check one plan; returns the keys of the goals in any of its revisions."""
        self.fields(where, plan, _PLAN)
        keys: set[str] = set()
        numbers: set[int] = set()
        for i, r in enumerate(plan["revisions"]):
            at = _path(where, "revisions", i)
            self.fields(at, r, _REVISION)
            if r["number"] in numbers:
                self.add(_path(at, "number"), f"Revision {r['number']} appears twice.")
            numbers.add(r["number"])
            if r["status"] == PlanStatus.ACTIVE.value and not r["goals"]:
                self.add(_path(at, "goals"), "An active plan needs at least one goal.")
            in_revision: set[str] = set()
            for j, g in enumerate(r["goals"]):
                self.fields(_path(at, "goals", j), g, _GOAL)
                if g["goal_key"] in in_revision:
                    self.add(
                        _path(at, "goals", j, "goal_key"),
                        "The same goal appears twice in this revision.",
                    )
                in_revision.add(g["goal_key"])
            keys |= in_revision
            for j, item in enumerate(r["interventions"]):
                self.fields(_path(at, "interventions", j), item, _INTERVENTION)
        for i, g in enumerate(plan["goal_progress"]):
            at = _path(where, "goal_progress", i)
            self.fields(at, g, _PROGRESS)
            if g["goal_key"] not in keys:
                self.add(_path(at, "goal_key"), "This goal is not part of this plan.")
        for i, v in enumerate(plan["reviews"]):
            self.fields(_path(where, "reviews", i), v, _REVIEW)
        return keys

    def note(self, where: str, n: dict[str, Any], goal_keys: set[str]) -> None:
        self.fields(where, n, _NOTE)
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
        signature = (n["signed_at"], n["signed_by"], n["content_sha256"])
        if n["signed_at"] is not None and n["content_sha256"] is None:
            self.add(
                _path(where, "content_sha256"),
                "A signed note must carry its content hash, so its signature can be checked.",
            )
        elif None in signature and any(v is not None for v in signature):
            self.add(
                _path(where, "signed_at"),
                "signed_at, signed_by and content_sha256 go together: give all three for a "
                "signed note, or none for a draft.",
            )
        elif n["content_sha256"] is not None and not _note_seal_matches(n):
            self.add(
                _path(where, "content_sha256"),
                "The note's content, author, signer or signing time does not match its "
                "signature: it was changed after signing. Import the record as it was "
                "exported.",
            )
        elif n["signed_by"] is not None and n["signed_by"] != n["author"]:
            # A version 1 seal does not cover the signer; the rule that only the author
            # signs does.
            self.add(
                _path(where, "signed_by"),
                "A note is signed by its author, but this one names someone else as the "
                "signer. Import the record as it was exported.",
            )
        if (n["entered_in_error_at"] is None) != (n["entered_in_error_by"] is None):
            self.add(
                _path(where, "entered_in_error_at"),
                "entered_in_error_at and entered_in_error_by go together: give both for a "
                "note marked as entered in error, or neither.",
            )
        if n["signed_at"] is None and n["addenda"]:
            self.add(_path(where, "addenda"), "Only a signed note can have addenda.")
        for j, a in enumerate(n["addenda"]):
            at = _path(where, "addenda", j)
            self.fields(at, a, _ADDENDUM)
            if n["content_sha256"] is not None and not _addendum_seal_matches(
                n["content_sha256"], a
            ):
                self.add(
                    _path(at, "content_sha256"),
                    "The addendum does not match its signature: it was changed after signing. "
                    "Import the record as it was exported.",
                )

    def risk_event(self, where: str, e: dict[str, Any]) -> None:
        self.fields(where, e, _RISK_EVENT)
        self.index(_path(where, "session_index"), e["session_index"], "sessions", "session")
        for j, d in enumerate(e["share_decisions"]):
            at = _path(where, "share_decisions", j)
            self.fields(at, d, _DECISION)
            if d["decision"] != ShareDecisionKind.SHARED.value:
                continue
            if d["gateway"] is None:
                self.add(_path(at, "gateway"), "A decision to share needs the legal gateway.")
            if not e["shareable_statement"].strip():
                self.add(
                    _path(where, "shareable_statement"),
                    "An event that was shared needs its shareable statement.",
                )

    def referral(self, where: str, r: dict[str, Any]) -> None:
        name, kind = r["service"]["name"], r["service"]["kind"]
        listed = self.services.get(name)
        if listed is None:
            self.add(
                _path(where, "service", "name"),
                f"There is no specialist service named '{name}' in this database's directory. "
                "Ask an administrator or psychologist to add it, then import again.",
            )
        elif listed.value != kind:
            self.add(
                _path(where, "service", "kind"),
                f"The service '{name}' is listed here as {listed.value.replace('_', ' ')}, "
                f"not {kind.replace('_', ' ')}.",
            )
        self.fields(where, r, _REFERRAL)
        if r["fact_shareable"] and r["share_gateway"] is None:
            self.add(
                _path(where, "share_gateway"),
                "Record the consent or gateway that allows the referral to be mentioned.",
            )
        created = _real_date(r["created_on"])
        reached: str | None = None
        for j, c in enumerate(r["status_history"]):
            at = _path(where, "status_history", j)
            self.fields(at, c, _STATUS_CHANGE)
            if c["from_status"] != reached:
                start = "null, for the first step" if reached is None else reached
                self.add(
                    _path(at, "from_status"),
                    f"Each step must start from the status the one before reached ({start}).",
                )
            elif reached is not None and (
                ReferralStatus(c["to_status"]) not in TRANSITIONS[ReferralStatus(reached)]
            ):
                self.add(
                    _path(at, "to_status"),
                    f"A referral that is {reached.replace('_', ' ')} cannot become "
                    f"{c['to_status'].replace('_', ' ')}.",
                )
            reached = c["to_status"]
            changed = _real_date(c["changed_on"])
            if created is not None and changed is not None and changed < created:
                self.add(
                    _path(at, "changed_on"), "A status cannot change before the referral was made."
                )
        if reached is not None and reached != r["status"]:
            self.add(
                _path(where, "status"),
                f"The status is {r['status'].replace('_', ' ')}, but the history ends at "
                f"{reached.replace('_', ' ')}.",
            )

    def administration(self, where: str, a: dict[str, Any]) -> None:
        if not MEASURE_ID.match(a["measure_id"]):
            self.add(_path(where, "measure_id"), "That is not a valid measure identifier.")
        self.fields(where, a, _ADMINISTRATION)
        self.index(_path(where, "session_index"), a["session_index"], "sessions", "session")
        items: set[int] = set()
        for j, response in enumerate(a["responses"]):
            if response["item"] in items:
                self.add(
                    _path(where, "responses", j, "item"),
                    f"Item {response['item']} is answered twice.",
                )
            items.add(response["item"])
        definition = known_definition(self.session, a["measure_id"], a["measure_version"])
        if definition is not None and len(items) == len(a["responses"]):
            # Answers this version of the measure does not allow are refused here, as when
            # they are entered (a version not known here is kept, and cannot be scored).
            answers = {r["item"]: r["value"] for r in a["responses"]}
            try:
                check_answers(definition, answers)
            except ValidationError as refused:
                for problem in refused.problems:
                    self.add(_path(where, "responses"), problem.message)

    def disclosures(self) -> None:
        seen: set[str] = set()
        for where, d in self.each("disclosures"):
            if d["document_id"] in seen:
                self.add(_path(where, "document_id"), "This document ID appears twice.")
            seen.add(d["document_id"])
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
            self.fields(where, d, _DISCLOSURE)
            start, end = _real_date(d["period_from"]), _real_date(d["period_to"])
            if start is not None and end is not None and end < start:
                self.add(_path(where, "period_to"), "The period cannot end before it starts.")


# -- import -----------------------------------------------------------------------------------


def read_document(source: Path) -> object:
    """A client record file's JSON value, read strictly (see ``schema_words.read_json``).

    Refused whole, with one line naming what and where, when the file is too large, not
    JSON, names a field twice, nests too deeply or holds what no record may hold.
    """
    return schema_words.read_json(source, max_bytes=MAX_DOCUMENT_BYTES, noun="client record")


def check_document(
    session: Session, document: object, *, today: date | None = None
) -> list[Problem]:
    """Every problem that would stop ``document`` being imported here; empty when none.

    A value no record may hold anywhere in it (see ``schema_words.odd_value``) is the one
    problem reported: the rest of the document is not looked at.
    """
    odd = schema_words.odd_value(document)
    if odd is not None:
        return [odd]
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
    doc = cast(dict[str, Any], document)  # a schema-valid document is a JSON object
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

    def new(model: type[M], item: dict[str, Any], fields: Sequence[_Field], **extra: Any) -> M:
        return model(**_from_json(item, fields, staff_ids), **extra)

    def added(rows: list[M]) -> list[M]:
        session.add_all(rows)
        session.flush()
        return rows

    client = new(Client, doc["client"], _CLIENT)
    for name in _CLIENT_TEXT_STRIPPED:
        setattr(client, name, getattr(client, name).strip())
    client.nhs_number = normalise_nhs_number(client.nhs_number or "") or None
    cid = added([client])[0].id

    added([new(ClientAssignment, a, _ASSIGNMENT, client_id=cid) for a in doc["assignments"]])
    added(
        [new(TypologyAssessment, t, _TYPOLOGY, client_id=cid) for t in doc["typology_assessments"]]
    )
    added(
        [new(RiskAssessment, r, _RISK_ASSESSMENT, client_id=cid) for r in doc["risk_assessments"]]
    )
    added([new(ThirdParty, p, _THIRD_PARTY, client_id=cid) for p in doc["third_parties"]])

    for p in doc["plans"]:
        plan = added([new(InterventionPlan, p, _PLAN, client_id=cid)])[0]
        revisions = added(
            [new(PlanRevision, r, _REVISION, plan_id=plan.id) for r in p["revisions"]]
        )
        children: list[Base] = []
        for revision, r in zip(revisions, p["revisions"], strict=True):
            children += [
                new(PlanGoal, g, _GOAL, revision_id=revision.id, position=i)
                for i, g in enumerate(r["goals"])
            ]
            children += [
                new(PlannedIntervention, x, _INTERVENTION, revision_id=revision.id, position=i)
                for i, x in enumerate(r["interventions"])
            ]
        children += [new(GoalProgress, g, _PROGRESS, plan_id=plan.id) for g in p["goal_progress"]]
        children += [new(PlanReview, v, _REVIEW, plan_id=plan.id) for v in p["reviews"]]
        added(children)

    notes = [
        new(SessionNote, n, _NOTE, client_id=cid, content_sha256=n["content_sha256"])
        for n in doc["sessions"]
    ]
    note_ids = [n.id for n in added(notes)]
    added(
        [
            new(NoteAddendum, a, _ADDENDUM, note_id=note.id, content_sha256=a["content_sha256"])
            for note, n in zip(notes, doc["sessions"], strict=True)
            for a in n["addenda"]
        ]
    )

    events = added(
        [
            new(
                RiskEvent,
                e,
                _RISK_EVENT,
                client_id=cid,
                session_note_id=_pick(note_ids, e["session_index"]),
            )
            for e in doc["risk_events"]
        ]
    )
    added(
        [
            new(RiskShareDecision, d, _DECISION, risk_event_id=event.id)
            for event, e in zip(events, doc["risk_events"], strict=True)
            for d in e["share_decisions"]
        ]
    )

    referrals = added(
        [
            new(
                Referral,
                r,
                _REFERRAL,
                client_id=cid,
                service_id=service_ids[r["service"]["name"]],
            )
            for r in doc["referrals"]
        ]
    )
    added(
        [
            new(ReferralStatusChange, c, _STATUS_CHANGE, referral_id=referral.id)
            for referral, r in zip(referrals, doc["referrals"], strict=True)
            for c in r["status_history"]
        ]
    )

    administrations = added(
        [
            new(
                MeasureAdministration,
                a,
                _ADMINISTRATION,
                client_id=cid,
                session_note_id=_pick(note_ids, a["session_index"]),
            )
            for a in doc["measure_administrations"]
        ]
    )
    added(
        [
            new(MeasureResponse, x, _RESPONSE, administration_id=administration.id)
            for administration, a in zip(
                administrations, doc["measure_administrations"], strict=True
            )
            for x in a["responses"]
        ]
    )
    added([new(MeasureSchedule, s, _SCHEDULE, client_id=cid) for s in doc["measure_schedules"]])
    added(
        [
            new(
                Disclosure,
                d,
                _DISCLOSURE,
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
