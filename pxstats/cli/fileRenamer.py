"""fileRenamer: rename the stored files of a client, group or machine."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import renamer
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    make_paths,
)

PROGRAM = "fileRenamer"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Rename the pickles, times of update, resume pointers, databases and "
        "file versions of a client, group or machine whose name changed. Each file is "
        "renamed atomically; a run stopped midway is finished by running it again.",
    )
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("-c", "--clientNames", action="store_true", help="Rename a client or source.")
    kind.add_argument("-g", "--groupNames", action="store_true", help="Rename a group.")
    kind.add_argument(
        "-m",
        "--machineNames",
        action="store_true",
        help="Rename a machine, or a combination of machines (m1,m2).",
    )
    parser.add_argument("-o", "--oldValue", required=True, help="The old name.")
    parser.add_argument("-n", "--newValue", required=True, help="The new name.")
    parser.add_argument(
        "--overrideConfirmation",
        action="store_true",
        help="Do not ask for a confirmation (y/n) before renaming.",
    )
    add_root_option(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    kind = "client" if args.clientNames else "group" if args.groupNames else "machine"
    try:
        request = renamer.rename_request(kind, args.oldValue, args.newValue)
        paths = make_paths(args.root)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    if not args.overrideConfirmation:
        question = f"Rename the files of {kind} {request.old} to {request.new}? (y/n) "
        while True:
            answer = input(question).strip().lower()
            if answer in ("y", "n"):
                break
        if answer == "n":
            print("Nothing renamed.")
            return 0
    outcome = renamer.run(paths, request)
    for source, target in outcome.renamed:
        print(f"{source} -> {target}")
    for path in outcome.conflicts:
        print(f"{PROGRAM}: error: {path}: its new name exists already; left", file=sys.stderr)
    return EXIT_FAILURE if outcome.conflicts else 0


if __name__ == "__main__":
    sys.exit(main())
