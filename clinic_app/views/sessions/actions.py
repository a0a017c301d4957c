"""What the Sessions tab and the note editor ask of the services: callables given to them,
so tests hand them fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from clinic_app.services.notes import AddendumRow, DraftRow, NoteContent, NoteRow
from clinic_app.services.plans import RevisionRow
from clinic_app.services.staff import StaffRow

# -- the callables the tab needs ----------------------------------------------------------------


class EditDraft(Protocol):
    def __call__(
        self, note_id: int, content: NoteContent, /, *, expected_version: int
    ) -> NoteRow: ...


class SignNote(Protocol):
    def __call__(
        self, note_id: int, /, *, password: str, expected_version: int | None = None
    ) -> NoteRow: ...


class AddAddendum(Protocol):
    def __call__(
        self, note_id: int, /, *, reason: str, text: str, password: str
    ) -> AddendumRow: ...


class MarkEnteredInError(Protocol):
    def __call__(self, note_id: int, /, *, reason: str) -> NoteRow: ...


class Autosave(Protocol):
    def __call__(
        self,
        client_id: int,
        fields: dict[str, str | int | None],
        /,
        *,
        note_id: int | None = None,
    ) -> DraftRow: ...


@dataclass(frozen=True)
class NoteEditorActions:
    """What the note editor calls: saving the note and keeping (or dropping) its autosave."""

    create_draft: Callable[[int, NoteContent], NoteRow]
    edit_draft: EditDraft
    autosave: Autosave
    discard_draft: Callable[[int], None]


@dataclass(frozen=True)
class SessionsActions:
    """The use cases the Sessions tab calls, bound to the signed-in user by the app.

    Each is the service of the same name in ``services/notes.py`` (``plans_for_client``
    from ``services/plans.py``, ``clinical_staff`` from ``services/staff.py``, used to
    name authors) without the session and user arguments. ``open_risk_event`` opens the
    risk-event dialog for the client, linked to the given note (or to no note).
    """

    notes_for_client: Callable[[int], list[NoteRow]]
    create_draft: Callable[[int, NoteContent], NoteRow]
    edit_draft: EditDraft
    sign_note: SignNote
    add_addendum: AddAddendum
    mark_entered_in_error: MarkEnteredInError
    autosave: Autosave
    drafts_to_recover: Callable[[], list[DraftRow]]
    discard_draft: Callable[[int], None]
    plans_for_client: Callable[[int], list[RevisionRow]]
    clinical_staff: Callable[[], list[StaffRow]]
    open_risk_event: Callable[[int | None], None]

    def for_editor(self) -> NoteEditorActions:
        return NoteEditorActions(
            self.create_draft, self.edit_draft, self.autosave, self.discard_draft
        )
