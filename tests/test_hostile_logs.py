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
from pxstats.store import pickles

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
