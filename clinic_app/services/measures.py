"""Storing self-report measure administrations: the item answers, exactly as given.

Scores are never typed in or stored: they are derived from these answers by the scoring
engine. Here we check only what can be checked without an instrument definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.models import MeasureAdministration, MeasureResponse, SessionNote
from clinic_app.models.enums import MeasureMode
from clinic_app.services import audit
from clinic_app.services.common import StaffRef, require_clinical_access
from clinic_app.services.validation import Checker, date_problem

MEASURE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")
MAX_ITEMS = 200
MAX_VALUE = 100


@dataclass(frozen=True)
class AdministrationRow:
    id: int
    client_id: int
    measure_id: str
    measure_version: str
    administered_on: date
    mode: MeasureMode
    answers: tuple[tuple[int, int | None], ...]


def record_administration(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    measure_id: str,
    measure_version: str,
    administered_on: date,
    answers: dict[int, int | None],
    mode: MeasureMode = MeasureMode.CLINICIAN_ENTRY,
    session_note_id: int | None = None,
    today: date | None = None,
) -> AdministrationRow:
    """Store one completed measure; ``answers`` maps item number (from 1) to value or None."""
    require_clinical_access(session, by, client_id)
    check = Checker()
    if not MEASURE_ID.match(measure_id):
        check.add("measure_id", "That is not a known measure.")
    check.text(
        "measure_version",
        measure_version,
        label="The measure version",
        required=True,
        max_length=40,
    )
    check.add(
        "administered_on",
        date_problem(administered_on, label="The date completed", today=today or date.today()),
    )
    if not answers:
        check.add("answers", "No answers were given.")
    for item, value in answers.items():
        if not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= MAX_ITEMS:
            check.add("answers", f"Item {item!r} is not an item number.")
        elif value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_VALUE
        ):
            check.add(f"answers.{item}", f"The answer to item {item} is not a valid answer.")
    if session_note_id is not None:
        note = session.get(SessionNote, session_note_id)
        if note is None or note.client_id != client_id:
            check.add("session_note_id", "That session is not part of this client's record.")
    check.raise_if_any()
    administration = MeasureAdministration(
        client_id=client_id,
        measure_id=measure_id,
        measure_version=measure_version.strip(),
        administered_on=administered_on,
        mode=mode,
        session_note_id=session_note_id,
        entered_by=by.id,
    )
    session.add(administration)
    session.flush()
    session.add_all(
        MeasureResponse(administration_id=administration.id, item=item, value=value)
        for item, value in sorted(answers.items())
    )
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="measure_administration",
        entity_id=administration.id,
        client_id=client_id,
    )
    return AdministrationRow(
        administration.id,
        client_id,
        measure_id,
        measure_version.strip(),
        administered_on,
        mode,
        tuple(sorted(answers.items())),
    )


def administrations_for_client(
    session: Session, by: StaffRef, client_id: int
) -> list[AdministrationRow]:
    require_clinical_access(session, by, client_id)
    administrations = list(
        session.scalars(
            select(MeasureAdministration)
            .where(MeasureAdministration.client_id == client_id)
            .order_by(MeasureAdministration.administered_on, MeasureAdministration.id)
        )
    )
    answers: dict[int, list[tuple[int, int | None]]] = {}
    if administrations:
        for admin_id, item, value in session.execute(
            select(MeasureResponse.administration_id, MeasureResponse.item, MeasureResponse.value)
            .join(MeasureAdministration)
            .where(MeasureAdministration.client_id == client_id)
            .order_by(MeasureResponse.administration_id, MeasureResponse.item)
        ):
            answers.setdefault(admin_id, []).append((item, value))
    return [
        AdministrationRow(
            a.id,
            a.client_id,
            a.measure_id,
            a.measure_version,
            a.administered_on,
            a.mode,
            tuple(answers.get(a.id, [])),
        )
        for a in administrations
    ]
