"""pickleUpdater's action: for each client, catch up hour by hour from its time of last
update to the requested time, under a lock, writing each hour's pickle, then (once a day of
catch-up and at the end) the resume pointer and the new time of last update, each
atomically and in that order. A run killed at any instant is redone exactly by the next
run: a pickle is always rebuilt from the logs, and a pointer is only used when it cannot
change the result.

Clients are collected in batches (at most BATCH_CLIENTS, their locks held until the batch is
stored): their pickles go to one background thread (store.writer.PickleWriter) as temp files,
then one commit makes them durable together (one syncfs per step, not one fsync per file),
and only then the pointers and times that cover them. A batch of many clients is spread over
the cores: forked workers collect and write the temps, this process holds the locks and
commits. The module is longer than 400 lines because the batch, the workers and the
client's catch-up share their failure rules, which must be read together.

A line still being written at the end of the live log (no newline yet) is left unread; when
it may be a record of an hour collected by this run, that hour is not complete: the pointer
and the time of last update are then those of the start of that hour, so that the next run
collects it again (rewriting its pickle) with the line complete, before the new hours.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field

from pxstats import i18n
from pxstats.actions import known
from pxstats.actions.errors import RequestError
from pxstats.actions.options import check_names
from pxstats.collect import cursor, selection
from pxstats.collect.names import client_names
from pxstats.collect.period import Cursors, LogFolderMissing, collect_period
from pxstats.paths import StatsPaths
from pxstats.stats.collector import STATS_BY_FILE_TYPE
from pxstats.store import updates
from pxstats.store.writer import PickleWriter
from pxstats.util import timeutil
from pxstats.util.gcpause import cyclic_gc_paused
from pxstats.util.locks import LockBusy, file_lock

log = logging.getLogger(__name__)

STATE_EVERY_HOURS = 24


@dataclass(frozen=True)
class UpdateRequest:
    """Collect the `clients` (empty: every one of the machine) of `machine` up to `until`."""

    until: int
    file_type: str
    machine: str
    clients: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # statistics kept; empty: every one of the file type
    interval: int = 60  # bucket width in seconds


def check_interval(minutes: int) -> int:
    """Bucket width in seconds; the minutes must divide 60 (whole buckets per hour)."""
    if minutes < 1 or 60 % minutes:
        raise RequestError("The interval value needs to be an integer above 0 that divides 60.")
    return minutes * 60


def update_request(
    until: int, file_type: str, machine: str, clients, types=(), interval_minutes: int = 1
) -> UpdateRequest:
    """A checked UpdateRequest, the options checked in the original's order. `clients` and
    `types` may hold All/Tous (every one) and French type names."""
    interval = check_interval(interval_minutes)
    try:  # hours that have not happened would be written empty and never collected again
        until = timeutil.collection_end(until, "the date")
    except timeutil.BadDate as exc:
        raise RequestError(str(exc)) from None
    file_type = file_type.strip()
    if file_type not in STATS_BY_FILE_TYPE:
        raise RequestError("File type must be either tx or rx. Multiple types are not accepted.")
    valid = STATS_BY_FILE_TYPE[file_type]
    if not types or i18n.is_all(types[0]):
        chosen = valid
    else:
        bad = [t for t in types if i18n.FROM_FRENCH_TYPES.get(t, t) not in valid]
        if bad:
            raise RequestError(
                f"With {file_type} fileType, possible data types values are : "
                f"{', '.join(valid)} (got {', '.join(bad)})"
            )
        chosen = tuple(dict.fromkeys(i18n.FROM_FRENCH_TYPES.get(t, t) for t in types))
    check_names("machine", [machine])
    check_names("client", [c for c in clients if not i18n.is_all(c)])
    if not clients:
        raise RequestError("no client given")
    everyone = i18n.is_all(clients[0])
    return UpdateRequest(
        until, file_type, machine, () if everyone else tuple(clients), tuple(chosen), interval
    )


def check_known(paths: StatsPaths, request: UpdateRequest) -> list[str]:
    """The clients to collect; UnknownName (nothing written) for a machine without a log
    folder or a client that is neither configured, logged nor collected before."""
    machine, file_type = request.machine, request.file_type
    folder = paths.log_dir_for(machine)
    if not folder.is_dir():
        raise known.unknown(
            "machine",
            machine,
            known.known_machines(paths),
            f": its log folder {folder} does not exist",
        )
    if not request.clients:
        # A machine may have no source (or no client): nothing to do, not an error.
        return client_names(paths, file_type, machine)
    candidates = known.collectable_names(paths, file_type, machine)
    for client in request.clients:
        other = known.sharing_files(paths, file_type, client, machine)
        if other is not None:
            raise known.UnknownName(
                f"{file_type} {client} of {machine} would share its files "
                f"({file_type}_{client}_{machine}) with {file_type} {other[0]} of {other[1]}, "
                "which has pickles already; rename one of them"
            )
        if client not in candidates:
            raise known.unknown(
                known.KIND[file_type], client, candidates, f" on {machine} ({file_type})"
            )
    return list(request.clients)


def run(paths: StatsPaths, request: UpdateRequest, should_stop=None) -> list[ClientOutcome]:
    """pickleUpdater: update every client asked for (all of the machine when none is named).
    Once `should_stop()` is true, each client in progress stops after its current hour (its
    state stored for the hours done) and no client starts: their outcomes say "interrupted"."""
    clients = check_known(paths, request)
    outcomes = update_clients(
        paths,
        request.file_type,
        clients,
        request.machine,
        request.until,
        request.types,
        request.interval,
        should_stop=should_stop,
    )
    for outcome in outcomes:
        if outcome.status == "updated" and outcome.pickles:
            log.info(
                "%s %s of %s: %d hour(s) collected up to %s%s",
                request.file_type,
                outcome.client,
                request.machine,
                len(outcome.pickles),
                timeutil.iso(request.until),
                _out_of_order(outcome.out_of_order),
            )
    statuses = ("updated", "up-to-date", "failed", "interrupted")
    counts = {s: sum(o.status == s for o in outcomes) for s in statuses}
    log.info(
        "pickleUpdater %s of %s up to %s: %d client(s), %d updated, %d up to date, %d failed%s%s",
        request.file_type,
        request.machine,
        timeutil.iso(request.until),
        len(outcomes),
        counts["updated"],
        counts["up-to-date"],
        counts["failed"],
        f", {counts['interrupted']} interrupted" if counts["interrupted"] else "",
        _out_of_order(sum(o.out_of_order for o in outcomes)),
    )
    return outcomes


def _out_of_order(count: int) -> str:
    """The lines skipped as out of order, for the run's INFO lines (nothing when none)."""
    return f", {count} line(s) skipped as out of order" if count else ""


@dataclass
class ClientOutcome:
    client: str
    status: str  # "updated", "up-to-date", "failed", "interrupted" (should_stop)
    pickles: list = field(default_factory=list)
    message: str = ""
    out_of_order: int = 0  # log lines skipped as out of order (issue 11 item 16)


class _Batch:
    """Clients collected together: their locks are held, their pickles handed to one
    PickleWriter, and their pointers and times of update stored by one commit once every
    pickle of the batch is durable (see store.writer)."""

    def __init__(self, paths: StatsPaths, file_type: str, machine: str, in_worker: bool = False):
        self.file_type, self.machine = file_type, machine
        # In a worker process: the parent holds the locks and stores everything once.
        self.in_worker = in_worker
        self.locks = contextlib.ExitStack()
        self.writer = PickleWriter(spares=paths.lock_files / "stateSpares")
        self.pending: dict[str, tuple[ClientOutcome, list]] = {}  # client -> outcome, states
        self.failed = False

    def flush(self) -> None:
        """Store the pending states; on failure every pending client is failed (and logged)
        and the error raised: the batch can take no more work."""
        states = [state for _, client_states in self.pending.values() for state in client_states]
        pending, self.pending = self.pending, {}
        try:
            self.writer.commit(states)
        except (OSError, updates.UpdateFileError) as exc:
            self.failed = True
            for client, (outcome, _) in pending.items():
                outcome.status = "failed"
                outcome.message = f"{self.file_type} {client} of {self.machine} not updated: {exc}"
                log.error(outcome.message)
            raise

    def close(self) -> None:
        """Flush (failures are in the outcomes), then release the locks."""
        try:
            if not self.failed:
                self.flush()
        except (OSError, updates.UpdateFileError):
            pass
        finally:
            with contextlib.suppress(OSError, updates.UpdateFileError):
                self.writer.__exit__(None, None, None)
            self.locks.close()


def update_client(
    paths: StatsPaths,
    file_type: str,
    client: str,
    machine: str,
    until: int,
    stats_types,
    interval: int,
    batch: _Batch | None = None,
    should_stop=None,
) -> ClientOutcome:
    """Collect every hour from the client's last update up to `until` (exclusive). With a
    `batch`, the client's lock is held and its state stored when the batch is flushed. Once
    `should_stop()` is true, it stops after the current hour: "interrupted", state stored."""
    if batch is None:
        batch = _Batch(paths, file_type, machine)
        try:
            return update_client(
                paths, file_type, client, machine, until, stats_types, interval, batch, should_stop
            )
        finally:
            batch.close()
    if not batch.in_worker:
        batch.locks.enter_context(file_lock(_lock_file(paths, file_type, client, machine), False))
    with cyclic_gc_paused():
        time_file = paths.time_of_update_file(file_type, client, machine)
        last = updates.read(time_file)
        if last is None:  # first run: collect the hour before the requested one
            last = timeutil.hour_start(until) - timeutil.HOUR
        if until <= last:
            log.warning(
                "This client was not updated since it's last update was more recent "
                "than specified date : %s",
                client,
            )
            return ClientOutcome(client, "up-to-date")
        folder = paths.log_dir_for(machine)
        if not folder.is_dir():
            # The original wrote empty pickles and advanced the time: a silent permanent gap.
            raise LogFolderMissing(f"log folder {folder} does not exist")
        pointer_file = paths.pointer_file(file_type, client, machine)
        cursors = Cursors(saved=cursor.load(pointer_file))
        outcome = ClientOutcome(client, "updated")
        hour = timeutil.hour_start(last)
        unfinished = None  # (hour, pointer at its start): first hour left incomplete
        writer = batch.writer
        while hour < until:
            end = min(hour + timeutil.HOUR, until)
            at_start = cursors.last or cursors.saved
            collector = collect_period(
                folder, file_type, client, hour, end, stats_types, interval, cursors
            )
            if cursors.unfinished and unfinished is None:
                log.debug(
                    "%s %s of %s: a line still being written may belong to %s; "
                    "that hour will be collected again",
                    file_type,
                    client,
                    machine,
                    timeutil.iso(hour),
                )
                unfinished = (hour, at_start)
            target = paths.hourly_pickle(client, hour, file_type, machine)
            writer.save(target, collector, "Saved pickle named : %s")
            outcome.pickles.append(target)
            outcome.out_of_order = cursors.out_of_order
            hour += timeutil.HOUR
            # State is stored once a day of catch-up and at the end, after the pickles
            # it covers are stored: pickles are rebuilt from the logs, so a run killed
            # in between redoes the same hours exactly. Asked to stop: stored now.
            stopping = hour < until and should_stop is not None and should_stop()
            if stopping or hour >= until or len(outcome.pickles) % STATE_EVERY_HOURS == 0:
                pointer, time_of_update = cursors.last, end
                if unfinished is not None:
                    time_of_update, pointer = unfinished
                states = [] if pointer is None else [(pointer_file, cursor.encode(pointer))]
                states.append((time_file, updates.encode(time_of_update)))
                batch.pending[client] = (outcome, states)
                if hour < until and not batch.in_worker:
                    try:
                        batch.flush()
                    except (OSError, updates.UpdateFileError):
                        return outcome  # failed by the flush
            if stopping:
                outcome.status = "interrupted"
                return outcome
        return outcome


BATCH_CLIENTS = 500  # clients whose locks (one open file each) are held and state stored together
WORKERS_FROM = 24  # clients from which a batch is spread over the cores
CHUNKS_PER_WORKER = 3  # chunks of clients per worker process, for balance


def update_clients(
    paths: StatsPaths,
    file_type: str,
    clients,
    machine: str,
    until: int,
    stats_types,
    interval: int,
    should_stop=None,
) -> list[ClientOutcome]:
    """update_client for each client; one client's failure does not stop the others. Clients
    are collected in batches whose pickles and states are made durable together; a batch of
    many clients is spread over the cores (forked workers, util.pool). `should_stop`: see run."""
    clients = list(dict.fromkeys(clients))  # a lock is held once per batch
    args = (paths, file_type, machine, until, stats_types, interval)
    processes = _processes()
    outcomes = []
    for first in range(0, len(clients), BATCH_CLIENTS):
        chunk = clients[first : first + BATCH_CLIENTS]
        if should_stop is not None and should_stop():
            outcomes += [ClientOutcome(c, "interrupted") for c in chunk]
        elif processes > 1 and len(chunk) >= WORKERS_FROM:
            outcomes += _update_batch_in_workers(chunk, processes, *args, should_stop=should_stop)
        else:
            outcomes += _update_batch(chunk, *args, should_stop=should_stop)
    return outcomes


def _update_batch(
    clients, paths, file_type, machine, until, stats_types, interval, should_stop=None
):
    outcomes = []
    batch = _Batch(paths, file_type, machine)
    try:
        for client in clients:
            if should_stop is not None and should_stop():
                outcomes.append(ClientOutcome(client, "interrupted"))
                continue
            if batch.failed:
                batch.close()
                batch = _Batch(paths, file_type, machine)
            outcomes.append(
                _update_one(
                    paths,
                    file_type,
                    client,
                    machine,
                    until,
                    stats_types,
                    interval,
                    batch,
                    should_stop,
                )
            )
    finally:
        batch.close()
    return outcomes


def _update_one(
    paths, file_type, client, machine, until, stats_types, interval, batch, should_stop=None
):
    """update_client, its failure an outcome."""
    try:
        return update_client(
            paths, file_type, client, machine, until, stats_types, interval, batch, should_stop
        )
    except LockBusy:
        return _failed(
            f"another pickleUpdater is updating {file_type} {client} of {machine}", client
        )
    except (LogFolderMissing, OSError, updates.UpdateFileError) as exc:
        return _failed(f"{file_type} {client} of {machine} not updated: {exc}", client)


def _failed(message: str, client: str) -> ClientOutcome:
    log.error(message)
    return ClientOutcome(client, "failed", message=message)


def _lock_file(paths: StatsPaths, file_type: str, client: str, machine: str):
    return paths.lock_file(f"pickleUpdater_{file_type}_{client}_{machine}")


def _processes() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _update_batch_in_workers(
    clients, processes, paths, file_type, machine, until, stats_types, interval, should_stop=None
) -> list[ClientOutcome]:
    """One batch collected by forked workers, each writing the temps of its clients'
    pickles; this process holds the locks, then stores the pickles and states (one commit).
    A worker that dies fails its clients only; its temps are removed by later commits."""
    from pxstats.util import pool  # here: multiprocessing is for many clients only

    outcomes: dict[str, ClientOutcome] = {}
    locked = []
    batch = _Batch(paths, file_type, machine)
    try:
        for client in clients:
            try:
                lock = _lock_file(paths, file_type, client, machine)
                batch.locks.enter_context(file_lock(lock, wait=False))
                locked.append(client)
            except LockBusy:
                outcomes[client] = _failed(
                    f"another pickleUpdater is updating {file_type} {client} of {machine}", client
                )
            except OSError as exc:
                outcomes[client] = _failed(
                    f"{file_type} {client} of {machine} not updated: {exc}", client
                )
        selection.list_folder(paths.log_dir_for(machine))  # once, for every worker
        size = max(1, -(-len(locked) // (processes * CHUNKS_PER_WORKER)))
        chunks = [tuple(locked[i : i + size]) for i in range(0, len(locked), size)]

        def work(chunk):
            worker = _Batch(paths, file_type, machine, in_worker=True)
            stop = pool.stop_requested if should_stop is not None else None
            done = [
                ClientOutcome(c, "interrupted")
                if stop is not None and stop()
                else _update_one(
                    paths, file_type, c, machine, until, stats_types, interval, worker, stop
                )
                for c in chunk
            ]
            written = worker.writer.detach()
            # The state files are written here too, the parent only renames them.
            pending = {
                client: (outcome, worker.writer.stage(states))
                for client, (outcome, states) in worker.pending.items()
            }
            return done, written, pending

        def failed(chunk, message):
            return (
                [_failed(f"{file_type} {c} of {machine} not updated: {message}", c) for c in chunk],
                [],
                {},
            )

        def interrupted(chunk):
            return [ClientOutcome(c, "interrupted") for c in chunk], [], {}

        for done, written, pending in pool.run_each(
            work, chunks, processes, failed, "collector", False, should_stop, interrupted
        ):
            for outcome in done:
                outcomes[outcome.client] = outcome
            batch.writer.adopt(written)
            batch.pending.update(pending)
    finally:
        batch.close()
    return [outcomes[c] for c in clients]
