"""Critical questionnaire answers: the alert they raise and the review that ends it.

A critical item (PHQ-9 item 9, CORE-10 item 6) answered at or above its threshold, or left
blank, raises an alert for that administration, whether or not the form as a whole can be
scored. The alert stays on the clinician's dashboard and on the client's Measures tab until
a clinician records a review of *that* administration (``review_critical_answers``):

- **risk event recorded**: names the risk event, of the same client, recorded for it; or
- **no further action**: with the reason, in the clinician's words.

A later, unrelated risk event does not end the alert, and neither does time. The review is
audited and append-only (a database trigger refuses changes), and is shown with the score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import Session

from clinic_app.errors import AccessDenied, ValidationError
from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.measures.scoring import critical_alerts
from clinic_app.models import (
    Client,
    ClientAssignment,
    CriticalItemReview,
    MeasureAdministration,
    MeasureResponse,
    RiskEvent,
    StaffUser,
)
from clinic_app.models.enums import ClientStatus, CriticalReviewOutcome
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.measure_definitions import all_definitions
from clinic_app.services.validation import Checker
from clinic_app.wording import CRITICAL_REVIEW_OUTCOME_WORDS, long_date


@dataclass(frozen=True)
class CriticalAnswer:
    """A critical item answered at or above its threshold (or left blank), not yet reviewed."""

    client_id: int
    administration_id: int
    measure_id: str
    short_title: str
    administered_on: date
    item: int
    alert: str
    answered: bool
    """False when the item was left blank: the alert then says it was not answered."""


@dataclass(frozen=True)
class CriticalReview:
    """A clinician's review of one administration's critical answers."""

    id: int
    administration_id: int
    client_id: int
    outcome: CriticalReviewOutcome
    risk_event_id: int | None
    reason: str
    reviewed_by: str
    reviewed_at: datetime

    @property
    def words(self) -> str:
        """One line for the screen: outcome, who and when, and the reason if any."""
        when = self.reviewed_at.astimezone().date()
        outcome = CRITICAL_REVIEW_OUTCOME_WORDS[self.outcome]
        text = f"{outcome} by {self.reviewed_by} on {long_date(when)}"
        return f"{text}: {self.reason}" if self.reason else text


def _alerting(definition: MeasureDefinition) -> ColumnElement[bool]:
    """SQL: administrations of ``definition`` with any critical item at or above, or blank.

    A blank item is stored as NULL or not stored at all; both count as unanswered.
    """
    conditions: list[ColumnElement[bool]] = []
    for critical in definition.critical_items:
        answered = select(MeasureResponse.id).where(
            MeasureResponse.administration_id == MeasureAdministration.id,
            MeasureResponse.item == critical.item,
            MeasureResponse.value.is_not(None),
        )
        at_or_above = select(MeasureResponse.id).where(
            MeasureResponse.administration_id == MeasureAdministration.id,
            MeasureResponse.item == critical.item,
            MeasureResponse.value >= critical.minimum_value,
        )
        conditions.append(or_(exists(at_or_above), not_(exists(answered))))
    return and_(
        MeasureAdministration.measure_id == definition.id,
        MeasureAdministration.measure_version == definition.version,
        or_(*conditions),
    )


def _unreviewed() -> ColumnElement[bool]:
    return ~exists(
        select(CriticalItemReview.id).where(
            CriticalItemReview.administration_id == MeasureAdministration.id
        )
    )


def _answers(session: Session, ids: Iterable[int]) -> dict[int, dict[int, int | None]]:
    wanted = sorted(set(ids))
    out: dict[int, dict[int, int | None]] = {i: {} for i in wanted}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for admin_id, item, value in session.execute(
            select(
                MeasureResponse.administration_id, MeasureResponse.item, MeasureResponse.value
            ).where(MeasureResponse.administration_id.in_(chunk))
        ):
            out[admin_id][item] = value
    return out


def _unreviewed_alerts(
    session: Session, client_filter: ColumnElement[bool]
) -> list[CriticalAnswer]:
    found: list[CriticalAnswer] = []
    for definition, _active, _row in all_definitions(session):
        if not definition.critical_items:
            continue
        rows = session.execute(
            select(
                MeasureAdministration.id,
                MeasureAdministration.client_id,
                MeasureAdministration.administered_on,
            ).where(_alerting(definition), _unreviewed(), client_filter)
        ).all()
        if not rows:
            continue
        answers = _answers(session, (r[0] for r in rows))
        for admin_id, client_id, given_on in rows:
            for alert in critical_alerts(definition, answers[admin_id]):
                found.append(
                    CriticalAnswer(
                        client_id,
                        admin_id,
                        definition.id,
                        definition.short_title,
                        given_on,
                        alert.item,
                        alert.alert,
                        alert.answer is not None,
                    )
                )
    found.sort(key=lambda a: (a.administered_on, a.administration_id, a.item))
    return found


def critical_answers_for_caseload(
    session: Session, by: StaffRef, today: date | None = None
) -> tuple[CriticalAnswer, ...]:
    """Critical answers on the user's open caseload that no clinician has reviewed yet.

    However old: an alert ends only with a review of its administration. ``today`` is
    accepted for the dashboard's signature and does not limit what is shown.
    """
    del today
    if not by.is_clinical:
        raise AccessDenied(
            "Administrators manage the system but do not read or write clinical records."
        )
    caseload = (
        select(ClientAssignment.client_id)
        .join(Client, Client.id == ClientAssignment.client_id)
        .where(
            ClientAssignment.staff_id == by.id,
            ClientAssignment.ended_at.is_(None),
            Client.status != ClientStatus.CLOSED,
        )
    )
    return tuple(_unreviewed_alerts(session, MeasureAdministration.client_id.in_(caseload)))


def awaiting_risk_review(session: Session, by: StaffRef, client_id: int) -> frozenset[int]:
    """The client's administrations whose critical answers still await a clinician's review."""
    require_clinical_access(session, by, client_id)
    return frozenset(
        a.administration_id
        for a in _unreviewed_alerts(session, MeasureAdministration.client_id == client_id)
    )


def _review_row(session: Session, row: CriticalItemReview) -> CriticalReview:
    staff = session.get(StaffUser, row.reviewed_by)
    return CriticalReview(
        row.id,
        row.administration_id,
        row.client_id,
        row.outcome,
        row.risk_event_id,
        row.reason,
        staff.display_name if staff is not None else "a former member of staff",
        row.reviewed_at,
    )


def critical_reviews(session: Session, by: StaffRef, client_id: int) -> dict[int, CriticalReview]:
    """The client's reviews of critical answers, by administration id."""
    require_clinical_access(session, by, client_id)
    rows = session.scalars(
        select(CriticalItemReview).where(CriticalItemReview.client_id == client_id)
    )
    return {row.administration_id: _review_row(session, row) for row in rows}


def review_critical_answers(
    session: Session,
    by: StaffRef,
    administration_id: int,
    *,
    outcome: CriticalReviewOutcome,
    risk_event_id: int | None = None,
    reason: str = "",
) -> CriticalReview:
    """Record the review that ends an administration's critical-answer alert.

    ``RISK_EVENT_RECORDED`` needs the risk event (of the same client) it led to;
    ``NO_FURTHER_ACTION`` needs the reason. An administration is reviewed once; a review
    is never changed (its reason may be added to by recording a risk event later).
    """
    administration = get_or_raise(
        session, MeasureAdministration, administration_id, "questionnaire"
    )
    client_id = administration.client_id
    require_clinical_access(session, by, client_id)
    if administration_id not in awaiting_risk_review(session, by, client_id):
        existing = session.scalar(
            select(CriticalItemReview.id).where(
                CriticalItemReview.administration_id == administration_id
            )
        )
        if existing is not None:
            raise ValidationError(
                "These answers have already been reviewed; the review cannot be changed.",
                where="administration_id",
            )
        raise ValidationError(
            "This questionnaire has no critical answer to review.", where="administration_id"
        )
    check = Checker()
    check.text("reason", reason, label="The reason", max_length=5000)
    if outcome is CriticalReviewOutcome.RISK_EVENT_RECORDED:
        event = session.get(RiskEvent, risk_event_id) if risk_event_id is not None else None
        if event is None or event.client_id != client_id:
            check.add(
                "risk_event_id",
                "Choose the risk event recorded for these answers (one of this client's).",
            )
    else:
        if risk_event_id is not None:
            check.add("risk_event_id", "A review with no further action names no risk event.")
        if not reason.strip():
            check.add(
                "reason",
                "Say why no further action is needed (for example what the client said when "
                "asked about the answer).",
            )
    check.raise_if_any()
    row = CriticalItemReview(
        administration_id=administration_id,
        client_id=client_id,
        outcome=outcome,
        risk_event_id=risk_event_id,
        reason=reason.strip(),
        reviewed_by=by.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="critical_item_review",
        entity_id=row.id,
        client_id=client_id,
    )
    return _review_row(session, row)
