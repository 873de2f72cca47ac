"""What backups and restores of the RRD archive copy and check (see pxstats.actions.backup):
folders and regular files only, never through a link, never blocking on a FIFO, each copy
described by a manifest (every folder, every file with its size and sha256) written last."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import stat
from pathlib import Path

from pxstats.util import atomic

log = logging.getLogger(__name__)

MANIFEST = ".manifest.json"
MANIFEST_FORMAT = 1
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the operator."""


# -- copying regular files only ----------------------------------------------------------------


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def refuse(path, mode: int) -> BackupError:
    if stat.S_ISLNK(mode):
        return BackupError(
            f"{path} is a symbolic link: backups and restores copy regular "
            "files only, nothing was changed"
        )
    return BackupError(
        f"{path} is not a regular file ({_kind(mode)}): backups and restores "
        "copy regular files only, nothing was changed"
    )


def entries(folder: Path) -> list[tuple[str, bool]]:
    """(relative path, is a folder) of everything under `folder` but its manifest, sorted,
    each checked with lstat: BackupError for a link or a special file. OSError when a
    folder cannot be listed."""
    found = []
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(folder / relative if relative else folder) as scan:
            for entry in scan:
                name = f"{relative}/{entry.name}" if relative else entry.name
                if name == MANIFEST:
                    continue
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    found.append((name, True))
                    pending.append(name)
                elif stat.S_ISREG(mode):
                    found.append((name, False))
                else:
                    raise refuse(folder / name, mode)
    return sorted(found)


def open_regular(path) -> int:
    """A read descriptor on the regular file `path`, never through a link, never blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise refuse(path, stat.S_IFLNK) from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise refuse(path, mode)
    return fd


def digest(path) -> tuple[int, str]:
    """(size, sha256) of the regular file `path`."""
    fd = open_regular(path)
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return size, digest.hexdigest()


def copy_file(src, dst) -> tuple[int, str]:
    """Copy the regular file `src` to the new file `dst`, flushed, times and mode kept;
    (size, sha256) of what was copied."""
    fd = open_regular(src)
    digest, size = hashlib.sha256(), 0
    try:
        info = os.fstat(fd)
        out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(out, "wb") as handle:
            while chunk := os.read(fd, _CHUNK):
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
            handle.flush()
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            os.fsync(handle.fileno())
        os.utime(dst, ns=(info.st_atime_ns, info.st_mtime_ns))
    finally:
        os.close(fd)
    return size, digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_tree(source: Path, target: Path, expected: dict | None = None) -> dict:
    """Copy the folders and regular files of `source` (an empty folder if it does not exist)
    to the new `target`, every file and folder flushed to disk; the manifest of the copy.
    Everything is checked before anything is copied; with `expected` (a manifest), every
    copied file must match it."""
    if not source.is_dir():
        log.warning("%s does not exist: backed up as an empty folder", source)
        target.mkdir(parents=True)
        fsync_dir(target)
        return _manifest([], {})
    found = entries(source)
    target.mkdir(parents=True)
    files = {}
    for name, is_folder in found:
        if is_folder:
            (target / name).mkdir()
            continue
        size, checksum = copy_file(source / name, target / name)
        files[name] = {"size": size, "sha256": checksum}
        if expected is not None and expected["files"].get(name) != files[name]:
            raise BackupError(f"{source / name} changed since it was checked: not restored")
    for folder in [target, *(target / name for name, is_folder in found if is_folder)]:
        fsync_dir(folder)
    return _manifest([name for name, is_folder in found if is_folder], files)


def _manifest(folders: list, files: dict) -> dict:
    return {"format": MANIFEST_FORMAT, "folders": sorted(folders), "files": files}


def write_manifest(folder: Path, manifest: dict) -> None:
    atomic.write_text(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")


# -- manifests -----------------------------------------------------------------------------------


def read_manifest(folder: Path, label: str) -> dict | None:
    """The manifest of one backup folder, None when it has none; BackupError when it is not
    a regular file or not a well-formed manifest."""
    path = folder / MANIFEST
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode):
        raise refuse(path, mode)
    fd = open_regular(path)
    try:
        with os.fdopen(fd, "rb") as handle:
            manifest = json.loads(handle.read())
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if not _well_formed(manifest):
        raise BackupError(f"backup {label} is altered: its manifest {path} is not readable")
    return manifest


def _well_formed(manifest) -> bool:
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return False
    folders, files = manifest.get("folders"), manifest.get("files")
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        return False
    if not isinstance(files, dict):
        return False
    return all(
        isinstance(entry, dict)
        and set(entry) == {"size", "sha256"}
        and type(entry["size"]) is int
        and isinstance(entry["sha256"], str)
        for entry in files.values()
    )


def check_against(folder: Path, label: str, manifest: dict, entries) -> None:
    """Refuse a backup folder with a file or folder missing, added or altered."""
    when = label
    found_folders = {name for name, is_folder in entries if is_folder}
    found_files = {name for name, is_folder in entries if not is_folder}
    listed_folders, listed_files = set(manifest["folders"]), set(manifest["files"])
    missing = sorted((listed_files - found_files) | (listed_folders - found_folders))
    if missing:
        raise BackupError(
            f"backup {when} is incomplete: {len(missing)} of the entries of its "
            f"manifest are missing in {folder}, the first {missing[0]}; "
            "not restored"
        )
    extra = sorted((found_files - listed_files) | (found_folders - listed_folders))
    if extra:
        raise BackupError(
            f"backup {when} holds {folder / extra[0]}, which is not in its "
            f"manifest ({len(extra)} such entries); not restored"
        )
    for name in sorted(found_files):
        if digest(folder / name) != (
            manifest["files"][name]["size"],
            manifest["files"][name]["sha256"],
        ):
            raise BackupError(
                f"backup {when} is altered: {folder / name} does not match its "
                "manifest (size or sha256); not restored"
            )
