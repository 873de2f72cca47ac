"""recollectData: rebuild the hourly pickles of a past period from the logs, non-interactively."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import known, recollect
from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    comma_words,
    fail,
    make_paths,
    setup_logging,
    whole_number,
)
from pxstats.paths import this_host
from pxstats.util import timeutil

PROGRAM = "recollectData"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Rebuild the hourly pickles of every hour between two dates from the log "
        "files still on disk. Times of last update are left as they are.",
    )
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="DATE",
        help='First hour to rebuild, "YYYY-MM-DD HH:MM:SS" UTC, rounded down to the hour.',
    )
    parser.add_argument(
        "--to",
        "--date",
        dest="end",
        required=True,
        metavar="DATE",
        help='End of the period (exclusive), "YYYY-MM-DD HH:MM:SS" UTC '
        "rounded down to the minute, or now (the current minute); must "
        "be later than --from.",
    )
    parser.add_argument(
        "-m",
        "--machines",
        default=None,
        help="Comma-separated machines whose logs are read. Default: this host.",
    )
    parser.add_argument(
        "-f",
        "--fileType",
        "--file-type",
        default="both",
        choices=("tx", "rx", "both"),
        help="Which logs to read: tx, rx or both. Default: both.",
    )
    parser.add_argument(
        "-c",
        "--clients",
        default="All",
        help="Comma-separated clients (tx) or sources (rx); All (default) "
        "means every one of each machine.",
    )
    parser.add_argument(
        "-i",
        "--interval",
        type=whole_number(1, 60),
        default=1,
        help="Bucket width in minutes, 1 to 60; must divide 60. Default: 1.",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def _date(text: str, what: str) -> int:
    if text.strip().lower() == "now":
        return timeutil.minute_start(timeutil.now())
    try:
        return timeutil.parse_user_date(text)
    except timeutil.BadDate:
        raise UserError(f"{what}: the date format must be {timeutil.DATE_FORMS}") from None


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        request = recollect.recollect_request(
            _date(args.start, "--from"),
            _date(args.end, "--to"),
            comma_words(args.machines or this_host()),
            args.fileType,
            comma_words(args.clients),
            args.interval,
        )
        paths = make_paths(args.root)
        setup_logging(paths, PROGRAM, args.verbose)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    failures = total = 0
    try:
        outcomes = list(recollect.run(paths, request))
    except known.UnknownName as exc:
        return fail(PROGRAM, str(exc))
    except OSError as exc:  # e.g. a name too long for a file name
        return fail(PROGRAM, f"{exc.filename}: {exc.strerror or exc}")
    for outcome in outcomes:
        where = f"{outcome.file_type} {outcome.client} {outcome.machine}"
        if not outcome.ok:
            failures += 1
            print(
                f"{PROGRAM}: error: {outcome.file_type} {outcome.client} of {outcome.machine}: "
                f"{outcome.message}",
                file=sys.stderr,
            )
            continue
        total += len(outcome.pickles)
        print(f"{where}: {len(outcome.pickles)} pickle(s) rebuilt")
    print(
        f"{total} pickle(s) rebuilt from {timeutil.iso(request.start)} to "
        f"{timeutil.iso(request.end)}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
