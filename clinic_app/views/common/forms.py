"""Inline validation for forms: each problem shown beside the field it is about."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from clinic_app.errors import Problem

ERROR_STYLE = "color: #a4000f;"  # dark red, 7:1 on white; the text says it too


class FieldErrors:
    """Maps problem locations (``where``) to a field and the label under it.

    ``show`` puts each message under its field, marks the field's accessible description
    so a screen reader announces it, and focuses the first field with a problem. Problems
    for fields the form does not know are returned so the caller can show them together.
    """

    def __init__(self) -> None:
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}

    def label_for(self, where: str, field: QWidget) -> QLabel:
        """The (hidden until needed) error label to put under ``field``."""
        label = QLabel()
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.setAccessibleName(f"Problem with {field.accessibleName() or where}")
        label.hide()
        self._fields[where] = (field, label)
        return label

    def with_field(self, where: str, field: QWidget) -> QWidget:
        """``field`` with its error label under it, as one widget for a form row."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(field)
        column.addWidget(self.label_for(where, field))
        return box

    def clear_field(self, where: str) -> None:
        """Take away the message under one field (it was just filled in or changed)."""
        known = self._fields.get(where)
        if known is None:
            return
        field, label = known
        label.clear()
        label.hide()
        field.setAccessibleDescription("")

    def clear(self) -> None:
        for field, label in self._fields.values():
            label.clear()
            label.hide()
            field.setAccessibleDescription("")

    def show(self, problems: Iterable[Problem]) -> list[Problem]:
        self.clear()
        unplaced: list[Problem] = []
        first: QWidget | None = None
        for problem in problems:
            known = self._fields.get(problem.where)
            if known is None:
                unplaced.append(problem)
                continue
            field, label = known
            text = f"{label.text()}\n{problem.message}" if label.text() else problem.message
            label.setText(text)
            label.show()
            field.setAccessibleDescription(text)
            if first is None:
                first = field
        if first is not None:
            first.setFocus()
        return unplaced
