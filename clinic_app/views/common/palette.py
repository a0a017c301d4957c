"""The application's colours, with text readable against its background everywhere.

Starts from the style's own palette (light or dark, as the desktop has it) and changes only
the colours whose text falls below 4.5:1 against its background (WCAG 2.1 AA, level
"AA" for normal text): text on inputs, windows, buttons, alternate rows and tooltips, the
placeholder of an empty field, and selected text on its highlight, in active and inactive
windows. A foreground is moved towards black (on a light background) or white (on a dark
one); a highlight is darkened (or lightened) under its text instead, so a selection keeps
its colour.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

MINIMUM_CONTRAST = 4.5
# A little above the minimum, so rounding to 8-bit channels never lands just below it.
_TARGET = 4.6

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

# (foreground, background, which of them to change)
TEXT_PAIRS: tuple[tuple[QPalette.ColorRole, QPalette.ColorRole, str], ...] = (
    (Role.Text, Role.Base, "foreground"),
    (Role.WindowText, Role.Window, "foreground"),
    (Role.ButtonText, Role.Button, "foreground"),
    (Role.Text, Role.AlternateBase, "foreground"),
    (Role.PlaceholderText, Role.Base, "foreground"),
    (Role.ToolTipText, Role.ToolTipBase, "foreground"),
    (Role.HighlightedText, Role.Highlight, "background"),
)


def blend(colour: QColor, background: QColor) -> QColor:
    """A colour with transparency as it shows on its background (opaque)."""
    alpha = colour.alphaF()
    return QColor.fromRgbF(
        colour.redF() * alpha + background.redF() * (1 - alpha),
        colour.greenF() * alpha + background.greenF() * (1 - alpha),
        colour.blueF() * alpha + background.blueF() * (1 - alpha),
    )


def luminance(colour: QColor) -> float:
    """WCAG 2.1 relative luminance of an opaque colour."""
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (colour.redF(), colour.greenF(), colour.blueF())
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: QColor, background: QColor) -> float:
    """WCAG 2.1 contrast ratio (1 to 21) of a foreground, blended, on its background."""
    high, low = sorted((luminance(blend(foreground, background)), luminance(background)))[::-1]
    return (high + 0.05) / (low + 0.05)


def _towards(colour: QColor, end: QColor, share: float) -> QColor:
    return QColor.fromRgbF(
        colour.redF() + (end.redF() - colour.redF()) * share,
        colour.greenF() + (end.greenF() - colour.greenF()) * share,
        colour.blueF() + (end.blueF() - colour.blueF()) * share,
    )


def readable(moving: QColor, fixed: QColor, *, moving_is_foreground: bool) -> QColor:
    """``moving`` changed as little as needed to be readable against ``fixed``.

    It is made opaque and moved towards black or white, whichever lies away from
    ``fixed``; if even the far end is not enough the far end is returned.
    """

    def ratio(candidate: QColor) -> float:
        if moving_is_foreground:
            return contrast(candidate, fixed)
        return contrast(fixed, candidate)

    if ratio(moving) >= MINIMUM_CONTRAST:
        return moving
    start = blend(moving, fixed) if moving_is_foreground else QColor(moving)
    start.setAlpha(255)
    # away from the colour that stays: darker beside a light one, lighter beside a dark one
    end = QColor("black") if luminance(fixed) > 0.18 else QColor("white")
    low, high = 0.0, 1.0
    for _ in range(20):
        middle = (low + high) / 2
        if ratio(_towards(start, end, middle)) >= _TARGET:
            high = middle
        else:
            low = middle
    return _towards(start, end, high)


def accessible_palette(base: QPalette) -> QPalette:
    """``base`` with every text colour readable on its background (see the module)."""
    palette = QPalette(base)
    for group in (Group.Active, Group.Inactive):
        for fore, back, change in TEXT_PAIRS:
            foreground = palette.color(group, fore)
            background = palette.color(group, back)
            if change == "foreground":
                palette.setColor(
                    group, fore, readable(foreground, background, moving_is_foreground=True)
                )
            else:
                palette.setColor(
                    group, back, readable(background, foreground, moving_is_foreground=False)
                )
    return palette


def apply_accessible_palette(app: QApplication) -> None:
    """Give the application the readable palette (called once, at start)."""
    app.setPalette(accessible_palette(app.palette()))
