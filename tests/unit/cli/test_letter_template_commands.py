"""``letter-template``: administrators keep the wording of letters from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.test_cli import ADMIN_PW, FIRST_PW, PSY_PW, as_user, change_password, run


@pytest.fixture
def initialised(tmp_path: Path) -> tuple[Path, str]:
    """A database with its administrator and Dr Jones, a psychologist."""
    dbfile = tmp_path / "site" / "clinic.db"
    init = run(
        "init", "--db", str(dbfile), "--admin", "Admin", "--password-stdin", stdin=f"{ADMIN_PW}\n"
    )
    assert init.code == 0, init.err
    added = as_user(
        dbfile, "admin", ADMIN_PW, "user", "add", "dr.jones", "--role", "psychologist",
        "--display-name", "Dr Jones", extra=f"{FIRST_PW}\n",
    )  # fmt: skip
    assert added.code == 0, added.err
    change_password(dbfile, "dr.jones", FIRST_PW, PSY_PW)
    return dbfile, ""


def test_the_wording_is_listed_changed_shown_and_restored(initialised):
    dbfile, _ = initialised
    listed = as_user(dbfile, "admin", ADMIN_PW, "letter-template", "list")
    assert listed.code == 0, listed.err
    assert "did_not_attend\tDid-not-attend letter\tbuilt-in wording" in listed.out
    changed = as_user(
        dbfile, "admin", ADMIN_PW, "letter-template", "set", "gp_update",
        "--salutation", "Dear Dr,", "--body", "About {client_name} ({case_reference}).",
        "--sign-off", "With best wishes,",
    )  # fmt: skip
    assert changed.code == 0, changed.err
    shown = as_user(dbfile, "admin", ADMIN_PW, "letter-template", "show", "gp_update")
    assert "About {client_name} ({case_reference})." in shown.out
    assert "Sign-off: With best wishes," in shown.out
    restored = as_user(dbfile, "admin", ADMIN_PW, "letter-template", "restore", "gp_update")
    assert restored.code == 0, restored.err
    listed = as_user(dbfile, "admin", ADMIN_PW, "letter-template", "list")
    assert "gp_update\tGP update letter\tbuilt-in wording" in listed.out


def test_an_unknown_placeholder_is_refused_and_nothing_changes(initialised):
    dbfile, _ = initialised
    refused = as_user(
        dbfile, "admin", ADMIN_PW, "letter-template", "set", "referral",
        "--salutation", "Dear {gp_name},", "--body", "x", "--sign-off", "Yours,",
    )  # fmt: skip
    assert refused.code != 0
    assert "{gp_name}, which a letter cannot fill" in refused.err
    listed = as_user(dbfile, "admin", ADMIN_PW, "letter-template", "list")
    assert "referral\tReferral letter\tbuilt-in wording" in listed.out


def test_only_administrators_change_the_wording(initialised):
    dbfile, _ = initialised
    refused = as_user(
        dbfile, "dr.jones", PSY_PW, "letter-template", "set", "referral",
        "--salutation", "Hi,", "--body", "x", "--sign-off", "Bye,",
    )  # fmt: skip
    assert refused.code != 0
    assert "administrator" in refused.err
