"""A site out of reach: keep what is typed on this computer, save it when the site is back.

The session note editor autosaves its fields every few seconds (``notes.autosave``). At a
site, :func:`autosave_keeping_locally` wraps that use case: when the server cannot be
reached (:class:`~clinic_app.storage.site.SiteUnreachable`) the fields are kept in the
encrypted store on this computer (``storage.local_drafts``) and the error still reaches the
editor, which keeps its text and tries again; once a save reaches the server, the local
copy is deleted. :func:`send_kept_drafts` saves, as the person's autosaved drafts, what the
store still holds (after the server is back, or at the next sign-in after the application
was closed or crashed meanwhile). No two-way synchronisation: a kept text becomes that
person's draft, which they see and save or discard as any autosaved draft.

The other forms are kept as at a screen lock (``services.form_drafts``): while the server
is away the application keeps what every open form holds with :func:`keep_forms_here`
(replaced each time), forms closed meanwhile with :func:`keep_closed_forms_here` (added
to), and :func:`send_kept_forms` hands what is waiting to the site as that person's forms
left open, which the sign-in offers to open again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from clinic_app.errors import ClinicError
from clinic_app.services import form_drafts, notes
from clinic_app.services.form_drafts import OpenForm
from clinic_app.services.notes import DraftRow
from clinic_app.services.workspace import Workspace
from clinic_app.storage.local_drafts import LocalDraftStore
from clinic_app.storage.site import SiteUnreachable

log = logging.getLogger(__name__)

Autosave = Callable[..., DraftRow]


def site_name(workspace: Workspace) -> str | None:
    """The site a workspace is signed in to (host, port, database), or None."""
    settings = getattr(workspace.database, "settings", None)
    if settings is None:
        return None
    return f"{settings.host}:{settings.port}/{settings.database}"


def autosave_keeping_locally(workspace: Workspace, store: LocalDraftStore, site: str) -> Autosave:
    """``notes.autosave`` as the signed-in user, kept on this computer while the site is
    away (the error is raised all the same: the text is not yet at the site)."""
    me = workspace.me

    def autosave(client_id: int, fields: dict[str, Any], *, note_id: int | None = None) -> DraftRow:
        try:
            row = workspace.call(notes.autosave, client_id, fields, note_id=note_id)
        except SiteUnreachable:
            store.keep(site, me.id, client_id, note_id, fields)
            log.info("a draft was kept on this computer while the site is away")
            raise
        store.forget(site, me.id, client_id, note_id)
        return row

    autosave.__name__ = "autosave"
    return autosave


def send_kept_drafts(workspace: Workspace, store: LocalDraftStore, site: str) -> int:
    """Save at the site what was kept on this computer; how many drafts were saved.

    Stops at the first SiteUnreachable (the rest stays kept). A draft the site refuses for
    good (the person is no longer on the case, the note is gone) is dropped here: it could
    never be saved, and the person could not have seen it anyway.
    """
    me = workspace.me
    sent = 0
    for kept in store.kept(site, me.id):
        try:
            workspace.call(notes.autosave, kept.client_id, kept.fields, note_id=kept.note_id)
        except SiteUnreachable:
            break
        except ClinicError as error:
            log.warning("a kept draft was refused by the site (%s)", type(error).__name__)
        else:
            sent += 1
        store.forget(site, me.id, kept.client_id, kept.note_id)
    return sent


def _as_json(forms: list[OpenForm]) -> list[dict[str, Any]]:
    return [
        {
            "client_id": f.client_id,
            "tab": f.tab,
            "form": f.form,
            "params": f.params,
            "state": f.state,
        }
        for f in forms
    ]


def keep_forms_here(
    store: LocalDraftStore, site: str, staff_id: int, forms: list[OpenForm]
) -> None:
    """Keep what this person's open forms hold now on this computer (replacing what was
    kept of them before; an empty list forgets it)."""
    store.keep_open_forms(site, staff_id, _as_json(forms))


def keep_closed_forms_here(
    store: LocalDraftStore, site: str, staff_id: int, forms: list[OpenForm]
) -> None:
    """Keep forms closed while the site is away (the screen locked) until the site can
    take them: added to those already waiting, never replacing them."""
    store.add_waiting_forms(site, staff_id, _as_json(forms))


def _open_form(kept: dict[str, Any]) -> OpenForm | None:
    client_id, tab, form = kept.get("client_id"), kept.get("tab"), kept.get("form")
    params, state = kept.get("params"), kept.get("state")
    if not (
        (client_id is None or isinstance(client_id, int))
        and isinstance(tab, str)
        and isinstance(form, str)
        and isinstance(params, dict)
        and isinstance(state, dict)
    ):
        return None
    return OpenForm(client_id, tab, form, params, state)


def send_kept_forms(
    workspace: Workspace, store: LocalDraftStore, site: str, *, after_closing: bool = False
) -> int:
    """Hand the forms waiting on this computer to the site as this person's forms left
    open (offered again at sign-in); how many the site kept.

    ``after_closing`` (at sign-in): what was open when the application last closed, or
    crashed, is waiting too. While the site is still away they stay kept here. Forms the
    site refuses for good (text the checks refuse) are dropped, as a kept draft the site
    refuses is.
    """
    me = workspace.me
    if after_closing:
        store.set_aside_open_forms(site, me.id)
    waiting, left_at = store.waiting_forms(site, me.id)
    kept = [form for k in waiting if (form := _open_form(k)) is not None]
    if not kept:
        store.forget_waiting_forms(site, me.id)
        return 0
    try:
        sent = workspace.call(form_drafts.keep_open_forms, kept, left_at=left_at)
    except SiteUnreachable:
        return 0
    except ClinicError as error:
        log.warning("forms kept here were refused by the site (%s)", type(error).__name__)
        sent = 0
    store.forget_waiting_forms(site, me.id)
    return sent
