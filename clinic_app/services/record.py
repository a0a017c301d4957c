"""Opening a client's whole record at once, as the record screen and exports need it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.models import Client, RiskAssessment, ThirdParty, TypologyAssessment
from clinic_app.models.enums import RiskTool, ThirdPartyRelation, Typology
from clinic_app.services import audit, measures, notes, plans, referrals, risk
from clinic_app.services.access import require_clinical_access
from clinic_app.services.clients import ClientSummary, summary_of
from clinic_app.services.common import StaffRef, get_or_raise


@dataclass(frozen=True)
class TypologyRow:
    typology: Typology
    rationale: str
    assessed_on: date
    assessed_by: int


@dataclass(frozen=True)
class RiskAssessmentRow:
    id: int
    tool: RiskTool
    tool_name: str
    tool_version: str
    assessed_on: date
    judgements: tuple[tuple[str, str], ...]
    rationale: str
    shareable_summary: str


@dataclass(frozen=True)
class ThirdPartyRow:
    label: str
    relation: ThirdPartyRelation
    name: str
    details: str


@dataclass(frozen=True)
class ClientRecord:
    """Everything in one client's record, as plain values."""

    client: ClientSummary
    typologies: tuple[TypologyRow, ...]
    risk_assessments: tuple[RiskAssessmentRow, ...]
    third_parties: tuple[ThirdPartyRow, ...]
    plans: tuple[plans.RevisionRow, ...]
    notes: tuple[notes.NoteRow, ...]
    risk_events: tuple[risk.RiskEventRow, ...]
    referrals: tuple[referrals.ReferralRow, ...]
    measures: tuple[measures.AdministrationRow, ...]

    @property
    def current_typology(self) -> Typology | None:
        return self.typologies[-1].typology if self.typologies else None


def open_record(session: Session, by: StaffRef, client_id: int) -> ClientRecord:
    """Open a client's whole record: the view is audited."""
    open_client(session, by, client_id)
    return read_record(session, by, client_id)


def open_client(session: Session, by: StaffRef, client_id: int) -> ClientSummary:
    """Open a client's record (the audited view) and return its header.

    The record screen calls this once; its tabs then read their own parts.
    """
    require_clinical_access(session, by, client_id)
    client = get_or_raise(session, Client, client_id, "client")
    audit.record(
        session,
        audit.Action.VIEW,
        actor_id=by.id,
        entity="client",
        entity_id=client_id,
        client_id=client_id,
    )
    return summary_of(client)


def read_record(session: Session, by: StaffRef, client_id: int) -> ClientRecord:
    """Read again a record the user already has open (a screen refreshing itself).

    Opening a record is audited once, by :func:`open_record`; a refresh after a change
    is part of that same view and is not audited again.
    """
    require_clinical_access(session, by, client_id)
    client = get_or_raise(session, Client, client_id, "client")
    typologies = tuple(
        TypologyRow(t.typology, t.rationale, t.assessed_on, t.assessed_by)
        for t in session.scalars(
            select(TypologyAssessment)
            .where(TypologyAssessment.client_id == client_id)
            .order_by(TypologyAssessment.assessed_on, TypologyAssessment.id)
        )
    )
    assessments = tuple(
        RiskAssessmentRow(
            a.id,
            a.tool,
            a.tool_name,
            a.tool_version,
            a.assessed_on,
            tuple(sorted((str(k), str(v)) for k, v in a.judgements.items())),
            a.rationale,
            a.shareable_summary,
        )
        for a in session.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.client_id == client_id)
            .order_by(RiskAssessment.assessed_on, RiskAssessment.id)
        )
    )
    people = tuple(
        ThirdPartyRow(p.label, p.relation, p.name, p.details)
        for p in session.scalars(
            select(ThirdParty).where(ThirdParty.client_id == client_id).order_by(ThirdParty.id)
        )
    )
    record = ClientRecord(
        client=summary_of(client),
        typologies=typologies,
        risk_assessments=assessments,
        third_parties=people,
        plans=tuple(plans.plans_for_client(session, by, client_id)),
        notes=tuple(notes.notes_for_client(session, by, client_id)),
        risk_events=tuple(risk.events_for_client(session, by, client_id)),
        referrals=tuple(referrals.referrals_for_client(session, by, client_id)),
        measures=tuple(measures.administrations_for_client(session, by, client_id)),
    )
    return record
