"""picklesTimeOfUpdatesViewer: list the time of last update of every (fileType, client, machine)."""

from __future__ import annotations

import argparse
import json
import sys

from pxstats.actions.viewers import format_times_box, times_of_updates, times_to_dict
from pxstats.cli.common import (
    EXIT_FAILURE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    make_paths,
)
from pxstats.paths import this_host
from pxstats.util import timeutil

PROGRAM = "picklesTimeOfUpdatesViewer"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="List the files of <root>/data/picklesTimeOfUpdates/ sorted by name with "
        "the time each holds (the first hour not yet collected, UTC) in a "
        "70-column box; 'Not available.' for a file that cannot be read.",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="Print one JSON object instead: file name -> time, null when unreadable.",
    )
    add_root_option(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        paths = make_paths(args.root)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    folder = paths.times_of_updates
    try:
        entries = times_of_updates(paths)
    except FileNotFoundError:
        return fail(PROGRAM, f"no time-of-update folder {folder}", EXIT_FAILURE)
    except OSError as exc:
        return fail(PROGRAM, f"cannot list {folder}: {exc.strerror or exc}", EXIT_FAILURE)
    if args.json:
        print(json.dumps(times_to_dict(entries), indent=1))
    else:
        sys.stdout.write(format_times_box(entries, timeutil.now(), this_host()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
