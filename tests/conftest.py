import os
import sys
from pathlib import Path

import pytest

from pxstats import timeutil
from pxstats.collector import FileStatsCollector
from pxstats.paths import StatsPaths
from pxstats.store import pickles

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def T(text: str) -> int:
    """ISO text -> epoch (UTC)."""
    return timeutil.parse_iso(text)


def write_log(path: Path, lines) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join((l if isinstance(l, bytes) else l.encode("latin-1")) + b"\n" for l in lines)
    path.write_bytes(data)
    return path


def save_hour(paths: StatsPaths, client: str, machine: str, hour: int, rows,
              file_type: str = "tx") -> Path:
    """An hourly pickle built from rows (seconds after the hour, product, latency, bytes,
    error), statistics computed as pickleUpdater computes them."""
    c = FileStatsCollector(file_type, hour)
    for offset, product, latency, nbytes, error in rows:
        b = c.buckets[c.bucket_index(hour + offset)]
        b.times.append(hour + offset)
        b.products.append(product)
        b.values["errors"].append(error)
        b.values["bytecount"].append(nbytes)
        if "latency" in b.values:
            b.values["latency"].append(latency)
    c.compute_statistics()
    c.note_filled()
    path = paths.hourly_pickle(client, hour, file_type, machine)
    pickles.save(path, c)
    return path


@pytest.fixture
def stats_root(tmp_path) -> StatsPaths:
    (tmp_path / "data").mkdir()
    return StatsPaths(tmp_path)


@pytest.fixture
def run_env(tmp_path):
    env = dict(os.environ)
    env["PXSTATS_ROOT"] = str(tmp_path)
    env["PATH"] = f"{BIN}:{env['PATH']}"
    return env
