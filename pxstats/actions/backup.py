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

Every backup folder carries a manifest, `.manifest.json` (every folder, and every file with its
size and sha256), written last and atomically, before the rename to `<tag>`. A restore checks the
backup against it and refuses a backup with a file missing, added or altered before touching
the live archive; a backup without a manifest (made before manifests existed) is refused unless
the caller accepts it unverified (`require_manifest=False`), and an empty one is always refused.

Backups and restores copy regular files and folders only: a symbolic link, FIFO, socket or
device anywhere in what is copied is refused (checked with lstat before anything is copied,
and every file opened with O_NOFOLLOW | O_NONBLOCK), so a restore never follows a link out of
the root and a FIFO never blocks it.

A tag more than FUTURE_SKEW seconds after now (a clock or a `--date` gone wrong) is left out:
retention neither counts nor removes it, restore refuses it; `BackupResult.future` reports it.

What is copied and how it is checked (regular files only, manifests) is in
`pxstats.actions.backup_files`. This module stays over 400 lines because the crash-safety
steps of backup, prune, restore and recovery only make sense read together.

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

from pxstats.actions import backup_files as files
from pxstats.actions.backup_files import MANIFEST, BackupError
from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.util import timeutil
from pxstats.util.locks import LockBusy, file_lock

log = logging.getLogger(__name__)

DEFAULT_KEEP = 20
LOCK_NAME = "rrdArchive"
TAG_FORMAT = "%Y-%m-%d_%H:%M:%S"
_TAG = re.compile(r"\d{4}-\d{2}-\d{2}_\d{2}:\d{2}:\d{2}")
PARTIAL = ".partial-"
DELETING = ".deleting-"
FUTURE_SKEW = 300  # seconds: a tag or --date later than now + this is in the future

__all__ = [
    "BackupError",
    "LockBusy",
    "BackupResult",
    "DEFAULT_KEEP",
    "FUTURE_SKEW",
    "MANIFEST",
    "tag_for",
    "tag_from_iso",
    "iso_from_tag",
    "is_tag",
    "list_tags",
    "future_tags",
    "backup",
    "verify",
    "restore",
    "kept_tags",
]


@dataclass
class BackupResult:
    tag: str
    pruned: list[str] = field(default_factory=list)
    future: list[str] = field(default_factory=list)  # tags in the future, left alone


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
    return [
        (paths.current_databases_updates, paths.databases_updates_backups),
        (paths.current_databases, paths.databases_backups),
    ]


def _tags_in(root: Path) -> set[str]:
    try:
        return {
            p.name for p in root.iterdir() if is_tag(p.name) and p.is_dir() and not p.is_symlink()
        }
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise BackupError(f"cannot list {root}: {exc.strerror}") from None


def list_tags(paths: StatsPaths, now: int | None = None) -> list[str]:
    """Tags of the complete backups (present in both roots), oldest first; with `now`, without
    the tags in the future."""
    (_, first), (_, second) = _roots(paths)
    tags = sorted(_tags_in(first) & _tags_in(second))
    if now is not None:
        future = set(future_tags(tags, now))
        tags = [t for t in tags if t not in future]
    return tags


def _tag_epoch(tag: str) -> int:
    return timeutil.parse_iso(iso_from_tag(tag))


def future_tags(tags, now: int) -> list[str]:
    """The tags dated more than FUTURE_SKEW seconds after `now`, sorted."""
    return sorted(t for t in tags if _tag_epoch(t) > now + FUTURE_SKEW)


# -- retention --------------------------------------------------------------------------------


def kept_tags(tags, keep: int, preserve=()) -> set[str]:
    """The original rule: the oldest tag and the newest keep-1 (only the newest when keep is 1),
    plus every preserved tag that exists."""
    if keep < 1:
        raise ValueError("the number of backups to keep must be at least 1")
    ordered = sorted(tags)
    kept = set(ordered[-(keep - 1) :]) if keep > 1 else set(ordered[-1:])
    if keep > 1 and ordered:
        kept.add(ordered[0])
    return kept | (set(preserve) & set(ordered))


def _prune(paths: StatsPaths, keep: int, preserve, now: int) -> tuple[list[str], list[str]]:
    """Remove the backups the retention rule does not keep; (removed, future tags left alone)."""
    all_tags = set()
    for _, root in _roots(paths):
        all_tags |= _tags_in(root)
    future = future_tags(all_tags, now)
    for tag in future:
        log.warning("Backup %s is dated in the future: left out of the retention", tag)
    all_tags -= set(future)
    doomed = sorted(all_tags - kept_tags(all_tags, keep, preserve))
    for tag in doomed:
        for _, root in _roots(paths):
            folder = root / tag
            if folder.is_dir():
                trash = root / (DELETING + tag)
                os.rename(folder, trash)
                shutil.rmtree(trash)
        log.info("Removed backup %s", tag)
    return doomed, future


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
        for name, holder in (
            (LOCK_NAME, "another backup or restore of the RRD archive"),
            (TRANSFER_LOCK_NAME, "a transferPickleToRRD run"),
        ):
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


def _backup_locked(
    paths: StatsPaths, when: int, keep: int, preserve=(), now: int | None = None
) -> BackupResult:
    tag = _free_tag(paths, when)
    partials = []
    try:
        for live, root in _roots(paths):
            root.mkdir(parents=True, exist_ok=True)
            partial = root / (PARTIAL + tag)
            partials.append(partial)
            files.write_manifest(partial, files.copy_tree(live, partial))  # the manifest last
        for (_, root), partial in zip(_roots(paths), partials):
            os.rename(partial, root / tag)
            files.fsync_dir(root)
    except (OSError, BackupError) as exc:
        for partial in partials:
            if partial.exists():
                shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"backup {tag} failed: {_describe(exc)}") from None
    log.info("Backed up the RRD archive as %s", tag)
    try:
        pruned, future = _prune(
            paths, keep, {tag, *preserve}, timeutil.now() if now is None else now
        )
    except OSError as exc:
        raise BackupError(
            f"backup {tag} made, but removing old backups failed: {_describe(exc)}"
        ) from None
    return BackupResult(tag, pruned, future)


def backup(paths: StatsPaths, when: int, keep: int = DEFAULT_KEEP, preserve=()) -> BackupResult:
    """Back up the live archive under the tag of `when`, then keep `keep` backups (plus the
    new one and the `preserve` tags). Raises BackupError, also for a `when` in the future."""
    if keep < 1:
        raise ValueError("the number of backups to keep must be at least 1")
    if when > timeutil.now() + FUTURE_SKEW:
        raise BackupError(
            f"{timeutil.iso(when)} is in the future: a backup is dated now or earlier"
        )
    with _archive_lock(paths):
        _recover(paths)
        return _backup_locked(paths, when, keep, preserve)


# -- verification and restore ------------------------------------------------------------------


def _check_readable(updates: Path, databases: Path, tag: str) -> None:
    """Each time-of-update file holds a time, each database answers `rrdtool last`."""
    try:
        for name, is_folder in files.entries(updates):
            if not is_folder:
                schema.read_time_of_update(updates / name)
        for name, is_folder in files.entries(databases):
            if not is_folder:
                schema.last(databases / name)
    except schema.RRDError as exc:
        raise BackupError(f"backup {tag} is unreadable: {exc}") from None


def verify(
    paths: StatsPaths, tag: str, require_manifest: bool = True, now: int | None = None
) -> list[dict | None]:
    """Check backup `tag` before a restore: present in both roots, not in the future, only
    folders and regular files, exactly what its manifests list (sizes and sha256), every file
    readable (each time-of-update file holds a time, each database answers `rrdtool last`).
    Without `require_manifest`, a backup without manifest is accepted when it is not empty.
    Returns the two manifests (None for a missing one); raises BackupError naming the first
    problem."""
    if not is_tag(tag):
        raise BackupError(f"{tag!r} is not a backup tag (YYYY-MM-DD_HH:MM:SS)")
    now = timeutil.now() if now is None else now
    if future_tags([tag], now):
        raise BackupError(
            f"backup {iso_from_tag(tag)} is dated in the future: not restored "
            "(if its date is wrong, rename its two folders)"
        )
    (_, updates_root), (_, databases_root) = _roots(paths)
    for root in (updates_root, databases_root):
        folder = root / tag
        if folder.is_symlink() or not folder.is_dir():
            available = list_tags(paths, now)
            hint = (
                f"{len(available)} backup(s) available, the latest {iso_from_tag(available[-1])}"
                if available
                else "no backup available"
            )
            raise BackupError(f"no backup of {iso_from_tag(tag)} in {root} ({hint})")
    manifests = []
    nb_files = 0
    try:
        for root in (updates_root, databases_root):
            folder = root / tag
            entries = files.entries(folder)
            nb_files += sum(1 for _, is_folder in entries if not is_folder)
            manifest = files.read_manifest(folder, iso_from_tag(tag))
            if manifest is not None:
                files.check_against(folder, iso_from_tag(tag), manifest, entries)
            elif require_manifest:
                raise BackupError(
                    f"backup {iso_from_tag(tag)} has no manifest in {folder} (made before "
                    "pxStats wrote manifests, or emptied), so its completeness cannot be "
                    "checked; if you know it is complete, restore it with --without-manifest"
                )
            manifests.append(manifest)
        if manifests == [None, None] and not nb_files:
            raise BackupError(f"backup {iso_from_tag(tag)} holds no database: nothing to restore")
        _check_readable(updates_root / tag, databases_root / tag, tag)
    except OSError as exc:
        raise BackupError(f"backup {tag} is unreadable: {_describe(exc)}") from None
    return manifests


def restore(
    paths: StatsPaths, tag: str, when: int, keep: int = DEFAULT_KEEP, require_manifest: bool = True
) -> BackupResult:
    """Replace the live archive by backup `tag`, after checking it (`verify`) and saving the
    live archive as a new backup (made at `when`, which is also now; retention `keep`, the
    restored tag always preserved). Returns the new backup. Raises BackupError; the live
    archive is then untouched."""
    if keep < 1:
        raise ValueError("the number of backups to keep must be at least 1")
    with _archive_lock(paths):
        _recover(paths)
        manifests = verify(paths, tag, require_manifest, now=when)
        saved = _backup_locked(paths, when, keep, preserve={tag}, now=when)
        # 1. copy both trees beside the live folders; a failure here changes nothing live
        try:
            for (live, root), manifest in zip(_roots(paths), manifests):
                live.parent.mkdir(parents=True, exist_ok=True)
                files.copy_tree(root / tag, _restoring(live), manifest)
        except (OSError, BackupError) as exc:
            _recover(paths)
            detail = str(exc) if isinstance(exc, BackupError) else _describe(exc)
            raise BackupError(
                f"restore of {tag} failed, live archive untouched: "
                f"{detail} (current state also saved as {saved.tag})"
            ) from None
        # 2. swap by renames only; 3. delete the old live folders
        try:
            for live, _ in _roots(paths):
                if live.exists():
                    os.rename(live, _previous(live))
                os.rename(_restoring(live), live)
                files.fsync_dir(live.parent)
            for live, _ in _roots(paths):
                if _previous(live).exists():
                    shutil.rmtree(_previous(live))
        except OSError as exc:
            _recover(paths)
            raise BackupError(
                f"restore of {tag} failed: {_describe(exc)} (the state before "
                f"the restore is backup {saved.tag})"
            ) from None
        log.info("Restored backup %s; the previous state is backup %s", tag, saved.tag)
        return saved


def _describe(exc: OSError) -> str:
    if isinstance(exc, shutil.Error):
        first = exc.args[0][0] if exc.args and exc.args[0] else None
        return f"{first[0]}: {first[2]}" if first else str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    return where + (exc.strerror or str(exc))
