"""Small pieces every screen builds with: running a dialog, dates, a form's problems.

Each was once written again in each screen; they live here so a dialog runs, a date
crosses between Qt and Python, and a form shows its problems the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog, QLabel

from clinic_app.errors import Problem
from clinic_app.views.common.forms import ERROR_STYLE

FORM_PROBLEMS = "Problems with this form"


def exec_dialog(dialog: QDialog) -> int:
    """Run a dialog modally. Each screen imports this by name, so tests replace it there."""
    return dialog.exec()


def to_qdate(day: date) -> QDate:
    """A Python date as Qt's date, for a date field."""
    return QDate(day.year, day.month, day.day)


def to_date(value: QDate) -> date:
    """A date field's Qt date as a Python date."""
    return date(value.year(), value.month(), value.day())


def problems_label(name: str = FORM_PROBLEMS, *, plain_text: bool = False) -> QLabel:
    """The (hidden until needed) line at the foot of a form for problems of no one field."""
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    if plain_text:
        label.setTextFormat(Qt.TextFormat.PlainText)
    label.hide()
    return label


def show_messages(label: QLabel, messages: Sequence[str]) -> None:
    """Show ``messages`` in a problems label, one a line; none hides it."""
    label.setText("\n".join(messages))
    label.setAccessibleDescription(label.text())
    label.setVisible(bool(messages))


def show_problems(label: QLabel, problems: Sequence[Problem]) -> None:
    """Show the problems a service found that belong to no one field of the form."""
    show_messages(label, [p.message for p in problems])
