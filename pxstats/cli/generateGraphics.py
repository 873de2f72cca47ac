"""generateGraphics: per-minute gnuplot graphics of clients/sources from the hourly pickles
(spec graphics_web.md §1)."""

from __future__ import annotations

import argparse
import sys

from pxstats.actions import graphics, known
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

PROGRAM = "generateGraphics"
# Type names are accepted in both languages; error messages list the main language's.


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Draw, from the hourly pickles, one PNG holding one gnuplot panel per "
        "client (or source) and data type: the value of every minute of the "
        "SPAN hours ending at DATE rounded down to the hour, with its maximum, "
        "mean, minimum and a block of statistics. Spans up to 48 hours work best.",
        epilog='Examples: -c satnet; -c satnet -d "2006-06-30 05:15:00"; '
        '-c satnet -t "errors,latency"; -c "satnet,amis" -m "pds5,pds6" -p WXB -s 24.',
    )
    parser.add_argument(
        "-c",
        "--clients",
        default="",
        help="Comma-separated clients (tx) or sources (rx); required. Names "
        "with * or ? are replaced by the names matching them whose "
        "databases were updated during the SPAN hours before DATE.",
    )
    parser.add_argument(
        "--copy",
        action="store_true",
        help="Also copy the PNG into the daily web archive and the Columbo "
        "folder (see FILES in the manual page).",
    )
    parser.add_argument(
        "--combineClients",
        action="store_true",
        help="Merge the data of all the clients into one series per type "
        "(one panel per type instead of one per client and type).",
    )
    parser.add_argument(
        "-d",
        "--date",
        default=None,
        help='Time of the request, "YYYY-MM-DD HH:MM:SS" UTC; the graphic '
        "ends at its hour (default: now).",
    )
    parser.add_argument(
        "-f",
        "--fileType",
        "--file-type",
        default="tx",
        help="tx (clients, default) or rx (sources).",
    )
    parser.add_argument(
        "-g",
        "--groupName",
        default="",
        help="Name of the combined clients in titles, labels and file names; "
        "only with --combineClients.",
    )
    parser.add_argument(
        "-m",
        "--machines",
        default=None,
        help="Comma-separated machines whose data are merged (default: this host).",
    )
    parser.add_argument(
        "-n",
        "--collectUpToNow",
        action="store_true",
        help="Accepted for compatibility; has no effect (graphics always end on the hour).",
    )
    parser.add_argument(
        "-o",
        "--outputLanguage",
        "--language",
        default=None,
        help="Language of the texts in the PNG and of its file name: en or fr "
        "(default: mainApplicationLanguage of ROOT/etc/config, else en).",
    )
    parser.add_argument(
        "-p",
        "--products",
        default=None,
        help="Comma-separated product name patterns (* and ? wildcards; a "
        "pattern matches the names containing it). Default: All (every "
        "product).",
    )
    parser.add_argument(
        "-s",
        "--span",
        type=whole_number(1, 744),
        default=12,
        help="Length of the graphic in hours, 1 to 744 (31 days; default: 12).",
    )
    parser.add_argument(
        "-t",
        "--types",
        default=None,
        help="Comma-separated data types, drawn from the bottom up: errors, "
        "filecount, bytecount, latency (rx: no latency). French names "
        "(erreurs, nbreDeFichiers, nbreDeBytes, latence) are accepted too. "
        "Default: All, i.e. errors,filecount,bytecount,latency.",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="Print the gnuplot program on standard output instead of drawing; nothing is written.",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def request_from(args, paths, main_language: str = "en", groups=()) -> graphics.GraphicRequest:
    """The checked request of the options (one UserError line when one is wrong); reads the
    RRD times of update for wildcards but writes nothing."""
    date = date_option(args.date)
    machines = comma_words(args.machines) if args.machines is not None else [this_host()]
    products = comma_words(args.products) if args.products is not None else None
    for product in products or ():
        if not product.isprintable():  # they make file names: no control character, UTF-8
            raise UserError(f"invalid product pattern {product!r}")
    types = comma_words(args.types) if args.types is not None else []
    return graphics.graphic_request(
        paths,
        date=date,
        span=args.span,
        file_type=args.fileType,
        clients=comma_words(args.clients),
        machines=machines,
        types=types,
        products=products,
        group=args.groupName,
        combine=args.combineClients,
        language=args.outputLanguage,
        copy=args.copy,
        main_language=main_language,
        groups=groups,
    )


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        context = make_context(args.root)
        paths = context.paths
        language, groups = load_settings(context)
        request = request_from(args, paths, language, groups)
        setup_logging(paths, PROGRAM, args.verbose)
    except known.UnknownName as exc:
        return fail(PROGRAM, str(exc))
    except (UserError, ConfigError) as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        if args.dry_run:
            plan = graphics.plan(paths, request)
            sys.stdout.flush()
            sys.stdout.buffer.write(graphics.script.encode(plan.program))
            sys.stdout.flush()
            return 0
        produced = graphics.produce(paths, request)
    except graphics.GraphicError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    except OSError as exc:
        return fail(PROGRAM, f"{exc.filename or ''}: {exc.strerror or exc}", EXIT_FAILURE)
    print(produced.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
