"""Shared fixtures: an in-memory credential store, a fresh encrypted database, staff."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A view that runs a use case on the GUI thread fails the test instead of logging it.
os.environ["CLINIC_APP_STRICT_THREADS"] = "1"

from clinic_app.storage.engine import Database, create_database
from clinic_app.storage.keys import generate_key


class MemoryKeyring(KeyringBackend):
    """A credential store that lives in memory, so tests never touch the developer's own."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run only when asked for: ``-m slow`` or CLINIC_APP_SLOW_TESTS=1."""
    asked = "slow" in (config.getoption("markexpr", "") or "")
    if asked or os.environ.get("CLINIC_APP_SLOW_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or CLINIC_APP_SLOW_TESTS=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    """Every test gets an empty credential store and its own data directory."""
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    monkeypatch.setenv("CLINIC_APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CLINIC_APP_KEY_FILE", raising=False)
    yield store
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def app_logger_restored() -> Iterator[None]:
    """The command line sets up the app's log file; each test starts from Python's default."""
    import logging

    yield
    logger = logging.getLogger("clinic_app")
    for handler in [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]:
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def own_password(database: Database, username: str) -> None:
    """As if ``username`` had changed the password an administrator set (the command line
    refuses everything else until they do)."""
    from sqlalchemy import update

    from clinic_app.models import StaffUser

    with database.transaction() as session:
        session.execute(
            update(StaffUser)
            .where(StaffUser.username == username)
            .values(must_change_password=False)
        )


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server (15+) for the whole run, stopped at its end.

    Started from the distribution's binaries as an unprivileged user, in a temporary
    folder, on a free port, TLS with a test certificate authority (see tests/pg_server.py).
    Skipped, saying why, only when the binaries are not installed.
    """
    from tests.pg_server import PgServer, find_binaries

    folder = find_binaries()
    if folder is None:
        pytest.skip(
            "PostgreSQL 15 or newer is not installed (Debian package 'postgresql'; "
            "`python3 dev.py test` installs it when run as root)"
        )
    server = PgServer.start(folder)
    yield server
    server.stop()


@pytest.fixture
def db_key() -> bytes:
    return generate_key()


SITE_OWNER = "clinic_owner"
SITE_OWNER_PASSWORD = "owner password 1"
SITE_TEMPLATE = "clinic_site_template"
SITE_ENGINES_VARIABLE = "CLINIC_APP_SITE_TESTS"


@pytest.fixture(scope="session")
def pg_owner(pg_server):  # type: ignore[no-untyped-def]
    """A site's schema owner: may create roles (for staff), is not a superuser."""
    with pg_server.superuser() as conn:
        conn.execute(
            f"CREATE ROLE {SITE_OWNER} LOGIN CREATEROLE NOSUPERUSER "
            f"PASSWORD '{SITE_OWNER_PASSWORD}'"
        )
    return SITE_OWNER


@pytest.fixture(scope="session")
def site_template(pg_server, pg_owner):  # type: ignore[no-untyped-def]
    """A database at the newest migration with the site's security, copied for each test."""
    from clinic_app.services.site_security import apply_security
    from clinic_app.storage import migrations
    from clinic_app.storage.site import SiteSettings, connect_engine

    with pg_server.superuser() as conn:
        conn.execute(f"CREATE DATABASE {SITE_TEMPLATE} OWNER {pg_owner}")
    settings = SiteSettings(
        host=pg_server.host, port=pg_server.port, database=SITE_TEMPLATE, ca_file=pg_server.ca_file
    )
    engine = connect_engine(settings, pg_owner, SITE_OWNER_PASSWORD)
    with engine.begin() as conn:
        migrations.upgrade_on(conn)
        apply_security(conn)
    engine.dispose()
    return SITE_TEMPLATE


_site_numbers = iter(range(1, 1_000_000))


@pytest.fixture
def site_db(pg_server, pg_owner, site_template):  # type: ignore[no-untyped-def]
    """A fresh site database (copied from the template), used on the owner's connection.

    The owner is bound by the forced row-level security like everyone, with a policy that
    allows it everything: the services' own checks decide, as at a workstation.
    """
    from sqlalchemy.orm import sessionmaker

    from clinic_app.storage.site import SiteDatabase, SiteSettings, connect_engine

    name = f"clinic_test_{next(_site_numbers)}"
    with pg_server.superuser() as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {site_template} OWNER {pg_owner}")
    settings = SiteSettings(
        host=pg_server.host, port=pg_server.port, database=name, ca_file=pg_server.ca_file
    )
    engine = connect_engine(settings, pg_owner, SITE_OWNER_PASSWORD)
    yield SiteDatabase(settings, pg_owner, engine, sessionmaker(engine, expire_on_commit=False))
    engine.dispose()
    with pg_server.superuser() as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The service tests run on both engines when CLINIC_APP_SITE_TESTS=1 (see ``db``).

    CLINIC_APP_SITE_TESTS=only runs them on the site engine alone.
    """
    wanted = os.environ.get(SITE_ENGINES_VARIABLE)
    if "db" not in metafunc.fixturenames or wanted not in {"1", "only"}:
        return
    if metafunc.definition.get_closest_marker("workstation_engine") is not None:
        return  # checks the workstation engine itself: its SQLite, its file, its CLI
    if "tests/unit/services" not in Path(str(metafunc.definition.path)).as_posix():
        return
    engines = ["site"] if wanted == "only" else ["workstation", "site"]
    metafunc.parametrize("db", engines, indirect=True)


@pytest.fixture
def db(request: pytest.FixtureRequest, tmp_path: Path, db_key: bytes) -> Iterator[Database]:
    """The database a test works on: a workstation file, or (``site``) a PostgreSQL site.

    The service tests are parametrised over both engines when CLINIC_APP_SITE_TESTS=1.
    """
    if getattr(request, "param", "workstation") == "site":
        yield request.getfixturevalue("site_db")
        return
    database = create_database(tmp_path / "clinic.db", db_key)
    yield database
    database.close()


# -- staff and clients -------------------------------------------------------------------------

ADMIN_PASSWORD = "admin password 1"
STAFF_PASSWORD = "staff password 1"


def _add(database: Database, admin: object, username: str, role: str) -> object:
    from clinic_app.models.enums import Role
    from clinic_app.services import staff
    from clinic_app.services.common import StaffRef

    with database.transaction() as session:
        row = staff.add_user(
            session,
            admin,  # type: ignore[arg-type]
            username,
            role=Role(role),
            password=STAFF_PASSWORD,
            display_name=username.replace(".", " ").title(),
        )
    return StaffRef(row.id, row.username, row.display_name, row.role)


@pytest.fixture
def admin(db: Database):  # type: ignore[no-untyped-def]
    from clinic_app.services import staff

    with db.transaction() as session:
        return staff.create_first_admin(session, "admin", ADMIN_PASSWORD, display_name="Admin")


@pytest.fixture
def psychologist(db: Database, admin):  # type: ignore[no-untyped-def]
    return _add(db, admin, "dr.jones", "psychologist")


@pytest.fixture
def clinician(db: Database, admin):  # type: ignore[no-untyped-def]
    return _add(db, admin, "nurse.patel", "clinician")


def client_details(**overrides):  # type: ignore[no-untyped-def]
    """Valid details of a (non-demo) client; override any field."""
    from datetime import date

    from clinic_app.models.enums import ConsentToShare
    from clinic_app.services.clients import ClientDetails

    values = {
        "local_ref": "MASIP-0001",
        "given_name": "Alex",
        "family_name": "Example",
        "date_of_birth": date(1985, 4, 12),
        "site": "North",
        "referral_date": date(2026, 1, 5),
        "nhs_number": "943 476 5919",
        "police_ref": "PR/12345",
        "referral_source": "Police",
        # The client agreed to information being shared (tests of sharing on consent).
        "consent_to_share": ConsentToShare.GIVEN,
    }
    values.update(overrides)
    return ClientDetails(**values)


@pytest.fixture
def client_id(db: Database, psychologist) -> int:  # type: ignore[no-untyped-def]
    from clinic_app.services import clients

    with db.transaction() as session:
        return clients.register_client(session, psychologist, client_details()).id
