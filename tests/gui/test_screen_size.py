"""The main window fits a 1366x768 laptop screen, at 100% and at 200% scaling.

Each size is measured in a process of its own (``tests/gui/screen_fit.py``), on Qt's
offscreen screen configured as the free area of the laptop's screen: 1366x728 (768 less
a 40-pixel taskbar), and at 200% the same area of a 2732x1536 panel (2732x1456 pixels,
``QT_SCALE_FACTOR=2``), which is 1366x728 in Qt's device-independent pixels. The window
must fit with room for its title bar and borders, every main screen and every part of a
record must fit at its smallest, and no label or tab title may be cut off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_app.views.common.widgets import FRAME_ALLOWANCE

ROOT = Path(__file__).resolve().parents[2]
FREE_AREA = (1366, 728)  # a 1366x768 screen less the taskbar


def measured(tmp_path: Path, *, pixels: tuple[int, int], scale: int) -> dict:
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps({"screens": [{"name": "laptop", "width": pixels[0], "height": pixels[1]}]})
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "QT_SCALE_FACTOR": str(scale),
        "PYTHONPATH": str(ROOT),
        "CLINIC_APP_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.gui.screen_fit"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def fits(size: list[int], allowance: tuple[int, int] = (0, 0)) -> bool:
    return size[0] + allowance[0] <= FREE_AREA[0] and size[1] + allowance[1] <= FREE_AREA[1]


@pytest.mark.parametrize(
    ("pixels", "scale"),
    [((1366, 728), 1), ((2732, 1456), 2)],
    ids=["100%", "200%"],
)
def test_the_main_window_fits_a_laptop_screen(tmp_path, pixels, scale):
    found = measured(tmp_path, pixels=pixels, scale=scale)
    assert found["screen"] == list(FREE_AREA)  # in device-independent pixels
    assert found["device_pixel_ratio"] == scale
    frame = (FRAME_ALLOWANCE.width(), FRAME_ALLOWANCE.height())
    assert fits(found["window"], frame), found["window"]
    assert fits(found["minimum"], frame), found["minimum"]
    too_big = {name: size for name, size in found["screens"].items() if not fits(size, frame)}
    assert not too_big
    assert not found["clipped"], found["clipped"]
    assert fits(found["lock"]["window"], frame)
    assert not found["lock"]["clipped"]
