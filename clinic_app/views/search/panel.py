"""Searching session notes: a search box, the notes found, and a way into each one.

The same panel serves the whole caseload (every client the user works with) and a single
client's record (the app binds the client's id into the search callable and hides the
Client column). It searches as the user types: each keystroke supersedes the search
before it (one runner key per panel, so an older search's results are dropped, never
shown over newer text), and the search starts after a short pause in typing, or at once
on Enter. Searches run on the background runner (``views/common/runner.py``), so the
window never waits on the database.

Results come newest first, or best match first when the user chooses it, a page at a
time with "Show more" while more notes match. A last word of one or two letters is
searched as a whole word ("GP", "DV"), and the panel says that three letters are needed
to match the start of longer words. Each result shows the session date, the client, a
short excerpt with the words found between « and » (and in bold), and whether the note
is a draft, signed or entered in error. Enter or a double-click on a result opens the
note.

Excerpts are clinical text and are only ever shown as plain text: the table draws them
itself, and tooltips escape them, so nothing a note contains can be read as markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from enum import IntEnum
from functools import partial
from typing import Any, Protocol

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.services.search import (
    MARK_CLOSE,
    MARK_OPEN,
    MAX_RESULTS,
    MIN_PREFIX_CHARS,
    PAGE_SIZE,
    NoteHit,
    NotePage,
    Order,
)
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import ListTableModel, OpenableTable

AnyIndex = QModelIndex | QPersistentModelIndex

DEBOUNCE_MS = 150  # a pause in typing this long starts the search

PROMPT_CASELOAD = "Type to search your notes."
PROMPT_ONE_CLIENT = "Type to search this client's notes."
PLACEHOLDER_CASELOAD = "Words from any session note of your clients"
PLACEHOLDER_ONE_CLIENT = "Words from any of this client's session notes"
NO_MATCHES = "No notes match."
NO_MATCHES_HINT = "Check the spelling, or use fewer words."
SHORT_WORD_HINT = (
    "“{word}” is searched as a whole word. Type at least {n} letters to find words "
    "that begin with them."
)
SEARCHING = "Searching…"
SEARCH_FAILED = "The notes could not be searched."
ERROR_STYLE = "color: #a4000f;"  # dark red, 7:1 on white; the words say it too

STATUS_SIGNED = "Signed"
STATUS_DRAFT = "Draft"
STATUS_IN_ERROR = "Entered in error"


ORDER_CHOICES = ((Order.NEWEST, "Newest first"), (Order.RELEVANCE, "Best match first"))


class SearchNotes(Protocol):
    """A page of the notes holding the words typed (``search.search_notes``, bound)."""

    def __call__(
        self, text: str, *, order: Order = ..., offset: int = ..., limit: int = ...
    ) -> NotePage: ...


def count_text(shown: int, page: NotePage) -> str:
    """What the count line says when ``shown`` notes are listed and ``page`` was the last."""
    if not page.more:
        return "1 note found." if shown == 1 else f"{shown} notes found."
    which = "newest notes" if page.order is Order.NEWEST else "best matches"
    if page.can_show_more:
        return f"The {shown} {which} are shown; more notes match."
    return f"The {shown} {which} are shown. Add a word to narrow the search."


def short_word_hint(word: str) -> str:
    return SHORT_WORD_HINT.format(word=word, n=MIN_PREFIX_CHARS)


def status_text(hit: NoteHit) -> str:
    """A note's state in words: entered in error outranks signed."""
    if hit.entered_in_error:
        return STATUS_IN_ERROR
    return STATUS_SIGNED if hit.is_signed else STATUS_DRAFT


def marked_parts(snippet: str) -> list[tuple[str, bool]]:
    """The excerpt cut into (text, is_a_match) parts; the « » marks stay in the text."""
    parts: list[tuple[str, bool]] = []
    rest = snippet
    while rest:
        start = rest.find(MARK_OPEN)
        end = rest.find(MARK_CLOSE, start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            parts.append((rest, False))
            break
        if start:
            parts.append((rest[:start], False))
        parts.append((rest[start : end + 1], True))
        rest = rest[end + 1 :]
    return parts


class SearchColumn(IntEnum):
    """The result table's columns, in order."""

    DATE = 0
    CLIENT = 1
    EXCERPT = 2
    STATUS = 3


HEADERS: dict[SearchColumn, str] = {
    SearchColumn.DATE: "Date",
    SearchColumn.CLIENT: "Client",
    SearchColumn.EXCERPT: "Excerpt",
    SearchColumn.STATUS: "Status",
}
HEADER_TIPS: dict[SearchColumn, str] = {
    SearchColumn.DATE: "The date of the session",
    SearchColumn.EXCERPT: "Where the words were found, between « and ». Sort by this "
    "column to put the notes back in the order chosen (newest or best match first).",
    SearchColumn.STATUS: "Draft, signed, or entered in error",
}


class SearchRole(IntEnum):
    """Item data roles beyond Qt's own."""

    SORT = Qt.ItemDataRole.UserRole + 1  # values that sort properly: dates as dates
    NOTE_ID = Qt.ItemDataRole.UserRole + 2  # the note's id, on every column
    CLIENT_ID = Qt.ItemDataRole.UserRole + 3  # the client's id, on every column


class NoteHitModel(ListTableModel[NoteHit]):
    """The notes found, in the order asked for, one per row (columns: :class:`SearchColumn`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(SearchColumn, HEADERS, parent, header_tips=HEADER_TIPS)

    def set_hits(self, hits: Sequence[NoteHit]) -> None:
        self.reset_items(hits)

    def add_hits(self, hits: Sequence[NoteHit]) -> None:
        """Append the next page below the rows already shown."""
        if hits:
            first = len(self._items)
            self.beginInsertRows(QModelIndex(), first, first + len(hits) - 1)
            self._items.extend(hits)
            self.endInsertRows()

    def hit(self, row: int) -> NoteHit:
        return self.item(row)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        if not 0 <= index.row() < len(self._items):
            return None
        hit = self._items[index.row()]
        column = SearchColumn(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(hit, column)
        if role == SearchRole.SORT:
            return self._sort_key(hit, column, index.row())
        if role == SearchRole.NOTE_ID:
            return hit.note_id
        if role == SearchRole.CLIENT_ID:
            return hit.client_id
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(hit, column)
        if role == Qt.ItemDataRole.FontRole and hit.entered_in_error:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    @staticmethod
    def _text(hit: NoteHit, column: SearchColumn) -> str:
        match column:
            case SearchColumn.DATE:
                return hit.session_date.strftime("%d/%m/%Y")
            case SearchColumn.CLIENT:
                return f"{hit.client_name} ({hit.client_ref})"
            case SearchColumn.EXCERPT:
                return hit.snippet
            case SearchColumn.STATUS:
                return status_text(hit)

    @staticmethod
    def _sort_key(hit: NoteHit, column: SearchColumn, rank: int) -> Any:
        match column:
            case SearchColumn.DATE:
                return hit.session_date.toordinal()
            case SearchColumn.CLIENT:
                return f"{hit.client_name.casefold()}\t{hit.client_ref}"
            case SearchColumn.EXCERPT:
                return rank  # the excerpt column sorts in the order the search gave
            case SearchColumn.STATUS:
                return status_text(hit)

    @staticmethod
    def _tooltip(hit: NoteHit, column: SearchColumn) -> str | None:
        if column == SearchColumn.EXCERPT:
            # Rich text on purpose, with the note's words escaped: a tooltip would
            # otherwise guess, and could take a note's "<b>" for markup.
            return f"<p>{html.escape(hit.snippet)}</p>"
        if column == SearchColumn.DATE:
            return f"Session on {hit.session_date.strftime('%A %d %B %Y')}"
        return None


class ExcerptDelegate(QStyledItemDelegate):
    """Draws an excerpt as plain text with the words found in bold (their « » kept)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or MARK_OPEN not in text:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the background, focus and selection only; the text is drawn here
        style = opt.widget.style() if opt.widget is not None else None
        if style is None:
            super().paint(painter, option, index)
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        area = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        area = area.adjusted(3, 0, -3, 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = opt.palette.currentColorGroup()
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setPen(opt.palette.color(group, role))
        painter.setClipRect(area)
        x = area.left()
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        for part, is_match in marked_parts(text):
            font = QFont(opt.font)
            font.setBold(is_match)
            metrics = QFontMetrics(font)
            room = area.right() - x
            if room <= 0:
                break
            shown = part
            width = metrics.horizontalAdvance(part)
            if width > room:
                shown = metrics.elidedText(part, Qt.TextElideMode.ElideRight, room)
                width = room
            painter.setFont(font)
            painter.drawText(QRect(x, area.top(), width + 1, area.height()), flags, shown)
            x += width
        painter.restore()


class NoteSearchPanel(RecordPart):
    """Search session notes as you type, and open a note from the results.

    ``search`` returns a page of the notes holding the words typed
    (``workspace.bind(search.search_notes)`` in the app, with the client's id bound
    inside a client's record; a fake in tests). It runs on the background runner; a
    :class:`ClinicError` it raises is shown in the panel, not in a dialog, so typing is
    never interrupted.

    Signals:
        note_activated(int, int): the user opened a result (Enter or double-click): the
            client's id and the note's id.
    """

    note_activated = Signal(int, int)

    def __init__(
        self,
        search: SearchNotes,
        parent: QWidget | None = None,
        *,
        show_client: bool = True,
    ) -> None:
        super().__init__(parent)
        self._search = search
        self._show_client = show_client
        # One key per panel: a newer search supersedes an older one still running.
        self._key = f"note-search:{id(self)}"
        self._searched: tuple[str, Order] | None = None  # what the results are for
        self._last_page: NotePage | None = None
        self.setAccessibleName("Search session notes")

        self.search_box = QLineEdit()
        placeholder = PLACEHOLDER_CASELOAD if show_client else PLACEHOLDER_ONE_CLIENT
        self.search_box.setPlaceholderText(placeholder)
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName("Search session notes")
        self.search_box.setAccessibleDescription(
            "Type words from a note; results appear as you type. Press Enter to search "
            "now, and Down to move to the results."
        )
        self.search_box.setToolTip(f"{placeholder} (Ctrl+F)")
        self.search_box.installEventFilter(self)
        label = QLabel("Search &notes:")
        label.setAccessibleName("Search notes")
        label.setBuddy(self.search_box)

        self.order_box = QComboBox()
        for order, title in ORDER_CHOICES:
            self.order_box.addItem(title, order.value)
        self.order_box.setAccessibleName("Order of the notes found")
        self.order_box.setToolTip("Newest session first, or the best matches first")
        order_label = QLabel("&Order:")
        order_label.setAccessibleName("Order")
        order_label.setBuddy(self.order_box)

        self.model = NoteHitModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SearchRole.SORT)

        self.table = OpenableTable()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Notes found")
        self.table.setAccessibleDescription("Press Enter to open the selected note.")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move in it
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.excerpts = ExcerptDelegate(self.table)
        self.table.setItemDelegateForColumn(SearchColumn.EXCERPT, self.excerpts)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(SearchColumn.EXCERPT, QHeaderView.ResizeMode.Stretch)
        # In the order the search gave (newest or best first) until the user sorts.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setColumnHidden(SearchColumn.CLIENT, not show_client)
        metrics = self.table.fontMetrics()
        self.table.setColumnWidth(SearchColumn.DATE, metrics.horizontalAdvance("00/00/0000") + 28)
        self.table.setColumnWidth(
            SearchColumn.CLIENT, metrics.horizontalAdvance("WWWWWWWWW, Alexandra (MASIP-0000)")
        )
        self.table.setColumnWidth(
            SearchColumn.STATUS, metrics.horizontalAdvance(STATUS_IN_ERROR) + 36
        )

        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAccessibleName("Search message")
        larger = self.message.font()
        larger.setPointSizeF(larger.pointSizeF() * 1.2)
        self.message.setFont(larger)
        self.hint = QLabel()
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setAccessibleName("Search hint")
        message_page = QWidget()
        message_layout = QVBoxLayout(message_page)
        message_layout.addStretch(1)
        message_layout.addWidget(self.message)
        message_layout.addWidget(self.hint)
        message_layout.addStretch(2)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(message_page)

        # Above the results: why a short word found what it found.
        self.word_hint = QLabel()
        self.word_hint.setWordWrap(True)
        self.word_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.word_hint.setAccessibleName("About the last word")
        self.word_hint.hide()

        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.count_label.setAccessibleName("Number of notes found")
        self.more_button = QPushButton("Show &more")
        self.more_button.setAccessibleName("Show more notes")
        self.more_button.setToolTip(f"The next {PAGE_SIZE} notes (up to {MAX_RESULTS})")
        self.more_button.hide()

        bar = QHBoxLayout()
        bar.addWidget(label)
        bar.addWidget(self.search_box, 1)
        bar.addWidget(order_label)
        bar.addWidget(self.order_box)
        foot = QHBoxLayout()
        foot.addWidget(self.count_label, 1)
        foot.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.word_hint)
        layout.addWidget(self.pages, 1)
        layout.addLayout(foot)
        self.setTabOrder(self.search_box, self.order_box)
        self.setTabOrder(self.order_box, self.table)
        self.setTabOrder(self.table, self.more_button)
        self.setFocusProxy(self.search_box)  # focusing the panel puts the cursor in the box

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._on_pause_in_typing)

        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self._on_find)

        self.search_box.textChanged.connect(self._on_text_changed)
        self.search_box.returnPressed.connect(self._on_search_now)
        self.order_box.currentIndexChanged.connect(self._on_order_changed)
        self.more_button.clicked.connect(self._on_show_more)
        self.table.open_requested.connect(self._on_result_chosen)
        self.table.doubleClicked.connect(self._on_result_chosen)

        self._clear(self.prompt)

    # -- searching -------------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        return PROMPT_CASELOAD if self._show_client else PROMPT_ONE_CLIENT

    @property
    def order(self) -> Order:
        chosen = self.order_box.currentData()  # Qt hands the value back as a plain str
        return Order(chosen) if chosen in tuple(Order) else Order.NEWEST

    def set_order(self, order: Order) -> None:
        """Newest first or best match first (as the Order box does)."""
        self.order_box.setCurrentIndex(self.order_box.findData(order.value))

    def search_for(self, text: str) -> None:
        """Search now for ``text`` (also what Enter does), putting it in the search box."""
        if self.search_box.text() != text:
            self.search_box.setText(text)
        self._run(text)

    def _run(self, text: str, offset: int = 0) -> None:
        """Ask the runner for a page of notes; a newer request supersedes this one."""
        self.timer.stop()
        if not text.strip():
            self._show_prompt()
            return
        order = self.order
        self.count_label.setText(SEARCHING)
        runner().run(
            partial(self._search, text, order=order, offset=offset, limit=PAGE_SIZE),
            partial(self._on_page, text),
            key=self._key,
            parent=self,
            failed=self._on_failed,
        )

    def _on_page(self, text: str, page: NotePage) -> None:
        """A page arrived (on the GUI thread): show it, or add it below the last one."""
        more_of_the_same = page.offset > 0 and self._searched == (text, page.order)
        self._searched = (text, page.order)
        self._last_page = page
        if more_of_the_same:
            first_new = self.model.rowCount()
            self.model.add_hits(page.hits)
            if page.hits:
                row = self.proxy.mapFromSource(self.model.index(first_new, 0))
                self.table.scrollTo(row)
        else:
            self.model.set_hits(page.hits)
            self.table.scrollToTop()
        shown = self.model.rowCount()
        short = page.short_word
        self.word_hint.setText(short_word_hint(short) if short else "")
        self.word_hint.setVisible(bool(short) and shown > 0)
        self.more_button.setVisible(page.can_show_more)
        if shown:
            self.pages.setCurrentWidget(self.table)
            self.count_label.setText(count_text(shown, page))
        else:
            hint = short_word_hint(short) if short else NO_MATCHES_HINT
            self._show_message(NO_MATCHES, hint)
            self.count_label.clear()

    def _on_failed(self, error: ClinicError) -> None:
        # Shown in the panel: a dialog would steal the keyboard mid-word. The text typed
        # stays as it was.
        self._clear(SEARCH_FAILED)
        self._show_message(SEARCH_FAILED, error.message, error=True)

    def _show_prompt(self) -> None:
        runner().cancel(self._key)  # a search still running is for text no longer there
        self._clear(self.prompt)

    def _clear(self, message: str) -> None:
        self._searched = None
        self._last_page = None
        self.model.set_hits([])
        self.word_hint.hide()
        self.more_button.hide()
        self._show_message(message, "")
        self.count_label.clear()

    def _show_count(self) -> None:
        """The count line for the results shown (after a search for new text was dropped)."""
        page = self._last_page
        shown = self.model.rowCount()
        self.count_label.setText(count_text(shown, page) if page is not None and shown else "")

    def _show_message(self, text: str, hint: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.hint.setText(hint)
        self.hint.setStyleSheet(ERROR_STYLE if error else "")
        self.hint.setVisible(bool(hint))
        self.pages.setCurrentIndex(1)

    def _on_text_changed(self, text: str) -> None:
        if not text.strip():
            self.timer.stop()
            self._show_prompt()
            return
        runner().cancel(self._key)  # the text changed: a search for the old text is stale
        self.timer.start()  # restarts: the search waits for a pause in typing

    def _on_pause_in_typing(self) -> None:
        text = self.search_box.text()
        if (text, self.order) != self._searched:
            self._run(text)
        else:  # typed and undone: the results shown are for this text already
            self._show_count()

    def _on_search_now(self) -> None:
        self._run(self.search_box.text())

    def _on_order_changed(self) -> None:
        # Back to the order the search gives, and search again at once in that order.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        if self.search_box.text().strip():
            self._run(self.search_box.text())

    def _on_show_more(self) -> None:
        page = self._last_page
        if page is None or self._searched is None or not page.can_show_more:
            return
        text, _ = self._searched
        self._run(text, offset=self.model.rowCount())

    def _on_find(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    # -- opening a note --------------------------------------------------------------------

    def _on_result_chosen(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        hit = self.model.hit(self.proxy.mapToSource(index).row())
        self.note_activated.emit(hit.client_id, hit.note_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down in the search box moves to the results, so the keyboard path is short.
        if (
            watched is self.search_box
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.pages.currentWidget() is self.table
            and self.proxy.rowCount() > 0
        ):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.proxy.index(0, SearchColumn.DATE))
            self.table.selectRow(self.table.currentIndex().row())
            return True
        return super().eventFilter(watched, event)
