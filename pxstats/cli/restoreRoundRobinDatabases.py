"""restoreRoundRobinDatabases: put a dated backup of the RRD archive back in place."""

from __future__ import annotations

import argparse
import sys

from pxstats import config as _config
from pxstats.actions import backup
from pxstats.cli.backupRRDDatabases import keep_from_config, warn_future
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_date_option,
    add_root_option,
    fail,
    make_context,
    positional_or_option_date,
    setup_logging,
)
from pxstats.util import timeutil

PROGRAM = "restoreRoundRobinDatabases"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Replace the RRD databases and their times of update by a backup of "
        "backupRRDDatabases, after checking it and backing up the current state.",
    )
    parser.add_argument(
        "date",
        nargs="?",
        metavar="DATE",
        help='The backup to restore, "YYYY-MM-DD HH:MM:SS" UTC, the seconds as in '
        "its tag YYYY-MM-DD_HH:MM:SS (the tag itself is accepted too); "
        "required.",
    )
    add_date_option(parser)
    parser.add_argument(
        "--without-manifest",
        action="store_true",
        help="Also accept a backup that has no manifest (made before pxStats "
        "wrote manifests): its completeness cannot be checked, only that "
        "it is not empty and that every file in it is readable.",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.date = positional_or_option_date(args)
        if not args.date:
            raise UserError("You must specify a date.")
        try:
            tag = backup.tag_from_iso(args.date)
        except timeutil.BadDate:
            raise UserError("Date must be of the following format YYYY-MM-DD HH:MM:SS") from None
        context = make_context(args.root)
        paths = context.paths
        keep = keep_from_config(context)
        setup_logging(paths, PROGRAM, args.verbose)
    except (UserError, _config.ConfigError) as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        saved = backup.restore(
            paths, tag, timeutil.now(), keep, require_manifest=not args.without_manifest
        )
    except backup.BackupError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    print(f"restored {tag}; the previous state is backup {saved.tag}")
    warn_future(PROGRAM, saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
