"""setTimeOfLastUpdates (spec §5.3): set the times of last update so that pickleUpdater
collects again from a date, and optionally forget the resume pointers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.i18n import FILE_TYPES
from pxstats.paths import StatsPaths
from pxstats.store import updates
from pxstats.util import timeutil
from pxstats.util.atomic import visible_entries
from pxstats.util.locks import LockBusy, file_lock

log = logging.getLogger(__name__)


def name_matches(name: str, file_types=None, clients=None, machine: str | None = None) -> bool:
    """Does `<fileType>_<client>_<machine>` match the filters (None = any)?

    Clients and machines may contain '_', so the name is never split: it is compared with
    the exact prefixes/suffixes the filters build. Client and machine must be non-empty.
    """
    for file_type in file_types or FILE_TYPES:
        prefix = file_type + "_"
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]  # "<client>_<machine>"
        if machine is not None:
            suffix = "_" + machine
            if not rest.endswith(suffix) or len(rest) == len(suffix):
                continue
            if clients is None or rest[: -len(suffix)] in clients:
                return True
        elif clients is None:
            if "_" in rest[1:-1]:
                return True
        elif any(rest.startswith(c + "_") and len(rest) > len(c) + 1 for c in clients):
            return True
    return False


@dataclass
class SetReport:
    changed: list[tuple[Path, int | None, int]] = field(default_factory=list)  # path, old, new
    deleted: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _matching(folder: Path, file_types, clients, machine) -> list[str]:
    try:
        entries = visible_entries(folder)
    except FileNotFoundError:
        return []
    return [p.name for p in entries if name_matches(p.name, file_types, clients, machine)]


def set_times_of_last_updates(
    paths: StatsPaths,
    moment: int,
    file_types=None,
    clients=None,
    machine: str | None = None,
    reset_pointers: bool = False,
) -> SetReport:
    """Write hour_start(moment) into every matching time-of-update file, atomically, and
    with `reset_pointers` delete the matching resume pointers of data/logFileAccess/.

    Each name is handled under pickleUpdater's lock for that (fileType, client, machine),
    so a running update cannot overwrite the new time; a busy name is reported, not forced.
    """
    new = timeutil.hour_start(moment)
    report = SetReport()
    names = set(_matching(paths.times_of_updates, file_types, clients, machine))
    if reset_pointers:
        names |= set(_matching(paths.log_file_access, file_types, clients, machine))
    for name in sorted(names):
        time_file = paths.times_of_updates / name
        pointer = paths.log_file_access / name
        try:
            with file_lock(paths.lock_file("pickleUpdater_" + name), wait=False):
                if time_file.is_file():
                    try:
                        old = updates.read(time_file)
                    except updates.UpdateFileError:
                        old = None
                    updates.write(time_file, new)
                    log.info("time of last update of %s set to %s", name, timeutil.iso(new))
                    report.changed.append((time_file, old, new))
                if reset_pointers and pointer.is_file():
                    pointer.unlink()
                    log.info("pointer %s deleted", pointer)
                    report.deleted.append(pointer)
        except LockBusy:
            report.errors.append(f"{name}: a pickleUpdater is running for it; not changed")
        except OSError as exc:
            report.errors.append(f"{name}: {exc.strerror or exc}")
    for message in report.errors:
        log.error(message)
    return report
