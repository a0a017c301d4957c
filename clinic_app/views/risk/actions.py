"""What the Risk tab asks of the services: callables given to it, so tests hand it fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from PySide6.QtWidgets import (
    QWidget,
)

from clinic_app.models.enums import Gateway, RiskEventKind, ShareDecisionKind, Urgency
from clinic_app.services.risk import RiskEventRow, ShareDecisionRow

# -- what the views need -----------------------------------------------------------------------


class RecordRiskEvent(Protocol):
    """``risk.record_risk_event`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        kind: RiskEventKind,
        urgency: Urgency,
        occurred_on: date,
        detail: str,
        shareable_statement: str = "",
        session_note_id: int | None = None,
    ) -> RiskEventRow: ...


class RecordShareDecision(Protocol):
    """``risk.record_share_decision`` bound to the signed-in user."""

    def __call__(
        self,
        risk_event_id: int,
        *,
        decision: ShareDecisionKind,
        reason: str,
        gateway: Gateway | None = None,
        shared_with: str = "",
    ) -> ShareDecisionRow: ...


@dataclass(frozen=True)
class RiskActions:
    """The use cases the Risk tab and its dialogs call, bound to the signed-in user."""

    events_for_client: Callable[[int], list[RiskEventRow]]
    urgent_without_decision: Callable[[int], list[RiskEventRow]]
    record_risk_event: RecordRiskEvent
    record_share_decision: RecordShareDecision
    describe_staff: Callable[[int], str]
    # Opens the urgent risk notification for one event (a partner PDF, logged in the
    # disclosure register); True once one was produced. Without it the tab offers none.
    produce_risk_notice: Callable[[QWidget, RiskEventRow], bool] | None = None
