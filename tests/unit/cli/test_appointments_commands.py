"""``appointments`` from the command line: book, list, cancel, mark and export a diary, one
clear line each, nothing written on error, and no name or place printed or exported."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest

from tests.unit.cli.test_cli import ADMIN_PW, FIRST_PW, PSY_PW, Run, as_user, change_password, run

CLIENT = "DEMO-00001"
TOMORROW = date.today() + timedelta(days=1)


@pytest.fixture
def dbfile(tmp_path: Path) -> Path:
    """A database with an administrator, Dr Jones and two demo clients assigned to her."""
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


def book(dbfile: Path, *extra: str) -> Run:
    return jones(
        dbfile, "appointments", "book", "--client", CLIENT, "--date", TOMORROW.isoformat(),
        "--time", "10:00", "--minutes", "50", "--modality", "in_person",
        "--place", "Room 2, Harbour House", *extra,
    )  # fmt: skip


def test_book_list_cancel_and_mark_say_one_line_each(dbfile):
    booked = book(dbfile)
    assert booked.code == 0, booked.err
    assert booked.out.startswith("Booked appointment #1 for DEMO-00001 on ")
    assert "at 10:00 (50 minutes)" in booked.out
    series = book(dbfile, "--time", "14:00", "--repeat", "weekly", "--times", "3")
    assert series.code == 0, series.err
    assert "Booked 3 weekly appointments (#2 to #4)" in series.out
    listed = jones(dbfile, "appointments", "list", "--date", TOMORROW.isoformat())
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert lines[0] == f"Dr Jones: 2 appointment(s), {TOMORROW.isoformat()}"
    assert lines[1] == f"#1  {TOMORROW.isoformat()} 10:00-10:50  DEMO-00001  in person, booked"
    assert "Harbour" not in listed.out
    cancelled = jones(
        dbfile, "appointments", "cancel", "--appointment", "2", "--by", "client",
        "--reason", "Working",
    )  # fmt: skip
    assert cancelled.code == 0, cancelled.err
    assert cancelled.out.endswith("is cancelled by the client.\n")
    early = jones(dbfile, "appointments", "dna", "--appointment", "1")
    assert early.code == 1 and "on or after its day" in early.err


def test_a_clash_is_refused_until_confirmed_and_writes_nothing(dbfile):
    assert book(dbfile).code == 0
    clash = book(dbfile, "--time", "10:30")
    assert clash.code == 1
    assert "--time: Dr Jones already has an appointment from 10:00 to 10:50" in clash.err
    listed = jones(dbfile, "appointments", "list", "--date", TOMORROW.isoformat())
    assert "1 appointment(s)" in listed.out
    assert book(dbfile, "--time", "10:30", "--allow-overlap").code == 0


def test_bad_input_names_the_option(dbfile):
    result = book(dbfile, "--minutes", "0")
    assert result.code == 1 and "--minutes: An appointment lasts from 5 minutes" in result.err
    with pytest.raises(SystemExit) as usage:
        book(dbfile, "--time", "25:00")
    assert usage.value.code == 2


def test_the_ics_file_carries_case_references_and_times_only(dbfile, tmp_path):
    assert book(dbfile).code == 0
    out = tmp_path / "diary.ics"
    result = jones(dbfile, "appointments", "ics", "--out", str(out))
    assert result.code == 0, result.err
    assert result.out.startswith("Wrote 1 appointment(s)")
    text = out.read_text()
    assert "Harbour" not in text and "in_person" not in text.lower()
    [event] = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert str(event["summary"]) == f"Appointment: {CLIENT}"
