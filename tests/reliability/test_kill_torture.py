"""kill -9 at random moments while a clinician saves, signs, adds addenda and autosaves.

Each run starts a worker process on a copy of the store, lets it work for a random moment
and kills it without warning (SIGKILL). The worker prints a line only after each unit of
work has committed ("acknowledged"). After every kill the store must open on this computer
(its integrity anchor and key file in place), pass SQLite's integrity check, keep an audit
chain that verifies, and hold every acknowledged save.

A short version (a few runs) is part of the normal suite; ``python3 dev.py torture`` runs
200 (``CLINIC_APP_KILL_RUNS`` changes the count) and prints the figures.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from clinic_app.models import NoteAddendum, NoteDraft, SessionNote
from clinic_app.services import audit, demo
from clinic_app.storage import engine
from clinic_app.storage.keys import KeyFile
from tests.conftest import STAFF_PASSWORD

SLOW = os.environ.get("CLINIC_APP_SLOW_TESTS") == "1"
RUNS = int(os.environ.get("CLINIC_APP_KILL_RUNS", "200" if SLOW else "3"))

WORKER = textwrap.dedent(
    """
    import random, sys
    from datetime import date
    from pathlib import Path
    from clinic_app.models.enums import Attendance, Modality
    from clinic_app.services import clients, notes, staff
    from clinic_app.storage import engine
    from clinic_app.storage.keys import KeyFile

    path, key_file, password = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4])
    store = KeyFile(key_file)
    database = engine.open_database(path, store.get(path), key_store=store)
    rng = random.Random(seed)
    with database.writing() as s:
        me = staff.sign_in(s, "dr.jones", password)
        s.commit()
        client_ids = [row.client.id for row in clients.caseload(s, me)]
    # The editor's autosave goes to one client whose notes are not saved meanwhile (saving
    # a note rightly discards its autosaved text); the notes go to the others.
    typing_for, client_ids = client_ids[0], client_ids[1:]
    print("ready", flush=True)
    signed: list[int] = []
    n = 0
    while True:
        n += 1
        client = rng.choice(client_ids)
        action = rng.choice(["draft", "sign", "addendum", "autosave"])
        with database.writing() as s:
            if action == "addendum" and signed:
                row = notes.add_addendum(
                    s, me, rng.choice(signed), reason="Correction", text=f"addendum {n}",
                    password=password,
                )
                s.commit()
                print("addendum", row.id, flush=True)
            elif action == "autosave":
                row = notes.autosave(s, me, typing_for, {"intervention_content": f"typing {n}"})
                s.commit()
                print("typed", n, flush=True)
            else:
                content = notes.NoteContent(
                    session_date=date.today(), duration_minutes=50,
                    modality=Modality.IN_PERSON, attendance=Attendance.ATTENDED,
                    intervention_content=f"note {n}",
                )
                note = notes.create_draft(s, me, client, content)
                if action == "sign":
                    note = notes.sign_note(s, me, note.id, password=password)
                s.commit()
                if action == "sign":
                    signed.append(note.id)
                print("sign" if action == "sign" else "draft", note.id, flush=True)
    """
)


@pytest.fixture
def store(tmp_path: Path, db, db_key, psychologist) -> tuple[Path, Path]:
    """A store with a small demo caseload, its key in a key file (with the anchor beside it)."""
    with db.transaction() as session:
        demo.load_demo_caseload(session, psychologist, 3)
    db.close()
    key_file = tmp_path / "clinic.key"
    KeyFile(key_file).put(db.path, db_key)
    engine.open_database(db.path, db_key, key_store=KeyFile(key_file)).close()
    return db.path, key_file


def _one_run(path: Path, key_file: Path, rng: random.Random) -> dict[str, set[int]]:
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(path), str(key_file), STAFF_PASSWORD,
         str(rng.randrange(1 << 30))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    acknowledged: dict[str, set[int]] = {}
    ready = process.stdout.readline()
    assert ready == b"ready\n", process.stderr.read().decode(errors="replace")
    os.set_blocking(process.stdout.fileno(), False)
    deadline = time.monotonic() + rng.uniform(0.05, 1.5)
    while time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    os.set_blocking(process.stdout.fileno(), True)
    with process.stdout, process.stderr:
        output = process.stdout.read().decode()
        for line in output.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():  # a half-written last line is not an ack
                acknowledged.setdefault(parts[0], set()).add(int(parts[1]))
    return acknowledged


def _check(path: Path, key_file: Path, acknowledged: dict[str, set[int]]) -> int:
    """Open on this computer, check integrity, the audit chain and every acknowledged save."""
    store = KeyFile(key_file)
    database = engine.open_database(path, store.get(path), key_store=store)
    try:
        with database.session() as s:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            report = audit.verify(s)
            assert report.ok, report.findings
            notes = {n.id: n for n in s.scalars(select(SessionNote))}
            for note_id in acknowledged.get("draft", set()) | acknowledged.get("sign", set()):
                assert note_id in notes, f"acknowledged note {note_id} is missing"
            for note_id in acknowledged.get("sign", set()):
                assert notes[note_id].signed_at is not None, f"note {note_id} lost its signature"
            addenda = set(s.scalars(select(NoteAddendum.id)))
            assert acknowledged.get("addendum", set()) <= addenda
            typed = acknowledged.get("typed", set())
            if typed:  # the text last autosaved is what the draft holds (or newer)
                kept = [
                    d.fields.get("intervention_content", "") for d in s.scalars(select(NoteDraft))
                ]
                numbers = [int(t.split()[1]) for t in kept if t.startswith("typing ")]
                assert numbers and max(numbers) >= max(typed), "autosaved text was lost"
    finally:
        database.close()
    return sum(len(ids) for ids in acknowledged.values())


def test_kill_minus_9_loses_no_acknowledged_save(store) -> None:
    path, key_file = store
    rng = random.Random(20261207)
    saves = 0
    for run in range(RUNS):
        acknowledged = _one_run(path, key_file, rng)
        try:
            saves += _check(path, key_file, acknowledged)
        except AssertionError as error:
            raise AssertionError(f"run {run + 1} of {RUNS}: {error}") from error
    print(
        f"\nkill -9 torture: {RUNS}/{RUNS} runs survived; integrity check ok and the audit "
        f"chain intact after each; 0 of {saves} acknowledged saves lost"
    )
