"""timeutil.parse_iso reads the usual two-digit form itself: it must accept and refuse
exactly what time.strptime did (the reference below), give the same epoch, and keep the
other forms strptime takes (one-digit fields, leap seconds)."""

from __future__ import annotations

import calendar
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pxstats.util import timeutil


def reference(text):
    try:
        return calendar.timegm(time.strptime(text, timeutil.ISO_FORMAT))
    except (ValueError, TypeError):
        return "refused"


def ours(text):
    try:
        return timeutil.parse_iso(text)
    except timeutil.BadDate:
        return "refused"


@given(
    st.tuples(
        st.integers(0, 9999),
        st.integers(0, 14),
        st.integers(0, 33),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 62),
    )
)
def test_two_digit_fields_as_strptime(fields):
    text = "%04d-%02d-%02d %02d:%02d:%02d" % fields
    assert ours(text) == reference(text)


@given(st.text(alphabet="0123456789-: T\n٣", max_size=22))
def test_any_text_as_strptime(text):
    assert ours(text) == reference(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01 00:00:00", 0),
        ("2026-11-20 00:00:00", 1795132800),  # bench/vs_original.py's START
        ("2024-02-29 23:59:59", 1709251199),
        ("2026-1-2 3:4:5", 1767323045),  # strptime's one-digit fields
        ("2026-01-01 23:59:60", 1767312000),  # a leap second: the next minute
        ("2023-02-29 00:00:00", "refused"),
        ("2026-01-01 24:00:00", "refused"),
        ("2026-01-01 00:00:00 ", "refused"),
        ("2026-01-01T00:00:00", "refused"),
    ],
)
def test_known_dates(text, expected):
    assert ours(text) == expected == reference(text)
