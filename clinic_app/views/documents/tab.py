"""The Documents tab: files other services sent about the client, attached to the record.

It lists each document received (title, who sent it, when it was received, whose
information it is, its kind and size, who added it and when, and whether it was entered in
error) and shows the selected one in full. From it a clinician attaches a document (Ctrl+N
within the tab), opens one in the computer's own viewer (Enter, or a double click) and
marks one entered in error. Every service call runs on the background runner; opening
reads the document and writes its temporary copy there too, and only the viewer is asked
for on the GUI thread.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
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
from clinic_app.services.documents import DocumentRow
from clinic_app.views.common import feedback
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
from clinic_app.views.documents.actions import DocumentsActions
from clinic_app.views.documents.copies import TemporaryCopies, temporary_copies
from clinic_app.views.documents.dialogs import AttachDocumentDialog, MarkInErrorDialog
from clinic_app.views.documents.models import (
    ABOUT,
    ALREADY_MARKED,
    CHOOSE_DOCUMENT,
    NO_DOCUMENTS,
    TAB_TITLE,
    DocumentColumn,
    DocumentsTableModel,
    describe_document,
)


def open_in_viewer(path: Path) -> bool:
    """Ask the computer to show ``path`` in its own viewer. Tests replace this by name."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _button(text: str, name: str, tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    if tip:
        button.setToolTip(tip)
    return button


class DocumentsTab(RecordPart):
    """The Documents part of a client's record.

    Signals:
        changed(): emitted after the tab attached a document or marked one in error.
    """

    def __init__(
        self,
        client_id: int,
        actions: DocumentsActions,
        *,
        copies: TemporaryCopies | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client_id = client_id
        self._actions = actions
        self._copies = copies or temporary_copies()
        self.last_opened: Path | None = None
        self.setAccessibleName(TAB_TITLE)
        layout = QVBoxLayout(self)

        about = QLabel(ABOUT)
        about.setWordWrap(True)
        about.setAccessibleName("About this tab")
        layout.addWidget(about)

        buttons = QHBoxLayout()
        self.attach_button = _button(
            "&Attach a document…", "Attach a document to the record", "Attach (Ctrl+N)"
        )
        self.open_button = _button(
            "&Open", "Open the selected document in this computer's viewer", "Open (Enter)"
        )
        self.mark_button = _button(
            "Mark entered in &error…", "Mark the selected document entered in error"
        )
        self.attach_button.clicked.connect(self._on_attach)
        self.open_button.clicked.connect(self._on_open)
        self.mark_button.clicked.connect(self._on_mark)
        for button in (self.attach_button, self.open_button, self.mark_button):
            buttons.addWidget(button)
        buttons.addStretch()
        layout.addLayout(buttons)
        self.attach_shortcut = QShortcut(QKeySequence("Ctrl+N"), self)
        self.attach_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.attach_shortcut.activated.connect(self._on_attach)

        self.message = last_action_label()
        layout.addWidget(self.message)
        self.empty = empty_state_label(NO_DOCUMENTS)
        layout.addWidget(self.empty, stretch=1)

        self.model = DocumentsTableModel(actions.describe_staff)
        self.table = rows_table(OpenableTable(), name="Documents received, newest first")
        self.proxy = sorted_by(
            self, self.table, self.model, DocumentColumn.RECEIVED, Qt.SortOrder.DescendingOrder
        )
        self.rows = ProxyRows(self.table, self.proxy, self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DocumentColumn.TITLE, QHeaderView.ResizeMode.Stretch)
        self.table.open_requested.connect(self._on_row_opened)
        self.table.doubleClicked.connect(self._on_row_opened)
        self.details = details_pane("The selected document in full")

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, stretch=4)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        order: list[QWidget] = [
            self.attach_button, self.open_button, self.mark_button, self.table, self.details,
        ]  # fmt: skip
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)
        self._select_after_load: int | None = None
        self._loading = False
        self.refresh()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self, *, select: int | None = None) -> None:
        """Reload the list (off the GUI thread), keeping the selected document selected, or
        selecting ``select`` once it is shown."""
        self._loading = True
        if select is not None:
            self._select_after_load = select
        if self.model.rowCount() == 0:
            self.empty.setText("Reading the documents…")
        list_documents, client_id = self._actions.documents_for_client, self.client_id
        runner().run(
            lambda: list(list_documents(client_id)),
            self._show_documents,
            key=f"documents:{client_id}",
            parent=self,
            failed=self._show_load_failure,
        )

    def _show_load_failure(self, error: ClinicError) -> None:
        self._show_documents([], problem=f"The documents could not be read. {error.message}")

    def _show_documents(self, rows: list[DocumentRow], *, problem: str = "") -> None:
        self._loading = False
        kept = self.selected()
        keep = kept.id if kept is not None else None
        if self._select_after_load is not None:
            keep, self._select_after_load = self._select_after_load, None
        self.empty.setText(problem or NO_DOCUMENTS)
        self.empty.setAccessibleName(self.empty.text())
        self.attach_button.setVisible(not problem)
        self.model.reset_items(rows)
        has_rows = bool(rows)
        self.empty.setVisible(not has_rows)
        self.splitter.setVisible(has_rows)
        self.open_button.setVisible(has_rows)
        self.mark_button.setVisible(has_rows)
        if keep is None or not self.rows.select_id(keep):
            self.rows.select_view_row(0)
        self._show_selected()

    # -- selection -------------------------------------------------------------------------

    def documents(self) -> list[DocumentRow]:
        """The documents as the list shows them, top to bottom."""
        return self.rows.in_view()

    def selected(self) -> DocumentRow | None:
        return self.rows.selected()

    def select_item(self, item_id: int) -> None:
        if self._loading:
            self._select_after_load = item_id
        else:
            self.rows.select_id(item_id)

    def _show_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.details.clear()
        else:
            marked_by = (
                self._actions.describe_staff(row.entered_in_error_by)
                if row.entered_in_error_by is not None
                else ""
            )
            self.details.setHtml(
                describe_document(row, self._actions.describe_staff(row.added_by), marked_by)
            )
        marked = row is not None and row.entered_in_error_at is not None
        self.mark_button.setEnabled(row is not None and not marked)
        self.mark_button.setToolTip(ALREADY_MARKED if marked else "")
        self.open_button.setEnabled(row is not None)

    # -- actions ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setAccessibleDescription(text)
        self.message.setVisible(bool(text))

    def open_attach(self) -> DocumentRow | None:
        """Attach a document; returns it, or None if nothing was attached."""
        client_id, attach = self.client_id, self._actions.attach_file
        dialog = AttachDocumentDialog(
            lambda details, path: attach(client_id, details, path),
            today=self._actions.today(),
            parent=self,
        )
        exec_dialog(dialog)
        dialog.deleteLater()
        row = dialog.saved_document
        if row is not None:
            self.refresh(select=row.id)
            self._say(f"“{row.title}” attached.")
            self.changed.emit()
        return row

    def open_mark(self, document: DocumentRow | None = None) -> DocumentRow | None:
        """Mark ``document`` (default: the selected one) entered in error."""
        document = document or self.selected()
        if document is None:
            feedback.show_error(self, ClinicError(CHOOSE_DOCUMENT), title="Mark entered in error")
            return None
        if document.entered_in_error_at is not None:
            feedback.show_error(self, ClinicError(ALREADY_MARKED), title="Mark entered in error")
            return None
        document_id, mark = document.id, self._actions.mark_entered_in_error
        dialog = MarkInErrorDialog(
            document, lambda reason: mark(document_id, reason=reason), parent=self
        )
        exec_dialog(dialog)
        dialog.deleteLater()
        row = dialog.saved_document
        if row is not None:
            self.refresh(select=row.id)
            self._say(f"“{row.title}” marked entered in error.")
            self.changed.emit()
        return row

    def open_document(self, document: DocumentRow | None = None) -> None:
        """Show ``document`` (default: the selected one) in the computer's own viewer.

        The document is read and its temporary copy written on the runner; the viewer is
        asked for when the copy is ready.
        """
        document = document or self.selected()
        if document is None:
            feedback.show_error(self, ClinicError(CHOOSE_DOCUMENT), title="Open a document")
            return
        read, copies, document_id = self._actions.open_document, self._copies, document.id

        def copy() -> Path:
            document_file = read(document_id)
            try:
                return copies.write(document_file)
            except OSError as error:
                raise ClinicError(
                    "The document could not be copied for the viewer: there may be no room "
                    "left on this computer's disk. Free some space and try again."
                ) from error

        def failed(error: ClinicError) -> None:
            self._say("")
            feedback.show_error(self, error, title="Open a document")

        self._say(f"Opening “{document.title}”…")
        runner().run(
            copy,
            self._show_in_viewer(document),
            key=f"document-open:{document_id}",
            parent=self,
            failed=failed,
        )

    def _show_in_viewer(self, document: DocumentRow) -> Callable[[Path], None]:
        def show(path: Path) -> None:
            self.last_opened = path
            if open_in_viewer(path):
                self._say(
                    f"“{document.title}” opened in this computer's viewer. Its temporary copy "
                    "is removed when the screen locks, you sign out or you close the application."
                )
            else:
                self._say("")
                feedback.show_error(
                    self,
                    ClinicError(
                        f"This computer has no program to show a {document.kind.name}. Ask "
                        "your IT service to install one."
                    ),
                    title="Open a document",
                )

        return show

    # -- slots -----------------------------------------------------------------------------

    def _on_attach(self) -> None:
        self.open_attach()

    def _on_open(self) -> None:
        self.open_document()

    def _on_mark(self) -> None:
        self.open_mark()

    def _on_row_opened(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_document(self.model.item(self.proxy.mapToSource(index).row()))

    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_selected()
