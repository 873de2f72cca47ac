"""generateSampleLogs: write realistic Sundew tx/rx logs under <root>/data/logFiles/<machine>/."""

from __future__ import annotations

import argparse
import os
import sys

from pxstats.cli.common import (
    OneLineParser,
    UserError,
    add_root_option,
    check_names,
    comma_words,
    make_paths,
    run,
    whole_number,
)
from pxstats.paths import this_host
from pxstats.samples import ROTATED_KEPT, write_logs
from pxstats.util import timeutil

PROGRAM = "generateSampleLogs"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Write realistic Sundew log files (tx_<client>.log*, rx_<source>.log*, "
        "rotated at midnight UTC) for a set of machines, as an rsync mirror would "
        "leave them in <root>/data/logFiles/<machine>/. The same options and seed "
        "always give the same files.",
    )
    add_root_option(parser)
    parser.add_argument(
        "--hours",
        metavar="N",
        type=whole_number(1, 8784),
        default=48,
        help="hours of logs ending at --end, 1 to 8784 (a year); days before "
        "the 5 rotated files Sundew keeps are not written (default: 48)",
    )
    parser.add_argument(
        "--end",
        "--date",
        metavar="DATE",
        default=None,
        help='end of the logs, "YYYY-MM-DD HH:MM:SS" UTC '
        "(default: now, rounded down to the minute)",
    )
    parser.add_argument(
        "--machines",
        metavar="LIST",
        default="pxatx1,pxatx2",
        help="comma-separated machines, other than this host (default: pxatx1,pxatx2)",
    )
    parser.add_argument(
        "--clients",
        metavar="LIST",
        default="satnet,weather,amis,nws-alerts",
        help="comma-separated tx clients (default: satnet,weather,amis,nws-alerts)",
    )
    parser.add_argument(
        "--sources",
        metavar="LIST",
        default="ncp1,cmc-radar,wxo-bulletins",
        help="comma-separated rx sources (default: ncp1,cmc-radar,wxo-bulletins)",
    )
    parser.add_argument(
        "--rate",
        metavar="N",
        type=whole_number(0, 100000),
        default=120,
        help="deliveries (tx) or ingestions (rx) per hour per client or source "
        "and machine, 0 to 100000 (default: 120)",
    )
    parser.add_argument(
        "--seed",
        metavar="N",
        type=whole_number(0, 2**31 - 1),
        default=1,
        help="random seed, 0 to 2147483647 (default: 1)",
    )
    return parser


def _names(kind: str, text: str, allow_empty: bool = False) -> list[str]:
    names = list(dict.fromkeys(comma_words(text)))
    if not names and not allow_empty:
        raise UserError(f"no {kind} given")
    check_names(kind, names)
    return names


def _body(argv) -> int:
    args = build_parser().parse_args(argv)
    if args.hours < 1:
        raise UserError(f"--hours must be a positive number of hours (got {args.hours})")
    if args.rate < 1:
        raise UserError(f"--rate must be a positive number per hour (got {args.rate})")
    try:
        end = (
            timeutil.parse_user_date(args.end)
            if args.end is not None
            else timeutil.minute_start(timeutil.now())
        )
    except timeutil.BadDate:
        raise UserError(f'--end must be "YYYY-MM-DD HH:MM:SS" (got {args.end!r})') from None
    machines = _names("machine", args.machines)
    if this_host() in machines:
        raise UserError(
            f"machine {this_host()} is this host: its logs are read from Sundew's "
            "log folder, not from data/logFiles/; name another machine"
        )
    clients = _names("client", args.clients, allow_empty=True)
    sources = _names("source", args.sources, allow_empty=True)
    if not clients and not sources:
        raise UserError("no client and no source given")
    start = end - args.hours * timeutil.HOUR
    # Sundew keeps the live file and 5 rotated ones: older days are not written.
    start = max(start, timeutil.day_start(end - 1) - ROTATED_KEPT * timeutil.DAY)
    paths = make_paths(args.root)
    report = [
        f"Sample logs from {timeutil.iso(start)} to {timeutil.iso(end)} UTC, "
        f"{args.rate} per hour, seed {args.seed}"
    ]
    for machine in machines:
        folder = paths.log_files / machine
        try:
            folder.mkdir(parents=True, exist_ok=True)
            written = []
            for file_type, names in (("tx", clients), ("rx", sources)):
                for name in names:
                    seed = f"{args.seed}/{machine}/{file_type}/{name}"
                    written += write_logs(folder, file_type, name, start, end, args.rate, seed)
        except OSError as exc:
            raise UserError(f"cannot write in {folder}: {exc.strerror or exc}") from None
        report.append(f"{folder}/")
        report += [f"  {path.name:<40} {count:>8} lines" for path, count in written]
    # A root given in bytes that are not UTF-8 is printed with escapes, not a traceback.
    print("\n".join(report).encode("utf-8", "backslashreplace").decode("utf-8"))
    return 0


def main(argv=None) -> int:
    try:
        return run(PROGRAM, _body, argv)
    except BrokenPipeError:  # output piped into head: the files are written, say no more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
