"""Times of last update: one small file per (fileType, client, machine).

The content is the original's protocol-0 pickle of one ISO string
(`S'2008-04-30 15:00:00'\\np0\\n.`), which stays readable and editable by hand and by
the original tools. It names the first hour that has not been collected yet.
"""

from __future__ import annotations

import re
from pathlib import Path

from pxstats.util import timeutil

_CONTENT = re.compile(rb"^[SV]'?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)'?\n")
# What `encode` writes: a well-formed pickle, read without disassembling it.
_CANONICAL = re.compile(rb"S'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)'\np0\n\.")


class UpdateFileError(Exception):
    pass


def encode(epoch: int) -> bytes:
    return b"S'" + timeutil.iso(epoch).encode() + b"'\np0\n."


def decode(data: bytes, origin: str = "<bytes>") -> int:
    """Read the ISO date out of a protocol-0 string pickle without unpickling anything."""
    canonical = _CANONICAL.fullmatch(data)
    if canonical:
        return timeutil.parse_iso(canonical.group(1).decode())
    match = _CONTENT.match(data)
    if not match:
        raise UpdateFileError(f"{origin}: not a time-of-update file")
    import pickletools  # here: only for a file not written by `encode`

    try:
        pickletools.dis(data, out=_Null())  # must be one well-formed pickle
    except Exception:
        raise UpdateFileError(f"{origin}: not a time-of-update file") from None
    return timeutil.parse_iso(match.group(1).decode())


class _Null:
    def write(self, _):
        pass


def read(path: Path) -> int | None:
    """The stored time, or None when the file does not exist. Raises UpdateFileError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UpdateFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return decode(data, str(path))
    except timeutil.BadDate:
        raise UpdateFileError(f"{path}: invalid date") from None


def write(path: Path, epoch: int) -> None:
    from pxstats.util import atomic  # here: collection stores times through store.writer

    atomic.write_bytes(path, encode(epoch))
