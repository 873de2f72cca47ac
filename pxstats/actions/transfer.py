"""transferPickleToRRD's work: the per-minute statistics of hourly pickles appended to the RRDs.

One *database set* is the RRDs of one client, source or group on one machine set
(`<type>/<name>_<machines>`, spec rrd.md §1.5) plus its time-of-update file. `transfer`
brings one set up to an end hour (§2.4, §2.7), with the fixes of §6:

* resume from the time of update, or from midnight of the end's day for a new set (or from
  the data already in the databases when a first run was killed before writing it);
* new databases are created at the first stored minute, so that minute is kept;
* one value per minute and type (§2.5), `filecount` counting files (error rows excluded);
* catch-up over days in chunks of CHUNK_HOURS, each database updated in batches;
* exactly once, even after a kill: minutes a database already holds are skipped, every
  update goes through a copy renamed into place (schema.update_atomically), and the time
  of update, which never moves backwards, is written only once every database of the set
  holds the chunk;
* one lock per database set, shared by its tx and rx names; a name used as a source while
  a client of the same name owns the set (or the reverse) is refused instead of mixed.

`transfer_all` runs the sets in a pool of worker processes and returns one outcome each;
`transfer_request`, `tasks_for` and `run` turn an operator's request into sets.

Why one module of ~500 lines: the exactly-once rules above span the resume point, the
chunked update and the time of update; reading them apart would hide how they hold together.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from pxstats.actions import known
from pxstats.actions.errors import RequestError
from pxstats.i18n import FILE_TYPES, is_all, is_all_products
from pxstats.paths import StatsPaths, check_name
from pxstats.rrd import schema
from pxstats.stats import merging
from pxstats.store import inventory
from pxstats.util import pool, timeutil
from pxstats.util.gcpause import cyclic_gc_paused
from pxstats.util.locks import LockBusy, file_lock

log = logging.getLogger(__name__)

PROGRAM = "transferPickleToRRD"
CHUNK_HOURS = 24
WILDCARD_LOOKBACK = 1000 * timeutil.HOUR
# Statistics each file type's databases are computed from.
NEEDED_STATS = {"tx": ("latency", "bytecount", "errors"), "rx": ("bytecount", "errors")}


class TransferError(Exception):
    """One database set cannot be updated; the message says why (one line)."""


@dataclass(frozen=True)
class Task:
    """One database set to bring up to `end`."""

    name: str  # client, source or group: the databases' name
    file_type: str  # tx or rx
    machines: tuple[str, ...]
    end: int
    members: tuple[str, ...] = ()  # group members (group mode only)
    products: tuple[str, ...] = ()  # group product patterns; () = every product
    group: bool = False

    @property
    def label(self) -> str:
        kind = "group" if self.group else self.file_type
        return f"{kind} {self.name} on {schema.machines_name(self.machines)}"


@dataclass
class Outcome:
    task: Task
    status: str  # "updated", "up-to-date", "skipped", "failed", "interrupted" (not started)
    message: str = ""
    start: int = 0  # first minute stored (resume point)
    end: int = 0  # new time of update
    databases: list = field(default_factory=list)


# -- names and files ----------------------------------------------------------------------------


def database_paths(paths: StatsPaths, file_type: str, name: str, machines) -> dict[str, Path]:
    """{data type: database} of one set, in the order of spec §1.2."""
    return {t: schema.db_path(paths, t, name, machines) for t in schema.DATA_TYPES[file_type]}


def time_of_update_file(paths: StatsPaths, file_type: str, name: str, machines) -> Path:
    """Shared by all data types of the set: <fileType>/<name>_<machines>."""
    return schema.time_of_update_path(
        paths, file_type, schema.db_path(paths, "errors", name, machines)
    )


def lock_file(paths: StatsPaths, name: str, machines) -> Path:
    """One lock per database set, the same for its tx and rx names (they share files)."""
    base = schema.db_path(paths, "errors", name, machines).name
    return paths.lock_file(f"{PROGRAM}_{base}")


def run_lock_file(paths: StatsPaths) -> Path:
    """Held (shared) by every running transfer: pxStatsStartup's transfer guard tries it."""
    return paths.lock_file(PROGRAM)


def owner(paths: StatsPaths, name: str, machines) -> str | None:
    """File type that owns the set's bytecount/errors/filecount files, None when unused.

    tx wins when both time-of-update files exist (archives of the original, which mixed
    them): only tx sets have a latency database."""
    if (
        time_of_update_file(paths, "tx", name, machines).exists()
        or schema.db_path(paths, "latency", name, machines).exists()
    ):
        return "tx"
    if time_of_update_file(paths, "rx", name, machines).exists():
        return "rx"
    return None


def collision_message(name: str, machines, file_type: str, other: str) -> str:
    kind = {"tx": "client", "rx": "source"}
    return (
        f"{name} is also a {kind[other]} ({other}) on {schema.machines_name(machines)}, "
        f"whose databases have the same names; {file_type} {name} was not transferred "
        f"so that the two are not mixed"
    )


def resume_point(paths: StatsPaths, file_type: str, name: str, machines, end: int) -> int:
    """Where the set's data stops: its time of update. A set without one starts at midnight
    of the end's day (spec §2.4 step 1) — unless a first run was killed before writing it:
    then the earliest last update of its databases, counting midnight for a missing one."""
    stored = schema.read_time_of_update(time_of_update_file(paths, file_type, name, machines))
    if stored:
        return stored
    midnight = timeutil.day_start(end)
    return min(
        schema.last(db) if db.exists() else midnight
        for db in database_paths(paths, file_type, name, machines).values()
    )


# -- per-minute values (spec §2.5) --------------------------------------------------------------


def minute_values(
    collector, start: int, end: int, file_type: str, label: str = "pickles"
) -> dict[str, list]:
    """{data type: [(timestamp, value), ...]} for the buckets starting in [start, end).

    The bucket starting at minute m is stored at m+60 (it covers (m, m+60] in the RRD)."""
    _check_layout(collector, file_type, label)
    series = {t: [] for t in schema.DATA_TYPES[file_type]}
    tx = file_type == "tx"
    try:
        for bucket in collector.buckets:
            if not start <= bucket.start < end:
                continue
            stamp = bucket.start + timeutil.MINUTE
            if tx:
                series["latency"].append((stamp, float(bucket.means["latency"])))
                series["filesOverMaxLatency"].append((stamp, float(bucket.files_over_max_latency)))
            series["bytecount"].append((stamp, float(bucket.totals["bytecount"])))
            series["errors"].append((stamp, float(bucket.totals["errors"])))
            series["filecount"].append((stamp, float(bucket.nb_files)))
    except KeyError as exc:
        raise TransferError(_missing_stat(exc.args[0])) from None
    return series


def _missing_stat(stat: str) -> str:
    return f"The {stat} stat type was not found in previously collected data."


def _check_layout(collector, file_type: str, label: str) -> None:
    if collector.interval != timeutil.MINUTE:
        raise TransferError(
            f"{label} hold {collector.interval // 60}-minute buckets; the "
            "databases need one value per minute (collect with -i 1)"
        )
    missing = [s for s in NEEDED_STATS[file_type] if s not in collector.stats_types]
    if missing:
        raise TransferError(_missing_stat(missing[0]))


def machine_sum_values(
    paths: StatsPaths, client: str, file_type: str, machines, start: int, end: int
) -> dict[str, list]:
    """Values of one client over several machines, from each machine's hourly pickles.

    Equal to the values of the merged collector (merging.merge_sources): counts, bytes and
    errors add up, and the mean latency over all machines' files is the sum of their latency
    totals over the sum of their file counts. Reading the statistics the pickles already
    hold avoids re-merging and recomputing every row, which a catch-up cannot afford."""
    per_machine = []
    for machine in machines:
        collector = merging.merge_hours(paths, start, end, client, machine, file_type)
        _check_layout(collector, file_type, f"{file_type} pickles of {client} on {machine}")
        per_machine.append(collector)
    if len(per_machine) == 1:  # the pickled statistics themselves
        return minute_values(per_machine[0], start, end, file_type)
    series = {t: [] for t in schema.DATA_TYPES[file_type]}
    tx = file_type == "tx"
    for buckets in zip(*(c.buckets for c in per_machine)):
        first = buckets[0]
        if not start <= first.start < end:
            continue
        stamp = first.start + timeutil.MINUTE
        try:
            files = sum(b.nb_files for b in buckets)
            if tx:
                latency_total = sum(b.totals["latency"] for b in buckets)
                series["latency"].append((stamp, latency_total / files if files else 0.0))
                series["filesOverMaxLatency"].append(
                    (stamp, float(sum(b.files_over_max_latency for b in buckets)))
                )
            series["bytecount"].append((stamp, float(sum(b.totals["bytecount"] for b in buckets))))
            series["errors"].append((stamp, float(sum(b.totals["errors"] for b in buckets))))
            series["filecount"].append((stamp, float(files)))
        except KeyError as exc:
            raise TransferError(_missing_stat(exc.args[0])) from None
    return series


def group_values(paths: StatsPaths, task: Task, start: int, end: int) -> dict[str, list]:
    """Values of a group: its members merged hour by hour (merged pickles cached by
    merging.merge_sources), restricted to the group's products when it names some."""
    collector = merging.merge_sources(
        paths,
        start,
        end,
        list(task.members),
        task.file_type,
        list(task.machines),
        group_name=task.name,
    )
    if task.products:
        collector.compute_statistics(list(task.products))
    return minute_values(
        collector, start, end, task.file_type, f"{task.file_type} pickles of group {task.name}"
    )


def products_filter(products) -> tuple[str, ...]:
    """() when the list means every product (ALL/TOUS/All/Tous/*/empty)."""
    products = [p for p in products]
    if not products or any(map(is_all_products, products)):
        return ()
    return tuple(products)


# -- one database set ---------------------------------------------------------------------------


def chunks(start: int, end: int, hours: int = CHUNK_HOURS):
    """Contiguous [a, b) pieces of [start, end), at most `hours` long, ending on hour marks."""
    step = hours * timeutil.HOUR
    a = start
    while a < end:
        b = min(timeutil.hour_start(a) + step, end)
        yield a, b
        a = b


def transfer(paths: StatsPaths, task: Task) -> Outcome:
    """Bring one database set up to task.end (never backwards); raises TransferError,
    LockBusy, schema.RRDError or OSError when it cannot."""
    databases = database_paths(paths, task.file_type, task.name, task.machines)
    tou_file = time_of_update_file(paths, task.file_type, task.name, task.machines)
    with file_lock(lock_file(paths, task.name, task.machines), wait=False):
        other = owner(paths, task.name, task.machines)
        if other not in (None, task.file_type):
            raise TransferError(collision_message(task.name, task.machines, task.file_type, other))
        log.info(
            "Start of transfer of %s up to %s (process %d)",
            task.label,
            timeutil.iso(task.end),
            os.getpid(),
        )
        for db in databases.values():
            schema.remove_stale_copies(db)
        start = resume_point(paths, task.file_type, task.name, task.machines, task.end)
        outcome = Outcome(
            task, "up-to-date", start=start, end=start, databases=list(databases.values())
        )
        if task.end <= start:
            for db in databases.values():
                log.warning(
                    "This database was not updated since it's last update was more "
                    "recent than specified date : %s",
                    db,
                )
            log.info("End of transfer of %s (process %d)", task.label, os.getpid())
            return outcome
        for chunk_start, chunk_end in chunks(start, task.end):
            if task.group:
                series = group_values(paths, task, chunk_start, chunk_end)
            else:
                series = machine_sum_values(
                    paths, task.name, task.file_type, task.machines, chunk_start, chunk_end
                )
            for data_type, db in databases.items():
                pairs = series[data_type]
                if db.exists():
                    last = schema.last(db)
                    kept = [p for p in pairs if p[0] > last]
                    if len(kept) < len(pairs):
                        log.info(
                            "%s already holds data up to %s; %d minute(s) not stored again",
                            db,
                            timeutil.iso(last),
                            len(pairs) - len(kept),
                        )
                    pairs = kept
                    if not pairs:
                        continue
                schema.update_atomically(db, data_type, pairs, start)
            # Every database holds the chunk: only now may the resume point move.
            schema.write_time_of_update(tou_file, chunk_end)
            outcome.end = chunk_end
        for data_type, db in databases.items():
            log.info("Updated  %s db for %s in db named : %s", data_type, task.name, db)
        outcome.status = "updated"
        log.info("End of transfer of %s (process %d)", task.label, os.getpid())
        return outcome


def transfer_safely(paths: StatsPaths, task: Task) -> Outcome:
    """transfer(), with every failure turned into a failed outcome (logged)."""
    try:
        with cyclic_gc_paused():
            return transfer(paths, task)
    except LockBusy:
        message = "another transferPickleToRRD is updating these databases"
    except TransferError as exc:
        message = str(exc)
    except schema.RRDError as exc:
        message = f"Could not update the databases: {exc}"
    except (OSError, ValueError) as exc:
        message = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a bug: keep the other sets going, keep the traceback in the log
        log.exception("%s not transferred", task.label)
        return Outcome(task, "failed", f"unexpected {type(exc).__name__}: {exc} (see the log)")
    log.error("%s not transferred: %s", task.label, message)
    return Outcome(task, "failed", message)


# -- many database sets -------------------------------------------------------------------------


def transfer_all(paths: StatsPaths, tasks, processes: int = 5, should_stop=None) -> list[Outcome]:
    """Every task, at most `processes` at a time, each in a worker process of its own
    (util.pool); outcomes in task order. A worker that dies fails only its own task; an
    interrupted run lets the running tasks finish their database set. Once `should_stop()`
    is true no set is started: their outcomes say "interrupted"."""
    return pool.run_each(
        partial(transfer_safely, paths),
        tasks,
        processes,
        _worker_failed,
        name="transfer",
        wait_on_interrupt=True,
        should_stop=should_stop,
        interrupted=_interrupted,
    )


def _interrupted(task: Task) -> Outcome:
    return Outcome(task, "interrupted", "not started: the run was asked to stop")


def _worker_failed(task: Task, message: str) -> Outcome:
    log.error("%s not transferred: %s", task.label, message)
    return Outcome(task, "failed", message)


@contextmanager
def run_lock(paths: StatsPaths):
    """Shared lock held for a whole run: any number of transfers may run together, and a
    caller (pxStatsStartup) that cannot take it exclusively knows one is running."""
    with file_lock(run_lock_file(paths), shared=True):
        yield


# -- which names ---------------------------------------------------------------------------------


def is_pattern(name: str) -> bool:
    return "*" in name or "?" in name


def expand_clients(paths: StatsPaths, clients, file_types, machines, end: int):
    """(clients, file types) with every wildcard entry replaced by the names having pickles of
    its file type in the 1000 hours before `end`; the file types follow (spec §6.3)."""
    names, types = [], []
    for client, file_type in zip(clients, file_types):
        if is_pattern(client):
            matched = inventory.names_with_pickles(
                paths, file_type, machines, end, end - WILDCARD_LOOKBACK, pattern=client
            )
            if not matched:
                log.warning(
                    "No %s name having pickles on %s matches %s",
                    file_type,
                    schema.machines_name(machines),
                    client,
                )
        else:
            matched = [client]
        for name in matched:
            if (name, file_type) not in zip(names, types):
                names.append(name)
                types.append(file_type)
    return names, types


def all_names(paths: StatsPaths, machines, end: int):
    """`-c ALL`: the tx names, then the rx names, having pickles on `machines` for an hour
    between their resume point (at the latest the start of the end's day) and `end`."""
    names, types = [], []
    for file_type in ("tx", "rx"):

        def since(name, file_type=file_type):
            try:
                resume = resume_point(paths, file_type, name, machines, end)
            except (ValueError, schema.RRDError):  # reported when the set is transferred
                resume = end - WILDCARD_LOOKBACK
            return min(resume, timeutil.day_start(end - 1))

        for name in inventory.names_with_pickles(paths, file_type, machines, end, since):
            names.append(name)
            types.append(file_type)
    return names, types


def plan(paths: StatsPaths, clients, file_types, machines, end: int):
    """Tasks for -c/-f lists, and the refusals of names that would share a database set
    with an earlier entry of the other file type (tx entries win)."""
    machines = tuple(machines)
    by_name: dict[str, str] = {}  # file type that gets each name's database set
    for client, file_type in zip(clients, file_types):
        if by_name.get(client) != "tx":
            by_name[client] = file_type
    tasks, refused, seen = [], [], set()
    for client, file_type in zip(clients, file_types):
        if (client, file_type) in seen:
            continue
        seen.add((client, file_type))
        task = Task(client, file_type, machines, end)
        if by_name[client] != file_type:
            message = collision_message(client, machines, file_type, by_name[client])
            log.error("%s not transferred: %s", task.label, message)
            refused.append(Outcome(task, "failed", message))
        else:
            tasks.append(task)
    return tasks, refused


# -- the request -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferRequest:
    """Transfer up to `end` the pickles of `clients` (None: every name having pickles on the
    machines), one file type per client, or the clients as one `group`."""

    end: int
    machines: tuple[str, ...]
    clients: tuple[str, ...] | None = None
    file_types: tuple[str, ...] = ()
    group: str = ""
    products: tuple[str, ...] = ()
    processes: int = 5


def transfer_request(
    end: int, clients, file_types, machines, group: str = "", products=(), processes: int = 5
) -> TransferRequest:
    """A checked TransferRequest, the options checked in the original's order (spec rrd.md
    §2.2); RequestError with the original's messages."""
    group = group.strip()
    products = list(products)
    if products_filter(products) and not group:
        raise RequestError("Error. Products can only be specified when using special groups.")
    clients = list(clients)
    if not clients:
        raise RequestError("Error. No client was specified.")
    file_types = list(file_types)
    if len(file_types) == 1 and len(clients) > 1:
        file_types = file_types * len(clients)
    everyone = len(clients) == 1 and is_all(clients[0])
    if everyone and file_types:
        raise RequestError(
            "Error. Filetypes cannot be specified when all clients are to be updated."
        )
    if not everyone:
        if not file_types:
            raise RequestError(
                "Error. File types (-f tx or rx) must be specified with the clients."
            )
        if len(clients) != len(file_types):
            raise RequestError(
                "Error. The number of file types must be one, or the number of clients."
            )
        bad = [t for t in file_types if t not in FILE_TYPES]
        if bad:
            raise RequestError(f"Error. File types must be tx or rx (got {bad[0]}).")
    if group:
        if everyone:
            raise RequestError("Error. A group needs its members: list them with -c.")
        if len(set(file_types)) > 1:
            raise RequestError("Error. All the members of a group must have the same file type.")
    machines = list(machines)
    if not machines:
        raise RequestError("Error. No machine was specified.")
    if not 1 <= processes <= 64:
        raise RequestError("Error. The number of processes must be an integer from 1 to 64.")
    try:
        for machine in machines:
            check_name("machine", machine)
        if group:
            check_name("group", group)
        for client in clients:
            if not everyone and not is_pattern(client):
                check_name("client", client)
    except ValueError as exc:
        raise RequestError(f"Error. {str(exc)[0].upper()}{str(exc)[1:]}.") from None
    return TransferRequest(
        timeutil.hour_start(end),
        tuple(machines),
        None if everyone else tuple(clients),
        tuple(file_types),
        group,
        products_filter(products),
        processes,
    )


def tasks_for(paths: StatsPaths, request: TransferRequest) -> tuple[list, list]:
    """(tasks to run, outcomes already failed) for a request."""
    end, machines = request.end, request.machines
    if request.clients is None:
        # Every name: a name found both as tx and rx is reported and left out; it must not
        # make every hourly run fail (the tx name owns the set, as for explicit lists).
        names, types = all_names(paths, machines, end)
        if not names:  # nothing to transfer: say so if a machine is unknown (a typo)
            known.check_machines(paths, machines)
        tasks, refused = plan(paths, names, types, machines, end)
        return tasks, [replace(o, status="skipped") for o in refused]
    names, types = expand_clients(paths, request.clients, request.file_types, machines, end)
    if not request.group:
        return plan(paths, names, types, machines, end)
    task = Task(
        request.group,
        request.file_types[0],
        machines,
        end,
        members=tuple(names),
        products=request.products,
        group=True,
    )
    if not names:
        message = "none of its members has pickles on these machines"
        log.error("%s not transferred: %s", task.label, message)
        return [], [Outcome(task, "failed", message)]
    return [task], []


def run(
    paths: StatsPaths, request: TransferRequest, now: int | None = None, should_stop=None
) -> list[Outcome]:
    """transferPickleToRRD: every task of the request, under the run's shared lock. An end
    after the current hour is brought back to it: minutes not collected yet would be stored
    as zeros and never stored again. `should_stop`: see transfer_all."""
    latest = timeutil.hour_start(timeutil.now() if now is None else now)
    if request.end > latest:
        log.warning(
            "End %s is in the future; the transfer stops at %s.",
            timeutil.iso(request.end),
            timeutil.iso(latest),
        )
        request = replace(request, end=latest)
    with run_lock(paths):
        tasks, refused = tasks_for(paths, request)
        return refused + transfer_all(paths, tasks, request.processes, should_stop)
