"""Victims and other third parties in the client's record, and the orders that protect them.

In a stalking service the victim is the person the work protects. Their record holds what
the clinical team needs to keep them safe and out of every document that leaves: names and
other names, addresses, phones, emails and vehicle registrations (which the wording check
looks for in everything that leaves), their relationship to the client, the victim
advocate's service and contact, their known wishes and safety concerns, and the protective
measures in force (stalking protection orders, restraining orders, bail or licence
conditions), each with its dates and what it forbids.

Every field is THIRD_PARTY: only clinical users with access to the client read or change
it; administrators and partner documents never see it. Every change is audited. A third
party is never deleted: their record is *ended* (for example when the person is no longer
at risk), with the date and reason, and stays in the record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic_app.errors import ValidationError
from clinic_app.models import ProtectiveMeasure, ThirdParty
from clinic_app.models.enums import ProtectiveMeasureKind, ThirdPartyRelation
from clinic_app.services import audit, conflicts
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef
from clinic_app.services.validation import Checker
from clinic_app.wording import PROTECTIVE_MEASURE_WORDS, RELATION_WORDS

EXPIRING_WITHIN_DAYS: Final = 28
"""A protective measure ending within this many days is highlighted on the Overview."""

MAX_ENTRIES: Final = 50
MAX_LINE: Final = 300


class MeasureState(StrEnum):
    """Where a protective measure stands on a given day."""

    NOT_YET_IN_FORCE = "not_yet_in_force"
    IN_FORCE = "in_force"
    EXPIRING = "expiring"
    ENDED = "ended"
    REVOKED = "revoked"


MEASURE_STATE_WORDS: dict[MeasureState, str] = {
    MeasureState.NOT_YET_IN_FORCE: "Not yet in force",
    MeasureState.IN_FORCE: "In force",
    MeasureState.EXPIRING: f"Expiring (ends within {EXPIRING_WITHIN_DAYS} days)",
    MeasureState.ENDED: "Ended",
    MeasureState.REVOKED: "Revoked",
}

_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_VEHICLE = re.compile(r"^[A-Z0-9][A-Z0-9 ]{1,9}$")


@dataclass(frozen=True)
class ThirdPartyInput:
    """What a clinician records about a third party; each list holds one entry a line."""

    relation: ThirdPartyRelation
    name: str
    aliases: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    vehicles: tuple[str, ...] = ()
    advocate_service: str = ""
    advocate_contact: str = ""
    wishes_and_concerns: str = ""
    details: str = ""


@dataclass(frozen=True)
class ProtectiveMeasureInput:
    """An order or condition protecting a third party."""

    kind: ProtectiveMeasureKind
    starts_on: date
    forbids: str
    ends_on: date | None = None
    reference: str = ""


@dataclass(frozen=True)
class ProtectiveMeasureRow:
    """A protective measure as recorded, and whether it is in force on a given day."""

    id: int
    third_party_id: int
    kind: ProtectiveMeasureKind
    starts_on: date
    ends_on: date | None
    forbids: str
    reference: str
    revoked_on: date | None
    version: int = 1
    """The edit counter, given back with a change (see ``update_protective_measure``)."""

    @property
    def title(self) -> str:
        return PROTECTIVE_MEASURE_WORDS[self.kind]

    def in_force(self, today: date) -> bool:
        """Started, not ended and not revoked on ``today``."""
        if self.starts_on > today:
            return False
        if self.revoked_on is not None and self.revoked_on <= today:
            return False
        return self.ends_on is None or self.ends_on >= today

    def expiring(self, today: date) -> bool:
        """In force and ending within ``EXPIRING_WITHIN_DAYS`` of ``today``."""
        return (
            self.in_force(today)
            and self.ends_on is not None
            and self.ends_on <= today + timedelta(days=EXPIRING_WITHIN_DAYS)
        )

    def state(self, today: date) -> MeasureState:
        """Where the measure stands on ``today``: a revocation outranks the end date (a
        discharged order reads "Revoked", not "Ended", so the record says why it stopped)."""
        if self.revoked_on is not None and self.revoked_on <= today:
            return MeasureState.REVOKED
        if self.ends_on is not None and self.ends_on < today:
            return MeasureState.ENDED
        if self.starts_on > today:
            return MeasureState.NOT_YET_IN_FORCE
        return MeasureState.EXPIRING if self.expiring(today) else MeasureState.IN_FORCE


@dataclass(frozen=True)
class ThirdPartyRow:
    """A third party as recorded, with their protective measures (oldest first)."""

    id: int
    client_id: int
    label: str
    relation: ThirdPartyRelation
    name: str
    aliases: tuple[str, ...]
    addresses: tuple[str, ...]
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    vehicles: tuple[str, ...]
    advocate_service: str
    advocate_contact: str
    wishes_and_concerns: str
    details: str
    ended_on: date | None
    ended_reason: str
    measures: tuple[ProtectiveMeasureRow, ...] = field(default=())
    disclosure_consent_on: date | None = None
    """When the person agreed to their name being given to the client in answer to a
    subject access request (None: no such consent is recorded)."""
    version: int = 1
    """The edit counter, given back with a change (see ``update_third_party``)."""

    @property
    def relation_words(self) -> str:
        return RELATION_WORDS[self.relation]

    def as_input(self) -> ThirdPartyInput:
        """What an edit form starts from."""
        return ThirdPartyInput(
            self.relation,
            self.name,
            self.aliases,
            self.addresses,
            self.phones,
            self.emails,
            self.vehicles,
            self.advocate_service,
            self.advocate_contact,
            self.wishes_and_concerns,
            self.details,
        )


@dataclass(frozen=True)
class Protection:
    """What the Overview shows to clinical users: counts and dates, no names or places."""

    people: int
    victims: int
    measures_in_force: tuple[tuple[str, date | None], ...]
    """(title, end date or None) of each measure in force today."""
    expiring: tuple[tuple[str, date], ...]
    """(title, end date) of each measure in force that ends within 28 days."""


@dataclass(frozen=True)
class Identifiers:
    """Everything recorded that identifies or locates the client's third parties.

    The wording check looks for each of these in every document that leaves the service.
    """

    names: tuple[str, ...]
    addresses: tuple[str, ...]
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    vehicles: tuple[str, ...]

    def __bool__(self) -> bool:
        return any((self.names, self.addresses, self.phones, self.emails, self.vehicles))


# -- reading and writing the stored form --------------------------------------------------------


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _joined(entries: Sequence[str]) -> str:
    return "\n".join(e.strip() for e in entries if e.strip())


def _measure_row(m: ProtectiveMeasure) -> ProtectiveMeasureRow:
    return ProtectiveMeasureRow(
        m.id,
        m.third_party_id,
        m.kind,
        m.starts_on,
        m.ends_on,
        m.forbids,
        m.reference,
        m.revoked_on,
        m.version,
    )


def _row(p: ThirdParty, measures: Sequence[ProtectiveMeasure]) -> ThirdPartyRow:
    return ThirdPartyRow(
        id=p.id,
        client_id=p.client_id,
        label=p.label,
        relation=p.relation,
        name=p.name,
        aliases=_lines(p.aliases),
        addresses=_lines(p.addresses),
        phones=_lines(p.phones),
        emails=_lines(p.emails),
        vehicles=_lines(p.vehicles),
        advocate_service=p.advocate_service,
        advocate_contact=p.advocate_contact,
        wishes_and_concerns=p.wishes_and_concerns,
        details=p.details,
        ended_on=p.ended_on,
        ended_reason=p.ended_reason,
        measures=tuple(_measure_row(m) for m in measures),
        disclosure_consent_on=p.disclosure_consent_on,
        version=p.version,
    )


def _check_entries(
    check: Checker, where: str, entries: Sequence[str], what: str, pattern: re.Pattern[str] | None
) -> None:
    if len(entries) > MAX_ENTRIES:
        check.add(where, f"At most {MAX_ENTRIES} {what} can be recorded.")
        return
    for n, entry in enumerate(entries, start=1):
        value = entry.strip()
        if len(value) > MAX_LINE:
            check.add(where, f"Entry {n} of the {what} is longer than {MAX_LINE} characters.")
        elif pattern is not None and value and not pattern.match(value.upper()):
            check.add(where, f"'{value}' does not look like one of the {what}.")


def check_third_party(data: ThirdPartyInput) -> None:
    """Every problem with what is recorded about a third party, as one ``ValidationError``.

    The same checks apply wherever it comes from: the form or an imported record file.
    """
    check = Checker()
    check.text("name", data.name, label="The name", required=True, max_length=200)
    _check_entries(check, "aliases", data.aliases, "other names", None)
    _check_entries(check, "addresses", data.addresses, "addresses", None)
    _check_entries(check, "phones", data.phones, "phone numbers", _PHONE)
    _check_entries(check, "emails", data.emails, "email addresses", _EMAIL)
    _check_entries(check, "vehicles", data.vehicles, "vehicle registrations", _VEHICLE)
    check.text(
        "advocate_service", data.advocate_service, label="The advocate's service", max_length=500
    )
    check.text(
        "advocate_contact", data.advocate_contact, label="The advocate's contact", max_length=1000
    )
    check.text(
        "wishes_and_concerns",
        data.wishes_and_concerns,
        label="Their wishes and safety concerns",
        max_length=20000,
    )
    check.text("details", data.details, label="The other details", max_length=20000)
    check.raise_if_any()


def _normalised_vehicles(entries: Sequence[str]) -> tuple[str, ...]:
    return tuple(" ".join(e.upper().split()) for e in entries if e.strip())


def apply_input(row: ThirdParty, data: ThirdPartyInput) -> None:
    """Write a checked input onto a third party's row in its stored form (one entry a line,
    vehicle registrations in capitals)."""
    row.relation = data.relation
    row.name = data.name.strip()
    row.aliases = _joined(data.aliases)
    row.addresses = _joined(data.addresses)
    row.phones = _joined(data.phones)
    row.emails = _joined(data.emails)
    row.vehicles = _joined(_normalised_vehicles(data.vehicles))
    row.advocate_service = data.advocate_service.strip()
    row.advocate_contact = data.advocate_contact.strip()
    row.wishes_and_concerns = data.wishes_and_concerns.strip()
    row.details = data.details.strip()


def _audit(
    session: Session, by: StaffRef, action: audit.Action, entity: str, ident: int, *, client: int
) -> None:
    audit.record(session, action, actor_id=by.id, entity=entity, entity_id=ident, client_id=client)


def _load(session: Session, by: StaffRef, third_party_id: int) -> ThirdParty:
    person = conflicts.for_update(session, ThirdParty, third_party_id, "person")
    require_clinical_access(session, by, person.client_id)
    return person


def _measures_of(session: Session, ids: Sequence[int]) -> dict[int, list[ProtectiveMeasure]]:
    out: dict[int, list[ProtectiveMeasure]] = {i: [] for i in ids}
    if ids:
        for m in session.scalars(
            select(ProtectiveMeasure)
            .where(ProtectiveMeasure.third_party_id.in_(ids))
            .order_by(ProtectiveMeasure.starts_on, ProtectiveMeasure.id)
        ):
            out[m.third_party_id].append(m)
    return out


def _fresh(session: Session, person: ThirdParty) -> ThirdPartyRow:
    return _row(person, _measures_of(session, [person.id])[person.id])


# -- use cases -----------------------------------------------------------------------------------


def third_parties_for_client(
    session: Session, by: StaffRef, client_id: int, *, include_ended: bool = True
) -> tuple[ThirdPartyRow, ...]:
    """The client's third parties, in the order recorded, each with their measures."""
    require_clinical_access(session, by, client_id)
    return _people_read(session, client_id, include_ended=include_ended)


def _people_read(
    session: Session, client_id: int, *, include_ended: bool
) -> tuple[ThirdPartyRow, ...]:
    query = select(ThirdParty).where(ThirdParty.client_id == client_id)
    if not include_ended:
        query = query.where(ThirdParty.ended_on.is_(None))
    people = list(session.scalars(query.order_by(ThirdParty.id)))
    measures = _measures_of(session, [p.id for p in people])
    return tuple(_row(p, measures[p.id]) for p in people)


def add_third_party(
    session: Session, by: StaffRef, client_id: int, data: ThirdPartyInput
) -> ThirdPartyRow:
    """Record a victim or another person; they get a label ("Person 2") the record uses."""
    require_clinical_access(session, by, client_id)
    check_third_party(data)
    count = session.scalar(
        select(func.count()).select_from(ThirdParty).where(ThirdParty.client_id == client_id)
    )
    person = ThirdParty(client_id=client_id, label=f"Person {(count or 0) + 1}")
    apply_input(person, data)
    session.add(person)
    session.flush()
    _audit(session, by, audit.Action.CREATE, "third_party", person.id, client=client_id)
    return _fresh(session, person)


_PERSON_LABELS: Final = {
    "relation": "Relationship to the client",
    "name": "Name",
    "aliases": "Other names",
    "addresses": "Addresses",
    "phones": "Phone numbers",
    "emails": "Email addresses",
    "vehicles": "Vehicles",
    "advocate_service": "Advocate's service",
    "advocate_contact": "Advocate's contact",
    "wishes_and_concerns": "Wishes and concerns",
    "details": "Details",
}

_MEASURE_LABELS: Final = {
    "kind": "The kind of order",
    "starts_on": "Starts on",
    "ends_on": "Ends on",
    "forbids": "What it forbids",
    "reference": "The reference",
}


def _stored_person(row: ThirdPartyRow | ThirdPartyInput) -> dict[str, object]:
    data = row.as_input() if isinstance(row, ThirdPartyRow) else row
    found = conflicts.parts(data)
    for name, value in found.items():
        if isinstance(value, str):
            found[name] = value.strip()
        elif isinstance(value, tuple):
            found[name] = tuple(line.strip() for line in value if line.strip())
    found["vehicles"] = _normalised_vehicles(data.vehicles)
    return found


def update_third_party(
    session: Session,
    by: StaffRef,
    third_party_id: int,
    data: ThirdPartyInput,
    *,
    expected_version: int | None = None,
) -> ThirdPartyRow:
    """Change what is recorded about a third party (audited; the label stays).

    ``expected_version`` is the version the user started editing from: a change saved
    meanwhile by someone else is not overwritten (an ``EditConflict`` shows both).
    """
    person = _load(session, by, third_party_id)
    check_third_party(data)
    if expected_version is not None and person.version != expected_version:
        raise conflicts.conflict(
            session,
            f"{person.label}'s details",
            entity="third_party",
            entity_id=person.id,
            theirs=_stored_person(data),
            saved=_stored_person(_fresh(session, person)),
            labels=_PERSON_LABELS,
            version=person.version,
            saved_record=_fresh(session, person).as_input(),
        )
    apply_input(person, data)
    session.flush()
    _audit(session, by, audit.Action.UPDATE, "third_party", person.id, client=person.client_id)
    return _fresh(session, person)


def end_third_party(
    session: Session,
    by: StaffRef,
    third_party_id: int,
    *,
    ended_on: date,
    reason: str,
    today: date | None = None,
) -> ThirdPartyRow:
    """Mark a third party's record as ended, with the date and why. Nothing is deleted."""
    person = _load(session, by, third_party_id)
    check = Checker()
    check.text("reason", reason, label="The reason", required=True, max_length=5000)
    if person.ended_on is not None:
        check.add("ended_on", "This person's record has already been ended.")
    if ended_on > (today or date.today()):
        check.add("ended_on", "The date cannot be in the future.")
    check.raise_if_any()
    person.ended_on = ended_on
    person.ended_reason = reason.strip()
    session.flush()
    _audit(session, by, audit.Action.UPDATE, "third_party", person.id, client=person.client_id)
    return _fresh(session, person)


def record_disclosure_consent(
    session: Session,
    by: StaffRef,
    third_party_id: int,
    *,
    given_on: date | None,
    today: date | None = None,
) -> ThirdPartyRow:
    """Record that the person agreed (on ``given_on``) to their name being given to the
    client in answer to a subject access request, or with None that no consent stands
    (withdrawn). Their places, numbers and vehicles are never given whatever they agreed.
    """
    person = _load(session, by, third_party_id)
    if given_on is not None and given_on > (today or date.today()):
        raise ValidationError("The date of consent cannot be in the future.", where="given_on")
    person.disclosure_consent_on = given_on
    person.disclosure_consent_by = None if given_on is None else by.id
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="third_party",
        entity_id=person.id,
        client_id=person.client_id,
        detail={"disclosure_consent": given_on is not None},
    )
    return _fresh(session, person)


def check_protective_measure(data: ProtectiveMeasureInput) -> None:
    """Every problem with a protective measure, as one ``ValidationError``."""
    check = Checker()
    check.text("forbids", data.forbids, label="What it forbids", required=True, max_length=5000)
    check.text("reference", data.reference, label="The reference", max_length=300)
    if data.starts_on < date(1990, 1, 1):
        check.add("starts_on", "The start date is not a plausible date.")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        check.add("ends_on", "The end date cannot be before the start date.")
    check.raise_if_any()


def add_protective_measure(
    session: Session, by: StaffRef, third_party_id: int, data: ProtectiveMeasureInput
) -> ProtectiveMeasureRow:
    """Record an order or condition that protects this third party."""
    person = _load(session, by, third_party_id)
    check_protective_measure(data)
    measure = ProtectiveMeasure(
        third_party_id=person.id,
        client_id=person.client_id,
        kind=data.kind,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        forbids=data.forbids.strip(),
        reference=data.reference.strip(),
        recorded_by=by.id,
    )
    session.add(measure)
    session.flush()
    _audit(
        session, by, audit.Action.CREATE, "protective_measure", measure.id, client=person.client_id
    )
    return _measure_row(measure)


def update_protective_measure(
    session: Session,
    by: StaffRef,
    measure_id: int,
    data: ProtectiveMeasureInput,
    *,
    expected_version: int | None = None,
) -> ProtectiveMeasureRow:
    """Correct a protective measure (for example a varied order's new end date).

    ``expected_version``: as for :func:`update_third_party`.
    """
    measure = conflicts.for_update(session, ProtectiveMeasure, measure_id, "protective measure")
    require_clinical_access(session, by, measure.client_id)
    check_protective_measure(data)
    if expected_version is not None and measure.version != expected_version:
        saved = ProtectiveMeasureInput(
            measure.kind, measure.starts_on, measure.forbids, measure.ends_on, measure.reference
        )
        raise conflicts.conflict(
            session,
            "this protective measure",
            entity="protective_measure",
            entity_id=measure.id,
            theirs={
                **conflicts.parts(data),
                "forbids": data.forbids.strip(),
                "reference": data.reference.strip(),
            },
            saved=conflicts.parts(saved),
            labels=_MEASURE_LABELS,
            version=measure.version,
            saved_record=saved,
        )
    measure.kind = data.kind
    measure.starts_on = data.starts_on
    measure.ends_on = data.ends_on
    measure.forbids = data.forbids.strip()
    measure.reference = data.reference.strip()
    session.flush()
    _audit(
        session, by, audit.Action.UPDATE, "protective_measure", measure.id, client=measure.client_id
    )
    return _measure_row(measure)


def revoke_protective_measure(
    session: Session, by: StaffRef, measure_id: int, *, revoked_on: date
) -> ProtectiveMeasureRow:
    """Record that an order or condition was discharged or revoked on a day."""
    measure = conflicts.for_update(session, ProtectiveMeasure, measure_id, "protective measure")
    require_clinical_access(session, by, measure.client_id)
    if measure.revoked_on is not None:
        raise ValidationError("This measure is already recorded as revoked.", where="revoked_on")
    if revoked_on < measure.starts_on:
        raise ValidationError("A measure cannot be revoked before it started.", where="revoked_on")
    measure.revoked_on = revoked_on
    session.flush()
    _audit(
        session, by, audit.Action.UPDATE, "protective_measure", measure.id, client=measure.client_id
    )
    return _measure_row(measure)


def protection(
    session: Session, by: StaffRef, client_id: int, today: date | None = None
) -> Protection:
    """For the Overview: how many third parties, and which measures are in force today."""
    require_clinical_access(session, by, client_id)
    return protection_read(session, client_id, today or date.today())


def protection_read(session: Session, client_id: int, today: date) -> Protection:
    """:func:`protection` for a use case that has checked the user's access itself.

    One statement: each current third party with each of their measures (or none).
    """
    rows = session.execute(
        select(ThirdParty.id, ThirdParty.relation, ProtectiveMeasure)
        .outerjoin(ProtectiveMeasure, ProtectiveMeasure.third_party_id == ThirdParty.id)
        .where(ThirdParty.client_id == client_id, ThirdParty.ended_on.is_(None))
    ).all()
    relations = {person: relation for person, relation, _ in rows}
    measures = [_measure_row(m) for _, _, m in rows if m is not None]
    in_force = [m for m in measures if m.in_force(today)]
    in_force.sort(key=lambda m: (m.ends_on is None, m.ends_on or today, m.id))
    return Protection(
        people=len(relations),
        victims=sum(r is ThirdPartyRelation.VICTIM for r in relations.values()),
        measures_in_force=tuple((m.title, m.ends_on) for m in in_force),
        expiring=tuple((m.title, m.ends_on) for m in in_force if m.ends_on and m.expiring(today)),
    )


def identifiers(session: Session, by: StaffRef, client_id: int) -> Identifiers:
    """Every name, other name, address, phone, email and vehicle recorded for the client's
    third parties (ended ones too: a former victim's name must not leave either)."""
    people = third_parties_for_client(session, by, client_id)
    return Identifiers(
        names=tuple(dict.fromkeys(n for p in people for n in (p.name, *p.aliases))),
        addresses=tuple(dict.fromkeys(a for p in people for a in p.addresses)),
        phones=tuple(dict.fromkeys(x for p in people for x in p.phones)),
        emails=tuple(dict.fromkeys(x for p in people for x in p.emails)),
        vehicles=tuple(dict.fromkeys(x for p in people for x in p.vehicles)),
    )
