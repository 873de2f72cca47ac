"""StatsPaths: the one object that knows every folder and file name under the root.

Everything pxStats writes lives under `<root>/data/`. Folder names are the original
English ones and are never translated (a language switch must not move the data).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pxstats.util import timeutil

NAME_MAX = 255


def this_host() -> str:
    """Short host name, as the original's os.uname()[1] compared it to -m."""
    return os.uname().nodename.split(".")[0]


def safe_component(name: str, suffix_room: int = 0) -> str:
    """A file name component that fits NAME_MAX; long names keep a prefix plus a hash so
    two different long names never collide (the original truncated them)."""
    limit = NAME_MAX - suffix_room
    if len(name.encode()) <= limit:
        return name
    import hashlib  # here: names that long are rare

    digest = hashlib.sha1(name.encode()).hexdigest()[:16]
    return name.encode()[: limit - 17].decode(errors="ignore") + "~" + digest


def check_name(kind: str, name: str) -> str:
    """Refuse names that could escape their folder or make unreadable file names (they come
    from users and other machines): empty or blank, `.`, `..`, `/`, control characters
    (a newline would split a file listing), bytes that are not UTF-8."""
    if not name or not name.strip() or name in (".", "..") or "/" in name:
        raise ValueError(f"invalid {kind} name: {name!r}")
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in name):
        raise ValueError(f"invalid {kind} name (control character): {name!r}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"invalid {kind} name (not UTF-8): {name!r}") from None
    return name


def combined_name(names: list[str] | tuple[str, ...]) -> str:
    """Name of a combination of clients or machines. Joined with ',' (a character -c/-m
    lists can never contain), so 'ab'+'c' and 'a'+'bc' no longer collide."""
    return ",".join(names)


@dataclass(frozen=True)
class StatsPaths:
    root: Path
    px_log_dir: Path = Path("/apps/px/log")
    px_etc_dir: Path = Path("/apps/px/etc")

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root).absolute())

    # -- top level ---------------------------------------------------------------------------
    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def config_file(self) -> Path:
        return self.etc / "config"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def pickles(self) -> Path:
        return self.data / "pickles"

    @property
    def merged_pickles(self) -> Path:
        """Merged pickles have their own tree so a group never collides with a client."""
        return self.data / "mergedPickles"

    @property
    def times_of_updates(self) -> Path:
        return self.data / "picklesTimeOfUpdates"

    @property
    def log_file_access(self) -> Path:
        return self.data / "logFileAccess"

    @property
    def log_files(self) -> Path:
        return self.data / "logFiles"

    @property
    def file_access_versions(self) -> Path:
        return self.data / "fileAccessVersions"

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    @property
    def lock_files(self) -> Path:
        return self.data / "temp" / "lockFiles"

    @property
    def databases(self) -> Path:
        return self.data / "databases"

    @property
    def current_databases(self) -> Path:
        return self.databases / "currentDatabases"

    @property
    def current_databases_updates(self) -> Path:
        return self.databases / "currentDatabasesTimeOfUpdates"

    @property
    def databases_backups(self) -> Path:
        return self.databases / "databasesBackups"

    @property
    def databases_updates_backups(self) -> Path:
        return self.databases / "databasesTimeOfUpdatesBackups"

    @property
    def graphics(self) -> Path:
        return self.data / "graphics"

    @property
    def web_graphics(self) -> Path:
        return self.graphics / "webGraphics"

    @property
    def graphics_archives(self) -> Path:
        return self.web_graphics / "archives"

    @property
    def px_config_copies(self) -> Path:
        return self.etc / "pxConfigFiles"

    # -- files ---------------------------------------------------------------------------------
    def log_dir_for(self, machine: str) -> Path:
        """Sundew's own log folder for this host, the rsync mirror for any other machine."""
        if machine == this_host():
            return self.px_log_dir
        return self.log_files / check_name("machine", machine)

    def hourly_pickle(self, client: str, hour: int, file_type: str, machine: str) -> Path:
        """data/pickles/<client>/<YYYYMMDD>/<tx|rx>/<machine>_<HH> for the hour holding `hour`."""
        return self._pickle_in(self.pickles, client, hour, file_type, machine)

    def merged_pickle(
        self, name: str, hour: int, file_type: str, machines: str, group: bool
    ) -> Path:
        kind = "groups" if group else "clients"
        return self._pickle_in(self.merged_pickles / kind, name, hour, file_type, machines)

    def _pickle_in(self, base: Path, client: str, hour: int, file_type: str, machine: str) -> Path:
        check_name("client", client)
        check_name("machine", machine)
        hh = timeutil.iso(hour)[11:13]
        return (
            base
            / safe_component(client)
            / timeutil.yyyymmdd(hour)
            / file_type
            / (safe_component(machine, suffix_room=3) + "_" + hh)
        )

    def time_of_update_file(self, file_type: str, client: str, machine: str) -> Path:
        return self.times_of_updates / safe_component(f"{file_type}_{client}_{machine}")

    def pointer_file(self, file_type: str, client: str, machine: str) -> Path:
        return self.log_file_access / safe_component(f"{file_type}_{client}_{machine}")

    def version_file(self, name: str, machines: str) -> Path:
        return self.file_access_versions / safe_component(f"{name}_{machines}")

    def lock_file(self, name: str) -> Path:
        return self.lock_files / (safe_component(name, suffix_room=5) + ".lock")

    def program_log(self, program: str) -> Path:
        return self.logs / f"{program}.log"


ROOT_VARIABLE = "PXSTATS_ROOT"
CONF_VARIABLE = "PXSTATS_CONF"
CONF_FILE = Path("/etc/pxStats/pxStats.conf")
HOW_TO_SET = (
    f"give --root DIR, set {ROOT_VARIABLE}=DIR, or write STATSROOT=DIR in {CONF_FILE}"
    f" (or in the file named by ${CONF_VARIABLE})"
)


class RootError(ValueError):
    """No usable root: the text is the one line shown to the operator (exit status 2)."""


def checkout_root(package: Path | None = None) -> Path | None:
    """The source checkout this package runs from (editable install or bin/ shims): the
    package's parent folder when it holds pyproject.toml and .git or bin/. None for an
    installed package: a root is never a folder inside site-packages."""
    package = package or Path(__file__).resolve().parent
    parent = package.parent
    if {"site-packages", "dist-packages"} & set(parent.parts):
        return None
    if (parent / "pyproject.toml").is_file() and (
        (parent / ".git").exists() or (parent / "bin").is_dir()
    ):
        return parent
    return None


def conf_value(text: str, key: str = "STATSROOT") -> str | None:
    """The value of the first `KEY=value` line (shell syntax: optional `export`, quotes,
    blanks around '='), None when there is none; '#' lines are comments."""
    pattern = re.compile(rf"\s*(?:export\s+)?{re.escape(key)}\s*=\s*(.*?)\s*")
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = pattern.fullmatch(line)
        if match:
            value = match[1]
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            return value
    return None


def _root_in_conf(environ) -> Path | None:
    """STATSROOT of /etc/pxStats/pxStats.conf (or of $PXSTATS_CONF), the original's place."""
    named = environ.get(CONF_VARIABLE)
    if named is not None and not named.strip():
        raise RootError(f"{CONF_VARIABLE} is empty: unset it or name a configuration file")
    conf = Path(named) if named else CONF_FILE
    try:
        text = conf.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        if named:
            raise RootError(f"{CONF_VARIABLE}={named}: no such file") from None
        return None
    except OSError as exc:
        raise RootError(f"cannot read {conf}: {exc.strerror}") from None
    value = conf_value(text)
    if value is None:
        return None
    if not value.startswith("/"):
        raise RootError(f"{conf}: STATSROOT must be an absolute path, got {value!r}")
    return Path(value)


def root_from(option: str | None, environ: dict | os._Environ = os.environ) -> Path:
    """The pxStats root: --root, else $PXSTATS_ROOT, else STATSROOT of
    /etc/pxStats/pxStats.conf ($PXSTATS_CONF names another file), else the source checkout
    when run from one. RootError (one line saying how to set it) otherwise, and for an
    empty --root or $PXSTATS_ROOT."""
    if option is not None:
        if not option.strip():
            raise RootError(f"--root is empty: {HOW_TO_SET}")
        return Path(option)
    value = environ.get(ROOT_VARIABLE)
    if value is not None:
        if not value.strip():
            raise RootError(f"{ROOT_VARIABLE} is empty: {HOW_TO_SET}")
        return Path(value)
    root = _root_in_conf(environ) or checkout_root()
    if root is None:
        raise RootError(f"no pxStats root: {HOW_TO_SET}")
    return root
