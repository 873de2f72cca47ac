"""pxStatsStartup stopped by SIGTERM or SIGINT: the units of work in progress (a client's
hour, a database set, a graphic) are finished, the others left, the run recorded
"interrupted" with what was done, the exit status 128 + signal; nothing is half-written and
the next run completes everything, equal to the same hours collected and transferred by hand.

One root, three interrupted runs (SIGTERM to the process group during the collection, as
cron or killall would send it; SIGINT to the group during the transfer, a Ctrl-C; SIGTERM to
the process only during the daily graphics), then a complete run. The moment is found by
polling the files each step writes, and "not everything was done" by counting units.
Then util.pool's stop and util.stopsignals on their own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers import REPO, T

from pxstats.cli import pickleUpdater, transferPickleToRRD
from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.samples import write_logs
from pxstats.store import pickles, updates
from pxstats.util import pool, timeutil
from pxstats.util.stopsignals import StopOnSignals

SHIM = REPO / "bin" / "pxStatsStartup"
DATE = T("2026-11-09 13:02:00")
END = timeutil.hour_start(DATE)
HOURS = 30  # each name catches up 30 hours (its time of update is planted)
START = END - HOURS * 3600
MACHINE = "pxatx1"
NAMES = [("tx", f"client{i:03d}") for i in range(26)] + [("rx", "ncp1")]  # 26: workers
CLIENTS = sum(file_type == "tx" for file_type, _ in NAMES)

CONFIG = """\
[generalConfig]
sourceMachinesTags = src1
picklingMachines = here1
machinesToBackupInDb = src1
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
"""

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
    """One source machine pickled here: 26 clients and a source, 300 lines an hour each,
    every time of update 30 hours back."""
    etc = base / "etc"
    etc.mkdir(parents=True)
    (etc / "config").write_text(CONFIG)
    (etc / "configForMachines").write_text(f"src1 {MACHINE} u1\nhere1 localhost u\n")
    (etc / "monitoringConf").write_text(MONITORING.format(root=base))
    paths = StatsPaths(base)
    for file_type, name in NAMES:
        write_logs(paths.log_files / MACHINE, file_type, name, START - 3600, END + 3600, 300, name)
        updates.write(paths.time_of_update_file(file_type, name, MACHINE), START)
    return paths


def copy_root(paths: StatsPaths, base: Path) -> StatsPaths:
    """The same etc and logs under another root of the same length (pickles name their logs)."""
    shutil.copytree(paths.root, base, dirs_exist_ok=True)
    (base / "etc" / "monitoringConf").write_text(MONITORING.format(root=base))
    return StatsPaths(base)


def by_hand(paths: StatsPaths) -> None:
    root = ["--root", str(paths.root)]
    when = timeutil.iso(DATE)
    for file_type in ("rx", "tx"):
        assert pickleUpdater.main(["-m", MACHINE, "-f", file_type, "-d", when, *root]) == 0
    assert transferPickleToRRD.main(["-m", MACHINE, "-e", when, *root]) == 0


def start(paths: StatsPaths) -> subprocess.Popen:
    argv = [str(SHIM), "--root", str(paths.root), "--date", timeutil.iso(DATE)]
    argv += ["--no-mirror", "--no-mail", "-p", "2"]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def wait_for_file(process: subprocess.Popen, folder: Path, pattern: str = "*") -> None:
    """Until `folder` holds a file matching `pattern` (the step has begun writing)."""
    deadline = time.monotonic() + 120
    while not (folder.is_dir() and any(p.is_file() for p in folder.rglob(pattern))):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"nothing appeared in {folder}"
        time.sleep(0.01)


def stop(process: subprocess.Popen, number: int, group: bool) -> tuple[str, str]:
    (os.killpg if group else os.kill)(process.pid, number)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + number, out + err
    assert f"interrupted by {signal.Signals(number).name}" in err
    return out, err


def last_run(paths: StatsPaths) -> dict:
    return json.loads((paths.data / "monitoring" / "lastRun.json").read_text())


def steps(record: dict, name: str) -> list[dict]:
    return [s for s in record["steps"] if s["step"] == name]


def done_of(step: dict, what: str) -> tuple[int, int]:
    """(units done, units) from an interrupted step's message."""
    assert step["status"] == "interrupted", step
    match = re.match(rf"(\d+) of (\d+) {re.escape(what)} done", step["message"])
    assert match, step
    return int(match[1]), int(match[2])


def after(record: dict, name: str) -> list[dict]:
    """The steps recorded after the first `name` step."""
    names = [s["step"] for s in record["steps"]]
    return record["steps"][names.index(name) + 1 :]


def no_temps(paths: StatsPaths) -> None:
    left = [p for p in paths.data.rglob("*") if p.name.endswith(".tmp")]
    assert not left, left


def collected_hours(paths: StatsPaths) -> int:
    """Client-hours stored, checking that every name's pickles are exactly the hours its time
    of update covers (no hour lost, none beyond it) and that every pickle loads."""
    total = 0
    for file_type, name in NAMES:
        last = updates.read(paths.time_of_update_file(file_type, name, MACHINE))
        hours = [
            h
            for h in range(START - 3600, END + 3600, 3600)
            if paths.hourly_pickle(name, h, file_type, MACHINE).exists()
        ]
        assert hours == list(range(START, last, 3600)), name
        for hour in hours:
            pickles.load_collector(paths.hourly_pickle(name, hour, file_type, MACHINE))
        total += len(hours)
    return total


def databases(paths: StatsPaths) -> list[Path]:
    """Every RRD, each checked by `rrdtool info`."""
    found = [
        p for p in paths.databases.rglob("*") if p.is_file() and p.read_bytes()[:4] == b"RRD\0"
    ]
    for db in found:
        assert schema.info(db), db
    return found


def pngs(paths: StatsPaths) -> list[Path]:
    """Every PNG, each checked to be complete (signature, then an IEND chunk at the end)."""
    found = sorted(paths.graphics.rglob("*.png"))
    for png in found:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-12:] == bytes.fromhex(
            "0000000049454e44ae426082"
        ), png
    return found


def stored(paths: StatsPaths) -> dict:
    """Pickles and times of update (the root's path replaced), then every per-name
    database's values minute by minute and hour by hour, and their times of update."""
    root = str(paths.root).encode()
    result = {
        str(p.relative_to(paths.data)): p.read_bytes().replace(root, b"ROOT")
        for tree in (paths.pickles, paths.times_of_updates)
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }
    totals = (f"tx_{MACHINE}", f"rx_{MACHINE}")  # built by the graphics from the databases
    for db in sorted(paths.current_databases.rglob("*")):
        if db.is_file() and "combined" not in db.parts and db.name not in totals:
            result[str(db.relative_to(paths.data))] = (
                schema.fetch(db, "AVERAGE", 60, END - 6 * 3600, END),
                schema.fetch(db, "AVERAGE", 3600, START - 3600, END),
            )
    times = paths.databases / "currentDatabasesTimeOfUpdates"
    for p in sorted(times.rglob("*")):
        if p.is_file() and p.name not in totals:
            result[str(p.relative_to(paths.data))] = p.read_bytes()
    return result


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """(root for the interrupted runs, the same hours done by hand on a twin root)."""
    paths = make_root(tmp_path_factory.mktemp("sroot"))
    twin = copy_root(paths, tmp_path_factory.mktemp("hroot"))
    by_hand(twin)
    return paths, twin


def test_interrupted_three_times_then_completed_equals_the_commands_by_hand(roots):
    paths, twin = roots
    total_hours = len(NAMES) * HOURS

    # 1. SIGTERM to the whole process group (cron, killall) while the clients are collected
    process = start(paths)
    wait_for_file(process, paths.pickles)
    stop(process, signal.SIGTERM, group=True)
    record = last_run(paths)
    assert record["status"] == "interrupted"
    first = steps(record, "collect")[0]
    assert first["target"] == f"{MACHINE} tx"
    done, units = done_of(first, "client(s)")
    assert units == CLIENTS and done < CLIENTS
    assert {s["status"] for s in after(record, "collect")} == {"interrupted"}
    hours = collected_hours(paths)
    assert 0 < hours < total_hours
    assert not paths.databases.exists()
    no_temps(paths)

    # 2. SIGINT to the group (Ctrl-C) during the transfer: the sets started are finished
    process = start(paths)
    wait_for_file(process, paths.current_databases)
    stop(process, signal.SIGINT, group=True)
    record = last_run(paths)
    assert [s["status"] for s in steps(record, "collect")] == ["ok", "ok"]
    assert collected_hours(paths) == total_hours
    transfer = steps(record, "transfer")[0]
    done, units = done_of(transfer, "database set(s)")
    assert units == len(NAMES) and 0 < done < units
    assert {s["status"] for s in after(record, "transfer")} == {"interrupted"}
    # every database of a set finished is there, whole; a set not started has no database
    assert len(databases(paths)) == done * 5  # tx: 5 databases, rx: 3
    no_temps(paths)

    # 3. SIGTERM to the process only during the daily graphics (gnuplot children)
    process = start(paths)
    wait_for_file(process, paths.graphics, "*.png")
    stop(process, signal.SIGTERM, group=False)
    record = last_run(paths)
    assert steps(record, "transfer")[0]["status"] == "ok"
    daily = steps(record, "daily")[0]
    done, units = done_of(daily, "graphic(s)")
    assert units == len(NAMES) and done < units
    assert {s["status"] for s in after(record, "daily")} == {"interrupted"}
    assert pngs(paths)
    databases(paths)
    no_temps(paths)
    assert not (paths.data / "webPages").exists() or not list(
        (paths.data / "webPages").rglob("*.html")
    )

    # 4. the next run completes everything
    process = start(paths)
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, out + err
    record = last_run(paths)
    assert record["status"] == "ok"
    assert steps(record, "daily")[0]["message"] == f"{len(NAMES)} graphic(s)"
    assert len(pngs(paths)) > 3 * len(NAMES)
    databases(paths)
    no_temps(paths)
    ours, theirs = stored(paths), stored(twin)
    assert len(theirs) > 2 * len(NAMES)
    assert {k: ours.get(k) for k in theirs} == theirs


# -- the pieces ----------------------------------------------------------------------------------


def _unit(item):
    """A unit that receives SIGTERM and SIGINT itself halfway (as a group signal would)."""
    if item == 0:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.3)
    return item, os.getpid()


def _failed(item, message):
    return item, message


def test_pool_stops_dispatching_and_its_workers_ignore_the_signals():
    looks = []  # asked to stop once the two first units are given to the two workers

    def asked():
        looks.append(1)
        return len(looks) > 2

    results = pool.run_each(
        _unit, range(8), 2, _failed, should_stop=asked, interrupted=lambda i: (i, "left")
    )
    # the two units in progress when asked finished (unit 0 despite its signals), the others
    # were never started
    assert [r[0] for r in results] == list(range(8))
    finished = [r for r in results if isinstance(r[1], int)]
    assert [r[0] for r in finished] == [0, 1]
    assert all(r[1] != os.getpid() for r in finished)
    assert [r[1] for r in results[2:]] == ["left"] * 6
    # in this process (one worker): checked before each unit
    calls = []
    results = pool.run_each(
        calls.append, [1, 2, 3], 1, _failed, should_stop=lambda: len(calls) >= 2
    )
    assert calls == [1, 2] and results == [None, None, (3, "interrupted")]


def _until_asked(item):
    deadline = time.monotonic() + 10
    while not pool.stop_requested() and time.monotonic() < deadline:
        time.sleep(0.01)
    return pool.stop_requested()


def test_a_unit_in_a_worker_sees_the_stop_request():
    asked = threading.Event()
    timer = threading.Timer(0.2, asked.set)
    timer.start()
    began = time.monotonic()
    assert pool.run_each(_until_asked, [1, 2], 2, _failed, should_stop=asked.is_set) == [
        True,
        True,
    ]
    assert time.monotonic() - began < 9
    assert not pool.stop_requested()  # not in a worker


def test_stop_on_signals_takes_them_and_children_survive_them():
    with StopOnSignals() as signals:
        child = subprocess.Popen(["sleep", "0.5"])
        os.kill(child.pid, signal.SIGTERM)  # blocked in the child too
        # to the watcher thread: a signal to the process could reach another thread of pytest
        signal.pthread_kill(signals.thread.ident, signal.SIGTERM)
        assert signals.event.wait(5)
        signal.pthread_kill(signals.thread.ident, signal.SIGINT)
        assert child.wait(5) == 0
    assert signals.first == signal.SIGTERM
    assert sorted(signals.received) == sorted([signal.SIGTERM, signal.SIGINT])
    assert not signal.pthread_sigmask(signal.SIG_BLOCK, []) & {signal.SIGINT, signal.SIGTERM}


def test_rrd_graphics_plan_no_graphic_once_asked_to_stop(tmp_path):
    from helpers import make_client

    from pxstats.actions import rrd_graphics
    from pxstats.cli import generateRRDGraphics

    paths = StatsPaths(tmp_path)
    first = T("2006-10-08 00:00:00")
    make_client(paths, "satnet", ["pds5"], first, 1440, time_of_update=first + 86400)
    argv = ["--root", str(tmp_path), "-w", "--date", "2006-10-11 12:00:00", "-c", "satnet"]
    args = generateRRDGraphics.build_parser().parse_args([*argv, "-f", "tx", "--machines", "pds5"])
    request = generateRRDGraphics.build_request(args, paths)

    def asked():  # after the second graphic
        return len(pngs(paths)) >= 2

    outcomes = rrd_graphics.produce(paths, request, now=first + 86400, workers=1, should_stop=asked)
    assert len(request.data_types) == 5 and len(outcomes) == 2
    assert all(o.ok for o in outcomes) and len(pngs(paths)) == 2

    # Jobs already handed to the drawing threads (planned at once) start no more either.
    from pxstats.rrd import runner

    for png in pngs(paths):
        png.unlink()
    jobs = list(rrd_graphics.iter_plan(paths, request, first + 86400))
    outcomes = runner.run_jobs(jobs, workers=2, should_stop=lambda: len(pngs(paths)) >= 1)
    assert len(jobs) == 5 and 1 <= len(outcomes) <= 2
    assert all(o.ok for o in outcomes) and len(pngs(paths)) == len(outcomes)


def test_sync_starts_no_machine_step_once_asked_to_stop(tmp_path):
    from pxstats.actions import sync
    from pxstats.remote.commands import Host

    pairs = ((Host("px-src9", "u"), Host("px-pick9", "u")),)
    with sync.SyncContext.open(StatsPaths(tmp_path)) as context:
        request = sync.UpdateRemotePickles(pairs, DATE, should_stop=lambda: True)
        outcomes = sync.run(context, request)
    assert [(o.machine, o.message, o.skipped) for o in outcomes] == [
        ("px-src9", sync.INTERRUPTED, True),
        ("px-pick9", sync.INTERRUPTED, True),
    ]
