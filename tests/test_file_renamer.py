"""fileRenamer on hand-built stored files: a client, a machine, conflicts, usage errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers import REPO, T

from pxstats.actions import renamer
from pxstats.paths import StatsPaths

SHIM = str(REPO / "bin" / "fileRenamer")


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(path.name)
    return path


def stored(tmp_path) -> StatsPaths:
    paths = StatsPaths(tmp_path)
    hour = T("2026-11-09 05:00:00")
    for client in ("sat", "sat_x"):
        for machine in ("m1", "m2"):
            touch(paths.hourly_pickle(client, hour, "tx", machine))
            touch(paths.time_of_update_file("tx", client, machine))
            touch(paths.current_databases / "latency" / f"{client}_{machine}")
        touch(paths.current_databases / "latency" / f"{client}_m1,m2")
    return paths


def run(paths, *argv):
    return subprocess.run(
        [SHIM, "--root", str(paths.root), "--overrideConfirmation", *argv],
        capture_output=True,
        text=True,
    )


def names(paths) -> list[str]:
    found = (str(p.relative_to(paths.data)) for p in paths.data.rglob("*") if p.is_file())
    return sorted(name for name in found if not name.startswith("temp/"))


def test_client_rename_leaves_a_longer_client_alone(tmp_path):
    paths = stored(tmp_path)
    done = run(paths, "-c", "-o", "sat", "-n", "sat2")
    assert done.returncode == 0, done.stderr
    assert names(paths) == sorted(
        [
            "databases/currentDatabases/latency/sat2_m1",
            "databases/currentDatabases/latency/sat2_m1,m2",
            "databases/currentDatabases/latency/sat2_m2",
            "databases/currentDatabases/latency/sat_x_m1",
            "databases/currentDatabases/latency/sat_x_m1,m2",
            "databases/currentDatabases/latency/sat_x_m2",
            "pickles/sat2/20261109/tx/m1_05",
            "pickles/sat2/20261109/tx/m2_05",
            "pickles/sat_x/20261109/tx/m1_05",
            "pickles/sat_x/20261109/tx/m2_05",
            "picklesTimeOfUpdates/tx_sat2_m1",
            "picklesTimeOfUpdates/tx_sat2_m2",
            "picklesTimeOfUpdates/tx_sat_x_m1",
            "picklesTimeOfUpdates/tx_sat_x_m2",
        ]
    )
    assert run(paths, "-c", "-o", "sat", "-n", "sat2").stdout == ""  # done: nothing left


def test_machine_rename_and_a_conflict_is_left(tmp_path):
    paths = stored(tmp_path)
    touch(paths.time_of_update_file("tx", "sat", "m9"))  # already there: not overwritten
    done = run(paths, "-m", "-o", "m1", "-n", "m9")
    assert done.returncode == 1
    assert done.stderr.strip().endswith("tx_sat_m1: its new name exists already; left")
    after = names(paths)
    assert "pickles/sat/20261109/tx/m9_05" in after and "pickles/sat_x/20261109/tx/m9_05" in after
    assert "databases/currentDatabases/latency/sat_m1,m2" in after  # another machine set
    assert "databases/currentDatabases/latency/sat_x_m9" in after
    assert "picklesTimeOfUpdates/tx_sat_m1" in after
    assert (paths.time_of_update_file("tx", "sat", "m9")).read_text() == "tx_sat_m9"


def test_usage_errors_are_one_line(tmp_path):
    paths = StatsPaths(tmp_path)
    done = run(paths, "-m", "-o", "a", "-n", "a")
    assert done.returncode == 2
    assert done.stderr == "fileRenamer: error: Error. The old and new values must differ.\n"
    done = run(paths, "-o", "a", "-n", "b")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert renamer.plan(paths, renamer.rename_request("group", "G", "H")) == []
