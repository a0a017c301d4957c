"""``clinic-app self-test``: does this installation have everything it needs?

IT runs it after deploying clinic-app, and the installer tests run it against the bundle
and the installed package. It works the same in every form the app is installed in (a
source checkout, a pip install, the PyInstaller bundle, the Linux package), and checks:

- Qt starts (the platform plugin loads: the native one, or ``offscreen`` when there is no
  display) and the Add-ons modules the screens use, Qt Charts and Qt PDF, work;
- SQLCipher is the SQLite in use, encrypts a file, and has FTS5 full-text search;
- the Alembic migration scripts are present, their head is the revision this version of
  the app expects, and they build a new encrypted database;
- the bundled resources are present and valid: the JSON schemas (each a valid schema),
  the measure definitions (each passes the same checks as an imported one, and is in
  the file its id and version name) and the lexicon files the partner-document check
  reads;
- reportlab renders a one-page PDF;
- which credential store keyring finds (not needed when a key file is used).

Each check gives OK, MISSING or FAILED with a one-line reason; anything needed that is not
OK makes the command exit non-zero. The Qt checks run in a child process, because a Qt
platform plugin that cannot load aborts the process that tried to load it. Nothing here
touches the user's database, keys or settings.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO
from pathlib import Path
from typing import Any, Final

from clinic_app import __version__, config

QT_PROBE_MARKER: Final = "CLINIC-APP-QT-PROBE "
QT_PROBE_TIMEOUT_SECONDS: Final = 120
# Schemas the application itself loads; other schemas found are checked too.
REQUIRED_SCHEMAS: Final = ("client-record.schema.json", "measure-definition.schema.json")


class Status(StrEnum):
    """The outcome of one check."""

    OK = "OK"
    MISSING = "MISSING"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, and why, in one line."""

    name: str
    status: Status
    reason: str
    needed: bool = True

    @property
    def passed(self) -> bool:
        return self.status is Status.OK or not self.needed


@dataclass(frozen=True)
class Report:
    """Every check, in the order they ran, and what was checked."""

    installation: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)

    def lines(self) -> list[str]:
        """The report as printed: a heading, one aligned line per check, a verdict."""
        width = max((len(check.name) for check in self.checks), default=0)
        lines = [f"clinic-app {__version__} self-test: {self.installation}"]
        for check in self.checks:
            spare = not check.needed and check.status is not Status.OK
            status = f"{check.status.value}*" if spare else check.status.value
            lines.append(f"  {status:<9}{check.name:<{width}}  {check.reason}")
        optional = [c.name for c in self.checks if not c.needed and c.status is not Status.OK]
        if self.ok:
            lines.append("All needed checks passed.")
        else:
            names = ", ".join(check.name for check in self.failed)
            lines.append(f"Needed checks that did not pass: {names}.")
        if optional:
            lines.append(f"* not needed on this computer: {', '.join(optional)}.")
        return lines


def describe_installation() -> str:
    """Which form of the app is running, and from where."""
    if getattr(sys, "frozen", False):
        return f"self-contained bundle in {Path(sys.executable).resolve().parent}"
    package = Path(__file__).resolve().parent
    if (package.parent / "pyproject.toml").is_file():
        return f"source checkout at {package.parent}"
    return f"Python package in {package.parent}"


def run(
    resources: Path | None = None,
    *,
    qt: Callable[[], list[Check]] | None = None,
) -> Report:
    """Run every check; ``resources`` and ``qt`` stand in for the real ones in tests."""
    folder = resources if resources is not None else config.resources_dir()
    checks: list[Check] = []
    checks += (qt or check_qt)()
    checks.append(check_sqlcipher())
    checks.append(check_migrations())
    checks.append(check_schemas(folder))
    checks.append(check_measures(folder))
    checks.append(check_lexicon(folder))
    checks.append(check_fonts(folder))
    checks.append(check_pdf())
    checks.append(check_credential_store())
    return Report(describe_installation(), tuple(checks))


def _failure(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


# -- Qt (in a child process) -------------------------------------------------------------------


def own_command() -> list[str]:
    """How to start this same installation of clinic-app as a new process."""
    if getattr(sys, "frozen", False):
        # On Windows the window's executable has no console to report through; the
        # bundle's console twin, clinic-app-cli.exe, runs the same program.
        console = Path(sys.executable).with_name("clinic-app-cli.exe")
        if sys.platform == "win32" and console.is_file():
            return [str(console)]
        return [sys.executable]
    return [sys.executable, "-m", "clinic_app"]


def _has_display() -> bool:
    if sys.platform == "win32" or sys.platform == "darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def check_qt(command: Sequence[str] | None = None) -> list[Check]:
    """Start Qt in a child process and read back what it found."""
    env = dict(os.environ)
    note = ""
    if not env.get("QT_QPA_PLATFORM"):
        if _has_display():
            note = "native"
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
            note = "no display here: the window itself was not tried"
    else:
        note = f"chosen by QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']}"
    args = [*(command or own_command()), "self-test", "--qt-probe"]
    try:
        done = subprocess.run(  # noqa: S603 - our own executable, fixed arguments
            args,
            env=env,
            capture_output=True,
            text=True,
            timeout=QT_PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        reason = f"Qt did not start within {QT_PROBE_TIMEOUT_SECONDS} seconds"
        return [Check("Qt platform plugin", Status.FAILED, reason), _qt_modules_untried()]
    except OSError as exc:
        return [Check("Qt platform plugin", Status.FAILED, _failure(exc)), _qt_modules_untried()]
    found = _probe_result(done.stdout)
    if found is None:
        reason = _qt_crash_reason(done.stderr, done.returncode)
        return [Check("Qt platform plugin", Status.FAILED, reason), _qt_modules_untried()]
    if found.get("platform_error"):
        reason = str(found["platform_error"])
        return [Check("Qt platform plugin", Status.FAILED, reason), _qt_modules_untried()]
    platform = Check(
        "Qt platform plugin",
        Status.OK,
        f"{found.get('platform')} ({note}); Qt {found.get('qt_version')}",
    )
    errors: dict[str, str] = found.get("module_errors") or {}
    if errors:
        reason = "; ".join(f"{name}: {problem}" for name, problem in sorted(errors.items()))
        modules = Check("Qt Charts and Qt PDF", Status.FAILED, reason)
    else:
        modules = Check(
            "Qt Charts and Qt PDF", Status.OK, "a chart drawn; a one-page PDF opened and drawn"
        )
    return [platform, modules]


def _qt_modules_untried() -> Check:
    return Check("Qt Charts and Qt PDF", Status.FAILED, "not tried: Qt itself did not start")


def _probe_result(stdout: str) -> dict[str, Any] | None:
    for line in stdout.splitlines():
        if line.startswith(QT_PROBE_MARKER):
            try:
                found = json.loads(line[len(QT_PROBE_MARKER) :])
            except json.JSONDecodeError:
                return None
            return found if isinstance(found, dict) else None
    return None


# Qt's own words for why a platform plugin did not start, most telling first.
_QT_TELLING = ("could not connect", "could not load", "could not find", "cannot load", "needed")


def _qt_crash_reason(stderr: str, code: int) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    ranked = sorted(
        (rank, index, line)
        for index, line in enumerate(lines)
        for rank, words in enumerate(_QT_TELLING)
        if words in line.lower()
    )
    chosen: list[str] = []
    for _rank, _index, line in ranked:
        if line not in chosen:
            chosen.append(line)
    detail = "; ".join(chosen[:2]) or (lines[-1] if lines else "no message")
    if len(detail) > 200:
        detail = detail[:197] + "..."
    return f"Qt stopped (exit status {code}): {detail}"


def qt_probe_result(
    platform: str, qt_version: str, platform_error: str, module_errors: dict[str, str]
) -> str:
    """The one marked line the child process prints for :func:`check_qt` to read."""
    result = {
        "platform": platform,
        "qt_version": qt_version,
        "platform_error": platform_error,
        "module_errors": module_errors,
    }
    return QT_PROBE_MARKER + json.dumps(result)


def check_sqlcipher() -> Check:
    """Write and read back an encrypted file with an FTS5 table, then check it is encrypted."""
    name = "SQLCipher"
    try:
        import sqlcipher3  # noqa: PLC0415
    except ImportError as exc:
        return Check(name, Status.MISSING, f"the sqlcipher3 module is not installed ({exc})")
    from clinic_app.storage.engine import SQLITE_HEADER  # noqa: PLC0415
    from clinic_app.storage.keys import generate_key  # noqa: PLC0415

    key = generate_key()
    pragma = f"PRAGMA key = \"x'{key.hex()}'\""
    with tempfile.TemporaryDirectory(prefix="clinic-app-self-test-") as folder:
        path = Path(folder) / "probe.db"
        try:
            conn = sqlcipher3.connect(str(path))
            try:
                conn.execute(pragma)
                row = conn.execute("PRAGMA cipher_version").fetchone()
                cipher = row[0] if row else None
                if not cipher:
                    return Check(name, Status.FAILED, "the SQLite in use cannot encrypt")
                sqlite = conn.execute("SELECT sqlite_version()").fetchone()[0]
                try:
                    conn.execute("CREATE VIRTUAL TABLE probe USING fts5(body)")
                except sqlcipher3.Error as exc:
                    reason = f"no FTS5 full-text search in this SQLCipher ({exc})"
                    return Check(name, Status.FAILED, reason)
                conn.execute("INSERT INTO probe (body) VALUES ('self test of note search')")
                conn.commit()
            finally:
                conn.close()
            conn = sqlcipher3.connect(str(path))
            try:
                conn.execute(pragma)
                query = "SELECT count(*) FROM probe WHERE probe MATCH 'search'"
                hits = conn.execute(query).fetchone()[0]
            finally:
                conn.close()
            header = path.read_bytes()[: len(SQLITE_HEADER)]
        except sqlcipher3.Error as exc:
            return Check(name, Status.FAILED, _failure(exc))
    if hits != 1:
        return Check(name, Status.FAILED, "full-text search found nothing it should have")
    if header == SQLITE_HEADER:
        return Check(name, Status.FAILED, "the test database was written unencrypted")
    return Check(name, Status.OK, f"{cipher} (SQLite {sqlite}); encrypts, FTS5 search works")


def check_migrations(location: Path | None = None) -> Check:
    """The migration scripts are present, end at the expected head, and build a database."""
    from clinic_app.storage import migrations  # noqa: PLC0415

    name = "Database migrations"
    folder = location if location is not None else migrations.SCRIPT_LOCATION
    if not (folder / "env.py").is_file() or not (folder / "versions").is_dir():
        return Check(name, Status.MISSING, f"the migration scripts are not in {folder}")
    try:
        from alembic.script import ScriptDirectory  # noqa: PLC0415

        scripts = ScriptDirectory(str(folder))
        heads = scripts.get_heads()
        count = sum(1 for _ in scripts.walk_revisions())
    except Exception as exc:  # alembic raises many kinds of error for broken scripts
        return Check(name, Status.FAILED, f"the scripts do not load: {_failure(exc)}")
    expected = migrations.HEAD_REVISION
    if heads != [expected]:
        found = ", ".join(heads) or "none"
        reason = f"the scripts end at {found}, but this version expects {expected}"
        return Check(name, Status.FAILED, reason)
    if location is None:
        problem = _build_database()
        if problem:
            return Check(name, Status.FAILED, f"a new database could not be built: {problem}")
    return Check(name, Status.OK, f"{count} scripts, head {expected} as expected; they build")


def _build_database() -> str:
    from clinic_app.storage import engine, migrations  # noqa: PLC0415
    from clinic_app.storage.keys import generate_key  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="clinic-app-self-test-") as folder:
        try:
            database = engine.create_database(Path(folder) / "probe.db", generate_key())
        except Exception as exc:
            return _failure(exc)
        try:
            with database.engine.connect() as conn:
                revision = migrations.current_revision(conn)
        finally:
            database.close()
    return "" if revision == migrations.HEAD_REVISION else f"it reached {revision}"


# -- resources ---------------------------------------------------------------------------------


def _json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if p.is_file()) if folder.is_dir() else []


def _load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def check_schemas(resources: Path) -> Check:
    """Every JSON schema loads and is itself a valid schema; the required ones are there."""
    from jsonschema import exceptions, validators  # noqa: PLC0415

    name = "JSON schemas"
    folder = resources / "schemas"
    files = _json_files(folder)
    missing = [s for s in REQUIRED_SCHEMAS if not (folder / s).is_file()]
    if missing:
        return Check(name, Status.MISSING, f"not in {folder}: {', '.join(missing)}")
    for path in files:
        try:
            schema = _load_json(path)
            validators.validator_for(schema).check_schema(schema)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            return Check(name, Status.FAILED, f"{path.name} does not load: {_failure(exc)}")
        except exceptions.SchemaError as exc:
            return Check(name, Status.FAILED, f"{path.name} is not a valid schema: {exc.message}")
    verb = "loads and is" if len(files) == 1 else "load and are"
    return Check(name, Status.OK, f"{len(files)} {verb} valid ({_names(files)})")


def _names(files: Iterable[Path], most: int = 4) -> str:
    names = [p.name for p in files]
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def check_measures(resources: Path) -> Check:
    """Every shipped measure definition passes the app's own checks (schema and rules)."""
    from clinic_app.errors import ValidationError  # noqa: PLC0415
    from clinic_app.measures.definitions import (  # noqa: PLC0415
        Origin,
        parse_definition,
        shipped_file_name,
    )

    name = "Measure definitions"
    folder = resources / "measures"
    files = _json_files(folder)
    if not files:
        return Check(name, Status.MISSING, f"no measure definitions in {folder}")
    for path in files:
        try:
            definition = parse_definition(path.read_text(encoding="utf-8"), origin=Origin.SHIPPED)
        except (OSError, UnicodeDecodeError) as exc:
            return Check(name, Status.FAILED, f"{path.name} does not load: {_failure(exc)}")
        except ValidationError as exc:
            first = exc.problems[0]
            more = len(exc.problems) - 1
            detail = f"{first.where}: {first.message}" if first.where else first.message
            if more:
                detail += f" (and {more} more)"
            return Check(name, Status.FAILED, f"{path.name} is not valid: {detail}")
        expected = shipped_file_name(definition.id, definition.version)
        if path.name != expected:
            reason = f"{path.name} holds {definition.id} version {definition.version}"
            return Check(name, Status.FAILED, f"{reason}, so it must be named {expected}")
    return Check(name, Status.OK, f"{len(files)} valid ({_names(files)})")


def check_lexicon(resources: Path) -> Check:
    """Every lexicon file the partner-document check reads is there and holds terms."""
    from clinic_app.services.sharing.lexicon import TermCategory, read_terms  # noqa: PLC0415

    name = "Lexicon"
    folder = resources / "lexicon"
    wanted = [c for c in TermCategory if not c.is_third_party]
    missing = [f"{c.value}.txt" for c in wanted if not (folder / f"{c.value}.txt").is_file()]
    if missing:
        return Check(name, Status.MISSING, f"not in {folder}: {', '.join(missing)}")
    total = 0
    for category in wanted:
        path = folder / f"{category.value}.txt"
        try:
            terms = read_terms(path)
        except (OSError, UnicodeDecodeError) as exc:
            return Check(name, Status.FAILED, f"{path.name} does not load: {_failure(exc)}")
        if not terms:
            return Check(name, Status.FAILED, f"{path.name} holds no terms")
        total += len(terms)
    return Check(name, Status.OK, f"{len(wanted)} files, {total:,} terms")


def check_fonts(resources: Path) -> Check:
    """The fonts every document is drawn in are there and load (they draw every name)."""
    from reportlab.pdfbase.ttfonts import TTFError, TTFont  # type: ignore[import-untyped]  # noqa: PLC0415

    from clinic_app.reports.page import FONT_FILES  # noqa: PLC0415

    name = "Document fonts"
    folder = resources / "fonts"
    missing = [f for f in FONT_FILES.values() if not (folder / f).is_file()]
    if missing:
        return Check(name, Status.MISSING, f"not in {folder}: {', '.join(missing)}")
    for font_name, file_name in FONT_FILES.items():
        try:
            TTFont(f"selftest-{font_name}", str(folder / file_name))
        except (TTFError, OSError) as exc:
            return Check(name, Status.FAILED, f"{file_name} does not load: {_failure(exc)}")
    return Check(name, Status.OK, f"{len(FONT_FILES)} fonts: {', '.join(FONT_FILES.values())}")


# -- PDF and credential store -----------------------------------------------------------------


def sample_pdf() -> bytes:
    """A one-page PDF drawn with reportlab as the summaries are: paragraphs and a table."""
    # reportlab ships no type hints; the stubs may or may not be installed.
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415
    from reportlab.lib.styles import getSampleStyleSheet  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415
    from reportlab.platypus import (  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415
        Paragraph,
        SimpleDocTemplate,
        Table,
    )

    styles = getSampleStyleSheet()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, invariant=True, title="clinic-app self-test", author="clinic-app"
    )
    document.build(
        [
            Paragraph("clinic-app self-test", styles["Title"]),
            Paragraph("This page checks that PDF summaries can be drawn.", styles["BodyText"]),
            Table([["Sessions attended", "10"], ["Sessions not attended", "2"]]),
        ]
    )
    return buffer.getvalue()


def check_pdf() -> Check:
    """reportlab renders a one-page PDF."""
    name = "PDF (reportlab)"
    try:
        import reportlab  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415

        data = sample_pdf()
    except ImportError as exc:
        return Check(name, Status.MISSING, f"reportlab is not installed ({exc})")
    except Exception as exc:
        return Check(name, Status.FAILED, _failure(exc))
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    if not data.startswith(b"%PDF-") or pages != 1:
        return Check(name, Status.FAILED, f"the test PDF came out wrong ({pages} pages)")
    return Check(name, Status.OK, f"reportlab {reportlab.Version}; a one-page PDF rendered")


# keyring's backends by class name, in the words an IT team uses.
_KEYRING_NAMES: Final = {
    "Windows.WinVaultKeyring": "Windows Credential Manager",
    "SecretService.Keyring": "Secret Service (GNOME Keyring or KWallet)",
    "kwallet.DBusKeyring": "KWallet",
    "macOS.Keyring": "macOS Keychain",
}


def _describe_backend(backend: object) -> str:
    kind = type(backend)
    short = f"{kind.__module__.rsplit('.', 1)[-1]}.{kind.__name__}"
    friendly = _KEYRING_NAMES.get(short, kind.__name__)
    return f"{friendly} ({kind.__module__}.{kind.__name__})"


def check_credential_store() -> Check:
    """Which credential store keyring finds; a key file makes it unnecessary."""
    from clinic_app.errors import NoCredentialStore  # noqa: PLC0415
    from clinic_app.storage.keys import CredentialStore  # noqa: PLC0415

    name = "Credential store"
    key_file = os.environ.get("CLINIC_APP_KEY_FILE")
    try:
        CredentialStore()
    except NoCredentialStore:
        if key_file:
            reason = f"none, and none needed: the key is kept in the key file {key_file}"
            return Check(name, Status.OK, reason)
        reason = "none: use a key file (--key-file PATH or CLINIC_APP_KEY_FILE)"
        return Check(name, Status.MISSING, reason, needed=False)
    except Exception as exc:
        return Check(name, Status.FAILED, _failure(exc), needed=False)
    import keyring  # noqa: PLC0415

    backend = keyring.get_keyring()
    chained = getattr(backend, "backends", None)
    backends = list(chained) if chained else [backend]
    reason = "; ".join(_describe_backend(b) for b in backends)
    if key_file:
        reason += f"; not used: the key file {key_file} is chosen"
    return Check(name, Status.OK, reason, needed=False)
