"""The Victims and others tab's words, its two tables and the selected person in full."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QStyle

from clinic_app.services.third_parties import (
    EXPIRING_WITHIN_DAYS,
    MEASURE_STATE_WORDS,
    MeasureState,
    ProtectiveMeasureRow,
    ThirdPartyRow,
)
from clinic_app.views.common.table import ListTableModel

Index = QModelIndex | QPersistentModelIndex

TAB_TITLE = "Victims and others"
NO_PEOPLE = (
    "No victims or other people recorded yet. Add the victim so that the team knows who the "
    "work protects, what they want and what protects them, and so that their names, places "
    "and numbers are looked for in every document before it leaves the service."
)
NO_MEASURES = (
    "No protective measures recorded for this person. Use Add protective measure to record "
    "a stalking protection order, a restraining order, or bail or licence conditions."
)
CHOOSE_PERSON = "Choose a person in the list first."
CHOOSE_MEASURE = "Choose a protective measure in the list first."
ALREADY_ENDED = "This person's record has already been ended."
ALREADY_REVOKED = "This measure is already recorded as revoked."
ABOUT = (
    "The victim and other people the client's behaviour affects. Everything here is private "
    "to the clinical team: it is never shared, and the wording check looks for these names, "
    "addresses, numbers and vehicles in every document before it leaves."
)


def short_date(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def html_text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def days_word(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def measure_state_text(measure: ProtectiveMeasureRow, today: date) -> str:
    """Where a measure stands, in words that carry the urgency (never colour alone)."""
    state = measure.state(today)
    if state is MeasureState.EXPIRING and measure.ends_on is not None:
        return f"EXPIRING: ends {days_word((measure.ends_on - today).days)}"
    if state is MeasureState.REVOKED and measure.revoked_on is not None:
        return f"Revoked on {short_date(measure.revoked_on)}"
    if state is MeasureState.ENDED and measure.ends_on is not None:
        return f"Ended on {short_date(measure.ends_on)}"
    if state is MeasureState.NOT_YET_IN_FORCE:
        return f"Not yet in force (starts {short_date(measure.starts_on)})"
    return MEASURE_STATE_WORDS[state]


def record_words(row: ThirdPartyRow) -> str:
    return f"Ended on {short_date(row.ended_on)}" if row.ended_on else "Current"


def protection_words(row: ThirdPartyRow, today: date) -> str:
    """How many of the person's measures are in force, and whether any is expiring."""
    states = [m.state(today) for m in row.measures]
    in_force = sum(s in (MeasureState.IN_FORCE, MeasureState.EXPIRING) for s in states)
    expiring = sum(s is MeasureState.EXPIRING for s in states)
    if not row.measures:
        return "None recorded"
    text = "None in force" if not in_force else f"{in_force} in force"
    return f"{text}, {expiring} EXPIRING" if expiring else text


def _warning_icon() -> Any:
    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


# -- the people -----------------------------------------------------------------------------------


class PersonColumn(IntEnum):
    """The columns of the list of people, in order."""

    LABEL = 0
    RELATION = 1
    NAME = 2
    PROTECTION = 3
    RECORD = 4


PERSON_HEADERS: dict[PersonColumn, str] = {
    PersonColumn.LABEL: "Label",
    PersonColumn.RELATION: "Relationship",
    PersonColumn.NAME: "Name",
    PersonColumn.PROTECTION: "Protective measures",
    PersonColumn.RECORD: "Record",
}


class PeopleTableModel(ListTableModel[ThirdPartyRow]):
    """The client's third parties in the order recorded, as of ``today``."""

    def __init__(self) -> None:
        super().__init__(
            PersonColumn,
            PERSON_HEADERS,
            header_tips={
                PersonColumn.LABEL: "How the record refers to this person, instead of by name",
                PersonColumn.PROTECTION: f"Expiring: a measure in force ends within "
                f"{EXPIRING_WITHIN_DAYS} days.",
            },
        )
        self.today = date.today()

    def set_rows(self, rows: Sequence[ThirdPartyRow], today: date) -> None:
        self.today = today
        self.reset_items(rows)

    def display(self, row: ThirdPartyRow, column: PersonColumn) -> str:
        match column:
            case PersonColumn.LABEL:
                return row.label
            case PersonColumn.RELATION:
                return row.relation_words
            case PersonColumn.NAME:
                return row.name
            case PersonColumn.PROTECTION:
                return protection_words(row, self.today)
            case PersonColumn.RECORD:
                return record_words(row)

    def _expiring(self, row: ThirdPartyRow) -> bool:
        return any(m.state(self.today) is MeasureState.EXPIRING for m in row.measures)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        column = PersonColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(row, column)
        flagged = column == PersonColumn.PROTECTION and self._expiring(row)
        if role == Qt.ItemDataRole.FontRole and flagged:
            return _bold()
        if role == Qt.ItemDataRole.DecorationRole and flagged:
            return _warning_icon()
        if role == Qt.ItemDataRole.ForegroundRole and row.ended_on is not None:
            return QApplication.palette().placeholderText()  # "Ended" says it in words too
        return None


# -- the selected person's protective measures ------------------------------------------------


class MeasureColumn(IntEnum):
    """The columns of the selected person's protective measures, in order."""

    KIND = 0
    STATE = 1
    STARTS = 2
    ENDS = 3
    REFERENCE = 4
    FORBIDS = 5  # last: it takes what width is left, and the whole text shows below


MEASURE_HEADERS: dict[MeasureColumn, str] = {
    MeasureColumn.KIND: "Measure",
    MeasureColumn.STATE: "Where it stands",
    MeasureColumn.STARTS: "From",
    MeasureColumn.ENDS: "Until",
    MeasureColumn.REFERENCE: "Reference",
    MeasureColumn.FORBIDS: "What it forbids",
}


class MeasuresTableModel(ListTableModel[ProtectiveMeasureRow]):
    """One person's protective measures, oldest first, as they stand on ``today``."""

    def __init__(self) -> None:
        super().__init__(
            MeasureColumn,
            MEASURE_HEADERS,
            header_tips={
                MeasureColumn.STATE: f"Expiring: in force and ending within "
                f"{EXPIRING_WITHIN_DAYS} days."
            },
        )
        self.today = date.today()

    def set_rows(self, rows: Sequence[ProtectiveMeasureRow], today: date) -> None:
        self.today = today
        self.reset_items(rows)

    def display(self, row: ProtectiveMeasureRow, column: MeasureColumn) -> str:
        match column:
            case MeasureColumn.KIND:
                return row.title
            case MeasureColumn.STATE:
                return measure_state_text(row, self.today)
            case MeasureColumn.STARTS:
                return short_date(row.starts_on)
            case MeasureColumn.ENDS:
                return short_date(row.ends_on) or "No end date"
            case MeasureColumn.FORBIDS:
                return " ".join(row.forbids.split())
            case MeasureColumn.REFERENCE:
                return row.reference

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        column = MeasureColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == MeasureColumn.FORBIDS:
            return row.forbids
        flagged = column == MeasureColumn.STATE and row.state(self.today) is MeasureState.EXPIRING
        if role == Qt.ItemDataRole.FontRole and flagged:
            return _bold()
        if role == Qt.ItemDataRole.DecorationRole and flagged:
            return _warning_icon()
        return None


# -- the selected person in full --------------------------------------------------------------


def describe_person(row: ThirdPartyRow) -> str:
    """Everything recorded about a person (their measures are in their own table), as HTML.

    What was recorded is shown in full; what was not is named on one line at the end, so a
    short record does not read as a column of "none".
    """
    parts = [f"<h3>{html_text(row.label)}: {html_text(row.name)} ({row.relation_words})</h3>"]
    if row.ended_on is not None:
        parts.append(
            f"<p><b>RECORD ENDED on {short_date(row.ended_on)}.</b> Reason: "
            f"{html_text(row.ended_reason)}</p>"
        )
    missing: list[str] = []
    fields: list[tuple[str, Sequence[str] | str]] = [
        ("Other names", row.aliases),
        ("Addresses and places", row.addresses),
        ("Phone numbers", row.phones),
        ("Email addresses", row.emails),
        ("Vehicle registrations", row.vehicles),
        ("Victim advocate's service", row.advocate_service),
        ("Advocate's contact", row.advocate_contact),
        ("Their wishes and safety concerns", row.wishes_and_concerns),
        ("Other details", row.details),
    ]
    for title, value in fields:
        if isinstance(value, str):
            text = html_text(value.strip())
        else:
            text = "<br>".join(html_text(entry) for entry in value)
        if text:
            parts.append(f"<p><b>{title}</b><br>{text}</p>")
        else:
            missing.append(title.lower())
    if missing:
        parts.append(f"<p><i>Not recorded: {', '.join(missing)}.</i></p>")
    return "".join(parts)


def describe_measure(row: ProtectiveMeasureRow, today: date) -> str:
    """One protective measure in full, as HTML: the table shortens what it forbids."""
    until = f" until {short_date(row.ends_on)}" if row.ends_on else ", with no end date"
    reference = f" Reference: {html_text(row.reference)}." if row.reference else ""
    return (
        f"<p><b>{row.title}</b>: {html_text(measure_state_text(row, today))}. From "
        f"{short_date(row.starts_on)}{until}.{reference}</p>"
        f"<p><b>What it forbids</b><br>{html_text(row.forbids)}</p>"
    )
