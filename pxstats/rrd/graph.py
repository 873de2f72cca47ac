"""RRD graphics: the `rrdtool graph` call, PNG and archive names, totals databases
(spec rrd.md §3, the library behind generateRRDGraphics).

* `graph_args` builds the exact argument list of one graphic; it does no I/O, so tests pin it.
  Every ':' of COMMENT and legend text, and of the database path in DEF, goes through
  `escape_colons` (rrdtool 1.7.2 rejects raw colons there and can abort on them).
* `produce` draws the graphics of a request in child processes (a crash in librrd cannot kill
  the caller): a few long-lived `rrdtool -` children in pipe mode (`GraphServer`), one
  command line per graphic, which saves the ~40 ms start-up (exec, libraries, fonts) that a
  new `rrdtool graph` process costs per PNG. Each PNG is written to a temp name then
  renamed, copied atomically into the web archive with `--copy`; failures are reported,
  never hidden.
* `merge_totals` builds the throw-away totals databases under `<type>/combined/`: sums per
  interval, latency weighted by each member's file count, values stored at the END of the
  interval they describe (the original shifted them one interval early).
* `names_having_run` lists the clients/sources whose databases were updated since a time.

Folder and file names of the DATA (databases, time-of-update files) are never translated;
the output (PNG names, archive copies, titles, legends) follows the output language.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import selectors
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pxstats import i18n
from pxstats.util import atomic, timeutil
from pxstats.util.locks import named_lock
from pxstats.paths import StatsPaths, combined_name, safe_component
from pxstats.rrd import schema
from pxstats.rrd.legend import Figures, comment_texts, figures_from_rows, format_figures
from pxstats.rrd.windows import intervals, span_parts

log = logging.getLogger(__name__)

GRAPH_TIMEOUT = schema.GRAPH_TIMEOUT     # seconds allowed to one `rrdtool graph`
WIDTH, HEIGHT = 800, 200
MONTHLY_X_GRID = "HOUR:24:DAY:1:DAY:1:0:%d"

REGULAR = "regular"
TOTAL_FOR_MACHINE = "totalForMachine"


@dataclass(frozen=True)
class Style:
    head: dict
    label: dict
    area: str
    line: str


STYLES = {
    "latency": Style({"en": "Averaged latency per minute", "fr": "Latence moyenne par minute"},
                     {"en": "Latency(seconds)", "fr": "Latence(en secondes)"},
                     "#cd5c5c", "#8b0000"),
    "filesOverMaxLatency": Style({"en": "Latencies over 15 seconds",
                                  "fr": "Latence au dessus de 15 secondes"},
                                 {"en": "Files/Minute", "fr": "Fichiers/Minute"},
                                 "#cd5c5c", "#8b0000"),
    "bytecount": Style({"en": "Bytes/Minute", "fr": "Bytes/Minute"},
                       {"en": "Bytes/Minute", "fr": "Bytes/Minute"}, "#019EFF", "#080166"),
    "filecount": Style({"en": "Files/Minute", "fr": "Fichiers/Minute"},
                       {"en": "Files/Minute", "fr": "Fichiers/Minute"}, "#019EFF", "#080166"),
    "errors": Style({"en": "Errors/Minute", "fr": "Erreurs/Minute"},
                    {"en": "Errors/Minute", "fr": "Erreurs/Minute"}, "#54DE4F", "#1C4A1A"),
}

TEXT = {
    "en": {"for": "for", "span": "for a span of", "ending": "ending at", "others": "others",
           "on": "on", "totals": "totals", "plotted": "Plotted",
           "title_units": {"years": "year(s)", "months": "month(s)", "days": "day(s)",
                           "hours": "hours"},
           "name_units": {"years": "years", "months": "months", "days": "days",
                          "hours": "hours"}},
    "fr": {"for": "pour", "span": "pour une duree de", "ending": "se terminant le",
           "others": "autres", "on": "sur", "totals": "totaux", "plotted": "Dessiné",
           "title_units": {"years": "annee(s)", "months": "mois", "days": "jour(s)",
                           "hours": "heures"},
           "name_units": {"years": "annees", "months": "mois", "days": "jours",
                          "hours": "heures"}},
}


# -- pure parts -----------------------------------------------------------------------------------

def escape_colons(text: str) -> str:
    """THE escaping of text given to rrdtool inside a colon-separated argument (COMMENT and
    legend text, the database path of DEF): every ':' becomes '\\:'."""
    return str(text).replace(":", "\\:")


def title(data_type: str, name: str, span_hours: int, end: int, language: str = "en") -> str:
    """'<Head> for <name> for a span of <n> <unit> ending at <end ISO>.'"""
    words = TEXT[language]
    n, unit = span_parts(span_hours)
    return (f"{STYLES[data_type].head[language]} {words['for']} {name} {words['span']} "
            f"{n} {words['title_units'][unit]} {words['ending']} {timeutil.iso(end)}.")


def graph_args(png: Path | str, db: Path | str, data_type: str, name: str, start: int, end: int,
               span_hours: int, plot_minutes: int, period: str | None, figures: Figures,
               language: str = "en") -> list[str]:
    """Arguments of `rrdtool graph` for one graphic (spec §3.9), PNG path first."""
    style = STYLES[data_type]
    t = data_type
    args = [str(png), "--imgformat", "PNG", "--width", str(WIDTH), "--height", str(HEIGHT),
            "--start", str(int(start)), "--end", str(int(end)), "--step", str(plot_minutes * 60),
            "--vertical-label", style.label[language],
            "--title", title(data_type, name, span_hours, end, language),
            "--lower-limit", "0",
            f"DEF:{t}={escape_colons(db)}:{t}:AVERAGE",
            f"CDEF:realValue={t},1,*",
            f"AREA:realValue{style.area}:{escape_colons(t)}",
            f"LINE1:realValue{style.line}:{escape_colons(t)}"]
    if period == "monthly":
        args += ["--x-grid", MONTHLY_X_GRID]
    first, second = comment_texts(data_type, format_figures(data_type, figures, language),
                                  plot_minutes, language)
    args += ["COMMENT:" + escape_colons(first), "COMMENT:" + escape_colons(second)]
    return args


def _strip(text: str) -> str:
    """The original removed '[', ']', blanks and quotes from image names."""
    for ch in "[] '":
        text = text.replace(ch, "")
    return text


def image_path(paths: StatsPaths, file_type: str, name: str, end: int, data_type: str,
               span_hours: int, machine: str, language: str = "en") -> Path:
    """graphics/others/rrd/<name>/<ft>_<name>_<YYYYMMDD_HH:MM:SS>_<type>_<n><units>_on_<M>.png
    (fr: autres/rrd/..._sur_<M>.png, French type and units)."""
    words = TEXT[language]
    n, unit = span_parts(span_hours)
    date = timeutil.iso(end).replace("-", "").replace(" ", "_")
    file_name = (f"{file_type}_{name}_{date}_{i18n.TYPE_NAMES[language][data_type]}_"
                 f"{n}{words['name_units'][unit]}_{words['on']}_{machine}.png")
    return (paths.graphics / words["others"] / "rrd" / safe_component(_strip(name))
            / safe_component(_strip(file_name)))


def archive_path(paths: StatsPaths, period: str, file_type: str, name: str, data_type: str,
                 start: int, language: str = "en", totals_machine: str | None = None) -> Path:
    """Web archive copy (spec §3.11), named after the window START:
    daily <Y>/<Month>/<type>/<DD>.png, weekly <Y>/<type>/<%W>.png,
    monthly <Y>/<type>/<Month>.png, yearly <type>/<Y>.png; under
    archives/<period>/<ft>/<name>/ or, for machine totals, archives/<period>/totals/<M>/<ft>/."""
    tm = time.gmtime(start)
    year = time.strftime("%Y", tm)
    month = i18n.MONTHS[language][tm.tm_mon - 1]
    kind = i18n.TYPE_NAMES[language][data_type]
    if period == "daily":
        tail = Path(year, month, kind, time.strftime("%d", tm) + ".png")
    elif period == "weekly":
        tail = Path(year, kind, time.strftime("%W", tm) + ".png")
    elif period == "monthly":
        tail = Path(year, kind, month + ".png")
    elif period == "yearly":
        tail = Path(kind, year + ".png")
    else:
        raise ValueError("archive copies exist only for daily, weekly, monthly and yearly graphics")
    base = paths.graphics_archives / i18n.PERIOD_FOLDERS[language][period]
    if totals_machine is not None:
        base = base / TEXT[language]["totals"] / safe_component(totals_machine) / file_type
    else:
        base = base / file_type / safe_component(name)
    return base / tail


# -- databases ------------------------------------------------------------------------------------

def time_of_update(paths: StatsPaths, file_type: str, database: Path) -> int:
    """The database's time of update; 0 (with a warning) when its file is unreadable."""
    try:
        return schema.read_time_of_update(schema.time_of_update_path(paths, file_type, database))
    except schema.RRDError as exc:
        log.warning("%s", exc)
        return 0


def names_having_run(paths: StatsPaths, file_type: str, machines: str, start: int,
                     groups=()) -> list[str]:
    """Clients (tx: databases under latency/) or sources (rx: under bytecount/) of the machine
    set `machines` (the concatenated name) whose time of update is at or after `start`.

    Names are the database names minus the known '_<machines>' suffix (the original cut at the
    last '_' and matched '*_<machines>*', taking other machine sets too); configured group
    names are excluded by exact match, and so are the machine totals 'rx' and 'tx'."""
    folder = paths.current_databases / ("latency" if file_type == "tx" else "bytecount")
    suffix = "_" + machines
    excluded = set(groups) | {"rx", "tx"}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    names = []
    for entry in entries:
        name = entry.name
        if not name.endswith(suffix) or len(name) == len(suffix) or not entry.is_file():
            continue
        client = name[:-len(suffix)]
        if client in excluded:
            continue
        if time_of_update(paths, file_type, entry) >= start:
            names.append(client)
    return sorted(set(names))


def database_for(paths: StatsPaths, data_type: str, client: str, machine: str) -> Path:
    """<type>/<client>_<M>; a group's database has the same form. When it is missing but an
    ad-hoc combination of exactly that name exists under combined/, that one."""
    regular = schema.db_path(paths, data_type, client, [machine])
    if not regular.exists():
        combined = schema.combined_db_path(paths, data_type, client, [machine])
        if combined.exists():
            return combined
    return regular


def resample(first: int, step: int, values, stamps: list[int], width: int) -> list:
    """Values of the intervals (ts - width, ts] for each ts of `stamps` (evenly spaced by
    `width`), from binding rows (row i covers (first + i*step, first + (i+1)*step]): finer rows
    are averaged (known ones only), a coarser row gives its value to every interval it covers."""
    out: list = [None] * len(stamps)
    if not stamps:
        return out
    base = stamps[0] - width
    if step <= width and width % step == 0 and (first - base) % step == 0:
        # Rows aligned on the intervals (the usual case): interval j holds rows
        # j*r - a ... (j+1)*r - a - 1, r rows per interval, a = rows between base and first.
        r, a = width // step, (first - base) // step
        if r == 1:
            low, high = max(0, a), min(len(stamps), len(values) + a)
            if low < high:
                out[low:high] = [None if v is None or v != v else v
                                 for v in values[low - a:high - a]]
            return out
        for j in range(max(0, a // r), len(stamps)):
            low = j * r - a
            if low >= len(values):
                break
            known = [v for v in values[max(0, low):low + r] if v is not None and v == v]
            if known:
                out[j] = sum(known) / len(known)
        return out
    if step <= width:
        sums = [0.0] * len(stamps)
        counts = [0] * len(stamps)
        for i, v in enumerate(values):
            if v is None or math.isnan(v):
                continue
            j = -(-(first + (i + 1) * step - base) // width) - 1
            if 0 <= j < len(stamps):
                sums[j] += v
                counts[j] += 1
        return [s / c if c else None for s, c in zip(sums, counts)]
    for j, ts in enumerate(stamps):
        i = -(-(ts - first) // step) - 1
        if 0 <= i < len(values) and values[i] is not None and not math.isnan(values[i]):
            out[j] = values[i]
    return out


def merge_values(data_type: str, columns: list[list], filecounts: list[list] | None = None) -> list:
    """One merged value per interval. Sums of the members' known values; latency is the mean
    weighted by each member's file count (0 when no file moved). Unknown when no member has
    a value (the original wrote 0 there)."""
    if not columns:
        return []
    merged = []
    if data_type == "latency":
        if not filecounts:
            return [None] * len(columns[0])
        for values, counts in zip(zip(*columns), zip(*filecounts)):
            weighted = files = 0.0
            known = False
            for v, fc in zip(values, counts):
                if v is not None and fc is not None:
                    weighted += v * fc
                    files += fc
                    known = True
            merged.append((weighted / files if files else 0.0) if known else None)
        return merged
    for values in zip(*columns):
        known = [v for v in values if v is not None]
        merged.append(sum(known) if known else None)
    return merged


MERGED_ROWS = {1: 7200, 60: 336, 240: 1460, 1440: 3650}


@dataclass
class MergedSet:
    databases: dict            # data type -> Path
    last_update: int
    fetch_minutes: int
    plot_minutes: int


def merge_totals(paths: StatsPaths, file_type: str, data_types, clients, machine: str,
                 start: int, end: int, period: str | None, db_name: str) -> MergedSet:
    """(Re)build combined/<db_name>_<machine> for each data type from the members' databases.

    The time of update is the first member's that has one (the original looped forever when
    the first member had none). Interval values are stored at the end of their interval,
    start + (i+1)*f, aligned on multiples of f; the database starts at the first interval's
    start so no interval is lost to the heartbeat."""
    last_update = 0
    for client in clients:
        last_update = time_of_update(paths, file_type, schema.db_path(paths, "bytecount", client,
                                                                      [machine]))
        if last_update:
            break
    fetch_minutes, plot_minutes = intervals(start, last_update, period)
    width = fetch_minutes * 60
    first = start - start % width
    count = max(1, -(-(end - first) // width))
    stamps = [first + (j + 1) * width for j in range(count)]
    needed = list(dict.fromkeys(list(data_types)
                                + (["filecount"] if "latency" in data_types else [])))
    columns: dict[str, list] = {}
    for data_type in needed:
        columns[data_type] = []
        for client in clients:
            db = database_for(paths, data_type, client, machine)
            try:
                (row0, _, step), values = schema.fetch(db, "AVERAGE", width, first, stamps[-1])
            except schema.RRDError as exc:
                log.warning("totals %s: member left out: %s", db_name, exc)
                columns[data_type].append([None] * count)
                continue
            columns[data_type].append(resample(row0, step, values, stamps, width))
    databases = {}
    rows = max(MERGED_ROWS.get(fetch_minutes, 3650), count + 1)
    for data_type in data_types:
        merged = merge_values(data_type, columns[data_type], columns.get("filecount"))
        path = schema.combined_db_path(paths, data_type, db_name, [machine])
        schema.create_merged(path, data_type, first, width, rows)
        schema.update(path, zip(stamps, merged))
        databases[data_type] = path
    if databases:
        any_db = next(iter(databases.values()))
        schema.write_time_of_update(schema.time_of_update_path(paths, file_type, any_db),
                                    last_update)
    return MergedSet(databases, last_update, fetch_minutes, plot_minutes)


# -- jobs -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GraphRequest:
    """What to draw, validated by the command line (spec §3.2-3.5)."""
    file_type: str
    data_types: tuple
    clients: tuple
    machines: tuple                 # one concatenated name each (several with --individual)
    start: int
    end: int
    span: int                       # hours
    period: str | None = None       # daily / weekly / monthly / yearly, None for a span
    language: str = "en"
    copy: bool = False
    totals: bool = False
    merger: str | None = None       # REGULAR or TOTAL_FOR_MACHINE with totals


@dataclass
class GraphJob:
    png: Path
    args: list
    copy_to: Path | None = None


@dataclass
class Outcome:
    png: Path
    ok: bool
    message: str = ""
    copy: Path | None = None
    size: tuple = field(default=(0, 0))


def fetch_figures(db: Path, start: int, end: int, fetch_minutes: int, plot_minutes: int,
                  now: int) -> Figures:
    """Legend figures from the database (spec §3.7, intended definition): rows at the fetch
    resolution up to the end, or up to the start of the current hour for a window that is
    not over yet."""
    real_end = min(end, timeutil.hour_start(now)) if end > now else end
    width = fetch_minutes * 60
    fetch_end = real_end - real_end % width
    if fetch_end <= start:
        return Figures.empty()
    try:
        (first, _, step), values = schema.fetch(db, "AVERAGE", width, start, fetch_end)
    except schema.RRDError as exc:
        log.warning("legend figures: %s", exc)
        return Figures.empty()
    return figures_from_rows(first, step, values, start, real_end, plot_minutes)


def make_job(paths: StatsPaths, request: GraphRequest, data_type: str, db: Path, name: str,
             machine: str, fetch_minutes: int, plot_minutes: int, now: int) -> GraphJob:
    png = image_path(paths, request.file_type, name, request.end, data_type, request.span,
                     machine, request.language)
    figures = fetch_figures(db, request.start, request.end, fetch_minutes, plot_minutes, now)
    args = graph_args(png, db, data_type, name, request.start, request.end, request.span,
                      plot_minutes, request.period, figures, request.language)
    copy_to = None
    if request.copy:
        machine_totals = machine if request.merger == TOTAL_FOR_MACHINE else None
        copy_to = archive_path(paths, request.period, request.file_type, name, data_type,
                               request.start, request.language, machine_totals)
    return GraphJob(png, args, copy_to)


def totals_names(request: GraphRequest) -> tuple[str, str]:
    """(name in titles and images, name of the merged databases)."""
    if request.merger == TOTAL_FOR_MACHINE:
        return request.file_type, request.file_type
    return "".join(request.clients), combined_name(list(request.clients))


# -- rrdtool children -----------------------------------------------------------------------------

SERVER_GRAPHS = 500         # a pipe-mode child is replaced after this many graphics
_QUOTE_RUNS = re.compile(rb'"+|[^"]+')


def pipe_quote(arg) -> bytes:
    """One argument written so that `rrdtool -` (pipe mode) reads it back exactly.

    Pipe mode splits a command line at blanks; a '"' or "'" opens a quoted part that only the
    same character closes (the other quote is literal inside it), quoted parts that touch
    form one argument, and there is no backslash escape (rrdtool 1.7.2's CreateArgs, checked
    in tests). So the argument is cut into runs of '"', each quoted with ', and runs without
    '"', each quoted with ": every other byte (blanks, tabs, backslashes, the '\\:' escapes,
    non-ASCII) passes unchanged. A line cannot carry a newline or a NUL: ValueError."""
    data = os.fsencode(arg)
    if b"\n" in data or b"\0" in data:
        raise ValueError("an rrdtool argument with a newline or NUL cannot go on a line")
    if not data:
        return b'""'
    return b"".join(b"'" + run + b"'" if run[:1] == b'"' else b'"' + run + b'"'
                    for run in _QUOTE_RUNS.findall(data))


class GraphServer:
    """A long-lived `rrdtool -` child process that draws one graphic per command line.

    The drawing is `rrdtool graph <args>` by the same binary with TZ=UTC (the PNGs are
    byte-identical), still in a child process: a crash of librrd fails the graphic being
    drawn ("killed by signal N") and the next graphic starts a new child. A graphic without
    an answer within its timeout kills the child. After an ERROR answer the child is
    replaced too, so nothing it might still print is taken for the next answer, and after
    SERVER_GRAPHS graphics (bounds whatever librrd leaks). Arguments a line cannot carry go
    to a one-off `rrdtool graph` child. One caller at a time (`GraphServers` hands them out)."""

    def __init__(self, max_graphs: int = SERVER_GRAPHS):
        self._process: subprocess.Popen | None = None
        self._selector: selectors.BaseSelector | None = None
        self._count = 0
        self._max = max_graphs

    def graph(self, args: list, timeout: float = GRAPH_TIMEOUT) -> tuple[int, int]:
        """Same contract as schema.graph: the image (width, height), or RRDError."""
        try:
            line = b"graph " + b" ".join(pipe_quote(str(a)) for a in args) + b"\n"
        except ValueError:
            return schema.graph([str(a) for a in args], timeout)
        if (self._process is None or self._process.poll() is not None
                or self._count >= self._max):
            self.close()
            self._start()
        self._count += 1
        try:
            answer, in_step = self._exchange(line, time.monotonic() + timeout)
        except _NoAnswer:
            self._kill()
            raise schema.RRDError(f"rrdtool graph: no answer after {timeout} s") from None
        except _Died:
            returncode = self._kill()
            why = (f"killed by signal {-returncode}" if returncode and returncode < 0
                   else f"exit status {returncode}")
            raise schema.RRDError(f"rrdtool graph: {why}") from None
        last = answer[-1]
        if not in_step:
            self.close()                    # more than one answer: never reuse this child
        if last.startswith(b"ERROR:"):
            self.close()
            message = last[len(b"ERROR:"):].strip().decode("utf-8", "replace")
            raise schema.RRDError(f"rrdtool graph: {message or 'error'}")
        for output in reversed(answer[:-1]):
            size = re.fullmatch(rb"\s*(\d+)x(\d+)\s*", output)
            if size:
                return int(size.group(1)), int(size.group(2))
        self.close()
        raise schema.RRDError(f"rrdtool graph: unexpected answer {b' '.join(answer)!r}")

    def _start(self) -> None:
        try:
            self._process = subprocess.Popen(
                [schema.RRDTOOL, "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, env=dict(os.environ, TZ="UTC"), bufsize=0)
        except OSError as exc:
            self._process = None
            raise schema.RRDError(f"cannot run {schema.RRDTOOL}: {exc.strerror}") from None
        os.set_blocking(self._process.stdin.fileno(), False)
        os.set_blocking(self._process.stdout.fileno(), False)
        self._selector = selectors.DefaultSelector()
        self._count = 0

    def _exchange(self, line: bytes, deadline: float) -> tuple[list[bytes], bool]:
        """Write the command, read up to its final line ('OK ...' or 'ERROR: ...'):
        (the answer lines, the final one last; False when more followed it)."""
        stdin, stdout = self._process.stdin.fileno(), self._process.stdout.fileno()
        selector = self._selector
        selector.register(stdout, selectors.EVENT_READ)
        writing = True
        selector.register(stdin, selectors.EVENT_WRITE)
        received, lines = b"", []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _NoAnswer
                for key, _ in selector.select(left):
                    if key.fd == stdin:
                        try:
                            line = line[os.write(stdin, line):]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            raise _Died from None
                        if not line:
                            selector.unregister(stdin)
                            writing = False
                        continue
                    try:
                        chunk = os.read(stdout, 65536)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        raise _Died
                    received += chunk
                    *complete, received = received.split(b"\n")
                    for answer in complete:
                        lines.append(answer)
                        if answer.startswith((b"OK ", b"ERROR:")):
                            return lines, not (received or writing)
        finally:
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(stdout)
            if writing:
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(stdin)

    def _kill(self) -> int | None:
        """Kill the child, reap it; its return code."""
        process, self._process = self._process, None
        if process is None:
            return None
        with contextlib.suppress(OSError):
            process.kill()
        returncode = process.wait()
        self._close_files(process)
        return returncode

    def close(self) -> None:
        """End the child: end of input, then a kill if it does not exit at once."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._close_files(process)

    def _close_files(self, process: subprocess.Popen) -> None:
        for handle in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                handle.close()
        if self._selector is not None:
            self._selector.close()
            self._selector = None


class _NoAnswer(Exception):
    pass


class _Died(Exception):
    pass


class GraphServers:
    """The pipe-mode children of one run: each drawing thread takes an idle one (a new one
    when none is idle) and gives it back; `close` ends them all."""

    def __init__(self):
        self._idle: list[GraphServer] = []
        self._all: list[GraphServer] = []
        self._lock = threading.Lock()

    def graph(self, args: list, timeout: float = GRAPH_TIMEOUT) -> tuple[int, int]:
        with self._lock:
            if self._idle:
                server = self._idle.pop()
            else:
                server = GraphServer()
                self._all.append(server)
        try:
            return server.graph(args, timeout)
        finally:
            with self._lock:
                self._idle.append(server)

    def close(self) -> None:
        with self._lock:
            servers, self._all, self._idle = self._all, [], []
        for server in servers:
            server.close()

    def __enter__(self) -> "GraphServers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def render(job: GraphJob, timeout: float = GRAPH_TIMEOUT, draw=None) -> Outcome:
    """Draw one PNG; any failure becomes a failed Outcome, never an exception.

    `draw(args, timeout)` runs the rrdtool graph call in a child process: GraphServers.graph
    (long-lived children), by default schema.graph (a new `rrdtool graph` child)."""
    try:
        return _render(job, timeout, draw or schema.graph)
    except Exception as exc:                # noqa: BLE001 - one graphic must not stop the others
        log.exception("unexpected error while drawing %s", job.png)
        return Outcome(job.png, False, f"unexpected error: {exc}")


def _render(job: GraphJob, timeout: float, draw) -> Outcome:
    """Draw one PNG: `rrdtool graph` writes a temp file in the PNG's folder, which replaces the
    PNG only when complete; then the archive copy, also atomic."""
    folder = job.png.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = atomic.new_temp(job.png)
    except OSError as exc:
        return Outcome(job.png, False, f"cannot write {folder}: {exc.strerror}")
    try:
        size = draw([tmp] + job.args[1:], timeout)
        atomic.commit_temp(tmp, job.png, stale_after=atomic.COPY_TEMP_MAX_AGE)
    except (schema.RRDError, OSError) as exc:
        atomic.discard_temp(tmp)
        message = str(exc) if isinstance(exc, schema.RRDError) else exc.strerror
        return Outcome(job.png, False, message.replace(tmp, str(job.png)))
    outcome = Outcome(job.png, True, size=size)
    if job.copy_to is not None:
        try:
            atomic.copy_file(job.png, job.copy_to)
            outcome.copy = job.copy_to
        except OSError as exc:
            outcome.message = f"cannot copy to {job.copy_to}: {exc.strerror}"
    return outcome


def iter_plan(paths: StatsPaths, request: GraphRequest, now: int):
    """Jobs of a non-totals request, machine by machine, client by client, type by type
    (lazily: drawing starts while the next legends are computed)."""
    for machine in request.machines:
        for client in request.clients:
            for data_type in request.data_types:
                db = database_for(paths, data_type, client, machine)
                fetch_minutes, plot_minutes = intervals(
                    request.start, time_of_update(paths, request.file_type, db), request.period)
                yield make_job(paths, request, data_type, db, client, machine,
                               fetch_minutes, plot_minutes, now)


def plan(paths: StatsPaths, request: GraphRequest, now: int) -> list[GraphJob]:
    return list(iter_plan(paths, request, now))


PIPE_MODE = True            # False: one `rrdtool graph` child per graphic (benchmarks compare)


def default_workers() -> int:
    """Graphics drawn at once: one more than the CPUs, so that a CPU is not left idle while a
    drawing thread writes and syncs its PNG or computes the next legend."""
    return (os.cpu_count() or 1) + 1


def run_jobs(jobs, workers: int | None = None, timeout: float = GRAPH_TIMEOUT,
             servers: GraphServers | None = None) -> list[Outcome]:
    """Render the jobs (a list or an iterable), `workers` at a time (default_workers()), each
    in a child process: the `rrdtool -` children of `servers` (made for the call when not
    given), or a new `rrdtool graph` child per graphic when PIPE_MODE is off."""
    workers = max(1, workers or default_workers())
    with contextlib.ExitStack() as stack:
        draw = None
        if PIPE_MODE:
            if servers is None:
                servers = stack.enter_context(GraphServers())
            draw = servers.graph
        if workers == 1:
            outcomes = [render(job, timeout, draw) for job in jobs]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                outcomes = list(pool.map(lambda job: render(job, timeout, draw), jobs))
    for outcome in outcomes:
        if outcome.ok:
            log.info("Plotted : %s", outcome.png)
            if outcome.message:
                log.error("Error : %s", outcome.message)
        else:
            log.error("Error : Could not generate %s : %s", outcome.png, outcome.message)
    return outcomes


def produce(paths: StatsPaths, request: GraphRequest, now: int | None = None,
            workers: int | None = None, timeout: float = GRAPH_TIMEOUT) -> list[Outcome]:
    """Every graphic of the request; one Outcome per attempted PNG, in the original's order."""
    now = timeutil.now() if now is None else now
    with GraphServers() as servers:
        if not request.totals:
            return run_jobs(iter_plan(paths, request, now), workers, timeout, servers)
        name, db_name = totals_names(request)
        outcomes = []
        for machine in request.machines:
            with named_lock(paths, f"rrd_totals_{request.file_type}_{db_name}_{machine}"):
                merged = merge_totals(paths, request.file_type, request.data_types,
                                      request.clients, machine, request.start, request.end,
                                      request.period, db_name)
                jobs = [make_job(paths, request, t, merged.databases[t], name, machine,
                                 merged.fetch_minutes, merged.plot_minutes, now)
                        for t in request.data_types]
                outcomes += run_jobs(jobs, workers, timeout, servers)
        return outcomes
