"""transferPickleToRRD: hourly pickles -> RRD archive (spec rrd.md §2, behaviours §7.1-14).

Real rrdtool through the binding; the input pickles are built by filling collectors the way
pickleUpdater fills them. Times are UTC; T0 = 2024-01-15 00:00:00. Values are read back with
the binding, whose row i covers (start + i*step, start + (i+1)*step]: `series()` keys each
value by the start of its interval, i.e. by the pickle bucket it came from.
"""

from __future__ import annotations

import os
import random
import re
import subprocess

import pytest
from helpers import REPO, T
from manpage import assert_manual_page_matches_help

from pxstats.actions import transfer
from pxstats.cli import transferPickleToRRD as cli
from pxstats.paths import StatsPaths
from pxstats.rrd import schema
from pxstats.stats import merging
from pxstats.stats.collector import FileStatsCollector
from pxstats.store import pickles
from pxstats.util import timeutil
from pxstats.util.locks import file_lock

T0 = T("2024-01-15 00:00:00")
H = 3600
M = 60
TX = schema.DATA_TYPES["tx"]
RX = schema.DATA_TYPES["rx"]


# -- building input ------------------------------------------------------------------------------


def ok(t, nbytes, latency=0, product="SACN43_CWAO_151200"):
    return (t, product, {"errors": 0, "latency": latency, "bytecount": nbytes})


def err(t):
    return (t, "", {"errors": 1, "latency": 0, "bytecount": 0})


def collector(hour, rows, file_type="tx", stats_types=None):
    c = FileStatsCollector(file_type, hour, stats_types=stats_types)
    for t, product, values in rows:
        bucket = c.buckets[c.bucket_index(t)]
        bucket.times.append(t)
        bucket.products.append(product)
        for stat in c.stats_types:
            bucket.values[stat].append(values[stat])
    c.compute_statistics()
    c.note_filled()
    return c


def save(paths, client, machine, hour, rows, file_type="tx", stats_types=None):
    c = collector(hour, rows, file_type, stats_types)
    pickles.save(paths.hourly_pickle(client, hour, file_type, machine), c)
    return c


def random_rows(rng, hour, per_minute=(0, 6), errors=0.1, latency=(0, 30)):
    rows = []
    for minute in range(60):
        for _k in range(rng.randint(*per_minute)):
            t = hour + minute * M + rng.randint(0, 59)
            if rng.random() < errors:
                rows.append(err(t))
            else:
                rows.append(
                    ok(
                        t,
                        rng.randint(1, 99999),
                        rng.randint(*latency),
                        rng.choice(["SACN43_CWAO", "FPCN11_CWAO", "SRCN40_CWAO"]),
                    )
                )
    return rows


def empty_hours(paths, client, machine, first, count, file_type="tx"):
    for k in range(count):
        save(paths, client, machine, first + k * H, [], file_type)


# -- running and reading -------------------------------------------------------------------------


def run(paths, *args, capsys=None):
    """main() in process; returns (status, stderr lines)."""
    status = cli.main(["--root", str(paths.root), *args])
    lines = capsys.readouterr().err.splitlines() if capsys else []
    return status, lines


def db(paths, data_type, name, machines=("m1",)):
    return schema.db_path(paths, data_type, name, machines)


def tou(paths, file_type, name, machines=("m1",)):
    return schema.read_time_of_update(
        transfer.time_of_update_file(paths, file_type, name, machines)
    )


def series(path, start, end, cf="AVERAGE", resolution=60):
    """{interval start: value} of the rows covering (start, end]."""
    (first, _, step), values = schema.fetch(path, cf, resolution, start, end)
    return {first + i * step: v for i, v in enumerate(values) if start <= first + i * step < end}


def log_text(paths):
    return paths.program_log("transferPickleToRRD").read_text()


def stamps(paths):
    """(path, mtime_ns, size) of every database and time-of-update file."""
    result = {}
    for base in (paths.current_databases, paths.current_databases_updates):
        for p in sorted(base.rglob("*")):
            if p.is_file():
                st = p.stat()
                result[str(p)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return result


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "data").mkdir()
    return StatsPaths(tmp_path)


@pytest.fixture
def first_run(paths, capsys):
    """Behaviour 3/5 input: client c on m1, bucket 10:05 holds 3 transfers and 1 error,
    hours 00-08 and 10 have pickles (hour 09 has none), end 11:23."""
    for h in list(range(0, 9)) + [10]:
        save(paths, "c", "m1", T0 + h * H, [])
    t = T0 + 10 * H + 5 * M
    save(
        paths,
        "c",
        "m1",
        T0 + 10 * H,
        [ok(t + 1, 100, 2), ok(t + 2, 200, 20), ok(t + 3, 300, 5), err(t + 4)],
    )
    status, lines = run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 11:23:00", capsys=capsys
    )
    assert (status, lines) == (0, [])
    return paths


# -- behaviours of spec §7 -----------------------------------------------------------------------


def test_b1_schema(first_run):
    info = schema.info(db(first_run, "latency", "c"))
    assert info["step"] == 60
    assert info["ds[latency].type"] == "GAUGE"
    assert info["ds[latency].minimal_heartbeat"] == 60
    assert info["ds[latency].min"] is None and info["ds[latency].max"] is None
    layout = [
        (
            info[f"rra[{i}].cf"],
            info[f"rra[{i}].pdp_per_row"],
            info[f"rra[{i}].rows"],
            info[f"rra[{i}].xff"],
        )
        for i in range(12)
    ]
    expected = [
        (cf, steps, rows, 0.5)
        for steps, rows in ((1, 7200), (60, 336), (240, 1460), (1440, 3650))
        for cf in ("AVERAGE", "MIN", "MAX")
    ]
    assert layout == expected
    assert "rra[12].cf" not in info
    assert {k for k in info if k.startswith("ds[")} == {
        k for k in info if k.startswith("ds[latency]")
    }


def test_b2_files_per_file_type(paths, capsys):
    for m in ("m1", "m2"):
        save(paths, "c", m, T0 + 10 * H, [ok(T0 + 10 * H + 5, 10, 1)])
    save(paths, "s", "m1", T0 + 10 * H, [ok(T0 + 10 * H + 5, 10)], "rx")
    end = "2024-01-15 11:00:00"
    assert run(paths, "-c", "c", "-f", "tx", "-m", "m1,m2", "-e", end, capsys=capsys) == (0, [])
    assert run(paths, "-c", "s", "-f", "rx", "-m", "m1", "-e", end, capsys=capsys) == (0, [])
    files = sorted(
        str(p.relative_to(paths.databases)) for p in paths.databases.rglob("*") if p.is_file()
    )
    assert files == sorted(
        [f"currentDatabases/{t}/c_m1m2" for t in TX]
        + [f"currentDatabases/{t}/s_m1" for t in RX]
        + ["currentDatabasesTimeOfUpdates/tx/c_m1m2", "currentDatabasesTimeOfUpdates/rx/s_m1"]
    )


def test_b3_first_run(first_run):
    paths = first_run
    for t in TX:
        assert schema.last(db(paths, t, "c")) == T0 + 11 * H
        before = series(db(paths, t, "c"), T0 - 2 * H, T0)
        assert set(before.values()) == {None}, t  # nothing before T0 was written
    assert tou(paths, "tx", "c") == T0 + 11 * H
    raw = transfer.time_of_update_file(paths, "tx", "c", ["m1"]).read_bytes()
    assert raw == b"F%d.0\n." % (T0 + 11 * H)


def test_b4_first_minute_is_kept(first_run):
    # Created at T0 (not T0-60): the bucket of 00:00 is a number, not unknown (spec §6.8 fix).
    (start, _, step), values = schema.fetch(
        db(first_run, "filecount", "c"), "AVERAGE", 60, T0, T0 + 120
    )
    assert (start, step) == (T0, 60)
    assert values[0] == 0.0 and values[1] == 0.0
    # The row of the minute before T0 was never stored.
    (_, _, _), before = schema.fetch(db(first_run, "filecount", "c"), "AVERAGE", 60, T0 - 60, T0)
    assert before[0] is None


def test_b5_per_minute_values(first_run):
    b = T0 + 10 * H + 5 * M
    got = {t: series(db(first_run, t, "c"), b - M, b + 2 * M) for t in TX}
    # filecount counts files: 3 transfers; the error row counts in errors only (deliberate).
    assert {t: got[t][b] for t in TX} == {
        "filecount": 3.0,
        "bytecount": 600.0,
        "errors": 1.0,
        "latency": 9.0,
        "filesOverMaxLatency": 1.0,
    }
    for t in TX:
        assert got[t][b - M] == 0.0 and got[t][b + M] == 0.0


def test_b6_missing_hour_is_zeros(first_run):
    for t in TX:
        values = series(db(first_run, t, "c"), T0 + 9 * H, T0 + 10 * H)
        assert len(values) == 60 and set(values.values()) == {0.0}, t


def test_b7_incremental_run(first_run, capsys):
    paths = first_run
    save(paths, "c", "m1", T0 + 11 * H, [ok(T0 + 11 * H + 7, 50, 3)])
    before = log_text(paths)
    status, lines = run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 12:10:00", capsys=capsys
    )
    assert (status, lines) == (0, [])
    new_lines = log_text(paths)[len(before) :]
    assert "Could not update" not in new_lines and "WARNING" not in new_lines
    assert "already holds data" not in new_lines
    for t in TX:
        assert schema.last(db(paths, t, "c")) == T0 + 12 * H
        values = series(db(paths, t, "c"), T0 + 11 * H, T0 + 12 * H)
        assert len(values) == 60 and None not in values.values()
    assert series(db(paths, "bytecount", "c"), T0 + 11 * H, T0 + 11 * H + M) == {T0 + 11 * H: 50.0}
    assert tou(paths, "tx", "c") == T0 + 12 * H


def test_b8_idempotent_rerun(first_run, capsys):
    paths = first_run
    before, log_before = stamps(paths), log_text(paths)
    status, lines = run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 11:23:00", capsys=capsys
    )
    assert (status, lines) == (0, [])
    assert stamps(paths) == before
    new = log_text(paths)[len(log_before) :]
    assert (
        new.count(
            "This database was not updated since it's last update was more recent "
            "than specified date"
        )
        == 5
    )
    for t in TX:
        assert f"date : {db(paths, t, 'c')}\n" in new


def test_b9_latency_threshold_is_strict(paths, capsys):
    b = T0 + 10 * H
    save(paths, "c", "m1", b, [ok(b + 1, 1, 15), ok(b + M + 1, 1, 16), ok(b + M + 2, 1, 15)])
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 11:00:00", capsys=capsys
    ) == (0, [])
    over = series(db(paths, "filesOverMaxLatency", "c"), b, b + 2 * M)
    assert over == {b: 0.0, b + M: 1.0}


def test_b10_hourly_consolidation(paths, capsys):
    b = T0 + 10 * H
    save(paths, "c", "m1", b, [ok(b + k * M + 30, 10, 1) for k in range(60)])
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 12:00:00", capsys=capsys
    ) == (0, [])
    path = db(paths, "filecount", "c")
    average = series(path, b, b + H, "AVERAGE", 3600)
    maximum = series(path, b, b + H, "MAX", 3600)
    minimum = series(path, b + H, b + 2 * H, "MIN", 3600)
    assert average == {b: 1.0} and maximum == {b: 1.0} and minimum == {b + H: 0.0}
    assert average[b] * 60 == 60  # a graph's total for that hour: 60 files
    # The 4-hour and daily archives are aligned on UTC marks too.
    (first, _, step), _ = schema.fetch(path, "AVERAGE", 14400, T0, T0 + 12 * H)
    assert step == 14400 and first % 14400 == 0


def test_b11_group(paths, capsys):
    b = T0 + 10 * H + 5 * M
    save(paths, "a", "m1", T0 + 10 * H, [ok(b + 1, 100, 10), ok(b + 2, 100, 20), err(b + 3)])
    save(paths, "b", "m1", T0 + 10 * H, [ok(b + 4, 1, 1), ok(b + 5, 1, 2), ok(b + 6, 1, 3)])
    status, lines = run(
        paths,
        "-c",
        "a,b",
        "-f",
        "tx",
        "-m",
        "m1",
        "-g",
        "G",
        "-e",
        "2024-01-15 11:00:00",
        capsys=capsys,
    )
    assert (status, lines) == (0, [])
    got = {t: series(db(paths, t, "G"), b, b + M)[b] for t in TX}
    assert got == {
        "filecount": 5.0,
        "latency": 36 / 5,
        "bytecount": 203.0,
        "errors": 1.0,
        "filesOverMaxLatency": 1.0,
    }
    assert tou(paths, "tx", "G") == T0 + 11 * H
    assert paths.merged_pickle("G", T0 + 10 * H, "tx", "m1", True).is_file()
    assert not db(paths, "filecount", "a").exists()  # members keep their own databases


def test_b12_concurrency_cap(paths, capsys):
    names = [f"cl{k:02d}" for k in range(12)]
    rng = random.Random(12)
    for name in names:
        for h in range(0, 12):
            save(paths, name, "m1", T0 + h * H, random_rows(rng, T0 + h * H, (0, 3)))
    status, lines = run(
        paths, "-m", "m1", "-e", "2024-01-15 12:00:00", "--processes", "5", capsys=capsys
    )
    assert (status, lines) == (0, [])
    events = []
    pattern = re.compile(
        r"^(\S+) \[\d+\] \[INFO\] (Start|End) of transfer of tx (\S+) .*"
        r"\(process (\d+)\)$"
    )
    for line in log_text(paths).splitlines():
        match = pattern.match(line)
        if match:
            when, kind, name, pid = match.groups()
            events.append((when, 0 if kind == "End" else 1, name, pid))
    assert sorted(e[2] for e in events if e[1] == 1) == names
    assert sorted(e[2] for e in events if e[1] == 0) == names
    running, peak = 0, 0
    for _, kind, _, _ in sorted(events):  # at equal times ends come first
        running += 1 if kind else -1
        peak = max(peak, running)
    assert 1 < peak <= 5
    assert len({e[3] for e in events}) <= 5  # never more than 5 worker processes
    for name in names:
        assert tou(paths, "tx", name) == T0 + 12 * H


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["-e", "2024/01/15"],
            "Error. The endind date format must be YYYY-MM-DD HH:MM:SS, also "
            "YYYY-MM-DD, YYYY-MM-DD HH or YYYY-MM-DD HH:MM, T for the space",
        ),
        (["-p", "X"], "Error. Products can only be specified when using special groups."),
        (["-f", "tx"], "Error. Filetypes cannot be specified when all clients are to be updated."),
        (
            ["-c", "a,b,c", "-f", "tx,rx"],
            "Error. The number of file types must be one, or the number of clients.",
        ),
        (["-c", "a,b"], "Error. File types (-f tx or rx) must be specified with the clients."),
        (["-c", "a", "-f", "trx"], "Error. File types must be tx or rx (got trx)."),
        (["-g", "G"], "Error. A group needs its members: list them with -c."),
        (
            ["-g", "G", "-c", "a,b", "-f", "tx,rx"],
            "Error. All the members of a group must have the same file type.",
        ),
        (["--processes", "0"], "Error. The number of processes must be an integer from 1 to 64."),
        (
            ["--processes", "many"],
            "Error. The number of processes must be an integer from 1 to 64.",
        ),
        (["--processes", "65"], "Error. The number of processes must be an integer from 1 to 64."),
        (["-c", "../x", "-f", "tx"], "Error. Invalid client name: '../x'."),
    ],
)
def test_b13_option_errors(paths, capsys, args, message):
    save(paths, "a", "m1", T0, [ok(T0 + 5, 1, 1)])
    before = sorted(p for p in paths.data.rglob("*"))
    status, lines = run(paths, "-m", "m1", *args, capsys=capsys)
    assert status == 2
    assert lines == [f"transferPickleToRRD: error: {message}"]
    assert sorted(p for p in paths.data.rglob("*")) == before  # nothing written, not even logs


def test_unknown_option_is_one_line(paths, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--root", str(paths.root), "--no-such-option"])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["transferPickleToRRD: error: unrecognized arguments: --no-such-option"]
    assert list(paths.data.iterdir()) == []


def test_help_and_man_page_list_the_same_options():
    assert_manual_page_matches_help(
        REPO / "man" / "man1" / "transferPickleToRRD.1", cli.build_parser()
    )


def test_b13_option_errors_through_the_shim(paths, tmp_path):
    """The cron shim: same line, status 2, nothing written."""
    env = dict(os.environ, PXSTATS_ROOT=str(paths.root))
    result = subprocess.run(
        [str(REPO / "bin" / "transferPickleToRRD"), "-c", "a,b,c", "-f", "tx,rx"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "transferPickleToRRD: error: Error. The number of file types must be one, or the "
        "number of clients."
    ]
    assert list(paths.data.iterdir()) == []


def test_b14_resume_point_never_regresses(first_run, capsys):
    paths = first_run
    save(paths, "c", "m1", T0 + 11 * H, [])
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 12:00:00", capsys=capsys
    ) == (0, [])
    before = stamps(paths)
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 08:00:00", capsys=capsys
    ) == (0, [])
    assert stamps(paths) == before
    assert tou(paths, "tx", "c") == T0 + 12 * H


# -- values, resume, catch-up ---------------------------------------------------------------------


def check_equal_to_pickles(paths, name, machines, file_type, start, end, merged=None):
    """Every minute of every database equals the statistics of the (merged) pickles."""
    if merged is None:
        merged = merging.merge_sources(paths, start, end, [name], file_type, list(machines))
    expected = {t: {} for t in schema.DATA_TYPES[file_type]}
    for bucket in merged.buckets:
        if not start <= bucket.start < end:
            continue
        if file_type == "tx":
            expected["latency"][bucket.start] = bucket.means["latency"]
            expected["filesOverMaxLatency"][bucket.start] = bucket.files_over_max_latency
        expected["bytecount"][bucket.start] = bucket.totals["bytecount"]
        expected["errors"][bucket.start] = bucket.totals["errors"]
        expected["filecount"][bucket.start] = bucket.nb_files
    for data_type, values in expected.items():
        got = series(db(paths, data_type, name, machines), start, end)
        assert len(got) == (end - start) // M
        assert got == pytest.approx(values, rel=1e-12, abs=0), data_type


def test_values_equal_the_pickled_statistics(paths, capsys):
    rng = random.Random(5)
    for h in range(3):
        save(paths, "c", "m1", T0 + h * H, random_rows(rng, T0 + h * H, (0, 8)))
        save(paths, "s", "m1", T0 + h * H, random_rows(rng, T0 + h * H, (0, 8)), "rx")
    assert run(
        paths, "-c", "c,s", "-f", "tx,rx", "-m", "m1", "-e", "2024-01-15 03:00:00", capsys=capsys
    ) == (0, [])
    for h in range(3):
        stored = pickles.load_collector(paths.hourly_pickle("c", T0 + h * H, "tx", "m1"))
        check_equal_to_pickles(paths, "c", ["m1"], "tx", T0 + h * H, T0 + (h + 1) * H, stored)
    check_equal_to_pickles(paths, "s", ["m1"], "rx", T0, T0 + 3 * H)


def test_several_machines_equal_the_merged_collector(paths, capsys):
    rng = random.Random(6)
    for m in ("m1", "m2", "m3"):
        for h in range(2):
            if (m, h) != ("m2", 1):  # one machine misses an hour
                save(paths, "c", m, T0 + h * H, random_rows(rng, T0 + h * H, (0, 6)))
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1,m2,m3", "-e", "2024-01-15 02:00:00", capsys=capsys
    ) == (0, [])
    check_equal_to_pickles(paths, "c", ["m1", "m2", "m3"], "tx", T0, T0 + 2 * H)


def test_catch_up_over_days_in_chunks(paths, capsys, monkeypatch):
    rng = random.Random(8)
    start, end = T0 + 10 * H, T0 + 3 * 86400 + 5 * H
    schema.write_time_of_update(transfer.time_of_update_file(paths, "tx", "c", ["m1"]), start)
    for h in range(start // H, end // H):
        if rng.random() < 0.8:  # some hours missing: zeros
            save(paths, "c", "m1", h * H, random_rows(rng, h * H, (0, 3)))
    updates = []
    real = schema.update_atomically
    monkeypatch.setattr(
        schema,
        "update_atomically",
        lambda p, t, pairs, s: (
            updates.append((p.parent.name, pairs[0][0], pairs[-1][0])),
            real(p, t, pairs, s),
        ),
    )
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", timeutil.iso(end), capsys=capsys
    ) == (0, [])
    check_equal_to_pickles(paths, "c", ["m1"], "tx", start, end)
    assert tou(paths, "tx", "c") == end
    # Contiguous chunks of at most a day, each database updated once per chunk.
    firsts = sorted({u[1] for u in updates})
    assert firsts[0] == start + M and len(firsts) == 3  # 67 hours: 24 + 24 + 19
    assert all(b - a == 86400 for a, b in zip(firsts, firsts[1:]))
    assert len(updates) == 3 * 5 and max(u[2] for u in updates) == end
    # Daily consolidation over a whole UTC day equals the mean of its minutes.
    day = T0 + 86400
    minutes = series(db(paths, "bytecount", "c"), day, day + 86400)
    daily = series(db(paths, "bytecount", "c"), day, day + 86400, "AVERAGE", 86400)
    assert daily[day] == pytest.approx(sum(minutes.values()) / 1440)


def test_resume_after_a_lost_time_of_update(first_run, capsys):
    """A first run killed after its databases but before its time of update: the next run
    resumes from the data the databases hold, without a gap and without a failure."""
    paths = first_run
    transfer.time_of_update_file(paths, "tx", "c", ["m1"]).unlink()
    latency = db(paths, "latency", "c")
    latency.unlink()  # and one database never made it
    save(paths, "c", "m1", T0 + 11 * H, [ok(T0 + 11 * H + 1, 7, 1)])
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 12:00:00", capsys=capsys
    ) == (0, [])
    assert tou(paths, "tx", "c") == T0 + 12 * H
    assert series(db(paths, "bytecount", "c"), T0 + 11 * H, T0 + 11 * H + M) == {T0 + 11 * H: 7.0}
    assert series(db(paths, "bytecount", "c"), T0 + 10 * H + 5 * M, T0 + 10 * H + 6 * M) == {
        T0 + 10 * H + 5 * M: 600.0
    }
    assert schema.last(latency) == T0 + 12 * H  # recreated from midnight, as the others
    assert series(latency, T0 + 10 * H + 5 * M, T0 + 10 * H + 6 * M) == {T0 + 10 * H + 5 * M: 9.0}
    assert series(latency, T0 - M, T0 + M) == {T0 - M: None, T0: 0.0}


def test_first_run_killed_before_its_time_of_update(first_run, capsys):
    """Some databases complete, the others missing, no time of update: the same run again
    completes the set exactly as an uninterrupted run did."""
    paths = first_run
    reference = {t: series(db(paths, t, "c"), T0 - H, T0 + 11 * H) for t in TX}
    transfer.time_of_update_file(paths, "tx", "c", ["m1"]).unlink()
    for t in ("errors", "filecount", "filesOverMaxLatency"):
        db(paths, t, "c").unlink()
    kept = {t: db(paths, t, "c").read_bytes() for t in ("latency", "bytecount")}
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 11:23:00", capsys=capsys
    ) == (0, [])
    assert {t: series(db(paths, t, "c"), T0 - H, T0 + 11 * H) for t in TX} == reference
    assert {t: db(paths, t, "c").read_bytes() for t in ("latency", "bytecount")} == kept
    assert tou(paths, "tx", "c") == T0 + 11 * H


def test_databases_already_ahead_are_not_updated_twice(first_run, capsys):
    """Time of update behind the databases (a run killed between its last database and its
    time of update): minutes already stored are skipped, nothing fails."""
    paths = first_run
    save(paths, "c", "m1", T0 + 11 * H, [ok(T0 + 11 * H + 1, 7, 1)])
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 12:00:00", capsys=capsys
    ) == (0, [])
    tou_file = transfer.time_of_update_file(paths, "tx", "c", ["m1"])
    schema.write_time_of_update(tou_file, T0 + 11 * H)
    before = {t: db(paths, t, "c").read_bytes() for t in TX}
    status, lines = run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 12:00:00", capsys=capsys
    )
    assert (status, lines) == (0, [])
    assert {t: db(paths, t, "c").read_bytes() for t in TX} == before
    assert "Could not update" not in log_text(paths)
    assert tou(paths, "tx", "c") == T0 + 12 * H


def test_legacy_time_of_update_is_read(paths, capsys):
    path = transfer.time_of_update_file(paths, "tx", "c", ["m1"])
    path.parent.mkdir(parents=True)
    path.write_bytes(b"F%d.0\n." % (T0 + 10 * H))
    save(paths, "c", "m1", T0 + 10 * H, [ok(T0 + 10 * H + 1, 5, 1)])
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-15 11:00:00", capsys=capsys
    ) == (0, [])
    assert series(db(paths, "bytecount", "c"), T0 + 10 * H - M, T0 + 10 * H + M) == {
        T0 + 10 * H - M: None,
        T0 + 10 * H: 5.0,
    }


# -- groups, names, failures ----------------------------------------------------------------------


def test_group_products_are_applied(paths, capsys):
    b = T0 + 10 * H
    rows_a = [ok(b + 1, 10, 20, "SACN43_CWAO"), ok(b + 2, 20, 1, "FPCN11_CWAO"), err(b + 3)]
    rows_b = [ok(b + 4, 40, 5, "SRCN40_CWAO"), ok(b + 5, 80, 7, "SACN44_CWAO")]
    for m in ("m1", "m2"):
        save(paths, "a", m, b, rows_a)
        save(paths, "b", m, b, rows_b)
    status, lines = run(
        paths,
        "-c",
        "a,b",
        "-f",
        "tx",
        "-m",
        "m1,m2",
        "-g",
        "G",
        "-p",
        "SA",
        "-e",
        "2024-01-15 11:00:00",
        capsys=capsys,
    )
    assert (status, lines) == (0, [])
    got = {t: series(db(paths, t, "G", ("m1", "m2")), b, b + M)[b] for t in TX}
    # Only SACN43 and SACN44 on both machines; error rows have no product and are left out.
    assert got == {
        "filecount": 4.0,
        "bytecount": 180.0,
        "latency": 13.5,
        "errors": 0.0,
        "filesOverMaxLatency": 2.0,
    }
    # Without -p the group counts everything; the merged pickle cache is unfiltered.
    merged = pickles.load_collector(paths.merged_pickle("G", b, "tx", "m1,m2", True))
    assert merged.buckets[0].nb_files == 8
    status, lines = run(
        paths,
        "-c",
        "a,b",
        "-f",
        "tx",
        "-m",
        "m1,m2",
        "-g",
        "H",
        "-p",
        "SA,FP",
        "-e",
        "2024-01-15 11:00:00",
        capsys=capsys,
    )
    assert series(db(paths, "filecount", "H", ("m1", "m2")), b, b + M)[b] == 6.0


def test_group_members_by_wildcard(paths, capsys):
    b = T0 + 10 * H
    for name in ("sat1", "sat2", "other"):
        save(paths, name, "m1", b, [ok(b + 1, 1, 1)])
    assert run(
        paths,
        "-c",
        "sat*",
        "-f",
        "tx",
        "-m",
        "m1",
        "-g",
        "SAT",
        "-e",
        "2024-01-15 11:00:00",
        capsys=capsys,
    ) == (0, [])
    assert series(db(paths, "filecount", "SAT"), b, b + M)[b] == 2.0


def test_wildcards_expand_with_their_file_types(paths, capsys):
    b = T0 + 10 * H
    for name in ("sat1", "sat2", "other"):
        save(paths, name, "m1", b, [ok(b + 1, 1, 1)])
    save(paths, "srcA", "m1", b, [ok(b + 1, 1)], "rx")
    save(paths, "srcB", "m1", b, [ok(b + 1, 1)], "rx")
    assert run(
        paths,
        "-c",
        "sat?,src*",
        "-f",
        "tx,rx",
        "-m",
        "m1",
        "-e",
        "2024-01-15 11:00:00",
        capsys=capsys,
    ) == (0, [])
    assert sorted(p.name for p in (paths.current_databases_updates / "tx").iterdir()) == [
        "sat1_m1",
        "sat2_m1",
    ]
    assert sorted(p.name for p in (paths.current_databases_updates / "rx").iterdir()) == [
        "srcA_m1",
        "srcB_m1",
    ]


def test_all_lists_tx_then_rx_names_having_pickles(paths, capsys):
    end = T0 + 11 * H
    save(paths, "c1", "m1", T0 + 10 * H, [ok(T0 + 10 * H + 1, 1, 1)])
    save(paths, "c2", "m2", T0 + 3 * H, [ok(T0 + 3 * H + 1, 1, 1)])
    save(paths, "old", "m1", T0 - 86400, [])  # before the period
    save(paths, "elsewhere", "m9", T0 + 10 * H, [])  # another machine
    save(paths, "s1", "m1", T0 + 10 * H, [ok(T0 + 10 * H + 1, 1)], "rx")
    tasks, refused = transfer.tasks_for(
        paths,
        cli.request_from(cli.build_parser().parse_args(["-m", "m1,m2", "-e", timeutil.iso(end)])),
    )
    assert [(t.name, t.file_type) for t in tasks] == [("c1", "tx"), ("c2", "tx"), ("s1", "rx")]
    assert refused == []
    # A name whose databases lag behind is listed for the whole lag.
    schema.write_time_of_update(
        transfer.time_of_update_file(paths, "tx", "old", ["m1", "m2"]), T0 - 2 * 86400
    )
    names, _ = transfer.all_names(paths, ["m1", "m2"], end)
    assert names == ["c1", "c2", "old", "s1"]


def test_rx_tx_name_collision_is_refused(paths, capsys):
    b = T0 + 10 * H
    save(paths, "dual", "m1", b, [ok(b + 1, 5, 1)])
    save(paths, "dual", "m1", b, [ok(b + 1, 999)], "rx")
    save(paths, "other", "m1", b, [ok(b + 1, 7)], "rx")
    status, lines = run(
        paths,
        "-c",
        "dual,other,dual",
        "-f",
        "rx,rx,tx",
        "-m",
        "m1",
        "-e",
        "2024-01-15 11:00:00",
        capsys=capsys,
    )
    assert status == 1
    assert lines == [
        "transferPickleToRRD: error: rx dual on m1: dual is also a client (tx) on "
        "m1, whose databases have the same names; rx dual was not transferred so "
        "that the two are not mixed"
    ]
    assert series(db(paths, "bytecount", "dual"), b, b + M)[b] == 5.0  # tx data only
    assert series(db(paths, "bytecount", "other"), b, b + M)[b] == 7.0
    assert not (paths.current_databases_updates / "rx" / "dual_m1").exists()
    # Later runs: the set belongs to tx; the rx name keeps being refused, tx goes on.
    status, lines = run(
        paths, "-c", "dual", "-f", "rx", "-m", "m1", "-e", "2024-01-15 12:00:00", capsys=capsys
    )
    assert status == 1 and len(lines) == 1 and "dual is also a client (tx)" in lines[0]
    status, lines = run(
        paths, "-c", "dual", "-f", "tx", "-m", "m1", "-e", "2024-01-15 12:00:00", capsys=capsys
    )
    assert (status, lines) == (0, [])


def test_source_owning_the_name_refuses_the_client(paths, capsys):
    b = T0 + 10 * H
    save(paths, "dual", "m1", b, [ok(b + 1, 999)], "rx")
    save(paths, "dual", "m1", b, [ok(b + 1, 5, 1)])
    assert run(
        paths, "-c", "dual", "-f", "rx", "-m", "m1", "-e", "2024-01-15 11:00:00", capsys=capsys
    ) == (0, [])
    status, lines = run(
        paths, "-c", "dual", "-f", "tx", "-m", "m1", "-e", "2024-01-15 12:00:00", capsys=capsys
    )
    assert status == 1 and "dual is also a source (rx)" in lines[0]
    assert not db(paths, "latency", "dual").exists()


def test_missing_statistic_fails_that_client_only(paths, capsys):
    b = T0 + 10 * H
    save(
        paths,
        "nolat",
        "m1",
        b,
        [(b + 1, "x", {"bytecount": 1, "errors": 0})],
        stats_types=["errors", "bytecount"],
    )
    save(paths, "fine", "m1", b, [ok(b + 1, 3, 1)])
    status, lines = run(
        paths,
        "-c",
        "nolat,fine",
        "-f",
        "tx",
        "-m",
        "m1",
        "-e",
        "2024-01-15 11:00:00",
        capsys=capsys,
    )
    assert status == 1
    assert lines == [
        "transferPickleToRRD: error: tx nolat on m1: The latency stat type was "
        "not found in previously collected data."
    ]
    assert not db(paths, "bytecount", "nolat").exists()
    assert tou(paths, "tx", "nolat") == 0
    assert series(db(paths, "bytecount", "fine"), b, b + M)[b] == 3.0
    assert "tx nolat on m1 not transferred" in log_text(paths)


def test_locked_database_set_fails_with_one_line(paths, capsys):
    save(paths, "c", "m1", T0 + 10 * H, [])
    save(paths, "d", "m1", T0 + 10 * H, [])
    with file_lock(transfer.lock_file(paths, "c", ["m1"]), wait=False):
        status, lines = run(
            paths, "-c", "c,d", "-f", "tx", "-m", "m1", "-e", "2024-01-15 11:00:00", capsys=capsys
        )
    assert status == 1
    assert lines == [
        "transferPickleToRRD: error: tx c on m1: another transferPickleToRRD is "
        "updating these databases"
    ]
    assert tou(paths, "tx", "c") == 0 and tou(paths, "tx", "d") == T0 + 11 * H


def test_run_lock_is_shared(paths):
    import fcntl

    with transfer.run_lock(paths), transfer.run_lock(paths):
        with open(transfer.run_lock_file(paths), "a") as handle:
            with pytest.raises(BlockingIOError):  # what pxStatsStartup's guard sees
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_update_leaves_no_temporary_file_and_replaces_stale_ones(paths):
    path = db(paths, "errors", "c")
    path.parent.mkdir(parents=True)
    stale = path.parent / f".c_m1{schema.UPDATE_TEMP_MARK}abc.tmpXYZ123"
    stale.write_bytes(b"left by a killed writer")
    schema.update_atomically(path, "errors", [(T0 + M, 1.0)], T0)
    assert sorted(p.name for p in path.parent.iterdir()) == ["c_m1"]
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    with pytest.raises(schema.RRDError):  # an update in the past changes nothing
        schema.update_atomically(path, "errors", [(T0, 2.0)], T0)
    assert sorted(p.name for p in path.parent.iterdir()) == ["c_m1"]
    assert schema.last(path) == T0 + M


def test_future_end_is_clamped(paths, capsys, monkeypatch):
    now = T0 + 10 * H + 17 * M
    monkeypatch.setattr(timeutil, "now", lambda: now)
    save(paths, "c", "m1", T0 + 9 * H, [])
    assert run(
        paths, "-c", "c", "-f", "tx", "-m", "m1", "-e", "2024-01-16 00:00:00", capsys=capsys
    ) == (0, [])
    assert tou(paths, "tx", "c") == T0 + 10 * H
    assert "is in the future" in log_text(paths)


def test_issue10_item2_a_tx_rx_name_does_not_fail_every_hourly_run(paths, capsys):
    """A name with both tx and rx pickles made every `transferPickleToRRD -m m1` exit 1: with
    ALL it is now reported as a warning, the tx set and every other name are transferred."""
    b = T0 + 10 * H
    save(paths, "c1", "m1", b, [ok(b + 1, 5, 1)])
    save(paths, "c1", "m1", b, [], "rx")  # spurious empty rx pickles
    save(paths, "c2", "m1", b, [ok(b + 1, 7, 1)])
    save(paths, "s1", "m1", b, [ok(b + 1, 9)], "rx")
    status, lines = run(paths, "-m", "m1", "-e", "2024-01-15 11:00:00", capsys=capsys)
    assert status == 0
    assert lines == [
        "transferPickleToRRD: warning: rx c1 on m1: c1 is also a client (tx) on "
        "m1, whose databases have the same names; rx c1 was not transferred so "
        "that the two are not mixed"
    ]
    assert series(db(paths, "bytecount", "c1"), b, b + M)[b] == 5.0
    assert series(db(paths, "bytecount", "c2"), b, b + M)[b] == 7.0
    assert series(db(paths, "bytecount", "s1"), b, b + M)[b] == 9.0
