"""CSV summaries of the RRD archive (spec graphics_web.md §4.7.1, the library behind
csvDataConversion).

One CSV per (period, file type, --machines value): one line per (client or source, machine
set) with the min, max, mean and total of every data type over a day, week, month or year.

* `build_request` validates the options (`CsvOptions`) in the original's order, with its
  messages, raising `RequestError`; `machine_sets` resolves the --machines values (machine
  tags with --machinesAreClusters);
* `plan` gives the lines of the file (`select_rows`), refusing explicit names without a
  database; `select_rows` says which (name, machines) lines the file has: the names whose databases
  were updated during the period on the whole machine set, plus, with --includeGroups, the
  configured groups of the file type whose machines hold the searched ones;
* `row_figures` fetches each database at the resolution of the period (the original passed
  the data type where the period was expected, so only the age of the window counted, B-30)
  and computes the figures as the RRD legend does (`rrd.legend.figures_from_rows`);
* `render` writes the text: fixed column order, values as Python 2's `str()` printed them
  (12 significant digits), `None` when missing — a missing value no longer drops the
  remaining lines of a name (B-30);
* `csv_path` names the file after the window's START; `export` replaces it atomically.

Data are read under their English names; the output language governs the header's type
names, the period folder and the month name only.

The module is longer than most (~480 lines, half of it argument lists as ruff formats them)
because it is the whole command in reading order — options, rows, figures, text, file —
and each part is small and used nowhere else; splitting it would only scatter one pipeline.
"""

from __future__ import annotations

import fnmatch
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from pxstats import i18n
from pxstats.actions import known
from pxstats.actions.errors import RequestError
from pxstats.actions.options import (
    FIXED_BOTH_ERROR,
    LANGUAGE_ERROR,
    all_names,
    check_names,
    date_value,
    file_type_value,
    one_period,
)
from pxstats.paths import StatsPaths, check_name, safe_component, this_host
from pxstats.rrd import graph, schema, windows
from pxstats.rrd.legend import Figures
from pxstats.store import inventory
from pxstats.util import atomic, timeutil
from pxstats.util.locks import named_lock
from pxstats.util.numbers import py2_str

log = logging.getLogger(__name__)

PERIODS = windows.PERIODS

# The column order is normative (the one Python 2.7 gave the original's dictionaries).
COLUMN_TYPES = {
    "tx": ("latency", "bytecount", "errors", "filesOverMaxLatency", "filecount"),
    "rx": ("bytecount", "errors", "filecount"),
}
FIGURES = ("min", "max", "mean", "total")  # never translated
FIRST_COLUMN = {"tx": "clients", "rx": "sources"}  # the same words in French
ON = "on"  # never translated
GENERATED = {"en": "generated filename", "fr": "fichier genere"}
CSV_FOLDER = "csvFiles"  # data folder names are never translated


class ExportError(Exception):
    """The CSV could not be written; the message names the file."""


@dataclass(frozen=True)
class MachineSet:
    """One searched machine set: the --machines value it came from and its machines (a
    tag's machines, or the value itself); names must have run on all of them together."""

    value: str
    machines: tuple[str, ...]

    @property
    def name(self) -> str:
        """The concatenated name used in database names and in the CSV lines."""
        return schema.machines_name(self.machines)


@dataclass(frozen=True)
class Request:
    """A validated csvDataConversion run."""

    period: str
    file_type: str
    start: int
    end: int
    machines_value: str  # --machines as given (names the folder)
    machine_sets: tuple[MachineSet, ...]
    language: str = "en"
    include_groups: bool = False
    groups: tuple = ()  # config.Group objects
    clients: tuple[str, ...] | None = None  # None = every name having run
    unknown_tags: tuple[str, ...] = ()  # --machinesAreClusters values that are no tag

    def types(self) -> tuple[str, ...]:
        return COLUMN_TYPES[self.file_type]


# -- period and names -----------------------------------------------------------------------------


def period_window(
    date: int, period: str, fixed_current: bool = False, fixed_previous: bool = False
) -> tuple[int, int]:
    """[start, end): the calendar period holding `date` (fixedCurrent), the one before it
    (fixedPrevious; the month before January is December), else the 24 h / 7 / 30 / 365
    days ending at `date`. Weeks run Sunday to Sunday."""
    return windows.window(date, period, None, fixed_current, fixed_previous)


def machines_string(value: str) -> str:
    """The folder named after --machines: the value without ',', blanks and quotes."""
    text = value
    for ch in ", \t'\"":
        text = text.replace(ch, "")
    return text


def split_machines(value: str) -> list[str]:
    return [m for m in value.replace(" ", "").replace("'", "").replace('"', "").split(",") if m]


def machine_sets(values, clusters: bool, tags: dict) -> tuple[MachineSet, ...]:
    """One machine set per --machines value. With `clusters`, a value that is a machine tag
    stands for its machines (names must have run on all of them: the database of the
    concatenated machines); any other value is a machine name (possibly already a
    concatenation) used as it is.

    Without `clusters`, several values also stand for those machines together, as
    `--machines` means for transferPickleToRRD and generateRRDGraphics: `pxatx1,pxatx2`
    searches pxatx1, pxatx2 and the databases of both together (`<name>_pxatx1pxatx2`)."""
    sets = []
    for value in values:
        if clusters and value in tags:
            sets.append(MachineSet(value, tuple(tags[value])))
        else:
            sets.append(MachineSet(value, (value,)))
    if not clusters and len(values) > 1:
        sets.append(MachineSet(",".join(values), tuple(values)))
    unique = {}
    for mset in sets:
        unique.setdefault(mset.name, mset)
    return tuple(unique.values())


def unknown_tags(values, clusters: bool, tags: dict) -> list[str]:
    """The --machinesAreClusters values that are no tag (used as machine names)."""
    return [v for v in values if clusters and v not in tags]


# -- the request ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvOptions:
    """The options of csvDataConversion as typed values, before validation."""

    clients: tuple[str, ...] = ()  # () or All first: every name having run
    periods: tuple[str, ...] = ()  # daily / weekly / monthly / yearly asked for
    date: str | None = None  # None: now
    file_type: str = "tx"
    fixed_previous: bool = False
    fixed_current: bool = False
    include_groups: bool = False
    language: str | None = None  # None: the main application language
    machines: str | None = None  # --machines as given; None: this host
    machines_are_clusters: bool = False


@dataclass(frozen=True)
class Settings:
    """What csvDataConversion takes from the configuration files."""

    language: str = "en"  # mainApplicationLanguage
    groups: tuple = ()  # config.Group objects
    tags: dict | None = None  # machine tag -> machines (configForMachines)


def validate_options(options: CsvOptions) -> dict:
    """Checks that need no file, in the original's order (fixed options, period options,
    date, file type), then the names; raises RequestError."""
    if options.fixed_previous and options.fixed_current:
        raise RequestError(FIXED_BOTH_ERROR)
    period = one_period(options.periods)
    if period is None:
        raise RequestError("Please use either the -d -m -w or -y options.")
    date = date_value(options.date)
    start, end = period_window(date, period, options.fixed_current, options.fixed_previous)
    file_type = file_type_value(options.file_type)
    if options.language is not None and options.language.strip() not in i18n.LANGUAGES:
        raise RequestError(LANGUAGE_ERROR)
    machines_value = options.machines if options.machines is not None else this_host()
    machines = split_machines(machines_value)
    if not machines:
        raise RequestError("no machine given")
    clients = list(options.clients)
    all_clients = all_names(clients)
    check_names("machine", machines)
    check_names("machines", [machines_string(machines_value)])
    check_names("client", [] if all_clients else clients)
    return dict(
        period=period,
        start=start,
        end=end,
        file_type=file_type,
        machines_value=machines_value,
        machines=machines,
        clients=None if all_clients else tuple(dict.fromkeys(clients)),
    )


def build_request(options: CsvOptions, settings) -> Request:
    """The whole validation, raising RequestError; writes nothing. `settings(need_tags)`
    gives the `Settings` of the configuration; it is called once the options are valid (so
    an option error is reported before a configuration error), `need_tags` being whether
    the machine tags are needed (--machinesAreClusters)."""
    o = validate_options(options)
    found = settings(options.machines_are_clusters)
    tags = found.tags or {}
    language = options.language.strip() if options.language is not None else found.language
    return Request(
        period=o["period"],
        file_type=o["file_type"],
        start=o["start"],
        end=o["end"],
        machines_value=o["machines_value"],
        machine_sets=machine_sets(o["machines"], options.machines_are_clusters, tags),
        language=language,
        include_groups=options.include_groups,
        groups=tuple(found.groups),
        clients=o["clients"],
        unknown_tags=tuple(unknown_tags(o["machines"], options.machines_are_clusters, tags)),
    )


def plan(paths: StatsPaths, request: Request) -> dict[str, list[str]]:
    """The lines of the request's file (`select_rows`); `known.UnknownName` (naming the
    closest names that have databases there) when an explicitly named client/source has no
    database on the searched machines, or a pattern (* ?) matches none. Warns first about
    the --machinesAreClusters values that are no tag."""
    for value in request.unknown_tags:
        log.warning("%s is not a machine tag of configForMachines; used as a machine name", value)
    rows = select_rows(paths, request)
    if request.clients is not None:
        missing = [c for c in request.clients if not any(_matches(n, c) for n in rows)]
        if missing:
            where = " or ".join(m.name for m in request.machine_sets)
            candidates = set()
            for mset in request.machine_sets:
                candidates.update(
                    inventory.names_having_run(paths, request.file_type, mset.name, 0)
                )
            kind = known.KIND[request.file_type] + (" pattern" if _pattern(missing[0]) else "")
            raise known.unknown(
                kind, missing[0], candidates, f" (no {request.file_type} database on {where})"
            )
    return rows


# -- rows -----------------------------------------------------------------------------------------


def _is_group_of(group, file_type: str, mset: MachineSet) -> bool:
    """A group of the file type (or trx) whose machines hold the searched ones (the searched
    name may also be the group's machines already concatenated)."""
    if group.file_type not in (file_type, "trx") or not group.machines:
        return False
    return set(mset.machines) <= set(group.machines) or mset.name == schema.machines_name(
        group.machines
    )


def _pattern(name: str) -> bool:
    return "*" in name or "?" in name


def _matches(name: str, asked: str) -> bool:
    """Is `name` the asked name, or matched by it when it is a pattern (* and ?)?"""
    return fnmatch.fnmatchcase(name, asked) if _pattern(asked) else name == asked


def _has_database(paths: StatsPaths, file_type: str, name: str, machine: str) -> bool:
    first_type = COLUMN_TYPES[file_type][0]
    return schema.database_for(paths, first_type, name, machine).is_file()


def select_rows(paths: StatsPaths, request: Request) -> dict[str, list[str]]:
    """name -> sorted machine-set names it gets a line for.

    Names: those whose database on the whole machine set was updated at or after the start
    (configured group names excluded); with explicit clients, those names (groups too)
    wherever their database exists, updated or not. With include_groups, every configured
    group of the file type (or trx) whose machines hold the searched machines, on the
    group's machines, when its database exists."""
    group_names = tuple(g.name for g in request.groups)
    rows: dict[str, set[str]] = {}
    for mset in request.machine_sets:
        if request.clients is None:
            names = inventory.names_having_run(
                paths, request.file_type, mset.name, request.start, group_names
            )
        else:
            names = []
            for c in request.clients:
                if _pattern(c):
                    names += [
                        n
                        for n in inventory.names_having_run(paths, request.file_type, mset.name, 0)
                        if _matches(n, c)
                    ]
                elif _has_database(paths, request.file_type, c, mset.name):
                    names.append(c)
        for name in names:
            rows.setdefault(name, set()).add(mset.name)
        if not request.include_groups:
            continue
        for group in request.groups:
            if not _is_group_of(group, request.file_type, mset):
                continue
            if request.clients is not None and not any(
                _matches(group.name, c) for c in request.clients
            ):
                continue
            machine = schema.machines_name(group.machines)
            if _has_database(paths, request.file_type, group.name, machine):
                rows.setdefault(group.name, set()).add(machine)
            else:
                log.warning(
                    "group %s has no %s database on %s; left out",
                    group.name,
                    request.file_type,
                    machine,
                )
    return {name: sorted(machines) for name, machines in sorted(rows.items())}


# -- figures --------------------------------------------------------------------------------------


def row_figures(
    paths: StatsPaths, request: Request, name: str, machine: str, now: int | None = None
) -> dict[str, Figures]:
    """Figures of every data type of one line. The resolution is the finest archive that
    covers the start for the period (rrd.windows.intervals, judged from the database's time
    of update); a missing database gives empty figures (None), an unreadable one (truncated,
    not an RRD) raises ExportError naming it: a CSV with holes is no summary."""
    now = timeutil.now() if now is None else now
    figures = {}
    for data_type in request.types():
        db = schema.database_for(paths, data_type, name, machine)
        if not db.is_file():
            log.warning("no database %s: figures left empty", db)
            figures[data_type] = Figures.empty()
            continue
        fetch_minutes, plot_minutes = windows.intervals(
            request.start, inventory.time_of_update(paths, request.file_type, db), request.period
        )
        try:
            figures[data_type] = graph.fetch_figures(
                db, request.start, request.end, fetch_minutes, plot_minutes, now, strict=True
            )
        except schema.RRDError as exc:
            raise ExportError(f"unreadable database {db}, no CSV written: {exc}") from None
    return figures


# -- text -----------------------------------------------------------------------------------------


def header(file_type: str, language: str = "en", data_types=None) -> str:
    names = i18n.TYPE_NAMES[language]
    cells = [FIRST_COLUMN[file_type]]
    for data_type in data_types or COLUMN_TYPES[file_type]:
        cells += [f"{names[data_type]} {word}" for word in FIGURES]
    return ",".join(cells)


def value_text(value) -> str:
    """The original's cell: Python 2 str() (12 significant digits: '3421.5', not Python 3's
    '3421.5000000000005'; '15000.0', '1e+16'), 'None' when missing."""
    return py2_str(value)


def line(name: str, machine: str, figures: dict, data_types) -> str:
    cells = [f"{name} {ON} {machine}"]
    for data_type in data_types:
        f = figures.get(data_type, Figures.empty())
        cells += [value_text(f.min), value_text(f.max), value_text(f.mean), value_text(f.total)]
    return ",".join(cells)


def render(file_type: str, language: str, lines_figures, data_types=None) -> str:
    """The CSV text: header, then one line per (name, machine, figures) in the order given;
    comma-separated, no quoting, '\\n' line ends."""
    data_types = data_types or COLUMN_TYPES[file_type]
    out = [header(file_type, language, data_types)]
    out += [line(name, machine, figures, data_types) for name, machine, figures in lines_figures]
    return "\n".join(out) + "\n"


# -- file -----------------------------------------------------------------------------------------


def csv_root(paths: StatsPaths) -> Path:
    return paths.data / CSV_FOLDER


def csv_path(
    paths: StatsPaths,
    period: str,
    file_type: str,
    machines_value: str,
    start: int,
    language: str = "en",
) -> Path:
    """data/csvFiles/<period>/<ft>/<machines>/ + daily <YYYY>/<Month>/<DD>.csv,
    weekly <YYYY>/<WW>.csv (%W), monthly <YYYY>/<Month>.csv, yearly <YYYY>.csv, all from the
    window's START; period folder and month name in the output language."""
    folder = check_name("machines", machines_string(machines_value))
    tm = time.gmtime(start)
    year = time.strftime("%Y", tm)
    month = i18n.MONTHS[language][tm.tm_mon - 1]
    if period == "daily":
        tail = Path(year, month, time.strftime("%d", tm) + ".csv")
    elif period == "weekly":
        tail = Path(year, time.strftime("%W", tm) + ".csv")
    elif period == "monthly":
        tail = Path(year, month + ".csv")
    elif period == "yearly":
        tail = Path(year + ".csv")
    else:
        raise ValueError(f"unknown period {period!r}")
    return (
        csv_root(paths)
        / i18n.PERIOD_FOLDERS[language][period]
        / file_type
        / safe_component(folder)
        / tail
    )


def build(
    paths: StatsPaths, request: Request, now: int | None = None, rows: dict | None = None
) -> tuple[Path, str]:
    """(path, text) of the request's CSV; reads the databases, writes nothing. `rows` is
    select_rows' answer when the caller already has it."""
    data_types = request.types()
    rows = select_rows(paths, request) if rows is None else rows
    lines = []
    for name, machines in rows.items():
        for machine in machines:
            lines.append((name, machine, row_figures(paths, request, name, machine, now)))
    text = render(request.file_type, request.language, lines, data_types)
    path = csv_path(
        paths,
        request.period,
        request.file_type,
        request.machines_value,
        request.start,
        request.language,
    )
    return path, text


def export(
    paths: StatsPaths, request: Request, now: int | None = None, rows: dict | None = None
) -> Path:
    """Compute the CSV and replace its file atomically (temp file, fsync, rename)."""
    path, text = build(paths, request, now, rows)
    try:
        with named_lock(paths, "csvDataConversion"):
            atomic.write_text(path, text)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    log.info("generated %s (%d line(s))", path, text.count("\n") - 1)
    return path
