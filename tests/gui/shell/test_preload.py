"""What is loaded ahead of the user: the record's screens, without what only drawing needs."""

from __future__ import annotations

import subprocess
import sys

# Imported by the record's screens only when a document is drawn (about 15 MB resident).
DRAWING = ("reportlab", "clinic_app.reports.pdf", "clinic_app.reports.page")


def test_the_record_screens_imported_ahead_leave_the_pdf_renderer_until_a_document_is_drawn():
    probe = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; "
        "from clinic_app.views.shell import preload; preload.import_record_screens(); "
        "print(' '.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert "clinic_app.views.referrals.tab" in loaded  # the screens are there
    assert "clinic_app.views.sar.tab" in loaded and "clinic_app.views.sharing.tab" in loaded
    for heavy in DRAWING:
        assert heavy not in loaded, heavy
