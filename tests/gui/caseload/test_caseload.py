"""The caseload: finding a client by name, reference or NHS number, filtering, opening."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPushButton, QWidget

from clinic_app.errors import ClinicError
from clinic_app.models.enums import ClientStatus, Typology
from clinic_app.services.clients import CaseloadRow, ClientSummary
from clinic_app.views.caseload import view as caseload_module
from clinic_app.views.caseload.model import (
    CaseloadColumn,
    CaseloadFilter,
    CaseloadModel,
    CaseloadRole,
    search_terms,
)
from clinic_app.views.caseload.view import NO_CLIENTS, NO_MATCHES, CaseloadView
from clinic_app.wording import format_nhs_number

TODAY = date(2026, 6, 1)


def client_row(
    client_id: int,
    given: str,
    family: str,
    *,
    dob: date = date(1985, 4, 12),
    nhs: str | None = None,
    site: str = "North",
    status: ClientStatus = ClientStatus.ACTIVE,
    typology: Typology | None = None,
    team: tuple[str, ...] = ("Dr Jones",),
    demo: bool = False,
) -> CaseloadRow:
    summary = ClientSummary(
        id=client_id,
        local_ref=f"MASIP-{client_id:04d}",
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        nhs_number=nhs,
        site=site,
        status=status,
        is_demo=demo,
        version=1,
    )
    return CaseloadRow(summary, typology, team[0] if team else "", team)


def small_caseload() -> list[CaseloadRow]:
    # Dates of birth chosen so that day-first text order differs from the calendar:
    # "01/12/1990" < "02/03/1970" < "15/06/2001" < "30/01/1955" as text.
    return [
        client_row(
            1,
            "Alex",
            "Jones",
            dob=date(1990, 12, 1),
            nhs="9434765919",
            typology=Typology.REJECTED,
            team=("Dr Jones", "Nurse Patel"),
        ),
        client_row(
            2,
            "Sam",
            "Smith",
            dob=date(1970, 3, 2),
            nhs="9990000018",
            site="South",
            status=ClientStatus.ON_HOLD,
            team=("Nurse Patel",),
            demo=True,
        ),
        client_row(
            3,
            "Jordan",
            "Alexander",
            dob=date(2001, 6, 15),
            site="South",
            status=ClientStatus.REFERRED,
            typology=Typology.INCOMPETENT_SUITOR,
            team=("Dr Okafor",),
        ),
        client_row(
            4,
            "Chris",
            "Taylor",
            dob=date(1955, 1, 30),
            nhs="4010232137",
            status=ClientStatus.CLOSED,
            team=("Dr Okafor", "Dr Jones"),
        ),
        client_row(5, "Robin", "Walker", dob=date(1920, 7, 1), site="East", team=()),
    ]


def shown_ids(proxy: CaseloadFilter) -> list[int]:
    return [proxy.client_id_at(row) for row in range(proxy.rowCount())]


def make_view(qtbot, rows: list[CaseloadRow] | None = None) -> tuple[CaseloadView, list[int]]:
    loads: list[int] = []
    data = small_caseload() if rows is None else rows

    def load_caseload() -> list[CaseloadRow]:
        loads.append(1)
        return list(data)

    view = CaseloadView(load_caseload, today=lambda: TODAY)
    qtbot.addWidget(view)
    return view, loads


def show(qtbot, view: QWidget) -> None:
    view.resize(1280, 600)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)


def choose(combo: QComboBox, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not among {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


# -- the model ------------------------------------------------------------------------------


def test_model_and_filter_pass_the_model_tester(qtmodeltester):
    model = CaseloadModel(today=lambda: TODAY)
    model.set_rows(small_caseload())
    qtmodeltester.check(model)
    proxy = CaseloadFilter(model)
    proxy.sort(CaseloadColumn.DATE_OF_BIRTH)
    proxy.set_search_text("a")
    proxy.set_site("South")
    qtmodeltester.check(proxy)


def test_filter_passes_the_model_tester_while_rows_change(qtmodeltester):
    model = CaseloadModel(today=lambda: TODAY)
    proxy = CaseloadFilter(model)
    qtmodeltester.check(proxy)  # the tester keeps watching the signals below
    model.set_rows(small_caseload())
    proxy.set_search_text("jones")
    proxy.sort(CaseloadColumn.AGE, Qt.SortOrder.DescendingOrder)
    proxy.set_search_text("")
    proxy.set_status(ClientStatus.ACTIVE)
    model.set_rows(small_caseload()[:2])
    proxy.clear_filters()
    assert shown_ids(proxy) == [2, 1]


def test_model_shows_plain_words_and_formatted_values():
    model = CaseloadModel(today=lambda: TODAY)
    model.set_rows(small_caseload())

    def text(row: int, column: CaseloadColumn) -> str:
        return model.index(row, column).data()

    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in CaseloadColumn] == [
        "Name",
        "Case reference",
        "Status",
        "Last seen",
        "Next appointment",
        "Risk",
        "Unsigned",
        "Protection",
        "Typology",
        "Lead clinician",
        "NHS number",
        "Date of birth",
        "Age",
        "Site",
    ]
    assert text(0, CaseloadColumn.NAME) == "JONES, Alex"
    assert text(0, CaseloadColumn.REFERENCE) == "MASIP-0001"
    assert text(0, CaseloadColumn.NHS_NUMBER) == "943 476 5919"
    assert text(0, CaseloadColumn.DATE_OF_BIRTH) == "01/12/1990"
    assert text(0, CaseloadColumn.AGE) == "35"  # 36 only on 1 December 2026
    assert text(0, CaseloadColumn.STATUS) == "Active"
    assert text(0, CaseloadColumn.TYPOLOGY) == "Rejected"
    assert text(0, CaseloadColumn.LEAD_CLINICIAN) == "Dr Jones"
    assert model.index(0, CaseloadColumn.LEAD_CLINICIAN).data(Qt.ItemDataRole.ToolTipRole) == (
        "Team: Dr Jones, Nurse Patel"
    )
    # The demo marker is words, not only a style.
    assert text(1, CaseloadColumn.NAME) == "SMITH, Sam (demo)"
    assert "not a real person" in model.index(1, CaseloadColumn.NAME).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert text(1, CaseloadColumn.STATUS) == "On hold"
    assert text(1, CaseloadColumn.TYPOLOGY) == "Not recorded"
    assert text(2, CaseloadColumn.NHS_NUMBER) == "Not recorded"
    assert text(2, CaseloadColumn.TYPOLOGY) == "Incompetent suitor"
    assert text(4, CaseloadColumn.LEAD_CLINICIAN) == "Not assigned"
    assert text(4, CaseloadColumn.AGE) == "105"


def test_model_exposes_client_ids_sort_values_and_search_keys():
    model = CaseloadModel(today=lambda: TODAY)
    model.set_rows(small_caseload())
    index = model.index(0, CaseloadColumn.DATE_OF_BIRTH)
    assert index.data(CaseloadRole.CLIENT_ID) == 1
    assert model.index(0, CaseloadColumn.SITE).data(CaseloadRole.CLIENT_ID) == 1
    assert index.data(CaseloadRole.SORT) == date(1990, 12, 1)
    assert model.index(0, CaseloadColumn.AGE).data(CaseloadRole.SORT) == 35
    key = index.data(CaseloadRole.SEARCH_KEY)
    assert "jones, alex" in key
    assert "alex jones" in key
    assert "masip-0001" in key
    assert "9434765919" in key
    assert not model.flags(index) & Qt.ItemFlag.ItemIsEditable


def test_nhs_numbers_and_search_terms():
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number("943 476 5919") == "943 476 5919"
    assert format_nhs_number(None) == ""
    assert search_terms("943 476") == ("943476",)
    assert search_terms("943-476-5919") == ("9434765919",)
    assert search_terms("  Jones  AL ") == ("jones", "al")
    assert search_terms("   ") == ()


# -- searching and filtering ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("jones", [1]),
        ("jones al", [1]),
        ("JONES, Alex", [1]),
        ("alex jones", [1]),
        ("alex", [3, 1]),  # "Alexander" too; the list is sorted by name
        ("masip-0004", [4]),
        ("0004", [4]),
        ("943 476", [1]),
        ("9434", [1]),
        ("943-476-5919", [1]),
        ("999", [2]),
        ("nobody", []),
        ("", [3, 1, 2, 4, 5]),
    ],
)
def test_search_by_name_reference_or_nhs_number(qtbot, typed, expected):
    view, _ = make_view(qtbot)
    view.search_box.setText(typed)
    assert shown_ids(view.proxy) == expected


def test_filters_are_built_from_the_data(qtbot):
    view, _ = make_view(qtbot)

    def items(combo: QComboBox) -> list[str]:
        return [combo.itemText(i) for i in range(combo.count())]

    assert items(view.site_filter) == ["All sites", "East", "North", "South"]
    assert items(view.status_filter) == ["All statuses", "Referred", "Active", "On hold", "Closed"]
    assert items(view.clinician_filter) == [
        "All clinicians",
        "Dr Jones",
        "Dr Okafor",
        "Nurse Patel",
    ]


def test_each_filter_and_their_combination(qtbot):
    view, _ = make_view(qtbot)
    choose(view.site_filter, "South")
    assert shown_ids(view.proxy) == [3, 2]
    choose(view.site_filter, "All sites")
    choose(view.status_filter, "On hold")
    assert shown_ids(view.proxy) == [2]
    choose(view.status_filter, "All statuses")
    # Any clinician on the team counts, not only the lead.
    choose(view.clinician_filter, "Dr Jones")
    assert shown_ids(view.proxy) == [1, 4]
    choose(view.clinician_filter, "Nurse Patel")
    assert shown_ids(view.proxy) == [1, 2]
    choose(view.site_filter, "North")
    assert shown_ids(view.proxy) == [1]
    view.search_box.setText("smith")
    assert shown_ids(view.proxy) == []
    choose(view.site_filter, "All sites")
    assert shown_ids(view.proxy) == [2]
    choose(view.status_filter, "Active")
    assert shown_ids(view.proxy) == []


def test_count_label(qtbot):
    view, _ = make_view(qtbot)
    assert view.count_label.text() == "Showing 5 of 5 clients"
    view.search_box.setText("jones")
    assert view.count_label.text() == "Showing 1 of 5 clients"
    choose(view.site_filter, "South")
    assert view.count_label.text() == "Showing 0 of 5 clients"
    single, _ = make_view(qtbot, small_caseload()[:1])
    assert single.count_label.text() == "Showing 1 of 1 client"


# -- sorting ------------------------------------------------------------------------------------


def test_sorting_by_date_of_birth_is_chronological(qtbot):
    view, _ = make_view(qtbot)
    view.table.sortByColumn(CaseloadColumn.DATE_OF_BIRTH, Qt.SortOrder.AscendingOrder)
    assert shown_ids(view.proxy) == [5, 4, 2, 1, 3]
    view.table.sortByColumn(CaseloadColumn.DATE_OF_BIRTH, Qt.SortOrder.DescendingOrder)
    assert shown_ids(view.proxy) == [3, 1, 2, 4, 5]


def test_sorting_by_age_is_numeric_and_by_status_follows_the_work(qtbot):
    view, _ = make_view(qtbot)
    view.table.sortByColumn(CaseloadColumn.AGE, Qt.SortOrder.AscendingOrder)
    ages = [view.proxy.index(r, CaseloadColumn.AGE).data() for r in range(5)]
    assert ages == ["24", "35", "56", "71", "105"]
    view.table.sortByColumn(CaseloadColumn.STATUS, Qt.SortOrder.AscendingOrder)
    statuses = [view.proxy.index(r, CaseloadColumn.STATUS).data() for r in range(5)]
    assert statuses == ["Referred", "Active", "Active", "On hold", "Closed"]


def test_sorting_keeps_the_filter_and_the_selection(qtbot):
    view, _ = make_view(qtbot)
    choose(view.site_filter, "North")
    assert view.select_client(4)
    view.table.sortByColumn(CaseloadColumn.DATE_OF_BIRTH, Qt.SortOrder.AscendingOrder)
    assert shown_ids(view.proxy) == [4, 1]
    assert view.selected_client_id() == 4
    view.search_box.setText("")
    choose(view.site_filter, "All sites")
    assert shown_ids(view.proxy) == [5, 4, 2, 1, 3]  # reappearing rows keep the sort
    assert view.selected_client_id() == 4


# -- opening a client and the keyboard ----------------------------------------------------------


def test_enter_on_a_row_opens_the_client(qtbot):
    view, _ = make_view(qtbot)
    show(qtbot, view)
    view.select_client(2)
    view.table.setFocus()
    with qtbot.waitSignal(view.client_activated) as signal:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert signal.args == [2]
    with qtbot.waitSignal(view.client_activated) as signal:
        qtbot.keyClick(view.table, Qt.Key.Key_Enter)
    assert signal.args == [2]


def test_double_click_on_a_row_opens_the_client_once(qtbot):
    view, _ = make_view(qtbot)
    show(qtbot, view)
    opened: list[int] = []
    view.client_activated.connect(opened.append)
    index = view.proxy.index(1, CaseloadColumn.SITE)  # JONES, Alex when sorted by name
    centre = view.table.visualRect(index).center()
    # An item view opens on a double-click only over the row the press landed on.
    qtbot.mousePress(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseRelease(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert opened == [1]


def test_down_from_the_search_box_moves_into_the_list(qtbot):
    view, _ = make_view(qtbot)
    show(qtbot, view)
    view.search_box.setFocus()
    qtbot.keyClicks(view.search_box, "s")
    qtbot.keyClick(view.search_box, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is view.table
    assert view.selected_client_id() == shown_ids(view.proxy)[0]
    opened: list[int] = []
    view.client_activated.connect(opened.append)
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert opened == [shown_ids(view.proxy)[1]]


def test_ctrl_f_focuses_the_search_box(qtbot):
    view, _ = make_view(qtbot)
    show(qtbot, view)
    view.search_box.setText("jones")
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is view.search_box
    assert view.search_box.selectedText() == "jones"  # typing replaces the old search


def test_tab_order_is_search_then_filters_then_table(qtbot):
    view, _ = make_view(qtbot)
    show(qtbot, view)
    view.search_box.setFocus()
    order = [QApplication.focusWidget()]
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [
        view.search_box,
        view.site_filter,
        view.status_filter,
        view.clinician_filter,
        view.table,
    ]


def test_search_placeholder_and_accessible_names(qtbot):
    view, _ = make_view(qtbot)
    assert view.search_box.placeholderText() == "Search by name, case reference or NHS number"
    controls = (
        view.findChildren(QLineEdit)
        + view.findChildren(QComboBox)
        + view.findChildren(QPushButton)
        + view.findChildren(QLabel)
        + [view.table]
    )
    assert all(c.accessibleName() for c in controls), [
        type(c).__name__ for c in controls if not c.accessibleName()
    ]
    assert view.table.editTriggers() == view.table.EditTrigger.NoEditTriggers


# -- empty states, refresh and failure ----------------------------------------------------------


def test_empty_caseload_says_so(qtbot):
    view, _ = make_view(qtbot, [])
    assert view.pages.currentIndex() == 1
    assert view.empty_label.text().startswith(NO_CLIENTS)
    assert view.empty_label.accessibleName() == NO_CLIENTS
    assert view.empty_action.isHidden()
    assert view.count_label.isHidden()
    assert view.filter_bar.isHidden()  # nothing to search or filter


def test_filters_appear_when_clients_arrive(qtbot):
    rows: list[CaseloadRow] = []
    view, _ = make_view(qtbot, rows)
    rows.extend(small_caseload())
    view.refresh()
    assert not view.filter_bar.isHidden()
    assert view.pages.currentIndex() == 0
    assert view.count_label.text() == "Showing 5 of 5 clients"


def test_a_search_that_hides_everyone_says_so_and_can_be_cleared(qtbot):
    view, _ = make_view(qtbot)
    view.search_box.setText("nobody")
    choose(view.site_filter, "South")
    assert view.pages.currentIndex() == 1
    assert view.empty_label.text().startswith(NO_MATCHES)
    assert not view.empty_action.isHidden()
    view.empty_action.click()
    assert view.pages.currentIndex() == 0
    assert view.search_box.text() == ""
    assert view.site_filter.currentText() == "All sites"
    assert shown_ids(view.proxy) == [3, 1, 2, 4, 5]


def test_refresh_keeps_search_filters_sort_and_selection(qtbot):
    rows = small_caseload()
    view, loads = make_view(qtbot, rows)
    view.search_box.setText("a")
    choose(view.site_filter, "South")
    choose(view.clinician_filter, "Dr Okafor")
    view.table.sortByColumn(CaseloadColumn.DATE_OF_BIRTH, Qt.SortOrder.DescendingOrder)
    assert view.select_client(3)

    rows.append(
        client_row(6, "Dana", "Abbott", dob=date(2003, 1, 1), site="South", team=("Dr Okafor",))
    )
    rows.append(client_row(7, "Pat", "Quinn", site="West", team=("Dr Chen",)))
    view.refresh()

    assert len(loads) == 2
    assert view.search_box.text() == "a"
    assert view.site_filter.currentText() == "South"
    assert view.clinician_filter.currentText() == "Dr Okafor"
    assert view.site_filter.findText("West") >= 0  # new sites appear in the filter
    assert shown_ids(view.proxy) == [6, 3]  # the newcomer, in date-of-birth order
    assert view.selected_client_id() == 3
    assert view.count_label.text() == "Showing 2 of 7 clients"


def test_refresh_keeps_a_filter_whose_clients_have_gone(qtbot):
    rows = small_caseload()
    view, _ = make_view(qtbot, rows)
    choose(view.site_filter, "East")
    rows[:] = [r for r in rows if r.client.site != "East"]
    view.refresh()
    assert view.site_filter.currentText() == "East"
    assert shown_ids(view.proxy) == []
    assert view.empty_label.text().startswith(NO_MATCHES)


def test_a_caseload_that_cannot_be_loaded(qtbot, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(
        caseload_module.feedback,
        "show_error",
        lambda parent, error, **kw: shown.append(error.message),
    )
    outcomes: list[object] = [ClinicError("The database is busy. Try again in a moment.")]

    def load_caseload() -> list[CaseloadRow]:
        outcome = outcomes.pop(0) if outcomes else small_caseload()
        if isinstance(outcome, ClinicError):
            raise outcome
        return outcome  # type: ignore[return-value]

    view = CaseloadView(load_caseload, today=lambda: TODAY)
    qtbot.addWidget(view)
    assert shown == ["The database is busy. Try again in a moment."]
    assert view.pages.currentIndex() == 1
    assert "could not be loaded" in view.empty_label.text()
    assert view.empty_action.text() == "&Try again"
    view.empty_action.click()
    assert view.pages.currentIndex() == 0
    assert view.proxy.rowCount() == 5

    # A later failure keeps what was shown.
    outcomes.append(ClinicError("The database is busy. Try again in a moment."))
    view.refresh()
    assert view.proxy.rowCount() == 5
    assert len(shown) == 2


# -- a large caseload -----------------------------------------------------------------------


def test_ten_thousand_clients_load_and_filter_correctly(qtbot):
    rng = random.Random(7)
    families = ["Smith", "Jones", "Taylor", "Brown", "Patel", "Khan", "Smithson", "Walker"]
    givens = ["Alex", "Sam", "Jordan", "Chris", "Robin", "Alexis"]
    sites = ["North", "South", "East"]
    team_pool = ["Dr Jones", "Dr Okafor", "Nurse Patel", "Dr Chen"]
    rows = [
        client_row(
            n,
            rng.choice(givens),
            rng.choice(families),
            dob=date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)),
            site=rng.choice(sites),
            status=rng.choice(list(ClientStatus)),
            team=tuple(rng.sample(team_pool, rng.randint(1, 2))),
        )
        for n in range(1, 10_001)
    ]
    view, _ = make_view(qtbot, rows)
    assert view.proxy.rowCount() == 10_000

    view.search_box.setText("smith al")
    expected = {
        r.client.id
        for r in rows
        if "smith" in r.client.family_name.lower() and "al" in r.client.given_name.lower()
    }
    assert set(shown_ids(view.proxy)) == expected
    assert 0 < len(expected) < 10_000

    choose(view.site_filter, "East")
    choose(view.clinician_filter, "Dr Chen")
    expected = {
        r.client.id
        for r in rows
        if r.client.id in expected and r.client.site == "East" and "Dr Chen" in r.assigned
    }
    assert set(shown_ids(view.proxy)) == expected
    assert view.count_label.text() == f"Showing {len(expected):,} of 10,000 clients"

    view.search_box.setText("")
    choose(view.site_filter, "All sites")
    choose(view.clinician_filter, "All clinicians")
    view.table.sortByColumn(CaseloadColumn.DATE_OF_BIRTH, Qt.SortOrder.AscendingOrder)
    births = [
        view.proxy.index(r, CaseloadColumn.DATE_OF_BIRTH).data(CaseloadRole.SORT)
        for r in range(0, view.proxy.rowCount(), 97)
    ]
    assert births == sorted(births)
    assert view.proxy.rowCount() == 10_000


def test_activation_ignores_an_invalid_index(qtbot):
    view, _ = make_view(qtbot)
    opened: list[int] = []
    view.client_activated.connect(opened.append)
    view.table.doubleClicked.emit(QModelIndex())
    assert opened == []


def test_the_typology_column_is_left_out_for_administrators(qtbot):
    view = CaseloadView(small_caseload, today=lambda: TODAY, show_typology=False)
    qtbot.addWidget(view)
    clinical = [
        CaseloadColumn.TYPOLOGY,
        CaseloadColumn.LAST_SEEN,
        CaseloadColumn.NEXT_APPOINTMENT,
        CaseloadColumn.RISK,
        CaseloadColumn.UNSIGNED_NOTES,
        CaseloadColumn.PROTECTIVE_MEASURES,
    ]
    assert all(view.table.isColumnHidden(c) for c in clinical)
    assert not view.table.isColumnHidden(CaseloadColumn.STATUS)
    clinician_view, _ = make_view(qtbot)
    assert not any(clinician_view.table.isColumnHidden(c) for c in clinical)


def scanned_caseload() -> list[CaseloadRow]:
    """Three clients with what a clinician scans: seen, booked, judged, unsigned, protected."""
    first, second, third = small_caseload()[:3]
    return [
        replace(
            first,
            last_seen=date(2026, 5, 20),
            next_appointment=datetime(2026, 6, 3, 14, 0),
            risk_judgement="moderate",
            risk_assessed_on=date(2026, 4, 2),
            unsigned_notes=2,
            protective_measures=1,
        ),
        replace(
            second,
            last_seen=date(2026, 3, 1),
            next_appointment=datetime(2026, 6, 1, 9, 30),
            risk_judgement="high",
            risk_assessed_on=date(2026, 1, 10),
        ),
        third,  # never seen, nothing booked, not assessed
    ]


def test_the_columns_a_clinician_scans_say_in_words_what_is_known(qtbot):
    view = CaseloadView(scanned_caseload, today=lambda: TODAY)
    qtbot.addWidget(view)
    proxy = view.proxy

    def texts(column: CaseloadColumn) -> list[str]:
        by_id = {proxy.index(r, 0).data(CaseloadRole.CLIENT_ID): r for r in range(3)}
        return [proxy.index(by_id[i], column).data() for i in (1, 2, 3)]

    assert texts(CaseloadColumn.LAST_SEEN) == ["20/05/2026", "01/03/2026", "Not yet"]
    assert texts(CaseloadColumn.NEXT_APPOINTMENT) == [
        "Wed 03/06/2026 14:00",
        "Mon 01/06/2026 09:30",
        "None booked",
    ]
    assert texts(CaseloadColumn.RISK) == ["Moderate", "High", "Not assessed"]
    assert texts(CaseloadColumn.UNSIGNED_NOTES) == ["2", "None", "None"]
    assert texts(CaseloadColumn.PROTECTIVE_MEASURES) == ["Yes (1)", "None", "None"]
    first = proxy.index(
        next(r for r in range(3) if proxy.index(r, 0).data(CaseloadRole.CLIENT_ID) == 1),
        CaseloadColumn.RISK,
    )
    assert first.data(Qt.ItemDataRole.ToolTipRole) == "From the risk assessment of 02 April 2026"
    assert first.data(Qt.ItemDataRole.AccessibleTextRole) == "Moderate"
    header = proxy.headerData(
        CaseloadColumn.PROTECTIVE_MEASURES, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert "Victims and others" in header


@pytest.mark.parametrize(
    ("column", "ascending"),
    [
        (CaseloadColumn.LAST_SEEN, [3, 2, 1]),  # longest since seen first
        (CaseloadColumn.NEXT_APPOINTMENT, [2, 1, 3]),  # soonest first, none booked last
        (CaseloadColumn.RISK, [3, 1, 2]),
        (CaseloadColumn.UNSIGNED_NOTES, [3, 2, 1]),  # ties keep the order by name
        (CaseloadColumn.PROTECTIVE_MEASURES, [3, 2, 1]),
    ],
)
def test_the_columns_a_clinician_scans_sort_by_value(qtbot, column, ascending):
    view = CaseloadView(scanned_caseload, today=lambda: TODAY)
    qtbot.addWidget(view)
    view.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    assert shown_ids(view.proxy) == ascending
    view.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    if column in (CaseloadColumn.LAST_SEEN, CaseloadColumn.NEXT_APPOINTMENT, CaseloadColumn.RISK):
        assert shown_ids(view.proxy) == ascending[::-1]
    view.search_box.setText("smith")  # the filter still works on the sorted lines
    assert shown_ids(view.proxy) == [2]
