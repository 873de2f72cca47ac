"""Checks the original never made (spec ops.md §5.7), each a section of the same report:
RRD databases not updated for hours, times of update lagging behind, clients with too many
files over their maximum latency (PX_GRAPHS of maxSettings.conf), machines ssh cannot reach.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pxstats.monitor.checks import Context
from pxstats.monitor.report import Section
from pxstats.paths import this_host
from pxstats.rrd import schema
from pxstats.store import updates
from pxstats.util import timeutil
from pxstats.util.timeutil import HOUR

log = logging.getLogger(__name__)


def databases(ctx: Context, max_age_hours: int) -> Section:
    """Every database of currentDatabases/<type>/ (not the throw-away combined ones) whose
    last update (rrdtool's) is more than `max_age_hours` before the end."""
    section = Section("databases", values={"hours": max_age_hours})
    limit = ctx.end - max_age_hours * HOUR
    root = ctx.paths.current_databases
    try:
        types = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return section
    for folder in types:
        for database in sorted(p for p in folder.iterdir() if p.is_file()):
            if database.name.startswith("."):
                continue  # a temp copy of an update in progress
            try:
                last = schema.last(database)
            except schema.RRDError as exc:
                log.warning("%s", exc)
                section.lines.append(ctx.line("db_never", database))
                continue
            if last < limit:
                section.lines.append(ctx.line("db_old", database, timeutil.iso(last)))
    return section


def times_of_update(ctx: Context, max_lag_hours: int) -> Section:
    """Every picklesTimeOfUpdates file naming an hour more than `max_lag_hours` before the
    end (pickleUpdater has not collected the hours since)."""
    section = Section("updates", values={"hours": max_lag_hours})
    limit = ctx.end - max_lag_hours * HOUR
    try:
        files = sorted(p for p in ctx.paths.times_of_updates.iterdir() if p.is_file())
    except OSError:
        return section
    for path in files:
        if path.name.startswith("."):
            continue
        try:
            when = updates.read(path)
        except updates.UpdateFileError:
            section.lines.append(ctx.line("update_bad", path))
            continue
        if when is not None and when < limit:
            section.lines.append(ctx.line("update_old", path, timeutil.iso(when)))
    return section


def latency(ctx: Context) -> Section | None:
    """Per tx client and hour of the window, the files over the maximum latency (all machines
    of its item) above the client's PX_GRAPHS value. None without maxSettings.conf."""
    if ctx.max_settings is None:
        return None
    section = Section("latency")
    clients = ctx.tx_names()
    limits = ctx.max_settings.limits_for("PX_GRAPHS", [name for name, _ in clients])
    for name, machines in clients:
        for hour in range(ctx.start, ctx.end, HOUR):
            summary = ctx.hour(name, machines, hour)
            if summary is not None and summary[1] > limits[name]:
                section.lines.append(
                    ctx.line(
                        "latency_line",
                        name,
                        summary[1],
                        timeutil.iso(hour),
                        timeutil.iso(hour + HOUR),
                        limits[name],
                    )
                )
    return section


def configured_machines(ctx: Context) -> list[str]:
    """The machines pxStats reaches by ssh: source, pickling and upload machines of
    etc/config, other than this host."""
    if ctx.config is None:
        return []
    general, tags = ctx.config.general, ctx.config.machines
    found: list[str] = []
    for tag_list in (
        general.source_machines_tags,
        general.pickling_machines,
        general.graphics_upload_machines,
    ):
        for machine in tags.machines_of_tags(tag_list):
            if machine not in found and machine != this_host():
                found.append(machine)
    return found


def reachability(ctx: Context, reach: Callable[[str, str], str | None]) -> Section:
    """`reach(machine, login)` gives None when ssh gets in, else the reason."""
    section = Section("reach")
    for machine in configured_machines(ctx):
        login = ctx.config.machines.login_of(machine)
        reason = reach(machine, login)
        if reason is not None:
            target = f"{login}@{machine}" if login else machine
            section.lines.append(ctx.line("reach_line", target, reason))
    return section
