"""fileRenamer: rename the stored files of a client, group or machine (spec ops.md §6.6.6).

Machine OLD -> NEW (OLD may be a concatenation of machines, m1,m2, as pxStatsStartup passes
when the machines of a tag change):
  pickles, merged pickles   <tree>/<name>/<date>/<ft>/OLD_<HH>        -> NEW_<HH>
  times of update, pointers <ft>_<client>_OLD                          -> <ft>_<client>_NEW
  databases and their times <name>_OLD (every folder below)            -> <name>_NEW
  file versions             <name>_OLD                                 -> <name>_NEW
Client or group OLD -> NEW:
  pickles (clients), merged pickles   <tree>/OLD/...                   -> <tree>/NEW/...
  times of update, pointers (clients) <ft>_OLD_<machines>              -> <ft>_NEW_<machines>
  databases and their times           OLD_<machines>                   -> NEW_<machines>
where <machines> holds no '_' (a name such as OLD_x_m1 belongs to client OLD_x).

Every rename is one os.rename (atomic); a file whose new name exists already is left and
reported (never overwritten). A run stopped at any point is finished by running it again.
The backups of the databases keep their names (their manifests list them).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.actions.errors import RequestError
from pxstats.paths import StatsPaths, check_name
from pxstats.util.locks import named_lock

KINDS = ("client", "group", "machine")
_HOUR = re.compile(r"_\d\d")


@dataclass(frozen=True)
class RenameRequest:
    kind: str
    old: str
    new: str


@dataclass
class Outcome:
    renamed: list[tuple[Path, Path]] = field(default_factory=list)
    conflicts: list[Path] = field(default_factory=list)


def rename_request(kind: str, old: str, new: str) -> RenameRequest:
    old, new = old.replace(" ", ""), new.replace(" ", "")
    if kind not in KINDS:
        raise RequestError("Error. Specify exactly one of -c, -g and -m.")
    if not old or not new:
        raise RequestError("Error. Both the old value (-o) and the new value (-n) are required.")
    if old == new:
        raise RequestError("Error. The old and new values must differ.")
    try:
        for name in (old, new):
            check_name(kind, name)
    except ValueError as exc:
        raise RequestError(f"Error. {exc}.") from None
    return RenameRequest(kind, old, new)


def _files(folder: Path):
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() or path.is_symlink():
                yield path


def _machine_plan(paths: StatsPaths, old: str, new: str):
    for tree in (paths.pickles, paths.merged_pickles):
        for path in _files(tree):
            name = path.name
            if name.startswith(old) and _HOUR.fullmatch(name[len(old) :]):
                yield path, path.with_name(new + name[len(old) :])
    for folder in (
        paths.times_of_updates,
        paths.log_file_access,
        paths.current_databases,
        paths.current_databases_updates,
        paths.file_access_versions,
    ):
        for path in _files(folder):
            if path.name.endswith("_" + old):
                yield path, path.with_name(path.name[: -len(old)] + new)


def _name_plan(paths: StatsPaths, old: str, new: str, group: bool):
    trees = [paths.merged_pickles / ("groups" if group else "clients")]
    if not group:
        trees.insert(0, paths.pickles)
    for tree in trees:
        if (tree / old).is_dir():
            yield tree / old, tree / new
    folders = [paths.current_databases, paths.current_databases_updates]
    if not group:
        folders += [paths.times_of_updates, paths.log_file_access]
    for folder in folders:
        for path in _files(folder):
            name = path.name
            for prefix in (f"{old}_", f"tx_{old}_", f"rx_{old}_"):
                rest = name[len(prefix) :]
                if name.startswith(prefix) and rest and "_" not in rest:
                    yield (
                        path,
                        path.with_name(name[: len(prefix) - len(old) - 1] + new + "_" + rest),
                    )
                    break


def plan(paths: StatsPaths, request: RenameRequest) -> list[tuple[Path, Path]]:
    if request.kind == "machine":
        return list(_machine_plan(paths, request.old, request.new))
    return list(_name_plan(paths, request.old, request.new, request.kind == "group"))


def _move_tree(source: Path, target: Path, outcome: Outcome) -> None:
    """A folder: renamed whole when the target is free, else file by file."""
    if not target.exists():
        os.rename(source, target)
        outcome.renamed.append((source, target))
        return
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        destination = target / path.relative_to(source)
        if destination.exists():
            outcome.conflicts.append(path)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.rename(path, destination)
        outcome.renamed.append((path, destination))


def run(paths: StatsPaths, request: RenameRequest) -> Outcome:
    outcome = Outcome()
    with named_lock(paths, "fileRenamer"):
        for source, target in plan(paths, request):
            if source.is_dir() and not source.is_symlink():
                _move_tree(source, target, outcome)
            elif os.path.lexists(target):
                outcome.conflicts.append(source)
            else:
                os.rename(source, target)
                outcome.renamed.append((source, target))
    return outcome
