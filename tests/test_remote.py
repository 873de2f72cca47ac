"""Log mirroring through a real sshd and rsync: the normal case, a log rotated during the
mirror, a host that is down, a refused key, an rsync killed in the middle of a file."""

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sshd import start_world

from pxstats.actions import sync
from pxstats.paths import StatsPaths
from pxstats.remote.commands import Host


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = start_world(tmp_path_factory.mktemp("ssh"))
    yield w
    w.stop()


@pytest.fixture
def machines(world):
    """Every machine's Sundew log/etc folders and pxStats data emptied before a test."""
    for machine in world.machines.values():
        for folder in (machine.px_log, machine.px_root / "etc", machine.stats_root / "data"):
            shutil.rmtree(folder, ignore_errors=True)
        for sub in ("log", "etc/rx", "etc/tx"):
            (machine.px_root / sub).mkdir(parents=True, exist_ok=True)
    return world.machines


@pytest.fixture
def here(tmp_path) -> StatsPaths:
    paths = StatsPaths(tmp_path / "graphics")
    paths.etc.mkdir(parents=True)
    return paths


def files_of(folder: Path) -> dict[str, bytes]:
    """Contents of the files of a folder, rsync's temporary files (.name.XXXXXX) left out."""
    return {
        p.name: p.read_bytes()
        for p in sorted(Path(folder).iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def test_mirror_copies_the_log_folder_and_deletes_what_the_source_deleted(world, machines, here):
    log_dir = machines["px-src1"].px_log
    (log_dir / "tx_alpha.log").write_bytes(b"line 1\nline 2\n")
    (log_dir / "tx_alpha.log.2026-12-02").write_bytes(b"old\n")
    mirror = here.log_files / "px-src1"
    mirror.mkdir(parents=True)
    (mirror / "tx_gone.log.2026-11-20").write_bytes(b"rotated away on the source\n")
    with sync.SyncContext.open(here, world.settings()) as context:
        [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src1")))
    assert outcome.ok, outcome.line()
    assert outcome.passes == 1
    assert files_of(mirror) == files_of(log_dir)


def test_mirror_on_a_remote_pickling_machine(world, machines, here):
    (machines["px-src2"].px_log / "rx_feed.log").write_bytes(b"x" * 1000)
    with sync.SyncContext.open(here, world.settings()) as context:
        [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src2"), Host("px-pick1")))
    assert outcome.ok, outcome.line()
    mirror = machines["px-pick1"].stats_root / "data" / "logFiles" / "px-src2"
    assert files_of(mirror) == {"rx_feed.log": b"x" * 1000}
    assert not (here.log_files / "px-src2").exists()


def test_a_log_rotated_during_the_mirror_is_caught_by_a_second_pass(world, machines, here):
    log_dir = machines["px-src1"].px_log
    (log_dir / "rx_big.log").write_bytes(os.urandom(1_500_000))  # copied first, slowly
    (log_dir / "tx_alpha.log").write_bytes(b"day 1 line\n" * 100)
    mirror = here.log_files / "px-src1"
    outcomes = []
    settings = world.settings(bwlimit_kbps=1000)
    with sync.SyncContext.open(here, settings) as context:
        worker = threading.Thread(
            target=lambda: outcomes.extend(sync.run(context, sync.MirrorLogs(Host("px-src1"))))
        )
        worker.start()
        deadline = time.monotonic() + 20
        while not any(p.name.startswith(".rx_big.log.") for p in mirror.glob(".*")):
            assert time.monotonic() < deadline, "rsync never started copying rx_big.log"
            time.sleep(0.01)
        # rsync has its file list; Sundew rotates tx_alpha.log at midnight
        os.rename(log_dir / "tx_alpha.log", log_dir / "tx_alpha.log.2026-12-03")
        (log_dir / "tx_alpha.log").write_bytes(b"day 2 line\n")
        worker.join(60)
    [outcome] = outcomes
    assert outcome.ok, outcome.line()
    assert outcome.passes == 2
    assert files_of(mirror) == files_of(log_dir)
    assert not [p for p in mirror.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "machine, expected",
    [
        ("px-down", "connection refused"),
        ("px-badkey", "authentication refused"),
    ],
)
def test_unreachable_machine_fails_its_step_with_one_line_and_keeps_its_mirror(
    world, machines, here, machine, expected
):
    mirror = here.log_files / machine
    mirror.mkdir(parents=True)
    (mirror / "tx_alpha.log").write_bytes(b"mirrored by an earlier run\n")
    with sync.SyncContext.open(here, world.settings()) as context:
        [outcome] = sync.run(context, sync.MirrorLogs(Host(machine)))
    assert not outcome.ok
    line = outcome.line()
    assert "\n" not in line and line.startswith(f"{machine}: mirror logs: ")
    assert expected in line.lower()
    assert files_of(mirror) == {"tx_alpha.log": b"mirrored by an earlier run\n"}


def test_rsync_refused_by_ssh_reports_its_exit_status_and_ssh_message(world, machines, here):
    # the root is known (no paramiko round trip): the failure is rsync's own ssh
    overrides = {("px-badkey", "PXROOT"): str(machines["px-src1"].px_root)}
    with sync.SyncContext.open(here, world.settings(), overrides) as context:
        [outcome] = sync.run(context, sync.MirrorLogs(Host("px-badkey")))
    assert not outcome.ok
    assert "exit status 255" in outcome.message
    assert "Permission denied (publickey)" in outcome.message
    assert "\n" not in outcome.line()


def test_rsync_killed_mid_transfer_leaves_the_previous_mirror_then_the_next_run_repairs(
    world, machines, here
):
    log_dir = machines["px-src1"].px_log
    (log_dir / "rx_big.log").write_bytes(b"version 1\n" * 1000)
    (log_dir / "tx_alpha.log").write_bytes(b"a\n")
    mirror = here.log_files / "px-src1"
    with sync.SyncContext.open(here, world.settings()) as context:
        assert sync.run(context, sync.MirrorLogs(Host("px-src1")))[0].ok
    before = files_of(mirror)
    (log_dir / "rx_big.log").write_bytes(os.urandom(3_000_000))
    (log_dir / "tx_alpha.log").write_bytes(b"a\nb\n")
    slow = world.settings(bwlimit_kbps=500, command_timeout=1)
    with sync.SyncContext.open(here, slow) as context:
        [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src1")))
    assert not outcome.ok
    assert "timed out" in outcome.line()
    assert files_of(mirror) == before  # the old versions, whole
    with sync.SyncContext.open(here, world.settings()) as context:
        [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src1")))
    assert outcome.ok, outcome.line()
    assert files_of(mirror) == files_of(log_dir)
    assert not [p for p in mirror.iterdir() if p.name.startswith(".")]


def test_remote_roots_come_from_the_conf_file_then_the_environment_then_the_default():
    from pxstats.remote.roots import KINDS, MARKER, parse_answer, parse_conf

    kind = KINDS["PXROOT"]
    assert (
        parse_conf("# PXROOT=/no\nPXLIB=/x\nexport PXROOT = '/apps/sundew'\n", "PXROOT")
        == "/apps/sundew"
    )
    assert parse_answer(f"PXROOT=/opt/px\n\n{MARKER}/env/px\n", kind) == (
        "/opt/px/",
        "/etc/px/px.conf",
    )
    assert parse_answer(f"\n{MARKER}/env/px\n", kind) == ("/env/px/", "$PXROOT")
    assert parse_answer(f"\n{MARKER}\n", kind) == ("/apps/px/", "default")


def test_remote_roots_are_discovered_once_per_machine(world, machines, here):
    with sync.SyncContext.open(here, world.settings()) as context:
        first = context.roots.px_log(Host("px-src2"))
        context.sessions.close()  # a second lookup would need a new connection
        context.sessions._config = None  # ... which could not even find the machine
        assert context.roots.px_log(Host("px-src2")) == first
    assert first == f"{machines['px-src2'].px_root}/log/"


def test_rsync_on_the_pickling_machine_is_stopped_there_when_it_overruns(world, machines, here):
    log_dir = machines["px-src1"].px_log
    (log_dir / "rx_big.log").write_bytes(b"old\n")
    with sync.SyncContext.open(here, world.settings()) as context:
        assert sync.run(context, sync.MirrorLogs(Host("px-src1"), Host("px-pick1")))[0].ok
    mirror = machines["px-pick1"].stats_root / "data" / "logFiles" / "px-src1"
    (log_dir / "rx_big.log").write_bytes(os.urandom(4_000_000))
    slow = world.settings(bwlimit_kbps=500, command_timeout=2)
    with sync.SyncContext.open(here, slow) as context:
        [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src1"), Host("px-pick1")))
    assert not outcome.ok and "timed out" in outcome.line()
    assert files_of(mirror) == {"rx_big.log": b"old\n"}
    deadline = time.monotonic() + 10  # coreutils timeout TERMed it: no rsync left there
    while running_with(str(mirror)):
        assert time.monotonic() < deadline, "the remote rsync is still running"
        time.sleep(0.1)


def running_with(text: str) -> list[str]:
    """Command lines of the processes whose arguments mention `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"rsync") and any(text.encode() in a for a in argv):
            found.append(b" ".join(argv).decode(errors="replace"))
    return found


def test_unknown_or_changed_host_keys_are_refused(world, machines, here, tmp_path):
    (machines["px-src1"].px_log / "tx_alpha.log").write_bytes(b"x\n")
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    other_key = tmp_path / "other"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)],
        check=True,
        timeout=30,
    )
    changed = tmp_path / "changed_known_hosts"
    kind, key = (tmp_path / "other.pub").read_text().split()[:2]
    changed.write_text(f"[127.0.0.2]:{world.port} {kind} {key}\n")
    overrides = {("px-src1", "PXROOT"): str(machines["px-src1"].px_root)}
    for known, paramiko_says in (
        (empty, "not found in known_hosts"),
        (changed, "host key does not match"),
    ):
        settings = world.settings(known_hosts=known)
        with sync.SyncContext.open(here, settings) as context:
            [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src1")))
        assert not outcome.ok and paramiko_says in outcome.line()
        with sync.SyncContext.open(here, settings, overrides) as context:
            [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src1")))
        assert not outcome.ok and "rsync exit status" in outcome.line()
        assert "Host key verification failed" in outcome.line()
        assert known.read_text() in ("", changed.read_text())  # nothing was added
    assert not (here.log_files / "px-src1").exists() or files_of(here.log_files / "px-src1") == {}


def test_a_full_disk_fails_the_mirror_and_keeps_the_previous_one(world, machines, here):
    log_dir = machines["px-src1"].px_log
    (log_dir / "tx_alpha.log").write_bytes(b"a\n" * 1000)
    here.log_files.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(here.log_files)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        with sync.SyncContext.open(here, world.settings()) as context:
            assert sync.run(context, sync.MirrorLogs(Host("px-src1")))[0].ok
            before = files_of(here.log_files / "px-src1")
            (log_dir / "tx_alpha.log").write_bytes(b"b\n" * 1000)
            (log_dir / "rx_big.log").write_bytes(os.urandom(1_000_000))
            [outcome] = sync.run(context, sync.MirrorLogs(Host("px-src1")))
        assert not outcome.ok
        assert "No space left on device" in outcome.line() and "\n" not in outcome.line()
        after, source = files_of(here.log_files / "px-src1"), files_of(log_dir)
        assert set(after) <= set(source)  # each file whole: its old or its new version
        assert all(after[name] in (before.get(name), source[name]) for name in after)
        assert after["tx_alpha.log"] in (before["tx_alpha.log"], source["tx_alpha.log"])
    finally:
        subprocess.run(["umount", str(here.log_files)], check=False)


def test_mirror_check_rules():
    from pxstats.remote.listing import differences

    source = {
        "tx_a.log": (10, 5),
        "tx_a.log.1": (7, 3),
        "tx_a.log.2026-12-03": (9, 2),
        "px.pid": (4, 9),
    }
    assert (
        differences(
            source,
            {
                "tx_a.log": (8, 4),
                "tx_a.log.1": (7, 3),
                "tx_a.log.2026-12-03": (9, 2),
                "px.pid": (3, 1),
                ".tx_a.log.XyZ123": (1, 1),
            },
        )
        == []
    )
    assert differences(
        source, {"tx_a.log": (10, 5), "tx_a.log.1": (6, 3), "px.pid": (4, 9), "tx_b.log": (1, 1)}
    ) == ["tx_a.log.1 differs", "tx_a.log.2026-12-03 missing", "tx_b.log in excess"]


def test_this_host_as_the_source_of_a_remote_pickling_machine(world, machines, tmp_path):
    from pxstats.paths import this_host

    here = StatsPaths(
        tmp_path / "g", px_log_dir=tmp_path / "px/log", px_etc_dir=tmp_path / "px/etc"
    )
    (tmp_path / "px/log").mkdir(parents=True)
    (tmp_path / "px/etc/tx").mkdir(parents=True)
    (tmp_path / "px/etc/rx").mkdir(parents=True)
    (tmp_path / "px/log/tx_alpha.log").write_bytes(b"here\n")
    (tmp_path / "px/etc/tx/alpha.conf").write_text("x")
    me = Host(this_host())
    overrides = {(this_host(), "PXROOT"): "/nowhere/"}  # never asked: this host's own folders
    with sync.SyncContext.open(here, world.settings(), overrides) as context:
        outcomes = sync.run(context, sync.MirrorLogs(me, Host("px-pick1")))
        outcomes += sync.run(context, sync.CopyConfigs(me, Host("px-pick1")))
        assert sync.run(context, sync.CollectRemote(me, None, 0)) == []  # nothing to move
    assert all(o.ok for o in outcomes), [o.line() for o in outcomes]
    pick = StatsPaths(machines["px-pick1"].stats_root)
    assert files_of(pick.log_files / this_host()) == {"tx_alpha.log": b"here\n"}
    assert files_of(pick.px_config_copies / "tx" / this_host()) == {"alpha.conf": b"x"}
