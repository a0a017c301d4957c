"""Risk events and share decisions. Urgent events without a decision must not be missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from clinic_app.models import RiskEvent, RiskShareDecision, SessionNote
from clinic_app.models.enums import (
    DisclosureKind,
    Gateway,
    RiskEventKind,
    ShareDecisionKind,
    Urgency,
)
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import Checker, date_problem
from clinic_app.wording import long_date, words


@dataclass(frozen=True)
class ShareDecisionRow:
    decision: ShareDecisionKind
    reason: str
    gateway: Gateway | None
    shared_with: str
    decided_by: int
    decided_at: datetime


@dataclass(frozen=True)
class RiskEventRow:
    id: int
    client_id: int
    kind: RiskEventKind
    urgency: Urgency
    occurred_on: date
    detail: str
    shareable_statement: str
    session_note_id: int | None
    recorded_by: int
    recorded_at: datetime
    decision: ShareDecisionRow | None

    @property
    def needs_decision(self) -> bool:
        return self.decision is None


def _row(event: RiskEvent, decision: RiskShareDecision | None) -> RiskEventRow:
    return RiskEventRow(
        event.id,
        event.client_id,
        event.kind,
        event.urgency,
        event.occurred_on,
        event.detail,
        event.shareable_statement,
        event.session_note_id,
        event.recorded_by,
        event.recorded_at,
        None
        if decision is None
        else ShareDecisionRow(
            decision.decision,
            decision.reason,
            decision.gateway,
            decision.shared_with,
            decision.decided_by,
            decision.decided_at,
        ),
    )


def record_risk_event(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    kind: RiskEventKind,
    urgency: Urgency,
    occurred_on: date,
    detail: str,
    shareable_statement: str = "",
    session_note_id: int | None = None,
    today: date | None = None,
) -> RiskEventRow:
    require_clinical_access(session, by, client_id)
    check = Checker()
    check.add(
        "occurred_on",
        date_problem(occurred_on, label="The date of the event", today=today or date.today()),
    )
    check.text("detail", detail, label="The description", required=True, max_length=50_000)
    check.text(
        "shareable_statement",
        shareable_statement,
        label="The shareable statement",
        max_length=5000,
        required=urgency is Urgency.URGENT,
    )
    if session_note_id is not None:
        note = session.get(SessionNote, session_note_id)
        if note is None or note.client_id != client_id:
            check.add("session_note_id", "That session note is not part of this client's record.")
    check.raise_if_any()
    event = RiskEvent(
        client_id=client_id,
        kind=kind,
        urgency=urgency,
        occurred_on=occurred_on,
        detail=detail,
        shareable_statement=shareable_statement.strip(),
        session_note_id=session_note_id,
        recorded_by=by.id,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="risk_event",
        entity_id=event.id,
        client_id=client_id,
        detail={"urgency": urgency.value},
    )
    return _row(event, None)


def record_share_decision(
    session: Session,
    by: StaffRef,
    risk_event_id: int,
    *,
    decision: ShareDecisionKind,
    reason: str,
    gateway: Gateway | None = None,
    shared_with: str = "",
    client_informed: bool | None = None,
    client_not_informed_reason: str = "",
    register: bool = True,
) -> ShareDecisionRow:
    """Record whether a risk event is shared, why, under which gateway and with whom.

    DOMAIN rule: every decision, to share or not, is recorded in the disclosure register
    with whether the client was told (or why not). A decision to share is entered as a
    risk event shared (gateway and recipient); a decision not to share as a decision not
    to share, naming the event. ``register`` is False only when the caller enters the
    decision itself (the urgent risk notification's own entry names the event).
    """
    event = get_or_raise(session, RiskEvent, risk_event_id, "risk event")
    require_clinical_access(session, by, event.client_id)
    check = Checker()
    check.text("reason", reason, label="The reason", required=True, max_length=5000)
    check.text(
        "shared_with",
        shared_with,
        label="Who it was shared with",
        max_length=200,
        required=decision is ShareDecisionKind.SHARED,
    )
    if decision is ShareDecisionKind.SHARED and gateway is None:
        check.add("gateway", "Choose the legal gateway the information is shared under.")
    if decision is ShareDecisionKind.SHARED and not event.shareable_statement.strip():
        check.add(
            "shareable_statement", "Write a shareable statement for this event before sharing it."
        )
    if client_informed is None:
        check.add("client_informed", "Say whether the client has been told about this decision.")
    elif not client_informed:
        check.text(
            "client_not_informed_reason",
            client_not_informed_reason,
            label="The reason the client was not told",
            required=True,
            max_length=2000,
        )
    check.raise_if_any()
    row = RiskShareDecision(
        risk_event_id=event.id,
        decision=decision,
        reason=reason.strip(),
        gateway=gateway,
        shared_with=shared_with.strip(),
        decided_by=by.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.DISCLOSURE if decision is ShareDecisionKind.SHARED else audit.Action.UPDATE,
        actor_id=by.id,
        entity="risk_share_decision",
        entity_id=row.id,
        client_id=event.client_id,
    )
    if register:
        _register(
            session,
            by,
            event,
            row,
            client_informed=bool(client_informed),
            client_not_informed_reason=client_not_informed_reason,
        )
    return ShareDecisionRow(
        row.decision, row.reason, row.gateway, row.shared_with, by.id, row.decided_at
    )


RISK_EVENT_AUDIENCE: Final = "partner"
"""The register's audience for a risk event shared by call or meeting: a partner agency."""


def _register(
    session: Session,
    by: StaffRef,
    event: RiskEvent,
    row: RiskShareDecision,
    *,
    client_informed: bool,
    client_not_informed_reason: str,
) -> None:
    # Imported here: the register sits beside the documents that call this module.
    from clinic_app.services.sharing import disclosures  # noqa: PLC0415

    about = f"{words(event.kind)} on {long_date(event.occurred_on)}"
    told = "" if client_informed else client_not_informed_reason
    if row.decision is ShareDecisionKind.SHARED:
        disclosures.record_disclosure(
            session,
            by,
            kind=DisclosureKind.RISK_EVENT_SHARED,
            client_id=event.client_id,
            audience=RISK_EVENT_AUDIENCE,
            recipient_agency=row.shared_with,
            purpose=f"Risk-relevant event shared: {about}",
            gateway=row.gateway,
            client_informed=client_informed,
            client_not_informed_reason=told,
            document_sha256=None,
            payload={"reason": row.reason},
            risk_event_id=event.id,
        )
    else:
        disclosures.record_decision_not_to_share(
            session,
            by,
            event.client_id,
            audience=RISK_EVENT_AUDIENCE,
            recipient_agency="Partner agencies",
            purpose=f"Whether to share a risk-relevant event: {about}",
            reason=row.reason,
            client_informed=client_informed,
            client_not_informed_reason=told,
            risk_event_id=event.id,
        )


def latest_decisions(session: Session, event_ids: list[int]) -> dict[int, RiskShareDecision]:
    """The decision that stands for each event (the latest recorded), by event id."""
    latest: dict[int, RiskShareDecision] = {}
    if not event_ids:
        return latest
    for decision in session.scalars(
        select(RiskShareDecision)
        .where(RiskShareDecision.risk_event_id.in_(event_ids))
        .order_by(RiskShareDecision.id)
    ):
        latest[decision.risk_event_id] = decision
    return latest


def events_for_client(session: Session, by: StaffRef, client_id: int) -> list[RiskEventRow]:
    require_clinical_access(session, by, client_id)
    return events_read(session, client_id)


def events_read(session: Session, client_id: int) -> list[RiskEventRow]:
    """:func:`events_for_client` for a use case that has checked the user's access itself."""
    events = list(
        session.scalars(
            select(RiskEvent)
            .where(RiskEvent.client_id == client_id)
            .order_by(RiskEvent.occurred_on, RiskEvent.id)
        )
    )
    decisions = latest_decisions(session, [e.id for e in events])
    return [_row(e, decisions.get(e.id)) for e in events]


def urgent_without_decision(session: Session, by: StaffRef, client_id: int) -> list[RiskEventRow]:
    """Urgent events still awaiting a share decision: these go in the banner."""
    require_clinical_access(session, by, client_id)
    return urgent_read(session, client_id)


def urgent_undecided(client_id: int) -> ColumnElement[bool]:
    """The condition on ``RiskEvent`` of the client's urgent events with no decision yet."""
    return and_(
        RiskEvent.client_id == client_id,
        RiskEvent.urgency == Urgency.URGENT,
        ~select(RiskShareDecision.id)
        .where(RiskShareDecision.risk_event_id == RiskEvent.id)
        .exists(),
    )


def urgent_read(session: Session, client_id: int) -> list[RiskEventRow]:
    """:func:`urgent_without_decision` for a use case that has checked access itself.

    One statement: an event with no decision recorded is exactly one that needs one.
    """
    undecided = (
        select(RiskEvent)
        .where(urgent_undecided(client_id))
        .order_by(RiskEvent.occurred_on, RiskEvent.id)
    )
    return [_row(e, None) for e in session.scalars(undecided)]
