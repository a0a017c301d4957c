"""The service-evaluation outcome report: aggregate tables and bar charts, as PDF bytes.

Content in, bytes out, like the other documents: the sections arrive with their numbers
already suppressed (a cell under five reads ``<5``), and a chart draws only numbers that
are shown; a suppressed value is left out of its chart and said to be. Drawn on the same
page frame as every document (marking, document ID, "Page X of Y").
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.graphics.charts.barcharts import VerticalBarChart  # type: ignore[import-untyped]
from reportlab.graphics.charts.legends import Legend  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing, String  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import Flowable, KeepTogether, Spacer  # type: ignore[import-untyped]

from clinic_app.reports.content import DocumentFrame
from clinic_app.reports.page import (
    CONTENT_WIDTH,
    FONT,
    SMALL,
    build_pdf,
    document_head,
    heading,
    para,
    table,
)

SERIES_COLOURS = (
    colors.Color(0.0, 0.37, 0.72),  # NHS blue
    colors.Color(0.85, 0.55, 0.0),
    colors.Color(0.2, 0.55, 0.25),
    colors.Color(0.55, 0.2, 0.45),
    colors.Color(0.4, 0.4, 0.4),
)


@dataclass(frozen=True)
class BarChart:
    """Bars by category; a value of None was suppressed and is not drawn."""

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int | None, ...]], ...]


@dataclass(frozen=True)
class OutcomeSection:
    """A heading, what it shows, a table of already-suppressed cells and maybe a chart."""

    title: str
    note: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    chart: BarChart | None = None


@dataclass(frozen=True)
class OutcomeReport:
    """The whole report: what it covers and its sections."""

    subtitle: str
    about: tuple[str, ...]
    sections: tuple[OutcomeSection, ...]


def _chart(chart: BarChart) -> list[Flowable]:
    width, height = CONTENT_WIDTH, 62 * mm
    drawing = Drawing(width, height)
    bars = VerticalBarChart()
    bars.x, bars.y = 12 * mm, 14 * mm
    bars.width, bars.height = width - 60 * mm, height - 22 * mm
    bars.data = [[v or 0 for v in values] for _name, values in chart.series]
    bars.categoryAxis.categoryNames = [c[:18] for c in chart.categories]
    bars.categoryAxis.labels.fontName = FONT
    bars.categoryAxis.labels.fontSize = 6.5
    bars.categoryAxis.labels.angle = 20 if len(chart.categories) > 4 else 0
    bars.categoryAxis.labels.boxAnchor = "ne" if len(chart.categories) > 4 else "n"
    bars.valueAxis.labels.fontName = FONT
    bars.valueAxis.labels.fontSize = 7
    bars.valueAxis.valueMin = 0
    for index in range(len(chart.series)):
        bars.bars[index].fillColor = SERIES_COLOURS[index % len(SERIES_COLOURS)]
    drawing.add(bars)
    legend = Legend()
    legend.x, legend.y = width - 45 * mm, height - 8 * mm
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.colorNamePairs = [
        (SERIES_COLOURS[i % len(SERIES_COLOURS)], name[:28])
        for i, (name, _values) in enumerate(chart.series)
    ]
    drawing.add(legend)
    drawing.add(String(0, height - 6, chart.title[:90], fontName=FONT, fontSize=8))
    hidden = any(v is None for _n, values in chart.series for v in values)
    out: list[Flowable] = [drawing]
    if hidden:
        out.append(para("Counts under 5 are suppressed and not drawn.", SMALL))
    return out


def _section(section: OutcomeSection) -> list[Flowable]:
    columns = max(len(section.header), 1)
    first = 30 * mm if columns > 5 else min(60 * mm, CONTENT_WIDTH / 2)
    rest = (CONTENT_WIDTH - first) / max(columns - 1, 1)
    widths = [first] + [rest] * (columns - 1) if columns > 1 else [CONTENT_WIDTH]
    head: list[Flowable] = [heading(section.title), para(section.note)]
    if section.rows:
        head.append(table([section.header, *section.rows], widths))
    else:
        head.append(para("Nothing to show for this period."))
    story: list[Flowable] = [KeepTogether(head)]
    if section.chart is not None and section.rows:
        story.append(Spacer(1, 4))
        story.append(KeepTogether(_chart(section.chart)))
    return story


def render_outcome_report(report: OutcomeReport, frame: DocumentFrame) -> bytes:
    """The outcome report as PDF bytes (the same content and frame give the same bytes)."""
    story: list[Flowable] = document_head(frame, report.subtitle)
    story.append(heading("About this report"))
    story.extend(para(line) for line in report.about)
    for section in report.sections:
        story.extend(_section(section))
    return build_pdf(frame, story)
