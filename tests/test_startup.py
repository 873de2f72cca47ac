"""pxStatsStartup: a simulated day of hourly runs over generated logs of two source machines
(pickled here), compared with the individual commands run by hand; the schedule of the
periodic tasks over the day and over a month; one instance at a time; a failing step;
SIGTERM; SIGKILL at random instants.

Real components: generateSampleLogs' logs, pickleUpdater, transferPickleToRRD, rrdtool,
gnuplot, the web pages, statsMonitor (no mail). The remote variant (pickling through ssh) is
a test of its own: px-src1 pickled on px-pick1 through a real sshd, px-src2 mirrored here.

About 550 lines: the simulated day, its by-hand twin and the root they share feed most of
the checks (and the SIGKILL trials compare against that day), so they stay in one module.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import REPO, T

from pxstats import config as _config
from pxstats.actions import schedule, startup
from pxstats.cli import pickleUpdater, transferPickleToRRD
from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.samples import write_logs
from pxstats.store import updates
from pxstats.util import timeutil
from pxstats.web import site

SHIM = REPO / "bin" / "pxStatsStartup"
FIRST = T("2026-11-09 01:02:00")  # a Monday
HOURS = 24
RUNS = [FIRST + h * 3600 for h in range(HOURS)]
MACHINES = ("pxatx1", "pxatx2")
CLIENTS = ("satnet", "weather")
SOURCES = ("ncp1",)

CONFIG = """\
[generalConfig]
sourceMachinesTags = src1,src2
picklingMachines = here1,here2
machinesToBackupInDb = src1,src2
graphicsUploadMachines =
daysOfPicklesToKeep = 21
nbDbBackupsToKeep = 3
nbAutoUpdatesLogsToKeep = 50
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
G1 = src1 tx satnet,weather *
"""

MACHINES_CONF = "src1 pxatx1 u1\nsrc2 pxatx2 u2\nhere1 localhost u\nhere2 localhost u\n"

MONITORING = """\
[statsMonitoring]
sender = pxstats@example.com
smtpServer = 127.0.0.1
emails = operator@example.com
machines =
files = {root}/etc
folders = {root}/data
maxUsages = 100
errorsLogFile = {root}/data/monitoring/PX_Errors.txt
maxSettingsFile = {root}/data/monitoring/maxSettings.conf
"""


def make_root(base: Path) -> StatsPaths:
    """A configured root with 26 hours of logs of two machines (2 clients, 1 source each)."""
    etc = base / "etc"
    etc.mkdir(parents=True)
    (etc / "config").write_text(CONFIG)
    (etc / "configForMachines").write_text(MACHINES_CONF)
    (etc / "monitoringConf").write_text(MONITORING.format(root=base))
    others = base / "data" / "graphics" / "others"
    (etc / "clean_dir.conf").write_text(f"LOGFILE cleaner.log\n{others}  *.png  30:d  yes\n")
    old = others / "gnuplot" / "satnet" / "old.png"  # 40 days old: the general cleaner's
    old.parent.mkdir(parents=True)
    old.write_bytes(b"")
    os.utime(old, (time.time() - 40 * 86400,) * 2)
    paths = StatsPaths(base)
    end = RUNS[-1] + 3600
    for number, machine in enumerate(MACHINES):
        folder = paths.log_files / machine
        for file_type, names in (("tx", CLIENTS), ("rx", SOURCES)):
            for name in names:
                write_logs(folder, file_type, name, FIRST - 2 * 3600, end, 20, seed=number)
    return paths


def cycle(paths: StatsPaths, date: int) -> startup.Run:
    context = _config.Context(paths.root)
    request = startup.StartupRequest(date, mirror=False, send_mail=False, processes=2)
    return startup.run(context.paths, context.config, request)


def run_cli(paths: StatsPaths, date: int, env=None, **kwargs) -> subprocess.Popen:
    argv = [str(SHIM), "--root", str(paths.root), "--date", timeutil.iso(date)]
    argv += ["--no-mirror", "--no-mail", "-p", "2"]
    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        **kwargs,
    )


def by_hand(paths: StatsPaths, date: int) -> None:
    """The individual commands of one hour, as an operator would chain them."""
    when = timeutil.iso(date)
    root = ["--root", str(paths.root)]
    for machine in MACHINES:
        for file_type in ("rx", "tx"):
            assert pickleUpdater.main(["-m", machine, "-f", file_type, "-d", when, *root]) == 0
    for machine in MACHINES:
        assert transferPickleToRRD.main(["-m", machine, "-e", when, *root]) == 0
    group = ["-c", "satnet,weather", "-g", "G1", "-f", "tx", "-p", "*", "-m", "pxatx1"]
    assert transferPickleToRRD.main([*group, "-e", when, *root]) == 0


def pickle_files(paths: StatsPaths, times: bool = True) -> dict:
    trees = (paths.pickles, paths.times_of_updates) if times else (paths.pickles,)
    # a pickle names its log files: the roots' names have the same length, ROOT stands for them
    root = str(paths.root).encode()
    return {
        str(p.relative_to(paths.data)): p.read_bytes().replace(root, b"ROOT")
        for tree in trees
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }


def rrd_values(paths: StatsPaths, end: int) -> dict:
    """Every database's one-minute averages up to `end`, and the times of update."""
    result = {}
    for p in sorted(paths.databases.rglob("*")):
        totals = "/combined/" in str(p) or p.name in [f"{f}x_{m}" for f in "tr" for m in MACHINES]
        if not p.is_file() or "Backups" in str(p) or totals:
            continue  # backups, and the totals the graphics build from the archive
        key = str(p.relative_to(paths.databases))
        if p.read_bytes()[:4] == b"RRD\0":
            result[key] = (
                schema.fetch(p, "AVERAGE", 60, end - 6 * 3600, end),  # minute by minute
                schema.fetch(p, "AVERAGE", 3600, FIRST - 4 * 3600, end),
            )
        else:
            result[key] = p.read_bytes()
    return result


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """24 hourly runs in-process, and the same hours by hand on a second root."""
    paths = make_root(tmp_path_factory.mktemp("aroot"))
    runs = [cycle(paths, date) for date in RUNS]
    manual = make_root(tmp_path_factory.mktemp("broot"))
    for date in RUNS:
        by_hand(manual, date)
    return paths, runs, manual


def test_a_day_of_runs_stores_what_the_commands_by_hand_store(day):
    paths, runs, manual = day
    assert all(run.status == "ok" for run in runs), [s for r in runs for s in r.failed]
    ours = pickle_files(paths)
    assert ours == pickle_files(manual)
    # 2 machines x (2 clients + 1 source) x 24 hours (each run collects the hour before it)
    assert sum("/pickles/" in f"/{k}" for k in ours) == 2 * 3 * 24
    end = timeutil.hour_start(RUNS[-1])
    values = rrd_values(paths, end)
    assert values == rrd_values(manual, end)
    assert len([k for k in values if k.startswith("currentDatabases/")]) >= 2 * 3 * 2 + 2
    (_, _, step), rows = values["currentDatabases/bytecount/satnet_pxatx1"][0]
    assert step == 60 and len(rows) == 361 and all(v is not None for v in rows[:-1])


def _steps(run, name):
    return [s for s in run.steps if s.step == name]


def test_periodic_tasks_ran_exactly_when_due(day):
    paths, runs, _ = day

    def hours(name):
        return [i for i, r in enumerate(runs) if any(s.status == "ok" for s in _steps(r, name))]

    expected = {
        "dbBackups": [0, 6, 12, 18],  # 6/hours
        "monitoring": [0, 12],  # 12/hours
        "picklecleaner": [0],  # 24/hours: next at the 25th run
        "generalCleaner": [0],
        "daily": list(range(HOURS)),  # hourly
        "rrd-daily": list(range(HOURS)),
        "rrd-weekly": [0, 23],  # daily: the first run, then the first of the next day
        "rrd-monthly": [0],  # weekly: the 9th is a Monday, the 10th in the same week
        "rrd-yearly": [0],  # monthly
        "webPages": list(range(HOURS)),
        "collect": list(range(HOURS)),
        "transfer": list(range(HOURS)),
    }
    assert {name: hours(name) for name in expected} == expected
    for kind, runs_at in (("dbBackups", [0, 6, 12, 18]), ("monitoring", [0, 12])):
        names = schedule.entries(paths, kind)
        assert names == [schedule.entry_name(RUNS[i]) for i in runs_at]
    assert len(schedule.entries(paths, "pxStatsStartup")) == HOURS
    record = json.loads((paths.data / "monitoring" / "lastRun.json").read_text())
    assert record["date"] == timeutil.iso(RUNS[-1]) and record["status"] == "ok"
    assert {s["step"] for s in record["steps"]} >= {"collect", "transfer", "webPages"}
    assert not (paths.graphics / "others" / "gnuplot" / "satnet" / "old.png").exists()
    assert "1 file(s) deleted" in (paths.logs / "cleaner.log").read_text()
    backups = sorted(p.name for p in paths.databases_backups.iterdir())
    assert len(backups) == 3  # nbDbBackupsToKeep


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value and not re.match(r"[a-z]+:|#", value):
                self.links.append(value.split("#")[0].split("?")[0])


def published_file(paths: StatsPaths, url: str) -> Path | None:
    """The file a URL path (from the web root) shows, as the server maps it."""
    table = site.published(paths)
    for prefix in sorted(table, key=len, reverse=True):
        if url == prefix or url.startswith(prefix + "/"):
            return table[prefix] / url[len(prefix) + 1 :] if url != prefix else table[prefix]
    return None


def test_web_pages_link_only_to_files_that_exist(day):
    paths = day[0]
    root = site.web_root(paths)
    pages = sorted(root.rglob("*.html"))
    assert len(pages) > 5
    checked = 0
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text())
        for link in parser.links:
            if link.startswith("/") or ".py" in link:
                continue  # the request page and its broker: served, not files
            url = os.path.normpath(page.parent.relative_to(root) / link)
            target = published_file(paths, url)
            exists = target is not None and (
                target.is_dir() if link.endswith("/") else target.is_file()
            )
            assert exists, f"{page.name} -> {link}"
            checked += 1
    assert checked > 20
    daily = (root / "html_en" / "dailyGraphs_en.html").read_text()
    assert "satnet" in daily and "G1" in daily and ".png" in daily


def test_schedule_over_a_simulated_month(tmp_path):
    """720 hourly runs (30 days from 2026-11-01 00:02): how many times each task runs."""
    paths = StatsPaths(tmp_path)
    frequencies = {"monitoring": 12 * 60, "dbBackups": 6 * 60, "picklecleaner": 1440}
    counts = dict.fromkeys([*frequencies, "weekly", "monthly", "daily"], 0)
    start = T("2026-11-01 00:02:00")
    previous = None
    for hour in range(30 * 24):
        # a start-time jitter of up to 40 s either way must not postpone anything
        now = start + hour * 3600 + (40 if hour % 2 else -40)
        for kind, minutes in frequencies.items():
            if schedule.is_due(paths, kind, now, minutes):
                schedule.record(paths, kind, now, minutes, keep=5)
                counts[kind] += 1
        for word in ("daily", "weekly", "monthly"):
            counts[word] += schedule.first_of(word, now, previous)
        previous = now
    # 2026-11-01 is a Sunday: %W weeks start on the 2nd, 9th, 16th, 23rd, 30th (+ the first run)
    assert counts == {
        "monitoring": 60,
        "dbBackups": 120,
        "picklecleaner": 30,
        "daily": 30,
        "weekly": 6,
        "monthly": 1,
    }
    assert len(schedule.entries(paths, "dbBackups")) == 5


def test_schedule_reference_cases():
    iso = timeutil.iso
    assert [
        iso(t) for t in schedule.missing("days", T("2008-02-10 15:00:00"), T("2008-02-15 23:00:00"))
    ] == [f"2008-02-{d} 15:00:00" for d in (10, 11, 12, 13, 14)]
    assert len(schedule.missing("weeks", T("2008-02-10 15:00:00"), T("2008-03-15 23:00:00"))) == 4
    assert len(schedule.missing("months", T("2008-02-10 15:00:00"), T("2009-06-15 23:00:00"))) == 16
    assert [
        iso(t)[:4]
        for t in schedule.missing("years", T("2008-02-10 15:00:00"), T("2011-06-15 23:00:00"))
    ] == ["2008", "2009", "2010"]
    assert schedule.first_of("daily", T("2007-12-15 23:00:00"), T("2007-12-14 23:00:00"))
    assert not schedule.first_of("daily", T("2007-12-15 23:00:00"), T("2007-12-15 23:00:00"))
    assert schedule.first_of("weekly", T("2008-02-27 23:00:00"), T("2008-02-20 23:00:00"))
    assert schedule.first_of("monthly", T("2008-02-27 23:00:00"), T("2008-01-20 23:00:00"))
    assert schedule.first_of("yearly", T("2008-02-27 23:00:00"), T("2007-01-20 23:00:00"))
    # a change of month inside a week is not a new week (the original's bug)
    assert not schedule.first_of("weekly", T("2026-12-01 01:00:00"), T("2026-11-30 23:00:00"))
    assert schedule.first_of("hourly", T("2026-12-01 01:00:00"), None)


def test_unknown_tag_and_mismatch_are_refused_before_anything(tmp_path):
    paths = make_root(tmp_path)
    text = CONFIG.replace("machinesToBackupInDb = src1,src2", "machinesToBackupInDb = src1,src3")
    (paths.etc / "config").write_text(text)
    done = subprocess.run([str(SHIM), "--root", str(paths.root)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "pxStatsStartup: error: Error. Unknown tag src3: it is not defined in configForMachines."
    )
    (paths.etc / "config").write_text(CONFIG.replace("here1,here2", "here1"))
    done = subprocess.run([str(SHIM), "--root", str(paths.root)], capture_output=True, text=True)
    assert done.returncode == 2 and "Parameter number mismatch" in done.stderr
    assert not paths.pickles.exists() and not paths.lock_file("pxStatsStartup").exists()


def test_a_second_instance_prints_the_notice_and_exits_0(tmp_path):
    paths = make_root(tmp_path)
    with startup.instance_lock(paths):
        assert paths.lock_file("pxStatsStartup").read_text() == str(os.getpid())
        done = run_cli(paths, FIRST)
        out, _ = done.communicate(timeout=60)
        assert done.returncode == 0
        assert f"already an instance of pxStatsStartup running (PID {os.getpid()})" in out
        assert not paths.pickles.exists()
    # two started together: one runs, the other prints the notice
    both = [run_cli(paths, FIRST), run_cli(paths, FIRST)]
    outs = [p.communicate(timeout=120)[0] for p in both]
    assert sorted(p.returncode for p in both) == [0, 0]
    assert sorted("already an instance" in out for out in outs) == [False, True]
    assert paths.lock_file("pxStatsStartup").read_text() == ""


def test_a_failing_step_does_not_stop_the_others(tmp_path):
    paths = make_root(tmp_path)
    tools = tmp_path / "tools"
    tools.mkdir()
    os.symlink(shutil.which("rrdtool"), tools / "rrdtool")  # no gnuplot
    env = {"PATH": str(tools), "HOME": str(tmp_path)}
    done = run_cli(paths, FIRST, env=env)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 1, err
    record = json.loads((paths.data / "monitoring" / "lastRun.json").read_text())
    status = {s["step"]: s["status"] for s in record["steps"]}
    assert status["daily"] == "failed" and "gnuplot" in out
    assert err.startswith("pxStatsStartup: error: step=daily target=en ")
    for step in ("collect", "transfer", "dbBackups", "rrd-weekly", "webPages", "monitoring"):
        assert status[step] == "ok", (step, record)
    assert record["status"] == "failed"
    # the failed step is in the program's log too
    assert "step=daily target=en" in (paths.logs / "pxStatsStartup.log").read_text()


def test_sigterm_finishes_the_step_in_progress_and_exits_non_zero(tmp_path):
    paths = make_root(tmp_path)
    process = run_cli(paths, FIRST)
    assert process.stdout.readline().startswith("step=machineTags")
    line = process.stdout.readline()  # the first collection unit is done
    assert line.startswith("step=collect")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    record = json.loads((paths.data / "monitoring" / "lastRun.json").read_text())
    assert record["status"] == "interrupted"
    assert record["steps"][-1]["status"] == "interrupted"
    assert not schedule.entries(paths, "pxStatsStartup")
    # the next run does everything
    again = run_cli(paths, FIRST)
    again.communicate(timeout=120)
    assert again.returncode == 0


KILL_TRIALS = 20


def test_sigkill_at_random_instants(day, tmp_path_factory):
    """KILL_TRIALS runs killed at random instants over the first four hours; after each
    hour's kills one run completes it. The pickles and database values are then those of the
    uninterrupted day, and the lock never blocks."""
    reference = day[0]
    paths = make_root(tmp_path_factory.mktemp("croot"))
    rng = random.Random(5)
    hours = RUNS[:4]
    for number, date in enumerate(hours):
        for _ in range(KILL_TRIALS // len(hours)):
            process = run_cli(paths, date)
            time.sleep(rng.uniform(0.05, 3.0 if number == 0 else 1.5))
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
        complete = run_cli(paths, date)
        out, err = complete.communicate(timeout=120)
        assert complete.returncode == 0, out + err
        assert "already an instance" not in out
    end = timeutil.hour_start(hours[-1])
    ours = pickle_files(paths, times=False)
    theirs = {k: v for k, v in pickle_files(reference, times=False).items() if k in ours}
    assert ours == theirs and len(ours) == 2 * 3 * 4
    for machine in MACHINES:
        time_file = paths.time_of_update_file("tx", "satnet", machine)
        assert timeutil.iso(updates.read(time_file)) == timeutil.iso(end)
    # times of update differ from the day's (later) ones: compare values only
    mine = {k: v for k, v in rrd_values(paths, end).items() if not isinstance(v, bytes)}
    full = {k: v for k, v in rrd_values(reference, end).items() if k in mine}
    # the row after the end holds the next hour in the day's databases only
    assert mine and all(
        (mine[k][n][0], mine[k][n][1][:-1]) == (full[k][n][0], full[k][n][1][:-1])
        for k in mine
        for n in range(2)
    )
    assert set(mine) == {
        k for k, v in rrd_values(reference, end).items() if not isinstance(v, bytes)
    }


def test_the_crontab_sample_line_runs_under_cron_environment(tmp_path):
    """The line of etc/crontab.sample, with this checkout and a test root, under `env -i`
    (cron's environment: no PATH of ours, no venv), plus the options of a replay."""
    paths = make_root(tmp_path / "root")
    lines = (REPO / "etc" / "crontab.sample").read_text().splitlines()
    variable = next(line for line in lines if line.startswith("PXSTATS_ROOT="))
    entry = next(line for line in lines if line[:1].isdigit())
    fields = entry.split(None, 5)
    assert fields[:5] == ["2", "*", "*", "*", "*"]
    command, redirection = fields[5].split(" >> ")
    command = command.replace("/apps/px/pxStats/bin", str(REPO / "bin"))
    command += f" --date '{timeutil.iso(FIRST)}' --no-mirror --no-mail"
    log = redirection.replace("/apps/px/pxStats", str(paths.root)).replace(" 2>&1", "")
    paths.logs.mkdir(parents=True)
    root = variable.replace("/apps/px/pxStats", str(paths.root))
    done = subprocess.run(
        ["env", "-i", root, "SHELL=/bin/sh", "/bin/sh", "-c", f"{command} >> {log} 2>&1"],
        timeout=120,
    )
    assert done.returncode == 0, Path(log).read_text()
    assert "finished" not in Path(log).read_text()  # -q: nothing on stdout when all is well
    record = json.loads((paths.data / "monitoring" / "lastRun.json").read_text())
    assert record["status"] == "ok" and record["date"] == timeutil.iso(FIRST)


REMOTE_CONFIG = CONFIG.replace("here1,here2", "pick1,here2").replace(
    "G1 = src1 tx satnet,weather *", ""
)
REMOTE_MACHINES = (
    "src1 px-src1 root\nsrc2 px-src2 root\npick1 px-pick1 root\nhere2 localhost root\n"
)


def test_remote_machines_through_a_real_sshd(tmp_path):
    """px-src1 pickled by the remote machine px-pick1 (its pickles pulled here), px-src2's
    logs mirrored here by rsync and pickled here: three hourly runs, every step ok."""
    from sshd import start_world

    world = start_world(tmp_path / "ssh")
    try:
        for name in ("px-src1", "px-src2"):
            machine = world.machines[name]
            for sub in ("px/etc/rx", "px/etc/tx", "pxStats/etc"):
                (machine.home / sub).mkdir(parents=True, exist_ok=True)
            for file_type, names in (("tx", CLIENTS), ("rx", SOURCES)):
                for client in names:
                    end = RUNS[3]
                    write_logs(machine.px_log, file_type, client, FIRST - 7200, end, 20, seed=name)
                    (machine.px_root / "etc" / file_type / f"{client}.conf").write_text("x\n")
        (world.machines["px-pick1"].home / "pxStats" / "etc").mkdir(parents=True, exist_ok=True)
        paths = StatsPaths(tmp_path / "here")
        paths.etc.mkdir(parents=True)
        (paths.etc / "config").write_text(REMOTE_CONFIG)
        (paths.etc / "configForMachines").write_text(REMOTE_MACHINES)
        (paths.etc / "monitoringConf").write_text(MONITORING.format(root=paths.root))
        shutil.copy(world.ssh_config, paths.etc / "ssh_config")
        shutil.copy(world.known_hosts, paths.etc / "known_hosts")
        context = _config.Context(paths.root)
        for date in RUNS[:3]:
            request = startup.StartupRequest(date, send_mail=False, processes=2)
            run = startup.run(context.paths, context.config, request)
            assert run.status == "ok", [s.line() for s in run.failed]
        steps = [s.target for s in run.steps if s.step == "collect"]
        assert steps == ["remote machines", "px-src2 tx", "px-src2 rx"]
        for machine in ("px-src1", "px-src2"):
            for client in CLIENTS:
                for hour in RUNS[:3]:
                    pickle = paths.hourly_pickle(client, hour - 3600, "tx", machine)
                    assert pickle.is_file(), pickle
        picked = StatsPaths(world.machines["px-pick1"].stats_root)
        assert picked.hourly_pickle("satnet", RUNS[2] - 3600, "tx", "px-src1").is_file()
        assert not picked.hourly_pickle("satnet", RUNS[2] - 3600, "tx", "px-src2").exists()
        assert (paths.log_files / "px-src2" / "tx_satnet.log").is_file()
        assert (paths.databases / "currentDatabases" / "bytecount" / "satnet_px-src1").is_file()
    finally:
        world.stop()


def test_a_tag_whose_machine_changes_has_its_files_renamed(tmp_path):
    """src1 was pxatx1, becomes pxatx9 (the operator's mirror follows): the next run renames
    the pickles, times of update and databases of pxatx1 before collecting, and carries on
    from the renamed times of update."""
    paths = make_root(tmp_path)
    assert cycle(paths, RUNS[0]).status == "ok"
    state = json.loads((paths.data / "temp" / "previousMachineParameters.json").read_text())
    assert state["tags"] == {"src1": ["pxatx1"], "src2": ["pxatx2"]}
    (paths.etc / "configForMachines").write_text(MACHINES_CONF.replace("pxatx1", "pxatx9"))
    (paths.etc / "config").write_text(CONFIG.replace("G1 = src1 tx satnet,weather *", ""))
    os.rename(paths.log_files / "pxatx1", paths.log_files / "pxatx9")
    run = cycle(paths, RUNS[1])
    assert run.status == "ok", [s.line() for s in run.failed]
    step = next(s for s in run.steps if s.step == "machineTags")
    assert step.message.startswith("tag(s) src1 changed: ")
    kept = {"logs", "databasesBackups", "databasesTimeOfUpdatesBackups", "graphics", "webPages"}
    kept.add("lockFiles")
    assert not [p for p in paths.data.rglob("*pxatx1*") if not kept & set(p.parts)]
    for hour in RUNS[:2]:
        assert paths.hourly_pickle("satnet", hour - 3600, "tx", "pxatx9").is_file()
    assert updates.read(paths.time_of_update_file("tx", "satnet", "pxatx9")) == T(
        "2026-11-09 02:00:00"
    )
    assert (paths.current_databases / "bytecount" / "satnet_pxatx9").is_file()
    state = json.loads((paths.data / "temp" / "previousMachineParameters.json").read_text())
    assert state["tags"]["src1"] == ["pxatx9"]
