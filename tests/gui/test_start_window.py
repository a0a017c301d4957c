"""The start window tells the user where the database is, or how to create one."""

from __future__ import annotations

from pathlib import Path

from clinic_app.views.start_window import StartWindow


def test_without_a_database_it_explains_how_to_create_one(qtbot, tmp_path: Path):
    window = StartWindow(tmp_path / "clinic.db")
    qtbot.addWidget(window)
    window.show()
    text = window.status.text()
    assert "No database has been set up" in text
    assert "clinic-app init --admin" in text
    assert str(tmp_path / "clinic.db") in text


def test_with_a_database_it_names_it(qtbot, tmp_path: Path):
    database = tmp_path / "clinic.db"
    database.write_bytes(b"")
    window = StartWindow(database)
    qtbot.addWidget(window)
    assert str(database) in window.status.text()
    assert "No database" not in window.status.text()


def test_every_control_has_an_accessible_name(qtbot, tmp_path: Path):
    from PySide6.QtWidgets import QLabel, QPushButton

    window = StartWindow(tmp_path / "clinic.db")
    qtbot.addWidget(window)
    controls = window.findChildren(QPushButton) + window.findChildren(QLabel)
    assert controls
    assert all(c.accessibleName() for c in controls)
