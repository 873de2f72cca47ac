"""The benchmark day: one 24-hour tx log of exactly N lines, built from the sample-log
generator's events (used by bench/collection.py and by the scanner tests)."""

from __future__ import annotations

import random
from pathlib import Path

from pxstats.samples import SampleLog, event_lines
from pxstats.util.timeutil import DAY

BENCH_DELIVERIES = [("t1", 25), ("t2", 70), ("t4", 5)]
BENCH_NOISE = [("speed", 25), ("new_bulletins", 25), ("timeout", 12), ("tx_error", 38)]
BENCH_NOISE_SHARE = 0.08


def write_bench_day(
    path, day_start: int, n_lines: int = 120_000, seed: int | str = 1
) -> tuple[int, int]:
    """One 24-hour tx log of exactly n_lines lines (~150 bytes each, ~18 MB for 120 000):
    T1/T2 deliveries spread uniformly over [day_start, day_start + 1 day), ~3% errors, ~5% other
    noise; no multi-line events, blank lines or odd bytes. Returns (lines, bytes)."""
    path = Path(path)
    client = path.name[3:].split(".log")[0] if path.name.startswith("tx_") else "bench"
    log = SampleLog(client, random.Random(seed), "tx", odd_bytes=False, tracebacks=False)
    n_noise = round(n_lines * BENCH_NOISE_SHARE)
    data = "".join(
        event_lines(
            log,
            day_start,
            day_start + DAY,
            n_lines - n_noise,
            BENCH_DELIVERIES,
            n_noise,
            BENCH_NOISE,
        )
    ).encode("latin-1")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return n_lines, len(data)
