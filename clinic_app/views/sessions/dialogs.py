"""The Sessions tab's dialogs: signing a note, adding an addendum, marking a note entered
in error, and recovering autosaved drafts.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.services.notes import AddendumRow, DraftRow, NoteRow
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import problems_label
from clinic_app.views.sessions.models import ERROR_HELP, SIGNED_HELP, describe_draft

R = TypeVar("R")


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


# -- dialogs -----------------------------------------------------------------------------------


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


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
        self.message = problems_label("Problem")
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

    def run_action(
        self,
        work: Callable[[], R],
        done: Callable[[R], None],
        failed: Callable[[ClinicError], None],
    ) -> None:
        """Run the dialog's use case on the runner, its buttons disabled meanwhile.

        ``work`` holds every value it needs, read from the fields already."""
        self.ok_button.setEnabled(False)
        self.cancel_button.setEnabled(False)

        def enable() -> None:
            self.ok_button.setEnabled(True)
            self.cancel_button.setEnabled(True)

        def finished(result: R) -> None:
            enable()
            done(result)

        def refused(error: ClinicError) -> None:
            enable()
            failed(error)

        runner().run(work, finished, parent=self, failed=refused)


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
        self.password.returnPressed.connect(self.ok_button.click)
        # Typing starts in the password, never on a button.
        self.password.setFocus()

    def _on_sign(self) -> None:
        password = self.password.text()
        if not password:
            self.say("Enter your password to sign the note.")
            self.password.setFocus()
            return
        sign = self._sign

        def refused(error: ClinicError) -> None:
            self.say(error.message)
            self.password.clear()
            self.password.setFocus()

        self.run_action(lambda: sign(password), self._on_signed, refused)

    def _on_signed(self, row: NoteRow) -> None:
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
        self.password.returnPressed.connect(self.ok_button.click)
        self.focus_first_empty()

    def focus_first_empty(self) -> None:
        """Put the focus in the first field still to fill: the reason, the text, or (once
        they are written, as when the dialog is opened again after a lock) the password."""
        for field in (self.reason, self.text, self.password):
            empty = not field.text() if isinstance(field, QLineEdit) else not field.toPlainText()
            if empty:
                field.setFocus()
                return
        self.password.setFocus()

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
        add, password = self._add, self.password.text()

        def refused(error: ClinicError) -> None:
            if isinstance(error, ValidationError):
                unplaced = self.errors.show(error.problems)
                self.say("\n".join(p.message for p in unplaced))
                return
            self.say(error.message)
            self.password.clear()
            self.password.setFocus()

        self.run_action(lambda: add(reason, text, password), self._on_added, refused)

    def _on_added(self, row: AddendumRow) -> None:
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
        mark = self._mark

        def refused(error: ClinicError) -> None:
            if isinstance(error, ValidationError):
                unplaced = self.errors.show(error.problems)
                self.say("\n".join(p.message for p in unplaced))
            else:
                self.say(error.message)

        self.run_action(lambda: mark(reason), self._on_marked, refused)

    def _on_marked(self, row: NoteRow) -> None:
        self.result_row = row
        self.marked.emit(row)
        self.accept()


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
        self.message = problems_label("Problem")
        layout.addWidget(self.message)
        self.empty = QLabel("No unsaved session notes are left.")
        self.empty.setAccessibleName("No unsaved session notes are left.")
        if self.drafts:
            self.empty.hide()  # never shown here: it has no parent yet
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
        discard, draft_id = self._discard, draft.id

        def refused(error: ClinicError) -> None:
            self.message.setText(error.message)
            self.message.show()

        runner().run(
            lambda: discard(draft_id),
            lambda _none: self._on_discarded(draft),
            parent=self,
            failed=refused,
        )

    def _on_discarded(self, draft: DraftRow) -> None:
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
