"""Database keys: the recovery key people type, and the places a key is kept."""

from __future__ import annotations

import os
import random
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.errors import KeyringLocked

from clinic_app.errors import (
    ClinicError,
    InvalidRecoveryKey,
    KeyNotFound,
    KeyStoreError,
    NoCredentialStore,
)
from clinic_app.storage.keys import (
    KEY_BYTES,
    SERVICE_NAME,
    CredentialStore,
    KeyFile,
    database_identity,
    default_key_store,
    generate_key,
    key_from_recovery,
    recovery_key_from,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_SHAPE = re.compile(rf"[{CROCKFORD}]{{5}}(-[{CROCKFORD}]{{5}}){{10}}-[{CROCKFORD}]{{3}}")


def seeded_key(seed: int) -> bytes:
    """A reproducible key, so a rare failure can be replayed."""
    return random.Random(seed).randbytes(KEY_BYTES)


def assert_plain(error: BaseException) -> None:
    assert isinstance(error, ClinicError)
    message = str(error)
    assert message.strip()
    for word in ("keyring.", "Traceback", "Error(", "Exception", "None"):
        assert word not in message, f"{word!r} in {message!r}"


# -- keys and recovery keys -------------------------------------------------------------------


def test_generated_keys_are_32_random_bytes() -> None:
    made = [generate_key() for _ in range(200)]
    assert all(isinstance(key, bytes) and len(key) == KEY_BYTES for key in made)
    assert len(set(made)) == len(made)


def test_recovery_key_round_trip_for_many_random_keys() -> None:
    seen = set()
    for _ in range(500):
        key = generate_key()
        recovery = recovery_key_from(key)
        assert RECOVERY_SHAPE.fullmatch(recovery), recovery
        assert key_from_recovery(recovery) == key
        seen.add(recovery)
    assert len(seen) == 500


@pytest.mark.parametrize("key", [bytes(32), b"\xff" * 32, bytes(range(32))])
def test_recovery_key_round_trip_for_edge_keys(key: bytes) -> None:
    recovery = recovery_key_from(key)
    assert RECOVERY_SHAPE.fullmatch(recovery)
    assert key_from_recovery(recovery) == key


def test_different_keys_have_different_recovery_keys() -> None:
    key = seeded_key(1)
    flipped = bytes([key[0] ^ 1]) + key[1:]
    assert recovery_key_from(key) != recovery_key_from(flipped)


@pytest.mark.parametrize(
    "retype",
    [
        str.lower,
        lambda r: r.replace("-", ""),
        lambda r: r.replace("-", " "),
        lambda r: r.replace("-", "  \t"),
        lambda r: "  " + r.lower().replace("-", "\n") + "\n",
        lambda r: " ".join(r.replace("-", "")),  # one character at a time
        lambda r: r.replace("-", "", 5),  # some dashes forgotten
        lambda r: r.replace("-", "\u2013"),  # an en dash from a word processor
    ],
)
def test_recovery_key_tolerates_case_spaces_and_dashes(retype) -> None:  # type: ignore[no-untyped-def]
    for seed in range(20):
        key = seeded_key(seed)
        assert key_from_recovery(retype(recovery_key_from(key))) == key


def test_recovery_key_reads_confusable_letters_as_the_digits_they_look_like() -> None:
    chooser = random.Random(7)
    confusions = 0
    for _ in range(200):
        key = generate_key()
        recovery = recovery_key_from(key)
        typed = "".join(
            chooser.choice("Oo") if ch == "0" else chooser.choice("IiLl") if ch == "1" else ch
            for ch in recovery
        )
        confusions += sum(a != b for a, b in zip(typed, recovery, strict=True))
        assert key_from_recovery(typed) == key
    assert confusions > 100, "the keys tried held too few 0s and 1s to test anything"


def single_typos(typed: str) -> Iterator[tuple[int, str]]:
    """Every way of getting one character wrong: each position, each other character."""
    for position, original in enumerate(typed):
        for replacement in CROCKFORD:
            if replacement != original:
                yield position, typed[:position] + replacement + typed[position + 1 :]


def test_single_mistyped_characters_are_caught_by_the_checksum() -> None:
    """Every single-character typo of 100 keys (179,800 typos) is caught.

    A typo must never be a second spelling of the same key. The checksum is 32 bits, so a
    typo inside the key part could pass it about once in four billion tries; without a
    working checksum every typo would pass.
    """
    passed = []
    for seed in range(100):
        key = seeded_key(seed)
        for position, wrong in single_typos(recovery_key_from(key).replace("-", "")):
            try:
                decoded = key_from_recovery(wrong)
            except InvalidRecoveryKey as exc:
                assert "mistyped" in str(exc)
                continue
            assert decoded != key, f"seed {seed}: a typo at {position} spells the same key"
            assert position < 52, "a typo in the checksum characters passed"
            passed.append((seed, position))
    assert passed == []


def test_every_single_mistyped_character_is_rejected() -> None:
    for seed in range(10):
        for _, wrong in single_typos(recovery_key_from(seeded_key(seed)).replace("-", "")):
            with pytest.raises(InvalidRecoveryKey):
                key_from_recovery(wrong)


def test_a_mistyped_checksum_character_is_always_rejected() -> None:
    """The last six characters hold only checksum (and spare) bits: no typo there passes."""
    for _ in range(300):
        typed = recovery_key_from(generate_key()).replace("-", "")
        for position, wrong in single_typos(typed):
            if position >= 52:
                with pytest.raises(InvalidRecoveryKey, match="mistyped") as info:
                    key_from_recovery(wrong)
                assert_plain(info.value)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda r: r[:-1],  # a character missed
        lambda r: r[1:],
        lambda r: r + "0",  # one too many
        lambda r: r.replace("-", "", 1)[:-5],  # a group missed
        lambda r: r + "-" + r[:5],  # a group repeated
        lambda r: "",
        lambda r: "-----",
        lambda r: "0123456789abcdef" * 4,  # the key in hex, not a recovery key
        lambda r: r[:-1] + "*",  # a symbol where a character should be
        lambda r: r[:-1] + "\u00dc",  # a letter outside the alphabet
    ],
)
def test_recovery_key_of_the_wrong_length_or_alphabet_is_rejected(mangle) -> None:  # type: ignore[no-untyped-def]
    typed = mangle(recovery_key_from(seeded_key(3)))
    with pytest.raises(InvalidRecoveryKey, match="not a recovery key") as info:
        key_from_recovery(typed)
    assert_plain(info.value)


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_only_a_32_byte_key_has_a_recovery_key(length: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        recovery_key_from(bytes(length))


# -- the operating system's credential store --------------------------------------------------


def test_no_credential_store_names_the_alternatives() -> None:
    keyring.set_keyring(fail.Keyring())  # restored by the autouse memory_keyring fixture
    with pytest.raises(NoCredentialStore) as info:
        CredentialStore()
    message = str(info.value)
    assert "--key-file" in message
    assert "CLINIC_APP_KEY_FILE" in message
    assert "credential store" in message.lower()
    assert_plain(info.value)


class NoPriorityKeyring(KeyringBackend):
    """A backend keyring itself would never choose (priority 0), e.g. a null keyring."""

    priority = 0  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("must not be asked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("must not be asked")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("must not be asked")


def test_a_backend_keyring_would_never_choose_is_no_credential_store() -> None:
    keyring.set_keyring(NoPriorityKeyring())
    with pytest.raises(NoCredentialStore):
        CredentialStore()


def test_a_chain_of_no_backends_is_no_credential_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.backend, "get_all_keyring", list)
    chain = chainer.ChainerBackend()
    assert list(chain.backends) == []
    keyring.set_keyring(chain)
    with pytest.raises(NoCredentialStore):
        CredentialStore()


def test_credential_store_round_trip(memory_keyring, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = CredentialStore()
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    key_a, key_b = generate_key(), generate_key()
    store.put(first, key_a)
    store.put(second, key_b)
    assert store.get(first) == key_a
    assert store.get(second) == key_b
    # Kept under the service name and the database's full path, never as raw bytes.
    assert memory_keyring.secrets[(SERVICE_NAME, database_identity(first))] == key_a.hex()
    assert "MemoryKeyring" in store.describe()
    # A fresh store object (the next start of the app) finds the same key.
    assert CredentialStore().get(first) == key_a


def test_credential_store_put_replaces_the_key(tmp_path: Path) -> None:
    store = CredentialStore()
    path = tmp_path / "clinic.db"
    store.put(path, generate_key())
    newer = generate_key()
    store.put(path, newer)
    assert store.get(path) == newer


def test_the_same_database_by_another_spelling_of_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CredentialStore()
    key = generate_key()
    (tmp_path / "sub").mkdir()
    store.put(tmp_path / "clinic.db", key)
    assert store.get(tmp_path / "sub" / ".." / "clinic.db") == key
    monkeypatch.chdir(tmp_path)
    assert store.get(Path("clinic.db")) == key
    monkeypatch.setenv("HOME", str(tmp_path))
    assert store.get(Path("~/clinic.db")) == key


def test_credential_store_without_a_key_is_key_not_found(tmp_path: Path) -> None:
    store = CredentialStore()
    store.put(tmp_path / "other.db", generate_key())
    with pytest.raises(KeyNotFound) as info:
        store.get(tmp_path / "clinic.db")
    assert "clinic-app recover" in str(info.value)
    assert_plain(info.value)


@pytest.mark.parametrize("stored", ["", "zz" * 32, "ab" * 31, "ab" * 33, generate_key().hex()[1:]])
def test_a_damaged_key_in_the_credential_store(memory_keyring, tmp_path: Path, stored: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "clinic.db"
    memory_keyring.secrets[(SERVICE_NAME, database_identity(path))] = stored
    with pytest.raises(KeyStoreError) as info:
        CredentialStore().get(path)
    assert not isinstance(info.value, KeyNotFound)
    assert "recovery key" in str(info.value)
    assert_plain(info.value)


class BrokenKeyring(KeyringBackend):
    """A credential store that exists but refuses to answer (e.g. locked, or its service died)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


def test_a_credential_store_that_fails_is_reported_plainly(tmp_path: Path) -> None:
    keyring.set_keyring(BrokenKeyring())
    store = CredentialStore()
    with pytest.raises(NoCredentialStore) as info:
        store.get(tmp_path / "clinic.db")
    assert_plain(info.value)
    assert "collection is locked" not in str(info.value)
    with pytest.raises(NoCredentialStore):
        store.put(tmp_path / "clinic.db", generate_key())


# -- a key file the administrator chose -------------------------------------------------------


def test_key_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "secure" / "volume" / "clinic.key"
    key = generate_key()
    store = KeyFile(path)
    store.put(tmp_path / "clinic.db", key)
    assert path.is_file()
    assert path.read_text(encoding="ascii").strip() == key.hex()
    assert KeyFile(path).get(tmp_path / "clinic.db") == key
    assert str(path) in store.describe()
    assert [p.name for p in path.parent.iterdir()] == ["clinic.key"], "a temporary file was left"


def test_key_file_put_replaces_the_key(tmp_path: Path) -> None:
    path = tmp_path / "clinic.key"
    store = KeyFile(path)
    store.put(tmp_path / "clinic.db", generate_key())
    newer = generate_key()
    store.put(tmp_path / "clinic.db", newer)
    assert store.get(tmp_path / "clinic.db") == newer


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "clinic.key"
    KeyFile(path).put(tmp_path / "clinic.db", generate_key())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_key_file_replacing_a_readable_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "clinic.key"
    path.write_text("old")
    os.chmod(path, 0o644)
    stale = tmp_path / "clinic.key.tmp"  # left by an earlier interrupted write
    stale.write_text("stale")
    os.chmod(stale, 0o666)
    key = generate_key()
    KeyFile(path).put(tmp_path / "clinic.db", key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KeyFile(path).get(tmp_path / "clinic.db") == key
    assert not stale.exists()


def test_key_file_tolerates_surrounding_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "clinic.key"
    key = generate_key()
    path.write_text(f"\n  {key.hex().upper()}  \r\n", encoding="ascii")
    assert KeyFile(path).get(tmp_path / "clinic.db") == key


def test_a_missing_key_file_is_key_not_found(tmp_path: Path) -> None:
    path = tmp_path / "clinic.key"
    with pytest.raises(KeyNotFound) as info:
        KeyFile(path).get(tmp_path / "clinic.db")
    assert str(path) in str(info.value)
    assert_plain(info.value)
    assert not path.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a key at all\n",
        b"ab" * 31 + b"\n",
        b"ab" * 33 + b"\n",
        b"zz" * 32 + b"\n",
        b"\xff\xfe" + b"ab" * 32,  # not text
        os.urandom(32),  # the raw key bytes instead of hex
    ],
    ids=["empty", "words", "short", "long", "not-hex", "binary", "raw-bytes"],
)
def test_a_damaged_key_file_is_key_store_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clinic.key"
    path.write_bytes(content)
    with pytest.raises(KeyStoreError) as info:
        KeyFile(path).get(tmp_path / "clinic.db")
    assert not isinstance(info.value, KeyNotFound)
    assert_plain(info.value)


def test_a_key_file_that_is_a_folder_is_key_store_error(tmp_path: Path) -> None:
    path = tmp_path / "clinic.key"
    path.mkdir()
    with pytest.raises(KeyStoreError) as info:
        KeyFile(path).get(tmp_path / "clinic.db")
    assert not isinstance(info.value, KeyNotFound)
    assert_plain(info.value)


# -- choosing where the key is kept ----------------------------------------------------------


def test_default_key_store_honours_clinic_app_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env.key"
    monkeypatch.setenv("CLINIC_APP_KEY_FILE", str(path))
    store = default_key_store()
    assert isinstance(store, KeyFile)
    assert store.path == path
    key = generate_key()
    store.put(tmp_path / "clinic.db", key)
    assert KeyFile(path).get(tmp_path / "clinic.db") == key


def test_default_key_store_prefers_an_explicit_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_APP_KEY_FILE", str(tmp_path / "from-env.key"))
    store = default_key_store(tmp_path / "explicit.key")
    assert isinstance(store, KeyFile)
    assert store.path == tmp_path / "explicit.key"


@pytest.mark.parametrize("env", [None, ""])
def test_default_key_store_is_the_credential_store_otherwise(
    monkeypatch: pytest.MonkeyPatch, env: str | None
) -> None:
    if env is not None:
        monkeypatch.setenv("CLINIC_APP_KEY_FILE", env)
    assert isinstance(default_key_store(), CredentialStore)


def test_default_key_store_never_falls_back_to_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(fail.Keyring())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoCredentialStore):
        default_key_store()
    assert list(tmp_path.iterdir()) == []
    # ...but an explicit choice works without any credential store.
    monkeypatch.setenv("CLINIC_APP_KEY_FILE", str(tmp_path / "chosen.key"))
    assert isinstance(default_key_store(), KeyFile)


def test_database_identity_is_absolute_and_normalised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    identity = database_identity(Path("clinic.db"))
    assert Path(identity).is_absolute()
    assert identity == database_identity(tmp_path / "x" / ".." / "clinic.db")
    assert identity != database_identity(tmp_path / "other.db")
