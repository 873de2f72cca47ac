"""pickleUpdater: turn Sundew tx/rx logs into hourly statistics pickles."""

from __future__ import annotations

import argparse
import sys

from .. import timeutil
from ..collector import ALL_WORDS, STATS_BY_FILE_TYPE
from ..paths import check_name, this_host
from ..pickling import client_names, update_clients
from .common import OneLineParser, EXIT_USAGE, UserError, add_root_option, fail, make_paths, setup_logging

PROGRAM = "pickleUpdater"
FRENCH_TYPES = {"erreurs": "errors", "latence": "latency", "nbreDeBytes": "bytecount"}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Collect the statistics of Sundew tx/rx log files into hourly pickles, "
                    "catching up every hour since the last update.")
    parser.add_argument("-c", "--clients", default="All",
                        help="comma-separated clients (tx) or sources (rx); All = every one "
                             "of the machine (default: All)")
    parser.add_argument("-d", "--date", default=None,
                        help='time of the call, "YYYY-MM-DD HH:MM:SS" UTC; data is collected up '
                             "to the start of its hour (default: now)")
    parser.add_argument("-i", "--interval", type=int, default=1,
                        help="bucket width in minutes, must divide 60 (default: 1)")
    parser.add_argument("-f", "--fileType", default="tx", help="tx or rx (default: tx)")
    parser.add_argument("-m", "--machine", default=None,
                        help="machine whose logs are read (default: this host)")
    parser.add_argument("-n", "--now", action="store_true",
                        help="collect up to the current minute of the date instead of its hour")
    parser.add_argument("-t", "--types", default="All",
                        help="comma-separated statistics: errors, latency, bytecount "
                             "(latency for tx only); All = every one (default: All)")
    add_root_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="log details on stderr")
    return parser


def validated(args) -> dict:
    """Options checked in the original's order; raises UserError with one clear line."""
    try:
        moment = timeutil.parse_user_date(args.date) if args.date else timeutil.now()
    except timeutil.BadDate:
        raise UserError("The date format must be YYYY-MM-DD HH:MM:SS") from None
    until = timeutil.minute_start(moment) if args.now else timeutil.hour_start(moment)
    if args.interval < 1 or 60 % args.interval:
        raise UserError("The interval value needs to be an integer above 0 that divides 60.")
    file_type = args.fileType.strip()
    if file_type not in STATS_BY_FILE_TYPE:
        raise UserError("File type must be either tx or rx. Multiple types are not accepted.")
    valid = STATS_BY_FILE_TYPE[file_type]
    asked = [FRENCH_TYPES.get(t, t) for t in args.types.replace(" ", "").split(",") if t]
    if not asked or asked[0] in ALL_WORDS:
        types = list(valid)
    else:
        bad = [t for t in asked if t not in valid]
        if bad:
            raise UserError(f"With {file_type} fileType, possible data types values are : "
                            f"{', '.join(valid)} (got {', '.join(bad)})")
        types = list(dict.fromkeys(asked))
    machine = (args.machine or this_host()).replace(" ", "")
    clients = [c for c in args.clients.replace(" ", "").split(",") if c]
    try:
        check_name("machine", machine)
        for client in clients:
            if client not in ALL_WORDS:
                check_name("client", client)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not clients:
        raise UserError("no client given")
    return dict(until=until, interval=args.interval * 60, file_type=file_type, types=types,
                machine=machine, clients=clients)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        options = validated(args)
        paths = make_paths(args.root)
        setup_logging(paths, PROGRAM, args.verbose)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    clients = options["clients"]
    if clients[0] in ALL_WORDS:
        clients = client_names(paths, options["file_type"], options["machine"])
    outcomes = update_clients(paths, options["file_type"], clients, options["machine"],
                              options["until"], options["types"], options["interval"])
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed:
        print(f"{PROGRAM}: error: {outcome.message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
