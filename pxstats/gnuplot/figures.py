"""The picture of a gnuplot graphic: per-panel figures (spec graphics_web.md §1.5), the
texts of each panel (§1.6, §6, with the original's Python 2 number rendering) and the
`script.Picture` they make."""

from __future__ import annotations

from dataclasses import dataclass

from pxstats.gnuplot import script
from pxstats.gnuplot.request import LINE_TYPES, GraphicRequest, type_word
from pxstats.gnuplot.words import TEXT
from pxstats.i18n import ALL
from pxstats.stats.collector import Bucket
from pxstats.util import timeutil
from pxstats.util.numbers import py2_str  # Python 2 str() of the figures (B-06)

LATENCY_FILE_WIDTH = 50  # longer file names go on a line of their own
BYTECOUNT_FILE_WIDTH = 65
PRODUCTS_WIDTH = 25


@dataclass
class Series:
    """The entries of one series (a client, or the combined clients) over the window."""

    clients: tuple[str, ...]
    buckets: list[Bucket]
    max_latency: float


# -- figures of one panel (§1.5) -------------------------------------------------------------------


def bytes_text(total: float) -> str:
    """Decimal units: Bytes, kiloBytes, MegaBytes, GigaBytes."""
    if total < 1000:
        return f"{int(total)} Bytes"
    if total < 1000**2:
        return "%.2f kiloBytes" % (total / 1000)
    if total < 1000**3:
        return "%.2f MegaBytes" % (total / 1000**2)
    return "%.2f GigaBytes" % (total / 1000**3)


@dataclass(frozen=True)
class Figures:
    """Values and statistics of one (series, type) panel."""

    data_type: str
    points: tuple[tuple[int, float], ...]
    maximum: float
    mean: float
    minimum: float
    side_max: float | None  # None: no entry, or 0 (shown as empty texts)
    side_time: int | None
    side_file: str
    nb_files: int
    over_max_latency: int = 0
    total: float = 0.0  # bytes or errors
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
    return Figures(
        data_type,
        points,
        maximum=max(values) if values else 0.0,
        mean=sum(values) / count if count else 0.0,
        minimum=min(values) if values else 0.0,
        side_max=best,
        side_time=best_time,
        side_file=best_file or "",
        nb_files=nb_files,
        over_max_latency=over,
        total=total,
        max_latency=max_latency,
    )


# -- texts (§1.6, §6) ---------------------------------------------------------------------------


def title_lines(fig: Figures, entity: str, span: int, end: int, language: str) -> tuple[str, ...]:
    words = TEXT[language]
    name = type_word(fig.data_type, language)
    first = words["title"].format(
        type=name[:1].upper() + name[1:], entity=entity, span=span, end=timeutil.iso(end)
    )
    if fig.data_type == "latency":
        explain = words["explain_latency"]
        stats = words["stats"].format(
            max="%.2f" % fig.maximum, mean="%3.2f" % fig.mean, min="%.2f" % fig.minimum
        )
    else:
        explain = words["explain_totals"]
        stats = words["stats"].format(
            max=int(fig.maximum), mean="%3.2f" % fig.mean, min=int(fig.minimum)
        )
    return (first, explain, "", stats)


def _side(fig: Figures) -> tuple[str, str, str]:
    """(value, time, file) of the side maximum; empty strings when missing or 0."""
    if fig.side_max is None:
        return "", "", ""
    when = timeutil.iso(fig.side_time) if fig.side_time else ""
    return py2_str(fig.side_max), when, fig.side_file


def side_lines(
    fig: Figures, kind: str, entity: str, machines, products: str, language: str
) -> tuple[tuple[int, str], ...]:
    """The text block at the right of a panel: (line index, text)."""
    words = TEXT[language]
    lines = [
        words["kind"][kind] + " : " + entity,
        words["machines"].format(", ".join(machines)),
        words["products"].format(products.ljust(PRODUCTS_WIDTH)),
    ]
    value, when, name = _side(fig)
    indexed: list[tuple[int, str]] = list(enumerate(lines))
    if fig.data_type == "latency":
        threshold = py2_str(fig.max_latency)
        indexed += [(3, words["lat_max"].format(value)), (4, words["lat_time"].format(when))]
        if len(name) <= LATENCY_FILE_WIDTH:
            indexed.append((5, words["lat_file"] + name))
        else:
            indexed += [(5, words["lat_file"]), (6, name)]
        indexed += [
            (7, words["files"].format(fig.nb_files)),
            (8, words["over"].format(thr=threshold, n=fig.over_max_latency)),
            (9, words["ratio"].format(thr=threshold, ratio="%3.2f" % fig.ratio)),
        ]
    elif fig.data_type == "bytecount":
        rest = []
        if len(name) <= BYTECOUNT_FILE_WIDTH:
            rest.append(words["big_file"] + name)
        else:
            rest += [words["big_file"], name]
        rest += [
            words["big_size"].format(value),
            words["big_time"].format(when),
            words["files"].format(fig.nb_files),
            words["bytes"].format(bytes_text(fig.total)),
        ]
        indexed += [(3 + k, text) for k, text in enumerate(rest)]
    elif fig.data_type == "errors":
        indexed += [
            (3, words["err_max"].format(value)),
            (4, words["max_time"].format(when)),
            (5, words["errors"].format("%.f" % fig.total)),
        ]
    else:
        indexed += [
            (3, words["files_max"].format(value)),
            (4, words["max_time"].format(when)),
            (5, words["files_total"].format(fig.nb_files)),
        ]
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
        title_entity = request.group or one.clients[0]  # B-07 kept: first client only
        label_entity = request.group or ", ".join(one.clients)
        for data_type in request.types:
            fig = panel_figures(one.buckets, data_type, one.max_latency)
            set_format = None
            if fig.side_max is not None:  # else the previous panel's format stays (§1.6)
                set_format = "%7.2f" if fig.maximum < 5 else "%7.0f"
            panels.append(
                script.Panel(
                    line_type=LINE_TYPES[data_type],
                    ylabel=TEXT[language]["ylabel"][data_type],
                    title=title_lines(fig, title_entity, request.span, request.end, language),
                    labels=side_lines(
                        fig, kind, label_entity, request.machines, products, language
                    ),
                    points=fig.points,
                    y_format=set_format,
                )
            )
    return script.Picture(
        tuple(panels), TEXT[language]["xlabel"], xtics(request.start, request.end)
    )
