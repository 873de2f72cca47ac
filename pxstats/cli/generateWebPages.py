"""generateWebPages: (re)write the static web pages (spec graphics_web.md §4.2-§4.6.2)."""

from __future__ import annotations

import argparse

from pxstats.actions import web_pages
from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    comma_words,
    date_option,
    fail,
    load_config_file,
    make_paths,
    setup_logging,
)

PROGRAM = "generateWebPages"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Write the web pages of pxStats under ROOT/data/webPages/: for every "
        "(display, files) language pair the daily, weekly, monthly and yearly "
        "graphics pages, one totals page per source machine tag and the top, help "
        "and documentation pages; then the bottom and frame pages. Pages link only "
        "to graphics and CSV files that exist.",
    )
    parser.add_argument(
        "-d",
        "--date",
        default=None,
        help='Time of the pages, "YYYY-MM-DD HH:MM:SS" UTC (default: now).',
    )
    parser.add_argument(
        "--language-pairs",
        default=None,
        metavar="PAIRS",
        help="Comma-separated display:files language pairs, e.g. fr:en,en:en "
        "(default: webPagesLanguages of ROOT/etc/config).",
    )
    parser.add_argument(
        "--only",
        default=",".join(web_pages.PARTS),
        metavar="KINDS",
        help="Comma-separated kinds of pages to write among daily, weekly, "
        "monthly, yearly, totals, top, bottom (default: all).",
    )
    add_root_option(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Also log details on standard error."
    )
    return parser


def build_request(args, config) -> web_pages.Request:
    now = date_option(args.date)
    if args.language_pairs is not None:
        pairs = []
        for item in comma_words(args.language_pairs):
            display, colon, files = item.partition(":")
            if not colon:
                raise UserError(
                    f"expected display:files language pairs such as fr:en, got {item!r}"
                )
            pairs.append((display, files))
    else:
        pairs = list(config.general.web_pages_languages) or [("en", "en")]
    try:
        return web_pages.Request(
            now=now,
            pairs=tuple(pairs),
            only=tuple(comma_words(args.only)),
            main_language=config.general.main_application_language,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        paths = make_paths(args.root)
        config = load_config_file(paths)
        if config is None:
            raise UserError(
                f"{paths.config_file} not found (the pages list the machine tags, "
                "groups and languages it configures)"
            )
        request = build_request(args, config)
        setup_logging(paths, PROGRAM, args.verbose)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        outcome = web_pages.run(paths, config, request)
    except OSError as exc:
        return fail(PROGRAM, f"cannot write the pages: {exc.strerror or exc}", EXIT_FAILURE)
    print(f"{len(outcome.written)} file(s) written under {paths.data / 'webPages'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
