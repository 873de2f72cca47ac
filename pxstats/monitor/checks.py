"""The checks of the original statsMonitor, in report order (spec ops.md §5.5), with its
[FIX]es. Each check reads the installation and returns a Section; what must be remembered for
the next report (checksums, crontab, last filled times) goes to `ctx.pending`, which the
action saves only once the report itself is on disk.

Why one module of ~500 lines: the original's checks are kept in report order, each a short
function of the same shape; splitting them would scatter that order.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.config import Config, MonitoringConfig
from pxstats.monitor import columbo, state
from pxstats.monitor.report import Section
from pxstats.monitor.texts import words
from pxstats.paths import StatsPaths, safe_component
from pxstats.store import pickles
from pxstats.util import pool, timeutil
from pxstats.util.timeutil import DAY, HOUR

log = logging.getLogger(__name__)

TX_DAYS = 7  # tx pickles must be kept at least 7 days
STALE = HOUR  # pages and images older than this before the end are stale
CRONTAB_TIMEOUT = 30
PARALLEL_FROM = 200  # pickles: fewer are loaded in this process
MAX_PROCESSES = 4
# The original's stats logs and the programs of the rewrite writing them (data/logs/<p>.log*).
STATS_LOGS = {
    "graphs": ("generateAllGnuGraphicsForMachines", "generateGraphics"),
    "pickling": ("pickleUpdater",),
    "rrd_graphs": ("generateRRDGraphics",),
    "rrd_transfer": ("transferPickleToRRD",),
}


@dataclass
class Context:
    paths: StatsPaths
    conf: MonitoringConfig
    config: Config | None
    start: int
    end: int
    language: str
    items: list[tuple[str, ...]]  # the machines of each monitored item
    names: Callable[[str, str], list[str]]  # (file type, machine) -> names
    max_settings: columbo.MaxSettings | None = None
    statvfs: Callable = os.statvfs
    crontab_command: tuple[str, ...] = ("crontab", "-l")
    pending: dict = field(default_factory=dict)
    _hours: dict = field(default_factory=dict)

    def line(self, key: str, *values) -> str:
        return words(self.language)[key].format(*values)

    @property
    def artifact_languages(self) -> tuple[str, ...]:
        if self.config is None:
            return ("en",)
        return self.config.general.artifacts_languages or ("en",)

    def tx_names(self) -> list[tuple[str, tuple[str, ...]]]:
        """(tx name, machines of its item) for every monitored item, first machine's names."""
        seen, found = set(), []
        for machines in self.items:
            for name in self.names("tx", machines[0]):
                if (name, machines) not in seen:
                    seen.add((name, machines))
                    found.append((name, machines))
        return found

    # -- hourly pickles, loaded once for the gap and latency checks ---------------------------
    def hour(self, name: str, machines: tuple[str, ...], hour: int):
        """(sorted [(minute start, has data)], files over max latency) of the hour over the
        machines, None when no machine has the pickle."""
        key = (name, machines, hour)
        if key not in self._hours:
            self._hours[key] = _load_hour(self.paths, name, machines, hour)
        return self._hours[key]

    def preload(self) -> None:
        """Load at once the hours the gap and latency checks read, in worker processes when
        there are many (unpickling is most of a report's time)."""
        saved = state.last_filled(self.paths)
        keys = []
        for name, machines in self.tx_names():
            first = timeutil.hour_start(min(saved.get(name, self.start), self.start))
            keys += [(name, machines, h) for h in range(first, self.end, HOUR)]
        keys = [k for k in keys if k not in self._hours]
        processes = min(_cpus(), MAX_PROCESSES)
        if len(keys) < PARALLEL_FROM or processes == 1:
            return  # loaded on demand
        chunks = [keys[i::processes] for i in range(processes)]
        paths = self.paths

        def load(chunk):
            return [(key, _load_hour(paths, *key)) for key in chunk]

        for loaded in pool.run_each(
            load, chunks, processes, failed=lambda chunk, why: [], name="monitor"
        ):
            self._hours.update(loaded)  # a failed chunk is loaded on demand


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _load_hour(paths: StatsPaths, name: str, machines, hour: int):
    filled: dict[int, bool] = {}
    over = 0
    found = False
    for machine in machines:
        path = paths.hourly_pickle(name, hour, "tx", machine)
        try:
            collector = pickles.load_collector(path)
        except pickles.PickleError as exc:
            if path.exists():
                log.warning("%s", exc)
            continue
        found = True
        for bucket in collector.buckets:
            rows = len(bucket.times)
            has = rows != 0 and rows != sum(bucket.values.get("errors", ()))
            filled[bucket.start] = filled.get(bucket.start, False) or has
            over += bucket.files_over_max_latency
    if not found:
        return None
    return sorted(filled.items()), over


# -- 5.5.1 disk usage ----------------------------------------------------------------------------


def usage_percent(stat) -> int:
    """df's Use%: used / (used + available to users), rounded up."""
    used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    available = stat.f_bavail * stat.f_frsize
    if used + available <= 0:
        return 0
    return math.ceil(used * 100 / (used + available))


def disk(ctx: Context) -> Section:
    section = Section("disk")
    for folder, maximum in zip(ctx.conf.folders, ctx.conf.max_usages):
        try:
            percent = usage_percent(ctx.statvfs(folder))
        except OSError:
            section.lines.append(ctx.line("disk_unavailable", folder))
            continue
        if percent > maximum:
            section.lines.append(ctx.line("disk_usage", folder, percent))
    return section


# -- 5.5.2 pickle presence -----------------------------------------------------------------------


def _missing(ctx: Context, name: str, file_type: str, machines, first: int) -> list[str]:
    """The day-folder lines of one name: '<day>/*' or '<day>/<ft>/'m_05', 'm_06''."""
    days: dict[Path, list[str]] = {}
    folders: dict[str, Path] = {}  # YYYYMMDD -> day folder (one path built per day)
    prefixes = [ctx.paths.hourly_pickle(name, ctx.end, file_type, m).name[:-2] for m in machines]
    for hour in range(timeutil.hour_start(first), ctx.end, HOUR):
        text = timeutil.iso(hour)
        day = text[:10].replace("-", "")
        if day not in folders:
            folders[day] = ctx.paths.hourly_pickle(name, hour, file_type, machines[0]).parent.parent
        days.setdefault(folders[day], []).extend(p + text[11:13] for p in prefixes)
    lines = []
    for day in sorted(days):
        if not day.is_dir():
            lines.append(f"{day}/*")
            continue
        try:
            present = set(os.listdir(day / file_type))
        except OSError:
            present = set()
        absent = [f for f in days[day] if f not in present]
        if absent:
            lines.append(f"{day}/{file_type}/" + ", ".join(repr(f) for f in absent))
    return lines


def pickle_presence(ctx: Context) -> Section:
    """tx: the last 7 days; rx: the window. Every machine of an item is checked (the
    original checked the first only)."""
    section = Section("pickles")
    firsts = {"tx": ctx.end - TX_DAYS * DAY, "rx": ctx.start}
    for machines in ctx.items:
        for file_type in ("tx", "rx"):
            for name in ctx.names(file_type, machines[0]):
                lines = _missing(ctx, name, file_type, machines, firsts[file_type])
                if lines:
                    section.lines += [ctx.line("pickles_name", name)] + lines
    return section


# -- 5.5.3 data gaps -----------------------------------------------------------------------------


def data_gaps(ctx: Context, error_log: columbo.ErrorLog) -> Section | None:
    """None (no section) without maximum gaps, as the original."""
    if ctx.max_settings is None:
        return None
    section = Section("gaps")
    clients = ctx.tx_names()
    limits = ctx.max_settings.limits_for("PX_TIMERS", [name for name, _ in clients])
    saved = state.last_filled(ctx.paths)
    new = dict(saved)
    for name, machines in clients:
        last_valid = saved.get(name, ctx.start)
        maximum = limits[name] + 5  # minutes, with the 5-minute tolerance
        hours = [
            h
            for h in range(timeutil.hour_start(last_valid), ctx.end, HOUR)
            if ctx.hour(name, machines, h) is not None
        ]
        lines = []
        for index, hour in enumerate(hours):
            entries = ctx.hour(name, machines, hour)[0]
            for position, (minute, has_data) in enumerate(entries):
                if minute <= last_valid and has_data:
                    continue
                last = index == len(hours) - 1 and position == len(entries) - 1
                if (
                    (has_data or last)
                    and (minute - last_valid) // 60 > maximum
                    and not error_log.explains(name, last_valid, minute)
                ):
                    lines.append(
                        ctx.line("gap_line", timeutil.iso(last_valid), timeutil.iso(minute))
                    )
                if has_data:
                    last_valid = minute
        new[name] = last_valid
        if lines:
            section.lines += [f"{name}."] + lines
    ctx.pending["last_filled"] = new
    return section


# -- 5.5.4 stats logs ----------------------------------------------------------------------------


def _rotation(path: Path) -> int:
    suffix = path.name.rpartition(".log")[2].lstrip(".")
    return int(suffix) if suffix.isdigit() else 0


def program_logs(paths: StatsPaths, program: str) -> list[Path]:
    """<program>.log and its rotations, oldest first (numeric order: .10 before .9)."""
    try:
        found = [
            p
            for p in paths.logs.iterdir()
            if p.name == f"{program}.log" or p.name.startswith(f"{program}.log.")
        ]
    except OSError:
        return []
    return sorted(found, key=_rotation, reverse=True)


_LEVELS = (b"[INFO]", b"[WARNING]", b"[ERROR]")


def _stamp(raw: bytes) -> str | None:
    """'YYYY-MM-DD HH:MM:SS' of a log line: the original's 'YYYY-MM-DD HH:MM:SS,mmm ...' or
    this rewrite's 'YYYY-MM-DDTHH:MM:SS.mmmZ ...'; None for a line without one (a traceback)."""
    stamp = raw[:19]
    if (
        len(stamp) != 19
        or stamp[4:5] != b"-"
        or stamp[10:11] not in (b" ", b"T")
        or stamp[13:14] != b":"
        or not stamp[:4].isdigit()
    ):
        return None
    return stamp.decode("ascii", "replace").replace("T", " ")


def _scan_log(path: Path) -> tuple[str | None, str | None, set[str]]:
    """(time of the first line, time of the last INFO/WARNING/ERROR line, hours 'YYYY-MM-DD
    HH' having a line)."""
    first = last = None
    hours: set[str] = set()
    try:
        with open(path, "rb") as handle:
            for raw in handle:
                text = _stamp(raw)
                if text is None:
                    continue
                if first is None:
                    first = text
                hours.add(text[:13])
                if any(level in raw for level in _LEVELS):
                    last = text
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc.strerror)
    return first, last, hours


def stats_logs(ctx: Context) -> Section:
    """Every hour of the window must have a line in each log (the last hour too: the end is
    rounded down, so that hour is over; the original never examined it)."""
    section = Section("statslogs")
    start, end = timeutil.iso(ctx.start), timeutil.iso(ctx.end)
    for name, programs in STATS_LOGS.items():
        files = [p for program in programs for p in program_logs(ctx.paths, program)]
        hours: set[str] = set()
        qualifying = 0
        for path in files:
            first, last, seen = _scan_log(path)
            if first is not None and last is not None and first <= end and last >= start:
                qualifying += 1
                hours |= seen
        if not qualifying:
            if ctx.end - ctx.start >= HOUR:
                section.lines.append(ctx.line("statslogs_none", name, start, end))
            continue
        empty = [
            timeutil.iso(h)
            for h in range(ctx.start, ctx.end, HOUR)
            if timeutil.iso(h)[:13] not in hours
        ]
        if empty:
            section.lines.append(
                ctx.line("statslogs_hours", name, ", ".join(repr(h) for h in empty))
            )
    return section


# -- 5.5.5 file versions -------------------------------------------------------------------------


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(ctx: Context) -> Section:
    section = Section("checksums")
    previous = state.checksums(ctx.paths)
    current: dict[str, str] = {}
    for configured in ctx.conf.files:
        if configured.is_dir():
            try:
                files = sorted(p for p in configured.iterdir() if p.suffix == ".py" and p.is_file())
            except OSError:
                files = []
        elif configured.is_file():
            files = [configured]
        else:
            section.lines.append(ctx.line("not_found", configured))
            continue
        for path in files:
            try:
                digest = md5(path)
            except OSError:
                section.lines.append(ctx.line("not_found", path))
                continue
            current[str(path)] = digest
            if str(path) not in previous:
                section.lines.append(ctx.line("added", path))
            elif previous[str(path)] != digest:
                section.lines.append(ctx.line("changed", path))
    ctx.pending["checksums"] = current
    return section


# -- 5.5.6 crontab -------------------------------------------------------------------------------


def read_crontab(command) -> str:
    """The text of `crontab -l`; '' when the user has none. Raises OSError."""
    try:
        done = subprocess.run(
            list(command),
            check=False,
            capture_output=True,
            timeout=CRONTAB_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise OSError(f"{command[0]} did not answer in {CRONTAB_TIMEOUT} s") from None
    error = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        if "no crontab for" in error.lower():
            return ""
        raise OSError(error.splitlines()[-1] if error else f"exit status {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def runs_startup(text: str) -> bool:
    return any(
        "pxStatsStartup" in line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def crontab(ctx: Context) -> Section:
    """Modified since the last report? Plus a warning when no active line runs
    pxStatsStartup (the original only compared texts)."""
    try:
        text = read_crontab(ctx.crontab_command)
    except OSError as exc:
        reason = (
            f"{ctx.crontab_command[0]}: command not found"
            if isinstance(exc, FileNotFoundError)
            else exc.strerror or str(exc)
        )
        return Section(
            "crontab",
            [ctx.line("crontab_unreadable", reason)],
            problems=True,
            values={"modified": False},
        )
    section = Section("crontab")
    modified = text != state.previous_crontab(ctx.paths)
    if not runs_startup(text):
        section.lines.append(ctx.line("crontab_no_startup"))
    section.problems = modified or bool(section.lines)
    # The heading says "modified" only when it was.
    section.values["modified"] = modified
    ctx.pending["crontab"] = text
    return section


# -- 5.5.7 web pages and 5.5.8 daily graphics ----------------------------------------------------


def page_languages(ctx: Context) -> list[str]:
    """Languages whose html_<lang>/ folder holds period pages: the artifact languages and the
    displayed ones of webPagesLanguages."""
    languages = list(ctx.artifact_languages)
    if ctx.config is not None:
        for displayed, _ in ctx.config.general.web_pages_languages:
            if displayed not in languages:
                languages.append(displayed)
    return languages


def web_pages(ctx: Context) -> Section:
    section = Section("webpages")
    for language in page_languages(ctx):
        folder = ctx.paths.data / "webPages" / f"html_{language}"
        for page in sorted(folder.glob("*Graphs*.html")):
            try:
                mtime = int(page.stat().st_mtime)
            except OSError:
                continue
            if mtime < ctx.end - STALE:
                section.lines.append(ctx.line("page_old", page, timeutil.iso(mtime)))
    return section


def columbo_image(paths: StatsPaths, name: str, language: str) -> Path:
    """webGraphics/columbo/<name>_<language>.png, as the daily graphics name it."""
    for character in "[] '":
        name = name.replace(character, "")
    return paths.web_graphics / "columbo" / safe_component(f"{name}_{language}.png")


def daily_graphics(ctx: Context) -> Section:
    section = Section("graphics")
    names: list[str] = []
    for machines in ctx.items:
        for file_type in ("rx", "tx"):
            names += [n for n in ctx.names(file_type, machines[0]) if n not in names]
    for language in ctx.artifact_languages:
        for name in names:
            image = columbo_image(ctx.paths, name, language)
            try:
                mtime = int(image.stat().st_mtime)
            except OSError:
                section.lines.append(ctx.line("image_missing", image))
                continue
            if mtime < ctx.end - STALE:
                section.lines.append(ctx.line("image_old", name, timeutil.iso(mtime)))
    return section
