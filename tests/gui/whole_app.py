"""One seeded database and a running application, for tests that walk many screens.

Starting the application for each screen would take minutes; these helpers build the
database once and start the application once per signed-in user.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from datetime import time as clock
from pathlib import Path

import keyring
from PySide6.QtWidgets import QApplication

from clinic_app.models.enums import Modality, Role
from clinic_app.services import appointments, clients, demo, staff
from clinic_app.services.common import StaffRef
from clinic_app.storage.engine import create_database
from clinic_app.storage.keys import CredentialStore, generate_key
from clinic_app.views.record.window import ClientRecordView
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, MemoryKeyring
from tests.gui.conftest import ScriptedApp

PSYCHOLOGIST = ("dr.jones", STAFF_PASSWORD)
ADMINISTRATOR = ("admin", ADMIN_PASSWORD)


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Process events until ``condition`` holds (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the application did not finish its work in time"
        QApplication.processEvents()
        time.sleep(0.005)


def build_database(folder: Path) -> tuple[Path, bytes]:
    """An administrator, a psychologist, a small demo caseload and an appointment today;
    the path and its key."""
    key = generate_key()
    db = create_database(folder / "clinic.db", key)
    with db.transaction() as session:
        admin = staff.create_first_admin(session, "admin", ADMIN_PASSWORD, display_name="Admin")
    with db.transaction() as session:
        row = staff.add_user(
            session,
            admin,
            PSYCHOLOGIST[0],
            role=Role.PSYCHOLOGIST,
            password=PSYCHOLOGIST[1],
            display_name="Dr Jones",
        )
        me = StaffRef(row.id, row.username, row.display_name, row.role)
    with db.transaction() as session:
        demo.load_demo_caseload(session, me, 3)
    with db.transaction() as session:  # today's diary has an appointment to act on
        client_id = clients.caseload(session, me)[0].client.id
        appointments.book(
            session,
            me,
            client_id,
            day=date.today(),
            start_time=clock(23, 0),
            duration_minutes=30,
            modality=Modality.PHONE,
        )
    path = db.path
    db.close()
    return path, key


def start_app(path: Path, key: bytes, user: tuple[str, str]) -> ScriptedApp:
    """The real application, signed in as ``user``, with its first loads done."""
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        CredentialStore().put(path, key)
        app = ScriptedApp(path, [user])
        assert app.start()
        wait_for(lambda: app.runner.idle)
    finally:
        keyring.set_keyring(previous)
    return app


def stop_app(app: ScriptedApp) -> None:
    app.idle.pause()
    app.runner.stop()
    if app.window is not None:
        app.window.closed_by_user.disconnect()
        app.window.close()
        app.window.deleteLater()
    if app.database is not None:
        app.database.close()
    QApplication.processEvents()


def record_parts(view: ClientRecordView) -> list[str]:
    """The titles of every part of an open record (Overview, Plan, ... Subject access)."""
    return [view.tabs.tabText(index) for index in range(view.tabs.count())]
