"""The Qt half of ``clinic-app self-test``: does Qt start here, with the modules we use?

:func:`probe` starts a ``QApplication`` on the platform given (or Qt's own choice), builds
a small chart with Qt Charts and opens a one-page PDF with Qt PDF, the two Add-ons
modules the record screens rely on. It returns plain text findings, never raising, so the
caller can report each one.

It runs in a child process of the self-test (``clinic-app self-test --qt-probe``): when a
platform plugin cannot load, Qt aborts the whole process that tried, and the report must
still be printed by the parent.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class QtFindings:
    """What the probe found: the platform started and any module that failed, with why."""

    platform: str = ""
    qt_version: str = ""
    platform_error: str = ""
    module_errors: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def probe(sample_pdf: bytes) -> QtFindings:
    """Start Qt, then exercise Qt Charts and Qt PDF (rendering ``sample_pdf``'s first page)."""
    messages: list[str] = []
    try:
        from PySide6 import QtCore  # noqa: PLC0415 - only the probe process loads Qt
        from PySide6.QtWidgets import QApplication, QWidget  # noqa: PLC0415

        def keep(_kind: QtCore.QtMsgType, _context: QtCore.QMessageLogContext, text: str) -> None:
            # Echoed at once: a fatal message is followed by an abort, and the parent
            # process reads the reason from this process's error output.
            messages.append(text)
            print(text, file=sys.stderr, flush=True)

        QtCore.qInstallMessageHandler(keep)
        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "clinic-app"])
        widget = QWidget()
        widget.resize(40, 30)
        platform = QApplication.platformName()
        version = QtCore.qVersion()
    except Exception as exc:  # the report names the failure; the caller decides
        return QtFindings(platform_error=f"{type(exc).__name__}: {exc}", messages=messages)
    errors: dict[str, str] = {}
    for name, check in (("Qt Charts", _check_charts), ("Qt PDF", _check_pdf)):
        try:
            problem = check(sample_pdf)
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            errors[name] = problem
    app.processEvents()
    return QtFindings(platform, version, "", errors, messages)


def _check_charts(_sample_pdf: bytes) -> str:
    from PySide6.QtCharts import QChart, QChartView, QLineSeries  # noqa: PLC0415

    series = QLineSeries()
    for x, y in ((0, 12.0), (1, 9.0), (2, 5.0)):
        series.append(x, y)
    chart = QChart()
    chart.addSeries(series)
    chart.createDefaultAxes()
    view = QChartView(chart)
    view.resize(200, 120)
    pixmap = view.grab()
    return "" if not pixmap.isNull() else "a chart could not be drawn"


def _check_pdf(sample_pdf: bytes) -> str:
    from PySide6.QtCore import QBuffer, QByteArray, QSize  # noqa: PLC0415
    from PySide6.QtPdf import QPdfDocument  # noqa: PLC0415
    from PySide6.QtPdfWidgets import QPdfView  # noqa: PLC0415

    buffer = QBuffer()
    buffer.setData(QByteArray(sample_pdf))
    buffer.open(QBuffer.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    if document.status() is not QPdfDocument.Status.Ready:
        return f"a PDF could not be opened ({document.status().name})"
    if document.pageCount() != 1:
        return f"a one-page PDF showed {document.pageCount()} pages"
    image = document.render(0, QSize(120, 170))
    view = QPdfView()
    view.setDocument(document)
    document.close()
    return "" if not image.isNull() else "a PDF page could not be drawn"


def probe_main() -> int:
    """The self-test's child process (``clinic-app self-test --qt-probe``): probe Qt and
    print one marked line of findings. Started from ``clinic_app.__main__`` so that the
    command line itself never imports Qt."""
    from clinic_app import selftest  # noqa: PLC0415

    found = probe(selftest.sample_pdf())
    print(
        selftest.qt_probe_result(
            found.platform, found.qt_version, found.platform_error, found.module_errors
        ),
        flush=True,
    )
    return 0
