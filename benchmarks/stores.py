"""Record stores at a real service's scale, built once and reused.

A store is a directory holding ``clinic.db`` (the application's file name, so a real
``clinic-app`` process started with ``CLINIC_APP_DATA_DIR`` pointing here opens it),
``clinic.key`` (its key, in a key file: no OS credential store is touched) and
``store.json`` (what is in it). Built with the application's own demo loader (in
transactions of at most 10,000 clients) and bulk inserts, then left alone: a later run
given the same directory (``--keep DIR``) reuses it.

In a store of N clients:

- ``bench.psychologist`` holds every client (the demo loader assigns them): the
  caseload filter is typed over all N rows, read from the database;
- ``bench.clinician`` holds 40 of them plus the long record (500 sessions, see
  ``run.build_big_client``);
- ``bench.lead`` holds 1,000 of them (a team lead's view; fewer when N is smaller).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import insert, select, update

from benchmarks.run import (
    ADMIN_PASSWORD,
    CLINICIAN_PASSWORD,
    build_big_client,
    new_database,
    say,
)
from clinic_app import config
from clinic_app.models import Client, ClientAssignment, StaffUser
from clinic_app.models.enums import Role
from clinic_app.services import demo, staff
from clinic_app.services.common import StaffRef
from clinic_app.storage.keys import KeyFile

STORE_VERSION = 2  # 2: the accounts need no first password change
CASELOAD = 40
TEAM_LEAD_CASELOAD = 1_000
DEMO_BATCH = 10_000
EVERYONE = "bench.psychologist"
CLINICIAN = "bench.clinician"
LEAD = "bench.lead"
PASSWORD = CLINICIAN_PASSWORD  # every benchmark account shares it


@dataclass(frozen=True)
class Store:
    """A built store and who is in it."""

    directory: str
    clients: int
    big_client_id: int
    big_client_ref: str
    lead_caseload: int
    build_s: float
    version: int = STORE_VERSION

    @property
    def path(self) -> Path:
        return Path(self.directory) / config.DATABASE_FILENAME

    @property
    def key_file(self) -> Path:
        return Path(self.directory) / "clinic.key"


def _add_user(session: object, admin: StaffRef, username: str) -> StaffRef:
    row = staff.add_user(
        session,  # type: ignore[arg-type]
        admin,
        username,
        role=Role.PSYCHOLOGIST,
        password=PASSWORD,
        display_name=username.replace("bench.", "Benchmark ").title(),
    )
    # An account an administrator adds must change its password at first sign-in; the
    # benchmark accounts are used as if that had been done, so nothing stops to ask.
    session.execute(  # type: ignore[attr-defined]
        update(StaffUser).where(StaffUser.id == row.id).values(must_change_password=False)
    )
    return StaffRef(row.id, row.username, row.display_name, row.role)


def client_store(root: Path, clients: int) -> Store:
    """The store of ``clients`` demo clients under ``root`` (built unless already there)."""
    directory = root / f"clients-{clients}"
    manifest = directory / "store.json"
    if manifest.exists():
        known = json.loads(manifest.read_text(encoding="utf-8"))
        if known.get("version") == STORE_VERSION:
            return Store(**known)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("clinic.*"):
        stale.unlink()
    say(f"building a store of {clients:,} clients in {directory} ...")
    started = time.perf_counter()
    fixture = new_database(directory / config.DATABASE_FILENAME)
    KeyFile(directory / "clinic.key").put(fixture.path, fixture.key)
    database, everyone = fixture.database, fixture.me
    try:
        done = 0
        while done < clients:
            batch = min(DEMO_BATCH, clients - done)
            with database.transaction() as session:
                demo.load_demo_caseload(session, everyone, batch, seed=2026 + done)
            done += batch
            say(f"  {done:,} clients ({time.perf_counter() - started:.0f} s)")
        with database.transaction() as session:
            admin_row = staff.sign_in(session, "bench.admin", ADMIN_PASSWORD)
            clinician = _add_user(session, admin_row, CLINICIAN)
            lead = _add_user(session, admin_row, LEAD)
            ids = list(session.scalars(select(Client.id).order_by(Client.id)))
            rng = random.Random(40)
            lead_ids = rng.sample(ids, min(TEAM_LEAD_CASELOAD, len(ids)))
            session.execute(
                insert(ClientAssignment),
                [
                    {"client_id": c, "staff_id": clinician.id, "is_lead": False}
                    for c in rng.sample(ids, min(CASELOAD, len(ids)))
                ]
                + [{"client_id": c, "staff_id": lead.id, "is_lead": False} for c in lead_ids],
            )
            big_id, _ = build_big_client(session, clinician)
        with database.session() as session:
            big_ref = session.scalar(select(Client.local_ref).where(Client.id == big_id))
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        database.close()
    store = Store(
        directory=str(directory),
        clients=clients,
        big_client_id=big_id,
        big_client_ref=str(big_ref),
        lead_caseload=len(lead_ids),
        build_s=round(time.perf_counter() - started, 1),
    )
    manifest.write_text(json.dumps(asdict(store), indent=2) + "\n", encoding="utf-8")
    say(f"  built in {store.build_s:.0f} s")
    return store
