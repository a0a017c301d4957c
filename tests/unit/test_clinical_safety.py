"""The hazard log stays true: every hazard is complete and every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.md"

PARTS = (
    "Hazard",
    "Causes",
    "Effects",
    "Possible harm",
    "Controls",
    "Before controls",
    "After controls",
    "Status",
    "Tests",
)

# The hazards the clinical safety file must always cover (DCB0129 and the domain).
REQUIRED = (
    "Wrong patient",
    "Partner document reveals clinical detail",
    "Partner document reveals a victim's identity or whereabouts",
    "Critical questionnaire answer missed",
    "Wrong score or band",
    "Urgent risk event not shared in time",
    "Signed note altered or lost",
    "Database key lost",
    "Referral not actioned",
    "Administrator reads clinical text",
    "Stale record overwritten by a colleague",
)

_HEADING = re.compile(r"^## (HAZ-\d{2}) (.+)$", re.MULTILINE)
_TEST = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
_RISK = re.compile(
    r"(minor|significant|considerable|major|catastrophic), "
    r"(very low|low|medium|high|very high), (?:residual )?risk ([1-5])"
)


def hazards() -> dict[str, tuple[str, str]]:
    text = LOG.read_text(encoding="utf-8")
    found: dict[str, tuple[str, str]] = {}
    marks = list(_HEADING.finditer(text))
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        found[mark.group(1)] = (mark.group(2), text[mark.end() : end])
    return found


def test_the_required_hazards_are_all_in_the_log():
    titles = {title for title, _ in hazards().values()}
    assert set(REQUIRED) <= titles


@pytest.mark.parametrize("hazard_id", sorted(hazards()))
def test_each_hazard_has_every_part_in_order(hazard_id):
    _title, body = hazards()[hazard_id]
    positions = [body.find(f"- **{part}**:") for part in PARTS]
    assert -1 not in positions, [p for p, at in zip(PARTS, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    before, after = (m.groups() for m in _RISK.finditer(body))
    assert int(after[2]) <= int(before[2])  # controls never raise the risk


@pytest.mark.parametrize("hazard_id", sorted(hazards()))
def test_every_test_a_hazard_names_exists(hazard_id):
    _title, body = hazards()[hazard_id]
    named = _TEST.findall(body)
    assert named, f"{hazard_id} names no test proving its controls"
    for path, name in named:
        source = ROOT / path
        assert source.is_file(), f"{hazard_id}: {path} does not exist"
        pattern = rf"^def {name}\("
        assert re.search(pattern, source.read_text(encoding="utf-8"), re.MULTILINE), (
            f"{hazard_id}: {path} has no test named {name}"
        )
