"""util.pool.run_each: at most N forked workers, results in order, a dead worker fails only
the unit it was working on (and is replaced), log records come back to the parent."""

import logging
import os
import signal
import time

import pytest

from pxstats.util import pool


def _timed(item):
    started = time.monotonic()
    time.sleep(0.15)
    logging.getLogger("pxstats.test").info("unit %s done in %d", item, os.getpid())
    return (item, os.getpid(), started, time.monotonic())


def _failed(item, message):
    return (item, None, message)


def test_at_most_n_at_once_and_results_in_order(caplog):
    with caplog.at_level(logging.INFO, logger="pxstats"):
        results = pool.run_each(_timed, range(7), 3, _failed)
    assert [r[0] for r in results] == list(range(7))
    workers = {r[1] for r in results}
    assert 1 < len(workers) <= 3 and os.getpid() not in workers
    events = sorted([(r[2], 1) for r in results] + [(r[3], -1) for r in results])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert 1 < peak <= 3
    assert sum("unit" in r.getMessage() for r in caplog.records) == 7


def _dies_on_two(item):
    if item == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    if item == 3:
        raise RuntimeError("broken unit")
    return item * 10


def test_a_dead_or_failing_worker_fails_only_its_unit():
    results = pool.run_each(_dies_on_two, range(7), 2, _failed)
    assert results[0] == 0 and results[1] == 10 and results[4:] == [40, 50, 60]
    assert results[2] == (2, None, "worker process died (killed by signal 9)")
    assert results[3][2].startswith("unexpected RuntimeError: broken unit")


def test_one_process_runs_here_and_zero_is_refused():
    assert pool.run_each(lambda item: os.getpid(), [1, 2], 1, _failed) == [os.getpid()] * 2
    with pytest.raises(ValueError):
        pool.run_each(_timed, [1], 0, _failed)
