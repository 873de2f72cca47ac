"""rsync argument lists, run on this machine or, through paramiko, on another one.

Every file rsync writes appears atomically (it writes a temporary name in the same folder and
renames it), so a reader never sees a partial file, and a killed rsync leaves the previous
version in place (its temporary file is removed by the next --delete pass)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pxstats.remote.commands import Host, Result, Sessions
from pxstats.remote.names import check_remote_path
from pxstats.remote.settings import RemoteSettings

log = logging.getLogger(__name__)

RSYNC = "rsync"
VANISHED = 24  # rsync: some source files vanished before they could be transferred
PARTIAL = 23  # rsync: partial transfer due to an error


@dataclass(frozen=True)
class Change:
    """One line of rsync --itemize-changes: 'code' is the 11-character code or '*deleting'."""

    code: str
    name: str

    @property
    def created(self) -> bool:
        return self.code[1:2] in ("f", "d", "L") and "+++++++" in self.code

    @property
    def deleted(self) -> bool:
        return self.code == "*deleting"

    @property
    def is_file(self) -> bool:
        return self.code[1:2] == "f"


def changes(result: Result) -> list[Change]:
    """Changes itemized by rsync -i on stdout."""
    found = []
    for line in result.stdout.splitlines():
        code, _, name = line.partition(" ")
        if code == "*deleting":
            found.append(Change(code, name.strip()))
        elif len(code) == 11 and code[0] in "<>ch.*" and name:
            found.append(Change(code, name))
    return found


def remote_spec(host: Host, path: str) -> str:
    """login@machine:/path/ — validated, the path ending with '/' (copy the folder's content)."""
    return f"{host.target}:{check_remote_path('remote path', path)}"


def local_spec(path: Path | str) -> str:
    text = os.fspath(path)
    if not text.startswith("/"):
        text = os.path.abspath(text)
    return text.rstrip("/") + "/"


def rsync_argv(
    settings: RemoteSettings,
    source: str,
    dest: str,
    *,
    on_remote: bool = False,
    delete: bool = False,
    dry_run: bool = False,
    filters=(),
    compress: bool = True,
) -> list[str]:
    """rsync -a [-z] -i, ssh as settings say, optional --delete-before, filter rules, then
    `--` and the two paths (so neither can be read as an option)."""
    argv = [RSYNC, "-a", "-i", "-e", settings.rsync_rsh(remote=on_remote)]
    if compress:
        argv.append("-z")
    if settings.bwlimit_kbps:
        argv.append(f"--bwlimit={int(settings.bwlimit_kbps)}")
    if delete:
        argv.append("--delete-before")
    if dry_run:
        argv.append("--dry-run")
    argv += [f"--filter={rule}" for rule in filters]
    argv += ["--", source, dest]
    return argv


def run_local(argv, timeout: float) -> Result:
    """Run argv here in its own process group (the group is killed on timeout)."""
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return Result(tuple(argv), 127, "", f"cannot run {argv[0]}: {exc.strerror or exc}", 0.0)
    try:
        out, err = process.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        out, err = _stop(process)
    seconds = time.monotonic() - started
    status = None if timed_out else process.returncode
    log.debug("%s -> %s in %.2f s", " ".join(argv), status, seconds)
    return Result(
        tuple(argv),
        status,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        seconds,
        timed_out,
    )


def _stop(process: subprocess.Popen) -> tuple[bytes, bytes]:
    """TERM the process group (rsync then removes its temporary file), KILL it if it lingers."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return process.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    return b"", b""


def pull(
    settings: RemoteSettings,
    source: Host,
    source_path: str,
    dest: Path | str,
    *,
    run_on: Host | None = None,
    sessions: Sessions | None = None,
    delete: bool = False,
    dry_run: bool = False,
    filters=(),
    timeout: float | None = None,
) -> Result:
    """Copy source:source_path/ into dest/ (a folder of `run_on`, else of this machine).

    On another machine the rsync runs through paramiko (sessions) and uses that machine's
    ssh files (settings.remote_*)."""
    timeout = settings.command_timeout if timeout is None else timeout
    argv = rsync_argv(
        settings,
        remote_spec(source, source_path),
        check_remote_path("destination", str(dest)) if run_on is not None else local_spec(dest),
        on_remote=run_on is not None,
        delete=delete,
        dry_run=dry_run,
        filters=filters,
    )
    if run_on is None:
        Path(dest).mkdir(parents=True, exist_ok=True)
        return run_local(argv, timeout)
    mkdir = ["mkdir", "-p", "--", check_remote_path("destination", str(dest))]
    return sessions.run(run_on, argv, timeout=timeout, before=mkdir)
