"""First-run setup service: real temporary databases and the in-memory credential store."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from clinic_app.errors import (
    AuthError,
    DatabaseExists,
    KeyStoreError,
    NoCredentialStore,
    ValidationError,
)
from clinic_app.models import StaffUser
from clinic_app.models.enums import Role
from clinic_app.services import clients, setup, staff
from clinic_app.services.setup import NewAccount
from clinic_app.storage.engine import open_database
from clinic_app.storage.keys import CredentialStore, KeyFile, key_from_recovery

ADMIN_PW = "admin password 1"
PSY_PW = "psych password 1"

ADMIN = NewAccount("Site.Admin", "Sam Admin", ADMIN_PW, Role.ADMINISTRATOR)
PSYCHOLOGIST = NewAccount("dr.jones", "Dr Morgan Jones", PSY_PW, Role.PSYCHOLOGIST)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "site" / "clinic.db"


def leftovers(path: Path) -> list[str]:
    """Any file the attempt left in the database's folder (sidecars and temporary files too)."""
    return sorted(p.name for p in path.parent.iterdir()) if path.parent.exists() else []


def where(error: ValidationError) -> list[str]:
    return [p.where for p in error.problems]


# -- the key store ------------------------------------------------------------------------------


def test_a_usable_credential_store_says_where_the_key_will_be_kept():
    status = setup.check_key_store()
    assert status.usable
    assert status.problem is None
    assert "credential store" in status.description


def test_no_credential_store_is_a_clear_status_naming_the_alternatives():
    keyring.set_keyring(fail.Keyring())  # restored by the autouse memory_keyring fixture
    status = setup.check_key_store()
    assert not status.usable
    assert status.problem is not None
    assert "No credential store" in status.problem
    assert "Windows Credential Manager" in status.problem
    assert "Secret Service" in status.problem
    assert "key file" in status.problem
    assert "plain text" in status.problem
    assert "Traceback" not in status.problem and "keyring." not in status.problem


def test_an_explicit_key_file_is_usable_and_named(tmp_path: Path):
    keyring.set_keyring(fail.Keyring())
    status = setup.check_key_store(tmp_path / "keys" / "clinic.key")
    assert status.usable
    assert "clinic.key" in status.description


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path, path: Path):
    key_file = tmp_path / "clinic.key"
    key_file.write_text("another database's key\n", encoding="ascii")
    status = setup.check_key_store(key_file)
    assert not status.usable
    assert status.problem is not None and "already exists" in status.problem
    with pytest.raises(KeyStoreError, match="will not be overwritten"):
        setup.initialise(path, KeyFile(key_file), ADMIN, PSYCHOLOGIST)
    assert key_file.read_text(encoding="ascii") == "another database's key\n"
    assert not path.exists()


# -- checking accounts before anything is written -----------------------------------------------


def test_good_accounts_have_no_problems():
    assert setup.account_problems(ADMIN, clinical=False, password_again=ADMIN_PW) == []
    assert setup.account_problems(PSYCHOLOGIST, clinical=True, taken_usernames=["site.admin"]) == []


def test_every_problem_with_an_account_is_listed_at_its_field():
    bad = NewAccount("9 lives", "x" * 201, "short", Role.PSYCHOLOGIST)
    problems = setup.account_problems(bad, clinical=False, password_again="other")
    assert [p.where for p in problems] == [
        "admin.username",
        "admin.display_name",
        "admin.role",
        "admin.password",
        "admin.password_again",
    ]
    messages = " ".join(p.message for p in problems)
    assert "starting with a letter" in messages
    assert "at least 10 characters" in messages
    assert "not the same" in messages


def test_the_clinical_account_needs_a_full_name_a_clinical_role_and_its_own_username():
    bad = NewAccount(" SITE.ADMIN ", "  ", PSY_PW, Role.ADMINISTRATOR)
    problems = setup.account_problems(bad, clinical=True, taken_usernames=["site.admin"])
    assert [p.where for p in problems] == [
        "clinician.username",
        "clinician.display_name",
        "clinician.role",
    ]
    assert "already taken" in problems[0].message


def test_the_administrators_full_name_may_be_left_empty():
    account = NewAccount("admin", "", ADMIN_PW, Role.ADMINISTRATOR)
    assert setup.account_problems(account, clinical=False) == []


def test_empty_fields_ask_for_a_value():
    empty = NewAccount("", "", "", Role.CLINICIAN)
    problems = setup.account_problems(empty, clinical=True)
    assert {p.where: p.message for p in problems} == {
        "clinician.username": "Choose a username.",
        "clinician.display_name": "The full name is required.",
        "clinician.password": "Choose a password.",
    }


# -- creating the database ----------------------------------------------------------------------


def test_setup_creates_the_database_both_accounts_and_a_working_recovery_key(
    path: Path, memory_keyring
):
    store = CredentialStore()
    result = setup.initialise(path, store, ADMIN, PSYCHOLOGIST)

    assert result.database == path.resolve()
    assert leftovers(path) == ["clinic.db"]
    key = store.get(path)
    assert key_from_recovery(result.recovery_key) == key
    assert len(memory_keyring.secrets) == 1
    assert result.admin.username == "site.admin"
    assert result.admin.role is Role.ADMINISTRATOR
    assert result.clinician is not None
    assert result.clinician.role is Role.PSYCHOLOGIST
    assert result.clinician.display_name == "Dr Morgan Jones"

    database = open_database(path, key)
    try:
        with database.transaction() as session:
            assert staff.sign_in(session, "Site.Admin", ADMIN_PW) == result.admin
            assert staff.sign_in(session, "dr.jones", PSY_PW) == result.clinician
            psychologist = session.get(StaffUser, result.clinician.id)
            assert psychologist is not None
            # They chose the password themselves in the wizard: no forced change.
            assert psychologist.must_change_password is False
    finally:
        database.close()


def test_setup_without_a_clinical_account_makes_only_the_administrator(path: Path):
    store = CredentialStore()
    result = setup.initialise(path, store, ADMIN, None)
    assert result.clinician is None
    database = open_database(path, store.get(path))
    try:
        with database.transaction() as session:
            assert [row.username for row in staff.list_users(session, result.admin)] == [
                "site.admin"
            ]
    finally:
        database.close()


def test_a_key_file_chosen_explicitly_holds_the_key(tmp_path: Path, path: Path, memory_keyring):
    key_file = KeyFile(tmp_path / "keys" / "clinic.key")
    result = setup.initialise(path, key_file, ADMIN, PSYCHOLOGIST)
    assert key_from_recovery(result.recovery_key) == key_file.get(path)
    assert memory_keyring.secrets == {}


def test_every_problem_is_listed_at_once_and_nothing_is_written(path: Path, memory_keyring):
    admin = NewAccount("1admin", "", "short", Role.ADMINISTRATOR)
    clinician = NewAccount("1admin", "", "aaaaaaaaaaaa", Role.CLINICIAN)
    with pytest.raises(ValidationError) as info:
        setup.initialise(path, CredentialStore(), admin, clinician)
    assert where(info.value) == [
        "admin.username",
        "admin.password",
        "clinician.username",
        "clinician.display_name",
        "clinician.password",
    ]
    assert "5 problems" in info.value.message
    assert leftovers(path) == []
    assert memory_keyring.secrets == {}


def test_the_clinical_account_cannot_reuse_the_administrators_username(path: Path):
    clinician = NewAccount("SITE.admin", "Dr Jones", PSY_PW, Role.CLINICIAN)
    with pytest.raises(ValidationError) as info:
        setup.initialise(path, CredentialStore(), ADMIN, clinician)
    assert where(info.value) == ["clinician.username"]
    assert not path.exists()


def test_an_existing_database_is_not_touched(path: Path, memory_keyring):
    path.parent.mkdir(parents=True)
    path.write_bytes(b"someone else's file")
    with pytest.raises(DatabaseExists):
        setup.initialise(path, CredentialStore(), ADMIN, PSYCHOLOGIST)
    assert path.read_bytes() == b"someone else's file"
    assert memory_keyring.secrets == {}


def test_a_key_store_failing_after_creation_leaves_no_database(
    path: Path, memory_keyring, monkeypatch: pytest.MonkeyPatch
):
    store = CredentialStore()

    def broken_put(db_path: Path, key: bytes) -> None:
        raise NoCredentialStore("The credential store stopped answering.")

    monkeypatch.setattr(store, "put", broken_put)
    with pytest.raises(NoCredentialStore):
        setup.initialise(path, store, ADMIN, PSYCHOLOGIST)
    assert leftovers(path) == []
    assert memory_keyring.secrets == {}


def test_a_failure_while_adding_accounts_leaves_no_database(
    path: Path, memory_keyring, monkeypatch: pytest.MonkeyPatch
):
    def broken_add_user(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(staff, "add_user", broken_add_user)
    with pytest.raises(RuntimeError):
        setup.initialise(path, CredentialStore(), ADMIN, PSYCHOLOGIST)
    assert leftovers(path) == []
    assert memory_keyring.secrets == {}


def test_problems_found_by_the_accounts_service_are_placed_on_their_account(
    path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The checks here mirror the accounts service; should it ever find more, its problems
    # still point at the right account.
    monkeypatch.setattr(setup, "account_problems", lambda *a, **k: [])
    clinician = NewAccount("dr.jones", "Dr Jones", "aaaaaaaaaaaa", Role.CLINICIAN)
    with pytest.raises(ValidationError) as info:
        setup.initialise(path, CredentialStore(), ADMIN, clinician)
    assert where(info.value) == ["clinician.password"]
    assert leftovers(path) == []


# -- the demo caseload --------------------------------------------------------------------------


def test_the_demo_caseload_is_assigned_to_the_clinical_account(path: Path):
    store = CredentialStore()
    result = setup.initialise(path, store, ADMIN, PSYCHOLOGIST)
    assert result.clinician is not None
    line = setup.load_demo(path, store, result.clinician, 3)
    assert line.startswith("Loaded 3 demo clients (DEMO-00001 to DEMO-00003")
    assert line.endswith("assigned to Dr Morgan Jones.")
    assert "\n" not in line
    database = open_database(path, store.get(path))
    try:
        with database.transaction() as session:
            rows = clients.caseload(session, result.clinician)
    finally:
        database.close()
    assert len(rows) == 3
    assert all(row.client.is_demo for row in rows)
    assert all(row.client.nhs_number.startswith("999") for row in rows if row.client.nhs_number)
    assert all(row.lead_clinician == "Dr Morgan Jones" for row in rows)


def test_the_demo_caseload_is_for_a_clinical_account(path: Path):
    store = CredentialStore()
    result = setup.initialise(path, store, ADMIN, None)
    with pytest.raises(ValidationError, match="psychologist or clinician"):
        setup.load_demo(path, store, result.admin, 3)


def test_a_failed_sign_in_still_fails_after_setup(path: Path):
    store = CredentialStore()
    setup.initialise(path, store, ADMIN, PSYCHOLOGIST)
    database = open_database(path, store.get(path))
    try:
        with database.session() as session, pytest.raises(AuthError):
            staff.sign_in(session, "dr.jones", "not the password")
    finally:
        database.close()
