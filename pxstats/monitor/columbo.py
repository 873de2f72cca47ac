"""Columbo's inputs to the monitor: maxSettings.conf and the PX_Errors.txt* error log
(spec ops.md §1.5, §5.5.3).

`read_max_settings` parses maxSettings.conf (sections PX_CIRCUITS, PX_TIMERS, PX_GRAPHS, ...;
`DEFAULT n` and `<glob> n` lines; anything else is a garbage line, skipped and counted).
`limits_for` gives each name its value: the last matching glob, else the section's DEFAULT
(the original crashed on a name without a value). `ErrorLog` streams every `<base>*` file
once, keeping only the few fields the gap check needs, for the names it is asked about and the
lines at or after the start of the window: memory grows with the relevant lines, never with
the size of the log.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.util import timeutil

log = logging.getLogger(__name__)

SECTIONS = (
    "PDS_CLIENTS",
    "PDS_INPUT_DIRECTORIES",
    "PDS_GRAPHS",
    "PX_GRAPHS",
    "PX_CIRCUITS",
    "PX_TIMERS",
)
REQUIRED = ("PX_CIRCUITS", "PX_TIMERS", "PX_GRAPHS")
TOLERANCE = 300  # seconds: an error-log line "at" a time is within 5 minutes of it
_DEFAULT = re.compile(r"^DEFAULT\s+(\d+)")
_ENTRY = re.compile(r"^(.*?)\s+(\d+)")


class MaxSettingsError(Exception):
    """maxSettings.conf is missing, unreadable or lacks a required DEFAULT."""


@dataclass
class MaxSettings:
    """Per section: (glob, minutes) entries in file order and the DEFAULT."""

    entries: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    defaults: dict[str, int] = field(default_factory=dict)
    garbage: int = 0  # lines that were neither a section, DEFAULT nor an entry

    def limits_for(self, section: str, names) -> dict[str, int]:
        """name -> value: the last glob of the section matching the name, else DEFAULT."""
        entries = self.entries.get(section, [])
        default = self.defaults[section]
        limits = {}
        for name in names:
            value = default
            for pattern, minutes in entries:
                if fnmatch.fnmatchcase(name, pattern):
                    value = minutes
            limits[name] = value
        return limits


def parse_max_settings(text: str, source: str = "maxSettings.conf") -> MaxSettings:
    settings = MaxSettings()
    section = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        opening = next((s for s in SECTIONS if line.startswith(s)), None)
        if opening:
            section = opening
            settings.entries.setdefault(section, [])
            continue
        default = _DEFAULT.match(line)
        entry = _ENTRY.match(line)
        if section is None or not (default or entry):
            settings.garbage += 1
            log.warning(
                "%s, line %d: not a section, DEFAULT or '<name> <minutes>' line, skipped: %r",
                source,
                number,
                line.strip()[:80],
            )
            continue
        if default:
            settings.defaults[section] = int(default[1])
        else:
            settings.entries[section].append((entry[1].strip(), int(entry[2])))
    missing = [s for s in REQUIRED if s not in settings.defaults]
    if missing:
        raise MaxSettingsError(f"{source}: no DEFAULT in {', '.join(missing)}")
    return settings


def read_max_settings(path: Path) -> MaxSettings:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MaxSettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_max_settings(data.decode("utf-8", "replace"), str(path))


# -- the error log ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorLine:
    time: int
    outdated: bool
    not_found: bool
    last_sent: int | None  # tokens 9-10: time of the last transmission, when readable


def _time_of(date: str, clock: str) -> int | None:
    """'YYYY-MM-DD' and 'HH:MM:SS[,mmm]' -> epoch, None when unreadable."""
    try:
        return timeutil.parse_iso(f"{date} {clock[:8]}")
    except timeutil.BadDate:
        return None


def rotation_key(path: Path, base: str) -> tuple[int, str]:
    """Oldest first: PX_Errors.txt.10, ... .2, .1, then PX_Errors.txt (numeric, not text)."""
    suffix = path.name[len(base) :].lstrip(".")
    if not suffix:
        return (0, "")
    if suffix.isdigit():
        return (-int(suffix), "")
    return (1, suffix)


def log_files(base: Path) -> list[Path]:
    """Every file whose name starts with the base name, oldest rotation first."""
    base = Path(base)
    try:
        found = [p for p in base.parent.iterdir() if p.name.startswith(base.name) and p.is_file()]
    except OSError:
        return []
    return sorted(found, key=lambda p: rotation_key(p, base.name))


class ErrorLog:
    """The lines of the error log about `names` at or after `start`, per name, in file order."""

    def __init__(self, base: Path, names, start: int):
        self.lines: dict[str, list[ErrorLine]] = {}
        self.files: list[Path] = log_files(base)
        self.read = 0
        self.skipped = 0
        wanted = {f"{name}:".encode(): name for name in names}
        start_text = timeutil.iso(start).encode()
        for path in self.files:
            try:
                self._read(path, wanted, start_text)
            except OSError as exc:
                log.warning("cannot read the error log %s: %s", path, exc.strerror)

    def _read(self, path: Path, wanted: dict[bytes, str], start: bytes) -> None:
        with open(path, "rb") as handle:
            for raw in handle:  # streamed: one line in memory at a time
                self.read += 1
                head = raw.split(None, 3)  # date, time, "name:", rest
                if len(head) < 3:
                    self.skipped += 1
                    continue
                name = wanted.get(head[2])
                if name is None or head[0] + b" " + head[1][:8] < start:
                    continue
                tokens = raw.split(None, 10)
                when = _time_of(
                    tokens[0].decode("ascii", "replace"), tokens[1].decode("ascii", "replace")
                )
                if when is None:
                    self.skipped += 1
                    continue
                last = None
                if len(tokens) >= 10:
                    last = _time_of(
                        tokens[8].decode("ascii", "replace"), tokens[9].decode("ascii", "replace")
                    )
                self.lines.setdefault(name, []).append(
                    ErrorLine(when, b"outdated" in raw, b"NOT FOUND" in raw, last)
                )

    def explains(self, name: str, start: int, end: int) -> bool:
        """gapInErrorLog: a line within 5 minutes of the start and one within 5 minutes of
        the end (an `outdated` line at the end also finds the start when it says NOT FOUND
        or gives a last transmission within 5 minutes of the start)."""
        start_found = end_found = False
        for line in self.lines.get(name, ()):
            if line.time > end + TOLERANCE:
                break
            if abs(line.time - start) <= TOLERANCE:
                start_found = True
            if abs(line.time - end) <= TOLERANCE:
                end_found = True
                if line.outdated and (
                    line.not_found
                    or (line.last_sent is not None and abs(line.last_sent - start) <= TOLERANCE)
                ):
                    start_found = True
        return start_found and end_found
