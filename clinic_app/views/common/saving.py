"""A form's save through the background runner: then accept, or show the problems.

Every dialog that saves does the same few things, so they live here once::

    def _on_save(self) -> None:
        work = partial(self._create, self.client_id, reason=self.reason.toPlainText())
        save_through_runner(
            self, work, self._on_saved,
            busy=[self.save_button],
            title="The referral was not saved",
            problems=self.show_problems,
        )

- Every value is read from the widgets *before* the unit of work is built: the work runs
  off the GUI thread and never touches a widget.
- While it runs, the buttons named in ``busy`` are disabled, so a second click cannot
  save twice.
- ``saved`` gets the result on the GUI thread (it usually accepts the dialog).
- A :class:`ValidationError` goes to ``problems`` (shown beside the fields); any other
  :class:`ClinicError` is shown in a message box titled ``title``. Either way the buttons
  are enabled again and the user's input is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import shiboken6
from PySide6.QtWidgets import QWidget

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.views.common import feedback
from clinic_app.views.common.runner import runner

R = TypeVar("R")


def save_through_runner(
    form: QWidget,
    work: Callable[[], R],
    saved: Callable[[R], None],
    *,
    busy: Iterable[QWidget],
    title: str,
    problems: Callable[[Sequence[Problem]], None] | None = None,
    key: str | None = None,
) -> None:
    """Run ``work`` on the runner with ``busy`` disabled; hand the result to ``saved``."""
    buttons = list(busy)
    for button in buttons:
        button.setEnabled(False)

    def enable_again() -> None:
        for button in buttons:
            if shiboken6.isValid(button):
                button.setEnabled(True)

    def done(result: R) -> None:
        enable_again()
        saved(result)

    def failed(error: ClinicError) -> None:
        enable_again()
        if problems is not None and isinstance(error, ValidationError):
            problems(error.problems)
        else:
            feedback.show_error(form, error, title=title)

    runner().run(work, done, key=key, parent=form, failed=failed)
