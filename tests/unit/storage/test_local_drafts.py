"""The store of text typed while a site is away: encrypted on disk, one copy per note."""

from __future__ import annotations

import pytest

from clinic_app.storage.keys import CredentialStore
from clinic_app.storage.local_drafts import LocalDraftStore, default_path

CANARY = "Canary-3e1d typed while the server was away"
SITE = "db.trust.example:5432/clinic"


@pytest.fixture
def store() -> LocalDraftStore:
    return LocalDraftStore(default_path(), CredentialStore)


def test_what_is_kept_comes_back_for_the_same_person_at_the_same_site(store):
    store.keep(SITE, 3, 7, None, {"agenda": CANARY})
    store.keep(SITE, 3, 7, 12, {"agenda": "For note 12"})
    store.keep(SITE, 4, 7, None, {"agenda": "Someone else's"})
    store.keep("other:5432/clinic", 3, 7, None, {"agenda": "Another site"})
    kept = store.kept(SITE, 3)
    assert [(k.client_id, k.note_id, k.fields["agenda"]) for k in kept] == [
        (7, None, CANARY),
        (7, 12, "For note 12"),
    ]


def test_newer_text_replaces_the_older_and_forgetting_deletes_it(store):
    store.keep(SITE, 3, 7, None, {"agenda": "first"})
    store.keep(SITE, 3, 7, None, {"agenda": "second"})
    assert [k.fields["agenda"] for k in store.kept(SITE, 3)] == ["second"]
    store.forget(SITE, 3, 7, None)
    assert store.kept(SITE, 3) == []


def test_the_file_is_encrypted_and_its_key_is_in_the_credential_store(store, memory_keyring):
    store.keep(SITE, 3, 7, None, {"agenda": CANARY})
    on_disk = b"".join(p.read_bytes() for p in store.path.parent.glob(store.path.name + "*"))
    assert CANARY.encode() not in on_disk
    assert not on_disk.startswith(b"SQLite format 3")
    assert memory_keyring.secrets  # the key, never on disk beside the file
    # Opened again (the application restarted), with the key from the store.
    again = LocalDraftStore(store.path, CredentialStore)
    assert [k.fields["agenda"] for k in again.kept(SITE, 3)] == [CANARY]


def test_a_store_whose_key_is_lost_starts_again_empty(store, memory_keyring):
    store.keep(SITE, 3, 7, None, {"agenda": CANARY})
    memory_keyring.secrets.clear()
    again = LocalDraftStore(store.path, CredentialStore)
    assert again.kept(SITE, 3) == []
    again.keep(SITE, 3, 7, None, {"agenda": "new"})
    assert [k.fields["agenda"] for k in again.kept(SITE, 3)] == ["new"]


def test_the_open_forms_kept_last_come_back_for_the_same_person_at_the_same_site(store):
    form = {"client_id": 7, "tab": "Risk", "form": "new_event", "params": {}, "state": {}}
    store.keep_open_forms(SITE, 3, [{**form, "state": {"Detail": "first"}}])
    store.keep_open_forms(SITE, 3, [{**form, "state": {"Detail": CANARY}}, {**form, "tab": "Plan"}])
    store.keep_open_forms(SITE, 4, [{**form, "state": {"Detail": "Someone else's"}}])
    store.keep_open_forms("other:5432/clinic", 3, [{**form, "state": {"Detail": "Another site"}}])
    shown = [(k["tab"], k["state"].get("Detail")) for k in store.open_forms(SITE, 3)]
    assert shown == [("Risk", CANARY), ("Plan", None)]
    store.keep_open_forms(SITE, 3, [])  # no form open any more
    assert store.open_forms(SITE, 3) == []
    assert [k["state"]["Detail"] for k in store.open_forms(SITE, 4)] == ["Someone else's"]
    store.forget_open_forms(SITE, 4)
    assert store.open_forms(SITE, 4) == []


def test_forms_waiting_for_the_site_are_added_to_and_never_replaced_by_what_is_open(store):
    form = {"client_id": 7, "tab": "Risk", "form": "new_event", "params": {}}
    store.keep_open_forms(SITE, 3, [{**form, "state": {"Detail": "open when it closed"}}])
    store.set_aside_open_forms(SITE, 3)  # the next sign-in
    assert store.open_forms(SITE, 3) == []
    store.keep_open_forms(SITE, 3, [{**form, "state": {"Detail": "open now"}}])
    store.keep_open_forms(SITE, 3, [])  # the new session's forms come and go
    store.add_waiting_forms(SITE, 3, [{**form, "state": {"Detail": "closed at a lock"}}])
    waiting, when = store.waiting_forms(SITE, 3)
    assert [w["state"]["Detail"] for w in waiting] == ["open when it closed", "closed at a lock"]
    assert when is not None
    store.forget_waiting_forms(SITE, 3)
    assert store.waiting_forms(SITE, 3) == ([], None)


def test_kept_forms_are_encrypted_on_disk(store, memory_keyring):
    form = {"client_id": 7, "tab": "Risk", "form": "new_event", "params": {}}
    store.keep_open_forms(SITE, 3, [{**form, "state": {"Detail": CANARY}}])
    store.add_waiting_forms(SITE, 4, [{**form, "state": {"Detail": CANARY + " waiting"}}])
    on_disk = b"".join(p.read_bytes() for p in store.path.parent.glob(store.path.name + "*"))
    assert CANARY.encode() not in on_disk
    again = LocalDraftStore(store.path, CredentialStore)
    assert [k["state"]["Detail"] for k in again.open_forms(SITE, 3)] == [CANARY]


def test_a_store_that_cannot_be_written_says_so_in_plain_words(store, tmp_path):
    from clinic_app.errors import StorageError

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    nowhere = LocalDraftStore(blocked / "kept.db", CredentialStore)
    with pytest.raises(StorageError) as refused:
        nowhere.keep_open_forms(SITE, 3, [{"tab": "Risk", "form": "x", "params": {}, "state": {}}])
    assert "could not be kept on this computer" in refused.value.message
