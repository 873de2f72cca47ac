"""pickleSynchroniser, retreiveDataFromMachine, configuration copies, and the names that must
never reach ssh, rsync or a remote shell — through a real sshd."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from manpage import assert_manual_page_matches_help
from sshd import start_world

from pxstats.actions import sync
from pxstats.cli import pickleSynchroniser, retreiveDataFromMachine
from pxstats.paths import StatsPaths, this_host
from pxstats.remote.commands import Host
from pxstats.remote.names import BadName, check_name
from pxstats.util import timeutil

REPO = Path(__file__).resolve().parent.parent
TODAY = timeutil.yyyymmdd(timeutil.now())
OLD = timeutil.yyyymmdd(timeutil.now() - 40 * timeutil.DAY)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = start_world(tmp_path_factory.mktemp("ssh"))
    yield w
    w.stop()


@pytest.fixture
def machines(world):
    for machine in world.machines.values():
        for folder in (machine.px_log, machine.px_root / "etc", machine.stats_root):
            shutil.rmtree(folder, ignore_errors=True)
        for sub in ("px/log", "px/etc/rx", "px/etc/tx", "pxStats/etc"):
            (machine.home / sub).mkdir(parents=True, exist_ok=True)
    return world.machines


@pytest.fixture
def here(tmp_path, world) -> StatsPaths:
    """This machine's root, with the operator's ssh files in ROOT/etc/."""
    paths = StatsPaths(tmp_path / "graphics")
    paths.etc.mkdir(parents=True)
    shutil.copy(world.ssh_config, paths.etc / "ssh_config")
    shutil.copy(world.known_hosts, paths.etc / "known_hosts")
    return paths


def write_config(
    paths: StatsPaths, sources: str, picklers: str, machines_lines: str, days: int = 21
) -> None:
    text = (REPO / "etc" / "config.sample").read_text().split("[specialGroups]")[0]
    text = re.sub(r"(?m)^sourceMachinesTags\s*=.*$", f"sourceMachinesTags = {sources}", text)
    text = re.sub(r"(?m)^picklingMachines\s*=.*$", f"picklingMachines = {picklers}", text)
    text = re.sub(r"(?m)^daysOfPicklesToKeep\s*=.*$", f"daysOfPicklesToKeep = {days}", text)
    (paths.etc / "config").write_text(text)
    (paths.etc / "configForMachines").write_text(machines_lines)


def put(path: Path, data: bytes = b"pickle") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    }


# -- pickleSynchroniser ----------------------------------------------------------------------------


def test_pickle_synchroniser_pulls_all_or_some_clients(machines, here, capsys):
    remote = StatsPaths(machines["px-pick1"].stats_root).pickles
    put(remote / "alpha" / TODAY / "tx" / "px-src1_03", b"a3")
    put(remote / "beta" / TODAY / "tx" / "px-src1_03", b"b3")
    args = ["--root", str(here.root), "-m", "px-pick1"]
    assert pickleSynchroniser.main(args + ["-c", "alpha"]) == 0
    assert tree(here.pickles) == {f"alpha/{TODAY}/tx/px-src1_03": b"a3"}
    assert pickleSynchroniser.main(args + ["-v"]) == 0
    assert tree(here.pickles) == tree(remote)
    assert "px-pick1: pickle synchronisation: ok" in capsys.readouterr().out
    assert (here.logs / "pickleSynchroniser.log").exists()
    assert pickleSynchroniser.main(args + ["-o", "sync"]) == 0
    assert (here.logs / "stats_sync.log").exists()


def test_pickle_synchroniser_delete_stays_in_the_window_and_the_machines(machines, here):
    write_config(
        here,
        "sources",
        "picklers",
        "sources px-src1,px-src2 root,root\npicklers px-pick1,px-pick1 root,root\n",
    )
    remote = StatsPaths(machines["px-pick1"].stats_root).pickles
    put(remote / "alpha" / TODAY / "tx" / "px-src1_03")
    gone = put(here.pickles / "alpha" / TODAY / "tx" / "px-src1_04")  # deleted there
    other = put(here.pickles / "alpha" / TODAY / "tx" / "px-local_04")  # another machine's
    old = put(here.pickles / "alpha" / OLD / "tx" / "px-src1_04")  # out of the window
    merged = put(here.pickles / "alpha" / TODAY / "tx" / "px-src1px-src2_04")
    args = ["--root", str(here.root), "-m", "px-pick1"]
    assert pickleSynchroniser.main(args) == 0
    assert gone.exists()  # no deletion without --delete
    assert pickleSynchroniser.main(args + ["--delete"]) == 0
    assert not gone.exists()
    assert other.exists() and old.exists() and merged.exists()
    assert (here.pickles / "alpha" / TODAY / "tx" / "px-src1_03").exists()


def test_pickle_synchroniser_failure_is_one_line_and_status_1(machines, here, capsys):
    put(here.pickles / "alpha" / TODAY / "tx" / "px-src1_03", b"kept")
    assert pickleSynchroniser.main(["--root", str(here.root), "-m", "px-down,px-pick1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("pickleSynchroniser: error: px-down: pickle synchronisation: ")
    assert "connection refused" in err[0]
    assert tree(here.pickles) == {f"alpha/{TODAY}/tx/px-src1_03": b"kept"}


def test_pickle_synchroniser_logins_must_pair_with_machines(here, capsys):
    assert pickleSynchroniser.main(["--root", str(here.root), "-m", "a,b,c", "-l", "x,y"]) == 2
    assert "2 logins for 3 machines" in capsys.readouterr().err


# -- configuration copies and log mirror for local pickling ----------------------------------------


def test_configuration_copies_come_before_the_client_list(machines, here):
    etc = machines["px-src2"].px_root / "etc"
    (etc / "tx" / "alpha.conf").write_text("x")
    (etc / "rx" / "feed.conf").write_text("x")
    stale = put(here.px_config_copies / "tx" / "px-src2" / "removed.conf", b"x")
    (machines["px-src2"].px_log / "tx_alpha.log").write_text("")
    with sync.SyncContext.open(here) as context:
        outcomes = sync.run(context, sync.CollectRemote(Host("px-src2"), None, 0))
    assert [o.step for o in outcomes] == [
        "configuration copy rx",
        "configuration copy tx",
        "mirror logs",
    ]
    assert all(o.ok for o in outcomes)
    assert sorted(tree(here.px_config_copies)) == ["rx/px-src2/feed.conf", "tx/px-src2/alpha.conf"]
    assert not stale.exists()
    assert (here.log_files / "px-src2" / "tx_alpha.log").exists()
    from pxstats.actions.update import client_names

    assert client_names(here, "tx", "px-src2") == ["alpha"]


# -- retreiveDataFromMachine -----------------------------------------------------------------------


def test_retrieve_copies_the_data_folders_and_the_logs_this_host_pickles(machines, here, capsys):
    other = StatsPaths(machines["px-pick1"].stats_root)
    put(other.pickles / "alpha" / TODAY / "tx" / "px-src1_03", b"p")
    put(other.data / "databases" / "currentDatabases" / "latency" / "alpha_px-src1", b"rrd")
    put(other.data / "graphics" / "webGraphics" / "daily" / "a.png", b"png")
    put(other.data / "monitoring" / "maxSettings.conf", b"max")
    put(other.data / "monitoring" / "previousCrontab", b"cron")
    put(other.times_of_updates / "tx_alpha_px-src1", b"S'x'\n")
    stale = put(here.data / "graphics" / "old.png", b"stale")
    (machines["px-src1"].px_log / "tx_alpha.log").write_text("log\n")
    host = this_host()
    write_config(here, "sources", "picklers", f"sources px-src1 root\npicklers {host} root\n")
    assert retreiveDataFromMachine.main(["--root", str(here.root), "root", "px-pick1"]) == 0
    out = capsys.readouterr().out
    assert "px-pick1: retrieve pickles: ok" in out
    assert "px-pick1: retrieve mergedPickles: absent there" in out
    for folder in (
        "pickles",
        "graphics",
        "monitoring",
        "picklesTimeOfUpdates",
        "databases/currentDatabases",
    ):
        assert tree(here.data / folder) == tree(other.data / folder), folder
    assert not stale.exists()
    assert (here.log_files / "px-src1" / "tx_alpha.log").read_text() == "log\n"
    for folder in ("databases/databasesBackups", "databases/currentDatabasesTimeOfUpdates"):
        assert (here.data / folder).is_dir()


def test_retrieve_alias_and_bad_login(here, capsys):
    assert (
        retreiveDataFromMachine.alias_main(
            ["--root", str(here.root), "--", "-oProxyCommand=touch /tmp/x", "px-pick1"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("retrieveDataFromMachine: error: invalid login name")
    assert len(err.strip().splitlines()) == 1


# -- security --------------------------------------------------------------------------------------

BAD_NAMES = [
    "a;touch {marker}",
    "$(touch {marker})",
    "`touch {marker}`",
    "a b",
    "../{marker}",
    "-oProxyCommand=touch {marker}",
    "a/b",
    "a\nb",
    "a\tb",
    "a:b",
    "a@b",
    "..",
    "",
]


@pytest.mark.parametrize("pattern", BAD_NAMES)
def test_bad_names_are_refused_before_any_process_starts(pattern, here, tmp_path, capsys):
    marker = tmp_path / "touched"
    name = pattern.format(marker=marker)
    with pytest.raises(BadName):
        check_name("machine", name)
    with pytest.raises(BadName):
        Host(name)
    if name:  # an empty login means ssh's default login
        with pytest.raises(BadName):
            Host("px-pick1", name)
    if name.strip():
        for option in ("-m", "-l", "-c"):
            assert (
                pickleSynchroniser.main(
                    ["--root", str(here.root), "-m", "px-pick1", f"{option}={name}"]
                )
                == 2
            )
        assert retreiveDataFromMachine.main(["--root", str(here.root), "--", name, "px-pick1"]) == 2
        assert retreiveDataFromMachine.main(["--root", str(here.root), "--", "root", name]) == 2
    assert not marker.exists()
    assert not here.logs.exists()  # refused before even the log was opened


def test_a_bad_name_in_configForMachines_is_refused(here, capsys):
    write_config(here, "sources", "picklers", "sources px;touch root\npicklers px-pick1 root\n")
    assert pickleSynchroniser.main(["--root", str(here.root), "-m", "px-pick1", "--delete"]) == 1
    assert "invalid machine name 'px;touch'" in capsys.readouterr().err


def test_a_remote_root_with_shell_characters_is_refused(world, machines, here):
    overrides = {("px-src1", "PXROOT"): "/apps/px$(touch /tmp/pwned)/"}
    with sync.SyncContext.open(here, root_overrides=overrides) as context:
        [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src1")))
    assert not outcome.ok and "invalid PXROOT of px-src1" in outcome.line()
    from pxstats.remote.roots import KINDS, MARKER, parse_answer

    with pytest.raises(BadName):
        parse_answer(f"\n{MARKER}/x;rm -rf /\n", KINDS["PXROOT"])


def test_remote_command_words_are_quoted():
    from pxstats.remote.commands import remote_command

    command = remote_command(["/bin/pickleUpdater", "--date", "2026-12-04 01:00:00"], 60)
    assert command == ("timeout --kill-after=10 60 /bin/pickleUpdater --date '2026-12-04 01:00:00'")


# -- the scripts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module, name",
    [
        (pickleSynchroniser, "pickleSynchroniser"),
        (retreiveDataFromMachine, "retreiveDataFromMachine"),
    ],
)
def test_manual_pages_and_shims(module, name):
    assert_manual_page_matches_help(REPO / "man" / "man1" / f"{name}.1", module.build_parser())
    shim = REPO / "bin" / name
    result = subprocess.run(
        [str(shim), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and f"usage: {name}" in result.stdout
    page = REPO / "man" / "man1" / "retrieveDataFromMachine.1"
    assert page.read_text() == ".so man1/retreiveDataFromMachine.1\n"
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / "retreiveDataFromMachine.1",
        retreiveDataFromMachine.build_parser("retrieveDataFromMachine"),
    )
    alias = subprocess.run(
        [str(REPO / "bin" / "retrieveDataFromMachine"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "usage: retrieveDataFromMachine" in alias.stdout
