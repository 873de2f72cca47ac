"""One hourly pxStatsStartup cycle for 150 clients x 2 machines: prints JSON, asserts nothing.

The root: one source tag of two machines (a cluster: its graphics combine both), pickled
here, 130 tx clients and 20 rx sources on each machine (generated Sundew logs, 120 records an
hour each), the sample configuration's words (daily and weekly graphics every hour). A first
run at 10:02 builds everything (pickles of the hour before, databases, every period's
graphics, backups, the monitor's report); the cycle measured is the next one, at 11:02: one
hour collected and transferred, the daily gnuplot graphics and the daily and weekly RRD
graphics redrawn, the pages. Target: <= 20 s on 2 cores.

With --repeat N the root as the first run left it is kept aside and the hourly cycle is run
N times, each on a fresh copy of it: hourly_cycle_s is the best, with the median, every
figure, each step's best and median, and the load averages around the runs (the machine is
shared: figures are noisy). --snapshot DIR keeps that root in DIR and reuses it when DIR
already holds one (skipping the log generation and the first run; use it only with the same
--clients, and delete DIR after changing the code of the first run).

    .venv/bin/python bench/cycle.py [--clients N] [--processes N] [--repeat N] [--snapshot DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pxstats import config as _config
from pxstats.actions import startup
from pxstats.paths import StatsPaths
from pxstats.samples import write_logs
from pxstats.util import timeutil

FIRST = timeutil.parse_iso("2026-11-09 10:02:00")
MACHINES = ("pxatx1", "pxatx2")

CONFIG = """\
[generalConfig]
sourceMachinesTags = cluster
picklingMachines = here
machinesToBackupInDb = cluster
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


def make_root(base: Path, names: int) -> StatsPaths:
    etc = base / "etc"
    etc.mkdir(parents=True)
    (etc / "config").write_text(CONFIG)
    (etc / "configForMachines").write_text(
        "cluster pxatx1,pxatx2 px,px\nhere localhost,localhost px,px\n"
    )
    (etc / "monitoringConf").write_text(MONITORING.format(root=base))
    paths = StatsPaths(base)
    sources = max(1, names * 2 // 15)
    for number, machine in enumerate(MACHINES):
        folder = paths.log_files / machine
        for i in range(names - sources):
            write_logs(folder, "tx", f"client{i:03d}", FIRST - 3 * 3600, FIRST + 7200, 120, number)
        for i in range(sources):
            write_logs(folder, "rx", f"source{i:02d}", FIRST - 3 * 3600, FIRST + 7200, 120, number)
    return paths


def cycle(paths: StatsPaths, date: int, processes: int) -> tuple[float, startup.Run]:
    context = _config.Context(paths.root)
    request = startup.StartupRequest(date, mirror=False, send_mail=False, processes=processes)
    began = time.perf_counter()
    run = startup.run(context.paths, context.config, request)
    return time.perf_counter() - began, run


def table(run: startup.Run) -> list[dict]:
    rows: dict[str, dict] = {}
    for step in run.steps:
        row = rows.setdefault(step.step, {"step": step.step, "seconds": 0.0, "status": set()})
        row["seconds"] += step.seconds
        row["status"].add(step.status)
    return [
        {
            "step": r["step"],
            "seconds": round(r["seconds"], 2),
            "status": ",".join(sorted(r["status"])),
        }
        for r in rows.values()
    ]


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def prepared(snapshot: Path, clients: int, processes: int) -> dict:
    """The root as the first run leaves it, in `snapshot` (made unless already there)."""
    marker = snapshot / "first_run.json"
    if marker.is_file():
        return json.loads(marker.read_text())
    began = time.perf_counter()
    paths = make_root(snapshot / "root", clients)
    generated = time.perf_counter() - began
    first, first_run = cycle(paths, FIRST, processes)
    facts = {
        "logs_generated_s": round(generated, 1),
        "first_run_s": round(first, 2),
        "first_run_status": first_run.status,
    }
    marker.write_text(json.dumps(facts))
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--processes", type=int, default=min(3, os.cpu_count() or 1))
    parser.add_argument("--repeat", type=int, default=1, help="hourly cycles measured")
    parser.add_argument("--snapshot", type=Path, help="keep (or reuse) the prepared root here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        snapshot = args.snapshot or Path(folder) / "snapshot"
        snapshot.mkdir(parents=True, exist_ok=True)
        facts = prepared(snapshot, args.clients, args.processes)
        loads, figures, runs = [load()], [], []
        for number in range(max(1, args.repeat)):
            base = Path(folder) / f"cycle{number}"
            shutil.copytree(snapshot / "root", base, symlinks=True)
            seconds, run = cycle(StatsPaths(base), FIRST + 3600, args.processes)
            figures.append(seconds)
            runs.append(run)
            loads.append(load())
            shutil.rmtree(base, ignore_errors=True)
        best = min(range(len(figures)), key=figures.__getitem__)
        tables = [table(run) for run in runs]
        per_step: dict[str, list[float]] = {}
        for rows in tables:
            for row in rows:
                per_step.setdefault(row["step"], []).append(row["seconds"])
        print(
            json.dumps(
                {
                    "benchmark": "pxStatsStartup hourly cycle",
                    "clients_per_machine": args.clients,
                    "machines": len(MACHINES),
                    "processes": args.processes,
                    "cpus": os.cpu_count(),
                    **facts,
                    "hourly_cycle_s": round(figures[best], 2),
                    "hourly_cycle_median_s": round(statistics.median(figures), 2),
                    "hourly_cycles_s": [round(f, 2) for f in figures],
                    "hourly_cycle_status": runs[best].status,
                    "load_averages": loads,
                    "target_s": 20,
                    "steps": tables[best],
                    "step_best_median_s": {
                        step: [min(values), round(statistics.median(values), 2)]
                        for step, values in per_step.items()
                        if max(values) > 0
                    },
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
