"""Time windows and resolution of the RRD graphics (spec rrd.md §3.3, §3.6).

All times are UTC epoch seconds. A window is (start, end); the graphics program takes it
ending at the hour holding its date (`graph_window`), so every window starts and ends on a
whole hour.
"""

from __future__ import annotations

import calendar
import time

from pxstats.i18n import PERIODS  # noqa: E402,F401 - the four periods, named once
from pxstats.util import timeutil

# Floating window length per period, hours.
PERIOD_HOURS = {"daily": 24, "weekly": 168, "monthly": 720, "yearly": 8760}

# Coverage of the per-client archives (spec §1.3): 5 days of minutes, 14 days of hours,
# 243.3 days of 4 hours.
MINUTES_COVERAGE = 432_000
HOURS_COVERAGE = 1_209_600
FOUR_HOURS_COVERAGE = 21_024_000


def _midnight(epoch: int) -> int:
    return timeutil.day_start(epoch)


def _month_start(year: int, month: int) -> int:
    while month < 1:
        month += 12
        year -= 1
    while month > 12:
        month -= 12
        year += 1
    return calendar.timegm((year, month, 1, 0, 0, 0))


def _sunday_on_or_before(epoch: int) -> int:
    """00:00 of the Sunday on or before `epoch` (weeks run Sunday to Sunday, `%w` = 0)."""
    weekday = (time.gmtime(epoch).tm_wday + 1) % 7  # Sunday = 0, as strftime %w
    return _midnight(epoch) - weekday * timeutil.DAY


def window(
    date: int,
    period: str | None,
    span_hours: int | None = None,
    fixed_current: bool = False,
    fixed_previous: bool = False,
) -> tuple[int, int]:
    """(start, end) of a graphic ending at `date`, before the end is rounded to the hour.

    period None: [date - span, date]. Floating periods: [date - 1/7/30/365 days, date].
    fixedCurrent: the calendar day/week/month/year holding `date`; fixedPrevious: the one
    before it (the previous month of January is December of the year before — the
    original returned the whole previous year)."""
    if period is None:
        if span_hours is None:
            raise ValueError("a window without a period needs a span")
        return date - span_hours * timeutil.HOUR, date
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    if fixed_current and fixed_previous:
        raise ValueError("only one of fixed_current and fixed_previous")
    if not (fixed_current or fixed_previous):
        return date - PERIOD_HOURS[period] * timeutil.HOUR, date
    if period == "daily":
        this = _midnight(date)
        if fixed_current:
            return this, this + timeutil.DAY
        return this - timeutil.DAY, this
    if period == "weekly":
        this = _sunday_on_or_before(date)
        if fixed_current:
            return this, this + 7 * timeutil.DAY
        return this - 7 * timeutil.DAY, this
    tm = time.gmtime(date)
    if period == "monthly":
        if fixed_current:
            return _month_start(tm.tm_year, tm.tm_mon), _month_start(tm.tm_year, tm.tm_mon + 1)
        return _month_start(tm.tm_year, tm.tm_mon - 1), _month_start(tm.tm_year, tm.tm_mon)
    # yearly
    if fixed_current:
        return _month_start(tm.tm_year, 1), _month_start(tm.tm_year + 1, 1)
    return _month_start(tm.tm_year - 1, 1), _month_start(tm.tm_year, 1)


def graph_window(
    date: int,
    period: str | None,
    span_hours: int | None = None,
    fixed_current: bool = False,
    fixed_previous: bool = False,
) -> tuple[int, int, int]:
    """(start, end, span hours) as generateRRDGraphics uses them: `date` is rounded down to
    the hour first, so a floating window (a span, or a period without a fixed option) is the
    `span` whole hours ending at that hour, e.g. 02:00-14:00 for a 12-hour graphic asked at
    14:33. Window, title ("12 hours") and legend figures then describe the same data, and the
    window starts on the boundaries of rrdtool's consolidated points.

    The original rounded only the end (02:33-14:00 under a "12 hours" title), and its legend
    figures were groups of rows counted from 02:33 while rrdtool drew points aligned on
    02:30, 02:40, ... (issue 10 item 10). Fixed windows start and end on midnights anyway."""
    start, end = window(
        timeutil.hour_start(date), period, span_hours, fixed_current, fixed_previous
    )
    span = (end - start) // timeutil.HOUR
    return start, timeutil.hour_start(end), span


def intervals(start: int, last_update: int, period: str | None) -> tuple[int, int]:
    """(fetch interval, plot interval) in minutes: the finest archive that still covers the
    window start, measured from the database's time of update (spec §3.6).

    Yearly graphics always use daily rows (the original tested `d != 0` there, so a time of
    update exactly at the window start fell through to minutes)."""
    d = last_update - start
    if period == "yearly":
        return 1440, 1440
    if period == "monthly" and d < FOUR_HOURS_COVERAGE:
        return 240, 240
    if period == "weekly" and d < HOURS_COVERAGE:
        return 60, 60
    if d < MINUTES_COVERAGE:
        return 1, 10
    if d < HOURS_COVERAGE:
        return 60, 60
    if d < FOUR_HOURS_COVERAGE:
        return 240, 240
    return 1440, 1440


def span_parts(span_hours: int) -> tuple[int, str]:
    """(n, unit key) of a span: whole years (8760 h), else months (720 h), else days, else hours."""
    if span_hours % 8760 == 0:
        return span_hours // 8760, "years"
    if span_hours % 720 == 0:
        return span_hours // 720, "months"
    if span_hours % 24 == 0:
        return span_hours // 24, "days"
    return span_hours, "hours"
