"""What the Subject access tab asks of the services: callables, so tests hand it fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from clinic_app.models.subject_access import Exemption, HarmDecision, RequesterKind
from clinic_app.services.sharing.subject_access import PreparedPack, ReleasedPack
from clinic_app.services.subject_access import RequestRow, ReviewRow


class RegisterRequest(Protocol):
    """``subject_access.register_request`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        received_on: date,
        requester_kind: RequesterKind,
        requester_name: str,
        identity_method: str,
        identity_checked_on: date,
    ) -> RequestRow: ...


class ExtendRequest(Protocol):
    """``subject_access.extend_request`` bound to the signed-in user."""

    def __call__(
        self, request_id: int, *, reason: str, extended_to: date | None = None
    ) -> RequestRow: ...


class RecordReview(Protocol):
    """``sharing.subject_access.record_review`` bound to the signed-in user."""

    def __call__(
        self,
        request_id: int,
        *,
        decision: HarmDecision,
        rationale: str,
        withheld: Sequence[tuple[str, Exemption]] = (),
    ) -> ReviewRow: ...


class ReleasePack(Protocol):
    """``sharing.subject_access.release_pack`` bound to the signed-in user."""

    def __call__(self, request_id: int, pdf_out: Path, json_out: Path) -> ReleasedPack: ...


class RequestsForClient(Protocol):
    def __call__(self, client_id: int) -> Sequence[RequestRow]: ...


class PreparePack(Protocol):
    def __call__(self, request_id: int) -> PreparedPack: ...


@dataclass(frozen=True)
class SubjectAccessActions:
    """The use cases the Subject access tab and its dialogs call, bound to the user."""

    requests_for_client: RequestsForClient
    register_request: RegisterRequest
    extend_request: ExtendRequest
    prepare_pack: PreparePack
    record_review: RecordReview
    release_pack: ReleasePack
    today: Callable[[], date] = field(default=date.today)
