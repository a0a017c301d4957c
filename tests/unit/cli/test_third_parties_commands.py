"""``third-party`` and ``protective-measure`` from the command line: one clear line, nothing
written on error, and no name printed unless asked for."""

from __future__ import annotations

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
    """A database with an administrator, Dr Jones and two demo clients assigned to her.

    Each demo client already has one victim recorded, as Person 1.
    """
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
    assert as_user(path, "dr.jones", PSY_PW, "demo", "--clients", "2").code == 0
    return path


def jones(dbfile: Path, *args: str) -> Run:
    return as_user(dbfile, "dr.jones", PSY_PW, *args)


def listing(dbfile: Path, *extra: str) -> str:
    result = jones(dbfile, "third-party", "list", "--client", CLIENT, *extra)
    assert result.code == 0, result.err
    return result.out


def add_sarah(dbfile: Path, *extra: str) -> Run:
    return jones(
        dbfile, "third-party", "add", "--client", CLIENT, "--relation", "victim",
        "--name", "Sarah Jones", "--alias", "Sarah Smith", "--alias", "sj_runs",
        "--address", "14 Elm Road, Leyton, E10 5AB", "--phone", "07700 900123",
        "--email", "sarah.jones@example.org", "--vehicle", "ab12 cde",
        "--advocate-service", "Paladin", "--advocate-contact", "A. Advocate",
        "--wishes", "No contact of any kind.", *extra,
    )  # fmt: skip


def test_a_victim_is_recorded_and_listed_by_label_without_her_name(dbfile):
    added = add_sarah(dbfile)
    assert added.code == 0, added.err
    assert added.out == f"Recorded Person 2 (victim) for {CLIENT}.\n"
    out = listing(dbfile)
    assert out.splitlines() == [
        "Person 1\tVictim\tcurrent\t0 measures in force",
        "Person 2\tVictim\tcurrent\t0 measures in force",
    ]
    for secret in ("Sarah", "Elm Road", "07700", "AB12", "Vera Demovictim"):
        assert secret not in out
    detailed = listing(dbfile, "--show-details")
    for shown in (
        "Person 2\tname\tSarah Jones",
        "Person 2\tother names\tSarah Smith; sj_runs",
        "Person 2\taddresses and places\t14 Elm Road, Leyton, E10 5AB",
        "Person 2\tvehicles\tAB12 CDE",
        "Person 2\twishes and concerns\tNo contact of any kind.",
        "Person 1\tname\tVera Demovictim",
    ):
        assert shown in detailed.splitlines()


def test_a_protective_measure_is_recorded_listed_and_revoked(dbfile):
    ends = TODAY + timedelta(days=10)
    added = jones(
        dbfile, "protective-measure", "add", "--client", CLIENT, "--person", "person 1",
        "--kind", "stalking_protection_order", "--from", (TODAY - timedelta(days=30)).isoformat(),
        "--to", ends.isoformat(), "--forbids", "Contacting her by any means.",
        "--reference", "SPO 2026/114",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert added.out.startswith(f"Recorded stalking protection order for Person 1 of {CLIENT} as ")
    out = listing(dbfile)
    assert "Person 1\tVictim\tcurrent\t1 measure in force, 1 EXPIRING" in out
    assert (
        f"Person 1\tmeasure 1\tStalking protection order\tfrom "
        f"{(TODAY - timedelta(days=30)).isoformat()}\tuntil {ends.isoformat()}\t"
        "Expiring (ends within 28 days)"
    ) in out
    assert "Contacting her" not in out and "SPO 2026/114" not in out
    assert "forbids\tContacting her by any means." in listing(dbfile, "--show-details")
    revoked = jones(
        dbfile, "protective-measure", "revoke", "--client", CLIENT, "--person", "Person 1",
        "--measure", "1", "--on", TODAY.isoformat(),
    )  # fmt: skip
    assert revoked.code == 0, revoked.err
    assert f"as revoked on {TODAY.isoformat()}" in revoked.out
    assert f"\tRevoked\trevoked {TODAY.isoformat()}" in listing(dbfile)


def test_a_persons_record_is_ended_never_deleted(dbfile):
    ended = jones(
        dbfile, "third-party", "end", "--client", CLIENT, "--person", "Person 1",
        "--on", TODAY.isoformat(), "--reason", "No longer at risk.",
    )  # fmt: skip
    assert ended.code == 0, ended.err
    assert "nothing was deleted" in ended.out
    assert listing(dbfile).splitlines() == [
        f"Person 1\tVictim\tended {TODAY.isoformat()}\t0 measures in force"
    ]
    again = jones(
        dbfile, "third-party", "end", "--client", CLIENT, "--person", "Person 1",
        "--on", TODAY.isoformat(), "--reason", "Again.",
    )  # fmt: skip
    assert again.code == 1
    assert again.err == "clinic-app: --on: This person's record has already been ended.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("third-party", "add", "--client", CLIENT, "--relation", "victim", "--name", "Sarah",
             "--phone", "call me"),
            "clinic-app: --phone: 'call me' does not look like one of the phone numbers.\n",
        ),
        (
            ("third-party", "add", "--client", CLIENT, "--relation", "victim", "--name", "  "),
            "clinic-app: --name: The name is required.\n",
        ),
        (
            ("third-party", "add", "--client", "NOBODY-1", "--relation", "victim", "--name", "S"),
            "clinic-app: There is no client with the case reference 'NOBODY-1'.\n",
        ),
        (
            ("third-party", "end", "--client", CLIENT, "--person", "Person 7",
             "--on", TODAY.isoformat(), "--reason", "x"),
            f"clinic-app: There is no 'Person 7' recorded for {CLIENT}; 'clinic-app third-party "
            f"list --client {CLIENT}' shows who is.\n",
        ),
        (
            ("third-party", "end", "--client", CLIENT, "--person", "Person 1",
             "--on", (TODAY + timedelta(days=1)).isoformat(), "--reason", "x"),
            "clinic-app: --on: The date cannot be in the future.\n",
        ),
        (
            ("protective-measure", "add", "--client", CLIENT, "--person", "Person 1", "--kind",
             "restraining_order", "--from", "2026-03-01", "--to", "2026-02-01", "--forbids", "x"),
            "clinic-app: --to: The end date cannot be before the start date.\n",
        ),
        (
            ("protective-measure", "revoke", "--client", CLIENT, "--person", "Person 1",
             "--measure", "1", "--on", TODAY.isoformat()),
            f"clinic-app: Person 1 of {CLIENT} has 0 protective measures; there is no measure 1. "
            f"'clinic-app third-party list --client {CLIENT}' numbers them.\n",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_one_plain_line_and_changes_nothing(dbfile, args, message):
    before = listing(dbfile, "--show-details")
    result = jones(dbfile, *args)
    assert (result.code, result.out, result.err) == (1, "", message)
    assert listing(dbfile, "--show-details") == before


def test_a_date_that_is_not_a_date_is_refused_before_anything_runs(dbfile, capsys):
    with pytest.raises(SystemExit) as caught:
        jones(
            dbfile, "third-party", "end", "--client", CLIENT, "--person", "Person 1",
            "--on", "31/03/2026", "--reason", "x",
        )  # fmt: skip
    assert caught.value.code == 2
    assert "'31/03/2026' is not a date; write it as YYYY-MM-DD" in capsys.readouterr().err
    assert "ended" not in listing(dbfile)


def test_an_administrator_cannot_read_or_record_a_victim(dbfile):
    for args in (
        ("third-party", "list", "--client", CLIENT, "--show-details"),
        ("third-party", "add", "--client", CLIENT, "--relation", "victim", "--name", "S"),
    ):
        result = as_user(dbfile, "admin", ADMIN_PW, *args)
        assert result.code == 1 and result.out == ""
        assert result.err.startswith("clinic-app: ") and len(result.err.splitlines()) == 1
        assert "Vera Demovictim" not in result.err
    assert len(listing(dbfile).splitlines()) == 1


def test_measures_are_numbered_by_when_they_start(dbfile):
    def add(kind: str, starts: str) -> Run:
        return jones(
            dbfile, "protective-measure", "add", "--client", CLIENT, "--person", "Person 1",
            "--kind", kind, "--from", starts, "--forbids", "No contact.",
        )  # fmt: skip

    assert "as measure 1," in add("stalking_protection_order", "2026-01-10").out
    # An older order recorded later comes first, and the revoke numbers follow the list.
    assert "as measure 1," in add("restraining_order", "2024-01-01").out
    lines = [line for line in listing(dbfile).splitlines() if "\tmeasure " in line]
    assert [line.split("\t")[1:3] for line in lines] == [
        ["measure 1", "Restraining order"],
        ["measure 2", "Stalking protection order"],
    ]


def test_a_persons_details_are_changed_from_the_command_line(dbfile):
    assert add_sarah(dbfile).code == 0
    changed = jones(
        dbfile, "third-party", "update", "--client", CLIENT, "--person", "Person 2",
        "--phone", "07700 900999", "--address", "3 Larch Close, Hackney", "--clear", "vehicles",
    )  # fmt: skip
    assert changed.code == 0, changed.err
    assert changed.out == f"Updated Person 2 for {CLIENT}: addresses, phones, vehicles.\n"
    assert "Sarah" not in changed.out  # no detail is printed
    detailed = listing(dbfile, "--show-details").splitlines()
    assert "Person 2\taddresses and places\t3 Larch Close, Hackney" in detailed
    assert "Person 2\tother names\tSarah Smith; sj_runs" in detailed  # not given: unchanged
    assert not [line for line in detailed if line.startswith("Person 2\tvehicles")]


def test_a_bad_change_is_refused_and_nothing_changes(dbfile):
    assert add_sarah(dbfile).code == 0
    before = listing(dbfile, "--show-details")
    bad = jones(
        dbfile, "third-party", "update", "--client", CLIENT, "--person", "Person 2",
        "--phone", "call me", "--name", "Sarah J",
    )  # fmt: skip
    assert bad.code != 0 and "--phone" in bad.err and len(bad.err.strip().splitlines()) == 1
    nothing = jones(dbfile, "third-party", "update", "--client", CLIENT, "--person", "Person 2")
    assert nothing.code != 0 and "Nothing to change" in nothing.err
    assert listing(dbfile, "--show-details") == before
