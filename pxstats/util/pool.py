"""One worker pool: each unit of work in a forked child of its own, at most N at once.

A child that crashes or is killed fails only its own unit (its result is made by the
caller's `failed`); its log records come back with its result and are logged here, after
it; it ignores SIGINT and dies with this process (PR_SET_PDEATHSIG), so a killed run leaves
no orphan writing behind. Every writer of the project replaces files atomically, so an
interrupted child never leaves a half-written file."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux); exit now if the
    parent `parent` is already gone."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def log_through(handler: logging.Handler, level: int) -> None:
    """Send the pxstats log records of this process to `handler` only: the handlers
    inherited from the parent stay the parent's."""
    root = logging.getLogger("pxstats")
    for inherited in list(root.handlers):
        root.removeHandler(inherited)
    root.addHandler(handler)
    root.setLevel(level)


def run_each(
    work: Callable[[T], R],
    items: Iterable[T],
    processes: int,
    failed: Callable[[T, str], R],
    name: str = "worker",
    wait_on_interrupt: bool = False,
) -> list[R]:
    """work(item) for every item, results in item order. With one process (or one item) in
    this process; otherwise each item in a forked child, at most `processes` at once.
    `failed(item, message)` is the result of a child that died without answering.
    Interrupted, the children still running are terminated, or with `wait_on_interrupt`
    left to finish their unit (a database update is never cut)."""
    items = list(items)
    if processes < 1:
        raise ValueError("the number of processes must be at least 1")
    if processes == 1 or len(items) <= 1:
        return [work(item) for item in items]
    context = multiprocessing.get_context("fork")
    level = logging.getLogger("pxstats").getEffectiveLevel()
    results: list = [None] * len(items)
    running: dict = {}  # reading end -> (item index, process)
    waiting = iter(range(len(items)))
    try:
        while True:
            while len(running) < processes:
                index = next(waiting, None)
                if index is None:
                    break
                reader, writer = context.Pipe(duplex=False)
                child = context.Process(
                    target=_child,
                    name=f"{name}-{index}",
                    daemon=True,
                    args=(writer, os.getpid(), level, work, items[index]),
                )
                child.start()
                writer.close()  # the child holds the only writing end
                running[reader] = (index, child)
            if not running:
                break
            for reader in multiprocessing.connection.wait(list(running)):
                index, child = running.pop(reader)
                results[index] = _collect(reader, child, items[index], failed)
    finally:
        for reader, (_index, child) in running.items():  # interrupted: the others
            if not wait_on_interrupt:
                child.terminate()
            child.join(None if wait_on_interrupt else 5)
            reader.close()
    return results


def _child(writer, parent: int, level: int, work, item) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt stops
    die_with_parent(parent)
    records = _Records()
    log_through(records, level)
    try:
        answer = ("result", work(item))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as this unit's failure
        logging.getLogger(__name__).exception("worker failed")
        answer = ("error", f"unexpected {type(exc).__name__}: {exc} (see the log)")
    try:
        writer.send((answer, records.records))
    finally:
        writer.close()


def _collect(reader, child, item, failed):
    """The result a child sent (its log records are logged now), or failed(item, why) when
    it died without sending one."""
    try:
        (kind, value), records = reader.recv()
    except (EOFError, OSError):
        kind, value, records = None, None, []
    finally:
        reader.close()
    child.join(30)
    if child.is_alive():  # sent its result but does not exit: not our problem any more
        child.kill()
        child.join()
    for record in records:
        logging.getLogger(record.name).handle(record)
    if kind == "result":
        return value
    if kind == "error":
        return failed(item, value)
    code = child.exitcode
    why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
    return failed(item, f"worker process died ({why})")


class _Records(logging.Handler):
    """Keeps a child's log records, made picklable, to send them back with its result."""

    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = self.format(record)
        except Exception:  # a bad format string must not cost the unit of work
            msg = str(record.msg)
        record = logging.makeLogRecord(
            dict(record.__dict__, msg=msg, args=None, exc_info=None, exc_text=None)
        )
        self.records.append(record)

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        return text
