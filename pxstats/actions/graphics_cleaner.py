"""graphicsCleaner: delete the graphics drawn on demand that the original kept forever
(spec ops.md §1.6: "only the on-demand graphics under data/graphics/others/ should be cleaned
regularly"), keeping the days of `daysOfGraphicsToKeep`.

The folders cleaned are graphics/<others>/gnuplot/<name>/ and graphics/<others>/rrd/<name>/,
<others> being `others` or `autres` (the output language's word: gnuplot.words and rrd.graph).
The web pages never link there: they show the archive copies under graphics/webGraphics/
and the request page its own cache, graphics/requests/; both are left alone.

Only what pxStats writes there is deleted: regular files named as generateGraphics and
generateRRDGraphics name their PNGs (`<tx|rx>_<name>_<YYYYMMDD>_<HH:MM:SS>_…png`, or such
a name shortened to fit NAME_MAX: its first bytes, `~` and a hash) and the temp files a killed
writer left beside them (`.<that name>.<random>.tmp`), when their modification time is
older than the days kept. Anything else (another name, a symbolic link, a folder inside a
name folder) is left alone. Symbolic links are never followed: a linked <others>, kind or
name folder is reported and skipped, so the cleaner never leaves its folders. A name folder
emptied by the run is removed.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.actions.errors import RequestError
from pxstats.config import DAYS_OF_GRAPHICS_TO_KEEP, MAX_DAYS_TO_KEEP
from pxstats.gnuplot.words import TEXT as GNUPLOT_WORDS
from pxstats.paths import StatsPaths
from pxstats.rrd.graph import TEXT as RRD_WORDS
from pxstats.util import timeutil

log = logging.getLogger(__name__)

DEFAULT_DAYS_TO_KEEP = DAYS_OF_GRAPHICS_TO_KEEP
KINDS = ("gnuplot", "rrd")
# The PNG names of generateGraphics and generateRRDGraphics: file type, name, end date and
# time, then the rest; a name too long for NAME_MAX is its first bytes, '~' and a hash
# (paths.safe_component).
GRAPHIC = re.compile(r"(?:tx|rx)_.+_\d{8}_\d\d:\d\d:\d\d_.+\.png", re.DOTALL)
SHORTENED = re.compile(r"(?:tx|rx)_.+~[0-9a-f]{16}", re.DOTALL)
TEMP = re.compile(r"\.(?:tx|rx)_.+\.tmp", re.DOTALL)


def others_folders() -> tuple[str, ...]:
    """The words for "others" of every output language (graphics/others, graphics/autres)."""
    words = [w["others"] for w in (*GNUPLOT_WORDS.values(), *RRD_WORDS.values())]
    return tuple(dict.fromkeys(words))


def folders(paths: StatsPaths) -> list[Path]:
    """The folders whose <name>/ sub-folders hold the on-demand graphics."""
    return [paths.graphics / others / kind for others in others_folders() for kind in KINDS]


def is_graphic(name: str) -> bool:
    """Whether a file name is one pxStats gives a graphic (or its temp) in those folders."""
    return any(p.fullmatch(name) for p in (GRAPHIC, SHORTENED, TEMP))


def check_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        raise RequestError(f"the days to keep must be a whole number, not {days!r}")
    if not 1 <= days <= MAX_DAYS_TO_KEEP:
        raise RequestError(f"the days to keep must be from 1 to {MAX_DAYS_TO_KEEP}, not {days}")
    return days


@dataclass(frozen=True)
class Request:
    days: int = DEFAULT_DAYS_TO_KEEP
    dry_run: bool = False
    now: int | None = None  # the clock by default: the files' ages are modification times


@dataclass
class Report:
    cutoff: int = 0  # files modified before this time are deleted
    deleted: list[Path] = field(default_factory=list)  # or, in a dry run, to delete
    removed_folders: list[Path] = field(default_factory=list)  # emptied name folders
    kept: list[Path] = field(default_factory=list)  # graphics still young enough
    left: list[Path] = field(default_factory=list)  # not pxStats' graphics: never touched
    errors: list[str] = field(default_factory=list)


def _real_folder(path: Path, report: Report) -> bool:
    """Whether `path` is a folder that is not a symbolic link (a link is reported)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        report.errors.append(f"cannot read {path}: {exc.strerror or exc}")
        return False
    if stat.S_ISLNK(info.st_mode):
        report.left.append(path)
        log.warning("%s is a symbolic link: not followed, left alone", path)
        return False
    return stat.S_ISDIR(info.st_mode)


def _entries(folder: Path, report: Report) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as scan:
            return sorted(scan, key=lambda entry: entry.name)
    except FileNotFoundError:
        return []
    except OSError as exc:
        report.errors.append(f"cannot list {folder}: {exc.strerror or exc}")
        return []


def _clean_name_folder(folder: Path, request: Request, report: Report) -> None:
    entries = _entries(folder, report)
    gone = 0
    for entry in entries:
        path = Path(entry.path)
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            gone += 1
            continue
        except OSError as exc:
            report.errors.append(f"cannot read {path}: {exc.strerror or exc}")
            continue
        if not stat.S_ISREG(info.st_mode) or not is_graphic(entry.name):
            report.left.append(path)
            continue
        if info.st_mtime >= report.cutoff:
            report.kept.append(path)
            continue
        if not request.dry_run:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                report.errors.append(f"cannot delete {path}: {exc.strerror or exc}")
                continue
            log.info("deleted %s", path)
        report.deleted.append(path)
        gone += 1
    if entries and gone == len(entries):
        if not request.dry_run:
            try:
                os.rmdir(folder)
            except FileNotFoundError:
                pass
            except OSError as exc:  # a graphic drawn meanwhile: the folder stays
                log.info("%s not removed: %s", folder, exc.strerror or exc)
                return
            log.info("removed %s", folder)
        report.removed_folders.append(folder)


def clean(paths: StatsPaths, request: Request) -> Report:
    """Delete (or, in a dry run, list) the on-demand graphics older than `request.days`."""
    days = check_days(request.days)
    now = timeutil.now() if request.now is None else request.now
    report = Report(cutoff=now - days * timeutil.DAY)
    if not paths.graphics.is_dir():  # itself a link (to another disk) is fine
        return report
    for others in others_folders():
        if not _real_folder(paths.graphics / others, report):
            continue
        for kind in KINDS:
            base = paths.graphics / others / kind
            if not _real_folder(base, report):
                continue
            for entry in _entries(base, report):
                folder = Path(entry.path)
                if _real_folder(folder, report):
                    _clean_name_folder(folder, request, report)
                elif folder not in report.left:
                    report.left.append(folder)
    for message in report.errors:
        log.error(message)
    return report
