"""csvDataFiltersForWebPages: add cost columns, a totals line and a means line to a CSV of
csvDataConversion (spec graphics_web.md §4.7.2), with B-32 fixed: the file is parsed with
the csv module, columns are found in the FILE's language, group rows are recognised by their
name (not by substrings), and a missing value (None) is left out of sums instead of crashing.
The file is replaced atomically."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pxstats import i18n
from pxstats.util import atomic

BYTES_SHARE = 0.40
FILES_SHARE = 0.60
COST_HEADERS = {
    "en": ["cost for bytes", " cost for files", " total cost"],
    "fr": ["cout pour les bytes", " cout pour les fichiers", " cout total"],
}
TOTAL_LINE = "Total ( without groups )"
MEANS_LINE = "Means ( without groups )"


class FilterError(Exception):
    """The file cannot be filtered (one-line message)."""


@dataclass(frozen=True)
class Request:
    file: Path
    cost: float
    groups: tuple[str, ...] = ()


def _number(text: str) -> float | None:
    text = text.strip()
    if text in ("", "None"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _language(header: list[str]) -> str:
    french = i18n.TYPE_NAMES["fr"]["bytecount"]
    return "fr" if any(cell.strip().startswith(french) for cell in header) else "en"


def _column(header: list[str], data_type: str, language: str) -> int | None:
    wanted = f"{i18n.TYPE_NAMES[language][data_type]} total"
    return next((i for i, cell in enumerate(header) if cell.strip() == wanted), None)


def _text(value: float) -> str:
    return str(value)


def filter_text(text: str, cost: float, groups=()) -> str:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if len(rows) < 1 or len(rows[0]) < 2:
        raise FilterError("Specified files does not exist or contains no data.")
    header, lines = rows[0], rows[1:]
    language = _language(header)
    byte_col = _column(header, "bytecount", language)
    file_col = _column(header, "filecount", language)
    group_names = set(groups)

    def is_group(row):
        return row[0].split(" ", 1)[0] in group_names

    def column_sum(index):
        if index is None:
            return 0.0
        return sum(
            v
            for row in lines
            if not is_group(row) and index < len(row)
            for v in [_number(row[index])]
            if v is not None
        )

    byte_sum, file_sum = column_sum(byte_col), column_sum(file_col)
    out_header = header + COST_HEADERS[language]
    out_lines = []
    for row in lines:
        byte_value = _number(row[byte_col]) if byte_col is not None else None
        file_value = _number(row[file_col]) if file_col is not None else None
        byte_cost = (
            byte_value * BYTES_SHARE * cost / byte_sum
            if byte_value is not None and byte_sum
            else 0.0
        )
        file_cost = (
            file_value * FILES_SHARE * cost / file_sum
            if file_value is not None and file_sum
            else 0.0
        )
        out_lines.append(
            row + [_text(byte_cost), " " + _text(file_cost), " " + _text(byte_cost + file_cost)]
        )
    members = [row for row in out_lines if not is_group(row)]
    width = len(out_header)
    sums = []
    for index in range(1, width):
        values = [
            v for row in members if index < len(row) for v in [_number(row[index])] if v is not None
        ]
        sums.append(sum(values))
    total = [TOTAL_LINE] + [
        _text(sums[i - 1])
        if ("total" in out_header[i] or "cost" in out_header[i] or "cout" in out_header[i])
        else ""
        for i in range(1, width)
    ]
    count = len(members)
    means = [MEANS_LINE] + [_text(s / count) if count else "" for s in sums]
    result = [",".join(out_header)] + [",".join(r) for r in out_lines]
    result += [",".join(total), ",".join(means)]
    return "\n".join(result) + "\n"


def run(request: Request) -> Path:
    if request.cost <= 0:
        raise FilterError("You MUST specify a cost value above 0.")
    try:
        text = Path(request.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise FilterError("Specified files does not exist or contains no data.") from None
    atomic.write_text(request.file, filter_text(text, request.cost, request.groups))
    return Path(request.file)
