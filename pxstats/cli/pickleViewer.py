"""pickleViewer: print the content of one hourly (or merged) statistics pickle."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pxstats.actions.viewers import collector_to_dict, format_collector
from pxstats.cli.common import (
    EXIT_FAILURE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    make_paths,
)
from pxstats.paths import NAME_MAX, check_name
from pxstats.store.pickles import PickleError, load_collector
from pxstats.util import atomic

PROGRAM = "pickleViewer"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Print the content of a statistics pickle: its header, then every bucket "
        "with its rows and statistics. Times are UTC.",
    )
    parser.add_argument(
        "pickle",
        metavar="PICKLE",
        help="Pickle file. A relative name that does not exist is also looked "
        "for under ROOT/data/pickles/, so satnet/20080430/tx/pds5_12 is "
        "enough.",
    )
    parser.add_argument(
        "output",
        metavar="OUTPUT",
        nargs="?",
        default=None,
        help="Write to this file (atomically) instead of the standard output; "
        "its folder must exist.",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="Print one JSON object instead of the human-readable dump.",
    )
    add_root_option(parser)
    return parser


def resolve(name: str, root_option: str | None) -> Path:
    """`name` itself, else <root>/data/pickles/<name> for a relative name found there."""
    path = Path(name)
    if any(len(os.fsencode(part)) > NAME_MAX for part in path.parts):
        raise UserError(f"the pickle name is too long: {name[:60]!r}...")
    if path.exists() or path.is_absolute():
        return path
    candidate = make_paths(root_option).pickles / path
    return candidate if candidate.exists() else path


def check_output(name: str) -> None:
    """The output goes in an existing folder: pickleViewer creates no folder."""
    output = Path(name)
    if not name.strip():
        raise UserError("the output file name is empty")
    if len(os.fsencode(output.name)) > NAME_MAX:
        raise UserError(f"the output file name is too long: {output.name[:60]!r}...")
    try:
        check_name("output file", output.name)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not output.parent.is_dir():
        raise UserError(
            f"the folder {output.parent} of the output does not exist "
            "(pickleViewer creates no folder)"
        )
    if output.is_dir():
        raise UserError(f"the output {output} is a folder")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.output is not None:
            check_output(args.output)
        path = resolve(args.pickle, args.root)
        collector = load_collector(path)
    except (UserError, PickleError) as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    if args.json:
        text = json.dumps(collector_to_dict(collector, str(path)), indent=1) + "\n"
    else:
        text = format_collector(collector, str(path))
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        atomic.write_text(args.output, text)
    except OSError as exc:
        return fail(PROGRAM, f"cannot write {args.output}: {exc.strerror or exc}", EXIT_FAILURE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
