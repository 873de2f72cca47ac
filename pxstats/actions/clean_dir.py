"""cleanDir (clean_dir.plx): delete old files by the rules of etc/clean_dir.conf (spec ops.md
§1.6, §6.6.4), with the fixes: a blank line is skipped, a missing folder or a bad rule is
reported and the other rules run, a relative LOGFILE is under data/logs/.

A rule `<directory> <glob> <N>[:<unit>] <yes|no>` deletes the regular files (a symbolic link
to a file counts; the link is removed, never its target) directly in the directory (`no`)
or in its whole tree (`yes`) whose name matches the glob and whose modification time is
strictly older than now less N units (s, m, h, d; N alone: days). Folders are never deleted
and never left: a symbolic link to a folder is not followed.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.actions.errors import RequestError
from pxstats.util import timeutil

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_AGE = re.compile(r"([0-9]+)(?::([a-zA-Z]+))?")


@dataclass(frozen=True)
class Rule:
    directory: Path
    glob: str
    seconds: int
    recursive: bool
    text: str


@dataclass
class Report:
    log_file: Path | None = None
    rules: list[Rule] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse(text: str, logs: Path, source: str = "clean_dir.conf") -> Report:
    """The LOGFILE and the rules; a bad line is an error of the report, the others stay."""
    report = Report()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = line.split()
        where = f"{source}, line {number}"
        if tokens[0] == "LOGFILE":
            if len(tokens) != 2:
                report.errors.append(f"{where}: expected 'LOGFILE <path>'")
                continue
            path = Path(tokens[1])
            report.log_file = path if path.is_absolute() else logs / path
            continue
        if len(tokens) != 4:
            report.errors.append(f"{where}: expected '<directory> <glob> <N>[:<unit>] <yes|no>'")
            continue
        directory, glob, age, recursive = tokens
        match = _AGE.fullmatch(age)
        if match is None or (match[2] or "d") not in UNITS:
            report.errors.append(f"{where}: bad age {age!r} (N or N:unit, unit s, m, h or d)")
            continue
        if recursive not in ("yes", "no"):
            report.errors.append(f"{where}: the last field must be yes or no, not {recursive!r}")
            continue
        if not os.path.isabs(directory) or any(c in directory for c in "*?["):
            report.errors.append(f"{where}: the directory must be absolute, without wildcard")
            continue
        seconds = int(match[1]) * UNITS[match[2] or "d"]
        rule = Rule(Path(directory), glob, seconds, recursive == "yes", line)
        report.rules.append(rule)
    return report


def _files(rule: Rule):
    """(path, stat of the file or of the link's target) of the regular files of a rule."""
    folders = [rule.directory]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if rule.recursive:
                        folders.append(Path(entry.path))
                    continue
                info = os.stat(entry.path)  # a link counts as its target
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                yield Path(entry.path), info


def clean(conf: Path, logs: Path, now: int | None = None, dry_run: bool = False) -> Report:
    """Apply the rules of `conf`; RequestError when it cannot be read."""
    try:
        text = Path(conf).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise RequestError(f"cannot read {conf}: {exc.strerror or exc}") from None
    now = timeutil.now() if now is None else now
    report = parse(text, logs, str(conf))
    lines = ["=" * 20 + " begin", f"{timeutil.iso(now)} cleanDir {conf}"]
    for rule in report.rules:
        if not rule.directory.is_dir():
            report.errors.append(f"{rule.directory}: no such folder (rule skipped)")
            lines.append(f"{rule.text}: no such folder")
            continue
        count = 0
        for path, info in _files(rule):
            if fnmatch.fnmatchcase(path.name, rule.glob) and info.st_mtime < now - rule.seconds:
                if not dry_run:
                    try:
                        path.unlink()
                    except OSError as exc:
                        report.errors.append(f"{path}: {exc.strerror or exc}")
                        continue
                report.deleted.append(path)
                count += 1
        lines.append(f"{rule.text}: {count} file(s) {'to delete' if dry_run else 'deleted'}")
    lines += [f"{timeutil.iso(now)} cleanDir has terminated", "=" * 20 + " end"]
    if report.log_file is not None and not dry_run:
        try:
            report.log_file.parent.mkdir(parents=True, exist_ok=True)
            with open(report.log_file, "a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
        except OSError as exc:
            report.errors.append(f"cannot write {report.log_file}: {exc.strerror or exc}")
    return report
