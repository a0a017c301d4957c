"""One record with a canary in every clinical and third-party column, for the leak tests.

:func:`build` creates, through the services as a clinician would, a client with a row in
every table that has CLINICAL or THIRD_PARTY columns. While it runs, :func:`canaried`
writes a unique canary string (see :class:`Canaries`) into EVERY text or JSON column of
those classes on every row the services create. The columns are enumerated from the
models' privacy classes, so a new column is covered without touching this file; a new
*table* with such columns needs a row added to :func:`build`
(tests/privacy/test_partner_leaks.py fails until it has one).

Used by tests/privacy/test_partner_leaks.py (the service and command-line paths) and
tests/gui/sharing/test_summaries_leaks.py (the screens), so both search the same record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import JSON, Enum, String, Text, event, inspect
from sqlalchemy.orm import Session

from clinic_app.models import Base, DocumentClass, Privacy, privacy_of
from clinic_app.models.enums import (
    Attendance,
    CancelledBy,
    ConsentToShare,
    CriticalReviewOutcome,
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
    ServiceKind,
    ShareDecisionKind,
    ThirdPartyRelation,
    Typology,
    Urgency,
)
from clinic_app.models.subject_access import HarmDecision, RequesterKind
from clinic_app.services import (
    appointments,
    clients,
    critical_items,
    documents,
    form_drafts,
    measure_definitions,
    measures,
    notes,
    plans,
    referrals,
    risk,
    service_directory,
    subject_access,
    third_parties,
)
from clinic_app.services.common import StaffRef
from clinic_app.services.sharing import disclosures
from clinic_app.services.sharing import subject_access as subject_access_packs
from clinic_app.storage.engine import Database
from tests.conftest import STAFF_PASSWORD

NEVER = (Privacy.CLINICAL, Privacy.THIRD_PARTY)
TODAY = date.today()
START = TODAY - timedelta(days=120)


def _holds_text(column: Any) -> bool:
    """Free text or JSON: a column a canary string can be written into (not coded values)."""
    kind = column.type
    return isinstance(kind, String | Text | JSON) and not isinstance(kind, Enum)


def sensitive_text_columns() -> dict[str, list[str]]:
    """Every CLINICAL or THIRD_PARTY column that can hold a string, by table."""
    found: dict[str, list[str]] = {}
    for mapper in Base.registry.mappers:
        for column in mapper.local_table.columns:
            if privacy_of(column) in NEVER and _holds_text(column):
                found.setdefault(mapper.local_table.name, []).append(column.name)  # type: ignore[attr-defined]
    return found


def sensitive_other_columns() -> set[str]:
    """CLINICAL or THIRD_PARTY columns that cannot hold a canary string (numbers, codes)."""
    return {
        f"{mapper.local_table.name}.{column.name}"  # type: ignore[attr-defined]
        for mapper in Base.registry.mappers
        for column in mapper.local_table.columns
        if privacy_of(column) in NEVER and not _holds_text(column)
    }


@dataclass
class Canaries:
    """The canary written into each sensitive column, and which tables got one."""

    token: str
    values: dict[str, str] = field(default_factory=dict)
    filled: set[str] = field(default_factory=set)

    def value(self, table: str, column: str) -> str:
        key = f"{table}.{column}"
        if key not in self.values:
            self.values[key] = f"Qz{self.token}{len(self.values):03d}x"
        return self.values[key]

    @property
    def pattern(self) -> re.Pattern[str]:
        """Any canary of this record, including ones written after :func:`build`."""
        return re.compile(rf"Qz{re.escape(self.token)}\d{{3}}x")


@contextmanager
def canaried(session: Session, canaries: Canaries) -> Iterator[None]:
    """Fill every sensitive text/JSON column of every new row with its canary at flush."""
    columns = sensitive_text_columns()

    def fill(sess: Session, _context: Any, _instances: Any) -> None:
        for obj in sess.new:
            mapper = inspect(obj).mapper
            table = mapper.local_table.name
            for name in columns.get(table, []):
                column = mapper.local_table.columns[name]
                key = mapper.get_property_by_column(column).key
                canary = canaries.value(table, name)
                if isinstance(column.type, JSON):
                    setattr(obj, key, {"canary": canary, "list": [canary]})
                else:
                    setattr(obj, key, canary)
                canaries.filled.add(table)

    event.listen(session, "before_flush", fill)
    try:
        yield
    finally:
        event.remove(session, "before_flush", fill)


@dataclass(frozen=True)
class Identity:
    given_name: str
    family_name: str
    date_of_birth: date
    nhs_number: str
    local_ref: str
    police_ref: str
    address: str

    def forms(self, column: str) -> list[str]:
        """How a value could appear in a document."""
        if column == "date_of_birth":
            d = self.date_of_birth
            return [d.isoformat(), f"{d.day} {d:%B %Y}", f"{d:%d/%m/%Y}"]
        if column == "nhs_number":
            n = self.nhs_number
            return [n, f"{n[:3]} {n[3:6]} {n[6:]}"]
        return [getattr(self, column)]


@dataclass
class Record:
    client_id: int
    urgent_event: int
    identity: Identity
    canaries: Canaries


def build(
    db: Database,
    me: StaffRef,
    other: StaffRef,
    admin: StaffRef,
    identity: Identity,
    canaries: Canaries,
    texts: list[str],
    sessions: int,
) -> Record:
    """A client with a row in every table that has sensitive columns.

    ``texts`` are the four shareable texts, written by the clinician for partners: the risk
    assessment's shareable summary, a goal's partner wording, every session's partner
    update and the urgent risk event's shareable statement. ``other`` is not assigned to
    the client and opens the record in an emergency.
    """
    with db.transaction() as s, canaried(s, canaries):
        cid = clients.register_client(
            s,
            me,
            clients.ClientDetails(
                local_ref=identity.local_ref,
                given_name=identity.given_name,
                family_name=identity.family_name,
                date_of_birth=identity.date_of_birth,
                site="North",
                referral_date=START - timedelta(days=5),
                nhs_number=identity.nhs_number,
                police_ref=identity.police_ref,
                address=identity.address,
                sharing_notes="x",
                consent_to_share=ConsentToShare.GIVEN,
            ),
        ).id
        victim = third_parties.add_third_party(
            s,
            me,
            cid,
            third_parties.ThirdPartyInput(
                relation=ThirdPartyRelation.VICTIM, name="x", details="x"
            ),
        )
        third_parties.add_protective_measure(
            s,
            me,
            victim.id,
            third_parties.ProtectiveMeasureInput(
                kind=ProtectiveMeasureKind.STALKING_PROTECTION_ORDER,
                starts_on=START,
                ends_on=TODAY + timedelta(days=365),
                forbids="x",
            ),
        )
        clients.set_typology(s, me, cid, Typology.REJECTED, rationale="x", assessed_on=START)
        clients.record_risk_assessment(
            s,
            me,
            cid,
            tool=RiskTool.SAM,
            tool_version="1",
            assessed_on=START,
            judgements={"nature": "low"},
            rationale="x",
            shareable_summary=texts[0],
        )
        plan = plans.create_plan(
            s,
            me,
            cid,
            plans.PlanInput(
                status=PlanStatus.ACTIVE,
                phase=Phase.INTERVENTION,
                formulation="x",
                change_note="x",
                next_review_on=TODAY + timedelta(days=20),
                goals=(
                    plans.GoalInput("x", texts[1], involves_victim=True, victim_review_note="x"),
                ),
                interventions=(plans.InterventionInput(kind=InterventionKind.CBT, detail="x"),),
            ),
        )
        key = plan.goals[0].goal_key
        plans.rate_goal(s, me, plan.plan_id, key, rating=5, rated_on=START, comment="x")
        plans.record_review(s, me, plan.plan_id, due_on=START, held_on=START, outcome="x")
        note_ids = []
        attendance = list(Attendance)
        for i in range(sessions):
            row = notes.create_draft(
                s,
                me,
                cid,
                notes.NoteContent(
                    session_date=START + timedelta(days=i),
                    duration_minutes=45,
                    modality=Modality.IN_PERSON,
                    attendance=attendance[i % len(attendance)],
                    engagement=Engagement.GOOD,
                    risk_checkin="x",
                    agenda="x",
                    intervention_content="x",
                    homework="x",
                    risk_rerating="x",
                    actions="x",
                    partner_update=texts[2],
                ),
            )
            note_ids.append(row.id)
        notes.sign_note(s, me, note_ids[0], password=STAFF_PASSWORD)
        notes.add_addendum(s, me, note_ids[0], reason="x", text="x", password=STAFF_PASSWORD)
        # An update, not a new row, so the flush hook does not reach it: written here.
        reason = canaries.value("session_note", "entered_in_error_reason")
        notes.mark_entered_in_error(s, me, note_ids[-1], reason=reason)
        notes.autosave(s, me, cid, {"agenda": "x"})
        # Appointments without notes: one attended, one cancelled with a reason.
        for day_offset, cancelled in ((3, False), (4, True)):
            [booked] = appointments.book(
                s,
                me,
                cid,
                day=START + timedelta(days=day_offset),
                start_time=time(10, 0),
                duration_minutes=50,
                modality=Modality.IN_PERSON,
                place="Room 2",
                allow_overlap=True,  # each example's client is booked at the same time
                today=START,
            )
            if cancelled:
                appointments.cancel(
                    s,
                    me,
                    booked.id,
                    cancelled_by=CancelledBy.CLIENT,
                    reason=canaries.value("appointment", "cancel_reason"),
                )
            else:
                appointments.mark_attended(s, me, booked.id)
        # A document received from the police: its title, sender and file name get their
        # canaries from the hook; its content (bytes, which the hook does not reach) is a
        # plain text file holding a canary of its own.
        documents.add_document(
            s,
            me,
            cid,
            documents.DocumentDetails(
                title="x",
                received_from="x",
                received_on=START,
                document_class=DocumentClass.THIRD_PARTY,
            ),
            file_name="report.txt",
            content=canaries.value("received_document", "content").encode(),
        )
        form_drafts.keep_open_forms(
            s, me, [form_drafts.OpenForm(cid, "Plan", "plan", {}, {"x": "x"})]
        )
        urgent = risk.record_risk_event(
            s,
            me,
            cid,
            kind=RiskEventKind.CONTACT_WITH_VICTIM,
            urgency=Urgency.URGENT,
            occurred_on=START + timedelta(days=1),
            detail="x",
            shareable_statement=texts[3],
        )
        risk.record_share_decision(
            s,
            me,
            urgent.id,
            decision=ShareDecisionKind.SHARED,
            reason="x",
            gateway=Gateway.CDA_S115,
            shared_with="Police",
            client_informed=True,
        )
        service_ids = [svc.id for svc in service_directory.service_directory(s, me)]
        if not service_ids:
            service_ids = [
                service_directory.add_service(
                    s, admin, name="Leak test service", kind=ServiceKind.FORENSIC
                ).id
            ]
        ref = referrals.create_referral(
            s,
            me,
            cid,
            service_id=service_ids[0],
            reason="x",
            clinical_detail="x",
            urgency=ReferralUrgency.ROUTINE,
            fact_shareable=True,
            share_gateway=Gateway.CONSENT,
            created_on=START,
        )
        referrals.change_status(s, me, ref.id, ReferralStatus.SENT, on=START, note="x")
        phq9 = next(d for d in measure_definitions.available_measures(s, me) if d.id == "phq-9")
        given = [
            measures.record_administration(
                s,
                me,
                cid,
                measure_id="phq-9",
                measure_version=phq9.version,
                administered_on=day,
                answers=dict.fromkeys(range(1, 10), value),
                mode=MeasureMode.CLINICIAN_ENTRY,
            )
            for day, value in ((START, 3), (TODAY, 0))
        ]
        critical_items.review_critical_answers(  # item 9 answered 3 on the first
            s, me, given[0].id, outcome=CriticalReviewOutcome.NO_FURTHER_ACTION, reason="x"
        )
        disclosures.record_decision_not_to_share(
            s,
            me,
            cid,
            audience="police",
            recipient_agency="Police",
            purpose="Asked for an update",
            reason="x",
            client_informed=False,
            client_not_informed_reason="x",
        )
        # A subject access request with its serious-harm review (the reasons are clinical).
        request = subject_access.register_request(
            s,
            me,
            cid,
            received_on=TODAY,
            requester_kind=RequesterKind.CLIENT,
            requester_name=identity.given_name,
            identity_method="Passport seen",
            identity_checked_on=TODAY,
        )
        subject_access_packs.record_review(
            s, me, request.id, decision=HarmDecision.RELEASE_IN_FULL, rationale="x"
        )
    with db.transaction() as s, canaried(s, canaries):
        # ``other`` is not assigned to the client: an emergency-access row with its reason.
        clients.grant_emergency_access(s, other, cid, "Urgent call from the police")
    return Record(cid, urgent.id, identity, canaries)
