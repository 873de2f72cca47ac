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
--clients, and delete DIR after changing the code of the first run). --compare runs each
cycle a second time, in turn, with one gnuplot process per daily graphic (the way before
gnuplot.render.Session): the medians and their ratios, side by side under the same load.
CPU seconds (this process and the children it waited for) are given per cycle and per step:
a busy machine stretches the wall times, hardly the CPU times.

    .venv/bin/python bench/cycle.py [--clients N] [--processes N] [--repeat N] [--snapshot DIR]
                                [--compare]
"""

from __future__ import annotations

import argparse
import contextlib
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
from pxstats.gnuplot import render
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


def cpu() -> float:
    """CPU seconds of this process and of its children waited for (workers, gnuplot, rrdtool)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def cycle(paths: StatsPaths, date: int, processes: int) -> tuple[float, float, startup.Run, dict]:
    """(wall seconds, CPU seconds, the run, CPU seconds per step): the CPU a step used is
    read when its record comes (a busy machine stretches wall times, hardly CPU times)."""
    context = _config.Context(paths.root)
    request = startup.StartupRequest(date, mirror=False, send_mail=False, processes=processes)
    used: dict[str, float] = {}
    last = [cpu()]

    def on_step(step) -> None:
        now = cpu()
        used[step.step] = used.get(step.step, 0.0) + now - last[0]
        last[0] = now

    began, first = time.perf_counter(), last[0]
    run = startup.run(context.paths, context.config, request, on_step=on_step)
    return time.perf_counter() - began, cpu() - first, run, used


def table(run: startup.Run, used: dict | None = None) -> list[dict]:
    rows: dict[str, dict] = {}
    for step in run.steps:
        row = rows.setdefault(step.step, {"step": step.step, "seconds": 0.0, "status": set()})
        row["seconds"] += step.seconds
        row["status"].add(step.status)
    return [
        {
            "step": r["step"],
            "seconds": round(r["seconds"], 2),
            **({"cpu_s": round(used.get(r["step"], 0.0), 2)} if used is not None else {}),
            "status": ",".join(sorted(r["status"])),
        }
        for r in rows.values()
    ]


@contextlib.contextmanager
def gnuplot_sessions(on: bool):
    """With `on` off, every daily graphic is drawn by a gnuplot of its own (the old way)."""
    if on:
        yield
        return
    saved = render.process_session
    render.process_session = lambda: None
    try:
        yield
    finally:
        render.process_session = saved


def compared(figures, cpus, daily, old_way) -> dict:
    """The same cycles drawn the old way, in turn with the new: medians and their ratios."""
    median = statistics.median
    return {
        "old_way_cycles_s": old_way["seconds"],
        "old_way_cpu_s": old_way["cpu_s"],
        "old_way_daily_s": [round(d, 2) for d in old_way["daily_s"]],
        "ratio_cycle_median_old_over_new": round(median(old_way["seconds"]) / median(figures), 2),
        "ratio_cpu_median_old_over_new": round(median(old_way["cpu_s"]) / median(cpus), 2),
        "ratio_daily_median_old_over_new": round(median(old_way["daily_s"]) / median(daily), 2),
    }


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
    first, _cpu, first_run, _used = cycle(paths, FIRST, processes)
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
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also run each cycle with one gnuplot process per graphic (the old way), in turn",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        snapshot = args.snapshot or Path(folder) / "snapshot"
        snapshot.mkdir(parents=True, exist_ok=True)
        facts = prepared(snapshot, args.clients, args.processes)
        loads, figures, cpus, runs, tables = [load()], [], [], [], []
        old_way: dict[str, list] = {"seconds": [], "cpu_s": [], "daily_s": []}
        for number in range(max(1, args.repeat)):
            for sessions in (True, False) if args.compare else (True,):
                base = Path(folder) / f"cycle{number}"
                shutil.copytree(snapshot / "root", base, symlinks=True)
                with gnuplot_sessions(sessions):
                    seconds, used_cpu, run, used = cycle(
                        StatsPaths(base), FIRST + 3600, args.processes
                    )
                shutil.rmtree(base, ignore_errors=True)
                loads.append(load())
                if not sessions:
                    old_way["seconds"].append(round(seconds, 2))
                    old_way["cpu_s"].append(round(used_cpu, 2))
                    old_way["daily_s"].append(
                        sum(s.seconds for s in run.steps if s.step == "daily")
                    )
                    continue
                figures.append(seconds)
                cpus.append(used_cpu)
                runs.append(run)
                tables.append(table(run, used))
        best = min(range(len(figures)), key=figures.__getitem__)
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
                    "hourly_cycle_cpu_s": [round(c, 2) for c in cpus],
                    "load_averages": loads,
                    "target_s": 20,
                    "steps": tables[best],
                    "step_best_median_s": {
                        step: [min(values), round(statistics.median(values), 2)]
                        for step, values in per_step.items()
                        if max(values) > 0
                    },
                    **(
                        compared(figures, cpus, per_step.get("daily", []), old_way)
                        if args.compare
                        else {}
                    ),
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
