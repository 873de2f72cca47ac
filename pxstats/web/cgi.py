"""The web application as a CGI script, for an existing Apache (the original's deployment).

installPxStatsWebInterface writes one small executable per original script name under
<document root>/scripts/cgi-bin/ that runs this module with the root; the application routes
on SCRIPT_NAME, so graphicsRequestPage.py, graphicsRequestBroker.py, ... all work.
Errors are logged under ROOT/data/logs/pxStatsWeb.log; the browser gets a generic text.
"""

from __future__ import annotations

import logging
import sys
import wsgiref.handlers
from pathlib import Path

from pxstats import config as _config
from pxstats.paths import root_from
from pxstats.web.app import App


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else None
    logger = logging.getLogger("pxstats")
    try:
        context = _config.Context(root or _config_root())
        paths = context.paths
        paths.logs.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(paths.program_log("pxStatsWeb"))
        handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        config = context.config
        if config is None:
            raise _config.ConfigError(f"{paths.config_file} not found")
        app = App(paths, config)
    except Exception:  # never a traceback to the browser
        logger.exception("pxStatsWeb CGI: cannot start")
        sys.stdout.write(
            "Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nInternal error.\n"
        )
        return 0
    wsgiref.handlers.CGIHandler().run(app)
    return 0


def _config_root() -> Path:
    """Without the root argument: the commands' root (never a folder of the installed package)."""
    return root_from(None)


if __name__ == "__main__":
    raise SystemExit(main())
