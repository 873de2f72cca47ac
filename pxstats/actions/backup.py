"""Dated backups of the RRD archive and their restoration (spec rrd.md §4).

A backup is a pair of folders with the same tag `YYYY-MM-DD_HH:MM:SS` (UTC, seconds zeroed):

    data/databases/databasesTimeOfUpdatesBackups/<tag>/   copy of currentDatabasesTimeOfUpdates/
    data/databases/databasesBackups/<tag>/                copy of currentDatabases/

Crash safety, under one lock (`rrdArchive`) held for the whole of every operation:

* a backup is copied into `.partial-<tag>` in its backup root, flushed, then renamed to
  `<tag>`: a killed backup never leaves a half backup under a real tag;
* a pruned backup is first renamed to `.deleting-<tag>`, then deleted;
* a restore copies the backup to `.<live>.restoring` beside the live folder, renames the live
  folder to `.<live>.previous`, renames the copy into place, and only then deletes the old
  live folder: at any instant the old or the restored archive is complete. If a run is killed
  between the two renames, the next backup or restore puts the old live folder back.

Retention keeps the original rule: the oldest backup plus the newest N-1 (only the newest for
N = 1), computed over the tags of both roots together so the two roots stay in step, plus the
tags a caller preserves (the backup just made, the backup being restored).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.util import timeutil
from pxstats.paths import StatsPaths
from pxstats.util.locks import LockBusy, file_lock
from pxstats.rrd import schema

log = logging.getLogger(__name__)

DEFAULT_KEEP = 20
LOCK_NAME = "rrdArchive"
TAG_FORMAT = "%Y-%m-%d_%H:%M:%S"
_TAG = re.compile(r"\d{4}-\d{2}-\d{2}_\d{2}:\d{2}:\d{2}")
PARTIAL = ".partial-"
DELETING = ".deleting-"

__all__ = ["BackupError", "LockBusy", "BackupResult", "DEFAULT_KEEP", "tag_for", "tag_from_iso",
           "iso_from_tag", "is_tag", "list_tags", "backup", "verify", "restore", "kept_tags"]


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the operator."""


@dataclass
class BackupResult:
    tag: str
    pruned: list[str] = field(default_factory=list)


# -- tags -----------------------------------------------------------------------------------

def tag_for(epoch: int) -> str:
    """Tag of a backup made at `epoch`: the minute, UTC, `YYYY-MM-DD_HH:MM:00`."""
    return time.strftime(TAG_FORMAT, time.gmtime(timeutil.minute_start(int(epoch))))


def is_tag(name: str) -> bool:
    """True for a real date written `YYYY-MM-DD_HH:MM:SS`; anything else is not a backup."""
    if not _TAG.fullmatch(name):
        return False
    try:
        time.strptime(name, TAG_FORMAT)
    except ValueError:
        return False
    return True


def tag_from_iso(text: str) -> str:
    """`YYYY-MM-DD HH:MM:SS` (or the tag itself) -> tag. Raises timeutil.BadDate."""
    text = text.strip()
    if is_tag(text):
        return text
    return time.strftime(TAG_FORMAT, time.gmtime(timeutil.parse_iso(text)))


def iso_from_tag(tag: str) -> str:
    return tag.replace("_", " ", 1)


def _roots(paths: StatsPaths) -> list[tuple[Path, Path]]:
    """(live folder, backup root) pairs, in the original's order: times of update first."""
    return [(paths.current_databases_updates, paths.databases_updates_backups),
            (paths.current_databases, paths.databases_backups)]


def _tags_in(root: Path) -> set[str]:
    try:
        return {p.name for p in root.iterdir() if p.is_dir() and is_tag(p.name)}
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise BackupError(f"cannot list {root}: {exc.strerror}") from None


def list_tags(paths: StatsPaths) -> list[str]:
    """Tags of the complete backups (present in both roots), oldest first."""
    (_, first), (_, second) = _roots(paths)
    return sorted(_tags_in(first) & _tags_in(second))


# -- retention --------------------------------------------------------------------------------

def kept_tags(tags, keep: int, preserve=()) -> set[str]:
    """The original rule: the oldest tag and the newest keep-1 (only the newest when keep is 1),
    plus every preserved tag that exists."""
    if keep < 1:
        raise ValueError("the number of backups to keep must be at least 1")
    ordered = sorted(tags)
    kept = set(ordered[-(keep - 1):]) if keep > 1 else set(ordered[-1:])
    if keep > 1 and ordered:
        kept.add(ordered[0])
    return kept | (set(preserve) & set(ordered))


def _prune(paths: StatsPaths, keep: int, preserve) -> list[str]:
    all_tags = set()
    for _, root in _roots(paths):
        all_tags |= _tags_in(root)
    doomed = sorted(all_tags - kept_tags(all_tags, keep, preserve))
    for tag in doomed:
        for _, root in _roots(paths):
            folder = root / tag
            if folder.is_dir():
                trash = root / (DELETING + tag)
                os.rename(folder, trash)
                shutil.rmtree(trash)
        log.info("Removed backup %s", tag)
    return doomed


# -- copying --------------------------------------------------------------------------------

def _copy_file(src, dst, *, follow_symlinks=True):
    shutil.copy2(src, dst, follow_symlinks=follow_symlinks)
    if not os.path.islink(dst):
        with open(dst, "rb") as handle:
            os.fsync(handle.fileno())
    return dst


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_tree(source: Path, target: Path) -> None:
    """Copy the contents of `source` (an empty folder if it does not exist) to the new `target`,
    every file and folder flushed to disk."""
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, copy_function=_copy_file)
        for folder, _, _ in os.walk(target):
            _fsync_dir(Path(folder))
    else:
        log.warning("%s does not exist: backed up as an empty folder", source)
        target.mkdir(parents=True)
        _fsync_dir(target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


# -- recovery after a killed run ---------------------------------------------------------------

def _restoring(live: Path) -> Path:
    return live.with_name(f".{live.name}.restoring")


def _previous(live: Path) -> Path:
    return live.with_name(f".{live.name}.previous")


def _recover(paths: StatsPaths) -> None:
    """Undo what a killed backup or restore left behind (the caller holds the lock)."""
    for live, root in _roots(paths):
        previous, restoring = _previous(live), _restoring(live)
        if previous.exists() and not live.exists():
            log.warning("A restore was interrupted: putting %s back in place", live)
            os.rename(previous, live)
        for leftover in (previous, restoring):
            if leftover.exists():
                log.warning("Removing %s left by an interrupted restore", leftover)
                _remove(leftover)
        try:
            entries = list(root.iterdir())
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.name.startswith((PARTIAL, DELETING)):
                log.warning("Removing %s left by an interrupted backup", entry)
                _remove(entry)


# Every running transferPickleToRRD holds this lock shared: taking it exclusively keeps a
# backup or restore from copying a database while a transfer replaces it.
TRANSFER_LOCK_NAME = "transferPickleToRRD"


@contextmanager
def _archive_lock(paths: StatsPaths):
    with ExitStack() as stack:
        for name, holder in ((LOCK_NAME, "another backup or restore of the RRD archive"),
                             (TRANSFER_LOCK_NAME, "a transferPickleToRRD run")):
            try:
                stack.enter_context(file_lock(paths.lock_file(name), wait=False))
            except LockBusy:
                raise BackupError(f"{holder} is running (lock {paths.lock_file(name)})") from None
        yield


# -- backup ----------------------------------------------------------------------------------

def _free_tag(paths: StatsPaths, when: int) -> str:
    """The minute's tag; when a backup already has it, the exact second (then the next free
    second of that minute): an existing backup is never overwritten."""
    taken = set()
    for _, root in _roots(paths):
        taken |= _tags_in(root)
    tag = tag_for(when)
    if tag not in taken:
        return tag
    minute = timeutil.minute_start(when)
    for second in range(max(when - minute, 1), 60):
        tag = time.strftime(TAG_FORMAT, time.gmtime(minute + second))
        if tag not in taken:
            return tag
    raise BackupError(f"every backup tag of the minute {tag_for(when)} is already taken")


def _backup_locked(paths: StatsPaths, when: int, keep: int, preserve=()) -> BackupResult:
    tag = _free_tag(paths, when)
    partials = []
    try:
        for live, root in _roots(paths):
            root.mkdir(parents=True, exist_ok=True)
            partial = root / (PARTIAL + tag)
            partials.append(partial)
            _copy_tree(live, partial)
        for (_, root), partial in zip(_roots(paths), partials):
            os.rename(partial, root / tag)
            _fsync_dir(root)
    except OSError as exc:
        for partial in partials:
            if partial.exists():
                shutil.rmtree(partial, ignore_errors=True)
        raise BackupError(f"backup {tag} failed: {_describe(exc)}") from None
    log.info("Backed up the RRD archive as %s", tag)
    try:
        pruned = _prune(paths, keep, {tag, *preserve})
    except OSError as exc:
        raise BackupError(f"backup {tag} made, but removing old backups failed: "
                          f"{_describe(exc)}") from None
    return BackupResult(tag, pruned)


def backup(paths: StatsPaths, when: int, keep: int = DEFAULT_KEEP, preserve=()) -> BackupResult:
    """Back up the live archive under the tag of `when`, then keep `keep` backups (plus the
    new one and the `preserve` tags). Raises BackupError."""
    if keep < 1:
        raise ValueError("the number of backups to keep must be at least 1")
    with _archive_lock(paths):
        _recover(paths)
        return _backup_locked(paths, when, keep, preserve)


# -- verification and restore ------------------------------------------------------------------

def _files(folder: Path):
    def fail(exc):
        raise exc
    for parent, _, names in os.walk(folder, onerror=fail):
        for name in sorted(names):
            yield Path(parent) / name


def verify(paths: StatsPaths, tag: str) -> None:
    """Check that backup `tag` exists in both roots and that every file of it is readable:
    each time-of-update file holds a time, each database answers `rrdtool last`.
    Raises BackupError naming the first problem."""
    if not is_tag(tag):
        raise BackupError(f"{tag!r} is not a backup tag (YYYY-MM-DD_HH:MM:SS)")
    (_, updates_root), (_, databases_root) = _roots(paths)
    for root in (updates_root, databases_root):
        if not (root / tag).is_dir():
            available = list_tags(paths)
            hint = (f"{len(available)} backup(s) available, the latest {iso_from_tag(available[-1])}"
                    if available else "no backup available")
            raise BackupError(f"no backup of {iso_from_tag(tag)} in {root} ({hint})")
    try:
        for path in _files(updates_root / tag):
            with open(path, "rb"):
                pass
            schema.read_time_of_update(path)
        for path in _files(databases_root / tag):
            with open(path, "rb") as handle:
                handle.read(4)
            schema.last(path)
    except schema.RRDError as exc:
        raise BackupError(f"backup {tag} is unreadable: {exc}") from None
    except OSError as exc:
        raise BackupError(f"backup {tag} is unreadable: {_describe(exc)}") from None


def restore(paths: StatsPaths, tag: str, when: int, keep: int = DEFAULT_KEEP) -> BackupResult:
    """Replace the live archive by backup `tag`, after checking it and saving the live archive
    as a new backup (made at `when`; retention `keep`, the restored tag always preserved).
    Returns the new backup. Raises BackupError; the live archive is then untouched."""
    if keep < 1:
        raise ValueError("the number of backups to keep must be at least 1")
    with _archive_lock(paths):
        _recover(paths)
        verify(paths, tag)
        saved = _backup_locked(paths, when, keep, preserve={tag})
        # 1. copy both trees beside the live folders; a failure here changes nothing live
        try:
            for live, root in _roots(paths):
                live.parent.mkdir(parents=True, exist_ok=True)
                _copy_tree(root / tag, _restoring(live))
        except OSError as exc:
            _recover(paths)
            raise BackupError(f"restore of {tag} failed, live archive untouched: "
                              f"{_describe(exc)} (current state also saved as {saved.tag})"
                              ) from None
        # 2. swap by renames only; 3. delete the old live folders
        try:
            for live, _ in _roots(paths):
                if live.exists():
                    os.rename(live, _previous(live))
                os.rename(_restoring(live), live)
                _fsync_dir(live.parent)
            for live, _ in _roots(paths):
                if _previous(live).exists():
                    shutil.rmtree(_previous(live))
        except OSError as exc:
            _recover(paths)
            raise BackupError(f"restore of {tag} failed: {_describe(exc)} (the state before "
                              f"the restore is backup {saved.tag})") from None
        log.info("Restored backup %s; the previous state is backup %s", tag, saved.tag)
        return saved


def _describe(exc: OSError) -> str:
    if isinstance(exc, shutil.Error):
        first = exc.args[0][0] if exc.args and exc.args[0] else None
        return f"{first[0]}: {first[2]}" if first else str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    return where + (exc.strerror or str(exc))
