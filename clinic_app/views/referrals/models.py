"""The Referrals tab's words and its table of referrals."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
)

from clinic_app.models.enums import Gateway, ReferralUrgency
from clinic_app.services.referrals import STATUS_ORDER, ReferralRow
from clinic_app.services.service_directory import ServiceRow
from clinic_app.views.common.table import SORT_ROLE, ListTableModel
from clinic_app.wording import (
    GATEWAY_WORDS,
    REFERRAL_STATUS_WORDS,
    REFERRAL_URGENCY_WORDS,
    SERVICE_KIND_WORDS,
)

Index = QModelIndex | QPersistentModelIndex

NO_REFERRALS = "No referrals recorded yet. Use New referral to refer the client to a service."
NO_SERVICES = (
    "There are no specialist services in the directory to refer to yet. An administrator "
    "adds them in the service directory."
)
CLOSED_CANNOT_CHANGE = (
    "This referral is closed, so its status cannot change. To refer again, write a new referral."
)
CHOOSE_REFERRAL = "Choose a referral in the list first."
NOTHING_DUE = "On track"
# Letter sharing bases, most usual first: a referral for care goes under the health and
# social care condition or with the client's consent.
LETTER_GATEWAYS: tuple[Gateway, ...] = (
    Gateway.DPA_SCH1_PARA2,
    Gateway.CONSENT,
    Gateway.DPA_SCH1_PARA18,
    Gateway.DPA_SCH1_PARA10,
    Gateway.CDA_S115,
    Gateway.GDPR_ART10,
    Gateway.PUBLIC_INTEREST,
)


def short_date(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def when_text(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def html_text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def service_title(row: ServiceRow) -> str:
    """A service as a chooser lists it: name, kind and expected response time."""
    days = row.expected_response_days
    return (
        f"{row.name} ({SERVICE_KIND_WORDS[row.kind]}; usually responds within "
        f"{days} day{'' if days == 1 else 's'})"
    )


def sharing_words(row: ReferralRow) -> str:
    if row.fact_shareable and row.share_gateway is not None:
        return f"Yes ({GATEWAY_WORDS[row.share_gateway]})"
    return "No"


# -- the table ------------------------------------------------------------------------------------


class ReferralColumn(IntEnum):
    """The columns of the referrals table, in order."""

    SERVICE = 0
    URGENCY = 1
    STATUS = 2
    FOLLOW_UP = 3
    CREATED = 4
    SENT = 5
    SHARED = 6


REFERRAL_HEADERS: dict[ReferralColumn, str] = {
    ReferralColumn.SERVICE: "Service",
    ReferralColumn.URGENCY: "Urgency",
    ReferralColumn.STATUS: "Status",
    ReferralColumn.FOLLOW_UP: "Follow-up",
    ReferralColumn.CREATED: "Written",
    ReferralColumn.SENT: "Sent",
    ReferralColumn.SHARED: "Fact may be shared",
}
URGENCY_ORDER = {
    ReferralUrgency.ROUTINE: 0,
    ReferralUrgency.URGENT: 1,
    ReferralUrgency.EMERGENCY: 2,
}


class ReferralTableModel(ListTableModel[ReferralRow]):
    """The client's referrals with their status and follow-up flag, as of ``today``."""

    def __init__(self) -> None:
        super().__init__(
            ReferralColumn,
            REFERRAL_HEADERS,
            header_tips={
                ReferralColumn.FOLLOW_UP: "Overdue: the service has not responded in its "
                "usual time. Awaiting action: the next step is yours."
            },
        )
        self.today = date.today()

    def set_rows(self, rows: Sequence[ReferralRow], today: date) -> None:
        self.today = today
        self.reset_items(rows)

    def follow_up_words(self, row: ReferralRow) -> str:
        flag = row.follow_up(self.today).flag
        return flag.upper() if flag == "Overdue" else (flag or NOTHING_DUE)

    def display(self, row: ReferralRow, column: ReferralColumn) -> str:
        match column:
            case ReferralColumn.SERVICE:
                return row.service_name
            case ReferralColumn.URGENCY:
                return REFERRAL_URGENCY_WORDS[row.urgency]
            case ReferralColumn.STATUS:
                return REFERRAL_STATUS_WORDS[row.status]
            case ReferralColumn.FOLLOW_UP:
                return self.follow_up_words(row)
            case ReferralColumn.CREATED:
                return short_date(row.created_on)
            case ReferralColumn.SENT:
                return short_date(row.sent_on) or "Not sent"
            case ReferralColumn.SHARED:
                return sharing_words(row)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        row = self._items[index.row()]
        column = ReferralColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(row, column)
        if role == SORT_ROLE:
            return self.sort_key(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == ReferralColumn.FOLLOW_UP:
            return row.follow_up(self.today).message
        follow = row.follow_up(self.today) if column == ReferralColumn.FOLLOW_UP else None
        if role == Qt.ItemDataRole.FontRole and follow is not None and follow.needs_attention:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and follow is not None and follow.needs_attention:
            return QApplication.style().standardIcon(
                QStyle.StandardPixmap.SP_MessageBoxWarning
                if follow.overdue
                else QStyle.StandardPixmap.SP_MessageBoxInformation
            )
        return None

    def sort_key(self, row: ReferralRow, column: ReferralColumn) -> Any:
        if column == ReferralColumn.CREATED:
            return f"{row.created_on.isoformat()} {row.id:012d}"
        if column == ReferralColumn.SENT:
            return row.sent_on.isoformat() if row.sent_on else ""
        if column == ReferralColumn.STATUS:
            return STATUS_ORDER[row.status]
        if column == ReferralColumn.URGENCY:
            return URGENCY_ORDER[row.urgency]
        if column == ReferralColumn.FOLLOW_UP:
            follow = row.follow_up(self.today)
            return 2 if follow.overdue else 1 if follow.awaiting_action else 0
        return self.display(row, column).casefold()
