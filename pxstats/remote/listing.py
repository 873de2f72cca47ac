"""Files of a folder here or on another machine: {name: (size, mtime in whole seconds)}.

Used to prove that a mirror matches its source after an rsync pass (a log rotated during the
pass shows up as a name, size or time that differs)."""

from __future__ import annotations

import os
from pathlib import Path

from pxstats.remote.commands import Host, RemoteError, Sessions
from pxstats.remote.names import check_remote_path

Listing = dict[str, tuple[int, int]]


def parse_find(text: str) -> Listing:
    """Lines 'name<TAB>size<TAB>mtime' as GNU find -printf writes them."""
    files: Listing = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            try:
                files[parts[0]] = (int(parts[1]), int(float(parts[2])))
            except ValueError:
                continue
    return files


def list_remote(sessions: Sessions, host: Host, folder: str, timeout: float = 60) -> Listing:
    folder = check_remote_path("folder", folder)
    result = sessions.run(
        host,
        [
            "find",
            folder,
            "-mindepth",
            "1",
            "-maxdepth",
            "1",
            "-type",
            "f",
            "-printf",
            "%f\\t%s\\t%T@\\n",
        ],
        timeout=timeout,
    )
    if not result.ok:
        raise RemoteError(f"{host.machine}: cannot list {folder}: {result.describe()}")
    return parse_find(result.stdout)


def list_local(folder: Path) -> Listing:
    files: Listing = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    files[entry.name] = (stat.st_size, int(stat.st_mtime))
    except FileNotFoundError:
        pass
    return files


def differences(source: Listing, mirror: Listing, rotated_mark: str = ".log.") -> list[str]:
    """What the mirror lacks or has in excess. A rotated log (name containing `rotated_mark`,
    as in tx_x.log.2008-04-30 or tx_x.log.1) must match in size and time: under the same name
    it may hold another day after a rotation. Any other file (the live logs) may have grown
    since it was copied."""
    found = []
    for name, (size, mtime) in sorted(source.items()):
        if name not in mirror:
            found.append(f"{name} missing")
        elif rotated_mark in name and mirror[name] != (size, mtime):
            found.append(f"{name} differs")
    for name in sorted(set(mirror) - set(source)):
        if not name.startswith("."):
            found.append(f"{name} in excess")
    return found
