#!/usr/bin/env python3
"""Remote-machines benchmark: prints JSON figures, asserts nothing.

Starts the test sshd (tests/sshd.py: a real OpenSSH server on loopback addresses, run as
root), writes one hour of tx logs for CLIENTS clients on each of two source machines (plus
their Sundew configuration), then times one hourly chain through ssh, as pxStatsStartup runs
it: configuration copies, log mirror onto the remote pickling machine, pickleUpdater there
(rx and tx), and the pickles pulled to this machine. Target: at most 5 s for 2 x 50 x 1 hour.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=600, help="deliveries per client-hour")
    args = parser.parse_args()
    hour = timeutil.parse_iso("2026-12-04 00:00:00")
    with tempfile.TemporaryDirectory() as tmp:
        world = start_world(Path(tmp) / "world")
        try:
            lines = 0
            for name in SOURCES:
                machine = world.machines[name]
                for number in range(args.clients):
                    client = f"client{number:03d}"
                    for _path, count in samples.write_logs(
                        machine.px_log,
                        "tx",
                        client,
                        hour,
                        hour + timeutil.HOUR,
                        args.rate,
                        seed=f"{name}-{client}",
                    ):
                        lines += count
                    (machine.px_root / "etc" / "tx" / f"{client}.conf").write_text("x\n")
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
            pickles = sum(1 for p in here.pickles.rglob("*") if p.is_file())
            steps: dict[str, float] = {}
            for outcome in outcomes:
                key = outcome.step.split(" on ")[0]
                steps[key] = round(max(steps.get(key, 0.0), outcome.seconds), 3)
            print(
                json.dumps(
                    {
                        "benchmark": "remote",
                        "source_machines": len(SOURCES),
                        "clients_per_machine": args.clients,
                        "log_lines": lines,
                        "pickles_pulled": pickles,
                        "failed_steps": [o.line() for o in outcomes if not o.ok],
                        "seconds": round(seconds, 3),
                        "slowest_step_seconds": steps,
                        "target_seconds": 5.0,
                    },
                    indent=2,
                )
            )
        finally:
            world.stop()


if __name__ == "__main__":
    main()
