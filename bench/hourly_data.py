"""Synthetic hourly tx pickles for the benchmarks: realistic rows (20-200 a minute, 2 %
errors), statistics computed, and a cheap way to move one hour to another."""

from __future__ import annotations

import copy
import random

from pxstats.stats.collector import FileStatsCollector


def template_hour(rng: random.Random, hour: int) -> FileStatsCollector:
    """One tx hour starting at `hour` with 20-200 rows per minute, statistics computed."""
    c = FileStatsCollector("tx", hour)
    for bucket in c.buckets:
        n = rng.randint(20, 200)
        for k in range(n):
            bucket.times.append(bucket.start + k * 60 // n)
            if rng.random() < 0.02:
                bucket.products.append("")
                bucket.values["errors"].append(1)
                bucket.values["latency"].append(0)
                bucket.values["bytecount"].append(0)
            else:
                bucket.products.append(
                    f"SACN{rng.randint(0, 99):02d}_CWAO_{rng.randint(0, 999999)}"
                )
                bucket.values["errors"].append(0)
                bucket.values["latency"].append(rng.randint(0, 40))
                bucket.values["bytecount"].append(rng.randint(100, 200000))
    c.compute_statistics()
    c.note_filled()
    return c


def shifted(template: FileStatsCollector, hour: int) -> FileStatsCollector:
    """The template moved to another hour (same rows and statistics)."""
    delta = hour - template.start
    c = copy.copy(template)
    c.start, c.end = template.start + delta, template.end + delta
    c.buckets = []
    for b in template.buckets:
        nb = copy.copy(b)
        nb.start, nb.end = b.start + delta, b.end + delta
        nb.times = [t + delta for t in b.times]
        nb.times_where_min = {k: v + delta if v else 0 for k, v in b.times_where_min.items()}
        nb.times_where_max = {k: v + delta if v else 0 for k, v in b.times_where_max.items()}
        c.buckets.append(nb)
    return c
