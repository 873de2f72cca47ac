"""Reading a period of Sundew logs into a collector: which files, from which offset, and the
scan of each file's blocks (`collect_period`).

A line still being written (no newline yet) is left unread. When it may be a record of the
period being collected, `Cursors.unfinished` says so: the caller must collect that period
again later (pickleUpdater's next run re-collects the hour), or the record would be lost.
Such a line is waited for only at the end of the live log (`<ft>_<name>.log`) and while that
file changed less than `UNFINISHED_WAIT` seconds ago: a rotated file is never written again,
and a line left without its newline for longer is not being written any more.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.collect import cursor, selection
from pxstats.collect.formats import ScanResult, may_become_row_before
from pxstats.collect.scanner import scan_buffer  # equivalent of formats.scan
from pxstats.stats.collector import FileStatsCollector
from pxstats.util import timeutil
from pxstats.util.gcpause import cyclic_gc_paused

log = logging.getLogger(__name__)

CHUNK = 512 * 1024  # blocks of at most 2 * CHUNK
FIRST_READ = 128 * 1024  # a file's first block when its rate is not known yet (~1 quiet hour)
UNFINISHED_WAIT = 3600


class LogFolderMissing(Exception):
    """The machine's log folder does not exist (nothing is collected, nothing advances)."""


def read_file(
    path: Path,
    offset: int,
    collector: FileStatsCollector,
    result: ScanResult,
    columns: list | None = None,
    first_read: int = FIRST_READ,
) -> int:
    """Scan `path` from `offset`; return the offset of the first line not consumed.

    Reads follow the data: the first block is `first_read` bytes (the caller's estimate of
    the period's bytes), each next one twice the last, up to 2 * CHUNK: a client-hour
    reads its bytes, not a fixed megabyte that the scanner would go through.

    Reading stops at the first interesting line at or after the collector's end. A last
    line without its newline is still being written: it is not consumed either, and its
    bytes are left in `result.unfinished`. `columns`: see scanner.scan_buffer."""
    result.unfinished = b""
    result.reached_start = False  # out of order: only after a line of this file
    with open(path, "rb") as handle, cyclic_gc_paused():
        handle.seek(offset)
        position, pending = offset, []  # pending: the pieces of a line without its newline yet
        size = max(4096, min(first_read, 2 * CHUNK))
        while True:
            # the scanner has a cost per call and per byte: blocks grow up to 1 MB.
            block = handle.read(size)
            size = min(2 * size, 2 * CHUNK)
            if not block:
                result.unfinished = b"".join(pending)
                return position
            cut = block.rfind(b"\n")
            if cut < 0:
                pending.append(block)  # joined once: a huge line costs its length, no more
                continue
            lines = memoryview(block)[: cut + 1]
            if any(pending):
                lines = b"".join((*pending, lines))
            pending = [block[cut + 1 :]]
            result.stop_index = None
            stop = scan_buffer(lines, collector, result, columns)
            if stop is not None:
                return position + stop
            position += len(lines)


@dataclass
class Cursors:
    """What one run knows of the log files: resume offsets (the saved pointer plus every
    file read since) and the first/last record times of the files."""

    saved: cursor.Pointer | None = None
    seen: dict = field(default_factory=dict)  # path -> (offset, end)
    read: dict = field(default_factory=dict)  # path -> bytes consumed by its last period
    last: cursor.Pointer | None = None
    record_times: selection.RecordTimes = field(default_factory=selection.RecordTimes)
    # The last collect_period left unread a line still being written that may be one of
    # its records: that period must be collected again.
    unfinished: bool = False
    out_of_order: int = 0  # lines skipped as out of order by every collect_period so far

    def start_offset(self, path: Path, start: int) -> int:
        known = self.seen.get(path)
        if known and known[1] <= start:
            return known[0]
        if self.saved is not None:
            head = cursor.first_line(path)
            if self.saved.usable_for(path, start, head):
                return self.saved.offset
        return 0

    def first_read(self, path: Path) -> int:
        """The first block to read of `path`: half as much again as its last period."""
        last = self.read.get(path)
        return FIRST_READ if last is None else last + last // 2 + 16384

    def record(self, path: Path, offset: int, end: int) -> None:
        self.seen[path] = (offset, end)
        self.last = cursor.Pointer(cursor.first_line(path), offset, end)


def collect_period(
    folder: Path,
    file_type: str,
    name: str,
    start: int,
    end: int,
    stats_types,
    interval: int,
    cursors: Cursors | None = None,
) -> FileStatsCollector:
    """Collector of the hour holding `start`, filled with the rows of [start, end)."""
    hour = timeutil.hour_start(start)
    collector = FileStatsCollector(
        file_type, hour, end, stats_types=stats_types, interval=interval, total_width=timeutil.HOUR
    )
    cursors = cursors or Cursors()
    result = ScanResult()
    files = selection.select_files(folder, file_type, name, start, end, cursors.record_times)
    columns = []  # the rows as int64 arrays, for the statistics
    cursors.unfinished = False
    for path in files:
        offset = cursors.start_offset(path, start)
        stop = read_file(path, offset, collector, result, columns, cursors.first_read(path))
        cursors.read[path] = stop - offset
        cursors.record(path, stop, end)
        if result.unfinished and _waited_for(path, file_type, name, result.unfinished, end):
            cursors.unfinished = True
    collector.log_files = [str(p) for p in files]
    if result.malformed:
        log.warning(
            "%s %s: skipped %d malformed line(s) between %s and %s, first: %r",
            file_type,
            name,
            result.malformed,
            timeutil.iso(start),
            timeutil.iso(end),
            result.first_malformed[:200],
        )
    if result.out_of_order:
        # The original skipped them silently: they belong to a period already collected.
        log.warning(
            "%s %s: skipped %d line(s) out of order (timed before %s, found after later lines) "
            "while collecting %s to %s",
            file_type,
            name,
            result.out_of_order,
            timeutil.iso(start),
            timeutil.iso(start),
            timeutil.iso(end),
        )
        cursors.out_of_order += result.out_of_order
    collector.note_filled()
    collector.compute_statistics(columns=columns)
    return collector


def _waited_for(path: Path, file_type: str, name: str, partial: bytes, end: int) -> bool:
    """Whether the unfinished last line of `path` may still become a record before `end`."""
    if path.name != f"{file_type}_{name}.log" or not may_become_row_before(partial, end):
        return False
    try:
        changed = os.stat(path).st_mtime
    except OSError:
        return False
    return time.time() - changed < UNFINISHED_WAIT
