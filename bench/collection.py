#!/usr/bin/env python3
"""Collection benchmark: prints JSON figures, asserts nothing.

Generates one 24-hour tx log (~120,000 lines, ~18 MB), then measures
  * parse: scanning the whole file into one-minute buckets (no pickles written);
  * catch-up: one pickleUpdater run catching up the 24 hours, hour by hour as cron
    would, writing 24 pickles, pointers and update times;
  * hourly: 24 separate pickleUpdater invocations in-process, one per hour;
and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_day import write_bench_day  # noqa: E402

from pxstats.cli import pickleUpdater  # noqa: E402
from pxstats.collect.formats import ScanResult  # noqa: E402
from pxstats.collect.period import read_file  # noqa: E402
from pxstats.stats.collector import FileStatsCollector  # noqa: E402
from pxstats.store import updates  # noqa: E402
from pxstats.util import timeutil  # noqa: E402

DAY = timeutil.parse_iso("2008-04-30 00:00:00")


def timings(runs: int, action) -> list[float]:
    """Wall seconds of `runs` calls of `action`, fastest first."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return sorted(times)


def parse_only(log: Path) -> int:
    """Scan the whole day into a day-wide collector (1440 one-minute buckets)."""
    collector = FileStatsCollector("tx", DAY, DAY + timeutil.DAY, total_width=timeutil.DAY)
    result = ScanResult()
    read_file(log, 0, collector, result)
    return result.rows


def prepare_root(base: Path, log: Path) -> Path:
    root = base / "root"
    shutil.rmtree(root, ignore_errors=True)
    folder = root / "data" / "logFiles" / "benchbox"
    folder.mkdir(parents=True)
    shutil.copy(log, folder / "tx_bench.log")
    updates.write(root / "data" / "picklesTimeOfUpdates" / "tx_bench_benchbox", DAY)
    return root


def catch_up(base: Path, log: Path) -> float:
    """One pickleUpdater run over the whole day (it reads hour by hour); its wall time."""
    root = prepare_root(base, log)
    started = time.perf_counter()
    status = pickleUpdater.main(
        [
            "--root",
            str(root),
            "-m",
            "benchbox",
            "-c",
            "bench",
            "-d",
            timeutil.iso(DAY + timeutil.DAY),
        ]
    )
    elapsed = time.perf_counter() - started
    assert status == 0
    return elapsed


def hour_by_hour(base: Path, log: Path) -> float:
    root = prepare_root(base, log)
    started = time.perf_counter()
    for hour in range(1, 25):
        status = pickleUpdater.main(
            [
                "--root",
                str(root),
                "-m",
                "benchbox",
                "-c",
                "bench",
                "-d",
                timeutil.iso(DAY + hour * timeutil.HOUR + 300),
            ]
        )
        assert status == 0
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=120_000)
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="runs per figure: the best is reported, and the median of parse and catch-up",
    )
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="pxstats-bench-"))
    try:
        log = base / "tx_bench.log"
        lines, size = write_bench_day(log, DAY, args.lines)
        rows = parse_only(log)
        parse_s = timings(args.runs, lambda: parse_only(log))
        catch_up_s = sorted(catch_up(base, log) for _ in range(args.runs))
        hourly_s = min(hour_by_hour(base, log) for _ in range(max(1, args.runs // 2)))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            json.dumps(
                {
                    "benchmark": "collection",
                    "lines": lines,
                    "bytes": size,
                    "rows": rows,
                    "parse_seconds": round(parse_s[0], 4),
                    "parse_lines_per_second": round(lines / parse_s[0]),
                    "parse_seconds_median": round(parse_s[len(parse_s) // 2], 4),
                    "catch_up_seconds": round(catch_up_s[0], 4),
                    "catch_up_lines_per_second": round(lines / catch_up_s[0]),
                    "catch_up_seconds_median": round(catch_up_s[len(catch_up_s) // 2], 4),
                    "hour_by_hour_24_runs_seconds": round(hourly_s, 4),
                    "peak_memory_mb": round(peak_mb, 1),
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
