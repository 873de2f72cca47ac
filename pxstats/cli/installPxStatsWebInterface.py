"""installPxStatsWebInterface: publish the web interface under a web server's document root
(spec graphics_web.md §4.1, with B-40 and B-41 fixed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pxstats.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    OneLineParser,
    UserError,
    add_root_option,
    fail,
    load_config_file,
    make_paths,
)
from pxstats.util import atomic
from pxstats.web import site
from pxstats.web.words import LANGUAGES

PROGRAM = "installPxStatsWebInterface"
CGI_SCRIPTS = (
    "graphicsRequestPage.py",
    "graphicsRequestBroker.py",
    "popupSourlientAdder.py",
    "updateWordsInDB.py",
    "generateImageWebPage.py",
)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Publish the pxStats web interface under DOCUMENT_ROOT: one symbolic link "
        "per published page, graphics, archive and CSV folder, and one CGI "
        "script per request-page script under scripts/cgi-bin/. Configuration, "
        "logs, pickles and databases are never published.",
    )
    parser.add_argument(
        "document_root",
        metavar="DOCUMENT_ROOT",
        help="Absolute path of the web server's document root (created if missing).",
    )
    add_root_option(parser)
    return parser


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        raise UserError(f"{link} exists and is not a symbolic link; remove it first")
    link.symlink_to(target)


def cgi_script(root: Path) -> str:
    return (
        f"#!{sys.executable}\n"
        "# pxStats request page (CGI); every script name runs the same application.\n"
        "import sys\n"
        "from pxstats.web.cgi import main\n"
        f"sys.exit(main([{str(root)!r}]))\n"
    )


def install(paths, config, document_root: Path) -> list[Path]:
    main = config.general.main_application_language if config else "en"
    displays = [d for d, _ in config.general.web_pages_languages] if config else ["en"]
    languages = [lang for lang in LANGUAGES if lang in displays or lang == main]
    made = []
    document_root.mkdir(parents=True, exist_ok=True, mode=0o755)
    for url, target in sorted(site.published(paths, languages, main).items()):
        if target.suffix != ".html":
            target.mkdir(parents=True, exist_ok=True, mode=0o755)
        link = document_root / url
        _link(target, link)
        made.append(link)
    cgi = document_root / site.CGI
    cgi.mkdir(parents=True, exist_ok=True, mode=0o755)
    for name in CGI_SCRIPTS:
        script = cgi / name
        atomic.write_text(script, cgi_script(paths.root), mode=0o755)
        made.append(script)
    return made


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        document_root = Path(args.document_root)
        if not document_root.is_absolute():
            raise UserError(
                f"the document root must be an absolute path, got {args.document_root!r}"
            )
        paths = make_paths(args.root)
        config = load_config_file(paths)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_USAGE)
    try:
        made = install(paths, config, document_root)
    except UserError as exc:
        return fail(PROGRAM, str(exc), EXIT_FAILURE)
    except OSError as exc:
        return fail(
            PROGRAM, f"cannot publish under {document_root}: {exc.strerror or exc}", EXIT_FAILURE
        )
    print(f"{len(made)} entries published under {document_root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
