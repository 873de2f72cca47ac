"""Hostile log contents (issue 11 items 8 and 16): a huge line without newline appended to a
log, and logs whose lines or blocks are out of order.

Item 8 is checked on the bytes read (counted by the kernel: `rchar` of /proc/self/io), never
on a time; bench/hostile_logs.py measures the run times.
"""

from pathlib import Path

import pytest
from helpers import T, hourly_lines, write_log

from pxstats.cli import pickleUpdater
from pxstats.collect import selection
from pxstats.store import pickles, updates

GARBAGE = 20 * 1024 * 1024  # bytes without a newline appended to the log


def bytes_read() -> int:
    """Bytes this process has read so far (all files, page cache included)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def run(root, *args):
    try:
        return pickleUpdater.main(["--root", str(root), *args])
    except SystemExit as exc:
        return exc.code


def pickle_of(root, hour, client="clientA", machine="remote1", ft="tx"):
    return root / "data" / "pickles" / client / hour[:8] / ft / f"{machine}_{hour[9:]}"


@pytest.fixture
def garbage_log(tmp_path):
    log = write_log(
        tmp_path / "data" / "logFiles" / "remote1" / "tx_clientA.log",
        hourly_lines("2008-04-30 10:00:00", 6),
    )
    with open(log, "ab") as handle:
        handle.write(b"x" * GARBAGE)
    return tmp_path, log


def test_record_times_read_a_bounded_window(garbage_log):
    """The backward (and forward) search for a record reads at most RECORD_WINDOW bytes:
    past it, the time is unknown and the file is kept for the scan to decide."""
    _, log = garbage_log
    assert selection.RECORD_WINDOW == 1024 * 1024
    before = bytes_read()
    assert selection.last_log_time(log) == float("inf")  # no record in the last 1 MiB
    assert bytes_read() - before <= selection.RECORD_WINDOW + 64 * 1024
    before = bytes_read()
    assert selection.unfinished_line(log) == b""  # a line over 1 MiB is no record
    assert bytes_read() - before <= selection.RECORD_WINDOW + 64 * 1024
    assert selection.first_log_time(log) == T("2008-04-30 10:00:05")
    head = log.with_name("tx_clientA.log.1")
    head.write_bytes(b"y" * GARBAGE + log.read_bytes()[:200])
    before = bytes_read()
    assert selection.first_log_time(head) == float("-inf")
    assert bytes_read() - before <= selection.RECORD_WINDOW + 64 * 1024


def test_pickle_updater_past_a_huge_unfinished_line(garbage_log):
    """An hour collected from a log ending with 20 MB without newline reads a bounded
    number of bytes (before: every byte, re-joined at each step: 19-30 s for 50 MB), and
    the records before the garbage are all collected."""
    root, _ = garbage_log
    for hour in ("12", "13"):
        before = bytes_read()
        assert run(root, "-m", "remote1", "-c", "clientA", "-d", f"2008-04-30 {hour}:10:00") == 0
        assert bytes_read() - before < 4 * 1024 * 1024
    for hh in ("11", "12"):
        c = pickles.load_collector(pickle_of(root, f"20080430_{hh}"))
        assert sum(b.rows for b in c.buckets) == 2
    # The last hour of records, whose scan goes through the garbage: nothing is lost.
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 16:10:00") == 0
    c = pickles.load_collector(pickle_of(root, "20080430_15"))
    assert sum(b.rows for b in c.buckets) == 2


def test_out_of_order_lines_are_counted_and_reported(tmp_path, capsys):
    """Issue 11 item 16: blocks swapped (hour 13 written before hour 12) and one line moved
    (a 10:30 record after 11:00's): the algorithm is kept (the scan of an hour stops at the
    first record past its end, so hour 12 is empty and its records, met while collecting
    hour 13, are skipped), but the lines skipped are counted, logged and, with -v, said in
    the client's line and in the run's summary."""
    lines = hourly_lines("2008-04-30 10:00:00", 6)  # 4 lines an hour, 2 of them records
    hour = {h: lines[4 * (h - 10) : 4 * (h - 9)] for h in range(10, 16)}
    moved = hour[10].pop(3)  # the 10:30 record
    hour[11].insert(2, moved)
    shuffled = hour[10] + hour[11] + hour[13] + hour[12] + hour[14] + hour[15]
    root = tmp_path
    write_log(root / "data" / "logFiles" / "remote1" / "tx_clientA.log", shuffled)
    updates.write(
        root / "data" / "picklesTimeOfUpdates" / "tx_clientA_remote1", T("2008-04-30 10:00:00")
    )
    capsys.readouterr()
    assert run(root, "-v", "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 16:10:00") == 0
    rows = {
        hh: sum(b.rows for b in pickles.load_collector(pickle_of(root, f"20080430_{hh}")).buckets)
        for hh in ("10", "11", "12", "13", "14", "15")
    }
    assert rows == {"10": 1, "11": 2, "12": 0, "13": 2, "14": 2, "15": 2}
    err = capsys.readouterr().err
    assert "tx clientA: skipped 1 line(s) out of order" in err  # the 10:30 record, in hour 11
    assert "tx clientA: skipped 2 line(s) out of order" in err  # hour 12's, in hour 13
    assert "tx clientA of remote1: 6 hour(s) collected up to 2008-04-30 16:00:00, " in err
    assert "3 line(s) skipped as out of order" in err
    summary = [x for x in err.splitlines() if "client(s)" in x]
    assert len(summary) == 1 and summary[0].endswith(", 3 line(s) skipped as out of order")
    log = (root / "data" / "logs" / "pickleUpdater.log").read_text()
    assert log.count("line(s) out of order") == 2


def test_lines_in_order_report_nothing(tmp_path, capsys):
    write_log(
        tmp_path / "data" / "logFiles" / "remote1" / "tx_clientA.log",
        hourly_lines("2008-04-30 10:00:00", 3),
    )
    assert run(tmp_path, "-v", "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 12:10:00") == 0
    assert "out of order" not in capsys.readouterr().err
