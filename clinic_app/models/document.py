"""Documents received: files other services sent about a client, kept inside the database.

Police reports, MAPPA or panel minutes and letters from other services are attached to
the client's record as they came (PDF, pictures, Word, RTF or plain text), stored in the
encrypted database itself (or the site's database), never as loose files on a disk.

The clinician says whose information each document is: ``CLINICAL`` (about the client,
for example a letter from their GP) or ``THIRD_PARTY`` (written by or about someone else,
for example a police report holding a victim's statement). That judgement is kept on the
row for whoever later reviews the record (a subject access request, say). The columns
themselves are CLINICAL whatever the row's class: private to the clinical team, never in
a partner document, unreadable by an administrator at a site. No document, nor its title,
sender or file name, leaves the application in any file it writes.

A document is never deleted or changed once attached. One attached by mistake (to the
wrong client, say) is marked entered in error with a reason and stays in the record;
database triggers (migration 0012) keep both rules.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from clinic_app.models.base import CLINICAL, OPERATIONAL, Base, UtcDateTime, str_enum, utcnow


class DocumentClass(enum.StrEnum):
    """Whose information a received document is, as the clinician judges it."""

    CLINICAL = "clinical"  # about the client: clinically private
    THIRD_PARTY = "third_party"  # from or about other people: never given out


class ReceivedDocument(Base):
    """One file received about a client, with who attached it and when."""

    __tablename__ = "received_document"

    id: Mapped[int] = mapped_column(primary_key=True, info=OPERATIONAL)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True, info=OPERATIONAL)
    title: Mapped[str] = mapped_column(String(200), info=CLINICAL)
    received_from: Mapped[str] = mapped_column(String(200), info=CLINICAL)
    received_on: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    document_class: Mapped[DocumentClass] = mapped_column(str_enum(DocumentClass), info=OPERATIONAL)
    # The name the file had when attached: it can name people ("Statement of J Smith.pdf").
    file_name: Mapped[str] = mapped_column(String(255), info=CLINICAL)
    media_type: Mapped[str] = mapped_column(String(100), info=OPERATIONAL)
    size_bytes: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    content_sha256: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    # Loaded only when the document is opened: a list of documents reads none of them.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, info=CLINICAL))
    added_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), info=OPERATIONAL)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, info=OPERATIONAL)
    entered_in_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime, info=OPERATIONAL)
    entered_in_error_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id"), info=OPERATIONAL
    )
    entered_in_error_reason: Mapped[str] = mapped_column(Text, default="", info=CLINICAL)
    version: Mapped[int] = mapped_column(Integer, default=1, info=OPERATIONAL)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
