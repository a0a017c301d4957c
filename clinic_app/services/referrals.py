"""Referrals to specialist services and their status history.

Only sensible status changes are allowed (see ``TRANSITIONS``); each change is kept with
who made it and when. The bare fact of a referral may be shared only when consent or a
gateway is recorded on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import InvalidTransition
from clinic_app.models import Referral, ReferralStatusChange, SpecialistService
from clinic_app.models.enums import (
    Gateway,
    ReferralStatus,
    ReferralUrgency,
    Role,
    ServiceKind,
)
from clinic_app.services import audit
from clinic_app.services.common import StaffRef, get_or_raise, require_clinical_access, require_role
from clinic_app.services.validation import Checker, date_problem

S = ReferralStatus
TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.DRAFT: frozenset({S.SENT, S.CLOSED}),
    S.SENT: frozenset({S.ACKNOWLEDGED, S.ACCEPTED, S.DECLINED, S.CLOSED}),
    S.ACKNOWLEDGED: frozenset({S.ACCEPTED, S.DECLINED, S.WAITING_LIST, S.CLOSED}),
    S.ACCEPTED: frozenset({S.WAITING_LIST, S.SEEN, S.CLOSED}),
    S.WAITING_LIST: frozenset({S.SEEN, S.DECLINED, S.CLOSED}),
    S.DECLINED: frozenset({S.CLOSED}),
    S.SEEN: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}


@dataclass(frozen=True)
class ServiceRow:
    id: int
    name: str
    kind: ServiceKind
    expected_response_days: int


@dataclass(frozen=True)
class ReferralRow:
    id: int
    client_id: int
    service_id: int
    reason: str
    urgency: ReferralUrgency
    status: ReferralStatus
    created_on: date
    sent_on: date | None
    fact_shareable: bool
    share_gateway: Gateway | None
    version: int


def _row(r: Referral) -> ReferralRow:
    return ReferralRow(
        r.id,
        r.client_id,
        r.service_id,
        r.reason,
        r.urgency,
        r.status,
        r.created_on,
        r.sent_on,
        r.fact_shareable,
        r.share_gateway,
        r.version,
    )


def add_service(
    session: Session,
    by: StaffRef,
    *,
    name: str,
    kind: ServiceKind,
    contact: str = "",
    expected_response_days: int = 28,
    snomed_concept_id: str | None = None,
) -> ServiceRow:
    require_role(by, Role.ADMINISTRATOR, Role.PSYCHOLOGIST, action="add specialist services")
    check = Checker()
    check.text("name", name, label="The service name", required=True, max_length=200)
    check.text("contact", contact, label="The contact details", max_length=2000)
    if not 1 <= expected_response_days <= 365:
        check.add("expected_response_days", "The expected response time is 1 to 365 days.")
    if snomed_concept_id is not None and not (
        snomed_concept_id.isdigit() and 6 <= len(snomed_concept_id) <= 18
    ):
        check.add("snomed_concept_id", "A SNOMED CT concept id is 6 to 18 digits.")
    if session.scalar(select(SpecialistService.id).where(SpecialistService.name == name.strip())):
        check.add("name", "A service with this name is already in the directory.")
    check.raise_if_any()
    service = SpecialistService(
        name=name.strip(),
        kind=kind,
        contact=contact,
        expected_response_days=expected_response_days,
        snomed_concept_id=snomed_concept_id,
    )
    session.add(service)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="specialist_service",
        entity_id=service.id,
    )
    return ServiceRow(service.id, service.name, service.kind, service.expected_response_days)


def create_referral(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    service_id: int,
    reason: str,
    urgency: ReferralUrgency,
    clinical_detail: str = "",
    fact_shareable: bool = False,
    share_gateway: Gateway | None = None,
    created_on: date | None = None,
    today: date | None = None,
) -> ReferralRow:
    require_clinical_access(session, by, client_id)
    today = today or date.today()
    created_on = created_on or today
    service = get_or_raise(session, SpecialistService, service_id, "specialist service")
    check = Checker()
    if not service.active:
        check.add("service", "That service is no longer taking referrals.")
    check.text("reason", reason, label="The reason for referral", required=True, max_length=20000)
    check.text("clinical_detail", clinical_detail, label="The clinical detail", max_length=50000)
    check.add("created_on", date_problem(created_on, label="The referral date", today=today))
    if fact_shareable and share_gateway is None:
        check.add(
            "share_gateway",
            "Record the consent or gateway that allows the referral to be mentioned.",
        )
    check.raise_if_any()
    referral = Referral(
        client_id=client_id,
        service_id=service_id,
        reason=reason,
        clinical_detail=clinical_detail,
        urgency=urgency,
        status=S.DRAFT,
        created_on=created_on,
        fact_shareable=fact_shareable,
        share_gateway=share_gateway,
        created_by=by.id,
    )
    session.add(referral)
    session.flush()
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            from_status=None,
            to_status=S.DRAFT,
            changed_on=created_on,
            changed_by=by.id,
        )
    )
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="referral",
        entity_id=referral.id,
        client_id=client_id,
    )
    return _row(referral)


def change_status(
    session: Session,
    by: StaffRef,
    referral_id: int,
    to: ReferralStatus,
    *,
    on: date | None = None,
    note: str = "",
    today: date | None = None,
) -> ReferralRow:
    """Move a referral on; declining needs a reason, and only allowed steps are accepted."""
    referral = get_or_raise(session, Referral, referral_id, "referral")
    require_clinical_access(session, by, referral.client_id)
    today = today or date.today()
    on = on or today
    if to not in TRANSITIONS[referral.status]:
        allowed = ", ".join(sorted(s.value.replace("_", " ") for s in TRANSITIONS[referral.status]))
        raise InvalidTransition(
            f"A referral that is {referral.status.value.replace('_', ' ')} cannot become "
            f"{to.value.replace('_', ' ')}."
            + (f" It can become: {allowed}." if allowed else " It is closed.")
        )
    check = Checker()
    check.add("on", date_problem(on, label="The date", today=today, not_before=referral.created_on))
    check.text("note", note, label="The note", max_length=20000, required=to is S.DECLINED)
    check.raise_if_any()
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            from_status=referral.status,
            to_status=to,
            changed_on=on,
            note=note,
            changed_by=by.id,
        )
    )
    referral.status = to
    if to is S.SENT:
        referral.sent_on = on
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="referral",
        entity_id=referral.id,
        client_id=referral.client_id,
        detail={"status": to.value},
    )
    return _row(referral)


def referrals_for_client(session: Session, by: StaffRef, client_id: int) -> list[ReferralRow]:
    require_clinical_access(session, by, client_id)
    return [
        _row(r)
        for r in session.scalars(
            select(Referral).where(Referral.client_id == client_id).order_by(Referral.id)
        )
    ]


def service_directory(session: Session, by: StaffRef) -> list[ServiceRow]:
    """The specialist services, active first, by name."""
    del by  # any signed-in user may read the directory
    return [
        ServiceRow(s.id, s.name, s.kind, s.expected_response_days)
        for s in session.scalars(
            select(SpecialistService).order_by(
                SpecialistService.active.desc(), SpecialistService.name
            )
        )
    ]
