"""Signing a note at a site: the password asked for again is checked by the server (the
member of staff's own role, through the sign-in gate), as at sign-in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clinic_app.errors import AuthError
from clinic_app.models.enums import Attendance, Modality, Role
from clinic_app.services import clients, notes
from tests.conftest import STAFF_PASSWORD


def test_a_clinician_signs_their_note_at_a_site_with_their_own_password(fresh_site):
    site = fresh_site
    jones = site.add("jones", Role.PSYCHOLOGIST)
    mine = site.open_as(jones)
    with mine.transaction() as s:
        made = clients.register_client(
            s,
            jones,
            clients.ClientDetails(
                local_ref="SIGN-1",
                given_name="Ali",
                family_name="Moss",
                date_of_birth=date(1984, 4, 4),
                site="North",
                referral_date=date.today() - timedelta(days=20),
            ),
        )
        note = notes.create_draft(
            s,
            jones,
            made.id,
            notes.NoteContent(
                session_date=date.today() - timedelta(days=1),
                duration_minutes=50,
                modality=Modality.IN_PERSON,
                attendance=Attendance.ATTENDED,
                agenda="Reviewed the week.",
            ),
        )
    with mine.session() as s, pytest.raises(AuthError, match="not right"):
        notes.sign_note(s, jones, note.id, password="not my password")
    with mine.transaction() as s:
        signed = notes.sign_note(s, jones, note.id, password=STAFF_PASSWORD)
    assert signed.is_signed and signed.signed_by == jones.id
    # Nothing was locked by the wrong attempt once the right one passed.
    with site.raw(jones) as raw:
        assert raw.execute("SELECT 1").fetchone() == (1,)
