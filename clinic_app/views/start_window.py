"""The first window: where the database is, and whether it has been set up."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from clinic_app import __version__


class StartWindow(QWidget):
    """Shows the database in use and, when there is none yet, how an administrator creates it."""

    def __init__(self, database: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"clinic-app {__version__}")
        self.setAccessibleName("clinic-app start window")
        layout = QVBoxLayout(self)
        heading = QLabel("<h2>clinic-app</h2>")
        heading.setAccessibleName("clinic-app")
        layout.addWidget(heading)
        if database.exists():
            status = (
                f"The encrypted database is at:<br><b>{database}</b><br><br>"
                "Administrators manage it from the command line: "
                "<code>clinic-app --help</code> lists the commands."
            )
        else:
            status = (
                "No database has been set up for this account yet.<br><br>"
                "An administrator creates it with:<br>"
                "<code>clinic-app init --admin NAME</code><br><br>"
                f"It will be kept at:<br><b>{database}</b>"
            )
        self.status = QLabel(status)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAccessibleName("Database status")
        layout.addWidget(self.status)
        close = QPushButton("&Close")
        close.setAccessibleName("Close")
        close.clicked.connect(self.close)
        layout.addWidget(close, alignment=Qt.AlignmentFlag.AlignRight)
        self.resize(560, 260)
