"""pickleUpdater: turn Sundew tx/rx logs into hourly statistics pickles."""

from __future__ import annotations

import argparse
import sys

from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    comma_words,
    date_option,
    exit_now,
    fail,
    make_paths,
    setup_logging,
    whole_number,
)
from pxstats.paths import this_host
from pxstats.util import timeutil

PROGRAM = "pickleUpdater"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Collect the statistics of Sundew tx/rx log files into hourly pickles, "
        "catching up every hour since the last update.",
    )
    parser.add_argument(
        "-c",
        "--clients",
        default="All",
        help="Comma-separated clients (tx) or sources (rx). All (default) means "
        "every one of the machine: the *.conf names of Sundew's "
        "configuration (this host) or of its copy in "
        "ROOT/etc/pxConfigFiles/, else the names of the machine's log files.",
    )
    parser.add_argument(
        "-d",
        "--date",
        default=None,
        help='Time of the call, "YYYY-MM-DD HH:MM:SS" UTC (also YYYY-MM-DD, '
        "YYYY-MM-DD HH or YYYY-MM-DD HH:MM, T for the space). Data is "
        "collected up to the start of its hour. Default: now.",
    )
    parser.add_argument(
        "-i",
        "--interval",
        type=whole_number(1, 60),
        default=1,
        help="Bucket width in minutes, 1 to 60; must divide 60. Default: 1.",
    )
    parser.add_argument(
        "-f",
        "--fileType",
        "--file-type",
        default="tx",
        help="Which logs to read: tx (default) or rx.",
    )
    parser.add_argument(
        "-m",
        "--machine",
        "--machines",
        default=None,
        help="Machine whose logs are read. Default: this host.",
    )
    parser.add_argument(
        "-n",
        "--now",
        action="store_true",
        help="Collect up to the current minute of DATE instead of the start of "
        "its hour. The partial hour is rebuilt completely by the next run.",
    )
    parser.add_argument(
        "-t",
        "--types",
        default="All",
        help="Comma-separated statistics among errors, latency (tx only) and "
        "bytecount; All (default) means all of them. The French names "
        "erreurs, latence, nbreDeBytes and Tous are accepted too.",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def request_from(args):
    """The checked actions.update.UpdateRequest of the options (one UserError line when one
    is wrong)."""
    from pxstats.actions import update  # not for --help: numpy and the scanner are heavy

    moment = date_option(args.date)
    until = timeutil.minute_start(moment) if args.now else timeutil.hour_start(moment)
    return update.update_request(
        until,
        args.fileType,
        (args.machine or this_host()).replace(" ", ""),
        comma_words(args.clients),
        comma_words(args.types),
        args.interval,
    )


def main(argv=None) -> int:
    """pickleUpdater. Without `argv` (the console script, `python -m`) the process ends here
    once done, without Python's teardown (common.exit_now): it runs every hour, and the
    teardown is a tenth of a small run. With `argv` (tests, callers) it returns the status."""
    status = collect(argv)
    if argv is None:
        exit_now(status)
    return status


def collect(argv) -> int:
    args = build_parser().parse_args(argv)
    from pxstats.actions import known, update  # after --help and usage errors (see request_from)

    try:
        request = request_from(args)
        paths = make_paths(args.root)
        setup_logging(paths, PROGRAM, args.verbose)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        outcomes = update.run(paths, request)
    except known.UnknownName as exc:
        return fail(PROGRAM, str(exc))
    except OSError as exc:  # e.g. a name too long for a file name
        return fail(PROGRAM, f"{exc.filename}: {exc.strerror or exc}")
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed:
        print(f"{PROGRAM}: error: {outcome.message}", file=sys.stderr)
    if args.verbose and not outcomes:
        print(
            f"{PROGRAM}: nothing to do: {request.machine} has no {request.file_type} log and "
            f"no {known.KIND[request.file_type]} configured",
            file=sys.stderr,
        )
    elif args.verbose and all(o.status == "up-to-date" for o in outcomes):
        print(
            f"{PROGRAM}: nothing to do: every {known.KIND[request.file_type]} of "
            f"{request.machine} is collected up to {timeutil.iso(request.until)}",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
