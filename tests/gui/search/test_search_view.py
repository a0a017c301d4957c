"""The note search panel: searching as you type (after a pause) and on Enter, its states,
opening a result, and a model that passes Qt's checks. A fake search, no database."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QTableView

from clinic_app.errors import AccessDenied
from clinic_app.services.search import MAX_RESULTS, PAGE_SIZE, NoteHit, NotePage, Order, parse_query
from clinic_app.views.common.runner import Runner, use_runner
from clinic_app.views.search import panel as view
from clinic_app.views.search.panel import (
    NO_MATCHES,
    PROMPT_CASELOAD,
    PROMPT_ONE_CLIENT,
    SEARCHING,
    NoteHitModel,
    NoteSearchPanel,
    SearchColumn,
    SearchRole,
    marked_parts,
)
from tests.conftest import STAFF_PASSWORD
from tests.gui.record.test_keyboard import _visible_mnemonics
from tests.gui.stall import no_stalls


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
    """Records each search and answers a page of a fixed list (none for words with "zz")."""

    def __init__(self, hits: list[NoteHit] | None = None) -> None:
        self.calls: list[str] = []
        self.asked: list[tuple[str, Order, int]] = []
        self.hits = HITS if hits is None else hits
        self.error: Exception | None = None

    def __call__(
        self,
        text: str,
        *,
        order: Order = Order.NEWEST,
        offset: int = 0,
        limit: int = PAGE_SIZE,
    ) -> NotePage:
        self.calls.append(text)
        self.asked.append((text, order, offset))
        if self.error is not None:
            raise self.error
        found = [] if "zz" in text else list(self.hits)
        found = found[: MAX_RESULTS + 1]
        query = parse_query(text)
        return NotePage(
            tuple(found[offset : offset + limit]),
            offset,
            more=len(found) > offset + limit,
            order=order,
            short_word=query.short_word if query is not None else None,
        )


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
    assert fake.asked == [("social", Order.NEWEST, 0)]  # newest first unless asked
    # In the order the search returned them.
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


def many(count: int) -> list[NoteHit]:
    first = date(2026, 11, 30)
    return [hit(n, session_date=first - timedelta(days=n)) for n in range(1, count + 1)]


def note_ids(panel: NoteSearchPanel) -> list[int]:
    return [panel.proxy.index(r, 0).data(SearchRole.NOTE_ID) for r in range(panel.proxy.rowCount())]


def test_more_notes_come_a_page_at_a_time_below_the_first(qtbot):
    fake = FakeSearch(many(PAGE_SIZE * 2 + 20))
    widget = NoteSearchPanel(fake)
    qtbot.addWidget(widget)
    widget.show()
    widget.search_for("the")
    assert note_ids(widget) == list(range(1, PAGE_SIZE + 1))
    assert widget.count_label.text() == f"The {PAGE_SIZE} newest notes are shown; more notes match."
    assert widget.more_button.isVisible()

    qtbot.mouseClick(widget.more_button, Qt.MouseButton.LeftButton)
    assert fake.asked[-1] == ("the", Order.NEWEST, PAGE_SIZE)
    assert note_ids(widget) == list(range(1, 2 * PAGE_SIZE + 1))  # added below
    qtbot.mouseClick(widget.more_button, Qt.MouseButton.LeftButton)
    assert note_ids(widget) == list(range(1, 2 * PAGE_SIZE + 21))
    assert widget.count_label.text() == f"{2 * PAGE_SIZE + 20} notes found."
    assert not widget.more_button.isVisible()

    widget.search_for("then")  # a new search starts from its first page again
    assert fake.asked[-1] == ("then", Order.NEWEST, 0)
    assert widget.model.rowCount() == PAGE_SIZE


def test_at_the_cap_it_suggests_narrowing_the_search(qtbot):
    widget = NoteSearchPanel(FakeSearch(many(MAX_RESULTS + 40)))
    qtbot.addWidget(widget)
    widget.show()
    widget.search_for("the")
    while widget.more_button.isVisible():
        qtbot.mouseClick(widget.more_button, Qt.MouseButton.LeftButton)
    assert widget.model.rowCount() == MAX_RESULTS
    assert "Add a word to narrow the search" in widget.count_label.text()


def test_the_order_can_be_best_match_first_and_changing_it_searches_again(qtbot, panel, fake):
    panel.search_for("social")
    assert fake.asked == [("social", Order.NEWEST, 0)]
    panel.table.sortByColumn(SearchColumn.DATE, Qt.SortOrder.AscendingOrder)

    panel.set_order(Order.RELEVANCE)

    assert fake.asked[-1] == ("social", Order.RELEVANCE, 0)  # at once, no typing needed
    assert panel.order is Order.RELEVANCE
    assert note_ids(panel) == [101, 102, 103, 104]  # as the search gave, not by date
    assert panel.table.horizontalHeader().sortIndicatorSection() == -1
    qtbot.keyClicks(panel.search_box, " media")
    qtbot.waitUntil(lambda: fake.calls[-1] == "social media", timeout=2000)
    assert fake.asked[-1][1] is Order.RELEVANCE  # typing keeps the order chosen


def test_changing_the_order_before_typing_searches_nothing(panel, fake):
    panel.set_order(Order.RELEVANCE)
    assert fake.calls == []


def test_a_short_last_word_is_searched_whole_and_the_panel_says_why(qtbot, panel, fake):
    panel.search_for("gp")
    assert fake.calls == ["gp"]
    assert panel.word_hint.isVisible()
    assert "“gp” is searched as a whole word" in panel.word_hint.text()
    assert "at least 3 letters" in panel.word_hint.text()

    panel.search_for("gpzz")  # nothing found for a short word: the hint says why
    panel.search_for("zz")
    assert shown_message(panel) == NO_MATCHES
    assert "at least 3 letters" in panel.hint.text()

    panel.search_for("gps")  # three letters: a prefix, no hint
    assert not panel.word_hint.isVisible()


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


# -- off the GUI thread ----------------------------------------------------------------------


class SlowSearch(FakeSearch):
    """Holds the search for "soc" until released; each text finds its own notes."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.started = threading.Event()

    def __call__(self, text: str, **kwargs) -> NotePage:  # type: ignore[no-untyped-def, override]
        if text == "soc":
            self.started.set()
            self.release.wait(5)
        self.hits = [hit(1)] if text == "soc" else [hit(2), hit(3)]
        return super().__call__(text, **kwargs)


@pytest.fixture
def background(qtbot):  # type: ignore[no-untyped-def]
    """The application's runner: searches run on its worker thread."""
    made = Runner()
    previous = use_runner(made)
    yield made
    use_runner(previous)
    made.stop()


def test_each_keystroke_supersedes_the_search_before_it_and_typing_never_waits(qtbot, background):
    slow = SlowSearch()
    widget = NoteSearchPanel(slow)
    qtbot.addWidget(widget)
    widget.show()
    shown: list[list[int]] = []
    widget.model.modelReset.connect(lambda: shown.append(note_ids(widget)))

    with no_stalls():
        widget.search_for("soc")  # held on the worker thread
        assert slow.started.wait(5)
        assert widget.count_label.text() == SEARCHING
        qtbot.keyClicks(widget.search_box, "ial")  # typing goes on meanwhile
        qtbot.wait(view.DEBOUNCE_MS + 50)
        slow.release.set()
        qtbot.waitUntil(lambda: background.idle, timeout=5000)

    assert note_ids(widget) == [2, 3]  # the results for what is in the box
    assert [1] not in shown  # the older search's results were never shown
    assert slow.calls == ["soc", "social"]
    assert widget.count_label.text() == "2 notes found."


def test_clearing_the_box_drops_a_search_still_running(qtbot, background):
    slow = SlowSearch()
    widget = NoteSearchPanel(slow)
    qtbot.addWidget(widget)
    widget.search_for("soc")
    assert slow.started.wait(5)
    widget.search_box.clear()
    slow.release.set()
    qtbot.waitUntil(lambda: background.idle, timeout=5000)
    assert shown_message(widget) == PROMPT_CASELOAD
    assert widget.model.rowCount() == 0


def test_in_the_application_typing_a_search_never_freezes_the_window(qtbot, start, seeded):
    app = start(seeded, [("dr.jones", STAFF_PASSWORD)])
    window = app.window
    window._on_show_search()
    finder = window.search
    assert isinstance(finder, NoteSearchPanel)
    qtbot.waitExposed(finder)

    with no_stalls():
        qtbot.keyClicks(finder.search_box, "rumin")
        qtbot.waitUntil(lambda: finder.model.rowCount() > 0, timeout=10000)
        finder.set_order(Order.RELEVANCE)
        qtbot.waitUntil(lambda: app.runner.idle, timeout=10000)

    assert finder.model.rowCount() > 0
    assert all("«" in hit.snippet for hit in finder.model.items())
    clashes = {key: texts for key, texts in _visible_mnemonics(window).items() if len(texts) > 1}
    assert clashes == {}  # every Alt+letter on the search tab reaches one control
