#!/usr/bin/env python3
"""gnuplot graphics benchmark (generateGraphics): prints JSON figures, asserts nothing.

Generates hourly tx pickles (20-200 rows per minute, 2 % errors, as bench/rrd.py) for N
clients (default 150) on 2 machines over one day, then times:
  * one_client: the 24-hour, 4-type graphic of one client merged from the 2 machines
    (48 hourly pickles), in-process, including pickle loading and the merge: the first
    run (cold: imports, page cache) and the median of the next runs (warm), with the split
    of the time between the data and program (load, merge, statistics, gnuplot program)
    and gnuplot with the copies;
  * batch: the daily graphics of every client with archive and Columbo copies, drawn as
    generateAllGnuGraphicsForMachines draws them (`dailygraphics.draw_all`, 2 worker
    processes), cold then warm.
Targets (2-core machine): one_client <= 0.5 s, batch of 150 clients <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hourly_data import shifted, template_hour  # noqa: E402

from pxstats.actions import daily_graphics as dailygraphics
from pxstats.actions import graphics
from pxstats.gnuplot import render, script  # noqa: E402
from pxstats.paths import StatsPaths  # noqa: E402
from pxstats.store import pickles  # noqa: E402
from pxstats.util import atomic, timeutil  # noqa: E402

DAY = timeutil.parse_iso("2024-01-15 00:00:00")
END = DAY + 24 * 3600
MACHINES = ("m1", "m2")
TEMPLATES = 12
RUNS = 5


def generate(paths: StatsPaths, clients: list[str], seed: int, cache: Path) -> int:
    """24 hourly pickles per client and machine; identical (template, hour) files are hard
    links of one file (unpickling, not the disk, is what costs). Returns the rows written."""
    rng = random.Random(seed)
    templates = [template_hour(rng, DAY) for _ in range(TEMPLATES)]
    sizes = [sum(len(b.times) for b in t.buckets) for t in templates]
    cache.mkdir(parents=True, exist_ok=True)
    rows = 0
    for ci, client in enumerate(clients):
        for mi, machine in enumerate(MACHINES):
            for h in range(24):
                hour = DAY + h * 3600
                k = (ci * 7 + mi * 3 + h) % TEMPLATES
                source = cache / f"{k}_{h}"
                if not source.exists():
                    source.write_bytes(
                        pickle.dumps(shifted(templates[k], hour), protocol=pickles.PROTOCOL)
                    )
                target = paths.hourly_pickle(client, hour, "tx", machine)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, target)
                rows += sizes[k]
    return rows


def one_client(paths: StatsPaths, client: str) -> dict:
    """Wall time of the in-process graphic of one client, with its split."""
    request = graphics.GraphicRequest(
        clients=(client,), machines=MACHINES, end=END, span=24, copy=True
    )
    t0 = time.perf_counter()
    the_plan = graphics.plan(paths, request)  # load + merge + statistics + program
    t1 = time.perf_counter()
    render.render(the_plan.program, the_plan.png, size=the_plan.picture.size)
    for target in (the_plan.archive, the_plan.columbo):
        atomic.copy_file(the_plan.png, target)
    t2 = time.perf_counter()
    return {
        "total": t2 - t0,
        "data_and_program": t1 - t0,
        "gnuplot_and_copies": t2 - t1,
        "program_kbytes": len(the_plan.program) / 1000,
    }


def batch(root: Path, clients: list[str], workers: int) -> dict:
    """The daily graphics of every client as generateAllGnuGraphicsForMachines draws them."""
    started = time.perf_counter()
    jobs = [dailygraphics.Job("tx", name, tuple(MACHINES)) for name in clients]
    drawn = dailygraphics.draw_all(StatsPaths(root), jobs, END, processes=workers)
    outcomes = {o.job.name: o for o in drawn}
    wall = time.perf_counter() - started
    failed = [name for name, o in outcomes.items() if not o.ok]
    return {
        "wall_s": round(wall, 2),
        "failed": len(failed),
        "per_graphic_s_median": round(statistics.median(o.seconds for o in outcomes.values()), 3),
    }


def _round(figures: dict) -> dict:
    return {k: round(v, 3) for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="pxstats-bench-gnuplot-"))
    root = base / "root"
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(base / "templates", ignore_errors=True)
    paths = StatsPaths(root)
    clients = [f"client{k:03d}" for k in range(args.clients)]

    started = time.perf_counter()
    rows = generate(paths, clients, args.seed, base / "templates")
    generation = time.perf_counter() - started

    # One client: the first run is cold, the next ones warm.
    probe = "probe"
    generate(paths, [probe], args.seed + 1, base / "templates-probe")
    cold = one_client(paths, probe)
    warm_runs = [one_client(paths, probe) for _ in range(RUNS)]
    warm = {k: statistics.median(r[k] for r in warm_runs) for k in warm_runs[0]}

    batch_cold = batch(root, clients, args.workers)
    batch_warm = batch(root, clients, args.workers)

    print(
        json.dumps(
            {
                "clients": args.clients,
                "machines": len(MACHINES),
                "workers": args.workers,
                "cpus": os.cpu_count(),
                "rows_per_client_hour_per_machine": round(
                    rows / (args.clients * len(MACHINES) * 24)
                ),
                "panels": 4,
                "points_per_panel": 24 * 60,
                "image_px": list(script.Picture((None,) * 4, "", ()).size),
                "generation_s": round(generation, 1),
                "one_client_cold_s": _round(cold),
                "one_client_warm_s": _round(warm),
                "one_client_target_s": 0.5,
                "batch_cold": batch_cold,
                "batch_warm": batch_warm,
                "batch_target_s": 60,
            },
            indent=2,
        )
    )
    if not args.dir:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
