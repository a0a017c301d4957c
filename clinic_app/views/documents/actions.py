"""What the Documents tab asks of the services: callables, so tests hand it fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from clinic_app.services.documents import DocumentDetails, DocumentFile, DocumentRow


class MarkEnteredInError(Protocol):
    """``documents.mark_entered_in_error`` bound to the signed-in user."""

    def __call__(self, document_id: int, *, reason: str) -> DocumentRow: ...


@dataclass(frozen=True)
class DocumentsActions:
    """The use cases the Documents tab and its forms call, bound to the signed-in user.

    ``attach_file`` takes the client's id, what the clinician said and the file's path;
    ``open_document`` a document's id (it reads the file, and is audited).
    ``describe_staff`` names who added a document, from the names read with the record.
    """

    documents_for_client: Callable[[int], Sequence[DocumentRow]]
    attach_file: Callable[[int, DocumentDetails, Path], DocumentRow]
    open_document: Callable[[int], DocumentFile]
    mark_entered_in_error: MarkEnteredInError
    describe_staff: Callable[[int], str] = field(default=lambda _staff_id: "")
    today: Callable[[], date] = field(default=date.today)
