"""RRD graphics: the exact `rrdtool graph` call of one graphic, the names of its PNG and of
its web archive copy (spec rrd.md §3.7-3.11).

* `graph_args` builds the argument list of one graphic; it does no I/O, so tests pin it.
  Every ':' of COMMENT and legend text, and of the database path in DEF, goes through
  `escape_colons` (rrdtool 1.7.2 rejects raw colons there and can abort on them).
* `image_path` and `archive_path` name the PNG and its archive copy; they are pure, and the
  web pages name their links with them, so a page and an archive never disagree.
* `fetch_figures` reads the legend figures of a graphic from its database (also the figures
  of csvDataConversion).

Drawing (the rrdtool children) is `pxstats.rrd.runner`; the totals databases are
`pxstats.rrd.totals`; what to draw for a request is `pxstats.actions.rrd_graphics`.
Folder and file names of the DATA (databases, time-of-update files) are never translated;
the output (PNG names, archive copies, titles, legends) follows the output language.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from pxstats import i18n
from pxstats.paths import StatsPaths, safe_component
from pxstats.rrd import schema
from pxstats.rrd.legend import Figures, comment_texts, figures_from_rows, format_figures
from pxstats.rrd.windows import span_parts
from pxstats.util import timeutil

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 800, 200
MONTHLY_X_GRID = "HOUR:24:DAY:1:DAY:1:0:%d"


@dataclass(frozen=True)
class Style:
    head: dict
    label: dict
    area: str
    line: str


STYLES = {
    "latency": Style(
        {"en": "Averaged latency per minute", "fr": "Latence moyenne par minute"},
        {"en": "Latency(seconds)", "fr": "Latence(en secondes)"},
        "#cd5c5c",
        "#8b0000",
    ),
    "filesOverMaxLatency": Style(
        {"en": "Latencies over 15 seconds", "fr": "Latence au dessus de 15 secondes"},
        {"en": "Files/Minute", "fr": "Fichiers/Minute"},
        "#cd5c5c",
        "#8b0000",
    ),
    "bytecount": Style(
        {"en": "Bytes/Minute", "fr": "Bytes/Minute"},
        {"en": "Bytes/Minute", "fr": "Bytes/Minute"},
        "#019EFF",
        "#080166",
    ),
    "filecount": Style(
        {"en": "Files/Minute", "fr": "Fichiers/Minute"},
        {"en": "Files/Minute", "fr": "Fichiers/Minute"},
        "#019EFF",
        "#080166",
    ),
    "errors": Style(
        {"en": "Errors/Minute", "fr": "Erreurs/Minute"},
        {"en": "Errors/Minute", "fr": "Erreurs/Minute"},
        "#54DE4F",
        "#1C4A1A",
    ),
}

# French: the original's catalogue (lang/fr/lib/RRDGraphicProducer) with the accents it
# lacked in titles ("duree", "annee(s)"; its gnuplot catalogue has "durée"); the units of
# file names stay as the original wrote them ("annees": names of the archive layout).
TEXT = {
    "en": {
        "for": "for",
        "span": "for a span of",
        "ending": "ending at",
        "others": "others",
        "on": "on",
        "totals": "totals",
        "plotted": "Plotted",
        "title_units": {
            "years": "year(s)",
            "months": "month(s)",
            "days": "day(s)",
            "hours": "hours",
        },
        "name_units": {"years": "years", "months": "months", "days": "days", "hours": "hours"},
    },
    "fr": {
        "for": "pour",
        "span": "pour une durée de",
        "ending": "se terminant le",
        "others": "autres",
        "on": "sur",
        "totals": "totaux",
        "plotted": "Dessiné",
        "title_units": {
            "years": "année(s)",
            "months": "mois",
            "days": "jour(s)",
            "hours": "heures",
        },
        "name_units": {"years": "annees", "months": "mois", "days": "jours", "hours": "heures"},
    },
}


def escape_colons(text: str) -> str:
    """THE escaping of text given to rrdtool inside a colon-separated argument (COMMENT and
    legend text, the database path of DEF): every ':' becomes '\\:'."""
    return str(text).replace(":", "\\:")


def title(data_type: str, name: str, span_hours: int, end: int, language: str = "en") -> str:
    """'<Head> for <name> for a span of <n> <unit> ending at <end ISO>.'"""
    words = TEXT[language]
    n, unit = span_parts(span_hours)
    return (
        f"{STYLES[data_type].head[language]} {words['for']} {name} {words['span']} "
        f"{n} {words['title_units'][unit]} {words['ending']} {timeutil.iso(end)}."
    )


def graph_args(
    png: Path | str,
    db: Path | str,
    data_type: str,
    name: str,
    start: int,
    end: int,
    span_hours: int,
    plot_minutes: int,
    period: str | None,
    figures: Figures,
    language: str = "en",
) -> list[str]:
    """Arguments of `rrdtool graph` for one graphic (spec §3.9), PNG path first.

    The data names (DEF, CDEF) are the English DS names. The legend shows the type in the
    output language: in English twice (AREA and LINE1), as the original; in French once
    (AREA only), since the French names are longer ("fichiersAvecLatenceInnacceptable"
    twice pushed the figures out of the image). The original showed the English DS name in
    French graphics too ("filecount" under a French title)."""
    style = STYLES[data_type]
    t = data_type
    shown = escape_colons(i18n.TYPE_NAMES[language][data_type])
    line_legend = f":{shown}" if language == "en" else ""
    args = [
        str(png),
        "--imgformat",
        "PNG",
        "--width",
        str(WIDTH),
        "--height",
        str(HEIGHT),
        "--start",
        str(int(start)),
        "--end",
        str(int(end)),
        "--step",
        str(plot_minutes * 60),
        "--vertical-label",
        style.label[language],
        "--title",
        title(data_type, name, span_hours, end, language),
        "--lower-limit",
        "0",
        f"DEF:{t}={escape_colons(db)}:{t}:AVERAGE",
        f"CDEF:realValue={t},1,*",
        f"AREA:realValue{style.area}:{shown}",
        f"LINE1:realValue{style.line}{line_legend}",
    ]
    if period == "monthly":
        args += ["--x-grid", MONTHLY_X_GRID]
    first, second = comment_texts(
        data_type, format_figures(data_type, figures, language), plot_minutes, language
    )
    args += ["COMMENT:" + escape_colons(first), "COMMENT:" + escape_colons(second)]
    return args


def _strip(text: str) -> str:
    """The original removed '[', ']', blanks and quotes from image names."""
    for ch in "[] '":
        text = text.replace(ch, "")
    return text


def image_path(
    paths: StatsPaths,
    file_type: str,
    name: str,
    end: int,
    data_type: str,
    span_hours: int,
    machine: str,
    language: str = "en",
) -> Path:
    """graphics/others/rrd/<name>/<ft>_<name>_<YYYYMMDD_HH:MM:SS>_<type>_<n><units>_on_<M>.png
    (fr: autres/rrd/..._sur_<M>.png, French type and units)."""
    words = TEXT[language]
    n, unit = span_parts(span_hours)
    date = timeutil.iso(end).replace("-", "").replace(" ", "_")
    file_name = (
        f"{file_type}_{name}_{date}_{i18n.TYPE_NAMES[language][data_type]}_"
        f"{n}{words['name_units'][unit]}_{words['on']}_{machine}.png"
    )
    return (
        paths.graphics
        / words["others"]
        / "rrd"
        / safe_component(_strip(name))
        / safe_component(_strip(file_name))
    )


def archive_path(
    paths: StatsPaths,
    period: str,
    file_type: str,
    name: str,
    data_type: str,
    start: int,
    language: str = "en",
    totals_machine: str | None = None,
) -> Path:
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


# -- legend figures -------------------------------------------------------------------------------


def fetch_figures(
    db: Path,
    start: int,
    end: int,
    fetch_minutes: int,
    plot_minutes: int,
    now: int,
    strict: bool = False,
) -> Figures:
    """Legend figures from the database (spec §3.7, intended definition): rows at the fetch
    resolution up to the end, or up to the start of the current hour for a window that is
    not over yet. An unreadable database gives empty figures, or raises RRDError if
    `strict` (csvDataConversion: no CSV with holes)."""
    real_end = min(end, timeutil.hour_start(now)) if end > now else end
    width = fetch_minutes * 60
    fetch_end = real_end - real_end % width
    if fetch_end <= start:
        return Figures.empty()
    try:
        (first, _, step), values = schema.fetch(db, "AVERAGE", width, start, fetch_end)
    except schema.RRDError as exc:
        if strict:
            raise
        log.warning("legend figures: %s", exc)
        return Figures.empty()
    return figures_from_rows(first, step, values, start, real_end, plot_minutes)
