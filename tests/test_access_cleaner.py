"""fileVersionsAndAccessCleaners: version files and resume pointers of machines no longer
configured are deleted; those of configured machines, their combinations and this host stay."""

from __future__ import annotations

import subprocess

from helpers import REPO

from pxstats.paths import StatsPaths, this_host

CONFIG = """\
[generalConfig]
sourceMachinesTags = src1
picklingMachines = src1
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
dbBackupsFrequency = 12/hours
pickleCleanerFrequency = 24/hours
generalCleanerFrequency = 24/hours
dailyWebPageUpdatesFrequency = hourly
weeklyWebPageUpdatesFrequency = hourly
monthlyWebPageUpdatesFrequency = weekly
yearlyWebPageUpdatesFrequency = monthly
totalWebPagesUpdatesFrequency = daily

[specialGroups]
G1 = other tx a,b *
"""


def test_only_files_of_inactive_machines_go(tmp_path):
    paths = StatsPaths(tmp_path)
    paths.etc.mkdir()
    (paths.etc / "config").write_text(CONFIG)
    (paths.etc / "configForMachines").write_text("src1 m1,m2 u,u\nother m7 u\n")
    keep = [
        paths.pointer_file("tx", "sat", "m1"),
        paths.pointer_file("rx", "feed", "m2"),
        paths.pointer_file("tx", "sat", this_host()),
        paths.version_file("sat", "m1,m2"),
        paths.version_file("G1", "m7"),
        paths.log_file_access / ".hidden",
    ]
    gone = [
        paths.pointer_file("tx", "sat", "old9"),
        paths.version_file("sat", "m1,old9"),
        paths.pointer_file("tx", "sat", "m1x"),
    ]
    for path in keep + gone:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    shim = str(REPO / "bin" / "fileVersionsAndAccessCleaners")
    done = subprocess.run([shim, "--root", str(tmp_path), "-n"], capture_output=True, text=True)
    assert done.returncode == 0
    assert sorted(done.stdout.splitlines()) == sorted(f"would delete {p}" for p in gone)
    assert all(p.exists() for p in keep + gone)
    done = subprocess.run([shim, "--root", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0
    assert all(p.exists() for p in keep) and not any(p.exists() for p in gone)


def test_without_configuration_it_refuses(tmp_path):
    shim = str(REPO / "bin" / "fileVersionsAndAccessCleaners")
    done = subprocess.run([shim, "--root", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
