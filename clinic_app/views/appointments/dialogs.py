"""The diary's forms: book an appointment (once or repeating), move one, cancel one.

Each reads its fields on the GUI thread, hands the change to the background runner and
closes only once it is saved. A refusal is shown in the form and what was typed stays.
When an attending clinician is already booked at that time the form says so and its
button becomes "Book anyway" (or "Move anyway"): a second press confirms the overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError, ValidationError
from clinic_app.models.enums import CancelledBy, Modality, Repeat
from clinic_app.services.appointments import (
    MAX_DURATION,
    MAX_OCCURRENCES,
    MIN_DURATION,
    AppointmentClash,
    AppointmentRow,
    BookingChoices,
)
from clinic_app.views.common.runner import runner
from clinic_app.views.common.widgets import problems_label, show_messages, to_date, to_qdate
from clinic_app.wording import MODALITY_WORDS, REPEAT_WORDS

PLACE_HINT = "A room, or the client's home for a visit; never a victim's address"


class _SavingForm(QDialog):
    """A form whose main button saves through the runner and closes when it is saved."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._ok_text = ok_text
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.problems = problems_label()
        self.layout_.addWidget(self.problems)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert isinstance(ok, QPushButton)
        self.ok_button = ok
        self.ok_button.setText(ok_text)
        self.ok_button.setAccessibleName(ok_text.replace("&", ""))
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        self.layout_.addWidget(buttons)
        self.result_value: Any = None
        self.overlap_confirmed = False

    def field(self, label: str, widget: QWidget) -> QWidget:
        caption = QLabel(label)
        caption.setBuddy(widget)
        widget.setAccessibleName(label.replace("&", ""))
        self.form.addRow(caption, widget)
        return widget

    def work(self) -> Callable[[], Any]:
        """The change to save, with every value read now."""
        raise NotImplementedError

    def _unconfirm(self, *_args: object) -> None:
        """A changed time needs its own confirmation of any overlap."""
        if self.overlap_confirmed:
            self.overlap_confirmed = False
            self.ok_button.setText(self._ok_text)
            show_messages(self.problems, [])

    def _on_ok(self) -> None:
        if not self.ok_button.isEnabled():
            return
        work = self.work()
        self.ok_button.setEnabled(False)
        runner().run(work, self._saved, failed=self._refused, parent=self)

    def _saved(self, value: Any) -> None:
        self.result_value = value
        self.accept()

    def _refused(self, error: ClinicError) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(error, AppointmentClash):
            self.overlap_confirmed = True
            anyway = self._ok_text.split()[0].replace("&", "")
            self.ok_button.setText(f"{anyway} &anyway")
            messages = [p.message for p in error.problems]
            show_messages(self.problems, [*messages, f"{anyway} anyway, or choose another time?"])
        elif isinstance(error, ValidationError):
            show_messages(self.problems, [p.message for p in error.problems])
        else:
            show_messages(self.problems, [error.message])


def _time_edit(value: time) -> QTimeEdit:
    edit = QTimeEdit(QTime(value.hour, value.minute))
    edit.setDisplayFormat("HH:mm")
    return edit


def _duration(minutes: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(MIN_DURATION, MAX_DURATION)
    spin.setSingleStep(5)
    spin.setSuffix(" minutes")
    spin.setValue(minutes)
    return spin


def _date_edit(day: date) -> QDateEdit:
    edit = QDateEdit(to_qdate(day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("ddd d MMM yyyy")
    return edit


def _py_time(edit: QTimeEdit) -> time:
    value = edit.time()
    return time(value.hour(), value.minute())


class BookingDialog(_SavingForm):
    """Book an appointment with a client: when, how long, how, where, who, how often."""

    def __init__(
        self,
        choices: BookingChoices,
        book: Callable[..., Any],
        *,
        me_id: int,
        day: date,
        start: time = time(10, 0),
        client_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Book an appointment", "&Book", parent)
        self.setMinimumWidth(520)
        self._book = book
        self.client_ids = [c[0] for c in choices.clients]
        self.client = QComboBox()
        self.client.addItems([c[1] for c in choices.clients])
        if client_id in self.client_ids:
            self.client.setCurrentIndex(self.client_ids.index(client_id))
        self.field("C&lient", self.client)
        self.day = _date_edit(day)
        self.field("&Date", self.day)
        self.start = _time_edit(start)
        self.field("&Start time", self.start)
        self.duration = _duration(50)
        self.field("&Length", self.duration)
        self.modalities = list(Modality)
        self.modality = QComboBox()
        self.modality.addItems([MODALITY_WORDS[m] for m in self.modalities])
        self.field("&Modality", self.modality)
        self.place = QLineEdit()
        self.place.setPlaceholderText(PLACE_HINT)
        self.place.setToolTip(PLACE_HINT)
        self.field("&Place", self.place)
        self.video_link = QLineEdit()
        self.video_link.setPlaceholderText("https://… (video appointments only)")
        self.field("&Video link", self.video_link)
        self.clinicians = QListWidget()
        self.clinicians.setMaximumHeight(110)
        for person in choices.clinicians:
            item = QListWidgetItem(person.name)
            item.setData(Qt.ItemDataRole.UserRole, person.staff_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = person.staff_id == me_id
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.clinicians.addItem(item)
        self.field("Clinicians &attending", self.clinicians)
        self.repeats = list(Repeat)
        self.repeat = QComboBox()
        self.repeat.addItems([REPEAT_WORDS[r] for r in self.repeats])
        self.field("&Repeats", self.repeat)
        self.times = QSpinBox()
        self.times.setRange(2, MAX_OCCURRENCES)
        self.times.setValue(6)
        self.times.setSuffix(" appointments")
        self.times.setEnabled(False)
        self.field("&How many", self.times)
        self.repeat.currentIndexChanged.connect(
            lambda i: self.times.setEnabled(self.repeats[i] is not Repeat.NONE)
        )
        self.modality.currentIndexChanged.connect(self._on_modality)
        self._on_modality(0)
        for signal in (
            self.day.dateChanged,
            self.start.timeChanged,
            self.duration.valueChanged,
            self.clinicians.itemChanged,
            self.client.currentIndexChanged,
        ):
            signal.connect(self._unconfirm)
        if not self.client_ids:
            show_messages(self.problems, ["No clients are assigned to you yet."])
            self.ok_button.setEnabled(False)
        self.client.setFocus()

    def _on_modality(self, _index: int) -> None:
        video = self.modalities[self.modality.currentIndex()] is Modality.VIDEO
        self.video_link.setEnabled(video)

    def chosen_clinicians(self) -> list[int]:
        out = []
        for row in range(self.clinicians.count()):
            item = self.clinicians.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def work(self) -> Callable[[], Any]:
        repeat = self.repeats[self.repeat.currentIndex()]
        modality = self.modalities[self.modality.currentIndex()]
        return partial(
            self._book,
            self.client_ids[self.client.currentIndex()],
            day=to_date(self.day.date()),
            start_time=_py_time(self.start),
            duration_minutes=self.duration.value(),
            modality=modality,
            clinician_ids=self.chosen_clinicians(),
            place=self.place.text(),
            video_link=self.video_link.text() if modality is Modality.VIDEO else "",
            repeat=repeat,
            occurrences=self.times.value() if repeat is not Repeat.NONE else 1,
            allow_overlap=self.overlap_confirmed,
        )


class MoveDialog(_SavingForm):
    """Move one appointment (one occurrence of a series moves alone)."""

    def __init__(
        self, row: AppointmentRow, move: Callable[..., Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Move the appointment with {row.local_ref}", "&Move", parent)
        self._row = row
        self._move = move
        self.day = _date_edit(row.day)
        self.field("&Date", self.day)
        self.start = _time_edit(row.start_time)
        self.field("&Start time", self.start)
        self.duration = _duration(row.duration_minutes)
        self.field("&Length", self.duration)
        for signal in (self.day.dateChanged, self.start.timeChanged, self.duration.valueChanged):
            signal.connect(self._unconfirm)
        self.day.setFocus()

    def work(self) -> Callable[[], Any]:
        return partial(
            self._move,
            self._row.id,
            day=to_date(self.day.date()),
            start_time=_py_time(self.start),
            duration_minutes=self.duration.value(),
            allow_overlap=self.overlap_confirmed,
            expected_version=self._row.version,
        )


class CancelDialog(_SavingForm):
    """Cancel one appointment: who cancelled it, and why (required)."""

    def __init__(
        self, row: AppointmentRow, cancel: Callable[..., Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(
            f"Cancel the appointment with {row.local_ref}", "&Cancel appointment", parent
        )
        self._row = row
        self._cancel = cancel
        self.whom = list(CancelledBy)
        self.by_whom = QComboBox()
        self.by_whom.addItems(["The client", "The service"])
        self.field("Cancelled &by", self.by_whom)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setMaximumHeight(90)
        self.field("&Reason", self.reason)
        self.by_whom.setFocus()

    def work(self) -> Callable[[], Any]:
        return partial(
            self._cancel,
            self._row.id,
            cancelled_by=self.whom[self.by_whom.currentIndex()],
            reason=self.reason.toPlainText(),
            expected_version=self._row.version,
        )
