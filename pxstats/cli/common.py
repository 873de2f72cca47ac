"""What every console script shares: --root, logging set-up, one-line user errors."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from pxstats import __version__
from pxstats.actions.errors import RequestError
from pxstats.i18n import PERIODS
from pxstats.paths import RootError, StatsPaths, root_from
from pxstats.util import timeutil

# Imported when first used, not by every script's start (--help must stay fast, a small
# hourly run should not pay for them): pxstats.config, pxstats.actions.options.


def __getattr__(name: str):
    """DATE_FORMAT_ERROR and check_names of pxstats.actions.options, for the scripts."""
    if name in ("DATE_FORMAT_ERROR", "check_names"):
        from pxstats.actions import options

        return getattr(options, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


EXIT_USAGE = 2
EXIT_FAILURE = 1


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (status 2), without the usage text."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)}\n")

    def _get_formatter(self):
        # argparse asks shutil for the width, and importing shutil costs every start more
        # than parsing the options does: the same width, found the way shutil finds it.
        return self.formatter_class(prog=self.prog, width=_terminal_columns() - 2)


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else standard output's terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


# An error the user can fix: printed as one line, no traceback, non-zero exit. The actions
# raise it for a request they refuse; the scripts raise it for an option they cannot read.
UserError = RequestError


class _Quiet(argparse.Action):
    """-q/--quiet: standard output goes nowhere from here on (errors still reach stderr)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, True)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process


def add_root_option(parser: argparse.ArgumentParser) -> None:
    """The options every command has: --root, -q/--quiet and --version."""
    parser.add_argument(
        "-q",
        "--quiet",
        action=_Quiet,
        help="Print nothing on standard output when all goes well (errors "
        "still go to standard error), so that cron mails only failures.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="Print the version of pxStats and exit.",
    )
    parser.add_argument(
        "--root",
        metavar="DIR",
        help="pxStats root folder (default: $PXSTATS_ROOT, else STATSROOT of "
        "/etc/pxStats/pxStats.conf, else the checkout)",
    )


def whole_number(low: int, high: int):
    """An argparse type: a whole number from `low` to `high` (documented in each help text),
    checked before any work starts."""

    def convert(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return convert


def add_date_option(parser: argparse.ArgumentParser) -> None:
    """--date beside a positional DATE: the long option every command accepts."""
    parser.add_argument(
        "--date",
        dest="date_option",
        metavar="DATE",
        default=None,
        help="The same as DATE, as an option.",
    )


def positional_or_option_date(args) -> str | None:
    """The DATE given either way (UserError when given twice)."""
    if args.date is not None and args.date_option is not None:
        raise UserError("give the date once: as DATE or as --date")
    return args.date if args.date is not None else args.date_option


def make_context(root_option: str | None):
    """The run's context (a pxstats.config.Context): the root's folders and etc/config,
    read once. Without a usable root (see pxstats.paths.root_from): one line on stderr and
    exit status 2."""
    try:
        root = root_from(root_option)
        if not os.path.isdir(root):  # a typo must not create a new installation
            raise RootError(
                f"the root {one_line(str(root))} is not a folder (create it first, "
                "or check --root and $PXSTATS_ROOT)"
            )
    except RootError as exc:
        print(f"{Path(sys.argv[0]).name}: error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    from pxstats import config as _config

    try:
        return _config.Context(root)
    except _config.ConfigError as exc:
        raise UserError(str(exc)) from None


def make_paths(root_option: str | None) -> StatsPaths:
    """StatsPaths for the root, with Sundew's folders taken from <root>/etc/config if present."""
    return make_context(root_option).paths


class UtcFormatter(logging.Formatter):
    """Times in UTC, ISO 8601 with milliseconds and `Z` (the messages speak UTC too)."""

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


class ProgramLog(logging.FileHandler):
    """The program's log file, renamed to .1 (.1 to .2 ...) when it would pass `max_bytes`,
    `backups` old files kept (what logging.handlers.RotatingFileHandler does, without
    importing that large module at every start). When writing fails (a full disk), one line
    says so on stderr and the file is left alone; the run goes on (logging's default prints
    a traceback for every record)."""

    program = "pxStats"
    failed = False

    def __init__(self, path, max_bytes: int, backups: int):
        super().__init__(path, "a")
        self.max_bytes, self.backups = max_bytes, backups

    def emit(self, record):
        if self.failed:
            return
        try:
            if self._full(self.format(record)):
                self._rotate()
        except Exception:  # noqa: BLE001 - any failure is reported once by handleError
            self.handleError(record)
            return
        super().emit(record)

    def _full(self, message: str) -> bool:
        stream = self.stream
        if stream is None or self.max_bytes <= 0:
            return False
        stream.seek(0, os.SEEK_END)
        if stream.tell() + len(message) + 1 <= self.max_bytes:
            return False
        return os.path.isfile(self.baseFilename)  # e.g. /dev/null as the log: never renamed

    def _rotate(self) -> None:
        self.stream.close()  # the stream only: the handler stays registered for the exit
        self.stream = None
        base = self.baseFilename
        for number in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{number}"):
                os.replace(f"{base}.{number}", f"{base}.{number + 1}")
        if self.backups > 0:
            os.replace(base, f"{base}.1")
        self.stream = self._open()

    def handleError(self, record):  # noqa: N802 - logging's name
        if self.failed:
            return
        self.failed = True
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or error
        print(
            f"{self.program}: warning: cannot write the log file "
            f"{self.baseFilename} ({reason}); the run goes on without it",
            file=sys.stderr,
        )


def setup_logging(paths: StatsPaths, program: str, verbose: bool = False) -> logging.Logger:
    """One rotating log file per program under data/logs/, plus stderr on a terminal."""
    logger = logging.getLogger("pxstats")
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = UtcFormatter("%(asctime)s [%(process)d] [%(levelname)s] %(message)s")
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        file_handler = ProgramLog(paths.program_log(program), 10 * 1024 * 1024, 3)
        file_handler.program = program
        file_handler.setFormatter(formatter)
        logger.addHandler(file_handler)
    except OSError as exc:
        raise UserError(f"cannot write the log folder {paths.logs}: {exc.strerror}") from None
    if sys.stderr.isatty() or verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        logger.addHandler(console)
    return logger


def one_line(message: str) -> str:
    """The message with its line breaks shown as \\n, \\r (a value given by the user may
    hold them): an error stays one line."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def fail(program: str, message: str, status: int = EXIT_FAILURE) -> int:
    print(f"{program}: error: {one_line(message)}", file=sys.stderr)
    return status


def exit_now(status: int):
    """End the process with `status` without Python's teardown of its modules and objects
    (10-15 ms, most of a small hourly run's own work): the log files are closed and the
    standard streams flushed first; every file the program wrote is closed by then. For a
    console script's last step only, never inside a process that goes on (tests, workers)."""
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # e.g. a closed pipe: what Python's own exit would say
        status = status or 120
    os._exit(status)


def run(program: str, body, argv=None) -> int:
    """Run `body(argv)`; turn UserError into one line on stderr and a non-zero status."""
    try:
        return body(argv) or 0
    except UserError as exc:
        return fail(program, str(exc))
    except KeyboardInterrupt:
        return fail(program, "interrupted", 130)


def _context(source):
    from pxstats import config as _config

    return source if isinstance(source, _config.Context) else _config.Context(source.root)


def load_config_file(source):
    """The whole configuration of a Context (or of the root of a StatsPaths), None when
    ROOT/etc/config does not exist; UserError when it is invalid."""
    from pxstats import config as _config

    try:
        return _context(source).config
    except (_config.ConfigError, OSError) as exc:
        raise UserError(str(exc)) from None


def load_settings(source) -> tuple[str, tuple[str, ...]]:
    """(main application language, group names) from ROOT/etc/config; ("en", ()) without it."""
    context = _context(source)
    load_config_file(context)
    return context.main_language, context.group_names


# -- option values shared by several scripts ---------------------------------------------


def comma_words(text: str, remove: str = " ") -> list[str]:
    """The non-empty items of a comma-separated option, once the characters of `remove`
    (spaces by default) are taken out."""
    for character in remove:
        text = text.replace(character, "")
    return [word for word in text.split(",") if word]


def date_option(value: str | None, message: str | None = None) -> int:
    """Epoch of a date option, now when it is None; UserError(message) when unreadable
    (default: the date message of pxstats.actions.options)."""
    try:
        return timeutil.parse_user_date(value) if value is not None else timeutil.now()
    except timeutil.BadDate:
        if message is None:
            from pxstats.actions.options import DATE_FORMAT_ERROR as message
        raise UserError(message) from None


def add_fixed_options(parser: argparse.ArgumentParser) -> None:
    """--fixedPrevious and --fixedCurrent: calendar periods instead of the last N days."""
    parser.add_argument(
        "--fixedPrevious",
        action="store_true",
        help="The calendar day, week (Sunday to Sunday), month or year before "
        "the one holding the date.",
    )
    parser.add_argument(
        "--fixedCurrent",
        action="store_true",
        help="The calendar day, week (Sunday to Sunday), month or year holding the date.",
    )


def asked_periods(args) -> tuple[str, ...]:
    """The periods of -d -w -m -y (daily, weekly, monthly, yearly) given on the command line;
    the action checks that there is at most one."""
    flags = (args.daily, args.weekly, args.monthly, args.yearly)
    return tuple(period for period, on in zip(PERIODS, flags) if on)
