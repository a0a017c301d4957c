"""The Measures tab's alert strip: administrations whose critical answers await review.

Each administration whose critical items (answered at or above their threshold, or left
blank) no clinician has reviewed yet stands in the strip with its items in full and the two
ways to review it: record a risk event, or record that no further action is needed and why.
The tab (:mod:`.tab`) decides what is awaiting and what the buttons do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_app.services.measures import AdministrationResult
from clinic_app.views.measures.dialogs import warning_icon
from clinic_app.views.measures.models import ALERT_STYLE, alert_text, long_date


@dataclass(frozen=True)
class AwaitingReview:
    """An administration with critical answers that no clinician has reviewed yet."""

    short_title: str
    result: AdministrationResult

    @property
    def id(self) -> int:
        return self.result.administration.id

    @property
    def heading(self) -> str:
        given_on = self.result.administration.administered_on
        return f"{self.short_title} given on {long_date(given_on)}"

    def words(self) -> str:
        """The administration and each of its critical items in full, one a line."""
        items = "\n".join(f"\u2022  {alert_text(a)}" for a in self.result.alerts)
        return f"{self.heading}:\n{items}"


class ReviewBlock(QWidget):
    """One administration awaiting review in the alert: its critical items and the two
    ways to review them.

    Signals:
        record_risk_event(int): the clinician chose to record a risk event for it.
        no_further_action(int): the clinician chose to record that no action is needed.
    """

    record_risk_event = Signal(int)
    no_further_action = Signal(int)

    def __init__(self, awaiting: AwaitingReview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.administration_id = awaiting.id
        self.setAccessibleName(f"Critical items of {awaiting.heading}")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 4, 0, 4)
        self.listing = QLabel(awaiting.words())
        self.listing.setTextFormat(Qt.TextFormat.PlainText)
        self.listing.setWordWrap(True)
        self.listing.setAccessibleName(f"Critical items of {awaiting.heading}")
        self.listing.setAccessibleDescription(awaiting.words().replace("\n", " "))
        row.addWidget(self.listing, stretch=1)
        buttons = QVBoxLayout()
        self.risk_button = QPushButton("Record a risk &event\u2026")
        self.risk_button.setAccessibleName(f"Record a risk event for {awaiting.heading}")
        self.risk_button.setToolTip(
            "Open the risk event form; once the event is saved, these answers are recorded "
            "as reviewed with it (Alt+E)"
        )
        self.risk_button.clicked.connect(self._on_risk_event)
        buttons.addWidget(self.risk_button)
        self.no_action_button = QPushButton("Reviewed: &no further action\u2026")
        self.no_action_button.setAccessibleName(
            f"Reviewed with no further action: {awaiting.heading}"
        )
        self.no_action_button.setToolTip(
            "Record that you have reviewed these answers and why no action is needed (Alt+N)"
        )
        self.no_action_button.clicked.connect(self._on_no_further_action)
        buttons.addWidget(self.no_action_button)
        buttons.addStretch()
        row.addLayout(buttons)

    def _on_risk_event(self) -> None:
        self.record_risk_event.emit(self.administration_id)

    def _on_no_further_action(self) -> None:
        self.no_further_action.emit(self.administration_id)


class CriticalAlertFrame(QFrame):
    """Critical answers that no clinician has reviewed yet: review risk now.

    Lists every administration awaiting review, however old and whether or not it could be
    scored, each with its own review buttons. Says "Critical item" in words, with a warning
    icon, dark red on pale (colour is never the only signal). Past about two
    administrations the list scrolls inside the alert, so the results stay in view.

    Signals:
        record_risk_event(int): record a risk event for this administration's answers.
        no_further_action(int): record a review of them with no further action.
    """

    record_risk_event = Signal(int)
    no_further_action = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("criticalAlert")
        self.setStyleSheet(ALERT_STYLE)
        self.setAccessibleName("Critical item alert")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 10, 8)
        row.addWidget(warning_icon(self, 36), alignment=Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.title.setAccessibleName("Critical items")
        words.addWidget(self.title)
        blocks = QWidget()
        blocks.setObjectName("criticalBlocks")
        self.blocks_column = QVBoxLayout(blocks)
        self.blocks_column.setContentsMargins(0, 0, 0, 0)
        self.blocks_column.setSpacing(2)
        self.list_area = QScrollArea()
        self.list_area.setObjectName("criticalScroll")
        self.list_area.setFrameShape(QFrame.Shape.NoFrame)
        self.list_area.setWidgetResizable(True)
        self.list_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_area.setWidget(blocks)
        words.addWidget(self.list_area)
        row.addLayout(words, stretch=1)
        self.blocks: list[ReviewBlock] = []

    @property
    def lines(self) -> list[str]:
        """What each block says, top to bottom."""
        return [block.listing.text() for block in self.blocks]

    def show_alerts(self, awaiting: Sequence[AwaitingReview]) -> None:
        """Show the administrations awaiting review, oldest first; hide when there are none."""
        for block in self.blocks:
            self.blocks_column.removeWidget(block)
            block.hide()
            block.deleteLater()
        self.blocks = []
        for item in awaiting:
            block = ReviewBlock(item, self)
            block.record_risk_event.connect(self.record_risk_event)
            block.no_further_action.connect(self.no_further_action)
            self.blocks_column.addWidget(block)
            self.blocks.append(block)
        count = sum(len(item.result.alerts) for item in awaiting)
        forms = f" on {len(awaiting)} questionnaires" if len(awaiting) > 1 else ""
        title = (
            f"Critical item{'s' if count != 1 else ''} not reviewed yet{forms}: ask the client "
            f"about {'them' if count != 1 else 'it'} and review their risk, then record a risk "
            "event or that no further action is needed"
        )
        self.title.setText(title)
        listing = " ".join(item.words() for item in awaiting).replace("\n", " ")
        self.setAccessibleDescription(f"{title}. {listing}")
        self.setVisible(bool(awaiting))
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as the list, up to about two administrations' worth (then it scrolls)."""
        width = self.list_area.viewport().width()
        if not self.blocks or width <= 0:
            return
        column = self.blocks_column
        needed = column.heightForWidth(width) if column.hasHeightForWidth() else -1
        if needed < 0:
            needed = column.sizeHint().height()
        cap = self.fontMetrics().lineSpacing() * 9
        self.list_area.setFixedHeight(min(needed, cap))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def buttons(self) -> list[QPushButton]:
        """The review buttons, in the order Tab reaches them."""
        return [b for block in self.blocks for b in (block.risk_button, block.no_action_button)]
