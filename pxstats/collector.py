"""FileStatsCollector: per-interval buckets of rows and their statistics.

One collector holds the rows of one period (an hour for pickles) cut into buckets of
`interval` seconds. A row is one delivery/ingestion (INFO) or one error line. For every
bucket the statistics of spec §2.6 are computed with the fixes: every bucket is computed,
error rows take no part in the min/max of latency and bytecount, medians are real.
"""

from __future__ import annotations

import fnmatch
import operator
from itertools import compress

from . import timeutil

STATS_BY_FILE_TYPE = {
    "tx": ("errors", "latency", "bytecount"),
    "rx": ("errors", "bytecount"),
}
FILE_TYPES = tuple(STATS_BY_FILE_TYPE)
DEFAULT_MAX_LATENCY = 15
FORMAT_VERSION = 1
ALL_WORDS = ("All", "Tous", "ALL", "TOUS")  # the original used both spellings


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

    @property
    def files(self) -> list[str]:
        """File name of each row: the product name (the original kept it twice)."""
        return self.products

    def compute(self, stats_types, max_latency: int, patterns=("All",)) -> None:
        """Statistics of this bucket over the rows whose product matches `patterns`.

        Written with C-level builtins (compress, map, sorted, index): this runs for every
        minute of every pickle and merge."""
        rows = len(self.times)
        if _matches_everything(patterns):
            selected = None  # every row
        else:
            compiled = [_build_pattern(p) for p in patterns]
            selected = [any(fnmatch.fnmatchcase(product, p) for p in compiled)
                        for product in self.products]
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
    return any(p in ALL_WORDS or p in ("", "*") for p in patterns)


def _build_pattern(pattern: str) -> str:
    """Original buildPattern: 'SA' means 'contains SA'; '*'/'?' at an end anchor nothing."""
    if pattern == "" or pattern in ALL_WORDS:
        return "*"
    if not pattern.startswith(("*", "?")):
        pattern = "*" + pattern
    if not pattern.endswith(("*", "?")):
        pattern = pattern + "*"
    return pattern


def is_interesting_product(product: str, patterns) -> bool:
    if any(p in ALL_WORDS for p in patterns):
        return True
    return any(fnmatch.fnmatchcase(product, _build_pattern(p)) for p in patterns)


class FileStatsCollector:
    """The rows and statistics of one period, cut into buckets of `interval` seconds."""

    def __init__(self, file_type: str, start: int, end: int | None = None, *,
                 stats_types=None, interval: int = 60, total_width: int = 3600,
                 max_latency: int = DEFAULT_MAX_LATENCY):
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
        bounds = [start] + timeutil.separators(start, total_width, interval)
        self.buckets = [Bucket(bounds[i], bounds[i + 1], self.stats_types)
                        for i in range(len(bounds) - 1)]
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

    def compute_statistics(self, patterns=("All",)) -> None:
        """(Re)compute every bucket, keeping only rows whose product matches `patterns`."""
        for bucket in self.buckets:
            bucket.compute(self.stats_types, self.max_latency, patterns)

    def same_layout(self, other: "FileStatsCollector") -> bool:
        """True when `other` can be merged into this one bucket by bucket."""
        return (self.start == other.start and self.interval == other.interval
                and self.total_width == other.total_width
                and len(self.buckets) == len(other.buckets)
                and set(self.stats_types) == set(other.stats_types))
