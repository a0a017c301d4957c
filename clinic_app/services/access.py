"""Who may open or change a record: assignment, emergency access and roles.

Every use case that reads or writes a client's record asks here first, so the rules for
who may see what live in one place: a clinical user assigned to the client (or holding
unexpired emergency access to it) may open the record; administrators manage the system
but never read clinical records; some actions belong to one role only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, ScalarSelect, select
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, EmergencyAccessRequired
from clinic_app.models import Client, ClientAssignment, EmergencyAccess
from clinic_app.models.base import utcnow
from clinic_app.models.enums import Role
from clinic_app.services.common import StaffRef, get_or_raise


def is_assigned(session: Session, staff_id: int, client_id: int) -> bool:
    """Whether this member of staff is currently assigned to the client."""
    return (
        session.scalar(
            select(ClientAssignment.id).where(
                ClientAssignment.client_id == client_id,
                ClientAssignment.staff_id == staff_id,
                ClientAssignment.ended_at.is_(None),
            )
        )
        is not None
    )


def has_emergency_access(session: Session, staff_id: int, client_id: int) -> bool:
    """Whether this member of staff holds unexpired emergency access to the client."""
    return (
        session.scalar(
            select(EmergencyAccess.id).where(
                EmergencyAccess.client_id == client_id,
                EmergencyAccess.staff_id == staff_id,
                EmergencyAccess.expires_at > utcnow(),
            )
        )
        is not None
    )


def require_clinical_access(session: Session, by: StaffRef, client_id: int) -> None:
    """Allow a clinical user assigned to the client, or holding emergency access to it."""
    if not by.is_clinical:
        raise AccessDenied(
            "Administrators manage the system but do not read or write clinical records."
        )
    if is_assigned(session, by.id, client_id) or has_emergency_access(session, by.id, client_id):
        return
    raise EmergencyAccessRequired(
        "This client is not assigned to you. To open the record in an emergency, give "
        "your reason; the access is recorded."
    )


def client_with(
    session: Session, by: StaffRef, client_id: int, *also: ScalarSelect[Any]
) -> tuple[Client, Row[Any] | None]:
    """The client, once the user's access to it is checked as :func:`require_clinical_access`
    checks it: in one statement when they are on the client's team (the usual case; at a
    site each statement is a round trip). That statement also reads ``also`` (scalar
    subqueries) and is returned with the client; None when the access was checked apart.
    """
    if by.is_clinical:
        on_team = (
            select(ClientAssignment.id)
            .where(
                ClientAssignment.client_id == Client.id,
                ClientAssignment.staff_id == by.id,
                ClientAssignment.ended_at.is_(None),
            )
            .exists()
        )
        row = session.execute(select(Client, on_team, *also).where(Client.id == client_id)).first()
        if row is not None and row[1]:
            return row[0], row
    require_clinical_access(session, by, client_id)
    return get_or_raise(session, Client, client_id, "client"), None


def require_role(by: StaffRef, *roles: Role, action: str) -> None:
    """Refuse ``action`` unless the member of staff holds one of ``roles``."""
    if by.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise AccessDenied(f"Only a {allowed} may {action}.")
