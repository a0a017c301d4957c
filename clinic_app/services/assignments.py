"""Who holds which clients: administrators keep the caseloads.

An administrator sees a member of staff's clients by identity (case reference and name,
never clinical detail), assigns a client to them by case reference or NHS number, and ends
an assignment. Clinicians add colleagues to a client they hold from the client's record
(:func:`clinic_app.services.clients.assign_staff`). Ending an assignment keeps it, with the
date it ended, so that who held a client when stays known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clinic_app.errors import NotFound, ValidationError
from clinic_app.models import Client, ClientAssignment, StaffUser
from clinic_app.models.base import utcnow
from clinic_app.models.enums import Role
from clinic_app.services import audit
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import normalise_nhs_number


@dataclass(frozen=True)
class AssignmentRow:
    """A client on a member of staff's caseload, as an administrator sees it."""

    client_id: int
    local_ref: str
    name: str
    is_lead: bool
    since: datetime


def assignments_of(session: Session, by: StaffRef, staff_id: int) -> list[AssignmentRow]:
    """The clients currently assigned to a member of staff, by case reference."""
    require_role(by, Role.ADMINISTRATOR, action="see other people's caseloads")
    get_or_raise(session, StaffUser, staff_id, "member of staff")
    rows = session.execute(
        select(
            Client.id,
            Client.local_ref,
            Client.given_name,
            Client.family_name,
            ClientAssignment.is_lead,
            ClientAssignment.assigned_at,
        )
        .join(ClientAssignment, ClientAssignment.client_id == Client.id)
        .where(ClientAssignment.staff_id == staff_id, ClientAssignment.ended_at.is_(None))
        .order_by(Client.local_ref)
    ).all()
    return [
        AssignmentRow(cid, ref, f"{given} {family}", lead, since)
        for cid, ref, given, family, lead, since in rows
    ]


def assign_client(
    session: Session, by: StaffRef, staff_id: int, reference: str, *, is_lead: bool = False
) -> AssignmentRow:
    """Put a client (by exact case reference or NHS number) on a clinician's caseload."""
    require_role(by, Role.ADMINISTRATOR, action="assign clients")
    staff = get_or_raise(session, StaffUser, staff_id, "member of staff")
    if not staff.role.is_clinical or staff.disabled_at is not None:
        raise ValidationError(
            "Clients can only be assigned to active clinical staff.", where="member of staff"
        )
    text = reference.strip()
    if not text:
        raise ValidationError("Enter the client's case reference or NHS number.", where="client")
    number = normalise_nhs_number(text)
    matches = [Client.local_ref == text]
    if number.isdigit():
        matches.append(Client.nhs_number == number)
    # Only the columns an administrator may read (at a site the server refuses the rest).
    client = session.execute(
        select(Client.id, Client.local_ref, Client.given_name, Client.family_name).where(
            or_(*matches)
        )
    ).first()
    if client is None:
        raise NotFound("No client has that case reference or NHS number. Check it and try again.")
    current = session.scalar(
        select(ClientAssignment).where(
            ClientAssignment.client_id == client.id,
            ClientAssignment.staff_id == staff_id,
            ClientAssignment.ended_at.is_(None),
        )
    )
    if current is not None:
        raise ValidationError(
            f"{client.local_ref} is already on {staff.display_name}'s caseload.", where="client"
        )
    assignment = ClientAssignment(client_id=client.id, staff_id=staff_id, is_lead=is_lead)
    session.add(assignment)
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="client_assignment",
        entity_id=assignment.id,
        client_id=client.id,
    )
    return AssignmentRow(
        client.id,
        client.local_ref,
        f"{client.given_name} {client.family_name}",
        assignment.is_lead,
        assignment.assigned_at,
    )


def end_assignment(session: Session, by: StaffRef, staff_id: int, client_id: int) -> None:
    """Take a client off a member of staff's caseload (the assignment is kept, ended)."""
    require_role(by, Role.ADMINISTRATOR, action="end assignments")
    current = session.scalar(
        select(ClientAssignment).where(
            ClientAssignment.client_id == client_id,
            ClientAssignment.staff_id == staff_id,
            ClientAssignment.ended_at.is_(None),
        )
    )
    if current is None:
        raise NotFound("That client is not on this member of staff's caseload.")
    current.ended_at = utcnow()
    session.flush()
    audit.record(
        session,
        audit.Action.ASSIGNMENT_ENDED,
        actor_id=by.id,
        entity="client_assignment",
        entity_id=current.id,
        client_id=client_id,
    )
