"""The command line at a site: ``--user`` signs in as their own login role, and ``user``
manages login roles and their groups; ``backup`` explains the trust's backups."""

from __future__ import annotations

import pytest

from clinic_app.config import FAILED_SIGN_INS_BEFORE_LOCKOUT
from clinic_app.services import site
from clinic_app.storage import site as site_storage
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD
from tests.integration.test_site_commands import run

NEW = "a brand new password 9"


@pytest.fixture
def connected(fresh_site):  # type: ignore[no-untyped-def]
    """This computer (the test's data folder) is pointed at the fresh site."""
    site.connect_workstation(fresh_site.settings)
    return fresh_site


def _member_of(where, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    with where.raw(name, NEW) as conn:
        rows = conn.execute(
            "SELECT g FROM unnest(ARRAY['psychologist','clinician','administrator']) g "
            "WHERE pg_has_role(g, 'MEMBER')"
        ).fetchall()
    return [row[0] for row in rows]


def test_user_commands_at_a_site_manage_login_roles(connected):
    admin = connected.admin.username
    name = f"{connected.prefix}.newbie"
    code, out, err = run(
        "user", "add", name, "--role", "clinician", "--user", admin, "--password-stdin",
        stdin=f"{ADMIN_PASSWORD}\n{STAFF_PASSWORD}\n",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert f"'{name}'" in out

    code, out, err = run("user", "list", "--user", admin, "--password-stdin", stdin=ADMIN_PASSWORD)
    assert code == 0, err
    assert name in out

    # They sign in, and must choose their own password first; the server checks both.
    code, _, err = run("user", "list", "--user", name, "--password-stdin", stdin=STAFF_PASSWORD)
    assert code != 0 and "must be changed first" in err
    code, out, err = run(
        "password", "change", "--user", name, "--password-stdin", stdin=f"{STAFF_PASSWORD}\n{NEW}\n"
    )
    assert (code, err) == (0, ""), err
    with pytest.raises(site_storage.SiteSignInError):
        site_storage.check_password(connected.settings, name, STAFF_PASSWORD)
    site_storage.check_password(connected.settings, name, NEW)

    # A role change moves the login role to that group alone.
    assert _member_of(connected, name) == ["clinician"]
    code, out, err = run(
        "user", "role", name, "psychologist", "--user", admin, "--password-stdin",
        stdin=ADMIN_PASSWORD,
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    assert _member_of(connected, name) == ["psychologist"]

    # Locked by the server after repeated wrong passwords; an administrator unlocks it.
    for _ in range(FAILED_SIGN_INS_BEFORE_LOCKOUT.default):
        code, _, err = run("user", "list", "--user", name, "--password-stdin", stdin="wrong\n")
        assert code != 0 and "password is not right" in err
    code, _, err = run("user", "list", "--user", name, "--password-stdin", stdin=NEW)
    assert code != 0 and "locked until" in err
    code, out, err = run(
        "user", "unlock", name, "--user", admin, "--password-stdin", stdin=ADMIN_PASSWORD
    )
    assert (code, err) == (0, ""), err
    site_storage.check_password(connected.settings, name, NEW)

    # Reset: a temporary password on the login role; disable: it cannot connect at all.
    code, _, err = run(
        "user", "reset", name, "--user", admin, "--password-stdin",
        stdin=f"{ADMIN_PASSWORD}\n{STAFF_PASSWORD}\n",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    site_storage.check_password(connected.settings, name, STAFF_PASSWORD)
    code, _, err = run(
        "user", "disable", name, "--user", admin, "--password-stdin", stdin=ADMIN_PASSWORD
    )
    assert (code, err) == (0, ""), err
    with pytest.raises(site_storage.SiteSignInError):
        site_storage.check_password(connected.settings, name, STAFF_PASSWORD)
    code, _, err = run(
        "user", "enable", name, "--user", admin, "--password-stdin", stdin=ADMIN_PASSWORD
    )
    assert (code, err) == (0, ""), err
    site_storage.check_password(connected.settings, name, STAFF_PASSWORD)


def test_a_command_at_a_site_needs_the_user_and_says_which_site(connected):
    code, _, err = run("user", "list", "--password-stdin", stdin=ADMIN_PASSWORD)
    assert code != 0
    assert connected.settings.database in err and "--user" in err


def test_backup_at_a_site_explains_the_trusts_backups(connected, tmp_path):
    code, out, err = run(
        "backup", "--out", str(tmp_path / "b.db"), "--user", connected.admin.username,
        "--password-stdin", stdin=ADMIN_PASSWORD,
    )  # fmt: skip
    assert code != 0 and out == ""
    assert "PostgreSQL backups" in err and "site-mode.md" in err
    assert "Traceback" not in err and not (tmp_path / "b.db").exists()


def test_an_unreachable_site_is_said_plainly(fresh_site):
    away = site_storage.SiteSettings(
        host="127.0.0.1",
        port=1,  # nothing listens there
        database=fresh_site.settings.database,
        sslmode="require",
        allow_weaker_tls=True,
    )
    site.connect_workstation(away)
    code, _, err = run("user", "list", "--user", "x.y", "--password-stdin", stdin="pw\n")
    assert code != 0
    assert err.strip() == f"clinic-app: {site_storage.UNREACHABLE_MESSAGE}"


def test_a_site_certificate_that_does_not_match_is_said_plainly(fresh_site, tmp_path):
    from tests.pg_server import make_certificates

    other_ca, _, _ = make_certificates(tmp_path / "other")
    wrong = site_storage.SiteSettings(
        host=fresh_site.settings.host,
        port=fresh_site.settings.port,
        database=fresh_site.settings.database,
        ca_file=other_ca,
    )
    site.connect_workstation(wrong)
    code, _, err = run("user", "list", "--user", "x.y", "--password-stdin", stdin="pw\n")
    assert code != 0
    assert "certificate" in err and "Traceback" not in err
