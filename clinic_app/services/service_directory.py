"""The directory of specialist services that clients are referred to.

Administrators keep the specialist services: name, kind, contact details, the response
time the service usually keeps to (days), an optional SNOMED CT concept id for the
referral type, and whether the service is active. Services are never deleted: an inactive
one keeps its past referrals but takes no new ones. Any signed-in user may read the
directory. Referrals themselves are in :mod:`clinic_app.services.referrals`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic_app.models import SpecialistService
from clinic_app.models.enums import Role, ServiceKind
from clinic_app.services import audit, conflicts
from clinic_app.services.access import require_role
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import Checker

DEFAULT_RESPONSE_DAYS = 28
MAX_RESPONSE_DAYS = 365
MAX_CONTACT = 2_000


# -- SNOMED CT identifiers ------------------------------------------------------------------

# Verhoeff's dihedral-group tables, as SNOMED International's identifier guide gives them.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 7, 6, 8, 0),
    (4, 2, 8, 9, 5, 7, 6, 3, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
CONCEPT_PARTITIONS = frozenset({"00", "10"})  # short (core) and long (extension) format
OTHER_PARTITIONS = {
    "01": "a description",
    "11": "a description",
    "02": "a relationship",
    "12": "a relationship",
}


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of ``digits`` is their Verhoeff check digit."""
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def snomed_concept_id_problem(text: str) -> str | None:
    """Why ``text`` is not a SNOMED CT concept id, in plain words, or None when it is one.

    A concept id (SCTID) is 6 to 18 digits with no leading zero; the last digit is a
    Verhoeff check digit and the two before it (the partition identifier) are 00 or 10
    for a concept. Example: 3457005 (patient referral).
    """
    sctid = text.strip()
    if not (sctid.isascii() and sctid.isdigit() and 6 <= len(sctid) <= 18):
        return "A SNOMED CT concept id is 6 to 18 digits, for example 3457005."
    if sctid.startswith("0"):
        return "A SNOMED CT concept id never starts with 0. Check it was copied in full."
    if not verhoeff_valid(sctid):
        return (
            "This is not a valid SNOMED CT id: its check digit does not match. "
            "Check it was copied correctly."
        )
    partition = sctid[-3:-1]
    if partition not in CONCEPT_PARTITIONS:
        what = OTHER_PARTITIONS.get(partition)
        if what is not None:
            return (
                f"This SNOMED CT id identifies {what}, not a concept. "
                "Enter the concept id of the referral type."
            )
        return "This is not a SNOMED CT concept id. Enter the concept id of the referral type."
    return None


# -- the directory ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    """A specialist service in the directory."""

    id: int
    name: str
    kind: ServiceKind
    expected_response_days: int
    contact: str = ""
    snomed_concept_id: str | None = None
    active: bool = True
    version: int = 1
    """The edit counter, given back with a change (see ``update_service``)."""


def _service_row(s: SpecialistService) -> ServiceRow:
    return ServiceRow(
        s.id,
        s.name,
        s.kind,
        s.expected_response_days,
        s.contact,
        s.snomed_concept_id,
        s.active,
        s.version,
    )


def _check_service(
    session: Session,
    check: Checker,
    *,
    name: str,
    contact: str,
    expected_response_days: int,
    snomed_concept_id: str | None,
    service_id: int | None = None,
) -> None:
    check.text("name", name, label="The service name", required=True, max_length=200)
    check.text("contact", contact, label="The contact details", max_length=MAX_CONTACT)
    if (
        not isinstance(expected_response_days, int)
        or not 1 <= expected_response_days <= MAX_RESPONSE_DAYS
    ):
        check.add(
            "expected_response_days",
            f"The expected response time is a whole number of days, 1 to {MAX_RESPONSE_DAYS}.",
        )
    if snomed_concept_id is not None and snomed_concept_id.strip():
        check.add("snomed_concept_id", snomed_concept_id_problem(snomed_concept_id))
    if name.strip():
        same = session.scalar(
            select(SpecialistService.id).where(
                func.lower(SpecialistService.name) == name.strip().lower()
            )
        )
        if same is not None and same != service_id:
            check.add("name", "A service with this name is already in the directory.")


def _clean_sctid(text: str | None) -> str | None:
    return text.strip() if text is not None and text.strip() else None


def add_service(
    session: Session,
    by: StaffRef,
    *,
    name: str,
    kind: ServiceKind,
    contact: str = "",
    expected_response_days: int = DEFAULT_RESPONSE_DAYS,
    snomed_concept_id: str | None = None,
) -> ServiceRow:
    """Add a specialist service to the directory (administrators only)."""
    require_role(by, Role.ADMINISTRATOR, action="add specialist services")
    check = Checker()
    _check_service(
        session,
        check,
        name=name,
        contact=contact,
        expected_response_days=expected_response_days,
        snomed_concept_id=snomed_concept_id,
    )
    check.raise_if_any()
    service = SpecialistService(
        name=name.strip(),
        kind=kind,
        contact=contact.strip(),
        expected_response_days=expected_response_days,
        snomed_concept_id=_clean_sctid(snomed_concept_id),
        active=True,
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
    return _service_row(service)


def update_service(
    session: Session,
    by: StaffRef,
    service_id: int,
    *,
    name: str,
    kind: ServiceKind,
    contact: str,
    expected_response_days: int,
    snomed_concept_id: str | None,
    expected_version: int | None = None,
) -> ServiceRow:
    """Change a service's details (administrators only); its referrals keep pointing at it.

    ``expected_version`` is the version the administrator started editing from: a change
    saved meanwhile by someone else is not overwritten (an ``EditConflict`` shows both).
    """
    require_role(by, Role.ADMINISTRATOR, action="change specialist services")
    service = conflicts.for_update(session, SpecialistService, service_id, "specialist service")
    check = Checker()
    _check_service(
        session,
        check,
        name=name,
        contact=contact,
        expected_response_days=expected_response_days,
        snomed_concept_id=snomed_concept_id,
        service_id=service_id,
    )
    check.raise_if_any()
    if expected_version is not None and service.version != expected_version:
        raise conflicts.conflict(
            session,
            "this service's details",
            entity="specialist_service",
            entity_id=service.id,
            theirs={
                "name": name.strip(),
                "kind": kind,
                "contact": contact.strip(),
                "expected_response_days": expected_response_days,
                "snomed_concept_id": _clean_sctid(snomed_concept_id),
            },
            saved={
                "name": service.name,
                "kind": service.kind,
                "contact": service.contact,
                "expected_response_days": service.expected_response_days,
                "snomed_concept_id": service.snomed_concept_id,
            },
            labels={
                "name": "The name",
                "kind": "The kind of service",
                "contact": "The contact",
                "expected_response_days": "Days to expect a response",
                "snomed_concept_id": "The SNOMED CT concept",
            },
            version=service.version,
        )
    service.name = name.strip()
    service.kind = kind
    service.contact = contact.strip()
    service.expected_response_days = expected_response_days
    service.snomed_concept_id = _clean_sctid(snomed_concept_id)
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="specialist_service",
        entity_id=service.id,
    )
    return _service_row(service)


def set_service_active(
    session: Session, by: StaffRef, service_id: int, *, active: bool
) -> ServiceRow:
    """Take a service out of use (or back into use). Services are never deleted."""
    require_role(by, Role.ADMINISTRATOR, action="change specialist services")
    service = get_or_raise(session, SpecialistService, service_id, "specialist service")
    if service.active == active:
        return _service_row(service)
    service.active = active
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="specialist_service",
        entity_id=service.id,
        detail={"active": active},
    )
    return _service_row(service)


def service_directory(session: Session, by: StaffRef) -> list[ServiceRow]:
    """The specialist services, active first, by name."""
    del by  # any signed-in user may read the directory
    return [
        _service_row(s)
        for s in session.scalars(
            select(SpecialistService).order_by(
                SpecialistService.active.desc(), SpecialistService.name
            )
        )
    ]
