"""The Documents tab's forms: attach a document, and mark one entered in error.

Each form reads what was typed, hands it to one service call on the background runner
(the file itself is read there too, never on the GUI thread) and shows the service's
problems beside the fields they are about; what was typed stays when a save is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import Problem
from clinic_app.models import DocumentClass
from clinic_app.services.documents import (
    DOCUMENT_CLASS_WORDS,
    KIND_BY_SUFFIX,
    KINDS_IN_WORDS,
    MAX_MEGABYTES,
    DocumentDetails,
    DocumentRow,
)
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.common.widgets import problems_label, show_problems, to_date, to_qdate

FILE_FILTER = (
    "Documents (" + " ".join(f"*{suffix}" for suffix in KIND_BY_SUFFIX) + ");;All files (*)"
)


def _buddy(text: str, field_widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(field_widget)
    label.setWordWrap(True)
    return label


def _line(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def choose_file(parent: QWidget, start: str) -> str:
    """The file the clinician picks in the system's file dialog ("" when cancelled).
    Tests replace this by name."""
    chosen, _filter = QFileDialog.getOpenFileName(
        parent, "Choose the document to attach", start, FILE_FILTER
    )
    return chosen


class _Form(QDialog):
    """What both forms share: problems by field, a problems line, save and cancel."""

    def __init__(self, title: str, save_text: str, save_name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.errors = FieldErrors()
        self.layout_ = QVBoxLayout(self)
        self.general_errors = problems_label()
        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(save_text, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setAccessibleName(save_name)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel without saving")
        self.cancel_button.setAutoDefault(False)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)

    def _field(self, text: str, widget: QWidget, where: str) -> None:
        self.layout_.addWidget(_buddy(text, widget))
        self.layout_.addWidget(widget)
        self.layout_.addWidget(self.errors.label_for(where, widget))

    def _finish(self) -> None:
        self.layout_.addWidget(self.general_errors)
        self.layout_.addWidget(self.buttons)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        show_problems(self.general_errors, self.errors.show(problems))

    saved_document: DocumentRow | None = None

    def _on_save(self) -> None:
        raise NotImplementedError

    def _saved(self, row: DocumentRow) -> None:
        self.errors.clear()
        show_problems(self.general_errors, [])
        self.saved_document = row
        self.accept()


class AttachDocumentDialog(_Form):
    """Attach a file to the record, with its title, sender, date received and class.

    ``attach`` is the service call with the client's id bound; on success
    ``saved_document`` holds the stored row and the dialog is accepted.
    """

    def __init__(
        self,
        attach: Callable[[DocumentDetails, Path], DocumentRow],
        *,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Attach a document", "&Attach", "Attach the document to the record", parent
        )
        self._attach = attach
        self.saved_document = None
        self.setMinimumWidth(640)
        intro = QLabel(
            f"Attach {KINDS_IN_WORDS}, up to {MAX_MEGABYTES} MB. It is kept inside the "
            "record's encrypted database and never leaves the service. Once attached it "
            "cannot be changed or removed; one attached by mistake is marked entered in error."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About this form")
        self.layout_.addWidget(intro)

        self.path = _line("The file to attach", "Choose the file, or type or paste its path")
        self.browse_button = QPushButton("C&hoose file…")
        self.browse_button.setAccessibleName("Choose the file to attach")
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self._on_browse)
        file_row = QWidget()
        file_layout = QHBoxLayout(file_row)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(self.path, stretch=1)
        file_layout.addWidget(self.browse_button)
        self.layout_.addWidget(_buddy("&File", self.path))
        self.layout_.addWidget(file_row)
        self.layout_.addWidget(self.errors.label_for("file", self.path))

        self.title = _line("Title", "For example: Police report of the incident on 3 March")
        self._field("&Title", self.title, "title")
        self.received_from = _line("Who it came from", "The person, service or agency")
        self._field("Fro&m (who sent it)", self.received_from, "received_from")
        self.received_on = QDateEdit()
        self.received_on.setAccessibleName("Date received")
        self.received_on.setCalendarPopup(True)
        self.received_on.setDisplayFormat("dd/MM/yyyy")
        self.received_on.setDate(to_qdate(today))
        self.received_on.setMaximumDate(to_qdate(today))
        self._field("Date &received", self.received_on, "received_on")

        classes = QWidget()
        classes.setAccessibleName("Whose information it is")
        class_layout = QVBoxLayout(classes)
        class_layout.setContentsMargins(0, 0, 0, 0)
        self.class_group = QButtonGroup(self)
        self.class_buttons: dict[DocumentClass, QRadioButton] = {}
        for shortcut, document_class in zip(
            ("&Clinical", "Thir&d party"), DocumentClass, strict=True
        ):
            words = DOCUMENT_CLASS_WORDS[document_class]
            button = QRadioButton(shortcut + words[words.index(" (") :])
            button.setAccessibleName(words)
            self.class_group.addButton(button)
            self.class_buttons[document_class] = button
            class_layout.addWidget(button)
        heading = QLabel("Whose information it is (you decide; neither ever leaves the service)")
        heading.setWordWrap(True)
        self.layout_.addWidget(heading)
        self.layout_.addWidget(classes)
        self.layout_.addWidget(self.errors.label_for("document_class", classes))
        self._finish()
        self.path.setFocus()

    def chosen_class(self) -> DocumentClass | None:
        for document_class, button in self.class_buttons.items():
            if button.isChecked():
                return document_class
        return None

    def details(self) -> DocumentDetails:
        return DocumentDetails(
            title=self.title.text(),
            received_from=self.received_from.text(),
            received_on=to_date(self.received_on.date()),
            document_class=self.chosen_class(),
        )

    def _on_browse(self) -> None:
        chosen = choose_file(self, self.path.text())
        if not chosen:
            return
        self.path.setText(chosen)
        if not self.title.text().strip():
            self.title.setText(Path(chosen).stem)

    def _on_save(self) -> None:
        path = Path(self.path.text().strip().strip('"'))
        if not self.path.text().strip():
            path = Path()
        work = partial(self._attach, self.details(), path)
        save_through_runner(
            self,
            work,
            self._saved,
            busy=[self.buttons, self.browse_button],
            title="The document was not attached",
            problems=self.show_problems,
        )


class MarkInErrorDialog(_Form):
    """Mark a document entered in error, with the reason; the mark is final."""

    def __init__(
        self,
        document: DocumentRow,
        mark: Callable[[str], DocumentRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Mark entered in error",
            "&Mark entered in error",
            "Mark the document entered in error",
            parent,
        )
        self._mark = mark
        self.saved_document = None
        intro = QLabel(
            f"“{document.title}” stays in the record, marked entered in error with your "
            "reason (for example, attached to the wrong client's record). This cannot be undone."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About this form")
        self.layout_.addWidget(intro)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setMinimumHeight(80)
        self._field("&Reason", self.reason, "reason")
        self._finish()
        self.reason.setFocus()

    def _on_save(self) -> None:
        work = partial(self._mark, self.reason.toPlainText())
        save_through_runner(
            self,
            work,
            self._saved,
            busy=[self.buttons],
            title="The document was not marked",
            problems=self.show_problems,
        )
