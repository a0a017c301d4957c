"""Keeping open forms across a screen lock: what a form holds, and opening it again.

A tab that opens a form (a dialog) marks it with :func:`remember_form`: which record tab
it belongs to, which form it is and what it is about. When the screen locks, the
application asks :func:`open_forms` for every marked form still open, keeps them in the
encrypted database and closes them; when the same user unlocks, it asks the tab to open
the same form again (its ``reopen_form``) and the form's text is put back.

What a form holds is read generically by :func:`input_state` (every editable control,
found by its accessible name, which every control has) unless the form gives its own
``state`` function, as the plan editor does for its variable list of goals. Password
fields are never read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDate, QDateTime
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTextEdit,
    QWidget,
)

from clinic_app.services.form_drafts import OpenForm

_MARK = "_clinic_open_form"


@dataclass(frozen=True)
class _Mark:
    client_id: int | None
    tab: str
    form: str
    params: dict[str, Any]
    state: Callable[[], dict[str, Any]] | None


def remember_form(
    dialog: QDialog,
    *,
    client_id: int | None,
    tab: str,
    form: str,
    params: dict[str, Any] | None = None,
    state: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Mark ``dialog`` as a form to keep if the screen locks while it is open."""
    setattr(dialog, _MARK, _Mark(client_id, tab, form, dict(params or {}), state))


def open_forms(roots: Iterable[QWidget]) -> list[tuple[QWidget, OpenForm]]:
    """Every marked form shown under ``roots`` (or as a top-level window), with its text."""
    found: list[tuple[QWidget, OpenForm]] = []
    seen: set[int] = set()
    for root in roots:
        candidates = [root, *root.findChildren(QDialog)]
        for widget in candidates:
            mark = getattr(widget, _MARK, None)
            if not isinstance(mark, _Mark) or id(widget) in seen or not widget.isVisible():
                continue
            seen.add(id(widget))
            state = mark.state() if mark.state is not None else input_state(widget)
            found.append(
                (widget, OpenForm(mark.client_id, mark.tab, mark.form, mark.params, state))
            )
    return found


# -- reading and restoring controls ----------------------------------------------------------


def _controls(root: QWidget) -> list[tuple[str, QWidget]]:
    """Editable controls under ``root`` keyed by accessible name (numbered when repeated)."""
    counts: dict[str, int] = {}
    keyed: list[tuple[str, QWidget]] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(
            widget, QLineEdit | QPlainTextEdit | QTextEdit | QComboBox | QAbstractButton
        ) and not isinstance(widget, QAbstractSpinBox):
            continue
        if isinstance(widget, QAbstractButton) and not widget.isCheckable():
            continue
        if isinstance(widget, QLineEdit) and isinstance(
            widget.parentWidget(), QAbstractSpinBox | QComboBox
        ):
            continue  # the editor inside a spin box or combo box, read through its owner
        name = widget.accessibleName() or widget.objectName()
        if not name:
            continue
        counts[name] = counts.get(name, 0) + 1
        keyed.append((name if counts[name] == 1 else f"{name} #{counts[name]}", widget))
    return keyed


def _value(widget: QWidget) -> Any:
    if isinstance(widget, QLineEdit):
        if widget.echoMode() is not QLineEdit.EchoMode.Normal:
            return None  # never a password
        return widget.text()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return None if widget.isReadOnly() else widget.toPlainText()
    if isinstance(widget, QComboBox):
        return {"index": widget.currentIndex(), "text": widget.currentText()}
    if isinstance(widget, QAbstractButton):
        return widget.isChecked()
    if isinstance(widget, QDateEdit | QDateTimeEdit):
        return widget.dateTime().toString("yyyy-MM-ddTHH:mm:ss")
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    return None


def input_state(root: QWidget) -> dict[str, Any]:
    """What every editable control under ``root`` holds, by accessible name."""
    state: dict[str, Any] = {}
    for key, widget in _controls(root):
        value = _value(widget)
        if value is not None:
            state[key] = value
    return state


def _restore(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QComboBox) and isinstance(value, dict):
        index = widget.findText(str(value.get("text", "")))
        if index < 0 and isinstance(value.get("index"), int):
            index = value["index"] if value["index"] < widget.count() else -1
        if index >= 0:
            widget.setCurrentIndex(index)
        elif widget.isEditable():
            widget.setEditText(str(value.get("text", "")))
    elif isinstance(widget, QAbstractButton) and isinstance(value, bool):
        widget.setChecked(value)
    elif isinstance(widget, QDateEdit | QDateTimeEdit) and isinstance(value, str):
        moment = QDateTime.fromString(value, "yyyy-MM-ddTHH:mm:ss")
        if moment.isValid():
            if isinstance(widget, QDateEdit):
                widget.setDate(QDate(moment.date()))
            else:
                widget.setDateTime(moment)
    elif isinstance(widget, QSpinBox) and isinstance(value, int):
        widget.setValue(value)
    elif isinstance(widget, QDoubleSpinBox) and isinstance(value, int | float):
        widget.setValue(float(value))
    elif isinstance(widget, QLineEdit) and isinstance(value, str):
        if widget.echoMode() is QLineEdit.EchoMode.Normal:
            widget.setText(value)
    elif (
        isinstance(widget, QPlainTextEdit | QTextEdit)
        and isinstance(value, str)
        and not widget.isReadOnly()
    ):
        widget.setPlainText(value)


def restore_input_state(root: QWidget, state: dict[str, Any]) -> None:
    """Put back what :func:`input_state` read, choices first, then dates, numbers and text.

    Choices go first because they can show or enable the fields that follow them. Keys
    that no longer match a control (the form changed between versions) are left out.
    """
    controls = _controls(root)
    for wanted in (
        (QComboBox, QAbstractButton),
        (QAbstractSpinBox,),
        (QLineEdit, QPlainTextEdit, QTextEdit),
    ):
        for key, widget in controls:
            if isinstance(widget, wanted) and key in state:
                _restore(widget, state[key])
