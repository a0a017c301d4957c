"""The trend chart of one measure for one client, with a text alternative.

Totals over time (dates along the bottom) drawn over the measure's severity bands, which
are lightly shaded and named in words on the right-hand axis; the clinical cut-off as a
dashed line labelled "Clinical cut-off (N)"; and a marker on every administration whose
change from the one before was reliable: a triangle for reliable improvement and a
diamond for reliable deterioration, explained in the legend, so colour is never the only
signal. Under the chart a sentence says the same in words for people who cannot see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

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
from PySide6.QtCore import QDate, QDateTime, QMargins, QPointF, Qt, QTime
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsSimpleTextItem, QLabel, QVBoxLayout, QWidget

from clinic_app.measures.definitions import MeasureDefinition
from clinic_app.measures.scoring import Verdict

SCORE_COLOUR = "#0b3d91"  # dark blue, 9:1 on white
CUTOFF_COLOUR = "#222222"
IMPROVEMENT_COLOUR = "#006b3c"  # dark green; the triangle shape says it too
DETERIORATION_COLOUR = "#a4000f"  # dark red; the diamond shape says it too
BAND_ALPHA = 90
DAY_MS = 24 * 60 * 60 * 1000
NO_SCORES = "No scores to chart yet."


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


def summary_text(title: str, points: Sequence[TrendPoint], cutoff: float | None) -> str:
    """The chart in one sentence: 'PHQ-9 scores: 18 on 3 Sep 2025, 11 on 1 Oct 2025 (...)'."""
    if not points:
        return f"{title}: {NO_SCORES}"
    parts = []
    for point in points:
        text = f"{point.total_text} on {short_date(point.day)}"
        notes = []
        if point.prorated:
            notes.append("prorated")
        if point.verdict in (Verdict.RELIABLE_IMPROVEMENT, Verdict.RELIABLE_DETERIORATION):
            notes.append(point.verdict.words.lower())
        if notes:
            text += f" ({', '.join(notes)})"
        parts.append(text)
    sentence = f"{title} scores: " + ", ".join(parts) + "."
    if cutoff is not None:
        sentence += f" Clinical cut-off {_number(cutoff)}."
    return sentence


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


class TrendChart(QWidget):
    """A measure's totals over time, its bands, cut-off and reliable-change markers.

    Call :meth:`show_measure` with the definition, the points in date order and the cut-off
    in force. The series are kept as attributes so what is drawn can be checked:
    ``score_series``, ``band_series`` (one per band), ``cutoff_series`` (None without a
    cut-off), ``improvement_series`` and ``deterioration_series``.

    Signals: none.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Trend chart")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.chart = QChart()
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(260)
        self.view.setAccessibleName("Trend chart of the totals over time")
        layout.addWidget(self.view, stretch=1)
        self.summary = QLabel(NO_SCORES)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.summary.setAccessibleName("The chart in words")
        layout.addWidget(self.summary)
        self.score_series: QLineSeries | None = None
        self.band_series: list[QAreaSeries] = []
        self.cutoff_series: QLineSeries | None = None
        self.cutoff_label = QGraphicsSimpleTextItem("", self.chart)
        label_font = QFont(self.cutoff_label.font())
        label_font.setBold(True)
        self.cutoff_label.setFont(label_font)
        self.cutoff_label.setBrush(QBrush(QColor(CUTOFF_COLOUR)))
        self.cutoff_label.hide()
        self.improvement_series: QScatterSeries | None = None
        self.deterioration_series: QScatterSeries | None = None
        self.band_axis: QCategoryAxis | None = None
        self.chart.plotAreaChanged.connect(self._on_plot_area_changed)

    def clear(self) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        self.cutoff_label.hide()
        self.cutoff_label.setText("")
        self.score_series = None
        self.band_series = []
        self.cutoff_series = None
        self.improvement_series = None
        self.deterioration_series = None
        self.band_axis = None

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
        text = summary_text(title, points, cutoff)
        self.summary.setText(text)
        self.view.setAccessibleDescription(text)
        self.view.setVisible(bool(points))
        if not points:
            return
        self.chart.setTitle(f"{title}: totals over time")
        low, high = definition.score_range
        first, last = _ms(points[0].day), _ms(points[-1].day)
        pad = max((last - first) * 0.06, 10 * DAY_MS)
        x_min, x_max = first - pad, last + pad

        x_axis = QDateTimeAxis()
        x_axis.setFormat("d MMM yyyy")
        x_axis.setTitleText("Date given")
        x_axis.setRange(
            QDateTime.fromMSecsSinceEpoch(int(x_min)), QDateTime.fromMSecsSinceEpoch(int(x_max))
        )
        x_axis.setTickCount(min(max(len(points) + 1, 3), 7))
        y_axis = QValueAxis()
        y_axis.setRange(low, high)
        y_axis.setTitleText("Total")
        y_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        y_axis.setTickAnchor(low)
        y_axis.setTickInterval(_nice_step(high - low))
        y_axis.setLabelFormat("%d" if definition.scoring.decimals == 0 else "%.1f")
        self.chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)

        self._add_bands(definition, x_min, x_max, x_axis, y_axis)
        if cutoff is not None:
            self._add_cutoff(cutoff, x_min, x_max, x_axis, y_axis)

        # Markers first, so the line and its value labels are drawn over them.
        self.improvement_series = self._markers(
            "Reliable improvement (triangle)",
            shape=QScatterSeries.MarkerShape.MarkerShapeTriangle,
            colour=IMPROVEMENT_COLOUR,
            points=[p for p in points if p.verdict is Verdict.RELIABLE_IMPROVEMENT],
            axes=(x_axis, y_axis),
        )
        self.deterioration_series = self._markers(
            "Reliable deterioration (diamond)",
            shape=QScatterSeries.MarkerShape.MarkerShapeRotatedRectangle,
            colour=DETERIORATION_COLOUR,
            points=[p for p in points if p.verdict is Verdict.RELIABLE_DETERIORATION],
            axes=(x_axis, y_axis),
        )
        scores = QLineSeries()
        scores.setName("Total score")
        pen = QPen(QColor(SCORE_COLOUR))
        pen.setWidth(3)
        scores.setPen(pen)
        scores.setPointsVisible(True)
        for point in points:
            scores.append(_ms(point.day), point.total)
        self._attach(scores, x_axis, y_axis)
        self.score_series = scores
        self._add_value_labels(scores, x_axis, y_axis)

        self._place_cutoff_label()

    def _add_value_labels(
        self, scores: QLineSeries, x_axis: QDateTimeAxis, y_axis: QValueAxis
    ) -> None:
        # Each total written above its point, clear of any reliable-change marker: an
        # invisible series of large markers whose labels Qt places above the marker.
        labels = QScatterSeries()
        labels.setMarkerSize(34)
        labels.setColor(QColor(0, 0, 0, 0))
        labels.setBorderColor(QColor(0, 0, 0, 0))
        labels.setPointLabelsVisible(True)
        labels.setPointLabelsFormat("@yPoint")
        labels.setPointLabelsColor(QColor(SCORE_COLOUR))
        font = QFont(labels.pointLabelsFont())
        font.setBold(True)
        labels.setPointLabelsFont(font)
        labels.append(scores.points())
        self._attach(labels, x_axis, y_axis)
        for marker in self.chart.legend().markers(labels):
            marker.setVisible(False)

    def _attach(self, series: QAbstractSeries, *axes: QAbstractAxis) -> None:
        self.chart.addSeries(series)
        for axis in axes:
            series.attachAxis(axis)

    def _add_bands(
        self,
        definition: MeasureDefinition,
        x_min: float,
        x_max: float,
        x_axis: QDateTimeAxis,
        y_axis: QValueAxis,
    ) -> None:
        bands = definition.bands
        if not bands:
            return
        names = QCategoryAxis()
        names.setRange(*definition.score_range)
        names.setStartValue(bands[0].minimum)
        names.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionCenter)
        names.setGridLineVisible(False)
        self.chart.addAxis(names, Qt.AlignmentFlag.AlignRight)
        for position, band in enumerate(bands):
            # Shade each band up to where the next begins, so there are no gaps between.
            top = bands[position + 1].minimum if position + 1 < len(bands) else band.maximum
            upper = QLineSeries()
            upper.append(x_min, top)
            upper.append(x_max, top)
            lower = QLineSeries()
            lower.append(x_min, band.minimum)
            lower.append(x_max, band.minimum)
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
            names.append(band.label, top)
            for marker in self.chart.legend().markers(area):
                marker.setVisible(False)  # named on the right-hand axis instead
            self.band_series.append(area)
        self.band_axis = names

    def _add_cutoff(
        self,
        cutoff: float,
        x_min: float,
        x_max: float,
        x_axis: QDateTimeAxis,
        y_axis: QValueAxis,
    ) -> None:
        line = QLineSeries()
        line.setName(f"Clinical cut-off ({_number(cutoff)})")
        pen = QPen(QColor(CUTOFF_COLOUR))
        pen.setWidth(2)
        pen.setStyle(Qt.PenStyle.DashLine)
        line.setPen(pen)
        line.append(x_min, cutoff)
        line.append(x_max, cutoff)
        self._attach(line, x_axis, y_axis)
        self.cutoff_series = line
        self.cutoff_label.setText(line.name())
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
        series.setMarkerSize(20)
        series.setColor(QColor(colour))
        series.setBorderColor(QColor("#000000"))
        for point in points:
            series.append(_ms(point.day), point.total)
        self._attach(series, *axes)
        for marker in self.chart.legend().markers(series):
            marker.setVisible(bool(points))  # the legend explains only what is drawn
        return series

    def _place_cutoff_label(self) -> None:
        if self.cutoff_series is None:
            return
        points = self.cutoff_series.points()
        if len(points) < 2:
            return
        left = self.chart.mapToPosition(QPointF(points[0]), self.cutoff_series)
        area = self.chart.plotArea()
        height = self.cutoff_label.boundingRect().height()
        self.cutoff_label.setPos(area.left() + 6, left.y() - height - 2)

    def _on_plot_area_changed(self) -> None:
        self._place_cutoff_label()
