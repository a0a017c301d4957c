"""The installed Qt binding must not leak references: a leak here crashes the app later."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def test_many_qt_calls_do_not_exhaust_python_none():
    # PySide6 6.12.0 under Python 3.11 dropped a reference to None on every call to a Qt
    # method returning nothing; after a few thousand calls the interpreter aborted with
    # "deallocating None". Ordinary use (typing in a search box) makes such calls by the
    # thousand, so the check runs far past that point, in its own process.
    script = textwrap.dedent(
        """
        import sys
        from PySide6.QtWidgets import QApplication, QLabel
        app = QApplication([])
        label = QLabel()
        before = sys.getrefcount(None)
        for _ in range(50_000):
            label.setText("a")
        lost = before - sys.getrefcount(None)
        print(lost)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert int(done.stdout.strip()) < 100
