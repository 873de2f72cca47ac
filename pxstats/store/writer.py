"""PickleWriter: stores a run's hourly pickles on one background thread and makes them
durable in batches (one sync per step instead of one fsync per file).

How a batch is stored (`PickleWriter.commit`), so that a crash or a power cut at any
instant leaves every file old or new, and a time of update never covers a pickle that is not
stored:
1. every pickle (and every state file: resume pointers, times of update) is written to a
   temp file next to its target, nothing renamed yet;
2. one sync of the file systems holding them: every temp is on disk;
3. the pickles are renamed over their targets, in order; one sync: the new names are on disk;
4. the state files are renamed, in order (a client's pointer before its time); one sync.
A run says it is done only after step 4. Temps a killed run left behind are removed by the
next commit that writes the same target (the caller holds the lock of its targets).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import tempfile
import threading
from pathlib import Path

from pxstats.store import pickles

log = logging.getLogger(__name__)

MODE = 0o644


def _temp_prefix(target: Path) -> str:
    # The temp names of util.atomic: ".<name>.<random>.tmp" in the target's folder.
    return "." + target.name[:200] + "."


def write_temp(target: Path, data: bytes) -> str:
    """`data` in a new temp file next to `target` (not synced, not renamed)."""
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=_temp_prefix(target), suffix=".tmp")
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=_temp_prefix(target), suffix=".tmp")
    try:
        with open(fd, "wb", closefd=True) as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), MODE)
    except BaseException:
        discard(temp)
        raise
    return temp


def discard(temp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


_syncfs = None


def sync_folders(folders) -> None:
    """Everything written to the file systems holding `folders` is on disk when this returns:
    syncfs(2) once per file system (Linux), else sync(2)."""
    global _syncfs
    if _syncfs is None:
        try:
            import ctypes

            _syncfs = ctypes.CDLL(None, use_errno=True).syncfs  # libc's, in the process
            _syncfs.argtypes = [ctypes.c_int]
        except (ImportError, OSError, AttributeError):
            _syncfs = False
    if not _syncfs:
        os.sync()
        return
    devices = set()
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            device = os.fstat(fd).st_dev
            if device not in devices:
                devices.add(device)
                if _syncfs(fd) != 0:
                    error = _get_errno()
                    raise OSError(error, f"syncfs {folder}: {os.strerror(error)}")
        finally:
            os.close(fd)


def _get_errno() -> int:
    import ctypes

    return ctypes.get_errno()


def clean_stale_temps(targets) -> None:
    """Remove the temps of `targets` a killed writer left (the caller holds their locks)."""
    by_folder: dict[Path, set[str]] = {}
    for target in targets:
        by_folder.setdefault(target.parent, set()).add(_temp_prefix(target))
    for folder, prefixes in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name[:1] != "." or not name.endswith(".tmp"):
                continue
            cut = name.rfind(".", 0, len(name) - 4)
            if name[: cut + 1] in prefixes:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


class PickleWriter:
    """Writes hourly pickles in order on one background thread, so that the disk work of
    one hour overlaps the collection of the next; `commit` makes them (and the state files
    that depend on them) durable together, in the order of the module docstring.

    `wait()` (a commit without state files) returns once every pickle handed over is
    stored and raises the first failure; after a failure no later pickle is stored, as if
    the run had stopped there. Use as a context manager inside the lock(s) of the targets:
    leaving it stores what was handed over, whatever happened."""

    def __init__(self):
        self._queue: queue.Queue = queue.Queue(maxsize=2)  # pickled hours in flight
        self._error: BaseException | None = None
        self._written: list[tuple[str, Path, str]] = []  # (temp, target, message)
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
                    self._written.append((write_temp(Path(target), data), Path(target), message))
            except BaseException as exc:  # reported to the caller by commit()
                self._error = exc
            finally:
                self._queue.task_done()

    def save(self, target: Path, collector, message: str) -> None:
        """Pickle `collector` now; store it at `target` at the next commit."""
        self._raise()
        self._queue.put((target, pickles.dumps(collector), message))

    def wait(self) -> None:
        self.commit()

    def detach(self) -> list:
        """In a worker process: stop the thread and give up the pickles written so far (temps,
        not synced, not renamed) for a PickleWriter of the parent to `adopt` and commit."""
        self._queue.put(None)
        self._thread.join()
        self._raise()
        written, self._written = self._written, []
        return written

    def adopt(self, written: list) -> None:
        """Pickles a worker's PickleWriter `detach`ed: stored by the next commit, after those
        handed over so far."""
        self._queue.join()
        self._written.extend(written)

    def commit(self, states=()) -> None:
        """Make every pickle handed over durable, then the state files `states` ((path,
        bytes) pairs, renamed in that order). Nothing of `states` is written when a pickle
        fails."""
        self._queue.join()
        written, self._written = self._written, []
        targets = [target for _, target, _ in written] + [Path(path) for path, _ in states]
        state_temps: list[tuple[str, Path]] = []
        try:
            self._raise()
            for path, data in states:
                path = Path(path)
                state_temps.append((write_temp(path, data), path))
            folders = {t.parent for _, t, _ in written} | {p.parent for _, p in state_temps}
            if not folders:
                return
            sync_folders(folders)
            for temp, target, message in list(written):
                os.replace(temp, target)
                written.pop(0)
                log.debug(message, target)
            if state_temps:
                sync_folders(folders)
                for temp, path in list(state_temps):
                    os.replace(temp, path)
                    state_temps.pop(0)
            sync_folders(folders)
        except BaseException as exc:
            if self._error is None:
                self._error = exc
            raise
        finally:
            for temp, *_ in written:
                discard(temp)
            for temp, _ in state_temps:
                discard(temp)
        clean_stale_temps(targets)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> "PickleWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        try:
            self.commit()
        except BaseException:
            if exc_info[0] is None:
                raise
