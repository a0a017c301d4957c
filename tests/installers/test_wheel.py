"""The wheel: built from this checkout, installed into a new environment, and self-tested.

``pip install .`` must give an installation as complete as the bundle: the resources
(schemas, measures, lexicon, fonts) are kept in the top-level resources/ folder and travel
in the wheel as ``clinic_app/resources``. Building the wheel and an environment takes
about half a minute, so this runs with the other packaging tests
(``CLINIC_APP_PACKAGE_TESTS=1``: ``python3 dev.py test`` and ``python3 dev.py package``).

The new virtual environment borrows this one's installed dependencies through a .pth
file rather than downloading Qt again; clinic_app itself comes from the wheel alone (its
own site-packages comes first, and it runs from a folder outside the checkout with no
PYTHONPATH), which the test checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from clinic_app import __version__

from .conftest import HOW_TO_RUN, ROOT, offscreen_env

# Never copied into the build: environments, build output, caches, version control.
NOT_SOURCE = {".git", ".venv", ".venv-build", "build", "dist", "node_modules"}
CACHES = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
RESOURCE_CHECKS = ("JSON schemas", "Measure definitions", "Lexicon", "Document fonts")


def _ignored(folder: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n in CACHES or n.endswith(".egg-info")}
    if Path(folder) == ROOT:
        skipped |= {n for n in names if n in NOT_SOURCE or n.startswith(".import_linter")}
    return skipped


def run(
    args: list[str | Path], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


def environment_paths(python: Path) -> tuple[Path, Path]:
    """The site-packages and the scripts folder of the environment ``python`` belongs to."""
    code = "import sysconfig; p = sysconfig.get_paths(); print(p['purelib']); print(p['scripts'])"
    purelib, scripts = run([python, "-c", code]).stdout.splitlines()
    return Path(purelib), Path(scripts)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A new virtual environment with only the wheel installed in it (and this one's deps)."""
    if os.environ.get("CLINIC_APP_PACKAGE_TESTS") != "1":
        pytest.skip(f"the wheel is not built in this run ({HOW_TO_RUN})")
    work = tmp_path_factory.mktemp("wheel")
    # A clean copy, because setuptools keeps build/ in the tree it builds and would put
    # whatever is left there from an earlier build into the wheel.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_ignored)
    wheels = work / "wheels"
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", wheels, source])
    (wheel,) = wheels.glob("clinic_app-*.whl")

    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site_packages, scripts = environment_paths(python)
    here = sysconfig.get_paths()
    borrowed = dict.fromkeys([here["purelib"], here["platlib"]])
    (site_packages / "zz-borrowed-dependencies.pth").write_text("\n".join(borrowed) + "\n")
    run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel])
    return {"wheel": wheel, "python": python, "site_packages": site_packages, "scripts": scripts}


def run_installed(args: list[str | Path], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run in the new environment from an empty folder, with nothing pointing at the checkout."""
    env = offscreen_env(CLINIC_APP_DATA_DIR=str(tmp_path / "data"))
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"):
        env.pop(name, None)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir(exist_ok=True)
    return run(args, env=env, cwd=cwd)


def test_the_wheel_carries_the_resources_as_package_data(installed: dict[str, Path]) -> None:
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    shipped = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "resources").rglob("*"))
    for name in shipped:
        if (ROOT / name).is_file():
            assert f"clinic_app/{name}" in names, name
    assert "clinic_app/resources/fonts/LICENSE" in names
    # Nothing but clinic_app and its metadata at the top of the wheel.
    assert {name.split("/")[0] for name in names} == {
        "clinic_app",
        f"clinic_app-{__version__}.dist-info",
    }


def test_the_installed_wheel_is_what_runs(installed: dict[str, Path], tmp_path: Path) -> None:
    code = (
        "import clinic_app, clinic_app.config as c; print(clinic_app.__file__, c.resources_dir())"
    )
    package, resources = run_installed([installed["python"], "-c", code], tmp_path).stdout.split()
    site_packages = installed["site_packages"].resolve()
    assert Path(package).resolve() == site_packages / "clinic_app" / "__init__.py"
    assert Path(resources).resolve() == site_packages / "clinic_app" / "resources"


def test_the_installed_wheel_passes_its_self_test(
    installed: dict[str, Path], tmp_path: Path
) -> None:
    command = installed["scripts"] / ("clinic-app.exe" if os.name == "nt" else "clinic-app")
    out = run_installed([command, "self-test"], tmp_path).stdout
    where = installed["site_packages"].resolve()
    assert out.splitlines()[0] == f"clinic-app {__version__} self-test: Python package in {where}"
    for name in RESOURCE_CHECKS:
        (line,) = [line for line in out.splitlines() if f" {name} " in f"{line} "]
        assert line.split()[0] == "OK", out
    assert "All needed checks passed." in out
    assert not (tmp_path / "data").exists()
