"""What the Measures tab asks of the services: callables given to it, so tests hand it fakes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.models.enums import CriticalReviewOutcome, MeasureMode
from clinic_app.services.critical_items import CriticalReview
from clinic_app.services.measure_schedules import DueMeasure, ScheduleRow
from clinic_app.services.measures import AdministrationRow, MeasureResults
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
    """``measure_schedules.set_schedule`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        measure_id: str,
        every_n_sessions: int | None = None,
        at_plan_review: bool = False,
    ) -> ScheduleRow: ...


class ReviewCriticalAnswers(Protocol):
    """``critical_items.review_critical_answers`` bound to the signed-in user."""

    def __call__(
        self,
        administration_id: int,
        *,
        outcome: CriticalReviewOutcome,
        risk_event_id: int | None = None,
        reason: str = "",
    ) -> CriticalReview: ...


@dataclass(frozen=True)
class MeasuresActions:
    """The use cases the Measures tab and its dialogs call, bound to the signed-in user.

    ``record_risk_event`` opens the Risk tab's form for recording a risk event and returns
    the new event's id once it is saved (None if the clinician cancelled);
    ``review_critical_answers`` records the review that ends an administration's
    critical-answer alert and ``critical_reviews`` gives the client's reviews by
    administration id; ``verify_staff`` checks the signed-in user's password (True when
    right) to end client self-completion; ``describe_staff`` names a member of staff from
    their id (who entered an administration), or is None when names are not available.
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
    record_risk_event: Callable[[], int | None]
    review_critical_answers: ReviewCriticalAnswers
    critical_reviews: Callable[[int], Mapping[int, CriticalReview]]
    describe_staff: Callable[[int], str] | None = None
