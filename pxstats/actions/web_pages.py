"""Build the static web pages (spec graphics_web.md §4.2-§4.5): for every (display, files)
language pair, the daily, weekly, monthly and yearly pages, one totals page per source
machine tag, the top page, the help and documentation pages; then the bottom page, the frame
page and the style sheet and scripts. Every file is written atomically, under one lock so
that two runs never interleave.

run(paths, config, request) -> Outcome; the web pages know nothing of argparse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.paths import StatsPaths
from pxstats.util import atomic, timeutil
from pxstats.util.locks import named_lock
from pxstats.web import pages, site
from pxstats.web.words import LANGUAGES, PERIODS

log = logging.getLogger(__name__)

PARTS = ("daily", "weekly", "monthly", "yearly", "totals", "top", "bottom")


@dataclass(frozen=True)
class Request:
    now: int
    pairs: tuple[tuple[str, str], ...] = (("en", "en"),)
    only: tuple[str, ...] = PARTS
    main_language: str = "en"

    def __post_init__(self):
        for display, files in self.pairs:
            if display not in LANGUAGES or files not in LANGUAGES:
                raise ValueError(f"unsupported language pair {display}:{files}")
        bad = [part for part in self.only if part not in PARTS]
        if bad:
            raise ValueError(f"unknown page kind(s): {', '.join(bad)}")


@dataclass
class Outcome:
    written: list[Path] = field(default_factory=list)


def _write(outcome: Outcome, path: Path, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    atomic.write_bytes(path, data)
    outcome.written.append(path)


def run(paths: StatsPaths, config, request: Request) -> Outcome:
    outcome = Outcome()
    now = int(request.now)
    displays = list(dict.fromkeys(display for display, _ in request.pairs))
    with named_lock(paths, "webPages"):
        entries: dict[str, dict] = {}  # names listed per period, shared by the languages
        for display, files in request.pairs:
            html = site.html_folder(paths, display)
            for period in PERIODS:
                if period not in request.only:
                    continue
                if period not in entries:
                    since = pages.page_start(period, now)
                    entries[period] = {
                        ft: pages.list_entries(paths, config, ft, since) for ft in ("rx", "tx")
                    }
                context = pages.period_page(
                    paths, config, period, display, files, now, entries[period]
                )
                _write(outcome, html / f"{period}Graphs_{display}.html", pages.render(context))
            if "totals" in request.only:
                for tag in config.general.source_machines_tags:
                    context = pages.totals_page(paths, config, tag, display, files, now)
                    _write(outcome, html / pages.tag_page_name(tag, display), pages.render(context))
            if "top" in request.only:
                _write(
                    outcome,
                    site.web_root(paths) / f"top_{display}.html",
                    pages.render(pages.top_page(config, display, displays)),
                )
                for name, context in pages.help_pages(display).items():
                    _write(outcome, html / name, pages.render(context))
                _write(
                    outcome,
                    html / "docPages" / f"listOfDocumentationFiles_{display}.html",
                    pages.render(pages.doc_page(display)),
                )
        if "bottom" in request.only:
            main = request.main_language if request.main_language in displays else displays[0]
            root = site.web_root(paths)
            _write(outcome, root / "bottom.html", pages.render(pages.bottom_page(main, displays)))
            _write(outcome, root / "index.html", pages.render(pages.index_page(main)))
            for name, data in pages.static_files().items():
                _write(outcome, site.static_folder(paths) / name, data)
    log.info(
        "wrote %d web page file(s) for %s at %s",
        len(outcome.written),
        ",".join(f"{d}:{f}" for d, f in request.pairs),
        timeutil.iso(now),
    )
    return outcome
