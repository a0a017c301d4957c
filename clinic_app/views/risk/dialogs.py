"""The Risk tab's dialogs: recording a risk event and deciding whether to share it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial

from PySide6.QtCore import (
    QDate,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem
from clinic_app.models.enums import Gateway, RiskEventKind, ShareDecisionKind, Urgency
from clinic_app.services.risk import RiskEventRow, ShareDecisionRow
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.common.widgets import problems_label, show_problems
from clinic_app.views.risk.actions import RiskActions
from clinic_app.views.risk.models import (
    PRIVATE_LABEL,
    SHAREABLE_LABEL,
    UNKNOWN_STAFF,
    URGENCY_MNEMONICS,
    decision_words,
    html_text,
    long_date,
    when_text,
)
from clinic_app.wording import (
    GATEWAY_WORDS,
    RISK_EVENT_DESCRIBED,
    RISK_URGENCY_EXPLAINED,
    RISK_URGENCY_WORDS,
)


def name_of_staff(describe: Callable[[int], str], staff_id: int) -> str:
    try:
        return describe(staff_id)
    except ClinicError:
        return UNKNOWN_STAFF


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
        if session_note_id is None:
            self.from_note.hide()  # never shown here: it has no parent yet
        layout.addWidget(self.from_note)
        layout.addWidget(self.errors.label_for("session_note_id", self.from_note))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of event")
        self._kinds = list(RISK_EVENT_DESCRIBED)
        for kind in self._kinds:
            self.kind.addItem(RISK_EVENT_DESCRIBED[kind])
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
            button.setAccessibleName(RISK_URGENCY_WORDS[urgency])
            button.setAccessibleDescription(RISK_URGENCY_EXPLAINED[urgency])
            explained = QLabel(RISK_URGENCY_EXPLAINED[urgency])
            explained.setWordWrap(True)
            explained.setAccessibleName(f"{RISK_URGENCY_WORDS[urgency]}: what it means")
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

        self.general_errors = problems_label()
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
        show_problems(self.general_errors, self.errors.show(problems))

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
        work = partial(
            self._actions.record_risk_event,
            self.client_id,
            kind=kind,
            urgency=urgency,
            occurred_on=self.chosen_date(),
            detail=self.detail.toPlainText(),
            shareable_statement=self.shareable_statement.toPlainText(),
            session_note_id=self.session_note_id,
        )
        save_through_runner(
            self,
            work,
            self._on_saved,
            busy=[self.buttons],
            title="The risk event was not saved",
            problems=self.show_problems,
        )

    def _on_saved(self, event: RiskEventRow) -> None:
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
        staff_name: Callable[[int], str] | None = None,
    ) -> None:
        """``staff_name`` names who made the current decision (the tab passes the names it
        has already read, so opening the dialog reads nothing)."""
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
        if not prompt_now:
            self.prompt.hide()  # never shown here: it has no parent yet
        layout.addWidget(self.prompt)

        about = QGroupBox("The event")
        about.setAccessibleName("The event")
        facts = QFormLayout(about)
        facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        facts.addRow("Kind:", self._fact("Kind", RISK_EVENT_DESCRIBED[event.kind]))
        urgency = RISK_URGENCY_WORDS[event.urgency]
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
            name_of = staff_name or (lambda i: name_of_staff(actions.describe_staff, i))
            previous = self._fact(
                "Current decision",
                f"{decision_words(event.decision)}, by "
                f"{name_of(event.decision.decided_by)} on "
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
            "Why share, or why not: the purpose and what the risk is.",
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

        self.client_told = QCheckBox("The client has been &told about this decision")
        self.client_told.setAccessibleName("The client has been told about this decision")
        form.addRow("", self.errors.with_field("client_informed", self.client_told))
        self.not_told_reason = QLineEdit()
        self.not_told_reason.setAccessibleName("Why the client has not been told")
        self.not_told_reason.setPlaceholderText(
            "e.g. telling him now would raise the risk to the victim"
        )
        self.not_told_label = QLabel("Why &not told")
        self.not_told_label.setBuddy(self.not_told_reason)
        form.addRow(
            self.not_told_label,
            self.errors.with_field("client_not_informed_reason", self.not_told_reason),
        )
        self.client_told.toggled.connect(self._on_told_changed)
        layout.addLayout(form)

        self.general_errors = problems_label()
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
        self._on_told_changed(False)
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
        show_problems(self.general_errors, self.errors.show(problems))

    def _on_told_changed(self, told: bool) -> None:
        self.not_told_reason.setEnabled(not told)
        self.not_told_label.setEnabled(not told)

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
        record = partial(
            self._actions.record_share_decision,
            self.risk_event.id,
            decision=decision,
            reason=self.reason.toPlainText(),
            gateway=self.chosen_gateway() if sharing else None,
            shared_with=self.shared_with.text() if sharing else "",
            client_informed=self.client_told.isChecked(),
            client_not_informed_reason=(
                "" if self.client_told.isChecked() else self.not_told_reason.text()
            ),
        )
        describe = self._actions.describe_staff

        def work() -> tuple[ShareDecisionRow, str]:
            row = record()
            return row, name_of_staff(describe, row.decided_by)

        save_through_runner(
            self,
            work,
            self._on_saved,
            busy=[self.buttons],
            title="The share decision was not saved",
            problems=self.show_problems,
        )

    def _on_saved(self, saved: tuple[ShareDecisionRow, str]) -> None:
        row, who = saved
        self.decision = row
        self._show_recorded(row, who)
        self.saved.emit(row)

    def _show_recorded(self, row: ShareDecisionRow, who: str) -> None:
        self.errors.clear()
        show_problems(self.general_errors, [])
        text = f"{decision_words(row)}. Recorded by {who} on {when_text(row.decided_at)}."
        self.recorded.setText(f"<b>Decision saved.</b> {html_text(text)}")
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
