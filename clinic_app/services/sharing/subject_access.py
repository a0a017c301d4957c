"""The subject access pack: build it through the gate, review it for serious harm, release it.

1. **Build** (:func:`prepare_pack`). The record is read only through
   :class:`~clinic_app.services.sharing.audiences.SubjectAccessReader`: every table the
   subject access policy names, every column of it the policy allows (CLINICAL included:
   it is the client's own record; THIRD_PARTY never). A third party who agreed is named
   (name, other names, relationship); nobody else is, and every third party's places,
   numbers and vehicles stay out whatever they agreed. In the text of the record each
   recorded detail of a third party is replaced by a marker
   (:func:`~clinic_app.services.sharing.redaction.redact_text`). Every removal, a whole
   person or measure as well as each detail in the text, is listed in the redaction log
   with its reason and exemption (DPA 2018 Schedule 2 Part 3 paragraph 16).
2. **Review** (:func:`record_review`). A health professional (psychologist or clinician
   with access to the record) records their serious-harm opinion (DPA 2018 Schedule 3
   Part 2 paragraphs 5 and 6): the decision, their reasons, and any further items withheld,
   each with the exemption relied on. The review holds the fingerprint of the pack it
   judged, so a record that changes afterwards needs a new review.
3. **Release** (:func:`release_pack`). Refused without a review, after a decision not to
   release, or when the pack differs from the one reviewed. The further items are taken
   out (and logged), the PDF and the JSON file are drawn, the release is entered in the
   disclosure register with the PDF's SHA-256 (and the JSON file's in its payload), both
   files are written when the unit of work commits, and the request is completed.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Column
from sqlalchemy.orm import Session

from clinic_app.errors import Problem, ValidationError
from clinic_app.models import (
    Base,
    Client,
    Privacy,
    SpecialistService,
    StaffUser,
    SubjectAccessReview,
    privacy_of,
    utcnow,
)
from clinic_app.models.enums import DisclosureKind, RiskTool, Role
from clinic_app.models.subject_access import Exemption, HarmDecision, RequesterKind
from clinic_app.reports import subject_access as report
from clinic_app.reports.subject_access import (
    PackField,
    PackItem,
    PackSection,
    Removal,
    RequestFacts,
    ReviewFacts,
    SubjectAccessPack,
)
from clinic_app.services import audit, measures, third_parties
from clinic_app.services import subject_access as requests
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.sharing import disclosures
from clinic_app.services.sharing.audiences import (
    SUBJECT_ACCESS_AUDIENCE,
    SUBJECT_ACCESS_TABLES,
    SubjectAccessReader,
    subject_access_policy,
)
from clinic_app.services.sharing.disclosures import WITHOUT_DOCUMENT, DisclosureRow
from clinic_app.services.sharing.files import write_when_committed
from clinic_app.services.sharing.lexicon import TermCategory
from clinic_app.services.sharing.redaction import redact_text
from clinic_app.services.subject_access import ReviewRow
from clinic_app.services.validation import Checker
from clinic_app.wording import (
    DISCLOSURE_KIND_WORDS,
    RELATION_WORDS,
    RISK_TOOL_WORDS,
    long_date,
    words,
)

SECTIONS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("Your record", ("client", "client_assignment", "typology_assessment", "risk_assessment")),
    (
        "Intervention plans",
        (
            "intervention_plan",
            "plan_revision",
            "plan_goal",
            "planned_intervention",
            "goal_progress",
            "plan_review",
        ),
    ),
    ("Sessions and notes", ("session_note", "note_addendum")),
    ("Appointments", ("appointment", "appointment_clinician")),
    ("Questionnaires", ("measure_schedule", "measure_administration", "critical_item_review")),
    ("Risk events", ("risk_event", "risk_share_decision")),
    ("Referrals", ("referral", "referral_status_change")),
    ("Letters, and what was shared about you", ("disclosure",)),
)
"""The pack's sections and the tables each draws its items from, in order. (Each answer
to a questionnaire, ``measure_response``, is shown with its questionnaire.)"""

FOLDED: Final = frozenset({"measure_response"})

ITEM_TITLES: Final[dict[str, tuple[str, str | None]]] = {
    "client": ("Your details", None),
    "client_assignment": ("Member of your health team", "assigned_at"),
    "typology_assessment": ("Typology assessment", "assessed_on"),
    "risk_assessment": ("Risk assessment", "assessed_on"),
    "intervention_plan": ("Intervention plan", "created_at"),
    "plan_revision": ("Plan, as saved", "saved_at"),
    "plan_goal": ("Goal in a plan", None),
    "planned_intervention": ("Planned intervention", None),
    "goal_progress": ("Progress rating of a goal", "rated_on"),
    "plan_review": ("Plan review", "due_on"),
    "session_note": ("Session", "session_date"),
    "note_addendum": ("Addendum to a session note", "signed_at"),
    "appointment": ("Appointment", "day"),
    "appointment_clinician": ("Member of staff at an appointment", None),
    "measure_schedule": ("Questionnaire schedule", None),
    "measure_administration": ("Questionnaire", "administered_on"),
    "critical_item_review": ("Review of a questionnaire answer", "reviewed_at"),
    "risk_event": ("Risk event", "occurred_on"),
    "risk_share_decision": ("Decision whether to share a risk event", "decided_at"),
    "referral": ("Referral", "created_on"),
    "referral_status_change": ("Change in a referral", "changed_on"),
    "disclosure": ("Register entry", "recorded_at"),
}
"""How each item is headed, and the date its heading gives."""

LABELS: Final[dict[str, str]] = {
    "local_ref": "Health team reference",
    "police_ref": "Police or partner reference",
    "nhs_number": "NHS number",
    "staff_id": "Member of staff",
    "author_id": "Written by",
    "assessor_id": "Assessed by",
    "entered_by": "Entered by",
    "service_id": "Service",
    "risk_checkin": "Risk check-in",
    "risk_rerating": "Risk re-rating",
    "measure_id": "Questionnaire",
    "payload": "Content",
}


def _identifying(table: str, name: str) -> bool:
    """Whether the column is the client's own identity (their name, address, references),
    which is given whole: their address may be one a victim once shared."""
    return privacy_of(_model(table).__table__.columns[name]) is Privacy.IDENTIFYING


THIRD_PARTY_REASON: Final = (
    "Information about another person, who has not agreed to it being given to you."
)
WHEREABOUTS_REASON: Final = (
    "Where another person lives or how to reach them is never given, whatever they agreed."
)


@dataclass(frozen=True)
class PreparedPack:
    """A pack as built now, before any review's withholdings, and its fingerprint."""

    request_id: int
    pack: SubjectAccessPack
    content_sha256: str


@dataclass(frozen=True)
class ReleasedPack:
    """A pack entered in the register; its files appear when the unit of work commits."""

    disclosure: DisclosureRow
    pdf_path: Path
    json_path: Path
    sha256: str
    json_sha256: str
    removals: int


# -- reading through the gate -------------------------------------------------------------------


def _model(table: str) -> type[Any]:
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", "") == table:
            return mapper.class_
    raise KeyError(table)  # pragma: no cover


def _label(name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    base = name[:-3] if name.endswith("_id") else name
    return base.replace("_", " ").capitalize()


def _target(table: str, name: str) -> str | None:
    column: Column[Any] = _model(table).__table__.columns[name]
    for fk in column.foreign_keys:
        return str(fk.column.table.name)
    return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _text_of(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text_of(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return "; ".join(_text_of(v) for v in value)
    return str(value)


class _Builder:
    """One pack being built: the reader, the names it refers to, the removals so far."""

    def __init__(self, session: Session, by: StaffRef, client_id: int) -> None:
        self.session = session
        self.by = by
        self.client_id = client_id
        self.reader = SubjectAccessReader(subject_access_policy())
        self.removals: list[Removal] = []
        self.staff = {
            r[0]: r[1]
            for r in session.execute(self.reader.select(StaffUser.id, StaffUser.display_name))
        }
        self.services = {
            r[0]: r[1]
            for r in session.execute(
                self.reader.select(SpecialistService.id, SpecialistService.name)
            )
        }
        people = third_parties.third_parties_for_client(session, by, client_id)
        others = [p for p in people if p.disclosure_consent_on is None]
        # What is looked for in the record's text: everything about those who did not
        # agree, and the whereabouts of those who did.
        self.found = third_parties.Identifiers(
            names=tuple(dict.fromkeys(n for p in others for n in (p.name, *p.aliases))),
            addresses=tuple(dict.fromkeys(a for p in people for a in p.addresses)),
            phones=tuple(dict.fromkeys(x for p in people for x in p.phones)),
            emails=tuple(dict.fromkeys(x for p in people for x in p.emails)),
            vehicles=tuple(dict.fromkeys(x for p in people for x in p.vehicles)),
        )

    def _value(self, table: str, name: str, value: Any) -> tuple[str | None, str]:
        if value is None:
            return None, "text"
        if isinstance(value, bool):
            return ("Yes" if value else "No"), "code"
        if isinstance(value, RiskTool):
            return RISK_TOOL_WORDS[value], "code"
        if isinstance(value, enum.Enum):
            return words(value), "code"
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M UTC"), "time"
        if isinstance(value, date):
            return value.isoformat(), "date"
        if isinstance(value, int):
            target = _target(table, name)
            if target == "staff_user":
                return self.staff.get(value, "A member of staff"), "text"
            if target == "specialist_service":
                return self.services.get(value, "A service"), "text"
            if target is not None:
                return f"{target}:{value}", "reference"
            return str(value), "number"
        if isinstance(value, dict | list):
            return _text_of(value), "text"
        return str(value), "text"

    def _redacted(self, where: str, value: str) -> str:
        text, removed = redact_text(value, self.found)
        for category in removed:
            self.removals.append(
                Removal(
                    where,
                    category.label[:1].upper() + category.label[1:],
                    THIRD_PARTY_REASON
                    if category is TermCategory.THIRD_PARTY_NAME
                    else WHEREABOUTS_REASON,
                    Exemption.THIRD_PARTY,
                )
            )
        return text

    def _item(self, table: str, row: dict[str, Any], extra: Sequence[PackField] = ()) -> PackItem:
        title, dated = ITEM_TITLES[table]
        heading = title
        if table == "disclosure":
            heading = DISCLOSURE_KIND_WORDS[row["kind"]]
        if dated and row.get(dated) is not None:
            when = row[dated]
            heading += f", {long_date(when.date() if isinstance(when, datetime) else when)}"
        fields: list[PackField] = []
        for name, raw in row.items():
            if name == "id" or (name == "client_id" and table != "client"):
                continue
            if table == "disclosure" and name == "payload":
                fields.extend(self._payload_fields(row["kind"], raw))
                continue
            value, kind = self._value(table, name, raw)
            if value is not None and kind == "text" and not _identifying(table, name):
                value = self._redacted(f"{heading}: {_label(name)}", value)
            fields.append(PackField(name, _label(name), value, kind))
        for field in extra:
            value = field.value
            if value is not None and field.kind == "text":
                value = self._redacted(f"{heading}: {field.label}", value)
            fields.append(dataclasses.replace(field, value=value))
        return PackItem(f"{table}:{row['id']}", heading, tuple(fields))

    def _payload_fields(self, kind: DisclosureKind, payload: Any) -> list[PackField]:
        """From a register entry's stored content, what it said that is not elsewhere in
        the pack: a referral letter's reason and detail, the reason for a decision."""
        if not isinstance(payload, dict):
            return []
        if kind is DisclosureKind.REFERRAL_LETTER:
            content = payload.get("content")
            if not isinstance(content, dict):
                return []
            return [
                PackField(
                    "letter_reason",
                    "Reason for referral (letter)",
                    _text_of(content.get("reason", "")),
                ),
                PackField(
                    "letter_clinical_detail",
                    "Clinical detail (letter)",
                    _text_of(content.get("clinical_detail", "")),
                ),
            ]
        if kind in WITHOUT_DOCUMENT and "reason" in payload:
            return [PackField("decision_reason", "Reason", _text_of(payload["reason"]))]
        return []

    def rows(self, table: str, ids: dict[str, list[int]]) -> list[dict[str, Any]]:
        scope, parent = SUBJECT_ACCESS_TABLES[table]
        model = _model(table)
        statement = self.reader.table(table)
        wanted = [self.client_id] if parent is None else ids.get(parent, [])
        if not wanted:
            return []
        statement = statement.where(getattr(model, scope).in_(wanted)).order_by(model.id)
        found = [dict(r._mapping) for r in self.session.execute(statement)]
        ids[table] = [r["id"] for r in found]
        return found

    def build(self) -> tuple[tuple[PackSection, ...], tuple[Removal, ...]]:
        ids: dict[str, list[int]] = {}
        by_table = {table: self.rows(table, ids) for table in SUBJECT_ACCESS_TABLES}
        answers: dict[int, list[str]] = {}
        for r in by_table["measure_response"]:
            shown = "not answered" if r["value"] is None else str(r["value"])
            answers.setdefault(r["administration_id"], []).append(f"item {r['item']}: {shown}")
        scores, titles = self._scores()
        sections: list[PackSection] = []
        for title, tables in SECTIONS:
            items: list[PackItem] = []
            for table in tables:
                for found in by_table[table]:
                    row = found
                    extra: list[PackField] = []
                    if table == "measure_administration":
                        row = {
                            **found,
                            "measure_id": titles.get(row["measure_id"], row["measure_id"]),
                        }
                        extra = [
                            PackField("answers", "Answers", "; ".join(answers.get(row["id"], []))),
                            PackField("score", "Score", scores.get(row["id"])),
                        ]
                    items.append(self._item(table, row, extra))
            sections.append(PackSection(title, tuple(items)))
        sections.append(self._people())
        return tuple(sections), tuple(self.removals)

    def _scores(self) -> tuple[dict[int, str], dict[str, str]]:
        scores: dict[int, str] = {}
        titles: dict[str, str] = {}
        for results in measures.results_for_client(self.session, self.by, self.client_id):
            titles[results.measure_id] = results.title
            for r in results.administrations:
                if r.score is None:
                    scores[r.administration.id] = r.problem or "Not scored"
                else:
                    text = (
                        f"{r.score.total_text} (range {r.score.minimum:g} to {r.score.maximum:g})"
                    )
                    scores[r.administration.id] = text + (
                        f", {r.score.band}" if r.score.band else ""
                    )
        return scores, titles

    def _people(self) -> PackSection:
        """Those who agreed to be named; every other person, and each order protecting
        someone, listed in the redaction log only."""
        items = [
            PackItem(
                f"third_party:{row.id}",
                f"{row.label}",
                (
                    PackField("relation", "Relationship", RELATION_WORDS[row.relation], "code"),
                    PackField("name", "Name", row.name),
                    PackField("aliases", "Other names", "; ".join(_lines(row.aliases)) or None),
                ),
            )
            for row in self.session.execute(self.reader.consented_third_parties(self.client_id))
        ]
        consented = {item.key for item in items}
        labels: dict[int, str] = {}
        for person_id, label, _consent in self.session.execute(
            self.reader.withheld_third_parties(self.client_id)
        ):
            labels[person_id] = label
            if f"third_party:{person_id}" in consented:
                what = (
                    "Their addresses, phone numbers, emails, vehicles and everything else "
                    "recorded about them but their name"
                )
                reason = WHEREABOUTS_REASON
            else:
                what, reason = "Everything recorded about this person", THIRD_PARTY_REASON
            self.removals.append(Removal(label, what, reason, Exemption.THIRD_PARTY))
        counts: dict[int, int] = {}
        for _measure_id, person_id in self.session.execute(
            self.reader.protective_measures(self.client_id)
        ):
            counts[person_id] = counts.get(person_id, 0) + 1
            self.removals.append(
                Removal(
                    f"Protective measure {counts[person_id]} for {labels.get(person_id, '')}",
                    "An order or condition protecting another person",
                    THIRD_PARTY_REASON,
                    Exemption.THIRD_PARTY,
                )
            )
        return PackSection("People named in your record who agreed to be named", tuple(items))


def _fingerprint(sections: tuple[PackSection, ...], removals: tuple[Removal, ...]) -> str:
    probe = SubjectAccessPack(
        prepared_on=date(2000, 1, 1),
        client_name="",
        local_ref="",
        request=RequestFacts(0, date(2000, 1, 1), RequesterKind.CLIENT, "", date(2000, 1, 1), None),
        sections=sections,
        removals=removals,
    )
    data = report.pack_to_json(probe)
    canonical = json.dumps(
        [data["sections"], data["redaction_log"]], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def prepare_pack(
    session: Session, by: StaffRef, request_id: int, *, today: date | None = None
) -> PreparedPack:
    """Everything held about the request's client that may be given to them, with third
    parties taken out and every removal logged; before any serious-harm withholding."""
    request = requests.load_request(session, by, request_id)
    client = get_or_raise(session, Client, request.client_id, "client")
    sections, removals = _Builder(session, by, request.client_id).build()
    pack = SubjectAccessPack(
        prepared_on=today or date.today(),
        client_name=f"{client.given_name} {client.family_name}",
        local_ref=client.local_ref,
        request=RequestFacts(
            request.id,
            request.received_on,
            request.requester_kind,
            request.requester_name,
            request.due_on,
            request.extended_to,
        ),
        sections=sections,
        removals=removals,
    )
    return PreparedPack(request.id, pack, _fingerprint(sections, removals))


# -- the serious-harm review -----------------------------------------------------------------------

HEALTH_PROFESSIONALS: Final = (Role.PSYCHOLOGIST, Role.CLINICIAN)
"""The roles whose holders are registered health professionals (DOMAIN section 1)."""


def _withheld_problems(
    pack: SubjectAccessPack, withheld: Sequence[tuple[str, Exemption]]
) -> list[Problem]:
    items = pack.items()
    problems = []
    seen: set[str] = set()
    for key, _exemption in withheld:
        item_key, _, field = key.partition("/")
        item = items.get(item_key)
        if item is None or (field and field not in {f.name for f in item.fields}):
            problems.append(
                Problem("withheld", f"'{key}' is not an item of this pack; list them to see.")
            )
        elif key in seen:
            problems.append(Problem("withheld", f"'{key}' is listed twice."))
        seen.add(key)
    return problems


def record_review(
    session: Session,
    by: StaffRef,
    request_id: int,
    *,
    decision: HarmDecision,
    rationale: str,
    withheld: Sequence[tuple[str, Exemption]] = (),
    today: date | None = None,
) -> ReviewRow:
    """Record a health professional's serious-harm opinion on the pack as it stands now.

    ``withheld`` names each further item ("session_note:12") or field
    ("session_note:12/agenda") to withhold and the exemption relied on. Refused (nothing
    recorded) for anyone but a psychologist or clinician with access to the record, for a
    completed request, an unknown item, or a decision that does not match the items.
    """
    require_role(by, *HEALTH_PROFESSIONALS, action="record the serious-harm review")
    request = requests.load_request(session, by, request_id)
    requests.require_open(request)
    prepared = prepare_pack(session, by, request_id, today=today)
    check = Checker()
    check.text("rationale", rationale, label="The reasons", required=True, max_length=20_000)
    check.problems.extend(_withheld_problems(prepared.pack, withheld))
    if decision is HarmDecision.RELEASE_IN_FULL and withheld:
        check.add(
            "decision",
            "Release in full withholds nothing: remove the items, or "
            "choose to release with items withheld.",
        )
    if decision is HarmDecision.RELEASE_WITH_ITEMS_WITHHELD and not withheld:
        check.add("withheld", "Name the items to withhold, each with its exemption.")
    check.raise_if_any()
    review = SubjectAccessReview(
        request_id=request.id,
        reviewed_by=by.id,
        decision=decision,
        rationale=rationale.strip(),
        withheld=[{"item": key, "exemption": ex.value} for key, ex in withheld],
        content_sha256=prepared.content_sha256,
    )
    session.add(review)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="subject_access_review",
        entity_id=review.id,
        client_id=request.client_id,
        detail={"decision": decision.value, "withheld": len(withheld)},
    )
    return requests.review_row(review, by.display_name)


def _withhold(pack: SubjectAccessPack, review: ReviewRow) -> SubjectAccessPack:
    """The pack with the review's further items taken out, each logged with its exemption."""
    by_item: dict[str, list[tuple[str, Exemption]]] = {}
    for key, code in review.withheld:
        item_key, _, field = key.partition("/")
        by_item.setdefault(item_key, []).append((field, Exemption(code)))
    removals = list(pack.removals)
    sections = []
    for section in pack.sections:
        kept: list[PackItem] = []
        for item in section.items:
            asked = by_item.get(item.key)
            if not asked:
                kept.append(item)
                continue
            whole = next((ex for field, ex in asked if not field), None)
            if whole is not None:
                removals.append(
                    Removal(item.heading, "The whole entry", _HARM_REASON[whole], whole)
                )
                continue
            fields = dict(asked)
            new_fields = []
            for f in item.fields:
                if f.name in fields:
                    ex = fields[f.name]
                    removals.append(
                        Removal(
                            f"{item.heading}: {f.label}",
                            "This part of the entry",
                            _HARM_REASON[ex],
                            ex,
                        )
                    )
                    new_fields.append(dataclasses.replace(f, value=WITHHELD_MARKER))
                else:
                    new_fields.append(f)
            kept.append(dataclasses.replace(item, fields=tuple(new_fields)))
        sections.append(dataclasses.replace(section, items=tuple(kept)))
    return dataclasses.replace(pack, sections=tuple(sections), removals=tuple(removals))


WITHHELD_MARKER: Final = "[withheld: see the list at the end]"

_HARM_REASON: Final[dict[Exemption, str]] = {
    Exemption.SERIOUS_HARM: "A health professional judged that giving it would be likely to "
    "cause serious harm to someone's physical or mental health.",
    Exemption.THIRD_PARTY: THIRD_PARTY_REASON,
    Exemption.CRIME: "Giving it would be likely to prejudice the prevention or detection of crime.",
    Exemption.LEGAL_PRIVILEGE: "It is covered by legal professional privilege.",
}


# -- release ------------------------------------------------------------------------------------


def release_pack(
    session: Session,
    by: StaffRef,
    request_id: int,
    pdf_out: Path,
    json_out: Path,
    *,
    document_id: str | None = None,
    issued_on: date | None = None,
) -> ReleasedPack:
    """Release the reviewed pack: draw it, register it, write both files on commit.

    Refused, with nothing written or recorded, without a serious-harm review, after a
    decision not to release, or when the record has changed since the review.
    """
    require_role(by, *HEALTH_PROFESSIONALS, action="release a subject access pack")
    request = requests.load_request(session, by, request_id)
    requests.require_open(request)
    row = requests.request_row(session, by, request_id)
    review = row.review
    if review is None:
        raise ValidationError(
            "A health professional must record a serious-harm review of this pack before it "
            "is released.",
            where="review",
        )
    if review.decision is HarmDecision.DO_NOT_RELEASE:
        raise ValidationError(
            "The serious-harm review decided that this pack is not to be released.",
            where="review",
        )
    if Path(pdf_out).resolve() == Path(json_out).resolve():
        raise ValidationError("The PDF and the JSON file need different names.", where="json")
    issued_on = issued_on or date.today()
    prepared = prepare_pack(session, by, request_id, today=issued_on)
    if prepared.content_sha256 != review.content_sha256:
        raise ValidationError(
            "The record has changed since the serious-harm review of "
            f"{long_date(review.reviewed_at)}. A health professional must review the pack "
            "again before it is released.",
            where="review",
        )
    reviewer = session.get(StaffUser, review.reviewed_by)
    pack = dataclasses.replace(
        _withhold(prepared.pack, review),
        review=ReviewFacts(
            review.reviewer_name,
            reviewer.job_title if reviewer is not None else "",
            review.reviewed_at,
            review.decision,
        ),
    )
    frame = report.pack_frame(
        pack, document_id=document_id or disclosures.new_document_id(), issued_on=issued_on
    )
    data = report.render_subject_access(pack, frame)
    json_data = report.render_json(pack, frame)
    sha256 = page_sha256(data)
    json_sha256 = page_sha256(json_data)
    entry = disclosures.record_disclosure(
        session,
        by,
        kind=DisclosureKind.SUBJECT_ACCESS,
        client_id=request.client_id,
        audience=SUBJECT_ACCESS_AUDIENCE,
        recipient_agency=request.requester_name,
        purpose=frame.purpose,
        gateway=None,
        client_informed=True,
        document_sha256=sha256,
        payload=report.payload_of(pack, frame, json_sha256),
        document_id=frame.document_id,
    )
    write_when_committed(session, Path(pdf_out), data)
    write_when_committed(session, Path(json_out), json_data)
    request.completed_at = utcnow()
    request.completed_by = by.id
    request.disclosure_id = entry.id
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="subject_access_request",
        entity_id=request.id,
        client_id=request.client_id,
        detail={"completed": True, "disclosure": entry.id},
    )
    return ReleasedPack(
        entry, Path(pdf_out), Path(json_out), sha256, json_sha256, len(pack.removals)
    )


def page_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


DRAFT_MARKING: Final = "DRAFT FOR THE SERIOUS-HARM REVIEW: NOT FOR RELEASE"


def preview_pack(
    session: Session, by: StaffRef, request_id: int, *, today: date | None = None
) -> bytes:
    """The pack as it stands, drawn for the reviewer and marked as a draft on every page
    (nothing is recorded but the audit event of reading it)."""
    client_id = requests.load_request(session, by, request_id).client_id
    prepared = prepare_pack(session, by, request_id, today=today)
    frame = dataclasses.replace(
        report.pack_frame(prepared.pack, document_id="draft", issued_on=prepared.pack.prepared_on),
        marking=DRAFT_MARKING,
    )
    data = report.render_subject_access(prepared.pack, frame)
    audit.record(
        session,
        audit.Action.VIEW,
        actor_id=by.id,
        entity="subject_access_request",
        entity_id=request_id,
        client_id=client_id,
        detail={"draft": True},
    )
    return data
