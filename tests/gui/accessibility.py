"""Checks a screen for what a keyboard or screen-reader user needs.

- every control that takes the keyboard focus has an accessible name (its own, or the
  text of the label that is its buddy, as Qt hands it to assistive technology);
- pressing Tab, from the first control, reaches every enabled input on the screen (a real
  key press, so a text box that takes Tab as a character, or a table that moves from cell
  to cell, is found);
- the palette's text is at least 4.5:1 against its background (WCAG 2.1 AA), colours with
  transparency (the placeholder's) blended on their background first.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

INPUTS = (
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractButton,
    QAbstractItemView,
)
MINIMUM_CONTRAST = 4.5


def alive(widget: QWidget | None) -> bool:
    return widget is not None and shiboken6.isValid(widget)


def describe(widget: QWidget) -> str:
    """A widget as a developer finds it: its class, name and the chain of its parents."""
    chain: list[str] = []
    current: QWidget | None = widget
    while alive(current) and len(chain) < 4:
        assert current is not None
        label = type(current).__name__
        if current.accessibleName():
            label += f"[{current.accessibleName()}]"
        elif isinstance(current, QAbstractButton) and current.text():
            label += f"[{current.text()}]"
        elif current.objectName():
            label += f"#{current.objectName()}"
        chain.append(label)
        current = current.parentWidget()
    return " < ".join(chain)


def control(widget: QWidget) -> QWidget:
    """The control a user meets: a date field, not the line edit inside it."""
    parent = widget.parentWidget()
    if isinstance(parent, QAbstractSpinBox | QComboBox):
        return parent
    return widget


def focusable(root: QWidget) -> list[QWidget]:
    """Controls on the screen that Tab can reach (shown, enabled, taking Tab focus).

    Only the controls of ``root``'s own window: a dialog is a screen of its own.
    """
    found: list[QWidget] = []
    for widget in root.findChildren(QWidget):
        if not alive(widget) or widget.window() is not root.window():
            continue
        if not widget.isVisibleTo(root) or not widget.isEnabled():
            continue
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            continue
        if isinstance(widget, QTabBar | QScrollBar) or widget.focusProxy() is not None:
            continue  # a tab bar is named by its tabs; a proxy passes focus on
        if isinstance(widget.parentWidget(), QTabBar):
            continue  # a tab bar's scroll arrows: its arrow keys do the same
        if type(widget).__name__ == "QScrollArea":
            continue  # a scroll area is a frame around controls, not one itself
        owner = control(widget)
        if owner not in found:
            found.append(owner)
    return found


def _strip_marks(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _buddy_text(widget: QWidget) -> str:
    """What Qt names a control by when it has no name of its own: a label beside it (same
    parent) whose buddy it is, or the title of the group box it sits in."""
    parent = widget.parentWidget()
    if parent is None:
        return ""
    for child in parent.children():
        if isinstance(child, QLabel) and child.buddy() is widget and child.text().strip():
            return _strip_marks(child.text())
    if isinstance(parent, QGroupBox):
        return _strip_marks(parent.title())
    return ""


def accessible_name(widget: QWidget) -> str:
    """The name a screen reader announces (Qt's accessibility interface for the widget).

    A list to choose from or a number field is named by its own name or its label: on
    Linux Qt would hand over the value shown instead (on Windows, nothing), which names
    nothing.
    """
    if isinstance(widget, QComboBox | QAbstractSpinBox):
        return widget.accessibleName() or _buddy_text(widget)
    interface = QAccessible.queryAccessibleInterface(widget)
    if interface is None or not interface.isValid():
        return ""
    return interface.text(QAccessible.Text.Name) or ""


def unnamed(root: QWidget) -> list[str]:
    """Controls a screen reader would announce with no name."""
    return [describe(w) for w in focusable(root) if not accessible_name(w).strip()]


def _radio_group(button: QRadioButton) -> list[QWidget]:
    group = button.group()
    if group is not None:
        return list(group.buttons())
    if button.autoExclusive() and button.parentWidget() is not None:
        return [
            w
            for w in button.parentWidget().findChildren(QRadioButton)
            if w.parentWidget() is button.parentWidget() and w.autoExclusive()
        ]
    return [button]


def unreached_by_tab(root: QWidget) -> list[str]:
    """Enabled inputs that pressing Tab, from the first control, never reaches.

    Tab moves to one button of a set of radio buttons (the arrows choose among them), so
    a set counts as reached when one of its buttons is.
    """
    controls = focusable(root)
    inputs = [w for w in controls if isinstance(w, INPUTS)]
    if not inputs:
        return []
    # The window must be the active one for the focus to land in it (a dialog opened by
    # another one is activated a moment later on some platforms): ask again until it is.
    for _ in range(20):
        root.activateWindow()
        controls[0].setFocus(Qt.FocusReason.TabFocusReason)
        QApplication.processEvents()
        landed = QApplication.focusWidget()
        if landed is not None and (landed is root or root.isAncestorOf(landed)):
            break
        QTest.qWait(10)
    visited: list[QWidget] = []
    for _ in range(len(controls) * 2 + 5):
        if not alive(root):
            return []  # the screen closed itself meanwhile
        current = QApplication.focusWidget()
        if not alive(current):
            break
        assert current is not None
        if current is not root and not root.isAncestorOf(current) and visited:
            # The window lost its activation (a platform without a window manager moves
            # it about under load): give it back, at the control the focus was on.
            root.activateWindow()
            last = visited[-1]
            if alive(last):
                last.setFocus(Qt.FocusReason.OtherFocusReason)
            QApplication.processEvents()
            current = QApplication.focusWidget()
            if current is None or (current is not root and not root.isAncestorOf(current)):
                break
        owner = control(current)
        if owner not in visited:
            visited.append(owner)
        QTest.keyClick(current, Qt.Key.Key_Tab)
        QApplication.processEvents()
    missing = []
    for widget in inputs:
        if widget in visited:
            continue
        if isinstance(widget, QRadioButton) and any(w in visited for w in _radio_group(widget)):
            continue
        missing.append(describe(widget))
    return missing


def _blend(foreground: QColor, background: QColor) -> QColor:
    """A colour with transparency as it shows on its background."""
    alpha = foreground.alphaF()
    return QColor.fromRgbF(
        foreground.redF() * alpha + background.redF() * (1 - alpha),
        foreground.greenF() * alpha + background.greenF() * (1 - alpha),
        foreground.blueF() * alpha + background.blueF() * (1 - alpha),
    )


def luminance(colour: QColor) -> float:
    """WCAG 2.1 relative luminance."""
    channels = [colour.redF(), colour.greenF(), colour.blueF()]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: QColor, background: QColor) -> float:
    """WCAG 2.1 contrast ratio, 1 to 21."""
    high, low = sorted(
        (luminance(_blend(foreground, background)), luminance(background)), reverse=True
    )
    return (high + 0.05) / (low + 0.05)


Role = QPalette.ColorRole
PAIRS = (
    ("text on an input", Role.Text, Role.Base),
    ("text on a window", Role.WindowText, Role.Window),
    ("text on a button", Role.ButtonText, Role.Button),
    ("selected text", Role.HighlightedText, Role.Highlight),
    ("text on alternate rows", Role.Text, Role.AlternateBase),
    ("placeholder text", Role.PlaceholderText, Role.Base),
    ("tooltip text", Role.ToolTipText, Role.ToolTipBase),
)
GROUPS = (
    ("", QPalette.ColorGroup.Active),
    (" (window not active)", QPalette.ColorGroup.Inactive),
)


def low_contrast(palette: QPalette) -> list[str]:
    """Palette pairs under 4.5:1, for enabled widgets in active and inactive windows."""
    found = []
    for in_group, group in GROUPS:
        for what, fore, back in PAIRS:
            ratio = contrast(palette.color(group, fore), palette.color(group, back))
            if ratio < MINIMUM_CONTRAST:
                found.append(f"{what}{in_group}: {ratio:.2f}:1")
    return found


def problems(root: QWidget) -> list[str]:
    """Everything wrong with a screen, one line each (empty when all is well)."""
    return (
        [f"no accessible name: {line}" for line in unnamed(root)]
        + [f"Tab never reaches: {line}" for line in unreached_by_tab(root)]
        + [f"low contrast, {line}" for line in low_contrast(root.palette())]
    )
