"""The 24-hour graphics of every client and source of some machines, with their daily archive
and Columbo copies: the library behind generateAllGnuGraphicsForMachines (spec
graphics_web.md §3).

`modes` decides individual and/or combined graphics from the machine list and the flags
(§3.1); `jobs_for` lists one `Job` (file type, name, machines) per graphic: for each machine
its tx names then its rx names (individual), or the first machine's names over all the
machines (combined) (§3.2). `draw_all` draws the jobs (`request_for`, then
`graphics.produce`), at most `processes` at a time in worker processes, and returns one
`Outcome` per job in job order: a failing name never stops the others. `web_jobs` lists the
daily family of the web pages: the graphics of every source machine tag and of every
configured group (§3.3).

The names of a machine are those of `collect.names.client_names`, the list pickleUpdater uses for
`-c All`: Sundew's `*.conf` files (this host's etc folder, or the copies under
etc/pxConfigFiles/<ft>/<machine>/ for another machine), else the names of its log files.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pxstats import i18n
from pxstats.actions import graphics
from pxstats.actions.errors import RequestError
from pxstats.collect.names import client_names
from pxstats.gnuplot import render
from pxstats.paths import StatsPaths, check_name
from pxstats.util import pool

log = logging.getLogger(__name__)

MAX_DEFAULT_PROCESSES = 10  # the original's batch size; the default is also capped by CPUs
DAILY_SPAN = 24


def default_processes() -> int:
    """min(CPUs available to this process, 10): each job keeps one CPU busy (Python, then
    gnuplot), so more workers than CPUs only add memory."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_PROCESSES))


# -- what to draw -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One graphic: the client (tx) or source (rx) `name` over `machines` (merged when
    several); with `members`, the group `name` combining those clients or sources, filtered
    by `products`."""

    file_type: str
    name: str
    machines: tuple[str, ...]
    members: tuple[str, ...] = ()
    products: tuple[str, ...] = ("All",)

    @property
    def label(self) -> str:
        kind = "group " if self.members else ""
        return f"{self.file_type} {kind}{self.name} on {','.join(self.machines)}"


def modes(machines, individual: bool = False, combine: bool = False) -> tuple[bool, bool]:
    """(individual, combined) per spec §3.1: one machine => individual only (flags ignored);
    several machines and no flag => combined only; otherwise the flags as given."""
    if len(tuple(machines)) == 1:
        return True, False
    if not individual and not combine:
        return False, True
    return individual, combine


@dataclass(frozen=True)
class DailyRequest:
    """Draw the daily graphics of `machines` ending at `date`."""

    date: int
    machines: tuple[str, ...]
    language: str = "en"
    span: int = DAILY_SPAN
    processes: int | None = None
    individual: bool = True
    combine: bool = False


def daily_request(
    *,
    date: int,
    span: int,
    machines,
    logins,
    language: str | None,
    processes: int | None,
    individual: bool,
    combine: bool,
    main_language: str = "en",
) -> DailyRequest:
    """generateAllGnuGraphicsForMachines' request, checked in the original's order (spec §3.1),
    plus the fixes: an unsupported language is an error (B-03), and the number of processes
    and the machine names are checked."""
    if span < 1:
        raise RequestError("The timespan value needs to be an integer one above 0.")
    machines = list(machines)
    if not machines:
        raise RequestError("No machine given: use -m machine1,machine2.")
    if logins and len(logins) != len(machines):  # unused: checked only when given
        raise RequestError(
            "Number of logins does not match number of machines. "
            "Use -l 'login1,login2,loginX' for multiple machines."
        )
    language = (language if language is not None else main_language).strip()
    if language not in i18n.LANGUAGES:
        raise RequestError(
            f"{language} is not one of the supported languages ({', '.join(i18n.LANGUAGES)})."
        )
    if processes is not None and processes < 1:
        raise RequestError("The number of processes must be an integer above 0.")
    try:
        for machine in machines:
            check_name("machine", machine)
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    if len(set(machines)) != len(machines):
        raise RequestError(f"A machine is listed twice: {','.join(machines)}.")
    individual, combine = modes(machines, individual, combine)
    return DailyRequest(date, tuple(machines), language, span, processes, individual, combine)


def names_of(paths: StatsPaths, file_type: str, machine: str) -> list[str]:
    """The clients (tx) or sources (rx) configured on `machine` (see the module text)."""
    return client_names(paths, file_type, machine)


def jobs_for(
    paths: StatsPaths, machines, individual: bool = False, combine: bool = False, names=names_of
) -> list[Job]:
    """Every graphic to draw, in the original's order: individual jobs machine by machine
    (tx names, then rx names), then combined jobs (the first machine's tx names, then its rx
    names, each over all the machines). `names(paths, file_type, machine)` lists names."""
    machines = tuple(machines)
    do_individual, do_combined = modes(machines, individual, combine)
    jobs: list[Job] = []
    if do_individual:
        for machine in machines:
            for file_type in i18n.FILE_TYPES:
                jobs += [
                    Job(file_type, name, (machine,)) for name in names(paths, file_type, machine)
                ]
    if do_combined:
        for file_type in i18n.FILE_TYPES:
            jobs += [
                Job(file_type, name, machines) for name in names(paths, file_type, machines[0])
            ]
    return jobs


def web_jobs(paths: StatsPaths, config, date: int, names=names_of) -> list[Job]:
    """The daily family of the web pages (§3.3, without the RRD totals): for every source
    machine tag, the graphics generateAllGnuGraphicsForMachines draws for its machines
    (combined when the tag has several), then one combined graphic per configured group.
    A group member with * or ? stands for the names having run in the last 24 hours; a
    trx group, which generateGraphics cannot draw, and a group without member are left out
    with a warning."""
    jobs: list[Job] = []
    for tag in config.general.source_machines_tags:
        machines = config.machines.machines_of(tag)
        if not machines:
            log.warning("Machine tag %s has no machine in configForMachines.", tag)
            continue
        jobs += [job for job in jobs_for(paths, machines, names=names) if job not in jobs]
    group_names = tuple(g.name for g in config.groups)
    for group in config.groups:
        if group.file_type not in i18n.FILE_TYPES:
            log.warning(
                "Group %s (%s) left out of the daily graphics: a graphic is of tx or rx data.",
                group.name,
                group.file_type,
            )
            continue
        members = graphics.expand_names(
            paths, group.members, group.file_type, group.machines, date, DAILY_SPAN, group_names
        )
        if not members:
            log.warning("Group %s left out of the daily graphics: no member ran.", group.name)
            continue
        jobs.append(
            Job(group.file_type, group.name, group.machines, tuple(members), group.products)
        )
    return jobs


# -- drawing ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    job: Job
    status: str  # "drawn", "failed" or "interrupted" (not started: should_stop)
    png: Path | None = None
    copies: list[Path] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0  # time taken to draw it
    started: float = 0.0  # time.monotonic() at its start (system-wide on Linux)
    pid: int = 0  # process that drew it

    @property
    def ok(self) -> bool:
        return self.status == "drawn"


def request_for(
    job: Job, date: int, language: str = "en", span: int = DAILY_SPAN, copy: bool = True
) -> graphics.GraphicRequest:
    """The generateGraphics request of a job: every type of its file type, span hours ending
    at `date`; a group combines its members under its own name."""
    if job.members:
        return graphics.GraphicRequest(
            clients=job.members,
            machines=job.machines,
            end=date,
            span=span,
            file_type=job.file_type,
            products=job.products,
            group=job.name,
            combine=True,
            language=language,
            copy=copy,
        )
    return graphics.GraphicRequest(
        clients=(job.name,),
        machines=job.machines,
        end=date,
        span=span,
        file_type=job.file_type,
        language=language,
        copy=copy,
    )


def draw(
    paths: StatsPaths,
    job: Job,
    date: int,
    language: str = "en",
    span: int = DAILY_SPAN,
    copy: bool = True,
    session: render.Session | None = None,
) -> Outcome:
    """The graphic of one job with its copies; every failure becomes a failed outcome.
    `session`: the long-lived gnuplot to draw with (else one gnuplot for this graphic)."""
    began = time.monotonic()
    outcome = Outcome(job, "failed", started=began, pid=os.getpid())
    try:
        produced = graphics.produce(
            paths, request_for(job, date, language, span, copy), session=session
        )
    except graphics.GraphicError as exc:
        outcome.message = str(exc)
    except ValueError as exc:  # a configured name the graphics refuse
        outcome.message = str(exc)
    except OSError as exc:
        outcome.message = f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    except Exception as exc:  # a bug: keep the other names going, keep the traceback in the log
        log.exception("No graphic for %s", job.label)
        outcome.message = f"unexpected {type(exc).__name__}: {exc} (see the log)"
    else:
        outcome.status, outcome.png, outcome.copies = "drawn", produced.png, produced.copies
    outcome.seconds = time.monotonic() - began
    if not outcome.ok:
        log.error("No graphic for %s: %s", job.label, outcome.message)
    return outcome


def draw_all(
    paths: StatsPaths,
    jobs,
    date: int,
    *,
    language: str = "en",
    span: int = DAILY_SPAN,
    processes: int | None = None,
    copy: bool = True,
    should_stop=None,
) -> list[Outcome]:
    """Every job, at most `processes` at a time (default: `default_processes()`); outcomes in
    job order. With more than one process, the graphics are drawn in forked children
    (util.pool), each drawing one graphic after the other with one long-lived gnuplot
    (gnuplot.render.Session: a gnuplot start-up saved per graphic); a child that crashes or
    is killed fails only the graphic it was drawing, a gnuplot error only its graphic; an
    interrupted run terminates its children (PNGs are always replaced atomically). Once
    `should_stop()` is true no graphic is started: their outcomes say "interrupted"."""
    processes = default_processes() if processes is None else processes
    try:
        return pool.run_each(
            partial(_draw_job, paths, date, language, span, copy),
            jobs,
            processes,
            _failed,
            name="dailygraphics",
            should_stop=should_stop,
            interrupted=_interrupted,
        )
    finally:
        render.close_process_session()  # this process's gnuplot, when it drew jobs itself


def _interrupted(job: Job) -> Outcome:
    return Outcome(job, "interrupted", message="not started: the run was asked to stop")


def _draw_job(
    paths: StatsPaths, date: int, language: str, span: int, copy: bool, job: Job
) -> Outcome:
    # one gnuplot per process draws its jobs one after the other (gnuplot.render.Session)
    return draw(paths, job, date, language, span, copy, render.process_session())


def _failed(job: Job, message: str) -> Outcome:
    outcome = Outcome(job, "failed", message=message)
    log.error("No graphic for %s: %s", job.label, outcome.message)
    return outcome
