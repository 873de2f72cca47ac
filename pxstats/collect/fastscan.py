"""Columnar equivalent of `formats.scan` for a buffer of complete lines: the numpy scanner,
used when the compiled one (`_scan.c`, see `scanner`) is not built.

`scan_buffer(data, collector, result)` has exactly the effect of
`scan(data[:-1].split(b"\\n"), collector, result)`: same rows, in the same buckets and
order, same counters, and it returns the offset of the stop line. `formats.scan` stays the
reference: this module only changes *how* the rules of spec §1.6/§1.7 are evaluated, because
one Python operation per line already costs more than the whole time budget.

* Lines are found with one vectorised newline search. The first bytes of every line are
  copied into a matrix where the timestamp prefix and the head of a well-formed INFO line,
  `<prefix>ddd [INFO] (<digits> Bytes`, are checked and converted, 8 bytes at a time.
* The substrings tested anywhere in a line (`[INFO]`, `Bytes`, `/sec`, ` Segment `,
  `SEND TIMEOUT`, `[ERROR]`) are searched over the whole buffer and mapped to their line.
* The fields of well-formed INFO lines (7th space-separated token, its base name, the 7th
  ':' field; rx: after the last '/') are located in fixed-width windows.
* Every other INFO line goes through `scan` itself, one line at a time, so the rules keep a
  single per-line implementation; well-formed lines are only a shortcut where the result is
  certain to be the same.

numpy notes for this file: an operation on a few thousand elements costs a few
microseconds whatever it does, `argmax` on boolean rows is a byte-by-byte loop, and fancy
indexing of columns makes non-contiguous arrays; hence 8-byte words (SWAR), lookup tables
and fixed-width copies of bytes made through a `V<width>` view (one memcpy per row).

Why one module of ~750 lines: each vectorised pass relies on the invariants the previous
one established (line starts, padding, candidate masks); kept together they can be read in
order against the reference parser.
"""

from __future__ import annotations

import numpy as np

from pxstats.collect.formats import ScanResult, scan

U64 = np.uint64
_WIDTHS = (128, 1024)  # window widths when seeking a byte; a longer field -> reference
_FRONT = _WIDTHS[-1]  # newlines before the data: a backward seek stops at a line start
_BACK = _WIDTHS[-1] + 64  # zeros after the data: every window stays inside the buffer
_HEAD = 56  # bytes copied from each line start (prefix, [INFO], byte count)
_MAX_DIGITS = 7  # longer byte counts take the reference path
_LOOKAHEAD = 64  # lines classified past the first late one before all the rest


# ---------------------------------------------------------------------------------------
# 8-byte words (little-endian: the first byte is the lowest)


def _repeat(byte: int) -> U64:
    return U64(byte * 0x0101010101010101)


_F0, _THREES, _SIXES, _ONES = _repeat(0xF0), _repeat(0x30), _repeat(0x06), _repeat(0x01)
_SEVENS, _EIGHTS = _repeat(0x7F), _repeat(0x80)
_BYTE_INDEX = U64(0x0001020304050607)  # lowest set bit 8k, times this, >> 56 = k


def _text(text: bytes) -> U64:
    return U64(int.from_bytes(text, "little"))


def _template(text: str):
    """Masks testing 8 bytes against a template: 'd' = ASCII digit, '?' = any byte."""
    literal = value = digits = 0
    for k, ch in enumerate(text):
        if ch == "d":
            digits |= 0xFF << 8 * k
        elif ch != "?":
            literal |= 0xFF << 8 * k
            value |= ord(ch) << 8 * k
    return U64(literal), U64(value), U64(digits)


def _fits(words: np.ndarray, template) -> np.ndarray:
    """Per word: its bytes match the template. A byte is a digit iff its high nibble is 3
    before and after adding 6 (and no carry leaves a byte whose high nibble is 3)."""
    literal, value, digits = template
    ok = (words & literal) == value
    if digits:
        high = digits & _F0
        ok &= (words & high) == (digits & _THREES)
        ok &= ((words + (digits & _SIXES)) & high) == (digits & _THREES)
    return ok


def _digit_run(words: np.ndarray) -> np.ndarray:
    """Number of leading ASCII digits of each word (8 when all are).

    Each non-digit byte gets 0x80 (a carry out of a non-digit byte only reaches later
    bytes), then the lowest flagged byte is found from the lowest set bit."""
    odd = ((words & _F0) ^ _THREES) | (((words + _SIXES) & _F0) ^ _THREES)
    odd = (((odd & _SEVENS) + _SEVENS) | odd) & _EIGHTS
    low = odd.view(np.int64)
    low = (low & -low).view(U64)
    return np.where(odd == 0, 8, ((low >> U64(7)) * _BYTE_INDEX >> U64(56)).astype(np.int64))


def _first(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, first True column) of each row of a boolean matrix whose width is a multiple
    of 8: the first nonzero 8-byte word, then its lowest nonzero byte."""
    words = mask.view(U64)
    per_row = words.shape[1]
    if per_row % 8 == 0:  # rows of 8 words and more: their nonzero flags are 8-byte words
        word = _first(words != 0)[1]
    elif per_row == 2:
        word = (words[:, 0] == 0).astype(np.int64)
    else:
        word = (words != 0).argmax(axis=1)
    value = _pick(words, word)
    low = value.view(np.int64)
    low = (low & -low).view(U64)
    return value != 0, word * 8 + (low * _BYTE_INDEX >> U64(56)).astype(np.int64)


def _last(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, last True column) of each row, as _first (byte-swapped: highest byte first)."""
    words = mask.view(U64)
    per_row = words.shape[1]
    if per_row % 8 == 0:
        word = _last(words != 0)[1]
    elif per_row == 2:
        word = (words[:, 1] != 0).astype(np.int64)
    else:  # argmax on reversed rows: slow, only for odd widths
        word = per_row - 1 - (words[:, ::-1] != 0).argmax(axis=1)
    value = _pick(words, word)
    low = value.byteswap().view(np.int64)
    low = (low & -low).view(U64)
    return value != 0, word * 8 + 7 - (low * _BYTE_INDEX >> U64(56)).astype(np.int64)


def _pick(words: np.ndarray, column: np.ndarray) -> np.ndarray:
    """words[i, column[i]] for each row i (faster than take_along_axis)."""
    per_row = words.shape[1]
    return words.ravel()[column + np.arange(0, per_row * len(words), per_row)]


# ---------------------------------------------------------------------------------------
# Dates: two-digit fields in byte lanes, calendar by table (datetime's rules, year >= 1)


def _calendar():
    """Seconds at the start of each (year, month), and the month's length, for years
    0000-9999 (index year * 13 + month); year 0 and month 0 have no days."""
    year = np.repeat(np.arange(10000, dtype=np.int64), 13)
    month = np.tile(np.arange(13, dtype=np.int64), 10000)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100
    days += (153 * ((month + 9) % 12) + 2) // 5 - 719468  # days_from_civil
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    lengths = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.uint8)[month]
    lengths += (leap & (month == 2)).astype(np.uint8)
    lengths[year == 0] = 0
    return days * 86400, lengths


_MONTH_SECONDS, _MONTH_DAYS = _calendar()


def _pair_values() -> np.ndarray:
    """16-bit word (2 bytes) -> their value as two decimal digits, 100 if not digits."""
    table = np.full(1 << 16, 100, np.uint8)
    for tens in range(10):
        for units in range(10):
            table[(48 + tens) | (48 + units) << 8] = 10 * tens + units
    return table


_PAIR_VALUE = _pair_values()


def _lanes(values) -> U64:
    return U64(sum(v << 8 * k for k, v in enumerate(values)))


class _Lanes:
    """Constants of _clock for 8 digit pairs in a given order of fields.

    A lane v <= 100 is within [lo, hi] iff v + 127 - hi has its high bit clear and
    v + 128 - lo has it set; neither sum carries into the next lane. The filler lane takes
    any value (100 = not two digits)."""

    RANGES = {
        "century": (0, 99),
        "year": (0, 99),
        "month": (1, 12),
        "day": (1, 31),
        "hour": (0, 23),
        "minute": (0, 59),
        "second": (0, 59),
        "filler": (0, 100),
    }
    # lane -> (calendar index, seconds of day/hour/minute/second): exact in float64
    WEIGHTS = {
        "century": (1300, 0),
        "year": (13, 0),
        "month": (1, 0),
        "day": (0, 86400),
        "hour": (0, 3600),
        "minute": (0, 60),
        "second": (0, 1),
        "filler": (0, 0),
    }

    def __init__(self, *order: str):
        self.above = _lanes([127 - self.RANGES[name][1] for name in order])
        self.below = _lanes([128 - self.RANGES[name][0] for name in order])
        self.linear = np.array([self.WEIGHTS[name] for name in order], np.float64)
        self.day = order.index("day")


# 'YYYY-MM-DD HH:MM:SS' read as pairs at even then odd offsets (see _row_clock)
_PREFIX_LANES = _Lanes("century", "year", "day", "minute", "month", "hour", "second", "filler")
# 'xYYYYMMDDHHMMSS' after any byte
_STAMP_LANES = _Lanes("filler", "century", "year", "month", "day", "hour", "minute", "second")


def _clock(pairs: np.ndarray, lanes: _Lanes = _PREFIX_LANES) -> tuple[np.ndarray, np.ndarray]:
    """(valid, epoch seconds) of (n, 8) 16-bit digit pairs in the order of `lanes`; valid
    as datetime() would have it (digits, ranges, days in the month, year >= 1)."""
    two = np.take(_PAIR_VALUE, pairs)
    word = two.view(U64)[:, 0]
    valid = (((word + lanes.above) | ~(word + lanes.below)) & _EIGHTS) == 0
    linear = (two @ lanes.linear).astype(np.int64)
    index = np.minimum(linear[:, 0], len(_MONTH_DAYS) - 1)
    valid &= two[:, lanes.day] <= _MONTH_DAYS[index]
    return valid, _MONTH_SECONDS[index] + linear[:, 1] - 86400


def _prefix_clock(head: np.ndarray, words: np.ndarray):
    """_clock of 'YYYY-MM-DD HH:MM:SS' at the start of each row (head: at least 20 bytes
    per row, words: its 8-byte words).

    Logs are in time order, so consecutive lines mostly share 'YYYY-MM-DD HH:MM' (bytes
    0-15): the calendar is worked out once per run of equal bytes 0-15, with the seconds
    set to 00, then each line adds its own seconds. Same result as _row_clock: the seconds
    lane is independent of the others, and its range check is 0-59 on the digit pair."""
    count = len(head)
    new = np.empty(count, bool)
    new[:1] = True
    np.not_equal(words[1:, 0], words[:-1, 0], out=new[1:])
    new[1:] |= words[1:, 1] != words[:-1, 1]
    firsts = np.flatnonzero(new)
    if len(firsts) * 4 > count:
        return _row_clock(head)
    minute = head[firsts, :20]
    minute[:, 17:19] = 48  # seconds '00'
    minute_valid, minute_time = _row_clock(minute)
    run = np.cumsum(new) - 1
    seconds = np.take(_PAIR_VALUE, head[:, 1:-1].view(np.uint16)[:, 8])  # bytes 17-18
    return minute_valid[run] & (seconds <= 59), minute_time[run] + seconds


def _row_clock(head: np.ndarray):
    """_clock of 'YYYY-MM-DD HH:MM:SS' at the start of each row, row by row."""
    even = head.view(np.uint16)  # byte pairs at offsets 0, 2, 4 ...
    odd = head[:, 1:-1].view(np.uint16)  # byte pairs at offsets 1, 3, 5 ...
    # century 0, year 2, day 8, minute 14 | month 5, hour 11, second 17, and as the filler
    # bytes 1-2 (year digits: digits in every valid prefix)
    return _clock(np.concatenate((even[:, [0, 1, 4, 7]], odd[:, [2, 5, 8, 0]]), axis=1))


_PREFIX = (_template("????-??-"), _template("?? ??:??"), _template(":??,????"))
_INFO_HEAD = (_template("????ddd "), _template("[INFO] ("))  # bytes 16-23, 24-31
_BYTES_WORD = _template(" Bytes??")
_BYTES_CLOSE, _LOW7 = _text(b"Bytes) "), U64((1 << 56) - 1)


def _word_tables():
    """'Bytes) File ', 'Bytes) Bulletin ', 'Bytes) Message ' (T1-T5), by the word's first
    letter: the rest of the word (mask, text) and the length of 'Bytes) <word> '."""
    rest, mask, length = np.zeros(256, U64), np.zeros(256, U64), np.zeros(256, np.int64)
    for word in (b"File ", b"Bulletin ", b"Message "):
        rest[word[0]] = int.from_bytes(word[1:], "little")
        mask[word[0]] = (1 << 8 * len(word[1:])) - 1
        length[word[0]] = len(b"Bytes) " + word)
    return rest, mask, length


_WORD_REST, _WORD_MASK, _WORD_LENGTH = _word_tables()
# _AFTER_COLUMN[c]: 128 booleans, True for the columns > c (one 128-byte item: fast copy).
_AFTER_COLUMN = (np.arange(128) > np.arange(128)[:, None]).view("V128").ravel()
_ENDS_TOKEN = np.isin(np.arange(256), [32, 10])  # bytes ending S[6]: space, line end


# ---------------------------------------------------------------------------------------
# Substrings of §1.6, found through 16-bit words (byte pairs at even offsets): an
# occurrence of P at x holds P[k:k+2] at x+k and P[k+1:k+3] at x+k+1, one of them at an
# even offset, so comparing the words with both pairs finds every occurrence. '[' anchors
# [INFO] and [ERROR] (a byte, then its word); see Block.find.

_PATTERNS = [b"[INFO]", b"[ERROR]", b"Bytes", b"/sec", b" Segment ", b"SEND TIMEOUT"]
INFO_, ERROR_, BYTES_, SEC_, SEGMENT_, TIMEOUT_ = range(len(_PATTERNS))
# pairs "By" "yt", "/s" "se", "eg" "gm", "TI" "IM": rare outside their pattern
_PAIR_AT = {BYTES_: 0, SEC_: 0, SEGMENT_: 2, TIMEOUT_: 5}


def _pattern_tables():
    """Per pattern its first 16 bytes as two (mask, word); per pair value a code giving
    the pattern and the pair's offset in it."""
    masks = np.zeros((len(_PATTERNS), 2), U64)
    words = np.zeros((len(_PATTERNS), 2), U64)
    for pid, pattern in enumerate(_PATTERNS):
        for half in (0, 1):
            part = pattern[8 * half : 8 * half + 8]
            masks[pid, half] = (1 << 8 * len(part)) - 1
            words[pid, half] = int.from_bytes(part, "little")
    code = np.zeros(1 << 16, np.int64)
    pattern_of, offset_of, pairs = [0], [0], []
    for pid, k in _PAIR_AT.items():
        for at in (k, k + 1):
            value = _PATTERNS[pid][at] | _PATTERNS[pid][at + 1] << 8
            assert not code[value], "pairs must be distinct"
            code[value] = len(pattern_of)
            pattern_of.append(pid)
            offset_of.append(at)
            pairs.append(value)
    return masks, words, code, np.array(pattern_of), np.array(offset_of), pairs


(_PATTERN_MASKS, _PATTERN_WORDS, _PAIR_CODE, _CODE_PATTERN, _CODE_OFFSET, _PAIR_VALUES) = (
    _pattern_tables()
)


_FRONT_PAD, _BACK_PAD = b"\n" * _FRONT, bytes(_BACK)


class Block:
    """Complete lines between padding, with fixed-width copies of their bytes at any
    offset.

    Offsets are those of the lines; the padding only keeps every window inside the
    buffer (newlines before the lines, zeros after them). The pieces (bytes-like) are
    copied once, together."""

    def __init__(self, *pieces):
        self.raw = b"".join((_FRONT_PAD, *pieces, _BACK_PAD))
        self.size = len(self.raw) - _FRONT - _BACK
        self.data = np.frombuffer(self.raw, np.uint8)[_FRONT:]  # lines + trailing zeros
        self._views = {}

    def line(self, start: int, end: int) -> bytes:
        return self.raw[_FRONT + start : _FRONT + end]

    def rows(self, positions: np.ndarray, width: int) -> np.ndarray:
        """(len(positions), width) uint8: the `width` bytes from each position on."""
        view = self._views.get(width)
        if view is None:  # one item of `width` bytes at every offset
            view = np.ndarray((len(self.raw) - width + 1,), f"V{width}", self.raw, 0, (1,))
            self._views[width] = view
        return view[positions + _FRONT].view(np.uint8).reshape(len(positions), width)

    def words(self, positions: np.ndarray) -> np.ndarray:
        """The 8 bytes at each position, as one word."""
        return self.rows(positions, 8).view(U64)[:, 0]

    def seek(self, positions: np.ndarray, stops: bytes, backward: bool = False):
        """(found, distance) to the first byte of `stops` at/after each position (backward:
        before it, 0 = the byte just before). Not found within _WIDTHS -> found False."""
        found = np.zeros(len(positions), bool)
        distance = np.zeros(len(positions), np.int64)
        todo = np.arange(len(positions))
        for width in _WIDTHS:
            at = positions[todo]
            window = self.rows(at - width, width) if backward else self.rows(at, width)
            hit = window == stops[0]
            for byte in stops[1:]:
                hit |= window == byte
            got, column = _last(hit) if backward else _first(hit)
            if backward:
                column = width - 1 - column
            if width == _WIDTHS[0] and got.all():
                return got, column
            found[todo[got]] = True
            distance[todo[got]] = column[got]
            todo = todo[~got]
            if not len(todo):
                break
        return found, distance

    def find(self, size: int, errors_on: bool, known_info, known_bytes):
        """(offsets, pattern ids) of the occurrences of the §1.6 substrings in data[:size].
        known_info/known_bytes: starts of [INFO]/Bytes already known, skipped (this is
        what keeps the candidates few)."""
        count = (size + 1) // 2  # words covering data[:size]
        words = np.frombuffer(self.raw, np.uint16, count, _FRONT)
        brackets = self.data[: 2 * count] == 91  # '['
        brackets[known_info] = False
        hit = brackets.view(np.uint16) != 0
        scratch = np.empty(count, bool)
        for value in _PAIR_VALUES:
            hit |= np.equal(words, value, out=scratch)
        hit[(known_bytes + 1) // 2] = False  # the word holding 'By' or 'yt'
        at = np.flatnonzero(hit)
        code = _PAIR_CODE[words[at]]
        paired = code != 0
        candidates = [at[paired] * 2 - _CODE_OFFSET[code[paired]]]
        kinds = [_CODE_PATTERN[code[paired]]]
        pair_of = brackets.view(np.uint16)[at[~paired]]
        bracket = np.concatenate(
            (at[~paired][pair_of & 0xFF != 0] * 2, at[~paired][pair_of >> 8 != 0] * 2 + 1)
        )
        for kind in (INFO_, ERROR_) if errors_on else (INFO_,):
            candidates.append(bracket)
            kinds.append(np.full(len(bracket), kind))
        candidates = np.concatenate(candidates)
        kinds = np.concatenate(kinds)
        inside = (candidates >= 0) & (candidates < size)
        candidates, kinds = candidates[inside], kinds[inside]
        words = self.rows(candidates, 16).view(U64)
        masks, expected = _PATTERN_MASKS[kinds], _PATTERN_WORDS[kinds]
        ok = (words[:, 0] & masks[:, 0]) == expected[:, 0]
        ok &= (words[:, 1] & masks[:, 1]) == expected[:, 1]
        return candidates[ok], kinds[ok]


# ---------------------------------------------------------------------------------------
# Fields of well-formed INFO lines


def _tx_fields(buf: Block, at: np.ndarray, latency_on: bool):
    """Product and reception time of tx lines whose 'Bytes' starts at `at`, with exactly 4
    spaces before it. Returns (ok, product start, product end, arrival); ok False = not
    the usual shape: the reference decides."""
    # 'Bytes) File ', 'Bytes) Bulletin ', 'Bytes) Message ': S[6] starts right after.
    word = buf.rows(at, 16).view(U64)
    letter = (word[:, 0] >> U64(56)).astype(np.intp)
    skip = _WORD_LENGTH[letter]
    ok = ((word[:, 0] & _LOW7) == _BYTES_CLOSE) & (skip > 0)
    ok &= (word[:, 1] & _WORD_MASK[letter]) == _WORD_REST[letter]
    token = at + skip
    # S[6] ends at the first space or line end. One comparison finds the first control
    # byte or space; a line where that is another byte (a tab...) is left to the reference.
    window = buf.rows(token, _WIDTHS[0])
    found, length = _first(window <= 32)
    ended = _ENDS_TOKEN[_pick(window, length)]
    if not found.all():  # longer than the window
        far = np.flatnonzero(~found)
        ended[far], length[far] = buf.seek(token[far], b" \n")
    ok &= ended
    end = token + length
    # Base name: back from the token end to the last '/', else to the 6th space just before
    # the token (S[6] has no spaces): column 127 - length of `tail` when S[6] fits in it.
    tail = buf.rows(end - 128, 128)
    found, slash = _last(tail == 47)
    before = np.maximum(np.where(found, slash, -1), 127 - length)
    ok &= before >= 0
    arrival = np.zeros(len(at), np.int64)
    if latency_on:
        # S[6].split(":")[6][:14] (the whole token, not its base name) is the token's last
        # 14 bytes when they are digits after a ':' and the token, held in the window, has
        # exactly 6 colons.
        whole = 127 - length
        ok &= (whole >= 0) & (tail[:, 113] == 58)
        colons = (tail == 58) & _AFTER_COLUMN[np.maximum(whole, 0)].view(bool).reshape(len(at), 128)
        colons = np.einsum("ij->i", colons.view(U64))  # per-byte sums, < 256
        ok &= (colons * _ONES >> U64(56)) == 6
        valid, arrival = _clock(tail.view(np.uint16)[:, 56:], _STAMP_LANES)  # bytes 112-127
        ok &= valid & (arrival >= 0)  # times before 1970: left to the reference
    return ok, end - 127 + before, end, arrival


def _rx_fields(buf: Block, ends: np.ndarray):
    """Product of rx lines: after the line's last '/', cut at the first ':' after it.
    Returns (ok, product start, product end)."""
    # Back from the line end to the last '/', else to the previous line's newline.
    found, length = buf.seek(ends, b"/\n", backward=True)
    base = ends - length
    cut, size = buf.seek(base, b":\n")
    return found & cut, base, base + size


class _Sink:
    """Collector stand-in for the reference `scan`: every bucket is this one recorder."""

    def __init__(self, collector):
        self.start, self.end = collector.start, collector.end
        self.interval = collector.interval
        self.stats_types = collector.stats_types
        self.file_type = collector.file_type
        self.times: list[int] = []
        self.products: list[str] = []
        self.values = {"errors": [], "latency": [], "bytecount": []}
        self.buckets = [self] * len(collector.buckets)


# ---------------------------------------------------------------------------------------


def scan_buffer(
    data: bytes, collector, result: ScanResult, columns: list | None = None
) -> int | None:
    """Add the rows of `data` (complete lines, ending with b"\\n") as `scan` would.

    Returns the offset in `data` of the stop line (the first interesting line at or after
    collector.end, whose index then is in result.stop_index), None when there is none.
    `columns`: when given, the rows added are also appended to it as int64 arrays (see
    `_fill`), for statistics computed without reading the Python lists back."""
    return scan_block(Block(data), collector, result, columns) if data else None


def scan_block(
    buf: Block, collector, result: ScanResult, columns: list | None = None
) -> int | None:
    """scan_buffer of the lines held by `buf` (not empty)."""
    start, end = collector.start, collector.end
    stats = collector.stats_types
    errors_on = "errors" in stats
    latency_on = "latency" in stats

    ends = np.flatnonzero(buf.data[: buf.size] == 10)
    count = len(ends)
    starts = np.empty(count, np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1

    # Timestamp prefix 'YYYY-MM-DD HH:MM:SS,': regex + datetime validity; scan needs t >= 0.
    head = buf.rows(starts, _HEAD)
    words = head.view(U64)
    valid, times = _prefix_clock(head, words)
    timed = valid & (times >= 0) & _fits(words[:, 0], _PREFIX[0])
    timed &= _fits(words[:, 1], _PREFIX[1]) & _fits(words[:, 2], _PREFIX[2])

    # Well-formed INFO head: '<prefix>ddd [INFO] (<1-7 digits> Bytes'. The first '(' is then
    # at 31 and the first 'Bytes' right after the digits, so the byte count is those digits.
    ndigits = _digit_run(words[:, 4])
    head_ok = timed & (ndigits > 0) & (ndigits <= _MAX_DIGITS)
    head_ok &= _fits(words[:, 2], _INFO_HEAD[0]) & _fits(words[:, 3], _INFO_HEAD[1])
    head_ok &= _fits(buf.words(starts + 32 + ndigits), _BYTES_WORD)
    fast = np.flatnonzero(head_ok)

    def classify(lines: int):
        """(info, error) per line of the first `lines` (§1.6), by substring search."""
        known = fast[: np.searchsorted(fast, lines)]
        offsets, kinds = buf.find(
            int(ends[lines - 1]) + 1,
            errors_on,
            starts[known] + 24,
            starts[known] + 33 + ndigits[known],
        )
        has = np.zeros((lines, len(_PATTERNS)), bool)
        has[np.searchsorted(ends, offsets), kinds] = True
        shaped = head_ok[:lines]
        info = (
            (shaped | has[:, INFO_])
            & (shaped | has[:, BYTES_])
            & ~(has[:, SEC_] | has[:, SEGMENT_] | has[:, TIMEOUT_])
        )
        return info, ~info & has[:, ERROR_]  # ERROR_ is only searched with errors on

    # The first interesting line at or after the end stops the scan and nothing after it
    # counts: classify just past the first late line first (a catch-up reads past the end).
    late = timed & (times >= end)
    lines = count
    if late.any():
        lines = min(count, int(late.argmax()) + _LOOKAHEAD)
    info, error = classify(lines)
    stopping = (info | error) & late[:lines]
    if not stopping.any() and lines < count:
        lines = count
        info, error = classify(lines)
        stopping = (info | error) & late
    stop = int(stopping.argmax()) if stopping.any() else None
    limit = count if stop is None else stop
    info, error = info[:limit], error[:limit]
    timed_in, times_in = timed[:limit], times[:limit]
    interesting = info | error
    malformed = interesting & ~timed_in
    early = interesting & timed_in & (times_in < start)
    taken = interesting & timed_in & (times_in >= start)
    error_rows = taken & error
    info_rows = taken & info

    # Fields of well-formed INFO lines; the other INFO lines go through the reference.
    latency = np.zeros(limit, np.int64)
    nbytes = np.zeros(limit, np.int64)
    p_start = np.zeros(limit, np.int64)
    p_end = np.zeros(limit, np.int64)
    good = np.zeros(limit, bool)
    todo = np.flatnonzero(info_rows & head_ok[:limit])
    if len(todo):
        # SWAR: drop the bytes after the digits (they become leading zeros), then add
        # digit pairs, quads and octets.
        nd = ndigits[todo]
        v = (words[todo, 4] - _THREES) << (U64(8) * (U64(8) - nd.astype(U64)))
        v = (v * U64(10) + (v >> U64(8))) & U64(0x00FF00FF00FF00FF)
        v = (v * U64(100) + (v >> U64(16))) & U64(0x0000FFFF0000FFFF)
        nbytes[todo] = ((v * U64(10000) + (v >> U64(32))) & U64(0xFFFFFFFF)).astype(np.int64)
        if collector.file_type == "tx":
            # Spaces before 'Bytes': at 10, 23, 30 and just before it.
            ok, ps, pe, arrival = _tx_fields(buf, starts[todo] + 33 + nd, latency_on)
            if latency_on:
                latency[todo] = np.maximum(times[todo] - arrival, 0)
        else:
            ok, ps, pe = _rx_fields(buf, ends[todo])
        good[todo[ok]] = True
        p_start[todo] = ps
        p_end[todo] = pe
    slow = np.flatnonzero(info_rows & ~good)

    # Rows of the reference: {line index: (product, latency, byte count)}, kept as Python
    # objects (a byte count may exceed 64 bits).
    referenced = {}
    bad = []
    if len(slow):
        sink = _Sink(collector)
        probe = ScanResult()
        for index in slow.tolist():
            before = len(sink.times)
            scan((buf.line(starts[index], ends[index]),), sink, probe)
            if len(sink.times) == before:
                bad.append(index)
                continue
            referenced[index] = (
                sink.products[-1],
                sink.values["latency"][-1] if latency_on else 0,
                sink.values["bytecount"][-1],
            )
            good[index] = True
        if probe.stop_index is not None or probe.before_start or probe.rows + len(bad) != len(slow):
            raise AssertionError("fastscan: the reference classifies a line differently")

    result.malformed += int(malformed.sum()) + len(bad)
    if result.first_malformed is None and (bad or malformed.any()):
        first = int(malformed.argmax()) if malformed.any() else limit
        if bad:
            first = min(first, bad[0])
        result.first_malformed = buf.line(starts[first], ends[first])
    result.before_start += int(early.sum())
    # Early lines after the first line at or after the start are out of order (see scan).
    if result.reached_start:
        result.out_of_order += int(early.sum())
    elif taken.any():
        result.out_of_order += int(early[int(taken.argmax()) :].sum())
    result.reached_start = result.reached_start or stop is not None or bool(taken.any())
    rows = np.flatnonzero(error_rows | good)
    if len(rows):
        _fill(
            collector,
            result,
            buf,
            rows,
            times,
            error_rows,
            latency,
            nbytes,
            p_start,
            p_end,
            referenced,
            errors_on,
            latency_on,
            columns,
        )
    if stop is None:
        return None
    result.stop_index = stop
    return int(starts[stop])


def _fill(
    collector,
    result,
    buf,
    rows,
    times,
    error_rows,
    latency,
    nbytes,
    p_start,
    p_end,
    referenced,
    errors_on,
    latency_on,
    columns=None,
) -> None:
    """Append the rows (line indexes, in line order) to their buckets, keeping line order
    inside each bucket. With `columns`, also append {"slots": bucket of each row, stat:
    values} in the same order (None when a value does not fit in int64)."""
    buckets = collector.buckets
    t = times[rows]
    slots = (t - collector.start) // collector.interval
    np.minimum(slots, len(buckets) - 1, out=slots)
    if len(slots) > 1 and (slots[1:] < slots[:-1]).any():
        order = np.argsort(slots, kind="stable")
        rows, slots, t = rows[order], slots[order], t[order]
    text = buf.raw.decode("latin-1")  # offsets in it: _FRONT more
    products = [
        text[a:b]
        for a, b in zip((p_start[rows] + _FRONT).tolist(), (p_end[rows] + _FRONT).tolist())
    ]
    times_list = t.tolist()
    errors_list = error_rows[rows].astype(np.int64).tolist() if errors_on else None
    latency_list = latency[rows].tolist() if latency_on else None
    bytes_list = nbytes[rows].tolist()
    if referenced:
        for position, index in enumerate(rows.tolist()):
            if index in referenced:
                products[position], lag, bytes_list[position] = referenced[index]
                if latency_on:
                    latency_list[position] = lag
    if columns is not None:
        chunk = {"slots": slots}
        if errors_on:
            chunk["errors"] = error_rows[rows].astype(np.int64)
        if latency_on:
            chunk["latency"] = latency[rows]
        if "bytecount" in buckets[0].values:
            chunk["bytecount"] = nbytes[rows]
        if referenced:
            try:
                for position, index in enumerate(rows.tolist()):
                    if index in referenced:
                        if latency_on:
                            chunk["latency"][position] = latency_list[position]
                        if "bytecount" in chunk:
                            chunk["bytecount"][position] = bytes_list[position]
            except OverflowError:
                chunk = None
        columns.append(chunk)
    stat_columns = [
        (name, column)
        for name, column in (
            ("errors", errors_list),
            ("latency", latency_list),
            ("bytecount", bytes_list),
        )
        if name in buckets[0].values
    ]
    cuts = np.flatnonzero(slots[1:] != slots[:-1]) + 1
    bounds = [0, *cuts.tolist(), len(rows)]
    bucket_slots = slots[bounds[:-1]].tolist()
    for slot, a, b in zip(bucket_slots, bounds, bounds[1:]):
        bucket = buckets[slot]
        values = bucket.values
        if bucket.times:  # rows from an earlier block: append
            bucket.times.extend(times_list[a:b])
            bucket.products.extend(products[a:b])
            for name, column in stat_columns:
                values[name].extend(column[a:b])
        else:  # a fresh bucket takes the slices themselves
            bucket.times = times_list[a:b]
            bucket.products = products[a:b]
            for name, column in stat_columns:
                values[name] = column[a:b]
    result.filled.update(bucket_slots)
    result.rows += len(rows)
