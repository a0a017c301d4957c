"""The one place where the benchmarks name the application's window-side internals.

The views are being reorganised into folders; when a module path or an attribute below
moves, update it here and nowhere else. Everything else in ``benchmarks/`` drives the
application through ``ClinicApp`` and ``MainWindow``'s public methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QLineEdit, QTabWidget, QWidget

# Where ``clinic_app.app`` takes the sign-in window class from (patched by the start probe
# in a real ``clinic-app`` process, see ``benchmarks/probe/sitecustomize.py``).
APP_MODULE = "clinic_app.app"
SIGN_IN_DIALOG_NAME = "SignInDialog"


def record_tabs(view: QWidget) -> QTabWidget:
    """The tab widget of a client's record view (``ClientRecordView.tabs``).

    Each page is a holder (``PartHolder``) in which the part is built the first time the
    tab is shown; a paint of the part is a paint inside the page.
    """
    tabs: QTabWidget = view.tabs  # type: ignore[attr-defined]
    return tabs


def runner_idle(controller: object) -> bool:
    """No unit of work waiting, running or undelivered (``ClinicApp.runner.idle``)."""
    return bool(controller.runner.idle)  # type: ignore[attr-defined]


def after_each_delivery(controller: object, then: Callable[[], None]) -> None:
    """Call ``then`` on the GUI thread just after each unit of work's result was handed to
    the view that asked for it (the runner's bridge signal, connected after the runner's
    own slot, so it runs after the view's callback)."""
    controller.runner._bridge.finished_one.connect(lambda _outcome: then())  # type: ignore[attr-defined]


def caseload_search_box(caseload: QWidget) -> QLineEdit:
    """The search box of the caseload view (``CaseloadView.search_box``)."""
    box: QLineEdit = caseload.search_box  # type: ignore[attr-defined]
    return box


def caseload_row_count(caseload: QWidget) -> tuple[int, int]:
    """(rows shown, rows loaded) in the caseload view."""
    return caseload.proxy.rowCount(), caseload.model.rowCount()  # type: ignore[attr-defined]


def content_loading(view: QWidget) -> bool:
    """True while a screen's content is on its way from the background runner
    (``DashboardView.loading``); False for a screen that loads in place."""
    return bool(getattr(view, "loading", False))


def when_loaded(view: QWidget, callback: Callable[[], object]) -> None:
    """Call ``callback`` each time the screen shows content that arrived from the runner
    (``DashboardView.loaded``); nothing for a screen without that signal."""
    signal = getattr(view, "loaded", None)
    if signal is not None:
        signal.connect(callback)
