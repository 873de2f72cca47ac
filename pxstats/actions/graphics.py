"""Detailed (per-minute) graphics drawn with gnuplot: the library behind generateGraphics
(spec graphics_web.md §1-§2).

request (`gnuplot.request.GraphicRequest`, checked by `graphic_request`) -> window
(`window`) -> data of each series through PickleMerging (`gather`, `merging.combine`) ->
per-panel figures and texts (`gnuplot.figures`, §1.5, §1.6, §6) -> `script.Picture` ->
gnuplot program -> `render` -> PNG under graphics/others/gnuplot/, plus the daily archive
and Columbo copies with `copy` (§1.7).

`produce` does everything; `plan` stops before drawing (dry run: the program and the names).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pxstats import i18n
from pxstats.actions import known
from pxstats.actions.errors import RequestError
from pxstats.gnuplot import render as _render
from pxstats.gnuplot import script
from pxstats.gnuplot.figures import Series, picture
from pxstats.gnuplot.request import (
    TYPES,
    GraphicRequest,
    archive_path,
    columbo_path,
    image_path,
    type_word,
)
from pxstats.i18n import is_all
from pxstats.paths import StatsPaths
from pxstats.stats.merging import combine, merge_hours
from pxstats.util import atomic, timeutil
from pxstats.util.gcpause import cyclic_gc_paused

log = logging.getLogger(__name__)


class GraphicError(Exception):
    """The graphic could not be drawn or copied (one-line message)."""


# -- the request -----------------------------------------------------------------------------------


def data_types(asked, file_type: str, language: str) -> tuple[str, ...]:
    """Types in drawing order; *All* (first word) stands for every type of the file type;
    French names are accepted."""
    valid = TYPES[file_type]
    if not asked or is_all(asked[0]):
        return valid
    asked = [i18n.FROM_FRENCH_TYPES.get(t, t) for t in asked]
    if any(t not in valid for t in asked):
        names = [type_word(t, language) for t in valid]
        raise RequestError(
            f"With {file_type} fileType, possible data types values are : "
            f'{names}. For multiple types use this syntax : -t "type1,type2"'
        )
    return tuple(asked)


def graphic_request(
    paths: StatsPaths,
    *,
    date: int,
    span: int,
    file_type: str,
    clients,
    machines,
    types=(),
    products=None,
    group: str = "",
    combine: bool = False,
    language: str | None = None,
    copy: bool = False,
    main_language: str = "en",
    groups=(),
) -> GraphicRequest:
    """generateGraphics' request, its values checked in the original's order (spec §1.2),
    plus the fixes: an unsupported language is an error (B-03) and at least one client is
    required (B-01). Wildcard names are expanded (reading the RRD times of update)."""
    if span < 1:
        raise RequestError("The timespan value needs to be an integer one above 0.")
    file_type = file_type.replace("'", "").strip()
    if file_type not in i18n.FILE_TYPES:
        raise RequestError("File type must be either tx or rx. Multiple types are not accepted.")
    group = group.replace(" ", "")
    if group and not combine:
        raise RequestError(
            "-g|--groupName option requires the --combineClients options. "
            "Group names are otherwise irrelevant."
        )
    chosen_types = data_types(list(types), file_type, main_language)
    language = (language if language is not None else main_language).strip()
    if language not in i18n.LANGUAGES:
        raise RequestError(
            f"{language} is not one of the supported languages ({', '.join(i18n.LANGUAGES)})."
        )
    clients = list(clients)
    if not clients:
        raise RequestError("No client or source given: use -c name1,name2.")
    machines = list(machines)
    if not machines:
        raise RequestError("No machine given: use -m machine1,machine2.")
    products = (list(products) if products is not None else [i18n.ALL[main_language]]) or ["All"]
    expanded = expand_names(paths, clients, file_type, machines, date, span, groups)
    if not expanded:
        raise known.UnknownName(
            f"No client or source matching {','.join(clients)} ran during the period."
        )
    try:
        request = GraphicRequest(
            clients=tuple(expanded),
            machines=tuple(machines),
            end=date,
            span=span,
            file_type=file_type,
            types=chosen_types,
            products=tuple(products),
            group=group,
            combine=combine,
            language=language,
            copy=copy,
        )
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    explicit = [name for name in clients if "*" not in name and "?" not in name]
    known.check_pickles(paths, explicit, file_type, machines)  # wildcards matched databases
    return request


def expand_names(
    paths: StatsPaths, names, file_type: str, machines, date: int, span: int, groups=()
) -> list[str]:
    """Names with '*' or '?' replaced by the names matching them (fnmatch) among the
    clients/sources whose databases were updated since date - span hours (§1.3, the RRD
    area's "names having run" service; configured group names are left out)."""
    import fnmatch

    result: list[str] = []
    having_run = None
    for name in names:
        if "*" not in name and "?" not in name:
            result.append(name)
            continue
        if having_run is None:
            from pxstats.rrd import schema  # rrdtool is needed only for wildcards
            from pxstats.store import inventory

            having_run = inventory.names_having_run(
                paths,
                file_type,
                schema.machines_name(machines),
                int(date) - span * timeutil.HOUR,
                groups,
            )
        matches = [n for n in having_run if fnmatch.fnmatchcase(n, name)]
        if not matches:
            log.warning("No %s name matching %r ran during the period.", file_type, name)
        result.extend(m for m in matches if m not in result)
    return result


def window(date: int, span: int) -> tuple[int, int]:
    """(start, end): end = date rounded down to the hour, start = end - span hours (§1.4)."""
    end = timeutil.hour_start(int(date))
    return end - span * timeutil.HOUR, end


# -- data ---------------------------------------------------------------------------------------


def gather(paths: StatsPaths, request: GraphicRequest) -> list[Series]:
    """One series per client, or one for all clients with `combine` (§1.4).

    Each (client, machine) component is read with PickleMerging's `merge_hours` (a missing
    or unreadable hour is empty), products are filtered by recomputing its entries'
    statistics, and several components are combined minute by minute by `combine`, which
    gives exactly the figures of their merged pickle (same-hour rows concatenated machine
    by machine, as `merge_sources` builds it) without writing or re-reading one."""
    groups = [request.clients] if request.combine else [(c,) for c in request.clients]
    result = []
    for clients in groups:
        parts = [
            merge_hours(paths, request.start, request.end, client, machine, request.file_type)
            for machine in request.machines
            for client in clients
        ]  # machine-major
        threshold = parts[0].max_latency
        for part in parts:
            if part.max_latency != threshold:  # the merge recomputes with the first's
                part.max_latency = threshold
                part.compute_statistics(request.products)
            elif not request.all_products:
                part.compute_statistics(request.products)
        result.append(Series(tuple(clients), combine(parts), threshold))
    return result


# -- the whole production --------------------------------------------------------------------------


@dataclass
class Plan:
    """Everything but the drawing: what a dry run shows."""

    request: GraphicRequest
    picture: script.Picture
    program: str
    png: Path
    archive: Path | None = None
    columbo: Path | None = None


@dataclass
class Produced:
    png: Path
    copies: list[Path] = field(default_factory=list)


def plan(paths: StatsPaths, request: GraphicRequest, series: list[Series] | None = None) -> Plan:
    """Gather the data and build the gnuplot program and the output names; nothing is
    drawn or written."""
    with cyclic_gc_paused():  # the loaded hours are freed when this returns
        if series is None:
            series = gather(paths, request)
        pic = picture(request, series)
        del series
    return Plan(
        request,
        pic,
        script.program(pic),
        image_path(paths, request),
        archive_path(paths, request) if request.copy else None,
        columbo_path(paths, request) if request.copy else None,
    )


def produce(
    paths: StatsPaths,
    request: GraphicRequest,
    *,
    timeout: float = _render.TIMEOUT,
    session: _render.Session | None = None,
) -> Produced:
    """Draw the graphic of `request`; with `request.copy` also its archive and Columbo copies
    (made from the complete PNG, each atomically). Raises GraphicError. `session`: a
    long-lived gnuplot to draw with (daily graphics), else a gnuplot of its own."""
    the_plan = plan(paths, request)
    try:
        _render.render(
            the_plan.program,
            the_plan.png,
            timeout=timeout,
            size=the_plan.picture.size,
            session=session,
        )
    except _render.GnuplotError as exc:
        raise GraphicError(str(exc)) from None
    except OSError as exc:
        raise GraphicError(f"cannot write {the_plan.png}: {exc.strerror or exc}") from None
    done = Produced(the_plan.png)
    for copy in (the_plan.archive, the_plan.columbo):
        if copy is None:
            continue
        try:
            done.copies.append(atomic.copy_file(the_plan.png, copy))
        except OSError as exc:
            raise GraphicError(
                f"cannot copy the graphic to {copy}: {exc.strerror or exc}"
            ) from None
    log.info(
        "Created Graphics for following call : clients %s, machines %s, %s, types %s, "
        "span %d hours ending %s, products %s%s -> %s",
        ",".join(request.clients),
        ",".join(request.machines),
        request.file_type,
        ",".join(request.types),
        request.span,
        timeutil.iso(request.end),
        ",".join(request.products),
        f", group {request.group}" if request.group else "",
        the_plan.png,
    )
    return done
