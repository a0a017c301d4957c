"""How each part of a client record maps to JSON, described once for export, checks and import.

Every part of the record is a tuple of ``Field``: its JSON name, the model attribute and the
kind of value, with the label and limits its text is checked against. ``to_json`` and
``from_json`` read the same description, so export and import cannot drift apart.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Final, Literal

from clinic_app import schema_words
from clinic_app.models import (
    NOTE_SECTIONS,
    Base,
)
from clinic_app.models.enums import (
    Attendance,
    ClientStatus,
    ConsentToShare,
    ContactType,
    CriticalReviewOutcome,
    DisclosureKind,
    Engagement,
    Gateway,
    InterventionKind,
    MeasureMode,
    Modality,
    Phase,
    PlanStatus,
    ProtectiveMeasureKind,
    ReferralStatus,
    ReferralUrgency,
    RiskEventKind,
    RiskTool,
    ShareDecisionKind,
    ThirdPartyRelation,
    Typology,
    Urgency,
)
from clinic_app.services.third_parties import ThirdPartyInput

FORMAT: Final = "clinic-app/client-record"
# Version 2 added what is recorded about third parties and their protection, and the
# reviews of critical answers; version 3 a session's contact type. Older files are brought
# up to the current version on reading (versions.py).
FORMAT_VERSION: Final = 3

Kind = Literal["value", "int", "text", "date", "time", "staff", "enum", "mapping", "json", "lines"]


@dataclass(frozen=True)
class Field:
    """One field of one part of the record: its JSON name, model attribute and kind.

    ``value`` and ``int`` are JSON values as they are; ``text`` is free text checked
    against ``label``, ``limit`` and ``required`` (a rule on the item when it depends on
    other fields); ``date`` is YYYY-MM-DD (``past`` refuses a future date); ``time`` is
    an ISO 8601 timestamp; ``staff`` a username; ``enum`` a value of ``enum``; ``mapping``
    a JSON object of text, written with sorted keys; ``json`` any JSON, copied; ``lines`` an
    array of text, stored one entry a line.
    """

    key: str
    kind: Kind
    attr: str = ""
    enum: type[StrEnum] | None = None
    label: str = ""
    limit: int = 0
    required: bool | Callable[[dict[str, Any]], bool] = False
    past: bool = False

    @property
    def attribute(self) -> str:
        return self.attr or self.key


def _value(key: str, attr: str = "") -> Field:
    return Field(key, "value", attr)


def _int(key: str) -> Field:
    return Field(key, "int")


def _text(
    key: str, label: str, limit: int, required: bool | Callable[[dict[str, Any]], bool] = False
) -> Field:
    return Field(key, "text", label=label, limit=limit, required=required)


def _date(key: str, label: str, *, past: bool = True) -> Field:
    return Field(key, "date", label=label, past=past)


def _time(key: str) -> Field:
    return Field(key, "time")


def _staff(key: str, attr: str = "") -> Field:
    return Field(key, "staff", attr)


def _enum(key: str, enum: type[StrEnum]) -> Field:
    return Field(key, "enum", enum=enum)


_NOTE_LIMIT: Final = 100_000
_PLAN_LIMIT: Final = 50_000

# Client text is checked by clients.check_details, so it is mapped as plain values here.
CLIENT: Final = (
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
CLIENT_TEXT_STRIPPED: Final = (
    "local_ref",
    "given_name",
    "family_name",
    "police_ref",
    "address",
    "site",
    "referral_source",
)
ASSIGNMENT: Final = (
    _staff("staff", "staff_id"),
    _value("is_lead"),
    _time("assigned_at"),
    _time("ended_at"),
)
TYPOLOGY: Final = (
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
RISK_ASSESSMENT: Final = (
    _enum("tool", RiskTool),
    _text("tool_name", "The tool name", 120, lambda r: r["tool"] == RiskTool.OTHER.value),
    _text("tool_version", "The tool version", 40, required=True),
    _staff("assessor", "assessor_id"),
    _date("assessed_on", "The assessment date"),
    Field("judgements", "mapping"),
    _text("rationale", "The rationale", 20_000, required=True),
    _text("shareable_summary", "The shareable summary", 5000),
    _time("recorded_at"),
)
# A third party's lists of identifiers, one entry each in the file and one a line stored.
ENTRY_LISTS: Final = ("aliases", "addresses", "phones", "emails", "vehicles")
# What the record holds about the person is checked by third_parties.check_third_party, as
# when it is entered, so it is mapped as plain values here.
THIRD_PARTY: Final = (
    _text("label", "The label", 40, required=True),
    _enum("relation", ThirdPartyRelation),
    _value("name"),
    _value("details"),
    _time("recorded_at"),
    *(Field(key, "lines") for key in ENTRY_LISTS),
    _value("advocate_service"),
    _value("advocate_contact"),
    _value("wishes_and_concerns"),
    _date("ended_on", "The date"),
    _text("ended_reason", "The reason", 5000, lambda p: p["ended_on"] is not None),
)
# What it forbids and its reference are checked by third_parties.check_protective_measure.
PROTECTIVE_MEASURE: Final = (
    _enum("kind", ProtectiveMeasureKind),
    _date("starts_on", "The start date", past=False),
    _date("ends_on", "The end date", past=False),
    _value("forbids"),
    _value("reference"),
    _date("revoked_on", "The date revoked", past=False),
    _staff("recorded_by"),
    _time("recorded_at"),
)
PLAN: Final = (_time("created_at"), _staff("created_by"))
REVISION: Final = (
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
GOAL: Final = (
    _value("goal_key"),
    _text("private_detail", "The goal's detail", _PLAN_LIMIT, required=True),
    _text("partner_wording", "The goal's partner wording", 5000, required=True),
    _value("involves_victim"),
    _text("victim_review_note", "The goal's review note", _PLAN_LIMIT),
)
INTERVENTION: Final = (
    _enum("kind", InterventionKind),
    _text("detail", "The intervention detail", _PLAN_LIMIT),
)
PROGRESS: Final = (
    _value("goal_key"),
    _date("rated_on", "The rating date"),
    _int("rating"),
    _text("comment", "The comment", _PLAN_LIMIT),
    _staff("rated_by"),
    _time("recorded_at"),
)
REVIEW: Final = (
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
NOTE_CONTENT: Final = (
    _date("session_date", "The session date"),
    _int("duration_minutes"),
    _enum("modality", Modality),
    _enum("contact_type", ContactType),
    _enum("attendance", Attendance),
    _enum("engagement", Engagement),
    _value("plan_goal_key"),
    *(
        _text(name, _SECTION_LABELS[name], _NOTE_LIMIT)
        for name in (*NOTE_SECTIONS, "partner_update")
    ),
)
NOTE: Final = (
    _staff("author", "author_id"),
    *NOTE_CONTENT,
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
ADDENDUM: Final = (
    _text("reason", "The reason", 2000, required=True),
    _text("text", "The addendum", _NOTE_LIMIT, required=True),
    _staff("author", "author_id"),
    _time("signed_at"),
)
RISK_EVENT: Final = (
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
DECISION: Final = (
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
REFERRAL: Final = (
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
STATUS_CHANGE: Final = (
    _enum("from_status", ReferralStatus),
    _enum("to_status", ReferralStatus),
    _date("changed_on", "The date"),
    _text("note", "The note", 20_000, lambda c: c["to_status"] == ReferralStatus.DECLINED.value),
    _staff("changed_by"),
    _time("recorded_at"),
)
ADMINISTRATION: Final = (
    _value("measure_id"),
    _text("measure_version", "The measure version", 40, required=True),
    _date("administered_on", "The date completed"),
    _enum("mode", MeasureMode),
    _staff("entered_by"),
    _time("recorded_at"),
)
RESPONSE: Final = (_int("item"), _int("value"))
CRITICAL_REVIEW: Final = (
    _enum("outcome", CriticalReviewOutcome),
    _text(
        "reason",
        "The reason",
        5000,
        lambda r: r["outcome"] == CriticalReviewOutcome.NO_FURTHER_ACTION.value,
    ),
    _staff("reviewed_by"),
    _time("reviewed_at"),
)
SCHEDULE: Final = (
    _value("measure_id"),
    _int("every_n_sessions"),
    _value("at_plan_review"),
    _value("active"),
)
DISCLOSURE: Final = (
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
    Field("payload", "json"),
    _time("recorded_at"),
)


def timestamp_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def parse_timestamp(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:  # the schema requires an offset; this is a second guard
        raise ValueError("a timestamp needs a UTC offset")
    try:
        # 9999-12-31T23:00:00-05:00 is a moment after the last one a database holds.
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("a timestamp beyond the years 1 to 9999 in UTC") from None


def to_json(row: Base, fields: Sequence[Field], usernames: dict[int, str]) -> dict[str, Any]:
    """One row's fields as JSON values, in the field map's order."""
    out: dict[str, Any] = {}
    for f in fields:
        value = getattr(row, f.attribute)
        if value is None:
            out[f.key] = None
        elif f.kind == "date":
            out[f.key] = value.isoformat()
        elif f.kind == "time":
            out[f.key] = timestamp_text(value)
        elif f.kind == "staff":
            out[f.key] = usernames[value]
        elif f.kind == "enum":
            out[f.key] = value.value
        elif f.kind == "mapping":
            out[f.key] = dict(sorted(value.items()))
        elif f.kind == "lines":
            out[f.key] = [line.strip() for line in value.splitlines() if line.strip()]
        elif f.kind == "json":
            out[f.key] = json.loads(json.dumps(value))
        else:
            out[f.key] = value
    return out


def from_json(
    item: dict[str, Any], fields: Sequence[Field], staff_ids: dict[str, int]
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
            out[f.attribute] = parse_timestamp(value)
        elif f.kind == "staff":
            out[f.attribute] = staff_ids[value]
        elif f.kind == "enum" and f.enum is not None:
            out[f.attribute] = f.enum(value)
        elif f.kind == "int":
            out[f.attribute] = int(value)
        elif f.kind == "lines":
            out[f.attribute] = "\n".join(value)
        elif f.kind in ("mapping", "json"):
            out[f.attribute] = copy.deepcopy(value)
        else:
            out[f.attribute] = value
    return out


def json_path(base: str, *parts: str | int) -> str:
    """A JSON path such as ``$.sessions[3].session_date``."""
    return schema_words.json_path(*parts, base=base)


def third_party_input(p: dict[str, Any]) -> ThirdPartyInput:
    """A document's third party as the input the app checks and records (as on the form)."""
    return ThirdPartyInput(
        relation=ThirdPartyRelation(p["relation"]),
        name=p["name"],
        aliases=tuple(p["aliases"]),
        addresses=tuple(p["addresses"]),
        phones=tuple(p["phones"]),
        emails=tuple(p["emails"]),
        vehicles=tuple(p["vehicles"]),
        advocate_service=p["advocate_service"],
        advocate_contact=p["advocate_contact"],
        wishes_and_concerns=p["wishes_and_concerns"],
        details=p["details"],
    )
