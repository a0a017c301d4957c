"""The Sessions tab of a client's record: session notes, their editor and their dialogs.

A session note is a draft until its author signs it with their password. A draft opens
in :class:`NoteEditor`, the structured template of DOMAIN.md section 3; a signed note is
shown read-only with its addenda, and changes only through a signed addendum or by being
marked *entered in error* (never deleted).

Typing is never lost: every edit restarts a short timer, and when typing pauses the
editor's fields are autosaved as an unsigned draft copy (``notes.autosave``). The copy is
discarded once the note is saved; if the app dies first, :class:`RecoverDraftsDialog`
offers it again at the next start.

Dialogs never block in tests: the tab builds each dialog and hands it to
:func:`run_dialog`, which tests replace to fill the dialog in and press its buttons.
"""

from __future__ import annotations

import html
import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import (
    QDate,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.models.enums import Attendance, Engagement, Modality, PlanStatus
from clinic_app.services.notes import AddendumRow, DraftRow, NoteContent, NoteRow
from clinic_app.services.plans import GoalRow, RevisionRow
from clinic_app.services.staff import StaffRow
from clinic_app.views.common.feedback import show_error
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors
from clinic_app.views.common.table import ListTableModel

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
AUTOSAVE_MS = 3000

# -- words ----------------------------------------------------------------------------------

MODALITY_WORDS: dict[Modality, str] = {
    Modality.IN_PERSON: "In person",
    Modality.VIDEO: "Video",
    Modality.PHONE: "Phone",
}
ATTENDANCE_WORDS: dict[Attendance, str] = {
    Attendance.ATTENDED: "Attended",
    Attendance.LATE: "Late",
    Attendance.DID_NOT_ATTEND: "Did not attend",
    Attendance.CANCELLED_BY_CLIENT: "Cancelled by client",
    Attendance.CANCELLED_BY_SERVICE: "Cancelled by service",
}
ENGAGEMENT_WORDS: dict[Engagement, str] = {
    Engagement.NOT_ASSESSED: "Not assessed",
    Engagement.GOOD: "Good",
    Engagement.PARTIAL: "Partial",
    Engagement.POOR: "Poor",
}

# The structured note's sections, in the order they are written (DOMAIN.md section 3).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("risk_checkin", "Risk &check-in"),
    ("agenda", "Agenda and plan goal"),
    ("intervention_content", "&Intervention content"),
    ("homework", "&Homework"),
    ("risk_rerating", "Ris&k re-rating"),
    ("actions", "Actions"),
)
SECTION_HINTS: dict[str, str] = {
    "risk_checkin": "Contact or attempted contact, intent, breaches, mental state since last time",
    "agenda": "What the session set out to do, and which plan goal it served",
    "intervention_content": "What was worked on and how the client responded",
    "homework": "What the client agreed to do before the next session",
    "risk_rerating": "Whether risk has changed since the check-in, and why",
    "actions": "What you or the team will do next",
}
PARTNER_UPDATE_TITLE = "Partner update (may be shared with partner agencies)"
PARTNER_UPDATE_HELP = (
    "Written for police, probation, victim advocates and the multi-agency panel. "
    "Keep to attendance, engagement and progress in general terms: no therapy content, "
    "diagnoses or anything about other people."
)
NO_PLAN_GOAL = "No plan goal"
EARLIER_GOAL = "A goal from an earlier plan"
FORMER_STAFF = "Former member of staff"

EMPTY_LIST = "No sessions recorded yet."
CHOOSE_NOTE = "Choose a session from the list to read it, or start a new session note (Ctrl+N)."
START_FIRST = "Start the first session note with New session note (Ctrl+N)."
AUTOSAVE_FAILED = "Autosave failed — your text is still here"
NOT_SAVED_YET = "Not saved yet"
UNSAVED_CHANGES = "Unsaved changes"
SIGNED_HELP = (
    "Signing fixes this note exactly as it is now. A signed note cannot be changed "
    "afterwards: corrections are added as signed addenda, and a wrong note is marked as "
    "entered in error. Enter your password to sign."
)
ERROR_HELP = (
    "The note stays in the record, clearly marked as entered in error with your reason; "
    "it is never deleted. Use this, for example, for a note written on the wrong client's "
    "record or for the wrong session."
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in dataclass_fields(NoteContent))


def status_words(note: NoteRow) -> str:
    """The note's state in words: Draft, Signed, Signed with 2 addenda, Entered in error."""
    if note.entered_in_error_at is not None:
        return "Entered in error"
    if not note.is_signed:
        return "Draft"
    count = len(note.addenda)
    if count == 0:
        return "Signed"
    return f"Signed with {count} addend{'um' if count == 1 else 'a'}"


def local_time(moment: datetime) -> datetime:
    """A stored (UTC) timestamp in the workstation's local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone()


def when(moment: datetime) -> str:
    return f"{local_time(moment):%d/%m/%Y at %H:%M}"


def _text_html(text: str) -> str:
    if not text.strip():
        return "<p><i>Nothing recorded.</i></p>"
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


# -- running dialogs (replaced in tests) --------------------------------------------------------


def run_dialog(dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True when it was accepted. Tests replace this function."""
    return dialog.exec() == QDialog.DialogCode.Accepted


def confirm(parent: QWidget | None, title: str, question: str) -> bool:
    """Ask a yes/no question before something that cannot be undone. Tests replace this."""
    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


# -- the callables the tab needs ----------------------------------------------------------------


class EditDraft(Protocol):
    def __call__(
        self, note_id: int, content: NoteContent, /, *, expected_version: int
    ) -> NoteRow: ...


class SignNote(Protocol):
    def __call__(
        self, note_id: int, /, *, password: str, expected_version: int | None = None
    ) -> NoteRow: ...


class AddAddendum(Protocol):
    def __call__(
        self, note_id: int, /, *, reason: str, text: str, password: str
    ) -> AddendumRow: ...


class MarkEnteredInError(Protocol):
    def __call__(self, note_id: int, /, *, reason: str) -> NoteRow: ...


class Autosave(Protocol):
    def __call__(
        self,
        client_id: int,
        fields: dict[str, str | int | None],
        /,
        *,
        note_id: int | None = None,
    ) -> DraftRow: ...


@dataclass(frozen=True)
class NoteEditorActions:
    """What the note editor calls: saving the note and keeping (or dropping) its autosave."""

    create_draft: Callable[[int, NoteContent], NoteRow]
    edit_draft: EditDraft
    autosave: Autosave
    discard_draft: Callable[[int], None]


@dataclass(frozen=True)
class SessionsActions:
    """The use cases the Sessions tab calls, bound to the signed-in user by the app.

    Each is the service of the same name in ``services/notes.py`` (``plans_for_client``
    from ``services/plans.py``, ``clinical_staff`` from ``services/staff.py``, used to
    name authors) without the session and user arguments. ``open_risk_event`` opens the
    risk-event dialog for the client, linked to the given note (or to no note).
    """

    notes_for_client: Callable[[int], list[NoteRow]]
    create_draft: Callable[[int, NoteContent], NoteRow]
    edit_draft: EditDraft
    sign_note: SignNote
    add_addendum: AddAddendum
    mark_entered_in_error: MarkEnteredInError
    autosave: Autosave
    drafts_to_recover: Callable[[], list[DraftRow]]
    discard_draft: Callable[[int], None]
    plans_for_client: Callable[[int], list[RevisionRow]]
    clinical_staff: Callable[[], list[StaffRow]]
    open_risk_event: Callable[[int | None], None]

    def for_editor(self) -> NoteEditorActions:
        return NoteEditorActions(
            self.create_draft, self.edit_draft, self.autosave, self.discard_draft
        )


# -- the list ----------------------------------------------------------------------------------


class SessionColumn(IntEnum):
    """The session list's columns, in order."""

    DATE = 0
    ATTENDANCE = 1
    MODALITY = 2
    DURATION = 3
    STATUS = 4
    AUTHOR = 5


HEADERS: dict[SessionColumn, str] = {
    SessionColumn.DATE: "Date",
    SessionColumn.ATTENDANCE: "Attendance",
    SessionColumn.MODALITY: "Modality",
    SessionColumn.DURATION: "Duration",
    SessionColumn.STATUS: "Status",
    SessionColumn.AUTHOR: "Author",
}


class SessionModel(ListTableModel[NoteRow]):
    """The client's session notes, one row each; authors named from the staff list.

    Entered-in-error notes are struck through and drafts are in italics, but the Status
    column always says the same thing in words.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(SessionColumn, HEADERS, parent)
        self._authors: dict[int, str] = {}

    def set_notes(self, notes: Sequence[NoteRow], authors: Mapping[int, str]) -> None:
        self._authors = dict(authors)
        self.reset_items(notes)

    def note_at(self, row: int) -> NoteRow:
        return self.item(row)

    def row_of(self, note_id: int) -> int | None:
        return self.row_with_id(note_id)

    def note(self, note_id: int) -> NoteRow | None:
        row = self.row_of(note_id)
        return None if row is None else self._items[row]

    def author_name(self, staff_id: int) -> str:
        return self._authors.get(staff_id, FORMER_STAFF)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        note = self._items[index.row()]
        column = SessionColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(note, column)
        if role == SORT_ROLE:
            return self.sort_key(note, column)
        if role == Qt.ItemDataRole.FontRole:
            if note.entered_in_error_at is not None:
                font = QFont()
                font.setStrikeOut(True)
                return font
            if not note.is_signed:
                font = QFont()
                font.setItalic(True)
                return font
        return None

    def display(self, note: NoteRow, column: SessionColumn) -> str:
        content = note.content
        match column:
            case SessionColumn.DATE:
                return f"{content.session_date:%d/%m/%Y}"
            case SessionColumn.ATTENDANCE:
                return ATTENDANCE_WORDS[content.attendance]
            case SessionColumn.MODALITY:
                return MODALITY_WORDS[content.modality]
            case SessionColumn.DURATION:
                return f"{content.duration_minutes} min"
            case SessionColumn.STATUS:
                return status_words(note)
            case SessionColumn.AUTHOR:
                return self.author_name(note.author_id)

    def sort_key(self, note: NoteRow, column: SessionColumn) -> Any:
        if column == SessionColumn.DATE:
            # Same-day notes keep the order they were written in.
            return f"{note.content.session_date.isoformat()}#{note.id:012d}"
        if column == SessionColumn.DURATION:
            return note.content.duration_minutes
        return self.display(note, column)


# -- the editor --------------------------------------------------------------------------------


def current_goals(plans: Sequence[RevisionRow]) -> tuple[GoalRow, ...]:
    """The goals of the plan in force: the latest one not completed or withdrawn."""
    live = [p for p in plans if p.status not in (PlanStatus.COMPLETED, PlanStatus.WITHDRAWN)]
    chosen = live[-1] if live else None
    return chosen.goals if chosen is not None else ()


class _SectionEdit(QPlainTextEdit):
    """A section's text box, a few lines tall; it scrolls when the text is longer."""

    def __init__(self, *, lines: int) -> None:
        super().__init__()
        self._lines = lines

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        height = self.fontMetrics().lineSpacing() * self._lines + 2 * self.frameWidth() + 12
        return QSize(hint.width(), height)


class NoteEditor(QWidget):
    """The structured session-note template, for a new note or a draft.

    Any edit restarts a single-shot timer (``autosave_ms``, 3 s by default); when it
    fires the fields are autosaved. Autosave never raises to the user: if it fails the
    status line says so and the text stays where it is. "Save draft" creates or edits
    the note, shows the service's problems beside their fields, and then drops the
    autosaved copy.

    Signals:
        saved(object): the NoteRow, after the note was created or edited.
        autosaved(object): the DraftRow, after the fields were autosaved.
    """

    saved = Signal(object)
    autosaved = Signal(object)

    def __init__(
        self,
        client_id: int,
        actions: NoteEditorActions,
        *,
        note: NoteRow | None = None,
        goals: Sequence[GoalRow] = (),
        autosave_ms: int = AUTOSAVE_MS,
        today: Callable[[], date] = date.today,
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
        for name, title in SECTIONS:
            form.addLayout(self._build_section(name, title))
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
        partner_layout.addLayout(self._build_section("partner_update", "Partner &update"))
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
        outer.addLayout(buttons)
        self.save_shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(self._on_save)

        self._set_tab_order()
        self.set_goals(goals)
        if note is not None:
            self._show_content(note.content)
        self._set_clean(NOT_SAVED_YET if note is None else "No unsaved changes")
        for signal in (
            self.session_date.dateChanged,
            self.duration.valueChanged,
            self.modality.currentIndexChanged,
            self.attendance.currentIndexChanged,
            self.engagement.currentIndexChanged,
            self.plan_goal.currentIndexChanged,
        ):
            signal.connect(self._on_edited)
        for edit in self.sections.values():
            edit.textChanged.connect(self._on_edited)

    # -- building ----------------------------------------------------------------------------

    def _build_facts(self) -> QGridLayout:
        grid = QGridLayout()
        self.session_date = QDateEdit()
        self.session_date.setDisplayFormat("dd/MM/yyyy")
        self.session_date.setCalendarPopup(True)
        self.session_date.setMinimumDate(QDate(2000, 1, 1))
        today = self._today()
        self.session_date.setMaximumDate(QDate(today.year, today.month, today.day))
        self.session_date.setDate(QDate(today.year, today.month, today.day))
        self.duration = QSpinBox()
        self.duration.setRange(0, 600)
        self.duration.setSuffix(" min")
        self.duration.setToolTip("Length of the session in minutes; 0 if it did not take place")
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
            ("session_date", "Session &date", "Session date", self.session_date),
            ("duration_minutes", "Dura&tion", "Duration in minutes", self.duration),
            ("modality", "Modalit&y", "Modality", self.modality),
            ("attendance", "&Attendance", "Attendance", self.attendance),
            ("engagement", "Engagement", "Engagement", self.engagement),
            ("plan_goal_key", "Plan goa&l", "Plan goal worked on", self.plan_goal),
        )
        for i, (where, title, name, widget) in enumerate(facts):
            widget.setAccessibleName(name)
            label = QLabel(title)
            label.setBuddy(widget)
            row, col = divmod(i, 3)
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addWidget(label)
            cell.addWidget(widget)
            cell.addWidget(self.errors.label_for(where, widget))
            grid.addLayout(cell, row, col, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(2, 1)
        return grid

    def _combo(self, words: Mapping[Any, str]) -> QComboBox:
        combo = QComboBox()
        for value, text in words.items():
            combo.addItem(text, value.value)
        return combo

    def _build_section(self, name: str, title: str) -> QVBoxLayout:
        cell = QVBoxLayout()
        cell.setSpacing(2)
        label = QLabel(title)
        label.setStyleSheet("font-weight: bold;")
        edit = _SectionEdit(lines=8 if name == "intervention_content" else 4)
        edit.setTabChangesFocus(True)
        edit.setPlaceholderText(SECTION_HINTS.get(name, ""))
        edit.setAccessibleName(title.replace("&", ""))
        label.setBuddy(edit)
        self.sections[name] = edit
        cell.addWidget(label)
        cell.addWidget(edit)
        cell.addWidget(self.errors.label_for(name, edit))
        return cell

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self.session_date,
            self.duration,
            self.modality,
            self.attendance,
            self.engagement,
            self.plan_goal,
            *self.sections.values(),
            self.discard_button,
            self.save_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

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

    def content(self) -> NoteContent:
        """What the editor holds, as the services take it."""
        qdate = self.session_date.date()
        return NoteContent(
            session_date=date(qdate.year(), qdate.month(), qdate.day()),
            duration_minutes=self.duration.value(),
            modality=Modality(self.modality.currentData()),
            attendance=Attendance(self.attendance.currentData()),
            engagement=Engagement(self.engagement.currentData()),
            plan_goal_key=self.plan_goal.currentData(),
            **{name: edit.toPlainText() for name, edit in self.sections.items()},
        )

    def fields(self) -> dict[str, str | int | None]:
        """The editor's fields as an autosaved draft keeps them (plain values only)."""
        content = self.content()
        values: dict[str, str | int | None] = {}
        for name in FIELD_NAMES:
            value = getattr(content, name)
            if isinstance(value, date):
                values[name] = value.isoformat()
            elif isinstance(value, Modality | Attendance | Engagement):
                values[name] = value.value
            else:
                values[name] = value
        return values

    def load_fields(self, fields: Mapping[str, object]) -> None:
        """Fill the editor from autosaved fields, skipping any that cannot be read."""
        self._loading = True
        try:
            raw_date = fields.get("session_date")
            if isinstance(raw_date, str):
                try:
                    day = date.fromisoformat(raw_date)
                except ValueError:
                    pass
                else:
                    self.session_date.setDate(QDate(day.year, day.month, day.day))
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
        self.status.setText(f"Draft autosaved at {local_time(draft.saved_at):%H:%M}")
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
            self.duration.setValue(content.duration_minutes)
            self.modality.setCurrentIndex(self.modality.findData(content.modality.value))
            self.attendance.setCurrentIndex(self.attendance.findData(content.attendance.value))
            self.engagement.setCurrentIndex(self.engagement.findData(content.engagement.value))
            self._choose_goal(content.plan_goal_key)
            for name, edit in self.sections.items():
                edit.setPlainText(getattr(content, name))
        finally:
            self._loading = False

    def _set_clean(self, status: str) -> None:
        self._unsaved = False
        self._needs_autosave = False
        self.timer.stop()
        self.status.setText(status)
        self.discard_button.setVisible(False)

    # -- saving ------------------------------------------------------------------------------

    def save(self) -> NoteRow | None:
        """Create or edit the note; None (with the problems shown) if it was not saved."""
        self.errors.clear()
        self.problems.hide()
        content = self.content()
        try:
            if self._note is None:
                row = self._actions.create_draft(self.client_id, content)
            else:
                row = self._actions.edit_draft(
                    self._note.id, content, expected_version=self._note.version
                )
        except ValidationError as error:
            unplaced = self.errors.show(error.problems)
            if unplaced:
                self.problems.setText("\n".join(p.message for p in unplaced))
                self.problems.show()
            self.status.setText("Not saved: see the problems shown with the fields")
            return None
        except ClinicError as error:
            show_error(self, error, title="The note was not saved")
            return None
        self._note = row
        self._discard_autosaved()
        self.show_notice("")
        self._set_clean(f"Saved at {datetime.now():%H:%M}")
        self.saved.emit(row)
        return row

    def autosave_now(self) -> DraftRow | None:
        """Autosave the fields if they changed; never raises, keeps the text on failure."""
        self.timer.stop()
        if not self._needs_autosave:
            return None
        note_id = None if self._note is None else self._note.id
        try:
            draft = self._actions.autosave(self.client_id, self.fields(), note_id=note_id)
        except Exception as error:  # autosave must never interrupt typing
            log.warning("Autosave of a session note draft failed (%s)", type(error).__name__)
            self.status.setText(AUTOSAVE_FAILED)
            return None
        self._draft_ids.add(draft.id)
        self._needs_autosave = False
        self.status.setText(f"Draft autosaved at {local_time(draft.saved_at):%H:%M}")
        self.autosaved.emit(draft)
        return draft

    def drop_unsaved_text(self) -> None:
        """Forget unsaved text and its autosaved copies (the note can no longer change)."""
        self.timer.stop()
        self._discard_autosaved()
        self._unsaved = False
        self._needs_autosave = False

    def _discard_autosaved(self) -> None:
        for draft_id in sorted(self._draft_ids):
            try:
                self._actions.discard_draft(draft_id)
            except Exception as error:  # a stale copy is harmless
                log.warning("An autosaved note draft was not discarded (%s)", type(error).__name__)
        self._draft_ids.clear()

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

    def _on_autosave_due(self) -> None:
        self.autosave_now()

    def _on_save(self) -> None:
        self.save()

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
            finally:
                self._loading = False
        self._set_clean("Unsaved text discarded")


# -- dialogs -----------------------------------------------------------------------------------


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


def _message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName("Problem")
    label.hide()
    return label


class _ActionDialog(QDialog):
    """A small dialog: explanation, fields, an inline message, and OK / Cancel buttons."""

    def __init__(self, title: str, about: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setModal(True)
        self.setMinimumWidth(460)
        self.layout_ = QVBoxLayout(self)
        self.about = QLabel(about)
        self.about.setWordWrap(True)
        self.about.setAccessibleName("About this step")
        self.layout_.addWidget(self.about)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.message = _message_label()
        self.layout_.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton(ok_text)
        self.ok_button.setAccessibleName(ok_text.replace("&", "").rstrip("…"))
        self.ok_button.setDefault(True)
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        self.layout_.addLayout(row)

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))


class SignNoteDialog(_ActionDialog):
    """Asks for the password to sign a draft, after saying that signing is final.

    ``sign(password)`` signs the note and returns it; a wrong password (or any other
    known error) is shown in the dialog, which stays open with nothing signed.

    Signals:
        note_signed(object): the signed NoteRow.
    """

    note_signed = Signal(object)

    def __init__(
        self,
        description: str,
        sign: Callable[[str], NoteRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Sign session note", SIGNED_HELP, "&Sign note", parent)
        self._sign = sign
        self.signed: NoteRow | None = None
        summary = QLabel(description)
        summary.setWordWrap(True)
        summary.setAccessibleName("Note to be signed")
        self.layout_.insertWidget(0, summary)
        self.password = _password_field("Your password")
        label = QLabel("Your &password")
        label.setBuddy(self.password)
        self.form.addRow(label, self.password)
        self.ok_button.clicked.connect(self._on_sign)

    def _on_sign(self) -> None:
        password = self.password.text()
        if not password:
            self.say("Enter your password to sign the note.")
            self.password.setFocus()
            return
        try:
            row = self._sign(password)
        except ClinicError as error:
            self.say(error.message)
            self.password.clear()
            self.password.setFocus()
            return
        self.password.clear()
        self.signed = row
        self.note_signed.emit(row)
        self.accept()


class AddendumDialog(_ActionDialog):
    """A signed addendum to a signed note: the reason, the text, and the password.

    ``add(reason, text, password)`` adds it; problems with the reason or text are shown
    under those fields and a wrong password in the dialog, which stays open.

    Signals:
        addendum_added(object): the AddendumRow.
    """

    addendum_added = Signal(object)

    def __init__(
        self,
        description: str,
        add: Callable[[str, str, str], AddendumRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Add an addendum",
            "An addendum corrects or adds to a signed note. It is signed with your "
            "password, kept with the note, and cannot be changed afterwards.",
            "&Sign addendum",
            parent,
        )
        self._add = add
        self.added: AddendumRow | None = None
        self.errors = FieldErrors()
        summary = QLabel(description)
        summary.setWordWrap(True)
        summary.setAccessibleName("Note being amended")
        self.layout_.insertWidget(0, summary)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for the addendum")
        self.reason.setPlaceholderText("For example: correction of the homework agreed")
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Addendum text")
        self.text.setTabChangesFocus(True)
        self.password = _password_field("Your password")
        for title, where, field in (
            ("&Reason", "reason", self.reason),
            ("Adden&dum", "text", self.text),
        ):
            label = QLabel(title)
            label.setBuddy(field)
            holder = QVBoxLayout()
            holder.addWidget(field)
            holder.addWidget(self.errors.label_for(where, field))
            self.form.addRow(label, holder)
        label = QLabel("Your &password")
        label.setBuddy(self.password)
        self.form.addRow(label, self.password)
        self.ok_button.clicked.connect(self._on_add)

    def _on_add(self) -> None:
        self.say("")
        reason, text = self.reason.text(), self.text.toPlainText()
        local: list[tuple[str, str]] = []
        if not reason.strip():
            local.append(("reason", "Give the reason for the addendum."))
        if not text.strip():
            local.append(("text", "Write the addendum."))
        if local:
            self.errors.show([Problem(w, m) for w, m in local])
            return
        self.errors.clear()
        if not self.password.text():
            self.say("Enter your password to sign the addendum.")
            self.password.setFocus()
            return
        try:
            row = self._add(reason, text, self.password.text())
        except ValidationError as error:
            unplaced = self.errors.show(error.problems)
            self.say("\n".join(p.message for p in unplaced))
            return
        except ClinicError as error:
            self.say(error.message)
            self.password.clear()
            self.password.setFocus()
            return
        self.password.clear()
        self.added = row
        self.addendum_added.emit(row)
        self.accept()


class EnteredInErrorDialog(_ActionDialog):
    """Marks a note as entered in error, with a reason; the note is kept, never deleted.

    Signals:
        marked(object): the NoteRow as marked.
    """

    marked = Signal(object)

    def __init__(
        self,
        description: str,
        mark: Callable[[str], NoteRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Mark note as entered in error", ERROR_HELP, "&Mark as entered in error", parent
        )
        self._mark = mark
        self.result_row: NoteRow | None = None
        self.errors = FieldErrors()
        summary = QLabel(description)
        summary.setWordWrap(True)
        summary.setAccessibleName("Note to be marked")
        self.layout_.insertWidget(0, summary)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason the note is in error")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("For example: written on the wrong client's record")
        label = QLabel("&Reason")
        label.setBuddy(self.reason)
        holder = QVBoxLayout()
        holder.addWidget(self.reason)
        holder.addWidget(self.errors.label_for("reason", self.reason))
        self.form.addRow(label, holder)
        self.ok_button.clicked.connect(self._on_mark)

    def _on_mark(self) -> None:
        self.say("")
        reason = self.reason.toPlainText()
        if not reason.strip():
            self.errors.show([Problem("reason", "Give the reason the note is in error.")])
            return
        try:
            row = self._mark(reason)
        except ValidationError as error:
            unplaced = self.errors.show(error.problems)
            self.say("\n".join(p.message for p in unplaced))
            return
        except ClinicError as error:
            self.say(error.message)
            return
        self.result_row = row
        self.marked.emit(row)
        self.accept()


def describe_draft(draft: DraftRow) -> str:
    """What an autosaved draft is, in words: which note, and how it starts."""
    fields = draft.fields
    raw = fields.get("session_date")
    session = ""
    if isinstance(raw, str):
        try:
            session = f" for the session on {date.fromisoformat(raw):%d/%m/%Y}"
        except ValueError:
            session = ""
    kind = "Changes to a draft note" if draft.note_id is not None else "A new session note"
    first = next(
        (
            str(fields[name]).strip()
            for name, _title in (*SECTIONS, ("partner_update", ""))
            if isinstance(fields.get(name), str) and str(fields[name]).strip()
        ),
        "",
    )
    preview = (first[:90] + "…") if len(first) > 90 else first
    line = f"{kind}{session}, autosaved on {when(draft.saved_at)}"
    return f"{line}\n“{preview}”" if preview else f"{line}\n(no text written yet)"


class RecoverDraftsDialog(QDialog):
    """Autosaved session-note drafts left behind (for example by a crash), to open or discard.

    The app shows it at start when ``drafts_to_recover`` returns anything. "Open" accepts
    the dialog with the chosen draft in :attr:`chosen` and emits ``draft_opened``; the app
    then opens that client's record and passes the draft to
    :meth:`SessionsTab.open_draft`. "Discard…" asks first, then calls ``discard_draft``.
    "Decide later" closes the dialog and leaves the drafts for next time.

    Signals:
        draft_opened(object): the DraftRow chosen to open.
    """

    draft_opened = Signal(object)

    def __init__(
        self,
        drafts: Sequence[DraftRow],
        describe_client: Callable[[int], str],
        discard_draft: Callable[[int], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unsaved session notes")
        self.setAccessibleName("Unsaved session notes")
        self.setMinimumWidth(620)
        self._discard = discard_draft
        self.chosen: DraftRow | None = None
        self.drafts: list[DraftRow] = list(drafts)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "clinic-app kept text you had typed into these session notes but not saved, "
            "for example because the program closed unexpectedly. Open one to carry on "
            "with it, or discard it."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About unsaved session notes")
        layout.addWidget(intro)
        self.message = _message_label()
        layout.addWidget(self.message)
        self.empty = QLabel("No unsaved session notes are left.")
        self.empty.setAccessibleName("No unsaved session notes are left.")
        self.empty.setVisible(not self.drafts)
        layout.addWidget(self.empty)
        self.rows: dict[int, QWidget] = {}
        self.open_buttons: dict[int, QPushButton] = {}
        self.discard_buttons: dict[int, QPushButton] = {}
        list_holder = QWidget()
        self.list_layout = QVBoxLayout(list_holder)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        for draft in self.drafts:
            self.list_layout.addWidget(self._row(draft, describe_client))
        self.list_layout.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(list_holder)
        layout.addWidget(scroll, stretch=1)
        bottom = QHBoxLayout()
        bottom.addStretch()
        self.later_button = QPushButton("Decide &later")
        self.later_button.setAccessibleName("Decide later")
        self.later_button.clicked.connect(self.reject)
        bottom.addWidget(self.later_button)
        layout.addLayout(bottom)

    def _row(self, draft: DraftRow, describe_client: Callable[[int], str]) -> QWidget:
        try:
            client = describe_client(draft.client_id)
        except ClinicError:
            client = "A client record you cannot open at the moment"
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(frame)
        text = QLabel(
            f"<b>{html.escape(client)}</b><br>"
            + html.escape(describe_draft(draft)).replace("\n", "<br>")
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setAccessibleName(f"{client}: {describe_draft(draft)}")
        row.addWidget(text, stretch=1)
        open_button = QPushButton("Open")
        open_button.setAccessibleName(f"Open the unsaved note for {client}")
        open_button.clicked.connect(lambda: self._on_open(draft))
        discard_button = QPushButton("Discard…")
        discard_button.setAccessibleName(f"Discard the unsaved note for {client}")
        discard_button.clicked.connect(lambda: self._on_discard(draft))
        row.addWidget(open_button)
        row.addWidget(discard_button)
        self.rows[draft.id] = frame
        self.open_buttons[draft.id] = open_button
        self.discard_buttons[draft.id] = discard_button
        return frame

    def _on_open(self, draft: DraftRow) -> None:
        self.chosen = draft
        self.draft_opened.emit(draft)
        self.accept()

    def _on_discard(self, draft: DraftRow) -> None:
        if not confirm(
            self,
            "Discard unsaved note",
            "Discard this unsaved text? It cannot be brought back.",
        ):
            return
        try:
            self._discard(draft.id)
        except ClinicError as error:
            self.message.setText(error.message)
            self.message.show()
            return
        self.drafts = [d for d in self.drafts if d.id != draft.id]
        frame = self.rows.pop(draft.id)
        self.open_buttons.pop(draft.id)
        self.discard_buttons.pop(draft.id)
        frame.hide()
        frame.deleteLater()
        if not self.drafts:
            self.empty.show()
            self.later_button.setText("&Close")
            self.later_button.setAccessibleName("Close")


# -- the tab -----------------------------------------------------------------------------------


def note_description(note: NoteRow) -> str:
    """One line naming a session, e.g. for a dialog: date, attendance, modality, length."""
    content = note.content
    return (
        f"Session on {content.session_date:%A %d %B %Y}: "
        f"{ATTENDANCE_WORDS[content.attendance]}, {MODALITY_WORDS[content.modality].lower()}, "
        f"{content.duration_minutes} minutes"
    )


class SessionsTab(QWidget):
    """The client's sessions: the list of notes beside a reader or an editor.

    A draft opens in the editor (with "Sign…"); a signed note opens read-only with its
    addenda ("Add addendum…", "Mark entered in error…"). Unsaved text is autosaved when
    typing pauses, when another note is chosen, and by :meth:`save_drafts_now`.

    Signals:
        changed(): after the record was changed (a note saved, signed, amended or marked).
    """

    changed = Signal()

    def __init__(
        self,
        client_id: int,
        actions: SessionsActions,
        parent: QWidget | None = None,
        *,
        autosave_ms: int = AUTOSAVE_MS,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self._autosave_ms = autosave_ms
        self._today = today
        self._goals: tuple[GoalRow, ...] = ()
        self._goal_words: dict[str, str] = {}
        self._shown: NoteRow | None = None  # the note in the reader or editor
        self._selecting = False
        self.editor: NoteEditor | None = None
        self.setAccessibleName("Sessions")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        # Left: the list.
        left = QWidget()
        left_layout = QVBoxLayout(left)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New session note")
        self.new_button.setAccessibleName("New session note")
        self.new_button.setToolTip("Start a new session note (Ctrl+N)")
        self.new_button.clicked.connect(self._on_new)
        self.risk_button = QPushButton("Record &risk event…")
        self.risk_button.setAccessibleName("Record risk event")
        self.risk_button.setToolTip("Record a risk event, linked to the session shown")
        self.risk_button.clicked.connect(self._on_risk_event)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.risk_button)
        buttons.addStretch()
        left_layout.addLayout(buttons)
        self.empty = QLabel(EMPTY_LIST)
        self.empty.setAccessibleName(EMPTY_LIST)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        left_layout.addWidget(self.empty)
        self.model = SessionModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(SessionColumn.DATE, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setAccessibleName("Session notes, newest first")
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        left_layout.addWidget(self.table, stretch=1)
        splitter.addWidget(left)

        # Right: placeholder, reader or editor.
        self.pane = QStackedWidget()
        self.pane.setAccessibleName("Selected session")
        self.placeholder = QLabel(CHOOSE_NOTE)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.placeholder.setMargin(8)
        self.placeholder.setAccessibleName("No session chosen")
        self.pane.addWidget(self.placeholder)
        self.pane.addWidget(self._build_reader())
        self.pane.addWidget(self._build_editor_page())
        splitter.addWidget(self.pane)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([620, 660])

        self.new_shortcut = QShortcut(QKeySequence("Ctrl+N"), self)
        self.new_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_shortcut.activated.connect(self._on_new)
        QWidget.setTabOrder(self.new_button, self.risk_button)
        QWidget.setTabOrder(self.risk_button, self.table)

        self.refresh()

    # -- building ----------------------------------------------------------------------------

    def _build_reader(self) -> QWidget:
        self.reader = QWidget()
        self.reader.setAccessibleName("Signed session note")
        layout = QVBoxLayout(self.reader)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.reader_state = QLabel()
        self.reader_state.setAccessibleName("State of the note")
        self.reader_state.setWordWrap(True)
        top.addWidget(self.reader_state, stretch=1)
        self.addendum_button = QPushButton("Add &addendum…")
        self.addendum_button.setAccessibleName("Add addendum")
        self.addendum_button.clicked.connect(self._on_addendum)
        self.reader_error_button = QPushButton("Mark entered in &error…")
        self.reader_error_button.setAccessibleName("Mark entered in error")
        self.reader_error_button.clicked.connect(self._on_entered_in_error)
        top.addWidget(self.addendum_button)
        top.addWidget(self.reader_error_button)
        layout.addLayout(top)
        self.reader_text = QTextBrowser()
        self.reader_text.setOpenLinks(False)
        self.reader_text.setAccessibleName("Session note")
        layout.addWidget(self.reader_text, stretch=1)
        return self.reader

    def _build_editor_page(self) -> QWidget:
        self.editor_page = QWidget()
        self.editor_page.setAccessibleName("Draft session note")
        layout = QVBoxLayout(self.editor_page)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.editor_state = QLabel()
        self.editor_state.setAccessibleName("State of the note")
        self.editor_state.setWordWrap(True)
        top.addWidget(self.editor_state, stretch=1)
        # "Si&gn" rather than "&Sign": Alt+S belongs to Save draft (and the Sessions tab).
        self.sign_button = QPushButton("Si&gn…")
        self.sign_button.setAccessibleName("Sign note")
        self.sign_button.setToolTip("Sign the note with your password; it is then final")
        self.sign_button.clicked.connect(self._on_sign)
        self.draft_error_button = QPushButton("Mark entered in &error…")
        self.draft_error_button.setAccessibleName("Mark entered in error")
        self.draft_error_button.clicked.connect(self._on_entered_in_error)
        top.addWidget(self.sign_button)
        top.addWidget(self.draft_error_button)
        layout.addLayout(top)
        self.editor_holder = QVBoxLayout()
        layout.addLayout(self.editor_holder, stretch=1)
        return self.editor_page

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the notes (and the plan goals and staff names) from the services."""
        try:
            notes = self._actions.notes_for_client(self.client_id)
            plans = self._actions.plans_for_client(self.client_id)
            staff = self._actions.clinical_staff()
        except ClinicError as error:
            self.model.set_notes([], {})
            self.empty.setText(f"The sessions could not be loaded. {error.message}")
            self.empty.show()
            self.table.hide()
            return
        self._goals = current_goals(plans)
        self._goal_words = {g.goal_key: g.partner_wording for p in plans for g in p.goals}
        self.model.set_notes(notes, {s.id: s.display_name for s in staff})
        self.empty.setText(EMPTY_LIST)
        self.empty.setVisible(not notes)
        self.table.setVisible(bool(notes))
        self.placeholder.setText(CHOOSE_NOTE if notes else START_FIRST)
        shown = self._shown
        if self.pane.currentWidget() is self.editor_page and self.editor is not None:
            # Keep the editor (and whatever is being typed); just find its row again.
            note = self.editor.note
            if note is not None:
                self._select_row(note.id)
            return
        if shown is not None:
            fresh = self.model.note(shown.id)
            if fresh is not None:
                self._select_row(fresh.id)
                self._show_note(fresh)
                return
        self._shown = None
        self.pane.setCurrentWidget(self.placeholder)

    def _select_row(self, note_id: int | None) -> None:
        """Select a note's row (or none) without reopening it."""
        self._selecting = True
        try:
            selection = self.table.selectionModel()
            row = None if note_id is None else self.model.row_of(note_id)
            if row is None:
                selection.clear()
                return
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            selection.setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(index)
        finally:
            self._selecting = False

    # -- public ------------------------------------------------------------------------------

    def current_note(self) -> NoteRow | None:
        """The saved note shown in the reader or editor, if any."""
        if self.pane.currentWidget() is self.editor_page and self.editor is not None:
            return self.editor.note
        if self.pane.currentWidget() is self.reader:
            return self._shown
        return None

    def select_note(self, note_id: int) -> None:
        """Show one note (e.g. a search result), selecting its row."""
        note = self.model.note(note_id)
        if note is None:
            return
        self.save_drafts_now()
        self._select_row(note_id)
        self._show_note(note)

    def save_drafts_now(self) -> None:
        """Autosave whatever the editor holds, now (before the screen locks)."""
        if self.editor is not None:
            self.editor.autosave_now()

    def new_note(self) -> NoteEditor:
        """Open the editor on a new note (restoring unsaved text for one, if kept)."""
        self.save_drafts_now()
        self._select_row(None)
        editor = self._open_editor(None)
        kept = self._kept_draft(note_id=None)
        if kept is not None:
            editor.restore_draft(kept)
        editor.session_date.setFocus()
        return editor

    def open_draft(self, draft: DraftRow) -> NoteEditor | None:
        """Open an autosaved draft (e.g. chosen in :class:`RecoverDraftsDialog`)."""
        if draft.client_id != self.client_id:
            return None
        self.save_drafts_now()
        note = self.model.note(draft.note_id) if draft.note_id is not None else None
        if note is not None and not note.is_signed and note.entered_in_error_at is None:
            self._select_row(note.id)
            editor = self._open_editor(note)
            editor.restore_draft(draft)
            return editor
        self._select_row(None)
        editor = self._open_editor(None)
        editor.restore_draft(draft)
        if draft.note_id is not None:
            editor.show_notice(
                "The note this text was written for is now signed or marked as entered in "
                "error, so the text is opened as a new draft. Save it as a new note, or copy "
                "what you need into an addendum and then discard this text."
            )
        return editor

    # -- showing a note ----------------------------------------------------------------------

    def _show_note(self, note: NoteRow) -> None:
        self._shown = note
        if not note.is_signed and note.entered_in_error_at is None:
            editor = self.editor
            if (
                editor is not None
                and editor.note is not None
                and editor.note.id == note.id
                and self.pane.currentWidget() is self.editor_page
            ):
                return
            editor = self._open_editor(note)
            kept = self._kept_draft(note_id=note.id)
            if kept is not None:
                editor.restore_draft(kept)
            return
        self._close_editor()
        self.reader_text.setHtml(self._note_html(note))
        self.reader_state.setText(self._state_text(note))
        in_error = note.entered_in_error_at is not None
        self.addendum_button.setVisible(note.is_signed and not in_error)
        self.reader_error_button.setVisible(not in_error)
        self.pane.setCurrentWidget(self.reader)

    def _kept_draft(self, *, note_id: int | None) -> DraftRow | None:
        """An autosaved copy of this note's unsaved text, if one was left."""
        try:
            drafts = self._actions.drafts_to_recover()
        except Exception as error:  # a convenience: the note opens anyway
            log.warning("Autosaved drafts could not be listed (%s)", type(error).__name__)
            return None
        matching = [d for d in drafts if d.client_id == self.client_id and d.note_id == note_id]
        return matching[-1] if matching else None

    def _open_editor(self, note: NoteRow | None) -> NoteEditor:
        self._close_editor()
        editor = NoteEditor(
            self.client_id,
            self._actions.for_editor(),
            note=note,
            goals=self._goals,
            autosave_ms=self._autosave_ms,
            today=self._today,
        )
        editor.saved.connect(self._on_editor_saved)
        self.editor_holder.addWidget(editor)
        self.editor = editor
        self._shown = note
        self._update_editor_state()
        self.pane.setCurrentWidget(self.editor_page)
        return editor

    def _close_editor(self, *, keep_text: bool = True) -> None:
        editor = self.editor
        if editor is None:
            return
        if keep_text:
            editor.autosave_now()
        else:
            editor.drop_unsaved_text()
        self.editor = None
        self.editor_holder.removeWidget(editor)
        editor.hide()
        editor.deleteLater()

    def _update_editor_state(self) -> None:
        editor = self.editor
        note = None if editor is None else editor.note
        if note is None:
            self.editor_state.setText("<b>New session note</b> — not saved yet")
        else:
            author = self.model.author_name(note.author_id)
            self.editor_state.setText(
                f"<b>Draft</b> — not yet signed · written by {html.escape(author)}"
            )
        self.sign_button.setVisible(note is not None)
        self.draft_error_button.setVisible(note is not None)

    def _state_text(self, note: NoteRow) -> str:
        author = html.escape(self.model.author_name(note.author_id))
        if note.entered_in_error_at is not None:
            return f"<b>ENTERED IN ERROR</b> — marked on {when(note.entered_in_error_at)}"
        if note.signed_at is not None:
            signer = html.escape(self.model.author_name(note.signed_by or note.author_id))
            text = f"<b>{status_words(note)}</b> — signed by {signer} on {when(note.signed_at)}"
            return text if signer == author else f"{text} · written by {author}"
        return f"<b>Draft</b> · written by {author}"

    def _goal_text(self, key: str | None) -> str:
        if key is None:
            return NO_PLAN_GOAL
        return self._goal_words.get(key, EARLIER_GOAL)

    def _note_html(self, note: NoteRow) -> str:
        content = note.content
        parts: list[str] = []
        if note.entered_in_error_at is not None:
            parts.append(
                "<table width='100%' cellpadding='8' style='border: 2px solid #a4000f;'"
                " bgcolor='#fdecee'><tr><td>"
                "<b style='color:#a4000f'>ENTERED IN ERROR</b> — this note is kept in the "
                f"record but must not be relied on. Marked on {when(note.entered_in_error_at)}."
                f"<br><b>Reason:</b> {html.escape(note.entered_in_error_reason)}"
                "</td></tr></table>"
            )
        parts.append(f"<h2>Session on {content.session_date:%A %d %B %Y}</h2>")
        facts = (
            ("Attendance", ATTENDANCE_WORDS[content.attendance]),
            ("Modality", MODALITY_WORDS[content.modality]),
            ("Duration", f"{content.duration_minutes} minutes"),
            ("Engagement", ENGAGEMENT_WORDS[content.engagement]),
            ("Plan goal", self._goal_text(content.plan_goal_key)),
            ("Written by", self.model.author_name(note.author_id)),
        )
        parts.append("<table cellspacing='0' cellpadding='2'>")
        for label, value in facts:
            parts.append(f"<tr><td><b>{label}:</b>&nbsp;</td><td>{html.escape(value)}</td></tr>")
        parts.append("</table>")
        for name, title in SECTIONS:
            parts.append(f"<h3>{title.replace('&', '')}</h3>")
            parts.append(_text_html(getattr(content, name)))
        parts.append(
            "<table width='100%' cellpadding='8' style='border: 2px solid #1d5b8f;'><tr><td>"
            f"<h3>{PARTNER_UPDATE_TITLE}</h3>{_text_html(content.partner_update)}"
            "</td></tr></table>"
        )
        if note.addenda:
            parts.append(f"<h2>Addenda ({len(note.addenda)}, oldest first)</h2>")
        for number, addendum in enumerate(note.addenda, start=1):
            author = html.escape(self.model.author_name(addendum.author_id))
            parts.append(
                f"<h3>Addendum {number} — signed by {author} on {when(addendum.signed_at)}</h3>"
                f"<p><b>Reason:</b> {html.escape(addendum.reason)}</p>"
                f"{_text_html(addendum.text)}"
            )
        return "".join(parts)

    # -- slots -------------------------------------------------------------------------------

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._selecting or not current.isValid():
            return
        note = self.model.note_at(self.proxy.mapToSource(current).row())
        self.save_drafts_now()
        self._show_note(note)

    def _on_new(self) -> None:
        self.new_note()

    def _on_editor_saved(self, row: NoteRow) -> None:
        self._shown = row
        self.refresh()
        self._update_editor_state()
        self.changed.emit()

    def _on_risk_event(self) -> None:
        note = self.current_note()
        self._actions.open_risk_event(None if note is None else note.id)
        self.changed.emit()

    def _on_sign(self) -> None:
        editor = self.editor
        if editor is None or editor.note is None:
            return
        if editor.has_unsaved_text and editor.save() is None:
            return  # the problems are shown in the editor; nothing is signed
        note = editor.note
        if note is None:
            return
        dialog = SignNoteDialog(
            note_description(note),
            lambda password: self._actions.sign_note(
                note.id, password=password, expected_version=note.version
            ),
            self,
        )
        signed = run_dialog(dialog)
        row = dialog.signed
        dialog.deleteLater()
        if not signed or row is None:
            return
        self._close_editor()
        self._finish_change(row.id)

    def _on_addendum(self) -> None:
        self._open_addendum()

    def _open_addendum(self, restore: dict[str, Any] | None = None) -> None:
        note = self.current_note()
        if note is None:
            return
        dialog = AddendumDialog(
            note_description(note),
            lambda reason, text, password: self._actions.add_addendum(
                note.id, reason=reason, text=text, password=password
            ),
            self,
        )
        self._remember(dialog, "addendum", note.id, restore)
        added = run_dialog(dialog)
        dialog.deleteLater()
        if added:
            self._finish_change(note.id)

    def _on_entered_in_error(self) -> None:
        self._open_entered_in_error()

    def _open_entered_in_error(self, restore: dict[str, Any] | None = None) -> None:
        note = self.current_note()
        if note is None:
            return
        dialog = EnteredInErrorDialog(
            note_description(note),
            lambda reason: self._actions.mark_entered_in_error(note.id, reason=reason),
            self,
        )
        self._remember(dialog, "entered_in_error", note.id, restore)
        marked = run_dialog(dialog)
        dialog.deleteLater()
        if marked:
            # A note in error is never edited again, so its unsaved text has no use.
            self._close_editor(keep_text=False)
            self._finish_change(note.id)

    def _remember(
        self, dialog: QDialog, form: str, note_id: int, restore: dict[str, Any] | None
    ) -> None:
        remember_form(
            dialog, client_id=self.client_id, tab="Sessions", form=form, params={"note_id": note_id}
        )
        if restore:
            restore_input_state(dialog, restore)

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be."""
        note_id = params.get("note_id")
        if form not in ("addendum", "entered_in_error") or not isinstance(note_id, int):
            return False
        if self.model.note(note_id) is None:
            return False
        self.select_note(note_id)
        if form == "addendum":
            self._open_addendum(state)
        else:
            self._open_entered_in_error(state)
        return True

    def _finish_change(self, note_id: int) -> None:
        self._shown = None
        self.refresh()
        note = self.model.note(note_id)
        if note is not None:
            self._select_row(note_id)
            self._show_note(note)
        self.changed.emit()
