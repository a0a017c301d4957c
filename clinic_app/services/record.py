"""Opening a client's whole record at once, as the record screen and exports need it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from clinic_app.models import (
    Referral,
    RiskAssessment,
    RiskEvent,
    SessionNote,
    ThirdParty,
    TypologyAssessment,
)
from clinic_app.models.enums import (
    Attendance,
    ReferralStatus,
    RiskTool,
    ThirdPartyRelation,
    Typology,
)
from clinic_app.services import (
    audit,
    clients,
    measures,
    notes,
    plans,
    referrals,
    risk,
    third_parties,
)
from clinic_app.services.access import client_with, require_clinical_access
from clinic_app.services.clients import ClientDetails, ClientSummary, TeamRow, summary_of
from clinic_app.services.common import StaffRef
from clinic_app.services.third_parties import Protection


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


@dataclass(frozen=True)
class RecordCounts:
    """The counts at a glance on the record's Overview."""

    attended: int
    """Sessions attended (late counts as attended); notes entered in error do not count."""
    did_not_attend: int
    open_referrals: int
    """Referrals neither closed nor declined."""
    urgent_awaiting_decision: int
    """Urgent risk events still waiting for a decision on sharing."""


@dataclass(frozen=True)
class RecordOverview:
    """What the record's Overview shows, read in one unit of work without the long lists."""

    details: ClientDetails
    version: int
    team: tuple[TeamRow, ...]
    typologies: tuple[TypologyRow, ...]
    risk_assessments: tuple[RiskAssessmentRow, ...]
    counts: RecordCounts

    @property
    def current_typology(self) -> Typology | None:
        return self.typologies[-1].typology if self.typologies else None


ATTENDED = (Attendance.ATTENDED, Attendance.LATE)
CLOSED_REFERRAL = (ReferralStatus.CLOSED, ReferralStatus.DECLINED)


def overview(session: Session, by: StaffRef, client_id: int) -> RecordOverview:
    """The record's Overview: identity, team, typologies, risk assessments and counts.

    The first thing a user waits for when a record opens, so it is read in few
    statements (at a site each is a round trip): the access is checked once, and the
    counts are counted by the database in one statement. The sessions, referrals and
    risk events themselves are read by their own tabs when those are shown.
    """
    require_clinical_access(session, by, client_id)
    return overview_read(session, client_id)


def overview_read(
    session: Session,
    client_id: int,
    *,
    team: Sequence[TeamRow] | None = None,
    counts: RecordCounts | None = None,
) -> RecordOverview:
    """:func:`overview` for a use case that has checked the user's access itself (and may
    have read the team or the counts already)."""
    details, version = clients.details_read(session, client_id)
    return RecordOverview(
        details=details,
        version=version,
        team=tuple(clients.team_read(session, client_id) if team is None else team),
        typologies=_typologies(session, client_id),
        risk_assessments=_risk_assessments(session, client_id),
        counts=_counts(session, client_id) if counts is None else counts,
    )


def _counts(session: Session, client_id: int) -> RecordCounts:
    """Every count of the Overview in one statement."""
    return _counts_of(session.execute(select(*_counted(client_id))).one())


def _counted(client_id: int, *, undecided: bool = True) -> tuple[ScalarSelect[int], ...]:
    """The Overview's counts, as scalar subqueries the database counts; without the urgent
    events awaiting a decision when the caller reads those events themselves."""

    def notes_with(*attendance: Attendance) -> ScalarSelect[int]:
        return (
            select(func.count())
            .select_from(SessionNote)
            .where(
                SessionNote.client_id == client_id,
                SessionNote.entered_in_error_at.is_(None),
                SessionNote.attendance.in_(attendance),
            )
            .scalar_subquery()
        )

    open_referrals = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.client_id == client_id, Referral.status.not_in(CLOSED_REFERRAL))
        .scalar_subquery()
    )
    counted = (notes_with(*ATTENDED), notes_with(Attendance.DID_NOT_ATTEND), open_referrals)
    if not undecided:
        return counted
    awaiting = (
        select(func.count())
        .select_from(RiskEvent)
        .where(risk.urgent_undecided(client_id))
        .scalar_subquery()
    )
    return (*counted, awaiting)


def _counts_of(values: Sequence[int], *, undecided: int | None = None) -> RecordCounts:
    """The counts from :func:`_counted`'s values (``undecided`` when it was left out)."""
    attended, did_not_attend, open_referrals, *rest = values
    if undecided is None:
        undecided = rest[0]
    return RecordCounts(
        attended=attended,
        did_not_attend=did_not_attend,
        open_referrals=open_referrals,
        urgent_awaiting_decision=undecided,
    )


def _typologies(session: Session, client_id: int) -> tuple[TypologyRow, ...]:
    return tuple(
        TypologyRow(t.typology, t.rationale, t.assessed_on, t.assessed_by)
        for t in session.scalars(
            select(TypologyAssessment)
            .where(TypologyAssessment.client_id == client_id)
            .order_by(TypologyAssessment.assessed_on, TypologyAssessment.id)
        )
    )


def _risk_assessments(session: Session, client_id: int) -> tuple[RiskAssessmentRow, ...]:
    return tuple(
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


def open_record(session: Session, by: StaffRef, client_id: int) -> ClientRecord:
    """Open a client's whole record: the view is audited, last (as :func:`opening` does),
    once the access is checked and the record read."""
    whole = read_record(session, by, client_id)
    _audit_view(session, by, client_id)
    return whole


@dataclass(frozen=True)
class RecordOpening:
    """What opening a record reads before its first tab can be shown, in one unit of work."""

    client: ClientSummary
    staff_names: dict[int, str]
    """Every account's name by id, for the tabs to say who wrote or decided something."""
    overview: RecordOverview
    protection: Protection
    urgent: tuple[risk.RiskEventRow, ...]
    """Urgent risk events still waiting for a decision on sharing (the record's banner)."""


def opening(session: Session, by: StaffRef, client_id: int, today: date) -> RecordOpening:
    """Open a client's record (the audited view) with what its first tab and banner show.

    One unit of work with the access checked once: at a site each statement, and each
    unit's start and end, is a round trip across the trust's network, and the user is
    waiting. The other tabs read their own parts when first shown.
    """
    # The client is kept (the Overview reads it again), with its counts when the access
    # was asked in the same statement; the urgent events awaiting a decision are counted
    # from the banner's own list of them.
    client, read = client_with(session, by, client_id, *_counted(client_id, undecided=False))
    names, team = clients.names_and_team_read(session, client_id)
    urgent = tuple(risk.urgent_read(session, client_id))
    counts = None if read is None else _counts_of(tuple(read)[2:], undecided=len(urgent))
    opened = RecordOpening(
        client=summary_of(client),
        staff_names=names,
        overview=overview_read(session, client_id, team=team, counts=counts),
        protection=third_parties.protection_read(session, client_id, today),
        urgent=urgent,
    )
    # The view is audited last: at a site the audit trail's lock is held from the append
    # to the end of the unit of work, and every other audited action waits for it.
    _audit_view(session, by, client_id)
    return opened


def open_client(session: Session, by: StaffRef, client_id: int) -> ClientSummary:
    """Open a client's record (the audited view) and return its header.

    The record screen calls this once; its tabs then read their own parts.
    """
    client = client_with(session, by, client_id)[0]
    _audit_view(session, by, client_id)
    return summary_of(client)


def _audit_view(session: Session, by: StaffRef, client_id: int) -> None:
    audit.record(
        session,
        audit.Action.VIEW,
        actor_id=by.id,
        entity="client",
        entity_id=client_id,
        client_id=client_id,
    )


def read_record(session: Session, by: StaffRef, client_id: int) -> ClientRecord:
    """Read again a record the user already has open (a screen refreshing itself).

    Opening a record is audited once, by :func:`open_record`; a refresh after a change
    is part of that same view and is not audited again. The access is checked once, for
    every part (at a site each statement is a round trip).
    """
    client = client_with(session, by, client_id)[0]
    typologies = _typologies(session, client_id)
    assessments = _risk_assessments(session, client_id)
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
        plans=tuple(plans.plans_read(session, client_id)),
        notes=tuple(notes.notes_read(session, client_id)),
        risk_events=tuple(risk.events_read(session, client_id)),
        referrals=tuple(referrals.referrals_read(session, client_id)),
        measures=tuple(measures.administrations_read(session, client_id)),
    )
    return record
