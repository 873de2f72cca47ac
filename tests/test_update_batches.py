"""pickleUpdater's batches (issue 16): many clients collected by forked workers store exactly
the files a one-process run stores; a busy lock or a pickle that cannot be stored fails its
client only, and leaves its time of update where it was."""

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import T, hourly_lines, write_log

from pxstats.actions import update
from pxstats.cli import pickleUpdater
from pxstats.store import updates
from pxstats.store.writer import PickleWriter, clean_stale_temps, write_temp
from pxstats.util.locks import file_lock

CLIENTS = [f"c{n:02d}" for n in range(30)]


def make_root(root: Path) -> Path:
    for n, client in enumerate(CLIENTS):
        lines = hourly_lines("2008-04-30 10:00:00", 3, noise=n % 2 == 0)
        write_log(root / "data" / "logFiles" / "m1" / f"tx_{client}.log", lines)
    return root


def run(root: Path, date: str) -> int:
    argv = ["--root", str(root), "-m", "m1", "-c", ",".join(CLIENTS), "-d", date]
    return pickleUpdater.main(argv)


def stored(root: Path) -> dict:
    data = root / "data"
    return {
        str(p.relative_to(data)): p.read_bytes()
        for folder in ("pickles", "picklesTimeOfUpdates", "logFileAccess")
        for p in sorted((data / folder).rglob("*"))
        if p.is_file()
    }


def test_workers_store_what_one_process_stores(tmp_path, monkeypatch):
    root = make_root(tmp_path)  # the same root: pickles name their log files
    monkeypatch.setattr(update, "_processes", lambda: 2)
    results = []
    for workers_from in (10**9, 2):
        monkeypatch.setattr(update, "WORKERS_FROM", workers_from)
        for folder in ("pickles", "picklesTimeOfUpdates", "logFileAccess"):
            shutil.rmtree(root / "data" / folder, ignore_errors=True)
        for date in ("2008-04-30 11:00:00", "2008-04-30 13:00:00"):
            assert run(root, date) == 0
        results.append(stored(root))
    assert results[1] == results[0]
    assert sum(name.startswith("pickles/") for name in results[0]) == 3 * len(CLIENTS)
    times = root / "data" / "picklesTimeOfUpdates"
    assert updates.read(times / "tx_c29_m1") == T("2008-04-30 13:00:00")
    assert not list(root.rglob("*.tmp"))


@pytest.mark.parametrize("workers", [False, True])
def test_a_busy_client_fails_alone(tmp_path, monkeypatch, capsys, workers):
    root = make_root(tmp_path)
    monkeypatch.setattr(update, "_processes", lambda: 2)
    monkeypatch.setattr(update, "WORKERS_FROM", 2 if workers else 10**9)
    lock = root / "data" / "temp" / "lockFiles" / "pickleUpdater_tx_c07_m1.lock"
    with file_lock(lock):
        assert run(root, "2008-04-30 12:00:00") == 1
    assert "another pickleUpdater is updating tx c07 of m1" in capsys.readouterr().err
    times = root / "data" / "picklesTimeOfUpdates"
    assert not (times / "tx_c07_m1").exists()
    assert updates.read(times / "tx_c08_m1") == T("2008-04-30 12:00:00")
    assert run(root, "2008-04-30 12:00:00") == 0
    assert updates.read(times / "tx_c07_m1") == T("2008-04-30 12:00:00")


@pytest.mark.parametrize("workers", [False, True])
def test_a_pickle_that_cannot_be_stored_keeps_the_times(tmp_path, monkeypatch, capsys, workers):
    root = make_root(tmp_path)
    monkeypatch.setattr(update, "_processes", lambda: 2)
    monkeypatch.setattr(update, "WORKERS_FROM", 2 if workers else 10**9)
    assert run(root, "2008-04-30 11:00:00") == 0
    blocked = root / "data" / "pickles" / "c03" / "20080430" / "tx" / "m1_11"
    blocked.mkdir(parents=True)  # os.replace onto a directory fails
    assert run(root, "2008-04-30 12:00:00") == 1
    assert "not updated" in capsys.readouterr().err
    times = root / "data" / "picklesTimeOfUpdates"
    # The batch's pickles are stored before any of its times: none advances.
    assert updates.read(times / "tx_c03_m1") == T("2008-04-30 11:00:00")
    assert not list(root.rglob("*.tmp"))
    blocked.rmdir()
    assert run(root, "2008-04-30 12:00:00") == 0
    assert all(updates.read(times / f"tx_{c}_m1") == T("2008-04-30 12:00:00") for c in CLIENTS)


def test_commit_stores_states_after_pickles_and_cleans_stale_temps(tmp_path):
    from pxstats.stats.collector import FileStatsCollector

    stale = write_temp(tmp_path / "p", b"left by a killed run")
    state = tmp_path / "state"
    with PickleWriter() as writer:
        writer.save(tmp_path / "p", FileStatsCollector("tx", T("2008-04-30 12:00:00")), "%s")
        writer.commit([(state, b"after")])
        assert (tmp_path / "p").is_file() and state.read_bytes() == b"after"
    assert not Path(stale).exists()
    assert oct(state.stat().st_mode & 0o777) == "0o644"
    other = write_temp(tmp_path / "q", b"another target's temp")
    clean_stale_temps([tmp_path / "p"])
    assert Path(other).exists()


def test_killed_runs_of_many_clients_are_redone_exactly(tmp_path):
    """SIGKILL at random instants of a run spreading 30 clients over worker processes (on a
    machine of one core, over one process), then a normal run: the files of a clean run."""
    initial = make_root(tmp_path / "initial")
    for client in CLIENTS:
        updates.write(
            initial / "data" / "picklesTimeOfUpdates" / f"tx_{client}_m1", T("2008-04-30 10:00:00")
        )
    argv = [
        sys.executable, "-m", "pxstats.cli.pickleUpdater", "--root", str(tmp_path / "work"),
        "-m", "m1", "-c", ",".join(CLIENTS), "-d", "2008-04-30 13:00:00",
    ]  # fmt: skip

    def fresh() -> Path:
        shutil.rmtree(tmp_path / "work", ignore_errors=True)
        return shutil.copytree(initial, tmp_path / "work")

    fresh()
    started = time.monotonic()
    subprocess.run(argv, check=True, timeout=120, capture_output=True)
    duration = time.monotonic() - started
    expected = stored(tmp_path / "work")
    assert sum(name.startswith("pickles/") for name in expected) == 3 * len(CLIENTS)
    rng = random.Random(16)
    landed = 0  # kills that left some of the work done
    for trial in range(8):
        root = fresh()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        pickles = sum(name.startswith("pickles/") for name in stored(root))
        landed += 0 < pickles < 3 * len(CLIENTS) or bool(list(root.rglob("*.tmp")))
        subprocess.run(argv, check=True, timeout=120, capture_output=True)
        assert stored(root) == expected, f"trial {trial} differs"
        assert not list(root.rglob("*.tmp")), f"trial {trial} left temps"
    assert landed >= 2


def test_the_summary_counts_the_clients_a_stop_left(tmp_path, monkeypatch, caplog):
    """A stop asked after the first client: that client is collected, the others are
    "interrupted", and the run's INFO summary says how many."""
    root = make_root(tmp_path)
    monkeypatch.setattr(update, "_processes", lambda: 1)
    paths = pickleUpdater.make_paths(str(root))
    request = update.update_request(T("2008-04-30 13:00:00"), "tx", "m1", CLIENTS[:4])
    asked = []

    def should_stop():
        asked.append(True)
        return len(asked) > 2

    with caplog.at_level("INFO", logger="pxstats"):
        outcomes = update.run(paths, request, should_stop)
    # asked before the batch, before client 0 (collected: one hour, a first run), client 1
    assert [o.status for o in outcomes] == ["updated"] + ["interrupted"] * 3
    summary = [r.getMessage() for r in caplog.records if "client(s)" in r.getMessage()]
    assert summary == [
        "pickleUpdater tx of m1 up to 2008-04-30 13:00:00: 4 client(s), 1 updated, "
        "0 up to date, 0 failed, 3 interrupted"
    ]
