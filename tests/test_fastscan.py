"""The scanners (compiled and numpy) against formats.scan (the reference): identical effect.

Every comparison covers the rows of every bucket (times, products, values, in order), the
ScanResult fields and the offset of the stop line, and checks that the stored values are
plain Python ints and strs.
"""

import random

import pytest
from bench_day import write_bench_day
from helpers import T
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pxstats.collect import fastscan, scanner
from pxstats.collect.formats import ScanResult, scan
from pxstats.collect.period import read_file
from pxstats.samples import rx_lines, tx_lines
from pxstats.stats.collector import FileStatsCollector
from pxstats.util import timeutil

START = T("2008-04-30 12:00:00")
STATS = [
    ("errors", "latency", "bytecount"),
    ("errors", "bytecount"),
    ("bytecount",),
    ("latency",),
    ("bytecount", "latency", "errors"),
    ("errors",),
    ("latency", "errors"),
]


def reference(data: bytes, collector, result) -> int | None:
    """scan on the lines of `data`, and the offset of its stop line."""
    lines = data[:-1].split(b"\n")
    scan(lines, collector, result)
    if result.stop_index is None:
        return None
    return sum(len(line) + 1 for line in lines[: result.stop_index])


def outcome(run, pieces, file_type, start, end, stats, interval, width=3600):
    """Effect of feeding `pieces` (buffers of whole lines) one after the other."""
    collector = FileStatsCollector(
        file_type, start, end, stats_types=stats, interval=interval, total_width=width
    )
    result = ScanResult()
    stops = []
    for piece in pieces:
        result.stop_index = None
        stop = run(piece, collector, result)
        stops.append((stop, result.stop_index))
        if stop is not None:
            break
    buckets = [(b.times, b.products, b.values) for b in collector.buckets]
    for times, products, values in buckets:
        assert all(type(x) is int for x in times)
        assert all(type(p) is str for p in products)
        assert all(type(v) is int for column in values.values() for v in column)
    return (
        stops,
        result.rows,
        result.malformed,
        result.first_malformed,
        result.before_start,
        result.filled,
        (result.out_of_order, result.reached_start),
        buckets,
    )


def assert_same(pieces, file_type, start, end, stats, interval, width=3600):
    expected = outcome(reference, pieces, file_type, start, end, stats, interval, width)
    for run in SCANNERS:
        got = outcome(run, pieces, file_type, start, end, stats, interval, width)
        assert got[:7] == expected[:7], run.__module__
        for index, (mine, ref) in enumerate(zip(got[7], expected[7])):
            assert mine == ref, f"bucket {index} ({run.__module__})"
    return expected


# Every comparison runs both: the compiled scanner (scanner.scan_buffer when _scan.c is
# built, which `make setup` does) and the numpy one.
SCANNERS = (scanner.scan_buffer, fastscan.scan_buffer)


def test_the_compiled_scanner_is_built():
    assert scanner.compiled()


@pytest.fixture(params=["compiled", "numpy"])
def implementation(request, monkeypatch):
    """read_file on each scanner."""
    if request.param == "numpy":
        monkeypatch.setattr(scanner, "_scan", None)
    return request.param


# ---------------------------------------------------------------------------------------
# Line generator: well-formed lines of every kind of spec §1.5 and their damaged variants.


def iso(t: int) -> str:
    return timeutil.iso(t)


def compact(t: int) -> str:
    return iso(t).replace("-", "").replace(" ", "").replace(":", "")


BAD_PREFIXES = [
    "2008-02-30 12:00:00,000 ",
    "2008-04-30 24:00:00,000 ",
    "2008-04-30 12:60:00,000 ",
    "2008-04-30 12:00:60,000 ",
    "2008-13-01 12:00:00,000 ",
    "2008-00-10 12:00:00,000 ",
    "2008-04-00 12:00:00,000 ",
    "2008-04-31 12:00:00,000 ",
    "2007-02-29 12:00:00,000 ",
    "1900-02-29 12:00:00,000 ",
    "0000-01-01 00:00:00,000 ",
    "1969-12-31 23:59:59,000 ",
    "1969-12-31 23:59:58,000 ",
    "1970-01-01 00:00:00,000 ",
    "2008-O4-30 12:00:00,000 ",
    "2008-04-30 12:00:00.000 ",
    "2008-04-30T12:00:00,000 ",
    "2008-4-30 12:00:00,000 ",
    "2008-04-30 12:00:00,",
    "2008-04-30 12:00:0",
    "",
    " 2008-04-30 12:00:00,000 ",
    "2008-04-30 12:00:00,00x ",
    "2008-04-30 12:00:00,0000 ",
    "2008-04-30 12:00:00,000  ",
    "\xe9008-04-30 12:00:00,000 ",
    "2000-02-29 12:00:00,000 ",
    "2008-04-30 12:00:00,(00 ",
]
STAMPS_BAD = [
    "20080230120000",
    "20080430240000",
    "20080430126000",
    "20080430120060",
    "20081301120000",
    "2008043012000",
    "200804301200x0",
    "19691231235959",
    "00000101000000",
    "",
    "2008043012",
    "20080431120000",
    "２0080430120000",
    "200804301159590",
    "20080430115959:",
    "020080430115959",
    "2008-04-30",
    "19700101000000",
    "20000229120000",
    "21000229120000",
    "99991231235959",
]
WORDS = [
    "File",
    "Bulletin",
    "Message",
    "Ingested",
    "Bulletin ",
    "",
    "Fil",
    "Files",
    "Bulletin\xe9",
    "x" * 20,
]


@st.composite
def ingest_name(draw, t: int):
    """A product name with its 6 ':' fields (or a damaged variant)."""
    name = draw(
        st.sampled_from(
            [
                "SACN31_CWAO_301205___00001",
                "WXO_RADAR.gif",
                "A",
                "",
                "bulletin_m\xe9t\xe9o",
                "CMC_reg_TMP_ISBL_500.grib",
                "x" * 150,
                "y" * 1100,
                "a/b",
                "a:b",
                "has space",
                "/sec",
                "Segment",
                "n\xff\x00z",
            ]
        )
    )
    delay = draw(st.sampled_from([0, 3, 16, 900, -30, 86400 * 40]))
    stamp = compact(t - delay) if draw(st.integers(0, 3)) else draw(st.sampled_from(STAMPS_BAD))
    fields = draw(
        st.sampled_from(
            [
                ["ncp1", "CWAO", "SA", "3", "Direct"],
                ["a", "b", "c", "d"],
                ["", "", "", "", ""],
                ["a", "b", "c", "d", "e", "f"],
            ]
        )
    )
    tail = draw(st.sampled_from(["", "", "", "extra", ":more", "\r"]))
    return ":".join([name, *fields, stamp]) + tail


@st.composite
def byte_count(draw) -> str:
    return draw(
        st.one_of(
            st.integers(0, 9_999_999).map(str),
            st.integers(10_000_000, 10**20).map(str),
            st.sampled_from(
                [
                    "007",
                    "  130",
                    "130 ",
                    "+5",
                    "-3",
                    "",
                    "12a",
                    " 12 ",
                    "1_000",
                    "0",
                    "00000000",
                    "\xb2",
                    "\t9",
                ]
            ),
        )
    )


@st.composite
def body(draw, t: int) -> str:
    n = draw(byte_count())
    name = draw(ingest_name(t))
    word = draw(st.sampled_from(WORDS))
    client = draw(st.sampled_from(["clientA", "secure", "sec", "a b", "c" * 1100]))
    path = f"/apps/px/txq/{client}/3/2008043012/{name}"
    sep = draw(st.sampled_from([" ", " ", " ", "  ", ""]))
    forms = [
        f"[INFO] ({n} Bytes) File {path} delivered to ftp://user@host//pub/x",  # T1
        f"[INFO] ({n} Bytes){sep}Bulletin {name}  delivered",  # T2
        f"[INFO] ({n} Bytes) Bulletin {name}  delivered segmented in 3 parts",  # T3
        f"[INFO] ({n} Bytes) Bulletin {name}  delivered (lat=1.5,speed=2.0)",  # T4
        f"[INFO] ({n} Bytes) Message {name}  delivered",  # T5
        f"[INFO] ({n} Bytes) {word}{sep}{name}{sep}delivered",
        f"[INFO] ({n} Bytes) Ingested in DB as /apps/px/db/20080430/SA/ncp1/CWAO/{name}",
        f"[INFO] ({n} Bytes) Ingested in DB as {name}",
        f"[INFO] ({n} Bytes) Bulletin Segment number 1 sent",
        f"[INFO] Speed = {n} Bytes/sec",
        f"[WARNING] SEND TIMEOUT ({n} Bytes) File {path} going to ftp://u@h/",
        "[INFO] 3 new bulletins will be sent",
        "[INFO] Queued for: clientA clientB",
        f"[INFO] Bulletin {path} segmented in 3 parts",
        "[ERROR] Type: socket.error, Value: (32, 'Broken pipe')",
        f"[ERROR] Unable to deliver ({n} Bytes) [INFO] {name}",
        f"[CRITICAL] ({n} Bytes) something",
        f"[WARNING] x [INFO] ({n} Bytes) File {path} delivered",
        f"x[INFO]Bytes{name}",
        f"[INFO] Bytes ({n} ) {name} /{name}",
        f"[INFO]({n} Bytes) File {path}",
        f"[INFO] ({n} Bytes) File",
        f"[INFO] ({n} Bytes) File {path}\tdelivered",
        f"[INFO] ({n} Bytes) File {path}/sec delivered",
        f"[INFO] ({n} Bytes) File {path} SEND TIMEOUT",
        f"[INFO] ({n} Bytes) Bulletin {name}  Segment  delivered",
    ]
    return draw(st.sampled_from(forms))


@st.composite
def log_line(draw, low: int, high: int) -> bytes:
    t = draw(st.integers(low, high))
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(st.binary(max_size=80))
    if kind == 1:
        return draw(
            st.sampled_from(
                [
                    b"",
                    b"Traceback (most recent call last):",
                    b'  File "/apps/px/lib/x.py", line 3, in f',
                    b"IOError: [Errno 32] Broken pipe",
                    b"\r",
                ]
            )
        )
    if kind == 2:
        prefix = draw(st.sampled_from(BAD_PREFIXES))
    else:
        prefix = f"{iso(t)},{draw(st.integers(0, 999)):03d} "
    return (prefix + draw(body(t))).encode("latin-1", "replace")


@st.composite
def buffers(draw):
    low, high = START - 900, START + 2 * 3600 + 900
    lines = draw(st.lists(log_line(low, high), min_size=0, max_size=40))
    if draw(st.booleans()):  # logs are mostly in time order
        lines.sort(key=lambda line: line[:19])
    return b"".join(line + b"\n" for line in lines)


CONFIGS = st.tuples(
    st.sampled_from(["tx", "rx"]),
    st.sampled_from(STATS),
    st.sampled_from([60, 300]),
    st.sampled_from([3600, 1800, 7200, 45, 3600 * 5]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(buffers(), CONFIGS, st.integers(0, 3))
def test_generated_buffers_match_scan(data, config, splits):
    file_type, stats, interval, length = config
    assert_same([data], file_type, START, START + length, stats, interval)
    # The same lines in several buffers (what read_file does): counters accumulate and
    # first_malformed stays the first one.
    if splits and data:
        lines = data.split(b"\n")[:-1]
        rng = random.Random(len(data) + splits)
        cuts = sorted(rng.sample(range(len(lines) + 1), min(splits, len(lines) + 1)))
        pieces, previous = [], 0
        for cut in cuts + [len(lines)]:
            chunk = lines[previous:cut]
            if chunk:
                pieces.append(b"".join(line + b"\n" for line in chunk))
            previous = cut
        assert_same(pieces, file_type, START, START + length, stats, interval)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=30), CONFIGS)
def test_random_bytes_match_scan(lines, config):
    file_type, stats, interval, length = config
    data = b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines)
    assert_same([data], file_type, START, START + length, stats, interval)


CRAFTED_STAMPS = [
    "202611200009",
    "2026112000",
    "2026112000090",
    "2026112000/0900",
    "20261120000900/",
    "20261120000900/x",
    "2026+1+1000009",
    "2_261120000900",
    "2026-1-1000009",
    "2026\t1120000900",
    "19691231235959",
]
CRAFTED_STAMP_LINES = [
    line.encode()
    for stamp in CRAFTED_STAMPS
    for line in (
        f"2026-11-20 00:10:00,000 [INFO] (5 Bytes) Bulletin A:b:c:d:e:f:{stamp}  delivered",
        f"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File /q/c/A:b:c:d:e:f:{stamp} delivered to x",
        f"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File /q/c:1/A:b:c:d:e:f:{stamp} delivered",
        f"2026-11-20 00:10:00,000 [INFO] (5 Bytes) File /q/x:y/A:b:c:d:e:{stamp}:{stamp} to x",
    )
]


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"2008-04-30 12:00:00,",
        b"2008-04-30 12:00:00,000 [INFO] (1 Bytes) Bulletin",
        b"2008-04-30 12:00:00,000 [INFO] (12345678 Bytes) Bulletin a:b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (1234567 Bytes) Bulletin a:b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (9223372036854775808 Bytes) Bulletin "
        b"a:b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (" + b"9" * 40 + b" Bytes) Ingested in DB as /x/a:b",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Bulletin :::::a:20080430115959 ",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Bulletin a:b:c:d:e:f:g:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) File /x/a:b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) File /x/:b:c:d:e:f:20080430115959/",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Ingested in DB as /db/x:y",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Ingested in DB as x",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Ingested in DB as /db/" + b"z" * 2000,
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) File /"
        + b"d/" * 700
        + b"a:b:c:d:e:f:20080430115959",
        # S[6] holding a tab, a carriage return or a NUL (not separators), short and long
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) File /x/a\tb:c:d:e:f:g:20080430115959 delivered",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Bulletin a:b:c:d:e:f:20080430115959\r",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Bulletin a\x00:b:c:d:e:f:20080430115959  x",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) File /"
        + b"e" * 200
        + b"/a\tb:c:d:e:f:g:20080430115959",
        # a long S[6] after a word that is not File/Bulletin/Message
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Files /"
        + b"f" * 200
        + b"/a:b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Fil /"
        + b"f" * 200
        + b"/a:b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) F Y /"
        + b"f" * 200
        + b"/a:b:c:d:e:f:20080430115959",
        # a '/' before S[6] only (the base name is the whole token), and S[6] of 127/128 bytes
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes)/ Bulletin a:b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Bulletin "
        + b"g" * 105
        + b":b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Bulletin "
        + b"g" * 106
        + b":b:c:d:e:f:20080430115959",
        b"2008-04-30 12:00:00,000 [INFO] (5 Bytes) Bulletin "
        + b"g" * 107
        + b":b:c:d:e:f:20080430115959",
    ],
)
@pytest.mark.parametrize("file_type", ["tx", "rx"])
def test_edge_lines(line, file_type):
    """Lines at the very start and end of a buffer, alone or around others."""
    other = (
        b"2008-04-30 12:00:01,000 [INFO] (7 Bytes) Bulletin a:b:c:d:e:f:20080430120000  delivered"
    )
    for lines in ([line], [line, other], [other, line], [other, line, other]):
        data = b"".join(x + b"\n" for x in lines)
        for stats in STATS[:3]:
            assert_same([data], file_type, START, START + 3600, stats, 60)


@pytest.mark.parametrize("file_type", ["tx", "rx"])
def test_crafted_reception_stamps(file_type):
    """Stamps the original sliced at fixed positions of the 7th ':' field of the whole 7th
    token (spec §1.7), alone and between other lines, in range: both scanners agree."""
    start = T("2026-11-20 00:00:00")
    other = (
        b"2026-11-20 00:10:01,000 [INFO] (7 Bytes) Bulletin a:b:c:d:e:f:20261120001000  delivered"
    )
    for line in CRAFTED_STAMP_LINES:
        for lines in ([line], [line, other], [other, line], [other, line, other]):
            data = b"".join(x + b"\n" for x in lines)
            for stats in STATS:
                assert_same([data], file_type, start, start + 3600, stats, 60)
    data = b"".join(x + b"\n" for x in CRAFTED_STAMP_LINES)
    rows = assert_same([data], file_type, start, start + 3600, STATS[0], 60)[1]
    # tx with latency: 5 stamps are dates at fixed positions, each a row in 3 of the 4
    # forms (a ':' in the queue path leaves 'f' as the 7th field)
    assert rows == (15 if file_type == "tx" else len(CRAFTED_STAMP_LINES))


@pytest.mark.parametrize(
    "stamp", STAMPS_BAD + CRAFTED_STAMPS + ["20080430120001", "20080430115959"]
)
@pytest.mark.parametrize(
    "form",
    [
        "[INFO] (5 Bytes) Bulletin SACN31:ncp1:CWAO:SA:3:Direct:{}  delivered",
        "[INFO] (5 Bytes) File /apps/px/txq/c/3/2008043012/W.gif:p:CMC:R:5:Direct:{} delivered"
        " to x",
        "[INFO] (5 Bytes) Message M:a:b:c:d:e:{}",
        "[INFO] (5 Bytes) Ingested in DB as /apps/px/db/20080430/R/p/CMC/W.gif:p:CMC:R:5:Direct:{}",
    ],
)
def test_reception_times(stamp, form):
    """Well-formed lines whose 7th ':' field is a bad, early, late or pre-1970 time."""
    line = "2008-04-30 12:00:00,000 " + form.format(stamp)
    data = (line + "\n").encode("latin-1", "replace") * 2
    for file_type in ("tx", "rx"):
        for stats in STATS:
            assert_same([data], file_type, START, START + 3600, stats, 60)


def edge_bodies() -> list[str]:
    """Deterministic bodies: each form of §1.5 and each way it can be damaged."""
    name = "SACN31_CWAO_301205___00001:ncp1:CWAO:SA:3:Direct:20080430115950"
    bodies = []
    for count in [
        "5",
        "0",
        "007",
        "1234567",
        "12345678",
        "9" * 25,
        "",
        " 5",
        "5 ",
        "  130",
        "+5",
        "-5",
        "5x",
        "x",
        "\xb2",
    ]:
        bodies += [
            f"[INFO] ({count} Bytes) Bulletin {name}  delivered",
            f"[INFO] ({count} Bytes) Ingested in DB as /db/a/{name}",
        ]
    for stamp in STAMPS_BAD:
        bodies.append(f"[INFO] (5 Bytes) Bulletin S:a:b:c:d:e:{stamp}  delivered")
        bodies.append(f"[INFO] (5 Bytes) File /q/S:a:b:c:d:e:{stamp} delivered to x")
    for token in [
        "",
        "/",
        "/x/",
        "x/",
        "a:b:c:d:e:f:20080430115950/",
        "::::::20080430115950",
        "a:b:c:d:e:20080430115950",
        "a:b:c:d:e:f:g:20080430115950",
        "/a:b/c:d:e:f:g:h:20080430115950",
        "x" * 120 + ":a:b:c:d:e:20080430115950",
        "/d" * 60 + "/a:b:c:d:e:f:20080430115950",
        "y" * 1030 + ":a:b:c:d:e:f",
        "a:b:c:d:e:f:20080430115950\xe9",
        "\xe9:b:c:d:e:f:20080430115950",
        "a:b:c:d:e:f:2008043011595\x00",
    ]:
        for word in ["File", "Bulletin", "Message", "Bulletin ", "Bulletins", "Ingested", ""]:
            bodies.append(f"[INFO] (5 Bytes) {word} {token}  delivered")
            bodies.append(f"[INFO] (5 Bytes) {word} {token}")
    bodies += [
        "[INFO] (5 Bytes)",
        "[INFO] (5 Bytes) ",
        "[INFO] (5 Bytes) Bulletin",
        "[INFO] (5 Bytes)  ",
        "[INFO] (5 Bytes) Bulletin  ",
        "[INFO] ( Bytes) Bulletin a  delivered",
        "[INFO] () Bytes Bulletin a  delivered",
        "[INFO] (Bytes) Bulletin a  delivered",
        "[INFO] (5Bytes) Bulletin a  delivered",
        "[INFO] (5  Bytes) Bulletin a  delivered",
        "[INFO] (5 Bytes)Bulletin a  delivered",
        "[INFO] (5 Bytes)) Bulletin a  delivered",
        "[INFO] (5 Bytes). File /a/b:c:d:e:f:g:20080430115950 delivered",
        "[INFO] ((5 Bytes) Bulletin a  delivered",
        "[INFO]  (5 Bytes) Bulletin a  delivered",
        "[INFO] (5 Bytes) Bulletin Segment number 1 sent",
        "[INFO] Speed = 5 Bytes/sec",
        "[INFO] (5 Bytes) File /apps/px/txq/secure/a:b:c:d:e:f:20080430115950 delivered",
        "[INFO] (5 Bytes) File /a:b:c:d:e:f:20080430115950 delivered SEND TIMEOUT",
        "[WARNING] SEND TIMEOUT (5 Bytes) File /a/b going to x",
        "[WARNING] (5 Bytes) [INFO] x",
        "[ERROR] (5 Bytes) [INFO] Bulletin a:b:c:d:e:f:20080430115950  delivered",
        "[INFO] (5 Bytes) Bulletin a:b:c:d:e:f:20080430115950 [ERROR]",
        "[ERROR]",
        "[ERROR ",
        "[INFO] Bulletin /a/b segmented in 3 parts",
        "[INFO] Queued for: a b",
        "[INFO]",
        "",
        "[INFO] (5 Bytes) Bulletin a:b:c:d:e:f:20080430115950\r",
        "[INFO] (5 Bytes) Ingested in DB as x:y/z:w",
        "[INFO] (5 Bytes) Ingested in DB as ",
        "[INFO] (5 Bytes) Ingested in DB as /",
        "[INFO] (5 Bytes) Ingested in DB as /:",
    ]
    return bodies


@pytest.mark.parametrize(
    "prefix",
    [
        iso(START - 1) + ",000 ",
        iso(START) + ",999 ",
        iso(START + 1799) + ",500 ",
        iso(START + 1800) + ",000 ",
        iso(START + 7200) + ",000 ",
    ]
    + BAD_PREFIXES,
)
def test_prefixes_and_bodies(prefix):
    """Every body after every prefix (in range, before, at the end, damaged)."""
    data = b"".join((prefix + body).encode("latin-1", "replace") + b"\n" for body in edge_bodies())
    for file_type in ("tx", "rx"):
        for stats in STATS:
            assert_same([data], file_type, START, START + 1800, stats, 60)


def test_calendar():
    """Every (year, month, day) of sensitive years, as line prefix and as reception time:
    month and day ranges, leap years, hours/minutes/seconds out of range, year 0, 1969."""
    lines = []
    for year in (0, 1, 1900, 1969, 1970, 1999, 2000, 2004, 2008, 2100, 2400, 9999):
        for month in range(14):
            for day in range(33):
                for clock in ("00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60"):
                    date = f"{year:04d}-{month:02d}-{day:02d}"
                    stamp = f"{year:04d}{month:02d}{day:02d}{clock.replace(':', '')}"
                    lines.append(f"{date} {clock},000 [ERROR] x")
                    lines.append(
                        f"2008-04-30 12:00:00,000 [INFO] (1 Bytes) Bulletin "
                        f"a:b:c:d:e:f:{stamp}  delivered"
                    )
    data = "".join(line + "\n" for line in lines).encode()
    # start 1970-01-01 and no end in sight: every valid time is in range
    assert_same([data], "tx", 0, 2**40, STATS[0], 86400 * 365, width=86400 * 365 * 40)


def test_stop_after_many_late_lines():
    """The first late line is not interesting, nor the next hundred: the stop comes later."""
    late = iso(START + 3600)
    lines = [
        f"{iso(START + 5)},000 [INFO] (5 Bytes) Bulletin a:b:c:d:e:f:20080430120000  delivered"
    ]
    lines += [f"{late},000 [INFO] {k} new bulletins will be sent" for k in range(150)]
    lines += [
        f"{iso(START + 6)},000 [ERROR] late error, still read",
        f"{late},000 [INFO] (7 Bytes) Bulletin b:b:c:d:e:f:20080430130000  delivered",
        f"{iso(START + 7)},000 [ERROR] after the stop",
    ]
    data = b"".join(line.encode() + b"\n" for line in lines)
    expected = assert_same([data], "tx", START, START + 3600, STATS[0], 60)
    assert expected[0][0][1] == 152 and expected[1] == 2


@pytest.mark.parametrize("pad", [0, 1])
@pytest.mark.parametrize(
    "next_line", [b"/sec", b"Bytes", b"[ERROR]", b"[INFO]", b"By", b"[", b"TIMEOUT", b" Segment "]
)
def test_pattern_at_the_start_of_the_first_line_past_the_lookahead(pad, next_line):
    """The first classification stops _LOOKAHEAD lines past the first late line: a pattern
    starting the next line (in either byte parity) belongs to no classified line."""
    late = iso(START + 3600)
    lines = [
        f"{iso(START + 5)},000 [INFO] (5 Bytes) Bulletin a:b:c:d:e:f:20080430120000  delivered"
        + " " * pad
    ]
    lines += [f"{late},000 [INFO] (7 Bytes) Bulletin b:b:c:d:e:f:20080430130000  delivered"]
    lines += [f"{late},000 [INFO] {k:03d} new bulletins will be sent" for k in range(70)]
    data = b"".join(line.encode() + b"\n" for line in lines)
    cut = data.index(b"\n", data.index(b"062 new")) + 1  # end of the lookahead window
    data = data[:cut] + next_line + b" tail\n" + data[cut:]
    expected = assert_same([data], "tx", START, START + 3600, STATS[0], 60)
    assert expected[0][0][1] == 1 and expected[1] == 1


def test_out_of_order_lines_are_counted():
    """Issue 11 item 16: an interesting line timed before the start that comes after one at
    or after the start belongs to an hour already collected: it is skipped, as the original
    did, and counted as out of order (in both scanners, across pieces); interesting lines
    before the start met before any line of the period are not; nothing after the stop."""

    def record(t, kind="INFO"):
        if kind == "ERROR":
            return f"{iso(t)},000 [ERROR] send failed"
        return f"{iso(t)},000 [INFO] (5 Bytes) Bulletin a:b:c:d:e:f:{compact(t - 10)}  delivered"

    first = [record(START - 600), record(START + 300)]  # 11:50 before, 12:05 taken
    second = [
        record(START - 60),  # 11:59: out of order
        f"{iso(START - 3600)},000 [INFO] 3 new bulletins will be sent",  # not interesting
        record(START + 600),  # 12:10 taken
        record(START - 1800, "ERROR"),  # 11:30 error: out of order
        record(START + 3900),  # 13:05: stop
        record(START - 120),  # after the stop: not seen
    ]
    pieces = [b"".join(line.encode() + b"\n" for line in part) for part in (first, second)]
    expected = assert_same(pieces, "tx", START, START + 3600, STATS[0], 60)
    assert expected[1] == 2 and expected[4] == 3  # rows, before_start (out of order included)
    assert expected[6] == (2, True)
    # Without errors collected, the error line is not interesting.
    assert assert_same(pieces, "tx", START, START + 3600, ("latency",), 60)[6] == (1, True)


def test_empty_buffer():
    assert_same([b""], "tx", START, START + 3600, STATS[0], 60)


@pytest.mark.parametrize("file_type,lines", [("tx", tx_lines), ("rx", rx_lines)])
def test_sample_logs_match_scan(file_type, lines):
    """Realistic logs (all forms of §1.5, tracebacks, blank lines, Latin-1 bytes)."""
    data = b"".join(lines("clientA", START - 1800, START + 3 * 3600, 1500, random.Random(7)))
    for stats in STATS:
        for interval in (60, 300):
            for start, end in (
                (START, START + 3600),
                (START + 600, START + 2400),
                (START - 3600, START + 4 * 3600),
            ):
                expected = assert_same(
                    [data], file_type, start, end, stats, interval, width=end - start
                )
    assert expected[1] > 1000  # rows


@pytest.fixture(scope="module")
def bench_day(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "tx_bench.log"
    write_bench_day(path, T("2008-04-30 00:00:00"))
    return path


def test_bench_day_whole_file(bench_day):
    day = T("2008-04-30 00:00:00")
    data = bench_day.read_bytes()
    expected = assert_same([data], "tx", day, day + timeutil.DAY, STATS[0], 60, width=timeutil.DAY)
    assert expected[1] > 100_000


def reference_read_file(path, offset, collector, result):
    """read_file as it was, on formats.scan."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        position, pending = offset, b""
        while True:
            block = handle.read(512 * 1024)
            if not block:
                return position
            data = pending + block
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
                continue
            lines = data[:cut].split(b"\n")
            pending = data[cut + 1 :]
            result.stop_index = None
            scan(lines, collector, result)
            if result.stop_index is not None:
                index = result.stop_index
                return position + sum(map(len, lines[:index])) + index
            position += cut + 1


def test_bench_day_hour_by_hour_read_file(bench_day, tmp_path, implementation):
    """read_file on scan_buffer: same pickles content and same resume offsets as before,
    hour after hour as a catch-up reads them, and with a partial last line."""
    day = T("2008-04-30 00:00:00")
    partial = tmp_path / "tx_partial.log"
    data = bench_day.read_bytes()
    partial.write_bytes(data[: len(data) * 3 // 4 + 37])  # ends inside a line
    for path in (bench_day, partial):
        offsets = {"new": 0, "old": 0}
        for hour in range(0, 24, 1):
            start = day + hour * 3600
            states = {}
            for name, reader in (("new", read_file), ("old", reference_read_file)):
                collector = FileStatsCollector("tx", start, start + 3600)
                result = ScanResult()
                offsets[name] = reader(path, offsets[name], collector, result)
                states[name] = (
                    offsets[name],
                    result.rows,
                    result.malformed,
                    result.before_start,
                    result.filled,
                    [(b.times, b.products, b.values) for b in collector.buckets],
                )
            assert states["new"] == states["old"], f"hour {hour} of {path.name}"


# ---------------------------------------------------------------------------------------
# Pieces of the scanner made faster: same results as their plain versions.


def _heads(rng, count, same_minute):
    """56-byte line heads: valid prefixes of sensitive dates, damaged ones and random
    bytes; consecutive lines share their minute with probability `same_minute`."""
    heads = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.1:
            head = bytes(rng.randrange(256) for _ in range(56))
        else:
            year = rng.choice([0, 1, 1900, 1969, 1970, 2000, 2008, 2100, 9999])
            clock = [
                rng.randrange(0, 14),
                rng.randrange(0, 33),
                rng.randrange(0, 25),
                rng.randrange(0, 61),
                rng.randrange(0, 62),
            ]
            text = "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d},000 [INFO] (1 Bytes) x".format(
                year, *clock
            )
            head = text.encode()
            if rng.random() < 0.2:
                at = rng.randrange(20)
                head = head[:at] + bytes([rng.randrange(256)]) + head[at + 1 :]
            head = (head + b" " * 56)[:56]
        if heads and rng.random() < same_minute:
            head = heads[-1][:16] + head[16:]
        heads.append(head)
    return heads


@pytest.mark.parametrize("same_minute", [0.0, 0.5, 0.9, 0.97])
@pytest.mark.parametrize("seed", range(4))
def test_prefix_clock_by_minute_runs_matches_row_by_row(seed, same_minute):
    import numpy as np

    from pxstats.collect import fastscan

    heads = _heads(random.Random(seed), 5000, same_minute)
    head = np.frombuffer(b"".join(heads), np.uint8).reshape(-1, 56).copy()
    valid, times = fastscan._row_clock(head)
    got_valid, got_times = fastscan._prefix_clock(head, head.view(np.uint64))
    assert (valid == got_valid).all()
    assert (times[valid] == got_times[valid]).all()
    assert valid.sum() > 500


def test_read_file_blocks_match_scan(bench_day, monkeypatch, implementation):
    """read_file over the whole day with several block sizes: the blocks change nothing."""
    from pxstats.collect import period as pickling

    day = T("2008-04-30 00:00:00")
    data = bench_day.read_bytes()
    expected = outcome(
        reference, [data], "tx", day, day + timeutil.DAY, STATS[0], 60, width=timeutil.DAY
    )
    for chunk in (20_000, 333_333, pickling.CHUNK):
        monkeypatch.setattr(pickling, "CHUNK", chunk)
        collector = FileStatsCollector("tx", day, day + timeutil.DAY, total_width=timeutil.DAY)
        result = ScanResult()
        assert read_file(bench_day, 0, collector, result) == len(data)
        assert (result.rows, result.malformed, result.before_start) == expected[1:3] + (
            expected[4],
        )
        assert (result.out_of_order, result.reached_start) == expected[6]
        assert [(b.times, b.products, b.values) for b in collector.buckets] == expected[7]
