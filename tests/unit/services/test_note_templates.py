"""Note templates by kind of contact, and the kind a note started from an appointment takes."""

from __future__ import annotations

from datetime import timedelta

from clinic_app.models import NOTE_SECTIONS
from clinic_app.models.enums import Attendance, ContactType, Engagement, Modality
from clinic_app.services import appointments, note_templates, notes
from clinic_app.services.sharing.partner_summary import build_partner_summary
from tests.unit.services.test_appointments import TEN, TODAY, book


def test_every_kind_of_contact_has_a_template_of_note_sections():
    assert set(note_templates.TEMPLATES) == set(ContactType)
    for kind, template in note_templates.TEMPLATES.items():
        assert template.contact_type is kind
        assert template.sections, kind
        assert set(template.fields) <= set(NOTE_SECTIONS), kind
        assert len(set(template.fields)) == len(template.fields), kind
        assert all(s.heading and s.prompt for s in template.sections), kind
        # A usual length, never 0, except for a contact that did not take place.
        assert (template.default_minutes == 0) == (kind is ContactType.DID_NOT_ATTEND), kind
    dna = note_templates.TEMPLATES[ContactType.DID_NOT_ATTEND]
    assert dna.fields == ("actions",) and dna.attendance is Attendance.DID_NOT_ATTEND
    # Notes written before kinds were recorded read as sessions, every section shown.
    assert note_templates.template_for(None).fields == NOTE_SECTIONS


def test_a_note_started_from_appointments_takes_the_kind_of_contact(db, psychologist, client_id):
    with db.transaction() as s:
        [first] = book(s, psychologist, client_id, day=TODAY, start_time=TEN)
        [second] = book(s, psychologist, client_id, day=TODAY, start_time=TEN.replace(hour=14))
        [missed] = book(s, psychologist, client_id, day=TODAY, start_time=TEN.replace(hour=16))
    with db.transaction() as s:
        assessment = appointments.start_note_from(s, psychologist, first.id, today=TODAY)
        session = appointments.start_note_from(s, psychologist, second.id, today=TODAY)
        appointments.mark_did_not_attend(s, psychologist, missed.id, today=TODAY)
        not_attended = appointments.start_note_from(s, psychologist, missed.id, today=TODAY)
    # The client's first note is an assessment; later ones are sessions.
    assert assessment.content.contact_type is ContactType.ASSESSMENT
    assert assessment.content.duration_minutes == 50  # the appointment's length
    assert assessment.content.start_time == TEN
    assert session.content.contact_type is ContactType.INTERVENTION_SESSION
    # A missed appointment's note is a did-not-attend note, of no length.
    assert not_attended.content.contact_type is ContactType.DID_NOT_ATTEND
    assert not_attended.content.attendance is Attendance.DID_NOT_ATTEND
    assert not_attended.content.duration_minutes == 0


def test_a_professionals_meeting_is_not_counted_as_attendance(db, psychologist, client_id):
    def written(kind: ContactType, attendance: Attendance) -> notes.NoteContent:
        return notes.NoteContent(
            session_date=TODAY - timedelta(days=3),
            duration_minutes=60,
            modality=Modality.IN_PERSON,
            attendance=attendance,
            engagement=Engagement.GOOD,
            contact_type=kind,
        )

    with db.transaction() as s:
        notes.create_draft(
            s, psychologist, client_id, written(ContactType.INTERVENTION_SESSION, Attendance.LATE)
        )
        notes.create_draft(
            s,
            psychologist,
            client_id,
            written(ContactType.PROFESSIONALS_MEETING, Attendance.ATTENDED),
        )
    with db.session() as s:
        summary = build_partner_summary(
            s,
            psychologist,
            client_id,
            audience="police",
            period_from=TODAY - timedelta(days=10),
            period_to=TODAY,
            today=TODAY,
        )
    assert summary.attendance is not None
    assert (summary.attendance.counts.attended, summary.attendance.counts.late) == (0, 1)
    assert summary.engagement is not None
    assert (summary.engagement.good, summary.engagement.rated) == (1, 1)
