"""PickleWriter: stores a run's hourly pickles on one background thread and makes them
durable in batches (one sync per step instead of one fsync per file).

How a batch is stored (`PickleWriter.commit`), so that a crash or a power cut at any
instant leaves every file old or new, and a time of update never covers a pickle that is not
stored:
1. every pickle (and every state file: resume pointers, times of update) is written to a
   temp file, nothing renamed yet;
2. one sync of the file systems holding them: every temp is on disk;
3. the pickles are renamed over their targets, in order; one sync: the new names are on disk;
4. the state files are renamed, in order (a client's pointer before its time); one sync.
A run says it is done only after step 4. Temps a killed run left behind are removed by the
next commit that writes the same target (the caller holds the lock of its targets).

State files are small and replaced at every run. Replacing a file frees the blocks of the
old one, and freeing blocks costs a synchronous TRIM on a file system mounted with
`discard` (a few tenths of a millisecond each: most of an hourly run of 150 clients). So
a state file's temp is a *spare* (`stage`, with a `spares` folder on the same file system):
the previous version of that state file, kept by a hard link when it was replaced, and
overwritten in place (it has no other name: checked). Replacing a state file is then
link(target, old); rename(spare, target); rename(old, spare): no file is created, no
block freed (the first version of a state file makes its spare, once). A crash in between
leaves at worst an extra link in the spares folder, which the next commit of that target
replaces. Creating files costs too: steady hourly runs create only their pickles.

About 420 lines: the commit order, the spares and the background thread obey the same crash
rules, which must be read together.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import stat
import threading
from pathlib import Path

from pxstats.store import pickles

log = logging.getLogger(__name__)

MODE = 0o644
_counter = itertools.count()


def _temp_prefix(target: Path) -> str:
    # The temp names of util.atomic: ".<name>.<random>.tmp" in the target's folder.
    return "." + target.name[:200] + "."


def _new_temp(target: Path) -> tuple[int, str]:
    """A new, empty temp file next to `target` (its folder made if needed): (fd, path). The
    names are those of util.atomic (".<name>.<unique>.tmp")."""
    prefix = os.path.join(target.parent, _temp_prefix(target))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for attempt in range(100):
        temp = f"{prefix}{os.getpid()}-{next(_counter)}.tmp"
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:  # left by a killed run of the same process id
            continue
        except FileNotFoundError:
            if attempt:
                raise
            target.parent.mkdir(parents=True, exist_ok=True)
    raise FileExistsError(f"no free temp name for {target}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_temp(target: Path, data: bytes) -> str:
    """`data` in a new temp file next to `target` (not synced, not renamed)."""
    fd, temp = _new_temp(Path(target))
    try:
        try:
            _write_all(fd, data)
            os.fchmod(fd, MODE)
        finally:
            os.close(fd)
    except BaseException:
        discard(temp)
        raise
    return temp


def discard(temp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


class Staged:
    """A state file written and waiting for its rename: `temp` (a spare when `old` is the
    name under which the replaced version is kept, else a plain temp next to `target`)."""

    __slots__ = ("temp", "target", "old", "size")

    def __init__(self, temp: str, target: Path, old: str | None, size: int = 0):
        self.temp, self.target, self.old, self.size = temp, target, old, size

    def install(self) -> None:
        """Rename the temp over the target, keeping the old version as the next spare."""
        linked = first = False
        if self.old is not None:
            for _ in range(2):
                try:
                    os.link(self.target, self.old)
                    linked = True
                    break
                except FileExistsError:  # left by a killed run: replaced
                    discard(self.old)
                except FileNotFoundError:  # no target yet: its first version
                    first = True
                    break
                except OSError:  # no hard links here
                    break
        try:
            os.replace(self.temp, self.target)
        except FileNotFoundError:  # the target's folder was removed since the temp was made
            if not os.path.exists(self.temp):
                raise
            self.target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.temp, self.target)
        if linked:
            with contextlib.suppress(OSError):
                os.replace(self.old, self.temp)
        elif first:  # a spare made with the first version: every later one reuses it
            with contextlib.suppress(OSError):
                fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, MODE)
                try:
                    _write_all(fd, b"\0" * self.size)
                finally:
                    os.close(fd)

    def drop(self) -> None:
        """The commit failed: a plain temp is removed; a spare stays a spare."""
        if self.old is None:
            discard(self.temp)


_devices: dict[str, int] = {}  # folder -> device, for the few folders of state files


def _device(folder: Path) -> int:
    key = str(folder)
    if key not in _devices:
        _devices[key] = os.stat(folder).st_dev
    return _devices[key]


def stage(target: Path, data: bytes, spares: Path | None = None) -> Staged:
    """`data` written for `target`, to be installed by a commit: in its spare (see the module
    docstring) when `spares` is on the target's file system, else in a plain temp."""
    target = Path(target)
    if spares is not None:
        try:
            return _stage_spare(target, data, spares)
        except OSError:
            pass  # e.g. another file system, a read-only spares folder: a plain temp
    return Staged(write_temp(target, data), target, None)


def _stage_spare(target: Path, data: bytes, spares: Path) -> Staged:
    folder = spares / target.parent.name
    spare = os.path.join(folder, target.name)
    old = os.path.join(f"{folder}.old", target.name)
    try:
        same = _device(target.parent) == _device(spares)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        spares.mkdir(parents=True, exist_ok=True)
        same = _device(target.parent) == _device(spares)
    if not same:
        raise OSError("the spares are on another file system")
    fd, size = _open_spare(spare, old, folder)
    try:
        _write_all(fd, data)  # over the old bytes: the spare keeps its blocks
        if size > len(data):
            os.ftruncate(fd, len(data))
    finally:
        os.close(fd)
    return Staged(spare, target, old, len(data))


def _open_spare(spare: str, old: str, folder: Path) -> tuple[int, int]:
    """The spare of a state file opened for writing: the old version kept by the last
    commit, or a new file: (fd, its size). A spare with another name (a link left by a
    killed commit) is never written in place: it is replaced by a new file."""
    flags = os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW
    for attempt in range(3):
        try:
            fd = os.open(spare, flags)
        except FileNotFoundError:
            try:  # a commit killed between its renames left the old version here
                os.replace(old, spare)
                continue
            except FileNotFoundError:
                pass
            try:
                fd = os.open(spare, flags | os.O_CREAT | os.O_EXCL, MODE)
            except FileNotFoundError:
                if attempt:
                    raise
                os.makedirs(folder, exist_ok=True)
                os.makedirs(f"{folder}.old", exist_ok=True)
                continue
        status = os.fstat(fd)
        if stat.S_ISREG(status.st_mode) and status.st_nlink == 1:
            if status.st_mode & 0o777 != MODE:
                os.fchmod(fd, MODE)
            return fd, status.st_size
        os.close(fd)
        discard(spare)
    raise OSError(f"no usable spare {spare}")


_syncfs = None


def _sync_fd(fd: int, folder) -> None:
    """syncfs(2) of the file system holding the open folder `fd` (Linux), else sync(2)."""
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
    if _syncfs(fd) != 0:
        error = _get_errno()
        raise OSError(error, f"syncfs {folder}: {os.strerror(error)}")


def sync_folders(folders) -> None:
    """Everything written to the file systems holding `folders` is on disk when this returns:
    syncfs(2) once per file system (Linux), else sync(2)."""
    devices = set()
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            device = os.fstat(fd).st_dev
            if device not in devices:
                devices.add(device)
                _sync_fd(fd, folder)
        finally:
            os.close(fd)


def _sync_devices(folders_by_device: dict) -> None:
    """sync_folders of one folder per file system (their devices known already)."""
    sync_folders(folders_by_device.values())


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
    leaving it stores what was handed over, whatever happened. `spares`: the folder of the
    state files' spares (see the module docstring), None for plain temps."""

    def __init__(self, spares: Path | None = None):
        self.spares = spares
        self._queue: queue.Queue = queue.Queue(maxsize=2)  # pickled hours in flight
        self._error: BaseException | None = None
        # (temp, target, message, device of its folder)
        self._written: list[tuple[str, Path, str, int]] = []
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
                    target = Path(target)
                    fd, temp = _new_temp(target)
                    try:
                        try:
                            _write_all(fd, data)
                            os.fchmod(fd, MODE)
                            device = os.fstat(fd).st_dev
                        finally:
                            os.close(fd)
                    except BaseException:
                        discard(temp)
                        raise
                    self._written.append((temp, target, message, device))
            except BaseException as exc:  # reported to the caller by commit()
                self._error = exc
            finally:
                self._queue.task_done()

    def save(self, target: Path, collector, message: str) -> None:
        """Pickle `collector` now; store it at `target` at the next commit."""
        self._raise()
        self._queue.put((target, pickles.dumps(collector), message))

    def stage(self, states) -> list[Staged]:
        """The state files `states` ((path, bytes) pairs) written now, for a later commit
        (here or in the process that adopts them)."""
        return [stage(path, data, self.spares) for path, data in states]

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
        bytes) pairs, or what `stage` returned), renamed in that order. Nothing of `states`
        is installed when a pickle fails."""
        self._queue.join()
        written, self._written = self._written, []
        staged: list[Staged] = []
        targets = [target for _, target, _, _ in written]
        try:
            self._raise()
            for state in states:
                staged.append(state if isinstance(state, Staged) else self.stage([state])[0])
                targets.append(staged[-1].target)
            if not written and not staged:
                return
            devices: dict = {}
            for _, target, _, device in written:
                devices.setdefault(device, target.parent)
            for state in staged:  # a spare is on its target's file system
                devices.setdefault(_device(state.target.parent), state.target.parent)
            _sync_devices(devices)
            for temp, target, message, _ in list(written):
                os.replace(temp, target)
                written.pop(0)
                log.debug(message, target)
            if staged:
                _sync_devices(devices)
                for state in list(staged):
                    state.install()
                    staged.pop(0)
            _sync_devices(devices)
        except BaseException as exc:
            if self._error is None:
                self._error = exc
            raise
        finally:
            for temp, *_ in written:
                discard(temp)
            for state in staged:
                state.drop()
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
