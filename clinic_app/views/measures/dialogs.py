"""The Measures tab's dialogs for schedules and importing a measure definition, and the
small widgets its dialogs share.

Files are chosen through :func:`choose_file`, which tests replace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import (
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.measures.definitions import MAX_DEFINITION_BYTES, MeasureDefinition
from clinic_app.services.critical_items import CriticalReview
from clinic_app.services.measure_definitions import DefinitionRow
from clinic_app.services.measure_schedules import ScheduleRow
from clinic_app.views.common import feedback
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import SORT_ROLE
from clinic_app.views.common.widgets import problems_label, show_problems
from clinic_app.views.measures.actions import MeasuresActions
from clinic_app.views.measures.models import (
    NO_SCHEDULES,
    ScheduleColumn,
    ScheduleModel,
    licence_text,
    long_date,
)


def choose_file(parent: QWidget | None) -> str | None:
    """Ask for a measure definition file to import; None if the user cancelled."""
    path, _filter = QFileDialog.getOpenFileName(
        parent,
        "Choose a measure definition file",
        "",
        "Measure definitions (*.json);;All files (*)",
    )
    return path or None


def mnemonic_safe(text: str) -> str:
    return text.replace("&", "&&")


def licence_label(definition: MeasureDefinition) -> QLabel:
    text = licence_text(definition)
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName("Copyright and licence")
    label.setAccessibleDescription(text)
    if not text:
        label.hide()  # never shown here: a label with no parent would be a window
    return label


def warning_icon(widget: QWidget, size: int) -> QLabel:
    icon = QLabel()
    style = widget.style() or QApplication.style()
    icon.setPixmap(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size))
    icon.setAccessibleName("Warning")
    return icon


def _problem_words(problem: Problem) -> str:
    """A problem in a definition file: what is wrong, then where in the file it is."""
    if not problem.where:
        return problem.message
    return f"{problem.message} (in the file at {problem.where})"


class SchedulesDialog(QDialog):
    """List a client's measure schedules, add one, or stop one.

    A measure can be due every so many attended sessions, before each plan review, or
    both. A client has one schedule per measure: adding one for a measure already scheduled
    replaces it.

    Signals:
        changed(): a schedule was added or stopped.
    """

    changed = Signal()

    def __init__(
        self,
        client_id: int,
        actions: MeasuresActions,
        measures: Sequence[MeasureDefinition],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.measures = list(measures)
        self.errors = FieldErrors()
        self.setWindowTitle("Measure schedules")
        self.setAccessibleName("Measure schedules")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "A measure can fall due every so many attended sessions, before each plan review, "
            "or both; the reminder shows on the Measures tab. Adding a schedule for a measure "
            "that already has one replaces it."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About schedules")
        layout.addWidget(intro)

        self.empty = QLabel(NO_SCHEDULES)
        self.empty.setAccessibleName(NO_SCHEDULES)
        layout.addWidget(self.empty)
        self.model = ScheduleModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ScheduleColumn.MEASURE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Schedules in use")
        layout.addWidget(self.table)
        self.stop_button = QPushButton("&Stop the selected schedule")
        self.stop_button.setAccessibleName("Stop the selected schedule")
        self.stop_button.clicked.connect(self._on_stop)
        stop_row = QHBoxLayout()
        stop_row.addWidget(self.stop_button)
        stop_row.addStretch()
        layout.addLayout(stop_row)

        self.add_box = QGroupBox("Add a schedule")
        self.add_box.setAccessibleName("Add a schedule")
        form = QFormLayout(self.add_box)
        self.measure = QComboBox()
        self.measure.setAccessibleName("Measure to schedule")
        for definition in self.measures:
            self.measure.addItem(f"{definition.short_title}: {definition.title}", definition.id)
        measure_label = QLabel("&Measure")
        measure_label.setBuddy(self.measure)
        form.addRow(measure_label, self.errors.with_field("measure_id", self.measure))
        every_row = QWidget()
        every_layout = QHBoxLayout(every_row)
        every_layout.setContentsMargins(0, 0, 0, 0)
        self.every = QCheckBox("&Every")
        self.every.setAccessibleName("Due every so many sessions")
        self.every.setChecked(True)
        self.sessions = QSpinBox()
        self.sessions.setRange(1, 520)
        self.sessions.setValue(4)
        self.sessions.setAccessibleName("Number of attended sessions between")
        every_layout.addWidget(self.every)
        every_layout.addWidget(self.sessions)
        every_layout.addWidget(QLabel("attended sessions"))
        every_layout.addStretch()
        self.every.toggled.connect(self.sessions.setEnabled)
        form.addRow("When due:", self.errors.with_field("every_n_sessions", every_row))
        self.at_review = QCheckBox("Before each &plan review")
        self.at_review.setAccessibleName("Due before each plan review")
        form.addRow("", self.at_review)
        self.add_button = QPushButton("&Add schedule")
        self.add_button.setAccessibleName("Add the schedule")
        self.add_button.clicked.connect(self._on_add)
        form.addRow("", self.add_button)
        layout.addWidget(self.add_box)
        self.add_box.setVisible(bool(self.measures))
        self.general_errors = problems_label()
        layout.addWidget(self.general_errors)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        """Reload the schedules, on the runner."""
        schedules_for_client, client_id = self._actions.schedules_for_client, self.client_id

        def read() -> tuple[list[ScheduleRow], str]:
            try:
                return list(schedules_for_client(client_id)), NO_SCHEDULES
            except ClinicError as error:
                return [], f"Schedules could not be loaded. {error.message}"

        runner().run(read, self._show_schedules, key=f"schedules:{client_id}", parent=self)

    def _show_schedules(self, loaded: tuple[list[ScheduleRow], str]) -> None:
        rows, words = loaded
        self.empty.setText(words)
        self.empty.setAccessibleName(self.empty.text())
        self.model.reset_items(rows)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        self.stop_button.setVisible(bool(rows))
        if rows:
            self.table.selectRow(0)
            self.table.setCurrentIndex(self.proxy.index(0, 0))

    def selected_schedule(self) -> ScheduleRow | None:
        current = self.table.currentIndex()
        if not current.isValid():
            return None
        return self.model.item(self.proxy.mapToSource(current).row())

    def _on_stop(self) -> None:
        schedule = self.selected_schedule()
        if schedule is None:
            return
        stop, schedule_id = self._actions.stop_schedule, schedule.id

        def stopped(_none: object) -> None:
            self.refresh()
            self.changed.emit()

        runner().run(
            lambda: stop(schedule_id),
            stopped,
            parent=self,
            failed=lambda error: feedback.show_error(
                self, error, title="The schedule was not stopped"
            ),
        )

    def _on_add(self) -> None:
        measure_id = self.measure.currentData()
        set_schedule, client_id = self._actions.set_schedule, self.client_id
        chosen = measure_id if isinstance(measure_id, str) else ""
        every = self.sessions.value() if self.every.isChecked() else None
        at_review = self.at_review.isChecked()

        def refused(error: ClinicError) -> None:
            self.add_button.setEnabled(True)
            if isinstance(error, ValidationError):
                show_problems(self.general_errors, self.errors.show(error.problems))
            else:
                feedback.show_error(self, error, title="The schedule was not added")

        def added(_row: object) -> None:
            self.add_button.setEnabled(True)
            self.errors.clear()
            show_problems(self.general_errors, [])
            self.refresh()

        self.add_button.setEnabled(False)
        runner().run(
            lambda: set_schedule(
                client_id, measure_id=chosen, every_n_sessions=every, at_plan_review=at_review
            ),
            added,
            parent=self,
            failed=refused,
        )
        self.changed.emit()


# -- importing a definition ----------------------------------------------------------------------


class ImportDefinitionDialog(QDialog):
    """An administrator imports a clinic's own licensed measure from a definition file.

    Choose a file, then Import: a refused file lists every problem found (with where in
    the file it is) in a list tall enough to read several at once; an accepted one shows
    the measure's title, version and licence. Importing a file that is already imported,
    byte for byte, changes nothing and says so. ``imported`` holds the stored definition's
    row and ``already_imported`` whether it was there before.

    Signals:
        imported_definition(object): the :class:`DefinitionRow` of the imported measure.
    """

    imported_definition = Signal(object)

    def __init__(
        self,
        import_definition: Callable[[str], DefinitionRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._import = import_definition
        self.path: Path | None = None
        self.imported: DefinitionRow | None = None
        self.already_imported = False
        self.setWindowTitle("Import a measure definition")
        self.setAccessibleName("Import a measure definition")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Add a measure your clinic is licensed to use, from a measure definition file "
            "(JSON). The file is checked in full before anything is stored. Once imported, a "
            "definition is never changed: a revised file must have a new version."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About importing")
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.file = QLineEdit()
        self.file.setReadOnly(True)
        self.file.setPlaceholderText("No file chosen")
        self.file.setAccessibleName("File chosen")
        file_label = QLabel("File:")
        file_label.setBuddy(self.file)
        row.addWidget(file_label)
        row.addWidget(self.file, stretch=1)
        self.choose_button = QPushButton("&Choose file\u2026")
        self.choose_button.setAccessibleName("Choose a definition file")
        self.choose_button.clicked.connect(self._on_choose)
        row.addWidget(self.choose_button)
        layout.addLayout(row)

        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.PlainText)
        self.outcome.setAccessibleName("Result of the import")
        self.outcome.hide()
        layout.addWidget(self.outcome)
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setAccessibleName("Problems found in the file")
        self.problems.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Room for several problems at once; more scroll, and the dialog can be enlarged.
        self.problems.setMinimumHeight(self.problems.fontMetrics().lineSpacing() * 12)
        self.problems.hide()
        layout.addWidget(self.problems, stretch=1)
        layout.addStretch(0)  # with no problems listed, the words stay at the top

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "&Import", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.import_button.setAccessibleName("Import the chosen file")
        self.import_button.hide()  # there until a file is chosen
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        self.import_button.clicked.connect(self._on_import)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.choose_button.setFocus()

    def set_file(self, path: Path) -> None:
        self.path = path
        self.file.setText(str(path))
        self.import_button.show()
        self.import_button.setDefault(True)
        self.outcome.hide()
        self.problems.hide()

    def _on_choose(self) -> None:
        chosen = choose_file(self)
        if chosen:
            self.set_file(Path(chosen))

    @staticmethod
    def _read(path: Path) -> str:
        """The file's text (off the GUI thread); a ``ClinicError`` saying why not."""
        try:
            if path.stat().st_size > MAX_DEFINITION_BYTES:
                raise ClinicError(
                    "This file is too large to be a measure definition "
                    f"(at most {MAX_DEFINITION_BYTES // 1000:,} KB)."
                )
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ClinicError(
                "This file is not a text file in UTF-8, so it cannot be a definition."
            ) from None
        except OSError:
            raise ClinicError(
                "The file could not be read. Check that it exists and you may open it."
            ) from None

    def _on_import(self) -> None:
        """Read the file and import it, both on the runner; then say what happened."""
        if self.path is None:
            return
        path, import_definition = self.path, self._import
        started = datetime.now(UTC)

        def store() -> DefinitionRow:
            text = ImportDefinitionDialog._read(path)  # a ClinicError here is said as it is
            try:
                return import_definition(text)
            except ValidationError:
                raise
            except ClinicError as error:
                raise ClinicError(f"The file was not imported. {error.message}") from error

        def refused(error: ClinicError) -> None:
            self.import_button.setEnabled(True)
            if isinstance(error, ValidationError):
                count = len(error.problems)
                self._refused(
                    f"The file was not imported: {count} problem"
                    f"{'s were' if count != 1 else ' was'} found. Nothing was stored.",
                    [_problem_words(p) for p in error.problems],
                )
            else:
                self._refused(error.message)

        def stored(row: DefinitionRow) -> None:
            self.import_button.setEnabled(True)
            self._show_imported(row, started)

        self.import_button.setEnabled(False)
        runner().run(store, stored, parent=self, failed=refused)

    def _show_imported(self, row: DefinitionRow, started: datetime) -> None:
        self.imported = row
        # The service hands back the stored row, unchanged, for a file imported before.
        self.already_imported = row.imported_at is not None and row.imported_at < started
        if self.already_imported and row.imported_at is not None:
            by = f" by {row.imported_by}" if row.imported_by else ""
            when = long_date(row.imported_at.astimezone().date())
            offered = (
                "It can be given to clients."
                if row.active
                else "It is not offered to clients at the moment."
            )
            text = (
                f"This exact file is already imported: {row.title} ({row.short_title}), "
                f"version {row.version}, imported on {when}{by}. "
                f"Nothing was changed. {offered}"
            )
        else:
            text = (
                f"Imported {row.title} ({row.short_title}), version {row.version}: "
                f"{row.item_count} items. Licence: {row.licence}. It can now be given to "
                "clients."
            )
        self.outcome.setStyleSheet("font-weight: bold;")
        self.outcome.setText(text)
        self.outcome.setAccessibleDescription(text)
        self.outcome.show()
        self.problems.hide()
        self.imported_definition.emit(row)

    def _refused(self, message: str, problems: Sequence[str] = ()) -> None:
        self.outcome.setStyleSheet(ERROR_STYLE)
        self.outcome.setText(message)
        self.outcome.setAccessibleDescription(message)
        self.outcome.show()
        self.problems.setPlainText("\n".join(f"\u2022 {p}" for p in problems))
        self.problems.setVisible(bool(problems))


# -- reviewing critical answers ------------------------------------------------------------------


NO_FURTHER_ACTION_ABOUT = (
    "Record that you have reviewed these answers with the client and that no further action "
    "is needed. Say why, in your own words: for example what the client said when you asked "
    "about the answer. The review is kept in the record and cannot be changed. If the "
    "client's risk has changed, cancel and record a risk event instead."
)


class NoFurtherActionDialog(QDialog):
    """Record a review of critical answers with no further action: the reason is required.

    ``review`` records it (given the reason) and may raise ``ValidationError``; problems
    are shown under the reason and what was typed stays. ``recorded`` holds the review once
    saved.

    Signals:
        saved(object): the :class:`CriticalReview` recorded.
    """

    saved = Signal(object)

    def __init__(
        self,
        description: str,
        review: Callable[[str], CriticalReview],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._review = review
        self.recorded: CriticalReview | None = None
        self.errors = FieldErrors()
        self.setWindowTitle("Reviewed: no further action")
        self.setAccessibleName("Reviewed: no further action")
        self.setModal(True)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        answers = QLabel(description)
        answers.setWordWrap(True)
        answers.setTextFormat(Qt.TextFormat.PlainText)
        answers.setAccessibleName("The critical answers being reviewed")
        layout.addWidget(answers)
        about = QLabel(NO_FURTHER_ACTION_ABOUT)
        about.setWordWrap(True)
        about.setTextFormat(Qt.TextFormat.PlainText)
        about.setAccessibleName("About this review")
        layout.addWidget(about)
        label = QLabel("&Why no further action is needed")
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Why no further action is needed")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(
            "For example: asked at the session; the client has had no thoughts of self-harm "
            "since the last review and their safety plan stands."
        )
        self.reason.setFixedHeight(110)
        label.setBuddy(self.reason)
        layout.addWidget(label)
        layout.addWidget(self.errors.with_field("reason", self.reason))
        self.problems = problems_label(plain_text=True)
        layout.addWidget(self.problems)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(
            "&Record the review", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setAccessibleName("Record the review")
        self.save_button.setDefault(True)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reason.setFocus()

    def _on_save(self) -> None:
        show_problems(self.problems, [])
        reason = self.reason.toPlainText()
        if not reason.strip():
            self.errors.show(
                [Problem("reason", "Say why no further action is needed: the reason is required.")]
            )
            return
        review = self._review

        def refused(error: ClinicError) -> None:
            self.save_button.setEnabled(True)
            if isinstance(error, ValidationError):
                show_problems(self.problems, self.errors.show(error.problems))
            else:
                show_problems(self.problems, [Problem("", error.message)])

        self.save_button.setEnabled(False)
        runner().run(lambda: review(reason), self._on_recorded, parent=self, failed=refused)

    def _on_recorded(self, review: CriticalReview) -> None:
        self.save_button.setEnabled(True)
        self.errors.clear()
        self.recorded = review
        self.saved.emit(review)
        self.accept()
