"""Keeping open forms across a lock: only for their owner, once, and within access."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from clinic_app.errors import ValidationError
from clinic_app.models import ClientAssignment, FormDraft, utcnow
from clinic_app.services import form_drafts
from clinic_app.services.form_drafts import OpenForm


def _form(client_id, text="Canary typed text"):
    return OpenForm(client_id, "Plan", "revise", {"plan_id": 1}, {"formulation": text})


def test_forms_are_handed_back_once_to_their_owner(db, psychologist, clinician, client_id):
    with db.transaction() as session:
        assert form_drafts.keep_open_forms(session, psychologist, [_form(client_id)]) == 1
    with db.transaction() as session:
        assert form_drafts.waiting_forms(session, clinician) == []
        assert form_drafts.take_open_forms(session, clinician) == []
        waiting = form_drafts.waiting_forms(session, psychologist)
        assert [w.form for w in waiting] == [_form(client_id)]
    with db.transaction() as session:
        assert form_drafts.take_open_forms(session, psychologist) == [_form(client_id)]
    with db.transaction() as session:
        assert form_drafts.take_open_forms(session, psychologist) == []


def test_text_typed_under_ended_access_is_not_handed_back(db, psychologist, client_id):
    with db.transaction() as session:
        form_drafts.keep_open_forms(session, psychologist, [_form(client_id)])
        # The assignment ends while the form is kept (as a lead reassigning the case would).
        session.execute(
            update(ClientAssignment)
            .where(ClientAssignment.client_id == client_id)
            .values(ended_at=utcnow())
        )
    with db.transaction() as session:
        assert form_drafts.waiting_forms(session, psychologist) == []
        assert form_drafts.take_open_forms(session, psychologist) == []
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(FormDraft)) == 0


def test_bad_forms_are_refused_and_nothing_is_kept(db, psychologist, client_id):
    huge = "x" * (form_drafts.MAX_STATE_CHARACTERS + 1)
    with db.transaction() as session, pytest.raises(ValidationError) as caught:
        form_drafts.keep_open_forms(
            session,
            psychologist,
            [_form(client_id), _form(client_id, huge), OpenForm(client_id, "Plan", "", {}, {})],
        )
    messages = [p.message for p in caught.value.problems]
    assert "This form holds too much text to keep." in messages
    assert any("The form" in m for m in messages)
    with db.session() as session:
        assert form_drafts.waiting_forms(session, psychologist) == []


def test_discarding_forgets_only_the_users_own(db, psychologist, clinician, client_id):
    with db.transaction() as session:
        form_drafts.keep_open_forms(session, psychologist, [_form(client_id), _form(None)])
        assert form_drafts.discard_open_forms(session, clinician) == 0
        assert form_drafts.discard_open_forms(session, psychologist) == 2
        assert form_drafts.waiting_forms(session, psychologist) == []
