"""Legend figures of the RRD graphics: computation from the fetched rows and formatting
(spec rrd.md §3.7, §3.8).

Figures are computed with the INTENDED definition of the original's
`getGraphicsMinMaxMeanTotal` rather than its loop:

* a *point* is a group of k consecutive rows (k = plot interval / row step, at least 1),
  grouped exactly as `rrdtool graph --step <p*60>` consolidates them: groups aligned on
  multiples of p minutes since the epoch, a group reaching outside the window left out
  (rrdtool draws it unknown), so the legend describes the points drawn (its max is the
  tallest bar);
* a point's value is the mean of the known rows of its group; a group whose rows are all
  unknown is skipped (it is a gap in the curve, not a zero);
* min and max are over the points, the mean is over the known points, and
  total = sum of points x the minutes a point covers (= the plot interval p, so the total
  is the number of files/bytes/errors of the window, values being per minute).

The legacy loop skipped row 0 (and row 1 when k = 1), counted its groups from the window
start (not on rrdtool's boundaries: a window starting at 02:33 gave groups 02:33-02:43 while
rrdtool drew 02:30-02:40), divided a partially unknown group by k instead of by its known
rows, and divided the sum by a count that still included the skipped rows; figures may
therefore differ from the original's by about one point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    """Min, max, mean (per minute) and total of a graphic; None when there is no data."""

    min: float | None
    max: float | None
    mean: float | None
    total: float | None

    @classmethod
    def empty(cls) -> "Figures":
        return cls(None, None, None, None)


@dataclass(frozen=True)
class Formatted:
    min: str
    max: str
    mean: str
    total: str


def figures_from_rows(
    first: int, step: int, values, start: int, end: int, plot_minutes: int
) -> Figures:
    """Figures of the rows a fetch returned.

    `first`, `step`, `values`: the binding's answer, row i covering
    (first + i*step, first + (i+1)*step]. With one row per point, the rows overlapping
    [start, end) are the points; with k rows per point, the groups of k rows aligned on
    multiples of k*step seconds (rrdtool's consolidation for `graph --step`) that lie
    entirely within [start, end)."""
    if step <= 0:
        return Figures.empty()
    k = max(1, round(plot_minutes * 60 / step))
    width = k * step / 60  # minutes covered by one point (= p)
    points = []
    if k == 1:
        # rows i with first + i*step < end and first + (i+1)*step > start
        rows = values[max(0, (start - first) // step) : max(0, -(-(end - first) // step))]
        points = [v for v in rows if v is not None]
    else:
        span = k * step
        low = -(-start // span) * span  # first group boundary in the window
        for group_start in range(low, end - span + 1, span):
            i = (group_start - first) // step
            if i + k <= 0 or i >= len(values):
                continue
            known = [v for v in values[max(0, i) : i + k] if v is not None]
            if known:
                points.append(sum(known) / len(known))
    if not points:
        return Figures.empty()
    total = sum(points) * width
    return Figures(min(points), max(points), sum(points) / len(points), total)


# -- words ----------------------------------------------------------------------------------------

TAGS = {
    "en": {"filecount": "Files", "filesOverMaxLatency": "F", "errors": "Errors", "latency": "Avg"},
    "fr": {
        "filecount": "Fichiers",
        "filesOverMaxLatency": "F",
        "errors": "Erreurs",
        "latency": "Moy",
    },
}
TOTAL_TAGS = {
    "en": {"filesOverMaxLatency": "Files"},
    "fr": {"filesOverMaxLatency": "Fichiers"},
}
NO_DATA = {"en": "n/a", "fr": "n/d"}

WORDS = {
    "en": {
        "min": "Min",
        "max": "Max",
        "mean": "Mean",
        "total": "Total",
        "notes": "Note(s):",
        "kilo": "k on the y axis stands for kilo, meaning x thousands.",
        "mega": "M on the y axis stands for Mega, meaning x millions.",
        "giga": "G on the y axis stands for giga, meaning x billions.",
        "milli": "m on the y axis stands for milli, meaning x thousandths.",
        "minutes": "Graphics generated using {n} minute(s) averages.",
        "hours": "Graphics generated using {n} hour(s) averages.",
    },
    "fr": {
        "min": "Min",
        "max": "Max",
        "mean": "Moyenne",
        "total": "Total",
        "notes": "Note(s):",
        # The original's catalogue (lang/fr/lib/RRDGraphicProducer), its spelling corrected
        # ("cree", "ségnifie", "mili,donc", "minutes(s)", missing final stops).
        "kilo": "k sur l'axe des y signifie kilo, donc x milliers.",
        "mega": "M sur l'axe des y signifie Mega, donc x millions.",
        "giga": "G sur l'axe des y signifie giga, donc x milliards.",
        "milli": "m sur l'axe des y signifie milli, donc x millièmes.",
        "minutes": "Graphiques créés en utilisant la moyenne de {n} minute(s).",
        "hours": "Graphiques créés en utilisant la moyenne de {n} heure(s).",
    },
}

_BYTE_UNITS = (
    (1e9, "GB/Min", "GigaBytes"),
    (1e6, "MB/Min", "MegaBytes"),
    (1e3, "KB/Min", "kiloBytes"),
)


def _bytes(value: float | None, total: bool, language: str) -> str:
    if value is None:
        return NO_DATA[language]
    for limit, rate_unit, total_unit in _BYTE_UNITS:
        if value >= limit:
            return "%.2f %s" % (value / limit, total_unit if total else rate_unit)
    return "%d %s" % (int(value), "Bytes" if total else "B/Min")


def _rate(value: float | None, tag: str, language: str) -> str:
    if value is None:
        return NO_DATA[language]
    return ("%.2f %s/Min" if value > 1 else "%.4f %s/Min") % (value, tag)


def format_figures(data_type: str, figures: Figures, language: str = "en") -> Formatted:
    """Texts of the four figures (spec §3.8); missing figures read n/a (fr n/d), not None."""
    if data_type == "bytecount":
        return Formatted(
            _bytes(figures.min, False, language),
            _bytes(figures.max, False, language),
            _bytes(figures.mean, False, language),
            _bytes(figures.total, True, language),
        )
    tag = TAGS[language][data_type]
    total_tag = TOTAL_TAGS[language].get(data_type, tag)
    total = (
        NO_DATA[language] if figures.total is None else "%d %s" % (int(figures.total), total_tag)
    )
    return Formatted(
        _rate(figures.min, tag, language),
        _rate(figures.max, tag, language),
        _rate(figures.mean, tag, language),
        total,
    )


_LEADING_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)")


def y_axis_note(formatted_max: str, language: str = "en") -> str:
    """What the SI prefix on the y axis means, judged from the formatted maximum.

    A maximum of exactly 0 gets no note (the original announced 'milli' for an empty graph)."""
    words = WORDS[language]
    if "KB" in formatted_max:
        return words["kilo"]
    if "MB" in formatted_max:
        return words["mega"]
    if "GB" in formatted_max:
        return words["giga"]
    match = _LEADING_NUMBER.match(formatted_max)
    if not match:
        return ""
    value = float(match.group(1))
    if value > 1e9:
        return words["giga"]
    if value > 1e6:
        return words["mega"]
    if value > 1000:
        return words["kilo"]
    if 0 < value < 0.1:
        return words["milli"]
    return ""


def interval_note(data_type: str, plot_minutes: int, language: str = "en") -> str:
    """'Graphics generated using <p> minute(s) averages.' — not shown for latency."""
    if data_type == "latency":
        return ""
    words = WORDS[language]
    if plot_minutes < 60:
        return words["minutes"].format(n=plot_minutes)
    return words["hours"].format(n=plot_minutes // 60)


def comment_texts(
    data_type: str, formatted: Formatted, plot_minutes: int, language: str = "en"
) -> tuple[str, str]:
    """The two legend lines, unescaped: figures, then notes (both end with rrdtool's \\c)."""
    words = WORDS[language]
    total = "" if data_type == "latency" else f"{words['total']}: {formatted.total}"
    figures = (
        f" {words['min']}: {formatted.min}   {words['max']}: {formatted.max}   "
        f"{words['mean']}: {formatted.mean}   {total}\\c"
    )
    note_interval = interval_note(data_type, plot_minutes, language)
    note_y = y_axis_note(formatted.max, language)
    head = words["notes"] if (note_interval or note_y) else ""
    notes = f"{head} {note_interval} {note_y}\\c"
    return figures, notes
