"""Locks between runs: an flock on a file under data/temp/lockFiles/ (released by the kernel
when a run dies, so a killed run never leaves a stale lock)."""

from __future__ import annotations

import contextlib
import fcntl

from pxstats.paths import StatsPaths


@contextlib.contextmanager
def waiting_lock(paths: StatsPaths, name: str):
    """Hold the lock `name`, waiting for the run that holds it to finish."""
    path = paths.lock_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
