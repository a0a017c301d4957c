"""One client's record: a header, the urgent-risk banner and the record's tabs.

Opening a record never waits on the database. The record's tab appears at once saying
"Opening the record…"; the audited opening (which checks that the user may see the
record) runs on the background runner, and the header, the banner and the tabs are put in
place when it comes back. Each part of the record is built the first time it is shown, and
reads its own rows through the runner then: opening a record reads only what its first
visible part needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from clinic_app.errors import ClinicError
from clinic_app.services.clients import ClientSummary
from clinic_app.views.common.record_part import RecordBanner, RecordPart
from clinic_app.views.common.runner import runner

# No mnemonics in the titles: Alt+letter belongs to the buttons inside each part, which
# would otherwise clash with them. The parts are reached with Alt+1, Alt+2... instead.
# New parts go at the end, so the Alt+number people have learnt for each part stays the same.
TAB_TITLES = (
    "Overview",
    "Plan",
    "Sessions",
    "Risk",
    "Referrals",
    "Measures",
    "Summaries",
    "Victims and others",
)
# The Subject access part's title, here so that naming it in the record imports nothing of
# the part itself (its screens are imported when a first record is open).
SUBJECT_ACCESS_TITLE = "Subject access"

OPENING_TEXT = "Opening the record…"

# A part of the record, or what builds it the first time it is shown.
PartMaker = Callable[[], QWidget]


class PartHolder(QWidget):
    """A tab's page: holds its part, which is built the first time the tab is shown."""

    def __init__(self, title: str, part: QWidget | PartMaker) -> None:
        super().__init__()
        self.title = title
        self.setAccessibleName(title)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._maker: PartMaker | None = None
        self.part: QWidget | None = None
        if isinstance(part, QWidget):
            self._put(part)
        else:
            self._maker = part

    @property
    def built(self) -> bool:
        return self.part is not None

    def build(self) -> QWidget:
        """The part, built now if it has not been yet."""
        if self.part is None:
            assert self._maker is not None
            maker, self._maker = self._maker, None
            self._put(maker())
        assert self.part is not None
        return self.part

    def _put(self, part: QWidget) -> None:
        self.part = part
        self._layout.addWidget(part)


class ClientRecordView(QWidget):
    """Hosts the record's tabs and keeps them in step.

    Built with a ``ClientSummary`` it is open at once; built with :meth:`opening` it shows
    "Opening the record…" until :meth:`start_opening` has read the client on the runner.
    Each tab is a part, or a callable that builds it the first time the tab is shown.

    When any part emits ``changed`` (it saved something), every other part that is built
    and the banner reload, so a risk event recorded from a session note shows at once on
    the Risk tab.

    Signals:
        opened(): the client was read and the tabs are in place.
        open_failed(object): the record could not be opened (the ``ClinicError``, such as
            ``EmergencyAccessRequired``); the view stays empty and should be closed.
        record_changed(int): the client id, after any tab changed the record.
    """

    opened = Signal()
    open_failed = Signal(object)
    record_changed = Signal(int)

    def __init__(
        self,
        client: ClientSummary | int,
        tabs: Sequence[tuple[str, QWidget | PartMaker]],
        *,
        banner: RecordBanner | Callable[[], RecordBanner] | None = None,
        reload_client: Callable[[], ClientSummary] | None = None,
        open_client: Callable[[], ClientSummary] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client_id = client.id if isinstance(client, ClientSummary) else client
        self.client: ClientSummary | None = None
        self._reload_client = reload_client
        self._open_client = open_client
        self._banner_maker = banner
        self.banner: RecordBanner | None = None
        self._waiting: list[Callable[[ClientRecordView], object]] = []
        self._opening = False
        self.setAccessibleName(OPENING_TEXT)

        self.pages = QStackedWidget()
        self.opening_label = QLabel(OPENING_TEXT)
        self.opening_label.setAccessibleName(OPENING_TEXT)
        self.opening_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(self.opening_label)
        self.record_page = QWidget()
        self._page_layout = QVBoxLayout(self.record_page)
        self._page_layout.setContentsMargins(0, 0, 0, 0)
        self.pages.addWidget(self.record_page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)

        self.header = QLabel()
        self._page_layout.addWidget(self.header)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Parts of the record")
        self.tabs.setDocumentMode(True)
        for position, (named, part) in enumerate(tabs, start=1):
            title = named.replace("&", "")
            index = self.tabs.addTab(PartHolder(title, part), title)
            if position <= 9:
                keys = QKeySequence(f"Alt+{position}")
                self.tabs.setTabToolTip(index, f"{title} ({keys.toString()})")
                shortcut = QShortcut(keys, self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(lambda i=index: self._on_go_to_part(i))
            if isinstance(part, QWidget):
                self._adopt(part)
        self.tabs.currentChanged.connect(self._on_current_changed)
        self._page_layout.addWidget(self.tabs, stretch=1)
        if isinstance(client, ClientSummary):
            self._show_open(client)

    @classmethod
    def opening(
        cls,
        client_id: int,
        open_client: Callable[[], ClientSummary],
        tabs: Sequence[tuple[str, QWidget | PartMaker]],
        *,
        banner: RecordBanner | Callable[[], RecordBanner] | None = None,
        reload_client: Callable[[], ClientSummary] | None = None,
    ) -> ClientRecordView:
        """A record still to be opened: ``open_client`` is the audited opening, run on the
        runner by :meth:`start_opening`."""
        return cls(
            client_id, tabs, banner=banner, reload_client=reload_client, open_client=open_client
        )

    # -- opening -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.client is not None

    def start_opening(self) -> None:
        """Read the client on the runner (once); ``opened`` or ``open_failed`` follows."""
        if self.is_open or self._opening or self._open_client is None:
            return
        self._opening = True
        runner().run(
            self._open_client,
            self._show_open,
            key=f"open-record:{self.client_id}",
            parent=self,
            failed=self._on_open_failed,
        )
        # The first part is built now, behind "Opening the record…": what it reads is
        # asked for after the audited opening (the runner keeps the order) and is read
        # while this thread builds its widgets. If the opening is refused, so is its read.
        self._build_current(opening=True)

    def when_open(self, then: Callable[[ClientRecordView], object]) -> None:
        """Run ``then`` with this view once it is open (at once if it is already)."""
        if self.is_open:
            then(self)
        else:
            self._waiting.append(then)

    def _show_open(self, client: ClientSummary) -> None:
        self._opening = False
        self.client = client
        self.setAccessibleName(f"Record of {client.display_name}")
        self._show_header(client)
        maker = self._banner_maker
        self._banner_maker = None
        if maker is not None:
            banner = maker if isinstance(maker, RecordBanner) else maker()
            self.banner = banner
            self._page_layout.insertWidget(1, banner)
        self.pages.setCurrentWidget(self.record_page)
        self._build_current()
        self.opened.emit()
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then(self)

    def _on_open_failed(self, error: ClinicError) -> None:
        self._opening = False
        self._waiting = []
        self.open_failed.emit(error)

    def _show_header(self, client: ClientSummary) -> None:
        demo = "  <b>[DEMO RECORD]</b>" if client.is_demo else ""
        nhs = client.nhs_number or "no NHS number"
        if client.nhs_number and len(client.nhs_number) == 10:
            nhs = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
        self.header.setText(
            f"<span style='font-size: 14pt'><b>{_escape(client.display_name)}</b></span>"
            f"  &nbsp; {_escape(client.local_ref)} &nbsp;·&nbsp; born "
            f"{client.date_of_birth:%d/%m/%Y} &nbsp;·&nbsp; NHS {nhs}{demo}"
        )
        self.header.setAccessibleName(
            f"{client.display_name}, case reference {client.local_ref}"
            + (", demo record" if client.is_demo else "")
        )

    # -- the parts ---------------------------------------------------------------------------

    def _holders(self) -> list[PartHolder]:
        return [
            w for i in range(self.tabs.count()) if isinstance(w := self.tabs.widget(i), PartHolder)
        ]

    def _adopt(self, part: QWidget) -> None:
        if isinstance(part, RecordPart):
            part.changed.connect(self._on_tab_changed)

    def _build(self, holder: PartHolder) -> QWidget:
        if holder.built:
            assert holder.part is not None
            return holder.part
        part = holder.build()
        self._adopt(part)
        return part

    def _build_current(self, *, opening: bool = False) -> None:
        holder = self.tabs.currentWidget()
        if isinstance(holder, PartHolder) and (self.is_open or opening):
            self._build(holder)

    def parts(self) -> list[RecordPart]:
        """The record's parts built so far, in tab order (the others have nothing to keep
        or refresh: they read the record when first shown)."""
        return [h.part for h in self._holders() if isinstance(h.part, RecordPart)]

    def tab(self, title: str) -> RecordPart | None:
        """The part whose title (without its mnemonic) is ``title``, built if need be."""
        for holder in self._holders():
            if holder.title == title:
                part = self._build(holder)
                return part if isinstance(part, RecordPart) else None
        return None

    def widget_of(self, title: str) -> QWidget | None:
        """The widget of the tab titled ``title`` (a part or another panel), built if need be."""
        for holder in self._holders():
            if holder.title == title:
                return self._build(holder)
        return None

    def current_part(self) -> QWidget | None:
        """The part (or panel) of the tab shown now."""
        holder = self.tabs.currentWidget()
        return holder.part if isinstance(holder, PartHolder) else holder

    def show_tab(self, title: str) -> RecordPart | None:
        for holder in self._holders():
            if holder.title == title:
                self._build(holder)
                self.tabs.setCurrentWidget(holder)
                part = holder.part
                return part if isinstance(part, RecordPart) else None
        return None

    def reopen_form(
        self, tab: str, form: str, params: dict[str, Any], state: dict[str, Any]
    ) -> bool:
        """Open one of the record's forms again, as it was when the screen locked.

        False when the part has no such form. A form over data its part is still reading
        opens when the data arrives (and says so if what it was about has gone).
        """
        part = self.show_tab(tab)
        if part is None:
            return False
        return part.reopen_form(form, params, state)

    def refresh_all(self) -> None:
        for part in self.parts():
            part.refresh()
        self._refresh_banner()

    def prepare_to_lock(self) -> None:
        """Autosave whatever is being typed, before the record's widgets are destroyed."""
        for part in self.parts():
            part.save_drafts_now()

    def _refresh_banner(self) -> None:
        if self.banner is not None:
            self.banner.refresh()

    def _on_current_changed(self, _index: int) -> None:
        self._build_current()

    def _on_go_to_part(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        current = self.tabs.currentWidget()
        if isinstance(current, PartHolder) and current.part is not None:
            current.part.setFocus()
        elif current is not None:
            current.setFocus()

    def _on_tab_changed(self) -> None:
        source = self.sender()
        for part in self.parts():
            if part is not source:
                part.refresh()
        self._refresh_banner()
        if self._reload_client is not None:
            runner().run(
                self._reload_client,
                self._on_client_reloaded,
                key=f"record-header:{self.client_id}",
                parent=self,
            )
        else:
            self.record_changed.emit(self.client_id)

    def _on_client_reloaded(self, client: ClientSummary) -> None:
        self.client = client
        self._show_header(client)
        self.record_changed.emit(client.id)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
