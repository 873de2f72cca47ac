"""End to end through a real sshd: two source machines, one remote pickling machine, the
pickles pulled to this (graphics) machine; they must equal, byte for byte, the pickles of a
purely local collection of the same logs. Then the failures of that chain."""

import shutil
import sys
from pathlib import Path

import pytest
from sshd import start_world

from pxstats import samples
from pxstats.actions import sync
from pxstats.cli import pickleUpdater
from pxstats.paths import StatsPaths
from pxstats.remote.commands import Host
from pxstats.util import timeutil

UPDATER = str(Path(sys.executable).parent / "pickleUpdater")
START, END = timeutil.parse_iso("2026-12-03 21:00:00"), timeutil.parse_iso("2026-12-04 03:00:00")
RUN1, RUN2 = timeutil.parse_iso("2026-12-04 01:10:00"), timeutil.parse_iso("2026-12-04 03:10:00")
SOURCES = ("px-src1", "px-src2")
CLIENTS = {"tx": ("alpha", "beta"), "rx": ("feed",)}


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
    for name in SOURCES:
        machine = world.machines[name]
        for file_type, clients in CLIENTS.items():
            for client in clients:
                samples.write_logs(
                    machine.px_log, file_type, client, START, END, 90, seed=f"{name}-{client}"
                )
                (machine.px_root / "etc" / file_type / f"{client}.conf").write_text("type am\n")
    return world.machines


@pytest.fixture
def here(tmp_path) -> StatsPaths:
    paths = StatsPaths(tmp_path / "graphics")
    paths.etc.mkdir(parents=True)
    return paths


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    }


def local_reference(world, dates=None, sources=SOURCES, file_types=("rx", "tx")):
    """The same logs collected by pickleUpdater on one machine, with the same two runs.

    A pickle records the paths of the log files it read, so the local collection runs in a
    root at the same path as the pickling machine's (the original's assumption too: the same
    installation path everywhere); the pickling machine's tree is wiped afterwards."""
    ref = StatsPaths(world.machines["px-pick1"].stats_root)
    for name in sources:
        machine = world.machines[name]
        shutil.copytree(machine.px_log, ref.log_files / name)
        for file_type in CLIENTS:
            shutil.copytree(
                machine.px_root / "etc" / file_type, ref.px_config_copies / file_type / name
            )
    for date in dates or (RUN1, RUN2):
        for name in sources:
            for file_type in file_types:
                assert (
                    pickleUpdater.main(
                        [
                            "--root",
                            str(ref.root),
                            "-m",
                            name,
                            "-f",
                            file_type,
                            "-c",
                            "All",
                            "--date",
                            timeutil.iso(date),
                        ]
                    )
                    == 0
                )
    found = tree(ref.pickles)
    shutil.rmtree(ref.root)
    ref.etc.mkdir(parents=True)
    return found


def pairs(*names, pickler="px-pick1"):
    return tuple((Host(name), Host(pickler)) for name in names)


def test_two_sources_pickled_remotely_equal_a_local_collection(world, machines, here):
    reference = local_reference(world)
    with sync.SyncContext.open(here, world.settings()) as context:
        for date in (RUN1, RUN2):
            outcomes = sync.run(
                context, sync.UpdateRemotePickles(pairs(*SOURCES), date, updater=UPDATER)
            )
            assert all(o.ok for o in outcomes), [o.line() for o in outcomes if not o.ok]
    steps = [(o.machine, o.step) for o in outcomes]
    assert ("px-src1", "remote pickling tx on px-pick1") in steps
    assert ("px-src2", "configuration copy rx") in steps
    assert ("px-pick1", "pickle synchronisation") in steps
    got = tree(here.pickles)
    assert len(got) == 2 * 3 * 3  # machines x clients x hours 00, 01, 02
    assert "alpha/20261204/tx/px-src1_02" in got and "feed/20261204/rx/px-src2_00" in got
    assert got == reference
    pick = StatsPaths(machines["px-pick1"].stats_root)
    assert sorted(p.name for p in (pick.px_config_copies / "tx" / "px-src1").iterdir()) == [
        "alpha.conf",
        "beta.conf",
    ]


def test_a_failing_remote_pickle_updater_is_one_line_and_the_next_run_repairs(
    world, machines, here
):
    reference = local_reference(world)
    config = machines["px-pick1"].stats_root / "etc" / "config"
    config.write_text("[generalConfig]\npxRoot = relative/path\n")
    with sync.SyncContext.open(here, world.settings()) as context:
        outcomes = sync.run(
            context, sync.UpdateRemotePickles(pairs("px-src1"), RUN1, updater=UPDATER)
        )
    failed = [o for o in outcomes if not o.ok]
    assert [(o.step) for o in failed] == [
        "remote pickling rx on px-pick1",
        "remote pickling tx on px-pick1",
    ]
    line = failed[0].line()
    assert line.startswith(
        "px-src1: remote pickling rx on px-pick1: pickleUpdater exit "
        "status 2: pickleUpdater: error: "
    )
    assert "pxRoot" in line and "\n" not in line
    assert tree(here.pickles) == {}
    config.unlink()
    with sync.SyncContext.open(here, world.settings()) as context:
        for date in (RUN1, RUN2):
            outcomes = sync.run(
                context, sync.UpdateRemotePickles(pairs(*SOURCES), date, updater=UPDATER)
            )
            assert all(o.ok for o in outcomes), [o.line() for o in outcomes if not o.ok]
    assert tree(here.pickles) == reference


def test_a_source_that_is_down_is_skipped_and_the_others_go_on(world, machines, here):
    with sync.SyncContext.open(here, world.settings()) as context:
        outcomes = sync.run(
            context, sync.UpdateRemotePickles(pairs("px-down", "px-src1"), RUN1, updater=UPDATER)
        )
    by_step = {(o.machine, o.step): o for o in outcomes}
    mirror = by_step["px-down", "mirror logs"]
    assert not mirror.ok and "connection refused" in mirror.line()
    skipped = by_step["px-down", "remote pickling on px-pick1"]
    assert skipped.skipped and "logs could not be mirrored" in skipped.line()
    assert by_step["px-src1", "remote pickling tx on px-pick1"].ok
    pick = StatsPaths(machines["px-pick1"].stats_root)
    assert not pick.time_of_update_file("tx", "alpha", "px-down").exists()
    assert pick.time_of_update_file("tx", "alpha", "px-src1").exists()
    assert "alpha/20261204/tx/px-src1_00" in tree(here.pickles)


def test_a_pickling_machine_that_is_down_fails_each_step_once(world, machines, here):
    with sync.SyncContext.open(here, world.settings()) as context:
        outcomes = sync.run(
            context,
            sync.UpdateRemotePickles(pairs("px-src1", pickler="px-down"), RUN1, updater=UPDATER),
        )
    assert outcomes and not any(o.ok for o in outcomes)
    assert {o.machine for o in outcomes} == {"px-src1", "px-down"}
    assert all("\n" not in o.line() for o in outcomes)
    assert not here.pickles.exists() or tree(here.pickles) == {}


@pytest.mark.parametrize("trouble", ["down", "refused key"])
def test_a_source_unreachable_for_one_run_is_caught_up_by_the_next(
    world, machines, here, tmp_path, trouble
):
    run3 = RUN2 + timeutil.HOUR
    reference = local_reference(world, (RUN1, run3), ("px-src1",), ("tx",))
    broken = tmp_path / "ssh_config"
    text = world.ssh_config.read_text()
    block = text.split("Host px-src1\n")[1].split("\n\n")[0]
    replacement = (
        block.replace("127.0.0.2", "127.0.0.5")
        if trouble == "down"
        else block.replace("/client", "/stranger")
    )
    broken.write_text(text.replace(block, replacement))

    def hourly(date, ssh_config):
        with sync.SyncContext.open(here, world.settings(ssh_config=ssh_config)) as context:
            return sync.run(
                context,
                sync.UpdateRemotePickles(
                    pairs("px-src1"), date, file_types=("tx",), updater=UPDATER
                ),
            )

    assert all(o.ok for o in hourly(RUN1, world.ssh_config))
    failed = [o for o in hourly(RUN2, broken) if not o.ok]
    assert [o.step for o in failed] == [
        "configuration copy tx",
        "mirror logs",
        "remote pickling on px-pick1",
    ]
    assert all("\n" not in o.line() for o in failed)
    assert sorted(tree(here.pickles)) == [
        "alpha/20261204/tx/px-src1_00",
        "beta/20261204/tx/px-src1_00",
    ]
    assert all(o.ok for o in hourly(run3, world.ssh_config))
    assert tree(here.pickles) == reference
    assert len(reference) == 2 * 4  # hours 00 to 03 of alpha and beta
