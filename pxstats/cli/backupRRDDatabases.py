"""backupRRDDatabases: dated backup of the RRD archive, keeping the last N backups."""

from __future__ import annotations

import argparse
import sys

from pxstats import config as _config
from pxstats.actions import backup
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    date_option,
    fail,
    load_config_file,
    make_context,
    setup_logging,
)
from pxstats.util import timeutil

PROGRAM = "backupRRDDatabases"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Copy the RRD databases and their times of update into dated backups "
        "(YYYY-MM-DD_HH:MM:00, UTC), then keep the oldest backup and the newest "
        "N-1.",
    )
    parser.add_argument(
        "keep",
        nargs="?",
        metavar="N",
        help="Number of backups to keep, an integer from 1 to 1000. Default: "
        "nbDbBackupsToKeep of ROOT/etc/config when that file exists, else "
        "20.",
    )
    parser.add_argument(
        "-d",
        "--date",
        default=None,
        help='Time of the backup, "YYYY-MM-DD HH:MM:SS" UTC, not in the '
        "future; the tag is its minute. Default: now.",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


MAX_KEEP = 1000  # a backup a day for almost three years


def parse_keep(text: str) -> int:
    try:
        keep = int(text.strip())
    except ValueError:
        keep = 0
    if not 1 <= keep <= MAX_KEEP:
        raise UserError(
            f"the number of backups to keep must be an integer from 1 to {MAX_KEEP} "
            f"(got {text!r}); give nothing for the default"
        )
    return keep


def backup_date(text: str | None) -> int:
    """Epoch of -d (now without it); an empty date or one in the future is refused."""
    if text is not None and not text.strip():
        raise UserError("the date is empty; give a date or leave -d out for now")
    when = date_option(text)
    if when > timeutil.now() + backup.FUTURE_SKEW:
        raise UserError(
            f"the date {timeutil.iso(when)} is in the future: a backup is dated now or earlier"
        )
    return when


def warn_future(program: str, result: backup.BackupResult) -> None:
    """One warning line on stderr per backup tag in the future (left out of the retention)."""
    for tag in result.future:
        print(
            f"{program}: warning: backup {backup.iso_from_tag(tag)} is dated in the future: "
            "left out of the retention and of restores (rename or remove its two folders)",
            file=sys.stderr,
        )


def keep_from_config(context: _config.Context) -> int:
    """nbDbBackupsToKeep of <root>/etc/config when the file exists, else 20."""
    config = load_config_file(context)
    return config.general.nb_db_backups_to_keep if config else backup.DEFAULT_KEEP


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        keep = parse_keep(args.keep) if args.keep is not None else None
        when = backup_date(args.date)
        context = make_context(args.root)
        paths = context.paths
        if keep is None:
            keep = keep_from_config(context)
        setup_logging(paths, PROGRAM, args.verbose)
    except (UserError, _config.ConfigError) as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        result = backup.backup(paths, when, keep)
    except backup.BackupError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    print(result.tag)
    warn_future(PROGRAM, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
