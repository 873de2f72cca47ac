"""RRD schema, file naming, time-of-update files and the narrow rrdtool operations.

One RRD per (data type, client or group, machine set): step 60 s, one GAUGE data source
named after the English type, 12 archives (1 min x 5 days, 1 h x 14 days, 4 h x ~243 days,
1 day x 10 years; AVERAGE, MIN, MAX; xff 0.5) — the original's layout, so existing
archives are used as they are (spec rrd.md §1).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import rrdtool

from pxstats.paths import StatsPaths, check_name, safe_component
from pxstats.util import atomic

DATA_TYPES = {
    "tx": ("latency", "bytecount", "errors", "filesOverMaxLatency", "filecount"),
    "rx": ("bytecount", "errors", "filecount"),
}
STEP = 60
HEARTBEAT = 60
XFF = 0.5
# (steps per row, rows): 5 days of minutes, 14 days of hours, ~243 days of 4 hours, 10 years of days
ARCHIVES = ((1, 7200), (60, 336), (240, 1460), (1440, 3650))
CONSOLIDATIONS = ("AVERAGE", "MIN", "MAX")
COMBINED = "combined"


class RRDError(Exception):
    """An rrdtool operation failed; the message says which file and why."""


def machines_name(machines) -> str:
    """The machine part of database names: names concatenated, as the original did, so the
    databases of existing archives keep their names."""
    return "".join(machines)


def db_path(paths: StatsPaths, data_type: str, name: str, machines) -> Path:
    """currentDatabases/<type>/<client or group>_<machines>"""
    check_name("client", name)
    return paths.current_databases / data_type / safe_component(f"{name}_{machines_name(machines)}")


def combined_db_path(paths: StatsPaths, data_type: str, name: str, machines) -> Path:
    """currentDatabases/<type>/combined/<name>_<machines>: throw-away totals databases."""
    check_name("client", name)
    return (
        paths.current_databases
        / data_type
        / COMBINED
        / safe_component(f"{name}_{machines_name(machines)}")
    )


def database_for(paths: StatsPaths, data_type: str, client: str, machine: str) -> Path:
    """<type>/<client>_<M>; a group's database has the same form. When it is missing but an
    ad-hoc combination of exactly that name exists under combined/, that one."""
    regular = db_path(paths, data_type, client, [machine])
    if not regular.exists():
        combined = combined_db_path(paths, data_type, client, [machine])
        if combined.exists():
            return combined
    return regular


def time_of_update_path(paths: StatsPaths, file_type: str, database: Path) -> Path:
    """currentDatabasesTimeOfUpdates/<fileType>/<basename>: shared by all data types."""
    return paths.current_databases_updates / file_type / database.name


_LEGACY_NUMBER = re.compile(rb"^[FIL]?(\d+(?:\.\d*)?)L?\n\.?$|^(\d+(?:\.\d*)?)\s*$")


def read_time_of_update(path: Path) -> int:
    """Epoch up to which a database holds data; 0 when never transferred.

    Accepts the original's protocol-0 pickle of a number (`F1160442000.0\\n.`) — read by
    pattern, never unpickled — and the plain number pxStats writes."""
    try:
        data = Path(path).read_bytes().strip() + b"\n"
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise RRDError(f"cannot read {path}: {exc.strerror}") from None
    text = data.rstrip(b"\n")
    for candidate in (text, text + b"\n"):
        match = _LEGACY_NUMBER.match(candidate)
        if match:
            return int(float(match.group(1) or match.group(2)))
    raise RRDError(f"{path}: not a time-of-update file")


def write_time_of_update(path: Path, epoch: int) -> None:
    """Written as the original's protocol-0 float pickle: old tools still read it."""
    atomic.write_bytes(path, b"F%d.0\n." % int(epoch))


def create_args(data_type: str, start: int) -> list[str]:
    """Arguments of `rrdtool create` for a database whose first stored minute ends at start+60."""
    args = [
        "--start",
        str(int(start)),
        "--step",
        str(STEP),
        f"DS:{data_type}:GAUGE:{HEARTBEAT}:U:U",
    ]
    for steps, rows in ARCHIVES:
        for cf in CONSOLIDATIONS:
            args.append(f"RRA:{cf}:{XFF}:{steps}:{rows}")
    return args


def create(path: Path, data_type: str, start: int) -> None:
    """Create a database at `start` (not start-60: the first minute is kept, not unknown)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _call(rrdtool.create, str(path), *create_args(data_type, start))


def update(path: Path, pairs) -> None:
    """Store (timestamp, value) pairs in one batched call; timestamps must be increasing."""
    values = [f"{int(t)}:{_number(v)}" for t, v in pairs]
    for first in range(0, len(values), 1000):
        _call(rrdtool.update, str(path), *values[first : first + 1000])


UPDATE_TEMP_MARK = ".rrdupdate-"


def update_atomically(path: Path, data_type: str, pairs, start: int) -> None:
    """Store (timestamp, value) pairs so that a process killed at any instant leaves either the
    old database or the fully updated one, never a torn file.

    librrd updates in place through a shared mapping (rows first, header last), so a kill in
    the middle can leave rows and header out of step. Here the update goes to a copy in the
    same folder — or to a new database created at `start` when `path` does not exist yet —
    which is fsynced and renamed over `path`. Temporary copies that a killed writer left
    behind are removed afterwards (callers hold the database's lock)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=_copy_prefix(path), suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        if path.exists():
            shutil.copyfile(path, temp)
        else:
            create(temp, data_type, start)
        update(temp, pairs)
        os.chmod(temp, 0o644)
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        _unlink(temp)
        raise
    remove_stale_copies(path)


def _copy_prefix(path: Path) -> str:
    return "." + path.name[:180] + UPDATE_TEMP_MARK


def remove_stale_copies(path: Path) -> None:
    """Remove the copies of `path` that killed writers left behind (update_atomically's,
    including librrd's own `<name>XXXXXX` create temps). Call it holding the lock."""
    path = Path(path)
    for stale in path.parent.glob(atomic.glob_escape(_copy_prefix(path)) + "*"):
        _unlink(stale)


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def fetch(path: Path, cf: str, resolution: int, start: int, end: int):
    """((start, end, step), [value or None, ...]) from the binding."""
    (first, last, step), _, rows = _call(
        rrdtool.fetch,
        str(path),
        cf,
        "-r",
        str(int(resolution)),
        "-s",
        str(int(start)),
        "-e",
        str(int(end)),
    )
    return (first, last, step), [row[0] for row in rows]


def last(path: Path) -> int:
    return int(_call(rrdtool.last, str(path)))


def info(path: Path) -> dict:
    return _call(rrdtool.info, str(path))


def create_merged(path: Path, data_type: str, start: int, step: int, rows: int) -> None:
    """Throw-away totals database (spec §3.12): one DS whose heartbeat is the step, xff 0,
    one AVERAGE/MIN/MAX archive of `rows` rows at the database's own step. Overwrites."""
    path.parent.mkdir(parents=True, exist_ok=True)
    args = [
        "--start",
        str(int(start)),
        "--step",
        str(int(step)),
        f"DS:{data_type}:GAUGE:{int(step)}:U:U",
    ]
    args += [f"RRA:{cf}:0:1:{int(rows)}" for cf in CONSOLIDATIONS]
    _call(rrdtool.create, str(path), *args)


def _number(value) -> str:
    if value is None:
        return "U"
    return repr(float(value))


def _call(operation, *args):
    try:
        return operation(*args)
    except (rrdtool.OperationalError, rrdtool.ProgrammingError) as exc:
        raise RRDError(f"rrdtool {operation.__name__} {args[0]}: {exc}") from None
