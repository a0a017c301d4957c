"""The chart's labels are placed in linear time, exactly where the first (quadratic) way
put them.

The reference below is the placement as it was first written: every candidate checked
against every marker, every label and the whole line. It took seconds for a long series;
the chart now looks only at what is near each candidate (grids of markers, labels and the
line's segments), which must never change where a label goes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from PySide6.QtCore import QPointF, QRectF

from clinic_app.measures.definitions import shipped_definitions
from clinic_app.measures.scoring import Verdict
from clinic_app.views.measures.chart import (
    LABEL_GAP,
    MARKER_SIZE,
    POINT_SIZE,
    TrendChart,
    TrendPoint,
    _around,
    _clear_of,
    _crosses,
    _LineIndex,
)

PHQ9 = next(d for d in shipped_definitions() if d.id == "phq-9" and d.version == "2")


def reference_value_labels(
    chart: TrendChart, area: QRectF, line: Sequence[QPointF], cutoff: float | None
) -> list[QRectF]:
    """Where each total went, as first written (quadratic in the number of points)."""
    points = [_around(where, MARKER_SIZE / 2 + 1) for where in line]
    cutoff_line = [QRectF(area.left(), cutoff - 1, area.width(), 2)] if cutoff is not None else []
    labels: list[QRectF] = []
    for index, (label, where) in enumerate(zip(chart.value_labels, line, strict=False)):
        marked = any(
            m and abs(p.x() - where.x()) < 2 and abs(p.y() - where.y()) < 2
            for m, p in zip(chart._marked, line, strict=False)
        )
        clearance = (MARKER_SIZE / 2 if marked else POINT_SIZE / 2) + LABEL_GAP
        size = label.boundingRect()
        w, h = size.width(), size.height()
        x, y = where.x(), where.y()
        candidates = [
            QRectF(x - w / 2, y - clearance - h, w, h),
            QRectF(x - w / 2, y + clearance, w, h),
            QRectF(x + clearance, y - h / 2, w, h),
            QRectF(x - clearance - w, y - h / 2, w, h),
        ]
        others = [r for i, r in enumerate(points) if i != index and not r.contains(where)]
        inside = [c for c in candidates if area.adjusted(0, -h / 2, 0, 0).contains(c)]
        inside = inside or candidates
        tiers = [
            [c for c in inside if _clear_of(c, labels + others + cutoff_line)],
            [c for c in inside if _clear_of(c, labels + others)],
            [c for c in inside if _clear_of(c, labels)],
        ]
        free = [c for c in tiers[0] if not _crosses(c, line)]
        choice = next((tier[0] for tier in (free, *tiers) if tier), inside[0])
        labels.append(choice)
    return points + labels


def long_series(count: int, seed: int) -> list[TrendPoint]:
    """A jagged series of PHQ-9 totals, some changes reliable, some days shared."""
    rng = random.Random(seed)
    day = date(2020, 1, 6)
    points = []
    total = 14
    for i in range(count):
        total = max(0, min(27, total + rng.choice((-7, -3, -1, 0, 1, 3, 7))))
        verdict = rng.choice(
            (None, None, Verdict.RELIABLE_IMPROVEMENT, Verdict.RELIABLE_DETERIORATION)
        )
        points.append(TrendPoint(day, total, str(total), verdict=None if i == 0 else verdict))
        day += timedelta(days=rng.choice((0, 1, 7, 7, 14)))
    return points


def test_labels_of_a_long_series_go_exactly_where_they_went_before(qtbot):
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(1000, 520)
    chart.show()
    for count, seed in ((160, 1), (60, 2), (20, 3)):
        chart.show_measure(PHQ9, long_series(count, seed), cutoff=10)
        assert chart.score_series is not None
        area = chart.chart.plotArea()
        line = [
            chart.chart.mapToPosition(p, chart.score_series) for p in chart.score_series.points()
        ]
        cutoff = chart._cutoff_y()
        expected = reference_value_labels(chart, area, line, cutoff)
        placed = chart._place_value_labels(area, line, cutoff)
        assert placed == expected
        # The line's index answers as the whole line does, for every rect tried here.
        crossing = _LineIndex(line)
        assert [crossing.crosses(r) for r in expected] == [_crosses(r, line) for r in expected]
