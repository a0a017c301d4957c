"""The design notes stay true: every module, file and test docs/architecture.md names exists.

Names in backticks that look like a path in the project (``clinic_app/...``, ``tests/...``,
``resources/...``, ``docs/...``, ``installers/...``, ``benchmarks/...``) must exist;
``file.py::test_name`` must name a test in that file; a name in brackets after a module,
``(`name`, ...)``, must be defined in that module. Relative links must lead somewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
TOP = ("clinic_app/", "tests/", "resources/", "docs/", "installers/", "benchmarks/", ".ci/")

_QUOTED = re.compile(r"`([^`\s]+)`")
# A module in backticks followed by the names it holds, in brackets: `m.py` (`a`, `b`)
_HOLDS = re.compile(r"`([\w/]+\.py)` \(((?:`\w+`(?:, )?)+)")
_LINK = re.compile(r"\]\(([^)#\s]+)\)")
_DEFINED = r"^\s*(?:def|class|async def) {name}\b|^{name}\b\s*[:=]"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def named_paths() -> list[str]:
    return sorted({q for q in _QUOTED.findall(_text()) if q.startswith(TOP)})


def test_the_architecture_note_names_things() -> None:
    # A guard for the guard: a change to the pattern that finds nothing would pass below.
    paths = named_paths()
    assert len(paths) > 40
    assert any(p.startswith("tests/") for p in paths)
    assert len(_HOLDS.findall(_text())) > 10


@pytest.mark.parametrize("named", named_paths())
def test_every_path_the_architecture_note_names_exists(named: str) -> None:
    path, _, test = named.partition("::")
    found = sorted(ROOT.glob(path)) if "*" in path else [ROOT / path]
    assert found and all(p.exists() for p in found), f"docs/architecture.md names {path}"
    if test:
        source = found[0].read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(test)}\(", source, re.MULTILINE), named


def test_every_name_the_architecture_note_places_in_a_module_is_there() -> None:
    missing = []
    for module, names in _HOLDS.findall(_text()):
        source = (ROOT / module).read_text(encoding="utf-8")
        for name in re.findall(r"`(\w+)`", names):
            if name.isupper() and f"{name} =" in source:
                continue
            if not re.search(_DEFINED.format(name=name), source, re.MULTILINE):
                missing.append(f"{module}: {name}")
    assert missing == []


def test_every_relative_link_in_the_architecture_note_leads_somewhere() -> None:
    broken = [
        link
        for link in _LINK.findall(_text())
        if "://" not in link and not (DOC.parent / link).exists()
    ]
    assert broken == []
