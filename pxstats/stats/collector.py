"""FileStatsCollector: per-interval buckets of rows and their statistics.

One collector holds the rows of one period (an hour for pickles) cut into buckets of
`interval` seconds. A row is one delivery/ingestion (INFO) or one error line. For every
bucket the statistics of spec §2.6 are computed with the fixes: every bucket is computed,
error rows take no part in the min/max of latency and bytecount, medians are real.

Why one module of ~450 lines: the per-bucket reference statistics (`Bucket.compute`) and
the columnar ones (`_compute_all`) must give identical pickles; they are kept side by side.
"""

from __future__ import annotations

import fnmatch
import operator
import sys
from itertools import chain, compress

from pxstats.i18n import is_all, is_all_products
from pxstats.util import timeutil

try:  # the compiled statistics (built by `pip install -e .`); numpy below otherwise
    from pxstats.stats import _stats
except ImportError:
    _stats = None

STATS_BY_FILE_TYPE = {
    "tx": ("errors", "latency", "bytecount"),
    "rx": ("errors", "bytecount"),
}
DEFAULT_MAX_LATENCY = 15
FORMAT_VERSION = 1


class Bucket:
    """One interval: its rows (column-wise) and the statistics computed from them.

    Rows are stored as parallel columns: `times` (epoch of the log line), `products`
    (product name; "" for an error row) and one list per statistic in `values`.
    """

    def __init__(self, start: int, end: int, stats_types):
        self.start = start
        self.end = end
        self.times: list[int] = []
        self.products: list[str] = []
        self.values: dict[str, list[int]] = {s: [] for s in stats_types}
        self.nb_files = 0
        self.files_over_max_latency = 0
        self.totals: dict[str, float] = {}
        self.means: dict[str, float] = {}
        self.medians: dict[str, float] = {}
        self.minimums: dict[str, float] = {}
        self.maximums: dict[str, float] = {}
        self.files_where_min: dict[str, str] = {}
        self.times_where_min: dict[str, int] = {}
        self.files_where_max: dict[str, str] = {}
        self.times_where_max: dict[str, int] = {}

    @property
    def rows(self) -> int:
        return len(self.times)

    def compute(self, stats_types, max_latency: int, patterns=("All",)) -> None:
        """Statistics of this bucket over the rows whose product matches `patterns`.

        Written with C-level builtins (compress, map, sorted, index): this runs for every
        minute of every pickle and merge."""
        rows = len(self.times)
        if _matches_everything(patterns):
            selected = None  # every row
        else:
            compiled = [_build_pattern(p) for p in patterns]
            selected = [
                any(fnmatch.fnmatchcase(product, p) for p in compiled) for product in self.products
            ]
        error_column = self.values.get("errors") if "errors" in stats_types else None
        if error_column is not None and any(error_column):
            keep = [not e for e in error_column]
            if selected is not None:
                keep = list(map(operator.and_, keep, selected))
        else:
            keep = selected
        # Row numbers of the successful (non-error) selected rows; None means all rows.
        good = None if keep is None else list(compress(range(rows), keep))
        self.nb_files = rows if good is None else len(good)
        latency = self.values.get("latency")
        if latency is not None:
            good_latency = latency if good is None else list(compress(latency, keep))
            self.files_over_max_latency = sum(map(max_latency.__lt__, good_latency))
        else:
            self.files_over_max_latency = 0

        for stat in stats_types:
            column = self.values[stat]
            if stat == "errors":
                self._compute_errors(column, selected)
                continue
            chosen = column if good is None else list(compress(column, keep))
            total = sum(chosen)
            self.totals[stat] = float(total)
            self.means[stat] = total / len(chosen) if chosen else 0
            self.medians[stat] = _median(chosen)
            if chosen:
                # index() finds the first extreme: ties keep the earliest row.
                lo, hi = chosen.index(min(chosen)), chosen.index(max(chosen))
                self.minimums[stat], self.maximums[stat] = chosen[lo], chosen[hi]
                row_lo = lo if good is None else good[lo]
                row_hi = hi if good is None else good[hi]
                self.files_where_min[stat] = self.products[row_lo]
                self.times_where_min[stat] = self.times[row_lo]
                self.files_where_max[stat] = self.products[row_hi]
                self.times_where_max[stat] = self.times[row_hi]
            else:
                self.minimums[stat] = self.maximums[stat] = 0.0
                self.files_where_min[stat] = self.files_where_max[stat] = ""
                self.times_where_min[stat] = self.times_where_max[stat] = 0

    def _compute_errors(self, column, selected) -> None:
        """errors: total, fraction of rows (mean), count as min and max, time of the last one."""
        chosen = column if selected is None else list(compress(column, selected))
        total = sum(chosen)
        self.totals["errors"] = float(total)
        self.means["errors"] = total / len(chosen) if chosen else 0
        self.medians["errors"] = _median(chosen)
        self.minimums["errors"] = self.maximums["errors"] = int(total)
        self.files_where_min["errors"] = self.files_where_max["errors"] = ""
        last_error = 0
        if total:
            flags = column if selected is None else list(map(operator.and_, column, selected))
            last_row = len(flags) - 1 - flags[::-1].index(1)
            last_error = self.times[last_row]
        self.times_where_min["errors"] = self.times_where_max["errors"] = last_error

    def extend(self, other: "Bucket") -> None:
        """Append the rows of `other` (same statistics) after this bucket's rows."""
        self.times.extend(other.times)
        self.products.extend(other.products)
        for stat, column in self.values.items():
            column.extend(other.values[stat])


def _median(values) -> float:
    if not values:
        return 0
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _matches_everything(patterns) -> bool:
    return any(map(is_all_products, patterns))


def _build_pattern(pattern: str) -> str:
    """Original buildPattern: 'SA' means 'contains SA'; '*'/'?' at an end anchor nothing."""
    if pattern == "" or is_all(pattern):
        return "*"
    if not pattern.startswith(("*", "?")):
        pattern = "*" + pattern
    if not pattern.endswith(("*", "?")):
        pattern = pattern + "*"
    return pattern


def is_interesting_product(product: str, patterns) -> bool:
    if any(map(is_all, patterns)):
        return True
    return any(fnmatch.fnmatchcase(product, _build_pattern(p)) for p in patterns)


class FileStatsCollector:
    """The rows and statistics of one period, cut into buckets of `interval` seconds."""

    def __init__(
        self,
        file_type: str,
        start: int,
        end: int | None = None,
        *,
        stats_types=None,
        interval: int = 60,
        total_width: int = 3600,
        max_latency: int = DEFAULT_MAX_LATENCY,
        buckets: list | None = None,
    ):
        """`buckets`: existing buckets of exactly this layout (a merge of loaded hours),
        taken as they are instead of empty ones."""
        if file_type not in STATS_BY_FILE_TYPE:
            raise ValueError(f"file type must be tx or rx, not {file_type!r}")
        if interval < 1:
            raise ValueError("interval must be at least one second")
        self.format_version = FORMAT_VERSION
        self.file_type = file_type
        self.stats_types = list(stats_types or STATS_BY_FILE_TYPE[file_type])
        self.start = start
        self.end = start + total_width if end is None else end
        self.interval = interval
        self.total_width = total_width
        self.max_latency = max_latency
        self.log_files: list[str] = []
        if buckets is None:
            bounds = [start] + timeutil.separators(start, total_width, interval)
            buckets = [
                Bucket(bounds[i], bounds[i + 1], self.stats_types) for i in range(len(bounds) - 1)
            ]
        self.buckets = buckets
        self.first_filled = 0
        self.last_filled = 0

    @property
    def nb_entries(self) -> int:
        return len(self.buckets)

    def bucket_index(self, epoch: int) -> int:
        """floor((t - start) / interval), clamped to the existing buckets."""
        index = (epoch - self.start) // self.interval
        return min(max(index, 0), len(self.buckets) - 1)

    def note_filled(self) -> None:
        filled = [i for i, b in enumerate(self.buckets) if b.times]
        self.first_filled = filled[0] if filled else 0
        self.last_filled = filled[-1] if filled else 0

    def compute_statistics(self, patterns=("All",), columns=None) -> None:
        """(Re)compute every bucket, keeping only rows whose product matches `patterns`.

        Without a product filter every bucket is computed at once, by the compiled module
        `_stats.c` or else with numpy (same results, same Python types, same objects as
        Bucket.compute); Bucket.compute stays the reference and handles everything the
        columnar paths decline. `columns`: the chunks of int64 rows the numpy scanner added
        to these buckets (fastscan.scan_buffer), which spares the numpy path converting the
        Python lists; ignored unless they match them."""
        if _matches_everything(patterns):
            if _stats is not None and _stats.compute(
                self.buckets, self.stats_types, self.max_latency
            ):
                return
            if _compute_all(self.buckets, self.stats_types, self.max_latency, _joined(columns)):
                return
        for bucket in self.buckets:
            bucket.compute(self.stats_types, self.max_latency, patterns)

    def same_layout(self, other: "FileStatsCollector") -> bool:
        """True when `other` can be merged into this one bucket by bucket."""
        return (
            self.start == other.start
            and self.interval == other.interval
            and self.total_width == other.total_width
            and len(self.buckets) == len(other.buckets)
            and set(self.stats_types) == set(other.stats_types)
        )


# ---------------------------------------------------------------------------------------
# Columnar statistics of every bucket of a collector (no product filter)

_EXACT = 1 << 53  # below this every sum, and every sum of two, is exact in int64 and float64


def _column(buckets, stat, rows: int):
    """The rows of `stat` of every bucket end to end, as int64; None when they are not
    plain integers small enough for exact arithmetic (then Bucket.compute decides)."""
    import numpy as np

    if not rows:
        return np.zeros(0, np.int64)
    try:
        array = np.array(list(chain.from_iterable(b.values[stat] for b in buckets)))
    except (OverflowError, ValueError, TypeError):
        return None
    return _checked(array, rows)


def _checked(array, rows: int):
    """`array` if it is `rows` int64 values small enough for exact sums, else None."""
    import numpy as np

    if array.dtype != np.int64 or array.ndim != 1 or len(array) != rows:
        return None
    if rows and max(abs(int(array.min())), abs(int(array.max()))) * rows >= _EXACT:
        return None
    return array


def _sorted_runs(values, segment, count: int):
    """Stable order of the rows by (segment, value), and for each position of that order
    the position where its run of equal (segment, value) starts. `segment` is ascending."""
    import numpy as np

    low = int(values.min())
    span = int(values.max()) - low + 1
    if span * count < 1 << 62:  # one integer key: much faster than lexsort
        key = segment * span + (values - low)
        if span * count <= 1 << 16:
            key = key.astype(np.uint16)  # stable sort of 16-bit keys is a radix sort
        order = np.argsort(key, kind="stable")
        key = key[order]
        change = key[1:] != key[:-1]
    else:
        order = np.lexsort((values, segment))
        ordered, seg = values[order], segment[order]
        change = (ordered[1:] != ordered[:-1]) | (seg[1:] != seg[:-1])
    run_start = np.zeros(len(order), np.int64)
    run_start[1:] = np.where(change, np.arange(1, len(order)), 0)
    np.maximum.accumulate(run_start, out=run_start)
    return order, run_start


def _sums(values, segment, count: int):
    """Per segment (0..count-1), the sum of its values (int64, exact under _EXACT)."""
    import numpy as np

    sums = np.zeros(count, np.int64)
    np.add.at(sums, segment, values)
    return sums


def _joined(chunks):
    """The scanner's chunks as one array per column, rows in bucket order (chunk order
    inside a bucket, as the lists were extended); None when unusable."""
    if not chunks or any(chunk is None for chunk in chunks):
        return None
    import numpy as np

    keys = list(chunks[0])
    if any(list(chunk) != keys for chunk in chunks):
        return None
    joined = {key: np.concatenate([chunk[key] for chunk in chunks]) for key in keys}
    slots = joined["slots"]
    if len(chunks) > 1 and len(slots) > 1 and (slots[1:] < slots[:-1]).any():
        order = np.argsort(slots, kind="stable")
        joined = {key: column[order] for key, column in joined.items()}
    return joined


def _compute_all(buckets, stats_types, max_latency, given=None) -> bool:
    """Bucket.compute(stats_types, max_latency) for every bucket, by columns.

    Returns False, having changed nothing, when the columns are not what the pickler
    writes (a missing or ragged column, values that are not exact int64 integers, an
    unusual max_latency): the caller then computes bucket by bucket."""
    import numpy as np

    if type(max_latency) is not int or not buckets:
        return False
    sizes = [len(b.times) for b in buckets]
    has_latency = "latency" in buckets[0].values
    for bucket, size in zip(buckets, sizes):
        values = bucket.values
        if ("latency" in values) != has_latency or len(bucket.products) != size:
            return False
        for stat in stats_types:
            column = values.get(stat)
            if column is None or len(column) != size:
                return False
        if has_latency and len(values["latency"]) != size:
            return False
    rows = sum(sizes)
    nb = len(buckets)
    starts = np.zeros(nb, np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    segment = np.repeat(np.arange(nb), sizes)
    position = np.arange(rows)
    columns = {}
    if given is not None and (
        len(given["slots"]) != rows or np.bincount(given["slots"], minlength=nb).tolist() != sizes
    ):
        given = None  # not the rows of these buckets
    for stat in dict.fromkeys([*stats_types, *(["latency"] if has_latency else [])]):
        if given is not None and stat in given:
            columns[stat] = _checked(given[stat], rows)
        else:
            columns[stat] = _column(buckets, stat, rows)
        if columns[stat] is None:
            return False

    # Rows taking part in latency/bytecount statistics: all but error rows.
    errors = columns.get("errors") if "errors" in stats_types else None
    good = np.ones(rows, bool) if errors is None else errors == 0
    good_rows = np.flatnonzero(good)
    good_segment = segment[good_rows]
    nb_files = np.bincount(good_segment, minlength=nb).tolist()
    over = [0] * nb
    if has_latency:
        late = good & (columns["latency"] > max_latency)
        over = np.bincount(segment[late], minlength=nb).tolist()

    # Every row end to end as Python objects (the very objects of the buckets), with a
    # last element standing for "no row": row -1 gives the value of an empty bucket.
    flat_times = _flat(buckets, "times", 0)
    flat_products = _flat(buckets, "products", "")
    results = {name: [] for name in _RESULT_DICTS}
    for stat in stats_types:
        column = columns[stat]
        if stat == "errors":
            chosen, chosen_segment, counts = position, segment, sizes
        else:
            chosen, chosen_segment, counts = good_rows, good_segment, nb_files
        values = column[chosen]
        sums = _sums(values, chosen_segment, nb)
        counts_array = np.asarray(counts, np.int64)
        filled = counts_array > 0
        first = np.zeros(nb, np.int64)
        np.cumsum(counts_array[:-1], out=first[1:])
        lows = highs = median_lo = median_hi = [-1] * nb
        if len(values):
            order, run_start = _sorted_runs(values, chosen_segment, nb)
            ascending = np.append(chosen[order], -1)  # -1: "no row"
            middle = np.where(filled, first + counts_array // 2, -1)
            median_hi = ascending[middle].tolist()
            median_lo = ascending[np.where(filled, middle - 1, -1)].tolist()
            # min: the first row of the smallest value (stable order); max: the first row
            # of the run of the largest value, which ends the bucket.
            lows = ascending[np.where(filled, first, -1)].tolist()
            ends = np.where(filled, first + counts_array - 1, 0)
            highs = ascending[np.where(filled, run_start[ends], -1)].tolist()
        flat = _flat(buckets, stat, 0)
        totals = sums.tolist()
        results["totals"].append(sums.astype(np.float64).tolist())  # exact: < 2**53
        quotients = (sums / np.maximum(counts_array, 1)).tolist()  # int/int, rounded once
        results["means"].append([q if c else 0 for q, c in zip(quotients, counts)])
        results["medians"].append(
            [
                flat[h] if c & 1 else ((flat[lo] + flat[h]) / 2 if c else 0)
                for c, lo, h in zip(counts, median_lo, median_hi)
            ]
        )
        if stat == "errors":
            ones = np.flatnonzero(column == 1)
            last_one = np.full(nb, -1, np.int64)
            if len(ones):
                seg = segment[ones]
                tail = np.ones(len(ones), bool)
                tail[:-1] = seg[1:] != seg[:-1]
                last_one[seg[tail]] = ones[tail]
            if (last_one[sums != 0] < 0).any():
                return False  # a total without a 1 in the column: the reference raises
            last_one[sums == 0] = -1
            moments = list(map(flat_times.__getitem__, last_one.tolist()))
            results["minimums"].append(totals)
            results["maximums"].append(totals)
            results["files_where_min"].append([""] * nb)
            results["files_where_max"].append([""] * nb)
            results["times_where_min"].append(moments)
            results["times_where_max"].append(moments)
        else:
            flat[-1] = 0.0
            results["minimums"].append(list(map(flat.__getitem__, lows)))
            results["maximums"].append(list(map(flat.__getitem__, highs)))
            results["files_where_min"].append(list(map(flat_products.__getitem__, lows)))
            results["files_where_max"].append(list(map(flat_products.__getitem__, highs)))
            results["times_where_min"].append(list(map(flat_times.__getitem__, lows)))
            results["times_where_max"].append(list(map(flat_times.__getitem__, highs)))

    for bucket, count, late in zip(buckets, nb_files, over):
        bucket.nb_files = count
        bucket.files_over_max_latency = late
    for index, stat in enumerate(stats_types):
        for bucket, total, mean, median, low, high, file_low, time_low, file_high, time_high in zip(
            buckets, *(results[name][index] for name in _RESULT_DICTS)
        ):
            bucket.totals[stat] = total
            bucket.means[stat] = mean
            bucket.medians[stat] = median
            bucket.minimums[stat] = low
            bucket.maximums[stat] = high
            bucket.files_where_min[stat] = file_low
            bucket.times_where_min[stat] = time_low
            bucket.files_where_max[stat] = file_high
            bucket.times_where_max[stat] = time_high
    return True


def _flat(buckets, name: str, last):
    """The rows of column `name` (an attribute, else a statistic) of every bucket end to
    end, the very objects, then `last`."""
    flat = []
    if name in ("times", "products"):
        for bucket in buckets:
            flat += getattr(bucket, name)
    else:
        for bucket in buckets:
            flat += bucket.values[name]
    flat.append(last)
    return flat


_RESULT_DICTS = (
    "totals",
    "means",
    "medians",
    "minimums",
    "maximums",
    "files_where_min",
    "times_where_min",
    "files_where_max",
    "times_where_max",
)


# The stored pickle format names these classes `pxstats.collector.<class>` (every pickle
# written since the first release, on every machine); keep that name so pickles stay
# byte-identical and readable by other pxStats installations.
PICKLED_MODULE = "pxstats.collector"
Bucket.__module__ = FileStatsCollector.__module__ = PICKLED_MODULE
sys.modules.setdefault(PICKLED_MODULE, sys.modules[__name__])
