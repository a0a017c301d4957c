"""Showing the exact pages of a PDF before it leaves: bytes in, pages on screen.

:class:`PdfPreview` is given the very bytes that would be written to disk and shows every
page of them with Qt PDF, fitted to the width of the view, with zoom and page controls
that work from the keyboard. Nothing is written anywhere: the bytes are read from memory
through a ``QBuffer`` kept alive as long as the document shows them.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

NO_DOCUMENT = "There is nothing to preview yet."
UNREADABLE = "The document could not be shown. Nothing has been saved or shared."
ZOOM_STEP = 1.25
MIN_ZOOM = 0.25
MAX_ZOOM = 4.0


class PdfPreview(QWidget):
    """Every page of one PDF, fitted to the width of the view, read from bytes in memory.

    ``show_pdf(data)`` shows ``data`` and returns the number of pages; ``clear()`` shows
    nothing. Zoom in and out (Ctrl++ and Ctrl+-), fit to width (Ctrl+0) and move a page
    at a time (Page Up and Page Down, or the buttons).

    Signals:
        loaded(int): a document was shown; the number of its pages.
    """

    loaded = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Preview of the document")
        self._buffer: QBuffer | None = None
        self._data = b""
        self.document = QPdfDocument(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        controls = QHBoxLayout()
        self.previous_button = QPushButton("&Previous page")
        self.previous_button.setAccessibleName("Previous page")
        self.previous_button.setToolTip("Previous page (Page Up)")
        self.previous_button.clicked.connect(self._on_previous)
        self.next_button = QPushButton("Ne&xt page")
        self.next_button.setAccessibleName("Next page")
        self.next_button.setToolTip("Next page (Page Down)")
        self.next_button.clicked.connect(self._on_next)
        self.zoom_out_button = QPushButton("Zoom &out")
        self.zoom_out_button.setAccessibleName("Zoom out")
        self.zoom_out_button.setToolTip("Zoom out (Ctrl+-)")
        self.zoom_out_button.clicked.connect(self._on_zoom_out)
        self.zoom_in_button = QPushButton("Zoom &in")
        self.zoom_in_button.setAccessibleName("Zoom in")
        self.zoom_in_button.setToolTip("Zoom in (Ctrl++)")
        self.zoom_in_button.clicked.connect(self._on_zoom_in)
        self.fit_button = QPushButton("&Fit to width")
        self.fit_button.setAccessibleName("Fit the pages to the width of the view")
        self.fit_button.setToolTip("Fit to width (Ctrl+0)")
        self.fit_button.clicked.connect(self._on_fit_width)
        self.status = QLabel(NO_DOCUMENT)
        self.status.setAccessibleName("Pages in the document")
        for button in (
            self.previous_button,
            self.next_button,
            self.zoom_out_button,
            self.zoom_in_button,
            self.fit_button,
        ):
            controls.addWidget(button)
        controls.addStretch()
        controls.addWidget(self.status)
        layout.addLayout(controls)

        self.view = QPdfView(self)
        self.view.setAccessibleName("Pages of the document, as they will be saved")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setPageSpacing(12)
        self.view.setDocument(self.document)
        layout.addWidget(self.view, stretch=1)

        for keys, slot in (
            (QKeySequence.StandardKey.ZoomIn, self._on_zoom_in),
            (QKeySequence.StandardKey.ZoomOut, self._on_zoom_out),
            (QKeySequence("Ctrl+0"), self._on_fit_width),
            (QKeySequence(Qt.Key.Key_PageDown), self._on_next),
            (QKeySequence(Qt.Key.Key_PageUp), self._on_previous),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.view.pageNavigator().currentPageChanged.connect(self._on_page_changed)
        self._update_controls()

    # -- showing ---------------------------------------------------------------------------

    @property
    def data(self) -> bytes:
        """The bytes shown (empty when nothing is)."""
        return self._data

    def page_count(self) -> int:
        return self.document.pageCount() if self._data else 0

    def show_pdf(self, data: bytes) -> int:
        """Show every page of ``data``; return how many pages it has (0 if unreadable)."""
        self.clear()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._buffer = buffer
        self.document.load(buffer)
        if self.document.status() != QPdfDocument.Status.Ready or self.document.pageCount() < 1:
            self.document.close()
            self._drop_buffer()
            self.status.setText(UNREADABLE)
            self.status.setAccessibleDescription(UNREADABLE)
            self._update_controls()
            return 0
        self._data = bytes(data)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.pageNavigator().jump(0, QPointF(), 0)
        self._update_controls()
        self.loaded.emit(self.document.pageCount())
        return self.document.pageCount()

    def clear(self) -> None:
        """Show nothing (and let go of the bytes)."""
        self._data = b""
        self.document.close()
        self._drop_buffer()
        self.status.setText(NO_DOCUMENT)
        self._update_controls()

    def _drop_buffer(self) -> None:
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
            self._buffer = None

    def current_page(self) -> int:
        """The page at the top of the view, counting from 0."""
        return self.view.pageNavigator().currentPage()

    def _update_controls(self) -> None:
        pages = self.page_count()
        page = self.current_page() if pages else 0
        if pages:
            text = f"Page {page + 1} of {pages}"
            self.status.setText(text)
            self.status.setAccessibleDescription(text)
        for button in (self.zoom_in_button, self.zoom_out_button, self.fit_button):
            button.setEnabled(pages > 0)
        self.previous_button.setEnabled(pages > 0 and page > 0)
        self.next_button.setEnabled(pages > 0 and page < pages - 1)

    # -- slots -----------------------------------------------------------------------------

    def _go_to(self, page: int) -> None:
        pages = self.page_count()
        if pages:
            self.view.pageNavigator().jump(max(0, min(page, pages - 1)), QPointF(), 0)
            self._update_controls()

    def _on_next(self) -> None:
        self._go_to(self.current_page() + 1)

    def _on_previous(self) -> None:
        self._go_to(self.current_page() - 1)

    def _zoom_by(self, factor: float) -> None:
        if not self.page_count():
            return
        current = self.view.zoomFactor()
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(MIN_ZOOM, min(MAX_ZOOM, current * factor)))

    def _on_zoom_in(self) -> None:
        self._zoom_by(ZOOM_STEP)

    def _on_zoom_out(self) -> None:
        self._zoom_by(1 / ZOOM_STEP)

    def _on_fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def _on_page_changed(self, _page: int) -> None:
        self._update_controls()
