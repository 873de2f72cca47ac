"""The manual page of a console script must say exactly what its --help says."""

from __future__ import annotations

from pathlib import Path

SECTIONS = ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES", "EXAMPLES")


def roff_text(text: str) -> str:
    """Plain text of a roff fragment: font codes removed, escapes resolved, blanks joined."""
    for code in ("\\fB", "\\fI", "\\fR"):
        text = text.replace(code, "")
    return " ".join(text.replace("\\-", "-").replace("\\e", "\\").split())


def assert_manual_page_matches_help(page: Path, parser) -> None:
    """Every section is there and the OPTIONS entries (.TP tag: the option strings; body: the
    help text) are exactly the parser's options and help texts, no more, no less."""
    text = page.read_text()
    for section in SECTIONS:
        assert f"\n.SH {section}\n" in text, section
    options = text.split("\n.SH OPTIONS\n")[1].split("\n.SH ")[0].split("\n.PP\n")[0]
    entries = {}
    for item in options.split(".TP\n")[1:]:
        tag, _, body = item.partition("\n")
        names = frozenset(o for o in roff_text(tag).replace(",", " ").split() if o.startswith("-"))
        entries[names] = roff_text(body)
    expected = {frozenset(a.option_strings): " ".join(a.help.split()) for a in parser._actions}
    assert entries == expected
