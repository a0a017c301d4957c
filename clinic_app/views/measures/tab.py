"""The Measures tab of a client's record.

The tab shows, from the top: which measures are due (from the client's schedules), every
administration whose critical items (answered at or above their threshold, or left blank)
no clinician has reviewed yet, scored or not, each with the two ways to review it (record a
risk event, or record that no further action is needed and why), and the results of one
measure at a time: a table of administrations (date, how it was completed, total, band,
change from the one before with its reliable-change verdict, critical items), the trend
chart, and the item answers behind the selected score with the sum written out and the
reliable-change parameters used, so every number can be checked by hand. Scores are never
typed in: they are computed from the answers by the services. A review, once recorded, is
shown with the score in the details, and the alert stops.

Measures are given by clinician entry (:class:`~.administer.AdministerDialog`, a form
generated from the definition) or by client self-completion (:mod:`.self_completion`).
:class:`~.dialogs.SchedulesDialog` sets when a measure falls due and
:class:`~.dialogs.ImportDefinitionDialog` lets an administrator add a clinic's own licensed
measure. Table models and the words for results are in :mod:`.models`, the alert strip and
its review buttons in :mod:`.alerts`.

Dialogs are run through :func:`exec_dialog` and files chosen through
:func:`~.dialogs.choose_file`, so tests can drive them without a modal loop.

Everything is read and saved through the background runner; what is asked of the tab
while it loads (show an administration) is done when the results arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStyle,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.models.enums import CriticalReviewOutcome, MeasureMode
from clinic_app.services.critical_items import CriticalReview
from clinic_app.services.measure_schedules import DueMeasure
from clinic_app.services.measures import AdministrationRow, MeasureResults
from clinic_app.services.notes import NoteRow
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.list_tab import (
    empty_state_label,
    rows_table,
    sorted_by,
)
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import exec_dialog
from clinic_app.views.measures.actions import MeasuresActions
from clinic_app.views.measures.administer import AdministerDialog, ChooseMeasureDialog
from clinic_app.views.measures.alerts import AwaitingReview, CriticalAlertFrame
from clinic_app.views.measures.chart import TrendChart, TrendPoint
from clinic_app.views.measures.dialogs import (
    NoFurtherActionDialog,
    SchedulesDialog,
)
from clinic_app.views.measures.models import (
    DUE_STYLE,
    NO_MEASURES_AVAILABLE,
    NO_RESULTS,
    ResultColumn,
    ResultLine,
    ResultModel,
    describe_result,
    long_date,
)
from clinic_app.views.measures.self_completion import SelfCompletionWindow

# -- the tab -------------------------------------------------------------------------------------


def _nothing() -> None:
    """A unit of work with nothing to do (see ``MeasuresTab._next_turn``)."""


FORM_GONE = (
    "A form that was open when the screen locked could not be opened again: what it was "
    "about has changed since."
)


@dataclass(frozen=True)
class _Loaded:
    """What one load of the tab read (on the runner)."""

    results: list[MeasureResults]
    reviews: dict[int, CriticalReview]
    due: list[DueMeasure]
    available: list[MeasureDefinition]
    failure: str


class MeasuresTab(RecordPart):
    """The Measures tab of a client's record: due reminders, alerts, results and the chart.

    Signals:
        changed(): emitted after the tab recorded an administration or changed a schedule.
    """

    def __init__(
        self, client_id: int, actions: MeasuresActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self._loading = False
        self._after_load: list[Callable[[], object]] = []
        self.results: list[MeasureResults] = []
        self.reviews: dict[int, CriticalReview] = {}
        self.available: list[MeasureDefinition] = []
        self.due: list[DueMeasure] = []
        self.self_completion: SelfCompletionWindow | None = None
        self.setAccessibleName("Measures")
        layout = QVBoxLayout(self)

        heading = QLabel(
            "Self-report measures. Every total is computed from the client's answers, which "
            "are shown beside it so it can be checked by hand. Answers and scores are "
            "clinical and are never shared with partners."
        )
        heading.setWordWrap(True)
        heading.setAccessibleName("About this tab")
        layout.addWidget(heading)

        buttons = QHBoxLayout()
        self.give_button = QPushButton("&Give a measure\u2026")
        self.give_button.setAccessibleName("Give a measure by clinician entry")
        self.give_button.clicked.connect(self._on_give)
        buttons.addWidget(self.give_button)
        self.self_button = QPushButton("Client self-&completion\u2026")
        self.self_button.setAccessibleName("Client self-completion on this device")
        self.self_button.clicked.connect(self._on_self_completion)
        buttons.addWidget(self.self_button)
        self.schedules_button = QPushButton("Sche&dules\u2026")
        self.schedules_button.setAccessibleName("Measure schedules for this client")
        self.schedules_button.clicked.connect(self._on_schedules)
        buttons.addWidget(self.schedules_button)
        buttons.addStretch()
        layout.addLayout(buttons)
        self.no_measures = QLabel(NO_MEASURES_AVAILABLE)
        self.no_measures.setAccessibleName(NO_MEASURES_AVAILABLE)
        self.no_measures.hide()
        layout.addWidget(self.no_measures)

        self.due_frame = QFrame()
        self.due_frame.setObjectName("dueReminders")
        self.due_frame.setStyleSheet(DUE_STYLE)
        self.due_frame.setAccessibleName("Measures due")
        due_row = QHBoxLayout(self.due_frame)
        due_row.setContentsMargins(10, 6, 10, 6)
        due_icon = QLabel()
        style = self.style() or QApplication.style()
        due_icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(24)
        )
        due_icon.setAccessibleName("Reminder")
        due_row.addWidget(due_icon, alignment=Qt.AlignmentFlag.AlignTop)
        self.due_text = QLabel()
        self.due_text.setWordWrap(True)
        self.due_text.setTextFormat(Qt.TextFormat.PlainText)
        self.due_text.setAccessibleName("Measures due")
        due_row.addWidget(self.due_text, stretch=1)
        layout.addWidget(self.due_frame)

        self.alert = CriticalAlertFrame()
        self.alert.record_risk_event.connect(self._on_record_risk_event)
        self.alert.no_further_action.connect(self._on_no_further_action)
        layout.addWidget(self.alert)

        self.empty = empty_state_label(NO_RESULTS, plain=False)
        layout.addWidget(self.empty, stretch=1)

        self.results_area = QWidget()
        results_column = QVBoxLayout(self.results_area)
        results_column.setContentsMargins(0, 0, 0, 0)
        chooser_row = QHBoxLayout()
        chooser_label = QLabel("Measure &to show:")
        self.chooser = QComboBox()
        self.chooser.setAccessibleName("Measure to show")
        chooser_label.setBuddy(self.chooser)
        self.chooser.currentIndexChanged.connect(self._on_measure_chosen)
        chooser_row.addWidget(chooser_label)
        chooser_row.addWidget(self.chooser, stretch=1)
        results_column.addLayout(chooser_row)

        self.model = ResultModel(actions.describe_staff)
        self.table = rows_table(QTableView())
        self.proxy = sorted_by(
            self, self.table, self.model, ResultColumn.DATE, Qt.SortOrder.AscendingOrder
        )
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # At least the header and four rows, even with the alert and reminders showing.
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 5 + 8)
        # Short cells sized to their contents; the change takes what room is left (and is
        # shortened with "..." when there is too little: its tooltip says it in full).
        header = self.table.horizontalHeader()
        # Sized to their contents once per measure shown (``_load_measure``), not at every
        # layout, which would read every cell each time.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(20)
        header.setSectionResizeMode(ResultColumn.CHANGE, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        self.table.setAccessibleName("Times this measure was given, oldest first")
        self.chart = TrendChart()
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setAccessibleName("The answers behind the selected score")

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(self.chart)
        left.setStretchFactor(0, 2)
        left.setStretchFactor(1, 3)
        left.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 11)
        self.splitter.setStretchFactor(1, 9)
        self.splitter.setChildrenCollapsible(False)
        # Table and chart a little wider than the details: both readable at 1280 wide.
        self.splitter.setSizes([1100, 900])
        results_column.addWidget(self.splitter, stretch=1)
        layout.addWidget(self.results_area, stretch=1)
        # Until the first load says what there is: shown all at once they would ask for
        # more height than a 1366x768 screen has, and the window would grow past it.
        for waiting in (self.due_frame, self.alert, self.results_area):
            waiting.hide()
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)

        self.refresh()

    # -- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload results, reminders and the measures that can be given (on the runner)."""
        actions, client_id = self._actions, self.client_id

        def read() -> _Loaded:
            failure = ""
            try:
                results = list(actions.results_for_client(client_id))
            except ClinicError as error:
                results = []
                failure = f"Measures could not be loaded. {error.message}"
            try:
                reviews = dict(actions.critical_reviews(client_id))
            except ClinicError:
                # Cannot tell which were reviewed: show every alert as waiting rather than
                # hide one (a second review of the same answers is refused, and says so).
                reviews = {}
            try:
                due = list(actions.measures_due(client_id))
            except ClinicError:
                due = []
            try:
                available = list(actions.available_measures())
            except ClinicError:
                available = []
            return _Loaded(results, reviews, due, available, failure)

        self._loading = True
        runner().run(read, self._on_loaded, key=f"measures:{client_id}", parent=self)

    def when_loaded(self, then: Callable[[], object]) -> None:
        """Run ``then`` once the results asked for last have arrived (at once if they have)."""
        if self._loading:
            self._after_load.append(then)
        else:
            then()

    def _on_loaded(self, loaded: _Loaded) -> None:
        keep_measure, keep_row = self._show_loaded(loaded)

        def show_results() -> None:
            if self.results:
                self.show_measure(keep_measure or self._most_recent_measure())
                if keep_row is not None:
                    self.select_administration(keep_row.id)
            else:
                self.model.set_lines([])
                self.details.clear()
            self._loading = False
            waiting, self._after_load = self._after_load, []
            for then in waiting:
                then()

        self._next_turn(show_results, "results")

    def _next_turn(self, then: Callable[[], None], what: str) -> None:
        """Run ``then`` after the event loop has had a turn (it comes back through the
        runner, which has nothing to do for it), so that one long stretch of work on the
        GUI thread becomes two shorter ones and the window keeps responding. A newer
        request for the same ``what`` replaces an older one still waiting."""
        runner().run(_nothing, lambda _none: then(), key=f"measures-{what}:{id(self)}", parent=self)

    def _show_loaded(self, loaded: _Loaded) -> tuple[str | None, ResultLine | None]:
        """Show what was read, but the results of one measure (shown next); returns which
        measure and row to show again."""
        keep_measure = self.current_measure_id()
        keep_row = self.selected_line()
        self.results, self.reviews = loaded.results, loaded.reviews
        self.due, self.available = loaded.due, loaded.available
        failure = loaded.failure
        self._show_due()
        self._show_alerts()
        self._set_tab_order()
        can_give = bool(self.available)
        self.give_button.setVisible(can_give)
        self.self_button.setVisible(can_give)
        self.no_measures.setVisible(not can_give)
        self.empty.setText(failure or NO_RESULTS)
        self.empty.setAccessibleName(self.empty.text())
        has_results = bool(self.results)
        self.empty.setVisible(not has_results)
        self.results_area.setVisible(has_results)
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for measure in self.results:
            count = len(measure.administrations)
            times = f"{count} time{'s' if count != 1 else ''}"
            self.chooser.addItem(
                f"{measure.short_title}: {measure.title} ({times})",
                measure.measure_id,
            )
        self.chooser.blockSignals(False)
        return keep_measure, keep_row

    def _most_recent_measure(self) -> str:
        """The measure given most recently (the one a clinician most likely wants)."""

        def latest(measure: MeasureResults) -> tuple[date, int]:
            row = measure.administrations[-1].administration
            return (row.administered_on, row.id)

        return max(self.results, key=latest).measure_id

    def _last_given(self, measure_id: str) -> date | None:
        measure = next((m for m in self.results if m.measure_id == measure_id), None)
        if measure is None or not measure.administrations:
            return None
        return max(r.administration.administered_on for r in measure.administrations)

    def due_words(self, due: DueMeasure) -> str:
        """One reminder: when the measure fell due, when it was last given, and why."""
        last = self._last_given(due.measure_id)
        if last is None:
            # Never given: due now, whatever date a schedule's rule would give.
            heading = f"{due.short_title} is due now (never given)"
        elif due.due_since is not None and due.due_since > last:
            heading = (
                f"{due.short_title} is due (since {long_date(due.due_since)}; last given "
                f"{long_date(last)})"
            )
        else:
            heading = f"{due.short_title} is due (last given {long_date(last)})"
        if not due.reasons:
            return heading + "."
        if len(due.reasons) == 1:
            return f"{heading}. {due.reasons[0]}"
        return heading + ":\n" + "\n".join(f"\u2022  {reason}" for reason in due.reasons)

    def _show_due(self) -> None:
        lines = [self.due_words(due) for due in self.due]
        text = "\n".join(lines)
        self.due_text.setText(text)
        self.due_text.setAccessibleDescription(text)
        self.due_frame.setVisible(bool(lines))

    def awaiting_review(self) -> list[AwaitingReview]:
        """Every administration with critical answers and no review yet, oldest first.

        However old, and whether or not it could be scored: only a review of that
        administration ends its alert.
        """
        found = [
            AwaitingReview(measure.short_title, result)
            for measure in self.results
            for result in measure.administrations
            if result.alerts and result.administration.id not in self.reviews
        ]
        found.sort(key=lambda a: (a.result.administration.administered_on, a.id))
        return found

    def _show_alerts(self) -> None:
        self.alert.show_alerts(self.awaiting_review())

    def _set_tab_order(self) -> None:
        """Tab goes from the buttons along the top through each review button to the results."""
        chain: list[QWidget] = [
            self.give_button,
            self.self_button,
            self.schedules_button,
            *self.alert.buttons(),
            self.chooser,
            self.table,
            self.details,
        ]
        for before, after in pairwise(chain):
            self.setTabOrder(before, after)

    # -- one measure -------------------------------------------------------------------------

    def current_measure(self) -> MeasureResults | None:
        measure_id = self.current_measure_id()
        return next((m for m in self.results if m.measure_id == measure_id), None)

    def current_measure_id(self) -> str | None:
        value = self.chooser.currentData()
        return value if isinstance(value, str) else None

    def show_measure(self, measure_id: str) -> bool:
        """Show the results of one measure (False if the client has none of it)."""
        index = self.chooser.findData(measure_id)
        if index < 0:
            index = 0 if self.chooser.count() else -1
        if index < 0:
            return False
        if self.chooser.currentIndex() != index:
            self.chooser.setCurrentIndex(index)  # shows it through the signal
        else:
            self._load_measure()
        return bool(self.chooser.currentData() == measure_id)

    def _load_measure(self) -> None:
        measure = self.current_measure()
        if measure is None:
            self.model.set_lines([])
            self.details.clear()
            return
        changes = {c.later_id: c for c in measure.changes}
        lines = [
            ResultLine(
                result,
                changes.get(result.administration.id),
                self.reviews.get(result.administration.id),
            )
            for result in measure.administrations
        ]
        self.model.set_lines(lines)
        self.table.resizeColumnsToContents()
        self._select_proxy_row(self.proxy.rowCount() - 1)  # the latest
        self._show_details()
        # The chart after a turn of the event loop: the table is usable meanwhile.
        self._next_turn(lambda: self._draw_chart(measure, lines), "chart")

    def _draw_chart(self, measure: MeasureResults, lines: Sequence[ResultLine]) -> None:
        points = [
            TrendPoint(
                line.result.administration.administered_on,
                line.result.score.total,
                line.result.score.total_text,
                line.result.score.prorated,
                None
                if line.change is None or line.change.change is None
                else line.change.change.verdict,
            )
            for line in lines
            if line.result.score is not None
        ]
        definition = measure.definition or next(
            (r.definition for r in reversed(measure.administrations) if r.definition), None
        )
        if definition is None:
            self.chart.clear()
            self.chart.summary.setText(
                f"{measure.short_title}: no chart, because this measure's definition is not "
                "known here."
            )
            self.chart.view.hide()
            return
        latest = next((line.result.score for line in reversed(lines) if line.result.score), None)
        cutoff = (
            latest.cutoff.value
            if latest is not None and latest.cutoff is not None
            else (definition.cutoff.value if definition.cutoff is not None else None)
        )
        self.chart.show_measure(definition, points, cutoff=cutoff)

    def lines(self) -> list[ResultLine]:
        """The rows as the table shows them, top to bottom."""
        return [
            self.model.line_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            for r in range(self.proxy.rowCount())
        ]

    def selected_line(self) -> ResultLine | None:
        current = self.table.currentIndex()
        if not current.isValid():
            return None
        return self.model.line_at(self.proxy.mapToSource(current).row())

    def select_item(self, item_id: int) -> None:
        """Show an administration (what a dashboard line about its critical items opens),
        once the results are in."""
        self.when_loaded(lambda: self.select_administration(item_id))

    def select_administration(self, administration_id: int) -> bool:
        """Show and select an administration (of whichever measure it is)."""
        for measure in self.results:
            if any(r.administration.id == administration_id for r in measure.administrations):
                if self.current_measure_id() != measure.measure_id:
                    self.show_measure(measure.measure_id)
                break
        row = self.model.row_with_id(administration_id)
        if row is None:
            return False
        return self._select_proxy_row(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    def _select_proxy_row(self, row: int) -> bool:
        if not 0 <= row < self.proxy.rowCount():
            self.table.clearSelection()
            return False
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.proxy.index(row, 0))
        return True

    def _show_details(self) -> None:
        measure = self.current_measure()
        line = self.selected_line()
        if measure is None or line is None:
            self.details.clear()
            return
        latest = measure.administrations[-1].administration.id if measure.administrations else None
        overall = (
            measure.overall
            if line.id == latest and measure.overall is not None and len(measure.changes) > 1
            else None
        )
        self.details.setHtml(
            describe_result(
                measure, line, overall=overall, describe_staff=self._actions.describe_staff
            )
        )

    # -- giving a measure ----------------------------------------------------------------------

    def _due_ids(self) -> list[str]:
        return [d.measure_id for d in self.due]

    def choose_measure(self, *, self_completion: bool) -> MeasureDefinition | None:
        """Ask which measure to give; None if cancelled or none can be given."""
        if not self.available:
            return None
        dialog = ChooseMeasureDialog(
            self.available, due=self._due_ids(), self_completion=self_completion, parent=self
        )
        exec_dialog(dialog)
        chosen = dialog.chosen
        dialog.deleteLater()
        return chosen

    def give_measure(
        self, definition: MeasureDefinition, *, restore: dict[str, Any] | None = None
    ) -> None:
        """Enter the client's answers to ``definition``, once the sessions (to link the
        answers to) are read.

        ``restore`` puts back the answers chosen when the screen locked.
        """
        sessions_for_client, client_id = self._actions.sessions_for_client, self.client_id

        def read() -> list[NoteRow]:
            try:
                return list(sessions_for_client(client_id))
            except ClinicError:
                return []  # the link to a session is optional; the measure can still be given

        def give(sessions: list[NoteRow]) -> None:
            self.give_measure_with(definition, sessions, restore=restore)

        runner().run(
            read,
            give,
            key=f"measures-give:{client_id}",
            parent=self,
        )

    def give_measure_with(
        self,
        definition: MeasureDefinition,
        sessions: Sequence[NoteRow],
        *,
        restore: dict[str, Any] | None = None,
    ) -> AdministrationRow | None:
        """Run the form for ``definition``; returns the stored row, or None."""
        dialog = AdministerDialog(
            self.client_id,
            definition,
            self._actions.record_administration,
            sessions=list(sessions),
            parent=self,
        )
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Measures",
            form="give",
            params={"measure_id": definition.id, "version": definition.version},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        row = dialog.saved_row
        dialog.deleteLater()
        if row is None:
            return None
        self._after_saving(row)
        return row

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be.

        While the results are loading the form opens when they arrive (or the user is
        told that it cannot be opened again)."""
        if form not in ("review", "give"):
            return False
        if self._loading:

            def reopen() -> None:
                if not self._reopen_form(form, params, state):
                    feedback.show_error(self, ClinicError(FORM_GONE))

            self.when_loaded(reopen)
            return True
        return self._reopen_form(form, params, state)

    def _reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        if form == "review":
            administration_id = params.get("administration_id")
            if not isinstance(administration_id, int) or all(
                a.id != administration_id for a in self.awaiting_review()
            ):
                return False  # reviewed meanwhile, or no longer this client's
            self.review_no_further_action(administration_id, restore=state)
            return True
        if form != "give":
            return False
        definition = next(
            (
                d
                for d in self.available
                if d.id == params.get("measure_id") and d.version == params.get("version")
            ),
            None,
        )
        if definition is None:
            return False
        self.give_measure(definition, restore=state)
        return True

    def start_self_completion(self, definition: MeasureDefinition) -> SelfCompletionWindow:
        """Open the full-screen self-completion window for ``definition`` on this device."""
        given_on = date.today()
        record, client_id = self._actions.record_administration, self.client_id

        def save(answers: dict[int, int | None]) -> AdministrationRow:
            return record(
                client_id,
                measure_id=definition.id,
                measure_version=definition.version,
                administered_on=given_on,
                answers=answers,
                mode=MeasureMode.SELF_COMPLETION,
                require_score=True,  # partial answers only if the measure can be scored
            )

        window = SelfCompletionWindow(
            definition, verify_staff=self._actions.verify_staff, save_answers=save, parent=self
        )
        window.saved.connect(self._on_self_completion_saved)
        window.ended.connect(self._on_self_completion_ended)
        self.self_completion = window
        window.start()
        return window

    def _after_saving(self, row: AdministrationRow) -> None:
        self.refresh()
        self.when_loaded(lambda: self.select_administration(row.id))
        self.changed.emit()

    # -- reviewing critical answers ------------------------------------------------------------

    def _awaiting(self, administration_id: int) -> AwaitingReview | None:
        return next((a for a in self.awaiting_review() if a.id == administration_id), None)

    def record_risk_event_for(self, administration_id: int) -> None:
        """Open the risk event form; once the event is saved, record it (on the runner) as
        the review of these answers. If it cannot be recorded, that is said."""
        event_id = self._actions.record_risk_event()
        if event_id is None:
            return  # cancelled: the alert stands
        review = self._actions.review_critical_answers

        def refused(error: ClinicError) -> None:
            feedback.show_error(
                self,
                ClinicError(
                    "The risk event was saved, but it could not be recorded as the review of "
                    f"these answers: {error.message}"
                ),
                title="The review was not recorded",
            )
            self.refresh()

        runner().run(
            lambda: review(
                administration_id,
                outcome=CriticalReviewOutcome.RISK_EVENT_RECORDED,
                risk_event_id=event_id,
            ),
            lambda _review: self._after_review(administration_id),
            parent=self,
            failed=refused,
        )

    def review_no_further_action(
        self, administration_id: int, *, restore: dict[str, Any] | None = None
    ) -> CriticalReview | None:
        """Ask why no further action is needed and record the review; None if cancelled.

        ``restore`` puts back the reason typed when the screen locked.
        """
        awaiting = self._awaiting(administration_id)
        description = awaiting.words() if awaiting is not None else ""

        review_critical_answers = self._actions.review_critical_answers

        def review(reason: str) -> CriticalReview:
            return review_critical_answers(
                administration_id,
                outcome=CriticalReviewOutcome.NO_FURTHER_ACTION,
                reason=reason,
            )

        dialog = NoFurtherActionDialog(description, review, parent=self)
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Measures",
            form="review",
            params={"administration_id": administration_id},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        recorded = dialog.recorded
        dialog.deleteLater()
        if recorded is None:
            return None
        self._after_review(administration_id)
        return recorded

    def _after_review(self, administration_id: int) -> None:
        self.refresh()
        self.when_loaded(lambda: self.select_administration(administration_id))
        self.changed.emit()

    # -- slots ---------------------------------------------------------------------------------

    def _on_give(self) -> None:
        definition = self.choose_measure(self_completion=False)
        if definition is not None:
            self.give_measure(definition)

    def _on_self_completion(self) -> None:
        definition = self.choose_measure(self_completion=True)
        if definition is not None:
            self.start_self_completion(definition)

    def _on_self_completion_saved(self, row: object) -> None:
        if isinstance(row, AdministrationRow):
            self._after_saving(row)

    def _on_self_completion_ended(self) -> None:
        window = self.self_completion
        self.self_completion = None
        if window is not None:
            window.deleteLater()

    def _on_schedules(self) -> None:
        dialog = SchedulesDialog(self.client_id, self._actions, self.available, parent=self)
        dialog.changed.connect(self._on_schedules_changed)
        exec_dialog(dialog)
        dialog.deleteLater()

    def _on_schedules_changed(self) -> None:
        self.refresh()
        self.changed.emit()

    def _on_record_risk_event(self, administration_id: int) -> None:
        self.record_risk_event_for(administration_id)

    def _on_no_further_action(self, administration_id: int) -> None:
        self.review_no_further_action(administration_id)

    def _on_measure_chosen(self, _index: int) -> None:
        self._load_measure()

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details()
