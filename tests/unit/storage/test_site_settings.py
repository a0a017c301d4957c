"""A site setting names a server and how it is checked, never a password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinic_app.storage import site
from clinic_app.storage.site import SiteSettings, SiteSettingsError


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return path


def test_verify_full_is_the_default_and_needs_the_ca_file(ca: Path) -> None:
    assert SiteSettings("db.trust", "clinic").sslmode == "verify-full"
    assert any("CA file" in p for p in SiteSettings("db.trust", "clinic").problems())
    assert SiteSettings("db.trust", "clinic", ca_file=ca).problems() == []


@pytest.mark.parametrize("mode", ["require", "verify-ca"])
def test_a_weaker_mode_needs_an_explicit_choice(ca: Path, mode: str) -> None:
    refused = SiteSettings("db.trust", "clinic", sslmode=mode, ca_file=ca)
    assert any("explicitly" in p for p in refused.problems())
    allowed = SiteSettings("db.trust", "clinic", sslmode=mode, ca_file=ca, allow_weaker_tls=True)
    assert allowed.problems() == []


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "nonsense"])
def test_modes_that_may_not_encrypt_are_never_allowed(ca: Path, mode: str) -> None:
    settings = SiteSettings("h", "d", sslmode=mode, ca_file=ca, allow_weaker_tls=True)
    with pytest.raises(SiteSettingsError, match="not allowed"):
        settings.check()


def test_the_connection_string_carries_the_password_only_when_signing_in(ca: Path) -> None:
    settings = SiteSettings("db.trust", "clinic", port=6543, ca_file=ca)
    saved = json.dumps(settings.to_json())
    assert "password" not in saved
    conninfo = settings.conninfo("dr.jones", "it's a secret")
    assert "sslmode=verify-full" in conninfo and f"sslrootcert={ca}" in conninfo
    assert "port=6543" in conninfo and "user=dr.jones" in conninfo


def test_settings_round_trip_and_the_users_own_wins(
    ca: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_APP_MACHINE_DIR", str(tmp_path / "machine"))
    assert site.configured_site() is None
    machine = SiteSettings("machine.trust", "clinic", ca_file=ca)
    site.write_settings(machine, site.machine_settings_path())
    assert site.configured_site() == machine
    mine = SiteSettings("mine.trust", "clinic", ca_file=ca)
    site.write_settings(mine, site.user_settings_path())
    assert site.configured_site() == mine


def test_a_refused_setting_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "site.json"
    with pytest.raises(SiteSettingsError):
        site.write_settings(SiteSettings("", "clinic"), path)
    assert not path.exists()


@pytest.mark.parametrize(
    "content",
    ['{"host": "h"}', "not json", "[1, 2]", '{"host": "h", "database": "d", "port": "x"}'],
)
def test_a_damaged_setting_is_reported_plainly(tmp_path: Path, content: str) -> None:
    path = tmp_path / "site.json"
    path.write_text(content)
    with pytest.raises(SiteSettingsError, match=r"damaged|incomplete"):
        site.read_settings(path)


@pytest.mark.parametrize(
    ("said", "meaning"),
    [
        ('FATAL:  database "masip" does not exist', "has no database called 'masip'"),
        # A host whose name holds "database" is not a missing database.
        (
            'connection to server at "clinic-database.trust.nhs.uk" failed: FATAL:  role '
            '"clinic_gate" does not exist',
            "is not a clinic-app site",
        ),
        (
            'FATAL:  no pg_hba.conf entry for host "10.1.2.3", user "clinic_gate", database '
            '"masip", SSL encryption',
            "refuses connections from this computer",
        ),
        ('FATAL:  permission denied for database "masip"', "is not a clinic-app site"),
        (
            "SSL error: certificate verify failed",
            "certificate does not match the settings",
        ),
        ("connection refused", "cannot be reached"),
    ],
)
def test_a_refused_check_of_a_site_is_said_as_what_it_means(ca: Path, said, meaning) -> None:
    settings = SiteSettings(host="clinic-database.trust.nhs.uk", database="masip", ca_file=ca)
    assert meaning in site._check_failure(settings, said).message
