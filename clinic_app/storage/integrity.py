"""Telling damage from a wrong key, and an old or cut-short database from the current one.

Two questions SQLCipher cannot answer by itself:

- *Wrong key, or damaged file?* SQLCipher refuses a file whose first page fails its
  authentication with "file is not a database", whether the key is wrong or the page (or
  the salt at its start) is damaged. We look further: every page carries an HMAC, so if
  any *other* page authenticates under the key, the key is right and the file is
  damaged. The integrity anchor kept beside the key also holds a check value of the key
  that last opened this database, and the file's salt: if the key matches it, the key is
  right whatever state the file is in.
- *Is this the database as this computer last saw it?* SQLCipher authenticates each page
  but cannot know a page (or the whole file) was put back from an older copy, nor that
  the ``-wal`` file holding the newest commits went missing. The anchor holds the newest
  audit chain position and hash seen here; a database whose chain does not reach and
  continue it is refused.

Services mark a unit of work with :func:`chain_extended` (the audit trail grew) and
:func:`checkpoint_after_commit` (a note was signed); the database acts on the marks once
the unit of work has committed.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from clinic_app.storage.keys import KEY_BYTES, SALT_BYTES, IntegrityAnchor

# SQLCipher 4's defaults (a test checks them against a real file): 4 KiB pages, each
# ending in a 16-byte IV and a 64-byte HMAC-SHA512 over the encrypted page, the IV and
# the page number; the HMAC key is derived from the key and the salt XOR 0x3a with two
# rounds of PBKDF2-HMAC-SHA512.
PAGE_SIZE = 4096
HMAC_BYTES = 64
HMAC_SALT_MASK = 0x3A
FAST_KDF_ITERATIONS = 2
PAGES_TO_TRY = 12
WAL_HEADER_BYTES = 32

CHAIN_END = "clinic_app.chain_end"
CHECKPOINT = "clinic_app.checkpoint"


def chain_extended(session: Session, seq: int, chain_hash: str) -> None:
    """Note that this unit of work appended audit events up to ``seq``.

    Once it commits, the database moves its integrity anchor to this position.
    """
    session.info[CHAIN_END] = (seq, chain_hash)


def checkpoint_after_commit(session: Session) -> None:
    """Ask for the write-ahead log to be folded into the database file after commit.

    Used after a signature, so that a signed note never depends on the ``-wal`` file
    that a person copying the database might leave behind.
    """
    session.info[CHECKPOINT] = True


def file_salt(path: Path) -> bytes:
    """The first 16 bytes of a database file: SQLCipher's random salt for it."""
    with Path(path).open("rb") as handle:
        return handle.read(SALT_BYTES)


def _hmac_key(key: bytes, salt: bytes) -> bytes:
    mask = bytes(b ^ HMAC_SALT_MASK for b in salt)
    return hashlib.pbkdf2_hmac("sha512", key, mask, FAST_KDF_ITERATIONS, KEY_BYTES)


def _page_authenticates(page: bytes, number: int, hmac_key: bytes) -> bool:
    start = SALT_BYTES if number == 1 else 0
    body = page[start : PAGE_SIZE - HMAC_BYTES]
    mac = hmac.new(hmac_key, body + number.to_bytes(4, "little"), hashlib.sha512).digest()
    return hmac.compare_digest(mac, page[PAGE_SIZE - HMAC_BYTES : PAGE_SIZE])


def pages_authenticate(path: Path, key: bytes, salt: bytes) -> bool:
    """True if some page after the first authenticates under this key and salt.

    That proves the key is this file's key: the file is damaged, not opened wrongly.
    A few pages from the start, the middle and the end are tried.
    """
    if len(key) != KEY_BYTES or len(salt) != SALT_BYTES:
        return False
    size = Path(path).stat().st_size
    count = size // PAGE_SIZE
    if count < 2:
        return False
    candidates = sorted(
        {*range(2, min(count, PAGES_TO_TRY // 2) + 1), count // 2, count - 1, count} - {0, 1}
    )
    hmac_key = _hmac_key(key, salt)
    with Path(path).open("rb") as handle:
        for number in candidates[:PAGES_TO_TRY]:
            handle.seek((number - 1) * PAGE_SIZE)
            page = handle.read(PAGE_SIZE)
            if len(page) == PAGE_SIZE and _page_authenticates(page, number, hmac_key):
                return True
    return False


def page_digest(path: Path) -> str:
    """A digest of every page's authentication code, and the file's size.

    Each page's HMAC covers its content, its IV and its number, so this digest changes
    when any page does, or is put back from an older copy; reading 64 bytes a page, it
    costs a fraction of reading the file.
    """
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(PAGE_SIZE * 256):
            view = memoryview(chunk)
            for end in range(PAGE_SIZE, len(chunk) + 1, PAGE_SIZE):
                digest.update(view[end - HMAC_BYTES : end])
            size += len(chunk)
    digest.update(size.to_bytes(8, "little"))
    return digest.hexdigest()


def first_bad_page(path: Path, key: bytes, salt: bytes) -> int | None:
    """The first page that fails its authentication under key and salt, or None."""
    hmac_key = _hmac_key(key, salt)
    number = 0
    with Path(path).open("rb") as handle:
        while page := handle.read(PAGE_SIZE):
            number += 1
            if len(page) != PAGE_SIZE or not _page_authenticates(page, number, hmac_key):
                return number
    return None


def log_has_frames(path: Path) -> bool:
    """True when the database's ``-wal`` file holds any frame (more than its header)."""
    wal = Path(path).with_name(Path(path).name + "-wal")
    try:
        return wal.stat().st_size > WAL_HEADER_BYTES
    except FileNotFoundError:
        return False


def key_is_this_files(path: Path, key: bytes, anchor: IntegrityAnchor | None, check: str) -> bool:
    """True when the key is known to be this database's, however damaged the file is."""
    if anchor is not None and hmac.compare_digest(anchor.key_check, check):
        return True
    try:
        if pages_authenticate(path, key, file_salt(path)):
            return True
        return anchor is not None and pages_authenticate(path, key, bytes.fromhex(anchor.salt))
    except (OSError, ValueError):
        return False


def chain_end(raw: Any) -> tuple[int, str]:
    """The newest audit event's position and hash (0 and "" for an empty trail)."""
    row = raw.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, "") if row is None else (int(row[0]), str(row[1]))


def chain_hash_at(raw: Any, seq: int) -> str | None:
    """The hash of the audit event at ``seq``, or None if there is none."""
    row = raw.execute("SELECT hash FROM audit_event WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else str(row[0])
