"""What every part of a client's record offers the record window and the main window.

The record window (:class:`clinic_app.views.record.window.ClientRecordView`) keeps its
parts in step through this one interface: when a part says it ``changed``, every other
part is asked to ``refresh``; before the screen locks each is asked to
``save_drafts_now``; after unlocking, forms that were open are handed back through
``reopen_form``; and the home screen opens an item with ``select_item``. A part that has
nothing to do for one of these keeps the default, which does nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QWidget


class RecordPart(QWidget):
    """One tab of a client's record.

    Signals:
        changed(): the part saved something to the record; the other parts reload.
    """

    changed = Signal()

    def refresh(self) -> None:
        """Show the record as the services have it now (another part changed it)."""

    def save_drafts_now(self) -> None:
        """Keep whatever is being typed, as an autosaved draft, before the record closes."""

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open one of this part's forms again as it was when the screen locked.

        Returns False when the part has no form by that name, or it cannot be reopened.
        """
        return False

    def select_item(self, item_id: int) -> None:
        """Show one item of this part (a note, a referral, a risk event) by its id."""


class RecordBanner(QFrame):
    """A band across the top of a client's record that reloads with its parts."""

    def refresh(self) -> None:
        """Show the record as the services have it now."""
