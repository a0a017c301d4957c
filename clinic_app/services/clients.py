"""Client records: registration, identity, assignment, typology, risk assessments, access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from clinic_app.config import EMERGENCY_ACCESS_HOURS
from clinic_app.errors import AccessDenied, NotFound, Problem, ValidationError
from clinic_app.models import (
    Appointment,
    Client,
    ClientAssignment,
    EmergencyAccess,
    ProtectiveMeasure,
    RiskAssessment,
    SessionNote,
    StaffUser,
    TypologyAssessment,
)
from clinic_app.models.base import utcnow
from clinic_app.models.enums import (
    AppointmentStatus,
    Attendance,
    ClientStatus,
    ConsentToShare,
    RiskTool,
    Role,
    Typology,
)
from clinic_app.services import audit, conflicts
from clinic_app.services.access import is_assigned, require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.settings import get_setting
from clinic_app.services.validation import (
    Checker,
    date_problem,
    nhs_number_problem,
    normalise_nhs_number,
)
from clinic_app.storage import site as site_storage

EARLIEST_BIRTH = date(1900, 1, 1)
JUDGEMENT_LEVELS = ("low", "moderate", "high", "not rated")


@dataclass(frozen=True)
class ClientDetails:
    """What a clinician types to register or edit a client."""

    local_ref: str
    given_name: str
    family_name: str
    date_of_birth: date
    site: str
    referral_date: date
    nhs_number: str = ""
    police_ref: str = ""
    address: str = ""
    referral_source: str = ""
    status: ClientStatus = ClientStatus.REFERRED
    consent_to_share: ConsentToShare = ConsentToShare.NOT_ASKED
    sharing_notes: str = ""
    is_demo: bool = False


@dataclass(frozen=True)
class ClientSummary:
    """A client as a caseload row shows them."""

    id: int
    local_ref: str
    given_name: str
    family_name: str
    date_of_birth: date
    nhs_number: str | None
    site: str
    status: ClientStatus
    is_demo: bool
    version: int

    @property
    def display_name(self) -> str:
        return f"{self.family_name.upper()}, {self.given_name}"


def summary_of(client: Client) -> ClientSummary:
    return ClientSummary(
        client.id,
        client.local_ref,
        client.given_name,
        client.family_name,
        client.date_of_birth,
        client.nhs_number,
        client.site,
        client.status,
        client.is_demo,
        client.version,
    )


def detail_problems(details: ClientDetails, *, today: date) -> list[Problem]:
    """The problems that can be seen in the details alone (no database needed)."""
    check = Checker()
    check.text(
        "local_ref", details.local_ref, label="The case reference", required=True, max_length=40
    )
    check.text(
        "given_name", details.given_name, label="The given name", required=True, max_length=200
    )
    check.text(
        "family_name", details.family_name, label="The family name", required=True, max_length=200
    )
    check.text("site", details.site, label="The programme site", required=True, max_length=120)
    check.text("police_ref", details.police_ref, label="The police reference", max_length=60)
    check.text("address", details.address, label="The address", max_length=2000)
    check.text(
        "referral_source", details.referral_source, label="The referral source", max_length=200
    )
    check.text("sharing_notes", details.sharing_notes, label="The sharing notes", max_length=20000)
    check.add(
        "date_of_birth",
        date_problem(
            details.date_of_birth, label="The date of birth", today=today, not_before=EARLIEST_BIRTH
        ),
    )
    check.add(
        "referral_date",
        date_problem(
            details.referral_date,
            label="The referral date",
            today=today,
            not_before=details.date_of_birth,
        ),
    )
    if details.nhs_number.strip():
        check.add("nhs_number", nhs_number_problem(details.nhs_number, is_demo=details.is_demo))
    return check.problems


def check_details(
    session: Session, details: ClientDetails, *, today: date, client_id: int | None = None
) -> list[Problem]:
    """Every problem with the details, without stopping at the first."""
    problems = detail_problems(details, today=today)
    check = Checker()
    if details.nhs_number.strip() and not any(p.where == "nhs_number" for p in problems):
        number = normalise_nhs_number(details.nhs_number)
        other = session.scalar(select(Client.id).where(Client.nhs_number == number))
        if other is not None and other != client_id:
            check.add("nhs_number", "Another client already has this NHS number.")
    ref = details.local_ref.strip()
    if ref:
        # Letter case and spaces do not make a different reference ("MASIP-0001" and
        # "masip 0001" are one client); the database's unique index folds them the same way.
        folded = func.lower(func.replace(Client.local_ref, " ", ""))
        clash = session.execute(
            select(Client.id, Client.local_ref).where(
                folded == func.lower(func.replace(ref, " ", "")), Client.id != (client_id or 0)
            )
        ).first()
        if clash is not None:
            existing = clash[1]
            check.add(
                "local_ref",
                f"The case reference '{ref}' is already in use."
                if existing == ref
                else f"The case reference '{ref}' is already in use, written '{existing}'.",
            )
    return problems + check.problems


def client_details(session: Session, by: StaffRef, client_id: int) -> tuple[ClientDetails, int]:
    """A client's editable details and the version they were read at (for update_client)."""
    require_clinical_access(session, by, client_id)
    return details_read(session, client_id)


def details_read(session: Session, client_id: int) -> tuple[ClientDetails, int]:
    """:func:`client_details` for a use case that has checked the user's access itself."""
    c = get_or_raise(session, Client, client_id, "client")
    return _details_of(c), c.version


def _details_of(c: Client) -> ClientDetails:
    return ClientDetails(
        local_ref=c.local_ref,
        given_name=c.given_name,
        family_name=c.family_name,
        date_of_birth=c.date_of_birth,
        site=c.site,
        referral_date=c.referral_date,
        nhs_number=c.nhs_number or "",
        police_ref=c.police_ref,
        address=c.address,
        referral_source=c.referral_source,
        status=c.status,
        consent_to_share=c.consent_to_share,
        sharing_notes=c.sharing_notes,
        is_demo=c.is_demo,
    )


_CONFLICT_LABELS = {
    "local_ref": "The case reference",
    "given_name": "The given name",
    "family_name": "The family name",
    "date_of_birth": "The date of birth",
    "site": "The site",
    "referral_date": "The referral date",
    "nhs_number": "The NHS number",
    "police_ref": "The police reference",
    "address": "The address",
    "referral_source": "Who referred",
    "status": "The status",
    "consent_to_share": "Consent to share",
    "sharing_notes": "Notes on sharing",
}


def _as_stored(details: ClientDetails) -> dict[str, object]:
    """The details as they would be stored (trimmed, the NHS number in digits)."""
    found = conflicts.parts(details)
    for name in ("local_ref", "given_name", "family_name", "police_ref", "address", "site"):
        found[name] = str(found[name]).strip()
    found["referral_source"] = str(found["referral_source"]).strip()
    found["nhs_number"] = normalise_nhs_number(details.nhs_number)
    return found


def _apply(client: Client, details: ClientDetails) -> None:
    client.local_ref = details.local_ref.strip()
    client.given_name = details.given_name.strip()
    client.family_name = details.family_name.strip()
    client.date_of_birth = details.date_of_birth
    client.nhs_number = normalise_nhs_number(details.nhs_number) or None
    client.police_ref = details.police_ref.strip()
    client.address = details.address.strip()
    client.site = details.site.strip()
    client.referral_source = details.referral_source.strip()
    client.referral_date = details.referral_date
    client.status = details.status
    client.consent_to_share = details.consent_to_share
    client.sharing_notes = details.sharing_notes
    client.is_demo = details.is_demo
    if details.status is ClientStatus.CLOSED and client.closed_at is None:
        client.closed_at = utcnow()
    elif details.status is not ClientStatus.CLOSED:
        client.closed_at = None


def register_client(
    session: Session,
    by: StaffRef,
    details: ClientDetails,
    *,
    today: date | None = None,
) -> ClientSummary:
    """Register a client; the clinician registering them becomes the lead."""
    if not by.is_clinical:
        raise AccessDenied("Only clinical staff register clients.")
    problems = check_details(session, details, today=today or date.today())
    if problems:
        raise ValidationError(problems)
    client = Client()
    _apply(client, details)
    session.add(client)
    session.flush()
    session.add(ClientAssignment(client_id=client.id, staff_id=by.id, is_lead=True))
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="client",
        entity_id=client.id,
        client_id=client.id,
    )
    return summary_of(client)


def update_client(
    session: Session,
    by: StaffRef,
    client_id: int,
    details: ClientDetails,
    *,
    expected_version: int,
    today: date | None = None,
) -> ClientSummary:
    require_clinical_access(session, by, client_id)
    client = conflicts.for_update(session, Client, client_id, "client")
    problems = check_details(session, details, today=today or date.today(), client_id=client_id)
    if problems:
        raise ValidationError(problems)
    if client.version != expected_version:
        # Someone saved these details since the user opened them: overwrite nothing.
        raise conflicts.conflict(
            session,
            "this client's details",
            entity="client",
            entity_id=client.id,
            theirs=_as_stored(details),
            saved=_as_stored(_details_of(client)),
            labels=_CONFLICT_LABELS,
            version=client.version,
            saved_record=_details_of(client),
        )
    _apply(client, details)
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="client",
        entity_id=client.id,
        client_id=client.id,
    )
    return summary_of(client)


def assign_staff(
    session: Session, by: StaffRef, client_id: int, staff_id: int, *, is_lead: bool = False
) -> None:
    """Assign another clinician to the client (by someone who may see the client)."""
    require_clinical_access(session, by, client_id)
    staff = get_or_raise(session, StaffUser, staff_id, "member of staff")
    if not staff.role.is_clinical or staff.disabled_at is not None:
        raise ValidationError("Clients can only be assigned to active clinical staff.")
    if is_assigned(session, staff_id, client_id):
        raise ValidationError(f"{staff.display_name} is already assigned to this client.")
    assignment = ClientAssignment(client_id=client_id, staff_id=staff_id, is_lead=is_lead)
    session.add(assignment)
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="client_assignment",
        entity_id=assignment.id,
        client_id=client_id,
    )


def grant_emergency_access(session: Session, by: StaffRef, client_id: int, reason: str) -> datetime:
    """Break-glass access to an unassigned client; the reason is kept and the access audited."""
    if not by.is_clinical:
        raise AccessDenied("Only clinical staff may use emergency access to a client record.")
    if not _client_exists(session, client_id):
        raise NotFound("That client could not be found. It may have been removed or moved.")
    check = Checker()
    check.text("reason", reason, label="The reason", required=True, max_length=2000)
    if reason.strip() and len(reason.strip()) < 10:
        check.add("reason", "Please give the reason in a few words (at least 10 characters).")
    check.raise_if_any()
    hours = get_setting(session, EMERGENCY_ACCESS_HOURS)
    grant = EmergencyAccess(
        client_id=client_id,
        staff_id=by.id,
        reason=reason.strip(),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(grant)
    session.flush()
    audit.record(
        session,
        audit.Action.EMERGENCY_ACCESS,
        actor_id=by.id,
        entity="emergency_access",
        entity_id=grant.id,
        client_id=client_id,
    )
    return grant.expires_at


def set_typology(
    session: Session,
    by: StaffRef,
    client_id: int,
    typology: Typology,
    *,
    rationale: str,
    assessed_on: date,
    today: date | None = None,
) -> None:
    """Record the clinician's current judgement of typology (earlier ones are kept)."""
    require_clinical_access(session, by, client_id)
    check = Checker()
    check.text(
        "rationale",
        rationale,
        label="The rationale",
        max_length=20000,
        required=typology is not Typology.NOT_YET_DETERMINED,
    )
    check.add(
        "assessed_on", date_problem(assessed_on, label="The date", today=today or date.today())
    )
    check.raise_if_any()
    row = TypologyAssessment(
        client_id=client_id,
        typology=typology,
        rationale=rationale,
        assessed_on=assessed_on,
        assessed_by=by.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="typology_assessment",
        entity_id=row.id,
        client_id=client_id,
    )


def record_risk_assessment(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    tool: RiskTool,
    tool_version: str,
    assessed_on: date,
    judgements: dict[str, str],
    rationale: str,
    shareable_summary: str = "",
    tool_name: str = "",
    today: date | None = None,
) -> int:
    """Store a structured professional judgement's summary judgements as the assessor gave them.

    No item text is stored and no level is computed: the clinician enters each judgement.
    """
    require_clinical_access(session, by, client_id)
    check = Checker()
    check.text("tool_version", tool_version, label="The tool version", required=True, max_length=40)
    check.text(
        "tool_name",
        tool_name,
        label="The tool name",
        max_length=120,
        required=tool is RiskTool.OTHER,
    )
    check.text("rationale", rationale, label="The rationale", required=True, max_length=20000)
    check.text(
        "shareable_summary", shareable_summary, label="The shareable summary", max_length=5000
    )
    check.add(
        "assessed_on",
        date_problem(assessed_on, label="The assessment date", today=today or date.today()),
    )
    if not judgements:
        check.add("judgements", "Enter at least one judgement (for example, risk of persistence).")
    for domain, level in judgements.items():
        check.text(
            f"judgements.{domain}",
            domain,
            label="A judgement's name",
            required=True,
            max_length=120,
        )
        if level not in JUDGEMENT_LEVELS:
            check.add(
                f"judgements.{domain}", f"A judgement is one of: {', '.join(JUDGEMENT_LEVELS)}."
            )
    check.raise_if_any()
    row = RiskAssessment(
        client_id=client_id,
        tool=tool,
        tool_name=tool_name.strip(),
        tool_version=tool_version.strip(),
        assessor_id=by.id,
        assessed_on=assessed_on,
        judgements=dict(judgements),
        rationale=rationale,
        shareable_summary=shareable_summary,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="risk_assessment",
        entity_id=row.id,
        client_id=client_id,
    )
    return row.id


@dataclass(frozen=True)
class CaseloadRow:
    """One line of a caseload: identity and status, and what a clinician scans.

    For a clinician's own caseload: ``last_seen`` (the last session attended, from a note
    or an appointment marked attended), ``next_appointment`` (the next booked one, from
    today), ``risk_judgement`` (the highest level in the latest structured risk
    assessment, e.g. "high", with its date), ``unsigned_notes`` (draft notes on the
    record, by anyone) and ``protective_measures`` (how many are in force today: a count
    only, their details stay in the record's Victims tab). Administrators get identity and
    status only: these stay empty for them.
    """

    client: ClientSummary
    typology: Typology | None
    lead_clinician: str
    assigned: tuple[str, ...] = field(default=())
    last_seen: date | None = None
    next_appointment: datetime | None = None
    risk_judgement: str = ""
    risk_assessed_on: date | None = None
    unsigned_notes: int = 0
    protective_measures: int = 0


RISK_ORDER = {"not rated": 0, "low": 1, "moderate": 2, "high": 3}
"""The judgement levels, lowest first: a caseload line shows the highest in force."""
SEEN = (Attendance.ATTENDED, Attendance.LATE)
"""A note of a session with this attendance means the client was seen."""


def _highest(judgements: Any) -> str:
    levels = [str(v) for v in (judgements.values() if isinstance(judgements, dict) else ())]
    known = [v for v in levels if v in RISK_ORDER]
    return max(known, key=RISK_ORDER.__getitem__) if known else ""


def _per_client(connection: Connection, query: Select[int, Any]) -> dict[int, Any]:
    return {client_id: value for client_id, value in connection.execute(query)}  # noqa: C416


@dataclass(frozen=True)
class _Scan:
    """What a clinician scans on each caseload line, read over the whole caseload at once."""

    last_seen: Mapping[int, date]
    next_appointment: Mapping[int, datetime]
    risk: Mapping[int, tuple[str, date]]
    unsigned: Mapping[int, int]
    protective: Mapping[int, int]


def _scan(connection: Connection, mine: Select[Any], today: date) -> _Scan:
    """One grouped query per column over the user's caseload: never a query per client."""
    noted = _per_client(
        connection,
        select(SessionNote.client_id, func.max(SessionNote.session_date))
        .where(
            SessionNote.client_id.in_(mine),
            SessionNote.attendance.in_(SEEN),
            SessionNote.entered_in_error_at.is_(None),
            SessionNote.session_date <= today,
        )
        .group_by(SessionNote.client_id),
    )
    attended = _per_client(
        connection,
        select(Appointment.client_id, func.max(Appointment.day))
        .where(
            Appointment.client_id.in_(mine),
            Appointment.status == AppointmentStatus.ATTENDED,
            Appointment.day <= today,
        )
        .group_by(Appointment.client_id),
    )
    last_seen = dict(noted)
    for client_id, day in attended.items():
        if client_id not in last_seen or day > last_seen[client_id]:
            last_seen[client_id] = day
    first_day = (
        select(Appointment.client_id, func.min(Appointment.day).label("day"))
        .where(
            Appointment.client_id.in_(mine),
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.day >= today,
        )
        .group_by(Appointment.client_id)
        .subquery()
    )
    next_appointment: dict[int, datetime] = {}
    for client_id, day, start in connection.execute(
        select(Appointment.client_id, first_day.c.day, func.min(Appointment.start_time))
        .join(
            first_day,
            and_(
                first_day.c.client_id == Appointment.client_id, first_day.c.day == Appointment.day
            ),
        )
        .where(Appointment.status == AppointmentStatus.BOOKED)
        .group_by(Appointment.client_id, first_day.c.day)
    ):
        next_appointment[client_id] = datetime.combine(day, start)
    ranked = (
        select(
            RiskAssessment.client_id,
            RiskAssessment.assessed_on,
            RiskAssessment.judgements,
            func.row_number()
            .over(
                partition_by=RiskAssessment.client_id,
                order_by=(RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc()),
            )
            .label("n"),
        )
        .where(RiskAssessment.client_id.in_(mine))
        .subquery()
    )
    risk = {
        client_id: (_highest(judgements), on)
        for client_id, on, judgements in connection.execute(
            select(ranked.c.client_id, ranked.c.assessed_on, ranked.c.judgements).where(
                ranked.c.n == 1
            )
        )
    }
    unsigned = _per_client(
        connection,
        select(SessionNote.client_id, func.count())
        .where(
            SessionNote.client_id.in_(mine),
            SessionNote.signed_at.is_(None),
            SessionNote.entered_in_error_at.is_(None),
        )
        .group_by(SessionNote.client_id),
    )
    protective = _per_client(
        connection,
        select(ProtectiveMeasure.client_id, func.count())
        .where(
            ProtectiveMeasure.client_id.in_(mine),
            ProtectiveMeasure.revoked_on.is_(None),
            ProtectiveMeasure.starts_on <= today,
            or_(ProtectiveMeasure.ends_on.is_(None), ProtectiveMeasure.ends_on >= today),
        )
        .group_by(ProtectiveMeasure.client_id),
    )
    return _Scan(last_seen, next_appointment, risk, unsigned, protective)


_NOTHING = _Scan({}, {}, {}, {}, {})


def caseload(session: Session, by: StaffRef, *, today: date | None = None) -> list[CaseloadRow]:
    """Clients assigned to the user; administrators see every client's identity only.

    Read from the user's own open assignments (the assignment table's staff index), as
    plain rows: the teams and typologies of those clients only, never of every client;
    for a clinician, the columns they scan (see :class:`CaseloadRow`) with one grouped
    query each over the whole caseload. ``today`` (default: the current date) decides
    which appointment is next and which protective measures are in force.
    """
    mine = (
        select(ClientAssignment.client_id).where(
            ClientAssignment.staff_id == by.id, ClientAssignment.ended_at.is_(None)
        )
        if by.role is not Role.ADMINISTRATOR
        else None
    )
    query = select(
        Client.id,
        Client.local_ref,
        Client.given_name,
        Client.family_name,
        Client.date_of_birth,
        Client.nhs_number,
        Client.site,
        Client.status,
        Client.is_demo,
        Client.version,
    ).order_by(Client.family_name, Client.given_name, Client.id)
    teams = (
        select(
            ClientAssignment.client_id,
            ClientAssignment.is_lead,
            StaffUser.id,
            StaffUser.display_name,
        )
        .join(StaffUser, StaffUser.id == ClientAssignment.staff_id)
        .where(ClientAssignment.ended_at.is_(None))
    )
    if mine is not None:
        query = query.where(Client.id.in_(mine))
        teams = teams.where(ClientAssignment.client_id.in_(mine))
    session.flush()  # what this unit of work has added is listed too
    connection = session.connection()  # plain rows: no ORM objects for a list
    clients = [
        ClientSummary(cid, ref, given, family, born, nhs, site, status, demo, version)
        for cid, ref, given, family, born, nhs, site, status, demo, version in connection.execute(
            query
        )
    ]
    assigned_map: dict[int, list[tuple[bool, int, str]]] = {}
    for client_id, lead, staff_id, name in connection.execute(teams):
        assigned_map.setdefault(client_id, []).append((lead, staff_id, name))
    # Typology is a clinician's judgement: administrators get identity and status only.
    typologies: dict[int, Typology] = {}
    if mine is not None:
        latest = (
            select(TypologyAssessment.client_id, func.max(TypologyAssessment.id).label("last"))
            .where(TypologyAssessment.client_id.in_(mine))
            .group_by(TypologyAssessment.client_id)
            .subquery()
        )
        typologies = dict(
            connection.execute(
                select(TypologyAssessment.client_id, TypologyAssessment.typology).join(
                    latest, TypologyAssessment.id == latest.c.last
                )
            ).all()
        )
    scan = _scan(connection, mine, today or date.today()) if mine is not None else _NOTHING
    rows = []
    for client in clients:
        team = sorted(assigned_map.get(client.id, []), key=lambda t: (not t[0], t[1]))
        names = tuple(name for _, _, name in team)
        judged, judged_on = scan.risk.get(client.id, ("", None))
        rows.append(
            CaseloadRow(
                client,
                typologies.get(client.id),
                names[0] if names else "",
                names,
                last_seen=scan.last_seen.get(client.id),
                next_appointment=scan.next_appointment.get(client.id),
                risk_judgement=judged,
                risk_assessed_on=judged_on,
                unsigned_notes=scan.unsigned.get(client.id, 0),
                protective_measures=scan.protective.get(client.id, 0),
            )
        )
    return rows


@dataclass(frozen=True)
class TeamRow:
    """A member of staff on a client's team."""

    staff_id: int
    name: str
    is_lead: bool


def client_team(session: Session, by: StaffRef, client_id: int) -> list[TeamRow]:
    """The staff currently assigned to the client, lead first."""
    require_clinical_access(session, by, client_id)
    return team_read(session, client_id)


def team_read(session: Session, client_id: int) -> list[TeamRow]:
    """:func:`client_team` for a use case that has checked the user's access itself."""
    rows = session.execute(
        select(StaffUser.id, StaffUser.display_name, ClientAssignment.is_lead)
        .join(ClientAssignment, ClientAssignment.staff_id == StaffUser.id)
        .where(ClientAssignment.client_id == client_id, ClientAssignment.ended_at.is_(None))
        .order_by(ClientAssignment.is_lead.desc(), StaffUser.display_name)
    ).all()
    return [TeamRow(staff_id, name, lead) for staff_id, name, lead in rows]


def names_and_team_read(session: Session, client_id: int) -> tuple[dict[int, str], list[TeamRow]]:
    """Every account's name by id, and the client's team as :func:`team_read` gives it, in
    one statement (for a use case that has checked the user's access itself)."""
    on_team = and_(
        ClientAssignment.staff_id == StaffUser.id,
        ClientAssignment.client_id == client_id,
        ClientAssignment.ended_at.is_(None),
    )
    rows = session.execute(
        select(StaffUser.id, StaffUser.display_name, ClientAssignment.is_lead)
        .outerjoin(ClientAssignment, on_team)
        .order_by(
            ClientAssignment.is_lead.is_(None),
            ClientAssignment.is_lead.desc(),
            StaffUser.display_name,
        )
    ).all()
    names = {staff_id: name for staff_id, name, _ in rows}
    team = [TeamRow(staff_id, name, lead) for staff_id, name, lead in rows if lead is not None]
    return names, team


def known_sites(session: Session, by: StaffRef) -> list[str]:
    """The programme sites already in use, to offer when registering a client."""
    del by  # site names are operational, not clinical
    return list(session.scalars(select(Client.site).distinct().order_by(Client.site)))


def client_summary(session: Session, by: StaffRef, client_id: int) -> ClientSummary:
    """One client as the record header shows them."""
    require_clinical_access(session, by, client_id)
    return summary_of(get_or_raise(session, Client, client_id, "client"))


# At a site, row-level security hides a client who is not on the user's caseload; the
# server answers these two questions through functions that reveal nothing else.


def _find_client_id(session: Session, reference: str, nhs_number: str) -> int | None:
    if site_storage.is_site(session):
        found = session.scalar(
            text("SELECT clinic_find_client(:ref, :nhs)"), {"ref": reference, "nhs": nhs_number}
        )
        return None if found is None else int(found)
    matches = [Client.local_ref == reference]
    if nhs_number:
        matches.append(Client.nhs_number == nhs_number)
    return session.scalar(select(Client.id).where(or_(*matches)))


def _client_exists(session: Session, client_id: int) -> bool:
    if site_storage.is_site(session):
        return bool(session.scalar(text("SELECT clinic_client_exists(:id)"), {"id": client_id}))
    return session.get(Client, client_id) is not None


def find_client(session: Session, by: StaffRef, reference: str) -> int:
    """The id of the client with exactly this case reference or NHS number.

    Used to reach a client who is not on the user's caseload (emergency access follows);
    it reveals nothing but whether such a client exists.
    """
    if not by.is_clinical:
        raise AccessDenied("Only clinical staff open client records.")
    text = reference.strip()
    number = normalise_nhs_number(text)
    found = _find_client_id(session, text, number if number.isdigit() else "")
    if found is None:
        raise NotFound("No client has that case reference or NHS number. Check it and try again.")
    audit.record(
        session,
        audit.Action.VIEW,
        actor_id=by.id,
        entity="client_lookup",
        entity_id=found,
        client_id=found,
    )
    return found
