"""What an administrator does from the window (and the command line): accounts, caseloads,
backups and the audit check, with the same rules as the command line."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select, text

from clinic_app.errors import AccessDenied, AuthError, NotFound, ValidationError
from clinic_app.models import AuditEvent, StaffUser
from clinic_app.models.enums import Role
from clinic_app.services import assignments, clients, safekeeping, staff
from clinic_app.storage import engine
from tests.conftest import STAFF_PASSWORD, client_details


def audit_actions(db) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


# -- accounts ------------------------------------------------------------------------------


def test_a_reset_password_must_be_replaced_and_ends_a_lockout(db, admin, clinician):
    with db.transaction() as session:
        for _ in range(10):
            with contextlib.suppress(AuthError):
                staff.sign_in(session, "nurse.patel", "wrong password")
        assert session.scalar(select(StaffUser.locked_until).where(StaffUser.id == clinician.id))
    with db.transaction() as session:
        row = staff.reset_password(session, admin, "nurse.patel", "a temporary pass 7")
    assert row.locked_until is None
    with db.transaction() as session:
        me = staff.sign_in(session, "nurse.patel", "a temporary pass 7")
    assert me.must_change_password
    assert audit_actions(db).count("password_reset") == 1


def test_a_reset_is_refused_plainly_and_changes_nothing(db, admin, clinician, psychologist):
    with db.transaction() as session:
        with pytest.raises(ValidationError):
            staff.reset_password(session, admin, "nurse.patel", "short")
        with pytest.raises(AccessDenied, match="your own password"):
            staff.reset_password(session, admin, "admin", "a temporary pass 7")
        with pytest.raises(AccessDenied):
            staff.reset_password(session, psychologist, "nurse.patel", "a temporary pass 7")
        with pytest.raises(NotFound):
            staff.reset_password(session, admin, "nobody", "a temporary pass 7")
    with db.transaction() as session:
        assert staff.sign_in(session, "nurse.patel", STAFF_PASSWORD).username == "nurse.patel"
    assert "password_reset" not in audit_actions(db)


def test_roles_change_but_never_ones_own_or_the_last_administrators(db, admin, clinician):
    with db.transaction() as session:
        row = staff.change_role(session, admin, "nurse.patel", Role.PSYCHOLOGIST)
        assert row.role is Role.PSYCHOLOGIST
        with pytest.raises(AccessDenied, match="your own role"):
            staff.change_role(session, admin, "admin", Role.CLINICIAN)
        with pytest.raises(ValidationError, match="already"):
            staff.change_role(session, admin, "nurse.patel", Role.PSYCHOLOGIST)
        second = staff.add_user(
            session, admin, "it.lead", role=Role.ADMINISTRATOR, password=STAFF_PASSWORD
        )
        staff.disable_user(session, admin, "it.lead")
    # An administrator disabled while still signed in elsewhere cannot demote the last
    # active administrator.
    with db.transaction() as session:
        it_lead = staff._ref(session.get(StaffUser, second.id))
        with pytest.raises(AccessDenied, match="last active administrator"):
            staff.change_role(session, it_lead, "admin", Role.CLINICIAN)
        staff.enable_user(session, admin, "it.lead")
    with db.transaction() as session:
        assert staff.change_role(session, it_lead, "admin", Role.CLINICIAN).role is Role.CLINICIAN
    assert audit_actions(db).count("role_changed") == 2
    assert audit_actions(db).count("account_enabled") == 1


def test_enabling_an_account_that_is_not_disabled_is_refused(db, admin, clinician):
    with db.transaction() as session, pytest.raises(ValidationError, match="not disabled"):
        staff.enable_user(session, admin, "nurse.patel")


# -- caseloads -----------------------------------------------------------------------------


def test_an_administrator_keeps_caseloads_by_case_reference(db, admin, psychologist, clinician):
    with db.transaction() as session:
        client = clients.register_client(session, psychologist, client_details())
    with db.transaction() as session:
        assert assignments.assignments_of(session, admin, clinician.id) == []
        row = assignments.assign_client(session, admin, clinician.id, "MASIP-0001", is_lead=True)
        assert (row.client_id, row.local_ref, row.name, row.is_lead) == (
            client.id,
            "MASIP-0001",
            "Alex Example",
            True,
        )
        # By NHS number, typed with spaces, for another member of staff: already assigned.
        with pytest.raises(ValidationError, match="already on"):
            assignments.assign_client(session, admin, psychologist.id, "943 476 5919")
    with db.session() as session:
        assert [c.client.id for c in clients.caseload(session, clinician)] == [client.id]
    with db.transaction() as session:
        assignments.end_assignment(session, admin, clinician.id, client.id)
    with db.session() as session:
        assert clients.caseload(session, clinician) == []
        assert assignments.assignments_of(session, admin, clinician.id) == []
    assert "assignment_ended" in audit_actions(db)


def test_caseload_changes_are_refused_plainly(db, admin, psychologist, clinician):
    with db.transaction() as session:
        clients.register_client(session, psychologist, client_details())
    with db.transaction() as session:
        with pytest.raises(NotFound, match="No client"):
            assignments.assign_client(session, admin, clinician.id, "MASIP-9999")
        with pytest.raises(ValidationError, match="case reference"):
            assignments.assign_client(session, admin, clinician.id, "   ")
        with pytest.raises(ValidationError, match="clinical staff"):
            assignments.assign_client(session, admin, admin.id, "MASIP-0001")
        with pytest.raises(AccessDenied):
            assignments.assign_client(session, psychologist, clinician.id, "MASIP-0001")
        with pytest.raises(AccessDenied):
            assignments.assignments_of(session, clinician, psychologist.id)
        with pytest.raises(NotFound):
            assignments.end_assignment(session, admin, clinician.id, 12345)


# -- backups and the audit check -----------------------------------------------------------


@pytest.mark.workstation_engine(
    "a workstation's own backup; a site's backups are the trust's PostgreSQL backups"
)
def test_a_backup_is_verified_recorded_and_reported(db, db_key, admin, tmp_path):
    with db.session() as session:
        assert safekeeping.last_backup(session, admin) is None
    out = tmp_path / "backups" / "first.db"
    with db.transaction() as session:
        made = safekeeping.make_backup(session, admin, db.engine, db_key, out)
    assert made.path == str(out)
    engine.verify_file(out, db_key)  # opens with the same key and is undamaged
    with db.session() as session:
        last = safekeeping.last_backup(session, admin)
    assert last is not None and last.by_id == admin.id and last.path == "first.db"


def test_a_backup_over_an_existing_file_is_refused_and_records_nothing(db, db_key, admin, tmp_path):
    out = tmp_path / "taken.db"
    out.write_bytes(b"somebody's file")
    with db.transaction() as session, pytest.raises(ValidationError, match="already exists"):
        safekeeping.make_backup(session, admin, db.engine, db_key, out)
    assert out.read_bytes() == b"somebody's file"
    assert "backup" not in audit_actions(db)


def test_only_an_administrator_backs_up(db, db_key, psychologist, tmp_path):
    with db.transaction() as session, pytest.raises(AccessDenied):
        safekeeping.make_backup(session, psychologist, db.engine, db_key, tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()


@pytest.mark.workstation_engine(
    "tampers past the workstation's SQLite triggers; a site's tampering test is "
    "tests/integration/test_site_audit.py"
)
def test_the_audit_check_finds_a_changed_event(db, admin, clinician):
    with db.transaction() as session:
        report = safekeeping.check_audit_trail(session, admin)
    assert report.ok and report.events > 0
    with db.transaction() as session:
        session.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        session.execute(text("UPDATE audit_event SET entity_id = 999 WHERE seq = 2"))
    with db.transaction() as session:
        report = safekeeping.check_audit_trail(session, admin)
    assert not report.ok
    assert any(f.seq == 2 and "changed" in f.problem for f in report.findings)
    with db.transaction() as session, pytest.raises(AccessDenied):
        safekeeping.check_audit_trail(session, clinician)
