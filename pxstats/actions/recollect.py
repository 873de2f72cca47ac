"""recollectData's action: rebuild the pickles of a past period from the logs, leaving the
times of last update and the resume pointers alone."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pxstats import i18n
from pxstats.actions import known
from pxstats.actions.errors import RequestError
from pxstats.actions.options import check_names
from pxstats.actions.update import _processes, check_interval
from pxstats.collect.names import client_names
from pxstats.collect.period import Cursors, LogFolderMissing, collect_period
from pxstats.paths import StatsPaths
from pxstats.stats.collector import STATS_BY_FILE_TYPE
from pxstats.store.writer import PickleWriter
from pxstats.util import timeutil
from pxstats.util.gcpause import cyclic_gc_paused
from pxstats.util.locks import LockBusy, file_lock

log = logging.getLogger(__name__)

MAX_DAYS = 3660  # ten years, the length of the RRD archive


def recollect_client(
    paths: StatsPaths,
    file_type: str,
    client: str,
    machine: str,
    start: int,
    end: int,
    stats_types,
    interval: int,
) -> list[Path]:
    """Rebuild the pickles of every hour of [start, end) from the logs.

    Times of last update and saved pointers are neither used nor changed: the regular
    pickleUpdater schedule goes on exactly as before."""
    lock = paths.lock_file(f"pickleUpdater_{file_type}_{client}_{machine}")
    with file_lock(lock, wait=False), cyclic_gc_paused():
        folder = paths.log_dir_for(machine)
        if not folder.is_dir():
            raise LogFolderMissing(f"log folder {folder} does not exist")
        cursors = Cursors()
        written = []
        hour = timeutil.hour_start(start)
        with PickleWriter() as writer:
            while hour < end:
                period_end = min(hour + timeutil.HOUR, end)
                collector = collect_period(
                    folder, file_type, client, hour, period_end, stats_types, interval, cursors
                )
                target = paths.hourly_pickle(client, hour, file_type, machine)
                writer.save(target, collector, "Recollected pickle %s")
                written.append(target)
                hour += timeutil.HOUR
            writer.wait()
        return written


@dataclass(frozen=True)
class RecollectRequest:
    """Rebuild the hours of [start, end) of `clients` (empty: every one) of each machine."""

    start: int
    end: int
    machines: tuple[str, ...]
    file_types: tuple[str, ...] = i18n.FILE_TYPES
    clients: tuple[str, ...] = ()
    interval: int = 60


@dataclass
class RecollectOutcome:
    file_type: str
    client: str
    machine: str
    status: str  # "rebuilt" or "failed"
    pickles: list[Path] = field(default_factory=list)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def recollect_request(
    start: int, end: int, machines, file_type: str, clients, interval_minutes: int = 1
) -> RecollectRequest:
    """A checked RecollectRequest: whole hours from the start, `file_type` tx, rx or both."""
    start = timeutil.hour_start(start)
    end = timeutil.minute_start(end)
    if end <= start:
        raise RequestError("--to must be later than --from")
    try:  # hours that have not happened cannot be rebuilt from logs
        end = timeutil.collection_end(end, "--to")
    except timeutil.BadDate as exc:
        raise RequestError(str(exc)) from None
    interval = check_interval(interval_minutes)
    check_names("machine", machines)
    check_names("client", [c for c in clients if not i18n.is_all(c)])
    if end - start > MAX_DAYS * timeutil.DAY:
        raise RequestError(f"at most {MAX_DAYS} days can be rebuilt at once")
    file_types = i18n.FILE_TYPES if file_type == "both" else (file_type,)
    everyone = not clients or i18n.is_all(clients[0])
    return RecollectRequest(
        start, end, tuple(machines), file_types, () if everyone else tuple(clients), interval
    )


def names_to_rebuild(paths: StatsPaths, request: RecollectRequest, machine: str):
    """(file type, names) pairs for one machine. With both file types, a named client is
    rebuilt only for the types it has logs or configuration of (a tx client must not get
    empty rx pickles); a name known for none of the asked types is UnknownName."""
    if not request.clients:
        return [(ft, client_names(paths, ft, machine)) for ft in request.file_types]
    if not paths.log_dir_for(machine).is_dir():
        raise known.unknown(
            "machine",
            machine,
            known.known_machines(paths),
            f": its log folder {paths.log_dir_for(machine)} does not exist",
        )
    both = len(request.file_types) > 1
    pairs = []
    for file_type in request.file_types:
        have = known.log_names(paths, file_type, machine) | known.config_names(
            paths, file_type, machine
        )
        if not both:
            have |= known.time_file_names(paths, file_type, machine)
        pairs.append((file_type, [c for c in request.clients if c in have]))
    for client in request.clients:
        if not any(client in names for _ft, names in pairs):
            candidates = set().union(
                *(known.collectable_names(paths, ft, machine) for ft in request.file_types)
            )
            raise known.unknown(
                "client or source" if both else known.KIND[request.file_types[0]],
                client,
                candidates,
                f" on {machine}",
            )
    return pairs


def run(paths: StatsPaths, request: RecollectRequest):
    """recollectData: yield one outcome per (machine, file type, client), as each is done;
    one client's failure does not stop the others. Several clients are spread over the
    cores (forked workers, util.pool), each worker rebuilding whole clients."""
    for machine in request.machines:
        for file_type, names in names_to_rebuild(paths, request, machine):
            processes = min(_processes(), len(names))
            if processes < 2:
                for client in names:
                    yield _recollect_one(paths, request, machine, file_type, client)
                continue
            from pxstats.util import pool  # here: multiprocessing is for many clients only

            def work(client, machine=machine, file_type=file_type):
                return _recollect_one(paths, request, machine, file_type, client)

            def failed(client, message, machine=machine, file_type=file_type):
                log.error("%s %s of %s not recollected: %s", file_type, client, machine, message)
                return RecollectOutcome(file_type, client, machine, "failed", message=message)

            yield from pool.run_each(work, names, processes, failed, "recollector")


def _recollect_one(paths, request, machine, file_type, client) -> RecollectOutcome:
    """recollect_client, its failure an outcome."""
    try:
        written = recollect_client(
            paths,
            file_type,
            client,
            machine,
            request.start,
            request.end,
            STATS_BY_FILE_TYPE[file_type],
            request.interval,
        )
    except (LockBusy, LogFolderMissing, OSError) as exc:
        reason = "another pickleUpdater holds its lock" if isinstance(exc, LockBusy) else str(exc)
        log.error("%s %s of %s not recollected: %s", file_type, client, machine, reason)
        return RecollectOutcome(file_type, client, machine, "failed", message=reason)
    return RecollectOutcome(file_type, client, machine, "rebuilt", written)
