"""csvDataFiltersForWebPages: cost columns, totals and means for a CSV of csvDataConversion
(spec graphics_web.md §4.7.2)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from pxstats.actions import csv_filter
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

PROGRAM = "csvDataFiltersForWebPages"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Add to a CSV file of csvDataConversion the cost columns (40 % of COST "
        "shared by bytes, 60 % by files), a line of totals and a line of means; "
        "group lines are left out of both. The file is replaced in place.",
    )
    parser.add_argument(
        "-f", "--fileName", default=None, help="The CSV file to rewrite (required, must exist)."
    )
    parser.add_argument(
        "-c",
        "--cost",
        default=None,
        help="Operational cost of the period, a number above 0 (required).",
    )
    add_root_option(parser)
    return parser


def _is_file(name: str) -> bool:
    try:
        return Path(name).is_file()
    except OSError:  # e.g. a name too long
        return False


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if not args.fileName or not _is_file(args.fileName):
            raise UserError("An existing file name MUST be specified.")
        try:
            cost = float(args.cost) if args.cost is not None else 0.0
        except ValueError:
            cost = 0.0
        if not (cost > 0 and math.isfinite(cost)):
            raise UserError("You MUST specify a cost value above 0.")
        config = load_config_file(make_paths(args.root))
        groups = tuple(g.name for g in config.groups) if config else ()
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        path = csv_filter.run(csv_filter.Request(Path(args.fileName), cost, groups))
    except csv_filter.FilterError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    except OSError as exc:
        return fail(PROGRAM, f"cannot rewrite {args.fileName}: {exc.strerror or exc}", EXIT_FAILURE)
    print(f"filtered : {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
