"""Database keys: generation, the recovery key, and where a key is kept.

The database is opened with a random 256-bit raw key (no passphrase derivation at every
start). The key is kept in the operating system's credential store through keyring. When
there is no usable credential store we say so and name the alternatives; we never fall
back to keeping the key in plain text on our own. An administrator may *explicitly*
choose a key file instead (for example on an encrypted volume), and takes responsibility
for protecting it.

The recovery key is the database key itself, written for people: Crockford base32 in
groups of five, with a four-byte checksum so a mistyped character is caught.

Beside each key the store also keeps the database's *integrity anchor*: the newest
audit chain position and hash this computer has seen in that database, the database
file's salt, and a check value of the key (an HMAC of a constant under the key). With
it an older copy of the database, or one that came without its newest commits, is
recognised on opening; and a file that the key no longer opens is told apart: damage
to the file (the key still matches what opened it before) from a wrong key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from clinic_app.errors import InvalidRecoveryKey, KeyNotFound, KeyStoreError, NoCredentialStore
from clinic_app.storage import files

log = logging.getLogger(__name__)

KEY_BYTES = 32
CHECKSUM_BYTES = 4
# 36 bytes of key and checksum make 58 base32 characters (the last carries 2 spare bits).
RECOVERY_LENGTH = 58
SERVICE_NAME = "clinic-app"
# The integrity anchor is kept under its own name, so writing it never touches the key.
ANCHOR_SERVICE_NAME = "clinic-app integrity anchor"
ANCHOR_FORMAT = 1
SALT_BYTES = 16

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans(_B32, _CROCKFORD)
_FROM_CROCKFORD = str.maketrans(_CROCKFORD, _B32)
# Crockford base32 reads easily-confused letters as the digits they look like.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})

NO_STORE_MESSAGE = (
    "No credential store is available on this computer, so the database key cannot be kept "
    "safely. Either start one (Windows Credential Manager; on Linux a Secret Service such as "
    "GNOME Keyring or KWallet) and try again, or explicitly choose a key file that you "
    "protect yourself with --key-file PATH (or the CLINIC_APP_KEY_FILE setting). The key "
    "is never stored in plain text without your say-so."
)


def generate_key() -> bytes:
    """A new random 256-bit database key."""
    return secrets.token_bytes(KEY_BYTES)


def _checksum(key: bytes) -> bytes:
    return hashlib.sha256(b"clinic-app recovery key" + key).digest()[:CHECKSUM_BYTES]


def recovery_key_from(key: bytes) -> str:
    """The recovery key to show once, e.g. ``4DQ8Z-...`` (58 characters in groups of five)."""
    if len(key) != KEY_BYTES:
        raise ValueError("a database key is 32 bytes")
    text = base64.b32encode(key + _checksum(key)).decode("ascii").rstrip("=")
    text = text.translate(_TO_CROCKFORD)
    return "-".join(text[i : i + 5] for i in range(0, len(text), 5))


def key_from_recovery(text: str) -> bytes:
    """The database key from a typed recovery key; spaces, dashes and case are ignored."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    bad = (
        f"That is not a recovery key. It is {RECOVERY_LENGTH} letters and digits, "
        "usually in groups of five."
    )
    if len(cleaned) != RECOVERY_LENGTH or any(ch not in _CROCKFORD for ch in cleaned):
        raise InvalidRecoveryKey(bad)
    padded = cleaned.translate(_FROM_CROCKFORD) + "=" * (-RECOVERY_LENGTH % 8)
    raw = base64.b32decode(padded)
    key, check = raw[:KEY_BYTES], raw[KEY_BYTES:]
    # The last character also carries three unused bits; a typo there can leave key and
    # checksum intact, so only the exact encoding of the key is accepted.
    if _checksum(key) != check or recovery_key_from(key).replace("-", "") != cleaned:
        raise InvalidRecoveryKey(
            "The recovery key does not check out: a character has probably been mistyped."
        )
    return key


def database_identity(path: Path) -> str:
    """The name a database's key is kept under: its absolute, normalised path."""
    return os.path.normcase(str(path.expanduser().resolve()))


def key_check(key: bytes) -> str:
    """A check value of a key: equal for the same key, and it reveals nothing of it."""
    return hmac.new(key, b"clinic-app key check value", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IntegrityAnchor:
    """What this computer last saw of a database, kept outside the database.

    ``seq`` and ``chain_hash`` are the newest audit event seen (0 and "" for none),
    ``salt`` the first 16 bytes of the database file (hex) and ``key_check`` the check
    value of the key that opened it. ``page_digest``, when not empty, is a digest of
    every page's authentication code taken at a clean close with no other program
    using the file: until the next write, the file must be exactly that.
    """

    key_check: str
    salt: str
    seq: int
    chain_hash: str
    page_digest: str = ""

    def to_text(self) -> str:
        return json.dumps({"format": ANCHOR_FORMAT, **asdict(self)}, sort_keys=True)

    @classmethod
    def from_text(cls, text: str) -> IntegrityAnchor | None:
        """The anchor in ``text``, or None when it is missing or unreadable."""
        try:
            raw = json.loads(text)
            if raw.pop("format") != ANCHOR_FORMAT:
                return None
            anchor = cls(**raw)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        fields_ok = (
            isinstance(anchor.seq, int)
            and anchor.seq >= 0
            and all(
                isinstance(v, str)
                for v in (anchor.key_check, anchor.salt, anchor.chain_hash, anchor.page_digest)
            )
        )
        return anchor if fields_ok else None


class KeyStore(Protocol):
    """Somewhere a database key, and the database's integrity anchor, are kept."""

    def get(self, db_path: Path) -> bytes: ...

    def put(self, db_path: Path, key: bytes) -> None: ...

    def describe(self) -> str: ...

    def get_anchor(self, db_path: Path) -> IntegrityAnchor | None:
        """The anchor kept for this database, or None if there is none (or it is unreadable)."""
        ...

    def put_anchor(self, db_path: Path, anchor: IntegrityAnchor) -> None: ...


class CredentialStore:
    """The operating system's credential store, through keyring."""

    def __init__(self) -> None:
        import keyring  # noqa: PLC0415 - keyring probes the platform on import; do it lazily
        from keyring.backends import fail  # noqa: PLC0415

        self._keyring = keyring
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
            raise NoCredentialStore(NO_STORE_MESSAGE)
        chained = getattr(backend, "backends", None)
        if chained is not None and not chained:
            raise NoCredentialStore(NO_STORE_MESSAGE)
        self._backend_name = type(backend).__name__

    def describe(self) -> str:
        return f"the credential store ({self._backend_name})"

    def get(self, db_path: Path) -> bytes:
        try:
            stored = self._keyring.get_password(SERVICE_NAME, database_identity(db_path))
        except Exception as exc:  # keyring backends raise many kinds of error
            raise NoCredentialStore(NO_STORE_MESSAGE) from exc
        if stored is None:
            raise KeyNotFound(
                "This computer's credential store holds no key for this database. If the "
                "database came from another computer, an administrator can enter its "
                "recovery key with 'clinic-app recover'."
            )
        return _decode_hex_key(stored)

    def put(self, db_path: Path, key: bytes) -> None:
        try:
            self._keyring.set_password(SERVICE_NAME, database_identity(db_path), key.hex())
        except Exception as exc:
            raise NoCredentialStore(NO_STORE_MESSAGE) from exc

    def get_anchor(self, db_path: Path) -> IntegrityAnchor | None:
        try:
            text = self._keyring.get_password(ANCHOR_SERVICE_NAME, database_identity(db_path))
        except Exception:  # keyring backends raise many kinds of error
            log.warning("the integrity anchor could not be read from the credential store")
            return None
        return None if text is None else IntegrityAnchor.from_text(text)

    def put_anchor(self, db_path: Path, anchor: IntegrityAnchor) -> None:
        try:
            self._keyring.set_password(
                ANCHOR_SERVICE_NAME, database_identity(db_path), anchor.to_text()
            )
        except Exception as exc:
            raise NoCredentialStore(NO_STORE_MESSAGE) from exc


class KeyFile:
    """A key file an administrator chose explicitly; readable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"the key file {self.path}"

    def get(self, db_path: Path) -> bytes:
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise KeyNotFound(f"The key file {self.path} does not exist.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyStoreError(f"The key file {self.path} cannot be read.") from exc
        return _decode_hex_key(text.strip())

    def put(self, db_path: Path, key: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomically(self.path, (key.hex() + "\n").encode("ascii"))
        # Earlier versions wrote through this fixed name; an interrupted write left a key.
        self.path.with_name(self.path.name + ".tmp").unlink(missing_ok=True)

    @property
    def anchor_path(self) -> Path:
        """The anchors file beside the key file (``clinic.key`` -> ``clinic.key.anchor``)."""
        return self.path.with_name(self.path.name + ".anchor")

    def _anchors(self) -> dict[str, str]:
        try:
            raw = json.loads(self.anchor_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("the integrity anchor file cannot be read")
            return {}
        if not isinstance(raw, dict):
            return {}
        return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}

    def get_anchor(self, db_path: Path) -> IntegrityAnchor | None:
        text = self._anchors().get(database_identity(db_path))
        return None if text is None else IntegrityAnchor.from_text(text)

    def put_anchor(self, db_path: Path, anchor: IntegrityAnchor) -> None:
        anchors = self._anchors()
        anchors[database_identity(db_path)] = anchor.to_text()
        text = json.dumps(anchors, sort_keys=True, indent=1) + "\n"
        try:
            files.write_atomically(self.anchor_path, text.encode("utf-8"))
        except OSError as exc:
            raise KeyStoreError(
                f"The integrity record beside the key file {self.path} cannot be written."
            ) from exc


def _decode_hex_key(text: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyStoreError("The stored database key is damaged. Use the recovery key instead.")
    return key


def default_key_store(key_file: Path | None = None) -> KeyStore:
    """The key file when one is chosen (argument or CLINIC_APP_KEY_FILE), else the OS store."""
    if key_file is None:
        env = os.environ.get("CLINIC_APP_KEY_FILE")
        key_file = Path(env) if env else None
    if key_file is not None:
        return KeyFile(key_file)
    return CredentialStore()
