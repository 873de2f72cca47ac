"""Where Sundew (PXROOT), pxStats (STATSROOT) and Columbo (COLROOT) live on another machine.

Order (spec ops.md §2.3, with its fixes): an explicit override; else the KEY=value line of
/etc/<prog>/<prog>.conf; else the variable in the environment of an ssh session on that machine
(sshd SetEnv, ~/.ssh/environment, the shell's rc file); else the default. One ssh round trip
per (machine, key), cached for the run. An unreachable machine is an error, not the default."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

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
    """The value of the first `KEY=value` line (optionally `export KEY = "value"`), None when
    there is none. Comments and other keys are ignored (the original took any line containing
    the key, and then returned the whole command output)."""
    pattern = re.compile(rf"\s*(?:export\s+)?{re.escape(key)}\s*=\s*(.*?)\s*")
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = pattern.fullmatch(line)
        if match:
            value = match[1]
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            return value or None
    return None


def discovery_argv(kind: Kind) -> list[str]:
    """One remote command printing the conf file (if any), then the variable after a marker."""
    script = (f"cat {kind.conf_file} 2>/dev/null; "
              f"printf '\\n{MARKER}%s\\n' \"${{{kind.key}-}}\"")
    return ["sh", "-c", script]


def parse_answer(output: str, kind: Kind) -> tuple[str, str]:
    """(root ending with '/', where it came from) from the discovery output."""
    conf, _, env = output.rpartition(MARKER)
    for value, origin in ((parse_conf(conf, kind.key), kind.conf_file),
                          (env.strip() or None, f"${kind.key}")):
        if value:
            return check_remote_path(f"{kind.key} ({origin})", value), origin
    return kind.default, "default"


@dataclass
class RootFinder:
    """Cached remote roots of one run; `overrides` maps (machine, KEY) to a root."""
    sessions: Sessions
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)
    _cache: dict[tuple[str, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def root(self, host: Host, key: str) -> str:
        kind = KINDS[key]
        cache_key = (host.machine, key)
        with self._lock:
            if cache_key in self._cache:
                return self._cache[cache_key]
        if cache_key in self.overrides:
            root = check_remote_path(f"{key} of {host.machine}", self.overrides[cache_key])
        else:
            result = self.sessions.run(host, discovery_argv(kind), timeout=60)
            if not result.ok:
                raise RemoteError(f"{host.machine}: cannot read {key}: {result.describe()}")
            try:
                root, _origin = parse_answer(result.stdout, kind)
            except BadName as exc:
                raise RemoteError(f"{host.machine}: {exc}") from None
        with self._lock:
            self._cache[cache_key] = root
        return root

    def px_log(self, host: Host) -> str:
        return self.root(host, "PXROOT") + "log/"

    def px_etc(self, host: Host, file_type: str) -> str:
        return self.root(host, "PXROOT") + f"etc/{file_type}/"

    def stats_root(self, host: Host) -> str:
        return self.root(host, "STATSROOT")
