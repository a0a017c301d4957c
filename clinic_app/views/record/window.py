"""One client's record: a header, the urgent-risk banner and the record's tabs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from clinic_app.services.clients import ClientSummary

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
        tabs: Sequence[tuple[str, QWidget]],
        *,
        banner: QWidget | None = None,
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
            changed = getattr(widget, "changed", None)
            if changed is not None:
                changed.connect(self._on_tab_changed)
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

    def tab(self, title: str) -> QWidget | None:
        """The tab whose title (without its mnemonic) is ``title``."""
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).replace("&", "") == title:
                return self.tabs.widget(i)
        return None

    def show_tab(self, title: str) -> QWidget | None:
        widget = self.tab(title)
        if widget is not None:
            self.tabs.setCurrentWidget(widget)
        return widget

    def reopen_form(
        self, tab: str, form: str, params: dict[str, Any], state: dict[str, Any]
    ) -> bool:
        """Open one of the record's forms again, as it was when the screen locked."""
        widget = self.show_tab(tab)
        reopen = getattr(widget, "reopen_form", None)
        if reopen is None:
            return False
        return bool(reopen(form, params, state))

    def refresh_all(self) -> None:
        for i in range(self.tabs.count()):
            refresh = getattr(self.tabs.widget(i), "refresh", None)
            if refresh is not None:
                refresh()
        self._refresh_banner()

    def prepare_to_lock(self) -> None:
        """Autosave whatever is being typed, before the record's widgets are destroyed."""
        for i in range(self.tabs.count()):
            save = getattr(self.tabs.widget(i), "save_drafts_now", None)
            if save is not None:
                save()

    def _refresh_banner(self) -> None:
        refresh = getattr(self.banner, "refresh", None)
        if refresh is not None:
            refresh()

    def _on_go_to_part(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        current = self.tabs.currentWidget()
        if current is not None:
            current.setFocus()

    def _on_tab_changed(self) -> None:
        source = self.sender()
        for i in range(self.tabs.count()):
            widget = self.tabs.widget(i)
            refresh = getattr(widget, "refresh", None)
            if widget is not source and refresh is not None:
                refresh()
        self._refresh_banner()
        if self._reload_client is not None:
            self.client = self._reload_client()
            self._show_header(self.client)
        self.record_changed.emit(self.client.id)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
