"""Helpers of the web tests: a configured root, small real PNGs, the WSGI app served by
waitress on 127.0.0.1 in a thread, and a headless Debian Chromium driven by Selenium."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time
import zlib
from pathlib import Path

from pxstats.config import load_config
from pxstats.paths import StatsPaths
from pxstats.rrd import schema

CONFIG = """\
[generalConfig]
sourceMachinesTags = {tags}
picklingMachines = {tags}
machinesToBackupInDb = {tags}
graphicsUploadMachines =
daysOfPicklesToKeep = 21
nbDbBackupsToKeep = 20
nbAutoUpdatesLogsToKeep = 10
mainApplicationLanguage = en
artifactsLanguages = en
webPagesLanguages = {pairs}
statsRoot = /apps/px/pxStats/

[timeConfig]
pxStatsFrequency = 1/hours
monitoringFrequency = 12/hours
dbBackupsFrequency = 12/hours
pickleCleanerFrequency = 24/hours
generalCleanerFrequency = 24/hours
dailyWebPageUpdatesFrequency = hourly
weeklyWebPageUpdatesFrequency = hourly
monthlyWebPageUpdatesFrequency = weekly
yearlyWebPageUpdatesFrequency = monthly
totalWebPagesUpdatesFrequency = daily

[specialGroups]
{groups}
"""


def write_config(
    root: Path,
    tags=("tag1",),
    machines="tag1 m1,m2 u1,u2",
    pairs="en:en,fr:en",
    groups="G1 = tag1 tx c1,c2 *",
):
    etc = Path(root) / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "config").write_text(CONFIG.format(tags=",".join(tags), pairs=pairs, groups=groups))
    (etc / "configForMachines").write_text(machines + "\n")
    return load_config(etc)


def png_bytes(width: int = 40, height: int = 20, rgb=(255, 0, 0)) -> bytes:
    """A valid RGB PNG of one colour."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def put_png(path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(**kwargs))
    return path


def ran(paths: StatsPaths, file_type: str, name: str, machines, when: int) -> None:
    """A database of `name` on the machine set, updated at `when` (what names_having_run reads)."""
    data_type = "latency" if file_type == "tx" else "bytecount"
    db = schema.db_path(paths, data_type, name, machines)
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"")
    schema.write_time_of_update(schema.time_of_update_path(paths, file_type, db), when)


# -- server and browser ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(app, threads: int = 8):
    """The WSGI app under waitress on 127.0.0.1:<free port>; yields the base URL."""
    from waitress.server import create_server

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.task_dispatcher.shutdown(timeout=10)  # let running requests finish
        server.close()
        thread.join(5)


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_available() -> bool:
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


@contextlib.contextmanager
def chromium(tmp_path: Path):
    """Headless Debian Chromium through Debian's chromedriver (no driver download)."""
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot_not_blank(driver, path: Path) -> Path:
    """Save a screenshot and check it is a PNG with drawn content: a blank page compresses to
    a handful of distinct byte values once decompressed (rows of one colour, filtered)."""
    assert driver.save_screenshot(str(path))
    from pngimage import png_chunks

    chunks = png_chunks(path)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    assert len(set(raw)) > 40, f"blank screenshot {path}"
    return path
