"""Moving data between machines (spec collection.md §6, ops.md §2.3, §6.6.5, §6.6.8).

Roles: a *source* machine runs Sundew and writes logs; a *pickling* machine turns a source's
logs into hourly pickles (this machine, or another one reached through ssh); this machine (the
graphics machine) keeps the central pickle tree.

Each request below is one step for one machine; `run(context, request)` returns its outcomes.
A failure is the outcome of that machine's step (one line: machine, step, exit status, stderr
tail); it never raises and never touches what previous runs stored: rsync writes each file under
a temporary name and renames it, a killed or refused transfer leaves the previous mirror and
pickles as they were, and remote pickling is skipped when its logs could not be mirrored (so no
time of update moves past data that was not seen; the next run catches up).

The orchestrator calls these in-process. Nothing here parses options. The hourly chain:

    with SyncContext.open(paths) as remote:              # ssh files from ROOT/etc/
        pairs = tuple(machine_pairs(config))            # (source, pickling machine) Hosts
        for outcome in run(remote, UpdateRemotePickles(pairs, date)):
            log(outcome.line())
    # then pickleUpdater here (actions.update) for the pairs whose pickling machine is
    # this host (remote.is_local(pickler)): their logs and configuration copies are in place.

Why one module of ~700 lines: the steps share one failure model (per machine, nothing
touched on failure) and one ssh session per machine per run; each request is a short class.
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Self

from pxstats.paths import StatsPaths, this_host
from pxstats.remote import listing, rsync
from pxstats.remote.commands import Host, RemoteError, Result, Sessions
from pxstats.remote.names import BadName, check_name, check_remote_path
from pxstats.remote.roots import RootFinder
from pxstats.remote.settings import RemoteSettings
from pxstats.util import timeutil

log = logging.getLogger(__name__)

MAX_MIRROR_PASSES = 3  # the original always ran three; we stop once the mirror is proven
MAX_RETRIEVE_PASSES = 10  # the original always ran ten; we stop once nothing changes
FILE_TYPES = ("rx", "tx")
LOCAL_NAMES = ("localhost", "127.0.0.1")

# Folders of data/ that retreiveDataFromMachine copies (the original's seven, plus the merged
# pickles this rewrite keeps in their own tree and the times of update of the pickles).
RETRIEVED_FOLDERS = (
    "monitoring",
    "graphics",
    "pickles",
    "mergedPickles",
    "picklesTimeOfUpdates",
    "databases/currentDatabases",
    "databases/databasesBackups",
    "databases/currentDatabasesTimeOfUpdates",
    "databases/databasesTimeOfUpdatesBackups",
)


# -- outcomes and context --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One step for one machine. `message` is the one line to show when it failed."""

    machine: str
    step: str
    ok: bool
    message: str = ""
    passes: int = 0
    changed: int = 0
    seconds: float = 0.0
    skipped: bool = False

    def line(self) -> str:
        if self.ok:
            return (
                f"{self.machine}: {self.step}: ok ({self.changed} change(s), "
                f"{self.passes} pass(es), {self.seconds:.1f} s)"
            )
        return f"{self.machine}: {self.step}: {self.message}"


@dataclass
class SyncContext:
    """What one run shares: the local tree, the ssh settings, the paramiko connections and the
    remote roots found (cached for the run). Use as a context manager to close connections."""

    paths: StatsPaths
    settings: RemoteSettings
    sessions: Sessions
    roots: RootFinder
    local_names: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def open(
        cls,
        paths: StatsPaths,
        settings: RemoteSettings | None = None,
        root_overrides: dict[tuple[str, str], str] | None = None,
        local_names=(),
    ) -> SyncContext:
        settings = settings or RemoteSettings.for_root(paths.etc)
        sessions = Sessions(settings)
        return cls(
            paths,
            settings,
            sessions,
            RootFinder(sessions, dict(root_overrides or {})),
            tuple(local_names),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.sessions.close()

    def is_local(self, host: Host | None) -> bool:
        return host is None or host.machine in (this_host(), *LOCAL_NAMES, *self.local_names)


# -- requests --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MirrorLogs:
    """Mirror the source's Sundew log folder (PXROOT/log/) into data/logFiles/<source>/ of the
    pickling machine (this one when pickler is None)."""

    source: Host
    pickler: Host | None = None


@dataclass(frozen=True)
class CopyConfigs:
    """Mirror the source's Sundew rx/tx configuration into etc/pxConfigFiles/<ft>/<source>/ of
    the pickling machine, where pickleUpdater -c All reads its client list."""

    source: Host
    pickler: Host | None = None
    file_types: tuple[str, ...] = FILE_TYPES


@dataclass(frozen=True)
class PickleRemotely:
    """Run pickleUpdater on the pickling machine for the source, once per file type."""

    source: Host
    pickler: Host
    date: int
    file_types: tuple[str, ...] = FILE_TYPES
    clients: tuple[str, ...] = ("All",)
    updater: str | None = None  # pickleUpdater's path there; default: ours


@dataclass(frozen=True)
class SyncPickles:
    """Pull the pickling machine's pickles (all, or per client) into data/pickles/.

    With delete_days, local pickles of `delete_machines` in the date folders of the last
    delete_days days (UTC, `today` included) that no longer exist there are deleted too;
    nothing else is ever deleted."""

    machine: Host
    clients: tuple[str, ...] = ("All",)
    delete_days: int | None = None
    delete_machines: tuple[str, ...] = ()
    today: int | None = None


@dataclass(frozen=True)
class CollectRemote:
    """What the hourly run does for one (source, pickling machine) pair that involves another
    machine, short of pulling the pickles: configuration copies and log mirror (when source and
    pickler differ), then, when the pickling machine is another host, pickleUpdater there.
    Local pickling itself (pickler is this machine) is left to the caller (actions.update)."""

    source: Host
    pickler: Host | None
    date: int
    file_types: tuple[str, ...] = FILE_TYPES
    updater: str | None = None


@dataclass(frozen=True)
class UpdateRemotePickles:
    """CollectRemote for every pair (`workers` at a time), then the pickles of each remote
    pickling machine pulled here once (SyncPickles)."""

    pairs: tuple[tuple[Host, Host | None], ...]
    date: int
    file_types: tuple[str, ...] = FILE_TYPES
    updater: str | None = None
    workers: int = 3
    # once true, no machine's step starts (see run_all)
    should_stop: Callable[[], bool] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RetrieveInstallation:
    """Rebuild this installation's data from another pxStats machine (retreiveDataFromMachine):
    the folders of RETRIEVED_FOLDERS, and the logs of `log_sources` (the sources this machine
    pickles) straight from those sources."""

    machine: Host
    log_sources: tuple[Host, ...] = ()
    folders: tuple[str, ...] = RETRIEVED_FOLDERS


def run(context: SyncContext, request) -> list[Outcome]:
    handlers = {
        MirrorLogs: mirror_logs,
        CopyConfigs: copy_configs,
        PickleRemotely: pickle_remotely,
        SyncPickles: sync_pickles,
        CollectRemote: collect_remote,
        UpdateRemotePickles: update_remote_pickles,
        RetrieveInstallation: retrieve_installation,
    }
    return handlers[type(request)](context, request)


INTERRUPTED = "interrupted: not started"


def run_all(context: SyncContext, requests, workers: int = 3, should_stop=None) -> list[Outcome]:
    """Several requests (one per machine, say) in a pool of threads; outcomes in order. Once
    `should_stop()` is true, a request not started yet is one skipped Outcome, INTERRUPTED."""
    requests = list(requests)

    def one(request):
        if should_stop is not None and should_stop():
            machine = getattr(request, "source", None) or getattr(request, "machine", None)
            name = getattr(machine, "machine", "-")
            return [Outcome(name, type(request).__name__, False, INTERRUPTED, skipped=True)]
        return run(context, request)

    if workers <= 1 or len(requests) <= 1:
        return [o for request in requests for o in one(request)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, requests))
    return [o for outcomes in results for o in outcomes]


# -- helpers ---------------------------------------------------------------------------------------


def _failed(machine: str, step: str, message: str, started: float, **more) -> Outcome:
    message = message.removeprefix(f"{machine}: ")
    outcome = Outcome(machine, step, False, message, seconds=time.monotonic() - started, **more)
    log.error("%s", outcome.line())
    return outcome


def _done(machine: str, step: str, started: float, **more) -> Outcome:
    outcome = Outcome(machine, step, True, seconds=time.monotonic() - started, **more)
    log.info("%s", outcome.line())
    return outcome


def _count(result: Result) -> int:
    return sum(1 for c in rsync.changes(result) if c.name != "./" and (c.is_file or c.deleted))


def _absent(result: Result) -> bool:
    """rsync failed only because the folder to copy does not exist (yet) there."""
    return (
        result.status == rsync.PARTIAL
        and "change_dir" in result.stderr
        and "No such file or directory" in result.stderr
    )


def _rsync_failure(result: Result) -> str:
    return f"rsync {result.describe()}"


def _source_dir(context: SyncContext, source: Host, file_type: str | None = None) -> str:
    """Sundew's log folder (or etc/<ft>/ folder) of the source: from this installation's
    settings when the source is this host, else asked to the source."""
    if context.is_local(source):
        folder = (
            context.paths.px_log_dir
            if file_type is None
            else (context.paths.px_etc_dir / file_type)
        )
        return check_remote_path("Sundew folder", str(folder))
    if file_type is None:
        return context.roots.px_log(source)
    return context.roots.px_etc(source, file_type)


def _list_source(context: SyncContext, source: Host, folder: str) -> listing.Listing:
    if context.is_local(source):
        return listing.list_local(Path(folder))
    return listing.list_remote(context.sessions, source, folder)


# -- log mirror ------------------------------------------------------------------------------------


def mirror_logs(context: SyncContext, request: MirrorLogs) -> list[Outcome]:
    """rsync -a -z --delete-before of PXROOT/log/ of the source, then a check that the mirror
    holds every file of the source with the same size and time (a live `.log` may have grown):
    a log rotated during the pass (a new name, or a rotated file whose content changed) fails
    the check and one more pass is made, up to MAX_MIRROR_PASSES."""
    step, source, started = "mirror logs", request.source, time.monotonic()
    try:
        src_dir = _source_dir(context, source)
        if context.is_local(request.pickler):
            dest, run_on = context.paths.log_files / check_name("machine", source.machine), None
        else:
            run_on = request.pickler
            dest = (
                context.roots.stats_root(run_on)
                + "data/logFiles/"
                + check_name("machine", source.machine)
                + "/"
            )
        changed = 0
        for number in range(1, MAX_MIRROR_PASSES + 1):
            result = rsync.pull(
                context.settings,
                source,
                src_dir,
                dest,
                run_on=run_on,
                sessions=context.sessions,
                delete=True,
            )
            if not result.ok and result.status != rsync.VANISHED:
                return [
                    _failed(source.machine, step, _rsync_failure(result), started, passes=number)
                ]
            changed += _count(result)
            wanted, have = _parallel(
                lambda: _list_source(context, source, src_dir),
                lambda: (
                    listing.list_local(Path(dest))
                    if run_on is None
                    else listing.list_remote(context.sessions, run_on, dest)
                ),
            )
            missing = listing.differences(wanted, have)
            if not missing and result.ok:
                return [_done(source.machine, step, started, passes=number, changed=changed)]
            log.warning(
                "%s: %s: the logs changed during pass %d (%s); one more pass",
                source.machine,
                step,
                number,
                ", ".join(missing[:5]) or f"rsync status {result.status}",
            )
        return [
            _failed(
                source.machine,
                step,
                f"the logs were still changing after "
                f"{MAX_MIRROR_PASSES} passes: "
                f"{', '.join(missing[:3])}",
                started,
                passes=MAX_MIRROR_PASSES,
                changed=changed,
            )
        ]
    except (RemoteError, BadName) as exc:
        return [_failed(source.machine, step, str(exc), started)]


# -- configuration copies --------------------------------------------------------------------------


def copy_configs(context: SyncContext, request: CopyConfigs) -> list[Outcome]:
    """PXROOT/etc/<ft>/ of the source -> etc/pxConfigFiles/<ft>/<source>/ of the pickling
    machine (one pass: the configuration is not rotated)."""
    source, outcomes = request.source, []
    for file_type in request.file_types:
        step, started = f"configuration copy {file_type}", time.monotonic()
        try:
            if file_type not in ("rx", "tx", "trx"):
                raise BadName(f"invalid file type {file_type!r}")
            src_dir = _source_dir(context, source, file_type)
            name = check_name("machine", source.machine)
            if context.is_local(request.pickler):
                dest, run_on = context.paths.px_config_copies / file_type / name, None
            else:
                run_on = request.pickler
                dest = context.roots.stats_root(run_on) + f"etc/pxConfigFiles/{file_type}/{name}/"
            result = rsync.pull(
                context.settings,
                source,
                src_dir,
                dest,
                run_on=run_on,
                sessions=context.sessions,
                delete=True,
            )
            if result.ok:
                outcomes.append(
                    _done(source.machine, step, started, passes=1, changed=_count(result))
                )
            else:
                outcomes.append(
                    _failed(source.machine, step, _rsync_failure(result), started, passes=1)
                )
        except (RemoteError, BadName) as exc:
            outcomes.append(_failed(source.machine, step, str(exc), started))
    return outcomes


# -- remote pickling -------------------------------------------------------------------------------


def default_updater() -> str:
    """pickleUpdater of this installation (the same path is expected on the pickling machine,
    as the original expected the same STATSBIN)."""
    candidate = Path(sys.executable).parent / "pickleUpdater"
    return str(candidate) if candidate.exists() else "pickleUpdater"


def updater_argv(
    updater: str, stats_root: str, source: str, file_type: str, clients, date: int
) -> list[str]:
    if not updater.startswith("/"):
        check_name("program", updater)
    else:
        check_remote_path("program", updater)
    return [
        updater.rstrip("/"),
        "--root",
        check_remote_path("STATSROOT", stats_root),
        "-m",
        check_name("machine", source),
        "-f",
        file_type,
        "-c",
        ",".join(c if c == "All" else check_name("client", c) for c in clients),
        "--date",
        timeutil.iso(date),
    ]


def pickle_remotely(context: SyncContext, request: PickleRemotely) -> list[Outcome]:
    """pickleUpdater -m <source> -f <ft> --date <date> on the pickling machine (paramiko),
    its exit status and stderr captured; the original's tx command never ran (missing %)."""
    outcomes = []
    source, pickler = request.source, request.pickler
    for file_type in request.file_types:
        step, started = f"remote pickling {file_type} on {pickler.machine}", time.monotonic()
        try:
            if file_type not in ("rx", "tx"):
                raise BadName(f"invalid file type {file_type!r}")
            argv = updater_argv(
                request.updater or default_updater(),
                context.roots.stats_root(pickler),
                source.machine,
                file_type,
                request.clients,
                request.date,
            )
            result = context.sessions.run(pickler, argv)
        except (RemoteError, BadName) as exc:
            outcomes.append(_failed(source.machine, step, str(exc), started))
            continue
        for line in result.stderr.splitlines():
            if line.strip():
                log.info("%s: %s: %s", pickler.machine, file_type, line.strip())
        if result.ok:
            outcomes.append(_done(source.machine, step, started, passes=1))
        else:
            outcomes.append(
                _failed(source.machine, step, f"pickleUpdater {result.describe()}", started)
            )
    return outcomes


# -- pickle synchronisation ------------------------------------------------------------------------


def delete_filters(days: int, machines, today: int) -> list[str]:
    """rsync receiver-side rules: deletion allowed only for <client>/<day>/<ft>/<machine>_HH of
    the last `days` days and the given machines; everything else is protected."""
    rules = []
    first = timeutil.day_start(today)
    for back in range(days):
        day = timeutil.yyyymmdd(first - back * timeutil.DAY)
        for machine in machines:
            rules.append(f"risk /*/{day}/*/{check_name('machine', machine)}_[0-2][0-9]")
    rules.append("protect *")
    return rules


def sync_pickles(context: SyncContext, request: SyncPickles) -> list[Outcome]:
    """rsync -a -z of <STATSROOT there>/data/pickles/ (or of each client's folder) into
    data/pickles/: one pass (pickles are written atomically there, and rsync renames each file
    into place here)."""
    host, started = request.machine, time.monotonic()
    step = "pickle synchronisation"
    try:
        remote = context.roots.stats_root(host) + "data/pickles/"
        if not request.clients or request.clients[0] == "All":
            pairs = [(remote, context.paths.pickles, "")]
        else:
            pairs = [
                (remote + check_name("client", c) + "/", context.paths.pickles / c, c)
                for c in request.clients
            ]
        filters = []
        if request.delete_days:
            today = request.today if request.today is not None else timeutil.now()
            filters = delete_filters(request.delete_days, request.delete_machines, today)
            if len(pairs) > 1 or pairs[0][2]:
                filters = [rule.replace("risk /*/", "risk /", 1) for rule in filters]
    except (RemoteError, BadName) as exc:
        return [_failed(host.machine, step, str(exc), started)]
    outcomes, changed = [], 0
    for src, dest, client in pairs:
        result = rsync.pull(
            context.settings,
            host,
            src,
            dest,
            sessions=context.sessions,
            delete=bool(request.delete_days),
            filters=filters,
        )
        what = f"{step} {client}".strip()
        if _absent(result):
            log.info("%s: %s: nothing there yet (%s)", host.machine, what, src)
        elif not result.ok:
            outcomes.append(_failed(host.machine, what, _rsync_failure(result), started, passes=1))
        else:
            changed += _count(result)
    if not outcomes:
        outcomes.append(_done(host.machine, step, started, passes=1, changed=changed))
    return outcomes


# -- the hourly chain for one pair -----------------------------------------------------------------


def _parallel(*calls) -> list[list[Outcome]]:
    """Run independent steps (one per ssh connection) at the same time; results in order."""
    if len(calls) == 1:
        return [calls[0]()]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def collect_remote(context: SyncContext, request: CollectRemote) -> list[Outcome]:
    """Configuration copies (one per file type) and the log mirror run side by side; then
    pickleUpdater for rx and tx side by side (they never touch the same files)."""
    source, pickler = request.source, request.pickler
    same = (pickler is not None and pickler.machine == source.machine) or (
        context.is_local(source) and context.is_local(pickler)
    )
    remote_pickler = not context.is_local(pickler)
    outcomes: list[Outcome] = []
    if not same:
        steps = [
            lambda ft=ft: copy_configs(context, CopyConfigs(source, pickler, (ft,)))
            for ft in request.file_types
        ]
        steps.append(lambda: mirror_logs(context, MirrorLogs(source, pickler)))
        results = _parallel(*steps)
        outcomes += [o for result in results for o in result]
        if not results[-1][-1].ok:
            if remote_pickler:
                outcomes.append(
                    Outcome(
                        source.machine,
                        f"remote pickling on {pickler.machine}",
                        False,
                        "skipped: the logs could not be mirrored",
                        skipped=True,
                    )
                )
            return outcomes
    if remote_pickler:
        results = _parallel(
            *[
                lambda ft=ft: pickle_remotely(
                    context,
                    PickleRemotely(source, pickler, request.date, (ft,), updater=request.updater),
                )
                for ft in request.file_types
            ]
        )
        outcomes += [o for result in results for o in result]
    return outcomes


def update_remote_pickles(context: SyncContext, request: UpdateRemotePickles) -> list[Outcome]:
    outcomes = run_all(
        context,
        [
            CollectRemote(source, pickler, request.date, request.file_types, request.updater)
            for source, pickler in request.pairs
        ],
        request.workers,
        request.should_stop,
    )
    picklers = []
    for _source, pickler in request.pairs:
        if not context.is_local(pickler) and pickler not in picklers:
            picklers.append(pickler)
    syncs = [SyncPickles(p) for p in picklers]
    return outcomes + run_all(context, syncs, request.workers, request.should_stop)


# -- retreiveDataFromMachine -----------------------------------------------------------------------


def retrieve_installation(context: SyncContext, request: RetrieveInstallation) -> list[Outcome]:
    """Logs of the sources this machine pickles (mirrored from the sources themselves), then
    each data folder of the other machine with --delete-before, repeated until a pass changes
    nothing (at most MAX_RETRIEVE_PASSES: the other machine may still be writing)."""
    outcomes = []
    for source in request.log_sources:
        outcomes += mirror_logs(context, MirrorLogs(source, None))
    host = request.machine
    try:
        remote_data = context.roots.stats_root(host) + "data/"
    except RemoteError as exc:
        return outcomes + [_failed(host.machine, "retrieve", str(exc), time.monotonic())]
    pending = list(request.folders)
    for folder in pending:
        (context.paths.data / folder).mkdir(parents=True, exist_ok=True)
    changed = {folder: 0 for folder in pending}
    started = {folder: time.monotonic() for folder in pending}
    for number in range(1, MAX_RETRIEVE_PASSES + 1):
        still = []
        for folder in pending:
            result = rsync.pull(
                context.settings,
                host,
                remote_data + folder + "/",
                context.paths.data / folder,
                delete=True,
            )
            step = f"retrieve {folder}"
            if not result.ok:
                if _absent(result) and number == 1:
                    outcomes.append(
                        Outcome(
                            host.machine, step, True, "absent there", passes=number, skipped=True
                        )
                    )
                else:
                    outcomes.append(
                        _failed(
                            host.machine,
                            step,
                            _rsync_failure(result),
                            started[folder],
                            passes=number,
                        )
                    )
                continue
            count = _count(result)
            changed[folder] += count
            if count and number < MAX_RETRIEVE_PASSES:
                still.append(folder)
            else:
                outcomes.append(
                    _done(
                        host.machine, step, started[folder], passes=number, changed=changed[folder]
                    )
                )
        pending = still
        if not pending:
            break
    return outcomes


# -- machines of the configuration -----------------------------------------------------------------


def host_of(machines, name: str) -> Host:
    """Host for a machine name with its login from configForMachines (none: ssh's default)."""
    return Host(name, machines.login_of(name) if machines is not None else "")


def machine_pairs(config) -> list[tuple[Host, Host]]:
    """(source, pickling machine) pairs of etc/config: the n-th machine of the n-th
    sourceMachinesTags tag is pickled by the n-th machine of the n-th picklingMachines tag.
    ValueError (one line) when the lists do not pair up."""
    general, machines = config.general, config.machines
    if len(general.source_machines_tags) != len(general.pickling_machines):
        raise ValueError(
            f"{len(general.source_machines_tags)} sourceMachinesTags but "
            f"{len(general.pickling_machines)} picklingMachines"
        )
    pairs, seen = [], set()
    for tag, pick_tag in zip(general.source_machines_tags, general.pickling_machines):
        sources = list(dict.fromkeys(machines.machines_of(tag)))
        picklers = machines.machines_of(pick_tag)
        if not sources:
            raise ValueError(f"unknown source machine tag {tag!r}")
        if len(sources) != len(picklers):
            raise ValueError(
                f"tag {tag} has {len(sources)} machine(s) ({','.join(sources)}) "
                f"but pickling tag {pick_tag} has {len(picklers)} "
                f"({','.join(picklers) or 'none'})"
            )
        for source, pickler in zip(sources, picklers):
            if source not in seen:
                seen.add(source)
                pairs.append((host_of(machines, source), host_of(machines, pickler)))
    return pairs


def sources_pickled_by(config, machine: str) -> list[Host]:
    """Sources (other than `machine` itself) whose pickling machine is `machine`."""
    return [
        source
        for source, pickler in machine_pairs(config)
        if pickler.machine == machine and source.machine != machine
    ]
