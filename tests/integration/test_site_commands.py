"""``clinic-app site init`` and ``site connect`` against the real server."""

from __future__ import annotations

import io
import json

import psycopg

from clinic_app import cli
from clinic_app.errors import StorageError
from clinic_app.storage import site as site_storage
from tests.integration.conftest import OWNER, OWNER_PASSWORD


def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _where(pg_server, database: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "--host", pg_server.host, "--port", str(pg_server.port), "--database", database,
        "--ca-file", str(pg_server.ca_file),
    ]  # fmt: skip


def test_site_init_prepares_a_site_whose_administrator_signs_in_as_themselves(pg_server, pg_owner):
    with pg_server.superuser() as conn:
        conn.execute(f"CREATE DATABASE cli_site OWNER {pg_owner}")
    code, out, err = run(
        "site", "init", *_where(pg_server, "cli_site"), "--owner", pg_owner,
        "--admin", "cli.admin", "--admin-name", "Ada Admin", "--password-stdin",
        stdin=f"{OWNER_PASSWORD}\nadmin password 2\n",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert "Site 'cli_site' is ready" in out and "'cli.admin'" in out
    conninfo = site_storage.SiteSettings(
        host=pg_server.host, port=pg_server.port, database="cli_site", ca_file=pg_server.ca_file
    ).conninfo("cli.admin", "admin password 2")
    site_storage.open_gate(
        site_storage.SiteSettings(
            host=pg_server.host,
            port=pg_server.port,
            database="cli_site",
            ca_file=pg_server.ca_file,
        ),
        "cli.admin",
    )
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT clinic_staff_id()").fetchone()[0] is not None
        member = conn.execute("SELECT pg_has_role('administrator', 'MEMBER')").fetchone()[0]
        assert member is True
    with pg_server.superuser() as conn:
        verifier = conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = 'cli.admin'"
        ).fetchone()[0]
    assert verifier.startswith("SCRAM-SHA-256$")
    # A second run is refused and changes nothing.
    code, _, err = run(
        "site", "init", *_where(pg_server, "cli_site"), "--owner", pg_owner,
        "--admin", "someone.else", "--password-stdin",
        stdin=f"{OWNER_PASSWORD}\nadmin password 3\n",
    )  # fmt: skip
    assert code != 0 and "already has accounts" in err


def test_site_init_with_a_wrong_owner_password_says_so(pg_server, pg_owner):
    code, _, err = run(
        "site", "init", *_where(pg_server, "postgres"), "--owner", pg_owner,
        "--admin", "x.admin", "--password-stdin", stdin="wrong\nadmin password 2\n",
    )  # fmt: skip
    assert code != 0
    assert "username or password is not right" in err


def test_site_connect_writes_the_setting_without_any_password(pg_server, tmp_path):
    code, out, err = run("site", "connect", *_where(pg_server, "clinic"))
    assert (code, err) == (0, ""), err
    written = json.loads((tmp_path / "data" / "site.json").read_text())
    assert written["sslmode"] == "verify-full"
    assert written["database"] == "clinic"
    assert "password" not in json.dumps(written).lower()
    assert site_storage.configured_site() == site_storage.SiteSettings.from_json(written)
    assert "verify-full" in out


def test_a_weaker_tls_mode_needs_an_explicit_choice_which_is_logged(pg_server, tmp_path):
    code, _, err = run("site", "connect", *_where(pg_server, "clinic"), "--sslmode", "require")
    assert code != 0 and "explicitly" in err
    assert not (tmp_path / "data" / "site.json").exists()
    code, out, err = run(
        "site", "connect", *_where(pg_server, "clinic"), "--sslmode", "require",
        "--allow-weaker-tls",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert "weaker than verify-full" in out
    log = (tmp_path / "data" / "logs" / "clinic-app.log").read_text()
    assert "chose the weaker TLS mode require" in log


def test_the_machine_setting_is_used_when_the_user_has_none(pg_server, tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_APP_MACHINE_DIR", str(tmp_path / "machine"))
    code, _, err = run("site", "connect", "--machine", *_where(pg_server, "team"))
    assert (code, err) == (0, ""), err
    settings = site_storage.configured_site()
    assert settings is not None and settings.database == "team"


def test_a_setting_holding_a_password_is_refused(tmp_path):
    path = tmp_path / "site.json"
    path.write_text(json.dumps({"host": "db", "database": "clinic", "password": "x"}))
    try:
        site_storage.read_settings(path)
    except site_storage.SiteSettingsError as exc:
        assert "never allowed" in exc.message
    else:
        raise AssertionError("a password in the settings was accepted")


def test_an_unreachable_site_is_said_in_one_plain_sentence(pg_server):
    from tests.pg_server import _free_port

    nowhere = site_storage.SiteSettings(
        host=pg_server.host, port=_free_port(), database="clinic", ca_file=pg_server.ca_file
    )
    try:
        site_storage.open_site(nowhere, "anyone", "any password")
    except StorageError as exc:
        assert exc.message == site_storage.UNREACHABLE_MESSAGE
    else:
        raise AssertionError("connected to a port where nothing listens")


def test_a_wrong_password_at_a_site_is_refused_plainly(pg_server, pg_owner):
    settings = site_storage.SiteSettings(
        host=pg_server.host, port=pg_server.port, database="postgres", ca_file=pg_server.ca_file
    )
    try:
        site_storage.open_site(settings, pg_owner, "not the password")
    except site_storage.SiteSignInError as exc:
        assert "password is not right" in exc.message
    else:
        raise AssertionError("a wrong password was accepted")


def test_site_upgrade_reapplies_the_security_and_changes_nothing_else(fresh_site, pg_server):
    from sqlalchemy import text

    def policies() -> list[tuple[str, str]]:
        with fresh_site.owner.connect() as conn:
            rows = conn.execute(text("SELECT tablename, policyname FROM pg_policies ORDER BY 1, 2"))
            return [tuple(row) for row in rows]

    before = policies()
    code, out, err = run(
        "site", "upgrade", *_where(pg_server, fresh_site.settings.database),
        "--owner", OWNER, "--password-stdin", stdin=f"{OWNER_PASSWORD}\n",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert "security is up to date" in out
    assert policies() == before


def test_a_site_taken_back_a_migration_and_upgraded_again_is_secured_again(fresh_site):
    from alembic import command
    from sqlalchemy import text

    from clinic_app.services import site
    from clinic_app.storage import migrations

    def policies() -> set[tuple[str, str]]:
        with fresh_site.owner.connect() as conn:
            rows = conn.execute(text("SELECT tablename, policyname FROM pg_policies"))
            return {tuple(row) for row in rows}

    before = policies()
    config = migrations._config()
    with fresh_site.owner.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    # Closed, not open: the functions the clinical policies use are gone, and those
    # policies with them; the tables stay forced, so clinical staff see nothing. What is
    # left is a policy deferring to a parent table's, which has none left to pass.
    from clinic_app.services.site_security import client_tables

    data = {entry.name: entry for entry in client_tables()}
    left = {(t, name) for t, name in policies() if "clinical" in name and t in data}
    direct = {(t, name) for t, name in left if not data[t].client_expr.startswith("clinic_")}
    assert direct == {("client", "clinic_clinical_register")}  # may add, not read

    def opens(table: str) -> bool:
        """Whether a clinical user could read rows of ``table`` through what is left."""
        if not {n for t, n in left if t == table} - {"clinic_clinical_register"}:
            return False
        reach = data[table].client_expr
        if not reach.startswith("clinic_client_of_"):
            return True
        return opens(reach.split("(")[0].removeprefix("clinic_client_of_"))

    assert not [t for t in data if opens(t)]
    assert site.upgrade_site(fresh_site.owner) == migrations.scripts_head()
    assert policies() == before
