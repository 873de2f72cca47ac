"""fileVersionsAndAccessCleaners: delete the file versions and resume pointers of machines
that are no longer configured."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import access_cleaner
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    load_config_file,
    make_paths,
)

PROGRAM = "fileVersionsAndAccessCleaners"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Delete the files of data/fileAccessVersions/ and data/logFileAccess/ "
        "whose names do not end with _<machine> for a machine of a source tag or group of "
        "ROOT/etc/config (or their combination), or this host.",
    )
    parser.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="List what would be deleted; delete nothing.",
    )
    add_root_option(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        paths = make_paths(args.root)
        config = load_config_file(paths)
        if config is None:
            raise UserError(f"{paths.config_file} not found: the active machines are its tags'")
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    report = access_cleaner.clean(paths, config, args.dry_run)
    for path in report.deleted:
        print(f"{'would delete' if args.dry_run else 'deleted'} {path}")
    for error in report.errors:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
    return EXIT_FAILURE if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
