"""recollectData: rebuilds past pickles exactly, leaves update times and pointers alone."""

import pytest
from helpers import REPO, hourly_lines, write_log
from manpage import assert_manual_page_matches_help
from test_pickle_updater import pickle_of

from pxstats.cli import pickleUpdater, recollectData


@pytest.fixture
def collected(tmp_path):
    write_log(
        tmp_path / "data" / "logFiles" / "remote1" / "tx_clientA.log",
        hourly_lines("2008-04-30 10:00:00", 6),
    )
    assert (
        pickleUpdater.main(
            ["--root", str(tmp_path), "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 11:10:00"]
        )
        == 0
    )
    assert (
        pickleUpdater.main(
            ["--root", str(tmp_path), "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 15:10:00"]
        )
        == 0
    )
    return tmp_path


def test_rebuilds_identical_pickles_and_keeps_state(collected, capsys):
    root = collected
    state = root / "data" / "picklesTimeOfUpdates" / "tx_clientA_remote1"
    pointer = root / "data" / "logFileAccess" / "tx_clientA_remote1"
    before = {
        p: p.read_bytes() for p in (pickle_of(root, "20080430_12"), pickle_of(root, "20080430_13"))
    }
    kept = (state.read_bytes(), pointer.read_bytes())
    for p in before:
        p.unlink()
    status = recollectData.main(
        [
            "--root",
            str(root),
            "--from",
            "2008-04-30 12:30:00",
            "--to",
            "2008-04-30 14:00:00",
            "-m",
            "remote1",
            "-f",
            "tx",
            "-c",
            "clientA",
        ]
    )
    assert status == 0
    assert {p: p.read_bytes() for p in before} == before
    assert (state.read_bytes(), pointer.read_bytes()) == kept
    assert "2 pickle(s) rebuilt" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,message",
    [
        (["--from", "30/04/2008 12:00", "--to", "now"], "date format"),
        (["--from", "2008-04-30 12:00:00", "--to", "2008-04-30 11:00:00"], "later than"),
        (["--from", "2008-04-30 12:00:00", "--to", "now", "-i", "7"], "interval"),
        (["--from", "2008-04-30 12:00:00", "--to", "now", "-m", ".."], "invalid machine"),
    ],
)
def test_invalid_input(tmp_path, capsys, args, message):
    assert recollectData.main(["--root", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_missing_log_folder_fails(tmp_path, capsys):
    status = recollectData.main(
        [
            "--root",
            str(tmp_path),
            "--from",
            "2008-04-30 12:00:00",
            "--to",
            "2008-04-30 13:00:00",
            "-m",
            "nowhere",
            "-c",
            "x",
            "-f",
            "tx",
        ]
    )
    assert status == 1 and "does not exist" in capsys.readouterr().err


def test_man_page_matches_help():
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / "recollectData.1", recollectData.build_parser()
    )


def test_issue10_item2_both_file_types_rebuild_only_what_has_logs(collected, capsys):
    """`recollectData -c clientA` (default -f both) rebuilt empty rx pickles for the tx client
    clientA, after which every transfer of the machine failed. Now only its tx hours."""
    root = collected
    status = recollectData.main(
        [
            "--root",
            str(root),
            "--from",
            "2008-04-30 12:00:00",
            "--to",
            "2008-04-30 14:00:00",
            "-m",
            "remote1",
            "-c",
            "clientA",
        ]
    )
    assert status == 0
    assert "tx clientA remote1: 2 pickle(s) rebuilt" in capsys.readouterr().out
    assert not list((root / "data" / "pickles" / "clientA").glob("*/rx"))
    status = recollectData.main(
        [
            "--root",
            str(root),
            "--from",
            "2008-04-30 12:00:00",
            "--to",
            "2008-04-30 14:00:00",
            "-m",
            "remote1",
            "-c",
            "clientZ",
        ]
    )
    assert status == 1
    assert "unknown client or source 'clientZ' on remote1" in capsys.readouterr().err
    assert not (root / "data" / "pickles" / "clientZ").exists()
