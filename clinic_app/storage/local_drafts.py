"""Text typed while the site cannot be reached, kept encrypted on this computer.

At a site every draft lives on the server. While the server cannot be reached (network
down, server restarting) an autosave there fails; the editor keeps its text, and this
store keeps a copy on the workstation's disk, so that closing the application or a crash
meanwhile loses nothing. When the server answers again the copy is saved there as the
person's autosaved draft (``services.offline``) and deleted here.

The other forms (a plan revision, a risk event, a letter...) are not autosaved: while the
server is away, what every open form holds is kept here too, per person and site, in two
lists: what is open now (:meth:`LocalDraftStore.keep_open_forms`, replaced each time it
is kept again) and forms closed while the server was away, waiting to be handed to the
site (:meth:`LocalDraftStore.add_waiting_forms`, added to, never replaced). What was open
when the application last closed is set aside as waiting at the next sign-in.

The store is a small SQLCipher file in the user's data folder (:data:`FILENAME`), opened
with a random 256-bit key kept in the operating system's credential store, like a
workstation database. One row per site, member of staff, client and note (the newest text
replaces the older); ``secure_delete`` overwrites what is deleted. Nothing here is merged
with anyone else's changes: there is no two-way synchronisation.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3

from clinic_app import config
from clinic_app.errors import KeyNotFound, StorageError
from clinic_app.storage.keys import KeyStore, generate_key

FILENAME = "kept-while-away.db"
NOT_KEPT = (
    "What was typed could not be kept on this computer (its data folder could not be written)."
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kept_draft (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    staff_id INTEGER NOT NULL,
    client_id INTEGER NOT NULL,
    note_id INTEGER NOT NULL,  -- 0: a new note
    fields TEXT NOT NULL,
    kept_at TEXT NOT NULL,
    UNIQUE (site, staff_id, client_id, note_id)
);
CREATE TABLE IF NOT EXISTS kept_form_list (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    staff_id INTEGER NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('open', 'waiting')),
    forms TEXT NOT NULL,  -- a JSON list: each form's place, name, params and state
    kept_at TEXT NOT NULL,
    UNIQUE (site, staff_id, list)
)
"""


@dataclass(frozen=True)
class KeptDraft:
    """A session note's fields, typed while the site could not be reached."""

    client_id: int
    note_id: int | None
    fields: dict[str, Any]
    kept_at: datetime


def _json(forms: list[dict[str, Any]]) -> str:
    try:
        return json.dumps(forms)
    except (TypeError, ValueError) as error:
        raise StorageError("A form holds something that cannot be kept.") from error


def _forms(text: str) -> list[dict[str, Any]]:
    forms = json.loads(text)
    return [form for form in forms if isinstance(form, dict)] if isinstance(forms, list) else []


def default_path() -> Path:
    return config.data_dir() / FILENAME


class LocalDraftStore:
    """The encrypted store of text typed while the site is away (opened on first use).

    Every method reads or writes the disk: call them off the GUI thread (the runner).
    """

    def __init__(self, path: Path, key_store: Callable[[], KeyStore]) -> None:
        """``key_store`` makes the credential store (on first use, off the GUI thread)."""
        self.path = path
        self._key_store = key_store
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def _key_now(self) -> bytes:
        if self._key is None:
            try:
                store = self._key_store()
                self._key = store.get(self.path)
            except KeyNotFound:
                if self.path.exists():
                    # Its key is gone: what it held cannot be read; start again.
                    self.path.unlink()
                key = generate_key()
                store.put(self.path, key)
                self._key = key
        return self._key

    @contextmanager
    def _connection(self, *, together: bool = False) -> Iterator[Any]:
        """The store, opened; with ``together``, what is done with it is one transaction.

        A disk that is full or not writable, or a damaged file, is a ``StorageError``
        with a plain message (the caller logs it, or says the text was not kept).
        """
        with self._lock:
            try:
                key = self._key_now()
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlcipher3.connect(str(self.path), isolation_level=None)
            except (sqlcipher3.Error, OSError) as error:
                raise StorageError(NOT_KEPT) from error
            try:
                conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
                conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
                conn.execute("PRAGMA secure_delete = ON")
                conn.execute("PRAGMA synchronous = FULL")
                conn.executescript(_SCHEMA)
                if together:
                    conn.execute("BEGIN IMMEDIATE")
                yield conn
                if together:
                    conn.execute("COMMIT")
            except (sqlcipher3.Error, OSError) as error:
                raise StorageError(NOT_KEPT) from error
            finally:
                conn.close()  # without COMMIT, what was begun is rolled back

    def keep(
        self, site: str, staff_id: int, client_id: int, note_id: int | None, fields: dict[str, Any]
    ) -> None:
        """Keep (or replace) the text of one note being typed."""
        now = datetime.now(UTC).isoformat()
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO kept_draft (site, staff_id, client_id, note_id, fields, kept_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site, staff_id, client_id, note_id) "
                "DO UPDATE SET fields = excluded.fields, kept_at = excluded.kept_at",
                (site, staff_id, client_id, note_id or 0, json.dumps(fields), now),
            )

    def kept(self, site: str, staff_id: int) -> list[KeptDraft]:
        """What this member of staff typed at this site while it was away, oldest first."""
        if not self.path.exists():
            return []
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT client_id, note_id, fields, kept_at FROM kept_draft "
                "WHERE site = ? AND staff_id = ? ORDER BY kept_at",
                (site, staff_id),
            ).fetchall()
        return [
            KeptDraft(c, n or None, json.loads(f), datetime.fromisoformat(k)) for c, n, f, k in rows
        ]

    def keep_open_forms(self, site: str, staff_id: int, forms: list[dict[str, Any]]) -> None:
        """Keep what this person's open forms hold now, replacing what was kept of them
        before (an empty list forgets it). Each form is plain JSON values."""
        with self._connection() as conn:
            conn.execute(
                "DELETE FROM kept_form_list WHERE site = ? AND staff_id = ? AND list = 'open'",
                (site, staff_id),
            )
            if forms:
                conn.execute(
                    "INSERT INTO kept_form_list (site, staff_id, list, forms, kept_at) "
                    "VALUES (?, ?, 'open', ?, ?)",
                    (site, staff_id, _json(forms), datetime.now(UTC).isoformat()),
                )

    def add_waiting_forms(self, site: str, staff_id: int, forms: list[dict[str, Any]]) -> None:
        """Add forms closed while the site was away to those waiting to be handed to it,
        and forget the open list (these forms are no longer open)."""
        with self._connection(together=True) as conn:
            self._add_waiting(conn, site, staff_id, forms)
            conn.execute(
                "DELETE FROM kept_form_list WHERE site = ? AND staff_id = ? AND list = 'open'",
                (site, staff_id),
            )

    def set_aside_open_forms(self, site: str, staff_id: int) -> None:
        """What was open when the application last closed (or crashed) is waiting now."""
        if not self.path.exists():
            return
        with self._connection(together=True) as conn:
            row = conn.execute(
                "SELECT forms FROM kept_form_list WHERE site = ? AND staff_id = ? "
                "AND list = 'open'",
                (site, staff_id),
            ).fetchone()
            if row is not None:
                self._add_waiting(conn, site, staff_id, _forms(row[0]))
                conn.execute(
                    "DELETE FROM kept_form_list WHERE site = ? AND staff_id = ? AND list = 'open'",
                    (site, staff_id),
                )

    def _add_waiting(
        self, conn: Any, site: str, staff_id: int, forms: list[dict[str, Any]]
    ) -> None:
        if not forms:
            return
        row = conn.execute(
            "SELECT forms FROM kept_form_list WHERE site = ? AND staff_id = ? AND list = 'waiting'",
            (site, staff_id),
        ).fetchone()
        waiting = (_forms(row[0]) if row else []) + forms
        conn.execute(
            "INSERT INTO kept_form_list (site, staff_id, list, forms, kept_at) "
            "VALUES (?, ?, 'waiting', ?, ?) ON CONFLICT (site, staff_id, list) "
            "DO UPDATE SET forms = excluded.forms, kept_at = excluded.kept_at",
            (site, staff_id, _json(waiting), datetime.now(UTC).isoformat()),
        )

    def open_forms(self, site: str, staff_id: int) -> list[dict[str, Any]]:
        """What this person's open forms held when last kept."""
        return self._list(site, staff_id, "open")[0]

    def waiting_forms(
        self, site: str, staff_id: int
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        """The forms waiting to be handed to the site, and when they were last added to."""
        return self._list(site, staff_id, "waiting")

    def _list(
        self, site: str, staff_id: int, which: str
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        if not self.path.exists():
            return [], None
        with self._connection() as conn:
            row = conn.execute(
                "SELECT forms, kept_at FROM kept_form_list WHERE site = ? AND staff_id = ? "
                "AND list = ?",
                (site, staff_id, which),
            ).fetchone()
        if row is None:
            return [], None
        return _forms(row[0]), datetime.fromisoformat(row[1])

    def forget_open_forms(self, site: str, staff_id: int) -> None:
        """Forget the open list (the site has the forms, or they are still open with the
        site back)."""
        self._forget_list(site, staff_id, "open")

    def forget_waiting_forms(self, site: str, staff_id: int) -> None:
        """Forget the forms waiting (the site has them)."""
        self._forget_list(site, staff_id, "waiting")

    def _forget_list(self, site: str, staff_id: int, which: str) -> None:
        if not self.path.exists():
            return
        with self._connection() as conn:
            conn.execute(
                "DELETE FROM kept_form_list WHERE site = ? AND staff_id = ? AND list = ?",
                (site, staff_id, which),
            )

    def forget(self, site: str, staff_id: int, client_id: int, note_id: int | None) -> None:
        """Delete the copy once the server has it."""
        if not self.path.exists():
            return
        with self._connection() as conn:
            conn.execute(
                "DELETE FROM kept_draft WHERE site = ? AND staff_id = ? AND client_id = ? "
                "AND note_id = ?",
                (site, staff_id, client_id, note_id or 0),
            )
