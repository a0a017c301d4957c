"""What is typed while the site is away is kept on this computer and saved when it is back.

The site's absence is played by a workspace whose units of work fail as an unreachable
server makes them fail (``SiteUnreachable``, nothing written); the rest is real.
"""

from __future__ import annotations

import pytest

from clinic_app.services import form_drafts, notes, offline
from clinic_app.services.form_drafts import OpenForm
from clinic_app.services.workspace import Workspace
from clinic_app.storage.keys import CredentialStore
from clinic_app.storage.local_drafts import LocalDraftStore, default_path
from clinic_app.storage.site import UNREACHABLE_MESSAGE, SiteUnreachable

SITE = "db.trust.example:5432/clinic"
CANARY = "Canary-5b2c typed while away"


class SometimesAway(Workspace):
    away = False

    def call(self, use_case, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.away:
            raise SiteUnreachable(UNREACHABLE_MESSAGE)
        return super().call(use_case, *args, **kwargs)


@pytest.fixture
def store() -> LocalDraftStore:
    return LocalDraftStore(default_path(), CredentialStore)


def test_an_autosave_while_away_is_kept_here_and_still_fails(db, psychologist, client_id, store):
    workspace = SometimesAway(db, psychologist)
    autosave = offline.autosave_keeping_locally(workspace, store, SITE)
    workspace.away = True
    with pytest.raises(SiteUnreachable):  # the editor must keep its text and try again
        autosave(client_id, {"agenda": CANARY})
    assert [k.fields for k in store.kept(SITE, psychologist.id)] == [{"agenda": CANARY}]
    workspace.away = False
    saved = autosave(client_id, {"agenda": CANARY + " and more"})
    assert saved.fields == {"agenda": CANARY + " and more"}
    assert store.kept(SITE, psychologist.id) == []  # the site has it now


def test_what_was_kept_is_saved_as_the_persons_draft_when_the_site_is_back(
    db, psychologist, client_id, store
):
    # Kept while away, then the application was closed: the next sign-in sends it.
    store.keep(SITE, psychologist.id, client_id, None, {"agenda": CANARY})
    workspace = SometimesAway(db, psychologist)
    workspace.away = True
    assert offline.send_kept_drafts(workspace, store, SITE) == 0
    assert len(store.kept(SITE, psychologist.id)) == 1  # still kept
    workspace.away = False
    assert offline.send_kept_drafts(workspace, store, SITE) == 1
    assert store.kept(SITE, psychologist.id) == []
    drafts = workspace.call(notes.drafts_to_recover)
    assert [d.fields for d in drafts] == [{"agenda": CANARY}]


def test_a_kept_draft_the_site_refuses_for_good_is_dropped(db, clinician, client_id, store):
    # The clinician is not on this client's case: the site will never take it.
    store.keep(SITE, clinician.id, client_id, None, {"agenda": CANARY})
    workspace = SometimesAway(db, clinician)
    assert offline.send_kept_drafts(workspace, store, SITE) == 0
    assert store.kept(SITE, clinician.id) == []


def test_only_a_site_has_a_name_to_keep_drafts_under(db, psychologist):
    from clinic_app.storage.site import SiteDatabase

    name = offline.site_name(Workspace(db, psychologist))
    if isinstance(db, SiteDatabase):
        assert name == f"{db.settings.host}:{db.settings.port}/{db.settings.database}"
    else:
        assert name is None


def _kept_form(client_id: int, text: str) -> OpenForm:
    return OpenForm(client_id, "Risk", "new_event", {}, {"Detail": text})


def test_forms_kept_here_go_to_the_site_as_forms_left_open_when_it_is_back(
    db, psychologist, client_id, store
):
    # Open when the application closed while the site was away; the next sign-in sends them.
    offline.keep_forms_here(store, SITE, psychologist.id, [_kept_form(client_id, CANARY)])
    workspace = SometimesAway(db, psychologist)
    workspace.away = True
    assert offline.send_kept_forms(workspace, store, SITE, after_closing=True) == 0
    assert len(store.waiting_forms(SITE, psychologist.id)[0]) == 1  # still kept here
    # The new session's own open forms are kept while the site is away: nothing waiting
    # from before is replaced or lost by that.
    offline.keep_forms_here(store, SITE, psychologist.id, [])
    offline.keep_closed_forms_here(
        store, SITE, psychologist.id, [_kept_form(client_id, CANARY + " at a lock")]
    )
    workspace.away = False
    _forms, left_at = store.waiting_forms(SITE, psychologist.id)
    assert offline.send_kept_forms(workspace, store, SITE) == 2
    assert store.waiting_forms(SITE, psychologist.id) == ([], None)
    waiting = workspace.call(form_drafts.waiting_forms)
    assert [w.form.state["Detail"] for w in waiting] == [CANARY, CANARY + " at a lock"]
    assert {w.saved_at for w in waiting} == {left_at}  # when they were left, not sent
    assert offline.send_kept_forms(workspace, store, SITE) == 0  # sent once only


def test_kept_forms_the_site_refuses_or_cannot_read_are_dropped(db, psychologist, client_id, store):
    workspace = SometimesAway(db, psychologist)
    too_long = "x" * (form_drafts.MAX_STATE_CHARACTERS + 1)
    offline.keep_closed_forms_here(store, SITE, psychologist.id, [_kept_form(client_id, too_long)])
    assert offline.send_kept_forms(workspace, store, SITE) == 0
    assert store.waiting_forms(SITE, psychologist.id) == ([], None)
    store.add_waiting_forms(SITE, psychologist.id, [{"tab": 3, "form": None}])  # not a form
    assert offline.send_kept_forms(workspace, store, SITE) == 0
    assert store.waiting_forms(SITE, psychologist.id) == ([], None)
    assert workspace.call(form_drafts.waiting_forms) == []
