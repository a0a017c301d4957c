"""Session notes: drafts, signing with the password, immutability, addenda, errors, autosave."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from clinic_app.errors import (
    AlreadySigned,
    AuthError,
    ConflictError,
    EmergencyAccessRequired,
    StorageError,
    ValidationError,
)
from clinic_app.models.enums import Attendance, Modality
from clinic_app.services import notes
from clinic_app.services.common import content_hash
from tests.conftest import STAFF_PASSWORD

CONTENT = notes.NoteContent(
    session_date=date(2026, 3, 2),
    duration_minutes=50,
    modality=Modality.IN_PERSON,
    attendance=Attendance.ATTENDED,
    risk_checkin="No contact reported.",
    intervention_content="Worked on rumination.",
    partner_update="Attended and engaged.",
)


@pytest.fixture
def note(db, psychologist, client_id):
    with db.transaction() as session:
        return notes.create_draft(session, psychologist, client_id, CONTENT)


def test_a_draft_can_be_edited_and_keeps_its_sections(db, psychologist, note):
    changed = notes.NoteContent(**{**CONTENT.__dict__, "homework": "Thought record."})
    with db.transaction() as session:
        row = notes.edit_draft(session, psychologist, note.id, changed, expected_version=1)
    assert row.content.homework == "Thought record."
    assert row.version == 2
    assert not row.is_signed


def test_a_stale_edit_is_refused(db, psychologist, note):
    with db.transaction() as session:
        notes.edit_draft(session, psychologist, note.id, CONTENT, expected_version=1)
    with db.session() as session, pytest.raises(ConflictError):
        notes.edit_draft(session, psychologist, note.id, CONTENT, expected_version=1)


def test_signing_needs_the_password(db, psychologist, note):
    with db.session() as session, pytest.raises(AuthError):
        notes.sign_note(session, psychologist, note.id, password="wrong password")
    with db.transaction() as session:
        signed = notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD)
    assert signed.is_signed
    assert signed.signed_by == psychologist.id
    # The seal (version 2) covers the content, the author's and the signer's usernames
    # and the signing time, and no database id. The start time is not sealed (yet).
    sealed = {k: v for k, v in CONTENT.__dict__.items() if k != "start_time"}
    expected = content_hash(
        {
            "seal": 2,
            "author": "dr.jones",
            "signer": "dr.jones",
            "signed_at": signed.signed_at.isoformat(),
            **sealed,
        }
    )
    assert signed.content_sha256 == expected


def test_signed_note_cannot_be_edited(db, psychologist, note):
    with db.transaction() as session:
        notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD)
    with db.session() as session:
        with pytest.raises(AlreadySigned):
            notes.edit_draft(session, psychologist, note.id, CONTENT, expected_version=2)
        with pytest.raises(AlreadySigned):
            notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD)


def test_the_database_refuses_to_change_a_signed_note_whatever_the_code(db, psychologist, note):
    with db.transaction() as session:
        notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD)
    for sql in (
        "UPDATE session_note SET intervention_content = 'changed' WHERE id = :id",
        "UPDATE session_note SET signed_at = NULL WHERE id = :id",
        "UPDATE session_note SET start_time = '09:15:00' WHERE id = :id",
        "DELETE FROM session_note WHERE id = :id",
    ):
        with db.session() as session, pytest.raises(Exception, match="signed") as caught:
            session.execute(text(sql), {"id": note.id})
        assert not isinstance(caught.value, StorageError)


def test_addenda_are_signed_and_kept_in_order(db, psychologist, note):
    with db.transaction() as session:
        notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD)
    with db.session() as session:
        with pytest.raises(ValidationError):
            notes.add_addendum(
                session, psychologist, note.id, reason="", text="x", password=STAFF_PASSWORD
            )
        with pytest.raises(AuthError):
            notes.add_addendum(
                session,
                psychologist,
                note.id,
                reason="Correction",
                text="x",
                password="wrong password",
            )
    with db.transaction() as session:
        notes.add_addendum(
            session,
            psychologist,
            note.id,
            reason="Correction",
            text="Homework was a diary.",
            password=STAFF_PASSWORD,
        )
        notes.add_addendum(
            session,
            psychologist,
            note.id,
            reason="Addition",
            text="Client phoned after.",
            password=STAFF_PASSWORD,
        )
    with db.session() as session:
        [row] = notes.notes_for_client(session, psychologist, note.client_id)
    assert [a.reason for a in row.addenda] == ["Correction", "Addition"]
    assert row.content == CONTENT  # the signed note itself is untouched


def test_an_addendum_to_a_draft_is_refused(db, psychologist, note):
    with db.session() as session, pytest.raises(ValidationError, match="draft"):
        notes.add_addendum(
            session, psychologist, note.id, reason="r", text="t", password=STAFF_PASSWORD
        )


def test_entered_in_error_marks_a_signed_note_without_deleting_it(db, psychologist, note):
    with db.transaction() as session:
        notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD)
        notes.mark_entered_in_error(
            session, psychologist, note.id, reason="Written on the wrong client's record."
        )
    with db.session() as session:
        [row] = notes.notes_for_client(session, psychologist, note.client_id)
        assert row.entered_in_error_at is not None
        assert row.content == CONTENT
        with pytest.raises(ValidationError):
            notes.mark_entered_in_error(session, psychologist, note.id, reason="again")
        with pytest.raises(Exception, match="entered-in-error"):
            session.execute(
                text("UPDATE session_note SET entered_in_error_reason = 'x' WHERE id = :id"),
                {"id": note.id},
            )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"session_date": date.today() + timedelta(days=1)}, "session_date"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"duration_minutes": 0}, "duration_minutes"),  # attended, but no length
        ({"agenda": "bad\x00text"}, "agenda"),
        ({"homework": "x" * 100_001}, "homework"),
    ],
)
def test_bad_note_content_is_refused_naming_the_field(db, psychologist, client_id, change, field):
    bad = notes.NoteContent(**{**CONTENT.__dict__, **change})
    with db.session() as session:
        with pytest.raises(ValidationError) as caught:
            notes.create_draft(session, psychologist, client_id, bad)
        assert field in {p.where for p in caught.value.problems}
        assert notes.notes_for_client(session, psychologist, client_id) == []


def test_a_did_not_attend_needs_no_duration(db, psychologist, client_id):
    dna = notes.NoteContent(
        session_date=date(2026, 3, 2),
        duration_minutes=0,
        modality=Modality.PHONE,
        attendance=Attendance.DID_NOT_ATTEND,
    )
    with db.transaction() as session:
        assert notes.create_draft(session, psychologist, client_id, dna).content == dna


def test_other_staff_cannot_write_notes_on_unassigned_clients(db, clinician, client_id):
    with db.session() as session, pytest.raises(EmergencyAccessRequired):
        notes.create_draft(session, clinician, client_id, CONTENT)


def test_autosave_keeps_one_draft_and_offers_it_back(db, psychologist, client_id):
    with db.transaction() as session:
        notes.autosave(session, psychologist, client_id, {"agenda": "first"})
        notes.autosave(session, psychologist, client_id, {"agenda": "second", "duration": 50})
    with db.session() as session:
        [draft] = notes.drafts_to_recover(session, psychologist)
    assert draft.fields == {"agenda": "second", "duration": 50}
    with db.transaction() as session:
        notes.discard_draft(session, psychologist, draft.id)
    with db.session() as session:
        assert notes.drafts_to_recover(session, psychologist) == []


def test_autosave_refuses_values_it_cannot_keep(db, psychologist, client_id):
    with db.session() as session, pytest.raises(ValidationError):
        notes.autosave(session, psychologist, client_id, {"agenda": ["not", "text"]})


def test_only_the_author_signs_a_note(db, clinician, note):
    from clinic_app.errors import AccessDenied
    from clinic_app.services import clients

    with db.transaction() as session:
        clients.grant_emergency_access(session, clinician, note.client_id, "Covering for lead.")
    with db.session() as session, pytest.raises(AccessDenied, match="author"):
        notes.sign_note(session, clinician, note.id, password=STAFF_PASSWORD)


def test_a_draft_changed_since_it_was_read_is_not_signed(db, psychologist, note):
    with db.transaction() as session:
        notes.edit_draft(session, psychologist, note.id, CONTENT, expected_version=1)
    with db.session() as session, pytest.raises(ConflictError):
        notes.sign_note(session, psychologist, note.id, password=STAFF_PASSWORD, expected_version=1)


def test_drafts_are_offered_back_only_while_the_client_is_still_open_to_the_user(
    db, psychologist, clinician, client_id, monkeypatch
):
    from clinic_app.services import access, clients

    with db.transaction() as session:
        clients.grant_emergency_access(session, clinician, client_id, "Covering for the lead.")
        notes.autosave(session, clinician, client_id, {"agenda": "covering"})
    with db.session() as session:
        assert len(notes.drafts_to_recover(session, clinician)) == 1
    later = access.utcnow() + timedelta(hours=13)
    monkeypatch.setattr(access, "utcnow", lambda: later)
    with db.session() as session:
        assert notes.drafts_to_recover(session, clinician) == []


def test_autosave_refuses_a_note_of_another_client(db, psychologist, client_id, note):
    from clinic_app.services import clients
    from tests.conftest import client_details

    with db.transaction() as session:
        other = clients.register_client(
            session, psychologist, client_details(local_ref="X-2", nhs_number="")
        )
    with db.session() as session, pytest.raises(ValidationError):
        notes.autosave(session, psychologist, other.id, {"agenda": "x"}, note_id=note.id)


def test_wrong_passwords_when_signing_count_towards_lockout(db, psychologist, note):
    from clinic_app.errors import AccountLocked
    from clinic_app.services import staff
    from clinic_app.services.workspace import Workspace

    workspace = Workspace(db, psychologist)
    for _ in range(4):
        with pytest.raises(AuthError) as caught:
            workspace.call(notes.sign_note, note.id, password="guess password")
        assert not isinstance(caught.value, AccountLocked)
    with pytest.raises(AccountLocked):
        workspace.call(notes.sign_note, note.id, password="guess password")
    with db.session() as session:
        assert not notes.notes_for_client(session, psychologist, note.client_id)[0].is_signed
    # The account is locked for sign-in too, even with the right password.
    with db.session() as session, pytest.raises(AccountLocked):
        staff.sign_in(session, "dr.jones", STAFF_PASSWORD)
