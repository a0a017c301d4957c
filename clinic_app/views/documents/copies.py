"""Temporary copies of received documents, for the computer's own viewer, and their removal.

A document lives inside the encrypted database. To show it, the computer's viewer (a PDF
reader, Word, the picture viewer) needs a file, so opening one writes a copy:

- in a folder of the user's own (``open-documents`` in the per-user data folder, made
  readable by its owner only), inside a new folder made for that one copy;
- readable by its owner only, and read-only, so the viewer does not save changes into it;
- under a neutral name (``received-document-12.pdf``): the viewer shows the name in its
  title and keeps it in its list of recent files, so it never holds the document's title;
- removed when the screen locks, the user signs out or the application quits, and any
  copy left behind (after a power cut, say) is removed the next time the application
  starts.

A copy is not removed while the viewer may still be reading it: on Windows a file open in
another program cannot be removed, and a viewer that reads as it goes (a long PDF) would
lose its pages. The copy is no less private than the viewer's window showing it.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_app import config

if TYPE_CHECKING:  # the application imports this module as it starts: kept light
    from clinic_app.services.documents import DocumentFile

log = logging.getLogger(__name__)

FOLDER_NAME = "open-documents"
_FOLDER_PREFIX = "copy-"


def copies_folder() -> Path:
    """Where this user's temporary copies are written."""
    return config.data_dir() / FOLDER_NAME


def _writable_again(function: Callable[..., object], path: str, _info: object) -> None:
    # A read-only copy (Windows' read-only attribute) is made writable to be removed.
    os.chmod(path, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
    function(path)


def _remove(folder: Path) -> bool:
    """Remove one copy's folder; False when it could not be (still open on Windows)."""
    try:
        shutil.rmtree(folder, onerror=_writable_again)
    except FileNotFoundError:
        return True
    except OSError:
        log.info("a temporary copy could not be removed yet (still open?)")
        return False
    return True


class TemporaryCopies:
    """The copies written in this run of the application, and their removal.

    Safe to use from the runner's worker thread (copies are written there, off the GUI
    thread) and from the GUI thread (removal).
    """

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._made: list[Path] = []
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        return self._folder if self._folder is not None else copies_folder()

    def write(self, document: DocumentFile) -> Path:
        """Write a copy of ``document`` for the viewer; returns where it is."""
        base = self.folder
        base.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            base.chmod(0o700)
        own = Path(tempfile.mkdtemp(prefix=_FOLDER_PREFIX, dir=base))  # made 0o700
        with self._lock:
            self._made.append(own)
        path = own / f"received-document-{document.id}{document.suffix}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(document.content)
        path.chmod(stat.S_IRUSR)  # read-only, for its owner only
        return path

    def made(self) -> list[Path]:
        """The folders of the copies written and not yet removed."""
        with self._lock:
            return list(self._made)

    def remove_all(self) -> list[Path]:
        """Remove every copy written in this run; returns those that could not be removed."""
        with self._lock:
            made, self._made = self._made, []
        kept = [folder for folder in made if not _remove(folder)]
        with self._lock:
            self._made.extend(kept)
        return kept

    def remove_leftovers(self) -> int:
        """Remove every copy in the folder, this run's or an earlier one's; returns how many
        could not be removed. Called as the application starts and as it ends."""
        self.remove_all()
        base = self.folder
        if not base.is_dir():
            return 0
        return sum(
            not _remove(folder)
            for folder in base.iterdir()
            if folder.name.startswith(_FOLDER_PREFIX)
        )


_copies = TemporaryCopies()


def temporary_copies() -> TemporaryCopies:
    """The application's temporary copies."""
    return _copies


def remove_temporary_copies() -> None:
    """Remove every temporary copy of a document (sign-out, quitting, starting)."""
    _copies.remove_leftovers()
