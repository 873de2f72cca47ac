#!/usr/bin/env python3
"""pxStats against the original pickleUpdater, side by side: prints one JSON line per workload.

Workloads (logs written by generateSampleLogs, machine m1, tx):
  * day: one client, a 24-hour catch-up (~120,000 lines, ~18 MB): a first run collects the
    first hour, the timed run catches up the 23 others;
  * hourly: 150 clients x 8 lines a minute, one run of every client for the hour 11:00-12:00
    (what cron does every hour), after a first run that collected the hour before; the live
    logs hold the day so far (since midnight);
  * outage: the same 150 clients catching up 72 hours after a three-day outage (the logs
    rotated at each midnight meanwhile), after a first run that collected the hour before;
  * recollect: 30 days of 20 clients rebuilt (pxStats: recollectData; the original: its
    recollectData's way, times of update set back to the start and one pickleUpdater run).

Both programs run as whole processes (bytecode cached), in turns, best of --runs. The
original is built with its `setup-original` script into a temporary folder; it is found
through $PXSTATS_ORIGINAL (the folder holding setup-original) or beside the checkout. Without
it, or without python2.7, its column is skipped (null) and the reason is printed on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
MACHINE = "m1"
HOUR = 3600
DAY = 24 * HOUR
START = 1795132800  # 2026-11-20 00:00:00 UTC


def iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


WORKLOADS = {
    # name: (clients, rate per hour, hours of logs, end of logs, first run, timed run)
    "day": (["big"], 3800, 26, START + DAY + HOUR, START + HOUR, START + DAY),
    "hourly": (
        [f"c{n:03d}" for n in range(150)],
        8 * 60,
        13,  # the live logs hold the day so far
        START + 12 * HOUR + 300,
        START + 11 * HOUR,
        START + 12 * HOUR,
    ),
    "outage": (
        [f"c{n:03d}" for n in range(150)],
        8 * 60,
        3 * 24 + 13,  # the day of the last run before the outage, three days, the hour now
        START + 3 * DAY + 12 * HOUR + 300,
        START + 12 * HOUR,
        START + 3 * DAY + 12 * HOUR,
    ),
    "recollect": (
        [f"r{n:02d}" for n in range(20)],
        120,
        30 * 24,
        START + DAY,
        START + DAY - 30 * DAY + HOUR,
        START + DAY,
    ),
}


def find_setup() -> Path | None:
    """setup-original: $PXSTATS_ORIGINAL (its folder, or the script), else beside the checkout."""
    given = os.environ.get("PXSTATS_ORIGINAL")
    candidates = []
    if given:
        path = Path(given)
        candidates.append(path / "setup-original" if path.is_dir() else path)
    candidates.append(CHECKOUT.parent / "shared" / "original" / "setup-original")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def build_original(base: Path) -> Path | None:
    setup = find_setup()
    if setup is None:
        print(
            "vs_original: the original pxStats is not available (set PXSTATS_ORIGINAL to the "
            "folder holding setup-original); its column is skipped",
            file=sys.stderr,
        )
        return None
    folder = base / "original"
    done = subprocess.run(
        [str(setup), str(folder)], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        print(
            f"vs_original: the original could not be built ({done.stderr.strip()}); "
            "its column is skipped (python2.7 missing?)",
            file=sys.stderr,
        )
        return None
    return folder


def timed(argv: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"vs_original: {argv[:4]} failed ({process.returncode}): {error[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


def count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def link_tree(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=os.link)


class Original:
    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "pxStats" / "data"

    def reset(self, logs: Path) -> None:
        for name in ("pickles", "picklesTimeOfUpdates", "logFileAccess"):
            shutil.rmtree(self.data / name, ignore_errors=True)
        link_tree(logs, self.data / "logFiles" / MACHINE)

    def updater(self, clients: list[str], until: int) -> list[str]:
        return [
            str(self.folder / "run"),
            "pickleUpdater.py",
            "-c",
            ",".join(clients),
            "-f",
            "tx",
            "-m",
            MACHINE,
            "-d",
            iso(until),
        ]

    def run(self, workload: str, logs: Path) -> tuple[float, float, int]:
        clients, _, _, _, first, until = WORKLOADS[workload]
        self.reset(logs)
        timed(self.updater(clients, first))
        seconds, peak = timed(self.updater(clients, until))
        return seconds, peak, count_files(self.data / "pickles")


class PxStats:
    def __init__(self, base: Path, checkout: Path):
        self.root = base / "pxstats-root"
        self.checkout = checkout
        self.env = dict(os.environ, PYTHONPATH=str(checkout))
        self.env.pop("PXSTATS_ROOT", None)
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # timed with its bytecode cached
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(checkout / "pxstats")],
            check=False,
            timeout=300,
            capture_output=True,
        )

    def command(self, program: str, *args: str) -> list[str]:
        return [sys.executable, "-m", f"pxstats.cli.{program}", "--root", str(self.root), *args]

    def run(self, workload: str, logs: Path) -> tuple[float, float, int]:
        clients, _, _, _, first, until = WORKLOADS[workload]
        shutil.rmtree(self.root, ignore_errors=True)
        link_tree(logs, self.root / "data" / "logFiles" / MACHINE)
        names = ",".join(clients)
        if workload == "recollect":
            argv = self.command(
                "recollectData",
                "--from",
                iso(first - HOUR),
                "--to",
                iso(until),
                "-m",
                MACHINE,
                "-f",
                "tx",
                "-c",
                names,
                "-q",
            )
        else:
            timed(
                self.command(
                    "pickleUpdater", "-m", MACHINE, "-f", "tx", "-c", names, "-d", iso(first)
                ),
                self.env,
                self.checkout,
            )
            argv = self.command(
                "pickleUpdater", "-m", MACHINE, "-f", "tx", "-c", names, "-d", iso(until)
            )
        seconds, peak = timed(argv, self.env, self.checkout)
        return seconds, peak, count_files(self.root / "data" / "pickles")


def generate(base: Path, workload: str) -> tuple[Path, int, int]:
    clients, rate, hours, end, _, _ = WORKLOADS[workload]
    root = base / f"logs-{workload}"
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pxstats.cli.generateSampleLogs",
            "--root",
            str(root),
            "--hours",
            str(hours),
            "--end",
            iso(end),
            "--machines",
            MACHINE,
            "--clients",
            ",".join(clients),
            "--sources",
            "",
            "--rate",
            str(rate),
            "-q",
        ],
        check=True,
        timeout=900,
        cwd=CHECKOUT,
        env=dict(os.environ, PYTHONPATH=str(CHECKOUT)),
    )
    logs = root / "data" / "logFiles" / MACHINE
    lines = size = 0
    for path in logs.iterdir():
        data = path.read_bytes()
        lines += data.count(b"\n")
        size += len(data)
    return logs, lines, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each program (best kept)")
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help="comma-separated among " + ", ".join(WORKLOADS),
    )
    parser.add_argument("--no-original", action="store_true", help="time pxStats only")
    parser.add_argument(
        "--checkout",
        type=Path,
        default=CHECKOUT,
        help="pxStats checkout to time (default: this one), e.g. an older commit's git worktree",
    )
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="pxstats-vs-original-"))
    try:
        folder = None if args.no_original else build_original(base)
        original = Original(folder) if folder else None
        ours = PxStats(base, args.checkout.resolve())
        for workload in args.workloads.split(","):
            logs, lines, size = generate(base, workload)
            theirs_s, ours_s, peaks, pickles = [], [], [], {}
            for _ in range(args.runs):
                if original:
                    seconds, _, pickles["original"] = original.run(workload, logs)
                    theirs_s.append(seconds)
                seconds, peak, pickles["pxstats"] = ours.run(workload, logs)
                ours_s.append(seconds)
                peaks.append(peak)
            best_theirs = min(theirs_s) if theirs_s else None
            print(
                json.dumps(
                    {
                        "benchmark": "vs_original",
                        "workload": workload,
                        "clients": len(WORKLOADS[workload][0]),
                        "log_lines": lines,
                        "log_bytes": size,
                        "original_seconds": round(best_theirs, 3) if best_theirs else None,
                        "pxstats_seconds": round(min(ours_s), 3),
                        "ratio": round(best_theirs / min(ours_s), 1) if best_theirs else None,
                        "original_runs": [round(s, 3) for s in theirs_s],
                        "pxstats_runs": [round(s, 3) for s in ours_s],
                        "pxstats_peak_mb": round(max(peaks), 1),
                        "pickles": pickles,
                    }
                ),
                flush=True,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
