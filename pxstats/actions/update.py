"""Hourly collection: Sundew logs -> one pickle per (client, machine, file type, hour).

`collect_period` fills one collector from the log files; `update_client` is what
pickleUpdater does for one client: catch up hour by hour from the time of last update
to the requested time, under a lock, writing each hour's pickle, then (once a day of
catch-up and at the end) the resume pointer and the new time of last update, each
atomically and in that order. A run killed at any instant is
redone exactly by the next run: a pickle is always rebuilt from the logs, and a pointer
is only used when it cannot change the result. Pickles are stored by one background
thread (PickleWriter) so that their fsync overlaps the collection of the next hour; the
pointer and time are written only once every pickle they cover is stored.
"""

from __future__ import annotations

import fcntl
import logging
import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.util import timeutil
from pxstats.util.locks import LockBusy, file_lock
from pxstats.stats.collector import FileStatsCollector
from pxstats.util.gcpause import cyclic_gc_paused
from pxstats.collect import cursor, selection
from pxstats.collect.fastscan import Block, scan_block  # columnar equivalent of formats.scan
from pxstats.collect.formats import ScanResult
from pxstats.paths import StatsPaths
from pxstats.store import pickles, updates

log = logging.getLogger(__name__)

CHUNK = 512 * 1024
STATE_EVERY_HOURS = 24


class LogFolderMissing(Exception):
    pass


def read_file(path: Path, offset: int, collector: FileStatsCollector, result: ScanResult,
              columns: list | None = None) -> int:
    """Scan `path` from `offset`; return the offset of the first line not consumed.

    Reading stops at the first interesting line at or after the collector's end. A last
    line without its newline is still being written: it is not consumed either.
    `columns`: see fastscan.scan_buffer."""
    with open(path, "rb") as handle, cyclic_gc_paused():
        handle.seek(offset)
        position, pending = offset, b""
        while True:
            # scan_block has a cost per call: blocks of 1 MB (about an hour of a busy log).
            block = handle.read(2 * CHUNK)
            if not block:
                return position
            cut = block.rfind(b"\n")
            if cut < 0:
                pending += block
                continue
            lines = Block(pending, memoryview(block)[:cut + 1])
            pending = block[cut + 1:]
            result.stop_index = None
            stop = scan_block(lines, collector, result, columns)
            if stop is not None:
                return position + stop
            position += lines.size


class PickleWriter:
    """Writes hourly pickles in order on one background thread, so that the disk work of
    one hour (temp file, fsync, rename) overlaps the collection of the next.

    Each pickle is still written by `pickles.write` (atomic, fsynced). `wait()` returns
    once every pickle handed over is stored and raises the first failure; after a failure
    no later pickle is written, as if the run had stopped there. Use as a context manager
    inside the lock: leaving it waits for the thread, whatever happened."""

    def __init__(self):
        self._queue: queue.Queue = queue.Queue(maxsize=2)   # pickled hours in flight
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pickle-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                target, data, message = item
                if self._error is None:
                    pickles.write(target, data)
                    log.info(message, target)
            except BaseException as exc:  # reported to the caller by wait()
                self._error = exc
            finally:
                self._queue.task_done()

    def save(self, target: Path, collector: FileStatsCollector, message: str) -> None:
        """Pickle `collector` now; store it at `target` in the background."""
        self._raise()
        self._queue.put((target, pickles.dumps(collector), message))

    def wait(self) -> None:
        self._queue.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> "PickleWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self._queue.put(None)
        self._thread.join()
        if exc_info[0] is None:
            self._raise()


@dataclass
class Cursors:
    """What one run knows of the log files: resume offsets (the saved pointer plus every
    file read since) and the first/last record times of the files."""
    saved: cursor.Pointer | None = None
    seen: dict = field(default_factory=dict)  # path -> (offset, end)
    last: cursor.Pointer | None = None
    record_times: selection.RecordTimes = field(default_factory=selection.RecordTimes)

    def start_offset(self, path: Path, start: int) -> int:
        known = self.seen.get(path)
        if known and known[1] <= start:
            return known[0]
        if self.saved is not None:
            head = cursor.first_line(path)
            if self.saved.usable_for(path, start, head):
                return self.saved.offset
        return 0

    def record(self, path: Path, offset: int, end: int) -> None:
        self.seen[path] = (offset, end)
        self.last = cursor.Pointer(cursor.first_line(path), offset, end)


def collect_period(folder: Path, file_type: str, name: str, start: int, end: int,
                   stats_types, interval: int, cursors: Cursors | None = None) -> FileStatsCollector:
    """Collector of the hour holding `start`, filled with the rows of [start, end)."""
    hour = timeutil.hour_start(start)
    collector = FileStatsCollector(file_type, hour, end, stats_types=stats_types,
                                   interval=interval, total_width=timeutil.HOUR)
    cursors = cursors or Cursors()
    result = ScanResult()
    files = selection.select_files(folder, file_type, name, start, end, cursors.record_times)
    columns = []   # the rows as int64 arrays, for the statistics
    for path in files:
        offset = cursors.start_offset(path, start)
        stop = read_file(path, offset, collector, result, columns)
        cursors.record(path, stop, end)
    collector.log_files = [str(p) for p in files]
    if result.malformed:
        log.warning("%s %s: skipped %d malformed line(s) between %s and %s, first: %r",
                    file_type, name, result.malformed, timeutil.iso(start), timeutil.iso(end),
                    result.first_malformed[:200])
    collector.note_filled()
    collector.compute_statistics(columns=columns)
    return collector


@dataclass
class ClientOutcome:
    client: str
    status: str                     # "updated", "up-to-date", "failed"
    pickles: list = field(default_factory=list)
    message: str = ""


def client_names(paths: StatsPaths, file_type: str, machine: str) -> list[str]:
    """Every client (tx) or source (rx) of a machine: Sundew's *.conf names, else the log names."""
    if machine == _this_host():
        conf_dir = paths.px_etc_dir / file_type
    else:
        conf_dir = paths.px_config_copies / file_type / machine
    names = sorted(p.name[:-5] for p in _listdir(conf_dir) if p.name.endswith(".conf"))
    if names:
        return names
    prefix = f"{file_type}_"
    found = set()
    for p in _listdir(paths.log_dir_for(machine)):
        if p.name.startswith(prefix) and ".log" in p.name:
            found.add(p.name[len(prefix):p.name.index(".log")])
    return sorted(found)


def _this_host() -> str:
    from pxstats.paths import this_host
    return this_host()


def _listdir(folder: Path) -> list[Path]:
    try:
        return list(Path(folder).iterdir())
    except OSError:
        return []


def update_client(paths: StatsPaths, file_type: str, client: str, machine: str, until: int,
                  stats_types, interval: int) -> ClientOutcome:
    """Collect every hour from the client's last update up to `until` (exclusive)."""
    lock = paths.lock_file(f"pickleUpdater_{file_type}_{client}_{machine}")
    with file_lock(lock, wait=False), cyclic_gc_paused():
        time_file = paths.time_of_update_file(file_type, client, machine)
        last = updates.read(time_file)
        if last is None:  # first run: collect the hour before the requested one
            last = timeutil.hour_start(until) - timeutil.HOUR
        if until <= last:
            log.warning("This client was not updated since it's last update was more recent "
                        "than specified date : %s", client)
            return ClientOutcome(client, "up-to-date")
        folder = paths.log_dir_for(machine)
        if not folder.is_dir():
            # The original wrote empty pickles and advanced the time: a silent permanent gap.
            raise LogFolderMissing(f"log folder {folder} does not exist")
        pointer_file = paths.pointer_file(file_type, client, machine)
        cursors = Cursors(saved=cursor.load(pointer_file))
        outcome = ClientOutcome(client, "updated")
        hour = timeutil.hour_start(last)
        with PickleWriter() as writer:
            while hour < until:
                end = min(hour + timeutil.HOUR, until)
                collector = collect_period(folder, file_type, client, hour, end, stats_types,
                                           interval, cursors)
                target = paths.hourly_pickle(client, hour, file_type, machine)
                if target.exists():
                    log.info("Replacing pickle %s", target)
                writer.save(target, collector, "Saved pickle named : %s")
                outcome.pickles.append(target)
                hour += timeutil.HOUR
                # State is saved once a day of catch-up and at the end, after the pickles
                # it covers are stored: pickles are rebuilt from the logs, so a run killed
                # in between redoes the same hours exactly.
                if hour >= until or len(outcome.pickles) % STATE_EVERY_HOURS == 0:
                    writer.wait()
                    if cursors.last is not None:
                        cursor.save(pointer_file, cursors.last)
                    updates.write(time_file, end)
        return outcome


def update_clients(paths: StatsPaths, file_type: str, clients, machine: str, until: int,
                   stats_types, interval: int) -> list[ClientOutcome]:
    """update_client for each client; one client's failure does not stop the others."""
    outcomes = []
    for client in clients:
        try:
            outcomes.append(update_client(paths, file_type, client, machine, until,
                                          stats_types, interval))
        except LockBusy:
            message = f"another pickleUpdater is updating {file_type} {client} of {machine}"
            log.error(message)
            outcomes.append(ClientOutcome(client, "failed", message=message))
        except (LogFolderMissing, OSError, updates.UpdateFileError) as exc:
            message = f"{file_type} {client} of {machine} not updated: {exc}"
            log.error(message)
            outcomes.append(ClientOutcome(client, "failed", message=message))
    return outcomes


def recollect_client(paths: StatsPaths, file_type: str, client: str, machine: str, start: int,
                     end: int, stats_types, interval: int) -> list[Path]:
    """Rebuild the pickles of every hour of [start, end) from the logs.

    Times of last update and saved pointers are neither used nor changed: the regular
    pickleUpdater schedule goes on exactly as before."""
    lock = paths.lock_file(f"pickleUpdater_{file_type}_{client}_{machine}")
    with file_lock(lock, wait=False), cyclic_gc_paused():
        folder = paths.log_dir_for(machine)
        if not folder.is_dir():
            raise LogFolderMissing(f"log folder {folder} does not exist")
        cursors = Cursors()
        written = []
        hour = timeutil.hour_start(start)
        with PickleWriter() as writer:
            while hour < end:
                period_end = min(hour + timeutil.HOUR, end)
                collector = collect_period(folder, file_type, client, hour, period_end,
                                           stats_types, interval, cursors)
                target = paths.hourly_pickle(client, hour, file_type, machine)
                writer.save(target, collector, "Recollected pickle %s")
                written.append(target)
                hour += timeutil.HOUR
            writer.wait()
        return written
