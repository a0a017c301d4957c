"""The Documents tab's words, its list of documents and the selected document in full."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from clinic_app.services.documents import KINDS_IN_WORDS, MAX_MEGABYTES, DocumentRow
from clinic_app.views.common.table import SORT_ROLE, ListTableModel

TAB_TITLE = "Documents"
ABOUT = (
    "Documents other services sent about the client: police reports, MAPPA or panel "
    "minutes, letters. Each is kept inside the record's encrypted database, and none ever "
    "leaves the service: no summary, letter, subject access pack or export includes them. "
    "Opening one shows it in this computer's own viewer, through a temporary copy that is "
    "removed when the screen locks, you sign out or you close the application."
)
NO_DOCUMENTS = (
    "No documents have been attached to this record. Use Attach a document to add a police "
    f"report, panel minutes or a letter: {KINDS_IN_WORDS}, up to {MAX_MEGABYTES} MB."
)
CHOOSE_DOCUMENT = "Choose a document in the list first."
ALREADY_MARKED = "This document is already marked as entered in error."
ENTERED_IN_ERROR = "Entered in error"


def short_date(day: date | datetime) -> str:
    return f"{day:%d/%m/%Y}"


def added_words(moment: datetime) -> str:
    return f"{moment.astimezone():%d/%m/%Y %H:%M}"


class DocumentColumn(IntEnum):
    """The columns of the list of documents, in order."""

    TITLE = 0
    FROM = 1
    RECEIVED = 2
    CLASS = 3
    KIND = 4
    ADDED_BY = 5
    ADDED = 6
    STATUS = 7


HEADERS: dict[DocumentColumn, str] = {
    DocumentColumn.TITLE: "Title",
    DocumentColumn.FROM: "From",
    DocumentColumn.RECEIVED: "Received",
    DocumentColumn.CLASS: "Whose information",
    DocumentColumn.KIND: "Kind",
    DocumentColumn.ADDED_BY: "Added by",
    DocumentColumn.ADDED: "Added",
    DocumentColumn.STATUS: "Status",
}


def class_short(row: DocumentRow) -> str:
    return row.class_words.split(" (")[0]


class DocumentsTableModel(ListTableModel[DocumentRow]):
    """The client's received documents; who added each is named by ``describe_staff``."""

    def __init__(self, describe_staff: Callable[[int], str]) -> None:
        super().__init__(
            DocumentColumn,
            HEADERS,
            header_tips={
                DocumentColumn.CLASS: "Clinical: about the client. Third party: from or about "
                "other people. Neither ever leaves the service.",
            },
        )
        self._describe_staff = describe_staff

    def display(self, row: DocumentRow, column: DocumentColumn) -> str:
        match column:
            case DocumentColumn.TITLE:
                return row.title
            case DocumentColumn.FROM:
                return row.received_from
            case DocumentColumn.RECEIVED:
                return short_date(row.received_on)
            case DocumentColumn.CLASS:
                return class_short(row)
            case DocumentColumn.KIND:
                return f"{row.kind.heading}, {row.size_words}"
            case DocumentColumn.ADDED_BY:
                return self._describe_staff(row.added_by)
            case DocumentColumn.ADDED:
                return added_words(row.added_at)
            case DocumentColumn.STATUS:
                return ENTERED_IN_ERROR if row.entered_in_error_at is not None else "Current"

    def sort_key(self, row: DocumentRow, column: DocumentColumn) -> Any:
        if column == DocumentColumn.RECEIVED:
            return f"{row.received_on.isoformat()} {row.id:012d}"  # Qt compares text, not tuples
        if column == DocumentColumn.ADDED:
            return row.added_at.isoformat()
        if column == DocumentColumn.KIND:
            return row.size_bytes
        return self.display(row, column).casefold()

    def cell(self, item: DocumentRow, column: int, role: int) -> Any:
        named = DocumentColumn(column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(item, named)
        if role == SORT_ROLE:
            return self.sort_key(item, named)
        if role == Qt.ItemDataRole.FontRole and item.entered_in_error_at is not None:
            font = QFont()
            font.setStrikeOut(named == DocumentColumn.TITLE)  # "Entered in error" says it too
            font.setItalic(True)
            return font
        return None


def describe_document(row: DocumentRow, added_by: str, marked_by: str = "") -> str:
    """The selected document in full, as HTML."""

    def line(label: str, value: str) -> str:
        return f"<b>{html.escape(label)}:</b> {html.escape(value)}<br>"

    parts = [f"<h3>{html.escape(row.title)}</h3>"]
    if row.entered_in_error_at is not None:
        parts.append(
            f"<p><b>{ENTERED_IN_ERROR}</b> on {added_words(row.entered_in_error_at)}"
            + (f" by {html.escape(marked_by)}" if marked_by else "")
            + f": {html.escape(row.entered_in_error_reason)}</p>"
        )
    parts += [
        "<p>",
        line("From", row.received_from),
        line("Received on", short_date(row.received_on)),
        line("Whose information", row.class_words),
        line("File", f"{row.file_name} ({row.kind.name}, {row.size_words})"),
        line("Added by", f"{added_by}, {added_words(row.added_at)}"),
        line("SHA-256", row.content_sha256),
        "</p>",
        "<p>It never leaves the service. Open it to read it in this computer's viewer.</p>",
    ]
    return "".join(parts)
