"""Bucket filling and statistics: spec §9 scenarios T1-T11, T16, T24 (Rewrite values)."""

import pytest
from helpers import T, write_log
from hypothesis import given
from hypothesis import strategies as st

from pxstats.collect import cursor, selection
from pxstats.collect.formats import is_log_line, line_time
from pxstats.collect.period import Cursors, collect_period
from pxstats.collect.selection import (
    RecordTimes,
    candidate_files,
    first_log_time,
    last_log_time,
    select_files,
)
from pxstats.stats.collector import FileStatsCollector, is_interesting_product
from pxstats.util import timeutil

TX = ("errors", "latency", "bytecount")
RX = ("errors", "bytecount")


def collect(
    tmp_path,
    lines,
    ft="tx",
    start="2008-04-30 12:00:00",
    end="2008-04-30 13:00:00",
    stats=None,
    interval=60,
    name="clientA",
):
    write_log(tmp_path / "logs" / f"{ft}_{name}.log", lines)
    return collect_period(
        tmp_path / "logs", ft, name, T(start), T(end), stats or (TX if ft == "tx" else RX), interval
    )


T1_LINES = [
    "2008-04-30 11:59:58,001 [INFO] (99 Bytes) Bulletin SAXX99_CWAO_301159___00001:ncp1:CWAO:SA:3:Direct:20080430115950  delivered",
    "2008-04-30 12:05:01,100 [INFO] 3 new bulletins will be sent",
    "2008-04-30 12:05:01,200 [INFO] (130 Bytes) Bulletin SACN31_CWAO_301205___00001:ncp1:CWAO:SA:3:Direct:20080430120458  delivered",
    "2008-04-30 12:05:20,300 [INFO] (200 Bytes) Bulletin SMCN37_CWAO_301205___00002:ncp1:CWAO:SM:3:Direct:20080430120500  delivered",
    "2008-04-30 12:05:40,400 [INFO] (1000 Bytes) Bulletin FTCN31_CWAO_301205___00003:ncp1:CWAO:FT:3:Direct:20080430120520  delivered",
    "2008-04-30 12:05:45,000 [INFO] Speed = 12345 Bytes/sec",
    "2008-04-30 12:05:50,000 [ERROR] Type: socket.error, Value: (32, 'Broken pipe')",
    "2008-04-30 12:07:00,000 [WARNING] SEND TIMEOUT (2048 Bytes) File /apps/px/txq/c/3/2008043012/X:a:b:c:3:d:20080430120600 going to ftp://u@h/",
    "2008-04-30 12:08:00,000 [INFO] (512 Bytes) Bulletin Segment number 1 sent",
    "2008-04-30 13:00:01,000 [INFO] (50 Bytes) Bulletin SANX01_CWAO_301300___00009:ncp1:CWAO:SA:3:Direct:20080430130000  delivered",
]
SACN31 = "SACN31_CWAO_301205___00001:ncp1:CWAO:SA:3:Direct:20080430120458"
SMCN37 = "SMCN37_CWAO_301205___00002:ncp1:CWAO:SM:3:Direct:20080430120500"
FTCN31 = "FTCN31_CWAO_301205___00003:ncp1:CWAO:FT:3:Direct:20080430120520"


def test_t1_tx_bucket_statistics(tmp_path):
    c = collect(tmp_path, T1_LINES)
    assert [i for i, b in enumerate(c.buckets) if b.rows] == [5]
    b = c.buckets[5]
    assert (b.rows, b.nb_files, b.files_over_max_latency) == (4, 3, 2)
    assert b.values == {
        "errors": [0, 0, 0, 1],
        "latency": [3, 20, 20, 0],
        "bytecount": [130, 200, 1000, 0],
    }
    assert b.products == [SACN31, SMCN37, FTCN31, ""]
    assert [timeutil.iso(t)[11:] for t in b.times] == [
        "12:05:01",
        "12:05:20",
        "12:05:40",
        "12:05:50",
    ]
    assert b.totals == {"latency": 43.0, "bytecount": 1330.0, "errors": 1.0}
    assert b.means["latency"] == pytest.approx(43 / 3)
    assert b.means["bytecount"] == pytest.approx(1330 / 3)
    assert b.means["errors"] == pytest.approx(0.25)
    assert (b.maximums["latency"], b.files_where_max["latency"], b.times_where_max["latency"]) == (
        20,
        SMCN37,
        T("2008-04-30 12:05:20"),
    )
    assert (b.maximums["bytecount"], b.files_where_max["bytecount"]) == (1000, FTCN31)
    assert b.times_where_max["bytecount"] == T("2008-04-30 12:05:40")
    # Rewrite: error rows take no part in latency/bytecount minimums.
    assert (b.minimums["latency"], b.files_where_min["latency"], b.times_where_min["latency"]) == (
        3,
        SACN31,
        T("2008-04-30 12:05:01"),
    )
    assert (b.minimums["bytecount"], b.files_where_min["bytecount"]) == (130, SACN31)
    assert b.minimums["errors"] == b.maximums["errors"] == 1
    assert (c.first_filled, c.last_filled) == (5, 5)


T2_LINES = [
    "2008-04-30 12:00:10,000 [INFO] (130 Bytes) Bulletin A:ncp1:CWAO:SA:3:Direct:20080430120000  delivered",
    "2008-04-30 12:00:40,000 [INFO] (200 Bytes) Bulletin B:ncp1:CWAO:SA:3:Direct:20080430120000  delivered",
]


def test_t2_data_only_in_minute_zero_is_computed(tmp_path):
    c = collect(tmp_path, T2_LINES)
    b = c.buckets[0]
    assert (b.rows, b.nb_files, b.files_over_max_latency) == (2, 2, 1)
    assert b.means == {"errors": 0.0, "latency": 25.0, "bytecount": 165.0}
    assert b.totals == {"errors": 0.0, "latency": 50.0, "bytecount": 330.0}
    assert (b.minimums["latency"], b.maximums["latency"]) == (10, 40)
    assert (b.minimums["bytecount"], b.maximums["bytecount"]) == (130, 200)
    for other in c.buckets[1:]:
        assert other.totals == {"errors": 0.0, "latency": 0.0, "bytecount": 0.0}


def test_t3_empty_buckets_between_data(tmp_path):
    c = collect(
        tmp_path,
        T2_LINES
        + [
            "2008-04-30 12:02:00,000 [INFO] (10 Bytes) Bulletin C:ncp1:CWAO:SA:3:Direct:20080430120159  delivered"
        ],
    )
    empty = c.buckets[1]
    assert empty.rows == 0
    assert empty.means == {"errors": 0, "latency": 0, "bytecount": 0}
    assert empty.minimums["latency"] == 0.0 and empty.maximums["bytecount"] == 0.0
    assert empty.files_where_min["latency"] == "" and empty.times_where_max["latency"] == 0
    assert (c.buckets[2].values["latency"], c.buckets[2].values["bytecount"]) == ([1], [10])
    assert (c.first_filled, c.last_filled) == (0, 2)
    assert c.buckets[59].totals["bytecount"] == 0.0


T4_LINES = [
    "2008-04-30 12:01:30,000 [INFO] (1 Bytes) Bulletin E:ncp1:CWAO:SA:3:Direct:20080430120200  delivered",
    "2008-05-01 00:00:05,000 [INFO] (10 Bytes) Bulletin A:ncp1:CWAO:SA:3:Direct:20080430235950  delivered",
    "2008-05-01 00:00:20,000 [INFO] (20 Bytes) Bulletin B:ncp1:CWAO:SA:3:Direct:20080501000004  delivered",
    "2008-05-01 00:00:30,000 [INFO] (30 Bytes) Bulletin C:ncp1:CWAO:SA:3:Direct:20080429000030  delivered",
    "2008-05-01 00:00:40,000 [ERROR] something broke",
    "2008-05-01 00:01:40,000 [INFO] (40 Bytes) Bulletin D:ncp1:CWAO:SA:3:Direct:20080501000140  delivered",
]


def test_t4_latency_edge_cases(tmp_path):
    c = collect(tmp_path, T4_LINES, start="2008-05-01 00:00:00", end="2008-05-01 01:00:00")
    b0, b1 = c.buckets[0], c.buckets[1]
    assert b0.values["latency"] == [15, 16, 172800, 0]
    assert (b0.rows, b0.nb_files, b0.files_over_max_latency) == (4, 3, 2)
    assert b0.means["latency"] == pytest.approx((15 + 16 + 172800) / 3)
    assert b0.means["errors"] == pytest.approx(0.25)
    assert b1.values["latency"] == [0] and b1.files_over_max_latency == 0
    # The 12:01:30 line of the day before is outside the range: not a row, latency -30 never seen.
    assert sum(b.rows for b in c.buckets) == 5
    row = collect(tmp_path, T4_LINES[:1], start="2008-04-30 12:00:00", end="2008-04-30 13:00:00")
    assert row.buckets[1].values["latency"] == [0]  # -30 clamped


def test_t5_statistics_subset(tmp_path):
    c = collect(
        tmp_path,
        T4_LINES,
        start="2008-05-01 00:00:00",
        end="2008-05-01 01:00:00",
        stats=("latency", "bytecount"),
    )
    b = c.buckets[0]
    assert (b.rows, b.nb_files) == (3, 3)
    assert b.means["latency"] == pytest.approx(57610.333333333)
    assert (b.minimums["latency"], b.files_where_min["latency"]) == (
        15,
        "A:ncp1:CWAO:SA:3:Direct:20080430235950",
    )
    assert b.means["bytecount"] == 20.0
    assert all("errors" not in x.values and "errors" not in x.totals for x in c.buckets)


T6_LINES = [
    "2008-04-30 12:10:03,456 [INFO] (130 Bytes) Ingested in DB as /apps/px/db/20080430/SA/ncp1/CWAO/SACN31_CWAO_301210___12345:ncp1:CWAO:SA:3:Direct:20080430121003",
    "2008-04-30 12:10:03,457 [INFO] Queued for: clientA clientB",
    "2008-04-30 12:10:20,000 [INFO] (2048 Bytes) Ingested in DB as /apps/px/db/20080430/RADAR/pull/CMC/WKR_RADAR.gif:pull:CMC:RADAR:5:Direct:20080430121019",
    "2008-04-30 12:10:30,000 [ERROR] Unable to link /apps/px/rxq/src/x /apps/px/db/..., Type: exceptions.OSError, Value: [Errno 17] File exists",
    "2008-04-30 12:10:40,000 [WARNING] Bad ingest name (junk) => No dbName",
]


def test_t6_rx_parsing(tmp_path):
    c = collect(tmp_path, T6_LINES, ft="rx", name="srcA")
    b = c.buckets[10]
    assert (b.rows, b.nb_files) == (3, 2)
    assert b.products == ["SACN31_CWAO_301210___12345", "WKR_RADAR.gif", ""]
    assert b.values["bytecount"] == [130, 2048, 0]
    assert b.totals == {"errors": 1.0, "bytecount": 2178.0}
    assert b.means["bytecount"] == 1089.0 and b.means["errors"] == pytest.approx(1 / 3)
    assert (b.maximums["bytecount"], b.files_where_max["bytecount"]) == (2048, "WKR_RADAR.gif")
    assert b.times_where_max["bytecount"] == T("2008-04-30 12:10:20")
    assert b.minimums["bytecount"] == 130


@pytest.mark.parametrize(
    "patterns,nb,total_bytes,total_errors,mean_bytes,lo,hi",
    [
        (["SA"], 1, 130.0, 0.0, 130.0, 130, 130),
        (["WKR*gif"], 1, 2048.0, 0.0, 2048.0, 2048, 2048),
        (["ZZZ"], 0, 0.0, 0.0, 0, 0, 0),
        (["All"], 2, 2178.0, 1.0, 1089.0, 130, 2048),
    ],
)
def test_t7_product_filter(tmp_path, patterns, nb, total_bytes, total_errors, mean_bytes, lo, hi):
    c = collect(tmp_path, T6_LINES, ft="rx", name="srcA")
    c.compute_statistics(patterns)
    b = c.buckets[10]
    assert b.nb_files == nb
    assert b.totals["bytecount"] == total_bytes and b.totals["errors"] == total_errors
    assert b.means["bytecount"] == mean_bytes
    assert (b.minimums["bytecount"], b.maximums["bytecount"]) == (lo, hi)


def test_product_pattern_rules():
    assert is_interesting_product("xSAy", ["SA"])
    assert not is_interesting_product("xsay", ["SA"])  # case-sensitive
    assert is_interesting_product("WKR_RADAR.gif", ["WKR*gif"])
    assert not is_interesting_product("", ["SA"])
    assert is_interesting_product("", ["All"])
    assert is_interesting_product("ab", ["?b"]) and not is_interesting_product("xab", ["?b"])


def test_t8_malformed_lines_dropped(tmp_path):
    c = collect(
        tmp_path,
        [
            "2008-04-30 12:01:05,000 [INFO] (123 Bytes) File /apps/px/txq/c/3/2008043012/foo.txt delivered to ftp://u@h//pub/foo.txt",
            "2008-04-30 12:01:06,000 [INFO] (  130 Bytes) Message SA A1 (1/2) has been sent => delivered",
            "2008-04-30 12:01:20,000 [INFO] (2048 Bytes) File /apps/px/txq/clientA/5/2008043012/WXO_RADAR.gif:pull:CMC:RADAR:5:Direct:20080430120100 delivered to ftp://user@host.example.ca//pub/WXO_RADAR.gif",
            "2008-04-30 12:01:21,000 [CRITICAL] (1 Bytes) x",
            "2008-04-30 12:01:22,000 [EXCEPTION] (1 Bytes) x",
            "2008-04-30 12:01:30,000 [INFO] (500 Bytes) Bulletin B:ncp1:CWAO:SA:3:Direct:20080430120131  delivered",
            "2008-04-30 12:01:40,000 [INFO] (700 Bytes) Bulletin C:ncp1:CWAO:SA:3:Direct:20080430120125  delivered (lat=15.000000,speed=100.000000)",
            "2008-04-30 12:01:50,000 [INFO] (5000 Bytes) Bulletin D:ncp1:CWAO:SX:3:Direct:20080430120130  delivered segmented in 3 parts",
        ],
    )
    b = c.buckets[1]
    assert b.products[0] == "WXO_RADAR.gif:pull:CMC:RADAR:5:Direct:20080430120100"
    assert (b.rows, b.nb_files, b.files_over_max_latency) == (4, 4, 2)
    assert b.values["latency"] == [20, 0, 15, 20]
    assert b.totals["latency"] == 55.0 and b.totals["bytecount"] == 8248.0
    assert b.means["latency"] == 13.75
    assert b.times_where_max["latency"] == T("2008-04-30 12:01:20")


def _line(ts, nbytes=1):
    return f"{ts},000 [INFO] ({nbytes} Bytes) Bulletin X:ncp1:CWAO:SA:3:Direct:20080430000000  delivered"


@pytest.mark.parametrize(
    "ts,bucket",
    [
        ("2008-04-30 11:59:59", None),
        ("2008-04-30 12:00:00", 0),
        ("2008-04-30 12:05:59", 5),
        ("2008-04-30 12:06:00", 6),
        ("2008-04-30 12:59:59", 59),
        ("2008-04-30 13:00:00", None),
    ],
)
def test_t9_time_boundaries(tmp_path, ts, bucket):
    c = collect(tmp_path, [_line(ts)])
    filled = [i for i, b in enumerate(c.buckets) if b.rows]
    assert filled == ([] if bucket is None else [bucket])


def test_t9_end_inside_hour_is_exclusive_at_minute(tmp_path):
    c = collect(
        tmp_path,
        [_line("2008-04-30 12:34:59"), _line("2008-04-30 12:35:00")],
        end="2008-04-30 12:35:00",
    )
    assert [i for i, b in enumerate(c.buckets) if b.rows] == [34]
    assert len(c.buckets) == 60


def test_t10_five_minute_buckets(tmp_path):
    lines = [
        _line(f"2008-04-30 12:{m}", n)
        for m, n in (
            ("00:30", 1),
            ("03:10", 2),
            ("05:00", 4),
            ("05:59", 8),
            ("06:00", 16),
            ("59:59", 32),
        )
    ]
    c = collect(tmp_path, lines, interval=300)
    assert len(c.buckets) == 12
    assert c.buckets[0].values["bytecount"] == [1, 2]
    assert c.buckets[1].values["bytecount"] == [4, 8, 16]
    assert c.buckets[11].values["bytecount"] == [32]


def _t11_folder(tmp_path, with_28=True):
    folder = tmp_path / "sel"
    if with_28:
        write_log(
            folder / "tx_c.log.2008-04-28",
            ["Traceback (most recent call last):", _line("2008-04-29 23:10:00", 1)],
        )
    write_log(
        folder / "tx_c.log.2008-04-29",
        [
            _line("2008-04-29 22:59:00", 1),
            _line("2008-04-29 23:00:10", 2),
            _line("2008-04-29 23:59:50", 4),
            "Traceback (most recent call last):",
            '  File "x", line 1, in y',
            "IOError: boom",
        ],
    )
    write_log(
        folder / "tx_c.log",
        [
            _line("2008-04-30 00:00:10", 8),
            "2008-04-30 00:00:11,000 [INFO] other",
            _line("2008-04-30 00:30:00", 16),
        ],
    )
    write_log(folder / "tx_c.log.gz", ["garbage"])
    write_log(folder / "tx_c.log.swp", [_line("2008-04-30 00:00:10", 8)])
    return folder


def test_t11_file_selection_and_order(tmp_path):
    folder = _t11_folder(tmp_path)

    def names(paths):
        return [p.name for p in paths]

    assert names(candidate_files(folder, "tx", "c")) == [
        "tx_c.log.2008-04-28",
        "tx_c.log.2008-04-29",
        "tx_c.log",
    ]
    assert names(
        select_files(folder, "tx", "c", T("2008-04-29 23:00:00"), T("2008-04-30 00:00:00"))
    ) == ["tx_c.log.2008-04-28", "tx_c.log.2008-04-29"]
    assert names(
        select_files(folder, "tx", "c", T("2008-04-30 00:00:00"), T("2008-04-30 01:00:00"))
    ) == ["tx_c.log"]
    assert names(
        select_files(folder, "tx", "c", T("2008-04-29 22:00:00"), T("2008-04-30 01:00:00"))
    ) == ["tx_c.log.2008-04-28", "tx_c.log.2008-04-29", "tx_c.log"]


@pytest.mark.parametrize("head_bytes", [0, 10, 4095, 4096, 4200, 13000, 70000, 200000])
@pytest.mark.parametrize("tail_bytes", [0, 1, 4097, 9000, 150000])
@pytest.mark.parametrize("line_length", [60, 5000])
def test_first_and_last_log_times_past_long_garbage(tmp_path, head_bytes, tail_bytes, line_length):
    """The first/last record is found wherever the reads cut the file: after leading and
    before trailing non-log output (tracebacks, long lines), against a plain line scan."""

    def garbage(size):
        text, k = "", 0
        while len(text) < size:
            text += f'  File "/apps/px/lib/x{k}.py", line {k}, in f' + "x" * (k % 97) + "\n"
            k += 1
        return text[:size]

    records = [_line(f"2008-04-30 12:{m:02d}:00", 5) + " " + "p" * line_length for m in range(3)]
    path = tmp_path / "tx_c.log"
    path.write_bytes(
        (garbage(head_bytes) + "\n" + "\n".join(records) + "\n" + garbage(tail_bytes)).encode()
    )
    times = [line_time(x) for x in path.read_bytes().split(b"\n") if is_log_line(x)]
    assert first_log_time(path) == times[0] == T("2008-04-30 12:00:00")
    assert last_log_time(path) == times[-1] == T("2008-04-30 12:02:00")


def test_record_times_are_read_once_per_version_of_a_file(tmp_path, monkeypatch):
    """A catch-up asks every hour about the same files: each is read again only once it
    has changed (a live log growing), and then the new last record is seen."""
    reads = []
    for name in ("first_log_time", "last_log_time"):
        real = getattr(selection, name)
        monkeypatch.setattr(
            selection, name, lambda path, real=real, name=name: reads.append(name) or real(path)
        )
    path = write_log(tmp_path / "tx_c.log", [_line("2008-04-30 12:00:00")])
    times = RecordTimes()
    for _ in range(3):
        assert (times.first(path), times.last(path)) == (T("2008-04-30 12:00:00"),) * 2
    assert reads == ["first_log_time", "last_log_time"]
    with open(path, "a") as handle:
        handle.write(_line("2008-04-30 12:10:00") + "\n")
    assert (times.first(path), times.last(path)) == (
        T("2008-04-30 12:00:00"),
        T("2008-04-30 12:10:00"),
    )
    assert len(reads) == 4
    assert select_files(
        tmp_path, "tx", "c", T("2008-04-30 12:05:00"), T("2008-04-30 13:00:00"), times
    ) == [path]
    assert len(reads) == 4


def test_numeric_rotation_order(tmp_path):
    for name in ("tx_c.log", "tx_c.log.1", "tx_c.log.2", "tx_c.log.10"):
        write_log(tmp_path / name, [_line("2008-04-30 12:00:00")])
    assert [p.name for p in candidate_files(tmp_path, "tx", "c")] == [
        "tx_c.log.10",
        "tx_c.log.2",
        "tx_c.log.1",
        "tx_c.log",
    ]


def test_t16_pointer_across_rotation_and_recollection(tmp_path):
    folder = _t11_folder(tmp_path, with_28=False)
    day = folder / "tx_c.log.2008-04-29"
    cursors = Cursors()
    a = collect_period(
        folder, "tx", "c", T("2008-04-29 23:00:00"), T("2008-04-30 00:00:00"), TX, 60, cursors
    )
    assert a.buckets[0].values["bytecount"] == [2] and a.buckets[59].values["bytecount"] == [4]
    assert cursors.last.offset == day.stat().st_size  # EOF: trailing traceback skipped
    assert cursors.last.first_line == day.read_bytes().split(b"\n")[0] + b"\n"
    b = collect_period(
        folder,
        "tx",
        "c",
        T("2008-04-30 00:00:00"),
        T("2008-04-30 01:00:00"),
        TX,
        60,
        Cursors(saved=cursors.last),
    )
    assert b.buckets[0].values["bytecount"] == [8] and b.buckets[30].values["bytecount"] == [16]
    live = (folder / "tx_c.log").read_bytes()
    # (c) recollecting the earlier hour with the later pointer: first line differs -> from the top
    c = collect_period(
        folder,
        "tx",
        "c",
        T("2008-04-29 23:00:00"),
        T("2008-04-30 00:00:00"),
        TX,
        60,
        Cursors(saved=cursor.Pointer(live.split(b"\n")[0] + b"\n", 40, T("2008-04-30 01:00:00"))),
    )
    assert [x.values["bytecount"] for x in c.buckets if x.rows] == [[2], [4]]
    # (d) a pointer inside the requested range (and mid-line) is ignored
    head = day.read_bytes().split(b"\n")[0] + b"\n"
    for bad in (
        cursor.Pointer(head, 260, T("2008-04-29 23:30:00")),
        cursor.Pointer(head, 61, T("2008-04-29 23:00:00")),
    ):
        d = collect_period(
            folder,
            "tx",
            "c",
            T("2008-04-29 23:00:00"),
            T("2008-04-30 00:00:00"),
            TX,
            60,
            Cursors(saved=bad),
        )
        assert [x.values["bytecount"] for x in d.buckets if x.rows] == [[2], [4]]


def test_partial_last_line_is_not_consumed(tmp_path):
    folder = tmp_path / "p"
    write_log(folder / "tx_c.log", [_line("2008-04-30 12:00:00", 1)])
    with open(folder / "tx_c.log", "ab") as f:
        f.write(_line("2008-04-30 12:01:00", 2).encode()[:60])
    cursors = Cursors()
    c = collect_period(
        folder, "tx", "c", T("2008-04-30 12:00:00"), T("2008-04-30 13:00:00"), TX, 60, cursors
    )
    assert sum(b.rows for b in c.buckets) == 1
    assert cursors.last.offset == len(_line("2008-04-30 12:00:00", 1)) + 1


def test_t24_separators_and_rounding():
    s = T("2008-04-30 12:00:00")
    assert [timeutil.iso(x) for x in timeutil.separators(s, 5400, 3600)] == [
        "2008-04-30 13:00:00",
        "2008-04-30 13:30:00",
    ]
    assert timeutil.separators(s, 1800, 3600) == []
    seps = timeutil.separators(s, 3600, 60)
    assert (
        len(seps) == 60
        and timeutil.iso(seps[0])[11:] == "12:01:00"
        and timeutil.iso(seps[-1])[11:] == "13:00:00"
    )
    assert timeutil.iso(timeutil.hour_start(T("2008-04-30 12:34:56"))) == "2008-04-30 12:00:00"


@given(
    st.lists(st.integers(0, 3599), max_size=50),
    st.sampled_from([60, 120, 300, 600, 900, 1200, 1800, 3600]),
)
def test_bucket_arithmetic_property(offsets, interval):
    start = T("2008-04-30 12:00:00")
    c = FileStatsCollector("tx", start, interval=interval)
    assert len(c.buckets) == 3600 // interval
    for off in offsets:
        i = c.bucket_index(start + off)
        assert i == off // interval
        assert c.buckets[i].start <= start + off < c.buckets[i].end


rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 59),
        st.sampled_from(["SA1", "SM2", "FT3", "WKR.gif"]),
        st.booleans(),
        st.integers(0, 100),
        st.integers(0, 5000),
    ),
    max_size=40,
)


@given(rows_strategy, st.sampled_from([["All"], ["SA"], ["S"], ["gif"], ["ZZZ"], ["SA", "FT"]]))
def test_statistics_match_a_plain_reference(rows, patterns):
    """Bucket statistics equal the definitions of spec §2.6 (rewrite) computed the plain way."""
    start = T("2008-04-30 12:00:00")
    c = FileStatsCollector("tx", start)
    b = c.buckets[0]
    for sec, product, is_error, latency, nbytes in rows:
        b.times.append(start + sec)
        b.products.append("" if is_error else product)
        b.values["errors"].append(int(is_error))
        b.values["latency"].append(0 if is_error else latency)
        b.values["bytecount"].append(0 if is_error else nbytes)
    c.compute_statistics(patterns)
    picked = [i for i in range(b.rows) if is_interesting_product(b.products[i], patterns)]
    good = [i for i in picked if not b.values["errors"][i]]
    assert b.nb_files == len(good)
    assert b.files_over_max_latency == sum(1 for i in good if b.values["latency"][i] > 15)
    assert b.totals["errors"] == sum(b.values["errors"][i] for i in picked)
    assert b.means["errors"] == (b.totals["errors"] / len(picked) if picked else 0)
    for stat in ("latency", "bytecount"):
        values = [b.values[stat][i] for i in good]
        assert b.totals[stat] == sum(values)
        assert b.means[stat] == (sum(values) / len(values) if values else 0)
        if values:
            lo = min(good, key=lambda i: (b.values[stat][i], i))
            hi = min(good, key=lambda i: (-b.values[stat][i], i))
            assert (b.minimums[stat], b.times_where_min[stat]) == (b.values[stat][lo], b.times[lo])
            assert (b.maximums[stat], b.files_where_max[stat]) == (
                b.values[stat][hi],
                b.products[hi],
            )
            ordered = sorted(values)
            n = len(ordered)
            assert b.medians[stat] == (
                ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
            )
        else:
            assert b.minimums[stat] == b.maximums[stat] == 0
