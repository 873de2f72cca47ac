"""Static web pages (spec graphics_web.md §4, acceptance T-17 to T-21, T-32, T-33)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import REPO, T
from manpage import assert_manual_page_matches_help
from webfixtures import put_png, ran, write_config

from pxstats.actions import web_pages
from pxstats.cli import generateWebPages
from pxstats.paths import StatsPaths
from pxstats.web import producers, site

NOW = T("2008-01-09 10:00:00")  # a Wednesday


class Links(HTMLParser):
    """Every <a> of a page: (href, text, attributes)."""

    def __init__(self):
        super().__init__()
        self.links, self._open = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open = [dict(attrs), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            attrs, text = self._open
            self.links.append((attrs.get("href"), text.strip(), attrs))
            self._open = None


def links_of(html: str) -> list[tuple[str, str, dict]]:
    parser = Links()
    parser.feed(html)
    return parser.links


def row_links(html: str, row_name: str, file_type: str = "tx") -> list[tuple[str, str]]:
    """(href, text) of the archive links in the row of `row_name` in the rx or tx section."""
    section = html.split(f'<section class="names {file_type}">')[1].split("</section>")[0]
    for row in section.split("<tr id=")[1:]:
        name = row.split('<td class="name">')[1].split(" <a")[0]
        if name == row_name:
            return [(h, t) for h, t, _ in links_of(row) if h.startswith("archives/")]
    raise AssertionError(f"no row {row_name}")


@pytest.fixture
def web(tmp_path):
    config = write_config(tmp_path)
    paths = StatsPaths(tmp_path)
    (tmp_path / "data").mkdir(exist_ok=True)
    return paths, config


def build(paths, config, pairs=(("en", "en"), ("fr", "en")), only=web_pages.PARTS, now=NOW):
    return web_pages.run(
        paths, config, web_pages.Request(now=now, pairs=tuple(pairs), only=tuple(only))
    )


def page(paths, name: str, lang: str = "en") -> str:
    return (site.html_folder(paths, lang) / name).read_text(encoding="utf-8")


def test_daily_page_links_exactly_the_existing_days(web):
    """T-17: archives for 3 of the last 7 days -> exactly 3 links, weekday texts."""
    paths, config = web
    ran(paths, "tx", "c1", ["m1", "m2"], NOW - 3600)
    for day in ("2008/January/03", "2008/January/05", "2008/January/09"):
        put_png(paths.graphics_archives / "daily" / "tx" / "c1" / f"{day}.png")
    put_png(paths.graphics_archives / "daily" / "tx" / "c1" / "2008/January/01.png")  # too old
    build(paths, config)
    html = page(paths, "dailyGraphs_en.html")
    assert row_links(html, "c1") == [
        ("archives/daily/tx/c1/2008/January/03.png", "Thu"),
        ("archives/daily/tx/c1/2008/January/05.png", "Sat"),
        ("archives/daily/tx/c1/2008/January/09.png", "Wed"),
    ]
    assert "Daily graphics for RX sources from MetPx." in html
    assert "Daily graphics for TX clients from MetPx." in html
    assert "*updated hourly" in html
    # the group is listed with its machines, no link (no archive)
    assert row_links(html, "G1") == []
    assert "(m1,m2)" in html


def test_daily_key_is_the_producers_and_a_link_opens_a_named_window(web):
    """Just after midnight the current graphic is filed under the day before (end - 60 s);
    the page asks the producer's naming function, so it links that file."""
    paths, config = web
    now = T("2008-01-10 00:20:00")
    ran(paths, "tx", "c1", ["m1", "m2"], now - 60)
    put_png(paths.graphics_archives / "daily" / "tx" / "c1" / "2008/January/09.png")
    build(paths, config, now=now)
    html = page(paths, "dailyGraphs_en.html")
    assert row_links(html, "c1") == [("archives/daily/tx/c1/2008/January/09.png", "Wed")]
    targets = [a.get("target") for h, _, a in links_of(html) if h.startswith("archives/")]
    assert targets == ["c1"]


def test_french_display_over_english_files(web):
    """T-18: French captions, English archive paths."""
    paths, config = web
    ran(paths, "tx", "c1", ["m1", "m2"], NOW - 3600)
    put_png(paths.graphics_archives / "daily" / "tx" / "c1" / "2008/January/07.png")
    build(paths, config)
    html = page(paths, "dailyGraphs_fr.html", "fr")
    assert "Graphiques journaliers pour toutes les sources(RX) de MetPx." in html
    assert "Journees : " in html
    assert row_links(html, "c1", "tx") == [("archives/daily/tx/c1/2008/January/07.png", "Lun")]
    assert '<meta charset="utf-8">' in html


def test_weekly_monthly_yearly_links_and_csv(web):
    """T-19 and B-22: week keys from the producer's window (Sunday start, %W)."""
    paths, config = web
    ran(paths, "tx", "c1", ["m1", "m2"], NOW - 3600)
    arch = paths.graphics_archives
    # NOW = Wed 2008-01-09: weeks shown start Sun 2007-12-23 (%W 51), 12-30 (52) and
    # 2008-01-06 (00: before the year's first Monday); "now - k weeks" would give 01
    put_png(arch / "weekly/tx/c1/2007/latency/52.png")
    put_png(arch / "weekly/tx/c1/2008/latency/00.png")
    put_png(arch / "weekly/tx/c1/2008/latency/01.png")  # next week: not shown
    put_png(arch / "monthly/tx/c1/2007/errors/November.png")
    put_png(arch / "monthly/tx/c1/2008/errors/January.png")
    put_png(arch / "yearly/tx/c1/bytecount/2008.png")
    put_png(arch / "yearly/tx/c1/bytecount/2005.png")  # 3 years shown: 2006-2008
    csv = producers.csv_root(paths)
    for rel in (
        "weekly/tx/tag1/2007/52.csv",
        "monthly/tx/tag1/2008/January.csv",
        "yearly/tx/tag1/2007.csv",
        "weekly/tx/tag1/2007/40.csv",
    ):
        (csv / rel).parent.mkdir(parents=True, exist_ok=True)
        (csv / rel).write_text("clients\n")
    build(paths, config)
    weekly = page(paths, "weeklyGraphs_en.html")
    assert row_links(weekly, "c1") == [
        ("archives/weekly/tx/c1/2007/latency/52.png", "52"),
        ("archives/weekly/tx/c1/2008/latency/00.png", "00"),
    ]
    assert [(h, t) for h, t, _ in links_of(weekly) if h.startswith("csvFiles/")] == [
        ("csvFiles/weekly/tx/tag1/2007/52.csv", "52.csv")
    ]
    monthly = page(paths, "monthlyGraphs_en.html")
    assert row_links(monthly, "c1") == [
        ("archives/monthly/tx/c1/2007/errors/November.png", "Nov"),
        ("archives/monthly/tx/c1/2008/errors/January.png", "Jan"),
    ]
    assert ("csvFiles/monthly/tx/tag1/2008/January.csv", "Jan.csv") in [
        (h, t) for h, t, _ in links_of(monthly)
    ]
    yearly = page(paths, "yearlyGraphs_en.html")
    assert row_links(yearly, "c1") == [("archives/yearly/tx/c1/bytecount/2008.png", "2008")]
    assert ("csvFiles/yearly/tx/tag1/2007.csv", "2007.csv") in [
        (h, t) for h, t, _ in links_of(yearly)
    ]
    # French page over English files: French texts, English paths
    monthly_fr = page(paths, "monthlyGraphs_fr.html", "fr")
    assert ("archives/monthly/tx/c1/2007/errors/November.png", "Nov") in row_links(monthly_fr, "c1")
    assert ("csvFiles/monthly/tx/tag1/2008/January.csv", "Jan.csv") in [
        (h, t) for h, t, _ in links_of(monthly_fr)
    ]
    assert "Années" in page(paths, "yearlyGraphs_fr.html", "fr")
    # popup links carry the window size, no inline JavaScript anywhere
    popups = [a for h, _, a in links_of(weekly) if h.startswith("archives/")]
    assert all(a["class"] == "popup" and a["data-width"] == "875" for a in popups)
    assert "onclick" not in weekly.lower()


def test_files_in_french(web):
    """Display en / files fr: French folders and month names in paths."""
    paths, config = web
    ran(paths, "tx", "c1", ["m1", "m2"], NOW - 3600)
    put_png(paths.graphics_archives / "mensuel/tx/c1/2008/erreurs/Janvier.png")
    put_png(paths.graphics_archives / "journalier/tx/c1/2008/Janvier/08.png")
    csv = producers.csv_root(paths) / "mensuel/tx/tag1/2007/Decembre.csv"
    csv.parent.mkdir(parents=True)
    csv.write_text("clients\n")
    build(paths, config, pairs=(("en", "fr"),))
    assert ("fichiersCsv/mensuel/tx/tag1/2007/Decembre.csv", "Dec.csv") in [
        (h, t) for h, t, _ in links_of(page(paths, "monthlyGraphs_en.html"))
    ]
    assert ("archives/mensuel/tx/c1/2008/erreurs/Janvier.png", "Jan") in row_links(
        page(paths, "monthlyGraphs_en.html"), "c1"
    )
    assert row_links(page(paths, "dailyGraphs_en.html"), "c1") == [
        ("archives/journalier/tx/c1/2008/Janvier/08.png", "Tue")
    ]


def test_totals_page(web):
    """T-20: tables, rows, columns; only existing totals archives."""
    paths, config = web
    arch = paths.graphics_archives
    put_png(arch / "daily/totals/m1m2/rx/2008/January/bytecount/08.png")
    put_png(arch / "weekly/totals/m1m2/tx/2008/filesOverMaxLatency/00.png")
    put_png(arch / "yearly/totals/m1m2/tx/errors/2007.png")
    build(paths, config, only=("totals",))
    html = page(paths, "tag1_en.html")
    assert "<h2>RX totals for TAG1</h2>" in html and "<h2>TX totals for TAG1</h2>" in html
    for row in (
        "Daily (upd. hourly)",
        "Weekly (upd. hourly)",
        "Monthly (upd. weekly)",
        "Yearly (upd. monthly)",
    ):
        assert html.count(f"<td>{row}</td>") == 2
    rx, tx = html.split("<h2>TX totals")
    assert re.findall(r"<th>(\w[\w .]*?) <a", rx) == ["Bytecount", "Filecount", "Errors"]
    assert re.findall(r"<th>(\w[\w .]*?) <a", tx) == [
        "Latency",
        "Files Over Max. Lat.",
        "Bytecount",
        "Filecount",
        "Errors",
    ]
    archive_links = [(h, t) for h, t, _ in links_of(html) if h.startswith("archives/")]
    assert archive_links == [
        ("archives/daily/totals/m1m2/rx/2008/January/bytecount/08.png", "Tue"),
        ("archives/weekly/totals/m1m2/tx/2008/filesOverMaxLatency/00.png", "00"),
        ("archives/yearly/totals/m1m2/tx/errors/2007.png", "2007"),
    ]
    assert "Totaux des réceptions(RX) pour TAG1" in page(paths, "tag1_fr.html", "fr")


def test_top_bottom_index(web):
    """T-21: top page links; T-32: accents in UTF-8."""
    paths, config = web
    build(paths, config)
    top = (site.web_root(paths) / "top_en.html").read_text()
    hrefs = [h for h, _, _ in links_of(top)]
    for period in ("daily", "weekly", "monthly", "yearly"):
        assert f"html_en/{period}Graphs_en.html" in hrefs
    assert ("html_en/tag1_en.html", "TAG1") in [(h, t) for h, t, _ in links_of(top)]
    assert "scripts/cgi-bin/graphicsRequestPage.py?lang=en" in hrefs
    assert all(a.get("target") == "bottom" for _, _, a in links_of(top))
    top_fr = (site.web_root(paths) / "top_fr.html").read_bytes().decode("utf-8")
    assert "Requêtes" in top_fr and "Grappes" in top_fr and "Journaliers" in top_fr
    bottom = (site.web_root(paths) / "bottom.html").read_text()
    assert ("top_fr.html", "Version française.") in [(h, t) for h, t, _ in links_of(bottom)]
    index = (site.web_root(paths) / "index.html").read_text()
    assert 'src="top_en.html"' in index and 'name="bottom"' in index
    assert (site.static_folder(paths) / "pages.js").is_file()
    assert (site.html_folder(paths, "fr") / "helpPages" / "latency_fr.html").is_file()


def test_hostile_names_are_inert(web):
    """B-42: a name or description never reaches HTML or JavaScript unescaped."""
    paths, config = web
    evil = 'x"><b>b<i>'  # a group name has no blank and no '/' (refused at load)
    config = write_config(paths.root, groups=f"{evil} = tag1 tx c1 </script><b>")
    ran(paths, "tx", "c1'onmouseover=alert(2)", ["m1", "m2"], NOW - 60)
    build(paths, config)
    html = page(paths, "dailyGraphs_en.html")
    assert "<b>b<i>" not in html and "</script><b>" not in html
    assert "x&#34;&gt;&lt;b&gt;b&lt;i&gt;" in html or "x&quot;&gt;&lt;b&gt;b&lt;i&gt;" in html
    assert "c1&#39;onmouseover=alert(2)" in html
    json_block = html.split('id="descriptions">')[1].split("</script>")[0]
    assert "<" not in json_block and "\\u003c/script\\u003e\\u003cb\\u003e" in json_block


def test_pages_are_written_atomically_and_not_world_writable(web):
    """No temp file remains, every page is replaced whole, nothing is world-writable (T-33)."""
    paths, config = web
    build(paths, config)
    first = (site.html_folder(paths, "en") / "dailyGraphs_en.html").stat().st_ino
    build(paths, config)
    assert (site.html_folder(paths, "en") / "dailyGraphs_en.html").stat().st_ino != first
    for folder, dirs, files in os.walk(site.web_root(paths)):
        for name in dirs + files:
            mode = os.stat(Path(folder) / name).st_mode
            assert not mode & stat.S_IWOTH, name
            assert not name.endswith(".tmp"), name


def test_only_and_pairs(web):
    paths, config = web
    outcome = build(paths, config, pairs=(("fr", "fr"),), only=("weekly",))
    assert [p.name for p in outcome.written] == ["weeklyGraphs_fr.html"]
    with pytest.raises(ValueError):
        web_pages.Request(now=NOW, pairs=(("de", "en"),))
    with pytest.raises(ValueError):
        web_pages.Request(now=NOW, only=("hourly",))


def test_cli(tmp_path, run_env):
    write_config(tmp_path)
    done = subprocess.run(
        check=False,
        args=[
            sys.executable,
            "-m",
            "pxstats.cli.generateWebPages",
            "-d",
            "2008-01-09 10:00:00",
            "--language-pairs",
            "fr:en",
        ],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data/webPages/html_fr/dailyGraphs_fr.html").is_file()
    assert not (tmp_path / "data/webPages/html_en").exists()
    bad = subprocess.run(
        check=False,
        args=[sys.executable, "-m", "pxstats.cli.generateWebPages", "--language-pairs", "fr"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "display:files" in bad.stderr
    (tmp_path / "etc" / "config").unlink()
    missing = subprocess.run(
        check=False,
        args=[sys.executable, "-m", "pxstats.cli.generateWebPages"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "not found" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_manual_page():
    assert_manual_page_matches_help(
        REPO / "man/man1/generateWebPages.1", generateWebPages.build_parser()
    )
