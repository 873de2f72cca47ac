"""generateRRDGraphics: daily, weekly, monthly, yearly or custom-span graphics from the RRD
archive, per client/source or as totals (spec rrd.md §3)."""

from __future__ import annotations

import argparse
import logging
import sys

from pxstats.actions import known, rrd_graphics
from pxstats.actions.errors import RequestError
from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_fixed_options,
    add_root_option,
    asked_periods,
    comma_words,
    fail,
    load_settings,
    make_context,
    setup_logging,
)
from pxstats.config import ConfigError
from pxstats.rrd import schema

PROGRAM = "generateRRDGraphics"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Draw graphics of the per-minute statistics stored in the RRD archive: "
        "one PNG per client (or source), machine set and data type, or the totals "
        "of several clients.",
    )
    parser.add_argument(
        "-c",
        "--clients",
        default="ALL",
        help="Comma-separated clients (tx) or sources (rx). ALL (default) means "
        "the ones configured on the first machine, or, with --totals or "
        "--havingRun, the ones whose databases were updated during the "
        "period.",
    )
    parser.add_argument(
        "--copy",
        action="store_true",
        help="Also copy each graphic into the web archive (with -d, -w, -m or "
        "-y), see FILES in the manual page.",
    )
    parser.add_argument("-d", "--daily", action="store_true", help="Graphics of one day.")
    parser.add_argument(
        "--date",
        default=None,
        help='End of the graphics, "YYYY-MM-DD HH:MM:SS" UTC, rounded down to '
        "the hour. Default: now.",
    )
    parser.add_argument(
        "-f",
        "--fileType",
        "--file-type",
        default="tx",
        help="Clients (tx, default) or sources (rx).",
    )
    add_fixed_options(parser)
    parser.add_argument(
        "--havingRun",
        action="store_true",
        help="With -c ALL: only the clients/sources whose databases were "
        "updated during the period. Configured group names "
        "([specialGroups] of ROOT/etc/config) are left out.",
    )
    parser.add_argument(
        "-i",
        "--individual",
        action="store_true",
        help="One graphic per machine instead of one for the machines together.",
    )
    parser.add_argument(
        "-l",
        "--language",
        default=None,
        help="Language of the graphics and of their file names, en or fr. "
        "Default: mainApplicationLanguage of ROOT/etc/config, else en.",
    )
    parser.add_argument(
        "-m",
        "--monthly",
        action="store_true",
        help="Graphics of one month (30 days, or a calendar month when fixed). "
        "Monthly graphics label the days of the month.",
    )
    parser.add_argument(
        "--machines",
        default=None,
        help="Comma-separated machines whose data were combined (default: this host).",
    )
    parser.add_argument(
        "-s",
        "--span",
        default=None,
        help="Length of the graphics in hours when no period option is given (default: 12).",
    )
    parser.add_argument(
        "-t",
        "--types",
        default="All",
        help="Comma-separated data types: latency, bytecount, errors, "
        "filesOverMaxLatency, filecount (rx: bytecount, errors, "
        "filecount); All (default) means every one. The French names "
        "and Tous are accepted too.",
    )
    parser.add_argument(
        "--totals",
        action="store_true",
        help="One graphic per type for the clients/sources together (sums; "
        "latency weighted by file count).",
    )
    parser.add_argument("--turnOffLogging", action="store_true", help="Do not write the log file.")
    parser.add_argument(
        "-w",
        "--weekly",
        action="store_true",
        help="Graphics of one week (7 days, or Sunday to Sunday when fixed).",
    )
    parser.add_argument(
        "-y",
        "--yearly",
        action="store_true",
        help="Graphics of one year (365 days, or a calendar year when fixed).",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def options_from(args) -> rrd_graphics.RRDGraphicsOptions:
    """The parsed command line as the action's typed options."""
    return rrd_graphics.RRDGraphicsOptions(
        clients=tuple(comma_words(args.clients)),
        copy=args.copy,
        periods=asked_periods(args),
        date=args.date,
        file_type=args.fileType,
        fixed_previous=args.fixedPrevious,
        fixed_current=args.fixedCurrent,
        having_run=args.havingRun,
        individual=args.individual,
        language=args.language,
        machines=tuple(comma_words(args.machines)) if args.machines is not None else None,
        span=args.span,
        types=tuple(comma_words(args.types)),
        totals=args.totals,
    )


def build_request(
    args, paths, default_language: str = "en", groups=()
) -> rrd_graphics.GraphRequest:
    """The whole validation (spec §3.2), by the action; raises RequestError."""
    return rrd_graphics.build_request(options_from(args), paths, default_language, groups)


def main(argv=None, workers: int | None = None, pipe_mode: bool = True) -> int:
    """The command; `workers` and `pipe_mode` (False: one `rrdtool graph` child per graphic)
    are for the benchmarks."""
    args = build_parser().parse_args(argv)
    try:
        context = make_context(args.root)
        paths = context.paths
        language, groups = load_settings(context)
        request = build_request(args, paths, language, groups)
        if args.turnOffLogging:
            logger = logging.getLogger("pxstats")
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()
            logger.addHandler(logging.NullHandler())  # and no last-resort stderr output
        else:
            setup_logging(paths, PROGRAM, args.verbose)
    except known.UnknownName as exc:  # well formed, but no such name: 1
        return fail(PROGRAM, str(exc))
    except (UserError, RequestError, ConfigError) as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        outcomes = rrd_graphics.produce(paths, request, workers=workers, pipe_mode=pipe_mode)
    except (schema.RRDError, OSError) as exc:
        return fail(PROGRAM, str(exc))
    plotted = rrd_graphics.plotted_word(request.language)
    failed = 0
    for outcome in outcomes:
        if outcome.ok:
            print(f"{plotted} : {outcome.png}")
        else:
            failed += 1
            print(
                f"{PROGRAM}: error: Could not generate {outcome.png}: {outcome.message}",
                file=sys.stderr,
            )
        if outcome.ok and outcome.message:
            failed += 1
            print(f"{PROGRAM}: error: {outcome.message}", file=sys.stderr)
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
