"""``clinic-app site import``: a whole workstation database moved into a site, all or nothing."""

from __future__ import annotations

import io
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic_app import cli
from clinic_app.models import AuditEvent, Base, Client, SessionNote, StaffUser
from clinic_app.models.enums import Modality, Role
from clinic_app.services import appointments, audit, clients, notes, staff
from clinic_app.services.common import StaffRef
from clinic_app.services.site_import import NOT_COPIED
from clinic_app.storage import engine
from clinic_app.storage.keys import KeyFile, generate_key
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD
from tests.integration.conftest import OWNER_PASSWORD, Site
from tests.privacy.canary_record import Canaries, Identity, build


def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _ref(row: staff.StaffRow) -> StaffRef:
    return StaffRef(row.id, row.username, row.display_name, row.role)


class Workstation:
    """A workstation database with a full record, its key in a key file."""

    def __init__(self, tmp_path: Path, prefix: str) -> None:
        self.path, self.key_file = tmp_path / "clinic.db", tmp_path / "clinic.key"
        key = generate_key()
        database = engine.create_database(self.path, key)
        KeyFile(self.key_file).put(self.path, key)
        with database.transaction() as s:
            admin = staff.create_first_admin(s, f"{prefix}.wsadmin", ADMIN_PASSWORD)
            self.admin = admin
            jones = _ref(
                staff.add_user(
                    s, admin, f"{prefix}.jones", role=Role.PSYCHOLOGIST, password=STAFF_PASSWORD
                )
            )
            patel = _ref(
                staff.add_user(
                    s, admin, f"{prefix}.patel", role=Role.CLINICIAN, password=STAFF_PASSWORD
                )
            )
        self.jones, self.patel = jones, patel
        identity = Identity(
            "Zyfirst", "Zylast", date(1981, 5, 17), "9434765919", "LR-WS1", "PR1", "1 Zy Road"
        )
        record = build(
            database, jones, patel, admin, identity, Canaries("ws0001"), ["Shareable"] * 4, 3
        )
        self.client_id = record.client_id
        with database.transaction() as s:
            appointments.book(
                s,
                jones,
                record.client_id,
                day=date.today() + timedelta(days=7),
                start_time=time(10, 0),
                duration_minutes=50,
                modality=Modality.IN_PERSON,
                clinician_ids=(jones.id,),
                allow_overlap=True,
            )
        with database.session() as s:
            self.counts = {
                t.name: s.scalar(select(func.count()).select_from(t))
                for t in Base.metadata.sorted_tables
            }
            self.chain_end = audit.chain_end(s)
        database.close()

    def args(self, site: Site) -> list[str]:
        settings = site.settings
        return [
            "site", "import", "--host", settings.host, "--port", str(settings.port),
            "--database", settings.database, "--ca-file", str(settings.ca_file),
            "--owner", "clinic_owner", "--from", str(self.path),
            "--key-file", str(self.key_file), "--user", self.admin.username, "--password-stdin",
        ]  # fmt: skip


def _site_counts(site: Site) -> dict[str, int]:
    with site.owner_db().session() as s:
        return {
            t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


@pytest.fixture
def workstation(tmp_path, fresh_site) -> Workstation:  # type: ignore[no-untyped-def]
    return Workstation(tmp_path, fresh_site.prefix)


def test_a_whole_workstation_moves_into_a_site_and_its_trail_and_signatures_verify(
    fresh_site, workstation
):
    site = fresh_site
    jones_at_site = site.add("jones", Role.PSYCHOLOGIST)  # the same account name
    before = _site_counts(site)
    code, out, err = run(*workstation.args(site), stdin=f"{OWNER_PASSWORD}\n{ADMIN_PASSWORD}\n")
    assert (code, err) == (0, ""), err
    assert "Copied 1 client" in out
    assert f"{site.prefix}.patel" in out and f"{site.prefix}.wsadmin" in out  # added, disabled
    after = _site_counts(site)
    for table, count in workstation.counts.items():
        if table in NOT_COPIED or table == "audit_event":
            continue
        added = after[table] - before[table]
        if table == "staff_user":
            assert added == 2  # patel and the workstation's administrator; jones matched
        elif table in {"specialist_service", "measure_definition"}:
            assert added <= count
        else:
            assert added == count, table
    # The workstation's events follow the site's own, then the import's event.
    with site.owner_db().session() as s:
        assert audit.verify(s).ok
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        assert event.action == "import" and event.entity == "workstation_database"
        recorded = event.detail
        assert recorded["events"] == recorded["source_last_event"] > workstation.chain_end.last_seq
        added = s.scalars(
            select(StaffUser).where(StaffUser.username == f"{site.prefix}.patel")
        ).one()
        assert added.disabled_at is not None
        # Every signed note's seal still verifies, with the names it was signed under.
        signed = s.scalars(select(SessionNote).where(SessionNote.signed_at.is_not(None))).all()
        assert signed
        staff_rows = s.execute(select(StaffUser.id, StaffUser.username))
        names = {row.id: row.username for row in staff_rows}
        for note in signed:
            version = notes.note_seal_version(
                note.content_sha256,
                notes.content_of(note),
                names[note.author_id],
                signer=names[note.signed_by],
                signed_at=note.signed_at,
            )
            assert version is not None
    # The workstation file, kept, still verifies against the end the import recorded, and
    # says where its record went.
    key = KeyFile(workstation.key_file).get(workstation.path)
    kept = engine.open_database(workstation.path, key)
    with kept.session() as s:
        assert audit.verify(s).ok
        moved_at = s.scalars(
            select(AuditEvent).where(AuditEvent.seq == recorded["source_last_event"])
        ).one()
        assert moved_at.hash == recorded["source_last_hash"]
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        assert (last.action, last.entity) == ("export", "site")
    kept.close()
    # The psychologist signs in to the site as themselves and finds their client there.
    mine = site.open_as(jones_at_site)
    with mine.session() as s:
        [found] = clients.caseload(s, jones_at_site)
        assert found.client.local_ref == "LR-WS1"
        assert len(notes.notes_for_client(s, jones_at_site, found.client.id)) == 3


def test_clients_already_at_the_site_are_listed_and_nothing_is_imported(fresh_site, workstation):
    site = fresh_site
    jones = site.add("jones", Role.PSYCHOLOGIST)
    with site.owner_db().transaction() as s:
        clients.register_client(
            s,
            jones,
            clients.ClientDetails(
                local_ref="lr-ws1",  # the same reference, written differently
                given_name="Someone",
                family_name="Else",
                date_of_birth=date(1990, 1, 1),
                site="North",
                referral_date=date.today() - timedelta(days=3),
            ),
        )
    before = _site_counts(site)
    code, out, err = run(*workstation.args(site), stdin=f"{OWNER_PASSWORD}\n{ADMIN_PASSWORD}\n")
    assert code != 0 and out == ""
    assert "LR-WS1 (case reference already used at the site)" in err
    assert "nothing has been imported" in err and "Traceback" not in err
    assert _site_counts(site) == before


def test_a_wrong_administrator_password_or_a_clinician_imports_nothing(fresh_site, workstation):
    site = fresh_site
    before = _site_counts(site)
    code, _, err = run(*workstation.args(site), stdin=f"{OWNER_PASSWORD}\nnot it\n")
    assert code != 0 and "Traceback" not in err
    args = workstation.args(site)
    args[args.index("--user") + 1] = workstation.jones.username
    code, _, err = run(*args, stdin=f"{OWNER_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert code != 0 and "administrator" in err.lower()
    assert _site_counts(site) == before
    with site.owner_db().session() as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 0


def test_a_workstation_whose_trail_does_not_verify_is_refused(fresh_site, workstation):
    site = fresh_site
    key = KeyFile(workstation.key_file).get(workstation.path)
    database = engine.open_database(workstation.path, key, migrate=False)
    with database.engine.begin() as conn:
        # Someone with the key edits an event behind the application's back.
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        conn.exec_driver_sql("UPDATE audit_event SET action = 'view' WHERE seq = 2")
    database.close()
    before = _site_counts(site)
    code, _, err = run(*workstation.args(site), stdin=f"{OWNER_PASSWORD}\n{ADMIN_PASSWORD}\n")
    assert code != 0
    assert "audit trail does not verify" in err
    assert _site_counts(site) == before
