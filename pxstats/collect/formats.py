"""Classification and field extraction of Sundew log lines (spec collection.md §1.6, §1.7).

The positional rules of the original decide what counts; this module implements them
on raw bytes (offsets stay byte offsets, any byte value is accepted) with two changes:
a row needs a valid `YYYY-MM-DD HH:MM:SS,` prefix (its time places it in a bucket), and
an error row's file name is "" rather than the integer 0. The reception stamp of a tx line
is read as the original read it: the 7th ':' field of the whole 7th token, characters 0-3,
4-5, 6-7, 8-9, 10-11 and 12-13 each an integer (Python 2 `int`: blanks and a sign allowed),
together a valid date.

`scan` is the hot loop: it walks a list of lines once, with per-second caches for the
two timestamps, and appends rows straight into the collector's buckets.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import datetime

from pxstats.util import timeutil

INFO = "INFO"
ERROR = "ERROR"

_PREFIX = re.compile(rb"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),\Z")
_SIGNED_INT = re.compile(rb"[ \t\n\r\x0b\x0c]*[+-]?\d+[ \t\n\r\x0b\x0c]*\Z")
_CACHE_LIMIT = 400_000
_BAD = -1  # any negative line time is refused: Sundew logs start long after 1970
_NO_STAMP = -(1 << 62)  # reception stamp that is not a date (before 1970 is a date)
_STAMP_FIELDS = ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14))

# Both caches map text -> epoch seconds (or _BAD, _NO_STAMP). Keys are at most one per second of
# log time, so they stay small; they are cleared when they grow past the limit.
_prefix_cache: dict[bytes, int] = {}
_suffix_cache: dict[bytes, int] = {}


def _epoch(year, month, day, hour, minute, second) -> int:
    datetime(year, month, day, hour, minute, second)  # validates ranges (April 31 ...)
    return calendar.timegm((year, month, day, hour, minute, second))


def _prefix_epoch(key: bytes) -> int:
    """Epoch of a 20-byte line prefix 'YYYY-MM-DD HH:MM:SS,' or _BAD."""
    if len(_prefix_cache) > _CACHE_LIMIT:
        _prefix_cache.clear()
    match = _PREFIX.match(key)
    try:
        value = _epoch(*map(int, match.groups())) if match else _BAD
    except ValueError:
        value = _BAD
    _prefix_cache[key] = value
    return value


def line_time(line: bytes) -> int | None:
    """Epoch of the log line's timestamp, None when the line has no valid prefix."""
    key = line[:20]
    value = _prefix_cache.get(key)
    if value is None:
        value = _prefix_epoch(key)
    return None if value < 0 else value


def _py2_int(text: bytes) -> int:
    """int() of Python 2 on a str: optional blanks around an optional sign and ASCII digits
    (no '_', which Python 3 accepts)."""
    if text.isdigit():
        return int(text)
    if _SIGNED_INT.match(text):
        return int(text.strip(b" \t\n\r\x0b\x0c"))
    raise ValueError("not an integer")


def _suffix_epoch(text: bytes) -> int:
    """Reception time of the first 14 characters of a stamp, or _NO_STAMP.

    The original sliced fixed positions and built a datetime from them: 'YYYY', 'MM', 'DD',
    'hh', 'mm', 'ss' at 0-3, 4-5, 6-7, 8-9, 10-11, 12-13. A stamp shorter than 13 characters
    therefore never is a date; 14 digits are one when the date exists."""
    if len(_suffix_cache) > _CACHE_LIMIT:
        _suffix_cache.clear()
    try:
        if len(text) == 14 and text.isdigit():
            fields = [int(text[a:b]) for a, b in _STAMP_FIELDS]
        else:
            fields = [_py2_int(text[a:b]) for a, b in _STAMP_FIELDS]
        value = _epoch(*fields)
    except (ValueError, OverflowError):
        value = _NO_STAMP
    _suffix_cache[text] = value
    return value


def classify(line: bytes, errors_collected: bool = True) -> str | None:
    """Rule 2-3 of §1.6: INFO row candidate, ERROR row candidate, or None."""
    if (
        b"[INFO]" in line
        and b"Bytes" in line
        and b"/sec" not in line
        and b" Segment " not in line
        and b"SEND TIMEOUT" not in line
    ):
        return INFO
    if errors_collected and b"[ERROR]" in line:
        return ERROR
    return None


def is_log_line(line: bytes) -> bool:
    """A prefixed record whose level is INFO, WARNING or ERROR ('departure' usage, §1.6 rule 4)."""
    return line_time(line) is not None and (
        b"[INFO]" in line or b"[WARNING]" in line or b"[ERROR]" in line
    )


def byte_count(line: bytes) -> int:
    """The number between the first '(' and the character before the first 'Bytes'."""
    text = line[line.find(b"(") + 1 : line.find(b"Bytes") - 1]
    if text.isdigit():
        return int(text)
    if _SIGNED_INT.match(text):  # int() of Python 2 also took blanks and a sign
        return int(text)
    raise ValueError("no byte count")


def tx_token(line: bytes) -> bytes:
    """The 7th space-separated token (the txq path or the ingest name)."""
    return line.split(b" ")[6]


def tx_product(line: bytes) -> bytes:
    """Base name of the 7th space-separated token (the txq path or ingest name)."""
    return tx_token(line).rpartition(b"/")[2]


def rx_product(line: bytes) -> bytes:
    """Text after the last '/' of the line, cut at the first ':'."""
    return line[line.rfind(b"/") + 1 :].partition(b":")[0]


def reception_time(token: bytes) -> int:
    """Reception time of a tx line: the 7th ':' field of its whole 7th token (not of the
    base name: a ':' in the queue path shifts the fields, as in the original), its first
    14 characters read at fixed positions (spec §1.7). ValueError or IndexError when
    there is none."""
    stamp = token.split(b":")[6][:14]
    arrival = _suffix_cache.get(stamp)
    if arrival is None:
        arrival = _suffix_epoch(stamp)
    if arrival == _NO_STAMP:
        raise ValueError("bad reception time")
    return arrival


def tx_latency(token: bytes, departure: int) -> int:
    """Delivery time minus the reception time of the 7th token (`reception_time`), >= 0."""
    latency = departure - reception_time(token)
    return latency if latency > 0 else 0


@dataclass
class Row:
    """One extracted row, for tests and tools (the scan loop does not build these)."""

    time: int
    product: str
    errors: int
    latency: int
    bytecount: int


def parse_line(line: bytes, file_type: str, stats_types=("errors", "latency", "bytecount")):
    """Row for one line, None when the line is not interesting, ValueError when malformed."""
    line = line.rstrip(b"\n")
    kind = classify(line, "errors" in stats_types)
    if kind is None:
        return None
    t = line_time(line)
    if t is None:
        raise ValueError("no valid timestamp")
    if kind == ERROR:
        return Row(t, "", 1, 0, 0)
    try:
        nbytes = byte_count(line)
        if file_type == "tx":
            token = tx_token(line)
            product = token.rpartition(b"/")[2]
            latency = tx_latency(token, t) if "latency" in stats_types else 0
        else:
            product, latency = rx_product(line), 0
    except (ValueError, IndexError) as exc:
        raise ValueError(str(exc)) from None
    return Row(t, product.decode("latin-1"), 0, latency, nbytes)


@dataclass
class ScanResult:
    stop_index: int | None = None  # index of the first interesting line at/after `end`
    rows: int = 0
    malformed: int = 0
    first_malformed: bytes | None = None
    before_start: int = 0  # interesting lines before the start (out of order ones included)
    filled: set = field(default_factory=set)
    # Interesting lines before the start met after one at or after it (since reached_start
    # became True): they belong to a period already collected, and are lost (issue 11 #16).
    out_of_order: int = 0
    reached_start: bool = False  # read_file: reset for each file
    unfinished: bytes = b""  # read_file: the last line, left unread for want of its newline


_PREFIX_SHAPE = b"dddd-dd-dd dd:dd:dd,"
_LOWEST_TIME, _HIGHEST_TIME = b"0000-00-00 00:00:00", b"9999-99-99 99:99:99"


def unfinished_span(partial: bytes) -> tuple[str, str] | None:
    """Earliest and latest ISO times a line still being written (`partial`: its first
    bytes) can have once complete, None when it can never be a row (its bytes so far
    cannot make a valid `YYYY-MM-DD HH:MM:SS,` prefix)."""
    head = partial[:20]
    for got, shape in zip(head, _PREFIX_SHAPE):
        if shape == 100:  # 'd'
            if not 48 <= got <= 57:
                return None
        elif got != shape:
            return None
    if len(head) == 20:
        t = line_time(head)
        return None if t is None else (timeutil.iso(t), timeutil.iso(t))
    known = head[:19]
    return (
        (known + _LOWEST_TIME[len(known) :]).decode("ascii"),
        (known + _HIGHEST_TIME[len(known) :]).decode("ascii"),
    )


def may_become_row_before(partial: bytes, end: int) -> bool:
    """Whether a line still being written could, once complete, be a row timed before
    `end` (see unfinished_span)."""
    span = unfinished_span(partial)
    return span is not None and span[0] < timeutil.iso(end)


def scan(lines, collector, result: ScanResult) -> ScanResult:
    """Add the rows of `lines` (bytes, no newline) that fall in [collector.start, end).

    Stops at the first interesting line whose time is >= collector.end (its index is
    recorded: that line is the first one not consumed). Lines before the start are
    skipped, and counted as out of order when they come after a line at or after the start
    (result.reached_start); interesting lines that cannot be parsed are counted as malformed.
    """
    start, end, interval = collector.start, collector.end, collector.interval
    buckets = collector.buckets
    last_bucket = len(buckets) - 1
    stats = collector.stats_types
    errors_on = "errors" in stats
    latency_on = "latency" in stats
    is_tx = collector.file_type == "tx"
    prefix_get = _prefix_cache.get
    suffix_get = _suffix_cache.get
    filled = result.filled
    rows = malformed = before = late = 0
    reached = result.reached_start
    # Column order inside a bucket: errors, latency, bytecount (whichever are collected).
    for index, line in enumerate(lines):
        if (
            b"[INFO]" in line
            and b"Bytes" in line
            and b"/sec" not in line
            and b" Segment " not in line
            and b"SEND TIMEOUT" not in line
        ):
            is_error = False
        elif errors_on and b"[ERROR]" in line:
            is_error = True
        else:
            continue
        t = prefix_get(line[:20])
        if t is None:
            t = _prefix_epoch(line[:20])
        if t < 0:
            malformed += 1
            if result.first_malformed is None:
                result.first_malformed = line
            continue
        if t >= end:
            result.stop_index = index
            reached = True
            break
        if t < start:
            before += 1
            late += reached
            continue
        reached = True
        if is_error:
            product, err, latency, nbytes = "", 1, 0, 0
        else:
            try:
                text = line[line.find(b"(") + 1 : line.find(b"Bytes") - 1]
                nbytes = int(text) if text.isdigit() else byte_count(line)
                if is_tx:
                    token = line.split(b" ")[6]
                    raw = token.rpartition(b"/")[2]
                    if latency_on:
                        stamp = token.split(b":")[6][:14]
                        arrival = suffix_get(stamp)
                        if arrival is None:
                            arrival = _suffix_epoch(stamp)
                        if arrival == _NO_STAMP:
                            raise ValueError
                        latency = t - arrival
                        if latency < 0:
                            latency = 0
                    else:
                        latency = 0
                else:
                    raw = line[line.rfind(b"/") + 1 :].partition(b":")[0]
                    latency = 0
            except (ValueError, IndexError):
                malformed += 1
                if result.first_malformed is None:
                    result.first_malformed = line
                continue
            product, err = raw.decode("latin-1"), 0
        slot = (t - start) // interval
        if slot > last_bucket:
            slot = last_bucket
        bucket = buckets[slot]
        bucket.times.append(t)
        bucket.products.append(product)
        values = bucket.values
        if errors_on:
            values["errors"].append(err)
        if latency_on:
            values["latency"].append(latency)
        if "bytecount" in values:
            values["bytecount"].append(nbytes)
        filled.add(slot)
        rows += 1
    result.rows += rows
    result.malformed += malformed
    result.before_start += before
    result.out_of_order += late
    result.reached_start = reached
    return result
