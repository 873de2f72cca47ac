"""The monitor's state files under data/monitoring/ (spec ops.md §2.2, §8.4 item 52).

previousMonitoringJob   the end time of the last report, one ISO line
previousCrontab         the text of `crontab -l` at the last report
previousFileChecksums   JSON {path: md5 hex digest}
lastEntryFilledTimes    JSON {client: ISO time of its last minute with data}
reports/<end>.txt       every report, written before anything else can fail

Plain text and JSON instead of the original's Python pickles; every file is written
atomically. An unreadable state file is treated as absent (and logged), never fatal.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pxstats.paths import StatsPaths
from pxstats.util import atomic, timeutil

log = logging.getLogger(__name__)


def folder(paths: StatsPaths) -> Path:
    return paths.data / "monitoring"


def reports_folder(paths: StatsPaths) -> Path:
    return folder(paths) / "reports"


def report_file(paths: StatsPaths, end: int) -> Path:
    """reports/<YYYY-MM-DD_HH:MM:SS>.txt (the file-safe ISO time of the end)."""
    return reports_folder(paths) / (timeutil.iso(end).replace(" ", "_") + ".txt")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("state file %s unreadable, treated as absent: %s", path, exc)
        return None


def previous_job(paths: StatsPaths) -> int | None:
    text = _read(folder(paths) / "previousMonitoringJob")
    if text is None:
        return None
    try:
        return timeutil.parse_iso(text.strip())
    except timeutil.BadDate:
        log.warning("previousMonitoringJob holds no ISO time, treated as absent")
        return None


def save_previous_job(paths: StatsPaths, end: int) -> None:
    atomic.write_text(folder(paths) / "previousMonitoringJob", timeutil.iso(end) + "\n")


def previous_crontab(paths: StatsPaths) -> str:
    return _read(folder(paths) / "previousCrontab") or ""


def save_crontab(paths: StatsPaths, text: str) -> None:
    atomic.write_text(folder(paths) / "previousCrontab", text)


def _mapping(path: Path) -> dict[str, str]:
    text = _read(path)
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        log.warning("state file %s is not JSON, treated as absent", path)
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def _save_mapping(path: Path, data: dict) -> None:
    atomic.write_text(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def checksums(paths: StatsPaths) -> dict[str, str]:
    return _mapping(folder(paths) / "previousFileChecksums")


def save_checksums(paths: StatsPaths, digests: dict[str, str]) -> None:
    _save_mapping(folder(paths) / "previousFileChecksums", digests)


def last_filled(paths: StatsPaths) -> dict[str, int]:
    times = {}
    for name, text in _mapping(folder(paths) / "lastEntryFilledTimes").items():
        try:
            times[name] = timeutil.parse_iso(text)
        except timeutil.BadDate:
            continue
    return times


def save_last_filled(paths: StatsPaths, times: dict[str, int]) -> None:
    _save_mapping(
        folder(paths) / "lastEntryFilledTimes", {name: timeutil.iso(t) for name, t in times.items()}
    )
