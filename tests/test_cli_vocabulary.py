"""One vocabulary across the commands (issue 10 item 9): every console script has --version,
-q/--quiet and --root; the long options --machines, --clients, --date, --file-type and
--language are accepted by every command that has the concept; usage errors are one line."""

import importlib
import subprocess
import sys
import tomllib

import pytest
from helpers import REPO, hourly_lines, write_log

import pxstats
from pxstats.cli import pickleUpdater

SCRIPTS = {
    name: target.split(":")[0]
    for name, target in tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "scripts"
    ].items()
}

# Which concepts each command has (the long option must be there).
CONCEPTS = {
    "pickleUpdater": {"--machines", "--clients", "--date", "--file-type"},
    "recollectData": {"--machines", "--clients", "--date", "--file-type"},
    "setTimeOfLastUpdates": {"--machines", "--clients", "--date", "--file-type"},
    "transferPickleToRRD": {"--machines", "--clients", "--date", "--file-type"},
    "generateGraphics": {"--machines", "--clients", "--date", "--file-type", "--language"},
    "generateAllGnuGraphicsForMachines": {"--machines", "--date", "--language"},
    "generateRRDGraphics": {"--machines", "--clients", "--date", "--file-type", "--language"},
    "csvDataConversion": {"--machines", "--clients", "--date", "--file-type", "--language"},
    "backupRRDDatabases": {"--date"},
    "restoreRoundRobinDatabases": {"--date"},
    "pickleCleaner": {"--date"},
    "generateSampleLogs": {"--machines", "--clients", "--date"},
    "statsMonitor": {"--date"},
}


def options_of(module: str) -> set[str]:
    parser = importlib.import_module(module).build_parser()
    return {o for action in parser._actions for o in action.option_strings}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_script_has_the_common_options(name):
    assert {"-q", "--quiet", "--version", "--root", "-h"} <= options_of(SCRIPTS[name])


@pytest.mark.parametrize("name", sorted(CONCEPTS))
def test_long_options_where_the_concept_applies(name):
    assert CONCEPTS[name] <= options_of(SCRIPTS[name])


@pytest.mark.parametrize("name", ["pickleUpdater", "generateRRDGraphics", "generateSampleLogs"])
def test_version_and_one_line_usage_errors(name):
    module = SCRIPTS[name]
    done = subprocess.run(
        [sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"{name} {pxstats.__version__}")
    done = subprocess.run(
        [sys.executable, "-m", module, "--no-such-option"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1


def test_quiet_prints_nothing_on_success_and_errors_still_show(tmp_path, capsys):
    write_log(
        tmp_path / "data" / "logFiles" / "m1" / "tx_c.log", hourly_lines("2008-04-30 10:00:00", 2)
    )
    args = ["--root", str(tmp_path), "--machines", "m1", "--clients", "c", "--file-type", "tx"]
    real_stdout = sys.stdout
    try:
        assert pickleUpdater.main([*args, "--date", "2008-04-30 11:10:00", "-q", "-v"]) == 0
        assert pickleUpdater.main([*args, "--date", "04/30/2008", "-q"]) == 2
    finally:
        sys.stdout = real_stdout
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1].startswith("pickleUpdater: error: The date format")
    assert (tmp_path / "data" / "pickles" / "c" / "20080430" / "tx" / "m1_10").is_file()
