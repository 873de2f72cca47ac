"""Issue 11 items 2, 3, 6 and 15: backups and restores of the RRD archive, pickles with wrong
fields, dangerous option values. Each test is a reproduction of the fault and bad-input probe.

`R` (the fixture `root`) is a root with 24 h of generateSampleLogs for pxatx1,pxatx2,
collected by pickleUpdater and transferred by transferPickleToRRD, built once with the real
commands and copied for every test.
"""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import BIN, REPO, T

from pxstats.actions import backup
from pxstats.cli import (
    backupRRDDatabases,
    generateRRDGraphics,
    pickleCleaner,
    pickleViewer,
    restoreRoundRobinDatabases,
)
from pxstats.paths import StatsPaths
from pxstats.stats import merging
from pxstats.store import pickles
from pxstats.util import timeutil

END = "2024-03-10 12:00:00"
DAY_BEFORE = "2024-03-09 12:00:00"
MACHINES = "pxatx1,pxatx2"
PICKLE = "satnet/20240310/tx/pxatx1_05"
TAG = "2024-03-10_12:30:00"


def _run(argv, env, timeout=120):
    done = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (argv, done.stderr)
    return done


@pytest.fixture(scope="module")
def built_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("R") / "root"
    root.mkdir()
    env = dict(os.environ, PXSTATS_ROOT=str(root), PATH=f"{BIN}:{os.environ['PATH']}")
    _run(["generateSampleLogs", "--hours", "24", "--end", END, "--machines", MACHINES, "-q"], env)
    for machine in MACHINES.split(","):
        for file_type in ("tx", "rx"):
            _run(["pickleUpdater", "-f", file_type, "-m", machine, "-d", DAY_BEFORE], env)
            _run(["pickleUpdater", "-f", file_type, "-m", machine, "-d", END], env)
    _run(["transferPickleToRRD", "-m", MACHINES, "-e", END], env)
    return root


@pytest.fixture
def root(built_root, tmp_path) -> StatsPaths:
    target = tmp_path / "R"
    shutil.copytree(built_root, target, symlinks=True)
    return StatsPaths(target)


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def tree(folder: Path) -> dict:
    """Every entry below `folder`: relative path -> bytes (file), 'link' or None (folder)."""
    if not folder.exists():
        return {}
    out = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        out[key] = "link" if path.is_symlink() else path.read_bytes() if path.is_file() else None
    return out


def live(paths: StatsPaths) -> tuple:
    return tree(paths.current_databases), tree(paths.current_databases_updates)


def tags(paths: StatsPaths) -> tuple:
    return tuple(
        sorted(p.name for p in root.iterdir()) if root.exists() else []
        for root in (paths.databases_backups, paths.databases_updates_backups)
    )


def backup_cli(paths, *args):
    return backupRRDDatabases.main(["--root", str(paths.root), *args])


def restore_cli(paths, *args):
    return restoreRoundRobinDatabases.main(["--root", str(paths.root), *args])


def make_backup(paths: StatsPaths, tag: str = TAG) -> None:
    backup.backup(paths, T(backup.iso_from_tag(tag)), keep=100)


def change_live(paths: StatsPaths) -> None:
    (paths.current_databases / "latency" / "satnet_pxatx1pxatx2").write_bytes(b"changed")


# -- item 2: manifests -------------------------------------------------------------------------


def test_backup_carries_a_manifest_of_every_file(root):
    make_backup(root)
    for source, backups in (
        (root.current_databases, root.databases_backups),
        (root.current_databases_updates, root.databases_updates_backups),
    ):
        folder = backups / TAG
        manifest = json.loads((folder / backup.MANIFEST).read_text())
        files = {
            str(p.relative_to(source)): p.read_bytes() for p in source.rglob("*") if p.is_file()
        }
        assert len(files) > 20 if source == root.current_databases else len(files) == 7
        assert set(manifest["files"]) == set(files)
        for name, data in files.items():
            assert manifest["files"][name] == {
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        # the manifest is not a file of the archive: a restore does not bring it back live
    restored = backup.restore(root, TAG, T("2024-03-10 13:00:00"))
    assert not (root.current_databases / backup.MANIFEST).exists()
    assert (root.databases_backups / restored.tag / backup.MANIFEST).is_file()


def _damage(paths: StatsPaths, how: str) -> None:
    databases = paths.databases_backups / TAG
    updates = paths.databases_updates_backups / TAG
    if how == "one database deleted":
        (databases / "latency" / "satnet_pxatx1pxatx2").unlink()
    elif how == "type folder deleted":
        shutil.rmtree(databases / "bytecount")
    elif how == "emptied like rm -rf TAG/*":
        for folder in (databases, updates):
            for entry in folder.iterdir():
                if not entry.name.startswith("."):
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    elif how == "emptied completely":
        for folder in (databases, updates):
            shutil.rmtree(folder)
            folder.mkdir()
    elif how == "one time of update deleted":
        (updates / "tx" / "satnet_pxatx1pxatx2").unlink()
    elif how == "one byte changed":
        victim = databases / "errors" / "amis_pxatx1pxatx2"
        data = bytearray(victim.read_bytes())
        data[-1] ^= 1
        victim.write_bytes(bytes(data))
    elif how == "file added":
        (databases / "latency" / "intruder_pxatx1").write_bytes(
            (databases / "latency" / "satnet_pxatx1pxatx2").read_bytes()
        )
    elif how == "manifest altered":
        manifest = databases / backup.MANIFEST
        manifest.write_text(manifest.read_text().replace('"size": ', '"size": 1', 1))
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    "how, word",
    [
        ("one database deleted", "incomplete"),
        ("type folder deleted", "incomplete"),
        ("emptied like rm -rf TAG/*", "incomplete"),
        ("emptied completely", "no manifest"),
        ("one time of update deleted", "incomplete"),
        ("one byte changed", "altered"),
        ("file added", "not in its manifest"),
        ("manifest altered", "altered"),
    ],
)
def test_restore_refuses_an_incomplete_or_altered_backup(root, capsys, how, word):
    make_backup(root)
    _damage(root, how)
    change_live(root)
    before, before_tags = live(root), tags(root)
    assert restore_cli(root, backup.iso_from_tag(TAG)) == 1
    message = one_line(capsys.readouterr().err)
    assert message.startswith("restoreRoundRobinDatabases: error: ") and word in message
    assert live(root) == before  # nothing touched, no backup made
    assert tags(root) == before_tags


def test_backup_without_manifest_refused_unless_asked(root, capsys):
    """A backup made before manifests existed: refused, naming --without-manifest; with it,
    the backup is restored when every file in it is a readable database or time."""
    make_backup(root)
    backed_up = tree(root.databases_backups / TAG)
    for folder in (root.databases_backups / TAG, root.databases_updates_backups / TAG):
        (folder / backup.MANIFEST).unlink()
    change_live(root)
    before = live(root)
    assert restore_cli(root, backup.iso_from_tag(TAG)) == 1
    message = one_line(capsys.readouterr().err)
    assert "no manifest" in message and "--without-manifest" in message
    assert live(root) == before
    assert restore_cli(root, "--without-manifest", backup.iso_from_tag(TAG)) == 0
    del backed_up[backup.MANIFEST]
    assert tree(root.current_databases) == backed_up


def test_unverified_restore_still_refuses_an_empty_backup(root, capsys):
    make_backup(root)
    for folder in (root.databases_backups / TAG, root.databases_updates_backups / TAG):
        shutil.rmtree(folder)
        folder.mkdir()
    before = live(root)
    assert restore_cli(root, "--without-manifest", backup.iso_from_tag(TAG)) == 1
    assert "holds no database" in one_line(capsys.readouterr().err)
    assert live(root) == before


# -- item 3: links and special files ------------------------------------------------------------


def test_restore_refuses_a_symlink_in_a_backup(root, tmp_path, capsys):
    make_backup(root)
    outside = tmp_path / "outside"
    outside.mkdir()
    link = root.databases_backups / TAG / "latency" / "weather_pxatx1pxatx2"
    shutil.copy2(link, outside / "weather")
    link.unlink()
    link.symlink_to(outside / "weather")  # same bytes: size and checksum would match
    change_live(root)
    before = live(root)
    assert restore_cli(root, backup.iso_from_tag(TAG)) == 1
    message = one_line(capsys.readouterr().err)
    assert "symbolic link" in message and "weather_pxatx1pxatx2" in message
    assert live(root) == before
    assert [p.name for p in outside.iterdir()] == ["weather"]


def test_restore_refuses_a_fifo_in_a_backup_without_hanging(root, run_env, capsys):
    make_backup(root)
    fifo = root.databases_backups / TAG / "errors" / "fifo_pxatx1"
    os.mkfifo(fifo)
    before = live(root)
    done = subprocess.run(
        [
            str(BIN / "restoreRoundRobinDatabases"),
            "--root",
            str(root.root),
            backup.iso_from_tag(TAG),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=run_env,
    )
    assert done.returncode == 1
    assert "not a regular file" in one_line(done.stderr) and "fifo_pxatx1" in done.stderr
    assert live(root) == before
    # even without the manifest check
    assert restore_cli(root, "--without-manifest", backup.iso_from_tag(TAG)) == 1
    assert "not a regular file" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder link"])
def test_backup_refuses_links_and_special_files_in_the_live_archive(root, tmp_path, capsys, kind):
    target = root.current_databases / "latency" / "strange_pxatx1"
    if kind == "symlink":
        target.symlink_to(root.current_databases / "latency" / "satnet_pxatx1pxatx2")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        (tmp_path / "elsewhere").mkdir()
        target.symlink_to(tmp_path / "elsewhere")
    assert backup_cli(root, "--date", "2024-03-10 12:30:00") == 1
    message = one_line(capsys.readouterr().err)
    assert "strange_pxatx1" in message
    assert ("symbolic link" if kind != "fifo" else "not a regular file") in message
    assert tags(root) == ([], [])
    assert not [p for p in root.databases_backups.iterdir()]


def test_restored_archive_holds_regular_files_only(root):
    make_backup(root)
    backup.restore(root, TAG, T("2024-03-10 13:00:00"))
    for path in (*root.current_databases.rglob("*"), *root.current_databases_updates.rglob("*")):
        assert not path.is_symlink() and (path.is_file() or path.is_dir())


# -- item 6: pickles of the allowed class with wrong fields -------------------------------------


def _spoil(collector, how: str):
    if how == "buckets=None":
        collector.buckets = None
    elif how == "start='abc'":
        collector.start = "abc"
    elif how == "no interval":
        del collector.interval
    elif how == "no buckets":
        del collector.buckets
    elif how == "file_type=7":
        collector.file_type = 7
    elif how == "stats_types unknown":
        collector.stats_types = ["errors", "bogus"]
    elif how == "a bucket is None":
        collector.buckets[3] = None
    elif how == "bucket times=None":
        collector.buckets[3].times = None
    elif how == "bucket time 'x'":
        collector.buckets[3].times = ["x"] * len(collector.buckets[3].times) or ["x"]
    elif how == "bucket column short":
        collector.buckets[10].values["bytecount"] = []
        collector.buckets[10].times.append(collector.buckets[10].start)
    elif how == "bucket values missing a stat":
        del collector.buckets[5].values["latency"]
    elif how == "bucket means=None":
        collector.buckets[7].means = None
    elif how == "bucket total 'x'":
        collector.buckets[7].totals["bytecount"] = "x"
    elif how == "59 buckets":
        collector.buckets.pop()
    elif how == "interval=0":
        collector.interval = 0
    elif how == "nb_files='3'":
        collector.buckets[1].nb_files = "3"
    elif how == "bool start":
        collector.start = True
    elif how == "extra column":
        collector.buckets[2].values["extra"] = list(collector.buckets[2].times)
    else:
        raise AssertionError(how)
    return collector


SPOILS = [
    "buckets=None",
    "start='abc'",
    "no interval",
    "no buckets",
    "file_type=7",
    "stats_types unknown",
    "a bucket is None",
    "bucket times=None",
    "bucket time 'x'",
    "bucket column short",
    "bucket values missing a stat",
    "bucket means=None",
    "bucket total 'x'",
    "59 buckets",
    "interval=0",
    "nb_files='3'",
    "bool start",
    "extra column",
]


def spoiled_pickle(paths: StatsPaths, how: str) -> Path:
    path = paths.pickles / PICKLE
    pickles.save(path, _spoil(pickles.load_collector(path), how))
    return path


@pytest.mark.parametrize("how", SPOILS)
def test_load_refuses_wrong_fields(root, how):
    path = spoiled_pickle(root, how)
    with pytest.raises(pickles.PickleError) as caught:
        pickles.load_collector(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_load_accepts_every_pickle_of_R(root):
    found = sorted(root.pickles.rglob("*_[0-9][0-9]"))
    assert len(found) > 300
    for path in found:
        collector = pickles.load_collector(path)
        # the one-pass check accepts them (the bucket-by-bucket one only names faults)
        assert pickles._buckets_look_right(collector.buckets, collector.stats_types)


@pytest.mark.parametrize(
    "how", ["buckets=None", "start='abc'", "no interval", "bucket values missing a stat"]
)
def test_pickle_viewer_one_line(root, capsys, how):
    path = spoiled_pickle(root, how)
    assert pickleViewer.main([str(path)]) == 1
    message = one_line(capsys.readouterr().err)
    assert message.startswith(f"pickleViewer: error: {path}: ")


@pytest.mark.parametrize("how", ["buckets=None", "start='abc'", "no interval"])
def test_generate_graphics_leaves_a_spoiled_hour_empty(root, run_env, how):
    """As for a corrupt pickle: logged, its hour left empty, the graphic made."""
    spoiled_pickle(root, how)
    argv = [
        str(BIN / "generateGraphics"),
        "--root",
        str(root.root),
        "-c",
        "satnet",
        "-m",
        "pxatx1",
        "-s",
        "24",
        "-d",
        END,
    ]
    done = subprocess.run(argv, env=run_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    log = (root.data / "logs" / "generateGraphics.log").read_text()
    assert f"Pickle {root.pickles / PICKLE} skipped" in log
    merged = merging.merge_hours(
        root, T("2024-03-10 05:00:00"), T("2024-03-10 07:00:00"), "satnet", "pxatx1", "tx"
    )
    assert merged.nb_entries == 120
    assert not any(b.times for b in merged.buckets[:60])  # the spoiled hour: empty
    assert any(b.times for b in merged.buckets[60:])


def test_pickle_viewer_refuses_a_fifo_without_hanging(root, run_env):
    fifo = root.pickles / "satnet" / "20240310" / "tx" / "pxatx1_23"
    os.mkfifo(fifo)
    done = subprocess.run(
        [str(BIN / "pickleViewer"), "--root", str(root.root), str(fifo)],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert one_line(done.stderr) == f"pickleViewer: error: {fifo}: not a regular file"


# -- item 15: dangerous values -------------------------------------------------------------------


def _pickle_days(paths: StatsPaths) -> list:
    return sorted(str(p.relative_to(paths.pickles)) for p in paths.pickles.glob("*/*"))


@pytest.mark.parametrize(
    "date, word",
    [("", "empty"), ("  ", "empty"), ("9999-12-31 23:59:59", "future"), ("+2days", "future")],
)
def test_pickle_cleaner_refuses_an_empty_or_future_date(root, capsys, date, word):
    if date == "+2days":
        date = timeutil.iso(timeutil.now() + 2 * timeutil.DAY)
    days = _pickle_days(root)
    assert len(days) == 14
    assert pickleCleaner.main(["--root", str(root.root), "-d", date, "1"]) == 2
    assert word in one_line(capsys.readouterr().err)
    assert _pickle_days(root) == days


def test_pickle_cleaner_accepts_tomorrow(root, capsys):
    tomorrow = timeutil.iso(timeutil.now() + timeutil.DAY - 600)
    assert pickleCleaner.main(["--root", str(root.root), "-d", tomorrow, "1"]) == 0
    assert _pickle_days(root) == []


@pytest.mark.parametrize("date, word", [("", "empty"), ("9999-12-31 23:59:59", "future")])
def test_backup_refuses_an_empty_or_future_date(root, capsys, date, word):
    assert backup_cli(root, "--date", date) == 2
    assert word in one_line(capsys.readouterr().err)
    assert tags(root) == ([], [])


def test_future_tags_are_ignored_and_reported(root, capsys):
    """A backup tagged 9999 would stay 'newest' for ever: retention and restore leave it out."""
    for tag in ("2024-03-01_00:00:00", "2024-03-05_00:00:00", "2024-03-08_00:00:00"):
        make_backup(root, tag)
    future = "9999-12-31_00:00:00"
    for folder in (root.databases_backups, root.databases_updates_backups):
        shutil.copytree(folder / "2024-03-08_00:00:00", folder / future)
    assert backup_cli(root, "2", "--date", "2024-03-10 12:30:00") == 0
    captured = capsys.readouterr()
    assert captured.out == f"{TAG}\n"
    assert "9999-12-31 00:00:00" in one_line(captured.err) and "future" in captured.err
    expected = ["2024-03-01_00:00:00", TAG, future]  # oldest + newest real, future kept
    assert tags(root) == (expected, expected)
    assert restore_cli(root, backup.iso_from_tag(future)) == 1
    assert "future" in one_line(capsys.readouterr().err)
    assert restore_cli(root, "2023-01-01 00:00:00") == 1
    message = one_line(capsys.readouterr().err)
    assert "the latest 2024-03-10 12:30:00" in message
    assert restore_cli(root, "2024-03-01 00:00:00") == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("restored 2024-03-01_00:00:00; the previous state is backup ")
    assert "9999-12-31 00:00:00 is dated in the future" in one_line(captured.err)
    assert future in tags(root)[0]


def test_pickle_viewer_refuses_an_output_in_a_missing_folder(root, tmp_path, capsys):
    target = tmp_path / "nonexistent" / "dir" / "out"
    assert pickleViewer.main(["--root", str(root.root), PICKLE, str(target)]) == 1
    message = one_line(capsys.readouterr().err)
    assert "does not exist" in message and str(target.parent) in message
    assert not (tmp_path / "nonexistent").exists()
    out = tmp_path / "out.txt"
    assert pickleViewer.main(["--root", str(root.root), PICKLE, str(out)]) == 0
    assert out.read_text().startswith("Pickle file")


def test_generate_rrd_graphics_unknown_client_one_line_nothing_created(root, capsys):
    before = sorted(str(p) for p in root.root.rglob("*") if "logs" not in p.parts)
    status = generateRRDGraphics.main(
        ["--root", str(root.root), "-c", "a b", "-d", "--date", END, "--machines", MACHINES]
    )
    assert status == 1
    message = one_line(capsys.readouterr().err)
    assert "ab" in message and "database" in message
    after = sorted(str(p) for p in root.root.rglob("*") if "logs" not in p.parts)
    assert after == before


SCRIPTS = sorted(
    p.stem for p in (REPO / "pxstats" / "cli").glob("*.py") if p.stem not in ("__init__", "common")
)


@pytest.mark.parametrize("script", SCRIPTS)
def test_usage_errors_are_one_line(script, tmp_path):
    """Usage errors print one line, not the whole usage (OneLineParser everywhere)."""
    done = subprocess.run(
        [str(REPO / "bin" / script), "--root", str(tmp_path), "--no-such-option"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == (3 if script == "statsMonitor" else 2)  # 3: Nagios UNKNOWN
    assert one_line(done.stderr).startswith(f"{script}: error: ")
    assert list(tmp_path.iterdir()) == []


def test_tags_in_the_future_are_listed_apart():
    now = T("2024-03-10 12:00:00")
    assert backup.future_tags(["2024-03-10_12:04:00", "2024-03-10_12:06:00"], now) == [
        "2024-03-10_12:06:00"
    ]
