"""Totals databases of generateRRDGraphics --totals (spec rrd.md §3.5): the throw-away
databases under `<type>/combined/` that sum the members' values per interval, latency
weighted by each member's file count, values stored at the END of the interval they describe
(the original shifted them one interval early).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.rrd.windows import intervals

log = logging.getLogger(__name__)


def resample(first: int, step: int, values, stamps: list[int], width: int) -> list:
    """Values of the intervals (ts - width, ts] for each ts of `stamps` (evenly spaced by
    `width`), from binding rows (row i covers (first + i*step, first + (i+1)*step]): finer rows
    are averaged (known ones only), a coarser row gives its value to every interval it covers."""
    out: list = [None] * len(stamps)
    if not stamps:
        return out
    base = stamps[0] - width
    if step <= width and width % step == 0 and (first - base) % step == 0:
        # Rows aligned on the intervals (the usual case): interval j holds rows
        # j*r - a ... (j+1)*r - a - 1, r rows per interval, a = rows between base and first.
        r, a = width // step, (first - base) // step
        if r == 1:
            low, high = max(0, a), min(len(stamps), len(values) + a)
            if low < high:
                out[low:high] = [
                    None if v is None or v != v else v for v in values[low - a : high - a]
                ]
            return out
        for j in range(max(0, a // r), len(stamps)):
            low = j * r - a
            if low >= len(values):
                break
            known = [v for v in values[max(0, low) : low + r] if v is not None and v == v]
            if known:
                out[j] = sum(known) / len(known)
        return out
    if step <= width:
        sums = [0.0] * len(stamps)
        counts = [0] * len(stamps)
        for i, v in enumerate(values):
            if v is None or math.isnan(v):
                continue
            j = -(-(first + (i + 1) * step - base) // width) - 1
            if 0 <= j < len(stamps):
                sums[j] += v
                counts[j] += 1
        return [s / c if c else None for s, c in zip(sums, counts)]
    for j, ts in enumerate(stamps):
        i = -(-(ts - first) // step) - 1
        if 0 <= i < len(values) and values[i] is not None and not math.isnan(values[i]):
            out[j] = values[i]
    return out


def merge_values(data_type: str, columns: list[list], filecounts: list[list] | None = None) -> list:
    """One merged value per interval. Sums of the members' known values; latency is the mean
    weighted by each member's file count (0 when no file moved). Unknown when no member has
    a value (the original wrote 0 there)."""
    if not columns:
        return []
    merged = []
    if data_type == "latency":
        if not filecounts:
            return [None] * len(columns[0])
        for values, counts in zip(zip(*columns), zip(*filecounts)):
            weighted = files = 0.0
            known = False
            for v, fc in zip(values, counts):
                if v is not None and fc is not None:
                    weighted += v * fc
                    files += fc
                    known = True
            merged.append((weighted / files if files else 0.0) if known else None)
        return merged
    for values in zip(*columns):
        known = [v for v in values if v is not None]
        merged.append(sum(known) if known else None)
    return merged


MERGED_ROWS = {1: 7200, 60: 336, 240: 1460, 1440: 3650}


@dataclass
class MergedSet:
    databases: dict  # data type -> Path
    last_update: int
    fetch_minutes: int
    plot_minutes: int


def merge_totals(
    paths: StatsPaths,
    file_type: str,
    data_types,
    clients,
    machine: str,
    start: int,
    end: int,
    period: str | None,
    db_name: str,
    last_update: int,
) -> MergedSet:
    """(Re)build combined/<db_name>_<machine> for each data type from the members' databases.

    `last_update` is the members' time of update (the caller takes the first member's that
    has one: store.inventory.first_time_of_update); it sets the resolution and becomes the
    time of update of the merged databases. Interval values are stored at the end of their
    interval, start + (i+1)*f, aligned on multiples of f; the database starts at the first
    interval's start so no interval is lost to the heartbeat."""
    fetch_minutes, plot_minutes = intervals(start, last_update, period)
    width = fetch_minutes * 60
    first = start - start % width
    count = max(1, -(-(end - first) // width))
    stamps = [first + (j + 1) * width for j in range(count)]
    needed = list(
        dict.fromkeys(list(data_types) + (["filecount"] if "latency" in data_types else []))
    )
    columns: dict[str, list] = {}
    for data_type in needed:
        columns[data_type] = []
        for client in clients:
            db = schema.database_for(paths, data_type, client, machine)
            try:
                (row0, _, step), values = schema.fetch(db, "AVERAGE", width, first, stamps[-1])
            except schema.RRDError as exc:
                log.warning("totals %s: member left out: %s", db_name, exc)
                columns[data_type].append([None] * count)
                continue
            columns[data_type].append(resample(row0, step, values, stamps, width))
    databases = {}
    rows = max(MERGED_ROWS.get(fetch_minutes, 3650), count + 1)
    for data_type in data_types:
        merged = merge_values(data_type, columns[data_type], columns.get("filecount"))
        path = schema.combined_db_path(paths, data_type, db_name, [machine])
        schema.create_merged(path, data_type, first, width, rows)
        schema.update(path, zip(stamps, merged))
        databases[data_type] = path
    if databases:
        any_db = next(iter(databases.values()))
        schema.write_time_of_update(
            schema.time_of_update_path(paths, file_type, any_db), last_update
        )
    return MergedSet(databases, last_update, fetch_minutes, plot_minutes)
