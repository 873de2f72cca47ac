#!/usr/bin/env python3
"""RRD graphics benchmark: prints JSON figures, asserts nothing.

Builds a root with N tx clients on one machine pair, 8 days of noisy per-minute data in
each of their 5 databases, then times generateRRDGraphics (in-process `main`):
  * weekly, monthly, yearly: `-w|-m|-y --copy --havingRun --fixedCurrent`, the calls the web
    graphics of pxStatsStartup make (every client x 5 types, plus the archive copies);
  * cron_batch: those three together;
  * daily: `-d --fixedCurrent -c <all clients>` (1-minute rows, 10-minute points: the most
    expensive graphic);
  * totals: `-d --totals --havingRun` (merge N clients x 5 types, then 5 graphics).
Graphics are drawn by long-lived `rrdtool -` children (pipe mode), default_workers() at once
(CPUs + 1); `--one-shot` draws each one in a new `rrdtool graph` child instead, as pxStats
did before. Figures: wall time, PNGs per second, and the CPU time per PNG (this process plus
its rrdtool children) — cpus / cpu_ms_per_png is the rate on an otherwise idle machine.
The rrdtool CPU time counts only children that have exited (pipe-mode children end with
each generateRRDGraphics run, so it is complete).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pxstats.cli import generateRRDGraphics  # noqa: E402
from pxstats.paths import StatsPaths  # noqa: E402
from pxstats.rrd import runner, schema  # noqa: E402
from pxstats.util import timeutil  # noqa: E402

FIRST = timeutil.parse_iso("2024-01-08 00:00:00")
END = timeutil.parse_iso("2024-01-16 00:00:00")
MACHINES = ["bench1", "bench2"]
MODES = ("weekly", "monthly", "yearly", "daily", "totals")


def build(root: Path, clients: int) -> None:
    paths = StatsPaths(root)
    minutes = (END - FIRST) // 60
    for c in range(clients):
        name = f"client{c:03d}"
        for data_type in schema.DATA_TYPES["tx"]:
            db = schema.db_path(paths, data_type, name, MACHINES)
            schema.create(db, data_type, FIRST)
            schema.update(
                db, [(FIRST + 60 * (i + 1), float((i * (c + 3)) % 97)) for i in range(minutes)]
            )  # a noisy curve: worst case
        schema.write_time_of_update(schema.time_of_update_path(paths, "tx", db), END)


def timed(root: Path, argv: list[str], workers: int | None, pipe_mode: bool = True) -> dict:
    out = io.StringIO()
    before = os.times()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        status = generateRRDGraphics.main(
            ["--root", str(root), "--turnOffLogging", *argv], workers=workers, pipe_mode=pipe_mode
        )
    elapsed = time.perf_counter() - started
    after = os.times()
    own = sum(after[:2]) - sum(before[:2])
    children = sum(after[2:4]) - sum(before[2:4])
    pngs = out.getvalue().count("Plotted : ")

    def per_png(seconds: float) -> float | None:
        return round(1000 * seconds / pngs, 1) if pngs else None

    return {
        "pngs": pngs,
        "seconds": round(elapsed, 3),
        "pngs_per_second": round(pngs / elapsed, 1) if elapsed else None,
        "cpu_ms_per_png": per_png(own + children),
        "rrdtool_cpu_ms_per_png": per_png(children),
        "exit_status": status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument(
        "--workers", type=int, default=None, help="graphs drawn at once (default: CPUs + 1)"
    )
    parser.add_argument(
        "--one-shot",
        action="store_true",
        help="one new `rrdtool graph` process per graphic (no pipe mode)",
    )
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated modes to time (weekly, monthly, yearly, daily, totals; default: all)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time each mode this many times on the same databases and report "
        "the median run, with every run's rate (default: 1)",
    )
    options = parser.parse_args()
    unknown = set(options.only.split(",") if options.only else ()) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    load = os.getloadavg()[0]
    base = Path(tempfile.mkdtemp(prefix="pxstats-bench-graphs-"))
    try:
        started = time.perf_counter()
        build(base, options.clients)
        setup = time.perf_counter() - started
        clients = ",".join(f"client{c:03d}" for c in range(options.clients))
        machines = ["--machines", ",".join(MACHINES), "--date", "2024-01-15 12:00:00"]
        modes = {
            "weekly": ["-w", "--copy", "--havingRun", "--fixedCurrent"],
            "monthly": ["-m", "--copy", "--havingRun", "--fixedCurrent"],
            "yearly": ["-y", "--copy", "--havingRun", "--fixedCurrent"],
            "daily": ["-d", "--fixedCurrent", "-c", clients],
            "totals": ["-d", "--fixedCurrent", "--totals", "--havingRun"],
        }
        only = options.only.split(",") if options.only else list(modes)
        results = {}
        for name in only:
            runs = [
                timed(
                    base, [*modes[name], *machines], options.workers, pipe_mode=not options.one_shot
                )
                for _ in range(options.repeat)
            ]
            ranked = sorted(runs, key=lambda r: r["pngs_per_second"] or 0)
            results[name] = dict(ranked[(len(ranked) - 1) // 2])  # the median run
            if options.repeat > 1:
                results[name]["pngs_per_second_runs"] = [r["pngs_per_second"] for r in runs]
        done = [results[n] for n in ("weekly", "monthly", "yearly") if n in results]
        if len(done) == 3:
            pngs, seconds = sum(r["pngs"] for r in done), sum(r["seconds"] for r in done)
            results["cron_batch"] = {
                "pngs": pngs,
                "seconds": round(seconds, 3),
                "pngs_per_second": round(pngs / seconds, 1),
            }
        print(
            json.dumps(
                {
                    "benchmark": "generateRRDGraphics",
                    "cpus": os.cpu_count(),
                    "load_average_before": round(load, 2),
                    "workers": options.workers or runner.default_workers(),
                    "drawing": "one rrdtool graph process per PNG"
                    if options.one_shot
                    else "pipe-mode rrdtool children",
                    "clients": options.clients,
                    "databases": options.clients * 5,
                    "setup_seconds": round(setup, 2),
                    **results,
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
