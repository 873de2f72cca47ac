"""cleanDir (clean_dir): delete old files by the rules of etc/clean_dir.conf."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import clean_dir
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    make_paths,
)

PROGRAM = "cleanDir"


def build_parser(prog: str = PROGRAM) -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=prog,
        description="Delete the regular files older than each rule's age whose names match "
        "its pattern, in the folders of a clean_dir.conf file (the whole tree with yes). "
        "Folders are never deleted nor left.",
    )
    parser.add_argument(
        "config",
        metavar="CONFIG",
        nargs="?",
        default=None,
        help="The rules file. Default: ROOT/etc/clean_dir.conf.",
    )
    parser.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="List what would be deleted; delete nothing, write no log.",
    )
    add_root_option(parser)
    return parser


def main(argv=None, prog: str = PROGRAM) -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        paths = make_paths(args.root)
        conf = args.config or paths.etc / "clean_dir.conf"
        report = clean_dir.clean(conf, paths.logs, dry_run=args.dry_run)
    except UserError as exc:
        return fail(prog, str(exc), EXIT_USAGE)
    for path in report.deleted:
        print(f"{'would delete' if args.dry_run else 'deleted'} {path}")
    for error in report.errors:
        print(f"{prog}: error: {error}", file=sys.stderr)
    return EXIT_FAILURE if report.errors else 0


def alias_main(argv=None) -> int:
    """clean_dir, the name of the original's script."""
    return main(argv, "clean_dir")


if __name__ == "__main__":
    sys.exit(main())
