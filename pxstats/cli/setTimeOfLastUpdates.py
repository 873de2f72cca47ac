"""setTimeOfLastUpdates: set the time of last update of pickles so the next pickleUpdater
run collects again from that hour."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions.times import set_times_of_last_updates
from pxstats.actions.viewers import NOT_AVAILABLE
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_date_option,
    add_root_option,
    check_names,
    comma_words,
    date_option,
    fail,
    make_paths,
    positional_or_option_date,
    setup_logging,
)
from pxstats.i18n import FILE_TYPES, is_all
from pxstats.util import timeutil

PROGRAM = "setTimeOfLastUpdates"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Write a date, rounded down to its hour, into every time-of-update file "
        "of <root>/data/picklesTimeOfUpdates/ that matches the filters, so that the "
        "next pickleUpdater run collects again from that hour.",
    )
    parser.add_argument(
        "date",
        nargs="?",
        metavar="DATE",
        help='New time of last update, "YYYY-MM-DD HH:MM:SS" UTC (also YYYY-MM-DD, '
        "YYYY-MM-DD HH or YYYY-MM-DD HH:MM, T for the space), rounded down "
        "to its hour.",
    )
    parser.add_argument(
        "-m",
        "--machine",
        "--machines",
        default=None,
        help="Only the files of this machine. Default: every machine.",
    )
    parser.add_argument(
        "-f",
        "--fileType",
        "--file-type",
        default=None,
        choices=FILE_TYPES,
        help="Only the files of this type, tx or rx. Default: both.",
    )
    parser.add_argument(
        "-c",
        "--clients",
        default=None,
        help="Only the files of these comma-separated clients or sources (All "
        "means every one). Default: every one.",
    )
    parser.add_argument(
        "--reset-pointers",
        action="store_true",
        help="Also delete the matching resume pointers of "
        "ROOT/data/logFileAccess/, so the logs are read from the top.",
    )
    add_date_option(parser)
    add_root_option(parser)
    return parser


def validated(args) -> dict:
    text = positional_or_option_date(args)
    if text is None:
        raise UserError("the following arguments are required: DATE")
    moment = date_option(text)
    try:  # a time of update in the future would stop collection until then
        timeutil.not_in_future(moment, "the date")
    except timeutil.BadDate as exc:
        raise UserError(str(exc)) from None
    machine = args.machine.strip() if args.machine is not None else None
    clients = None
    if args.clients is not None:
        clients = comma_words(args.clients)
        if not clients:
            raise UserError("no client given")
        if any(map(is_all, clients)):
            clients = None
    check_names("machine", [] if machine is None else [machine])
    check_names("client", clients or [])
    file_types = [args.fileType] if args.fileType else None
    return dict(moment=moment, machine=machine, clients=clients, file_types=file_types)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        options = validated(args)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        paths = make_paths(args.root)
        if not paths.times_of_updates.is_dir():
            raise UserError(f"no time-of-update folder {paths.times_of_updates}")
        setup_logging(paths, PROGRAM)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    report = set_times_of_last_updates(
        paths,
        options["moment"],
        options["file_types"],
        options["clients"],
        options["machine"],
        args.reset_pointers,
    )
    for path, old, new in report.changed:
        before = timeutil.iso(old) if old is not None else NOT_AVAILABLE
        print(f"set : {path} : {before} -> {timeutil.iso(new)}")
    for path in report.deleted:
        print(f"deleted : {path}")
    for message in report.errors:
        print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    if report.errors:
        return EXIT_FAILURE
    if not report.changed and not report.deleted:
        return fail(PROGRAM, "no time-of-update file matches; nothing changed", EXIT_FAILURE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
