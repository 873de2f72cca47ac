"""Detailed (per-minute) graphics drawn with gnuplot: the library behind generateGraphics
(spec graphics_web.md §1-§2).

request (`GraphicRequest`) -> window (`window`) -> data of each series through PickleMerging
(`gather`) -> per-panel values and statistics (`panel_figures`, §1.5) -> texts (§1.6, §6)
-> `script.Picture` -> gnuplot program -> `render` -> PNG under graphics/others/gnuplot/,
plus the daily archive and Columbo copies with `copy` (§1.7).

`produce` does everything; `plan` stops before drawing (dry run: the program and the names).

Data folders are never translated (project rule); the output follows the output language:
titles, labels, type words, file names and the folders under graphics/ (`autres`,
`journalier`, French month names).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from pxstats import i18n
from pxstats.actions.errors import RequestError
from pxstats.i18n import ALL, is_all, is_all_products
from pxstats.util import atomic, timeutil
from pxstats.stats.collector import Bucket, FileStatsCollector
from pxstats.util.gcpause import cyclic_gc_paused
from pxstats.gnuplot import render as _render
from pxstats.gnuplot import script
from pxstats.stats.merging import merge_hours
from pxstats.paths import NAME_MAX, StatsPaths, check_name, safe_component

log = logging.getLogger(__name__)

# Valid types per file type, in the order *All* stands for (spec §1.2 step 5).
TYPES = {"tx": ("errors", "filecount", "bytecount", "latency"),
         "rx": ("errors", "filecount", "bytecount")}
LINE_TYPES = {"latency": 1, "bytecount": 2, "filecount": 3, "errors": 4}
LATENCY_FILE_WIDTH = 50        # longer file names go on a line of their own
BYTECOUNT_FILE_WIDTH = 65
PRODUCTS_WIDTH = 25
COLUMBO = "columbo"

TEXT = {
    "en": {
        "others": "others", "daily": "daily",
        "xlabel": "time (hours)",
        "ylabel": {"latency": "latency (seconds)", "bytecount": "Bytes/Minute",
                   "errors": "Errors/Minute", "filecount": "Files/Minute"},
        "title": "{type} for {entity} for a span of {span} hours ending at {end}",
        "explain_latency": "With values rounded for every minutes.",
        "explain_totals": "With the total value of every minutes.",
        "stats": "MAX: {max} MEAN: {mean} MIN: {min}",
        "kind": {"tx": "Client", "rx": "Source", "group": "Group"},
        "machines": "Machines : {}",
        "products": "Product type(s) : {}",
        "lat_max": "Absolute max. lat. : {} seconds",
        "lat_time": "Time of max. lat. : {}",
        "lat_file": "File with max. lat. :",
        "files": "# of files : {} ",
        "over": "# of files over {thr} seconds: {n} ",
        "ratio": "% of files over {thr} seconds: {ratio} %",
        "big_file": "Largest file : ",
        "big_size": "Size of largest file : {} Bytes",
        "big_time": "Time of largest file : {}",
        "bytes": "# of Bytes: {} ",
        "err_max": "Max error/minute : {}",
        "max_time": "Time of max. : {}",
        "errors": "# of errors : {}",
        "files_max": "Max files/minute : {}",
        "files_total": "# of files : {}",
        "file_name": "{ft}_{entity}_{date}_{types}_{span}hours_on_{machines}_for_{products}_products.png",
    },
    "fr": {
        "others": "autres", "daily": "journalier",
        "xlabel": "temps(en heures)",
        "ylabel": {"latency": "latence(en secondes)", "bytecount": "Bytes/Minute",
                   "errors": "Erreurs/Minute", "filecount": "Fichiers/Minute"},
        "title": "{type} pour {entity} pour une durée de {span} heures se terminant le {end}",
        "explain_latency": "Avec des valeurs arrondies pour chaques minutes.",
        "explain_totals": "Avec les valeurs totales de chaques minutes.",
        "stats": "MAX: {max} MOYENNE: {mean} MIN: {min}",
        "kind": {"tx": "Client", "rx": "Source", "group": "Group"},
        "machines": "Machines : {}",
        "products": "Types de produits : {}",
        "lat_max": "Max. abs. latence : {} seconds",
        "lat_time": "Temps de la max. lat. : {}",
        "lat_file": "Fichier avec la max. lat. :",
        "files": "# de fichiers : {} ",
        "over": "# de latences au dela de {thr} secondes: {n} ",
        "ratio": "% de latences au dela de {thr} seconds: {ratio} %",
        "big_file": "Plus gros fichier : ",
        "big_size": "Taille du plus gros fichier : {} Bytes",
        "big_time": "Temps du plus gros fichier : {}",
        "bytes": "# de Bytes: {} ",
        "err_max": "Maximum d'erreurs/minute : {}",
        "max_time": "Temps du maximum : {}",
        "errors": "# d'erreurs : {}",
        "files_max": "Maximum de fichiers/minute : {}",
        "files_total": "# de fichiers : {}",
        "file_name": "{ft}_{entity}_{date}_{types}_{span}heures_sur_{machines}"
                     "_pour_les_produits_{products}.png",
    },
}


class GraphicError(Exception):
    """The graphic could not be drawn or copied (one-line message)."""


# -- the request ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GraphicRequest:
    """What to draw. `types` are the English keys in drawing order (first = bottom panel);
    `end` is rounded down to the hour."""
    clients: tuple[str, ...]
    machines: tuple[str, ...]
    end: int
    span: int = 12
    file_type: str = "tx"
    types: tuple[str, ...] | None = None            # None: every type of the file type
    products: tuple[str, ...] = ("All",)
    group: str = ""
    combine: bool = False
    language: str = "en"
    copy: bool = False

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "clients", tuple(self.clients))
        set_(self, "machines", tuple(self.machines))
        set_(self, "products", tuple(self.products) or ("All",))
        set_(self, "end", timeutil.hour_start(int(self.end)))
        if self.file_type not in i18n.FILE_TYPES:
            raise ValueError(f"file type must be tx or rx, not {self.file_type!r}")
        set_(self, "types", tuple(self.types) if self.types else TYPES[self.file_type])
        bad = [t for t in self.types if t not in TYPES[self.file_type]]
        if bad:
            raise ValueError(f"with {self.file_type} the data types are "
                             f"{', '.join(TYPES[self.file_type])}, not {', '.join(bad)}")
        if self.language not in i18n.LANGUAGES:
            raise ValueError(f"language must be en or fr, not {self.language!r}")
        if not isinstance(self.span, int) or self.span < 1:
            raise ValueError("the span must be a whole number of hours, at least 1")
        if not self.clients or not self.machines:
            raise ValueError("at least one client and one machine are needed")
        if self.group and not self.combine:
            raise ValueError("a group name needs combined clients")
        for kind, names in (("client", self.clients), ("machine", self.machines),
                            ("group", (self.group,) if self.group else ())):
            for name in names:
                check_text(kind, name)
                check_name(kind, name)
        for product in self.products:
            check_text("product", product)
            if "/" in product:
                raise ValueError(f"invalid product pattern: {product!r}")

    @property
    def start(self) -> int:
        return self.end - self.span * timeutil.HOUR

    @property
    def all_products(self) -> bool:
        return is_all_products(self.products[0])

    @property
    def entity(self) -> str:
        """Name of the graphic in file and folder names: the group, else the names joined by -."""
        return self.group or "-".join(self.clients)

    @property
    def panels(self) -> int:
        series = 1 if self.combine else len(self.clients)
        return series * len(self.types)


def data_types(asked, file_type: str, language: str) -> tuple[str, ...]:
    """Types in drawing order; *All* (first word) stands for every type of the file type;
    French names are accepted."""
    valid = TYPES[file_type]
    if not asked or is_all(asked[0]):
        return valid
    asked = [i18n.FROM_FRENCH_TYPES.get(t, t) for t in asked]
    if any(t not in valid for t in asked):
        names = [type_word(t, language) for t in valid]
        raise RequestError(f"With {file_type} fileType, possible data types values are : "
                           f"{names}. For multiple types use this syntax : -t \"type1,type2\"")
    return tuple(asked)


def graphic_request(paths: StatsPaths, *, date: int, span: int, file_type: str, clients,
                    machines, types=(), products=None, group: str = "", combine: bool = False,
                    language: str | None = None, copy: bool = False, main_language: str = "en",
                    groups=()) -> GraphicRequest:
    """generateGraphics' request, its values checked in the original's order (spec §1.2),
    plus the fixes: an unsupported language is an error (B-03) and at least one client is
    required (B-01). Wildcard names are expanded (reading the RRD times of update)."""
    if span < 1:
        raise RequestError("The timespan value needs to be an integer one above 0.")
    file_type = file_type.replace("'", "").strip()
    if file_type not in i18n.FILE_TYPES:
        raise RequestError("File type must be either tx or rx. Multiple types are not accepted.")
    group = group.replace(" ", "")
    if group and not combine:
        raise RequestError("-g|--groupName option requires the --combineClients options. "
                           "Group names are otherwise irrelevant.")
    chosen_types = data_types(list(types), file_type, main_language)
    language = (language if language is not None else main_language).strip()
    if language not in i18n.LANGUAGES:
        raise RequestError(f"{language} is not one of the supported languages "
                           f"({', '.join(i18n.LANGUAGES)}).")
    clients = list(clients)
    if not clients:
        raise RequestError("No client or source given: use -c name1,name2.")
    machines = list(machines)
    if not machines:
        raise RequestError("No machine given: use -m machine1,machine2.")
    products = (list(products) if products is not None else [i18n.ALL[main_language]]) or ["All"]
    expanded = expand_names(paths, clients, file_type, machines, date, span, groups)
    if not expanded:
        raise RequestError(f"No client or source matching {','.join(clients)} ran during the "
                           "period.")
    try:
        return GraphicRequest(clients=tuple(expanded), machines=tuple(machines), end=date,
                              span=span, file_type=file_type, types=chosen_types,
                              products=tuple(products), group=group, combine=combine,
                              language=language, copy=copy)
    except ValueError as exc:
        raise RequestError(str(exc)) from None


def check_text(kind: str, name: str) -> str:
    """Names end up in file names and in the picture: no control characters."""
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in name):
        raise ValueError(f"invalid {kind} name (control character): {name!r}")
    return name


def expand_names(paths: StatsPaths, names, file_type: str, machines, date: int, span: int,
                 groups=()) -> list[str]:
    """Names with '*' or '?' replaced by the names matching them (fnmatch) among the
    clients/sources whose databases were updated since date - span hours (§1.3, the RRD
    area's "names having run" service; configured group names are left out)."""
    import fnmatch
    result: list[str] = []
    having_run = None
    for name in names:
        if "*" not in name and "?" not in name:
            result.append(name)
            continue
        if having_run is None:
            from pxstats.rrd import schema  # rrdtool is needed only for wildcards
            from pxstats.store import inventory
            having_run = inventory.names_having_run(
                paths, file_type, schema.machines_name(machines),
                int(date) - span * timeutil.HOUR, groups)
        matches = [n for n in having_run if fnmatch.fnmatchcase(n, name)]
        if not matches:
            log.warning("No %s name matching %r ran during the period.", file_type, name)
        result.extend(m for m in matches if m not in result)
    return result


def window(date: int, span: int) -> tuple[int, int]:
    """(start, end): end = date rounded down to the hour, start = end - span hours (§1.4)."""
    end = timeutil.hour_start(int(date))
    return end - span * timeutil.HOUR, end


# -- data ---------------------------------------------------------------------------------------

@dataclass
class Series:
    """The entries of one series (a client, or the combined clients) over the window."""
    clients: tuple[str, ...]
    buckets: list[Bucket]
    max_latency: float


def gather(paths: StatsPaths, request: GraphicRequest) -> list[Series]:
    """One series per client, or one for all clients with `combine` (§1.4).

    Each (client, machine) component is read with PickleMerging's `merge_hours` (a missing
    or unreadable hour is empty), products are filtered by recomputing its entries'
    statistics, and several components are combined minute by minute by `combine`, which
    gives exactly the figures of their merged pickle (same-hour rows concatenated machine
    by machine, as `merge_sources` builds it) without writing or re-reading one."""
    groups = [request.clients] if request.combine else [(c,) for c in request.clients]
    result = []
    for clients in groups:
        parts = [merge_hours(paths, request.start, request.end, client, machine,
                             request.file_type)
                 for machine in request.machines for client in clients]  # machine-major
        threshold = parts[0].max_latency
        for part in parts:
            if part.max_latency != threshold:   # the merge recomputes with the first's
                part.max_latency = threshold
                part.compute_statistics(request.products)
            elif not request.all_products:
                part.compute_statistics(request.products)
        result.append(Series(tuple(clients), combine(parts), threshold))
    return result


def combine(parts: list[FileStatsCollector]) -> list[Bucket]:
    """Per-minute statistics of several components as if their rows had been merged in this
    order: counts and totals add up, the latency mean is weighted by the file counts, a
    maximum is the first largest one in component order, the time of the errors is the
    last component's having errors. A component whose entries are not the first one's
    (another interval) is left out, as merging does."""
    first = parts[0]
    usable = [first]
    starts = [b.start for b in first.buckets]
    for part in parts[1:]:
        if [b.start for b in part.buckets] == starts:
            usable.append(part)
        else:
            log.error("%s data with other entries (interval %s) left out of the graphic",
                      part.file_type, part.interval)
    if len(usable) == 1:
        return first.buckets
    stats = first.stats_types
    combined = []
    for column in zip(*(p.buckets for p in usable)):
        b = Bucket(column[0].start, column[0].end, ())
        b.nb_files = sum(c.nb_files for c in column)
        b.files_over_max_latency = sum(c.files_over_max_latency for c in column)
        for stat in stats:
            b.totals[stat] = float(sum(c.totals.get(stat, 0.0) for c in column))
            if stat == "errors":
                b.maximums["errors"] = int(b.totals["errors"])
                b.times_where_max["errors"] = next(
                    (c.times_where_max.get("errors", 0) for c in reversed(column)
                     if c.totals.get("errors")), 0)
                continue
            b.means[stat] = b.totals[stat] / b.nb_files if b.nb_files else 0
            best = None
            for c in column:
                if c.nb_files and (best is None or c.maximums.get(stat, 0) > best.maximums.get(stat, 0)):
                    best = c
            if best is None:
                b.maximums[stat], b.times_where_max[stat], b.files_where_max[stat] = 0.0, 0, ""
            else:
                b.maximums[stat] = best.maximums.get(stat, 0.0)
                b.times_where_max[stat] = best.times_where_max.get(stat, 0)
                b.files_where_max[stat] = best.files_where_max.get(stat, "")
        combined.append(b)
    return combined


# -- figures of one panel (§1.5) -------------------------------------------------------------------

def py2_str(value) -> str:
    """Python 2 str() of a number: '%.12g', with '.0' added to an integral float (B-06)."""
    if isinstance(value, int):
        return str(value)
    text = "%.12g" % value
    if not any(c in text for c in ".e") and text.lstrip("-") not in ("inf", "nan"):
        text += ".0"
    return text


def bytes_text(total: float) -> str:
    """Decimal units: Bytes, kiloBytes, MegaBytes, GigaBytes."""
    if total < 1000:
        return f"{int(total)} Bytes"
    if total < 1000 ** 2:
        return "%.2f kiloBytes" % (total / 1000)
    if total < 1000 ** 3:
        return "%.2f MegaBytes" % (total / 1000 ** 2)
    return "%.2f GigaBytes" % (total / 1000 ** 3)


@dataclass(frozen=True)
class Figures:
    """Values and statistics of one (series, type) panel."""
    data_type: str
    points: tuple[tuple[int, float], ...]
    maximum: float
    mean: float
    minimum: float
    side_max: float | None          # None: no entry, or 0 (shown as empty texts)
    side_time: int | None
    side_file: str
    nb_files: int
    over_max_latency: int = 0
    total: float = 0.0              # bytes or errors
    max_latency: float = 15

    @property
    def ratio(self) -> float:
        return self.over_max_latency / self.nb_files * 100 if self.nb_files else 0.0


def _value_of(data_type: str):
    if data_type == "latency":
        return lambda b: b.means.get("latency", 0.0) if b.nb_files else 0.0
    if data_type == "filecount":
        return lambda b: b.nb_files
    return lambda b: b.totals.get(data_type, 0.0)


def panel_figures(buckets: list[Bucket], data_type: str, max_latency: float = 15) -> Figures:
    """Plotted value of every entry and the statistics of §1.5 (strict '>' in time order)."""
    value = _value_of(data_type)
    values = [value(b) for b in buckets]
    points = tuple((b.start, v) for b, v in zip(buckets, values))
    count = len(values)
    nb_files = sum(b.nb_files for b in buckets)
    best, best_time, best_file = None, None, ""
    over = 0
    total = 0.0
    if data_type in ("latency", "bytecount"):
        for b in buckets:
            if not b.nb_files:
                continue
            m = b.maximums.get(data_type)
            if m is not None and (best is None or m > best):
                best = m
                best_time = b.times_where_max.get(data_type)
                best_file = b.files_where_max.get(data_type, "")
        if data_type == "latency":
            over = sum(b.files_over_max_latency for b in buckets)
        else:
            total = sum(b.totals.get("bytecount", 0.0) for b in buckets)
    elif data_type == "errors":
        for b in buckets:
            m = b.maximums.get("errors", 0)
            if m and (best is None or m > best):
                best = m
                t = b.times_where_max.get("errors") or b.start
                best_time = timeutil.minute_start(t)
        total = sum(b.totals.get("errors", 0.0) for b in buckets)
    else:  # filecount
        for b in buckets:
            if b.nb_files and (best is None or b.nb_files > best):
                best, best_time = b.nb_files, b.start
    if best is None or best == 0:
        best, best_time, best_file = None, None, ""
    return Figures(data_type, points,
                   maximum=max(values) if values else 0.0,
                   mean=sum(values) / count if count else 0.0,
                   minimum=min(values) if values else 0.0,
                   side_max=best, side_time=best_time, side_file=best_file or "",
                   nb_files=nb_files, over_max_latency=over, total=total,
                   max_latency=max_latency)


# -- texts (§1.6, §6) ---------------------------------------------------------------------------

def type_word(data_type: str, language: str) -> str:
    return i18n.TYPE_NAMES[language][data_type]


def title_lines(fig: Figures, entity: str, span: int, end: int, language: str) -> tuple[str, ...]:
    words = TEXT[language]
    name = type_word(fig.data_type, language)
    first = words["title"].format(type=name[:1].upper() + name[1:], entity=entity, span=span,
                                  end=timeutil.iso(end))
    if fig.data_type == "latency":
        explain = words["explain_latency"]
        stats = words["stats"].format(max="%.2f" % fig.maximum, mean="%3.2f" % fig.mean,
                                      min="%.2f" % fig.minimum)
    else:
        explain = words["explain_totals"]
        stats = words["stats"].format(max=int(fig.maximum), mean="%3.2f" % fig.mean,
                                      min=int(fig.minimum))
    return (first, explain, "", stats)


def _side(fig: Figures) -> tuple[str, str, str]:
    """(value, time, file) of the side maximum; empty strings when missing or 0."""
    if fig.side_max is None:
        return "", "", ""
    when = timeutil.iso(fig.side_time) if fig.side_time else ""
    return py2_str(fig.side_max), when, fig.side_file


def side_lines(fig: Figures, kind: str, entity: str, machines, products: str,
               language: str) -> tuple[tuple[int, str], ...]:
    """The text block at the right of a panel: (line index, text)."""
    words = TEXT[language]
    lines = [words["kind"][kind] + " : " + entity,
             words["machines"].format(", ".join(machines)),
             words["products"].format(products.ljust(PRODUCTS_WIDTH))]
    value, when, name = _side(fig)
    indexed: list[tuple[int, str]] = list(enumerate(lines))
    if fig.data_type == "latency":
        threshold = py2_str(fig.max_latency)
        indexed += [(3, words["lat_max"].format(value)), (4, words["lat_time"].format(when))]
        if len(name) <= LATENCY_FILE_WIDTH:
            indexed.append((5, words["lat_file"] + name))
        else:
            indexed += [(5, words["lat_file"]), (6, name)]
        indexed += [(7, words["files"].format(fig.nb_files)),
                    (8, words["over"].format(thr=threshold, n=fig.over_max_latency)),
                    (9, words["ratio"].format(thr=threshold, ratio="%3.2f" % fig.ratio))]
    elif fig.data_type == "bytecount":
        rest = []
        if len(name) <= BYTECOUNT_FILE_WIDTH:
            rest.append(words["big_file"] + name)
        else:
            rest += [words["big_file"], name]
        rest += [words["big_size"].format(value), words["big_time"].format(when),
                 words["files"].format(fig.nb_files), words["bytes"].format(bytes_text(fig.total))]
        indexed += [(3 + k, text) for k, text in enumerate(rest)]
    elif fig.data_type == "errors":
        indexed += [(3, words["err_max"].format(value)), (4, words["max_time"].format(when)),
                    (5, words["errors"].format("%.f" % fig.total))]
    else:
        indexed += [(3, words["files_max"].format(value)), (4, words["max_time"].format(when)),
                    (5, words["files_total"].format(fig.nb_files))]
    return tuple(indexed)


def xtics(start: int, end: int) -> tuple[tuple[str, int], ...]:
    """One tic per whole hour from start to end inclusive, labelled HH."""
    return tuple((timeutil.iso(t)[11:13], t) for t in range(start, end + 1, timeutil.HOUR))


def picture(request: GraphicRequest, series: list[Series]) -> script.Picture:
    """The panels of every series and type, in drawing order (first at the bottom)."""
    language = request.language
    if request.group:
        kind = "group"
    else:
        kind = request.file_type
    products = ALL[language] if request.all_products else request.products[0]
    panels = []
    for one in series:
        title_entity = request.group or one.clients[0]          # B-07 kept: first client only
        label_entity = request.group or ", ".join(one.clients)
        for data_type in request.types:
            fig = panel_figures(one.buckets, data_type, one.max_latency)
            set_format = None
            if fig.side_max is not None:    # else the previous panel's format stays (§1.6)
                set_format = "%7.2f" if fig.maximum < 5 else "%7.0f"
            panels.append(script.Panel(
                line_type=LINE_TYPES[data_type],
                ylabel=TEXT[language]["ylabel"][data_type],
                title=title_lines(fig, title_entity, request.span, request.end, language),
                labels=side_lines(fig, kind, label_entity, request.machines, products, language),
                points=fig.points,
                y_format=set_format))
    return script.Picture(tuple(panels), TEXT[language]["xlabel"],
                          xtics(request.start, request.end))


# -- names (§1.7) -------------------------------------------------------------------------------

def _strip(text: str) -> str:
    """The original deleted '[', ']', quotes and blanks from names (now only from names)."""
    for ch in "[] '":
        text = text.replace(ch, "")
    return text


def _folder(text: str) -> str:
    text = _strip(text)
    return text if text not in ("", ".", "..") else "_" + text


def _shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` bytes: a prefix and a hash, so two names never collide."""
    data = text.encode()
    if len(data) <= limit:
        return text
    digest = hashlib.sha1(data).hexdigest()[:8]
    return data[:max(limit - 9, 0)].decode(errors="ignore") + "~" + digest


def file_name(request: GraphicRequest) -> str:
    """<ft>_<entity>_<YYYYMMDD>_<HH:MM:SS>_<types>_<span>hours_on_<machines>_for_<products>_products.png
    (French pattern in French), kept within NAME_MAX by shortening the three names."""
    language = request.language
    words = TEXT[language]
    parts = {
        "entity": _strip(request.entity),
        "machines": _strip(",".join(request.machines)),
        "products": ALL[language] if request.all_products
        else _strip("_".join(request.products)),
    }
    common = dict(ft=request.file_type,
                  date=timeutil.iso(request.end).replace("-", "").replace(" ", "_"),
                  types=",".join(type_word(t, language) for t in request.types),
                  span=request.span)
    name = words["file_name"].format(**common, **parts)
    if len(name.encode()) <= NAME_MAX:
        return name
    room = NAME_MAX - len(words["file_name"].format(**common, entity="", machines="",
                                                    products="").encode())
    for left, key in enumerate(sorted(parts, key=lambda k: len(parts[k].encode())), start=0):
        share = room // (3 - left)
        parts[key] = _shorten(parts[key], share)
        room -= len(parts[key].encode())
    return words["file_name"].format(**common, **parts)


def image_path(paths: StatsPaths, request: GraphicRequest) -> Path:
    """graphics/others/gnuplot/<entity, first 50 characters>/<file_name> (fr: autres)."""
    folder = _folder(request.entity[:50])
    return (paths.graphics / TEXT[request.language]["others"] / "gnuplot" / folder
            / file_name(request))


def archive_path(paths: StatsPaths, request: GraphicRequest) -> Path:
    """webGraphics/archives/daily/<ft>/<name>/<YYYY>/<Month>/<DD>.png of end - 60 s."""
    tm = time.gmtime(request.end - 60)
    language = request.language
    return (paths.graphics_archives / TEXT[language]["daily"] / request.file_type
            / safe_component(_folder(request.entity)) / f"{tm.tm_year:04d}"
            / i18n.MONTHS[language][tm.tm_mon - 1] / f"{tm.tm_mday:02d}.png")


def columbo_path(paths: StatsPaths, request: GraphicRequest) -> Path:
    """webGraphics/columbo/<name>_<language>.png: always the latest graphic."""
    name = _folder(request.entity)
    return (paths.web_graphics / COLUMBO
            / safe_component(f"{name}_{request.language}.png"))


# -- the whole production ---------------------------------------------------------------------------

@dataclass
class Plan:
    """Everything but the drawing: what a dry run shows."""
    request: GraphicRequest
    picture: script.Picture
    program: str
    png: Path
    archive: Path | None = None
    columbo: Path | None = None


@dataclass
class Produced:
    png: Path
    copies: list[Path] = field(default_factory=list)


def plan(paths: StatsPaths, request: GraphicRequest, series: list[Series] | None = None) -> Plan:
    """Gather the data and build the gnuplot program and the output names; nothing is
    drawn or written."""
    with cyclic_gc_paused():  # the loaded hours are freed when this returns
        if series is None:
            series = gather(paths, request)
        pic = picture(request, series)
        del series
    return Plan(request, pic, script.program(pic), image_path(paths, request),
                archive_path(paths, request) if request.copy else None,
                columbo_path(paths, request) if request.copy else None)


def produce(paths: StatsPaths, request: GraphicRequest, *,
            timeout: float = _render.TIMEOUT) -> Produced:
    """Draw the graphic of `request`; with `request.copy` also its archive and Columbo copies
    (made from the complete PNG, each atomically). Raises GraphicError."""
    the_plan = plan(paths, request)
    try:
        _render.render(the_plan.program, the_plan.png, timeout=timeout,
                       size=the_plan.picture.size)
    except _render.GnuplotError as exc:
        raise GraphicError(str(exc)) from None
    except OSError as exc:
        raise GraphicError(f"cannot write {the_plan.png}: {exc.strerror or exc}") from None
    done = Produced(the_plan.png)
    for copy in (the_plan.archive, the_plan.columbo):
        if copy is None:
            continue
        try:
            done.copies.append(atomic.copy_file(the_plan.png, copy))
        except OSError as exc:
            raise GraphicError(f"cannot copy the graphic to {copy}: "
                               f"{exc.strerror or exc}") from None
    log.info("Created Graphics for following call : clients %s, machines %s, %s, types %s, "
             "span %d hours ending %s, products %s%s -> %s", ",".join(request.clients),
             ",".join(request.machines), request.file_type, ",".join(request.types),
             request.span, timeutil.iso(request.end), ",".join(request.products),
             f", group {request.group}" if request.group else "", the_plan.png)
    return done
