"""statsMonitor: the health report of a pxStats installation, saved, printed and mailed.

Exit status (Nagios): 0 OK, 1 warnings, 2 errors, 3 could not run (usage or configuration
error, report not written, mail not sent)."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import monitor
from pxstats.cli.common import (
    OneLineParser,
    UserError,
    add_root_option,
    date_option,
    fail,
    make_paths,
    setup_logging,
)

PROGRAM = "statsMonitor"
EXIT_UNKNOWN = 3


class MonitorParser(OneLineParser):
    """A usage error is "could not run" (3) for a monitoring system, not 2 (an error found)."""

    def error(self, message):
        self.exit(EXIT_UNKNOWN, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = MonitorParser(
        prog=PROGRAM,
        description="Check the health of the installation (disk usage, pickles, data gaps, "
        "logs, file checksums, crontab, web pages, daily graphics, databases, "
        "times of update, latency, ssh reachability, the last pxStatsStartup run) between "
        "the previous report "
        "and END_TIME rounded down to the hour; save the report in "
        "ROOT/data/monitoring/reports/ and mail it to the emails of "
        "ROOT/etc/monitoringConf. Exit status: 0 OK, 1 warnings, 2 errors, 3 could "
        "not run.",
    )
    parser.add_argument(
        "end",
        metavar="END_TIME",
        nargs="?",
        default=None,
        help='End of the monitored period, "YYYY-MM-DD HH:MM:SS" UTC. Default: now.',
    )
    parser.add_argument(
        "--end-time",
        "--date",
        dest="end_time",
        metavar="END_TIME",
        default=None,
        help="Same as the positional END_TIME.",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "-v", "--verbose", action="store_true", help="Print the report on standard output."
    )
    output.add_argument(
        "--json", action="store_true", help="Print the report as JSON on standard output."
    )
    parser.add_argument(
        "--no-mail",
        dest="mail",
        action="store_false",
        help="Do not mail the report (it is still saved).",
    )
    add_root_option(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.end is not None and args.end_time is not None:
        return fail(PROGRAM, "give END_TIME once (positional or --end-time)", EXIT_UNKNOWN)
    text = args.end if args.end is not None else args.end_time
    try:
        end = date_option(text)
        paths = make_paths(args.root)
        setup_logging(paths, PROGRAM)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_UNKNOWN)
    outcome = monitor.run(paths, monitor.Request(end=end, send_mail=args.mail))
    if outcome.report is not None:
        if args.json:
            sys.stdout.write(
                outcome.report.json(
                    report_file=str(outcome.report_file) if outcome.report_file else None,
                    mailed_to=list(outcome.sent_to),
                    error=outcome.error,
                )
            )
        elif args.verbose:
            sys.stdout.write(outcome.report.text())
        sys.stdout.flush()
    if outcome.error:
        fail(PROGRAM, outcome.error, outcome.status)
    return outcome.status


if __name__ == "__main__":
    sys.exit(main())
