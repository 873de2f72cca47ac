#!/usr/bin/env python3
"""RRD transfer benchmark: prints JSON figures, asserts nothing.

Generates hourly tx pickles for N clients (default 150) on 2 machines with 20-200 rows per
minute (2 % errors), then times `transferPickleToRRD -m m1,m2` runs as cron starts them
(a new process each, default pool of 5):
  * catch_up_day: every client 24 hours behind (new databases created at the start);
  * hourly: the regular hourly run, one hour per client (three runs, min and median);
and, per database, the cost of the update path: the kill-safe copy + update + fsync +
rename against rrdtool's in-place update.
Targets: hourly <= 5 s, one-day catch-up <= 30 s (2-core machine). The third RRD target,
generateRRDGraphics >= 30 PNGs per second, is measured by bench/rrd_graphs.py.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hourly_data import shifted, template_hour  # noqa: E402

from pxstats.actions import transfer  # noqa: E402
from pxstats.paths import StatsPaths  # noqa: E402
from pxstats.rrd import schema
from pxstats.store import pickles  # noqa: E402
from pxstats.util import timeutil  # noqa: E402

DAY = timeutil.parse_iso("2024-01-15 00:00:00")
MACHINES = ("m1", "m2")
HOURLY_RUNS = 3
TEMPLATES = 12


def generate(paths: StatsPaths, clients: list[str], hours: int, seed: int) -> int:
    """Hourly pickles for every client and machine; returns the number of rows written."""
    rng = random.Random(seed)
    templates = [template_hour(rng, DAY) for _ in range(TEMPLATES)]
    rows = 0
    for ci, client in enumerate(clients):
        for mi, machine in enumerate(MACHINES):
            for h in range(hours):
                hour = DAY + h * 3600
                source = templates[(ci * 7 + mi * 3 + h) % TEMPLATES]
                target = paths.hourly_pickle(client, hour, "tx", machine)
                target.parent.mkdir(parents=True, exist_ok=True)
                # Same format as pickles.save, without its fsync (generation is not measured).
                target.write_bytes(pickle.dumps(shifted(source, hour), protocol=pickles.PROTOCOL))
                rows += sum(len(b.times) for b in source.buckets)
    return rows


def transfer_run(root: Path, end: int, processes: int) -> float:
    cmd = [
        sys.executable,
        "-m",
        "pxstats.cli.transferPickleToRRD",
        "--root",
        str(root),
        "-m",
        ",".join(MACHINES),
        "-e",
        timeutil.iso(end),
        "--processes",
        str(processes),
    ]
    started = time.perf_counter()
    result = subprocess.run(
        cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"transfer failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed


def update_costs(folder: Path, count: int = 200) -> dict:
    """ms per database for 60 one-minute values: in place vs copy + fsync + rename."""
    folder.mkdir(parents=True, exist_ok=True)
    dbs = [folder / f"db{i}" for i in range(count)]
    for db in dbs:
        schema.create(db, "bytecount", DAY)
    figures = {}
    for label, hour in (("in_place", 1), ("copy_fsync_replace", 2), ("in_place_again", 3)):
        pairs = [(DAY + (hour - 1) * 3600 + 60 * (k + 1), float(k)) for k in range(60)]
        started = time.perf_counter()
        for db in dbs:
            if label.startswith("in_place"):
                schema.update(db, pairs)
            else:
                schema.update_atomically(db, "bytecount", pairs, DAY)
        figures[label] = round((time.perf_counter() - started) / count * 1000, 3)
    return {
        "in_place": min(figures["in_place"], figures["in_place_again"]),
        "copy_fsync_replace": figures["copy_fsync_replace"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="pxstats-bench-rrd-"))
    root = base / "root"
    shutil.rmtree(root, ignore_errors=True)
    paths = StatsPaths(root)
    clients = [f"client{k:03d}" for k in range(args.clients)]
    hours = 24 + HOURLY_RUNS

    started = time.perf_counter()
    rows = generate(paths, clients, hours, args.seed)
    generation = time.perf_counter() - started
    pickle_bytes = sum(p.stat().st_size for p in paths.pickles.rglob("*") if p.is_file())
    for client in clients:  # 24 hours behind
        schema.write_time_of_update(
            transfer.time_of_update_file(paths, "tx", client, MACHINES), DAY
        )

    catch_up = transfer_run(root, DAY + 24 * 3600, args.processes)
    hourly = [
        transfer_run(root, DAY + (24 + k) * 3600, args.processes) for k in range(1, HOURLY_RUNS + 1)
    ]
    databases = sum(1 for p in paths.current_databases.rglob("*") if p.is_file())
    costs = update_costs(base / "update-costs")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)

    print(
        json.dumps(
            {
                "clients": args.clients,
                "machines": len(MACHINES),
                "processes": args.processes,
                "cpus": os.cpu_count(),
                "rows_per_client_hour_per_machine": round(
                    rows / (args.clients * len(MACHINES) * hours)
                ),
                "pickles": args.clients * len(MACHINES) * hours,
                "pickle_mbytes": round(pickle_bytes / 1e6, 1),
                "databases": databases,
                "generation_s": round(generation, 1),
                "catch_up_day_s": round(catch_up, 2),
                "catch_up_day_target_s": 30,
                "hourly_s": {
                    "min": round(min(hourly), 2),
                    "median": round(statistics.median(hourly), 2),
                    "runs": [round(h, 2) for h in hourly],
                },
                "hourly_target_s": 5,
                "update_ms_per_database_60_values": costs,
                "peak_rss_mbytes_largest_process": round(children.ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )
    if not args.dir:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
