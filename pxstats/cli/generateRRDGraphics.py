"""generateRRDGraphics: daily, weekly, monthly, yearly or custom-span graphics from the RRD
archive, per client/source or as totals (spec rrd.md §3)."""

from __future__ import annotations

import argparse
import logging
import sys
from pxstats import i18n
from pxstats.i18n import is_all
from pxstats.config import ConfigError
from pxstats.paths import this_host
from pxstats.actions.update import client_names
from pxstats.rrd import graphs, schema, windows
from pxstats.cli.common import (
    EXIT_USAGE,
    UserError,
    add_fixed_options,
    add_root_option,
    check_names,
    chosen_period,
    comma_words,
    date_option,
    fail,
    load_settings,
    make_paths,
    setup_logging,
)

PROGRAM = "generateRRDGraphics"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Draw graphics of the per-minute statistics stored in the RRD archive: "
                    "one PNG per client (or source), machine set and data type, or the totals "
                    "of several clients.")
    parser.add_argument("-c", "--clients", default="ALL",
                        help="Comma-separated clients (tx) or sources (rx). ALL (default) means "
                             "the ones configured on the first machine, or, with --totals or "
                             "--havingRun, the ones whose databases were updated during the "
                             "period.")
    parser.add_argument("--copy", action="store_true",
                        help="Also copy each graphic into the web archive (with -d, -w, -m or "
                             "-y), see FILES in the manual page.")
    parser.add_argument("-d", "--daily", action="store_true", help="Graphics of one day.")
    parser.add_argument("--date", default=None,
                        help='End of the graphics, "YYYY-MM-DD HH:MM:SS" UTC, rounded down to '
                             "the hour. Default: now.")
    parser.add_argument("-f", "--fileType", default="tx",
                        help="Clients (tx, default) or sources (rx).")
    add_fixed_options(parser)
    parser.add_argument("--havingRun", action="store_true",
                        help="With -c ALL: only the clients/sources whose databases were "
                             "updated during the period. Configured group names "
                             "([specialGroups] of ROOT/etc/config) are left out.")
    parser.add_argument("-i", "--individual", action="store_true",
                        help="One graphic per machine instead of one for the machines together.")
    parser.add_argument("-l", "--language", default=None,
                        help="Language of the graphics and of their file names, en or fr. "
                             "Default: mainApplicationLanguage of ROOT/etc/config, else en.")
    parser.add_argument("-m", "--monthly", action="store_true",
                        help="Graphics of one month (30 days, or a calendar month when fixed). "
                             "Monthly graphics label the days of the month.")
    parser.add_argument("--machines", default=None,
                        help="Comma-separated machines whose data were combined "
                             "(default: this host).")
    parser.add_argument("-s", "--span", default=None,
                        help="Length of the graphics in hours when no period option is given "
                             "(default: 12).")
    parser.add_argument("-t", "--types", default="All",
                        help="Comma-separated data types: latency, bytecount, errors, "
                             "filesOverMaxLatency, filecount (rx: bytecount, errors, "
                             "filecount); All (default) means every one. The French names "
                             "and Tous are accepted too.")
    parser.add_argument("--totals", action="store_true",
                        help="One graphic per type for the clients/sources together (sums; "
                             "latency weighted by file count).")
    parser.add_argument("--turnOffLogging", action="store_true",
                        help="Do not write the log file.")
    parser.add_argument("-w", "--weekly", action="store_true",
                        help="Graphics of one week (7 days, or Sunday to Sunday when fixed).")
    parser.add_argument("-y", "--yearly", action="store_true",
                        help="Graphics of one year (365 days, or a calendar year when fixed).")
    add_root_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="Also log details on standard error.")
    return parser


def _span(text) -> int:
    try:
        span = int(str(text).strip())
    except ValueError:
        span = 0
    if span < 1:
        raise UserError("The timespan value needs to be an integer one above 0.")
    return span


def validate_options(args, default_language: str = "en") -> dict:
    """Checks that need no file, in the original's order (spec §3.2 steps 1-12)."""
    language = args.language if args.language is not None else default_language
    language = language.strip()
    if language not in i18n.LANGUAGES:
        raise UserError("The specified language is not currently supported. "
                        "Supported languages are : en, fr")
    period = chosen_period(args)
    if period and args.span is not None:
        raise UserError("When using the daily, the weekly or the yearly options "
                        "timespan cannot be specified.")
    if not period and (args.fixedPrevious or args.fixedCurrent):
        raise UserError("When using one of the fixed options, please use either "
                        "the -d -m -w or -y options.")
    if not period and args.copy:
        raise UserError("Copying can only be used with the -m -w or -y options.")
    if args.fixedPrevious and args.fixedCurrent:
        raise UserError("Please use only one of the fixed options, "
                        "either fixedPrevious or fixedCurrent.")
    if args.individual and args.totals:
        raise UserError("Cannot use the individual and the totals options at the same time.")
    date = date_option(args.date or None)
    span = _span(args.span) if args.span is not None else (None if period else 12)
    start, end, span = windows.graph_window(date, period, span, args.fixedCurrent,
                                            args.fixedPrevious)
    if span < 1:
        raise UserError("The timespan value needs to be an integer one above 0.")
    file_type = args.fileType.strip()
    if file_type not in schema.DATA_TYPES:
        raise UserError(f"File type must be either tx or rx. Specified file type was : "
                        f"{file_type}")
    clients = comma_words(args.clients)
    all_clients = not clients or is_all(clients[0])
    if args.havingRun and not all_clients:
        raise UserError("Cannot use the havingRun option while specifying client/source "
                        "names. To use havingRun, do not use -c|--client option.")
    machines = comma_words(args.machines) if args.machines is not None else [this_host()]
    check_names("machine", machines)
    check_names("client", [] if all_clients else clients)
    if not machines:
        raise UserError("no machine given")
    return dict(language=language, period=period, start=start, end=end, span=span,
                file_type=file_type, clients=None if all_clients else clients,
                machines=machines)


def data_types(text: str, file_type: str) -> tuple[str, ...]:
    valid = schema.DATA_TYPES[file_type]
    asked = [i18n.FROM_FRENCH_TYPES.get(t, t) for t in comma_words(text)]
    if not asked or is_all(asked[0]):
        return tuple(valid)
    bad = [t for t in asked if t not in valid]
    if bad:
        raise UserError(f"With {file_type} fileType, possible data types values are : "
                        f"{', '.join(valid)} (got {', '.join(bad)})")
    return tuple(dict.fromkeys(asked))


def build_request(args, paths, default_language: str = "en", groups=()) -> graphs.GraphRequest:
    """The whole validation (spec §3.2), raising UserError; reads databases but writes nothing."""
    o = validate_options(args, default_language)
    file_type, machines = o["file_type"], o["machines"]
    if o["clients"] is not None:
        clients = o["clients"]
        merger = graphs.REGULAR if args.totals else None
    elif args.totals or args.havingRun:
        clients = graphs.names_having_run(paths, file_type, schema.machines_name(machines),
                                          o["start"], groups)
        merger = graphs.TOTAL_FOR_MACHINE if args.totals else None
    else:
        clients = client_names(paths, file_type, machines[0])
        merger = None
    types = data_types(args.types, file_type)
    if not args.individual:
        machines = [schema.machines_name(machines)]
    if not clients:
        raise UserError("No client/sources were found that matched the specified parameters")
    if args.totals and len(clients) == 1:
        raise UserError("Cannot use totals option with only one client/source name.")
    return graphs.GraphRequest(file_type=file_type, data_types=types, clients=tuple(clients),
                               machines=tuple(machines), start=o["start"], end=o["end"],
                               span=o["span"], period=o["period"], language=o["language"],
                               copy=args.copy, totals=args.totals, merger=merger)


def main(argv=None, workers: int | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        paths = make_paths(args.root)
        language, groups = load_settings(paths)
        request = build_request(args, paths, language, groups)
        if args.turnOffLogging:
            logger = logging.getLogger("pxstats")
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()
            logger.addHandler(logging.NullHandler())     # and no last-resort stderr output
        else:
            setup_logging(paths, PROGRAM, args.verbose)
    except (UserError, ConfigError) as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        outcomes = graphs.produce(paths, request, workers=workers)
    except (schema.RRDError, OSError) as exc:
        return fail(PROGRAM, str(exc))
    plotted = graphs.TEXT[request.language]["plotted"]
    failed = 0
    for outcome in outcomes:
        if outcome.ok:
            print(f"{plotted} : {outcome.png}")
        else:
            failed += 1
            print(f"{PROGRAM}: error: Could not generate {outcome.png}: {outcome.message}",
                  file=sys.stderr)
        if outcome.ok and outcome.message:
            failed += 1
            print(f"{PROGRAM}: error: {outcome.message}", file=sys.stderr)
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
