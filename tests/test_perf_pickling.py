"""Pickles written on a background thread (PickleWriter): same files, same order
guarantees as writing them in line, and a failure stops the run where it happened."""

import pickle
import threading

import pytest
from helpers import T, hourly_lines, write_log

from pxstats.cli import pickleUpdater
from pxstats.collect.period import collect_period
from pxstats.stats.collector import FileStatsCollector
from pxstats.store import pickles, updates
from pxstats.store.writer import PickleWriter


@pytest.fixture
def root(tmp_path):
    write_log(
        tmp_path / "data" / "logFiles" / "m1" / "tx_c.log",
        hourly_lines("2008-04-30 10:00:00", 6, noise=False),
    )
    updates.write(tmp_path / "data" / "picklesTimeOfUpdates" / "tx_c_m1", T("2008-04-30 10:00:00"))
    return tmp_path


def pickle_of(root, hour):
    return root / "data" / "pickles" / "c" / "20080430" / "tx" / f"m1_{hour:02d}"


def run(root, date):
    return pickleUpdater.main(["--root", str(root), "-m", "m1", "-c", "c", "-d", date])


def test_same_pickles_as_saving_in_line(root):
    assert run(root, "2008-04-30 16:10:00") == 0
    for hour in range(10, 16):
        stored = pickle_of(root, hour).read_bytes()
        start = T(f"2008-04-30 {hour:02d}:00:00")
        again = collect_period(
            root / "data" / "logFiles" / "m1",
            "tx",
            "c",
            start,
            start + 3600,
            ["errors", "latency", "bytecount"],
            60,
        )
        assert stored == pickle.dumps(again, protocol=pickles.PROTOCOL)
    assert not any(t.name == "pickle-writer" for t in threading.enumerate())


def test_a_failed_pickle_stops_the_run_and_keeps_the_time(root, capsys):
    blocked = pickle_of(root, 12)
    blocked.mkdir(parents=True)  # os.replace onto a directory fails
    assert run(root, "2008-04-30 16:10:00") == 1
    assert "not updated" in capsys.readouterr().err
    assert pickle_of(root, 10).is_file() and pickle_of(root, 11).is_file()
    assert not any(pickle_of(root, h).exists() for h in (13, 14, 15))
    time_file = root / "data" / "picklesTimeOfUpdates" / "tx_c_m1"
    assert updates.read(time_file) == T("2008-04-30 10:00:00")
    assert not list((root / "data").rglob(".*.tmp"))
    assert not any(t.name == "pickle-writer" for t in threading.enumerate())
    blocked.rmdir()
    assert run(root, "2008-04-30 16:10:00") == 0
    assert all(pickle_of(root, h).is_file() for h in range(10, 16))
    assert updates.read(time_file) == T("2008-04-30 16:00:00")


def test_writer_waits_raises_and_skips_after_a_failure(tmp_path):
    c = FileStatsCollector("tx", T("2008-04-30 12:00:00"))
    (tmp_path / "dir").mkdir()
    with pytest.raises(OSError):
        with PickleWriter() as writer:
            writer.save(tmp_path / "a", c, "saved %s")
            writer.wait()
            assert (tmp_path / "a").is_file()
            writer.save(tmp_path / "dir", c, "saved %s")
            writer.save(tmp_path / "b", c, "saved %s")
            writer.wait()
    assert not (tmp_path / "b").exists()


def test_writer_drains_when_the_caller_fails(tmp_path):
    c = FileStatsCollector("tx", T("2008-04-30 12:00:00"))
    with pytest.raises(KeyError):
        with PickleWriter() as writer:
            writer.save(tmp_path / "a", c, "saved %s")
            raise KeyError("collection failed")
    assert pickles.load_collector(tmp_path / "a").start == c.start
