"""Referrals to specialist services, their status history and follow-up.

The services a client can be referred to are kept in the directory,
:mod:`clinic_app.services.service_directory`.

**Status machine.** A referral is a draft until sent; then the service acknowledges it,
accepts it (perhaps with a waiting list) or declines it (a reason is required); the
client is seen; the referral is closed. Only the steps in ``TRANSITIONS`` are allowed,
each kept with who made it, the date it happened and when it was recorded. A status
change cannot be dated before the referral was written or before the previous change.

**Follow-up** (``follow_up``; every rule counts whole calendar days):

- *Overdue*: a **sent** referral the service has not responded to (acknowledged,
  accepted, declined or waiting list) is due a response on ``sent_on + N`` days, where N
  is the service's expected response time; it is overdue from the day after, i.e. when
  ``today > sent_on + N``. On the due day itself it is not yet overdue.
- *Awaiting action*, each due on a date and flagged from the day after it:

  ===============  ==============================  ========================================
  status           due on                          what to do
  ===============  ==============================  ========================================
  draft            written + 7 days                send it or close it
  acknowledged     acknowledged + N days           ask the service for its decision
  accepted         accepted + 90 days              ask when the client will be seen
  waiting list     put on the list + 90 days       ask about the expected wait
  declined         the day it was declined         agree next steps with the client, close
  seen             seen + 28 days                  close it, or record what happens next
  ===============  ==============================  ========================================

  ("acknowledged", "accepted", ... stand for the date of the change to that status.)
  A closed referral needs nothing.

The bare fact of a referral may be shared only when consent or a gateway is recorded on
it; the reason and clinical detail are clinical and never shared with partners.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import InvalidTransition
from clinic_app.models import (
    Client,
    Referral,
    ReferralStatusChange,
    SpecialistService,
    StaffUser,
)
from clinic_app.models.enums import (
    ConsentToShare,
    Gateway,
    ReferralStatus,
    ReferralUrgency,
)
from clinic_app.services import audit, conflicts
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.service_directory import DEFAULT_RESPONSE_DAYS
from clinic_app.services.validation import Checker, date_problem
from clinic_app.wording import CONSENT_PHRASES, REFERRAL_STATUS_WORDS

S = ReferralStatus
TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    # A draft is sent, or closed without sending (withdrawn).
    S.DRAFT: frozenset({S.SENT, S.CLOSED}),
    # The service's first response: an acknowledgement, or straight to its decision.
    S.SENT: frozenset({S.ACKNOWLEDGED, S.ACCEPTED, S.DECLINED, S.WAITING_LIST, S.CLOSED}),
    S.ACKNOWLEDGED: frozenset({S.ACCEPTED, S.DECLINED, S.WAITING_LIST, S.CLOSED}),
    S.ACCEPTED: frozenset({S.WAITING_LIST, S.SEEN, S.CLOSED}),
    # A waiting list can still end in a decline (the service re-triages).
    S.WAITING_LIST: frozenset({S.SEEN, S.DECLINED, S.CLOSED}),
    S.DECLINED: frozenset({S.CLOSED}),
    S.SEEN: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
"""The status a referral may move to from each status (nothing else is allowed)."""

# The order a referral normally moves in, for sorting and for offering next steps.
STATUS_ORDER: dict[ReferralStatus, int] = {s: i for i, s in enumerate(REFERRAL_STATUS_WORDS)}


DRAFT_SEND_DAYS = 7
ACCEPTED_SEEN_DAYS = 90
WAITING_LIST_SEEN_DAYS = 90
DECLINED_CLOSE_DAYS = 0
SEEN_CLOSE_DAYS = 28
MAX_REASON = 20_000
MAX_DETAIL = 50_000


# -- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusChangeRow:
    """One step of a referral's history: from what to what, on which date, by whom."""

    from_status: ReferralStatus | None
    to_status: ReferralStatus
    changed_on: date
    note: str
    changed_by: int
    changed_by_name: str
    recorded_at: datetime


@dataclass(frozen=True)
class FollowUp:
    """Where a referral stands against the follow-up rules (see the module docstring).

    ``due_on`` is the date the next step was due (None when nothing is expected);
    ``overdue`` is set for a sent referral with no response after its due date,
    ``awaiting_action`` for the other rules; ``message`` says it in words, and what to
    do; ``summary`` says it in a few.
    """

    due_on: date | None
    overdue: bool
    awaiting_action: bool
    message: str
    summary: str = ""
    """A few words for a list, e.g. "no response, 3 days overdue"."""

    @property
    def needs_attention(self) -> bool:
        return self.overdue or self.awaiting_action

    @property
    def flag(self) -> str:
        """One or two words for a list: "Overdue", "Awaiting action" or ""."""
        if self.overdue:
            return "Overdue"
        if self.awaiting_action:
            return "Awaiting action"
        return ""


@dataclass(frozen=True)
class ReferralRow:
    """A referral as the record shows it, with its service and full status history."""

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
    clinical_detail: str = ""
    service_name: str = ""
    expected_response_days: int = DEFAULT_RESPONSE_DAYS
    history: tuple[StatusChangeRow, ...] = field(default=())
    created_by: int | None = None

    @property
    def status_on(self) -> date:
        """The date the referral reached its current status."""
        return self.history[-1].changed_on if self.history else self.created_on

    @property
    def decline_reason(self) -> str:
        """The reason given when the referral was declined, if it was."""
        for change in reversed(self.history):
            if change.to_status is S.DECLINED:
                return change.note
        return ""

    def follow_up(self, today: date) -> FollowUp:
        return follow_up(
            self.status,
            created_on=self.created_on,
            sent_on=self.sent_on,
            status_on=self.status_on,
            expected_response_days=self.expected_response_days,
            today=today,
        )


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def follow_up(
    status: ReferralStatus,
    *,
    created_on: date,
    sent_on: date | None,
    status_on: date,
    expected_response_days: int,
    today: date,
) -> FollowUp:
    """Whether a referral is overdue or awaiting action on ``today`` (module docstring)."""
    n = expected_response_days
    if status is S.CLOSED:
        return FollowUp(None, False, False, "Closed: nothing more to do.", "closed")
    if status is S.SENT:
        sent = sent_on or status_on
        due = sent + timedelta(days=n)
        if today > due:
            late = (today - due).days
            return FollowUp(
                due,
                True,
                False,
                f"Overdue by {_days(late)}: sent on {long_date(sent)} and the service, which "
                f"usually responds within {_days(n)}, has not responded. Contact the service.",
                f"no response, {_days(late)} overdue",
            )
        return FollowUp(
            due,
            False,
            False,
            f"Sent on {long_date(sent)}: a response is expected by {long_date(due)}.",
            f"response expected by {long_date(due)}",
        )
    # status: (clock starts, days allowed, message when late, summary when late,
    #          message in time)
    rules: dict[ReferralStatus, tuple[date, int, str, str, str]] = {
        S.DRAFT: (
            created_on,
            DRAFT_SEND_DAYS,
            "Still a draft {age} after it was written: send it or close it.",
            "draft, not sent after {age}",
            "Draft: send it by {due}, or close it.",
        ),
        S.ACKNOWLEDGED: (
            status_on,
            n,
            "Acknowledged {age} ago with no decision yet: ask the service for its decision.",
            "no decision {age} after it was acknowledged",
            "Acknowledged: the service's decision is expected by {due}.",
        ),
        S.ACCEPTED: (
            status_on,
            ACCEPTED_SEEN_DAYS,
            "Accepted {age} ago and the client has not been seen: ask when they will be.",
            "accepted {age} ago, client not yet seen",
            "Accepted: the client should be seen by {due}.",
        ),
        S.WAITING_LIST: (
            status_on,
            WAITING_LIST_SEEN_DAYS,
            "On the waiting list for {age}: ask the service about the expected wait.",
            "on the waiting list for {age}",
            "On the waiting list: check the expected wait after {due}.",
        ),
        S.DECLINED: (
            status_on,
            DECLINED_CLOSE_DAYS,
            "Declined {age} ago: agree the next steps with the client, then close it.",
            "declined {age} ago: agree next steps, then close it",
            "Declined: agree the next steps with the client, then close it.",
        ),
        S.SEEN: (
            status_on,
            SEEN_CLOSE_DAYS,
            "Seen {age} ago: close the referral, or record what happens next.",
            "seen {age} ago: close it",
            "Seen: close the referral once nothing more is expected (by {due}).",
        ),
    }
    since, allowed, late_text, late_summary, waiting_text = rules[status]
    due = since + timedelta(days=allowed)
    if today > due:
        age = _days((today - since).days)
        return FollowUp(due, False, True, late_text.format(age=age), late_summary.format(age=age))
    message = waiting_text.format(due=long_date(due))
    return FollowUp(due, False, False, message, message[0].lower() + message[1:].rstrip("."))


def _histories(session: Session, referral_ids: Sequence[int]) -> dict[int, list[StatusChangeRow]]:
    """The status history of each referral, oldest first, with who made each change."""
    histories: dict[int, list[StatusChangeRow]] = {}
    if not referral_ids:
        return histories
    rows = session.execute(
        select(ReferralStatusChange, StaffUser.display_name)
        .join(StaffUser, StaffUser.id == ReferralStatusChange.changed_by)
        .where(ReferralStatusChange.referral_id.in_(referral_ids))
        .order_by(ReferralStatusChange.referral_id, ReferralStatusChange.id)
    ).all()
    for change, name in rows:
        histories.setdefault(change.referral_id, []).append(
            StatusChangeRow(
                change.from_status,
                change.to_status,
                change.changed_on,
                change.note,
                change.changed_by,
                name,
                change.recorded_at,
            )
        )
    return histories


def _rows(
    session: Session, referrals: Sequence[tuple[Referral, SpecialistService]]
) -> list[ReferralRow]:
    """Rows for the referrals, each with its service, and their histories (one query)."""
    histories = _histories(session, [r.id for r, _ in referrals])
    rows = []
    for r, service in referrals:
        rows.append(
            ReferralRow(
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
                clinical_detail=r.clinical_detail,
                service_name=service.name,
                expected_response_days=service.expected_response_days,
                history=tuple(histories.get(r.id, [])),
                created_by=r.created_by,
            )
        )
    return rows


def _row(session: Session, referral: Referral) -> ReferralRow:
    service = get_or_raise(session, SpecialistService, referral.service_id, "service")
    return _rows(session, [(referral, service)])[0]


# -- referrals --------------------------------------------------------------------------------


def client_consent(session: Session, client_id: int) -> ConsentToShare | None:
    """What the client's record says about consent to share (None if no such client)."""
    return session.scalar(select(Client.consent_to_share).where(Client.id == client_id))


def _consent_words(consent: ConsentToShare | None) -> str:
    return "nothing" if consent is None else CONSENT_PHRASES[consent]


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
    """Write a draft referral to a service in the directory."""
    require_clinical_access(session, by, client_id)
    today = today or date.today()
    created_on = created_on or today
    service = get_or_raise(session, SpecialistService, service_id, "specialist service")
    check = Checker()
    if not service.active:
        check.add("service", "That service is no longer taking referrals. Choose another.")
    check.text(
        "reason", reason, label="The reason for referral", required=True, max_length=MAX_REASON
    )
    check.text(
        "clinical_detail", clinical_detail, label="The clinical detail", max_length=MAX_DETAIL
    )
    check.add("created_on", date_problem(created_on, label="The referral date", today=today))
    if fact_shareable and share_gateway is None:
        check.add(
            "share_gateway",
            "Record the legal gateway that allows the referral to be mentioned.",
        )
    if fact_shareable and share_gateway is Gateway.CONSENT:
        consent = client_consent(session, client_id)
        if consent is not ConsentToShare.GIVEN:
            check.add(
                "share_gateway",
                "The client's record does not show consent to share (it says "
                f"{_consent_words(consent)}). Record consent on the Overview first, or "
                "choose another gateway.",
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
        share_gateway=share_gateway if fact_shareable else None,
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
    return _row(session, referral)


def allowed_next(status: ReferralStatus) -> tuple[ReferralStatus, ...]:
    """The statuses a referral may move to next, in the order a referral normally goes."""
    return tuple(sorted(TRANSITIONS[status], key=STATUS_ORDER.__getitem__))


def transition_problem(current: ReferralStatus, to: ReferralStatus) -> str | None:
    """Why a referral that is ``current`` cannot become ``to``, or None when it can."""
    if to in TRANSITIONS[current]:
        return None
    now, then = REFERRAL_STATUS_WORDS[current].lower(), REFERRAL_STATUS_WORDS[to].lower()
    if current is to:
        return f"The referral is already {now}."
    options = [REFERRAL_STATUS_WORDS[s].lower() for s in allowed_next(current)]
    if not options:
        return "A closed referral cannot change. To refer again, write a new referral."
    return f"A referral that is {now} cannot become {then}. It can become: {', '.join(options)}."


def change_status(
    session: Session,
    by: StaffRef,
    referral_id: int,
    to: ReferralStatus,
    *,
    on: date | None = None,
    note: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> ReferralRow:
    """Move a referral on; declining needs a reason, and only allowed steps are accepted.

    ``expected_version`` is the version the user saw: a change made meanwhile by someone
    else is not silently built upon.
    """
    referral = conflicts.for_update(session, Referral, referral_id, "referral")
    require_clinical_access(session, by, referral.client_id)
    today = today or date.today()
    on = on or today
    if expected_version is not None and referral.version != expected_version:
        last_note = session.scalar(
            select(ReferralStatusChange.note)
            .where(ReferralStatusChange.referral_id == referral.id)
            .order_by(ReferralStatusChange.id.desc())
            .limit(1)
        )
        raise conflicts.conflict(
            session,
            "a change to this referral",
            entity="referral",
            entity_id=referral.id,
            theirs={"status": to, "note": note.strip()},
            saved={"status": referral.status, "note": last_note or ""},
            labels={"status": "The status", "note": "The note"},
            version=referral.version,
        )
    problem = transition_problem(referral.status, to)
    if problem is not None:
        raise InvalidTransition(problem)
    last_on = session.scalar(
        select(ReferralStatusChange.changed_on)
        .where(ReferralStatusChange.referral_id == referral.id)
        .order_by(ReferralStatusChange.id.desc())
        .limit(1)
    )
    earliest = max(referral.created_on, last_on or referral.created_on)
    check = Checker()
    check.add("on", date_problem(on, label="The date", today=today, not_before=earliest))
    check.text(
        "note",
        note,
        label="The reason for declining" if to is S.DECLINED else "The note",
        max_length=MAX_REASON,
        required=to is S.DECLINED,
    )
    check.raise_if_any()
    session.add(
        ReferralStatusChange(
            referral_id=referral.id,
            from_status=referral.status,
            to_status=to,
            changed_on=on,
            note=note.strip(),
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
    return _row(session, referral)


def referrals_for_client(session: Session, by: StaffRef, client_id: int) -> list[ReferralRow]:
    """The client's referrals, oldest first, each with its service and status history."""
    require_clinical_access(session, by, client_id)
    return referrals_read(session, client_id)


def referrals_read(session: Session, client_id: int) -> list[ReferralRow]:
    """:func:`referrals_for_client` for a use case that has checked the user's access itself."""
    found = session.execute(
        select(Referral, SpecialistService)
        .join(SpecialistService, SpecialistService.id == Referral.service_id)
        .where(Referral.client_id == client_id)
        .order_by(Referral.id)
    ).all()
    return _rows(session, [(referral, service) for referral, service in found])


def get_referral(session: Session, by: StaffRef, referral_id: int) -> ReferralRow:
    """One referral with its service and history."""
    found = get_or_raise(session, Referral, referral_id, "referral")
    require_clinical_access(session, by, found.client_id)
    return _row(session, found)
