#!/usr/bin/env python3
"""Remote-machines benchmark: prints JSON figures, asserts nothing.

Starts the test sshd (tests/sshd.py: a real OpenSSH server on loopback addresses, run as
root), writes one hour of logs for 50 tx clients and 10 rx sources on each of two source
machines (plus their Sundew configuration), then times one hourly chain through ssh, as
pxStatsStartup runs it: configuration copies, log mirror onto the remote pickling machine,
pickleUpdater there (rx and tx), and the pickles pulled to this machine. Best and median of
--repeat runs, each in a fresh world. Target: at most 5 s for 2 x 50 x 1 hour.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from sshd import start_world  # noqa: E402

from pxstats import samples  # noqa: E402
from pxstats.actions import sync  # noqa: E402
from pxstats.paths import StatsPaths  # noqa: E402
from pxstats.remote.commands import Host  # noqa: E402
from pxstats.util import timeutil  # noqa: E402

SOURCES = ("px-src1", "px-src2")


def one_run(args, hour: int) -> dict:
    """A fresh world (sshd, machines, logs), then one timed hourly chain."""
    with tempfile.TemporaryDirectory() as tmp:
        world = start_world(Path(tmp) / "world")
        try:
            lines = 0
            for name in SOURCES:
                machine = world.machines[name]
                for file_type, count in (("tx", args.clients), ("rx", args.sources)):
                    for number in range(count):
                        client = f"{'client' if file_type == 'tx' else 'source'}{number:03d}"
                        for _path, n in samples.write_logs(
                            machine.px_log,
                            file_type,
                            client,
                            hour,
                            hour + timeutil.HOUR,
                            args.rate,
                            seed=f"{name}-{client}",
                        ):
                            lines += n
                        (machine.px_root / "etc" / file_type / f"{client}.conf").write_text("x\n")
            here = StatsPaths(Path(tmp) / "graphics")
            here.etc.mkdir(parents=True)
            pairs = tuple((Host(name), Host("px-pick1")) for name in SOURCES)
            request = sync.UpdateRemotePickles(
                pairs,
                hour + timeutil.HOUR + 600,
                updater=str(Path(sys.executable).parent / "pickleUpdater"),
            )
            started = time.perf_counter()
            with sync.SyncContext.open(here, world.settings()) as context:
                outcomes = sync.run(context, request)
            seconds = time.perf_counter() - started
            steps: dict[str, float] = {}
            for outcome in outcomes:
                key = outcome.step.split(" on ")[0]
                steps[key] = round(max(steps.get(key, 0.0), outcome.seconds), 3)
            return {
                "seconds": seconds,
                "lines": lines,
                "pickles": sum(1 for p in here.pickles.rglob("*") if p.is_file()),
                "failed": [o.line() for o in outcomes if not o.ok],
                "steps": steps,
            }
        finally:
            world.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50, help="tx clients per machine")
    parser.add_argument("--sources", type=int, default=10, help="rx sources per machine")
    parser.add_argument("--rate", type=float, default=600, help="deliveries per client-hour")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each in a fresh world")
    args = parser.parse_args()
    hour = timeutil.parse_iso("2026-12-04 00:00:00")
    runs = [one_run(args, hour) for _ in range(args.repeat)]
    times = sorted(run["seconds"] for run in runs)
    best = min(runs, key=lambda run: run["seconds"])
    print(
        json.dumps(
            {
                "benchmark": "remote",
                "source_machines": len(SOURCES),
                "tx_clients_per_machine": args.clients,
                "rx_sources_per_machine": args.sources,
                "log_lines": best["lines"],
                "pickles_pulled": best["pickles"],
                "failed_steps": sorted({line for run in runs for line in run["failed"]}),
                "seconds_best": round(times[0], 3),
                "seconds_median": round(statistics.median(times), 3),
                "slowest_step_seconds_of_best_run": best["steps"],
                "load_average_1min": round(os.getloadavg()[0], 2),
                "target_seconds": 5.0,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
