"""Remote commands through paramiko: one connection per (login, machine) per run, host keys
checked against the operator's known_hosts, every command bounded in time, exit status,
stdout and stderr captured.

The command string is built here from an argument list with shlex.quote; the words come from
validated names and paths (remote.names), never from a shell string."""

from __future__ import annotations

import logging
import select
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import paramiko

from pxstats.remote.names import check_name
from pxstats.remote.settings import RemoteSettings

log = logging.getLogger(__name__)

KILL_AFTER = 10  # seconds between TERM and KILL when a remote command overruns
# rsync's follow-up lines after the real error (ssh's message comes first)
_BOILERPLATE = (
    "rsync: connection unexpectedly closed",
    "rsync error: unexplained error",
    "rsync error: error in rsync protocol data stream",
)


class RemoteError(Exception):
    """A machine could not be reached or refused us (the message is one line)."""


@dataclass(frozen=True)
class Result:
    """What a command (local or remote) did. status None: it did not finish (timeout)."""

    argv: tuple[str, ...]
    status: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 0

    def tail(self, limit: int = 300) -> str:
        """The last lines of stderr (else stdout) on one line, for an error message."""
        for text in (self.stderr, self.stdout):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            useful = [line for line in lines if not line.startswith(_BOILERPLATE)]
            lines = useful or lines
            if lines:
                joined = " | ".join(lines[-3:])
                return joined if len(joined) <= limit else "..." + joined[-limit:]
        return ""

    def describe(self) -> str:
        if self.timed_out:
            what = f"timed out after {self.seconds:.0f} s"
            tail = self.tail() if self.stderr.strip() else ""
        else:
            what = f"exit status {self.status}"
            tail = self.tail()
        return f"{what}: {tail}" if tail else what


@dataclass(frozen=True)
class Host:
    """A machine reached through ssh as `login` (empty: ssh_config's User or ours)."""

    machine: str
    login: str = ""

    def __post_init__(self):
        check_name("machine", self.machine)
        if self.login:
            check_name("login", self.login)

    @property
    def target(self) -> str:
        return f"{self.login}@{self.machine}" if self.login else self.machine

    def __str__(self) -> str:
        return self.target


def remote_command(argv, timeout: float | None = None) -> str:
    """The one string a remote shell runs: every word quoted; bounded by coreutils timeout."""
    words = [str(word) for word in argv]
    if timeout is not None:
        words = ["timeout", f"--kill-after={KILL_AFTER}", str(max(1, int(timeout)))] + words
    return shlex.join(words)


class Sessions:
    """paramiko connections of one run, opened on first use, closed by close()."""

    def __init__(self, settings: RemoteSettings):
        self.settings = settings
        self._clients: dict[tuple[str, str], paramiko.SSHClient] = {}
        self._lock = threading.Lock()
        self._connecting: dict[tuple[str, str], threading.Lock] = {}
        self._config = None
        if settings.ssh_config is not None:
            try:
                self._config = paramiko.SSHConfig.from_path(str(settings.ssh_config))
            except OSError as exc:
                raise RemoteError(
                    f"cannot read ssh configuration {settings.ssh_config}: {exc.strerror or exc}"
                ) from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _options(self, host: Host) -> dict:
        found = self._config.lookup(host.machine) if self._config is not None else {}
        identities = (
            [str(self.settings.identity)]
            if self.settings.identity is not None
            else found.get("identityfile")
        )
        known = self.settings.known_hosts or found.get("userknownhostsfile", "").split(" ")[0]
        return {
            "hostname": found.get("hostname", host.machine),
            "port": int(found.get("port", 22)),
            "username": host.login or found.get("user") or None,
            "key_filename": identities or None,
            "known_hosts": Path(known).expanduser() if known else None,
        }

    def client(self, host: Host) -> paramiko.SSHClient:
        """The connection to host, opened once (threads asking at the same time wait)."""
        key = (host.login, host.machine)
        with self._lock:
            lock = self._connecting.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                client = self._clients.get(key)
            transport = client.get_transport() if client is not None else None
            if transport is not None and transport.is_active():
                return client
            return self._connect(host, key)

    def _connect(self, host: Host, key: tuple[str, str]) -> paramiko.SSHClient:
        options = self._options(host)
        client = paramiko.SSHClient()
        known = options.pop("known_hosts")
        try:
            if known is not None:
                client.load_host_keys(str(known))
            else:
                client.load_system_host_keys()
        except OSError as exc:
            raise RemoteError(
                f"{host.machine}: cannot read known_hosts {known}: {exc.strerror or exc}"
            ) from None
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        timeout = self.settings.connect_timeout
        explicit = options["key_filename"] is not None
        try:
            client.connect(
                **options,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                allow_agent=not explicit,
                look_for_keys=not explicit,
            )
        except paramiko.BadHostKeyException:
            client.close()
            raise RemoteError(f"{host.machine}: host key does not match {known}") from None
        except paramiko.AuthenticationException as exc:
            client.close()
            raise RemoteError(
                f"{host.machine}: authentication refused for "
                f"{options['username'] or 'the default login'}: {exc}"
            ) from None
        except paramiko.ssh_exception.NoValidConnectionsError:
            client.close()
            raise RemoteError(
                f"{host.machine}: cannot connect to {options['hostname']} port "
                f"{options['port']}: connection refused"
            ) from None
        except (TimeoutError, OSError, paramiko.SSHException) as exc:
            client.close()
            reason = str(exc) or type(exc).__name__
            raise RemoteError(
                f"{host.machine}: cannot connect to {options['hostname']} port "
                f"{options['port']}: {reason}"
            ) from None
        with self._lock:
            self._clients[key] = client
        return client

    def run(self, host: Host, argv, timeout: float | None = None, before=None) -> Result:
        """Run argv on host (quoted, bounded by `timeout` there too), after the command
        `before` (an argument list too, e.g. a mkdir) when given and only if it succeeds;
        RemoteError when the host cannot be reached; a Result (possibly failed) otherwise."""
        timeout = self.settings.command_timeout if timeout is None else timeout
        command = remote_command(argv, timeout)
        if before:
            command = f"{remote_command(before)} && {command}"
        client = self.client(host)
        started = time.monotonic()
        try:
            channel = client.get_transport().open_session(timeout=self.settings.connect_timeout)
            channel.exec_command(command)
            channel.shutdown_write()
        except (OSError, paramiko.SSHException) as exc:
            raise RemoteError(f"{host.machine}: cannot start a command: {exc}") from None
        out, err = bytearray(), bytearray()
        deadline = started + timeout + KILL_AFTER + 5
        timed_out = False
        with channel:
            while True:
                while channel.recv_ready():
                    out += channel.recv(65536)
                while channel.recv_stderr_ready():
                    err += channel.recv_stderr(65536)
                if (
                    channel.exit_status_ready()
                    and (channel.eof_received or channel.closed)
                    and not channel.recv_ready()
                    and not channel.recv_stderr_ready()
                ):
                    break
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                select.select([channel], [], [], 0.05)
            status = None if timed_out else channel.recv_exit_status()
        seconds = time.monotonic() - started
        if status == 124 or (status == 137 and seconds >= timeout):
            timed_out = True  # coreutils timeout: TERM (124), then KILL (128 + 9)
        result = Result(
            tuple(str(a) for a in argv),
            status,
            out.decode(errors="replace"),
            err.decode(errors="replace"),
            seconds,
            timed_out,
        )
        log.debug("%s: %s -> %s in %.2f s", host.machine, command, status, seconds)
        return result
