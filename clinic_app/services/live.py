"""Live refresh at a site: which change notices the signed-in person may act on.

The server announces committed changes to every listener (``storage.live``): a client id
and a kind, nothing more, also about clients the listener may not read. Before a screen
reloads anything, :func:`visible_changes` keeps only the notices about clients the
signed-in member of staff can see now (assigned, or holding unexpired emergency access;
at a site row-level security hides the others as well), and counts them as changes to the
tables behind each kind (:mod:`services.changes`), so Home reloads the sections that read
them. A notice about any other client leads to nothing visible: no reload, no count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.models import (
    Client,
    NoteAddendum,
    Referral,
    ReferralStatusChange,
    RiskEvent,
    RiskShareDecision,
    SessionNote,
)
from clinic_app.services import changes
from clinic_app.services.access import has_emergency_access, is_assigned
from clinic_app.services.common import StaffRef
from clinic_app.storage.live import ChangeNotice

__all__ = ["TABLES_BY_KIND", "ChangeNotice", "visible_changes"]

TABLES_BY_KIND: Mapping[str, frozenset[str]] = {
    "risk_event": frozenset({RiskEvent.__tablename__}),
    "share_decision": frozenset({RiskShareDecision.__tablename__}),
    "signed_note": frozenset({SessionNote.__tablename__, NoteAddendum.__tablename__}),
    "referral": frozenset({Referral.__tablename__, ReferralStatusChange.__tablename__}),
}


def visible_changes(
    session: Session, me: StaffRef, notices: Sequence[ChangeNotice]
) -> list[ChangeNotice]:
    """The notices about clients ``me`` can see now (each once, in order), counted as
    changes for the screens; the others are dropped without a trace."""
    if not me.is_clinical:
        return []  # administrators show no clinical record
    wanted = {notice.client_id for notice in notices}
    if not wanted:
        return []
    # Row-level security (at a site) hides the clients not theirs; the same rule is
    # checked here so that it holds on any connection.
    present = set(session.scalars(select(Client.id).where(Client.id.in_(wanted))))
    visible = {
        client_id
        for client_id in present
        if is_assigned(session, me.id, client_id) or has_emergency_access(session, me.id, client_id)
    }
    kept: list[ChangeNotice] = []
    for notice in notices:
        if notice.client_id in visible and notice not in kept:
            kept.append(notice)
    for notice in kept:
        changes.changed_elsewhere(TABLES_BY_KIND.get(notice.kind, frozenset()))
    return kept
