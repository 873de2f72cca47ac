"""SIGINT and SIGTERM asking a long run to stop at its next safe point, not at once.

`StopOnSignals` blocks SIGINT and SIGTERM in the calling thread, and so in every thread and
child process started after it (a blocked signal stays blocked across fork and exec); a
watcher thread takes them (sigtimedwait) and sets `event`. A Ctrl-C, cron or `kill` sent to
the whole process group therefore neither raises KeyboardInterrupt in the middle of a step
nor kills the gnuplot or rrdtool children drawing a graphic: the run polls `event` between
its units of work. Enter it in the main thread before any other thread starts; leaving it
restores the signal mask, a signal received meanwhile being counted in `received`.
"""

from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger(__name__)

SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
POLL = 0.2  # seconds: how soon the watcher notices the end of the run


class StopOnSignals:
    def __init__(self):
        self.event = threading.Event()
        self.received: list[int] = []
        self._done = threading.Event()
        self.thread: threading.Thread | None = None
        self._old_mask = None

    def __enter__(self) -> StopOnSignals:
        self._old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        self.thread = threading.Thread(target=self._watch, name="stop-on-signals", daemon=True)
        self.thread.start()
        return self

    def _take(self, timeout: float) -> bool:
        info = signal.sigtimedwait(SIGNALS, timeout)
        if info is None:
            return False
        self.received.append(info.si_signo)
        if not self.event.is_set():
            log.warning(
                "%s received: finishing the unit of work in progress, then stopping",
                signal.Signals(info.si_signo).name,
            )
        self.event.set()
        return True

    def _watch(self) -> None:
        while not self._done.is_set():
            self._take(POLL)

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        if self.thread is not None:
            self.thread.join()
        while self._take(0):  # pending ones, taken here rather than by the default action
            pass
        signal.pthread_sigmask(signal.SIG_SETMASK, self._old_mask)

    @property
    def first(self) -> int | None:
        """The first signal received, None when none was."""
        return self.received[0] if self.received else None
