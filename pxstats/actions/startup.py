"""pxStatsStartup (launchGraphCreation): the hourly cycle, in-process (spec ops.md §3).

One run, one time `date` (every step is dated by it): under an flock on
data/temp/lockFiles/pxStatsStartup.lock (PID inside; released by the kernel when the run
dies), with the configuration validated first, the steps run in order, best effort:

  machineTags  the files of a source tag whose machines changed renamed (fileRenamer -m)
  collect      remote machines through actions.sync (log mirrors, remote pickling, pickles
               pulled here), then pickleUpdater here for each source pickled by this host,
               per (source, file type), one after the other (each spreads its clients
               over forked workers)
  transfer     transferPickleToRRD per machinesToBackupInDb tag, then per group (skipped when
               a transfer started elsewhere holds its run lock)
  dbBackups    when due (schedule.is_due)
  daily        the daily gnuplot graphics of the web pages, per artifact language, when the
               daily frequency word says so (with the back-fill of missed days)
  rrd-<period> the RRD graphics of the web pages (daily totals, weekly, monthly, yearly)
  webPages     the static pages
  picklecleaner, generalCleaner, graphicsCleaner, monitoring   when due
  pxStatsStartup  the run's own update entry (the next run's "previous run")

Every step appends a record (step, target, seconds, status, message) to the run's list; the
caller logs each as it comes (`on_step`), and lastRun.json (data/monitoring/) is rewritten
atomically after every step. A periodic task's update entry is written only when it
succeeded. A failing step never stops the next ones.

Stopping (SIGINT, SIGTERM: the CLI sets the `stop` event): the step in progress finishes
the units of work it has started (a client's hour, a database set, a graphic, a remote
machine's step), starts no other and is recorded "interrupted" with what was done ("41 of
150 client(s) done"); the steps after it are recorded "interrupted"; the run is
"interrupted" and its own update entry is not written, so the next run redoes what is due.
Times of update and resume pointers only ever cover finished units.

About 520 lines: the sequence of the spec's steps, each a short adapter from the
configuration to one action, reads best in one place, in the order the steps run.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial

from pxstats.actions import (
    backup,
    clean_dir,
    cleaners,
    daily_graphics,
    graphics_cleaner,
    monitor,
    renamer,
    rrd_graphics,
    schedule,
    sync,
    transfer,
    update,
    web_pages,
)
from pxstats.actions.errors import RequestError
from pxstats.i18n import FILE_TYPES
from pxstats.paths import StatsPaths
from pxstats.util import atomic, timeutil
from pxstats.util.locks import LockBusy, file_lock

log = logging.getLogger(__name__)

PROGRAM = "pxStatsStartup"
RRD_PERIODS = ("weekly", "monthly", "yearly")


class AlreadyRunning(Exception):
    """Another instance holds the lock; the text is the original's notice."""

    def __init__(self, pid: str):
        self.pid = pid
        super().__init__(
            f"There is already an instance of {PROGRAM} running (PID {pid or 'unknown'}).\n"
            "Only one instance may run at once.\n"
            "Terminate the running instance or wait for it to end,\n"
            "then run the program again.\n"
            "Program terminated."
        )


@dataclass(frozen=True)
class StartupRequest:
    date: int
    mirror: bool = True  # False: data/logFiles/<source>/ is kept up to date by other means
    send_mail: bool = True
    processes: int = 3
    local_names: tuple[str, ...] = ()


@dataclass
class Step:
    step: str
    target: str
    seconds: float
    status: str  # ok, failed, skipped, not due, interrupted
    message: str = ""

    def line(self) -> str:
        text = f"step={self.step} target={self.target or '-'} seconds={self.seconds:.2f} "
        return text + f"status={self.status}" + (f" message={self.message}" if self.message else "")


@dataclass
class Run:
    date: int
    steps: list[Step] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    status: str = "running"

    @property
    def failed(self) -> list[Step]:
        return [s for s in self.steps if s.status == "failed"]


# -- the lock --------------------------------------------------------------------------------


def lock_path(paths: StatsPaths):
    return paths.lock_file(PROGRAM)


@contextmanager
def instance_lock(paths: StatsPaths):
    """Hold the instance lock (AlreadyRunning when another run holds it); the PID is written
    inside once the lock is ours, and the file emptied when the run ends."""
    path = lock_path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(os.pread(fd, 32, 0).decode("ascii", "replace").strip()) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


# -- validation (§3.3 item 4) -------------------------------------------------------------------


def validate(config) -> list[tuple]:
    """The (source, pickling machine) Host pairs; RequestError with the operator's line."""
    if config is None:
        raise RequestError("etc/config not found: copy etc/config.sample and adapt it")
    general, machines = config.general, config.machines
    if len(general.pickling_machines) != len(general.source_machines_tags):
        raise RequestError(
            "Error. Parameter number mismatch: "
            f"{len(general.source_machines_tags)} sourceMachinesTags but "
            f"{len(general.pickling_machines)} picklingMachines."
        )
    tags = (*general.source_machines_tags, *general.pickling_machines)
    for tag in (*tags, *general.machines_to_backup_in_db):
        if not machines.machines_of(tag):
            raise RequestError(f"Error. Unknown tag {tag}: it is not defined in configForMachines.")
    for tag, pick in zip(general.source_machines_tags, general.pickling_machines):
        sources = list(dict.fromkeys(machines.machines_of(tag)))
        picklers = machines.machines_of(pick)
        if len(sources) != len(picklers):
            raise RequestError(
                f"Error. Tag {tag} has {len(sources)} source machine(s) ({','.join(sources)}) but "
                f"{len(picklers)} pickling machine(s) ({','.join(picklers)})."
            )
        for source in sources:
            if not machines.login_of(source):
                raise RequestError(f"Error. Source machine {source} has no login.")
    try:
        return sync.machine_pairs(config)
    except ValueError as exc:
        raise RequestError(f"Error. {exc}.") from None


# -- the run ------------------------------------------------------------------------------------


class Cycle:
    def __init__(self, paths: StatsPaths, config, request: StartupRequest, on_step=None, stop=None):
        self.paths, self.config, self.request = paths, config, request
        self.date = request.date
        self.run = Run(request.date)
        self.on_step = on_step or (lambda step: None)
        self.stopping = stop if stop is not None else threading.Event()  # set: stop soon
        self.previous = schedule.last_update(paths, PROGRAM)

    @property
    def stop(self) -> bool:
        return self.stopping.is_set()

    @stop.setter
    def stop(self, value: bool) -> None:
        if value:
            self.stopping.set()

    # bookkeeping
    def add(self, step: Step) -> Step:
        self.run.steps.append(step)
        log.info(step.line())
        self.on_step(step)
        self.save()
        return step

    def save(self) -> None:
        record = {
            "program": PROGRAM,
            "date": timeutil.iso(self.date),
            "started": timeutil.iso(int(self.run.started)),
            "pid": os.getpid(),
            "status": self.run.status,
            "steps": [asdict(s) for s in self.run.steps],
        }
        path = self.paths.data / "monitoring" / "lastRun.json"
        atomic.write_text(path, json.dumps(record, indent=1) + "\n")

    def do(self, name: str, target: str, work) -> Step:
        """Run one step: `work()` returns (status, message) or raises; any exception fails it."""
        if self.stop:
            return self.add(Step(name, target, 0.0, "interrupted"))
        began = time.monotonic()
        try:
            status, message = work()
        except Exception as exc:  # noqa: BLE001 - best effort: the next steps run
            if not isinstance(exc, (RequestError, OSError, ValueError)):
                log.exception("step %s %s", name, target)
            status, message = "failed", f"{type(exc).__name__}: {exc}".replace("\n", " ")
        return self.add(Step(name, target, time.monotonic() - began, status, message))

    def periodic(self, kind: str, frequency, work) -> None:
        if not schedule.is_due(self.paths, kind, self.date, frequency.minutes):
            self.add(Step(kind, "", 0.0, "not due"))
            return
        step = self.do(kind, "", work)
        if step.status == "ok":
            keep = self.config.general.nb_auto_updates_logs_to_keep
            schedule.record(self.paths, kind, self.date, frequency.minutes, keep)

    def execute(self, pairs) -> Run:
        time_config = self.config.time
        self.do("machineTags", "", self.machine_tags)
        self.collect(pairs)
        self.transfer()
        self.periodic("dbBackups", time_config.db_backups_frequency, self.backup)
        for language in self.config.general.artifacts_languages or ("en",):
            self.graphics(language)
        self.do("webPages", "", self.web_pages)
        self.periodic("picklecleaner", time_config.pickle_cleaner_frequency, self.pickle_cleaner)
        self.periodic("generalCleaner", time_config.general_cleaner_frequency, self.general_cleaner)
        self.periodic(
            "graphicsCleaner", time_config.general_cleaner_frequency, self.graphics_cleaner
        )
        self.periodic("monitoring", time_config.monitoring_frequency, self.monitoring)
        if self.stop:
            self.run.status = "interrupted"
        else:
            self.run.status = "failed" if self.run.failed else "ok"
            schedule.record(
                self.paths,
                PROGRAM,
                self.date,
                time_config.px_stats_frequency.minutes,
                self.config.general.nb_auto_updates_logs_to_keep,
            )
        self.save()
        return self.run

    # machine-tag change detection (§3.3 step 5)
    def machine_tags(self):
        """Files named after a tag's old machines renamed to its new ones (fileRenamer -m);
        the tags' machines are saved when first seen and after a change fully renamed."""
        state = self.paths.data / "temp" / "previousMachineParameters.json"
        machines = self.config.machines
        tags = self.config.general.source_machines_tags
        current = {tag: list(dict.fromkeys(machines.machines_of(tag))) for tag in tags}
        logins = {m: machines.login_of(m) for ms in current.values() for m in ms}
        try:
            saved = json.loads(state.read_text())["tags"]
        except FileNotFoundError:
            saved = None
        if saved is None:
            atomic.write_text(state, json.dumps({"tags": current, "logins": logins}) + "\n")
            return "ok", "machines of the tags saved"
        changed = [tag for tag in current if tag in saved and saved[tag] != current[tag]]
        renamed, conflicts = 0, []
        for tag in changed:
            old, new = ",".join(saved[tag]), ",".join(current[tag])
            outcome = renamer.run(self.paths, renamer.rename_request("machine", old, new))
            renamed += len(outcome.renamed)
            conflicts += [str(path) for path in outcome.conflicts]
        if conflicts:
            return "failed", f"{len(conflicts)} file(s) not renamed: " + "; ".join(conflicts[:3])
        if changed:
            atomic.write_text(state, json.dumps({"tags": current, "logins": logins}) + "\n")
            return "ok", f"tag(s) {','.join(changed)} changed: {renamed} file(s) renamed"
        return "ok", "no change"

    # collection
    def collect(self, pairs) -> None:
        names = ("localhost", "127.0.0.1", *self.request.local_names)
        is_local = sync.SyncContext(self.paths, None, None, None, names).is_local
        remote = [
            (s, p) for s, p in pairs if not is_local(p) or (self.request.mirror and not is_local(s))
        ]
        if remote:
            self.do("collect", "remote machines", partial(self.sync_remote, remote, names))
        units = [(s.machine, ft) for s, p in pairs if is_local(p) for ft in FILE_TYPES]
        if self.stop or not units:
            return
        # One unit after the other: pickleUpdater spreads a machine's clients over forked
        # workers itself (workers cannot have workers of their own).
        for unit in units:
            if self.stop:
                self.add(Step("collect", f"{unit[0]} {unit[1]}", 0.0, "interrupted"))
                continue
            self.add(pickle_unit(self.paths, self.date, unit, self.stopping.is_set))

    def sync_remote(self, pairs, names):
        with sync.SyncContext.open(self.paths, local_names=names) as context:
            request = sync.UpdateRemotePickles(
                tuple(pairs), self.date, should_stop=self.stopping.is_set
            )
            outcomes = sync.run(context, request)
        bad = [o.line() for o in outcomes if not o.ok and not o.skipped]
        left = sum(o.message == sync.INTERRUPTED for o in outcomes)
        if left:
            done = f"{len(outcomes) - left} of {len(outcomes)} remote step(s) done"
            return "interrupted", "; ".join([done, *bad])
        return ("failed", "; ".join(bad)) if bad else ("ok", f"{len(outcomes)} remote step(s)")

    # database transfer
    def transfer(self) -> None:
        try:
            with file_lock(transfer.run_lock_file(self.paths), wait=False):
                pass
        except LockBusy:
            self.add(Step("transfer", "", 0.0, "skipped", "a transfer is already running"))
            return
        machines = self.config.machines
        for tag in self.config.general.machines_to_backup_in_db:
            request = transfer.transfer_request(self.date, ["All"], [], machines.machines_of(tag))
            self.do("transfer", tag, partial(self._transfer, request))
        for group in self.config.groups:
            if group.file_type not in FILE_TYPES:
                self.add(Step("transfer", group.name, 0.0, "skipped", "trx group"))
                continue
            request = transfer.transfer_request(
                self.date,
                group.members,
                [group.file_type],
                group.machines,
                group=group.name,
                products=group.products,
            )
            self.do("transfer", group.name, partial(self._transfer, request))

    def _transfer(self, request):
        outcomes = transfer.run(
            self.paths, request, now=self.date, should_stop=self.stopping.is_set
        )
        bad = [f"{o.task.name}: {o.message}" for o in outcomes if o.status == "failed"]
        left = sum(o.status == "interrupted" for o in outcomes)
        if left:
            done = f"{len(outcomes) - left} of {len(outcomes)} database set(s) done"
            return "interrupted", "; ".join([done, *bad[:3]])
        if bad:
            return "failed", "; ".join(bad)
        return "ok", f"{sum(o.status == 'updated' for o in outcomes)} set(s) updated"

    # periodic tasks
    def backup(self):
        result = backup.backup(self.paths, self.date, self.config.general.nb_db_backups_to_keep)
        return "ok", f"backup {result.tag}"

    def pickle_cleaner(self):
        days = self.config.general.days_of_pickles_to_keep
        report = cleaners.clean_pickles(self.paths, self.date, days)
        if report.errors:
            return "failed", "; ".join(report.errors)
        return "ok", f"{len(report.deleted)} folder(s) deleted"

    def general_cleaner(self):
        conf = self.paths.etc / "clean_dir.conf"
        if not conf.is_file():
            return "skipped", f"no {conf}"
        report = clean_dir.clean(conf, self.paths.logs)
        if report.errors:
            return "failed", "; ".join(report.errors[:3])
        return "ok", f"{len(report.deleted)} file(s) deleted"

    def graphics_cleaner(self):
        days = self.config.general.days_of_graphics_to_keep
        report = graphics_cleaner.clean(self.paths, graphics_cleaner.Request(days=days))
        if report.errors:
            return "failed", "; ".join(report.errors[:3])
        return "ok", f"{len(report.deleted)} graphic(s) deleted"

    def monitoring(self):
        outcome = monitor.run(
            self.paths, monitor.Request(end=self.date, send_mail=self.request.send_mail)
        )
        if outcome.error:
            return "failed", outcome.error
        return "ok", f"report {outcome.report_file}"

    # graphics of the web pages (§3.5)
    def due(self, word: str) -> bool:
        return schedule.first_of(word, self.date, self.previous)

    def graphics(self, language: str) -> None:
        time_config = self.config.time
        if self.due(time_config.daily_web_page_updates_frequency):
            if self.previous is not None:
                days = [*schedule.missing("days", self.previous, self.date), self.date]
                for moment in days[1:-1]:
                    day = schedule.midnight(moment)
                    self.do(
                        "daily",
                        f"{language} {timeutil.iso(day)}",
                        partial(self.daily, language, day),
                    )
            self.do("daily", language, partial(self.daily, language, self.date))
            self.do("rrd-daily", language, partial(self.rrd, "daily", language, self.date))
        else:
            self.add(Step("daily", language, 0.0, "not due"))
        words = {
            "weekly": (time_config.weekly_web_page_updates_frequency, "weeks"),
            "monthly": (time_config.monthly_web_page_updates_frequency, "months"),
            "yearly": (time_config.yearly_web_page_updates_frequency, "years"),
        }
        for period in RRD_PERIODS:
            word, unit = words[period]
            if not self.due(word):
                self.add(Step(f"rrd-{period}", language, 0.0, "not due"))
                continue
            if self.previous is not None:
                for moment in schedule.missing(unit, self.previous, self.date):
                    self.do(
                        f"rrd-{period}",
                        f"{language} {timeutil.iso(moment)}",
                        partial(self.rrd, period, language, moment),
                    )
            self.do(f"rrd-{period}", language, partial(self.rrd, period, language, self.date))

    def daily(self, language: str, moment: int):
        jobs = daily_graphics.web_jobs(self.paths, self.config, moment)
        outcomes = daily_graphics.draw_all(
            self.paths,
            jobs,
            moment,
            language=language,
            processes=self.request.processes,
            should_stop=self.stopping.is_set,
        )
        bad = [f"{o.job.label}: {o.message}" for o in outcomes if o.status == "failed"]
        left = sum(o.status == "interrupted" for o in outcomes)
        if left:
            done = f"{len(outcomes) - left} of {len(outcomes)} graphic(s) done"
            return "interrupted", "; ".join([done, *bad[:3]])
        if bad:
            return "failed", f"{len(bad)} of {len(outcomes)}: " + "; ".join(bad[:3])
        return "ok", f"{len(outcomes)} graphic(s)"

    def rrd(self, period: str, language: str, moment: int):
        """The RRD graphics of one period for every source tag (daily: the totals only) and,
        but for the daily period, every group."""
        requests = []
        for tag in self.config.general.source_machines_tags:
            machines = self.config.machines.machines_of(tag)
            for file_type in ("tx", "rx"):
                for totals in (False, True) if period != "daily" else (True,):
                    requests.append(
                        rrd_graphics.RRDGraphicsOptions(
                            copy=True,
                            periods=(period,),
                            date=timeutil.iso(moment),
                            file_type=file_type,
                            fixed_current=True,
                            having_run=True,
                            language=language,
                            machines=machines,
                            totals=totals,
                        )
                    )
        groups = tuple(g.name for g in self.config.groups)
        if period != "daily":
            for group in self.config.groups:
                if group.file_type in FILE_TYPES:
                    requests.append(
                        rrd_graphics.RRDGraphicsOptions(
                            clients=(group.name,),
                            copy=True,
                            periods=(period,),
                            date=timeutil.iso(moment),
                            file_type=group.file_type,
                            fixed_current=True,
                            language=language,
                            machines=group.machines,
                        )
                    )
        drawn, bad = 0, []
        for number, options in enumerate(requests):
            if self.stop:
                done = f"{number} of {len(requests)} graphic request(s) done ({drawn} drawn)"
                return "interrupted", "; ".join([done, *bad[:3]])
            try:
                request = rrd_graphics.build_request(options, self.paths, language, groups)
            except RequestError as exc:  # nothing of that kind ran: nothing to draw
                log.info("no %s RRD graphic for %s: %s", period, options.machines, exc)
                continue
            produced = rrd_graphics.produce(
                self.paths, request, now=moment, should_stop=self.stopping.is_set
            )
            for outcome in produced:
                if outcome.ok:
                    drawn += 1
                else:
                    bad.append(f"{outcome.png.name}: {outcome.message}")
        if bad:
            return "failed", f"{len(bad)} failed: " + "; ".join(bad[:3])
        return "ok", f"{drawn} graphic(s)"

    def web_pages(self):
        general = self.config.general
        request = web_pages.Request(
            now=self.date,
            pairs=tuple(general.web_pages_languages) or (("en", "en"),),
            main_language=general.main_application_language,
        )
        outcome = web_pages.run(self.paths, self.config, request)
        return "ok", f"{len(outcome.written)} file(s)"


def pickle_unit(paths: StatsPaths, date: int, unit, should_stop=None) -> Step:
    """pickleUpdater -m machine -f file_type -c All --date date, as a step record; once
    `should_stop()` is true, "interrupted" with the number of clients done."""
    machine, file_type = unit
    began = time.monotonic()
    try:
        request = update.update_request(timeutil.hour_start(date), file_type, machine, ["All"])
        outcomes = update.run(paths, request, should_stop=should_stop)
    except Exception as exc:  # noqa: BLE001 - one unit fails, the others run
        if not isinstance(exc, (RequestError, OSError)):
            log.exception("collection of %s %s", machine, file_type)
        message = str(exc) if isinstance(exc, RequestError) else f"{type(exc).__name__}: {exc}"
        seconds = time.monotonic() - began
        return Step("collect", f"{machine} {file_type}", seconds, "failed", message)
    bad = [f"{o.client}: {o.message}" for o in outcomes if o.status == "failed"]
    seconds = time.monotonic() - began
    left = sum(o.status == "interrupted" for o in outcomes)
    if left:
        done = f"{len(outcomes) - left} of {len(outcomes)} client(s) done"
        message = "; ".join([done, *bad[:3]])
        return Step("collect", f"{machine} {file_type}", seconds, "interrupted", message)
    if bad:
        return Step("collect", f"{machine} {file_type}", seconds, "failed", "; ".join(bad))
    updated = sum(o.status == "updated" for o in outcomes)
    return Step("collect", f"{machine} {file_type}", seconds, "ok", f"{updated} updated")


def run(
    paths: StatsPaths, config, request: StartupRequest, on_step=None, cycle_hook=None, stop=None
) -> Run:
    """The whole run under the instance lock (AlreadyRunning when another holds it). The
    configuration is validated before anything is written (RequestError). `cycle_hook`
    receives the Cycle before its steps start. `stop`: a threading.Event the caller sets
    (on SIGINT or SIGTERM) to have the run stop soon, cleanly (see the module text)."""
    pairs = validate(config)
    with instance_lock(paths):
        cycle = Cycle(paths, config, request, on_step, stop)
        if cycle_hook is not None:
            cycle_hook(cycle)
        return cycle.execute(pairs)
