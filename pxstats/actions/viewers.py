"""What pickleViewer and picklesTimeOfUpdatesViewer show (spec §5.1, §5.2): one pickle and
the times of last update, as text or as JSON-ready dicts."""

from __future__ import annotations

from pxstats.paths import StatsPaths
from pxstats.stats.collector import Bucket, FileStatsCollector
from pxstats.store import updates
from pxstats.util import timeutil
from pxstats.util.atomic import visible_entries

NOT_AVAILABLE = "Not available."
BOX_WIDTH = 70


def _iso_or_none(epoch) -> str | None:
    """ISO text of a 'time where min/max occurred'; 0 means no row, shown as None."""
    return timeutil.iso(epoch) if epoch else None


def _per_stat(collector: FileStatsCollector, mapping: dict, convert=lambda v: v) -> dict:
    """`mapping` ordered as the collector's statistics (then any unexpected key)."""
    keys = [s for s in collector.stats_types if s in mapping]
    keys += [k for k in mapping if k not in keys]
    return {k: convert(mapping[k]) for k in keys}


def bucket_to_dict(collector: FileStatsCollector, bucket: Bucket) -> dict:
    def per_stat(mapping: dict, convert=lambda v: v) -> dict:
        return _per_stat(collector, mapping, convert)

    return {
        "startTime": timeutil.iso(bucket.start),
        "endTime": timeutil.iso(bucket.end),
        "rows": bucket.rows,
        "nbFiles": bucket.nb_files,
        "filesOverMaxLatency": bucket.files_over_max_latency,
        "totals": per_stat(bucket.totals),
        "means": per_stat(bucket.means),
        "medians": per_stat(bucket.medians),
        "minimums": per_stat(bucket.minimums),
        "maximums": per_stat(bucket.maximums),
        "timesWhereMinOccured": per_stat(bucket.times_where_min, _iso_or_none),
        "filesWhereMinOccured": per_stat(bucket.files_where_min),
        "timesWhereMaxOccured": per_stat(bucket.times_where_max, _iso_or_none),
        "filesWhereMaxOccured": per_stat(bucket.files_where_max),
        "times": [timeutil.iso(t) for t in bucket.times],
        "products": list(bucket.products),
        "values": per_stat(bucket.values, list),
    }


def collector_to_dict(collector: FileStatsCollector, file_name: str) -> dict:
    """The whole pickle as plain JSON-ready data; every time is 'YYYY-MM-DD HH:MM:SS' UTC."""
    return {
        "file": file_name,
        "fileType": collector.file_type,
        "statsTypes": list(collector.stats_types),
        "logFiles": list(collector.log_files),
        "startTime": timeutil.iso(collector.start),
        "interval": collector.interval,
        "endTime": timeutil.iso(collector.end),
        "totalWidth": collector.total_width,
        "maxLatency": collector.max_latency,
        "nbEntries": collector.nb_entries,
        "buckets": [bucket_to_dict(collector, b) for b in collector.buckets],
    }


def _pairs(mapping: dict) -> str:
    """'k=v, ...'; a missing value (no row: None or no file name) is shown as '-'."""
    shown = (f"{k}={'-' if v is None or v == '' else v}" for k, v in mapping.items())
    return ", ".join(shown) or "-"


def format_collector(collector: FileStatsCollector, file_name: str) -> str:
    """Human-readable dump: the pickle's header, then every bucket with its rows and figures."""
    data = collector_to_dict(collector, file_name)
    log_files = data["logFiles"] or ["-"]
    lines = [
        f"Pickle file         : {file_name}",
        f"File type           : {data['fileType']}",
        f"Statistics          : {', '.join(data['statsTypes'])}",
        f"Log files           : {log_files[0]}",
        *(f"                      {name}" for name in log_files[1:]),
        f"Start time          : {data['startTime']}",
        f"Interval            : {data['interval']} seconds",
        f"End time            : {data['endTime']}",
        f"Total width         : {data['totalWidth']} seconds",
        f"Maximum latency     : {data['maxLatency']} seconds",
        f"Number of buckets   : {data['nbEntries']}",
    ]
    for index, b in enumerate(data["buckets"]):
        values = "; ".join(f"{k} {v}" for k, v in b["values"].items()) or "-"
        lines += [
            "",
            f"Bucket {index} : {b['startTime']} - {b['endTime']}",
            f"    rows                 : {b['rows']}",
            f"    nbFiles              : {b['nbFiles']}",
            f"    filesOverMaxLatency  : {b['filesOverMaxLatency']}",
            f"    products             : {b['products']}",
            f"    times                : {b['times']}",
            f"    values               : {values}",
            f"    totals               : {_pairs(b['totals'])}",
            f"    means                : {_pairs(b['means'])}",
            f"    medians              : {_pairs(b['medians'])}",
            f"    minimums             : {_pairs(b['minimums'])}",
            f"    maximums             : {_pairs(b['maximums'])}",
            f"    timesWhereMaxOccured : {_pairs(b['timesWhereMaxOccured'])}",
            f"    filesWhereMaxOccured : {_pairs(b['filesWhereMaxOccured'])}",
        ]
    return "\n".join(lines) + "\n"


def times_of_updates(paths: StatsPaths) -> list[tuple[str, int | None]]:
    """(file name, stored time or None when unreadable) for every time-of-update file.

    Raises FileNotFoundError/OSError when the folder itself cannot be listed."""
    entries = []
    for path in visible_entries(paths.times_of_updates):
        try:
            value = updates.read(path)
        except updates.UpdateFileError:
            value = None
        entries.append((path.name, value))
    return entries


def format_times_box(entries, now: int, host: str) -> str:
    """The original's 70-column box: title, current time and host, one line per file."""
    border = "#" * BOX_WIDTH
    inner = BOX_WIDTH - 2
    lines = [
        border,
        "#" + "Times of last update of the pickles".center(inner) + "#",
        "#" + f"Current time : {timeutil.iso(now)} UTC".center(inner) + "#",
        "#" + f"Host : {host}".center(inner) + "#",
        border,
    ]
    if not entries:
        lines.append("#" + "No time-of-update file.".center(inner) + "#")
    for name, value in entries:
        shown = timeutil.iso(value) if value is not None else NOT_AVAILABLE
        lines.append(f"#{name:>32} : {shown:>33}#")
    lines.append(border)
    return "\n".join(lines) + "\n"


def times_to_dict(entries) -> dict:
    return {name: (timeutil.iso(v) if v is not None else None) for name, v in entries}
