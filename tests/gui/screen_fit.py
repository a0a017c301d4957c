"""Measure how the application fits the screen it is started on; print the findings as JSON.

Run in a process of its own (the screen is chosen when Qt starts), for example with
``QT_QPA_PLATFORM=offscreen:configfile=screen.json`` (a screen of a given size and
device pixel ratio) and ``QT_SCALE_FACTOR=2`` (200% scaling). It signs in as a
psychologist, shows every main screen and every part of a client record, and reports:
the screen, the window's frame and minimum size, each screen's minimum size, and the
labels and tab titles whose text does not fit (clipped or elided).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QTabBar, QWidget

from clinic_app.services import clients
from tests.gui.conftest import ScriptedApp, outside
from tests.gui.whole_app import (
    PSYCHOLOGIST,
    build_database,
    record_parts,
    start_app,
    stop_app,
    wait_for,
)


def _size(size) -> list[int]:
    return [size.width(), size.height()]


def shown_text(text: str) -> str:
    """Text as drawn: "&" marks the Alt+letter (underlined), "&&" is an ampersand."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def clipped_text(window: QWidget) -> list[str]:
    """Shown labels and tab titles whose text is cut off or elided."""
    found = []
    for label in window.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        inside = label.contentsRect()
        if label.wordWrap():
            needed = label.heightForWidth(label.width())
            if needed > label.height() + 1:
                found.append(f"label {label.text()[:60]!r}: {needed} high in {label.height()}")
        elif label.textFormat() != Qt.TextFormat.RichText and "<" not in label.text():
            text = label.text().split("\n")[0]
            if label.buddy() is not None:
                text = shown_text(text)
            needed = label.fontMetrics().horizontalAdvance(text)
            if needed > inside.width() + 1:
                found.append(f"label {label.text()[:60]!r}: {needed} wide in {inside.width()}")
    for bar in window.findChildren(QTabBar):
        if not bar.isVisible():
            continue
        for index in range(bar.count()):
            text = shown_text(bar.tabText(index))
            needed = bar.fontMetrics().horizontalAdvance(text)
            if needed > bar.tabRect(index).width():
                found.append(f"tab {text!r}: {needed} wide in {bar.tabRect(index).width()}")
    return found


def settle(clinic: ScriptedApp) -> None:
    """The application's work done and the layouts it changed laid out again."""
    wait_for(lambda: clinic.runner.idle)
    for _ in range(3):
        QApplication.processEvents()


def measure() -> dict[str, object]:
    if QApplication.instance() is None:
        QApplication(sys.argv)
    screen = QApplication.primaryScreen()
    with tempfile.TemporaryDirectory() as folder:
        path, key = build_database(Path(folder))
        clinic = start_app(path, key, PSYCHOLOGIST)
        window = clinic.window
        assert window is not None
        findings: dict[str, object] = {
            "screen": _size(screen.geometry().size()),
            "available": _size(screen.availableGeometry().size()),
            "device_pixel_ratio": window.devicePixelRatio(),
        }
        screens: dict[str, list[int]] = {}
        clipped: dict[str, list[str]] = {}
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            settle(clinic)
            name = window.tabs.tabText(index)
            screens[name] = _size(window.tabs.currentWidget().minimumSizeHint())
            clipped[name] = clipped_text(window)
        client_id = outside(clinic).call(clients.caseload)[0].client.id
        view = window.open_client(client_id)
        assert view is not None
        wait_for(lambda: clinic.runner.idle and view.is_open)
        for title in record_parts(view):
            view.show_tab(title)
            settle(clinic)
            screens[f"record, {title}"] = _size(view.minimumSizeHint())
            clipped[f"record, {title}"] = clipped_text(window)
        QApplication.processEvents()
        findings |= {
            "frame": [
                window.frameGeometry().x(),
                window.frameGeometry().y(),
                window.frameGeometry().width(),
                window.frameGeometry().height(),
            ],
            "window": _size(window.size()),
            "minimum": _size(window.minimumSizeHint().expandedTo(window.minimumSize())),
            "screens": screens,
            "clipped": {where: lines for where, lines in clipped.items() if lines},
        }
        stop_app(clinic)
    findings["lock"] = lock_screen()
    return findings


def lock_screen() -> dict[str, object]:
    """The lock window's size and any text of it that does not fit."""
    from clinic_app.models.enums import Role
    from clinic_app.services.common import StaffRef
    from clinic_app.views.shell.signin import SignInDialog

    me = StaffRef(2, "dr.jones", "Dr Jones", Role.PSYCHOLOGIST)
    dialog = SignInDialog(lambda _u, _p: me, database="/home/clinician/clinic.db", locked_user=me)
    dialog.show()
    wait_for(dialog.isVisible)
    QApplication.processEvents()
    found = {"window": _size(dialog.size()), "clipped": clipped_text(dialog)}
    dialog.close()
    return found


if __name__ == "__main__":
    print(json.dumps(measure()))
