"""The manual page of a console script must say exactly what its --help says.

The OPTIONS section of a page is a list of ``.TP`` entries, ended by the next ``.SH`` (or by a
``.PP`` closing the list). Each entry is keyed by its tag line and its body is the help text:

* an option: the tag holds its option strings in bold, then its metavar in italics, e.g.
  ``\\fB\\-c\\fR, \\fB\\-\\-clients\\fR \\fICLIENTS\\fR``; it is keyed by the set of its option strings;
* a positional argument: the tag is its name alone, in italics, exactly as --help shows it
  (its metavar, else its dest), e.g. ``\\fIDATE\\fR``; it is keyed by that name.

Positional arguments are documented in the OPTIONS section, like the options (no ARGUMENTS
section). The help texts are compared with what --help prints (``%(default)s`` and the like
expanded), whitespace-normalised; the ``-h, --help`` entry is required too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SECTIONS = ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES", "EXAMPLES")


def roff_text(text: str) -> str:
    """Plain text of a roff fragment: font codes removed, escapes resolved, blanks joined."""
    for code in ("\\fB", "\\fI", "\\fR"):
        text = text.replace(code, "")
    return " ".join(text.replace("\\-", "-").replace("\\e", "\\").split())


def _entry_key(tag: str):
    """Key of a .TP tag: the frozenset of its option strings, else the positional's name."""
    words = roff_text(tag).replace(",", " ").split()
    names = frozenset(w for w in words if w.startswith("-"))
    if names:
        return names
    assert len(words) == 1 and tag.strip() == f"\\fI{words[0]}\\fR", (
        f"a positional argument's tag must be its name alone in italics (\\fINAME\\fR): {tag!r}"
    )
    return words[0]


def _expected_entries(parser: argparse.ArgumentParser) -> dict:
    """What --help documents: {option strings or positional name: help text as printed}."""
    formatter = parser._get_formatter()
    expected = {}
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        assert action.help, f"{action.dest} has no help text"
        if action.option_strings:
            key = frozenset(action.option_strings)
        else:
            key = action.metavar or action.dest
            assert isinstance(key, str), f"{action.dest}: tuple metavars are not supported"
        expected[key] = " ".join(formatter._expand_help(action).split())
    return expected


def assert_manual_page_matches_help(page: Path, parser) -> None:
    """Every section is there and the OPTIONS entries (.TP tag: the option strings, or the
    positional's name; body: the help text) are exactly the parser's arguments and help texts,
    no more, no less."""
    text = page.read_text()
    for section in SECTIONS:
        assert f"\n.SH {section}\n" in text, section
    options = text.split("\n.SH OPTIONS\n")[1].split("\n.SH ")[0].split("\n.PP\n")[0]
    entries = {}
    for item in options.split(".TP\n")[1:]:
        tag, _, body = item.partition("\n")
        key = _entry_key(tag)
        assert key not in entries, f"{sorted(key) if isinstance(key, frozenset) else key} twice"
        entries[key] = roff_text(body)
    assert entries == _expected_entries(parser)
