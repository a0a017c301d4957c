"""Forms left open when the screen locked: kept encrypted, given back once to their owner.

Locking destroys every widget holding clinical text. Before it does, the application
asks each open form (a plan revision, a risk event, an addendum...) for what it holds and
keeps it here, in the encrypted database, with what is needed to open the same form
again. When the same user unlocks, or signs in after a crash, the forms are taken back
(read and deleted) and reopened with the text in them. Another user never sees them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.models import FormDraft
from clinic_app.services.access import has_emergency_access, is_assigned
from clinic_app.services.common import StaffRef
from clinic_app.services.validation import Checker

MAX_STATE_CHARACTERS = 2_000_000
MAX_FORMS = 50


@dataclass(frozen=True)
class OpenForm:
    """One open form: where it lives, which form, and what was typed in it.

    ``tab`` is the record tab that opens the form (empty for the main window's own forms,
    such as registering a client); ``params`` say which thing the form is about (a plan,
    a risk event); ``state`` is what the form holds, as plain JSON values.
    """

    client_id: int | None
    tab: str
    form: str
    params: dict[str, Any]
    state: dict[str, Any]


@dataclass(frozen=True)
class SavedForm:
    id: int
    saved_at: datetime
    form: OpenForm


def keep_open_forms(
    session: Session, by: StaffRef, forms: list[OpenForm], *, left_at: datetime | None = None
) -> int:
    """Keep the user's open forms until they come back; how many were kept.

    ``left_at``: when they were left, if not now (forms kept on a workstation while the
    site was away, handed over later)."""
    check = Checker()
    if len(forms) > MAX_FORMS:
        check.add("forms", "Too many forms are open to keep them all.")
    for index, form in enumerate(forms):
        where = f"forms[{index}]"
        check.text(f"{where}.tab", form.tab, label="The tab", max_length=40)
        check.text(f"{where}.form", form.form, label="The form", required=True, max_length=60)
        try:
            size = len(json.dumps(form.params)) + len(json.dumps(form.state))
        except (TypeError, ValueError):
            check.add(where, "This form holds something that cannot be kept.")
            continue
        if size > MAX_STATE_CHARACTERS:
            check.add(where, "This form holds too much text to keep.")
    check.raise_if_any()
    # Text typed under access that has since ended (emergency access expiring while the
    # form was open) is not kept.
    forms = [form for form in forms if _visible(session, by, form.client_id)]
    session.add_all(
        FormDraft(
            staff_id=by.id,
            client_id=form.client_id,
            tab=form.tab,
            form=form.form,
            params=form.params,
            state=form.state,
            **({"saved_at": left_at} if left_at is not None else {}),
        )
        for form in forms
    )
    session.flush()
    return len(forms)


def _visible(session: Session, by: StaffRef, client_id: int | None) -> bool:
    if client_id is None:
        return True
    return is_assigned(session, by.id, client_id) or has_emergency_access(session, by.id, client_id)


def waiting_forms(session: Session, by: StaffRef) -> list[SavedForm]:
    """The user's kept forms, oldest first, on clients they may still open."""
    rows = session.scalars(
        select(FormDraft).where(FormDraft.staff_id == by.id).order_by(FormDraft.id)
    )
    return [
        SavedForm(
            row.id,
            row.saved_at,
            OpenForm(row.client_id, row.tab, row.form, dict(row.params), dict(row.state)),
        )
        for row in rows
        if _visible(session, by, row.client_id)
    ]


def take_open_forms(session: Session, by: StaffRef) -> list[OpenForm]:
    """Hand back the user's kept forms and forget them (they are reopened now).

    Forms on clients the user may no longer open (an assignment ended, emergency access
    expired) are forgotten too: their text must not outlive the access it was typed under.
    """
    rows = list(
        session.scalars(select(FormDraft).where(FormDraft.staff_id == by.id).order_by(FormDraft.id))
    )
    forms = [
        OpenForm(row.client_id, row.tab, row.form, dict(row.params), dict(row.state))
        for row in rows
        if _visible(session, by, row.client_id)
    ]
    for row in rows:
        session.delete(row)
    session.flush()
    return forms


def discard_open_forms(session: Session, by: StaffRef) -> int:
    """Forget the user's kept forms without reopening them; how many there were."""
    rows = list(session.scalars(select(FormDraft).where(FormDraft.staff_id == by.id)))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
