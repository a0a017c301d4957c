"""Several programs saving to one database at the same moment: every save succeeds.

Each writer is a separate process (as the window and the command line are) saving
notes as fast as it can, all starting together. A unit of work that writes takes the
write lock first (``BEGIN IMMEDIATE``) and waits its turn, so none is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic_app.models import SessionNote
from clinic_app.services import audit
from clinic_app.storage import engine
from clinic_app.storage.keys import KeyFile

SAVES = 25

WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import date
    from pathlib import Path
    from clinic_app.models.enums import Attendance, Modality
    from clinic_app.services import notes, staff
    from clinic_app.storage import engine
    from clinic_app.storage.keys import KeyFile

    path, key_file, password, client_id, saves, start = sys.argv[1:7]
    store = KeyFile(Path(key_file))
    database = engine.open_database(Path(path), store.get(Path(path)), key_store=store)
    content = notes.NoteContent(
        session_date=date(2026, 3, 2),
        duration_minutes=50,
        modality=Modality.IN_PERSON,
        attendance=Attendance.ATTENDED,
        intervention_content="Saved while others save too.",
    )
    with database.transaction() as session:
        me = staff.sign_in(session, "dr.jones", password)
    time.sleep(max(0.0, float(start) - time.time()))
    failed = 0
    for _ in range(int(saves)):
        try:
            with database.transaction() as session:
                notes.create_draft(session, me, int(client_id), content)
        except Exception as error:  # counted and reported, never hidden
            failed += 1
            print("failed:", type(error).__name__, error, file=sys.stderr)
    database.close()
    print(f"failed={failed}")
    """
)


def _run_writers(db, db_key, psychologist, client_id, tmp_path: Path, count: int) -> list[str]:
    key_file = tmp_path / "clinic.key"
    store = KeyFile(key_file)
    store.put(db.path, db_key)
    db.close()
    start = time.time() + 4.0  # every process imported and signed in by then
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(db.path),
                str(key_file),
                "staff password 1",
                str(client_id),
                str(SAVES),
                str(start),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(out.strip() + (f" ({err.strip()})" if err.strip() else ""))
    return results


@pytest.mark.parametrize("writers", [2, 4])
def test_programs_saving_at_once_all_succeed(
    db, db_key, psychologist, client_id, tmp_path: Path, writers: int
) -> None:
    results = _run_writers(db, db_key, psychologist, client_id, tmp_path, writers)
    print(f"\n{writers} writers x {SAVES} saves: {results}")
    assert results == ["failed=0"] * writers
    database = engine.open_database(db.path, db_key, key_store=KeyFile(tmp_path / "clinic.key"))
    try:
        with database.session() as session:
            saved = session.scalar(select(func.count()).select_from(SessionNote))
            assert saved == writers * SAVES
            assert audit.verify(session).ok
    finally:
        database.close()
