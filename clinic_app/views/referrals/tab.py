"""The Referrals tab: referrals to specialist services, their history, and the letter.

The tab lists the client's referrals with their status and whether each is overdue or
awaiting action (in words, with an icon: never colour alone), and shows the selected one
in full with its whole status history. From it a clinician writes a new referral, moves
one on (only the next steps the referral allows are offered; declining asks for the
reason) and produces the referral letter: the exact pages are shown for review, the
basis for sharing is recorded, and only then is the letter saved and entered in the
disclosure register.

Dialogs are run through :func:`exec_dialog` and the save location is asked through
:func:`~.dialogs.ask_save_path`, so tests can drive both without a modal loop.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    Qt,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import ClinicError
from clinic_app.models.enums import ReferralStatus
from clinic_app.services.referrals import ReferralRow, allowed_next
from clinic_app.services.service_directory import ServiceRow
from clinic_app.services.sharing.letters import IssuedLetter, LetterPreview
from clinic_app.views.common import feedback
from clinic_app.views.common.form_drafts import remember_form, restore_input_state
from clinic_app.views.common.list_tab import (
    details_pane,
    empty_state_label,
    last_action_label,
    rows_table,
    sorted_by,
)
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import OpenableTable, ProxyRows
from clinic_app.views.common.widgets import exec_dialog
from clinic_app.views.referrals.actions import ReferralsActions
from clinic_app.views.referrals.dialogs import ChangeStatusDialog, LetterDialog, NewReferralDialog
from clinic_app.views.referrals.models import (
    CHOOSE_REFERRAL,
    CLOSED_CANNOT_CHANGE,
    NO_REFERRALS,
    NO_SERVICES,
    ReferralColumn,
    ReferralTableModel,
    html_text,
    long_date,
    when_text,
)
from clinic_app.wording import GATEWAY_WORDS, REFERRAL_STATUS_WORDS, REFERRAL_URGENCY_WORDS

# -- the tab --------------------------------------------------------------------------------------


class ReferralsTab(RecordPart):
    """The Referrals tab of a client's record.

    Lists the referrals (newest first) with status and follow-up, shows the selected one
    with its full status history, and offers New referral (Ctrl+N within the tab),
    Change status (Enter or double-click on a row) and Referral letter.

    Signals:
        changed(): emitted after the tab created a referral, changed a status or
            produced a letter.
    """

    def __init__(
        self, client_id: int, actions: ReferralsActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self.setAccessibleName("Referrals")
        layout = QVBoxLayout(self)

        heading = QLabel(
            "Referrals to specialist services. The reason and clinical detail are private; "
            "only the bare fact of a referral may be shared, and only with consent or a "
            "gateway recorded."
        )
        heading.setWordWrap(True)
        heading.setAccessibleName("About this tab")
        layout.addWidget(heading)

        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New referral…")
        self.new_button.setAccessibleName("Write a new referral")
        self.new_button.clicked.connect(self._on_new)
        self.status_button = QPushButton("Change &status…")
        self.status_button.setAccessibleName("Change the status of the selected referral")
        self.status_button.setToolTip("Change the status of the selected referral (Enter)")
        self.status_button.clicked.connect(self._on_change_status)
        self.letter_button = QPushButton("Referral &letter…")
        self.letter_button.setAccessibleName(
            "Review and produce the letter for the selected referral"
        )
        self.letter_button.clicked.connect(self._on_letter)
        self.new_button.setToolTip("Write a new referral (Ctrl+N)")
        self.new_shortcut = QShortcut(QKeySequence("Ctrl+N"), self)
        self.new_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_shortcut.activated.connect(self._on_new)
        for button in (self.new_button, self.status_button, self.letter_button):
            buttons.addWidget(button)
        buttons.addStretch()
        layout.addLayout(buttons)

        self.message = last_action_label()
        layout.addWidget(self.message)

        self.empty = empty_state_label(NO_REFERRALS)
        layout.addWidget(self.empty, stretch=1)

        self.model = ReferralTableModel()
        self.table = rows_table(OpenableTable(), name="Referrals, newest first")
        self.proxy = sorted_by(
            self, self.table, self.model, ReferralColumn.CREATED, Qt.SortOrder.DescendingOrder
        )
        self.rows = ProxyRows(self.table, self.proxy, self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ReferralColumn.SERVICE, QHeaderView.ResizeMode.Stretch)
        self.table.open_requested.connect(self._on_row_opened)
        self.table.doubleClicked.connect(self._on_row_opened)

        self.details = details_pane("The selected referral in full, with its history")

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, stretch=4)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)

        self.setTabOrder(self.new_button, self.status_button)
        self.setTabOrder(self.status_button, self.letter_button)
        self.setTabOrder(self.letter_button, self.table)
        self.setTabOrder(self.table, self.details)
        self._loading = False
        self._select_after_load: int | None = None
        self._after_load: list[Callable[[], object]] = []
        self.refresh()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self, *, select: int | None = None) -> None:
        """Reload the referrals (off the GUI thread), keeping the selected one selected, or
        selecting referral ``select`` once they are shown."""
        self._loading = True
        if select is not None:
            self._select_after_load = select
        if self.model.rowCount() == 0:
            self.empty.setText("Reading the referrals…")
        runner().run(
            partial(self._actions.referrals_for_client, self.client_id),
            self._show_referrals,
            key=f"referrals:{self.client_id}",
            parent=self,
            failed=self._show_load_failure,
        )

    def _show_load_failure(self, error: ClinicError) -> None:
        self._show_referrals([], problem=f"Referrals could not be loaded. {error.message}")

    def _show_referrals(self, rows: list[ReferralRow], *, problem: str = "") -> None:
        self._loading = False
        kept = self.selected_referral()
        keep = self._select_after_load or (kept.id if kept is not None else None)
        self._select_after_load = None
        self.empty.setText(problem or NO_REFERRALS)
        self.empty.setAccessibleName(self.empty.text())
        self.model.set_rows(list(rows), self._actions.today())
        has_rows = bool(rows)
        self.empty.setVisible(not has_rows)
        self.splitter.setVisible(has_rows)
        self.status_button.setVisible(has_rows)
        self.letter_button.setVisible(has_rows)
        if not has_rows or keep is None or not self.select_referral(keep):
            self._select_proxy_row(0)
        self._show_details()
        waiting, self._after_load = self._after_load, []
        for then in waiting:
            then()

    # -- selection -------------------------------------------------------------------------

    def referrals(self) -> list[ReferralRow]:
        """The referrals as the table shows them, top to bottom."""
        return self.rows.in_view()

    def selected_referral(self) -> ReferralRow | None:
        return self.rows.selected()

    def select_item(self, item_id: int) -> None:
        if self._loading:
            self._select_after_load = item_id  # selected when the referrals arrive
            return
        self.select_referral(item_id)

    def select_referral(self, referral_id: int) -> bool:
        """Select the referral with this id (e.g. when opened from the dashboard)."""
        return self.rows.select_id(referral_id)

    def _select_proxy_row(self, row: int) -> bool:
        return self.rows.select_view_row(row)

    def _show_details(self) -> None:
        row = self.selected_referral()
        if row is None:
            self.details.clear()
            return
        self.details.setHtml(self.describe(row))

    def describe(self, row: ReferralRow) -> str:
        """The referral in full, as HTML (everything escaped)."""
        follow = row.follow_up(self._actions.today())
        if follow.overdue:
            follow_text = f"<b>OVERDUE.</b> {html_text(follow.message)}"
        elif follow.awaiting_action:
            follow_text = f"<b>Awaiting action.</b> {html_text(follow.message)}"
        else:
            follow_text = html_text(follow.message)
        parts = [
            f"<h3>Referral to {html_text(row.service_name)}</h3>",
            f"<p>Status: <b>{REFERRAL_STATUS_WORDS[row.status]}</b> "
            f"since {long_date(row.status_on)}. "
            f"Urgency: <b>{REFERRAL_URGENCY_WORDS[row.urgency]}</b>. Written on "
            f"{long_date(row.created_on)}"
            + (f"; sent on {long_date(row.sent_on)}" if row.sent_on else "; not sent yet")
            + ".</p>",
            f"<p>Follow-up: {follow_text}</p>",
            "<p><b>Reason for referral (private)</b><br>" + html_text(row.reason) + "</p>",
            "<p><b>Clinical detail (private)</b><br>"
            + (html_text(row.clinical_detail) or "<i>None written.</i>")
            + "</p>",
        ]
        if row.status is ReferralStatus.DECLINED or row.decline_reason:
            parts.append(
                "<p><b>Reason given for declining</b><br>"
                + (html_text(row.decline_reason) or "<i>None recorded.</i>")
                + "</p>"
            )
        if row.fact_shareable and row.share_gateway is not None:
            sharing = (
                "The bare fact of this referral may be shared with partner agencies, under: "
                f"{html_text(GATEWAY_WORDS[row.share_gateway])}."
            )
        else:
            sharing = "The fact of this referral is not shared with partner agencies."
        parts.append(f"<p><b>Sharing</b><br>{sharing}</p>")
        parts.append("<h4>Status history</h4>")
        if row.history:
            lines = [
                "<table cellpadding='3' border='0'>"
                "<tr><th align='left'>Date</th><th align='left'>Change</th>"
                "<th align='left'>By</th><th align='left'>Note</th></tr>"
            ]
            for change in row.history:
                step = (
                    "Written as a draft"
                    if change.from_status is None
                    else f"{REFERRAL_STATUS_WORDS[change.from_status]} → "
                    f"{REFERRAL_STATUS_WORDS[change.to_status]}"
                )
                lines.append(
                    f"<tr><td>{long_date(change.changed_on)}</td><td>{html_text(step)}</td>"
                    f"<td>{html_text(change.changed_by_name)}<br><small>recorded "
                    f"{when_text(change.recorded_at)}</small></td>"
                    f"<td>{html_text(change.note)}</td></tr>"
                )
            lines.append("</table>")
            parts.append("".join(lines))
        else:
            parts.append("<p><i>No history recorded.</i></p>")
        return "".join(parts)

    # -- actions ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setAccessibleDescription(text)
        self.message.setVisible(bool(text))

    def open_new_referral(self, *, restore: dict[str, Any] | None = None) -> ReferralRow | None:
        """Write a new referral: the service directory is read, then the form opens.

        Returns the saved referral when the form was done with before this returns (as
        with an inline runner), otherwise None: the tab shows the outcome either way.
        ``restore`` puts back what the form held when the screen locked.
        """
        saved: list[ReferralRow] = []

        def write(directory: list[ServiceRow]) -> None:
            row = self._write_referral(directory, restore)
            if row is not None:
                saved.append(row)

        runner().run(
            self._actions.service_directory,
            write,
            key=f"new-referral:{self.client_id}",  # a second click does not open two forms
            parent=self,
            failed=lambda error: feedback.show_error(
                self, error, title="The service directory could not be read"
            ),
        )
        return saved[0] if saved else None

    def _write_referral(
        self, directory: list[ServiceRow], restore: dict[str, Any] | None
    ) -> ReferralRow | None:
        services = [s for s in directory if s.active]
        if not services:
            feedback.show_error(self, ClinicError(NO_SERVICES), title="No services to refer to")
            return None
        dialog = NewReferralDialog(self.client_id, services, self._actions.create_referral, self)
        remember_form(dialog, client_id=self.client_id, tab="Referrals", form="new")
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        row = dialog.saved_referral
        dialog.deleteLater()
        if row is None:
            return None
        self.refresh(select=row.id)
        self._say(f"Draft referral to {row.service_name} saved.")
        self.changed.emit()
        return row

    def open_change_status(
        self, referral: ReferralRow | None = None, *, restore: dict[str, Any] | None = None
    ) -> ReferralRow | None:
        """Change the status of ``referral`` (default: the selected one)."""
        referral = referral or self.selected_referral()
        if referral is None:
            feedback.show_error(self, ClinicError(CHOOSE_REFERRAL), title="Change status")
            return None
        if not allowed_next(referral.status):
            feedback.show_error(self, ClinicError(CLOSED_CANNOT_CHANGE), title="Change status")
            return None
        dialog = ChangeStatusDialog(
            referral, self._actions.change_status, today=self._actions.today(), parent=self
        )
        remember_form(
            dialog,
            client_id=self.client_id,
            tab="Referrals",
            form="change_status",
            params={"referral_id": referral.id},
        )
        if restore:
            restore_input_state(dialog, restore)
        exec_dialog(dialog)
        row = dialog.updated
        dialog.deleteLater()
        if row is None:
            return None
        self.refresh(select=row.id)
        self._say(
            f"Referral to {row.service_name} is now {REFERRAL_STATUS_WORDS[row.status].lower()}."
        )
        self.changed.emit()
        return row

    def open_letter(self, referral: ReferralRow | None = None) -> IssuedLetter | None:
        """Review and produce the letter for ``referral`` (default: the selected one)."""
        referral = referral or self.selected_referral()
        if referral is None:
            feedback.show_error(self, ClinicError(CHOOSE_REFERRAL), title="Referral letter")
            return None
        issued: list[IssuedLetter] = []

        def review(preview: LetterPreview) -> None:
            letter = self._review_letter(referral, preview)
            if letter is not None:
                issued.append(letter)

        runner().run(
            partial(self._actions.preview_referral_letter, referral.id),
            review,
            key=f"referral-letter:{self.client_id}",
            parent=self,
            failed=lambda error: feedback.show_error(
                self, error, title="The letter could not be prepared"
            ),
        )
        return issued[0] if issued else None

    def _review_letter(self, referral: ReferralRow, preview: LetterPreview) -> IssuedLetter | None:
        dialog = LetterDialog(
            referral,
            preview,
            self._actions.issue_referral_letter,
            self,
            redraw=self._actions.preview_referral_letter,
        )
        exec_dialog(dialog)
        issued = dialog.issued
        dialog.deleteLater()
        if issued is None:
            return None
        self._say(
            f"Referral letter saved to {issued.path} and recorded in the disclosure register "
            f"as shared with {referral.service_name}."
        )
        self.refresh(select=referral.id)
        self.changed.emit()
        return issued

    def reopen_form(self, form: str, params: dict[str, Any], state: dict[str, Any]) -> bool:
        """Open a form again as it was when the screen locked; False if it cannot be."""
        if form == "new":
            self.open_new_referral(restore=state)
            return True
        if form == "change_status":
            if self._loading:
                # The referrals are on their way: reopen the form when they are shown.
                self._after_load.append(lambda: self.reopen_form(form, params, state))
                return True
            referral = next(
                (r for r in self.referrals() if r.id == params.get("referral_id")), None
            )
            if referral is None or not allowed_next(referral.status):
                return False
            self.open_change_status(referral, restore=state)
            return True
        return False

    # -- slots -----------------------------------------------------------------------------

    def _on_new(self) -> None:
        self.open_new_referral()

    def _on_change_status(self) -> None:
        self.open_change_status()

    def _on_letter(self) -> None:
        self.open_letter()

    def _on_row_opened(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_change_status(self.model.item(self.proxy.mapToSource(index).row()))

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details()
