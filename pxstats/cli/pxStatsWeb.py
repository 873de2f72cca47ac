"""pxStatsWeb: serve the web interface (pages, request page, graphics) with waitress."""

from __future__ import annotations

import argparse
import ipaddress
import logging

from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    load_config_file,
    make_paths,
    setup_logging,
    whole_number,
)

PROGRAM = "pxStatsWeb"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Serve the pxStats web interface with waitress: the pages written by "
        "generateWebPages, the graphics and CSV folders they link to, and the "
        "graphics request page with its broker. Nothing else of the root is "
        "published.",
    )
    parser.add_argument(
        "--listen",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="Address and port to listen on (default: %(default)s).",
    )
    parser.add_argument(
        "--threads",
        type=whole_number(1, 64),
        default=8,
        help="Requests served at once, 1 to 64 (default: %(default)s).",
    )
    parser.add_argument(
        "--max-graphics",
        type=whole_number(1, 16),
        default=4,
        metavar="N",
        help="Graphics drawn at once, 1 to 16; other requests wait up to a minute "
        "(default: %(default)s).",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def listen_address(text: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        if host != "localhost" or not port.isdigit():
            raise UserError(
                f"--listen must be HOST:PORT with an IP address, got {text!r}"
            ) from None
        number = int(port)
    if not colon or not 0 < number < 65536:
        raise UserError(f"--listen must be HOST:PORT with a port from 1 to 65535, got {text!r}")
    return host, number


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        host, port = listen_address(args.listen)
        if args.threads < 1 or args.max_graphics < 1:
            raise UserError("--threads and --max-graphics must be at least 1")
        paths = make_paths(args.root)
        config = load_config_file(paths)
        if config is None:
            raise UserError(f"{paths.config_file} not found")
        setup_logging(paths, PROGRAM, args.verbose)
        logging.getLogger("pxstats").propagate = False  # waitress configures the root logger
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    import waitress

    from pxstats.actions.web_request import Broker
    from pxstats.web.app import App

    app = App(paths, config, broker=Broker(paths, config, max_concurrent=args.max_graphics))
    print(f"pxStatsWeb: serving {paths.root} on http://{host}:{port}/index.html", flush=True)
    try:
        waitress.serve(app, host=host, port=port, threads=args.threads, ident="pxStats")
    except OSError as exc:
        return fail(PROGRAM, f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_FAILURE)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
