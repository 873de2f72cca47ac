#!/usr/bin/env python3
"""Hostile log benchmark (issue 11 item 8): prints JSON figures, asserts nothing.

A 6-hour tx log with `--garbage` MB without a newline appended (a writer gone wrong), then
the wall time and the bytes read (rchar) of pickleUpdater runs: two hours whose scan stops
before the garbage (only the search for the file's last record meets it), and the last hour
of records, whose scan reads through the garbage up to the end of the file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pxstats.cli import pickleUpdater  # noqa: E402
from pxstats.util import timeutil  # noqa: E402


def rchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def log_lines(first: int, hours: int) -> bytes:
    lines = []
    for h in range(hours):
        for minute in (0, 30):
            t = first + h * 3600 + minute * 60
            stamp = timeutil.iso(t).replace("-", "").replace(" ", "").replace(":", "")
            lines.append(
                f"{timeutil.iso(t + 30)},000 [INFO] (100 Bytes) Bulletin "
                f"SACN{h:02d}_CWAO:ncp1:CWAO:SA:3:Direct:{stamp}  delivered\n"
            )
    return "".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--garbage", type=int, default=50, help="MB without newline")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pxstats-bench-hostile-"))
    try:
        log = root / "data" / "logFiles" / "remote1" / "tx_clientA.log"
        log.parent.mkdir(parents=True)
        log.write_bytes(log_lines(timeutil.parse_iso("2008-04-30 10:00:00"), 6))
        with open(log, "ab") as handle:
            handle.write(b"x" * (args.garbage * 1024 * 1024))
        runs = []
        for date in ("2008-04-30 12:10:00", "2008-04-30 13:10:00", "2008-04-30 16:10:00"):
            before, began = rchar(), time.perf_counter()
            argv = ["--root", str(root), "-m", "remote1", "-c", "clientA", "-d", date]
            code = pickleUpdater.main(argv)
            runs.append(
                {
                    "date": date,
                    "exit": code,
                    "seconds": round(time.perf_counter() - began, 3),
                    "bytes_read": rchar() - before,
                }
            )
        print(json.dumps({"garbage_mb": args.garbage, "runs": runs}, indent=2))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
