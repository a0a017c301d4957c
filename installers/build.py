#!/usr/bin/env python3
"""Build clinic-app's installers: the PyInstaller bundle, the Linux package, the Windows MSI.

    python installers/build.py bundle               # dist/clinic-app/ and its SBOM, self-test
    python installers/build.py sbom                 # the SBOM of the bundle already built
    python installers/build.py deb [--version V]    # dist/clinic-app_V_ARCH.deb from the bundle
    python installers/build.py wxs-files --out F    # the WiX fragment listing the bundle's files
    python installers/build.py msi [--version V]    # dist/clinic-app-V.msi with wixl (msitools)

Run it with the project's virtual environment, installed from requirements.lock with
the ``package`` extra (PyInstaller, cyclonedx-bom): the bundle is built only from an
environment that holds exactly the locked versions. ``python3 dev.py package`` does all
of this for you and then runs the installer tests. On Windows,
installers/windows/build.ps1 builds the MSI with WiX itself and signs it; it uses
``bundle`` and ``wxs-files`` from here.

Beside the bundle goes its software bill of materials, ``dist/clinic-app-VERSION.cdx.json``
(CycloneDX JSON): clinic-app and every Python distribution the bundle holds, with versions,
licences and package URLs.

Everything is written under build/ and dist/ (both ignored by git). The package never
contains, creates or removes anything in a user's data folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parent.parent
INSTALLERS = ROOT / "installers"
DIST = ROOT / "dist"
BUILD = ROOT / "build" / "installers"
BUNDLE = DIST / "clinic-app"
SPEC = INSTALLERS / "clinic-app.spec"
LOCK = ROOT / "requirements.lock"
PYINSTALLER_WORK = ROOT / "build" / "pyinstaller"
# Written by the spec: the Python distributions PyInstaller put into the bundle.
SHIPPED = PYINSTALLER_WORK / "clinic-app" / "shipped-distributions.json"
WXS = INSTALLERS / "windows" / "clinic-app.wxs"
WINDOWS = sys.platform == "win32"

# What the bundle needs from the system (everything else travels inside it): the C library
# it was built against (Debian 12: glibc 2.36), OpenGL/EGL, the X connection library and
# fonts. Wayland libraries are recommended: without them Qt uses X11 (XWayland).
DEB_DEPENDS = "libc6 (>= 2.36), libgl1, libegl1, libxcb1, fontconfig, fonts-dejavu-core"
DEB_RECOMMENDS = "libwayland-client0, libwayland-cursor0, libwayland-egl1"
# Debian packages the builds and installer tests need here: wixl and msiinfo for the MSI,
# and what the .deb depends on, so that `dpkg -i` can install it.
APT_TOOLS = ("wixl", "msitools")


def apt_prerequisites() -> list[str]:
    """Debian package names to have installed before building and testing the packages."""
    names = [re.sub(r"\s*\(.*\)", "", part).strip() for part in DEB_DEPENDS.split(",")]
    return [*APT_TOOLS, *names]


DEB_MAINTAINER = "clinic-app maintainers <clinic-app@localhost>"
DEB_INSTALL_DIR = "opt/clinic-app"


def app_version() -> str:
    """The version in clinic_app/__init__.py (read, not imported: no venv needed)."""
    text = (ROOT / "clinic_app" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if found is None:
        raise SystemExit("build.py: no __version__ in clinic_app/__init__.py")
    return found.group(1)


def executable(bundle: Path, *, console: bool = True) -> Path:
    """The bundle's executable (on Windows, the console one for commands)."""
    if WINDOWS:
        return bundle / ("clinic-app-cli.exe" if console else "clinic-app.exe")
    return bundle / "clinic-app"


def _say(text: str) -> None:
    print(f"build.py: {text}", flush=True)


def _run(args: list[str | Path], *, cwd: Path | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=cwd)  # noqa: S603 - our own tools


# -- the bundle ----------------------------------------------------------------------------------


def _normal(name: str) -> str:
    """A distribution name as pip compares them (PEP 503): ``PySide6_Essentials`` is
    ``pyside6-essentials``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path = LOCK) -> dict[str, str]:
    """The lock's pins that apply to this platform and Python, by normalised name."""
    from packaging.markers import Marker  # noqa: PLC0415 - in the build environment only

    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        found = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;([^\\]+))?", line)
        if found is None:
            continue
        name, version, marker = found.groups()
        if marker is None or Marker(marker.strip()).evaluate():
            pins[_normal(name)] = version
    return pins


def check_environment_is_locked() -> None:
    """Refuse to build from an environment whose packages differ from requirements.lock."""
    from importlib.metadata import distributions  # noqa: PLC0415

    installed = {_normal(d.metadata["Name"]): d.version for d in distributions()}
    locked = locked_versions()
    wrong = [
        f"{name} {installed.get(name, 'missing')} (locked: {version})"
        for name, version in sorted(locked.items())
        if installed.get(name) != version
    ]
    # pip installs; clinic-app is what is built.
    wrong += [
        f"{name} {installed[name]} (not locked)"
        for name in sorted(installed)
        if name not in locked and name not in {"pip", "clinic-app"}
    ]
    if wrong:
        raise SystemExit(
            "build.py: this environment is not the one requirements.lock describes: "
            + "; ".join(wrong)
            + ". Install it with `pip install --require-hashes -r requirements.lock` "
            + "(python3 dev.py does)."
        )


def build_bundle(*, self_test: bool = True) -> Path:
    """Run PyInstaller over the spec and write the SBOM; the bundle's self-test must pass."""
    check_environment_is_locked()
    started = time.monotonic()
    _run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            DIST,
            "--workpath",
            PYINSTALLER_WORK,
            SPEC,
        ],
        cwd=ROOT,
    )
    _say(f"bundle built in {time.monotonic() - started:.0f} s: {BUNDLE} ({_size(BUNDLE)})")
    write_sbom(BUNDLE)
    if self_test:
        env = dict(os.environ)
        if not WINDOWS and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
            env["QT_QPA_PLATFORM"] = "offscreen"
        result = subprocess.run([str(executable(BUNDLE)), "self-test"], check=False, env=env)  # noqa: S603
        if result.returncode != 0:
            raise SystemExit("build.py: the bundle's self-test failed (report above)")
    return BUNDLE


def sbom_path(bundle: Path = BUNDLE) -> Path:
    """Where the bill of materials of ``bundle`` is written: beside it."""
    return bundle.parent / f"clinic-app-{app_version()}.cdx.json"


def write_sbom(bundle: Path = BUNDLE, shipped_list: Path = SHIPPED) -> Path:
    """The CycloneDX bill of materials (JSON) of what ``bundle`` holds, beside it.

    cyclonedx-py describes the whole build environment (clinic-app from pyproject.toml as
    the root component; every installed distribution with its version, licence and package
    URL); only the distributions the spec found in the bundle are kept, and the Python
    runtime inside it is added. The output is reproducible (no timestamp or serial number,
    unless SOURCE_DATE_EPOCH gives one).
    """
    if not shipped_list.is_file():
        raise SystemExit(f"build.py: no {shipped_list}; run `build.py bundle` first")
    shipped = {_normal(name) for name in json.loads(shipped_list.read_text(encoding="utf-8"))}
    BUILD.mkdir(parents=True, exist_ok=True)
    environment = BUILD / "environment.cdx.json"
    _run(
        [
            sys.executable,
            "-m",
            "cyclonedx_py",
            "environment",
            "--pyproject",
            ROOT / "pyproject.toml",
            "--output-reproducible",
            "--output-format",
            "JSON",
            "--output-file",
            environment,
            sys.executable,
        ],
        cwd=ROOT,
    )
    bom = json.loads(environment.read_text(encoding="utf-8"))
    components = [c for c in bom["components"] if _normal(c["name"]) in shipped]
    python = platform.python_version()
    components.append(
        {
            "type": "application",
            "bom-ref": f"cpython=={python}",
            "name": "CPython",
            "version": python,
            "description": "the Python runtime inside the bundle",
            "licenses": [{"license": {"id": "PSF-2.0"}}],
        }
    )
    root = bom["metadata"]["component"]["bom-ref"]
    kept = {c["bom-ref"] for c in components} | {root}
    dependencies = []
    for entry in bom.get("dependencies", []):
        if entry["ref"] in kept:
            needs = [ref for ref in entry.get("dependsOn", []) if ref in kept]
            if entry["ref"] == root:
                needs.append(f"cpython=={python}")
            dependencies.append({"ref": entry["ref"], **({"dependsOn": needs} if needs else {})})
    bom["components"] = sorted(components, key=lambda c: _normal(c["name"]))
    bom["dependencies"] = dependencies
    text = json.dumps(bom, indent=2, ensure_ascii=False) + "\n"
    _validate_sbom(text, bom["specVersion"])
    out = sbom_path(bundle)
    out.write_text(text, encoding="utf-8")
    _say(f"bill of materials: {out} ({len(components)} components besides clinic-app)")
    return out


def _validate_sbom(text: str, spec_version: str) -> None:
    """Check the trimmed bill of materials against the CycloneDX schema (cyclonedx-bom's)."""
    from cyclonedx.schema import SchemaVersion  # noqa: PLC0415 - in the build environment only
    from cyclonedx.validation.json import JsonStrictValidator  # noqa: PLC0415

    error = JsonStrictValidator(SchemaVersion.from_version(spec_version)).validate_str(text)
    if error is not None:
        raise SystemExit(f"build.py: the bill of materials is not valid CycloneDX: {error}")


def _size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return f"{total / 1_000_000:.0f} MB"


# -- the Debian package -------------------------------------------------------------------------


LAUNCHER = """#!/bin/sh
# clinic-app: the bundle lives in /opt/clinic-app; user data stays in the user's home.
exec /opt/clinic-app/clinic-app "$@"
"""

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: clinic-app
Comment: clinic-app is proprietary. The bundle in /opt/clinic-app also carries Python,
 Qt (LGPLv3, dynamically linked, replaceable in /opt/clinic-app/_internal), PySide6,
 SQLCipher, SQLAlchemy, Alembic, reportlab and their dependencies under their own licences.

Files: *
License: Proprietary
"""


def build_deb(version: str, bundle: Path = BUNDLE, out_dir: Path = DIST) -> Path:
    """A .deb that installs the bundle in /opt/clinic-app with a launcher and a menu entry."""
    if not executable(bundle).is_file():
        raise SystemExit(f"build.py: no bundle at {bundle}; run `build.py bundle` first")
    started = time.monotonic()
    arch = subprocess.check_output(["dpkg", "--print-architecture"], text=True).strip()  # noqa: S607
    stage = BUILD / f"deb-{version}"
    shutil.rmtree(stage, ignore_errors=True)
    root = stage / "root"
    shutil.copytree(bundle, root / DEB_INSTALL_DIR, symlinks=True)
    _write(root / "usr/bin/clinic-app", LAUNCHER, mode=0o755)
    _copy(INSTALLERS / "linux/clinic-app.desktop", root / "usr/share/applications")
    _copy(INSTALLERS / "linux/clinic-app.svg", root / "usr/share/icons/hicolor/scalable/apps")
    _write(root / "usr/share/doc/clinic-app/copyright", COPYRIGHT)
    _normalise_modes(root)
    # As dpkg counts it: each file rounded up to 1 KiB, each folder or link 1 KiB.
    entries = list(root.rglob("*"))
    installed_kib = sum(
        (p.stat().st_size + 1023) // 1024 if p.is_file() and not p.is_symlink() else 1
        for p in entries
    )
    control = "\n".join(
        [
            "Package: clinic-app",
            f"Version: {version}",
            f"Architecture: {arch}",
            f"Maintainer: {DEB_MAINTAINER}",
            f"Installed-Size: {installed_kib}",
            f"Depends: {DEB_DEPENDS}",
            f"Recommends: {DEB_RECOMMENDS}",
            "Section: misc",
            "Priority: optional",
            "Description: clinical records for stalking intervention programmes",
            " clinic-app keeps a health team's records (plans, sessions, risk, referrals,",
            " measures) in an encrypted database, with partner-safe progress summaries.",
            " .",
            " The program is installed in /opt/clinic-app. Each user's database, keys,",
            " logs and backups stay in their own home folder; removing or purging this",
            " package never touches them.",
            "",
        ]
    )
    _write(root / "DEBIAN/control", control)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"clinic-app_{version}_{arch}.deb"
    out.unlink(missing_ok=True)
    _run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z6", "--build", root, out])
    shutil.rmtree(stage, ignore_errors=True)
    took = time.monotonic() - started
    _say(f"package built in {took:.0f} s: {out} ({out.stat().st_size / 1_000_000:.0f} MB)")
    return out


def _write(path: Path, text: str, *, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _copy(source: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, folder / source.name)


def _normalise_modes(root: Path) -> None:
    """Folders and programs 0755, everything else 0644: readable by every user, no more."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            executable_bit = path.stat().st_mode & stat.S_IXUSR
            path.chmod(0o755 if executable_bit else 0o644)


# -- the Windows Installer package --------------------------------------------------------------


def _wix_id(prefix: str, relative: str) -> str:
    return prefix + hashlib.sha1(relative.encode("utf-8"), usedforsecurity=False).hexdigest()[:24]


def wxs_files(bundle: Path, *, var: str = "var.SourceDir") -> str:
    """A WiX fragment with one component per file of ``bundle`` under INSTALLDIR.

    Ids are derived from each file's path, so they are the same in every build; component
    GUIDs are left to the toolset (Guid="*", stable for a given path).
    """
    lines = ['<?xml version="1.0" encoding="utf-8"?>']
    lines.append('<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">')
    lines.append("  <Fragment>")
    components: list[str] = []

    def walk(folder: Path, depth: int) -> None:
        pad = "  " * depth
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            relative = path.relative_to(bundle).as_posix()
            if path.is_dir():
                lines.append(
                    f'{pad}<Directory Id="{_wix_id("d", relative)}" Name={quoteattr(path.name)}>'
                )
                walk(path, depth + 1)
                lines.append(f"{pad}</Directory>")
            elif path.is_file():
                component = _wix_id("c", relative)
                components.append(component)
                source = quoteattr(f"$({var})/{relative}")
                lines.append(f'{pad}<Component Id="{component}" Guid="*" Win64="yes">')
                lines.append(
                    f'{pad}  <File Id="{_wix_id("f", relative)}" Name={quoteattr(path.name)} '
                    f'Source={source} KeyPath="yes" />'
                )
                lines.append(f"{pad}</Component>")

    lines.append('    <DirectoryRef Id="INSTALLDIR">')
    walk(bundle, 3)
    lines.append("    </DirectoryRef>")
    lines.append("  </Fragment>")
    lines.append("  <Fragment>")
    lines.append('    <ComponentGroup Id="AppFiles">')
    lines += [f'      <ComponentRef Id="{component}" />' for component in components]
    lines.append("    </ComponentGroup>")
    lines.append("  </Fragment>")
    lines.append("</Wix>")
    return "\n".join(lines) + "\n"


def msi_version(version: str) -> str:
    """An MSI ProductVersion: three numbers (major and minor < 256, build < 65536)."""
    numbers = [int(part) for part in re.findall(r"\d+", version)[:3]]
    numbers += [0] * (3 - len(numbers))
    if numbers[0] > 255 or numbers[1] > 255 or numbers[2] > 65535:
        raise SystemExit(f"build.py: {version} cannot be an MSI version")
    return ".".join(str(n) for n in numbers)


def build_msi(
    version: str,
    bundle: Path = BUNDLE,
    out_dir: Path = DIST,
    manufacturer: str = "clinic-app",
) -> Path:
    """Build the MSI from the WiX source with wixl (msitools), over ``bundle``."""
    if shutil.which("wixl") is None:
        raise SystemExit("build.py: wixl is not installed (Debian: apt-get install wixl msitools)")
    started = time.monotonic()
    stage = BUILD / f"msi-{version}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    files = stage / "files.wxs"
    files.write_text(wxs_files(bundle), encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"clinic-app-{version}.msi"
    # wixl finds the files relative to its working folder (an absolute Source fails).
    defines = [
        f"Version={msi_version(version)}",
        f"SourceDir={bundle.resolve().name}",
        f"Manufacturer={manufacturer}",
    ]
    args: list[str | Path] = ["wixl", "--arch", "x64", "-o", out.resolve()]
    for define in defines:
        args += ["-D", define]
    _run([*args, WXS, files.resolve()], cwd=bundle.resolve().parent)
    # wixl 0.101 writes the registry root HKMU as 4; Windows Installer's value is -1
    # (HKCU for a per-user install, HKLM per machine), which WiX itself writes.
    _run(["msibuild", out, "-q", "UPDATE `Registry` SET `Root` = -1 WHERE `Root` = 4"])
    took = time.monotonic() - started
    _say(f"MSI built in {took:.0f} s: {out} ({out.stat().st_size / 1_000_000:.1f} MB)")
    return out


# -- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    bundle = commands.add_parser("bundle", help="build dist/clinic-app with PyInstaller")
    bundle.add_argument("--no-self-test", action="store_true", help="skip the bundle's self-test")
    sbom = commands.add_parser("sbom", help="write the SBOM of the bundle built last")
    deb = commands.add_parser("deb", help="build the Linux package from the bundle")
    msi = commands.add_parser("msi", help="build the MSI with wixl from the bundle")
    files = commands.add_parser("wxs-files", help="write the WiX fragment of the bundle's files")
    files.add_argument("--out", type=Path, required=True)
    for command in (sbom, deb, msi, files):
        command.add_argument("--bundle", type=Path, default=BUNDLE, help="the bundle folder")
    for command in (deb, msi):
        command.add_argument("--version", default=app_version())
        command.add_argument("--out-dir", type=Path, default=DIST)
    msi.add_argument(
        "--manufacturer", default="clinic-app", help="publisher shown in Apps and Features"
    )
    args = parser.parse_args(argv)
    if args.command == "bundle":
        build_bundle(self_test=not args.no_self_test)
    elif args.command == "sbom":
        write_sbom(args.bundle)
    elif args.command == "deb":
        build_deb(args.version, args.bundle, args.out_dir)
    elif args.command == "msi":
        build_msi(args.version, args.bundle, args.out_dir, args.manufacturer)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(wxs_files(args.bundle), encoding="utf-8")
        _say(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
