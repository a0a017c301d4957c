"""What the Victims and others tab asks of the services: callables, so tests hand it fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from clinic_app.services.third_parties import (
    ProtectiveMeasureInput,
    ProtectiveMeasureRow,
    ThirdPartyInput,
    ThirdPartyRow,
)


class ListThirdParties(Protocol):
    """``third_parties.third_parties_for_client`` bound to the signed-in user."""

    def __call__(self, client_id: int) -> Sequence[ThirdPartyRow]: ...


class EndThirdParty(Protocol):
    """``third_parties.end_third_party`` bound to the signed-in user."""

    def __call__(
        self, third_party_id: int, *, ended_on: date, reason: str, today: date | None = None
    ) -> ThirdPartyRow: ...


class UpdateThirdParty(Protocol):
    """``third_parties.update_third_party`` bound to the signed-in user."""

    def __call__(
        self, third_party_id: int, data: ThirdPartyInput, /, *, expected_version: int | None = None
    ) -> ThirdPartyRow: ...


class UpdateMeasure(Protocol):
    """``third_parties.update_protective_measure`` bound to the signed-in user."""

    def __call__(
        self,
        measure_id: int,
        data: ProtectiveMeasureInput,
        /,
        *,
        expected_version: int | None = None,
    ) -> ProtectiveMeasureRow: ...


class RevokeMeasure(Protocol):
    """``third_parties.revoke_protective_measure`` bound to the signed-in user."""

    def __call__(self, measure_id: int, *, revoked_on: date) -> ProtectiveMeasureRow: ...


@dataclass(frozen=True)
class ThirdPartiesActions:
    """The use cases the Victims and others tab and its forms call, bound to the user.

    ``add_third_party`` takes the client's id, ``update_third_party`` the person's;
    ``add_protective_measure`` the person's id, ``update_protective_measure`` the measure's.
    """

    third_parties_for_client: ListThirdParties
    add_third_party: Callable[[int, ThirdPartyInput], ThirdPartyRow]
    update_third_party: UpdateThirdParty
    end_third_party: EndThirdParty
    add_protective_measure: Callable[[int, ProtectiveMeasureInput], ProtectiveMeasureRow]
    update_protective_measure: UpdateMeasure
    revoke_protective_measure: RevokeMeasure
    today: Callable[[], date] = field(default=date.today)
