"""The session note editor: the note's sections, saved as a draft and autosaved while typed.

The kind of contact (assessment, intervention session, telephone contact, professionals'
meeting, did not attend) chooses the template: which sections show, with which headings
and prompts, and which facts are asked for (:mod:`clinic_app.services.note_templates`).
A section the template leaves out still shows while it holds text, so nothing written is
ever hidden. "Sign…" saves the draft first and then asks for the password.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

from PySide6.QtCore import (
    QDate,
    QSize,
    Qt,
    QTime,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, EditConflict, ValidationError
from clinic_app.models.enums import Attendance, ContactType, Engagement, Modality
from clinic_app.services.conflicts import changed, merge
from clinic_app.services.note_templates import (
    DEFAULT_CONTACT_TYPE,
    NoteTemplate,
    template_for,
)
from clinic_app.services.notes import DraftRow, NoteContent, NoteRow
from clinic_app.services.plans import GoalRow
from clinic_app.views.common import feedback
from clinic_app.views.common.conflict import offer_conflict
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors
from clinic_app.views.common.runner import runner
from clinic_app.views.sessions.actions import NoteEditorActions
from clinic_app.views.sessions.dialogs import confirm
from clinic_app.views.sessions.models import (
    AUTOSAVE_FAILED,
    EARLIER_GOAL,
    FIELD_NAMES,
    NO_PLAN_GOAL,
    NOT_SAVED_YET,
    PARTNER_UPDATE_HELP,
    PARTNER_UPDATE_TITLE,
    SECTIONS,
    UNSAVED_CHANGES,
    local_time,
    when,
)
from clinic_app.wording import (
    ATTENDANCE_WORDS,
    CONTACT_TYPE_WORDS,
    ENGAGEMENT_WORDS,
    MODALITY_WORDS,
)

AUTOSAVE_MS = 3000
NO_START_TIME = "Not recorded"

log = logging.getLogger(__name__)


class _TimeEdit(QTimeEdit):
    """A time field that Tab leaves, like every other field (the arrow keys move between
    hours and minutes). Showing "not recorded", a plain QTimeEdit kept Tab to itself."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


class _SectionEdit(QPlainTextEdit):
    """A section's text box, a few lines tall; it scrolls when the text is longer."""

    def __init__(self, *, lines: int) -> None:
        super().__init__()
        self._lines = lines

    def set_lines(self, lines: int) -> None:
        self._lines = lines
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        height = self.fontMetrics().lineSpacing() * self._lines + 2 * self.frameWidth() + 12
        return QSize(hint.width(), height)


class NoteEditor(QWidget):
    """The structured session note, for a new note or a draft, laid out by its template.

    Any edit restarts a single-shot timer (``autosave_ms``, 3 s by default); when it
    fires the fields are autosaved. Autosave never raises to the user: if it fails the
    status line says so and the text stays where it is. "Save draft" creates or edits
    the note, shows the service's problems beside their fields, and then drops the
    autosaved copy. "Sign…" asks for the note to be signed (``sign_requested``): the tab
    saves it first, then asks for the password.

    One status line says where the text stands: not saved yet, unsaved changes (and when
    a copy was kept), saving, or when the draft was saved.

    Signals:
        saved(object): the NoteRow, after the note was created or edited.
        autosaved(object): the DraftRow, after the fields were autosaved.
        sign_requested(): "Sign…" was pressed.
    """

    saved = Signal(object)
    autosaved = Signal(object)
    sign_requested = Signal()

    def __init__(
        self,
        client_id: int,
        actions: NoteEditorActions,
        *,
        note: NoteRow | None = None,
        goals: Sequence[GoalRow] = (),
        autosave_ms: int = AUTOSAVE_MS,
        today: Callable[[], date] = date.today,
        contact_type: ContactType = DEFAULT_CONTACT_TYPE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self._note = note
        self._today = today
        self._loading = False
        self._needs_autosave = False  # edited since the last autosave or save
        self._unsaved = False  # differs from the saved note
        self._draft_ids: set[int] = set()
        self._focus_when_shown = False
        self._template = template_for(contact_type)
        self.errors = FieldErrors()
        self.setAccessibleName("Session note editor")

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(autosave_ms)
        self.timer.timeout.connect(self._on_autosave_due)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Note about this draft")
        self.notice.setFrameShape(QFrame.Shape.StyledPanel)
        self.notice.hide()
        outer.addWidget(self.notice)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(ERROR_STYLE)
        self.problems.setAccessibleName("Problems with this note")
        self.problems.hide()
        outer.addWidget(self.problems)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        form = QVBoxLayout(body)
        form.addLayout(self._build_facts())
        self.sections: dict[str, QPlainTextEdit] = {}
        self.section_labels: dict[str, QLabel] = {}
        self._section_cells: dict[str, QWidget] = {}
        for name, title in SECTIONS:
            form.addWidget(self._build_section(name, title))
        self.partner_box = QGroupBox(PARTNER_UPDATE_TITLE)
        self.partner_box.setAccessibleName(PARTNER_UPDATE_TITLE)
        self.partner_box.setStyleSheet(
            "QGroupBox { border: 2px solid #1d5b8f; border-radius: 4px; margin-top: 1.4em;"
            " padding: 6px; font-weight: bold; }"
            " QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; }"
        )
        partner_layout = QVBoxLayout(self.partner_box)
        help_label = QLabel(PARTNER_UPDATE_HELP)
        help_label.setWordWrap(True)
        help_label.setStyleSheet("font-weight: normal;")
        help_label.setAccessibleName("About the partner update")
        partner_layout.addWidget(help_label)
        partner_layout.addWidget(self._build_section("partner_update", "Partner &update"))
        form.addWidget(self.partner_box)
        form.addStretch()
        outer.addWidget(scroll, stretch=1)

        buttons = QHBoxLayout()
        self.status = QLabel()
        self.status.setAccessibleName("Save status")
        buttons.addWidget(self.status, stretch=1)
        self.discard_button = QPushButton("Discard unsa&ved text…")
        self.discard_button.setAccessibleName("Discard unsaved text")
        self.discard_button.clicked.connect(self._on_discard)
        buttons.addWidget(self.discard_button)
        self.save_button = QPushButton("&Save draft")
        self.save_button.setAccessibleName("Save draft")
        self.save_button.setToolTip("Save the draft (Ctrl+S). It stays editable until signed.")
        self.save_button.clicked.connect(self._on_save)
        buttons.addWidget(self.save_button)
        # "Si&gn" rather than "&Sign": Alt+S belongs to Save draft (and the Sessions tab).
        self.sign_button = QPushButton("Si&gn…")
        self.sign_button.setAccessibleName("Sign note")
        self.sign_button.setToolTip(
            "Save the note and sign it with your password (Ctrl+Shift+S); it is then final"
        )
        self.sign_button.clicked.connect(self._on_sign)
        buttons.addWidget(self.sign_button)
        outer.addLayout(buttons)
        self.save_shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(self._on_save)
        self.sign_shortcut = QShortcut(QKeySequence("Ctrl+Shift+S"), self)
        self.sign_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.sign_shortcut.activated.connect(self._on_sign)

        self._set_tab_order()
        self.set_goals(goals)
        if note is not None:
            self._show_content(note.content)
        else:
            self._loading = True
            try:
                self._apply_template(self._template, fill=True)
            finally:
                self._loading = False
        self._set_clean(NOT_SAVED_YET if note is None else "No unsaved changes")
        for signal in (
            self.session_date.dateChanged,
            self.start_time.timeChanged,
            self.duration.valueChanged,
            self.modality.currentIndexChanged,
            self.attendance.currentIndexChanged,
            self.engagement.currentIndexChanged,
            self.plan_goal.currentIndexChanged,
        ):
            signal.connect(self._on_edited)
        self.contact_type.currentIndexChanged.connect(self._on_contact_type)
        for edit in self.sections.values():
            edit.textChanged.connect(self._on_edited)

    # -- building ----------------------------------------------------------------------------

    def _build_facts(self) -> QGridLayout:
        grid = QGridLayout()
        self.contact_type = self._combo(CONTACT_TYPE_WORDS)
        self.contact_type.setToolTip("The kind of contact: it sets the note's sections")
        self.session_date = QDateEdit()
        self.session_date.setDisplayFormat("dd/MM/yyyy")
        self.session_date.setCalendarPopup(True)
        self.session_date.setMinimumDate(QDate(2000, 1, 1))
        today = self._today()
        self.session_date.setMaximumDate(QDate(today.year, today.month, today.day))
        self.session_date.setDate(QDate(today.year, today.month, today.day))
        self.start_time = _TimeEdit()
        self.start_time.setDisplayFormat("HH:mm")
        # The earliest time stands for "not recorded": a session never starts at midnight.
        self.start_time.setMinimumTime(QTime(0, 0))
        self.start_time.setSpecialValueText(NO_START_TIME)
        self.start_time.setTime(QTime(0, 0))
        self.start_time.setToolTip("When the contact began (filled in from the appointment)")
        self.duration = QSpinBox()
        self.duration.setRange(0, 600)
        self.duration.setSuffix(" min")
        self.duration.setToolTip("Length of the session in minutes; 0 if it did not take place")
        self.duration.setMaximumWidth(self.duration.sizeHint().width() * 2)
        self.modality = self._combo(MODALITY_WORDS)
        self.attendance = self._combo(ATTENDANCE_WORDS)
        self.engagement = self._combo(ENGAGEMENT_WORDS)
        self.plan_goal = QComboBox()
        self.plan_goal.addItem(NO_PLAN_GOAL, None)
        self.plan_goal.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.plan_goal.setMinimumContentsLength(24)
        facts: tuple[tuple[str, str, str, QWidget], ...] = (
            ("contact_type", "Kind &of contact", "Kind of contact", self.contact_type),
            ("session_date", "Session &date", "Session date", self.session_date),
            ("start_time", "Start ti&me", "Start time", self.start_time),
            ("duration_minutes", "Dura&tion", "Duration in minutes", self.duration),
            ("modality", "Modalit&y", "Modality", self.modality),
            ("attendance", "&Attendance", "Attendance", self.attendance),
            ("engagement", "Engagement", "Engagement", self.engagement),
            ("plan_goal_key", "Plan goa&l", "Plan goal worked on", self.plan_goal),
        )
        self._fact_cells: dict[str, QWidget] = {}
        for i, (where, title, name, widget) in enumerate(facts):
            widget.setAccessibleName(name)
            label = QLabel(title)
            label.setBuddy(widget)
            row, col = divmod(i, 4)
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(label)
            column.addWidget(widget)
            column.addWidget(self.errors.label_for(where, widget))
            self._fact_cells[where] = cell
            grid.addWidget(cell, row, col, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(3, 1)
        return grid

    def _combo(self, words: Mapping[Any, str]) -> QComboBox:
        combo = QComboBox()
        for value, text in words.items():
            combo.addItem(text, value.value)
        return combo

    def _build_section(self, name: str, title: str) -> QWidget:
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        label = QLabel(title)
        label.setStyleSheet("font-weight: bold;")
        edit = _SectionEdit(lines=8 if name == "intervention_content" else 4)
        edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        edit.setTabChangesFocus(True)
        edit.setAccessibleName(title.replace("&", ""))
        label.setBuddy(edit)
        self.sections[name] = edit
        self.section_labels[name] = label
        self._section_cells[name] = cell
        column.addWidget(label)
        column.addWidget(edit)
        column.addWidget(self.errors.label_for(name, edit))
        return cell

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self.contact_type,
            self.session_date,
            self.start_time,
            self.duration,
            self.modality,
            self.attendance,
            self.engagement,
            self.plan_goal,
            *self.sections.values(),
            self.discard_button,
            self.save_button,
            self.sign_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- the template ------------------------------------------------------------------------

    @property
    def template(self) -> NoteTemplate:
        """The template the editor is laid out by (from the kind of contact chosen)."""
        return self._template

    def _apply_template(self, template: NoteTemplate, *, fill: bool) -> None:
        """Lay the editor out for ``template``; with ``fill``, also set what the template
        starts a note with (its usual length, attendance and modality)."""
        previous, self._template = self._template, template
        index = self.contact_type.findData(template.contact_type.value)
        blocked = self.contact_type.blockSignals(True)
        self.contact_type.setCurrentIndex(index)
        self.contact_type.blockSignals(blocked)
        if fill:
            self.duration.setValue(template.default_minutes)
            if template.modality is not None:
                self.modality.setCurrentIndex(self.modality.findData(template.modality.value))
        if template.attendance is not None:
            self.attendance.setCurrentIndex(self.attendance.findData(template.attendance.value))
        elif previous.attendance is not None and self._attendance() is previous.attendance:
            # Leaving a template that fixed the attendance: start again from "attended".
            self.attendance.setCurrentIndex(self.attendance.findData(Attendance.ATTENDED.value))
        self._fact_cells["attendance"].setVisible(template.asks_attendance)
        self._fact_cells["engagement"].setVisible(template.asks_engagement)
        self._fact_cells["plan_goal_key"].setVisible(
            template.asks_plan_goal or self.plan_goal.currentData() is not None
        )
        shown = {section.field: section for section in template.sections}
        for name, title in SECTIONS:
            section = shown.get(name)
            edit = self.sections[name]
            label = self.section_labels[name]
            if section is not None:
                label.setText(_with_mnemonic(section.heading, title))
                edit.setAccessibleName(section.heading)
                edit.setPlaceholderText(section.prompt)
                if isinstance(edit, _SectionEdit):
                    edit.set_lines(section.lines)
            else:
                label.setText(title)
                edit.setAccessibleName(title.replace("&", ""))
                edit.setPlaceholderText("")
            # Text already written is never hidden, whatever the template.
            self._section_cells[name].setVisible(
                section is not None or bool(edit.toPlainText().strip())
            )
        self.partner_box.setVisible(
            template.partner_update or bool(self.sections["partner_update"].toPlainText().strip())
        )

    def _attendance(self) -> Attendance:
        return Attendance(self.attendance.currentData())

    def first_section(self) -> QPlainTextEdit:
        """The first section the template shows (where writing starts)."""
        for name, _title in SECTIONS:
            if self._section_cells[name].isVisibleTo(self):
                return self.sections[name]
        return self.sections["partner_update"]

    def focus_writing(self) -> None:
        """Put the caret in the first section, to start writing (as soon as it shows, when
        the editor is not on screen yet: a record still opening, for example)."""
        self._focus_when_shown = not self.isVisible()
        if not self._focus_when_shown:
            self.first_section().setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._focus_when_shown:
            self._focus_when_shown = False
            # After the show has finished: the window may still be placing its own focus.
            QTimer.singleShot(0, self, self._focus_first_section)

    def _focus_first_section(self) -> None:
        if self.isVisible():
            self.first_section().setFocus(Qt.FocusReason.OtherFocusReason)

    def set_goals(self, goals: Sequence[GoalRow]) -> None:
        """Offer the current plan's goals, by their partner wording."""
        self._loading = True
        try:
            chosen = self.plan_goal.currentData()
            self.plan_goal.clear()
            self.plan_goal.addItem(NO_PLAN_GOAL, None)
            for goal in goals:
                self.plan_goal.addItem(goal.partner_wording, goal.goal_key)
            self._choose_goal(chosen)
        finally:
            self._loading = False

    def _choose_goal(self, goal_key: object) -> None:
        if not isinstance(goal_key, str):
            self.plan_goal.setCurrentIndex(0)
            return
        index = self.plan_goal.findData(goal_key)
        if index < 0:  # the note names a goal the current plan no longer has
            self.plan_goal.addItem(EARLIER_GOAL, goal_key)
            index = self.plan_goal.count() - 1
        self.plan_goal.setCurrentIndex(index)

    # -- reading and writing the fields ------------------------------------------------------

    @property
    def note(self) -> NoteRow | None:
        """The saved note being edited; None until a new note is first saved."""
        return self._note

    @property
    def has_unsaved_text(self) -> bool:
        """True when the editor holds changes not yet saved to the note."""
        return self._unsaved

    @property
    def needs_autosave(self) -> bool:
        return self._needs_autosave

    def _start(self) -> time | None:
        chosen = self.start_time.time()
        if chosen == self.start_time.minimumTime():
            return None
        return time(chosen.hour(), chosen.minute())

    def content(self) -> NoteContent:
        """What the editor holds, as the services take it."""
        qdate = self.session_date.date()
        return NoteContent(
            session_date=date(qdate.year(), qdate.month(), qdate.day()),
            duration_minutes=self.duration.value(),
            modality=Modality(self.modality.currentData()),
            attendance=self._attendance(),
            engagement=Engagement(self.engagement.currentData()),
            plan_goal_key=self.plan_goal.currentData(),
            start_time=self._start(),
            contact_type=self._template.contact_type,
            **self._section_texts(),
        )

    def _section_texts(self) -> dict[str, Any]:
        # Typed loosely: NoteContent's other keywords (the start time) are not text.
        return {name: edit.toPlainText() for name, edit in self.sections.items()}

    def fields(self) -> dict[str, str | int | None]:
        """The editor's fields as an autosaved draft keeps them (plain values only)."""
        content = self.content()
        values: dict[str, str | int | None] = {}
        for name in FIELD_NAMES:
            value = getattr(content, name)
            if isinstance(value, date):
                values[name] = value.isoformat()
            elif isinstance(value, time):
                values[name] = value.strftime("%H:%M")
            elif isinstance(value, Modality | Attendance | Engagement | ContactType):
                values[name] = value.value
            else:
                values[name] = value
        return values

    def load_fields(self, fields: Mapping[str, object]) -> None:
        """Fill the editor from autosaved fields, skipping any that cannot be read."""
        self._loading = True
        try:
            kind = fields.get("contact_type")
            if isinstance(kind, str) and kind in {c.value for c in ContactType}:
                self._apply_template(template_for(ContactType(kind)), fill=False)
            raw_date = fields.get("session_date")
            if isinstance(raw_date, str):
                try:
                    day = date.fromisoformat(raw_date)
                except ValueError:
                    pass
                else:
                    self.session_date.setDate(QDate(day.year, day.month, day.day))
            raw_time = fields.get("start_time")
            if isinstance(raw_time, str):
                try:
                    began = time.fromisoformat(raw_time)
                except ValueError:
                    pass
                else:
                    self.start_time.setTime(QTime(began.hour, began.minute))
            minutes = fields.get("duration_minutes")
            if isinstance(minutes, int) and not isinstance(minutes, bool):
                self.duration.setValue(minutes)
            for name, combo in (
                ("modality", self.modality),
                ("attendance", self.attendance),
                ("engagement", self.engagement),
            ):
                index = combo.findData(fields.get(name))
                if index >= 0:
                    combo.setCurrentIndex(index)
            if "plan_goal_key" in fields:
                self._choose_goal(fields.get("plan_goal_key"))
            for name, edit in self.sections.items():
                text = fields.get(name)
                if isinstance(text, str):
                    edit.setPlainText(text)
            self._apply_template(self._template, fill=False)
        finally:
            self._loading = False
        self._unsaved = True
        self._needs_autosave = True
        self.status.setText(UNSAVED_CHANGES)
        self.discard_button.setVisible(True)

    def restore_draft(self, draft: DraftRow) -> None:
        """Fill the editor from an autosaved draft; saving the note then discards it."""
        self.load_fields(draft.fields)
        self._draft_ids.add(draft.id)
        self._needs_autosave = False
        self.status.setText(_kept(draft.saved_at))
        self.show_notice(
            f"This is text you had not saved, autosaved on {when(draft.saved_at)}. "
            "Save the draft to keep it in the note."
        )

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _show_content(self, content: NoteContent) -> None:
        self._loading = True
        try:
            day = content.session_date
            self.session_date.setDate(QDate(day.year, day.month, day.day))
            began = content.start_time
            self.start_time.setTime(
                QTime(0, 0) if began is None else QTime(began.hour, began.minute)
            )
            self.duration.setValue(content.duration_minutes)
            self.modality.setCurrentIndex(self.modality.findData(content.modality.value))
            self.attendance.setCurrentIndex(self.attendance.findData(content.attendance.value))
            self.engagement.setCurrentIndex(self.engagement.findData(content.engagement.value))
            self._choose_goal(content.plan_goal_key)
            for name, edit in self.sections.items():
                edit.setPlainText(getattr(content, name))
            self._apply_template(template_for(content.contact_type), fill=False)
        finally:
            self._loading = False

    def _set_clean(self, status: str) -> None:
        self._unsaved = False
        self._needs_autosave = False
        self.timer.stop()
        self.status.setText(status)
        self.discard_button.setVisible(False)

    # -- saving ------------------------------------------------------------------------------

    def save(self, then: Callable[[NoteRow], object] | None = None) -> None:
        """Create or edit the note on the runner; ``then`` gets the saved row. If it is not
        saved the problems are shown (beside their fields) and ``then`` is not called."""
        self.errors.clear()
        self.problems.hide()
        content = self.content()
        client_id, note = self.client_id, self._note
        create, edit = self._actions.create_draft, self._actions.edit_draft

        def store() -> NoteRow:
            if note is None:
                return create(client_id, content)
            return edit(note.id, content, expected_version=note.version)

        def failed(error: ClinicError) -> None:
            self._enable_saving(True)
            if needed_autosave:
                self._needs_autosave = True  # still to be kept, as before the attempt
            if isinstance(error, EditConflict) and note is not None:
                self.status.setText("Not saved: someone else saved this note meanwhile")
                shown = error.only(changed(note.content, content))
                choices = self._conflict_choices(note, content, error, then)
                offer_conflict(self, shown, **choices)
            elif isinstance(error, ValidationError):
                unplaced = self.errors.show(error.problems)
                if unplaced:
                    self.problems.setText("\n".join(p.message for p in unplaced))
                    self.problems.show()
                self.status.setText("Not saved: see the problems shown with the fields")
            else:
                self.status.setText(UNSAVED_CHANGES)
                feedback.show_error(self, error, title="The note was not saved")

        def saved(row: NoteRow) -> None:
            self._enable_saving(True)
            self._note = row
            self._discard_autosaved()
            self.show_notice("")
            if self._needs_autosave:  # typed while it was saving: that text is not saved
                self.status.setText(UNSAVED_CHANGES)
            else:
                self._set_clean(f"Draft saved {datetime.now():%H:%M}")
            self.saved.emit(row)
            if then is not None:
                then(row)

        # The timer's autosave would only copy what is being saved now.
        self.timer.stop()
        needed_autosave, self._needs_autosave = self._needs_autosave, False
        self._enable_saving(False)
        self.status.setText("Saving…")
        runner().run(store, saved, parent=self, failed=failed)

    def _enable_saving(self, enabled: bool) -> None:
        self.save_button.setEnabled(enabled)
        self.sign_button.setEnabled(enabled)

    def _conflict_choices(
        self,
        note: NoteRow,
        mine: NoteContent,
        conflict: EditConflict,
        then: Callable[[NoteRow], object] | None,
    ) -> dict[str, Callable[..., None]]:
        """What the conflict dialog's choices do: save the editor's text (as edited in the
        dialog, and the colleague's where the user changed nothing) over the newer version,
        or show the saved version in the editor."""

        def save_mine(newer: EditConflict, edits: Mapping[str, str]) -> None:
            self._show_content(merge(note.content, mine, newer.saved_record))
            self.load_fields(edits)
            self._note = replace(note, version=newer.version)
            self.save(then)

        def keep_saved() -> None:
            saved = conflict.saved_record
            if isinstance(saved, NoteContent):
                self._show_content(saved)
                self._note = replace(note, version=conflict.version, content=saved)
                self._discard_autosaved()
                self._set_clean("Showing the saved version")

        return {"save_mine": save_mine, "keep_saved": keep_saved}

    def autosave_now(self) -> None:
        """Autosave the fields if they changed, on the runner; never raises, keeps the text
        on failure.

        The unit of work is queued at once, so it still runs (and completes) when the
        record is closed or the screen locks straight afterwards: the runner finishes the
        work it was given; only the news of it is then dropped.
        """
        self.timer.stop()
        if not self._needs_autosave:
            return
        note_id = None if self._note is None else self._note.id
        client_id, fields, autosave = self.client_id, self.fields(), self._actions.autosave
        self._needs_autosave = False

        def keep() -> DraftRow | None:
            try:
                return autosave(client_id, fields, note_id=note_id)
            except Exception as error:  # autosave must never interrupt typing
                log.warning("Autosave of a session note draft failed (%s)", type(error).__name__)
                return None

        def kept(draft: DraftRow | None) -> None:
            if draft is None:
                self._needs_autosave = True  # try again with the next pause or save
                self.status.setText(AUTOSAVE_FAILED)
                return
            self._draft_ids.add(draft.id)
            if self._unsaved:
                self.status.setText(_kept(draft.saved_at))
            self.autosaved.emit(draft)

        runner().run(keep, kept, parent=self)

    def drop_unsaved_text(self) -> None:
        """Forget unsaved text and its autosaved copies (the note can no longer change)."""
        self.timer.stop()
        self._discard_autosaved()
        self._unsaved = False
        self._needs_autosave = False

    def _discard_autosaved(self) -> None:
        discard, draft_ids = self._actions.discard_draft, sorted(self._draft_ids)
        self._draft_ids.clear()
        if not draft_ids:
            return

        def drop() -> None:
            for draft_id in draft_ids:
                try:
                    discard(draft_id)
                except Exception as error:  # a stale copy is harmless
                    log.warning(
                        "An autosaved note draft was not discarded (%s)", type(error).__name__
                    )

        runner().run(drop, lambda _none: None)

    # -- slots -------------------------------------------------------------------------------

    def _on_edited(self) -> None:
        if self._loading:
            return
        self._unsaved = True
        self._needs_autosave = True
        if self.status.text() != AUTOSAVE_FAILED:
            self.status.setText(UNSAVED_CHANGES)
        self.discard_button.setVisible(True)
        self.timer.start()  # restarts: autosave once typing pauses

    def _on_contact_type(self) -> None:
        template = template_for(ContactType(self.contact_type.currentData()))
        # The new kind's usual length replaces a length of 0 (a contact that did not take
        # place), or one a new note still has from the last kind; a missed contact has none.
        minutes = self.duration.value()
        fill = (
            minutes == 0
            or template.default_minutes == 0
            or (self._note is None and minutes == self._template.default_minutes)
        )
        self._apply_template(template, fill=fill)
        self._on_edited()

    def _on_autosave_due(self) -> None:
        self.autosave_now()

    def _on_save(self) -> None:
        if self.save_button.isEnabled():  # not while the last save is still on its way
            self.save()

    def _on_sign(self) -> None:
        if self.sign_button.isEnabled():  # not while a save is on its way
            self.sign_requested.emit()

    def _on_discard(self) -> None:
        if not confirm(
            self,
            "Discard unsaved text",
            "Discard the text you have not saved? The note goes back to how it was last saved.",
        ):
            return
        self.timer.stop()
        self._discard_autosaved()
        self.errors.clear()
        self.problems.hide()
        self.show_notice("")
        if self._note is not None:
            self._show_content(self._note.content)
        else:
            self._loading = True
            try:
                for edit in self.sections.values():
                    edit.clear()
                self._apply_template(self._template, fill=False)
            finally:
                self._loading = False
        self._set_clean("Unsaved text discarded")


def _with_mnemonic(heading: str, title: str) -> str:
    """The heading with the Alt+letter its section always has (from ``title``, e.g. "Risk
    &check-in"), when the heading holds that letter; otherwise without one."""
    if "&" not in title:
        return heading
    letter = title[title.index("&") + 1].lower()
    at = heading.lower().find(letter)
    return heading if at < 0 else f"{heading[:at]}&{heading[at:]}"


def _kept(saved_at: datetime) -> str:
    return f"Unsaved changes, kept safe at {local_time(saved_at):%H:%M}"
