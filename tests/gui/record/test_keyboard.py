"""Keyboard paths in the main window: every Alt+letter reaches exactly one control."""

from __future__ import annotations

import re
from collections import defaultdict

from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QTabBar

from clinic_app.services import clients
from clinic_app.views.record.window import TAB_TITLES
from tests.conftest import STAFF_PASSWORD
from tests.gui.conftest import outside
from tests.gui.record.opening import open_record, settle


def _mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&\s])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def _visible_mnemonics(window) -> dict[str, list[str]]:
    """Alt+letter keys that act in the window as it is shown now, with what they reach."""
    keys: dict[str, list[str]] = defaultdict(list)
    for widget in [
        *window.findChildren(QAbstractButton),
        *window.findChildren(QLabel),
        *window.findChildren(QGroupBox),
    ]:
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel) and (widget.buddy() is None or "<" in widget.text()):
            continue  # only a label with a buddy takes Alt+letter
        text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
        if (key := _mnemonic(text)) is not None:
            keys[key].append(text)
    for bar in window.findChildren(QTabBar):
        if bar.isVisible():
            for i in range(bar.count()):
                if (key := _mnemonic(bar.tabText(i))) is not None:
                    keys[key].append(f"tab {bar.tabText(i)}")
    for action in window.menuBar().actions():
        if (key := _mnemonic(action.text())) is not None:
            keys[key].append(f"menu {action.text()}")
    return keys


def test_no_alt_letter_reaches_two_controls_on_any_part_of_the_record(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    client_id = outside(app).call(clients.caseload)[0].client.id
    view = open_record(qtbot, app, client_id)
    clashes = {}
    for title in TAB_TITLES:
        view.show_tab(title)
        settle(qtbot, app)
        qtbot.waitExposed(view)
        for key, texts in _visible_mnemonics(app.window).items():
            if len(texts) > 1:
                clashes[(title, key)] = texts
    assert clashes == {}


def test_alt_and_a_number_goes_to_that_part_of_the_record(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    client_id = outside(app).call(clients.caseload)[0].client.id
    view = open_record(qtbot, app, client_id)
    shortcuts = {s.key().toString(): s for s in view.findChildren(QShortcut)}
    assert [f"Alt+{n}" in shortcuts for n in range(1, 10)] == [True] * 9
    # The offscreen platform has no active window to route key presses to a shortcut, so
    # the shortcut is triggered as Qt would trigger it.
    shortcuts["Alt+4"].activated.emit()
    assert view.tabs.tabText(view.tabs.currentIndex()) == "Risk"
    assert "Alt+4" in view.tabs.tabToolTip(view.tabs.currentIndex())
    assert shortcuts["Alt+4"].context() is Qt.ShortcutContext.WidgetWithChildrenShortcut
    # A part added later goes at the end, so the numbers people know stay where they were.
    shortcuts["Alt+8"].activated.emit()
    assert view.tabs.tabText(view.tabs.currentIndex()) == "Victims and others"
    shortcuts["Alt+9"].activated.emit()
    assert view.tabs.tabText(view.tabs.currentIndex()) == "Search notes"
