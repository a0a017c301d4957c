"""Writing a document's file only once its register entry is kept.

:func:`write_when_committed` stages the bytes beside the target and moves them into place
only when the caller's unit of work commits, so the file exists exactly when its
disclosure register entry does. A file written at once, all or nothing (a copy the user
saves again, a CSV of the register, a referral letter issued after its entry is
recorded), goes through ``storage.files.write_atomically``: clinic-app has one way of
putting a file in place, and this module stages through it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from clinic_app.errors import StorageError
from clinic_app.storage import files

_STAGED: Final = "clinic_app.services.sharing.files.staged_files"
"""The key in ``Session.info`` of the files waiting for their unit of work to end."""


@dataclass
class _StagedFile:
    temp: Path
    target: Path
    transaction: SessionTransaction
    committed: bool = False


def write_when_committed(session: Session, path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` when, and only if, ``session``'s unit of work commits.

    The bytes are written now to a hidden temporary file beside ``path`` and flushed to
    disk (so a full disk or a missing folder fails the use case, before anything is
    committed); when the outermost transaction commits the file is renamed over ``path``
    (and the folder flushed, so the rename survives a power cut), and when it rolls back
    (or a savepoint around the write does), or the session closes without committing,
    the temporary file is deleted. So the file exists exactly when its register entry
    does. If the rename fails after the commit, StorageError (raised by ``commit()``)
    says the entry is recorded and the document can be regenerated from the register.
    """
    path = Path(path)
    # The innermost transaction: a savepoint rolled back takes the file with it.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    temp = files.write_temporary(path, data)
    staged: list[_StagedFile] | None = session.info.get(_STAGED)
    if staged is None:
        staged = session.info[_STAGED] = []
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_transaction_end", _after_transaction_end)
    staged.append(_StagedFile(temp, path, transaction))


def _after_commit(session: Session) -> None:
    # Fired for the outermost transaction and for savepoints, once committed (no longer
    # active); the transactions still open around it are active.
    for staged in session.info.get(_STAGED, ()):
        if not staged.transaction.is_active:
            staged.committed = True


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # Renaming here rather than in after_commit: the session is closed cleanly by now, so
    # an error raised below reaches the caller of commit() and leaves the session usable.
    staged: list[_StagedFile] = session.info.get(_STAGED, [])
    ending = [f for f in staged if f.transaction is transaction]
    if not ending:
        return
    staged[:] = [f for f in staged if f.transaction is not transaction]
    parent = transaction.parent
    failed: list[Path] = []
    for f in ending:
        if f.committed and transaction.nested and parent is not None:
            # A savepoint committed: the file now waits for the transaction around it.
            staged.append(_StagedFile(f.temp, f.target, parent))
            continue
        if not f.committed:
            with contextlib.suppress(OSError):
                files.remove_quietly(f.temp)
            continue
        try:
            files.rename_durably(f.temp, f.target)
        except OSError:
            if f.temp.exists() or not f.target.exists():
                # Not moved into place (only a failed flush of the folder, after the
                # rename, leaves the document where it belongs).
                with contextlib.suppress(OSError):
                    files.remove_quietly(f.temp)
                failed.append(f.target)
    if failed:
        raise StorageError(
            f"The document is recorded in the disclosure register, but it could not be "
            f"saved as {failed[0]}. Check that the folder can be written to, then "
            "regenerate the document from the register to save a copy."
        )
