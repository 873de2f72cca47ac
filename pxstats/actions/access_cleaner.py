"""fileVersionsAndAccessCleaners (spec collection.md §5.6, fixed): delete the file-version
files (data/fileAccessVersions/) and the resume pointers (data/logFileAccess/) of machines
that are no longer configured.

Active machines: every machine of every source tag, each tag's machines joined with ','
(the name of the combination), the machines of every group (joined likewise) and this host
(whose pointers name it: its logs are read in place). A file is kept when its name ends with
`_<active machine>`; only regular files directly in the two folders are considered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pxstats.paths import StatsPaths, combined_name, this_host


@dataclass
class Report:
    deleted: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def active_machines(config) -> set[str]:
    active = {this_host()}
    machines = config.machines
    for tag in config.general.source_machines_tags:
        names = list(dict.fromkeys(machines.machines_of(tag)))
        active.update(names)
        if names:
            active.add(combined_name(names))
    for group in config.groups:
        if group.machines:
            active.update(group.machines)
            active.add(combined_name(list(group.machines)))
    return active


def clean(paths: StatsPaths, config, dry_run: bool = False) -> Report:
    report = Report()
    suffixes = tuple(f"_{machine}" for machine in active_machines(config))
    for folder in (paths.file_access_versions, paths.log_file_access):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file() or path.is_symlink():
                continue
            if path.name.endswith(suffixes):
                report.kept.append(path)
                continue
            try:
                if not dry_run:
                    path.unlink()
            except OSError as exc:
                report.errors.append(f"{path}: {exc.strerror or exc}")
                continue
            report.deleted.append(path)
    return report
