"""Run gnuplot on a program from `script` and put the PNG in place atomically.

gnuplot runs as an argument list (no shell) with `-d` (no start-up files), an almost empty
environment, a timeout, and a private working folder created next to the destination:
the program writes `script.OUTPUT_NAME` there, and only a complete, checked PNG is moved
over the destination with `os.replace` (spec §2.2 items 6 and 8, §2.4). A gnuplot error
(exit status 1) becomes a GnuplotError whose message is one line.

`Session` draws many programs with one long-lived gnuplot process (the start-up of gnuplot
and its fonts is about a third of a graphic's cost): before each program a `reset` and a
`cd` into the graphic's private folder, after it a `print` of a marker with GPVAL_ERRNO on
stderr; the PNGs are byte-identical to those of `render` (tests compare them). A program
with an error, a timeout or a dead gnuplot fails that graphic only: the process is then
replaced for the next one, as it is after SESSION_GRAPHICS graphics.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing.util
import os
import re
import secrets
import selectors
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
SESSION_GRAPHICS = 200  # a session's gnuplot is replaced after this many graphics


class GnuplotError(Exception):
    """gnuplot is missing, failed, timed out or produced no valid PNG (one-line message)."""


def command() -> list[str]:
    """The argument list that starts gnuplot reading a program on its standard input."""
    executable = shutil.which("gnuplot")
    if executable is None:
        raise GnuplotError("gnuplot is not installed (Debian package gnuplot-nox)")
    return [executable, "-d"]


def environment(home: Path | str) -> dict:
    return {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(home)}


def run(program: bytes, cwd: Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """The one call to gnuplot: `program` on stdin, inside `cwd`, no shell."""
    env = environment(cwd)
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
    session: "Session | None" = None,
) -> Path:
    """Draw `program` (which writes script.OUTPUT_NAME) and atomically install the PNG as
    `destination`. `size`, when given, is checked against the PNG header. With `session`,
    its long-lived gnuplot draws it; otherwise a gnuplot process of its own."""
    destination = Path(destination)
    if isinstance(program, str):
        program = script.encode(program)
    folder = destination.parent
    folder.mkdir(parents=True, exist_ok=True)
    _clean_stale(folder)
    work = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder))
    try:
        if session is not None and session.can_enter(work):
            session.draw(program, work, destination.name, timeout)
        else:
            _draw_alone(program, work, destination.name, timeout)
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


def _draw_alone(program: bytes, work: Path, name: str, timeout: float) -> None:
    try:
        done = run(program, work, timeout)
    except subprocess.TimeoutExpired:
        raise GnuplotError(f"gnuplot did not finish within {timeout:g} s drawing {name}") from None
    except OSError as exc:
        raise GnuplotError(f"cannot run gnuplot: {exc.strerror or exc}") from None
    if done.stderr:
        log.debug(
            "gnuplot said for %s: %s", name, done.stderr.decode("latin-1", errors="replace").strip()
        )
    if done.returncode != 0:
        raise GnuplotError(f"gnuplot failed (status {done.returncode}): {error_line(done.stderr)}")


class Session:
    """One long-lived `gnuplot -d` drawing programs one after the other (see the module
    text). One caller at a time; `close` (or the end of a `with` block) ends the process,
    and so does the end of its standard input when the owner dies."""

    def __init__(self, max_graphics: int = SESSION_GRAPHICS):
        self._process: subprocess.Popen | None = None
        self._marker = b""
        self._count = 0
        self._max = max_graphics

    @staticmethod
    def can_enter(folder: Path) -> bool:
        """A folder a `cd` line can name (no newline, NUL or carriage return)."""
        data = os.fsencode(folder)
        return folder.is_absolute() and not any(c in data for c in b"\n\r\0")

    def draw(self, program: bytes, work: Path, name: str, timeout: float = TIMEOUT) -> None:
        """Run `program` inside the folder `work`; GnuplotError when it fails."""
        if self._process is None or self._process.poll() is not None or self._count >= self._max:
            self.close()
            self._start()
        self._count += 1
        folder = os.fsencode(work).replace(b"'", b"''")
        text = b"".join(
            (
                b"reset\ncd '",
                folder,
                b"'\n",
                program if program.endswith(b"\n") else program + b"\n",
                b"print sprintf('%s %%d', GPVAL_ERRNO)\nreset errors\n" % self._marker,
            )
        )
        try:
            said, errno = self._exchange(text, time.monotonic() + timeout)
        except _NoAnswer:
            self._kill()
            raise GnuplotError(
                f"gnuplot did not finish within {timeout:g} s drawing {name}"
            ) from None
        except _Died:
            code = self._kill()
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"status {code}"
            raise GnuplotError(f"gnuplot failed ({why})") from None
        if said.strip():
            log.debug("gnuplot said for %s: %s", name, said.decode("latin-1", "replace").strip())
        if errno:
            self.close()  # the rest of a failed program may have left any state behind
            raise GnuplotError(f"gnuplot failed: {error_line(said)}")

    def _start(self) -> None:
        try:
            self._process = subprocess.Popen(
                command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd="/",
                env=environment("/"),
                bufsize=0,
            )
        except OSError as exc:
            self._process = None
            raise GnuplotError(f"cannot run gnuplot: {exc.strerror or exc}") from None
        os.set_blocking(self._process.stdin.fileno(), False)
        os.set_blocking(self._process.stderr.fileno(), False)
        self._marker = b"pxstats-done-" + secrets.token_hex(8).encode()
        self._count = 0

    def _exchange(self, text: bytes, deadline: float) -> tuple[bytes, int]:
        """Write `text`, read stderr up to the marker line: (what came before, errno)."""
        stdin, stderr = self._process.stdin.fileno(), self._process.stderr.fileno()
        received = b""
        view = memoryview(text)
        with selectors.DefaultSelector() as selector:
            selector.register(stderr, selectors.EVENT_READ)
            selector.register(stdin, selectors.EVENT_WRITE)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _NoAnswer
                for key, _ in selector.select(left):
                    if key.fd == stdin:
                        try:
                            view = view[os.write(stdin, view) :]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            raise _Died from None
                        if not view:
                            selector.unregister(stdin)
                        continue
                    try:
                        chunk = os.read(stderr, 65536)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        raise _Died
                    received += chunk
                    at = received.find(self._marker + b" ")
                    if at >= 0 and received.find(b"\n", at) >= 0:
                        end = received.index(b"\n", at)
                        errno = received[at + len(self._marker) + 1 : end].strip()
                        return received[:at], int(errno) if errno.isdigit() else 1

    def _kill(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        with contextlib.suppress(OSError):
            process.kill()
        code = process.wait()
        for handle in (process.stdin, process.stderr):
            with contextlib.suppress(OSError):
                handle.close()
        return code

    def close(self) -> None:
        """End gnuplot: end of its input, then a kill if it does not exit at once."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(OSError):
            process.stderr.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _NoAnswer(Exception):
    pass


class _Died(Exception):
    pass


_OWN: tuple[int, Session] | None = None


def process_session() -> Session:
    """The session of this process (made on first use): a forked worker never uses its
    parent's."""
    global _OWN
    if _OWN is None or _OWN[0] != os.getpid():
        session = Session()
        # ended when the process ends (a pool worker too: its exit runs these finalizers)
        multiprocessing.util.Finalize(session, session.close, exitpriority=10)
        _OWN = (os.getpid(), session)
    return _OWN[1]


def close_process_session() -> None:
    """End this process's session, if it has one."""
    global _OWN
    if _OWN is not None and _OWN[0] == os.getpid():
        _OWN[1].close()
    _OWN = None


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
