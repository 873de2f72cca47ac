"""The "last pxStatsStartup run" section: what data/monitoring/lastRun.json says of the last
run of the hourly cycle (written by pxStatsStartup after every step: program, date, started,
pid, status, steps [{step, target, seconds, status, message}]).

* no file: the section is left out (pxStatsStartup never ran on this root: the commands may
  be run by other means; the crontab section already warns when no crontab line runs it);
* the run's date, start and status, and its number of steps: a detail line, always;
* warnings: each failed step with its message; a run recorded "running" whose process is
  gone (killed, crashed, its machine stopped); an interrupted run (SIGTERM, SIGINT); a file
  that cannot be read;
* an error: the last run (its date, or its start when later: a replay of a past hour ran
  when it started) is older than twice pxStatsFrequency before the report's end
  ("pxStatsStartup has not run since ..."): nothing is collected any more.

A run still in progress (its process alive, e.g. the monitoring step of pxStatsStartup
itself) is no problem; its failed steps so far are reported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pxstats.monitor.checks import Context
from pxstats.monitor.report import Section
from pxstats.util import timeutil

FILE_NAME = "lastRun.json"
DEFAULT_FREQUENCY = (60, "1/hours")  # minutes, as written: without etc/config
STALE_FACTOR = 2  # the last run may be this many periods old
CLOCK_SLACK = 30  # seconds: /proc's start times follow the clock as it is now


def last_run_file(ctx: Context) -> Path:
    return ctx.paths.data / "monitoring" / FILE_NAME


def _process_start(pid: int) -> tuple[float, str] | None:
    """(start time, state letter) of a process from /proc, None when unknown."""
    try:
        stat_text = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        fields = stat_text[stat_text.rindex(")") + 2 :].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return boot + int(fields[19]) / ticks, fields[0]
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def alive(pid: int, started: int) -> bool:
    """Whether the run's process still runs: the PID exists, is not a zombie, and its
    process did not start after the run did (a PID used again by another program)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    except OSError:
        return False
    found = _process_start(pid)
    if found is None:
        return True
    start, state = found
    return state != "Z" and start <= started + CLOCK_SLACK


def _read(path: Path) -> dict:
    """The record; ValueError (the reason, one line) when it is not a run record."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    try:
        date = timeutil.parse_iso(str(record["date"]))
        started = timeutil.parse_iso(str(record.get("started", record["date"])))
        status = str(record["status"])
        pid = record.get("pid")
        steps = record.get("steps", [])
    except KeyError as exc:
        raise ValueError(f"no {exc.args[0]!r}") from None
    except timeutil.BadDate:
        raise ValueError("a date is not YYYY-MM-DD HH:MM:SS") from None
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise ValueError("'steps' is not a list of objects")
    if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0):
        raise ValueError(f"bad pid {pid!r}")
    return {"date": date, "started": started, "status": status, "pid": pid, "steps": steps}


def _frequency(ctx: Context) -> tuple[int, str]:
    if ctx.config is None:
        return DEFAULT_FREQUENCY
    frequency = ctx.config.time.px_stats_frequency
    return frequency.minutes, str(frequency)


def last_run(ctx: Context) -> Section | None:
    path = last_run_file(ctx)
    section = Section("lastrun", problems=False)
    try:
        record = _read(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        section.lines.append(ctx.line("lastrun_bad", path, reason))
        section.problems = True
        return section
    date, status, steps = record["date"], record["status"], record["steps"]
    section.lines.append(
        ctx.line(
            "lastrun_line",
            timeutil.iso(date),
            timeutil.iso(record["started"]),
            status,
            len(steps),
        )
    )
    for step in steps:
        if step.get("status") == "failed":
            name = " ".join(str(step.get(k) or "") for k in ("step", "target")).strip()
            message = str(step.get("message") or "").replace("\n", " ")
            section.lines.append(ctx.line("lastrun_step", name, message))
            section.problems = True
    if status == "running":
        pid = record["pid"]
        if pid is not None and alive(pid, record["started"]):
            section.lines.append(ctx.line("lastrun_running", pid))
        else:
            section.lines.append(ctx.line("lastrun_crashed", pid or "?"))
            section.problems = True
    elif status == "interrupted":
        left = sum(step.get("status") == "interrupted" for step in steps)
        section.lines.append(ctx.line("lastrun_interrupted", left))
        section.problems = True
    minutes, word = _frequency(ctx)
    last = max(date, record["started"])  # a replay (--date in the past) ran when it started
    if last < ctx.end - STALE_FACTOR * minutes * 60:
        section.lines.append(ctx.line("lastrun_old", timeutil.iso(last), word))
        section.problems = True
        section.error = True
    return section
