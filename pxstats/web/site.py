"""Where the web site's files live under the root, and which folders are published.

Under `<root>/data/webPages/` (data folder names are never translated):

    index.html  top_<lang>.html  bottom.html          frames and navigation
    static/                                           style sheet and scripts (package data)
    html_<lang>/                                      generated pages, helpPages/, docPages/
    wordDatabases/<lang>/products                     remembered product patterns

Request graphics go to `<root>/data/graphics/requests/` (per-request names, expired).

`published(paths, config)` is THE list of URL prefixes and the folder or file each one shows:
installPxStatsWebInterface makes one symbolic link per entry and pxStatsWeb serves exactly
these; nothing else of the root (configuration, logs, pickles, databases) is reachable.
"""

from __future__ import annotations

from pathlib import Path

from pxstats.paths import StatsPaths
from pxstats.web import producers
from pxstats.web.words import CSV_LINK, LANGUAGES

CGI = "scripts/cgi-bin"
REQUESTS_URL = "requestGraphics"


def web_root(paths: StatsPaths) -> Path:
    return paths.data / "webPages"


def html_folder(paths: StatsPaths, language: str) -> Path:
    return web_root(paths) / f"html_{language}"


def static_folder(paths: StatsPaths) -> Path:
    return web_root(paths) / "static"


def words_file(paths: StatsPaths, language: str, word_type: str = "products") -> Path:
    return web_root(paths) / "wordDatabases" / language / word_type


def request_cache(paths: StatsPaths) -> Path:
    return paths.graphics / "requests"


def published(paths: StatsPaths, languages=LANGUAGES, main_language: str = "en") -> dict[str, Path]:
    """URL path (no leading '/') -> file or folder. Longest prefixes win when serving."""
    root = web_root(paths)
    table = {
        "index.html": root / "index.html",
        "top.html": root / f"top_{main_language}.html",
        "bottom.html": root / "bottom.html",
        "static": static_folder(paths),
        REQUESTS_URL: request_cache(paths),
    }
    for language in languages:
        html = f"html_{language}"
        table[f"top_{language}.html"] = root / f"top_{language}.html"
        table[html] = html_folder(paths, language)
        table[f"{html}/archives"] = paths.graphics_archives
        for link in CSV_LINK.values():
            table[f"{html}/{link}"] = producers.csv_root(paths)
    return table
