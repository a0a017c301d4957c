"""The pieces the sharing wizards are built from: the who-and-why details, the wording
review with its edit dialog, and the Caldicott questions.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, Problem, ValidationError
from clinic_app.models.enums import Gateway
from clinic_app.services.sharing.audiences import AudiencePolicy
from clinic_app.services.sharing.disclosures import (
    CaldicottConfirmation,
    PreviousSharing,
    SharingDecision,
)
from clinic_app.services.sharing.drafts import Draft
from clinic_app.services.sharing.lexicon import LexiconHit, TextField
from clinic_app.views.common.form_drafts import restore_input_state
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import problems_label, show_messages, to_date, to_qdate
from clinic_app.views.sharing.words import (
    CALDICOTT_QUESTIONS,
    KEPT,
    NEEDS_CHOICE,
    category_words,
    describe_summary_audience,
    field_words,
    hit_context_html,
    hit_context_text,
)
from clinic_app.wording import GATEWAY_BASIS, NO_GATEWAY_WORDS, gateway_words, long_date

DEFAULT_PERIOD_DAYS = 91  # about three months, a usual reporting interval
FEW_FIELDS = 3  # a document with this few pieces of text shows them on the wording step


def _buddy(text: str, field: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(field)
    label.setWordWrap(True)
    return label


# -- step 1: who and why -----------------------------------------------------------------------


class SharingDetails(QWidget):
    """Audience, period, recipient, purpose, gateway and whether the client was told.

    Which parts appear depends on the document: ``audiences`` (None for no audience
    choice), ``period`` ("required", "optional" or "none") and ``gateway_required``.
    ``describe_audience`` says what the chosen audience receives in this document (by
    default, the sections of a progress summary its policy allows). Problems from the
    services are shown under their fields through ``errors``.

    Signals:
        edited(): something in the form changed.
    """

    edited = Signal()

    def __init__(
        self,
        *,
        audiences: Sequence[AudiencePolicy] | None,
        period: str,
        gateway_required: bool,
        today: date,
        default_audience: str | None = None,
        describe_audience: Callable[[AudiencePolicy], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.errors = FieldErrors()
        self._describe_audience = describe_audience or describe_summary_audience
        self._audiences = list(audiences or [])
        self._pending_choice: dict[str, Any] = {}
        self._period_mode = period
        self.gateway_required = gateway_required
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.audience: QComboBox | None = None
        self.audience_about = QLabel()
        if audiences is not None:
            self.audience = QComboBox()
            self.audience.setAccessibleName("Audience: who the document is for")
            self.audience.setPlaceholderText("Choose the audience")
            self._fill_audiences(default_audience)
            self.audience_about.setWordWrap(True)
            self.audience_about.setAccessibleName("What this audience receives")
            form.addRow(
                _buddy("&Audience", self.audience),
                self.errors.with_field("audience", self.audience),
            )
            # A row of its own: the form gives a wrapped label the height it needs.
            form.addRow("", self.audience_about)
            self.audience.currentIndexChanged.connect(self._on_audience_changed)

        self.limit_period: QCheckBox | None = None
        self.period_from = QDateEdit()
        self.period_to = QDateEdit()
        for edit, name in ((self.period_from, "Period from"), (self.period_to, "Period to")):
            edit.setAccessibleName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setMaximumDate(to_qdate(today))
            edit.dateChanged.connect(self._on_edited)
        self.period_from.setDate(to_qdate(today).addDays(-DEFAULT_PERIOD_DAYS))
        self.period_to.setDate(to_qdate(today))
        if period != "none":
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            if period == "optional":
                self.limit_period = QCheckBox("Only &this period:")
                self.limit_period.setAccessibleName("Limit the summary to a period")
                self.limit_period.toggled.connect(self._on_limit_toggled)
                line.addWidget(self.limit_period)
            line.addWidget(self.errors.with_field("period_from", self.period_from))
            to_label = QLabel("to")  # Tab reaches it from the start date
            line.addWidget(to_label)
            line.addWidget(self.errors.with_field("period_to", self.period_to))
            line.addStretch()
            label = _buddy("Reporting &period", self.period_from)
            form.addRow(label, row)
            self._on_limit_toggled()

        self.recipient_agency = QLineEdit()
        self.recipient_agency.setAccessibleName("Recipient agency")
        self.recipient_agency.setPlaceholderText("e.g. Metropolitan Police, Stalking Unit")
        form.addRow(
            _buddy("Recipient a&gency", self.recipient_agency),
            self.errors.with_field("recipient_agency", self.recipient_agency),
        )
        self.recipient_person = QLineEdit()
        self.recipient_person.setAccessibleName("Recipient: the person, with their role")
        self.recipient_person.setPlaceholderText("e.g. DC Priya Patel, case officer (optional)")
        form.addRow(
            _buddy("Recipient p&erson", self.recipient_person),
            self.errors.with_field("recipient_person", self.recipient_person),
        )
        self.purpose = QPlainTextEdit()
        self.purpose.setAccessibleName("Purpose of sharing")
        self.purpose.setPlaceholderText(
            "Why the recipient needs this, e.g. review at the multi-agency panel on 14 May."
        )
        self.purpose.setTabChangesFocus(True)
        self.purpose.setFixedHeight(64)
        form.addRow(
            _buddy("P&urpose", self.purpose), self.errors.with_field("purpose", self.purpose)
        )

        self.gateway = QComboBox()
        self.gateway.setAccessibleName("Legal gateway")
        self._gateways: list[Gateway | None] = []
        if not gateway_required:
            self.gateway.addItem(NO_GATEWAY_WORDS, None)
            self._gateways.append(None)
        for gateway in Gateway:
            self.gateway.addItem(gateway_words(gateway), gateway)
            self._gateways.append(gateway)
        self.gateway.setPlaceholderText("Choose the legal gateway")
        self.gateway.setCurrentIndex(-1)
        self.gateway_basis = QLabel()
        self.gateway_basis.setWordWrap(True)
        self.gateway_basis.setAccessibleName("The legal basis of the chosen gateway")
        gateway_box = QWidget()
        gateway_column = QVBoxLayout(gateway_box)
        gateway_column.setContentsMargins(0, 0, 0, 0)
        gateway_column.addWidget(self.errors.with_field("gateway", self.gateway))
        gateway_column.addWidget(self.gateway_basis)
        form.addRow(_buddy("Legal gate&way", self.gateway), gateway_box)
        self.gateway.currentIndexChanged.connect(self._on_gateway_changed)

        told_box = QWidget()
        told_column = QVBoxLayout(told_box)
        told_column.setContentsMargins(0, 0, 0, 0)
        told_row = QHBoxLayout()
        self.told_yes = QRadioButton("&Yes, the client was told")
        self.told_yes.setAccessibleName("The client was told")
        self.told_no = QRadioButton("N&o, the client was not told")
        self.told_no.setAccessibleName("The client was not told")
        self.told_group = QButtonGroup(self)
        self.told_group.addButton(self.told_yes)
        self.told_group.addButton(self.told_no)
        told_row.addWidget(self.told_yes)
        told_row.addWidget(self.told_no)
        told_row.addStretch()
        told_column.addLayout(told_row)
        told_column.addWidget(self.errors.label_for("client_informed", self.told_yes))
        self.not_told_reason = QPlainTextEdit()
        self.not_told_reason.setAccessibleName("Why the client was not told")
        self.not_told_reason.setPlaceholderText(
            "e.g. Telling him now would raise the risk to the victim; review in 4 weeks."
        )
        self.not_told_reason.setTabChangesFocus(True)
        self.not_told_reason.setFixedHeight(56)
        self.not_told_label = _buddy("W&hy not:", self.not_told_reason)
        told_column.addWidget(self.not_told_label)
        told_column.addWidget(
            self.errors.with_field("client_not_informed_reason", self.not_told_reason)
        )
        form.addRow(QLabel("Was the client told?"), told_box)
        self.told_yes.toggled.connect(self._on_told_changed)
        self.told_no.toggled.connect(self._on_told_changed)

        self.remembered = QLabel()
        self.remembered.setWordWrap(True)
        self.remembered.setAccessibleName("Where these details came from")
        self.remembered.hide()
        form.addRow(self.remembered)

        for line_edit in (self.recipient_agency, self.recipient_person):
            line_edit.textChanged.connect(self._on_edited)
        for box in (self.purpose, self.not_told_reason):
            box.textChanged.connect(self._on_edited)
        # A field's message goes as soon as the field is filled in or changed.
        fields: list[tuple[str, Any]] = [
            ("recipient_agency", self.recipient_agency.textChanged),
            ("recipient_person", self.recipient_person.textChanged),
            ("purpose", self.purpose.textChanged),
            ("client_not_informed_reason", self.not_told_reason.textChanged),
            ("gateway", self.gateway.currentIndexChanged),
            ("client_informed", self.told_yes.toggled),
            ("client_informed", self.told_no.toggled),
            ("period_from", self.period_from.dateChanged),
            ("period_from", self.period_to.dateChanged),
        ]
        if self.audience is not None:
            fields.append(("audience", self.audience.currentIndexChanged))
        for where, signal in fields:
            signal.connect(partial(self._clear_problem, where))
        self._on_told_changed()
        self._on_gateway_changed()
        self._on_audience_changed()

    def _fill_audiences(self, default_audience: str | None) -> None:
        assert self.audience is not None
        blocked = self.audience.blockSignals(True)
        self.audience.clear()
        for policy in self._audiences:
            self.audience.addItem(policy.title, policy.name)
        chosen = next((i for i, p in enumerate(self._audiences) if p.name == default_audience), -1)
        self.audience.setCurrentIndex(chosen)
        self.audience.blockSignals(blocked)

    def set_audiences(
        self, audiences: Sequence[AudiencePolicy], default_audience: str | None = None
    ) -> None:
        """Offer ``audiences`` (read after the form was built), choosing the default, or
        the choice put back from before the screen locked (:meth:`restore_later`)."""
        if self.audience is None:
            return
        self._audiences = list(audiences)
        self._fill_audiences(default_audience)
        pending, self._pending_choice = self._pending_choice, {}
        if pending:
            restore_input_state(self, pending)
        self._on_audience_changed()

    def restore_later(self, state: dict[str, Any]) -> None:
        """Keep the audience chosen in ``state`` until the audiences have been read."""
        if self.audience is not None and self.audience.count() == 0:
            name = self.audience.accessibleName()
            self._pending_choice = {k: v for k, v in state.items() if k == name}

    # -- values ----------------------------------------------------------------------------

    def chosen_audience(self) -> AudiencePolicy | None:
        if self.audience is None:
            return None
        index = self.audience.currentIndex()
        return self._audiences[index] if 0 <= index < len(self._audiences) else None

    def period(self) -> tuple[date, date] | None:
        if self._period_mode == "none":
            return None
        if self.limit_period is not None and not self.limit_period.isChecked():
            return None
        return to_date(self.period_from.date()), to_date(self.period_to.date())

    def chosen_gateway(self) -> Gateway | None:
        index = self.gateway.currentIndex()
        return self._gateways[index] if 0 <= index < len(self._gateways) else None

    def client_informed(self) -> bool | None:
        if self.told_yes.isChecked():
            return True
        if self.told_no.isChecked():
            return False
        return None

    def decision(self, caldicott: CaldicottConfirmation) -> SharingDecision:
        return SharingDecision(
            recipient_agency=self.recipient_agency.text(),
            purpose=self.purpose.toPlainText(),
            gateway=self.chosen_gateway(),
            client_informed=bool(self.client_informed()),
            caldicott=caldicott,
            recipient_person=self.recipient_person.text(),
            client_not_informed_reason=""
            if self.client_informed()
            else self.not_told_reason.toPlainText(),
        )

    def problems(self) -> list[Problem]:
        """What is missing before the next step, in the words the services use."""
        found: list[Problem] = []
        if self.audience is not None and self.chosen_audience() is None:
            found.append(Problem("audience", "Choose who the document is for."))
        period = self.period()
        if period is not None and period[0] > period[1]:
            found.append(
                Problem("period_from", "The start of the period must not be after its end.")
            )
        if not self.recipient_agency.text().strip():
            found.append(Problem("recipient_agency", "The recipient agency is required."))
        if not self.purpose.toPlainText().strip():
            found.append(Problem("purpose", "The purpose is required."))
        if self.gateway.currentIndex() < 0:
            found.append(
                Problem("gateway", "Choose the legal gateway the document is shared under.")
            )
        informed = self.client_informed()
        if informed is None:
            found.append(Problem("client_informed", "Say whether the client was told."))
        elif not informed and not self.not_told_reason.toPlainText().strip():
            found.append(
                Problem(
                    "client_not_informed_reason",
                    "Say why the client was not told (for example, it would raise the risk).",
                )
            )
        return found

    # -- what was chosen last time ---------------------------------------------------------

    def offer_previous(
        self, previous: PreviousSharing, *, audience_title: str, today: date
    ) -> None:
        """Fill the form with what was chosen last time for this audience, to be confirmed.

        Only fields the author has left empty are filled; the period starts the day after
        the last one ended. A note says where the values came from.
        """
        if previous.recorded_on is None:
            self.remembered.hide()
            return
        if not self.recipient_agency.text().strip():
            self.recipient_agency.setText(previous.recipient_agency)
        if not self.recipient_person.text().strip():
            self.recipient_person.setText(previous.recipient_person)
        if not self.purpose.toPlainText().strip():
            self.purpose.setPlainText(previous.purpose)
        if self.gateway.currentIndex() < 0 and previous.gateway in self._gateways:
            self.gateway.setCurrentIndex(self._gateways.index(previous.gateway))
        if self.client_informed() is None and previous.client_informed is not None:
            (self.told_yes if previous.client_informed else self.told_no).setChecked(True)
            if not previous.client_informed and not self.not_told_reason.toPlainText().strip():
                self.not_told_reason.setPlainText(previous.client_not_informed_reason)
        starts = previous.period_to + timedelta(days=1) if previous.period_to else None
        if self._period_mode != "none" and starts is not None and starts <= today:
            self.period_from.setDate(to_qdate(starts))
            self.period_to.setDate(to_qdate(today))
        self.remembered.setText(
            f"Filled in from the summary sent to {audience_title} on "
            f"{long_date(previous.recorded_on)}. Check each detail before you go on: "
            "anything you change is used instead."
        )
        self.remembered.setAccessibleDescription(self.remembered.text())
        self.remembered.show()

    # -- slots -----------------------------------------------------------------------------

    def _clear_problem(self, where: str, *_args: object) -> None:
        self.errors.clear_field(where)

    def _on_edited(self, *_args: object) -> None:
        self.edited.emit()

    def _on_limit_toggled(self, _checked: bool = False) -> None:
        enabled = self.limit_period is None or self.limit_period.isChecked()
        self.period_from.setEnabled(enabled)
        self.period_to.setEnabled(enabled)
        self.edited.emit()

    def _on_audience_changed(self, _index: int = -1) -> None:
        policy = self.chosen_audience()
        if policy is None:
            self.audience_about.setText("")
            self.audience_about.hide()
        else:
            text = self._describe_audience(policy)
            self.audience_about.setText(text)
            self.audience_about.setAccessibleDescription(text)
            self.audience_about.show()
        self.edited.emit()

    def _on_gateway_changed(self, _index: int = -1) -> None:
        gateway = self.chosen_gateway()
        if gateway is None:
            text = (
                ""
                if self.gateway.currentIndex() < 0
                else "No gateway: the document stays within the health record."
            )
        else:
            text = GATEWAY_BASIS[gateway]
        self.gateway_basis.setText(text)
        self.gateway_basis.setVisible(bool(text))
        self.gateway.setAccessibleDescription(text)
        self.edited.emit()

    def _on_told_changed(self, _checked: bool = False) -> None:
        needed = self.told_no.isChecked()
        self.not_told_reason.setVisible(needed)
        self.not_told_label.setVisible(needed)
        self.edited.emit()


# -- step 2: the wording check -----------------------------------------------------------------


class HitRow(QFrame):
    """One flagged word in its context, with the choice to keep it or edit the text.

    Signals:
        keep_toggled(str, bool): the hit's key, and whether it is now kept.
        edit_requested(str): the path of the field to edit.
    """

    keep_toggled = Signal(str, bool)
    edit_requested = Signal(str)

    def __init__(self, number: int, hit: LexiconHit, kept: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.hit = hit
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"Warning {number}: {hit.explanation}")
        layout = QVBoxLayout(self)
        where = field_words(hit.field_label)
        title = QLabel(
            f"<b>{number}. {html.escape(category_words(hit))}</b> in {html.escape(where)}"
        )
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        title.setAccessibleName(f"Warning {number}: {category_words(hit)} in {where}")
        title.setAccessibleDescription(hit.explanation)
        layout.addWidget(title)
        self.context = QLabel(hit_context_html(hit))
        self.context.setTextFormat(Qt.TextFormat.RichText)
        self.context.setWordWrap(True)
        self.context.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.context.setAccessibleName(f"In context: {hit_context_text(hit)}")
        self.context.setContentsMargins(12, 0, 0, 0)
        layout.addWidget(self.context)

        choice = QHBoxLayout()
        self.keep_button = QPushButton("&Keep it")
        self.keep_button.setCheckable(True)
        self.keep_button.setChecked(kept)
        self.keep_button.setAccessibleName(f"Keep '{hit.term}': it is needed and fine to share")
        self.keep_button.setToolTip("The word is needed and fine to share: keep it as it is.")
        self.edit_button = QPushButton("&Edit the text…")
        self.edit_button.setAccessibleName(f"Edit {hit.field_label}")
        self.edit_button.setToolTip("Change the wording for this document (checked again).")
        self.state = QLabel()
        self.state.setAccessibleName("Choice made")
        choice.addWidget(self.keep_button)
        choice.addWidget(self.edit_button)
        choice.addWidget(self.state)
        choice.addStretch()
        layout.addLayout(choice)
        self.show_state(kept)
        self.keep_button.toggled.connect(self._on_keep_toggled)
        self.edit_button.clicked.connect(self._on_edit)

    def show_state(self, kept: bool) -> None:
        """Show whether the hit is kept, in words and a mark (never colour alone)."""
        button_font = self.keep_button.font()
        button_font.setBold(kept)
        self.keep_button.setFont(button_font)
        self.state.setText(f"\u2714 {KEPT}" if kept else f"\u26a0 {NEEDS_CHOICE}")
        font = self.state.font()
        font.setBold(not kept)
        self.state.setFont(font)
        self.state.setAccessibleDescription(self.state.text())

    def _on_keep_toggled(self, checked: bool) -> None:
        self.show_state(checked)
        self.keep_toggled.emit(self.hit.key, checked)

    def _on_edit(self) -> None:
        self.edit_requested.emit(self.hit.field)


class LexiconReview(QWidget):
    """Every lexicon hit of a draft, each with its own keep-or-edit choice.

    Signals:
        keep_toggled(str, bool): a hit's key, and whether the author now keeps it.
        edit_requested(str): the path of a field the author wants to edit.
    """

    keep_toggled = Signal(str, bool)
    edit_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Words to check before sharing")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Result of the wording check")
        layout.addWidget(self.summary)
        self.checked_text = QLabel()
        self.checked_text.setWordWrap(True)
        self.checked_text.setTextFormat(Qt.TextFormat.RichText)
        self.checked_text.setAccessibleName("The text that was checked")
        self.checked_text.hide()
        layout.addWidget(self.checked_text)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName("Notes for you, not part of the document")
        self.notes.hide()
        layout.addWidget(self.notes)
        self.hits_area = QScrollArea()
        self.hits_area.setWidgetResizable(True)
        self.hits_area.setFrameShape(QFrame.Shape.NoFrame)
        self.hits_area.setAccessibleName("Warnings")
        layout.addWidget(self.hits_area, stretch=1)
        layout.addStretch(0)  # takes the space while there is nothing to ask about
        self.rows: list[HitRow] = []

    def show_draft(self, draft: Draft[Any]) -> None:
        fields = draft.text_fields()
        hits = draft.hits
        checked = f"{len(fields)} piece{'s' if len(fields) != 1 else ''} of shareable text"
        if not hits:
            text = (
                f"The wording check found nothing to ask about in {checked}: no words that "
                "suggest clinical content or name a third party."
            )
        else:
            text = (
                f"The wording check found {len(hits)} word{'s' if len(hits) != 1 else ''} in "
                f"{checked} that may be clinical or may name a third party. For each, keep "
                "it (it is needed and fine to share) or edit the text. Edits change this "
                "document only, not the record."
            )
        self.summary.setText(text)
        self.summary.setAccessibleDescription(text)
        if 0 < len(fields) <= FEW_FIELDS:
            # A short document (an urgent notification): show what was checked in full.
            listed = "".join(
                f"<p><b>{html.escape(f.label)}:</b><br>{html.escape(f.text)}</p>" for f in fields
            )
            self.checked_text.setText(listed)
            self.checked_text.setAccessibleDescription(
                " ".join(f"{f.label}: {f.text}" for f in fields)
            )
            self.checked_text.show()
        else:
            self.checked_text.hide()
        if draft.notes:
            notes = "Notes for you (not part of the document):\n" + "\n".join(
                f"\u2022 {n}" for n in draft.notes
            )
            self.notes.setText(notes)
            self.notes.show()
        else:
            self.notes.hide()
        holder = QWidget()
        column = QVBoxLayout(holder)
        self.rows = []
        for number, hit in enumerate(hits, start=1):
            row = HitRow(number, hit, hit.key in draft.kept)
            row.keep_toggled.connect(self.keep_toggled)
            row.edit_requested.connect(self.edit_requested)
            column.addWidget(row)
            self.rows.append(row)
        column.addStretch()
        old = self.hits_area.takeWidget()
        if old is not None:
            old.deleteLater()
        self.hits_area.setWidget(holder)
        self.hits_area.setVisible(bool(hits))

    def row_for(self, key: str) -> HitRow | None:
        return next((r for r in self.rows if r.hit.key == key), None)


class FieldEditDialog(QDialog):
    """Edit one piece of shareable text for this document; the check runs again on save.

    ``save`` is given the new text and returns the unit of work that checks and uses it
    (run off the GUI thread); ``used`` gets that work's result. If the work raises a
    ValidationError the problem is shown under the text, which stays as typed.

    Signals: none (``accepted`` when the text was used).
    """

    def __init__(
        self,
        field: TextField,
        hits: Sequence[LexiconHit],
        save: Callable[[str], Callable[[], Any]],
        used: Callable[[Any], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.field = field
        self._save = save
        self._used = used
        self.setWindowTitle(f"Edit {field.label}")
        self.setAccessibleName(f"Edit {field.label}")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        about = QLabel(
            f"<b>{html.escape(field.label)}</b><br>Your change is used in this document "
            "only; the record is not changed. The flagged words are selected in the text "
            "and listed here:"
        )
        about.setTextFormat(Qt.TextFormat.RichText)
        about.setWordWrap(True)
        about.setAccessibleName("About this edit")
        layout.addWidget(about)
        listed = QLabel(
            "<br>".join(
                f"\u2022 <b>[{html.escape(h.term)}]</b>: {html.escape(category_words(h))}"
                for h in hits
            )
            or "No flagged words remain in this text."
        )
        listed.setTextFormat(Qt.TextFormat.RichText)
        listed.setWordWrap(True)
        listed.setAccessibleName(
            "Flagged words: " + ", ".join(f"{h.term} ({category_words(h)})" for h in hits)
        )
        layout.addWidget(listed)
        self.text = QPlainTextEdit(field.text)
        self.text.setAccessibleName(f"Text of {field.label}")
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(140)
        text_label = _buddy("&Text", self.text)
        layout.addWidget(text_label)
        layout.addWidget(self.text, stretch=1)
        self.error = problems_label("Problem with the text", plain_text=True)
        layout.addWidget(self.error)
        self._mark(hits)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(
            "&Use this text", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setAccessibleName("Use this text and check it again")
        self.save_button.setDefault(True)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel the edit")
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.text.setFocus()

    def _mark(self, hits: Sequence[LexiconHit]) -> None:
        """Underline and embolden the flagged words; select the first."""
        selections = []
        text = self.text.toPlainText()
        for hit in hits:
            if text[hit.start : hit.end] != hit.term:
                continue
            cursor = self.text.textCursor()
            cursor.setPosition(hit.start)
            cursor.setPosition(hit.end, QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setFontWeight(QFont.Weight.Bold)
            fmt.setFontUnderline(True)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self.text.setExtraSelections(selections)
        if selections:
            self.text.setTextCursor(selections[0].cursor)

    def _on_save(self) -> None:
        work = self._save(self.text.toPlainText())
        self.save_button.setEnabled(False)
        runner().run(work, self._on_used, parent=self, failed=self._on_refused)

    def _on_used(self, result: Any) -> None:
        self.save_button.setEnabled(True)
        self._used(result)
        self.accept()

    def _on_refused(self, error: ClinicError) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            show_messages(self.error, [p.message for p in error.problems])
        else:
            show_messages(self.error, [error.message])


# -- step 4: Caldicott -------------------------------------------------------------------------


class CaldicottBox(QGroupBox):
    """The four Caldicott questions as checkboxes; every one must be ticked to share.

    Signals:
        changed(): a box was ticked or cleared.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Before anything is shared, confirm each of these", parent)
        self.setAccessibleName("Caldicott questions")
        layout = QVBoxLayout(self)
        self.boxes: dict[str, QCheckBox] = {}
        for key, label, hint in CALDICOTT_QUESTIONS:
            box = QCheckBox(label)
            box.setAccessibleName(label.replace("&", ""))
            box.setAccessibleDescription(hint)
            box.setToolTip(hint)
            box.toggled.connect(self._on_toggled)
            explained = QLabel(hint)
            explained.setWordWrap(True)
            explained.setContentsMargins(24, 0, 0, 6)
            explained.setAccessibleName(f"{label.replace('&', '').split(':')[0]}: what it means")
            layout.addWidget(box)
            layout.addWidget(explained)
            self.boxes[key] = box

    def confirmation(self) -> CaldicottConfirmation:
        return CaldicottConfirmation(**{key: box.isChecked() for key, box in self.boxes.items()})

    def clear(self) -> bool:
        """Untick every box; True when any was ticked."""
        ticked = any(box.isChecked() for box in self.boxes.values())
        for box in self.boxes.values():
            box.setChecked(False)
        return ticked

    def _on_toggled(self, _checked: bool) -> None:
        self.changed.emit()
