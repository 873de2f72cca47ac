"""Web interface benchmark: prints JSON figures, asserts nothing.

* pages: generateWebPages' work (web_pages.run) for 150 clients x 4 periods (daily, weekly,
  monthly, yearly) x 2 languages (en:en, fr:en), every client with archives to link
  (target <= 2 s);
* round trip: a request page POST for the 24-hour gnuplot graphic of one client (real hourly
  pickles, 20-200 files a minute) answered by the app under waitress on 127.0.0.1, then the
  GET of the PNG (target <= 0.5 s; the original's page promised "< 40 s");
* concurrency: 20 requests sent at once, how many were answered with an image and how long
  the last one took.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hourly_data import shifted, template_hour
from webfixtures import put_png, ran, serve, write_config

from pxstats.actions import web_pages, web_request
from pxstats.paths import StatsPaths
from pxstats.store import pickles
from pxstats.util import timeutil
from pxstats.web import app as web_app
from pxstats.web import producers

CLIENTS = 150
NOW = timeutil.parse_iso("2008-01-09 10:00:00")


def build_site(root: Path):
    config = write_config(root, pairs="en:en,fr:en")
    paths = StatsPaths(root)
    for i in range(CLIENTS):
        name = f"client{i:03d}"
        ran(paths, "tx" if i % 3 else "rx", name, ["m1", "m2"], NOW - 60)
        ft = "tx" if i % 3 else "rx"
        for k in range(0, 7, 2):
            put_png(producers.daily_archive(paths, ft, name, False, NOW - k * 86400, "en"))
        put_png(producers.rrd_archive(paths, "weekly", ft, name, "bytecount", NOW, "en"))
    return paths, config


def bench_pages(paths, config) -> dict:
    request = web_pages.Request(
        now=NOW, pairs=(("en", "en"), ("fr", "en")), only=("daily", "weekly", "monthly", "yearly")
    )
    times = []
    for _ in range(5):
        started = time.perf_counter()
        outcome = web_pages.run(paths, config, request)
        times.append(time.perf_counter() - started)
    return {
        "clients": CLIENTS,
        "periods": 4,
        "languages": 2,
        "files": len(outcome.written),
        "first_s": round(times[0], 3),
        "median_s": round(statistics.median(times[1:]), 3),
        "target_s": 2.0,
    }


def post(url: str, form: dict) -> str:
    data = urllib.parse.urlencode(form).encode()
    origin = url.split("/scripts/")[0]
    request = urllib.request.Request(url, data=data, headers={"Origin": origin})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return answer.read().decode()


def round_trip(base: str, form: dict) -> tuple[float, bool]:
    started = time.perf_counter()
    reply = post(base + "/scripts/cgi-bin/graphicsRequestBroker.py", form)
    images = reply.split(";")[0][len("images=") :]
    ok = False
    if images:
        png_url = base + "/" + images.split("+")[0].replace("../../", "")
        with urllib.request.urlopen(png_url, timeout=60) as answer:
            ok = answer.read(8) == b"\x89PNG\r\n\x1a\n"
    return time.perf_counter() - started, ok


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths, config = build_site(root)
        pages = bench_pages(paths, config)
        template = template_hour(random.Random(1), timeutil.hour_start(NOW))
        for h in range(25):
            hour = timeutil.hour_start(NOW) - h * 3600
            pickles.save(paths.hourly_pickle("satnet", hour, "tx", "m1"), shifted(template, hour))
        form = {
            "lang": "en",
            "fileType": "tx",
            "machines": "m1",
            "statsTypes": "latency,bytecount,filecount,errors",
            "sourLients": "satnet",
            "preDeterminedSpan": "daily",
            "fixedSpan": "Past 24 hours",
            "endTime": "09-01-2008 10:00:00",
            "span": "",
            "combineSourlients": "false",
            "products": "",
        }
        app = web_app.App(paths, config, broker=web_request.Broker(paths, config, max_concurrent=4))
        with serve(app, threads=24) as base:
            trips = [round_trip(base, form) for _ in range(6)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=20) as pool:
                results = list(pool.map(lambda _: round_trip(base, form), range(20)))
            wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "pages": pages,
                "round_trip_24h_one_client": {
                    "first_s": round(trips[0][0], 3),
                    "median_s": round(statistics.median(t for t, _ in trips[1:]), 3),
                    "all_png": all(ok for _, ok in trips),
                    "target_s": 0.5,
                },
                "concurrent_20": {
                    "answered_with_png": sum(ok for _, ok in results),
                    "slowest_s": round(max(t for t, _ in results), 3),
                    "wall_s": round(wall, 3),
                    "graphics_at_once": 4,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
