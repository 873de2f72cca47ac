"""Resume pointers: where the next collection may start reading a log file (spec §2.8 + fix).

A pointer remembers the first line of the file (so it survives the midnight rename of
`x.log` to `x.log.YYYY-MM-DD`), the byte offset of the first line not yet consumed, and
the end of the collection that stopped there. It is used only for a collection that
starts at or after that end, at a line start inside the file: otherwise the file is read
from the top. Using it or not therefore never changes a result, only the time it takes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pxstats.util import timeutil

_FIRST_LINE_MAX = 64 * 1024


@dataclass(frozen=True)
class Pointer:
    first_line: bytes
    offset: int
    end: int  # epoch: exclusive end of the collection that stopped at `offset`

    def usable_for(self, path: Path, start: int, first_line: bytes) -> bool:
        if self.end > start or first_line != self.first_line or self.offset <= 0:
            return False
        try:
            with open(path, "rb") as handle:
                if self.offset > handle.seek(0, 2):
                    return False
                handle.seek(self.offset - 1)
                return handle.read(1) == b"\n"  # must be a line start
        except OSError:
            return False


def first_line(path: Path) -> bytes:
    """The file's first line including its newline (what identifies a file across renames)."""
    with open(path, "rb") as handle:
        return handle.readline(_FIRST_LINE_MAX)


def load(path: Path) -> Pointer | None:
    """The saved pointer, or None when absent or unreadable (then files are read from the top)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Pointer(
            data["firstLine"].encode("latin-1"),
            int(data["offset"]),
            timeutil.parse_iso(data["end"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def encode(pointer: Pointer) -> bytes:
    """The bytes `save` writes for `pointer`."""
    text = json.dumps(
        {
            "firstLine": pointer.first_line.decode("latin-1"),
            "offset": pointer.offset,
            "end": timeutil.iso(pointer.end),
        },
        indent=1,
    )
    return (text + "\n").encode("utf-8")


def save(path: Path, pointer: Pointer) -> None:
    from pxstats.util import atomic  # here: collection stores pointers through store.writer

    atomic.write_bytes(path, encode(pointer))
