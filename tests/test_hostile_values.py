"""Every console script over a shared list of hostile values (issue 11, "Done when" point 2).

Each value is given to each option of a script that takes a value (names, dates, numbers,
paths, --root) and to each of its positionals, the other arguments being those of a harmless
base command on a root R (3 hours of generateSampleLogs on pxatx1,pxatx2, collected and
transferred). The scripts run in-process (`main(argv)`), in a scratch working folder.

A case passes when the run
* exits non-zero with exactly one line on stderr, and leaves no new file or folder anywhere
  in the scratch area except its root's data/logs/ (its log) and data/temp/lockFiles/ (lock
  files are kept by design, they hold no data), or
* is listed in ACCEPTED (exit 0, with the documented meaning given there), and writes only
  below R's data/ (or where the option says: pickleViewer's OUTPUT).
Known defects are in DEFECTS, as strict xfails (an unexpected pass fails): they are to fix.
A run is stopped after HANG_SECONDS (SIGALRM) and then fails.

The module is ~400 lines because most of it is those three tables, one entry per script or
per accepted or known-bad case: they are the record of what each script does with each value.
"""

import argparse
import contextlib
import importlib
import io
import logging
import os
import shutil
import signal
import socket
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import REPO

END = "2024-03-10 12:00:00"
MACHINES = "pxatx1,pxatx2"
PICKLE = "satnet/20240310/tx/pxatx1_10"
HANG_SECONDS = 10

HOSTILE = {
    "empty": "",
    "blank": "   ",
    "non-utf8": os.fsdecode(b"\xff\xfe"),
    "control": "a\x01b",
    "newline": "a\nb",
    "300-chars": "a" * 300,
    "dotdot": "../",
    "dash": "-x",
    "huge": "99999999999999999999999",
    "negative": "-5",
    "future": "9999-12-31 23:59:59",
    "ancient": "1900-01-01 00:00:00",
}

# Base commands: options (None: a flag) and positionals. {R}, {CWD}, {DOC}, {PORT} are
# filled in per run. Each is harmless: up to date, a dry run, or refused for want of
# configuration after the values are checked.
BASES = {
    "pickleUpdater": ({"-m": "pxatx1", "-f": "tx", "-c": "satnet", "-d": END}, []),
    "pickleViewer": ({}, [PICKLE, "{CWD}/view.txt"]),
    "picklesTimeOfUpdatesViewer": ({}, []),
    "setTimeOfLastUpdates": ({"-m": "pxatx1", "-f": "tx", "-c": "satnet"}, [END]),
    "pickleCleaner": ({"-d": END}, ["30"]),
    "recollectData": (
        {
            "--from": "2024-03-10 10:00:00",
            "--date": END,
            "-m": "pxatx1",
            "-f": "tx",
            "-c": "satnet",
        },
        [],
    ),
    "generateSampleLogs": (
        {"--hours": "1", "--date": END, "--machines": "pxatx1", "--rate": "10", "-q": None},
        [],
    ),
    "transferPickleToRRD": ({"-m": MACHINES, "--date": END}, []),
    "generateRRDGraphics": ({"-c": "satnet", "-m": MACHINES, "-f": "tx", "-d": END}, []),
    "backupRRDDatabases": ({"-d": END}, ["3"]),
    "restoreRoundRobinDatabases": ({}, [END]),
    "generateGraphics": ({"-c": "satnet", "-m": "pxatx1", "-f": "tx", "-d": END}, []),
    "generateAllGnuGraphicsForMachines": ({"-m": "pxatx1", "-d": END, "--dry-run": None}, []),
    "csvDataConversion": ({"--daily": None, "--date": END, "-f": "tx", "--machines": "pxatx1"}, []),
    "generateWebPages": ({"-d": END}, []),
    "installPxStatsWebInterface": ({}, ["{DOC}"]),
    "pxStatsWeb": ({"--listen": "127.0.0.1:{PORT}"}, []),  # a port in use: refused at once
    "csvDataFiltersForWebPages": ({"-f": "{CWD}/none.csv", "-c": "100"}, []),
    "statsMonitor": ({"--no-mail": None}, [END]),
    "pickleSynchroniser": ({"-m": "pxatx1", "-l": "px", "-c": "satnet"}, []),
    "retreiveDataFromMachine": ({}, ["px", "pxatx1"]),
    "retrieveDataFromMachine": ({}, ["px", "pxatx1"]),
    "pxStatsStartup": ({"-d": END, "--no-mirror": None, "--no-mail": None}, []),
    "launchGraphCreation": ({"-d": END, "--no-mirror": None, "--no-mail": None}, []),
}

NAMES = ("300-chars", "dash", "huge", "negative", "future", "ancient")
ALL_BUT_CONTROL = NAMES + ("empty", "blank", "dotdot")

# (script, option or positional, value) -> documented meaning of exit 0.
ACCEPTED = {
    **{
        ("pickleUpdater", "-t", v): "--types '' or blank: every type (comma-separated list)"
        for v in ("empty", "blank")
    },
    **{
        ("pickleViewer", "output", v): "OUTPUT is a file path relative to the working folder"
        for v in ("dash", "huge", "negative", "future", "ancient")
    },
    **{
        ("recollectData", "-c", v): "-c '' or blank: every client (comma-separated list)"
        for v in ("empty", "blank")
    },
    ("recollectData", "-m", "blank"): "-m blank: this host (spaces are removed)",
    **{
        ("generateSampleLogs", option, v): "names of the sample machines/clients/sources: "
        "any valid file name (spaces removed); '' or blank for clients/sources: the defaults"
        for option in ("--machines", "--clients", "--sources")
        for v in NAMES + ("empty", "blank")
        if v != "300-chars" and not (option == "--machines" and v in ("empty", "blank"))
    },
    ("generateSampleLogs", "--end", "future"): "sample logs may be dated at any time",
    **{
        (script, "--root", "dotdot"): "a relative root is a folder of the working folder; ../ "
        "exists (a root that does not exist is refused)"
        for script in (
            "generateSampleLogs",
            "backupRRDDatabases",
            "generateAllGnuGraphicsForMachines",
            "csvDataConversion",
            "installPxStatsWebInterface",
        )
    },
    ("transferPickleToRRD", "-e", "future"): "a future -e is brought back to the current hour",
    **{
        ("transferPickleToRRD", option, v): "'' or blank: every file type / no group / every "
        "product (comma-separated lists)"
        for option in ("-f", "-g", "-p")
        for v in ("empty", "blank")
    },
    ("generateGraphics", "-d", "future"): "a graphic of any window; hours without pickles "
    "are empty",
    **{
        ("generateGraphics", option, v): "'' or blank: no group / every product / every type"
        for option in ("-g", "-p", "-t")
        for v in ("empty", "blank")
    },
    **{
        ("generateGraphics", "-p", v): "-p patterns matching no product: an empty graphic"
        for v in NAMES
    },
    ("generateAllGnuGraphicsForMachines", "-d", "future"): "--dry-run: the plan of any window",
    **{
        ("generateAllGnuGraphicsForMachines", option, v): "--dry-run: machines (and their "
        "logins) without configured clients draw nothing"
        for option in ("-l", "-m")
        for v in tuple(HOSTILE)
        if not (option == "-m" and v in ("empty", "blank", "non-utf8", "control", "newline"))
        and not (option == "-m" and v == "dotdot")
    },
    **{
        ("csvDataConversion", "-c", v): "-c '' or blank: every name (comma-separated list)"
        for v in ("empty", "blank")
    },
    ("csvDataConversion", "--date", "future"): "the CSV of any window; no data gives 'None' cells",
    **{
        ("csvDataConversion", "--machines", v): "machines without databases: the header only "
        "(as the original)"
        for v in NAMES
    },
}

# (script, option or positional, value) -> why it fails today (strict xfail: fix, then remove).
DEFECTS = {}


def _scripts() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


def _slots(target: str):
    """(slot name, option strings or None, positional index) of each argument taking a value."""
    parser = importlib.import_module(target.split(":")[0]).build_parser()
    index = 0
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        if action.option_strings:
            if action.nargs != 0:
                yield action.option_strings[0], action.option_strings, None
        else:
            yield action.dest, None, index
            index += 1


def _cases():
    out = []
    for script, target in _scripts().items():
        for slot, strings, index in _slots(target):
            for value in HOSTILE:
                key = (script, slot, value)
                marks = []
                if key in DEFECTS:
                    marks = [pytest.mark.xfail(strict=True, reason=DEFECTS[key])]
                out.append(
                    pytest.param(
                        script,
                        target,
                        slot,
                        strings,
                        index,
                        value,
                        marks=marks,
                        id=f"{script}-{slot}-{value}",
                    )
                )
    return out


class _Hang(BaseException):
    """Raised by SIGALRM: not an Exception, so that no `except` of the scripts stops it."""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The template root R, built once with the real commands, and a busy port."""
    base = tmp_path_factory.mktemp("hostile")
    template = base / "template"
    scripts = _scripts()
    template.mkdir(parents=True, exist_ok=True)
    root = ["--root", str(template)]
    steps = [
        ("generateSampleLogs", ["--hours", "3", "--date", END, "--machines", MACHINES, "-q"]),
    ]
    for machine in MACHINES.split(","):
        for file_type in ("tx", "rx"):
            steps.append(
                ("pickleUpdater", ["-f", file_type, "-m", machine, "-d", "2024-03-10 10:00:00"])
            )
            steps.append(("pickleUpdater", ["-f", file_type, "-m", machine, "-d", END]))
    steps.append(("transferPickleToRRD", ["-m", MACHINES, "--date", END]))
    for script, argv in steps:
        code, _, err = _call(scripts[script], root + argv)
        assert code == 0, (script, err)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    work = base / "area"
    (work / "cwd").mkdir(parents=True)
    shutil.copytree(template, work / "R", symlinks=True)
    yield work, template, busy.getsockname()[1]
    busy.close()


def _call(target: str, argv):
    """(exit status, stdout, stderr) of main(argv), in-process."""
    module, function = target.split(":")
    main = getattr(importlib.import_module(module), function)
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    logger = logging.getLogger("pxstats")

    def alarm(*_):
        raise _Hang()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except _Hang:
        code = "hang"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        sys.stdout, sys.stderr = saved  # -q may have replaced sys.stdout
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
    return code, out.getvalue(), err.getvalue()


def _snapshot(base: Path, skip: Path) -> dict:
    """Every path below `base` but `skip`: path -> (size, mtime) for files, None for folders."""
    out = {}
    for top, folders, files in os.walk(base):
        if top == str(skip) or top.startswith(f"{skip}{os.sep}"):
            folders[:] = []
            continue
        for name in folders:
            out[os.path.join(top, name)] = None
        for name in files:
            path = os.path.join(top, name)
            with contextlib.suppress(OSError):
                status = os.lstat(path)
                out[path] = (status.st_size, status.st_mtime_ns)
    return out


def _allowed(path: str, root: Path, extra: list) -> bool:
    """Whether a new path is the run's log, a lock file, or a folder leading to them; or
    (accepted runs) below one of `extra`."""
    keep = [root / "data" / "logs", root / "data" / "temp" / "lockFiles", *extra]
    for folder in keep:
        folder = os.path.normpath(folder)
        if path == folder or path.startswith(folder + os.sep) or folder.startswith(path + os.sep):
            return True
    return False


@pytest.fixture
def area(world, monkeypatch):
    """The shared scratch area (R, the working folder), put back as it was after a run that
    changed anything in it (copying R for every case would take minutes)."""
    work, template, port = world
    monkeypatch.chdir(work / "cwd")
    before = _snapshot(work, work / "R" / "data" / "logs")
    yield work, port
    if _snapshot(work, work / "R" / "data" / "logs") != before:
        for entry in work.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        (work / "cwd").mkdir()
        shutil.copytree(template, work / "R", symlinks=True)


@pytest.mark.parametrize("script, target, slot, strings, index, value", _cases())
def test_hostile_value(area, script, target, slot, strings, index, value):
    work, port = area
    fill = {
        "R": str(work / "R"),
        "CWD": str(work / "cwd"),
        "DOC": str(work / "doc"),
        "PORT": str(port),
    }
    options, positionals = BASES.get(script, ({}, []))  # a new script: its defaults
    options = {k: (v.format(**fill) if v is not None else None) for k, v in options.items()}
    options.setdefault("--root", fill["R"])
    positionals = [p.format(**fill) for p in positionals]
    hostile = HOSTILE[value]
    if strings:
        options = {k: v for k, v in options.items() if k not in strings}
        options[strings[0]] = hostile
    else:
        positionals += ["x"] * (index + 1 - len(positionals))
        positionals[index] = hostile
    argv = []
    for option, given in options.items():
        if given is None:
            argv.append(option)
        elif given.startswith("-"):
            argv.append(f"{option}={given}")  # else taken for an option
        else:
            argv += [option, given]
    if any(p.startswith("-") for p in positionals):
        argv.append("--")
    argv += positionals
    root = Path(os.path.abspath(options["--root"] or "."))
    before = _snapshot(work, work / "R" / "data" / "logs")
    code, out, err = _call(target, argv)
    after = _snapshot(work, work / "R" / "data" / "logs")
    new = sorted(set(after) - set(before))
    key = (script, slot, value)
    extra = []
    if code == 0 and key in ACCEPTED:
        extra = [work / "R" / "data", root / "data"]
        if slot == "output":
            extra.append(work / "cwd" / hostile)
        if script == "installPxStatsWebInterface":
            extra += [Path(p) for p in positionals]  # the document root it publishes into
    left = [path for path in new if not _allowed(path, root, extra)]
    assert not left, f"{argv!r} left {left[:3]} (exit {code}, stderr {err!r})"
    if code == 0:
        assert key in ACCEPTED, f"{argv!r} accepted without a documented meaning: {out[-300:]!r}"
        return
    assert code != "hang", f"{argv!r} still running after {HANG_SECONDS} s"
    assert isinstance(code, int) and code != 0
    assert len(err.splitlines()) == 1 and "Traceback" not in err, f"{argv!r}: {err!r}"
    assert key not in ACCEPTED, f"{argv!r} is refused now ({err.strip()}): update ACCEPTED"
