"""A process killed in the middle of an import leaves the database exactly as it was."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from clinic_app.models import Client, SessionNote
from clinic_app.models.enums import Role
from clinic_app.services import demo, interchange, staff
from clinic_app.services.common import StaffRef
from clinic_app.storage import engine
from clinic_app.storage.keys import KeyFile, generate_key
from tests.conftest import own_password

PASSWORD = "psych password 1"
SESSIONS = 15_000


def _team(database: engine.Database) -> StaffRef:
    with database.transaction() as session:
        admin = staff.create_first_admin(session, "admin", "admin password 1")
        row = staff.add_user(session, admin, "dr.jones", role=Role.PSYCHOLOGIST, password=PASSWORD)
        demo._ensure_services(session)  # the same directory of services as the source
    return StaffRef(row.id, row.username, row.display_name, row.role)


def _big_record(tmp_path: Path) -> dict:
    """A real export, padded with many unsigned sessions so the import takes a while."""
    source = engine.create_database(tmp_path / "source.db", generate_key())
    try:
        me = _team(source)
        with source.transaction() as session:
            demo.load_demo_caseload(session, me, 1, seed=7)
        with source.transaction() as session:
            client_id = session.scalar(select(Client.id))
            assert client_id is not None
            document = interchange.export_client(session, me, client_id)
    finally:
        source.close()
    template = copy.deepcopy(document["sessions"][-1])
    template.update(
        signed_at=None,
        signed_by=None,
        content_sha256=None,
        addenda=[],
        entered_in_error_at=None,
        entered_in_error_by=None,
        entered_in_error_reason="",
        intervention_content="x" * 1500,
    )
    document["sessions"] += [copy.deepcopy(template) for _ in range(SESSIONS)]
    return document


def test_killing_an_import_midway_changes_nothing(tmp_path: Path) -> None:
    record = tmp_path / "big.json"
    record.write_text(json.dumps(_big_record(tmp_path)), encoding="utf-8")
    key_file = tmp_path / "target.key"
    key = generate_key()
    target_path = tmp_path / "target.db"
    target = engine.create_database(target_path, key)
    _team(target)
    own_password(target, "dr.jones")  # the command line asks for this before anything else
    target.close()
    KeyFile(key_file).put(target_path, key)

    wal = target_path.with_name(target_path.name + "-wal")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clinic_app",
            "import",
            str(record),
            "--db",
            str(target_path),
            "--key-file",
            str(key_file),
            "--user",
            "dr.jones",
            "--password-stdin",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, CLINIC_APP_DATA_DIR=str(tmp_path / "data")),
    )
    assert process.stdin is not None
    process.stdin.write(f"{PASSWORD}\n".encode())
    process.stdin.close()
    # Wait until the import has written a good deal into the write-ahead log (rows are
    # being inserted, uncommitted), then kill it without warning.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.005)
    still_running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.stdout is not None and process.stderr is not None
    with process.stdout, process.stderr:
        out, err = process.stdout.read(), process.stderr.read()
    assert still_running, f"the import ended before it could be killed: {out!r} {err!r}"
    assert b"Imported" not in out

    reopened = engine.open_database(target_path, key)
    try:
        with reopened.session() as session:
            assert session.scalar(select(func.count()).select_from(Client)) == 0
            assert session.scalar(select(func.count()).select_from(SessionNote)) == 0
    finally:
        reopened.close()
    engine.verify_file(target_path, key)  # and the file is whole
