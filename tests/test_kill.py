"""A pickleUpdater run killed with SIGKILL at random instants, then run again normally,
leaves exactly the pickles, pointers and update times of an uninterrupted run."""

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import T, write_log

from pxstats.store import updates
from pxstats.util import timeutil

TRIALS = 20
FIRST = "2008-04-28 00:00:00"
ARGS = ["-m", "m1", "-c", "alpha,beta", "-d", "2008-04-30 06:10:00"]


def day_lines(rng, start, hours, per_hour):
    lines = []
    for k in range(hours * per_hour):
        t = start + k * 3600 // per_hour
        if rng.random() < 0.03:
            lines.append(f"{timeutil.iso(t)},000 [ERROR] Unable to deliver, Type: socket.error")
            continue
        if rng.random() < 0.05:
            lines.append(f"{timeutil.iso(t)},000 [INFO] Speed = 12 Bytes/sec")
        arrival = (
            timeutil.iso(t - rng.randint(0, 40)).replace("-", "").replace(" ", "").replace(":", "")
        )
        lines.append(
            f"{timeutil.iso(t)},{rng.randint(0, 999):03d} [INFO] ({rng.randint(1, 99999)} Bytes) "
            f"Bulletin SA{k % 97:02d}_CWAO_{k}:ncp1:CWAO:SA:3:Direct:{arrival}  delivered"
        )
    return lines


@pytest.fixture(scope="module")
def initial_state(tmp_path_factory):
    """Logs of two clients over 54 hours (rotated daily) and time files at the first hour."""
    root = tmp_path_factory.mktemp("initial")
    rng = random.Random(7)
    logs = root / "data" / "logFiles" / "m1"
    for client in ("alpha", "beta"):
        for day, name in (
            (0, f"tx_{client}.log.2008-04-28"),
            (1, f"tx_{client}.log.2008-04-29"),
            (2, f"tx_{client}.log"),
        ):
            hours = 24 if day < 2 else 7
            write_log(logs / name, day_lines(rng, T(FIRST) + day * 86400, hours, 400))
        updates.write(root / "data" / "picklesTimeOfUpdates" / f"tx_{client}_m1", T(FIRST))
    return root


def run_updater(
    root: Path, kill_after: float | None = None, kill_at_pickles: int | None = None
) -> None:
    """Run pickleUpdater to its end, or SIGKILL it `kill_after` seconds after its start, or
    as soon as `kill_at_pickles` pickles are stored (the collection is fast: most instants of
    a run are its start-up, so kills at random instants alone seldom land mid-work)."""
    cmd = [sys.executable, "-m", "pxstats.cli.pickleUpdater", "--root", str(root), *ARGS]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is None and kill_at_pickles is None:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        return
    if kill_at_pickles is None:
        time.sleep(kill_after)
    else:
        pickles = root / "data" / "pickles"
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            stored = [p for p in pickles.rglob("*") if p.is_file() and not p.name.startswith(".")]
            if len(stored) >= kill_at_pickles:
                break
            time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()


def snapshot(root: Path) -> dict:
    """Every stored file (pickles, pointers, update times) with its bytes."""
    result = {}
    for folder in ("pickles", "picklesTimeOfUpdates", "logFileAccess"):
        base = root / "data" / folder
        for path in sorted(base.rglob("*")):
            if path.is_file():
                result[str(path.relative_to(root))] = path.read_bytes()
    return result


def fresh_copy(initial: Path, target: Path) -> Path:
    """The same path every time: pickles record the absolute paths of their log files."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(initial, target)
    return target


def test_killed_runs_are_redone_exactly(initial_state, tmp_path):
    reference = fresh_copy(initial_state, tmp_path / "work")
    started = time.monotonic()
    run_updater(reference)
    duration = time.monotonic() - started
    expected = snapshot(reference)
    assert sum(k.startswith("data/pickles/") for k in expected) == 2 * 54
    rng = random.Random(2026)
    killed_mid_work = 0
    for trial in range(TRIALS):
        root = fresh_copy(initial_state, tmp_path / "work")
        if trial % 2:
            run_updater(root, kill_at_pickles=rng.randint(1, 2 * 54 - 1))
        else:
            run_updater(root, kill_after=rng.uniform(0.0, duration))
        partial = snapshot(root)
        if 0 < sum(k.startswith("data/pickles/") for k in partial) < 2 * 54:
            killed_mid_work += 1
        run_updater(root)
        assert snapshot(root) == expected, f"trial {trial} differs"
        leftovers = [p for p in (root / "data").rglob(".*.tmp")]
        assert leftovers == [], f"trial {trial} left {leftovers}"
    # The kills must really land inside the work, not only before or after it.
    assert killed_mid_work >= TRIALS // 4


@pytest.fixture(scope="module")
def unfinished_state(initial_state, tmp_path_factory):
    """The same logs, alpha's live log ending inside a line of 05:59 (still being written)."""
    root = tmp_path_factory.mktemp("unfinished")
    shutil.copytree(initial_state, root, dirs_exist_ok=True)
    log = root / "data" / "logFiles" / "m1" / "tx_alpha.log"
    data = log.read_bytes()
    cut = data.index(b"\n2008-04-30 06:00:") - 30
    log.write_bytes(data[:cut])
    return root


def test_killed_runs_with_a_line_still_being_written(unfinished_state, tmp_path):
    """The hour holding the unfinished line is left to be collected again, killed or not."""
    reference = fresh_copy(unfinished_state, tmp_path / "work")
    started = time.monotonic()
    run_updater(reference)
    duration = time.monotonic() - started
    expected = snapshot(reference)
    alpha = reference / "data" / "picklesTimeOfUpdates" / "tx_alpha_m1"
    assert updates.read(alpha) == T("2008-04-30 05:00:00")
    rng = random.Random(11)
    for trial in range(TRIALS // 2):
        root = fresh_copy(unfinished_state, tmp_path / "work")
        if trial % 2:
            run_updater(root, kill_at_pickles=rng.randint(1, 2 * 54 - 1))
        else:
            run_updater(root, kill_after=rng.uniform(0.0, duration))
        run_updater(root)
        assert snapshot(root) == expected, f"trial {trial} differs"
