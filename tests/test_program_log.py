"""The programs' own log file (data/logs/<program>.log): renamed at its size limit."""

from __future__ import annotations

import logging

from pxstats.cli.common import ProgramLog


def _logger(handler: ProgramLog, name: str) -> logging.Logger:
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(f"test_program_log.{name}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger


def test_the_log_is_renamed_at_its_limit_and_backups_are_kept(tmp_path):
    path = tmp_path / "x.log"
    handler = ProgramLog(path, 100, 2)
    logger = _logger(handler, "rotate")
    for number in range(20):  # 29 bytes a line: 3 lines fit in 100 bytes, not 4
        logger.info("line %02d %s", number, "x" * 20)
    handler.close()
    numbers = {
        name: [int(line.split()[1]) for line in (tmp_path / name).read_text().splitlines()]
        for name in ("x.log", "x.log.1", "x.log.2")
    }
    assert numbers == {"x.log": [18, 19], "x.log.1": [15, 16, 17], "x.log.2": [12, 13, 14]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.log", "x.log.1", "x.log.2"]
    assert all((tmp_path / name).stat().st_size <= 100 for name in numbers)


def test_an_existing_log_is_appended_to(tmp_path):
    path = tmp_path / "x.log"
    path.write_text("earlier run\n")
    handler = ProgramLog(path, 10 * 1024 * 1024, 3)
    _logger(handler, "append").info("this run")
    handler.close()
    assert path.read_text() == "earlier run\nthis run\n"
