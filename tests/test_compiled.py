"""The compiled scanner (_scan.c) and statistics (_stats.c) against the references, fuzzed.

test_fastscan.py and test_perf_statistics.py already compare both implementations on their
cases; this module mutates realistic log lines byte by byte (truncations, NULs, non-UTF-8,
huge fields, patterns moved around, times out of order), compares the compiled scanner
with formats.scan, and checks that a whole collection gives byte-identical pickles on the
compiled path and on the numpy path.
"""

import copy
import ctypes
import mmap
import pickle
import random
import time

import pytest
from helpers import T
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fastscan import outcome, reference

from pxstats.collect import _scan, period, scanner
from pxstats.samples import rx_lines, tx_lines
from pxstats.stats import collector as collector_module
from pxstats.stats.collector import FileStatsCollector
from pxstats.store import pickles

START = T("2026-11-20 00:00:00")
SAMPLES = {
    "tx": list(tx_lines("c1", START - 600, START + 5400, 900, random.Random(5))),
    "rx": list(rx_lines("s1", START - 600, START + 5400, 900, random.Random(6))),
}
CRAFTED = [
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) Bulletin A:b:c:d:e:f:20261120000900  delivered",
    b"2026-11-20 00:10:00,000 [INFO] ( 5 Bytes) Bulletin A:b:c:d:e:f:20261120000900 x",
    b"2026-11-20 00:10:00,000 [INFO] (+5 Bytes) File /q/A:b:c:d:e:f: 2026112000090 x",
    b"2026-11-20 00:10:00,000 [INFO] (" + b"9" * 19 + b" Bytes) File /q/A:b:c:d:e:f:x",
    b"2026-11-20 00:10:00,000 [INFO] (" + b"1" * 18 + b" Bytes) File /q/A:b:c:d:e:f:x",
    b"2026-11-20 00:10:00,000 [ERROR] SEND TIMEOUT (5 Bytes) [INFO]",
    b"2026-11-20 00:10:00,000 [INFO] [ERROR] (5 Bytes) /sec",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) Segment 3 of x",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) x Segment y",
    b"2026-11-20 00:10:00,000 [INFO] Bytes(5 Bytes) File a b c d:e:f:g:h:i:20261120000900",
    b"2026-11-20 00:10:00,000 [INFO] (5Bytes) File /a/b\x00c:d:e:f:g:h:20261120000900 x",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File /\xff\xfe/\xe9t\xe9:b:c:d:e:f:19700101000000",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File q:b:c:d:e:f:19691231235959",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File q:b:c:d:e:f:00000101000000",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File q:b:c:d:e:f:99991231235959",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File q:b:c:d:e:f:20240229000000",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File q:b:c:d:e:f:20230229000000",
    b"9999-12-31 23:59:59,999 [INFO] (5 Bytes) File q:b:c:d:e:f:20240229000000",
    b"1970-01-01 00:00:00,000 [ERROR] x",
    b"1969-12-31 23:59:59,000 [ERROR] x",
    b"[INFO] Bytes",
    b"2026-11-20 00:10:00,000 [INFO] (5 Bytes) " + b"/" * 3000 + b":" * 3000,
]
PATTERNS = [
    b"[INFO]",
    b"[ERROR]",
    b"Bytes",
    b"/sec",
    b" Segment ",
    b"SEND TIMEOUT",
    b"(",
    b":",
    b"/",
    b" ",
    b"\x00",
    b"\r",
    b"\t",
    b"\xff",
    b"9" * 25,
    b"2026112000",
    b"20261120000000",
]


@st.composite
def mutated_line(draw, file_type: str) -> bytes:
    """A sample or crafted line with a few random damages."""
    pool = SAMPLES[file_type]
    if draw(st.integers(0, 9)) == 0:
        line = draw(st.sampled_from(CRAFTED))
    else:
        line = pool[draw(st.integers(0, len(pool) - 1))].rstrip(b"\n")
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 7))
        at = draw(st.integers(0, len(line)))
        if kind == 0:  # one byte changed
            if line:
                at = min(at, len(line) - 1)
                line = line[:at] + bytes([draw(st.integers(0, 255))]) + line[at + 1 :]
        elif kind == 1:  # truncated
            line = line[:at]
        elif kind == 2:  # a pattern inserted
            line = line[:at] + draw(st.sampled_from(PATTERNS)) + line[at:]
        elif kind == 3:  # bytes removed
            line = line[:at] + line[at + draw(st.integers(1, 12)) :]
        elif kind == 4:  # random bytes inserted (no newline: that makes two lines)
            noise = draw(st.binary(min_size=1, max_size=8)).replace(b"\n", b"\x00")
            line = line[:at] + noise + line[at:]
        elif kind == 5:  # another time, maybe out of order or outside the period
            shift = draw(st.integers(-7200, 7200))
            stamp = "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format(
                *time.gmtime(START + 1800 + shift)[:6]
            )
            line = stamp.encode() + line[19:]
        elif kind == 6:  # a huge field
            line = line[:at] + draw(st.sampled_from([b"x", b"/", b"9", b":"])) * 5000 + line[at:]
        else:  # a digit of the prefix changed
            at = min(at, 19)
            if len(line) > at:
                digit = bytes([draw(st.sampled_from(b"0123456789-: ,x"))])
                line = line[:at] + digit + line[at + 1 :]
    return line.replace(b"\n", b" ")


@st.composite
def mutated_buffer(draw):
    file_type = draw(st.sampled_from(["tx", "rx"]))
    lines = draw(st.lists(mutated_line(file_type), max_size=30))
    return file_type, b"".join(line + b"\n" for line in lines)


STATS = [
    ("errors", "latency", "bytecount"),
    ("errors", "bytecount"),
    ("latency",),
    ("bytecount", "errors"),
]


def compare(data: bytes, file_type: str, stats, start: int, length: int, pieces: int = 1):
    """The compiled scanner and formats.scan on the same buffer(s): identical effect."""
    parts = [data]
    if pieces > 1 and data:
        lines = data.split(b"\n")[:-1]
        size = max(1, len(lines) // pieces)
        parts = [
            b"".join(line + b"\n" for line in lines[k : k + size])
            for k in range(0, len(lines), size)
        ]
    args = (file_type, start, start + length, stats, 60, 3600)
    expected = outcome(reference, parts, *args)
    assert outcome(scanner.scan_buffer, parts, *args) == expected
    previous = _scan.set_simd(False)  # the portable search (other processors) as well
    try:
        assert outcome(scanner.scan_buffer, parts, *args) == expected
    finally:
        _scan.set_simd(previous)
    return expected


class GuardedBuffer:
    """Bytes placed right against unreadable pages, before and after: the scanner reading
    one byte outside its buffer is a crash, not a silent read of what follows."""

    PAGE = mmap.PAGESIZE

    def __init__(self, size: int):
        self.pages = (size + self.PAGE - 1) // self.PAGE + 2
        self.map = mmap.mmap(-1, self.pages * self.PAGE)
        self.base = ctypes.addressof(ctypes.c_char.from_buffer(self.map))
        self._protect(0, 0)  # PROT_NONE
        self._protect((self.pages - 1) * self.PAGE, 0)
        self.end = (self.pages - 1) * self.PAGE

    def _protect(self, offset: int, mode: int) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
        if libc.mprotect(self.base + offset, self.PAGE, mode) != 0:
            raise OSError(ctypes.get_errno(), "mprotect")

    def view(self, data: bytes) -> memoryview:
        """`data` ending exactly at the guard page after it."""
        start = self.end - len(data)
        self.map[start : self.end] = data
        return memoryview(self.map)[start : self.end]

    def close(self) -> None:
        self._protect(0, mmap.PROT_READ | mmap.PROT_WRITE)
        self._protect(self.end, mmap.PROT_READ | mmap.PROT_WRITE)
        self.map.close()


def test_both_modules_are_built():
    assert scanner.compiled()
    assert collector_module._stats is not None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_buffer(), st.sampled_from(STATS), st.integers(0, 3), st.integers(1, 3))
def test_mutated_logs_match_the_reference(case, stats, offset, pieces):
    file_type, data = case
    compare(data, file_type, stats, START + offset * 900, 3600, pieces)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_buffer(), st.sampled_from(STATS), st.booleans())
def test_no_byte_read_outside_the_buffer(case, stats, simd):
    """Each buffer scanned where the bytes just before and after it are unreadable."""
    file_type, data = case
    if not data:
        return
    guarded = GuardedBuffer(len(data) + 100)
    previous = _scan.set_simd(simd)
    try:
        view = guarded.view(data)
        expected = outcome(reference, [data], file_type, START, START + 3600, stats, 60)
        assert outcome(scanner.scan_buffer, [view], file_type, START, START + 3600, stats, 60) == (
            expected
        )
        view.release()
        # The first line against the page before it as well.
        first = data[: data.index(b"\n") + 1]
        start = guarded.PAGE
        guarded.map[start : start + len(first)] = first
        view = memoryview(guarded.map)[start : start + len(first)]
        expected = outcome(reference, [first], file_type, START, START + 3600, stats, 60)
        assert outcome(scanner.scan_buffer, [view], file_type, START, START + 3600, stats, 60) == (
            expected
        )
        view.release()
    finally:
        _scan.set_simd(previous)
        guarded.close()


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["tx", "rx"]), st.sampled_from(STATS))
def test_raw_bytes_match_the_reference(data, file_type, stats):
    compare(data + b"\n", file_type, stats, START, 3600)


@pytest.mark.parametrize("file_type", ["tx", "rx"])
def test_crafted_lines_match_the_reference(file_type):
    data = b"".join(line + b"\n" for line in CRAFTED)
    for stats in STATS:
        for start in (START, START + 600):
            compare(data, file_type, stats, start, 3600)


def test_buffer_contract():
    """No trailing newline is refused (the caller always cuts at one); empty is nothing."""
    c = FileStatsCollector("tx", START)
    result = period.ScanResult()
    with pytest.raises(ValueError):
        scanner.scan_buffer(b"2026-11-20 00:10:00,000 [ERROR] x", c, result)
    assert scanner.scan_buffer(b"", c, result) is None
    assert result.rows == 0


# ---------------------------------------------------------------------------------------
# Statistics


@st.composite
def filled_collector(draw):
    stats = list(draw(st.sampled_from(STATS)))
    c = FileStatsCollector("tx", START, stats_types=stats)
    if "latency" not in stats and draw(st.booleans()):
        for bucket in c.buckets:
            bucket.values["latency"] = []
    limit = draw(st.sampled_from([3, 100, 2**31, 2**45]))
    value = st.integers(-limit, limit)
    for index in draw(st.lists(st.integers(0, 59), max_size=20)):
        bucket = c.buckets[index]
        for _ in range(draw(st.integers(1, 9))):
            error = draw(st.integers(0, 4)) == 0
            bucket.times.append(START + index * 60 + draw(st.integers(0, 59)))
            bucket.products.append("" if error else draw(st.sampled_from(["a", "b", "SA1"])))
            for stat, column in bucket.values.items():
                column.append(int(error) if stat == "errors" else draw(value))
    c.max_latency = draw(st.sampled_from([15, 0, -5, 2**70]))
    return c


def all_paths(c):
    """Pickles of c computed by _stats.c, by numpy and by Bucket.compute."""
    compiled, numpy_path, plain = c, copy.deepcopy(c), copy.deepcopy(c)
    saved = collector_module._stats
    compiled.compute_statistics()
    try:
        collector_module._stats = None
        numpy_path.compute_statistics()
    finally:
        collector_module._stats = saved
    for bucket in plain.buckets:
        bucket.compute(plain.stats_types, plain.max_latency)
    return [pickle.dumps(x, protocol=4) for x in (compiled, numpy_path, plain)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filled_collector())
def test_statistics_match_the_reference(c):
    compiled, numpy_path, plain = all_paths(c)
    assert compiled == plain
    assert numpy_path == plain


def test_compiled_statistics_decline_what_they_cannot_do_exactly():
    c = FileStatsCollector("tx", START)
    b = c.buckets[0]
    b.times += [START, START + 1]
    b.products += ["a", "b"]
    b.values["errors"] += [0, 0]
    b.values["latency"] += [3, 4]
    b.values["bytecount"] += [2**60, 1]
    assert collector_module._stats.compute(c.buckets, c.stats_types, 15) is False
    b.values["bytecount"][0] = 10
    assert collector_module._stats.compute(c.buckets, c.stats_types, 15) is True
    assert (b.nb_files, b.totals["bytecount"], b.medians["latency"]) == (2, 11.0, 3.5)
    assert b.files_where_max["latency"] == "b" and b.times_where_min["bytecount"] == START + 1
    b.values["bytecount"][0] = 1.5
    assert collector_module._stats.compute(c.buckets, c.stats_types, 15) is False


# ---------------------------------------------------------------------------------------
# A whole collection: the pickles of both paths are the same bytes


@pytest.mark.parametrize("file_type", ["tx", "rx"])
def test_collect_period_pickles_identical_on_both_paths(tmp_path, monkeypatch, file_type):
    lines = tx_lines if file_type == "tx" else rx_lines
    folder = tmp_path / "logs"
    folder.mkdir()
    rng = random.Random(21)
    (folder / f"{file_type}_c.log.2026-11-19").write_bytes(
        b"".join(lines("c", START - 3 * 3600, START, 2000, rng))
    )
    (folder / f"{file_type}_c.log").write_bytes(
        b"".join(lines("c", START, START + 3 * 3600, 2000, rng))
    )
    stats = collector_module.STATS_BY_FILE_TYPE[file_type]
    outputs = {}
    for name in ("compiled", "numpy"):
        if name == "numpy":
            monkeypatch.setattr(scanner, "_scan", None)
            monkeypatch.setattr(collector_module, "_stats", None)
        hours = []
        for hour in range(-2, 3):
            start = START + hour * 3600
            collected = period.collect_period(
                folder, file_type, "c", start, start + 3600, stats, 60
            )
            hours.append(pickles.dumps(collected))
        outputs[name] = hours
    assert outputs["compiled"] == outputs["numpy"]
    assert all(len(data) > 10_000 for data in outputs["compiled"])


@pytest.mark.parametrize("shape", ["random", "sorted", "reversed", "equal", "few", "organ"])
@pytest.mark.parametrize("size", [25, 26, 101, 4000])
def test_medians_of_large_buckets(shape, size):
    """Buckets past the insertion sort: the selection gives the reference's medians."""
    rng = random.Random(size)
    values = {
        "random": [rng.randrange(-(10**6), 10**6) for _ in range(size)],
        "sorted": list(range(size)),
        "reversed": list(range(size, 0, -1)),
        "equal": [7] * size,
        "few": [rng.choice([1, 2, 3]) for _ in range(size)],
        "organ": list(range(size // 2)) + list(range(size - size // 2, 0, -1)),
    }[shape]
    c = FileStatsCollector("tx", START, interval=3600)
    b = c.buckets[0]
    b.times += [START + k % 3600 for k in range(size)]
    b.products += [f"p{k}" for k in range(size)]
    b.values["errors"] += [int(k % 11 == 0) for k in range(size)]
    b.values["latency"] += values
    b.values["bytecount"] += values[::-1]
    compiled, numpy_path, plain = all_paths(c)
    assert compiled == plain
    assert numpy_path == plain
