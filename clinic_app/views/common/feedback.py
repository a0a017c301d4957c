"""Telling the user what went wrong: known errors plainly, bugs calmly.

Slots that call services are wrapped with :func:`guarded` (a whole slot),
:func:`run_guarded` (one call) or :func:`showing_errors` (a block the slot returns after
when it failed): a ``ClinicError`` is shown in a message box with its plain-English message
and the user's work is left as it was. Every view shows known errors through
:func:`show_error` here, so tests replace it in this one place.
Anything else is a bug: :func:`install_excepthook` logs it (ids only, never patient data,
which error messages do not carry) and shows a calm dialog instead of a traceback.
"""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import ParamSpec, TypeVar

from PySide6.QtWidgets import QMessageBox, QWidget

from clinic_app.errors import ClinicError, Problem, ValidationError

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

CALM_MESSAGE = (
    "Something unexpected went wrong. Your saved work is safe, and text you were typing "
    "has been kept as a draft where possible. Details for support were written to {log}."
)


def show_error(parent: QWidget | None, error: ClinicError, *, title: str = "") -> None:
    """Show a known error's message; the user's input stays where it was."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title or "clinic-app")
    box.setText(error.message)
    box.setAccessibleName("Error message")
    box.setAccessibleDescription(error.message)
    box.exec()


def guarded(
    parent: Callable[[], QWidget | None],
) -> Callable[[Callable[P, R]], Callable[P, R | None]]:
    """Decorate a slot so a ``ClinicError`` is shown to the user instead of propagating."""

    def wrap(slot: Callable[P, R]) -> Callable[P, R | None]:
        @functools.wraps(slot)
        def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
            try:
                return slot(*args, **kwargs)
            except ClinicError as error:
                show_error(parent(), error)
                return None

        return run

    return wrap


def run_guarded(parent: QWidget | None, action: Callable[[], R]) -> R | None:
    """Run ``action``; show a ``ClinicError`` and return None if it raises one."""
    try:
        return action()
    except ClinicError as error:
        show_error(parent, error)
        return None


@dataclass
class Attempt:
    """How a block run under :func:`showing_errors` ended: ``failed`` once an error was shown."""

    failed: bool = False


@contextmanager
def showing_errors(
    parent: QWidget | None,
    *,
    title: str = "",
    problems: Callable[[tuple[Problem, ...]], None] | None = None,
) -> Iterator[Attempt]:
    """Run a block; show a ``ClinicError`` it raises and mark the attempt failed.

    With ``problems``, a ``ValidationError`` goes to it instead (shown field by field
    beside the form) and the attempt is marked failed likewise. The slot checks
    ``attempt.failed`` after the block and returns, leaving the user's input as it was.
    """
    attempt = Attempt()
    try:
        yield attempt
    except ValidationError as error:
        attempt.failed = True
        if problems is None:
            show_error(parent, error, title=title)
        else:
            problems(error.problems)
    except ClinicError as error:
        attempt.failed = True
        show_error(parent, error, title=title)


def safe_traceback(kind: type[BaseException], tb: TracebackType | None) -> str:
    """Where an error happened (type, files, lines, functions) without its message.

    An error's message can quote the values being handled, which may be clinical text,
    so logs keep only the shape of the failure.
    """
    frames = traceback.extract_tb(tb)
    lines = [f"  {f.filename}:{f.lineno} in {f.name}" for f in frames]
    return f"{kind.__module__}.{kind.__qualname__}\n" + "\n".join(lines) + "\n"


def install_excepthook(log_file: Path, *, show: bool = True) -> None:
    """Route unexpected errors to the log and a calm dialog."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a", encoding="utf-8") as handle:
            handle.write(safe_traceback(kind, tb))
        log.error("unexpected error: %s", kind.__name__)
        if show:
            box = QMessageBox()
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle("clinic-app")
            box.setText(CALM_MESSAGE.format(log=log_file))
            box.exec()

    sys.excepthook = hook
