"""Files written whole or not at all: the one way clinic-app puts a file in place.

A file that matters (the key file, the integrity anchor, a backup, a restored database,
an export, a PDF) is written under a unique temporary name beside its destination,
created exclusively (``O_EXCL``, never following a link someone planted there) and
readable by its owner only, flushed to the disk, renamed over the destination, and the
folder itself flushed so the rename survives a power cut. A reader therefore sees either
the old file or the whole new one, never half of either.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

OWNER_ONLY = stat.S_IRUSR | stat.S_IWUSR
_COPY_CHUNK = 1 << 20


def temporary_name(path: Path, purpose: str = "partial") -> Path:
    """A fresh hidden name beside ``path`` (same folder, so renaming it is atomic)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.{purpose}")


def _create_exclusively(path: Path, mode: int) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)  # Windows: no newline translation
    return os.open(path, flags, mode)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename or a new file) to the disk, where that exists.

    Windows has no way to open a folder for flushing; its renames are journalled by NTFS.
    """
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(path: Path, *, mode: int = OWNER_ONLY, purpose: str = "partial") -> Iterator[Path]:
    """Yield a temporary path to fill; on success it is flushed and renamed to ``path``.

    For writers that need a file name rather than a stream (SQLCipher writing a backup).
    The caller creates the file at the yielded path; if the block fails, whatever was
    written there (and any SQLite sidecar files) is removed and ``path`` is untouched.
    """
    path = Path(path)
    tmp = temporary_name(path, purpose)
    try:
        yield tmp
        fsync_file(tmp)
        if sys.platform != "win32":
            os.chmod(tmp, mode)
        os.replace(tmp, path)
        sync_folder(path.parent)
    except BaseException:
        remove_quietly(tmp)
        raise


def fsync_file(path: Path) -> None:
    """Flush a file that someone else wrote (e.g. SQLCipher) to the disk."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> None:
    """Remove a temporary file and any SQLite sidecars it grew; absent is fine."""
    for name in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


def write_atomically(path: Path, data: bytes, *, mode: int = OWNER_ONLY) -> None:
    """Put ``data`` at ``path`` whole: the old file or the new one, never a mixture."""
    path = Path(path)
    tmp = write_temporary(path, data, mode=mode)
    try:
        _finish(tmp, path, mode)
    except BaseException:
        remove_quietly(tmp)
        raise


def write_temporary(path: Path, data: bytes, *, mode: int = OWNER_ONLY) -> Path:
    """Write ``data`` to a new temporary file beside ``path``, flushed to the disk.

    For a file that is to be put in place later (when a unit of work commits): move it
    with :func:`rename_durably`, or remove it with :func:`remove_quietly`.
    """
    path = Path(path)
    tmp = temporary_name(path)
    fd = _create_exclusively(tmp, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if sys.platform != "win32":
            os.chmod(tmp, mode)  # O_CREAT's mode is narrowed by the umask; say it exactly
    except BaseException:
        remove_quietly(tmp)
        raise
    return tmp


def copy_atomically(source: Path, path: Path, *, mode: int = OWNER_ONLY) -> None:
    """Copy ``source`` to ``path`` whole (a backup put in place of a database, say)."""
    path = Path(path)
    tmp = temporary_name(path, "copying")
    fd = _create_exclusively(tmp, mode)
    try:
        with os.fdopen(fd, "wb") as out, Path(source).open("rb") as src:
            _copy(src, out)
            out.flush()
            os.fsync(out.fileno())
        _finish(tmp, path, mode)
    except BaseException:
        remove_quietly(tmp)
        raise


def _copy(src: BinaryIO, out: BinaryIO) -> None:
    shutil.copyfileobj(src, out, _COPY_CHUNK)


def _finish(tmp: Path, path: Path, mode: int) -> None:
    if sys.platform != "win32":
        os.chmod(tmp, mode)
    os.replace(tmp, path)
    sync_folder(path.parent)


def rename_durably(source: Path, target: Path) -> None:
    """Rename within one folder and make the rename itself survive a power cut."""
    os.replace(source, target)
    sync_folder(Path(target).parent)
