"""The diary: one clinician's day or week of appointments, and what can be done with each.

Everything that reads or writes goes through the background runner: the window never
waits on the database. A newer diary load (another day, another clinician) supersedes an
older one. Appointments with clients the user may not open show as busy time only.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import IntEnum
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.models.enums import AppointmentStatus
from clinic_app.services.appointments import AppointmentRow, BookingChoices, Diary, week_of
from clinic_app.services.notes import NoteRow
from clinic_app.views.appointments.actions import DiaryActions
from clinic_app.views.appointments.dialogs import BookingDialog, CancelDialog, MoveDialog
from clinic_app.views.common.list_tab import empty_state_label, last_action_label, rows_table
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import ListTableModel
from clinic_app.views.common.widgets import exec_dialog
from clinic_app.wording import APPOINTMENT_STATUS_WORDS, CANCELLED_BY_WORDS, MODALITY_WORDS

BUSY = "Busy (a client not on your caseload)"


class DiaryColumn(IntEnum):
    DAY = 0
    TIME = 1
    CLIENT = 2
    REFERENCE = 3
    MODALITY = 4
    PLACE = 5
    WITH = 6
    STATUS = 7
    NOTE = 8
    MEASURES = 9


def status_words(row: AppointmentRow) -> str:
    if row.cancelled_by is not None:
        return CANCELLED_BY_WORDS[row.cancelled_by]
    return APPOINTMENT_STATUS_WORDS[row.status]


def note_words(row: AppointmentRow) -> str:
    if row.note_id is None:
        return ""
    return "Signed" if row.note_signed else "Draft"


class DiaryModel(ListTableModel[AppointmentRow]):
    def __init__(self) -> None:
        super().__init__(
            DiaryColumn,
            {
                DiaryColumn.DAY: "Day",
                DiaryColumn.TIME: "Time",
                DiaryColumn.CLIENT: "Client",
                DiaryColumn.REFERENCE: "Case reference",
                DiaryColumn.MODALITY: "Modality",
                DiaryColumn.PLACE: "Place or link",
                DiaryColumn.WITH: "With",
                DiaryColumn.STATUS: "Status",
                DiaryColumn.NOTE: "Note",
                DiaryColumn.MEASURES: "Measures due",
            },
        )

    def cell(self, item: AppointmentRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == DiaryColumn.STATUS:
            return item.cancel_reason or None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        match DiaryColumn(column):
            case DiaryColumn.DAY:
                return f"{item.day:%a} {item.day.day} {item.day:%b}"
            case DiaryColumn.TIME:
                return f"{item.starts:%H:%M} to {item.ends:%H:%M}"
            case DiaryColumn.CLIENT:
                return BUSY if item.is_busy_only else item.client_name
            case DiaryColumn.REFERENCE:
                return item.local_ref
            case DiaryColumn.MODALITY:
                return "" if item.is_busy_only else MODALITY_WORDS[item.modality]
            case DiaryColumn.PLACE:
                return item.video_link or item.place
            case DiaryColumn.WITH:
                return ", ".join(a.name for a in item.clinicians)
            case DiaryColumn.STATUS:
                return "" if item.is_busy_only else status_words(item)
            case DiaryColumn.NOTE:
                return note_words(item)
            case DiaryColumn.MEASURES:
                return ", ".join(item.measures_due)


def _button(text: str, tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(text.replace("&", "").replace("…", ""))
    if tip:
        button.setToolTip(tip)
    return button


class DiaryView(QWidget):
    """A clinician's diary by day or by week, with booking and attendance."""

    def __init__(
        self, actions: DiaryActions, *, today: date | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Diary")
        self._actions = actions
        self.today = today or date.today()
        self.day = self.today
        self.staff_id = actions.me_id
        self.diary: Diary | None = None
        self.choices: BookingChoices | None = None
        self.loads = 0
        self._focus_wanted = False  # Ctrl+2: the keyboard goes to the appointments once read

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.clinician = QComboBox()
        self.clinician.setAccessibleName("Whose diary")
        self.clinician.setMinimumWidth(180)
        caption = QLabel("&Diary of")
        caption.setBuddy(self.clinician)
        bar.addWidget(caption)
        bar.addWidget(self.clinician)
        self.span = QComboBox()
        self.span.addItems(["Day", "Week"])
        self.span.setAccessibleName("Show a day or a week")
        bar.addWidget(self.span)
        self.previous_button = _button("◀ &Previous", "The day or week before")
        self.today_button = _button("&Today")
        self.next_button = _button("&Next ▶", "The day or week after")
        for button in (self.previous_button, self.today_button, self.next_button):
            bar.addWidget(button)
        self.heading = QLabel()
        self.heading.setAccessibleName("Days shown")
        self.heading.setStyleSheet("font-weight: bold")
        bar.addWidget(self.heading, 1)
        layout.addLayout(bar)

        self.last_action = last_action_label()
        layout.addWidget(self.last_action)
        self.model = DiaryModel()
        self.table = rows_table(QTableView(), name="Appointments")
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DiaryColumn.PLACE, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.empty = empty_state_label("No appointments on these days.")
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.book_button = _button("&Book…", "Book an appointment")
        self.attended_button = _button("&Attended", "The client came")
        self.dna_button = _button("Did n&ot attend", "The client did not come or cancel")
        self.cancel_button = _button("&Cancel…", "Cancel, saying who cancelled and why")
        self.move_button = _button("&Move…", "Move this appointment alone")
        self.note_button = _button(
            "&Write the note", "Start the session note with the day, time, length and modality"
        )
        self.open_button = _button("Open &record")
        self.export_button = _button("&Export to calendar…", "Case references and times only")
        for button in (
            self.book_button,
            self.attended_button,
            self.dna_button,
            self.cancel_button,
            self.move_button,
            self.note_button,
            self.open_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)

        self.previous_button.clicked.connect(lambda: self._step(-1))
        self.next_button.clicked.connect(lambda: self._step(1))
        self.today_button.clicked.connect(self._on_today)
        self.span.currentIndexChanged.connect(lambda _i: self.refresh())
        self.clinician.currentIndexChanged.connect(self._on_clinician)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.table.doubleClicked.connect(lambda _index: self._on_open())
        self.book_button.clicked.connect(self._on_book)
        self.attended_button.clicked.connect(
            lambda: self._mark(self._actions.mark_attended, "marked attended")
        )
        self.dna_button.clicked.connect(
            lambda: self._mark(self._actions.mark_did_not_attend, "marked did not attend")
        )
        self.cancel_button.clicked.connect(self._on_cancel)
        self.move_button.clicked.connect(self._on_move)
        self.note_button.clicked.connect(self._on_note)
        self.open_button.clicked.connect(self._on_open)
        self.export_button.clicked.connect(self._on_export)
        self._show_heading()
        self._enable()
        runner().run(self._actions.booking_choices, self._take_choices, parent=self)
        self.refresh()

    # -- what is shown ------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Shown again (the tab chosen): read the diary afresh, as notes may have changed."""
        super().showEvent(event)
        if self.diary is not None:
            self.refresh()

    @property
    def week(self) -> bool:
        return self.span.currentIndex() == 1

    def days(self) -> tuple[date, date]:
        return week_of(self.day) if self.week else (self.day, self.day)

    def _show_heading(self) -> None:
        start, end = self.days()
        if start == end:
            text = f"{start:%A} {start.day} {start:%B %Y}"
        else:
            text = f"Week of {start:%A} {start.day} {start:%B %Y}"
        self.heading.setText(text)

    def refresh(self) -> None:
        """Load the diary for the days and clinician chosen (a newer load supersedes)."""
        self._show_heading()
        start, end = self.days()
        self.table.setColumnHidden(DiaryColumn.DAY, start == end)
        runner().run(
            partial(self._actions.diary, self.staff_id, start, end),
            self._show,
            key=f"diary:{id(self)}",
            parent=self,
        )

    def _show(self, diary: Diary) -> None:
        self.loads += 1
        selected = self.current()
        self.diary = diary
        self.model.reset_items(diary.rows)
        self.empty.setVisible(not diary.rows)
        self.empty.setText(
            f"{diary.staff_name} has no appointments "
            + ("on this day." if diary.start == diary.end else "this week.")
            + " Book one with Book… (Alt+B)."
        )
        self.table.setVisible(bool(diary.rows))
        if selected is not None:
            row = self.model.row_with_id(selected.id)
            if row is not None:
                self.table.selectRow(row)
        self._enable()
        if self._focus_wanted:
            self._focus_wanted = False
            self._take_focus()

    def focus_appointments(self) -> None:
        """Put the keyboard in the appointments (Ctrl+2), now and again once they are read.

        When none is chosen, the first of the clinician's own that has no note yet is
        chosen, so that Alt+W writes its note straight away.
        """
        self._focus_wanted = True
        self._take_focus()

    def _take_focus(self) -> None:
        if not self.table.isVisible():
            return
        if self.current() is None:
            rows = self.model.items()
            to_write = [
                i
                for i, row in enumerate(rows)
                if not row.is_busy_only
                and row.note_id is None
                and row.status is not AppointmentStatus.CANCELLED
            ]
            if rows:
                self.table.selectRow(to_write[0] if to_write else 0)
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _take_choices(self, choices: BookingChoices) -> None:
        self.choices = choices
        blocked = self.clinician.blockSignals(True)
        self.clinician.clear()
        for person in choices.clinicians:
            self.clinician.addItem(person.name, person.staff_id)
        index = self.clinician.findData(self.staff_id)
        self.clinician.setCurrentIndex(max(index, 0))
        self.clinician.blockSignals(blocked)

    def current(self) -> AppointmentRow | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return None
        row = indexes[0].row()
        return self.model.item(row) if 0 <= row < self.model.rowCount() else None

    def _enable(self) -> None:
        row = self.current()
        mine = row is not None and not row.is_busy_only
        booked = mine and row is not None and row.status is AppointmentStatus.BOOKED
        due = booked and row is not None and row.day <= self.today
        self.attended_button.setEnabled(due)
        self.dna_button.setEnabled(due)
        self.cancel_button.setEnabled(booked)
        self.move_button.setEnabled(booked)
        self.note_button.setEnabled(
            mine
            and row is not None
            and row.note_id is None
            and row.status is not AppointmentStatus.CANCELLED
            and row.day <= self.today
        )
        self.open_button.setEnabled(mine)

    def _said(self, text: str) -> None:
        self.last_action.setText(text)
        self.last_action.show()

    # -- slots ---------------------------------------------------------------------------------

    def _step(self, direction: int) -> None:
        self.day += timedelta(days=7 if self.week else 1) * direction
        self.refresh()

    def _on_today(self) -> None:
        self.day = self.today
        self.refresh()

    def _on_clinician(self, index: int) -> None:
        value = self.clinician.itemData(index)
        if isinstance(value, int):
            self.staff_id = value
            self.refresh()

    def _on_book(self) -> None:
        if self.choices is None:
            return
        selected = self.current()
        now = datetime.now()
        day = max(self.day, self.today)
        # Today: the next hour to come; another day: ten in the morning.
        start = time(min(now.hour + 1, 23), 0) if day == now.date() else time(10, 0)
        dialog = BookingDialog(
            self.choices,
            self._actions.book,
            me_id=self._actions.me_id,
            day=day,
            start=start,
            client_id=None if selected is None else selected.client_id,
            parent=self,
        )
        try:
            if exec_dialog(dialog) and dialog.result_value:
                rows = dialog.result_value
                first = rows[0]
                many = f"{len(rows)} appointments from " if len(rows) > 1 else ""
                self._said(
                    f"Booked {many}{first.day:%A} {first.day.day} {first.day:%B} at "
                    f"{first.start_time:%H:%M} with {first.local_ref}."
                )
                self.refresh()
        finally:
            dialog.deleteLater()

    def _mark(self, change: Any, done: str) -> None:
        row = self.current()
        if row is None:
            return
        runner().run(
            partial(change, row.id),
            lambda saved: self._changed(saved, done),
            parent=self,
        )

    def _changed(self, row: AppointmentRow, done: str) -> None:
        self._said(f"The appointment with {row.local_ref} at {row.start_time:%H:%M} is {done}.")
        self.refresh()

    def _on_cancel(self) -> None:
        row = self.current()
        if row is None:
            return
        dialog = CancelDialog(row, self._actions.cancel, parent=self)
        try:
            if exec_dialog(dialog) and dialog.result_value is not None:
                self._changed(dialog.result_value, "cancelled")
        finally:
            dialog.deleteLater()

    def _on_move(self) -> None:
        row = self.current()
        if row is None:
            return
        dialog = MoveDialog(row, self._actions.move, parent=self)
        try:
            if exec_dialog(dialog) and dialog.result_value is not None:
                moved: AppointmentRow = dialog.result_value
                self._said(
                    f"The appointment with {moved.local_ref} is moved to {moved.day:%A} "
                    f"{moved.day.day} {moved.day:%B} at {moved.start_time:%H:%M}."
                )
                self.refresh()
        finally:
            dialog.deleteLater()

    def _on_note(self) -> None:
        row = self.current()
        if row is None or row.client_id is None:
            return
        client_id = row.client_id
        runner().run(
            partial(self._actions.start_note, row.id),
            lambda note: self._note_started(client_id, note),
            parent=self,
        )

    def _note_started(self, client_id: int, note: NoteRow) -> None:
        self.refresh()
        self._actions.open_client(client_id, "Sessions", note.id)

    def _on_open(self) -> None:
        row = self.current()
        if row is not None and row.client_id is not None:
            self._actions.open_client(row.client_id, "Sessions", row.note_id)

    def _on_export(self) -> None:
        start, end = self.days()
        if not self.week:
            start, end = self.day, self.day + timedelta(days=27)
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export the diary to a calendar file",
            str(Path.home() / f"diary-{start.isoformat()}.ics"),
            "Calendar files (*.ics)",
        )
        if not name:
            return
        path = Path(name)
        export = self._actions.diary_ics
        staff_id = self.staff_id

        def work() -> int:
            data = export(staff_id, start, end)
            try:
                path.write_bytes(data)
            except OSError:
                raise ClinicError(
                    f"{path.name} could not be written there. Choose another folder."
                ) from None
            return data.count(b"BEGIN:VEVENT")

        runner().run(
            work,
            lambda count: self._said(
                f"Exported {count} appointment(s) to {path.name}: case references and times only."
            ),
            parent=self,
        )
