"""Line classification and field extraction (spec §1.5-§1.7), examples of §1.5."""

# ruff: noqa: E501  (the log lines of the spec are quoted whole)

import pytest
from helpers import T
from hypothesis import given
from hypothesis import strategies as st

from pxstats.collect.formats import ERROR, INFO, classify, parse_line

TX_EXAMPLES = [
    (
        "2008-04-30 12:05:01,200 [INFO] (130 Bytes) Bulletin SACN31_CWAO_301205___00001:ncp1:CWAO:SA:3:Direct:20080430120458  delivered",
        ("SACN31_CWAO_301205___00001:ncp1:CWAO:SA:3:Direct:20080430120458", 3, 130),
    ),
    (
        "2008-04-30 12:01:20,000 [INFO] (2048 Bytes) File /apps/px/txq/clientA/5/2008043012/WXO_RADAR.gif:pull:CMC:RADAR:5:Direct:20080430120100 delivered to ftp://user@host.example.ca//pub/WXO_RADAR.gif",
        ("WXO_RADAR.gif:pull:CMC:RADAR:5:Direct:20080430120100", 20, 2048),
    ),
    (
        "2008-04-30 12:01:50,000 [INFO] (5000 Bytes) Bulletin SXCN99_CWAO_301201___00001:ncp1:CWAO:SX:3:Direct:20080430120130  delivered segmented in 3 parts",
        ("SXCN99_CWAO_301201___00001:ncp1:CWAO:SX:3:Direct:20080430120130", 20, 5000),
    ),
    (
        "2008-04-30 12:01:40,000 [INFO] (700 Bytes) Bulletin SACN32_CWAO_301201___00001:ncp1:CWAO:SA:3:Direct:20080430120125  delivered (lat=15.000000,speed=100.000000)",
        ("SACN32_CWAO_301201___00001:ncp1:CWAO:SA:3:Direct:20080430120125", 15, 700),
    ),
    (
        "2008-04-30 12:01:41,000 [INFO] (800 Bytes) Message SACN33_CWAO_301201___00001:ncp1:CWAO:SA:3:Direct:20080430120141  delivered",
        ("SACN33_CWAO_301201___00001:ncp1:CWAO:SA:3:Direct:20080430120141", 0, 800),
    ),
]

TX_NOT_INTERESTING = [
    "2008-04-30 12:05:45,000 [INFO] Speed = 12345 Bytes/sec",
    "2008-04-30 12:08:00,000 [INFO] (512 Bytes) Bulletin Segment number 1 sent",
    "2008-04-30 12:07:00,000 [WARNING] SEND TIMEOUT (2048 Bytes) File /apps/px/txq/c/3/2008043012/X:a:b:c:3:d:20080430120600 going to ftp://u@h/",
    "2008-04-30 12:05:01,100 [INFO] 3 new bulletins will be sent",
    "2008-04-30 12:05:01,100 [CRITICAL] (5 Bytes) something",
    "2008-04-30 12:05:01,100 [EXCEPTION] (5 Bytes) something",
    "Traceback (most recent call last):",
    '  File "/apps/px/lib/x.py", line 3, in f',
    "",
    "2008-04-30 12:05:01,100 [INFO] Bulletin X segmented in 3 parts",
]

RX_EXAMPLES = [
    (
        "2008-04-30 12:10:03,456 [INFO] (130 Bytes) Ingested in DB as /apps/px/db/20080430/SA/ncp1/CWAO/SACN31_CWAO_301210___12345:ncp1:CWAO:SA:3:Direct:20080430121003",
        "SACN31_CWAO_301210___12345",
        130,
    ),
    (
        "2008-04-30 12:10:20,000 [INFO] (2048 Bytes) Ingested in DB as /apps/px/db/20080430/RADAR/pull/CMC/WKR_RADAR.gif:pull:CMC:RADAR:5:Direct:20080430121019",
        "WKR_RADAR.gif",
        2048,
    ),
    (
        "2008-04-30 12:11:07,002 [INFO] (1542 Bytes) Ingested in DB as /apps/px/db/20080430/SM/ncp1/CWAO/SMCN37_CWAO_301200___00002:ncp1:CWAO:SM:3:Direct:20080430121107",
        "SMCN37_CWAO_301200___00002",
        1542,
    ),
    (
        "2008-04-30 12:12:45,900 [INFO] (8388608 Bytes) Ingested in DB as /apps/px/db/20080430/GRIB/cmc/CWAO/CMC_reg_TMP_ISBL_500_ps15km_2008043012_P006.grib:cmc:CWAO:GRIB:5:Direct:20080430121245",
        "CMC_reg_TMP_ISBL_500_ps15km_2008043012_P006.grib",
        8388608,
    ),
]

ERRORS = [
    "2008-04-30 12:05:50,000 [ERROR] Type: socket.error, Value: (32, 'Broken pipe')",
    "2008-04-30 12:04:00,000 [ERROR] Unable to deliver to ftp://user@host//pub/x, Type: socket.error, Value: (111, 'Connection refused')",
    "2008-04-30 12:10:30,000 [ERROR] Unable to link /apps/px/rxq/src/x /apps/px/db/..., Type: exceptions.OSError, Value: [Errno 17] File exists",
    "2008-04-30 12:03:00,000 [ERROR] Unable to segment and send /apps/px/txq/c/3/2008043012/X:... ! Reason : type GRIB, Size: 500000",
]


@pytest.mark.parametrize("line,expected", TX_EXAMPLES)
def test_tx_examples_are_rows(line, expected):
    row = parse_line(line.encode(), "tx")
    assert (row.product, row.latency, row.bytecount, row.errors) == (*expected, 0)
    assert row.time == T(line[:19])


@pytest.mark.parametrize("line", TX_NOT_INTERESTING)
def test_excluded_lines_are_not_rows(line):
    assert parse_line(line.encode(), "tx") is None
    assert parse_line(line.encode(), "rx", ("errors", "bytecount")) is None


@pytest.mark.parametrize("line,product,nbytes", RX_EXAMPLES)
def test_rx_examples(line, product, nbytes):
    row = parse_line(line.encode(), "rx", ("errors", "bytecount"))
    assert (row.product, row.bytecount, row.errors, row.latency) == (product, nbytes, 0, 0)


@pytest.mark.parametrize(
    "line",
    [
        "2008-04-30 12:10:03,457 [INFO] Queued for: clientA clientB",
        "2008-04-30 12:10:40,000 [WARNING] Bad ingest name (junk) => No dbName",
    ],
)
def test_rx_not_interesting(line):
    assert parse_line(line.encode(), "rx", ("errors", "bytecount")) is None


@pytest.mark.parametrize("line", ERRORS)
def test_errors_are_error_rows_only_when_collected(line):
    row = parse_line(line.encode(), "tx")
    assert (row.errors, row.latency, row.bytecount, row.product) == (1, 0, 0, "")
    assert parse_line(line.encode(), "tx", ("latency", "bytecount")) is None


def test_rule_order_info_wins_over_error():
    line = b"2008-04-30 12:05:01,200 [INFO] (130 Bytes) Bulletin A:b:c:d:e:f:20080430120458  delivered [ERROR]"
    assert classify(line) == INFO
    assert classify(b"x [ERROR] y") == ERROR
    assert classify(b"x [ERROR] y", errors_collected=False) is None


@pytest.mark.parametrize(
    "line",
    [
        # FX-renamed file: no 7 colon fields -> no latency -> dropped
        "2008-04-30 12:01:30,000 [INFO] (123 Bytes) File /apps/px/txq/c/3/2008043012/foo.txt delivered to ftp://u@h//pub/foo.txt",
        # padded byte count shifts token 6
        "2008-04-30 12:01:31,000 [INFO] (  130 Bytes) Message SA A1 (1/2) has been sent => delivered",
        # invalid reception date (April 31)
        "2008-04-30 12:01:31,000 [INFO] (1 Bytes) Bulletin A:b:c:d:e:f:20080431120000  delivered",
        # truncated line
        "2008-04-30 12:01:31,000 [INFO] (1 Bytes) Bulletin A:b:c:d",
        # invalid timestamp prefix
        "2008-04-30 25:01:31,000 [INFO] (1 Bytes) Bulletin A:b:c:d:e:f:20080430120000  delivered",
    ],
)
def test_malformed_tx_lines_raise(line):
    with pytest.raises(ValueError):
        parse_line(line.encode(), "tx")


def test_fx_renamed_line_counts_without_latency():
    line = b"2008-04-30 12:01:30,000 [INFO] (123 Bytes) File /apps/px/txq/c/3/2008043012/foo.txt delivered to ftp://u@h//pub/foo.txt"
    row = parse_line(line, "tx", ("errors", "bytecount"))
    assert (row.product, row.bytecount) == ("foo.txt", 123)


def test_negative_latency_is_clamped_and_suffix_truncated_to_14():
    row = parse_line(
        b"2008-04-30 12:01:30,000 [INFO] (1 Bytes) Bulletin A:b:c:d:e:f:20080430120200123  delivered",
        "tx",
    )
    assert row.latency == 0
    row = parse_line(
        b"2008-04-30 12:03:30,000 [INFO] (1 Bytes) Bulletin A:b:c:d:e:f:20080430120200123  delivered",
        "tx",
    )
    assert row.latency == 90


def test_non_utf8_bytes_are_kept_as_latin1():
    row = parse_line(
        b"2008-04-30 12:10:03,456 [INFO] (5 Bytes) Ingested in DB as /db/caf\xe9:a:b",
        "rx",
        ("errors", "bytecount"),
    )
    assert row.product == "caf\xe9"


def test_rx_without_slash_takes_text_before_first_colon():
    row = parse_line(b"2008-04-30 12:10:03,456 [INFO] (5 Bytes) odd", "rx", ("errors", "bytecount"))
    assert row.product == "2008-04-30 12"


# -- property tests -------------------------------------------------------------------------

names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.", min_size=1, max_size=30)


@given(
    nbytes=st.integers(0, 10**12),
    name=names,
    delay=st.integers(-3600, 10**6),
    t=st.integers(T("2000-01-01 00:00:00"), T("2030-01-01 00:00:00")),
    form=st.sampled_from(["bulletin", "file", "message", "lat"]),
)
def test_wellformed_tx_line_round_trip(nbytes, name, delay, t, form):
    from pxstats.util import timeutil

    arrival = t - delay
    ingest = f"{name}:ncp1:CWAO:SA:3:Direct:{timeutil.iso(arrival).replace('-', '').replace(' ', '').replace(':', '')}"
    body = {
        "bulletin": f"Bulletin {ingest}  delivered",
        "file": f"File /apps/px/txq/c/3/2008043012/{ingest} delivered to ftp://u@h//pub/x",
        "message": f"Message {ingest}  delivered",
        "lat": f"Bulletin {ingest}  delivered (lat=1.0,speed=2.0)",
    }[form]
    line = f"{timeutil.iso(t)},123 [INFO] ({nbytes} Bytes) {body}".encode()
    row = parse_line(line, "tx")
    assert row.product == ingest
    assert row.bytecount == nbytes
    assert row.latency == max(0, delay)
    assert row.time == t


@given(st.binary(max_size=200))
def test_parser_never_crashes_on_garbage(data):
    line = data.replace(b"\n", b"")
    for ft, stats in (("tx", ("errors", "latency", "bytecount")), ("rx", ("errors", "bytecount"))):
        try:
            row = parse_line(line, ft, stats)
        except ValueError:
            continue
        assert row is None or row.errors in (0, 1)


# -- the reception stamp, read as the original read it (spec §1.7, issue 10 item 16) ----------

DEPARTURE = "2026-11-20 00:10:00"
# (7th token, product or None when the line is dropped, reception time)
RECEPTION_STAMPS = [
    ("A:b:c:d:e:f:20261120000900", "A:b:c:d:e:f:20261120000900", "2026-11-20 00:09:00"),
    ("A:b:c:d:e:f:20261120000900123", "A:b:c:d:e:f:20261120000900123", "2026-11-20 00:09:00"),
    # 12 and 10 characters: the seconds (or minutes) slice is empty -> not a date
    ("A:b:c:d:e:f:202611200009", None, None),
    ("A:b:c:d:e:f:2026112000", None, None),
    # 13 characters: the seconds are the one character left
    ("A:b:c:d:e:f:2026112000090", "A:b:c:d:e:f:2026112000090", "2026-11-20 00:09:00"),
    # a ':' in the queue path shifts the fields of the whole token
    ("/apps/px/txq/c:1/3/2026112000/A:b:c:d:e:f:20261120000900", None, None),
    (
        "/q/x:y/A:b:c:d:e:20261120000500:20261120000900",
        "A:b:c:d:e:20261120000500:20261120000900",
        "2026-11-20 00:05:00",
    ),
    # a '/' after the stamp: the product is what follows it, the stamp still counts
    ("/q/A:b:c:d:e:f:20261120000900/", "", "2026-11-20 00:09:00"),
    ("/q/A:b:c:d:e:f:20261120000900/x", "x", "2026-11-20 00:09:00"),
    ("A:b:c:d:e:f:2026112000/0900", None, None),
    # each slice is a Python 2 int: a sign is accepted, a '_' is not
    ("A:b:c:d:e:f:2026+1+1000009", "A:b:c:d:e:f:2026+1+1000009", "2026-01-01 00:00:09"),
    ("A:b:c:d:e:f:2_261120000900", None, None),
    ("A:b:c:d:e:f:2026-1-1000009", None, None),
    # a date before 1970 is a date
    ("A:b:c:d:e:f:19691231235959", "A:b:c:d:e:f:19691231235959", "1969-12-31 23:59:59"),
]


@pytest.mark.parametrize("token,product,arrival", RECEPTION_STAMPS)
@pytest.mark.parametrize("form", ["Bulletin {}  delivered", "File {} delivered to ftp://u@h//x"])
def test_reception_stamp_fixed_positions_of_the_whole_token(token, product, arrival, form):
    line = f"{DEPARTURE},000 [INFO] (5 Bytes) {form.format(token)}".encode()
    if product is None:
        with pytest.raises(ValueError):
            parse_line(line, "tx")
    else:
        row = parse_line(line, "tx")
        assert (row.product, row.latency) == (product, max(0, T(DEPARTURE) - T(arrival)))
    # without latency the stamp is not read: the line is a row whatever it holds
    row = parse_line(line, "tx", ("errors", "bytecount"))
    assert row.product == token.rpartition("/")[2] and row.bytecount == 5
