"""The urgent risk notification: one risk event, read through the gate for one audience.

Like the partner summary it reads only through
:class:`~clinic_app.services.sharing.audiences.PartnerReader`, and only for an audience
whose policy includes risk information.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import NotFound, ValidationError
from clinic_app.models import RiskEvent, RiskShareDecision
from clinic_app.models.enums import Section, ShareDecisionKind
from clinic_app.reports.content import RiskNotice
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef
from clinic_app.services.sharing.audiences import PartnerReader, policy_for
from clinic_app.services.sharing.partner_summary import read_author, read_subject
from clinic_app.services.validation import Checker


def build_risk_notice(
    session: Session,
    by: StaffRef,
    risk_event_id: int,
    *,
    audience: str = "police",
    today: date | None = None,
) -> RiskNotice:
    """The content of an urgent risk notification for one event (no lexicon check).

    Refuses an event with no shareable statement, one decided not to be shared, and an
    audience whose policy does not include risk information.
    """
    client_id = session.execute(
        select(RiskEvent.client_id).where(RiskEvent.id == risk_event_id)
    ).scalar_one_or_none()
    if client_id is None:
        raise NotFound("That risk event could not be found. It may have been removed.")
    require_clinical_access(session, by, client_id)
    policy = policy_for(session, audience)
    if not policy.includes(Section.RISK):
        raise ValidationError(
            f"The {policy.title} audience does not receive risk information. Choose another "
            "audience, or ask an administrator to change what it receives.",
            where="audience",
        )
    reader = PartnerReader(policy)
    row = session.execute(
        reader.select(
            RiskEvent.occurred_on, RiskEvent.kind, RiskEvent.urgency, RiskEvent.shareable_statement
        ).where(RiskEvent.id == risk_event_id)
    ).one()
    latest = session.execute(
        reader.select(RiskShareDecision.decision)
        .where(RiskShareDecision.risk_event_id == risk_event_id)
        .order_by(RiskShareDecision.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    check = Checker()
    if not row[3].strip():
        check.add(
            "statement",
            "This risk event has no shareable statement. Write one on the Risk tab first.",
        )
    if latest is ShareDecisionKind.NOT_SHARED:
        check.add(
            "decision",
            "This risk event was decided not to be shared. Record a new decision to share it "
            "first.",
        )
    check.raise_if_any()
    return RiskNotice(
        audience=policy.name,
        audience_title=policy.title,
        prepared_on=today or date.today(),
        subject=read_subject(session, reader, client_id),
        author=read_author(session, reader, by.id),
        occurred_on=row[0],
        kind=row[1],
        urgency=row[2],
        statement=row[3].strip(),
    )
