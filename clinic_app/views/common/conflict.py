"""The conflict dialog: someone else saved this record while you were editing it.

Shown when a save is refused with an :class:`~clinic_app.errors.EditConflict`. Nothing has
been overwritten. For every part that differs, the newer saved text (read-only, on the
left, with who saved it and when) sits beside the user's own text (on the right, which
they may still edit). The user then chooses:

- **Save mine over it**: their text (as edited here) is saved over the newer one, with the
  newer version, so it is a deliberate choice; the save is audited like any other.
- **Keep the saved one**: their text is discarded and the screen shows the saved one.
- **Copy mine**: their text goes to the clipboard, to paste wherever they like, and the
  dialog stays open.

:func:`offer_conflict` opens it (window-modal, without a nested event loop) and calls back
with the choice; :func:`~clinic_app.views.common.saving.save_through_runner` does this for
every form that saves through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ConflictField, EditConflict

SaveMine = Callable[[EditConflict, Mapping[str, str]], None]
"""Save the user's text again: given the conflict (its newer version) and their texts, as
edited in the dialog, by field name."""

TITLE = "Someone else saved this while you were editing"

# Text that cannot be edited here looks it: on the window's colour, not the page's.
READ_ONLY_STYLE = "QPlainTextEdit { background: palette(window); }"


def saved_when(moment: datetime | None) -> str:
    """When the newer version was saved, in the workstation's local time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone():%d/%m/%Y at %H:%M}"


class ConflictDialog(QDialog):
    """Both versions of what differs, side by side, and the choice of which to keep.

    ``mine`` holds the user's text boxes by field name (editable where the part is free
    text); :meth:`edits` reads them. ``accepted`` means "Save mine over it", ``rejected``
    "Keep the saved one".
    """

    def __init__(
        self, conflict: EditConflict, *, can_save_mine: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.conflict = conflict
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        self.setAccessibleDescription(conflict.message)
        layout = QVBoxLayout(self)

        self.message = QLabel(conflict.message)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("What happened")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)

        who = conflict.saved_by or "Someone else"
        moment = saved_when(conflict.saved_at)
        saved_heading = f"Saved by {who}" + (f" on {moment}" if moment else "")
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        for column, text in ((1, saved_heading), (2, "Yours, not saved yet (you can edit it)")):
            heading = QLabel(f"<b>{text}</b>")
            heading.setAccessibleName(text)
            grid.addWidget(heading, 0, column)
        self.saved: dict[str, QPlainTextEdit] = {}
        self.mine: dict[str, QPlainTextEdit] = {}
        for row, field in enumerate(conflict.fields, start=1):
            self._add_row(grid, row, field, saved_heading)
        grid.setRowStretch(len(conflict.fields) + 1, 1)
        if not conflict.fields:
            same = QLabel("What you typed is the same as what is saved now.")
            same.setAccessibleName("What you typed is the same as what is saved now")
            grid.addWidget(same, 1, 0, 1, 3)
        body = QWidget()
        body.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setAccessibleName("The two versions")
        layout.addWidget(scroll, 1)

        buttons = QDialogButtonBox()
        self.save_mine_button = QPushButton("&Save mine over it")
        self.save_mine_button.setAccessibleName("Save mine over it")
        self.save_mine_button.setAccessibleDescription(
            "Save your text, as shown on the right, over the newer saved version"
        )
        self.keep_saved_button = QPushButton("&Keep the saved one")
        self.keep_saved_button.setAccessibleName("Keep the saved one")
        self.keep_saved_button.setAccessibleDescription(
            "Discard your text and show the saved version"
        )
        self.copy_button = QPushButton("&Copy mine")
        self.copy_button.setAccessibleName("Copy mine")
        self.copy_button.setAccessibleDescription("Copy your text to the clipboard")
        buttons.addButton(self.save_mine_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.keep_saved_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_mine_button.setVisible(can_save_mine)  # (the box shows what it is given)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._on_copy)
        layout.addWidget(buttons)
        self.status = QLabel()
        self.status.setAccessibleName("Status")
        layout.addWidget(self.status)
        # Keeping the saved one is the safe default (Enter, Escape): saving over a
        # colleague's text must be chosen.
        self.keep_saved_button.setDefault(True)
        # As tall as the parts need (the scroll area takes any more), within the screen.
        wanted = body.sizeHint().height() + self.message.sizeHint().height() + 120
        screen = self.screen().availableGeometry().height() if self.screen() else 800
        self.resize(960, min(max(wanted, 320), int(screen * 0.85)))

    def _add_row(self, grid: QGridLayout, row: int, field: ConflictField, saved: str) -> None:
        label = QLabel(field.label)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignTop)
        grid.addWidget(label, row, 0)
        newer = QPlainTextEdit(field.saved)
        newer.setReadOnly(True)
        newer.setAccessibleName(f"{field.label}, {saved.lower()}")
        newer.setTabChangesFocus(True)
        mine = QPlainTextEdit(field.theirs)
        mine.setReadOnly(not field.editable)
        mine.setAccessibleName(f"{field.label}, yours")
        if not field.editable:
            mine.setAccessibleDescription("Not text: saved as you chose it in the form")
        mine.setTabChangesFocus(True)
        # As tall as the longer text (a few lines at most, then it scrolls), no taller:
        # short parts stay short, so every part that differs is in view at once.
        lines = max(field.saved.count("\n"), field.theirs.count("\n")) + 1
        lines = min(lines + 1, 10) if field.editable else min(lines, 4)  # room to type
        margins = int(newer.document().documentMargin() * 2) + newer.frameWidth() * 2 + 4
        height = newer.fontMetrics().lineSpacing() * lines + margins
        for edit in (newer, mine):
            edit.setFixedHeight(height)
            edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            if edit.isReadOnly():
                edit.setStyleSheet(READ_ONLY_STYLE)
        grid.addWidget(newer, row, 1)
        grid.addWidget(mine, row, 2)
        self.saved[field.name] = newer
        self.mine[field.name] = mine

    def edits(self) -> dict[str, str]:
        """The user's texts, as edited here, by field name (free-text parts only)."""
        return {
            field.name: self.mine[field.name].toPlainText()
            for field in self.conflict.fields
            if field.editable
        }

    def mine_text(self) -> str:
        """Everything on the user's side, part after part, for the clipboard."""
        return "\n\n".join(
            f"{field.label}:\n{self.mine[field.name].toPlainText()}"
            for field in self.conflict.fields
        )

    def _on_copy(self) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self.mine_text())
        self.status.setText("Your text is on the clipboard.")


def offer_conflict(
    parent: QWidget,
    conflict: EditConflict,
    *,
    save_mine: SaveMine | None,
    keep_saved: Callable[[], None] | None = None,
) -> ConflictDialog:
    """Open the conflict dialog over ``parent``; call back with the user's choice.

    ``save_mine(conflict, edits)`` saves again with the newer version (None: the screen
    cannot, and the button is hidden); ``keep_saved()`` makes the screen show the saved
    version. The dialog is returned (tests drive it); it is deleted once closed.
    """
    dialog = ConflictDialog(conflict, can_save_mine=save_mine is not None, parent=parent)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)

    def chosen(result: int) -> None:
        if result == QDialog.DialogCode.Accepted and save_mine is not None:
            save_mine(conflict, dialog.edits())
        elif result != QDialog.DialogCode.Accepted and keep_saved is not None:
            keep_saved()
        dialog.deleteLater()

    dialog.finished.connect(chosen)
    dialog.open()
    return dialog
