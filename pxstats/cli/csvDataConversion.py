"""csvDataConversion: one CSV of the min/max/mean/total of every data type per client (tx)
or source (rx) over a day, week, month or year, from the RRD archive
(spec graphics_web.md §4.7.1)."""

from __future__ import annotations

import argparse
import logging
import sys

from pxstats import i18n
from pxstats.i18n import is_all
from pxstats.actions import csv_export as csvexport
from pxstats.config import ConfigError, load_machines
from pxstats.paths import this_host
from pxstats.rrd import schema
from pxstats.cli.common import (
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_fixed_options,
    add_root_option,
    check_names,
    chosen_period,
    comma_words,
    date_option,
    fail,
    load_config_file,
    make_paths,
    setup_logging,
)

PROGRAM = "csvDataConversion"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Write one CSV file summarising, for every client (tx) or source (rx) "
                    "of the given machines, the minimum, maximum, mean and total of each "
                    "data type over a day, a week, a month or a year, read from the RRD "
                    "archive.")
    parser.add_argument("-c", "--clients", default="ALL",
                        help="Comma-separated clients (tx) or sources (rx) to list, whether "
                             "they ran during the period or not. ALL (default) means every "
                             "one whose databases were updated during the period.")
    parser.add_argument("-d", "--daily", action="store_true",
                        help="Summary of one day (24 hours, or a calendar day when fixed).")
    parser.add_argument("-w", "--weekly", action="store_true",
                        help="Summary of one week (7 days, or Sunday to Sunday when fixed).")
    parser.add_argument("-m", "--monthly", action="store_true",
                        help="Summary of one month (30 days, or a calendar month when fixed).")
    parser.add_argument("-y", "--yearly", action="store_true",
                        help="Summary of one year (365 days, or a calendar year when fixed).")
    parser.add_argument("--date", default=None,
                        help='Reference time, "YYYY-MM-DD HH:MM:SS" UTC (quotes are removed). '
                             "Default: now.")
    parser.add_argument("-f", "--fileType", default="tx",
                        help="Clients (tx, default) or sources (rx).")
    add_fixed_options(parser)
    parser.add_argument("--includeGroups", action="store_true",
                        help="Also list the groups of ROOT/etc/config ([specialGroups]) of the "
                             "file type whose machines hold the searched machines.")
    parser.add_argument("-l", "--language", default=None,
                        help="Language of the CSV (header, folder and month names), en or fr. "
                             "Default: mainApplicationLanguage of ROOT/etc/config, else en.")
    parser.add_argument("--machines", default=None,
                        help="Comma-separated machines (default: this host), each searched on "
                             "its own; with --machinesAreClusters, machine tags. The value "
                             "without commas names the CSV folder.")
    parser.add_argument("--machinesAreClusters", action="store_true",
                        help="The --machines values are machine tags of "
                             "ROOT/etc/configForMachines: each stands for the clients/sources "
                             "that ran on all of its machines together.")
    parser.add_argument("--turnOffLogging", action="store_true",
                        help="Do not write the log file.")
    add_root_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="Also log details on standard error.")
    return parser


def validate_options(args) -> dict:
    """Checks that need no file, in the original's order (fixed options, period options,
    date, file type), then the names; raises UserError."""
    if args.fixedPrevious and args.fixedCurrent:
        raise UserError("Please use only one of the fixed options, "
                        "either fixedPrevious or fixedCurrent.")
    period = chosen_period(args)
    if period is None:
        raise UserError("Please use either the -d -m -w or -y options.")
    date = date_option(args.date)
    start, end = csvexport.period_window(date, period, args.fixedCurrent, args.fixedPrevious)
    file_type = args.fileType.strip()
    if file_type not in schema.DATA_TYPES:
        raise UserError(f"File type must be either tx or rx. Specified file type was : "
                        f"{file_type}")
    if args.language is not None and args.language.strip() not in i18n.LANGUAGES:
        raise UserError("The specified language is not currently supported. "
                        "Supported languages are : en, fr")
    machines_value = args.machines if args.machines is not None else this_host()
    machines = csvexport.split_machines(machines_value)
    if not machines:
        raise UserError("no machine given")
    clients = comma_words(args.clients)
    all_clients = not clients or is_all(clients[0])
    check_names("machine", machines)
    check_names("machines", [csvexport.machines_string(machines_value)])
    check_names("client", [] if all_clients else clients)
    return dict(period=period, start=start, end=end, file_type=file_type,
                machines_value=machines_value, machines=machines,
                clients=None if all_clients else tuple(dict.fromkeys(clients)))


def load_settings(paths, need_tags: bool):
    """(main language, groups, machine tags) from ROOT/etc/config and configForMachines."""
    config = load_config_file(paths)
    if config is not None:
        return (config.general.main_application_language or "en", config.groups,
                config.machines.tags)
    try:
        tags = load_machines(paths.etc / "configForMachines").tags if need_tags else {}
    except (ConfigError, OSError) as exc:
        raise UserError(str(exc)) from None
    return "en", (), tags


def build_request(args, paths) -> tuple[csvexport.Request, list[str]]:
    """The whole validation; reads configuration files, writes nothing. Also returns the
    --machinesAreClusters values that are no tag, to be logged."""
    o = validate_options(args)
    language, groups, tags = load_settings(paths, args.machinesAreClusters)
    language = args.language.strip() if args.language is not None else language
    unknown = csvexport.unknown_tags(o["machines"], args.machinesAreClusters, tags)
    return csvexport.Request(
        period=o["period"], file_type=o["file_type"], start=o["start"], end=o["end"],
        machines_value=o["machines_value"],
        machine_sets=csvexport.machine_sets(o["machines"], args.machinesAreClusters, tags),
        language=language, include_groups=args.includeGroups, groups=tuple(groups),
        clients=o["clients"]), unknown


def _quiet_logging() -> None:
    logger = logging.getLogger("pxstats")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.addHandler(logging.NullHandler())         # and no last-resort stderr output


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:                  # --help (0) or a usage error (2, one line)
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    try:
        paths = make_paths(args.root)
        request, unknown = build_request(args, paths)
        if args.turnOffLogging:
            _quiet_logging()
        else:
            setup_logging(paths, PROGRAM, args.verbose)
        for value in unknown:
            logging.getLogger("pxstats").warning(
                "%s is not a machine tag of configForMachines; used as a machine name", value)
        rows = csvexport.select_rows(paths, request)
        if request.clients is not None:
            missing = [c for c in request.clients if c not in rows]
            if missing:
                where = ", ".join(m.name for m in request.machine_sets)
                raise UserError(f"No database found for {', '.join(missing)} on {where}")
    except (UserError, ConfigError) as exc:
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
