"""Documents received: attaching files other services sent about a client, and reading them.

A clinician attaches a police report, MAPPA or panel minutes, or a letter from another
service to the client's record: the file as it came, with a title, who it came from, the
day it was received, and whose information it is (clinical, or a third party's). The file
is kept inside the encrypted database (or the site's database), never beside it.

- **What may be attached** is decided by the file's contents, not only its name: a PDF, a
  picture (PNG, JPEG or TIFF), a Word document (DOCX or the older DOC), an RTF file or
  plain text, each at most :data:`MAX_BYTES`; the name must end as its kind does. An
  empty file, a program or a file whose contents are not what its name says is refused,
  with a sentence saying why; a refused attachment changes nothing.
- **The list** reads titles, senders, dates and who attached each, never the files.
- **Opening** one reads its content (audited) for the screen to show in the computer's
  own viewer, through a temporary copy it removes afterwards.
- **Never deleted, never changed**: one attached by mistake is marked entered in error
  with a reason, which is final (database triggers keep both rules).
- **Never leaves**: no partner document, subject access pack, record file, evaluation
  export or FHIR bundle reads this table (the privacy tests search every one of them).

Only clinical staff with access to the client (assigned, or with emergency access) attach,
list, open or mark documents; each of those is in the audit trail, with ids only.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.errors import ValidationError
from clinic_app.models import DocumentClass, ReceivedDocument
from clinic_app.models.base import utcnow
from clinic_app.services import audit
from clinic_app.services.access import require_clinical_access
from clinic_app.services.common import StaffRef, get_or_raise
from clinic_app.services.validation import Checker, date_problem

MAX_BYTES: Final = 20 * 1024 * 1024
"""The largest file that can be attached: 20 MB (a long scanned report fits)."""
MAX_MEGABYTES: Final = MAX_BYTES // (1024 * 1024)
MAX_TITLE: Final = 200
MAX_FROM: Final = 200
MAX_FILE_NAME: Final = 255
EARLIEST: Final = date(1990, 1, 1)

DOCUMENT_CLASS_WORDS: Final[dict[DocumentClass, str]] = {
    DocumentClass.CLINICAL: "Clinical (about the client)",
    DocumentClass.THIRD_PARTY: "Third party (from or about other people)",
}

KINDS_IN_WORDS: Final = (
    "a PDF, a picture (PNG, JPEG or TIFF), a Word document (DOCX or DOC), an RTF file or "
    "a plain text file"
)


@dataclass(frozen=True)
class FileKind:
    """A kind of file that may be attached: its name, media type and file name endings."""

    name: str
    media_type: str
    suffixes: tuple[str, ...]

    @property
    def heading(self) -> str:
        """The kind as a list shows it, with a capital: "Plain text file"."""
        return self.name[:1].upper() + self.name[1:]

    @property
    def suffix(self) -> str:
        """The ending a copy of such a file is given, so the viewer knows what it is."""
        return self.suffixes[0]


PDF = FileKind("PDF", "application/pdf", (".pdf",))
PNG = FileKind("PNG picture", "image/png", (".png",))
JPEG = FileKind("JPEG picture", "image/jpeg", (".jpg", ".jpeg"))
TIFF = FileKind("TIFF picture", "image/tiff", (".tif", ".tiff"))
DOCX = FileKind(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
DOC = FileKind("Word document (older format)", "application/msword", (".doc",))
RTF = FileKind("RTF document", "application/rtf", (".rtf",))
TEXT = FileKind("plain text file", "text/plain", (".txt",))
KINDS: Final = (PDF, PNG, JPEG, TIFF, DOCX, DOC, RTF, TEXT)
KIND_BY_SUFFIX: Final = {suffix: kind for kind in KINDS for suffix in kind.suffixes}
KIND_BY_MEDIA_TYPE: Final = {kind.media_type: kind for kind in KINDS}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Word 97-2003 (and others)
_TEXT_CONTROLS = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}


def sniff(content: bytes) -> FileKind | None:
    """The kind of file ``content`` is, judged by its first bytes (and, for a DOCX, by the
    parts inside it); None for anything else (a program, a spreadsheet, a zip archive)."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if content.startswith(b"{\\rtf"):
        return RTF
    if content.startswith(_OLE2):
        return DOC
    if content.startswith(b"PK\x03\x04"):
        return DOCX if _is_word_package(content) else None
    return TEXT if _is_plain_text(content) else None


def _is_word_package(content: bytes) -> bool:
    # Only the zip's directory is read: nothing is unpacked.
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _is_plain_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")  # text saved by older Windows programs
        except UnicodeDecodeError:
            return False
    return not any(ord(ch) in _TEXT_CONTROLS or ord(ch) == 0x7F for ch in text)


def size_in_words(size: int) -> str:
    """A file's size as people say it: "820 KB", "23.4 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024)):,} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def too_large(name: str, size: int) -> str:
    """The refusal of a file over the limit, which says what the limit is."""
    return (
        f"“{name}” is {size_in_words(size)}; the largest file that can be attached is "
        f"{MAX_MEGABYTES} MB. Ask the sender for a smaller copy, or attach it in parts."
    )


def not_a_kind(name: str) -> str:
    """The refusal of a file whose name says it is of a kind that cannot be attached."""
    return f"“{name}” is not a kind of file that can be attached. Attach {KINDS_IN_WORDS}."


def file_problem(file_name: str, content: bytes) -> str | None:
    """Why this file cannot be attached, in a sentence; None when it can."""
    shown = PurePath(file_name).name or "This file"
    named = KIND_BY_SUFFIX.get(PurePath(file_name).suffix.lower())
    if named is None:
        return not_a_kind(shown)
    if not content:
        return f"“{shown}” is empty: there is nothing in it to attach."
    if len(content) > MAX_BYTES:
        return too_large(shown, len(content))
    found = sniff(content)
    if found is not named:
        return (
            f"“{shown}” is named as a {named.name} but its contents are not one (it may be "
            f"damaged, or another kind of file renamed). Attach {KINDS_IN_WORDS}."
        )
    return None


@dataclass(frozen=True)
class DocumentDetails:
    """What the clinician says about a document they attach."""

    title: str
    received_from: str
    received_on: date
    document_class: DocumentClass | None
    """None until the clinician chooses: there is no default, it is their judgement."""


@dataclass(frozen=True)
class DocumentRow:
    """A received document as listed: everything but the file itself."""

    id: int
    client_id: int
    title: str
    received_from: str
    received_on: date
    document_class: DocumentClass
    file_name: str
    media_type: str
    size_bytes: int
    content_sha256: str
    added_by: int
    added_at: datetime
    entered_in_error_at: datetime | None
    entered_in_error_by: int | None
    entered_in_error_reason: str

    @property
    def class_words(self) -> str:
        return DOCUMENT_CLASS_WORDS[self.document_class]

    @property
    def kind(self) -> FileKind:
        return KIND_BY_MEDIA_TYPE.get(self.media_type, TEXT)

    @property
    def size_words(self) -> str:
        return size_in_words(self.size_bytes)


@dataclass(frozen=True)
class DocumentFile:
    """A document's content, read to be opened, and the file ending its copy needs."""

    id: int
    title: str
    suffix: str
    content: bytes


_LISTED = (
    ReceivedDocument.id,
    ReceivedDocument.client_id,
    ReceivedDocument.title,
    ReceivedDocument.received_from,
    ReceivedDocument.received_on,
    ReceivedDocument.document_class,
    ReceivedDocument.file_name,
    ReceivedDocument.media_type,
    ReceivedDocument.size_bytes,
    ReceivedDocument.content_sha256,
    ReceivedDocument.added_by,
    ReceivedDocument.added_at,
    ReceivedDocument.entered_in_error_at,
    ReceivedDocument.entered_in_error_by,
    ReceivedDocument.entered_in_error_reason,
)


def _row(document: ReceivedDocument) -> DocumentRow:
    return DocumentRow(*(getattr(document, column.key) for column in _LISTED))


def _checked(
    details: DocumentDetails, file_name: str, content: bytes | None, file_trouble: str | None
) -> Checker:
    check = Checker()
    check.text("title", details.title, label="The title", required=True, max_length=MAX_TITLE)
    check.text(
        "received_from",
        details.received_from,
        label="Who it came from",
        required=True,
        max_length=MAX_FROM,
    )
    check.add(
        "received_on",
        date_problem(
            details.received_on,
            label="The date it was received",
            today=date.today(),
            not_before=EARLIEST,
        ),
    )
    if not isinstance(details.document_class, DocumentClass):
        check.add("document_class", "Say whether the document is clinical or a third party's.")
    name = PurePath(file_name).name
    if file_trouble is not None:
        check.add("file", file_trouble)
    elif not name:
        check.add("file", "Choose the file to attach.")
    elif len(name) > MAX_FILE_NAME:
        check.add("file", f"The file's name is too long (at most {MAX_FILE_NAME} characters).")
    else:
        check.text("file", name, label="The file's name", max_length=MAX_FILE_NAME)
        if content is not None:
            check.add("file", file_problem(name, content))
    return check


def add_document(
    session: Session,
    by: StaffRef,
    client_id: int,
    details: DocumentDetails,
    *,
    file_name: str,
    content: bytes,
) -> DocumentRow:
    """Attach a file to the client's record, with what the clinician says about it.

    Every problem (the details, and the file's kind, size or emptiness) is reported
    together; nothing is stored unless all is well.
    """
    require_clinical_access(session, by, client_id)
    check = _checked(details, file_name, content, None)
    check.raise_if_any()
    kind = sniff(content)
    assert kind is not None and details.document_class is not None  # checked above
    document = ReceivedDocument(
        client_id=client_id,
        title=details.title.strip(),
        received_from=details.received_from.strip(),
        received_on=details.received_on,
        document_class=details.document_class,
        file_name=PurePath(file_name).name,
        media_type=kind.media_type,
        size_bytes=len(content),
        content_sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        added_by=by.id,
        added_at=utcnow(),
        entered_in_error_reason="",
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        audit.Action.CREATE,
        actor_id=by.id,
        entity="received_document",
        entity_id=document.id,
        client_id=client_id,
        detail={"document_class": details.document_class.value, "size_bytes": len(content)},
    )
    return _row(document)


def attach_file(
    session: Session, by: StaffRef, client_id: int, details: DocumentDetails, path: Path
) -> DocumentRow:
    """Attach the file at ``path``: its size is checked before it is read, so a file far
    too large is refused at once; then as :func:`add_document`."""
    require_clinical_access(session, by, client_id)
    trouble: str | None = None
    content: bytes | None = None
    if not path.name:
        trouble = "Choose the file to attach."
    elif path.suffix.lower() not in KIND_BY_SUFFIX:
        trouble = not_a_kind(path.name)  # said before anything is read
    else:
        try:
            size = path.stat().st_size
            if not path.is_file():
                trouble = f"“{path.name}” is not a file."
            elif size > MAX_BYTES:
                trouble = too_large(path.name, size)
            else:
                content = path.read_bytes()
        except OSError:
            trouble = (
                f"“{path.name}” could not be read. Check that it is there and not open in "
                "another program."
            )
    if content is None:
        trouble = trouble or "The file could not be read."
        _checked(details, path.name, None, trouble).raise_if_any()
        raise ValidationError(trouble, where="file")  # not reached: the check above raises
    return add_document(session, by, client_id, details, file_name=path.name, content=content)


def documents_for_client(session: Session, by: StaffRef, client_id: int) -> list[DocumentRow]:
    """The client's received documents, newest received first (no file is read)."""
    require_clinical_access(session, by, client_id)
    rows = session.execute(
        select(*_LISTED)
        .where(ReceivedDocument.client_id == client_id)
        .order_by(ReceivedDocument.received_on.desc(), ReceivedDocument.id.desc())
    ).all()
    return [DocumentRow(*row) for row in rows]  # type: ignore[call-arg]  # columns in order


def _document(session: Session, by: StaffRef, document_id: int) -> ReceivedDocument:
    document = get_or_raise(session, ReceivedDocument, document_id, "document")
    require_clinical_access(session, by, document.client_id)
    return document


def open_document(session: Session, by: StaffRef, document_id: int) -> DocumentFile:
    """A document's content, to be shown in the computer's viewer (the opening is audited).

    The content is checked against the SHA-256 taken when it was attached.
    """
    document = _document(session, by, document_id)
    content = document.content
    if hashlib.sha256(content).hexdigest() != document.content_sha256:
        raise ValidationError(
            "This document's stored copy does not match the one attached: it cannot be "
            "opened. Tell your administrator, who can check the database."
        )
    audit.record(
        session,
        audit.Action.VIEW,
        actor_id=by.id,
        entity="received_document",
        entity_id=document.id,
        client_id=document.client_id,
    )
    kind = KIND_BY_MEDIA_TYPE.get(document.media_type, TEXT)
    return DocumentFile(document.id, document.title, kind.suffix, content)


def mark_entered_in_error(
    session: Session, by: StaffRef, document_id: int, *, reason: str
) -> DocumentRow:
    """Mark a document as attached in error (for example, to the wrong client's record).

    It stays in the record, marked, with the reason; the mark cannot be undone.
    """
    document = _document(session, by, document_id)
    if document.entered_in_error_at is not None:
        raise ValidationError("This document is already marked as entered in error.")
    check = Checker()
    check.text("reason", reason, label="The reason", required=True, max_length=2000)
    check.raise_if_any()
    document.entered_in_error_at = utcnow()
    document.entered_in_error_by = by.id
    document.entered_in_error_reason = reason.strip()
    session.flush()
    audit.record(
        session,
        audit.Action.UPDATE,
        actor_id=by.id,
        entity="received_document",
        entity_id=document.id,
        client_id=document.client_id,
        detail={"entered_in_error": True},
    )
    return _row(document)
