"""Where Sundew (PXROOT), pxStats (STATSROOT) and Columbo (COLROOT) live on another machine.

Order (spec ops.md §2.3, with its fixes): an explicit override; else the KEY=value line of
/etc/<prog>/<prog>.conf; else the variable in the environment of an ssh session on that machine
(sshd SetEnv, ~/.ssh/environment, the shell's rc file); else the default. One ssh round trip
per (machine, key), cached for the run. An unreachable machine is an error, not the default."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pxstats.paths import conf_value
from pxstats.remote.commands import Host, RemoteError, Sessions
from pxstats.remote.names import BadName, check_remote_path


@dataclass(frozen=True)
class Kind:
    key: str
    conf_file: str
    default: str


KINDS = {
    "PXROOT": Kind("PXROOT", "/etc/px/px.conf", "/apps/px/"),
    "STATSROOT": Kind("STATSROOT", "/etc/pxStats/pxStats.conf", "/apps/px/pxStats/"),
    "COLROOT": Kind("COLROOT", "/etc/columbo/columbo.conf", "/apps/pds/tools/Columbo/"),
}
MARKER = "@@pxstats-env@@"


def parse_conf(text: str, key: str) -> str | None:
    """The value of the first `KEY=value` line (`paths.conf_value`), None when there is none
    or it is empty. Comments and other keys are ignored (the original took any line
    containing the key, and then returned the whole command output)."""
    return conf_value(text, key) or None


def discovery_argv(kind: Kind) -> list[str]:
    """One remote command printing the conf file (if any), then the variable after a marker."""
    return ["sh", "-c", _script(kind)]


def _script(kind: Kind) -> str:
    return f"cat {kind.conf_file} 2>/dev/null; printf '\\n{MARKER}%s\\n' \"${{{kind.key}-}}\""


def discovery_all_argv() -> list[str]:
    """Every kind in one round trip: each kind's answer after a line '@@KEY@@'."""
    return [
        "sh",
        "-c",
        "; ".join(f"echo @@{kind.key}@@; {_script(kind)}" for kind in KINDS.values()),
    ]


def split_answers(output: str) -> dict[str, str]:
    answers, current = {}, None
    for line in output.splitlines(keepends=True):
        key = (
            line.strip()[2:-2]
            if line.startswith("@@") and line.strip().endswith("@@") and line.strip()[2:-2] in KINDS
            else None
        )
        if key:
            current = key
            answers[key] = ""
        elif current is not None:
            answers[current] += line
    return answers


def parse_answer(output: str, kind: Kind) -> tuple[str, str]:
    """(root ending with '/', where it came from) from the discovery output."""
    conf, _, env = output.rpartition(MARKER)
    for value, origin in (
        (parse_conf(conf, kind.key), kind.conf_file),
        (env.strip() or None, f"${kind.key}"),
    ):
        if value:
            return check_remote_path(f"{kind.key} ({origin})", value), origin
    return kind.default, "default"


@dataclass
class RootFinder:
    """Cached remote roots of one run; `overrides` maps (machine, KEY) to a root."""

    sessions: Sessions
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)
    _cache: dict[str, dict[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _machine_locks: dict[str, threading.Lock] = field(default_factory=dict)

    def root(self, host: Host, key: str) -> str:
        """The root `key` of the machine; every kind is asked in the same round trip, once
        per machine per run (threads asking at the same time wait for the first)."""
        override = self.overrides.get((host.machine, key))
        if override is not None:
            return check_remote_path(f"{key} of {host.machine}", override)
        with self._lock:
            lock = self._machine_locks.setdefault(host.machine, threading.Lock())
        with lock:
            if host.machine not in self._cache:
                result = self.sessions.run(host, discovery_all_argv(), timeout=60)
                if not result.ok:
                    raise RemoteError(f"{host.machine}: cannot read {key}: {result.describe()}")
                self._cache[host.machine] = split_answers(result.stdout)
            answer = self._cache[host.machine].get(key, "")
        try:
            root, _origin = parse_answer(answer, KINDS[key])
        except BadName as exc:
            raise RemoteError(f"{host.machine}: {exc}") from None
        return root

    def px_log(self, host: Host) -> str:
        return self.root(host, "PXROOT") + "log/"

    def px_etc(self, host: Host, file_type: str) -> str:
        return self.root(host, "PXROOT") + f"etc/{file_type}/"

    def stats_root(self, host: Host) -> str:
        return self.root(host, "STATSROOT")
