"""The period a document covers: the checks every builder applies to it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from clinic_app.services.validation import Checker, date_problem

EARLIEST_PERIOD = date(2000, 1, 1)


def check_period(period_from: date, period_to: date, today: date) -> None:
    """Raises ValidationError for a period a document cannot cover (a bad date or an end
    before the start)."""
    check = Checker()
    check.add("period_to", date_problem(period_to, label="The end of the period", today=today))
    check.add(
        "period_from",
        date_problem(
            period_from, label="The start of the period", today=today, not_before=EARLIEST_PERIOD
        ),
    )
    if period_from > period_to:
        check.add("period_from", "The start of the period must not be after its end.")
    check.raise_if_any()


def day_after(value: date) -> datetime:
    """The first moment after the day ``value`` (UTC), to select what was saved by then."""
    return datetime.combine(value + timedelta(days=1), time.min, tzinfo=UTC)
