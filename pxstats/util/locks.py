"""Locks between runs: an flock on a file (under data/temp/lockFiles/ for named locks),
released by the kernel when a run dies, so a killed run never leaves a stale lock."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path


class LockBusy(Exception):
    """Another process holds the lock (raised only when not waiting)."""


@contextlib.contextmanager
def file_lock(path: Path, wait: bool = True, shared: bool = False):
    """Hold an flock on `path` (created if needed). `wait` False raises LockBusy at once
    when another process holds it; `shared` takes a reader's lock."""
    path = Path(path)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        handle = open(path, "ab")  # noqa: SIM115 - closed below
    except FileNotFoundError:  # its folder is made once, not checked at every lock
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "ab")  # noqa: SIM115 - closed below
    with handle:
        try:
            fcntl.flock(handle, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def named_lock(paths, name: str, wait: bool = True):
    """The lock `name` under data/temp/lockFiles/ of `paths` (a StatsPaths)."""
    return file_lock(paths.lock_file(name), wait=wait)
