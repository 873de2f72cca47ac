"""Every word table and language list of pxStats, once (English and French).

Output texts that belong to one kind of graphic stay with it (gnuplot and rrdtool TEXT
tables); the words several parts share — type names, month names, period folders, the
"All" word, the languages and file types — live here. Data folder names are never
translated (a language switch must not move the data)."""

from __future__ import annotations

LANGUAGES = ("en", "fr")
FILE_TYPES = ("tx", "rx")  # delivery logs of clients, reception logs of sources

# The word that stands for every client, type or product, as outputs write it.
ALL = {"en": "All", "fr": "Tous"}

# Data type names in the output language (spec rrd.md §1.2, graphics_web.md §6.4).
TYPE_NAMES = {
    "en": {t: t for t in ("latency", "filesOverMaxLatency", "bytecount", "filecount", "errors")},
    "fr": {
        "latency": "latence",
        "bytecount": "nbreDeBytes",
        "filecount": "nbreDeFichiers",
        "errors": "erreurs",
        "filesOverMaxLatency": "fichiersAvecLatenceInnacceptable",
    },
}
FROM_FRENCH_TYPES = {french: english for english, french in TYPE_NAMES["fr"].items()}

PERIODS = ("daily", "weekly", "monthly", "yearly")
PERIOD_FOLDERS = {
    "en": {p: p for p in ("daily", "weekly", "monthly", "yearly")},
    "fr": {
        "daily": "journalier",
        "weekly": "hebdomadaire",
        "monthly": "mensuel",
        "yearly": "annuel",
    },
}

# Month names as the original spelt them in archive folder names (no accents: they are paths).
MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "Janvier",
        "Fevrier",
        "Mars",
        "Avril",
        "Mai",
        "Juin",
        "Juillet",
        "Aout",
        "Septembre",
        "Octobre",
        "Novembre",
        "Decembre",
    ),
}


def is_all(word: str) -> bool:
    """`All`/`Tous` in any case: every client, source or type."""
    return word.upper() in ("ALL", "TOUS")


def is_all_products(pattern: str) -> bool:
    """A product pattern that matches every product: All/Tous in any case, `*` or empty."""
    return pattern in ("", "*") or is_all(pattern)
