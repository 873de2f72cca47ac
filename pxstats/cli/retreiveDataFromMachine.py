"""retreiveDataFromMachine (alias retrieveDataFromMachine): rebuild this installation's data
from another pxStats machine."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import sync
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    make_context,
    setup_logging,
)
from pxstats.config import ConfigError
from pxstats.paths import this_host

PROGRAM = "retreiveDataFromMachine"


def build_parser(prog: str = PROGRAM) -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=prog,
        description="Make this installation a copy of another pxStats machine's: its data "
        "folders monitoring, graphics, pickles, mergedPickles, "
        "picklesTimeOfUpdates and the four databases folders are copied with "
        "rsync --delete-before, pass after pass until a pass changes nothing (at "
        "most 10). When etc/config makes this host the pickling machine of source "
        "machines, their Sundew logs are first mirrored straight from them into "
        "ROOT/data/logFiles/. The transfer can take hours; stop the crontabs of "
        "both machines while it runs, and run it again if time passes before "
        "cron is started.",
    )
    parser.add_argument("login", help="ssh login on the other machine.")
    parser.add_argument("machine", help="The pxStats machine to copy from.")
    add_root_option(parser)
    return parser


def main(argv=None, prog: str = PROGRAM) -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        host = sync.Host(args.machine, args.login)
    except sync.BadName as exc:
        return fail(prog, str(exc), EXIT_USAGE)
    try:
        context = make_context(args.root)
        paths = context.paths
        setup_logging(paths, PROGRAM)
        config = context.config
        sources = sync.sources_pickled_by(config, this_host()) if config is not None else []
    except (UserError, ConfigError, sync.BadName) as exc:  # UserError is a ValueError
        return fail(prog, str(exc), EXIT_FAILURE)
    except ValueError as exc:
        return fail(prog, f"{paths.config_file}: {exc}", EXIT_FAILURE)
    try:
        remote = sync.SyncContext.open(paths)
    except sync.RemoteError as exc:
        return fail(prog, str(exc), EXIT_FAILURE)
    with remote:
        outcomes = sync.run(remote, sync.RetrieveInstallation(host, tuple(sources)))
    for outcome in outcomes:
        if outcome.ok:
            print(
                outcome.line()
                if not outcome.skipped
                else f"{outcome.machine}: {outcome.step}: {outcome.message}"
            )
        else:
            print(f"{prog}: error: {outcome.line()}", file=sys.stderr)
    return EXIT_FAILURE if any(not o.ok for o in outcomes) else 0


def alias_main(argv=None) -> int:
    """retrieveDataFromMachine: the same program under its correctly spelt name."""
    return main(argv, prog="retrieveDataFromMachine")


if __name__ == "__main__":
    sys.exit(main())
