"""The Measures tab, clinician entry, the trend chart, schedules and importing definitions.

Driven with fake actions: scores are computed by the real (pure) scoring engine from the
shipped definitions, exactly as the services would, but nothing touches a database.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCharts import QScatterSeries, QValueAxis
from PySide6.QtCore import QEvent, QPoint, QRectF, Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QLabel,
)

from clinic_app.errors import AccessDenied, Problem, ValidationError
from clinic_app.measures.definitions import MeasureDefinition, Origin, shipped_definitions
from clinic_app.measures.scoring import Score, critical_alerts, reliable_change, score
from clinic_app.models.enums import Attendance, CriticalReviewOutcome, MeasureMode, Modality
from clinic_app.services.critical_items import CriticalReview
from clinic_app.services.measure_definitions import DefinitionRow
from clinic_app.services.measure_schedules import DueMeasure, ScheduleRow
from clinic_app.services.measures import (
    AdministrationResult,
    AdministrationRow,
    ChangeBetween,
    MeasureResults,
)
from clinic_app.services.notes import NoteContent, NoteRow
from clinic_app.views.common import feedback
from clinic_app.views.measures import dialogs as measures_dialogs
from clinic_app.views.measures import models
from clinic_app.views.measures import tab as measures_view
from clinic_app.views.measures.actions import MeasuresActions
from clinic_app.views.measures.administer import AdministerDialog, ChooseMeasureDialog
from clinic_app.views.measures.chart import TrendChart, TrendPoint, summary_text
from clinic_app.views.measures.dialogs import ImportDefinitionDialog, SchedulesDialog
from clinic_app.views.measures.models import (
    NO_RESULTS,
    ResultColumn,
    ResultLine,
    ResultModel,
    ScheduleModel,
    describe_result,
    sum_written_out,
)
from clinic_app.views.measures.tab import MeasuresTab

CLIENT = 7
# Version 1 of each: these tests are about the screens, and their arithmetic is written for
# version 1's rules (PHQ-9 answered in full; version 2's missing-item rules are tested with
# the scoring).
DEFINITIONS: dict[str, MeasureDefinition] = {
    d.id: d for d in shipped_definitions() if d.version == "1"
}
PHQ9 = DEFINITIONS["phq-9"]
CORE10 = DEFINITIONS["core-10"]
GAD7 = DEFINITIONS["gad-7"]


def phq9(*values: int | None) -> dict[int, int | None]:
    return dict(enumerate(values, start=1))


class FakeMeasures:
    """Stands in for the measures services: keeps administrations, scores them for real."""

    def __init__(self) -> None:
        self.rows: list[AdministrationRow] = []
        self.schedules: list[ScheduleRow] = []
        self.due: list[DueMeasure] = []
        self.sessions: list[NoteRow] = []
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        self.password = "staff password 1"
        self.risk_events_opened = 0
        self.risk_event_saved = True  # False: the clinician cancels the risk event form
        self.reviews: dict[int, CriticalReview] = {}
        self.fail_saving: Exception | None = None

    # -- building the record ---------------------------------------------------------------

    def add(
        self,
        measure_id: str,
        day: date,
        answers: dict[int, int | None],
        mode: MeasureMode = MeasureMode.CLINICIAN_ENTRY,
    ) -> AdministrationRow:
        scored, problem = _try_score(DEFINITIONS[measure_id], answers)
        row = AdministrationRow(
            100 + len(self.rows),
            CLIENT,
            measure_id,
            DEFINITIONS[measure_id].version,
            day,
            mode,
            tuple(sorted(answers.items())),
            scored,
            problem,
            alerts=critical_alerts(DEFINITIONS[measure_id], answers),
        )
        self.rows.append(row)
        return row

    # -- the actions -----------------------------------------------------------------------

    def results_for_client(self, client_id: int) -> tuple[MeasureResults, ...]:
        self.calls.append(("results_for_client", client_id, {}))
        grouped: dict[str, list[AdministrationRow]] = {}
        for row in sorted(self.rows, key=lambda r: (r.administered_on, r.id)):
            grouped.setdefault(row.measure_id, []).append(row)
        out = []
        for measure_id, rows in grouped.items():
            definition = DEFINITIONS[measure_id]
            results = [
                AdministrationResult(
                    r, definition, *_try_score(definition, dict(r.answers)), alerts=r.alerts
                )
                for r in rows
            ]
            changes = tuple(_between(definition, a, b) for a, b in pairwise(results))
            overall = _between(definition, results[0], results[-1]) if len(results) > 1 else None
            out.append(
                MeasureResults(
                    measure_id,
                    definition.title,
                    definition.short_title,
                    definition,
                    tuple(results),
                    changes,
                    overall,
                )
            )
        return tuple(sorted(out, key=lambda m: m.short_title.lower()))

    def measures_due(self, client_id: int) -> tuple[DueMeasure, ...]:
        return tuple(self.due)

    def available_measures(self) -> tuple[MeasureDefinition, ...]:
        return tuple(sorted(DEFINITIONS.values(), key=lambda d: d.short_title.lower()))

    def record_administration(self, client_id: int, **kwargs: Any) -> AdministrationRow:
        self.calls.append(("record_administration", client_id, kwargs))
        if self.fail_saving is not None:
            raise self.fail_saving
        definition = DEFINITIONS[kwargs["measure_id"]]
        if kwargs.get("require_score"):
            score(definition, kwargs["answers"])  # raises ValidationError naming the items
        return self.add(
            kwargs["measure_id"], kwargs["administered_on"], kwargs["answers"], kwargs["mode"]
        )

    def sessions_for_client(self, client_id: int) -> list[NoteRow]:
        return list(self.sessions)

    def schedules_for_client(self, client_id: int) -> tuple[ScheduleRow, ...]:
        return tuple(s for s in self.schedules if s.active)

    def set_schedule(self, client_id: int, **kwargs: Any) -> ScheduleRow:
        self.calls.append(("set_schedule", client_id, kwargs))
        if kwargs["every_n_sessions"] is None and not kwargs["at_plan_review"]:
            raise ValidationError([Problem("every_n_sessions", "Say when the measure is due.")])
        row = ScheduleRow(
            len(self.schedules) + 1,
            client_id,
            kwargs["measure_id"],
            DEFINITIONS[kwargs["measure_id"]].short_title,
            kwargs["every_n_sessions"],
            kwargs["at_plan_review"],
            True,
        )
        self.schedules.append(row)
        return row

    def stop_schedule(self, schedule_id: int) -> ScheduleRow:
        self.calls.append(("stop_schedule", schedule_id, {}))
        for i, row in enumerate(self.schedules):
            if row.id == schedule_id:
                self.schedules[i] = dataclasses.replace(row, active=False)
                return self.schedules[i]
        raise AssertionError("unknown schedule")

    def verify_staff(self, password: str) -> bool:
        self.calls.append(("verify_staff", None, {}))
        return password == self.password

    def record_risk_event(self) -> int | None:
        self.risk_events_opened += 1
        return 900 + self.risk_events_opened if self.risk_event_saved else None

    def review_critical_answers(
        self,
        administration_id: int,
        *,
        outcome: CriticalReviewOutcome,
        risk_event_id: int | None = None,
        reason: str = "",
    ) -> CriticalReview:
        """As the service: one review per administration, with its event or its reason."""
        self.calls.append(
            (
                "review_critical_answers",
                administration_id,
                {"outcome": outcome, "risk_event_id": risk_event_id, "reason": reason},
            )
        )
        if administration_id in self.reviews:
            raise ValidationError(
                [Problem("administration_id", "These answers have already been reviewed.")]
            )
        if outcome is CriticalReviewOutcome.NO_FURTHER_ACTION and not reason.strip():
            raise ValidationError([Problem("reason", "Say why no further action is needed.")])
        review = CriticalReview(
            len(self.reviews) + 1,
            administration_id,
            CLIENT,
            outcome,
            risk_event_id,
            reason.strip(),
            "Dr A Jones",
            datetime(2025, 12, 4, 10, 30),
        )
        self.reviews[administration_id] = review
        return review

    def critical_reviews(self, client_id: int) -> dict[int, CriticalReview]:
        return dict(self.reviews)

    def actions(self) -> MeasuresActions:
        return MeasuresActions(
            results_for_client=self.results_for_client,
            measures_due=self.measures_due,
            available_measures=self.available_measures,
            record_administration=self.record_administration,
            sessions_for_client=self.sessions_for_client,
            schedules_for_client=self.schedules_for_client,
            set_schedule=self.set_schedule,
            stop_schedule=self.stop_schedule,
            verify_staff=self.verify_staff,
            record_risk_event=self.record_risk_event,
            review_critical_answers=self.review_critical_answers,
            critical_reviews=self.critical_reviews,
        )

    def named(self, name: str) -> list[tuple[Any, dict[str, Any]]]:
        return [(target, kwargs) for call, target, kwargs in self.calls if call == name]


def _try_score(
    definition: MeasureDefinition, answers: dict[int, int | None]
) -> tuple[Score | None, str]:
    """The score, or None and why not (as the service reports answers it cannot score)."""
    try:
        return score(definition, answers), ""
    except ValidationError as error:
        return None, "These answers cannot be scored: " + error.problems[0].message


def _between(
    definition: MeasureDefinition, a: AdministrationResult, b: AdministrationResult
) -> ChangeBetween:
    ids = (a.administration.id, b.administration.id)
    days = (a.administration.administered_on, b.administration.administered_on)
    if a.score is None or b.score is None:
        problem = "Change cannot be judged: one of the two administrations cannot be scored."
        return ChangeBetween(*ids, *days, None, problem)
    return ChangeBetween(*ids, *days, reliable_change(definition, a.score, b.score))


def note(note_id: int, day: date) -> NoteRow:
    return NoteRow(
        note_id,
        CLIENT,
        2,
        NoteContent(day, 50, Modality.IN_PERSON, Attendance.ATTENDED),
        datetime(day.year, day.month, day.day, 12, 0),
        2,
        None,
        None,
        "",
        1,
    )


@pytest.fixture
def no_error_boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Known errors that would be shown in a message box, captured instead."""
    shown: list[str] = []
    monkeypatch.setattr(
        feedback, "show_error", lambda parent, error, title="": shown.append(error.message)
    )
    return shown


class DialogScript:
    """Replaces exec_dialog: each step works the next dialog (None just cancels it)."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.seen: list[QDialog] = []

    def __call__(self, dialog: QDialog) -> int:
        self.seen.append(dialog)
        step = self.steps.pop(0) if self.steps else None
        if step is not None:
            step(dialog)
        if dialog.result() != QDialog.DialogCode.Accepted:
            dialog.reject()
        return dialog.result()


def with_history() -> FakeMeasures:
    """A client given PHQ-9 three times (a reliable improvement, then no reliable change)."""
    fake = FakeMeasures()
    # 3+3+2+2+2+2+2+1+1 = 18 (moderately severe); item 9 answered 1: critical
    fake.add("phq-9", date(2025, 9, 3), phq9(3, 3, 2, 2, 2, 2, 2, 1, 1))
    # 2+1+1+1+2+1+1+1+0 = 10: down 8, at least the published 6, so reliable improvement
    fake.add("phq-9", date(2025, 10, 1), phq9(2, 1, 1, 1, 2, 1, 1, 1, 0))
    # 1+1+1+1+1+1+1+0+0 = 7: down 3, less than 6, so no reliable change
    fake.add("phq-9", date(2025, 11, 5), phq9(1, 1, 1, 1, 1, 1, 1, 0, 0))
    return fake


def make_tab(qtbot: Any, fake: FakeMeasures) -> MeasuresTab:
    tab = MeasuresTab(CLIENT, fake.actions())
    qtbot.addWidget(tab)
    tab.resize(1200, 760)
    return tab


def fill(dialog: AdministerDialog, answers: dict[int, int | None]) -> None:
    for number, value in answers.items():
        widget = dialog.items[number]
        if value is None:
            continue
        position = widget.item.values.index(value)
        widget.buttons[position].setChecked(True)


# -- the entry form ----------------------------------------------------------------------------


def test_entry_form_is_generated_from_the_definition(qtbot):
    dialog = AdministerDialog(CLIENT, PHQ9, FakeMeasures().record_administration)
    qtbot.addWidget(dialog)
    assert sorted(dialog.items) == list(range(1, 10))
    for number, widget in dialog.items.items():
        item = PHQ9.item(number)
        assert [b.text() for b in widget.buttons] == [o.label for o in item.options]
        for button in widget.buttons:
            # A screen reader hears which item an answer belongs to.
            assert item.text in button.accessibleName()
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert PHQ9.instructions in texts
    assert PHQ9.licence.copyright_line in texts
    assert dialog.answers() == dict.fromkeys(range(1, 10))


def test_core10_entry_shows_its_copyright_line(qtbot):
    dialog = AdministerDialog(CLIENT, CORE10, FakeMeasures().record_administration)
    qtbot.addWidget(dialog)
    texts = " ".join(
        label.text() for label in dialog.findChildren(QLabel) if label.isVisibleTo(dialog)
    )
    assert CORE10.licence.copyright_line
    assert CORE10.licence.copyright_line in texts


def test_saving_passes_every_answer_to_the_service(qtbot):
    fake = FakeMeasures()
    fake.sessions = [note(41, date(2025, 9, 3))]
    dialog = AdministerDialog(
        CLIENT,
        PHQ9,
        fake.record_administration,
        sessions=fake.sessions,
        today=date(2025, 9, 10),
    )
    qtbot.addWidget(dialog)
    answers = phq9(3, 3, 2, 2, 2, 2, 2, 1, 0)
    fill(dialog, answers)
    dialog.given_on.setDate(dialog.given_on.date().addDays(-7))
    dialog.session.setCurrentIndex(dialog.session.findData(41))
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    ((client, kwargs),) = fake.named("record_administration")
    assert client == CLIENT
    assert kwargs == {
        "measure_id": "phq-9",
        "measure_version": PHQ9.version,
        "administered_on": date(2025, 9, 3),
        "answers": answers,
        "mode": MeasureMode.CLINICIAN_ENTRY,
        "session_note_id": 41,
        "require_score": True,
    }
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.saved_row is not None
    # 3+3+2+2+2+2+2+1+0 = 17
    assert dialog.saved_row.score is not None and dialog.saved_row.score.total == 17


def test_a_problem_with_an_item_is_shown_under_it_and_the_answers_stay(qtbot):
    fake = FakeMeasures()
    dialog = AdministerDialog(CLIENT, PHQ9, fake.record_administration)
    qtbot.addWidget(dialog)
    dialog.show()
    # Item 4 left unanswered: PHQ-9 must be answered in full (minimum answered 9).
    answers = phq9(1, 2, 3, None, 0, 1, 2, 3, 0)
    fill(dialog, answers)
    dialog.save_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    label = dialog.errors._fields["answers.4"][1]
    assert label.isVisible()
    assert "Item 4" in label.text() and "no answer" in label.text()
    # No other item is blamed, and nothing chosen was lost.
    assert not dialog.errors._fields["answers.3"][1].isVisible()
    assert dialog.answers() == answers
    # The clinician answers item 4 and saves: the same form, now accepted.
    dialog.items[4].buttons[1].setChecked(True)
    dialog.save_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert fake.named("record_administration")[-1][1]["answers"][4] == 1


def test_a_problem_the_form_cannot_place_is_shown_at_its_foot(qtbot, no_error_boxes):
    fake = FakeMeasures()
    fake.fail_saving = ValidationError([Problem("measure_version", "No longer offered.")])
    dialog = AdministerDialog(CLIENT, PHQ9, fake.record_administration)
    qtbot.addWidget(dialog)
    dialog.show()
    fill(dialog, phq9(0, 0, 0, 0, 0, 0, 0, 0, 0))
    dialog.save_button.click()
    assert dialog.general_errors.isVisible()
    assert dialog.general_errors.text() == "No longer offered."
    fake.fail_saving = AccessDenied("You may not record measures for this client.")
    dialog.save_button.click()
    assert no_error_boxes == ["You may not record measures for this client."]
    assert dialog.answers() == phq9(0, 0, 0, 0, 0, 0, 0, 0, 0)


def test_an_answer_can_be_cleared(qtbot):
    dialog = AdministerDialog(CLIENT, GAD7, FakeMeasures().record_administration)
    qtbot.addWidget(dialog)
    dialog.show()
    widget = dialog.items[2]
    assert not widget.clear_button.isVisible()  # nothing to clear yet
    widget.buttons[3].setChecked(True)
    assert widget.clear_button.isVisible()
    assert dialog.answered.text() == "1 of 7 items answered."
    widget.clear_button.click()
    assert widget.value() is None
    assert dialog.answered.text() == "0 of 7 items answered."


def test_keyboard_tab_moves_between_items_and_arrows_within(qtbot):
    dialog = AdministerDialog(CLIENT, GAD7, FakeMeasures().record_administration)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # arrow keys act on the focused answer
    first, second = dialog.items[1], dialog.items[2]
    first.buttons[0].setFocus()
    qtbot.keyClick(first.buttons[0], Qt.Key.Key_Space)
    assert first.value() == 0
    qtbot.keyClick(first.buttons[0], Qt.Key.Key_Right)
    assert first.value() == 1  # the arrow moved the answer within the item
    focused = dialog.focusWidget()
    assert focused is first.buttons[1]
    qtbot.keyClick(focused, Qt.Key.Key_Tab)
    focused = dialog.focusWidget()
    # Tab skips the item's other answers (and its Clear button) to the next item.
    if focused is first.clear_button:
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        focused = dialog.focusWidget()
    assert focused in second.buttons


# -- the tab -----------------------------------------------------------------------------------


def test_empty_state_is_in_words(qtbot):
    tab = make_tab(qtbot, FakeMeasures())
    tab.show()
    assert tab.empty.isVisible()
    assert tab.empty.text() == NO_RESULTS
    assert not tab.results_area.isVisible()
    assert not tab.alert.isVisible()
    assert not tab.due_frame.isVisible()
    assert tab.give_button.isVisible() and tab.self_button.isVisible()


def test_results_table_shows_totals_bands_and_reliable_change(qtbot):
    tab = make_tab(qtbot, with_history())
    tab.show()
    model = tab.proxy
    cells = [[model.index(r, c).data() for c in ResultColumn] for r in range(model.rowCount())]
    assert cells == [
        ["03/09/2025", "Clinician entry", "18", "Moderately severe", "First time given",
         "Item 9: not reviewed"],
        ["01/10/2025", "Clinician entry", "10", "Moderate", "-8: Reliable improvement", ""],
        ["05/11/2025", "Clinician entry", "7", "Mild", "-3: No reliable change", ""],
    ]  # fmt: skip
    # The reliable-change parameters are given with every verdict.
    tip = model.index(1, ResultColumn.CHANGE).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("-8: Reliable improvement.")
    assert "6 points or more" in tip and "NHS Talking Therapies" in tip
    # The critical item is short in the table and in full in its tooltip.
    tip = model.index(0, ResultColumn.ALERTS).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Item 9 was answered 'Several days' (1).")
    assert "Review their risk now" in tip
    assert tip.endswith(models.AWAITING_REVIEW)
    # The latest is selected, and the answers behind it are shown.
    assert tab.selected_line() is not None and tab.selected_line().id == 102


def test_details_show_the_answers_and_the_sum_written_out(qtbot):
    tab = make_tab(qtbot, with_history())
    tab.select_administration(100)
    text = tab.details.toPlainText()
    item9 = PHQ9.item(9).text
    assert item9 in text
    assert "Several days" in text
    # 3+3+2+2+2+2+2+1+1 = 18
    assert "3 + 3 + 2 + 2 + 2 + 2 + 2 + 1 + 1 = 18" in text
    assert "Critical item 9" in text
    tab.select_administration(101)
    text = tab.details.toPlainText()
    assert "Reliable improvement" in text
    assert "How this was judged" in text and "6 points or more" in text


def test_reverse_scored_items_show_their_arithmetic(qtbot):
    fake = FakeMeasures()
    # CORE-10 items 2 and 3 are reverse scored on 0-4: scored = 4 - answer.
    # Answers 1,3,4,1,0,0,2,1,2,1 -> scored 1,1,0,1,0,0,2,1,2,1 = 9
    fake.add("core-10", date(2025, 9, 3), dict(enumerate([1, 3, 4, 1, 0, 0, 2, 1, 2, 1], 1)))
    tab = make_tab(qtbot, fake)
    text = tab.details.toPlainText()
    assert "1 (reversed: 4 - 3)" in text
    assert "0 (reversed: 4 - 4)" in text
    assert "1 + 1 + 0 + 1 + 0 + 0 + 2 + 1 + 2 + 1 = 9" in text
    assert CORE10.licence.copyright_line in text


def test_an_administration_that_cannot_be_scored_says_so(qtbot):
    fake = FakeMeasures()
    fake.add("phq-9", date(2025, 9, 3), phq9(1, 1, 1, 1, 1, 1, 1, 1, 0))
    # Stored as the client gave it (e.g. imported), with item 2 unanswered.
    fake.add("phq-9", date(2025, 10, 1), phq9(1, None, 1, 1, 1, 1, 1, 1, 0))
    tab = make_tab(qtbot, fake)
    assert tab.proxy.index(1, ResultColumn.TOTAL).data() == "Not scored"
    assert tab.proxy.index(1, ResultColumn.CHANGE).data() == "Not judged"
    assert "cannot be scored" in tab.details.toPlainText()
    assert "item 2: no answer" in tab.details.toPlainText()
    # The chart shows only what could be scored, and says so in words.
    assert tab.chart.score_series is not None and tab.chart.score_series.count() == 1


def test_describe_result_of_an_unscorable_administration_says_why():
    row = AdministrationRow(5, CLIENT, "clinic-scale", "1", date(2025, 1, 2),
                            MeasureMode.CLINICIAN_ENTRY, ((1, 2), (2, None)))  # fmt: skip
    result = AdministrationResult(row, None, None, "Version 1 is not known here.")
    measure = MeasureResults(
        "clinic-scale", "clinic-scale", "CLINIC-SCALE", None, (result,), (), None
    )
    text = describe_result(measure, ResultLine(result, None))
    assert "Not scored" in text and "Version 1 is not known here." in text
    assert "item 2: no answer" in text


def next_tab_stop(widget: Any) -> Any:
    """The next visible widget that Tab moves focus to."""
    found = widget.nextInFocusChain()
    while not (found.focusPolicy() & Qt.FocusPolicy.TabFocus and found.isVisible()):
        found = found.nextInFocusChain()
    return found


def with_critical_answer() -> FakeMeasures:
    """A client whose latest PHQ-9 has item 9 answered 'More than half the days'."""
    fake = FakeMeasures()
    # 1+1+1+1+1+1+1+0+0 = 7: nothing critical
    fake.add("phq-9", date(2025, 11, 5), phq9(1, 1, 1, 1, 1, 1, 1, 0, 0))
    # 1+1+1+1+1+1+1+0+2 = 9; item 9 answered 2: critical
    fake.add("phq-9", date(2025, 12, 3), phq9(1, 1, 1, 1, 1, 1, 1, 0, 2))
    return fake


def test_critical_alert_is_prominent_and_offers_both_reviews(qtbot):
    tab = make_tab(qtbot, with_critical_answer())
    tab.show()
    assert tab.alert.isVisible()
    assert "Critical item not reviewed yet" in tab.alert.title.text()
    [block] = tab.alert.blocks
    assert block.administration_id == 101
    [text] = tab.alert.lines
    assert text.startswith("PHQ-9 given on 3 December 2025:")
    assert "Item 9 was answered 'More than half the days' (2)." in text
    assert "Review their risk now" in text
    assert tab.alert.accessibleDescription()  # said to screen readers, not only drawn
    assert block.risk_button.isVisible() and block.no_action_button.isVisible()
    assert block.risk_button.text() == "Record a risk &event\u2026"
    assert block.no_action_button.text() == "Reviewed: &no further action\u2026"
    # Tab reaches the review buttons after the tab's own buttons, before the results.
    assert next_tab_stop(tab.schedules_button) is block.risk_button
    assert next_tab_stop(block.risk_button) is block.no_action_button
    assert next_tab_stop(block.no_action_button) is tab.chooser
    # The table and the details say it too, and that it awaits a review.
    tab.select_administration(101)
    assert tab.proxy.index(1, ResultColumn.ALERTS).data() == "Item 9: not reviewed"
    assert models.AWAITING_REVIEW in tab.details.toPlainText()


def test_a_risk_event_recorded_from_the_alert_reviews_those_answers(qtbot):
    fake = with_critical_answer()
    tab = make_tab(qtbot, fake)
    tab.show()
    with qtbot.waitSignal(tab.changed):
        tab.alert.blocks[0].risk_button.click()
    assert fake.risk_events_opened == 1
    [(administration_id, kwargs)] = fake.named("review_critical_answers")
    assert administration_id == 101
    assert kwargs["outcome"] is CriticalReviewOutcome.RISK_EVENT_RECORDED
    assert kwargs["risk_event_id"] == 901  # the event just saved
    assert not tab.alert.isVisible()
    assert tab.selected_line() is not None and tab.selected_line().id == 101
    assert "Risk event recorded by Dr A Jones on 4 December 2025." in tab.details.toPlainText()


def test_cancelling_the_risk_event_form_leaves_the_alert_waiting(qtbot):
    fake = with_critical_answer()
    fake.risk_event_saved = False
    tab = make_tab(qtbot, fake)
    tab.show()
    tab.alert.blocks[0].risk_button.click()
    assert fake.risk_events_opened == 1
    assert fake.named("review_critical_answers") == []
    assert tab.alert.isVisible() and len(tab.alert.blocks) == 1


def test_reviewing_with_no_further_action_needs_a_reason(qtbot, monkeypatch):
    fake = with_critical_answer()
    tab = make_tab(qtbot, fake)
    tab.show()
    seen: list[bool] = []

    def without_then_with_a_reason(dialog: Any) -> None:
        assert isinstance(dialog, measures_dialogs.NoFurtherActionDialog)
        labels = [label.text() for label in dialog.findChildren(QLabel)]
        assert any("Item 9 was answered 'More than half the days'" in t for t in labels)
        dialog.reason.setPlainText("   ")
        dialog.save_button.click()
        seen.append(dialog.result() == QDialog.DialogCode.Accepted)
        shown = [t.text() for t in dialog.findChildren(QLabel) if t.isVisibleTo(dialog)]
        assert any("the reason is required" in text for text in shown)
        assert fake.named("review_critical_answers") == []  # nothing sent without a reason
        dialog.reason.setPlainText("Asked at the session: no thoughts of self-harm this week.")
        dialog.save_button.click()

    monkeypatch.setattr(measures_view, "exec_dialog", DialogScript(without_then_with_a_reason))
    with qtbot.waitSignal(tab.changed):
        tab.alert.blocks[0].no_action_button.click()
    assert seen == [False]
    [(administration_id, kwargs)] = fake.named("review_critical_answers")
    assert administration_id == 101
    assert kwargs["outcome"] is CriticalReviewOutcome.NO_FURTHER_ACTION
    assert kwargs["risk_event_id"] is None


def test_after_review_the_outcome_shows_and_the_alert_is_gone(qtbot, monkeypatch):
    fake = with_critical_answer()
    tab = make_tab(qtbot, fake)
    tab.show()

    def give_a_reason(dialog: Any) -> None:
        dialog.reason.setPlainText("Asked at the session: no thoughts of self-harm this week.")
        dialog.save_button.click()

    monkeypatch.setattr(measures_view, "exec_dialog", DialogScript(give_a_reason))
    review = tab.review_no_further_action(101)
    assert review is not None
    assert not tab.alert.isVisible() and tab.alert.blocks == []
    assert tab.awaiting_review() == []
    # The outcome, who, when and why, with the score.
    assert tab.selected_line() is not None and tab.selected_line().id == 101
    details = tab.details.toPlainText()
    assert (
        "Reviewed: no further action by Dr A Jones on 4 December 2025: Asked at the session: "
        "no thoughts of self-harm this week." in details
    )
    assert "Total 9" in details and models.AWAITING_REVIEW not in details
    cell = tab.proxy.index(1, ResultColumn.ALERTS)
    assert cell.data() == "Item 9: reviewed"
    assert cell.data(Qt.ItemDataRole.DecorationRole) is None  # no warning once reviewed
    assert review.words in cell.data(Qt.ItemDataRole.ToolTipRole)


def test_a_reason_typed_when_the_screen_locked_comes_back(qtbot, monkeypatch):
    fake = with_critical_answer()
    tab = make_tab(qtbot, fake)
    typed = "Asked at the session: no thoughts of self-harm this week."
    restored: list[str] = []

    def check_and_save(dialog: Any) -> None:
        restored.append(dialog.reason.toPlainText())
        dialog.save_button.click()

    monkeypatch.setattr(measures_view, "exec_dialog", DialogScript(check_and_save))
    state = {"Why no further action is needed": typed}
    assert tab.reopen_form("review", {"administration_id": 101}, state)
    assert restored == [typed]
    assert 101 in fake.reviews
    # Reviewed meanwhile (or not this client's): the form is not opened again.
    assert not tab.reopen_form("review", {"administration_id": 101}, state)


def test_an_old_critical_answer_raises_the_alert_until_it_is_reviewed(qtbot):
    # Only the first of three PHQ-9s had item 9 above 0; the latest did not. Time and later
    # answers do not end the alert: only a review of that administration does.
    fake = with_history()
    tab = make_tab(qtbot, fake)
    tab.show()
    assert tab.alert.isVisible()
    assert [block.administration_id for block in tab.alert.blocks] == [100]
    assert tab.alert.lines[0].startswith("PHQ-9 given on 3 September 2025:")
    fake.review_critical_answers(
        100, outcome=CriticalReviewOutcome.NO_FURTHER_ACTION, reason="Reviewed at the time."
    )
    tab.refresh()
    assert not tab.alert.isVisible()


def test_many_unreviewed_answers_scroll_inside_the_alert(qtbot):
    fake = with_critical_answer()
    for month in (1, 2, 3, 4, 5):
        fake.add("phq-9", date(2026, month, 7), phq9(1, 1, 1, 1, 1, 1, 1, 0, 1))
    tab = make_tab(qtbot, fake)
    tab.resize(1280, 860)
    tab.show()
    qtbot.waitExposed(tab)
    assert len(tab.alert.blocks) == 6
    assert "on 6 questionnaires" in tab.alert.title.text()
    scroll = tab.alert.list_area.verticalScrollBar()
    assert scroll.maximum() > 0  # the list scrolls rather than pushing the results away
    assert tab.table.isVisible() and tab.table.height() >= tab.table.minimumHeight()


def test_an_unscoreable_form_still_shows_its_alert(qtbot):
    fake = FakeMeasures()
    # Items 2, 3 and 4 unanswered: too many to score, but item 9 answered 3.
    fake.add("phq-9", date(2025, 12, 3), phq9(1, None, None, None, 1, 1, 1, 0, 3))
    tab = make_tab(qtbot, fake)
    tab.show()
    assert tab.proxy.index(0, ResultColumn.TOTAL).data() == "Not scored"
    assert tab.alert.isVisible()
    assert "Item 9 was answered 'Nearly every day' (3)." in tab.alert.lines[0]
    assert tab.proxy.index(0, ResultColumn.ALERTS).data() == "Item 9: not reviewed"
    details = tab.details.toPlainText()
    assert "Not scored" in details and "Critical item 9." in details


def test_a_blank_critical_item_says_it_was_not_answered(qtbot):
    fake = FakeMeasures()
    # Everything answered but item 9: the risk it asks about is unknown.
    fake.add("phq-9", date(2025, 12, 3), phq9(1, 1, 1, 1, 1, 1, 1, 0, None))
    tab = make_tab(qtbot, fake)
    tab.show()
    assert tab.alert.isVisible()
    [text] = tab.alert.lines
    assert "was not answered" in text
    assert "was answered" not in text.replace("was not answered", "")
    assert "was not answered" in tab.details.toPlainText()
    tip = tab.proxy.index(0, ResultColumn.ALERTS).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Item 9 ('") and "was not answered" in tip


def test_a_dashboard_line_opens_the_administration_it_is_about(qtbot):
    fake = with_history()
    tab = make_tab(qtbot, fake)
    tab.select_item(100)  # what the main window calls for a dashboard line
    assert tab.selected_line() is not None and tab.selected_line().id == 100
    assert "3 September 2025" in tab.details.toPlainText()


def test_due_reminders_are_shown_at_the_top(qtbot):
    fake = FakeMeasures()
    fake.due = [
        DueMeasure(CLIENT, "MASIP-0001", "phq-9", "PHQ-9", 1,
                   ("4 sessions attended since the last PHQ-9 on 3 September 2025.",),
                   date(2025, 10, 1)),
    ]  # fmt: skip
    tab = make_tab(qtbot, fake)
    tab.show()
    assert tab.due_frame.isVisible()
    # Never given here, so due now, whatever date the schedule's rule gave.
    assert tab.due_text.text() == (
        "PHQ-9 is due now (never given). 4 sessions attended since the last PHQ-9 on "
        "3 September 2025."
    )


def test_give_a_measure_records_and_selects_it(qtbot, monkeypatch):
    fake = with_history()
    fake.due = [DueMeasure(CLIENT, "", "gad-7", "GAD-7", 1, ("Baseline due.",), None)]
    tab = make_tab(qtbot, fake)

    def choose(dialog: ChooseMeasureDialog) -> None:
        assert dialog.measures[0].id == "gad-7"  # the due measure comes first
        dialog.ok_button.click()

    def answer(dialog: AdministerDialog) -> None:
        fill(dialog, dict(enumerate([1, 1, 1, 1, 1, 1, 1], 1)))
        dialog.save_button.click()

    monkeypatch.setattr(measures_view, "exec_dialog", DialogScript(choose, answer))
    with qtbot.waitSignal(tab.changed):
        tab.give_button.click()
    assert tab.current_measure_id() == "gad-7"
    line = tab.selected_line()
    assert line is not None and line.result.score is not None
    assert line.result.score.total == 7  # seven answers of 1
    assert len(fake.named("record_administration")) == 1


def test_cancelling_changes_nothing(qtbot, monkeypatch):
    fake = with_history()
    tab = make_tab(qtbot, fake)
    monkeypatch.setattr(measures_view, "exec_dialog", DialogScript(None))
    with qtbot.assertNotEmitted(tab.changed):
        tab.give_button.click()
    assert fake.named("record_administration") == []


def test_loading_failure_is_said_in_words(qtbot):
    fake = FakeMeasures()

    def refuse(client_id: int) -> tuple[MeasureResults, ...]:
        raise AccessDenied("You are not assigned to this client.")

    actions = fake.actions()
    tab = MeasuresTab(
        CLIENT,
        MeasuresActions(**{**vars(actions), "results_for_client": refuse}),
    )
    qtbot.addWidget(tab)
    tab.show()
    assert tab.empty.text() == "Measures could not be loaded. You are not assigned to this client."


def test_results_model_passes_the_model_tester(qtbot, qtmodeltester):
    tab = make_tab(qtbot, with_history())
    qtmodeltester.check(tab.model)
    qtmodeltester.check(tab.proxy)
    empty = ResultModel()
    qtmodeltester.check(empty)


def test_schedule_model_passes_the_model_tester(qtmodeltester):
    model = ScheduleModel()
    model.reset_items([ScheduleRow(1, CLIENT, "phq-9", "PHQ-9", 4, True, True)])
    qtmodeltester.check(model)
    assert model.index(0, 1).data() == "Every 4 sessions and before each plan review"


# -- the chart ---------------------------------------------------------------------------------


def points_of(fake: FakeMeasures) -> list[TrendPoint]:
    (measure,) = fake.results_for_client(CLIENT)
    changes = {c.later_id: c.change for c in measure.changes}
    out = []
    for result in measure.administrations:
        assert result.score is not None
        change = changes.get(result.administration.id)
        out.append(
            TrendPoint(
                result.administration.administered_on,
                result.score.total,
                result.score.total_text,
                verdict=None if change is None else change.verdict,
            )
        )
    return out


def test_chart_has_a_point_per_administration_bands_cutoff_and_markers(qtbot):
    fake = with_history()
    # 3 x 4 = 12 on the fourth: up 5 from 7, short of 6, so no reliable change ...
    fake.add("phq-9", date(2025, 12, 3), phq9(3, 3, 3, 3, 0, 0, 0, 0, 0))
    # ... and 12 + 6 = 18 on the fifth: up 6, so reliable deterioration.
    fake.add("phq-9", date(2026, 1, 7), phq9(3, 3, 3, 3, 3, 3, 0, 0, 0))
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(900, 500)
    points = points_of(fake)
    chart.show_measure(PHQ9, points, cutoff=10)
    chart.show()

    assert chart.score_series is not None
    assert [p.y() for p in chart.score_series.points()] == [18, 10, 7, 12, 18]
    # One shaded area per severity band, named, spanning its range.
    assert [a.name() for a in chart.band_series] == [b.label for b in PHQ9.bands]
    assert chart.band_axis is not None
    assert chart.band_axis.categoriesLabels() == [b.label for b in PHQ9.bands]
    # The cut-off: a dashed line at 10, labelled.
    # The cut-off: a dashed line at 10, labelled with the definition's name for it.
    assert chart.cutoff_series is not None
    assert chart.cutoff_series.name() == "Caseness cut-off (10)"
    assert {p.y() for p in chart.cutoff_series.points()} == {10}
    assert chart.cutoff_series.pen().style() == Qt.PenStyle.DashLine
    assert chart.cutoff_label.text() == "Caseness cut-off (10)"
    # Markers only where the change was reliable, in shapes that differ.
    assert chart.improvement_series is not None and chart.deterioration_series is not None
    assert [p.y() for p in chart.improvement_series.points()] == [10]
    assert [p.y() for p in chart.deterioration_series.points()] == [18]
    assert chart.improvement_series.markerShape() != chart.deterioration_series.markerShape()
    assert chart.improvement_series.markerShape() == QScatterSeries.MarkerShape.MarkerShapeTriangle
    # The key under the chart explains every line and marker, in short words.
    assert chart.legend_entries == [
        "Total score",
        "Caseness cut-off (10)",
        "\u25b2 Reliable improvement",
        "\u25c6 Reliable deterioration",
    ]
    assert chart.legend.isVisible()
    assert chart.legend.accessibleDescription() == (
        "Key: Total score; Caseness cut-off (10); \u25b2 Reliable improvement; "
        "\u25c6 Reliable deterioration."
    )
    # And the same in words.
    assert chart.summary.text() == (
        "PHQ-9 scores: 18 on 3 Sep 2025, 10 on 1 Oct 2025 (reliable improvement), "
        "7 on 5 Nov 2025, 12 on 3 Dec 2025, 18 on 7 Jan 2026 (reliable deterioration). "
        "Caseness cut-off 10."
    )


def test_chart_without_reliable_changes_has_no_markers(qtbot):
    fake = FakeMeasures()
    fake.add("phq-9", date(2025, 9, 3), phq9(1, 1, 1, 1, 1, 1, 1, 1, 0))
    fake.add("phq-9", date(2025, 10, 3), phq9(1, 1, 1, 1, 1, 1, 1, 0, 0))
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.show_measure(PHQ9, points_of(fake), cutoff=10)
    assert chart.improvement_series is not None and chart.deterioration_series is not None
    assert chart.improvement_series.count() == 0
    assert chart.deterioration_series.count() == 0
    # The key explains only what is drawn.
    assert chart.legend_entries == ["Total score", "Caseness cut-off (10)"]


def test_chart_of_a_measure_without_bands_or_cutoff(qtbot):
    gbo = DEFINITIONS["gbo"]
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.show_measure(gbo, [TrendPoint(date(2025, 1, 1), 3.3, "3.3")], cutoff=None)
    assert chart.band_series == [] and chart.cutoff_series is None
    assert chart.score_series is not None and chart.score_series.count() == 1


def test_empty_chart_says_so():
    assert summary_text("PHQ-9", [], 10) == "PHQ-9: No scores to chart yet."


def test_tab_draws_the_chart_of_the_chosen_measure(qtbot):
    fake = with_history()
    fake.add("gad-7", date(2025, 9, 3), dict(enumerate([2, 2, 2, 2, 2, 2, 2], 1)))
    tab = make_tab(qtbot, fake)
    assert tab.chooser.count() == 2
    assert tab.chooser.itemText(1) == f"PHQ-9: {PHQ9.title} (3 times)"
    tab.show_measure("phq-9")
    assert tab.chart.score_series is not None and tab.chart.score_series.count() == 3
    tab.show_measure("gad-7")
    assert tab.chart.score_series is not None and tab.chart.score_series.count() == 1
    assert tab.chart.cutoff_series is not None
    assert tab.chart.cutoff_series.name() == "Caseness cut-off (8)"
    assert tab.chart.view.accessibleDescription() == tab.chart.summary.text()


# -- schedules ---------------------------------------------------------------------------------


def test_schedules_dialog_adds_and_stops(qtbot):
    fake = FakeMeasures()
    dialog = SchedulesDialog(CLIENT, fake.actions(), fake.available_measures())
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.empty.isVisible() and not dialog.stop_button.isVisible()
    dialog.measure.setCurrentIndex(dialog.measure.findData("phq-9"))
    dialog.sessions.setValue(4)
    dialog.at_review.setChecked(True)
    with qtbot.waitSignal(dialog.changed):
        dialog.add_button.click()
    assert fake.named("set_schedule") == [
        (CLIENT, {"measure_id": "phq-9", "every_n_sessions": 4, "at_plan_review": True})
    ]
    assert dialog.proxy.rowCount() == 1
    assert dialog.proxy.index(0, 1).data() == "Every 4 sessions and before each plan review"
    with qtbot.waitSignal(dialog.changed):
        dialog.stop_button.click()
    assert fake.named("stop_schedule") == [(1, {})]
    assert dialog.empty.isVisible()


def test_schedule_problems_are_shown_by_their_field(qtbot):
    fake = FakeMeasures()
    dialog = SchedulesDialog(CLIENT, fake.actions(), fake.available_measures())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.every.setChecked(False)
    dialog.add_button.click()
    label = dialog.errors._fields["every_n_sessions"][1]
    assert label.isVisible() and label.text() == "Say when the measure is due."
    assert fake.schedules == []


def test_schedules_button_refreshes_the_reminders(qtbot, monkeypatch):
    fake = FakeMeasures()
    tab = make_tab(qtbot, fake)

    def add(dialog: SchedulesDialog) -> None:
        fake.due = [DueMeasure(CLIENT, "", "phq-9", "PHQ-9", 1, ("Baseline due.",), None)]
        dialog.add_button.click()

    monkeypatch.setattr(measures_view, "exec_dialog", DialogScript(add))
    with qtbot.waitSignal(tab.changed):
        tab.schedules_button.click()
    assert tab.due_text.text() == "PHQ-9 is due now (never given). Baseline due."


# -- importing a definition --------------------------------------------------------------------


def definition_row() -> DefinitionRow:
    return DefinitionRow(
        "clinic-anger", "2", "Clinic Anger Scale", "CAS", Origin.CLINIC, True, 12,
        "Licensed to North Clinic until 2027", "ab" * 32, None, "admin",
    )  # fmt: skip


def test_import_refused_lists_every_problem(qtbot, tmp_path: Path, monkeypatch):
    path = tmp_path / "scale.json"
    path.write_text("{}", encoding="utf-8")
    received: list[str] = []

    def refuse(text: str) -> DefinitionRow:
        received.append(text)
        raise ValidationError(
            [
                Problem("$.items[2].options[1].value", "The answer value 2 is used twice."),
                Problem("$.bands[0].minimum", "The first band must start at 0."),
            ]
        )

    monkeypatch.setattr(measures_dialogs, "choose_file", lambda parent: str(path))
    dialog = ImportDefinitionDialog(refuse)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.import_button.isVisible()  # nothing to import yet
    dialog.choose_button.click()
    assert dialog.import_button.isVisible()
    dialog.import_button.click()
    assert received == ["{}"]
    assert "2 problems were found" in dialog.outcome.text()
    assert dialog.problems.toPlainText().splitlines() == [
        "\u2022 The answer value 2 is used twice. (in the file at $.items[2].options[1].value)",
        "\u2022 The first band must start at 0. (in the file at $.bands[0].minimum)",
    ]
    # Tall enough to read several problems at once.
    assert dialog.problems.height() >= 8 * dialog.problems.fontMetrics().lineSpacing()
    assert dialog.imported is None


def test_import_accepted_shows_title_version_and_licence(qtbot, tmp_path: Path):
    path = tmp_path / "scale.json"
    path.write_text('{"id": "clinic-anger"}', encoding="utf-8")
    dialog = ImportDefinitionDialog(lambda text: definition_row())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_file(path)
    with qtbot.waitSignal(dialog.imported_definition):
        dialog.import_button.click()
    text = dialog.outcome.text()
    assert "Clinic Anger Scale" in text and "version 2" in text
    assert "Licensed to North Clinic until 2027" in text
    assert not dialog.problems.isVisible()


def test_import_of_an_unreadable_file_says_so(qtbot, tmp_path: Path):
    path = tmp_path / "scale.json"
    path.write_bytes(b"\xff\xfe\x00bad")
    called: list[str] = []

    def import_definition(text: str) -> DefinitionRow:
        called.append(text)
        return definition_row()

    dialog = ImportDefinitionDialog(import_definition)
    qtbot.addWidget(dialog)
    dialog.set_file(path)
    dialog.import_button.click()
    assert "not a text file" in dialog.outcome.text()
    dialog.set_file(tmp_path / "missing.json")
    dialog.import_button.click()
    assert "could not be read" in dialog.outcome.text()
    assert called == []


def test_import_by_someone_not_allowed_shows_the_reason(qtbot, tmp_path: Path):
    path = tmp_path / "scale.json"
    path.write_text("{}", encoding="utf-8")

    def refuse(text: str) -> DefinitionRow:
        raise AccessDenied("Only administrators import measure definitions.")

    dialog = ImportDefinitionDialog(refuse)
    qtbot.addWidget(dialog)
    dialog.set_file(path)
    dialog.import_button.click()
    assert dialog.outcome.text() == (
        "The file was not imported. Only administrators import measure definitions."
    )


def test_sum_written_out_counts_only_answered_items():
    # CORE-10 prorating allows one missing item: 9 answered, 1+1+0+1+0+0+2+1+2 = 8
    result = score(CORE10, dict(enumerate([1, 3, 4, 1, 0, 0, 2, 1, 2, None], 1)))
    assert sum_written_out(result) == "1 + 1 + 0 + 1 + 0 + 0 + 2 + 1 + 2 = 8"
    assert result.prorated


def test_prorated_totals_are_marked(qtbot):
    fake = FakeMeasures()
    # 9 of 10 answered, sum 8, prorated 8 x 10 / 9 = 8.89, rounded to 9
    fake.add("core-10", date(2025, 9, 3), dict(enumerate([1, 3, 4, 1, 0, 0, 2, 1, 2, None], 1)))
    tab = make_tab(qtbot, fake)
    assert tab.proxy.index(0, ResultColumn.TOTAL).data() == "9 (prorated)"
    assert "9 (prorated)" in tab.chart.summary.text() or "(prorated)" in tab.chart.summary.text()


# -- the chart: redrawn whole for each measure, with a key and labels that do not collide ----------


def scene_texts(chart: TrendChart) -> set[str]:
    """The text items in the chart view's scene that would be painted (the chart's own)."""
    out: set[str] = set()
    scene = chart.view.scene()
    assert scene is not None
    for item in scene.items():
        if not item.isVisible():
            continue
        if isinstance(item, QGraphicsSimpleTextItem):
            out.add(item.text())
        elif isinstance(item, QGraphicsTextItem):
            out.add(item.toPlainText())
    return out


def test_switching_measure_leaves_nothing_of_the_one_before(qtbot):
    fake = with_history()
    fake.add("gad-7", date(2025, 9, 3), dict(enumerate([2, 2, 2, 2, 2, 2, 2], 1)))
    fake.add("gad-7", date(2025, 10, 3), dict(enumerate([1, 1, 1, 1, 1, 1, 1], 1)))
    tab = make_tab(qtbot, fake)
    tab.show()
    qtbot.waitExposed(tab)
    tab.show_measure("phq-9")
    before = tab.chart.chart
    assert "Moderately severe" in scene_texts(tab.chart)  # a PHQ-9 band
    tab.show_measure("gad-7")
    after = tab.chart.chart
    # A new chart, shown by the view; the old one is gone from the scene and deleted.
    assert after is not before
    assert tab.chart.view.chart() is after
    scene = tab.chart.view.scene()
    assert scene is not None and before not in scene.items()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(before)
    # Only the GAD-7's axes: dates, totals and the GAD-7's bands.
    axes = after.axes()
    assert len(axes) == 3
    (y_axis,) = [a for a in axes if type(a) is QValueAxis]  # not the bands' QCategoryAxis
    # 0 to 21, with 3% more each side so a marker at either end is drawn whole
    assert (y_axis.min(), y_axis.max()) == pytest.approx((-0.63, 21.63))
    assert tab.chart.band_axis is not None
    assert tab.chart.band_axis.categoriesLabels() == [b.label for b in GAD7.bands]
    # Everything left in the scene is the new chart's: its own axes, labels and series.
    assert all(item is after or after.isAncestorOf(item) for item in scene.items())
    texts = scene_texts(tab.chart)
    assert "Moderately severe" not in texts and "Severe" in texts
    assert after.title() == "GAD-7: totals over time"
    # The view repaints the whole chart, never only the parts it thinks changed.
    assert (
        tab.chart.view.viewportUpdateMode() == QGraphicsView.ViewportUpdateMode.FullViewportUpdate
    )


def test_the_key_stays_after_an_administration_is_saved(qtbot, monkeypatch):
    fake = with_history()
    tab = make_tab(qtbot, fake)
    tab.show()
    assert "\u25b2 Reliable improvement" in tab.chart.legend_entries
    assert tab.chart.legend.isVisible()

    def choose(dialog: ChooseMeasureDialog) -> None:
        dialog.choose("phq-9")
        dialog.ok_button.click()

    def answer(dialog: AdministerDialog) -> None:
        # 3 x 9 = 27 from 7: up 20, a reliable deterioration.
        fill(dialog, phq9(3, 3, 3, 3, 3, 3, 3, 3, 3))
        dialog.save_button.click()

    monkeypatch.setattr(measures_view, "exec_dialog", DialogScript(choose, answer))
    with qtbot.waitSignal(tab.changed):
        tab.give_button.click()
    assert tab.chart.legend.isVisible()
    assert tab.chart.legend_entries == [
        "Total score",
        "Caseness cut-off (10)",
        "\u25b2 Reliable improvement",
        "\u25c6 Reliable deterioration",
    ]


def label_rects(chart: TrendChart) -> dict[str, list[QRectF]]:
    return {
        "values": [label.sceneBoundingRect() for label in chart.value_labels],
        "bands": [label.sceneBoundingRect() for label, _middle in chart.band_labels],
        "cutoff": [chart.cutoff_label.sceneBoundingRect()],
    }


def overlapping(rects: list[QRectF]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(rects)
        for j, b in enumerate(rects)
        if i < j and a.intersects(b)
    ]


@pytest.mark.parametrize("height", [240, 420])
def test_labels_do_not_collide_even_on_a_short_chart(qtbot, height):
    fake = FakeMeasures()
    # Totals 24 then 7 on the CORE-10 (clinical cut-off 11); a point near the cut-off at
    # the left, where its label would sit on the cut-off's.
    fake.add("core-10", date(2026, 10, 31), dict(enumerate([3, 1, 1, 2, 2, 0, 3, 3, 3, 2], 1)))
    fake.add("core-10", date(2026, 11, 27), dict(enumerate([1, 3, 3, 1, 0, 0, 1, 1, 1, 0], 1)))
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(640, height + 60)
    chart.show_measure(CORE10, points_of(fake), cutoff=11)
    chart.show()
    qtbot.waitExposed(chart)
    qtbot.waitUntil(lambda: chart.chart.plotArea().height() > 0)
    chart.place_labels()
    rects = label_rects(chart)
    # Every band is named, "Mild" (11 to 14) too, and no two names overlap.
    assert [label.text() for label, _m in chart.band_labels] == [b.label for b in CORE10.bands]
    assert all(label.isVisible() for label, _m in chart.band_labels)
    assert overlapping(rects["bands"]) == []
    # The cut-off's label is clear of every total written on the chart.
    assert chart.cutoff_label.text() == "Clinical cut-off (11)"  # not "cut-off" twice
    assert not any(rects["cutoff"][0].intersects(r) for r in rects["values"])
    assert overlapping(rects["values"]) == []
    assert [label.text() for label in chart.value_labels] == ["24", "7"]


def test_cutoff_label_moves_off_a_total_written_where_it_would_go(qtbot):
    fake = FakeMeasures()
    # The first total (10) is right on the cut-off line, at the left where its label goes.
    fake.add("phq-9", date(2026, 4, 26), phq9(2, 1, 1, 1, 2, 1, 1, 1, 0))
    fake.add("phq-9", date(2026, 5, 24), phq9(3, 3, 2, 2, 2, 2, 2, 1, 0))
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(640, 360)
    chart.show_measure(PHQ9, points_of(fake), cutoff=10)
    chart.show()
    qtbot.waitExposed(chart)
    qtbot.waitUntil(lambda: chart.chart.plotArea().height() > 0)
    chart.place_labels()
    rects = label_rects(chart)
    taken = rects["values"]
    assert chart.score_series is not None
    for point in chart.score_series.points():
        centre = chart.chart.mapToPosition(point, chart.score_series)
        taken.append(QRectF(centre.x() - 6, centre.y() - 6, 12, 12))
    assert not any(rects["cutoff"][0].intersects(r) for r in taken)
    assert chart.chart.plotArea().contains(rects["cutoff"][0])


def test_cutoff_is_named_alike_in_the_chart_and_the_details(qtbot):
    tab = make_tab(qtbot, with_history())
    details = tab.details.toPlainText()
    assert "Caseness cut-off: 10." in details
    assert "cut-off: cut-off" not in details.lower()
    assert tab.chart.cutoff_label.text() == "Caseness cut-off (10)"
    assert tab.chart.summary.text().endswith("Caseness cut-off 10.")
    fake = FakeMeasures()
    fake.add("core-10", date(2025, 9, 3), dict(enumerate([1, 3, 4, 1, 0, 0, 2, 1, 2, 1], 1)))
    tab = make_tab(qtbot, fake)
    details = tab.details.toPlainText()
    assert "Clinical cut-off: 11." in details
    assert "cut-off: cut-off" not in details.lower()
    assert tab.chart.summary.text().endswith("Clinical cut-off 11.")


# -- the results table and who entered an administration -------------------------------------


def test_details_say_who_entered_an_administration(qtbot):
    fake = with_history()
    fake.rows = [dataclasses.replace(r) for r in fake.rows]
    fake.rows[-1] = dataclasses.replace(fake.rows[-1], entered_by=4)
    self_done = fake.add("gad-7", date(2025, 11, 6), dict(enumerate([1] * 7, 1)),
                         MeasureMode.SELF_COMPLETION)  # fmt: skip
    fake.rows[-1] = dataclasses.replace(self_done, entered_by=4)
    names = {4: "Dr A Jones"}
    tab = MeasuresTab(
        CLIENT,
        dataclasses.replace(fake.actions(), describe_staff=lambda staff_id: names[staff_id]),
    )
    qtbot.addWidget(tab)
    tab.show_measure("phq-9")
    tab.select_administration(102)
    assert "Entered by Dr A Jones (clinician entry); definition version" in (
        tab.details.toPlainText()
    )
    row = tab.proxy.rowCount() - 1
    assert tab.proxy.index(row, ResultColumn.MODE).data() == "Clinician entry"
    tip = tab.proxy.index(row, ResultColumn.MODE).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "Entered by Dr A Jones (clinician entry)."
    # Without a name to give, it still says how it was given.
    tab.select_administration(101)
    assert "Clinician entry; definition version" in tab.details.toPlainText()
    tab.show_measure("gad-7")
    assert tab.proxy.index(0, ResultColumn.MODE).data() == "Self-completion"
    assert (
        "Completed by the client on this device (self-completion); saved by Dr A Jones"
        in tab.details.toPlainText()
    )


def test_results_table_fits_without_scrolling_sideways(qtbot):
    fake = with_history()
    # Critical items on two administrations, and the longest band and verdict.
    fake.add("phq-9", date(2025, 12, 3), phq9(3, 3, 3, 3, 3, 3, 2, 2, 2))
    tab = make_tab(qtbot, fake)
    tab.resize(1260, 700)
    tab.show()
    qtbot.waitExposed(tab)
    header = tab.table.horizontalHeader()
    assert header.length() <= tab.table.viewport().width()
    assert tab.table.horizontalScrollBar().maximum() == 0
    row = tab.proxy.rowCount() - 1
    alerts = tab.proxy.index(row, ResultColumn.ALERTS)
    assert alerts.data() == "Item 9: not reviewed"
    width = tab.table.fontMetrics().horizontalAdvance(alerts.data())
    assert tab.table.columnWidth(ResultColumn.ALERTS) > width  # shown in full, not cut short


# -- the entry form: the message about an unanswered item is scrolled into view ---------------


def test_the_message_under_an_unanswered_item_is_scrolled_into_view(qtbot):
    dialog = AdministerDialog(CLIENT, PHQ9, FakeMeasures().record_administration)
    qtbot.addWidget(dialog)
    dialog.resize(760, 560)
    dialog.show()
    qtbot.waitExposed(dialog)
    fill(dialog, phq9(1, 1, 1, 1, 1, 1, 1, 1, None))  # item 9, the last, unanswered
    dialog.save_button.click()
    error = dialog.item_errors[9]
    assert error.isVisible() and "no answer" in error.text()
    viewport = dialog.items_scroll.viewport()
    for widget in (dialog.items[9], error):
        top = widget.mapTo(viewport, QPoint(0, 0)).y()
        assert top >= 0 and top + widget.height() <= viewport.height(), widget


# -- due reminders ------------------------------------------------------------------------------


def test_due_reminder_of_a_measure_given_before_says_when(qtbot):
    fake = with_history()  # PHQ-9 last given on 5 November 2025
    fake.due = [
        DueMeasure(CLIENT, "", "phq-9", "PHQ-9", 1,
                   ("4 sessions attended since the last PHQ-9 on 5 November 2025.",
                    "Plan review due on 2 February 2026."),
                   date(2026, 1, 20)),
        DueMeasure(CLIENT, "", "pcl-5", "PCL-5", 2,
                   ("No PCL-5 recorded yet: a first (baseline) one is due.",),
                   date(2025, 12, 30)),  # a review window that opened before the schedule
    ]  # fmt: skip
    tab = make_tab(qtbot, fake)
    assert tab.due_text.text().splitlines() == [
        "PHQ-9 is due (since 20 January 2026; last given 5 November 2025):",
        "\u2022  4 sessions attended since the last PHQ-9 on 5 November 2025.",
        "\u2022  Plan review due on 2 February 2026.",
        "PCL-5 is due now (never given). No PCL-5 recorded yet: a first (baseline) one is due.",
    ]


# -- importing the same file again ---------------------------------------------------------------


def test_importing_the_same_file_again_says_nothing_changed(qtbot, tmp_path: Path):
    path = tmp_path / "scale.json"
    path.write_text('{"id": "clinic-anger"}', encoding="utf-8")
    earlier = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    dialog = ImportDefinitionDialog(
        lambda text: dataclasses.replace(definition_row(), imported_at=earlier)
    )
    qtbot.addWidget(dialog)
    dialog.set_file(path)
    dialog.import_button.click()
    assert dialog.already_imported
    assert dialog.outcome.text() == (
        "This exact file is already imported: Clinic Anger Scale (CAS), version 2, imported "
        "on 3 March 2026 by admin. Nothing was changed. It can be given to clients."
    )


def test_a_new_import_is_not_taken_for_a_repeat(qtbot, tmp_path: Path):
    path = tmp_path / "scale.json"
    path.write_text('{"id": "clinic-anger"}', encoding="utf-8")
    dialog = ImportDefinitionDialog(
        lambda text: dataclasses.replace(definition_row(), imported_at=datetime.now(UTC))
    )
    qtbot.addWidget(dialog)
    dialog.set_file(path)
    dialog.import_button.click()
    assert not dialog.already_imported
    assert dialog.outcome.text().startswith("Imported Clinic Anger Scale (CAS), version 2")


def test_a_change_of_one_point_is_in_the_singular(qtbot):
    fake = FakeMeasures()
    fake.add("phq-9", date(2025, 9, 3), phq9(1, 1, 1, 1, 1, 1, 1, 1, 0))  # 8
    fake.add("phq-9", date(2025, 10, 1), phq9(1, 1, 1, 1, 1, 1, 1, 1, 1))  # 9: +1
    tab = make_tab(qtbot, fake)
    text = tab.details.toPlainText()
    assert "8 to 9, +1 point. No reliable change." in text
    assert "this change is 1 point." in text
    assert "1 points" not in text


def test_totals_given_twice_on_one_day_are_both_readable(qtbot):
    fake = FakeMeasures()
    fake.add("phq-9", date(2026, 6, 21), phq9(1, 1, 1, 1, 1, 1, 1, 0, 0))  # 7
    # 14 twice on 31 October: +7 (a reliable deterioration, diamond), then no change.
    fake.add("phq-9", date(2026, 10, 31), phq9(2, 2, 2, 2, 2, 2, 2, 0, 0))
    fake.add("phq-9", date(2026, 10, 31), phq9(2, 2, 2, 2, 2, 2, 2, 0, 0))
    fake.add("phq-9", date(2026, 11, 27), phq9(1, 1, 0, 1, 1, 0, 1, 0, 1))  # 6
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(640, 360)
    chart.show_measure(PHQ9, points_of(fake), cutoff=10)
    chart.show()
    qtbot.waitExposed(chart)
    qtbot.waitUntil(lambda: chart.chart.plotArea().height() > 0)
    chart.place_labels()
    rects = label_rects(chart)
    assert [label.text() for label in chart.value_labels] == ["7", "14", "14", "6"]
    assert overlapping(rects["values"]) == []
    assert not any(rects["cutoff"][0].intersects(r) for r in rects["values"])
