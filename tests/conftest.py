"""Shared fixtures: an in-memory credential store, a fresh encrypted database, staff."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from clinic_app.storage.engine import Database, create_database  # noqa: E402
from clinic_app.storage.keys import generate_key  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """A credential store that lives in memory, so tests never touch the developer's own."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    """Every test gets an empty credential store and its own data directory."""
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    monkeypatch.setenv("CLINIC_APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CLINIC_APP_KEY_FILE", raising=False)
    yield store
    keyring.set_keyring(previous)


@pytest.fixture
def db_key() -> bytes:
    return generate_key()


@pytest.fixture
def db(tmp_path: Path, db_key: bytes) -> Iterator[Database]:
    database = create_database(tmp_path / "clinic.db", db_key)
    yield database
    database.close()
