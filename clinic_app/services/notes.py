"""Session notes: drafts, signing, addenda, entered-in-error marks and autosaved drafts.

A note is a draft until signed. Signing asks for the password again and fixes the
note's content with a hash; after that it changes only through signed addenda, and a
wrong note is marked *entered in error*, never deleted. The database's triggers hold the
same rules, so no code path can get round them.

The hash (the *seal*) has three versions. Version 3, written since, covers the content
with its contact type, the author, who signed and when. Version 2 covers the same without
the contact type (written before contact types were recorded); version 1 covers the content
and the author only. Older seals still verify, as what they are (:func:`note_seal_version`
says which).

Each contact type has its template (:mod:`clinic_app.services.note_templates`): the
sections the editor shows and a usual length. A did-not-attend note records that the
client did not attend.
Once a signature commits, the write-ahead log is folded into the database file, so a
signed note never depends on the ``-wal`` file beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import (
    AccessDenied,
    AlreadySigned,
    ConflictError,
    EditConflict,
    NotFound,
    ValidationError,
)
from clinic_app.models import NOTE_SECTIONS, NoteAddendum, NoteDraft, SessionNote
from clinic_app.models.base import utcnow
from clinic_app.models.enums import Attendance, ContactType, Engagement, Modality
from clinic_app.services import audit, conflicts, staff
from clinic_app.services.access import has_emergency_access, is_assigned, require_clinical_access
from clinic_app.services.common import StaffRef, content_hash
from clinic_app.services.validation import Checker, date_problem
from clinic_app.storage import integrity

MAX_SECTION_LENGTH = 100_000
MAX_DURATION_MINUTES = 600
SEAL_VERSION: Final = 3
"""The version of the note seal written now."""
ADDENDUM_SEAL_VERSION: Final = 2


@dataclass(frozen=True)
class NoteContent:
    """What a clinician writes for one session."""

    session_date: date
    duration_minutes: int
    modality: Modality
    attendance: Attendance
    engagement: Engagement = Engagement.NOT_ASSESSED
    plan_goal_key: str | None = None
    risk_checkin: str = ""
    agenda: str = ""
    intervention_content: str = ""
    homework: str = ""
    risk_rerating: str = ""
    actions: str = ""
    partner_update: str = ""
    start_time: time | None = None
    """When the session began (filled in when the note is started from an appointment)."""
    contact_type: ContactType | None = None
    """What kind of contact this was (its template); None on notes written before it was
    recorded."""


# The start time is kept fixed on a signed note by the database, but the seal does not
# cover it yet: the client record file does not carry it, and a seal over it could not be
# checked in another installation. It joins the seal when the record file carries it.
_UNSEALED: Final = frozenset({"start_time"})
# What each older version of the seal did not cover yet.
_NOT_IN_V2: Final = frozenset({"contact_type"})


def _sealed_fields(content: NoteContent, *, version: int = SEAL_VERSION) -> dict[str, Any]:
    left_out = _UNSEALED if version >= 3 else _UNSEALED | _NOT_IN_V2
    return {
        name: getattr(content, name)
        for name in content.__dataclass_fields__
        if name not in left_out
    }


@dataclass(frozen=True)
class AddendumRow:
    id: int
    reason: str
    text: str
    author_id: int
    signed_at: datetime


@dataclass(frozen=True)
class NoteRow:
    """A note as the record shows it."""

    id: int
    client_id: int
    author_id: int
    content: NoteContent
    signed_at: datetime | None
    signed_by: int | None
    content_sha256: str | None
    entered_in_error_at: datetime | None
    entered_in_error_reason: str
    version: int
    addenda: tuple[AddendumRow, ...] = ()

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


_SECTION_LABELS = {
    "risk_checkin": "The risk check-in",
    "agenda": "The agenda and plan goal",
    "intervention_content": "The intervention content",
    "homework": "The homework",
    "risk_rerating": "The risk re-rating",
    "actions": "The actions",
    "partner_update": "The partner update",
}


def check_content(content: NoteContent, *, today: date) -> None:
    check = Checker()
    check.add(
        "session_date", date_problem(content.session_date, label="The session date", today=today)
    )
    if not 0 <= content.duration_minutes <= MAX_DURATION_MINUTES:
        check.add(
            "duration_minutes", f"The duration is in minutes, from 0 to {MAX_DURATION_MINUTES}."
        )
    if content.attendance in (Attendance.ATTENDED, Attendance.LATE) and not (
        content.duration_minutes
    ):
        check.add("duration_minutes", "Give the length of a session the client attended.")
    if content.contact_type is ContactType.DID_NOT_ATTEND and content.attendance in (
        Attendance.ATTENDED,
        Attendance.LATE,
    ):
        check.add(
            "attendance",
            "A did-not-attend note cannot record the client as attending: choose another "
            "kind of contact, or the attendance that happened.",
        )
    for name, label in _SECTION_LABELS.items():
        check.text(name, getattr(content, name), label=label, max_length=MAX_SECTION_LENGTH)
    check.raise_if_any()


def content_of(note: SessionNote) -> NoteContent:
    """The content of a stored note, as the clinician wrote it."""
    return NoteContent(
        session_date=note.session_date,
        duration_minutes=note.duration_minutes,
        modality=note.modality,
        attendance=note.attendance,
        engagement=note.engagement,
        plan_goal_key=note.plan_goal_key,
        start_time=note.start_time,
        contact_type=note.contact_type,
        **{name: getattr(note, name) for name in (*NOTE_SECTIONS, "partner_update")},
    )


def _moment(signed_at: datetime) -> str:
    """A signing time as the seal holds it: UTC, to the microsecond the database keeps."""
    return signed_at.astimezone(UTC).isoformat()


def note_seal(content: NoteContent, author: str, *, signer: str, signed_at: datetime) -> str:
    """The hash a signature fixes (version 3): content with its contact type, author, signer
    and signing time.

    No database id is part of it, so a signed note's seal can be checked wherever the
    record travels (an export checked in another database gives the same hash); staff
    are named by username. Re-attributing the note or its signature breaks the seal.
    """
    return _note_seal(content, author, signer=signer, signed_at=signed_at, version=SEAL_VERSION)


def _note_seal(
    content: NoteContent, author: str, *, signer: str, signed_at: datetime, version: int
) -> str:
    fields = _sealed_fields(content, version=version)
    return content_hash(
        {
            "seal": version,
            "author": author,
            "signer": signer,
            "signed_at": _moment(signed_at),
            **fields,
        }
    )


def note_seal_v2(content: NoteContent, author: str, *, signer: str, signed_at: datetime) -> str:
    """The second version of the seal: as version 3 without the contact type."""
    return _note_seal(content, author, signer=signer, signed_at=signed_at, version=2)


def note_seal_v1(content: NoteContent, author: str) -> str:
    """The first version of the seal: the note's content and its author's username only."""
    fields = _sealed_fields(content, version=1)
    return content_hash({"author": author, **fields})


def note_seal_version(
    seal: str | None, content: NoteContent, author: str, *, signer: str, signed_at: datetime
) -> int | None:
    """Which version of the seal ``seal`` is for this note (3, 2 or 1), or None if none.

    A version 2 seal does not vouch for the contact type; a version 1 seal vouches for
    the content and the author only, not for who signed or when.
    """
    if seal is None:
        return None
    if seal == note_seal(content, author, signer=signer, signed_at=signed_at):
        return SEAL_VERSION
    if seal == note_seal_v2(content, author, signer=signer, signed_at=signed_at):
        return 2
    if seal == note_seal_v1(content, author):
        return 1
    return None


def addendum_seal(
    note_seal: str | None, reason: str, text: str, author: str, *, signed_at: datetime
) -> str:
    """The hash of a signed addendum (version 2), chained to the seal of the note it amends."""
    return content_hash(
        {
            "seal": ADDENDUM_SEAL_VERSION,
            "note": note_seal,
            "reason": reason,
            "text": text,
            "author": author,
            "signed_at": _moment(signed_at),
        }
    )


def addendum_seal_version(
    seal: str | None,
    note_seal: str | None,
    reason: str,
    text: str,
    author: str,
    *,
    signed_at: datetime,
) -> int | None:
    """Which version of the addendum seal ``seal`` is (2, or 1 without the time), or None."""
    if seal is None:
        return None
    if seal == addendum_seal(note_seal, reason, text, author, signed_at=signed_at):
        return ADDENDUM_SEAL_VERSION
    v1 = content_hash({"note": note_seal, "reason": reason, "text": text, "author": author})
    return 1 if seal == v1 else None


def row_of(note: SessionNote, addenda: list[NoteAddendum] | None = None) -> NoteRow:
    return NoteRow(
        id=note.id,
        client_id=note.client_id,
        author_id=note.author_id,
        content=content_of(note),
        signed_at=note.signed_at,
        signed_by=note.signed_by,
        content_sha256=note.content_sha256,
        entered_in_error_at=note.entered_in_error_at,
        entered_in_error_reason=note.entered_in_error_reason,
        version=note.version,
        addenda=tuple(
            AddendumRow(a.id, a.reason, a.text, a.author_id, a.signed_at) for a in addenda or []
        ),
    )


def _apply(note: SessionNote, content: NoteContent) -> None:
    for name in content.__dataclass_fields__:
        if name == "start_time" and content.start_time is None:
            continue  # the note editor does not show the start time yet: keep the one given
        setattr(note, name, getattr(content, name))
    note.updated_at = utcnow()


def create_draft(
    session: Session,
    by: StaffRef,
    client_id: int,
    content: NoteContent,
    *,
    today: date | None = None,
) -> NoteRow:
    require_clinical_access(session, by, client_id)
    check_content(content, today=today or date.today())
    note = SessionNote(client_id=client_id, author_id=by.id)
    _apply(note, content)
    session.add(note)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="session_note",
        entity_id=note.id,
        client_id=client_id,
    )
    return row_of(note)


def _note_for_change(session: Session, by: StaffRef, note_id: int) -> SessionNote:
    note = conflicts.for_update(session, SessionNote, note_id, "session note")
    require_clinical_access(session, by, note.client_id)
    return note


_CONFLICT_LABELS: Final = {
    "session_date": "The session date",
    "duration_minutes": "The length in minutes",
    "modality": "How the session was held",
    "attendance": "Attendance",
    "engagement": "Engagement",
    **_SECTION_LABELS,
}


def _edit_conflict(session: Session, note: SessionNote, content: NoteContent) -> EditConflict:
    saved = content_of(note)
    return conflicts.conflict(
        session,
        "this note",
        entity="session_note",
        entity_id=note.id,
        theirs=conflicts.parts(content),
        saved=conflicts.parts(saved),
        labels=_CONFLICT_LABELS,
        version=note.version,
        saved_record=saved,
    )


def edit_draft(
    session: Session,
    by: StaffRef,
    note_id: int,
    content: NoteContent,
    *,
    expected_version: int,
    today: date | None = None,
) -> NoteRow:
    note = _note_for_change(session, by, note_id)
    if note.signed_at is not None:
        raise AlreadySigned("This note is signed and cannot be changed. Add an addendum instead.")
    check_content(content, today=today or date.today())
    if note.version != expected_version:
        # Someone saved this draft since the user opened it: overwrite nothing, show both.
        raise _edit_conflict(session, note, content)
    _apply(note, content)
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="session_note",
        entity_id=note.id,
        client_id=note.client_id,
    )
    return row_of(note)


def sign_note(
    session: Session,
    by: StaffRef,
    note_id: int,
    *,
    password: str,
    expected_version: int | None = None,
) -> NoteRow:
    """Sign a draft note; from now on it changes only through addenda.

    ``expected_version`` is the version the author read before signing: a signature must
    never cover text someone else changed in the meantime.
    """
    note = _note_for_change(session, by, note_id)
    if note.signed_at is not None:
        raise AlreadySigned("This note is already signed. Add an addendum instead.")
    if expected_version is not None and note.version != expected_version:
        raise ConflictError(
            "This draft was changed by someone else since you read it, so it has not been "
            "signed. Read it again, then sign."
        )
    if note.entered_in_error_at is not None:
        raise ValidationError("A note marked as entered in error cannot be signed.")
    if note.author_id != by.id:
        raise AccessDenied("Only the note's author can sign it.")
    staff.verify_password(session, by, password)
    note.signed_at = utcnow()
    note.signed_by = by.id
    note.content_sha256 = note_seal(
        content_of(note), by.username, signer=by.username, signed_at=note.signed_at
    )
    session.flush()
    audit.record(
        session,
        audit.Action.SIGN,
        actor_id=by.id,
        entity="session_note",
        entity_id=note.id,
        client_id=note.client_id,
    )
    integrity.checkpoint_after_commit(session)
    return row_of(note)


def add_addendum(
    session: Session, by: StaffRef, note_id: int, *, reason: str, text: str, password: str
) -> AddendumRow:
    """Add a signed correction or addition to a signed note."""
    note = _note_for_change(session, by, note_id)
    if note.signed_at is None:
        raise ValidationError("This note is still a draft: edit it directly instead.")
    check = Checker()
    check.text("reason", reason, label="The reason", required=True, max_length=2000)
    check.text("text", text, label="The addendum", required=True, max_length=MAX_SECTION_LENGTH)
    check.raise_if_any()
    staff.verify_password(session, by, password)
    signed_at = utcnow()
    addendum = NoteAddendum(
        note_id=note.id,
        reason=reason.strip(),
        text=text,
        author_id=by.id,
        signed_at=signed_at,
        content_sha256=addendum_seal(
            note.content_sha256, reason.strip(), text, by.username, signed_at=signed_at
        ),
    )
    session.add(addendum)
    session.flush()
    audit.record(
        session,
        audit.Action.SIGN,
        actor_id=by.id,
        entity="note_addendum",
        entity_id=addendum.id,
        client_id=note.client_id,
    )
    integrity.checkpoint_after_commit(session)
    return AddendumRow(addendum.id, addendum.reason, addendum.text, by.id, signed_at)


def mark_entered_in_error(session: Session, by: StaffRef, note_id: int, *, reason: str) -> NoteRow:
    """Mark a note as entered in error (for example, written on the wrong client's record)."""
    note = _note_for_change(session, by, note_id)
    if note.entered_in_error_at is not None:
        raise ValidationError("This note is already marked as entered in error.")
    check = Checker()
    check.text("reason", reason, label="The reason", required=True, max_length=2000)
    check.raise_if_any()
    note.entered_in_error_at = utcnow()
    note.entered_in_error_by = by.id
    note.entered_in_error_reason = reason.strip()
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="session_note",
        entity_id=note.id,
        client_id=note.client_id,
        detail={"entered_in_error": True},
    )
    return row_of(note)


def notes_for_client(session: Session, by: StaffRef, client_id: int) -> list[NoteRow]:
    require_clinical_access(session, by, client_id)
    return notes_read(session, client_id)


def notes_read(session: Session, client_id: int) -> list[NoteRow]:
    """:func:`notes_for_client` for a use case that has checked the user's access itself."""
    notes = list(
        session.scalars(
            select(SessionNote)
            .where(SessionNote.client_id == client_id)
            .order_by(SessionNote.session_date, SessionNote.id)
        )
    )
    addenda: dict[int, list[NoteAddendum]] = {}
    for addendum in session.scalars(
        select(NoteAddendum)
        .join(SessionNote, NoteAddendum.note_id == SessionNote.id)
        .where(SessionNote.client_id == client_id)
        .order_by(NoteAddendum.id)
    ):
        addenda.setdefault(addendum.note_id, []).append(addendum)
    return [row_of(n, addenda.get(n.id)) for n in notes]


# -- autosave --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftRow:
    id: int
    client_id: int
    note_id: int | None
    fields: dict[str, Any]
    saved_at: datetime


def autosave(
    session: Session,
    by: StaffRef,
    client_id: int,
    fields: dict[str, Any],
    *,
    note_id: int | None = None,
) -> DraftRow:
    """Keep the editor's unsaved text; one autosaved draft per user, client and note."""
    require_clinical_access(session, by, client_id)
    check = Checker()
    if note_id is not None:
        note = session.get(SessionNote, note_id)
        if note is None or note.client_id != client_id:
            check.add("note_id", "That session note is not part of this client's record.")
    for key, value in fields.items():
        if not isinstance(value, str | int | None):
            check.add(key, "This field cannot be kept as a draft.")
        elif isinstance(value, str):
            check.text(key, value, label="The text", max_length=MAX_SECTION_LENGTH)
    check.raise_if_any()
    draft = session.scalar(
        select(NoteDraft).where(
            NoteDraft.staff_id == by.id,
            NoteDraft.client_id == client_id,
            NoteDraft.note_id.is_(None) if note_id is None else NoteDraft.note_id == note_id,
        )
    )
    if draft is None:
        draft = NoteDraft(staff_id=by.id, client_id=client_id, note_id=note_id, fields={})
        session.add(draft)
    draft.fields = dict(fields)
    draft.saved_at = utcnow()
    session.flush()
    return DraftRow(draft.id, client_id, note_id, dict(draft.fields), draft.saved_at)


def drafts_to_recover(session: Session, by: StaffRef) -> list[DraftRow]:
    """The user's autosaved drafts left behind (for example by a crash).

    Only drafts on clients the user may still open are returned: a draft does not
    outlive the end of an assignment or of emergency access.
    """
    if not by.is_clinical:
        return []
    drafts = session.scalars(
        select(NoteDraft).where(NoteDraft.staff_id == by.id).order_by(NoteDraft.saved_at)
    )
    return [
        DraftRow(d.id, d.client_id, d.note_id, dict(d.fields), d.saved_at)
        for d in drafts
        if is_assigned(session, by.id, d.client_id)
        or has_emergency_access(session, by.id, d.client_id)
    ]


def discard_draft(session: Session, by: StaffRef, draft_id: int) -> None:
    draft = session.get(NoteDraft, draft_id)
    if draft is None or draft.staff_id != by.id:
        raise NotFound("That autosaved draft could not be found.")
    session.delete(draft)
    session.flush()
