"""generateRRDGraphics as an action (spec rrd.md §3): validate the options into a
`GraphRequest`, plan one job per graphic (PNG name, legend figures, `rrdtool graph`
arguments, archive copy), build the totals databases, and draw.

`build_request` does the whole validation of the command (spec §3.2), in the original's
order and with its messages, raising `RequestError`; it reads databases but writes nothing.
`produce` draws the graphics of a request and returns one `Outcome` per attempted PNG; the
caller prints them. The web request page calls `produce` with a request of its own.

About 400 lines, most of them argument lists as ruff formats them: the validation, the
name checks and the planning of one command, which belong together.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from pxstats import i18n
from pxstats.actions import known
from pxstats.actions.errors import RequestError
from pxstats.actions.options import (
    FIXED_BOTH_ERROR,
    all_names,
    check_language,
    check_names,
    date_value,
    file_type_value,
    one_period,
)
from pxstats.collect.names import client_names
from pxstats.paths import StatsPaths, combined_name, this_host
from pxstats.rrd import schema, windows
from pxstats.rrd.graph import TEXT, archive_path, fetch_figures, graph_args, image_path
from pxstats.rrd.runner import GRAPH_TIMEOUT, GraphJob, GraphServers, Outcome, run_jobs
from pxstats.rrd.totals import merge_totals
from pxstats.rrd.windows import intervals
from pxstats.store import inventory
from pxstats.util import timeutil
from pxstats.util.locks import named_lock

__all__ = [
    "GraphJob",
    "GraphRequest",
    "Outcome",
    "RRDGraphicsOptions",
    "RequestError",
    "build_request",
    "plan",
    "plotted_word",
    "produce",
]

REGULAR = "regular"
TOTAL_FOR_MACHINE = "totalForMachine"
SPAN_ERROR = "The timespan value needs to be an integer one above 0."
TOTALS_ONE_ERROR = "Cannot use totals option with only one client/source name."


# -- the request ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphRequest:
    """What to draw, validated by `build_request` (spec §3.2-3.5)."""

    file_type: str
    data_types: tuple
    clients: tuple
    machines: tuple  # one concatenated name each (several with --individual)
    start: int
    end: int
    span: int  # hours
    period: str | None = None  # daily / weekly / monthly / yearly, None for a span
    language: str = "en"
    copy: bool = False
    totals: bool = False
    merger: str | None = None  # REGULAR or TOTAL_FOR_MACHINE with totals


@dataclass(frozen=True)
class RRDGraphicsOptions:
    """The options of generateRRDGraphics as typed values, before validation (the command
    line's lists already split at commas)."""

    clients: tuple[str, ...] = ()  # () or All first: every client/source
    copy: bool = False
    periods: tuple[str, ...] = ()  # daily / weekly / monthly / yearly asked for
    date: str | None = None  # None (or ""): now
    file_type: str = "tx"
    fixed_previous: bool = False
    fixed_current: bool = False
    having_run: bool = False
    individual: bool = False
    language: str | None = None  # None: the main application language
    machines: tuple[str, ...] | None = None  # None: this host
    span: str | int | None = None  # hours, when no period is given
    types: tuple[str, ...] = ()  # () or All first: every type of the file type
    totals: bool = False


def _span(text) -> int:
    try:
        span = int(str(text).strip())
    except ValueError:
        span = 0
    if span < 1:
        raise RequestError(SPAN_ERROR)
    return span


def validate_options(options: RRDGraphicsOptions, default_language: str = "en") -> dict:
    """Checks that need no file, in the original's order (spec §3.2 steps 1-12)."""
    language = options.language if options.language is not None else default_language
    language = check_language(language.strip())
    period = one_period(options.periods)
    if period and options.span is not None:
        raise RequestError(
            "When using the daily, the weekly or the yearly options timespan cannot be specified."
        )
    if not period and (options.fixed_previous or options.fixed_current):
        raise RequestError(
            "When using one of the fixed options, please use either the -d -m -w or -y options."
        )
    if not period and options.copy:
        raise RequestError("Copying can only be used with the -m -w or -y options.")
    if options.fixed_previous and options.fixed_current:
        raise RequestError(FIXED_BOTH_ERROR)
    if options.individual and options.totals:
        raise RequestError("Cannot use the individual and the totals options at the same time.")
    date = date_value(options.date or None)
    span = _span(options.span) if options.span is not None else (None if period else 12)
    start, end, span = windows.graph_window(
        date, period, span, options.fixed_current, options.fixed_previous
    )
    if span < 1:
        raise RequestError(SPAN_ERROR)
    file_type = file_type_value(options.file_type)
    clients = list(options.clients)
    all_clients = all_names(clients)
    if options.having_run and not all_clients:
        raise RequestError(
            "Cannot use the havingRun option while specifying client/source "
            "names. To use havingRun, do not use -c|--client option."
        )
    machines = list(options.machines) if options.machines is not None else [this_host()]
    check_names("machine", machines)
    check_names("client", [] if all_clients else clients)
    if not machines:
        raise RequestError("no machine given")
    return dict(
        language=language,
        period=period,
        start=start,
        end=end,
        span=span,
        file_type=file_type,
        clients=None if all_clients else clients,
        machines=machines,
    )


def names_with_databases(paths: StatsPaths, file_type: str, machines: str) -> set[str]:
    """Clients (tx) or sources (rx) — groups included — that have a database of one of the
    file type's data types on the machine set `machines` (the concatenated name), whatever
    its age; the machine totals `tx`/`rx` are not names."""
    suffix = "_" + machines
    names = set()
    folders = [paths.current_databases / t for t in schema.DATA_TYPES[file_type]]
    for base in folders + [folder / schema.COMBINED for folder in folders]:
        try:
            entries = os.listdir(base)
        except OSError:
            continue
        names.update(
            entry[: -len(suffix)]
            for entry in entries
            if entry.endswith(suffix) and len(entry) > len(suffix)
        )
    return names - {"tx", "rx"}


def _pattern(name: str) -> bool:
    return "*" in name or "?" in name


def named_clients(paths: StatsPaths, names, file_type: str, machine_sets) -> list[str]:
    """The -c names, each having databases of the file type on one of the machine sets;
    a name with '*' or '?' stands for the names with databases that match it (fnmatch).
    A name without databases, or a pattern matching none, is `known.UnknownName` naming the
    closest known names (a misspelt client used to give a failed or blank graphic)."""
    candidates = set()
    for machines in machine_sets:
        candidates |= names_with_databases(paths, file_type, machines)
    where = f" (no {file_type} database on {' or '.join(machine_sets)})"
    kind = known.KIND[file_type]
    chosen: list[str] = []
    for name in names:
        if _pattern(name):
            matches = sorted(n for n in candidates if fnmatch.fnmatchcase(n, name))
            if not matches:
                raise known.unknown(f"{kind} pattern", name, candidates, where)
        elif name in candidates:
            matches = [name]
        else:
            raise known.unknown(kind, name, candidates, where)
        chosen += [m for m in matches if m not in chosen]
    return chosen


def data_types(asked, file_type: str) -> tuple[str, ...]:
    """The data types asked for (French names accepted), every one of the file type for
    none or All."""
    valid = schema.DATA_TYPES[file_type]
    asked = [i18n.FROM_FRENCH_TYPES.get(t, t) for t in asked]
    if all_names(asked):
        return tuple(valid)
    bad = [t for t in asked if t not in valid]
    if bad:
        raise RequestError(
            f"With {file_type} fileType, possible data types values are : "
            f"{', '.join(valid)} (got {', '.join(bad)})"
        )
    return tuple(dict.fromkeys(asked))


def build_request(
    options: RRDGraphicsOptions, paths: StatsPaths, default_language: str = "en", groups=()
) -> GraphRequest:
    """The whole validation (spec §3.2), raising RequestError; reads databases but writes
    nothing. `groups`: the configured group names (left out of the names having run)."""
    o = validate_options(options, default_language)
    file_type, machines = o["file_type"], o["machines"]
    types = data_types(options.types, file_type)
    if o["clients"] is not None:
        if options.totals and len(o["clients"]) == 1 and not _pattern(o["clients"][0]):
            raise RequestError(TOTALS_ONE_ERROR)
        sets = machines if options.individual else [schema.machines_name(machines)]
        clients = named_clients(paths, o["clients"], file_type, sets)
        merger = REGULAR if options.totals else None
    elif options.totals or options.having_run:
        clients = inventory.names_having_run(
            paths, file_type, schema.machines_name(machines), o["start"], groups
        )
        merger = TOTAL_FOR_MACHINE if options.totals else None
    else:
        clients = client_names(paths, file_type, machines[0])
        merger = None
    if not options.individual:
        machines = [schema.machines_name(machines)]
    if not clients:
        raise RequestError("No client/sources were found that matched the specified parameters")
    if options.totals and len(clients) == 1:
        raise RequestError(TOTALS_ONE_ERROR)
    return GraphRequest(
        file_type=file_type,
        data_types=types,
        clients=tuple(clients),
        machines=tuple(machines),
        start=o["start"],
        end=o["end"],
        span=o["span"],
        period=o["period"],
        language=o["language"],
        copy=options.copy,
        totals=options.totals,
        merger=merger,
    )


def plotted_word(language: str) -> str:
    """'Plotted' in the output language: the word of each line of the command's output."""
    return TEXT[language]["plotted"]


# -- jobs -----------------------------------------------------------------------------------------


def make_job(
    paths: StatsPaths,
    request: GraphRequest,
    data_type: str,
    db: Path,
    name: str,
    machine: str,
    fetch_minutes: int,
    plot_minutes: int,
    now: int,
) -> GraphJob:
    png = image_path(
        paths,
        request.file_type,
        name,
        request.end,
        data_type,
        request.span,
        machine,
        request.language,
    )
    figures = fetch_figures(db, request.start, request.end, fetch_minutes, plot_minutes, now)
    args = graph_args(
        png,
        db,
        data_type,
        name,
        request.start,
        request.end,
        request.span,
        plot_minutes,
        request.period,
        figures,
        request.language,
    )
    copy_to = None
    if request.copy:
        machine_totals = machine if request.merger == TOTAL_FOR_MACHINE else None
        copy_to = archive_path(
            paths,
            request.period,
            request.file_type,
            name,
            data_type,
            request.start,
            request.language,
            machine_totals,
        )
    return GraphJob(png, args, copy_to, inputs=(db,))  # redrawn only when they change


def totals_names(request: GraphRequest) -> tuple[str, str]:
    """(name in titles and images, name of the merged databases)."""
    if request.merger == TOTAL_FOR_MACHINE:
        return request.file_type, request.file_type
    return "".join(request.clients), combined_name(list(request.clients))


def iter_plan(paths: StatsPaths, request: GraphRequest, now: int):
    """Jobs of a non-totals request, machine by machine, client by client, type by type
    (lazily: drawing starts while the next legends are computed)."""
    for machine in request.machines:
        for client in request.clients:
            for data_type in request.data_types:
                db = schema.database_for(paths, data_type, client, machine)
                fetch_minutes, plot_minutes = intervals(
                    request.start,
                    inventory.time_of_update(paths, request.file_type, db),
                    request.period,
                )
                yield make_job(
                    paths, request, data_type, db, client, machine, fetch_minutes, plot_minutes, now
                )


def plan(paths: StatsPaths, request: GraphRequest, now: int) -> list[GraphJob]:
    return list(iter_plan(paths, request, now))


def produce(
    paths: StatsPaths,
    request: GraphRequest,
    now: int | None = None,
    workers: int | None = None,
    timeout: float = GRAPH_TIMEOUT,
    pipe_mode: bool = True,
    should_stop=None,
) -> list[Outcome]:
    """Every graphic of the request; one Outcome per attempted PNG, in the original's order.
    `pipe_mode=False` draws each graphic in a new `rrdtool graph` child (benchmarks). Once
    `should_stop()` is true no graphic is planned or started: those are not attempted (no
    Outcome); the ones being drawn finish."""
    now = timeutil.now() if now is None else now
    with GraphServers() as servers:
        if not request.totals:
            jobs = iter_plan(paths, request, now)
            if should_stop is not None:
                jobs = _until(should_stop, jobs)
            return run_jobs(jobs, workers, timeout, servers, pipe_mode, should_stop)
        name, db_name = totals_names(request)
        outcomes = []
        for machine in request.machines:
            if should_stop is not None and should_stop():
                break
            with named_lock(paths, f"rrd_totals_{request.file_type}_{db_name}_{machine}"):
                last_update = inventory.first_time_of_update(
                    paths, request.file_type, request.clients, machine
                )
                merged = merge_totals(
                    paths,
                    request.file_type,
                    request.data_types,
                    request.clients,
                    machine,
                    request.start,
                    request.end,
                    request.period,
                    db_name,
                    last_update,
                )
                jobs = [
                    make_job(
                        paths,
                        request,
                        t,
                        merged.databases[t],
                        name,
                        machine,
                        merged.fetch_minutes,
                        merged.plot_minutes,
                        now,
                    )
                    for t in request.data_types
                ]
                outcomes += run_jobs(jobs, workers, timeout, servers, pipe_mode, should_stop)
        return outcomes


def _until(should_stop, jobs):
    """The jobs until `should_stop()` is true."""
    for job in jobs:
        if should_stop():
            return
        yield job
