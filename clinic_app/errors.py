"""Errors a clinician or administrator can cause or meet, each with a message fit to show.

Every error the application expects derives from :class:`ClinicError`. Its message is
plain English, names no internal ids, SQL or file internals, and says what to do next.
Anything that is not a ``ClinicError`` is a bug and goes to the crash handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


class ClinicError(Exception):
    """Root of the errors that carry a message fit to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# -- storage -------------------------------------------------------------------------------


class StorageError(ClinicError):
    """The database could not be opened or used."""


class DatabaseMissing(StorageError):
    """No database file where one was expected."""


class NotADatabase(StorageError):
    """The file is not an encrypted clinic-app database."""


class WrongKey(StorageError):
    """The key does not open this database."""


class CorruptDatabase(StorageError):
    """The database opened but its contents are damaged."""


class DatabaseLocked(StorageError):
    """Another program holds the database."""


class DatabaseRolledBack(StorageError):
    """The database is older than this computer last saw, or does not continue it.

    Its audit trail stops short of, or differs from, the integrity anchor kept beside the
    key: an older copy was put in its place (whole or in part), or the ``-wal`` file that
    held its newest commits was lost or damaged.
    """


class DatabaseExists(StorageError):
    """Refusing to overwrite an existing database."""


class KeyStoreError(ClinicError):
    """The database key cannot be kept or found."""


class NoCredentialStore(KeyStoreError):
    """The computer has no usable credential store."""


class KeyNotFound(KeyStoreError):
    """The credential store holds no key for this database."""


class InvalidRecoveryKey(KeyStoreError):
    """The recovery key was mistyped or is not a recovery key."""


class SchemaTooNew(StorageError):
    """The database was written by a newer version of clinic-app."""


# -- accounts and access -------------------------------------------------------------------


class AuthError(ClinicError):
    """Sign-in failed."""


class AccountLocked(AuthError):
    """Too many failed attempts."""


class AccessDenied(ClinicError):
    """The signed-in user may not do this."""


class EmergencyAccessRequired(AccessDenied):
    """The client is not assigned to the user; emergency access with a reason is needed."""


# -- records -------------------------------------------------------------------------------


class NotFound(ClinicError):
    """A record that should exist does not."""


class ConflictError(ClinicError):
    """Someone else changed the record first."""


@dataclass(frozen=True)
class ConflictField:
    """One part of a record that two people saved differently.

    ``name`` is the field of the input the save was given (``agenda``,
    ``goals[2].private_detail``), so the user's text can be put back into it; ``theirs`` is
    what the user tried to save, ``saved`` what is saved now. A part that is not free text
    (a date, a status) is shown but not ``editable``.
    """

    name: str
    label: str
    theirs: str
    saved: str
    editable: bool = True


class EditConflict(ConflictError):
    """A save over a change the user had not seen: nothing was overwritten.

    Carries both versions of every part that differs, who saved the newer one and when,
    and the ``version`` that is saved now: saving again with that version puts the
    user's text over it (the choice is theirs, and is audited like any save).
    ``saved_record`` is the saved version whole, where the service gives it.
    """

    def __init__(
        self,
        what: str,
        *,
        fields: Sequence[ConflictField],
        saved_by: str,
        saved_at: datetime | None,
        version: int,
        saved_record: object = None,
    ) -> None:
        self.what = what
        # The saved version whole, as the form's input (e.g. a NoteContent), so a screen
        # can show it when the user keeps it; None when the service does not give it.
        self.saved_record = saved_record
        self.fields: tuple[ConflictField, ...] = tuple(fields)
        self.saved_by = saved_by
        self.saved_at = saved_at
        self.version = version
        who = saved_by or "someone else"
        super().__init__(
            f"{who} saved {what} while you were editing it. Nothing has been "
            "overwritten: your text is kept. Compare the two, then save yours over it or "
            "keep the saved one."
        )

    def only(self, names: Iterable[str]) -> EditConflict:
        """The same conflict showing only the parts named (those the user changed)."""
        wanted = set(names)
        return EditConflict(
            self.what,
            fields=[f for f in self.fields if f.name in wanted],
            saved_by=self.saved_by,
            saved_at=self.saved_at,
            version=self.version,
            saved_record=self.saved_record,
        )

    @property
    def theirs_text(self) -> str:
        """Everything the user tried to save that differs, one part after another."""
        return _joined((f.label, f.theirs) for f in self.fields)

    @property
    def saved_text(self) -> str:
        """The newer saved version of the same parts."""
        return _joined((f.label, f.saved) for f in self.fields)


def _joined(parts: Iterable[tuple[str, str]]) -> str:
    return "\n\n".join(f"{label}:\n{text}" for label, text in parts)


class AlreadySigned(ClinicError):
    """A signed note cannot be changed; add an addendum instead."""


class InvalidTransition(ClinicError):
    """A status change that the workflow does not allow."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input: where (a field or JSON path) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ValidationError(ClinicError):
    """Input that cannot be stored; lists every problem found, not only the first."""

    def __init__(self, problems: Sequence[Problem] | str, *, where: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(where, problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        if len(self.problems) == 1:
            message = str(self.problems[0])
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{len(self.problems)} problems were found:\n{lines}"
        super().__init__(message)


class AuditTampered(ClinicError):
    """The audit trail does not verify."""
