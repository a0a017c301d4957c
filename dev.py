#!/usr/bin/env python3
"""Set up and run clinic-app from a source checkout with nothing but Python 3.11+.

    python3 dev.py start     # create .venv if needed, install, open the application
    python3 dev.py test      # create .venv if needed, install, run quality gates and all tests
    python3 dev.py test tests/unit/services/test_notes.py -k sign   # only those tests, nothing else
    python3 dev.py package   # build the bundle, its SBOM and the Linux package, then test them
    python3 dev.py lock      # resolve pyproject.toml again into requirements.lock
    python3 dev.py torture   # the slow reliability suite, with its figures (README: Reliability)

Any further arguments are passed on: to `clinic-app` for `start`, to pytest for `test` and
`torture`, to `uv pip compile` for `lock` (e.g. `--upgrade`, `--upgrade-package reportlab`).

`test` with no arguments is the whole check the CI runs: the quality gates (ruff, mypy on
the app and on the tests, the layer contract) and then every test. With arguments it is the
fast inner loop: pytest alone, with those arguments and the same environment, no gates.
Everything is installed from requirements.lock, every file checked against its hash; the
virtual environment is built afresh when pyproject.toml or requirements.lock changes.

On Linux, `test` with no arguments also builds the PyInstaller bundle and the .deb and
tests them (about two minutes; tests/installers). Run as root on Debian or Ubuntu, it
installs the tools that needs (wixl and msitools for the MSI tables, and what the .deb
depends on).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import venv
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".clinic-app-installed"
LOCK = ROOT / "requirements.lock"
# How the lock is made: every platform and Python the project supports in one file
# (Windows-only and Linux-only packages carry markers), each file's SHA-256 beside it.
LOCK_COMMAND = "python3 dev.py lock"
LOCK_EXTRAS = ("test", "package")
LOCK_PYTHON = "3.11"

# Shared libraries Qt's widgets need on a minimal Debian or Ubuntu machine.
DEBIAN_QT_LIBRARIES = [
    "libegl1",
    "libgl1",
    "libxkbcommon0",
    "libfontconfig1",
    "libdbus-1-3",
    "libglib2.0-0",
]


def _run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def _check(*args: str | Path) -> None:
    code = _run(*args)
    if code != 0:
        sys.exit(code)


def _installed_from() -> str:
    """What the environment is built from: pyproject.toml and the lock, as one digest."""
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", LOCK):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install_locked(python: Path) -> None:
    """Install exactly the locked packages into ``python``'s environment, then clinic-app.

    Every file is checked against its hash in the lock, and clinic-app itself is built with
    the locked setuptools (no build isolation: nothing is fetched that the lock does not
    name). Only pip is upgraded as it comes: it installs, and is not part of the app.
    """
    _check(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _check(python, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", LOCK)
    no_build = ("--no-deps", "--no-build-isolation")
    _check(python, "-m", "pip", "install", "--quiet", *no_build, "-e", ".")


def ensure_environment() -> None:
    """Create the virtual environment from the lock, with the test and packaging tools."""
    if sys.version_info < (3, 11):
        sys.exit("clinic-app needs Python 3.11 or newer; this is " + sys.version.split()[0])
    if not LOCK.is_file():
        sys.exit(f"{LOCK.name} is missing; `{LOCK_COMMAND}` writes it from pyproject.toml")
    wanted = _installed_from()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    # Built afresh, so that it holds the lock and nothing else: pip never removes a package
    # that a new lock no longer names.
    print("Creating the virtual environment in .venv ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print(f"Installing clinic-app and its tools from {LOCK.name} ...", flush=True)
    install_locked(PYTHON)
    STAMP.write_text(wanted)


def write_lock(extra: list[str]) -> int:
    """Resolve pyproject.toml (with its build requirements) again into requirements.lock.

    uv does the resolving for every platform at once; it is installed into a scratch
    environment that is thrown away afterwards. Versions already in the lock are kept
    unless pyproject.toml no longer allows them or ``--upgrade`` is given.
    """
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    build_requires = "\n".join(pyproject["build-system"]["requires"]) + "\n"
    with tempfile.TemporaryDirectory(prefix="clinic-app-lock-") as scratch:
        tools = Path(scratch) / "venv"
        venv.EnvBuilder(with_pip=True).create(tools)
        python = tools / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        print("Installing uv into a scratch environment ...", flush=True)
        _check(python, "-m", "pip", "install", "--quiet", "uv")
        command = [
            str(python),
            "-m",
            "uv",
            "pip",
            "compile",
            "pyproject.toml",
            "-",  # the build requirements, from standard input
            *(f"--extra={name}" for name in LOCK_EXTRAS),
            "--universal",
            f"--python-version={LOCK_PYTHON}",
            "--generate-hashes",
            f"--custom-compile-command={LOCK_COMMAND}",
            f"--output-file={LOCK.name}",
            "--quiet",
            *extra,
        ]
        done = subprocess.run(command, cwd=ROOT, input=build_requires, text=True, check=False)
    if done.returncode == 0:
        print(f"Wrote {LOCK.name}; commit it with pyproject.toml.", flush=True)
    return done.returncode


def ensure_qt_libraries() -> None:
    """Qt wheels need a few system libraries; install them on Debian when we are root."""
    probe = "import PySide6.QtWidgets"
    if _run(PYTHON, "-c", probe) == 0:
        return
    if sys.platform.startswith("linux") and shutil.which("apt-get") and os.geteuid() == 0:
        print("Installing the system libraries Qt needs ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.call(["apt-get", "update", "-qq"], env=env)
        subprocess.call(["apt-get", "install", "-y", "-qq", *DEBIAN_QT_LIBRARIES], env=env)
        if _run(PYTHON, "-c", probe) == 0:
            return
    sys.exit(
        "Qt cannot load on this machine. Install these system packages and try again: "
        + " ".join(DEBIAN_QT_LIBRARIES)
    )


def _postgresql_installed() -> bool:
    """Whether PostgreSQL 15 or newer's server programs are installed (Debian's layout)."""
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        version = folder.parent.name
        if version.isdigit() and int(version) >= 15 and (folder / "pg_ctl").exists():
            return True
    return False


def ensure_postgresql() -> None:
    """The site-mode tests run a real PostgreSQL server: install it on Debian when we are root.

    The tests start it themselves, as an unprivileged user in a temporary folder; the
    package's own cluster service is not needed and is left as the package sets it up.
    """
    if not sys.platform.startswith("linux") or _postgresql_installed():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("Installing PostgreSQL for the site-mode tests ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.call(["apt-get", "update", "-qq"], env=env)
        subprocess.call(["apt-get", "install", "-y", "-qq", "postgresql"], env=env)
    if not _postgresql_installed():
        print(
            "The site-mode tests (tests/integration) will be skipped: they need PostgreSQL "
            "15 or newer (Debian package 'postgresql').",
            flush=True,
        )


def _build_script() -> ModuleType:
    """installers/build.py (standard library only), loaded by path."""
    spec = importlib.util.spec_from_file_location("build", ROOT / "installers" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_packaging_tools() -> None:
    """The Debian packages the installer builds and tests need, installed when we are root."""
    if not sys.platform.startswith("linux") or not shutil.which("dpkg-query"):
        return
    wanted = _build_script().apt_prerequisites()

    def installed(name: str) -> bool:
        query = ["dpkg-query", "-W", "-f=${Status}", name]
        done = subprocess.run(query, capture_output=True, text=True, check=False)
        return "ok installed" in done.stdout

    missing = [name for name in wanted if not installed(name)]
    if not missing:
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("Installing the tools the installer tests need: " + " ".join(missing), flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.call(["apt-get", "update", "-qq"], env=env)
        subprocess.call(["apt-get", "install", "-y", "-qq", *missing], env=env)
    else:
        print(
            "Some installer tests will be skipped; they need these Debian packages: "
            + " ".join(missing),
            flush=True,
        )


def run_tests(extra: list[str]) -> int:
    """With no arguments, every quality gate and then the whole suite; else pytest alone.

    Given test arguments (a file, ``-k``, ``-x`` ...), the developer is in the inner loop:
    only pytest runs, with those arguments, in the same environment as the full run.
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if sys.platform.startswith("linux"):
        # tests/installers builds the bundle and the .deb once and tests them.
        env.setdefault("CLINIC_APP_PACKAGE_TESTS", "1")
    # The service tests run on both engines: the workstation file and a PostgreSQL site
    # (tests/conftest.py starts the server; without its binaries the site half is skipped).
    env.setdefault("CLINIC_APP_SITE_TESTS", "1")
    if extra:
        return _run(PYTHON, "-m", "pytest", *extra, env=env)
    gates = [
        ("ruff lint", [BIN / "ruff", "check", "."]),
        ("ruff format", [BIN / "ruff", "format", "--check", "."]),
        ("mypy --strict", [BIN / "mypy", "--strict", "clinic_app"]),
        # Not strict: see [[tool.mypy.overrides]] for tests in pyproject.toml.
        ("mypy tests", [BIN / "mypy", "tests"]),
        ("layer contract", [BIN / "lint-imports"]),
    ]
    failed = []
    for name, command in gates:
        print(f"== {name}", flush=True)
        if _run(*command, env=env) != 0:
            failed.append(name)
    print("== pytest", flush=True)
    code = _run(PYTHON, "-m", "pytest", env=env)
    if failed:
        print("Quality gates failed: " + ", ".join(failed), flush=True)
        return 1
    return code


def torture(extra: list[str]) -> int:
    """Run the reliability suite with its slow tests, printing each test's figures.

    A process killed with SIGKILL in mid-write, the database damaged page by page (the
    corruption matrix), at least a thousand hostile import files, and two and four
    programs writing at once. The figures quoted in README.md ("Reliability") come from here.
    """
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        CLINIC_APP_SLOW_TESTS="1",
        CLINIC_APP_PACKAGE_TESTS="0",
    )
    started = time.monotonic()
    code = _run(
        PYTHON,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-s",  # the tests print their figures
        "-rA",
        "--durations=0",
        "tests/reliability",
        *extra,
        env=env,
    )
    took = time.monotonic() - started
    print(f"== reliability suite done in {took:.0f} s (exit status {code})", flush=True)
    return code


def build_packages() -> int:
    """Build the bundle (it must pass its self-test), its SBOM and the .deb; test them."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    _check(PYTHON, ROOT / "installers" / "build.py", "bundle")
    if sys.platform.startswith("linux"):
        _check(PYTHON, ROOT / "installers" / "build.py", "deb")
    built = time.monotonic()
    print(f"== installer tests (built in {built - started:.0f} s)", flush=True)
    env["CLINIC_APP_BUNDLE"] = str(ROOT / "dist" / "clinic-app")
    env["CLINIC_APP_PACKAGE_TESTS"] = "1"  # the wheel test too; the bundle is the one above
    code = _run(PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "tests/installers", env=env)
    took = time.monotonic() - started
    print(f"== done in {took:.0f} s; packages and the bill of materials are in dist/", flush=True)
    return code


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "test", "package", "lock", "torture"}:
        print(__doc__)
        return 2
    if argv[0] == "lock":
        return write_lock(argv[1:])
    ensure_environment()
    ensure_qt_libraries()
    if argv[0] == "test":
        ensure_packaging_tools()
        ensure_postgresql()
        return run_tests(argv[1:])
    if argv[0] == "package":
        ensure_packaging_tools()
        return build_packages()
    if argv[0] == "torture":
        return torture(argv[1:])
    return _run(BIN / "clinic-app", *argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
