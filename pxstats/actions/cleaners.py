"""pickleCleaner (spec §5.5): delete the pickle folders of days older than the days kept."""

from __future__ import annotations

import logging
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.paths import StatsPaths
from pxstats.util import timeutil
from pxstats.util.atomic import visible_entries

log = logging.getLogger(__name__)

DEFAULT_DAYS_TO_KEEP = 21


def pickle_trees(paths: StatsPaths) -> list[Path]:
    """Folders whose sub-folders are <name>/<YYYYMMDD>/: hourly and merged pickles."""
    return [paths.pickles, paths.merged_pickles / "clients", paths.merged_pickles / "groups"]


def _is_date_name(name: str) -> bool:
    if len(name) != 8 or not name.isdigit():
        return False
    try:
        time.strptime(name, "%Y%m%d")
    except ValueError:
        return False
    return True


def days_kept(today: int, days_to_keep: int) -> list[str]:
    """YYYYMMDD of today (UTC) and the days_to_keep - 1 days before it, newest first."""
    if days_to_keep < 1:
        raise ValueError("daysToKeep must be at least 1")
    return [timeutil.yyyymmdd(today - k * timeutil.DAY) for k in range(days_to_keep)]


def oldest_kept(today: int, days_to_keep: int) -> str:
    """YYYYMMDD of the oldest day kept: days are compared with it, never listed, so a huge
    number of days costs nothing (a number reaching before 1970 keeps everything)."""
    if days_to_keep < 1:
        raise ValueError("daysToKeep must be at least 1")
    first = today - (days_to_keep - 1) * timeutil.DAY
    return timeutil.yyyymmdd(first) if first >= 0 else "00000000"


@dataclass
class CleanReport:
    deleted: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def clean_pickles(
    paths: StatsPaths, today: int, days_to_keep: int = DEFAULT_DAYS_TO_KEEP, trees=None
) -> CleanReport:
    """Delete every date folder older than the days kept, under every <tree>/<name>/.

    Only real (non-symlink) directories named by a valid YYYYMMDD date are ever deleted;
    anything else is reported as a warning and left alone. Dates after today are kept.
    """
    oldest = oldest_kept(today, days_to_keep)
    report = CleanReport()
    for tree in trees if trees is not None else pickle_trees(paths):
        try:
            names = visible_entries(tree)
        except FileNotFoundError:
            continue
        except OSError as exc:
            report.errors.append(f"cannot list {tree}: {exc.strerror}")
            continue
        for owner in names:
            if owner.is_symlink() or not owner.is_dir():
                report.warnings.append(f"not a folder, left alone : {owner}")
                continue
            try:
                entries = visible_entries(owner)
            except OSError as exc:
                report.errors.append(f"cannot list {owner}: {exc.strerror}")
                continue
            for entry in entries:
                if not _is_date_name(entry.name) or entry.is_symlink() or not entry.is_dir():
                    report.warnings.append(f"not a date folder, left alone : {entry}")
                elif entry.name >= oldest:
                    report.kept.append(entry)
                else:
                    _remove_tree(entry, report)
    for message in report.warnings:
        log.warning(message)
    for message in report.errors:
        log.error(message)
    return report


def _remove_tree(folder: Path, report: CleanReport) -> None:
    failures = []

    def on_error(function, path, exc):
        failures.append(f"cannot delete {path}: {getattr(exc, 'strerror', None) or exc}")

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=on_error)
    else:
        shutil.rmtree(
            folder, onerror=lambda function, path, info: on_error(function, path, info[1])
        )
    if failures:
        report.errors.extend(failures)
    else:
        log.info("deleted %s", folder)
        report.deleted.append(folder)
