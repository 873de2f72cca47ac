"""backupRRDDatabases and restoreRoundRobinDatabases: spec rrd.md §4, §6 items 35-38,
§7 behaviours 23-24, with real rrdtool databases."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import BIN, REPO, T
from manpage import assert_manual_page_matches_help

from pxstats.actions import backup, backup_files
from pxstats.cli import backupRRDDatabases, restoreRoundRobinDatabases
from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.util.locks import file_lock

TAGS = [
    "2024-01-10_00:00:00",
    "2024-01-11_06:00:00",
    "2024-01-12_12:00:00",
    "2024-01-13_18:00:00",
    "2024-01-14_23:59:00",
]


# -- helpers --------------------------------------------------------------------------------------


def make_archive(paths: StatsPaths, start="2024-01-15 10:00:00", minutes=30) -> None:
    """A small live archive: tx and rx databases, a combined one and their times of update."""
    first = T(start)
    databases = [
        ("latency", "satnet_pds5pds6", "tx"),
        ("bytecount", "satnet_pds5pds6", "tx"),
        ("bytecount", "amis_pds5", "rx"),
        ("bytecount/combined", "tx_pds5pds6", "tx"),
    ]
    for folder, name, file_type in databases:
        path = paths.current_databases / folder / name
        data_type = folder.split("/")[0]
        schema.create(path, data_type, first)
        schema.update(path, [(first + 60 * (i + 1), float(i % 7)) for i in range(minutes)])
        schema.write_time_of_update(
            schema.time_of_update_path(paths, file_type, path), first + 60 * minutes
        )


def snapshot(folder: Path) -> dict:
    """Every file (relative path -> bytes) and every folder (relative path -> None); the
    manifest of a backup folder is left out (tests/test_hardening_storage.py checks it)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
        if p != folder / backup.MANIFEST
    }


def live_state(paths: StatsPaths) -> tuple:
    return snapshot(paths.current_databases), snapshot(paths.current_databases_updates)


def backup_state(paths: StatsPaths, tag: str) -> tuple:
    return snapshot(paths.databases_backups / tag), snapshot(paths.databases_updates_backups / tag)


def tags_in(root: Path) -> list:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def all_tags(paths: StatsPaths) -> tuple:
    return tags_in(paths.databases_backups), tags_in(paths.databases_updates_backups)


def make_old_backups(paths: StatsPaths, tags=TAGS) -> None:
    for tag in tags:
        backup.backup(paths, T(backup.iso_from_tag(tag)), keep=100)


def write_config(paths: StatsPaths, keep: int) -> None:
    text = (REPO / "etc" / "config.sample").read_text()
    text = re.sub(r"(?m)^nbDbBackupsToKeep\s*=.*$", f"nbDbBackupsToKeep = {keep}", text)
    paths.etc.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(text)


def change_live(paths: StatsPaths) -> None:
    """Move the live archive on after a backup: new values, a new database, a removed one."""
    latency = paths.current_databases / "latency" / "satnet_pds5pds6"
    last = schema.last(latency)
    schema.update(latency, [(last + 60, 42.0), (last + 120, 43.0)])
    schema.write_time_of_update(
        paths.current_databases_updates / "tx" / "satnet_pds5pds6", last + 120
    )
    schema.create(paths.current_databases / "errors" / "newclient_pds5", "errors", last)
    (paths.current_databases / "bytecount" / "amis_pds5").unlink()


@pytest.fixture
def archive(stats_root):
    make_archive(stats_root)
    return stats_root


def backup_cli(paths, *args):
    return backupRRDDatabases.main(["--root", str(paths.root), *args])


def restore_cli(paths, *args):
    return restoreRoundRobinDatabases.main(["--root", str(paths.root), *args])


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


# -- tags and retention -----------------------------------------------------------------------


def test_tags():
    assert backup.tag_for(T("2024-01-15 12:35:41")) == "2024-01-15_12:35:00"
    assert backup.tag_from_iso("2024-01-15 12:35:00") == "2024-01-15_12:35:00"
    assert backup.tag_from_iso("2024-01-15_12:35:00") == "2024-01-15_12:35:00"
    assert backup.iso_from_tag("2024-01-15_12:35:00") == "2024-01-15 12:35:00"
    assert backup.is_tag("2024-01-15_12:35:07")
    for name in (
        "2024-01-15 12:35:00",
        "2024-13-15_12:35:00",
        "2024-01-15_12:35",
        "notes",
        ".partial-2024-01-15_12:35:00",
        "2024-01-15_12:35:00.old",
    ):
        assert not backup.is_tag(name)


def test_retention_rule():
    tags = TAGS + ["2024-01-15_12:35:00"]
    assert backup.kept_tags(tags, 3) == {TAGS[0], TAGS[4], "2024-01-15_12:35:00"}
    assert backup.kept_tags(tags, 2) == {TAGS[0], "2024-01-15_12:35:00"}
    assert backup.kept_tags(tags, 1) == {"2024-01-15_12:35:00"}
    assert backup.kept_tags(tags, 1, preserve={TAGS[2], "1999-01-01_00:00:00"}) == {
        TAGS[2],
        "2024-01-15_12:35:00",
    }
    assert backup.kept_tags(tags, 20) == set(tags)
    assert backup.kept_tags([], 3) == set()
    with pytest.raises(ValueError):
        backup.kept_tags(tags, 0)


# -- behaviour 23: backup --------------------------------------------------------------------------


def test_behaviour_23_backup_mirror_and_retention(archive, capsys):
    make_old_backups(archive)
    before = live_state(archive)
    assert backup_cli(archive, "3", "--date", "2024-01-15 12:35:41") == 0
    assert capsys.readouterr().out == "2024-01-15_12:35:00\n"
    expected = [TAGS[0], TAGS[4], "2024-01-15_12:35:00"]
    assert all_tags(archive) == (expected, expected)
    assert backup_state(archive, "2024-01-15_12:35:00") == before
    assert live_state(archive) == before
    assert "latency/satnet_pds5pds6" in before[0]
    assert "bytecount/combined/tx_pds5pds6" in before[0]
    assert "tx/satnet_pds5pds6" in before[1] and "rx/amis_pds5" in before[1]
    # the copies are usable databases
    copy = archive.databases_backups / "2024-01-15_12:35:00" / "latency" / "satnet_pds5pds6"
    assert schema.last(copy) == schema.last(
        archive.current_databases / "latency" / "satnet_pds5pds6"
    )
    assert (archive.data / "logs" / "backupRRDDatabases.log").exists()


def test_backup_default_keep_is_20_without_config(archive):
    make_old_backups(
        archive,
        [f"2023-{m:02d}-01_00:00:00" for m in range(1, 13)]
        + [f"2023-12-{d:02d}_00:00:00" for d in range(2, 12)],
    )
    assert backup_cli(archive, "--date", "2024-01-15 12:35:41") == 0
    tags, update_tags = all_tags(archive)
    assert len(tags) == 20 and tags == update_tags
    assert tags[0] == "2023-01-01_00:00:00" and tags[-1] == "2024-01-15_12:35:00"


def test_backup_keep_from_config(archive):
    write_config(archive, 2)
    make_old_backups(archive)
    assert backup_cli(archive, "--date", "2024-01-15 12:35:41") == 0
    assert all_tags(archive)[0] == [TAGS[0], "2024-01-15_12:35:00"]


def test_backup_leaves_stray_entries_and_removes_leftovers_of_killed_runs(archive):
    make_old_backups(archive, TAGS[:3])
    root = archive.databases_backups
    (root / "README").write_text("not a backup\n")
    (root / "manual-copy").mkdir()
    (root / ".partial-2024-01-15_11:00:00" / "latency").mkdir(parents=True)
    (archive.databases_updates_backups / ".deleting-2023-01-01_00:00:00").mkdir()
    assert backup_cli(archive, "1", "--date", "2024-01-15 12:35:41") == 0
    assert tags_in(root) == ["2024-01-15_12:35:00", "README", "manual-copy"]
    assert tags_in(archive.databases_updates_backups) == ["2024-01-15_12:35:00"]


def test_backup_never_overwrites_a_backup_of_the_same_minute(archive):
    assert backup_cli(archive, "--date", "2024-01-15 12:35:41") == 0
    first = backup_state(archive, "2024-01-15_12:35:00")
    change_live(archive)
    assert backup_cli(archive, "--date", "2024-01-15 12:35:50") == 0
    assert backup_state(archive, "2024-01-15_12:35:00") == first
    assert backup_state(archive, "2024-01-15_12:35:50") == live_state(archive)


def test_backup_of_a_missing_live_archive_is_empty(stats_root):
    assert backup_cli(stats_root, "--date", "2024-01-15 12:35:41") == 0
    assert backup_state(stats_root, "2024-01-15_12:35:00") == ({}, {})


def test_backup_refused_while_the_archive_lock_is_held(archive, capsys):
    with file_lock(archive.lock_file("rrdArchive"), wait=False):
        assert backup_cli(archive, "--date", "2024-01-15 12:35:41") == 1
    assert "another backup or restore" in one_line(capsys.readouterr().err)
    assert all_tags(archive) == ([], [])


# -- behaviour 24: restore ------------------------------------------------------------------------


def test_behaviour_24_restore(archive, capsys):
    make_old_backups(archive, TAGS[:2])
    assert backup_cli(archive, "--date", "2024-01-15 12:35:41") == 0
    backed_up = backup_state(archive, "2024-01-15_12:35:00")
    change_live(archive)
    changed = live_state(archive)
    assert changed != backed_up
    capsys.readouterr()

    assert restore_cli(archive, "2024-01-15 12:35:00") == 0
    out = one_line(capsys.readouterr().out)
    new_tag = out.rsplit(" ", 1)[1]
    assert backup.is_tag(new_tag) and new_tag not in TAGS + ["2024-01-15_12:35:00"]
    # live archive byte-identical to the backup, and the backup itself unchanged
    assert live_state(archive) == backed_up
    assert backup_state(archive, "2024-01-15_12:35:00") == backed_up
    # the previous state was saved as a new backup, in both roots
    assert backup_state(archive, new_tag) == changed
    expected = sorted(TAGS[:2] + ["2024-01-15_12:35:00", new_tag])
    assert all_tags(archive) == (expected, expected)
    # nothing left beside the live folders, and the restored databases still work
    assert sorted(p.name for p in archive.databases.iterdir()) == [
        "currentDatabases",
        "currentDatabasesTimeOfUpdates",
        "databasesBackups",
        "databasesTimeOfUpdatesBackups",
    ]
    latency = archive.current_databases / "latency" / "satnet_pds5pds6"
    schema.update(latency, [(schema.last(latency) + 60, 1.0)])
    # restoring the saved state brings the changes back
    assert restore_cli(archive, backup.iso_from_tag(new_tag)) == 0
    assert live_state(archive) == changed


def test_restored_tag_never_pruned_even_with_keep_1(archive, capsys):
    write_config(archive, 1)
    make_old_backups(archive)
    target = backup_state(archive, TAGS[2])
    change_live(archive)
    changed = live_state(archive)
    assert restore_cli(archive, backup.iso_from_tag(TAGS[2])) == 0
    new_tag = capsys.readouterr().out.split()[-1]
    assert live_state(archive) == target
    expected = sorted([TAGS[2], new_tag])
    assert all_tags(archive) == (expected, expected)
    assert backup_state(archive, new_tag) == changed


def test_restore_library_preserves_the_restored_tag_with_keep_2(archive):
    make_old_backups(archive)
    saved = backup.restore(archive, TAGS[1], T("2024-02-01 00:00:00"), keep=2)
    assert saved.tag == "2024-02-01_00:00:00"
    assert sorted(saved.pruned) == [TAGS[2], TAGS[3], TAGS[4]]
    expected = [TAGS[0], TAGS[1], saved.tag]
    assert all_tags(archive) == (expected, expected)


def test_restore_of_a_missing_date_touches_nothing(archive, capsys):
    make_old_backups(archive, TAGS[:2])
    change_live(archive)
    live, tags = live_state(archive), all_tags(archive)
    assert restore_cli(archive, "2023-06-01 00:00:00") != 0
    message = one_line(capsys.readouterr().err)
    assert "no backup of 2023-06-01 00:00:00" in message and "2024-01-11 06:00:00" in message
    assert live_state(archive) == live
    assert all_tags(archive) == tags


def test_restore_of_a_backup_present_in_one_root_only_touches_nothing(archive, capsys):
    make_old_backups(archive, TAGS[:2])
    shutil.rmtree(archive.databases_updates_backups / TAGS[1])
    change_live(archive)
    live = live_state(archive)
    assert restore_cli(archive, backup.iso_from_tag(TAGS[1])) == 1
    assert "databasesTimeOfUpdatesBackups" in one_line(capsys.readouterr().err)
    assert live_state(archive) == live
    assert all_tags(archive) == ([TAGS[0], TAGS[1]], [TAGS[0]])


@pytest.mark.parametrize("manifest", [True, False])
@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "time-of-update"])
def test_restore_of_a_corrupt_backup_touches_nothing(archive, capsys, damage, manifest):
    """With its manifest, the damage is seen as an alteration; without (a backup made before
    manifests, restored with --without-manifest), the file is found unreadable."""
    make_old_backups(archive, TAGS[:2])
    if not manifest:
        for root in (archive.databases_backups, archive.databases_updates_backups):
            (root / TAGS[1] / backup.MANIFEST).unlink()
    if damage == "time-of-update":
        victim = archive.databases_updates_backups / TAGS[1] / "tx" / "satnet_pds5pds6"
        victim.write_bytes(b"\x80\x04garbage")
    else:
        victim = archive.databases_backups / TAGS[1] / "bytecount" / "combined" / "tx_pds5pds6"
        data = victim.read_bytes()
        victim.write_bytes(
            {"truncated": data[: len(data) // 2], "garbage": b"x" * 4096, "empty": b""}[damage]
        )
    change_live(archive)
    live, tags = live_state(archive), all_tags(archive)
    options = [] if manifest else ["--without-manifest"]
    assert restore_cli(archive, *options, backup.iso_from_tag(TAGS[1])) == 1
    message = one_line(capsys.readouterr().err)
    assert ("altered" if manifest else "unreadable") in message and victim.name in message
    assert live_state(archive) == live
    assert all_tags(archive) == tags


def test_restore_failing_while_copying_touches_nothing_live(archive, monkeypatch):
    make_old_backups(archive, TAGS[:2])
    change_live(archive)
    live = live_state(archive)
    files_per_backup = sum(1 for v in live[0].values() if v is not None) + sum(
        1 for v in live[1].values() if v is not None
    )
    calls = []
    real_copy = backup_files.copy_file

    def failing_copy(src, dst, **kw):
        calls.append(src)
        if len(calls) > files_per_backup + 2:  # during the copy of the backup to restore
            raise OSError(28, "No space left on device", str(dst))
        return real_copy(src, dst, **kw)

    monkeypatch.setattr(backup_files, "copy_file", failing_copy)
    with pytest.raises(backup.BackupError, match="live archive untouched.*No space left"):
        backup.restore(archive, TAGS[1], T("2024-02-01 00:00:00"), keep=20)
    assert live_state(archive) == live
    assert sorted(p.name for p in archive.databases.iterdir()) == [
        "currentDatabases",
        "currentDatabasesTimeOfUpdates",
        "databasesBackups",
        "databasesTimeOfUpdatesBackups",
    ]
    assert backup_state(archive, "2024-02-01_00:00:00") == live


def test_interrupted_restore_is_undone_by_the_next_run(archive):
    """Killed between 'live -> .previous' and '.restoring -> live': the old archive comes back."""
    make_old_backups(archive, TAGS[:1])
    live = live_state(archive)
    db = archive.current_databases
    db.rename(db.with_name(".currentDatabases.previous"))
    shutil.copytree(
        archive.databases_backups / TAGS[0], db.with_name(".currentDatabases.restoring")
    )
    updates = archive.current_databases_updates
    shutil.copytree(
        archive.databases_updates_backups / TAGS[0],
        updates.with_name(".currentDatabasesTimeOfUpdates.restoring"),
    )
    saved = backup.backup(archive, T("2024-02-01 00:00:00"))
    assert live_state(archive) == live
    assert backup_state(archive, saved.tag) == live
    assert not [p for p in archive.databases.iterdir() if p.name.startswith(".")]


def test_restore_refused_while_the_archive_lock_is_held(archive, capsys):
    make_old_backups(archive, TAGS[:1])
    live = live_state(archive)
    with file_lock(archive.lock_file("rrdArchive"), wait=False):
        assert restore_cli(archive, backup.iso_from_tag(TAGS[0])) == 1
    assert "another backup or restore" in one_line(capsys.readouterr().err)
    assert live_state(archive) == live and all_tags(archive) == ([TAGS[0]], [TAGS[0]])


# -- command lines --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["abc"],
        ["0"],
        ["-3"],
        ["2.5"],
        [""],
        ["3", "4"],
        ["--date", "yesterday"],
        ["--date", "2024-13-01 00:00:00"],
        ["--bogus"],
    ],
)
def test_backup_bad_arguments(stats_root, capsys, args):
    with pytest.raises(SystemExit) as stop:
        status = backup_cli(stats_root, *args)
        raise SystemExit(status)
    assert stop.value.code == 2
    one_line(capsys.readouterr().err)
    assert sorted(p.name for p in stats_root.root.iterdir()) == ["data"]
    assert list(stats_root.data.iterdir()) == []


def test_backup_bad_keep_message(stats_root, capsys):
    assert backup_cli(stats_root, "abc") == 2
    assert one_line(capsys.readouterr().err) == (
        "backupRRDDatabases: error: the number of backups to keep must be an integer from 1 "
        "to 1000 (got 'abc'); give nothing for the default"
    )


def test_backup_bad_config_is_a_usage_error(stats_root, capsys):
    write_config(stats_root, 0)
    assert backup_cli(stats_root) == 2
    assert "nbDbBackupsToKeep" in one_line(capsys.readouterr().err)
    assert list(stats_root.data.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "You must specify a date."),
        (["2024-01-15"], "YYYY-MM-DD HH:MM:SS"),
        (["2024-13-15 12:35:00"], "YYYY-MM-DD HH:MM:SS"),
        (["garbage"], "YYYY-MM-DD HH:MM:SS"),
        (["2024-01-15 12:35:00", "extra"], "unrecognized arguments"),
        (["--bogus", "2024-01-15 12:35:00"], "unrecognized arguments"),
    ],
)
def test_restore_bad_arguments(stats_root, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        raise SystemExit(restore_cli(stats_root, *args))
    assert stop.value.code == 2
    assert message in one_line(capsys.readouterr().err)
    assert list(stats_root.data.iterdir()) == []


@pytest.mark.parametrize("module", [backupRRDDatabases, restoreRoundRobinDatabases])
def test_help_and_man_page(module, capsys):
    with pytest.raises(SystemExit) as stop:
        module.main(["--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {module.PROGRAM}")
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / f"{module.PROGRAM}.1", module.build_parser()
    )


def test_installed_console_scripts(archive, run_env):
    make_old_backups(archive, TAGS[:2])
    script = BIN / "backupRRDDatabases"
    assert script.exists()
    done = subprocess.run(
        [str(script), "2", "--date", "2024-01-15 12:35:41"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "2024-01-15_12:35:00\n", "")
    assert all_tags(archive)[0] == [TAGS[0], "2024-01-15_12:35:00"]
    backed_up = backup_state(archive, "2024-01-15_12:35:00")
    change_live(archive)
    done = subprocess.run(
        [str(BIN / "restoreRoundRobinDatabases"), "2024-01-15 12:35:00"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert live_state(archive) == backed_up
    done = subprocess.run(
        [str(BIN / "restoreRoundRobinDatabases"), "2001-01-01 00:00:00"],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert live_state(archive) == backed_up


def test_checkout_shims(archive, run_env):
    done = subprocess.run(
        [
            str(REPO / "bin" / "backupRRDDatabases"),
            "--root",
            str(archive.root),
            "--date",
            "2024-01-15 12:35:41",
        ],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [
            str(REPO / "bin" / "restoreRoundRobinDatabases"),
            "--root",
            str(archive.root),
            "2024-01-15 12:35:00",
        ],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("restored 2024-01-15_12:35:00; the previous state is backup ")


def test_restore_in_the_minute_of_its_backup_keeps_the_restored_tag(archive):
    """The state saved before the restore gets the exact second, not the restored tag."""
    first = backup.backup(archive, T("2024-01-15 12:35:00"))
    backed_up = backup_state(archive, first.tag)
    change_live(archive)
    changed = live_state(archive)
    saved = backup.restore(archive, first.tag, T("2024-01-15 12:35:20"), keep=1)
    assert (first.tag, saved.tag) == ("2024-01-15_12:35:00", "2024-01-15_12:35:20")
    assert live_state(archive) == backed_up == backup_state(archive, first.tag)
    assert backup_state(archive, saved.tag) == changed


def test_backup_refuses_while_a_transfer_runs(tmp_path, capsys):
    """A running transfer holds its lock shared; a backup must not copy half-replaced files."""
    import fcntl

    from pxstats.cli import backupRRDDatabases

    lock = tmp_path / "data" / "temp" / "lockFiles" / "transferPickleToRRD.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        status = backupRRDDatabases.main(
            ["--root", str(tmp_path), "-d", "2024-01-15 12:35:41", "3"]
        )
    assert status == 1
    assert "transferPickleToRRD run is running" in capsys.readouterr().err
    assert not (
        tmp_path / "data" / "databases" / "databasesBackups" / "2024-01-15_12:35:00"
    ).exists()
