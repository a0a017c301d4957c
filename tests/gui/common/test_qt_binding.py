"""The installed Qt binding must not leak references: a leak here crashes the app later."""

from __future__ import annotations

import os
import re
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


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )


def test_modules_imported_after_qt_are_not_read_into_the_line_cache():
    # PySide6's import hook reads the whole source of every module imported after Qt (to
    # see whether it mentions PySide6), and linecache keeps it: about 15 MB for SQLAlchemy.
    # Importing the views takes that hook out (the import it wraps stays: PySide6's lazy
    # loading needs it, and a star import from a Qt module is what shows it); Qt keeps
    # working after it.
    done = _run(
        """
        import builtins, linecache
        import PySide6.QtWidgets
        import clinic_app.views
        import colorsys, wave  # not imported by anything before
        cached = [name for name in linecache.cache if name.endswith(("colorsys.py", "wave.py"))]
        assert not cached, cached
        assert builtins.__import__ is not getattr(builtins, "__feature_import__", None)
        from PySide6.QtCharts import QChart
        namespace = {}
        exec("from PySide6.QtGui import *", namespace)
        assert "QPainterPath" in namespace and "QFontMetrics" in namespace
        from PySide6.QtWidgets import QApplication, QLabel
        app = QApplication([])
        label = QLabel("shown")
        chart = QChart()
        chart.setTitle("still Qt")
        print(label.text(), chart.title())
        """
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.split() == ["shown", "still", "Qt"]


def test_the_hook_is_left_alone_where_something_else_replaced_the_import():
    done = _run(
        """
        import builtins
        import PySide6.QtCore
        mine = lambda *args, **kwargs: builtins.__orig_import__(*args, **kwargs)
        builtins.__import__ = mine
        from clinic_app.views.pyside_import import restore_plain_import
        assert restore_plain_import() is False
        assert builtins.__import__ is mine
        """
    )
    assert done.returncode == 0, done.stderr[-1500:]


def test_no_module_uses_pysides_feature_switch():
    # The hook that clinic_app.views removes is what makes "from __feature__ import ..."
    # work; nothing here may rely on it.
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "clinic_app")
    users = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as source:
                    if re.search(r"^\s*(from|import) __feature__", source.read(), re.M):
                        users.append(path)
    assert users == []
