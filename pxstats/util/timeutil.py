"""UTC-only time helpers.

Inside the program times are integer seconds since the epoch (UTC); ISO strings
(`YYYY-MM-DD HH:MM:SS`) appear only at the edges: options, file contents, output.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import datetime, timezone

ISO_FORMAT = "%Y-%m-%d %H:%M:%S"
HOUR = 3600
MINUTE = 60
DAY = 86400


class BadDate(ValueError):
    """A date given by the user that cannot be understood."""


def iso(epoch: int | float) -> str:
    """Epoch seconds -> 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    return time.strftime(ISO_FORMAT, time.gmtime(int(epoch)))


_CANONICAL_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):([0-5]\d)")


def parse_iso(text: str) -> int:
    """Strict 'YYYY-MM-DD HH:MM:SS' (UTC) -> epoch seconds. Raises BadDate.

    What time.strptime(text, ISO_FORMAT) accepts (it also takes one-digit fields and leap
    seconds); the usual form, two digits a field, is read without it: strptime costs more
    than the rest of reading a time file, and its module more than that at start-up."""
    match = _CANONICAL_ISO.fullmatch(text) if isinstance(text, str) else None
    try:
        if match is not None:  # datetime refuses the days and hours strptime refuses
            return int(datetime(*map(int, match.groups()), tzinfo=timezone.utc).timestamp())
        return calendar.timegm(time.strptime(text, ISO_FORMAT))
    except (ValueError, TypeError) as exc:
        raise BadDate(f"the date format must be YYYY-MM-DD HH:MM:SS (got {text!r})") from exc


# The forms every command accepts for a date (UTC), named in every refusal.
DATE_FORMS = (
    "YYYY-MM-DD HH:MM:SS, also YYYY-MM-DD, YYYY-MM-DD HH or YYYY-MM-DD HH:MM, T for the space"
)
_USER_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2})(?::(\d{2})(?::(\d{2}))?)?)?")


def parse_user_date(text: str) -> int:
    """A date from the command line or the configuration, in one of the ISO forms of
    DATE_FORMS (UTC); missing fields are 0. Quotes around it and repeated spaces are
    removed (crontabs quote dates); anything else — other orders, names of months, time
    zones, trailing text, control characters — is refused with BadDate, so that an
    ambiguous date (04/12/2026) can never be read the wrong way."""
    cleaned = re.sub(" +", " ", text.replace('"', "").replace("'", "").strip(" "))
    match = _USER_DATE.fullmatch(cleaned)
    if match is None:
        raise BadDate(f"the date must be {DATE_FORMS} (got {text!r})")
    fields = [int(f) if f else 0 for f in match.groups()]
    try:
        moment = datetime(*fields, tzinfo=timezone.utc)
    except ValueError as exc:
        raise BadDate(f"the date must be {DATE_FORMS} (got {text!r}: {exc})") from None
    if moment.year < 1970:
        raise BadDate(f"dates before 1970 are not supported (got {text!r})")
    return calendar.timegm(moment.utctimetuple())


FUTURE_SKEW = 300  # seconds a date may lie ahead of this host's clock (clocks drift)


def not_in_future(epoch: int, what: str = "the date", current: int | None = None) -> int:
    """`epoch`, unless it lies ahead of now (beyond the skew): BadDate."""
    current = now() if current is None else current
    if epoch > current + FUTURE_SKEW:
        raise BadDate(f"{what} {iso(epoch)} is in the future (now: {iso(current)} UTC)")
    return epoch


def collection_end(end: int, what: str = "the date", current: int | None = None) -> int:
    """The end of a collection: `end`, unless it lies past the end of the current hour
    (BadDate). Collecting hours that have not happened writes them empty and moves the
    time of update past them, so they are never collected; a date in the current hour is
    still accepted (cron jobs and replays name the coming hour boundary)."""
    current = now() if current is None else current
    if end > hour_start(current) + HOUR + FUTURE_SKEW:
        raise BadDate(f"{what} {iso(end)} is in the future (now: {iso(current)} UTC)")
    return end


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
