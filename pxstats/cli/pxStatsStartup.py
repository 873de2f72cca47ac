"""pxStatsStartup (launchGraphCreation): the hourly cycle, the one crontab line.

SIGINT and SIGTERM (to the process or to its whole group: Ctrl-C, cron, kill) are blocked
for the whole run and taken by a watcher thread (util.stopsignals), so neither this process
nor its workers and gnuplot/rrdtool children are cut in the middle of a unit of work: the
run finishes the units in progress, records the rest "interrupted" and exits 128 + signal
number (130 for SIGINT, 143 for SIGTERM). SIGKILL stops at once (safe too: every write is
atomic and redone by the next run)."""

from __future__ import annotations

import argparse
import signal
import sys

from pxstats.actions import startup
from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    comma_words,
    date_option,
    fail,
    make_context,
    setup_logging,
    whole_number,
)
from pxstats.util import timeutil
from pxstats.util.stopsignals import StopOnSignals

PROGRAM = "pxStatsStartup"


def build_parser(prog: str = PROGRAM) -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=prog,
        description="The hourly cycle of pxStats, run from cron: collect the logs of every "
        "source machine, transfer the pickles to the RRD databases, draw the graphics of the "
        "web pages and write the pages, then back up, clean and monitor when due. One "
        "instance at a time; a failing step does not stop the next ones.",
    )
    parser.add_argument(
        "-d",
        "--date",
        default=None,
        help='Time of the run, "YYYY-MM-DD HH:MM:SS" UTC (for tests and replays); every '
        "step is dated by it. Default: now.",
    )
    parser.add_argument(
        "--no-mirror",
        action="store_true",
        help="Do not copy the logs of source machines pickled here: data/logFiles/<machine>/ "
        "is kept up to date by other means.",
    )
    parser.add_argument(
        "--no-mail",
        action="store_true",
        help="Write the monitoring report without mailing it.",
    )
    parser.add_argument(
        "--local-names",
        default="",
        help="Comma-separated machine names that mean this host, besides its host name, "
        "localhost and 127.0.0.1.",
    )
    parser.add_argument(
        "-p",
        "--processes",
        type=whole_number(1, 16),
        default=3,
        help="Units of work (a source and file type, a graphic) run at once, 1 to 16. Default: 3.",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def main(argv=None, prog: str = PROGRAM) -> int:
    args = build_parser(prog).parse_args(argv)
    with StopOnSignals() as signals:
        code = _main(args, prog, signals)
    if code == 0 and signals.first is not None:  # came once the run was over: nothing cut
        startup.log.warning("signal %d received after the run ended", signals.first)
    return code


def _main(args, prog: str, signals: StopOnSignals) -> int:
    try:
        date = date_option(args.date)
        context = make_context(args.root)
        paths = context.paths
        request = startup.StartupRequest(
            date=min(date, timeutil.now()),
            mirror=not args.no_mirror,
            send_mail=not args.no_mail,
            processes=args.processes,
            local_names=tuple(comma_words(args.local_names)),
        )
        setup_logging(paths, PROGRAM, args.verbose)
        startup.validate(context.config)
    except UserError as exc:
        return fail(prog, str(exc), EXIT_USAGE)

    def show(step):
        print(step.line(), flush=True)
        if step.status == "failed":  # also with -q: cron mails it
            print(f"{prog}: error: {step.line()}", file=sys.stderr, flush=True)

    try:
        result = startup.run(paths, context.config, request, show, stop=signals.event)
    except startup.AlreadyRunning as exc:
        print(str(exc), flush=True)
        startup.log.warning("another instance (PID %s) is running: nothing done", exc.pid)
        return 0
    except UserError as exc:
        return fail(prog, str(exc), EXIT_USAGE)
    if result.status == "interrupted":
        number = signals.first or signal.SIGTERM
        print(
            f"{prog}: interrupted by {signal.Signals(number).name}: the units of work in "
            "progress were finished, the others are left to the next run",
            file=sys.stderr,
            flush=True,
        )
        return 128 + number
    print(f"{prog}: finished ({result.status}, {len(result.failed)} failed step(s))", flush=True)
    return 1 if result.failed else 0


def alias_main(argv=None) -> int:
    """launchGraphCreation, the legacy name."""
    return main(argv, "launchGraphCreation")


if __name__ == "__main__":
    sys.exit(main())
