"""pickleSynchroniser: pull the pickles of pickling machines into this machine's tree."""

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

PROGRAM = "pickleSynchroniser"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Copy the hourly pickles made on other machines (remote pickling "
        "machines) into ROOT/data/pickles/ with rsync over ssh, in one pass. Each "
        "file appears whole (rsync writes a temporary name and renames it). Each "
        "machine's root is asked to the machine itself (/etc/pxStats/pxStats.conf, "
        "else STATSROOT in its ssh environment, else /apps/px/pxStats/). ssh uses "
        "ROOT/etc/ssh_config and ROOT/etc/known_hosts when they exist, in batch "
        "mode with strict host key checking.",
    )
    parser.add_argument(
        "-c",
        "--clients",
        default="All",
        help="Comma-separated clients whose pickles are copied; All (default) "
        "copies the whole pickle tree.",
    )
    parser.add_argument(
        "-l",
        "--logins",
        default="",
        help="Comma-separated ssh logins: one for every machine, or one per "
        "machine in the order of --machines. Default: the login of each "
        "machine in etc/configForMachines, else ssh's own default.",
    )
    parser.add_argument(
        "-m",
        "--machines",
        default=None,
        help="Comma-separated machines to copy from. Default: this host.",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="Log to ROOT/data/logs/stats_OUTPUT.log instead of "
        "ROOT/data/logs/pickleSynchroniser.log.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="Print a line for every machine, not only for failures, and log details.",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="Also delete local pickles that the machine no longer has, only "
        "in the date folders of the last daysOfPicklesToKeep days and only "
        "for the source machines paired with that pickling machine, both "
        "read from etc/config (required).",
    )
    add_root_option(parser)
    return parser


def _items(text: str) -> list[str]:
    """Items of a comma list, stripped; a space inside a name is refused later, not removed."""
    return [item.strip() for item in text.split(",") if item.strip()]


def validated(args) -> dict:
    try:
        machines = _items(args.machines) if args.machines is not None else [this_host()]
        logins = _items(args.logins)
        clients = _items(args.clients)
        if not machines:
            raise UserError("no machine given")
        if not clients:
            raise UserError("no client given")
        if len(logins) > 1 and len(logins) != len(machines):
            raise UserError(
                f"{len(logins)} logins for {len(machines)} machines: give one "
                "login for all machines or one per machine"
            )
        for machine in machines:
            sync.check_name("machine", machine)
        for login in logins:
            sync.check_name("login", login)
        if clients != ["All"]:
            for client in clients:
                sync.check_name("client", client)
        if args.output is not None:
            sync.check_name("output", args.output)
    except sync.BadName as exc:
        raise UserError(str(exc)) from None
    return {"machines": machines, "logins": logins, "clients": tuple(clients)}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        options = validated(args)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        context = make_context(args.root)
        paths = context.paths
        setup_logging(paths, f"stats_{args.output}" if args.output else PROGRAM, args.verbose)
        config = context.config if (args.delete or not options["logins"]) else None
        if args.delete and config is None:
            raise UserError(
                f"--delete needs {paths.config_file} (which machines' pickles "
                "each pickling machine makes)"
            )
        requests = []
        for index, machine in enumerate(options["machines"]):
            logins = options["logins"]
            login = (
                logins[index]
                if len(logins) > 1
                else logins[0]
                if logins
                else config.machines.login_of(machine)
                if config
                else ""
            )
            delete = {}
            if args.delete:
                try:
                    pairs = sync.machine_pairs(config)
                except ValueError as exc:
                    raise UserError(f"{paths.config_file}: {exc}") from None
                delete = {
                    "delete_days": config.general.days_of_pickles_to_keep,
                    "delete_machines": tuple(s.machine for s, p in pairs if p.machine == machine),
                }
            requests.append(
                sync.SyncPickles(sync.Host(machine, login), options["clients"], **delete)
            )
    except (UserError, ConfigError) as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    try:
        remote = sync.SyncContext.open(paths)
    except sync.RemoteError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    with remote:
        outcomes = sync.run_all(remote, requests)
    for outcome in outcomes:
        if not outcome.ok:
            print(f"{PROGRAM}: error: {outcome.line()}", file=sys.stderr)
        elif args.verbose:
            print(outcome.line())
    return EXIT_FAILURE if any(not o.ok for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
