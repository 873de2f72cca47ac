"""pickleCleaner: delete the date folders of pickles older than the days to keep."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions.cleaners import DEFAULT_DAYS_TO_KEEP, clean_pickles
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    date_option,
    fail,
    make_paths,
    setup_logging,
)
from pxstats.util import timeutil

PROGRAM = "pickleCleaner"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Under every <name>/ of <root>/data/pickles/, data/mergedPickles/clients/ "
        "and data/mergedPickles/groups/, keep the YYYYMMDD folders of today and of "
        "the daysToKeep-1 previous days (UTC) and delete older ones. Entries that "
        "are not date folders are left alone with a warning.",
    )
    parser.add_argument(
        "days",
        metavar="daysToKeep",
        nargs="?",
        default=str(DEFAULT_DAYS_TO_KEEP),
        help="Number of days kept, today included; an integer from 1 to 36600. "
        f"Default: {DEFAULT_DAYS_TO_KEEP}.",
    )
    parser.add_argument(
        "-d",
        "--date",
        default=None,
        help='What "today" is, "YYYY-MM-DD HH:MM:SS" UTC, at most a day after now. Default: now.',
    )
    add_root_option(parser)
    return parser


MAX_DAYS = 36600  # a hundred years


def validated(args) -> dict:
    try:
        days = int(args.days.strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise UserError(f"daysToKeep must be an integer from 1 to {MAX_DAYS} (got {args.days!r})")
    if args.date is not None and not args.date.strip():
        raise UserError("the date is empty; give a date, or leave -d out for now")
    today = date_option(args.date)
    if today > timeutil.now() + timeutil.DAY:
        raise UserError(
            f"the date {timeutil.iso(today)} is more than a day in the future: "
            "it would delete the pickles of days still to keep"
        )
    return dict(days=days, today=today)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        options = validated(args)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        paths = make_paths(args.root)
        if not paths.data.is_dir():
            raise UserError(f"no data folder {paths.data}")
        setup_logging(paths, PROGRAM)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    report = clean_pickles(paths, options["today"], options["days"])
    for path in report.deleted:
        print(f"deleted : {path}")
    for message in report.warnings:
        print(f"{PROGRAM}: warning: {message}", file=sys.stderr)
    for message in report.errors:
        print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    return EXIT_FAILURE if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
