"""PickleWriter: stores a run's hourly pickles in order on one background thread."""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

from pxstats.stats.collector import FileStatsCollector
from pxstats.store import pickles

log = logging.getLogger(__name__)


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
                    log.debug(message, target)
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
