"""Atomic file writes: a crash at any instant leaves the old file or the new one, never a torn one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _temp_prefix(path: Path) -> str:
    return "." + path.name[:200] + "."


def write_bytes(path: Path | str, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` atomically, then remove temp files a killed writer of the
    same path left behind (callers hold the lock that makes them the only writer)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    for stale in path.parent.glob(glob_escape(_temp_prefix(path)) + "*.tmp"):
        try:
            stale.unlink()
        except FileNotFoundError:
            pass


def glob_escape(text: str) -> str:
    import glob
    return glob.escape(text)


def write_text(path: Path | str, text: str, mode: int = 0o644) -> None:
    write_bytes(path, text.encode("utf-8"), mode)
