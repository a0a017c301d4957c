"""``sar`` from the command line: register, list, extend, review and release a subject
access request; one clear line, non-zero on error, and nothing written when it fails."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.unit.cli.test_cli import (
    ADMIN_PW,
    FIRST_PW,
    PSY_PW,
    Run,
    as_user,
    change_password,
    run,
)

CLIENT = "DEMO-00001"
TODAY = date.today()


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    """A database with an administrator, Dr Jones and a demo client assigned to her (with
    one victim recorded, as Person 1)."""
    path = tmp_path / "site" / "clinic.db"
    init = run(
        "init", "--db", str(path), "--admin", "Admin", "--password-stdin", stdin=f"{ADMIN_PW}\n"
    )
    assert init.code == 0, init.err
    user = as_user(
        path, "admin", ADMIN_PW, "user", "add", "dr.jones", "--role", "psychologist",
        "--display-name", "Dr Jones", extra=f"{FIRST_PW}\n",
    )  # fmt: skip
    assert user.code == 0, user.err
    change_password(path, "dr.jones", FIRST_PW, PSY_PW)
    assert as_user(path, "dr.jones", PSY_PW, "demo", "--clients", "1").code == 0
    return path


def jones(dbfile: Path, *args: str) -> Run:
    return as_user(dbfile, "dr.jones", PSY_PW, *args)


def register(dbfile: Path, *extra: str, received: date = TODAY) -> Run:
    return jones(
        dbfile, "sar", "register", "--client", CLIENT, "--received", received.isoformat(),
        "--requester", "The client", "--identity-method", "Passport seen", *extra,
    )  # fmt: skip


def test_a_request_is_registered_listed_reviewed_and_released(dbfile: Path, tmp_path: Path):
    registered = register(dbfile)
    assert registered.code == 0, registered.err
    assert registered.out.startswith(f"Registered subject access request 1 for {CLIENT}")
    assert registered.out.count("\n") == 1
    listed = jones(dbfile, "sar", "list")
    assert listed.code == 0, listed.err
    assert listed.out.startswith(f"1\t{CLIENT}\treceived {TODAY.isoformat()}\t")
    assert "serious-harm review needed" in listed.out

    out = tmp_path / "pack.pdf"
    refused = jones(dbfile, "sar", "release", "--request", "1", "--out", str(out))
    assert refused.code == 1
    assert "serious-harm review" in refused.err
    assert not out.exists() and not out.with_suffix(".json").exists()

    items = jones(dbfile, "sar", "items", "--request", "1")
    assert items.code == 0, items.err
    note = next(line.split("\t")[0] for line in items.out.splitlines() if "session_note:" in line)
    reviewed = jones(
        dbfile, "sar", "review", "--request", "1", "--decision", "release-with-items-withheld",
        "--reason", "Would distress", "--withhold", f"{note}=serious-harm",
    )  # fmt: skip
    assert reviewed.code == 0, reviewed.err
    assert "1 item withheld" in reviewed.out

    released = jones(dbfile, "sar", "release", "--request", "1", "--out", str(out))
    assert released.code == 0, released.err
    pdf = out.read_bytes()
    assert hashlib.sha256(pdf).hexdigest() in released.out
    document = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert note not in {i["key"] for s in document["pack"]["sections"] for i in s["items"]}
    assert any(r["exemption"] == "dpa-sch3-pt2-para5" for r in document["pack"]["redaction_log"])
    # Completed: off the open list, and in the client's register.
    assert jones(dbfile, "sar", "list").out == "No open subject access requests for your clients.\n"
    register_out = jones(dbfile, "register", "list", "--client", CLIENT)
    assert register_out.code == 0, register_out.err
    assert "Subject access disclosure" in register_out.out


def test_bad_input_changes_nothing(dbfile: Path, tmp_path: Path):
    future = register(dbfile, received=TODAY + timedelta(days=3))
    assert future.code == 1 and "cannot be in the future" in future.err
    assert jones(dbfile, "sar", "list").out == "No open subject access requests for your clients.\n"
    assert register(dbfile).code == 0
    bad_withhold = jones(
        dbfile, "sar", "review", "--request", "1", "--decision", "release-with-items-withheld",
        "--reason", "x", "--withhold", "session_note:1=because",
    )  # fmt: skip
    assert bad_withhold.code == 1 and "--withhold takes" in bad_withhold.err
    unknown = jones(
        dbfile, "sar", "review", "--request", "1", "--decision", "release-with-items-withheld",
        "--reason", "x", "--withhold", "session_note:99999=serious-harm",
    )  # fmt: skip
    assert unknown.code == 1 and "not an item of this pack" in unknown.err
    # Still awaiting review: nothing was recorded.
    assert "serious-harm review needed" in jones(dbfile, "sar", "list").out
    late = jones(
        dbfile, "sar", "extend", "--request", "1", "--reason", "x",
        "--to", (TODAY + timedelta(days=200)).isoformat(),
    )  # fmt: skip
    assert late.code == 1 and "at the latest" in late.err
    missing = jones(dbfile, "sar", "release", "--request", "7", "--out", str(tmp_path / "x.pdf"))
    assert missing.code == 1
    assert list(tmp_path.glob("x.*")) == []


def test_an_extension_and_a_third_partys_consent(dbfile: Path):
    assert register(dbfile).code == 0
    extended = jones(dbfile, "sar", "extend", "--request", "1", "--reason", "Complex request")
    assert extended.code == 0, extended.err
    assert "Tell the requester" in extended.out
    assert "extended" in jones(dbfile, "sar", "list").out
    consent = jones(
        dbfile, "sar", "consent", "--client", CLIENT, "--person", "Person 1",
        "--on", TODAY.isoformat(),
    )  # fmt: skip
    assert consent.code == 0, consent.err
    assert "Person 1" in consent.out
    neither = jones(dbfile, "sar", "consent", "--client", CLIENT, "--person", "Person 1")
    assert neither.code == 1
