"""The names the web pages link to, taken from the functions the PRODUCERS use to name
their files, so a page and an archive can never disagree (the original computed the week
numbers on its own and could be a week off, B-22).

This is the one module of the web package that imports the graphic and CSV producers; when
they move, only these imports change.
"""

from __future__ import annotations

import time
from pathlib import Path

from pxstats.gnuplot import request as gnu
from pxstats.paths import StatsPaths
from pxstats.rrd import graph as rrd_graph
from pxstats.rrd import schema, windows
from pxstats.store import inventory

GraphicRequest = gnu.GraphicRequest
GNU_TYPES = gnu.TYPES
names_having_run = inventory.names_having_run
machines_name = schema.machines_name
window = windows.window


def daily_archive(
    paths: StatsPaths, file_type: str, name: str, group: bool, date: int, language: str
) -> Path:
    """The daily archive copy a 24-hour gnuplot graphic made at `date` is filed under
    (generateGraphics --copy: day of end - 60 s)."""
    request = GraphicRequest(
        clients=(name,),
        machines=("_",),
        end=date,
        span=24,
        file_type=file_type,
        group=name if group else "",
        combine=group,
        language=language,
        copy=True,
    )
    return gnu.archive_path(paths, request)


def period_start(period: str, date: int) -> int:
    """Start of the calendar period holding `date`, as the hourly run draws it
    (generateRRDGraphics --fixedCurrent --date <date>)."""
    return windows.window(date, period, fixed_current=True)[0]


def rrd_archive(
    paths: StatsPaths,
    period: str,
    file_type: str,
    name: str,
    data_type: str,
    date: int,
    language: str,
    totals_machine: str | None = None,
) -> Path:
    """The archive copy of generateRRDGraphics --copy --fixedCurrent --date <date>."""
    return rrd_graph.archive_path(
        paths,
        period,
        file_type,
        name,
        data_type,
        period_start(period, date),
        language,
        totals_machine,
    )


def csv_root(paths: StatsPaths) -> Path:
    from pxstats.actions import csv_export  # imported when needed (it reads the RRDs)

    return csv_export.csv_root(paths)


def csv_file(
    paths: StatsPaths, period: str, file_type: str, machines_value: str, date: int, language: str
) -> Path:
    """The CSV of csvDataConversion for the calendar period holding `date` (what
    --fixedCurrent writes at `date`, and --fixedPrevious one period later)."""
    from pxstats.actions import csv_export

    return csv_export.csv_path(
        paths, period, file_type, machines_value, period_start(period, date), language
    )


def gmtime(epoch: int) -> time.struct_time:
    return time.gmtime(epoch)
