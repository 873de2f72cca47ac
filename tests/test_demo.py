"""make demo's script (scripts/demo.sh): a short replay of the crontab line (3 hourly
pxStatsStartup runs over generated logs of two machines, 2 clients and 3 sources each), its
printed summary checked against the configuration and against the files on disk, a second
run over the same root, and the refusals (a folder that is not a demo root, bad settings).

Real components: generateSampleLogs, pxStatsStartup (pickleUpdater, rrdtool, gnuplot, the
web pages, statsMonitor without mail), ssh refused by a closed loopback port.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from helpers import BIN, REPO

SCRIPT = REPO / "scripts" / "demo.sh"
HOURS = 3
CLIENTS = ("satnet", "weather")  # DEMO_CLIENTS=2: the first two of the demo's list
SOURCES = ("ncp1", "cmc-radar", "wxo-bulletins")
MACHINES = ("pxatx1", "pxatx2")
# one line per run (and the periodic tasks that were due on the next line when it is long)
RUN_LINE = re.compile(
    r"^   (\d{4}-\d\d-\d\d \d\d:02)  (\S+) +(\d+\.\d) s  (.*(?:\n {27}\+ .*)?)$", re.M
)


def demo(root: Path, hours: int = HOURS, **env) -> subprocess.CompletedProcess:
    environ = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DEMO_HOURS": str(hours),
        "DEMO_CLIENTS": str(len(CLIENTS)),
        **env,
    }
    environ.pop("PXSTATS_ROOT", None)
    return subprocess.run(
        ["bash", str(SCRIPT), str(root)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
    )


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "root"
    return root, demo(root)


def test_replay_runs_every_hour_ok(first):
    root, done = first
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    runs = RUN_LINE.findall(done.stdout)
    assert len(runs) == HOURS
    assert [status for _, status, _, _ in runs] == ["ok"] * HOURS
    # consecutive hours, the last one the latest HH:02 passed
    hours = [int(date[11:13]) for date, _, _, _ in runs]
    assert [(h - hours[0]) % 24 for h in hours] == list(range(HOURS))
    # each run collects one hour of every client and source of both machines
    per_run = len(MACHINES) * (len(CLIENTS) + len(SOURCES))
    for _, _, _, made in runs:
        assert made.split()[0] == str(per_run)
    # the periodic tasks: all due at the first run, none again within 3 hours
    assert "dbBackups" in runs[0][3] and "monitoring" in runs[0][3]
    assert "picklecleaner" in runs[0][3]
    for _, _, _, made in runs[1:]:
        assert "dbBackups" not in made and "monitoring" not in made
    assert f"== {HOURS} of {HOURS} pxStatsStartup runs ok" in done.stdout


def test_summary_matches_the_files(first):
    root, done = first
    out = done.stdout
    data = root / "data"
    for machine in MACHINES:
        assert f"pickles of {machine}: {HOURS * len(CLIENTS)} tx, {HOURS * len(SOURCES)} rx" in out
        on_disk = list((data / "pickles").glob(f"*/*/*/{machine}_[0-9][0-9]"))
        assert len(on_disk) == HOURS * (len(CLIENTS) + len(SOURCES))
    # databases: every name (clients, sources, the group AllWeather) for the three common
    # types, the two latency types for tx names only; the totals of tx and rx (combined/) alike
    names = len(CLIENTS) + len(SOURCES) + 1
    per_name = 3 * names + 2 * (len(CLIENTS) + 1)
    totals = 3 * 2 + 2
    expected = per_name + totals
    assert f"{expected} databases in all: {per_name} of AllWeather_pxatx1pxatx2," in out
    assert f"; {totals} totals of rx_pxatx1pxatx2, tx_pxatx1pxatx2" in out
    current = data / "databases" / "currentDatabases"
    assert len([p for p in current.rglob("*") if p.is_file()]) == expected
    assert "1 backup(s) kept" in out
    # graphics and pages, as printed and as found
    daily = re.search(r"daily graphics of the web pages +(\d+)", out)
    assert daily and int(daily.group(1)) > 0
    assert int(daily.group(1)) == len(
        list((data / "graphics" / "webGraphics" / "archives" / "daily").rglob("*.png"))
    )
    assert (data / "webPages" / "index.html").is_file()
    for language in ("en", "fr"):
        assert f"html_{language}/: dailyGraphs_{language}.html" in out
        assert (data / "webPages" / f"html_{language}" / f"dailyGraphs_{language}.html").is_file()
    assert f"PXSTATS_ROOT={root} pxStatsWeb --listen 127.0.0.1:8080" in out


def test_last_run_steps_and_verdict(first):
    _, done = first
    out = done.stdout
    table = out.split("== Steps of the last run", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^   collect +pxatx2 rx +\d+\.\d\d  ok ", table, re.M)
    assert re.search(r"^   monitoring +- +0\.00  not due", table, re.M)
    # the individual commands ran, after the line had done everything
    assert "$ pickleUpdater -f tx -m pxatx1 -d" in out
    assert re.search(r"others/gnuplot/satnet/tx_satnet_\S+\.png", out)
    # the verdict: the fictional machines are refused by the closed loopback port
    assert "could not be reached by ssh" in out
    assert "exit status 2 (0 OK, 1 warnings, 2 errors, 3 could not run)" in out
    # ... and the monitor found the line's last run (lastRun.json) without problem
    verdict = out.split("== statsMonitor", 1)[1]
    assert re.search(r"^   ok +.*pxStatsStartup run", verdict, re.M)


def test_second_run_over_the_same_root(first):
    root, _ = first
    again = demo(root, hours=1)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    runs = RUN_LINE.findall(again.stdout)
    assert [status for _, status, _, _ in runs] == ["ok"]
    # the root was rebuilt: one hour of pickles, not four
    for machine in MACHINES:
        assert f"pickles of {machine}: {len(CLIENTS)} tx, {len(SOURCES)} rx" in again.stdout


def test_refuses_a_folder_that_is_not_a_demo_root(tmp_path):
    precious = tmp_path / "etc" / "config"
    precious.parent.mkdir()
    precious.write_text("mine\n")
    refused = demo(tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "not a demo root" in refused.stderr
    assert precious.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["etc"]


@pytest.mark.parametrize(
    "name,value", [("DEMO_HOURS", "0"), ("DEMO_HOURS", "x"), ("DEMO_CLIENTS", "9")]
)
def test_bad_settings(tmp_path, name, value):
    refused = demo(tmp_path / "root", **{name: value})
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"demo.sh: error: {name} must be") and refused.stdout == ""
    assert not (tmp_path / "root").exists()
