"""The sample-log generator (pxstats/samples.py) and its program generateSampleLogs."""

from __future__ import annotations

import calendar
import random
import re
import subprocess
import sys
import time

import pytest
from bench_day import write_bench_day
from helpers import REPO
from manpage import assert_manual_page_matches_help

from pxstats import samples
from pxstats.cli import generateSampleLogs
from pxstats.paths import this_host

# Spec collection.md §1.2 and §1.7 (informative regexes).
PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),(\d{3}) \[([A-Z]+)\] (.*)$")
TX = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d{3} \[INFO\] \((?P<bytes>\d+) Bytes\) "
    r"(?:File|Bulletin|Message) (?P<path>\S+) .*$"
)
RX = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d{3} \[INFO\] \((?P<bytes>\d+) Bytes\) "
    r"Ingested in DB as (?P<db>\S+).*$"
)
LEVELS = {"INFO", "WARNING", "ERROR"}
TRACEBACK = re.compile(
    r"^(Traceback \(most recent call last\):|  File \".*\", line \d+, in \w+|"
    r"    .*|IOError: .*)$"
)

START = calendar.timegm((2024, 4, 29, 10, 30, 0))
HOURS = 48
RATE = 200


def epoch(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


def decoded(lines):
    """Text of the lines, without newline (Latin-1: every byte is one character)."""
    return [line.decode("latin-1").rstrip("\n") for line in lines]


def is_delivery(line: str) -> bool:
    """Rule 2 of spec §1.6: what pxStats counts as a file."""
    return (
        "[INFO]" in line
        and "Bytes" in line
        and "/sec" not in line
        and " Segment " not in line
        and "SEND TIMEOUT" not in line
    )


@pytest.fixture(scope="module")
def tx():
    return list(samples.tx_lines("satnet", START, START + HOURS * 3600, RATE, random.Random(7)))


@pytest.fixture(scope="module")
def rx():
    return list(samples.rx_lines("ncp1", START, START + HOURS * 3600, RATE, random.Random(7)))


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_same_lines(tx, rx):
    assert (
        list(samples.tx_lines("satnet", START, START + HOURS * 3600, RATE, random.Random(7))) == tx
    )
    assert list(samples.rx_lines("ncp1", START, START + HOURS * 3600, RATE, random.Random(7))) == rx
    assert (
        list(samples.tx_lines("satnet", START, START + HOURS * 3600, RATE, random.Random(8))) != tx
    )


def test_write_logs_is_deterministic(tmp_path):
    for folder in ("a", "b"):
        samples.write_logs(tmp_path / folder, "tx", "c", START, START + 30 * 3600, 50, seed=3)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


# -- line format --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tx", "rx"])
def test_prefixed_lines_and_time_order(kind, tx, rx):
    lines = decoded(tx if kind == "tx" else rx)
    assert all(line.endswith(b"\n") for line in (tx if kind == "tx" else rx))
    previous = None
    prefixed = 0
    for number, line in enumerate(lines):
        match = PREFIX.match(line)
        if match is None:
            # Unprefixed: a blank line or a traceback following an ERROR record.
            assert line == "" or TRACEBACK.match(line), line
            continue
        prefixed += 1
        day, clock, milli, level, _message = match.groups()
        assert level in LEVELS
        stamp = (epoch(f"{day} {clock}"), int(milli))
        assert START <= stamp[0] < START + HOURS * 3600
        assert previous is None or previous <= stamp, f"line {number} out of order"
        previous = stamp
    assert prefixed > 0.95 * len(lines)


def test_tx_deliveries_match_the_spec(tx):
    lines = decoded(tx)
    deliveries = [line for line in lines if is_delivery(line)]
    assert len(deliveries) == RATE * HOURS
    latencies = []
    for line in deliveries:
        match = TX.match(line)
        assert match, line
        fields = match["path"].rpartition("/")[2].split(":")
        assert len(fields) == 7, line
        received = calendar.timegm(time.strptime(fields[6][:14], "%Y%m%d%H%M%S"))
        latencies.append(epoch(match["ts"]) - received)
        assert line.split(" ")[6] == match["path"]  # the token pxStats reads (spec §1.5)
    assert min(latencies) >= 0 and max(latencies) <= 900
    assert sum(1 for x in latencies if x > 15) > 0.05 * len(latencies)
    assert any(x >= 120 for x in latencies)
    text = "\n".join(deliveries)
    assert re.search(
        r"\) File /apps/px/txq/satnet/\d/\d{10}/\S+ delivered to ftp://satnet@\S+/", text
    )
    assert re.search(r"\) Bulletin \S+  delivered$", text, re.M)  # T2
    assert re.search(r"\) Bulletin \S+  delivered segmented in \d parts$", text, re.M)  # T3
    assert re.search(r"  delivered \(lat=\d+\.\d{6},speed=\d+\.\d{6}\)$", text, re.M)  # T4
    assert re.search(r"\) Message \S+  delivered$", text, re.M)  # T5


def test_rx_ingestions_match_the_spec(rx):
    lines = decoded(rx)
    ingestions = [line for line in lines if is_delivery(line)]
    assert len(ingestions) == RATE * HOURS
    for line in ingestions:
        match = RX.match(line)
        assert match, line
        parts = match["db"].split("/")
        assert parts[:4] == ["", "apps", "px", "db"] and re.fullmatch(r"\d{8}", parts[4])
        fields = parts[-1].split(":")
        assert len(fields) == 7 and fields[1] == "ncp1" and fields[3] == parts[5]
        assert (
            0 <= epoch(match["ts"]) - calendar.timegm(time.strptime(fields[6], "%Y%m%d%H%M%S")) <= 1
        )
    assert sum("[INFO] Queued for: " in line for line in lines) > 0.4 * len(ingestions)


def test_noise_lines_are_present(tx, rx):
    tx_text = decoded(tx)
    n = RATE * HOURS
    errors = sum("[ERROR]" in line for line in tx_text)
    assert 0.01 * n < errors < 0.06 * n
    for needle in (
        "Bytes/sec",
        "Bulletin Segment number 1 sent",
        "new bulletins will be sent",
        "Traceback (most recent call last):",
    ):
        assert any(needle in line for line in tx_text), needle
    assert any(
        re.match(PREFIX.pattern[:-1] + r"$", line) and "[WARNING] SEND TIMEOUT (" in line
        for line in tx_text
    )
    for lines in (tx, rx):
        assert b"\n" in lines  # a blank line
        odd = [line for line in lines if not _utf8(line)]
        assert odd and all(b"\xe9" in line for line in odd)
    rx_text = decoded(rx)
    assert sum("[ERROR]" in line for line in rx_text) > 0.01 * n
    assert any("[WARNING] Bad ingest name" in line for line in rx_text)


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# -- rotation -----------------------------------------------------------------------------------


def test_rotated_files_hold_their_day(tmp_path):
    end = calendar.timegm((2024, 5, 1, 10, 30, 0))
    start = end - 8 * 86400  # more days than Sundew keeps
    (tmp_path / "tx_c.log.2024-04-01").write_bytes(b"old\n")  # an older rotation: removed
    (tmp_path / "tx_other.log.2024-04-01").write_bytes(b"x\n")  # another log: kept
    (tmp_path / "tx_c.log.gz").write_bytes(b"x\n")  # not a rotation: kept
    written = samples.write_logs(tmp_path, "tx", "c", start, end, 20, seed=1)
    days = ["2024-04-26", "2024-04-27", "2024-04-28", "2024-04-29", "2024-04-30"]
    assert [p.name for p, _n in written] == [f"tx_c.log.{d}" for d in days] + ["tx_c.log"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"tx_c.log.{d}" for d in days] + ["tx_c.log", "tx_other.log.2024-04-01", "tx_c.log.gz"]
    )
    for (path, count), day in zip(written, days + ["2024-05-01"]):
        lines = decoded(path.read_bytes().splitlines(keepends=True))
        assert len(lines) == count > 0
        dates = {m.group(1) for m in map(PREFIX.match, lines) if m}
        assert dates == {day}, path.name
    live = decoded(written[-1][0].read_bytes().splitlines())
    assert max(PREFIX.match(line).group(2) for line in live if PREFIX.match(line)) < "10:30:00"
    assert samples.rotated_name("rx", "s", end) == "rx_s.log.2024-05-01"


def test_end_at_midnight_leaves_the_ended_day_in_the_live_file(tmp_path):
    end = calendar.timegm((2024, 5, 1, 0, 0, 0))
    written = samples.write_logs(tmp_path, "rx", "s", end - 30 * 3600, end, 30, seed=2)
    assert [p.name for p, _n in written] == ["rx_s.log.2024-04-29", "rx_s.log"]
    live = decoded(written[-1][0].read_bytes().splitlines())
    assert {PREFIX.match(line).group(1) for line in live if PREFIX.match(line)} == {"2024-04-30"}


def test_write_logs_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        samples.write_logs(tmp_path, "fx", "c", START, START + 3600, 10)
    with pytest.raises(ValueError):
        samples.write_logs(tmp_path, "tx", "c", START, START, 10)


# -- bench day ----------------------------------------------------------------------------------


def test_bench_day(tmp_path):
    day = calendar.timegm((2024, 4, 30, 0, 0, 0))
    path = tmp_path / "tx_bench.log"
    n_lines, n_bytes = write_bench_day(path, day)
    data = path.read_bytes()
    assert len(data) == n_bytes and data.count(b"\n") == n_lines
    assert 110_000 <= n_lines <= 130_000 and 15_000_000 <= n_bytes <= 21_000_000
    lines = decoded(data.splitlines())
    assert all(PREFIX.match(line) for line in lines[::97])
    assert lines[0] >= "2024-04-30 00:00:00" and lines[-1] < "2024-05-01 00:00:00"
    assert lines == sorted(lines, key=lambda line: line[:23])
    deliveries = sum(map(is_delivery, lines))
    errors = sum("[ERROR]" in line for line in lines)
    assert 0.85 * n_lines < deliveries < 0.95 * n_lines
    assert 0.02 * n_lines < errors < 0.04 * n_lines
    hours = {line[11:13] for line in lines}
    assert len(hours) == 24
    assert write_bench_day(tmp_path / "again.log", day, n_lines=1000)[0] == 1000


# -- the program --------------------------------------------------------------------------------


def run_cli(capsys, *argv):
    try:
        status = generateSampleLogs.main(list(argv))
    except SystemExit as exc:  # argparse refuses from inside parse_args
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_writes_under_log_files(tmp_path, capsys):
    status, out, err = run_cli(
        capsys,
        "--root",
        str(tmp_path),
        "--hours",
        "30",
        "--end",
        "2024-05-01 06:00:00",
        "--machines",
        "m1,m2",
        "--clients",
        "c1,c2",
        "--sources",
        "s1",
        "--rate",
        "10",
        "--seed",
        "4",
    )
    assert status == 0 and err == ""
    for machine in ("m1", "m2"):
        folder = tmp_path / "data" / "logFiles" / machine
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            f"{ft}_{name}.log{suffix}"
            for ft, name in (("tx", "c1"), ("tx", "c2"), ("rx", "s1"))
            for suffix in ("", ".2024-04-30")
        )
        section = out.split(f"{folder}/\n", 1)[1].split("\n/", 1)[0]
        for path in folder.iterdir():
            count = path.read_bytes().count(b"\n")
            assert re.search(rf"^  {re.escape(path.name)} +{count} lines$", section, re.M)
    # Each machine and log has its own stream; the same options give the same files.
    m1 = (tmp_path / "data/logFiles/m1/tx_c1.log").read_bytes()
    assert m1 != (tmp_path / "data/logFiles/m2/tx_c1.log").read_bytes()
    assert (
        run_cli(
            capsys,
            "--root",
            str(tmp_path),
            "--hours",
            "30",
            "--end",
            "2024-05-01 06:00:00",
            "--machines",
            "m1",
            "--clients",
            "c1",
            "--sources",
            "s1",
            "--rate",
            "10",
            "--seed",
            "4",
        )[0]
        == 0
    )
    assert (tmp_path / "data/logFiles/m1/tx_c1.log").read_bytes() == m1


@pytest.mark.parametrize(
    "argv",
    [
        ["--hours", "0"],
        ["--end", "not a date"],
        ["--end", "2024-13-45 99:00:00"],
        ["--rate", "-5"],
        ["--rate", "10000000"],
        ["--rate", "99999999999999999999999999"],
        ["--hours", "100000"],
        ["--machines", ""],
        ["--clients", "", "--sources", ""],
        ["--clients", ".."],
    ],
)
def test_cli_rejects_bad_input(tmp_path, capsys, argv):
    status, out, err = run_cli(capsys, "--root", str(tmp_path), *argv)
    assert status != 0
    assert len(err.splitlines()) == 1 and err.startswith("generateSampleLogs: error: ")
    assert not (tmp_path / "data" / "logFiles").exists()


def test_cli_refuses_this_host(tmp_path, capsys):
    status, _out, err = run_cli(capsys, "--root", str(tmp_path), "--machines", this_host())
    assert status != 0 and len(err.splitlines()) == 1 and "this host" in err


def test_console_entry_point(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pxstats.cli.generateSampleLogs",
            "--root",
            str(tmp_path),
            "--hours",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_man_page_matches_help():
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / "generateSampleLogs.1", generateSampleLogs.build_parser()
    )
