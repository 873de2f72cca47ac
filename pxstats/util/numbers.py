"""Numbers printed as the original printed them: Python 2's `str()` of a float.

The original wrote figures into gnuplot texts and CSV cells with `str(value)`, which in
Python 2 gives 12 significant digits (`'%.12g'`) and keeps a `.0` on an integral float;
Python 3's `str()` gives the shortest round-trip form (17 digits at most), so 3421.5 summed
in floating point reads `3421.5000000000005` instead of the original's `3421.5`."""

from __future__ import annotations


def py2_str(value) -> str:
    """Python 2 `str()` of a number: 12 significant digits (`'%.12g'`), `.0` added to an
    integral float (`15000.0`), and, because that `.0` would make a 13th digit, the
    exponent form from 12 digits before the point on (`1.23456789012e+11`, `1e+16`); `inf`
    and `nan` as they are; ints and None as `str()` gives them."""
    if value is None or isinstance(value, int):
        return str(value)
    text = "%.12g" % value
    if "e" in text:
        return _tie_kept_zeros(value) or text
    if text.lstrip("-") in ("inf", "nan"):
        return text
    if len(text.lstrip("-").split(".")[0]) >= 12:
        mantissa, exponent = ("%.11e" % value).split("e")
        return mantissa.rstrip("0").rstrip(".") + "e" + exponent
    return text if "." in text else text + ".0"


def _tie_kept_zeros(value: float) -> str | None:
    """Python 2's dtoa kept the trailing zeros of the 12 digits when an integral float below
    1e15 with more digits was rounded down on an exact tie (str(1000000000005.0) is
    '1.00000000000e+12', str(1000000000004.0) '1e+12'); None for any other value."""
    if value != value or abs(value) >= 1e15 or value != int(value):
        return None
    digits = str(abs(int(value)))
    if len(digits) <= 12:
        return None
    unit = 10 ** (len(digits) - 12)
    kept, rest = divmod(abs(int(value)), unit)
    if 2 * rest != unit or kept % 2:
        return None
    kept_digits = str(kept)
    sign = "-" if value < 0 else ""
    return f"{sign}{kept_digits[0]}.{kept_digits[1:]}e+{len(digits) - 1:02d}"
