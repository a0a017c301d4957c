"""What is loaded ahead of the user: the record's screens, without what only drawing needs,
and the other tabs' screens only once a record has opened."""

from __future__ import annotations

import subprocess
import sys

# Imported by the record's screens only when a document is drawn (about 15 MB resident).
DRAWING = ("reportlab", "clinic_app.reports.pdf", "clinic_app.reports.page")
# The other tabs' screens, imported once the first record has opened.
OTHER_TABS = (
    "clinic_app.views.measures.tab",
    "clinic_app.views.plan.tab",
    "clinic_app.views.referrals.tab",
    "clinic_app.views.sessions.tab",
    "clinic_app.views.sharing.tab",
    "clinic_app.views.sar.tab",
    "clinic_app.services.sharing.redaction",
    "clinic_app.views.third_parties.tab",
    "clinic_app.views.documents.tab",
    "PySide6.QtCharts",
    "PySide6.QtPdf",
)


def _loaded_after(calls: str) -> list[str]:
    probe = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; "
        f"from clinic_app.views.shell import preload; {calls}; "
        "print(' '.join(sorted(sys.modules)))"
    )
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()


def test_what_the_first_record_needs_is_imported_ahead_and_the_other_tabs_are_not():
    loaded = _loaded_after("preload.import_record_screens()")
    for needed in (
        "clinic_app.views.record.window",
        "clinic_app.views.record.overview",
        "clinic_app.views.risk.tab",  # the urgent-risk banner
        "clinic_app.views.record.assembly",
    ):
        assert needed in loaded, needed
    for later in (*OTHER_TABS, *DRAWING):
        assert later not in loaded, later


def test_the_other_tabs_come_with_the_first_record_and_leave_the_pdf_renderer():
    loaded = _loaded_after("preload.import_record_screens(); preload.import_other_record_screens()")
    for tab in OTHER_TABS:
        assert tab in loaded, tab
    for heavy in DRAWING:
        assert heavy not in loaded, heavy
