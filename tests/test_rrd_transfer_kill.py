"""A transferPickleToRRD run killed with SIGKILL at random instants, then run again normally,
leaves exactly the databases and time-of-update files of an uninterrupted run.

The run covers several clients and sources on two machines (`-c ALL`, a pool of workers) and a
multi-day catch-up (three chunks). Only the parent process is killed, as an operator or the
OOM killer would: the workers must die with it (PR_SET_PDEATHSIG) and leave nothing torn.
Every database is compared logically: the fetch output of each of its 12 archives over the
archive's whole length, plus its header as `rrdtool info` reports it (last update, the
primary and consolidated values in progress) without `cur_row` — the files differ in bytes
because rrdtool create starts each archive at a random row. Time-of-update files are
compared byte for byte.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import T
from test_rrd_transfer import random_rows, save

from pxstats.actions import transfer
from pxstats.paths import StatsPaths
from pxstats.rrd import schema

TRIALS = 12
END = "2024-01-18 06:00:00"
RESUME = T("2024-01-16 04:00:00")  # 50 hours to catch up: chunks of 24 + 24 + 2
TX_NAMES = ("alpha", "beta", "gamma", "delta")
RX_NAMES = ("src1", "src2")
NEW_NAME = "delta"  # no time of update: starts at midnight of the end's day
MACHINES = ("m1", "m2")
ARGS = ["-m", ",".join(MACHINES), "-e", END, "--processes", "3"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    base = tmp_path_factory.mktemp("kill")
    paths = StatsPaths(base)
    rng = random.Random(11)
    end = T(END)
    for file_type, names in (("tx", TX_NAMES), ("rx", RX_NAMES)):
        for name in names:
            for machine in MACHINES:
                for hour in range(RESUME, end, 3600):
                    save(paths, name, machine, hour, random_rows(rng, hour, (0, 3)), file_type)
    return base


def initial_times(paths: StatsPaths):
    for file_type, names in (("tx", TX_NAMES), ("rx", RX_NAMES)):
        for name in names:
            if name != NEW_NAME:
                schema.write_time_of_update(
                    transfer.time_of_update_file(paths, file_type, name, MACHINES), RESUME
                )


def reset(root: Path) -> StatsPaths:
    """Pickles are only read by the transfer: resetting the outputs is enough."""
    paths = StatsPaths(root)
    for folder in (paths.databases, paths.lock_files, paths.logs):
        shutil.rmtree(folder, ignore_errors=True)
    initial_times(paths)
    return paths


def raw_snapshot(paths: StatsPaths) -> dict:
    return {
        str(p.relative_to(paths.databases)): p.read_bytes()
        for p in sorted(paths.databases.rglob("*"))
        if p.is_file()
    }


def database_content(path: Path):
    """Everything rrdtool tells about a database, except where each archive's ring starts."""
    header = {
        k: v
        for k, v in schema.info(path).items()
        if not k.endswith(".cur_row") and k not in ("filename", "header_size")
    }
    last = schema.last(path)
    archives = []
    for steps, rows in schema.ARCHIVES:
        resolution = steps * 60
        end = last - last % resolution
        for cf in schema.CONSOLIDATIONS:
            archives.append(schema.fetch(path, cf, resolution, end - rows * resolution, end))
    return header, archives


def snapshot(paths: StatsPaths) -> dict:
    """Every file under data/databases (RRDs, times of update, and any leftover): the content
    of a database, the bytes of anything else."""
    result = {}
    for p in sorted(paths.databases.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            result[str(p.relative_to(paths.databases))] = (
                database_content(p) if data.startswith(b"RRD\0") else data
            )
    return result


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def run(root: Path, kill_after: float | None = None) -> None:
    cmd = [sys.executable, "-m", "pxstats.cli.transferPickleToRRD", "--root", str(root), *ARGS]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    if kill_after is None:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        return
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)  # the parent only
    proc.communicate()
    deadline = time.monotonic() + 10
    while group_members(proc.pid):
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("worker processes outlived their killed parent")
        time.sleep(0.01)


def test_killed_runs_are_redone_exactly(root):
    paths = reset(root)
    started = time.monotonic()
    run(root)
    duration = time.monotonic() - started
    expected = snapshot(paths)
    names = [f"currentDatabases/{t}/{n}_m1m2" for n in TX_NAMES for t in schema.DATA_TYPES["tx"]]
    names += [f"currentDatabases/{t}/{n}_m1m2" for n in RX_NAMES for t in schema.DATA_TYPES["rx"]]
    names += [f"currentDatabasesTimeOfUpdates/tx/{n}_m1m2" for n in TX_NAMES]
    names += [f"currentDatabasesTimeOfUpdates/rx/{n}_m1m2" for n in RX_NAMES]
    assert sorted(expected) == sorted(names)
    final_time = b"F%d.0\n." % T(END)
    assert all(v == final_time for k, v in expected.items() if "TimeOfUpdates" in k)

    rng = random.Random(2024)
    killed_mid_work = 0
    for trial in range(TRIALS):
        paths = reset(root)
        initial = raw_snapshot(paths)
        run(root, kill_after=rng.uniform(0.1, duration))
        partial = raw_snapshot(paths)
        finished = all(partial.get(k) == v for k, v in expected.items() if "TimeOf" in k)
        if partial != initial and not finished:
            killed_mid_work += 1
        if rng.random() < 0.3:  # sometimes a second kill before the good run
            run(root, kill_after=rng.uniform(0.1, duration))
        run(root)
        got = snapshot(paths)
        missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
        assert (missing, extra) == ([], []), f"trial {trial}: files differ"
        for name in expected:
            assert got[name] == expected[name], f"trial {trial}: {name} differs"
    # The kills must really land inside the work, not only before or after it.
    assert killed_mid_work >= TRIALS // 3
