"""The demo's printing helper (scripts/demo.sh): what each pxStatsStartup run did and what
the replayed day produced.

    demo_summary.py run-line ROOT DATE EXIT SECONDS OUTPUT   one line for one run
    demo_summary.py steps ROOT                               the last run's step table
    demo_summary.py summary ROOT                             pickles, databases, graphics, pages
    demo_summary.py verdict                                  statsMonitor --json (stdin), briefly

Everything is read from the root (data/monitoring/lastRun.json, the data folders), never
from pxStatsStartup's internals.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

EVERY_HOUR = {"machineTags", "collect", "transfer", "daily", "rrd-daily", "webPages"}
PERIODS = ("daily", "weekly", "monthly", "yearly")


def last_run(root: Path) -> dict | None:
    try:
        return json.loads((root / "data" / "monitoring" / "lastRun.json").read_text())
    except (OSError, ValueError):
        return None


def count(message: str) -> int:
    match = re.match(r"(\d+) ", message or "")
    return int(match.group(1)) if match else 0


def run_line(root: Path, date: str, exit_status: str, seconds: str, output: Path) -> None:
    """`  2026-12-04 16:02  ok   4.3 s  14 pickles ...; also: dbBackups, monitoring`."""
    record = last_run(root)
    head = f"   {date[:16]}  "
    if record is None or record.get("date") != date:  # the run stopped before its first step
        print(f"{head}exit {exit_status}  {seconds:>5} s  no step ran:")
        for line in output.read_text(errors="replace").splitlines()[-5:]:
            print(f"      {line}")
        return
    steps = record["steps"]
    total = defaultdict(int)
    for step in steps:
        if step["status"] == "ok":
            total[step["step"]] += count(step["message"])
    graphics = sum(n for name, n in total.items() if name == "daily" or name.startswith("rrd-"))
    done = (
        f"{total['collect']:>3} pickles {total['transfer']:>3} db sets "
        f"{graphics:>4} graphics {total['webPages']:>3} page files"
    )
    extra = [
        s["step"] + (f" {s['target']}" if " " in s["target"] else "")
        for s in steps
        if s["step"] not in EVERY_HOUR and s["status"] not in ("not due",)
    ]
    status = record["status"] if exit_status == "0" else f"{record['status']} (exit {exit_status})"
    line = f"{head}{status:<6}{seconds:>5} s  {done}"
    if extra:
        due = "+ " + " ".join(dict.fromkeys(extra))
        line += f"  {due}" if len(line) + len(due) <= 98 else f"\n{' ' * 27}{due}"
    print(line)
    for step in steps:
        if step["status"] == "failed":
            print(f"      failed: {step['step']} {step['target']}: {step['message'][:150]}")


def steps_table(root: Path) -> None:
    record = last_run(root)
    if record is None:
        print("   (no lastRun.json)")
        return
    print(f"   {'step':<17}{'target':<12}{'seconds':>8}  {'status':<8} message")
    for step in record["steps"]:
        message = step["message"]
        message = message if len(message) <= 60 else message[:57] + "..."
        print(
            f"   {step['step']:<17}{step['target'] or '-':<12}{step['seconds']:>8.2f}  "
            f"{step['status']:<8} {message}"
        )


def pickles_table(data: Path) -> None:
    from pxstats.store import pickles  # the venv's pxstats (make demo puts it first on PATH)

    base = data / "pickles"
    print(f"== Pickles in {base}/<client>/<YYYYMMDD>/<tx|rx>/<machine>_<HH>")
    rows: dict[tuple, list] = defaultdict(lambda: [Counter(), 0, 0, 0.0])
    machines: set[str] = set()
    for path in sorted(base.glob("*/*/*/*_[0-9][0-9]")):
        client, file_type = path.parts[-4], path.parts[-2]
        machine = path.name[:-3]
        machines.add(machine)
        row = rows[(file_type, client)]
        row[0][machine] += 1
        for bucket in pickles.load_collector(path).buckets:
            row[1] += bucket.nb_files
            row[2] += int(bucket.totals.get("errors", 0))
            row[3] += bucket.totals.get("bytecount", 0.0)
    columns = sorted(machines)
    print(
        f"   {'type':<5}{'client/source':<15}"
        + "".join(f"{m:>8}" for m in columns)
        + f"{'files':>8}{'errors':>7}{'MB':>7}"
    )
    per_machine = Counter()
    for (file_type, client), (counts, files, errors, nbytes) in sorted(rows.items()):
        per_machine.update({(m, file_type): counts[m] for m in columns})
        print(
            f"   {file_type:<5}{client:<15}"
            + "".join(f"{counts[m]:>8}" for m in columns)
            + f"{files:>8}{errors:>7}{nbytes / 1e6:>7.1f}"
        )
    for machine in columns:
        print(
            f"   pickles of {machine}: "
            + ", ".join(f"{per_machine[(machine, t)]} {t}" for t in ("tx", "rx"))
        )


def databases(data: Path) -> None:
    current = data / "databases" / "currentDatabases"
    print(f"== RRD databases in {current}/<type>/<client>_<machines>")
    names, totals = Counter(), Counter()
    for folder in sorted(p for p in current.iterdir() if p.is_dir()):
        files = sorted(p.name for p in folder.iterdir() if p.is_file())
        combined = sorted(p.name for p in (folder / "combined").glob("*") if p.is_file())
        names.update(files)
        totals.update(combined)
        print(f"   {folder.name:<20}{len(files):>3} databases + {len(combined)} totals (combined/)")
    print(
        f"   {sum(names.values()) + sum(totals.values())} databases in all: "
        f"{sum(names.values())} of {', '.join(sorted(names))}; "
        f"{sum(totals.values())} totals of {', '.join(sorted(totals))}"
    )
    backups = data / "databases" / "databasesBackups"
    kept = sorted(p.name for p in backups.iterdir()) if backups.is_dir() else []
    print(f"   {len(kept)} backup(s) kept in {backups}/: {', '.join(kept)}")


def graphics(data: Path) -> None:
    folder = data / "graphics"
    print(f"== Graphics in {folder}/")
    archives = folder / "webGraphics" / "archives"
    for period in PERIODS:
        pngs = list((archives / period).rglob("*.png"))
        label = f"{period} graphics of the web pages"
        print(f"   {label:<52}{len(pngs):>5}  webGraphics/archives/{period}/")
    columbo = list((folder / "webGraphics" / "columbo").glob("*.png"))
    print(f"   {'daily images for Columbo':<52}{len(columbo):>5}  webGraphics/columbo/")
    for kind, what in (
        ("gnuplot", "gnuplot drawings (24 h, per minute)"),
        ("rrd", "rrdtool drawings"),
    ):
        pngs = list((folder / "others" / kind).rglob("*.png"))
        clients = {p.parent.name for p in pngs}
        print(
            f"   {what + ', every version':<52}{len(pngs):>5}  others/{kind}/"
            f"<client>/ ({len(clients)} clients)"
        )


def pages(data: Path) -> None:
    folder = data / "webPages"
    html = sorted(folder.rglob("*.html"))
    print(f"== Web pages in {folder}/ (pxStatsStartup writes them): {len(html)} HTML files")
    for language in sorted(p.name for p in folder.glob("html_*")):
        names = sorted(p.name for p in (folder / language).glob("*.html"))
        print(f"   {language}/: {', '.join(names)}")


def summary(root: Path) -> None:
    data = root / "data"
    pickles_table(data)
    print()
    databases(data)
    print()
    graphics(data)
    print()
    pages(data)


def verdict(text: str) -> None:
    try:
        report = json.loads(text)
    except ValueError:
        print(text)
        return
    print(f"   {report['subject']}")
    print(f"   period {report['time_of_previous_test']} .. {report['time_of_test']}")
    for section in report["sections"]:
        print(f"   {section['status']:<8} {section['heading'].strip()}")
        lines = [line.strip() for line in section["lines"] if line.strip()]
        for line in lines[:2]:
            print(f"            {line[:100]}")
        if len(lines) > 2:
            print(f"            ... {len(lines) - 2} more line(s)")


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "run-line":
        run_line(Path(argv[1]), argv[2], argv[3], argv[4], Path(argv[5]))
    elif command == "steps":
        steps_table(Path(argv[1]))
    elif command == "summary":
        summary(Path(argv[1]))
    elif command == "verdict":
        verdict(sys.stdin.read())
    else:
        raise SystemExit(f"demo_summary.py: unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
