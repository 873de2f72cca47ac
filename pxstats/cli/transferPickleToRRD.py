"""transferPickleToRRD: append the per-minute statistics of hourly pickles to the RRD archive."""

from __future__ import annotations

import argparse
import sys

from pxstats import i18n
from pxstats.i18n import is_all
from pxstats.util import timeutil
from pxstats.paths import check_name, this_host
from pxstats.actions import transfer
from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    comma_words,
    date_option,
    fail,
    make_paths,
    setup_logging,
)

PROGRAM = "transferPickleToRRD"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Append the per-minute statistics of the hourly pickles to the RRD "
                    "databases (ten-year archive), from each database's last update up to "
                    "the end hour.")
    parser.add_argument("-c", "--clients", default="ALL",
                        help="Comma-separated clients (tx) or sources (rx); * and ? wildcards "
                             "are allowed and match the names having pickles of that file type "
                             "on the machines in the 1000 hours before the end. ALL (default; "
                             "TOUS too, in any case) means every name having pickles on the "
                             "machines for the hours to transfer: the tx names, then the rx "
                             "names.")
    parser.add_argument("-e", "--end", default=None,
                        help='End of the transfer, "YYYY-MM-DD HH:MM:SS" UTC, rounded down to '
                             "the hour. Default: now. An end in the future is brought back to "
                             "the current hour.")
    parser.add_argument("-f", "--fileTypes", default="",
                        help="Comma-separated tx or rx, one per client or one for all of them. "
                             "Required with -c, refused with ALL.")
    parser.add_argument("-g", "--group", default="",
                        help="Transfer the clients of -c as one group of this name. All the "
                             "members must have the same file type.")
    parser.add_argument("-m", "--machines", default=None,
                        help="Comma-separated machines whose pickles are combined. Default: "
                             "this host.")
    parser.add_argument("-p", "--products", default="ALL",
                        help="Comma-separated product patterns counted in a group; only with "
                             "-g. A pattern without a wildcard at an end matches anywhere in "
                             "the name (SA means *SA*); matching is case-sensitive. Default: "
                             "ALL.")
    parser.add_argument("--processes", default="5", metavar="N",
                        help="Number of clients transferred at the same time (worker "
                             "processes). Default: 5.")
    add_root_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="Also log details on standard error.")
    return parser


def validated(args) -> dict:
    """Options checked in the original's order (spec rrd.md §2.2); raises UserError."""
    moment = date_option(args.end or None,
                         "Error. The endind date format must be YYYY-MM-DD HH:MM:SS")
    end = timeutil.hour_start(moment)
    group = args.group.strip()
    products = comma_words(args.products)
    if transfer.products_filter(products) and not group:
        raise UserError("Error. Products can only be specified when using special groups.")
    clients = comma_words(args.clients)
    if not clients:
        raise UserError("Error. No client was specified.")
    file_types = comma_words(args.fileTypes)
    if len(file_types) == 1 and len(clients) > 1:
        file_types = file_types * len(clients)
    everyone = len(clients) == 1 and is_all(clients[0])
    if everyone and file_types:
        raise UserError("Error. Filetypes cannot be specified when all clients are to be "
                        "updated.")
    if not everyone:
        if not file_types:
            raise UserError("Error. File types (-f tx or rx) must be specified with the "
                            "clients.")
        if len(clients) != len(file_types):
            raise UserError("Error. The number of file types must be one, or the number of "
                            "clients.")
        bad = [t for t in file_types if t not in i18n.FILE_TYPES]
        if bad:
            raise UserError(f"Error. File types must be tx or rx (got {bad[0]}).")
    if group:
        if everyone:
            raise UserError("Error. A group needs its members: list them with -c.")
        if len(set(file_types)) > 1:
            raise UserError("Error. All the members of a group must have the same file type.")
    machines = comma_words(args.machines) if args.machines is not None else [this_host()]
    if not machines:
        raise UserError("Error. No machine was specified.")
    try:
        processes = int(args.processes)
    except ValueError:
        processes = 0
    if processes < 1:
        raise UserError("Error. The number of processes must be an integer above 0.")
    try:
        for machine in machines:
            check_name("machine", machine)
        if group:
            check_name("group", group)
        for client in clients:
            if not everyone and not transfer.is_pattern(client):
                check_name("client", client)
    except ValueError as exc:
        raise UserError(f"Error. {str(exc)[0].upper()}{str(exc)[1:]}.") from None
    return dict(end=end, group=group, products=transfer.products_filter(products),
                clients=None if everyone else clients, file_types=file_types,
                machines=tuple(machines), processes=processes)


def tasks_for(paths, options, log) -> tuple[list, list]:
    """(tasks to run, outcomes already failed) for the validated options."""
    end, machines = options["end"], options["machines"]
    if options["clients"] is None:
        names, types = transfer.all_names(paths, machines, end)
        return transfer.plan(paths, names, types, machines, end)
    names, types = transfer.expand_clients(paths, options["clients"], options["file_types"],
                                           machines, end)
    if not options["group"]:
        return transfer.plan(paths, names, types, machines, end)
    file_type = options["file_types"][0]
    task = transfer.Task(options["group"], file_type, machines, end, members=tuple(names),
                         products=options["products"], group=True)
    if not names:
        message = "none of its members has pickles on these machines"
        log.error("%s not transferred: %s", task.label, message)
        return [], [transfer.Outcome(task, "failed", message)]
    return [task], []


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        options = validated(args)
        paths = make_paths(args.root)
        logger = setup_logging(paths, PROGRAM, args.verbose)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    log = logger.getChild("transferPickleToRRD")
    latest = timeutil.hour_start(timeutil.now())
    if options["end"] > latest:
        # Minutes not collected yet would be stored as zeros and never stored again.
        log.warning("End %s is in the future; the transfer stops at %s.",
                    timeutil.iso(options["end"]), timeutil.iso(latest))
        options["end"] = latest
    try:
        with transfer.run_lock(paths):
            tasks, refused = tasks_for(paths, options, log)
            outcomes = refused + transfer.transfer_all(paths, tasks, options["processes"])
    except KeyboardInterrupt:
        return fail(PROGRAM, "interrupted", 130)
    except OSError as exc:
        return fail(PROGRAM, f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed:
        print(f"{PROGRAM}: error: {outcome.task.label}: {outcome.message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
