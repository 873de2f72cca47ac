"""generateGraphics: statistics block, picture, names, copies, escaping, validation
(spec graphics_web.md §1, §2, §8) — with the real gnuplot.

Golden programs are in tests/golden/gnuplot_*.gp; PXSTATS_UPDATE_GOLDEN=1 rewrites them.
"""

from __future__ import annotations

import os
import random
import re
import threading
from pathlib import Path

import pytest
from helpers import REPO, T, save_hour
from manpage import assert_manual_page_matches_help
from pngimage import assert_valid_png, png_pixels

from pxstats.actions import graphics
from pxstats.cli import generateGraphics as cli
from pxstats.gnuplot import figures, render, script
from pxstats.gnuplot import request as gnureq
from pxstats.paths import StatsPaths
from pxstats.stats.collector import Bucket, FileStatsCollector
from pxstats.stats.merging import merge_sources
from pxstats.store import pickles

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("PXSTATS_UPDATE_GOLDEN") == "1"

pytestmark = pytest.mark.skipif(
    render.shutil.which("gnuplot") is None, reason="gnuplot is not installed (Debian gnuplot-nox)"
)

F1_DATE = "2008-01-05 10:17:00"
F1_HOUR = T("2008-01-05 09:00:00")
F1_NAME = (
    "tx_c1_20080105_10:00:00_errors,filecount,bytecount,latency_1hours_on_m1_for_All_products.png"
)
RED, BLUE, GREEN, PURPLE = (255, 0, 0), (0x41, 0x69, 0xE1), (0x22, 0x8B, 0x22), (0xA0, 0x20, 0xF0)


# -- fixtures --------------------------------------------------------------------------------------


def f1_rows(max_file: str = "f45"):
    """Fixture F1 of spec §8 as rows: minutes 30-59 hold 2 files (latency mean 20 at
    minute 45, else 1; max = 2 x mean), bytes 1000 x (k - 29) per minute, 3 errors at 50."""
    rows = []
    for k in range(30, 60):
        mean = 20 if k == 45 else 1
        name = max_file if k == 45 else f"f{k}"
        rows.append((k * 60 + 30, name, 2 * mean, 500 * (k - 29), 0))
        rows.append((k * 60 + 30, name, 0, 500 * (k - 29), 0))
        if k == 50:
            rows += [(k * 60 + 30, "", 0, 0, 1)] * 3
    return rows


@pytest.fixture
def paths(tmp_path) -> StatsPaths:
    (tmp_path / "data").mkdir()
    return StatsPaths(tmp_path)


@pytest.fixture
def f1(paths) -> StatsPaths:
    save_hour(paths, "c1", "m1", F1_HOUR, f1_rows())
    return paths


def request(**kw) -> graphics.GraphicRequest:
    defaults = dict(clients=("c1",), machines=("m1",), end=T(F1_DATE), span=1)
    defaults.update(kw)
    return graphics.GraphicRequest(**defaults)


def run_cli(paths, *args, capsys=None):
    try:
        status = cli.main(["--root", str(paths.root), *args])
    except SystemExit as exc:  # argparse errors exit from inside parse_args
        status = exc.code
    out = err = ""
    if capsys is not None:
        captured = capsys.readouterr()
        out, err = captured.out, captured.err
    return status, out, err


def colours_in_band(pixels, band_from_top: int) -> set:
    rows = pixels[int(band_from_top * 307.2) : int((band_from_top + 1) * 307.2)]
    return {px for row in rows for px in row[:700]}


# -- pure helpers ----------------------------------------------------------------------------------


def test_quote_is_the_only_way_in():
    assert script.quote("amis") == "'amis'"
    assert script.quote("it's") == "'it''s'"
    assert script.quote('x`touch /tmp/p`"y') == "'x`touch /tmp/p`\"y'"
    assert script.quote("a\nb\rc\0d\te") == "'a?b?c?d?e'"
    assert script.quote("durée çà") == "'durée ç?'"  # à is not drawn alike in latin-2
    assert script.quote("名") == "'?'"
    assert script.encode(script.quote("durée")) == b"'dur\xe9e'"


def test_py2_number_rendering():
    assert figures.py2_str(40.0) == "40.0"
    assert figures.py2_str(29.999697795) == "29.999697795"
    assert figures.py2_str(15000) == "15000"
    assert figures.py2_str(15000.0) == "15000.0"
    assert figures.py2_str(1e16) == "1e+16"
    assert figures.py2_str(0.1 + 0.2) == "0.3"


@pytest.mark.parametrize(
    "total, text",
    [
        (0, "0 Bytes"),
        (999, "999 Bytes"),
        (1000, "1.00 kiloBytes"),
        (465000.0, "465.00 kiloBytes"),
        (323390000, "323.39 MegaBytes"),
        (2.5e9, "2.50 GigaBytes"),
        (1.5e12, "1500.00 GigaBytes"),
    ],
)
def test_byte_units_are_decimal(total, text):
    assert figures.bytes_text(total) == text


def test_heights():
    assert [script.height(n) for n in (1, 2, 3, 4, 8)] == [307, 614, 921, 1228, 2457]


# -- statistics block (§1.5, T-04, T-05) ----------------------------------------------------------


def panels_by_type(the_plan):
    return {p.ylabel: p for p in the_plan.picture.panels}


def labels(panel):
    return [text for _, text in panel.labels]


def test_f1_titles_and_statistics_block(f1):
    the_plan = graphics.plan(f1, request())
    pic = the_plan.picture
    assert [p.line_type for p in pic.panels] == [4, 3, 2, 1]  # errors at the bottom
    lat, byt, fil, err = (
        panels_by_type(the_plan)[k]
        for k in ("latency (seconds)", "Bytes/Minute", "Files/Minute", "Errors/Minute")
    )
    assert lat.title == (
        "Latency for c1 for a span of 1 hours ending at 2008-01-05 10:00:00",
        "With values rounded for every minutes.",
        "",
        "MAX: 20.00 MEAN: 0.82 MIN: 0.00",
    )
    assert byt.title[1:] == (
        "With the total value of every minutes.",
        "",
        "MAX: 30000 MEAN: 7750.00 MIN: 0",
    )
    assert fil.title[3] == "MAX: 2 MEAN: 1.00 MIN: 0"
    assert err.title[3] == "MAX: 3 MEAN: 0.05 MIN: 0"
    head = ["Client : c1", "Machines : m1", "Product type(s) : All" + " " * 22]
    assert lat.labels == tuple(enumerate(head)) + (
        (3, "Absolute max. lat. : 40 seconds"),
        (4, "Time of max. lat. : 2008-01-05 09:45:30"),
        (5, "File with max. lat. :f45"),
        (7, "# of files : 60 "),
        (8, "# of files over 15 seconds: 1 "),
        (9, "% of files over 15 seconds: 1.67 %"),
    )
    assert labels(byt) == head + [
        "Largest file : f59",
        "Size of largest file : 15000 Bytes",
        "Time of largest file : 2008-01-05 09:59:30",
        "# of files : 60 ",
        "# of Bytes: 465.00 kiloBytes ",
    ]
    assert labels(err) == head + [
        "Max error/minute : 3",
        "Time of max. : 2008-01-05 09:50:00",
        "# of errors : 3",
    ]
    assert labels(fil) == head + [
        "Max files/minute : 2",
        "Time of max. : 2008-01-05 09:30:00",
        "# of files : 60",
    ]
    # y formats: %7.2f for maxima < 5 (errors, filecount), %7.0f otherwise (§1.6, T-06)
    assert [p.y_format for p in pic.panels] == ["%7.2f", "%7.2f", "%7.0f", "%7.0f"]
    assert pic.xtics == (("09", 1199523600), ("10", 1199527200))
    assert lat.points[0] == (T("2008-01-05 09:00:00"), 0.0) and len(lat.points) == 60
    assert lat.points[45] == (T("2008-01-05 09:45:00"), 20.0)


def save_f1_entries(paths: StatsPaths) -> None:
    """Fixture F1 of spec §8 built entry by entry (statistics stored, as the original's
    pickles held them): minutes 30-59 have 2 files, latency mean 20.0 at minute 45 else 1.0,
    per-file maximum 2 x mean (a float), 2 files over the limit at minute 45, bytes
    1000 x (k - 29) with a per-file maximum of half, 3 errors at minute 50, every maximum at
    09:KK:30 in file f<k>."""
    c = FileStatsCollector("tx", F1_HOUR)
    for k, b in enumerate(c.buckets):
        zero = {s: 0.0 for s in ("latency", "bytecount", "errors")}
        b.totals, b.means, b.maximums, b.minimums = dict(zero), dict(zero), dict(zero), dict(zero)
        if k < 30:
            continue
        mean = 20.0 if k == 45 else 1.0
        when, name = F1_HOUR + k * 60 + 30, f"f{k}"
        b.nb_files, b.files_over_max_latency = 2, (2 if k == 45 else 0)
        b.totals = {
            "latency": 2 * mean,
            "bytecount": 1000 * (k - 29),
            "errors": 3.0 if k == 50 else 0.0,
        }
        b.means = {"latency": mean, "bytecount": 500 * (k - 29), "errors": 0.0}
        b.maximums = {
            "latency": 2 * mean,
            "bytecount": 500 * (k - 29),
            "errors": 3 if k == 50 else 0,
        }
        b.times_where_max = {"latency": when, "bytecount": when, "errors": when}
        b.files_where_max = {"latency": name, "bytecount": name, "errors": ""}
    c.note_filled()
    pickles.save(paths.hourly_pickle("c1", F1_HOUR, "tx", "m1"), c)


def test_spec_f1_entries_give_the_originals_texts(paths):
    """T-04/T-05 with the values the original GnuPlotter produced on F1 (floats kept as
    Python 2 printed them: 40.0)."""
    save_f1_entries(paths)
    by_type = panels_by_type(graphics.plan(paths, request()))
    lat = by_type["latency (seconds)"]
    assert lat.title[3] == "MAX: 20.00 MEAN: 0.82 MIN: 0.00"
    assert labels(lat)[3:] == [
        "Absolute max. lat. : 40.0 seconds",
        "Time of max. lat. : 2008-01-05 09:45:30",
        "File with max. lat. :f45",
        "# of files : 60 ",
        "# of files over 15 seconds: 2 ",
        "% of files over 15 seconds: 3.33 %",
    ]
    assert labels(by_type["Bytes/Minute"])[3:] == [
        "Largest file : f59",
        "Size of largest file : 15000 Bytes",
        "Time of largest file : 2008-01-05 09:59:30",
        "# of files : 60 ",
        "# of Bytes: 465.00 kiloBytes ",
    ]
    assert by_type["Bytes/Minute"].title[3] == "MAX: 30000 MEAN: 7750.00 MIN: 0"
    assert labels(by_type["Errors/Minute"])[3:] == [
        "Max error/minute : 3",
        "Time of max. : 2008-01-05 09:50:00",
        "# of errors : 3",
    ]
    assert by_type["Errors/Minute"].title[3] == "MAX: 3 MEAN: 0.05 MIN: 0"
    assert labels(by_type["Files/Minute"])[3:] == [
        "Max files/minute : 2",
        "Time of max. : 2008-01-05 09:30:00",
        "# of files : 60",
    ]


def bucket(start, nb_files, latency_max, when, name, over=0, total=0.0):
    b = Bucket(start, start + 60, ())
    b.nb_files, b.files_over_max_latency = nb_files, over
    b.totals = {"latency": total, "bytecount": 0.0, "errors": 0.0}
    b.means = {"latency": total / nb_files if nb_files else 0}
    b.maximums = {"latency": latency_max}
    b.times_where_max = {"latency": when}
    b.files_where_max = {"latency": name}
    return b


def test_latency_block_floats_long_names_and_first_maximum():
    """Float maxima keep Python 2's str(); a name over 50 characters gets its own line; the
    first minute reaching the maximum wins; the ratio is over the files."""
    start = T("2006-08-01 02:00:00")
    long_name = "WXB_amis_481:pxatx:CMC:BULLETIN:3:Direct:20060731180501"
    buckets = [
        bucket(start, 3, 29.999697795, start + 117, long_name, over=2, total=45.0),
        bucket(start + 60, 0, 0.0, 0, ""),
        bucket(start + 120, 4, 29.999697795, start + 150, "later", over=1, total=8.0),
    ]
    fig = figures.panel_figures(buckets, "latency", 15)
    lines = dict(figures.side_lines(fig, "tx", "amis", ("lvs1", "lvs2"), "All", "en"))
    assert lines[1] == "Machines : lvs1, lvs2"
    assert lines[3] == "Absolute max. lat. : 29.999697795 seconds"
    assert lines[4] == "Time of max. lat. : 2006-08-01 02:01:57"
    assert (lines[5], lines[6]) == ("File with max. lat. :", long_name)
    assert lines[7] == "# of files : 7 "
    assert lines[9] == "% of files over 15 seconds: 42.86 %"
    title = figures.title_lines(fig, "amis", 1, start + 3600, "en")
    assert title[3] == "MAX: 15.00 MEAN: 5.67 MIN: 0.00"  # (45/3 + 0 + 8/4) / 3 minutes
    fig = figures.panel_figures([bucket(start, 1, 40.0, start + 5, "f")], "latency", 15)
    assert (
        dict(figures.side_lines(fig, "tx", "c", ("m",), "All", "en"))[3]
        == "Absolute max. lat. : 40.0 seconds"
    )


def test_unit_scaling_long_largest_file_and_percentages(paths):
    big = "B" * 70
    rows = [
        (60, big, 20, 2_000_000_000, 0),
        (61, "small", 16, 600_000_000, 0),
        (120, "x", 1, 10, 0),
        (121, "y", 30, 10, 0),
    ]
    save_hour(paths, "big", "m1", F1_HOUR, rows)
    the_plan = graphics.plan(paths, request(clients=("big",), types=("bytecount", "latency")))
    byt, lat = the_plan.picture.panels
    assert labels(byt)[3:] == [
        "Largest file : ",
        big,
        "Size of largest file : 2000000000 Bytes",
        "Time of largest file : 2008-01-05 09:01:00",
        "# of files : 4 ",
        "# of Bytes: 2.60 GigaBytes ",
    ]
    assert [i for i, _ in byt.labels] == list(range(9))
    assert labels(lat)[3] == "Absolute max. lat. : 30 seconds"
    assert labels(lat)[-2:] == [
        "# of files over 15 seconds: 3 ",
        "% of files over 15 seconds: 75.00 %",
    ]
    assert byt.title[3] == "MAX: 2600000000 MEAN: 43333333.67 MIN: 0"  # 2600000020 / 60


def test_empty_period_statistics_and_png(paths, capsys):
    """T-10: no pickle in the period (a known client, which ran a week before): zero
    statistics, empty side values, a valid 4-panel PNG."""
    save_hour(paths, "ghost", "m1", T(F1_DATE) - 7 * 86400, [])
    status, out, err = run_cli(
        paths, "-c", "ghost", "-m", "m1", "-s", "24", "-d", F1_DATE, capsys=capsys
    )
    assert status == 0, err
    png = Path(out.strip())
    assert_valid_png(png, 1280, 1228)
    pic = graphics.plan(paths, request(clients=("ghost",), span=24)).picture
    lat = pic.panels[3]
    assert lat.title[3] == "MAX: 0.00 MEAN: 0.00 MIN: 0.00"
    assert all(p.title[3] == "MAX: 0 MEAN: 0.00 MIN: 0" for p in pic.panels[:3])
    assert labels(lat)[3:] == [
        "Absolute max. lat. :  seconds",
        "Time of max. lat. : ",
        "File with max. lat. :",
        "# of files : 0 ",
        "# of files over 15 seconds: 0 ",
        "% of files over 15 seconds: 0.00 %",
    ]
    assert labels(pic.panels[2])[3:] == [
        "Largest file : ",
        "Size of largest file :  Bytes",
        "Time of largest file : ",
        "# of files : 0 ",
        "# of Bytes: 0 Bytes ",
    ]
    assert all(p.y_format is None for p in pic.panels)
    assert len(lat.points) == 24 * 60


def test_unreadable_pickle_is_an_empty_hour(f1):
    """B-04: a corrupt pickle is logged and its hour left empty; the graphic is drawn."""
    bad = f1.hourly_pickle("c1", F1_HOUR - 3600, "tx", "m1")
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(b"\x80\x04garbage")
    pic = graphics.plan(f1, request(span=2)).picture
    assert pic.panels[1].title[3] == "MAX: 2 MEAN: 0.50 MIN: 0"


# -- data gathering (§1.4) -------------------------------------------------------------------------


def random_rows(rng, products=("WXB1", "GRIB", "SACN")):
    rows = []
    for _ in range(rng.randint(0, 400)):
        offset = rng.randrange(3600)
        if rng.random() < 0.1:
            rows.append((offset, "", 0, 0, 1))
        else:
            rows.append(
                (
                    offset,
                    f"{rng.choice(products)}_{rng.randrange(50)}",
                    rng.choice([0, 3, 15, 16, 40, 40]),
                    rng.choice([10, 500, 500, 9000]),
                    0,
                )
            )
    return rows


@pytest.mark.parametrize("products", [("All",), ("WXB",), ("G?IB", "SAC")])
def test_combined_figures_equal_merge_sources(paths, products):
    """Series combined minute by minute == the merged pickles of PickleMerging."""
    rng = random.Random(hash(products) & 0xFFFF)
    clients, machines = ("a", "b"), ("m1", "m2")
    for client in clients:
        for machine in machines:
            for hour in (F1_HOUR - 3600, F1_HOUR):
                if rng.random() < 0.85:
                    save_hour(paths, client, machine, hour, random_rows(rng))
    for combine, group in ((True, "G"), (True, ""), (False, "")):
        req = request(
            clients=clients,
            machines=machines,
            span=2,
            combine=combine,
            group=group,
            products=products,
        )
        series = graphics.gather(paths, req)
        names = [clients] if combine else [(c,) for c in clients]
        assert len(series) == len(names)
        for one, members in zip(series, names):
            merged = merge_sources(
                paths, req.start, req.end, list(members), "tx", list(machines), group or None
            )
            merged.compute_statistics(products)
            for data_type in req.types:
                assert figures.panel_figures(
                    one.buckets, data_type, one.max_latency
                ) == figures.panel_figures(merged.buckets, data_type, merged.max_latency)


def test_product_filter(paths):
    """T-13: -p WXB keeps only the rows whose product contains WXB; * is no filter."""
    rows = [
        (60, "WXB1", 20, 100, 0),
        (61, "GRIB", 40, 5000, 0),
        (62, "WXB1", 30, 200, 0),
        (120, "GRIB", 1, 7, 0),
    ]
    save_hour(paths, "p", "m1", F1_HOUR, rows)
    only = graphics.plan(paths, request(clients=("p",), products=("WXB",))).picture.panels
    every = graphics.plan(paths, request(clients=("p",), products=("*",))).picture.panels
    plain = graphics.plan(paths, request(clients=("p",))).picture.panels
    assert every == plain
    assert labels(only[3])[2] == "Product type(s) : WXB" + " " * 22
    assert labels(only[3])[3] == "Absolute max. lat. : 30 seconds"
    assert labels(only[1])[5] == "# of files : 2"
    assert labels(only[2])[3:6] == [
        "Largest file : WXB1",
        "Size of largest file : 200 Bytes",
        "Time of largest file : 2008-01-05 09:01:02",
    ]
    assert labels(plain[1])[5] == "# of files : 4"
    assert labels(plain[3])[3] == "Absolute max. lat. : 40 seconds"


def test_individual_order_and_combined_entities(paths):
    """T-11, T-12: panel order, side/title entities, folders and file names."""
    for client in ("a", "b"):
        save_hour(paths, client, "m1", F1_HOUR, [(60, "x", 3, 10, 0)])
    req = request(clients=("a", "b"), types=("latency", "bytecount"))
    pic = graphics.plan(paths, req).picture
    assert [(p.title[0].split()[2], p.line_type) for p in pic.panels] == [
        ("a", 1),
        ("a", 2),
        ("b", 1),
        ("b", 2),
    ]
    assert gnureq.image_path(paths, req).parent == paths.graphics / "others/gnuplot/a-b"
    grouped = request(clients=("a", "b"), types=("latency", "errors"), combine=True, group="G")
    the_plan = graphics.plan(paths, grouped)
    assert len(the_plan.picture.panels) == 2 and the_plan.picture.size == (1280, 614)
    assert the_plan.picture.panels[0].labels[0] == (0, "Group : G")
    assert the_plan.picture.panels[0].title[0].startswith("Latency for G for a span")
    assert the_plan.png.parent.name == "G" and the_plan.png.name.startswith("tx_G_")
    combined = request(clients=("a", "b"), types=("latency",), combine=True)
    the_plan = graphics.plan(paths, combined)
    assert the_plan.picture.panels[0].labels[0] == (0, "Client : a, b")
    assert the_plan.picture.panels[0].title[0].startswith("Latency for a for")  # B-07 kept
    assert the_plan.png.parent.name == "a-b" and the_plan.png.name.startswith("tx_a-b_")
    rx = request(clients=("a",), file_type="rx")
    assert graphics.plan(paths, rx).picture.panels[0].labels[0] == (0, "Source : a")


# -- the PNG, names and copies (T-01, T-02, T-03, T-08) --------------------------------------------


def test_f1_png_names_colours_and_copies(f1, capsys):
    status, out, err = run_cli(
        f1, "-c", "c1", "-m", "m1", "-s", "1", "-d", F1_DATE, "--copy", capsys=capsys
    )
    assert status == 0 and err == ""
    png = f1.graphics / "others" / "gnuplot" / "c1" / F1_NAME
    assert out == f"{png}\n"
    assert_valid_png(png, 1280, 1228)
    assert png.stat().st_mode & 0o777 == 0o644
    pixels = png_pixels(png)
    bands = [colours_in_band(pixels, j) for j in range(4)]
    for band, mine in zip(bands, (RED, BLUE, GREEN, PURPLE)):  # top to bottom
        assert mine in band
        assert not ({RED, BLUE, GREEN, PURPLE} - {mine}) & band
    archive = f1.graphics_archives / "daily" / "tx" / "c1" / "2008" / "January" / "05.png"
    columbo = f1.web_graphics / "columbo" / "c1_en.png"
    assert archive.read_bytes() == png.read_bytes() == columbo.read_bytes()
    leftovers = [p for p in f1.graphics.rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    for path in [*f1.graphics.rglob("*")]:
        assert path.stat().st_mode & 0o002 == 0  # T-33


@pytest.mark.parametrize(
    "types, file_type, height",
    [
        ("latency", "tx", 307),
        ("latency,errors", "tx", 614),
        ("All", "rx", 921),
        ("All", "tx", 1228),
    ],
)
def test_picture_height_per_panel_count(f1, capsys, types, file_type, height):
    if file_type == "rx":
        save_hour(f1, "c1", "m1", F1_HOUR, [], "rx")  # c1 is a source too
    status, out, err = run_cli(
        f1,
        "-c",
        "c1",
        "-m",
        "m1",
        "-s",
        "1",
        "-d",
        F1_DATE,
        "-t",
        types,
        "-f",
        file_type,
        capsys=capsys,
    )
    assert status == 0, err
    assert_valid_png(Path(out.strip()), 1280, height)


def test_archive_of_a_graphic_ending_at_midnight(paths):
    req = request(end=T("2008-01-06 00:20:00"), span=24, copy=True)
    assert (
        gnureq.archive_path(paths, req)
        == paths.graphics_archives / "daily/tx/c1/2008/January/05.png"
    )
    fr = request(end=T("2008-03-01 00:00:00"), span=24, copy=True, language="fr")
    assert (
        gnureq.archive_path(paths, fr)
        == paths.graphics_archives / "journalier/tx/c1/2008/Fevrier/29.png"
    )
    assert gnureq.columbo_path(paths, fr) == paths.web_graphics / "columbo/c1_fr.png"


def test_names_stay_within_name_max(paths):
    a = gnureq.file_name(request(clients=("a" * 200, "b" * 200), machines=("m" * 250,)))
    b = gnureq.file_name(request(clients=("a" * 200, "c" * 200), machines=("m" * 250,)))
    assert len(a.encode()) <= 255 and len(b.encode()) <= 255 and a != b
    assert a.startswith("tx_aaa") and a.endswith("_for_All_products.png")
    req = request(clients=("x[1]",), products=("W XB", "GR'IB"))
    assert gnureq.file_name(req) == (
        "tx_x1_20080105_10:00:00_errors,filecount,bytecount,"
        "latency_1hours_on_m1_for_WXB_GRIB_products.png"
    )
    assert gnureq.image_path(paths, request(clients=("n" * 80,))).parent.name == "n" * 50


# -- golden programs (§2.2, T-06) ------------------------------------------------------------------


def golden_case(paths, case):
    if case == "1client":
        save_hour(paths, "c1", "m1", F1_HOUR, f1_rows())
        return ["-c", "c1", "-m", "m1"]
    if case == "2clients":
        save_hour(paths, "amis", "m1", F1_HOUR, f1_rows())
        save_hour(
            paths,
            "satnet",
            "m1",
            F1_HOUR,
            [(k * 60, f"s{k}", k % 7, 100 * k, 0) for k in range(0, 60, 3)],
        )
        return ["-c", "amis,satnet", "-m", "m1", "-t", "latency,bytecount"]
    if case == "group":
        for machine, shift in (("m1", 0), ("m2", 7)):
            save_hour(paths, "a", machine, F1_HOUR, f1_rows())
            save_hour(
                paths,
                "b",
                machine,
                F1_HOUR,
                [
                    (k * 60 + shift, f"b{k}", (k + shift) % 25, 10, int(k % 11 == 0))
                    for k in range(60)
                ],
            )
        return [
            "-c",
            "a,b",
            "-m",
            "m1,m2",
            "--combineClients",
            "-g",
            "AllXy",
            "-t",
            "latency,errors",
        ]
    save_hour(paths, "ghost", "m1", F1_HOUR - 7 * 86400, [])  # known, but not in the period
    return ["-c", "ghost", "-m", "m1"]  # empty period


@pytest.mark.parametrize("case", ["1client", "2clients", "group", "empty"])
def test_golden_programs(paths, capsysbinary, case):
    args = golden_case(paths, case) + ["-s", "1", "-d", F1_DATE, "--dry-run"]
    assert cli.main(["--root", str(paths.root), *args]) == 0
    first = capsysbinary.readouterr().out
    assert cli.main(["--root", str(paths.root), *args]) == 0
    assert capsysbinary.readouterr().out == first  # byte-identical (T-06)
    assert not paths.graphics.exists()  # a dry run draws nothing
    golden = GOLDEN / f"gnuplot_{case}.gp"
    if UPDATE_GOLDEN:
        golden.write_bytes(first)
    assert first == golden.read_bytes()
    text = first.decode("latin-1")
    assert "noenhanced" in text.splitlines()[0]
    assert "set xtics ('09' 1199523600, '10' 1199527200)" in text
    assert text.endswith("unset multiplot\nset output\n")
    assert not re.search(r'(?m)^(set (label|title|ylabel|xlabel|output)) "', text)


def test_golden_program_draws(paths, tmp_path):
    """The golden single-client program is a valid gnuplot program."""
    out = tmp_path / "golden.png"
    render.render((GOLDEN / "gnuplot_1client.gp").read_bytes(), out, size=(1280, 1228))
    assert_valid_png(out, 1280, 1228)


# -- French (§6, T-07, T-32) -----------------------------------------------------------------------


def test_french_graphic(f1, capsys):
    status, out, err = run_cli(
        f1,
        "-c",
        "c1",
        "-m",
        "m1",
        "-s",
        "1",
        "-d",
        F1_DATE,
        "-o",
        "fr",
        "-t",
        "erreurs,nbreDeFichiers,nbreDeBytes,latence",
        "--copy",
        capsys=capsys,
    )
    assert status == 0, err
    png = (
        f1.graphics
        / "autres"
        / "gnuplot"
        / "c1"
        / "tx_c1_20080105_10:00:00_erreurs,nbreDeFichiers,nbreDeBytes,latence_1heures_sur_m1"
        "_pour_les_produits_Tous.png"
    )
    assert out == f"{png}\n"
    assert_valid_png(png, 1280, 1228)
    assert (f1.graphics_archives / "journalier/tx/c1/2008/Janvier/05.png").exists()
    assert (f1.web_graphics / "columbo/c1_fr.png").exists()
    the_plan = graphics.plan(f1, request(language="fr"))
    lat = the_plan.picture.panels[3]
    assert lat.title == (
        "Latence pour c1 pour une durée de 1 heures se terminant le 2008-01-05 10:00:00",
        "Avec des valeurs arrondies pour chaques minutes.",
        "",
        "MAX: 20.00 MOYENNE: 0.82 MIN: 0.00",
    )
    assert labels(lat)[2:] == [
        "Types de produits : Tous" + " " * 21,
        "Max. abs. latence : 40 seconds",
        "Temps de la max. lat. : 2008-01-05 09:45:30",
        "Fichier avec la max. lat. :f45",
        "# de fichiers : 60 ",
        "# de latences au dela de 15 secondes: 1 ",
        "% de latences au dela de 15 seconds: 1.67 %",
    ]
    assert labels(the_plan.picture.panels[0])[3:] == [
        "Maximum d'erreurs/minute : 3",
        "Temps du maximum : 2008-01-05 09:50:00",
        "# d'erreurs : 3",
    ]
    assert the_plan.picture.xlabel == "temps(en heures)"
    program = script.encode(the_plan.program)
    assert b"pour une dur\xe9e de 1 heures" in program
    assert program.decode("latin-1").count("Erreurs/Minute") == 1


def test_french_main_language_defaults(f1, capsys):
    config = (REPO / "etc" / "config.sample").read_text()
    config = re.sub(r"(?m)^mainApplicationLanguage\s*=.*$", "mainApplicationLanguage = fr", config)
    (f1.root / "etc").mkdir()
    (f1.root / "etc" / "config").write_text(config)
    status, out, err = run_cli(
        f1, "-c", "c1", "-m", "m1", "-s", "1", "-d", F1_DATE, "-t", "latence", capsys=capsys
    )
    assert status == 0, err
    assert out.strip().endswith("_latence_1heures_sur_m1_pour_les_produits_Tous.png")
    assert_valid_png(Path(out.strip()), 1280, 307)
    status, out, err = run_cli(f1, "-c", "c1", "-f", "rx", "-t", "latence", capsys=capsys)
    assert status == 2
    assert "['erreurs', 'nbreDeFichiers', 'nbreDeBytes']" in err


# -- escaping (§2.4, T-14) -------------------------------------------------------------------------


def test_injection_in_a_file_name_is_drawn_literally(paths, tmp_path):
    marker = Path(f"/tmp/pwned_{os.getpid()}")
    evil = f"x`touch {marker}`\"y'z"
    assert not marker.exists()
    save_hour(paths, "c1", "m1", F1_HOUR, f1_rows(max_file=evil))
    req = request(types=("latency",))
    the_plan = graphics.plan(paths, req)
    assert "set label 'File with max. lat. :x`touch %s`\"y''z' at" % marker in the_plan.program
    done = graphics.produce(paths, req)
    assert_valid_png(done.png, 1280, 307)
    assert not marker.exists()


def test_injection_in_names_runs_nothing(paths, capsys):
    """Backquotes, quotes and ';' in client and group names are text; a name that could
    leave its folder is refused."""
    client = "x`cd ..;touch PWNED`'y\""
    save_hour(paths, client, "m1", F1_HOUR, f1_rows())
    done = graphics.produce(paths, request(clients=(client,), types=("errors",)))
    assert_valid_png(done.png, 1280, 307)
    save_hour(paths, client.replace(" ", ""), "m1", F1_HOUR, f1_rows())  # -c drops blanks
    status, out, err = run_cli(
        paths,
        "-c",
        client,
        "-m",
        "m1",
        "-s",
        "1",
        "-d",
        F1_DATE,
        "--combineClients",
        "-g",
        "g`cd${IFS}..;touch${IFS}PWNED`",
        "-t",
        "latency",
        capsys=capsys,
    )
    assert status == 0, err
    assert Path(out.strip()).parent.name == "g`cd${IFS}..;touch${IFS}PWNED`"
    assert_valid_png(Path(out.strip()), 1280, 307)
    assert not [p for p in paths.root.rglob("*PWNED*") if p.name == "PWNED"]
    marker = Path(f"/tmp/pwned_{os.getpid()}")
    status, out, err = run_cli(
        paths, "-c", f"x`touch {marker}`y", "-m", "m1", "-s", "1", "-d", F1_DATE, capsys=capsys
    )
    assert status == 2 and "invalid client name" in err
    assert not marker.exists()


def test_newlines_cannot_break_out_of_a_string():
    pic = script.Picture(
        (
            script.Panel(
                1,
                "y\nset output '/tmp/evil.png'",
                ("t'\n'", ""),
                ((0, "a\r\nsystem('touch /tmp/evil')"),),
                ((0, 1.0), (60, 2.0)),
            ),
        ),
        "x",
        (("00", 0),),
    )
    text = script.program(pic)
    assert not re.search(r"(?m)^(set output '/|system)", text)
    assert "set ylabel 'y?set output ''/tmp/evil.png'''" in text
    assert "set title 't''?'''.\"\\n\".''" in text


# -- validation (§1.2, T-09) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["-f", "xx"], "File type must be either tx or rx"),
        (["-s", "0"], "argument -s/--span: 0 is not between 1 and 744"),
        (["-s", "100000"], "argument -s/--span: 100000 is not between 1 and 744"),
        (["-s", "99999999999999999999999"], "is not between 1 and 744"),
        (["-s", "x"], "not a whole number"),
        (["-d", "2008-13-01"], "The date format must be YYYY-MM-DD HH:MM:SS"),
        (["-d", "2008-13-01 10:00:00"], "The date format must be YYYY-MM-DD HH:MM:SS"),
        (["-g", "G"], "requires the --combineClients"),
        (["-f", "rx", "-t", "latency"], "With rx fileType, possible data types values are"),
        (["-t", "latency,speed"], "With tx fileType, possible data types values are"),
        (["-o", "de"], "de is not one of the supported languages"),
        (["-c", ""], "No client or source given"),
        (["-c", " , "], "No client or source given"),
        (["-c", "a/b"], "invalid client name"),
        (["-c", ".."], "invalid client name"),
        (["-m", "../m"], "invalid machine name"),
        (["-p", "a/b"], "invalid product pattern"),
        (["--combineClients", "-g", "../x"], "invalid group name"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_validation_errors(f1, capsys, args, message):
    base = {"-c": "c1", "-m": "m1", "-d": F1_DATE, "-s": "1"}
    for key in list(base):
        if key in args:
            del base[key]
    argv = [x for kv in base.items() for x in kv] + args
    status, out, err = run_cli(f1, *argv, capsys=capsys)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("generateGraphics: error: ")
    assert message in err
    assert not f1.graphics.exists() and not f1.logs.exists()


def test_gnuplot_failures_are_one_line(f1, tmp_path, capsys, monkeypatch):
    with pytest.raises(render.GnuplotError, match=r"^gnuplot failed \(status 1\): line \d+: "):
        render.render("plot sin(x) with fooo\n", tmp_path / "out" / "x.png")
    assert list((tmp_path / "out").iterdir()) == []  # no PNG, private folder removed
    monkeypatch.setenv("PATH", str(tmp_path))  # no gnuplot
    status, out, err = run_cli(f1, "-c", "c1", "-m", "m1", "-d", F1_DATE, capsys=capsys)
    assert (
        status == 1
        and err
        == "generateGraphics: error: gnuplot is not installed (Debian package gnuplot-nox)\n"
    )


def test_concurrent_runs_leave_a_valid_png(f1):
    """T-15: no partial PNG under the final name; two runs of the same graphic both succeed."""
    req = request()
    errors = []

    def draw():
        try:
            graphics.produce(f1, req)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=draw) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    png = gnureq.image_path(f1, req)
    assert_valid_png(png, 1280, 1228)
    assert [p.name for p in png.parent.iterdir()] == [png.name]


# -- wildcards (§1.3) ------------------------------------------------------------------------------


def test_wildcards_expand_to_names_having_run(f1, capsysbinary):
    updated = T("2008-01-05 09:30:00")
    for name, when in (
        ("satnet", updated),
        ("satx", updated),
        ("sat_old", T("2007-01-01 00:00:00")),
        ("amis", updated),
    ):
        db = f1.current_databases / "latency" / f"{name}_m1"
        db.parent.mkdir(parents=True, exist_ok=True)
        db.write_bytes(b"")
        times = f1.current_databases_updates / "tx" / f"{name}_m1"
        times.parent.mkdir(parents=True, exist_ok=True)
        times.write_text(str(when))
    assert graphics.expand_names(f1, ["c1", "sat*"], "tx", ["m1"], T(F1_DATE), 1) == [
        "c1",
        "satnet",
        "satx",
    ]
    assert graphics.expand_names(f1, ["sat?et"], "rx", ["m1"], T(F1_DATE), 1) == []
    assert (
        cli.main(
            [
                "--root",
                str(f1.root),
                "-c",
                "sat*",
                "-m",
                "m1",
                "-s",
                "1",
                "-d",
                F1_DATE,
                "-t",
                "latency",
                "--dry-run",
            ]
        )
        == 0
    )
    program = capsysbinary.readouterr().out.decode("latin-1")
    assert "'Client : satnet'" in program and "'Client : satx'" in program
    assert (
        cli.main(["--root", str(f1.root), "-c", "zz*", "-m", "m1", "-d", F1_DATE]) == 1
    )  # issue 10: unknown


# -- manual page -----------------------------------------------------------------------------------


def test_manual_page_matches_help():
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / "generateGraphics.1", cli.build_parser()
    )


@pytest.mark.parametrize(
    "args,named",
    [
        (
            ["-c", "c11", "-m", "m1"],
            "unknown client 'c11' with tx pickles on m1; closest known: c1",
        ),
        (["-c", "c1", "-m", "m3"], "unknown machine 'm3' (no pickles of it); known: m1"),
        (
            ["-c", "c1", "-f", "rx", "-m", "m1"],
            "unknown source 'c1' with rx pickles on m1; no source is known",
        ),
        (["-c", "z*", "-m", "m1"], "No client or source matching z* ran during the period."),
    ],
)
def test_issue10_item1_unknown_names_are_refused(f1, capsys, args, named):
    """`generateGraphics -c satnett`, `-m pxatx3` or `-f rx` on a tx client drew a blank PNG
    and exited 0: now exit 1, one line with the closest known names, nothing drawn."""
    status, out, err = run_cli(f1, *args, "-d", F1_DATE, capsys=capsys)
    assert (status, out) == (1, "")
    assert err.splitlines() == [f"generateGraphics: error: {named}"]
    assert not (f1.graphics / "others").exists()
