"""What the Referrals tab asks of the services: callables given to it, so tests hand it fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from clinic_app.models.enums import Gateway, ReferralStatus, ReferralUrgency
from clinic_app.services.referrals import ReferralRow
from clinic_app.services.service_directory import ServiceRow
from clinic_app.services.sharing.letters import IssuedLetter, LetterPreview, ReferralWording

# -- what the tab needs ---------------------------------------------------------------------------


class CreateReferral(Protocol):
    """``referrals.create_referral`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        service_id: int,
        reason: str,
        urgency: ReferralUrgency,
        clinical_detail: str = "",
        fact_shareable: bool = False,
        share_gateway: Gateway | None = None,
    ) -> ReferralRow: ...


class ChangeStatus(Protocol):
    """``referrals.change_status`` bound to the signed-in user."""

    def __call__(
        self,
        referral_id: int,
        to: ReferralStatus,
        *,
        on: date | None = None,
        note: str = "",
        expected_version: int | None = None,
    ) -> ReferralRow: ...


class PreviewLetter(Protocol):
    """``referral_letter.preview_referral_letter`` bound to the signed-in user."""

    def __call__(
        self, referral_id: int, *, wording: ReferralWording | None = None
    ) -> LetterPreview: ...


class IssueLetter(Protocol):
    """``referral_letter.issue_referral_letter`` bound to the signed-in user."""

    def __call__(
        self,
        referral_id: int,
        out: Path,
        *,
        document_id: str,
        issued_on: date,
        expected_sha256: str,
        gateway: Gateway | None,
        client_informed: bool,
        client_not_informed_reason: str = "",
        wording: ReferralWording | None = None,
    ) -> IssuedLetter: ...


@dataclass(frozen=True)
class ReferralsActions:
    """The use cases the Referrals tab and its dialogs call, bound to the signed-in user."""

    referrals_for_client: Callable[[int], list[ReferralRow]]
    service_directory: Callable[[], list[ServiceRow]]
    create_referral: CreateReferral
    change_status: ChangeStatus
    preview_referral_letter: PreviewLetter
    issue_referral_letter: IssueLetter
    today: Callable[[], date] = field(default=date.today)
