"""The bundle's software bill of materials (CycloneDX JSON), written beside it in dist/.

It needs the bundle (see conftest.py: ``CLINIC_APP_PACKAGE_TESTS=1`` or
``python3 dev.py package``); ``build.py bundle`` writes the bill of materials with it.
"""

from __future__ import annotations

import json
import platform
import re
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

from clinic_app import __version__

# What any reader of the bill of materials must find, with the version that was shipped.
ESSENTIAL = ("PySide6-Essentials", "PySide6-Addons", "SQLAlchemy", "sqlcipher3", "reportlab")
# In the build environment, and not in the bundle.
BUILD_TOOLS = ("pytest", "mypy", "ruff", "hypothesis", "cyclonedx-bom", "setuptools", "pip")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def load(bundle: Path, build: ModuleType) -> dict[str, Any]:
    path = build.sbom_path(bundle)
    assert path.parent == bundle.parent
    assert path.name == f"clinic-app-{__version__}.cdx.json"
    bom: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return bom


def test_the_bill_of_materials_lists_what_was_shipped(bundle: Path, build: ModuleType) -> None:
    bom = load(bundle, build)
    assert bom["bomFormat"] == "CycloneDX"
    root = bom["metadata"]["component"]
    assert (root["name"], root["version"]) == ("clinic-app", __version__)
    shipped = {normal(c["name"]): c for c in bom["components"]}
    for name in ESSENTIAL:
        component = shipped[normal(name)]
        assert component["version"] == version(name), name
        assert component["purl"] == f"pkg:pypi/{normal(name)}@{version(name)}"
    assert shipped["cpython"]["version"] == platform.python_version()
    assert not [name for name in BUILD_TOOLS if normal(name) in shipped]


def test_every_dependency_names_a_listed_component(bundle: Path, build: ModuleType) -> None:
    bom = load(bundle, build)
    refs = {c["bom-ref"] for c in bom["components"]} | {bom["metadata"]["component"]["bom-ref"]}
    for entry in bom["dependencies"]:
        assert entry["ref"] in refs
        assert set(entry.get("dependsOn", [])) <= refs, entry
