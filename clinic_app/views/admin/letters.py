"""The administrator's Letters page: the wording of each kind of letter.

One kind at a time: its salutation, body and sign-off, with the placeholders a template may
use listed beside them. Saving goes through
:func:`~clinic_app.services.sharing.letter_templates.set_template`, which refuses an
unknown placeholder; the message is shown under the part that holds it and the text is
left as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import Problem
from clinic_app.models.enums import LetterKind
from clinic_app.services.sharing.letter_templates import PLACEHOLDERS, TemplateRow
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.list_tab import last_action_label
from clinic_app.views.common.runner import runner
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.common.widgets import problems_label, show_problems


class SetTemplate(Protocol):
    """``letter_templates.set_template`` bound to the signed-in administrator."""

    def __call__(
        self, kind: LetterKind, *, salutation: str, body: str, sign_off: str
    ) -> TemplateRow: ...


@dataclass(frozen=True)
class LetterTemplateActions:
    """The use cases the Letters page calls."""

    list_templates: Callable[[], list[TemplateRow]]
    set_template: SetTemplate
    restore_built_in: Callable[[LetterKind], TemplateRow]


def placeholder_help() -> str:
    """The placeholders, one a line, as the page lists them."""
    return "\n".join(f"{{{name}}}: {what}" for name, what in PLACEHOLDERS.items())


class LetterTemplatesPage(QWidget):
    """Choose a kind of letter on the left; change its wording on the right."""

    def __init__(self, actions: LetterTemplateActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self._rows: list[TemplateRow] = []
        self.errors = FieldErrors()
        layout = QHBoxLayout(self)

        self.kinds = QListWidget()
        self.kinds.setAccessibleName("Kinds of letter")
        self.kinds.setMaximumWidth(240)
        self.kinds.currentRowChanged.connect(self._on_kind_chosen)
        layout.addWidget(self.kinds)

        editor = QVBoxLayout()
        form = QFormLayout()
        self.salutation = QLineEdit()
        self.salutation.setAccessibleName("Salutation")
        form.addRow(
            self._buddy("&Salutation", self.salutation),
            self.errors.with_field("salutation", self.salutation),
        )
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Body of the letter")
        self.body.setTabChangesFocus(True)
        self.body.setMinimumHeight(220)
        form.addRow(self._buddy("&Body", self.body), self.errors.with_field("body", self.body))
        self.sign_off = QLineEdit()
        self.sign_off.setAccessibleName("Sign-off")
        form.addRow(
            self._buddy("Sig&n-off", self.sign_off),
            self.errors.with_field("sign_off", self.sign_off),
        )
        editor.addLayout(form)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.state.setAccessibleName("Whose wording this is")
        editor.addWidget(self.state)
        self.general_errors = problems_label()
        editor.addWidget(self.general_errors)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Sa&ve wording")
        self.save_button.setAccessibleName("Save the wording of this kind of letter")
        self.save_button.clicked.connect(self._on_save)
        self.restore_button = QPushButton("&Restore the built-in wording")
        self.restore_button.setAccessibleName("Go back to the built-in wording of this letter")
        self.restore_button.clicked.connect(self._on_restore)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        editor.addLayout(buttons)
        self.status = last_action_label()
        editor.addWidget(self.status)
        layout.addLayout(editor, stretch=2)

        help_text = QLabel(
            "Placeholders are filled from the record when a letter is written; the "
            "clinician edits the letter before it is issued.\n\n" + placeholder_help()
        )
        help_text.setWordWrap(True)
        help_text.setAccessibleName("The placeholders a letter template may use")
        help_text.setMaximumWidth(320)
        layout.addWidget(help_text, 1, Qt.AlignmentFlag.AlignTop)

        for line in (self.salutation, self.sign_off):
            line.textChanged.connect(self._on_edited)
        self.body.textChanged.connect(self._on_edited)

    @staticmethod
    def _buddy(text: str, field: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(field)
        return label

    def refresh(self, select: LetterKind | None = None) -> None:
        runner().run(
            self._actions.list_templates,
            partial(self._show, select=select),
            key="admin:letter-templates",
            parent=self,
        )

    def _show(self, rows: list[TemplateRow], *, select: LetterKind | None = None) -> None:
        current = self.current()
        keep = select or (current.kind if current is not None else None)
        self._rows = list(rows)
        self.kinds.blockSignals(True)
        self.kinds.clear()
        for row in rows:
            self.kinds.addItem(row.title + ("" if not row.changed else " (changed)"))
        self.kinds.blockSignals(False)
        index = next((i for i, r in enumerate(rows) if r.kind is keep), 0)
        self.kinds.setCurrentRow(index)
        self._on_kind_chosen(index)

    def current(self) -> TemplateRow | None:
        index = self.kinds.currentRow()
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def show_problems(self, problems: Sequence[Problem]) -> None:
        show_problems(self.general_errors, self.errors.show(problems))

    def _on_kind_chosen(self, _index: int) -> None:
        row = self.current()
        if row is None:
            return
        self.salutation.setText(row.salutation)
        self.body.setPlainText(row.body)
        self.sign_off.setText(row.sign_off)
        self.errors.clear()
        self.general_errors.hide()
        if row.changed:
            who = f" by {row.updated_by_name}" if row.updated_by_name else ""
            self.state.setText(f"The service's own wording, last changed{who}.")
        else:
            self.state.setText("The built-in wording.")
        self.restore_button.setEnabled(row.changed)

    def _on_edited(self) -> None:
        sender = self.sender()
        where = {self.salutation: "salutation", self.body: "body", self.sign_off: "sign_off"}
        name = where.get(sender)  # type: ignore[call-overload]
        if name is not None:
            self.errors.clear_field(name)

    def _on_save(self) -> None:
        row = self.current()
        if row is None:
            return
        work = partial(
            self._actions.set_template,
            row.kind,
            salutation=self.salutation.text(),
            body=self.body.toPlainText(),
            sign_off=self.sign_off.text(),
        )

        def saved(new: TemplateRow) -> None:
            self.status.setText(f"Saved the wording of the {new.title.lower()}.")
            self.refresh(select=new.kind)

        save_through_runner(
            self,
            work,
            saved,
            busy=[self.save_button, self.restore_button],
            title="The wording was not saved",
            problems=self.show_problems,
        )

    def _on_restore(self) -> None:
        row = self.current()
        if row is None:
            return

        def restored(new: TemplateRow) -> None:
            self.status.setText(f"The {new.title.lower()} has the built-in wording again.")
            self.refresh(select=new.kind)

        save_through_runner(
            self,
            partial(self._actions.restore_built_in, row.kind),
            restored,
            busy=[self.save_button, self.restore_button],
            title="The wording was not restored",
        )
