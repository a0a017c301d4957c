"""The note search panel: searching as you type (after a pause) and on Enter, its states,
opening a result, and a model that passes Qt's checks. A fake search, no database."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QTableView

from clinic_app.errors import AccessDenied
from clinic_app.services.search import DEFAULT_LIMIT, NoteHit
from clinic_app.views.search import panel as view
from clinic_app.views.search.panel import (
    NO_MATCHES,
    PROMPT_CASELOAD,
    PROMPT_ONE_CLIENT,
    NoteHitModel,
    NoteSearchPanel,
    SearchColumn,
    SearchRole,
    marked_parts,
)


def hit(note_id: int, client_id: int = 7, **changes) -> NoteHit:  # type: ignore[no-untyped-def]
    found = NoteHit(
        note_id=note_id,
        client_id=client_id,
        client_ref=f"MASIP-{client_id:04d}",
        client_name="HARGREAVES, Daniel",
        session_date=date(2026, 10, 14),
        snippet="Reports urges to check her «social» «media» most evenings.",
        is_signed=True,
        entered_in_error=False,
    )
    return dataclasses.replace(found, **changes)


HITS = [
    hit(101),
    hit(102, session_date=date(2026, 9, 30), is_signed=False, snippet="«Social» plan."),
    hit(103, client_id=12, client_name="OKAFOR, Chris", session_date=date(2026, 11, 2)),
    hit(104, client_id=3, client_name="BRENNAN, Lee", entered_in_error=True),
]


class FakeSearch:
    """Records each search and answers from a fixed list (none for words with "zz")."""

    def __init__(self, hits: list[NoteHit] | None = None) -> None:
        self.calls: list[str] = []
        self.hits = HITS if hits is None else hits
        self.error: Exception | None = None

    def __call__(self, text: str) -> list[NoteHit]:
        self.calls.append(text)
        if self.error is not None:
            raise self.error
        return [] if "zz" in text else list(self.hits)


@pytest.fixture
def fake() -> FakeSearch:
    return FakeSearch()


@pytest.fixture
def panel(qtbot, fake) -> NoteSearchPanel:  # type: ignore[no-untyped-def]
    widget = NoteSearchPanel(fake)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def shown_message(panel: NoteSearchPanel) -> str | None:
    """The message in place of the table, or None when the table is shown."""
    if panel.pages.currentWidget() is panel.table:
        return None
    return panel.message.text()


def texts(panel: NoteSearchPanel, column: SearchColumn) -> list[str]:
    proxy = panel.proxy
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


# -- the model -----------------------------------------------------------------------------


def test_the_model_passes_qts_checks(qtmodeltester):
    model = NoteHitModel()
    model.set_hits(HITS)
    qtmodeltester.check(model)
    model.set_hits([])
    qtmodeltester.check(model)


def test_the_model_shows_each_note_in_words():
    model = NoteHitModel()
    model.set_hits(HITS)

    def cell(row: int, column: SearchColumn, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return model.index(row, column).data(role)

    assert cell(0, SearchColumn.DATE) == "14/10/2026"
    assert cell(0, SearchColumn.CLIENT) == "HARGREAVES, Daniel (MASIP-0007)"
    assert cell(0, SearchColumn.EXCERPT) == HITS[0].snippet
    assert cell(0, SearchColumn.STATUS) == "Signed"
    assert cell(1, SearchColumn.STATUS) == "Draft"
    assert cell(3, SearchColumn.STATUS) == "Entered in error"
    assert cell(3, SearchColumn.EXCERPT, Qt.ItemDataRole.FontRole).italic()
    assert cell(2, SearchColumn.STATUS, SearchRole.NOTE_ID) == 103
    assert cell(2, SearchColumn.DATE, SearchRole.CLIENT_ID) == 12
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in SearchColumn] == [
        "Date",
        "Client",
        "Excerpt",
        "Status",
    ]


def test_an_excerpt_is_plain_text_even_when_it_looks_like_markup():
    sneaky = hit(1, snippet='<b>bold</b> <img src="x"> «plan» & co')
    model = NoteHitModel()
    model.set_hits([sneaky])
    index = model.index(0, SearchColumn.EXCERPT)

    assert index.data() == sneaky.snippet  # shown as typed
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "<b>bold" not in tip and "<img" not in tip
    assert "&lt;b&gt;bold&lt;/b&gt;" in tip


def test_marked_parts_split_an_excerpt_at_its_marks():
    assert marked_parts("a «b» c «d»") == [
        ("a ", False),
        ("«b»", True),
        (" c ", False),
        ("«d»", True),
    ]
    assert marked_parts("no marks") == [("no marks", False)]
    assert marked_parts("open « only") == [("open « only", False)]
    assert marked_parts("") == []


# -- states --------------------------------------------------------------------------------


def test_before_any_search_it_invites_typing(panel, fake):
    assert shown_message(panel) == PROMPT_CASELOAD
    assert panel.count_label.text() == ""
    assert fake.calls == []


def test_inside_a_record_it_speaks_of_this_client_and_hides_the_client_column(qtbot, fake):
    widget = NoteSearchPanel(fake, show_client=False)
    qtbot.addWidget(widget)
    assert shown_message(widget) == PROMPT_ONE_CLIENT
    widget.search_for("social")
    assert widget.table.isColumnHidden(SearchColumn.CLIENT)
    assert not widget.table.isColumnHidden(SearchColumn.EXCERPT)


def test_the_caseload_search_shows_the_client_column(panel):
    panel.search_for("social")
    assert not panel.table.isColumnHidden(SearchColumn.CLIENT)


def test_results_replace_the_message_and_are_counted(panel, fake):
    panel.search_for("social")

    assert shown_message(panel) is None
    assert panel.count_label.text() == "4 notes found."
    # Best match first, as the search returned them.
    assert [panel.proxy.index(r, 0).data(SearchRole.NOTE_ID) for r in range(4)] == [
        101,
        102,
        103,
        104,
    ]


def test_one_result_is_counted_in_the_singular(qtbot):
    widget = NoteSearchPanel(FakeSearch([hit(1)]))
    qtbot.addWidget(widget)
    widget.search_for("social")
    assert widget.count_label.text() == "1 note found."


def test_a_full_page_of_results_suggests_narrowing_the_search(qtbot):
    widget = NoteSearchPanel(FakeSearch([hit(n) for n in range(DEFAULT_LIMIT)]))
    qtbot.addWidget(widget)
    widget.search_for("the")
    assert "Add a word to narrow the search" in widget.count_label.text()


def test_no_match_says_so(panel):
    panel.search_for("zzquokka")
    assert shown_message(panel) == NO_MATCHES
    assert panel.hint.text()
    assert panel.count_label.text() == ""


def test_clearing_the_search_goes_back_to_the_invitation(qtbot, panel, fake):
    panel.search_for("social")
    panel.search_box.clear()
    assert shown_message(panel) == PROMPT_CASELOAD
    assert panel.model.rowCount() == 0
    qtbot.wait(view.DEBOUNCE_MS + 100)
    assert fake.calls == ["social"]  # clearing searched for nothing


def test_a_failed_search_is_shown_in_the_panel_and_keeps_the_text(qtbot, panel, fake):
    fake.error = AccessDenied("Administrators manage the system but do not read notes.")
    qtbot.keyClicks(panel.search_box, "social")
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)

    assert shown_message(panel) == view.SEARCH_FAILED
    assert panel.hint.text() == "Administrators manage the system but do not read notes."
    assert panel.search_box.text() == "social"
    assert panel.model.rowCount() == 0

    fake.error = None  # and the next search works again
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    assert shown_message(panel) is None


# -- searching as you type -----------------------------------------------------------------


def test_typing_searches_once_after_a_pause(qtbot, panel, fake):
    qtbot.keyClicks(panel.search_box, "social me")
    assert fake.calls == []  # not on every keystroke

    qtbot.waitUntil(lambda: fake.calls == ["social me"], timeout=2000)
    assert shown_message(panel) is None
    qtbot.wait(view.DEBOUNCE_MS + 100)
    assert fake.calls == ["social me"]  # and only once


def test_each_keystroke_restarts_the_wait(qtbot, panel, fake):
    qtbot.keyClicks(panel.search_box, "soc")
    qtbot.wait(view.DEBOUNCE_MS // 2)
    qtbot.keyClicks(panel.search_box, "ial")
    qtbot.wait(view.DEBOUNCE_MS // 2)
    assert fake.calls == []
    qtbot.waitUntil(lambda: fake.calls == ["social"], timeout=2000)


def test_enter_searches_at_once_and_again_on_request(qtbot, panel, fake):
    qtbot.keyClicks(panel.search_box, "social")
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    assert fake.calls == ["social"]  # no waiting
    assert shown_message(panel) is None

    qtbot.wait(view.DEBOUNCE_MS + 100)
    assert fake.calls == ["social"]  # the pending search was not run as well

    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    assert fake.calls == ["social", "social"]  # Enter searches again (e.g. after a save)


def test_blank_text_is_never_searched(qtbot, panel, fake):
    qtbot.keyClicks(panel.search_box, "   ")
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Return)
    qtbot.wait(view.DEBOUNCE_MS + 100)
    assert fake.calls == []
    assert shown_message(panel) == PROMPT_CASELOAD


# -- opening a note ------------------------------------------------------------------------


def test_double_click_opens_the_note(qtbot, panel):
    panel.search_for("social")
    index = panel.proxy.index(2, SearchColumn.EXCERPT)
    with qtbot.waitSignal(panel.note_activated) as signal:
        panel.table.doubleClicked.emit(index)
    assert signal.args == [12, 103]


def test_enter_on_a_result_opens_the_note(qtbot, panel):
    panel.search_for("social")
    panel.table.setFocus()
    panel.table.setCurrentIndex(panel.proxy.index(1, SearchColumn.DATE))
    with qtbot.waitSignal(panel.note_activated) as signal:
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert signal.args == [7, 102]


def test_down_from_the_search_box_reaches_the_first_result(qtbot, panel):
    panel.search_for("social")
    panel.search_box.setFocus()
    qtbot.keyClick(panel.search_box, Qt.Key.Key_Down)
    assert panel.table.hasFocus() or panel.table.currentIndex().isValid()
    assert panel.table.currentIndex().row() == 0
    with qtbot.waitSignal(panel.note_activated) as signal:
        qtbot.keyClick(panel.table, Qt.Key.Key_Enter)
    assert signal.args == [7, 101]


def test_sorting_by_date_still_opens_the_right_note(qtbot, panel):
    panel.search_for("social")
    panel.table.sortByColumn(SearchColumn.DATE, Qt.SortOrder.DescendingOrder)
    assert texts(panel, SearchColumn.DATE)[0] == "02/11/2026"
    with qtbot.waitSignal(panel.note_activated) as signal:
        panel.table.doubleClicked.emit(panel.proxy.index(0, SearchColumn.DATE))
    assert signal.args == [12, 103]


def test_an_invalid_index_opens_nothing(qtbot, panel):
    panel.search_for("social")
    with qtbot.assertNotEmitted(panel.note_activated):
        panel.table.doubleClicked.emit(QModelIndex())


# -- accessibility -------------------------------------------------------------------------


def test_every_control_has_an_accessible_name_and_the_box_a_mnemonic(panel):
    controls = (
        panel.findChildren(QLineEdit) + panel.findChildren(QLabel) + panel.findChildren(QTableView)
    )
    assert controls
    assert all(c.accessibleName() for c in controls)
    [label] = [lbl for lbl in panel.findChildren(QLabel) if lbl.buddy() is panel.search_box]
    assert "&" in label.text()


def test_ctrl_f_puts_the_cursor_in_the_search_box(qtbot, panel):
    panel.search_for("social")
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search_box.hasFocus()
    assert panel.search_box.selectedText() == "social"


def test_excerpts_are_drawn_with_their_matches_in_bold(qtbot, panel):
    panel.resize(900, 400)
    panel.search_for("social")
    panel.table.selectRow(1)
    painted = []
    original = panel.excerpts.paint

    def spy(painter, option, index):  # type: ignore[no-untyped-def]
        painted.append(index.row())
        original(painter, option, index)

    panel.excerpts.paint = spy  # type: ignore[method-assign]
    image = panel.grab()  # draws every visible cell, the selected row too
    assert not image.isNull()
    assert sorted(set(painted)) == [0, 1, 2, 3]
