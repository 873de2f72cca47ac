#!/usr/bin/env python3
"""statsMonitor benchmark: prints JSON figures, asserts nothing.

Builds an installation of N tx clients (default 150) on one machine with 7 days of hourly
pickles, Sundew configuration copies naming the clients, a maxSettings.conf and files to
fingerprint, then times in-process reports (no mail), for two traffic profiles:
  * heavy: 20-200 rows a minute, 2 % errors (bench/hourly_data.py, the pickles of the
    transfer benchmark: about 220 KB each);
  * typical: 0-4 rows a minute (generateSampleLogs' default rate, 120 deliveries an hour);
and two windows:
  * regular: the report 12 hours after the previous one (monitoringFrequency 12/hours: the
    data-gap and latency checks read 12 hours of pickles of every client), three runs after
    a warm-up, min and median, with the CPU seconds of the report and its workers;
  * first: the first report of an installation (from midnight: 23 hours of pickles).
Target: a report over 150 clients x 7 days of pickles <= 2 s (the regular report). The CPUs
and the load average are printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hourly_data import shifted, template_hour  # noqa: E402

from pxstats.actions import monitor  # noqa: E402
from pxstats.paths import StatsPaths  # noqa: E402
from pxstats.stats.collector import FileStatsCollector  # noqa: E402
from pxstats.store import pickles  # noqa: E402
from pxstats.util import timeutil  # noqa: E402
from pxstats.util.timeutil import DAY, HOUR  # noqa: E402

MACHINE = "bench1"
END = timeutil.parse_iso("2008-05-05 23:00:00")


def light_hour(rng: random.Random, hour: int) -> FileStatsCollector:
    """One tx hour with 0-4 rows a minute (the sample logs' rate), statistics computed."""
    c = FileStatsCollector("tx", hour)
    for bucket in c.buckets:
        n = rng.randint(0, 4)
        for k in range(n):
            bucket.times.append(bucket.start + k * 60 // n)
            bucket.products.append(f"SACN{rng.randint(0, 99):02d}_CWAO_{rng.randint(0, 999999)}")
            bucket.values["errors"].append(0)
            bucket.values["latency"].append(rng.randint(0, 40))
            bucket.values["bytecount"].append(rng.randint(100, 200000))
    c.compute_statistics()
    c.note_filled()
    return c


def build(root: Path, clients: int, heavy: bool) -> StatsPaths:
    paths = StatsPaths(root)
    names = [f"client{i:03d}" for i in range(clients)]
    conf_copies = paths.px_config_copies / "tx" / MACHINE
    conf_copies.mkdir(parents=True)
    for name in names:
        (conf_copies / f"{name}.conf").write_text("")
    rng = random.Random(1)
    template = (template_hour if heavy else light_hour)(rng, END)
    for hour in range(END - 7 * DAY - HOUR, END, HOUR):
        data = pickles.dumps(shifted(template, hour))
        for name in names:
            path = paths.hourly_pickle(name, hour, "tx", MACHINE)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)  # no fsync: set-up only
    code = root / "code"
    shutil.copytree(
        Path(__file__).resolve().parent.parent / "pxstats",
        code,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    monitoring = paths.data / "monitoring"
    monitoring.mkdir(parents=True)
    (monitoring / "maxSettings.conf").write_text(
        "PX_CIRCUITS\nDEFAULT 30\nPX_TIMERS\nDEFAULT 60\nPX_GRAPHS\nDEFAULT 100000\n"
    )
    (monitoring / "PX_Errors.txt").write_text("")
    paths.etc.mkdir(parents=True, exist_ok=True)
    (paths.etc / "monitoringConf").write_text(
        "[statsMonitoring]\nsender = a@example.com\nsmtpServer = 127.0.0.1:1\n"
        f"emails = b@example.com\nmachines = {MACHINE}\n"
        f"files = {code};{code}/actions;{code}/monitor\n"
        f"folders = {root};{paths.pickles}\nmaxUsages = 100;100\n"
        f"errorsLogFile = {monitoring}/PX_Errors.txt\n"
        f"maxSettingsFile = {monitoring}/maxSettings.conf\n"
    )
    return paths


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the loading workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


CPU: list[float] = []


def report(paths: StatsPaths, end: int) -> tuple[float, monitor.Outcome]:
    started, cpu = time.perf_counter(), _cpu()
    outcome = monitor.run(
        paths, monitor.Request(end=end, send_mail=False, crontab_command=("true",))
    )
    CPU.append(_cpu() - cpu)
    return time.perf_counter() - started, outcome


def forget(paths: StatsPaths, previous: int) -> None:
    """The state of a report made at `previous` (its end and last filled minutes)."""
    folder = paths.data / "monitoring"
    (folder / "previousMonitoringJob").write_text(timeutil.iso(previous) + "\n")
    (folder / "lastEntryFilledTimes").unlink(missing_ok=True)


def measure(clients: int, heavy: bool, keep: bool) -> dict:
    root = Path(tempfile.mkdtemp(prefix="pxstats-bench-monitor-"))
    try:
        started = time.perf_counter()
        paths = build(root, clients, heavy)
        built = time.perf_counter() - started
        regular, cpu = [], []
        for _ in range(4):
            forget(paths, END - 12 * HOUR)
            seconds, outcome = report(paths, END)
            regular.append(seconds)
            cpu.append(CPU[-1])
        regular, cpu = regular[1:], cpu[1:]
        (paths.data / "monitoring" / "previousMonitoringJob").unlink()
        (paths.data / "monitoring" / "lastEntryFilledTimes").unlink()
        first, first_outcome = report(paths, END)
        return {
            "rows_per_minute": "20-200" if heavy else "0-4",
            "pickle_files": sum(1 for _ in paths.pickles.rglob(f"{MACHINE}_*")),
            "build_s": round(built, 1),
            "regular_12h_report_s": {
                "min": round(min(regular), 3),
                "median": round(statistics.median(regular), 3),
            },
            "regular_cpu_s": round(statistics.median(cpu), 3),
            "regular_status": outcome.status,
            "first_report_23h_s": round(first, 3),
            "first_status": first_outcome.status,
            "ok": min(regular) <= 2.0,
        }
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--keep", action="store_true", help="keep the installations")
    args = parser.parse_args()
    figures = {
        "clients": args.clients,
        "days_of_pickles": 7,
        "target_s": 2.0,
        "typical": measure(args.clients, False, args.keep),
        "heavy": measure(args.clients, True, args.keep),
        "cpus": len(os.sched_getaffinity(0)),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
