"""Columnar statistics (FileStatsCollector.compute_statistics without a product filter)
against the reference Bucket.compute, bucket by bucket: identical pickles, hence the same
values, Python types, shared objects and key order in every statistics dict."""

import copy
import pickle
import random

import pytest
from bench_day import write_bench_day
from helpers import T
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pxstats.stats import collector as collector_module
from pxstats.stats.collector import FileStatsCollector

START = T("2008-04-30 12:00:00")
STATS = [
    ["errors", "latency", "bytecount"],
    ["errors", "bytecount"],
    ["bytecount"],
    ["latency"],
    ["bytecount", "latency", "errors"],
    ["errors"],
    ["latency", "errors"],
]
PRODUCTS = ["SA1", "SM2", "FT3", "WKR.gif", "x" * 70]


def reference_compute(collector):
    for bucket in collector.buckets:
        bucket.compute(collector.stats_types, collector.max_latency, ("All",))


def assert_same_statistics(collector, precompute=None):
    """compute_statistics (compiled, then numpy) == Bucket.compute, compared as pickles and
    dicts. `precompute`: patterns computed first on both, so dicts already hold keys."""
    numpy_copy = copy.deepcopy(collector)
    _assert_same_statistics(collector, precompute)
    saved = collector_module._stats
    collector_module._stats = None  # the numpy path
    try:
        _assert_same_statistics(numpy_copy, precompute)
    finally:
        collector_module._stats = saved


def _assert_same_statistics(collector, precompute):
    mine, theirs = collector, copy.deepcopy(collector)
    if precompute is not None:
        mine.compute_statistics(precompute)
        theirs.compute_statistics(precompute)
    mine.compute_statistics()
    reference_compute(theirs)
    for index, (a, b) in enumerate(zip(mine.buckets, theirs.buckets)):
        assert list(a.__dict__) == list(b.__dict__)
        for key, value in a.__dict__.items():
            other = b.__dict__[key]
            assert value == other, (index, key)
            if isinstance(value, dict):
                assert list(value) == list(other), (index, key)
                assert [type(v) for v in value.values()] == [type(v) for v in other.values()]
            else:
                assert type(value) is type(other), (index, key)
    assert pickle.dumps(mine, protocol=4) == pickle.dumps(theirs, protocol=4)


def fill(collector, rng, rows_per_bucket, value_range, error_share, empty_share):
    for bucket in collector.buckets:
        if rng.random() < empty_share:
            continue
        for _ in range(rng.randint(0, rows_per_bucket)):
            t = rng.randint(bucket.start, bucket.end - 1)
            error = rng.random() < error_share
            bucket.times.append(t)
            bucket.products.append("" if error else rng.choice(PRODUCTS))
            for stat, column in bucket.values.items():
                if stat == "errors":
                    column.append(int(error))
                else:
                    column.append(0 if error else rng.randint(*value_range))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**32),
    st.sampled_from(STATS),
    st.sampled_from([60, 300, 3600, 7]),
    st.sampled_from([(0, 3), (0, 40), (-5, 5), (0, 10**9), (0, 2**40)]),
    st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    st.sampled_from([0.0, 0.5, 1.0]),
    st.sampled_from([0, 1, 2, 5, 30]),
    st.sampled_from([15, 0, 3]),
)
def test_random_collectors(
    seed, stats, interval, value_range, error_share, empty_share, rows_per_bucket, max_latency
):
    rng = random.Random(seed)
    c = FileStatsCollector(
        "tx", START, stats_types=stats, interval=interval, max_latency=max_latency
    )
    fill(c, rng, rows_per_bucket, value_range, error_share, empty_share)
    assert_same_statistics(c)


@pytest.mark.parametrize("stats", STATS)
def test_recompute_after_a_product_filter(stats):
    rng = random.Random(5)
    c = FileStatsCollector("tx", START, stats_types=stats)
    fill(c, rng, 12, (0, 30), 0.2, 0.3)
    assert_same_statistics(c, precompute=["SA"])


def test_ties_keep_the_first_row():
    c = FileStatsCollector("tx", START)
    b = c.buckets[3]
    for k, (lat, nbytes) in enumerate([(5, 9), (1, 9), (5, 1), (1, 1), (5, 9), (0, 0)]):
        error = k == 5
        b.times.append(START + 180 + k)
        b.products.append("" if error else f"p{k}")
        b.values["errors"].append(int(error))
        b.values["latency"].append(lat)
        b.values["bytecount"].append(nbytes)
    assert_same_statistics(c)
    c.compute_statistics()
    assert (b.files_where_min["latency"], b.files_where_max["latency"]) == ("p1", "p0")
    assert (b.files_where_min["bytecount"], b.files_where_max["bytecount"]) == ("p2", "p0")


@pytest.mark.parametrize(
    "kind",
    [
        "huge",
        "float",
        "bool",
        "mixed_bool",
        "ragged",
        "missing",
        "errors_two",
        "errors_no_one",
        "float_latency_limit",
        "latency_not_in_stats",
        "negative",
    ],
)
def test_unusual_columns_give_the_reference_result(kind):
    """Columns the pickler never writes (legacy or hand-made pickles): same result as the
    reference, whichever path computes them (or the same exception)."""
    stats = (
        ["errors", "bytecount"]
        if kind == "latency_not_in_stats"
        else ["errors", "latency", "bytecount"]
    )
    c = FileStatsCollector("tx", START, stats_types=stats)
    if kind == "latency_not_in_stats":
        for bucket in c.buckets:
            bucket.values["latency"] = []
    rng = random.Random(11)
    fill(c, rng, 6, (0, 50), 0.2, 0.2)
    b = c.buckets[7]
    b.times += [START + 420, START + 421]
    b.products += ["a", "b"]
    for _stat, column in b.values.items():
        column += [1, 0]
    if kind == "huge":
        b.values["bytecount"][-1] = 2**70
    elif kind == "float":
        b.values["bytecount"][-1] = 2.5
    elif kind == "bool":
        for bucket in c.buckets:
            bucket.values["errors"] = [bool(e) for e in bucket.values["errors"]]
    elif kind == "mixed_bool":
        b.values["bytecount"][-2:] = [True, False]
    elif kind == "ragged":
        b.values["latency"].pop()
    elif kind == "missing":
        del b.values["latency"]
    elif kind == "errors_two":
        b.values["errors"][-1] = 2
    elif kind == "errors_no_one":
        b.values["errors"][-2:] = [2, 0]
    elif kind == "float_latency_limit":
        c.max_latency = 15.0
    elif kind == "negative":
        b.values["latency"][-2:] = [-7, -(2**40)]
    mine, theirs = c, copy.deepcopy(c)
    try:
        reference_compute(theirs)
    except Exception as exc:  # the reference fails: so must the collector
        with pytest.raises(type(exc)):
            mine.compute_statistics()
        return
    assert_same_statistics(c)


def test_empty_collector_and_no_buckets():
    assert_same_statistics(FileStatsCollector("rx", START))
    c = FileStatsCollector("tx", START)
    c.buckets = []
    c.compute_statistics()


def test_bench_day(tmp_path):
    """A realistic day (the benchmark log) collected hour by hour."""
    from pxstats.collect.formats import ScanResult
    from pxstats.collect.period import read_file

    day = T("2008-04-30 00:00:00")
    log = tmp_path / "tx_bench.log"
    write_bench_day(log, day, 30_000)
    offset = 0
    for hour in range(0, 24, 5):
        c = FileStatsCollector("tx", day + hour * 3600, day + hour * 3600 + 3600)
        offset = read_file(log, offset, c, ScanResult())
        assert sum(b.rows for b in c.buckets) > 500
        assert_same_statistics(c)


def test_columnar_path_is_taken():
    """The columnar path really runs for collected data (not only the fallback)."""
    c = FileStatsCollector("tx", START)
    fill(c, random.Random(3), 5, (0, 50), 0.2, 0.2)
    assert collector_module._compute_all(c.buckets, c.stats_types, c.max_latency)


@pytest.mark.parametrize("chunk", [None, 700])
@pytest.mark.parametrize(
    "file_type,stats",
    [
        ("tx", ["errors", "latency", "bytecount"]),
        ("tx", ["latency"]),
        ("rx", ["errors", "bytecount"]),
        ("tx", ["bytecount", "errors"]),
    ],
)
def test_collect_period_with_scanner_columns(tmp_path, monkeypatch, chunk, file_type, stats):
    """collect_period hands the scanner's arrays to the statistics: same pickles as the
    reference, with one block, many small blocks, and rows of a bucket spread over two
    files (rotated log, then current log, in time disorder)."""
    from pxstats.collect import period as pickling
    from pxstats.samples import rx_lines, tx_lines

    if chunk:
        monkeypatch.setattr(pickling, "CHUNK", chunk)
    lines = tx_lines if file_type == "tx" else rx_lines
    folder = tmp_path / "logs"
    folder.mkdir()
    rng = random.Random(9)
    data = b"".join(lines("c", START - 1800, START + 5400, 700, rng))
    rotated = b"".join(lines("c", START - 600, START + 3000, 300, rng))
    big = (
        b"2008-04-30 12:30:00,000 [INFO] ("
        + b"9" * 30
        + b" Bytes) Bulletin a:b:c:d:e:f:20080430123000  delivered\n"
    )
    (folder / f"{file_type}_c.log.2008-04-30").write_bytes(rotated + (big if chunk else b""))
    (folder / f"{file_type}_c.log").write_bytes(data)
    collected = pickling.collect_period(folder, file_type, "c", START, START + 3600, stats, 60)
    assert sum(b.rows for b in collected.buckets) > 100
    theirs = copy.deepcopy(collected)
    reference_compute(theirs)
    assert pickle.dumps(collected, protocol=4) == pickle.dumps(theirs, protocol=4)


def test_joined_chunks_keep_bucket_order():
    import numpy as np

    chunks = [
        {"slots": np.array([0, 2, 2]), "bytecount": np.array([1, 2, 3])},
        {"slots": np.array([1, 2]), "bytecount": np.array([4, 5])},
    ]
    joined = collector_module._joined(chunks)
    assert joined["slots"].tolist() == [0, 1, 2, 2, 2]
    assert joined["bytecount"].tolist() == [1, 4, 2, 3, 5]
    assert collector_module._joined(chunks + [None]) is None
    assert collector_module._joined([]) is None
