"""The record's own rules: every problem of a schema-valid document, at its JSON path."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app import schema_words
from clinic_app.errors import Problem, ValidationError
from clinic_app.measures.scoring import check_answers
from clinic_app.models import (
    Disclosure,
    SessionNote,
    SpecialistService,
    StaffUser,
)
from clinic_app.models.enums import (
    Attendance,
    CriticalReviewOutcome,
    PlanStatus,
    ProtectiveMeasureKind,
    ReferralStatus,
    Role,
    ServiceKind,
    ShareDecisionKind,
)
from clinic_app.services import third_parties
from clinic_app.services.clients import ClientDetails, check_details
from clinic_app.services.interchange.fields import (
    ADDENDUM,
    ADMINISTRATION,
    ASSIGNMENT,
    CLIENT,
    CRITICAL_REVIEW,
    DECISION,
    DISCLOSURE,
    ENTRY_LISTS,
    GOAL,
    INTERVENTION,
    NOTE,
    NOTE_CONTENT,
    PLAN,
    PROGRESS,
    PROTECTIVE_MEASURE,
    REFERRAL,
    REVIEW,
    REVISION,
    RISK_ASSESSMENT,
    RISK_EVENT,
    STATUS_CHANGE,
    THIRD_PARTY,
    TYPOLOGY,
    Field,
    from_json,
    json_path,
    parse_timestamp,
    third_party_input,
)
from clinic_app.services.interchange.schema import check_schema
from clinic_app.services.interchange.versions import upgraded
from clinic_app.services.measure_definitions import MEASURE_ID, known_definition
from clinic_app.services.notes import addendum_seal_version, content_of, note_seal_version
from clinic_app.services.referrals import TRANSITIONS
from clinic_app.services.validation import date_problem, text_problem

T = TypeVar("T")


def _real_date(value: str | None) -> date | None:
    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        return None


def _real_time(value: str | None) -> datetime | None:
    try:
        return None if value is None else parse_timestamp(value)
    except ValueError:
        return None


def _note_content(n: dict[str, Any]) -> SessionNote:
    """A note outside any session holding a document note's signed content."""
    return SessionNote(**from_json(n, NOTE_CONTENT, {}))


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
            yield json_path("$", array, i), item

    def fields(self, where: str, item: dict[str, Any], fields: Sequence[Field]) -> None:
        """The checks every field of its kind gets: text, dates, timestamps, usernames."""
        for f in fields:
            value = item[f.key]
            at = json_path(where, f.key)
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
            self.fields(where, t, TYPOLOGY)
        for where, r in self.each("risk_assessments"):
            self.fields(where, r, RISK_ASSESSMENT)
            for domain in r["judgements"]:
                self.add(
                    json_path(where, "judgements", domain),
                    text_problem(domain, label="A judgement's name", required=True, max_length=120),
                )
        labels: set[str] = set()
        for where, p in self.each("third_parties"):
            self.third_party(where, p)
            if p["label"] in labels:
                self.add(json_path(where, "label"), f"The label '{p['label']}' is used twice.")
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
                self.add(json_path(where, "measure_id"), "That is not a valid measure identifier.")
        self.critical_reviews()
        self.disclosures()
        return self.problems

    def service_rules(self, where: str, check: Callable[[T], None], data: T) -> None:
        """The problems a service's own check of an input finds, at their JSON paths."""
        try:
            check(data)
        except ValidationError as refused:
            for problem in refused.problems:
                at = json_path(where, problem.where) if problem.where else where
                self.add(at, problem.message)

    def third_party(self, where: str, p: dict[str, Any]) -> None:
        self.fields(where, p, THIRD_PARTY)
        for key in ENTRY_LISTS:
            if any("\n" in entry or "\r" in entry for entry in p[key]):
                self.add(json_path(where, key), "Give each entry on its own, without line breaks.")
        person = third_party_input(p)
        self.service_rules(where, third_parties.check_third_party, person)
        for j, m in enumerate(p["protective_measures"]):
            at = json_path(where, "protective_measures", j)
            self.fields(at, m, PROTECTIVE_MEASURE)
            starts, ends = _real_date(m["starts_on"]), _real_date(m["ends_on"])
            if starts is None or (m["ends_on"] is not None and ends is None):
                continue  # the impossible date is reported where it is
            measure = third_parties.ProtectiveMeasureInput(
                ProtectiveMeasureKind(m["kind"]), starts, m["forbids"], ends, m["reference"]
            )
            self.service_rules(at, third_parties.check_protective_measure, measure)
            revoked = _real_date(m["revoked_on"])
            if revoked is not None and revoked < starts:
                self.add(
                    json_path(at, "revoked_on"), "A measure cannot be revoked before it started."
                )

    def critical_reviews(self) -> None:
        reviewed: set[int] = set()
        for where, r in self.each("critical_item_reviews"):
            self.fields(where, r, CRITICAL_REVIEW)
            index = r["administration_index"]
            self.index(
                json_path(where, "administration_index"),
                index,
                "measure_administrations",
                "measure administration",
            )
            if index in reviewed:
                self.add(
                    json_path(where, "administration_index"),
                    "These answers are reviewed twice; an administration is reviewed once.",
                )
            reviewed.add(index)
            event = json_path(where, "risk_event_index")
            self.index(event, r["risk_event_index"], "risk_events", "risk event")
            if r["outcome"] == CriticalReviewOutcome.RISK_EVENT_RECORDED.value:
                if r["risk_event_index"] is None:
                    self.add(event, "Give the risk event recorded for these answers.")
            elif r["risk_event_index"] is not None:
                self.add(event, "A review with no further action names no risk event.")

    def client(self) -> None:
        c = self.doc["client"]
        self.fields("$.client", c, CLIENT)
        born, referred = _real_date(c["date_of_birth"]), _real_date(c["referral_date"])
        if born is None or referred is None:
            return  # check_details needs real dates; the problem is reported already
        values = from_json(c, [f for f in CLIENT if f.kind != "time"], {})
        values["nhs_number"] = c["nhs_number"] or ""
        for problem in check_details(self.session, ClientDetails(**values), today=self.today):
            self.add(json_path("$.client", problem.where), problem.message)

    def assignments(self) -> None:
        current: set[str] = set()
        for where, a in self.each("assignments"):
            self.fields(where, a, ASSIGNMENT)
            start, end = _real_time(a["assigned_at"]), _real_time(a["ended_at"])
            if start is not None and end is not None and end < start:
                self.add(json_path(where, "ended_at"), "An assignment cannot end before it began.")
            if a["ended_at"] is not None:
                continue
            if a["staff"] in current:
                self.add(json_path(where, "staff"), "This person is assigned twice.")
            current.add(a["staff"])
            role = self.roles.get(a["staff"])
            if role is not None and not role.is_clinical:
                self.add(
                    json_path(where, "staff"),
                    f"'{a['staff']}' is an administrator's account here; clients can only be "
                    "assigned to clinical staff.",
                )

    def plan(self, where: str, plan: dict[str, Any]) -> set[str]:
        """Check one plan; returns the keys of the goals in any of its revisions."""
        self.fields(where, plan, PLAN)
        keys: set[str] = set()
        numbers: set[int] = set()
        for i, r in enumerate(plan["revisions"]):
            at = json_path(where, "revisions", i)
            self.fields(at, r, REVISION)
            if r["number"] in numbers:
                self.add(json_path(at, "number"), f"Revision {r['number']} appears twice.")
            numbers.add(r["number"])
            if r["status"] == PlanStatus.ACTIVE.value and not r["goals"]:
                self.add(json_path(at, "goals"), "An active plan needs at least one goal.")
            in_revision: set[str] = set()
            for j, g in enumerate(r["goals"]):
                self.fields(json_path(at, "goals", j), g, GOAL)
                if g["goal_key"] in in_revision:
                    self.add(
                        json_path(at, "goals", j, "goal_key"),
                        "The same goal appears twice in this revision.",
                    )
                in_revision.add(g["goal_key"])
            keys |= in_revision
            for j, item in enumerate(r["interventions"]):
                self.fields(json_path(at, "interventions", j), item, INTERVENTION)
        for i, g in enumerate(plan["goal_progress"]):
            at = json_path(where, "goal_progress", i)
            self.fields(at, g, PROGRESS)
            if g["goal_key"] not in keys:
                self.add(json_path(at, "goal_key"), "This goal is not part of this plan.")
        for i, v in enumerate(plan["reviews"]):
            self.fields(json_path(where, "reviews", i), v, REVIEW)
        return keys

    def note(self, where: str, n: dict[str, Any], goal_keys: set[str]) -> None:
        self.fields(where, n, NOTE)
        if (
            n["attendance"] in (Attendance.ATTENDED.value, Attendance.LATE.value)
            and not (n["duration_minutes"])
        ):
            self.add(
                json_path(where, "duration_minutes"),
                "Give the length of a session the client attended.",
            )
        if n["plan_goal_key"] is not None and n["plan_goal_key"] not in goal_keys:
            self.add(
                json_path(where, "plan_goal_key"),
                "This goal is not part of any plan in this record.",
            )
        signature = (n["signed_at"], n["signed_by"], n["content_sha256"])
        if n["signed_at"] is not None and n["content_sha256"] is None:
            self.add(
                json_path(where, "content_sha256"),
                "A signed note must carry its content hash, so its signature can be checked.",
            )
        elif None in signature and any(v is not None for v in signature):
            self.add(
                json_path(where, "signed_at"),
                "signed_at, signed_by and content_sha256 go together: give all three for a "
                "signed note, or none for a draft.",
            )
        elif n["content_sha256"] is not None and not _note_seal_matches(n):
            self.add(
                json_path(where, "content_sha256"),
                "The note's content, author, signer or signing time does not match its "
                "signature: it was changed after signing. Import the record as it was "
                "exported.",
            )
        elif n["signed_by"] is not None and n["signed_by"] != n["author"]:
            # A version 1 seal does not cover the signer; the rule that only the author
            # signs does.
            self.add(
                json_path(where, "signed_by"),
                "A note is signed by its author, but this one names someone else as the "
                "signer. Import the record as it was exported.",
            )
        if (n["entered_in_error_at"] is None) != (n["entered_in_error_by"] is None):
            self.add(
                json_path(where, "entered_in_error_at"),
                "entered_in_error_at and entered_in_error_by go together: give both for a "
                "note marked as entered in error, or neither.",
            )
        if n["signed_at"] is None and n["addenda"]:
            self.add(json_path(where, "addenda"), "Only a signed note can have addenda.")
        for j, a in enumerate(n["addenda"]):
            at = json_path(where, "addenda", j)
            self.fields(at, a, ADDENDUM)
            if n["content_sha256"] is not None and not _addendum_seal_matches(
                n["content_sha256"], a
            ):
                self.add(
                    json_path(at, "content_sha256"),
                    "The addendum does not match its signature: it was changed after signing. "
                    "Import the record as it was exported.",
                )

    def risk_event(self, where: str, e: dict[str, Any]) -> None:
        self.fields(where, e, RISK_EVENT)
        self.index(json_path(where, "session_index"), e["session_index"], "sessions", "session")
        for j, d in enumerate(e["share_decisions"]):
            at = json_path(where, "share_decisions", j)
            self.fields(at, d, DECISION)
            if d["decision"] != ShareDecisionKind.SHARED.value:
                continue
            if d["gateway"] is None:
                self.add(json_path(at, "gateway"), "A decision to share needs the legal gateway.")
            if not e["shareable_statement"].strip():
                self.add(
                    json_path(where, "shareable_statement"),
                    "An event that was shared needs its shareable statement.",
                )

    def referral(self, where: str, r: dict[str, Any]) -> None:
        name, kind = r["service"]["name"], r["service"]["kind"]
        listed = self.services.get(name)
        if listed is None:
            self.add(
                json_path(where, "service", "name"),
                f"There is no specialist service named '{name}' in this database's directory. "
                "Ask an administrator or psychologist to add it, then import again.",
            )
        elif listed.value != kind:
            self.add(
                json_path(where, "service", "kind"),
                f"The service '{name}' is listed here as {listed.value.replace('_', ' ')}, "
                f"not {kind.replace('_', ' ')}.",
            )
        self.fields(where, r, REFERRAL)
        if r["fact_shareable"] and r["share_gateway"] is None:
            self.add(
                json_path(where, "share_gateway"),
                "Record the consent or gateway that allows the referral to be mentioned.",
            )
        created = _real_date(r["created_on"])
        reached: str | None = None
        for j, c in enumerate(r["status_history"]):
            at = json_path(where, "status_history", j)
            self.fields(at, c, STATUS_CHANGE)
            if c["from_status"] != reached:
                start = "null, for the first step" if reached is None else reached
                self.add(
                    json_path(at, "from_status"),
                    f"Each step must start from the status the one before reached ({start}).",
                )
            elif reached is not None and (
                ReferralStatus(c["to_status"]) not in TRANSITIONS[ReferralStatus(reached)]
            ):
                self.add(
                    json_path(at, "to_status"),
                    f"A referral that is {reached.replace('_', ' ')} cannot become "
                    f"{c['to_status'].replace('_', ' ')}.",
                )
            reached = c["to_status"]
            changed = _real_date(c["changed_on"])
            if created is not None and changed is not None and changed < created:
                self.add(
                    json_path(at, "changed_on"),
                    "A status cannot change before the referral was made.",
                )
        if reached is not None and reached != r["status"]:
            self.add(
                json_path(where, "status"),
                f"The status is {r['status'].replace('_', ' ')}, but the history ends at "
                f"{reached.replace('_', ' ')}.",
            )

    def administration(self, where: str, a: dict[str, Any]) -> None:
        if not MEASURE_ID.match(a["measure_id"]):
            self.add(json_path(where, "measure_id"), "That is not a valid measure identifier.")
        self.fields(where, a, ADMINISTRATION)
        self.index(json_path(where, "session_index"), a["session_index"], "sessions", "session")
        items: set[int] = set()
        for j, response in enumerate(a["responses"]):
            if response["item"] in items:
                self.add(
                    json_path(where, "responses", j, "item"),
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
                    self.add(json_path(where, "responses"), problem.message)

    def disclosures(self) -> None:
        seen: set[str] = set()
        for where, d in self.each("disclosures"):
            if d["document_id"] in seen:
                self.add(json_path(where, "document_id"), "This document ID appears twice.")
            seen.add(d["document_id"])
            if self.session.scalar(
                select(Disclosure.id).where(Disclosure.document_id == d["document_id"])
            ):
                self.add(
                    json_path(where, "document_id"),
                    "A disclosure with this document ID is already recorded in this database.",
                )
            self.index(
                json_path(where, "risk_event_index"),
                d["risk_event_index"],
                "risk_events",
                "risk event",
            )
            self.index(
                json_path(where, "referral_index"), d["referral_index"], "referrals", "referral"
            )
            self.fields(where, d, DISCLOSURE)
            start, end = _real_date(d["period_from"]), _real_date(d["period_to"])
            if start is not None and end is not None and end < start:
                self.add(json_path(where, "period_to"), "The period cannot end before it starts.")


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
    document = upgraded(document)
    problems = check_schema(document)
    if problems or not isinstance(document, dict):
        return problems
    return _Checks(session, document, today or date.today()).run()
