"""Pickle store: round trip, refusal of foreign pickles, legacy (Python 2) pickles, T22,
atomic writes (spec §2.1, §2.2, §3.5, §7, §9 T1/T22)."""

import collections
import copy
import os
import pickle
import struct
import sys

import pytest
from helpers import T

from pxstats.stats.collector import FileStatsCollector
from pxstats.store import legacy, pickles, updates
from pxstats.store.pickles import PickleError
from pxstats.util import atomic, timeutil

SACN31 = "SACN31_CWAO_301205___00001:ncp1:CWAO:SA:3:Direct:20080430120458"
SMCN37 = "SMCN37_CWAO_301205___00002:ncp1:CWAO:SM:3:Direct:20080430120500"
FTCN31 = "FTCN31_CWAO_301205___00003:ncp1:CWAO:FT:3:Direct:20080430120520"
TX = ["errors", "latency", "bytecount"]
HOUR = "2008-04-30 12:00:00"


# ---------------------------------------------------------------------------------------
# A tiny protocol-1 emitter, writing what Python 2's cPickle.dumps(obj, 1) wrote.


class Inst:
    """An old-style instance: MARK GLOBAL OBJ <state dict> BUILD."""

    def __init__(self, name, state, module="pxStats.lib.FileStatsCollector"):
        self.module, self.name, self.state = module, name, state


class Emitter:
    def __init__(self):
        self.out = bytearray()
        self.memo = {}  # key -> memo index, so repeated globals/strings use BINGET

    def put(self, key=None):
        index = len(self.memo)
        self.memo[key if key is not None else ("anon", index)] = index
        self.out += b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index)

    def get(self, key) -> bool:
        index = self.memo.get(key)
        if index is None:
            return False
        self.out += b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index)
        return True

    def emit(self, obj):
        out = self.out
        if obj is True or obj is False:
            out += b"I01\n" if obj else b"I00\n"  # Python 2 pickled bools as INT text
        elif isinstance(obj, int):
            if 0 <= obj < 256:
                out += b"K" + bytes([obj])
            elif 0 <= obj < 65536:
                out += b"M" + struct.pack("<H", obj)
            else:
                out += b"J" + struct.pack("<i", obj)
        elif isinstance(obj, float):
            out += b"G" + struct.pack(">d", obj)
        elif isinstance(obj, str):
            if self.get(("str", obj)):
                return
            raw = obj.encode("latin-1")
            out += (
                b"U" + bytes([len(raw)]) if len(raw) < 256 else b"T" + struct.pack("<i", len(raw))
            ) + raw
            self.put(("str", obj))
        elif isinstance(obj, list):
            out += b"]"
            self.put()
            if obj:
                out += b"("
                for item in obj:
                    self.emit(item)
                out += b"e"  # APPENDS
        elif isinstance(obj, dict):
            out += b"}"
            self.put()
            if obj:
                out += b"("
                for key, value in obj.items():
                    self.emit(key)
                    self.emit(value)
                out += b"u"  # SETITEMS
        elif isinstance(obj, Inst):
            out += b"("  # MARK
            key = ("global", obj.module, obj.name)
            if not self.get(key):
                out += b"c" + f"{obj.module}\n{obj.name}\n".encode()
                self.put(key)
            out += b"o"  # OBJ: instance created without calling __init__
            self.put()
            self.emit(obj.state)
            out += b"b"  # BUILD
        else:
            raise TypeError(obj)

    def dumps(self, obj) -> bytes:
        self.emit(obj)
        self.out += b"."
        return bytes(self.out)


def iso(text):
    return "2008-04-30 " + text


def empty_stats():
    return {name: {} for name in legacy._STAT_DICTS}


def orig_t1_stats():
    """What the original computed for bucket 5 of T1 (error row in min/max, medians 0)."""
    return {
        "means": {"errors": 0.25, "latency": 43 / 3, "bytecount": 1330 / 3},
        "totals": {"errors": 1.0, "latency": 43.0, "bytecount": 1330.0},
        "minimums": {"errors": 1, "latency": 0, "bytecount": 0},
        "maximums": {"errors": 1, "latency": 20, "bytecount": 1000},
        "medians": {"errors": 0, "latency": 0, "bytecount": 0},
        "filesWhereMinOccured": {"errors": "", "latency": 0, "bytecount": 0},
        "timesWhereMinOccured": {
            "errors": iso("12:05:50"),
            "latency": iso("12:05:50"),
            "bytecount": iso("12:05:50"),
        },
        "filesWhereMaxOccured": {"errors": "", "latency": SMCN37, "bytecount": FTCN31},
        "timesWhereMaxOccured": {
            "errors": iso("12:05:50"),
            "latency": iso("12:05:20"),
            "bytecount": iso("12:05:40"),
        },
    }


def entry(i, seps, rows=None, stats=None, module="pxStats.lib.FileStatsCollector"):
    # Copies: a test's patch must not change the shared T1 rows.
    rows = (
        copy.deepcopy(rows)
        if rows
        else {
            "times": [],
            "files": [],
            "productTypes": [],
            "dictionary": {s: [] for s in TX},
            "nbFiles": 0,
            "over": 0,
        }
    )
    values = Inst(
        "_ValuesDictionary",
        {
            "columns": 3,
            "rows": len(rows["times"]),
            "dictionary": rows["dictionary"],
            "productTypes": rows["productTypes"],
        },
        module,
    )
    state = {
        "startTime": seps[i],
        "endTime": seps[i + 1],
        "values": values,
        "times": rows["times"],
        "files": rows["files"],
        "nbFiles": rows["nbFiles"],
        "filesOverMaxLatency": rows["over"],
    }
    state.update(copy.deepcopy(stats) if stats else empty_stats())
    return Inst("_FileStatsEntry", state, module)


T1_ROWS = {
    "times": [iso("12:05:01"), iso("12:05:20"), iso("12:05:40"), iso("12:05:50")],
    "files": [SACN31, SMCN37, FTCN31, 0],
    "productTypes": [SACN31, SMCN37, FTCN31, ""],
    "dictionary": {
        "errors": [0, 0, 0, 1],
        "latency": [3, 20, 20, 0],
        "bytecount": [130, 200, 1000, 0],
    },
    "nbFiles": 3,
    "over": 2,
}


def legacy_t1_pickle(stats5=None, module="pxStats.lib.FileStatsCollector", patch=None) -> bytes:
    """The original's hourly tx pickle of clientA, 2008-04-30 12:00, holding T1 in entry 5."""
    seps = [timeutil.iso(T(HOUR) + 60 * k) for k in range(61)]
    entries = {
        i: entry(
            i,
            seps,
            T1_ROWS if i == 5 else None,
            (stats5 if stats5 is not None else orig_t1_stats()) if i == 5 else None,
            module,
        )
        for i in range(60)
    }
    state = {
        "files": ["/apps/px/log/tx_clientA.log"],
        "fileType": "tx",
        "statsTypes": list(TX),
        "startTime": HOUR,
        "endTime": "2008-04-30 13:00:00",
        "interval": 60,
        "totalWidth": 3600,
        "maxLatency": 15,
        "timeSeperators": seps,
        "nbEntries": 60,
        "fileEntries": entries,
        "firstFilledEntry": 5,
        "lastFilledEntry": 5,
        "lastEntryCalculated": 5,
        "lastPositionRead": 1234,
        "firstLineOfLastFileRead": "2008-04-30 11:59:58,001 [INFO] (99 Bytes) Bulletin x\n",
        "loggerName": "fileStatsCollector",
        "logging": True,
    }
    if patch:
        patch(state)
    return Emitter().dumps(Inst("FileStatsCollector", state, module))


# ---------------------------------------------------------------------------------------
# New format


def t1_collector() -> FileStatsCollector:
    c = FileStatsCollector("tx", T(HOUR))
    b = c.buckets[5]
    b.times = [T(t) for t in T1_ROWS["times"]]
    b.products = list(T1_ROWS["productTypes"])
    b.values = {k: list(v) for k, v in T1_ROWS["dictionary"].items()}
    c.log_files = ["/apps/px/log/tx_clientA.log"]
    c.note_filled()
    c.compute_statistics()
    return c


def test_save_load_round_trip(tmp_path):
    c = t1_collector()
    path = tmp_path / "clientA" / "20080430" / "tx" / "pds5_12"
    pickles.save(path, c)
    assert path.read_bytes().startswith(b"\x80\x04")
    back = pickles.load_collector(path)
    assert type(back) is FileStatsCollector
    assert {k: v for k, v in vars(back).items() if k != "buckets"} == {
        k: v for k, v in vars(c).items() if k != "buckets"
    }
    assert [vars(b) for b in back.buckets] == [vars(b) for b in c.buckets]
    assert back.buckets[5].values["latency"] == [3, 20, 20, 0]


def test_load_missing_file(tmp_path):
    with pytest.raises(PickleError, match="cannot read pickle"):
        pickles.load_collector(tmp_path / "nope")


# ---------------------------------------------------------------------------------------
# Foreign and malicious pickles


class Evil:
    marker = None

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [0, 1, 2, 4])
def test_malicious_reduce_is_refused(tmp_path, protocol):
    marker = tmp_path / "pwned"
    evil = Evil()
    evil.marker = marker
    data = pickle.dumps(evil, protocol=protocol)
    assert data.startswith(b"\x80") == (protocol >= 2)  # 0/1 go through the legacy reader
    with pytest.raises(PickleError, match="refused: forbidden class"):
        pickles.loads(data, "evil")
    assert not marker.exists()


def test_hand_made_legacy_reduce_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    data = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    with pytest.raises(PickleError, match="forbidden class os.system"):
        legacy.loads(data, "evil")
    assert not marker.exists()


@pytest.mark.parametrize("obj", [collections.OrderedDict(a=1), eval])
@pytest.mark.parametrize("protocol", [0, 1, 4])
def test_other_classes_are_refused(obj, protocol):
    with pytest.raises(PickleError, match="refused: forbidden class"):
        pickles.loads(pickle.dumps(obj, protocol=protocol), "other")


def test_legacy_module_name_is_never_imported():
    name = "pxstats_no_such_module_xyz"
    data = legacy_t1_pickle(module=name)
    assert pickles.loads(data).buckets[5].rows == 4
    assert name not in sys.modules


@pytest.mark.parametrize(
    "data",
    [
        pickle.dumps(FileStatsCollector("tx", T(HOUR)), protocol=4)[:-20],
        legacy_t1_pickle()[:-50],
        legacy_t1_pickle()[:1],
        b"",
        b"\x80",
        b"not a pickle at all\n",
    ],
)
def test_truncated_or_garbage_is_refused(data):
    # The wording differs between the two readers; both name the origin on one line.
    with pytest.raises(PickleError, match=r"^broken: [^\n]*(truncated|not a readable)"):
        pickles.loads(data, "broken")


@pytest.mark.parametrize(
    "data",
    [
        b"S'2008-04-30 15:00:00'\np0\n.",  # a time-of-update file
        b"(dp0\nS'x'\np1\n(S'line'\np2\nI12\ntp3\ns.",  # a pointer file
    ],
)
def test_legacy_non_collector_is_refused(tmp_path, data):
    path = tmp_path / "p"
    path.write_bytes(data)
    with pytest.raises(PickleError, match="not a statistics pickle"):
        pickles.load_collector(path)


@pytest.mark.parametrize(
    "patch",
    [
        lambda s: s.update(totalWidth=10**9),  # would make a huge layout
        lambda s: s["fileEntries"].pop(59),
        lambda s: s["fileEntries"][5].state["values"].state["productTypes"].pop(),
        lambda s: s.update(startTime="yesterday"),
        lambda s: s.update(fileType="ftp"),
        lambda s: s.update(statsTypes=["latency", "eval"]),
        lambda s: s["fileEntries"][5].state["values"].state.update(dictionary=[1]),
    ],
)
def test_legacy_inconsistent_content_is_refused(patch):
    with pytest.raises(PickleError, match="not a valid original statistics pickle"):
        pickles.loads(legacy_t1_pickle(patch=patch), "odd")


# ---------------------------------------------------------------------------------------
# Legacy pickles: T1 data, T22


def test_legacy_bytes_are_protocol_1_old_style_instances():
    data = legacy_t1_pickle()
    assert data.startswith(b"(cpxStats.lib.FileStatsCollector\nFileStatsCollector\n")
    import pickletools

    ops = {op.name for op, _, _ in pickletools.genops(data)}
    assert {
        "MARK",
        "GLOBAL",
        "OBJ",
        "BUILD",
        "SHORT_BINSTRING",
        "BININT1",
        "BINFLOAT",
        "EMPTY_LIST",
        "APPENDS",
        "EMPTY_DICT",
        "SETITEMS",
        "BINPUT",
        "BINGET",
    } <= ops
    assert "PROTO" not in ops and "REDUCE" not in ops


def test_legacy_t1_converted(tmp_path):
    path = tmp_path / "clientA" / "20080430" / "tx" / "pds5_12"
    path.parent.mkdir(parents=True)
    path.write_bytes(legacy_t1_pickle())
    c = pickles.load_collector(path)
    assert type(c) is FileStatsCollector
    assert (c.file_type, c.start, c.end, c.interval, c.total_width, c.max_latency) == (
        "tx",
        T(HOUR),
        T("2008-04-30 13:00:00"),
        60,
        3600,
        15,
    )
    assert c.stats_types == TX and c.log_files == ["/apps/px/log/tx_clientA.log"]
    assert len(c.buckets) == 60 and (c.first_filled, c.last_filled) == (5, 5)
    assert [i for i, b in enumerate(c.buckets) if b.rows] == [5]
    b = c.buckets[5]
    assert (b.start, b.end) == (T(iso("12:05:00")), T(iso("12:06:00")))
    assert (b.rows, b.nb_files, b.files_over_max_latency) == (4, 3, 2)
    assert b.values == T1_ROWS["dictionary"]
    assert b.products == [SACN31, SMCN37, FTCN31, ""]
    assert b.times == [T(t) for t in T1_ROWS["times"]]
    # The original's statistics of bucket 5 are kept as they were computed...
    assert b.minimums["latency"] == 0 and b.files_where_min["latency"] == ""
    assert b.times_where_min["latency"] == T(iso("12:05:50"))
    assert (b.maximums["latency"], b.files_where_max["latency"], b.times_where_max["latency"]) == (
        20,
        SMCN37,
        T(iso("12:05:20")),
    )
    # ...while the buckets it never computed ({}) are computed now, with zeros.
    assert c.buckets[0].totals == {"errors": 0.0, "latency": 0.0, "bytecount": 0.0}
    assert c.buckets[59].times_where_max == {"errors": 0, "latency": 0, "bytecount": 0}
    # Recomputing gives the T1 Rewrite values.
    c.compute_statistics()
    assert_t1_rewrite(c.buckets[5])


def test_legacy_uncomputed_t1_bucket_gets_rewrite_statistics():
    c = pickles.loads(legacy_t1_pickle(stats5=empty_stats()))
    assert_t1_rewrite(c.buckets[5])


def assert_t1_rewrite(b):
    assert (b.nb_files, b.files_over_max_latency) == (3, 2)
    assert b.totals == {"latency": 43.0, "bytecount": 1330.0, "errors": 1.0}
    assert b.means["latency"] == pytest.approx(43 / 3)
    assert b.means["bytecount"] == pytest.approx(1330 / 3)
    assert b.means["errors"] == pytest.approx(0.25)
    assert (b.minimums["latency"], b.files_where_min["latency"], b.times_where_min["latency"]) == (
        3,
        SACN31,
        T(iso("12:05:01")),
    )
    assert (b.minimums["bytecount"], b.files_where_min["bytecount"]) == (130, SACN31)
    assert (b.maximums["latency"], b.files_where_max["latency"], b.times_where_max["latency"]) == (
        20,
        SMCN37,
        T(iso("12:05:20")),
    )
    assert (
        b.maximums["bytecount"],
        b.files_where_max["bytecount"],
        b.times_where_max["bytecount"],
    ) == (1000, FTCN31, T(iso("12:05:40")))
    assert b.minimums["errors"] == b.maximums["errors"] == 1


def test_legacy_entry_without_bounds_gets_layout_bounds():
    def zero_bounds(state):
        state["fileEntries"][7].state.update(startTime=0, endTime=0)

    c = pickles.loads(legacy_t1_pickle(patch=zero_bounds))
    assert (c.buckets[7].start, c.buckets[7].end) == (T(iso("12:07:00")), T(iso("12:08:00")))


def test_t22_time_of_update_file(tmp_path):
    data = b"S'2008-04-30 15:00:00'\np0\n."
    path = tmp_path / "picklesTimeOfUpdates" / "tx_clientA_remote1"
    path.parent.mkdir()
    path.write_bytes(data)
    assert updates.read(path) == T("2008-04-30 15:00:00")
    assert pickle.loads(data, encoding="latin1") == "2008-04-30 15:00:00"
    updates.write(path, T("2008-04-30 16:00:00"))
    assert path.read_bytes() == b"S'2008-04-30 16:00:00'\np0\n."


def test_t22_legacy_pickle_exposes_the_original_attributes():
    import io

    raw = legacy._LegacyUnpickler(io.BytesIO(legacy_t1_pickle()), encoding="latin1").load()
    values = raw.fileEntries[5].values
    assert values.dictionary["latency"] == [3, 20, 20, 0]
    assert values.productTypes == [SACN31, SMCN37, FTCN31, ""]
    assert values.rows == 4 and raw.fileEntries[0].values.rows == 0
    assert raw.fileEntries[5].files[-1] == 0 and raw.logging is True


# ---------------------------------------------------------------------------------------
# Atomic writes


def test_atomic_write_leaves_only_the_file(tmp_path):
    path = tmp_path / "out" / "tx_clientA_pds5"
    atomic.write_bytes(path, b"first")
    atomic.write_bytes(path, b"second")
    assert path.read_bytes() == b"second"
    assert os.listdir(path.parent) == [path.name]


def test_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "pickle"
    atomic.write_bytes(path, b"old content")

    def crash(fd):
        raise OSError(5, "disk gone")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        atomic.write_bytes(path, b"new content that never lands")
    assert path.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == ["pickle"]


# ---------------------------------------------------------------------------------------
# Fields of the allowed classes validated at load (issue 11 item 6)


def test_validate_accepts_fresh_merged_and_other_layouts():
    fresh = FileStatsCollector("tx", T(HOUR))  # never computed: empty statistics dicts
    pickles.validate(fresh)
    five = FileStatsCollector("rx", T(HOUR), interval=300)
    five.buckets[0].times.append(T(HOUR) + 1)
    five.buckets[0].products.append("P")
    five.buckets[0].values["errors"].append(0)
    five.buckets[0].values["bytecount"].append(2.5)  # a float is a number too
    five.compute_statistics()
    assert pickles._buckets_look_right(five.buckets, five.stats_types)
    pickles.validate(five)
    assert five.nb_entries == 12
    wide = FileStatsCollector("tx", T(HOUR), interval=7200)  # wider than the width: none
    assert wide.nb_entries == 0
    pickles.validate(wide)


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("buckets", None, "buckets is not a list (NoneType)"),
        ("start", "abc", "start is not an integer (str)"),
        ("max_latency", None, "max_latency is not a number (NoneType)"),
        ("log_files", ["a", 3], "log_files holds something else than texts"),
        ("stats_types", ["errors", "errors"], "are not those of rx"),
        ("total_width", 0, "must be at least 1"),
    ],
)
def test_validate_names_the_field(field, value, words):
    collector = FileStatsCollector("rx", T(HOUR))
    setattr(collector, field, value)
    with pytest.raises(PickleError) as caught:
        pickles.loads(pickles.dumps(collector), "the-origin")
    assert str(caught.value).startswith("the-origin: not a valid statistics pickle (")
    assert words in str(caught.value)


def test_validate_names_the_bucket():
    collector = FileStatsCollector("tx", T(HOUR))
    collector.buckets[7].medians = {"latency": "x"}
    with pytest.raises(PickleError, match=r"bucket 7 medians holds something else than numbers"):
        pickles.loads(pickles.dumps(collector))
    del collector.buckets[7].medians
    with pytest.raises(PickleError, match=r"bucket 7 has no medians"):
        pickles.loads(pickles.dumps(collector))
