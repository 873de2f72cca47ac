"""csvDataConversion: periods, rows, figures, columns, file names, French output, option
errors, atomic writes, manual page (spec graphics_web.md §4.7.1, B-02, B-28..B-30,
T-28..T-30). Real rrdtool: databases are created with the project's schema and filled with
per-minute values whose figures are computed by hand."""

import os
import shutil
import stat
import subprocess

import pytest
from helpers import REPO, T, make_client
from manpage import assert_manual_page_matches_help

from pxstats.actions import csv_export as csvexport
from pxstats.cli import csvDataConversion as cli
from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.util import timeutil
from pxstats.util.numbers import py2_str

TX_HEADER = (
    "clients,latency min,latency max,latency mean,latency total,bytecount min,"
    "bytecount max,bytecount mean,bytecount total,errors min,errors max,errors mean,"
    "errors total,filesOverMaxLatency min,filesOverMaxLatency max,"
    "filesOverMaxLatency mean,filesOverMaxLatency total,filecount min,filecount max,"
    "filecount mean,filecount total"
)
RX_HEADER = (
    "sources,bytecount min,bytecount max,bytecount mean,bytecount total,errors min,"
    "errors max,errors mean,errors total,filecount min,filecount max,filecount mean,"
    "filecount total"
)
DATE_ERROR = (
    "The date format must be YYYY-MM-DD HH:MM:SS, also YYYY-MM-DD, YYYY-MM-DD HH or "
    "YYYY-MM-DD HH:MM, T for the space"
)
WEEK_START = T("2007-12-30 00:00:00")  # T-28: the week before 2008-01-09
WEEK_END = T("2008-01-06 00:00:00")
T28 = [
    "-w",
    "--fixedPrevious",
    "--date",
    "2008-01-09 10:00:00",
    "-f",
    "tx",
    "--machines",
    "tag1",
    "--machinesAreClusters",
]


# -- helpers --------------------------------------------------------------------------------------


def by_day(t):
    """Weekly fixture value: 1 on the first day of the week, ..., 7 on the last."""
    return float((t - WEEK_START) // 86400 + 1)


def write_config(root, groups="", language="en"):
    (root / "etc").mkdir(exist_ok=True)
    config = (REPO / "etc/config.sample").read_text().split("[specialGroups]")[0]
    config = config.replace("mainApplicationLanguage = en", f"mainApplicationLanguage = {language}")
    (root / "etc/config").write_text(config + "[specialGroups]\n" + groups)
    (root / "etc/configForMachines").write_text(
        "tag1 machine1,machine2 login1,login1\ntag2 machine3 login1\n"
    )


def run(root, *argv):
    return cli.main(["--root", str(root), *argv])


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def csv_lines(path):
    text = path.read_text()
    assert text.endswith("\n") and "\r" not in text and '"' not in text
    return text.splitlines()


@pytest.fixture
def root(tmp_path):
    (tmp_path / "data").mkdir()
    return tmp_path


@pytest.fixture(scope="module")
def week_template(tmp_path_factory):
    """tx data of the week 2007-12-30 -> 2008-01-06 (value = day of the week, 1..7):
    c1 on tag1 (machine1machine2) updated up to the end of the week; c2 there too but last
    updated before the week (did not run); c3 on tag1 without its errors database and on
    tag2 (machine3); group G on tag1, group H on tag2, rx group R on tag1."""
    root = tmp_path_factory.mktemp("week")
    (root / "data").mkdir()
    paths = StatsPaths(root)
    write_config(root, "G = tag1 tx c1,c3 *\nH = tag2 tx c3 *\nR = tag1 rx s1 *\n")
    minutes = 7 * 1440
    m12 = ["machine1", "machine2"]
    make_client(paths, "c1", m12, WEEK_START, minutes, by_day, time_of_update=WEEK_END)
    make_client(paths, "c2", m12, WEEK_START, minutes, by_day, time_of_update=WEEK_START - 86400)
    make_client(
        paths,
        "c3",
        m12,
        WEEK_START,
        minutes,
        by_day,
        time_of_update=WEEK_END,
        types=["latency", "bytecount", "filesOverMaxLatency", "filecount"],
    )
    make_client(
        paths, "c3", ["machine3"], WEEK_START, minutes, lambda t: 2.0, time_of_update=WEEK_END
    )
    make_client(paths, "G", m12, WEEK_START, minutes, lambda t: 5.0, time_of_update=WEEK_END)
    make_client(
        paths, "H", ["machine3"], WEEK_START, minutes, lambda t: 3.0, time_of_update=WEEK_END
    )
    make_client(
        paths, "R", m12, WEEK_START, minutes, lambda t: 1.0, file_type="rx", time_of_update=WEEK_END
    )
    return root


@pytest.fixture
def week(week_template, root):
    """A fresh copy of the week's databases and configuration in the test's root."""
    shutil.copytree(week_template / "data", root / "data", dirs_exist_ok=True)
    shutil.copytree(week_template / "etc", root / "etc")
    return StatsPaths(root)


# Weekly figures (hourly points): c1 per day 1..7 -> min 1, max 7, mean 4, total 60*24*28.
C1 = ",".join(["1.0,7.0,4.0,40320.0"] * 5)


# -- periods (§4.7.1, T-28, T-30) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "period, fixed, date, expected",
    [
        ("daily", None, "2008-01-05 10:17:00", ("2008-01-04 10:17:00", "2008-01-05 10:17:00")),
        ("daily", "current", "2008-01-05 10:17:00", ("2008-01-05 00:00:00", "2008-01-06 00:00:00")),
        (
            "daily",
            "previous",
            "2008-01-05 10:17:00",
            ("2008-01-04 00:00:00", "2008-01-05 00:00:00"),
        ),
        ("weekly", None, "2008-01-09 10:00:00", ("2008-01-02 10:00:00", "2008-01-09 10:00:00")),
        (
            "weekly",
            "previous",
            "2008-01-09 10:00:00",
            ("2007-12-30 00:00:00", "2008-01-06 00:00:00"),
        ),
        (
            "weekly",
            "previous",
            "2008-01-06 10:00:00",
            ("2007-12-30 00:00:00", "2008-01-06 00:00:00"),
        ),
        (
            "weekly",
            "current",
            "2008-01-09 10:00:00",
            ("2008-01-06 00:00:00", "2008-01-13 00:00:00"),
        ),
        ("monthly", None, "2008-03-31 00:00:00", ("2008-03-01 00:00:00", "2008-03-31 00:00:00")),
        (
            "monthly",
            "previous",
            "2008-01-15 00:00:00",
            ("2007-12-01 00:00:00", "2008-01-01 00:00:00"),
        ),
        (
            "monthly",
            "previous",
            "2008-03-15 00:00:00",
            ("2008-02-01 00:00:00", "2008-03-01 00:00:00"),
        ),
        (
            "monthly",
            "current",
            "2007-12-15 00:00:00",
            ("2007-12-01 00:00:00", "2008-01-01 00:00:00"),
        ),
        ("yearly", None, "2008-03-01 00:00:00", ("2007-03-02 00:00:00", "2008-03-01 00:00:00")),
        (
            "yearly",
            "previous",
            "2008-03-01 00:00:00",
            ("2007-01-01 00:00:00", "2008-01-01 00:00:00"),
        ),
        (
            "yearly",
            "current",
            "2008-03-01 00:00:00",
            ("2008-01-01 00:00:00", "2009-01-01 00:00:00"),
        ),
    ],
)
def test_period_windows(period, fixed, date, expected):
    start, end = csvexport.period_window(T(date), period, fixed == "current", fixed == "previous")
    assert (timeutil.iso(start), timeutil.iso(end)) == expected


@pytest.mark.parametrize(
    "period, language, start, tail",
    [
        ("daily", "en", "2008-01-04 10:17:00", "daily/tx/tag1/2008/January/04.csv"),
        ("weekly", "en", "2007-12-30 00:00:00", "weekly/tx/tag1/2007/52.csv"),
        ("monthly", "en", "2007-12-01 00:00:00", "monthly/tx/tag1/2007/December.csv"),
        ("yearly", "en", "2007-01-01 00:00:00", "yearly/tx/tag1/2007.csv"),
        ("daily", "fr", "2008-02-04 00:00:00", "journalier/tx/tag1/2008/Fevrier/04.csv"),
        ("weekly", "fr", "2007-12-30 00:00:00", "hebdomadaire/tx/tag1/2007/52.csv"),
        ("monthly", "fr", "2007-12-01 00:00:00", "mensuel/tx/tag1/2007/Decembre.csv"),
        ("yearly", "fr", "2007-01-01 00:00:00", "annuel/tx/tag1/2007.csv"),
    ],
)
def test_csv_path(root, period, language, start, tail):
    paths = StatsPaths(root)
    path = csvexport.csv_path(paths, period, "tx", "tag1", T(start), language)
    assert path == root / "data/csvFiles" / tail


def test_machines_string_names_the_folder(root):
    assert csvexport.machines_string("pds5, 'pds6',\"pds7\"") == "pds5pds6pds7"
    path = csvexport.csv_path(
        StatsPaths(root), "yearly", "rx", "pds5,pds6", T("2007-01-01 00:00:00")
    )
    assert path == root / "data/csvFiles/yearly/rx/pds5pds6/2007.csv"


# -- columns (T-29) -------------------------------------------------------------------------------


def test_headers():
    assert csvexport.header("tx") == TX_HEADER
    assert csvexport.header("rx") == RX_HEADER
    assert csvexport.header("tx", "fr") == (
        "clients,latence min,latence max,latence mean,latence total,nbreDeBytes min,"
        "nbreDeBytes max,nbreDeBytes mean,nbreDeBytes total,erreurs min,erreurs max,"
        "erreurs mean,erreurs total,fichiersAvecLatenceInnacceptable min,"
        "fichiersAvecLatenceInnacceptable max,fichiersAvecLatenceInnacceptable mean,"
        "fichiersAvecLatenceInnacceptable total,nbreDeFichiers min,nbreDeFichiers max,"
        "nbreDeFichiers mean,nbreDeFichiers total"
    )
    assert csvexport.header("rx", "fr").startswith("sources,nbreDeBytes min,")


def test_render_writes_none_and_keeps_every_line():
    full = csvexport.Figures(1, 2.5, 1.75, 35.0)
    empty = csvexport.Figures.empty()
    text = csvexport.render(
        "rx",
        "en",
        [
            ("a", "m1", {"bytecount": empty, "errors": full, "filecount": full}),
            ("a", "m2", {"bytecount": full, "errors": full, "filecount": full}),
        ],
    )
    assert text == (
        RX_HEADER + "\n"
        "a on m1,None,None,None,None,1,2.5,1.75,35.0,1,2.5,1.75,35.0\n"
        "a on m2,1,2.5,1.75,35.0,1,2.5,1.75,35.0,1,2.5,1.75,35.0\n"
    )


# Python 2 str() of floats, as the original wrote every cell (issue 10 item 12); the right
# column was printed by Python 2.7.18.
PY2_STR = [
    (3421.5000000000005, "3421.5"),
    (0.1 + 0.2, "0.3"),
    (1 / 3, "0.333333333333"),
    (15000.0, "15000.0"),
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (100.0, "100.0"),
    (99999999999.0, "99999999999.0"),
    (123456789012.0, "1.23456789012e+11"),
    (1e11, "1e+11"),
    (123456789010.5, "1.2345678901e+11"),
    (1e15, "1e+15"),
    (1e16, "1e+16"),
    (1234567890123.0, "1.23456789012e+12"),
    (1000000000004.0, "1e+12"),
    (1000000000005.0, "1.00000000000e+12"),
    (1000000000015.0, "1.00000000002e+12"),
    (57827072603050.0, "5.78270726030e+13"),
    (10000000000005.0, "1e+13"),
    (123456.7890123456, "123456.789012"),
    (0.0001, "0.0001"),
    (1e-05, "1e-05"),
    (5e-324, "4.94065645841e-324"),
    (1.7976931348623157e308, "1.79769313486e+308"),
    (float("inf"), "inf"),
    (float("-inf"), "-inf"),
    (float("nan"), "nan"),
    (7, "7"),
    (None, "None"),
]


@pytest.mark.parametrize("value, text", PY2_STR)
def test_values_as_python2_printed_them(value, text):
    assert csvexport.value_text(value) == text


def test_comma_machines_and_python2_values(root, capsys):
    """Issue 10 item 12: `-c satnet --machines pxatx1,pxatx2` finds the databases of both
    machines together (satnet_pxatx1pxatx2, as transferPickleToRRD -m pxatx1,pxatx2 names
    them), and the cells read 0.1 (Python 2 str), not 0.09999999999999999."""
    paths = StatsPaths(root)
    day = T("2026-11-20 00:00:00")
    make_client(
        paths, "satnet", ["pxatx1", "pxatx2"], day, 1440, lambda t: 0.1, time_of_update=day + 86400
    )
    make_client(paths, "other", ["pxatx1"], day, 1440, lambda t: 2.0, time_of_update=day + 86400)
    argv = ["-d", "--fixedCurrent", "--date", "2026-11-20 12:00:00", "--machines", "pxatx1,pxatx2"]
    assert run(root, *argv, "-c", "satnet") == 0
    path = root / "data/csvFiles/daily/tx/pxatx1pxatx2/2026/November/20.csv"
    assert capsys.readouterr().out == f"generated filename : {path}\n"
    point = sum([0.1] * 10) / 10  # a 10-minute point of 0.1 per minute
    assert str(point) == "0.09999999999999999"  # what Python 3's str() wrote
    total = sum([point] * 144) * 10
    assert str(total) != py2_str(total) == "144.0"
    assert csv_lines(path) == [
        TX_HEADER,
        "satnet on pxatx1pxatx2," + ",".join(["0.1,0.1,0.1,144.0"] * 5),
    ]
    # every name: each machine on its own and both together
    assert run(root, *argv) == 0
    assert csv_lines(path)[1:] == [
        "other on pxatx1," + ",".join(["2.0,2.0,2.0,2880.0"] * 5),
        "satnet on pxatx1pxatx2," + ",".join(["0.1,0.1,0.1,144.0"] * 5),
    ]
    capsys.readouterr()
    assert run(root, *argv, "-c", "satnett") == 1
    assert capsys.readouterr().err == (
        "csvDataConversion: error: unknown client 'satnett' (no tx database on pxatx1 or pxatx2 "
        "or pxatx1pxatx2); closest known: satnet\n"
    )
    # patterns: the names with databases that match, on every machine set
    assert run(root, *argv, "-c", "s*,oth?r") == 0
    assert len(csv_lines(path)) == 3
    assert run(root, *argv, "-c", "sat*") == 0
    assert csv_lines(path)[1:] == ["satnet on pxatx1pxatx2," + ",".join(["0.1,0.1,0.1,144.0"] * 5)]
    capsys.readouterr()
    assert run(root, *argv, "-c", "satnet,zz*") == 1
    assert capsys.readouterr().err == (
        "csvDataConversion: error: unknown client pattern 'zz*' (no tx database on pxatx1 or "
        "pxatx2 or pxatx1pxatx2); known: other, satnet\n"
    )


# -- the T-28 run ---------------------------------------------------------------------------------


def test_t28_weekly_fixed_previous(week, root, capsys):
    assert run(root, *T28, "-l", "en") == 0
    out, err = capsys.readouterr()
    path = root / "data/csvFiles/weekly/tx/tag1/2007/52.csv"
    assert out == f"generated filename : {path}\n" and err == ""
    # c2 did not run during the week; groups only with --includeGroups.
    assert csv_lines(path) == [
        TX_HEADER,
        f"c1 on machine1machine2,{C1}",
        "c3 on machine1machine2,1.0,7.0,4.0,40320.0,1.0,7.0,4.0,40320.0,None,None,None,None,"
        "1.0,7.0,4.0,40320.0,1.0,7.0,4.0,40320.0",
    ]
    assert files_under(root / "data/csvFiles") == ["weekly/tx/tag1/2007/52.csv"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_groups_and_several_tags(week, root, capsys):
    """Names sorted, machines sorted; a missing value does not drop the name's other lines;
    groups of the file type on the searched machines, on their own machines."""
    assert (
        run(root, *T28[:-3], "--machines", "tag2, tag1", "--machinesAreClusters", "--includeGroups")
        == 0
    )
    path = root / "data/csvFiles/weekly/tx/tag2tag1/2007/52.csv"
    assert capsys.readouterr().out == f"generated filename : {path}\n"
    two = ",".join(["2.0,2.0,2.0,20160.0"] * 5)
    assert csv_lines(path) == [
        TX_HEADER,
        f"G on machine1machine2,{','.join(['5.0,5.0,5.0,50400.0'] * 5)}",
        f"H on machine3,{','.join(['3.0,3.0,3.0,30240.0'] * 5)}",
        f"c1 on machine1machine2,{C1}",
        "c3 on machine1machine2,1.0,7.0,4.0,40320.0,1.0,7.0,4.0,40320.0,None,None,None,None,"
        "1.0,7.0,4.0,40320.0,1.0,7.0,4.0,40320.0",
        f"c3 on machine3,{two}",
    ]


def test_include_groups_without_clusters(week, root):
    """The original used an undefined variable here (B-28)."""
    assert run(root, *T28[:-3], "--machines", "machine1machine2", "--includeGroups") == 0
    lines = csv_lines(root / "data/csvFiles/weekly/tx/machine1machine2/2007/52.csv")
    assert [l.split(",")[0] for l in lines[1:]] == [
        "G on machine1machine2",
        "c1 on machine1machine2",
        "c3 on machine1machine2",
    ]


def test_rx_rows(week, root):
    assert (
        run(
            root,
            *T28[:-5],
            "-f",
            "rx",
            "--machines",
            "tag1",
            "--machinesAreClusters",
            "--includeGroups",
        )
        == 0
    )
    lines = csv_lines(root / "data/csvFiles/weekly/rx/tag1/2007/52.csv")
    assert lines == [RX_HEADER, "R on machine1machine2," + ",".join(["1.0,1.0,1.0,10080.0"] * 3)]


def test_machines_values_searched_one_by_one(week, root):
    """Without --machinesAreClusters each value is a machine (set) name of its own."""
    assert run(root, *T28[:-3], "--machines", "machine3,machine1") == 0
    lines = csv_lines(root / "data/csvFiles/weekly/tx/machine3machine1/2007/52.csv")
    assert lines == [TX_HEADER, "c3 on machine3," + ",".join(["2.0,2.0,2.0,20160.0"] * 5)]


def test_clients_option_lists_the_given_names(week, root, capsys):
    assert run(root, *T28, "-c", "c2,c1") == 0
    lines = csv_lines(root / "data/csvFiles/weekly/tx/tag1/2007/52.csv")
    assert lines == [TX_HEADER, f"c1 on machine1machine2,{C1}", f"c2 on machine1machine2,{C1}"]
    # A group name too, on the searched machines (its database has the same form).
    assert run(root, *T28, "-c", "G") == 0
    lines = csv_lines(root / "data/csvFiles/weekly/tx/tag1/2007/52.csv")
    assert lines == [TX_HEADER, "G on machine1machine2," + ",".join(["5.0,5.0,5.0,50400.0"] * 5)]
    capsys.readouterr()
    assert run(root, *T28, "-c", "c1,c4") == 1
    assert capsys.readouterr().err == (
        "csvDataConversion: error: unknown client 'c4' (no tx database on machine1machine2); "
        "known: G, c1, c2, c3\n"
    )


def test_no_name_gives_the_header_only(week, root):
    assert (
        run(
            root,
            "-m",
            "--fixedPrevious",
            "--date",
            "2008-03-09 10:00:00",
            "--machines",
            "tag1",
            "--machinesAreClusters",
        )
        == 0
    )
    path = root / "data/csvFiles/monthly/tx/tag1/2008/February.csv"
    assert csv_lines(path) == [TX_HEADER]


# -- figures at the other resolutions -------------------------------------------------------------


def test_daily_figures_ten_minute_points(root):
    """1-minute rows averaged into 10-minute points; a 10-minute gap is no point at all."""
    paths = StatsPaths(root)
    day = T("2024-01-15 00:00:00")

    def value(t):
        minute = (t - day) // 60
        if 600 <= minute < 610:
            return None
        return 1.0 if minute < 720 else 3.0

    make_client(
        paths,
        "a",
        ["m1"],
        day,
        1440,
        value,
        time_of_update=day + 86400,
        types=["latency", "bytecount", "errors", "filesOverMaxLatency", "filecount"],
    )
    assert (
        run(root, "-d", "--fixedPrevious", "--date", "2024-01-16 05:00:00", "--machines", "m1") == 0
    )
    lines = csv_lines(root / "data/csvFiles/daily/tx/m1/2024/January/15.csv")
    points = [1.0] * 71 + [3.0] * 72
    one = f"1.0,3.0,{py2_str(sum(points) / len(points))},{sum(points) * 10}"
    assert one == "1.0,3.0,2.00699300699,2870.0"  # Python 2 str(287 / 143.0)
    assert lines == [TX_HEADER, "a on m1," + ",".join([one] * 5)]


def test_yearly_figures_daily_points(root):
    """Yearly: daily rows; days without data are no points; total = sum x 1440."""
    paths = StatsPaths(root)
    first = T("2007-01-01 00:00:00")
    make_client(
        paths,
        "s1",
        ["m1"],
        first,
        3 * 1440,
        lambda t: float((t - first) // 86400 + 1),
        file_type="rx",
        time_of_update=first + 3 * 86400,
    )
    assert (
        run(
            root,
            "-y",
            "--fixedPrevious",
            "--date",
            "2008-03-01 12:00:00",
            "-f",
            "rx",
            "--machines",
            "m1",
            "-l",
            "fr",
        )
        == 0
    )
    lines = csv_lines(root / "data/csvFiles/annuel/rx/m1/2007.csv")
    assert lines[0] == csvexport.header("rx", "fr")
    assert lines[1:] == ["s1 on m1," + ",".join(["1.0,3.0,2.0,8640.0"] * 3)]


def test_t30_previous_month_of_january(week, root, capsys):
    """December 2007 only (B-29), 4-hour points: the week's data of Dec 30 (1) and Dec 31 (2)
    are in, those of January are not."""
    assert (
        run(
            root,
            "-m",
            "--fixedPrevious",
            "--date",
            "2008-01-15 00:00:00",
            "--machines",
            "tag1",
            "--machinesAreClusters",
            "-c",
            "c1",
        )
        == 0
    )
    path = root / "data/csvFiles/monthly/tx/tag1/2007/December.csv"
    assert capsys.readouterr().out == f"generated filename : {path}\n"
    assert csv_lines(path) == [
        TX_HEADER,
        "c1 on machine1machine2," + ",".join(["1.0,2.0,1.5,4320.0"] * 5),
    ]


def test_resolution_follows_the_period_not_the_type(week, root, monkeypatch):
    """B-30: the original gave the data type where the period was expected."""
    seen = []
    real = csvexport.graph.fetch_figures

    def spy(db, start, end, fetch_minutes, plot_minutes, now, **options):
        seen.append((db.parent.name, fetch_minutes, plot_minutes))
        return real(db, start, end, fetch_minutes, plot_minutes, now, **options)

    monkeypatch.setattr(csvexport.graph, "fetch_figures", spy)
    assert run(root, *T28, "-c", "c1") == 0
    assert sorted(seen) == sorted((t, 60, 60) for t in schema.DATA_TYPES["tx"])


# -- language (B-28, §6) --------------------------------------------------------------------------


def test_french(week, root, capsys):
    assert run(root, *T28, "-l", "fr") == 0
    path = root / "data/csvFiles/hebdomadaire/tx/tag1/2007/52.csv"
    assert capsys.readouterr().out == f"fichier genere : {path}\n"
    lines = csv_lines(path)
    assert lines[0] == csvexport.header("tx", "fr") and lines[0].startswith("clients,latence min")
    assert lines[1] == f"c1 on machine1machine2,{C1}"


def test_no_language_option_uses_the_main_language(week, root, capsys):
    """The original crashed without -l (B-28)."""
    assert run(root, *T28) == 0
    assert (root / "data/csvFiles/weekly/tx/tag1/2007/52.csv").exists()
    write_config(root, language="fr")
    capsys.readouterr()
    assert run(root, *T28) == 0
    assert capsys.readouterr().out.startswith("fichier genere : ")
    assert (root / "data/csvFiles/hebdomadaire/tx/tag1/2007/52.csv").exists()


def test_value_that_is_no_tag_is_a_machine(week, root, capsys):
    paths = StatsPaths(root)
    make_client(paths, "a", ["m9"], WEEK_START, 60, lambda t: 1.0, time_of_update=WEEK_END)
    assert run(root, *T28[:-3], "--machines", "m9", "--machinesAreClusters", "-v") == 0
    assert "m9 is not a machine tag of configForMachines" in capsys.readouterr().err
    assert csv_lines(root / "data/csvFiles/weekly/tx/m9/2007/52.csv")[1].startswith("a on m9,")


def test_no_configuration_at_all(root, capsys):
    paths = StatsPaths(root)
    make_client(paths, "a", ["m1"], WEEK_START, 60, lambda t: 1.0, time_of_update=WEEK_END)
    assert run(root, *T28[:-3], "--machines", "m1") == 0
    assert csv_lines(root / "data/csvFiles/weekly/tx/m1/2007/52.csv")[1].startswith("a on m1,")


# -- option errors (B-02, §4.7.1 validation) ------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["-w", "--fixedPrevious", "--fixedCurrent"],
            "Please use only one of the fixed options, either fixedPrevious or fixedCurrent.",
        ),
        (["-d", "-w"], "Only one of the daily, weekly and yearly options can be use at a time"),
        (
            ["-m", "-y", "--fixedPrevious", "--fixedCurrent"],
            "Please use only one of the fixed options, either fixedPrevious or fixedCurrent.",
        ),
        ([], "Please use either the -d -m -w or -y options."),
        (["--fixedCurrent"], "Please use either the -d -m -w or -y options."),
        (["-w", "--date", "2008-13-01 00:00:00"], DATE_ERROR),
        (["-w", "--date", "tomorrow"], DATE_ERROR),
        (["-w", "-f", "xx", "--date", "bad"], DATE_ERROR),
        (["-w", "-f", "xx"], "File type must be either tx or rx. Specified file type was : xx"),
        (
            ["-w", "-l", "de"],
            "The specified language is not currently supported. Supported languages are : en, fr",
        ),
        (
            ["-w", "-l", ""],
            "The specified language is not currently supported. Supported languages are : en, fr",
        ),
        (["-w", "--machines", ", ,"], "no machine given"),
        (["-w", "--machines", "../x"], "invalid machine name: '../x'"),
        (["-w", "-c", "a/b"], "invalid client name: 'a/b'"),
        (["-w", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_option_errors(root, capsys, argv, message):
    write_config(root)
    assert run(root, "--machines", "tag1", "--machinesAreClusters", *argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"csvDataConversion: error: {message}\n"
    assert not (root / "data/csvFiles").exists()
    assert not (root / "data/logs").exists()


def test_broken_configuration_is_one_line(week, root, capsys):
    (root / "etc/config").write_text("[generalConfig]\nmainApplicationLanguage = xx\n")
    assert run(root, *T28) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("csvDataConversion: error: ")
    assert not (root / "data/csvFiles").exists()


# -- writing --------------------------------------------------------------------------------------


def test_written_atomically(week, root, monkeypatch, capsys):
    path = root / "data/csvFiles/weekly/tx/tag1/2007/52.csv"
    path.parent.mkdir(parents=True)
    path.write_text("previous\n")
    stale = path.parent / f".{path.name}.killed.tmp"
    stale.write_text("torn")
    # A failure while the text is written leaves the previous file and no temp file.
    real_fsync = os.fsync

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    assert run(root, *T28) == 1
    assert capsys.readouterr().err == (
        f"csvDataConversion: error: cannot write {path}: No space left on device\n"
    )
    assert path.read_text() == "previous\n"
    assert sorted(p.name for p in path.parent.iterdir()) == [stale.name, path.name]
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert run(root, *T28) == 0
    assert csv_lines(path)[0] == TX_HEADER
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_logging(week, root):
    assert run(root, *T28, "--turnOffLogging") == 0
    assert not (root / "data/logs").exists()
    assert run(root, *T28) == 0
    assert "generated" in (root / "data/logs/csvDataConversion.log").read_text()


# -- help, shim, manual page ----------------------------------------------------------------------


def test_help_documents_every_option(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for option in (
        "-c",
        "--clients",
        "-d",
        "--daily",
        "-w",
        "--weekly",
        "-m",
        "--monthly",
        "-y",
        "--yearly",
        "--date",
        "-f",
        "--fileType",
        "--fixedPrevious",
        "--fixedCurrent",
        "--includeGroups",
        "-l",
        "--language",
        "--machines",
        "--machinesAreClusters",
        "--turnOffLogging",
        "--root",
        "-v",
        "--verbose",
    ):
        assert f" {option}" in out, option
    for action in cli.build_parser()._actions:
        assert action.help, action.dest


def test_bin_shim(week, root):
    done = subprocess.run(
        [str(REPO / "bin/csvDataConversion"), "--root", str(root), *T28],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"generated filename : {root / 'data/csvFiles/weekly/tx/tag1/2007/52.csv'}\n"
    )
    done = subprocess.run(
        [str(REPO / "bin/csvDataConversion"), "--root", str(root), "-w", "-d"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1


def test_manual_page_matches_help():
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / "csvDataConversion.1", cli.build_parser()
    )
