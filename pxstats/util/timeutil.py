"""UTC-only time helpers.

Inside the program times are integer seconds since the epoch (UTC); ISO strings
(`YYYY-MM-DD HH:MM:SS`) appear only at the edges: options, file contents, output.
"""

from __future__ import annotations

import calendar
import time
from datetime import datetime, timezone

from dateutil import parser as _dateparser

ISO_FORMAT = "%Y-%m-%d %H:%M:%S"
HOUR = 3600
MINUTE = 60
DAY = 86400


class BadDate(ValueError):
    """A date given by the user that cannot be understood."""


def iso(epoch: int | float) -> str:
    """Epoch seconds -> 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    return time.strftime(ISO_FORMAT, time.gmtime(int(epoch)))


def parse_iso(text: str) -> int:
    """Strict 'YYYY-MM-DD HH:MM:SS' (UTC) -> epoch seconds. Raises BadDate."""
    try:
        return calendar.timegm(time.strptime(text, ISO_FORMAT))
    except (ValueError, TypeError) as exc:
        raise BadDate(f"the date format must be YYYY-MM-DD HH:MM:SS (got {text!r})") from exc


def parse_user_date(text: str) -> int:
    """A date from the command line: ISO first, then anything python-dateutil understands.

    Quotes and repeated blanks are removed. A date without a time of day is refused,
    as in the original (it must say which hour is meant). Naive dates are UTC.
    """
    cleaned = " ".join(text.replace('"', "").replace("'", "").split())
    try:
        return parse_iso(cleaned)
    except BadDate:
        pass
    if not any(ch == ":" for ch in cleaned):
        raise BadDate(f"the date format must be YYYY-MM-DD HH:MM:SS (got {text!r})")
    try:
        parsed = _dateparser.parse(cleaned)
    except (ValueError, OverflowError) as exc:
        raise BadDate(f"the date format must be YYYY-MM-DD HH:MM:SS (got {text!r})") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def now() -> int:
    return int(time.time())


def hour_start(epoch: int) -> int:
    return epoch - epoch % HOUR


def minute_start(epoch: int) -> int:
    return epoch - epoch % MINUTE


def day_start(epoch: int) -> int:
    return epoch - epoch % DAY


def separators(start: int, width: int, interval: int) -> list[int]:
    """Bucket ends after `start`: start+k*interval while below start+width, then start+width.

    A width that is not a multiple of the interval ends with a short bucket; an interval
    larger than the width gives no separator at all (original getSeparatorsWithStartTime).
    """
    if interval <= 0:
        raise ValueError("interval must be positive")
    if interval > width:
        return []
    ends = list(range(start + interval, start + width, interval))
    ends.append(start + width)
    return ends


def yyyymmdd(epoch: int) -> str:
    return time.strftime("%Y%m%d", time.gmtime(epoch))

