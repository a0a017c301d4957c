"""First-run setup: check where the key will be kept, create the database and its accounts.

This is what ``clinic-app init`` does, shaped for the setup wizard: every problem with the
accounts is found before anything is written; then the encrypted database is created with
its first administrator and, if one was given, the first clinical account; the key is
stored last, so that if anything fails the new database is removed and the key store is
left as it was. The recovery key is returned once, for the caller to show.

Problem locations (``Problem.where``) are ``admin.<field>`` and ``clinician.<field>``,
with fields ``username``, ``display_name``, ``password``, ``password_again`` and ``role``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from clinic_app.errors import (
    DatabaseExists,
    KeyStoreError,
    Problem,
    ValidationError,
)
from clinic_app.models import StaffUser
from clinic_app.models.enums import Role
from clinic_app.services import demo, staff
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import text_problem
from clinic_app.storage import engine
from clinic_app.storage.keys import (
    KeyFile,
    KeyStore,
    default_key_store,
    generate_key,
    recovery_key_from,
)

ADMIN = "admin"
CLINICIAN = "clinician"
CLINICAL_ROLES = (Role.PSYCHOLOGIST, Role.CLINICIAN)
DEFAULT_DEMO_CLIENTS = 25

USERNAME_RULE = (
    "A username is 2 to 64 characters: letters, digits, dots, dashes or underscores, "
    "starting with a letter."
)


@dataclass(frozen=True)
class KeyStoreStatus:
    """Whether the database key can be kept safely, and where (or why not)."""

    usable: bool
    description: str
    problem: str | None = None


@dataclass(frozen=True)
class NewAccount:
    """An account as typed into the setup wizard, before it exists."""

    username: str
    display_name: str
    password: str
    role: Role


@dataclass(frozen=True)
class SetupResult:
    """What setup made: the database, its recovery key (shown once) and the accounts."""

    database: Path
    recovery_key: str
    admin: StaffRef
    clinician: StaffRef | None


def _key_file_taken(store: KeyStore) -> str | None:
    if isinstance(store, KeyFile) and store.path.exists():
        return (
            f"The key file {store.path} already exists and may hold the key of another "
            "database, so it will not be overwritten. Choose a new file name, or move the "
            "old file away if you are sure it is no longer needed."
        )
    return None


def check_key_store(key_file: Path | None = None) -> KeyStoreStatus:
    """Whether a new database's key can be kept: in ``key_file`` if given, else the OS store.

    Nothing is written. When there is no usable credential store the problem says what to
    do instead; the key is never kept in plain text without an explicit choice.
    """
    try:
        store = default_key_store(key_file)
    except KeyStoreError as error:
        return KeyStoreStatus(False, "", error.message)
    if taken := _key_file_taken(store):
        return KeyStoreStatus(False, store.describe(), taken)
    return KeyStoreStatus(True, store.describe(), None)


def account_problems(
    account: NewAccount,
    *,
    clinical: bool,
    password_again: str | None = None,
    taken_usernames: Collection[str] = (),
) -> list[Problem]:
    """Every problem with a new account, found without touching any database.

    ``clinical`` says which account this is: the administrator (role must be
    administrator; the full name may be left empty and defaults to the username) or the
    clinical account (psychologist or clinician, full name required, since it is the name
    that signs notes and summaries). ``password_again`` is the second typing of the
    password, when the form asks twice. ``taken_usernames`` are names already chosen.
    """
    prefix = CLINICIAN if clinical else ADMIN
    problems: list[Problem] = []

    def add(field: str, message: str | None) -> None:
        if message is not None:
            problems.append(Problem(f"{prefix}.{field}", message))

    name = staff.normalise_username(account.username)
    if not name:
        add("username", "Choose a username.")
    elif not staff.USERNAME_PATTERN.match(name):
        add("username", USERNAME_RULE)
    elif name in {staff.normalise_username(taken) for taken in taken_usernames}:
        add("username", f"The username '{name}' is already taken by the other account here.")
    add(
        "display_name",
        text_problem(
            account.display_name, label="The full name", required=clinical, max_length=200
        ),
    )
    if clinical and account.role not in CLINICAL_ROLES:
        add("role", "Choose Psychologist or Clinician.")
    if not clinical and account.role is not Role.ADMINISTRATOR:
        add("role", "The first account must be an administrator.")
    if not account.password:
        add("password", "Choose a password.")
    else:
        add("password", staff.password_problem(account.password, username=name))
        if password_again is not None and password_again != account.password:
            add("password_again", "The two passwords are not the same. Type them again.")
    return problems


def _prefixed(error: ValidationError, prefix: str) -> ValidationError:
    """The same problems, located on the account they are about."""
    return ValidationError([Problem(f"{prefix}.{p.where}", p.message) for p in error.problems])


def initialise(
    path: Path, key_store: KeyStore, admin: NewAccount, clinician: NewAccount | None
) -> SetupResult:
    """Create the encrypted database, its administrator and (optionally) a clinical account.

    Raises ``DatabaseExists`` if there is already a file at ``path``, and a
    ``ValidationError`` listing every problem with the accounts; in both cases nothing
    has been written. If anything fails after the database was created, it is removed
    and the key store is left untouched (the key is stored last).
    """
    path = Path(path)
    if path.exists():
        raise DatabaseExists(f"A database already exists at {path}; it has not been touched.")
    if taken := _key_file_taken(key_store):
        raise KeyStoreError(taken)
    problems = account_problems(admin, clinical=False)
    if clinician is not None:
        problems += account_problems(clinician, clinical=True, taken_usernames=[admin.username])
    if problems:
        raise ValidationError(problems)

    key = generate_key()
    database = engine.create_database(path, key)
    try:
        try:
            with database.transaction() as session:
                try:
                    admin_ref = staff.create_first_admin(
                        session, admin.username, admin.password, display_name=admin.display_name
                    )
                except ValidationError as error:
                    raise _prefixed(error, ADMIN) from None
                clinician_ref = None
                if clinician is not None:
                    try:
                        row = staff.add_user(
                            session,
                            admin_ref,
                            clinician.username,
                            role=clinician.role,
                            password=clinician.password,
                            display_name=clinician.display_name,
                        )
                    except ValidationError as error:
                        raise _prefixed(error, CLINICIAN) from None
                    # They chose this password themselves, here and now: no need to change it.
                    user = get_or_raise(session, StaffUser, row.id, "account")
                    user.must_change_password = False
                    clinician_ref = StaffRef(row.id, row.username, row.display_name, row.role)
        finally:
            database.close()
        key_store.put(path, key)
    except BaseException:
        engine.discard_database(path)
        raise
    return SetupResult(path.resolve(), recovery_key_from(key), admin_ref, clinician_ref)


def load_demo(
    database_path: Path,
    key_store: KeyStore,
    as_clinician: StaffRef,
    clients: int = DEFAULT_DEMO_CLIENTS,
) -> str:
    """Load a clearly marked demo caseload assigned to a clinical account; one line to show."""
    if not as_clinician.is_clinical:
        raise ValidationError("A demo caseload is loaded for a psychologist or clinician account.")
    key = key_store.get(database_path)
    database = engine.open_database(
        database_path, key, backup_dir=Path(database_path).parent / "backups", key_store=key_store
    )
    try:
        with database.transaction() as session:
            result = demo.load_demo_caseload(session, as_clinician, clients)
    finally:
        database.close()
    plural = "client" if result.clients == 1 else "clients"
    return (
        f"Loaded {result.clients:,} demo {plural} ({result.first_ref} to {result.last_ref}, "
        f"{result.sessions:,} sessions), assigned to {as_clinician.display_name}."
    )
