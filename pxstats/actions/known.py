"""Which names exist, so that a typo never invents data.

A client, source or machine is known when something of it exists: a Sundew configuration
entry (or its copy), a log file, an hourly pickle or a time-of-update file. A name that is
none of these is refused with one line naming it and the closest known names, before
anything is written (a misspelt `-c satnett` used to create pickles, time files and then
databases of its own)."""

from __future__ import annotations

import os
from pathlib import Path

from pxstats.actions.errors import RequestError
from pxstats.paths import StatsPaths, this_host

KIND = {"tx": "client", "rx": "source"}


class UnknownName(RequestError):
    """A name nothing of which exists (exit status 1: the command line was well formed)."""


def _entries(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def log_names(paths: StatsPaths, file_type: str, machine: str) -> set[str]:
    """Names of the `<ft>_<name>.log*` files of the machine's log folder."""
    prefix = f"{file_type}_"
    return {
        entry[len(prefix) : entry.index(".log")]
        for entry in _entries(paths.log_dir_for(machine))
        if entry.startswith(prefix) and ".log" in entry[len(prefix) :]
    }


def config_names(paths: StatsPaths, file_type: str, machine: str) -> set[str]:
    """Names of Sundew's `*.conf` files for the machine (this host's, or their copies)."""
    folder = (
        paths.px_etc_dir / file_type
        if machine == this_host()
        else paths.px_config_copies / file_type / machine
    )
    return {entry[:-5] for entry in _entries(folder) if entry.endswith(".conf")}


def time_file_names(paths: StatsPaths, file_type: str, machine: str) -> set[str]:
    """Names having a time-of-update file `<ft>_<name>_<machine>`."""
    prefix, suffix = f"{file_type}_", f"_{machine}"
    return {
        entry[len(prefix) : -len(suffix)]
        for entry in _entries(paths.times_of_updates)
        if entry.startswith(prefix)
        and entry.endswith(suffix)
        and len(entry) > len(prefix) + len(suffix)
    }


def has_pickles(paths: StatsPaths, name: str, file_type: str, machines) -> bool:
    """Does `name` have an hourly pickle of `file_type` on one of `machines`, any day?"""
    prefixes = tuple(f"{machine}_" for machine in machines)
    base = paths.pickles / name
    for day in _entries(base):
        if any(entry.startswith(prefixes) for entry in _entries(base / day / file_type)):
            return True
    return False


def has_database(paths: StatsPaths, name: str, file_type: str, machines) -> bool:
    """Does `name` have an RRD database of `file_type` for one of `machines` or for their set?"""
    folder = paths.current_databases / ("latency" if file_type == "tx" else "bytecount")
    wanted = {f"{name}_{machine}" for machine in machines} | {f"{name}_{''.join(machines)}"}
    return any(entry in wanted for entry in _entries(folder))


def pickle_names(paths: StatsPaths, file_type: str, machines) -> set[str]:
    """Names having an hourly pickle of `file_type` on one of `machines`."""
    return {
        name for name in _entries(paths.pickles) if has_pickles(paths, name, file_type, machines)
    }


def pickle_machines(paths: StatsPaths) -> set[str]:
    """Machines having at least one hourly pickle (of any name and file type)."""
    machines = set()
    for name in _entries(paths.pickles):
        for day in _entries(paths.pickles / name):
            for file_type in ("tx", "rx"):
                machines.update(
                    entry[:-3]
                    for entry in _entries(paths.pickles / name / day / file_type)
                    if len(entry) > 3 and entry[-3] == "_"
                )
    return machines


def check_pickles(paths: StatsPaths, names, file_type: str, machines) -> None:
    """UnknownName unless every name has pickles of `file_type` on one of `machines` or an
    RRD database of that file type (each machine then having pickles of some name)."""
    for name in names:
        if has_pickles(paths, name, file_type, machines) or has_database(
            paths, name, file_type, machines
        ):
            continue
        having = pickle_machines(paths)
        for machine in machines:
            if machine not in having:
                raise unknown("machine", machine, having, " (no pickles of it)")
        raise unknown(
            KIND[file_type],
            name,
            pickle_names(paths, file_type, machines),
            f" with {file_type} pickles on {','.join(machines)}",
        )


def sharing_files(paths: StatsPaths, file_type: str, client: str, machine: str):
    """Another (client, machine) whose time-of-update and pointer files would have the same
    name as this pair's (`<ft>_a_b_c` is client a_b of c and client a of b_c) and which has
    pickles already; None when there is none. The file names are the original's, so the
    clash is detected rather than designed away."""
    joined = f"{client}_{machine}"
    for cut, char in enumerate(joined):
        other = (joined[:cut], joined[cut + 1 :])
        if char != "_" or other == (client, machine) or not all(other):
            continue
        if has_pickles(paths, other[0], file_type, [other[1]]):
            return other
    return None


def check_machines(paths: StatsPaths, machines) -> None:
    """UnknownName for a machine of which no pickle exists (read only when a run found
    nothing to do, to say why)."""
    having = pickle_machines(paths)
    for machine in machines:
        if machine not in having:
            raise unknown("machine", machine, having, " (no pickles of it)")


def collectable_names(paths: StatsPaths, file_type: str, machine: str) -> set[str]:
    """What pickleUpdater may collect for a machine: configured, logged or collected before."""
    return (
        config_names(paths, file_type, machine)
        | log_names(paths, file_type, machine)
        | time_file_names(paths, file_type, machine)
    )


def known_machines(paths: StatsPaths) -> set[str]:
    """Machines with a log folder (mirrored or, for this host, Sundew's own)."""
    machines = {entry for entry in _entries(paths.log_files) if (paths.log_files / entry).is_dir()}
    if paths.px_log_dir.is_dir():
        machines.add(this_host())
    return machines


def unknown(kind: str, name: str, candidates, where: str = "") -> UnknownName:
    """The error for an unknown name (`where` follows it: " on m1", ": its log folder ..."),
    with the closest known names (difflib)."""
    candidates = sorted(set(candidates))
    import difflib  # here: only a refused name needs it

    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    if close:
        hint = f"; closest known: {', '.join(close)}"
    elif candidates:
        shown = ", ".join(candidates[:8]) + (", ..." if len(candidates) > 8 else "")
        hint = f"; known: {shown}"
    else:
        hint = f"; no {kind} is known"
    return UnknownName(f"unknown {kind} {name!r}{where}{hint}")
