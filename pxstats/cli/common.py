"""What every console script shares: --root, logging set-up, one-line user errors."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys
from pathlib import Path

from .. import config as _config
from ..paths import StatsPaths, root_from

EXIT_USAGE = 2
EXIT_FAILURE = 1


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (status 2), without the usage text."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class UserError(Exception):
    """An error the user can fix: printed as one line, no traceback, non-zero exit."""


def add_root_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", metavar="DIR",
                        help="pxStats root folder (default: $PXSTATS_ROOT, else the installation)")


def make_paths(root_option: str | None) -> StatsPaths:
    """StatsPaths for the root, with Sundew's folders taken from <root>/etc/config if present."""
    root = root_from(root_option)
    try:
        settings = _config.load_general(Path(root) / "etc" / "config")
    except _config.ConfigError as exc:
        raise UserError(str(exc)) from None
    return StatsPaths(root, px_log_dir=settings.px_log_dir, px_etc_dir=settings.px_etc_dir)


def setup_logging(paths: StatsPaths, program: str, verbose: bool = False) -> logging.Logger:
    """One rotating log file per program under data/logs/, plus stderr on a terminal."""
    logger = logging.getLogger("pxstats")
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter("%(asctime)s [%(levelname)s] %(message)s")
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            paths.program_log(program), maxBytes=10 * 1024 * 1024, backupCount=3)
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


def fail(program: str, message: str, status: int = EXIT_FAILURE) -> int:
    print(f"{program}: error: {message}", file=sys.stderr)
    return status


def run(program: str, body, argv=None) -> int:
    """Run `body(argv)`; turn UserError into one line on stderr and a non-zero status."""
    try:
        return body(argv) or 0
    except UserError as exc:
        return fail(program, str(exc))
    except KeyboardInterrupt:
        return fail(program, "interrupted", 130)


def load_settings(paths: StatsPaths) -> tuple[str, tuple[str, ...]]:
    """(main application language, group names) from ROOT/etc/config; ("en", ()) without it."""
    if not paths.config_file.exists():
        return "en", ()
    try:
        config = _config.load_config(paths.etc)
    except (_config.ConfigError, OSError) as exc:
        raise UserError(str(exc)) from None
    return (config.general.main_application_language or "en",
            tuple(g.name for g in config.groups))
