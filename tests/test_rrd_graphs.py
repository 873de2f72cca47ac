"""generateRRDGraphics: windows, resolution, legend, the exact rrdtool graph call (golden
argument lists), PNG and archive names, totals, having-run, option errors, the pipe-mode
drawing children (spec rrd.md §3, §7 behaviours 10 and 15-22). Real rrdtool throughout;
every PNG is checked by its IHDR."""

import os
import struct
import subprocess
import time
from pathlib import Path

import pytest
from helpers import REPO, T, make_client, make_db
from manpage import assert_manual_page_matches_help

from pxstats.actions import rrd_graphics
from pxstats.cli import generateRRDGraphics as cli
from pxstats.paths import StatsPaths
from pxstats.rrd import graph, legend, runner, schema, totals, windows
from pxstats.rrd.legend import Figures
from pxstats.store import inventory
from pxstats.util import timeutil

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("PXSTATS_UPDATE_GOLDEN") == "1"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- helpers --------------------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; fails unless the file is a PNG."""
    head = Path(path).read_bytes()[:24]
    assert head[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def run(root, *argv):
    return cli.main(["--root", str(root), *argv])


def request_for(root, *argv) -> rrd_graphics.GraphRequest:
    args = cli.build_parser().parse_args(["--root", str(root), *argv])
    return cli.build_request(args, StatsPaths(root))


def arg_after(args, option):
    return args[args.index(option) + 1]


def comments(args):
    return [a for a in args if a.startswith("COMMENT:")]


@pytest.fixture
def root(tmp_path):
    (tmp_path / "data").mkdir()
    return tmp_path


@pytest.fixture
def satnet(root):
    """satnet on pds5pds6: Oct 1-15 2006, per-minute value = minute of the hour; updated up to
    2006-10-15 00:00:00."""
    paths = StatsPaths(root)
    first = T("2006-10-08 00:00:00")
    make_client(
        paths,
        "satnet",
        ["pds5", "pds6"],
        first,
        7 * 1440,
        value=lambda t: float((t // 60) % 60),
        time_of_update=T("2006-10-15 00:00:00"),
    )
    return paths


# -- windows and resolution (§3.3, §3.6) ----------------------------------------------------------


@pytest.mark.parametrize(
    "period, fixed, date, expected",
    [
        ("daily", None, "2006-10-11 12:34:56", ("2006-10-10 12:00:00", "2006-10-11 12:00:00", 24)),
        (
            "daily",
            "current",
            "2006-10-11 12:00:00",
            ("2006-10-11 00:00:00", "2006-10-12 00:00:00", 24),
        ),
        (
            "daily",
            "previous",
            "2006-10-11 12:00:00",
            ("2006-10-10 00:00:00", "2006-10-11 00:00:00", 24),
        ),
        (
            "weekly",
            None,
            "2006-10-11 12:00:00",
            ("2006-10-04 12:00:00", "2006-10-11 12:00:00", 168),
        ),
        (
            "weekly",
            "current",
            "2006-10-11 12:00:00",
            ("2006-10-08 00:00:00", "2006-10-15 00:00:00", 168),
        ),
        (
            "weekly",
            "current",
            "2006-10-08 00:00:00",
            ("2006-10-08 00:00:00", "2006-10-15 00:00:00", 168),
        ),
        (
            "weekly",
            "current",
            "2006-10-14 23:59:59",
            ("2006-10-08 00:00:00", "2006-10-15 00:00:00", 168),
        ),
        (
            "weekly",
            "previous",
            "2006-10-11 12:00:00",
            ("2006-10-01 00:00:00", "2006-10-08 00:00:00", 168),
        ),
        (
            "monthly",
            None,
            "2006-10-11 12:00:00",
            ("2006-09-11 12:00:00", "2006-10-11 12:00:00", 720),
        ),
        (
            "monthly",
            "current",
            "2006-10-11 12:00:00",
            ("2006-10-01 00:00:00", "2006-11-01 00:00:00", 744),
        ),
        (
            "monthly",
            "current",
            "2006-12-11 12:00:00",
            ("2006-12-01 00:00:00", "2007-01-01 00:00:00", 744),
        ),
        (
            "monthly",
            "previous",
            "2006-10-10 01:00:00",
            ("2006-09-01 00:00:00", "2006-10-01 00:00:00", 720),
        ),
        (
            "monthly",
            "previous",
            "2007-01-10 00:00:00",
            ("2006-12-01 00:00:00", "2007-01-01 00:00:00", 744),
        ),
        (
            "yearly",
            None,
            "2006-10-11 12:00:00",
            ("2005-10-11 12:00:00", "2006-10-11 12:00:00", 8760),
        ),
        (
            "yearly",
            "current",
            "2008-03-01 12:00:00",
            ("2008-01-01 00:00:00", "2009-01-01 00:00:00", 8784),
        ),
        (
            "yearly",
            "previous",
            "2007-03-01 12:00:00",
            ("2006-01-01 00:00:00", "2007-01-01 00:00:00", 8760),
        ),
    ],
)
def test_windows(period, fixed, date, expected):
    start, end, span = windows.graph_window(
        T(date), period, None, fixed == "current", fixed == "previous"
    )
    assert (timeutil.iso(start), timeutil.iso(end), span) == expected


def test_default_span_window_is_whole_hours():
    """Issue 10 item 10: the window is the span's whole hours ending at the hour of the date
    (the original kept the start's minutes: 03:13-15:00 under a "12 hours" title)."""
    start, end, span = windows.graph_window(T("2006-10-10 15:13:00"), None, 12)
    assert (timeutil.iso(start), timeutil.iso(end), span) == (
        "2006-10-10 03:00:00",
        "2006-10-10 15:00:00",
        12,
    )
    start, end, span = windows.graph_window(T("2006-10-10 15:59:59"), "weekly", None)
    assert (timeutil.iso(start), timeutil.iso(end), span) == (
        "2006-10-03 15:00:00",
        "2006-10-10 15:00:00",
        168,
    )


@pytest.mark.parametrize(
    "period, age_days, expected",
    [
        ("yearly", 0, (1440, 1440)),
        ("yearly", 2, (1440, 1440)),
        ("monthly", 30, (240, 240)),
        ("monthly", 244, (1440, 1440)),
        ("weekly", 7, (60, 60)),
        ("weekly", 15, (240, 240)),
        ("daily", 1, (1, 10)),
        ("daily", 6, (60, 60)),
        (None, 0.5, (1, 10)),
        (None, 10, (60, 60)),
        (None, 30, (240, 240)),
        (None, 300, (1440, 1440)),
    ],
)
def test_intervals(period, age_days, expected):
    start = T("2006-10-01 00:00:00")
    assert windows.intervals(start, start + int(age_days * 86400), period) == expected


def test_intervals_without_time_of_update():
    start = T("2006-10-01 00:00:00")
    assert windows.intervals(start, 0, "yearly") == (1440, 1440)
    assert windows.intervals(start, 0, "monthly") == (240, 240)
    assert windows.intervals(start, 0, "weekly") == (60, 60)
    assert windows.intervals(start, 0, "daily") == (1, 10)


# -- legend figures and texts (§3.7, §3.8) --------------------------------------------------------


def test_figures_intended_definition():
    first, step = 1000 * 60, 60
    # 25 one-minute rows, 10-minute points: [0..9] mean 4.5, [10..19] only 10 and 12 known -> 11,
    # [20..24] a short trailing group, left out as rrdtool leaves it out of the graph.
    values = list(map(float, range(25)))
    for i in range(10, 20):
        if i not in (10, 12):
            values[i] = None
    f = legend.figures_from_rows(first, step, values, first, first + 25 * 60, 10)
    assert (f.min, f.max) == (4.5, 11.0)
    assert f.mean == pytest.approx((4.5 + 11) / 2)
    assert f.total == pytest.approx((4.5 + 11) * 10)
    # a window starting 3 minutes past a boundary: the points stay on rrdtool's boundaries
    # (rows 10-19 and 20-29), the partial group of rows 3-9 is left out.
    values = list(map(float, range(30)))
    f = legend.figures_from_rows(first, step, values, first + 180, first + 1800, 10)
    assert (f.min, f.max, f.total) == (14.5, 24.5, (14.5 + 24.5) * 10)
    gap = legend.figures_from_rows(
        first, step, [1.0] * 10 + [None] * 10 + [3.0] * 10, first, first + 1800, 10
    )
    assert (gap.min, gap.max, gap.mean, gap.total) == (1.0, 3.0, 2.0, 40.0)
    assert (
        legend.figures_from_rows(first, step, [None] * 5, first, first + 300, 10) == Figures.empty()
    )
    # rows beyond the end (fetch returns one more) are not used
    assert legend.figures_from_rows(first, 60, [1.0, 1.0, 99.0], first, first + 120, 1).max == 1.0


def test_hourly_consolidation_total_counts_files(root):
    """Behaviour 10: filecount 1 per minute during 10:00-10:59 -> AVERAGE -r 3600 gives 1.0 and
    a weekly graph's total counts 60 files for that hour."""
    paths = StatsPaths(root)
    first = T("2024-01-15 00:00:00")
    db = make_db(
        paths,
        "filecount",
        "c",
        ["m1"],
        first,
        1440,
        lambda t: 1.0 if T("2024-01-15 10:00:00") <= t < T("2024-01-15 11:00:00") else 0.0,
    )
    (_, _, step), values = schema.fetch(
        db, "AVERAGE", 3600, T("2024-01-15 10:00:00"), T("2024-01-15 10:00:00")
    )
    assert step == 3600 and values[0] == 1.0
    (_, _, _), maxima = schema.fetch(
        db, "MAX", 3600, T("2024-01-15 10:00:00"), T("2024-01-15 10:00:00")
    )
    assert maxima[0] == 1.0
    figures = graph.fetch_figures(db, first, first + 86400, 60, 60, now=T("2025-01-01 00:00:00"))
    assert figures.total == pytest.approx(60.0)
    assert figures.max == 1.0


@pytest.mark.parametrize(
    "value, rate, total",
    [
        (999.0, "999 B/Min", "999 Bytes"),
        (1234.0, "1.23 KB/Min", "1.23 kiloBytes"),
        (1234567.0, "1.23 MB/Min", "1.23 MegaBytes"),
        (2.5e9, "2.50 GB/Min", "2.50 GigaBytes"),
    ],
)
def test_bytecount_formats(value, rate, total):
    f = legend.format_figures("bytecount", Figures(value, value, value, value))
    assert (f.min, f.max, f.mean, f.total) == (rate, rate, rate, total)


def test_other_formats_en_fr():
    f = legend.format_figures("filecount", Figures(0.0, 12.3, 0.5, 2455.9))
    assert (f.min, f.max, f.mean, f.total) == (
        "0.0000 Files/Min",
        "12.30 Files/Min",
        "0.5000 Files/Min",
        "2455 Files",
    )
    f = legend.format_figures("filesOverMaxLatency", Figures(1.0, 2.0, 1.5, 90.0))
    assert (f.min, f.total) == ("1.0000 F/Min", "90 Files")
    f = legend.format_figures("latency", Figures(1.5, 2.0, 1.75, 0.0), "fr")
    assert (f.min, f.mean) == ("1.50 Moy/Min", "1.75 Moy/Min")
    f = legend.format_figures("errors", Figures(None, None, None, None), "fr")
    assert (f.min, f.total) == ("n/d", "n/d")
    assert (
        legend.format_figures("filesOverMaxLatency", Figures(0, 0, 0, 7), "fr").total
        == "7 Fichiers"
    )


@pytest.mark.parametrize(
    "formatted_max, note",
    [
        ("1.23 KB/Min", "k on the y axis stands for kilo, meaning x thousands."),
        ("1.23 MB/Min", "M on the y axis stands for Mega, meaning x millions."),
        ("1.23 GB/Min", "G on the y axis stands for giga, meaning x billions."),
        ("2500000000.00 Files/Min", "G on the y axis stands for giga, meaning x billions."),
        ("2500000.00 Files/Min", "M on the y axis stands for Mega, meaning x millions."),
        ("2500.00 Files/Min", "k on the y axis stands for kilo, meaning x thousands."),
        ("0.0500 Files/Min", "m on the y axis stands for milli, meaning x thousandths."),
        ("0.0000 Files/Min", ""),
        ("12.30 Files/Min", ""),
        ("n/a", ""),
    ],
)
def test_y_axis_notes(formatted_max, note):
    assert legend.y_axis_note(formatted_max) == note


def test_interval_notes():
    assert (
        legend.interval_note("filecount", 10) == "Graphics generated using 10 minute(s) averages."
    )
    assert legend.interval_note("errors", 240) == "Graphics generated using 4 hour(s) averages."
    assert legend.interval_note("latency", 10) == ""


# -- the graph call: golden argument lists (§3.9) -------------------------------------------------

GOLDEN_ROOT = StatsPaths("/ROOT")
FIGURES = {
    "latency": Figures(0.5, 20.25, 3.125, 0.0),
    "bytecount": Figures(0.0, 1234567.0, 456789.0, 657776160.0),
    "errors": Figures(0.0, 0.05, 0.001, 1.44),
    "filesOverMaxLatency": Figures(0.0, 3.0, 0.25, 360.0),
    "filecount": Figures(0.0, 12.3, 3.41, 2455.2),
}
PERIOD_CASES = {
    # name: (period, fixed, date, span, time of update)
    "daily": ("daily", "current", "2006-10-11 12:00:00", None, "2006-10-11 12:00:00"),
    "weekly": ("weekly", "current", "2006-10-11 12:00:00", None, "2006-10-15 00:00:00"),
    "monthly": ("monthly", "previous", "2006-10-10 01:00:00", None, "2006-10-10 01:00:00"),
    "yearly": ("yearly", "current", "2006-10-11 12:00:00", None, "2006-10-11 12:00:00"),
    "span": (None, None, "2006-10-10 15:13:00", 12, "2006-10-10 15:00:00"),
}


def golden_args(data_type, case, client="satnet", machines=("pds5", "pds6"), language="en"):
    period, fixed, date, span, tou = PERIOD_CASES[case]
    start, end, span = windows.graph_window(
        T(date), period, span, fixed == "current", fixed == "previous"
    )
    _, plot = windows.intervals(start, T(tou), period)
    machine = "".join(machines)
    png = graph.image_path(GOLDEN_ROOT, "tx", client, end, data_type, span, machine, language)
    db = schema.db_path(GOLDEN_ROOT, data_type, client, [machine])
    return graph.graph_args(
        png, db, data_type, client, start, end, span, plot, period, FIGURES[data_type], language
    )


GOLDEN_CASES = (
    [(t, "daily", "satnet", "en") for t in FIGURES]
    + [("filecount", c, "satnet", "en") for c in ("weekly", "monthly", "yearly", "span")]
    + [("latency", "weekly", "satnet", "fr"), ("bytecount", "daily", "a:b", "en")]
)


@pytest.mark.parametrize("data_type, case, client, language", GOLDEN_CASES)
def test_golden_graph_args(data_type, case, client, language):
    args = golden_args(data_type, case, client, language=language)
    tag = (
        f"{data_type}_{case}"
        + ("" if language == "en" else f"_{language}")
        + ("" if client == "satnet" else "_colon")
    )
    path = GOLDEN / f"rrd_graph_{tag}.txt"
    text = "\n".join(args) + "\n"
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"graph arguments differ from {path.name}"


def test_golden_matches_spec_example():
    """The spec's fully expanded daily filecount example, figures aside."""
    args = golden_args("filecount", "daily")
    assert args[0] == (
        "/ROOT/data/graphics/others/rrd/satnet/"
        "tx_satnet_20061012_00:00:00_filecount_1days_on_pds5pds6.png"
    )
    assert args[1:21] == [
        "--imgformat",
        "PNG",
        "--width",
        "800",
        "--height",
        "200",
        "--start",
        "1160524800",
        "--end",
        "1160611200",
        "--step",
        "600",
        "--vertical-label",
        "Files/Minute",
        "--title",
        "Files/Minute for satnet for a span of 1 day(s) ending at 2006-10-12 00:00:00.",
        "--lower-limit",
        "0",
        "DEF:filecount=/ROOT/data/databases/currentDatabases/filecount/satnet_pds5pds6:filecount:AVERAGE",
        "CDEF:realValue=filecount,1,*",
    ]
    assert args[21:23] == ["AREA:realValue#019EFF:filecount", "LINE1:realValue#080166:filecount"]
    assert comments(args) == [
        "COMMENT: Min\\: 0.0000 Files/Min   Max\\: 12.30 Files/Min   Mean\\: 3.41 Files/Min   "
        "Total\\: 2455 Files\\c",
        "COMMENT:Note(s)\\: Graphics generated using 10 minute(s) averages. \\c",
    ]


def test_colours_legend_and_notes():
    """Behaviour 19."""
    b = golden_args("bytecount", "daily")
    assert "AREA:realValue#019EFF:bytecount" in b and "LINE1:realValue#080166:bytecount" in b
    assert "Max\\: 1.23 MB/Min" in comments(b)[0]
    assert "M on the y axis stands for Mega, meaning x millions." in comments(b)[1]
    lat = golden_args("latency", "daily")
    assert "AREA:realValue#cd5c5c:latency" in lat and "LINE1:realValue#8b0000:latency" in lat
    assert "Total" not in comments(lat)[0]
    err = golden_args("errors", "daily")
    assert "AREA:realValue#54DE4F:errors" in err and "LINE1:realValue#1C4A1A:errors" in err
    assert "m on the y axis stands for milli" in comments(err)[1]
    monthly = golden_args("filecount", "monthly")
    assert arg_after(monthly, "--x-grid") == "HOUR:24:DAY:1:DAY:1:0:%d"
    assert all(
        "--x-grid" not in golden_args("filecount", c) for c in ("daily", "weekly", "yearly", "span")
    )


def _unescaped_colon(text: str) -> bool:
    return any(ch == ":" and (i == 0 or text[i - 1] != "\\") for i, ch in enumerate(text))


@pytest.mark.parametrize("data_type, case, client, language", GOLDEN_CASES)
def test_colons_escaped(data_type, case, client, language):
    """Behaviour 20: no COMMENT text and no legend holds a raw ':' after its prefix; the DB path
    in DEF is escaped."""
    args = golden_args(data_type, case, client, language=language)
    for a in args:
        if a.startswith("COMMENT:"):
            assert not _unescaped_colon(a[len("COMMENT:") :]), a
        if a.startswith(("AREA:", "LINE1:")) and a.count(":") >= 2:
            assert not _unescaped_colon(a.split(":", 2)[2]), a
    define = next(a for a in args if a.startswith("DEF:"))
    if ":" in client:
        assert "a\\:b_pds5pds6" in define


def test_escape_colons_is_the_one_function():
    assert graph.escape_colons("Min: 1 a:b") == "Min\\: 1 a\\:b"
    assert graph.escape_colons("no colon") == "no colon"


# -- CLI: behaviours 15-17, names, copies, PNGs ---------------------------------------------------


def test_b15_weekly_fixed(satnet, root, capsys):
    argv = [
        "-w",
        "--fixedCurrent",
        "--date",
        "2006-10-11 12:00:00",
        "-c",
        "satnet",
        "-f",
        "tx",
        "--machines",
        "pds5,pds6",
        "-t",
        "latency",
    ]
    request = request_for(root, *argv)
    assert (timeutil.iso(request.start), timeutil.iso(request.end)) == (
        "2006-10-08 00:00:00",
        "2006-10-15 00:00:00",
    )
    (job,) = rrd_graphics.plan(satnet, request, now=T("2024-01-01 00:00:00"))
    assert arg_after(job.args, "--step") == "3600"
    assert arg_after(job.args, "--title") == (
        "Averaged latency per minute for satnet for a span "
        "of 7 day(s) ending at 2006-10-15 00:00:00."
    )
    assert run(root, *argv, "--copy") == 0
    png = (
        root
        / "data/graphics/others/rrd/satnet"
        / "tx_satnet_20061015_00:00:00_latency_7days_on_pds5pds6.png"
    )
    copy = root / "data/graphics/webGraphics/archives/weekly/tx/satnet/2006/latency/40.png"
    assert capsys.readouterr().out == f"Plotted : {png}\n"
    assert png_size(png) == (897, 282)
    assert copy.read_bytes() == png.read_bytes()
    assert oct(png.stat().st_mode & 0o777) == "0o644"
    assert not [p for p in png.parent.iterdir() if p.name.startswith(".")], "temp file left"


def test_b16_monthly_previous(root, capsys):
    paths = StatsPaths(root)
    make_client(
        paths,
        "src1",
        ["m1"],
        T("2006-09-01 00:00:00"),
        60,
        file_type="rx",
        time_of_update=T("2006-10-10 01:00:00"),
        types=["errors"],
    )
    argv = [
        "-m",
        "--fixedPrevious",
        "--date",
        "2006-10-10 01:00:00",
        "-c",
        "src1",
        "-f",
        "rx",
        "--machines",
        "m1",
        "-t",
        "errors",
    ]
    request = request_for(root, *argv)
    assert (timeutil.iso(request.start), timeutil.iso(request.end), request.span) == (
        "2006-09-01 00:00:00",
        "2006-10-01 00:00:00",
        720,
    )
    (job,) = rrd_graphics.plan(paths, request, now=T("2024-01-01 00:00:00"))
    assert arg_after(job.args, "--step") == "14400"
    assert arg_after(job.args, "--x-grid") == "HOUR:24:DAY:1:DAY:1:0:%d"
    assert "for a span of 1 month(s) ending at 2006-10-01 00:00:00." in arg_after(
        job.args, "--title"
    )
    assert job.png.name == "rx_src1_20061001_00:00:00_errors_1months_on_m1.png"
    assert run(root, *argv, "--copy") == 0
    copy = root / "data/graphics/webGraphics/archives/monthly/rx/src1/2006/errors" / "September.png"
    assert png_size(job.png) == png_size(copy) == (897, 282)
    january = request_for(
        root,
        "-m",
        "--fixedPrevious",
        "--date",
        "2007-01-10 00:00:00",
        "-c",
        "src1",
        "-f",
        "rx",
        "--machines",
        "m1",
    )
    assert (timeutil.iso(january.start), timeutil.iso(january.end)) == (
        "2006-12-01 00:00:00",
        "2007-01-01 00:00:00",
    )
    assert january.span == 744
    (job,) = rrd_graphics.plan(paths, january, now=T("2024-01-01 00:00:00"))[:1]
    assert "31 day(s)" in arg_after(job.args, "--title") and "_31days_" in job.png.name


def test_b17_default_span(root):
    paths = StatsPaths(root)
    make_client(
        paths,
        "c",
        ["m1"],
        T("2006-10-10 00:00:00"),
        16 * 60,
        time_of_update=T("2006-10-10 15:00:00"),
        types=["filecount"],
    )
    argv = ["--date", "2006-10-10 15:13:00", "-c", "c", "--machines", "m1", "-t", "filecount"]
    request = request_for(root, *argv)
    assert (timeutil.iso(request.start), timeutil.iso(request.end), request.span) == (
        "2006-10-10 03:00:00",
        "2006-10-10 15:00:00",
        12,
    )
    (job,) = rrd_graphics.plan(paths, request, now=T("2024-01-01 00:00:00"))
    assert arg_after(job.args, "--step") == "600"
    assert "for a span of 12 hours ending at 2006-10-10 15:00:00." in arg_after(job.args, "--title")
    assert job.png.name == "tx_c_20061010_15:00:00_filecount_12hours_on_m1.png"
    assert run(root, *argv) == 0 and png_size(job.png) == (897, 282)
    db = schema.db_path(paths, "filecount", "c", ["m1"])
    schema.write_time_of_update(
        schema.time_of_update_path(paths, "tx", db), T("2006-11-09 15:00:00")
    )
    (job,) = rrd_graphics.plan(paths, request, now=T("2024-01-01 00:00:00"))
    assert arg_after(job.args, "--step") == "14400"


def plotted_extremes(job, tmp_path) -> tuple[float, float]:
    """(min, max) of the points rrdtool really draws for a job: its own argument list with
    VDEFs over the plotted (consolidated) values."""
    args = [
        str(tmp_path / "probe.png"),
        *job.args[1:],
        "VDEF:vmin=realValue,MINIMUM",
        "VDEF:vmax=realValue,MAXIMUM",
        "PRINT:vmin:%.6lf",
        "PRINT:vmax:%.6lf",
    ]
    out = subprocess.run(
        ["rrdtool", "graphv", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=dict(os.environ, TZ="UTC"),
    ).stdout
    printed = dict(line.split(" = ", 1) for line in out.splitlines() if line.startswith("print["))
    return float(printed["print[0]"].strip('"')), float(printed["print[1]"].strip('"'))


def test_item10_off_the_hour_window_title_and_legend_agree(root, tmp_path, capsys):
    """Issue 10 item 10: asked at 14:33 (no period, default 12 hours), the window is
    02:00-14:00, the title says 12 hours ending at 14:00, and the legend's figures are those
    of the 10-minute points rrdtool draws (min, max = the VDEFs of the plotted values)."""
    paths = StatsPaths(root)
    # value of the minute = minute of the hour + 10 x hour: aligned 10-minute points are
    # 4.5 + 10h, 14.5 + 10h, ..., 54.5 + 10h; groups counted from :33 would give other means.
    make_client(
        paths,
        "c",
        ["m1"],
        T("2006-10-10 00:00:00"),
        16 * 60,
        value=lambda t: float((t // 60) % 60 + 10 * ((t // 3600) % 24)),
        time_of_update=T("2006-10-10 15:00:00"),
        types=["filecount"],
    )
    argv = ["--date", "2006-10-10 14:33:00", "-c", "c", "--machines", "m1", "-t", "filecount"]
    request = request_for(root, *argv)
    (job,) = rrd_graphics.plan(paths, request, now=T("2024-01-01 00:00:00"))
    assert (arg_after(job.args, "--start"), arg_after(job.args, "--end")) == (
        str(T("2006-10-10 02:00:00")),
        str(T("2006-10-10 14:00:00")),
    )
    assert arg_after(job.args, "--step") == "600"
    assert arg_after(job.args, "--title") == (
        "Files/Minute for c for a span of 12 hours ending at 2006-10-10 14:00:00."
    )
    low, high = plotted_extremes(job, tmp_path)
    assert (low, high) == (24.5, 184.5)  # hours 02 to 13, aligned points
    # total = files of 02:00-13:59 = sum over 12 hours of (0+...+59) + 60 x 10h
    total = sum(sum(m + 10 * h for m in range(60)) for h in range(2, 14))
    assert total == 75240
    assert comments(job.args)[0] == (
        f"COMMENT: Min\\: {low:.2f} Files/Min   Max\\: {high:.2f} Files/Min   "
        f"Mean\\: 104.50 Files/Min   Total\\: {total} Files\\c"
    )
    assert run(root, *argv) == 0
    assert capsys.readouterr().out == f"Plotted : {job.png}\n"
    assert png_size(job.png) == (897, 282)


def test_yearly_and_daily_copies(satnet, root):
    assert (
        run(
            root,
            "-y",
            "--fixedCurrent",
            "--date",
            "2006-10-11 12:00:00",
            "-c",
            "satnet",
            "--machines",
            "pds5,pds6",
            "-t",
            "bytecount",
            "--copy",
        )
        == 0
    )
    archives = root / "data/graphics/webGraphics/archives"
    assert png_size(archives / "yearly/tx/satnet/bytecount/2006.png") == (897, 282)
    assert (
        run(
            root,
            "-d",
            "--fixedCurrent",
            "--date",
            "2006-10-11 12:00:00",
            "-c",
            "satnet",
            "--machines",
            "pds5,pds6",
            "-t",
            "filecount",
            "--copy",
        )
        == 0
    )
    assert png_size(archives / "daily/tx/satnet/2006/October/filecount/11.png") == (897, 282)
    png = (
        root
        / "data/graphics/others/rrd/satnet"
        / "tx_satnet_20070101_00:00:00_bytecount_1years_on_pds5pds6.png"
    )
    assert png_size(png) == (897, 282)


def test_french_output_names(satnet, root, capsys):
    assert (
        run(
            root,
            "-l",
            "fr",
            "-w",
            "--fixedCurrent",
            "--date",
            "2006-10-11 12:00:00",
            "-c",
            "satnet",
            "--machines",
            "pds5,pds6",
            "-t",
            "latency",
            "--copy",
        )
        == 0
    )
    png = (
        root
        / "data/graphics/autres/rrd/satnet"
        / "tx_satnet_20061015_00:00:00_latence_7jours_sur_pds5pds6.png"
    )
    assert capsys.readouterr().out == f"Dessiné : {png}\n"
    assert png_size(png) == (897, 282)
    assert (
        root / "data/graphics/webGraphics/archives/hebdomadaire/tx/satnet/2006/latence" / "40.png"
    ).exists()
    request = request_for(
        root,
        "-l",
        "fr",
        "-m",
        "--fixedPrevious",
        "--date",
        "2006-10-10 01:00:00",
        "-c",
        "satnet",
        "--machines",
        "pds5,pds6",
        "-t",
        "latence",
    )
    (job,) = rrd_graphics.plan(StatsPaths(root), request, now=T("2024-01-01 00:00:00"))
    assert arg_after(job.args, "--title") == (
        "Latence moyenne par minute pour satnet pour une "
        "durée de 1 mois se terminant le 2006-10-01 00:00:00."
    )
    assert arg_after(job.args, "--vertical-label") == "Latence(en secondes)"
    assert "DEF:latency=" in " ".join(job.args)  # data names stay English
    assert graph.archive_path(
        StatsPaths(root), "monthly", "tx", "satnet", "latency", request.start, "fr"
    ).parts[-4:] == ("satnet", "2006", "latence", "Septembre.png")


def test_item11_french_words(satnet, root, capsys):
    """Issue 10 item 11, checked against the original's French catalogue
    (lang/fr/lib/RRDGraphicProducer): the title says "durée" and "année(s)" (the catalogue's
    "duree", "annee(s)" lacked the accents its gnuplot catalogue has), the AREA/LINE legend
    shows the French type name (the original showed the English DS name), the notes follow
    the catalogue's wording; the data names of DEF/CDEF stay English."""
    day = golden_args("filecount", "daily", language="fr")
    assert arg_after(day, "--title") == (
        "Fichiers/Minute pour satnet pour une durée de 1 jour(s) "
        "se terminant le 2006-10-12 00:00:00."
    )
    assert "AREA:realValue#019EFF:nbreDeFichiers" in day
    assert "LINE1:realValue#080166" in day  # the legend once: French names are long
    assert (
        "DEF:filecount=/ROOT/data/databases/currentDatabases/filecount/satnet_pds5pds6:"
        "filecount:AVERAGE"
        in day
        and "CDEF:realValue=filecount,1,*" in day
    )
    assert comments(day) == [
        "COMMENT: Min\\: 0.0000 Fichiers/Min   Max\\: 12.30 Fichiers/Min   "
        "Moyenne\\: 3.41 Fichiers/Min   Total\\: 2455 Fichiers\\c",
        "COMMENT:Note(s)\\: Graphiques créés en utilisant la moyenne de 10 minute(s). \\c",
    ]
    year = golden_args("filecount", "yearly", language="fr")
    assert " pour une durée de 1 année(s) se terminant le " in arg_after(year, "--title")
    assert year[0].endswith("_nbreDeFichiers_1annees_sur_pds5pds6.png")  # names stay ASCII
    assert legend.y_axis_note("1.23 MB/Min", "fr") == (
        "M sur l'axe des y signifie Mega, donc x millions."
    )
    assert legend.y_axis_note("0.0500 Fichiers/Min", "fr") == (
        "m sur l'axe des y signifie milli, donc x millièmes."
    )
    assert legend.interval_note("errors", 240, "fr") == (
        "Graphiques créés en utilisant la moyenne de 4 heure(s)."
    )
    # English is the original's, word for word
    assert "AREA:realValue#019EFF:filecount" in golden_args("filecount", "daily")
    # Faithful: the machine totals' PNG is named after the file type, as the original's
    # (spec rrd.md §3.10, behaviour 21); the web pages link its archive copy under totals/.
    assert graph.image_path(
        StatsPaths(root), "tx", "tx", T("2024-01-16 00:00:00"), "filecount", 24, "m1", "fr"
    ) == (
        root
        / "data/graphics/autres/rrd/tx"
        / "tx_tx_20240116_00:00:00_nbreDeFichiers_1jours_sur_m1.png"
    )
    # and the accented words render
    assert (
        run(
            root,
            "-l",
            "fr",
            "-y",
            "--fixedCurrent",
            "--date",
            "2006-10-11 12:00:00",
            "-c",
            "satnet",
            "--machines",
            "pds5,pds6",
            "-t",
            "filecount",
        )
        == 0
    )
    png = Path(capsys.readouterr().out.split(" : ", 1)[1].strip())
    assert png.name == "tx_satnet_20070101_00:00:00_nbreDeFichiers_1annees_sur_pds5pds6.png"
    assert png_size(png) == (897, 282)
    # every legend element inside the image, for the longest type name, in both languages
    for language in ("en", "fr"):
        request = request_for(
            root,
            "-l",
            language,
            "-y",
            "--fixedCurrent",
            "--date",
            "2006-10-11 12:00:00",
            "-c",
            "satnet",
            "--machines",
            "pds5,pds6",
            "-t",
            "filesOverMaxLatency",
        )
        (job,) = rrd_graphics.plan(satnet, request, now=T("2024-01-01 00:00:00"))
        out = subprocess.run(
            ["rrdtool", "graphv", str(root / "probe.png"), *job.args[1:]],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env=dict(os.environ, TZ="UTC"),
        ).stdout
        info = dict(line.split(" = ", 1) for line in out.splitlines())
        width = int(info["image_width"])
        boxes = [
            tuple(map(int, v.strip('"').split(",")))
            for k, v in info.items()
            if k.startswith("coords[")
        ]
        assert len(boxes) == (4 if language == "en" else 3)
        assert all(0 <= x1 < x2 <= width for x1, _, x2, _ in boxes), (language, boxes, width)


def test_colon_in_client_name_renders(root, capsys):
    """Behaviour 20: a client name with ':' (title, file name, DEF path) and legends full of
    colons give a real PNG."""
    paths = StatsPaths(root)
    make_client(
        paths,
        "a:b",
        ["m1"],
        T("2006-10-10 00:00:00"),
        1440,
        value=lambda t: 1234567.0,
        time_of_update=T("2006-10-11 00:00:00"),
        types=["bytecount", "filecount"],
    )
    assert (
        run(
            root,
            "-d",
            "--fixedPrevious",
            "--date",
            "2006-10-11 05:00:00",
            "-c",
            "a:b",
            "--machines",
            "m1",
            "-t",
            "bytecount,filecount",
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    for line in out:
        assert png_size(Path(line.split(" : ", 1)[1])) == (897, 282)


def test_legacy_unescaped_comment_cannot_kill_the_caller(satnet, root):
    """rrdtool 1.7.2 aborts on the original's raw colons; in a child process this is one failed
    graphic, reported, and no PNG."""
    args = golden_args("filecount", "weekly")
    db = schema.db_path(satnet, "filecount", "satnet", ["pds5pds6"])
    png = root / "legacy.png"
    args = (
        [str(png)]
        + [a.replace("/ROOT", str(root)) for a in args[1:-2]]
        + [
            "COMMENT: Min: 0.0000 Files/Min   Max: 12.30 Files/Min   Mean: 3.41 Files/Min   "
            "Total: 2455 Files\\c",
            "COMMENT:Note(s): Graphics generated using 10 minute(s) averages. \\c",
        ]
    )
    assert any(str(db) in a for a in args)
    outcome = runner.render(runner.GraphJob(png, args))
    assert not outcome.ok and outcome.message
    assert not png.exists() and not [p for p in root.iterdir() if p.name.startswith(".legacy")]


def test_failed_graph_reported_and_counted(satnet, root, capsys):
    png = (
        root
        / "data/graphics/others/rrd/ghost"
        / "tx_ghost_20061015_00:00:00_filecount_7days_on_pds5pds6.png"
    )
    png.parent.mkdir(parents=True)
    png.write_bytes(b"old")
    # ghost is known (it has a database) but its database is no RRD: its graphic fails
    broken = schema.db_path(satnet, "filecount", "ghost", ["pds5pds6"])
    broken.write_bytes(b"not an RRD")
    status = run(
        root,
        "-w",
        "--fixedCurrent",
        "--date",
        "2006-10-11 12:00:00",
        "-c",
        "satnet,ghost",
        "--machines",
        "pds5,pds6",
        "-t",
        "filecount",
    )
    out, err = capsys.readouterr()
    assert status == 1
    assert out == ("Plotted : " + str(png).replace("ghost", "satnet") + "\n")
    assert err.count("\n") == 1 and f"Could not generate {png}" in err
    assert png.read_bytes() == b"old"  # a failed graph replaces nothing
    assert not [p for p in png.parent.iterdir() if p.name != png.name]
    log = (root / "data/logs/generateRRDGraphics.log").read_text()
    assert f"Error : Could not generate {png}" in log


def test_unknown_names_refused(satnet, root, capsys):
    """A name without databases of the file type on the machines, or a pattern matching
    none, is exit 1 with one line naming the closest known names; nothing is drawn or
    logged. A pattern stands for the names with databases that match it."""
    make_client(
        satnet, "satwest", ["pds5", "pds6"], T("2006-10-08 00:00:00"), 60, types=["filecount"]
    )
    week = [
        "-w",
        "--fixedCurrent",
        "--date",
        "2006-10-11 12:00:00",
        "--machines",
        "pds5,pds6",
        "-t",
        "filecount",
    ]
    for names, line in [
        (
            "satnett",
            "unknown client 'satnett' (no tx database on pds5pds6); closest known: satnet, satwest",
        ),
        (
            "satnet,satnett",
            "unknown client 'satnett' (no tx database on pds5pds6); closest known: satnet, satwest",
        ),
        (
            "zz*",
            "unknown client pattern 'zz*' (no tx database on pds5pds6); known: satnet, satwest",
        ),
    ]:
        assert run(root, *week, "-c", names) == 1
        assert capsys.readouterr() == ("", f"generateRRDGraphics: error: {line}\n")
    assert run(root, *week, "-c", "satnet", "-f", "rx", "-t", "errors", "--machines", "pds7") == 1
    assert capsys.readouterr().err == (
        "generateRRDGraphics: error: unknown source 'satnet' "
        "(no rx database on pds7); no source is known\n"
    )
    assert run(root, *week, "-c", "satnet", "--machines", "pds5") == 1
    assert "(no tx database on pds5); no client is known" in capsys.readouterr().err
    assert not (root / "data/graphics").exists() and not (root / "data/logs").exists()
    # a pattern: every name with databases that matches it
    request = request_for(root, *week, "-c", "sat*,satnet")
    assert request.clients == ("satnet", "satwest")
    assert run(root, *week, "-c", "s?tw*") == 0
    assert capsys.readouterr().out.count("Plotted : ") == 1


# -- option errors (behaviour 18) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-d", "-w"], "Only one of the daily, weekly and yearly options can be use at a time"),
        (["-w", "-s", "5"], "timespan cannot be specified"),
        (["--fixedCurrent"], "When using one of the fixed options"),
        (["--fixedCurrent", "--fixedPrevious", "-w"], "Please use only one of the fixed options"),
        (["--individual", "--totals", "-c", "a,b"], "individual and the totals"),
        (
            ["-f", "trx", "-c", "x"],
            "File type must be either tx or rx. Specified file type was : trx",
        ),
        (["--havingRun", "-c", "x"], "Cannot use the havingRun option"),
        (["--totals", "-c", "x"], "Cannot use totals option with only one client/source name."),
        (["--copy", "-c", "x"], "Copying can only be used with the -m -w or -y options."),
        (
            ["-f", "rx", "-t", "latency", "-c", "x"],
            "possible data types values are : bytecount, errors, filecount",
        ),
        (["-l", "de", "-c", "x"], "The specified language is not currently supported"),
        (["--date", "2006/10/11", "-c", "x"], "The date format must be YYYY-MM-DD HH:MM:SS"),
        (["-s", "0", "-c", "x"], "The timespan value needs to be an integer one above 0."),
        (["-s", "abc", "-c", "x"], "The timespan value needs to be an integer one above 0."),
        (["--havingRun", "--machines", "nowhere"], "No client/sources were found"),
    ],
)
def test_option_errors(root, capsys, argv, message):
    assert run(root, "--machines", "m1", *argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err
    assert err.startswith("generateRRDGraphics: error: ")
    assert not (root / "data/graphics").exists() and not (root / "data/logs").exists()


def test_shim_exit_status(root, run_env):
    import subprocess

    done = subprocess.run(
        [str(REPO / "bin/generateRRDGraphics"), "--copy", "-c", "x"],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (
        "generateRRDGraphics: error: Copying can only be used with the -m -w or -y options."
    )


# -- totals (behaviour 21) ------------------------------------------------------------------------


def test_b21_totals(root, capsys):
    paths = StatsPaths(root)
    day, spike = T("2024-01-15 00:00:00"), T("2024-01-15 10:05:00")
    tou = T("2024-01-16 00:00:00")
    make_client(
        paths,
        "a",
        ["m1"],
        day,
        1440,
        time_of_update=tou,
        value=lambda t: 20.0 if t == spike else 2.0,
    )
    make_client(paths, "b", ["m1"], day, 1440, time_of_update=tou, value=lambda t: 6.0)
    # latency: a 10 s, b 2 s (filecount DBs above hold 2 and 6 per minute)
    make_db(paths, "latency", "a", ["m1"], day, 1440, lambda t: 10.0)
    make_db(paths, "latency", "b", ["m1"], day, 1440, lambda t: 2.0)
    status = run(
        root,
        "--totals",
        "-f",
        "tx",
        "--machines",
        "m1",
        "--havingRun",
        "-d",
        "--fixedCurrent",
        "--date",
        "2024-01-15 12:00:00",
        "--copy",
    )
    out = capsys.readouterr().out.splitlines()
    assert status == 0 and len(out) == 5
    filecount = schema.combined_db_path(paths, "filecount", "tx", ["m1"])
    latency = schema.combined_db_path(paths, "latency", "tx", ["m1"])
    assert str(filecount).endswith("currentDatabases/filecount/combined/tx_m1")
    assert schema.info(filecount)["step"] == 60
    (first, _, step), values = schema.fetch(filecount, "AVERAGE", 60, day, day + 86400 - 60)
    assert (first, step) == (day, 60)
    assert values[:1440] == [26.0 if first + 60 * i == spike else 8.0 for i in range(1440)]
    (_, _, _), lat = schema.fetch(latency, "AVERAGE", 60, day, day + 86400 - 60)
    # a's minute 10:05 has 20 files at 10 s: (20*10 + 6*2) / 26
    expected = [(20 * 10 + 6 * 2) / 26 if day + 60 * i == spike else 4.0 for i in range(1440)]
    assert lat[:1440] == pytest.approx(expected)
    png = root / "data/graphics/others/rrd/tx" / "tx_tx_20240116_00:00:00_filecount_1days_on_m1.png"
    assert f"Plotted : {png}" in out and png_size(png) == (897, 282)
    copy = (
        root
        / "data/graphics/webGraphics/archives/daily/totals/m1/tx/2024/January/filecount"
        / "15.png"
    )
    assert copy.read_bytes() == png.read_bytes()
    assert schema.read_time_of_update(schema.time_of_update_path(paths, "tx", filecount)) == tou
    # Rebuilt, not appended to, by the next run; explicit clients give a 'regular' total.
    assert (
        run(
            root,
            "--totals",
            "-c",
            "a,b",
            "--machines",
            "m1",
            "-w",
            "--fixedCurrent",
            "--date",
            "2024-01-17 00:00:00",
            "-t",
            "filecount,latency",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "others/rrd/ab/tx_ab_20240121_00:00:00_filecount_7days_on_m1.png" in out
    merged = schema.combined_db_path(paths, "filecount", "a,b", ["m1"])
    assert schema.info(merged)["step"] == 3600
    (first, _, _), hourly = schema.fetch(merged, "AVERAGE", 3600, day, day + 23 * 3600)
    assert first == day and hourly[:24] == pytest.approx(
        [8.0 + (18 / 60 if h == 10 else 0) for h in range(24)]
    )


def test_merge_values_and_resample():
    assert totals.merge_values("latency", [[10.0, None, 5.0, 1.0]], [[2.0, 3.0, None, 0.0]]) == [
        10.0,
        None,
        None,
        0.0,
    ]
    assert totals.merge_values("filecount", [[1.0, None], [2.0, None]]) == [3.0, None]
    stamps = [120, 240]
    assert totals.resample(0, 60, [1.0, 3.0, None, 5.0, 9.0], stamps, 120) == [2.0, 5.0]
    assert totals.resample(0, 240, [7.0], stamps, 120) == [7.0, 7.0]


# -- having run (behaviour 22) --------------------------------------------------------------------


def test_b22_having_run(root, capsys):
    paths = StatsPaths(root)
    now = timeutil.now()
    recent, old = timeutil.hour_start(now) - 3600, now - 400 * 86400
    first = timeutil.hour_start(now) - 2 * 86400
    for name, tou in (("a", recent), ("b", old), ("G", recent), ("Gx", recent)):
        make_client(
            paths, name, ["m1"], first, 60, time_of_update=tou, types=["latency", "bytecount"]
        )
    make_client(
        paths, "c", ["m1", "m2"], first, 60, time_of_update=recent, types=["latency", "bytecount"]
    )
    start = now - 365 * 86400
    assert inventory.names_having_run(paths, "tx", "m1", start) == ["G", "Gx", "a"]
    assert inventory.names_having_run(paths, "tx", "m1", start, groups=["G"]) == ["Gx", "a"]
    assert inventory.names_having_run(paths, "tx", "m1m2", start) == ["c"]
    assert inventory.names_having_run(paths, "rx", "m1", start) == []
    # The CLI takes the group names from etc/config.
    (root / "etc").mkdir()
    config = (REPO / "etc/config.sample").read_text()
    config = config.split("[specialGroups]")[0] + "[specialGroups]\nG = tag1 tx a,b *\n"
    (root / "etc/config").write_text(config)
    (root / "etc/configForMachines").write_text((REPO / "etc/configForMachines.sample").read_text())
    assert (
        run(root, "-y", "--havingRun", "-f", "tx", "--machines", "m1", "-t", "latency,bytecount")
        == 0
    )
    out = capsys.readouterr().out
    plotted = sorted(Path(line.split(" : ", 1)[1]).parent.name for line in out.splitlines())
    assert plotted == ["Gx", "Gx", "a", "a"]


# -- manual page ----------------------------------------------------------------------------------


def test_man_page_options_match_help():
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / "generateRRDGraphics.1", cli.build_parser()
    )


def test_legend_stops_at_the_current_hour(root):
    """A window that is not over yet: figures up to the start of the current hour."""
    paths = StatsPaths(root)
    day = T("2024-01-15 00:00:00")
    db = make_db(paths, "filecount", "c", ["m1"], day, 1440, lambda t: 1.0)
    now = T("2024-01-15 06:30:00")
    figures = graph.fetch_figures(db, day, day + 86400, 1, 10, now=now)
    assert figures.total == pytest.approx(6 * 60)
    assert graph.fetch_figures(db, day, day + 86400, 1, 10, now=day + 600) == Figures.empty()


def test_graph_timeout_is_a_failed_graphic(root, monkeypatch):
    slow = root / "slow-rrdtool"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(runner, "RRDTOOL", str(slow))
    png = root / "out" / "slow.png"
    started = time.monotonic()
    outcome = runner.render(runner.GraphJob(png, [str(png), "--start", "0"]), timeout=0.5)
    assert time.monotonic() - started < 10
    assert not outcome.ok and "no answer after 0.5 s" in outcome.message
    assert list(png.parent.iterdir()) == []


def test_png_replaced_atomically_and_stale_temps_removed(satnet, root):
    argv = [
        "-w",
        "--fixedCurrent",
        "--date",
        "2006-10-11 12:00:00",
        "-c",
        "satnet",
        "--machines",
        "pds5,pds6",
        "-t",
        "errors",
        "--copy",
    ]
    png = (
        root
        / "data/graphics/others/rrd/satnet"
        / "tx_satnet_20061015_00:00:00_errors_7days_on_pds5pds6.png"
    )
    png.parent.mkdir(parents=True)
    png.write_bytes(b"previous")
    stale = png.parent / f".{png.name}.killed.tmp"
    fresh = png.parent / f".{png.name}.running.tmp"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    assert run(root, *argv) == 0
    assert png_size(png) == (897, 282)
    assert not stale.exists() and fresh.exists()
    copy = root / "data/graphics/webGraphics/archives/weekly/tx/satnet/2006/errors/40.png"
    assert copy.read_bytes() == png.read_bytes()
    assert [p.name for p in copy.parent.iterdir()] == ["40.png"]


# -- drawing children: pipe mode (`rrdtool -`) ----------------------------------------------------

PIPE_SAMPLES = [
    "plain",
    "a b  c",
    "",
    "COMMENT: Min\\: 0.0000 Files/Min   Total\\: 2455 Files\\c",
    'say "hi"',
    "it's",
    "both ' and \" and ''\"\"",
    '"',
    "'",
    "tab\there",
    "back\\slash\\",
    " lead and trail ",
    "-dash",
    "#hash",
    "Dessiné été",
    "/x/a:b_pds5pds6",
    "x" * 3000,
]


def test_pipe_quote_is_read_back_exactly():
    """`rrdtool -` splits at blanks, takes '...' and "..." parts, has no backslash escape:
    rrdtool itself echoes each quoted argument back (as the file name `info` cannot open)."""
    import subprocess

    samples = PIPE_SAMPLES + ["y" * 30000, "in step"]  # a line longer than any buffer
    lines = b"".join(b"info " + runner.pipe_quote("/nowhere/" + s) + b"\n" for s in samples)
    done = subprocess.run([runner.RRDTOOL, "-"], input=lines, capture_output=True, timeout=60)
    answers = done.stdout.decode().split("\n")[:-1]
    assert len(answers) == len(samples)
    assert answers[:-2] == [
        f"ERROR: opening '/nowhere/{s}': No such file or directory" for s in PIPE_SAMPLES
    ]
    assert answers[-2].startswith("ERROR: opening '/nowhere/" + "y" * 4000)  # message cut at 4 kB
    assert answers[-1] == "ERROR: opening '/nowhere/in step': No such file or directory"
    assert runner.pipe_quote('a"b') == b'"a"\'"\'"b"' and runner.pipe_quote("") == b'""'
    for bad in ("a\nb", "a\0b"):
        with pytest.raises(ValueError):
            runner.pipe_quote(bad)


def real_args(root, png, data_type, case, language="en"):
    """A golden argument list drawing the satnet database of `root` into `png`."""
    args = golden_args(data_type, case, language=language)
    return [str(png)] + [a.replace("/ROOT", str(root)) for a in args[1:]]


def test_pipe_mode_draws_the_same_pngs(satnet, root):
    """One pipe-mode child draws graphic after graphic exactly as `rrdtool graph` processes do
    (same bytes): every type, every period, a French graphic, in one child."""
    cases = (
        [(t, "weekly", "en") for t in FIGURES]
        + [("filecount", c, "en") for c in ("daily", "monthly", "yearly", "span")]
        + [("latency", "weekly", "fr")]
    )
    server = runner.GraphServer()
    try:
        for k, (data_type, case, language) in enumerate(cases):
            piped, alone = root / f"piped{k}.png", root / f"alone{k}.png"
            assert server.graph(real_args(root, piped, data_type, case, language)) == (897, 282)
            assert runner.graph(real_args(root, alone, data_type, case, language)) == (897, 282)
            assert piped.read_bytes() == alone.read_bytes(), (data_type, case, language)
            if k == 0:
                child = server._process.pid
        assert server._process.pid == child  # all drawn by the same child
    finally:
        server.close()
    assert server._process is None


def test_pipe_child_crash_or_error_fails_that_graphic_only(satnet, root, monkeypatch):
    """A crash of the child (a stand-in rrdtool that kills itself with SIGSEGV, and the
    original's raw colons, on which rrdtool 1.7.2 aborts) and an rrdtool error (no such
    database) each fail their own graphic; the next graphic gets a new child."""
    crasher = root / "crashing-rrdtool"
    crasher.write_text("#!/bin/sh\nread line\nkill -SEGV $$\n")
    crasher.chmod(0o755)
    legacy = real_args(root, root / "legacy.png", "filecount", "weekly")[:-2] + [
        "COMMENT: Min: 0.0000 Files/Min   Max: 12.30 Files/Min   Mean: 3.41 Files/Min   "
        "Total: 2455 Files\\c",
        "COMMENT:Note(s): Graphics generated using 10 minute(s) averages. \\c",
    ]
    missing = [
        a.replace("satnet_pds5pds6", "ghost_pds5pds6")
        for a in real_args(root, root / "ghost.png", "errors", "weekly")
    ]
    with runner.GraphServers() as servers:
        with monkeypatch.context() as patch:
            patch.setattr(runner, "RRDTOOL", str(crasher))
            with pytest.raises(schema.RRDError, match=r"^rrdtool graph: killed by signal 11$"):
                servers.graph(real_args(root, root / "crash.png", "latency", "weekly"))
        assert servers.graph(real_args(root, root / "c.png", "latency", "weekly")) == (897, 282)
        with pytest.raises(schema.RRDError, match=r"^rrdtool graph: "):
            servers.graph(legacy)
        assert servers.graph(real_args(root, root / "a.png", "latency", "weekly")) == (897, 282)
        with pytest.raises(schema.RRDError, match=r"rrdtool graph: opening '.*ghost_pds5pds6'"):
            servers.graph(missing)
        assert servers.graph(real_args(root, root / "b.png", "bytecount", "daily")) == (897, 282)
        assert len(servers._all) == 1  # one drawing thread, one server
    assert png_size(root / "a.png") == png_size(root / "b.png") == (897, 282)
    assert not [p for p in ("legacy.png", "ghost.png", "crash.png") if (root / p).exists()]


def test_pipe_child_timeout_kills_the_child(root, monkeypatch):
    slow = root / "slow-rrdtool"
    pid_file = root / "pid"
    slow.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(runner, "RRDTOOL", str(slow))
    png = root / "out" / "slow.png"
    started = time.monotonic()
    with runner.GraphServers() as servers:
        outcome = runner.render(
            runner.GraphJob(png, [str(png), "--start", "0"]), 0.5, servers.graph
        )
    assert time.monotonic() - started < 10
    assert not outcome.ok and outcome.message == "rrdtool graph: no answer after 0.5 s"
    assert list(png.parent.iterdir()) == []
    pid = pid_file.read_text().strip() if pid_file.exists() else ""
    if pid:  # (a very loaded machine may kill it before `echo`)
        with pytest.raises(ProcessLookupError):  # killed and reaped
            os.kill(int(pid), 0)


def test_pipe_child_replaced_after_max_graphs_and_newline_goes_to_a_one_off_child(satnet, root):
    server = runner.GraphServer(max_graphs=2)
    try:
        pids = []
        for k in range(3):
            server.graph(real_args(root, root / f"g{k}.png", "errors", "weekly"))
            pids.append(server._process.pid)
        assert pids[0] == pids[1] != pids[2]
        # A line cannot carry a newline: that graphic is drawn by a one-off `rrdtool graph`.
        args = real_args(root, root / "nl.png", "errors", "weekly")
        args[-1] = "COMMENT:two\nlines\\c"
        assert server.graph(args) == (897, 282) and png_size(root / "nl.png") == (897, 282)
        assert server._process.pid == pids[2]
    finally:
        server.close()


def test_pipe_mode_off_draws_one_process_per_graphic(satnet, root, capsys):
    """pipe_mode=False (benchmarks) gives the same PNGs through `rrdtool graph` children."""
    argv = [
        "-w",
        "--fixedCurrent",
        "--date",
        "2006-10-11 12:00:00",
        "-c",
        "satnet",
        "--machines",
        "pds5,pds6",
    ]
    assert run(root, *argv) == 0
    out = capsys.readouterr().out.splitlines()
    pngs = {line: Path(line.split(" : ", 1)[1]).read_bytes() for line in out}
    assert cli.main(["--root", str(root), *argv], pipe_mode=False) == 0
    again = capsys.readouterr().out.splitlines()
    assert again == out and len(out) == 5
    assert {line: Path(line.split(" : ", 1)[1]).read_bytes() for line in again} == pngs


def test_b19_legend_figures_from_the_data(root):
    """Behaviour 19 from a real database: bytecount 1,234,567 B/min during the 10 minutes from
    10:00, 1,000 B/min the other minutes of the day; daily graphic, 10-minute points.
    Points: one of 1,234,567 and 143 of 1,000 -> max 1.23 MB/Min, min 1.00 KB/Min,
    mean (1,234,567 + 143,000) / 144 = 9,566.44 -> 9.57 KB/Min,
    total = sum of points x 10 minutes = 13,775,670 B -> 13.78 MegaBytes; Mega note."""
    paths = StatsPaths(root)
    day, spike = T("2024-01-15 00:00:00"), T("2024-01-15 10:00:00")
    make_client(
        paths,
        "c",
        ["m1"],
        day,
        1440,
        time_of_update=day + 86400,
        value=lambda t: 1234567.0 if spike <= t < spike + 600 else 1000.0,
        types=["bytecount", "latency"],
    )
    request = request_for(
        root,
        "-d",
        "--fixedCurrent",
        "--date",
        "2024-01-15 12:00:00",
        "-c",
        "c",
        "--machines",
        "m1",
        "-t",
        "bytecount,latency",
    )
    bytecount, latency = rrd_graphics.plan(paths, request, now=T("2024-02-01 00:00:00"))
    assert arg_after(bytecount.args, "--step") == "600"
    assert comments(bytecount.args) == [
        "COMMENT: Min\\: 1.00 KB/Min   Max\\: 1.23 MB/Min   Mean\\: 9.57 KB/Min   "
        "Total\\: 13.78 MegaBytes\\c",
        "COMMENT:Note(s)\\: Graphics generated using 10 minute(s) averages. "
        "M on the y axis stands for Mega, meaning x millions.\\c",
    ]
    assert "AREA:realValue#019EFF:bytecount" in bytecount.args
    assert "LINE1:realValue#080166:bytecount" in bytecount.args
    # latency: no Total field, no interval note, its own colours
    assert comments(latency.args)[0] == (
        "COMMENT: Min\\: 1000.00 Avg/Min   Max\\: 1234567.00 Avg/Min   "
        "Mean\\: 9566.44 Avg/Min   \\c"
    )
    assert "AREA:realValue#cd5c5c:latency" in latency.args
    assert "LINE1:realValue#8b0000:latency" in latency.args
    outcomes = runner.run_jobs([bytecount, latency])
    assert [o.ok for o in outcomes] == [True, True]
    assert png_size(bytecount.png) == png_size(latency.png) == (897, 282)
