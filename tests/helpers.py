"""Helpers the tests import by name: dates, hand-built logs, pickles and databases."""

import sys
from pathlib import Path

from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.stats.collector import FileStatsCollector
from pxstats.store import pickles
from pxstats.util import timeutil

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


def save_hour(
    paths: StatsPaths, client: str, machine: str, hour: int, rows, file_type: str = "tx"
) -> Path:
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


def hourly_lines(first_hour: str, hours: int, noise: bool = True):
    """Per hour: a delivery at minute 0 and one at minute 30, each after a noise line
    (not counted) unless `noise` is False."""
    lines = []
    for h in range(hours):
        base = T(first_hour) + h * 3600
        for minute in (0, 30):
            t = base + minute * 60
            if noise:
                lines.append(f"{timeutil.iso(t + 5)},000 [INFO] 3 new bulletins will be sent")
            stamp = timeutil.iso(t + 20).replace("-", "").replace(" ", "").replace(":", "")
            lines.append(
                f"{timeutil.iso(t + 30)},000 [INFO] ({100 + minute} Bytes) Bulletin "
                f"SACN{h:02d}_CWAO:ncp1:CWAO:SA:3:Direct:{stamp}  delivered"
            )
    return lines


def make_db(
    paths,
    data_type,
    client,
    machines,
    first,
    minutes,
    value,
    file_type="tx",
    time_of_update=None,
    combined=False,
):
    """A per-client database holding `value(minute_start)` for `minutes` minutes from `first`
    (the bucket starting at m is stored at m + 60, as the transfer does)."""
    path = (schema.combined_db_path if combined else schema.db_path)(
        paths, data_type, client, machines
    )
    schema.create(path, data_type, first)
    schema.update(path, [(first + 60 * (i + 1), value(first + 60 * i)) for i in range(minutes)])
    if time_of_update is not None:
        schema.write_time_of_update(
            schema.time_of_update_path(paths, file_type, path), time_of_update
        )
    return path


def make_client(
    paths,
    client,
    machines,
    first,
    minutes,
    value=lambda t: 1.0,
    file_type="tx",
    time_of_update=None,
    types=None,
):
    for data_type in types or schema.DATA_TYPES[file_type]:
        make_db(
            paths, data_type, client, machines, first, minutes, value, file_type, time_of_update
        )
