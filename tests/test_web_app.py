"""The request page as a WSGI application (spec graphics_web.md §5, T-22 to T-27): endpoints,
reply protocol, validation, and a table of hostile inputs that must be refused or inert."""

from __future__ import annotations

import io
import json
import os
import stat
import time
import urllib.parse
from wsgiref.util import setup_testing_defaults

import pytest
from helpers import T, make_client, save_hour
from pngimage import png_pixels, png_size
from webfixtures import write_config

from pxstats.actions import graphics, web_pages, web_request
from pxstats.gnuplot import request as gnureq
from pxstats.paths import StatsPaths
from pxstats.web import app as web_app
from pxstats.web import site

NOW = T("2008-01-05 14:22:00")
ORIGIN = "http://testserver:80"


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, dict(headers), body

    @property
    def code(self) -> int:
        return int(self.status.split()[0])

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(app, path, method="GET", query="", form=None, origin=ORIGIN, raw_body=None):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "testserver:80",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
    }
    body = (
        raw_body
        if raw_body is not None
        else (urllib.parse.urlencode(form).encode() if form is not None else b"")
    )
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    if origin:
        environ["HTTP_ORIGIN"] = origin
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, headers

    body = b"".join(app(environ, start_response))
    return Answer(seen["status"], seen["headers"], body)


def rows(minutes_with_latency):
    """One delivery per listed minute: (seconds after the hour, product, latency, bytes, error)."""
    return [(m * 60 + 10, "WXB", lat, 1000, 0) for m, lat in minutes_with_latency]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    config = write_config(root, tags=("tag1",), machines="tag1 m1,m2 u1,u2")
    paths = StatsPaths(root)
    for hour in range(T("2008-01-04 14:00:00"), T("2008-01-05 14:00:00"), 3600):
        save_hour(paths, "a", "m1", hour, rows([(5, 3), (30, 4)]))
        save_hour(paths, "b", "m1", hour, rows([(10, 1)]))
    save_hour(paths, "r1", "m1", T("2008-01-05 13:00:00"), rows([(1, 0)]), file_type="rx")
    web_pages.run(paths, config, web_pages.Request(now=NOW, pairs=(("en", "en"), ("fr", "en"))))
    broker = web_request.Broker(paths, config)
    return paths, config, web_app.App(paths, config, broker=broker)


VALID = {
    "querier": "graphicsRequestPage.py",
    "fileType": "tx",
    "machines": "m1",
    "statsTypes": "latency,bytecount",
    "sourLients": "a,b",
    "preDeterminedSpan": "daily",
    "fixedSpan": "Past 24 hours",
    "endTime": "05-01-2008 14:22:00",
    "span": "",
    "combineSourlients": "false",
    "products": "",
    "lang": "en",
}


def tree(root):
    found = set()
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            found.add((path, os.stat(path).st_mtime_ns))
    return found


def broker(app, form, **kwargs):
    return call(app, "/scripts/cgi-bin/graphicsRequestBroker.py", "POST", form=form, **kwargs)


def test_valid_gnuplot_request(world):
    """T-25: reply protocol, a new cache file, 4 panels (1228 px), a/latency on top."""
    paths, _, app = world
    answer = broker(app, VALID)
    assert answer.code == 200
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-cache"
    line = answer.text.strip()
    assert line.startswith("images=../../requestGraphics/") and line.endswith(";error=")
    name = line[len("images=../../requestGraphics/") : -len(";error=")]
    png = site.request_cache(paths) / name
    assert png_size(png) == (1280, 1228)
    top = png_pixels(png)[:307]
    assert any((255, 0, 0) in row for row in top)  # latency impulses in the top band
    served = call(app, f"/requestGraphics/{name}")
    assert served.code == 200 and served.headers["Content-Type"] == "image/png"
    assert served.body == png.read_bytes()
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    # a second identical request gets its own file
    again = broker(app, VALID).text.strip()
    assert again != line


def test_request_order_top_panel_is_the_first_name_and_type(world):
    """T-25: lists reversed by the broker, span defaulted to 24, end at the hour; the top
    (last drawn) panel is a/latency."""
    paths, config, _ = world
    parsed = web_request.parse(VALID, config, web_request.Inventory(paths, config), NOW)
    request = web_request.gnuplot_request(parsed)
    assert request.clients == ("b", "a") and request.types == ("bytecount", "latency")
    assert request.span == 24 and request.end == T("2008-01-05 14:00:00")
    assert gnureq.file_name(request) == (
        "tx_b-a_20080105_14:00:00_bytecount,latency_24hours_on_m1_for_All_products.png"
    )
    top = graphics.plan(paths, request).picture.panels[-1]
    assert top.title[0].startswith("Latency for a for a span of 24 hours")


def test_rrd_request_for_long_spans(world):
    """T-23: spans above 36 h go to the RRD graphics (here: no database, so an error reply
    without any file); the span limit of gnuplot is enforced."""
    paths, config, _ = world
    inventory = web_request.Inventory(paths, config)
    parsed = web_request.parse(dict(VALID, preDeterminedSpan="", span="37"), config, inventory, NOW)
    assert parsed.plotter == "rrd" and parsed.span == 37
    assert (
        web_request.parse(
            dict(VALID, preDeterminedSpan="", span="36"), config, inventory, NOW
        ).plotter
        == "gnuplot"
    )
    assert web_request.parse(dict(VALID, span=""), config, inventory, NOW).plotter == "gnuplot"
    weekly = web_request.parse(
        dict(VALID, preDeterminedSpan="weekly", span=""), config, inventory, NOW
    )
    assert weekly.plotter == "rrd" and weekly.period == "weekly" and weekly.span == 168


def test_rrd_request_draws_one_png_per_client_and_type(tmp_path):
    """A 48-hour request: RRD graphics, each copied into the cache under its own name."""
    config = write_config(tmp_path, tags=("tag1",), machines="tag1 m1,m2 u1,u2")
    paths = StatsPaths(tmp_path)
    end = T("2008-01-05 14:00:00")
    for client in ("a", "b"):
        make_client(paths, client, ["m1"], end - 50 * 3600, 50 * 60, time_of_update=end)
    app = web_app.App(paths, config)
    answer = broker(app, dict(VALID, preDeterminedSpan="", span="48", statsTypes="latency"))
    images = answer.text.strip()[len("images=") : -len(";error=")].split("+")
    assert len(images) == 2 and all(i.startswith("../../requestGraphics/") for i in images)
    for image in images:
        png = site.request_cache(paths) / image.rsplit("/", 1)[1]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    unknown = broker(app, dict(VALID, preDeterminedSpan="", span="48", sourLients="zz"))
    assert unknown.text.startswith("images=;error=Error. Unknown")


@pytest.mark.parametrize(
    "fixed, end",
    [
        ("Previous day.", "2008-01-05 00:00:00"),
        ("Current day.", "2008-01-06 00:00:00"),
        ("Past 24 hours", "2008-01-05 14:22:00"),
    ],
)
def test_end_time(world, fixed, end):
    """T-24 (the graphic then ends at the hour of `end`)."""
    paths, config, _ = world
    parsed = web_request.parse(
        dict(VALID, fixedSpan=fixed), config, web_request.Inventory(paths, config), NOW
    )
    assert parsed.end == T(end)


def test_end_time_defaults_to_the_server_clock(world):
    paths, config, _ = world
    parsed = web_request.parse(
        dict(VALID, endTime=""), config, web_request.Inventory(paths, config), NOW
    )
    assert parsed.end == NOW


def test_language_errors(world):
    """T-22: exact replies."""
    _, _, app = world
    form = dict(VALID)
    del form["lang"]
    assert broker(app, form).text == (
        "images=;error=Error in query broker. Cannot proceed "
        "with query. No language was specified.\n"
    )
    assert broker(app, dict(VALID, lang="de")).text == (
        "images=;error=Error in query broker. Cannot proceed with query. de is not a "
        "supported language.\n"
    )


HOSTILE = [
    ("fileType", "xx"),
    ("machines", "m9"),
    ("machines", "m1;touch /tmp/pwned"),
    ("machines", "../../etc"),
    ("sourLients", "nobody"),
    ("sourLients", "../../etc"),
    ("sourLients", "<script>alert(1)</script>"),
    ("sourLients", 'a"b'),
    ("sourLients", "a'b"),
    ("sourLients", "a\0b"),
    ("sourLients", "`touch /tmp/pwned`"),
    ("sourLients", "$(id)"),
    ("sourLients", ",".join(f"n{i}" for i in range(10000))),
    ("sourLients", ""),
    ("statsTypes", "latency;id"),
    ("statsTypes", "nothing"),
    ("span", "0"),
    ("span", "37"),
    ("span", "999999999999"),
    ("span", "-5"),
    ("span", "1e3"),
    ("endTime", "31-02-2008 10:00:00"),
    ("endTime", "05-01-2999 10:00:00"),
    ("endTime", "'; DROP"),
    ("products", "a/b"),
    ("products", "`id`"),
    ("products", ",".join("p" * 10 for _ in range(20))),
    ("combineSourlients", "maybe"),
    ("groupName", "../G1"),
    ("preDeterminedSpan", "<b>"),
    ("lang", "<script>"),
    ("lang", "fr\0"),
]


@pytest.mark.parametrize("key, value", HOSTILE)
def test_hostile_inputs_are_refused_without_side_effect(world, key, value):
    """T-26/T-27: an error reply, no graphic, nothing written anywhere (but the log)."""
    paths, _, app = world
    before = {p for p in tree(paths.root) if "/data/logs/" not in p[0]}
    answer = broker(app, dict(VALID, **{key: value}))
    after = {p for p in tree(paths.root) if "/data/logs/" not in p[0]}
    line = answer.text
    if answer.code == 413:  # 10,000 names: the body is refused as too large
        line = "images=;error=Error\n"
    assert answer.code in (200, 413) and line.startswith("images=;error=Error")
    assert line.count("\n") == 1 and line.count(";") == 1
    assert "<" not in line and "`" not in line and "\0" not in line
    assert after == before
    assert not os.path.exists("/tmp/pwned")


def test_panel_cap(world):
    _, _, app = world
    form = dict(
        VALID, statsTypes="latency,bytecount,filecount,errors", sourLients=",".join(["a", "b"] * 21)
    )
    assert broker(app, form).text.startswith("images=;error=Error. Too many")


def test_writes_need_post_and_the_same_origin(world):
    paths, _, app = world
    before = tree(site.request_cache(paths)) if site.request_cache(paths).exists() else set()
    query = urllib.parse.urlencode(VALID)
    got = call(app, "/scripts/cgi-bin/graphicsRequestBroker.py", "GET", query=query)
    assert got.code == 405 and got.headers["Allow"] == "POST"
    for origin in ("http://evil.example", "null", "", "http://testserver:8080"):
        refused = broker(app, VALID, origin=origin)
        assert refused.code == 403 and "Cross-site" in refused.text
    referer_only = call(
        app,
        "/scripts/cgi-bin/updateWordsInDB.py",
        "POST",
        form={"wordType": "products", "word": "W1", "lang": "en"},
        origin="",
    )
    assert referer_only.code == 403
    words = call(
        app, "/scripts/cgi-bin/updateWordsInDB.py", "GET", query="wordType=products&word=W2&lang=en"
    )
    assert words.code == 405
    assert (
        tree(site.request_cache(paths)) if site.request_cache(paths).exists() else set()
    ) == before
    assert "W2" not in web_request.words(paths, "en")


def test_remembered_words(world):
    """Valid words are stored once and offered in the page as data; hostile words never."""
    paths, _, app = world
    for word in ("WXB", "WXB", "GRIB*"):
        assert broker_like(app, word).text == "images=;error=\n"
    assert web_request.words(paths, "en") == ["WXB", "GRIB*"]
    for word in ("</script><script>alert(1)</script>", "a'b", "x\ny"):
        assert "error=Error" in broker_like(app, word).text
    site.words_file(paths, "en").write_text("WXB\n</script><script>alert(2)</script>\n")
    page = call(app, "/scripts/cgi-bin/graphicsRequestPage.py", query="lang=en").text
    assert "alert(2)" not in page and '<option value="WXB">' in page


def broker_like(app, word):
    return call(
        app,
        "/scripts/cgi-bin/updateWordsInDB.py",
        "POST",
        form={"wordType": "products", "word": word, "lang": "en"},
    )


def test_form_page(world):
    _, _, app = world
    page = call(app, "/scripts/cgi-bin/graphicsRequestPage.py", query="lang=fr")
    assert page.code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    text = page.text
    assert "Générer le(s) graphique(s)" in text and 'lang="fr"' in text
    assert "précédent" in text and "Requête de graphiques" in text  # T-32: UTF-8 accents
    assert "Requêtes" in call(app, "/top_fr.html").text
    data = json.loads(text.split('id="request-data">')[1].split("</script>")[0])
    assert data["choices"]["main_machines"] == ["m1,m2"]
    assert data["choices"]["other_machines"] == ["m1", "m2"]
    assert "latence,nbreDeBytes" in data["choices"]["stats_types"]["tx"]
    assert data["choices"]["periods"] == ["journalier", "hebdomadaire", "mensuel", "annuel"]
    echoed = call(
        app,
        "/scripts/cgi-bin/graphicsRequestPage.py",
        query="lang=%3Cscript%3Ealert(1)%3C/script%3E",
    ).text
    assert "<script>alert" not in echoed and 'lang="en"' in echoed
    assert "onclick" not in text.lower() and "<script>" not in text


def test_chooser(world):
    """T-27: names of the file type on the machines; an injected machine gives nothing."""
    _, _, app = world
    got = call(
        app, "/scripts/cgi-bin/popupSourlientAdder.py", query="fileType=tx&machines=m1&lang=en"
    )
    assert json.loads(got.text) == {"groups": ["G1"], "names": ["a", "b"]}
    rx = call(app, "/scripts/cgi-bin/popupSourlientAdder.py", query="fileType=rx&machines=m1")
    assert json.loads(rx.text)["names"] == ["r1"]
    for machines in ("x;touch /tmp/p", "../../x", "m1,m1"):
        bad = call(
            app,
            "/scripts/cgi-bin/popupSourlientAdder.py",
            query=urllib.parse.urlencode({"fileType": "tx", "machines": machines}),
        )
        assert json.loads(bad.text) == {"groups": [], "names": []}
    assert not os.path.exists("/tmp/p")


def test_combined_image_page_shows_only_cache_images(world):
    _, _, app = world
    line = broker(app, VALID).text.strip()
    name = line.split("/")[-1].split(";")[0]
    page = call(
        app,
        "/scripts/cgi-bin/generateImageWebPage.py",
        query=urllib.parse.urlencode(
            {"lang": "en", "images": f'{name}+../../etc/x+"><script>alert(1)</script>'}
        ),
    ).text
    assert f'src="../../requestGraphics/{name}"' in page
    assert "etc/x" not in page and "alert(1)" not in page


def test_static_files_only_from_published_folders(world):
    paths, _, app = world
    assert call(app, "/html_en/dailyGraphs_en.html").code == 200
    assert call(app, "/html_fr/weeklyGraphs_fr.html").text.count("Graphiques hebdomadaires") == 2
    assert call(app, "/static/request.js").headers["Content-Type"].startswith("text/javascript")
    (paths.etc / "secret").write_text("secret")
    for bad in (
        "/etc/config",
        "/html_en/../../../etc/config",
        "/html_en/%2e%2e/x",
        "/static/../../paths.py",
        "/data/pickles",
        "/pxStats/etc/config",
        "/html_en/archives/../../../../etc/secret",
        "/requestGraphics/../x",
        "/html_en/\0",
        "/.git/config",
    ):
        got = call(app, bad)
        assert got.code == 404, bad
        assert b"secret" not in got.body and b"generalConfig" not in got.body
    assert call(app, "/html_en/dailyGraphs_en.html", method="POST").code == 405
    # a symbolic link out of a published folder is not followed
    link = site.html_folder(paths, "en") / "leak"
    link.symlink_to(paths.etc)
    assert call(app, "/html_en/leak/secret").code == 404
    paths.graphics_archives.mkdir(parents=True, exist_ok=True)
    listing = call(app, "/html_en/archives/")
    assert listing.code == 200


def test_rate_limit(world):
    """At most N writes a minute from one address; others get 429 and nothing is drawn."""
    paths, config, _ = world
    app = web_app.App(paths, config, writes_per_minute=2)
    form = dict(VALID, lang="de")  # cheap requests: refused by the broker after counting
    assert [broker(app, form).code for _ in range(3)] == [200, 200, 429]
    limited = broker(app, form)
    assert limited.headers["Retry-After"] == "60" and "Too many requests" in limited.text
    assert call(app, "/html_en/dailyGraphs_en.html").code == 200  # reading is not limited


def test_internal_errors_are_generic(world, caplog):
    paths, config, _ = world
    failing = web_request.Broker(paths, config)
    failing._draw = lambda parsed, now: 1 / 0  # an unexpected failure inside
    app = web_app.App(paths, config, broker=failing)
    answer = broker(app, VALID)
    assert answer.text == "images=;error=Error. The graphic could not be produced.\n"
    assert "ZeroDivisionError" in caplog.text and "ZeroDivision" not in answer.text


def test_nothing_written_is_world_writable(world):
    """T-33 over everything the pages, requests and words wrote."""
    paths, _, app = world
    assert broker(app, VALID).code == 200
    for folder, dirs, files in os.walk(paths.data):
        for name in dirs + files:
            mode = os.lstat(os.path.join(folder, name)).st_mode
            if not stat.S_ISLNK(mode):  # (a test below plants a symbolic link)
                assert not mode & 0o002, os.path.join(folder, name)


def test_cache_expiry(tmp_path):
    cache = web_request.RequestCache(tmp_path, max_age=100, max_files=2)
    paths = [cache.new_path() for _ in range(4)]
    for i, path in enumerate(paths):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - 1000 + i * 10, time.time() - 1000 + i * 10))
    paths[3].touch()
    (tmp_path / "keep.txt").write_text("not ours")
    cache.sweep(force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([paths[3].name, "keep.txt"])
    assert cache.find("../keep.txt") is None and cache.find(paths[3].name) == paths[3]
