"""Fixtures for the installer tests: the build script, and the bundle when one is wanted.

Building the PyInstaller bundle takes about a minute, so the bundle and package tests run
only when asked: ``CLINIC_APP_PACKAGE_TESTS=1`` builds the bundle once for the session
(``python3 dev.py test`` and ``python3 dev.py package`` set it), and ``CLINIC_APP_BUNDLE``
points at a bundle already built. Otherwise those tests are skipped and say how to run
them. The wheel test (test_wheel.py) builds and installs a wheel under the same switch.
The self-test and MSI tests need no bundle.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOW_TO_RUN = "set CLINIC_APP_PACKAGE_TESTS=1, or run `python3 dev.py package`"


def load_build_script() -> ModuleType:
    """installers/build.py, imported by path (installers/ is not a package)."""
    name = "clinic_app_installers_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "installers" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build() -> ModuleType:
    return load_build_script()


@pytest.fixture(scope="session")
def bundle(build: ModuleType) -> Iterator[Path]:
    """The PyInstaller bundle: the one named by CLINIC_APP_BUNDLE, or built now if asked."""
    given = os.environ.get("CLINIC_APP_BUNDLE")
    if given:
        path = Path(given)
        if not build.executable(path).is_file():
            pytest.fail(f"CLINIC_APP_BUNDLE={given} holds no clinic-app bundle")
        yield path
        return
    if os.environ.get("CLINIC_APP_PACKAGE_TESTS") != "1":
        pytest.skip(f"the bundle is not built in this run ({HOW_TO_RUN})")
    yield build.build_bundle(self_test=False)


def offscreen_env(**extra: str) -> dict[str, str]:
    """The environment for running the app without a display, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env
