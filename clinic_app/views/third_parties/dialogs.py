"""The Victims and others tab's forms: a person, the end of their record, a protective
measure and its revocation.

Each form hands what was typed to one service call and shows the service's problems beside
the fields they are about; what was typed stays when a save is refused. List fields (other
names, addresses, phones, emails, vehicles) take one entry a line.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from functools import partial
from typing import TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import EditConflict, Problem
from clinic_app.models.enums import ProtectiveMeasureKind, ThirdPartyRelation
from clinic_app.services.conflicts import changed, merge, reapply
from clinic_app.services.third_parties import (
    ProtectiveMeasureInput,
    ProtectiveMeasureRow,
    ThirdPartyInput,
    ThirdPartyRow,
)
from clinic_app.views.common.forms import FieldErrors
from clinic_app.views.common.saving import save_through_runner
from clinic_app.views.common.widgets import problems_label, show_problems, to_date, to_qdate
from clinic_app.wording import PROTECTIVE_MEASURE_WORDS, RELATION_WORDS

R = TypeVar("R")

RELATIONS: tuple[ThirdPartyRelation, ...] = tuple(RELATION_WORDS)
KINDS: tuple[ProtectiveMeasureKind, ...] = tuple(PROTECTIVE_MEASURE_WORDS)


# -- small form helpers ---------------------------------------------------------------------------


def _buddy(text: str, field_widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(field_widget)
    label.setWordWrap(True)
    return label


def _line(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _box(name: str, placeholder: str, *, height: int = 60) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # Enter starts a new entry; Tab moves on to the next field
    box.setMinimumHeight(height)
    return box


def _date_edit(name: str, day: date) -> QDateEdit:
    edit = QDateEdit()
    edit.setAccessibleName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setDate(to_qdate(day))
    return edit


def _lines(box: QPlainTextEdit) -> tuple[str, ...]:
    return tuple(line.strip() for line in box.toPlainText().splitlines() if line.strip())


class _Form(QDialog):
    """What every form here shares: problems by field, a problems line, save and cancel."""

    def __init__(self, title: str, save_text: str, save_name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.errors = FieldErrors()
        self.layout_ = QVBoxLayout(self)
        self.general_errors = problems_label()
        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(save_text, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setAccessibleName(save_name)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel without saving")
        # Enter in a one-line field saves; it must never be Cancel that Enter presses.
        self.cancel_button.setAutoDefault(False)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)

    def _field(self, layout: QVBoxLayout, text: str, widget: QWidget, where: str) -> None:
        layout.addWidget(_buddy(text, widget))
        layout.addWidget(widget)
        layout.addWidget(self.errors.label_for(where, widget))

    def _finish(self) -> None:
        self.layout_.addWidget(self.general_errors)
        self.layout_.addWidget(self.buttons)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        show_problems(self.general_errors, self.errors.show(problems))

    def _on_save(self) -> None:
        raise NotImplementedError

    def _attempt(
        self,
        save: Callable[[], R],
        failed: str,
        then: Callable[[R], None],
        *,
        over: Callable[[EditConflict, Mapping[str, str]], Callable[[], R]] | None = None,
        changed_parts: Collection[str] | None = None,
    ) -> None:
        """Run the save off the GUI thread (every value already read from the form), then
        ``then`` with what was stored; or show its problems (the form stays as typed).
        Someone else's change saved meanwhile opens the conflict dialog: ``over`` saves
        the user's text over it, keeping the saved one closes the form."""

        def saved(row: R) -> None:
            self.errors.clear()
            show_problems(self.general_errors, [])
            then(row)

        save_through_runner(
            self,
            save,
            saved,
            busy=[self.buttons],
            title=failed,
            problems=self.show_problems,
            again=over,
            keep_saved=self.reject,
            mine_changed=changed_parts,
        )


# -- a person -------------------------------------------------------------------------------------


class PersonDialog(_Form):
    """Record a victim or another person, or change what is recorded about them.

    ``save`` is the service call with the person's (or, for a new one, the client's) id
    already bound. On success ``saved_person`` holds the stored row and the dialog is
    accepted.

    Signals:
        saved(object): the stored :class:`ThirdPartyRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        save: Callable[[ThirdPartyInput], ThirdPartyRow],
        *,
        existing: ThirdPartyRow | None = None,
        save_over: Callable[[ThirdPartyInput, int], ThirdPartyRow] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``save_over(data, version)``: the edit saved over a newer version (a conflict)."""
        title = "Add a person" if existing is None else f"Edit {existing.label}"
        self._save_over = save_over
        super().__init__(title, "&Save", "Save what is recorded about this person", parent)
        self._save = save
        self.existing = existing
        self.saved_person: ThirdPartyRow | None = None
        self.setMinimumWidth(860)

        intro = QLabel(
            "Record what the team needs to keep this person safe. It is private to the "
            "clinical team and never shared; the names, places and numbers below are looked "
            "for in every document before it leaves. Give one entry a line in the lists."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About this form")
        self.layout_.addWidget(intro)

        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        columns.addLayout(left, stretch=1)
        columns.addSpacing(16)
        columns.addLayout(right, stretch=1)
        self.layout_.addLayout(columns)

        self.relation = QComboBox()
        self.relation.setAccessibleName("Relationship to the client")
        for relation in RELATIONS:
            self.relation.addItem(RELATION_WORDS[relation])
        self._field(left, "&Relationship to the client", self.relation, "relation")
        self.name = _line("Name", "Their name as they use it")
        self._field(left, "&Name", self.name, "name")
        self.aliases = _box(
            "Other names, one a line", "Maiden or previous names, nicknames, online usernames"
        )
        self._field(left, "&Other names (one a line)", self.aliases, "aliases")
        self.addresses = _box(
            "Addresses and places, one a line",
            "Home, work, school, places they go regularly",
        )
        self._field(left, "A&ddresses and places (one a line)", self.addresses, "addresses")
        self.phones = _box("Phone numbers, one a line", "e.g. 07700 900123", height=48)
        self._field(left, "&Phone numbers (one a line)", self.phones, "phones")
        self.emails = _box("Email addresses, one a line", "e.g. name@example.org", height=48)
        self._field(left, "&Email addresses (one a line)", self.emails, "emails")
        self.vehicles = _box("Vehicle registrations, one a line", "e.g. AB12 CDE", height=48)
        self._field(left, "&Vehicle registrations (one a line)", self.vehicles, "vehicles")
        left.addStretch()

        self.advocate_service = _line(
            "Victim advocate's service", "e.g. the local independent stalking advocacy service"
        )
        self._field(right, "Advoc&ate's service", self.advocate_service, "advocate_service")
        self.advocate_contact = _box(
            "Advocate's contact", "Who the advocate is and how to reach them", height=48
        )
        self._field(
            right, "Advocate's contact (&how to reach them)", self.advocate_contact,
            "advocate_contact",
        )  # fmt: skip
        self.wishes = _box(
            "Their wishes and safety concerns",
            "What they want from the service and the client's treatment; what they fear",
            height=110,
        )
        self._field(right, "Their &wishes and safety concerns", self.wishes, "wishes_and_concerns")
        self.details = _box("Other details", "Anything else the team should know", height=90)
        self._field(right, "Other de&tails", self.details, "details")
        right.addStretch()
        self._finish()

        if existing is not None:
            self._fill(existing)
        order: list[QWidget] = [
            self.relation, self.name, self.aliases, self.addresses, self.phones, self.emails,
            self.vehicles, self.advocate_service, self.advocate_contact, self.wishes,
            self.details, self.save_button, self.cancel_button,
        ]  # fmt: skip
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)
        (self.relation if existing is None else self.name).setFocus()

    def _fill(self, row: ThirdPartyRow) -> None:
        self.relation.setCurrentIndex(RELATIONS.index(row.relation))
        self.name.setText(row.name)
        for box, entries in (
            (self.aliases, row.aliases),
            (self.addresses, row.addresses),
            (self.phones, row.phones),
            (self.emails, row.emails),
            (self.vehicles, row.vehicles),
        ):
            box.setPlainText("\n".join(entries))
        self.advocate_service.setText(row.advocate_service)
        self.advocate_contact.setPlainText(row.advocate_contact)
        self.wishes.setPlainText(row.wishes_and_concerns)
        self.details.setPlainText(row.details)

    def entered(self) -> ThirdPartyInput:
        """What the form holds, as the service takes it."""
        return ThirdPartyInput(
            relation=RELATIONS[max(self.relation.currentIndex(), 0)],
            name=self.name.text(),
            aliases=_lines(self.aliases),
            addresses=_lines(self.addresses),
            phones=_lines(self.phones),
            emails=_lines(self.emails),
            vehicles=_lines(self.vehicles),
            advocate_service=self.advocate_service.text(),
            advocate_contact=self.advocate_contact.toPlainText(),
            wishes_and_concerns=self.wishes.toPlainText(),
            details=self.details.toPlainText(),
        )

    def _on_save(self) -> None:
        data, over, opened = self.entered(), self._save_over, self.existing
        if over is None or opened is None:
            self._attempt(partial(self._save, data), "The person was not saved", self._on_saved)
            return
        before = opened.as_input()
        self._attempt(
            partial(self._save, data),
            "The person was not saved",
            self._on_saved,
            over=lambda conflict, edits: partial(
                over, reapply(merge(before, data, conflict.saved_record), edits), conflict.version
            ),
            changed_parts=changed(before, data),
        )

    def _on_saved(self, row: ThirdPartyRow) -> None:
        self.saved_person = row
        self.saved.emit(row)
        self.accept()


class EndPersonDialog(_Form):
    """End a person's record (for example when they are no longer at risk): the date and why.

    Nothing is deleted: what is recorded stays, and is still kept out of documents that leave.

    Signals:
        saved(object): the ended :class:`ThirdPartyRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        person: ThirdPartyRow,
        end: Callable[[date, str], ThirdPartyRow],
        *,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            f"End the record of {person.label}", "&End the record", "End this person's record",
            parent,
        )  # fmt: skip
        self.person = person
        self._end = end
        self.ended: ThirdPartyRow | None = None
        self.setMinimumWidth(520)
        intro = QLabel(
            f"Ending the record of {person.label} ({person.relation_words.lower()}) keeps "
            "everything recorded about them: nothing is deleted, and their names, places and "
            "numbers are still looked for in documents before they leave."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About ending a record")
        self.layout_.addWidget(intro)
        self.ended_on = _date_edit("Date the record ends", today)
        self.ended_on.setMaximumDate(to_qdate(today))  # an ending is recorded, not planned
        self._field(self.layout_, "Ends &on", self.ended_on, "ended_on")
        self.reason = _box(
            "Reason for ending the record", "Why this person's record ends", height=80
        )
        self._field(self.layout_, "&Reason", self.reason, "reason")
        self._finish()
        self.setTabOrder(self.ended_on, self.reason)
        self.setTabOrder(self.reason, self.save_button)
        self.reason.setFocus()

    def _on_save(self) -> None:
        on, reason = to_date(self.ended_on.date()), self.reason.toPlainText()
        self._attempt(partial(self._end, on, reason), "The record was not ended", self._on_saved)

    def _on_saved(self, row: ThirdPartyRow) -> None:
        self.ended = row
        self.saved.emit(row)
        self.accept()


# -- a protective measure -------------------------------------------------------------------------


class MeasureDialog(_Form):
    """Record an order or condition protecting a person, or correct one (a varied order).

    ``save`` is the service call with the person's (or the measure's) id already bound.

    Signals:
        saved(object): the stored :class:`ProtectiveMeasureRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        person: ThirdPartyRow,
        save: Callable[[ProtectiveMeasureInput], ProtectiveMeasureRow],
        *,
        existing: ProtectiveMeasureRow | None = None,
        save_over: Callable[[ProtectiveMeasureInput, int], ProtectiveMeasureRow] | None = None,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        """``save_over(data, version)``: the edit saved over a newer version (a conflict)."""
        self._save_over = save_over
        title = (
            f"Add a protective measure for {person.label}"
            if existing is None
            else f"Edit a protective measure for {person.label}"
        )
        super().__init__(title, "Sa&ve", "Save the protective measure", parent)
        self._save = save
        self.person = person
        self.existing = existing
        self.saved_measure: ProtectiveMeasureRow | None = None
        self.setMinimumWidth(560)
        intro = QLabel(
            f"For {person.label} ({person.relation_words.lower()}). Record the order or "
            "conditions as the court or police worded them."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("Who the measure protects")
        self.layout_.addWidget(intro)

        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of protective measure")
        for kind in KINDS:
            self.kind.addItem(PROTECTIVE_MEASURE_WORDS[kind])
        self._field(self.layout_, "&Kind of measure", self.kind, "kind")
        self.starts_on = _date_edit("Date it starts", today)
        self._field(self.layout_, "&Starts on", self.starts_on, "starts_on")
        self.has_end = QCheckBox("&Has an end date")
        self.has_end.setAccessibleName("The measure has an end date")
        self.layout_.addWidget(self.has_end)
        self.ends_on = _date_edit("Date it ends", today)
        self._field(self.layout_, "E&nds on", self.ends_on, "ends_on")
        self.forbids = _box(
            "What it forbids",
            "The prohibitions or conditions as the order words them",
            height=90,
        )
        self._field(self.layout_, "What it &forbids", self.forbids, "forbids")
        self.reference = _line("Reference", "Court or police reference, if any")
        self._field(self.layout_, "&Reference", self.reference, "reference")
        self._finish()

        if existing is not None:
            self.kind.setCurrentIndex(KINDS.index(existing.kind))
            self.starts_on.setDate(to_qdate(existing.starts_on))
            self.has_end.setChecked(existing.ends_on is not None)
            if existing.ends_on is not None:
                self.ends_on.setDate(to_qdate(existing.ends_on))
            self.forbids.setPlainText(existing.forbids)
            self.reference.setText(existing.reference)
        else:
            self.kind.setCurrentIndex(-1)
            self.kind.setPlaceholderText("Choose the kind of measure")
            self.has_end.setChecked(True)
        self.has_end.toggled.connect(self._on_has_end_toggled)
        self._on_has_end_toggled(self.has_end.isChecked())
        order: list[QWidget] = [
            self.kind, self.starts_on, self.has_end, self.ends_on, self.forbids,
            self.reference, self.save_button, self.cancel_button,
        ]  # fmt: skip
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)
        self.kind.setFocus()

    def _on_has_end_toggled(self, checked: bool) -> None:
        self.ends_on.setEnabled(checked)

    def _on_save(self) -> None:
        index = self.kind.currentIndex()
        if not 0 <= index < len(KINDS):
            self.show_problems([Problem("kind", "Choose the kind of measure.")])
            return
        data = ProtectiveMeasureInput(
            kind=KINDS[index],
            starts_on=to_date(self.starts_on.date()),
            forbids=self.forbids.toPlainText(),
            ends_on=to_date(self.ends_on.date()) if self.has_end.isChecked() else None,
            reference=self.reference.text(),
        )
        over, opened = self._save_over, self.existing
        if over is None or opened is None:
            self._attempt(
                partial(self._save, data), "The protective measure was not saved", self._on_saved
            )
            return
        before = ProtectiveMeasureInput(
            opened.kind, opened.starts_on, opened.forbids, opened.ends_on, opened.reference
        )
        self._attempt(
            partial(self._save, data),
            "The protective measure was not saved",
            self._on_saved,
            over=lambda conflict, edits: partial(
                over, reapply(merge(before, data, conflict.saved_record), edits), conflict.version
            ),
            changed_parts=changed(before, data),
        )

    def _on_saved(self, row: ProtectiveMeasureRow) -> None:
        self.saved_measure = row
        self.saved.emit(row)
        self.accept()


class RevokeMeasureDialog(_Form):
    """Record the day an order or condition was discharged or revoked.

    Signals:
        saved(object): the revoked :class:`ProtectiveMeasureRow`.
    """

    saved = Signal(object)

    def __init__(
        self,
        person: ThirdPartyRow,
        measure: ProtectiveMeasureRow,
        revoke: Callable[[date], ProtectiveMeasureRow],
        *,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Revoke a protective measure", "&Record the revocation",
            "Record that the measure was revoked", parent,
        )  # fmt: skip
        self._revoke = revoke
        self.measure = measure
        self.revoked: ProtectiveMeasureRow | None = None
        self.setMinimumWidth(480)
        until = f" until {measure.ends_on:%d/%m/%Y}" if measure.ends_on else ""
        intro = QLabel(
            f"{measure.title} protecting {person.label}, from {measure.starts_on:%d/%m/%Y}"
            f"{until}. Record the day it was discharged or revoked; the measure stays in the "
            "record."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("The measure being revoked")
        self.layout_.addWidget(intro)
        self.revoked_on = _date_edit("Date it was revoked", today)
        self._field(self.layout_, "Revoked or discharged &on", self.revoked_on, "revoked_on")
        self._finish()
        self.setTabOrder(self.revoked_on, self.save_button)
        self.revoked_on.setFocus()

    def _on_save(self) -> None:
        on = to_date(self.revoked_on.date())
        self._attempt(partial(self._revoke, on), "The revocation was not recorded", self._on_saved)

    def _on_saved(self, row: ProtectiveMeasureRow) -> None:
        self.revoked = row
        self.saved.emit(row)
        self.accept()
