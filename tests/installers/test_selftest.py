"""``clinic-app self-test``: passes in this checkout, and names what is missing or broken."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from clinic_app import __version__, cli, config, selftest
from clinic_app.cli.common import EXIT_ERROR
from clinic_app.selftest import Check, Report, Status
from clinic_app.storage import migrations

from .conftest import ROOT, offscreen_env

CHECK_NAMES = [
    "Qt platform plugin",
    "Qt Charts and Qt PDF",
    "SQLCipher",
    "Database migrations",
    "JSON schemas",
    "Measure definitions",
    "Lexicon",
    "Document fonts",
    "PDF (reportlab)",
    "Credential store",
]


def qt_fine() -> list[Check]:
    """Stands in for the Qt probe (its own tests start the real one)."""
    return [
        Check("Qt platform plugin", Status.OK, "offscreen (test)"),
        Check("Qt Charts and Qt PDF", Status.OK, "test"),
    ]


@pytest.fixture
def resources(tmp_path: Path) -> Path:
    """A copy of the shipped resources/ to break."""
    copy = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", copy)
    return copy


def run_cli(monkeypatch: pytest.MonkeyPatch, resources: Path) -> tuple[int, str, str]:
    monkeypatch.setattr(config, "resources_dir", lambda: resources)
    monkeypatch.setattr(selftest, "check_qt", qt_fine)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["self-test"], stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def line_of(output: str, name: str) -> str:
    found = [line for line in output.splitlines() if f" {name} " in f"{line} "]
    assert len(found) == 1, output
    return found[0]


# -- the whole command --------------------------------------------------------------------------


def test_self_test_passes_in_this_checkout(tmp_path: Path) -> None:
    # Run as IT would, in a new process: the real Qt probe, resources and migrations.
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app", "self-test"],
        env=offscreen_env(CLINIC_APP_DATA_DIR=str(tmp_path / "data")),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"clinic-app {__version__} self-test: source checkout at ")
    for name in CHECK_NAMES:
        line = line_of(done.stdout, name)
        if name == "Credential store":
            # There may be no credential store here: reported, but not needed.
            assert line.split()[0] in {"OK", "MISSING*"}, line
        else:
            assert line.split()[0] == "OK", line
    assert "offscreen" in line_of(done.stdout, "Qt platform plugin")
    assert f"head {migrations.HEAD_REVISION} as expected" in done.stdout
    assert "All needed checks passed." in done.stdout
    # Nothing was written to the user's data folder.
    assert not (tmp_path / "data").exists()


def test_a_missing_lexicon_file_fails_and_is_named(
    monkeypatch: pytest.MonkeyPatch, resources: Path
) -> None:
    (resources / "lexicon" / "medications.txt").unlink()
    code, out, err = run_cli(monkeypatch, resources)
    assert code == EXIT_ERROR
    assert line_of(out, "Lexicon").split()[:2] == ["MISSING", "Lexicon"]
    assert "medications.txt" in line_of(out, "Lexicon")
    assert line_of(out, "Measure definitions").startswith("  OK")
    assert "Needed checks that did not pass: Lexicon." in out
    assert err == (
        "clinic-app: this installation is not complete: Lexicon (see the report above).\n"
    )


def test_a_missing_or_damaged_font_fails_and_is_named(
    monkeypatch: pytest.MonkeyPatch, resources: Path
) -> None:
    (resources / "fonts" / "DejaVuSans-Bold.ttf").unlink()
    code, out, _err = run_cli(monkeypatch, resources)
    assert code == EXIT_ERROR
    assert line_of(out, "Document fonts").split()[:3] == ["MISSING", "Document", "fonts"]
    assert "DejaVuSans-Bold.ttf" in line_of(out, "Document fonts")
    (resources / "fonts" / "DejaVuSans-Bold.ttf").write_bytes(b"not a font at all")
    code, out, _err = run_cli(monkeypatch, resources)
    assert code == EXIT_ERROR
    assert line_of(out, "Document fonts").split()[0] == "FAILED"


def test_a_broken_measure_definition_fails_and_is_named(
    monkeypatch: pytest.MonkeyPatch, resources: Path
) -> None:
    shipped = sorted((resources / "measures").glob("*.json"))
    assert shipped, "the app ships measure definitions"
    text = shipped[0].read_text(encoding="utf-8")
    # Damage one definition: its items lose their field.
    shipped[0].write_text(text.replace('"items"', '"questions"', 1), encoding="utf-8")
    code, out, err = run_cli(monkeypatch, resources)
    assert code == EXIT_ERROR
    line = line_of(out, "Measure definitions")
    assert line.split()[:3] == ["FAILED", "Measure", "definitions"]
    assert f"{shipped[0].name} is not valid" in line
    assert "Measure definitions" in err


def test_a_definition_that_is_not_json_fails(resources: Path) -> None:
    (resources / "measures" / "zz-broken.v1.json").write_text("{ not json", encoding="utf-8")
    check = selftest.check_measures(resources)
    assert check.status is Status.FAILED
    assert check.reason.startswith("zz-broken.v1.json is not valid: ")
    assert "not valid JSON" in check.reason


def test_a_definition_in_the_wrong_file_fails(resources: Path) -> None:
    shipped = sorted((resources / "measures").glob("*.json"))[0]
    shipped.rename(shipped.with_name("renamed.v9.json"))
    check = selftest.check_measures(resources)
    assert check.status is Status.FAILED
    assert f"must be named {shipped.name}" in check.reason


def test_no_measure_definitions_is_missing(resources: Path) -> None:
    for path in (resources / "measures").glob("*.json"):
        path.unlink()
    check = selftest.check_measures(resources)
    assert check.status is Status.MISSING


def test_a_damaged_schema_fails_and_a_missing_one_is_missing(resources: Path) -> None:
    schema = resources / "schemas" / "client-record.schema.json"
    schema.write_text('{"type": 12}', encoding="utf-8")  # a schema, but not a valid one
    check = selftest.check_schemas(resources)
    assert check.status is Status.FAILED
    assert check.reason.startswith("client-record.schema.json is not a valid schema")
    schema.unlink()
    check = selftest.check_schemas(resources)
    assert check.status is Status.MISSING
    assert "client-record.schema.json" in check.reason


def test_the_shipped_resources_pass(resources: Path) -> None:
    report = selftest.run(resources, qt=qt_fine)
    by_name = {check.name: check for check in report.checks}
    assert [check.name for check in report.checks] == CHECK_NAMES
    for name in ("JSON schemas", "Measure definitions", "Lexicon"):
        assert by_name[name].status is Status.OK, by_name[name]


# -- single checks ------------------------------------------------------------------------------


def test_migrations_missing_or_ending_elsewhere(tmp_path: Path) -> None:
    assert selftest.check_migrations(tmp_path / "nowhere").status is Status.MISSING
    copy = tmp_path / "schema"
    shutil.copytree(migrations.SCRIPT_LOCATION, copy, ignore=shutil.ignore_patterns("__pycache__"))
    newest = sorted((copy / "versions").glob(f"{migrations.HEAD_REVISION}_*.py"))
    assert len(newest) == 1
    newest[0].unlink()
    check = selftest.check_migrations(copy)
    assert check.status is Status.FAILED
    assert f"this version expects {migrations.HEAD_REVISION}" in check.reason


def test_migrations_build_a_new_database() -> None:
    check = selftest.check_migrations()
    assert check.status is Status.OK, check
    assert check.reason.endswith("they build")


def test_sqlcipher_encrypts_and_searches() -> None:
    check = selftest.check_sqlcipher()
    assert check.status is Status.OK, check
    assert "community" in check.reason
    assert "FTS5" in check.reason


def test_reportlab_renders_one_page() -> None:
    check = selftest.check_pdf()
    assert check.status is Status.OK, check
    assert selftest.sample_pdf().startswith(b"%PDF-")


def test_qt_probe_reports_the_platform() -> None:
    checks = selftest.check_qt()
    assert [c.status for c in checks] == [Status.OK, Status.OK], checks
    assert checks[0].reason.startswith("offscreen (chosen by QT_QPA_PLATFORM=offscreen)")


def test_a_qt_platform_that_cannot_load_is_reported_not_fatal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Qt aborts a process whose platform plugin cannot load; the report still comes out.
    monkeypatch.setenv("QT_QPA_PLATFORM", "nosuchplatform")
    platform, modules = selftest.check_qt()
    assert platform.status is Status.FAILED
    assert 'Could not find the Qt platform plugin "nosuchplatform"' in platform.reason
    assert modules.status is Status.FAILED
    assert modules.reason == "not tried: Qt itself did not start"


def test_credential_store_is_reported_and_optional(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The tests' in-memory store (tests/conftest.py) counts as a credential store.
    found = selftest.check_credential_store()
    assert found.status is Status.OK
    assert found.reason == "MemoryKeyring (tests.conftest.MemoryKeyring)"
    keyring.set_keyring(fail.Keyring())
    none = selftest.check_credential_store()
    assert none.status is Status.MISSING
    assert not none.needed
    assert none.passed
    assert "use a key file" in none.reason
    monkeypatch.setenv("CLINIC_APP_KEY_FILE", str(tmp_path / "db.key"))
    chosen = selftest.check_credential_store()
    assert chosen.status is Status.OK
    assert str(tmp_path / "db.key") in chosen.reason


def test_report_lines_align_and_give_a_verdict() -> None:
    report = Report(
        "source checkout at /x",
        (
            Check("SQLCipher", Status.OK, "fine"),
            Check("Lexicon", Status.MISSING, "not there"),
            Check("Credential store", Status.MISSING, "none", needed=False),
        ),
    )
    assert not report.ok
    assert [c.name for c in report.failed] == ["Lexicon"]
    assert report.lines() == [
        f"clinic-app {__version__} self-test: source checkout at /x",
        "  OK       SQLCipher         fine",
        "  MISSING  Lexicon           not there",
        "  MISSING* Credential store  none",
        "Needed checks that did not pass: Lexicon.",
        "* not needed on this computer: Credential store.",
    ]
