"""installPxStatsWebInterface, pxStatsWeb and csvDataFiltersForWebPages (spec §4.1, §4.7.2)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from helpers import REPO, T
from manpage import assert_manual_page_matches_help
from webfixtures import free_port, write_config

from pxstats.actions import csv_filter, web_pages
from pxstats.cli import (
    csvDataFiltersForWebPages,
    installPxStatsWebInterface,
    pxStatsWeb,
)
from pxstats.paths import StatsPaths
from pxstats.web import site


def run_cli(module, *args, env=None):
    return subprocess.run(
        check=False,
        args=[sys.executable, "-m", f"pxstats.cli.{module}", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_install_publishes_only_pages_graphics_archives_csv(tmp_path, run_env):
    config = write_config(tmp_path)
    paths = StatsPaths(tmp_path)
    web_pages.run(
        paths,
        config,
        web_pages.Request(now=T("2008-01-09 10:00:00"), pairs=(("en", "en"), ("fr", "en"))),
    )
    docroot = tmp_path / "www"
    done = run_cli("installPxStatsWebInterface", str(docroot), env=run_env)
    assert done.returncode == 0, done.stderr
    links = {}
    for folder, dirs, files in os.walk(docroot):  # os.walk does not enter the links
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                links[os.path.relpath(path, docroot)] = os.readlink(path)
    for nested in ("html_en/archives", "html_fr/archives", "html_fr/fichiersCsv"):
        links[nested] = os.readlink(docroot / nested)
    data = str(tmp_path / "data")
    assert links["html_en"] == data + "/webPages/html_en"
    assert links["html_fr/archives"] == data + "/graphics/webGraphics/archives"
    assert links["html_fr/fichiersCsv"] == data + "/csvFiles"
    assert links["top.html"] == data + "/webPages/top_en.html"
    assert links["requestGraphics"] == data + "/graphics/requests"
    for target in links.values():  # nothing of etc/, logs, pickles or databases
        assert target.startswith(data + "/") and "/etc" not in target
        assert not target.startswith((data + "/pickles", data + "/databases", data + "/logs"))
    assert str(paths.etc) not in links.values() and str(tmp_path) not in links.values()
    scripts = sorted(p.name for p in (docroot / "scripts/cgi-bin").iterdir())
    assert scripts == sorted(installPxStatsWebInterface.CGI_SCRIPTS)
    for folder, dirs, files in os.walk(docroot):
        for name in dirs + files:
            mode = os.lstat(os.path.join(folder, name)).st_mode
            assert stat.S_ISLNK(mode) or not mode & stat.S_IWOTH, name
    again = run_cli("installPxStatsWebInterface", str(docroot), env=run_env)
    assert again.returncode == 0
    relative = run_cli("installPxStatsWebInterface", "www", env=run_env)
    assert relative.returncode == 2 and "absolute" in relative.stderr


def test_cgi_script_answers_like_the_app(tmp_path, run_env):
    """The installed CGI script runs the same application (Apache's deployment)."""
    write_config(tmp_path)
    docroot = tmp_path / "www"
    assert run_cli("installPxStatsWebInterface", str(docroot), env=run_env).returncode == 0
    env = dict(
        run_env,
        REQUEST_METHOD="POST",
        SCRIPT_NAME="/scripts/cgi-bin/graphicsRequestBroker.py",
        PATH_INFO="",
        QUERY_STRING="",
        SERVER_NAME="h",
        SERVER_PORT="80",
        SERVER_PROTOCOL="HTTP/1.0",
        HTTP_HOST="h",
        HTTP_ORIGIN="http://h",
        CONTENT_LENGTH="7",
        CONTENT_TYPE="application/x-www-form-urlencoded",
    )
    done = subprocess.run(
        check=False,
        args=[str(docroot / "scripts/cgi-bin/graphicsRequestBroker.py")],
        input=b"lang=de",
        env=env,
        capture_output=True,
        timeout=60,
    )
    out = done.stdout.decode()
    assert "Status: 200" in out and "Content-Type: text/plain; charset=utf-8" in out
    assert out.endswith(
        "images=;error=Error in query broker. Cannot proceed with query. "
        "de is not a supported language.\n"
    )
    get = subprocess.run(
        check=False,
        args=[str(docroot / "scripts/cgi-bin/graphicsRequestBroker.py")],
        input=b"",
        env=dict(env, REQUEST_METHOD="GET"),
        capture_output=True,
        timeout=60,
    )
    assert "Status: 405" in get.stdout.decode()


def test_pxstatsweb_serves(tmp_path, run_env):
    config = write_config(tmp_path)
    web_pages.run(StatsPaths(tmp_path), config, web_pages.Request(now=T("2008-01-09 10:00:00")))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pxstats.cli.pxStatsWeb", "--listen", f"127.0.0.1:{port}"],
        env=run_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/index.html", timeout=2
                ) as answer:
                    body = answer.read().decode()
                    csp = answer.headers["Content-Security-Policy"]
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert body is not None and "<frameset" in body and "script-src 'self'" in csp
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/etc/config", timeout=5)
        assert refused.value.code == 404
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(10)
    bad = run_cli("pxStatsWeb", "--listen", "somewhere", env=run_env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


CSV = """clients,latency total,bytecount total,filecount total
a on m1,1.0,100.0,10.0
b on m1,None,300.0,30.0
G1 on m1,5.0,50.0,5.0
"""


def test_filter(tmp_path, run_env):
    """T-31: cost columns, totals and means without groups; None does not crash."""
    write_config(tmp_path)
    path = tmp_path / "x.csv"
    path.write_text(CSV)
    done = run_cli("csvDataFiltersForWebPages", "-f", str(path), "-c", "1000", env=run_env)
    assert done.returncode == 0, done.stderr
    lines = path.read_text().splitlines()
    assert lines[0] == (
        "clients,latency total,bytecount total,filecount total,"
        "cost for bytes, cost for files, total cost"
    )
    assert lines[1] == "a on m1,1.0,100.0,10.0,100.0, 150.0, 250.0"
    assert lines[2] == "b on m1,None,300.0,30.0,300.0, 450.0, 750.0"
    assert lines[3] == "G1 on m1,5.0,50.0,5.0,50.0, 75.0, 125.0"
    assert lines[4] == "Total ( without groups ),1.0,400.0,40.0,400.0,600.0,1000.0"
    assert lines[5] == "Means ( without groups ),0.5,200.0,20.0,200.0,300.0,500.0"
    assert not list(tmp_path.glob(".x.csv*"))
    for args, message in (
        (["-c", "10"], "existing file"),
        (["-f", str(path), "-c", "0"], "above 0"),
        (["-f", str(path), "-c", "x"], "above 0"),
        (["-f", str(tmp_path / "none.csv"), "-c", "1"], "existing file"),
    ):
        bad = run_cli("csvDataFiltersForWebPages", *args, env=run_env)
        assert bad.returncode == 2 and message in bad.stderr


def test_filter_reads_french_columns():
    text = "clients,nbreDeBytes total,nbreDeFichiers total\na on m1,10.0,1.0\n"
    out = csv_filter.filter_text(text, 100).splitlines()
    assert out[0].endswith(",cout pour les bytes, cout pour les fichiers, cout total")
    assert out[1] == "a on m1,10.0,1.0,40.0, 60.0, 100.0"


@pytest.mark.parametrize(
    "name, module",
    [
        ("pxStatsWeb", pxStatsWeb),
        ("installPxStatsWebInterface", installPxStatsWebInterface),
        ("csvDataFiltersForWebPages", csvDataFiltersForWebPages),
    ],
)
def test_manual_pages(name, module):
    assert_manual_page_matches_help(REPO / f"man/man1/{name}.1", module.build_parser())


def test_site_layout_has_no_private_folder(tmp_path):
    paths = StatsPaths(tmp_path)
    for target in site.published(paths).values():
        for private in (paths.etc, paths.pickles, paths.databases, paths.logs):
            assert private not in target.parents and target != private
