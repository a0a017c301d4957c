"""What the Measures tab asks of the services: callables given to it, so tests hand it fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.models.enums import MeasureMode
from clinic_app.services.measures import (
    AdministrationRow,
    DueMeasure,
    MeasureResults,
    ScheduleRow,
)
from clinic_app.services.notes import NoteRow

# -- what the views need -------------------------------------------------------------------------


class RecordAdministration(Protocol):
    """``measures.record_administration`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        measure_id: str,
        measure_version: str,
        administered_on: date,
        answers: dict[int, int | None],
        mode: MeasureMode = MeasureMode.CLINICIAN_ENTRY,
        session_note_id: int | None = None,
        require_score: bool = False,
    ) -> AdministrationRow: ...


class SetSchedule(Protocol):
    """``measures.set_schedule`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        measure_id: str,
        every_n_sessions: int | None = None,
        at_plan_review: bool = False,
    ) -> ScheduleRow: ...


@dataclass(frozen=True)
class MeasuresActions:
    """The use cases the Measures tab and its dialogs call, bound to the signed-in user.

    ``record_risk_event`` opens the Risk tab's dialog for recording a risk event;
    ``verify_staff`` checks the signed-in user's password (True when right) to end client
    self-completion; ``describe_staff`` names a member of staff from their id (who entered
    an administration), or is None when names are not available.
    """

    results_for_client: Callable[[int], Sequence[MeasureResults]]
    measures_due: Callable[[int], Sequence[DueMeasure]]
    available_measures: Callable[[], Sequence[MeasureDefinition]]
    record_administration: RecordAdministration
    sessions_for_client: Callable[[int], Sequence[NoteRow]]
    schedules_for_client: Callable[[int], Sequence[ScheduleRow]]
    set_schedule: SetSchedule
    stop_schedule: Callable[[int], ScheduleRow]
    verify_staff: Callable[[str], bool]
    record_risk_event: Callable[[], object]
    describe_staff: Callable[[int], str] | None = None
    # The client's administrations with no risk event recorded since (critical alerts on
    # others have had their risk review). Without it every latest alert shows.
    awaiting_risk_review: Callable[[int], frozenset[int]] | None = None
