"""Which log files cover a time range, and in which order to read them (spec §1.8 + fixes).

Accepted names are the live file `<ft>_<name>.log` and its rotated copies
`.log.YYYY-MM-DD` (Sundew's midnight rotation) or `.log.N` (size rotation); other files
that merely start the same way (`.log.gz`, `.log.swp`) are ignored. Order is oldest
first: dated copies by date, numbered copies from the highest number, the live file last.
A file is used when its first log line is before the end of the range and its last log
line is at or after the start; leading tracebacks or garbage do not hide a file. The live
file is also used when its last line, still being written, may be a record of the range
(the collection must see it to know that the range is not complete yet).
"""

from __future__ import annotations

import bisect
import math
import os
import re
import time
from pathlib import Path

from pxstats.collect.formats import is_log_line, line_time, unfinished_span
from pxstats.util import timeutil

_SUFFIX = re.compile(r"(?:\.(\d{4}-\d\d-\d\d)|\.(\d+))?\Z")
_FIRST_READ, _LARGEST_READ = 4096, 64 * 1024
# The first/last record is searched in at most this many bytes at the start/end of a file:
# a log record is far shorter, and a file ending with 50 MB without a newline must not cost
# more than a normal one (issue 11 item 8).
RECORD_WINDOW = 1024 * 1024


def _read_sizes():
    """Small reads first (the line sought is nearly always among the first ones read),
    doubling up to 64 KB for files that start or end with long non-log output."""
    size = _FIRST_READ
    while True:
        yield size
        size = min(2 * size, _LARGEST_READ)


# One listing of a log folder serves every client of a run (a machine has hundreds of log
# files; listing them once per client cost more than reading a client's hour). It is used
# again only while the folder's modification time is the one it had when listed, and that
# time was already LISTING_SETTLED seconds old then: a file renamed or created since (the
# midnight rotation) changes it, even with coarse file-system timestamps.
LISTING_SETTLED = 0.05
_listings: dict[str, tuple[tuple[int, int], list[str]]] = {}


def _file_names(folder: Path) -> list[str]:
    """The sorted names of the regular files of `folder` (FileNotFoundError when missing)."""
    status = os.stat(folder)
    version = (status.st_ino, status.st_mtime_ns)
    known = _listings.get(str(folder))
    if known is not None and known[0] == version:
        return known[1]
    listed_at = time.time_ns()
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries if entry.is_file())
    if listed_at - status.st_mtime_ns > LISTING_SETTLED * 1e9:
        _listings[str(folder)] = (version, names)
    return names


def list_folder(folder: Path) -> None:
    """List `folder` now (see _file_names), e.g. before forking workers that all need it."""
    try:
        _file_names(folder)
    except OSError:
        pass


def candidate_files(folder: Path, file_type: str, name: str) -> list[Path]:
    """Log files of one client/source in reading order (oldest first)."""
    prefix = f"{file_type}_{name}.log"
    try:
        names = _file_names(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    keyed = []
    for index in range(bisect.bisect_left(names, prefix), len(names)):
        entry = names[index]
        if not entry.startswith(prefix):
            break
        match = _SUFFIX.match(entry, len(prefix))
        if not match:
            continue
        dated, numbered = match.groups()
        if dated:
            key = (0, dated, 0)
        elif numbered:
            key = (1, "", -int(numbered))
        else:
            key = (2, "", 0)
        keyed.append((key, Path(folder, entry)))
    return [path for _, path in sorted(keyed)]


def first_log_time(path: Path) -> int | float | None:
    """Time of the first INFO/WARNING/ERROR record, reading forward block by block.

    None when the file holds no record; -inf when its first RECORD_WINDOW bytes hold none
    (the first record may be anywhere: the file is kept for the scan to decide)."""
    with open(path, "rb") as handle:
        pieces, done = [], 0  # pieces: the line read so far, not joined before its end
        for size in _read_sizes():
            block = handle.read(min(size, RECORD_WINDOW - done) or 1)
            if not block:
                return _time_if_log(b"".join(pieces))
            if done >= RECORD_WINDOW:
                return -math.inf
            done += len(block)
            begin, cut = 0, block.find(b"\n")
            while cut >= 0:
                line = b"".join((*pieces, block[begin:cut])) if pieces else block[begin:cut]
                if is_log_line(line):
                    return line_time(line)
                pieces, begin, cut = [], cut + 1, block.find(b"\n", cut + 1)
            pieces.append(block[begin:])


def last_log_time(path: Path) -> int | float | None:
    """Time of the last INFO/WARNING/ERROR record, reading backward block by block.

    Each byte is read and joined once, and at most the last RECORD_WINDOW bytes are read:
    None when the file holds no record, +inf when its last RECORD_WINDOW bytes hold none
    (the last record may be anywhere: the file is kept for the scan to decide)."""
    with open(path, "rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        limit = max(0, position - RECORD_WINDOW)
        pieces = []  # the end of the line being read, last piece first
        sizes = _read_sizes()
        while position > limit:
            step = min(next(sizes), position - limit)
            position -= step
            handle.seek(position)
            block = handle.read(step)
            stop, cut = len(block), block.rfind(b"\n")
            while cut >= 0:
                line = block[cut + 1 : stop]
                if pieces:
                    line = b"".join((line, *reversed(pieces)))
                if is_log_line(line):
                    return line_time(line)
                pieces, stop, cut = [], cut, block.rfind(b"\n", 0, cut)
            pieces.append(block[:stop])
        if position > 0:
            return math.inf
        return _time_if_log(b"".join(reversed(pieces)))


def unfinished_line(path: Path) -> bytes:
    """The first bytes (at most 20) of the file's last line when it has no newline yet,
    b"" when the file is empty or ends with a newline, or when that line is longer than
    RECORD_WINDOW (no record is that long; the search reads at most RECORD_WINDOW bytes)."""
    with open(path, "rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        if position == 0:
            return b""
        handle.seek(position - 1)
        if handle.read(1) == b"\n":
            return b""
        limit = max(0, position - RECORD_WINDOW)
        start, sizes = 0, _read_sizes()
        while position > limit:
            step = min(next(sizes), position - limit)
            position -= step
            handle.seek(position)
            cut = handle.read(step).rfind(b"\n")
            if cut >= 0:
                start = position + cut + 1
                break
        else:
            if position > 0:
                return b""
        handle.seek(start)
        return handle.read(20)


def _time_if_log(line: bytes) -> int | None:
    return line_time(line) if is_log_line(line) else None


class RecordTimes:
    """First and last record times of log files, read once per version of each file
    (inode, size, modification time) by whoever keeps this object: hour after hour of a
    catch-up asks about the same files."""

    def __init__(self):
        self._known: dict = {}

    def first(self, path: Path) -> int | None:
        return self._read(path, "first", first_log_time)

    def last(self, path: Path) -> int | None:
        return self._read(path, "last", last_log_time)

    def unfinished(self, path: Path) -> bytes:
        return self._read(path, "unfinished", unfinished_line)

    def _read(self, path: Path, which: str, reader) -> int | None:
        status = os.stat(path)
        key = (path, which, status.st_ino, status.st_size, status.st_mtime_ns)
        if key not in self._known:
            self._known[key] = reader(path)
        return self._known[key]


def select_files(
    folder: Path, file_type: str, name: str, start: int, end: int, times: RecordTimes | None = None
) -> list[Path]:
    """Files holding records in [start, end), in reading order."""
    times = times or RecordTimes()
    live = f"{file_type}_{name}.log"
    chosen = []
    for path in candidate_files(folder, file_type, name):
        first = times.first(path)
        if first is not None and first < end:
            last = times.last(path)
            if last is not None and last >= start:
                chosen.append(path)
                continue
        if path.name == live and _unfinished_in(times.unfinished(path), start, end):
            chosen.append(path)
    return chosen


def _unfinished_in(partial: bytes, start: int, end: int) -> bool:
    """Whether a line still being written may, once complete, be timed in [start, end)."""
    span = unfinished_span(partial) if partial else None
    return span is not None and span[1] >= timeutil.iso(start) and span[0] < timeutil.iso(end)
