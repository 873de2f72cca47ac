"""Run gnuplot on a program from `script` and put the PNG in place atomically.

gnuplot runs as an argument list (no shell) with `-d` (no start-up files), an almost empty
environment, a timeout, and a private working folder created next to the destination:
the program writes `script.OUTPUT_NAME` there, and only a complete, checked PNG is moved
over the destination with `os.replace` (spec §2.2 items 6 and 8, §2.4). A gnuplot error
(exit status 1) becomes a GnuplotError whose message is one line.
"""

from __future__ import annotations

import logging
import re
import shutil
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from pxstats.gnuplot import script
from pxstats.util import atomic

log = logging.getLogger(__name__)

TIMEOUT = 60.0  # seconds allowed to one gnuplot run
TEMP_PREFIX = ".gnuplot-"
TEMP_SUFFIX = ".tmp"
STALE_AFTER = 600  # a private folder older than this was left by a killed run
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class GnuplotError(Exception):
    """gnuplot is missing, failed, timed out or produced no valid PNG (one-line message)."""


def command() -> list[str]:
    """The argument list that starts gnuplot reading a program on its standard input."""
    executable = shutil.which("gnuplot")
    if executable is None:
        raise GnuplotError("gnuplot is not installed (Debian package gnuplot-nox)")
    return [executable, "-d"]


def run(program: bytes, cwd: Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """The one call to gnuplot: `program` on stdin, inside `cwd`, no shell."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(cwd)}
    return subprocess.run(
        command(),
        input=program,
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def png_size(path: Path | str) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; GnuplotError when the file is not a PNG."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    if len(head) < 24 or not head.startswith(PNG_MAGIC) or head[12:16] != b"IHDR":
        raise GnuplotError(f"gnuplot did not produce a valid PNG ({Path(path).name})")
    return struct.unpack(">II", head[16:24])


def error_line(stderr: bytes) -> str:
    """The message of a gnuplot error, on one line ('line N: ...' when there is one)."""
    text = stderr.decode("latin-1", errors="replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if re.match(r"(\"[^\"]*\", )?line \d+:", ln):
            return ln[:300]
    return (lines[-1] if lines else "no message")[:300]


def render(
    program: str | bytes,
    destination: Path | str,
    *,
    timeout: float = TIMEOUT,
    size: tuple[int, int] | None = None,
) -> Path:
    """Draw `program` (which writes script.OUTPUT_NAME) and atomically install the PNG as
    `destination`. `size`, when given, is checked against the PNG header."""
    destination = Path(destination)
    if isinstance(program, str):
        program = script.encode(program)
    folder = destination.parent
    folder.mkdir(parents=True, exist_ok=True)
    _clean_stale(folder)
    work = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder))
    try:
        try:
            done = run(program, work, timeout)
        except subprocess.TimeoutExpired:
            raise GnuplotError(
                f"gnuplot did not finish within {timeout:g} s drawing {destination.name}"
            ) from None
        except OSError as exc:
            raise GnuplotError(f"cannot run gnuplot: {exc.strerror or exc}") from None
        if done.stderr:
            log.debug(
                "gnuplot said for %s: %s",
                destination.name,
                done.stderr.decode("latin-1", errors="replace").strip(),
            )
        if done.returncode != 0:
            raise GnuplotError(
                f"gnuplot failed (status {done.returncode}): {error_line(done.stderr)}"
            )
        produced = work / script.OUTPUT_NAME
        if not produced.is_file() or produced.stat().st_size == 0:
            raise GnuplotError(f"gnuplot wrote no image for {destination.name}")
        actual = png_size(produced)
        if size is not None and tuple(size) != actual:
            raise GnuplotError(
                f"gnuplot drew {actual[0]}x{actual[1]} pixels instead of {size[0]}x{size[1]}"
            )
        atomic.commit_temp(str(produced), destination, stale_after=atomic.COPY_TEMP_MAX_AGE)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return destination


def _clean_stale(folder: Path) -> None:
    """Remove private folders that killed runs left behind (never a running one's)."""
    limit = time.time() - STALE_AFTER
    try:
        entries = list(folder.glob(TEMP_PREFIX + "*" + TEMP_SUFFIX))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir() and entry.stat().st_mtime < limit:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass
