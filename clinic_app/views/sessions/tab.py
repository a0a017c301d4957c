"""The Sessions tab of a client's record: the list of session notes and the note shown.

A session note is a draft until its author signs it with their password. A draft opens
in :class:`~.editor.NoteEditor`, the structured template of DOMAIN.md section 3; a signed note is
shown read-only with its addenda, and changes only through a signed addendum or by being
marked *entered in error* (never deleted).

Typing is never lost: every edit restarts a short timer, and when typing pauses the
editor's fields are autosaved as an unsigned draft copy (``notes.autosave``). The copy is
discarded once the note is saved; if the app dies first, :class:`~.dialogs.RecoverDraftsDialog`
offers it again at the next start.

Dialogs never block in tests: the tab builds each dialog and hands it to
:func:`run_dialog`, which tests replace to fill the dialog in and press its buttons.

Every read and save goes through the background runner. Until the notes have arrived the
list says it is loading; what is asked of the tab meanwhile (show a note, open a draft)
is done when they arrive.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    Qt,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.services.note_templates import (
    DEFAULT_CONTACT_TYPE,
    FIRST_CONTACT_TYPE,
    template_for,
)
from clinic_app.services.notes import DraftRow, NoteRow
from clinic_app.services.plans import GoalRow, RevisionRow
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.list_tab import (
    rows_table,
    sorted_by,
)
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.sessions.actions import SessionsActions
from clinic_app.views.sessions.dialogs import (
    AddendumDialog,
    EnteredInErrorDialog,
    SignNoteDialog,
)
from clinic_app.views.sessions.editor import AUTOSAVE_MS, NoteEditor
from clinic_app.views.sessions.models import (
    CHOOSE_NOTE,
    EARLIER_GOAL,
    EMPTY_LIST,
    NO_PLAN_GOAL,
    PARTNER_UPDATE_TITLE,
    ROWS_FOR_WIDTHS,
    SECTIONS,
    START_FIRST,
    PreparedNotes,
    SessionColumn,
    SessionModel,
    current_goals,
    note_description,
    prepare_notes,
    status_words,
    text_html,
    when,
)
from clinic_app.wording import (
    ATTENDANCE_WORDS,
    CONTACT_TYPE_WORDS,
    ENGAGEMENT_WORDS,
    MODALITY_WORDS,
)

log = logging.getLogger(__name__)

LOADING = "Loading the sessions…"
FORM_GONE = (
    "A form that was open when the screen locked could not be opened again: what it was "
    "about has changed since."
)


# -- running dialogs (replaced in tests) --------------------------------------------------------


def run_dialog(dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True when it was accepted. Tests replace this function."""
    return dialog.exec() == QDialog.DialogCode.Accepted


class SessionsTab(RecordPart):
    """The client's sessions: the list of notes beside a reader or an editor.

    A draft opens in the editor (with "Sign…"); a signed note opens read-only with its
    addenda ("Add addendum…", "Mark entered in error…"). Unsaved text is autosaved when
    typing pauses, when another note is chosen, and by :meth:`save_drafts_now`.

    Signals:
        changed(): after the record was changed (a note saved, signed, amended or marked).
    """

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
        self._loading = False
        self._after_load: list[Callable[[], object]] = []
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
        self.empty = QLabel(LOADING)
        self.empty.setAccessibleName("Session notes")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        left_layout.addWidget(self.empty)
        self.model = SessionModel(self)
        self.table = rows_table(QTableView(), word_wrap=None)
        self.proxy = sorted_by(
            self, self.table, self.model, SessionColumn.DATE, Qt.SortOrder.DescendingOrder
        )
        header = self.table.horizontalHeader()
        # Sized to their contents once per load (``_show_loaded``), from the first rows:
        # sizing at every layout would read every cell of a long record each time.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(ROWS_FOR_WIDTHS)
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
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([360, 920])

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
        self.draft_error_button = QPushButton("Mark entered in &error…")
        self.draft_error_button.setAccessibleName("Mark entered in error")
        self.draft_error_button.clicked.connect(self._on_entered_in_error)
        top.addWidget(self.draft_error_button)
        layout.addLayout(top)
        self.editor_holder = QVBoxLayout()
        layout.addLayout(self.editor_holder, stretch=1)
        return self.editor_page

    @property
    def sign_button(self) -> QPushButton | None:
        """The open editor's "Sign…" button (it saves the note first), if a note is open."""
        return None if self.editor is None else self.editor.sign_button

    def _give_the_editor_room(self) -> None:
        """The list keeps a narrow column; the note being written takes the rest."""
        splitter = self.pane.parentWidget()
        if isinstance(splitter, QSplitter):
            width = max(splitter.width(), 1000)
            left = max(280, width // 4)
            splitter.setSizes([left, width - left])

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the notes (and the plan goals and staff names), on the runner."""
        actions, client_id = self._actions, self.client_id

        def read() -> tuple[PreparedNotes, list[RevisionRow]]:
            notes = actions.notes_for_client(client_id)
            plans = actions.plans_for_client(client_id)
            staff = actions.clinical_staff()
            # The list's words are worked out here too, off the GUI thread.
            return prepare_notes(notes, {s.id: s.display_name for s in staff}), plans

        self._loading = True
        runner().run(
            read,
            self._on_loaded,
            key=f"sessions:{client_id}",
            parent=self,
            failed=self._on_load_failed,
        )

    def when_loaded(self, then: Callable[[], object]) -> None:
        """Run ``then`` once the notes asked for last have arrived (at once if they have)."""
        if self._loading:
            self._after_load.append(then)
        else:
            then()

    def _on_load_failed(self, error: ClinicError) -> None:
        self._loading = False
        self._after_load.clear()
        self.model.set_prepared(prepare_notes([], {}))
        self.empty.setText(f"The sessions could not be loaded. {error.message}")
        self.empty.show()
        self.table.hide()

    def _on_loaded(self, loaded: tuple[PreparedNotes, list[RevisionRow]]) -> None:
        self._loading = False
        self._show_loaded(*loaded)
        waiting, self._after_load = self._after_load, []
        for then in waiting:
            then()

    def _show_loaded(self, prepared: PreparedNotes, plans: list[RevisionRow]) -> None:
        self._goals = current_goals(plans)
        self._goal_words = {g.goal_key: g.partner_wording for p in plans for g in p.goals}
        notes = prepared.notes
        self._keep_first_order()
        self.model.set_prepared(prepared)
        self.table.resizeColumnsToContents()
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

    def _keep_first_order(self) -> None:
        """The notes arrive newest first, the list's first order: when the list is shown
        in that order the proxy is told not to sort them again (for a long record that
        sort asks the model for thousands of keys, on the GUI thread). A column the
        clinician chose is sorted as before."""
        column, order = self.proxy.sortColumn(), self.proxy.sortOrder()
        if column not in (-1, SessionColumn.DATE) or (
            column == SessionColumn.DATE and order != Qt.SortOrder.DescendingOrder
        ):
            return
        self.proxy.sort(-1)
        header = self.table.horizontalHeader()
        blocked = header.blockSignals(True)
        header.setSortIndicator(SessionColumn.DATE, Qt.SortOrder.DescendingOrder)
        header.blockSignals(blocked)

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

    def select_item(self, item_id: int) -> None:
        self.select_note(item_id)

    def select_note(self, note_id: int) -> None:
        """Show one note (e.g. a search result), selecting its row (once the notes are in)."""
        self.when_loaded(lambda: self._select_note(note_id))

    def _select_note(self, note_id: int) -> None:
        note = self.model.note(note_id)
        if note is None:
            return
        self.save_drafts_now()
        self._select_row(note_id)
        self._show_note(note)
        editor = self.editor
        if editor is not None and editor.note is not None and editor.note.id == note_id:
            # Opened to be written (from the diary, a search, a reminder): start writing.
            editor.focus_writing()

    def save_drafts_now(self) -> None:
        """Autosave whatever the editor holds, now (before the screen locks)."""
        if self.editor is not None:
            self.editor.autosave_now()

    def new_note(self) -> NoteEditor:
        """Open the editor on a new note (restoring unsaved text for one, if kept)."""
        self.save_drafts_now()
        self._select_row(None)
        editor = self._open_editor(None)
        self._restore_kept_draft(editor, note_id=None)
        editor.focus_writing()
        return editor

    def open_draft(self, draft: DraftRow) -> NoteEditor | None:
        """Open an autosaved draft (e.g. chosen in :class:`RecoverDraftsDialog`).

        The editor, or None when the draft is another client's or the notes are still
        loading (it is then opened when they arrive).
        """
        if draft.client_id != self.client_id:
            return None
        if self._loading:
            self.when_loaded(lambda: self.open_draft(draft))
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
            self._restore_kept_draft(editor, note_id=note.id)
            return
        self._close_editor()
        self.reader_text.setHtml(self._note_html(note))
        self.reader_state.setText(self._state_text(note))
        in_error = note.entered_in_error_at is not None
        self.addendum_button.setVisible(note.is_signed and not in_error)
        self.reader_error_button.setVisible(not in_error)
        self.pane.setCurrentWidget(self.reader)

    def _restore_kept_draft(self, editor: NoteEditor, *, note_id: int | None) -> None:
        """Put back an autosaved copy of this note's unsaved text, if one was left.

        Read on the runner, after any autosave already asked for (the runner keeps the
        order), and put back only if the editor is still open and untouched meanwhile.
        """
        drafts_to_recover, client_id = self._actions.drafts_to_recover, self.client_id

        def read() -> list[DraftRow]:
            try:
                return drafts_to_recover()
            except Exception as error:  # a convenience: the note opens anyway
                log.warning("Autosaved drafts could not be listed (%s)", type(error).__name__)
                return []

        def restore(drafts: list[DraftRow]) -> None:
            if self.editor is not editor or editor.has_unsaved_text:
                return
            matching = [d for d in drafts if d.client_id == client_id and d.note_id == note_id]
            if matching:
                editor.restore_draft(matching[-1])

        runner().run(read, restore, parent=editor)

    def _open_editor(self, note: NoteRow | None) -> NoteEditor:
        self._close_editor()
        first = not any(n.entered_in_error_at is None for n in self.model.items())
        editor = NoteEditor(
            self.client_id,
            self._actions.for_editor(),
            note=note,
            goals=self._goals,
            autosave_ms=self._autosave_ms,
            today=self._today,
            contact_type=FIRST_CONTACT_TYPE if first else DEFAULT_CONTACT_TYPE,
        )
        editor.saved.connect(self._on_editor_saved)
        editor.sign_requested.connect(self._on_sign)
        self.editor_holder.addWidget(editor)
        self.editor = editor
        self._shown = note
        self._update_editor_state()
        self.pane.setCurrentWidget(self.editor_page)
        self._give_the_editor_room()
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
        # What the note is; whether it is saved is the editor's one status line.
        if note is None:
            self.editor_state.setText("<b>New session note</b>")
        else:
            author = self.model.author_name(note.author_id)
            self.editor_state.setText(
                f"<b>Draft</b> — not yet signed · written by {html.escape(author)}"
            )
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
        template = template_for(content.contact_type)
        kind = (
            "Session" if content.contact_type is None else CONTACT_TYPE_WORDS[content.contact_type]
        )
        began = "" if content.start_time is None else f" at {content.start_time:%H:%M}"
        parts.append(f"<h2>{html.escape(kind)} on {content.session_date:%A %d %B %Y}{began}</h2>")
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
        headings = {section.field: section.heading for section in template.sections}
        for name, title in SECTIONS:
            text = getattr(content, name)
            if name not in headings and not text.strip():
                continue  # not part of this kind of note, and nothing written
            heading = headings.get(name, title.replace("&", ""))
            parts.append(f"<h3>{html.escape(heading)}</h3>")
            parts.append(text_html(text))
        if template.partner_update or content.partner_update.strip():
            parts.append(
                "<table width='100%' cellpadding='8' style='border: 2px solid #1d5b8f;'>"
                f"<tr><td><h3>{PARTNER_UPDATE_TITLE}</h3>{text_html(content.partner_update)}"
                "</td></tr></table>"
            )
        if note.addenda:
            parts.append(f"<h2>Addenda ({len(note.addenda)}, oldest first)</h2>")
        for number, addendum in enumerate(note.addenda, start=1):
            author = html.escape(self.model.author_name(addendum.author_id))
            parts.append(
                f"<h3>Addendum {number} — signed by {author} on {when(addendum.signed_at)}</h3>"
                f"<p><b>Reason:</b> {html.escape(addendum.reason)}</p>"
                f"{text_html(addendum.text)}"
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
        if editor is None:
            return
        if editor.note is None or editor.has_unsaved_text:
            # Saved first; if it is not saved the problems are shown and nothing is signed.
            editor.save(then=lambda _row: self._sign(editor))
            return
        self._sign(editor)

    def _sign(self, editor: NoteEditor) -> None:
        note = editor.note
        if note is None or self.editor is not editor:
            return
        sign_note = self._actions.sign_note  # the dialog runs it off the GUI thread
        dialog = SignNoteDialog(
            note_description(note),
            lambda password: sign_note(note.id, password=password, expected_version=note.version),
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
        add_addendum = self._actions.add_addendum
        dialog = AddendumDialog(
            note_description(note),
            lambda reason, text, password: add_addendum(
                note.id, reason=reason, text=text, password=password
            ),
            self,
        )
        self._remember(dialog, "addendum", note.id, restore)
        dialog.focus_first_empty()
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
        mark = self._actions.mark_entered_in_error
        dialog = EnteredInErrorDialog(
            note_description(note),
            lambda reason: mark(note.id, reason=reason),
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
        """Open a form again as it was when the screen locked; False if it cannot be.

        While the notes are loading it is opened when they arrive (or, if its note has
        gone meanwhile, the user is told).
        """
        note_id = params.get("note_id")
        if form not in ("addendum", "entered_in_error") or not isinstance(note_id, int):
            return False
        if not self._loading and self.model.note(note_id) is None:
            return False

        def reopen() -> None:
            if self.model.note(note_id) is None:
                feedback.show_error(self, ClinicError(FORM_GONE))
                return
            self._select_note(note_id)
            if form == "addendum":
                self._open_addendum(state)
            else:
                self._open_entered_in_error(state)

        self.when_loaded(reopen)
        return True

    def _finish_change(self, note_id: int) -> None:
        self._shown = None
        self.refresh()

        def show_changed() -> None:
            note = self.model.note(note_id)
            if note is not None:
                self._select_row(note_id)
                self._show_note(note)

        self.when_loaded(show_changed)
        self.changed.emit()
