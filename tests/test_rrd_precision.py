"""Latency values reach rrdtool with their full double precision (issue 10 item 14).

The original handed rrdtool `str(value)` — Python 2's 12 significant digits — so a minute
whose mean latency is 1/3 s was stored as 0.333333333333; pxStats passes the full double
(docs/DEVIATIONS.md, transferPickleToRRD). Real pickles, the real transfer, real rrdtool."""

from helpers import T, save_hour

from pxstats.cli import transferPickleToRRD
from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.util.numbers import py2_str

HOUR = T("2024-01-15 10:00:00")


def significant_digits(value: float) -> int:
    mantissa = repr(value).split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    return len(mantissa)


def test_latency_of_one_third_is_stored_with_full_precision(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    paths = StatsPaths(tmp_path)
    # minute 10:05: three files with latencies 1, 0 and 0 s -> mean latency 1/3 s
    minute = 5 * 60
    rows = [
        (minute + 1, "SACN43_CWAO_151005", 1, 100, 0),
        (minute + 2, "SACN43_CWAO_151005", 0, 100, 0),
        (minute + 3, "SACN43_CWAO_151005", 0, 100, 0),
    ]
    save_hour(paths, "c", "m1", HOUR, rows)
    assert (
        transferPickleToRRD.main(
            [
                "--root",
                str(tmp_path),
                "-c",
                "c",
                "-f",
                "tx",
                "-m",
                "m1",
                "-e",
                "2024-01-15 11:00:00",
            ]
        )
        == 0
    )
    assert capsys.readouterr().err == ""
    db = schema.db_path(paths, "latency", "c", ["m1"])
    start = HOUR + minute
    (first, _, step), values = schema.fetch(db, "AVERAGE", 60, start, start + 60)
    stored = values[(start - first) // step]
    assert stored == 1 / 3  # the double itself, not 0.333333333333
    assert significant_digits(stored) > 12
    assert stored != float(py2_str(1 / 3)) == 0.333333333333  # what the original stored
