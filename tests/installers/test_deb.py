"""The PyInstaller bundle and the Linux package built from it, installed for real.

These need the bundle (see conftest.py: ``CLINIC_APP_PACKAGE_TESTS=1`` or
``python3 dev.py package``). The install test also needs root and dpkg, and changes the
machine: it installs clinic-app in /opt/clinic-app, upgrades it and purges it again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from clinic_app import __version__
from clinic_app.storage import migrations

from .conftest import offscreen_env

ADMIN_PW = "admin password 1"
INSTALLED = Path("/opt/clinic-app")
LAUNCHER = Path("/usr/bin/clinic-app")


def run(
    args: list[str | Path], *, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        env=env or offscreen_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ok(args: list[str | Path], *, env: dict[str, str] | None = None, stdin: str = "") -> str:
    done = run(args, env=env, stdin=stdin)
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the bundle ---------------------------------------------------------------------------------


def test_bundle_carries_what_the_app_needs(bundle: Path) -> None:
    inside = bundle / "_internal"
    qt = inside / "PySide6" / "Qt"
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    for plugin in ("platforms/libqxcb.so", "platforms/libqoffscreen.so", "imageformats/libqpdf.so"):
        assert (qt / "plugins" / plugin).is_file(), plugin
    for library in ("libQt6Charts.so.6", "libQt6Pdf.so.6", "libQt6PdfWidgets.so.6"):
        assert (qt / "lib" / library).is_file(), library
    assert any(name.startswith("_internal/sqlcipher3/_sqlite3") for name in names)
    versions = inside / "clinic_app" / "storage" / "schema" / "versions"
    assert sorted(p.name[:4] for p in versions.glob("*.py"))[-1] == migrations.HEAD_REVISION
    # The resources sit where an installed wheel has them, as clinic_app's package data.
    resources = inside / "clinic_app" / "resources"
    assert (resources / "schemas" / "measure-definition.schema.json").is_file()
    assert list((resources / "measures").glob("*.json"))
    assert (resources / "fonts" / "DejaVuSans.ttf").is_file()
    assert not (inside / "resources").exists()
    # Left out to keep it lean: no web engine, Qt Quick or QML, no test tools.
    qt_files = [p.name for p in (inside / "PySide6").rglob("*")]
    unwanted_qt = ("QtWebEngine", "libQt6Quick", "libQt6Qml", "libQt6VirtualKeyboard")
    assert not [name for name in qt_files if name.startswith(unwanted_qt)]
    top = {p.name for p in inside.iterdir()}
    assert not top & {"pytest", "_pytest", "hypothesis", "mypy", "PyInstaller", "tkinter"}


def test_bundle_passes_its_self_test(bundle: Path, build: ModuleType, tmp_path: Path) -> None:
    env = offscreen_env(CLINIC_APP_DATA_DIR=str(tmp_path / "data"))
    out = ok([build.executable(bundle), "self-test"], env=env)
    assert f"self-contained bundle in {bundle.resolve()}" in out
    assert "All needed checks passed." in out


# -- the Debian package -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packages(
    bundle: Path, build: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """An older and a newer package of the same bundle (version numbers differ)."""
    out = tmp_path_factory.mktemp("debs")
    older = build.build_deb(f"{__version__}~older1", bundle, out)
    newer = build.build_deb(__version__, bundle, out)
    return {"older": older, "newer": newer}


def test_package_contents_and_control(packages: dict[str, Path]) -> None:
    deb = packages["newer"]
    info = ok(["dpkg-deb", "--field", deb, "Package", "Version", "Depends"])
    assert "Package: clinic-app" in info
    assert f"Version: {__version__}" in info
    assert "libc6 (>= 2.36)" in info
    listing = ok(["dpkg-deb", "--contents", deb])
    paths = {line.split()[-1] for line in listing.splitlines()}
    for path in (
        "./opt/clinic-app/clinic-app",
        "./usr/bin/clinic-app",
        "./usr/share/applications/clinic-app.desktop",
        "./usr/share/icons/hicolor/scalable/apps/clinic-app.svg",
    ):
        assert path in paths, path
    # Only the program: nothing in home folders, /var or /etc.
    assert not [p for p in paths if p.startswith(("./home", "./root", "./var", "./etc"))]
    owners = {line.split()[1] for line in listing.splitlines()}
    assert owners == {"root/root"}


def _dpkg_usable() -> str:
    if shutil.which("dpkg") is None or not hasattr(os, "geteuid"):
        return "needs dpkg (Debian or Ubuntu)"
    if os.geteuid() != 0:
        return "installing a package needs root"
    state = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "clinic-app"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if "installed" in state and os.environ.get("CI") != "true":
        return "clinic-app is installed on this computer; this test would replace it"
    return ""


@pytest.fixture
def clean_machine() -> Iterator[None]:
    reason = _dpkg_usable()
    if reason:
        pytest.skip(reason)
    subprocess.run(["dpkg", "--purge", "clinic-app"], capture_output=True, check=False)
    yield
    subprocess.run(["dpkg", "--purge", "clinic-app"], capture_output=True, check=False)


def _installed_version() -> str:
    done = run(["dpkg-query", "-W", "-f=${Status} ${Version}", "clinic-app"])
    return done.stdout.strip() if done.returncode == 0 else ""


def _start_headless(env: dict[str, str], database: Path) -> None:
    """Start the installed app with no display; it must open its sign-in window (and the
    database behind it) and keep running until it is told to stop."""
    process = subprocess.Popen(
        [str(LAUNCHER)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    opened = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            # The database is opened once the sign-in window is up and waiting.
            fds = Path(f"/proc/{process.pid}/fd")
            try:
                targets = [os.readlink(fd) for fd in fds.iterdir()]
            except OSError:
                targets = []
            if str(database) in targets:
                opened = True
                break
            time.sleep(0.2)
        time.sleep(1)
        assert process.poll() is None, "the application stopped by itself"
    finally:
        process.terminate()
        try:
            _out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _out, err = process.communicate()
    assert opened, f"the application did not open its database: {err}"
    assert "Traceback" not in err and "rror" not in err, err


def test_install_start_upgrade_and_remove_keep_user_data(
    packages: dict[str, Path], clean_machine: None, tmp_path: Path
) -> None:
    data = tmp_path / "home" / "clinic-app"
    key = tmp_path / "home" / "clinic.key"
    env = offscreen_env(CLINIC_APP_DATA_DIR=str(data), CLINIC_APP_KEY_FILE=str(key))
    database = data / "clinic.db"

    # Install the older package; the launcher and menu entry are in place.
    ok(["dpkg", "-i", packages["older"]])
    assert _installed_version() == f"install ok installed {__version__}~older1"
    assert (INSTALLED / "clinic-app").is_file()
    assert Path("/usr/share/applications/clinic-app.desktop").is_file()
    assert "All needed checks passed." in ok([LAUNCHER, "self-test"], env=env)

    # A database made with it: an administrator and a demo caseload.
    ok([LAUNCHER, "init", "--admin", "admin", "--password-stdin"], env=env, stdin=ADMIN_PW)
    ok(
        [LAUNCHER, "demo", "--clients", "3", "--user", "admin", "--password-stdin"],
        env=env,
        stdin=ADMIN_PW,
    )
    _start_headless(env, database)
    before = {path.name: sha256(path) for path in data.rglob("*") if path.is_file()}
    key_before = sha256(key)
    assert "clinic.db" in before

    # Upgrade over it: the database is not touched by the package...
    ok(["dpkg", "-i", packages["newer"]])
    assert _installed_version() == f"install ok installed {__version__}"
    after = {path.name: sha256(path) for path in data.rglob("*") if path.is_file()}
    assert after == before
    assert sha256(key) == key_before
    # ...and the upgraded app opens it, its audit trail intact, and starts.
    assert "All needed checks passed." in ok([LAUNCHER, "self-test"], env=env)
    verified = ok(
        [LAUNCHER, "audit", "verify", "--user", "admin", "--password-stdin"],
        env=env,
        stdin=ADMIN_PW,
    )
    assert verified.startswith("The audit trail verifies:")
    users = ok(
        [LAUNCHER, "user", "list", "--user", "admin", "--password-stdin"], env=env, stdin=ADMIN_PW
    )
    assert users.startswith("admin\tadministrator\tactive")
    _start_headless(env, database)
    kept = {path.name: sha256(path) for path in data.rglob("*") if path.is_file()}

    # Remove, then purge: the program goes, the user's data stays exactly as it was.
    ok(["dpkg", "--remove", "clinic-app"])
    assert not LAUNCHER.exists()
    assert not (INSTALLED / "clinic-app").exists()
    ok(["dpkg", "--purge", "clinic-app"])
    assert _installed_version() == ""
    assert not INSTALLED.exists()
    assert {path.name: sha256(path) for path in data.rglob("*") if path.is_file()} == kept
    assert sha256(key) == key_before
