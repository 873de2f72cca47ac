"""Checks of the option values that several actions' requests share, with the messages of the
original programs, all raising the one request error of the actions
(`pxstats.actions.errors.RequestError`).

A console script turns its arguments into typed options and hands them to its action, which
validates them with these functions; the web request page or the orchestrator can build the
same options without argparse and gets the same checks and messages.
"""

from __future__ import annotations

from pxstats import i18n
from pxstats.actions.errors import RequestError
from pxstats.paths import check_name
from pxstats.rrd.windows import PERIODS
from pxstats.util import timeutil

DATE_FORMAT_ERROR = f"The date format must be {timeutil.DATE_FORMS}"
LANGUAGE_ERROR = (
    "The specified language is not currently supported. Supported languages are : en, fr"
)
FIXED_BOTH_ERROR = "Please use only one of the fixed options, either fixedPrevious or fixedCurrent."

__all__ = [
    "RequestError",
    "all_names",
    "check_language",
    "check_names",
    "date_value",
    "file_type_value",
    "one_period",
]


def one_period(periods) -> str | None:
    """The period asked for (daily, weekly, monthly or yearly), None without one; at most one."""
    chosen = [period for period in PERIODS if period in tuple(periods)]
    if len(chosen) > 1:
        raise RequestError("Only one of the daily, weekly and yearly options can be use at a time")
    return chosen[0] if chosen else None


def date_value(text: str | None) -> int:
    """Epoch of a date option, now when it is None."""
    try:
        return timeutil.parse_user_date(text) if text is not None else timeutil.now()
    except timeutil.BadDate:
        raise RequestError(DATE_FORMAT_ERROR) from None


def file_type_value(text: str) -> str:
    from pxstats.rrd import schema  # here: it loads rrdtool, which collection does not need

    file_type = text.strip()
    if file_type not in schema.DATA_TYPES:
        raise RequestError(
            f"File type must be either tx or rx. Specified file type was : {file_type}"
        )
    return file_type


def check_language(language: str) -> str:
    if language not in i18n.LANGUAGES:
        raise RequestError(LANGUAGE_ERROR)
    return language


def check_names(kind: str, names) -> None:
    """paths.check_name for each name (they become file names)."""
    try:
        for name in names:
            check_name(kind, name)
    except ValueError as exc:
        raise RequestError(str(exc)) from None


def all_names(names) -> bool:
    """No name, or the All word first: every client/source."""
    names = tuple(names)
    return not names or i18n.is_all(names[0])
