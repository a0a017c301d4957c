"""The Sessions tab's words, its table of notes, and descriptions of notes and drafts."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QWidget,
)

from clinic_app.models.enums import PlanStatus
from clinic_app.services.notes import DraftRow, NoteContent, NoteRow
from clinic_app.services.plans import GoalRow, RevisionRow
from clinic_app.views.common.table import SORT_ROLE, ListTableModel
from clinic_app.wording import (
    ATTENDANCE_SHORT,
    ATTENDANCE_WORDS,
    CONTACT_TYPE_WORDS,
    MODALITY_WORDS,
)

AnyIndex = QModelIndex | QPersistentModelIndex

# -- words ----------------------------------------------------------------------------------


# The structured note's sections, in the order they are written (DOMAIN.md section 3).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("risk_checkin", "Risk &check-in"),
    ("agenda", "Agenda and plan goal"),
    ("intervention_content", "&Intervention content"),
    ("homework", "&Homework"),
    ("risk_rerating", "Ris&k re-rating"),
    ("actions", "Actions"),
)
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


def text_html(text: str) -> str:
    if not text.strip():
        return "<p><i>Nothing recorded.</i></p>"
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


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


COLUMNS = len(SessionColumn)

# Column widths fit the contents of this many rows (Qt reads every row otherwise, at every
# layout: thousands of calls to ``data`` for a long record, for widths that dates, short
# words and names settle within the first rows anyway).
ROWS_FOR_WIDTHS = 50


NO_FONT, STRUCK_OUT, ITALIC = 0, 1, 2


@dataclass(frozen=True)
class PreparedNotes:
    """A client's notes ready for the list: newest first, each cell's words, sort keys and
    font worked out (by :func:`prepare_notes`, which touches no widget and can run off
    the GUI thread)."""

    notes: tuple[NoteRow, ...]
    authors: dict[int, str]
    texts: tuple[tuple[str, ...], ...]
    keys: tuple[tuple[Any, ...], ...]
    fonts: tuple[int, ...]


def prepare_notes(notes: Sequence[NoteRow], authors: Mapping[int, str]) -> PreparedNotes:
    """The notes as the list shows them, newest first (the list's first order)."""
    names = dict(authors)
    ordered = sorted(notes, key=SessionModel.date_key, reverse=True)
    columns = list(SessionColumn)
    texts = tuple(tuple(SessionModel.words(n, c, names) for c in columns) for n in ordered)
    keys = tuple(
        tuple(SessionModel.key_of(n, c, text) for c, text in zip(columns, row, strict=True))
        for n, row in zip(ordered, texts, strict=True)
    )
    fonts = tuple(
        STRUCK_OUT
        if n.entered_in_error_at is not None
        else (ITALIC if not n.is_signed else NO_FONT)
        for n in ordered
    )
    return PreparedNotes(tuple(ordered), names, texts, keys, fonts)


class SessionModel(ListTableModel[NoteRow]):
    """The client's session notes, one row each; authors named from the staff list.

    Entered-in-error notes are struck through and drafts are in italics, but the Status
    column always says the same thing in words.

    What each cell shows, its sort key and its font are worked out once per load, in
    :meth:`set_notes`: the view asks ``data`` for every visible cell at every paint, and
    the sort asks for every row's key, so ``data`` only looks them up.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(SessionColumn, HEADERS, parent)
        self._authors: dict[int, str] = {}
        self._texts: tuple[tuple[str, ...], ...] = ()
        self._keys: tuple[tuple[Any, ...], ...] = ()
        self._fonts: tuple[int, ...] = ()
        self._rows: dict[int, int] = {}
        struck = QFont()
        struck.setStrikeOut(True)
        italic = QFont()
        italic.setItalic(True)
        self._font_of: tuple[QFont | None, ...] = (None, struck, italic)

    def set_notes(self, notes: Sequence[NoteRow], authors: Mapping[int, str]) -> None:
        self.set_prepared(prepare_notes(notes, authors))

    def set_prepared(self, prepared: PreparedNotes) -> None:
        """Show notes prepared by :func:`prepare_notes` (rows newest first)."""
        self._authors = prepared.authors
        self._texts, self._keys, self._fonts = prepared.texts, prepared.keys, prepared.fonts
        self._rows = {n.id: row for row, n in enumerate(prepared.notes)}
        self.reset_items(prepared.notes)

    def note_at(self, row: int) -> NoteRow:
        return self.item(row)

    def row_of(self, note_id: int) -> int | None:
        return self._rows.get(note_id)

    def note(self, note_id: int) -> NoteRow | None:
        row = self.row_of(note_id)
        return None if row is None else self._items[row]

    def author_name(self, staff_id: int) -> str:
        return self._authors.get(staff_id, FORMER_STAFF)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row, column = index.row(), index.column()
        if not 0 <= row < len(self._texts) or not 0 <= column < COLUMNS:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._texts[row][column]
        if role == SORT_ROLE:
            return self._keys[row][column]
        if role == Qt.ItemDataRole.FontRole:
            return self._font_of[self._fonts[row]]
        return None

    def display(self, note: NoteRow, column: SessionColumn) -> str:
        return self.words(note, column, self._authors)

    @staticmethod
    def words(note: NoteRow, column: SessionColumn, authors: Mapping[int, str]) -> str:
        """What one cell says (a pure function: it can run off the GUI thread)."""
        content = note.content
        match column:
            case SessionColumn.DATE:
                return f"{content.session_date:%d/%m/%Y}"
            case SessionColumn.ATTENDANCE:
                return ATTENDANCE_SHORT[content.attendance]
            case SessionColumn.MODALITY:
                return MODALITY_WORDS[content.modality]
            case SessionColumn.DURATION:
                return f"{content.duration_minutes} min"
            case SessionColumn.STATUS:
                return status_words(note)
            case SessionColumn.AUTHOR:
                return authors.get(note.author_id, FORMER_STAFF)

    def sort_key(self, note: NoteRow, column: SessionColumn) -> Any:
        return self.key_of(note, column, self.display(note, column))

    @staticmethod
    def date_key(note: NoteRow) -> str:
        # Same-day notes keep the order they were written in.
        return f"{note.content.session_date.isoformat()}#{note.id:012d}"

    @staticmethod
    def key_of(note: NoteRow, column: SessionColumn, text: str) -> Any:
        if column == SessionColumn.DATE:
            return SessionModel.date_key(note)
        if column == SessionColumn.DURATION:
            return note.content.duration_minutes
        return text


# -- the editor --------------------------------------------------------------------------------


def current_goals(plans: Sequence[RevisionRow]) -> tuple[GoalRow, ...]:
    """The goals of the plan in force: the latest one not completed or withdrawn."""
    live = [p for p in plans if p.status not in (PlanStatus.COMPLETED, PlanStatus.WITHDRAWN)]
    chosen = live[-1] if live else None
    return chosen.goals if chosen is not None else ()


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


# -- the tab -----------------------------------------------------------------------------------


def note_description(note: NoteRow) -> str:
    """One line naming a session, e.g. for a dialog: date, attendance, modality, length."""
    content = note.content
    kind = "Session" if content.contact_type is None else CONTACT_TYPE_WORDS[content.contact_type]
    return (
        f"{kind} on {content.session_date:%A %d %B %Y}: "
        f"{ATTENDANCE_WORDS[content.attendance]}, {MODALITY_WORDS[content.modality].lower()}, "
        f"{content.duration_minutes} minutes"
    )
