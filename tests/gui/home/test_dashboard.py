"""The dashboard view, driven by a fake dashboard call."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableView,
    QWidget,
)

from clinic_app.errors import AccessDenied, ClinicError
from clinic_app.services.dashboard import Dashboard, DashboardItem, DashboardSection, SectionKey
from clinic_app.views.home.dashboard import (
    SECTIONS,
    DashboardActions,
    DashboardColumn,
    DashboardItemModel,
    DashboardView,
    OpenTarget,
)

TODAY = date(2026, 3, 18)
NOTE = DashboardItem(
    3, "EXAMPLE, Alex", "MASIP-0001", "Sessions", 41, "Note not signed, 2 days after the session",
    date(2026, 3, 16), "Not signed", "The note of the session on 16 March 2026 is still a draft.",
)  # fmt: skip
REFERRAL = DashboardItem(
    3, "EXAMPLE, Alex", "MASIP-0001", "Referrals", 9, "PD Service: no response, 4 days overdue",
    date(2026, 3, 14), "Overdue", "Referral to PD Service (sent). Overdue by 4 days.",
)  # fmt: skip
RISK = DashboardItem(
    5, "SAMPLE, Sam", "MASIP-0002", "Risk", 12, "Escalation: no share decision yet",
    date(2026, 3, 17), "URGENT",
)  # fmt: skip
TODAYS = DashboardItem(
    5, "SAMPLE, Sam", "MASIP-0002", "Sessions", 44, "Video session, attended: note signed",
    TODAY, "Signed",
)  # fmt: skip


def board(**sections: Any) -> Dashboard:
    """A dashboard with these sections: a tuple of items, or a DashboardSection."""
    made = tuple(
        value
        if isinstance(value, DashboardSection)
        else DashboardSection(SectionKey(key), value, len(value))
        for key, value in sections.items()
    )
    return Dashboard(TODAY, date(2026, 3, 16), 2, made)


class FakeDashboard:
    """The dashboard's actions over a fixed dashboard: records what was asked for."""

    def __init__(self, result: Dashboard | Exception, whole: dict[str, Any] | None = None):
        self.result = result
        self.whole = whole or {}
        self.asked: list[list[str]] = []
        self.whole_asked: list[str] = []
        self.marks: dict[str, int] = {}

    @property
    def calls(self) -> int:
        return len(self.asked)

    def __call__(self, sections) -> Dashboard:
        self.asked.append([str(key) for key in sections])
        if isinstance(self.result, Exception):
            raise self.result
        wanted = tuple(s for s in self.result.sections if s.key in sections)
        return replace(self.result, sections=wanted)

    def whole_section(self, key: str) -> DashboardSection:
        self.whole_asked.append(key)
        items = self.whole[key]
        return DashboardSection(SectionKey(key), items, len(items))

    def generations(self) -> dict[str, int]:
        return dict(self.marks)

    def actions(self) -> DashboardActions:
        return DashboardActions(self, self.whole_section, self.generations)


def make(qtbot: Any, fake: FakeDashboard, today: date = TODAY) -> DashboardView:
    view = DashboardView(fake.actions(), today=lambda: today)
    qtbot.addWidget(view)
    return view


def test_the_list_model_passes_the_model_tester(qtmodeltester):
    model = DashboardItemModel("Due")
    model.reset_items([NOTE, REFERRAL, RISK])
    qtmodeltester.check(model)
    assert model.headerData(DashboardColumn.DATE, Qt.Orientation.Horizontal) == "Due"


def test_it_loads_when_first_shown_and_on_f5_and_refresh(qtbot):
    fake = FakeDashboard(board(unsigned_notes=(NOTE,)))
    view = make(qtbot, fake)
    assert fake.calls == 0  # nothing is read until the dashboard is on screen
    view.show()
    assert fake.asked == [[s.key for s in SECTIONS]]
    qtbot.keyClick(view, Qt.Key.Key_F5)
    assert fake.calls == 2
    view.refresh_button.click()
    assert fake.calls == 3
    assert all(asked == fake.asked[0] for asked in fake.asked)


def test_a_visit_reloads_only_the_sections_that_changed(qtbot):
    fake = FakeDashboard(board(unsigned_notes=(NOTE,), referrals=(REFERRAL,)))
    view = make(qtbot, fake)
    view.show()
    view.hide()
    view.show()  # back to the tab, nothing changed: nothing is read
    assert fake.calls == 1
    fake.marks = {"unsigned_notes": 1, "sessions_today": 1}  # a note was saved meanwhile
    view.hide()
    view.show()
    assert fake.asked[-1] == ["sessions_today", "unsigned_notes"]  # in the lists' order
    assert view.items("unsigned_notes") == [NOTE]
    assert view.items("referrals") == [REFERRAL]  # kept from the first load
    view.hide()
    view.show()
    assert fake.calls == 2


def test_a_refresh_asked_while_hidden_waits_for_the_next_showing(qtbot):
    fake = FakeDashboard(board(unsigned_notes=(NOTE,)))
    view = make(qtbot, fake)
    view.show()
    view.hide()  # the user is in a record, whose save asks Home to refresh
    view.refresh()
    view.refresh()
    assert fake.calls == 1  # nothing read for a screen nobody sees
    view.show()
    assert fake.calls == 2 and len(fake.asked[1]) == len(SECTIONS)
    view.hide()
    view.show()
    assert fake.calls == 2


def test_on_a_new_day_a_visit_reloads_everything(qtbot):
    fake = FakeDashboard(board(unsigned_notes=(NOTE,)))
    day = [TODAY]
    view = DashboardView(fake.actions(), today=lambda: day[0])
    qtbot.addWidget(view)
    view.show()
    view.hide()
    day[0] = TODAY + timedelta(days=1)
    view.show()
    assert fake.calls == 2 and len(fake.asked[1]) == len(SECTIONS)


def test_each_section_lists_its_items_or_says_it_is_empty(qtbot):
    view = make(
        qtbot,
        FakeDashboard(
            board(
                unsigned_notes=(NOTE,),
                referrals=(REFERRAL,),
                urgent_risk=(RISK,),
                sessions_today=(TODAYS,),
            )
        ),
    )
    view.show()
    assert view.heading.text() == "Dashboard for Wednesday 18 March 2026"
    assert view.summary.text() == (
        "2 clients on your caseload. 3 things need your attention: press Enter or "
        "double-click a line to open it."
    )
    referrals = view.sections["referrals"]
    assert referrals.title.text() == "&Referrals overdue or awaiting action (1)"
    assert not referrals.show_all_button.isVisible()  # everything is listed already
    model = referrals.model
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "EXAMPLE, Alex (MASIP-0001)",
        "PD Service: no response, 4 days overdue",
        "14/03/2026",
        "OVERDUE",  # in words, and bold with an icon: never colour alone
    ]
    flag = model.index(0, DashboardColumn.FLAG)
    assert flag.data(Qt.ItemDataRole.FontRole).bold()
    assert flag.data(Qt.ItemDataRole.DecorationRole) is not None
    tip = model.index(0, DashboardColumn.WHAT).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Referral to PD Service (sent). Overdue by 4 days.")
    assert "Referrals tab" in tip
    plans = view.sections["plan_reviews"]
    assert plans.empty.isVisible() and not plans.table.isVisible()
    assert plans.empty.text() == "None: no plan review is due in the next two weeks."
    assert view.items("sessions_today") == [TODAYS]
    # The most pressing list comes first.
    assert SECTIONS[0].key == "urgent_risk"


def test_nothing_to_do_is_said_plainly(qtbot):
    view = make(qtbot, FakeDashboard(board()))
    view.show()
    assert view.summary.text() == "2 clients on your caseload. Nothing needs your attention now."
    for widget in view.sections.values():
        assert widget.empty.isVisible()
        assert not widget.table.isVisible()


@pytest.mark.parametrize("how", ["enter", "double-click"])
def test_a_line_opens_where_it_is_dealt_with(qtbot, how):
    view = make(qtbot, FakeDashboard(board(unsigned_notes=(NOTE,), referrals=(REFERRAL,))))
    view.show()
    table = view.sections["referrals"].table
    index = table.model().index(0, DashboardColumn.WHAT)
    with qtbot.waitSignal(view.open_requested) as opened:
        if how == "enter":
            table.setFocus()
            table.setCurrentIndex(index)
            qtbot.keyClick(table, Qt.Key.Key_Return)
        else:
            table.doubleClicked.emit(index)
    assert opened.args == [OpenTarget(3, "Referrals", 9)]


def test_the_keyboard_reaches_every_list(qtbot):
    view = make(qtbot, FakeDashboard(board(unsigned_notes=(NOTE,))))
    view.show()
    for section in SECTIONS:
        widget = view.sections[section.key]
        assert "&" in section.title  # a mnemonic...
        assert widget.title.buddy() is widget.table  # ...that moves to the list
        assert widget.table.accessibleName() == section.title.replace("&", "")
    # A list's first line is current (Enter opens it) without every list looking selected.
    table = view.sections["unsigned_notes"].table
    assert table.currentIndex().row() == 0
    assert not table.selectionModel().hasSelection()


def test_a_failure_is_shown_in_words(qtbot):
    fake = FakeDashboard(ClinicError("The database is busy. Try again in a moment."))
    view = make(qtbot, fake)
    view.show()
    assert view.problem.isVisible()
    assert view.problem.text() == (
        "The dashboard could not be loaded. The database is busy. Try again in a moment."
    )
    assert not view.lists_area.isVisible()
    fake.result = board(referrals=(REFERRAL,))
    view.refresh()
    assert not view.problem.isVisible() and view.lists_area.isVisible()


def test_administrators_are_told_why_there_is_no_dashboard(qtbot):
    message = "The dashboard lists a clinician's own caseload. Administrators have no caseload."
    view = make(qtbot, FakeDashboard(AccessDenied(message)))
    view.show()
    assert view.problem.text() == message


def test_long_lists_scroll_inside_a_bounded_height(qtbot):
    many = tuple(
        DashboardItem(i, f"CLIENT, {i}", f"REF-{i}", "Sessions", i, "Note not signed", TODAY)
        for i in range(1, 30)
    )
    view = make(qtbot, FakeDashboard(board(unsigned_notes=many)))
    view.resize(1200, 800)
    view.show()
    table = view.sections["unsigned_notes"].table
    assert table.model().rowCount() == 29
    assert table.height() < 29 * table.rowHeight(0)


def test_no_control_is_unnamed(qtbot):
    view = make(qtbot, FakeDashboard(board(unsigned_notes=(NOTE,))))
    view.show()
    unnamed = [
        w
        for w in view.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QTableView)
        and not isinstance(w.parent(), QAbstractItemView)
        and not w.accessibleName()
    ]
    assert unnamed == []


def _many(n: int) -> tuple[DashboardItem, ...]:
    return tuple(
        DashboardItem(i, f"CLIENT, {i}", f"REF-{i}", "Referrals", i, f"Referral {i}", TODAY)
        for i in range(1, n + 1)
    )


def test_a_long_section_shows_its_first_lines_with_the_count_and_shows_all_on_request(qtbot):
    every = _many(143)
    first = DashboardSection(SectionKey.REFERRALS, every[:20], 143)
    fake = FakeDashboard(board(referrals=first), whole={"referrals": every})
    view = make(qtbot, fake)
    view.show()
    section = view.sections["referrals"]
    assert section.title.text() == "&Referrals overdue or awaiting action (20 of 143)"
    assert view.items("referrals") == list(every[:20])
    button = section.show_all_button
    assert button.isVisible() and button.text() == "Show all 143"
    assert view.summary.text().startswith("2 clients on your caseload. 143 things need")
    button.click()
    assert fake.whole_asked == ["referrals"]
    assert view.items("referrals") == list(every)
    assert section.title.text() == "&Referrals overdue or awaiting action (143)"
    assert button.text() == "Show the first 20"
    button.click()  # back to the first lines, without reading again
    assert view.items("referrals") == list(every[:20])
    assert fake.whole_asked == ["referrals"]
    assert button.text() == "Show all 143"


def test_large_counts_are_written_with_thousands_separated(qtbot):
    first = DashboardSection(SectionKey.REFERRALS, _many(20), 1204)
    view = make(qtbot, FakeDashboard(board(referrals=first)))
    view.show()
    section = view.sections["referrals"]
    assert section.title.text() == "&Referrals overdue or awaiting action (20 of 1,204)"
    assert section.show_all_button.text() == "Show all 1,204"
    assert "1,204 things need your attention" in view.summary.text()


def test_thousands_of_lines_cost_only_the_lines_on_screen(qtbot, monkeypatch):
    asked = 0
    plain_data = DashboardItemModel.data

    def counting(model, index, role=Qt.ItemDataRole.DisplayRole):
        nonlocal asked
        asked += 1
        return plain_data(model, index, role)

    monkeypatch.setattr(DashboardItemModel, "data", counting)
    every = _many(5000)
    first = DashboardSection(SectionKey.REFERRALS, every[:20], 5000)
    fake = FakeDashboard(board(referrals=first), whole={"referrals": every})
    view = make(qtbot, fake)
    view.resize(1200, 800)
    view.show()
    qtbot.waitExposed(view)
    section = view.sections["referrals"]
    header = section.table.horizontalHeader()
    modes = {header.sectionResizeMode(c) for c in DashboardColumn}
    assert QHeaderView.ResizeMode.ResizeToContents not in modes  # widths from the font
    asked = 0
    section.show_all_button.click()
    QApplication.processEvents()  # lay the lists out, then bring this one into view
    view.lists_area.ensureWidgetVisible(section.table)
    view.grab()  # paint everything that is on screen
    assert section.model.rowCount() == 5000
    assert 0 < asked < 5000  # the lines on screen, not every line


def test_the_keyboard_goes_from_each_list_to_its_show_all(qtbot):
    first = DashboardSection(SectionKey.REFERRALS, _many(20), 30)
    view = make(qtbot, FakeDashboard(board(referrals=first, unsigned_notes=(NOTE,))))
    view.show()
    order = []
    widget = view.refresh_button.nextInFocusChain()
    while widget is not view.refresh_button and len(order) < 100:
        if widget.isVisible() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            order.append(widget)
        widget = widget.nextInFocusChain()
    referrals = view.sections["referrals"]
    notes = view.sections["unsigned_notes"]
    assert order.index(notes.table) < order.index(referrals.table)  # most pressing first
    assert order.index(referrals.show_all_button) == order.index(referrals.table) + 1


def test_tab_leaves_a_list_for_its_show_all_and_the_next_list(qtbot):
    first = DashboardSection(SectionKey.REFERRALS, _many(20), 30)
    view = make(qtbot, FakeDashboard(board(referrals=first, plan_reviews=(NOTE,))))
    with qtbot.waitActive(view):
        view.show()
        view.activateWindow()
    referrals = view.sections["referrals"]
    referrals.table.setFocus()
    qtbot.keyClick(referrals.table, Qt.Key.Key_Tab)  # not to the next cell: out of the list
    assert QApplication.focusWidget() is referrals.show_all_button
    qtbot.keyClick(referrals.show_all_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view.sections["plan_reviews"].table


APPOINTMENT = DashboardItem(
    5, "SAMPLE, Sam", "MASIP-0002", "Sessions", None, "Video, 50 minutes to 10:20: no note yet",
    TODAY, "Booked", "Appointment today from 09:30 to 10:20.", time(9, 30),
)  # fmt: skip
MISSED = DashboardItem(
    3, "EXAMPLE, Alex", "MASIP-0001", "Sessions", 47, "In person, 50 minutes to 12:50: no note",
    TODAY, "Did not attend", "Appointment today from 12:00 to 12:50.", time(12, 0),
)  # fmt: skip
REQUEST = DashboardItem(
    3, "EXAMPLE, Alex", "MASIP-0001", "Subject access", 8,
    "Subject access request: serious-harm review needed; overdue by 2 days",
    date(2026, 3, 16), "Overdue", "A request for their records must be answered by 16 March.",
)  # fmt: skip


def test_today_lists_the_appointments_by_time_and_opens_the_record(qtbot):
    view = make(
        qtbot,
        FakeDashboard(board(appointments_today=(APPOINTMENT, MISSED), subject_access=(REQUEST,))),
    )
    view.show()
    today = view.sections["appointments_today"]
    assert today.title.text() == "&Today's appointments (2)"
    model = today.model
    assert model.headerData(DashboardColumn.DATE, Qt.Orientation.Horizontal) == "Time"
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "SAMPLE, Sam (MASIP-0002)",
        "Video, 50 minutes to 10:20: no note yet",
        "09:30",
        "Booked",
    ]
    missed = model.index(1, DashboardColumn.FLAG)
    assert missed.data() == "Did not attend" and missed.data(Qt.ItemDataRole.FontRole).bold()
    assert SECTIONS[2].key == "appointments_today"  # after what is urgent, before the rest
    # Appointments are for information; the open request asks for something.
    assert "1 thing needs your attention" in view.summary.text()
    with qtbot.waitSignal(view.open_requested) as opened:
        today.table.setFocus()
        today.table.setCurrentIndex(model.index(1, 0))
        qtbot.keyClick(today.table, Qt.Key.Key_Return)
    assert opened.args == [OpenTarget(3, "Sessions", 47)]


def test_a_subject_access_request_opens_the_subject_access_tab_at_the_request(qtbot):
    view = make(qtbot, FakeDashboard(board(subject_access=(REQUEST,))))
    view.show()
    requests = view.sections["subject_access"]
    assert requests.title.text() == "Subject access re&quests (1)"
    model = requests.model
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "EXAMPLE, Alex (MASIP-0001)",
        "Subject access request: serious-harm review needed; overdue by 2 days",
        "16/03/2026",
        "OVERDUE",
    ]
    assert model.headerData(DashboardColumn.DATE, Qt.Orientation.Horizontal) == "Due by"
    with qtbot.waitSignal(view.open_requested) as opened:
        requests.table.doubleClicked.emit(model.index(0, 1))
    assert opened.args == [OpenTarget(3, "Subject access", 8)]
