"""Two narrow operations of the monitor: is a machine reachable by ssh, and the download of
Columbo's maxSettings.conf and PX_Errors.txt* from an upload machine.

`reach_argv` is `ssh -o BatchMode=yes -o ConnectTimeout=<t> ... <login@machine> true` (with the
operator's ssh_config and known_hosts, host keys checked); `reachable` runs it, bounded in time.
`fetch_columbo` pulls the two kinds of files with rsync (remote.rsync.pull, filter rules
instead of remote wildcards, so no remote shell expands anything).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pxstats.remote.commands import Host
from pxstats.remote.names import BadName
from pxstats.remote.rsync import pull, run_local
from pxstats.remote.settings import RemoteSettings

REACH_TIMEOUT = 5  # seconds to connect
MAX_SETTINGS = "maxSettings.conf"
ERRORS_LOG = "PX_Errors.txt"


def reach_argv(settings: RemoteSettings, host: Host, timeout: int = REACH_TIMEOUT) -> list[str]:
    quick = dataclasses.replace(settings, connect_timeout=int(timeout))
    return quick.ssh_argv() + ["--", host.target, "true"]


def reachable(
    settings: RemoteSettings, machine: str, login: str = "", timeout: int = REACH_TIMEOUT
) -> str | None:
    """None when ssh logs in and runs `true`, else the reason on one line."""
    try:
        host = Host(machine, login)
    except BadName as exc:
        return str(exc)
    result = run_local(reach_argv(settings, host, timeout), timeout=timeout * 3 + 5)
    return None if result.ok else result.describe()


def fetch_columbo(
    settings: RemoteSettings,
    machine: str,
    login: str,
    remote_etc: str,
    remote_logs: str,
    dest: Path,
    timeout: float = 300,
) -> list[str]:
    """Copy <remote_etc>/maxSettings.conf and <remote_logs>/PX_Errors.txt* into dest/.
    Returns the problems, one line each (empty: both copied)."""
    try:
        host = Host(machine, login)
    except BadName as exc:
        return [str(exc)]
    problems = []
    for folder, pattern in ((remote_etc, MAX_SETTINGS), (remote_logs, ERRORS_LOG + "*")):
        try:
            result = pull(
                settings, host, folder, dest, filters=(f"+ {pattern}", "- *"), timeout=timeout
            )
        except BadName as exc:
            problems.append(str(exc))
            continue
        if not result.ok:
            problems.append(f"{folder}{pattern}: {result.describe()}")
    return problems
