"""The dashboard view, driven by a fake dashboard call."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QTableView, QWidget

from clinic_app.errors import AccessDenied, ClinicError
from clinic_app.services.dashboard import Dashboard, DashboardItem
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
    return Dashboard(TODAY, date(2026, 3, 16), caseload_size=2, **sections)


class FakeDashboard:
    def __init__(self, result: Dashboard | Exception) -> None:
        self.result = result
        self.calls = 0

    def __call__(self) -> Dashboard:
        self.calls += 1
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def make(qtbot: Any, fake: FakeDashboard) -> DashboardView:
    view = DashboardView(DashboardActions(fake))
    qtbot.addWidget(view)
    return view


def test_the_list_model_passes_the_model_tester(qtmodeltester):
    model = DashboardItemModel("Due")
    model.reset_items([NOTE, REFERRAL, RISK])
    qtmodeltester.check(model)
    assert model.headerData(DashboardColumn.DATE, Qt.Orientation.Horizontal) == "Due"


def test_it_loads_when_shown_and_on_f5_and_refresh(qtbot):
    fake = FakeDashboard(board(unsigned_notes=(NOTE,)))
    view = make(qtbot, fake)
    assert fake.calls == 0  # nothing is read until the dashboard is on screen
    view.show()
    assert fake.calls == 1
    view.hide()
    view.show()  # shown again (e.g. back to its tab): read again
    assert fake.calls == 2
    qtbot.keyClick(view, Qt.Key.Key_F5)
    assert fake.calls == 3
    view.refresh_button.click()
    assert fake.calls == 4


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
