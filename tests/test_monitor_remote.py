"""statsMonitor and other machines, through a real sshd on 127.0.0.0/8 (tests/sshd.py):
ssh reachability of the configured machines and the download of Columbo's files."""

from __future__ import annotations

import shutil

import pytest
from sshd import start_world

from pxstats.actions import monitor
from pxstats.paths import StatsPaths
from pxstats.remote import reach
from pxstats.util import timeutil


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = start_world(tmp_path_factory.mktemp("ssh"))
    yield w
    w.stop()


def make_root(tmp_path, world, upload: str) -> StatsPaths:
    root = tmp_path / "root"
    etc = root / "etc"
    etc.mkdir(parents=True)
    shutil.copy(world.ssh_config, etc / "ssh_config")
    shutil.copy(world.known_hosts, etc / "known_hosts")
    user = world.user
    (etc / "configForMachines").write_text(
        f"src   px-src1          {user}\n"
        f"pick  px-pick1         {user}\n"
        f"colu  {upload}  {','.join([user] * len(upload.split(',')))}\n"
    )
    (etc / "config").write_text(
        "[generalConfig]\nsourceMachinesTags = src\npicklingMachines = pick\n"
        "machinesToBackupInDb = src\ngraphicsUploadMachines = colu\ndaysOfPicklesToKeep = 21\n"
        "nbDbBackupsToKeep = 20\nnbAutoUpdatesLogsToKeep = 10\nmainApplicationLanguage = en\n"
        f"artifactsLanguages = en\nwebPagesLanguages = en:en\nstatsRoot = {root}/\n"
        "[timeConfig]\npxStatsFrequency = 1/hours\nmonitoringFrequency = 12/hours\n"
        "dbBackupsFrequency = 12/hours\npickleCleanerFrequency = 24/hours\n"
        "generalCleanerFrequency = 24/hours\ndailyWebPageUpdatesFrequency = hourly\n"
        "weeklyWebPageUpdatesFrequency = hourly\nmonthlyWebPageUpdatesFrequency = weekly\n"
        "yearlyWebPageUpdatesFrequency = monthly\ntotalWebPagesUpdatesFrequency = daily\n"
    )
    columbo = tmp_path / "columbo"
    (columbo / "etc").mkdir(parents=True)
    (columbo / "ColumboShow" / "log").mkdir(parents=True)
    (columbo / "etc" / "maxSettings.conf").write_text(
        "PX_CIRCUITS\nDEFAULT 30\nPX_TIMERS\nDEFAULT 60\nPX_GRAPHS\nDEFAULT 10\n"
    )
    (columbo / "etc" / "other.conf").write_text("not copied\n")
    for name in ("PX_Errors.txt", "PX_Errors.txt.1", "PX_Errors.txt.2", "PDS_Errors.txt"):
        (columbo / "ColumboShow" / "log" / name).write_text(f"{name}\n")
    (etc / "monitoringConf").write_text(
        "[statsMonitoring]\nsender = a@example.com\nsmtpServer = 127.0.0.1:1\n"
        "emails = b@example.com\nmachines = px-src1\nfiles =\n"
        f"folders = {root}\nmaxUsages = 100\n"
        f"errorsLogFile = {root}/data/monitoring/PX_Errors.txt\n"
        f"maxSettingsFile = {root}/data/monitoring/maxSettings.conf\n"
        f"columboRoot = {columbo}\nsshTimeout = 3\n"
    )
    return StatsPaths(root)


def sections(outcome) -> dict:
    return {s.check: s for s in outcome.report.sections}


def test_unreachable_machines_and_the_columbo_downloads(tmp_path, world):
    paths = make_root(tmp_path, world, "px-down,px-src1")
    end = timeutil.parse_iso("2026-05-05 14:00:00")
    outcome = monitor.run(
        paths, monitor.Request(end=end, send_mail=False, crontab_command=("true",))
    )
    found = sections(outcome)
    # px-src1 and px-pick1 answer; nothing listens on px-down.
    [line] = found["reach"].lines
    assert line.startswith(f"{world.user}@px-down : exit status 255")
    assert found["reach"].has_problems and outcome.status == 2
    assert "unreachable machines" in outcome.report.subject()
    # px-down was tried first, then px-src1 gave the files.
    downloads = found["downloads"]
    assert not downloads.has_problems
    assert downloads.heading("en") == "The Columbo files were downloaded from px-src1."
    assert [line.split(" : ")[0] for line in downloads.lines] == ["px-down", "px-down"]
    monitoring = paths.data / "monitoring"
    assert sorted(
        p.name for p in monitoring.iterdir() if p.name.startswith(("PX", "PD", "max", "other"))
    ) == ["PX_Errors.txt", "PX_Errors.txt.1", "PX_Errors.txt.2", "maxSettings.conf"]
    assert "gaps" in found  # the downloaded maxSettings.conf was read


def test_downloads_failing_everywhere_are_noted(tmp_path, world):
    paths = make_root(tmp_path, world, "px-down")
    outcome = monitor.run(
        paths,
        monitor.Request(
            end=timeutil.parse_iso("2026-05-05 14:00:00"),
            send_mail=False,
            crontab_command=("true",),
        ),
    )
    downloads = sections(outcome)["downloads"]
    assert downloads.has_problems
    assert downloads.heading("en") == "The Columbo files could not be downloaded :"
    assert len(downloads.lines) == 2 and all(
        line.startswith("px-down : ") for line in downloads.lines
    )
    assert "gaps" not in sections(outcome)  # no maxSettings.conf at all


def test_reachable_refuses_a_hostile_name_before_running_anything(world):
    settings = world.settings()
    assert reach.reachable(settings, "px-src1", world.user) is None
    reason = reach.reachable(settings, "px-src1;touch /tmp/pwned", world.user)
    assert reason.startswith("invalid machine name")
    assert reach.reachable(settings, "-oProxyCommand=x").startswith("invalid machine name")
    argv = reach.reach_argv(settings, reach.Host("px-src1", world.user), 5)
    assert argv[-3:] == ["--", f"{world.user}@px-src1", "true"]
    assert "BatchMode=yes" in argv and "ConnectTimeout=5" in argv
