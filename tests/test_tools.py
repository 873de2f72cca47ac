"""Debug and maintenance tools: pickleViewer, picklesTimeOfUpdatesViewer, setTimeOfLastUpdates,
pickleCleaner (spec §5.1, §5.2, §5.3, §5.5, §8 items 34-35, §9 T23)."""

import json
import os
import pickle
import subprocess

import pytest
from helpers import BIN, REPO, T
from manpage import assert_manual_page_matches_help

from pxstats.actions import cleaners, times
from pxstats.cli import (
    pickleCleaner,
    picklesTimeOfUpdatesViewer,
    pickleViewer,
    setTimeOfLastUpdates,
)
from pxstats.paths import StatsPaths
from pxstats.stats.collector import FileStatsCollector
from pxstats.store import pickles, updates
from pxstats.util.locks import file_lock

PROGRAMS = {
    "pickleViewer": pickleViewer,
    "picklesTimeOfUpdatesViewer": picklesTimeOfUpdatesViewer,
    "setTimeOfLastUpdates": setTimeOfLastUpdates,
    "pickleCleaner": pickleCleaner,
}


def stderr_lines(captured) -> list[str]:
    return [line for line in captured.err.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# pickleViewer
# ---------------------------------------------------------------------------------------------


def add_row(bucket, when, product, errors, latency, bytecount):
    bucket.times.append(T(when))
    bucket.products.append(product)
    bucket.values["errors"].append(errors)
    bucket.values["latency"].append(latency)
    bucket.values["bytecount"].append(bytecount)


@pytest.fixture
def hourly_pickle(tmp_path):
    c = FileStatsCollector("tx", T("2008-04-30 11:00:00"))
    c.log_files = ["/logs/remote1/tx_clientA.log.2008-04-30", "/logs/remote1/tx_clientA.log"]
    b0 = c.buckets[0]
    add_row(b0, "2008-04-30 11:00:10", "SACN01_CWAO", 0, 10, 100)
    add_row(b0, "2008-04-30 11:00:40", "SACN02_CWAO", 0, 20, 300)
    add_row(b0, "2008-04-30 11:00:50", "", 1, 0, 0)  # an error row
    add_row(c.buckets[5], "2008-04-30 11:05:30", "FTP_FILE", 0, 30, 7)
    c.note_filled()
    c.compute_statistics()
    path = tmp_path / "data" / "pickles" / "clientA" / "20080430" / "tx" / "remote1_11"
    pickles.save(path, c)
    return path


def test_viewer_json_gives_the_exact_figures(hourly_pickle, capsys):
    assert pickleViewer.main([str(hourly_pickle), "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)  # exactly one JSON document on stdout
    assert data["file"] == str(hourly_pickle)
    assert (data["fileType"], data["statsTypes"]) == ("tx", ["errors", "latency", "bytecount"])
    assert (data["startTime"], data["endTime"], data["interval"]) == (
        "2008-04-30 11:00:00",
        "2008-04-30 12:00:00",
        60,
    )
    assert data["logFiles"] == [
        "/logs/remote1/tx_clientA.log.2008-04-30",
        "/logs/remote1/tx_clientA.log",
    ]
    assert len(data["buckets"]) == 60
    b0 = data["buckets"][0]
    assert (b0["startTime"], b0["endTime"]) == ("2008-04-30 11:00:00", "2008-04-30 11:01:00")
    assert (b0["rows"], b0["nbFiles"], b0["filesOverMaxLatency"]) == (3, 2, 1)
    assert b0["totals"] == {"errors": 1.0, "latency": 30.0, "bytecount": 400.0}
    assert b0["means"] == {"errors": pytest.approx(1 / 3), "latency": 15.0, "bytecount": 200.0}
    assert b0["medians"] == {"errors": 0, "latency": 15.0, "bytecount": 200.0}
    assert b0["minimums"] == {"errors": 1, "latency": 10, "bytecount": 100}
    assert b0["maximums"] == {"errors": 1, "latency": 20, "bytecount": 300}
    assert b0["timesWhereMaxOccured"] == {
        "errors": "2008-04-30 11:00:50",
        "latency": "2008-04-30 11:00:40",
        "bytecount": "2008-04-30 11:00:40",
    }
    assert b0["filesWhereMaxOccured"]["latency"] == "SACN02_CWAO"
    assert b0["times"] == ["2008-04-30 11:00:10", "2008-04-30 11:00:40", "2008-04-30 11:00:50"]
    assert b0["values"]["latency"] == [10, 20, 0]
    b5 = data["buckets"][5]
    assert (b5["startTime"], b5["rows"], b5["nbFiles"], b5["filesOverMaxLatency"]) == (
        "2008-04-30 11:05:00",
        1,
        1,
        1,
    )
    assert b5["maximums"]["latency"] == 30
    b1 = data["buckets"][1]
    assert (b1["rows"], b1["nbFiles"], b1["totals"]["latency"]) == (0, 0, 0.0)
    assert b1["timesWhereMaxOccured"]["latency"] is None  # no row: no time
    assert data["buckets"][-1]["endTime"] == "2008-04-30 12:00:00"


def test_viewer_human_output_mentions_header_and_totals(hourly_pickle, capsys):
    assert pickleViewer.main([str(hourly_pickle)]) == 0
    out = capsys.readouterr().out
    assert f"Pickle file         : {hourly_pickle}" in out
    assert "/logs/remote1/tx_clientA.log.2008-04-30" in out
    assert "Start time          : 2008-04-30 11:00:00" in out
    assert "End time            : 2008-04-30 12:00:00" in out
    assert "Number of buckets   : 60" in out
    bucket0 = out.split("Bucket 0 : ")[1].split("Bucket 1 : ")[0]
    assert bucket0.startswith("2008-04-30 11:00:00 - 2008-04-30 11:01:00")
    assert "totals               : errors=1.0, latency=30.0, bytecount=400.0" in bucket0
    assert "filesOverMaxLatency  : 1" in bucket0
    assert "maximums             : errors=1, latency=20, bytecount=300" in bucket0
    assert "SACN02_CWAO" in bucket0
    assert out.count("\nBucket ") == 60


def test_viewer_output_file_and_name_under_root(hourly_pickle, tmp_path, capsys):
    target = tmp_path / "dump.json"
    relative = "clientA/20080430/tx/remote1_11"  # found under <root>/data/pickles/
    assert pickleViewer.main(["--root", str(tmp_path), "--json", relative, str(target)]) == 0
    assert capsys.readouterr().out == ""
    data = json.loads(target.read_text())
    assert data["file"] == str(hourly_pickle)
    assert data["buckets"][0]["totals"]["bytecount"] == 400.0


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("kind", ["missing", "garbage", "truncated", "code", "dict", "text"])
def test_viewer_bad_file_is_one_line_and_exit_1(hourly_pickle, tmp_path, capsys, kind):
    bad = tmp_path / "bad_pickle"
    marker = tmp_path / "code_ran"
    if kind == "garbage":
        bad.write_bytes(b"\x80\x04garbage that is not a pickle")
    elif kind == "truncated":
        bad.write_bytes(hourly_pickle.read_bytes()[:200])
    elif kind == "code":
        bad.write_bytes(pickle.dumps(_RunsCode(marker), protocol=4))
    elif kind == "dict":
        bad.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    elif kind == "text":
        bad.write_text("this is a plain text file\n")
    status = pickleViewer.main(["--root", str(tmp_path), str(bad)])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    lines = stderr_lines(captured)
    assert len(lines) == 1 and lines[0].startswith("pickleViewer: error: ")
    assert "bad_pickle" in lines[0]
    assert not marker.exists()


def test_viewer_through_the_installed_executable(hourly_pickle, run_env):
    done = subprocess.run(
        [str(BIN / "pickleViewer"), "--json", str(hourly_pickle)],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["buckets"][0]["nbFiles"] == 2
    done = subprocess.run(
        [str(BIN / "pickleViewer"), str(hourly_pickle) + ".nope"],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------------
# picklesTimeOfUpdatesViewer
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def time_files(stats_root):
    folder = stats_root.times_of_updates
    folder.mkdir(parents=True)
    updates.write(folder / "tx_clientA_remote1", T("2008-04-30 15:00:00"))
    updates.write(folder / "rx_source_b_remote2", T("2008-04-29 23:00:00"))
    (folder / "tx_broken_remote1").write_bytes(b"not a pickle")
    (folder / ".tx_clientA_remote1.abc.tmp").write_bytes(b"temp file of an atomic write")
    return stats_root


def test_times_viewer_lists_sorted_files_in_a_box(time_files, capsys):
    assert picklesTimeOfUpdatesViewer.main(["--root", str(time_files.root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == lines[-1] == "#" * 70
    assert all(len(line) == 70 and line[0] == line[-1] == "#" for line in lines)
    assert any("Current time : " in line and " UTC" in line for line in lines[:5])
    rows = [
        line
        for line in lines
        if " : " in line and "Current time" not in line and "Host" not in line
    ]
    assert rows == [
        "#" + "rx_source_b_remote2".rjust(32) + " : " + "2008-04-29 23:00:00".rjust(33) + "#",
        "#" + "tx_broken_remote1".rjust(32) + " : " + "Not available.".rjust(33) + "#",
        "#" + "tx_clientA_remote1".rjust(32) + " : " + "2008-04-30 15:00:00".rjust(33) + "#",
    ]
    assert "\x1b" not in "".join(lines)  # the screen is not cleared


def test_times_viewer_json_and_missing_folder(time_files, tmp_path, capsys):
    assert picklesTimeOfUpdatesViewer.main(["--root", str(time_files.root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "rx_source_b_remote2": "2008-04-29 23:00:00",
        "tx_broken_remote1": None,
        "tx_clientA_remote1": "2008-04-30 15:00:00",
    }
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    assert picklesTimeOfUpdatesViewer.main(["--root", str(empty)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert stderr_lines(captured) == [
        f"picklesTimeOfUpdatesViewer: error: no time-of-update folder "
        f"{empty / 'data' / 'picklesTimeOfUpdates'}"
    ]


# ---------------------------------------------------------------------------------------------
# setTimeOfLastUpdates
# ---------------------------------------------------------------------------------------------

TIME_NAMES = [
    "tx_clientA_m1",
    "tx_clientA_m2",
    "tx_client_A_m1",
    "rx_clientA_m1",
    "tx_clientAB_m1",
    "tx_x_my_machine",
]
OLD = T("2008-05-02 10:00:00")


@pytest.fixture
def update_root(stats_root):
    for name in TIME_NAMES:
        updates.write(stats_root.times_of_updates / name, OLD)
        (stats_root.log_file_access).mkdir(parents=True, exist_ok=True)
        (stats_root.log_file_access / name).write_text('{"pointer": true}')
    (stats_root.log_file_access / "default").write_text("unused")
    return stats_root


def snapshot(paths: StatsPaths) -> dict:
    return {
        p.relative_to(paths.data).as_posix(): p.read_bytes()
        for folder in (paths.times_of_updates, paths.log_file_access)
        for p in sorted(folder.iterdir())
    }


def changed_names(before: dict, after: dict) -> set:
    return {k for k in before if before[k] != after.get(k)}


NEW_BYTES = b"S'2008-04-30 12:00:00'\np0\n."


def test_set_times_with_all_filters_changes_exactly_one_file(update_root, capsys):
    before = snapshot(update_root)
    status = setTimeOfLastUpdates.main(
        [
            "--root",
            str(update_root.root),
            "2008-04-30 12:34:56",
            "-m",
            "m1",
            "-f",
            "tx",
            "-c",
            "clientA",
        ]
    )
    assert status == 0
    after = snapshot(update_root)
    assert changed_names(before, after) == {"picklesTimeOfUpdates/tx_clientA_m1"}
    assert after["picklesTimeOfUpdates/tx_clientA_m1"] == NEW_BYTES
    assert updates.read(update_root.times_of_updates / "tx_clientA_m1") == T("2008-04-30 12:00:00")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"set : {update_root.times_of_updates / 'tx_clientA_m1'} : "
        "2008-05-02 10:00:00 -> 2008-04-30 12:00:00"
    ]


@pytest.mark.parametrize(
    "filters, expected",
    [
        (["-c", "clientA"], {"tx_clientA_m1", "tx_clientA_m2", "rx_clientA_m1"}),
        (["-c", "client_A"], {"tx_client_A_m1"}),
        (["-m", "my_machine"], {"tx_x_my_machine"}),
        (["-m", "m1", "-f", "tx"], {"tx_clientA_m1", "tx_client_A_m1", "tx_clientAB_m1"}),
        (["-f", "rx"], {"rx_clientA_m1"}),
        (
            ["-c", "clientA,clientAB", "-m", "m1"],
            {"tx_clientA_m1", "rx_clientA_m1", "tx_clientAB_m1"},
        ),
        ([], set(TIME_NAMES)),
    ],
)
def test_set_times_filters_match_by_exact_prefix_and_suffix(update_root, capsys, filters, expected):
    before = snapshot(update_root)
    assert (
        setTimeOfLastUpdates.main(
            ["--root", str(update_root.root), "2008-04-30 12:00:00", *filters]
        )
        == 0
    )
    after = snapshot(update_root)
    assert changed_names(before, after) == {f"picklesTimeOfUpdates/{n}" for n in expected}
    assert all(after[f"picklesTimeOfUpdates/{n}"] == NEW_BYTES for n in expected)
    assert len(capsys.readouterr().out.splitlines()) == len(expected)


def test_set_times_resets_pointers_only_when_asked(update_root, capsys):
    pointers = update_root.log_file_access
    assert (
        setTimeOfLastUpdates.main(
            ["--root", str(update_root.root), "2008-04-30 12:00:00", "-c", "clientA"]
        )
        == 0
    )
    assert sorted(p.name for p in pointers.iterdir()) == sorted(TIME_NAMES + ["default"])
    capsys.readouterr()
    assert (
        setTimeOfLastUpdates.main(
            [
                "--root",
                str(update_root.root),
                "2008-04-30 12:00:00",
                "-c",
                "clientA",
                "--reset-pointers",
            ]
        )
        == 0
    )
    remaining = sorted(p.name for p in pointers.iterdir())
    assert remaining == sorted(["tx_client_A_m1", "tx_clientAB_m1", "tx_x_my_machine", "default"])
    out = capsys.readouterr().out
    assert out.count("deleted : ") == 3 and f"deleted : {pointers / 'rx_clientA_m1'}" in out
    # No filter at all: every pointer goes, except files that are not pointers ("default").
    assert (
        setTimeOfLastUpdates.main(
            ["--root", str(update_root.root), "2008-04-30 12:00:00", "--reset-pointers"]
        )
        == 0
    )
    assert [p.name for p in pointers.iterdir()] == ["default"]


@pytest.mark.parametrize(
    "date",
    ["2008-04-31 12:00:00", "yesterday", "04/12/2026 10:00", "2008-04-30 12:00:00 X", "garbage"],
)
def test_set_times_bad_date_writes_nothing(update_root, capsys, date):
    before = snapshot(update_root)
    assert setTimeOfLastUpdates.main(["--root", str(update_root.root), date]) == 2
    captured = capsys.readouterr()
    assert stderr_lines(captured) == [
        "setTimeOfLastUpdates: error: The date format must be YYYY-MM-DD HH:MM:SS, also "
        "YYYY-MM-DD, YYYY-MM-DD HH or YYYY-MM-DD HH:MM, T for the space"
    ]
    assert captured.out == ""
    assert snapshot(update_root) == before
    assert not update_root.logs.exists()


def test_set_times_no_match_and_busy_lock(update_root, capsys):
    before = snapshot(update_root)
    assert (
        setTimeOfLastUpdates.main(
            ["--root", str(update_root.root), "2008-04-30 12:00:00", "-c", "nobody"]
        )
        == 1
    )
    assert len(stderr_lines(capsys.readouterr())) == 1
    with file_lock(update_root.lock_file("pickleUpdater_tx_clientA_m1"), wait=False):
        status = setTimeOfLastUpdates.main(
            ["--root", str(update_root.root), "2008-04-30 12:00:00", "-c", "clientA", "-m", "m1"]
        )
    captured = capsys.readouterr()
    assert status == 1
    assert stderr_lines(captured) == [
        "setTimeOfLastUpdates: error: tx_clientA_m1: a pickleUpdater is running for it; not changed"
    ]
    after = snapshot(update_root)
    assert changed_names(before, after) == {"picklesTimeOfUpdates/rx_clientA_m1"}


def test_name_matches_never_splits_on_underscores():
    assert times.name_matches("tx_a_b_c", ["tx"], ["a"], None)
    assert times.name_matches("tx_a_b_c", ["tx"], ["a_b"], "c")
    assert not times.name_matches("tx_a_b_c", ["tx"], ["a"], "c")
    assert times.name_matches("tx_a_b_c", None, None, "b_c")
    assert not times.name_matches("tx_a_m", ["rx"], None, None)
    assert not times.name_matches("tx__m", None, None, "m")  # empty client
    assert not times.name_matches("tx_m", None, None, None)
    assert not times.name_matches("default", None, None, None)


def test_set_times_through_the_installed_executable(update_root, run_env):
    done = subprocess.run(
        [str(BIN / "setTimeOfLastUpdates"), "2008-04-30 12:59:59", "-f", "rx"],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (update_root.times_of_updates / "rx_clientA_m1").read_bytes() == NEW_BYTES
    assert (update_root.times_of_updates / "tx_clientA_m1").read_bytes() == updates.encode(OLD)
    done = subprocess.run(
        [str(BIN / "setTimeOfLastUpdates"), "2008-13-01 00:00:00"],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# pickleCleaner
# ---------------------------------------------------------------------------------------------

DATES_IN = ["20080501", "20080430", "20080429", "20080428", "20080427", "20080401", "20071231"]


@pytest.fixture
def pickle_tree(stats_root, tmp_path):
    for name in ("clientA", "clientB"):
        for day in DATES_IN:
            folder = stats_root.pickles / name / day / "tx"
            folder.mkdir(parents=True)
            (folder / "remote1_12").write_bytes(b"pickle")
    (stats_root.pickles / "clientA" / "notadate").mkdir()
    (stats_root.pickles / "clientA" / "20081399").mkdir()  # looks like a date, is not one
    (stats_root.pickles / "clientA" / "README").write_text("a file")
    (stats_root.pickles / "stray.txt").write_text("a file directly under pickles/")
    outside = tmp_path / "outside"
    (outside / "keep").mkdir(parents=True)
    (stats_root.pickles / "clientB" / "20080101").symlink_to(outside, target_is_directory=True)
    for kind, name in (("groups", "GRP"), ("clients", "clientAclientB")):
        for day in ("20080430", "20080427"):
            (stats_root.merged_pickles / kind / name / day / "tx").mkdir(parents=True)
    return stats_root


def existing(paths: StatsPaths) -> set:
    return {
        p.relative_to(paths.data).as_posix()
        for p in paths.data.rglob("*")
        if p.parent.parent.name in ("pickles", "clients", "groups")
    }


def test_t23_keeps_three_days_deletes_older_and_leaves_non_dates(pickle_tree, tmp_path, capsys):
    data = pickle_tree.data
    assert (
        pickleCleaner.main(["3", "--date", "2008-04-30 18:00:00", "--root", str(pickle_tree.root)])
        == 0
    )
    captured = capsys.readouterr()
    deleted = [
        f"pickles/{n}/{d}"
        for n in ("clientA", "clientB")
        for d in ("20080427", "20080401", "20071231")
    ]
    deleted += [
        "mergedPickles/groups/GRP/20080427",
        "mergedPickles/clients/clientAclientB/20080427",
    ]
    assert sorted(captured.out.splitlines()) == sorted(f"deleted : {data / d}" for d in deleted)
    for d in deleted:
        assert not (data / d).exists()
    for name in ("clientA", "clientB"):
        for day in ("20080501", "20080430", "20080429", "20080428"):
            assert (data / "pickles" / name / day / "tx" / "remote1_12").read_bytes() == b"pickle"
    for kept in (
        "pickles/clientA/notadate",
        "pickles/clientA/20081399",
        "pickles/clientA/README",
        "pickles/stray.txt",
        "mergedPickles/groups/GRP/20080430",
    ):
        assert (data / kept).exists()
    assert (data / "pickles" / "clientB" / "20080101").is_symlink()
    assert (tmp_path / "outside" / "keep").is_dir()
    warnings = stderr_lines(captured)
    assert len(warnings) == 5 and all(w.startswith("pickleCleaner: warning: ") for w in warnings)
    for name in ("notadate", "20081399", "README", "stray.txt", "20080101"):
        assert sum(name in w for w in warnings) == 1


def test_cleaner_default_keeps_21_days(stats_root, capsys):
    for day in ("20080410", "20080409"):
        (stats_root.pickles / "clientA" / day).mkdir(parents=True)
    assert pickleCleaner.main(["-d", "2008-04-30 00:00:00", "--root", str(stats_root.root)]) == 0
    assert capsys.readouterr().out == f"deleted : {stats_root.pickles / 'clientA' / '20080409'}\n"
    assert (stats_root.pickles / "clientA" / "20080410").is_dir()
    assert cleaners.days_kept(T("2008-03-01 23:59:59"), 3) == ["20080301", "20080229", "20080228"]


@pytest.mark.parametrize(
    "args", [["abc"], ["0"], ["-3"], ["2.5"], [""], ["3", "-d", "2008-02-30 00:00:00"]]
)
def test_cleaner_bad_argument_deletes_nothing(pickle_tree, capsys, args):
    before = existing(pickle_tree)
    status = pickleCleaner.main([*args, "--root", str(pickle_tree.root)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = stderr_lines(captured)
    assert len(lines) == 1 and lines[0].startswith("pickleCleaner: error: ")
    assert existing(pickle_tree) == before


def test_cleaner_through_the_installed_executable(pickle_tree, run_env):
    done = subprocess.run(
        [str(BIN / "pickleCleaner"), "x"], capture_output=True, text=True, env=run_env, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr == (
        "pickleCleaner: error: daysToKeep must be an integer from 1 to 36600 (got 'x')\n"
    )
    assert (pickle_tree.pickles / "clientA" / "20071231").is_dir()
    done = subprocess.run(
        [str(BIN / "pickleCleaner"), "2", "-d", "2008-04-30 00:00:00"],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"deleted : {pickle_tree.pickles / 'clientA' / '20080428'}" in done.stdout
    assert (pickle_tree.pickles / "clientA" / "20080429").is_dir()
    assert not (pickle_tree.pickles / "clientA" / "20080428").exists()


# ---------------------------------------------------------------------------------------------
# all four: --help, option errors, bin/ shims, man pages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PROGRAMS)
def test_help_exits_zero(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        PROGRAMS[name].main(["--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {name} ")


@pytest.mark.parametrize("name", PROGRAMS)
def test_unknown_option_is_one_line(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        PROGRAMS[name].main(["--no-such-option", "x"])
    assert exit_info.value.code == 2
    lines = stderr_lines(capsys.readouterr())
    assert len(lines) == 1 and lines[0].startswith(f"{name}: error: ")


@pytest.mark.parametrize("name", PROGRAMS)
def test_bin_shim_runs_from_the_checkout(name):
    shim = REPO / "bin" / name
    assert os.access(shim, os.X_OK)
    assert shim.read_text() == (REPO / "bin" / "pickleUpdater").read_text().replace(
        "pickleUpdater", name
    )
    done = subprocess.run(
        [str(shim), "--help"], capture_output=True, text=True, timeout=60, cwd="/"
    )
    assert done.returncode == 0 and done.stdout.startswith(f"usage: {name} ")


@pytest.mark.parametrize("name", PROGRAMS)
def test_man_page_matches_help(name):
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / f"{name}.1", PROGRAMS[name].build_parser()
    )


def test_issue10_item3_day_first_dates_are_refused_iso_forms_accepted(update_root, capsys):
    """`setTimeOfLastUpdates "04/12/2026 10:00"` used to set 2026-04-12 (dateutil read it
    month first); only the ISO forms are accepted now, each meaning one hour."""
    before = snapshot(update_root)
    assert (
        setTimeOfLastUpdates.main(
            ["--root", str(update_root.root), "04/12/2026 10:00", "-c", "clientA"]
        )
        == 2
    )
    assert "YYYY-MM-DD HH:MM:SS" in capsys.readouterr().err
    assert snapshot(update_root) == before
    time_file = update_root.times_of_updates / "tx_clientA_m1"
    for text, expected in [
        ("2008-05-02", "2008-05-02 00:00:00"),
        ("2008-05-02T07", "2008-05-02 07:00:00"),
        ("2008-05-02 07:45", "2008-05-02 07:00:00"),
    ]:
        assert (
            setTimeOfLastUpdates.main(
                ["--root", str(update_root.root), text, "-c", "clientA", "-m", "m1"]
            )
            == 0
        )
        assert updates.read(time_file) == T(expected)
