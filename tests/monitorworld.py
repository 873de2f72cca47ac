"""A healthy installation for the statsMonitor tests, built by real runs of pxStats.

generateSampleLogs writes a week of Sundew logs for machine m1 (clients c1, c2, source s1);
pickleUpdater collects them into hourly pickles, transferPickleToRRD fills the databases,
generateAllGnuGraphicsForMachines draws the daily (Columbo) graphics and generateRRDGraphics
one RRD graphic, so every program log has lines. A first monitoring run, one hour before the
end, records the state (checksums, crontab, last filled minutes) as a real installation would
have it. The end is the hour after the build, so the build's log lines fall in the window of
the monitoring run the tests make: [END - 1 h, END).

`clone` copies the built installation for one scenario (paths rewritten in the text files that
hold them), so each scenario changes its own copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pxstats.actions import monitor
from pxstats.paths import StatsPaths
from pxstats.util import timeutil
from pxstats.util.timeutil import DAY, HOUR

BIN = Path(sys.executable).parent
MACHINE = "m1"
CLIENTS = ("c1", "c2")
SOURCES = ("s1",)
CRONTAB = (
    "# pxStats\n2 * * * * TZ=UTC /apps/px/pxStats/venv/bin/pxStatsStartup >> "
    "/apps/px/pxStats/logs/cron.log 2>&1\n"
)
MAX_SETTINGS = "PX_CIRCUITS\nDEFAULT 30\nPX_TIMERS\nDEFAULT 60\nPX_GRAPHS\nDEFAULT 100000\n"
CODE = {"a.py": "print('a')\n", "b.py": "print('b')\n", "notes.txt": "not fingerprinted\n"}
# Text files holding the root's path (rewritten by clone).
ROOTED = ("etc/monitoringConf", "data/monitoring/previousFileChecksums", "seams/crontab")


def env_for(root: Path) -> dict:
    env = dict(os.environ)
    env["PXSTATS_ROOT"] = str(root)
    env["PATH"] = f"{BIN}:{env['PATH']}"
    env["TZ"] = "UTC"
    return env


def pxstats(root: Path, *argv: str) -> subprocess.CompletedProcess:
    """Run one of pxStats' console scripts on the root; it must succeed."""
    done = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        env=env_for(root),
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    return done


def monitoring_conf(root: Path, **changes) -> str:
    keys = {
        "sender": "pxstats@example.com",
        "smtpServer": "127.0.0.1:1",
        "emails": "op@example.com;backup@example.com",
        "machines": MACHINE,
        "files": f"{root}/code",
        "folders": f"{root}/data;{root}/data/pickles",
        "maxUsages": "100;100",
        "errorsLogFile": f"{root}/data/monitoring/PX_Errors.txt",
        "maxSettingsFile": f"{root}/data/monitoring/maxSettings.conf",
    }
    keys.update(changes)
    return "[statsMonitoring]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())


def crontab_seam(root: Path) -> Path:
    """A `crontab` command printing ROOT/seams/crontab.txt (the user's crontab)."""
    seam = root / "seams" / "crontab"
    seam.parent.mkdir(parents=True, exist_ok=True)
    seam.write_text(f"#!/bin/sh\ncat '{root}/seams/crontab.txt'\n")
    seam.chmod(0o755)
    return seam


def request(root: Path, end: int, **changes) -> monitor.Request:
    values = {
        "end": end,
        "send_mail": False,
        "crontab_command": (str(root / "seams" / "crontab"), "-l"),
    }
    values.update(changes)
    return monitor.Request(**values)


def wait_for_a_whole_build() -> None:
    """The build's log lines must all fall in one hour: wait when the hour ends too soon."""
    left = HOUR - time.time() % HOUR
    if left < 120:
        time.sleep(left + 1)


def build(root: Path) -> int:
    """Build the healthy installation under root; returns END (the hour after the build)."""
    wait_for_a_whole_build()
    end = timeutil.hour_start(int(time.time())) + HOUR
    root.mkdir(parents=True, exist_ok=True)
    (root / "etc").mkdir(exist_ok=True)
    code = root / "code"
    code.mkdir()
    for name, text in CODE.items():
        (code / name).write_text(text)
    (root / "etc" / "monitoringConf").write_text(monitoring_conf(root))
    crontab_seam(root)
    (root / "seams" / "crontab.txt").write_text(CRONTAB)
    (root / "data" / "monitoring").mkdir(parents=True)
    (root / "data" / "monitoring" / "maxSettings.conf").write_text(MAX_SETTINGS)
    (root / "data" / "monitoring" / "PX_Errors.txt").write_text("")

    iso = timeutil.iso
    pxstats(
        root,
        "generateSampleLogs",
        "--hours",
        str(7 * 24 + 4),
        "--end",
        iso(end),
        "--machines",
        MACHINE,
        "--clients",
        ",".join(CLIENTS),
        "--sources",
        ",".join(SOURCES),
        "--rate",
        "60",
    )
    for file_type in ("tx", "rx"):
        pxstats(
            root, "pickleUpdater", "-f", file_type, "-m", MACHINE, "-d", iso(end - 7 * DAY - HOUR)
        )
        pxstats(root, "pickleUpdater", "-f", file_type, "-m", MACHINE, "-d", iso(end))
    pxstats(root, "transferPickleToRRD", "-m", MACHINE, "-e", iso(end))
    pxstats(root, "generateAllGnuGraphicsForMachines", "-m", MACHINE, "-d", iso(end))
    pxstats(
        root,
        "generateRRDGraphics",
        "-d",
        "-c",
        CLIENTS[0],
        "-f",
        "tx",
        "--machines",
        MACHINE,
        "--date",
        iso(end),
        "-t",
        "filecount",
    )
    # The monitoring run of an hour ago: the state a running installation has.
    outcome = monitor.run(StatsPaths(root), request(root, end - HOUR))
    assert outcome.report is not None, outcome.error
    return end


def clone(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest, symlinks=True)
    for relative in ROOTED:
        path = dest / relative
        if path.exists():
            path.write_text(path.read_text().replace(str(template), str(dest)))
    return dest
