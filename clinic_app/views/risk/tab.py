"""The Risk tab, the risk event and share decision dialogs, and the urgent-risk banner.

A risk event keeps two texts apart: the private detail, which never leaves the record, and
a shareable statement written for partner agencies. Every event needs a share decision
(shared or not, why, under which legal gateway, with whom); urgent events without one put
a banner on the record that cannot be dismissed until the decision is recorded.

Dialogs are run through :func:`exec_dialog` so tests can drive them without a modal loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    Qt,
)
from PySide6.QtGui import QAccessible, QAccessibleEvent, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.models.enums import ShareDecisionKind, Urgency
from clinic_app.services.risk import RiskEventRow, ShareDecisionRow
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.list_tab import (
    details_pane,
    empty_state_label,
    rows_table,
    sorted_by,
)
from clinic_app.views.common.record_part import RecordBanner, RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import ProxyRows
from clinic_app.views.common.widgets import exec_dialog
from clinic_app.views.risk.actions import RiskActions
from clinic_app.views.risk.dialogs import RiskEventDialog, ShareDecisionDialog, name_of_staff
from clinic_app.views.risk.models import (
    AWAITING_DECISION,
    BANNER_BACKGROUND,
    BANNER_FOCUS,
    BANNER_TEXT,
    NO_EVENTS,
    RiskColumn,
    RiskEventModel,
    decision_words,
    event_title,
    html_text,
    long_date,
    when_text,
)
from clinic_app.wording import (
    GATEWAY_WORDS,
    RISK_EVENT_DESCRIBED,
    RISK_URGENCY_EXPLAINED,
    RISK_URGENCY_WORDS,
)

# -- the urgent-risk banner --------------------------------------------------------------------


class UrgentRiskBanner(RecordBanner):
    """A band across the record while urgent risk events await a share decision.

    It is shown only when there are such events, names each (kind and date), and offers to
    record the decision for the first. It has no close button and refuses to be hidden
    while events remain undecided. It says URGENT in words and with a warning icon, in
    white on dark red (10:1), so neither colour nor sight alone carries the message.

    Give it a parent or put it in a record's layout: it never pops up as a window.

    Signals: none; ``open_decision`` is called with the event to decide.
    """

    MAX_LISTED = 5

    def __init__(
        self,
        load_urgent: Callable[[], list[RiskEventRow]],
        open_decision: Callable[[RiskEventRow], object],
        parent: QWidget | None = None,
        *,
        known: list[RiskEventRow] | None = None,
    ) -> None:
        """``known``: the urgent events as just read (with the record's opening); without
        them the banner reads them itself."""
        self._needed = False
        super().__init__(parent)
        self._load_urgent = load_urgent
        self._open_decision = open_decision
        self.events: list[RiskEventRow] = []
        self.setObjectName("urgentRiskBanner")
        self.setAccessibleName("Urgent risk alert")
        # The band's look and words are made the first time it has something to say: most
        # records have no urgent event, and building and styling them was about a tenth of
        # opening a record.
        self._built = False
        if known is None:
            self.refresh()
        else:
            self._show_events(known)

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet(
            f"QFrame#urgentRiskBanner {{ background: {BANNER_BACKGROUND};"
            f" border: 3px solid #000000; }}"
            f" QFrame#urgentRiskBanner QLabel {{ color: {BANNER_TEXT}; background: transparent; }}"
            f" QFrame#urgentRiskBanner QPushButton {{ background: {BANNER_TEXT};"
            f" color: {BANNER_BACKGROUND}; font-weight: bold; padding: 6px 14px;"
            f" border: 3px solid {BANNER_TEXT}; border-radius: 3px; }}"
            f" QFrame#urgentRiskBanner QPushButton:focus {{ border: 3px solid {BANNER_FOCUS}; }}"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        self.icon = QLabel()
        style = self.style() or QApplication.style()
        self.icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40)
        )
        self.icon.setAccessibleName("Warning")
        row.addWidget(self.icon, alignment=Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        self.title.setAccessibleName("Urgent risk events")
        words.addWidget(self.title)
        self.listing = QLabel()
        self.listing.setTextFormat(Qt.TextFormat.PlainText)
        self.listing.setWordWrap(True)
        self.listing.setAccessibleName("Urgent risk events awaiting a decision")
        words.addWidget(self.listing)
        row.addLayout(words, stretch=1)
        self.decide_button = QPushButton("Record &decision…")
        self.decide_button.clicked.connect(self._on_decide)
        row.addWidget(self.decide_button, alignment=Qt.AlignmentFlag.AlignVCenter)
        self.retry_button = QPushButton("Check &again")
        self.retry_button.setAccessibleName("Check again for urgent risk events")
        self.retry_button.clicked.connect(self._on_retry)
        row.addWidget(self.retry_button, alignment=Qt.AlignmentFlag.AlignVCenter)
        # Until the urgent events have been read there is nothing to offer.
        self.decide_button.hide()
        self.retry_button.hide()

    @property
    def needed(self) -> bool:
        """Whether the banner must be on screen (urgent events undecided, or unknown)."""
        return self._needed

    def refresh(self) -> None:
        """Reload the urgent events (off the GUI thread); show the banner exactly when some
        await a decision."""
        load = self._load_urgent
        runner().run(
            lambda: list(load()),
            self._show_events,
            key=f"urgent-risk:{id(self)}",
            parent=self,
            failed=lambda error: self._show_events([], failure=error.message),
        )

    def _show_events(self, events: list[RiskEventRow], *, failure: str | None = None) -> None:
        self.events = events
        was_needed = self._needed
        if failure is not None:
            # Not knowing is not the same as none: say so rather than fall silent.
            title = "URGENT: could not check for risk events needing a share decision"
            listing = f"{failure}\nOpen the Risk tab to check by hand."
        elif events:
            count = len(events)
            title = (
                f"URGENT: {count} risk event{'s' if count != 1 else ''} "
                f"need{'s' if count == 1 else ''} a share decision"
            )
            lines = [f"•  {event_title(e)}" for e in events[: self.MAX_LISTED]]
            if count > self.MAX_LISTED:
                lines.append(f"…and {count - self.MAX_LISTED} more: see the Risk tab.")
            listing = "\n".join(lines)
        else:
            title = listing = ""
        if title:
            self._build()
        if self._built:
            self.title.setText(title)
            self.listing.setText(listing)
            self.decide_button.setVisible(bool(events))
            self.retry_button.setVisible(failure is not None)
            if events:
                first = event_title(events[0])
                self.decide_button.setAccessibleName(
                    "Record the share decision for the first event"
                )
                self.decide_button.setAccessibleDescription(first)
                self.decide_button.setToolTip(f"Record the share decision for {first} (Alt+D)")
        description = f"{title}. {listing}".replace("\n", ". ") if title else ""
        self.setAccessibleDescription(description)
        self.setToolTip(description)
        self._needed = bool(events) or failure is not None
        if not (self._needed and self.isWindow()):
            # Not yet in a record (no parent): stay unhidden, so the record shows it with
            # itself, rather than popping up as a window of its own.
            super().setVisible(self._needed)
        if self._needed and not was_needed:
            # Screen readers announce an alert when it appears, not only when focused.
            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ParentChange and not self.isWindow():
            # Put in a record: shown exactly when needed (the events may still be on their
            # way, and an empty band would say nothing).
            super().setVisible(self._needed)
        return super().event(event)

    def setVisible(self, visible: bool) -> None:
        # While urgent events are undecided, nothing may hide the banner inside a record.
        if not visible and getattr(self, "_needed", False) and not self.isWindow():
            visible = True
        super().setVisible(visible)

    def _on_decide(self) -> None:
        if self.events:
            self._open_decision(self.events[0])
        self.refresh()

    def _on_retry(self) -> None:
        self.refresh()


# -- the tab -----------------------------------------------------------------------------------


class RiskTab(RecordPart):
    """The Risk tab of a client's record: events newest first, details, and decisions.

    ``open_new_event`` records an event from anywhere (a session note passes its id);
    after an urgent event is saved the share decision dialog opens at once. The tab
    reloads from its actions in ``refresh``.

    Signals:
        changed(): emitted after the tab recorded an event or a share decision.
    """

    def __init__(self, client_id: int, actions: RiskActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.setAccessibleName("Risk")
        layout = QVBoxLayout(self)

        heading = QLabel(
            "Risk events and the decision to share each. The private detail never leaves "
            "the record; only the shareable statement may go to partner agencies, under a "
            "recorded legal gateway."
        )
        heading.setWordWrap(True)
        heading.setAccessibleName("About this tab")
        layout.addWidget(heading)

        buttons = QHBoxLayout()
        self.record_button = QPushButton("Record risk &event…")
        self.record_button.setAccessibleName("Record a risk event")
        self.record_button.setToolTip("Record a risk event (Ctrl+R)")
        self.record_button.clicked.connect(self._on_record_event)
        buttons.addWidget(self.record_button)
        self.decide_button = QPushButton("Record s&hare decision…")
        self.decide_button.setAccessibleName("Record the share decision for the selected event")
        self.decide_button.setToolTip("Record whether the selected event is shared (Enter)")
        self.decide_button.clicked.connect(self._on_record_decision)
        buttons.addWidget(self.decide_button)
        self.notice_button = QPushButton("Urgent &notification…")
        self.notice_button.setAccessibleName("Produce an urgent risk notification for partners")
        self.notice_button.setToolTip(
            "A one-page notification of the selected event's shareable statement for a "
            "partner agency, recorded in the disclosure register"
        )
        self.notice_button.clicked.connect(self._on_risk_notice)
        self.notice_button.setVisible(False)
        buttons.addWidget(self.notice_button)
        buttons.addStretch()
        layout.addLayout(buttons)
        self.record_shortcut = QShortcut(QKeySequence("Ctrl+R"), self)
        self.record_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.record_shortcut.activated.connect(self._on_record_event)

        self.empty = empty_state_label(NO_EVENTS)
        layout.addWidget(self.empty, stretch=1)  # takes the space while the table is hidden

        self.model = RiskEventModel()
        self.table = rows_table(QTableView(), name="Risk events, newest first")
        self.proxy = sorted_by(
            self, self.table, self.model, RiskColumn.DATE, Qt.SortOrder.DescendingOrder
        )
        self.rows = ProxyRows(self.table, self.proxy, self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(RiskColumn.STATEMENT, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._on_row_activated)
        layout.addWidget(self.table, stretch=3)

        self.details = details_pane("Details of the selected risk event")
        layout.addWidget(self.details, stretch=2)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)

        self.setTabOrder(self.record_button, self.decide_button)
        self.setTabOrder(self.decide_button, self.table)
        self.setTabOrder(self.table, self.details)
        self._loading = False
        self._select_after_load: int | None = None
        self._after_load: list[Callable[[], object]] = []
        self.refresh()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self, *, select: int | None = None) -> None:
        """Reload the client's risk events (off the GUI thread), keeping the selected one
        selected, or selecting event ``select`` once they are shown."""
        self._loading = True
        if select is not None:
            self._select_after_load = select
        if self.model.rowCount() == 0:
            self.empty.setText("Reading the risk events…")
        events_for_client = self._actions.events_for_client
        describe = self._actions.describe_staff
        client_id = self.client_id

        def load() -> tuple[list[RiskEventRow], dict[int, str]]:
            rows = list(events_for_client(client_id))
            staff_ids = {e.recorded_by for e in rows} | {
                e.decision.decided_by for e in rows if e.decision is not None
            }
            return rows, {i: name_of_staff(describe, i) for i in sorted(staff_ids)}

        runner().run(
            load,
            self._show_events,
            key=f"risk-events:{client_id}",
            parent=self,
            failed=self._show_load_failure,
        )

    def _show_load_failure(self, error: ClinicError) -> None:
        self._show_events(([], {}), problem=f"Risk events could not be loaded. {error.message}")

    def _show_events(
        self, loaded: tuple[list[RiskEventRow], dict[int, str]], *, problem: str = ""
    ) -> None:
        rows, names = loaded
        self._loading = False
        kept = self.selected_event()
        keep = kept.id if kept is not None else None
        self.empty.setText(problem or NO_EVENTS)
        self.empty.setAccessibleName(self.empty.text())
        self.model.set_rows(rows, names)
        has_rows = bool(rows)
        self.empty.setVisible(not has_rows)
        self.table.setVisible(has_rows)
        self.details.setVisible(has_rows)
        self.decide_button.setVisible(has_rows)
        self.notice_button.setVisible(has_rows and self._actions.produce_risk_notice is not None)
        self._fit_columns()
        wanted = self._select_after_load if self._select_after_load is not None else keep
        self._select_after_load = None
        if not has_rows or wanted is None or not self.select_event(wanted):
            self._select_proxy_row(0)
        self._show_details()
        waiting, self._after_load = self._after_load, []
        for then in waiting:
            then()

    def _fit_columns(self) -> None:
        for column in RiskColumn:
            if column != RiskColumn.STATEMENT:
                self.table.resizeColumnToContents(column)
                width = min(self.table.columnWidth(column), 360)
                self.table.setColumnWidth(column, width)

    # -- selection -------------------------------------------------------------------------

    def events(self) -> list[RiskEventRow]:
        """The events as the table shows them, top to bottom."""
        return self.rows.in_view()

    def selected_event(self) -> RiskEventRow | None:
        return self.rows.selected()

    def select_item(self, item_id: int) -> None:
        if self._loading:
            self._select_after_load = item_id  # selected when the events arrive
        else:
            self.select_event(item_id)

    def select_event(self, event_id: int) -> bool:
        return self.rows.select_id(event_id)

    def _select_proxy_row(self, row: int) -> bool:
        return self.rows.select_view_row(row)

    def _show_details(self) -> None:
        event = self.selected_event()
        if event is None:
            self.details.clear()
            return
        self.details.setHtml(self.describe(event))

    def describe(self, event: RiskEventRow) -> str:
        """The selected event in full, as HTML (everything escaped)."""
        urgency = RISK_URGENCY_WORDS[event.urgency]
        parts = [
            f"<h3>{html_text(RISK_EVENT_DESCRIBED[event.kind])}</h3>",
            f"<p>Happened on {long_date(event.occurred_on)}. Urgency: <b>{urgency}</b>. "
            f"{html_text(RISK_URGENCY_EXPLAINED[event.urgency])}</p>",
            "<p><b>Private: never shared</b><br>" + html_text(event.detail) + "</p>",
            "<p><b>May be shared with partner agencies</b><br>"
            + (html_text(event.shareable_statement) or "<i>No shareable statement was written.</i>")
            + "</p>",
        ]
        decision = event.decision
        if decision is None:
            parts.append(
                f"<p><b>Share decision: {AWAITING_DECISION}</b><br>No decision about sharing "
                "this event has been recorded yet. Use Record share decision.</p>"
            )
        else:
            # decision_words names the gateway of a shared event; a decision not to share
            # may still record the gateway that was considered.
            gateway = (
                f" Gateway considered: {html_text(GATEWAY_WORDS[decision.gateway])}."
                if decision.gateway is not None
                and decision.decision is ShareDecisionKind.NOT_SHARED
                else ""
            )
            parts.append(
                f"<p><b>Latest share decision:</b> {html_text(decision_words(decision))}."
                f"{gateway}<br>Decided by {html_text(self.model.staff_name(decision.decided_by))} "
                f"on {when_text(decision.decided_at)}.<br>Reason: {html_text(decision.reason)}</p>"
            )
        source = " from a session note" if event.session_note_id is not None else ""
        parts.append(
            f"<p>Recorded{source} by {html_text(self.model.staff_name(event.recorded_by))} on "
            f"{when_text(event.recorded_at)}.</p>"
        )
        return "".join(parts)

    # -- actions ---------------------------------------------------------------------------

    def open_new_event(
        self, session_note_id: int | None = None, *, restore: dict[str, Any] | None = None
    ) -> RiskEventRow | None:
        """Record a risk event (from a session note when its id is given).

        After an urgent event is saved the share decision dialog opens straight away.
        Returns the stored event, or None if the clinician cancelled. ``restore`` puts
        back what the form held when the screen locked.
        """
        dialog = RiskEventDialog(
            self.client_id, self._actions, session_note_id=session_note_id, parent=self
        )
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Risk",
            form="event",
            params={"session_note_id": session_note_id},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        event = dialog.saved_event
        dialog.deleteLater()
        if event is None:
            return None
        self.refresh(select=event.id)
        self.changed.emit()
        if event.urgency is Urgency.URGENT:
            self.open_decision(event, prompt_now=True)
        return event

    def open_decision(
        self,
        event: RiskEventRow,
        *,
        prompt_now: bool = False,
        restore: dict[str, Any] | None = None,
    ) -> ShareDecisionRow | None:
        """Record the share decision for ``event``; returns it, or None if cancelled."""
        dialog = ShareDecisionDialog(
            event, self._actions, self, prompt_now=prompt_now, staff_name=self.model.staff_name
        )
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Risk",
            form="decision",
            params={"event_id": event.id, "prompt_now": prompt_now},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        decision = dialog.decision
        dialog.deleteLater()
        if decision is None:
            return None
        self.refresh(select=event.id)
        self.changed.emit()
        return decision

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be."""
        if form == "event":
            note_id = params.get("session_note_id")
            self.open_new_event(note_id if isinstance(note_id, int) else None, restore=state)
            return True
        if form == "decision":
            if self._loading:
                # The events are on their way: reopen the form when they are shown.
                self._after_load.append(lambda: self.reopen_form(form, params, state))
                return True
            event = next((e for e in self.events() if e.id == params.get("event_id")), None)
            if event is None:
                return False
            self.open_decision(event, prompt_now=bool(params.get("prompt_now")), restore=state)
            return True
        return False

    def make_banner(self, parent: QWidget | None = None) -> UrgentRiskBanner:
        """The urgent-risk banner for this client, recording decisions through this tab."""
        return UrgentRiskBanner(
            lambda: self._actions.urgent_without_decision(self.client_id),
            self.open_decision,
            parent,
        )

    # -- slots -----------------------------------------------------------------------------

    def _on_record_event(self) -> None:
        self.open_new_event()

    def _on_record_decision(self) -> None:
        event = self.selected_event()
        if event is None:
            waiting = [e for e in self.events() if e.needs_decision]
            event = waiting[0] if waiting else next(iter(self.events()), None)
        if event is not None:
            self.open_decision(event)

    def _on_risk_notice(self) -> None:
        produce = self._actions.produce_risk_notice
        event = self.selected_event() or next(iter(self.events()), None)
        if produce is None or event is None:
            return
        if produce(self, event):
            self.refresh(select=event.id)
            self.changed.emit()

    def _on_row_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_decision(self.model.item(self.proxy.mapToSource(index).row()))

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details()
