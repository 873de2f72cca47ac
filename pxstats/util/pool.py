"""One worker pool: at most N forked workers, each taking the next unit of work when done.

A worker that crashes or is killed fails only the unit it was working on (its result is
made by the caller's `failed`) and is replaced; its log records come back with each result
and are logged here, after it; it dies with this process (PR_SET_PDEATHSIG), so a killed run
leaves no orphan writing behind. Every writer of the project replaces files atomically, so
an interrupted worker never leaves a half-written file.

Stopping: a worker ignores SIGINT and SIGTERM (a Ctrl-C, cron or `kill` to the whole process
group reaches the workers too: the parent decides; the programs a worker runs inherit that).
With `should_stop`, the parent dispatches no new unit once it returns true: the units in
progress finish, the units not started are `interrupted(item)`; a unit may end early by
polling `stop_requested()` in the worker (set by the parent within STOP_POLL seconds)."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import operator
import os
import signal
from functools import partial
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1
STOP_POLL = 0.05  # seconds between two looks at `should_stop` while units are in progress
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_stop_flag = None  # in a worker of run_each with should_stop: the parent's shared flag


def stop_requested() -> bool:
    """In a worker of run_each given a `should_stop`: whether the parent was asked to stop
    (the unit in progress may then end at its next safe point). False elsewhere."""
    return bool(_stop_flag is not None and _stop_flag.value)


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
    should_stop: Callable[[], bool] | None = None,
    interrupted: Callable[[T], R] | None = None,
) -> list[R]:
    """work(item) for every item, results in item order. With one process (or one item) in
    this process; otherwise in at most `processes` forked workers, each taking the next item
    when it is done with one. `failed(item, message)` is the result of an item whose worker
    died (a new worker takes the remaining items). Interrupted (an exception here, such as
    KeyboardInterrupt), the workers still busy are killed, or with `wait_on_interrupt` left to
    finish their item (a database update is never cut). Once `should_stop()` is true, no item
    is started: the items in progress finish, the others are `interrupted(item)` (default:
    failed with "interrupted")."""
    items = list(items)
    if processes < 1:
        raise ValueError("the number of processes must be at least 1")
    if interrupted is None:
        interrupted = partial(_not_started, failed)
    stopping = should_stop or _never
    if processes == 1 or len(items) <= 1:
        return [interrupted(item) if stopping() else work(item) for item in items]
    context = multiprocessing.get_context("fork")
    level = logging.getLogger("pxstats").getEffectiveLevel()
    results: list = [None] * len(items)
    waiting = iter(range(len(items)))
    busy: dict = {}  # connection -> (process, index of the item it works on)
    flag = context.RawValue(ctypes.c_bool, False) if should_stop else None  # no lock to die in

    def check_stop() -> None:
        if flag is not None and not flag.value and stopping():
            flag.value = True  # seen by stop_requested() in the workers
            for index in waiting:  # the items not started
                results[index] = interrupted(items[index])

    def give(conn, process) -> None:
        check_stop()
        index = next(waiting, None)
        if index is None:
            conn.send(None)  # no more work: the worker exits
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join()
            conn.close()
            return
        conn.send(items[index])
        busy[conn] = (process, index)

    def start() -> None:
        conn, child_end = context.Pipe(duplex=True)
        process = context.Process(
            target=_worker,
            name=f"{name}-{len(busy)}",
            daemon=True,
            args=(child_end, os.getpid(), level, work, flag),
        )
        process.start()
        child_end.close()  # the worker holds the only other end
        give(conn, process)

    try:
        for _ in range(min(processes, len(items))):
            start()
        while busy:
            ready = multiprocessing.connection.wait(
                list(busy), STOP_POLL if flag is not None else None
            )
            check_stop()
            for conn in ready:
                process, index = busy.pop(conn)
                answer = _receive(conn)
                if answer is None:  # the worker died with this item
                    conn.close()
                    process.join(30)
                    code = process.exitcode
                    why = (
                        f"killed by signal {-code}"
                        if code is not None and code < 0
                        else f"exit status {code}"
                    )
                    results[index] = failed(items[index], f"worker process died ({why})")
                    check_stop()
                    if operator.length_hint(waiting):
                        start()  # a new worker for the remaining items
                    continue
                (kind, value), records = answer
                for record in records:
                    logging.getLogger(record.name).handle(record)
                results[index] = value if kind == "result" else failed(items[index], value)
                give(conn, process)
    finally:
        for conn, (process, _index) in busy.items():  # interrupted: the others
            if not wait_on_interrupt:
                process.kill()  # it ignores SIGTERM
            process.join(None if wait_on_interrupt else 5)
            conn.close()
    return results


def _never() -> bool:
    return False


def _not_started(failed, item):
    return failed(item, "interrupted")


def _receive(conn):
    try:
        return conn.recv()
    except (EOFError, OSError):
        return None


def _worker(conn, parent: int, level: int, work, flag) -> None:
    global _stop_flag
    for number in STOP_SIGNALS:  # the parent decides what an interrupt stops
        signal.signal(number, signal.SIG_IGN)
    _stop_flag = flag
    die_with_parent(parent)
    records = _Records()
    log_through(records, level)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        records.records = []
        try:
            answer = ("result", work(item))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as this item's
            logging.getLogger(__name__).exception("worker failed")
            answer = ("error", f"unexpected {type(exc).__name__}: {exc} (see the log)")
        conn.send((answer, records.records))


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
