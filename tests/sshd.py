"""A real OpenSSH server for the remote-machine tests, and the "machines" it serves.

One sshd (Debian openssh-server, /usr/sbin/sshd, run as root in the foreground with a
configuration in a temporary folder) listens on a free port of several loopback addresses.
An ssh_config (passed with -F) names the machines:

    px-src1  -> 127.0.0.2   a Sundew source machine
    px-src2  -> 127.0.0.3   another source machine
    px-pick1 -> 127.0.0.4   a remote pickling machine
    px-down  -> 127.0.0.5   nothing listens there (host down)
    px-badkey-> 127.0.0.2   with a key the server does not accept
    <this host's short name> -> 127.0.0.2   (this host as a source of a remote pickling machine)

Each machine has its own Sundew root and pxStats root under the world folder; sshd gives each
listening address its own environment (Match LocalAddress + SetEnv PXROOT, STATSROOT), which is
how remote root discovery finds them. Host and user keys are generated for the world; the
known_hosts file holds the host key for each address. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
ADDRESSES = {"px-src1": "127.0.0.2", "px-src2": "127.0.0.3", "px-pick1": "127.0.0.4"}
DOWN = {"px-down": "127.0.0.5"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
        timeout=30,
    )


@dataclass
class Machine:
    name: str
    address: str
    home: Path

    @property
    def px_root(self) -> Path:
        return self.home / "px"

    @property
    def px_log(self) -> Path:
        return self.px_root / "log"

    @property
    def stats_root(self) -> Path:
        return self.home / "pxStats"


@dataclass
class SshWorld:
    folder: Path
    port: int = 0
    user: str = field(default_factory=lambda: pwd.getpwuid(os.getuid()).pw_name)
    process: subprocess.Popen | None = None
    machines: dict[str, Machine] = field(default_factory=dict)

    @property
    def ssh_config(self) -> Path:
        return self.folder / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.folder / "known_hosts"

    def settings(self, **overrides):
        from pxstats.remote.settings import RemoteSettings

        values = {
            "ssh_config": self.ssh_config,
            "known_hosts": self.known_hosts,
            "connect_timeout": 5,
            "command_timeout": 120,
        }
        values.update(overrides)
        return RemoteSettings(**values)

    def start(self) -> SshWorld:
        keys = self.folder / "keys"
        keys.mkdir(parents=True)
        for name in ("host", "client", "stranger"):
            _keygen(keys / name)
        self.port = _free_port()
        for name, address in ADDRESSES.items():
            machine = Machine(name, address, self.folder / "machines" / name)
            for sub in ("px/log", "px/etc/rx", "px/etc/tx", "pxStats/etc"):
                (machine.home / sub).mkdir(parents=True, exist_ok=True)
            self.machines[name] = machine
        (self.folder / "authorized_keys").write_text((keys / "client.pub").read_text())
        os.chmod(self.folder / "authorized_keys", 0o600)
        lines = [f"Port {self.port}"]
        lines += [f"ListenAddress {a}" for a in ADDRESSES.values()]
        lines += [
            f"HostKey {keys / 'host'}",
            f"PidFile {self.folder / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.folder / 'authorized_keys'}",
            "StrictModes no",
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password",
            f"AllowUsers {self.user}",
            "MaxStartups 100:30:200",
            "MaxSessions 100",
            "LogLevel ERROR",
            "UseDNS no",
        ]
        for machine in self.machines.values():
            lines += [
                f"Match LocalAddress {machine.address}",
                f"    SetEnv PXROOT={machine.px_root}/ STATSROOT={machine.stats_root}/",
            ]
        (self.folder / "sshd_config").write_text("\n".join(lines) + "\n")
        host_key = (keys / "host.pub").read_text().split()
        self.known_hosts.write_text(
            "".join(
                f"[{a}]:{self.port} {host_key[0]} {host_key[1]}\n"
                for a in list(ADDRESSES.values()) + list(DOWN.values())
            )
        )
        blocks = []
        for name, address in {**ADDRESSES, **DOWN}.items():
            blocks.append(
                f"Host {name}\n    HostName {address}\n    IdentityFile {keys / 'client'}\n"
            )
        # this host, as a source machine that a remote pickling machine reaches back
        blocks.append(
            f"Host {socket.gethostname().split('.')[0]}\n    HostName {ADDRESSES['px-src1']}\n"
            f"    IdentityFile {keys / 'client'}\n"
        )
        blocks.append(
            f"Host px-badkey\n    HostName {ADDRESSES['px-src1']}\n"
            f"    IdentityFile {keys / 'stranger'}\n"
        )
        blocks.append(
            f"Host *\n    Port {self.port}\n    User {self.user}\n"
            f"    IdentitiesOnly yes\n    UserKnownHostsFile {self.known_hosts}\n"
            "    StrictHostKeyChecking yes\n    BatchMode yes\n"
            "    ControlMaster no\n    LogLevel ERROR\n"
        )
        self.ssh_config.write_text("\n".join(blocks))
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        check = subprocess.run(
            [SSHD, "-t", "-f", str(self.folder / "sshd_config")],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if check.returncode:
            raise RuntimeError(f"sshd -t: {check.stderr.strip()}")
        with open(self.folder / "sshd.log", "wb") as errors:
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.folder / "sshd_config")],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        deadline = time.monotonic() + 15
        pending = set(ADDRESSES.values())
        while pending:
            if self.process.poll() is not None:
                raise RuntimeError("sshd exited: " + (self.folder / "sshd.log").read_text()[-500:])
            if time.monotonic() > deadline:
                raise RuntimeError(f"sshd does not listen on {sorted(pending)}")
            for address in list(pending):
                try:
                    with socket.create_connection((address, self.port), timeout=0.5):
                        pending.discard(address)
                except OSError:
                    time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def ssh(self, machine: str, *argv: str) -> subprocess.CompletedProcess:
        """Run a command on a machine with the system ssh (for checks in tests)."""
        return subprocess.run(
            ["ssh", "-F", str(self.ssh_config), machine, *argv],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )


def sshd_available() -> str | None:
    """None when a test sshd can run here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "the test sshd runs as root (privilege separation)"
    for tool in (SSHD, shutil.which("ssh"), shutil.which("rsync"), shutil.which("ssh-keygen")):
        if not tool or not os.path.exists(tool):
            return "openssh-server, openssh-client and rsync are needed (make setup)"
    return None


def start_world(folder: Path) -> SshWorld:
    reason = sshd_available()
    if reason:
        if os.environ.get("CI"):
            raise RuntimeError(reason)
        pytest.skip(reason)
    return SshWorld(folder).start()
