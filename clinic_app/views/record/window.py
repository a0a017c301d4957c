"""One client's record: a header, the urgent-risk banner and the record's tabs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from clinic_app.services.clients import ClientSummary
from clinic_app.views.common.record_part import RecordBanner, RecordPart

# No mnemonics in the titles: Alt+letter belongs to the buttons inside each part, which
# would otherwise clash with them. The parts are reached with Alt+1, Alt+2... instead.
TAB_TITLES = ("Overview", "Plan", "Sessions", "Risk", "Referrals", "Measures", "Summaries")


class ClientRecordView(QWidget):
    """Hosts the record's tabs and keeps them in step.

    When any tab emits ``changed`` (it saved something), every other tab and the banner
    reload, so a risk event recorded from a session note shows at once on the Risk tab.

    Signals:
        record_changed(int): the client id, after any tab changed the record.
    """

    record_changed = Signal(int)

    def __init__(
        self,
        client: ClientSummary,
        tabs: Sequence[tuple[str, RecordPart]],
        *,
        banner: RecordBanner | None = None,
        reload_client: Callable[[], ClientSummary] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self._reload_client = reload_client
        self.setAccessibleName(f"Record of {client.display_name}")
        layout = QVBoxLayout(self)
        self.header = QLabel()
        self._show_header(client)
        layout.addWidget(self.header)
        self.banner = banner
        if banner is not None:
            layout.addWidget(banner)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Parts of the record")
        self.tabs.setDocumentMode(True)
        for position, (title, widget) in enumerate(tabs, start=1):
            index = self.tabs.addTab(widget, title.replace("&", ""))
            if position <= 9:
                keys = QKeySequence(f"Alt+{position}")
                self.tabs.setTabToolTip(index, f"{title.replace('&', '')} ({keys.toString()})")
                shortcut = QShortcut(keys, self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(lambda i=index: self._on_go_to_part(i))
            widget.changed.connect(self._on_tab_changed)
        layout.addWidget(self.tabs, stretch=1)

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

    def parts(self) -> list[RecordPart]:
        """The record's parts, in tab order."""
        return [
            w for i in range(self.tabs.count()) if isinstance(w := self.tabs.widget(i), RecordPart)
        ]

    def tab(self, title: str) -> RecordPart | None:
        """The tab whose title (without its mnemonic) is ``title``."""
        for i in range(self.tabs.count()):
            widget = self.tabs.widget(i)
            if self.tabs.tabText(i).replace("&", "") == title and isinstance(widget, RecordPart):
                return widget
        return None

    def show_tab(self, title: str) -> RecordPart | None:
        widget = self.tab(title)
        if widget is not None:
            self.tabs.setCurrentWidget(widget)
        return widget

    def reopen_form(
        self, tab: str, form: str, params: dict[str, Any], state: dict[str, Any]
    ) -> bool:
        """Open one of the record's forms again, as it was when the screen locked."""
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

    def _on_go_to_part(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        current = self.tabs.currentWidget()
        if current is not None:
            current.setFocus()

    def _on_tab_changed(self) -> None:
        source = self.sender()
        for part in self.parts():
            if part is not source:
                part.refresh()
        self._refresh_banner()
        if self._reload_client is not None:
            self.client = self._reload_client()
            self._show_header(self.client)
        self.record_changed.emit(self.client.id)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
