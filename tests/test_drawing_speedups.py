"""The drawing speed-ups of the hourly cycle (bench/cycle.py): one long-lived gnuplot per
worker drawing graphic after graphic (gnuplot.render.Session), and RRD graphics redrawn only
when their arguments or databases changed (rrd.runner, the extended-attribute mark).
Real gnuplot and rrdtool; every PNG compared byte for byte with one drawn alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers import T, make_client, save_hour

from pxstats.actions import daily_graphics, graphics, rrd_graphics
from pxstats.gnuplot import render, script
from pxstats.paths import StatsPaths
from pxstats.rrd import runner, schema

pytestmark = pytest.mark.skipif(
    render.shutil.which("gnuplot") is None, reason="gnuplot is not installed (Debian gnuplot-nox)"
)


# -- one gnuplot, many graphics -----------------------------------------------------------------


def panel(line_type, label, points, y_format=None, title=("t",)):
    return script.Panel(line_type, label, title, ((0, f"{label} text"),), points, y_format)


def pictures() -> list[script.Picture]:
    """Pictures unlike each other in every setting a program makes: an x range or none, a
    y format per panel or not, one to four panels, Latin-1 words, data or none."""
    base = T("2008-01-05 00:00:00")
    points = tuple((base + 60 * i, float((i * 7) % 13)) for i in range(240))
    flat = tuple((base + 60 * i, 0.0) for i in range(240))
    xtics = tuple((f"{h:02d}", base + 3600 * h) for h in range(5))
    return [
        script.Picture(
            (
                panel(4, "Errors/Minute", points, "%7.2f"),
                panel(3, "Files/Minute", points),
                panel(2, "Bytes/Minute", points, "%10.3f"),
                panel(1, "Latency", points),
            ),
            "time (hours)",
            xtics,
            (base, base + 4 * 3600),
        ),
        script.Picture((panel(2, "Octets/Minute", flat),), "heure", xtics[:2]),  # no xrange
        script.Picture(
            (panel(1, "Latence é ç", points, None, ("Données", "ligne 2")),) * 3,
            "temps (heures)",
            xtics,
        ),
        script.Picture((panel(3, "Files/Minute", points[:10]),), "time", xtics, (base, base + 600)),
    ]


def alone(program: str, folder: Path) -> bytes:
    return render.render(program, folder / "alone.png").read_bytes()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(render.TEMP_PREFIX))


def test_a_session_draws_the_same_bytes_as_one_gnuplot_per_graphic(tmp_path):
    """Every picture drawn in one session, twice over in another order, equals the picture
    drawn by a gnuplot of its own: nothing one program sets leaks into the next."""
    programs = [script.program(p) for p in pictures()]
    expected = [alone(p, tmp_path / f"alone{k}") for k, p in enumerate(programs)]
    order = list(range(len(programs))) + list(reversed(range(len(programs))))
    with render.Session() as session:
        for n, k in enumerate(order):
            png = render.render(
                programs[k], tmp_path / "session" / f"{n}.png", session=session, size=None
            )
            assert png.read_bytes() == expected[k], (n, k)
            if n == 0:
                pid = session._process.pid
        assert session._process.pid == pid  # one gnuplot drew them all
    assert session._process is None
    assert leftovers(tmp_path / "session") == []


def test_a_failing_graphic_in_a_session_fails_only_itself(tmp_path):
    """A gnuplot error, a program that ends gnuplot and one that never finishes each fail
    their own graphic with one line; the graphics before and after them are drawn exactly
    as alone, by a new gnuplot when the old one is no longer trusted."""
    good = script.program(pictures()[0])
    other = script.program(pictures()[1])
    expected = alone(good, tmp_path / "a"), alone(other, tmp_path / "b")
    out = tmp_path / "out"
    with render.Session() as session:
        assert render.render(good, out / "1.png", session=session).read_bytes() == expected[0]
        first = session._process.pid
        with pytest.raises(render.GnuplotError, match=r"^gnuplot failed: line \d+: ") as error:
            render.render("plot sin(x) with fooo\n", out / "2.png", session=session)
        assert "\n" not in str(error.value)
        assert render.render(other, out / "3.png", session=session).read_bytes() == expected[1]
        second = session._process.pid
        assert second != first  # replaced after the error
        with pytest.raises(render.GnuplotError, match=r"^gnuplot failed \(status 0\)$"):
            render.render("exit\n", out / "4.png", session=session)
        with pytest.raises(render.GnuplotError, match=r"did not finish within 0\.5 s drawing 5"):
            render.render("pause 30\n", out / "5.png", session=session, timeout=0.5)
        assert render.render(good, out / "6.png", session=session).read_bytes() == expected[0]
        assert session._process.pid not in (first, second)
    assert sorted(p.name for p in out.iterdir()) == ["1.png", "3.png", "6.png"]


def test_a_folder_a_cd_line_cannot_name_is_drawn_by_a_gnuplot_of_its_own(tmp_path):
    program = script.program(pictures()[1])
    folder = tmp_path / "new\nline"
    with render.Session() as session:
        png = render.render(program, folder / "x.png", session=session)
        assert session._process is None  # never started
    assert png.read_bytes() == alone(program, tmp_path)


@pytest.fixture
def daily_paths(tmp_path) -> StatsPaths:
    (tmp_path / "data").mkdir()
    paths = StatsPaths(tmp_path)
    hour = T("2008-01-05 09:00:00")
    rows = [(k * 60 + 30, f"f{k}", k % 5, 500 * k, int(k == 50)) for k in range(60)]
    for client in ("c1", "c2", "c3"):
        save_hour(paths, client, "m1", hour, rows)
    save_hour(paths, "c2", "m1", hour - 3600, rows[:20])
    return paths


@pytest.mark.parametrize("processes", [1, 2])
def test_daily_graphics_drawn_in_sessions_equal_graphics_drawn_alone(daily_paths, processes):
    """draw_all (one session per worker, or in this process) gives each graphic and its
    copies the bytes generateGraphics gives it alone; no gnuplot is left to this process."""
    date = T("2008-01-06 00:20:00")
    jobs = [daily_graphics.Job("tx", name, ("m1",)) for name in ("c1", "c2", "c3")]
    jobs.append(daily_graphics.Job("tx", "ghost/", ("m1",)))  # refused name: fails alone
    outcomes = daily_graphics.draw_all(daily_paths, jobs, date, processes=processes)
    assert [o.status for o in outcomes] == ["drawn", "drawn", "drawn", "failed"]
    assert render._OWN is None
    for outcome in outcomes[:3]:
        drawn = outcome.png.read_bytes()
        assert [c.read_bytes() for c in outcome.copies] == [drawn, drawn]
        request = daily_graphics.request_for(outcome.job, date, copy=False)
        plan = graphics.plan(daily_paths, request)
        assert drawn == alone(plan.program, daily_paths.root / "alone" / outcome.job.name)
    assert outcomes[0].png.read_bytes() != outcomes[1].png.read_bytes()


# -- RRD graphics redrawn only when their inputs change -----------------------------------------

WEEK_DATE = "2006-10-11 12:00:00"


def past(path: Path, seconds_ago: float) -> None:
    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))


@pytest.fixture
def weekly(tmp_path):
    """satnet on pds5pds6 with a week of data; the databases changed a minute ago."""
    (tmp_path / "data").mkdir()
    paths = StatsPaths(tmp_path)
    make_client(
        paths,
        "satnet",
        ["pds5", "pds6"],
        T("2006-10-08 00:00:00"),
        4 * 1440,
        value=lambda t: float((t // 60) % 60),
        time_of_update=T("2006-10-12 00:00:00"),
    )
    for data_type in schema.DATA_TYPES["tx"]:
        past(schema.db_path(paths, data_type, "satnet", ["pds5", "pds6"]), 60)
    return paths


def draw_week(paths) -> list[runner.Outcome]:
    options = rrd_graphics.RRDGraphicsOptions(
        clients=("satnet",),
        copy=True,
        periods=("weekly",),
        date=WEEK_DATE,
        fixed_current=True,
        machines=("pds5", "pds6"),
    )
    request = rrd_graphics.build_request(options, paths)
    outcomes = rrd_graphics.produce(paths, request, now=T(WEEK_DATE))
    assert all(o.ok and o.message == "" and o.size == (897, 282) for o in outcomes)
    return outcomes


def state(outcomes) -> dict:
    """What each graphic's PNG and copy are: (bytes, inode, mtime)."""
    result = {}
    for o in outcomes:
        for path in (o.png, o.copy):
            st = path.stat()
            result[path] = (path.read_bytes(), st.st_ino, st.st_mtime_ns)
    return result


def test_an_unchanged_rrd_graphic_is_not_drawn_again(weekly):
    first = draw_week(weekly)
    assert len(first) == 5 and not any(o.skipped for o in first)
    before = state(first)
    again = draw_week(weekly)
    assert all(o.skipped for o in again)
    assert [(o.png, o.copy) for o in again] == [(o.png, o.copy) for o in first]
    assert state(again) == before  # the same files, untouched
    # what a skipped graphic shows is what drawing it again gives
    for o in first:
        o.png.unlink()
    redrawn = draw_week(weekly)
    assert not any(o.skipped for o in redrawn)
    assert {p: s[0] for p, s in state(redrawn).items()} == {p: s[0] for p, s in before.items()}


def test_an_rrd_graphic_is_redrawn_when_its_input_or_its_files_change(weekly):
    first = {o.png.name.split("_")[4]: o for o in draw_week(weekly)}
    before = state(first.values())
    # new data in the errors database: that graphic only is drawn again
    errors_db = schema.db_path(weekly, "errors", "satnet", ["pds5", "pds6"])
    schema.update(errors_db, [(T("2006-10-12 00:00:00") + 60 * k, 50.0) for k in range(1, 120)])
    recent = {o.png.name.split("_")[4]: o for o in draw_week(weekly)}
    assert not recent["errors"].skipped  # changed just now: drawn, not marked
    assert [k for k, o in recent.items() if not o.skipped] == ["errors"]
    changed = recent["errors"]
    assert changed.png.read_bytes() != before[changed.png][0]
    assert changed.copy.read_bytes() == changed.png.read_bytes()
    assert not draw_week(weekly)[2].skipped  # still too recent to be trusted
    past(errors_db, 30)
    assert not draw_week(weekly)[2].skipped  # drawn and marked
    assert all(o.skipped for o in draw_week(weekly))
    # a PNG changed in place, a copy removed, a copy replaced: drawn again
    latency = first["latency"]
    with open(latency.png, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\0\0\0\0")
    first["bytecount"].copy.unlink()
    first["filecount"].copy.write_bytes(first["filecount"].png.read_bytes())  # no mark
    again = {o.png.name.split("_")[4]: o for o in draw_week(weekly)}
    assert sorted(k for k, o in again.items() if not o.skipped) == [
        "bytecount",
        "filecount",
        "latency",
    ]
    assert latency.png.read_bytes() == before[latency.png][0]
    assert first["bytecount"].copy.read_bytes() == first["bytecount"].png.read_bytes()
    assert all(o.skipped for o in draw_week(weekly))


def test_other_arguments_or_another_rrdtool_mean_drawing_again(weekly, monkeypatch):
    first = draw_week(weekly)
    job = runner.GraphJob(first[0].png, ["x", "--title", "a"], first[0].copy)
    assert runner.input_key(runner.GraphJob(job.png, job.args)) is None  # no inputs: drawn
    inputs = (schema.db_path(weekly, "latency", "satnet", ["pds5", "pds6"]),)
    keyed = runner.GraphJob(job.png, job.args, job.copy_to, inputs)
    key = runner.input_key(keyed)
    assert key is not None
    assert runner.input_key(runner.GraphJob(job.png, ["x", "--title", "b"], None, inputs)) != key
    assert runner.input_key(runner.GraphJob(job.png, job.args, None, inputs)) != key  # no copy
    assert runner.input_key(runner.GraphJob(job.png, job.args, job.copy_to, (Path("/no"),))) is None
    monkeypatch.setattr(runner, "RRDTOOL", "/usr/bin/env")
    assert runner.input_key(keyed) != key
