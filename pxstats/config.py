"""Configuration files of pxStats: etc/config, etc/configForMachines, etc/monitoringConf.

Each file is read once into frozen dataclasses that are passed down; nothing here reads a file
or the environment at import time. The INI reader reproduces the rules of Python 2's
ConfigParser (spec ops.md §1.1) so that existing files parse the same way, with two fixes:
list items are stripped and an empty value is an empty list.

Every problem is a ConfigError whose message is one line naming the file, the key and the problem.

Why one module of ~550 lines: the three files share the INI reader and the value checks;
each key's parsing sits beside its validation and its default.
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pxstats import i18n
from pxstats.paths import StatsPaths, check_name

log = logging.getLogger(__name__)

DEFAULT_PX_ROOT = "/apps/px/"
TIME_UNITS = {"minutes": 1, "hours": 60, "days": 1440, "months": 43200}  # a month = 30 days
WEB_FREQUENCIES = ("hourly", "daily", "weekly", "monthly", "yearly")
GROUP_FILE_TYPES = (*i18n.FILE_TYPES, "trx")
DAYS_OF_GRAPHICS_TO_KEEP = 30  # daysOfGraphicsToKeep, optional (graphicsCleaner)
MAX_DAYS_TO_KEEP = 36600  # a hundred years


class ConfigError(Exception):
    """A configuration problem the operator must fix (one line: file, key, problem)."""


# -- INI reader (Python 2 ConfigParser rules) -------------------------------------------------

_SECTION = re.compile(r"\[(?P<name>[^]]+)\]")
_OPTION = re.compile(r"(?P<key>[^:=\s][^:=]*)[:=](?P<value>.*)")


def _is_comment(line: str) -> bool:
    """Blank line, '#' or ';' in the first column, or a first word 'rem' (any case)."""
    if not line.strip() or line[0] in "#;":
        return True
    return line[0] in "rR" and line.split(None, 1)[0].lower() == "rem"


def _strip_inline_comment(raw: str) -> str:
    """Python 2 rule: the first ';' of the value starts a comment if whitespace precedes it."""
    pos = raw.find(";")
    if pos > 0 and raw[pos - 1].isspace():
        raw = raw[:pos]
    return raw.strip()


def split_list(value: str, separator: str = ",") -> tuple[str, ...]:
    """Items of a list value, stripped; empty items (and an empty value) give nothing.
    A continuation line also separates items."""
    items = re.split(f"[{re.escape(separator)}\n]", value)
    return tuple(item.strip() for item in items if item.strip())


@dataclass(frozen=True)
class IniFile:
    source: str
    sections: dict[str, dict[str, str]]
    defaults: dict[str, str] = field(default_factory=dict)

    def error(self, section: str, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: [{section}] {key}: {problem}")

    def get(self, section: str, key: str, default: str | None = None) -> str:
        """The value of `key` (any case) in `section`; without a default, absence is an error."""
        values = self.sections.get(section)
        value = None if values is None else values.get(key.lower(), self.defaults.get(key.lower()))
        if value is not None:
            return value
        if default is not None:
            return default
        if values is None:
            raise ConfigError(f"{self.source}: section [{section}] is missing")
        raise self.error(section, key, "mandatory key is missing")

    def get_list(self, section: str, key: str, separator: str = ",") -> tuple[str, ...]:
        return split_list(self.get(section, key), separator)


def parse_ini(text: str, source: str = "<text>") -> IniFile:
    sections: dict[str, dict[str, str]] = {}
    defaults: dict[str, str] = {}
    current: dict[str, str] | None = None
    key: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if _is_comment(line):
            continue
        where = f"{source}, line {number}"
        if line[0].isspace():
            if key is None:
                raise ConfigError(f"{where}: indented line continues no key: {line.strip()!r}")
            current[key] = f"{current[key]}\n{line.strip()}".strip()
            continue
        header = _SECTION.match(line)
        if header:
            name = header["name"]
            current = defaults if name == "DEFAULT" else sections.setdefault(name, {})
            key = None
            continue
        if current is None:
            raise ConfigError(f"{where}: text before the first [section] header: {line.strip()!r}")
        option = _OPTION.match(line)
        if option is None:
            raise ConfigError(f"{where}: expected 'key = value' or '[section]': {line.strip()!r}")
        key = option["key"].strip().lower()
        current[key] = _strip_inline_comment(option["value"])
    return IniFile(source, sections, defaults)


def _read_text(path: Path, missing_ok: bool = False) -> str | None:
    """The file's text (UTF-8, else Latin-1); None for a missing file when missing_ok.
    Only a regular file is read (a FIFO would block the run, a device never end)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ConfigError(f"{path}: not a regular file")
        data = Path(path).read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_ini(path: Path) -> IniFile:
    return parse_ini(_read_text(path), str(path))


# -- value checks -------------------------------------------------------------------------------


def _count(
    ini: IniFile, section: str, key: str, default: str | None = None, most: int | None = None
) -> int:
    text = ini.get(section, key, default)
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if most is not None and not (1 <= number <= most and number.is_integer()):
        raise ini.error(section, key, f"expected a whole number from 1 to {most}, got {text!r}")
    if not (number >= 1 and number.is_integer()):
        raise ini.error(section, key, f"expected a whole number of at least 1, got {text!r}")
    return int(number)


def _absolute_path(ini: IniFile, section: str, key: str, default: str | None = None) -> Path:
    text = ini.get(section, key, default)
    if not text.startswith("/"):
        raise ini.error(section, key, f"expected an absolute path, got {text!r}")
    return Path(text)


def _text(ini: IniFile, section: str, key: str) -> str:
    text = ini.get(section, key)
    if not text:
        raise ini.error(section, key, "empty value")
    return text


def _language(ini: IniFile, section: str, key: str, text: str) -> str:
    if text not in i18n.LANGUAGES:
        raise ini.error(section, key, f"unknown language {text!r} (expected en or fr)")
    return text


def _unquote(text: str) -> str:
    """Spaces and quotes removed, so '"hourly"' reads as hourly."""
    return re.sub(r"[\s'\"]", "", text)


# -- etc/configForMachines -----------------------------------------------------------------------


@dataclass(frozen=True)
class MachineConfig:
    """Machine tags (tag -> real machines, in order) and the login of every machine."""

    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)

    def machines_of(self, tag: str) -> tuple[str, ...]:
        """Machines of a tag; an unknown tag has none."""
        return self.tags.get(tag, ())

    def machines_of_tags(self, tags) -> tuple[str, ...]:
        """Machines of several tags, concatenated; an unknown tag contributes nothing (warned)."""
        machines: list[str] = []
        for tag in tags:
            if tag not in self.tags:
                log.warning("unknown machine tag %r (not defined in configForMachines)", tag)
            machines.extend(self.machines_of(tag))
        return tuple(machines)

    def login_of(self, machine: str) -> str:
        """Login for ssh/rsync to a machine, '' when unknown."""
        return self.logins.get(machine, "")


def parse_machines(text: str, source: str = "<text>") -> MachineConfig:
    """Lines 'tag machine1,machine2 login1,login2' (spec ops.md §1.3)."""
    tags: dict[str, list[str]] = {}
    logins: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{source}, line {number}"
        tokens = line.split()
        if len(tokens) < 3:
            raise ConfigError(
                f"{where}: expected 'tag machine1,machine2 login1,login2', got {line.strip()!r}"
            )
        tag, machines, names = tokens[0], tokens[1].split(","), tokens[2].split(",")
        if "" in machines or "" in names:
            raise ConfigError(f"{where}: empty machine or login name in {line.strip()!r}")
        if len(machines) != len(names):
            log.warning(
                "%s: line ignored: %d machine(s) but %d login(s)", where, len(machines), len(names)
            )
            continue
        tags.setdefault(tag, []).extend(machines)
        for machine, login in zip(machines, names):
            if logins.get(machine, login) != login:
                log.warning(
                    "%s: login of %s changes from %r to %r (the last one is used)",
                    where,
                    machine,
                    logins[machine],
                    login,
                )
            logins[machine] = login
    return MachineConfig({tag: tuple(m) for tag, m in tags.items()}, logins)


def load_machines(path: Path) -> MachineConfig:
    """etc/configForMachines; a missing file gives no machines (with a warning)."""
    text = _read_text(path, missing_ok=True)
    if text is None:
        log.warning("%s: file not found, no machine tags are defined", path)
        return MachineConfig()
    return parse_machines(text, str(path))


# -- etc/config ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionSettings:
    """What collection needs: Sundew's log and etc folders."""

    px_log_dir: Path = Path("/apps/px/log")
    px_etc_dir: Path = Path("/apps/px/etc")


def _stats_root(ini: IniFile) -> Path | None:
    """The original's optional statsRoot (its etc/config has one): checked when present, never
    used, since the root is known before etc/config is read (pxstats.paths.root_from)."""
    if not ini.get("generalConfig", "statsRoot", ""):
        return None
    return _absolute_path(ini, "generalConfig", "statsRoot")


def _px_root(ini: IniFile) -> Path:
    return _absolute_path(ini, "generalConfig", "pxRoot", DEFAULT_PX_ROOT)


@dataclass(frozen=True)
class GeneralConfig:
    source_machines_tags: tuple[str, ...]
    pickling_machines: tuple[str, ...]
    machines_to_backup_in_db: tuple[str, ...]
    graphics_upload_machines: tuple[str, ...]
    days_of_pickles_to_keep: int
    nb_db_backups_to_keep: int
    nb_auto_updates_logs_to_keep: int
    main_application_language: str
    artifacts_languages: tuple[str, ...]
    web_pages_languages: tuple[tuple[str, str], ...]  # (displayed, files) pairs
    px_root: Path = Path(DEFAULT_PX_ROOT)
    stats_root: Path | None = None  # an original's statsRoot: read, checked, not used
    days_of_graphics_to_keep: int = DAYS_OF_GRAPHICS_TO_KEEP  # not in the original

    @property
    def collection(self) -> CollectionSettings:
        return CollectionSettings(self.px_root / "log", self.px_root / "etc")


def _language_pairs(ini: IniFile, section: str, key: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in ini.get_list(section, key):
        displayed, colon, files = item.partition(":")
        if not colon:
            raise ini.error(
                section, key, f"expected displayed:files pairs such as fr:en, got {item!r}"
            )
        pairs.append(
            (
                _language(ini, section, key, displayed.strip()),
                _language(ini, section, key, files.strip()),
            )
        )
    return tuple(pairs)


def _general(ini: IniFile) -> GeneralConfig:
    s = "generalConfig"
    return GeneralConfig(
        source_machines_tags=ini.get_list(s, "sourceMachinesTags"),
        pickling_machines=ini.get_list(s, "picklingMachines"),
        machines_to_backup_in_db=ini.get_list(s, "machinesToBackupInDb"),
        graphics_upload_machines=ini.get_list(s, "graphicsUploadMachines"),
        days_of_pickles_to_keep=_count(ini, s, "daysOfPicklesToKeep"),
        nb_db_backups_to_keep=_count(ini, s, "nbDbBackupsToKeep"),
        nb_auto_updates_logs_to_keep=_count(ini, s, "nbAutoUpdatesLogsToKeep"),
        main_application_language=_language(
            ini, s, "mainApplicationLanguage", ini.get(s, "mainApplicationLanguage")
        ),
        artifacts_languages=tuple(
            _language(ini, s, "artifactsLanguages", item)
            for item in ini.get_list(s, "artifactsLanguages")
        ),
        web_pages_languages=_language_pairs(ini, s, "webPagesLanguages"),
        px_root=_px_root(ini),
        stats_root=_stats_root(ini),
        days_of_graphics_to_keep=_count(
            ini, s, "daysOfGraphicsToKeep", str(DAYS_OF_GRAPHICS_TO_KEEP), MAX_DAYS_TO_KEEP
        ),
    )


@dataclass(frozen=True)
class Frequency:
    """A task frequency 'N/unit' of [timeConfig]."""

    count: int
    unit: str

    @property
    def minutes(self) -> int:
        return self.count * TIME_UNITS[self.unit]

    def __str__(self) -> str:
        return f"{self.count}/{self.unit}"


@dataclass(frozen=True)
class TimeConfig:
    px_stats_frequency: Frequency  # read but not used for scheduling (cron decides)
    monitoring_frequency: Frequency
    db_backups_frequency: Frequency
    pickle_cleaner_frequency: Frequency
    general_cleaner_frequency: Frequency
    daily_web_page_updates_frequency: str  # one of WEB_FREQUENCIES
    weekly_web_page_updates_frequency: str
    monthly_web_page_updates_frequency: str
    yearly_web_page_updates_frequency: str
    total_web_pages_updates_frequency: str  # read but not used


_TASK_KEYS = {
    "px_stats_frequency": "pxStatsFrequency",
    "monitoring_frequency": "monitoringFrequency",
    "db_backups_frequency": "dbBackupsFrequency",
    "pickle_cleaner_frequency": "pickleCleanerFrequency",
    "general_cleaner_frequency": "generalCleanerFrequency",
}
_WEB_KEYS = {
    "daily_web_page_updates_frequency": "dailyWebPageUpdatesFrequency",
    "weekly_web_page_updates_frequency": "weeklyWebPageUpdatesFrequency",
    "monthly_web_page_updates_frequency": "monthlyWebPageUpdatesFrequency",
    "yearly_web_page_updates_frequency": "yearlyWebPageUpdatesFrequency",
    "total_web_pages_updates_frequency": "totalWebPagesUpdatesFrequency",
}


def _frequency(ini: IniFile, section: str, key: str) -> Frequency:
    text = _unquote(ini.get(section, key))
    match = re.fullmatch(r"([0-9]+)/(\w*)", text)
    if match is None or int(match[1]) < 1:
        raise ini.error(section, key, f"expected N/unit such as 12/hours, got {text!r}")
    if match[2] not in TIME_UNITS:
        raise ini.error(
            section,
            key,
            f"invalid time unit {match[2]!r} (expected minutes, hours, days or months)",
        )
    return Frequency(int(match[1]), match[2])


def _web_frequency(ini: IniFile, section: str, key: str) -> str:
    text = _unquote(ini.get(section, key)).lower()
    if text not in WEB_FREQUENCIES:
        raise ini.error(section, key, f"expected one of {', '.join(WEB_FREQUENCIES)}, got {text!r}")
    return text


def _time(ini: IniFile) -> TimeConfig:
    s = "timeConfig"
    values = {name: _frequency(ini, s, key) for name, key in _TASK_KEYS.items()}
    values.update({name: _web_frequency(ini, s, key) for name, key in _WEB_KEYS.items()})
    return TimeConfig(**values)


@dataclass(frozen=True)
class Group:
    """One line of [specialGroups]: clients or sources whose data are combined."""

    name: str
    machine_tags: tuple[str, ...]
    machines: tuple[str, ...]  # the tags' machines, concatenated
    file_type: str  # tx, rx or trx
    members: tuple[str, ...]  # names or shell wildcards
    products: tuple[str, ...]  # product patterns, '*' = all


def parse_groups(text: str, machines: MachineConfig, source: str = "<text>") -> tuple[Group, ...]:
    """The [specialGroups] lines 'name = tags fileType members products' (spec ops.md §1.2.3).
    Group names keep their case (the INI reader lower-cases keys), the first of two lines with
    the same name wins, and a line of another shape is ignored with a warning."""
    groups: dict[str, Group] = {}
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        header = _SECTION.match(line)
        if header:
            inside = header["name"] == "specialGroups"
            continue
        if not inside or _is_comment(line):
            continue
        where = f"{source}, line {number}"
        tokens = line.split()
        if len(tokens) != 6 or tokens[1] not in ("=", ":"):
            log.warning(
                "%s: [specialGroups] line ignored, expected "
                "'name = machineTags fileType members products': %r",
                where,
                line.strip(),
            )
            continue
        name, _, tags, file_type, members, products = tokens
        try:
            check_name("group", name)
        except ValueError as exc:
            raise ConfigError(f"{where}: [specialGroups] {exc}") from None
        if name in groups:
            log.warning("%s: [specialGroups] group %s already defined, line ignored", where, name)
            continue
        if file_type not in GROUP_FILE_TYPES:
            raise ConfigError(
                f"{where}: [specialGroups] {name}: unknown file type "
                f"{file_type!r} (expected tx, rx or trx)"
            )
        machine_tags = split_list(tags)
        groups[name] = Group(
            name,
            machine_tags,
            machines.machines_of_tags(machine_tags),
            file_type,
            split_list(members),
            split_list(products),
        )
    return tuple(groups.values())


@dataclass(frozen=True)
class Config:
    """Everything in etc/config and etc/configForMachines."""

    general: GeneralConfig
    time: TimeConfig
    groups: tuple[Group, ...]
    machines: MachineConfig

    def group(self, name: str) -> Group | None:
        return next((g for g in self.groups if g.name == name), None)

    def groups_for(
        self, file_type: str | None = None, machine: str | None = None
    ) -> tuple[Group, ...]:
        """Groups of a file type and/or containing a machine."""
        return tuple(
            g
            for g in self.groups
            if (file_type is None or g.file_type == file_type)
            and (machine is None or machine in g.machines)
        )


def load_config(etc_dir: Path) -> Config:
    """Read etc_dir/config (mandatory) and etc_dir/configForMachines."""
    path = Path(etc_dir) / "config"
    text = _read_text(path)
    return _config_from(text, parse_ini(text, str(path)), Path(etc_dir))


def _config_from(text: str, ini: IniFile, etc_dir: Path) -> Config:
    machines = load_machines(etc_dir / "configForMachines")
    return Config(
        _general(ini), _time(ini), parse_groups(text, machines, str(etc_dir / "config")), machines
    )


def load_general(path: Path) -> CollectionSettings:
    """Sundew's folders from the optional [generalConfig] pxRoot of etc/config (default
    /apps/px/). Other sections and keys are not needed here; a missing file gives the defaults."""
    text = _read_text(Path(path), missing_ok=True)
    if text is None:
        return CollectionSettings()
    root = _px_root(parse_ini(text, str(path)))
    return CollectionSettings(root / "log", root / "etc")


class Context:
    """What one run reads once: the folders under the root, and etc/config parsed once.

    etc/config is optional (a root without it runs with the defaults); when it exists it is
    validated whole, with etc/configForMachines, for every command alike."""

    def __init__(self, root: Path | str):
        etc = Path(root) / "etc"
        self._text = _read_text(etc / "config", missing_ok=True)
        self._ini = None if self._text is None else parse_ini(self._text, str(etc / "config"))
        px_root = Path(DEFAULT_PX_ROOT) if self._ini is None else _px_root(self._ini)
        self.paths = StatsPaths(root, px_log_dir=px_root / "log", px_etc_dir=px_root / "etc")
        self._config: Config | None = None
        self.config  # noqa: B018 - one validation for every command, at the start

    @property
    def config(self) -> Config | None:
        """The whole configuration, None when etc/config does not exist; ConfigError when
        it is invalid."""
        if self._ini is None:
            return None
        if self._config is None:
            self._config = _config_from(self._text, self._ini, self.paths.etc)
        return self._config

    @property
    def main_language(self) -> str:
        config = self.config
        return (config.general.main_application_language or "en") if config else "en"

    @property
    def group_names(self) -> tuple[str, ...]:
        config = self.config
        return tuple(g.name for g in config.groups) if config else ()


# -- etc/monitoringConf --------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoringConfig:
    sender: str
    smtp_server: str
    emails: tuple[str, ...]
    machines: tuple[str, ...]  # each item: a tag, or real machines joined by ','
    files: tuple[Path, ...]
    folders: tuple[Path, ...]
    max_usages: tuple[int, ...]  # percent, one per folder
    errors_log_file: Path
    max_settings_file: Path


def _paths(ini: IniFile, section: str, key: str) -> tuple[Path, ...]:
    items = ini.get_list(section, key, ";")
    for item in items:
        if not item.startswith("/"):
            raise ini.error(section, key, f"expected absolute paths, got {item!r}")
    return tuple(Path(item) for item in items)


def load_monitoring(path: Path) -> MonitoringConfig:
    """etc/monitoringConf, section [statsMonitoring]; lists are separated by ';'."""
    ini = read_ini(path)
    s = "statsMonitoring"
    folders = _paths(ini, s, "folders")
    usages = []
    for item in ini.get_list(s, "maxUsages", ";"):
        if not (item.isascii() and item.isdigit() and int(item) <= 100):
            raise ini.error(s, "maxUsages", f"expected percentages from 0 to 100, got {item!r}")
        usages.append(int(item))
    if len(usages) != len(folders):
        raise ini.error(
            s,
            "maxUsages",
            f"{len(usages)} value(s) for {len(folders)} folder(s); "
            "give one maximum usage per folder",
        )
    emails = ini.get_list(s, "emails", ";")
    if not emails:
        raise ini.error(s, "emails", "empty value")
    return MonitoringConfig(
        sender=_text(ini, s, "sender"),
        smtp_server=_text(ini, s, "smtpServer"),
        emails=emails,
        machines=ini.get_list(s, "machines", ";"),
        files=_paths(ini, s, "files"),
        folders=folders,
        max_usages=tuple(usages),
        errors_log_file=_absolute_path(ini, s, "errorsLogFile"),
        max_settings_file=_absolute_path(ini, s, "maxSettingsFile"),
    )
