"""A log whose last line is still being written at the hourly run (issue 10 item 15).

The run leaves that line unread; when it may be a record of an hour the run collected, the
next run collects that hour again, so the record is counted in its own hour. Checked by
cutting the line at every byte position: run for the hour with the log cut, append the rest
of the line and the next hour, run again; the stored files must equal those of one run over
the complete log.
"""

import os
import shutil
import time
from pathlib import Path

import pytest
from helpers import T, write_log

from pxstats.cli import pickleUpdater
from pxstats.collect import cursor
from pxstats.collect.formats import may_become_row_before, unfinished_span
from pxstats.store import pickles, updates
from pxstats.util import timeutil

HOUR = "2008-04-30 12:00:00"


def stamp(t: int) -> str:
    return timeutil.iso(t).replace("-", "").replace(" ", "").replace(":", "")


def record(file_type: str, t: int, nbytes: int, name: str, ms: int = 0) -> str:
    head = f"{timeutil.iso(t)},{ms:03d} [INFO] ({nbytes} Bytes) "
    ingest = f"{name}:ncp1:CWAO:SA:3:Direct:{stamp(t - 7)}"
    if file_type == "tx":
        return head + f"Bulletin {ingest}  delivered"
    return head + f"Ingested in DB as /apps/px/db/20080430/SA/ncp1/CWAO/{ingest}"


def hour_lines(file_type: str, hour: int, tag: str) -> list[str]:
    """Records at minutes 0, 20, 40 of an hour, each after a line that is not counted."""
    lines = []
    for minute in (0, 20, 40):
        t = hour + minute * 60
        lines.append(f"{timeutil.iso(t + 1)},000 [INFO] 3 new bulletins will be sent")
        lines.append(record(file_type, t + 30, 100 + minute, f"{tag}{minute:02d}_CWAO"))
    return lines


def the_log(file_type: str, last_line: str) -> tuple[list[str], str, list[str]]:
    """(lines before the cut line, the cut line, lines after it)."""
    h = T(HOUR)
    before = hour_lines(file_type, h - 3600, "SA") + hour_lines(file_type, h, "SB")
    after = hour_lines(file_type, h + 3600, "SC") + [
        f"{timeutil.iso(h + 7205)},000 [INFO] (5 Bytes) Bulletin Z:a:b:c:d:e:{stamp(h + 7200)}  x"
    ]
    return before, last_line, after


CUT_LINES = {
    # the record of minute 59 (the one the issue saw lost), an error of minute 59, and the
    # first record of the next hour (its own hour is collected later anyway)
    "tx-minute-59": ("tx", record("tx", T(HOUR) + 3598, 777, "SX59_CWAO", 500)),
    "tx-error-59": ("tx", f"{timeutil.iso(T(HOUR) + 3599)},999 [ERROR] Type: socket.error"),
    "tx-next-hour": ("tx", record("tx", T(HOUR) + 3600, 888, "SY00_CWAO", 100)),
    "rx-minute-59": ("rx", record("rx", T(HOUR) + 3599, 999, "SX59_CWAO", 1)),
}


def prepare(root: Path, file_type: str, data: bytes) -> Path:
    """A root whose log folder m1 holds `data` as the live log of c1, updated up to HOUR."""
    shutil.rmtree(root, ignore_errors=True)
    log = root / "data" / "logFiles" / "m1" / f"{file_type}_c1.log"
    log.parent.mkdir(parents=True)
    log.write_bytes(data)
    updates.write(root / "data" / "picklesTimeOfUpdates" / f"{file_type}_c1_m1", T(HOUR))
    return log


def update(root: Path, file_type: str, until: str) -> None:
    status = pickleUpdater.main(
        ["--root", str(root), "-m", "m1", "-c", "c1", "-f", file_type, "-d", until]
    )
    assert status == 0


def snapshot(root: Path) -> dict:
    """Every stored file (pickles, pointers, update times) with its bytes."""
    result = {}
    for folder in ("pickles", "picklesTimeOfUpdates", "logFileAccess"):
        for path in sorted((root / "data" / folder).rglob("*")):
            if path.is_file():
                result[str(path.relative_to(root))] = path.read_bytes()
    return result


def encode(lines) -> bytes:
    return b"".join(line.encode() + b"\n" for line in lines)


def rows_of(root: Path, file_type: str, hour: str) -> list:
    day, hh = hour[:10].replace("-", ""), hour[11:13]
    collector = pickles.load_collector(
        root / "data" / "pickles" / "c1" / day / file_type / f"m1_{hh}"
    )
    return [
        (t, p, b.values["bytecount"][k])
        for b in collector.buckets
        for k, (t, p) in enumerate(zip(b.times, b.products))
    ]


@pytest.mark.parametrize("case", sorted(CUT_LINES))
def test_line_cut_at_every_byte_is_counted_in_its_own_hour(case, tmp_path):
    file_type, line = CUT_LINES[case]
    before, cut_line, after = the_log(file_type, line)
    complete = encode(before) + encode([cut_line]) + encode(after)
    root = tmp_path / "work"  # the same path every time: pickles record their log files

    prepare(root, file_type, complete)
    update(root, file_type, "2008-04-30 14:00:00")
    expected = snapshot(root)
    rows_12 = rows_of(root, file_type, "2008-04-30 12:00:00")
    rows_13 = rows_of(root, file_type, "2008-04-30 13:00:00")
    assert len(rows_12) + len(rows_13) == 7  # 3 + 3 + the cut line
    assert sum(b == 777 or b == 999 or b == 0 for *_, b in rows_12) == (case != "tx-next-hour")

    data = cut_line.encode() + b"\n"
    # From its first byte to all but its newline (a line not started at all is new data
    # for the next run, which rightly collects only the next hour).
    for k in range(1, len(data)):
        log = prepare(root, file_type, encode(before) + data[:k])
        update(root, file_type, "2008-04-30 13:00:00")  # the run at 13:00:30
        with open(log, "ab") as handle:
            handle.write(data[k:] + encode(after))
        update(root, file_type, "2008-04-30 14:00:00")  # the run at 14:00:30
        got = snapshot(root)
        assert got.keys() == expected.keys(), f"cut at byte {k}"
        for name in expected:
            assert got[name] == expected[name], f"cut at byte {k}: {name} differs"


MINUTE_59 = CUT_LINES["tx-minute-59"][1].encode()
TIME_FILE = Path("data/picklesTimeOfUpdates/tx_c1_m1")
POINTER_FILE = Path("data/logFileAccess/tx_c1_m1")


def test_still_unfinished_at_the_next_run_is_waited_for_again(tmp_path):
    before, _, after = the_log("tx", "")
    log = prepare(tmp_path, "tx", encode(before) + MINUTE_59[:40])
    update(tmp_path, "tx", "2008-04-30 13:00:00")
    # the hour of the unfinished line is not complete: time and pointer at its start
    assert updates.read(tmp_path / TIME_FILE) == T(HOUR)
    pointer = cursor.load(tmp_path / POINTER_FILE)
    assert pointer is None or pointer.end <= T(HOUR)
    with open(log, "ab") as handle:
        handle.write(MINUTE_59[40:60])
    update(tmp_path, "tx", "2008-04-30 14:00:00")
    assert updates.read(tmp_path / TIME_FILE) == T(HOUR)
    with open(log, "ab") as handle:
        handle.write(MINUTE_59[60:] + b"\n" + encode(after))
    update(tmp_path, "tx", "2008-04-30 14:00:00")
    assert updates.read(tmp_path / TIME_FILE) == T("2008-04-30 14:00:00")
    assert sorted(b for *_, b in rows_of(tmp_path, "tx", HOUR)) == [100, 120, 140, 777]
    assert sorted(b for *_, b in rows_of(tmp_path, "tx", "2008-04-30 13:00:00")) == [100, 120, 140]


def test_a_line_unfinished_for_over_an_hour_is_not_waited_for(tmp_path):
    before, _, _ = the_log("tx", "")
    log = prepare(tmp_path, "tx", encode(before) + MINUTE_59[:50])
    old = time.time() - 2 * 3600
    os.utime(log, (old, old))
    update(tmp_path, "tx", "2008-04-30 13:00:00")
    assert updates.read(tmp_path / TIME_FILE) == T("2008-04-30 13:00:00")
    assert cursor.load(tmp_path / POINTER_FILE).offset == len(encode(before))


def test_a_rotated_file_ending_mid_line_is_not_waited_for(tmp_path):
    """Only the live file is still written: a rotated copy ending inside a line is final."""
    before, _, after = the_log("tx", "")
    rotated = prepare(tmp_path, "tx", encode(after)).with_name("tx_c1.log.2008-04-29")
    rotated.write_bytes(encode(before) + MINUTE_59[:50])
    update(tmp_path, "tx", "2008-04-30 13:00:00")
    assert updates.read(tmp_path / TIME_FILE) == T("2008-04-30 13:00:00")
    assert sorted(b for *_, b in rows_of(tmp_path, "tx", HOUR)) == [100, 120, 140]


def test_a_line_of_a_later_hour_is_not_waited_for(tmp_path):
    """Once its prefix names a later time, the line is left to the run of its own hour."""
    before, _, _ = the_log("tx", "")
    next_hour = CUT_LINES["tx-next-hour"][1].encode()
    prepare(tmp_path, "tx", encode(before) + next_hour[:25])
    update(tmp_path, "tx", "2008-04-30 13:00:00")
    assert updates.read(tmp_path / TIME_FILE) == T("2008-04-30 13:00:00")


@pytest.mark.parametrize(
    "partial,span",
    [
        (b"2", ("2000-00-00 00:00:00", "2999-99-99 99:99:99")),
        (b"2008-04-30 12:5", ("2008-04-30 12:50:00", "2008-04-30 12:59:99")),
        (b"2008-04-30 12:59:58", ("2008-04-30 12:59:58", "2008-04-30 12:59:58")),
        (b"2008-04-30 12:59:58,", ("2008-04-30 12:59:58", "2008-04-30 12:59:58")),
        (b"2008-04-30 12:59:58,5 [INF", ("2008-04-30 12:59:58", "2008-04-30 12:59:58")),
        (b"2008-04-30 12:59:58.", None),  # can never be a row
        (b"2008-04-31 12:59:58,", None),
        (b"Traceback (most", None),
        (b"2008-x", None),
        (b" ", None),
    ],
)
def test_span_of_an_unfinished_line(partial, span):
    assert unfinished_span(partial) == span
    if span:
        assert may_become_row_before(partial, T("2008-04-30 13:00:00")) == (
            span[0] < "2008-04-30 13"
        )


def test_live_file_holding_only_an_unfinished_line_is_selected(tmp_path):
    from pxstats.collect.selection import select_files

    folder = tmp_path / "logs"
    rotated = write_log(folder / "tx_c.log.1", the_log("tx", "")[0])
    live = folder / "tx_c.log"
    live.write_bytes(b"2008-04-30 12:59:5")
    assert select_files(folder, "tx", "c", T(HOUR), T(HOUR) + 3600) == [rotated, live]
    assert select_files(folder, "tx", "c", T(HOUR) + 3600, T(HOUR) + 7200) == []
    live.write_bytes(b"2008-04-30 13:0")
    assert select_files(folder, "tx", "c", T(HOUR), T(HOUR) + 3600) == [rotated]
    assert select_files(folder, "tx", "c", T(HOUR) + 3600, T(HOUR) + 7200) == [live]
