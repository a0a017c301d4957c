"""A form's save through the background runner: then accept, or show the problems.

Every dialog that saves does the same few things, so they live here once::

    def _on_save(self) -> None:
        work = partial(self._create, self.client_id, reason=self.reason.toPlainText())
        save_through_runner(
            self, work, self._on_saved,
            busy=[self.buttons],
            title="The referral was not saved",
            problems=self.show_problems,
        )

- Every value is read from the widgets *before* the unit of work is built: the work runs
  off the GUI thread and never touches a widget.
- While it runs, the buttons named in ``busy`` are disabled (a dialog passes its whole
  button box), so a second click cannot save twice, and a dialog cannot be closed
  (Escape, the window's close button): a save that is on its way is never mistaken for
  one that was cancelled.
- ``saved`` gets the result on the GUI thread (it usually accepts the dialog).
- A :class:`ValidationError` goes to ``problems`` (shown beside the fields); any other
  :class:`ClinicError` is shown in a message box titled ``title`` (a site that cannot be
  reached adds that what was typed is still in the form). Either way the buttons are
  enabled again and the user's input is left exactly as it was.
- An :class:`EditConflict` (someone else saved this record since the form was opened)
  opens the conflict dialog (:mod:`clinic_app.views.common.conflict`): both texts side by
  side (only the parts in ``mine_changed``, when given: those the user changed). "Save
  mine over it" runs ``again(conflict, edits)``, the same save with the newer version
  (``conflict.version``) and the user's texts as edited there; "Keep the saved one" calls
  ``keep_saved``. A form that saves from a version passes both, in a line::

      again=lambda conflict, edits: partial(self._update, item_id, reapply(data, edits),
                                            expected_version=conflict.version),
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QWidget

from clinic_app.errors import ClinicError, EditConflict, Problem, ValidationError
from clinic_app.storage.site import SiteUnreachable
from clinic_app.views.common import feedback
from clinic_app.views.common.conflict import offer_conflict
from clinic_app.views.common.runner import runner

R = TypeVar("R")

KEPT_IN_FORM = (
    "Nothing was saved. What you typed is still in this form: save it again when the team "
    "database is back."
)


class _HoldOpen(QObject):
    """Keeps a dialog open while its save is on its way (no Escape, no closing)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            event.ignore()
            return True
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            return True
        return super().eventFilter(watched, event)


def save_through_runner(
    form: QWidget,
    work: Callable[[], R],
    saved: Callable[[R], None],
    *,
    busy: Iterable[QWidget],
    title: str,
    problems: Callable[[Sequence[Problem]], None] | None = None,
    key: str | None = None,
    again: Callable[[EditConflict, Mapping[str, str]], Callable[[], R]] | None = None,
    keep_saved: Callable[[], None] | None = None,
    mine_changed: Collection[str] | None = None,
) -> None:
    """Run ``work`` on the runner with ``busy`` disabled; hand the result to ``saved``.

    ``again`` and ``keep_saved``: what the conflict dialog's choices do (see above)."""
    buttons = list(busy)
    for button in buttons:
        button.setEnabled(False)
    hold: _HoldOpen | None = None
    if isinstance(form, QDialog):
        hold = _HoldOpen(form)
        form.installEventFilter(hold)

    def enable_again() -> None:
        for button in buttons:
            if shiboken6.isValid(button):
                button.setEnabled(True)
        if hold is not None and shiboken6.isValid(hold):
            form.removeEventFilter(hold)
            hold.deleteLater()

    def done(result: R) -> None:
        enable_again()
        saved(result)

    def save_mine(conflict: EditConflict, edits: Mapping[str, str]) -> None:
        assert again is not None
        if shiboken6.isValid(form):
            save_through_runner(
                form,
                again(conflict, edits),
                saved,
                busy=buttons,
                title=title,
                problems=problems,
                key=key,
                again=again,
                keep_saved=keep_saved,
                mine_changed=mine_changed,
            )

    def failed(error: ClinicError) -> None:
        enable_again()
        if problems is not None and isinstance(error, ValidationError):
            problems(error.problems)
        elif isinstance(error, SiteUnreachable):
            away = SiteUnreachable(f"{error.message} {KEPT_IN_FORM}")
            feedback.show_error(form, away, title=title)
        elif isinstance(error, EditConflict):
            shown = error if mine_changed is None else error.only(mine_changed)
            offer_conflict(
                form, shown, save_mine=save_mine if again else None, keep_saved=keep_saved
            )
        else:
            feedback.show_error(form, error, title=title)

    runner().run(work, done, key=key, parent=form, failed=failed)
