import os
import sys
from pathlib import Path

import pytest

from pxstats import timeutil
from pxstats.paths import StatsPaths

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def T(text: str) -> int:
    """ISO text -> epoch (UTC)."""
    return timeutil.parse_iso(text)


def write_log(path: Path, lines) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join((l if isinstance(l, bytes) else l.encode("latin-1")) + b"\n" for l in lines)
    path.write_bytes(data)
    return path


@pytest.fixture
def stats_root(tmp_path) -> StatsPaths:
    (tmp_path / "data").mkdir()
    return StatsPaths(tmp_path)


@pytest.fixture
def run_env(tmp_path):
    env = dict(os.environ)
    env["PXSTATS_ROOT"] = str(tmp_path)
    env["PATH"] = f"{BIN}:{env['PATH']}"
    return env
