"""graphicsCleaner: the on-demand graphics of data/graphics/others/ on hand-built folders
(names made by the real naming functions, ages set with os.utime): exactly which files go,
the dry run, symbolic links, the web pages' graphics, the retention setting, the command,
and the step of pxStatsStartup."""

from __future__ import annotations

import io
import os
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from helpers import REPO, T
from manpage import assert_manual_page_matches_help

from pxstats import config as _config
from pxstats.actions import graphics_cleaner, schedule, startup
from pxstats.cli import graphicsCleaner
from pxstats.gnuplot import request as gnu
from pxstats.paths import StatsPaths
from pxstats.rrd import graph
from pxstats.util import timeutil

NOW = int(time.time())
DAY = 86400
END = T("2026-11-09 12:00:00")


def put(path: Path, age_days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    moment = NOW - age_days * DAY
    os.utime(path, (moment, moment), follow_symlinks=False)
    return path


def gnuplot_png(paths, client: str, language: str = "en", span: int = 24) -> Path:
    request = gnu.GraphicRequest(
        clients=(client,), machines=("pxatx1", "pxatx2"), end=END, span=span, language=language
    )
    return gnu.image_path(paths, request)


def rrd_png(paths, name: str, data_type: str = "latency", language: str = "en") -> Path:
    return graph.image_path(paths, "tx", name, END, data_type, 7 * 24, "pxatx1", language)


@pytest.fixture
def world(tmp_path):
    """A root whose graphics folders hold old and young graphics, files that are not
    graphics, the web pages' graphics, and symbolic links leading out."""
    paths = StatsPaths(tmp_path / "root")
    outside = tmp_path / "outside"
    w = {"paths": paths, "outside": outside}
    # gnuplot: satnet has one old and one young graphic; weather only old ones (and a temp)
    w["old_gnu"] = put(gnuplot_png(paths, "satnet"), 40)
    w["young_gnu"] = put(gnuplot_png(paths, "satnet", span=12), 10)
    w["edge_gnu"] = put(gnuplot_png(paths, "satnet", span=6), 29.9)  # inside 30 days
    w["old_weather"] = put(gnuplot_png(paths, "weather"), 31)
    name = gnuplot_png(paths, "weather", span=3).name
    w["old_temp"] = put(paths.graphics / "others/gnuplot/weather" / f".{name}.k3j2h1.tmp", 50)
    # rrd: an old graphic, a French one, one with a shortened (too long) name
    w["old_rrd"] = put(rrd_png(paths, "satnet"), 35)
    w["young_rrd"] = put(rrd_png(paths, "satnet", "bytecount"), 1)
    w["old_fr"] = put(rrd_png(paths, "satnet", language="fr"), 60)
    w["long_rrd"] = put(rrd_png(paths, "x" * 240), 90)
    # not pxStats' graphics: left alone whatever their age
    others = paths.graphics / "others"
    w["not_ours"] = [
        put(others / "gnuplot/satnet/old.png", 400),
        put(others / "gnuplot/satnet/notes.txt", 400),
        put(others / "gnuplot/satnet/sub/tx_a_20261109_12:00:00_x.png", 400),
        put(others / "gnuplot/loose_tx_a_20261109_12:00:00_x.png", 400),  # not in a name folder
        put(others / "other/satnet/tx_a_20261109_12:00:00_x.png", 400),  # another kind
    ]
    # the web pages' graphics: archives, Columbo images, the request page's cache
    w["web"] = [
        put(paths.graphics_archives / "daily/tx/satnet/2026/October/01.png", 400),
        put(paths.web_graphics / "columbo/satnet_en.png", 400),
        put(paths.graphics / "requests/0123456789abcdef0123456789abcdef.png", 400),
    ]
    # links out: a link named like a graphic, a linked name folder, a linked kind folder
    target = put(outside / "tx_x_20261109_12:00:00_latency_7days_on_pxatx1.png", 400)
    deep = put(outside / "folder/tx_y_20261109_12:00:00_latency_7days_on_pxatx1.png", 400)
    kind = put(outside / "kind/c/tx_z_20261109_12:00:00_latency_7days_on_pxatx1.png", 400)
    link = others / "rrd/satnet" / target.name
    link.symlink_to(target)
    os.utime(link, (NOW - 400 * DAY,) * 2, follow_symlinks=False)
    (others / "rrd/linked").symlink_to(outside / "folder", target_is_directory=True)
    (paths.graphics / "autres/gnuplot").symlink_to(outside / "kind", target_is_directory=True)
    w["links"] = [link, others / "rrd/linked", paths.graphics / "autres/gnuplot"]
    w["outside_files"] = [target, deep, kind]
    return w


def snapshot(top: Path) -> dict:
    found = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(folder, name)
            found[path] = os.lstat(path).st_mtime_ns
    return found


def test_exactly_the_old_graphics_go_and_emptied_folders_with_them(world):
    paths = world["paths"]
    report = graphics_cleaner.clean(paths, graphics_cleaner.Request(days=30, now=NOW))
    old = [world[k] for k in ("old_gnu", "old_weather", "old_temp", "old_rrd", "old_fr")]
    assert world["long_rrd"].name.split("~")[-1] != "png" and "~" in world["long_rrd"].name
    assert sorted(report.deleted) == sorted([*old, world["long_rrd"]])
    assert report.errors == []
    for path in report.deleted:
        assert not path.exists()
    for key in ("young_gnu", "edge_gnu", "young_rrd"):
        assert world[key].exists() and world[key] in report.kept
    for path in [*world["not_ours"], *world["web"], *world["outside_files"], *world["links"]]:
        assert os.path.lexists(path), path
    # weather and the French satnet folder were emptied; the long name's folder too
    assert sorted(report.removed_folders) == sorted(
        [world["old_weather"].parent, world["old_fr"].parent, world["long_rrd"].parent]
    )
    assert not world["old_weather"].parent.exists()
    assert world["old_gnu"].parent.is_dir()  # satnet keeps its young graphics
    assert set(world["links"]) <= set(report.left)


def test_a_dry_run_deletes_nothing_and_lists_the_same(world):
    paths = world["paths"]
    before = snapshot(paths.root.parent)
    dry = graphics_cleaner.clean(paths, graphics_cleaner.Request(days=30, dry_run=True, now=NOW))
    assert snapshot(paths.root.parent) == before
    real = graphics_cleaner.clean(paths, graphics_cleaner.Request(days=30, now=NOW))
    assert dry.deleted == real.deleted and dry.removed_folders == real.removed_folders
    assert len(real.deleted) == 6


def test_the_days_kept_decide(world):
    paths = world["paths"]
    report = graphics_cleaner.clean(paths, graphics_cleaner.Request(days=5, now=NOW))
    assert world["young_gnu"] in report.deleted and world["edge_gnu"] in report.deleted
    assert world["young_rrd"] in report.kept
    with pytest.raises(graphics_cleaner.RequestError, match="from 1 to 36600"):
        graphics_cleaner.clean(paths, graphics_cleaner.Request(days=0))


def test_the_names_of_real_graphics_are_recognised(tmp_path):
    paths = StatsPaths(tmp_path)
    for language in ("en", "fr"):
        assert graphics_cleaner.is_graphic(gnuplot_png(paths, "a-b", language).name)
        assert graphics_cleaner.is_graphic(rrd_png(paths, "tx", "filecount", language).name)
        long_gnu = gnuplot_png(paths, "c" * 300, language)
        assert len(long_gnu.name.encode()) <= 255 and graphics_cleaner.is_graphic(long_gnu.name)
    assert {p.parent.parent.parent.name for p in (gnuplot_png(paths, "a", "fr"),)} == {"autres"}
    for name in ("old.png", "satnet_en.png", "01.png", "tx_satnet.png", ".tx_a.png"):
        assert not graphics_cleaner.is_graphic(name), name


# -- the command -------------------------------------------------------------------------------


def command(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = graphicsCleaner.main(list(argv))
        except SystemExit as done:
            code = done.code
    return code, out.getvalue(), err.getvalue()


CONFIG = """\
[generalConfig]
sourceMachinesTags = src1
picklingMachines = here1
machinesToBackupInDb = src1
graphicsUploadMachines =
daysOfPicklesToKeep = 21
{graphics}nbDbBackupsToKeep = 3
nbAutoUpdatesLogsToKeep = 10
mainApplicationLanguage = en
artifactsLanguages = en
webPagesLanguages = en:en

[timeConfig]
pxStatsFrequency = 1/hours
monitoringFrequency = 12/hours
dbBackupsFrequency = 6/hours
pickleCleanerFrequency = 24/hours
generalCleanerFrequency = 24/hours
dailyWebPageUpdatesFrequency = hourly
weeklyWebPageUpdatesFrequency = daily
monthlyWebPageUpdatesFrequency = weekly
yearlyWebPageUpdatesFrequency = monthly
totalWebPagesUpdatesFrequency = daily

[specialGroups]
"""


def configure(paths: StatsPaths, graphics: str | None) -> None:
    paths.etc.mkdir(parents=True, exist_ok=True)
    line = "" if graphics is None else f"daysOfGraphicsToKeep = {graphics}\n"
    (paths.etc / "config").write_text(CONFIG.format(graphics=line))
    (paths.etc / "configForMachines").write_text("src1 pxatx1 u1\nhere1 localhost u\n")


def test_the_command_uses_the_setting_and_days_overrides_it(world):
    paths = world["paths"]
    root = ["--root", str(paths.root)]
    configure(paths, "20")
    code, out, err = command("-n", *root)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert (
        f"would delete {world['old_gnu']}" in lines
        and f"would delete {world['young_gnu']}" not in lines
    )
    assert lines[-1].startswith("7 graphic(s) to delete, 2 kept") and "20 day(s)" in lines[-1]
    assert world["old_gnu"].exists()
    code, out, err = command("--days", "5", *root)
    assert (code, err) == (0, "")
    assert not world["young_gnu"].exists() and world["young_rrd"].exists()
    assert f"removed {world['old_weather'].parent}/" in out.splitlines()
    assert "deleted" in (paths.logs / "graphicsCleaner.log").read_text()
    code, out, err = command("-q", *root)
    assert (code, out, err) == (0, "", "")


def test_without_the_setting_thirty_days_are_kept(world):
    paths = world["paths"]
    configure(paths, None)
    assert _config.load_config(paths.etc).general.days_of_graphics_to_keep == 30
    code, out, _ = command("--root", str(paths.root))
    assert code == 0 and out.splitlines()[-1].startswith("6 graphic(s) deleted, 3 kept")


@pytest.mark.parametrize("value", ["abc", "0", "36601", "-3", "2.5", ""])
def test_a_bad_setting_is_one_line_and_nothing_is_deleted(world, value):
    paths = world["paths"]
    configure(paths, value)
    before = snapshot(paths.root.parent)
    code, out, err = command("--root", str(paths.root))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("graphicsCleaner: error: ") and "daysOfGraphicsToKeep" in err
    assert "from 1 to 36600" in err
    assert snapshot(paths.root.parent) == before


@pytest.mark.parametrize("value", ["0", "x", "36601", ""])
def test_a_bad_days_option_is_refused(world, value):
    code, out, err = command("--days", value, "--root", str(world["paths"].root))
    assert code == 2 and out == "" and err.count("\n") == 1 and "--days" in err
    assert world["old_gnu"].exists()


def test_a_root_without_data_is_refused(tmp_path):
    code, _, err = command("--root", str(tmp_path))
    assert code == 2 and err == f"graphicsCleaner: error: no data folder {tmp_path}/data\n"


def test_help_and_manual_page():
    assert_manual_page_matches_help(
        REPO / "man/man1/graphicsCleaner.1", graphicsCleaner.build_parser()
    )


# -- pxStatsStartup ------------------------------------------------------------------------------


def test_pxstatsstartup_runs_it_when_the_general_cleaner_frequency_says(world):
    """A real run (no logs to collect): the step runs on the first run, records its own
    entry, and is not due an hour later."""
    paths = world["paths"]
    configure(paths, "30")
    context = _config.Context(paths.root)
    date = timeutil.now()

    def run(moment):
        request = startup.StartupRequest(moment, mirror=False, send_mail=False, processes=1)
        return startup.run(context.paths, context.config, request)

    first = run(date)
    [step] = [s for s in first.steps if s.step == "graphicsCleaner"]
    assert (step.status, step.message) == ("ok", "6 graphic(s) deleted")
    assert not world["old_gnu"].exists() and world["young_gnu"].exists()
    assert schedule.entries(paths, "graphicsCleaner") == [schedule.entry_name(date)]
    second = run(date + 3600)
    assert [s.status for s in second.steps if s.step == "graphicsCleaner"] == ["not due"]
