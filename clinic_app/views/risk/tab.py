"""The Risk tab, the risk event and share decision dialogs, and the urgent-risk banner.

A risk event keeps two texts apart: the private detail, which never leaves the record, and
a shareable statement written for partner agencies. Every event needs a share decision
(shared or not, why, under which legal gateway, with whom); urgent events without one put
a banner on the record that cannot be dismissed until the decision is recorded.

Dialogs are run through :func:`exec_dialog` so tests can drive them without a modal loop.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAccessible, QAccessibleEvent, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStyle,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.models.enums import Gateway, RiskEventKind, ShareDecisionKind, Urgency
from clinic_app.services.risk import RiskEventRow, ShareDecisionRow
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.forms import ERROR_STYLE, FieldErrors
from clinic_app.views.common.table import ListTableModel, ProxyRows

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

# -- words -------------------------------------------------------------------------------------

KIND_WORDS: dict[RiskEventKind, str] = {
    RiskEventKind.DISCLOSED_INTENT: "Disclosed intent or threats",
    RiskEventKind.CONTACT_WITH_VICTIM: (
        "Contact or attempted contact with the victim or their associates "
        "(including by proxy or online)"
    ),
    RiskEventKind.ORDER_BREACH: (
        "Breach of an order or condition "
        "(Stalking Protection Order, restraining order, bail or licence)"
    ),
    RiskEventKind.NEW_VICTIM: "A new victim",
    RiskEventKind.ESCALATION: "Escalation (weapons, violence, surveillance)",
    RiskEventKind.MENTAL_STATE_DETERIORATION: "Deterioration in mental state that raises risk",
    RiskEventKind.DISENGAGEMENT: "Disengagement where attendance is required",
}
# Short forms for the table and the banner; the full wording is in tooltips and details.
KIND_SHORT: dict[RiskEventKind, str] = {
    RiskEventKind.DISCLOSED_INTENT: "Disclosed intent or threats",
    RiskEventKind.CONTACT_WITH_VICTIM: "Contact with the victim or their associates",
    RiskEventKind.ORDER_BREACH: "Breach of an order or condition",
    RiskEventKind.NEW_VICTIM: "A new victim",
    RiskEventKind.ESCALATION: "Escalation",
    RiskEventKind.MENTAL_STATE_DETERIORATION: "Deterioration in mental state",
    RiskEventKind.DISENGAGEMENT: "Disengagement where attendance is required",
}
URGENCY_WORDS: dict[Urgency, str] = {
    Urgency.ROUTINE: "Routine",
    Urgency.SOON: "Soon",
    Urgency.URGENT: "Urgent",
}
URGENCY_MNEMONICS: dict[Urgency, str] = {
    Urgency.ROUTINE: "&Routine",
    Urgency.SOON: "S&oon",
    Urgency.URGENT: "&Urgent",
}
URGENCY_EXPLAINED: dict[Urgency, str] = {
    Urgency.ROUTINE: "No immediate change in risk: review it at the next planned review.",
    Urgency.SOON: "Risk has changed: decide about sharing and tell partners within days.",
    Urgency.URGENT: (
        "Someone may be at risk of serious harm now: decide about sharing today "
        "(a shareable statement is required)."
    ),
}
# Sorting by urgency follows the risk, not the alphabet.
URGENCY_ORDER: dict[Urgency, int] = {Urgency.ROUTINE: 0, Urgency.SOON: 1, Urgency.URGENT: 2}
GATEWAY_WORDS: dict[Gateway, str] = {
    Gateway.CONSENT: "Consent",
    Gateway.CDA_S115: "Crime and Disorder Act 1998 s115",
    Gateway.DPA_SCH1_PARA2: "DPA 2018 Sch 1 para 2 (health or social care)",
    Gateway.DPA_SCH1_PARA10: "DPA 2018 Sch 1 para 10 (preventing or detecting unlawful acts)",
    Gateway.DPA_SCH1_PARA18: "DPA 2018 Sch 1 para 18 (safeguarding)",
    Gateway.GDPR_ART10: "UK GDPR Art 10 (criminal offence data)",
    Gateway.PUBLIC_INTEREST: "Common-law public interest (serious harm)",
}
AWAITING_DECISION = "AWAITING DECISION"
NOT_SHARED = "Not shared"
NO_EVENTS = "No risk events recorded."
NO_STATEMENT = "None written"
UNKNOWN_STAFF = "Unknown member of staff"
PRIVATE_LABEL = "&Private: never shared"
SHAREABLE_LABEL = "&May be shared with partner agencies: write only what partners need"

# The banner: white on dark red, 10:1 (WCAG 2.2 AA asks for 4.5:1); the icon and the
# word URGENT say it as well, so colour is never the only signal.
BANNER_TEXT = "#ffffff"
BANNER_BACKGROUND = "#8b0000"
BANNER_FOCUS = "#ffd400"


def decision_words(decision: ShareDecisionRow | None) -> str:
    """What was decided, in the words the Decision column shows."""
    if decision is None:
        return AWAITING_DECISION
    if decision.decision is ShareDecisionKind.NOT_SHARED:
        return NOT_SHARED
    gateway = GATEWAY_WORDS[decision.gateway] if decision.gateway else "no gateway recorded"
    return f"Shared with {decision.shared_with} under {gateway}"


def event_title(event: RiskEventRow) -> str:
    """A risk event named in a line: kind and date, never its detail."""
    return f"{KIND_SHORT[event.kind]} on {event.occurred_on:%d/%m/%Y}"


def when_text(moment: datetime) -> str:
    """A stored (UTC) time in the workstation's local time, as people say it."""
    local = moment.astimezone()
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG contrast ratio between two ``#rrggbb`` colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def exec_dialog(dialog: QDialog) -> int:
    """Run a dialog modally. Tests replace this to drive dialogs without blocking."""
    return dialog.exec()


# -- what the views need -----------------------------------------------------------------------


class RecordRiskEvent(Protocol):
    """``risk.record_risk_event`` bound to the signed-in user."""

    def __call__(
        self,
        client_id: int,
        *,
        kind: RiskEventKind,
        urgency: Urgency,
        occurred_on: date,
        detail: str,
        shareable_statement: str = "",
        session_note_id: int | None = None,
    ) -> RiskEventRow: ...


class RecordShareDecision(Protocol):
    """``risk.record_share_decision`` bound to the signed-in user."""

    def __call__(
        self,
        risk_event_id: int,
        *,
        decision: ShareDecisionKind,
        reason: str,
        gateway: Gateway | None = None,
        shared_with: str = "",
    ) -> ShareDecisionRow: ...


@dataclass(frozen=True)
class RiskActions:
    """The use cases the Risk tab and its dialogs call, bound to the signed-in user."""

    events_for_client: Callable[[int], list[RiskEventRow]]
    urgent_without_decision: Callable[[int], list[RiskEventRow]]
    record_risk_event: RecordRiskEvent
    record_share_decision: RecordShareDecision
    describe_staff: Callable[[int], str]
    # Opens the urgent risk notification for one event (a partner PDF, logged in the
    # disclosure register); True once one was produced. Without it the tab offers none.
    produce_risk_notice: Callable[[QWidget, RiskEventRow], bool] | None = None


def _staff_name(describe: Callable[[int], str], staff_id: int) -> str:
    try:
        return describe(staff_id)
    except ClinicError:
        return UNKNOWN_STAFF


def _error_list(label: QLabel, problems: Sequence[Problem]) -> None:
    """Show problems that belong to no field together, at the foot of a form."""
    label.setText("\n".join(p.message for p in problems))
    label.setVisible(bool(problems))
    label.setAccessibleDescription(label.text())


def _general_error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setAccessibleName("Problems with this form")
    label.hide()
    return label


def _text_box(accessible_name: str, placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(accessible_name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # Tab moves on, so the form works from the keyboard
    box.setMinimumHeight(80)
    return box


# -- the risk event dialog ---------------------------------------------------------------------


class RiskEventDialog(QDialog):
    """Record one risk event: what kind, how urgent, when, in private and shareable words.

    Problems are shown beside the fields they are about and the text typed stays. On a
    successful save ``saved_event`` holds the stored row and the dialog is accepted.

    Signals:
        saved(object): the stored :class:`RiskEventRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        client_id: int,
        actions: RiskActions,
        *,
        session_note_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self.session_note_id = session_note_id
        self._actions = actions
        self.saved_event: RiskEventRow | None = None
        self.errors = FieldErrors()
        self.setWindowTitle("Record a risk event")
        self.setAccessibleName("Record a risk event")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)

        self.from_note = QLabel(
            "Recorded from a session note: the event will be linked to that note."
        )
        self.from_note.setWordWrap(True)
        self.from_note.setAccessibleName("Recorded from a session note")
        self.from_note.setVisible(session_note_id is not None)
        layout.addWidget(self.from_note)
        layout.addWidget(self.errors.label_for("session_note_id", self.from_note))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of event")
        self._kinds = list(KIND_WORDS)
        for kind in self._kinds:
            self.kind.addItem(KIND_WORDS[kind])
        self.kind.setPlaceholderText("Choose the kind of event")
        self.kind.setCurrentIndex(-1)
        form.addRow(
            self._buddy("&Kind of event", self.kind), self.errors.with_field("kind", self.kind)
        )

        self.occurred_on = QDateEdit()
        self.occurred_on.setAccessibleName("Date it happened")
        self.occurred_on.setCalendarPopup(True)
        self.occurred_on.setDisplayFormat("dd/MM/yyyy")
        today = QDate.currentDate()
        self.occurred_on.setMaximumDate(today)  # it cannot have happened in the future
        self.occurred_on.setDate(today)
        form.addRow(
            self._buddy("&Date it happened", self.occurred_on),
            self.errors.with_field("occurred_on", self.occurred_on),
        )
        layout.addLayout(form)

        self.urgency_box = QGroupBox("Urgency")
        self.urgency_box.setAccessibleName("Urgency")
        grid = QGridLayout(self.urgency_box)
        self.urgency_group = QButtonGroup(self)
        self.urgency_buttons: dict[Urgency, QRadioButton] = {}
        for row, urgency in enumerate(Urgency):
            button = QRadioButton(URGENCY_MNEMONICS[urgency])
            button.setAccessibleName(URGENCY_WORDS[urgency])
            button.setAccessibleDescription(URGENCY_EXPLAINED[urgency])
            explained = QLabel(URGENCY_EXPLAINED[urgency])
            explained.setWordWrap(True)
            explained.setAccessibleName(f"{URGENCY_WORDS[urgency]}: what it means")
            self.urgency_group.addButton(button)
            self.urgency_buttons[urgency] = button
            grid.addWidget(button, row, 0)
            grid.addWidget(explained, row, 1)
        grid.setColumnStretch(1, 1)
        layout.addWidget(self.urgency_box)
        layout.addWidget(self.errors.label_for("urgency", self.urgency_box))

        self.detail = _text_box(
            "Private detail, never shared",
            "What happened, in full. This stays in the clinical record.",
        )
        layout.addWidget(self._buddy(PRIVATE_LABEL, self.detail, bold=True))
        layout.addWidget(self.detail, stretch=2)
        layout.addWidget(self.errors.label_for("detail", self.detail))

        self.shareable_statement = _text_box(
            "Shareable statement, may be shared with partner agencies",
            "For example: Reported contact with the victim's workplace on 12 March. "
            "Police informed.",
        )
        layout.addWidget(self._buddy(SHAREABLE_LABEL, self.shareable_statement, bold=True))
        layout.addWidget(self.shareable_statement, stretch=1)
        layout.addWidget(self.errors.label_for("shareable_statement", self.shareable_statement))

        self.general_errors = _general_error_label()
        layout.addWidget(self.general_errors)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setAccessibleName("Save the risk event")
        self.save_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel without saving")
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.setTabOrder(self.kind, self.occurred_on)
        self.setTabOrder(self.occurred_on, self.urgency_buttons[Urgency.ROUTINE])
        self.setTabOrder(self.urgency_buttons[Urgency.ROUTINE], self.detail)
        self.setTabOrder(self.detail, self.shareable_statement)
        self.setTabOrder(self.shareable_statement, self.save_button)
        self.kind.setFocus()

    def _buddy(self, text: str, field: QWidget, *, bold: bool = False) -> QLabel:
        label = QLabel(text)
        label.setBuddy(field)
        label.setWordWrap(True)
        if bold:
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        return label

    def chosen_kind(self) -> RiskEventKind | None:
        index = self.kind.currentIndex()
        return self._kinds[index] if 0 <= index < len(self._kinds) else None

    def chosen_urgency(self) -> Urgency | None:
        for urgency, button in self.urgency_buttons.items():
            if button.isChecked():
                return urgency
        return None

    def chosen_date(self) -> date:
        day = self.occurred_on.date()
        return date(day.year(), day.month(), day.day())

    def show_problems(self, problems: Sequence[Problem]) -> None:
        _error_list(self.general_errors, self.errors.show(problems))

    def _on_save(self) -> None:
        kind = self.chosen_kind()
        urgency = self.chosen_urgency()
        missing: list[Problem] = []
        if kind is None:
            missing.append(Problem("kind", "Choose what kind of event this is."))
        if urgency is None:
            missing.append(Problem("urgency", "Choose how urgent this is."))
        if kind is None or urgency is None:
            self.show_problems(missing)
            return
        try:
            event = self._actions.record_risk_event(
                self.client_id,
                kind=kind,
                urgency=urgency,
                occurred_on=self.chosen_date(),
                detail=self.detail.toPlainText(),
                shareable_statement=self.shareable_statement.toPlainText(),
                session_note_id=self.session_note_id,
            )
        except ValidationError as error:
            self.show_problems(error.problems)
            return
        except ClinicError as error:
            feedback.show_error(self, error, title="The risk event was not saved")
            return
        self.errors.clear()
        self.saved_event = event
        self.saved.emit(event)
        self.accept()


# -- the share decision dialog -----------------------------------------------------------------


class ShareDecisionDialog(QDialog):
    """Record whether a risk event is shared with partners, why, under what law, with whom.

    After saving, the dialog stays open to show who recorded the decision and when; its
    inputs become read-only and Close (or Escape) accepts it. ``decision`` holds the
    stored row. ``prompt_now`` words the dialog for the moment an urgent event is saved.

    Signals:
        saved(object): the stored :class:`ShareDecisionRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        event: RiskEventRow,
        actions: RiskActions,
        parent: QWidget | None = None,
        *,
        prompt_now: bool = False,
    ) -> None:
        super().__init__(parent)
        self.risk_event = event
        self._actions = actions
        self.decision: ShareDecisionRow | None = None
        self.errors = FieldErrors()
        self.setWindowTitle("Share decision for a risk event")
        self.setAccessibleName("Share decision for a risk event")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)

        self.prompt = QLabel(
            "<b>This event is urgent.</b> Decide now whether to share it with partner "
            "agencies. If you decide later, a banner stays on the record until you do."
        )
        self.prompt.setWordWrap(True)
        self.prompt.setAccessibleName("This event is urgent: decide now whether to share it")
        self.prompt.setVisible(prompt_now)
        layout.addWidget(self.prompt)

        about = QGroupBox("The event")
        about.setAccessibleName("The event")
        facts = QFormLayout(about)
        facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        facts.addRow("Kind:", self._fact("Kind", KIND_WORDS[event.kind]))
        urgency = URGENCY_WORDS[event.urgency]
        if event.urgency is Urgency.URGENT:
            urgency = urgency.upper()
        facts.addRow("Urgency:", self._fact("Urgency", urgency))
        facts.addRow("Happened on:", self._fact("Happened on", long_date(event.occurred_on)))
        has_statement = bool(event.shareable_statement.strip())
        self.statement = self._fact(
            "Shareable statement",
            event.shareable_statement
            if has_statement
            else "None written, so this event can only be recorded as not shared.",
        )
        statement_box = QWidget()
        statement_column = QVBoxLayout(statement_box)
        statement_column.setContentsMargins(0, 0, 0, 0)
        statement_column.addWidget(self.statement)
        statement_column.addWidget(self.errors.label_for("shareable_statement", self.statement))
        facts.addRow("Shareable statement:", statement_box)
        if event.decision is not None:
            previous = self._fact(
                "Current decision",
                f"{decision_words(event.decision)}, by "
                f"{_staff_name(actions.describe_staff, event.decision.decided_by)} on "
                f"{when_text(event.decision.decided_at)}. A new decision replaces it; "
                "the earlier one is kept.",
            )
            facts.addRow("Current decision:", previous)
        layout.addWidget(about)

        choice = QGroupBox("Decision")
        choice.setAccessibleName("Decision")
        choice_row = QHBoxLayout(choice)
        self.share = QRadioButton("&Share with partners")
        self.share.setAccessibleName("Share with partners")
        self.do_not_share = QRadioButton("Do &not share")
        self.do_not_share.setAccessibleName("Do not share")
        self.choice_group = QButtonGroup(self)
        self.choice_group.addButton(self.share)
        self.choice_group.addButton(self.do_not_share)
        if not has_statement:
            # Nothing may go to partners but the shareable statement; without one there
            # is nothing to share, and the statement above says so.
            self.share.setEnabled(False)
            self.share.setAccessibleDescription("No shareable statement was written.")
        choice_row.addWidget(self.share)
        choice_row.addWidget(self.do_not_share)
        choice_row.addStretch()
        layout.addWidget(choice)
        layout.addWidget(self.errors.label_for("decision", choice))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.reason = _text_box(
            "Reason for the decision",
            "Why share, or why not: the purpose, and whether the client was told.",
        )
        self.reason.setMaximumHeight(110)
        reason_label = QLabel("&Reason for the decision")
        reason_label.setBuddy(self.reason)
        form.addRow(reason_label, self.errors.with_field("reason", self.reason))

        self.gateway = QComboBox()
        self.gateway.setAccessibleName("Legal gateway")
        self._gateways = list(GATEWAY_WORDS)
        for gateway in self._gateways:
            self.gateway.addItem(GATEWAY_WORDS[gateway])
        self.gateway.setPlaceholderText("Choose the legal gateway (needed when sharing)")
        self.gateway.setCurrentIndex(-1)
        self.gateway_label = QLabel("Legal &gateway")
        self.gateway_label.setBuddy(self.gateway)
        form.addRow(self.gateway_label, self.errors.with_field("gateway", self.gateway))

        self.shared_with = QLineEdit()
        self.shared_with.setAccessibleName("Shared with: agency and person")
        self.shared_with.setPlaceholderText("Agency and person, e.g. Metropolitan Police, DC Patel")
        self.shared_with_label = QLabel("Shared &with (agency and person)")
        self.shared_with_label.setBuddy(self.shared_with)
        form.addRow(self.shared_with_label, self.errors.with_field("shared_with", self.shared_with))
        layout.addLayout(form)

        self.general_errors = _general_error_label()
        layout.addWidget(self.general_errors)

        self.recorded = QLabel()
        self.recorded.setWordWrap(True)
        self.recorded.setTextFormat(Qt.TextFormat.RichText)
        self.recorded.setAccessibleName("Decision recorded")
        self.recorded.hide()
        layout.addWidget(self.recorded)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            "Save &decision", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_button.setAccessibleName("Save the share decision")
        self.save_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(
            "Decide &later" if prompt_now else "Cancel", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.cancel_button.setAccessibleName(
            "Decide later" if prompt_now else "Cancel without saving"
        )
        self.close_button = self.buttons.addButton("&Close", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button.setAccessibleName("Close")
        self.close_button.hide()
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.accepted.connect(self.accept)
        layout.addWidget(self.buttons)

        self.share.toggled.connect(self._on_choice_changed)
        self._on_choice_changed()
        (self.do_not_share if not has_statement else self.share).setFocus()

    def _fact(self, name: str, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        label.setAccessibleName(name)
        label.setAccessibleDescription(text)
        return label

    def chosen_decision(self) -> ShareDecisionKind | None:
        if self.share.isChecked():
            return ShareDecisionKind.SHARED
        if self.do_not_share.isChecked():
            return ShareDecisionKind.NOT_SHARED
        return None

    def chosen_gateway(self) -> Gateway | None:
        index = self.gateway.currentIndex()
        return self._gateways[index] if 0 <= index < len(self._gateways) else None

    def show_problems(self, problems: Sequence[Problem]) -> None:
        _error_list(self.general_errors, self.errors.show(problems))

    def _on_choice_changed(self, _checked: bool = False) -> None:
        sharing = self.share.isChecked() and self.decision is None
        for widget in (self.gateway, self.gateway_label, self.shared_with, self.shared_with_label):
            widget.setEnabled(sharing)

    def _on_save(self) -> None:
        decision = self.chosen_decision()
        if decision is None:
            self.show_problems([Problem("decision", "Choose whether to share this event.")])
            return
        sharing = decision is ShareDecisionKind.SHARED
        try:
            row = self._actions.record_share_decision(
                self.risk_event.id,
                decision=decision,
                reason=self.reason.toPlainText(),
                gateway=self.chosen_gateway() if sharing else None,
                shared_with=self.shared_with.text() if sharing else "",
            )
        except ValidationError as error:
            self.show_problems(error.problems)
            return
        except ClinicError as error:
            feedback.show_error(self, error, title="The share decision was not saved")
            return
        self.decision = row
        self._show_recorded(row)
        self.saved.emit(row)

    def _show_recorded(self, row: ShareDecisionRow) -> None:
        self.errors.clear()
        _error_list(self.general_errors, [])
        who = _staff_name(self._actions.describe_staff, row.decided_by)
        text = f"{decision_words(row)}. Recorded by {who} on {when_text(row.decided_at)}."
        self.recorded.setText(f"<b>Decision saved.</b> {_html(text)}")
        self.recorded.setAccessibleDescription(text)
        self.recorded.show()
        for widget in (self.share, self.do_not_share, self.gateway, self.shared_with):
            widget.setEnabled(False)
        self.reason.setReadOnly(True)
        self.prompt.hide()
        self.save_button.hide()
        self.cancel_button.hide()
        self.close_button.show()
        self.close_button.setDefault(True)
        self.close_button.setFocus()

    def reject(self) -> None:
        # Once saved, Escape closes the dialog as Close does: the decision stands.
        if self.decision is not None:
            self.accept()
        else:
            super().reject()


# -- the urgent-risk banner --------------------------------------------------------------------


class UrgentRiskBanner(QFrame):
    """A band across the record while urgent risk events await a share decision.

    It is shown only when there are such events, names each (kind and date), and offers to
    record the decision for the first. It has no close button and refuses to be hidden
    while events remain undecided. It says URGENT in words and with a warning icon, in
    white on dark red (10:1), so neither colour nor sight alone carries the message.

    Give it a parent or put it in a record's layout: it never pops up as a window.

    Signals: none; ``open_decision`` is called with the event to decide.
    """

    MAX_LISTED = 5

    def __init__(
        self,
        load_urgent: Callable[[], list[RiskEventRow]],
        open_decision: Callable[[RiskEventRow], object],
        parent: QWidget | None = None,
    ) -> None:
        self._needed = False
        super().__init__(parent)
        self._load_urgent = load_urgent
        self._open_decision = open_decision
        self.events: list[RiskEventRow] = []
        self.setObjectName("urgentRiskBanner")
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet(
            f"QFrame#urgentRiskBanner {{ background: {BANNER_BACKGROUND};"
            f" border: 3px solid #000000; }}"
            f" QFrame#urgentRiskBanner QLabel {{ color: {BANNER_TEXT}; background: transparent; }}"
            f" QFrame#urgentRiskBanner QPushButton {{ background: {BANNER_TEXT};"
            f" color: {BANNER_BACKGROUND}; font-weight: bold; padding: 6px 14px;"
            f" border: 3px solid {BANNER_TEXT}; border-radius: 3px; }}"
            f" QFrame#urgentRiskBanner QPushButton:focus {{ border: 3px solid {BANNER_FOCUS}; }}"
        )
        self.setAccessibleName("Urgent risk alert")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        self.icon = QLabel()
        style = self.style() or QApplication.style()
        self.icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40)
        )
        self.icon.setAccessibleName("Warning")
        row.addWidget(self.icon, alignment=Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        self.title.setAccessibleName("Urgent risk events")
        words.addWidget(self.title)
        self.listing = QLabel()
        self.listing.setTextFormat(Qt.TextFormat.PlainText)
        self.listing.setWordWrap(True)
        self.listing.setAccessibleName("Urgent risk events awaiting a decision")
        words.addWidget(self.listing)
        row.addLayout(words, stretch=1)
        self.decide_button = QPushButton("Record &decision…")
        self.decide_button.clicked.connect(self._on_decide)
        row.addWidget(self.decide_button, alignment=Qt.AlignmentFlag.AlignVCenter)
        self.retry_button = QPushButton("Check &again")
        self.retry_button.setAccessibleName("Check again for urgent risk events")
        self.retry_button.clicked.connect(self._on_retry)
        row.addWidget(self.retry_button, alignment=Qt.AlignmentFlag.AlignVCenter)
        self.refresh()

    @property
    def needed(self) -> bool:
        """Whether the banner must be on screen (urgent events undecided, or unknown)."""
        return self._needed

    def refresh(self) -> None:
        """Reload the urgent events; show the banner exactly when some await a decision."""
        failure: str | None = None
        try:
            events = list(self._load_urgent())
        except ClinicError as error:
            events, failure = [], error.message
        self.events = events
        was_needed = self._needed
        if failure is not None:
            # Not knowing is not the same as none: say so rather than fall silent.
            title = "URGENT: could not check for risk events needing a share decision"
            listing = f"{failure}\nOpen the Risk tab to check by hand."
        elif events:
            count = len(events)
            title = (
                f"URGENT: {count} risk event{'s' if count != 1 else ''} "
                f"need{'s' if count == 1 else ''} a share decision"
            )
            lines = [f"•  {event_title(e)}" for e in events[: self.MAX_LISTED]]
            if count > self.MAX_LISTED:
                lines.append(f"…and {count - self.MAX_LISTED} more: see the Risk tab.")
            listing = "\n".join(lines)
        else:
            title = listing = ""
        self.title.setText(title)
        self.listing.setText(listing)
        self.decide_button.setVisible(bool(events))
        self.retry_button.setVisible(failure is not None)
        if events:
            first = event_title(events[0])
            self.decide_button.setAccessibleName("Record the share decision for the first event")
            self.decide_button.setAccessibleDescription(first)
            self.decide_button.setToolTip(f"Record the share decision for {first} (Alt+D)")
        description = f"{title}. {listing}".replace("\n", ". ") if title else ""
        self.setAccessibleDescription(description)
        self.setToolTip(description)
        self._needed = bool(events) or failure is not None
        if not (self._needed and self.isWindow()):
            # Not yet in a record (no parent): stay unhidden, so the record shows it with
            # itself, rather than popping up as a window of its own.
            super().setVisible(self._needed)
        if self._needed and not was_needed:
            # Screen readers announce an alert when it appears, not only when focused.
            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))

    def setVisible(self, visible: bool) -> None:
        # While urgent events are undecided, nothing may hide the banner inside a record.
        if not visible and getattr(self, "_needed", False) and not self.isWindow():
            visible = True
        super().setVisible(visible)

    def _on_decide(self) -> None:
        if self.events:
            self._open_decision(self.events[0])
        self.refresh()

    def _on_retry(self) -> None:
        self.refresh()


# -- the table ---------------------------------------------------------------------------------


class RiskColumn(IntEnum):
    """The columns of the risk events table, in order."""

    DATE = 0
    KIND = 1
    URGENCY = 2
    STATEMENT = 3
    DECISION = 4
    RECORDED_BY = 5


RISK_HEADERS: dict[RiskColumn, str] = {
    RiskColumn.DATE: "Date",
    RiskColumn.KIND: "Kind",
    RiskColumn.URGENCY: "Urgency",
    RiskColumn.STATEMENT: "Shareable statement",
    RiskColumn.DECISION: "Decision",
    RiskColumn.RECORDED_BY: "Recorded by",
}


class RiskEventModel(ListTableModel[RiskEventRow]):
    """A client's risk events, one row each, with the latest share decision in words."""

    def __init__(self) -> None:
        super().__init__(RiskColumn, RISK_HEADERS)
        self._staff: dict[int, str] = {}

    def set_rows(self, rows: Sequence[RiskEventRow], staff: dict[int, str]) -> None:
        self._staff = dict(staff)
        self.reset_items(rows)

    def row_at(self, row: int) -> RiskEventRow:
        return self.item(row)

    def row_of_event(self, event_id: int) -> int | None:
        return self.row_with_id(event_id)

    def staff_name(self, staff_id: int) -> str:
        return self._staff.get(staff_id, UNKNOWN_STAFF)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.in_range(index):
            return None
        event = self._items[index.row()]
        column = RiskColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display(event, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(event, column)
        if role == SORT_ROLE:
            return self.sort_key(event, column)
        if role == Qt.ItemDataRole.FontRole and self._stands_out(event, column):
            font = QFont()
            font.setBold(True)
            return font
        if (
            role == Qt.ItemDataRole.DecorationRole
            and column == RiskColumn.DECISION
            and event.urgency is Urgency.URGENT
            and event.decision is None
        ):
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return None

    def display(self, event: RiskEventRow, column: RiskColumn) -> str:
        match column:
            case RiskColumn.DATE:
                return f"{event.occurred_on:%d/%m/%Y}"
            case RiskColumn.KIND:
                return KIND_SHORT[event.kind]
            case RiskColumn.URGENCY:
                return URGENCY_WORDS[event.urgency]
            case RiskColumn.STATEMENT:
                statement = " ".join(event.shareable_statement.split())
                return statement or NO_STATEMENT
            case RiskColumn.DECISION:
                return decision_words(event.decision)
            case RiskColumn.RECORDED_BY:
                return self.staff_name(event.recorded_by)

    def _tooltip(self, event: RiskEventRow, column: RiskColumn) -> str | None:
        if column == RiskColumn.KIND:
            return KIND_WORDS[event.kind]
        if column == RiskColumn.URGENCY:
            return URGENCY_EXPLAINED[event.urgency]
        if column == RiskColumn.STATEMENT and event.shareable_statement:
            return event.shareable_statement
        if column == RiskColumn.DECISION:
            if event.decision is None:
                return "No decision about sharing this event has been recorded yet."
            return f"{decision_words(event.decision)}. Reason: {event.decision.reason}"
        return None

    def _stands_out(self, event: RiskEventRow, column: RiskColumn) -> bool:
        if column == RiskColumn.URGENCY:
            return event.urgency is Urgency.URGENT
        if column == RiskColumn.DECISION:
            return event.decision is None
        return False

    def sort_key(self, event: RiskEventRow, column: RiskColumn) -> Any:
        if column == RiskColumn.DATE:
            # Same day: the one recorded later counts as newer.
            return (
                f"{event.occurred_on.isoformat()} {event.recorded_at.isoformat()} {event.id:012d}"
            )
        if column == RiskColumn.URGENCY:
            return URGENCY_ORDER[event.urgency]
        return self.display(event, column).casefold()


# -- the tab -----------------------------------------------------------------------------------


class RiskTab(QWidget):
    """The Risk tab of a client's record: events newest first, details, and decisions.

    ``open_new_event`` records an event from anywhere (a session note passes its id);
    after an urgent event is saved the share decision dialog opens at once. The tab
    reloads from its actions in ``refresh``.

    Signals:
        changed(): emitted after the tab recorded an event or a share decision.
    """

    changed = Signal()

    def __init__(self, client_id: int, actions: RiskActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.setAccessibleName("Risk")
        layout = QVBoxLayout(self)

        heading = QLabel(
            "Risk events and the decision to share each. The private detail never leaves "
            "the record; only the shareable statement may go to partner agencies, under a "
            "recorded legal gateway."
        )
        heading.setWordWrap(True)
        heading.setAccessibleName("About this tab")
        layout.addWidget(heading)

        buttons = QHBoxLayout()
        self.record_button = QPushButton("Record risk &event…")
        self.record_button.setAccessibleName("Record a risk event")
        self.record_button.setToolTip("Record a risk event (Ctrl+R)")
        self.record_button.clicked.connect(self._on_record_event)
        buttons.addWidget(self.record_button)
        self.decide_button = QPushButton("Record s&hare decision…")
        self.decide_button.setAccessibleName("Record the share decision for the selected event")
        self.decide_button.setToolTip("Record whether the selected event is shared (Enter)")
        self.decide_button.clicked.connect(self._on_record_decision)
        buttons.addWidget(self.decide_button)
        self.notice_button = QPushButton("Urgent &notification…")
        self.notice_button.setAccessibleName("Produce an urgent risk notification for partners")
        self.notice_button.setToolTip(
            "A one-page notification of the selected event's shareable statement for a "
            "partner agency, recorded in the disclosure register"
        )
        self.notice_button.clicked.connect(self._on_risk_notice)
        self.notice_button.setVisible(False)
        buttons.addWidget(self.notice_button)
        buttons.addStretch()
        layout.addLayout(buttons)
        self.record_shortcut = QShortcut(QKeySequence("Ctrl+R"), self)
        self.record_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.record_shortcut.activated.connect(self._on_record_event)

        self.empty = QLabel(NO_EVENTS)
        self.empty.setAccessibleName(NO_EVENTS)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setContentsMargins(0, 24, 0, 0)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.empty, stretch=1)  # takes the space while the table is hidden

        self.model = RiskEventModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.rows = ProxyRows(self.table, self.proxy, self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(RiskColumn.DATE, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(RiskColumn.STATEMENT, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Risk events, newest first")
        self.table.activated.connect(self._on_row_activated)
        layout.addWidget(self.table, stretch=3)

        self.details = QTextBrowser()
        self.details.setAccessibleName("Details of the selected risk event")
        self.details.setOpenLinks(False)
        layout.addWidget(self.details, stretch=2)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)

        self.setTabOrder(self.record_button, self.decide_button)
        self.setTabOrder(self.decide_button, self.table)
        self.setTabOrder(self.table, self.details)
        self.refresh()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the client's risk events, keeping the selected one selected."""
        keep = self.selected_event()
        try:
            rows = list(self._actions.events_for_client(self.client_id))
        except ClinicError as error:
            rows = []
            self.empty.setText(f"Risk events could not be loaded. {error.message}")
        else:
            self.empty.setText(NO_EVENTS)
        self.empty.setAccessibleName(self.empty.text())
        staff_ids = {e.recorded_by for e in rows} | {
            e.decision.decided_by for e in rows if e.decision is not None
        }
        names = {i: _staff_name(self._actions.describe_staff, i) for i in sorted(staff_ids)}
        self.model.set_rows(rows, names)
        has_rows = bool(rows)
        self.empty.setVisible(not has_rows)
        self.table.setVisible(has_rows)
        self.details.setVisible(has_rows)
        self.decide_button.setVisible(has_rows)
        self.notice_button.setVisible(has_rows and self._actions.produce_risk_notice is not None)
        self._fit_columns()
        if not has_rows or keep is None or not self.select_event(keep.id):
            self._select_proxy_row(0)
        self._show_details()

    def _fit_columns(self) -> None:
        for column in RiskColumn:
            if column != RiskColumn.STATEMENT:
                self.table.resizeColumnToContents(column)
                width = min(self.table.columnWidth(column), 360)
                self.table.setColumnWidth(column, width)

    # -- selection -------------------------------------------------------------------------

    def events(self) -> list[RiskEventRow]:
        """The events as the table shows them, top to bottom."""
        return self.rows.in_view()

    def selected_event(self) -> RiskEventRow | None:
        return self.rows.selected()

    def select_event(self, event_id: int) -> bool:
        return self.rows.select_id(event_id)

    def _select_proxy_row(self, row: int) -> bool:
        return self.rows.select_view_row(row)

    def _show_details(self) -> None:
        event = self.selected_event()
        if event is None:
            self.details.clear()
            return
        self.details.setHtml(self.describe(event))

    def describe(self, event: RiskEventRow) -> str:
        """The selected event in full, as HTML (everything escaped)."""
        urgency = URGENCY_WORDS[event.urgency]
        parts = [
            f"<h3>{_html(KIND_WORDS[event.kind])}</h3>",
            f"<p>Happened on {long_date(event.occurred_on)}. Urgency: <b>{urgency}</b>. "
            f"{_html(URGENCY_EXPLAINED[event.urgency])}</p>",
            "<p><b>Private: never shared</b><br>" + _html(event.detail) + "</p>",
            "<p><b>May be shared with partner agencies</b><br>"
            + (_html(event.shareable_statement) or "<i>No shareable statement was written.</i>")
            + "</p>",
        ]
        decision = event.decision
        if decision is None:
            parts.append(
                f"<p><b>Share decision: {AWAITING_DECISION}</b><br>No decision about sharing "
                "this event has been recorded yet. Use Record share decision.</p>"
            )
        else:
            # decision_words names the gateway of a shared event; a decision not to share
            # may still record the gateway that was considered.
            gateway = (
                f" Gateway considered: {_html(GATEWAY_WORDS[decision.gateway])}."
                if decision.gateway is not None
                and decision.decision is ShareDecisionKind.NOT_SHARED
                else ""
            )
            parts.append(
                f"<p><b>Latest share decision:</b> {_html(decision_words(decision))}."
                f"{gateway}<br>Decided by {_html(self.model.staff_name(decision.decided_by))} "
                f"on {when_text(decision.decided_at)}.<br>Reason: {_html(decision.reason)}</p>"
            )
        source = " from a session note" if event.session_note_id is not None else ""
        parts.append(
            f"<p>Recorded{source} by {_html(self.model.staff_name(event.recorded_by))} on "
            f"{when_text(event.recorded_at)}.</p>"
        )
        return "".join(parts)

    # -- actions ---------------------------------------------------------------------------

    def open_new_event(
        self, session_note_id: int | None = None, *, restore: dict[str, Any] | None = None
    ) -> RiskEventRow | None:
        """Record a risk event (from a session note when its id is given).

        After an urgent event is saved the share decision dialog opens straight away.
        Returns the stored event, or None if the clinician cancelled. ``restore`` puts
        back what the form held when the screen locked.
        """
        dialog = RiskEventDialog(
            self.client_id, self._actions, session_note_id=session_note_id, parent=self
        )
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Risk",
            form="event",
            params={"session_note_id": session_note_id},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        event = dialog.saved_event
        dialog.deleteLater()
        if event is None:
            return None
        self.refresh()
        self.select_event(event.id)
        self.changed.emit()
        if event.urgency is Urgency.URGENT:
            self.open_decision(event, prompt_now=True)
        return event

    def open_decision(
        self,
        event: RiskEventRow,
        *,
        prompt_now: bool = False,
        restore: dict[str, Any] | None = None,
    ) -> ShareDecisionRow | None:
        """Record the share decision for ``event``; returns it, or None if cancelled."""
        dialog = ShareDecisionDialog(event, self._actions, self, prompt_now=prompt_now)
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Risk",
            form="decision",
            params={"event_id": event.id, "prompt_now": prompt_now},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        decision = dialog.decision
        dialog.deleteLater()
        if decision is None:
            return None
        self.refresh()
        self.select_event(event.id)
        self.changed.emit()
        return decision

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be."""
        if form == "event":
            note_id = params.get("session_note_id")
            self.open_new_event(note_id if isinstance(note_id, int) else None, restore=state)
            return True
        if form == "decision":
            event = next((e for e in self.events() if e.id == params.get("event_id")), None)
            if event is None:
                return False
            self.open_decision(event, prompt_now=bool(params.get("prompt_now")), restore=state)
            return True
        return False

    def make_banner(self, parent: QWidget | None = None) -> UrgentRiskBanner:
        """The urgent-risk banner for this client, recording decisions through this tab."""
        return UrgentRiskBanner(
            lambda: self._actions.urgent_without_decision(self.client_id),
            self.open_decision,
            parent,
        )

    # -- slots -----------------------------------------------------------------------------

    def _on_record_event(self) -> None:
        self.open_new_event()

    def _on_record_decision(self) -> None:
        event = self.selected_event()
        if event is None:
            waiting = [e for e in self.events() if e.needs_decision]
            event = waiting[0] if waiting else next(iter(self.events()), None)
        if event is not None:
            self.open_decision(event)

    def _on_risk_notice(self) -> None:
        produce = self._actions.produce_risk_notice
        event = self.selected_event() or next(iter(self.events()), None)
        if produce is None or event is None:
            return
        if produce(self, event):
            self.refresh()
            self.select_event(event.id)
            self.changed.emit()

    def _on_row_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_decision(self.model.row_at(self.proxy.mapToSource(index).row()))

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details()
