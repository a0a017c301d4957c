"""Composition root of the desktop application.

This version opens a start window that reports the state of the per-user database and
how to set it up; the clinical screens are composed here as they are added.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from clinic_app import config
from clinic_app.views.start_window import StartWindow


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName(config.APP_NAME)
    window = StartWindow(config.default_database_path())
    window.show()
    return int(app.exec())
