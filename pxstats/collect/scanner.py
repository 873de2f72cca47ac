"""The scanner of `read_file`: `scan_buffer(data, collector, result)` has exactly the effect of
`formats.scan(data[:-1].split(b"\\n"), collector, result)` and returns the offset of the stop
line (None when there is none).

Two implementations of that one contract: the compiled one (`_scan.c`, built by
`pip install -e .`) and, when it cannot be imported, the numpy one (`fastscan`), said once in
the log. Both hand every line they are not certain about to `formats.scan` itself.
"""

from __future__ import annotations

import logging

from pxstats.collect.formats import ScanResult, scan

log = logging.getLogger(__name__)

_WHY = ""
try:
    from pxstats.collect import _scan
except ImportError as exc:  # not built: no C compiler when pxStats was installed
    _scan = None
    _WHY = str(exc)
_warned = False


def compiled() -> bool:
    """Whether the compiled scanner is the one in use."""
    return _scan is not None


class _Sink:
    """Collector stand-in for the reference `scan`: every bucket is this one recorder."""

    def __init__(self, collector):
        self.start, self.end = collector.start, collector.end
        self.interval = collector.interval
        self.stats_types = collector.stats_types
        self.file_type = collector.file_type
        self.times: list[int] = []
        self.products: list[str] = []
        self.values = {"errors": [], "latency": [], "bytecount": []}
        self.buckets = [self] * len(collector.buckets)


def _reference(collector, latency_on: bool):
    """fallback(line) for the compiled scanner: (product, latency, byte count) of an INFO row
    timed inside the collector's period, as `scan` reads it, or None when it is malformed."""
    sink = probe = None

    def fields(line: bytes):
        nonlocal sink, probe
        if sink is None:
            sink, probe = _Sink(collector), ScanResult()
        rows, malformed = probe.rows, probe.malformed
        scan((line,), sink, probe)
        if probe.malformed == malformed + 1 and probe.rows == rows:
            return None
        if probe.rows != rows + 1 or probe.stop_index is not None or probe.before_start:
            raise AssertionError("scanner: the reference classifies a line differently")
        values = sink.values
        return (
            sink.products[-1],
            values["latency"][-1] if latency_on else 0,
            values["bytecount"][-1],
        )

    return fields


def scan_buffer(data, collector, result: ScanResult, columns: list | None = None) -> int | None:
    """Add the rows of `data` (bytes-like, complete lines ending with b"\\n") as `scan` would.

    Returns the offset in `data` of the stop line (then also in result.stop_index), None when
    there is none. `columns`: see fastscan.scan_buffer (the numpy path only; the compiled
    statistics read the buckets)."""
    if _scan is None:
        return _numpy_scan(data, collector, result, columns)
    if not data:
        return None
    stats = collector.stats_types
    latency_on = "latency" in stats
    buckets = collector.buckets
    stop, index, rows, malformed, first, before, late, reached, filled = _scan.scan(
        data,
        buckets,
        collector.start,
        collector.end,
        collector.interval,
        collector.file_type == "tx",
        "errors" in stats,
        latency_on,
        "bytecount" in buckets[0].values,
        result.reached_start,
        _reference(collector, latency_on),
    )
    result.rows += rows
    result.malformed += malformed
    if result.first_malformed is None:
        result.first_malformed = first
    result.before_start += before
    result.out_of_order += late
    result.reached_start = reached
    result.filled.update(filled)
    if stop is not None:
        result.stop_index = index
    return stop


def _numpy_scan(data, collector, result, columns):
    global _warned
    from pxstats.collect import fastscan

    if not _warned:
        _warned = True
        log.warning("compiled scanner not available (%s): using the numpy scanner", _WHY or "off")
    return fastscan.scan_buffer(data, collector, result, columns)
