"""generateAllGnuGraphicsForMachines: the 24-hour gnuplot graphic of every client and source
of some machines, with its daily archive and Columbo copies (spec graphics_web.md §3)."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import daily_graphics as dailygraphics
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    comma_words,
    date_option,
    fail,
    load_settings,
    make_context,
    setup_logging,
    whole_number,
)
from pxstats.config import ConfigError
from pxstats.paths import this_host
from pxstats.util import timeutil

PROGRAM = "generateAllGnuGraphicsForMachines"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Draw, for every client (tx) and source (rx) configured on the machines, "
        "the gnuplot graphic of every data type over the SPAN hours ending at "
        "DATE rounded down to the hour, and copy it into the daily web archive "
        "and the Columbo folder (what generateGraphics --copy does for one name).",
        epilog='Examples: -m pds5; -m "pds5,pds6" -l "pds,pds"; '
        '-m "pds5,pds6" -l "pds,pds" -i -c -d "2006-08-08 01:00:00" -o fr.',
    )
    parser.add_argument(
        "-c",
        "--combine",
        action="store_true",
        help="Graphics of the merged data of all the machines, for the names "
        "configured on the first one (default with several machines).",
    )
    parser.add_argument(
        "-d",
        "--date",
        default=None,
        help='Time of the request, "YYYY-MM-DD HH:MM:SS" UTC; the graphics end '
        "at its hour (default: now).",
    )
    parser.add_argument(
        "-i",
        "--individual",
        action="store_true",
        help="Graphics of each machine separately, for the names configured on "
        "it (always the case with one machine).",
    )
    parser.add_argument(
        "-l",
        "--logins",
        default=None,
        help="Comma-separated logins, one per machine; not used (remote access "
        "uses the logins of etc/configForMachines), only their number is "
        "checked when they are given.",
    )
    parser.add_argument(
        "-m", "--machines", default=None, help="Comma-separated machines (default: this host)."
    )
    parser.add_argument(
        "-o",
        "--outputLanguage",
        "--language",
        default=None,
        help="Language of the texts in the PNGs and of their file names: en or "
        "fr (default: mainApplicationLanguage of ROOT/etc/config, else "
        "en).",
    )
    parser.add_argument(
        "-s",
        "--span",
        type=whole_number(1, 744),
        default=dailygraphics.DAILY_SPAN,
        help="Length of the graphics in hours, 1 to 744 (31 days; default: 24).",
    )
    parser.add_argument(
        "--processes",
        type=whole_number(1, 64),
        default=None,
        metavar="N",
        help="Number of graphics drawn at the same time, 1 to 64 (default: "
        "the number of CPUs, at most 10).",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="Print the graphics that would be drawn, one per line (file type, "
        "name, machines), and draw nothing.",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def request_from(args, main_language: str = "en") -> dailygraphics.DailyRequest:
    """The checked request of the options (one UserError line when one is wrong)."""
    date = date_option(args.date)
    machines = comma_words(args.machines) if args.machines is not None else [this_host()]
    return dailygraphics.daily_request(
        date=date,
        span=args.span,
        machines=machines,
        logins=comma_words(args.logins, ' "') if args.logins else [],
        language=args.outputLanguage,
        processes=args.processes,
        individual=args.individual,
        combine=args.combine,
        main_language=main_language,
    )


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        context = make_context(args.root)
        paths = context.paths
        main_language, _groups = load_settings(context)
        request = request_from(args, main_language)
        setup_logging(paths, PROGRAM, args.verbose)
    except (UserError, ConfigError) as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    machines = request.machines
    jobs = dailygraphics.jobs_for(paths, machines, request.individual, request.combine)
    if args.dry_run:
        for job in jobs:
            print(job.file_type, job.name, ",".join(job.machines))
        return 0
    if not jobs:
        print(
            f"{PROGRAM}: warning: no client or source found for "
            f"{','.join(machines)}; nothing to draw",
            file=sys.stderr,
        )
        return 0
    dailygraphics.log.info(
        "%d daily graphic(s) of %s ending %s, %s",
        len(jobs),
        ",".join(machines),
        timeutil.iso(timeutil.hour_start(request.date)),
        request.language,
    )
    try:
        outcomes = dailygraphics.draw_all(
            paths,
            jobs,
            request.date,
            language=request.language,
            span=request.span,
            processes=request.processes,
        )
    except KeyboardInterrupt:
        return fail(PROGRAM, "interrupted", 130)
    failed = 0
    for outcome in outcomes:
        if outcome.ok:
            print(outcome.png)
        else:
            failed += 1
            print(
                f"{PROGRAM}: error: no graphic for {outcome.job.label}: {outcome.message}",
                file=sys.stderr,
            )
    return EXIT_FAILURE if failed else 0


if __name__ == "__main__":
    sys.exit(main())
