"""csvDataConversion: one CSV of the min/max/mean/total of every data type per client (tx)
or source (rx) over a day, week, month or year, from the RRD archive
(spec graphics_web.md §4.7.1)."""

from __future__ import annotations

import argparse
import logging
import sys

from pxstats.actions import csv_export as csvexport
from pxstats.actions import known
from pxstats.actions.errors import RequestError
from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_fixed_options,
    add_root_option,
    asked_periods,
    comma_words,
    fail,
    load_config_file,
    make_context,
    setup_logging,
)
from pxstats.config import ConfigError, load_machines
from pxstats.rrd import schema

PROGRAM = "csvDataConversion"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Write one CSV file summarising, for every client (tx) or source (rx) "
        "of the given machines, the minimum, maximum, mean and total of each "
        "data type over a day, a week, a month or a year, read from the RRD "
        "archive.",
    )
    parser.add_argument(
        "-c",
        "--clients",
        default="ALL",
        help="Comma-separated clients (tx) or sources (rx) to list, whether "
        "they ran during the period or not. ALL (default) means every "
        "one whose databases were updated during the period.",
    )
    parser.add_argument(
        "-d",
        "--daily",
        action="store_true",
        help="Summary of one day (24 hours, or a calendar day when fixed).",
    )
    parser.add_argument(
        "-w",
        "--weekly",
        action="store_true",
        help="Summary of one week (7 days, or Sunday to Sunday when fixed).",
    )
    parser.add_argument(
        "-m",
        "--monthly",
        action="store_true",
        help="Summary of one month (30 days, or a calendar month when fixed).",
    )
    parser.add_argument(
        "-y",
        "--yearly",
        action="store_true",
        help="Summary of one year (365 days, or a calendar year when fixed).",
    )
    parser.add_argument(
        "--date",
        default=None,
        help='Reference time, "YYYY-MM-DD HH:MM:SS" UTC (quotes are removed). Default: now.',
    )
    parser.add_argument(
        "-f",
        "--fileType",
        "--file-type",
        default="tx",
        help="Clients (tx, default) or sources (rx).",
    )
    add_fixed_options(parser)
    parser.add_argument(
        "--includeGroups",
        action="store_true",
        help="Also list the groups of ROOT/etc/config ([specialGroups]) of the "
        "file type whose machines hold the searched machines.",
    )
    parser.add_argument(
        "-l",
        "--language",
        default=None,
        help="Language of the CSV (header, folder and month names), en or fr. "
        "Default: mainApplicationLanguage of ROOT/etc/config, else en.",
    )
    parser.add_argument(
        "--machines",
        default=None,
        help="Comma-separated machines (default: this host), each searched on "
        "its own and, without --machinesAreClusters, all together too "
        "(the databases of transferPickleToRRD -m a,b); with "
        "--machinesAreClusters, machine tags. The value without commas "
        "names the CSV folder.",
    )
    parser.add_argument(
        "--machinesAreClusters",
        action="store_true",
        help="The --machines values are machine tags of "
        "ROOT/etc/configForMachines: each stands for the clients/sources "
        "that ran on all of its machines together.",
    )
    parser.add_argument("--turnOffLogging", action="store_true", help="Do not write the log file.")
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def options_from(args) -> csvexport.CsvOptions:
    """The parsed command line as the action's typed options."""
    return csvexport.CsvOptions(
        clients=tuple(comma_words(args.clients)),
        periods=asked_periods(args),
        date=args.date,
        file_type=args.fileType,
        fixed_previous=args.fixedPrevious,
        fixed_current=args.fixedCurrent,
        include_groups=args.includeGroups,
        language=args.language,
        machines=args.machines,
        machines_are_clusters=args.machinesAreClusters,
    )


def load_settings(context, need_tags: bool) -> csvexport.Settings:
    """Main language, groups and machine tags from the run's context: ROOT/etc/config, and
    configForMachines on its own when there is no etc/config."""
    config = load_config_file(context)
    if config is not None:
        return csvexport.Settings(
            config.general.main_application_language or "en",
            tuple(config.groups),
            config.machines.tags,
        )
    try:
        tags = load_machines(context.paths.etc / "configForMachines").tags if need_tags else {}
    except (ConfigError, OSError) as exc:
        raise UserError(str(exc)) from None
    return csvexport.Settings("en", (), tags)


def build_request(args, context) -> csvexport.Request:
    """The whole validation, by the action; reads configuration files, writes nothing."""
    return csvexport.build_request(
        options_from(args), lambda need_tags: load_settings(context, need_tags)
    )


def _quiet_logging() -> None:
    logger = logging.getLogger("pxstats")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.addHandler(logging.NullHandler())  # and no last-resort stderr output


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0) or a usage error (2, one line)
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    try:
        context = make_context(args.root)
        paths = context.paths
        request = build_request(args, context)
        if args.turnOffLogging:
            _quiet_logging()
        else:
            setup_logging(paths, PROGRAM, args.verbose)
        rows = csvexport.plan(paths, request)
    except known.UnknownName as exc:  # well formed, but no such name: 1
        return fail(PROGRAM, str(exc))
    except (UserError, RequestError, ConfigError) as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        path = csvexport.export(paths, request, rows=rows)
    except (csvexport.ExportError, schema.RRDError, OSError, ValueError) as exc:
        logging.getLogger("pxstats").error("%s", exc)
        return fail(PROGRAM, str(exc))
    print(f"{csvexport.GENERATED[request.language]} : {path}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
