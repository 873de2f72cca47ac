"""statsMonitor's "last pxStatsStartup run" section, on the healthy installation of
tests/monitorworld.py: lastRun.json made by real pxStatsStartup runs (one that succeeds, one
whose steps fail, one killed with SIGKILL) on a small root of their own, and written by hand
for the other cases (interrupted, too old, unreadable, still running). In every scenario only
this section complains, with the Nagios status chosen for it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import monitorworld as world
import pytest
from helpers import REPO

from pxstats import config as _config
from pxstats.actions import monitor, startup
from pxstats.monitor import lastrun
from pxstats.monitor.report import ERROR, OK, WARNING
from pxstats.monitor.texts import TEXT
from pxstats.paths import StatsPaths
from pxstats.samples import write_logs
from pxstats.util import timeutil
from pxstats.util.timeutil import HOUR

iso = timeutil.iso
SHIM = REPO / "bin" / "pxStatsStartup"
CONFIG = """\
[generalConfig]
sourceMachinesTags = src1
picklingMachines = here1
machinesToBackupInDb = src1
graphicsUploadMachines =
daysOfPicklesToKeep = 21
nbDbBackupsToKeep = 3
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


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("healthy") / "root"
    end = world.build(root)
    return SimpleNamespace(root=root, end=end)


@pytest.fixture
def site(template, tmp_path):
    root = world.clone(template.root, tmp_path / "root")
    return SimpleNamespace(root=root, end=template.end, paths=StatsPaths(root))


def startup_root(base: Path, logs: bool, monitoring: bool, end: int) -> StatsPaths:
    """A small root pxStatsStartup can run on: machine pxatx1 pickled here; with `logs`, two
    days of its logs up to `end`; with `monitoring`, a monitoringConf (no mail is sent)."""
    etc = base / "etc"
    etc.mkdir(parents=True)
    (etc / "config").write_text(CONFIG)
    (etc / "configForMachines").write_text("src1 pxatx1 u1\nhere1 localhost u\n")
    # the monitor's ssh check meets a closed port of the loopback, never a real machine
    (etc / "ssh_config").write_text("Host *\n  HostName 127.0.0.1\n  Port 9\n")
    if monitoring:
        (etc / "monitoringConf").write_text(
            world.monitoring_conf(base, machines="pxatx1", files=f"{base}/etc")
        )
        (base / "data" / "monitoring").mkdir(parents=True)
    paths = StatsPaths(base)
    if logs:
        folder = paths.log_files / "pxatx1"
        for file_type, names in (("tx", ("satnet", "weather")), ("rx", ("ncp1",))):
            for name in names:
                write_logs(folder, file_type, name, end - 48 * HOUR, end + HOUR, 200)
    return paths


def real_run(paths: StatsPaths, date: int) -> startup.Run:
    context = _config.Context(paths.root)
    request = startup.StartupRequest(date, mirror=False, send_mail=False, processes=1)
    return startup.run(context.paths, context.config, request)


def record_file(paths: StatsPaths) -> Path:
    return paths.data / "monitoring" / "lastRun.json"


def install(site, record: dict | str | bytes) -> None:
    """lastRun.json of the site: a record (dict), or raw text/bytes."""
    path = record_file(site.paths)
    if isinstance(record, dict):
        record = json.dumps(record)
    if isinstance(record, str):
        record = record.encode()
    path.write_bytes(record)


def hand_record(site, minutes_before_end: int = 20, status: str = "ok", **changes) -> dict:
    date = site.end - minutes_before_end * 60
    record = {
        "program": "pxStatsStartup",
        "date": iso(date),
        "started": iso(date + 3),
        "pid": os.getpid(),
        "status": status,
        "steps": [
            {"step": "machineTags", "target": "", "seconds": 0.01, "status": "ok", "message": ""},
            {"step": "webPages", "target": "", "seconds": 0.2, "status": "ok", "message": "9"},
        ],
    }
    record.update(changes)
    return record


def report(site):
    outcome = monitor.run(site.paths, world.request(site.root, site.end))
    assert outcome.report is not None, outcome.error
    return outcome


def complaining(outcome) -> set[str]:
    return {s.check for s in outcome.report.sections if s.has_problems}


def section(outcome):
    found = [s for s in outcome.report.sections if s.check == "lastrun"]
    assert len(found) == 1, [s.check for s in outcome.report.sections]
    return found[0]


# -- no record, a good record ---------------------------------------------------------------


def test_without_a_record_the_section_is_left_out(site):
    assert not record_file(site.paths).exists()
    outcome = report(site)
    assert "lastrun" not in [s.check for s in outcome.report.sections]
    assert outcome.status == OK and complaining(outcome) == set()


def test_a_real_run_that_succeeded_is_clean(site, tmp_path):
    date = timeutil.now()  # at most an hour before the end (backups refuse the future)
    paths = startup_root(tmp_path / "startup", logs=True, monitoring=True, end=date)
    run = real_run(paths, date)
    assert run.status == "ok", [s.line() for s in run.failed]
    install(site, record_file(paths).read_bytes())
    outcome = report(site)
    assert outcome.status == OK and complaining(outcome) == set()
    found = section(outcome)
    assert found.status == OK
    assert found.heading("en") == TEXT["en"]["lastrun"][1]
    started = json.loads(record_file(paths).read_text())["started"]
    assert found.lines == [
        f"Last run : {iso(date)} (started at {started}), status ok, {len(run.steps)} step(s)."
    ]
    assert outcome.report.sections[-1] is found  # after the other sections
    assert "The last pxStatsStartup run had no problem." in outcome.report.text()


# -- warnings -------------------------------------------------------------------------------


def test_failed_steps_of_a_real_run_are_warnings_with_their_messages(site, tmp_path):
    date = timeutil.now()  # at most an hour before the end (backups refuse the future)
    paths = startup_root(tmp_path / "startup", logs=False, monitoring=False, end=date)
    run = real_run(paths, date)
    failed = {(s.step, s.target) for s in run.failed}
    assert failed == {
        ("collect", "pxatx1 tx"),
        ("collect", "pxatx1 rx"),
        ("transfer", "src1"),
        ("monitoring", ""),
    }
    install(site, record_file(paths).read_bytes())
    outcome = report(site)
    assert complaining(outcome) == {"lastrun"}
    assert outcome.status == WARNING
    assert outcome.report.subject().endswith(" with warnings.")
    found = section(outcome)
    assert found.heading("en") == "The last pxStatsStartup run had problems :"
    assert found.lines[0].endswith(f"status failed, {len(run.steps)} step(s).")
    steps = found.lines[1:]
    assert len(steps) == 4
    assert steps[0] == (
        "Warning : step collect pxatx1 tx failed : unknown machine 'pxatx1': its log folder "
        f"{paths.log_files}/pxatx1 does not exist; no machine is known"
    )
    assert steps[3].startswith("Warning : step monitoring failed : ")
    assert "monitoringConf: file not found" in steps[3]
    assert TEXT["en"]["lastrun"][2] in found.text("en")


def test_a_real_run_killed_with_sigkill_is_a_crashed_run(site, tmp_path):
    date = timeutil.now()  # at most an hour before the end (backups refuse the future)
    paths = startup_root(tmp_path / "startup", logs=True, monitoring=False, end=date)
    argv = [str(SHIM), "--root", str(paths.root), "--date", iso(date), "--no-mirror"]
    for _attempt in range(5):  # the run could end between the poll and the kill
        process = subprocess.Popen(
            [*argv, "--no-mail", "-p", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        record = None
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            try:
                record = json.loads(record_file(paths).read_text())
            except (OSError, ValueError):
                record = None
            if record is not None and record["status"] == "running":
                process.kill()
                break
            time.sleep(0.002)
        process.wait(timeout=60)
        record = json.loads(record_file(paths).read_text())
        if record["status"] == "running":
            break
    assert record["status"] == "running" and record["pid"] == process.pid
    assert process.returncode == -signal.SIGKILL
    install(site, record_file(paths).read_bytes())
    outcome = report(site)
    assert complaining(outcome) == {"lastrun"} and outcome.status == WARNING
    assert section(outcome).lines[1:] == [
        f"Warning : the run did not finish: its process (PID {process.pid}) is gone "
        "(killed or crashed)."
    ]


def test_an_interrupted_run_is_a_warning(site):
    record = hand_record(site, status="interrupted")
    record["steps"] += [
        {"step": "rrd-daily", "target": "en", "seconds": 0, "status": "interrupted"},
        {"step": "webPages", "target": "", "seconds": 0, "status": "interrupted"},
    ]
    install(site, record)
    outcome = report(site)
    assert complaining(outcome) == {"lastrun"} and outcome.status == WARNING
    assert section(outcome).lines[1:] == [
        "Warning : the run was interrupted (SIGTERM or SIGINT); 2 step(s) were not done."
    ]


def test_a_running_record_of_a_live_process_is_no_problem(site):
    install(site, hand_record(site, status="running"))
    outcome = report(site)
    assert complaining(outcome) == set() and outcome.status == OK
    assert section(outcome).lines[1:] == [f"The run is still in progress (PID {os.getpid()})."]


def test_a_pid_used_again_by_a_younger_process_is_not_the_run(site):
    """The PID exists, but its process started after the run did: the run is gone."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        record = hand_record(site, status="running", pid=child.pid)
        record["started"] = iso(int(time.time()) - 3600)
        install(site, record)
        outcome = report(site)
        assert complaining(outcome) == {"lastrun"} and outcome.status == WARNING
        assert "is gone (killed or crashed)" in section(outcome).lines[1]
        assert lastrun.alive(child.pid, int(time.time()) + 5)  # started before: the run's
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"{not json", "not JSON: "),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"status": "ok"}', "no 'date'"),
        (b'{"date": "yesterday", "status": "ok"}', "a date is not YYYY-MM-DD HH:MM:SS"),
        (b'{"date": "2026-12-04 10:00:00", "status": "ok", "steps": 3}', "'steps' is not"),
        (b'{"date": "2026-12-04 10:00:00", "status": "running", "pid": -1}', "bad pid -1"),
    ],
)
def test_an_unreadable_record_is_a_warning(site, raw, reason):
    install(site, raw)
    outcome = report(site)
    assert complaining(outcome) == {"lastrun"} and outcome.status == WARNING
    [line] = section(outcome).lines
    assert line.startswith(f"Warning : {record_file(site.paths)} could not be read ({reason}")


# -- the error: pxStatsStartup stopped --------------------------------------------------------


def test_a_run_older_than_twice_the_frequency_is_an_error(site):
    install(site, hand_record(site, minutes_before_end=2 * 60 + 1, started=iso(site.end - 7230)))
    outcome = report(site)
    assert complaining(outcome) == {"lastrun"}
    assert outcome.status == ERROR and section(outcome).status == ERROR
    last = iso(site.end - 7230)  # its start, later than its date
    assert section(outcome).lines[1:] == [
        f"Error : pxStatsStartup has not run since {last} (it should run every 1/hours)."
    ]
    assert outcome.report.subject().endswith(" with pxStatsStartup not running.")
    data = json.loads(outcome.report.json())
    assert [(s["check"], s["status"]) for s in data["sections"] if s["status"] != "ok"] == [
        ("lastrun", "error")
    ]


def test_a_replay_of_a_past_hour_counts_when_it_started(site):
    """pxStatsStartup --date of last week, run 10 minutes ago: pxStatsStartup runs."""
    install(site, hand_record(site, 7 * 24 * 60, started=iso(site.end - 600)))
    outcome = report(site)
    assert complaining(outcome) == set() and section(outcome).status == OK


def test_the_frequency_comes_from_etc_config(site):
    """pxStatsFrequency = 3/hours: a run 4 hours old is still on time."""
    (site.root / "etc" / "config").write_text(
        CONFIG.replace("pxStatsFrequency = 1/hours", "pxStatsFrequency = 3/hours")
    )
    (site.root / "etc" / "configForMachines").write_text("src1 m1 px\nhere1 localhost u\n")
    request = world.request(site.root, site.end, reach=lambda machine, login: None)
    install(site, hand_record(site, minutes_before_end=4 * 60))
    outcome = monitor.run(site.paths, request)
    assert section(outcome).status == OK
    install(site, hand_record(site, minutes_before_end=6 * 60 + 1))
    outcome = monitor.run(site.paths, request)
    assert section(outcome).lines[-1].endswith("(it should run every 3/hours).")


def test_the_monitoring_step_of_pxstatsstartup_sees_its_own_run_in_progress(tmp_path):
    date = timeutil.now()
    paths = startup_root(tmp_path / "startup", logs=True, monitoring=True, end=date)
    run = real_run(paths, date)
    assert run.status == "ok", [s.line() for s in run.failed]
    [saved] = sorted((paths.data / "monitoring" / "reports").iterdir())
    text = saved.read_text()
    assert "The last pxStatsStartup run had no problem." in text
    assert f"The run is still in progress (PID {os.getpid()})." in text


def test_the_french_report(site):
    install(site, hand_record(site, minutes_before_end=3 * 60))
    outcome = report(site)
    found = section(outcome)
    assert found.heading("fr") == "La dernière exécution de pxStatsStartup a eu des problèmes :"
    assert set(TEXT["fr"]) == set(TEXT["en"])
    assert TEXT["fr"]["summary"].keys() == TEXT["en"]["summary"].keys()
