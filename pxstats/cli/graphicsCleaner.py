"""graphicsCleaner: delete the on-demand graphics of data/graphics/others/ older than the
days kept (daysOfGraphicsToKeep of etc/config, or --days)."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import graphics_cleaner
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    make_context,
    one_line,
    setup_logging,
    whole_number,
)
from pxstats.config import MAX_DAYS_TO_KEEP
from pxstats.util import timeutil

PROGRAM = "graphicsCleaner"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Delete the PNG files generateGraphics and generateRRDGraphics leave "
        "under ROOT/data/graphics/others/{gnuplot,rrd}/<name>/ (autres/ in French) when "
        "they were modified more than the days kept ago, and the name folders emptied so. "
        "Other files, symbolic links and the graphics of the web pages are never touched.",
    )
    parser.add_argument(
        "--days",
        metavar="N",
        type=whole_number(1, MAX_DAYS_TO_KEEP),
        default=None,
        help=f"Days kept, a whole number from 1 to {MAX_DAYS_TO_KEEP}. Default: "
        "daysOfGraphicsToKeep of ROOT/etc/config, else "
        f"{graphics_cleaner.DEFAULT_DAYS_TO_KEEP}.",
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
        context = make_context(args.root)
        paths = context.paths
        if not paths.data.is_dir():
            raise UserError(f"no data folder {paths.data}")
        config = context.config
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    days = args.days
    if days is None:
        days = (
            config.general.days_of_graphics_to_keep
            if config is not None
            else graphics_cleaner.DEFAULT_DAYS_TO_KEEP
        )
    try:
        if not args.dry_run:
            setup_logging(paths, PROGRAM)
        request = graphics_cleaner.Request(days=days, dry_run=args.dry_run)
        report = graphics_cleaner.clean(paths, request)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    verb = "would delete" if args.dry_run else "deleted"
    for path in report.deleted:
        print(f"{verb} {one_line(str(path))}")
    for path in report.removed_folders:
        print(f"{'would remove' if args.dry_run else 'removed'} {one_line(str(path))}/")
    print(
        f"{len(report.deleted)} graphic(s) {'to delete' if args.dry_run else 'deleted'}, "
        f"{len(report.kept)} kept (modified since {timeutil.iso(report.cutoff)}, "
        f"{days} day(s))"
    )
    for error in report.errors:
        print(f"{PROGRAM}: error: {one_line(error)}", file=sys.stderr)
    return EXIT_FAILURE if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
