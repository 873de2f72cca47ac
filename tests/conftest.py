"""Shared fixtures. Helpers the tests import by name live in helpers.py."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "bench"))

from helpers import BIN, REPO, T, hourly_lines, make_client, make_db, save_hour, write_log  # noqa: E402,F401

from pxstats.paths import StatsPaths  # noqa: E402


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
