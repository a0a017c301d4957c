"""Text typed while the site cannot be reached, kept encrypted on this computer.

At a site every draft lives on the server. While the server cannot be reached (network
down, server restarting) an autosave there fails; the editor keeps its text, and this
store keeps a copy on the workstation's disk, so that closing the application or a crash
meanwhile loses nothing. When the server answers again the copy is saved there as the
person's autosaved draft (``services.offline``) and deleted here.

The other forms (a plan revision, a risk event, a letter...) are not autosaved: while the
server is away, what every open form holds is kept here too, as one list per person and
site (:meth:`LocalDraftStore.keep_forms`), replaced each time it is kept again.

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
from clinic_app.errors import KeyNotFound
from clinic_app.storage.keys import KeyStore, generate_key

FILENAME = "kept-while-away.db"

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
CREATE TABLE IF NOT EXISTS kept_forms (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    staff_id INTEGER NOT NULL,
    forms TEXT NOT NULL,  -- a JSON list: each open form's place, name, params and state
    kept_at TEXT NOT NULL,
    UNIQUE (site, staff_id)
)
"""


@dataclass(frozen=True)
class KeptDraft:
    """A session note's fields, typed while the site could not be reached."""

    client_id: int
    note_id: int | None
    fields: dict[str, Any]
    kept_at: datetime


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
    def _connection(self) -> Iterator[Any]:
        with self._lock:
            key = self._key_now()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlcipher3.connect(str(self.path), isolation_level=None)
            try:
                conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
                conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
                conn.execute("PRAGMA secure_delete = ON")
                conn.execute("PRAGMA synchronous = FULL")
                conn.executescript(_SCHEMA)
                yield conn
            finally:
                conn.close()

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

    def keep_forms(self, site: str, staff_id: int, forms: list[dict[str, Any]]) -> None:
        """Keep what this person's open forms hold (replacing what was kept before; an empty
        list forgets it). Each form is plain JSON values."""
        if not forms:
            self.forget_forms(site, staff_id)
            return
        now = datetime.now(UTC).isoformat()
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO kept_forms (site, staff_id, forms, kept_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (site, staff_id) "
                "DO UPDATE SET forms = excluded.forms, kept_at = excluded.kept_at",
                (site, staff_id, json.dumps(forms), now),
            )

    def kept_forms(self, site: str, staff_id: int) -> list[dict[str, Any]]:
        """The forms this person had open at this site while it was away, as kept last."""
        if not self.path.exists():
            return []
        with self._connection() as conn:
            row = conn.execute(
                "SELECT forms FROM kept_forms WHERE site = ? AND staff_id = ?", (site, staff_id)
            ).fetchone()
        forms = json.loads(row[0]) if row else []
        return [form for form in forms if isinstance(form, dict)]

    def forget_forms(self, site: str, staff_id: int) -> None:
        """Delete what was kept of this person's forms (the site has them, or they are
        still open with the site back)."""
        if not self.path.exists():
            return
        with self._connection() as conn:
            conn.execute("DELETE FROM kept_forms WHERE site = ? AND staff_id = ?", (site, staff_id))

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
