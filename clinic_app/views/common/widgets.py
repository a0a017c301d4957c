"""Small pieces every screen builds with: running a dialog, dates, a form's problems.

Each was once written again in each screen; they live here so a dialog runs, a date
crosses between Qt and Python, and a form shows its problems the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from clinic_app.errors import Problem
from clinic_app.views.common.forms import ERROR_STYLE

FORM_PROBLEMS = "Problems with this form"


# What a window manager adds around a window (title bar, borders), kept free on screen.
FRAME_ALLOWANCE = QSize(16, 40)


def fit_to_screen(window: QWidget, preferred: QSize | None = None) -> None:
    """Size a window to ``preferred`` (else the size it was given, or would take), made
    smaller where that would not fit the screen's free area with the window's frame (a
    1366x768 laptop with a taskbar). A window that fits is left as it is."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if preferred is not None:
        wanted = preferred
    elif window.testAttribute(Qt.WidgetAttribute.WA_Resized):
        wanted = window.size()
    else:
        wanted = window.sizeHint()
    room = (
        screen.availableGeometry().size() - FRAME_ALLOWANCE if screen is not None else QSize(wanted)
    )
    if preferred is None and wanted.width() <= room.width() and wanted.height() <= room.height():
        return
    least = window.minimumSizeHint().expandedTo(window.minimumSize())
    window.resize(
        max(min(wanted.width(), room.width()), least.width()),
        max(min(wanted.height(), room.height()), least.height()),
    )


def exec_dialog(dialog: QDialog) -> int:
    """Run a dialog modally, sized to fit the screen. Each screen imports this by name,
    so tests replace it there."""
    fit_to_screen(dialog)
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
