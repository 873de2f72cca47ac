"""Which names have data where: the names having hourly pickles on some machines for some
hours (the transfer's -c ALL and wildcards), the time of update of an RRD database, and the
clients or sources whose databases were updated since a time (spec rrd.md §3.4, the "names
having run" service of generateRRDGraphics, csvDataConversion, generateGraphics and the web
pages).
"""

from __future__ import annotations

import fnmatch
import logging
from pathlib import Path

from pxstats.paths import StatsPaths, safe_component
from pxstats.rrd import schema
from pxstats.util import timeutil

log = logging.getLogger(__name__)


def time_of_update(paths: StatsPaths, file_type: str, database: Path) -> int:
    """The database's time of update; 0 (with a warning) when its file is unreadable."""
    try:
        return schema.read_time_of_update(schema.time_of_update_path(paths, file_type, database))
    except schema.RRDError as exc:
        log.warning("%s", exc)
        return 0


def names_having_run(
    paths: StatsPaths, file_type: str, machines: str, start: int, groups=()
) -> list[str]:
    """Clients (tx: databases under latency/) or sources (rx: under bytecount/) of the machine
    set `machines` (the concatenated name) whose time of update is at or after `start`.

    Names are the database names minus the known '_<machines>' suffix (the original cut at the
    last '_' and matched '*_<machines>*', taking other machine sets too); configured group
    names are excluded by exact match, and so are the machine totals 'rx' and 'tx'."""
    folder = paths.current_databases / ("latency" if file_type == "tx" else "bytecount")
    suffix = "_" + machines
    excluded = set(groups) | {"rx", "tx"}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    names = []
    for entry in entries:
        name = entry.name
        if not name.endswith(suffix) or len(name) == len(suffix) or not entry.is_file():
            continue
        client = name[: -len(suffix)]
        if client in excluded:
            continue
        if time_of_update(paths, file_type, entry) >= start:
            names.append(client)
    return sorted(set(names))


def first_time_of_update(paths: StatsPaths, file_type: str, clients, machine: str) -> int:
    """The time of update of the first client/source (its bytecount database on `machine`)
    that has one, 0 when none has (the original looped forever when the first had none)."""
    for client in clients:
        last_update = time_of_update(
            paths, file_type, schema.db_path(paths, "bytecount", client, [machine])
        )
        if last_update:
            return last_update
    return 0


def names_with_pickles(
    paths: StatsPaths, file_type: str, machines, end: int, since, pattern: str | None = None
) -> list[str]:
    """Names (sorted) having at least one hourly pickle of `file_type` on one of `machines`
    for an hour in [since(name), end) — `since` is an epoch or a function of the name —
    among those matching the fnmatch `pattern` when given."""
    try:
        candidates = sorted(p.name for p in paths.pickles.iterdir() if p.is_dir())
    except OSError:
        return []
    if pattern is not None:
        candidates = [n for n in candidates if fnmatch.fnmatchcase(n, pattern)]
    prefixes = [safe_component(m, suffix_room=3) + "_" for m in machines]
    found = []
    for name in candidates:
        first = since(name) if callable(since) else since
        first = timeutil.hour_start(first)
        if first >= end:
            continue
        days = {timeutil.yyyymmdd(d) for d in range(timeutil.day_start(first), end, timeutil.DAY)}
        try:
            present = [d.name for d in (paths.pickles / name).iterdir() if d.name in days]
        except OSError:
            continue
        if any(
            _has_hour(paths.pickles / name / day / file_type, day, prefixes, first, end)
            for day in sorted(present)
        ):
            found.append(name)
    return found


def _has_hour(folder: Path, day: str, prefixes, first: int, end: int) -> bool:
    try:
        entries = [p.name for p in folder.iterdir()]
    except OSError:
        return False
    midnight = timeutil.parse_iso(f"{day[:4]}-{day[4:6]}-{day[6:]} 00:00:00")
    for entry in entries:
        for prefix in prefixes:
            hh = entry[len(prefix) :]
            if entry.startswith(prefix) and len(hh) == 2 and hh.isdigit():
                hour = midnight + int(hh) * timeutil.HOUR
                if first <= hour < end:
                    return True
    return False
