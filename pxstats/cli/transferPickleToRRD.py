"""transferPickleToRRD: append the per-minute statistics of hourly pickles to the RRD archive."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import known, transfer
from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    comma_words,
    date_option,
    fail,
    make_paths,
    setup_logging,
)
from pxstats.paths import this_host
from pxstats.util import timeutil

PROGRAM = "transferPickleToRRD"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Append the per-minute statistics of the hourly pickles to the RRD "
        "databases (ten-year archive), from each database's last update up to "
        "the end hour.",
    )
    parser.add_argument(
        "-c",
        "--clients",
        default="ALL",
        help="Comma-separated clients (tx) or sources (rx); * and ? wildcards "
        "are allowed and match the names having pickles of that file type "
        "on the machines in the 1000 hours before the end. ALL (default; "
        "TOUS too, in any case) means every name having pickles on the "
        "machines for the hours to transfer: the tx names, then the rx "
        "names.",
    )
    parser.add_argument(
        "-e",
        "--end",
        "--date",
        default=None,
        help='End of the transfer, "YYYY-MM-DD HH:MM:SS" UTC, rounded down to '
        "the hour. Default: now. An end in the future is brought back to "
        "the current hour.",
    )
    parser.add_argument(
        "-f",
        "--fileTypes",
        "--file-type",
        default="",
        help="Comma-separated tx or rx, one per client or one for all of them. "
        "Required with -c, refused with ALL.",
    )
    parser.add_argument(
        "-g",
        "--group",
        default="",
        help="Transfer the clients of -c as one group of this name. All the "
        "members must have the same file type.",
    )
    parser.add_argument(
        "-m",
        "--machines",
        default=None,
        help="Comma-separated machines whose pickles are combined. Default: this host.",
    )
    parser.add_argument(
        "-p",
        "--products",
        default="ALL",
        help="Comma-separated product patterns counted in a group; only with "
        "-g. A pattern without a wildcard at an end matches anywhere in "
        "the name (SA means *SA*); matching is case-sensitive. Default: "
        "ALL.",
    )
    parser.add_argument(
        "--processes",
        default="5",
        metavar="N",
        help="Number of clients transferred at the same time (worker "
        "processes), 1 to 64. Default: 5.",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def request_from(args) -> transfer.TransferRequest:
    """The checked request of the options (one UserError line when one is wrong)."""
    end = date_option(args.end, f"Error. The endind date format must be {timeutil.DATE_FORMS}")
    try:
        processes = int(args.processes)
    except ValueError:
        processes = 0
    machines = comma_words(args.machines) if args.machines is not None else [this_host()]
    return transfer.transfer_request(
        end,
        comma_words(args.clients),
        comma_words(args.fileTypes),
        machines,
        args.group,
        comma_words(args.products),
        processes,
    )


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        request = request_from(args)
        paths = make_paths(args.root)
        setup_logging(paths, PROGRAM, args.verbose)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        outcomes = transfer.run(paths, request)
    except known.UnknownName as exc:
        return fail(PROGRAM, str(exc))
    except KeyboardInterrupt:
        return fail(PROGRAM, "interrupted", 130)
    except OSError as exc:
        return fail(PROGRAM, f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    for outcome in outcomes:
        if outcome.status == "skipped":
            print(f"{PROGRAM}: warning: {outcome.task.label}: {outcome.message}", file=sys.stderr)
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed:
        print(f"{PROGRAM}: error: {outcome.task.label}: {outcome.message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
