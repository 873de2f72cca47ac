"""How pxStats reaches other machines: the operator's ssh files, timeouts, bandwidth."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CONNECT_TIMEOUT = 10  # seconds to open an ssh connection
DEFAULT_COMMAND_TIMEOUT = 3600  # seconds for one rsync or remote command


@dataclass(frozen=True)
class RemoteSettings:
    """ssh_config (-F) and known_hosts the operator controls, for this machine and for the
    commands run on a pickling machine (there, the same paths unless told otherwise: the
    original assumed identical installations too).

    Host keys are always checked (StrictHostKeyChecking=yes, never added automatically) and
    ssh never asks a question (BatchMode=yes)."""

    ssh_config: Path | None = None
    known_hosts: Path | None = None
    identity: Path | None = None
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT
    bwlimit_kbps: int | None = None
    remote_ssh_config: Path | None = None
    remote_known_hosts: Path | None = None
    remote_identity: Path | None = None

    @classmethod
    def for_root(cls, etc_dir: Path, **overrides) -> RemoteSettings:
        """<root>/etc/ssh_config and <root>/etc/known_hosts when they exist (else ssh's own
        ~/.ssh/config and ~/.ssh/known_hosts)."""
        etc_dir = Path(etc_dir)
        found = {}
        if (etc_dir / "ssh_config").is_file():
            found["ssh_config"] = etc_dir / "ssh_config"
        if (etc_dir / "known_hosts").is_file():
            found["known_hosts"] = etc_dir / "known_hosts"
        found.update(overrides)
        return cls(**found)

    def ssh_argv(self, remote: bool = False) -> list[str]:
        """The ssh command (as a list) rsync runs with -e: batch mode, connect timeout,
        strict host-key checking, and the operator's files."""
        config, known, identity = self.ssh_config, self.known_hosts, self.identity
        if remote:
            config = self.remote_ssh_config or config
            known = self.remote_known_hosts or known
            identity = self.remote_identity or identity
        argv = ["ssh"]
        if config is not None:
            argv += ["-F", str(config)]
        argv += [
            "-o",
            "BatchMode=yes",
            "-o",
            f"ConnectTimeout={int(self.connect_timeout)}",
            "-o",
            "StrictHostKeyChecking=yes",
        ]
        if known is not None:
            argv += ["-o", f"UserKnownHostsFile={known}"]
        if identity is not None:
            argv += ["-o", "IdentitiesOnly=yes", "-i", str(identity)]
        return argv

    def rsync_rsh(self, remote: bool = False) -> str:
        """The -e value of rsync: the ssh command as one string rsync splits again
        (each word quoted)."""
        return " ".join(shlex.quote(word) for word in self.ssh_argv(remote))
