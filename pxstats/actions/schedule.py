"""When pxStatsStartup's periodic tasks are due (spec ops.md §3.4-§3.5, AutomaticUpdatesManager
and the graphics refresh schedule of the web pages), with the fixes of §8.2.

The state is the log of updates, data/temp/automaticUpdatesLogs/<type>/<YYYY-MM-DD_HH:MM:SS>:
one file per run of a task that succeeded, named by the run's time and holding the task's
frequency in minutes (plain text), written atomically; only the newest `keep` are kept.

* a task is due when it has no entry, or when the seconds since its newest entry reach its
  frequency less a tolerance of 60 s (start-time jitter never postpones it by a whole hour);
* `months` counts 43 200 minutes;
* the period predicates compare parsed times; with no previous entry every one is true;
  a new week is a new (year, %W) pair.
"""

from __future__ import annotations

import calendar
import re
import time
from pathlib import Path

from pxstats.paths import StatsPaths
from pxstats.util import atomic, timeutil

TYPES = (
    "pxStatsStartup",
    "monitoring",
    "generalCleaner",
    "picklecleaner",
    "dbBackups",
    "graphicsCleaner",  # not in the original (graphicsCleaner, issue 15)
)
TOLERANCE = 60
DAY = 86400
_ENTRY = re.compile(r"\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d")


def folder(paths: StatsPaths, kind: str) -> Path:
    if kind not in TYPES:
        raise ValueError(f"unknown update type {kind!r}")
    return paths.data / "temp" / "automaticUpdatesLogs" / kind


def entry_name(moment: int) -> str:
    return time.strftime("%Y-%m-%d_%H:%M:%S", time.gmtime(moment))


def entries(paths: StatsPaths, kind: str) -> list[str]:
    """The entries of a type, oldest first (names only; anything else in the folder is
    ignored)."""
    try:
        names = [p.name for p in folder(paths, kind).iterdir()]
    except FileNotFoundError:
        return []
    return sorted(name for name in names if _ENTRY.fullmatch(name))


def last_update(paths: StatsPaths, kind: str) -> int | None:
    """Time of the newest entry; None without one."""
    names = entries(paths, kind)
    if not names:
        return None
    return calendar.timegm(time.strptime(names[-1], "%Y-%m-%d_%H:%M:%S"))


def record(paths: StatsPaths, kind: str, moment: int, minutes: int, keep: int) -> Path:
    """Write the entry of a task that ran at `moment`; then keep the newest `keep` (0: all)."""
    path = folder(paths, kind) / entry_name(moment)
    atomic.write_text(path, f"{minutes}\n")
    names = entries(paths, kind)
    if keep > 0:
        for name in names[:-keep]:
            try:
                (path.parent / name).unlink()
            except FileNotFoundError:
                pass
    return path


def is_due(paths: StatsPaths, kind: str, moment: int, minutes: int) -> bool:
    """Due when never run, or when `minutes` (less 60 s) have passed since the last run."""
    last = last_update(paths, kind)
    if last is None:
        return True
    return max(0, moment - last) >= minutes * 60 - TOLERANCE


# -- the period predicates of the web-page graphics (§3.5) -----------------------------------


def _parts(moment: int) -> time.struct_time:
    return time.gmtime(moment)


def first_of(period: str, moment: int, last: int | None) -> bool:
    """isFirstUpdateOfThe<Hour|Day|Week|Month|Year> of `moment` after the run at `last`."""
    if last is None:
        return True
    if moment <= last:
        return False
    a, b = _parts(last), _parts(moment)
    if period == "hourly":
        return (a.tm_year, a.tm_yday, a.tm_hour) != (b.tm_year, b.tm_yday, b.tm_hour)
    if period == "daily":
        return (a.tm_year, a.tm_yday) != (b.tm_year, b.tm_yday)
    if period == "weekly":
        week = "%Y %W"
        return time.strftime(week, a) != time.strftime(week, b)
    if period == "monthly":
        return (a.tm_year, a.tm_mon) != (b.tm_year, b.tm_mon)
    if period == "yearly":
        return a.tm_year != b.tm_year
    raise ValueError(f"unknown frequency word {period!r}")


def add_months(moment: int, months: int) -> int:
    """The same day and time `months` later (the day clamped to the month's length)."""
    t = _parts(moment)
    index = t.tm_year * 12 + t.tm_mon - 1 + months
    year, month = divmod(index, 12)
    day = min(t.tm_mday, calendar.monthrange(year, month + 1)[1])
    return calendar.timegm((year, month + 1, day, t.tm_hour, t.tm_min, t.tm_sec))


def _step(kind: str, moment: int, count: int) -> int:
    if kind == "days":
        return moment + count * DAY
    if kind == "weeks":
        return moment + count * 7 * DAY
    if kind == "months":
        return add_months(moment, count)
    if kind == "years":
        return add_months(moment, 12 * count)
    raise ValueError(kind)


def missing(kind: str, first: int, last: int) -> list[int]:
    """getMissing<kind>BetweenUpdates(first, last): first, first+1 unit, ... while <= last,
    without the final element; empty unless last > first."""
    if last <= first:
        return []
    found, count = [], 0
    while (value := _step(kind, first, count)) <= last:
        found.append(value)
        count += 1
    return found[:-1]


def midnight(moment: int) -> int:
    return moment - moment % DAY


def iso(moment: int) -> str:
    return timeutil.iso(moment)
