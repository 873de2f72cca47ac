"""The hourly pickle store: atomic writes and one restricted loader.

Pickles travel between machines, so loading one must never run code: the unpickler
accepts only the project's own data classes and plain builtin containers. Files written
by the original Python 2 pxStats are recognised and converted by `store.legacy`.

A pickle of the allowed classes can still hold anything in their fields (`buckets=None`,
`start='abc'`, a missing attribute): every collector loaded is checked once here
(`validate`: the type and shape of every field the code reads), so the rest of the code
never meets one; a bad one is a PickleError like a corrupt file.
"""

from __future__ import annotations

import io
import os
import pickle
import stat
from itertools import chain
from operator import itemgetter
from pathlib import Path

from pxstats.stats.collector import (
    PICKLED_MODULE,
    STATS_BY_FILE_TYPE,
    Bucket,
    FileStatsCollector,
)
from pxstats.store import legacy
from pxstats.store.errors import PickleError

PROTOCOL = 4

# The only globals a pickle may name. Everything else is refused.
_ALLOWED = {
    (PICKLED_MODULE, "FileStatsCollector"): FileStatsCollector,
    (PICKLED_MODULE, "Bucket"): Bucket,
}


class ForbiddenClass(pickle.UnpicklingError):
    pass


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise ForbiddenClass(f"forbidden class {module}.{name}") from None


def loads(data: bytes, origin: str = "<bytes>"):
    """Unpickle `data` allowing only pxStats data classes and builtins; a collector is
    validated (`validate`)."""
    if _looks_legacy(data):
        obj = legacy.loads(data, origin)
    else:
        try:
            obj = _RestrictedUnpickler(io.BytesIO(data)).load()
        except ForbiddenClass as exc:
            raise PickleError(f"{origin}: refused: {exc}") from None
        except Exception as exc:  # truncated or corrupt data: any decoding error
            raise PickleError(
                f"{origin}: not a readable pickle ({type(exc).__name__}: {exc})"
            ) from None
    if isinstance(obj, FileStatsCollector):
        validate(obj, origin)
    return obj


# -- validation of the fields --------------------------------------------------------------------


class _Bad(Exception):
    """A field of the wrong type or shape; the message names it."""


_MISSING = object()
_BUCKET_DICTS = {
    "totals": "number",
    "means": "number",
    "medians": "number",
    "minimums": "number",
    "maximums": "number",
    "files_where_min": "text",
    "files_where_max": "text",
    "times_where_min": "integer",
    "times_where_max": "integer",
}


# Accepted types by kind; checked with set(map(type, ...)), which runs at C speed.
_TYPES = {"integer": {int}, "number": {int, float}, "text": {str}}


def _all_of(values, kind: str) -> bool:
    return set(map(type, values)) <= _TYPES[kind]


def _field(obj, name: str, where: str):
    value = getattr(obj, name, _MISSING)
    if value is _MISSING:
        raise _Bad(f"{where}has no {name}")
    return value


def _typed(obj, name: str, kind: str, where: str = ""):
    value = _field(obj, name, where)
    if type(value) not in _TYPES[kind]:
        raise _Bad(
            f"{where}{name} is not {'an' if kind == 'integer' else 'a'} {kind} "
            f"({type(value).__name__})"
        )
    return value


def _list_of(value, kind: str, what: str) -> None:
    if type(value) is not list:
        raise _Bad(f"{what} is not a list ({type(value).__name__})")
    if not _all_of(value, kind):
        raise _Bad(f"{what} holds something else than {kind}s")


def validate(collector: FileStatsCollector, origin: str = "<collector>") -> None:
    """PickleError naming the first field of `collector` whose type or shape is not what
    the code reads: the header (file type, statistics, times, layout, log files), the
    number of buckets for the layout, and in every bucket its bounds, its row columns (all
    of one length, one per statistic) and its statistics."""
    try:
        _validate(collector)
    except _Bad as exc:
        raise PickleError(f"{origin}: not a valid statistics pickle ({exc})") from None


def _validate(c: FileStatsCollector) -> None:
    file_type = _field(c, "file_type", "")
    if type(file_type) is not str or file_type not in STATS_BY_FILE_TYPE:
        raise _Bad(f"unknown file type {file_type!r}")
    stats_types = _field(c, "stats_types", "")
    _list_of(stats_types, "text", "stats_types")
    unknown = [s for s in stats_types if s not in STATS_BY_FILE_TYPE[file_type]]
    if unknown or not stats_types or len(set(stats_types)) != len(stats_types):
        raise _Bad(f"statistics {stats_types!r} are not those of {file_type}")
    _typed(c, "start", "integer")
    _typed(c, "end", "integer")
    interval = _typed(c, "interval", "integer")
    width = _typed(c, "total_width", "integer")
    if interval < 1 or width < 1:
        raise _Bad(f"interval {interval} and total width {width} must be at least 1")
    _typed(c, "max_latency", "number")
    _list_of(_field(c, "log_files", ""), "text", "log_files")
    for name in ("format_version", "first_filled", "last_filled"):
        if type(getattr(c, name, 0)) is not int:
            raise _Bad(f"{name} is not an integer")
    buckets = _field(c, "buckets", "")
    if type(buckets) is not list:
        raise _Bad(f"buckets is not a list ({type(buckets).__name__})")
    expected = 0 if interval > width else -(-width // interval)
    if len(buckets) != expected:
        raise _Bad(
            f"{len(buckets)} buckets where interval {interval} and width {width} make {expected}"
        )
    if not _buckets_look_right(buckets, stats_types):
        for index, bucket in enumerate(buckets):  # slower, names the first fault
            _validate_bucket(bucket, stats_types, f"bucket {index} ")


_INT_FIELDS = ("start", "end", "nb_files", "files_over_max_latency")


def _buckets_look_right(buckets, stats_types) -> bool:
    """The checks of `_validate_bucket` over all buckets at once, at C speed (map, chain,
    set of types); False for anything unexpected, which `_validate_bucket` then names."""
    if set(map(type, buckets)) - {Bucket}:
        return False
    states = list(map(vars, buckets))
    try:

        def every(name):
            return list(map(itemgetter(name), states))

        if any(set(map(type, every(name))) - {int} for name in _INT_FIELDS):
            return False
        times, products, values = every("times"), every("products"), every("values")
        if (
            set(map(type, times)) - {list}
            or set(map(type, products)) - {list}
            or set(map(type, values)) - {dict}
        ):
            return False
        lengths = list(map(len, times))
        if list(map(len, products)) != lengths:
            return False
        if set(map(type, chain.from_iterable(times))) - {int}:
            return False
        if set(map(type, chain.from_iterable(products))) - {str}:
            return False
        if set(map(frozenset, values)) - {frozenset(stats_types)}:
            return False
        for name in stats_types:
            columns = list(map(itemgetter(name), values))
            if set(map(type, columns)) - {list} or list(map(len, columns)) != lengths:
                return False
            if set(map(type, chain.from_iterable(columns))) - _TYPES["number"]:
                return False
        mappings = {name: every(name) for name in _BUCKET_DICTS}
        every_mapping = list(chain.from_iterable(mappings.values()))
        if set(map(type, every_mapping)) - {dict}:
            return False
        if set(map(type, chain.from_iterable(every_mapping))) - {str}:  # their keys
            return False
        for kind in set(_BUCKET_DICTS.values()):
            of_kind = chain.from_iterable(
                m for n, m in mappings.items() if _BUCKET_DICTS[n] == kind
            )
            if set(map(type, chain.from_iterable(map(dict.values, of_kind)))) - _TYPES[kind]:
                return False
    except KeyError:
        return False
    return True


def _validate_bucket(bucket, stats_types, where: str) -> None:
    if type(bucket) is not Bucket:
        raise _Bad(f"{where}is not a bucket ({type(bucket).__name__})")
    _typed(bucket, "start", "integer", where)
    _typed(bucket, "end", "integer", where)
    _typed(bucket, "nb_files", "integer", where)
    _typed(bucket, "files_over_max_latency", "integer", where)
    times = _field(bucket, "times", where)
    _list_of(times, "integer", f"{where}times")
    _list_of(_field(bucket, "products", where), "text", f"{where}products")
    values = _field(bucket, "values", where)
    if type(values) is not dict:
        raise _Bad(f"{where}values is not a dict ({type(values).__name__})")
    for name in stats_types:
        if name not in values:
            raise _Bad(f"{where}values has no {name} column")
    extra = [name for name in values if name not in stats_types]
    if extra:
        raise _Bad(f"{where}values has a column {extra[0]!r} that is not a statistic")
    for name, column in values.items():
        _list_of(column, "number", f"{where}values[{name!r}]")
    lengths = {len(times), len(bucket.products), *map(len, values.values())}
    if len(lengths) != 1:
        raise _Bad(f"{where}columns of unequal lengths")
    for name, kind in _BUCKET_DICTS.items():
        mapping = _field(bucket, name, where)
        if type(mapping) is not dict:
            raise _Bad(f"{where}{name} is not a dict ({type(mapping).__name__})")
        if not _all_of(mapping, "text") or not _all_of(mapping.values(), kind):
            raise _Bad(f"{where}{name} holds something else than {kind}s by statistic")


def _looks_legacy(data: bytes) -> bool:
    """The original wrote protocol 0/1 (no PROTO opcode) or at most protocol 2; ours is 4."""
    return not data.startswith(b"\x80") or data.startswith(b"\x80\x02")


def load(path: Path | str):
    """The object of the pickle file `path` (see `loads`); a FIFO or device is refused
    without blocking on it."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise PickleError(f"{path}: not a regular file")
            data = handle.read()
    except OSError as exc:
        raise PickleError(f"cannot read pickle {path}: {exc.strerror or exc}") from None
    return loads(data, str(path))


def load_collector(path: Path | str) -> FileStatsCollector:
    obj = load(path)
    if not isinstance(obj, FileStatsCollector):
        raise PickleError(f"{path}: not a statistics pickle (found {type(obj).__name__})")
    return obj


def dumps(collector: FileStatsCollector) -> bytes:
    """The bytes `save` writes for `collector`."""
    return pickle.dumps(collector, protocol=PROTOCOL)


def write(path: Path | str, data: bytes) -> None:
    """Store bytes made by `dumps` (atomically)."""
    from pxstats.util import atomic  # here: collection stores pickles through store.writer

    atomic.write_bytes(path, data)


def save(path: Path | str, collector: FileStatsCollector) -> None:
    write(path, dumps(collector))
