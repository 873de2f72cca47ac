"""Debug and maintenance tools (spec §5.1, §5.2, §5.3, §5.5): the logic behind pickleViewer,
picklesTimeOfUpdatesViewer, setTimeOfLastUpdates and pickleCleaner.

Everything here takes a StatsPaths and explicit times and returns data or text, so the
console scripts only parse options, call one function and print the result.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.util import timeutil
from pxstats.i18n import FILE_TYPES
from pxstats.stats.collector import Bucket, FileStatsCollector
from pxstats.paths import StatsPaths
from pxstats.util.locks import LockBusy, file_lock
from pxstats.store import updates

log = logging.getLogger(__name__)

NOT_AVAILABLE = "Not available."
BOX_WIDTH = 70
DEFAULT_DAYS_TO_KEEP = 21


# ---------------------------------------------------------------------------------------------
# pickleViewer
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# picklesTimeOfUpdatesViewer
# ---------------------------------------------------------------------------------------------

def _visible_entries(folder: Path) -> list[Path]:
    """Entries of `folder` sorted by name, without hidden ones (temp files of atomic writes)."""
    return sorted((p for p in folder.iterdir() if not p.name.startswith(".")),
                  key=lambda p: p.name)


def times_of_updates(paths: StatsPaths) -> list[tuple[str, int | None]]:
    """(file name, stored time or None when unreadable) for every time-of-update file.

    Raises FileNotFoundError/OSError when the folder itself cannot be listed."""
    entries = []
    for path in _visible_entries(paths.times_of_updates):
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
    lines = [border,
             "#" + "Times of last update of the pickles".center(inner) + "#",
             "#" + f"Current time : {timeutil.iso(now)} UTC".center(inner) + "#",
             "#" + f"Host : {host}".center(inner) + "#",
             border]
    if not entries:
        lines.append("#" + "No time-of-update file.".center(inner) + "#")
    for name, value in entries:
        shown = timeutil.iso(value) if value is not None else NOT_AVAILABLE
        lines.append(f"#{name:>32} : {shown:>33}#")
    lines.append(border)
    return "\n".join(lines) + "\n"


def times_to_dict(entries) -> dict:
    return {name: (timeutil.iso(v) if v is not None else None) for name, v in entries}


# ---------------------------------------------------------------------------------------------
# setTimeOfLastUpdates
# ---------------------------------------------------------------------------------------------

def name_matches(name: str, file_types=None, clients=None, machine: str | None = None) -> bool:
    """Does `<fileType>_<client>_<machine>` match the filters (None = any)?

    Clients and machines may contain '_', so the name is never split: it is compared with
    the exact prefixes/suffixes the filters build. Client and machine must be non-empty.
    """
    for file_type in file_types or FILE_TYPES:
        prefix = file_type + "_"
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix):]  # "<client>_<machine>"
        if machine is not None:
            suffix = "_" + machine
            if not rest.endswith(suffix) or len(rest) == len(suffix):
                continue
            if clients is None or rest[: -len(suffix)] in clients:
                return True
        elif clients is None:
            if "_" in rest[1:-1]:
                return True
        elif any(rest.startswith(c + "_") and len(rest) > len(c) + 1 for c in clients):
            return True
    return False


@dataclass
class SetReport:
    changed: list[tuple[Path, int | None, int]] = field(default_factory=list)  # path, old, new
    deleted: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _matching(folder: Path, file_types, clients, machine) -> list[str]:
    try:
        entries = _visible_entries(folder)
    except FileNotFoundError:
        return []
    return [p.name for p in entries if name_matches(p.name, file_types, clients, machine)]


def set_times_of_last_updates(paths: StatsPaths, moment: int, file_types=None, clients=None,
                              machine: str | None = None, reset_pointers: bool = False) -> SetReport:
    """Write hour_start(moment) into every matching time-of-update file, atomically, and
    with `reset_pointers` delete the matching resume pointers of data/logFileAccess/.

    Each name is handled under pickleUpdater's lock for that (fileType, client, machine),
    so a running update cannot overwrite the new time; a busy name is reported, not forced.
    """
    new = timeutil.hour_start(moment)
    report = SetReport()
    names = set(_matching(paths.times_of_updates, file_types, clients, machine))
    if reset_pointers:
        names |= set(_matching(paths.log_file_access, file_types, clients, machine))
    for name in sorted(names):
        time_file = paths.times_of_updates / name
        pointer = paths.log_file_access / name
        try:
            with file_lock(paths.lock_file("pickleUpdater_" + name), wait=False):
                if time_file.is_file():
                    try:
                        old = updates.read(time_file)
                    except updates.UpdateFileError:
                        old = None
                    updates.write(time_file, new)
                    log.info("time of last update of %s set to %s", name, timeutil.iso(new))
                    report.changed.append((time_file, old, new))
                if reset_pointers and pointer.is_file():
                    pointer.unlink()
                    log.info("pointer %s deleted", pointer)
                    report.deleted.append(pointer)
        except LockBusy:
            report.errors.append(f"{name}: a pickleUpdater is running for it; not changed")
        except OSError as exc:
            report.errors.append(f"{name}: {exc.strerror or exc}")
    for message in report.errors:
        log.error(message)
    return report


# ---------------------------------------------------------------------------------------------
# pickleCleaner
# ---------------------------------------------------------------------------------------------

def pickle_trees(paths: StatsPaths) -> list[Path]:
    """Folders whose sub-folders are <name>/<YYYYMMDD>/: hourly and merged pickles."""
    return [paths.pickles, paths.merged_pickles / "clients", paths.merged_pickles / "groups"]


def _is_date_name(name: str) -> bool:
    if len(name) != 8 or not name.isdigit():
        return False
    try:
        time.strptime(name, "%Y%m%d")
    except ValueError:
        return False
    return True


def days_kept(today: int, days_to_keep: int) -> list[str]:
    """YYYYMMDD of today (UTC) and the days_to_keep - 1 days before it, newest first."""
    if days_to_keep < 1:
        raise ValueError("daysToKeep must be at least 1")
    return [timeutil.yyyymmdd(today - k * timeutil.DAY) for k in range(days_to_keep)]


@dataclass
class CleanReport:
    deleted: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def clean_pickles(paths: StatsPaths, today: int, days_to_keep: int = DEFAULT_DAYS_TO_KEEP,
                  trees=None) -> CleanReport:
    """Delete every date folder older than the days kept, under every <tree>/<name>/.

    Only real (non-symlink) directories named by a valid YYYYMMDD date are ever deleted;
    anything else is reported as a warning and left alone. Dates after today are kept.
    """
    kept_days = days_kept(today, days_to_keep)
    oldest = kept_days[-1]
    report = CleanReport()
    for tree in trees if trees is not None else pickle_trees(paths):
        try:
            names = _visible_entries(tree)
        except FileNotFoundError:
            continue
        except OSError as exc:
            report.errors.append(f"cannot list {tree}: {exc.strerror}")
            continue
        for owner in names:
            if owner.is_symlink() or not owner.is_dir():
                report.warnings.append(f"not a folder, left alone : {owner}")
                continue
            try:
                entries = _visible_entries(owner)
            except OSError as exc:
                report.errors.append(f"cannot list {owner}: {exc.strerror}")
                continue
            for entry in entries:
                if not _is_date_name(entry.name) or entry.is_symlink() or not entry.is_dir():
                    report.warnings.append(f"not a date folder, left alone : {entry}")
                elif entry.name >= oldest:
                    report.kept.append(entry)
                else:
                    _remove_tree(entry, report)
    for message in report.warnings:
        log.warning(message)
    for message in report.errors:
        log.error(message)
    return report


def _remove_tree(folder: Path, report: CleanReport) -> None:
    failures = []

    def on_error(function, path, exc):
        failures.append(f"cannot delete {path}: {getattr(exc, 'strerror', None) or exc}")

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=on_error)
    else:
        shutil.rmtree(folder, onerror=lambda function, path, info: on_error(function, path, info[1]))
    if failures:
        report.errors.extend(failures)
    else:
        log.info("deleted %s", folder)
        report.deleted.append(folder)

