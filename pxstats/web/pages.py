"""The static web pages (spec graphics_web.md §4): what each page shows, then its HTML.

`*_page` functions compute a page's content as plain data (names, links that exist, texts in
the display language); `render` turns it into HTML with the Jinja2 templates of
`pxstats/web/templates/` (autoescape on). Descriptions reach the browser as JSON in a
non-executed <script type="application/json"> block, read by static/pages.js; no inline
script or event attribute exists, so the pages work under a strict Content-Security-Policy.

Every link points to a file that exists when the page is built, and every archive or CSV
path comes from the producers' own naming functions (`pxstats.web.producers`) in the FILES
language; visible texts are in the DISPLAY language.

Why one module of ~500 lines: every page is computed the same way (links that exist, texts in
the display language, archive keys from the producers); the pages share these helpers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from pxstats import i18n
from pxstats.paths import StatsPaths
from pxstats.util import timeutil
from pxstats.web import producers
from pxstats.web.words import (
    ARCHIVES_LINK,
    CSV_LINK,
    HELP,
    HELP_PAGES,
    MONTHS,
    PAGE_TYPES,
    PAGE_UPDATES,
    PERIODS,
    TEXT,
    TYPE_COLUMNS,
    WEEKDAYS,
)

DAY = timeutil.DAY
WEEK = 7 * DAY
YEAR_DAYS = 365 * DAY
# How many periods each page shows (spec §4.3, §4.4).
PAGE_PERIODS = {"daily": 7, "weekly": 3, "monthly": 3, "yearly": 3}
TOTALS_PERIODS = {"daily": 7, "weekly": 5, "monthly": 5, "yearly": 3}
POPUP = (875, 240)  # RRD graphics are about 875 x 240
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


# -- names listed -------------------------------------------------------------------------------


@dataclass
class Entry:
    """One row: a client/source (with the machine sets it ran on) or a configured group."""

    name: str
    file_type: str
    machines: list[str] = field(default_factory=list)
    group: object = None  # config.Group for a group

    def description(self, display: str) -> list[str]:
        words = TEXT[display]
        if self.group is not None:
            g = self.group
            return [
                f"--{words['desc_group']} : {g.name}",
                f"--{words['desc_machines']} : {', '.join(g.machines)}",
                f"--{words['desc_members']} : {', '.join(g.members)}",
                f"--{words['desc_filetype']} : {g.file_type}",
                f"--{words['desc_products']} : {', '.join(g.products)}",
            ]
        kind = words["desc_client"] if self.file_type == "tx" else words["desc_source"]
        return [
            f"--{kind} : {self.name}",
            f"--{words['desc_machines']} : {', '.join(self.machines)}",
        ]

    @property
    def machines_text(self) -> str:
        if self.group is not None:
            return ",".join(self.group.machines)
        return ", ".join(self.machines)


def list_entries(paths: StatsPaths, config, file_type: str, since: int) -> list[Entry]:
    """Names whose databases for one of the source machine tags were updated since `since`,
    plus every configured group of the file type (trx groups in both sections); sorted by
    name (byte order)."""
    groups = [g for g in config.groups if g.file_type in (file_type, "trx")]
    group_names = [g.name for g in config.groups]
    found: dict[str, Entry] = {}
    for tag in config.general.source_machines_tags:
        machines = config.machines.machines_of(tag)
        if not machines:
            continue
        machine_set = producers.machines_name(machines)
        for name in producers.names_having_run(paths, file_type, machine_set, since, group_names):
            entry = found.setdefault(name, Entry(name, file_type))
            label = ",".join(machines)
            if label not in entry.machines:
                entry.machines.append(label)
    for g in groups:
        found[g.name] = Entry(g.name, file_type, list(g.machines), g)
    return sorted(found.values(), key=lambda e: e.name.encode())


# -- dates of the links ---------------------------------------------------------------------------


def _month_start(year: int, month: int) -> int:
    while month < 1:
        month, year = month + 12, year - 1
    return calendar.timegm((year, month, 1, 0, 0, 0))


def period_dates(period: str, now: int, count: int) -> list[int]:
    """Dates (oldest first) whose graphics a page shows: days now - 6d ... now, weeks
    now - (count-1)w ... now, the first days of this month and the previous ones, years
    now - (count-1)·365d ... now. Each is given to the producers' naming function."""
    if period == "daily":
        return [now - (count - 1 - i) * DAY for i in range(count)]
    if period == "weekly":
        return [now - (count - 1 - i) * WEEK for i in range(count)]
    if period == "monthly":
        tm = producers.gmtime(now)
        return [_month_start(tm.tm_year, tm.tm_mon - (count - 1 - i)) for i in range(count)]
    return [now - (count - 1 - i) * YEAR_DAYS for i in range(count)]


def page_start(period: str, now: int) -> int:
    """Names are listed when they ran since the start of the oldest period shown."""
    first = period_dates(period, now, PAGE_PERIODS[period])[0]
    if period == "daily":
        return timeutil.day_start(first)
    return producers.period_start(period, first)


def _label(period: str, path: Path, display: str, start: int | None = None) -> str:
    """Link text of an archive or CSV: weekday, week number, month (3 letters) or year, in
    the display language, read from the file's own name and folders."""
    stem = path.stem
    if period == "weekly":
        return stem
    if period == "yearly":
        return stem
    tm = producers.gmtime(start)
    if period == "monthly":
        return MONTHS[display][tm.tm_mon - 1][:3]
    return WEEKDAYS[display][tm.tm_wday]


def _daily_day(path: Path, files: str) -> int:
    """Midnight of the day a daily archive path names (<YYYY>/<Month>/<DD>.png)."""
    months = i18n.MONTHS[files]
    year, month, day = (
        int(path.parent.parent.name),
        months.index(path.parent.name) + 1,
        int(path.stem),
    )
    return calendar.timegm((year, month, day, 0, 0, 0))


@dataclass(frozen=True)
class Link:
    href: str
    text: str


def _href(prefix: str, path: Path, base: Path) -> str:
    return prefix + "/" + path.relative_to(base).as_posix()


def _existing(links: list[tuple[Path, Link]]) -> list[Link]:
    seen, result = set(), []
    for path, link in links:
        if link.href in seen:
            continue
        seen.add(link.href)
        if path.is_file():
            result.append(link)
    return result


# -- period pages ---------------------------------------------------------------------------------


def _daily_cells(paths, entry: Entry, dates, display, files) -> list[dict]:
    base = paths.graphics_archives
    candidates = []
    for date in dates:
        try:
            path = producers.daily_archive(
                paths, entry.file_type, entry.name, entry.group is not None, date, files
            )
        except ValueError:  # a name no producer can file (e.g. with '/'): no link
            break
        day = _daily_day(path, files)
        candidates.append(
            (
                path,
                Link(
                    _href(ARCHIVES_LINK, path, base),
                    WEEKDAYS[display][producers.gmtime(day).tm_wday],
                ),
            )
        )
    return [{"unit": TEXT[display]["units"]["daily"], "links": _existing(candidates)}]


def _rrd_cells(paths, entry: Entry, period, dates, display, files) -> list[dict]:
    base = paths.graphics_archives
    cells = []
    for data_type in PAGE_TYPES[entry.file_type]:
        candidates = []
        for date in dates:
            try:
                path = producers.rrd_archive(
                    paths, period, entry.file_type, entry.name, data_type, date, files
                )
            except ValueError:
                break
            start = producers.period_start(period, date)
            candidates.append(
                (path, Link(_href(ARCHIVES_LINK, path, base), _label(period, path, display, start)))
            )
        cells.append({"unit": TEXT[display]["units"][period], "links": _existing(candidates)})
    return cells


def csv_links(paths, config, period: str, file_type: str, dates, display, files) -> list[Link]:
    machines_value = ",".join(config.general.source_machines_tags)
    if not machines_value:
        return []
    base = producers.csv_root(paths)
    candidates = []
    for date in dates:
        path = producers.csv_file(paths, period, file_type, machines_value, date, files)
        start = producers.period_start(period, date)
        candidates.append(
            (
                path,
                Link(
                    _href(CSV_LINK[files], path, base),
                    _label(period, path, display, start) + ".csv",
                ),
            )
        )
    return _existing(candidates)


def period_page(
    paths: StatsPaths,
    config,
    period: str,
    display: str,
    files: str,
    now: int,
    entries: dict[str, list[Entry]] | None = None,
) -> dict:
    """Content of daily/weekly/monthly/yearlyGraphs_<display>.html."""
    words = TEXT[display]
    dates = period_dates(period, now, PAGE_PERIODS[period])
    if entries is None:
        since = page_start(period, now)
        entries = {ft: list_entries(paths, config, ft, since) for ft in ("rx", "tx")}
    sections, descriptions = [], {}
    for file_type in ("rx", "tx"):
        if period == "daily":
            columns = [(words["daily_column"], None)]
        else:
            columns = [(TYPE_COLUMNS[display][t], HELP_PAGES[t]) for t in PAGE_TYPES[file_type]]
        rows = []
        for entry in entries[file_type]:
            row_id = f"{file_type}-{len(rows)}"
            descriptions[row_id] = {
                "title": words["describe"].format(name=entry.name),
                "lines": entry.description(display),
            }
            cells = (
                _daily_cells(paths, entry, dates, display, files)
                if period == "daily"
                else _rrd_cells(paths, entry, period, dates, display, files)
            )
            rows.append(
                {"id": row_id, "name": entry.name, "machines": entry.machines_text, "cells": cells}
            )
        sections.append(
            {
                "file_type": file_type,
                "heading": words["heading"][period].format(kind=words["kinds"][file_type]),
                "names": words["names"][file_type],
                "names_help": HELP_PAGES[file_type],
                "columns": columns,
                "rows": rows,
                "csv": []
                if period == "daily"
                else csv_links(paths, config, period, file_type, dates, display, files),
            }
        )
    return {
        "template": "period.html",
        "lang": display,
        "period": period,
        "updated": words["updated"][PAGE_UPDATES[period]],
        "sections": sections,
        "descriptions": descriptions,
        "popup": POPUP,
        "static": "../static",
        "daily": period == "daily",
        "words": words,
    }


# -- totals pages ---------------------------------------------------------------------------------


def totals_page(paths: StatsPaths, config, tag: str, display: str, files: str, now: int) -> dict:
    """Content of <tag>_<display>.html: the machine totals of the tag's machines."""
    words = TEXT[display]
    machine = producers.machines_name(config.machines.machines_of(tag))
    base = paths.graphics_archives
    tables = []
    for file_type in ("rx", "tx"):
        rows = []
        for period in PERIODS:
            dates = period_dates(period, now, TOTALS_PERIODS[period])
            cells = []
            for data_type in PAGE_TYPES[file_type]:
                candidates = []
                for date in dates:
                    path = producers.rrd_archive(
                        paths,
                        period,
                        file_type,
                        file_type,
                        data_type,
                        date,
                        files,
                        totals_machine=machine,
                    )
                    start = producers.period_start(period, date)
                    label = (
                        WEEKDAYS["en"][producers.gmtime(start).tm_wday]
                        if period == "daily"
                        else _label(period, path, display, start)
                    )
                    candidates.append((path, Link(_href(ARCHIVES_LINK, path, base), label)))
                cells.append(_existing(candidates) if machine else [])
            rows.append({"label": words["totals_rows"][period], "cells": cells})
        tables.append(
            {
                "heading": words[f"totals_{file_type}"].format(tag=tag.upper()),
                "columns": [
                    (TYPE_COLUMNS[display][t], HELP_PAGES[t]) for t in PAGE_TYPES[file_type]
                ],
                "rows": rows,
            }
        )
    return {
        "template": "totals.html",
        "lang": display,
        "tables": tables,
        "popup": POPUP,
        "static": "../static",
        "words": words,
        "descriptions": {},
    }


def tag_page_name(tag: str, display: str) -> str:
    return f"{tag.replace(',', '')}_{display}.html"


# -- top, bottom, index, help and documentation ---------------------------------------------------


def top_page(config, display: str, languages) -> dict:
    words = TEXT[display]
    html = f"html_{display}"
    links = [(words["top_periods"][p], f"{html}/{p}Graphs_{display}.html") for p in PERIODS]
    clusters = [
        (tag.upper(), f"{html}/{tag_page_name(tag, display)}")
        for tag in config.general.source_machines_tags
    ]
    right = [
        (words["archives"], f"{html}/archives/"),
        (words["requests"], f"scripts/cgi-bin/graphicsRequestPage.py?lang={display}"),
        (words["glossary"], f"{html}/helpPages/glossary_{display}.html"),
        (words["documentation"], f"{html}/docPages/listOfDocumentationFiles_{display}.html"),
    ]
    others = [lang for lang in languages if lang != display]
    return {
        "template": "top.html",
        "lang": display,
        "words": words,
        "static": "static",
        "languages": [display] + others,
        "periods": links,
        "clusters": clusters,
        "right": right,
        "descriptions": {},
    }


def bottom_page(main: str, languages) -> dict:
    return {
        "template": "bottom.html",
        "lang": main,
        "words": TEXT[main],
        "static": "static",
        "versions": [
            (f"top_{lang}.html", TEXT[lang]["version"]) for lang in languages if lang != main
        ],
        "descriptions": {},
    }


def index_page(main: str) -> dict:
    return {"template": "index.html", "lang": main, "top": f"top_{main}.html", "words": TEXT[main]}


def help_pages(display: str) -> dict[str, dict]:
    return {
        f"helpPages/{key}_{display}.html": {
            "template": "help.html",
            "lang": display,
            "words": TEXT[display],
            "static": "../../static",
            "term": term,
            "text": text,
            "descriptions": {},
        }
        for key, (term, text) in HELP[display].items()
    }


DOCUMENTS = (
    "generateWebPages",
    "installPxStatsWebInterface",
    "pxStatsWeb",
    "generateGraphics",
    "generateRRDGraphics",
    "csvDataConversion",
    "csvDataFiltersForWebPages",
)


def doc_page(display: str) -> dict:
    return {
        "template": "doclist.html",
        "lang": display,
        "words": TEXT[display],
        "static": "../../static",
        "documents": DOCUMENTS,
        "descriptions": {},
    }


# -- HTML -----------------------------------------------------------------------------------------

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["csp"] = CSP
    return env


_ENV: jinja2.Environment | None = None


def render(context: dict) -> str:
    global _ENV
    if _ENV is None:
        _ENV = environment()
    return _ENV.get_template(context["template"]).render(**context)


def static_files() -> dict[str, bytes]:
    """The style sheet and scripts shipped with the package (published under static/)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(STATIC.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }
