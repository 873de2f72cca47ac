"""Which clients (tx) or sources (rx) a machine has: Sundew's configuration, else its logs."""

from __future__ import annotations

from pathlib import Path

from pxstats.paths import StatsPaths, this_host


def client_names(paths: StatsPaths, file_type: str, machine: str) -> list[str]:
    """Every client (tx) or source (rx) of a machine: Sundew's *.conf names, else the log names."""
    if machine == this_host():
        conf_dir = paths.px_etc_dir / file_type
    else:
        conf_dir = paths.px_config_copies / file_type / machine
    names = sorted(p.name[:-5] for p in _listdir(conf_dir) if p.name.endswith(".conf"))
    if names:
        return names
    prefix = f"{file_type}_"
    found = set()
    for p in _listdir(paths.log_dir_for(machine)):
        if p.name.startswith(prefix) and ".log" in p.name:
            found.add(p.name[len(prefix) : p.name.index(".log")])
    return sorted(found)


def _listdir(folder: Path) -> list[Path]:
    try:
        return list(Path(folder).iterdir())
    except OSError:
        return []
