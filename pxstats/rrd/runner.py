"""Drawing RRD graphics: the rrdtool children that turn `graph_args` into PNGs (spec rrd.md
§3.9-3.11).

`run_jobs` draws graphics in child processes (a crash in librrd cannot kill the caller): a
few long-lived `rrdtool -` children in pipe mode (`GraphServer`), one command line per
graphic, which saves the ~40 ms start-up (exec, libraries, fonts) that a new `rrdtool graph`
process costs per PNG; `pipe_mode=False` draws each graphic in a new `rrdtool graph` child
(`graph`) instead (benchmarks compare the two). The threads of `run_jobs` only drive those children.
Each PNG is written to a temp name then renamed, copied atomically into the web archive
when the job says so; failures are reported, never hidden.

Redrawing only what changed: a job naming its `inputs` (the databases it reads) is skipped
when its PNG, and its archive copy, are those drawn from the same arguments and the same
inputs. The mark is an extended attribute (XATTR) set on the PNG and on the copy before they
are renamed into place: sha256 of the arguments, the PNG and copy names, rrdtool's file and
each input's (inode, mtime, size), with the marked file's own mtime and size. A file
written by anyone else, or changed in place, no longer matches; an input changed less than
RECENT seconds before is not trusted (no mark); where extended attributes are not
supported, every graphic is drawn.

About 500 lines: the children, the drawing threads and the redraw marks share one failure
model (a dead child, a timeout, a mark that no longer matches), kept in one place.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import selectors
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pxstats.rrd import schema
from pxstats.util import atomic

log = logging.getLogger(__name__)

RRDTOOL = "rrdtool"
GRAPH_TIMEOUT = 60  # seconds allowed to one `rrdtool graph`


def cannot_run(exc: OSError) -> schema.RRDError:
    """The one line for an rrdtool that cannot be started; a missing one names its package."""
    if isinstance(exc, FileNotFoundError):
        return schema.RRDError(
            f"cannot run {RRDTOOL}: not installed (Debian package rrdtool: apt-get install rrdtool)"
        )
    return schema.RRDError(f"cannot run {RRDTOOL}: {exc.strerror or exc}")


def graph(args: list[str], timeout: float = GRAPH_TIMEOUT) -> tuple[int, int]:
    """`rrdtool graph <args>` in a child process (a crash in librrd cannot kill the caller),
    as an argument list, with a timeout and TZ=UTC (axis labels in UTC). Returns the image
    (width, height); raises RRDError with rrdtool's message, the signal or the timeout."""
    env = dict(os.environ, TZ="UTC")
    try:
        done = subprocess.run(
            [RRDTOOL, "graph", *args],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise schema.RRDError(f"rrdtool graph: no answer after {timeout} s") from None
    except OSError as exc:
        raise cannot_run(exc) from None
    if done.returncode != 0:
        if done.returncode < 0:
            why = f"killed by signal {-done.returncode}"
        else:
            why = (
                done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}"
            ).splitlines()[-1]
        raise schema.RRDError(f"rrdtool graph: {why}")
    size = re.search(r"(\d+)x(\d+)", done.stdout)
    if not size:
        raise schema.RRDError(f"rrdtool graph: unexpected answer {done.stdout.strip()!r}")
    return int(size.group(1)), int(size.group(2))


@dataclass
class GraphJob:
    """One graphic: the `rrdtool graph` arguments (PNG path first), the archive copy, the
    files its picture is drawn from (none: always drawn)."""

    png: Path
    args: list
    copy_to: Path | None = None
    inputs: tuple = ()


@dataclass
class Outcome:
    """What became of one graphic: drawn (its size, its copy) or not (why)."""

    png: Path
    ok: bool
    message: str = ""
    copy: Path | None = None
    size: tuple = field(default=(0, 0))
    skipped: bool = False  # already drawn from the same arguments and inputs


SERVER_GRAPHS = 500  # a pipe-mode child is replaced after this many graphics
_QUOTE_RUNS = re.compile(rb'"+|[^"]+')


def pipe_quote(arg) -> bytes:
    """One argument written so that `rrdtool -` (pipe mode) reads it back exactly.

    Pipe mode splits a command line at blanks; a '"' or "'" opens a quoted part that only the
    same character closes (the other quote is literal inside it), quoted parts that touch
    form one argument, and there is no backslash escape (rrdtool 1.7.2's CreateArgs, checked
    in tests). So the argument is cut into runs of '"', each quoted with ', and runs without
    '"', each quoted with ": every other byte (blanks, tabs, backslashes, the '\\:' escapes,
    non-ASCII) passes unchanged. A line cannot carry a newline or a NUL: ValueError."""
    data = os.fsencode(arg)
    if b"\n" in data or b"\0" in data:
        raise ValueError("an rrdtool argument with a newline or NUL cannot go on a line")
    if not data:
        return b'""'
    return b"".join(
        b"'" + run + b"'" if run[:1] == b'"' else b'"' + run + b'"'
        for run in _QUOTE_RUNS.findall(data)
    )


class GraphServer:
    """A long-lived `rrdtool -` child process that draws one graphic per command line.

    The drawing is `rrdtool graph <args>` by the same binary with TZ=UTC (the PNGs are
    byte-identical), still in a child process: a crash of librrd fails the graphic being
    drawn ("killed by signal N") and the next graphic starts a new child. A graphic without
    an answer within its timeout kills the child. After an ERROR answer the child is
    replaced too, so nothing it might still print is taken for the next answer, and after
    SERVER_GRAPHS graphics (bounds whatever librrd leaks). Arguments a line cannot carry go
    to a one-off `rrdtool graph` child. One caller at a time (`GraphServers` hands them out)."""

    def __init__(self, max_graphs: int = SERVER_GRAPHS):
        self._process: subprocess.Popen | None = None
        self._selector: selectors.BaseSelector | None = None
        self._count = 0
        self._max = max_graphs

    def graph(self, args: list, timeout: float = GRAPH_TIMEOUT) -> tuple[int, int]:
        """Same contract as `graph`: the image (width, height), or RRDError."""
        try:
            line = b"graph " + b" ".join(pipe_quote(str(a)) for a in args) + b"\n"
        except ValueError:
            return graph([str(a) for a in args], timeout)
        if self._process is None or self._process.poll() is not None or self._count >= self._max:
            self.close()
            self._start()
        self._count += 1
        try:
            answer, in_step = self._exchange(line, time.monotonic() + timeout)
        except _NoAnswer:
            self._kill()
            raise schema.RRDError(f"rrdtool graph: no answer after {timeout} s") from None
        except _Died:
            returncode = self._kill()
            why = (
                f"killed by signal {-returncode}"
                if returncode and returncode < 0
                else f"exit status {returncode}"
            )
            raise schema.RRDError(f"rrdtool graph: {why}") from None
        last = answer[-1]
        if not in_step:
            self.close()  # more than one answer: never reuse this child
        if last.startswith(b"ERROR:"):
            self.close()
            message = last[len(b"ERROR:") :].strip().decode("utf-8", "replace")
            raise schema.RRDError(f"rrdtool graph: {message or 'error'}")
        for output in reversed(answer[:-1]):
            size = re.fullmatch(rb"\s*(\d+)x(\d+)\s*", output)
            if size:
                return int(size.group(1)), int(size.group(2))
        self.close()
        raise schema.RRDError(f"rrdtool graph: unexpected answer {b' '.join(answer)!r}")

    def _start(self) -> None:
        try:
            self._process = subprocess.Popen(
                [RRDTOOL, "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=dict(os.environ, TZ="UTC"),
                bufsize=0,
            )
        except OSError as exc:
            self._process = None
            raise cannot_run(exc) from None
        os.set_blocking(self._process.stdin.fileno(), False)
        os.set_blocking(self._process.stdout.fileno(), False)
        self._selector = selectors.DefaultSelector()
        self._count = 0

    def _exchange(self, line: bytes, deadline: float) -> tuple[list[bytes], bool]:
        """Write the command, read up to its final line ('OK ...' or 'ERROR: ...'):
        (the answer lines, the final one last; False when more followed it)."""
        stdin, stdout = self._process.stdin.fileno(), self._process.stdout.fileno()
        selector = self._selector
        selector.register(stdout, selectors.EVENT_READ)
        writing = True
        selector.register(stdin, selectors.EVENT_WRITE)
        received, lines = b"", []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _NoAnswer
                for key, _ in selector.select(left):
                    if key.fd == stdin:
                        try:
                            line = line[os.write(stdin, line) :]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            raise _Died from None
                        if not line:
                            selector.unregister(stdin)
                            writing = False
                        continue
                    try:
                        chunk = os.read(stdout, 65536)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        raise _Died
                    received += chunk
                    *complete, received = received.split(b"\n")
                    for answer in complete:
                        lines.append(answer)
                        if answer.startswith((b"OK ", b"ERROR:")):
                            return lines, not (received or writing)
        finally:
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(stdout)
            if writing:
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(stdin)

    def _kill(self) -> int | None:
        """Kill the child, reap it; its return code."""
        process, self._process = self._process, None
        if process is None:
            return None
        with contextlib.suppress(OSError):
            process.kill()
        returncode = process.wait()
        self._close_files(process)
        return returncode

    def close(self) -> None:
        """End the child: end of input, then a kill if it does not exit at once."""
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
        self._close_files(process)

    def _close_files(self, process: subprocess.Popen) -> None:
        for handle in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                handle.close()
        if self._selector is not None:
            self._selector.close()
            self._selector = None


class _NoAnswer(Exception):
    pass


class _Died(Exception):
    pass


class GraphServers:
    """The pipe-mode children of one run: each drawing thread takes an idle one (a new one
    when none is idle) and gives it back; `close` ends them all."""

    def __init__(self):
        self._idle: list[GraphServer] = []
        self._all: list[GraphServer] = []
        self._lock = threading.Lock()

    def graph(self, args: list, timeout: float = GRAPH_TIMEOUT) -> tuple[int, int]:
        with self._lock:
            if self._idle:
                server = self._idle.pop()
            else:
                server = GraphServer()
                self._all.append(server)
        try:
            return server.graph(args, timeout)
        finally:
            with self._lock:
                self._idle.append(server)

    def close(self) -> None:
        with self._lock:
            servers, self._all, self._idle = self._all, [], []
        for server in servers:
            server.close()

    def __enter__(self) -> "GraphServers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def render(job: GraphJob, timeout: float = GRAPH_TIMEOUT, draw=None) -> Outcome:
    """Draw one PNG; any failure becomes a failed Outcome, never an exception.

    `draw(args, timeout)` runs the rrdtool graph call in a child process: GraphServers.graph
    (long-lived children), by default `graph` (a new `rrdtool graph` child)."""
    try:
        return _render(job, timeout, draw or graph)
    except Exception as exc:  # noqa: BLE001 - one graphic must not stop the others
        log.exception("unexpected error while drawing %s", job.png)
        return Outcome(job.png, False, f"unexpected error: {exc}")


def _render(job: GraphJob, timeout: float, draw) -> Outcome:
    """Draw one PNG: `rrdtool graph` writes a temp file in the PNG's folder, which replaces the
    PNG only when complete; then the archive copy, also atomic. A job whose PNG and copy
    are marked with its key is not drawn again."""
    key = input_key(job)
    if key is not None:
        size = _marked(job.png, key)
        if size is not None and (job.copy_to is None or _marked(job.copy_to, key) == size):
            return Outcome(job.png, True, copy=job.copy_to, size=size, skipped=True)
    folder = job.png.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = atomic.new_temp(job.png)
    except OSError as exc:
        return Outcome(job.png, False, f"cannot write {folder}: {exc.strerror}")
    try:
        size = draw([tmp] + job.args[1:], timeout)
        if key is not None:
            _mark(tmp, key, size)
        atomic.commit_temp(tmp, job.png, stale_after=atomic.COPY_TEMP_MAX_AGE)
    except (schema.RRDError, OSError) as exc:
        atomic.discard_temp(tmp)
        message = str(exc) if isinstance(exc, schema.RRDError) else exc.strerror
        return Outcome(job.png, False, message.replace(tmp, str(job.png)))
    outcome = Outcome(job.png, True, size=size)
    if job.copy_to is not None:
        try:
            _copy(job.png, job.copy_to, key, size)
            outcome.copy = job.copy_to
        except OSError as exc:
            outcome.message = f"cannot copy to {job.copy_to}: {exc.strerror}"
    return outcome


# -- redrawing only what changed ------------------------------------------------------------------

XATTR = "user.pxstats.drawn"
KEY_FORMAT = b"pxstats rrd graph 1"
RECENT = 2.0  # seconds: an input changed more recently may still be changing


@functools.lru_cache(maxsize=4)
def _tool_identity(tool: str) -> bytes:
    """rrdtool's own file: another rrdtool may draw other pixels."""
    found = shutil.which(tool)
    try:
        stat = os.stat(found) if found else None
    except OSError:
        stat = None
    if stat is None:
        return os.fsencode(tool)
    return os.fsencode(found) + f" {stat.st_ino} {stat.st_mtime_ns} {stat.st_size}".encode()


def input_key(job: GraphJob) -> str | None:
    """The key of what the job would draw, or None when it must be drawn anyway (no inputs,
    an input missing or changed less than RECENT seconds ago)."""
    if not job.inputs:
        return None
    digest = hashlib.sha256(KEY_FORMAT + b"\0" + _tool_identity(RRDTOOL) + b"\0")
    for part in (job.png, job.copy_to or "", *job.args[1:]):
        digest.update(os.fsencode(str(part)) + b"\0")
    now = time.time()
    for name in job.inputs:
        try:
            stat = os.stat(name)
        except OSError:
            return None
        if now - stat.st_mtime < RECENT:
            return None
        digest.update(
            os.fsencode(str(name)) + f"\0{stat.st_ino} {stat.st_mtime_ns} {stat.st_size}\0".encode()
        )
    return digest.hexdigest()


def _marked(path: Path, key: str) -> tuple[int, int] | None:
    """The image size recorded on `path` when it carries `key` and is unchanged since."""
    try:
        with open(path, "rb") as handle:
            mark = os.getxattr(handle.fileno(), XATTR).decode("ascii").split()
            stat = os.fstat(handle.fileno())
    except (OSError, UnicodeDecodeError):
        return None
    if len(mark) != 4 or mark[0] != key or mark[1:3] != [str(stat.st_mtime_ns), str(stat.st_size)]:
        return None
    width, _, height = mark[3].partition("x")
    return (int(width), int(height)) if width.isdigit() and height.isdigit() else None


def _mark(temp: str | Path, key: str, size: tuple[int, int]) -> None:
    """Mark the complete file `temp` (before its rename) as drawn with `key`; best effort."""
    try:
        with open(temp, "rb") as handle:
            stat = os.fstat(handle.fileno())
            mark = f"{key} {stat.st_mtime_ns} {stat.st_size} {size[0]}x{size[1]}"
            os.setxattr(handle.fileno(), XATTR, mark.encode("ascii"))
    except OSError:
        pass  # no extended attributes here: the graphic is simply drawn every time


def _copy(png: Path, destination: Path, key: str | None, size: tuple[int, int]) -> None:
    """atomic.copy_file, the copy marked like the PNG."""
    if key is None:
        atomic.copy_file(png, destination)
        return
    data = png.read_bytes()
    destination.parent.mkdir(parents=True, exist_ok=True)
    temp = atomic.new_temp(destination)
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
        _mark(temp, key, size)
    except BaseException:
        atomic.discard_temp(temp)
        raise
    atomic.commit_temp(temp, destination, stale_after=atomic.COPY_TEMP_MAX_AGE)


def default_workers() -> int:
    """Graphics drawn at once: one more than the CPUs, so that a CPU is not left idle while a
    drawing thread writes and syncs its PNG or computes the next legend."""
    return (os.cpu_count() or 1) + 1


def run_jobs(
    jobs,
    workers: int | None = None,
    timeout: float = GRAPH_TIMEOUT,
    servers: GraphServers | None = None,
    pipe_mode: bool = True,
    should_stop=None,
) -> list[Outcome]:
    """Render the jobs (a list or an iterable), `workers` at a time (default_workers()), each
    in a child process: the `rrdtool -` children of `servers` (made for the call when not
    given), or a new `rrdtool graph` child per graphic when `pipe_mode` is off (benchmarks
    compare the two). Once `should_stop()` is true no further graphic starts (the executor
    queues every job at once, so each checks before it draws); those have no Outcome."""
    workers = max(1, workers or default_workers())
    with contextlib.ExitStack() as stack:
        draw = None
        if pipe_mode:
            if servers is None:
                servers = stack.enter_context(GraphServers())
            draw = servers.graph

        def one(job):
            if should_stop is not None and should_stop():
                return None
            return render(job, timeout, draw)

        if workers == 1:
            drawn = [one(job) for job in jobs]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                drawn = list(pool.map(one, jobs))
    outcomes = [outcome for outcome in drawn if outcome is not None]
    for outcome in outcomes:
        if outcome.ok:
            log.info("Plotted : %s", outcome.png)
            if outcome.message:
                log.error("Error : %s", outcome.message)
        else:
            log.error("Error : Could not generate %s : %s", outcome.png, outcome.message)
    return outcomes
