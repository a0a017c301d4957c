"""What the main window needs of a Home screen, whoever signs in.

A clinician's Home is the dashboard of what needs doing; an administrator's is the
administration screen. The main window shows either first, refreshes it, and opens what
it asks to open.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class HomeScreen(QWidget):
    """The first tab of the main window.

    Signals:
        open_requested(object): something with ``client_id``, ``tab`` and ``item_id`` to
            open in a client's record.
    """

    open_requested = Signal(object)

    def refresh(self) -> None:
        """Show what the services have now."""

    def refresh_changed(self) -> None:
        """Reload what may have changed since it was loaded (by default, everything)."""
        self.refresh()
