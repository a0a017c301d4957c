"""The trend chart of one measure for one client, with a key and a text alternative.

Totals over time (dates along the bottom) drawn over the measure's severity bands, which
are lightly shaded and named in words on the right; the cut-off as a dashed line labelled
with the definition's own name for it ("Caseness cut-off (10)", the words the details pane
uses too); and a marker on every administration whose change from the one before was
reliable: a triangle for reliable improvement and a diamond for reliable deterioration, so
colour is never the only signal. A key under the chart explains every line and marker
drawn, and under it a sentence says the same in words for people who cannot see it.

Every measure is drawn on a chart of its own: :meth:`TrendChart.show_measure` replaces the
chart (and deletes the old one), so nothing of the measure shown before (axes, dates, band
names) can be left painted on the new one. The totals, band names and cut-off label are
placed by the chart itself so that they never sit on top of one another.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from PySide6.QtCharts import (
    QAbstractAxis,
    QAbstractSeries,
    QAreaSeries,
    QCategoryAxis,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QDateTime, QMargins, QPointF, QRectF, Qt, QTime, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.measures.scoring import Verdict, cutoff_name

SCORE_COLOUR = "#0b3d91"  # dark blue, 9:1 on white
CUTOFF_COLOUR = "#222222"
IMPROVEMENT_COLOUR = "#006b3c"  # dark green; the triangle shape says it too
DETERIORATION_COLOUR = "#a4000f"  # dark red; the diamond shape says it too
BAND_LABEL_COLOUR = "#333333"
BAND_ALPHA = 90
DAY_MS = 24 * 60 * 60 * 1000
NO_SCORES = "No scores to chart yet."
MARKER_SIZE = 20
POINT_SIZE = 8
LABEL_GAP = 3  # pixels between a label and what it labels

TOTAL_ENTRY = "Total score"
IMPROVEMENT_ENTRY = "\u25b2 Reliable improvement"
DETERIORATION_ENTRY = "\u25c6 Reliable deterioration"
DEFAULT_CUTOFF_NAME = "Clinical cut-off"
RELIABLE = (Verdict.RELIABLE_IMPROVEMENT, Verdict.RELIABLE_DETERIORATION)


@dataclass(frozen=True)
class TrendPoint:
    """One administration as the chart shows it: when, its total, and the change verdict.

    ``verdict`` is the reliable-change verdict of the change from the administration before
    (None for the first).
    """

    day: date
    total: float
    total_text: str
    prorated: bool = False
    verdict: Verdict | None = None


def short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def summary_text(
    title: str,
    points: Sequence[TrendPoint],
    cutoff: float | None,
    *,
    cutoff_label: str = DEFAULT_CUTOFF_NAME,
) -> str:
    """The chart in one sentence: 'PHQ-9 scores: 18 on 3 Sep 2025, 11 on 1 Oct 2025 (...)'."""
    if not points:
        return f"{title}: {NO_SCORES}"
    parts = []
    for point in points:
        text = f"{point.total_text} on {short_date(point.day)}"
        notes = []
        if point.prorated:
            notes.append("prorated")
        if point.verdict in RELIABLE:
            notes.append(point.verdict.words.lower())
        if notes:
            text += f" ({', '.join(notes)})"
        parts.append(text)
    sentence = f"{title} scores: " + ", ".join(parts) + "."
    if cutoff is not None:
        sentence += f" {cutoff_name(cutoff_label)} {_number(cutoff)}."
    return sentence


def cutoff_entry(label: str, value: float) -> str:
    """The cut-off as the chart names it: 'Caseness cut-off (10)'."""
    return f"{cutoff_name(label)} ({_number(value)})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _ms(day: date) -> float:
    # Noon, so the point sits in the middle of its day whatever the time zone.
    return float(QDateTime(QDate(day.year, day.month, day.day), QTime(12, 0)).toMSecsSinceEpoch())


def band_colour(position: int, count: int, *, higher_is_worse: bool) -> QColor:
    """A light shade from green (best) to red (worst) for the band at ``position``."""
    worst_share = position / max(count - 1, 1)
    if not higher_is_worse:
        worst_share = 1 - worst_share
    hue = int(120 * (1 - worst_share))  # 120 is green, 0 is red
    colour = QColor.fromHsv(hue, 90, 250)
    colour.setAlpha(BAND_ALPHA)
    return colour


def _nice_step(span: float) -> float:
    """A round tick interval giving about six ticks over ``span``."""
    raw = max(span / 6, 1e-9)
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if step >= raw:
            return float(step)
    return float(round(raw))


def spread(centres: Sequence[float], height: float, top: float, bottom: float) -> list[float]:
    """Centres moved as little as needed so labels ``height`` tall do not overlap.

    ``centres`` are in order from top to bottom; the result keeps that order and stays
    within ``top`` to ``bottom`` where there is room for all of them.
    """
    if not centres:
        return []
    placed = list(centres)
    half = height / 2
    placed[0] = max(placed[0], top + half)
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + height)
    placed[-1] = min(placed[-1], bottom - half)
    for i in range(len(placed) - 2, -1, -1):
        placed[i] = min(placed[i], placed[i + 1] - height)
    placed[0] = max(placed[0], top + half)  # no room for all: overlap at the bottom instead
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + height)
    return placed


def _legend_html(entries: Sequence[tuple[str, str, str]]) -> str:
    """The key as rich text: each entry's symbol in its colour, kept on one line."""
    parts = []
    for symbol, colour, words in entries:
        parts.append(
            f"<span style='color:{colour}; font-weight:bold'>{html.escape(symbol)}</span>"
            f"&nbsp;{html.escape(words).replace(' ', '&nbsp;')}"
        )
    return "Key: " + " &nbsp;&nbsp;&nbsp; ".join(parts)


class TrendChart(QWidget):
    """A measure's totals over time, its bands, cut-off and reliable-change markers.

    Call :meth:`show_measure` with the definition, the points in date order and the cut-off
    in force. Each call draws on a new :class:`QChart` (``chart``). The series are kept as
    attributes so what is drawn can be checked: ``score_series``, ``band_series`` (one per
    band), ``cutoff_series`` (None without a cut-off), ``improvement_series`` and
    ``deterioration_series``; the labels drawn on the chart are ``value_labels``,
    ``band_labels`` and ``cutoff_label``, and ``legend_entries`` is the key in words.

    Signals: none.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Trend chart")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = QChartView()
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Repaint the whole chart on every change, never only the parts Qt thinks moved.
        self.view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        # Readable at its smallest, and small enough that a record with a critical-item
        # alert still fits a 1366x768 laptop screen (tests/gui/test_screen_size.py).
        self.view.setMinimumHeight(200)
        self.view.setAccessibleName("Trend chart of the totals over time")
        layout.addWidget(self.view, stretch=1)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Key to the chart")
        self.legend.setContentsMargins(6, 0, 6, 0)
        # However long the key, it wraps: it never makes the chart wider.
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend.setMinimumWidth(1)
        self.legend.hide()
        layout.addWidget(self.legend)
        self.summary = QLabel(NO_SCORES)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.summary.setAccessibleName("The chart in words")
        layout.addWidget(self.summary)
        self.legend_entries: list[str] = []
        self.score_series: QLineSeries | None = None
        self.band_series: list[QAreaSeries] = []
        self.cutoff_series: QLineSeries | None = None
        self.improvement_series: QScatterSeries | None = None
        self.deterioration_series: QScatterSeries | None = None
        self.band_axis: QCategoryAxis | None = None
        self.value_labels: list[QGraphicsSimpleTextItem] = []
        self._marked: list[bool] = []  # whether each total has a reliable-change marker
        self.band_labels: list[tuple[QGraphicsSimpleTextItem, float]] = []
        self._placing = QTimer(self)
        self._placing.setSingleShot(True)
        self._placing.setInterval(0)
        self._placing.timeout.connect(self._on_placing_due)
        self._placed_in = QRectF()  # the plot area the labels were last placed in
        self.chart = self._new_chart()
        self.cutoff_label = self._cutoff_label(self.chart)
        self.view.setChart(self.chart)

    # -- building --------------------------------------------------------------------------

    def _new_chart(self) -> QChart:
        chart = QChart()
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().hide()  # the key is under the chart, where it has room to wrap
        chart.plotAreaChanged.connect(self._on_plot_area_changed)
        return chart

    @staticmethod
    def _cutoff_label(chart: QChart) -> QGraphicsSimpleTextItem:
        label = QGraphicsSimpleTextItem("", chart)
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
        label.setBrush(QBrush(QColor(CUTOFF_COLOUR)))
        label.setZValue(20)
        label.hide()
        return label

    def clear(self) -> None:
        """Put a new, empty chart in place of the one shown (which is deleted)."""
        old = self.chart
        self.chart = self._new_chart()
        self.cutoff_label = self._cutoff_label(self.chart)
        self.view.setChart(self.chart)
        old.plotAreaChanged.disconnect(self._on_plot_area_changed)
        old.deleteLater()
        self._placed_in = QRectF()
        self.legend_entries = []
        self.legend.clear()
        self.legend.hide()
        self.score_series = None
        self.band_series = []
        self.cutoff_series = None
        self.improvement_series = None
        self.deterioration_series = None
        self.band_axis = None
        self.value_labels = []
        self._marked = []
        self.band_labels = []
        self.view.viewport().update()

    def show_measure(
        self,
        definition: MeasureDefinition,
        points: Sequence[TrendPoint],
        *,
        cutoff: float | None,
    ) -> None:
        """Draw ``points`` (in date order) for ``definition``, with the cut-off in force."""
        self.clear()
        title = definition.short_title
        label = definition.cutoff.label if definition.cutoff is not None else DEFAULT_CUTOFF_NAME
        text = summary_text(title, points, cutoff, cutoff_label=label)
        self.summary.setText(text)
        self.view.setAccessibleDescription(text)
        self.view.setVisible(bool(points))
        if not points:
            return
        self.chart.setTitle(f"{title}: totals over time")
        low, high = definition.score_range
        # A little room beyond the lowest and highest totals, so a marker there is whole.
        y_pad = (high - low) * 0.03
        y_min, y_max = low - y_pad, high + y_pad
        first, last = _ms(points[0].day), _ms(points[-1].day)
        pad = max((last - first) * 0.06, 10 * DAY_MS)
        x_min, x_max = first - pad, last + pad

        x_axis = QDateTimeAxis()
        x_axis.setFormat("d MMM yyyy")
        x_axis.setTitleText("Date given")
        x_axis.setRange(
            QDateTime.fromMSecsSinceEpoch(int(x_min)), QDateTime.fromMSecsSinceEpoch(int(x_max))
        )
        x_axis.setTickCount(min(max(len(points) + 1, 3), 6))
        y_axis = QValueAxis()
        y_axis.setRange(y_min, y_max)
        y_axis.setTitleText("Total")
        y_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        y_axis.setTickAnchor(low)
        y_axis.setTickInterval(_nice_step(high - low))
        y_axis.setLabelFormat("%d" if definition.scoring.decimals == 0 else "%.1f")
        self.chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)

        legend: list[tuple[str, str, str]] = [("\u2501\u25cf\u2501", SCORE_COLOUR, TOTAL_ENTRY)]
        self._add_bands(definition, (x_min, x_max), (y_min, y_max), x_axis, y_axis)
        if cutoff is not None:
            name = cutoff_entry(label, cutoff)
            self._add_cutoff(
                name, cutoff=cutoff, x_min=x_min, x_max=x_max, x_axis=x_axis, y_axis=y_axis
            )
            legend.append(("- - -", CUTOFF_COLOUR, name))

        # Markers first, so the line is drawn over them.
        improved = [p for p in points if p.verdict is Verdict.RELIABLE_IMPROVEMENT]
        worse = [p for p in points if p.verdict is Verdict.RELIABLE_DETERIORATION]
        self.improvement_series = self._markers(
            IMPROVEMENT_ENTRY,
            shape=QScatterSeries.MarkerShape.MarkerShapeTriangle,
            colour=IMPROVEMENT_COLOUR,
            points=improved,
            axes=(x_axis, y_axis),
        )
        self.deterioration_series = self._markers(
            DETERIORATION_ENTRY,
            shape=QScatterSeries.MarkerShape.MarkerShapeRotatedRectangle,
            colour=DETERIORATION_COLOUR,
            points=worse,
            axes=(x_axis, y_axis),
        )
        # The key explains only what is drawn.
        if improved:
            legend.append(("\u25b2", IMPROVEMENT_COLOUR, IMPROVEMENT_ENTRY[2:]))
        if worse:
            legend.append(("\u25c6", DETERIORATION_COLOUR, DETERIORATION_ENTRY[2:]))
        scores = QLineSeries()
        scores.setName(TOTAL_ENTRY)
        pen = QPen(QColor(SCORE_COLOUR))
        pen.setWidth(3)
        scores.setPen(pen)
        scores.setPointsVisible(True)
        for point in points:
            scores.append(_ms(point.day), point.total)
        self._attach(scores, x_axis, y_axis)
        self.score_series = scores
        self._add_value_labels(points)

        self.legend_entries = [_entry_words(symbol, words) for symbol, _colour, words in legend]
        self.legend.setText(_legend_html(legend))
        self.legend.setAccessibleDescription("Key: " + "; ".join(self.legend_entries) + ".")
        self.legend.show()
        self.place_labels()
        self.view.viewport().update()

    def _add_value_labels(self, points: Sequence[TrendPoint]) -> None:
        # Each total written by its point; place_labels puts it clear of everything else.
        for point in points:
            label = QGraphicsSimpleTextItem(point.total_text, self.chart)
            font = QFont(label.font())
            font.setBold(True)
            label.setFont(font)
            label.setBrush(QBrush(QColor(SCORE_COLOUR)))
            label.setZValue(20)
            self.value_labels.append(label)
            self._marked.append(point.verdict in RELIABLE)

    def _attach(self, series: QAbstractSeries, *axes: QAbstractAxis) -> None:
        self.chart.addSeries(series)
        for axis in axes:
            series.attachAxis(axis)

    def _add_bands(
        self,
        definition: MeasureDefinition,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        x_axis: QDateTimeAxis,
        y_axis: QValueAxis,
    ) -> None:
        bands = definition.bands
        if not bands:
            return
        x_min, x_max = x_range
        low, high = definition.score_range
        names = QCategoryAxis()
        names.setRange(*y_range)
        names.setStartValue(y_range[0] if bands[0].minimum <= low else bands[0].minimum)
        names.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionCenter)
        names.setGridLineVisible(False)
        # The axis keeps the room for the names and marks where each band starts; the
        # names themselves are drawn by place_labels, which never lets one drop out.
        names.setLabelsBrush(QBrush(QColor(0, 0, 0, 0)))
        self.chart.addAxis(names, Qt.AlignmentFlag.AlignRight)
        for position, band in enumerate(bands):
            # Shade each band up to where the next begins, so there are no gaps between.
            top = bands[position + 1].minimum if position + 1 < len(bands) else band.maximum
            # The first and last bands reach the edges of the chart (past the lowest and
            # highest totals), so there is no unshaded strip.
            shade_top = y_range[1] if top >= high else top
            shade_bottom = y_range[0] if band.minimum <= low else band.minimum
            upper = QLineSeries()
            upper.append(x_min, shade_top)
            upper.append(x_max, shade_top)
            lower = QLineSeries()
            lower.append(x_min, shade_bottom)
            lower.append(x_max, shade_bottom)
            area = QAreaSeries(upper, lower)
            # The area does not own its boundary lines; make it, so they live as long.
            upper.setParent(area)
            lower.setParent(area)
            area.setName(band.label)
            area.setBrush(
                QBrush(
                    band_colour(position, len(bands), higher_is_worse=definition.higher_is_worse)
                )
            )
            area.setPen(QPen(Qt.PenStyle.NoPen))
            self._attach(area, x_axis, y_axis)
            area.attachAxis(names)
            names.append(band.label, shade_top)
            self.band_series.append(area)
            text = QGraphicsSimpleTextItem(band.label, self.chart)
            text.setFont(names.labelsFont())
            text.setBrush(QBrush(QColor(BAND_LABEL_COLOUR)))
            text.setZValue(20)
            self.band_labels.append((text, (band.minimum + top) / 2))
        self.band_axis = names

    def _add_cutoff(
        self,
        name: str,
        *,
        cutoff: float,
        x_min: float,
        x_max: float,
        x_axis: QDateTimeAxis,
        y_axis: QValueAxis,
    ) -> None:
        line = QLineSeries()
        line.setName(name)
        pen = QPen(QColor(CUTOFF_COLOUR))
        pen.setWidth(2)
        pen.setStyle(Qt.PenStyle.DashLine)
        line.setPen(pen)
        line.append(x_min, cutoff)
        line.append(x_max, cutoff)
        self._attach(line, x_axis, y_axis)
        self.cutoff_series = line
        self.cutoff_label.setText(name)
        self.cutoff_label.show()

    def _markers(
        self,
        name: str,
        *,
        shape: QScatterSeries.MarkerShape,
        colour: str,
        points: Sequence[TrendPoint],
        axes: tuple[QDateTimeAxis, QValueAxis],
    ) -> QScatterSeries:
        series = QScatterSeries()
        series.setName(name)
        series.setMarkerShape(shape)
        series.setMarkerSize(MARKER_SIZE)
        series.setColor(QColor(colour))
        series.setBorderColor(QColor("#000000"))
        for point in points:
            series.append(_ms(point.day), point.total)
        self._attach(series, *axes)
        return series

    # -- placing the labels ------------------------------------------------------------------

    def place_labels(self) -> None:
        """Put the totals, band names and cut-off label where they do not overlap."""
        if self.score_series is None:
            return
        area = self.chart.plotArea()
        if area.width() <= 0 or area.height() <= 0:
            return
        self._placed_in = QRectF(area)
        line = [self.chart.mapToPosition(p, self.score_series) for p in self.score_series.points()]
        cutoff = self._cutoff_y()
        crossing = _LineIndex(line)
        taken = self._place_value_labels(area, line, cutoff, crossing)
        self._place_band_labels(area)
        self._place_cutoff_label(area, taken, crossing, cutoff)

    def _cutoff_y(self) -> float | None:
        if self.cutoff_series is None or self.cutoff_series.count() < 1:
            return None
        first = self.cutoff_series.points()[0]
        return self.chart.mapToPosition(first, self.cutoff_series).y()

    def _place_value_labels(
        self,
        area: QRectF,
        line: Sequence[QPointF],
        cutoff: float | None,
        crossing: _LineIndex | None = None,
    ) -> list[QRectF]:
        """Each total by its point, clear of the others, the line and the cut-off.

        Tried above the point, then below, right and left; the rects taken (the points'
        markers and the labels) are returned for the cut-off label to keep clear of.

        Linear in the number of points: what is near a candidate is looked up in grids of
        the markers, the labels placed so far and the line's segments, rather than every
        candidate being checked against everything (which took seconds for a long record).
        """
        crossing = crossing if crossing is not None else _LineIndex(line)
        points = [_around(where, MARKER_SIZE / 2 + 1) for where in line]
        cutoff_line = (
            [QRectF(area.left(), cutoff - 1, area.width(), 2)] if cutoff is not None else []
        )
        marked_near = _Grid(2.0)
        for i, (m, p) in enumerate(zip(self._marked, line, strict=False)):
            if m:
                marked_near.add(i, QRectF(p.x(), p.y(), 0, 0))
        markers = _Grid(GRID_CELL)
        for i, rect in enumerate(points):
            markers.add(i, rect)
        placed = _Grid(GRID_CELL)
        labels: list[QRectF] = []
        for index, (label, where) in enumerate(zip(self.value_labels, line, strict=False)):
            # Clear of the largest marker drawn here (two totals on one day share a spot).
            marked = any(
                abs(line[i].x() - where.x()) < 2 and abs(line[i].y() - where.y()) < 2
                for i in marked_near.near(QRectF(where.x() - 2, where.y() - 2, 4, 4))
            )
            clearance = (MARKER_SIZE / 2 if marked else POINT_SIZE / 2) + LABEL_GAP
            size = label.boundingRect()
            w, h = size.width(), size.height()
            x, y = where.x(), where.y()
            candidates = [
                QRectF(x - w / 2, y - clearance - h, w, h),  # above
                QRectF(x - w / 2, y + clearance, w, h),  # below
                QRectF(x + clearance, y - h / 2, w, h),  # right
                QRectF(x - clearance - w, y - h / 2, w, h),  # left
            ]
            inside = [c for c in candidates if area.adjusted(0, -h / 2, 0, 0).contains(c)]
            inside = inside or candidates

            def clear_of_labels(c: QRectF) -> bool:
                return _clear_of(c, [labels[i] for i in placed.near(c)])

            def clear_of_others(c: QRectF, index: int = index, where: QPointF = where) -> bool:
                near = [
                    points[i]
                    for i in markers.near(c)
                    # not a total on the same spot
                    if i != index and not points[i].contains(where)
                ]
                return _clear_of(c, near)

            # Clear of everything if possible; else of the other totals and markers; else
            # at least of the other totals, so no number is ever written over another.
            tiers = [
                [
                    c
                    for c in inside
                    if clear_of_labels(c) and clear_of_others(c) and _clear_of(c, cutoff_line)
                ],
                [c for c in inside if clear_of_labels(c) and clear_of_others(c)],
                [c for c in inside if clear_of_labels(c)],
            ]
            free = [c for c in tiers[0] if not crossing.crosses(c)]
            choice = next((tier[0] for tier in (free, *tiers) if tier), inside[0])
            label.setPos(choice.topLeft())
            placed.add(len(labels), choice)
            labels.append(choice)
        return points + labels

    def _place_band_labels(self, area: QRectF) -> None:
        if not self.band_labels or self.score_series is None:
            return
        # Top of the chart first: bands with higher totals are higher up.
        order = sorted(self.band_labels, key=lambda pair: -pair[1])
        wanted = [
            self.chart.mapToPosition(QPointF(0, middle), self.score_series).y()
            for _label, middle in order
        ]
        height = max(label.boundingRect().height() for label, _middle in order)
        placed = spread(wanted, height, area.top(), area.bottom())
        for (label, _middle), centre in zip(order, placed, strict=True):
            label.setPos(area.right() + 8, centre - label.boundingRect().height() / 2)

    def _place_cutoff_label(
        self,
        area: QRectF,
        taken: Sequence[QRectF],
        crossing: _LineIndex,
        y: float | None,
    ) -> None:
        """On the cut-off line, clear of the totals, the markers and the line of scores.

        Tried at the left, then the right, then along the line, above it and then below;
        where nothing is clear, somewhere clear of the totals and markers at least.
        """
        if y is None:
            return
        size = self.cutoff_label.boundingRect()
        left = area.left() + 6
        right = area.right() - 6 - size.width()
        xs = [left, right] + [left + (right - left) * k / 6 for k in range(1, 6)]
        candidates = [
            QRectF(x, top, size.width(), size.height())
            for top in (y - size.height() - 2, y + 2)
            for x in xs
        ]
        inside = [c for c in candidates if area.contains(c)] or candidates
        clear = [c for c in inside if _clear_of(c, taken)]
        free = next((c for c in clear if not crossing.crosses(c)), None)
        self.cutoff_label.setPos((free or (clear or inside)[0]).topLeft())

    def _on_placing_due(self) -> None:
        if self.chart.plotArea() != self._placed_in:  # else they are where they belong
            self.place_labels()

    def _on_plot_area_changed(self) -> None:
        # The plot area changes several times while the chart is laid out: place the
        # labels once it has settled, not at every step.
        self._placing.start()


def _clear_of(rect: QRectF, obstacles: Sequence[QRectF]) -> bool:
    return not any(rect.intersects(other) for other in obstacles)


def _crosses(rect: QRectF, line: Sequence[QPointF]) -> bool:
    """Whether the line through these points passes through ``rect`` (checked every 2 px)."""
    return any(_segment_crosses(rect, a, b) for a, b in pairwise(line))


def _segment_crosses(rect: QRectF, a: QPointF, b: QPointF) -> bool:
    steps = max(int(max(abs(b.x() - a.x()), abs(b.y() - a.y())) / 2), 1)
    for k in range(steps + 1):
        t = k / steps
        if rect.contains(QPointF(a.x() + (b.x() - a.x()) * t, a.y() + (b.y() - a.y()) * t)):
            return True
    return False


# Side of a cell of the grids that find what is near a label (px): about a label's size.
GRID_CELL = 32.0


class _Grid:
    """Rectangles by the grid cells they cover, to find those near a rectangle quickly.

    ``near`` returns every rectangle whose cells meet the query's (a superset of those
    that touch it, each once, in the order they were added); the caller checks exactly.
    """

    def __init__(self, cell: float) -> None:
        self._cell = cell
        self._cells: defaultdict[tuple[int, int], list[int]] = defaultdict(list)

    def _span(self, rect: QRectF) -> Iterator[tuple[int, int]]:
        # Every cell the rect covers, edges included: a rect that meets or touches this
        # one shares at least one of them.
        cell = self._cell
        left, right = math.floor(rect.left() / cell), math.floor(rect.right() / cell)
        top, bottom = math.floor(rect.top() / cell), math.floor(rect.bottom() / cell)
        for x in range(left, right + 1):
            for y in range(top, bottom + 1):
                yield x, y

    def add(self, ident: int, rect: QRectF) -> None:
        for key in self._span(rect):
            self._cells[key].append(ident)

    def near(self, rect: QRectF) -> list[int]:
        found: set[int] = set()
        for key in self._span(rect):
            found.update(self._cells.get(key, ()))
        return sorted(found)


class _LineIndex:
    """The segments of the line of scores, by grid cell, for :func:`_crosses` near a rect.

    Gives the same answer as :func:`_crosses` over the whole line: a segment whose
    bounding box does not reach the rect cannot have a sampled point inside it.
    """

    def __init__(self, line: Sequence[QPointF]) -> None:
        self._segments = list(pairwise(line))
        self._grid = _Grid(GRID_CELL)
        for i, (a, b) in enumerate(self._segments):
            self._grid.add(i, _box(a, b))

    def crosses(self, rect: QRectF) -> bool:
        return any(
            _segment_crosses(rect, *self._segments[i])
            for i in self._grid.near(rect)
            if _box(*self._segments[i]).adjusted(-1, -1, 1, 1).intersects(rect)
        )


def _box(a: QPointF, b: QPointF) -> QRectF:
    """The bounding box of a segment (may be flat)."""
    return QRectF(
        QPointF(min(a.x(), b.x()), min(a.y(), b.y())),
        QPointF(max(a.x(), b.x()), max(a.y(), b.y())),
    )


def _around(centre: QPointF, radius: float) -> QRectF:
    return QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)


def _entry_words(symbol: str, words: str) -> str:
    """A key entry in words: the shape stays with the words where it is the marker."""
    return f"{symbol} {words}" if symbol in ("\u25b2", "\u25c6") else words
