"""statsMonitor as an action: the health report of an installation (spec ops.md §5).

`run(paths, request)` computes the window (the previous report's end ... the end rounded down
to the hour), downloads Columbo's files when an upload machine is configured, runs every check
(pxstats.monitor.checks, then pxstats.monitor.extra), writes the report to
data/monitoring/reports/<end>.txt BEFORE anything else can fail, then the state files, then
mails it. The outcome's status is Nagios': 0 OK, 1 warnings, 2 errors, 3 could not run (a
configuration error, a report that cannot be written, a mail that cannot be sent — the report
is then on disk).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pxstats import config as _config
from pxstats.collect.names import client_names
from pxstats.monitor import checks, columbo, extra, lastrun, mail, state
from pxstats.monitor.report import UNKNOWN, Report, Section
from pxstats.paths import StatsPaths, this_host
from pxstats.util import atomic, locks, timeutil

log = logging.getLogger(__name__)

MONITORING_CONF = "monitoringConf"
DEFAULTS = {"maxDatabaseAge": 3, "maxUpdateLag": 3, "sshTimeout": 5}  # hours, hours, seconds
COLUMBO_ROOT = "/apps/pds/tools/Columbo/"


@dataclass(frozen=True)
class Request:
    end: int | None = None  # epoch; None: now. Rounded down to the hour.
    send_mail: bool = True
    statvfs: Callable = os.statvfs  # seams for the tests: a full disk,
    crontab_command: tuple[str, ...] = ("crontab", "-l")  # another crontab,
    reach: Callable[[str, str], str | None] | None = None  # (machine, login) -> reason
    fetch: Callable | None = None  # (machine, login, dest) -> problems


@dataclass
class Outcome:
    status: int
    report: Report | None = None
    report_file: Path | None = None
    error: str | None = None  # why the report could not be made or mailed
    sent_to: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Thresholds:
    max_database_age: int
    max_update_lag: int
    ssh_timeout: int
    columbo_root: str = COLUMBO_ROOT


def thresholds(path: Path) -> Thresholds:
    """The optional keys of [statsMonitoring] for what the original did not have:
    maxDatabaseAge, maxUpdateLag (hours), sshTimeout (seconds), columboRoot (Columbo's root
    on the upload machines)."""
    ini = _config.read_ini(path)
    values = {}
    for key, default in DEFAULTS.items():
        text = ini.get("statsMonitoring", key, str(default))
        if not (text.isascii() and text.isdigit() and int(text) >= 1):
            raise ini.error(
                "statsMonitoring", key, f"expected a whole number of at least 1, got {text!r}"
            )
        values[key] = int(text)
    root = ini.get("statsMonitoring", "columboRoot", COLUMBO_ROOT)
    if not root.startswith("/"):
        raise ini.error(
            "statsMonitoring", "columboRoot", f"expected an absolute path, got {root!r}"
        )
    return Thresholds(
        values["maxDatabaseAge"],
        values["maxUpdateLag"],
        values["sshTimeout"],
        root.rstrip("/") + "/",
    )


def monitored_items(conf: _config.MonitoringConfig, config) -> list[tuple[str, ...]]:
    """Each `machines` item: a tag's machines, else the item's ','-separated machines."""
    items = []
    for item in conf.machines:
        machines = config.machines.machines_of(item) if config is not None else ()
        if not machines:
            machines = _config.split_list(item)
        if machines and machines not in items:
            items.append(tuple(machines))
    return items


def _names(paths: StatsPaths):
    cache: dict = {}

    def names(file_type: str, machine: str) -> list[str]:
        if (file_type, machine) not in cache:
            cache[(file_type, machine)] = client_names(paths, file_type, machine)
        return cache[(file_type, machine)]

    return names


def _download(paths: StatsPaths, config, request: Request, limits: Thresholds) -> Section | None:
    """maxSettings.conf and PX_Errors.txt* from the first upload machine that answers
    (the original tried the first only and ignored failures)."""
    if config is None or not config.general.graphics_upload_machines:
        return None
    machines = config.machines.machines_of_tags(config.general.graphics_upload_machines)
    if not machines:
        return None
    fetch = request.fetch or _fetcher(paths, limits)
    section = Section("downloads")
    for machine in machines:
        login = config.machines.login_of(machine)
        problems = fetch(machine, login, state.folder(paths))
        if not problems:
            # The machines tried before are still named, under the "downloaded" heading.
            section.problems = False
            section.values["machine"] = machine
            return section
        section.lines += [f"{machine} : {problem}" for problem in problems]
    return section


def _fetcher(paths: StatsPaths, limits: Thresholds):
    from pxstats.remote import reach
    from pxstats.remote.settings import RemoteSettings

    settings = RemoteSettings.for_root(paths.etc, connect_timeout=limits.ssh_timeout)
    root = limits.columbo_root

    def fetch(machine, login, dest):
        return reach.fetch_columbo(
            settings, machine, login, root + "etc/", root + "ColumboShow/log/", dest
        )

    return fetch


def _reacher(paths: StatsPaths, ssh_timeout: int):
    from pxstats.remote import reach
    from pxstats.remote.settings import RemoteSettings

    settings = RemoteSettings.for_root(paths.etc)

    def reachable(machine, login):
        return reach.reachable(settings, machine, login, ssh_timeout)

    return reachable


def _safely(check: str, function, *args) -> Section | None:
    """A check that fails unexpectedly is one line of its own section; the others still run
    and the report is still written."""
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 - reported in the report itself
        log.exception("the %s check failed", check)
        return Section(
            check,
            [f"Error : this check failed ({type(exc).__name__}: {exc})."],
            problems=True,
            values={"hours": "?", "machine": "?", "modified": False},
        )


def _max_settings(path: Path) -> columbo.MaxSettings | None:
    try:
        return columbo.read_max_settings(path)
    except columbo.MaxSettingsError as exc:
        log.warning("%s: the data-gap and latency checks are skipped", exc)
        return None


def build_report(paths: StatsPaths, request: Request) -> tuple[Report, checks.Context]:
    """Every check, nothing written. Raises ConfigError."""
    conf_path = paths.etc / MONITORING_CONF
    if not conf_path.exists():
        raise _config.ConfigError(
            f"{conf_path}: file not found (copy etc/monitoringConf.sample and adapt it)"
        )
    conf = _config.load_monitoring(conf_path)
    limits = thresholds(conf_path)
    config = _config.load_config(paths.etc) if paths.config_file.exists() else None
    language = config.general.main_application_language if config is not None else "en"
    end = timeutil.hour_start(request.end if request.end is not None else timeutil.now())
    previous = state.previous_job(paths)
    start = previous if previous is not None else timeutil.day_start(end)
    downloads = _download(paths, config, request, limits)
    ctx = checks.Context(
        paths,
        conf,
        config,
        start,
        end,
        language,
        monitored_items(conf, config),
        _names(paths),
        _max_settings(conf.max_settings_file),
        request.statvfs,
        request.crontab_command,
    )
    error_log = None
    if ctx.max_settings is not None:
        error_log = columbo.ErrorLog(conf.errors_log_file, [n for n, _ in ctx.tx_names()], start)
        ctx.preload()
    reacher = request.reach or _reacher(paths, limits.ssh_timeout)
    sections = [
        _safely("disk", checks.disk, ctx),
        _safely("pickles", checks.pickle_presence, ctx),
        _safely("gaps", checks.data_gaps, ctx, error_log),
        _safely("statslogs", checks.stats_logs, ctx),
        _safely("checksums", checks.checksums, ctx),
        _safely("crontab", checks.crontab, ctx),
        _safely("webpages", checks.web_pages, ctx),
        _safely("graphics", checks.daily_graphics, ctx),
        _safely("databases", extra.databases, ctx, limits.max_database_age),
        _safely("updates", extra.times_of_update, ctx, limits.max_update_lag),
        _safely("latency", extra.latency, ctx),
        _safely("reach", extra.reachability, ctx, reacher),
        _safely("lastrun", lastrun.last_run, ctx),
        downloads,
    ]
    report = Report(
        language,
        timeutil.iso(end),
        timeutil.iso(start),
        this_host(),
        str(conf_path),
        str(paths.root / "doc") + "/",
        str(paths.px_etc_dir) + "/",
        [s for s in sections if s is not None],
    )
    ctx.pending["conf"] = conf
    return report, ctx


def _save_state(paths: StatsPaths, ctx: checks.Context) -> None:
    state.save_previous_job(paths, ctx.end)
    if "crontab" in ctx.pending:
        state.save_crontab(paths, ctx.pending["crontab"])
    if "checksums" in ctx.pending:
        state.save_checksums(paths, ctx.pending["checksums"])
    if "last_filled" in ctx.pending:
        state.save_last_filled(paths, ctx.pending["last_filled"])


def run(paths: StatsPaths, request: Request) -> Outcome:
    """One report; a second monitor started meanwhile "could not run" (its state would race
    with this one's)."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(locks.named_lock(paths, "statsMonitor", wait=False))
        except locks.LockBusy:
            return Outcome(UNKNOWN, error="another statsMonitor is running on this root")
        except OSError as exc:
            return Outcome(
                UNKNOWN, error=f"cannot take the lock of statsMonitor: {exc.strerror or exc}"
            )
        return _run(paths, request)


def _run(paths: StatsPaths, request: Request) -> Outcome:
    try:
        report, ctx = build_report(paths, request)
    except (_config.ConfigError, OSError) as exc:
        return Outcome(UNKNOWN, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a monitor that crashes "could not run" (3)
        log.exception("the report could not be made")
        return Outcome(UNKNOWN, error=f"unexpected {type(exc).__name__}: {exc} (see the log)")
    report_file = state.report_file(paths, ctx.end)
    try:
        atomic.write_text(report_file, report.text())
    except OSError as exc:
        return Outcome(
            UNKNOWN, report, error=f"cannot write the report {report_file}: {exc.strerror or exc}"
        )
    outcome = Outcome(report.status, report, report_file)
    try:
        _save_state(paths, ctx)
    except OSError as exc:
        return Outcome(
            UNKNOWN,
            report,
            report_file,
            error=f"cannot save the monitoring state: {exc.strerror or exc}",
        )
    if request.send_mail:
        conf = ctx.pending["conf"]
        message = mail.build(report, conf.sender, conf.emails, domain=report.host)
        try:
            mail.send(message, conf.smtp_server, conf.sender, conf.emails)
        except mail.MailError as exc:
            outcome.status = UNKNOWN
            outcome.error = f"{exc}; the report is in {report_file}"
            return outcome
        outcome.sent_to = conf.emails
    return outcome
