"""pickleUpdater end to end: spec §9 T12-T15, validation of §3.2, catch-up and locking."""

import calendar
import re
import subprocess
import sys
import time

import pytest
from helpers import REPO, T, hourly_lines, write_log
from manpage import assert_manual_page_matches_help

from pxstats.cli import pickleUpdater
from pxstats.collect import cursor
from pxstats.store import pickles, updates
from pxstats.util import timeutil


@pytest.fixture
def remote1(tmp_path):
    log = write_log(
        tmp_path / "data" / "logFiles" / "remote1" / "tx_clientA.log",
        hourly_lines("2008-04-30 10:00:00", 6),
    )
    return tmp_path, log


def run(root, *args):
    try:
        return pickleUpdater.main(["--root", str(root), *args])
    except SystemExit as exc:  # argparse refuses from inside parse_args
        return exc.code


def pickle_of(root, hour, client="clientA", machine="remote1", ft="tx"):
    return root / "data" / "pickles" / client / hour[:8] / ft / f"{machine}_{hour[9:]}"


def test_t12_first_run(remote1):
    root, log = remote1
    assert run(root, "-m", "remote1", "-f", "tx", "-c", "clientA", "-d", "2008-04-30 12:10:00") == 0
    c = pickles.load_collector(pickle_of(root, "20080430_11"))
    assert (timeutil.iso(c.start), timeutil.iso(c.end)) == (
        "2008-04-30 11:00:00",
        "2008-04-30 12:00:00",
    )
    assert [i for i, b in enumerate(c.buckets) if b.rows] == [0, 30]
    assert c.stats_types == ["errors", "latency", "bytecount"]
    assert (c.interval, c.total_width, c.log_files) == (60, 3600, [str(log)])
    assert not hasattr(c, "logger")
    time_file = root / "data" / "picklesTimeOfUpdates" / "tx_clientA_remote1"
    assert time_file.read_bytes() == b"S'2008-04-30 12:00:00'\np0\n."
    pointer = cursor.load(root / "data" / "logFileAccess" / "tx_clientA_remote1")
    data = log.read_bytes()
    assert pointer.first_line == data.split(b"\n")[0] + b"\n"
    assert pointer.offset == data.index(b"2008-04-30 12:00:30")
    assert pointer.end == T("2008-04-30 12:00:00")


def test_t13_catch_up_rerun_and_gap_of_days(remote1):
    root, _ = remote1
    time_file = root / "data" / "picklesTimeOfUpdates" / "tx_clientA_remote1"
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 12:10:00") == 0
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 15:30:00") == 0
    for hh in ("12", "13", "14"):
        c = pickles.load_collector(pickle_of(root, f"20080430_{hh}"))
        assert sum(b.rows for b in c.buckets) == 2
        assert c.buckets[30].values["bytecount"] == [130]
    assert updates.read(time_file) == T("2008-04-30 15:00:00")
    before = {p: p.stat().st_mtime_ns for p in (root / "data" / "pickles").rglob("*_*")}
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 15:35:00") == 0
    assert {p: p.stat().st_mtime_ns for p in (root / "data" / "pickles").rglob("*_*")} == before
    assert (
        "This client was not updated" in (root / "data" / "logs" / "pickleUpdater.log").read_text()
    )
    assert updates.read(time_file) == T("2008-04-30 15:00:00")
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 15:35:00", "-n") == 0
    assert updates.read(time_file) == T("2008-04-30 15:35:00")  # -n collects up to the minute
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-05-02 01:10:00") == 0
    written = sorted(p for p in (root / "data" / "pickles").rglob("remote1_*"))
    assert len(written) == 4 + 34
    c15 = pickles.load_collector(pickle_of(root, "20080430_15"))
    assert sum(b.rows for b in c15.buckets) == 2
    c16 = pickles.load_collector(pickle_of(root, "20080430_16"))
    assert sum(b.rows for b in c16.buckets) == 0 and c16.log_files == []
    assert pickle_of(root, "20080502_00").exists()
    assert updates.read(time_file) == T("2008-05-02 01:00:00")


def test_now_option_then_full_hour_gives_full_pickle(remote1):
    root, _ = remote1
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 12:10:00") == 0
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 12:20:00", "-n") == 0
    partial = pickles.load_collector(pickle_of(root, "20080430_12"))
    assert [i for i, b in enumerate(partial.buckets) if b.rows] == [0]
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 13:05:00") == 0
    full = pickles.load_collector(pickle_of(root, "20080430_12"))
    assert [i for i, b in enumerate(full.buckets) if b.rows] == [0, 30]


@pytest.mark.parametrize(
    "args,message",
    [
        (["-f", "trx"], "File type must be either tx or rx"),
        (["-f", "rx", "-t", "latency"], "possible data types values are"),
        (["-i", "0"], "interval"),
        (["-i", "7"], "interval"),
        (["-d", "04/30/2008 12:00"], "date format must be YYYY-MM-DD HH:MM:SS, also YYYY-MM-DD"),
        (["-d", "2008-04-30 12:00:00\nX"], "date format must be"),
        (["-d", "not a date 12:00"], "date format"),
        (["-m", "../etc"], "invalid machine name"),
        (["-c", "a/b"], "invalid client name"),
    ],
)
def test_t14_validation_errors(tmp_path, capsys, args, message):
    status = run(tmp_path, "-m", "remote1", *args) if "-m" not in args else run(tmp_path, *args)
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a log


def test_t14_non_integer_interval_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pxstats.cli.pickleUpdater", "--root", str(tmp_path), "-i", "abc"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "not a whole number" in proc.stderr


def test_t14_subset_types_without_log_file(remote1):
    """A configured client (Sundew configuration copy) with no log file yet: empty pickles."""
    root, _ = remote1
    conf = root / "etc" / "pxConfigFiles" / "tx" / "remote1" / "newc.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("destination ftp://x\n")
    assert (
        run(
            root,
            "-m",
            "remote1",
            "-t",
            "errors,bytecount",
            "-c",
            "newc",
            "-d",
            "2008-04-30 12:10:00",
        )
        == 0
    )
    c = pickles.load_collector(pickle_of(root, "20080430_11", client="newc"))
    assert c.stats_types == ["errors", "bytecount"] and c.log_files == []
    assert all(b.rows == 0 for b in c.buckets)


def test_t15_missing_log_folder_does_not_advance(tmp_path, capsys):
    status = run(tmp_path, "-m", "remote9", "-c", "ghost", "-f", "tx", "-d", "2008-04-30 12:10:00")
    err = capsys.readouterr().err
    assert status == 1 and "remote9" in err and "does not exist" in err
    assert not (tmp_path / "data" / "pickles").exists()
    assert not (tmp_path / "data" / "picklesTimeOfUpdates" / "tx_ghost_remote9").exists()


def test_one_failing_client_does_not_stop_the_others(remote1, capsys):
    root, _ = remote1
    bad = root / "data" / "picklesTimeOfUpdates" / "tx_broken_remote1"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"garbage")
    status = run(root, "-m", "remote1", "-c", "broken,clientA", "-d", "2008-04-30 12:10:00")
    assert status == 1 and "broken" in capsys.readouterr().err
    assert pickle_of(root, "20080430_11").exists()


def test_all_clients_from_mirrored_log_names(remote1):
    root, _ = remote1
    write_log(
        root / "data" / "logFiles" / "remote1" / "tx_other.log.2008-04-29",
        hourly_lines("2008-04-29 10:00:00", 1),
    )
    assert run(root, "-m", "remote1", "-d", "2008-04-30 12:10:00") == 0
    assert pickle_of(root, "20080430_11").exists()
    assert pickle_of(root, "20080430_11", client="other").exists()


def test_second_run_while_locked_reports_and_fails(remote1, capsys):
    import fcntl

    root, _ = remote1
    lock = root / "data" / "temp" / "lockFiles" / "pickleUpdater_tx_clientA_remote1.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 12:10:00") == 1
    assert "another pickleUpdater" in capsys.readouterr().err
    assert not pickle_of(root, "20080430_11").exists()


def test_console_script_and_help(remote1, run_env):
    root, _ = remote1
    proc = subprocess.run(
        ["pickleUpdater", "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 12:10:00"],
        env=run_env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert pickle_of(root, "20080430_11").exists()
    helped = subprocess.run(
        ["pickleUpdater", "--help"], env=run_env, capture_output=True, text=True
    )
    assert helped.returncode == 0 and "--fileType" in helped.stdout


def test_console_script_ends_with_everything_written(remote1, run_env):
    """The console script ends without Python's teardown (common.exit_now): its log lines,
    its standard error (-v) and its exit status must still all be there, for a run that
    works and for one that fails; `python -m` does the same."""
    root, _ = remote1
    log = root / "data" / "logs" / "pickleUpdater.log"
    done = subprocess.run(
        ["pickleUpdater", "-v", "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 14:00:00"],
        env=run_env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "1 client(s), 1 updated, 0 up to date, 0 failed" in log.read_text().splitlines()[-1]
    assert "INFO pickleUpdater tx of remote1 up to 2008-04-30 14:00:00" in done.stderr
    again = subprocess.run(
        [sys.executable, "-m", "pxstats.cli.pickleUpdater", "-v", "-m", "remote1"]
        + ["-c", "clientA", "-d", "2008-04-30 14:00:00"],
        env=run_env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    assert again.stderr.rstrip().endswith("is collected up to 2008-04-30 14:00:00")
    (root / "data" / "picklesTimeOfUpdates" / "tx_clientA_remote1").write_text("garbage\n")
    failed = subprocess.run(
        ["pickleUpdater", "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 15:00:00"],
        env=run_env,
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("pickleUpdater: error: tx clientA of remote1 not updated")
    assert "[ERROR]" in log.read_text().splitlines()[-2]


def test_broken_config_is_one_line_error(tmp_path, capsys):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "config").write_text("[generalConfig]\npxRoot = relative/path\n")
    assert run(tmp_path, "-m", "remote1", "-c", "a", "-d", "2008-04-30 12:10:00") == 2
    err = capsys.readouterr().err
    assert "pxRoot" in err and len(err.strip().splitlines()) == 1


def test_man_page_matches_help():
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / "pickleUpdater.1", pickleUpdater.build_parser()
    )


def test_issue10_item13_log_lines_utc_with_zone_and_pid_one_info_per_client(remote1):
    """Log lines are stamped in UTC with the zone (ISO 8601, Z) and the pid; a catch-up of
    six hours logs one INFO line for the client and one for the run, not one per pickle."""
    root, _ = remote1
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 10:00:00") == 0
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", "2008-04-30 16:00:00") == 0
    lines = (root / "data" / "logs" / "pickleUpdater.log").read_text().splitlines()
    stamp = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(\d+)\] \[(\w+)\] ")
    assert lines and all(stamp.match(line) for line in lines)
    when = stamp.match(lines[-1]).group(1)
    assert abs(calendar.timegm(time.strptime(when[:19], "%Y-%m-%dT%H:%M:%S")) - time.time()) < 600
    info = [line for line in lines if "[INFO]" in line]
    assert len(info) == 4  # per run: one line for the client, one for the run
    assert "tx clientA of remote1: 6 hour(s) collected up to 2008-04-30 16:00:00" in info[2]
    assert "1 client(s), 1 updated, 0 up to date, 0 failed" in info[3]


@pytest.mark.parametrize(
    "args,named",
    [
        (
            ["-m", "remote1", "-c", "clientB"],
            "unknown client 'clientB' on remote1 (tx); closest known: clientA",
        ),
        (
            ["-m", "remote1", "-c", "clientA", "-f", "rx"],
            "unknown source 'clientA' on remote1 (rx)",
        ),
        (["-m", "remote2", "-c", "clientA"], "unknown machine 'remote2': its log folder"),
        (["-m", "remote2"], "closest known: remote1"),
    ],
)
def test_issue10_item1_unknown_names_are_refused_and_nothing_is_written(
    remote1, capsys, args, named
):
    """`pickleUpdater -c satnett` (a typo) wrote an empty pickle and a time file; an unknown
    machine exited 0 saying nothing. Now: exit 1, one line naming it and the closest known
    names, nothing written."""
    root, _ = remote1
    assert run(root, *args, "-d", "2008-04-30 12:10:00") == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and named in err[0]
    assert not (root / "data" / "pickles").exists()
    assert not (root / "data" / "picklesTimeOfUpdates").exists()


def test_issue10_item1_host_without_sundew_and_nothing_to_do(tmp_path, remote1, capsys):
    """A bare pickleUpdater on a host without Sundew's log folder is an error, not a silent
    success; a run with nothing to do says so with -v."""
    conf = tmp_path / "etc" / "config"
    conf.parent.mkdir(parents=True, exist_ok=True)
    sample = (REPO / "etc" / "config.sample").read_text()
    conf.write_text(sample.replace("/apps/px/\n", f"{tmp_path / 'no-sundew'}/\n"))
    assert run(tmp_path, "-d", "2008-04-30 12:10:00") == 1
    assert "log folder" in capsys.readouterr().err
    root, _ = remote1
    assert run(root, "-m", "remote1", "-d", "2008-04-30 12:10:00") == 0
    capsys.readouterr()
    assert run(root, "-m", "remote1", "-v", "-d", "2008-04-30 12:10:00") == 0
    assert (
        "nothing to do: every client of remote1 is collected up to 2008-04-30 12:00:00"
        in capsys.readouterr().err
    )
    assert run(root, "-m", "remote1", "-f", "rx", "-v", "-d", "2008-04-30 12:10:00") == 0
    assert "nothing to do: remote1 has no rx log and no source configured" in (
        capsys.readouterr().err
    )


def minute_lines(hour: str, nbytes) -> list[str]:
    """One delivery at second 30 of every minute of the hour, of nbytes(minute) bytes."""
    lines = []
    for minute in range(60):
        t = T(hour) + minute * 60 + 30
        stamp = timeutil.iso(t - 10).replace("-", "").replace(" ", "").replace(":", "")
        lines.append(
            f"{timeutil.iso(t)},000 [INFO] ({nbytes(minute)} Bytes) Bulletin "
            f"SA{minute:02d}_CWAO:ncp1:CWAO:SA:3:Direct:{stamp}  delivered"
        )
    return lines


def test_interval_is_honoured(tmp_path):
    """The original never passed -i on (always 1-minute buckets); -i 5 gives 12 buckets of
    5 minutes, each holding the rows of its 5 minutes."""
    write_log(
        tmp_path / "data" / "logFiles" / "m1" / "tx_c1.log",
        minute_lines("2008-04-30 11:00:00", lambda minute: minute + 1),
    )
    assert run(tmp_path, "-m", "m1", "-c", "c1", "-i", "5", "-d", "2008-04-30 12:10:00") == 0
    c = pickles.load_collector(pickle_of(tmp_path, "20080430_11", client="c1", machine="m1"))
    assert (c.interval, len(c.buckets)) == (300, 12)
    assert [b.rows for b in c.buckets] == [5] * 12
    # minutes 5k .. 5k+4 carry 5k+1 .. 5k+5 bytes
    assert [b.totals["bytecount"] for b in c.buckets] == [25.0 * k + 15 for k in range(12)]
    assert [b.means["latency"] for b in c.buckets] == [10.0] * 12
    assert [timeutil.iso(b.start) for b in c.buckets[:2]] == [
        "2008-04-30 11:00:00",
        "2008-04-30 11:05:00",
    ]


def test_means_are_exact_quotients_of_integer_totals(tmp_path):
    """A mean is the integer total divided by the count, rounded once; the original's
    float(total) / n rounds twice, which differs once totals pass 2**53 bytes."""
    big = 2**54 + 1  # three rows: 2**54 + 1, 1, 1 -> total 2**54 + 3
    write_log(
        tmp_path / "data" / "logFiles" / "m1" / "tx_c1.log",
        minute_lines("2008-04-30 11:00:00", lambda minute: big if minute % 3 == 0 else 1),
    )
    assert run(tmp_path, "-m", "m1", "-c", "c1", "-i", "3", "-d", "2008-04-30 12:10:00") == 0
    c = pickles.load_collector(pickle_of(tmp_path, "20080430_11", client="c1", machine="m1"))
    total = 2**54 + 3
    for bucket in c.buckets:
        assert bucket.means["bytecount"] == total / 3 == 6004799503160662.0
        assert bucket.means["bytecount"] != float(total) / 3  # 6004799503160664.0
        assert bucket.totals["bytecount"] == float(total)


def test_issue11_item7_a_full_log_disk_is_one_line_and_the_run_goes_on(remote1):
    """A full log disk printed a traceback per record (18,798 lines); now one line."""
    root, _ = remote1
    logs = root / "data" / "logs"
    logs.mkdir(parents=True)
    (logs / "pickleUpdater.log").symlink_to("/dev/full")  # every write: ENOSPC
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pxstats.cli.pickleUpdater",
            "--root",
            str(root),
            "-m",
            "remote1",
            "-c",
            "clientA",
            "-d",
            "2008-04-30 16:00:00",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        f"pickleUpdater: warning: cannot write the log file {logs / 'pickleUpdater.log'} (No space "
        "left on device); the run goes on without it"
    ]
    assert pickle_of(root, "20080430_15").is_file()


@pytest.mark.parametrize("date", ["2099-01-01 00:00:00", "9999-12-31 23:59:59"])
def test_issue11_item1_a_future_date_is_refused(remote1, capsys, date):
    """`-d 2027-…` wrote pickles of hours that had not happened and set the time of update
    past them (later runs collected nothing); `-d 9999-…` never ended. Refused now."""
    root, _ = remote1
    assert run(root, "-m", "remote1", "-c", "clientA", "-d", date) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "is in the future" in err[0]
    assert not (root / "data" / "pickles").exists()
    assert not (root / "data" / "picklesTimeOfUpdates").exists()
    from pxstats.cli import recollectData, setTimeOfLastUpdates

    assert (
        recollectData.main(
            ["--root", str(root), "--from", "2008-04-30 10:00:00", "--to", date, "-m", "remote1"]
        )
        == 2
    )
    assert "is in the future" in capsys.readouterr().err
    assert setTimeOfLastUpdates.main(["--root", str(root), date]) == 2
    assert "is in the future" in capsys.readouterr().err
    assert not (root / "data" / "pickles").exists()


def test_issue11_item14_two_pairs_sharing_their_file_names_are_refused(tmp_path, capsys):
    """Client a_b of machine c and client a of machine b_c share picklesTimeOfUpdates/tx_a_b_c:
    the second one was never collected and both runs exited 0. Now the second is refused."""
    write_log(
        tmp_path / "data" / "logFiles" / "c" / "tx_a_b.log", hourly_lines("2008-04-30 10:00:00", 3)
    )
    write_log(
        tmp_path / "data" / "logFiles" / "b_c" / "tx_a.log", hourly_lines("2008-04-30 10:00:00", 3)
    )
    assert run(tmp_path, "-m", "c", "-c", "a_b", "-d", "2008-04-30 12:00:00") == 0
    assert run(tmp_path, "-m", "b_c", "-c", "a", "-d", "2008-04-30 12:00:00") == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "pickleUpdater: error: tx a of b_c would share its files (tx_a_b_c) with tx "
        "a_b of c, which has pickles already; rename one of them"
    ]
    assert not (tmp_path / "data" / "pickles" / "a").exists()
