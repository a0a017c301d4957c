"""Subject access requests: registering a client's request for their records, and its clock.

A request is answered within one calendar month of receipt (UK GDPR Art. 12(3)): the due
date is the corresponding day of the next month, or that month's last day when it has no
such day (received 31 January, due 28 February, or 29th in a leap year). It may be
extended by up to two further months (to the corresponding day three months after
receipt) when the request is complex or one of several, with the reason, and the client
must be told within the first month, so an extension is recorded on or before the
original due date. The pack itself, its serious-harm review and its release are in
:mod:`clinic_app.services.sharing.subject_access`.

Clinical staff with access to the client register and extend requests; every change is
audited with ids only. Open requests of the user's caseload, with their due dates, are
given to the dashboard by :func:`open_subject_access_requests`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import ValidationError
from clinic_app.models import (
    Client,
    ClientAssignment,
    StaffUser,
    SubjectAccessRequest,
    SubjectAccessReview,
    utcnow,
)
from clinic_app.models.subject_access import HarmDecision, RequesterKind
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import Checker, date_problem

RESPONSE_MONTHS: Final = 1
"""A request is answered within one calendar month of receipt."""
EXTENSION_MONTHS: Final = 2
"""... which may be extended by at most two further months."""
EARLIEST_RECEIPT: Final = date(2018, 5, 25)
"""UK GDPR (and DPA 2018) took effect on this day."""


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` calendar months later, clamped to that month's end
    (31 January + 1 month is 28 February, or 29 February in a leap year)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received_on: date) -> date:
    """When a request received on ``received_on`` must be answered."""
    return add_months(received_on, RESPONSE_MONTHS)


def latest_extension(received_on: date) -> date:
    """The furthest an extension may take the deadline (three months after receipt)."""
    return add_months(received_on, RESPONSE_MONTHS + EXTENSION_MONTHS)


@dataclass(frozen=True)
class ReviewRow:
    """A serious-harm review as recorded."""

    id: int
    request_id: int
    reviewed_by: int
    reviewer_name: str
    reviewed_at: date
    decision: HarmDecision
    withheld: tuple[tuple[str, str], ...]
    """(item key, exemption code) of each further item withheld."""
    content_sha256: str


@dataclass(frozen=True)
class RequestRow:
    """A subject access request as screens and the command line show it."""

    id: int
    client_id: int
    local_ref: str
    client_name: str
    received_on: date
    requester_kind: RequesterKind
    requester_name: str
    identity_checked_by: str
    identity_checked_on: date
    identity_method: str
    due_on: date
    extended_to: date | None
    extension_reason: str
    completed_on: date | None
    disclosure_id: int | None
    review: ReviewRow | None = None
    """The latest serious-harm review, if any."""

    @property
    def deadline(self) -> date:
        return self.extended_to or self.due_on

    @property
    def is_open(self) -> bool:
        return self.completed_on is None

    def overdue(self, today: date) -> bool:
        return self.is_open and today > self.deadline

    def state(self, today: date) -> str:
        """In words: "Completed 3 March 2026", "Overdue", "Awaiting review", "Reviewed"."""
        if self.completed_on is not None:
            return "Completed"
        if self.overdue(today):
            return "Overdue"
        if self.review is None:
            return "Awaiting serious-harm review"
        if self.review.decision is HarmDecision.DO_NOT_RELEASE:
            return "Reviewed: not to be released"
        return "Reviewed: ready to release"


@dataclass(frozen=True)
class OpenRequest:
    """One open request for the dashboard: whose, and by when."""

    request_id: int
    client_id: int
    client_name: str
    local_ref: str
    received_on: date
    due_on: date
    """The deadline now in force (the extended one, if extended)."""
    extended: bool
    reviewed: bool
    overdue: bool
    what: str
    """E.g. "Subject access request: serious-harm review needed"."""


# -- reading ---------------------------------------------------------------------------------------


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids))
    ).all()
    return {r[0]: r[1] for r in rows}


def _latest_reviews(session: Session, request_ids: list[int]) -> dict[int, SubjectAccessReview]:
    found: dict[int, SubjectAccessReview] = {}
    if request_ids:
        for review in session.scalars(
            select(SubjectAccessReview)
            .where(SubjectAccessReview.request_id.in_(request_ids))
            .order_by(SubjectAccessReview.id)
        ):
            found[review.request_id] = review
    return found


def review_row(review: SubjectAccessReview, reviewer_name: str) -> ReviewRow:
    return ReviewRow(
        id=review.id,
        request_id=review.request_id,
        reviewed_by=review.reviewed_by,
        reviewer_name=reviewer_name,
        reviewed_at=review.reviewed_at.date(),
        decision=review.decision,
        withheld=tuple((str(w["item"]), str(w["exemption"])) for w in review.withheld),
        content_sha256=review.content_sha256,
    )


def _rows(session: Session, requests: list[SubjectAccessRequest]) -> list[RequestRow]:
    reviews = _latest_reviews(session, [r.id for r in requests])
    staff = {r.identity_checked_by for r in requests} | {v.reviewed_by for v in reviews.values()}
    names = _names(session, staff)
    clients = {
        row[0]: row
        for row in session.execute(
            select(Client.id, Client.local_ref, Client.given_name, Client.family_name).where(
                Client.id.in_({r.client_id for r in requests})
            )
        ).all()
    }
    out = []
    for r in requests:
        client = clients[r.client_id]
        review = reviews.get(r.id)
        out.append(
            RequestRow(
                id=r.id,
                client_id=r.client_id,
                local_ref=client[1],
                client_name=f"{client[2]} {client[3]}",
                received_on=r.received_on,
                requester_kind=r.requester_kind,
                requester_name=r.requester_name,
                identity_checked_by=names.get(r.identity_checked_by, ""),
                identity_checked_on=r.identity_checked_on,
                identity_method=r.identity_method,
                due_on=r.due_on,
                extended_to=r.extended_to,
                extension_reason=r.extension_reason,
                completed_on=r.completed_at.date() if r.completed_at else None,
                disclosure_id=r.disclosure_id,
                review=None
                if review is None
                else review_row(review, names.get(review.reviewed_by, "")),
            )
        )
    return out


def load_request(session: Session, by: StaffRef, request_id: int) -> SubjectAccessRequest:
    """The request (as a model, for the services), after checking access to its client."""
    request = get_or_raise(session, SubjectAccessRequest, request_id, "subject access request")
    require_clinical_access(session, by, request.client_id)
    return request


def request_row(session: Session, by: StaffRef, request_id: int) -> RequestRow:
    """One request with its latest review."""
    return _rows(session, [load_request(session, by, request_id)])[0]


def requests_for_client(session: Session, by: StaffRef, client_id: int) -> list[RequestRow]:
    """A client's requests, oldest first."""
    require_clinical_access(session, by, client_id)
    return _rows(
        session,
        list(
            session.scalars(
                select(SubjectAccessRequest)
                .where(SubjectAccessRequest.client_id == client_id)
                .order_by(SubjectAccessRequest.received_on, SubjectAccessRequest.id)
            )
        ),
    )


def open_subject_access_requests(
    session: Session, me: StaffRef, *, today: date | None = None
) -> tuple[OpenRequest, ...]:
    """The open requests about the user's caseload (clients currently assigned to them),
    soonest deadline first: for the dashboard, until each is completed. One query for the
    requests whatever the caseload's size; administrators have no caseload (empty)."""
    if not me.is_clinical:
        return ()
    today = today or date.today()
    requests = list(
        session.scalars(
            select(SubjectAccessRequest)
            .join(
                ClientAssignment,
                (ClientAssignment.client_id == SubjectAccessRequest.client_id)
                & (ClientAssignment.staff_id == me.id)
                & ClientAssignment.ended_at.is_(None),
            )
            .where(SubjectAccessRequest.completed_at.is_(None))
            .order_by(SubjectAccessRequest.id)
        ).unique()
    )
    rows = _rows(session, requests)
    out = []
    for r in rows:
        if r.review is None:
            what = "Subject access request: serious-harm review needed"
        elif r.review.decision is HarmDecision.DO_NOT_RELEASE:
            what = "Subject access request: reviewed, not to be released; reply to the client"
        else:
            what = "Subject access request: reviewed, ready to release"
        out.append(
            OpenRequest(
                request_id=r.id,
                client_id=r.client_id,
                client_name=r.client_name,
                local_ref=r.local_ref,
                received_on=r.received_on,
                due_on=r.deadline,
                extended=r.extended_to is not None,
                reviewed=r.review is not None,
                overdue=r.overdue(today),
                what=what,
            )
        )
    out.sort(key=lambda o: (o.due_on, o.request_id))
    return tuple(out)


# -- writing ---------------------------------------------------------------------------------------


def register_request(
    session: Session,
    by: StaffRef,
    client_id: int,
    *,
    received_on: date,
    requester_kind: RequesterKind,
    requester_name: str,
    identity_method: str,
    identity_checked_on: date,
    identity_checked_by: int | None = None,
    today: date | None = None,
) -> RequestRow:
    """Register a request received on ``received_on``; it is due one calendar month later.

    ``identity_checked_by`` is the member of staff who checked the requester's identity
    (and a representative's authority), the user registering it when None; they must be
    a clinical member of staff able to open the record.
    """
    require_clinical_access(session, by, client_id)
    get_or_raise(session, Client, client_id, "client")
    today = today or date.today()
    check = Checker()
    check.add(
        "received_on",
        date_problem(
            received_on, label="The date received", today=today, not_before=EARLIEST_RECEIPT
        ),
    )
    check.add(
        "identity_checked_on",
        date_problem(
            identity_checked_on,
            label="The date identity was checked",
            today=today,
            not_before=EARLIEST_RECEIPT,
        ),
    )
    check.text(
        "requester_name",
        requester_name,
        label="The requester's name",
        required=True,
        max_length=200,
    )
    check.text(
        "identity_method",
        identity_method,
        label="How identity was checked",
        required=True,
        max_length=2000,
    )
    checker_id = by.id if identity_checked_by is None else identity_checked_by
    checker = session.get(StaffUser, checker_id)
    if checker is None or not checker.role.is_clinical or checker.disabled_at is not None:
        check.add(
            "identity_checked_by",
            "The identity check must be recorded by an active clinical member of staff.",
        )
    check.raise_if_any()
    request = SubjectAccessRequest(
        client_id=client_id,
        received_on=received_on,
        requester_kind=requester_kind,
        requester_name=requester_name.strip(),
        identity_checked_by=checker_id,
        identity_checked_on=identity_checked_on,
        identity_method=identity_method.strip(),
        due_on=due_date(received_on),
        extension_reason="",
        registered_by=by.id,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="subject_access_request",
        entity_id=request.id,
        client_id=client_id,
    )
    return request_row(session, by, request.id)


def extend_request(
    session: Session,
    by: StaffRef,
    request_id: int,
    *,
    reason: str,
    extended_to: date | None = None,
    today: date | None = None,
) -> RequestRow:
    """Extend an open request's deadline (to three months after receipt when
    ``extended_to`` is None), with the reason the client is told. Refused after the
    original due date: the client must be told of an extension within the first month."""
    request = load_request(session, by, request_id)
    today = today or date.today()
    limit = latest_extension(request.received_on)
    target = extended_to or limit
    check = Checker()
    if request.completed_at is not None:
        check.add("request", "This request has been completed; it cannot be extended.")
    check.text(
        "reason", reason, label="The reason for the extension", required=True, max_length=2000
    )
    if today > request.due_on:
        check.add(
            "extended_to",
            f"The request was due on {request.due_on:%d %B %Y}: an extension must be recorded, "
            "and the client told, within the first month.",
        )
    current = request.extended_to or request.due_on
    if target <= current:
        check.add("extended_to", f"The new deadline must be after {current:%d %B %Y}.")
    elif target > limit:
        check.add(
            "extended_to",
            f"A request received on {request.received_on:%d %B %Y} can be extended to "
            f"{limit:%d %B %Y} at the latest (two further months).",
        )
    check.raise_if_any()
    request.extended_to = target
    request.extension_reason = reason.strip()
    request.extended_by = by.id
    request.extended_at = utcnow()
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="subject_access_request",
        entity_id=request.id,
        client_id=request.client_id,
        detail={"extended": True},
    )
    return request_row(session, by, request.id)


def require_open(request: SubjectAccessRequest) -> None:
    if request.completed_at is not None:
        raise ValidationError("This request has already been completed.", where="request")
