"""Atomic file writes and copies: a crash at any instant leaves the old file or the new one,
never a torn one."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from pathlib import Path

COPY_TEMP_MAX_AGE = 600  # a copy's temp older than this was left by a killed run


def _temp_prefix(path: Path) -> str:
    return "." + path.name[:200] + "."


def write_bytes(
    path: Path | str, data: bytes, mode: int = 0o644, stale_after: float | None = None
) -> None:
    """Replace `path` with `data` atomically (temp file in the same folder, fsync, rename),
    then remove the temp files a killed writer of the same path left behind: all of them when
    the caller holds the lock that makes it the only writer (`stale_after` None), else only
    those older than `stale_after` seconds, so concurrent writers never remove each other's."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = new_temp(path)
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
    except BaseException:
        discard_temp(temp)
        raise
    commit_temp(temp, path, mode, stale_after)


def new_temp(path: Path | str) -> str:
    """An empty temp file next to `path`, for data written by us or by an outside program."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
    os.close(fd)
    return temp


def commit_temp(
    temp: str, path: Path | str, mode: int = 0o644, stale_after: float | None = None
) -> None:
    """Make the complete `temp` the new `path`: fsync, chmod, rename; then clean old temps
    (see write_bytes). The temp is removed if this fails."""
    path = Path(path)
    try:
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        discard_temp(temp)
        raise
    _clean_stale_temps(path, stale_after)


def discard_temp(temp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


def write_text(
    path: Path | str, text: str, mode: int = 0o644, stale_after: float | None = None
) -> None:
    write_bytes(path, text.encode("utf-8"), mode, stale_after)


def copy_file(
    source: Path | str, destination: Path | str, stale_after: float | None = COPY_TEMP_MAX_AGE
) -> Path:
    """A complete copy of `source` as `destination`, written atomically. Copies of the same
    graphic may run at once (web archives), hence only old temps are cleaned by default."""
    write_bytes(destination, Path(source).read_bytes(), stale_after=stale_after)
    return Path(destination)


def visible_entries(folder: Path) -> list[Path]:
    """Entries of `folder` sorted by name, without hidden ones (temp files of atomic writes)."""
    return sorted(
        (p for p in Path(folder).iterdir() if not p.name.startswith(".")), key=lambda p: p.name
    )


def glob_escape(text: str) -> str:
    return glob.escape(text)


def _clean_stale_temps(path: Path, stale_after: float | None) -> None:
    prefix = _temp_prefix(path)
    limit = None if stale_after is None else time.time() - stale_after
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp") and len(name) >= len(prefix) + 4):
            continue
        with contextlib.suppress(OSError):
            if limit is None or entry.stat(follow_symlinks=False).st_mtime < limit:
                os.unlink(entry.path)
