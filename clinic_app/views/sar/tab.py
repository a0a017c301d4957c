"""The Subject access tab of a client's record: requests for their records, from receipt to release.

A table of the client's requests (received, due, state) with the selected one in full
beside it, and the four things to do: register a request, extend it, record the
serious-harm review, and release the pack (a PDF and a JSON file, entered in the
disclosure register). Every service call goes through the runner; the tab holds frozen
rows only.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from enum import IntEnum
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.reports.subject_access import HARM_DECISION_WORDS, REQUESTER_WORDS
from clinic_app.services.sharing.subject_access import PreparedPack, ReleasedPack
from clinic_app.services.subject_access import RequestRow
from clinic_app.views.common.list_tab import (
    details_pane,
    empty_state_label,
    last_action_label,
    rows_table,
)
from clinic_app.views.common.record_part import RecordPart
from clinic_app.views.common.runner import runner
from clinic_app.views.common.table import SORT_ROLE, ListTableModel
from clinic_app.views.common.widgets import exec_dialog
from clinic_app.views.record.window import SUBJECT_ACCESS_TITLE
from clinic_app.views.sar.actions import SubjectAccessActions
from clinic_app.views.sar.dialogs import ExtendRequestDialog, RegisterRequestDialog, ReviewDialog
from clinic_app.wording import long_date

TITLE = SUBJECT_ACCESS_TITLE


class Column(IntEnum):
    RECEIVED = 0
    REQUESTER = 1
    DUE = 2
    STATE = 3


HEADERS = {
    Column.RECEIVED: "Received",
    Column.REQUESTER: "Requested by",
    Column.DUE: "Due",
    Column.STATE: "Where it stands",
}


class RequestsModel(ListTableModel[RequestRow]):
    """The client's requests, one a row."""

    def __init__(self, today: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(Column, HEADERS, parent)
        self._today = today

    def cell(self, item: RequestRow, column: int, role: int) -> Any:
        if role == SORT_ROLE:
            return {
                Column.RECEIVED: item.received_on.isoformat(),
                Column.REQUESTER: item.requester_name,
                Column.DUE: item.deadline.isoformat(),
                Column.STATE: item.state(self._today()),
            }[Column(column)]
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        return {
            Column.RECEIVED: long_date(item.received_on),
            Column.REQUESTER: item.requester_name,
            Column.DUE: long_date(item.deadline) + (" (extended)" if item.extended_to else ""),
            Column.STATE: item.state(self._today()),
        }[Column(column)]


def choose_pack_file(parent: QWidget, suggested: str) -> Path | None:
    """Ask where to save the pack's PDF (its JSON file goes beside it)."""
    name, _ = QFileDialog.getSaveFileName(parent, "Save the pack", suggested, "PDF (*.pdf)")
    return Path(name) if name else None


class SubjectAccessTab(RecordPart):
    """The client's subject access requests and what to do with each."""

    def __init__(
        self,
        client_id: int,
        actions: SubjectAccessActions,
        parent: QWidget | None = None,
        *,
        choose_file: Callable[[QWidget, str], Path | None] = choose_pack_file,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(TITLE)
        self._client_id = client_id
        self._actions = actions
        self._choose_file = choose_file
        self._wanted: int | None = None
        self.model = RequestsModel(actions.today, self)
        self.table = rows_table(QTableView(), name="Subject access requests")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = empty_state_label("No subject access requests are recorded.")
        self.details = details_pane("The selected request")
        self.last_action = last_action_label()
        self.register_button = QPushButton("&Register request...")
        self.extend_button = QPushButton("E&xtend...")
        self.review_button = QPushButton("Serious-harm re&view...")
        self.release_button = QPushButton("Re&lease pack...")
        for button in (
            self.register_button,
            self.extend_button,
            self.review_button,
            self.release_button,
        ):
            button.setAccessibleName(button.text().replace("&", "").rstrip("."))
        self.register_button.clicked.connect(self._on_register)
        self.extend_button.clicked.connect(self._on_extend)
        self.review_button.clicked.connect(self._on_review)
        self.release_button.clicked.connect(self._on_release)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        buttons = QHBoxLayout()
        for button in (
            self.register_button,
            self.extend_button,
            self.review_button,
            self.release_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        left_layout.addWidget(self.empty)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.last_action)
        layout.addWidget(split)
        self._update_buttons()
        self.refresh()

    # -- reading --------------------------------------------------------------------------------

    def refresh(self) -> None:
        runner().run(
            partial(self._actions.requests_for_client, self._client_id),
            self._show,
            key=f"sar:{self._client_id}",
            parent=self,
        )

    def _show(self, rows: Sequence[RequestRow]) -> None:
        selected = self.selected()
        wanted, self._wanted = self._wanted, None
        self.model.reset_items(rows)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        target = wanted if wanted is not None else (selected.id if selected else None)
        if target is not None:
            row = self.model.row_with_id(target)
            if row is not None:
                self.table.selectRow(row)
        elif rows:
            self.table.selectRow(len(rows) - 1)
        self._on_selection()

    def select_item(self, item_id: int) -> None:
        """Show one request (opened from the home screen) by its id."""
        self._wanted = item_id
        row = self.model.row_with_id(item_id)
        if row is not None:
            self.table.selectRow(row)

    def selected(self) -> RequestRow | None:
        indexes = self.table.selectionModel().selectedRows() if self.table.model() else []
        return self.model.item(indexes[0].row()) if indexes else None

    def _on_selection(self, *_: object) -> None:
        request = self.selected()
        self.details.setHtml("" if request is None else _details_html(request, self._actions))
        self._update_buttons()

    def _update_buttons(self) -> None:
        request = self.selected()
        open_ = request is not None and request.is_open
        self.extend_button.setEnabled(open_)
        self.review_button.setEnabled(open_)
        self.release_button.setEnabled(open_ and request is not None and request.review is not None)

    def _said(self, text: str) -> None:
        self.last_action.setText(text)
        self.last_action.show()

    # -- doing ----------------------------------------------------------------------------------

    def _after(self, dialog: Any, words: str) -> None:
        if dialog.result_row is not None:
            self._said(words)
            self.changed.emit()
            self.refresh()

    def _on_register(self) -> None:
        dialog = RegisterRequestDialog(self._client_id, self._actions, self)
        exec_dialog(dialog)
        if dialog.result_row is not None:
            due = long_date(dialog.result_row.due_on)
            self._after(dialog, f"Registered the request; it is due on {due}.")

    def _on_extend(self) -> None:
        request = self.selected()
        if request is None:
            return
        dialog = ExtendRequestDialog(request, self._actions, self)
        exec_dialog(dialog)
        self._after(dialog, "Extended the request. Tell the requester, with the reason.")

    def _on_review(self) -> None:
        request = self.selected()
        if request is None:
            return
        runner().run(
            partial(self._actions.prepare_pack, request.id),
            partial(self._open_review, request),
            parent=self,
        )

    def _open_review(self, request: RequestRow, prepared: PreparedPack) -> None:
        dialog = ReviewDialog(request, prepared, self._actions, self)
        exec_dialog(dialog)
        self._after(dialog, "Recorded the serious-harm review.")

    def _on_release(self) -> None:
        request = self.selected()
        if request is None:
            return
        suggested = f"Subject access {request.local_ref} {self._actions.today().isoformat()}.pdf"
        pdf = self._choose_file(self, suggested)
        if pdf is None:
            return
        runner().run(
            partial(self._actions.release_pack, request.id, pdf, pdf.with_suffix(".json")),
            self._released,
            parent=self,
        )

    def _released(self, released: ReleasedPack) -> None:
        self._said(
            f"Released the pack to {released.pdf_path.name} and {released.json_path.name}, "
            f"with {released.removals} removals listed; it is in the disclosure register."
        )
        self.changed.emit()
        self.refresh()


def _details_html(request: RequestRow, actions: SubjectAccessActions) -> str:
    e = html.escape
    rows = [
        ("Received", long_date(request.received_on)),
        ("Requested by", f"{request.requester_name} ({REQUESTER_WORDS[request.requester_kind]})"),
        (
            "Identity checked",
            f"by {request.identity_checked_by}, {long_date(request.identity_checked_on)}: "
            f"{request.identity_method}",
        ),
        ("Due", long_date(request.due_on)),
    ]
    if request.extended_to is not None:
        rows.append(
            ("Extended to", f"{long_date(request.extended_to)}: {request.extension_reason}")
        )
    if request.review is not None:
        review = request.review
        rows.append(
            (
                "Serious-harm review",
                f"{HARM_DECISION_WORDS[review.decision]} ({review.reviewer_name}, "
                f"{long_date(review.reviewed_at)}; {len(review.withheld)} items withheld)",
            )
        )
    else:
        rows.append(("Serious-harm review", "Not yet recorded: the pack cannot be released."))
    rows.append(("Where it stands", request.state(actions.today())))
    body = "".join(f"<tr><th align=left>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    return f"<table cellpadding=3>{body}</table>"
