"""PickleMerging: same-hour merges, ranges of hours, cached multi-source merges (spec §4, T17-T21)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pxstats.paths import StatsPaths
from pxstats.stats import merging
from pxstats.stats.collector import FileStatsCollector
from pxstats.store import pickles
from pxstats.util.timeutil import parse_iso

DAY = "2008-04-30 "
H12, H13, H14 = (parse_iso(DAY + f"{h}:00:00") for h in (12, 13, 14))
H15 = parse_iso(DAY + "15:00:00")


def row(clock, product, **values):
    return (clock, product, values)


def ok(clock, product, byte, latency=None):
    values = {"bytecount": byte, "errors": 0}
    if latency is not None:
        values["latency"] = latency
    return row(clock, product, **values)


def err(clock, file_type="tx"):
    values = {"bytecount": 0, "errors": 1}
    if file_type == "tx":
        values["latency"] = 0
    return row(clock, "", **values)


def build(start, rows, file_type="tx", stats_types=None, interval=60, log_files=()):
    """A collector of one hour filled the way pickleUpdater fills one, statistics computed."""
    collector = FileStatsCollector(file_type, start, stats_types=stats_types, interval=interval)
    for clock, product, values in rows:
        t = parse_iso(DAY + clock) if isinstance(clock, str) else clock
        bucket = collector.buckets[collector.bucket_index(t)]
        bucket.times.append(t)
        bucket.products.append(product)
        for stat in collector.stats_types:
            bucket.values[stat].append(values[stat])
    collector.log_files = list(log_files)
    collector.compute_statistics()
    collector.note_filled()
    return collector


def store(paths, client, machine, start, rows, file_type="tx", **kw):
    path = paths.hourly_pickle(client, start, file_type, machine)
    pickles.save(path, build(start, rows, file_type, **kw))
    return path


@pytest.fixture
def paths(tmp_path):
    return StatsPaths(tmp_path)


def stamp(path):
    st_ = os.stat(path)
    return (st_.st_ino, st_.st_mtime_ns)


# -- T17 ----------------------------------------------------------------------------------------


def t17_inputs(paths):
    store(
        paths,
        "clientA",
        "remote1",
        H12,
        [ok("12:00:30", "A1", 100, 5), ok("12:30:30", "A2", 101, 5)],
        log_files=["/logs/remote1/tx_clientA.log"],
    )
    store(
        paths,
        "clientA",
        "remote2",
        H12,
        [ok("12:00:40", "B1", 1000, 40), err("12:00:50")],
        log_files=["/logs/remote2/tx_clientA.log"],
    )
    store(paths, "clientA", "remote1", H13, [ok("13:00:10", "A3", 7, 1)])
    store(paths, "clientA", "remote2", H13, [ok("13:10:10", "B3", 9, 2)])
    store(paths, "clientA", "remote1", H14, [ok("14:00:20", "A4", 11, 3)])
    # remote2_14 is missing on purpose.


def merged_path(paths, hour, name="clientA", machines="remote1,remote2", group=False, ft="tx"):
    return paths.merged_pickle(name, hour, ft, machines, group)


def test_t17_same_hour_merge_of_two_machines(paths):
    t17_inputs(paths)
    result = merging.merge_sources(paths, H12, H15, ["clientA"], "tx", ["remote1", "remote2"])

    assert result.nb_entries == 180 and len(result.buckets) == 180
    assert result.start == H12 and result.total_width == 10800
    assert set(result.stats_types) == {"latency", "errors", "bytecount"}
    assert result.log_files == []

    e0 = result.buckets[0]
    assert e0.rows == 3
    assert e0.times == [parse_iso(DAY + c) for c in ("12:00:30", "12:00:40", "12:00:50")]
    assert e0.products == ["A1", "B1", ""]
    assert e0.values["latency"] == [5, 40, 0]
    assert e0.values["bytecount"] == [100, 1000, 0]
    assert e0.nb_files == 2 and e0.files_over_max_latency == 1
    assert e0.means["latency"] == pytest.approx(22.5, rel=1e-9)
    assert e0.means["bytecount"] == pytest.approx(550.0, rel=1e-9)
    assert e0.means["errors"] == pytest.approx(1 / 3, rel=1e-9)
    assert e0.maximums["latency"] == 40 and e0.files_where_max["latency"] == "B1"
    assert e0.minimums["latency"] == 5  # Rewrite: the error row takes no part in the min
    assert e0.totals["errors"] == 1.0

    assert result.buckets[30].rows == 1 and result.buckets[30].products == ["A2"]
    assert result.buckets[60].products == ["A3"] and result.buckets[70].products == ["B3"]
    e120 = result.buckets[120]
    assert e120.products == ["A4"] and e120.start == H14 and e120.totals["bytecount"] == 11.0

    # Merged pickles in the merged tree, the hourly tree left alone.
    for hour in (H12, H13, H14):
        assert merged_path(paths, hour).is_file()
    assert str(merged_path(paths, H12)).endswith(
        "mergedPickles/clients/clientA/20080430/tx/remote1,remote2_12"
    )
    assert not paths.hourly_pickle("clientA", H12, "tx", "remote1,remote2").exists()
    stored12 = pickles.load_collector(merged_path(paths, H12))
    assert stored12.log_files == ["/logs/remote1/tx_clientA.log", "/logs/remote2/tx_clientA.log"]
    assert stored12.buckets[0].means["latency"] == pytest.approx(22.5)

    versions = json.loads(paths.version_file("clientA", "remote1,remote2").read_text())
    key14 = str(merged_path(paths, H14).relative_to(paths.root))
    missing = str(paths.hourly_pickle("clientA", H14, "tx", "remote2").relative_to(paths.root))
    present = paths.hourly_pickle("clientA", H14, "tx", "remote1")
    assert versions[key14][missing] == 0
    assert versions[key14][str(present.relative_to(paths.root))] == os.stat(present).st_mtime_ns
    assert list(versions[key14]) == sorted(versions[key14])  # JSON written with sorted keys
    assert len(versions) == 3


def test_loaded_pickles_are_not_mutated(paths, monkeypatch):
    t17_inputs(paths)
    loaded = []
    real = pickles.load_collector

    def spy(path):
        obj = real(path)
        loaded.append((obj, [b.rows for b in obj.buckets], [dict(b.totals) for b in obj.buckets]))
        return obj

    monkeypatch.setattr(pickles, "load_collector", spy)
    components = [paths.hourly_pickle("clientA", H12, "tx", m) for m in ("remote1", "remote2")]
    merged = merging.merge_same_hour(components, H12, "tx", None)
    assert merged.buckets[0].rows == 3 and len(loaded) == 2
    for obj, rows, totals in loaded:
        assert [b.rows for b in obj.buckets] == rows
        assert [dict(b.totals) for b in obj.buckets] == totals
        assert all(b is not m for b, m in zip(obj.buckets, merged.buckets))


# -- T18 ----------------------------------------------------------------------------------------


def test_t18_merge_cache(paths):
    t17_inputs(paths)
    machines = ["remote1", "remote2"]
    merging.merge_sources(paths, H12, H15, ["clientA"], "tx", machines)
    merged = [merged_path(paths, h) for h in (H12, H13, H14)]
    # Give the merged files a recognisable old mtime: any rewrite changes inode and mtime.
    for path in merged:
        os.utime(path, ns=(10**18, 10**18))
    before = [stamp(p) for p in merged]
    version = paths.version_file("clientA", "remote1,remote2")
    version_before = stamp(version)

    again = merging.merge_sources(paths, H12, H15, ["clientA"], "tx", machines)
    assert [stamp(p) for p in merged] == before
    assert stamp(version) == version_before  # nothing re-merged, nothing rewritten
    assert again.buckets[0].rows == 3

    component = paths.hourly_pickle("clientA", H13, "tx", "remote2")
    mtime = os.stat(component).st_mtime_ns
    os.utime(component, ns=(mtime + 1_000_000, mtime + 1_000_000))
    merging.merge_sources(paths, H12, H15, ["clientA"], "tx", machines)
    after = [stamp(p) for p in merged]
    assert after[0] == before[0] and after[2] == before[2]
    assert after[1] != before[1]


def test_cache_rebuilds_missing_merged_file_and_changed_component_content(paths):
    t17_inputs(paths)
    machines = ["remote1", "remote2"]
    # An old mtime first, so that the rewrite below surely gets a different one.
    os.utime(paths.hourly_pickle("clientA", H14, "tx", "remote1"), ns=(10**9, 10**9))
    merging.merge_sources(paths, H12, H15, ["clientA"], "tx", machines)
    merged_path(paths, H13).unlink()
    # A component rewritten with new rows must be seen (new mtime from the atomic write).
    store(
        paths, "clientA", "remote1", H14, [ok("14:00:20", "A4", 11, 3), ok("14:00:25", "A5", 13, 3)]
    )
    result = merging.merge_sources(paths, H12, H15, ["clientA"], "tx", machines)
    assert merged_path(paths, H13).is_file()
    assert result.buckets[60].products == ["A3"]
    assert result.buckets[120].products == ["A4", "A5"]
    assert result.buckets[120].totals["bytecount"] == 24.0


def test_version_cache_is_per_hour_and_follows_group_membership(paths):
    store(paths, "a", "m1", H12, [ok("12:01:00", "a1", 10, 1)])
    store(paths, "b", "m1", H12, [ok("12:01:10", "b1", 20, 1)])
    store(paths, "c", "m1", H12, [ok("12:01:20", "c1", 40, 1)])
    first = merging.merge_sources(paths, H12, H13, ["a", "b", "c"], "tx", ["m1"], group_name="GRP")
    assert first.buckets[1].totals["bytecount"] == 70.0
    # The group loses a member: same merged file name, the hour must be rebuilt all the same.
    second = merging.merge_sources(paths, H12, H13, ["a", "b"], "tx", ["m1"], group_name="GRP")
    assert second.buckets[1].totals["bytecount"] == 30.0
    assert second.buckets[1].products == ["a1", "b1"]


def test_version_file_forgets_the_hours_whose_merged_pickle_is_gone(paths):
    """pickleCleaner deletes old merged pickles; their entries leave the version file at its
    next write instead of piling up an hour at a time for years."""
    t17_inputs(paths)
    merging.merge_sources(paths, H12, H14, ["clientA"], "tx", ["remote1", "remote2"])
    version = paths.version_file("clientA", "remote1,remote2")
    key = {h: str(merged_path(paths, h).relative_to(paths.root)) for h in (H12, H13, H14)}
    assert sorted(json.loads(version.read_text())) == [key[H12], key[H13]]
    merged_path(paths, H12).unlink()  # what pickleCleaner does to an old day
    merging.merge_sources(paths, H14, H14 + 3600, ["clientA"], "tx", ["remote1", "remote2"])
    assert sorted(json.loads(version.read_text())) == [key[H13], key[H14]]


def test_unreadable_version_file_means_remerge(paths, caplog):
    t17_inputs(paths)
    version = paths.version_file("clientA", "remote1,remote2")
    version.parent.mkdir(parents=True)
    version.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="pxstats.stats.merging"):
        result = merging.merge_sources(paths, H12, H13, ["clientA"], "tx", ["remote1", "remote2"])
    assert "ignored" in caplog.text
    assert result.buckets[0].rows == 3
    assert list(json.loads(version.read_text())) == [
        str(merged_path(paths, H12).relative_to(paths.root))
    ]


def test_only_requested_hours_are_examined(paths, monkeypatch):
    t17_inputs(paths)
    seen = []
    real = merging._mtime_ns
    monkeypatch.setattr(merging, "_mtime_ns", lambda p: seen.append(p) or real(p))
    merging.merge_sources(paths, H13, H14, ["clientA"], "tx", ["remote1", "remote2"])
    assert sorted(seen) == sorted(
        paths.hourly_pickle("clientA", H13, "tx", m) for m in ("remote1", "remote2")
    )
    assert not merged_path(paths, H12).exists() and not merged_path(paths, H14).exists()


# -- T19 ----------------------------------------------------------------------------------------

T6_ROWS = [
    ok("12:10:03", "SACN31_CWAO_301210___12345", 130),
    ok("12:10:20", "WKR_RADAR.gif", 2048),
    err("12:10:30", "rx"),
]


@pytest.mark.parametrize("machines", [["remote1", "remoteX"], ["remoteX", "remote1"]])
def test_t19_rx_merge_with_a_missing_pickle(paths, machines):
    store(paths, "srcA", "remote1", H12, T6_ROWS, file_type="rx")
    result = merging.merge_sources(paths, H12, H13, ["srcA"], "rx", machines)
    assert result.nb_entries == 60
    assert set(result.stats_types) == {"errors", "bytecount"}
    b10 = result.buckets[10]
    assert b10.rows == 3 and b10.nb_files == 2
    assert b10.start == H12 + 600 and b10.end == H12 + 660
    assert b10.totals["bytecount"] == 2178.0 and b10.totals["errors"] == 1.0
    assert b10.means["bytecount"] == pytest.approx(1089.0, rel=1e-9)
    assert b10.means["errors"] == pytest.approx(1 / 3, rel=1e-9)
    assert b10.minimums["bytecount"] == 130 and b10.maximums["bytecount"] == 2048
    assert "latency" not in b10.values and "latency" not in b10.totals
    assert sum(b.rows for b in result.buckets) == 3


def test_missing_pickles_only_give_an_empty_hour_of_the_right_type(paths):
    missing = [paths.hourly_pickle("ghost", H12, "rx", m) for m in ("m1", "m2")]
    result = merging.merge_same_hour(missing, H12, "rx", None)
    assert result.file_type == "rx" and set(result.stats_types) == {"errors", "bytecount"}
    assert result.nb_entries == 60 and result.start == H12 and result.end == H13
    assert all(
        b.rows == 0 and b.totals == {"errors": 0.0, "bytecount": 0.0} for b in result.buckets
    )


def test_different_layout_is_skipped_not_blanking_the_hour(paths, caplog):
    good = store(paths, "c", "m1", H12, [ok("12:03:00", "g1", 5, 1)])
    five_minutes = store(paths, "c", "m2", H12, [ok("12:03:00", "f1", 50, 1)], interval=300)
    other_type = paths.hourly_pickle("c", H12, "tx", "m3")  # rx content at a tx path
    pickles.save(other_type, build(H12, [ok("12:03:00", "r1", 500)], "rx"))
    corrupt = paths.hourly_pickle("c", H12, "tx", "m4")
    corrupt.write_bytes(b"\x80\x04garbage")
    with caplog.at_level(logging.ERROR, logger="pxstats.stats.merging"):
        result = merging.merge_same_hour([five_minutes, other_type, corrupt, good], H12, "tx", None)
    assert result.nb_entries == 60
    assert result.buckets[3].products == ["g1"] and result.buckets[3].totals["bytecount"] == 5.0
    assert sum(b.rows for b in result.buckets) == 1
    assert str(five_minutes) in caplog.text and str(other_type) in caplog.text
    assert str(corrupt) in caplog.text


def test_log_files_are_a_union_in_order(paths):
    one = store(paths, "c", "m1", H12, [], log_files=["/l/tx_c.log.1", "/l/tx_c.log"])
    two = store(paths, "c", "m2", H12, [], log_files=["/l/tx_c.log", "/m/tx_c.log"])
    merged = merging.merge_same_hour([one, two], H12, "tx", None)
    assert merged.log_files == ["/l/tx_c.log.1", "/l/tx_c.log", "/m/tx_c.log"]


def test_statistic_set_must_match_both_ways(paths):
    full = store(paths, "c", "m1", H12, [ok("12:03:00", "f1", 5, 1)])
    subset = store(
        paths, "c", "m2", H12, [ok("12:03:10", "s1", 7)], stats_types=["errors", "bytecount"]
    )
    # The original accepted a superset after a subset (one-directional check, §8.23).
    assert merging.merge_same_hour([subset, full], H12, "tx", None).buckets[3].products == ["s1"]
    assert merging.merge_same_hour([full, subset], H12, "tx", None).buckets[3].products == ["f1"]
    explicit = merging.merge_same_hour(
        [subset, full], H12, "tx", ["latency", "errors", "bytecount"]
    )
    assert explicit.buckets[3].products == ["f1"]


# -- T20 and merge_hours -----------------------------------------------------------------------


def test_t20_missing_middle_hour(paths):
    # Stored statistics filtered on "SA": merge_hours must keep them, not recompute.
    first = build(H12, [ok("12:00:05", "SACN31", 100, 2), ok("12:00:06", "FTCN31", 900, 3)])
    first.compute_statistics(patterns=("SA",))
    pickles.save(paths.hourly_pickle("c", H12, "tx", "m"), first)
    store(paths, "c", "m", H14, [ok("14:02:00", "X", 3, 30)])

    result = merging.merge_hours(paths, H12, H15, "c", "m", "tx")
    assert result.nb_entries == 180 and result.total_width == 10800 and result.start == H12
    assert result.buckets[0].rows == 2 and result.buckets[0].totals["bytecount"] == 100.0
    for k in range(60, 120):
        bucket = result.buckets[k]
        assert bucket.start == H12 + 60 * k and bucket.end == H12 + 60 * (k + 1)
        assert bucket.rows == 0 and bucket.nb_files == 0
        assert bucket.totals == {"errors": 0.0, "latency": 0.0, "bytecount": 0.0}
        assert bucket.means == {"errors": 0, "latency": 0, "bytecount": 0}
        assert bucket.maximums["latency"] == 0.0
    assert [b.start for b in result.buckets] == [H12 + 60 * k for k in range(180)]
    assert result.buckets[122].products == ["X"] and result.buckets[122].files_over_max_latency == 1
    assert result.first_filled == 0 and result.last_filled == 122


def test_merge_hours_width_rounded_to_whole_hours(paths):
    store(paths, "c", "m", H14, [ok("14:40:00", "late", 1, 1)])
    result = merging.merge_hours(paths, H12 + 1800, H14 + 1800, "c", "m", "tx")
    # The original used width 7200 and never read hour 14.
    assert result.start == H12 and result.total_width == 3 * 3600
    assert result.nb_entries == 180 and result.buckets[160].products == ["late"]
    assert len(merging.hours_covering(H12, H12)) == 1
    assert merging.hours_covering(H12, H13) == [H12]
    assert merging.hours_covering(H12 + 59, H13 + 1) == [H12, H13]


def test_merge_hours_nothing_at_all(paths):
    result = merging.merge_hours(paths, H12, H14, "nobody", "m", "rx")
    assert result.nb_entries == 120 and result.stats_types == ["errors", "bytecount"]
    assert all(b.rows == 0 and b.totals["bytecount"] == 0.0 for b in result.buckets)


def test_merge_hours_other_interval_keeps_hours_aligned(paths):
    store(paths, "c", "m", H13, [ok("13:07:00", "five", 1, 1)], interval=300)
    result = merging.merge_hours(paths, H12, H15, "c", "m", "tx")
    assert result.interval == 300 and result.nb_entries == 36
    assert result.buckets[12 + 1].products == ["five"]
    assert result.buckets[24].start == H14 and result.buckets[12].start == H13


def test_merge_hours_mismatching_hour_left_empty(paths, caplog):
    store(paths, "c", "m", H12, [ok("12:01:00", "a", 1, 1)])
    store(paths, "c", "m", H13, [ok("13:01:00", "b", 1)], stats_types=["errors", "bytecount"])
    with caplog.at_level(logging.ERROR, logger="pxstats.stats.merging"):
        result = merging.merge_hours(paths, H12, H14, "c", "m", "tx")
    assert result.buckets[1].products == ["a"]
    assert result.buckets[61].rows == 0 and "latency" in result.buckets[61].totals
    assert "does not fit" in caplog.text


# -- T21: names ---------------------------------------------------------------------------------


def test_t21_group_and_clients_land_in_different_trees(paths):
    store(paths, "clientA", "remote1", H12, [ok("12:00:30", "A", 1, 1)])
    store(paths, "newc", "remote1", H12, [ok("12:00:40", "N", 2, 1)])
    grouped = merging.merge_sources(
        paths, H12, H13, ["clientA", "newc"], "tx", ["remote1"], group_name="GRP"
    )
    plain = merging.merge_sources(paths, H12, H13, ["clientA", "newc"], "tx", ["remote1"])
    group_file = paths.merged_pickle("GRP", H12, "tx", "remote1", True)
    client_file = paths.merged_pickle("clientA,newc", H12, "tx", "remote1", False)
    assert str(group_file).endswith("mergedPickles/groups/GRP/20080430/tx/remote1_12")
    assert str(client_file).endswith("mergedPickles/clients/clientA,newc/20080430/tx/remote1_12")
    assert group_file.is_file() and client_file.is_file()
    assert paths.version_file("GRP", "remote1").is_file()
    assert paths.version_file("clientA,newc", "remote1").is_file()
    assert grouped.buckets[0].products == plain.buckets[0].products == ["A", "N"]


def test_group_named_like_a_client_does_not_collide(paths):
    machines = ["r1", "r2"]
    for machine in machines:
        store(paths, "clientA", machine, H12, [ok("12:00:30", "A-" + machine, 1, 1)])
        store(paths, "newc", machine, H12, [ok("12:00:40", "N-" + machine, 10, 1)])
    for _ in range(2):  # alternate twice: the shared version file must not confuse them
        group = merging.merge_sources(
            paths, H12, H13, ["clientA", "newc"], "tx", machines, group_name="clientA"
        )
        client = merging.merge_sources(paths, H12, H13, ["clientA"], "tx", machines)
        assert group.buckets[0].totals["bytecount"] == 22.0
        assert group.buckets[0].products == ["A-r1", "N-r1", "A-r2", "N-r2"]  # machine-major
        assert client.buckets[0].totals["bytecount"] == 2.0


def test_concatenated_names_do_not_collide(paths):
    for name, byte in (("ab", 1), ("c", 2), ("a", 4), ("bc", 8)):
        store(paths, name, "m1", H12, [ok("12:05:00", name, byte, 1)])
    first = merging.merge_sources(paths, H12, H13, ["ab", "c"], "tx", ["m1"])
    second = merging.merge_sources(paths, H12, H13, ["a", "bc"], "tx", ["m1"])
    assert first.buckets[5].totals["bytecount"] == 3.0
    assert second.buckets[5].totals["bytecount"] == 12.0
    assert paths.merged_pickle("ab,c", H12, "tx", "m1", False) != paths.merged_pickle(
        "a,bc", H12, "tx", "m1", False
    )
    assert paths.version_file("ab,c", "m1") != paths.version_file("a,bc", "m1")


def test_single_client_single_machine_reads_hourly_pickles(paths):
    store(paths, "solo", "m1", H12, [ok("12:05:00", "s", 3, 1)])
    result = merging.merge_sources(paths, H12, H13, ["solo"], "tx", ["m1"], group_name="G")
    assert result.buckets[5].products == ["s"]
    assert not paths.merged_pickles.exists() and not paths.file_access_versions.exists()


def test_no_client_or_machine_is_an_error(paths):
    with pytest.raises(ValueError):
        merging.merge_sources(paths, H12, H13, [], "tx", ["m1"])
    with pytest.raises(ValueError):
        merging.merge_sources(paths, H12, H13, ["c"], "tx", [])


# -- property: totals of a merge are the sums of the parts --------------------------------------

pickle_rows = st.lists(
    st.tuples(st.integers(0, 3599), st.integers(0, 100), st.integers(0, 10**6), st.booleans()),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(st.lists(pickle_rows, min_size=1, max_size=5), st.sampled_from(["tx", "rx"]))
def test_merge_totals_are_sums_of_parts(parts_rows, file_type):
    with tempfile.TemporaryDirectory() as tmp:
        paths = StatsPaths(Path(tmp))
        files, parts = [], []
        for index, rows in enumerate(parts_rows):
            spec = []
            for second, latency, byte, is_error in sorted(rows):
                if is_error:
                    spec.append(err(H12 + second, file_type))
                else:
                    spec.append(
                        ok(H12 + second, f"p{index}", byte, latency if file_type == "tx" else None)
                    )
            files.append(store(paths, "c", f"m{index}", H12, spec, file_type=file_type))
            parts.append(build(H12, spec, file_type))
        merged = merging.merge_same_hour(files, H12, file_type, None)
        assert merged.nb_entries == 60
        for k, bucket in enumerate(merged.buckets):
            assert bucket.rows == sum(p.buckets[k].rows for p in parts)
            assert bucket.nb_files == sum(p.buckets[k].nb_files for p in parts)
            assert bucket.files_over_max_latency == sum(
                p.buckets[k].files_over_max_latency for p in parts
            )
            for stat in merged.stats_types:
                assert bucket.totals[stat] == sum(p.buckets[k].totals[stat] for p in parts)
