"""Realistic Sundew tx/rx log lines, for the demo and the benchmarks (spec collection.md §1).

Everything is deterministic for a given seed: callers pass a `random.Random`, or a seed to the
file writers. Times are epoch seconds (UTC); lines are bytes ending with b"\\n", in time order
(the prefixed lines of one event share its timestamp; unprefixed traceback lines and blank
lines follow the record that caused them).

What a log holds:
  tx: exactly rate x hours deliveries: T1 FTP files 45%, T2 bulletins 33%, T3 segmented 5%
      (after their `Bulletin Segment number i sent` lines), T4 `(lat=..,speed=..)` 12%,
      T5 AMQP messages 5%; plus 13 noise events per 100 deliveries (Speed, SEND TIMEOUT,
      `N new bulletins will be sent`, segmentation notices, blank lines, and errors: ~3% of
      the deliveries, a third of them followed by a traceback).
  rx: exactly rate x hours R1 ingestions, most followed by `Queued for: ...`; noise and
      errors in the same proportions.
Reception times (7th field of the ingest name) lie 0-8 s before the log time, sometimes 16-60 s
(a latency over 15 s), occasionally 2-15 min. About one product in 500 has a Latin-1 `é` in its
name, i.e. a byte that is not valid UTF-8.

The hot path (the bench day: 120 000 lines) avoids random.randint/choice, str.format and
time.strftime per line; time strings come from per-second tables.
"""

from __future__ import annotations

import functools
import random
import re
import time
from operator import itemgetter
from pathlib import Path

from pxstats.util import atomic
from pxstats.util.timeutil import DAY, HOUR

ROTATED_KEPT = 5  # Sundew: TimedRotatingFileHandler(when='midnight', backupCount=5)
PX = "/apps/px"
NOISE_RATIO = 0.13  # noise events per delivery

# Product catalogue: (name prefix, time slice of YYYYMMDDHHMMSS, name suffix, originSystem,
# originSite, dataType, priority, kind). name = prefix + stamp[slice] + suffix, plus
# "___<seq>" for bulletins. T1 (FTP) senders send anything; T2-T5 senders only bulletins.
_BULLETINS = [
    ("SACN{ii}_CWAO_", (6, 12), "", "ncp1", "CWAO", "SA", "3", "bulletin"),
    ("SMCN{ii}_CWAO_", (6, 12), "", "ncp1", "CWAO", "SM", "3", "bulletin"),
    ("FTCN{ii}_CWUL_", (6, 12), "", "ncp2", "CWUL", "FT", "2", "bulletin"),
    ("WWCN{ii}_CWTO_", (6, 12), "", "ncp2", "CWTO", "WW", "1", "bulletin"),
    ("SXCN{ii}_CWAO_", (6, 12), "", "ncp1", "CWAO", "SX", "4", "bulletin"),
]
_FILES = [
    ("WXO_RADAR_{site}_", (0, 12), ".gif", "pull", "CMC", "RADAR", "5", "file"),
    ("WKR_RADAR_", (0, 12), "_CAPPI.gif", "cmc-radar", "CMC", "RADAR", "5", "file"),
    ("CMC_reg_TMP_ISBL_500_ps15km_", (0, 8), "00_P0{ii}.grib", "cmc", "CWAO", "GRIB", "5", "file"),
    ("GOES_IR_", (0, 12), ".jpg", "satnet", "CWAO", "SAT", "4", "file"),
    ("citypage_{site}_", (0, 12), ".xml", "wxo", "CWAO", "XML", "4", "file"),
]
_LATIN1 = ("bulletin_m\xe9t\xe9o_{site}_", (0, 12), ".txt", "wxo", "CWAO", "TXT", "4", "file")
_SITES = ["WKR", "XFT", "WGJ", "XSM", "WUJ", "XME"]
_HOSTS = ["ftp.weather.example.ca", "ingest.example.org", "10.1.2.3", "gateway.example.net"]
_DEST_DIRS = ["/pub/incoming", "/data/px", "/apps/in", "/home/feed/drop"]
_OTHER_CLIENTS = ["satnet", "weather", "amis", "nws-alerts", "urp", "wxo-b1", "cmc-ops"]
# Delivery delays (seconds) drawn uniformly from this table: 85% 0-8 s, 12% 16-60 s, 3% 2-15 min.
_DELAYS = [d % 9 for d in range(85)] + [16 + 4 * d for d in range(12)] + [120, 400, 900]

_TX_ERRORS = [
    "Type: socket.error, Value: (32, 'Broken pipe')",
    "Unable to deliver to {dest}, Type: socket.error, Value: (111, 'Connection refused')",
    "Unable to segment and send {txq}3/{hour}/SXCN99_CWAO:ncp1:CWAO:SX:3:Direct:{stamp} ! "
    "Reason : type GRIB, Size: 500000",
    "Type: ftplib.error_perm, Value: 553 Could not create file.",
]
_RX_ERRORS = [
    "Unable to link {PX}/rxq/{name}/SACN31_CWAO_{ddhhmm} {PX}/db/{day}/SA/{name}/CWAO/"
    "SACN31_CWAO_{ddhhmm}, Type: exceptions.OSError, Value: [Errno 17] File exists",
    "Type: socket.error, Value: (104, 'Connection reset by peer')",
    "Unable to read {PX}/rxq/{name}/SMCN37_CWAO_{ddhhmm}, Type: exceptions.IOError, "
    "Value: [Errno 2] No such file or directory",
]
_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/apps/px/lib/{module}.py", line {line}, in {func}\n'
    "    self.{func}(file)\n"
    "IOError: [Errno 32] Broken pipe"
)


@functools.cache
def _second_tables():
    """'HH:MM:SS' and 'HHMMSS' of every second of a day, and '000'..'999' (built by concatenation:
    cheap, where 172 800 formatted strings would not be)."""
    two = [f"{i:02d}" for i in range(60)]
    hh_mm = [h + ":" + m for h in two[:24] for m in two]
    hhmm = [h + m for h in two[:24] for m in two]
    return (
        [hm + ":" + s for hm in hh_mm for s in two],
        [hm + s for hm in hhmm for s in two],
        [f"{i:03d}" for i in range(1000)],
    )


class _Clock:
    """Time strings of epoch seconds: 'YYYY-MM-DD HH:MM:SS' and 'YYYYMMDDHHMMSS'."""

    def __init__(self):
        self._hms, self._hms_compact, self.milli = _second_tables()
        self._day = None

    def _set_day(self, day: int) -> None:
        date = time.strftime("%Y-%m-%d", time.gmtime(day * DAY))
        self._day, self._date, self._date_compact = day, date + " ", date.replace("-", "")

    def iso(self, sec: int) -> str:
        day, second = divmod(sec, DAY)
        if day != self._day:
            self._set_day(day)
        return self._date + self._hms[second]

    def compact(self, sec: int) -> str:
        day, second = divmod(sec, DAY)
        if day != self._day:
            self._set_day(day)
        return self._date_compact + self._hms_compact[second]


class _Product:
    """A catalogue entry as one log sends it: name = prefix + stamp[a:b] + suffix (+ "___<seq>"
    for bulletins), ingest name = name + tail + stamp."""

    __slots__ = ("prefix", "a", "b", "suffix", "bulletin", "priority", "site", "dtype", "tail")

    def __init__(self, entry, rng: random.Random, origin: str | None):
        prefix, (self.a, self.b), suffix, system, self.site, self.dtype, self.priority, kind = entry
        ii = f"{1 + int(rng.random() * 98):02d}"
        self.prefix = prefix.format(ii=ii, site=_SITES[int(rng.random() * len(_SITES))])
        self.suffix = suffix.format(ii=ii)
        self.bulletin = kind == "bulletin"
        self.tail = f":{origin or system}:{self.site}:{self.dtype}:{self.priority}:Direct:"


class SampleLog:
    """Writes the events of one tx or rx log. Each event method takes the line prefix
    ('YYYY-MM-DD HH:MM:SS,mmm ') and the second, and returns one line (str) or a list of lines."""

    def __init__(
        self,
        name: str,
        rng: random.Random,
        file_type: str = "tx",
        odd_bytes: bool = True,
        tracebacks: bool = True,
    ):
        self.name, self.rng, self.random = name, rng, rng.random
        self.odd_bytes, self.tracebacks = odd_bytes, tracebacks
        self.clock = _Clock()
        self.seq = 0
        user = re.sub(r"[^a-z0-9]", "", name.lower()) or "px"
        self.txq = f"{PX}/txq/{name}/"
        self.destinations = [f"ftp://{user}@{h}/{d}/" for h in _HOSTS for d in _DEST_DIRS]
        # Four variants (header number, site) of every catalogue entry, fixed for this log;
        # an rx source is the origin system of what it ingests.
        origin = name if file_type == "rx" else None
        self.bulletins = [_Product(e, rng, origin) for e in _BULLETINS for _ in range(4)]
        self.products = self.bulletins + [
            _Product(e, rng, origin) for e in _FILES for _ in range(4)
        ]
        self.latin1 = _Product(_LATIN1, rng, origin)

    def _int(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def _pick(self, items):
        return items[int(self.random() * len(items))]

    def _product(self, received: int, catalogue):
        """(product, name, ingest name, YYYYMMDDHHMMSS) of a product received at `received`."""
        if self.odd_bytes and self.random() < 0.002:
            product = self.latin1
        else:
            product = catalogue[int(self.random() * len(catalogue))]
        stamp = self.clock.compact(received)
        name = product.prefix + stamp[product.a : product.b] + product.suffix
        if product.bulletin:
            self.seq += 1
            name += f"___{self.seq % 100000:05d}"
        return product, name, name + product.tail + stamp, stamp

    def _size(self, product: _Product) -> int:
        """Bulletins 80 B-4 KB, files log-uniform 1 KB-300 KB."""
        if product.bulletin:
            return 80 + int(self.random() * 3920)
        return int(1000 * 300 ** self.random())

    # -- tx ---------------------------------------------------------------------------------
    def t1(self, p, sec):
        product, name, ingest, stamp = self._product(sec - self._pick(_DELAYS), self.products)
        return (
            f"{p}[INFO] ({self._size(product)} Bytes) File {self.txq}{product.priority}/"
            f"{stamp[:10]}/{ingest} delivered to {self._pick(self.destinations)}{name}"
        )

    def t2(self, p, sec):
        product, _name, ingest, _stamp = self._product(sec - self._pick(_DELAYS), self.bulletins)
        return f"{p}[INFO] ({self._size(product)} Bytes) Bulletin {ingest}  delivered"

    def t3(self, p, sec):
        _product, _name, ingest, _stamp = self._product(sec - self._pick(_DELAYS), self.bulletins)
        parts, size = self._int(2, 4), self._int(4000, 30000)
        lines = [
            f"{p}[INFO] ({size // parts} Bytes) Bulletin Segment number {i} sent"
            for i in range(1, parts + 1)
        ]
        lines.append(
            f"{p}[INFO] ({size} Bytes) Bulletin {ingest}  delivered segmented in {parts} parts"
        )
        return lines

    def t4(self, p, sec):
        delay = self._pick(_DELAYS)
        product, _name, ingest, _stamp = self._product(sec - delay, self.bulletins)
        size, latency = self._size(product), delay + self.random()
        return (
            f"{p}[INFO] ({size} Bytes) Bulletin {ingest}  delivered "
            f"(lat={latency:f},speed={size / max(latency, 0.001):f})"
        )

    def t5(self, p, sec):
        product, _name, ingest, _stamp = self._product(sec - self._pick(_DELAYS), self.bulletins)
        return f"{p}[INFO] ({self._size(product)} Bytes) Message {ingest}  delivered"

    def speed(self, p, sec):
        return f"{p}[INFO] Speed = {self._int(2000, 900000)} Bytes/sec"

    def new_bulletins(self, p, sec):
        return f"{p}[INFO] {self._int(1, 40)} new bulletins will be sent"

    def timeout(self, p, sec):
        product, _name, ingest, stamp = self._product(sec - self._pick(_DELAYS), self.products)
        return (
            f"{p}[WARNING] SEND TIMEOUT ({self._int(1000, 90000)} Bytes) File {self.txq}"
            f"{product.priority}/{stamp[:10]}/{ingest} going to "
            f"{self._pick(self.destinations)}"
        )

    def segmented(self, p, sec):
        return (
            f"{p}[INFO] Bulletin {self.txq}3/{self.clock.compact(sec)[:10]}/"
            f"SXCN{self._int(10, 99)}_CWAO segmented in {self._int(2, 5)} parts"
        )

    def blank(self, p, sec):
        return ""

    def tx_error(self, p, sec):
        stamp = self.clock.compact(sec)
        text = self._pick(_TX_ERRORS).format(
            dest=self._pick(self.destinations), txq=self.txq, hour=stamp[:10], stamp=stamp
        )
        return self._with_traceback(f"{p}[ERROR] {text}", "SenderFTP", "send")

    def _with_traceback(self, line, module, func):
        if self.tracebacks and self.random() < 0.3:
            trace = _TRACEBACK.format(module=module, func=func, line=self._int(40, 600))
            return [line] + trace.split("\n")
        return line

    # -- rx ---------------------------------------------------------------------------------
    def r1(self, p, sec):
        received = sec - 1 if self.random() < 0.2 else sec
        product, _name, ingest, stamp = self._product(received, self.products)
        line = (
            f"{p}[INFO] ({self._size(product)} Bytes) Ingested in DB as {PX}/db/{stamp[:8]}/"
            f"{product.dtype}/{self.name}/{product.site}/{ingest}"
        )
        if self.random() < 0.6:
            clients = self.rng.sample(_OTHER_CLIENTS, self._int(1, 4))
            return [line, f"{p}[INFO] Queued for: {' '.join(clients)}"]
        return line

    def bad_name(self, p, sec):
        return f"{p}[WARNING] Bad ingest name (junk) => No dbName"

    def new_files(self, p, sec):
        return f"{p}[INFO] {self._int(1, 40)} new files will be ingested"

    def rx_error(self, p, sec):
        stamp = self.clock.compact(sec)
        text = self._pick(_RX_ERRORS).format(
            PX=PX, name=self.name, day=stamp[:8], ddhhmm=stamp[6:12]
        )
        return self._with_traceback(f"{p}[ERROR] {text}", "Ingestor", "ingest")


# Event tables: (method name, weight).
_TX_DELIVERIES = [("t1", 45), ("t2", 33), ("t3", 5), ("t4", 12), ("t5", 5)]
_TX_NOISE = [
    ("speed", 30),
    ("new_bulletins", 30),
    ("timeout", 8),
    ("segmented", 5),
    ("blank", 4),
    ("tx_error", 23),
]
_RX_DELIVERIES = [("r1", 1)]
_RX_NOISE = [("new_files", 40), ("bad_name", 25), ("blank", 5), ("rx_error", 30)]
# The bench day: one line per event; 92% T1/T2(/T4) deliveries, 3% errors, 5% other noise.


def event_lines(log: SampleLog, start: int, end: int, n_main: int, main, n_noise: int, noise):
    """Lines (str, with newline) of n_main + n_noise events at random milliseconds of
    [start, end). They are encoded in Latin-1, so that 'é' becomes one non-UTF-8 byte."""
    rng, random_ = log.rng, log.random
    low, span = start * 1000, (end - start) * 1000
    events = []
    for count, table in ((n_main, main), (n_noise, noise)):
        if count > 0:
            methods = [getattr(log, name) for name, _w in table]
            chosen = rng.choices(methods, [w for _n, w in table], k=count)
            events += [(low + int(random_() * span), method) for method in chosen]
    events.sort(key=itemgetter(0))
    clock, milli = log.clock, log.clock.milli
    for ms, method in events:
        sec = ms // 1000
        out = method(f"{clock.iso(sec)},{milli[ms - sec * 1000]} ", sec)
        if type(out) is str:
            yield out + "\n"
        else:
            for line in out:
                yield line + "\n"


_TABLES = {"tx": (_TX_DELIVERIES, _TX_NOISE), "rx": (_RX_DELIVERIES, _RX_NOISE)}


def _log_lines(log: SampleLog, file_type: str, start: int, end: int, rate_per_hour: float):
    n = round(rate_per_hour * (end - start) / HOUR) if end > start else 0
    deliveries, noise = _TABLES[file_type]
    return event_lines(log, start, end, n, deliveries, round(n * NOISE_RATIO), noise)


def _encoded(lines):
    return (line.encode("latin-1") for line in lines)


def tx_lines(client: str, start: int, end: int, rate_per_hour: float, rng: random.Random):
    """Lines (bytes) of `tx_<client>.log` for [start, end), in time order: exactly
    round(rate_per_hour * hours) deliveries (T1-T5), plus noise and errors."""
    return _encoded(_log_lines(SampleLog(client, rng, "tx"), "tx", start, end, rate_per_hour))


def rx_lines(source: str, start: int, end: int, rate_per_hour: float, rng: random.Random):
    """Lines (bytes) of `rx_<source>.log` for [start, end), in time order: exactly
    round(rate_per_hour * hours) R1 ingestions, plus `Queued for`, noise and errors."""
    return _encoded(_log_lines(SampleLog(source, rng, "rx"), "rx", start, end, rate_per_hour))


def rotated_name(file_type: str, name: str, day: int) -> str:
    """`<ft>_<name>.log.YYYY-MM-DD` for the UTC day holding epoch `day`."""
    return f"{file_type}_{name}.log.{time.strftime('%Y-%m-%d', time.gmtime(day))}"


def write_logs(
    folder,
    file_type: str,
    name: str,
    start: int,
    end: int,
    rate_per_hour: float,
    seed: int | str = 1,
) -> list[tuple[Path, int]]:
    """Write the logs Sundew would leave in `folder` for [start, end): the last day in
    `<ft>_<name>.log`, each earlier day in `<ft>_<name>.log.YYYY-MM-DD` (UTC midnight
    rotation). As with the handler's backupCount, at most 5 rotated files: earlier days are not
    written, and other rotated files of this log already in the folder are removed.
    Files are written atomically. Returns [(path, number of lines)], oldest first."""
    if file_type not in ("tx", "rx"):
        raise ValueError(f"file type must be tx or rx, not {file_type!r}")
    if end <= start:
        raise ValueError("end must be after start")
    folder = Path(folder)
    last_day = (end - 1) - (end - 1) % DAY
    first_day = max(start - start % DAY, last_day - ROTATED_KEPT * DAY)
    log = SampleLog(name, random.Random(seed), file_type)  # same products and sequence every day
    written = []
    for day in range(first_day, last_day + 1, DAY):
        first, last = max(start, day), min(end, day + DAY)
        text = "".join(_log_lines(log, file_type, first, last, rate_per_hour))
        path = folder / (
            f"{file_type}_{name}.log" if day == last_day else rotated_name(file_type, name, day)
        )
        atomic.write_bytes(path, text.encode("latin-1"))
        written.append((path, text.count("\n")))
    keep = {path.name for path, _n in written}
    rotated = re.compile(re.escape(f"{file_type}_{name}.log.") + r"\d{4}-\d\d-\d\d")
    for old in folder.iterdir():
        if rotated.fullmatch(old.name) and old.name not in keep:
            old.unlink()
    return written
