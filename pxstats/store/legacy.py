"""Read hourly pickles written by the original Python 2 pxStats (spec §2.1, §2.2, §7).

Those files are protocol 0/1 pickles of old-style instances (`FileStatsCollector`,
`_FileStatsEntry`, `_ValuesDictionary`, built with OBJ/INST + BUILD) whose attributes are
plain dicts, lists, str, ints and floats. The unpickler below maps these three class names,
whatever module they claim, to inert stand-in classes and refuses every other global, so
an arbitrary pickle cannot construct anything else. The stand-ins are then converted into
the new model (`pxstats.collector`): ISO strings become epoch ints, entries become Buckets.
"""

from __future__ import annotations

import io
import pickle

from pxstats.stats.collector import STATS_BY_FILE_TYPE, FileStatsCollector
from pxstats.store.errors import PickleError
from pxstats.util import timeutil

# Python 2 keyed its pickles on the class name; older files name other modules
# (pre-2007 layouts), so only the class name is trusted.


class _LegacyCollector:
    """Stand-in for the original FileStatsCollector: only holds the pickled __dict__."""


class _LegacyEntry:
    """Stand-in for _FileStatsEntry."""


class _LegacyValues:
    """Stand-in for _ValuesDictionary."""


_STAND_INS = {
    "FileStatsCollector": _LegacyCollector,
    "_FileStatsEntry": _LegacyEntry,
    "_ValuesDictionary": _LegacyValues,
}

_STAT_DICTS = (
    "means",
    "totals",
    "minimums",
    "maximums",
    "medians",
    "filesWhereMinOccured",
    "timesWhereMinOccured",
    "filesWhereMaxOccured",
    "timesWhereMaxOccured",
)


class _LegacyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _STAND_INS[name]
        except KeyError:
            raise pickle.UnpicklingError(f"forbidden class {module}.{name}") from None


class _Invalid(Exception):
    """Content that unpickled fine but is not an original statistics pickle."""


def loads(data: bytes, origin: str = "<bytes>") -> FileStatsCollector:
    """Unpickle an original pxStats collector pickle and convert it to the new model."""

    try:
        # latin1 turns Python 2 byte strings into str one-to-one, as the spec says.
        legacy = _LegacyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        message = str(exc)
        if message.startswith("forbidden class"):
            raise PickleError(f"{origin}: refused: {message}") from None
        raise PickleError(f"{origin}: not a readable pickle (UnpicklingError: {message})") from None
    except Exception as exc:  # truncated or corrupt data: any decoding error
        raise PickleError(
            f"{origin}: not a readable pickle ({type(exc).__name__}: {exc})"
        ) from None
    if type(legacy) is not _LegacyCollector:
        raise PickleError(f"{origin}: not a statistics pickle (found {type(legacy).__name__})")
    try:
        return _convert(legacy)
    except (_Invalid, AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        detail = str(exc) if isinstance(exc, _Invalid) else f"{type(exc).__name__}: {exc}"
        raise PickleError(f"{origin}: not a valid original statistics pickle ({detail})") from None


def _convert(old: _LegacyCollector) -> FileStatsCollector:
    file_type = _text(getattr(old, "fileType", "tx"))
    if file_type not in STATS_BY_FILE_TYPE:
        raise _Invalid(f"unknown file type {file_type!r}")
    stats_types = [_text(s) for s in old.statsTypes]
    unknown = [s for s in stats_types if s not in STATS_BY_FILE_TYPE[file_type]]
    if unknown or not stats_types:
        raise _Invalid(f"unknown statistics {unknown or stats_types!r} for {file_type}")
    start = _epoch(old.startTime)
    end_time = getattr(old, "endTime", 0)
    interval, width = _int(old.interval), _int(old.totalWidth)
    entries = old.fileEntries
    if isinstance(entries, list):  # the original always used a dict; accept a list too
        entries = dict(enumerate(entries))
    if not isinstance(entries, dict):
        raise _Invalid("fileEntries is not a dict")
    # Checked before building the layout, so a forged width cannot allocate millions of buckets.
    expected = 0 if interval < 1 or interval > width else -(-width // interval)
    if len(entries) != expected:
        raise _Invalid(
            f"{len(entries)} entries where interval {interval} and width {width} make {expected}"
        )
    collector = FileStatsCollector(
        file_type,
        start,
        _epoch(end_time) if end_time else None,
        stats_types=stats_types,
        interval=interval,
        total_width=width,
        max_latency=_int(getattr(old, "maxLatency", 15)),
    )
    collector.log_files = [_text(f) for f in getattr(old, "files", [])]
    for index, bucket in enumerate(collector.buckets):
        entry = entries.get(index)
        if type(entry) is not _LegacyEntry:
            raise _Invalid(f"entry {index} missing or not an entry")
        _convert_entry(entry, bucket, stats_types)
        if not _has_statistics(entry, stats_types):
            # The original left {} in buckets it never computed (spec §2.6): compute them.
            bucket.compute(stats_types, collector.max_latency)
    # Derived from the rows rather than trusted: the same meaning as the original's fields.
    collector.note_filled()
    return collector


def _convert_entry(entry: _LegacyEntry, bucket, stats_types) -> None:
    # startTime 0 marks an entry built without bounds: keep the layout's bounds then.
    if entry.startTime:
        bucket.start = _epoch(entry.startTime)
    if getattr(entry, "endTime", 0):
        bucket.end = _epoch(entry.endTime)
    values = entry.values
    if type(values) is not _LegacyValues:
        raise _Invalid("entry values are not a _ValuesDictionary")
    bucket.times = [_epoch(t) for t in entry.times]
    bucket.products = [_text(p) for p in values.productTypes]
    rows = len(bucket.times)
    for stat in stats_types:
        column = values.dictionary.get(stat, [])
        bucket.values[stat] = [_int(v) for v in column]
    lengths = {len(bucket.products), *(len(c) for c in bucket.values.values())}
    if lengths != {rows}:
        raise _Invalid(f"bucket at {timeutil.iso(bucket.start)}: columns of unequal length")
    bucket.nb_files = _int(getattr(entry, "nbFiles", 0))
    bucket.files_over_max_latency = _int(getattr(entry, "filesOverMaxLatency", 0))
    if not _has_statistics(entry, stats_types):
        return
    bucket.means = _numbers(entry.means)
    bucket.totals = _numbers(entry.totals)
    bucket.minimums = _numbers(entry.minimums)
    bucket.maximums = _numbers(entry.maximums)
    bucket.medians = _numbers(entry.medians)
    # Error rows had the integer 0 as file name: the new model uses "" for "no file".
    bucket.files_where_min = {_text(k): _file(v) for k, v in entry.filesWhereMinOccured.items()}
    bucket.files_where_max = {_text(k): _file(v) for k, v in entry.filesWhereMaxOccured.items()}
    bucket.times_where_min = {
        _text(k): _epoch_or_zero(v) for k, v in entry.timesWhereMinOccured.items()
    }
    bucket.times_where_max = {
        _text(k): _epoch_or_zero(v) for k, v in entry.timesWhereMaxOccured.items()
    }


def _has_statistics(entry: _LegacyEntry, stats_types) -> bool:
    """True when the original computed this bucket: every dict has every statistic."""
    for name in _STAT_DICTS:
        found = getattr(entry, name, {})
        if not isinstance(found, dict) or not all(s in found for s in stats_types):
            return False
    return True


def _text(value) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a string, found {type(value).__name__}")
    return value


def _int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"expected a number, found {type(value).__name__}")
    return int(value)


def _numbers(found: dict) -> dict:
    out = {}
    for key, value in found.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Invalid(f"statistic {key!r} is not a number")
        out[_text(key)] = value
    return out


def _epoch(value) -> int:
    try:
        return timeutil.parse_iso(_text(value))
    except timeutil.BadDate:
        raise _Invalid(f"bad date {value!r}") from None


def _epoch_or_zero(value) -> int:
    return 0 if value in (0, "", None) else _epoch(value)


def _file(value) -> str:
    return "" if value in (0, None) else _text(value)
