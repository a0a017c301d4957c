"""The use cases the diary calls, bound to the signed-in user (GUI tests pass fakes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinic_app.services.appointments import AppointmentRow, BookingChoices, Diary
from clinic_app.services.notes import NoteRow


@dataclass(frozen=True)
class DiaryActions:
    """What the diary screen and its dialogs run (each one unit of work, on the runner).

    ``book`` takes the client's id and the keywords of
    :func:`clinic_app.services.appointments.book`; ``move`` and ``cancel`` the
    appointment's id and their keywords; ``start_note`` starts the appointment's note;
    ``open_client`` opens a record at a tab and item (the main window's, on the GUI thread).
    """

    me_id: int
    diary: Callable[[int, date, date], Diary]
    booking_choices: Callable[[], BookingChoices]
    book: Callable[..., tuple[AppointmentRow, ...]]
    move: Callable[..., AppointmentRow]
    cancel: Callable[..., AppointmentRow]
    mark_attended: Callable[[int], AppointmentRow]
    mark_did_not_attend: Callable[[int], AppointmentRow]
    diary_ics: Callable[[int, date, date], bytes]
    start_note: Callable[[int], NoteRow]
    open_client: Callable[[int, str, int | None], Any] = lambda _client, _tab, _item: None
