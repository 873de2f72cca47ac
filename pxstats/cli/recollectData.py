"""recollectData: rebuild the hourly pickles of a past period from the logs, non-interactively."""

from __future__ import annotations

import argparse
import sys

from pxstats.util import timeutil
from pxstats.i18n import is_all
from pxstats.stats.collector import STATS_BY_FILE_TYPE
from pxstats.paths import this_host
from pxstats.actions.update import LogFolderMissing, client_names, recollect_client
from pxstats.util.locks import LockBusy
from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    check_names,
    comma_words,
    fail,
    make_paths,
    setup_logging,
)

PROGRAM = "recollectData"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Rebuild the hourly pickles of every hour between two dates from the log "
                    "files still on disk. Times of last update are left as they are.")
    parser.add_argument("--from", dest="start", required=True, metavar="DATE",
                        help='First hour to rebuild, "YYYY-MM-DD HH:MM:SS" UTC, rounded down '
                             "to the hour.")
    parser.add_argument("--to", dest="end", required=True, metavar="DATE",
                        help='End of the period (exclusive), "YYYY-MM-DD HH:MM:SS" UTC '
                             "rounded down to the minute, or now (the current minute); must "
                             "be later than --from.")
    parser.add_argument("-m", "--machines", default=None,
                        help="Comma-separated machines whose logs are read. Default: this host.")
    parser.add_argument("-f", "--fileType", default="both", choices=("tx", "rx", "both"),
                        help="Which logs to read: tx, rx or both. Default: both.")
    parser.add_argument("-c", "--clients", default="All",
                        help="Comma-separated clients (tx) or sources (rx); All (default) "
                             "means every one of each machine.")
    parser.add_argument("-i", "--interval", type=int, default=1,
                        help="Bucket width in minutes; must divide 60. Default: 1.")
    add_root_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="Also log details on standard error.")
    return parser


def _date(text: str, what: str) -> int:
    if text.strip().lower() == "now":
        return timeutil.minute_start(timeutil.now())
    try:
        return timeutil.parse_user_date(text)
    except timeutil.BadDate:
        raise UserError(f"{what}: the date format must be YYYY-MM-DD HH:MM:SS") from None


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        start = timeutil.hour_start(_date(args.start, "--from"))
        end = timeutil.minute_start(_date(args.end, "--to"))
        if end <= start:
            raise UserError("--to must be later than --from")
        if args.interval < 1 or 60 % args.interval:
            raise UserError("The interval value needs to be an integer above 0 that divides 60.")
        machines = comma_words(args.machines or this_host())
        clients = comma_words(args.clients)
        check_names("machine", machines)
        check_names("client", [c for c in clients if not is_all(c)])
        paths = make_paths(args.root)
        setup_logging(paths, PROGRAM, args.verbose)
    except (UserError, ValueError) as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    file_types = ("tx", "rx") if args.fileType == "both" else (args.fileType,)
    failures = total = 0
    for machine in machines:
        for file_type in file_types:
            names = clients
            if is_all(clients[0]):
                names = client_names(paths, file_type, machine)
            for client in names:
                try:
                    written = recollect_client(paths, file_type, client, machine, start, end,
                                               STATS_BY_FILE_TYPE[file_type], args.interval * 60)
                except (LockBusy, LogFolderMissing, OSError) as exc:
                    failures += 1
                    reason = "another pickleUpdater holds its lock" if isinstance(exc, LockBusy) else exc
                    print(f"{PROGRAM}: error: {file_type} {client} of {machine}: {reason}",
                          file=sys.stderr)
                    continue
                total += len(written)
                print(f"{file_type} {client} {machine}: {len(written)} pickle(s) rebuilt")
    print(f"{total} pickle(s) rebuilt from {timeutil.iso(start)} to {timeutil.iso(end)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
