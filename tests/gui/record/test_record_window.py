"""The record window opens without waiting: "Opening the record…" at once, the client read
on the runner, each part built the first time it is shown, and what was asked of the
record meanwhile done once it is open. A record that needs emergency access asks for it
when the reading says so, then opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, ClassVar

import pytest
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from clinic_app.errors import ClinicError, EmergencyAccessRequired
from clinic_app.models.enums import ClientStatus, Role
from clinic_app.services.clients import ClientSummary
from clinic_app.services.common import StaffRef
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import use_runner
from clinic_app.views.record.window import OPENING_TEXT, ClientRecordView
from clinic_app.views.shell.main_window import MainWindow, MainWindowParts

ME = StaffRef(2, "dr.jones", "Dr Jones", Role.PSYCHOLOGIST)


def summary(client_id: int) -> ClientSummary:
    return ClientSummary(
        client_id,
        f"MASIP-{client_id:04d}",
        "Alex",
        "Example",
        date(1985, 4, 12),
        "9434765919",
        "North",
        ClientStatus.ACTIVE,
        False,
        1,
    )


class HeldRunner:
    """A runner that keeps the work until the test hands the results over."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Callable[[], Any], Callable[[Any], None], Any]] = []

    def run(self, work, done, *, key=None, parent=None, failed=None) -> None:
        self.waiting.append((work, done, failed))

    def cancel(self, key: str) -> None:
        pass

    def deliver(self) -> None:
        while self.waiting:
            work, done, failed = self.waiting.pop(0)
            try:
                result = work()
            except ClinicError as error:
                failed(error)
            else:
                done(result)


@pytest.fixture
def held():
    runner = HeldRunner()
    previous = use_runner(runner)
    yield runner
    use_runner(previous)


class Part(RecordPart):
    built: ClassVar[list[str]] = []

    def __init__(self, name: str) -> None:
        super().__init__()
        Part.built.append(name)
        self.selected: list[int] = []

    def select_item(self, item_id: int) -> None:
        self.selected.append(item_id)


def parts() -> list[tuple[str, Callable[[], QWidget]]]:
    Part.built = []
    return [(name, partial(Part, name)) for name in ("Overview", "Plan", "Sessions")]


def test_a_record_shows_that_it_is_opening_then_builds_only_the_part_shown(qtbot, held):
    view = ClientRecordView.opening(7, lambda: summary(7), parts())
    qtbot.addWidget(view)
    opened: list[ClientRecordView] = []
    view.when_open(opened.append)
    view.start_opening()
    assert view.pages.currentWidget() is view.opening_label
    assert view.opening_label.text() == OPENING_TEXT
    # The first part is built meanwhile, behind the opening page (its reading is asked
    # for after the opening's); the others wait until they are shown.
    assert not view.is_open and opened == [] and Part.built == ["Overview"]
    held.deliver()
    assert view.is_open and opened == [view]
    assert view.pages.currentWidget() is view.record_page
    assert "Alex" in view.header.text()
    assert Part.built == ["Overview"]
    view.tabs.setCurrentIndex(2)
    assert Part.built == ["Overview", "Sessions"]
    assert isinstance(view.current_part(), Part)
    assert list(view.parts()) == [view.tab("Overview"), view.tab("Sessions")]


class _Caseload(QWidget):
    client_activated = Signal(int)

    def refresh(self) -> None:
        pass


def make_window(qtbot, needs_access: set[int], grant: bool) -> MainWindow:
    asked: list[int] = []

    def make_record(client_id: int) -> ClientRecordView:
        def open_client() -> ClientSummary:
            if client_id in needs_access:
                raise EmergencyAccessRequired("This client is not assigned to you.")
            return summary(client_id)

        return ClientRecordView.opening(client_id, open_client, parts())

    def ask(parent: QWidget, client_id: int) -> bool:
        asked.append(client_id)
        if grant:
            needs_access.discard(client_id)
        return grant

    window = MainWindow(
        MainWindowParts(
            me=ME,
            database="/data/clinic.db",
            make_caseload=_Caseload,  # type: ignore[arg-type]
            make_search=None,
            make_record=make_record,
            ask_emergency_access=ask,
            new_client=lambda parent, then: None,
            find_client=lambda text: 1,
        )
    )
    window.asked = asked  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    return window


def test_an_item_opened_from_elsewhere_is_shown_once_the_record_is_open(qtbot, held):
    window = make_window(qtbot, set(), grant=True)
    window.open_at(7, "Sessions", 42)
    [view] = window.record_views()
    assert window.tabs.tabText(window.tabs.indexOf(view)) == OPENING_TEXT
    assert window.open_client_ids() == [7] and window.current_client_id() == 7
    held.deliver()
    assert window.tabs.tabText(window.tabs.indexOf(view)) == summary(7).display_name
    sessions = view.current_part()
    assert isinstance(sessions, Part) and sessions.selected == [42]


def test_a_record_that_needs_emergency_access_asks_then_opens(qtbot, held):
    window = make_window(qtbot, {8}, grant=True)
    opened: list[ClientRecordView] = []
    window.open_client(8, opened.append)
    held.deliver()  # refused: the tab closes and emergency access is asked for
    assert window.asked == [8]  # type: ignore[attr-defined]
    held.deliver()  # granted: opened again
    assert window.open_client_ids() == [8]
    assert [v.client_id for v in opened] == [8] and opened[0].is_open


def test_a_refused_emergency_access_leaves_no_tab(qtbot, held):
    window = make_window(qtbot, {8}, grant=False)
    opened: list[ClientRecordView] = []
    window.open_client(8, opened.append)
    held.deliver()
    assert window.asked == [8]  # type: ignore[attr-defined]
    assert window.open_client_ids() == [] and opened == []
